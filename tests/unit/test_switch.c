/*
 * test_switch.c: the switching engine: learning, flooding, hairpin drops,
 * aging, moves, port removal, isolation, the MAC table under load, and
 * sw_forward handing frames to each port through its kind's ops.
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
#include "proto.h"

#define T_FRAME_LEN 60u
#define T_AGING     1000u
#define T_BIG       200000u

static const uint8_t t_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* A locally administered unicast MAC numbered n. */
static void
t_mac(uint32_t n, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0x5e;
	mac[2] = (uint8_t)(n >> 24);
	mac[3] = (uint8_t)(n >> 16);
	mac[4] = (uint8_t)(n >> 8);
	mac[5] = (uint8_t)n;
}

static void
t_frame(uint8_t f[T_FRAME_LEN], const uint8_t dst[6], const uint8_t src[6])
{
	memset(f, 0, T_FRAME_LEN);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
}

/* sw_input, with the unicast destination (or NULL) in *out. */
static enum sw_verdict
t_input(struct sw *h, struct sw_port *p, const uint8_t *f, size_t len,
    uint64_t now, struct sw_port **out)
{
	struct sw_meta m;
	enum sw_verdict v = sw_input(h, p, f, len, now, &m);

	*out = m.dst;
	assert_true(v == SW_UNICAST ? m.dst != NULL : m.dst == NULL);
	return v;
}

static enum sw_verdict
t_send(struct sw *h, struct sw_port *p, const uint8_t dst[6],
    const uint8_t src[6], uint64_t now, struct sw_port **out)
{
	uint8_t f[T_FRAME_LEN];

	t_frame(f, dst, src);
	return t_input(h, p, f, sizeof f, now, out);
}

static enum sw_verdict
t_sendn(struct sw *h, struct sw_port *p, uint32_t dst, uint32_t src,
    uint64_t now, struct sw_port **out)
{
	uint8_t d[6], s[6];

	t_mac(dst, d);
	t_mac(src, s);
	return t_send(h, p, d, s, now, out);
}

/* The home slot of mac, computed independently with libsodium. */
static uint32_t
t_home(const struct sw *h, const uint8_t mac[6])
{
	uint8_t out[crypto_shorthash_BYTES];
	uint64_t v = 0;

	crypto_shorthash(out, mac, 6, h->hash_key);
	for (int i = 7; i >= 0; i--)
		v = v << 8 | out[i];
	return (uint32_t)v & (h->nslots - 1);
}

/*
 * Table invariants: power-of-two size, load <= 1/2, nmacs and per-port
 * counts exact, and every entry reachable from its home slot without
 * crossing an empty slot (what backward-shift deletion must keep).
 */
static void
t_check(const struct sw *h)
{
	const struct sw_port *p;
	uint32_t i, j, used = 0, mask = h->nslots - 1;

	assert_true(h->nslots >= 2);
	assert_int_equal(h->nslots & mask, 0);
	assert_true((uint64_t)h->nmacs * 2 <= h->nslots);
	for (i = 0; i < h->nslots; i++) {
		if (!h->slots[i].used)
			continue;
		used++;
		assert_true(h->slots[i].used != 0);
		for (j = t_home(h, h->slots[i].mac); j != i; j = (j + 1) & mask)
			assert_true(h->slots[j].used);
	}
	assert_int_equal(used, h->nmacs);
	TAILQ_FOREACH(p, &h->ports, entry) {
		uint32_t n = 0;
		for (i = 0; i < h->nslots; i++)
			if (h->slots[i].used && h->slots[i].port == p)
				n++;
		assert_int_equal(n, p->macs);
	}
}

static void
t_count_cb(void *arg, const struct sw_mac_entry *e)
{
	assert_true(e->used);
	(*(uint32_t *)arg)++;
}

static void
test_init_defaults(void **state)
{
	struct sw h;
	char longname[SW_NAME_MAX + 20];

	(void)state;
	memset(longname, 'x', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	assert_int_equal(sw_init(&h, longname, 0, 0), 0);
	assert_int_equal(strlen(h.name), SW_NAME_MAX);
	assert_int_equal(h.aging_ms, SW_DEFAULT_AGING_MS);
	assert_int_equal(h.max_macs, SW_DEFAULT_MAX_MACS);
	assert_int_equal(h.next_port_id, 1);
	assert_int_equal(h.nports, 0);
	assert_int_equal(h.nmacs, 0);
	assert_non_null(h.slots);
	assert_true(TAILQ_EMPTY(&h.ports));
	sw_free(&h);
	assert_null(h.slots);
	sw_free(&h);

	assert_int_equal(sw_init(&h, "office", 5000, 10), 0);
	assert_string_equal(h.name, "office");
	assert_int_equal(h.aging_ms, 5000);
	assert_int_equal(h.max_macs, 10);
	assert_true(h.nslots <= 32);
	sw_free(&h);
}

static void
test_ports(void **state)
{
	struct sw h;
	struct sw_port a, b, c, *p;
	int owner;

	(void)state;
	assert_int_equal(sw_init(&h, "p", 0, 0), 0);
	sw_port_add(&h, &a, NULL, &owner);
	sw_port_add(&h, &b, NULL, NULL);
	assert_int_equal(a.id, 1);
	assert_int_equal(b.id, 2);
	assert_ptr_equal(a.hub, &h);
	assert_ptr_equal(a.owner, &owner);
	assert_int_equal(h.nports, 2);
	assert_int_equal(sw_port_remove(&h, &a), 0);
	assert_null(a.hub);
	assert_int_equal(h.nports, 1);
	/* A second removal, or a port of no hub, is a no-op. */
	assert_int_equal(sw_port_remove(&h, &a), 0);
	assert_int_equal(h.nports, 1);
	sw_port_add(&h, &c, NULL, NULL);
	assert_int_equal(c.id, 3);
	p = TAILQ_FIRST(&h.ports);
	assert_ptr_equal(p, &b);
	assert_ptr_equal(TAILQ_NEXT(p, entry), &c);
	assert_null(TAILQ_NEXT(&c, entry));
	sw_free(&h);
}

static void
test_learning(void **state)
{
	struct sw h;
	struct sw_port p1, p2, p3, *out;

	(void)state;
	assert_int_equal(sw_init(&h, "l", 0, 0), 0);
	sw_port_add(&h, &p1, NULL, NULL);
	sw_port_add(&h, &p2, NULL, NULL);
	sw_port_add(&h, &p3, NULL, NULL);

	/* A -> B: B unknown, flood; A learned on p1. */
	assert_int_equal(t_sendn(&h, &p1, 2, 1, 0, &out), SW_FLOOD);
	assert_null(out);
	assert_int_equal(h.nmacs, 1);
	assert_int_equal(p1.macs, 1);
	/* B -> A: unicast to p1; B learned on p2. */
	assert_int_equal(t_sendn(&h, &p2, 1, 2, 1, &out), SW_UNICAST);
	assert_ptr_equal(out, &p1);
	/* A -> B now unicast to p2. */
	assert_int_equal(t_sendn(&h, &p1, 2, 1, 2, &out), SW_UNICAST);
	assert_ptr_equal(out, &p2);
	/* C on p3 reaches both. */
	assert_int_equal(t_sendn(&h, &p3, 1, 3, 3, &out), SW_UNICAST);
	assert_ptr_equal(out, &p1);
	assert_int_equal(t_sendn(&h, &p3, 2, 3, 3, &out), SW_UNICAST);
	assert_ptr_equal(out, &p2);

	uint8_t m[6];
	t_mac(3, m);
	assert_ptr_equal(sw_mac_lookup(&h, m, 4), &p3);
	t_mac(99, m);
	assert_null(sw_mac_lookup(&h, m, 4));

	assert_int_equal(h.stats.frames_in, 5);
	assert_int_equal(h.stats.unicast, 4);
	assert_int_equal(h.stats.flooded, 1);
	assert_int_equal(h.stats.dropped, 0);
	assert_int_equal(h.stats.learned, 3);
	assert_int_equal(p3.rx_frames, 2);
	assert_int_equal(p3.rx_bytes, 2 * T_FRAME_LEN);
	uint32_t n = 0;
	sw_mac_foreach(&h, t_count_cb, &n);
	assert_int_equal(n, 3);
	t_check(&h);
	sw_free(&h);
}

static void
test_flooding(void **state)
{
	static const uint8_t mcast4[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb };
	static const uint8_t mcast6[6] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 };
	struct sw h;
	struct sw_port p1, p2, *out;
	uint8_t a[6], b[6];

	(void)state;
	assert_int_equal(sw_init(&h, "f", 0, 0), 0);
	sw_port_add(&h, &p1, NULL, NULL);
	sw_port_add(&h, &p2, NULL, NULL);
	t_mac(1, a);
	t_mac(2, b);
	assert_int_equal(t_send(&h, &p1, t_bcast, a, 0, &out), SW_FLOOD);
	assert_null(out);
	assert_int_equal(t_send(&h, &p1, mcast4, a, 0, &out), SW_FLOOD);
	assert_null(out);
	assert_int_equal(t_send(&h, &p1, mcast6, a, 0, &out), SW_FLOOD);
	assert_int_equal(t_send(&h, &p1, b, a, 0, &out), SW_FLOOD);
	assert_null(out);
	/* Known sources never make group destinations unicast. */
	assert_int_equal(t_send(&h, &p2, t_bcast, b, 0, &out), SW_FLOOD);
	assert_int_equal(t_send(&h, &p2, mcast4, b, 0, &out), SW_FLOOD);
	assert_int_equal(h.stats.flooded, 6);
	assert_int_equal(h.stats.unicast, 0);
	assert_int_equal(h.nmacs, 2);
	sw_free(&h);
}

static void
test_no_hairpin(void **state)
{
	struct sw h;
	struct sw_port p1, p2, *out;

	(void)state;
	assert_int_equal(sw_init(&h, "n", 0, 0), 0);
	sw_port_add(&h, &p1, NULL, NULL);
	sw_port_add(&h, &p2, NULL, NULL);
	/* A and B both behind p1 (say, a bridged LAN). */
	assert_int_equal(t_sendn(&h, &p1, 2, 1, 0, &out), SW_FLOOD);
	assert_int_equal(t_sendn(&h, &p1, 1, 2, 0, &out), SW_DROP);
	assert_null(out);
	assert_int_equal(t_sendn(&h, &p1, 2, 1, 0, &out), SW_DROP);
	assert_int_equal(p1.drop_frames, 2);
	assert_int_equal(p1.drops[SW_DROP_SAME_PORT], 2);
	assert_int_equal(h.stats.dropped, 2);
	assert_int_equal(h.stats.drops[SW_DROP_SAME_PORT], 2);
	/* A frame to itself never returns either. */
	assert_int_equal(t_sendn(&h, &p1, 1, 1, 0, &out), SW_DROP);
	/* p2 still reaches them. */
	assert_int_equal(t_sendn(&h, &p2, 1, 3, 0, &out), SW_UNICAST);
	assert_ptr_equal(out, &p1);
	/* A flood verdict names no port: the caller skips the source. */
	assert_int_equal(t_send(&h, &p1, t_bcast, (const uint8_t[6]){
	    0x02, 0x5e, 0, 0, 0, 1 }, 0, &out), SW_FLOOD);
	assert_null(out);
	assert_int_equal(p2.drop_frames, 0);
	sw_free(&h);
}

static void
test_aging(void **state)
{
	struct sw h;
	struct sw_port p1, p2, *out;
	uint8_t a[6];

	(void)state;
	assert_int_equal(sw_init(&h, "a", T_AGING, 0), 0);
	sw_port_add(&h, &p1, NULL, NULL);
	sw_port_add(&h, &p2, NULL, NULL);
	t_mac(1, a);
	assert_int_equal(t_sendn(&h, &p1, 50, 1, 0, &out), SW_FLOOD);
	assert_ptr_equal(sw_mac_lookup(&h, a, T_AGING - 1), &p1);
	assert_null(sw_mac_lookup(&h, a, T_AGING));
	assert_int_equal(t_sendn(&h, &p2, 1, 2, T_AGING - 1, &out),
	    SW_UNICAST);
	assert_int_equal(t_sendn(&h, &p2, 1, 2, T_AGING, &out), SW_FLOOD);
	assert_null(out);
	/* Nothing removed yet: aged entries wait for sw_age. */
	assert_int_equal(h.nmacs, 2);

	/* Traffic from A refreshes it. */
	assert_int_equal(t_sendn(&h, &p1, 50, 1, 900, &out), SW_FLOOD);
	assert_ptr_equal(sw_mac_lookup(&h, a, 1899), &p1);
	assert_int_equal(t_sendn(&h, &p2, 1, 2, 1899, &out), SW_UNICAST);
	assert_ptr_equal(out, &p1);

	/* B was refreshed at 1899, A last at 900. */
	assert_int_equal(sw_age(&h, 1899), 0);
	assert_int_equal(sw_age(&h, 1900), 1);
	assert_null(sw_mac_lookup(&h, a, 1900));
	assert_int_equal(h.nmacs, 1);
	assert_int_equal(p1.macs, 0);
	assert_int_equal(p2.macs, 1);
	assert_int_equal(h.stats.aged, 1);
	assert_int_equal(sw_age(&h, 2898), 0);
	assert_int_equal(sw_age(&h, 2899), 1);
	assert_int_equal(h.nmacs, 0);
	assert_int_equal(h.stats.aged, 2);
	/* A stale clock does not flush the table. */
	assert_int_equal(t_sendn(&h, &p1, 50, 1, 5000, &out), SW_FLOOD);
	assert_int_equal(sw_age(&h, 10), 0);
	assert_ptr_equal(sw_mac_lookup(&h, a, 10), &p1);
	t_check(&h);
	sw_free(&h);
}

static void
test_move(void **state)
{
	struct sw h;
	struct sw_port p1, p2, p3, *out;
	uint8_t a[6];

	(void)state;
	assert_int_equal(sw_init(&h, "m", 0, 0), 0);
	sw_port_add(&h, &p1, NULL, NULL);
	sw_port_add(&h, &p2, NULL, NULL);
	sw_port_add(&h, &p3, NULL, NULL);
	t_mac(1, a);
	assert_int_equal(t_sendn(&h, &p1, 9, 1, 0, &out), SW_FLOOD);
	assert_int_equal(t_sendn(&h, &p3, 1, 3, 0, &out), SW_UNICAST);
	assert_ptr_equal(out, &p1);
	/* A shows up behind p2. */
	assert_int_equal(t_sendn(&h, &p2, 9, 1, 1, &out), SW_FLOOD);
	assert_int_equal(h.stats.moved, 1);
	assert_int_equal(p1.macs, 0);
	assert_int_equal(p2.macs, 1);
	assert_int_equal(h.nmacs, 2);
	assert_ptr_equal(sw_mac_lookup(&h, a, 1), &p2);
	assert_int_equal(t_sendn(&h, &p3, 1, 3, 1, &out), SW_UNICAST);
	assert_ptr_equal(out, &p2);
	/* p1 can now reach A: it is no longer behind p1. */
	assert_int_equal(t_sendn(&h, &p1, 1, 4, 1, &out), SW_UNICAST);
	assert_ptr_equal(out, &p2);
	/* Refreshing on the same port is not a move. */
	assert_int_equal(t_sendn(&h, &p2, 9, 1, 2, &out), SW_FLOOD);
	assert_int_equal(h.stats.moved, 1);
	t_check(&h);
	sw_free(&h);
}

static void
test_port_remove(void **state)
{
	struct sw h;
	struct sw_port p[3], *out;
	uint32_t i, n = 3000;
	uint8_t m[6];

	(void)state;
	assert_int_equal(sw_init(&h, "r", 0, 0), 0);
	for (i = 0; i < 3; i++)
		sw_port_add(&h, &p[i], NULL, NULL);
	for (i = 0; i < n; i++)
		t_sendn(&h, &p[i % 3], 0xffffff, i + 1, 0, &out);
	assert_int_equal(h.nmacs, n);
	t_check(&h);
	assert_int_equal(sw_port_remove(&h, &p[1]), n / 3);
	assert_int_equal(p[1].macs, 0);
	assert_int_equal(h.nports, 2);
	assert_int_equal(h.nmacs, n - n / 3);
	t_check(&h);
	for (i = 0; i < n; i++) {
		t_mac(i + 1, m);
		if (i % 3 == 1)
			assert_null(sw_mac_lookup(&h, m, 0));
		else
			assert_ptr_equal(sw_mac_lookup(&h, m, 0), &p[i % 3]);
	}
	/* Frames to the forgotten MACs flood again. */
	assert_int_equal(t_sendn(&h, &p[0], 2, 1, 0, &out), SW_FLOOD);
	sw_free(&h);
}

static void
test_isolation(void **state)
{
	struct sw h1, h2;
	struct sw_port a1, b1, a2, b2, *out;
	uint8_t m[6];

	(void)state;
	assert_int_equal(sw_init(&h1, "one", 0, 0), 0);
	assert_int_equal(sw_init(&h2, "two", 0, 0), 0);
	assert_memory_not_equal(h1.hash_key, h2.hash_key, 16);
	sw_port_add(&h1, &a1, NULL, NULL);
	sw_port_add(&h1, &b1, NULL, NULL);
	sw_port_add(&h2, &a2, NULL, NULL);
	sw_port_add(&h2, &b2, NULL, NULL);
	assert_int_equal(a1.id, 1);
	assert_int_equal(a2.id, 1);

	t_sendn(&h1, &a1, 2, 1, 0, &out);
	t_mac(1, m);
	assert_ptr_equal(sw_mac_lookup(&h1, m, 0), &a1);
	assert_null(sw_mac_lookup(&h2, m, 0));
	assert_int_equal(t_sendn(&h2, &b2, 1, 2, 0, &out), SW_FLOOD);
	/* The same MAC behind a different port in the other hub. */
	t_sendn(&h2, &b2, 2, 1, 0, &out);
	assert_ptr_equal(sw_mac_lookup(&h1, m, 0), &a1);
	assert_ptr_equal(sw_mac_lookup(&h2, m, 0), &b2);
	assert_int_equal(h1.stats.moved, 0);
	assert_int_equal(h2.stats.moved, 0);
	assert_int_equal(t_sendn(&h1, &b1, 1, 2, 0, &out), SW_UNICAST);
	assert_ptr_equal(out, &a1);
	/* A port of another hub is refused and learns nothing. */
	assert_int_equal(t_sendn(&h1, &a2, 9, 7, 0, &out), SW_DROP);
	t_mac(7, m);
	assert_null(sw_mac_lookup(&h1, m, 0));
	assert_int_equal(sw_port_remove(&h1, &a2), 0);
	assert_int_equal(h2.nports, 2);
	/* Removing a port in one hub leaves the other hub alone. */
	assert_int_equal(sw_port_remove(&h2, &b2), 2);
	t_mac(1, m);
	assert_ptr_equal(sw_mac_lookup(&h1, m, 0), &a1);
	sw_free(&h1);
	sw_free(&h2);
}

static void
test_bad_source(void **state)
{
	static const uint8_t zero[6];
	static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x01, 0x02, 0x03 };
	static const uint8_t odd[6] = { 0x03, 0x5e, 0x00, 0x00, 0x00, 0x01 };
	struct sw h;
	struct sw_port p1, *out;
	uint8_t b[6];

	(void)state;
	assert_int_equal(sw_init(&h, "b", 0, 0), 0);
	sw_port_add(&h, &p1, NULL, NULL);
	t_mac(2, b);
	assert_int_equal(t_send(&h, &p1, b, t_bcast, 0, &out), SW_DROP);
	assert_int_equal(t_send(&h, &p1, b, mcast, 0, &out), SW_DROP);
	assert_int_equal(t_send(&h, &p1, b, odd, 0, &out), SW_DROP);
	assert_int_equal(t_send(&h, &p1, t_bcast, zero, 0, &out), SW_DROP);
	assert_null(out);
	assert_int_equal(h.nmacs, 0);
	assert_int_equal(p1.drop_frames, 4);
	assert_int_equal(p1.drops[SW_DROP_BAD_FRAME], 4);
	assert_int_equal(p1.rx_frames, 4);
	assert_int_equal(h.stats.dropped, 4);
	assert_int_equal(h.stats.frames_in, 4);
	assert_int_equal(h.stats.flooded, 0);
	sw_free(&h);
}

static void
test_short_frames(void **state)
{
	struct sw h;
	struct sw_port p1, *out;
	uint8_t f[T_FRAME_LEN], a[6];

	(void)state;
	assert_int_equal(sw_init(&h, "s", 0, 0), 0);
	sw_port_add(&h, &p1, NULL, NULL);
	t_mac(1, a);
	t_frame(f, t_bcast, a);
	for (size_t len = 0; len < PROTO_ETH_HDR; len++)
		assert_int_equal(t_input(&h, &p1, f, len, 0, &out), SW_DROP);
	assert_int_equal(t_input(&h, &p1, NULL, 100, 0, &out), SW_DROP);
	assert_null(out);
	assert_int_equal(h.nmacs, 0);
	assert_int_equal(p1.drop_frames, PROTO_ETH_HDR + 1);
	assert_int_equal(p1.rx_bytes, PROTO_ETH_HDR * (PROTO_ETH_HDR - 1) / 2
	    + 100);
	/* A bare header is a frame. */
	assert_int_equal(t_input(&h, &p1, f, PROTO_ETH_HDR, 0, &out),
	    SW_FLOOD);
	assert_int_equal(h.nmacs, 1);
	sw_free(&h);
}

/* Entries land at SipHash-2-4(key, mac) as libsodium computes it. */
static void
test_hash_is_siphash(void **state)
{
	struct sw h;
	struct sw_port p1, *out;
	uint32_t i, home;
	uint8_t m[6];

	(void)state;
	assert_int_equal(sw_init(&h, "k", 0, 0), 0);
	sw_port_add(&h, &p1, NULL, NULL);
	for (i = 0; i < 500; i++) {
		sw_port_remove(&h, &p1);
		sw_port_add(&h, &p1, NULL, NULL);
		randombytes_buf(m, sizeof m);
		m[0] &= 0xfe;
		m[1] |= 1;
		t_send(&h, &p1, t_bcast, m, 0, &out);
		assert_int_equal(h.nmacs, 1);
		home = t_home(&h, m);
		assert_true(h.slots[home].used);
		assert_memory_equal(h.slots[home].mac, m, 6);
	}
	sw_free(&h);
}

/* A cluster that wraps past the last slot, emptied in pieces. */
static void
test_wraparound(void **state)
{
	struct sw h;
	struct sw_port p1, p2, *out;
	uint8_t macs[12][6], m[6];
	uint32_t found = 0, n, i, mask;

	(void)state;
	assert_int_equal(sw_init(&h, "w", T_AGING, 0), 0);
	sw_port_add(&h, &p1, NULL, NULL);
	sw_port_add(&h, &p2, NULL, NULL);
	mask = h.nslots - 1;
	/* Homes in the last three slots and the first one. */
	for (n = 1; found < 12; n++) {
		t_mac(n, m);
		uint32_t home = t_home(&h, m);
		if (home >= mask - 2 || home == 0)
			memcpy(macs[found++], m, 6);
	}
	for (i = 0; i < 12; i++)
		t_send(&h, i % 2 ? &p2 : &p1, t_bcast, macs[i],
		    i < 6 ? 0 : 500, &out);
	assert_int_equal(h.nslots, mask + 1);
	assert_true(h.slots[0].used && h.slots[mask].used);
	t_check(&h);
	assert_int_equal(sw_port_remove(&h, &p2), 6);
	t_check(&h);
	for (i = 0; i < 12; i++)
		if (i % 2)
			assert_null(sw_mac_lookup(&h, macs[i], 0));
		else
			assert_ptr_equal(sw_mac_lookup(&h, macs[i], 0), &p1);
	assert_int_equal(sw_age(&h, T_AGING), 3);
	t_check(&h);
	for (i = 0; i < 12; i++)
		if (i % 2 == 0 && i >= 6)
			assert_ptr_equal(sw_mac_lookup(&h, macs[i], 0), &p1);
	assert_int_equal(sw_age(&h, T_AGING + 500), 3);
	assert_int_equal(h.nmacs, 0);
	for (i = 0; i <= mask; i++)
		assert_false(h.slots[i].used);
	sw_free(&h);
}

static void
test_growth(void **state)
{
	struct sw h;
	struct sw_port p1, p2, *out;
	uint32_t i, n = 0;
	uint8_t m[6];

	(void)state;
	assert_int_equal(sw_init(&h, "g", T_AGING, 0), 0);
	sw_port_add(&h, &p1, NULL, NULL);
	sw_port_add(&h, &p2, NULL, NULL);
	/* Ports as bridges of huge LANs: the table, not a port, is tested. */
	sw_port_set_mac_cap(&p1, T_BIG);
	sw_port_set_mac_cap(&p2, T_BIG);
	/* Even MACs on p1 at t=0, odd ones on p2 at t=100. */
	for (i = 0; i < T_BIG; i++)
		t_sendn(&h, i % 2 ? &p2 : &p1, 0xfffffff, i,
		    i % 2 ? 100 : 0, &out);
	assert_int_equal(h.nmacs, T_BIG);
	assert_int_equal(h.stats.learned, T_BIG);
	assert_int_equal(h.stats.table_full, 0);
	assert_true(h.nslots >= 2 * T_BIG && h.nslots <= 4 * T_BIG);
	t_check(&h);
	for (i = 0; i < T_BIG; i++) {
		t_mac(i, m);
		assert_ptr_equal(sw_mac_lookup(&h, m, 100), i % 2 ? &p2 : &p1);
	}
	sw_mac_foreach(&h, t_count_cb, &n);
	assert_int_equal(n, T_BIG);

	/* Age out the even half. */
	assert_int_equal(sw_age(&h, T_AGING), T_BIG / 2);
	assert_int_equal(h.nmacs, T_BIG / 2);
	t_check(&h);
	for (i = 0; i < T_BIG; i++) {
		t_mac(i, m);
		if (i % 2)
			assert_ptr_equal(sw_mac_lookup(&h, m, T_AGING), &p2);
		else
			assert_null(sw_mac_lookup(&h, m, 0));
	}

	/* Refill, then drop the odd half by port. */
	for (i = 0; i < T_BIG; i += 2)
		t_sendn(&h, &p1, 0xfffffff, i, T_AGING, &out);
	assert_int_equal(h.nmacs, T_BIG);
	assert_int_equal(sw_port_remove(&h, &p2), T_BIG / 2);
	t_check(&h);
	for (i = 0; i < T_BIG; i++) {
		t_mac(i, m);
		if (i % 2)
			assert_null(sw_mac_lookup(&h, m, T_AGING));
		else
			assert_ptr_equal(sw_mac_lookup(&h, m, T_AGING), &p1);
	}
	sw_free(&h);
}

static void
test_max_macs(void **state)
{
	struct sw h;
	struct sw_port p1, p2, *out;
	uint32_t i;
	uint8_t m[6];

	(void)state;
	assert_int_equal(sw_init(&h, "x", T_AGING, 100), 0);
	sw_port_add(&h, &p1, NULL, NULL);
	sw_port_add(&h, &p2, NULL, NULL);
	for (i = 1; i <= 150; i++)
		assert_int_equal(t_sendn(&h, &p1, 0xfffffff, i, 0, &out),
		    SW_FLOOD);
	assert_int_equal(h.nmacs, 100);
	assert_int_equal(h.stats.learned, 100);
	assert_int_equal(h.stats.table_full, 50);
	assert_true(h.nslots <= 256);
	t_check(&h);
	t_mac(150, m);
	assert_null(sw_mac_lookup(&h, m, 0));
	/* Known entries still refresh and move while full. */
	assert_int_equal(t_sendn(&h, &p2, 0xfffffff, 1, 10, &out), SW_FLOOD);
	assert_int_equal(h.stats.moved, 1);
	/* A full table still forwards, to known and unknown MACs alike. */
	assert_int_equal(t_sendn(&h, &p2, 2, 151, 10, &out), SW_UNICAST);
	assert_ptr_equal(out, &p1);
	assert_int_equal(t_sendn(&h, &p1, 151, 2, 10, &out), SW_FLOOD);
	/* Room comes back once entries age out. */
	assert_int_equal(sw_age(&h, T_AGING), 98);
	assert_int_equal(t_sendn(&h, &p1, 0xfffffff, 150, T_AGING, &out),
	    SW_FLOOD);
	assert_ptr_equal(sw_mac_lookup(&h, m, T_AGING), &p1);
	t_check(&h);
	sw_free(&h);

	/* The smallest table works too. */
	assert_int_equal(sw_init(&h, "y", T_AGING, 1), 0);
	sw_port_add(&h, &p1, NULL, NULL);
	sw_port_add(&h, &p2, NULL, NULL);
	assert_int_equal(t_sendn(&h, &p1, 2, 1, 0, &out), SW_FLOOD);
	assert_int_equal(t_sendn(&h, &p2, 1, 2, 0, &out), SW_UNICAST);
	assert_int_equal(h.nmacs, 1);
	assert_int_equal(h.stats.table_full, 1);
	assert_int_equal(sw_age(&h, T_AGING), 1);
	assert_int_equal(h.nmacs, 0);
	sw_free(&h);
}

/* A port kind that records what the engine hands it. */
#define T_FAKE_MAX 16u
struct t_fake {
	struct sw_port port;
	unsigned n;
	uint8_t got[T_FAKE_MAX][T_FRAME_LEN];
};

static void
t_fake_output(struct sw_port *p, const struct vnet_meta *vm,
    const uint8_t *f, size_t len)
{
	struct t_fake *k = p->owner;

	assert_null(vm);
	assert_ptr_equal(&k->port, p);
	assert_int_equal(len, T_FRAME_LEN);
	assert_true(k->n < T_FAKE_MAX);
	memcpy(k->got[k->n++], f, len);
}

static const struct sw_port_ops t_fake_ops = {
	.kind = "fake",
	.output = t_fake_output,
};

/* Forward one frame from src and check who got it: want[i] says whether
 * port i did (exactly once, the same bytes). */
static void
t_forward(struct sw *h, struct t_fake *k, size_t nk, size_t src,
    const uint8_t dst[6], const uint8_t mac[6], uint64_t now, const int *want)
{
	uint8_t f[T_FRAME_LEN];
	unsigned before[8];

	assert_true(nk <= 8);
	for (size_t i = 0; i < nk; i++)
		before[i] = k[i].n;
	t_frame(f, dst, mac);
	f[20] = (uint8_t)now;   /* tells the frames apart */
	sw_forward(h, &k[src].port, NULL, f, sizeof f, now);
	for (size_t i = 0; i < nk; i++) {
		assert_int_equal(k[i].n - before[i], want[i] ? 1 : 0);
		if (want[i])
			assert_memory_equal(k[i].got[k[i].n - 1], f, sizeof f);
	}
}

static void
test_port_ops(void **state)
{
	struct sw h;
	struct t_fake *k = calloc(4, sizeof *k);
	uint8_t m[4][6];

	assert_non_null(k);
	assert_int_equal(sw_init(&h, "ops", T_AGING, 0), 0);
	for (uint32_t i = 0; i < 4; i++) {
		sw_port_add(&h, &k[i].port, &t_fake_ops, &k[i]);
		t_mac(i + 1, m[i]);
	}
	/* Broadcast: every port but the source. */
	t_forward(&h, k, 4, 0, t_bcast, m[0], 1, (int[]){ 0, 1, 1, 1 });
	/* Unknown unicast floods too. */
	t_forward(&h, k, 4, 1, m[2], m[1], 2, (int[]){ 1, 0, 1, 1 });
	/* Known unicast: only the port that MAC was learned on. */
	t_forward(&h, k, 4, 2, m[0], m[2], 3, (int[]){ 1, 0, 0, 0 });
	t_forward(&h, k, 4, 0, m[1], m[0], 4, (int[]){ 0, 1, 0, 0 });
	/* Behind the source port itself: nobody. */
	t_forward(&h, k, 4, 0, m[0], m[0], 5, (int[]){ 0, 0, 0, 0 });
	/* A removed port gets nothing more, and its MAC floods again. */
	sw_port_remove(&h, &k[1].port);
	t_forward(&h, k, 3, 0, m[1], m[0], 6, (int[]){ 0, 0, 1 });
	assert_int_equal(k[3].n, 3);
	sw_free(&h);
	free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_defaults),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_learning),
		cmocka_unit_test(test_flooding),
		cmocka_unit_test(test_no_hairpin),
		cmocka_unit_test(test_aging),
		cmocka_unit_test(test_move),
		cmocka_unit_test(test_port_remove),
		cmocka_unit_test(test_isolation),
		cmocka_unit_test(test_bad_source),
		cmocka_unit_test(test_short_frames),
		cmocka_unit_test(test_hash_is_siphash),
		cmocka_unit_test(test_wraparound),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_max_macs),
		cmocka_unit_test(test_port_ops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
