/*
 * test_gate.c: the limits before login: sources by IPv4 address and IPv6
 * prefix, connections at once per source, the per-source rate, the share
 * kept for resumes, the cap on sources, forgetting, and the default sized
 * from memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "gate.h"

static struct sockaddr_storage
t_addr(const char *s)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof ss);
	if (strchr(s, ':') != NULL) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, s, &a->sin6_addr), 1);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, s, &a->sin_addr), 1);
	}
	return ss;
}

static enum gate_verdict
t_admit(struct gate *g, const char *addr, uint64_t now, struct gate_ticket *t)
{
	struct sockaddr_storage ss = t_addr(addr);

	return gate_admit(g, (struct sockaddr *)&ss, now, t);
}

static const struct gate_conf t_conf = {
	.pending = 1000, .reserve = 100, .per_source = 32, .rate = 16,
	.burst = 64, .v6_prefix = 64,
};

/* One host with a /64 is one source; the next /64 is another; a
 * v4-mapped address is its IPv4 host. */
static void
test_keys(void **state)
{
	uint8_t a[GATE_KEY_LEN], b[GATE_KEY_LEN];
	struct sockaddr_storage x, y;

	(void)state;
	x = t_addr("2001:db8:1:2::1");
	y = t_addr("2001:db8:1:2:ffff:eeee:dddd:cccc");
	gate_key((struct sockaddr *)&x, 64, a);
	gate_key((struct sockaddr *)&y, 64, b);
	assert_memory_equal(a, b, GATE_KEY_LEN);
	gate_key((struct sockaddr *)&y, 128, b);
	assert_memory_not_equal(a, b, GATE_KEY_LEN);
	y = t_addr("2001:db8:1:3::1");
	gate_key((struct sockaddr *)&y, 64, b);
	assert_memory_not_equal(a, b, GATE_KEY_LEN);
	/* A /56 takes in the neighbouring /64; a /60 cuts inside a byte. */
	gate_key((struct sockaddr *)&x, 56, a);
	gate_key((struct sockaddr *)&y, 56, b);
	assert_memory_equal(a, b, GATE_KEY_LEN);
	y = t_addr("2001:db8:1:f::1");
	gate_key((struct sockaddr *)&x, 60, a);
	gate_key((struct sockaddr *)&y, 60, b);
	assert_memory_equal(a, b, GATE_KEY_LEN);
	y = t_addr("2001:db8:1:12::1");
	gate_key((struct sockaddr *)&y, 60, b);
	assert_memory_not_equal(a, b, GATE_KEY_LEN);
	x = t_addr("::ffff:10.1.2.3");
	y = t_addr("10.1.2.3");
	gate_key((struct sockaddr *)&x, 64, a);
	gate_key((struct sockaddr *)&y, 64, b);
	assert_memory_equal(a, b, GATE_KEY_LEN);
	x = t_addr("10.1.2.4");
	gate_key((struct sockaddr *)&x, 64, a);
	assert_memory_not_equal(a, b, GATE_KEY_LEN);
}

/* 32 at once from a /64, whichever of its addresses they use; a slot
 * given back is taken again; another source is not held back. */
static void
test_per_source(void **state)
{
	struct gate g;
	struct gate_ticket s[40], o;
	char addr[64];

	(void)state;
	gate_init(&g, &t_conf);
	for (int i = 0; i < 32; i++) {
		snprintf(addr, sizeof addr, "2001:db8::%x", i + 1);
		assert_int_equal(t_admit(&g, addr, 0, &s[i]), GATE_OK);
	}
	assert_int_equal(t_admit(&g, "2001:db8::ffff", 0, &s[32]),
	    GATE_SOURCE);
	assert_null(s[32].src);
	assert_int_equal(t_admit(&g, "2001:db8:0:1::1", 0, &o), GATE_OK);
	gate_done(&g, &s[0]);
	assert_int_equal(t_admit(&g, "2001:db8::1", 0, &s[0]), GATE_OK);
	assert_int_equal(g.pending, 33);
	assert_int_equal(g.st.refused[GATE_SOURCE], 1);
	gate_free(&g);
}

/* A burst of 64, then 16 a second. */
static void
test_rate(void **state)
{
	struct gate_conf c = t_conf;
	struct gate g;
	struct gate_ticket s;
	int n = 0;

	(void)state;
	c.per_source = 1000;
	gate_init(&g, &c);
	while (t_admit(&g, "192.0.2.1", 1000, &s) == GATE_OK)
		gate_done(&g, &s), n++;
	assert_int_equal(n, 64);
	assert_int_equal(t_admit(&g, "192.0.2.1", 1000, &s), GATE_RATE);
	/* Half a second later: 8 more. */
	for (n = 0; t_admit(&g, "192.0.2.1", 1500, &s) == GATE_OK; n++)
		gate_done(&g, &s);
	assert_int_equal(n, 8);
	/* Another source has its own budget. */
	assert_int_equal(t_admit(&g, "192.0.2.2", 1500, &s), GATE_OK);
	gate_free(&g);
}

/* The last slots only as a reserve, then full; given back, ordinary. */
static void
test_reserve(void **state)
{
	struct gate_conf c = { .pending = 10, .reserve = 2, .per_source = 100,
	    .rate = 100, .burst = 100, .v6_prefix = 64 };
	struct gate g;
	struct gate_ticket s[12];

	(void)state;
	gate_init(&g, &c);
	for (int i = 0; i < 8; i++)
		assert_int_equal(t_admit(&g, "192.0.2.1", 0, &s[i]), GATE_OK);
	assert_int_equal(t_admit(&g, "192.0.2.2", 0, &s[8]), GATE_RESERVE);
	assert_int_equal(t_admit(&g, "192.0.2.3", 0, &s[9]), GATE_RESERVE);
	assert_int_equal(t_admit(&g, "192.0.2.4", 0, &s[10]), GATE_FULL);
	assert_int_equal(g.st.reserved, 2);
	gate_done(&g, &s[0]);
	gate_done(&g, &s[1]);
	gate_done(&g, &s[8]);
	assert_int_equal(t_admit(&g, "192.0.2.4", 0, &s[10]), GATE_OK);
	/* A reserve never covers it all. */
	c.reserve = 50;
	gate_set_conf(&g, &c);
	assert_int_equal(g.conf.reserve, 9);
	gate_free(&g);
}

/* Sources with nothing pending and a full budget are forgotten; the
 * table never holds more than four per slot. */
static void
test_sweep_and_cap(void **state)
{
	struct gate_conf c = { .pending = 4, .reserve = 0, .per_source = 4,
	    .rate = 10, .burst = 2, .v6_prefix = 64 };
	struct gate g;
	struct gate_ticket s;
	char addr[32];

	(void)state;
	gate_init(&g, &c);
	for (int i = 0; i < 16; i++) {
		snprintf(addr, sizeof addr, "198.51.100.%d", i + 1);
		assert_int_equal(t_admit(&g, addr, 0, &s), GATE_OK);
		gate_done(&g, &s);
	}
	assert_int_equal(g.nsrc, 16);
	assert_int_equal(t_admit(&g, "198.51.100.200", 0, &s), GATE_SOURCES);
	/* Spent budgets are remembered until they refill (0.1 s here). */
	assert_int_equal(gate_sweep(&g, 50), 0);
	assert_int_equal(gate_sweep(&g, 100), 16);
	assert_int_equal(g.nsrc, 0);
	assert_int_equal(t_admit(&g, "198.51.100.200", 100, &s), GATE_OK);
	assert_int_equal(gate_sweep(&g, 10000), 0);  /* pending: kept */
	gate_free(&g);
}

/* Every slot taken: who gives one up for whom. */
static void
test_victim(void **state)
{
	struct gate_conf c = { .pending = 10, .reserve = 0, .per_source = 10,
	    .rate = 100, .burst = 100, .v6_prefix = 64 };
	struct gate g;
	struct gate_ticket x[8], y[2], z;
	struct sockaddr_storage sz = t_addr("203.0.113.9"),
	    sx = t_addr("203.0.113.1"), sy = t_addr("203.0.113.2");
	const struct sockaddr *az = (struct sockaddr *)&sz,
	    *ax = (struct sockaddr *)&sx, *ay = (struct sockaddr *)&sy;

	(void)state;
	gate_init(&g, &c);
	for (int i = 0; i < 8; i++)
		assert_int_equal(t_admit(&g, "203.0.113.1", (uint64_t)i, &x[i]),
		    GATE_OK);
	for (int i = 0; i < 2; i++)
		assert_int_equal(t_admit(&g, "203.0.113.2", 0, &y[i]),
		    GATE_OK);
	assert_int_equal(t_admit(&g, "203.0.113.9", 0, &z), GATE_FULL);
	/* Too young to give way. */
	assert_null(gate_victim(&g, az, 500, 1000));
	/* A newcomer with nothing, or little, takes the heaviest source's
	 * oldest; the heavy source cannot evict its own. */
	assert_ptr_equal(gate_victim(&g, az, 1500, 1000), &x[0]);
	assert_ptr_equal(gate_victim(&g, ay, 1500, 1000), &x[0]);
	assert_null(gate_victim(&g, ax, 1500, 1000));
	assert_ptr_equal(gate_victim(&g, NULL, 1500, 1000), &x[0]);
	gate_done(&g, &x[0]);
	assert_int_equal(t_admit(&g, "203.0.113.9", 1500, &z), GATE_OK);
	/* Past their handshakes, X's cannot be evicted: then Y's oldest, as
	 * long as Y holds two more than the newcomer. */
	for (int i = 1; i < 8; i++)
		gate_settle(&g, &x[i]);
	assert_ptr_equal(gate_victim(&g, NULL, 1500, 1000), &y[0]);
	assert_null(gate_victim(&g, az, 1500, 1000));
	for (int i = 1; i < 8; i++)
		gate_done(&g, &x[i]);
	assert_int_equal(g.pending, 3);
	gate_free(&g);
}

static void
test_default_pending(void **state)
{
	(void)state;
	/* A quarter of 24 GiB at 128 KiB each is more than the cap. */
	assert_int_equal(gate_default_pending(24ull << 30, 0),
	    GATE_PENDING_MAX);
	assert_int_equal(gate_default_pending(1ull << 30, 0), 2048);
	/* Half the descriptors at most, never below the floor. */
	assert_int_equal(gate_default_pending(24ull << 30, 4096), 2048);
	assert_int_equal(gate_default_pending(24ull << 30, 100),
	    GATE_PENDING_MIN);
	assert_int_equal(gate_default_pending(0, 0), GATE_PENDING_MIN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_per_source),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_sweep_and_cap),
		cmocka_unit_test(test_victim),
		cmocka_unit_test(test_default_pending),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
