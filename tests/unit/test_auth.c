/*
 * test_auth.c: password hashes, the verification worker driven through a
 * real event loop, and the failed-login throttle on a fake clock.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "auth.h"

#define PW_GOOD       "correct horse battery staple"
#define PW_BAD        "correct horse battery stapler"
#define LOOP_LIMIT_S  10
#define QUIET_MS      500
#define T0            1000000u

static char good_hash[AUTH_HASH_MAX];
static useconds_t verify_us;   /* one verification, measured */

struct loop_ctx {
	struct event_base *base;
	int called;
	int ok;
	int timed_out;
};

static int
group_setup(void **state)
{
	struct timespec a, b;

	(void)state;
	if (auth_hash_password(PW_GOOD, strlen(PW_GOOD), good_hash) != 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (!auth_verify_password(good_hash, PW_GOOD, strlen(PW_GOOD)))
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &b);
	verify_us = (useconds_t)((b.tv_sec - a.tv_sec) * 1000000 +
	    (b.tv_nsec - a.tv_nsec) / 1000);
	return 0;
}

static void
on_done(void *arg, int ok)
{
	struct loop_ctx *c = arg;

	c->called++;
	c->ok = ok;
	event_base_loopbreak(c->base);
}

static void
on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct loop_ctx *c = arg;

	(void)fd;
	(void)what;
	c->timed_out = 1;
	event_base_loopbreak(c->base);
}

/* Run the loop until something breaks it or ms pass. */
static void
run_loop(struct loop_ctx *c, long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	struct event *t;

	c->timed_out = 0;
	t = evtimer_new(c->base, on_timeout, c);
	assert_non_null(t);
	assert_int_equal(evtimer_add(t, &tv), 0);
	assert_int_equal(event_base_dispatch(c->base), 0);
	event_free(t);
}

/* Submit one job and wait for its verdict. */
static int
verify_async(struct auth_worker *w, struct loop_ctx *c, const char *hash,
    const char *pw)
{
	c->called = 0;
	c->ok = -1;
	assert_non_null(auth_verify_async(w, hash, pw, strlen(pw), on_done,
	    c));
	run_loop(c, LOOP_LIMIT_S * 1000L);
	if (c->timed_out)
		fail_msg("no verdict within %d s", LOOP_LIMIT_S);
	assert_int_equal(c->called, 1);
	return c->ok;
}

static void
test_hash_verify(void **state)
{
	char h[AUTH_HASH_MAX];

	(void)state;
	assert_true(auth_verify_password(good_hash, PW_GOOD,
	    strlen(PW_GOOD)));
	assert_false(auth_verify_password(good_hash, PW_BAD, strlen(PW_BAD)));
	/* Length is honoured: a prefix of the password is not the password. */
	assert_false(auth_verify_password(good_hash, PW_GOOD,
	    strlen(PW_GOOD) - 1));
	assert_false(auth_verify_password(NULL, PW_GOOD, strlen(PW_GOOD)));
	assert_false(auth_verify_password("garbage", PW_GOOD,
	    strlen(PW_GOOD)));

	/* Bytes, not strings: an embedded NUL is part of the password. */
	assert_int_equal(auth_hash_password("a\0b", 3, h), 0);
	assert_true(auth_verify_password(h, "a\0b", 3));
	assert_false(auth_verify_password(h, "a", 1));
	/* Salted: the same password hashes differently each time. */
	assert_string_not_equal(h, good_hash);
}

static void
test_hash_valid(void **state)
{
	char longer[AUTH_HASH_MAX + 8];
	char trailing[AUTH_HASH_MAX + 1];

	(void)state;
	assert_true(auth_hash_valid(good_hash));
	assert_int_equal(strncmp(good_hash, "$argon2id$v=19$", 15), 0);
	assert_false(auth_hash_valid(NULL));
	assert_false(auth_hash_valid(""));
	assert_false(auth_hash_valid("garbage"));
	assert_false(auth_hash_valid("$argon2id$v=19$"));
	assert_false(auth_hash_valid("$argon2id$v=19$m=65536,t=2,p=1$xx$yy"));
	assert_false(auth_hash_valid("$argon2i$v=19$m=32768,t=4,p=1$"
	    "c29tZXNhbHRzb21lc2FsdA$c29tZXNhbHRzb21lc2FsdHNvbWVzYWx0c29tZXNhbHQ"));
	assert_false(auth_hash_valid("$argon2id$v=16$m=65536,t=2,p=1$"
	    "c29tZXNhbHRzb21lc2FsdA$c29tZXNhbHRzb21lc2FsdHNvbWVzYWx0c29tZXNhbHQ"));
	/* Other cost parameters are still a usable hash. */
	assert_true(auth_hash_valid("$argon2id$v=19$m=32768,t=3,p=1$"
	    "c29tZXNhbHRzb21lc2FsdA$c29tZXNhbHRzb21lc2FsdHNvbWVzYWx0c29tZXNhbHQ"));

	snprintf(trailing, sizeof trailing, "%s!", good_hash);
	assert_false(auth_hash_valid(trailing));

	memset(longer, 'A', sizeof longer);
	memcpy(longer, good_hash, strlen(good_hash));
	longer[sizeof longer - 1] = '\0';
	assert_false(auth_hash_valid(longer));
}

static void
test_async_verdicts(void **state)
{
	struct loop_ctx c = { 0 };
	struct auth_worker *w;

	(void)state;
	assert_non_null(c.base = event_base_new());
	assert_non_null(w = auth_worker_new(c.base));
	assert_int_equal(verify_async(w, &c, good_hash, PW_GOOD), 1);
	assert_int_equal(verify_async(w, &c, good_hash, PW_BAD), 0);
	assert_int_equal(verify_async(w, &c, NULL, PW_GOOD), 0);
	assert_int_equal(verify_async(w, &c, "not a hash", PW_GOOD), 0);
	auth_worker_free(w);
	event_base_free(c.base);
}

static void
test_async_unknown_user_timing(void **state)
{
	struct loop_ctx c = { 0 };
	struct auth_worker *w;
	struct timespec a, b, d;
	double known, unknown;

	(void)state;
	assert_non_null(c.base = event_base_new());
	assert_non_null(w = auth_worker_new(c.base));
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(verify_async(w, &c, good_hash, PW_BAD), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_int_equal(verify_async(w, &c, NULL, PW_BAD), 0);
	clock_gettime(CLOCK_MONOTONIC, &d);
	known = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	unknown = (double)(d.tv_sec - b.tv_sec) + (d.tv_nsec - b.tv_nsec) / 1e9;
	/* Loose bound: only "the dummy costs a real hash", not precision. */
	assert_true(unknown > known / 3);
	auth_worker_free(w);
	event_base_free(c.base);
}

static void
test_async_cancel(void **state)
{
	struct loop_ctx c = { 0 }, c2 = { 0 };
	struct auth_worker *w;
	struct auth_job *j;

	(void)state;
	assert_non_null(c.base = event_base_new());
	c2.base = c.base;
	assert_non_null(w = auth_worker_new(c.base));

	/* Cancelled while queued. */
	assert_non_null(j = auth_verify_async(w, good_hash, PW_GOOD,
	    strlen(PW_GOOD), on_done, &c));
	auth_job_cancel(j);
	run_loop(&c, QUIET_MS);
	assert_int_equal(c.called, 0);

	/* Cancelled while the worker computes it. */
	assert_non_null(j = auth_verify_async(w, good_hash, PW_GOOD,
	    strlen(PW_GOOD), on_done, &c));
	usleep(20 * 1000);
	auth_job_cancel(j);
	run_loop(&c, QUIET_MS);
	assert_int_equal(c.called, 0);

	/* Cancelled after the verdict, before the loop delivered it. */
	assert_non_null(j = auth_verify_async(w, good_hash, PW_GOOD,
	    strlen(PW_GOOD), on_done, &c));
	usleep(3 * verify_us + 200 * 1000);
	auth_job_cancel(j);
	run_loop(&c, QUIET_MS);
	assert_int_equal(c.called, 0);

	/* A cancelled job does not hold up the next one. */
	assert_non_null(j = auth_verify_async(w, good_hash, PW_GOOD,
	    strlen(PW_GOOD), on_done, &c));
	auth_job_cancel(j);
	assert_int_equal(verify_async(w, &c2, good_hash, PW_GOOD), 1);
	assert_int_equal(c.called, 0);

	auth_worker_free(w);
	event_base_free(c.base);
}

static struct auth_job *self_job;

static void
on_done_cancel_self(void *arg, int ok)
{
	auth_job_cancel(self_job);
	on_done(arg, ok);
}

static void
test_async_cancel_in_done(void **state)
{
	struct loop_ctx c = { 0 };
	struct auth_worker *w;

	(void)state;
	assert_non_null(c.base = event_base_new());
	assert_non_null(w = auth_worker_new(c.base));
	assert_non_null(self_job = auth_verify_async(w, good_hash, PW_GOOD,
	    strlen(PW_GOOD), on_done_cancel_self, &c));
	run_loop(&c, LOOP_LIMIT_S * 1000L);
	assert_false(c.timed_out);
	assert_int_equal(c.called, 1);
	assert_int_equal(c.ok, 1);
	auth_worker_free(w);
	event_base_free(c.base);
}

/* A flood gets NULL ("busy") and freeing drops the backlog silently. */
static void
test_async_bounded(void **state)
{
	struct loop_ctx c = { 0 };
	struct auth_worker *w;
	int n;

	(void)state;
	assert_non_null(c.base = event_base_new());
	assert_non_null(w = auth_worker_new(c.base));
	for (n = 0; n < 100000; n++)
		if (auth_verify_async(w, good_hash, PW_BAD, strlen(PW_BAD),
		    on_done, &c) == NULL)
			break;
	assert_true(n > 0 && n < 100000);
	assert_null(auth_verify_async(w, NULL, "x", 1, on_done, &c));
	assert_null(auth_verify_async(w, good_hash, PW_GOOD, 1, NULL, &c));
	auth_worker_free(w);
	assert_int_equal(c.called, 0);
	event_base_free(c.base);
}

/* ---- Throttle -------------------------------------------------------- */

static struct sockaddr_storage
addr4(const char *s, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof ss);
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, s, &sin->sin_addr), 1);
	return ss;
}

static struct sockaddr_storage
addr6(const char *s, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof ss);
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	assert_int_equal(inet_pton(AF_INET6, s, &sin6->sin6_addr), 1);
	return ss;
}

#define SA(x) ((const struct sockaddr *)&(x))

static void
fail_n(struct auth_throttle *t, const struct sockaddr *sa, unsigned n,
    uint64_t now)
{
	while (n-- > 0)
		auth_throttle_fail(t, sa, now);
}

static void
test_throttle_backoff(void **state)
{
	struct auth_throttle *t;
	struct sockaddr_storage a = addr4("192.0.2.1", 1000);
	struct sockaddr_storage a_port = addr4("192.0.2.1", 2000);
	struct sockaddr_storage b = addr4("192.0.2.2", 1000);
	uint64_t prev, d;
	struct auth_undo u;
	unsigned i;

	(void)state;
	assert_non_null(t = auth_throttle_new());
	for (i = 0; i < AUTH_THROTTLE_FREE; i++) {
		auth_throttle_fail(t, SA(a), T0);
		assert_int_equal(auth_throttle_check(t, SA(a), T0), 0);
	}
	auth_throttle_fail(t, SA(a), T0);
	assert_int_equal(auth_throttle_check(t, SA(a), T0), 1000);
	/* Ports do not matter; other addresses are unaffected. */
	assert_int_equal(auth_throttle_check(t, SA(a_port), T0), 1000);
	assert_int_equal(auth_throttle_check(t, SA(b), T0), 0);

	prev = 1000;
	for (i = 0; i < 20; i++) {
		auth_throttle_fail(t, SA(a), T0);
		d = auth_throttle_check(t, SA(a), T0);
		assert_true(d >= prev);
		assert_true(d <= AUTH_THROTTLE_MAX_MS);
		if (i == 0)
			assert_int_equal(d, 2000);
		prev = d;
	}
	assert_int_equal(prev, AUTH_THROTTLE_MAX_MS);

	/* A success takes back only its own attempt: the failures before it
	 * stand (it used to forget them all). */
	struct sockaddr_storage c = addr4("192.0.2.3", 1);
	fail_n(t, SA(c), AUTH_THROTTLE_FREE, T0);
	assert_int_equal(auth_throttle_begin(t, SA(c), "alice", T0, &u), 0);
	assert_int_equal(auth_throttle_check(t, SA(c), T0), 1000);
	auth_throttle_end(t, SA(c), "alice", 1, T0, &u);
	assert_int_equal(auth_throttle_check(t, SA(c), T0), 0);
	auth_throttle_fail(t, SA(c), T0);
	assert_int_equal(auth_throttle_check(t, SA(c), T0), 1000);

	auth_throttle_free(t);
}

static void
test_throttle_clock(void **state)
{
	struct auth_throttle *t;
	struct sockaddr_storage a = addr4("198.51.100.7", 1);
	uint64_t idle = 10u * 60u * 1000u;

	(void)state;
	assert_non_null(t = auth_throttle_new());
	fail_n(t, SA(a), AUTH_THROTTLE_FREE + 2, T0);
	assert_int_equal(auth_throttle_check(t, SA(a), T0), 2000);
	assert_int_equal(auth_throttle_check(t, SA(a), T0 + 1500), 500);
	assert_int_equal(auth_throttle_check(t, SA(a), T0 + 1999), 1);
	assert_int_equal(auth_throttle_check(t, SA(a), T0 + 2000), 0);
	/* The count survives the wait: the next failure doubles again. */
	auth_throttle_fail(t, SA(a), T0 + 2000);
	assert_int_equal(auth_throttle_check(t, SA(a), T0 + 2000), 4000);

	/* Ten idle minutes wipe the slate. */
	assert_int_equal(auth_throttle_check(t, SA(a), T0 + 2000 + idle + 1),
	    0);
	auth_throttle_fail(t, SA(a), T0 + 2000 + idle + 1);
	assert_int_equal(auth_throttle_check(t, SA(a), T0 + 2000 + idle + 1),
	    0);
	auth_throttle_free(t);
}

static void
test_throttle_ipv6(void **state)
{
	struct auth_throttle *t;
	struct sockaddr_storage a = addr6("2001:db8:1:2::1", 1);
	struct sockaddr_storage same64 = addr6("2001:db8:1:2:ffff:1:2:3", 2);
	struct sockaddr_storage other64 = addr6("2001:db8:1:3::1", 1);
	struct sockaddr_storage v4 = addr4("192.0.2.9", 1);
	struct sockaddr_storage mapped = addr6("::ffff:192.0.2.9", 1);
	struct sockaddr_storage mapped2 = addr6("::ffff:192.0.2.10", 1);
	struct auth_undo u;

	(void)state;
	assert_non_null(t = auth_throttle_new());
	fail_n(t, SA(a), AUTH_THROTTLE_FREE + 1, T0);
	assert_int_equal(auth_throttle_check(t, SA(same64), T0), 1000);
	assert_int_equal(auth_throttle_check(t, SA(other64), T0), 0);
	/* Rotating within the /64 keeps counting. */
	auth_throttle_fail(t, SA(same64), T0);
	assert_int_equal(auth_throttle_check(t, SA(a), T0), 2000);

	/* IPv4 via a dual-stack socket is the same IPv4 address... */
	fail_n(t, SA(mapped), AUTH_THROTTLE_FREE + 1, T0);
	assert_int_equal(auth_throttle_check(t, SA(v4), T0), 1000);
	/* ...and not every other mapped address. */
	assert_int_equal(auth_throttle_check(t, SA(mapped2), T0), 0);
	auth_throttle_fail(t, SA(v4), T0);
	assert_int_equal(auth_throttle_check(t, SA(mapped), T0), 2000);

	/* Hostile or odd input never crashes. */
	assert_int_equal(auth_throttle_check(t, NULL, T0), 0);
	auth_throttle_fail(t, NULL, T0);
	assert_int_equal(auth_throttle_begin(t, NULL, "x", T0, &u), 0);
	auth_throttle_end(t, NULL, "x", 1, T0, &u);
	auth_throttle_free(t);
}

/* Per (source, user) and per source; attempts counted when queued; a
 * success never resets another user's count; at most AUTH_INFLIGHT_MAX
 * checks at once per source. */
static void
test_throttle_users(void **state)
{
	struct auth_throttle *t;
	struct sockaddr_storage a = addr4("203.0.113.5", 1);
	struct sockaddr_storage b = addr4("203.0.113.6", 1);
	struct auth_undo u;
	unsigned i;

	(void)state;
	assert_non_null(t = auth_throttle_new());
	/* Bad guesses for bob interleaved with alice's good logins: every
	 * guess counts, and bob's record locks after five. */
	for (i = 0; i < AUTH_THROTTLE_FREE; i++) {
		assert_int_equal(auth_throttle_begin(t, SA(a), "bob", T0, &u), 0);
		auth_throttle_end(t, SA(a), "bob", 0, T0, &u);
		assert_int_equal(auth_throttle_begin(t, SA(a), "alice", T0,
		    &u), 0);
		auth_throttle_end(t, SA(a), "alice", 1, T0, &u);
	}
	assert_int_equal(auth_throttle_begin(t, SA(a), "bob", T0, &u), 0);
	auth_throttle_end(t, SA(a), "bob", 0, T0, &u);
	assert_int_equal(auth_throttle_check(t, SA(a), T0), 1000);
	assert_int_equal(auth_throttle_begin(t, SA(a), "bob", T0, &u), 1000);
	/* The lock-out is the source's: alice waits too, and once it is
	 * over her success does not clear bob's count... */
	assert_int_equal(auth_throttle_begin(t, SA(a), "alice", T0, &u), 1000);
	assert_int_equal(auth_throttle_begin(t, SA(a), "alice", T0 + 1000,
	    &u), 0);
	auth_throttle_end(t, SA(a), "alice", 1, T0 + 1000, &u);
	assert_int_equal(auth_throttle_begin(t, SA(a), "bob", T0 + 1000, &u),
	    0);
	auth_throttle_end(t, SA(a), "bob", 0, T0 + 1000, &u);
	assert_int_equal(auth_throttle_check(t, SA(a), T0 + 1000), 2000);
	/* ...and bob's own record holds him at another address's limit
	 * only through the source: another source is free. */
	assert_int_equal(auth_throttle_begin(t, SA(b), "bob", T0, &u), 0);
	auth_throttle_end(t, SA(b), "bob", 1, T0, &u);

	/* At most four checks at once per source; and attempts are counted
	 * when queued: with the fifth and sixth still running, a seventh is
	 * already locked out. */
	struct sockaddr_storage p = addr4("203.0.113.7", 1);
	for (i = 0; i < AUTH_INFLIGHT_MAX; i++)
		assert_int_equal(auth_throttle_begin(t, SA(p), "carol", T0,
		    &u), 0);
	assert_int_equal(auth_throttle_begin(t, SA(p), "carol", T0, &u),
	    AUTH_THROTTLE_BUSY);
	for (i = 0; i < AUTH_INFLIGHT_MAX; i++)
		auth_throttle_end(t, SA(p), "carol", 0, T0, &u);
	assert_int_equal(auth_throttle_begin(t, SA(p), "dave", T0, &u), 0);
	assert_int_equal(auth_throttle_begin(t, SA(p), "erin", T0, &u), 0);
	assert_int_equal(auth_throttle_begin(t, SA(p), "fred", T0, &u), 1000);
	auth_throttle_end(t, SA(p), "dave", 0, T0, &u);
	auth_throttle_end(t, SA(p), "erin", 0, T0, &u);
	auth_throttle_free(t);
}

/* Far more addresses than slots: old entries go, the newest stay. */
static void
test_throttle_eviction(void **state)
{
	struct auth_throttle *t;
	struct sockaddr_storage a;
	char s[INET_ADDRSTRLEN];
	unsigned i, n = AUTH_THROTTLE_SLOTS * 4;

	(void)state;
	assert_non_null(t = auth_throttle_new());
	for (i = 0; i < n; i++) {
		snprintf(s, sizeof s, "10.%u.%u.%u", (i >> 16) & 0xff,
		    (i >> 8) & 0xff, i & 0xff);
		a = addr4(s, 1);
		fail_n(t, SA(a), AUTH_THROTTLE_FREE + 1, T0 + i);
	}
	/* The last one is the newest in its bucket, so it must be held. */
	assert_int_equal(auth_throttle_check(t, SA(a), T0 + n - 1), 1000);
	auth_throttle_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_verify),
		cmocka_unit_test(test_hash_valid),
		cmocka_unit_test(test_async_verdicts),
		cmocka_unit_test(test_async_unknown_user_timing),
		cmocka_unit_test(test_async_cancel),
		cmocka_unit_test(test_async_cancel_in_done),
		cmocka_unit_test(test_async_bounded),
		cmocka_unit_test(test_throttle_backoff),
		cmocka_unit_test(test_throttle_clock),
		cmocka_unit_test(test_throttle_ipv6),
		cmocka_unit_test(test_throttle_eviction),
		cmocka_unit_test(test_throttle_users),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
