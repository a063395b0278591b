/*
 * test_dhcp.c: the DHCP codec: messages built and parsed back whole, with
 * and without a VLAN tag; checksums checked against a sum computed here;
 * each way a frame can be malformed or hostile refused with its reason
 * (cut short, fragments, wrong checksums, option overruns and bombs,
 * repeats, overload); other traffic told apart from broken DHCP.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bytes.h"
#include "dhcp.h"

#define T_L3        14u
#define T_UDP       34u
#define T_B         42u                /* BOOTP */
#define T_OPT       (T_B + 240u)
#define T_SNAME     (T_B + 44u)
#define T_FILE      (T_B + 108u)
#define T_MAX       2048u

static const uint8_t t_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t t_srv_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0xfe };
static const uint8_t t_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* The Internet checksum, word by word, folded as it goes. */
static uint16_t
t_csum(const uint8_t *p, size_t len, uint32_t s)
{
	for (size_t i = 0; i < len; i += 2) {
		s += (uint32_t)p[i] << 8 | (i + 1 < len ? p[i + 1] : 0);
		while (s > 0xffff)
			s = (s & 0xffff) + (s >> 16);
	}
	return (uint16_t)~s;
}

/* Recompute both checksums of the IPv4/UDP frame at l3. */
static void
t_fix(uint8_t *f, size_t l3)
{
	uint8_t *ip = f + l3, *udp;
	size_t ihl = (size_t)(ip[0] & 0xf) * 4, ulen;
	uint32_t ps;
	uint16_t c;

	be16_put(ip + 10, 0);
	be16_put(ip + 10, t_csum(ip, ihl, 0));
	udp = ip + ihl;
	ulen = be16_get(udp + 4);
	be16_put(udp + 6, 0);
	ps = be16_get(ip + 12) + be16_get(ip + 14) + be16_get(ip + 16) +
	    be16_get(ip + 18) + 17u + (uint32_t)ulen;
	c = t_csum(udp, ulen, ps);
	be16_put(udp + 6, c == 0 ? 0xffff : c);
}

/* The IPv4 header's checksum alone. */
static void
t_fix_ip(uint8_t *f, size_t l3)
{
	be16_put(f + l3 + 10, 0);
	be16_put(f + l3 + 10, t_csum(f + l3, (size_t)(f[l3] & 0xf) * 4, 0));
}

/* Both checksums of a frame check out, by the sum here. */
static void
t_check_sums(const uint8_t *f, size_t l3)
{
	const uint8_t *ip = f + l3, *udp = ip + 20;
	size_t ulen = be16_get(udp + 4);
	uint32_t ps = be16_get(ip + 12) + be16_get(ip + 14) +
	    be16_get(ip + 16) + be16_get(ip + 18) + 17u + (uint32_t)ulen;

	assert_int_equal(t_csum(ip, 20, 0), 0);
	assert_int_not_equal(be16_get(udp + 6), 0);
	assert_int_equal(t_csum(udp, ulen, ps), 0);
}

/* A client's DISCOVER with raw options, built here byte by byte. */
static size_t
t_raw(uint8_t *f, const uint8_t *opts, size_t olen)
{
	size_t blen = 240 + olen, len = T_B + blen;

	memset(f, 0, len);
	memcpy(f, t_bcast, 6);
	memcpy(f + 6, t_mac, 6);
	be16_put(f + 12, 0x0800);
	f[T_L3] = 0x45;
	be16_put(f + T_L3 + 2, (uint16_t)(20 + 8 + blen));
	f[T_L3 + 8] = 64;
	f[T_L3 + 9] = 17;
	be32_put(f + T_L3 + 16, 0xffffffffu);
	be16_put(f + T_UDP, 68);
	be16_put(f + T_UDP + 2, 67);
	be16_put(f + T_UDP + 4, (uint16_t)(8 + blen));
	f[T_B] = 1;
	f[T_B + 1] = 1;
	f[T_B + 2] = 6;
	be32_put(f + T_B + 4, 0x12345678u);
	memcpy(f + T_B + 28, t_mac, 6);
	be32_put(f + T_B + 236, 0x63825363u);
	memcpy(f + T_OPT, opts, olen);
	t_fix(f, T_L3);
	return len;
}

static enum dhcp_err
t_parse_opts(const uint8_t *opts, size_t olen, struct dhcp_msg *m)
{
	static uint8_t f[T_MAX];
	size_t len = t_raw(f, opts, olen);

	return dhcp_parse(f, len, m);
}

/* A request with every option a client sends. */
static void
t_request(struct dhcp_msg *m)
{
	memset(m, 0, sizeof *m);
	memcpy(m->eth_dst, t_bcast, 6);
	memcpy(m->eth_src, t_mac, 6);
	m->ip_src = 0;
	m->ip_dst = 0xffffffffu;
	m->sport = 68;
	m->dport = 67;
	m->op = DHCP_BOOTREQUEST;
	m->hops = 0;
	m->xid = 0xdeadbeefu;
	m->secs = 3;
	m->flags = DHCP_FLAG_BROADCAST;
	memcpy(m->chaddr, t_mac, 6);
	m->type = DHCP_REQUEST;
	m->has = DHCP_HAS_REQ_IP | DHCP_HAS_SERVER_ID;
	m->req_ip = 0x0a000064u;
	m->server_id = 0x0a000001u;
	m->prl_len = 4;
	memcpy(m->prl, "\x01\x03\x06\x0f", 4);
	m->client_id_len = 7;
	memcpy(m->client_id, "\x01\x02\x00\x00\x00\x00\x01", 7);
	m->hostname_len = 5;
	memcpy(m->hostname, "ho\0st", 5);      /* any bytes */
}

/* A server's ACK with every option it sends. */
static void
t_ack(struct dhcp_msg *m)
{
	memset(m, 0, sizeof *m);
	memcpy(m->eth_dst, t_mac, 6);
	memcpy(m->eth_src, t_srv_mac, 6);
	m->vlan = 1;
	m->vlan_tci = 0x2064;
	m->ip_src = 0x0a000001u;
	m->ip_dst = 0x0a000064u;
	m->sport = 67;
	m->dport = 68;
	m->op = DHCP_BOOTREPLY;
	m->xid = 7;
	m->ciaddr = 0x0a000064u;
	m->yiaddr = 0x0a000064u;
	m->siaddr = 0x0a000002u;
	m->giaddr = 0x0a000003u;
	m->hops = 1;
	memcpy(m->chaddr, t_mac, 6);
	m->type = DHCP_ACK;
	m->has = DHCP_HAS_SERVER_ID | DHCP_HAS_LEASE | DHCP_HAS_MASK |
	    DHCP_HAS_ROUTER | DHCP_HAS_T1 | DHCP_HAS_T2;
	m->server_id = 0x0a000001u;
	m->lease_s = 3600;
	m->t1_s = 1800;
	m->t2_s = 3150;
	m->mask = 0xffffff00u;
	m->router = 0x0a000001u;
	m->ndns = 4;
	m->dns[0] = 0x0a000001u;
	m->dns[1] = 0x08080808u;
	m->dns[2] = 0x01010101u;
	m->dns[3] = 0x09090909u;
	m->domain_len = 11;
	memcpy(m->domain, "vpn.example", 11);
}

static void
t_same(const struct dhcp_msg *a, const struct dhcp_msg *b)
{
	assert_memory_equal(a->eth_dst, b->eth_dst, 6);
	assert_memory_equal(a->eth_src, b->eth_src, 6);
	assert_int_equal(a->vlan, b->vlan);
	assert_int_equal(a->vlan_tci, b->vlan_tci);
	assert_int_equal(a->ip_src, b->ip_src);
	assert_int_equal(a->ip_dst, b->ip_dst);
	assert_int_equal(a->sport, b->sport);
	assert_int_equal(a->dport, b->dport);
	assert_int_equal(a->op, b->op);
	assert_int_equal(a->hops, b->hops);
	assert_int_equal(a->xid, b->xid);
	assert_int_equal(a->secs, b->secs);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->ciaddr, b->ciaddr);
	assert_int_equal(a->yiaddr, b->yiaddr);
	assert_int_equal(a->siaddr, b->siaddr);
	assert_int_equal(a->giaddr, b->giaddr);
	assert_memory_equal(a->chaddr, b->chaddr, 6);
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->has, b->has);
	if (a->has & DHCP_HAS_REQ_IP)
		assert_int_equal(a->req_ip, b->req_ip);
	if (a->has & DHCP_HAS_SERVER_ID)
		assert_int_equal(a->server_id, b->server_id);
	if (a->has & DHCP_HAS_LEASE)
		assert_int_equal(a->lease_s, b->lease_s);
	if (a->has & DHCP_HAS_MASK)
		assert_int_equal(a->mask, b->mask);
	if (a->has & DHCP_HAS_ROUTER)
		assert_int_equal(a->router, b->router);
	if (a->has & DHCP_HAS_T1)
		assert_int_equal(a->t1_s, b->t1_s);
	if (a->has & DHCP_HAS_T2)
		assert_int_equal(a->t2_s, b->t2_s);
	assert_int_equal(a->ndns, b->ndns);
	assert_memory_equal(a->dns, b->dns, a->ndns * sizeof a->dns[0]);
	assert_int_equal(a->prl_len, b->prl_len);
	assert_memory_equal(a->prl, b->prl, a->prl_len);
	assert_int_equal(a->client_id_len, b->client_id_len);
	assert_memory_equal(a->client_id, b->client_id, a->client_id_len);
	assert_int_equal(a->hostname_len, b->hostname_len);
	assert_memory_equal(a->hostname, b->hostname, a->hostname_len);
	assert_int_equal(a->domain_len, b->domain_len);
	assert_memory_equal(a->domain, b->domain, a->domain_len);
}

static void
test_roundtrip_request(void **state)
{
	struct dhcp_msg m, back;
	uint8_t f[T_MAX];
	size_t len;

	(void)state;
	t_request(&m);
	len = dhcp_build(&m, f, sizeof f);
	/* Padded to the BOOTP minimum of 300 bytes. */
	assert_int_equal(len, T_B + PROTO_DHCP_MIN_LEN);
	assert_int_equal(be16_get(f + 12), 0x0800);
	assert_int_equal(f[T_L3], 0x45);
	assert_int_equal(be16_get(f + T_L3 + 2), 20 + 8 + 300);
	assert_int_equal(be16_get(f + T_L3 + 6), 0x4000);   /* DF */
	assert_int_equal(f[T_L3 + 8], PROTO_DHCP_TTL);
	assert_int_equal(be32_get(f + T_B + 236), PROTO_DHCP_COOKIE);
	assert_int_equal(f[T_OPT], DHCP_OPT_TYPE);          /* 53 first */
	t_check_sums(f, T_L3);
	assert_int_equal(dhcp_parse(f, len, &back), DHCP_OK);
	t_same(&m, &back);
	assert_int_equal(back.overload, 0);
	/* Ethernet padding after the IP packet changes nothing. */
	memset(f + len, 0xa5, 20);
	assert_int_equal(dhcp_parse(f, len + 20, &back), DHCP_OK);
	t_same(&m, &back);
}

static void
test_roundtrip_reply_vlan(void **state)
{
	struct dhcp_msg m, back;
	uint8_t f[T_MAX];
	size_t len;

	(void)state;
	t_ack(&m);
	len = dhcp_build(&m, f, sizeof f);
	assert_true(len > 0);
	assert_int_equal(be16_get(f + 12), 0x8100);
	assert_int_equal(be16_get(f + 14), 0x2064);
	assert_int_equal(be16_get(f + 16), 0x0800);
	t_check_sums(f, T_L3 + 4);
	assert_int_equal(dhcp_parse(f, len, &back), DHCP_OK);
	t_same(&m, &back);

	/* Every message type goes and comes back. */
	for (unsigned t = DHCP_DISCOVER; t <= DHCP_TYPE_MAX; t++) {
		m.type = (uint8_t)t;
		len = dhcp_build(&m, f, sizeof f);
		assert_true(len > 0);
		assert_int_equal(dhcp_parse(f, len, &back), DHCP_OK);
		assert_int_equal(back.type, t);
	}
}

static void
test_roundtrip_max(void **state)
{
	struct dhcp_msg m, back;
	uint8_t f[T_MAX];
	size_t len;

	(void)state;
	t_ack(&m);
	m.has |= DHCP_HAS_REQ_IP;
	m.req_ip = 1;
	m.prl_len = m.client_id_len = m.hostname_len = m.domain_len =
	    PROTO_DHCP_OPT_MAX;
	for (unsigned i = 0; i < PROTO_DHCP_OPT_MAX; i++) {
		m.prl[i] = (uint8_t)i;
		m.client_id[i] = (uint8_t)(i * 3);
		m.hostname[i] = (uint8_t)(255 - i);
		m.domain[i] = (uint8_t)(i ^ 0x55);
	}
	len = dhcp_build(&m, f, sizeof f);
	assert_true(len > 0 && len <= PROTO_DHCP_MAX_FRAME);
	assert_int_equal(dhcp_build(&m, f, PROTO_DHCP_MAX_FRAME), len);
	assert_int_equal(dhcp_parse(f, len, &back), DHCP_OK);
	t_same(&m, &back);
	/* One byte short of room: nothing. */
	assert_int_equal(dhcp_build(&m, f, len - 1), 0);
}

static void
test_build_refuses(void **state)
{
	struct dhcp_msg m;
	uint8_t f[T_MAX];

	(void)state;
	t_request(&m);
	m.type = 0;
	assert_int_equal(dhcp_build(&m, f, sizeof f), 0);
	m.type = 9;
	assert_int_equal(dhcp_build(&m, f, sizeof f), 0);
	t_request(&m);
	m.op = 3;
	assert_int_equal(dhcp_build(&m, f, sizeof f), 0);
	t_request(&m);
	m.ndns = PROTO_DHCP_MAX_DNS + 1;
	assert_int_equal(dhcp_build(&m, f, sizeof f), 0);
	t_request(&m);
	m.hostname_len = PROTO_DHCP_OPT_MAX + 1;
	assert_int_equal(dhcp_build(&m, f, sizeof f), 0);
	t_request(&m);
	assert_int_equal(dhcp_build(&m, f, 100), 0);
	assert_int_equal(dhcp_build(&m, f, 0), 0);
}

static void
test_not_dhcp(void **state)
{
	struct dhcp_msg m, back;
	uint8_t f[T_MAX];
	size_t len;

	(void)state;
	t_request(&m);
	len = dhcp_build(&m, f, sizeof f);

	/* ARP; IPv6; two tags: other traffic, nothing wrong with it. */
	be16_put(f + 12, 0x0806);
	assert_int_equal(dhcp_parse(f, len, &back), DHCP_E_NOT_IP4);
	be16_put(f + 12, 0x86dd);
	assert_int_equal(dhcp_parse(f, len, &back), DHCP_E_NOT_IP4);
	be16_put(f + 12, 0x8100);
	be16_put(f + 16, 0x8100);
	assert_int_equal(dhcp_parse(f, len, &back), DHCP_E_NOT_IP4);
	assert_false(dhcp_err_malformed(DHCP_E_NOT_IP4));

	/* TCP, even a broken one. */
	len = dhcp_build(&m, f, sizeof f);
	f[T_L3 + 9] = 6;
	be16_put(f + T_L3 + 2, 9999);
	assert_int_equal(dhcp_parse(f, len, &back), DHCP_E_NOT_UDP);
	assert_false(dhcp_err_malformed(DHCP_E_NOT_UDP));

	/* UDP to another port, even with a bad checksum. */
	len = dhcp_build(&m, f, sizeof f);
	be16_put(f + T_UDP + 2, 53);
	assert_int_equal(dhcp_parse(f, len, &back), DHCP_E_NOT_DHCP);
	assert_false(dhcp_err_malformed(DHCP_E_NOT_DHCP));
	/* From port 67 to another is not DHCP either; to 68 it is. */
	be16_put(f + T_UDP, 67);
	assert_int_equal(dhcp_parse(f, len, &back), DHCP_E_NOT_DHCP);
	be16_put(f + T_UDP + 2, 68);
	t_fix(f, T_L3);
	assert_int_equal(dhcp_parse(f, len, &back), DHCP_OK);
	assert_true(dhcp_err_malformed(DHCP_E_TRUNCATED));
	assert_true(dhcp_err_malformed(DHCP_E_MSG_TYPE));
}

static void
test_truncated(void **state)
{
	struct dhcp_msg m, back;
	uint8_t f[T_MAX], *cut;
	size_t len, n;

	(void)state;
	t_ack(&m);
	len = dhcp_build(&m, f, sizeof f);
	/* Every prefix, in a buffer exactly that long. */
	for (n = 0; n < len; n++) {
		cut = malloc(n > 0 ? n : 1);
		assert_non_null(cut);
		memcpy(cut, f, n);
		assert_int_equal(dhcp_parse(cut, n, &back), DHCP_E_TRUNCATED);
		free(cut);
	}
	/* UDP's length leaving less than the fixed BOOTP part. */
	t_request(&m);
	len = dhcp_build(&m, f, sizeof f);
	be16_put(f + T_UDP + 4, 8 + 239);
	t_fix(f, T_L3);
	assert_int_equal(dhcp_parse(f, len, &back), DHCP_E_TRUNCATED);
	/* IPv4 saying the UDP header is not all there. */
	be16_put(f + T_L3 + 2, 20 + 7);
	t_fix(f, T_L3);
	assert_int_equal(dhcp_parse(f, len, &back), DHCP_E_TRUNCATED);
}

static void
test_too_big(void **state)
{
	struct dhcp_msg back;
	uint8_t *f = calloc(1, 4000);
	uint8_t opts[1] = { 255 };
	size_t len;

	(void)state;
	assert_non_null(f);
	len = t_raw(f, opts, 1);
	assert_int_equal(dhcp_parse(f, PROTO_DHCP_MAX_FRAME, &back),
	    DHCP_E_MSG_TYPE);
	assert_int_equal(dhcp_parse(f, PROTO_DHCP_MAX_FRAME + 1, &back),
	    DHCP_E_TOO_BIG);
	(void)len;
	free(f);
}

static void
test_ip_header(void **state)
{
	struct dhcp_msg m, back;
	uint8_t f[T_MAX], g[T_MAX];
	size_t len;

	(void)state;
	t_request(&m);
	len = dhcp_build(&m, f, sizeof f);

	memcpy(g, f, len);
	g[T_L3] = 0x65;                       /* version 6 */
	assert_int_equal(dhcp_parse(g, len, &back), DHCP_E_IP_HEADER);
	memcpy(g, f, len);
	g[T_L3] = 0x44;                       /* header of 16 bytes */
	assert_int_equal(dhcp_parse(g, len, &back), DHCP_E_IP_HEADER);
	memcpy(g, f, len);
	be16_put(g + T_L3 + 2, 19);           /* total < header */
	assert_int_equal(dhcp_parse(g, len, &back), DHCP_E_IP_HEADER);
	memcpy(g, f, len);
	be16_put(g + T_L3 + 2, (uint16_t)(len - T_L3 + 1)); /* past the end */
	assert_int_equal(dhcp_parse(g, len, &back), DHCP_E_TRUNCATED);

	/* IPv4 options (a router alert and a no-op) are fine. */
	memcpy(g, f, T_UDP);
	memcpy(g + T_UDP, "\x94\x04\x00\x00", 4);
	memcpy(g + T_UDP + 4, f + T_UDP, len - T_UDP);
	g[T_L3] = 0x46;
	be16_put(g + T_L3 + 2, (uint16_t)(be16_get(f + T_L3 + 2) + 4));
	t_fix(g, T_L3);
	assert_int_equal(dhcp_parse(g, len + 4, &back), DHCP_OK);
	t_same(&m, &back);
	/* ... but their checksum counts. */
	g[T_UDP + 2] ^= 1;
	assert_int_equal(dhcp_parse(g, len + 4, &back), DHCP_E_IP_CSUM);
}

static void
test_fragment(void **state)
{
	struct dhcp_msg m, back;
	uint8_t f[T_MAX];
	size_t len;

	(void)state;
	t_request(&m);
	len = dhcp_build(&m, f, sizeof f);
	be16_put(f + T_L3 + 6, 0x2000);      /* more fragments */
	t_fix(f, T_L3);
	assert_int_equal(dhcp_parse(f, len, &back), DHCP_E_FRAGMENT);
	be16_put(f + T_L3 + 6, 0x0001);      /* a later fragment */
	t_fix(f, T_L3);
	assert_int_equal(dhcp_parse(f, len, &back), DHCP_E_FRAGMENT);
	be16_put(f + T_L3 + 6, 0x0000);      /* neither, no DF */
	t_fix(f, T_L3);
	assert_int_equal(dhcp_parse(f, len, &back), DHCP_OK);
}

static void
test_checksums(void **state)
{
	struct dhcp_msg m, back;
	uint8_t f[T_MAX];
	size_t len, i;
	enum dhcp_err e;

	(void)state;
	t_ack(&m);
	m.vlan = 0;
	len = dhcp_build(&m, f, sizeof f);

	f[T_L3 + 10] ^= 0x10;
	assert_int_equal(dhcp_parse(f, len, &back), DHCP_E_IP_CSUM);
	f[T_L3 + 10] ^= 0x10;
	f[T_UDP + 7] ^= 0x01;
	assert_int_equal(dhcp_parse(f, len, &back), DHCP_E_UDP_CSUM);
	f[T_UDP + 7] ^= 0x01;
	assert_int_equal(dhcp_parse(f, len, &back), DHCP_OK);

	/* Any one bit changed in the UDP payload is caught. */
	for (i = T_B; i < len; i++) {
		f[i] ^= (uint8_t)(1u << (i % 8));
		e = dhcp_parse(f, len, &back);
		assert_int_equal(e, DHCP_E_UDP_CSUM);
		f[i] ^= (uint8_t)(1u << (i % 8));
	}
	/* So is a changed address in the pseudo-header. */
	f[T_L3 + 15] ^= 1;
	t_fix_ip(f, T_L3);                   /* IP's own sum made right */
	assert_int_equal(dhcp_parse(f, len, &back), DHCP_E_UDP_CSUM);
	f[T_L3 + 15] ^= 1;
	t_fix_ip(f, T_L3);
	assert_int_equal(dhcp_parse(f, len, &back), DHCP_OK);

	/* A UDP checksum of 0 is none: accepted. */
	be16_put(f + T_UDP + 6, 0);
	f[T_OPT + 20] ^= 0xff;               /* even over changed bytes */
	assert_int_not_equal(dhcp_parse(f, len, &back), DHCP_E_UDP_CSUM);
}

static void
test_udp_len(void **state)
{
	struct dhcp_msg m, back;
	uint8_t f[T_MAX];
	size_t len;

	(void)state;
	t_request(&m);
	len = dhcp_build(&m, f, sizeof f);
	be16_put(f + T_UDP + 4, 7);
	t_fix(f, T_L3);
	assert_int_equal(dhcp_parse(f, len, &back), DHCP_E_UDP_LEN);
	len = dhcp_build(&m, f, sizeof f);
	be16_put(f + T_UDP + 4, (uint16_t)(len - T_UDP + 1));
	be16_put(f + T_UDP + 6, 0);
	f[T_L3 + 10] = f[T_L3 + 11] = 0;
	be16_put(f + T_L3 + 10, t_csum(f + T_L3, 20, 0));
	assert_int_equal(dhcp_parse(f, len, &back), DHCP_E_UDP_LEN);
}

static void
test_bootp_header(void **state)
{
	struct dhcp_msg back;
	uint8_t f[T_MAX];
	uint8_t opts[] = { 53, 1, 1, 255 };
	size_t len = t_raw(f, opts, sizeof opts);

	(void)state;
	assert_int_equal(dhcp_parse(f, len, &back), DHCP_OK);
	f[T_B] = 3;
	t_fix(f, T_L3);
	assert_int_equal(dhcp_parse(f, len, &back), DHCP_E_BOOTP);
	f[T_B] = 1;
	f[T_B + 1] = 6;                       /* IEEE 802 */
	t_fix(f, T_L3);
	assert_int_equal(dhcp_parse(f, len, &back), DHCP_E_BOOTP);
	f[T_B + 1] = 1;
	f[T_B + 2] = 16;
	t_fix(f, T_L3);
	assert_int_equal(dhcp_parse(f, len, &back), DHCP_E_BOOTP);
	f[T_B + 2] = 6;
	f[T_B + 236] = 0x64;                  /* plain BOOTP */
	t_fix(f, T_L3);
	assert_int_equal(dhcp_parse(f, len, &back), DHCP_E_COOKIE);
}

static void
test_pad_end(void **state)
{
	struct dhcp_msg m;
	uint8_t opts[64] = { 0, 0, 53, 1, 3, 0, 50, 4, 10, 0, 0, 9, 0, 255,
	    /* after the end: ignored, even nonsense */
	    53, 9, 9, 1 };

	(void)state;
	assert_int_equal(t_parse_opts(opts, 18, &m), DHCP_OK);
	assert_int_equal(m.type, DHCP_REQUEST);
	assert_int_equal(m.req_ip, 0x0a000009u);
	/* No end option: the options end with the message. */
	assert_int_equal(t_parse_opts(opts, 13, &m), DHCP_OK);
	assert_int_equal(m.req_ip, 0x0a000009u);
	/* Only pads: no type. */
	memset(opts, 0, sizeof opts);
	assert_int_equal(t_parse_opts(opts, sizeof opts, &m),
	    DHCP_E_MSG_TYPE);
	assert_int_equal(t_parse_opts(opts, 0, &m), DHCP_E_MSG_TYPE);
}

static void
test_overrun(void **state)
{
	struct dhcp_msg m;
	uint8_t a[] = { 53, 1, 1, 12, 10, 'a', 'b' };
	uint8_t b[] = { 53, 1, 1, 12 };         /* no length byte */
	uint8_t c[] = { 53, 1, 1, 12, 1 };      /* no value */
	uint8_t d[] = { 53, 5, 1 };

	(void)state;
	assert_int_equal(t_parse_opts(a, sizeof a, &m), DHCP_E_OPT_OVERRUN);
	assert_int_equal(t_parse_opts(b, sizeof b, &m), DHCP_E_OPT_OVERRUN);
	assert_int_equal(t_parse_opts(c, sizeof c, &m), DHCP_E_OPT_OVERRUN);
	assert_int_equal(t_parse_opts(d, sizeof d, &m), DHCP_E_OPT_OVERRUN);
}

static void
test_option_bomb(void **state)
{
	struct dhcp_msg m;
	uint8_t opts[1200];
	size_t n = 0, i;

	(void)state;
	/* Exactly the most options allowed: fine. */
	opts[n++] = 53, opts[n++] = 1, opts[n++] = 1;
	for (i = 1; i < PROTO_DHCP_MAX_OPTIONS; i++)
		opts[n++] = 200, opts[n++] = 0;
	opts[n++] = 255;
	assert_int_equal(t_parse_opts(opts, n, &m), DHCP_OK);
	/* One more: an option bomb. */
	n--;
	opts[n++] = 201, opts[n++] = 0, opts[n++] = 255;
	assert_int_equal(t_parse_opts(opts, n, &m), DHCP_E_OPT_COUNT);
	/* Hundreds of pads count for nothing. */
	memset(opts, 0, sizeof opts);
	memcpy(opts + sizeof opts - 4, "\x35\x01\x01\xff", 4);
	assert_int_equal(t_parse_opts(opts, sizeof opts, &m), DHCP_OK);
	/* Six hundred options. */
	for (i = 0; i + 1 < sizeof opts; i += 2)
		opts[i] = 77, opts[i + 1] = 0;
	memcpy(opts, "\x35\x01\x01\x34\x01\x03", 6);
	assert_int_equal(t_parse_opts(opts, sizeof opts, &m),
	    DHCP_E_OPT_COUNT);
}

static void
test_repeats(void **state)
{
	struct dhcp_msg m;
	/* 55 and 12 each in two pieces (RFC 3396), DNS in two. */
	uint8_t a[] = { 53, 1, 1, 55, 2, 1, 3, 12, 2, 'h', 'o', 55, 1, 6,
	    6, 4, 1, 1, 1, 1, 12, 2, 's', 't', 6, 8, 2, 2, 2, 2, 3, 3, 3, 3,
	    6, 8, 4, 4, 4, 4, 5, 5, 5, 5, 255 };
	uint8_t b[] = { 53, 1, 1, 53, 1, 3 };   /* two types: refused */
	uint8_t c[] = { 53, 1, 1, 50, 4, 1, 2, 3, 4, 50, 4, 5, 6, 7, 8 };
	uint8_t d[2 * 260 + 8];
	size_t n = 0;

	(void)state;
	assert_int_equal(t_parse_opts(a, sizeof a, &m), DHCP_OK);
	assert_int_equal(m.prl_len, 3);
	assert_memory_equal(m.prl, "\x01\x03\x06", 3);
	assert_int_equal(m.hostname_len, 4);
	assert_memory_equal(m.hostname, "host", 4);
	/* Five servers: the first four kept. */
	assert_int_equal(m.ndns, PROTO_DHCP_MAX_DNS);
	assert_int_equal(m.dns[0], 0x01010101u);
	assert_int_equal(m.dns[3], 0x04040404u);
	assert_int_equal(t_parse_opts(b, sizeof b, &m), DHCP_E_MSG_TYPE);
	assert_int_equal(t_parse_opts(c, sizeof c, &m), DHCP_E_OPT_LEN);
	/* Pieces adding up to more than 255 bytes. */
	d[n++] = 53, d[n++] = 1, d[n++] = 1;
	d[n++] = 12, d[n++] = 255;
	memset(d + n, 'x', 255);
	n += 255;
	d[n++] = 12, d[n++] = 1, d[n++] = 'y';
	assert_int_equal(t_parse_opts(d, n, &m), DHCP_E_OPT_LEN);
	d[n - 2] = 0;                         /* the second piece empty */
	n--;
	assert_int_equal(t_parse_opts(d, n, &m), DHCP_OK);
	assert_int_equal(m.hostname_len, 255);
}

static void
test_option_lengths(void **state)
{
	struct dhcp_msg m;
	uint8_t mask3[] = { 53, 1, 2, 1, 3, 255, 255, 255 };
	uint8_t router5[] = { 53, 1, 2, 3, 5, 10, 0, 0, 1, 0 };
	uint8_t router0[] = { 53, 1, 2, 3, 0 };
	uint8_t dns6[] = { 53, 1, 2, 6, 6, 1, 1, 1, 1, 2, 2 };
	uint8_t lease2[] = { 53, 1, 2, 51, 2, 1, 1 };
	uint8_t t1[] = { 53, 1, 5, 58, 3, 0, 0, 1 };
	uint8_t sid8[] = { 53, 1, 5, 54, 8, 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t type0[] = { 53, 0 };
	uint8_t types[] = { 53, 1, 0 };
	uint8_t ok[] = { 53, 1, 2, 3, 8, 10, 0, 0, 1, 10, 0, 0, 2, 1, 4,
	    255, 255, 255, 0, 58, 4, 0, 0, 0, 10, 59, 4, 0, 0, 0, 20, 51, 4,
	    0, 0, 0, 30 };

	(void)state;
	assert_int_equal(t_parse_opts(mask3, sizeof mask3, &m),
	    DHCP_E_OPT_LEN);
	assert_int_equal(t_parse_opts(router5, sizeof router5, &m),
	    DHCP_E_OPT_LEN);
	assert_int_equal(t_parse_opts(dns6, sizeof dns6, &m), DHCP_E_OPT_LEN);
	assert_int_equal(t_parse_opts(lease2, sizeof lease2, &m),
	    DHCP_E_OPT_LEN);
	assert_int_equal(t_parse_opts(t1, sizeof t1, &m), DHCP_E_OPT_LEN);
	assert_int_equal(t_parse_opts(sid8, sizeof sid8, &m), DHCP_E_OPT_LEN);
	assert_int_equal(t_parse_opts(type0, sizeof type0, &m),
	    DHCP_E_MSG_TYPE);
	assert_int_equal(t_parse_opts(types, sizeof types, &m),
	    DHCP_E_MSG_TYPE);
	for (unsigned t = 9; t < 256; t += 41) {
		types[2] = (uint8_t)t;
		assert_int_equal(t_parse_opts(types, sizeof types, &m),
		    DHCP_E_MSG_TYPE);
	}
	/* An empty router option is no router. */
	assert_int_equal(t_parse_opts(router0, sizeof router0, &m), DHCP_OK);
	assert_false(m.has & DHCP_HAS_ROUTER);
	assert_int_equal(t_parse_opts(ok, sizeof ok, &m), DHCP_OK);
	assert_int_equal(m.type, DHCP_OFFER);
	assert_int_equal(m.router, 0x0a000001u);   /* the first router */
	assert_int_equal(m.mask, 0xffffff00u);
	assert_int_equal(m.t1_s, 10);
	assert_int_equal(m.t2_s, 20);
	assert_int_equal(m.lease_s, 30);
	assert_int_equal(m.has, DHCP_HAS_ROUTER | DHCP_HAS_MASK |
	    DHCP_HAS_T1 | DHCP_HAS_T2 | DHCP_HAS_LEASE);
}

static void
test_overload(void **state)
{
	struct dhcp_msg m;
	uint8_t f[T_MAX];
	size_t len;
	/* 12 in three pieces: options, then file, then sname. */
	uint8_t opts[] = { 53, 1, 1, 52, 1, 3, 12, 1, 'a', 255 };
	uint8_t file[] = { 12, 1, 'b', 0, 50, 4, 10, 0, 0, 7, 255 };
	uint8_t sname[] = { 12, 1, 'c', 255 };

	(void)state;
	len = t_raw(f, opts, sizeof opts);
	memcpy(f + T_FILE, file, sizeof file);
	memcpy(f + T_SNAME, sname, sizeof sname);
	t_fix(f, T_L3);
	assert_int_equal(dhcp_parse(f, len, &m), DHCP_OK);
	assert_int_equal(m.overload, 3);
	assert_true(m.has & DHCP_HAS_OVERLOAD);
	assert_int_equal(m.hostname_len, 3);
	assert_memory_equal(m.hostname, "abc", 3);
	assert_int_equal(m.req_ip, 0x0a000007u);

	/* File only: sname is a name, not options. */
	f[T_OPT + 5] = 1;
	t_fix(f, T_L3);
	assert_int_equal(dhcp_parse(f, len, &m), DHCP_OK);
	assert_int_equal(m.hostname_len, 2);
	/* Sname only. */
	f[T_OPT + 5] = 2;
	t_fix(f, T_L3);
	assert_int_equal(dhcp_parse(f, len, &m), DHCP_OK);
	assert_int_equal(m.hostname_len, 2);
	assert_memory_equal(m.hostname, "ac", 2);
	assert_false(m.has & DHCP_HAS_REQ_IP);
	/* Values other than 1..3. */
	f[T_OPT + 5] = 0;
	t_fix(f, T_L3);
	assert_int_equal(dhcp_parse(f, len, &m), DHCP_E_OVERLOAD);
	f[T_OPT + 5] = 4;
	t_fix(f, T_L3);
	assert_int_equal(dhcp_parse(f, len, &m), DHCP_E_OVERLOAD);
	/* An overrun in the file field. */
	f[T_OPT + 5] = 1;
	f[T_FILE + 127] = 12;
	memset(f + T_FILE + 4, 0, 123);
	t_fix(f, T_L3);
	assert_int_equal(dhcp_parse(f, len, &m), DHCP_E_OPT_OVERRUN);
	/* Overload said again from the file field. */
	memcpy(f + T_FILE, "\x34\x01\x01\xff", 4);
	f[T_FILE + 127] = 0;
	t_fix(f, T_L3);
	assert_int_equal(dhcp_parse(f, len, &m), DHCP_E_OVERLOAD);
	/* The count is over all fields: 101 in options and 27 in file
	 * make the most; one more in file is a bomb. */
	{
		uint8_t many[3 + 3 + 2 * 99 + 1];
		size_t n = 0;
		many[n++] = 53, many[n++] = 1, many[n++] = 1;
		many[n++] = 52, many[n++] = 1, many[n++] = 1;
		for (unsigned i = 0; i < 99; i++)
			many[n++] = 77, many[n++] = 0;
		many[n++] = 255;
		len = t_raw(f, many, n);
		for (unsigned i = 0; i < 27; i++)
			f[T_FILE + 2 * i] = 78, f[T_FILE + 2 * i + 1] = 0;
		f[T_FILE + 54] = 255;
		t_fix(f, T_L3);
		assert_int_equal(dhcp_parse(f, len, &m), DHCP_OK);
		f[T_FILE + 54] = 78;
		f[T_FILE + 55] = 0;
		f[T_FILE + 56] = 255;
		t_fix(f, T_L3);
		assert_int_equal(dhcp_parse(f, len, &m), DHCP_E_OPT_COUNT);
	}
	/* Without overload, options-like bytes in file mean nothing. */
	{
		uint8_t plain[] = { 53, 1, 1, 255 };
		len = t_raw(f, plain, sizeof plain);
		memcpy(f + T_FILE, file, sizeof file);
		t_fix(f, T_L3);
		assert_int_equal(dhcp_parse(f, len, &m), DHCP_OK);
		assert_int_equal(m.hostname_len, 0);
	}
}

static void
test_names(void **state)
{
	(void)state;
	for (int e = 0; e < DHCP_E_NREASONS; e++) {
		assert_non_null(dhcp_err_name(e));
		assert_string_not_equal(dhcp_err_name(e), "?");
		for (int g = 0; g < e; g++)
			assert_string_not_equal(dhcp_err_name(e),
			    dhcp_err_name(g));
	}
	assert_string_equal(dhcp_err_name(DHCP_E_NREASONS), "?");
	assert_string_equal(dhcp_type_name(DHCP_DISCOVER), "DISCOVER");
	assert_string_equal(dhcp_type_name(DHCP_INFORM), "INFORM");
	assert_string_equal(dhcp_type_name(9), "?");
}

static void
test_ip_text(void **state)
{
	char s[DHCP_IP_STR];
	uint32_t ip;
	const char *bad[] = { "", "1.2.3", "1.2.3.4.", "1.2.3.4.5", "256.0.0.1",
	    "01.2.3.4", "1.2.3.-4", " 1.2.3.4", "1.2.3.4 ", "1..3.4", "a.b.c.d",
	    "1.2.3.1000", "1.2.3.0x1" };

	(void)state;
	dhcp_format_ip(0x0a000064u, s);
	assert_string_equal(s, "10.0.0.100");
	dhcp_format_ip(0xffffffffu, s);
	assert_string_equal(s, "255.255.255.255");
	assert_int_equal(dhcp_parse_ip("10.0.0.100", &ip), 0);
	assert_int_equal(ip, 0x0a000064u);
	assert_int_equal(dhcp_parse_ip("0.0.0.0", &ip), 0);
	assert_int_equal(ip, 0);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(dhcp_parse_ip(bad[i], &ip), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_request),
		cmocka_unit_test(test_roundtrip_reply_vlan),
		cmocka_unit_test(test_roundtrip_max),
		cmocka_unit_test(test_build_refuses),
		cmocka_unit_test(test_not_dhcp),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_ip_header),
		cmocka_unit_test(test_fragment),
		cmocka_unit_test(test_checksums),
		cmocka_unit_test(test_udp_len),
		cmocka_unit_test(test_bootp_header),
		cmocka_unit_test(test_pad_end),
		cmocka_unit_test(test_overrun),
		cmocka_unit_test(test_option_bomb),
		cmocka_unit_test(test_repeats),
		cmocka_unit_test(test_option_lengths),
		cmocka_unit_test(test_overload),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_ip_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
