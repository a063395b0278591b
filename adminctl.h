/*
 * adminctl.h: softether --admin against the local control socket.
 */
#ifndef SOFTETHER_ADMINCTL_H
#define SOFTETHER_ADMINCTL_H

/* cmd: one command (exit status 0 done, 1 refused or unreachable), or
 * NULL: commands line by line from stdin, with a prompt on a terminal.
 * json: each reply is one JSON document. user add and user password
 * without --hash take the password from pwfile (its first line) or ask
 * for it, and send only its Argon2id hash. */
int adminctl_run(const char *path, const char *cmd, int json,
    const char *pwfile);

#endif
