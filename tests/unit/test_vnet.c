/*
 * test_vnet.c: offloads undone: TCP and UDP super-frames over IPv4 and
 * IPv6, tagged and not, cut into frames that each check out on their own;
 * partial checksums completed; frames captured from a veth; every way a
 * frame and its metadata can disagree refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bytes.h"
#include "vnet.h"

#define T_MAXSEG     128u
#define T_TCP        6u
#define T_UDP        17u
#define T_SCTP       132u
#define T_FIN        0x01u
#define T_SYN        0x02u
#define T_PSH        0x08u
#define T_ACK        0x10u
#define T_CWR        0x80u
#define T_ECE        0x40u
#define T_GARBAGE    0xdeadu   /* a checksum field nobody should read */

static uint8_t t_scratch[VNET_FRAME_MAX];

/* What t_build makes. */
struct t_spec {
	int v6;
	uint8_t proto;           /* T_TCP, T_UDP or T_SCTP */
	unsigned ntags;
	uint16_t tpid[2];
	size_t ipopt;            /* IPv4 option bytes, a multiple of 4 */
	size_t tcpopt;           /* TCP option bytes, a multiple of 4 */
	size_t payload;
	uint8_t tcpflags;
	uint32_t seq;
	uint16_t ipid;
	int partial;             /* L4 field: pseudo-header sum, or garbage */
};

/* Where t_build put things. */
struct t_hdrs {
	size_t l3, l4, hl, len;
};

/* What out was handed. */
struct t_out {
	uint8_t *f[T_MAXSEG];
	size_t len[T_MAXSEG];
	const uint8_t *first;    /* the pointer of the first call */
	unsigned n;
	unsigned stop_at;        /* return nonzero on this call (1-based) */
};

/* The ones' complement sum, one 16-bit word at a time, folded as it goes. */
static uint32_t
t_sum(const uint8_t *p, size_t len, uint32_t s)
{
	for (size_t i = 0; i < len; i += 2) {
		s += (uint32_t)p[i] << 8 | (i + 1 < len ? p[i + 1] : 0);
		if (s > 0xffff)
			s -= 0xffff;
	}
	return s;
}

/* CRC32c bit by bit, straight from its definition. */
static uint32_t
t_crc32c(const uint8_t *p, size_t len)
{
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < len; i++) {
		c ^= p[i];
		for (int b = 0; b < 8; b++)
			c = c & 1 ? c >> 1 ^ 0x82f63b78u : c >> 1;
	}
	return ~c;
}

/* The pseudo-header's sum for l4len bytes of transport after l3. */
static uint32_t
t_pseudo(const uint8_t *f, size_t l3, int v6, uint8_t proto, size_t l4len)
{
	uint8_t ph[40];

	memset(ph, 0, sizeof ph);
	if (v6) {
		memcpy(ph, f + l3 + 8, 32);
		be32_put(ph + 32, (uint32_t)l4len);
		ph[39] = proto;
		return t_sum(ph, sizeof ph, 0);
	}
	memcpy(ph, f + l3 + 12, 8);
	ph[9] = proto;
	be16_put(ph + 10, (uint16_t)l4len);
	return t_sum(ph, 12, 0);
}

static uint8_t
t_pattern(size_t i)
{
	return (uint8_t)(i * 131u + i / 251u + 7u);
}

/*
 * A frame as spec says, with a valid IPv4 header checksum and the L4
 * checksum field as the kernel leaves a partial one (or garbage).
 */
static void
t_build(const struct t_spec *sp, uint8_t *f, struct t_hdrs *h)
{
	static const uint8_t macs[12] = {
		0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01,
	};
	size_t off = 12, l4len, i;

	memcpy(f, macs, sizeof macs);
	for (i = 0; i < sp->ntags; i++) {
		be16_put(f + off, sp->tpid[i]);
		be16_put(f + off + 2, (uint16_t)(100 + i));
		off += 4;
	}
	be16_put(f + off, sp->v6 ? 0x86dd : 0x0800);
	h->l3 = off + 2;
	h->l4 = h->l3 + (sp->v6 ? 40 : 20 + sp->ipopt);
	if (sp->proto == T_TCP)
		h->hl = h->l4 + 20 + sp->tcpopt;
	else if (sp->proto == T_UDP)
		h->hl = h->l4 + 8;
	else
		h->hl = h->l4 + 12;
	h->len = h->hl + sp->payload;
	l4len = h->len - h->l4;

	if (sp->v6) {
		uint8_t *ip = f + h->l3;
		memset(ip, 0, 40);
		ip[0] = 0x60;
		be16_put(ip + 4, (uint16_t)(h->len - h->l3 - 40));
		ip[6] = sp->proto;
		ip[7] = 64;
		ip[8] = 0xfd;
		ip[23] = 1;
		ip[24] = 0xfd;
		ip[39] = 2;
	} else {
		uint8_t *ip = f + h->l3;
		memset(ip, 0, 20);
		ip[0] = (uint8_t)(0x40 | (20 + sp->ipopt) / 4);
		be16_put(ip + 2, (uint16_t)(h->len - h->l3));
		be16_put(ip + 4, sp->ipid);
		be16_put(ip + 6, 0x4000);
		ip[8] = 64;
		ip[9] = sp->proto;
		ip[12] = 10;
		ip[15] = 1;
		ip[16] = 10;
		ip[19] = 2;
		memset(ip + 20, 0x01, sp->ipopt);
		be16_put(ip + 10, (uint16_t)~t_sum(ip, 20 + sp->ipopt, 0));
	}
	for (i = 0; i < sp->payload; i++)
		f[h->hl + i] = t_pattern(i);

	if (sp->proto == T_TCP) {
		uint8_t *th = f + h->l4;
		memset(th, 0, 20);
		be16_put(th, 40000);
		be16_put(th + 2, 5000);
		be32_put(th + 4, sp->seq);
		be32_put(th + 8, 0x01020304);
		th[12] = (uint8_t)((20 + sp->tcpopt) / 4 << 4);
		th[13] = sp->tcpflags;
		be16_put(th + 14, 0xfff0);
		memset(th + 20, 0x01, sp->tcpopt);
		be16_put(th + 16, sp->partial ? (uint16_t)t_pseudo(f, h->l3,
		    sp->v6, T_TCP, l4len) : T_GARBAGE);
	} else if (sp->proto == T_UDP) {
		uint8_t *uh = f + h->l4;
		be16_put(uh, 40001);
		be16_put(uh + 2, 6000);
		be16_put(uh + 4, (uint16_t)l4len);
		be16_put(uh + 6, sp->partial ? (uint16_t)t_pseudo(f, h->l3,
		    sp->v6, T_UDP, l4len) : T_GARBAGE);
	} else {
		/* SCTP: ports, tag, a zero checksum, then chunks */
		uint8_t *sh = f + h->l4;
		memset(sh, 0, 12);
		be16_put(sh, 40002);
		be16_put(sh + 2, 7000);
		be32_put(sh + 4, 0xcafef00d);
	}
}

static struct vnet_meta
t_meta_gso(const struct t_spec *sp, const struct t_hdrs *h, uint8_t type,
    uint16_t mss)
{
	struct vnet_meta m = {
		.flags = VNET_F_NEEDS_CSUM, .gso_type = type,
		.hdr_len = (uint16_t)h->hl, .gso_size = mss,
		.csum_start = (uint16_t)h->l4,
		.csum_offset = sp->proto == T_TCP ? 16 : 6,
	};
	return m;
}

static int
t_collect(void *arg, const uint8_t *f, size_t len)
{
	struct t_out *o = arg;

	assert_true(o->n < T_MAXSEG);
	assert_true(len <= VNET_FRAME_MAX);
	if (o->n == 0)
		o->first = f;
	o->f[o->n] = malloc(len);
	assert_non_null(o->f[o->n]);
	memcpy(o->f[o->n], f, len);
	o->len[o->n] = len;
	o->n++;
	return o->n == o->stop_at ? -1 : 0;
}

static void
t_out_free(struct t_out *o)
{
	for (unsigned i = 0; i < o->n; i++)
		free(o->f[i]);
	memset(o, 0, sizeof *o);
}

/*
 * The segments in out against the super-frame o they came from, each on
 * its own: headers copied but for what must change, lengths, IPv4 ID and
 * header checksum, sequence numbers and flags, full L4 checksums over the
 * pseudo-header, and the payloads adding up to the original.
 */
static void
t_verify(const uint8_t *o, const struct t_out *out, size_t mss)
{
	size_t l3 = 12, l4, hl, end, payload, nseg;
	uint8_t proto;
	int v6;

	while (be16_get(o + l3) == 0x8100 || be16_get(o + l3) == 0x88a8)
		l3 += 4;
	v6 = be16_get(o + l3) == 0x86dd;
	l3 += 2;
	if (v6) {
		proto = o[l3 + 6];
		l4 = l3 + 40;
		end = l4 + be16_get(o + l3 + 4);
	} else {
		proto = o[l3 + 9];
		l4 = l3 + (size_t)(o[l3] & 0xf) * 4;
		end = l3 + be16_get(o + l3 + 2);
	}
	hl = l4 + (proto == T_TCP ? (size_t)(o[l4 + 12] >> 4) * 4 : 8);
	payload = end - hl;
	nseg = payload == 0 ? 1 : (payload + mss - 1) / mss;
	assert_int_equal(out->n, nseg);

	for (size_t i = 0; i < nseg; i++) {
		const uint8_t *s = out->f[i];
		size_t n = out->len[i];
		size_t seg = payload - i * mss < mss ? payload - i * mss : mss;
		uint8_t *l4copy;
		uint32_t sum;

		assert_int_equal(n, hl + seg);
		assert_memory_equal(s, o, l3);
		if (v6) {
			assert_memory_equal(s + l3, o + l3, 4);
			assert_int_equal(be16_get(s + l3 + 4), n - l3 - 40);
			assert_memory_equal(s + l3 + 6, o + l3 + 6, 34);
		} else {
			assert_int_equal(s[l3], o[l3]);
			assert_int_equal(s[l3 + 1], o[l3 + 1]);
			assert_int_equal(be16_get(s + l3 + 2), n - l3);
			assert_int_equal(be16_get(s + l3 + 4),
			    (uint16_t)(be16_get(o + l3 + 4) + i));
			assert_memory_equal(s + l3 + 6, o + l3 + 6, 4);
			assert_memory_equal(s + l3 + 12, o + l3 + 12,
			    l4 - l3 - 12);
			assert_int_equal(t_sum(s + l3, l4 - l3, 0), 0xffff);
		}

		l4copy = malloc(n - l4);
		assert_non_null(l4copy);
		memcpy(l4copy, s + l4, n - l4);
		sum = t_sum(l4copy, n - l4, t_pseudo(s, l3, v6, proto,
		    n - l4));
		free(l4copy);
		assert_int_equal(sum, 0xffff);

		if (proto == T_TCP) {
			uint8_t want = o[l4 + 13];
			if (i != nseg - 1)
				want &= (uint8_t)~(T_FIN | T_PSH);
			if (i != 0)
				want &= (uint8_t)~T_CWR;
			assert_memory_equal(s + l4, o + l4, 4);
			assert_int_equal(be32_get(s + l4 + 4),
			    (uint32_t)(be32_get(o + l4 + 4) + i * mss));
			assert_memory_equal(s + l4 + 8, o + l4 + 8, 5);
			assert_int_equal(s[l4 + 13], want);
			assert_memory_equal(s + l4 + 14, o + l4 + 14, 2);
			assert_memory_equal(s + l4 + 18, o + l4 + 18,
			    hl - l4 - 18);
		} else {
			assert_memory_equal(s + l4, o + l4, 4);
			assert_int_equal(be16_get(s + l4 + 4), n - l4);
			assert_int_not_equal(be16_get(s + l4 + 6), 0);
		}
		assert_memory_equal(s + hl, o + hl + i * mss, seg);
	}
}

/* Build, segment, verify. */
static void
t_gso_case(const struct t_spec *sp, uint8_t type, uint16_t mss)
{
	uint8_t *f = malloc(VNET_FRAME_MAX), *o = malloc(VNET_FRAME_MAX);
	struct t_out out = { .n = 0 };
	struct vnet_meta m;
	struct t_hdrs h;

	assert_non_null(f);
	assert_non_null(o);
	t_build(sp, f, &h);
	memcpy(o, f, h.len);
	m = t_meta_gso(sp, &h, type, mss);
	assert_int_equal(vnet_frame(&m, 0, f, h.len, t_scratch, t_collect,
	    &out), VNET_OK);
	t_verify(o, &out, mss);
	t_out_free(&out);
	free(f);
	free(o);
}

static void
test_csum_helper(void **state)
{
	/* RFC 1071's example: the sum is ddf2. */
	static const uint8_t rfc[] = {
		0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7,
	};
	static const uint8_t odd[] = { 0x12, 0x34, 0x56 };
	uint8_t buf[10];

	assert_int_equal(vnet_csum(rfc, sizeof rfc, 0), 0x220d);
	assert_int_equal(vnet_csum(rfc, 4, t_sum(rfc + 4, 4, 0)), 0x220d);
	/* An odd byte counts as the high half of a word. */
	assert_int_equal(vnet_csum(odd, sizeof odd, 0),
	    (uint16_t)~(0x1234 + 0x5600));
	/* With its checksum in, a range sums to zero. */
	memcpy(buf, rfc, sizeof rfc);
	be16_put(buf + 8, 0x220d);
	assert_int_equal(vnet_csum(buf, sizeof buf, 0), 0);
	assert_int_equal(vnet_csum(NULL, 0, 0), 0xffff);
	/* The carries of a long run of ones fold back in. */
	memset(buf, 0xff, sizeof buf);
	assert_int_equal(vnet_csum(buf, sizeof buf, 0xffffu), 0);
	assert_int_equal(t_crc32c((const uint8_t *)"123456789", 9),
	    0xe3069283u);
}

static void
test_meta(void **state)
{
	uint8_t p[VNET_HDR_LEN] = { 1, 0x81, 0x42, 0, 0xa8, 0x05, 0x22, 0,
	    0x10, 0 };
	struct vnet_meta m;

	vnet_meta_get(p, &m);
	assert_int_equal(m.flags, 1);
	assert_int_equal(m.gso_type, 0x81);
	assert_int_equal(m.hdr_len, 0x42);
	assert_int_equal(m.gso_size, 1448);
	assert_int_equal(m.csum_start, 34);
	assert_int_equal(m.csum_offset, 16);
	vnet_meta_put_none(p);
	for (size_t i = 0; i < sizeof p; i++)
		assert_int_equal(p[i], 0);
}

static void
test_tcp4(void **state)
{
	struct t_spec sp = {
		.proto = T_TCP, .payload = 3500, .seq = 0xfffff000,
		.ipid = 0xfffe, .tcpflags = T_ACK | T_PSH | T_FIN | T_CWR |
		    T_ECE,
	};

	/* 3.5 segments; the sequence number and the ID wrap on the way. */
	t_gso_case(&sp, VNET_GSO_TCPV4, 1000);
	/* Options in both headers go into every segment. */
	sp.ipopt = 8;
	sp.tcpopt = 12;
	t_gso_case(&sp, VNET_GSO_TCPV4, 1000);
	/* ECN is a flag beside the type. */
	t_gso_case(&sp, VNET_GSO_TCPV4 | VNET_GSO_ECN, 1000);
	/* The biggest: 64 KiB, IPv4's limit. */
	sp.payload = 65535 - 20 - 8 - 20 - 12;
	t_gso_case(&sp, VNET_GSO_TCPV4, 1448);
	/* A tiny MSS. */
	sp.payload = 50;
	t_gso_case(&sp, VNET_GSO_TCPV4, 1);
}

static void
test_tcp6(void **state)
{
	struct t_spec sp = {
		.v6 = 1, .proto = T_TCP, .payload = 3500, .tcpopt = 12,
		.seq = 12345, .tcpflags = T_ACK | T_PSH | T_CWR,
	};

	t_gso_case(&sp, VNET_GSO_TCPV6, 1000);
	/* The biggest frame taken. */
	sp.payload = VNET_FRAME_MAX - 14 - 40 - 32;
	t_gso_case(&sp, VNET_GSO_TCPV6 | VNET_GSO_ECN, 1440);
}

static void
test_udp(void **state)
{
	struct t_spec sp = { .proto = T_UDP, .payload = 3500 };

	t_gso_case(&sp, VNET_GSO_UDP_L4, 1000);
	sp.ipopt = 4;
	t_gso_case(&sp, VNET_GSO_UDP_L4, 1472);
	sp.v6 = 1;
	t_gso_case(&sp, VNET_GSO_UDP_L4, 1000);
	sp.payload = VNET_FRAME_MAX - 14 - 40 - 8;
	t_gso_case(&sp, VNET_GSO_UDP_L4, 1452);
}

/* Not more payload than one segment: one frame, checksums completed. */
static void
test_one_segment(void **state)
{
	struct t_spec sp = {
		.proto = T_TCP, .payload = 1000, .tcpflags = T_ACK | T_FIN,
	};

	t_gso_case(&sp, VNET_GSO_TCPV4, 1000);
	t_gso_case(&sp, VNET_GSO_TCPV4, 0xffff);
	sp.payload = 0;
	t_gso_case(&sp, VNET_GSO_TCPV4, 1000);
	sp.proto = T_UDP;
	sp.v6 = 1;
	sp.payload = 10;
	t_gso_case(&sp, VNET_GSO_UDP_L4, 1000);
}

/* A tag the kernel took off, put back: the metadata moves by 4 bytes. */
static void
t_tagged(const struct t_spec *inner, uint16_t tpid, uint8_t type,
    uint16_t mss)
{
	uint8_t *buf = malloc(4 + VNET_FRAME_MAX), *o = malloc(VNET_FRAME_MAX);
	uint8_t *f = buf + 4;
	struct t_spec outer = *inner;
	struct t_out out = { .n = 0 };
	struct vnet_meta m;
	struct t_hdrs h, ho;
	size_t len;

	assert_non_null(buf);
	assert_non_null(o);
	t_build(inner, f, &h);
	m = t_meta_gso(inner, &h, type, mss);
	len = h.len;
	assert_int_equal(vnet_vlan_insert(&f, &len, tpid, 100), 0);
	assert_ptr_equal(f, buf);
	assert_int_equal(len, h.len + 4);
	/* What it must be now: the same frame built with the tag outermost. */
	outer.ntags = inner->ntags + 1;
	outer.tpid[0] = tpid;
	outer.tpid[1] = inner->tpid[0];
	t_build(&outer, o, &ho);
	if (inner->ntags > 0)
		be16_put(o + 18, 100);   /* the inner tag's own TCI */
	assert_int_equal(ho.len, len);
	assert_memory_equal(f, o, len);

	assert_int_equal(vnet_frame(&m, 4, f, len, t_scratch, t_collect, &out),
	    VNET_OK);
	t_verify(o, &out, mss);
	/* Without the shift, csum_start points 4 bytes short: refused. */
	t_out_free(&out);
	memcpy(f, o, len);
	assert_int_equal(vnet_frame(&m, 0, f, len, t_scratch, t_collect, &out),
	    VNET_BAD);
	assert_int_equal(out.n, 0);
	free(buf);
	free(o);
}

static void
test_vlan_gso(void **state)
{
	struct t_spec sp = {
		.proto = T_TCP, .payload = 3500, .tcpopt = 12,
		.tcpflags = T_ACK | T_PSH,
	};

	t_tagged(&sp, 0x8100, VNET_GSO_TCPV4, 1000);
	sp.v6 = 1;
	t_tagged(&sp, 0x88a8, VNET_GSO_TCPV6, 1000);
	/* QinQ: an inner 802.1Q tag in the frame, the outer one put back. */
	sp.ntags = 1;
	sp.tpid[0] = 0x8100;
	t_tagged(&sp, 0x88a8, VNET_GSO_TCPV6, 1000);
	sp.proto = T_UDP;
	sp.v6 = 0;
	t_tagged(&sp, 0x88a8, VNET_GSO_UDP_L4, 1000);
}

static void
test_vlan_insert(void **state)
{
	uint8_t buf[4 + 60], orig[60], *f = buf + 4;
	size_t len = 13;

	for (size_t i = 0; i < sizeof orig; i++)
		orig[i] = (uint8_t)(i + 1);
	orig[12] = 0x08;
	orig[13] = 0x00;
	memcpy(f, orig, sizeof orig);
	assert_int_equal(vnet_vlan_insert(&f, &len, 0x8100, 0x2064), -1);
	assert_ptr_equal(f, buf + 4);
	assert_int_equal(len, 13);

	len = sizeof orig;
	assert_int_equal(vnet_vlan_insert(&f, &len, 0x8100, 0x2064), 0);
	assert_ptr_equal(f, buf);
	assert_int_equal(len, sizeof orig + 4);
	assert_memory_equal(f, orig, 12);
	assert_int_equal(be16_get(f + 12), 0x8100);
	assert_int_equal(be16_get(f + 14), 0x2064);
	assert_int_equal(be16_get(f + 16), 0x0800);
	assert_memory_equal(f + 16, orig + 12, sizeof orig - 12);
}

/* A plain frame with a partial checksum: completed in place, handed as is. */
static void
t_plain(const struct t_spec *sp, uint16_t off)
{
	uint8_t f[2048], o[2048];
	struct t_out out = { .n = 0 };
	struct vnet_meta m = { .flags = VNET_F_NEEDS_CSUM };
	struct t_hdrs h;

	t_build(sp, f, &h);
	memcpy(o, f, h.len);
	m.csum_start = (uint16_t)h.l4;
	m.csum_offset = off;
	assert_int_equal(vnet_frame(&m, 0, f, h.len, t_scratch, t_collect,
	    &out), VNET_OK);
	assert_int_equal(out.n, 1);
	assert_ptr_equal(out.first, f);
	assert_int_equal(out.len[0], h.len);
	/* Only the checksum field changed. */
	assert_memory_equal(f, o, h.l4 + off);
	assert_memory_equal(f + h.l4 + off + 2, o + h.l4 + off + 2,
	    h.len - h.l4 - off - 2);
	if (sp->proto != T_SCTP)
		assert_int_equal(t_sum(f + h.l4, h.len - h.l4, t_pseudo(f,
		    h.l3, sp->v6, sp->proto, h.len - h.l4)), 0xffff);
	t_out_free(&out);
}

static void
test_plain_csum(void **state)
{
	struct t_spec sp = {
		.proto = T_TCP, .payload = 333, .tcpflags = T_ACK | T_PSH,
		.partial = 1,
	};

	t_plain(&sp, 16);
	sp.v6 = 1;
	t_plain(&sp, 16);
	sp.proto = T_UDP;
	t_plain(&sp, 6);
	sp.v6 = 0;
	sp.ntags = 2;
	sp.tpid[0] = 0x88a8;
	sp.tpid[1] = 0x8100;
	t_plain(&sp, 6);
}

/* A UDP checksum that comes out 0 is sent as ffff (0 means "none"). */
static void
test_udp_zero(void **state)
{
	struct t_spec sp = { .proto = T_UDP, .payload = 64, .partial = 1 };
	uint8_t f[256];
	struct t_out out = { .n = 0 };
	struct vnet_meta m = { .flags = VNET_F_NEEDS_CSUM };
	struct t_hdrs h;
	uint32_t s;

	t_build(&sp, f, &h);
	/* The last payload word makes the whole sum ffff. */
	be16_put(f + h.len - 2, 0);
	s = t_sum(f + h.l4, h.len - h.l4, 0);
	be16_put(f + h.len - 2, (uint16_t)~s);
	m.csum_start = (uint16_t)h.l4;
	m.csum_offset = 6;
	assert_int_equal(vnet_frame(&m, 0, f, h.len, t_scratch, t_collect,
	    &out), VNET_OK);
	assert_int_equal(be16_get(f + h.l4 + 6), 0xffff);
	t_out_free(&out);

	/* The same datagram as a one-segment USO frame. */
	sp.partial = 0;
	t_build(&sp, f, &h);
	be16_put(f + h.len - 2, 0);
	s = t_sum(f + h.l4 + 8, h.len - h.l4 - 8, t_pseudo(f, h.l3, 0,
	    T_UDP, h.len - h.l4));
	s = t_sum(f + h.l4, 6, s);
	be16_put(f + h.len - 2, (uint16_t)~s);
	m = t_meta_gso(&sp, &h, VNET_GSO_UDP_L4, 1000);
	assert_int_equal(vnet_frame(&m, 0, f, h.len, t_scratch, t_collect,
	    &out), VNET_OK);
	assert_int_equal(out.n, 1);
	assert_int_equal(be16_get(out.f[0] + h.l4 + 6), 0xffff);
	t_out_free(&out);
}

/* SCTP's partial checksum is a CRC32c, little endian, over a zero field. */
static void
test_sctp(void **state)
{
	struct t_spec sp = { .proto = T_SCTP, .payload = 100 };
	uint8_t f[256];
	struct t_out out = { .n = 0 };
	struct vnet_meta m = { .flags = VNET_F_NEEDS_CSUM, .csum_offset = 8 };
	struct t_hdrs h;
	uint32_t crc;

	t_build(&sp, f, &h);
	crc = t_crc32c(f + h.l4, h.len - h.l4);
	/* Whatever was in the field does not count. */
	memset(f + h.l4 + 8, 0xa5, 4);
	m.csum_start = (uint16_t)h.l4;
	assert_int_equal(vnet_frame(&m, 0, f, h.len, t_scratch, t_collect,
	    &out), VNET_OK);
	assert_int_equal(f[h.l4 + 8], (uint8_t)crc);
	assert_int_equal(f[h.l4 + 9], (uint8_t)(crc >> 8));
	assert_int_equal(f[h.l4 + 10], (uint8_t)(crc >> 16));
	assert_int_equal(f[h.l4 + 11], (uint8_t)(crc >> 24));
	t_out_free(&out);
	sp.v6 = 1;
	t_build(&sp, f, &h);
	crc = t_crc32c(f + h.l4, h.len - h.l4);
	m.csum_start = (uint16_t)h.l4;
	assert_int_equal(vnet_frame(&m, 0, f, h.len, t_scratch, t_collect,
	    &out), VNET_OK);
	assert_int_equal(f[h.l4 + 8], (uint8_t)crc);
	assert_int_equal(f[h.l4 + 11], (uint8_t)(crc >> 24));
	t_out_free(&out);
}

/* No offload: handed as is, whatever it is. */
static void
test_plain(void **state)
{
	uint8_t f[60], o[60];
	struct t_out out = { .n = 0 };
	struct vnet_meta m = { .flags = 0 };

	for (size_t i = 0; i < sizeof f; i++)
		f[i] = (uint8_t)(i * 3);
	memcpy(o, f, sizeof f);
	assert_int_equal(vnet_frame(&m, 0, f, sizeof f, t_scratch, t_collect,
	    &out), VNET_OK);
	assert_int_equal(out.n, 1);
	assert_ptr_equal(out.first, f);
	assert_memory_equal(f, o, sizeof f);
	t_out_free(&out);
	out.stop_at = 1;
	assert_int_equal(vnet_frame(&m, 0, f, sizeof f, t_scratch, t_collect,
	    &out), VNET_STOPPED);
	t_out_free(&out);
}

static size_t
t_hex(const char *s, uint8_t *out)
{
	size_t n = 0;

	for (; s[0] != '\0' && s[1] != '\0'; s += 2) {
		char b[3] = { s[0], s[1], '\0' };
		out[n++] = (uint8_t)strtoul(b, NULL, 16);
	}
	return n;
}

/*
 * Captured on a veth (Linux 6.18, PACKET_VNET_HDR): the header, then the
 * frame. A 5-byte TCP segment whose checksum field holds the pseudo-header
 * sum 1440; its full checksum is 81c5.
 */
static const char t_cap_small[] =
	"01000000000022001000b243d63360e12e087e7d3bc908004500003"
	"9fe0f40004006289b0a0900010a0900028af213884e46e822abff1f"
	"7080180040144000000101080a43528a76e1594d4e68656c6c6f";

/* 350 bytes at an MSS of 88 (timestamps on), PSH: four segments. */
static const char t_cap_tso[] =
	"01014200580022001000b243d63360e12e087e7d3bc9080045000192fe104000"
	"400627410a0900010a0900028af213884e46e827abff1f708018004015990000"
	"0101080a43528b3ee1594e17030a11181f262d343b424950575e656c737a8188"
	"8f969da4abb2b9c0c7ced5dce3eaf1f8ff060d141b222930373e454c535a6168"
	"6f767d848b9299a0a7aeb5bcc3cad1d8dfe6edf4fb020910171e252c333a4148"
	"4f565d646b727980878e959ca3aab1b8bfc6cdd4dbe2e9f0f7fe050c131a2128"
	"2f363d444b525960676e757c838a91989fa6adb4bbc2c9d0d7dee5ecf3fa0108"
	"0f161d242b323940474e555c636a71787f868d949ba2a9b0b7bec5ccd3dae1e8"
	"eff6fd040b121920272e353c434a51585f666d747b828990979ea5acb3bac1c8"
	"cfd6dde4ebf2f900070e151c232a31383f464d545b626970777e858c939aa1a8"
	"afb6bdc4cbd2d9e0e7eef5fc030a11181f262d343b424950575e656c737a8188"
	"8f969da4abb2b9c0c7ced5dce3eaf1f8ff060d141b222930373e454c535a6168"
	"6f767d848b9299a0a7aeb5bcc3cad1d8dfe6edf4fb020910171e252c333a4148"
	"4f565d646b727980878e";

static void
test_captured(void **state)
{
	uint8_t buf[512], o[512];
	struct t_out out = { .n = 0 };
	struct vnet_meta m;
	size_t n;

	n = t_hex(t_cap_small, buf) - VNET_HDR_LEN;
	vnet_meta_get(buf, &m);
	assert_int_equal(m.flags, VNET_F_NEEDS_CSUM);
	assert_int_equal(m.gso_type, VNET_GSO_NONE);
	assert_int_equal(m.csum_start, 34);
	assert_int_equal(m.csum_offset, 16);
	assert_int_equal(be16_get(buf + VNET_HDR_LEN + 34 + 16), 0x1440);
	assert_int_equal(vnet_frame(&m, 0, buf + VNET_HDR_LEN, n, t_scratch,
	    t_collect, &out), VNET_OK);
	assert_int_equal(be16_get(buf + VNET_HDR_LEN + 34 + 16), 0x81c5);
	t_out_free(&out);

	n = t_hex(t_cap_tso, buf) - VNET_HDR_LEN;
	vnet_meta_get(buf, &m);
	assert_int_equal(m.gso_type, VNET_GSO_TCPV4);
	assert_int_equal(m.gso_size, 88);
	assert_int_equal(m.hdr_len, 66);
	memcpy(o, buf + VNET_HDR_LEN, n);
	assert_int_equal(vnet_frame(&m, 0, buf + VNET_HDR_LEN, n, t_scratch,
	    t_collect, &out), VNET_OK);
	assert_int_equal(out.n, 4);
	assert_int_equal(out.len[3], 66 + 350 - 3 * 88);
	t_verify(o, &out, 88);
	t_out_free(&out);
}

/* out says stop at the second segment: exactly two calls. */
static void
test_stopped(void **state)
{
	struct t_spec sp = { .proto = T_TCP, .payload = 3500 };
	uint8_t *f = malloc(VNET_FRAME_MAX);
	struct t_out out = { .stop_at = 2 };
	struct vnet_meta m;
	struct t_hdrs h;

	assert_non_null(f);
	t_build(&sp, f, &h);
	m = t_meta_gso(&sp, &h, VNET_GSO_TCPV4, 1000);
	assert_int_equal(vnet_frame(&m, 0, f, h.len, t_scratch, t_collect,
	    &out), VNET_STOPPED);
	assert_int_equal(out.n, 2);
	t_out_free(&out);
	free(f);
}

/* vnet_frame must say VNET_BAD and hand nothing. */
static void
t_bad(const struct vnet_meta *m, size_t shift, uint8_t *f, size_t len)
{
	struct t_out out = { .n = 0 };

	assert_int_equal(vnet_frame(m, shift, f, len, t_scratch, t_collect,
	    &out), VNET_BAD);
	assert_int_equal(out.n, 0);
}

static void
test_reject(void **state)
{
	struct t_spec sp = { .proto = T_TCP, .payload = 3000 };
	uint8_t *f = malloc(VNET_FRAME_MAX + 1), *o = malloc(VNET_FRAME_MAX);
	struct vnet_meta m, g, nc;
	struct t_hdrs h;
	size_t cut, len;
	uint8_t *p;

	assert_non_null(f);
	assert_non_null(o);
	t_build(&sp, o, &h);
	g = t_meta_gso(&sp, &h, VNET_GSO_TCPV4, 1000);
	/* What is wrong must be seen without the partial checksum's position
	 * giving it away. */
	nc = g;
	nc.flags = 0;

	/* gso_size 0. */
	memcpy(f, o, h.len);
	m = nc;
	m.gso_size = 0;
	t_bad(&m, 0, f, h.len);
	/* UFO, and types nobody defined. */
	m = nc;
	for (unsigned t = 2; t < 0x80; t++) {
		if (t == VNET_GSO_TCPV4 || t == VNET_GSO_TCPV6 ||
		    t == VNET_GSO_UDP_L4)
			continue;
		m.gso_type = (uint8_t)t;
		t_bad(&m, 0, f, h.len);
	}
	/* The wrong family or transport for the type. */
	m = nc;
	m.gso_type = VNET_GSO_TCPV6;
	t_bad(&m, 0, f, h.len);
	m.gso_type = VNET_GSO_UDP_L4;
	t_bad(&m, 0, f, h.len);
	/* The partial checksum somewhere else than the TCP header's. */
	m = g;
	m.csum_start++;
	t_bad(&m, 0, f, h.len);
	m = g;
	m.csum_offset = 6;
	t_bad(&m, 0, f, h.len);
	/* hdr_len beyond the frame; a shift that is no tag. */
	m = g;
	m.hdr_len = (uint16_t)(h.len + 1);
	t_bad(&m, 0, f, h.len);
	t_bad(&g, 2, f, h.len);
	/* Every truncation of the frame. */
	for (cut = 0; cut < h.len; cut++) {
		memcpy(f, o, h.len);
		t_bad(&g, 0, f, cut);
		t_bad(&nc, 0, f, cut);
	}
	/* Too big, even if consistent. */
	memset(f, 0, VNET_FRAME_MAX + 1);
	memcpy(f, o, h.len);
	t_bad(&g, 0, f, VNET_FRAME_MAX + 1);
	/* Not IP: ARP. */
	memcpy(f, o, h.len);
	be16_put(f + 12, 0x0806);
	t_bad(&nc, 0, f, h.len);
	/* IPv4: IHL under 5, past the total length, a fragment, version. */
	memcpy(f, o, h.len);
	f[14] = 0x44;
	f[14 + 16 + 12] = 0x50;   /* a TCP header there would look right */
	t_bad(&nc, 0, f, h.len);
	f[14] = 0x4f;
	be16_put(f + 16, 40);
	t_bad(&nc, 0, f, h.len);
	memcpy(f, o, h.len);
	be16_put(f + 16, 0xffff);
	t_bad(&nc, 0, f, h.len);
	memcpy(f, o, h.len);
	be16_put(f + 20, 0x2000);
	t_bad(&nc, 0, f, h.len);
	memcpy(f, o, h.len);
	be16_put(f + 20, 0x0001);
	t_bad(&nc, 0, f, h.len);
	memcpy(f, o, h.len);
	f[14] = 0x65;
	t_bad(&nc, 0, f, h.len);
	/* TCP: data offset under 5, past the end of the packet. */
	memcpy(f, o, h.len);
	f[h.l4 + 12] = 0x40;
	t_bad(&nc, 0, f, h.len);
	memcpy(f, o, h.len);
	f[h.l4 + 12] = 0xf0;
	be16_put(f + 16, (uint16_t)(h.l4 - 14 + 40));
	t_bad(&nc, 0, f, h.len);
	/* A protocol that is not TCP. */
	memcpy(f, o, h.len);
	f[14 + 9] = 47;
	t_bad(&nc, 0, f, h.len);

	/* IPv6: an extension header, no payload length. */
	sp.v6 = 1;
	t_build(&sp, o, &h);
	g = t_meta_gso(&sp, &h, VNET_GSO_TCPV6, 1000);
	nc = g;
	nc.flags = 0;
	memcpy(f, o, h.len);
	f[14 + 6] = 0;
	t_bad(&nc, 0, f, h.len);
	memcpy(f, o, h.len);
	be16_put(f + 14 + 4, 0);
	t_bad(&nc, 0, f, h.len);
	for (cut = 0; cut < h.len; cut++) {
		memcpy(f, o, h.len);
		t_bad(&g, 0, f, cut);
		t_bad(&nc, 0, f, cut);
	}
	/* An IPv6 packet as TCPv4. */
	nc.gso_type = VNET_GSO_TCPV4;
	memcpy(f, o, h.len);
	t_bad(&nc, 0, f, h.len);

	/* UDP under 8 bytes. */
	sp.v6 = 0;
	sp.proto = T_UDP;
	sp.payload = 0;
	t_build(&sp, o, &h);
	nc = t_meta_gso(&sp, &h, VNET_GSO_UDP_L4, 1000);
	nc.flags = 0;
	memcpy(f, o, h.len);
	be16_put(f + 16, 20 + 7);
	t_bad(&nc, 0, f, h.len);

	/* A plain frame's partial checksum beyond it, or in its MACs. */
	sp.proto = T_TCP;
	sp.payload = 100;
	t_build(&sp, o, &h);
	m = (struct vnet_meta){ .flags = VNET_F_NEEDS_CSUM,
	    .csum_start = (uint16_t)h.l4, .csum_offset = 16 };
	memcpy(f, o, h.len);
	m.csum_start = (uint16_t)(h.len + 1);
	t_bad(&m, 0, f, h.len);
	m.csum_start = (uint16_t)h.len;
	m.csum_offset = 0;
	t_bad(&m, 0, f, h.len);
	m.csum_start = (uint16_t)(h.len - 1);
	t_bad(&m, 0, f, h.len);
	m.csum_start = (uint16_t)h.l4;
	m.csum_offset = (uint16_t)(h.len - h.l4 - 1);
	t_bad(&m, 0, f, h.len);
	m.csum_offset = 0xffff;
	t_bad(&m, 0, f, h.len);
	m.csum_offset = 16;
	/* The tag's 4 bytes count. */
	t_bad(&m, 4, f, h.l4 + 4 + 16 + 1);
	m.csum_start = 6;
	t_bad(&m, 0, f, h.len);
	assert_memory_equal(f, o, h.len);
	/* An SCTP CRC needs four bytes, an Internet checksum two. */
	sp.proto = T_SCTP;
	sp.payload = 0;
	t_build(&sp, o, &h);
	memcpy(f, o, h.len);
	be16_put(f + 16, 20 + 10);
	m = (struct vnet_meta){ .flags = VNET_F_NEEDS_CSUM,
	    .csum_start = (uint16_t)h.l4, .csum_offset = 8 };
	t_bad(&m, 0, f, h.len - 2);

	/* Three tags: one more than is looked behind. */
	sp = (struct t_spec){ .proto = T_TCP, .payload = 100, .ntags = 2,
	    .tpid = { 0x88a8, 0x8100 } };
	t_build(&sp, f + 4, &h);
	nc = t_meta_gso(&sp, &h, VNET_GSO_TCPV4, 50);
	nc.flags = 0;
	p = f + 4;
	len = h.len;
	assert_int_equal(vnet_vlan_insert(&p, &len, 0x88a8, 1), 0);
	t_bad(&nc, 0, p, len);
	free(f);
	free(o);
}

/* vnet_undo cuts as vnet_frame does, and never changes the frame it is
 * given (the hub hands one frame to many ports). */
static void
test_undo_const(void **state)
{
	struct t_spec sp = { .proto = T_TCP, .payload = 3500, .partial = 1,
	    .tcpflags = T_ACK | T_PSH };
	uint8_t *f = malloc(VNET_FRAME_MAX), *o = malloc(VNET_FRAME_MAX);
	struct t_out out = { .n = 0 };
	struct vnet_meta m;
	struct t_hdrs h;
	uint32_t sum;

	assert_non_null(f);
	assert_non_null(o);
	t_build(&sp, f, &h);
	memcpy(o, f, h.len);
	m = t_meta_gso(&sp, &h, VNET_GSO_TCPV4, 1448);
	assert_int_equal(vnet_check(&m, f, h.len, 1518), VNET_OK);
	assert_int_equal(vnet_undo(&m, f, h.len, t_scratch, t_collect, &out),
	    VNET_OK);
	t_verify(o, &out, 1448);
	assert_memory_equal(f, o, h.len);
	t_out_free(&out);

	/* A partial checksum alone: completed on a copy. */
	sp.payload = 1000;
	t_build(&sp, f, &h);
	memcpy(o, f, h.len);
	m = (struct vnet_meta){ .flags = VNET_F_NEEDS_CSUM,
	    .csum_start = (uint16_t)h.l4, .csum_offset = 16 };
	assert_int_equal(vnet_check(&m, f, h.len, 1518), VNET_OK);
	assert_int_equal(vnet_undo(&m, f, h.len, t_scratch, t_collect, &out),
	    VNET_OK);
	assert_int_equal(out.n, 1);
	assert_ptr_not_equal(out.first, f);
	assert_memory_equal(f, o, h.len);
	sum = t_sum(out.f[0] + h.l4, h.len - h.l4, t_pseudo(out.f[0], h.l3, 0,
	    T_TCP, h.len - h.l4));
	assert_int_equal(sum, 0xffff);
	t_out_free(&out);

	/* Nothing to undo: the frame itself, once. */
	m = (struct vnet_meta){ 0 };
	assert_int_equal(vnet_undo(&m, f, h.len, t_scratch, t_collect, &out),
	    VNET_OK);
	assert_int_equal(out.n, 1);
	assert_ptr_equal(out.first, f);
	t_out_free(&out);
	free(f);
	free(o);
}

/* What a peer may send as metadata, and what it may not. */
static void
test_check(void **state)
{
	struct t_spec sp = { .proto = T_TCP, .payload = 3500, .partial = 1 };
	uint8_t *f = malloc(VNET_FRAME_MAX);
	struct vnet_meta g, m;
	struct t_hdrs h;

	assert_non_null(f);
	t_build(&sp, f, &h);
	g = t_meta_gso(&sp, &h, VNET_GSO_TCPV4, 1448);
	assert_int_equal(vnet_check(&g, f, h.len, 1518), VNET_OK);
	m = g;
	m.gso_type |= VNET_GSO_ECN;
	assert_int_equal(vnet_check(&m, f, h.len, 1518), VNET_OK);
	/* Segments bigger than an Ethernet frame; an absurd segment size. */
	m = g;
	m.gso_size = 1518 - 54 + 1;	/* headers 54 */
	assert_int_equal(vnet_check(&m, f, h.len, 1518), VNET_BAD);
	m.gso_size = 1518 - 54;
	assert_int_equal(vnet_check(&m, f, h.len, 1518), VNET_OK);
	m.gso_size = VNET_GSO_MIN - 1;
	assert_int_equal(vnet_check(&m, f, h.len, 1518), VNET_BAD);
	m.gso_size = VNET_GSO_MIN;
	assert_int_equal(vnet_check(&m, f, h.len, 1518), VNET_OK);
	/* GSO without the partial checksum marked; a flag a peer may not
	 * set (checksum verified); the wrong type; a type unknown. */
	m = g;
	m.flags = 0;
	assert_int_equal(vnet_check(&m, f, h.len, 1518), VNET_BAD);
	m = g;
	m.flags |= 0x02;
	assert_int_equal(vnet_check(&m, f, h.len, 1518), VNET_BAD);
	m = g;
	m.gso_type = VNET_GSO_TCPV6;
	assert_int_equal(vnet_check(&m, f, h.len, 1518), VNET_BAD);
	m.gso_type = VNET_GSO_UDP;
	assert_int_equal(vnet_check(&m, f, h.len, 1518), VNET_BAD);
	m.gso_type = 9;
	assert_int_equal(vnet_check(&m, f, h.len, 1518), VNET_BAD);
	/* The checksum pointed elsewhere. */
	m = g;
	m.csum_start = 14;
	assert_int_equal(vnet_check(&m, f, h.len, 1518), VNET_BAD);
	/* Cut short: the IP length runs past the frame. */
	assert_int_equal(vnet_check(&g, f, h.len - 1, 1518), VNET_BAD);
	/* No gso: a frame bigger than seg_max, a checksum outside it, ECN
	 * without a type. */
	m = (struct vnet_meta){ .flags = VNET_F_NEEDS_CSUM,
	    .csum_start = (uint16_t)h.l4, .csum_offset = 16 };
	assert_int_equal(vnet_check(&m, f, 1000, 1518), VNET_OK);
	assert_int_equal(vnet_check(&m, f, 1519, 1518), VNET_BAD);
	m.csum_offset = 1000;
	assert_int_equal(vnet_check(&m, f, 1000, 1518), VNET_BAD);
	m = (struct vnet_meta){ .gso_type = VNET_GSO_ECN };
	assert_int_equal(vnet_check(&m, f, 1000, 1518), VNET_BAD);
	/* SCTP's CRC32c needs 4 bytes where an Internet checksum needs 2:
	 * what vnet_check passes, vnet_undo must be able to complete. */
	{
		struct t_spec sc = { .proto = T_SCTP };
		t_build(&sc, f, &h);
		be16_put(f + 16, 20 + 10);
		m = (struct vnet_meta){ .flags = VNET_F_NEEDS_CSUM,
		    .csum_start = (uint16_t)h.l4, .csum_offset = 8 };
		assert_int_equal(vnet_check(&m, f, h.len - 2, 1518), VNET_BAD);
		be16_put(f + 16, 20 + 12);
		assert_int_equal(vnet_check(&m, f, h.len, 1518), VNET_OK);
		struct t_out out = { .n = 0 };
		assert_int_equal(vnet_undo(&m, f, h.len, t_scratch, t_collect,
		    &out), VNET_OK);
		assert_int_equal(out.n, 1);
		t_out_free(&out);
	}
	/* Shorter than an Ethernet header, with nothing to undo. */
	m = (struct vnet_meta){ 0 };
	assert_int_equal(vnet_check(&m, f, 14, 1518), VNET_OK);
	assert_int_equal(vnet_check(&m, f, 13, 1518), VNET_BAD);
	/* UDP: ECN is TCP's. */
	sp.proto = T_UDP;
	t_build(&sp, f, &h);
	g = t_meta_gso(&sp, &h, VNET_GSO_UDP_L4, 1400);
	assert_int_equal(vnet_check(&g, f, h.len, 1518), VNET_OK);
	g.gso_type |= VNET_GSO_ECN;
	assert_int_equal(vnet_check(&g, f, h.len, 1518), VNET_BAD);
	free(f);
}

/* The protocol's offload header: network order, only NEEDS_CSUM sent. */
static void
test_wire(void **state)
{
	struct vnet_meta m = { .flags = VNET_F_NEEDS_CSUM | 0x02,
	    .gso_type = VNET_GSO_TCPV6 | VNET_GSO_ECN, .hdr_len = 0x0102,
	    .gso_size = 0x0304, .csum_start = 0x0506, .csum_offset = 0x0708 };
	static const uint8_t want[VNET_HDR_LEN] = {
		0x01, 0x84, 1, 2, 3, 4, 5, 6, 7, 8,
	};
	uint8_t p[VNET_HDR_LEN];
	struct vnet_meta back;

	vnet_meta_wire_put(p, &m);
	assert_memory_equal(p, want, sizeof want);
	vnet_meta_wire_get(p, &back);
	m.flags = VNET_F_NEEDS_CSUM;
	assert_memory_equal(&back, &m, sizeof m);
	/* For the kernel: host order, the same flags rule. */
	m.flags |= 0x02;
	vnet_meta_put(p, &m);
	vnet_meta_get(p, &back);
	assert_int_equal(back.flags, VNET_F_NEEDS_CSUM);
	assert_int_equal(back.gso_size, 0x0304);
	assert_int_equal(back.csum_offset, 0x0708);
	assert_false(vnet_meta_plain(&m));
	m = (struct vnet_meta){ .hdr_len = 54 };
	assert_true(vnet_meta_plain(&m));
}

/* ---- Coalescing ---------------------------------------------------------- */

#define T_SEG_MAX 1518u

/* What vnet_gro handed on: the frames, and which came with metadata. */
struct t_gout {
	struct t_out o;
	struct vnet_meta m[T_MAXSEG];
	int super[T_MAXSEG];
};

static int
t_gcollect(void *arg, const struct vnet_meta *m, const uint8_t *f,
    size_t len)
{
	struct t_gout *g = arg;
	unsigned i = g->o.n;

	t_collect(&g->o, f, len);
	g->super[i] = m != NULL;
	if (m != NULL) {
		g->m[i] = *m;
		assert_int_equal(vnet_check(m, f, len, T_SEG_MAX), VNET_OK);
	}
	return 0;
}

static void
t_gout_free(struct t_gout *g)
{
	t_out_free(&g->o);
	memset(g, 0, sizeof *g);
}

/* The segments a kernel would send for sp, cut at mss (full checksums). */
static void
t_segments(const struct t_spec *sp, uint16_t mss, struct t_out *out,
    uint8_t *o, struct t_hdrs *h)
{
	struct vnet_meta m;

	t_build(sp, o, h);
	m = t_meta_gso(sp, h, sp->v6 ? VNET_GSO_TCPV6 : VNET_GSO_TCPV4, mss);
	assert_int_equal(vnet_undo(&m, o, h->len, t_scratch, t_collect, out),
	    VNET_OK);
}

/* Output i is frame f as it was. */
static void
t_gsame(const struct t_gout *g, unsigned i, const uint8_t *f, size_t len)
{
	assert_true(i < g->o.n);
	assert_false(g->super[i]);
	assert_int_equal(g->o.len[i], len);
	assert_memory_equal(g->o.f[i], f, len);
}

/* Every frame of in through g, then the flush. */
static void
t_gro_all(struct vnet_gro *g, const struct t_out *in, struct t_gout *out)
{
	for (unsigned i = 0; i < in->n; i++)
		vnet_gro_add(g, in->f[i], in->len[i], t_gcollect, out);
	vnet_gro_flush(g, t_gcollect, out);
}

/* A run of segments of one flow leaves as the super-frame they were cut
 * from, byte for byte, with metadata that cuts it back into them. */
static void
t_gro_round(const struct t_spec *sp, uint16_t mss, int ends_itself)
{
	uint8_t *o = malloc(VNET_FRAME_MAX);
	struct t_out segs = { .n = 0 }, again = { .n = 0 };
	struct vnet_gro *g = malloc(sizeof *g);
	struct t_gout out = { .o = { .n = 0 } };
	struct t_hdrs h;

	assert_non_null(o);
	assert_non_null(g);
	vnet_gro_init(g, T_SEG_MAX);
	t_segments(sp, mss, &segs, o, &h);
	assert_true(segs.n > 1);
	for (unsigned i = 0; i < segs.n; i++)
		vnet_gro_add(g, segs.f[i], segs.len[i], t_gcollect, &out);
	assert_int_equal(out.o.n, ends_itself ? 1 : 0);
	vnet_gro_flush(g, t_gcollect, &out);
	assert_int_equal(out.o.n, 1);
	assert_true(out.super[0]);
	assert_int_equal(out.m[0].gso_type, sp->v6 ? VNET_GSO_TCPV6 :
	    VNET_GSO_TCPV4);
	assert_int_equal(out.m[0].gso_size, mss);
	assert_int_equal(out.m[0].hdr_len, h.hl);
	assert_int_equal(out.m[0].csum_start, h.l4);
	assert_int_equal(out.m[0].csum_offset, 16);
	assert_int_equal(out.o.len[0], h.len);
	assert_memory_equal(out.o.f[0], o, h.len);
	assert_int_equal(g->merged, segs.n);
	assert_int_equal(vnet_undo(&out.m[0], out.o.f[0], out.o.len[0], t_scratch,
	    t_collect, &again), VNET_OK);
	assert_int_equal(again.n, segs.n);
	for (unsigned i = 0; i < segs.n; i++) {
		assert_int_equal(again.len[i], segs.len[i]);
		assert_memory_equal(again.f[i], segs.f[i], segs.len[i]);
	}
	t_out_free(&segs);
	t_out_free(&again);
	t_gout_free(&out);
	free(g);
	free(o);
}

static void
test_gro_tcp4(void **state)
{
	/* ends with a short, pushed segment: it leaves by itself */
	struct t_spec sp = { .proto = T_TCP, .payload = 3500, .tcpopt = 12,
	    .tcpflags = T_ACK | T_PSH, .seq = 0xfffff000u, .ipid = 0xfffe,
	    .partial = 1 };

	t_gro_round(&sp, 1000, 1);
	/* whole segments, no PSH: it waits for the flush */
	sp.payload = 1448 * 40;
	sp.tcpflags = T_ACK;
	t_gro_round(&sp, 1448, 0);
}

static void
test_gro_tcp6(void **state)
{
	struct t_spec sp = { .v6 = 1, .proto = T_TCP, .payload = 1428 * 45,
	    .tcpflags = T_ACK, .seq = 7, .partial = 1 };

	t_gro_round(&sp, 1428, 0);
	sp.payload = 1428 * 45 + 1;
	sp.tcpflags = T_ACK | T_PSH;
	t_gro_round(&sp, 1428, 1);
}

/* What does not join makes the run leave first, and goes on as it is;
 * order is kept throughout. */
static void
test_gro_breaks(void **state)
{
	uint8_t *o = malloc(VNET_FRAME_MAX), *x = malloc(VNET_FRAME_MAX);
	struct t_spec sp = { .proto = T_TCP, .payload = 4000,
	    .tcpflags = T_ACK, .seq = 1000, .ipid = 1, .partial = 1 };
	struct t_out segs = { .n = 0 }, other = { .n = 0 };
	struct vnet_gro *g = malloc(sizeof *g);
	struct t_gout out = { .o = { .n = 0 } };
	struct t_hdrs h, hx;

	assert_non_null(o);
	assert_non_null(x);
	assert_non_null(g);
	vnet_gro_init(g, T_SEG_MAX);
	t_segments(&sp, 1000, &segs, o, &h);      /* 4 x 1000 */
	assert_int_equal(segs.n, 4);

	/* a lone segment leaves as it came */
	vnet_gro_add(g, segs.f[0], segs.len[0], t_gcollect, &out);
	vnet_gro_flush(g, t_gcollect, &out);
	t_gsame(&out, 0, segs.f[0], segs.len[0]);
	t_gout_free(&out);

	/* a bad TCP checksum: not merged, passed on for the kernel to drop */
	segs.f[1][h.l4 + 16] ^= 0x40;
	t_gro_all(g, &segs, &out);
	assert_int_equal(out.o.n, 3);
	t_gsame(&out, 0, segs.f[0], segs.len[0]);
	t_gsame(&out, 1, segs.f[1], segs.len[1]);
	assert_true(out.super[2]);                /* 2 and 3 */
	assert_int_equal(out.o.len[2], h.hl + 2000);
	segs.f[1][h.l4 + 16] ^= 0x40;
	t_gout_free(&out);

	/* a bad IPv4 header checksum likewise */
	segs.f[2][h.l3 + 10] ^= 0x01;
	t_gro_all(g, &segs, &out);
	assert_int_equal(out.o.n, 3);
	assert_true(out.super[0]);                /* 0 and 1 */
	t_gsame(&out, 1, segs.f[2], segs.len[2]);
	t_gsame(&out, 2, segs.f[3], segs.len[3]);
	segs.f[2][h.l3 + 10] ^= 0x01;
	t_gout_free(&out);

	/* another flow (a UDP datagram) in between */
	struct t_spec su = { .proto = T_UDP, .payload = 100 };
	t_build(&su, x, &hx);
	vnet_gro_add(g, segs.f[0], segs.len[0], t_gcollect, &out);
	vnet_gro_add(g, segs.f[1], segs.len[1], t_gcollect, &out);
	vnet_gro_add(g, x, hx.len, t_gcollect, &out);
	vnet_gro_add(g, segs.f[2], segs.len[2], t_gcollect, &out);
	vnet_gro_add(g, segs.f[3], segs.len[3], t_gcollect, &out);
	vnet_gro_flush(g, t_gcollect, &out);
	assert_int_equal(out.o.n, 3);
	assert_true(out.super[0]);
	t_gsame(&out, 1, x, hx.len);
	assert_true(out.super[2]);
	t_gout_free(&out);

	/* a gap in the sequence (and the IPv4 ID), a segment sent again:
	 * each starts a run of its own */
	vnet_gro_add(g, segs.f[0], segs.len[0], t_gcollect, &out);
	vnet_gro_add(g, segs.f[2], segs.len[2], t_gcollect, &out);
	vnet_gro_add(g, segs.f[2], segs.len[2], t_gcollect, &out);
	vnet_gro_flush(g, t_gcollect, &out);
	assert_int_equal(out.o.n, 3);
	t_gsame(&out, 0, segs.f[0], segs.len[0]);
	t_gsame(&out, 1, segs.f[2], segs.len[2]);
	t_gsame(&out, 2, segs.f[2], segs.len[2]);
	t_gout_free(&out);

	/* the IPv4 ID out of step, the sequence in step */
	memcpy(x, segs.f[1], segs.len[1]);
	be16_put(x + h.l3 + 4, (uint16_t)(be16_get(x + h.l3 + 4) + 1));
	be16_put(x + h.l3 + 10, 0);
	be16_put(x + h.l3 + 10, (uint16_t)~t_sum(x + h.l3, 20, 0));
	vnet_gro_add(g, segs.f[0], segs.len[0], t_gcollect, &out);
	vnet_gro_add(g, x, segs.len[1], t_gcollect, &out);
	vnet_gro_flush(g, t_gcollect, &out);
	assert_int_equal(out.o.n, 2);
	t_gsame(&out, 0, segs.f[0], segs.len[0]);
	t_gsame(&out, 1, x, segs.len[1]);
	t_gout_free(&out);

	/* the same segments of another TCP flow (other port) */
	sp.seq = 5000 + 4000;
	t_segments(&sp, 1000, &other, x, &hx);
	for (unsigned i = 0; i < other.n; i++) {
		uint8_t *f = other.f[i];
		be16_put(f + hx.l4, 40010);             /* sum changes: redo */
		be16_put(f + hx.l4 + 16, 0);
		uint32_t ps = t_pseudo(f, hx.l3, 0, T_TCP,
		    other.len[i] - hx.l4);
		be16_put(f + hx.l4 + 16, (uint16_t)~t_sum(f + hx.l4,
		    other.len[i] - hx.l4, ps));
	}
	vnet_gro_add(g, segs.f[0], segs.len[0], t_gcollect, &out);
	vnet_gro_add(g, segs.f[1], segs.len[1], t_gcollect, &out);
	vnet_gro_add(g, other.f[0], other.len[0], t_gcollect, &out);
	vnet_gro_add(g, other.f[1], other.len[1], t_gcollect, &out);
	vnet_gro_flush(g, t_gcollect, &out);
	assert_int_equal(out.o.n, 2);
	assert_true(out.super[0] && out.super[1]);
	assert_memory_equal(out.o.f[1] + hx.l4, other.f[0] + hx.l4, 2);
	t_gout_free(&out);
	t_out_free(&other);

	/* a first segment with PSH, SYN or FIN, or tagged: as it is */
	for (unsigned k = 0; k < 3; k++) {
		static const uint8_t fl[3] = { T_ACK | T_PSH, T_SYN | T_ACK,
		    T_FIN | T_ACK };
		struct t_spec s1 = { .proto = T_TCP, .payload = 500,
		    .tcpflags = fl[k], .partial = 1 };
		struct t_out one = { .n = 0 };
		t_build(&s1, x, &hx);
		struct vnet_meta m = { .flags = VNET_F_NEEDS_CSUM,
		    .csum_start = (uint16_t)hx.l4, .csum_offset = 16 };
		assert_int_equal(vnet_undo(&m, x, hx.len, t_scratch, t_collect,
		    &one), VNET_OK);
		vnet_gro_add(g, one.f[0], one.len[0], t_gcollect, &out);
		vnet_gro_add(g, one.f[0], one.len[0], t_gcollect, &out);
		vnet_gro_flush(g, t_gcollect, &out);
		assert_int_equal(out.o.n, 2);
		t_gsame(&out, 0, one.f[0], one.len[0]);
		t_gsame(&out, 1, one.f[0], one.len[0]);
		t_gout_free(&out);
		t_out_free(&one);
	}
	struct t_spec st = { .proto = T_TCP, .ntags = 1, .tpid = { 0x8100 },
	    .payload = 300, .tcpflags = T_ACK, .partial = 0 };
	t_build(&st, x, &hx);
	vnet_gro_add(g, x, hx.len, t_gcollect, &out);
	vnet_gro_flush(g, t_gcollect, &out);
	t_gsame(&out, 0, x, hx.len);
	t_gout_free(&out);

	/* a frame too big to start a run */
	vnet_gro_init(g, 1000);
	vnet_gro_add(g, segs.f[0], segs.len[0], t_gcollect, &out);
	vnet_gro_add(g, segs.f[1], segs.len[1], t_gcollect, &out);
	vnet_gro_flush(g, t_gcollect, &out);
	assert_int_equal(out.o.n, 2);
	t_gsame(&out, 0, segs.f[0], segs.len[0]);
	t_gout_free(&out);

	t_out_free(&segs);
	free(g);
	free(x);
	free(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csum_helper),
		cmocka_unit_test(test_meta),
		cmocka_unit_test(test_tcp4),
		cmocka_unit_test(test_tcp6),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_one_segment),
		cmocka_unit_test(test_vlan_gso),
		cmocka_unit_test(test_vlan_insert),
		cmocka_unit_test(test_plain_csum),
		cmocka_unit_test(test_udp_zero),
		cmocka_unit_test(test_sctp),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_captured),
		cmocka_unit_test(test_stopped),
		cmocka_unit_test(test_reject),
		cmocka_unit_test(test_undo_const),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_wire),
		cmocka_unit_test(test_gro_tcp4),
		cmocka_unit_test(test_gro_tcp6),
		cmocka_unit_test(test_gro_breaks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
