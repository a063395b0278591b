/*
 * test_nicdhcp.c: the card's DHCP client on a fake clock, with a scripted
 * server and the system's side recorded: which frames the card takes from
 * the hub; a lease put on the interface with its lifetime, the default
 * route and DNS lines when asked; renewal; a new session keeping the
 * address through INIT-REBOOT, losing it to a NAK or to the lease's end;
 * another address; a lease refused (DECLINE); the host's own default
 * route left alone; RELEASE and everything off at stop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp.h"
#include "nicdhcp.h"

#define T_SRV      0xc0a86001u   /* 192.168.96.1 */
#define T_IP       0xc0a86078u   /* 192.168.96.120 */
#define T_IP2      0xc0a86079u
#define T_MASK     0xffffff00u
#define T_DNS      0xc0a86035u   /* 192.168.96.53 */
#define T_LEASE_S  120u
#define T_S        1000u
#define T_T0       1000000u
#define T_MAXLOG   32u

static const uint8_t t_mac[6] = { 0x5e, 0, 0, 0, 0x96, 0x0a };
static const uint8_t t_srv_mac[6] = { 0x02, 0, 0, 0, 0x96, 0x01 };
static const uint8_t t_other[6] = { 0x5e, 0, 0, 0, 0x96, 0x0b };
static const uint8_t t_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* What the card did to the system and the wire. */
struct t_sys {
	uint64_t now;
	struct dhcp_msg sent;        /* the last frame the client sent */
	unsigned nsent;
	int route_rc;                /* what adding a route answers */
	char log[T_MAXLOG][96];      /* "add 192.168.96.120/24 120", ... */
	unsigned nlog;
	char dns[NICDHCP_RESOLV_MAX];
	unsigned ndns;               /* dns calls */
	int dns_withdrawn;
};

static void
t_logf(struct t_sys *t, const char *fmt, ...)
{
	va_list ap;

	assert_true(t->nlog < T_MAXLOG);
	va_start(ap, fmt);
	vsnprintf(t->log[t->nlog++], sizeof t->log[0], fmt, ap);
	va_end(ap);
}

static void
t_send(void *arg, const uint8_t *f, size_t len)
{
	struct t_sys *t = arg;

	assert_int_equal(dhcp_parse(f, len, &t->sent), DHCP_OK);
	assert_int_equal(t->sent.op, DHCP_BOOTREQUEST);
	assert_memory_equal(t->sent.eth_src, t_mac, 6);
	t->nsent++;
}

static int
t_addr(void *arg, const char *ifname, int add, uint32_t ip, unsigned prefix,
    uint32_t valid_s, char *err, size_t errlen)
{
	char s[DHCP_IP_STR];

	assert_string_equal(ifname, "vpn0");
	dhcp_format_ip(ip, s);
	if (add)
		t_logf(arg, "add %s/%u %u", s, prefix, valid_s);
	else
		t_logf(arg, "del %s/%u", s, prefix);
	return 0;
}

static int
t_route(void *arg, const char *ifname, int add, uint32_t gw, char *err,
    size_t errlen)
{
	struct t_sys *t = arg;
	char s[DHCP_IP_STR];

	dhcp_format_ip(gw, s);
	t_logf(t, "%s route %s", add ? "add" : "del", s);
	return add ? t->route_rc : 0;
}

static void
t_dns(void *arg, const char *ifname, const char *conf)
{
	struct t_sys *t = arg;

	t->ndns++;
	t->dns_withdrawn = conf == NULL;
	snprintf(t->dns, sizeof t->dns, "%s", conf ? conf : "");
}

static const struct nicdhcp_ops t_ops = { t_addr, t_route, t_dns };

static struct nicdhcp *
t_client(struct t_sys *t, int dns, int route)
{
	struct nicdhcp_conf c = { .ifname = "vpn0", .dns = dns,
	    .default_route = route };
	struct nicdhcp *d;

	memset(t, 0, sizeof *t);
	t->now = T_T0;
	memcpy(c.mac, t_mac, 6);
	d = nicdhcp_new(NULL, &c, t_send, t);
	assert_non_null(d);
	nicdhcp_set_ops(d, &t_ops, t);
	return d;
}

/* The server's answer of type to the client's last frame. */
struct t_reply {
	uint8_t type;
	uint32_t ip, mask, router, lease_s;
	const char *domain;
};

static void
t_answer(struct nicdhcp *d, struct t_sys *t, const struct t_reply *r)
{
	struct dhcp_msg m;
	uint8_t f[PROTO_DHCP_MAX_FRAME];
	size_t len;

	memset(&m, 0, sizeof m);
	memcpy(m.eth_dst, t_mac, 6);
	memcpy(m.eth_src, t_srv_mac, 6);
	m.ip_src = T_SRV;
	m.ip_dst = r->ip != 0 ? r->ip : 0xffffffffu;
	m.sport = PROTO_DHCP_SERVER_PORT;
	m.dport = PROTO_DHCP_CLIENT_PORT;
	m.op = DHCP_BOOTREPLY;
	m.xid = t->sent.xid;
	m.yiaddr = r->ip;
	memcpy(m.chaddr, t_mac, 6);
	m.type = r->type;
	m.has = DHCP_HAS_SERVER_ID;
	m.server_id = T_SRV;
	if (r->type != DHCP_NAK) {
		m.has |= DHCP_HAS_LEASE;
		m.lease_s = r->lease_s ? r->lease_s : T_LEASE_S;
		if (r->mask != 0) {
			m.has |= DHCP_HAS_MASK;
			m.mask = r->mask;
		}
		if (r->router != 0) {
			m.has |= DHCP_HAS_ROUTER;
			m.router = r->router;
		}
		m.ndns = 1;
		m.dns[0] = T_DNS;
		if (r->domain != NULL) {
			m.domain_len = (uint16_t)strlen(r->domain);
			memcpy(m.domain, r->domain, m.domain_len);
		}
	}
	len = dhcp_build(&m, f, sizeof f);
	assert_true(len > 0);
	assert_true(nicdhcp_wants(f, len, t_mac));
	nicdhcp_input(d, t->now, f, len);
}

/* DISCOVER, OFFER, REQUEST, ACK. */
static void
t_lease(struct nicdhcp *d, struct t_sys *t, uint32_t ip)
{
	struct t_reply offer = { DHCP_OFFER, ip, T_MASK, T_SRV, 0, NULL };
	struct t_reply ack = { DHCP_ACK, ip, T_MASK, T_SRV, 0, "vpn.example" };

	nicdhcp_start(d, t->now);
	assert_int_equal(t->sent.type, DHCP_DISCOVER);
	t_answer(d, t, &offer);
	assert_int_equal(t->sent.type, DHCP_REQUEST);
	assert_int_equal(t->sent.req_ip, ip);
	t_answer(d, t, &ack);
}

static int
t_logged(const struct t_sys *t, const char *line)
{
	for (unsigned i = 0; i < t->nlog; i++)
		if (strcmp(t->log[i], line) == 0)
			return 1;
	return 0;
}

/* Only UDP to port 68, to the card's MAC or broadcast, is the client's. */
static void
test_wants(void **state)
{
	struct dhcp_msg m;
	uint8_t f[PROTO_DHCP_MAX_FRAME], g[PROTO_DHCP_MAX_FRAME + 4];
	size_t len;

	(void)state;
	memset(&m, 0, sizeof m);
	memcpy(m.eth_dst, t_mac, 6);
	memcpy(m.eth_src, t_srv_mac, 6);
	m.ip_src = T_SRV;
	m.ip_dst = T_IP;
	m.sport = PROTO_DHCP_SERVER_PORT;
	m.dport = PROTO_DHCP_CLIENT_PORT;
	m.op = DHCP_BOOTREPLY;
	m.type = DHCP_OFFER;
	len = dhcp_build(&m, f, sizeof f);
	assert_true(len > 0);
	assert_true(nicdhcp_wants(f, len, t_mac));
	assert_false(nicdhcp_wants(f, len, t_other));
	memcpy(f, t_bcast, 6);
	assert_true(nicdhcp_wants(f, len, t_other));
	/* Too short for its UDP header. */
	assert_false(nicdhcp_wants(f, PROTO_ETH_HDR + 20 + 7, t_mac));
	assert_false(nicdhcp_wants(f, 10, t_mac));
	/* To the server's port: not the client's. */
	m.dport = PROTO_DHCP_SERVER_PORT;
	len = dhcp_build(&m, f, sizeof f);
	assert_false(nicdhcp_wants(f, len, t_mac));
	m.dport = PROTO_DHCP_CLIENT_PORT;
	len = dhcp_build(&m, f, sizeof f);
	/* A later fragment whose bytes look like port 68 is not. */
	f[PROTO_ETH_HDR + 7] = 0x10;
	assert_false(nicdhcp_wants(f, len, t_mac));
	f[PROTO_ETH_HDR + 7] = 0;
	/* TCP, IPv6, ARP are not. */
	f[PROTO_ETH_HDR + 9] = 6;
	assert_false(nicdhcp_wants(f, len, t_mac));
	f[PROTO_ETH_HDR + 9] = 17;
	f[12] = 0x86;
	f[13] = 0xdd;
	assert_false(nicdhcp_wants(f, len, t_mac));
	f[12] = 0x08;
	f[13] = 0x06;
	assert_false(nicdhcp_wants(f, len, t_mac));
	f[13] = 0x00;
	assert_true(nicdhcp_wants(f, len, t_mac));
	/* IP options move the UDP header: found all the same. */
	memcpy(g, f, PROTO_ETH_HDR);
	memcpy(g + PROTO_ETH_HDR, f + PROTO_ETH_HDR, 20);
	g[PROTO_ETH_HDR] = 0x46;
	memset(g + PROTO_ETH_HDR + 20, 1, 4);
	memcpy(g + PROTO_ETH_HDR + 24, f + PROTO_ETH_HDR + 20,
	    len - PROTO_ETH_HDR - 20);
	assert_true(nicdhcp_wants(g, len + 4, t_mac));
	g[PROTO_ETH_HDR] = 0x4f;	/* 60 bytes of header: past the end */
	assert_false(nicdhcp_wants(g, PROTO_ETH_HDR + 60 + 4, t_mac));
}

static void
test_lease_check(void **state)
{
	static const struct {
		uint32_t ip, mask;
		const char *why;     /* NULL: fine */
		unsigned prefix;
	} cases[] = {
		{ T_IP, T_MASK, NULL, 24 },
		{ T_IP, 0, NULL, 24 },                   /* class C */
		{ 0x0a010203u, 0, NULL, 8 },             /* class A */
		{ 0xac100001u, 0, NULL, 16 },            /* class B */
		{ 0x0a000001u, 0xfffffffeu, NULL, 31 },  /* a /31 end */
		{ 0x0a000000u, 0xfffffffeu, NULL, 31 },
		{ 0x0a000005u, 0xffffffffu, NULL, 32 },
		{ 0x7f000001u, T_MASK, "a loopback address", 0 },
		{ T_IP, 0xffff00ffu, "a mask that is not a prefix", 0 },
		{ T_IP, 0xfe000000u, "a subnet wider than /8", 0 },
		{ 0xc0a86000u, T_MASK, "the subnet's network or broadcast "
		  "address", 0 },
		{ 0xc0a860ffu, T_MASK, "the subnet's network or broadcast "
		  "address", 0 },
	};
	struct dhcpcli_lease l;
	unsigned prefix;
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&l, 0, sizeof l);
		l.ip = cases[i].ip;
		l.mask = cases[i].mask;
		prefix = 99;
		why = nicdhcp_lease_check(&l, &prefix);
		if (cases[i].why == NULL) {
			if (why != NULL)
				fail_msg("case %zu: %s", i, why);
			assert_int_equal(prefix, cases[i].prefix);
		} else {
			assert_non_null(why);
			assert_string_equal(why, cases[i].why);
		}
	}
	memset(&l, 0, sizeof l);
	l.ip = T_IP;
	l.router = T_SRV;
	assert_true(nicdhcp_router_ok(&l, 24));
	l.router = T_IP;              /* itself */
	assert_false(nicdhcp_router_ok(&l, 24));
	l.router = 0x0a000001u;       /* off the subnet */
	assert_false(nicdhcp_router_ok(&l, 24));
	l.router = 0xc0a860ffu;       /* the broadcast address */
	assert_false(nicdhcp_router_ok(&l, 24));
	l.router = 0;
	assert_false(nicdhcp_router_ok(&l, 24));
}

/* Servers and a plain domain; a domain that could smuggle a line, and
 * servers nobody can use, are left out. */
static void
test_resolv_conf(void **state)
{
	struct dhcpcli_lease l;
	char out[NICDHCP_RESOLV_MAX];

	(void)state;
	memset(&l, 0, sizeof l);
	assert_int_equal(nicdhcp_resolv_conf(&l, out, sizeof out), 0);
	assert_string_equal(out, "");
	l.ndns = 3;
	l.dns[0] = T_DNS;
	l.dns[1] = 0xe0000001u;
	l.dns[2] = 0x08080808u;
	memcpy(l.domain, "vpn.example", 11);
	l.domain_len = 11;
	nicdhcp_resolv_conf(&l, out, sizeof out);
	assert_string_equal(out, "nameserver 192.168.96.53\nnameserver "
	    "8.8.8.8\nsearch vpn.example\n");
	memcpy(l.domain, "x\nnameserver 6.6.6.6", 20);
	l.domain_len = 20;
	nicdhcp_resolv_conf(&l, out, sizeof out);
	assert_string_equal(out, "nameserver 192.168.96.53\nnameserver "
	    "8.8.8.8\n");
	memcpy(l.domain, "-bad.example", 12);
	l.domain_len = 12;
	nicdhcp_resolv_conf(&l, out, sizeof out);
	assert_null(strstr(out, "search"));
	memcpy(l.domain, "a..b", 4);
	l.domain_len = 4;
	nicdhcp_resolv_conf(&l, out, sizeof out);
	assert_null(strstr(out, "search"));
	/* Too small a buffer: whole lines only. */
	assert_int_equal(nicdhcp_resolv_conf(&l, out, 30), 25);
	assert_string_equal(out, "nameserver 192.168.96.53\n");
}

/* The whole exchange; the lease on the interface with its lifetime, the
 * default route and the DNS lines; T1 renews it; stop releases it and
 * takes everything off. */
static void
test_lease_renew_release(void **state)
{
	struct t_sys t;
	struct nicdhcp *d = t_client(&t, 1, 1);
	struct nicdhcp_status st;
	struct t_reply ack = { DHCP_ACK, T_IP, T_MASK, T_SRV, 0,
	    "vpn.example" };

	(void)state;
	nicdhcp_get_status(d, t.now, &st);
	assert_int_equal(st.state, DHCPCLI_STOPPED);
	assert_int_equal(st.ip, 0);
	t_lease(d, &t, T_IP);
	assert_string_equal(t.log[0], "add 192.168.96.120/24 120");
	assert_string_equal(t.log[1], "add route 192.168.96.1");
	assert_int_equal(t.nlog, 2);
	assert_string_equal(t.dns, "nameserver 192.168.96.53\nsearch "
	    "vpn.example\n");
	nicdhcp_get_status(d, t.now, &st);
	assert_int_equal(st.state, DHCPCLI_BOUND);
	assert_int_equal(st.ip, T_IP);
	assert_int_equal(st.prefix, 24);
	assert_int_equal(st.server, T_SRV);
	assert_int_equal(st.router, T_SRV);
	assert_int_equal(st.route, 1);
	assert_int_equal(st.renew_in_ms, T_LEASE_S / 2 * T_S);
	assert_int_equal(st.expires_in_ms, T_LEASE_S * T_S);
	assert_int_equal(st.leases, 1);

	/* Nothing until T1; there, a REQUEST to the server. */
	assert_int_equal(nicdhcp_next(d), T_T0 + T_LEASE_S / 2 * T_S);
	t.now += T_LEASE_S / 2 * T_S - 1;
	nicdhcp_tick(d, t.now);
	assert_int_equal(t.nsent, 2);
	t.now++;
	nicdhcp_tick(d, t.now);
	assert_int_equal(t.nsent, 3);
	assert_int_equal(t.sent.type, DHCP_REQUEST);
	assert_int_equal(t.sent.ciaddr, T_IP);
	assert_memory_equal(t.sent.eth_dst, t_srv_mac, 6);
	nicdhcp_get_status(d, t.now, &st);
	assert_int_equal(st.state, DHCPCLI_RENEWING);
	t_answer(d, &t, &ack);
	assert_string_equal(t.log[2], "add 192.168.96.120/24 120");
	assert_int_equal(t.nlog, 3);          /* the route stays as it is */
	assert_int_equal(t.ndns, 1);          /* so do the DNS lines */
	nicdhcp_get_status(d, t.now, &st);
	assert_int_equal(st.state, DHCPCLI_BOUND);
	assert_int_equal(st.renewals, 1);

	/* Stop: RELEASE, then everything off. */
	nicdhcp_stop(d, t.now);
	assert_int_equal(t.sent.type, DHCP_RELEASE);
	assert_int_equal(t.sent.ciaddr, T_IP);
	assert_string_equal(t.log[3], "del 192.168.96.120/24");
	assert_string_equal(t.log[4], "del route 192.168.96.1");
	assert_true(t.dns_withdrawn);
	nicdhcp_get_status(d, t.now, &st);
	assert_int_equal(st.ip, 0);
	assert_int_equal(st.state, DHCPCLI_STOPPED);
	/* Again: nothing. */
	nicdhcp_stop(d, t.now);
	assert_int_equal(t.nlog, 5);
	assert_int_equal(nicdhcp_next(d), UINT64_MAX);
	nicdhcp_free(d);
}

/* A new session: the address stays while an INIT-REBOOT REQUEST asks for
 * it; confirmed, it is kept; refused (NAK), it goes and a DISCOVER
 * follows. */
static void
test_new_session(void **state)
{
	struct t_sys t;
	struct nicdhcp *d = t_client(&t, 0, 0);
	struct nicdhcp_status st;
	struct t_reply ack = { DHCP_ACK, T_IP, T_MASK, T_SRV, 0, NULL };
	struct t_reply nak = { DHCP_NAK, 0, 0, 0, 0, NULL };

	(void)state;
	t_lease(d, &t, T_IP);
	assert_int_equal(t.nlog, 1);
	assert_int_equal(t.ndns, 0);          /* not asked */

	t.now += 5 * T_S;
	nicdhcp_start(d, t.now);
	assert_int_equal(t.sent.type, DHCP_REQUEST);
	assert_int_equal(t.sent.req_ip, T_IP);
	assert_int_equal(t.sent.ciaddr, 0);
	assert_int_equal(t.nlog, 1);          /* nothing taken off */
	nicdhcp_get_status(d, t.now, &st);
	assert_int_equal(st.state, DHCPCLI_INIT_REBOOT);
	assert_int_equal(st.ip, T_IP);
	t_answer(d, &t, &ack);
	assert_string_equal(t.log[1], "add 192.168.96.120/24 120");
	assert_int_equal(t.nlog, 2);

	t.now += 5 * T_S;
	nicdhcp_start(d, t.now);
	t_answer(d, &t, &nak);
	assert_string_equal(t.log[2], "del 192.168.96.120/24");
	assert_int_equal(t.sent.type, DHCP_DISCOVER);
	nicdhcp_get_status(d, t.now, &st);
	assert_int_equal(st.ip, 0);
	assert_int_equal(st.losses, 1);
	nicdhcp_free(d);
}

/* No server answers after a new session: the address stays until its
 * lease ends, then goes. */
static void
test_held_runs_out(void **state)
{
	struct t_sys t;
	struct nicdhcp *d = t_client(&t, 0, 0);
	uint64_t end;

	(void)state;
	t_lease(d, &t, T_IP);
	end = T_T0 + T_LEASE_S * T_S;
	t.now += 10 * T_S;
	nicdhcp_start(d, t.now);
	while (t.now < end) {
		uint64_t next = nicdhcp_next(d);
		assert_true(next > t.now);
		t.now = next;
		nicdhcp_tick(d, t.now);
		if (t.now < end)
			assert_int_equal(t.nlog, 1);
	}
	assert_int_equal(t.now, end);
	assert_string_equal(t.log[1], "del 192.168.96.120/24");
	nicdhcp_free(d);
}

/* After a new session the server gives another address: the old one
 * goes, the new one comes, and the route with it. */
static void
test_another_address(void **state)
{
	struct t_sys t;
	struct nicdhcp *d = t_client(&t, 0, 1);
	struct nicdhcp_status st;

	(void)state;
	t_lease(d, &t, T_IP);
	t.now += T_S;
	nicdhcp_start(d, t.now);
	assert_int_equal(t.sent.req_ip, T_IP);
	t_answer(d, &t, &(struct t_reply){ DHCP_ACK, T_IP2, T_MASK, T_SRV, 0,
	    NULL });
	assert_string_equal(t.log[2], "del 192.168.96.120/24");
	assert_string_equal(t.log[3], "del route 192.168.96.1");
	assert_string_equal(t.log[4], "add 192.168.96.121/24 120");
	assert_string_equal(t.log[5], "add route 192.168.96.1");
	nicdhcp_get_status(d, t.now, &st);
	assert_int_equal(st.ip, T_IP2);
	assert_int_equal(st.route, 1);
	nicdhcp_free(d);
}

/* A lease that must not go on the interface is declined; nothing is
 * applied, and a DISCOVER follows after the wait. */
static void
test_decline(void **state)
{
	struct t_sys t;
	struct nicdhcp *d = t_client(&t, 1, 1);
	struct t_reply offer = { DHCP_OFFER, 0x7f000002u, T_MASK, 0, 0, NULL };
	struct t_reply ack = { DHCP_ACK, 0x7f000002u, T_MASK, 0, 0, NULL };
	struct nicdhcp_status st;

	(void)state;
	nicdhcp_start(d, t.now);
	t_answer(d, &t, &offer);
	t_answer(d, &t, &ack);
	assert_int_equal(t.sent.type, DHCP_DECLINE);
	assert_int_equal(t.nlog, 0);
	assert_int_equal(t.ndns, 0);
	nicdhcp_get_status(d, t.now, &st);
	assert_int_equal(st.ip, 0);
	assert_int_equal(st.state, DHCPCLI_INIT);
	t.now = nicdhcp_next(d);
	nicdhcp_tick(d, t.now);
	assert_int_equal(t.sent.type, DHCP_DISCOVER);
	nicdhcp_free(d);
}

/* The host has a default route: none is added, and none removed at the
 * end; a router off the subnet is no router. */
static void
test_route_left_alone(void **state)
{
	struct t_sys t;
	struct nicdhcp *d = t_client(&t, 0, 1);
	struct nicdhcp_status st;

	(void)state;
	t.route_rc = 1;
	t_lease(d, &t, T_IP);
	assert_string_equal(t.log[1], "add route 192.168.96.1");
	nicdhcp_get_status(d, t.now, &st);
	assert_int_equal(st.route, 0);
	nicdhcp_stop(d, t.now);
	assert_false(t_logged(&t, "del route 192.168.96.1"));
	nicdhcp_free(d);

	d = t_client(&t, 0, 1);
	nicdhcp_start(d, t.now);
	t_answer(d, &t, &(struct t_reply){ DHCP_OFFER, T_IP, T_MASK,
	    0x0a000001u, 0, NULL });
	t_answer(d, &t, &(struct t_reply){ DHCP_ACK, T_IP, T_MASK,
	    0x0a000001u, 0, NULL });
	assert_int_equal(t.nlog, 1);
	assert_string_equal(t.log[0], "add 192.168.96.120/24 120");
	nicdhcp_free(d);
}

/* Before a session (or after a stop) the client takes nothing. */
static void
test_not_started(void **state)
{
	struct t_sys t;
	struct nicdhcp *d = t_client(&t, 0, 0);

	(void)state;
	t_answer(d, &t, &(struct t_reply){ DHCP_ACK, T_IP, T_MASK, 0, 0,
	    NULL });
	nicdhcp_tick(d, t.now + 100 * T_S);
	assert_int_equal(t.nsent, 0);
	assert_int_equal(t.nlog, 0);
	assert_int_equal(nicdhcp_next(d), UINT64_MAX);
	nicdhcp_free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wants),
		cmocka_unit_test(test_lease_check),
		cmocka_unit_test(test_resolv_conf),
		cmocka_unit_test(test_lease_renew_release),
		cmocka_unit_test(test_new_session),
		cmocka_unit_test(test_held_runs_out),
		cmocka_unit_test(test_another_address),
		cmocka_unit_test(test_decline),
		cmocka_unit_test(test_route_left_alone),
		cmocka_unit_test(test_not_started),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
