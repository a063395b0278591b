/*
 * fuzz_dhcpsrv.c: the DHCP server engine under hostile input: sequences of
 * client messages (their BOOTP bytes wrapped with right checksums, or raw
 * frames), probe reports, clock jumps and expiry, from users with and
 * without caps; or a hostile lease file. After each step the lease table
 * must be coherent (each index finds what it should, counts exact), every
 * answer must parse and agree with the table, no capped user may hold
 * more than the cap, and the table must save, load and save again to the
 * same text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "dhcpsrv.h"
#include "vnet.h"

/* First byte: the server's configuration. */
#define FZ_CONF_AUTH    0x01u
#define FZ_CONF_PROBE   0x02u
#define FZ_CONF_FILE    0x04u    /* the rest is a lease file */
#define FZ_CONF_BUSY    0xf8u    /* in_use says first + bit is taken */
/* Then records: control u8, length u16 (little endian), bytes. */
#define FZ_REC_HDR      3u
#define FZ_CTL_USER     0x03u    /* none, alice, bob, carol */
#define FZ_CTL_OP       0x1cu
#define FZ_OP_BCAST     0x00u    /* BOOTP bytes, broadcast */
#define FZ_OP_UNICAST   0x04u    /* BOOTP bytes, to the server */
#define FZ_OP_RELAYED   0x08u    /* BOOTP bytes, from a relay */
#define FZ_OP_RAW       0x0cu    /* a whole frame */
#define FZ_OP_PROBE     0x10u    /* a probe report: ip byte, in-use bit */
#define FZ_OP_EXPIRE    0x14u
#define FZ_CTL_CLOCK    0xe0u    /* how far the clock moves first */

#define FZ_SRV          0x0a000001u
#define FZ_FIRST        0x0a000064u
#define FZ_LAST         0x0a00006bu  /* eight addresses */
#define FZ_MAC_IP       0x0a000032u
#define FZ_USER_IP      0x0a00003cu
#define FZ_WALL         1700000000
#define FZ_BUF          PROTO_DHCP_MAX_FRAME
#define FZ_TEXT         (256u * 1024u)
#define FZ_BOOTP_CHADDR 28u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t fz_srv_mac[6] = { 0x02, 0, 0, 0, 0, 0xfe };
static const uint8_t fz_relay_mac[6] = { 0x02, 0, 0, 0, 0, 0xee };
static const uint8_t fz_static_mac[6] = { 0x02, 0, 0, 0, 0x09, 0x01 };
static const char *const fz_users[4] = { NULL, "alice", "bob", "carol" };
static const unsigned fz_caps[4] = { 0, 1, 2, 0 };
static int fz_from_file;   /* this input's leases came from a lease file */
static const uint64_t fz_steps[8] = { 0, 1000, 30000, 61000, 600000,
    3600000, 7200000, 86400000 };

static uint8_t fz_busy;

static bool
fz_in_use(void *arg, uint32_t ip)
{
	(void)arg;
	return ip >= FZ_FIRST && ip - FZ_FIRST < 5 &&
	    (fz_busy >> (3 + ip - FZ_FIRST) & 1);
}

static void
fz_conf(struct dhcpsrv_conf *c, struct dhcpsrv_static st[2], uint8_t ctl)
{
	memset(c, 0, sizeof *c);
	memcpy(c->server_mac, fz_srv_mac, 6);
	c->server_ip = FZ_SRV;
	c->first = FZ_FIRST;
	c->last = FZ_LAST;
	c->mask = 0xffffff00u;
	c->router = FZ_SRV;
	c->dns[0] = 0x08080808u;
	c->ndns = 1;
	snprintf(c->domain, sizeof c->domain, "fuzz.example");
	c->lease_s = 120;
	c->offer_s = 30;
	c->decline_s = 300;
	c->authoritative = ctl & FZ_CONF_AUTH;
	c->probe = ctl & FZ_CONF_PROBE;
	c->in_use = fz_in_use;
	memset(st, 0, 2 * sizeof *st);
	memcpy(st[0].mac, fz_static_mac, 6);
	st[0].ip = FZ_MAC_IP;
	snprintf(st[1].user, sizeof st[1].user, "alice");
	st[1].ip = FZ_USER_IP;
	c->statics = st;
	c->nstatics = 2;
}

static int
fz_held(const struct dhcpsrv_lease *l, uint64_t now)
{
	return l->state != DHCPSRV_FREE && l->state != DHCPSRV_DECLINED &&
	    now < l->expiry_ms;
}

/* The table's indices agree with its leases. */
static void
fz_check(const struct dhcpsrv *s, uint64_t now)
{
	uint32_t macs = 0, fresh = 0, i, v;
	unsigned held[4] = { 0 };

	if (s->nleases > s->capleases || s->nleases > s->pool + 2)
		abort();
	for (i = 0; i < s->nleases; i++) {
		const struct dhcpsrv_lease *l = &s->leases[i];
		if (l->state > DHCPSRV_DECLINED ||
		    memchr(l->user, '\0', sizeof l->user) == NULL)
			abort();
		if (l->ip >= FZ_FIRST && l->ip <= FZ_LAST) {
			if (s->by_ip[l->ip - FZ_FIRST] != i + 1)
				abort();
		} else if (i >= s->conf.nstatics) {
			abort();
		}
		if (l->flags & DHCPSRV_L_MAC) {
			macs++;
			if (dhcpsrv_find_mac(s, l->mac) != l)
				abort();
		} else if (l->state == DHCPSRV_BOUND && now < l->expiry_ms) {
			abort();   /* bound to nobody */
		}
		if (l->state == DHCPSRV_DECLINED && now < l->expiry_ms &&
		    (l->flags & DHCPSRV_L_MAC))
			abort();   /* a rest belongs to nobody */
		if (!(l->flags & DHCPSRV_L_STATIC) && fz_held(l, now))
			for (unsigned u = 1; u < 4; u++)
				if (strcmp(l->user, fz_users[u]) == 0)
					held[u]++;
	}
	if (macs != s->nmacs || 2 * s->nmacs > s->nmacslots)
		abort();
	if (!(s->leases[0].flags & DHCPSRV_L_MAC) ||
	    memcmp(s->leases[0].mac, fz_static_mac, 6) != 0)
		abort();
	for (i = 0; i < s->pool; i++) {
		v = s->by_ip[i];
		if (v == 0)
			fresh++;
		else if (v != DHCPSRV_RESERVED && (v - 1 >= s->nleases ||
		    s->leases[v - 1].ip != FZ_FIRST + i))
			abort();
	}
	if (fresh != s->fresh)
		abort();
	/* A cap binds what requests take; a lease file read as it stands
	 * (written under a larger max_ip, or by hand) may hold more, and the
	 * user's next request is refused until it holds less. */
	for (unsigned u = 1; u < 4; u++)
		if (!fz_from_file && fz_caps[u] != 0 && held[u] > fz_caps[u])
			abort();
}

/* An answer parses, comes from us, and says what the table says. */
static void
fz_answer(const struct dhcpsrv *s, const struct dhcpsrv_out *out,
    uint64_t now)
{
	const struct dhcpsrv_lease *l;
	struct dhcp_msg m;

	if (out->len == 0)
		return;
	if (dhcp_parse(out->buf, out->len, &m) != DHCP_OK ||
	    m.op != DHCP_BOOTREPLY || m.ip_src != FZ_SRV ||
	    memcmp(m.eth_src, fz_srv_mac, 6) != 0 ||
	    m.server_id != FZ_SRV ||
	    (m.type != DHCP_OFFER && m.type != DHCP_ACK && m.type != DHCP_NAK))
		abort();
	if (m.yiaddr == 0)
		return;   /* a NAK, or an INFORM's ACK */
	if (m.type == DHCP_NAK || (l = dhcpsrv_find_ip(s, m.yiaddr)) == NULL ||
	    !(l->flags & DHCPSRV_L_MAC) || memcmp(l->mac, m.chaddr, 6) != 0 ||
	    !fz_held(l, now) || (m.type == DHCP_ACK &&
	    l->state != DHCPSRV_BOUND) || l->state == DHCPSRV_PROBING)
		abort();
	if ((out->act & DHCPSRV_ACT_BOUND) && (out->ip != m.yiaddr ||
	    out->expiry_ms != l->expiry_ms))
		abort();
}

/* BOOTP bytes as a client (or relay) would send them. */
static size_t
fz_wrap(const uint8_t *p, size_t n, unsigned op, uint8_t *f)
{
	uint8_t *ip = f + 14, *udp = ip + 20;
	uint32_t src = 0, dst = 0xffffffffu, ps;
	uint16_t c;

	memset(f, 0xff, 6);
	if (n >= FZ_BOOTP_CHADDR + 6)
		memcpy(f + 6, p + FZ_BOOTP_CHADDR, 6);
	else
		memset(f + 6, 0x02, 6);
	if (op == FZ_OP_UNICAST) {
		memcpy(f, fz_srv_mac, 6);
		dst = FZ_SRV;
	} else if (op == FZ_OP_RELAYED) {
		memcpy(f, fz_srv_mac, 6);
		memcpy(f + 6, fz_relay_mac, 6);
		src = 0x0a000002u;
		dst = FZ_SRV;
	}
	be16_put(f + 12, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	be16_put(ip + 2, (uint16_t)(28 + n));
	ip[8] = 64;
	ip[9] = 17;
	be32_put(ip + 12, src);
	be32_put(ip + 16, dst);
	be16_put(ip + 10, vnet_csum(ip, 20, 0));
	be16_put(udp, op == FZ_OP_RELAYED ? 67 : 68);
	be16_put(udp + 2, 67);
	be16_put(udp + 4, (uint16_t)(8 + n));
	be16_put(udp + 6, 0);
	memcpy(udp + 8, p, n);
	ps = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) +
	    17 + (uint32_t)(8 + n);
	c = vnet_csum(udp, 8 + n, ps);
	be16_put(udp + 6, c == 0 ? 0xffff : c);
	return 42 + n;
}

/* Saved, loaded into a fresh server, saved again: the same text. */
static void
fz_roundtrip(const struct dhcpsrv *s, uint8_t ctl, uint64_t now)
{
	static char *a, *b;
	struct dhcpsrv t;
	struct dhcpsrv_conf c;
	struct dhcpsrv_static st[2];
	struct dhcpsrv_load_report r;
	char err[256];
	size_t n, m;

	if (a == NULL && ((a = malloc(FZ_TEXT)) == NULL ||
	    (b = malloc(FZ_TEXT)) == NULL))
		abort();
	n = dhcpsrv_save(s, now, FZ_WALL, a, FZ_TEXT);
	if (n >= FZ_TEXT || strlen(a) != n)
		abort();
	fz_conf(&c, st, ctl);
	if (dhcpsrv_init(&t, &c, err, sizeof err) != 0)
		abort();
	if (dhcpsrv_load(&t, now, FZ_WALL, a, n, &r, err, sizeof err) != 0 ||
	    r.bad != 0 || r.expired != 0)
		abort();
	fz_check(&t, now);
	m = dhcpsrv_save(&t, now, FZ_WALL, b, FZ_TEXT);
	if (m != n || memcmp(a, b, n) != 0)
		abort();
	dhcpsrv_free(&t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[FZ_BUF + 64], reply[FZ_BUF];
	struct dhcpsrv s;
	struct dhcpsrv_conf c;
	struct dhcpsrv_static st[2];
	struct dhcpsrv_load_report r;
	struct dhcpsrv_out out = { .buf = reply, .cap = sizeof reply };
	uint64_t now = 1000000;
	char err[256];
	uint8_t ctl, conf;
	size_t len;
	unsigned u;

	if (size < 1)
		return 0;
	conf = data[0];
	fz_busy = conf & FZ_CONF_BUSY;
	fz_from_file = (conf & FZ_CONF_FILE) != 0;
	fz_conf(&c, st, conf);
	if (dhcpsrv_init(&s, &c, err, sizeof err) != 0)
		abort();
	data++;
	size--;

	if (conf & FZ_CONF_FILE) {
		err[0] = '\0';
		if (dhcpsrv_load(&s, now, FZ_WALL, (const char *)data, size, &r,
		    err, sizeof err) != 0) {
			if (err[0] == '\0' || r.loaded != 0)
				abort();
		} else if (r.loaded > s.pool || (r.bad > 0 &&
		    r.first_bad_line == 0)) {
			abort();
		}
		fz_check(&s, now);
		fz_roundtrip(&s, conf, now);
		dhcpsrv_free(&s);
		return 0;
	}

	while (size >= FZ_REC_HDR) {
		ctl = data[0];
		len = (size_t)data[1] | (size_t)data[2] << 8;
		data += FZ_REC_HDR;
		size -= FZ_REC_HDR;
		if (len > size)
			len = size;
		now += fz_steps[(ctl & FZ_CTL_CLOCK) >> 5];
		u = ctl & FZ_CTL_USER;
		switch (ctl & FZ_CTL_OP) {
		case FZ_OP_BCAST:
		case FZ_OP_UNICAST:
		case FZ_OP_RELAYED:
			if (len > FZ_BUF - 42)
				break;
			dhcpsrv_input(&s, now, frame, fz_wrap(data, len,
			    ctl & FZ_CTL_OP, frame), fz_users[u], fz_caps[u],
			    &out);
			fz_answer(&s, &out, now);
			break;
		case FZ_OP_RAW:
			dhcpsrv_input(&s, now, data, len, fz_users[u],
			    fz_caps[u], &out);
			fz_answer(&s, &out, now);
			break;
		case FZ_OP_PROBE:
			if (len < 2)
				break;
			dhcpsrv_probe_result(&s, now, FZ_FIRST + data[0] % 16,
			    data[1] & 1, &out);
			fz_answer(&s, &out, now);
			break;
		default:
			dhcpsrv_expire(&s, now);
			break;
		}
		if ((out.act & DHCPSRV_ACT_PROBE) && (out.probe_ip < FZ_FIRST ||
		    out.probe_ip > FZ_LAST))
			abort();
		fz_check(&s, now);
		data += len;
		size -= len;
	}
	fz_roundtrip(&s, conf, now);
	dhcpsrv_free(&s);
	return 0;
}
