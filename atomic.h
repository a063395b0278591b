/*
 * atomic.h: a file replaced whole or not at all, as a crash may leave it.
 */
#ifndef SOFTETHER_ATOMIC_H
#define SOFTETHER_ATOMIC_H

#include <stddef.h>
#include <sys/types.h>

/*
 * path gets data (len bytes, mode): written to a fresh file beside it
 * (created exclusively, never through a symbolic link), synced, renamed
 * over path, and the directory synced. 0, or -1 with err ("PATH: what
 * failed: why") and nothing changed.
 */
int atomic_write(const char *path, const void *data, size_t len,
    mode_t mode, char *err, size_t errlen);

#endif
