/*
 * console.h: the telnet-compatible management console on admin.listen.
 */
#ifndef SOFTETHER_CONSOLE_H
#define SOFTETHER_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

struct console;
struct srv;

/* Serve the console on a bound, listening socket (taken over). NULL if
 * out of memory. */
struct console *console_new(struct srv *srv, int fd, const char *name);
void console_free(struct console *con);

/* Telnet negotiation out of what a client typed (IAC sequences dropped,
 * an escaped 255 kept): the new length, the bytes moved down in place. */
size_t console_strip_telnet(uint8_t *buf, size_t len);

#endif
