/*
 * test_dhcpsrv.c: the DHCP server engine on a fake clock: every message
 * type, how answers are addressed, the same address for the same MAC,
 * statics by MAC and by user, a full pool, DECLINE, renewing, rebinding,
 * INIT-REBOOT, expiry, the per-user cap, probes, and the lease file saved,
 * loaded, cut short and corrupted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dhcpsrv.h"

#define T_MAX       2048u
#define T_SRV       0x0a000001u     /* 10.0.0.1 */
#define T_FIRST     0x0a000064u     /* 10.0.0.100 */
#define T_LAST      0x0a000067u     /* 10.0.0.103: four addresses */
#define T_MASK      0xffffff00u
#define T_MAC_IP    0x0a000032u     /* 10.0.0.50, static by MAC */
#define T_USER_IP   0x0a00003cu     /* 10.0.0.60, static for alice */
#define T_LEASE_S   3600u
#define T_OFFER_S   60u
#define T_DECLINE_S 600u
#define T_S         1000u
#define T_T0        1000000u        /* the fake clock starts here */
#define T_WALL      1700000000      /* the wall clock at T_T0 */
#define T_BCAST     0xffffffffu

static const uint8_t t_srv_mac[6] = { 0x02, 0, 0, 0, 0, 0xfe };
static const uint8_t t_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t t_static_mac[6] = { 0x02, 0, 0, 0, 0x09, 0x01 };

struct t_env {
	struct dhcpsrv s;
	struct dhcpsrv_out out;
	struct dhcp_msg r;              /* the last answer, parsed */
	uint8_t frame[T_MAX], reply[T_MAX];
	struct dhcpsrv_static statics[2];
	const uint32_t *busy;           /* addresses in_use says are taken */
	size_t nbusy;
};

static bool
t_in_use(void *arg, uint32_t ip)
{
	struct t_env *e = arg;

	for (size_t i = 0; i < e->nbusy; i++)
		if (e->busy[i] == ip)
			return true;
	return false;
}

static void
t_conf(struct t_env *e, struct dhcpsrv_conf *c)
{
	memset(c, 0, sizeof *c);
	memcpy(c->server_mac, t_srv_mac, 6);
	c->server_ip = T_SRV;
	c->first = T_FIRST;
	c->last = T_LAST;
	c->mask = T_MASK;
	c->router = T_SRV;
	c->dns[0] = T_SRV;
	c->dns[1] = 0x08080808u;
	c->ndns = 2;
	snprintf(c->domain, sizeof c->domain, "vpn.example");
	c->lease_s = T_LEASE_S;
	c->offer_s = T_OFFER_S;
	c->decline_s = T_DECLINE_S;
	memset(e->statics, 0, sizeof e->statics);
	memcpy(e->statics[0].mac, t_static_mac, 6);
	e->statics[0].ip = T_MAC_IP;
	snprintf(e->statics[1].user, sizeof e->statics[1].user, "alice");
	e->statics[1].ip = T_USER_IP;
	c->statics = e->statics;
	c->nstatics = 2;
	c->in_use = t_in_use;
	c->in_use_arg = e;
}

static struct t_env *
t_env_with(void (*adjust)(struct dhcpsrv_conf *c))
{
	struct t_env *e = calloc(1, sizeof *e);
	struct dhcpsrv_conf c;
	char err[256];

	assert_non_null(e);
	t_conf(e, &c);
	if (adjust != NULL)
		adjust(&c);
	assert_int_equal(dhcpsrv_init(&e->s, &c, err, sizeof err), 0);
	e->out.buf = e->reply;
	e->out.cap = sizeof e->reply;
	return e;
}

static struct t_env *
t_env(void)
{
	return t_env_with(NULL);
}

static void
t_env_free(struct t_env *e)
{
	dhcpsrv_free(&e->s);
	free(e);
}

static void
t_mac(uint8_t mac[6], unsigned n)
{
	static const uint8_t base[6] = { 0x02, 0, 0, 0, 0x01, 0 };

	memcpy(mac, base, 6);
	mac[5] = (uint8_t)n;
}

/* A client's message of type from mac, as broadcast. */
static void
t_msg(struct dhcp_msg *m, uint8_t type, const uint8_t mac[6], uint32_t xid)
{
	memset(m, 0, sizeof *m);
	memcpy(m->eth_dst, t_bcast, 6);
	memcpy(m->eth_src, mac, 6);
	m->ip_dst = T_BCAST;
	m->sport = 68;
	m->dport = 67;
	m->op = DHCP_BOOTREQUEST;
	m->xid = xid;
	memcpy(m->chaddr, mac, 6);
	m->type = type;
}

/* m to the server; 1 if it answered (into e->r). */
static int
t_send(struct t_env *e, uint64_t now, const struct dhcp_msg *m,
    const char *user, unsigned max_ip)
{
	size_t len = dhcp_build(m, e->frame, sizeof e->frame);

	assert_true(len > 0);
	dhcpsrv_input(&e->s, now, e->frame, len, user, max_ip, &e->out);
	if (e->out.len == 0)
		return 0;
	assert_int_equal(dhcp_parse(e->reply, e->out.len, &e->r), DHCP_OK);
	assert_int_equal(e->r.op, DHCP_BOOTREPLY);
	assert_int_equal(e->r.xid, m->xid);
	assert_memory_equal(e->r.chaddr, m->chaddr, 6);
	assert_memory_equal(e->r.eth_src, t_srv_mac, 6);
	assert_int_equal(e->r.ip_src, T_SRV);
	assert_int_equal(e->r.sport, 67);
	assert_true(e->r.has & DHCP_HAS_SERVER_ID);
	assert_int_equal(e->r.server_id, T_SRV);
	return 1;
}

/* DISCOVER; the address offered, or 0. */
static uint32_t
t_discover(struct t_env *e, uint64_t now, const uint8_t mac[6],
    const char *user, unsigned max_ip)
{
	struct dhcp_msg m;

	t_msg(&m, DHCP_DISCOVER, mac, 1);
	if (!t_send(e, now, &m, user, max_ip))
		return 0;
	assert_int_equal(e->r.type, DHCP_OFFER);
	return e->r.yiaddr;
}

/* REQUEST in SELECTING for ip; the answer's type, 0 for none. */
static uint8_t
t_select(struct t_env *e, uint64_t now, const uint8_t mac[6], uint32_t ip,
    const char *user, unsigned max_ip)
{
	struct dhcp_msg m;

	t_msg(&m, DHCP_REQUEST, mac, 2);
	m.has = DHCP_HAS_REQ_IP | DHCP_HAS_SERVER_ID;
	m.req_ip = ip;
	m.server_id = T_SRV;
	return t_send(e, now, &m, user, max_ip) ? e->r.type : 0;
}

/* The whole exchange; the address bound. */
static uint32_t
t_lease(struct t_env *e, uint64_t now, const uint8_t mac[6],
    const char *user, unsigned max_ip)
{
	uint32_t ip = t_discover(e, now, mac, user, max_ip);

	assert_int_not_equal(ip, 0);
	assert_int_equal(t_select(e, now, mac, ip, user, max_ip), DHCP_ACK);
	assert_int_equal(e->r.yiaddr, ip);
	assert_true(e->out.act & DHCPSRV_ACT_BOUND);
	assert_int_equal(e->out.ip, ip);
	assert_memory_equal(e->out.mac, mac, 6);
	return ip;
}

/* REQUEST in INIT-REBOOT (req_ip) or RENEWING/REBINDING (ciaddr). */
static uint8_t
t_confirm(struct t_env *e, uint64_t now, const uint8_t mac[6], uint32_t ip,
    int renew, int unicast, const char *user, unsigned max_ip)
{
	struct dhcp_msg m;

	t_msg(&m, DHCP_REQUEST, mac, 3);
	if (renew) {
		m.ciaddr = m.ip_src = ip;
	} else {
		m.has = DHCP_HAS_REQ_IP;
		m.req_ip = ip;
	}
	if (unicast) {
		memcpy(m.eth_dst, t_srv_mac, 6);
		m.ip_dst = T_SRV;
	}
	return t_send(e, now, &m, user, max_ip) ? e->r.type : 0;
}

static const struct dhcpsrv_lease *
t_lease_of(struct t_env *e, uint32_t ip)
{
	const struct dhcpsrv_lease *l = dhcpsrv_find_ip(&e->s, ip);

	assert_non_null(l);
	return l;
}

static void
test_discover_offer(void **state)
{
	struct t_env *e = t_env();
	struct dhcp_msg m;
	uint8_t mac[6];
	uint32_t ip;

	(void)state;
	t_mac(mac, 1);
	ip = t_discover(e, T_T0, mac, NULL, 0);
	assert_true(ip >= T_FIRST && ip <= T_LAST);
	/* Everything the configuration holds. */
	assert_int_equal(e->r.lease_s, T_LEASE_S);
	assert_int_equal(e->r.t1_s, T_LEASE_S / 2);
	assert_int_equal(e->r.t2_s, T_LEASE_S * 7 / 8);
	assert_int_equal(e->r.mask, T_MASK);
	assert_int_equal(e->r.router, T_SRV);
	assert_int_equal(e->r.ndns, 2);
	assert_int_equal(e->r.dns[1], 0x08080808u);
	assert_int_equal(e->r.domain_len, 11);
	assert_memory_equal(e->r.domain, "vpn.example", 11);
	assert_int_equal(e->r.ciaddr, 0);
	/* Unicast to the address offered, at the client's MAC. */
	assert_int_equal(e->r.ip_dst, ip);
	assert_memory_equal(e->r.eth_dst, mac, 6);
	assert_int_equal(e->r.dport, 68);
	assert_int_equal(t_lease_of(e, ip)->state, DHCPSRV_OFFERED);
	assert_int_equal(e->s.stats.rx[DHCP_DISCOVER], 1);
	assert_int_equal(e->s.stats.tx[DHCP_OFFER], 1);

	/* Broadcast when the client asks; its VLAN tag kept. */
	t_msg(&m, DHCP_DISCOVER, mac, 9);
	m.flags = DHCP_FLAG_BROADCAST;
	m.vlan = 1;
	m.vlan_tci = 42;
	assert_true(t_send(e, T_T0, &m, NULL, 0));
	assert_int_equal(e->r.ip_dst, T_BCAST);
	assert_memory_equal(e->r.eth_dst, t_bcast, 6);
	assert_int_equal(e->r.vlan, 1);
	assert_int_equal(e->r.vlan_tci, 42);
	assert_int_equal(e->r.yiaddr, ip);
	t_env_free(e);
}

static void
test_full_exchange(void **state)
{
	struct t_env *e = t_env();
	uint8_t mac[6];
	uint32_t ip;
	const struct dhcpsrv_lease *l;

	(void)state;
	t_mac(mac, 1);
	ip = t_lease(e, T_T0, mac, "bob", 0);
	assert_int_equal(e->out.expiry_ms, T_T0 + T_LEASE_S * T_S);
	assert_int_equal(e->r.lease_s, T_LEASE_S);
	assert_int_equal(e->r.ip_dst, ip);
	l = dhcpsrv_find_mac(&e->s, mac);
	assert_non_null(l);
	assert_int_equal(l->ip, ip);
	assert_int_equal(l->state, DHCPSRV_BOUND);
	assert_string_equal(l->user, "bob");
	assert_string_equal(dhcpsrv_state_name(l->state), "bound");
	t_env_free(e);
}

static void
test_same_mac_same_address(void **state)
{
	struct t_env *e = t_env();
	struct dhcp_msg m;
	uint8_t a[6], b[6];
	uint32_t ip, ipb;

	(void)state;
	t_mac(a, 1);
	t_mac(b, 2);
	ip = t_discover(e, T_T0, a, NULL, 0);
	assert_int_equal(t_discover(e, T_T0 + T_S, a, NULL, 0), ip);
	ipb = t_discover(e, T_T0, b, NULL, 0);
	assert_int_not_equal(ipb, ip);
	assert_int_equal(t_select(e, T_T0, a, ip, NULL, 0), DHCP_ACK);
	/* Bound: a DISCOVER gets the same address, still bound. */
	assert_int_equal(t_discover(e, T_T0 + 2 * T_S, a, NULL, 0), ip);
	assert_int_equal(t_lease_of(e, ip)->state, DHCPSRV_BOUND);
	/* Released, then long expired: it is remembered all the same. */
	t_msg(&m, DHCP_RELEASE, a, 5);
	m.ciaddr = m.ip_src = ip;
	m.has = DHCP_HAS_SERVER_ID;
	m.server_id = T_SRV;
	assert_false(t_send(e, T_T0 + 3 * T_S, &m, NULL, 0));
	assert_int_equal(dhcpsrv_expire(&e->s, T_T0 + 10000 * (uint64_t)T_S),
	    1);   /* b's offer */
	assert_int_equal(t_discover(e, T_T0 + 10000 * (uint64_t)T_S, a, NULL,
	    0), ip);
	assert_int_equal(t_discover(e, T_T0 + 10000 * (uint64_t)T_S, b, NULL,
	    0), ipb);
	t_env_free(e);
}

static void
test_requested_address(void **state)
{
	struct t_env *e = t_env();
	struct dhcp_msg m;
	uint8_t a[6], b[6];

	(void)state;
	t_mac(a, 1);
	t_mac(b, 2);
	t_msg(&m, DHCP_DISCOVER, a, 1);
	m.has = DHCP_HAS_REQ_IP;
	m.req_ip = T_LAST;
	assert_true(t_send(e, T_T0, &m, NULL, 0));
	assert_int_equal(e->r.yiaddr, T_LAST);
	/* Taken, or outside the pool: another address. */
	memcpy(m.eth_src, b, 6);
	memcpy(m.chaddr, b, 6);
	assert_true(t_send(e, T_T0, &m, NULL, 0));
	assert_int_not_equal(e->r.yiaddr, T_LAST);
	assert_true(e->r.yiaddr >= T_FIRST && e->r.yiaddr <= T_LAST);
	t_mac(b, 3);
	memcpy(m.eth_src, b, 6);
	memcpy(m.chaddr, b, 6);
	m.req_ip = 0x0a0000c8u;
	assert_true(t_send(e, T_T0, &m, NULL, 0));
	assert_true(e->r.yiaddr >= T_FIRST && e->r.yiaddr <= T_LAST);
	t_env_free(e);
}

static void
test_static_by_mac(void **state)
{
	struct t_env *e = t_env();
	uint8_t other[6];

	(void)state;
	/* Outside the pool, its MAC's alone, whoever the user. */
	assert_int_equal(t_lease(e, T_T0, t_static_mac, "alice", 0),
	    T_MAC_IP);
	assert_true(t_lease_of(e, T_MAC_IP)->flags & DHCPSRV_L_STATIC_MAC);
	/* It asks for another address: no. */
	assert_int_equal(t_confirm(e, T_T0, t_static_mac, T_FIRST, 0, 0,
	    NULL, 0), DHCP_NAK);
	assert_int_equal(t_confirm(e, T_T0, t_static_mac, T_MAC_IP, 0, 0,
	    NULL, 0), DHCP_ACK);
	/* Its lease long over, it comes back asking for it: yes. */
	assert_int_equal(t_confirm(e, T_T0 + 3 * T_LEASE_S * T_S,
	    t_static_mac, T_MAC_IP, 0, 0, NULL, 0), DHCP_ACK);
	/* It finds the address in use: the address stays its own, free
	 * (the administrator has a conflict to sort out), and is offered
	 * to it again. */
	{
		struct dhcp_msg m;
		t_msg(&m, DHCP_DECLINE, t_static_mac, 6);
		m.has = DHCP_HAS_REQ_IP | DHCP_HAS_SERVER_ID;
		m.req_ip = T_MAC_IP;
		m.server_id = T_SRV;
		assert_false(t_send(e, T_T0 + 3 * T_LEASE_S * T_S, &m, NULL,
		    0));
		assert_true(e->out.act & DHCPSRV_ACT_DECLINED);
		assert_int_equal(t_lease_of(e, T_MAC_IP)->state, DHCPSRV_FREE);
		assert_int_equal(t_discover(e, T_T0 + 3 * T_LEASE_S * T_S,
		    t_static_mac, NULL, 0), T_MAC_IP);
	}
	/* Nobody else gets it, even asking. */
	t_mac(other, 7);
	assert_int_equal(t_confirm(e, T_T0, other, T_MAC_IP, 0, 0, NULL, 0),
	    DHCP_NAK);  /* known to be another's: NAK, authoritative or not */
	assert_int_not_equal(t_discover(e, T_T0, other, NULL, 0), T_MAC_IP);
	t_env_free(e);
}

static void
test_static_by_user(void **state)
{
	struct t_env *e = t_env();
	struct dhcp_msg m;
	uint8_t a[6], b[6], c[6];
	uint32_t ipb;

	(void)state;
	t_mac(a, 1);
	t_mac(b, 2);
	t_mac(c, 3);
	assert_int_equal(t_lease(e, T_T0, a, "alice", 0), T_USER_IP);
	assert_true(t_lease_of(e, T_USER_IP)->flags & DHCPSRV_L_STATIC_USER);
	/* alice's second card: a pool address while the first holds it. */
	ipb = t_lease(e, T_T0, b, "alice", 0);
	assert_true(ipb >= T_FIRST && ipb <= T_LAST);
	/* bob never gets it. */
	assert_int_not_equal(t_discover(e, T_T0, c, "bob", 0), T_USER_IP);
	/* The first card releases: the second moves to it. */
	t_msg(&m, DHCP_RELEASE, a, 5);
	m.ciaddr = T_USER_IP;
	m.has = DHCP_HAS_SERVER_ID;
	m.server_id = T_SRV;
	assert_false(t_send(e, T_T0 + T_S, &m, "alice", 0));
	assert_true(e->out.act & DHCPSRV_ACT_RELEASED);
	assert_int_equal(t_discover(e, T_T0 + 2 * T_S, b, "alice", 0),
	    T_USER_IP);
	/* ... and asking to renew the old one is refused. */
	assert_int_equal(t_confirm(e, T_T0 + 2 * T_S, b, ipb, 1, 1, "alice",
	    0), DHCP_NAK);
	t_env_free(e);
}

static void
test_pool_full(void **state)
{
	struct t_env *e = t_env();
	struct dhcp_msg m;
	uint8_t mac[6];
	uint32_t ips[4];

	(void)state;
	for (unsigned i = 0; i < 4; i++) {
		t_mac(mac, i + 1);
		ips[i] = t_lease(e, T_T0, mac, NULL, 0);
		for (unsigned j = 0; j < i; j++)
			assert_int_not_equal(ips[i], ips[j]);
	}
	/* The fifth: no offer, and the flag once. */
	t_mac(mac, 5);
	assert_int_equal(t_discover(e, T_T0, mac, NULL, 0), 0);
	assert_true(e->out.act & DHCPSRV_ACT_POOL_EMPTY);
	assert_int_equal(t_discover(e, T_T0, mac, NULL, 0), 0);
	assert_false(e->out.act & DHCPSRV_ACT_POOL_EMPTY);
	assert_int_equal(e->s.stats.pool_empty, 2);
	/* One released: the fifth gets it; full again, flagged again. */
	t_mac(mac, 2);
	t_msg(&m, DHCP_RELEASE, mac, 5);
	m.ciaddr = ips[1];
	m.has = DHCP_HAS_SERVER_ID;
	m.server_id = T_SRV;
	t_send(e, T_T0, &m, NULL, 0);
	t_mac(mac, 5);
	assert_int_equal(t_lease(e, T_T0, mac, NULL, 0), ips[1]);
	t_mac(mac, 6);
	assert_int_equal(t_discover(e, T_T0, mac, NULL, 0), 0);
	assert_true(e->out.act & DHCPSRV_ACT_POOL_EMPTY);
	/* Leases run out: addresses again. */
	assert_int_equal(t_discover(e, T_T0 + (T_LEASE_S + 1) * T_S, mac,
	    NULL, 0) != 0, 1);
	t_env_free(e);
}

static void
test_decline(void **state)
{
	struct t_env *e = t_env();
	struct dhcp_msg m;
	uint8_t a[6], b[6];
	uint32_t ip, again;

	(void)state;
	t_mac(a, 1);
	t_mac(b, 2);
	ip = t_lease(e, T_T0, a, NULL, 0);
	t_msg(&m, DHCP_DECLINE, a, 6);
	m.has = DHCP_HAS_REQ_IP | DHCP_HAS_SERVER_ID;
	m.req_ip = ip;
	m.server_id = T_SRV;
	assert_false(t_send(e, T_T0 + T_S, &m, NULL, 0));
	assert_true(e->out.act & DHCPSRV_ACT_DECLINED);
	assert_int_equal(e->out.ip, ip);
	assert_int_equal(e->s.stats.declined, 1);
	assert_int_equal(t_lease_of(e, ip)->state, DHCPSRV_DECLINED);
	assert_null(dhcpsrv_find_mac(&e->s, a));
	/* Resting: nobody gets it, not even by asking. */
	again = t_discover(e, T_T0 + 2 * T_S, a, NULL, 0);
	assert_int_not_equal(again, ip);
	m.type = DHCP_DISCOVER;
	m.has = DHCP_HAS_REQ_IP;
	memcpy(m.eth_src, b, 6);
	memcpy(m.chaddr, b, 6);
	assert_true(t_send(e, T_T0 + 2 * T_S, &m, NULL, 0));
	assert_int_not_equal(e->r.yiaddr, ip);
	/* A DECLINE for an address not its own, or with no server id. */
	m.type = DHCP_DECLINE;
	m.req_ip = again;
	m.has = DHCP_HAS_REQ_IP | DHCP_HAS_SERVER_ID;
	assert_false(t_send(e, T_T0 + 2 * T_S, &m, NULL, 0));
	assert_int_equal(e->s.stats.declined, 1);
	assert_int_equal(e->s.stats.ignored[DHCPSRV_IGN_UNKNOWN], 1);
	m.has = DHCP_HAS_REQ_IP;
	assert_false(t_send(e, T_T0 + 2 * T_S, &m, NULL, 0));
	assert_int_equal(e->s.stats.ignored[DHCPSRV_IGN_BAD_REQUEST], 1);
	/* After its rest, free again. */
	dhcpsrv_expire(&e->s, T_T0 + (T_DECLINE_S + 2) * T_S);
	assert_int_equal(t_lease_of(e, ip)->state, DHCPSRV_FREE);
	t_env_free(e);
}

static void
test_select_other_server(void **state)
{
	struct t_env *e = t_env();
	struct dhcp_msg m;
	uint8_t a[6];
	uint32_t ip;

	(void)state;
	t_mac(a, 1);
	ip = t_discover(e, T_T0, a, NULL, 0);
	t_msg(&m, DHCP_REQUEST, a, 2);
	m.has = DHCP_HAS_REQ_IP | DHCP_HAS_SERVER_ID;
	m.req_ip = 0x0a000909u;
	m.server_id = 0x0a000002u;
	assert_false(t_send(e, T_T0, &m, NULL, 0));
	assert_int_equal(e->s.stats.ignored[DHCPSRV_IGN_NOT_US], 1);
	/* Our offer is given up at once. */
	assert_int_equal(t_lease_of(e, ip)->state, DHCPSRV_FREE);
	/* Selecting us for an address never offered: NAK, broadcast. */
	assert_int_equal(t_select(e, T_T0, a, T_LAST, NULL, 0), DHCP_NAK);
	assert_int_equal(e->r.ip_dst, T_BCAST);
	assert_memory_equal(e->r.eth_dst, t_bcast, 6);
	assert_int_equal(e->r.yiaddr, 0);
	assert_false(e->r.has & DHCP_HAS_LEASE);
	/* Selecting with ciaddr set, or without the address: malformed. */
	m.server_id = T_SRV;
	m.ciaddr = ip;
	assert_false(t_send(e, T_T0, &m, NULL, 0));
	m.ciaddr = 0;
	m.has = DHCP_HAS_SERVER_ID;
	assert_false(t_send(e, T_T0, &m, NULL, 0));
	assert_int_equal(e->s.stats.ignored[DHCPSRV_IGN_BAD_REQUEST], 2);
	/* An offer that timed out is not acknowledged. */
	ip = t_discover(e, T_T0, a, NULL, 0);
	assert_int_equal(t_select(e, T_T0 + (T_OFFER_S + 1) * T_S, a, ip,
	    NULL, 0), DHCP_NAK);
	t_env_free(e);
}

static void
adjust_authoritative(struct dhcpsrv_conf *c)
{
	c->authoritative = true;
}

static void
test_init_reboot(void **state)
{
	struct t_env *e = t_env();
	uint8_t a[6], b[6];
	uint32_t ip;

	(void)state;
	t_mac(a, 1);
	t_mac(b, 2);
	ip = t_lease(e, T_T0, a, NULL, 0);
	/* Its own address: ACK; another: NAK; the wrong net: NAK. */
	assert_int_equal(t_confirm(e, T_T0 + T_S, a, ip, 0, 0, NULL, 0),
	    DHCP_ACK);
	assert_int_equal(e->r.ip_dst, ip);
	assert_int_equal(t_confirm(e, T_T0 + T_S, a, ip + 1, 0, 0, NULL, 0),
	    DHCP_NAK);
	assert_int_equal(t_confirm(e, T_T0 + T_S, b, 0xc0a80105u, 0, 0, NULL,
	    0), DHCP_NAK);
	/* A stranger on our net: silence, unless authoritative. */
	assert_int_equal(t_confirm(e, T_T0 + T_S, b, ip + 1, 0, 0, NULL, 0),
	    0);
	assert_int_equal(e->s.stats.ignored[DHCPSRV_IGN_UNKNOWN], 1);
	t_env_free(e);

	e = t_env_with(adjust_authoritative);
	ip = t_lease(e, T_T0, a, NULL, 0);
	/* Free: taken at its word. Someone else's: NAK. */
	assert_int_equal(t_confirm(e, T_T0, b, T_LAST, 0, 0, NULL, 0),
	    DHCP_ACK);
	assert_int_equal(t_lease_of(e, T_LAST)->state, DHCPSRV_BOUND);
	assert_int_equal(t_confirm(e, T_T0, b, ip, 0, 0, NULL, 0), DHCP_NAK);
	/* b holds T_LAST now: asking for another is refused too. */
	assert_int_equal(t_confirm(e, T_T0, b, T_LAST - 1, 0, 0, NULL, 0),
	    DHCP_NAK);
	/* Outside the pool, in the subnet, nobody's static: NAK. */
	t_mac(b, 3);
	assert_int_equal(t_confirm(e, T_T0, b, 0x0a000005u, 0, 0, NULL, 0),
	    DHCP_NAK);
	/* The server's own address, a static's: NAK. */
	assert_int_equal(t_confirm(e, T_T0, b, T_SRV, 0, 0, NULL, 0),
	    DHCP_NAK);
	assert_int_equal(t_confirm(e, T_T0, b, T_USER_IP, 0, 0, NULL, 0),
	    DHCP_NAK);
	t_env_free(e);
}

static void
test_renew_rebind(void **state)
{
	struct t_env *e = t_env();
	uint8_t a[6], b[6];
	uint32_t ip;
	uint64_t t1 = T_T0 + T_LEASE_S / 2 * T_S;
	uint64_t t2 = T_T0 + T_LEASE_S * 7 / 8 * T_S;

	(void)state;
	t_mac(a, 1);
	t_mac(b, 2);
	ip = t_lease(e, T_T0, a, NULL, 0);
	/* Renewing: unicast in, unicast out to ciaddr, the lease longer. */
	assert_int_equal(t_confirm(e, t1, a, ip, 1, 1, NULL, 0), DHCP_ACK);
	assert_int_equal(e->r.ciaddr, ip);
	assert_int_equal(e->r.yiaddr, ip);
	assert_int_equal(e->r.ip_dst, ip);
	assert_memory_equal(e->r.eth_dst, a, 6);
	assert_int_equal(e->out.expiry_ms, t1 + T_LEASE_S * T_S);
	/* Rebinding: broadcast in. */
	assert_int_equal(t_confirm(e, t2, a, ip, 1, 0, NULL, 0), DHCP_ACK);
	assert_int_equal(e->out.expiry_ms, t2 + T_LEASE_S * T_S);
	assert_int_equal(t_lease_of(e, ip)->expiry_ms, t2 + T_LEASE_S * T_S);
	/* A renewal for an address not its own. */
	assert_int_equal(t_confirm(e, t2, a, ip + 1, 1, 0, NULL, 0),
	    DHCP_NAK);
	/* Too late: expired, but nobody took it: ACK all the same. */
	t2 += 2 * T_LEASE_S * T_S;
	assert_int_equal(t_confirm(e, t2, a, ip, 1, 0, NULL, 0), DHCP_ACK);
	/* Expired and given to another: NAK. */
	t2 += 2 * T_LEASE_S * T_S;
	dhcpsrv_expire(&e->s, t2);
	assert_int_equal(dhcpsrv_find_mac(&e->s, a)->state, DHCPSRV_FREE);
	{
		struct dhcp_msg m;
		t_msg(&m, DHCP_DISCOVER, b, 1);
		m.has = DHCP_HAS_REQ_IP;
		m.req_ip = ip;
		assert_true(t_send(e, t2, &m, NULL, 0));
		assert_int_equal(e->r.yiaddr, ip);
	}
	assert_int_equal(t_confirm(e, t2, a, ip, 1, 1, NULL, 0), DHCP_NAK);
	/* Renewal unicast to someone else's server: not for us. */
	{
		struct dhcp_msg m;
		t_msg(&m, DHCP_REQUEST, b, 3);
		m.ciaddr = m.ip_src = ip;
		m.ip_dst = 0x0a000002u;
		assert_false(t_send(e, t2, &m, NULL, 0));
		memcpy(m.eth_dst, b, 6);
		m.ip_dst = T_SRV;
		assert_false(t_send(e, t2, &m, NULL, 0));
		assert_int_equal(e->s.stats.ignored[DHCPSRV_IGN_NOT_US], 2);
	}
	t_env_free(e);
}

static void
test_expiry(void **state)
{
	struct t_env *e = t_env();
	uint8_t a[6], b[6], c[6], d[6], x[6];
	uint32_t ip;

	(void)state;
	t_mac(a, 1);
	t_mac(b, 2);
	t_mac(c, 3);
	t_mac(d, 4);
	t_mac(x, 9);
	ip = t_lease(e, T_T0, a, NULL, 0);
	t_lease(e, T_T0, b, NULL, 0);
	t_lease(e, T_T0, c, NULL, 0);
	assert_int_not_equal(t_discover(e, T_T0, d, NULL, 0), 0);
	assert_int_equal(t_discover(e, T_T0, x, NULL, 0), 0);   /* full */
	/* The offer lapses: its address for x. */
	assert_int_equal(dhcpsrv_expire(&e->s, T_T0 + T_OFFER_S * T_S - 1),
	    0);
	assert_int_not_equal(t_discover(e, T_T0 + T_OFFER_S * T_S, x, NULL,
	    0), 0);
	assert_null(dhcpsrv_find_mac(&e->s, d));
	/* (It was given again before being tidied.) */
	assert_int_equal(dhcpsrv_expire(&e->s, T_T0 + T_OFFER_S * T_S), 0);
	/* The leases lapse, x's offer too. */
	assert_int_equal(dhcpsrv_expire(&e->s, T_T0 + T_LEASE_S * T_S), 4);
	assert_int_equal(e->s.stats.expired, 4);
	assert_int_equal(t_lease_of(e, ip)->state, DHCPSRV_FREE);
	assert_int_equal(dhcpsrv_expire(&e->s, T_T0 + T_LEASE_S * T_S), 0);
	/* A client whose lease ended gets its address back first. */
	assert_int_equal(t_discover(e, T_T0 + T_LEASE_S * T_S, a, NULL, 0),
	    ip);
	t_env_free(e);
}

static void
test_release(void **state)
{
	struct t_env *e = t_env();
	struct dhcp_msg m;
	uint8_t a[6], b[6];
	uint32_t ip;

	(void)state;
	t_mac(a, 1);
	t_mac(b, 2);
	ip = t_lease(e, T_T0, a, NULL, 0);
	t_msg(&m, DHCP_RELEASE, b, 5);   /* someone else's: ignored */
	m.ciaddr = m.ip_src = ip;
	m.has = DHCP_HAS_SERVER_ID;
	m.server_id = T_SRV;
	memcpy(m.eth_dst, t_srv_mac, 6);
	m.ip_dst = T_SRV;
	assert_false(t_send(e, T_T0, &m, NULL, 0));
	assert_int_equal(t_lease_of(e, ip)->state, DHCPSRV_BOUND);
	m.server_id = 0x0a000002u;      /* to another server: ignored */
	memcpy(m.eth_src, a, 6);
	memcpy(m.chaddr, a, 6);
	assert_false(t_send(e, T_T0, &m, NULL, 0));
	assert_int_equal(t_lease_of(e, ip)->state, DHCPSRV_BOUND);
	m.server_id = T_SRV;
	assert_false(t_send(e, T_T0, &m, NULL, 0));
	assert_true(e->out.act & DHCPSRV_ACT_RELEASED);
	assert_int_equal(e->out.ip, ip);
	assert_memory_equal(e->out.mac, a, 6);
	assert_int_equal(t_lease_of(e, ip)->state, DHCPSRV_FREE);
	assert_int_equal(e->s.stats.released, 1);
	/* Twice: nothing more. */
	assert_false(t_send(e, T_T0, &m, NULL, 0));
	assert_int_equal(e->s.stats.released, 1);
	t_env_free(e);
}

static void
test_inform(void **state)
{
	struct t_env *e = t_env();
	struct dhcp_msg m;
	uint8_t a[6];

	(void)state;
	t_mac(a, 1);
	t_msg(&m, DHCP_INFORM, a, 8);
	m.ciaddr = m.ip_src = 0x0a000005u;
	assert_true(t_send(e, T_T0, &m, NULL, 0));
	assert_int_equal(e->r.type, DHCP_ACK);
	assert_int_equal(e->r.yiaddr, 0);
	assert_int_equal(e->r.ciaddr, 0x0a000005u);
	assert_false(e->r.has & (DHCP_HAS_LEASE | DHCP_HAS_T1 | DHCP_HAS_T2));
	assert_int_equal(e->r.mask, T_MASK);
	assert_int_equal(e->r.router, T_SRV);
	assert_int_equal(e->r.ip_dst, 0x0a000005u);
	assert_memory_equal(e->r.eth_dst, a, 6);
	assert_null(dhcpsrv_find_mac(&e->s, a));   /* no lease */
	m.ciaddr = 0;
	assert_false(t_send(e, T_T0, &m, NULL, 0));
	assert_int_equal(e->s.stats.ignored[DHCPSRV_IGN_BAD_REQUEST], 1);
	assert_int_equal(e->s.stats.rx[DHCP_INFORM], 2);
	t_env_free(e);
}

static void
test_user_cap(void **state)
{
	struct t_env *e = t_env_with(adjust_authoritative);
	uint8_t a[6], b[6], c[6];

	(void)state;
	t_mac(a, 1);
	t_mac(b, 2);
	t_mac(c, 3);
	t_lease(e, T_T0, a, "bob", 2);
	t_lease(e, T_T0, b, "bob", 2);
	/* A third card of bob's: nothing, and said so. */
	assert_int_equal(t_discover(e, T_T0, c, "bob", 2), 0);
	assert_true(e->out.act & DHCPSRV_ACT_USER_CAP);
	assert_int_equal(e->s.stats.user_cap, 1);
	assert_int_equal(t_confirm(e, T_T0, c, T_LAST, 0, 0, "bob", 2),
	    DHCP_NAK);
	assert_true(e->out.act & DHCPSRV_ACT_USER_CAP);
	/* Cards already holding one carry on. */
	assert_int_not_equal(t_discover(e, T_T0, a, "bob", 2), 0);
	assert_int_equal(t_confirm(e, T_T0, b, dhcpsrv_find_mac(&e->s,
	    b)->ip, 1, 1, "bob", 2), DHCP_ACK);
	/* Other users, and no cap, are not held back. */
	assert_int_not_equal(t_discover(e, T_T0, c, "carol", 2), 0);
	/* But carol's offer is not bob's to take up past his cap. */
	assert_int_equal(t_select(e, T_T0, c, e->r.yiaddr, "bob", 2),
	    DHCP_NAK);
	assert_true(e->out.act & DHCPSRV_ACT_USER_CAP);
	assert_int_not_equal(t_discover(e, T_T0, c, "carol", 2), 0);
	assert_int_equal(t_discover(e, T_T0, c, "bob", 2), 0);
	assert_int_equal(e->s.stats.user_cap, 4);
	t_mac(c, 4);
	assert_int_not_equal(t_discover(e, T_T0, c, "bob", 0), 0);
	t_env_free(e);
}

static void
adjust_probe(struct dhcpsrv_conf *c)
{
	c->probe = true;
}

static void
test_probe(void **state)
{
	struct t_env *e = t_env_with(adjust_probe);
	uint8_t a[6], b[6];
	uint32_t first, second;

	(void)state;
	t_mac(a, 1);
	t_mac(b, 2);
	/* The DISCOVER asks for a probe, no offer yet. */
	assert_int_equal(t_discover(e, T_T0, a, NULL, 0), 0);
	assert_true(e->out.act & DHCPSRV_ACT_PROBE);
	first = e->out.probe_ip;
	assert_int_equal(t_lease_of(e, first)->state, DHCPSRV_PROBING);
	/* Asked again meanwhile: still waiting. */
	assert_int_equal(t_discover(e, T_T0 + 100, a, NULL, 0), 0);
	assert_false(e->out.act & DHCPSRV_ACT_PROBE);
	/* Someone answered the probe: that address rests, another one. */
	dhcpsrv_probe_result(&e->s, T_T0 + 500, first, true, &e->out);
	assert_int_equal(e->out.len, 0);
	assert_true(e->out.act & DHCPSRV_ACT_PROBE);
	second = e->out.probe_ip;
	assert_int_not_equal(second, first);
	assert_int_equal(t_lease_of(e, first)->state, DHCPSRV_DECLINED);
	assert_int_equal(e->s.stats.conflicts, 1);
	/* A report for what is not being probed: nothing. */
	dhcpsrv_probe_result(&e->s, T_T0 + 600, first, false, &e->out);
	assert_int_equal(e->out.len, 0);
	assert_int_equal(e->out.act, 0);
	/* Nobody answered: the offer. */
	dhcpsrv_probe_result(&e->s, T_T0 + 700, second, false, &e->out);
	assert_true(e->out.len > 0);
	assert_int_equal(dhcp_parse(e->reply, e->out.len, &e->r), DHCP_OK);
	assert_int_equal(e->r.type, DHCP_OFFER);
	assert_int_equal(e->r.yiaddr, second);
	assert_int_equal(e->r.xid, 1);
	assert_memory_equal(e->r.eth_dst, a, 6);
	assert_int_equal(t_select(e, T_T0 + 800, a, second, NULL, 0),
	    DHCP_ACK);
	/* A bound client asking again is not probed. */
	assert_int_equal(t_discover(e, T_T0 + 900, a, NULL, 0), second);
	/* A probe reported too late is forgotten; the client tries again. */
	assert_int_equal(t_discover(e, T_T0, b, NULL, 0), 0);
	first = e->out.probe_ip;
	dhcpsrv_probe_result(&e->s, T_T0 + DHCPSRV_PROBE_MS, first, false,
	    &e->out);
	assert_int_equal(e->out.len, 0);
	assert_int_equal(t_discover(e, T_T0 + DHCPSRV_PROBE_MS, b, NULL, 0),
	    0);
	assert_true(e->out.act & DHCPSRV_ACT_PROBE);
	t_env_free(e);
}

static void
test_probe_busy(void **state)
{
	struct t_env *e = t_env_with(adjust_probe);
	struct dhcpsrv_conf c;
	uint8_t mac[6];
	char err[128];

	(void)state;
	/* A pool big enough to fill every probe slot. */
	dhcpsrv_free(&e->s);
	t_conf(e, &c);
	c.probe = true;
	c.last = T_FIRST + 100;
	assert_int_equal(dhcpsrv_init(&e->s, &c, err, sizeof err), 0);
	for (unsigned i = 0; i < DHCPSRV_MAX_PROBES; i++) {
		t_mac(mac, i + 1);
		t_discover(e, T_T0, mac, NULL, 0);
		assert_true(e->out.act & DHCPSRV_ACT_PROBE);
	}
	t_mac(mac, 200);
	t_discover(e, T_T0, mac, NULL, 0);
	assert_int_equal(e->out.act, 0);
	assert_int_equal(e->s.stats.ignored[DHCPSRV_IGN_BUSY], 1);
	/* Slots whose time is up are taken again. */
	t_discover(e, T_T0 + DHCPSRV_PROBE_MS, mac, NULL, 0);
	assert_true(e->out.act & DHCPSRV_ACT_PROBE);
	t_env_free(e);
}

static void
test_in_use_callback(void **state)
{
	struct t_env *e = t_env();
	static const uint32_t busy[] = { T_FIRST, T_FIRST + 1 };
	uint8_t a[6];

	(void)state;
	e->busy = busy;
	e->nbusy = 2;
	t_mac(a, 1);
	assert_int_equal(t_discover(e, T_T0, a, NULL, 0), T_FIRST + 2);
	assert_int_equal(e->s.stats.conflicts, 2);
	assert_int_equal(t_lease_of(e, T_FIRST)->state, DHCPSRV_DECLINED);
	/* Everything in use: no offer. */
	static const uint32_t all[] = { T_FIRST, T_FIRST + 1, T_FIRST + 2,
	    T_FIRST + 3 };
	e->busy = all;
	e->nbusy = 4;
	t_mac(a, 2);
	assert_int_equal(t_discover(e, T_T0, a, NULL, 0), 0);
	assert_true(e->out.act & DHCPSRV_ACT_POOL_EMPTY);
	t_env_free(e);
}

static void
test_ignored_and_malformed(void **state)
{
	struct t_env *e = t_env();
	struct dhcp_msg m;
	uint8_t a[6], b[6], arp[60];
	size_t len;

	(void)state;
	t_mac(a, 1);
	t_mac(b, 2);
	/* Other traffic. */
	memset(arp, 0, sizeof arp);
	memcpy(arp, t_bcast, 6);
	arp[12] = 0x08;
	arp[13] = 0x06;
	dhcpsrv_input(&e->s, T_T0, arp, sizeof arp, NULL, 0, &e->out);
	assert_int_equal(e->s.stats.ignored[DHCPSRV_IGN_NOT_DHCP], 1);
	assert_int_equal(e->out.err, DHCP_E_NOT_IP4);
	/* A broken DHCP frame: counted by reason. */
	t_msg(&m, DHCP_DISCOVER, a, 1);
	len = dhcp_build(&m, e->frame, sizeof e->frame);
	e->frame[len - 1] ^= 0xff;
	dhcpsrv_input(&e->s, T_T0, e->frame, len, NULL, 0, &e->out);
	assert_int_equal(e->s.stats.malformed[DHCP_E_UDP_CSUM], 1);
	assert_int_equal(e->out.err, DHCP_E_UDP_CSUM);
	assert_int_equal(e->out.len, 0);
	/* Another server's offer. */
	t_msg(&m, DHCP_OFFER, a, 1);
	m.op = DHCP_BOOTREPLY;
	assert_false(t_send(e, T_T0, &m, NULL, 0));
	t_msg(&m, DHCP_ACK, a, 1);   /* ACK dressed as a request */
	assert_false(t_send(e, T_T0, &m, NULL, 0));
	assert_int_equal(e->s.stats.ignored[DHCPSRV_IGN_REPLY], 2);
	/* Unicast to another host. */
	t_msg(&m, DHCP_DISCOVER, a, 1);
	memcpy(m.eth_dst, b, 6);
	assert_false(t_send(e, T_T0, &m, NULL, 0));
	assert_int_equal(e->s.stats.ignored[DHCPSRV_IGN_NOT_US], 1);
	/* chaddr not the sender, not relayed. */
	t_msg(&m, DHCP_DISCOVER, a, 1);
	memcpy(m.chaddr, b, 6);
	assert_false(t_send(e, T_T0, &m, NULL, 0));
	assert_int_equal(e->s.stats.ignored[DHCPSRV_IGN_CHADDR], 1);
	/* chaddr multicast. */
	t_msg(&m, DHCP_DISCOVER, t_bcast, 1);
	assert_false(t_send(e, T_T0, &m, NULL, 0));
	assert_int_equal(e->s.stats.ignored[DHCPSRV_IGN_BAD_REQUEST], 1);
	/* No room for the answer. */
	t_msg(&m, DHCP_DISCOVER, a, 1);
	e->out.cap = 100;
	assert_false(t_send(e, T_T0, &m, NULL, 0));
	assert_int_equal(e->s.stats.ignored[DHCPSRV_IGN_NO_ROOM], 1);
	e->out.cap = sizeof e->reply;
	for (int i = 0; i < DHCPSRV_IGN_NREASONS; i++)
		assert_string_not_equal(dhcpsrv_ignore_name(i), "?");
	assert_string_equal(dhcpsrv_ignore_name(DHCPSRV_IGN_NREASONS), "?");
	t_env_free(e);
}

static void
test_relay(void **state)
{
	struct t_env *e = t_env();
	struct dhcp_msg m;
	uint8_t a[6], relay[6];

	(void)state;
	t_mac(a, 1);
	t_mac(relay, 0x77);
	t_msg(&m, DHCP_DISCOVER, a, 1);
	memcpy(m.eth_src, relay, 6);
	memcpy(m.eth_dst, t_srv_mac, 6);
	m.ip_src = m.giaddr = 0x0a000002u;
	m.ip_dst = T_SRV;
	m.sport = 67;
	m.hops = 1;
	assert_true(t_send(e, T_T0, &m, NULL, 0));
	assert_int_equal(e->r.ip_dst, 0x0a000002u);
	assert_int_equal(e->r.dport, 67);
	assert_memory_equal(e->r.eth_dst, relay, 6);
	assert_int_equal(e->r.giaddr, 0x0a000002u);
	/* A NAK through the relay: to it, asking it to broadcast. */
	m.type = DHCP_REQUEST;
	m.has = DHCP_HAS_REQ_IP | DHCP_HAS_SERVER_ID;
	m.req_ip = T_LAST - 1;
	m.server_id = T_SRV;
	assert_true(t_send(e, T_T0, &m, NULL, 0));
	assert_int_equal(e->r.type, DHCP_NAK);
	assert_int_equal(e->r.ip_dst, 0x0a000002u);
	assert_int_equal(e->r.flags & DHCP_FLAG_BROADCAST, DHCP_FLAG_BROADCAST);
	t_env_free(e);
}

static void
adjust_wide(struct dhcpsrv_conf *c)
{
	/* The pool takes in the server, the router, a DNS server; alice's
	 * static sits on the router's address. */
	c->first = T_SRV;
	c->last = T_SRV + 5;
	c->router = T_SRV + 1;
	c->dns[1] = T_SRV + 2;
	((struct dhcpsrv_static *)(uintptr_t)c->statics)[1].ip = T_SRV + 1;
}

static void
test_reserved(void **state)
{
	struct t_env *e;
	uint8_t mac[6];
	uint32_t seen = 0, ip;

	(void)state;
	e = t_env_with(adjust_wide);
	/* Only .4, .5, .6 are handed out; .2 is alice's alone. */
	for (unsigned i = 1; i <= 4; i++) {
		t_mac(mac, i);
		ip = t_discover(e, T_T0, mac, NULL, 0);
		if (i == 4) {
			assert_int_equal(ip, 0);
			break;
		}
		assert_true(ip >= T_SRV + 3 && ip <= T_SRV + 5);
		assert_false(seen & 1u << (ip - T_SRV));
		seen |= 1u << (ip - T_SRV);
	}
	assert_null(dhcpsrv_find_ip(&e->s, T_SRV));
	t_mac(mac, 9);
	assert_int_equal(t_discover(e, T_T0, mac, "alice", 0), T_SRV + 1);
	t_env_free(e);
	e = t_env_with(adjust_wide);
	assert_int_equal(e->s.fresh, 3);
	t_env_free(e);
}

static void
test_conf_errors(void **state)
{
	struct t_env *e = calloc(1, sizeof *e);
	struct dhcpsrv_conf c;
	struct dhcpsrv s;
	struct dhcpsrv_static st[2];
	char err[256];
	int i;

	(void)state;
	assert_non_null(e);
	for (i = 0; i < 14; i++) {
		t_conf(e, &c);
		switch (i) {
		case 0: c.mask = 0xff00ff00u; break;
		case 1: c.mask = 0xfffffffeu; break;
		case 2: c.first = T_LAST + 1; break;
		case 3: c.last = 0x0a000164u; break;
		case 4: c.first = 0x0a000000u; break;
		case 5: c.mask = 0xff000000u; c.first = 0x0a000001u;
			c.last = 0x0a0200ffu; break;
		case 6: c.ndns = 5; break;
		case 7: c.domain[3] = ' '; break;
		case 8: c.lease_s = 10; break;
		case 9: c.router = 0x0b000001u; break;
		case 10: memcpy(st, e->statics, sizeof st);
			st[1].ip = T_MAC_IP;           /* twice */
			c.statics = st; break;
		case 11: memcpy(st, e->statics, sizeof st);
			memcpy(st[1].mac, t_static_mac, 6); /* both */
			c.statics = st; break;
		case 12: memcpy(st, e->statics, sizeof st);
			st[0].ip = T_SRV;
			c.statics = st; break;
		case 13: c.server_ip = 0x0a0000ffu; break;
		}
		err[0] = '\0';
		assert_int_equal(dhcpsrv_init(&s, &c, err, sizeof err), -1);
		assert_true(strlen(err) > 0);
	}
	/* Defaults fill in. */
	t_conf(e, &c);
	c.lease_s = c.offer_s = c.decline_s = 0;
	c.nstatics = 0;
	assert_int_equal(dhcpsrv_init(&s, &c, err, sizeof err), 0);
	assert_int_equal(s.conf.lease_s, DHCPSRV_DEFAULT_LEASE_S);
	assert_int_equal(s.conf.offer_s, DHCPSRV_DEFAULT_OFFER_S);
	dhcpsrv_free(&s);
	free(e);
}

/* Three kinds of line: bound with a user, declined, free. */
static void
t_some_leases(struct t_env *e, uint32_t *bound, uint32_t *declined)
{
	struct dhcp_msg m;
	uint8_t a[6], b[6], c[6];

	t_mac(a, 1);
	t_mac(b, 2);
	t_mac(c, 3);
	*bound = t_lease(e, T_T0, a, "bob", 0);
	*declined = t_lease(e, T_T0, b, NULL, 0);
	t_msg(&m, DHCP_DECLINE, b, 6);
	m.has = DHCP_HAS_REQ_IP | DHCP_HAS_SERVER_ID;
	m.req_ip = *declined;
	m.server_id = T_SRV;
	t_send(e, T_T0, &m, NULL, 0);
	t_lease(e, T_T0, c, NULL, 0);
	t_msg(&m, DHCP_RELEASE, c, 5);
	m.ciaddr = dhcpsrv_find_mac(&e->s, c)->ip;
	m.has = DHCP_HAS_SERVER_ID;
	m.server_id = T_SRV;
	t_send(e, T_T0, &m, NULL, 0);
	t_lease(e, T_T0, t_static_mac, NULL, 0);   /* not saved */
}

static void
test_save_load(void **state)
{
	struct t_env *e = t_env(), *f = t_env();
	struct dhcpsrv_load_report r;
	char text[4096], again[4096], err[256];
	size_t n;
	uint32_t bound, declined;
	const struct dhcpsrv_lease *l;
	uint8_t a[6], c[6];
	uint64_t later = 5000 * (uint64_t)T_S;

	(void)state;
	t_mac(a, 1);
	t_mac(c, 3);
	t_some_leases(e, &bound, &declined);
	n = dhcpsrv_save(&e->s, T_T0 + 100 * T_S, T_WALL + 100, text,
	    sizeof text);
	assert_true(n < sizeof text);
	assert_int_equal(strlen(text), n);
	assert_memory_equal(text, "softether-dhcp-leases 1\n", 24);
	assert_non_null(strstr(text, " bob\n"));
	assert_null(strstr(text, "10.0.0.50"));    /* statics are config */
	/* Too small a buffer: cut, terminated, the length needed told. */
	assert_int_equal(dhcpsrv_save(&e->s, T_T0 + 100 * T_S, T_WALL + 100,
	    again, 10), n);
	assert_int_equal(strlen(again), 9);

	/* Loaded by a server started later on another monotonic clock. */
	assert_int_equal(dhcpsrv_load(&f->s, later, T_WALL + 200, text, n,
	    &r, err, sizeof err), 0);
	assert_int_equal(r.loaded, 3);
	assert_int_equal(r.bad, 0);
	assert_int_equal(r.expired, 0);
	l = dhcpsrv_find_ip(&f->s, bound);
	assert_int_equal(l->state, DHCPSRV_BOUND);
	assert_memory_equal(l->mac, a, 6);
	assert_string_equal(l->user, "bob");
	assert_int_equal(l->expiry_ms, later + (T_LEASE_S - 200) * T_S);
	l = dhcpsrv_find_ip(&f->s, declined);
	assert_int_equal(l->state, DHCPSRV_DECLINED);
	assert_int_equal(l->expiry_ms, later + (T_DECLINE_S - 200) * T_S);
	assert_int_equal(dhcpsrv_find_mac(&f->s, c)->state, DHCPSRV_FREE);
	/* Saved again at the matching instant: the same text. */
	assert_int_equal(dhcpsrv_save(&f->s, later - 100 * T_S, T_WALL + 100,
	    again, sizeof again), n);
	assert_string_equal(again, text);
	/* It serves the loaded clients as before. */
	assert_int_equal(t_confirm(f, later, a, bound, 1, 1, "bob", 0),
	    DHCP_ACK);
	assert_int_equal(t_discover(f, later, c, NULL, 0),
	    dhcpsrv_find_mac(&e->s, c)->ip);

	/* Saved after the lease ran out, before anything tidied it: a free
	 * line, with no user. */
	n = dhcpsrv_save(&e->s, T_T0 + (T_LEASE_S + 1) * T_S, T_WALL, again,
	    sizeof again);
	assert_null(strstr(again, "bob"));
	assert_null(strstr(again, "bound"));

	/* Loaded much later: the bound lease ended (its address is still
	 * the MAC's), the rest is over. */
	t_env_free(f);
	f = t_env();
	n = strlen(text);
	assert_int_equal(dhcpsrv_load(&f->s, later, T_WALL + 100000, text, n,
	    &r, err, sizeof err), 0);
	assert_int_equal(r.loaded, 2);
	assert_int_equal(r.expired, 2);
	assert_int_equal(dhcpsrv_find_ip(&f->s, bound)->state, DHCPSRV_FREE);
	assert_null(dhcpsrv_find_ip(&f->s, declined));
	assert_int_equal(t_discover(f, later, a, NULL, 0), bound);
	t_env_free(f);
	t_env_free(e);
}

static void
test_load_corrupt(void **state)
{
	struct t_env *e = t_env(), *f;
	struct dhcpsrv_load_report r;
	char text[4096], err[256];
	size_t n, cut;
	uint32_t bound, declined;
	static const char *const bad[] = {
		"10.0.0.100 02:00:00:00:01:01 bound 1700003600 bob",  /* cut */
		"10.0.0.100 02:00:00:00:01:01 bound 1700003600\n",
		"10.0.0.100 02:00:00:00:01:01 bound 1700003600 bob x\n",
		"10.0.0.100  02:00:00:00:01:01 bound 1700003600 bob\n",
		"10.0.0.99 02:00:00:00:01:01 bound 1700003600 bob\n",
		"10.0.0.104 02:00:00:00:01:01 bound 1700003600 bob\n",
		"10.0.0.50 02:00:00:00:01:01 bound 1700003600 bob\n",
		"10.0.0.100 02:00:00:00:09:01 bound 1700003600 bob\n",
		"10.0.0.100 01:00:00:00:01:01 bound 1700003600 bob\n",
		"10.0.0.100 - bound 1700003600 bob\n",
		"10.0.0.100 02:00:00:00:01:01 declined 1700003600 -\n",
		"10.0.0.100 02:00:00:00:01:01 offered 1700003600 -\n",
		"10.0.0.100 02:00:00:00:01:01 bound -1 bob\n",
		"10.0.0.100 02:00:00:00:01:01 bound 99999999999999999999 -\n",
		"10.0.0.100 02:00:00:00:01:01 bound 17x -\n",
		"10.0.0.1OO 02:00:00:00:01:01 bound 1700003600 -\n",
		"10.0.0.100 02:00:00:00:01:01 free 0 "
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaa\n",
		"10.0.0.100 02:00:00:00:01:01 bound 1700003600 b\tb\n",
		"\n10.0.0.100",
	};
	char buf[512];

	(void)state;
	t_some_leases(e, &bound, &declined);
	n = dhcpsrv_save(&e->s, T_T0, T_WALL, text, sizeof text);

	/* Cut anywhere: never more than was there, never a crash, the cut
	 * lease line counted bad (a cut comment is no loss). */
	for (cut = 0; cut <= n; cut++) {
		char *copy = malloc(cut > 0 ? cut : 1);
		size_t last = cut;
		assert_non_null(copy);
		memcpy(copy, text, cut);
		while (last > 0 && text[last - 1] != '\n')
			last--;
		f = t_env();
		if (dhcpsrv_load(&f->s, T_T0, T_WALL, copy, cut, &r, err,
		    sizeof err) == 0) {
			assert_true(cut >= 24);
			assert_true(r.loaded <= 3);
			assert_int_equal(r.bad,
			    last < cut && text[last] != '#');
			/* Every whole lease line before the cut, taken. */
			unsigned whole = 0;
			for (size_t i = 24; i < last; i++)
				if (text[i - 1] == '\n' && text[i] != '#')
					whole++;
			assert_int_equal(r.loaded, whole);
		} else {
			assert_true(cut < 24);
		}
		t_env_free(f);
		free(copy);
	}

	/* Each bad line alone: skipped, counted, its line told. */
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		f = t_env();
		n = (size_t)snprintf(buf, sizeof buf,
		    "softether-dhcp-leases 1\n# ok\n\n%s", bad[i]);
		assert_int_equal(dhcpsrv_load(&f->s, T_T0, T_WALL, buf, n, &r,
		    err, sizeof err), 0);
		assert_int_equal(r.loaded, 0);
		assert_int_equal(r.bad, 1);
		assert_true(r.first_bad_line >= 4);
		t_env_free(f);
	}

	/* Duplicates: the first is kept. */
	f = t_env();
	n = (size_t)snprintf(buf, sizeof buf, "softether-dhcp-leases 1\n"
	    "10.0.0.100 02:00:00:00:01:01 bound 1700003600 bob\n"
	    "10.0.0.100 02:00:00:00:01:02 bound 1700003600 bob\n"
	    "10.0.0.101 02:00:00:00:01:01 bound 1700003600 bob\n"
	    "10.0.0.102 02:00:00:00:01:03 bound 1800000000 bob\n");
	assert_int_equal(dhcpsrv_load(&f->s, T_T0, T_WALL, buf, n, &r, err,
	    sizeof err), 0);
	assert_int_equal(r.loaded, 2);
	assert_int_equal(r.bad, 2);
	assert_int_equal(r.first_bad_line, 3);
	/* A lease of years is cut to the configured length. */
	assert_int_equal(dhcpsrv_find_ip(&f->s, 0x0a000066u)->expiry_ms,
	    T_T0 + T_LEASE_S * T_S);
	t_env_free(f);

	/* Not a lease file: nothing loaded, said why. */
	{
		static const char *const heads[] = { "",
		    "softether-dhcp-leases",
		    "softether-dhcp-leases 2\n", "softether-dhcp-leases 1 \n",
		    "# softether-dhcp-leases 1\n", "\n" };
		for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
			f = t_env();
			err[0] = '\0';
			assert_int_equal(dhcpsrv_load(&f->s, T_T0, T_WALL,
			    heads[i], strlen(heads[i]), &r, err, sizeof err),
			    -1);
			assert_true(strlen(err) > 0);
			assert_int_equal(r.loaded, 0);
			t_env_free(f);
		}
	}
	/* NUL bytes and a line too long. */
	f = t_env();
	memset(buf, 'x', sizeof buf);
	memcpy(buf, "softether-dhcp-leases 1\n", 24);
	buf[30] = '\0';
	buf[400] = '\n';
	buf[401] = '\0';
	buf[402] = '\n';
	assert_int_equal(dhcpsrv_load(&f->s, T_T0, T_WALL, buf, 403, &r, err,
	    sizeof err), 0);
	assert_int_equal(r.bad, 2);
	t_env_free(f);
	t_env_free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discover_offer),
		cmocka_unit_test(test_full_exchange),
		cmocka_unit_test(test_same_mac_same_address),
		cmocka_unit_test(test_requested_address),
		cmocka_unit_test(test_static_by_mac),
		cmocka_unit_test(test_static_by_user),
		cmocka_unit_test(test_pool_full),
		cmocka_unit_test(test_decline),
		cmocka_unit_test(test_select_other_server),
		cmocka_unit_test(test_init_reboot),
		cmocka_unit_test(test_renew_rebind),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_inform),
		cmocka_unit_test(test_user_cap),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_probe_busy),
		cmocka_unit_test(test_in_use_callback),
		cmocka_unit_test(test_ignored_and_malformed),
		cmocka_unit_test(test_relay),
		cmocka_unit_test(test_reserved),
		cmocka_unit_test(test_conf_errors),
		cmocka_unit_test(test_save_load),
		cmocka_unit_test(test_load_corrupt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
