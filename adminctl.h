/*
 * adminctl.h: softether --admin against the local control socket.
 */
#ifndef SOFTETHER_ADMINCTL_H
#define SOFTETHER_ADMINCTL_H

/* cmd: one command (exit status 0 done, 1 refused or unreachable), or
 * NULL: commands line by line from stdin, with a prompt on a terminal.
 * json: each reply is one JSON document. user add and user password
 * without --hash take the password from pwfile (its first line) or ask
 * for it, and send only its Argon2id hash. who: NULL for the hub, else
 * who answers at path ("the card on vpn0"), for messages; it takes the
 * commands as they are. */
int adminctl_run(const char *path, const char *who, const char *cmd,
    int json, const char *pwfile);

/* softether --admin HOST[:PORT]: the same commands inside the hub's TLS
 * port, the hub verified as a card verifies it. */
struct adminnet_opts {
	const char *addr;          /* HOST[:PORT] */
	const char *cmd;           /* NULL: interactive */
	int json;
	const char *pwfile;        /* for user add/password */
	const char *admin_pwfile;  /* the admin password; NULL: asked */
	const char *fingerprint;   /* pin the hub's certificate */
	const char *ca_file;       /* or verify its chain */
	const char *known_hubs;    /* or trust on first use */
	const char *admin_keyfile; /* or log in with this key */
};
int adminnet_run(const struct adminnet_opts *o);

/* Shared by both: the first line of file, else asked without echo (0 or
 * -1, said why); user add/password without --hash get " --hash HASH"
 * (the password is hashed here and never sent); one command line, with
 * editing at a terminal (0, -1 at the end of input); the terminal's
 * history loaded (1) or saved (0). */
int adminctl_secret(const char *file, const char *prompt, char *pw,
    size_t len);
int adminctl_prepare(const char *cmd, const char *pwfile, char *out,
    size_t outlen);
int adminctl_getline(int tty, char *line, size_t len);
void adminctl_history(int load);

#endif
