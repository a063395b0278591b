/*
 * adminctl.c: softether --admin, the client side of the control socket:
 * one command (-e) with its exit status, or a prompt on a terminal (or
 * commands line by line from a pipe). Replies print as they come: the body
 * of an OK on stdout, of an ERR on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
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
#include "clock.h"
#include "proto.h"

#define ADMINCTL_PROMPT  "softether> "
#define ADMINCTL_HISTORY 1000   /* lines kept in ~/.softether/admin_history */
#define ADMINCTL_STOP_MS 5000   /* a stopped capture's last words, at most */

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

/* ---- hub capture: a stream into a file or standard output ------------- */

static volatile sig_atomic_t adminctl_stop;

/* The first signal stops the capture (the hub's summary follows); a
 * second one leaves at once. */
static void
adminctl_on_signal(int sig)
{
	if (adminctl_stop)
		_exit(128 + sig);
	adminctl_stop = 1;
}

/* The request the hub gets: no FILE (the client writes it). */
static void
adminctl_capture_line(char *out, size_t len, const struct admincmd_capture *o)
{
	size_t n = (size_t)snprintf(out, len, "hub capture \"");

	for (const char *p = o->hub; *p != '\0' && n + 4 < len; p++) {
		if (*p == '"' || *p == '\\')
			out[n++] = '\\';
		out[n++] = *p;
	}
	out[n] = '\0';
	n += (size_t)snprintf(out + n, len - n, "\"");
	if (o->count != 0 && n < len)
		n += (size_t)snprintf(out + n, len - n, " --count %llu",
		    (unsigned long long)o->count);
	if (o->seconds != 0 && n < len)
		snprintf(out + n, len - n, " --seconds %u", o->seconds);
}

/* Where the stream goes, once the hub has said it starts: -1 (said why). */
static int
adminctl_capture_open(const struct admincmd_capture *o)
{
	int out;

	if (o->file == NULL)
		return STDOUT_FILENO;
	/* It holds the hub's traffic: its owner's alone. */
	out = open(o->file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0)
		fprintf(stderr, "softether: --admin: hub capture: %s: %s\n",
		    o->file, strerror(errno));
	return out;
}

struct adminctl_stream {
	int fd;                 /* the control socket */
	sigset_t waitmask;      /* the signals that stop it, open only in ppoll */
	int out;                /* the pcap's; -1 before STREAM */
	int broken;             /* out failed: what follows is discarded */
	int failed;             /* exit 1 whatever the hub says */
	int shut;               /* asked the hub to stop */
	uint64_t deadline_ms;   /* then, when to give up waiting */
};

/* One piece of a frame's body: 0, or -1 if the reply is not a stream's. */
static int
adminctl_stream_body(struct adminctl_stream *st, enum admincmd_frame kind,
    const struct admincmd_capture *o, const char *p, size_t n)
{
	if (kind != ADMINCMD_FRAME_DATA) {
		fwrite(p, 1, n, stderr);
		return 0;
	}
	if (st->out < 0)
		return -1;
	if (st->broken || adminctl_write(st->out, p, n) == 0)
		return 0;
	/* A reader that left (tcpdump -c) ends it as a Ctrl-C would. */
	if (errno != EPIPE) {
		fprintf(stderr, "softether: --admin: hub capture: %s: %s\n",
		    o->file != NULL ? o->file : "standard output",
		    strerror(errno));
		st->failed = 1;
	}
	st->broken = 1;
	adminctl_stop = 1;
	return 0;
}

/* Until the hub's last reply: 0 OK, 1 refused or failed. */
static int
adminctl_stream_run(struct adminctl_stream *st,
    const struct admincmd_capture *o)
{
	enum admincmd_frame kind = ADMINCMD_FRAME_ERR;
	char buf[65536];
	size_t have = 0, left = 0, off, used, n;
	int body = 0, r;

	for (;;) {
		for (off = 0; off < have;) {
			if (!body) {
				r = admincmd_frame_parse(buf + off, have - off,
				    &kind, &left, &used);
				if (r == 0)
					break;
				if (r < 0 || (kind == ADMINCMD_FRAME_STREAM &&
				    st->out >= 0))
					goto bad;
				off += used;
				body = 1;
				if (kind == ADMINCMD_FRAME_STREAM &&
				    (st->out = adminctl_capture_open(o)) < 0) {
					st->failed = 1;
					return 1;   /* the hub sees the close */
				}
			}
			n = have - off < left ? have - off : left;
			if (adminctl_stream_body(st, kind, o, buf + off, n) != 0)
				goto bad;
			off += n;
			left -= n;
			if (left > 0)
				break;
			body = 0;
			if (kind == ADMINCMD_FRAME_OK || kind == ADMINCMD_FRAME_ERR) {
				fflush(stderr);
				return kind == ADMINCMD_FRAME_OK && !st->failed ?
				    0 : 1;
			}
		}
		memmove(buf, buf + off, have - off);
		have -= off;
		if (adminctl_stop && !st->shut) {
			shutdown(st->fd, SHUT_WR);
			st->shut = 1;
			st->deadline_ms = clock_now_ms() + ADMINCTL_STOP_MS;
		}
		int wait = -1;
		if (st->shut) {
			uint64_t now = clock_now_ms();
			if (now >= st->deadline_ms) {
				fprintf(stderr, "softether: --admin: the hub did "
				    "not end the capture in time\n");
				return 1;
			}
			wait = (int)(st->deadline_ms - now);
		}
		struct pollfd pfd = { .fd = st->fd, .events = POLLIN };
		struct timespec ts = { wait / 1000, (long)(wait % 1000) * 1000000L };
		/* The stopping signals arrive only in here: none is missed
		 * between the test of adminctl_stop and the wait. */
		if (ppoll(&pfd, 1, wait < 0 ? NULL : &ts, &st->waitmask) <= 0)
			continue;	/* a signal, or the deadline */
		ssize_t got = read(st->fd, buf + have, sizeof buf - have);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			fprintf(stderr, "softether: --admin: the hub closed the "
			    "connection\n");
			return 1;
		}
		have += (size_t)got;
	}
bad:
	fprintf(stderr, "softether: --admin: hub capture: a reply that is not "
	    "a stream's\n");
	return 1;
}

/* softether --admin -e 'hub capture HUB [...] [FILE|-]'. */
static int
adminctl_capture(int fd, const struct admincmd_line *l, int json)
{
	struct adminctl_stream st = { .fd = fd, .out = -1 };
	struct sigaction sa, old_int, old_term, old_hup, old_pipe;
	sigset_t stops, old_mask;
	struct admincmd_capture o;
	char err[256], req[ADMINCMD_LINE_MAX + 1];
	int rc;

	if (admincmd_capture_parse(l, &o, err, sizeof err) != 0) {
		fprintf(stderr, "softether: --admin: %s\n", err);
		return 1;
	}
	if (o.file == NULL && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "softether: --admin: hub capture: standard output "
		    "is a terminal; give a FILE, or pipe it (| tcpdump -r -)\n");
		return 1;
	}
	adminctl_capture_line(req, sizeof req, &o);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = adminctl_on_signal;
	sigemptyset(&sa.sa_mask);
	adminctl_stop = 0;
	sigemptyset(&stops);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGHUP);
	sigprocmask(SIG_BLOCK, &stops, &old_mask);
	st.waitmask = old_mask;
	sigdelset(&st.waitmask, SIGINT);
	sigdelset(&st.waitmask, SIGTERM);
	sigdelset(&st.waitmask, SIGHUP);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	sa.sa_handler = SIG_IGN;              /* EPIPE instead */
	sigaction(SIGPIPE, &sa, &old_pipe);
	if (adminctl_write(fd, json ? "J " : "T ", 2) != 0 ||
	    adminctl_write(fd, req, strlen(req)) != 0 ||
	    adminctl_write(fd, "\n", 1) != 0) {
		fprintf(stderr, "softether: --admin: the hub closed the "
		    "connection\n");
		rc = 1;
	} else
		rc = adminctl_stream_run(&st, &o);
	if (st.out > STDOUT_FILENO && close(st.out) != 0 && rc == 0) {
		fprintf(stderr, "softether: --admin: hub capture: %s: %s\n",
		    o.file, strerror(errno));
		rc = 1;
	}
	/* One that came since the last wait is taken by the handler. */
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	return rc;
}

/* The parsed line if it is hub capture (freed by the caller), else NULL. */
static struct admincmd_line *
adminctl_is_capture(const char *cmd)
{
	struct admincmd_line *l = malloc(sizeof *l);
	char err[256];

	if (l != NULL && admincmd_parse(cmd, strlen(cmd), l, err,
	    sizeof err) == 0 && l->cmd != NULL &&
	    l->cmd->id == ADMINCMD_HUB_CAPTURE)
		return l;
	free(l);
	return NULL;
}

static int
adminctl_connect(const char *path, const char *who)
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
		fprintf(stderr, "softether: --admin: cannot reach %s at "
		    "%s: %s%s\n", who != NULL ? who : "the hub", path,
		    strerror(errno), (errno == ENOENT || errno ==
		    ECONNREFUSED) && who == NULL ? " (is the hub running? it "
		    "uses this path for the same --state-dir/--run-dir)" :
		    errno == ENOENT || errno == ECONNREFUSED ? " (is it "
		    "running? a card uses this path for the same interface, "
		    "--run-dir and network namespace)" : errno == EACCES &&
		    who == NULL ? " (run as the hub's user or root)" :
		    errno == EACCES ? " (run as root)" : "");
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
adminctl_run(const char *path, const char *who, const char *cmd, int json,
    const char *pwfile)
{
	char line[ADMINCMD_LINE_MAX + 2];
	int fd = adminctl_connect(path, who), rc = 0, tty = isatty(STDIN_FILENO);

	if (fd < 0)
		return 1;
	struct admincmd_line *cap = who == NULL && cmd != NULL ?
	    adminctl_is_capture(cmd) : NULL;
	if (cap != NULL) {
		rc = adminctl_capture(fd, cap, json);
		free(cap);
		close(fd);
		return rc;
	}
	if (cmd != NULL) {
		char full[ADMINCMD_LINE_MAX + AUTH_HASH_MAX + 16];
		if (who != NULL)
			snprintf(full, sizeof full, "%s", cmd);
		else if (adminctl_prepare(cmd, pwfile, full, sizeof full) != 0) {
			close(fd);
			return 1;
		}
		rc = adminctl_one(fd, full, json);
		close(fd);
		if (rc < 0)
			fprintf(stderr, "softether: --admin: %s closed the "
			    "connection\n", who != NULL ? who : "the hub");
		return rc == 0 ? 0 : 1;
	}
	if (tty)
		adminctl_history(1);
	for (;;) {
		if (adminctl_getline(tty, line, sizeof line) != 0)
			break;
		if (strcmp(line, "quit") == 0 || strcmp(line, "exit") == 0)
			break;
		if (who == NULL && (cap = adminctl_is_capture(line)) != NULL) {
			free(cap);
			fprintf(stderr, "softether: --admin: hub capture runs "
			    "alone: softether --admin -e 'hub capture HUB "
			    "[FILE]'\n");
			rc = 1;
			continue;
		}
		char full[ADMINCMD_LINE_MAX + AUTH_HASH_MAX + 16];
		if (who != NULL)
			snprintf(full, sizeof full, "%s", line);
		else if (adminctl_prepare(line, pwfile, full, sizeof full) != 0) {
			rc = 1;
			continue;
		}
		int r = adminctl_one(fd, full, json);
		if (r < 0) {
			fprintf(stderr, "softether: --admin: %s closed the "
			    "connection\n", who != NULL ? who : "the hub");
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
