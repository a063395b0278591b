/*
 * test_hook.c: the card's --up and --down commands: words as the console
 * splits them (no shell), the environment they are told (SOFTETHER_*, a
 * peer's words made plain), and, with real children on an event loop,
 * that an up and its down run in order, once each, and that a down undoes
 * an up that never started.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <event2/event.h>

#include "hook.h"

static void
t_split(const char *cmd, size_t argc, ...)
{
	struct admincmd_line l;
	char err[256];
	va_list ap;

	if (hook_split(cmd, &l, err, sizeof err) != 0)
		fail_msg("%s: %s", cmd, err);
	assert_int_equal(l.argc, argc);
	va_start(ap, argc);
	for (size_t i = 0; i < argc; i++)
		assert_string_equal(l.argv[i], va_arg(ap, const char *));
	va_end(ap);
}

static void
t_split_bad(const char *cmd, const char *want)
{
	struct admincmd_line l;
	char err[256];

	assert_int_equal(hook_split(cmd, &l, err, sizeof err), -1);
	assert_string_equal(err, want);
}

static void
test_split(void **state)
{
	char big[ADMINCMD_LINE_MAX + 2];

	(void)state;
	t_split("/etc/softether/up.sh", 1, "/etc/softether/up.sh");
	t_split("  ip  route add 10.9.0.0/16\tdev vpn0 ", 6, "ip", "route",
	    "add", "10.9.0.0/16", "dev", "vpn0");
	/* Quotes and escapes, and nothing a shell would do. */
	t_split("/x 'a b' \"c \\\"d\\\"\" e\\ f", 4, "/x", "a b", "c \"d\"",
	    "e f");
	t_split("/x $(id) `id` a;b >out *", 6, "/x", "$(id)", "`id`", "a;b",
	    ">out", "*");
	t_split("sh -c 'ip route add 10.9.0.0/16 dev \"$SOFTETHER_IFACE\"'", 3,
	    "sh", "-c", "ip route add 10.9.0.0/16 dev \"$SOFTETHER_IFACE\"");
	t_split_bad("", "expected a command and its arguments");
	t_split_bad("   ", "expected a command and its arguments");
	t_split_bad("'' x", "expected a command and its arguments");
	t_split_bad("/x 'a", "unterminated single quote");
	t_split_bad("/x \"a", "unterminated double quote");
	t_split_bad("a b c d e f g h i j k l m n o p q",
	    "too many words (at most 16)");
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	t_split_bad(big, "line too long (at most 1024 bytes)");
}

/* The value of NAME in envp, or NULL. */
static const char *
env_get(char **envp, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; envp[i] != NULL; i++)
		if (strncmp(envp[i], name, len) == 0 && envp[i][len] == '=')
			return envp[i] + len + 1;
	return NULL;
}

static size_t
env_count(char **envp)
{
	size_t n = 0;

	while (envp[n] != NULL)
		n++;
	return n;
}

static void
test_env(void **state)
{
	char *base[] = { "PATH=/usr/bin:/bin", "SOFTETHER_REASON=stale",
	    "HOME=/root", "SOFTETHER_EVENT=forged", NULL };
	char reason[HOOK_VALUE_MAX + 100];
	struct hook_vars v = { .ifname = "vpn0", .mac = "5e:00:00:00:00:0a",
	    .hub = "fd00::1", .port = 443, .hub_name = "DEFAULT",
	    .user = "alice", .transport = "http-proxy",
	    .session = 18446744073709551615ull, .reason = "kicked" };
	char **e;

	(void)state;
	e = hook_env(HOOK_UP, &v, base);
	assert_non_null(e);
	/* The card's environment, but its own SOFTETHER_* ones. */
	assert_string_equal(e[0], "PATH=/usr/bin:/bin");
	assert_string_equal(e[1], "HOME=/root");
	assert_string_equal(env_get(e, "SOFTETHER_EVENT"), "up");
	assert_string_equal(env_get(e, "SOFTETHER_IFACE"), "vpn0");
	assert_string_equal(env_get(e, "SOFTETHER_MAC"), "5e:00:00:00:00:0a");
	assert_string_equal(env_get(e, "SOFTETHER_HUB"), "fd00::1");
	assert_string_equal(env_get(e, "SOFTETHER_HUB_PORT"), "443");
	assert_string_equal(env_get(e, "SOFTETHER_HUB_NAME"), "DEFAULT");
	assert_string_equal(env_get(e, "SOFTETHER_USER"), "alice");
	assert_string_equal(env_get(e, "SOFTETHER_TRANSPORT"), "http-proxy");
	assert_string_equal(env_get(e, "SOFTETHER_SESSION"),
	    "18446744073709551615");
	/* No --ip, and a reason only for a down. */
	assert_null(env_get(e, "SOFTETHER_IP"));
	assert_null(env_get(e, "SOFTETHER_REASON"));
	assert_int_equal(env_count(e), 2 + 9);
	free(e);

	/* A peer's words: control bytes made '?', cut to the bound. */
	memset(reason, 'r', sizeof reason - 1);
	reason[sizeof reason - 1] = '\0';
	memcpy(reason, "bye\n\r\x1b[2J\x7f\xc3\xa9", 12);
	v.reason = reason;
	v.ip = "192.168.77.1/24";
	v.mac = NULL;
	e = hook_env(HOOK_DOWN, &v, NULL);
	assert_non_null(e);
	assert_string_equal(env_get(e, "SOFTETHER_EVENT"), "down");
	assert_string_equal(env_get(e, "SOFTETHER_IP"), "192.168.77.1/24");
	assert_null(env_get(e, "SOFTETHER_MAC"));
	const char *r = env_get(e, "SOFTETHER_REASON");
	assert_non_null(r);
	assert_int_equal(strlen(r), HOOK_VALUE_MAX - 1);
	assert_memory_equal(r, "bye???[2J?\xc3\xa9rr", 14);
	assert_int_equal(env_count(e), 10);
	free(e);
}

/* ---- Real children ---------------------------------------------------- */

struct run {
	struct event_base *base;
	int idle;
};

static void
run_idle(void *arg)
{
	struct run *r = arg;

	r->idle = 1;
	event_base_loopexit(r->base, NULL);
}

/* Until every hook has run (at most 10 s). */
static void
run_until_idle(struct run *r, struct hook *h)
{
	struct timeval tv = { 10, 0 };

	r->idle = 0;
	if (!hook_wait(h, run_idle, r))
		return;
	event_base_loopexit(r->base, &tv);
	event_base_dispatch(r->base);
	assert_true(r->idle);
}

static char *
slurp(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return strcpy(buf, "");
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void
test_run(void **state)
{
	char dir[] = "/tmp/test_hook.XXXXXX", up[512], down[512], out[300];
	struct hook_vars v = { .ifname = "vpn9", .hub = "10.0.0.1",
	    .port = 7777, .hub_name = "DEFAULT", .user = "u",
	    .transport = "direct", .session = 7 };
	struct run r;
	struct hook *h;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(out, sizeof out, "%s/out", dir);
	/* The up is slow, so what follows it queues. */
	snprintf(up, sizeof up, "sh -c 'sleep 0.3; echo \"$SOFTETHER_EVENT "
	    "$SOFTETHER_SESSION $1\" >>%s' sh 'a b'", out);
	snprintf(down, sizeof down, "sh -c 'echo \"$SOFTETHER_EVENT "
	    "$SOFTETHER_SESSION $SOFTETHER_REASON\" >>%s'", out);
	r.base = event_base_new();
	assert_non_null(r.base);
	assert_null(hook_new(r.base, NULL, NULL));
	h = hook_new(r.base, up, down);
	assert_non_null(h);

	/* A down with no up before it is nothing. */
	hook_event(h, HOOK_DOWN, &v);
	assert_int_equal(hook_wait(h, run_idle, &r), 0);
	/* Session 7 up, then down while its up runs; session 8 comes and
	 * goes before 7's down starts: its up and down never run. */
	hook_event(h, HOOK_UP, &v);
	assert_true(hook_is_up(h));
	hook_event(h, HOOK_UP, &v);		/* once per session */
	v.reason = "peer said goodbye";
	hook_event(h, HOOK_DOWN, &v);
	assert_false(hook_is_up(h));
	v.session = 8;
	v.reason = NULL;
	hook_event(h, HOOK_UP, &v);
	v.reason = "kicked";
	hook_event(h, HOOK_DOWN, &v);
	run_until_idle(&r, h);
	assert_string_equal(slurp(out), "up 7 a b\ndown 7 peer said goodbye\n");

	/* A command that cannot be run, and one that fails: the next still
	 * runs. */
	hook_free(h);
	h = hook_new(r.base, "/nonexistent/hook", "false");
	assert_non_null(h);
	hook_event(h, HOOK_UP, &v);
	run_until_idle(&r, h);
	hook_event(h, HOOK_DOWN, &v);
	run_until_idle(&r, h);
	hook_free(h);

	unlink(out);
	rmdir(dir);
	event_base_free(r.base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
