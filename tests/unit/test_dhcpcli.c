/*
 * test_dhcpcli.c: the DHCP client against the server engine in memory, on
 * a fake clock: the whole exchange, INIT-REBOOT, renewing at T1,
 * rebinding at T2, the lease's end, a NAK and the start over, the
 * retransmission back-off and its jitter, DECLINE, RELEASE on stop, and
 * answers that are not for it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dhcpcli.h"
#include "dhcpsrv.h"

#define T_MAX       2048u
#define T_SRV       0x0a000001u
#define T_FIRST     0x0a000064u
#define T_LAST      0x0a000067u
#define T_MASK      0xffffff00u
#define T_LEASE_S   3600u
#define T_S         1000u
#define T_T0        5000000u
#define T_BCAST     0xffffffffu
#define T_T1_MS     (T_LEASE_S / 2 * T_S)
#define T_T2_MS     (T_LEASE_S * 7 / 8 * T_S)

static const uint8_t t_srv_mac[6] = { 0x02, 0, 0, 0, 0, 0xfe };
static const uint8_t t_mac[6] = { 0x02, 0, 0, 0, 0x01, 0x01 };
static const uint8_t t_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

struct t_net {
	struct dhcpsrv s;
	struct dhcpcli c;
	uint64_t now;
	uint32_t rnd;
	uint8_t cbuf[T_MAX], sbuf[T_MAX];
	struct dhcpcli_out co;
	struct dhcpsrv_out so;
	int deaf;                 /* the server hears nothing */
	uint8_t deaf_to;          /* ... or nothing of this type */
	unsigned ev;              /* events since t_clear */
	uint32_t lost;
	struct dhcpcli_lease lease;
	unsigned sent;            /* client frames since t_clear */
	struct dhcp_msg last;     /* the client's last frame */
};

static void
t_srv_conf(struct dhcpsrv_conf *c, bool authoritative)
{
	memset(c, 0, sizeof *c);
	memcpy(c->server_mac, t_srv_mac, 6);
	c->server_ip = T_SRV;
	c->first = T_FIRST;
	c->last = T_LAST;
	c->mask = T_MASK;
	c->router = T_SRV;
	c->dns[0] = 0x08080808u;
	c->ndns = 1;
	snprintf(c->domain, sizeof c->domain, "vpn.example");
	c->lease_s = T_LEASE_S;
	c->authoritative = authoritative;
}

static struct t_net *
t_net(bool authoritative)
{
	struct t_net *n = calloc(1, sizeof *n);
	struct dhcpsrv_conf sc;
	struct dhcpcli_conf cc;
	char err[128];

	assert_non_null(n);
	t_srv_conf(&sc, authoritative);
	assert_int_equal(dhcpsrv_init(&n->s, &sc, err, sizeof err), 0);
	memset(&cc, 0, sizeof cc);
	snprintf(cc.hostname, sizeof cc.hostname, "card1");
	dhcpcli_init(&n->c, &cc);
	n->now = T_T0;
	n->rnd = 0x1234567u;
	n->co.buf = n->cbuf;
	n->co.cap = sizeof n->cbuf;
	n->so.buf = n->sbuf;
	n->so.cap = sizeof n->sbuf;
	return n;
}

static void
t_net_free(struct t_net *n)
{
	dhcpsrv_free(&n->s);
	free(n);
}

static uint32_t
t_rnd(struct t_net *n)
{
	n->rnd = n->rnd * 1103515245u + 12345u;
	return n->rnd;
}

static void
t_clear(struct t_net *n)
{
	n->ev = 0;
	n->lost = 0;
	n->sent = 0;
}

static void
t_gather(struct t_net *n)
{
	n->ev |= n->co.ev;
	if (n->co.ev & (DHCPCLI_EV_BOUND | DHCPCLI_EV_RENEWED))
		n->lease = n->co.lease;
	if (n->co.ev & DHCPCLI_EV_LOST)
		n->lost = n->co.lost_ip;
}

/* The client's frame to the server, answers back, until all is quiet. */
static void
t_pump(struct t_net *n)
{
	t_gather(n);
	while (n->co.len > 0) {
		assert_int_equal(dhcp_parse(n->cbuf, n->co.len, &n->last),
		    DHCP_OK);
		assert_int_equal(n->last.op, DHCP_BOOTREQUEST);
		assert_memory_equal(n->last.eth_src, t_mac, 6);
		assert_memory_equal(n->last.chaddr, t_mac, 6);
		n->sent++;
		if (n->deaf || n->last.type == n->deaf_to)
			return;
		dhcpsrv_input(&n->s, n->now, n->cbuf, n->co.len, NULL, 0,
		    &n->so);
		if (n->so.len == 0)
			return;
		n->co.rnd = t_rnd(n);
		dhcpcli_input(&n->c, n->now, n->sbuf, n->so.len, &n->co);
		t_gather(n);
	}
}

static void
t_start(struct t_net *n, uint32_t prev_ip)
{
	n->co.rnd = t_rnd(n);
	dhcpcli_start(&n->c, n->now, t_mac, prev_ip, &n->co);
	t_pump(n);
}

static void
t_tick(struct t_net *n, uint64_t at)
{
	n->now = at;
	n->co.rnd = t_rnd(n);
	dhcpcli_tick(&n->c, n->now, &n->co);
	t_pump(n);
}

/* Every timer up to and including t. */
static void
t_run(struct t_net *n, uint64_t t)
{
	uint64_t next;

	while ((next = dhcpcli_next_timeout(&n->c)) <= t)
		t_tick(n, next);
	n->now = t;
}

/* A bound client at T_T0; its address. */
static uint32_t
t_bound(struct t_net *n)
{
	t_start(n, 0);
	assert_int_equal(n->ev, DHCPCLI_EV_BOUND);
	assert_int_equal(n->c.state, DHCPCLI_BOUND);
	t_clear(n);
	return n->lease.ip;
}

static void
test_exchange(void **state)
{
	struct t_net *n = t_net(false);

	(void)state;
	t_start(n, 0);
	assert_int_equal(n->sent, 2);                /* DISCOVER, REQUEST */
	assert_int_equal(n->ev, DHCPCLI_EV_BOUND);
	assert_int_equal(n->c.state, DHCPCLI_BOUND);
	assert_string_equal(dhcpcli_state_name(n->c.state), "bound");
	assert_true(n->lease.ip >= T_FIRST && n->lease.ip <= T_LAST);
	assert_int_equal(n->lease.mask, T_MASK);
	assert_int_equal(n->lease.router, T_SRV);
	assert_int_equal(n->lease.server_id, T_SRV);
	assert_int_equal(n->lease.ndns, 1);
	assert_int_equal(n->lease.dns[0], 0x08080808u);
	assert_int_equal(n->lease.domain_len, 11);
	assert_memory_equal(n->lease.domain, "vpn.example", 11);
	assert_int_equal(n->lease.lease_s, T_LEASE_S);
	assert_int_equal(n->lease.t1_ms, T_T0 + T_T1_MS);
	assert_int_equal(n->lease.t2_ms, T_T0 + T_T2_MS);
	assert_int_equal(n->lease.expiry_ms, T_T0 + T_LEASE_S * T_S);
	assert_int_equal(dhcpcli_next_timeout(&n->c), T_T0 + T_T1_MS);
	/* The REQUEST: selecting, broadcast, with what a client sends. */
	assert_int_equal(n->last.type, DHCP_REQUEST);
	assert_int_equal(n->last.has & (DHCP_HAS_REQ_IP | DHCP_HAS_SERVER_ID),
	    DHCP_HAS_REQ_IP | DHCP_HAS_SERVER_ID);
	assert_int_equal(n->last.req_ip, n->lease.ip);
	assert_int_equal(n->last.server_id, T_SRV);
	assert_int_equal(n->last.ciaddr, 0);
	assert_int_equal(n->last.ip_src, 0);
	assert_int_equal(n->last.ip_dst, T_BCAST);
	assert_memory_equal(n->last.eth_dst, t_bcast, 6);
	assert_int_equal(n->last.hostname_len, 5);
	assert_memory_equal(n->last.hostname, "card1", 5);
	assert_int_equal(n->last.client_id_len, 7);
	assert_int_equal(n->last.client_id[0], 1);
	assert_memory_equal(n->last.client_id + 1, t_mac, 6);
	assert_true(n->last.prl_len >= 4);
	assert_int_equal(n->last.flags, 0);
	/* The server agrees. */
	assert_int_equal(dhcpsrv_find_mac(&n->s, t_mac)->state,
	    DHCPSRV_BOUND);
	/* Nothing to do before T1. */
	t_clear(n);
	t_tick(n, T_T0 + T_T1_MS - 1);
	assert_int_equal(n->sent, 0);
	assert_int_equal(n->c.stats.offers, 1);
	assert_int_equal(n->c.stats.acks, 1);
	t_net_free(n);
}

static void
test_renew_at_t1(void **state)
{
	struct t_net *n = t_net(false);
	uint32_t ip = t_bound(n);
	uint64_t t1 = T_T0 + T_T1_MS;

	(void)state;
	t_run(n, t1);
	assert_int_equal(n->sent, 1);
	/* Unicast to the server, from the address held. */
	assert_int_equal(n->last.type, DHCP_REQUEST);
	assert_int_equal(n->last.ciaddr, ip);
	assert_int_equal(n->last.ip_src, ip);
	assert_int_equal(n->last.ip_dst, T_SRV);
	assert_memory_equal(n->last.eth_dst, t_srv_mac, 6);
	assert_false(n->last.has & (DHCP_HAS_REQ_IP | DHCP_HAS_SERVER_ID));
	assert_int_equal(n->ev, DHCPCLI_EV_RENEWED);
	assert_int_equal(n->lease.ip, ip);
	assert_int_equal(n->lease.t1_ms, t1 + T_T1_MS);
	assert_int_equal(n->lease.expiry_ms, t1 + T_LEASE_S * T_S);
	assert_int_equal(n->c.state, DHCPCLI_BOUND);
	assert_int_equal(dhcpcli_next_timeout(&n->c), t1 + T_T1_MS);
	assert_int_equal(dhcpsrv_find_mac(&n->s, t_mac)->expiry_ms,
	    t1 + T_LEASE_S * T_S);
	t_net_free(n);
}

static void
test_rebind_at_t2(void **state)
{
	struct t_net *n = t_net(false);
	uint32_t ip = t_bound(n);
	uint64_t t1 = T_T0 + T_T1_MS, t2 = T_T0 + T_T2_MS, prev;

	(void)state;
	n->deaf = 1;
	t_run(n, t1);
	assert_int_equal(n->c.state, DHCPCLI_RENEWING);
	/* Resent halfway to T2 each time, never sooner than a minute. */
	prev = t1;
	while (dhcpcli_next_timeout(&n->c) < t2) {
		uint64_t next = dhcpcli_next_timeout(&n->c);
		uint64_t half = (t2 - prev) / 2;
		assert_int_equal(next, prev + (half < 60000 ? 60000 : half) >
		    t2 ? t2 : prev + (half < 60000 ? 60000 : half));
		t_tick(n, next);
		assert_int_equal(n->c.state, DHCPCLI_RENEWING);
		assert_int_equal(n->last.ip_dst, T_SRV);
		prev = next;
	}
	assert_true(n->sent >= 4);
	assert_int_equal(n->ev, 0);
	/* At T2: broadcast to any server. */
	t_clear(n);
	n->deaf = 0;
	t_tick(n, t2);
	assert_int_equal(n->sent, 1);
	assert_int_equal(n->last.ip_dst, T_BCAST);
	assert_memory_equal(n->last.eth_dst, t_bcast, 6);
	assert_int_equal(n->last.ciaddr, ip);
	assert_int_equal(n->ev, DHCPCLI_EV_RENEWED);
	assert_int_equal(n->lease.expiry_ms, t2 + T_LEASE_S * T_S);
	assert_int_equal(n->c.state, DHCPCLI_BOUND);
	t_net_free(n);
}

static void
test_expiry(void **state)
{
	struct t_net *n = t_net(false);
	uint32_t ip = t_bound(n);
	uint64_t end = T_T0 + T_LEASE_S * T_S;

	(void)state;
	n->deaf = 1;
	t_run(n, end - 1);
	assert_int_equal(n->c.state, DHCPCLI_REBINDING);
	assert_int_equal(dhcpcli_next_timeout(&n->c), end);
	assert_int_equal(n->ev, 0);
	t_run(n, end);
	assert_int_equal(n->ev, DHCPCLI_EV_LOST);
	assert_int_equal(n->lost, ip);
	assert_int_equal(n->c.stats.expired, 1);
	/* Starting over, asking for the address it had. */
	assert_int_equal(n->c.state, DHCPCLI_SELECTING);
	assert_int_equal(n->last.type, DHCP_DISCOVER);
	assert_true(n->last.has & DHCP_HAS_REQ_IP);
	assert_int_equal(n->last.req_ip, ip);
	/* The server is back: the same address. */
	t_clear(n);
	n->deaf = 0;
	t_run(n, dhcpcli_next_timeout(&n->c));
	assert_int_equal(n->ev, DHCPCLI_EV_BOUND);
	assert_int_equal(n->lease.ip, ip);
	t_net_free(n);
}

static void
test_nak_restart(void **state)
{
	struct t_net *n = t_net(false);
	struct dhcpsrv_conf sc;
	struct dhcp_msg m;
	uint8_t frame[T_MAX], other[6] = { 0x02, 0, 0, 0, 0x02, 0x02 };
	char err[128];
	size_t len;
	uint32_t ip = t_bound(n);

	(void)state;
	/* The server restarts with its table lost, and another client
	 * takes the address meanwhile (authoritative, it says yes). */
	dhcpsrv_free(&n->s);
	t_srv_conf(&sc, true);
	assert_int_equal(dhcpsrv_init(&n->s, &sc, err, sizeof err), 0);
	memset(&m, 0, sizeof m);
	memcpy(m.eth_dst, t_bcast, 6);
	memcpy(m.eth_src, other, 6);
	memcpy(m.chaddr, other, 6);
	m.ip_dst = T_BCAST;
	m.sport = 68;
	m.dport = 67;
	m.op = DHCP_BOOTREQUEST;
	m.type = DHCP_REQUEST;
	m.has = DHCP_HAS_REQ_IP;
	m.req_ip = ip;
	len = dhcp_build(&m, frame, sizeof frame);
	dhcpsrv_input(&n->s, n->now, frame, len, NULL, 0, &n->so);
	assert_true(n->so.act & DHCPSRV_ACT_BOUND);

	/* At T1 the renewal is refused: lost, and at once a DISCOVER
	 * that ends bound elsewhere. */
	t_run(n, T_T0 + T_T1_MS);
	assert_int_equal(n->c.stats.naks, 1);
	assert_int_equal(n->ev, DHCPCLI_EV_LOST | DHCPCLI_EV_BOUND);
	assert_int_equal(n->lost, ip);
	assert_int_not_equal(n->lease.ip, ip);
	assert_int_equal(n->sent, 3);     /* REQUEST, DISCOVER, REQUEST */
	assert_int_equal(n->c.state, DHCPCLI_BOUND);
	t_net_free(n);
}

static void
test_init_reboot(void **state)
{
	struct t_net *n = t_net(false);
	uint32_t ip = t_bound(n);

	(void)state;
	/* The card restarts remembering its address: one REQUEST. */
	dhcpcli_init(&n->c, NULL);
	t_start(n, ip);
	assert_int_equal(n->sent, 1);
	assert_int_equal(n->last.type, DHCP_REQUEST);
	assert_true(n->last.has & DHCP_HAS_REQ_IP);
	assert_false(n->last.has & DHCP_HAS_SERVER_ID);
	assert_int_equal(n->last.req_ip, ip);
	assert_int_equal(n->last.ciaddr, 0);
	assert_int_equal(n->last.hostname_len, 0);
	assert_int_equal(n->ev, DHCPCLI_EV_BOUND);
	assert_int_equal(n->lease.ip, ip);

	/* Remembering an address of another network: NAK, DISCOVER. */
	t_clear(n);
	dhcpcli_init(&n->c, NULL);
	t_start(n, 0xc0a80105u);
	assert_int_equal(n->c.stats.naks, 1);
	assert_int_equal(n->ev, DHCPCLI_EV_BOUND);   /* nothing was lost */
	assert_int_equal(n->lease.ip, ip);           /* its MAC's address */
	assert_int_equal(n->sent, 3);
	t_net_free(n);

	/* A server with no record stays silent: after its tries, a
	 * DISCOVER asking for the remembered address. */
	n = t_net(false);
	t_start(n, T_LAST);
	assert_int_equal(n->c.state, DHCPCLI_INIT_REBOOT);
	assert_int_equal(n->ev, 0);
	t_run(n, T_T0 + 4000 + 8000 + 16000 + 4 * 1000);
	assert_int_equal(n->c.state, DHCPCLI_INIT_REBOOT);
	t_run(n, T_T0 + 4000 + 8000 + 16000 + 32000 + 5 * 1000);
	assert_int_equal(n->ev, DHCPCLI_EV_BOUND);
	assert_int_equal(n->lease.ip, T_LAST);
	assert_int_equal(n->sent, 4 + 2);
	t_net_free(n);
}

static void
test_backoff(void **state)
{
	struct t_net *n = t_net(false);
	static const uint64_t base[] = { 4000, 8000, 16000, 32000, 64000,
	    64000, 64000 };
	uint64_t prev = T_T0, next, delays[2][7];
	uint32_t xid;

	(void)state;
	n->deaf = 1;
	for (int run = 0; run < 2; run++) {
		n->rnd = run == 0 ? 1u : 0xabcdefu;
		dhcpcli_init(&n->c, NULL);
		prev = n->now;
		t_start(n, 0);
		xid = n->last.xid;
		for (size_t i = 0; i < sizeof base / sizeof base[0]; i++) {
			next = dhcpcli_next_timeout(&n->c);
			delays[run][i] = next - prev;
			assert_true(next - prev >= base[i] - 1000);
			assert_true(next - prev <= base[i] + 1000);
			t_tick(n, next);
			assert_int_equal(n->last.type, DHCP_DISCOVER);
			assert_int_equal(n->last.xid, xid);   /* the same */
			prev = next;
		}
		assert_int_equal(n->c.stats.retransmits, 7);
		n->now = prev + 1;
	}
	/* Jitter: another random value, other delays. */
	assert_true(memcmp(delays[0], delays[1], sizeof delays[0]) != 0);
	t_net_free(n);
}

static void
test_secs(void **state)
{
	struct t_net *n = t_net(false);

	(void)state;
	n->deaf = 1;
	t_start(n, 0);
	assert_int_equal(n->last.secs, 0);
	t_tick(n, dhcpcli_next_timeout(&n->c));
	assert_int_equal(n->last.secs, (n->now - T_T0) / 1000);
	t_tick(n, dhcpcli_next_timeout(&n->c));
	assert_int_equal(n->last.secs, (n->now - T_T0) / 1000);
	assert_true(n->last.secs >= 10);
	t_net_free(n);
}

static void
test_request_gives_up(void **state)
{
	struct t_net *n = t_net(false);
	uint32_t xid;

	(void)state;
	n->deaf_to = DHCP_REQUEST;
	t_start(n, 0);
	assert_int_equal(n->c.state, DHCPCLI_REQUESTING);
	xid = n->last.xid;
	for (unsigned i = 1; i < PROTO_DHCP_REQUEST_TRIES; i++) {
		t_tick(n, dhcpcli_next_timeout(&n->c));
		assert_int_equal(n->last.type, DHCP_REQUEST);
		assert_int_equal(n->last.xid, xid);
	}
	assert_int_equal(n->c.state, DHCPCLI_REQUESTING);
	/* Unanswered too often: back to a DISCOVER, afresh. */
	n->deaf_to = 0;
	n->deaf = 1;
	t_tick(n, dhcpcli_next_timeout(&n->c));
	assert_int_equal(n->c.state, DHCPCLI_SELECTING);
	assert_int_equal(n->last.type, DHCP_DISCOVER);
	assert_int_not_equal(n->last.xid, xid);
	assert_false(n->last.has & DHCP_HAS_REQ_IP);
	t_net_free(n);
}

static void
test_decline(void **state)
{
	struct t_net *n = t_net(false);
	uint32_t ip = t_bound(n);
	uint64_t at = n->now + 500;

	(void)state;
	n->now = at;
	n->co.rnd = t_rnd(n);
	dhcpcli_decline(&n->c, n->now, &n->co);
	t_pump(n);                     /* the server hears it */
	assert_int_equal(n->last.type, DHCP_DECLINE);
	assert_int_equal(n->last.req_ip, ip);
	assert_int_equal(n->last.server_id, T_SRV);
	assert_int_equal(n->last.ciaddr, 0);
	assert_int_equal(n->last.ip_src, 0);
	assert_int_equal(n->last.ip_dst, T_BCAST);
	assert_int_equal(n->ev, DHCPCLI_EV_LOST);
	assert_int_equal(n->lost, ip);
	assert_int_equal(dhcpsrv_find_ip(&n->s, ip)->state,
	    DHCPSRV_DECLINED);
	assert_int_equal(n->c.state, DHCPCLI_INIT);
	assert_int_equal(dhcpcli_next_timeout(&n->c),
	    at + PROTO_DHCP_DECLINE_WAIT_MS);
	/* Only once bound. */
	dhcpcli_decline(&n->c, n->now, &n->co);
	assert_int_equal(n->co.len, 0);
	/* Ten seconds later: another address. */
	t_clear(n);
	t_run(n, at + PROTO_DHCP_DECLINE_WAIT_MS - 1);
	assert_int_equal(n->sent, 0);
	t_run(n, at + PROTO_DHCP_DECLINE_WAIT_MS);
	assert_int_equal(n->ev, DHCPCLI_EV_BOUND);
	assert_int_not_equal(n->lease.ip, ip);
	t_net_free(n);
}

static void
test_stop_release(void **state)
{
	struct t_net *n = t_net(false);
	uint32_t ip = t_bound(n);

	(void)state;
	n->co.rnd = t_rnd(n);
	dhcpcli_stop(&n->c, n->now, &n->co);
	t_pump(n);
	assert_int_equal(n->last.type, DHCP_RELEASE);
	assert_int_equal(n->last.ciaddr, ip);
	assert_int_equal(n->last.ip_dst, T_SRV);
	assert_memory_equal(n->last.eth_dst, t_srv_mac, 6);
	assert_int_equal(n->ev, DHCPCLI_EV_LOST);
	assert_int_equal(n->lost, ip);
	assert_int_equal(dhcpsrv_find_ip(&n->s, ip)->state, DHCPSRV_FREE);
	assert_int_equal(n->s.stats.released, 1);
	assert_int_equal(n->c.state, DHCPCLI_STOPPED);
	assert_int_equal(dhcpcli_next_timeout(&n->c), UINT64_MAX);
	t_clear(n);
	t_tick(n, n->now + 1000000);
	assert_int_equal(n->sent, 0);
	dhcpcli_stop(&n->c, n->now, &n->co);
	assert_int_equal(n->co.len, 0);
	assert_int_equal(n->co.ev, 0);
	/* Stopped before bound: nothing to release. */
	t_start(n, 0);
	n->deaf = 1;
	dhcpcli_init(&n->c, NULL);
	t_start(n, 0);
	dhcpcli_stop(&n->c, n->now, &n->co);
	assert_int_equal(n->co.len, 0);
	assert_int_equal(n->co.ev, 0);
	t_net_free(n);
}

/* A server answer to the client's last frame, built here. */
static void
t_answer(struct t_net *n, uint8_t type, uint32_t xid, const uint8_t *chaddr,
    uint32_t server, uint32_t has, uint32_t lease, uint32_t t1,
    uint32_t t2)
{
	struct dhcp_msg m;
	uint8_t f[T_MAX];
	size_t len;

	memset(&m, 0, sizeof m);
	memcpy(m.eth_dst, t_mac, 6);
	memcpy(m.eth_src, t_srv_mac, 6);
	m.ip_src = server;
	m.ip_dst = T_FIRST;
	m.sport = 67;
	m.dport = 68;
	m.op = DHCP_BOOTREPLY;
	m.xid = xid;
	m.yiaddr = type == DHCP_NAK ? 0 : T_FIRST;
	memcpy(m.chaddr, chaddr, 6);
	m.type = type;
	m.has = has | DHCP_HAS_SERVER_ID;
	m.server_id = server;
	m.lease_s = lease;
	m.t1_s = t1;
	m.t2_s = t2;
	len = dhcp_build(&m, f, sizeof f);
	assert_true(len > 0);
	n->co.rnd = t_rnd(n);
	dhcpcli_input(&n->c, n->now, f, len, &n->co);
	t_gather(n);
}

static void
test_ignores(void **state)
{
	struct t_net *n = t_net(false);
	static const uint8_t other[6] = { 0x02, 0, 0, 0, 0x09, 0x09 };
	uint8_t junk[64];
	uint32_t xid;
	const uint32_t L = DHCP_HAS_LEASE;

	(void)state;
	n->deaf = 1;
	t_start(n, 0);
	xid = n->last.xid;
	/* Not ours: another xid, another chaddr, an ACK when selecting. */
	t_answer(n, DHCP_OFFER, xid + 1, t_mac, T_SRV, 0, 0, 0, 0);
	t_answer(n, DHCP_OFFER, xid, other, T_SRV, 0, 0, 0, 0);
	t_answer(n, DHCP_ACK, xid, t_mac, T_SRV, L, 600, 0, 0);
	assert_int_equal(n->c.stats.ignored, 3);
	assert_int_equal(n->c.state, DHCPCLI_SELECTING);
	assert_int_equal(n->co.len, 0);
	/* Broken, or something else entirely. */
	memset(junk, 0, sizeof junk);
	dhcpcli_input(&n->c, n->now, junk, sizeof junk, &n->co);
	dhcpcli_input(&n->c, n->now, junk, 10, &n->co);
	assert_int_equal(n->c.stats.malformed[DHCP_E_TRUNCATED], 1);
	/* An offer: REQUESTING. Then answers from another server. */
	t_answer(n, DHCP_OFFER, xid, t_mac, T_SRV, 0, 0, 0, 0);
	assert_int_equal(n->c.state, DHCPCLI_REQUESTING);
	assert_int_equal(n->co.len > 0, 1);
	t_answer(n, DHCP_NAK, xid, t_mac, 0x0a000002u, 0, 0, 0, 0);
	t_answer(n, DHCP_ACK, xid, t_mac, 0x0a000002u, L, 600, 0, 0);
	/* An ACK with no lease time. */
	t_answer(n, DHCP_ACK, xid, t_mac, T_SRV, 0, 0, 0, 0);
	assert_int_equal(n->c.stats.ignored, 6);
	assert_int_equal(n->c.state, DHCPCLI_REQUESTING);
	assert_int_equal(n->ev, 0);
	t_answer(n, DHCP_ACK, xid, t_mac, T_SRV, L, 600, 0, 0);
	assert_int_equal(n->ev, DHCPCLI_EV_BOUND);
	/* Bound: nothing is awaited. */
	t_answer(n, DHCP_ACK, xid, t_mac, T_SRV, L, 600, 0, 0);
	t_answer(n, DHCP_NAK, xid, t_mac, T_SRV, 0, 0, 0, 0);
	assert_int_equal(n->c.stats.ignored, 8);
	assert_int_equal(n->c.state, DHCPCLI_BOUND);
	t_net_free(n);
}

/* Selecting the server's offer, answered by t_answer after 2 s. */
static void
t_offer_then(struct t_net *n, uint32_t has, uint32_t lease, uint32_t t1,
    uint32_t t2)
{
	uint32_t xid;

	dhcpcli_init(&n->c, NULL);
	n->deaf = 1;
	t_clear(n);
	t_start(n, 0);
	xid = n->last.xid;
	t_answer(n, DHCP_OFFER, xid, t_mac, T_SRV, 0, 0, 0, 0);
	n->now += 2000;
	t_answer(n, DHCP_ACK, xid, t_mac, T_SRV, has, lease, t1, t2);
	assert_int_equal(n->ev, DHCPCLI_EV_BOUND);
}

static void
test_renew_moved(void **state)
{
	struct t_net *n = t_net(false);
	uint32_t ip = t_bound(n);

	(void)state;
	n->deaf = 1;
	t_run(n, T_T0 + T_T1_MS);
	assert_int_equal(n->c.state, DHCPCLI_RENEWING);
	/* The server answers the renewal with another address. */
	assert_int_not_equal(ip, T_FIRST + 3);
	{
		struct dhcp_msg m;
		uint8_t f[T_MAX];
		size_t len;
		memset(&m, 0, sizeof m);
		memcpy(m.eth_dst, t_mac, 6);
		memcpy(m.eth_src, t_srv_mac, 6);
		m.ip_src = T_SRV;
		m.ip_dst = ip;
		m.sport = 67;
		m.dport = 68;
		m.op = DHCP_BOOTREPLY;
		m.xid = n->last.xid;
		m.yiaddr = T_FIRST + 3;
		memcpy(m.chaddr, t_mac, 6);
		m.type = DHCP_ACK;
		m.has = DHCP_HAS_SERVER_ID | DHCP_HAS_LEASE;
		m.server_id = T_SRV;
		m.lease_s = 600;
		len = dhcp_build(&m, f, sizeof f);
		dhcpcli_input(&n->c, n->now, f, len, &n->co);
		t_gather(n);
	}
	assert_int_equal(n->ev, DHCPCLI_EV_LOST | DHCPCLI_EV_BOUND);
	assert_int_equal(n->lost, ip);
	assert_int_equal(n->lease.ip, T_FIRST + 3);
	assert_int_equal(n->lease.mask, 0);         /* none was given */
	assert_int_equal(n->c.state, DHCPCLI_BOUND);
	t_net_free(n);
}

static void
test_lease_times(void **state)
{
	struct t_net *n = t_net(false);
	uint64_t sent;
	const uint32_t L = DHCP_HAS_LEASE, T = DHCP_HAS_T1 | DHCP_HAS_T2;

	(void)state;
	/* Counted from the REQUEST, not the ACK (RFC 2131 4.4.1). */
	sent = n->now;
	t_offer_then(n, L | T, 1000, 100, 200);
	assert_int_equal(n->lease.t1_ms, sent + 100 * T_S);
	assert_int_equal(n->lease.t2_ms, sent + 200 * T_S);
	assert_int_equal(n->lease.expiry_ms, sent + 1000 * T_S);
	/* T1 after T2, or T2 past the end: the defaults. */
	sent = n->now;
	t_offer_then(n, L | T, 1000, 900, 800);
	assert_int_equal(n->lease.t1_ms, sent + 500 * T_S);
	assert_int_equal(n->lease.t2_ms, sent + 875 * T_S);
	sent = n->now;
	t_offer_then(n, L | T, 1000, 100, 2000);
	assert_int_equal(n->lease.t1_ms, sent + 500 * T_S);
	/* A lease of seconds is made DHCPCLI_MIN_LEASE_S. */
	sent = n->now;
	t_offer_then(n, L, 3, 0, 0);
	assert_int_equal(n->lease.lease_s, DHCPCLI_MIN_LEASE_S);
	assert_int_equal(n->lease.expiry_ms, sent + DHCPCLI_MIN_LEASE_S *
	    T_S);
	/* No end: no timer. */
	t_offer_then(n, L, DHCP_LEASE_INFINITE, 0, 0);
	assert_int_equal(n->lease.expiry_ms, UINT64_MAX);
	assert_int_equal(n->lease.t1_ms, UINT64_MAX);
	assert_int_equal(dhcpcli_next_timeout(&n->c), UINT64_MAX);
	t_tick(n, UINT64_MAX - 1);
	assert_int_equal(n->c.state, DHCPCLI_BOUND);
	t_net_free(n);
}

static void
test_broadcast_flag(void **state)
{
	struct t_net *n = t_net(false);
	struct dhcpcli_conf cc;

	(void)state;
	memset(&cc, 0, sizeof cc);
	cc.broadcast = 1;
	dhcpcli_init(&n->c, &cc);
	t_start(n, 0);
	assert_int_equal(n->ev, DHCPCLI_EV_BOUND);
	assert_int_equal(n->last.flags, DHCP_FLAG_BROADCAST);
	/* Renewing, it has an address: no flag. */
	t_run(n, T_T0 + T_T1_MS);
	assert_int_equal(n->last.flags, 0);
	assert_string_equal(dhcpcli_state_name(DHCPCLI_INIT_REBOOT),
	    "init-reboot");
	assert_string_equal(dhcpcli_state_name(99), "?");
	t_net_free(n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exchange),
		cmocka_unit_test(test_renew_at_t1),
		cmocka_unit_test(test_rebind_at_t2),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_nak_restart),
		cmocka_unit_test(test_init_reboot),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_secs),
		cmocka_unit_test(test_request_gives_up),
		cmocka_unit_test(test_decline),
		cmocka_unit_test(test_stop_release),
		cmocka_unit_test(test_ignores),
		cmocka_unit_test(test_renew_moved),
		cmocka_unit_test(test_lease_times),
		cmocka_unit_test(test_broadcast_flag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
