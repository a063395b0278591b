/*
 * sdnotify.h: telling systemd how the service is (Type=notify), by its
 * notify protocol: one datagram to $NOTIFY_SOCKET. Nothing when not run by
 * systemd.
 */
#ifndef SOFTETHER_SDNOTIFY_H
#define SOFTETHER_SDNOTIFY_H

/* Send text ("READY=1\nSTATUS=...") to $NOTIFY_SOCKET, if set. 1 sent,
 * 0 not run by systemd, -1 the socket refused it (errno). */
int sd_notify_text(const char *text);

#endif
