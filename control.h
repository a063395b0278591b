/*
 * control.h: the hub's local control socket, where softether --admin with
 * no address sends its commands.
 */
#ifndef SOFTETHER_CONTROL_H
#define SOFTETHER_CONTROL_H

#include <stddef.h>

struct control;
struct srv;

#define CONTROL_SOCKET_NAME "control.sock"
#define CONTROL_DEFAULT_RUN "/run/softether"

/* Listen at path (mode 0600). NULL (warned) if it cannot: the hub runs on
 * without local administration. */
struct control *control_new(struct srv *srv, const char *path);
/* Closes every client and removes the socket. */
void control_free(struct control *ctl);

/* Where the control socket of a hub with this state directory lives:
 * run_dir if given; else CONTROL_DEFAULT_RUN for the default state
 * directory, the state directory itself for any other. */
void control_path(char *out, size_t len, const char *run_dir,
    const char *state_dir);

#endif
