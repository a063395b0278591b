/*
 * test_policy.c: per-port security policy in the hub engine, one test per
 * policy (what must drop drops, what must pass passes), VLAN tags, DHCP
 * snooping end to end, IP learning and aging, and the drop counters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "switch.h"
#include "iptable.h"
#include "proto.h"

#define T_MAX_FRAME   400u
#define T_DHCP_LEN    300u
#define T_SEC         1000u
#define T_DAY_S       86400u
#define T_ETH_IPV4    0x0800u
#define T_ETH_ARP     0x0806u
#define T_ETH_IPV6    0x86ddu
#define T_ETH_VLAN    0x8100u
#define T_ETH_QINQ    0x88a8u
#define T_UDP         17u
#define T_ICMP6       58u

static const uint8_t t_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t t_mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb };

struct t_frame {
	uint8_t b[T_MAX_FRAME];
	size_t len;
};

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

/* 192.168.x.y by number; 0 is 0.0.0.0. */
static void
t_ip(uint32_t n, uint8_t ip[4])
{
	if (n == 0) {
		memset(ip, 0, 4);
		return;
	}
	ip[0] = 192;
	ip[1] = 168;
	ip[2] = (uint8_t)(n >> 8);
	ip[3] = (uint8_t)n;
}

static uint32_t
t_ip32(uint32_t n)
{
	uint8_t b[4];
	uint32_t v;

	t_ip(n, b);
	memcpy(&v, b, 4);
	return v;
}

/* fe80::n or 2001:db8::n */
static void
t_ip6(uint32_t n, int global, uint8_t ip[16])
{
	memset(ip, 0, 16);
	ip[0] = global ? 0x20 : 0xfe;
	ip[1] = global ? 0x01 : 0x80;
	if (global) {
		ip[2] = 0x0d;
		ip[3] = 0xb8;
	}
	ip[14] = (uint8_t)(n >> 8);
	ip[15] = (uint8_t)n;
}

static void
t_put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
t_eth(struct t_frame *f, const uint8_t dst[6], uint32_t src, uint32_t type)
{
	memset(f, 0, sizeof *f);
	memcpy(f->b, dst, 6);
	t_mac(src, f->b + 6);
	t_put16(f->b + 12, type);
	f->len = PROTO_ETH_HDR;
}

/* Push a VLAN tag in front of the EtherType. */
static void
t_tag(struct t_frame *f, uint32_t tpid, uint32_t vid)
{
	memmove(f->b + 16, f->b + 12, f->len - 12);
	t_put16(f->b + 12, tpid);
	t_put16(f->b + 14, vid);
	f->len += 4;
}

static void
t_arp(struct t_frame *f, const uint8_t dst[6], uint32_t src, int reply,
    uint32_t sip, uint32_t tip)
{
	uint8_t *a;

	t_eth(f, dst, src, T_ETH_ARP);
	a = f->b + f->len;
	t_put16(a, 1);
	t_put16(a + 2, T_ETH_IPV4);
	a[4] = 6;
	a[5] = 4;
	t_put16(a + 6, reply ? 2 : 1);
	t_mac(src, a + 8);
	t_ip(sip, a + 14);
	t_ip(tip, a + 24);
	f->len += 28;
	if (f->len < 60)
		f->len = 60;
}

/* IPv4 UDP with plen payload bytes (left zero for the caller). */
static uint8_t *
t_udp4(struct t_frame *f, const uint8_t dst[6], uint32_t src, uint32_t sip,
    const uint8_t dip[4], uint32_t sport, uint32_t dport, size_t plen)
{
	uint8_t *ip;

	t_eth(f, dst, src, T_ETH_IPV4);
	ip = f->b + f->len;
	ip[0] = 0x45;
	t_put16(ip + 2, (uint32_t)(20 + 8 + plen));
	ip[8] = 64;
	ip[9] = T_UDP;
	t_ip(sip, ip + 12);
	memcpy(ip + 16, dip, 4);
	t_put16(ip + 20, sport);
	t_put16(ip + 22, dport);
	t_put16(ip + 24, (uint32_t)(8 + plen));
	f->len += 28 + plen;
	return ip + 28;
}

/* Plain IPv4 unicast (UDP to port 9) from src MAC and IP to dst MAC. */
static void
t_ip4(struct t_frame *f, const uint8_t dst[6], uint32_t src, uint32_t sip)
{
	uint8_t dip[4];

	t_ip(250, dip);
	t_udp4(f, dst, src, sip, dip, 40000, 9, 18);
}

enum { T_DISCOVER = 1, T_OFFER = 2, T_REQUEST = 3, T_ACK = 5 };

/*
 * A DHCP message. Clients send from 0.0.0.0:68 to broadcast:67 with
 * their own MAC as chaddr; servers from sip:67 to broadcast:68, giving
 * yiaddr to chaddr for lease seconds.
 */
static void
t_dhcp(struct t_frame *f, uint32_t src, uint32_t sip, int type,
    uint32_t chaddr, uint32_t yiaddr, uint32_t lease)
{
	int server = type == T_OFFER || type == T_ACK;
	uint8_t *b, *o;

	b = t_udp4(f, t_bcast, src, server ? sip : 0, t_bcast,
	    server ? 67 : 68, server ? 68 : 67, T_DHCP_LEN - 42);
	b[0] = server ? 2 : 1;
	b[1] = 1;
	b[2] = 6;
	t_ip(yiaddr, b + 16);
	t_mac(chaddr, b + 28);
	b[236] = 99;
	b[237] = 130;
	b[238] = 83;
	b[239] = 99;
	o = b + 240;
	*o++ = 53;
	*o++ = 1;
	*o++ = (uint8_t)type;
	if (server) {
		*o++ = 51;
		*o++ = 4;
		*o++ = (uint8_t)(lease >> 24);
		*o++ = (uint8_t)(lease >> 16);
		*o++ = (uint8_t)(lease >> 8);
		*o++ = (uint8_t)lease;
	}
	*o = 255;
}

/* IPv6 from src; next header nh, then len bytes of body the caller fills. */
static uint8_t *
t_ipv6(struct t_frame *f, const uint8_t dst[6], uint32_t src,
    const uint8_t sip[16], uint32_t nh, size_t len)
{
	uint8_t *ip;

	t_eth(f, dst, src, T_ETH_IPV6);
	ip = f->b + f->len;
	ip[0] = 0x60;
	t_put16(ip + 4, (uint32_t)len);
	ip[6] = (uint8_t)nh;
	ip[7] = 255;
	memcpy(ip + 8, sip, 16);
	ip[24] = 0xff;
	ip[25] = 0x02;
	ip[39] = 1;
	f->len += 40 + len;
	return ip + 40;
}

/* ICMPv6 of a type (134 RA, 133 RS, 135 NS) behind next (0: none, or
 * a hop-by-hop options header, or a fragment header). */
static void
t_icmp6(struct t_frame *f, uint32_t src, uint32_t type, uint32_t ext,
    const uint8_t dst[6])
{
	uint8_t sip[16], *p;

	t_ip6(src, 0, sip);
	if (ext == 0) {
		p = t_ipv6(f, dst, src, sip, T_ICMP6, 16);
		p[0] = (uint8_t)type;
		return;
	}
	p = t_ipv6(f, dst, src, sip, ext, 8 + 16);
	p[0] = T_ICMP6;     /* next header, length 0: 8 bytes */
	p[8] = (uint8_t)type;
}

static enum sw_verdict
t_in(struct sw *h, struct sw_port *p, const struct t_frame *f,
    uint64_t now, struct sw_meta *m)
{
	struct sw_meta local;

	return sw_input(h, p, f->b, f->len, now, m != NULL ? m : &local);
}

/* The frame is dropped for reason r, and counted for it. */
static void
t_drops(struct sw *h, struct sw_port *p, const struct t_frame *f,
    uint64_t now, enum sw_drop_reason r)
{
	struct sw_meta m;
	uint64_t before = p->drops[r], sw_before = h->stats.drops[r];

	assert_int_equal(t_in(h, p, f, now, &m), SW_DROP);
	assert_int_equal(m.why, r);
	assert_null(m.dst);
	assert_int_equal(p->drops[r], before + 1);
	assert_int_equal(h->stats.drops[r], sw_before + 1);
}

/* The frame is forwarded (flooded or unicast). */
static void
t_passes(struct sw *h, struct sw_port *p, const struct t_frame *f,
    uint64_t now)
{
	struct sw_meta m;
	enum sw_verdict v = t_in(h, p, f, now, &m);

	if (v == SW_DROP)
		fail_msg("dropped: %s", sw_drop_name(m.why));
}

struct t_hub {
	struct sw h;
	struct sw_port p[4];
};

static void
t_setup(struct t_hub *t, const struct sw_policy *pol1)
{
	int i;

	assert_int_equal(sw_init(&t->h, "t", 0, 0), 0);
	for (i = 0; i < 4; i++)
		sw_port_add(&t->h, &t->p[i], NULL, NULL);
	sw_port_set_policy(&t->p[1], pol1);
}

static struct sw_port *
t_mac_port(struct sw *h, uint32_t n, uint64_t now)
{
	uint8_t mac[6];

	t_mac(n, mac);
	return sw_mac_lookup(h, mac, now);
}

/* ---- Each policy -------------------------------------------------------- */

static void
test_no_policy(void **state)
{
	static const struct sw_policy off;
	struct t_hub t;
	struct t_frame f;
	uint8_t mac[6];
	int pass;

	(void)state;
	/* No policy, and a policy with every key off, pass the same. */
	for (pass = 0; pass < 2; pass++) {
		t_setup(&t, pass ? &off : NULL);
		assert_int_equal(t.p[1].checks, 0);
		t_arp(&f, t_bcast, 1, 0, 1, 2);
		t_passes(&t.h, &t.p[1], &f, 0);
		t_dhcp(&f, 1, 1, T_ACK, 7, 7, 60);
		t_passes(&t.h, &t.p[1], &f, 0);
		t_icmp6(&f, 1, 134, 0, t_bcast);
		t_passes(&t.h, &t.p[1], &f, 0);
		t_ip4(&f, t_bcast, 2, 3);
		t_passes(&t.h, &t.p[1], &f, 0);
		/* Three tags: opaque, but not policed. */
		t_ip4(&f, t_bcast, 1, 1);
		t_tag(&f, T_ETH_VLAN, 1);
		t_tag(&f, T_ETH_VLAN, 2);
		t_tag(&f, T_ETH_QINQ, 3);
		t_passes(&t.h, &t.p[1], &f, 0);
		assert_int_equal(t.p[1].drop_frames, 0);
		t_mac(2, mac);
		assert_ptr_equal(sw_mac_lookup(&t.h, mac, 0), &t.p[1]);
		sw_free(&t.h);
	}
}

static void
test_deny_broadcast(void **state)
{
	static const struct sw_policy pol = { .deny_broadcast = true };
	struct t_hub t;
	struct t_frame f;
	uint8_t mac2[6];

	(void)state;
	t_setup(&t, &pol);
	t_mac(2, mac2);
	/* An ARP request is a broadcast: the port cannot ask ... */
	t_arp(&f, t_bcast, 1, 0, 1, 2);
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_BROADCAST);
	assert_null(t_mac_port(&t.h, 1, 0));       /* and taught nothing */
	/* ... nor DISCOVER a DHCP server. */
	t_dhcp(&f, 1, 0, T_DISCOVER, 1, 0, 0);
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_BROADCAST);
	/* Tagged once or twice, still a broadcast. */
	t_ip4(&f, t_bcast, 1, 1);
	t_tag(&f, T_ETH_VLAN, 10);
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_BROADCAST);
	t_tag(&f, T_ETH_QINQ, 20);
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_BROADCAST);

	/* Others ask; it answers by unicast. */
	t_arp(&f, t_bcast, 2, 0, 2, 1);
	t_passes(&t.h, &t.p[2], &f, 0);
	t_arp(&f, mac2, 1, 1, 1, 2);
	assert_int_equal(t_in(&t.h, &t.p[1], &f, 0, NULL), SW_UNICAST);
	/* Multicast is not broadcast. */
	t_icmp6(&f, 1, 135, 0, t_mcast);
	t_passes(&t.h, &t.p[1], &f, 0);
	t_ip4(&f, mac2, 1, 1);
	t_tag(&f, T_ETH_VLAN, 10);
	assert_int_equal(t_in(&t.h, &t.p[1], &f, 0, NULL), SW_UNICAST);
	/* Other ports may broadcast. */
	t_ip4(&f, t_bcast, 3, 3);
	t_passes(&t.h, &t.p[3], &f, 0);
	assert_int_equal(t.p[1].drop_frames, 4);
	assert_int_equal(t.h.stats.dropped, 4);
	sw_free(&t.h);
}

static void
test_deny_dhcp_server(void **state)
{
	static const struct sw_policy pol = { .deny_dhcp_server = true };
	struct t_hub t;
	struct t_frame f;
	uint8_t *b, dst[4], sip6[16];

	(void)state;
	t_setup(&t, &pol);
	/* The client (MAC 2, port 2) is known. */
	t_dhcp(&f, 2, 0, T_DISCOVER, 2, 0, 0);
	t_passes(&t.h, &t.p[2], &f, 0);
	t_dhcp(&f, 1, 1, T_OFFER, 2, 20, 600);
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_DHCP_SERVER);
	t_dhcp(&f, 1, 1, T_ACK, 2, 20, 600);
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_DHCP_SERVER);
	assert_null(iptable_lookup4(&t.h.ips, t_ip32(20), 0)); /* no binding */
	t_tag(&f, T_ETH_VLAN, 5);
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_DHCP_SERVER);
	t_tag(&f, T_ETH_QINQ, 6);
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_DHCP_SERVER);
	/* Anything from port 67 but a request: a BOOTREPLY cut short too. */
	t_ip(9, dst);
	b = t_udp4(&f, t_bcast, 1, 1, dst, 67, 68, 0);
	(void)b;
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_DHCP_SERVER);
	/* DHCPv6 ADVERTISE from port 547. */
	t_ip6(1, 0, sip6);
	b = t_ipv6(&f, t_mcast, 1, sip6, T_UDP, 12);
	t_put16(b, 547);
	t_put16(b + 2, 546);
	t_put16(b + 4, 12);
	b[8] = 2;
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_DHCP_SERVER);
	assert_null(t_mac_port(&t.h, 1, 0));

	/* The port may be a DHCP client, and a relay's requests pass. */
	t_dhcp(&f, 1, 0, T_DISCOVER, 1, 0, 0);
	t_passes(&t.h, &t.p[1], &f, 0);
	t_dhcp(&f, 1, 0, T_REQUEST, 1, 0, 0);
	f.b[PROTO_ETH_HDR + 20] = 0;
	f.b[PROTO_ETH_HDR + 21] = 67;
	t_passes(&t.h, &t.p[1], &f, 0);
	b = t_ipv6(&f, t_mcast, 1, sip6, T_UDP, 12);
	t_put16(b, 546);
	t_put16(b + 2, 547);
	t_put16(b + 4, 12);
	b[8] = 1;
	t_passes(&t.h, &t.p[1], &f, 0);
	/* Other UDP, even to port 68's neighbours, passes. */
	t_udp4(&f, t_bcast, 1, 1, dst, 53, 53, 20);
	t_passes(&t.h, &t.p[1], &f, 0);
	/* The real server on another port binds. */
	t_dhcp(&f, 3, 3, T_ACK, 2, 20, 600);
	t_passes(&t.h, &t.p[3], &f, 0);
	assert_ptr_equal(iptable_lookup4(&t.h.ips, t_ip32(20), 0), &t.p[2]);
	sw_free(&t.h);
}

static void
test_filter_dhcp(void **state)
{
	static const struct sw_policy pol = { .filter_dhcp = true };
	struct t_hub t;
	struct t_frame f;
	struct sw_meta m;
	uint8_t mac1[6], dst[4], *b, sip6[16];

	(void)state;
	t_setup(&t, &pol);
	t_mac(1, mac1);
	t_ip(9, dst);
	/* From the port: client and server messages, v4 and v6. */
	t_dhcp(&f, 1, 0, T_DISCOVER, 1, 0, 0);
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_DHCP_FILTERED);
	t_dhcp(&f, 1, 1, T_ACK, 2, 20, 600);
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_DHCP_FILTERED);
	t_udp4(&f, t_bcast, 1, 1, dst, 1000, 68, 10);
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_DHCP_FILTERED);
	t_ip6(1, 0, sip6);
	b = t_ipv6(&f, t_mcast, 1, sip6, T_UDP, 12);
	t_put16(b, 546);
	t_put16(b + 2, 547);
	t_put16(b + 4, 12);
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_DHCP_FILTERED);
	t_tag(&f, T_ETH_VLAN, 7);
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_DHCP_FILTERED);
	/* Everything else passes. */
	t_udp4(&f, t_bcast, 1, 1, dst, 1000, 69, 10);
	t_passes(&t.h, &t.p[1], &f, 0);
	assert_ptr_equal(t_mac_port(&t.h, 1, 0), &t.p[1]);

	/* To the port: flooded DHCP is held back, the rest goes. */
	t_dhcp(&f, 3, 3, T_OFFER, 1, 30, 600);
	assert_int_equal(t_in(&t.h, &t.p[3], &f, 0, &m), SW_FLOOD);
	assert_true(m.flags & SW_META_DHCP);
	assert_false(sw_egress_ok(&t.p[1], &m));
	assert_true(sw_egress_ok(&t.p[2], &m));
	assert_int_equal(t.p[1].drops[SW_DROP_DHCP_FILTERED], 6);
	t_ip4(&f, t_bcast, 3, 3);
	assert_int_equal(t_in(&t.h, &t.p[3], &f, 0, &m), SW_FLOOD);
	assert_true(sw_egress_ok(&t.p[1], &m));
	/* Unicast DHCP to it drops, counted on it; other unicast goes. */
	t_dhcp(&f, 3, 3, T_ACK, 1, 30, 600);
	memcpy(f.b, mac1, 6);
	assert_int_equal(t_in(&t.h, &t.p[3], &f, 0, &m), SW_DROP);
	assert_int_equal(m.why, SW_DROP_DHCP_FILTERED);
	assert_int_equal(t.p[1].drops[SW_DROP_DHCP_FILTERED], 7);
	assert_int_equal(t.p[3].drop_frames, 0);
	/* And the ACK did not bind an address to a port that never saw it. */
	assert_null(iptable_lookup4(&t.h.ips, t_ip32(30), 0));
	t_ip4(&f, mac1, 3, 3);
	assert_int_equal(t_in(&t.h, &t.p[3], &f, 0, &m), SW_UNICAST);
	assert_ptr_equal(m.dst, &t.p[1]);
	/* Frames the engine cannot see into might be DHCP. */
	t_ip4(&f, t_bcast, 3, 3);
	t_tag(&f, T_ETH_VLAN, 1);
	t_tag(&f, T_ETH_VLAN, 2);
	t_tag(&f, T_ETH_VLAN, 3);
	assert_int_equal(t_in(&t.h, &t.p[3], &f, 0, &m), SW_FLOOD);
	assert_false(sw_egress_ok(&t.p[1], &m));
	assert_true(sw_egress_ok(&t.p[2], &m));
	sw_free(&t.h);
}

static void
test_ipv6_ra_filter(void **state)
{
	static const struct sw_policy pol = { .ipv6_ra_filter = true };
	struct t_hub t;
	struct t_frame f;
	uint8_t sip[16], *p;

	(void)state;
	t_setup(&t, &pol);
	t_icmp6(&f, 1, 134, 0, t_mcast);
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_ROUTER_ADVERT);
	t_tag(&f, T_ETH_VLAN, 3);
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_ROUTER_ADVERT);
	/* Behind hop-by-hop options, destination options or a first
	 * fragment header. */
	t_ip6(1, 0, sip);
	p = t_ipv6(&f, t_mcast, 1, sip, 0, 8 + 16);
	p[0] = T_ICMP6;
	p[8] = 134;
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_ROUTER_ADVERT);
	t_icmp6(&f, 1, 134, 60, t_mcast);
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_ROUTER_ADVERT);
	t_icmp6(&f, 1, 134, 44, t_mcast);
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_ROUTER_ADVERT);
	/* A chain cut short, or too long, cannot be checked. */
	p = t_ipv6(&f, t_mcast, 1, sip, 60, 8);
	p[0] = 60;
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_BAD_FRAME);
	p = t_ipv6(&f, t_mcast, 1, sip, 60, 8 * 10 + 16);
	for (int i = 0; i < 10; i++)
		p[8 * i] = i < 9 ? 60 : T_ICMP6;
	p[80] = 134;
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_BAD_FRAME);
	assert_null(t_mac_port(&t.h, 1, 0));

	/* Solicitations, neighbour discovery, later fragments pass. */
	t_icmp6(&f, 1, 133, 0, t_mcast);
	t_passes(&t.h, &t.p[1], &f, 0);
	t_icmp6(&f, 1, 135, 60, t_mcast);
	t_passes(&t.h, &t.p[1], &f, 0);
	t_icmp6(&f, 1, 134, 44, t_mcast);
	f.b[PROTO_ETH_HDR + 40 + 3] = 0x08;     /* offset 1 */
	t_passes(&t.h, &t.p[1], &f, 0);
	/* Other ports may be routers. */
	t_icmp6(&f, 2, 134, 0, t_mcast);
	t_passes(&t.h, &t.p[2], &f, 0);
	sw_free(&t.h);
}

static void
test_max_mac(void **state)
{
	static const struct sw_policy one = { .max_mac = 1 };
	static const struct sw_policy three = { .max_mac = 3 };
	struct t_hub t;
	struct t_frame f;
	uint32_t i;

	(void)state;
	t_setup(&t, &one);
	t_ip4(&f, t_bcast, 1, 1);
	t_passes(&t.h, &t.p[1], &f, 0);
	t_ip4(&f, t_bcast, 2, 1);
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_MAX_MAC);
	assert_null(t_mac_port(&t.h, 2, 0));
	t_ip4(&f, t_bcast, 1, 1);
	t_passes(&t.h, &t.p[1], &f, 1);
	assert_int_equal(t.p[1].macs, 1);
	/* Taking a MAC over from another port counts too. */
	t_ip4(&f, t_bcast, 3, 3);
	t_passes(&t.h, &t.p[2], &f, 0);
	t_ip4(&f, t_bcast, 3, 3);
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_MAX_MAC);
	assert_ptr_equal(t_mac_port(&t.h, 3, 0), &t.p[2]);
	/* Once the first has aged out, another may come. */
	sw_age(&t.h, 1 + SW_DEFAULT_AGING_MS);
	t_ip4(&f, t_bcast, 2, 1);
	t_passes(&t.h, &t.p[1], &f, 1 + SW_DEFAULT_AGING_MS);
	sw_free(&t.h);

	/* A small bridge. */
	t_setup(&t, &three);
	for (i = 1; i <= 3; i++) {
		t_ip4(&f, t_bcast, i, i);
		t_passes(&t.h, &t.p[1], &f, 0);
	}
	t_ip4(&f, t_bcast, 4, 4);
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_MAX_MAC);
	for (i = 1; i <= 3; i++) {
		t_ip4(&f, t_bcast, i, i);
		t_passes(&t.h, &t.p[1], &f, 0);
	}
	assert_int_equal(t.p[1].macs, 3);
	sw_free(&t.h);
}

static void
test_deny_duplicate_mac(void **state)
{
	static const struct sw_policy pol = { .deny_duplicate_mac = true };
	struct t_hub t;
	struct t_frame f;
	uint64_t later = SW_DEFAULT_AGING_MS;

	(void)state;
	t_setup(&t, &pol);
	t_ip4(&f, t_bcast, 5, 5);
	t_passes(&t.h, &t.p[2], &f, 0);
	t_ip4(&f, t_bcast, 5, 6);
	t_drops(&t.h, &t.p[1], &f, 1, SW_DROP_DUP_MAC);
	assert_ptr_equal(t_mac_port(&t.h, 5, 1), &t.p[2]);     /* not stolen */
	assert_int_equal(t.h.stats.moved, 0);
	t_ip4(&f, t_bcast, 1, 1);
	t_passes(&t.h, &t.p[1], &f, 1);
	/* Without the policy the MAC moves, as on any switch. */
	t_ip4(&f, t_bcast, 5, 5);
	t_passes(&t.h, &t.p[3], &f, 2);
	assert_ptr_equal(t_mac_port(&t.h, 5, 2), &t.p[3]);
	/* Ports with the policy can take MACs no one else has used lately,
	 * and own MACs never count as duplicates. */
	t_ip4(&f, t_bcast, 5, 6);
	t_passes(&t.h, &t.p[1], &f, 2 + later);
	assert_ptr_equal(t_mac_port(&t.h, 5, 2 + later), &t.p[1]);
	t_passes(&t.h, &t.p[1], &f, 3 + later);
	sw_free(&t.h);
}

static void
test_max_ip(void **state)
{
	static const struct sw_policy one = { .max_ip = 1 };
	static const struct sw_policy two = { .max_ip = 2 };
	struct t_hub t;
	struct t_frame f;
	uint64_t later = IPTABLE_DEFAULT_AGING_MS;

	(void)state;
	t_setup(&t, &one);
	t_ip4(&f, t_bcast, 1, 10);
	t_passes(&t.h, &t.p[1], &f, 0);
	t_ip4(&f, t_bcast, 1, 11);
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_MAX_IP);
	t_arp(&f, t_bcast, 1, 0, 11, 10);
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_MAX_IP);
	assert_null(iptable_lookup4(&t.h.ips, t_ip32(11), 0));
	t_ip4(&f, t_bcast, 1, 10);
	t_passes(&t.h, &t.p[1], &f, 1);
	t_arp(&f, t_bcast, 1, 0, 10, 11);
	t_passes(&t.h, &t.p[1], &f, 1);
	/* No address at all is not an address. */
	t_dhcp(&f, 1, 0, T_DISCOVER, 1, 0, 0);
	t_passes(&t.h, &t.p[1], &f, 1);
	t_arp(&f, t_bcast, 1, 0, 0, 12);
	t_passes(&t.h, &t.p[1], &f, 1);
	assert_int_equal(t.p[1].ip4s, 1);
	/* IPv6 is not limited by it. */
	t_icmp6(&f, 1, 135, 0, t_mcast);
	t_passes(&t.h, &t.p[1], &f, 1);
	/* After the first address ages out, the port may change. */
	sw_age(&t.h, 1 + later);
	assert_int_equal(t.p[1].ip4s, 0);
	t_ip4(&f, t_bcast, 1, 11);
	t_passes(&t.h, &t.p[1], &f, 1 + later);
	t_ip4(&f, t_bcast, 1, 10);
	t_drops(&t.h, &t.p[1], &f, 1 + later, SW_DROP_MAX_IP);
	sw_free(&t.h);

	t_setup(&t, &two);
	t_ip4(&f, t_bcast, 1, 10);
	t_passes(&t.h, &t.p[1], &f, 0);
	t_arp(&f, t_bcast, 1, 0, 11, 10);
	t_passes(&t.h, &t.p[1], &f, 0);
	t_ip4(&f, t_bcast, 1, 12);
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_MAX_IP);
	t_ip4(&f, t_bcast, 1, 11);
	t_passes(&t.h, &t.p[1], &f, 0);
	sw_free(&t.h);
}

static void
test_deny_duplicate_ip(void **state)
{
	static const struct sw_policy pol = { .deny_duplicate_ip = true };
	struct t_hub t;
	struct t_frame f;
	uint8_t sip[16], *p;
	uint64_t later = IPTABLE_DEFAULT_AGING_MS;

	(void)state;
	t_setup(&t, &pol);
	t_ip4(&f, t_bcast, 2, 20);
	t_passes(&t.h, &t.p[2], &f, 0);
	t_ip4(&f, t_bcast, 1, 20);
	t_drops(&t.h, &t.p[1], &f, 1, SW_DROP_DUP_IP);
	t_arp(&f, t_bcast, 1, 1, 20, 21);       /* a gratuitous claim */
	t_drops(&t.h, &t.p[1], &f, 1, SW_DROP_DUP_IP);
	assert_ptr_equal(iptable_lookup4(&t.h.ips, t_ip32(20), 1), &t.p[2]);
	assert_null(t_mac_port(&t.h, 1, 1));
	t_ip4(&f, t_bcast, 1, 21);
	t_passes(&t.h, &t.p[1], &f, 1);
	t_passes(&t.h, &t.p[1], &f, 2);
	/* IPv6 too; the unspecified source of DAD is no one's. */
	t_ip6(7, 1, sip);
	p = t_ipv6(&f, t_mcast, 2, sip, 59, 0);
	(void)p;
	t_passes(&t.h, &t.p[2], &f, 2);
	p = t_ipv6(&f, t_mcast, 1, sip, 59, 0);
	t_drops(&t.h, &t.p[1], &f, 2, SW_DROP_DUP_IP);
	memset(sip, 0, sizeof sip);
	t_ipv6(&f, t_mcast, 1, sip, 59, 0);
	t_passes(&t.h, &t.p[1], &f, 2);
	/* Without the policy an address moves. */
	t_ip4(&f, t_bcast, 3, 20);
	t_passes(&t.h, &t.p[3], &f, 3);
	assert_ptr_equal(iptable_lookup4(&t.h.ips, t_ip32(20), 3), &t.p[3]);
	/* Once the other owner has gone quiet, it may be taken. */
	t_ip4(&f, t_bcast, 1, 20);
	t_drops(&t.h, &t.p[1], &f, 2 + later, SW_DROP_DUP_IP);
	t_passes(&t.h, &t.p[1], &f, 3 + later);
	assert_ptr_equal(iptable_lookup4(&t.h.ips, t_ip32(20), 3 + later),
	    &t.p[1]);
	sw_free(&t.h);
}

/* An ND message from src: type 135 (NS) or 136 (NA) about target (by
 * number, global), with one link-layer address option of opt_type (0:
 * none) naming MAC number opt_mac. */
static void
t_nd(struct t_frame *f, uint32_t src, uint32_t type, uint32_t target,
    uint32_t opt_type, uint32_t opt_mac)
{
	uint8_t sip[16], *p;

	t_ip6(src, 0, sip);
	p = t_ipv6(f, t_mcast, src, sip, T_ICMP6, opt_type ? 32 : 24);
	p[0] = (uint8_t)type;
	t_ip6(target, 1, p + 8);
	if (opt_type) {
		p[24] = (uint8_t)opt_type;
		p[25] = 1;
		t_mac(opt_mac, p + 26);
	}
}

/* ARP and ND name the sender's MAC and claim addresses besides the
 * frame's own source: with deny_duplicate_ip those are checked too. */
static void
test_neighbor_spoof(void **state)
{
	static const struct sw_policy pol = { .deny_duplicate_ip = true };
	struct t_hub t;
	struct t_frame f;
	uint8_t a[16];

	(void)state;
	t_setup(&t, &pol);
	/* ARP whose sender hardware address is another host's. */
	t_arp(&f, t_bcast, 1, 1, 30, 31);
	t_mac(9, f.b + PROTO_ETH_HDR + 8);
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_SPOOF);
	t_arp(&f, t_bcast, 1, 1, 30, 31);
	t_passes(&t.h, &t.p[1], &f, 0);
	/* Port 2 owns 2001:db8::7 (its NA says so, and it is learned). */
	t_nd(&f, 2, 136, 7, 2, 2);
	t_passes(&t.h, &t.p[2], &f, 1);
	t_ip6(7, 1, a);
	assert_ptr_equal(iptable_lookup6(&t.h.ips, a, 1), &t.p[2]);
	/* Port 1 claiming it from its own link-local address: dropped. */
	t_nd(&f, 1, 136, 7, 2, 1);
	t_drops(&t.h, &t.p[1], &f, 2, SW_DROP_DUP_IP);
	t_nd(&f, 1, 136, 7, 0, 0);
	t_drops(&t.h, &t.p[1], &f, 2, SW_DROP_DUP_IP);
	assert_ptr_equal(iptable_lookup6(&t.h.ips, a, 2), &t.p[2]);
	/* Its own address, but naming another MAC as the target's. */
	t_nd(&f, 1, 136, 8, 2, 9);
	t_drops(&t.h, &t.p[1], &f, 2, SW_DROP_SPOOF);
	t_nd(&f, 1, 136, 8, 2, 1);
	t_passes(&t.h, &t.p[1], &f, 2);
	t_ip6(8, 1, a);
	assert_ptr_equal(iptable_lookup6(&t.h.ips, a, 2), &t.p[1]);
	/* A solicitation's source link-layer address is checked; asking
	 * about someone else's address is not a claim. */
	t_nd(&f, 1, 135, 7, 1, 9);
	t_drops(&t.h, &t.p[1], &f, 2, SW_DROP_SPOOF);
	t_nd(&f, 1, 135, 7, 1, 1);
	t_passes(&t.h, &t.p[1], &f, 2);
	/* Without the policy, port 3 may say what it likes. */
	t_nd(&f, 3, 136, 7, 2, 9);
	t_passes(&t.h, &t.p[3], &f, 3);
	sw_free(&t.h);
}

/* ICMPv6 redirects are a router's word too. */
static void
test_redirect(void **state)
{
	static const struct sw_policy pol = { .ipv6_ra_filter = true };
	struct t_hub t;
	struct t_frame f;

	(void)state;
	t_setup(&t, &pol);
	t_icmp6(&f, 1, 137, 0, t_mcast);
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_ROUTER_ADVERT);
	t_icmp6(&f, 1, 137, 60, t_mcast);
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_ROUTER_ADVERT);
	t_icmp6(&f, 2, 137, 0, t_mcast);
	t_passes(&t.h, &t.p[2], &f, 0);
	sw_free(&t.h);
}

/* max_ip6 limits IPv6 sources; without it, no port learns more than
 * IPTABLE_PORT_MAX of either family. */
static void
test_max_ip6(void **state)
{
	static const struct sw_policy pol = { .max_ip6 = 2 };
	struct t_hub t;
	struct t_frame f;
	uint8_t sip[16];

	(void)state;
	t_setup(&t, &pol);
	for (uint32_t i = 1; i <= 2; i++) {
		t_ip6(100 + i, 1, sip);
		t_ipv6(&f, t_mcast, 1, sip, 59, 0);
		t_passes(&t.h, &t.p[1], &f, 0);
	}
	t_ip6(103, 1, sip);
	t_ipv6(&f, t_mcast, 1, sip, 59, 0);
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_MAX_IP);
	t_ip6(101, 1, sip);
	t_ipv6(&f, t_mcast, 1, sip, 59, 0);
	t_passes(&t.h, &t.p[1], &f, 0);
	assert_int_equal(t.p[1].ip6s, 2);
	/* Port 2, no policy: 2000 addresses, the first 1024 learned. */
	for (uint32_t i = 0; i < 2000; i++) {
		t_ip6(1000 + i, 1, sip);
		t_ipv6(&f, t_mcast, 2, sip, 59, 0);
		t_passes(&t.h, &t.p[2], &f, 0);
		t_ip4(&f, t_bcast, 2, 1000 + i);
		t_passes(&t.h, &t.p[2], &f, 0);
	}
	assert_int_equal(t.p[2].ip6s, IPTABLE_PORT_MAX);
	assert_int_equal(t.p[2].ip4s, IPTABLE_PORT_MAX);
	assert_int_equal(t.h.ips.stats.port_full, 2 * (2000 -
	    IPTABLE_PORT_MAX));
	sw_free(&t.h);
}

/* One port flooding source MACs: it holds SW_PORT_MAX_MACS at most, so
 * the hub's table keeps room and a third party's unicast stays unicast. */
static void
test_mac_flood(void **state)
{
	static const struct sw_policy big = { .max_mac = 5000 };
	struct t_hub t;
	struct t_frame f;
	struct sw_meta m;
	uint8_t dst[6];
	uint32_t passed = 0;

	(void)state;
	assert_int_equal(sw_init(&t.h, "t", 0, 20000), 0);
	for (int i = 0; i < 4; i++)
		sw_port_add(&t.h, &t.p[i], NULL, NULL);
	for (uint32_t i = 0; i < 30000; i++) {
		t_eth(&f, t_bcast, 100000 + i, 0x88b5);
		f.len = 60;
		if (t_in(&t.h, &t.p[1], &f, 0, &m) != SW_DROP)
			passed++;
		else
			assert_int_equal(m.why, SW_DROP_MAX_MAC);
	}
	assert_int_equal(passed, SW_PORT_MAX_MACS);
	assert_int_equal(t.p[1].macs, SW_PORT_MAX_MACS);
	/* Two others meet afterwards: learned, and unicast to each other. */
	t_eth(&f, t_bcast, 2, 0x88b5);
	f.len = 60;
	t_passes(&t.h, &t.p[2], &f, 1);
	t_mac(2, dst);
	t_eth(&f, dst, 3, 0x88b5);
	f.len = 60;
	assert_int_equal(t_in(&t.h, &t.p[3], &f, 1, &m), SW_UNICAST);
	assert_ptr_equal(m.dst, &t.p[2]);
	/* A port configured for a big LAN holds more. */
	sw_port_set_policy(&t.p[1], &big);
	for (uint32_t i = 0; i < 30000; i++) {
		t_eth(&f, t_bcast, 200000 + i, 0x88b5);
		f.len = 60;
		(void)t_in(&t.h, &t.p[1], &f, 2, &m);
	}
	assert_int_equal(t.p[1].macs, 5000);
	sw_free(&t.h);
}

static void
test_force_dhcp_ip(void **state)
{
	static const struct sw_policy pol = { .force_dhcp_ip = true };
	struct t_hub t;
	struct t_frame f;
	uint8_t dst[4];
	uint64_t lease_end = 600 * T_SEC;

	(void)state;
	t_setup(&t, &pol);
	/* A static address is refused, by IPv4 or by ARP. */
	t_ip4(&f, t_bcast, 1, 10);
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_NOT_DHCP_IP);
	t_arp(&f, t_bcast, 1, 0, 10, 1);
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_NOT_DHCP_IP);
	/* From 0.0.0.0 only DHCP and ARP probes. */
	t_ip(1, dst);
	t_udp4(&f, t_bcast, 1, 0, dst, 5000, 9, 8);
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_NOT_DHCP_IP);
	t_arp(&f, t_bcast, 1, 0, 0, 10);
	t_passes(&t.h, &t.p[1], &f, 0);
	t_dhcp(&f, 1, 0, T_DISCOVER, 1, 0, 0);
	t_passes(&t.h, &t.p[1], &f, 0);
	/* The server on port 3 acknowledges 192.168.0.10 for 600 s. */
	t_dhcp(&f, 3, 3, T_ACK, 1, 10, 600);
	t_passes(&t.h, &t.p[3], &f, 0);
	t_ip4(&f, t_bcast, 1, 10);
	t_passes(&t.h, &t.p[1], &f, 1);
	t_arp(&f, t_bcast, 1, 0, 10, 1);
	t_passes(&t.h, &t.p[1], &f, 1);
	/* Only that address. */
	t_ip4(&f, t_bcast, 1, 11);
	t_drops(&t.h, &t.p[1], &f, 1, SW_DROP_NOT_DHCP_IP);
	/* IPv6 is not covered. */
	t_icmp6(&f, 1, 135, 0, t_mcast);
	t_passes(&t.h, &t.p[1], &f, 1);
	/* The lease ends: traffic does not extend it. */
	t_ip4(&f, t_bcast, 1, 10);
	t_passes(&t.h, &t.p[1], &f, lease_end - 1);
	t_drops(&t.h, &t.p[1], &f, lease_end, SW_DROP_NOT_DHCP_IP);
	/* A renewal binds it again. */
	t_dhcp(&f, 3, 3, T_ACK, 1, 10, 600);
	t_passes(&t.h, &t.p[3], &f, lease_end);
	t_ip4(&f, t_bcast, 1, 10);
	t_passes(&t.h, &t.p[1], &f, lease_end + 1);
	/* An ACK the port sends itself binds nothing. */
	t_dhcp(&f, 1, 10, T_ACK, 1, 12, 600);
	t_passes(&t.h, &t.p[1], &f, lease_end + 1);
	assert_null(iptable_lookup4(&t.h.ips, t_ip32(12), lease_end + 1));
	sw_free(&t.h);
}

/* ---- DHCP snooping, VLANs, learning ------------------------------------- */

static void
test_dhcp_snooping(void **state)
{
	static const struct sw_policy client = {
		.force_dhcp_ip = true, .deny_dhcp_server = true, .max_ip = 1,
		.deny_duplicate_ip = true,
	};
	static const struct sw_policy rogue = { .deny_dhcp_server = true };
	struct t_hub t;
	struct t_frame f;
	const struct iptable_e4 *e;
	uint32_t ip = t_ip32(10);

	(void)state;
	/* p0: the real server; p1: a policed client; p2: a rogue server. */
	t_setup(&t, &client);
	sw_port_set_policy(&t.p[2], &rogue);
	t_dhcp(&f, 1, 0, T_DISCOVER, 1, 0, 0);
	assert_int_equal(t_in(&t.h, &t.p[1], &f, 0, NULL), SW_FLOOD);
	/* The rogue answers first: dropped, binds nothing. */
	t_dhcp(&f, 2, 2, T_OFFER, 1, 66, 600);
	t_drops(&t.h, &t.p[2], &f, 0, SW_DROP_DHCP_SERVER);
	t_dhcp(&f, 2, 2, T_ACK, 1, 66, 600);
	t_drops(&t.h, &t.p[2], &f, 0, SW_DROP_DHCP_SERVER);
	assert_null(iptable_lookup4(&t.h.ips, t_ip32(66), 0));
	t_ip4(&f, t_bcast, 1, 66);
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_NOT_DHCP_IP);
	/* The real server: an OFFER binds nothing, the ACK does. */
	t_dhcp(&f, 0, 1, T_OFFER, 1, 10, 3600);
	t_passes(&t.h, &t.p[0], &f, 10);
	assert_null(iptable_lookup4(&t.h.ips, ip, 10));
	t_dhcp(&f, 0, 1, T_ACK, 1, 10, 3600);
	t_tag(&f, T_ETH_VLAN, 4);           /* tagged or not */
	t_passes(&t.h, &t.p[0], &f, 10);
	assert_ptr_equal(iptable_lookup4(&t.h.ips, ip, 10), &t.p[1]);
	e = iptable_probe4(&t.h.ips, ip, iptable_hash4(&t.h.ips, ip));
	assert_true(e->used);
	assert_int_equal(e->source, IPTABLE_DHCP);
	assert_int_equal(e->expiry_ms, 10 + 3600 * T_SEC);
	assert_int_equal(t.p[1].ip4s, 1);
	t_ip4(&f, t_bcast, 1, 10);
	t_passes(&t.h, &t.p[1], &f, 20);
	/* Someone else using it cannot take the binding away. */
	t_ip4(&f, t_bcast, 3, 10);
	t_passes(&t.h, &t.p[3], &f, 30);
	assert_ptr_equal(iptable_lookup4(&t.h.ips, ip, 30), &t.p[1]);
	assert_int_equal(t.h.ips.stats.kept, 1);
	t_ip4(&f, t_bcast, 1, 10);
	t_passes(&t.h, &t.p[1], &f, 40);
	/* An ACK for a MAC nobody has, or with no address, binds nothing. */
	t_dhcp(&f, 0, 1, T_ACK, 99, 11, 3600);
	t_passes(&t.h, &t.p[0], &f, 50);
	t_dhcp(&f, 0, 1, T_ACK, 1, 0, 3600);
	t_passes(&t.h, &t.p[0], &f, 50);
	assert_int_equal(t.h.ips.stats.bound, 1);
	/* Infinite leases do not end. */
	t_dhcp(&f, 0, 1, T_ACK, 1, 10, 0xffffffffu);
	t_passes(&t.h, &t.p[0], &f, 60);
	assert_ptr_equal(iptable_lookup4(&t.h.ips, ip, UINT64_MAX - 1),
	    &t.p[1]);
	/* The session ends: its addresses go with it. */
	sw_port_remove(&t.h, &t.p[1]);
	assert_null(iptable_lookup4(&t.h.ips, ip, 70));
	sw_free(&t.h);
}

static void
test_vlan_tags(void **state)
{
	static const struct sw_policy pol = {
		.deny_broadcast = true, .deny_dhcp_server = true,
		.ipv6_ra_filter = true,
	};
	struct t_hub t;
	struct t_frame f;
	uint8_t mac2[6];

	(void)state;
	t_setup(&t, &pol);
	t_mac(2, mac2);
	t_ip4(&f, t_mcast, 2, 2);
	t_passes(&t.h, &t.p[2], &f, 0);
	/* Three tags deep, the engine cannot tell what it carries. */
	t_dhcp(&f, 3, 3, T_OFFER, 2, 20, 60);
	memcpy(f.b, mac2, 6);
	t_tag(&f, T_ETH_VLAN, 1);
	t_tag(&f, T_ETH_QINQ, 2);
	t_tag(&f, 0x9100, 3);
	t_passes(&t.h, &t.p[3], &f, 0);     /* unpoliced: passes */
	f.b[11] = 1;                        /* from MAC 1 */
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_BAD_FRAME);
	/* A tag with nothing after it. */
	t_eth(&f, mac2, 1, T_ETH_VLAN);
	f.len = PROTO_ETH_HDR + 2;
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_BAD_FRAME);
	/* Two tags are looked through. */
	t_icmp6(&f, 1, 134, 0, t_mcast);
	t_tag(&f, T_ETH_VLAN, 1);
	t_tag(&f, T_ETH_QINQ, 2);
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_ROUTER_ADVERT);
	t_ip4(&f, mac2, 1, 1);
	t_tag(&f, T_ETH_VLAN, 1);
	t_tag(&f, T_ETH_QINQ, 2);
	assert_int_equal(t_in(&t.h, &t.p[1], &f, 0, NULL), SW_UNICAST);
	/* Malformed IPv4 and ARP from a policed port. */
	t_ip4(&f, mac2, 1, 1);
	f.b[PROTO_ETH_HDR] = 0x44;
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_BAD_FRAME);
	t_ip4(&f, mac2, 1, 1);
	f.b[PROTO_ETH_HDR] = 0x4f;
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_BAD_FRAME);
	t_arp(&f, mac2, 1, 1, 1, 2);
	f.len = PROTO_ETH_HDR + 20;
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_BAD_FRAME);
	sw_free(&t.h);
}

static void
test_ip_learning(void **state)
{
	struct t_hub t;
	struct t_frame f;
	uint8_t sip[16];
	uint64_t age = IPTABLE_DEFAULT_AGING_MS;

	(void)state;
	t_setup(&t, NULL);
	t_arp(&f, t_bcast, 1, 0, 10, 11);
	t_passes(&t.h, &t.p[1], &f, 0);
	t_ip4(&f, t_bcast, 2, 11);
	t_passes(&t.h, &t.p[2], &f, 0);
	t_icmp6(&f, 3, 135, 0, t_mcast);
	t_passes(&t.h, &t.p[3], &f, 0);
	t_ip6(3, 0, sip);
	assert_ptr_equal(iptable_lookup4(&t.h.ips, t_ip32(10), 0), &t.p[1]);
	assert_ptr_equal(iptable_lookup4(&t.h.ips, t_ip32(11), 0), &t.p[2]);
	assert_ptr_equal(iptable_lookup6(&t.h.ips, sip, 0), &t.p[3]);
	assert_int_equal(t.p[3].ip6s, 1);
	/* Broadcast, multicast and zero sources are no one's. */
	t_ip4(&f, t_bcast, 1, 0);
	memset(f.b + PROTO_ETH_HDR + 12, 0xff, 4);
	t_passes(&t.h, &t.p[1], &f, 0);
	assert_int_equal(t.h.ips.n4, 2);
	/* Traffic refreshes an address; 60 s of silence forgets it. */
	t_ip4(&f, t_bcast, 2, 11);
	t_passes(&t.h, &t.p[2], &f, age - 1);
	assert_int_equal(sw_age(&t.h, age), 0);
	assert_null(iptable_lookup4(&t.h.ips, t_ip32(10), age));
	assert_ptr_equal(iptable_lookup4(&t.h.ips, t_ip32(11), age), &t.p[2]);
	assert_int_equal(t.h.ips.n4, 1);
	assert_int_equal(t.h.ips.n6, 0);
	assert_int_equal(t.p[1].ip4s, 0);
	assert_int_equal(t.p[3].ip6s, 0);
	/* A port's removal forgets its addresses. */
	t_icmp6(&f, 2, 135, 0, t_mcast);
	t_passes(&t.h, &t.p[2], &f, age);
	sw_port_remove(&t.h, &t.p[2]);
	assert_int_equal(t.h.ips.n4, 0);
	assert_int_equal(t.h.ips.n6, 0);
	sw_free(&t.h);
}

static void
test_counters(void **state)
{
	static const struct sw_policy pol = {
		.deny_broadcast = true, .max_mac = 1,
	};
	struct t_hub t;
	struct t_frame f;
	const char *names[SW_DROP_NREASONS];
	uint64_t sum = 0;
	int i, j;

	(void)state;
	for (i = 0; i < SW_DROP_NREASONS; i++) {
		names[i] = sw_drop_name((enum sw_drop_reason)i);
		assert_non_null(names[i]);
		assert_string_not_equal(names[i], "unknown");
		for (j = 0; j < i; j++)
			assert_string_not_equal(names[i], names[j]);
	}
	assert_string_equal(sw_drop_name(SW_DROP_NOT_DHCP_IP),
	    "not-dhcp-assigned");
	assert_string_equal(sw_drop_name(SW_DROP_NREASONS), "unknown");
	t_setup(&t, &pol);
	t_ip4(&f, t_bcast, 1, 1);
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_BROADCAST);
	t_ip4(&f, t_mcast, 1, 1);
	t_passes(&t.h, &t.p[1], &f, 0);
	t_ip4(&f, t_mcast, 2, 1);
	t_drops(&t.h, &t.p[1], &f, 0, SW_DROP_MAX_MAC);
	assert_int_equal(sw_input(&t.h, &t.p[1], f.b, 3, 0,
	    &(struct sw_meta){ 0 }), SW_DROP);
	for (i = 0; i < SW_DROP_NREASONS; i++)
		sum += t.p[1].drops[i];
	assert_int_equal(sum, t.p[1].drop_frames);
	assert_int_equal(t.p[1].drop_frames, 3);
	assert_int_equal(t.h.stats.dropped, 3);
	assert_int_equal(t.h.stats.drops[SW_DROP_BAD_FRAME], 1);
	/* Changing the policy takes effect at once. */
	sw_port_set_policy(&t.p[1], NULL);
	t_ip4(&f, t_bcast, 2, 1);
	t_passes(&t.h, &t.p[1], &f, 0);
	sw_free(&t.h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_policy),
		cmocka_unit_test(test_deny_broadcast),
		cmocka_unit_test(test_deny_dhcp_server),
		cmocka_unit_test(test_filter_dhcp),
		cmocka_unit_test(test_ipv6_ra_filter),
		cmocka_unit_test(test_max_mac),
		cmocka_unit_test(test_deny_duplicate_mac),
		cmocka_unit_test(test_max_ip),
		cmocka_unit_test(test_deny_duplicate_ip),
		cmocka_unit_test(test_neighbor_spoof),
		cmocka_unit_test(test_redirect),
		cmocka_unit_test(test_max_ip6),
		cmocka_unit_test(test_mac_flood),
		cmocka_unit_test(test_force_dhcp_ip),
		cmocka_unit_test(test_dhcp_snooping),
		cmocka_unit_test(test_vlan_tags),
		cmocka_unit_test(test_ip_learning),
		cmocka_unit_test(test_counters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
