/*
 * ssh.c: the ssh transport: the system OpenSSH client, run as "ssh -W
 * HUB:PORT", carries the hub connection over its stdin and stdout. Owns
 * those children from command line to reaping, and logs what they say.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <event2/event.h>

#include "log.h"
#include "transport/ssh.h"
#include "transport/transport.h"

#define SSH_PROGRAM           "ssh"
#define SSH_ALIVE_INTERVAL_S  10u
#define SSH_ALIVE_COUNT       3u
#define SSH_CONNECT_TIMEOUT_S (TRANSPORT_CONNECT_TIMEOUT_MS / 1000u)
#define SSH_PORT_MAX          65535L
#define SSH_LINE_MAX          256u   /* one stderr line, as kept and logged */
#define SSH_LAST_LINES        4u
#define SSH_LOGGED_LINES      64u    /* per child: a long banner is no flood */
#define SSH_READ_CHUNK        1024u
#define SSH_DRAIN_READS       64u    /* bounds the last read of a dead child */
#define SSH_HANGUP_GRACE_MS   3000u  /* caller closed the tunnel: ssh's turn */
#define SSH_SHUTDOWN_WAIT_MS  1000u
#define SSH_SHUTDOWN_POLL_MS  10u
#define SSH_CLOSE_FALLBACK    65536L /* fds closed one by one without close_range */
#define SSH_EXIT_EXEC         127    /* as a shell reports "not found" */
#define SSH_EXIT_SETUP        126

/* The program run as ssh: ssh from PATH, unless a test set another (no
 * environment variable can: a card run by root must not run what its
 * caller's environment names). */
static const char *ssh_program;

void
transport_ssh_set_program(const char *path)
{
	ssh_program = path;
}

/*
 * One ssh process. It outlives the connect that started it: after done()
 * the tunnel belongs to the caller, but the child stays here until reaped.
 */
struct ssh_child {
	struct ssh_child *next;
	pid_t pid;
	int killed;              /* we signalled it: its end is no news */
	int errfd;               /* its stderr, -1 after EOF */
	int watchfd;             /* its end of the tunnel, -1 when not watched */
	struct event *err_ev, *hup_ev, *grace_ev;
	struct transport_conn *conn; /* until done() or cancel */
	char partial[SSH_LINE_MAX];
	size_t partial_len;
	int truncating;          /* the rest of an overlong line is dropped */
	char last[SSH_LAST_LINES][SSH_LINE_MAX];
	unsigned nlines;
};

struct transport_conn {
	struct ssh_child *child;
	int fd;                  /* our end of the tunnel until done() */
	struct event *defer;
	transport_done_fn *done;
	void *arg;
};

static struct ssh_child *ssh_children;
static struct event_base *ssh_base;
static struct event *ssh_sigchld;

/*
 * Options refused in --ssh-option. ssh keeps the first value it sees, and
 * ours come first, so anything the tunnel depends on is refused outright
 * rather than silently ignored. ProxyCommand is refused too: it runs a shell
 * command on this host, usually as root here; ProxyJump covers the hop
 * through a bastion without one, and a ProxyCommand in ~/.ssh/config still
 * applies because the user's own config is read as usual.
 */
static const struct {
	const char *key;
	const char *why;
} ssh_refused[] = {
	{ "LocalCommand", "runs a command on this host" },
	{ "PermitLocalCommand", "runs a command on this host" },
	{ "ProxyCommand", "runs a command on this host (ProxyJump does not; "
	    "~/.ssh/config still applies)" },
	{ "KnownHostsCommand", "runs a command on this host" },
	{ "XAuthLocation", "runs a command on this host" },
	{ "PKCS11Provider", "loads code into ssh" },
	{ "SecurityKeyProvider", "loads code into ssh" },
	{ "Include", "reads more options from a file" },
	{ "Host", "is not an option" },
	{ "Match", "is not an option" },
	{ "LocalForward", "changes the forwarding" },
	{ "RemoteForward", "changes the forwarding" },
	{ "DynamicForward", "changes the forwarding" },
	{ "ClearAllForwardings", "changes the forwarding" },
	{ "Tunnel", "changes the forwarding" },
	{ "TunnelDevice", "changes the forwarding" },
	{ "RemoteCommand", "changes the forwarding" },
	{ "SessionType", "changes the forwarding" },
	{ "RequestTTY", "changes the forwarding" },
	{ "StdinNull", "closes the tunnel's input" },
	{ "ForkAfterAuthentication", "detaches ssh from this process" },
	{ "ControlPersist", "leaves ssh running in the background" },
	{ "ExitOnForwardFailure", "is always yes here" },
	{ "BatchMode", "is always yes here: nobody can answer a prompt" },
};

/* libevent's event_free() does not take NULL. */
static void
ssh_event_free(struct event *ev)
{
	if (ev != NULL)
		event_free(ev);
}

/* The command line under construction: strings packed into one buffer. */
struct ssh_args {
	char **argv;
	size_t n, max;
	char *buf;
	size_t used, len;
	int full;
};

static void ssh_arg(struct ssh_args *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
ssh_arg(struct ssh_args *a, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (a->full || a->n + 1 >= a->max) {
		a->full = 1;
		return;
	}
	va_start(ap, fmt);
	r = vsnprintf(a->buf + a->used, a->len - a->used, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= a->len - a->used) {
		a->full = 1;
		return;
	}
	a->argv[a->n++] = a->buf + a->used;
	a->used += (size_t)r + 1;
}

/* No control characters; and no spaces unless allowed. */
static int
ssh_clean(const char *s, size_t len, int spaces)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < ' ' || ch == 0x7f || (ch == ' ' && !spaces))
			return 0;
	}
	return 1;
}

/* A host name or address as it may appear on ssh's command line. */
static int
ssh_host_ok(const char *h, size_t len)
{
	return len > 0 && h[0] != '-' && ssh_clean(h, len, 0) &&
	    memchr(h, '/', len) == NULL && memchr(h, '[', len) == NULL &&
	    memchr(h, ']', len) == NULL;
}

static int
ssh_port_ok(const char *p, size_t len)
{
	long v = 0;

	if (len == 0 || len > 5)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		v = v * 10 + (p[i] - '0');
	}
	return v >= 1 && v <= SSH_PORT_MAX;
}

/* "[user@]gateway[:port]", gateway maybe "[v6]" or a bare v6 address. */
static int
ssh_dest_args(struct ssh_args *a, const char *dest, char *err,
    size_t errlen)
{
	const char *at, *hp, *h, *port = NULL;
	size_t hl, ul = 0, pl = 0;

	if (dest[0] == '-') {
		snprintf(err, errlen, "--ssh: the destination must not start "
		    "with '-'");
		return -1;
	}
	if (!ssh_clean(dest, strlen(dest), 0)) {
		snprintf(err, errlen, "--ssh: the destination contains a space "
		    "or a control character");
		return -1;
	}
	at = strrchr(dest, '@');
	if (at != NULL) {
		ul = (size_t)(at - dest);
		if (ul == 0) {
			snprintf(err, errlen, "--ssh %s: empty user name",
			    dest);
			return -1;
		}
	}
	hp = at != NULL ? at + 1 : dest;
	if (hp[0] == '[') {
		const char *rb = strchr(hp, ']');
		if (rb == NULL || (rb[1] != '\0' && rb[1] != ':'))
			goto bad;
		h = hp + 1;
		hl = (size_t)(rb - h);
		if (rb[1] == ':')
			port = rb + 2;
	} else {
		const char *colon = strchr(hp, ':');
		h = hp;
		if (colon != NULL && strchr(colon + 1, ':') == NULL) {
			hl = (size_t)(colon - hp);
			port = colon + 1;
		} else
			hl = strlen(hp); /* a bare IPv6 address */
	}
	if (port != NULL)
		pl = strlen(port);
	if (!ssh_host_ok(h, hl) || (port != NULL && !ssh_port_ok(port, pl)))
		goto bad;
	if (port != NULL) {
		ssh_arg(a, "-p");
		ssh_arg(a, "%.*s", (int)pl, port);
	}
	/* Nothing after "--" is read as an option. */
	ssh_arg(a, "--");
	if (ul > 0)
		ssh_arg(a, "%.*s@%.*s", (int)ul, dest, (int)hl, h);
	else
		ssh_arg(a, "%.*s", (int)hl, h);
	return 0;
bad:
	snprintf(err, errlen, "--ssh %s: expected [USER@]GATEWAY[:PORT]",
	    dest);
	return -1;
}

static int
ssh_option_ok(const char *o, size_t i, char *err, size_t errlen)
{
	const char *eq = strchr(o, '=');
	size_t kl;

	if (!ssh_clean(o, strlen(o), 1)) {
		snprintf(err, errlen, "--ssh-option number %zu contains a "
		    "control character", i + 1);
		return -1;
	}
	if (eq == NULL || eq == o || eq[1] == '\0') {
		snprintf(err, errlen, "--ssh-option %s: expected KEY=VALUE", o);
		return -1;
	}
	kl = (size_t)(eq - o);
	for (size_t k = 0; k < kl; k++)
		if (!((o[k] >= 'A' && o[k] <= 'Z') ||
		    (o[k] >= 'a' && o[k] <= 'z') || (o[k] >= '0' && o[k] <= '9'))) {
			snprintf(err, errlen, "--ssh-option %s: KEY is an ssh "
			    "option name (letters and digits)", o);
			return -1;
		}
	for (size_t k = 0; k < sizeof ssh_refused / sizeof ssh_refused[0]; k++)
		if (strlen(ssh_refused[k].key) == kl &&
		    strncasecmp(ssh_refused[k].key, o, kl) == 0) {
			snprintf(err, errlen, "--ssh-option %.*s: not allowed, "
			    "it %s", (int)kl, o, ssh_refused[k].why);
			return -1;
		}
	return 0;
}

int
ssh_build_argv(const struct transport_target *t, char **argv, size_t max,
    char *buf, size_t buflen, char *err, size_t errlen)
{
	struct ssh_args a = { argv, 0, max, buf, 0, buflen, 0 };
	const char *hub = t->host;
	size_t hl = hub != NULL ? strlen(hub) : 0;

	if (max == 0 || buflen == 0) {
		snprintf(err, errlen, "no room for the ssh command line");
		return -1;
	}
	if (t->ssh_dest == NULL || t->ssh_dest[0] == '\0') {
		snprintf(err, errlen, "needs --ssh [USER@]GATEWAY[:PORT]");
		return -1;
	}
	if (!ssh_host_ok(hub != NULL ? hub : "", hl) || t->port == 0) {
		snprintf(err, errlen, "the hub's address cannot be forwarded "
		    "by ssh");
		return -1;
	}
	if (t->nssh_options > TRANSPORT_MAX_SSH_OPTIONS) {
		snprintf(err, errlen, "at most %u --ssh-option",
		    TRANSPORT_MAX_SSH_OPTIONS);
		return -1;
	}
	for (size_t i = 0; i < t->nssh_options; i++)
		if (t->ssh_options[i] == NULL ||
		    ssh_option_ok(t->ssh_options[i], i, err, errlen) != 0) {
			if (t->ssh_options[i] == NULL)
				snprintf(err, errlen, "--ssh-option missing");
			return -1;
		}

	ssh_arg(&a, SSH_PROGRAM);
	ssh_arg(&a, "-W");
	/* ssh -W reads an IPv6 address in brackets, as -L does. */
	if (memchr(hub, ':', hl) != NULL)
		ssh_arg(&a, "[%s]:%u", hub, t->port);
	else
		ssh_arg(&a, "%s:%u", hub, t->port);
	/* First: ssh keeps the first value of an option, and these the
	 * tunnel needs (no prompt with no one to answer it; no ssh left
	 * running in the background when the tunnel closes). */
	ssh_arg(&a, "-o");
	ssh_arg(&a, "BatchMode=yes");
	ssh_arg(&a, "-o");
	ssh_arg(&a, "ExitOnForwardFailure=yes");
	ssh_arg(&a, "-o");
	ssh_arg(&a, "ControlPersist=no");
	for (size_t i = 0; i < t->nssh_options; i++) {
		ssh_arg(&a, "-o");
		ssh_arg(&a, "%s", t->ssh_options[i]);
	}
	/* After the user's: defaults the user may change. */
	ssh_arg(&a, "-o");
	ssh_arg(&a, "ServerAliveInterval=%u", SSH_ALIVE_INTERVAL_S);
	ssh_arg(&a, "-o");
	ssh_arg(&a, "ServerAliveCountMax=%u", SSH_ALIVE_COUNT);
	ssh_arg(&a, "-o");
	ssh_arg(&a, "ConnectTimeout=%u", SSH_CONNECT_TIMEOUT_S);
	if (ssh_dest_args(&a, t->ssh_dest, err, errlen) != 0)
		return -1;
	if (a.full) {
		snprintf(err, errlen, "the ssh command line is too long");
		return -1;
	}
	argv[a.n] = NULL;
	return (int)a.n;
}

size_t
ssh_live_children(void)
{
	size_t n = 0;

	for (struct ssh_child *c = ssh_children; c != NULL; c = c->next)
		n++;
	return n;
}

static const char *
ssh_last_line(const struct ssh_child *c)
{
	if (c->nlines == 0)
		return NULL;
	return c->last[(c->nlines - 1) % SSH_LAST_LINES];
}

static void
ssh_line(struct ssh_child *c)
{
	char *line = c->last[c->nlines % SSH_LAST_LINES];

	if (c->partial_len == 0)
		return;
	memcpy(line, c->partial, c->partial_len);
	line[c->partial_len] = '\0';
	c->partial_len = 0;
	c->nlines++;
	if (c->nlines <= SSH_LOGGED_LINES)
		log_warn("ssh: %s", line);
	else if (c->nlines == SSH_LOGGED_LINES + 1)
		log_warn("ssh: (more output, not logged)");
}

/* Lines out of a stderr chunk; control characters never reach the log. */
static void
ssh_err_bytes(struct ssh_child *c, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];
		if (ch == '\n') {
			ssh_line(c);
			c->truncating = 0;
		} else if (ch == '\r' || c->truncating)
			continue;
		else if (c->partial_len == SSH_LINE_MAX - 1)
			c->truncating = 1;
		else
			c->partial[c->partial_len++] =
			    (ch < ' ' || ch == 0x7f) ? '?' : (char)ch;
	}
}

/* 0 while stderr stays open, -1 at its end. */
static int
ssh_err_read(struct ssh_child *c)
{
	char buf[SSH_READ_CHUNK];
	ssize_t r;

	if (c->errfd < 0)
		return -1;
	r = read(c->errfd, buf, sizeof buf);
	if (r > 0) {
		ssh_err_bytes(c, buf, (size_t)r);
		return 0;
	}
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	ssh_line(c);
	ssh_event_free(c->err_ev);
	c->err_ev = NULL;
	close(c->errfd);
	c->errfd = -1;
	return -1;
}

static void
ssh_err_cb(evutil_socket_t fd, short what, void *arg)
{
	ssh_err_read(arg);
}

static void
ssh_kill(struct ssh_child *c, int sig)
{
	c->killed = 1;
	/* The whole group: a ProxyJump runs a second ssh in it. Until the
	 * child has called setsid() the group does not exist yet. */
	if (kill(-c->pid, sig) != 0)
		kill(c->pid, sig);
}

static void
ssh_grace_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ssh_child *c = arg;

	log_debug("ssh (pid %ld) still running after the tunnel closed; "
	    "stopping it", (long)c->pid);
	ssh_kill(c, SIGTERM);
}

/*
 * The caller closed its end of the tunnel. ssh sees EOF and normally exits
 * once the far side closes too; when it is stuck before that (still
 * authenticating, say) it would linger, so it gets a grace period.
 */
static void
ssh_hup_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ssh_child *c = arg;
	struct timeval tv = { SSH_HANGUP_GRACE_MS / 1000,
	    (SSH_HANGUP_GRACE_MS % 1000) * 1000 };

	ssh_event_free(c->hup_ev);
	c->hup_ev = NULL;
	close(c->watchfd);
	c->watchfd = -1;
	if (c->grace_ev != NULL)
		event_add(c->grace_ev, &tv);
}

static void
ssh_conn_free(struct transport_conn *conn)
{
	if (conn->child != NULL)
		conn->child->conn = NULL;
	if (conn->fd >= 0)
		close(conn->fd);
	ssh_event_free(conn->defer);
	free(conn);
}

/* The child is reaped: its last words, then it is forgotten. */
static void
ssh_child_exited(struct ssh_child *c, int status)
{
	char msg[SSH_LINE_MAX + 64];
	const char *last;
	struct transport_conn *conn = c->conn;
	struct ssh_child **pp;

	for (unsigned i = 0; i < SSH_DRAIN_READS && ssh_err_read(c) == 0; i++)
		;
	ssh_line(c);
	/* A clean exit's last words are a warning already logged, at most. */
	last = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? NULL :
	    ssh_last_line(c);
	if (WIFEXITED(status))
		snprintf(msg, sizeof msg, "ssh exited with status %d%s%s",
		    WEXITSTATUS(status), last ? ": " : "", last ? last : "");
	else if (WIFSIGNALED(status))
		snprintf(msg, sizeof msg, "ssh killed by signal %d%s%s",
		    WTERMSIG(status), last ? ": " : "", last ? last : "");
	else
		snprintf(msg, sizeof msg, "ssh ended");
	/* Before done(), done() carries the news instead. */
	if (c->killed || conn != NULL ||
	    (WIFEXITED(status) && WEXITSTATUS(status) == 0))
		log_debug("%s (pid %ld)", msg, (long)c->pid);
	else
		log_warn("%s", msg);

	for (pp = &ssh_children; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	if (ssh_children == NULL && ssh_sigchld != NULL)
		event_del(ssh_sigchld);
	ssh_event_free(c->err_ev);
	ssh_event_free(c->hup_ev);
	ssh_event_free(c->grace_ev);
	if (c->errfd >= 0)
		close(c->errfd);
	if (c->watchfd >= 0)
		close(c->watchfd);
	free(c);

	/* Gone before the deferred done(): say so instead of handing over a
	 * tunnel that is already closed. */
	if (conn != NULL) {
		transport_done_fn *done = conn->done;
		void *arg = conn->arg;
		conn->child = NULL;
		ssh_conn_free(conn);
		done(arg, -1, msg);
	}
}

/* 1 and *status if the child has ended, else 0. */
static int
ssh_try_reap(struct ssh_child *c, int *status, int options)
{
	pid_t r;

	do
		r = waitpid(c->pid, status, options);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return 0;
	if (r < 0)
		*status = 0; /* reaped elsewhere: nothing to report */
	return 1;
}

static void
ssh_sigchld_cb(evutil_socket_t sig, short what, void *arg)
{
	struct ssh_child *c;
	int status;

	/* From the head again after each exit: done() may start another. */
again:
	for (c = ssh_children; c != NULL; c = c->next)
		if (ssh_try_reap(c, &status, WNOHANG)) {
			ssh_child_exited(c, status);
			goto again;
		}
}

static int
ssh_use_base(struct event_base *base)
{
	if (ssh_base == base)
		return 0;
	if (ssh_children != NULL) {
		log_warn("ssh children of another event loop still run");
		return -1;
	}
	ssh_event_free(ssh_sigchld);
	ssh_base = NULL;
	ssh_sigchld = evsignal_new(base, SIGCHLD, ssh_sigchld_cb, NULL);
	if (ssh_sigchld == NULL)
		return -1;
	ssh_base = base;
	return 0;
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void __attribute__((noreturn))
ssh_exec(const char *prog, char *const argv[], int tun, int errw,
    pid_t parent, long maxfd, const char *failmsg)
{
	struct sigaction sa;
	sigset_t none;
	int t, e;

	/* Ignored signals (SIGPIPE here) survive exec; handlers would run
	 * the parent's code. Both go back to the defaults. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	/* Its own session: Ctrl-C at the client's terminal is the client's
	 * business, and with no terminal ssh cannot prompt. */
	setsid();
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(SSH_EXIT_SETUP);
	/* Above 2 first, so no dup2() below overwrites one of them. */
	t = fcntl(tun, F_DUPFD, 3);
	e = fcntl(errw, F_DUPFD, 3);
	if (t < 0 || e < 0 || dup2(t, STDIN_FILENO) < 0 ||
	    dup2(t, STDOUT_FILENO) < 0 || dup2(e, STDERR_FILENO) < 0)
		_exit(SSH_EXIT_SETUP);
	if (close_range(3, ~0U, 0) != 0)
		for (long fd = 3; fd < maxfd; fd++)
			close((int)fd);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execvp(prog, argv);
	const char *why = strerror(errno);
	if (write(STDERR_FILENO, failmsg, strlen(failmsg)) > 0 &&
	    write(STDERR_FILENO, why, strlen(why)) > 0)
		(void)!write(STDERR_FILENO, "\n", 1);
	_exit(SSH_EXIT_EXEC);
}

static void
ssh_deferred_cb(evutil_socket_t fd, short what, void *arg)
{
	struct transport_conn *conn = arg;
	transport_done_fn *done = conn->done;
	void *darg = conn->arg;
	int tun = conn->fd;

	conn->fd = -1;
	ssh_conn_free(conn);
	done(darg, tun, NULL);
}

static void
ssh_child_free_unstarted(struct ssh_child *c)
{
	ssh_event_free(c->err_ev);
	ssh_event_free(c->hup_ev);
	ssh_event_free(c->grace_ev);
	if (c->errfd >= 0)
		close(c->errfd);
	if (c->watchfd >= 0)
		close(c->watchfd);
	free(c);
}

/* The child's stdio: a socketpair carries the stream (conn->fd ours,
 * c->watchfd its), a pipe its stderr (c->errfd ours, *err_wr its). */
static int
ssh_pipes(struct transport_conn *conn, struct ssh_child *c, int *err_wr)
{
	int sv[2], ep[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		log_warn("cannot start ssh: %s", strerror(errno));
		return -1;
	}
	if (pipe2(ep, O_CLOEXEC) != 0) {
		log_warn("cannot start ssh: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	conn->fd = sv[0];
	c->watchfd = sv[1];
	c->errfd = ep[0];
	*err_wr = ep[1];
	if (fcntl(conn->fd, F_SETFL, fcntl(conn->fd, F_GETFL) |
	    O_NONBLOCK) != 0 || fcntl(c->errfd, F_SETFL,
	    fcntl(c->errfd, F_GETFL) | O_NONBLOCK) != 0)
		return -1;
	return 0;
}

static int
ssh_events(struct event_base *base, struct transport_conn *conn,
    struct ssh_child *c)
{
	conn->defer = event_new(base, -1, 0, ssh_deferred_cb, conn);
	c->err_ev = event_new(base, c->errfd, EV_READ | EV_PERSIST,
	    ssh_err_cb, c);
	c->grace_ev = evtimer_new(base, ssh_grace_cb, c);
	if (event_base_get_features(base) & EV_FEATURE_EARLY_CLOSE)
		c->hup_ev = event_new(base, c->watchfd, EV_CLOSED, ssh_hup_cb,
		    c);
	if (conn->defer == NULL || c->err_ev == NULL || c->grace_ev == NULL)
		return -1;
	if (ssh_children == NULL && event_add(ssh_sigchld, NULL) != 0)
		return -1;
	return 0;
}

/* fork and exec; the pid, or -1 (logged). */
static pid_t
ssh_spawn(const char *prog, char **argv, struct ssh_child *c, int err_wr)
{
	char failmsg[300];
	long maxfd = sysconf(_SC_OPEN_MAX);
	sigset_t all, old;
	pid_t pid, self = getpid();
	int saved;

	if (maxfd < 0 || maxfd > SSH_CLOSE_FALLBACK)
		maxfd = SSH_CLOSE_FALLBACK;
	snprintf(failmsg, sizeof failmsg, "cannot run %s: ", prog);
	/* Signals wait until the child has reset their handlers, so none
	 * runs the parent's handler in the child. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0)
		ssh_exec(prog, argv, c->watchfd, err_wr, self, maxfd,
		    failmsg);
	saved = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid < 0)
		log_warn("cannot start ssh: fork: %s", strerror(saved));
	return pid;
}

static struct transport_conn *
ssh_connect(struct event_base *base, const struct transport_target *t,
    transport_done_fn *done, void *arg)
{
	char *argv[SSH_ARGV_MAX], buf[SSH_ARGV_BUF], err[256];
	const char *prog = ssh_program;
	struct transport_conn *conn = NULL;
	struct ssh_child *c = NULL;
	int err_wr = -1;
	pid_t pid;

	if (prog == NULL)
		prog = SSH_PROGRAM;
	if (ssh_build_argv(t, argv, SSH_ARGV_MAX, buf, sizeof buf, err,
	    sizeof err) < 0) {
		log_warn("--via ssh: %s", err);
		return NULL;
	}
	if (ssh_use_base(base) != 0)
		return NULL;
	conn = calloc(1, sizeof *conn);
	c = calloc(1, sizeof *c);
	if (conn == NULL || c == NULL)
		goto fail;
	conn->fd = c->errfd = c->watchfd = -1;
	if (ssh_pipes(conn, c, &err_wr) != 0)
		goto fail;
	conn->child = c;
	conn->done = done;
	conn->arg = arg;
	c->conn = conn;
	if (ssh_events(base, conn, c) != 0)
		goto fail;
	pid = ssh_spawn(prog, argv, c, err_wr);
	close(err_wr);
	err_wr = -1;
	if (pid < 0) {
		if (ssh_children == NULL)
			event_del(ssh_sigchld);
		goto fail;
	}
	c->pid = pid;
	c->next = ssh_children;
	ssh_children = c;
	event_add(c->err_ev, NULL);
	if (c->hup_ev == NULL || event_add(c->hup_ev, NULL) != 0) {
		/* Unwatched: ssh then ends on EOF alone. */
		close(c->watchfd);
		c->watchfd = -1;
	}
	log_debug("started %s (pid %ld) for %s:%u through %s", prog,
	    (long)pid, t->host, t->port, t->ssh_dest);
	/* done() on the next loop turn, never inside connect(). ssh says
	 * nothing when the forward is up; the TLS handshake that follows
	 * finds out soon enough if it is not. */
	event_active(conn->defer, 0, 0);
	return (struct transport_conn *)conn;
fail:
	if (err_wr >= 0)
		close(err_wr);
	if (c != NULL)
		ssh_child_free_unstarted(c);
	if (conn != NULL) {
		conn->child = NULL;
		ssh_conn_free(conn);
	}
	return NULL;
}

/* Before done(): the child goes too; it is reaped when it has exited. */
static void
ssh_cancel(struct transport_conn *conn)
{
	if (conn == NULL)
		return;
	if (conn->child != NULL)
		ssh_kill(conn->child, SIGTERM);
	ssh_conn_free(conn);
}

static const char *
ssh_check(const struct transport_target *t)
{
	static char err[300];
	char *argv[SSH_ARGV_MAX], buf[SSH_ARGV_BUF];

	if (t->proxy_host != NULL || t->proxy_user != NULL)
		return "--proxy goes with --via http-proxy, socks4 or socks5";
	if (t->ssh_dest == NULL)
		return "needs --ssh [USER@]GATEWAY[:PORT]";
	if (ssh_build_argv(t, argv, SSH_ARGV_MAX, buf, sizeof buf, err,
	    sizeof err) < 0)
		return err;
	return NULL;
}

static void
ssh_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

void
transport_ssh_shutdown(void)
{
	struct ssh_child *c;
	int status;

	for (c = ssh_children; c != NULL; c = c->next) {
		if (c->conn != NULL) {
			/* A connect nobody cancelled: it is not done now. */
			c->conn->child = NULL;
			c->conn = NULL;
		}
		ssh_kill(c, SIGTERM);
	}
	for (unsigned waited = 0; ssh_children != NULL &&
	    waited < SSH_SHUTDOWN_WAIT_MS; waited += SSH_SHUTDOWN_POLL_MS) {
again:
		for (c = ssh_children; c != NULL; c = c->next)
			if (ssh_try_reap(c, &status, WNOHANG)) {
				ssh_child_exited(c, status);
				goto again;
			}
		if (ssh_children != NULL)
			ssh_sleep_ms(SSH_SHUTDOWN_POLL_MS);
	}
	while ((c = ssh_children) != NULL) {
		log_warn("ssh (pid %ld) ignored SIGTERM; killing it",
		    (long)c->pid);
		ssh_kill(c, SIGKILL);
		ssh_try_reap(c, &status, 0);
		ssh_child_exited(c, status);
	}
	ssh_event_free(ssh_sigchld);
	ssh_sigchld = NULL;
	ssh_base = NULL;
}

const struct transport_ops transport_ssh = {
	.name = "ssh",
	.takes = TRANSPORT_TAKES_SSH,
	.check = ssh_check,
	.connect = ssh_connect,
	.cancel = ssh_cancel,
	.shutdown = transport_ssh_shutdown,
};
