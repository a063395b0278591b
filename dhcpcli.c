/*
 * dhcpcli.c: the DHCPv4 client state machine (dhcpcli.h). One timer,
 * timer_ms, whose meaning follows the state; every rule that sets it is
 * here, in the cli_arm_* functions:
 *
 *   SELECTING, REQUESTING, INIT_REBOOT: resend after 4 s, then 8, 16, 32,
 *     then every 64 s, each +-1 s at random (RFC 2131 4.1). REQUESTING and
 *     INIT_REBOOT give up after PROTO_DHCP_REQUEST_TRIES sends: DISCOVER.
 *   INIT: DISCOVER when it fires (PROTO_DHCP_DECLINE_WAIT_MS after a DECLINE).
 *   BOUND: fires at T1: RENEWING.
 *   RENEWING: resend after half the time left to T2, at least
 *     PROTO_DHCP_RENEW_MIN_MS, never past T2; at T2: REBINDING (4.4.5).
 *   REBINDING: the same toward the lease's end; at its end the address is
 *     lost and the client starts over with a DISCOVER.
 */
#include <string.h>

#include "dhcpcli.h"

#define CLI_MS            1000u
#define CLI_BCAST         0xffffffffu
#define CLI_SECS_MAX      0xffffu
#define CLI_T1_DEN        2u      /* T1 = lease / 2 */
#define CLI_T2_NUM        7u      /* T2 = lease * 7 / 8 */
#define CLI_T2_DEN        8u
#define CLI_CID_HTYPE     1u      /* option 61: type Ethernet, then MAC */
#define CLI_MULTICAST     0xe0000000u  /* 224/4 and above: no host's */
#define CLI_MIX           2654435761u  /* spreads rnd's bits for jitter */

static const uint8_t cli_bcast_mac[ETHER_ADDR_LEN] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff
};

/* What a client asks servers for (option 55). */
static const uint8_t cli_prl[] = {
	DHCP_OPT_MASK, DHCP_OPT_ROUTER, DHCP_OPT_DNS, DHCP_OPT_DOMAIN,
	DHCP_OPT_LEASE, DHCP_OPT_T1, DHCP_OPT_T2,
};

static const char *const cli_state_names[] = {
	[DHCPCLI_STOPPED] = "stopped",
	[DHCPCLI_INIT] = "init",
	[DHCPCLI_SELECTING] = "selecting",
	[DHCPCLI_REQUESTING] = "requesting",
	[DHCPCLI_INIT_REBOOT] = "init-reboot",
	[DHCPCLI_BOUND] = "bound",
	[DHCPCLI_RENEWING] = "renewing",
	[DHCPCLI_REBINDING] = "rebinding",
};

const char *
dhcpcli_state_name(enum dhcpcli_state st)
{
	if ((unsigned)st >= sizeof cli_state_names / sizeof cli_state_names[0])
		return "?";
	return cli_state_names[st];
}

static uint64_t
cli_add(uint64_t t, uint64_t d)
{
	return t > UINT64_MAX - d ? UINT64_MAX : t + d;
}

static void
cli_set_state(struct dhcpcli *c, enum dhcpcli_state st)
{
	c->state = st;
	c->tries = 0;
}

/* ---- Timers ------------------------------------------------------------ */

/* The exponential kind: after the tries-th send. */
static void
cli_arm_backoff(struct dhcpcli *c, uint64_t now_ms, uint32_t rnd)
{
	uint64_t base = PROTO_DHCP_RETRANS_MS;
	uint32_t jitter = (uint32_t)(rnd * CLI_MIX) >> 16;

	for (unsigned i = 1; i < c->tries && base < PROTO_DHCP_RETRANS_MAX_MS;
	    i++)
		base *= 2;
	if (base > PROTO_DHCP_RETRANS_MAX_MS)
		base = PROTO_DHCP_RETRANS_MAX_MS;
	jitter %= 2 * PROTO_DHCP_JITTER_MS + 1;
	c->timer_ms = now_ms + base + jitter - PROTO_DHCP_JITTER_MS;
}

/* Renewing and rebinding: halfway to until, not too often, not past it. */
static void
cli_arm_halfway(struct dhcpcli *c, uint64_t now_ms, uint64_t until)
{
	uint64_t d = until > now_ms ? (until - now_ms) / 2 : 0;

	if (d < PROTO_DHCP_RENEW_MIN_MS)
		d = PROTO_DHCP_RENEW_MIN_MS;
	c->timer_ms = cli_add(now_ms, d);
	if (c->timer_ms > until)
		c->timer_ms = until;
}

static void
cli_arm_bound(struct dhcpcli *c)
{
	c->timer_ms = c->lease.t1_ms;
}

/* ---- Messages ---------------------------------------------------------- */

/* Build and hand out one message of type in the current state. */
static void
cli_send(struct dhcpcli *c, uint64_t now_ms, uint8_t type,
    struct dhcpcli_out *out)
{
	struct dhcp_msg m;
	uint64_t secs = now_ms > c->began_ms ? (now_ms - c->began_ms) / CLI_MS :
	    0;
	int unicast = 0, have_ip = 0;
	size_t hl;

	memset(&m, 0, sizeof m);
	m.op = DHCP_BOOTREQUEST;
	m.type = type;
	m.xid = c->xid;
	m.secs = (uint16_t)(secs > CLI_SECS_MAX ? CLI_SECS_MAX : secs);
	memcpy(m.chaddr, c->mac, ETHER_ADDR_LEN);
	memcpy(m.eth_src, c->mac, ETHER_ADDR_LEN);
	m.sport = PROTO_DHCP_CLIENT_PORT;
	m.dport = PROTO_DHCP_SERVER_PORT;
	m.client_id[0] = CLI_CID_HTYPE;
	memcpy(m.client_id + 1, c->mac, ETHER_ADDR_LEN);
	m.client_id_len = 1 + ETHER_ADDR_LEN;

	switch (type) {
	case DHCP_DISCOVER:
		if (c->hint != 0) {
			m.has |= DHCP_HAS_REQ_IP;
			m.req_ip = c->hint;
		}
		break;
	case DHCP_REQUEST:
		if (c->state == DHCPCLI_REQUESTING) {
			m.has |= DHCP_HAS_REQ_IP | DHCP_HAS_SERVER_ID;
			m.req_ip = c->offered;
			m.server_id = c->offer_server;
		} else if (c->state == DHCPCLI_INIT_REBOOT) {
			m.has |= DHCP_HAS_REQ_IP;
			m.req_ip = c->offered;
		} else {
			have_ip = 1;
			unicast = c->state == DHCPCLI_RENEWING;
		}
		break;
	case DHCP_DECLINE:
		m.has |= DHCP_HAS_REQ_IP | DHCP_HAS_SERVER_ID;
		m.req_ip = c->lease.ip;
		m.server_id = c->lease.server_id;
		break;
	case DHCP_RELEASE:
		m.has |= DHCP_HAS_SERVER_ID;
		m.server_id = c->lease.server_id;
		have_ip = unicast = 1;
		break;
	default:
		return;
	}
	if (type == DHCP_DISCOVER || type == DHCP_REQUEST) {
		memcpy(m.prl, cli_prl, sizeof cli_prl);
		m.prl_len = sizeof cli_prl;
		hl = strnlen(c->conf.hostname, PROTO_DHCP_OPT_MAX);
		memcpy(m.hostname, c->conf.hostname, hl);
		m.hostname_len = (uint16_t)hl;
	}
	if (have_ip) {
		m.ciaddr = m.ip_src = c->lease.ip;
	} else if (c->conf.broadcast && type != DHCP_DECLINE) {
		m.flags = DHCP_FLAG_BROADCAST;
	}
	if (unicast) {
		m.ip_dst = c->lease.server_id;
		memcpy(m.eth_dst, c->server_mac, ETHER_ADDR_LEN);
	} else {
		m.ip_dst = CLI_BCAST;
		memcpy(m.eth_dst, cli_bcast_mac, ETHER_ADDR_LEN);
	}
	if ((out->len = dhcp_build(&m, out->buf, out->cap)) == 0)
		return;
	c->stats.sent++;
	if (c->tries > 0)
		c->stats.retransmits++;
	if (c->tries == 0 && type == DHCP_REQUEST)
		c->req_ms = now_ms;
	c->tries++;
}

/* A new exchange from scratch. */
static void
cli_discover(struct dhcpcli *c, uint64_t now_ms, struct dhcpcli_out *out)
{
	cli_set_state(c, DHCPCLI_SELECTING);
	c->xid = out->rnd;
	c->began_ms = now_ms;
	cli_send(c, now_ms, DHCP_DISCOVER, out);
	cli_arm_backoff(c, now_ms, out->rnd);
}

/* The address is ours no more. */
static void
cli_lose(struct dhcpcli *c, struct dhcpcli_out *out)
{
	if (!c->bound)
		return;
	c->bound = 0;
	out->ev |= DHCPCLI_EV_LOST;
	out->lost_ip = c->lease.ip;
}

static int
cli_host_addr(uint32_t ip)
{
	return ip != 0 && ip < CLI_MULTICAST && (ip >> 24) != 0;
}

/* The ACK m: the lease, its times counted from the REQUEST. */
static void
cli_bind(struct dhcpcli *c, const struct dhcp_msg *m,
    struct dhcpcli_out *out)
{
	struct dhcpcli_lease *l = &c->lease;
	uint32_t was = c->bound ? l->ip : 0, lease = m->lease_s, t1, t2;
	uint64_t from = c->req_ms;

	memset(l, 0, sizeof *l);
	l->ip = m->yiaddr;
	l->mask = m->has & DHCP_HAS_MASK ? m->mask : 0;
	l->router = m->has & DHCP_HAS_ROUTER ? m->router : 0;
	l->server_id = m->has & DHCP_HAS_SERVER_ID ? m->server_id : m->ip_src;
	l->ndns = m->ndns;
	memcpy(l->dns, m->dns, sizeof l->dns);
	l->domain_len = m->domain_len;
	memcpy(l->domain, m->domain, m->domain_len);
	if (lease != DHCP_LEASE_INFINITE && lease < DHCPCLI_MIN_LEASE_S)
		lease = DHCPCLI_MIN_LEASE_S;
	l->lease_s = lease;
	if (lease == DHCP_LEASE_INFINITE) {
		l->t1_ms = l->t2_ms = l->expiry_ms = UINT64_MAX;
	} else {
		t1 = m->has & DHCP_HAS_T1 ? m->t1_s : lease / CLI_T1_DEN;
		t2 = m->has & DHCP_HAS_T2 ? m->t2_s :
		    (uint32_t)((uint64_t)lease * CLI_T2_NUM / CLI_T2_DEN);
		if (t1 > t2 || t2 > lease) {
			t1 = lease / CLI_T1_DEN;
			t2 = (uint32_t)((uint64_t)lease * CLI_T2_NUM /
			    CLI_T2_DEN);
		}
		l->t1_ms = from + (uint64_t)t1 * CLI_MS;
		l->t2_ms = from + (uint64_t)t2 * CLI_MS;
		l->expiry_ms = from + (uint64_t)lease * CLI_MS;
	}
	memcpy(c->server_mac, m->eth_src, ETHER_ADDR_LEN);
	c->stats.acks++;
	if (was != 0 && was == l->ip) {
		out->ev |= DHCPCLI_EV_RENEWED;
	} else {
		if (was != 0) {
			out->ev |= DHCPCLI_EV_LOST;
			out->lost_ip = was;
		}
		out->ev |= DHCPCLI_EV_BOUND;
	}
	out->lease = *l;
	c->bound = 1;
	c->hint = 0;
	cli_set_state(c, DHCPCLI_BOUND);
	cli_arm_bound(c);
}

/* A NAK: whatever we had or asked for is not ours; start over. */
static void
cli_nak(struct dhcpcli *c, uint64_t now_ms, struct dhcpcli_out *out)
{
	c->stats.naks++;
	cli_lose(c, out);
	c->hint = 0;
	cli_discover(c, now_ms, out);
}

static void
cli_out_reset(struct dhcpcli_out *out)
{
	out->len = 0;
	out->ev = 0;
	out->lost_ip = 0;
	memset(&out->lease, 0, sizeof out->lease);
}

/* ---- The API ------------------------------------------------------------ */

void
dhcpcli_init(struct dhcpcli *c, const struct dhcpcli_conf *conf)
{
	memset(c, 0, sizeof *c);
	if (conf != NULL)
		c->conf = *conf;
	c->conf.hostname[PROTO_DHCP_OPT_MAX] = '\0';
	c->state = DHCPCLI_STOPPED;
	c->timer_ms = UINT64_MAX;
}

void
dhcpcli_start(struct dhcpcli *c, uint64_t now_ms,
    const uint8_t mac[ETHER_ADDR_LEN], uint32_t prev_ip,
    struct dhcpcli_out *out)
{
	cli_out_reset(out);
	memcpy(c->mac, mac, ETHER_ADDR_LEN);
	c->bound = 0;
	c->hint = 0;
	memset(&c->lease, 0, sizeof c->lease);
	if (!cli_host_addr(prev_ip)) {
		cli_discover(c, now_ms, out);
		return;
	}
	cli_set_state(c, DHCPCLI_INIT_REBOOT);
	c->xid = out->rnd;
	c->began_ms = now_ms;
	c->offered = prev_ip;
	cli_send(c, now_ms, DHCP_REQUEST, out);
	cli_arm_backoff(c, now_ms, out->rnd);
}

void
dhcpcli_input(struct dhcpcli *c, uint64_t now_ms, const uint8_t *frame,
    size_t len, struct dhcpcli_out *out)
{
	struct dhcp_msg m;
	enum dhcp_err e;
	uint32_t want_server = 0;

	cli_out_reset(out);
	if ((e = dhcp_parse(frame, len, &m)) != DHCP_OK) {
		if (dhcp_err_malformed(e))
			c->stats.malformed[e]++;
		return;
	}
	if (c->state == DHCPCLI_STOPPED || c->state == DHCPCLI_INIT ||
	    c->state == DHCPCLI_BOUND || m.op != DHCP_BOOTREPLY ||
	    m.dport != PROTO_DHCP_CLIENT_PORT || m.xid != c->xid ||
	    memcmp(m.chaddr, c->mac, ETHER_ADDR_LEN) != 0 ||
	    (memcmp(m.eth_dst, c->mac, ETHER_ADDR_LEN) != 0 &&
	    memcmp(m.eth_dst, cli_bcast_mac, ETHER_ADDR_LEN) != 0))
		goto ignore;

	if (c->state == DHCPCLI_SELECTING) {
		/* The first good offer is taken. */
		if (m.type != DHCP_OFFER || !cli_host_addr(m.yiaddr) ||
		    !(m.has & DHCP_HAS_SERVER_ID))
			goto ignore;
		c->stats.offers++;
		c->offered = m.yiaddr;
		c->offer_server = m.server_id;
		cli_set_state(c, DHCPCLI_REQUESTING);
		cli_send(c, now_ms, DHCP_REQUEST, out);
		cli_arm_backoff(c, now_ms, out->rnd);
		return;
	}
	/* Answers to a REQUEST: from the server it went to, if it went to
	 * one; an ACK must give an address and a lease time. */
	if (c->state == DHCPCLI_REQUESTING)
		want_server = c->offer_server;
	else if (c->state == DHCPCLI_RENEWING)
		want_server = c->lease.server_id;
	if (want_server != 0 && (m.has & DHCP_HAS_SERVER_ID) &&
	    m.server_id != want_server)
		goto ignore;
	if (m.type == DHCP_NAK) {
		cli_nak(c, now_ms, out);
		return;
	}
	if (m.type != DHCP_ACK || !cli_host_addr(m.yiaddr) ||
	    !(m.has & DHCP_HAS_LEASE))
		goto ignore;
	cli_bind(c, &m, out);
	return;
ignore:
	c->stats.ignored++;
}

void
dhcpcli_tick(struct dhcpcli *c, uint64_t now_ms, struct dhcpcli_out *out)
{
	cli_out_reset(out);
	if (c->state == DHCPCLI_STOPPED || now_ms < c->timer_ms)
		return;
	switch (c->state) {
	case DHCPCLI_INIT:
		cli_discover(c, now_ms, out);
		break;
	case DHCPCLI_SELECTING:
		cli_send(c, now_ms, DHCP_DISCOVER, out);
		cli_arm_backoff(c, now_ms, out->rnd);
		break;
	case DHCPCLI_REQUESTING:
	case DHCPCLI_INIT_REBOOT:
		if (c->tries >= PROTO_DHCP_REQUEST_TRIES) {
			/* No answer: the remembered address is worth asking
			 * for in the DISCOVER, the offered one is not. */
			c->hint = c->state == DHCPCLI_INIT_REBOOT ?
			    c->offered : 0;
			cli_discover(c, now_ms, out);
			break;
		}
		cli_send(c, now_ms, DHCP_REQUEST, out);
		cli_arm_backoff(c, now_ms, out->rnd);
		break;
	case DHCPCLI_BOUND:
	case DHCPCLI_RENEWING:
	case DHCPCLI_REBINDING:
		if (now_ms >= c->lease.expiry_ms) {
			c->stats.expired++;
			cli_lose(c, out);
			c->hint = c->lease.ip;
			cli_discover(c, now_ms, out);
			break;
		}
		if (now_ms >= c->lease.t2_ms && c->state != DHCPCLI_REBINDING) {
			cli_set_state(c, DHCPCLI_REBINDING);
			c->xid = out->rnd;
			c->began_ms = now_ms;
		} else if (c->state == DHCPCLI_BOUND) {
			cli_set_state(c, DHCPCLI_RENEWING);
			c->xid = out->rnd;
			c->began_ms = now_ms;
		}
		cli_send(c, now_ms, DHCP_REQUEST, out);
		cli_arm_halfway(c, now_ms, c->state == DHCPCLI_RENEWING ?
		    c->lease.t2_ms : c->lease.expiry_ms);
		break;
	default:
		break;
	}
}

uint64_t
dhcpcli_next_timeout(const struct dhcpcli *c)
{
	return c->state == DHCPCLI_STOPPED ? UINT64_MAX : c->timer_ms;
}

void
dhcpcli_decline(struct dhcpcli *c, uint64_t now_ms, struct dhcpcli_out *out)
{
	cli_out_reset(out);
	if (c->state != DHCPCLI_BOUND || !c->bound)
		return;
	c->stats.declines++;
	c->xid = out->rnd;
	c->began_ms = now_ms;
	cli_send(c, now_ms, DHCP_DECLINE, out);
	cli_lose(c, out);
	c->hint = 0;
	cli_set_state(c, DHCPCLI_INIT);
	c->timer_ms = now_ms + PROTO_DHCP_DECLINE_WAIT_MS;
}

void
dhcpcli_stop(struct dhcpcli *c, uint64_t now_ms, struct dhcpcli_out *out)
{
	cli_out_reset(out);
	if (c->bound && (c->state == DHCPCLI_BOUND ||
	    c->state == DHCPCLI_RENEWING || c->state == DHCPCLI_REBINDING)) {
		c->xid = out->rnd;
		c->began_ms = now_ms;
		cli_send(c, now_ms, DHCP_RELEASE, out);
		cli_lose(c, out);
	}
	cli_set_state(c, DHCPCLI_STOPPED);
	c->timer_ms = UINT64_MAX;
}
