/*
 * test_iptable.c: the IP table on its own: learning, refresh, moves, DHCP
 * bindings, aging and lease ends on a fake clock, port removal, a full
 * table, and a million entries still found.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "switch.h"
#include "iptable.h"

#define T_AGING    1000u
#define T_MILLION  1000000u

static uint32_t
t_addr(uint32_t n)
{
	uint8_t b[4] = { 10, (uint8_t)(n >> 16), (uint8_t)(n >> 8),
	    (uint8_t)n };
	uint32_t v;

	memcpy(&v, b, 4);
	return v;
}

static void
t_addr6(uint32_t n, uint8_t a[16])
{
	memset(a, 0, 16);
	a[0] = 0x20;
	a[1] = 0x01;
	a[12] = (uint8_t)(n >> 24);
	a[13] = (uint8_t)(n >> 16);
	a[14] = (uint8_t)(n >> 8);
	a[15] = (uint8_t)n;
}

static void
t_learn4(struct iptable *t, uint32_t a, struct sw_port *p, uint64_t now)
{
	uint64_t h = iptable_hash4(t, a);

	iptable_learn4(t, iptable_probe4(t, a, h), a, h, p, now);
}

static void
t_learn6(struct iptable *t, const uint8_t a[16], struct sw_port *p,
    uint64_t now)
{
	uint64_t h = iptable_hash6(t, a);

	iptable_learn6(t, iptable_probe6(t, a, h), a, h, p, now);
}

static uint32_t
t_home(const struct iptable *t, const void *in, size_t len, uint32_t n)
{
	uint8_t out[crypto_shorthash_BYTES];
	uint64_t v = 0;

	crypto_shorthash(out, in, len, t->hash_key);
	for (int i = 7; i >= 0; i--)
		v = v << 8 | out[i];
	return (uint32_t)v & (n - 1);
}

/* Load <= 1/2, counts exact, every entry reachable from its home. */
static void
t_check(const struct iptable *t, struct sw_port *ports, size_t nports)
{
	uint32_t i, j, n = 0, m = 0, mask;
	size_t k;

	assert_true((uint64_t)t->n4 * 2 <= t->nslots4);
	assert_true((uint64_t)t->n6 * 2 <= t->nslots6);
	mask = t->nslots4 - 1;
	for (i = 0; i < t->nslots4; i++) {
		if (!t->slots4[i].used)
			continue;
		n++;
		for (j = t_home(t, &t->slots4[i].addr, 4, t->nslots4); j != i;
		    j = (j + 1) & mask)
			assert_true(t->slots4[j].used);
	}
	mask = t->nslots6 - 1;
	for (i = 0; i < t->nslots6; i++) {
		if (!t->slots6[i].used)
			continue;
		m++;
		for (j = t_home(t, t->slots6[i].addr, 16, t->nslots6); j != i;
		    j = (j + 1) & mask)
			assert_true(t->slots6[j].used);
	}
	assert_int_equal(n, t->n4);
	assert_int_equal(m, t->n6);
	for (k = 0; k < nports; k++) {
		uint32_t c4 = 0, c6 = 0;
		for (i = 0; i < t->nslots4; i++)
			c4 += t->slots4[i].used &&
			    t->slots4[i].port == &ports[k];
		for (i = 0; i < t->nslots6; i++)
			c6 += t->slots6[i].used &&
			    t->slots6[i].port == &ports[k];
		assert_int_equal(c4, ports[k].ip4s);
		assert_int_equal(c6, ports[k].ip6s);
	}
}

static void
t_ports(struct sw_port *p, size_t n)
{
	memset(p, 0, n * sizeof *p);
}

static void
test_learn_refresh_move(void **state)
{
	struct iptable t;
	struct sw_port p[2];
	uint64_t gen;

	(void)state;
	t_ports(p, 2);
	assert_int_equal(iptable_init(&t, 0, T_AGING), 0);
	assert_int_equal(t.max_entries, IPTABLE_DEFAULT_MAX);
	t_learn4(&t, t_addr(1), &p[0], 0);
	assert_ptr_equal(iptable_lookup4(&t, t_addr(1), T_AGING - 1), &p[0]);
	assert_null(iptable_lookup4(&t, t_addr(1), T_AGING));
	assert_null(iptable_lookup4(&t, t_addr(2), 0));
	/* Traffic refreshes. */
	t_learn4(&t, t_addr(1), &p[0], 500);
	assert_ptr_equal(iptable_lookup4(&t, t_addr(1), 1499), &p[0]);
	assert_int_equal(t.stats.learned, 1);
	/* Traffic from elsewhere moves a traffic entry, and says so. */
	gen = t.gen;
	t_learn4(&t, t_addr(1), &p[1], 600);
	assert_ptr_equal(iptable_lookup4(&t, t_addr(1), 600), &p[1]);
	assert_int_equal(t.stats.moved, 1);
	assert_true(t.gen != gen);
	assert_int_equal(p[0].ip4s, 0);
	assert_int_equal(p[1].ip4s, 1);
	t_check(&t, p, 2);
	iptable_free(&t);
	iptable_free(&t);
	assert_null(iptable_lookup4(&t, t_addr(1), 0));
}

static void
test_dhcp_binding(void **state)
{
	struct iptable t;
	struct sw_port p[2];
	uint64_t gen;

	(void)state;
	t_ports(p, 2);
	assert_int_equal(iptable_init(&t, 0, T_AGING), 0);
	/* A binding takes an address from whoever had it by traffic. */
	t_learn4(&t, t_addr(7), &p[0], 0);
	gen = t.gen;
	assert_int_equal(iptable_bind4(&t, t_addr(7), &p[1], 5000), 0);
	assert_true(t.gen != gen);
	assert_ptr_equal(iptable_lookup4(&t, t_addr(7), 4999), &p[1]);
	assert_int_equal(p[0].ip4s, 0);
	assert_int_equal(p[1].ip4s, 1);
	/* Its own traffic does not stretch the lease ... */
	t_learn4(&t, t_addr(7), &p[1], 4900);
	assert_null(iptable_lookup4(&t, t_addr(7), 5000));
	/* ... and others' traffic cannot take it while it lasts. */
	t_learn4(&t, t_addr(7), &p[0], 4999);
	assert_ptr_equal(iptable_lookup4(&t, t_addr(7), 4999), &p[1]);
	assert_int_equal(t.stats.kept, 1);
	/* After the lease, traffic learns it as usual. */
	t_learn4(&t, t_addr(7), &p[0], 5000);
	assert_ptr_equal(iptable_lookup4(&t, t_addr(7), 5000), &p[0]);
	assert_int_equal(iptable_probe4(&t, t_addr(7),
	    iptable_hash4(&t, t_addr(7)))->source, IPTABLE_TRAFFIC);
	/* Binding a new address. */
	assert_int_equal(iptable_bind4(&t, t_addr(8), &p[0], UINT64_MAX), 0);
	assert_ptr_equal(iptable_lookup4(&t, t_addr(8), UINT64_MAX - 1), &p[0]);
	assert_int_equal(p[0].ip4s, 2);
	assert_int_equal(t.stats.bound, 2);
	t_check(&t, p, 2);
	iptable_free(&t);
}

static void
test_aging(void **state)
{
	struct iptable t;
	struct sw_port p[2];
	uint8_t a6[16];
	uint32_t i;

	(void)state;
	t_ports(p, 2);
	assert_int_equal(iptable_init(&t, 0, T_AGING), 0);
	for (i = 0; i < 100; i++)
		t_learn4(&t, t_addr(i), &p[i % 2], i);
	for (i = 0; i < 10; i++) {
		t_addr6(i, a6);
		t_learn6(&t, a6, &p[1], 0);
	}
	assert_int_equal(iptable_bind4(&t, t_addr(1000), &p[0], 3 * T_AGING),
	    0);
	t_check(&t, p, 2);
	assert_int_equal(iptable_age(&t, T_AGING - 1), 0);
	/* Entries learned at 0..49 expire at 1000..1049. */
	assert_int_equal(iptable_age(&t, T_AGING + 49), 50 + 10);
	assert_int_equal(t.n4, 51);
	assert_int_equal(t.n6, 0);
	assert_int_equal(p[1].ip6s, 0);
	t_check(&t, p, 2);
	for (i = 0; i < 100; i++) {
		if (i < 50)
			assert_null(iptable_lookup4(&t, t_addr(i), 0));
		else
			assert_ptr_equal(iptable_lookup4(&t, t_addr(i),
			    T_AGING + 49), &p[i % 2]);
	}
	/* The lease lives on to its end. */
	assert_int_equal(iptable_age(&t, 2 * T_AGING), 50);
	assert_ptr_equal(iptable_lookup4(&t, t_addr(1000), 2 * T_AGING),
	    &p[0]);
	assert_int_equal(iptable_age(&t, 3 * T_AGING), 1);
	assert_int_equal(t.n4, 0);
	assert_int_equal(t.stats.aged, 111);
	t_check(&t, p, 2);
	iptable_free(&t);
}

static void
test_port_remove(void **state)
{
	struct iptable t;
	struct sw_port p[3];
	uint8_t a6[16];
	uint32_t i, n = 6000;

	(void)state;
	t_ports(p, 3);
	assert_int_equal(iptable_init(&t, 0, 0), 0);
	assert_int_equal(t.aging_ms, IPTABLE_DEFAULT_AGING_MS);
	for (i = 0; i < n; i++) {
		t_learn4(&t, t_addr(i), &p[i % 3], 0);
		t_addr6(i, a6);
		t_learn6(&t, a6, &p[i % 3], 0);
	}
	t_check(&t, p, 3);
	assert_int_equal(iptable_port_remove(&t, &p[1]), 2 * (n / 3));
	assert_int_equal(iptable_port_remove(&t, NULL), 0);
	assert_int_equal(p[1].ip4s, 0);
	assert_int_equal(p[1].ip6s, 0);
	t_check(&t, p, 3);
	for (i = 0; i < n; i++) {
		t_addr6(i, a6);
		if (i % 3 == 1) {
			assert_null(iptable_lookup4(&t, t_addr(i), 0));
			assert_null(iptable_lookup6(&t, a6, 0));
		} else {
			assert_ptr_equal(iptable_lookup4(&t, t_addr(i), 0),
			    &p[i % 3]);
			assert_ptr_equal(iptable_lookup6(&t, a6, 0), &p[i % 3]);
		}
	}
	iptable_free(&t);
}

struct t_tally {
	uint32_t v4, v6, dhcp;
};

static void
t_tally_cb(void *arg, const struct iptable_view *v)
{
	struct t_tally *c = arg;

	assert_non_null(v->port);
	if (v->version == 4)
		c->v4++;
	else
		c->v6++;
	if (v->source == IPTABLE_DHCP)
		c->dhcp++;
}

static void
test_full_and_foreach(void **state)
{
	struct iptable t;
	struct sw_port p;
	struct t_tally c = { 0, 0, 0 };
	uint8_t a6[16];
	uint32_t i;

	(void)state;
	t_ports(&p, 1);
	assert_int_equal(iptable_init(&t, 10, 0), 0);
	assert_true(t.nslots4 <= 32);
	for (i = 0; i < 15; i++) {
		t_learn4(&t, t_addr(i), &p, 0);
		t_addr6(i, a6);
		t_learn6(&t, a6, &p, 0);
	}
	assert_int_equal(t.n4, 10);
	assert_int_equal(t.n6, 10);
	assert_int_equal(t.stats.table_full, 10);
	assert_int_equal(iptable_bind4(&t, t_addr(99), &p, 10), -1);
	/* Known entries still refresh and rebind while full. */
	assert_int_equal(iptable_bind4(&t, t_addr(3), &p, 10), 0);
	iptable_foreach(&t, t_tally_cb, &c);
	assert_int_equal(c.v4, 10);
	assert_int_equal(c.v6, 10);
	assert_int_equal(c.dhcp, 1);
	iptable_foreach(&t, NULL, NULL);
	t_check(&t, &p, 1);
	iptable_free(&t);
}

/* A million IPv4 addresses over 64 ports, all found, then half aged. */
static void
test_million(void **state)
{
	struct iptable t;
	struct sw_port *p;
	uint32_t i;

	(void)state;
	p = calloc(64, sizeof *p);
	assert_non_null(p);
	assert_int_equal(iptable_init(&t, 0, T_AGING), 0);
	for (i = 0; i < T_MILLION; i++)
		t_learn4(&t, t_addr(i), &p[i % 64], i % 2 ? 500 : 0);
	assert_int_equal(t.n4, T_MILLION);
	assert_int_equal(t.stats.table_full, 0);
	assert_true(t.nslots4 <= 4 * T_MILLION);
	t_check(&t, p, 64);
	for (i = 0; i < T_MILLION; i++)
		assert_ptr_equal(iptable_lookup4(&t, t_addr(i), 0), &p[i % 64]);
	assert_null(iptable_lookup4(&t, t_addr(T_MILLION), 0));
	assert_int_equal(iptable_age(&t, T_AGING), T_MILLION / 2);
	for (i = 0; i < T_MILLION; i++) {
		if (i % 2)
			assert_ptr_equal(iptable_lookup4(&t, t_addr(i),
			    T_AGING), &p[i % 64]);
		else
			assert_null(iptable_lookup4(&t, t_addr(i), 0));
	}
	t_check(&t, p, 64);
	iptable_free(&t);
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_learn_refresh_move),
		cmocka_unit_test(test_dhcp_binding),
		cmocka_unit_test(test_aging),
		cmocka_unit_test(test_port_remove),
		cmocka_unit_test(test_full_and_foreach),
		cmocka_unit_test(test_million),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
