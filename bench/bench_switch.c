/*
 * bench_switch.c: forwarding decisions per second of the switching engine
 * on one core: by MAC table size, with every policy off and on, and with a
 * million IP table entries; and the tables' memory per MAC and per IP entry.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "switch.h"
#include "proto.h"

#define B_PORTS     64u
#define B_SESSIONS  1024u          /* one host per port in the policy case */
#define B_FRAMES    (1u << 18)     /* pre-built frames, replayed in a loop */
#define B_STRIDE    64u            /* bytes kept per frame */
#define B_IP_FRAME  60u            /* Ethernet + IPv4 + TCP, minimum size */
#define B_SECONDS   1.0
#define B_NOW       1000u
#define B_BIG_MACS  100000u
#define B_BIG_IPS   10u            /* IPv4 addresses per MAC: 1,000,000 */
#define B_LEASE_S   86400u
#define B_DHCP_LEN  300u           /* an ACK frame, options included */

struct b_frame {
	struct sw_port *src;
	uint8_t *data;
	size_t len;
};

static uint64_t b_rng = 0x9e3779b97f4a7c15ull;

/* splitmix64: cheap, and its cost stays out of the timed loop anyway. */
static uint64_t
b_rand(void)
{
	uint64_t z = (b_rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void
b_mac(uint32_t n, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0x00;
	mac[2] = (uint8_t)(n >> 24);
	mac[3] = (uint8_t)(n >> 16);
	mac[4] = (uint8_t)(n >> 8);
	mac[5] = (uint8_t)n;
}

/* 10.0.0.0/8 numbered from 1, in network byte order. */
static void
b_ip(uint32_t n, uint8_t ip[4])
{
	n += 1;
	ip[0] = 10;
	ip[1] = (uint8_t)(n >> 16);
	ip[2] = (uint8_t)(n >> 8);
	ip[3] = (uint8_t)n;
}

static void
b_put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* An IPv4 TCP segment with no payload, as a 60-byte frame. */
static void
b_ip_frame(uint8_t *f, uint32_t dmac, uint32_t smac, uint32_t sip,
    uint32_t dip)
{
	uint8_t *ip = f + PROTO_ETH_HDR;

	memset(f, 0, B_STRIDE);
	b_mac(dmac, f);
	b_mac(smac, f + 6);
	b_put16(f + 12, 0x0800);
	ip[0] = 0x45;
	b_put16(ip + 2, 40);
	ip[6] = 0x40;               /* don't fragment */
	ip[8] = 64;
	ip[9] = 6;
	b_ip(sip, ip + 12);
	b_ip(dip, ip + 16);
	b_put16(ip + 20, 40000);
	b_put16(ip + 22, 443);
	ip[32] = 0x50;
	ip[33] = 0x10;              /* ACK */
}

/* A DHCP message: a client's DISCOVER (ip 0) from MAC chaddr, or the
 * server's (MAC and IP 0) ACK giving ip to chaddr. */
static void
b_dhcp(uint8_t *f, int ack, uint32_t chaddr, uint32_t ip)
{
	uint8_t *p = f + PROTO_ETH_HDR, *u = p + 20, *b = u + 8, *o;

	memset(f, 0, B_DHCP_LEN);
	memset(f, 0xff, 6);
	b_mac(ack ? 0 : chaddr, f + 6);
	b_put16(f + 12, 0x0800);
	p[0] = 0x45;
	b_put16(p + 2, B_DHCP_LEN - PROTO_ETH_HDR);
	p[8] = 64;
	p[9] = 17;
	if (ack)
		b_ip(0, p + 12);
	memset(p + 16, 0xff, 4);
	b_put16(u, ack ? 67 : 68);
	b_put16(u + 2, ack ? 68 : 67);
	b_put16(u + 4, B_DHCP_LEN - PROTO_ETH_HDR - 20);
	b[0] = ack ? 2 : 1;
	b[1] = 1;
	b[2] = 6;
	if (ack)
		b_ip(ip, b + 16);
	b_mac(chaddr, b + 28);
	b[236] = 99;
	b[237] = 130;
	b[238] = 83;
	b[239] = 99;
	o = b + 240;
	o[0] = 53;
	o[1] = 1;
	o[2] = ack ? 5 : 1;
	o[3] = 51;
	o[4] = 4;
	o[5] = (uint8_t)(B_LEASE_S >> 24);
	o[6] = (uint8_t)(B_LEASE_S >> 16);
	o[7] = (uint8_t)(B_LEASE_S >> 8);
	o[8] = (uint8_t)B_LEASE_S;
	o[9] = 255;
}

/* Replays the frame list for about B_SECONDS; returns frames/s. */
static double
b_run(struct sw *h, const struct b_frame *fr, enum sw_verdict want,
    uint64_t *bad)
{
	struct sw_meta m;
	uint64_t n = 0;
	double t0 = clock_now_s(), t;
	uint32_t i;

	do {
		for (i = 0; i < B_FRAMES; i++)
			if (sw_input(h, fr[i].src, fr[i].data, fr[i].len,
			    B_NOW, &m) != want)
				(*bad)++;
		n += B_FRAMES;
		t = clock_now_s() - t0;
	} while (t < B_SECONDS);
	return (double)n / t;
}

static struct sw_port *
b_ports(struct sw *h, uint32_t n)
{
	struct sw_port *ports = calloc(n, sizeof *ports);
	uint32_t i;

	if (ports == NULL)
		exit(1);
	for (i = 0; i < n; i++) {
		sw_port_add(h, &ports[i], NULL, NULL);
		/* The table's speed is measured, not a port's cap. */
		sw_port_set_mac_cap(&ports[i], UINT32_MAX);
	}
	return ports;
}

static void
b_set_policy(struct sw_port *ports, uint32_t n, const struct sw_policy *p)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		sw_port_set_policy(&ports[i], p);
}

static double
b_mac_bytes(const struct sw *h)
{
	return (double)h->nslots * sizeof *h->slots / h->nmacs;
}

static double
b_ip_bytes(const struct sw *h)
{
	return (double)h->ips.nslots4 * sizeof *h->ips.slots4 / h->ips.n4;
}

/* MAC-only frames (no EtherType the engine looks into), by table size. */
static void
b_mac_case(uint32_t nmacs, struct b_frame *fr, uint8_t *buf)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct sw h;
	struct sw_port *ports;
	struct sw_meta m;
	uint64_t bad = 0;
	uint32_t i, s, d;
	uint8_t f[PROTO_ETH_HDR] = { 0 };
	double uni, flood;

	if (sw_init(&h, "bench", 0, 0) == -1 || h.max_macs < nmacs) {
		printf("  %7u MACs: skipped (max_macs %u)\n", nmacs,
		    h.max_macs);
		sw_free(&h);
		return;
	}
	ports = b_ports(&h, B_PORTS);
	/* MAC i lives behind port i % B_PORTS. */
	memcpy(f, bcast, 6);
	for (i = 0; i < nmacs; i++) {
		b_mac(i, f + 6);
		sw_input(&h, &ports[i % B_PORTS], f, sizeof f, B_NOW, &m);
	}

	/* Known unicast between random learned MACs on different ports. */
	for (i = 0; i < B_FRAMES; i++) {
		s = (uint32_t)(b_rand() % nmacs);
		do
			d = (uint32_t)(b_rand() % nmacs);
		while (d % B_PORTS == s % B_PORTS);
		fr[i].data = buf + (size_t)i * B_STRIDE;
		fr[i].len = PROTO_ETH_HDR;
		fr[i].src = &ports[s % B_PORTS];
		memset(fr[i].data, 0, B_STRIDE);
		b_mac(d, fr[i].data);
		b_mac(s, fr[i].data + 6);
	}
	uni = b_run(&h, fr, SW_UNICAST, &bad);

	/* Broadcast from random learned MACs: learning plus a flood verdict. */
	for (i = 0; i < B_FRAMES; i++)
		memcpy(fr[i].data, bcast, 6);
	flood = b_run(&h, fr, SW_FLOOD, &bad);

	printf("  %7u MACs: unicast %6.2f Mframes/s (%5.1f ns), "
	    "flood %6.2f Mframes/s (%5.1f ns); table %u slots, "
	    "%.1f B/MAC%s\n", nmacs, uni / 1e6, 1e9 / uni, flood / 1e6,
	    1e9 / flood, h.nslots, b_mac_bytes(&h),
	    bad ? " UNEXPECTED VERDICTS" : "");
	sw_free(&h);
	free(ports);
}

/*
 * Sessions with one host each (MAC n, IP n on port n), the address
 * acknowledged by a DHCP server on a port of its own. Then IPv4 unicast
 * between random sessions, without and with every frame policy.
 */
static void
b_policy_case(struct b_frame *fr, uint8_t *buf)
{
	struct sw_policy all = {
		.force_dhcp_ip = true, .deny_duplicate_ip = true,
		.deny_duplicate_mac = true, .deny_broadcast = true,
		.deny_dhcp_server = true, .filter_dhcp = true,
		.ipv6_ra_filter = true, .max_ip = 1, .max_mac = 1,
	};
	struct sw_policy setup = all;
	struct sw h;
	struct sw_port *ports;
	struct sw_meta m;
	uint8_t f[B_DHCP_LEN];
	uint64_t bad = 0;
	uint32_t i, s, d;
	double off, on;

	/* Port 0 is the DHCP server, host 0; sessions are 1..B_SESSIONS. */
	if (sw_init(&h, "bench", 0, 0) == -1)
		exit(1);
	ports = b_ports(&h, B_SESSIONS + 1);
	/* Getting an address takes broadcast and DHCP. */
	setup.filter_dhcp = false;
	setup.deny_broadcast = false;
	b_set_policy(ports + 1, B_SESSIONS, &setup);
	for (i = 1; i <= B_SESSIONS; i++) {
		b_dhcp(f, 0, i, 0);
		if (sw_input(&h, &ports[i], f, B_DHCP_LEN, B_NOW, &m) !=
		    SW_FLOOD)
			bad++;
		b_dhcp(f, 1, i, i);
		if (sw_input(&h, &ports[0], f, B_DHCP_LEN, B_NOW, &m) !=
		    SW_FLOOD)
			bad++;
	}
	for (i = 0; i < B_FRAMES; i++) {
		s = 1 + (uint32_t)(b_rand() % B_SESSIONS);
		do
			d = 1 + (uint32_t)(b_rand() % B_SESSIONS);
		while (d == s);
		fr[i].data = buf + (size_t)i * B_STRIDE;
		fr[i].len = B_IP_FRAME;
		fr[i].src = &ports[s];
		b_ip_frame(fr[i].data, d, s, s, d);
	}
	b_set_policy(ports + 1, B_SESSIONS, NULL);
	off = b_run(&h, fr, SW_UNICAST, &bad);
	b_set_policy(ports + 1, B_SESSIONS, &all);
	on = b_run(&h, fr, SW_UNICAST, &bad);
	printf("  %u sessions, IPv4 unicast: policies off %6.2f Mframes/s "
	    "(%5.1f ns), all on %6.2f Mframes/s (%5.1f ns)%s\n", B_SESSIONS,
	    off / 1e6, 1e9 / off, on / 1e6, 1e9 / on,
	    bad ? " UNEXPECTED VERDICTS" : "");
	sw_free(&h);
	free(ports);
}

/*
 * 100,000 MACs behind 64 bridges, ten IPv4 addresses each, all bound by
 * DHCP: 1,000,000 IP entries. IPv4 unicast from random addresses.
 */
static void
b_big_case(struct b_frame *fr, uint8_t *buf)
{
	struct sw_policy bridge = {
		.force_dhcp_ip = true, .deny_duplicate_ip = true,
		.deny_duplicate_mac = true, .deny_broadcast = true,
		.deny_dhcp_server = true, .filter_dhcp = true,
		.ipv6_ra_filter = true, .max_ip = 65535, .max_mac = 65535,
	};
	struct sw h;
	struct sw_port *ports, *server;
	struct sw_meta m;
	uint8_t f[B_DHCP_LEN];
	uint64_t bad = 0;
	uint32_t i, s, d, nips = B_BIG_MACS * B_BIG_IPS;
	double off, on, t0, setup;

	if (sw_init(&h, "bench", 0, 0) == -1)
		exit(1);
	ports = b_ports(&h, B_PORTS);
	server = b_ports(&h, 1);
	/* MAC n behind port n % B_PORTS; it holds IPs n * 10 .. n * 10 + 9. */
	t0 = clock_now_s();
	for (i = 1; i <= B_BIG_MACS; i++) {
		b_dhcp(f, 0, i, 0);
		if (sw_input(&h, &ports[i % B_PORTS], f, B_DHCP_LEN, B_NOW,
		    &m) != SW_FLOOD)
			bad++;
	}
	for (i = 0; i < nips; i++) {
		b_dhcp(f, 1, 1 + i / B_BIG_IPS, i);
		if (sw_input(&h, server, f, B_DHCP_LEN, B_NOW, &m) !=
		    SW_FLOOD)
			bad++;
	}
	setup = clock_now_s() - t0;
	for (i = 0; i < B_FRAMES; i++) {
		s = (uint32_t)(b_rand() % nips);
		do
			d = (uint32_t)(b_rand() % nips);
		while ((1 + d / B_BIG_IPS) % B_PORTS ==
		    (1 + s / B_BIG_IPS) % B_PORTS);
		fr[i].data = buf + (size_t)i * B_STRIDE;
		fr[i].len = B_IP_FRAME;
		fr[i].src = &ports[(1 + s / B_BIG_IPS) % B_PORTS];
		b_ip_frame(fr[i].data, 1 + d / B_BIG_IPS, 1 + s / B_BIG_IPS,
		    s, d);
	}
	off = b_run(&h, fr, SW_UNICAST, &bad);
	b_set_policy(ports, B_PORTS, &bridge);
	on = b_run(&h, fr, SW_UNICAST, &bad);
	printf("  %u MACs, %u IPv4 entries (set up by %u DHCP ACKs in "
	    "%.2f s):\n    IPv4 unicast: policies off %6.2f Mframes/s "
	    "(%5.1f ns), all on %6.2f Mframes/s (%5.1f ns)%s\n",
	    h.nmacs, h.ips.n4, nips, setup, off / 1e6, 1e9 / off, on / 1e6,
	    1e9 / on, bad ? " UNEXPECTED VERDICTS" : "");
	printf("    memory: MAC table %u slots x %zu B = %.1f B/MAC; "
	    "IPv4 table %u slots x %zu B = %.1f B/IP (IPv6 entry %zu B)\n",
	    h.nslots, sizeof *h.slots, b_mac_bytes(&h), h.ips.nslots4,
	    sizeof *h.ips.slots4, b_ip_bytes(&h), sizeof *h.ips.slots6);
	sw_free(&h);
	free(ports);
	free(server);
}

int
main(void)
{
	static const uint32_t sizes[] = { 10000, 100000, 1000000 };
	struct b_frame *fr;
	uint8_t *buf;
	size_t i;

	fr = calloc(B_FRAMES, sizeof *fr);
	buf = calloc(B_FRAMES, B_STRIDE);
	if (fr == NULL || buf == NULL)
		return 1;
	printf("sw_input, one core, %u pre-built frames; MAC entry %zu B, "
	    "IPv4 entry %zu B\n", B_FRAMES, sizeof(struct sw_mac_entry),
	    sizeof(struct iptable_e4));
	printf("MAC-only frames, %u ports:\n", B_PORTS);
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		b_mac_case(sizes[i], fr, buf);
	printf("Policies (force_dhcp_ip, max_ip, max_mac, deny_duplicate_ip, "
	    "deny_duplicate_mac,\n  deny_broadcast, deny_dhcp_server, "
	    "filter_dhcp, ipv6_ra_filter):\n");
	b_policy_case(fr, buf);
	b_big_case(fr, buf);
	free(fr);
	free(buf);
	return 0;
}
