/*
 * test_ssh.c: the ssh transport: its command line (layout, destinations,
 * refused options) and its children, run as fake ssh scripts: a tunnel that
 * echoes, a failing login, cancel, shutdown, and no child left behind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <event2/event.h>

#include "log.h"
#include "transport/ssh.h"
#include "transport/transport.h"

#define ERRLEN      300
#define DIRLEN      64
#define PATHLEN     128
#define FILELEN     4096
#define TICK_MS     5
#define WAIT_MS     5000u     /* for things that take milliseconds */
#define HANGUP_MS   8000u     /* the grace period after a hangup, and some */
#define LEAK_FD     9         /* open in the parent, must be shut in ssh */
#define SSH_DENIED  "Permission denied (publickey)."

struct fixture {
	char dir[DIRLEN];
	char echo[PATHLEN];      /* records its argv, then cat */
	char deny[PATHLEN];      /* what ssh says to a wrong key */
	char sleeper[PATHLEN];   /* ignores stdin */
	char stubborn[PATHLEN];  /* ignores stdin and SIGTERM */
	char log[PATHLEN];
};

struct result {
	int called;
	int fd;
	char err[ERRLEN];
};

static struct fixture fx;

static void
done_cb(void *arg, int fd, const char *err)
{
	struct result *r = arg;

	r->called++;
	r->fd = fd;
	snprintf(r->err, sizeof r->err, "%s", err ? err : "");
}

static void
path_in(char *out, const char *name)
{
	snprintf(out, PATHLEN, "%.*s/%.*s", DIRLEN, fx.dir, DIRLEN - 2, name);
}

static void
write_script(const char *path, const char *body)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s", body);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0700), 0);
}

static void
read_file(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	out[0] = '\0';
	if (f == NULL)
		return;
	n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	fclose(f);
}

static int
group_setup(void **state)
{
	char body[1024];

	(void)state;
	snprintf(fx.dir, sizeof fx.dir, "/tmp/test_ssh.XXXXXX");
	if (mkdtemp(fx.dir) == NULL)
		return -1;
	path_in(fx.echo, "fake-echo");
	path_in(fx.deny, "fake-deny");
	path_in(fx.sleeper, "fake-sleep");
	path_in(fx.stubborn, "fake-stubborn");
	path_in(fx.log, "log");
	snprintf(body, sizeof body,
	    "printf '%%s\\n' \"$@\" > %s/argv\n"
	    "cut -d' ' -f1,6 /proc/$$/stat > %s/sid\n"
	    "grep SigIgn /proc/$$/status > %s/sigign\n"
	    "if [ -e /proc/$$/fd/%d ]; then echo leaked > %s/leak; fi\n"
	    "exec cat\n", fx.dir, fx.dir, fx.dir, LEAK_FD, fx.dir);
	write_script(fx.echo, body);
	/* A moment first, so the tunnel is handed over before it fails, as
	 * with a real ssh that spends a round trip on the key. */
	snprintf(body, sizeof body, "sleep 0.2\necho 'debug-ish chatter' >&2\n"
	    "printf '%%s\\r\\n' '%s' >&2\nexit 255\n", SSH_DENIED);
	write_script(fx.deny, body);
	write_script(fx.sleeper, "exec sleep 1000\n");
	snprintf(body, sizeof body, "trap '' TERM\ntouch %s/ready\n"
	    "exec sleep 1000\n", fx.dir);
	write_script(fx.stubborn, body);
	/* As the client does: a peer that went away is an error, not death. */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int
group_teardown(void **state)
{
	const char *names[] = { "fake-echo", "fake-deny", "fake-sleep",
	    "fake-stubborn", "log", "argv", "sid", "sigign", "leak",
	    "ready" };
	char p[PATHLEN];

	(void)state;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		path_in(p, names[i]);
		unlink(p);
	}
	rmdir(fx.dir);
	return 0;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

/* Turns of the loop until cond holds or ms pass; cond's last value. */
static int
run_until(struct event_base *base, int (*cond)(void *), void *arg,
    unsigned ms)
{
	struct event *tick = event_new(base, -1, EV_PERSIST, tick_cb, NULL);
	struct timeval tv = { 0, TICK_MS * 1000 };
	uint64_t end = now_ms() + ms;
	int ok;

	assert_non_null(tick);
	event_add(tick, &tv);
	while (!(ok = cond(arg)) && now_ms() < end)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(tick);
	return ok;
}

static int
is_called(void *arg)
{
	return ((struct result *)arg)->called > 0;
}

static int
no_children(void *arg)
{
	(void)arg;
	return ssh_live_children() == 0;
}

static void
assert_no_zombie(void)
{
	errno = 0;
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void
target_init(struct transport_target *t, const char *host, const char *dest)
{
	memset(t, 0, sizeof *t);
	t->host = host;
	t->port = 7777;
	t->ssh_dest = dest;
}

static int
build(const struct transport_target *t, char **argv, char *buf, char *err)
{
	return ssh_build_argv(t, argv, SSH_ARGV_MAX, buf, SSH_ARGV_BUF, err,
	    ERRLEN);
}

static void
assert_argv(char **argv, int argc, const char *const *want)
{
	int n = 0;

	while (want[n] != NULL)
		n++;
	for (int i = 0; i < n && i < argc; i++)
		assert_string_equal(argv[i], want[i]);
	assert_int_equal(argc, n);
	assert_null(argv[argc]);
}

static void
test_argv_plain(void **state)
{
	static const char *const want[] = { "ssh", "-W", "hub.example:7777",
	    "-o", "BatchMode=yes", "-o", "ExitOnForwardFailure=yes",
	    "-o", "ControlPersist=no",
	    "-o", "ServerAliveInterval=10", "-o", "ServerAliveCountMax=3",
	    "-o", "ConnectTimeout=10", "--", "gw.example", NULL };
	struct transport_target t;
	char *argv[SSH_ARGV_MAX], buf[SSH_ARGV_BUF], err[ERRLEN];

	(void)state;
	target_init(&t, "hub.example", "gw.example");
	assert_argv(argv, build(&t, argv, buf, err), want);
}

static void
test_argv_user_port(void **state)
{
	static const char *const want[] = { "ssh", "-W", "10.1.2.3:443",
	    "-o", "BatchMode=yes", "-o", "ExitOnForwardFailure=yes",
	    "-o", "ControlPersist=no",
	    "-o", "ServerAliveInterval=10", "-o", "ServerAliveCountMax=3",
	    "-o", "ConnectTimeout=10", "-p", "2222", "--",
	    "alice@gw.example", NULL };
	struct transport_target t;
	char *argv[SSH_ARGV_MAX], buf[SSH_ARGV_BUF], err[ERRLEN];

	(void)state;
	target_init(&t, "10.1.2.3", "alice@gw.example:2222");
	t.port = 443;
	assert_argv(argv, build(&t, argv, buf, err), want);
}

static void
test_argv_ipv6(void **state)
{
	struct transport_target t;
	char *argv[SSH_ARGV_MAX], buf[SSH_ARGV_BUF], err[ERRLEN];
	int argc;

	(void)state;
	target_init(&t, "2001:db8::1", "bob@[2001:db8::2]:22");
	argc = build(&t, argv, buf, err);
	assert_true(argc > 4);
	assert_string_equal(argv[2], "[2001:db8::1]:7777");
	assert_string_equal(argv[argc - 4], "-p");
	assert_string_equal(argv[argc - 3], "22");
	assert_string_equal(argv[argc - 2], "--");
	assert_string_equal(argv[argc - 1], "bob@2001:db8::2");

	/* Bracketed without a port, and bare: no -p. */
	t.ssh_dest = "[::1]";
	argc = build(&t, argv, buf, err);
	assert_true(argc > 2);
	assert_string_equal(argv[argc - 2], "--");
	assert_string_equal(argv[argc - 1], "::1");
	assert_string_not_equal(argv[argc - 4], "-p");
	t.ssh_dest = "carol@fe80::1";
	argc = build(&t, argv, buf, err);
	assert_true(argc > 2);
	assert_string_equal(argv[argc - 1], "carol@fe80::1");
	assert_string_not_equal(argv[argc - 4], "-p");
}

static void
test_argv_options(void **state)
{
	static const char *const want[] = { "ssh", "-W", "hub:7777",
	    "-o", "BatchMode=yes", "-o", "ExitOnForwardFailure=yes",
	    "-o", "ControlPersist=no",
	    "-o", "IdentityFile=/tmp/key", "-o", "ServerAliveInterval=30",
	    "-o", "ProxyJump=jump.example",
	    "-o", "ServerAliveInterval=10", "-o", "ServerAliveCountMax=3",
	    "-o", "ConnectTimeout=10", "--", "gw", NULL };
	struct transport_target t;
	char *argv[SSH_ARGV_MAX], buf[SSH_ARGV_BUF], err[ERRLEN];

	(void)state;
	target_init(&t, "hub", "gw");
	t.ssh_options[t.nssh_options++] = "IdentityFile=/tmp/key";
	/* Before our default: ssh keeps the first value, so the user's
	 * wins. */
	t.ssh_options[t.nssh_options++] = "ServerAliveInterval=30";
	t.ssh_options[t.nssh_options++] = "ProxyJump=jump.example";
	assert_argv(argv, build(&t, argv, buf, err), want);

	/* All of them, each as long as fits. */
	static char big[TRANSPORT_MAX_SSH_OPTIONS][64];
	t.nssh_options = 0;
	for (unsigned i = 0; i < TRANSPORT_MAX_SSH_OPTIONS; i++) {
		snprintf(big[i], sizeof big[i], "SetEnv=V%u=%040u", i, i);
		t.ssh_options[t.nssh_options++] = big[i];
	}
	assert_true(build(&t, argv, buf, err) > 0);
	/* A buffer too small is an error, not an overflow. */
	assert_int_equal(ssh_build_argv(&t, argv, SSH_ARGV_MAX, buf, 64, err,
	    ERRLEN), -1);
	assert_int_equal(ssh_build_argv(&t, argv, 8, buf, SSH_ARGV_BUF, err,
	    ERRLEN), -1);
	assert_non_null(strstr(err, "too long"));
}

static void
expect_refused(const char *host, const char *dest, const char *opt,
    const char *why)
{
	struct transport_target t;
	char *argv[SSH_ARGV_MAX], buf[SSH_ARGV_BUF], err[ERRLEN];

	target_init(&t, host, dest);
	if (opt != NULL)
		t.ssh_options[t.nssh_options++] = opt;
	err[0] = '\0';
	assert_int_equal(build(&t, argv, buf, err), -1);
	if (strstr(err, why) == NULL)
		fail_msg("%s / %s: '%s' lacks '%s'", dest ? dest : "(null)",
		    opt ? opt : "", err, why);
	/* check() says the same before anything runs. */
	const char *lack = transport_ssh.check(&t);
	assert_non_null(lack);
	assert_non_null(strstr(lack, why));
}

static void
test_argv_refused(void **state)
{
	(void)state;
	/* Destinations. */
	expect_refused("hub", NULL, NULL, "needs --ssh");
	expect_refused("hub", "", NULL, "needs --ssh");
	expect_refused("hub", "-oProxyCommand=sh -c id", NULL,
	    "must not start with '-'");
	expect_refused("hub", "-p2222", NULL, "must not start with '-'");
	expect_refused("hub", "root@-oProxyCommand=x", NULL, "expected");
	expect_refused("hub", "@gw", NULL, "empty user");
	expect_refused("hub", "gw:0", NULL, "expected");
	expect_refused("hub", "gw:65536", NULL, "expected");
	expect_refused("hub", "gw:22x", NULL, "expected");
	expect_refused("hub", "gw:", NULL, "expected");
	expect_refused("hub", "gw:+22", NULL, "expected");
	expect_refused("hub", "[::1", NULL, "expected");
	expect_refused("hub", "[::1]x", NULL, "expected");
	expect_refused("hub", "[]:22", NULL, "expected");
	expect_refused("hub", "u@", NULL, "expected");
	expect_refused("hub", "gw/x", NULL, "expected");
	expect_refused("hub", "gw name", NULL, "space or a control");
	expect_refused("hub", "gw\nProxyCommand x", NULL, "control");
	/* The hub. */
	expect_refused("", "gw", NULL, "hub's address");
	expect_refused("-hub", "gw", NULL, "hub's address");
	expect_refused("hub\r", "gw", NULL, "hub's address");
	/* Options. */
	expect_refused("hub", "gw", "NoEquals", "expected KEY=VALUE");
	expect_refused("hub", "gw", "=x", "expected KEY=VALUE");
	expect_refused("hub", "gw", "User=", "expected KEY=VALUE");
	expect_refused("hub", "gw", "User x=y", "letters and digits");
	expect_refused("hub", "gw", "Local_Command=x", "letters and digits");
	expect_refused("hub", "gw", "User=x\ny", "control character");
	expect_refused("hub", "gw", "ProxyCommand=nc %h %p", "runs a command");
	expect_refused("hub", "gw", "proxycommand=nc %h %p", "runs a command");
	expect_refused("hub", "gw", "LocalCommand=id", "runs a command");
	expect_refused("hub", "gw", "PermitLocalCommand=yes",
	    "runs a command");
	expect_refused("hub", "gw", "KnownHostsCommand=x", "runs a command");
	expect_refused("hub", "gw", "PKCS11Provider=/x.so", "loads code");
	expect_refused("hub", "gw", "RemoteForward=80 x:80", "forwarding");
	expect_refused("hub", "gw", "LOCALFORWARD=80 x:80", "forwarding");
	expect_refused("hub", "gw", "ClearAllForwardings=no", "forwarding");
	expect_refused("hub", "gw", "RemoteCommand=sh", "forwarding");
	expect_refused("hub", "gw", "BatchMode=no", "always yes");
	expect_refused("hub", "gw", "ExitOnForwardFailure=no", "always yes");
	expect_refused("hub", "gw", "ControlPersist=yes", "background");
	expect_refused("hub", "gw", "Include=/etc/x", "from a file");
	expect_refused("hub", "gw", "Match=exec x", "not an option");
}

static void
test_check(void **state)
{
	struct transport_target t;

	(void)state;
	target_init(&t, "hub", "root@gw:2222");
	t.ssh_options[t.nssh_options++] = "StrictHostKeyChecking=accept-new";
	assert_null(transport_ssh.check(&t));
	assert_ptr_equal(&transport_ssh, transport_find("ssh"));
	t.proxy_host = "proxy";
	t.proxy_port = 3128;
	assert_non_null(transport_ssh.check(&t));
}

static void
use_fake(const char *path)
{
	transport_ssh_set_program(path);
}

static struct transport_conn *
start(struct event_base *base, struct transport_target *t, struct result *r)
{
	struct transport_conn *c;

	memset(r, 0, sizeof *r);
	r->fd = -2;
	c = transport_ssh.connect(base, t, done_cb, r);
	assert_non_null(c);
	/* Never from inside connect(). */
	assert_int_equal(r->called, 0);
	return c;
}

struct echo {
	int fd;
	char got[64];
	size_t len, want;
};

static int
echoed(void *arg)
{
	struct echo *e = arg;
	ssize_t n = read(e->fd, e->got + e->len, sizeof e->got - 1 - e->len);

	if (n > 0)
		e->len += (size_t)n;
	return e->len >= e->want;
}

static void
test_echo_tunnel(void **state)
{
	static const char msg[] = "hello through the tunnel";
	struct event_base *base = event_base_new();
	struct transport_target t;
	struct result r;
	struct echo e;
	char *argv[SSH_ARGV_MAX], buf[SSH_ARGV_BUF], err[ERRLEN];
	char got[FILELEN], want[FILELEN], p[PATHLEN], sid[64];
	int devnull, leak, argc;
	long pid = 0, session = -1;

	(void)state;
	assert_non_null(base);
	/* An fd without O_CLOEXEC, as a careless library might leave. */
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(devnull >= 0);
	leak = dup2(devnull, LEAK_FD);
	assert_int_equal(leak, LEAK_FD);
	close(devnull);
	use_fake(fx.echo);
	target_init(&t, "::1", "tester@gw.example:2222");
	t.ssh_options[t.nssh_options++] = "IdentityFile=/tmp/some key";
	start(base, &t, &r);
	assert_true(run_until(base, is_called, &r, WAIT_MS));
	assert_int_equal(r.called, 1);
	assert_true(r.fd >= 0);
	assert_string_equal(r.err, "");
	assert_true(fcntl(r.fd, F_GETFL) & O_NONBLOCK);
	assert_int_equal(ssh_live_children(), 1);

	assert_int_equal(write(r.fd, msg, sizeof msg - 1),
	    (ssize_t)(sizeof msg - 1));
	memset(&e, 0, sizeof e);
	e.fd = r.fd;
	e.want = sizeof msg - 1;
	assert_true(run_until(base, echoed, &e, WAIT_MS));
	assert_memory_equal(e.got, msg, sizeof msg - 1);

	/* The caller closes: cat sees EOF, exits, and is reaped. */
	close(r.fd);
	assert_true(run_until(base, no_children, NULL, WAIT_MS));
	assert_no_zombie();
	close(leak);

	/* What the program got is what ssh_build_argv() makes. */
	argc = build(&t, argv, buf, err);
	want[0] = '\0';
	for (int i = 1; i < argc; i++)
		snprintf(want + strlen(want), sizeof want - strlen(want),
		    "%s\n", argv[i]);
	path_in(p, "argv");
	read_file(p, got, sizeof got);
	assert_string_equal(got, want);
	/* Its own session; no fd of ours; SIGPIPE not ignored. */
	path_in(p, "sid");
	read_file(p, sid, sizeof sid);
	assert_int_equal(sscanf(sid, "%ld %ld", &pid, &session), 2);
	assert_int_equal(pid, session);
	path_in(p, "leak");
	assert_int_equal(access(p, F_OK), -1);
	path_in(p, "sigign");
	read_file(p, got, sizeof got);
	/* The shell running the script may ignore job-control signals of its
	 * own; what must not leak through is our SIGPIPE (bit 13 - 1). */
	unsigned long long ign = 0;
	assert_int_equal(sscanf(got, "SigIgn:\t%llx", &ign), 1);
	assert_int_equal(ign & (1ull << (SIGPIPE - 1)), 0);

	transport_ssh_shutdown();
	event_base_free(base);
}

static int log_saved = -1;

static void
capture_start(void)
{
	int f = open(fx.log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(f >= 0);
	fflush(stderr);
	log_saved = dup(STDERR_FILENO);
	dup2(f, STDERR_FILENO);
	close(f);
}

static void
capture_end(char *out, size_t len)
{
	fflush(stderr);
	dup2(log_saved, STDERR_FILENO);
	close(log_saved);
	read_file(fx.log, out, len);
	fputs(out, stderr);
}

struct eof {
	int fd;
	int seen;
};

static int
eof_seen(void *arg)
{
	struct eof *e = arg;
	char b[64];
	ssize_t n = read(e->fd, b, sizeof b);

	if (n == 0 || (n < 0 && errno != EAGAIN))
		e->seen = 1;
	return e->seen && ssh_live_children() == 0;
}

static void
test_denied(void **state)
{
	struct event_base *base = event_base_new();
	struct transport_target t;
	struct result r;
	struct eof e;
	char logtext[FILELEN];
	int ok;

	(void)state;
	assert_non_null(base);
	use_fake(fx.deny);
	target_init(&t, "127.0.0.1", "root@127.0.0.1:2222");
	capture_start();
	start(base, &t, &r);
	ok = run_until(base, is_called, &r, WAIT_MS);
	e.fd = r.fd;
	e.seen = 0;
	if (ok && r.fd >= 0)
		ok = run_until(base, eof_seen, &e, WAIT_MS);
	capture_end(logtext, sizeof logtext);
	assert_true(ok);
	/* The tunnel came first; then ssh failed and the caller saw EOF. */
	assert_true(r.fd >= 0);
	assert_true(e.seen);
	close(r.fd);
	assert_int_equal(ssh_live_children(), 0);
	assert_no_zombie();
	assert_non_null(strstr(logtext, "ssh: debug-ish chatter\n"));
	assert_non_null(strstr(logtext, "ssh: " SSH_DENIED "\n"));
	assert_non_null(strstr(logtext,
	    "ssh exited with status 255: " SSH_DENIED "\n"));
	transport_ssh_shutdown();
	event_base_free(base);
}

static void
test_no_program(void **state)
{
	struct event_base *base = event_base_new();
	struct transport_target t;
	struct result r;
	char logtext[FILELEN], all[FILELEN + ERRLEN];
	int ok;

	(void)state;
	assert_non_null(base);
	use_fake("/nonexistent/ssh");
	target_init(&t, "127.0.0.1", "gw");
	capture_start();
	start(base, &t, &r);
	ok = run_until(base, is_called, &r, WAIT_MS) &&
	    run_until(base, no_children, NULL, WAIT_MS);
	capture_end(logtext, sizeof logtext);
	assert_true(ok);
	if (r.fd >= 0)
		close(r.fd);
	assert_no_zombie();
	/* Whether the tunnel was handed over first or not, the reason is
	 * said once, in the log or through done(). */
	snprintf(all, sizeof all, "%s%s", logtext, r.err);
	assert_non_null(strstr(all, "ssh exited with status 127: cannot run "
	    "/nonexistent/ssh: No such file or directory"));
	transport_ssh_shutdown();
	event_base_free(base);
}

static void
test_cancel(void **state)
{
	struct event_base *base = event_base_new();
	struct transport_target t;
	struct transport_conn *c;
	struct result r;

	(void)state;
	assert_non_null(base);
	use_fake(fx.sleeper);
	target_init(&t, "127.0.0.1", "gw");
	c = start(base, &t, &r);
	assert_int_equal(ssh_live_children(), 1);
	transport_ssh.cancel(c);
	assert_true(run_until(base, no_children, NULL, WAIT_MS));
	assert_int_equal(r.called, 0);
	assert_no_zombie();
	transport_ssh_shutdown();
	event_base_free(base);
}

static void
test_hangup(void **state)
{
	struct event_base *base = event_base_new();
	struct transport_target t;
	struct result r;

	(void)state;
	assert_non_null(base);
	use_fake(fx.sleeper);
	target_init(&t, "127.0.0.1", "gw");
	start(base, &t, &r);
	assert_true(run_until(base, is_called, &r, WAIT_MS));
	assert_true(r.fd >= 0);
	/* A child that does not notice the closed tunnel is stopped after
	 * a grace period. */
	close(r.fd);
	assert_true(run_until(base, no_children, NULL, HANGUP_MS));
	assert_no_zombie();
	transport_ssh_shutdown();
	event_base_free(base);
}

static int
ready(void *arg)
{
	char p[PATHLEN];

	(void)arg;
	path_in(p, "ready");
	return access(p, F_OK) == 0;
}

static void
test_shutdown(void **state)
{
	struct event_base *base = event_base_new();
	struct transport_target t;
	struct result r1, r2;
	uint64_t t0;

	(void)state;
	assert_non_null(base);
	target_init(&t, "127.0.0.1", "gw");
	use_fake(fx.sleeper);
	start(base, &t, &r1);
	use_fake(fx.stubborn);
	start(base, &t, &r2);
	assert_int_equal(ssh_live_children(), 2);
	assert_true(run_until(base, is_called, &r1, WAIT_MS));
	assert_true(run_until(base, is_called, &r2, WAIT_MS));
	assert_true(run_until(base, ready, NULL, WAIT_MS));
	/* The tunnels stay open: only shutdown ends these two. */
	t0 = now_ms();
	transport_ssh_shutdown();
	assert_true(now_ms() - t0 < WAIT_MS);
	assert_int_equal(ssh_live_children(), 0);
	assert_no_zombie();
	close(r1.fd);
	close(r2.fd);
	/* Nothing left to do; and again is harmless. */
	transport_ssh_shutdown();
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_argv_plain),
		cmocka_unit_test(test_argv_user_port),
		cmocka_unit_test(test_argv_ipv6),
		cmocka_unit_test(test_argv_options),
		cmocka_unit_test(test_argv_refused),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_echo_tunnel),
		cmocka_unit_test(test_denied),
		cmocka_unit_test(test_no_program),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_hangup),
		cmocka_unit_test(test_shutdown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
