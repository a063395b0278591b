/*
 * test_offload.c: super-frames through the hub engine. A super-frame is
 * switched once, yet every port ends up with exactly what its segments,
 * switched one by one, would have given it: the same policy verdicts (MAC
 * and IP limits, duplicate addresses, DHCP from a client port), the same
 * bytes once undone. Metadata that does not fit its frame is a bad frame.
 * And an offload item crosses a session whole, with its metadata.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bytes.h"
#include "proto.h"
#include "switch.h"
#include "vnet.h"

#define T_PORTS   3u
#define T_SEGS    64u
#define T_SEG_MAX 1518u

static uint8_t t_scratch[VNET_FRAME_MAX];

/* What one port was given, undone into wire frames. */
struct t_port {
	struct sw_port port;
	unsigned n, offloaded;
	size_t len[T_SEGS];
	uint8_t f[T_SEGS][T_SEG_MAX];
};

static int
t_keep(void *arg, const uint8_t *f, size_t len)
{
	struct t_port *k = arg;

	assert_true(k->n < T_SEGS);
	assert_true(len <= T_SEG_MAX);
	memcpy(k->f[k->n], f, len);
	k->len[k->n++] = len;
	return 0;
}

static void
t_output(struct sw_port *p, const struct vnet_meta *vm, const uint8_t *f,
    size_t len)
{
	struct t_port *k = p->owner;

	if (vm == NULL) {
		t_keep(k, f, len);
		return;
	}
	k->offloaded++;
	assert_int_equal(vnet_check(vm, f, len, T_SEG_MAX), VNET_OK);
	assert_int_equal(vnet_undo(vm, f, len, t_scratch, t_keep, k),
	    VNET_OK);
}

static const struct sw_port_ops t_ops = { .kind = "test",
	.output = t_output };

struct t_hub {
	struct sw h;
	struct t_port p[T_PORTS];
};

static void
t_hub_init(struct t_hub *t, const struct sw_policy *pol0)
{
	memset(t, 0, sizeof *t);
	assert_int_equal(sw_init(&t->h, "T", 60000, 1024), 0);
	for (unsigned i = 0; i < T_PORTS; i++)
		sw_port_add(&t->h, &t->p[i].port, &t_ops, &t->p[i]);
	sw_port_set_policy(&t->p[0].port, pol0);
}

static void
t_hub_free(struct t_hub *t)
{
	for (unsigned i = 0; i < T_PORTS; i++)
		sw_port_remove(&t->h, &t->p[i].port);
	sw_free(&t->h);
}

/* A super-frame from MAC n, IPv4 10.0.0.ip (or IPv6 fd00::ip), TCP or
 * UDP from sport to dport, payload bytes, to dst; its metadata in *vm. */
struct t_spec {
	uint8_t src_mac;
	uint8_t ip;
	int v6, udp;
	uint16_t sport, dport;
	size_t payload;
	uint16_t mss;
	uint8_t first;       /* the payload's first byte */
};

static size_t
t_build(const struct t_spec *sp, const uint8_t dst[6], uint8_t *f,
    struct vnet_meta *vm)
{
	size_t l3 = 14, l4 = l3 + (sp->v6 ? 40 : 20);
	size_t hl = l4 + (sp->udp ? 8 : 20), len = hl + sp->payload;

	memset(f, 0, len);
	memcpy(f, dst, 6);
	f[6] = 0x02;
	f[11] = sp->src_mac;
	be16_put(f + 12, sp->v6 ? 0x86dd : 0x0800);
	if (sp->v6) {
		f[l3] = 0x60;
		be16_put(f + l3 + 4, (uint16_t)(len - l4));
		f[l3 + 6] = sp->udp ? 17 : 6;
		f[l3 + 7] = 64;
		f[l3 + 8] = 0xfd;
		f[l3 + 23] = sp->ip;
		f[l3 + 24] = 0xfd;
		f[l3 + 39] = 0xee;
	} else {
		f[l3] = 0x45;
		be16_put(f + l3 + 2, (uint16_t)(len - l3));
		f[l3 + 8] = 64;
		f[l3 + 9] = sp->udp ? 17 : 6;
		f[l3 + 12] = 10;
		f[l3 + 15] = sp->ip;
		f[l3 + 16] = 10;
		f[l3 + 19] = 0xee;
		be16_put(f + l3 + 10, vnet_csum(f + l3, 20, 0));
	}
	be16_put(f + l4, sp->sport);
	be16_put(f + l4 + 2, sp->dport);
	if (sp->udp)
		be16_put(f + l4 + 4, (uint16_t)(len - l4));
	else
		f[l4 + 12] = 0x50;
	for (size_t i = 0; i < sp->payload; i++)
		f[hl + i] = (uint8_t)(i * 13 + 5);
	if (sp->payload > 0)
		f[hl] = sp->first;
	*vm = (struct vnet_meta){ .flags = VNET_F_NEEDS_CSUM,
	    .gso_type = sp->udp ? VNET_GSO_UDP_L4 : sp->v6 ? VNET_GSO_TCPV6 :
	    VNET_GSO_TCPV4, .hdr_len = (uint16_t)hl, .gso_size = sp->mss,
	    .csum_start = (uint16_t)l4, .csum_offset = sp->udp ? 6 : 16 };
	return len;
}

static int
t_forward_seg(void *arg, const uint8_t *f, size_t len)
{
	struct t_hub *t = arg;

	sw_forward(&t->h, &t->p[0].port, NULL, f, len, 1000);
	return 0;
}

/* The same frames into two hubs with the same policy on port 0: whole
 * into a, cut first into b. Every port then holds the same wire frames,
 * and the same drop reasons were counted. */
static void
t_same(const struct sw_policy *pol, const struct t_spec *specs, size_t n,
    const uint8_t dst[6])
{
	static uint8_t f[VNET_FRAME_MAX];
	struct t_hub *a = malloc(sizeof *a), *b = malloc(sizeof *b);
	struct vnet_meta vm;

	assert_non_null(a);
	assert_non_null(b);
	t_hub_init(a, pol);
	t_hub_init(b, pol);
	/* Port 2 is known, so unicast to it is not flooded. */
	for (unsigned i = 0; i < 2; i++) {
		struct t_spec hello = { .src_mac = 0xee, .ip = 0xee };
		size_t len = t_build(&hello, (const uint8_t[6]){ 0xff, 0xff,
		    0xff, 0xff, 0xff, 0xff }, f, &vm);
		sw_forward(i ? &b->h : &a->h, &(i ? b : a)->p[2].port, NULL, f,
		    len, 1000);
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = t_build(&specs[i], dst, f, &vm);
		sw_forward(&a->h, &a->p[0].port, &vm, f, len, 1000);
		assert_int_equal(vnet_undo(&vm, f, len, t_scratch,
		    t_forward_seg, b), VNET_OK);
	}
	for (unsigned p = 0; p < T_PORTS; p++) {
		assert_int_equal(a->p[p].n, b->p[p].n);
		for (unsigned i = 0; i < a->p[p].n; i++) {
			assert_int_equal(a->p[p].len[i], b->p[p].len[i]);
			assert_memory_equal(a->p[p].f[i], b->p[p].f[i],
			    a->p[p].len[i]);
		}
	}
	for (int r = 0; r < SW_DROP_NREASONS; r++)
		assert_int_equal(a->h.stats.drops[r] != 0,
		    b->h.stats.drops[r] != 0);
	t_hub_free(a);
	t_hub_free(b);
	free(a);
	free(b);
}

static const uint8_t t_to2[6] = { 0x02, 0, 0, 0, 0, 0xee };
static const uint8_t t_bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* TCP: the limits and ownership rules see only headers. */
static void
test_tcp_verdicts(void **state)
{
	struct sw_policy pol = { .max_ip = 1, .max_ip6 = 1, .max_mac = 2,
	    .deny_duplicate_ip = true, .deny_duplicate_mac = true };
	const struct t_spec specs[] = {
		{ .src_mac = 1, .ip = 1, .sport = 4000, .dport = 80,
		  .payload = 10000, .mss = 1448 },
		/* A second IPv4 address: over max_ip. */
		{ .src_mac = 1, .ip = 2, .sport = 4000, .dport = 80,
		  .payload = 5000, .mss = 1448 },
		/* The hub's own neighbour's address: a duplicate. */
		{ .src_mac = 1, .ip = 0xee, .sport = 4000, .dport = 80,
		  .payload = 3000, .mss = 1000 },
		/* Port 2's MAC: a duplicate MAC. */
		{ .src_mac = 0xee, .ip = 1, .sport = 1, .dport = 2,
		  .payload = 3000, .mss = 1000 },
		{ .src_mac = 2, .ip = 1, .v6 = 1, .sport = 5, .dport = 6,
		  .payload = 20000, .mss = 1440 },
		{ .src_mac = 3, .ip = 1, .sport = 5, .dport = 6,
		  .payload = 3000, .mss = 1448 },   /* over max_mac */
	};

	t_same(&pol, specs, sizeof specs / sizeof specs[0], t_to2);
	t_same(NULL, specs, sizeof specs / sizeof specs[0], t_bc);
}

/* UDP: a DHCP server's port from a client port is refused, and UDP to a
 * DHCP port is judged datagram by datagram (a relay's BOOTREQUEST first,
 * then whatever follows), just as its segments would be. */
static void
test_udp_verdicts(void **state)
{
	struct sw_policy pol = { .deny_dhcp_server = true };
	const struct t_spec specs[] = {
		{ .src_mac = 1, .ip = 1, .udp = 1, .sport = 5000,
		  .dport = 5001, .payload = 8000, .mss = 1400 },
		{ .src_mac = 1, .ip = 1, .udp = 1, .sport = 67, .dport = 68,
		  .payload = 4000, .mss = 1000, .first = 1 },
		{ .src_mac = 1, .ip = 1, .udp = 1, .sport = 67, .dport = 68,
		  .payload = 4000, .mss = 1000, .first = 2 },
		{ .src_mac = 1, .ip = 1, .v6 = 1, .udp = 1, .sport = 547,
		  .dport = 546, .payload = 3000, .mss = 1000, .first = 7 },
	};

	t_same(&pol, specs, sizeof specs / sizeof specs[0], t_bc);
	pol = (struct sw_policy){ .filter_dhcp = true };
	t_same(&pol, specs, sizeof specs / sizeof specs[0], t_to2);
}

/* A super-frame that is not what its metadata says: dropped as a bad
 * frame, nothing delivered; a good one reaches the other ports whole. */
static void
test_bad_metadata(void **state)
{
	static uint8_t f[VNET_FRAME_MAX];
	struct t_spec sp = { .src_mac = 1, .ip = 1, .sport = 1, .dport = 2,
	    .payload = 4000, .mss = 1448 };
	struct t_hub *t = malloc(sizeof *t);
	struct vnet_meta vm, bad;
	size_t len;

	assert_non_null(t);
	t_hub_init(t, NULL);
	len = t_build(&sp, t_bc, f, &vm);
	bad = vm;
	bad.gso_size = 4000;           /* segments over a frame */
	sw_forward(&t->h, &t->p[0].port, &bad, f, len, 1000);
	bad = vm;
	bad.gso_type = VNET_GSO_TCPV6; /* not what the frame is */
	sw_forward(&t->h, &t->p[0].port, &bad, f, len, 1000);
	bad = vm;
	bad.flags = 0x03;              /* "checksum verified" */
	sw_forward(&t->h, &t->p[0].port, &bad, f, len, 1000);
	/* No metadata and too long for a frame. */
	bad = (struct vnet_meta){ 0 };
	sw_forward(&t->h, &t->p[0].port, &bad, f, len, 1000);
	assert_int_equal(t->p[0].port.drops[SW_DROP_BAD_FRAME], 4);
	assert_int_equal(t->p[1].n + t->p[2].n, 0);
	sw_forward(&t->h, &t->p[0].port, &vm, f, len, 1000);
	assert_int_equal(t->p[1].offloaded, 1);
	assert_int_equal(t->p[1].n, 3);
	assert_int_equal(t->p[2].offloaded, 1);
	t_hub_free(t);
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_verdicts),
		cmocka_unit_test(test_udp_verdicts),
		cmocka_unit_test(test_bad_metadata),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
