/*
 * ssh.h: what the ssh transport offers beyond its ops table: the ssh command
 * line as a pure function, and the teardown of the ssh children it runs.
 */
#ifndef SOFTETHER_TRANSPORT_SSH_H
#define SOFTETHER_TRANSPORT_SSH_H

#include <stddef.h>

#include "transport/transport.h"

/* Room for the fixed arguments, two per --ssh-option, and the NULL. */
#define SSH_ARGV_MAX (24u + 2u * TRANSPORT_MAX_SSH_OPTIONS)
#define SSH_ARGV_BUF 8192u

/*
 * The ssh command line for t: argv[0] is "ssh", argv[argc] is NULL, the
 * strings live in buf. Returns argc, or -1 with err saying what in the
 * destination or the options is refused.
 */
int ssh_build_argv(const struct transport_target *t, char **argv,
    size_t max, char *buf, size_t buflen, char *err, size_t errlen);

/* ssh children started and not yet reaped. */
size_t ssh_live_children(void);

/*
 * Ends every ssh child: SIGTERM to its process group, a bounded wait, then
 * SIGKILL; all are reaped before it returns. Frees this transport's events,
 * so it runs after any pending connect is cancelled and before the event
 * base is freed. A no-op when no ssh child was ever started.
 */
void transport_ssh_shutdown(void);
/* Tests: run path instead of ssh (NULL: ssh again). */
void transport_ssh_set_program(const char *path);

#endif
