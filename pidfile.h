/*
 * pidfile.h: --pidfile FILE. Opened while the process may still create it
 * (before it gives up root), written once its pid is final (after it
 * detaches), emptied or removed when it stops.
 */
#ifndef SOFTETHER_PIDFILE_H
#define SOFTETHER_PIDFILE_H

/* The file, created or opened for writing (never through a symlink): an
 * fd, or -1 (errno). */
int pidfile_open(const char *path);
/* This process's pid into it, alone. 0, or -1 (errno). */
int pidfile_write(int fd);
/* Removed; where that is not allowed any more (root given up), emptied.
 * Closes fd. */
void pidfile_remove(const char *path, int fd);

#endif
