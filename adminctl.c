/*
 * adminctl.c: softether --admin, the client side of the control socket:
 * one command (-e) with its exit status, or a prompt on a terminal (or
 * commands line by line from a pipe). Replies print as they come: the body
 * of an OK on stdout, of an ERR on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>
#include <sodium.h>
#include <editline/readline.h>

#include "adminctl.h"
#include "admincmd.h"
#include "auth.h"
#include "proto.h"

#define ADMINCTL_PROMPT  "softether> "
#define ADMINCTL_HISTORY 1000   /* lines kept in ~/.softether/admin_history */

/* Everything or nothing: -1 on error. */
static int
adminctl_write(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Send one command, print its reply. 0 OK, 1 refused, -1 broken link. */
static int
adminctl_one(int fd, const char *cmd, int json)
{
	char hdr[ADMINCMD_REPLY_HDR + 1], buf[65536];
	size_t have = 0, len, used;
	int ok, r;

	if (adminctl_write(fd, json ? "J " : "T ", 2) != 0 ||
	    adminctl_write(fd, cmd, strlen(cmd)) != 0 ||
	    adminctl_write(fd, "\n", 1) != 0)
		return -1;
	/* The header, byte by byte: it is short and the body follows. */
	for (;;) {
		ssize_t n = read(fd, hdr + have, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		have++;
		r = admincmd_reply_parse(hdr, have, &ok, &len, &used);
		if (r < 0)
			return -1;
		if (r > 0)
			break;
	}
	while (len > 0) {
		ssize_t n = read(fd, buf, len < sizeof buf ? len : sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		fwrite(buf, 1, (size_t)n, ok ? stdout : stderr);
		len -= (size_t)n;
	}
	fflush(ok ? stdout : stderr);
	return ok ? 0 : 1;
}

static int
adminctl_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof sa.sun_path) {
		fprintf(stderr, "softether: --admin: %s: path too long\n", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		fprintf(stderr, "softether: --admin: cannot reach the hub at "
		    "%s: %s%s\n", path, strerror(errno), errno == ENOENT ||
		    errno == ECONNREFUSED ? " (is the hub running? it uses "
		    "this path for the same --state-dir/--run-dir)" :
		    errno == EACCES ? " (run as the hub's user or root)" : "");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* One line from the terminal without echo. 0 or -1. */
static int
adminctl_ask(const char *prompt, char *buf, size_t len)
{
	struct termios old, quiet;
	int tty = tcgetattr(STDIN_FILENO, &old) == 0, rc = 0;

	fputs(prompt, stderr);
	fflush(stderr);
	if (tty) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	if (fgets(buf, (int)len, stdin) == NULL)
		rc = -1;
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	return rc;
}

int
adminctl_secret(const char *file, const char *prompt, char *pw, size_t len)
{
	if (file != NULL) {
		FILE *f = fopen(file, "r");
		if (f == NULL || fgets(pw, (int)len, f) == NULL) {
			fprintf(stderr, "softether: %s: %s\n", file, f == NULL ?
			    strerror(errno) : "empty");
			if (f != NULL)
				fclose(f);
			return -1;
		}
		fclose(f);
		pw[strcspn(pw, "\r\n")] = '\0';
	} else {
		if (!isatty(STDIN_FILENO)) {
			fprintf(stderr, "softether: --admin: no terminal to ask "
			    "for the %s; give a password file\n", prompt);
			return -1;
		}
		if (adminctl_ask(prompt, pw, len) != 0)
			return -1;
	}
	if (pw[0] == '\0' || strlen(pw) > PROTO_MAX_SECRET) {
		fprintf(stderr, "softether: the password must be 1..%u bytes\n",
		    PROTO_MAX_SECRET);
		return -1;
	}
	return 0;
}

/* The password for a user add or password command: the first line of
 * pwfile, else asked twice on the terminal. 0 or -1 (said why). */
static int
adminctl_password(const char *pwfile, const char *user, char *pw, size_t len)
{
	char again[PROTO_MAX_SECRET + 2], prompt[128];

	snprintf(prompt, sizeof prompt, "password for %s: ", user);
	if (adminctl_secret(pwfile, prompt, pw, len) != 0)
		return -1;
	if (pwfile != NULL)
		return 0;
	if (adminctl_ask("again: ", again, sizeof again) != 0)
		return -1;
	if (strcmp(pw, again) != 0) {
		fprintf(stderr, "softether: the passwords differ\n");
		return -1;
	}
	sodium_memzero(again, sizeof again);
	return 0;
}

int
adminctl_prepare(const char *cmd, const char *pwfile, char *out,
    size_t outlen)
{
	struct admincmd_line *l = malloc(sizeof *l);
	char err[256], pw[PROTO_MAX_SECRET + 2], hash[AUTH_HASH_MAX];
	int rc = 0;

	snprintf(out, outlen, "%s", cmd);
	if (l == NULL)
		return -1;
	if (admincmd_parse(cmd, strlen(cmd), l, err, sizeof err) == 0 &&
	    l->cmd != NULL && (l->cmd->id == ADMINCMD_USER_ADD ||
	    l->cmd->id == ADMINCMD_USER_PASSWORD) && l->argc == 2) {
		if (adminctl_password(pwfile, l->argv[1], pw, sizeof pw) != 0 ||
		    auth_hash_password(pw, strlen(pw), hash) != 0)
			rc = -1;
		else
			snprintf(out, outlen, "%s --hash '%s'", cmd, hash);
		sodium_memzero(pw, sizeof pw);
	}
	free(l);
	return rc;
}

void
adminctl_history(int load)
{
	const char *home = getenv("HOME");
	char path[4096];

	if (home == NULL || *home == '\0')
		return;
	snprintf(path, sizeof path, "%s/.softether", home);
	if (load) {
		stifle_history(ADMINCTL_HISTORY);
		snprintf(path, sizeof path, "%s/.softether/admin_history", home);
		read_history(path);
		return;
	}
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/.softether/admin_history", home);
	if (write_history(path) == 0)
		chmod(path, 0600);
	clear_history();
}

int
adminctl_getline(int tty, char *line, size_t len)
{
	char *l;

	if (!tty) {
		if (fgets(line, (int)len, stdin) == NULL)
			return -1;
		line[strcspn(line, "\r\n")] = '\0';
		return 0;
	}
	if ((l = readline(ADMINCTL_PROMPT)) == NULL)
		return -1;
	snprintf(line, len, "%s", l);
	/* Passwords never reach the history: they are asked separately. */
	if (*l != '\0')
		add_history(l);
	free(l);
	return 0;
}

int
adminctl_run(const char *path, const char *cmd, int json, const char *pwfile)
{
	char line[ADMINCMD_LINE_MAX + 2];
	int fd = adminctl_connect(path), rc = 0, tty = isatty(STDIN_FILENO);

	if (fd < 0)
		return 1;
	if (cmd != NULL) {
		char full[ADMINCMD_LINE_MAX + AUTH_HASH_MAX + 16];
		if (adminctl_prepare(cmd, pwfile, full, sizeof full) != 0) {
			close(fd);
			return 1;
		}
		rc = adminctl_one(fd, full, json);
		close(fd);
		if (rc < 0)
			fprintf(stderr, "softether: --admin: the hub closed the "
			    "connection\n");
		return rc == 0 ? 0 : 1;
	}
	if (tty)
		adminctl_history(1);
	for (;;) {
		if (adminctl_getline(tty, line, sizeof line) != 0)
			break;
		if (strcmp(line, "quit") == 0 || strcmp(line, "exit") == 0)
			break;
		char full[ADMINCMD_LINE_MAX + AUTH_HASH_MAX + 16];
		if (adminctl_prepare(line, pwfile, full, sizeof full) != 0) {
			rc = 1;
			continue;
		}
		int r = adminctl_one(fd, full, json);
		if (r < 0) {
			fprintf(stderr, "softether: --admin: the hub closed the "
			    "connection\n");
			rc = 1;
			break;
		}
		if (r > 0)
			rc = 1;
	}
	if (tty)
		adminctl_history(0);
	close(fd);
	return rc;
}
