/*
 * dhcp.c: DHCPv4 messages in and out of whole Ethernet frames (dhcp.h).
 * The parser checks every length against the bytes it has before reading,
 * collects the options of each field as spans, then assembles the ones it
 * knows, concatenating repeats, and checks each whole.
 */
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "dhcp.h"
#include "vnet.h"

#define DHCP_ETH_HDR       PROTO_ETH_HDR
#define DHCP_ETH_TYPE      12u
#define DHCP_ETHERTYPE_IP4 0x0800u
#define DHCP_ETHERTYPE_VLAN 0x8100u
#define DHCP_VLAN_LEN      4u

#define DHCP_IP4_HDR       20u
#define DHCP_IP4_VERSION   4u
#define DHCP_IP4_TOT       2u
#define DHCP_IP4_FRAG      6u
#define DHCP_IP4_MF        0x2000u
#define DHCP_IP4_DF        0x4000u
#define DHCP_IP4_OFFSET    0x1fffu
#define DHCP_IP4_TTL       8u
#define DHCP_IP4_PROTO     9u
#define DHCP_IP4_CSUM      10u
#define DHCP_IP4_SRC       12u
#define DHCP_IP4_DST       16u
#define DHCP_PROTO_UDP     17u

#define DHCP_UDP_HDR       8u
#define DHCP_UDP_LEN       4u
#define DHCP_UDP_CSUM      6u

/* The BOOTP header (RFC 2131 figure 1). */
#define DHCP_B_OP          0u
#define DHCP_B_HTYPE       1u
#define DHCP_B_HLEN        2u
#define DHCP_B_HOPS        3u
#define DHCP_B_XID         4u
#define DHCP_B_SECS        8u
#define DHCP_B_FLAGS       10u
#define DHCP_B_CIADDR      12u
#define DHCP_B_YIADDR      16u
#define DHCP_B_SIADDR      20u
#define DHCP_B_GIADDR      24u
#define DHCP_B_CHADDR      28u
#define DHCP_B_SNAME       44u
#define DHCP_B_FILE        108u
#define DHCP_B_COOKIE      PROTO_DHCP_FIXED_LEN
#define DHCP_HTYPE_ETH     1u

#define DHCP_OPT_HDR       2u    /* code, length */
#define DHCP_ADDR_LEN      4u
#define DHCP_OPT_BUILD_MAX (PROTO_DHCP_MAX_FRAME - DHCP_ETH_HDR - \
                            DHCP_VLAN_LEN - DHCP_IP4_HDR - DHCP_UDP_HDR - \
                            PROTO_DHCP_OPTIONS_OFF)

_Static_assert(DHCP_B_FILE + 128u == DHCP_B_COOKIE, "BOOTP layout");
_Static_assert(PROTO_DHCP_OPTIONS_OFF == DHCP_B_COOKIE + 4u, "cookie");

/* Where one option's value lies in the BOOTP message. */
struct dhcp_span {
	uint8_t code;
	uint8_t len;
	uint16_t off;
};

struct dhcp_spans {
	struct dhcp_span s[PROTO_DHCP_MAX_OPTIONS];
	size_t n;
};

static const char *const dhcp_err_names[DHCP_E_NREASONS] = {
	[DHCP_OK] = "ok",
	[DHCP_E_NOT_IP4] = "not-ipv4",
	[DHCP_E_NOT_UDP] = "not-udp",
	[DHCP_E_NOT_DHCP] = "not-dhcp-port",
	[DHCP_E_TRUNCATED] = "truncated",
	[DHCP_E_TOO_BIG] = "too-big",
	[DHCP_E_IP_HEADER] = "bad-ip-header",
	[DHCP_E_FRAGMENT] = "fragment",
	[DHCP_E_IP_CSUM] = "bad-ip-checksum",
	[DHCP_E_UDP_LEN] = "bad-udp-length",
	[DHCP_E_UDP_CSUM] = "bad-udp-checksum",
	[DHCP_E_BOOTP] = "bad-bootp-header",
	[DHCP_E_COOKIE] = "no-magic-cookie",
	[DHCP_E_OPT_OVERRUN] = "option-overrun",
	[DHCP_E_OPT_COUNT] = "too-many-options",
	[DHCP_E_OPT_LEN] = "bad-option-length",
	[DHCP_E_OVERLOAD] = "bad-overload",
	[DHCP_E_MSG_TYPE] = "bad-message-type",
};

static const char *const dhcp_type_names[DHCP_TYPE_MAX + 1] = {
	[DHCP_NONE] = "NONE",
	[DHCP_DISCOVER] = "DISCOVER",
	[DHCP_OFFER] = "OFFER",
	[DHCP_REQUEST] = "REQUEST",
	[DHCP_DECLINE] = "DECLINE",
	[DHCP_ACK] = "ACK",
	[DHCP_NAK] = "NAK",
	[DHCP_RELEASE] = "RELEASE",
	[DHCP_INFORM] = "INFORM",
};

const char *
dhcp_err_name(enum dhcp_err e)
{
	if ((unsigned)e >= DHCP_E_NREASONS)
		return "?";
	return dhcp_err_names[e];
}

const char *
dhcp_type_name(unsigned type)
{
	return type <= DHCP_TYPE_MAX ? dhcp_type_names[type] : "?";
}

/* The options in b[off..end) as spans, up to the end option. */
static enum dhcp_err
dhcp_walk(const uint8_t *b, size_t off, size_t end, struct dhcp_spans *sp)
{
	size_t olen;

	while (off < end) {
		if (b[off] == DHCP_OPT_PAD) {
			off++;
			continue;
		}
		if (b[off] == DHCP_OPT_END)
			return DHCP_OK;
		if (end - off < DHCP_OPT_HDR ||
		    end - off - DHCP_OPT_HDR < (olen = b[off + 1]))
			return DHCP_E_OPT_OVERRUN;
		if (sp->n == PROTO_DHCP_MAX_OPTIONS)
			return DHCP_E_OPT_COUNT;
		sp->s[sp->n].code = b[off];
		sp->s[sp->n].len = (uint8_t)olen;
		sp->s[sp->n].off = (uint16_t)(off + DHCP_OPT_HDR);
		sp->n++;
		off += DHCP_OPT_HDR + olen;
	}
	return DHCP_OK;   /* the field ended without an end option: fine */
}

/*
 * Every part of option code, concatenated into out (at most cap bytes).
 * Returns its length, 0 if absent, or -1 if longer than cap.
 */
static int
dhcp_opt(const uint8_t *b, const struct dhcp_spans *sp, uint8_t code,
    uint8_t *out, size_t cap)
{
	size_t i, n = 0;

	for (i = 0; i < sp->n; i++) {
		if (sp->s[i].code != code)
			continue;
		if (cap - n < sp->s[i].len)
			return -1;
		memcpy(out + n, b + sp->s[i].off, sp->s[i].len);
		n += sp->s[i].len;
	}
	return (int)n;
}

static int
dhcp_has_code(const struct dhcp_spans *sp, size_t from, uint8_t code)
{
	for (size_t i = from; i < sp->n; i++)
		if (sp->s[i].code == code)
			return 1;
	return 0;
}

/* A single-valued option of exactly want bytes: 0 absent, 1 found into
 * val (big endian, want <= 4), -1 wrong length. */
static int
dhcp_opt_fixed(const uint8_t *b, const struct dhcp_spans *sp, uint8_t code,
    size_t want, uint32_t *val)
{
	uint8_t v[PROTO_DHCP_OPT_MAX];
	int n = dhcp_opt(b, sp, code, v, sizeof v);

	if (n == 0)
		return 0;
	if (n != (int)want)
		return -1;
	*val = want == 1 ? v[0] : be32_get(v);
	return 1;
}

/* Options 3 and 6: addresses, at least one, four bytes each; keeps the
 * first max of them. Returns how many it kept, 0 if absent, -1 if bad. */
static int
dhcp_opt_addrs(const uint8_t *b, const struct dhcp_spans *sp, uint8_t code,
    uint32_t *out, size_t max)
{
	uint8_t v[PROTO_DHCP_OPT_MAX];
	int n = dhcp_opt(b, sp, code, v, sizeof v), i;

	if (n < 0 || n % DHCP_ADDR_LEN != 0)
		return -1;
	for (i = 0; i < n / (int)DHCP_ADDR_LEN && i < (int)max; i++)
		out[i] = be32_get(v + i * DHCP_ADDR_LEN);
	return i;
}

/* A variable-length option into buf: 0 or -1 (too long in all). */
static int
dhcp_opt_bytes(const uint8_t *b, const struct dhcp_spans *sp, uint8_t code,
    uint8_t *buf, uint16_t *len)
{
	int n = dhcp_opt(b, sp, code, buf, PROTO_DHCP_OPT_MAX);

	if (n < 0)
		return -1;
	*len = (uint16_t)n;
	return 0;
}

struct dhcp_fixed {
	uint8_t code;
	uint8_t size;
	uint32_t has;
	size_t off;              /* of the field in struct dhcp_msg */
};

static const struct dhcp_fixed dhcp_fixed_opts[] = {
	{ DHCP_OPT_REQ_IP, 4, DHCP_HAS_REQ_IP,
	    offsetof(struct dhcp_msg, req_ip) },
	{ DHCP_OPT_SERVER_ID, 4, DHCP_HAS_SERVER_ID,
	    offsetof(struct dhcp_msg, server_id) },
	{ DHCP_OPT_LEASE, 4, DHCP_HAS_LEASE,
	    offsetof(struct dhcp_msg, lease_s) },
	{ DHCP_OPT_MASK, 4, DHCP_HAS_MASK, offsetof(struct dhcp_msg, mask) },
	{ DHCP_OPT_T1, 4, DHCP_HAS_T1, offsetof(struct dhcp_msg, t1_s) },
	{ DHCP_OPT_T2, 4, DHCP_HAS_T2, offsetof(struct dhcp_msg, t2_s) },
};

/* The options of the BOOTP message b (blen bytes) into m. */
static enum dhcp_err
dhcp_options(const uint8_t *b, size_t blen, struct dhcp_msg *m)
{
	struct dhcp_spans sp;
	enum dhcp_err e;
	uint32_t v;
	size_t first, i;
	int r;

	sp.n = 0;
	if ((e = dhcp_walk(b, PROTO_DHCP_OPTIONS_OFF, blen, &sp)) != DHCP_OK)
		return e;
	/* Overload says which fixed fields hold more, read file then sname
	 * (RFC 2131 4.1); it may only be said in the options field. */
	r = dhcp_opt_fixed(b, &sp, DHCP_OPT_OVERLOAD, 1, &v);
	if (r < 0 || (r > 0 && (v < 1 || v > 3)))
		return DHCP_E_OVERLOAD;
	if (r > 0) {
		m->has |= DHCP_HAS_OVERLOAD;
		m->overload = (uint8_t)v;
		first = sp.n;
		if ((v & DHCP_OVERLOAD_FILE) && (e = dhcp_walk(b, DHCP_B_FILE,
		    DHCP_B_COOKIE, &sp)) != DHCP_OK)
			return e;
		if ((v & DHCP_OVERLOAD_SNAME) && (e = dhcp_walk(b,
		    DHCP_B_SNAME, DHCP_B_FILE, &sp)) != DHCP_OK)
			return e;
		if (dhcp_has_code(&sp, first, DHCP_OPT_OVERLOAD))
			return DHCP_E_OVERLOAD;
	}

	r = dhcp_opt_fixed(b, &sp, DHCP_OPT_TYPE, 1, &v);
	if (r <= 0 || v < DHCP_DISCOVER || v > DHCP_TYPE_MAX)
		return DHCP_E_MSG_TYPE;
	m->type = (uint8_t)v;
	for (i = 0; i < sizeof dhcp_fixed_opts / sizeof dhcp_fixed_opts[0];
	    i++) {
		const struct dhcp_fixed *fx = &dhcp_fixed_opts[i];
		if ((r = dhcp_opt_fixed(b, &sp, fx->code, fx->size, &v)) < 0)
			return DHCP_E_OPT_LEN;
		if (r > 0) {
			m->has |= fx->has;
			memcpy((char *)m + fx->off, &v, sizeof v);
		}
	}
	if ((r = dhcp_opt_addrs(b, &sp, DHCP_OPT_ROUTER, &m->router, 1)) < 0)
		return DHCP_E_OPT_LEN;
	if (r > 0)
		m->has |= DHCP_HAS_ROUTER;
	if ((r = dhcp_opt_addrs(b, &sp, DHCP_OPT_DNS, m->dns,
	    PROTO_DHCP_MAX_DNS)) < 0)
		return DHCP_E_OPT_LEN;
	m->ndns = (uint8_t)r;
	if (dhcp_opt_bytes(b, &sp, DHCP_OPT_PRL, m->prl, &m->prl_len) < 0 ||
	    dhcp_opt_bytes(b, &sp, DHCP_OPT_CLIENT_ID, m->client_id,
	    &m->client_id_len) < 0 ||
	    dhcp_opt_bytes(b, &sp, DHCP_OPT_HOSTNAME, m->hostname,
	    &m->hostname_len) < 0 ||
	    dhcp_opt_bytes(b, &sp, DHCP_OPT_DOMAIN, m->domain,
	    &m->domain_len) < 0)
		return DHCP_E_OPT_LEN;
	return DHCP_OK;
}

/* The UDP checksum's pseudo-header, as a partial sum. */
static uint32_t
dhcp_pseudo(uint32_t src, uint32_t dst, size_t ulen)
{
	return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) +
	    DHCP_PROTO_UDP + (uint32_t)ulen;
}

enum dhcp_err
dhcp_parse(const uint8_t *f, size_t len, struct dhcp_msg *m)
{
	const uint8_t *ip, *udp, *b;
	size_t l3 = DHCP_ETH_HDR, ihl, tot, ulen, blen;
	uint16_t type, frag;

	memset(m, 0, sizeof *m);
	if (len < DHCP_ETH_HDR)
		return DHCP_E_TRUNCATED;
	memcpy(m->eth_dst, f, ETHER_ADDR_LEN);
	memcpy(m->eth_src, f + ETHER_ADDR_LEN, ETHER_ADDR_LEN);
	type = be16_get(f + DHCP_ETH_TYPE);
	if (type == DHCP_ETHERTYPE_VLAN) {
		if (len < DHCP_ETH_HDR + DHCP_VLAN_LEN)
			return DHCP_E_TRUNCATED;
		m->vlan = 1;
		m->vlan_tci = be16_get(f + DHCP_ETH_TYPE + 2);
		type = be16_get(f + DHCP_ETH_TYPE + DHCP_VLAN_LEN);
		l3 += DHCP_VLAN_LEN;
	}
	if (type != DHCP_ETHERTYPE_IP4)
		return DHCP_E_NOT_IP4;

	/* IPv4: what it carries first, so other traffic is no fault. */
	ip = f + l3;
	if (len - l3 < DHCP_IP4_HDR)
		return DHCP_E_TRUNCATED;
	if (ip[0] >> 4 != DHCP_IP4_VERSION)
		return DHCP_E_IP_HEADER;
	if (ip[DHCP_IP4_PROTO] != DHCP_PROTO_UDP)
		return DHCP_E_NOT_UDP;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	tot = be16_get(ip + DHCP_IP4_TOT);
	if (ihl < DHCP_IP4_HDR || tot < ihl)
		return DHCP_E_IP_HEADER;
	if (tot > len - l3)
		return DHCP_E_TRUNCATED;   /* Ethernet padding may follow */
	frag = be16_get(ip + DHCP_IP4_FRAG);
	if (frag & (DHCP_IP4_MF | DHCP_IP4_OFFSET))
		return DHCP_E_FRAGMENT;
	if (tot - ihl < DHCP_UDP_HDR)
		return DHCP_E_TRUNCATED;
	udp = ip + ihl;
	m->sport = be16_get(udp);
	m->dport = be16_get(udp + 2);
	if (m->dport != PROTO_DHCP_SERVER_PORT &&
	    m->dport != PROTO_DHCP_CLIENT_PORT)
		return DHCP_E_NOT_DHCP;
	if (len > PROTO_DHCP_MAX_FRAME)
		return DHCP_E_TOO_BIG;
	if (vnet_csum(ip, ihl, 0) != 0)
		return DHCP_E_IP_CSUM;
	m->ip_src = be32_get(ip + DHCP_IP4_SRC);
	m->ip_dst = be32_get(ip + DHCP_IP4_DST);

	ulen = be16_get(udp + DHCP_UDP_LEN);
	if (ulen < DHCP_UDP_HDR || ulen > tot - ihl)
		return DHCP_E_UDP_LEN;
	if (be16_get(udp + DHCP_UDP_CSUM) != 0 && vnet_csum(udp, ulen,
	    dhcp_pseudo(m->ip_src, m->ip_dst, ulen)) != 0)
		return DHCP_E_UDP_CSUM;

	/* BOOTP. */
	b = udp + DHCP_UDP_HDR;
	blen = ulen - DHCP_UDP_HDR;
	if (blen < PROTO_DHCP_OPTIONS_OFF)
		return DHCP_E_TRUNCATED;
	m->op = b[DHCP_B_OP];
	if ((m->op != DHCP_BOOTREQUEST && m->op != DHCP_BOOTREPLY) ||
	    b[DHCP_B_HTYPE] != DHCP_HTYPE_ETH ||
	    b[DHCP_B_HLEN] != ETHER_ADDR_LEN)
		return DHCP_E_BOOTP;
	if (be32_get(b + DHCP_B_COOKIE) != PROTO_DHCP_COOKIE)
		return DHCP_E_COOKIE;
	m->hops = b[DHCP_B_HOPS];
	m->xid = be32_get(b + DHCP_B_XID);
	m->secs = be16_get(b + DHCP_B_SECS);
	m->flags = be16_get(b + DHCP_B_FLAGS);
	m->ciaddr = be32_get(b + DHCP_B_CIADDR);
	m->yiaddr = be32_get(b + DHCP_B_YIADDR);
	m->siaddr = be32_get(b + DHCP_B_SIADDR);
	m->giaddr = be32_get(b + DHCP_B_GIADDR);
	memcpy(m->chaddr, b + DHCP_B_CHADDR, ETHER_ADDR_LEN);
	return dhcp_options(b, blen, m);
}

/* Appends one option; the caller made sure it fits. */
static size_t
dhcp_put_opt(uint8_t *p, uint8_t code, const void *val, size_t len)
{
	p[0] = code;
	p[1] = (uint8_t)len;
	memcpy(p + DHCP_OPT_HDR, val, len);
	return DHCP_OPT_HDR + len;
}

static size_t
dhcp_put_addr(uint8_t *p, uint8_t code, uint32_t addr)
{
	uint8_t v[DHCP_ADDR_LEN];

	be32_put(v, addr);
	return dhcp_put_opt(p, code, v, sizeof v);
}

/* m's options, then end, into p (DHCP_OPT_BUILD_MAX bytes, always
 * enough: see the check in dhcp_build). */
static size_t
dhcp_put_options(const struct dhcp_msg *m, uint8_t *p)
{
	uint8_t v[PROTO_DHCP_MAX_DNS * DHCP_ADDR_LEN];
	size_t n = 0, i;

	n += dhcp_put_opt(p + n, DHCP_OPT_TYPE, &m->type, 1);
	for (i = 0; i < sizeof dhcp_fixed_opts / sizeof dhcp_fixed_opts[0];
	    i++) {
		const struct dhcp_fixed *fx = &dhcp_fixed_opts[i];
		uint32_t val;
		if (!(m->has & fx->has))
			continue;
		memcpy(&val, (const char *)m + fx->off, sizeof val);
		n += dhcp_put_addr(p + n, fx->code, val);
	}
	if (m->has & DHCP_HAS_ROUTER)
		n += dhcp_put_addr(p + n, DHCP_OPT_ROUTER, m->router);
	if (m->ndns > 0) {
		for (i = 0; i < m->ndns; i++)
			be32_put(v + i * DHCP_ADDR_LEN, m->dns[i]);
		n += dhcp_put_opt(p + n, DHCP_OPT_DNS, v,
		    m->ndns * DHCP_ADDR_LEN);
	}
	if (m->domain_len > 0)
		n += dhcp_put_opt(p + n, DHCP_OPT_DOMAIN, m->domain,
		    m->domain_len);
	if (m->hostname_len > 0)
		n += dhcp_put_opt(p + n, DHCP_OPT_HOSTNAME, m->hostname,
		    m->hostname_len);
	if (m->prl_len > 0)
		n += dhcp_put_opt(p + n, DHCP_OPT_PRL, m->prl, m->prl_len);
	if (m->client_id_len > 0)
		n += dhcp_put_opt(p + n, DHCP_OPT_CLIENT_ID, m->client_id,
		    m->client_id_len);
	p[n++] = DHCP_OPT_END;
	return n;
}

/* The most options dhcp_put_options writes: every one, each full. */
#define DHCP_OPT_WORST (DHCP_OPT_HDR + 1u + \
    8u * (DHCP_OPT_HDR + DHCP_ADDR_LEN) + \
    DHCP_OPT_HDR + PROTO_DHCP_MAX_DNS * DHCP_ADDR_LEN + \
    4u * (DHCP_OPT_HDR + PROTO_DHCP_OPT_MAX) + 1u)
_Static_assert(DHCP_OPT_WORST <= DHCP_OPT_BUILD_MAX,
    "a full message fits in PROTO_DHCP_MAX_FRAME");

size_t
dhcp_build(const struct dhcp_msg *m, uint8_t *buf, size_t cap)
{
	uint8_t opts[DHCP_OPT_BUILD_MAX], *ip, *udp, *b;
	size_t olen, blen, ulen, tot, l3, flen;

	if (m->type < DHCP_DISCOVER || m->type > DHCP_TYPE_MAX ||
	    (m->op != DHCP_BOOTREQUEST && m->op != DHCP_BOOTREPLY) ||
	    m->ndns > PROTO_DHCP_MAX_DNS ||
	    m->prl_len > PROTO_DHCP_OPT_MAX ||
	    m->client_id_len > PROTO_DHCP_OPT_MAX ||
	    m->hostname_len > PROTO_DHCP_OPT_MAX ||
	    m->domain_len > PROTO_DHCP_OPT_MAX)
		return 0;
	olen = dhcp_put_options(m, opts);
	blen = PROTO_DHCP_OPTIONS_OFF + olen;
	if (blen < PROTO_DHCP_MIN_LEN)
		blen = PROTO_DHCP_MIN_LEN;
	ulen = DHCP_UDP_HDR + blen;
	tot = DHCP_IP4_HDR + ulen;
	l3 = DHCP_ETH_HDR + (m->vlan ? DHCP_VLAN_LEN : 0);
	flen = l3 + tot;
	if (flen > cap)
		return 0;

	memset(buf, 0, flen);
	memcpy(buf, m->eth_dst, ETHER_ADDR_LEN);
	memcpy(buf + ETHER_ADDR_LEN, m->eth_src, ETHER_ADDR_LEN);
	if (m->vlan) {
		be16_put(buf + DHCP_ETH_TYPE, DHCP_ETHERTYPE_VLAN);
		be16_put(buf + DHCP_ETH_TYPE + 2, m->vlan_tci);
	}
	be16_put(buf + l3 - 2, DHCP_ETHERTYPE_IP4);

	ip = buf + l3;
	ip[0] = DHCP_IP4_VERSION << 4 | DHCP_IP4_HDR / 4;
	be16_put(ip + DHCP_IP4_TOT, (uint16_t)tot);
	be16_put(ip + DHCP_IP4_FRAG, DHCP_IP4_DF);
	ip[DHCP_IP4_TTL] = PROTO_DHCP_TTL;
	ip[DHCP_IP4_PROTO] = DHCP_PROTO_UDP;
	be32_put(ip + DHCP_IP4_SRC, m->ip_src);
	be32_put(ip + DHCP_IP4_DST, m->ip_dst);
	be16_put(ip + DHCP_IP4_CSUM, vnet_csum(ip, DHCP_IP4_HDR, 0));

	udp = ip + DHCP_IP4_HDR;
	be16_put(udp, m->sport);
	be16_put(udp + 2, m->dport);
	be16_put(udp + DHCP_UDP_LEN, (uint16_t)ulen);

	b = udp + DHCP_UDP_HDR;
	b[DHCP_B_OP] = m->op;
	b[DHCP_B_HTYPE] = DHCP_HTYPE_ETH;
	b[DHCP_B_HLEN] = ETHER_ADDR_LEN;
	b[DHCP_B_HOPS] = m->hops;
	be32_put(b + DHCP_B_XID, m->xid);
	be16_put(b + DHCP_B_SECS, m->secs);
	be16_put(b + DHCP_B_FLAGS, m->flags);
	be32_put(b + DHCP_B_CIADDR, m->ciaddr);
	be32_put(b + DHCP_B_YIADDR, m->yiaddr);
	be32_put(b + DHCP_B_SIADDR, m->siaddr);
	be32_put(b + DHCP_B_GIADDR, m->giaddr);
	memcpy(b + DHCP_B_CHADDR, m->chaddr, ETHER_ADDR_LEN);
	be32_put(b + DHCP_B_COOKIE, PROTO_DHCP_COOKIE);
	memcpy(b + PROTO_DHCP_OPTIONS_OFF, opts, olen);

	/* Computed 0 goes out as all ones: 0 would mean "no checksum". */
	{
		uint16_t c = vnet_csum(udp, ulen, dhcp_pseudo(m->ip_src,
		    m->ip_dst, ulen));
		be16_put(udp + DHCP_UDP_CSUM, c == 0 ? 0xffff : c);
	}
	return flen;
}

int
dhcp_mask_prefix(uint32_t mask)
{
	uint32_t inv = ~mask;
	int bits = 0;

	if ((inv & (inv + 1)) != 0)
		return -1;
	for (; mask != 0; mask <<= 1)
		bits++;
	return bits;
}

void
dhcp_format_ip(uint32_t ip, char out[DHCP_IP_STR])
{
	snprintf(out, DHCP_IP_STR, "%u.%u.%u.%u", ip >> 24, ip >> 16 & 0xff,
	    ip >> 8 & 0xff, ip & 0xff);
}

int
dhcp_parse_ip(const char *s, uint32_t *ip)
{
	uint32_t v = 0, part;
	int i, digits;

	for (i = 0; i < 4; i++) {
		if (i > 0 && *s++ != '.')
			return -1;
		for (part = 0, digits = 0; *s >= '0' && *s <= '9'; s++) {
			if (digits > 0 && part == 0)
				return -1;        /* a leading zero */
			part = part * 10 + (uint32_t)(*s - '0');
			if (++digits > 3 || part > 255)
				return -1;
		}
		if (digits == 0)
			return -1;
		v = v << 8 | part;
	}
	if (*s != '\0')
		return -1;
	*ip = v;
	return 0;
}
