/*
 * vnet.c: offloads undone in software. Completes the partial checksums and
 * cuts the GSO super-frames that a struct virtio_net_hdr describes, as
 * Linux's own software GSO would, over a frame in memory.
 */
#include <stddef.h>
#include <string.h>
#include <linux/virtio_net.h>

#include "bytes.h"
#include "vnet.h"

/* Our copies of the kernel's values, and its header's layout. */
_Static_assert(sizeof(struct virtio_net_hdr) == VNET_HDR_LEN, "vnet hdr");
_Static_assert(offsetof(struct virtio_net_hdr, hdr_len) == 2, "hdr_len");
_Static_assert(offsetof(struct virtio_net_hdr, gso_size) == 4, "gso_size");
_Static_assert(offsetof(struct virtio_net_hdr, csum_start) == 6, "start");
_Static_assert(offsetof(struct virtio_net_hdr, csum_offset) == 8, "offset");
_Static_assert(VIRTIO_NET_HDR_F_NEEDS_CSUM == VNET_F_NEEDS_CSUM, "csum");
_Static_assert(VIRTIO_NET_HDR_GSO_TCPV4 == VNET_GSO_TCPV4, "tcpv4");
_Static_assert(VIRTIO_NET_HDR_GSO_UDP == VNET_GSO_UDP, "ufo");
_Static_assert(VIRTIO_NET_HDR_GSO_TCPV6 == VNET_GSO_TCPV6, "tcpv6");
_Static_assert(VIRTIO_NET_HDR_GSO_ECN == VNET_GSO_ECN, "ecn");
#ifdef VIRTIO_NET_HDR_GSO_UDP_L4
_Static_assert(VIRTIO_NET_HDR_GSO_UDP_L4 == VNET_GSO_UDP_L4, "uso");
#endif

#define VNET_ETH_MACS    12u      /* destination and source */
#define VNET_ETH_HLEN    14u
#define VNET_TAG_LEN     4u
#define VNET_TAGS_MAX    2u       /* QinQ */
#define VNET_ET_IP4      0x0800u
#define VNET_ET_IP6      0x86ddu
#define VNET_ET_8021Q    0x8100u
#define VNET_ET_8021AD   0x88a8u

#define VNET_IP4_HLEN    20u
#define VNET_IP4_LEN     2u       /* offsets in the IPv4 header */
#define VNET_IP4_ID      4u
#define VNET_IP4_FRAG    6u
#define VNET_IP4_FRAG_MASK 0x3fffu /* MF and the fragment offset */
#define VNET_IP4_PROTO   9u
#define VNET_IP4_CSUM    10u
#define VNET_IP4_SRC     12u      /* then the destination: 8 bytes */
#define VNET_IP6_HLEN    40u
#define VNET_IP6_PLEN    4u       /* offsets in the IPv6 header */
#define VNET_IP6_NEXT    6u
#define VNET_IP6_SRC     8u       /* then the destination: 32 bytes */

#define VNET_PROTO_TCP   6u
#define VNET_PROTO_UDP   17u
#define VNET_PROTO_SCTP  132u

#define VNET_TCP_HLEN    20u
#define VNET_TCP_SEQ     4u
#define VNET_TCP_DOFF    12u
#define VNET_TCP_FLAGS   13u
#define VNET_TCP_CSUM    16u
#define VNET_TCP_ACKSEQ  8u
#define VNET_TCP_FIN     0x01u
#define VNET_TCP_PSH     0x08u
#define VNET_TCP_ACK     0x10u
#define VNET_TCP_CWR     0x80u
#define VNET_UDP_HLEN    8u
#define VNET_UDP_LEN     4u
#define VNET_UDP_CSUM    6u
#define VNET_SCTP_CSUM   8u       /* a CRC32c, little endian */

/* Where the headers of one IP packet in a frame are. */
struct vnet_pkt {
	size_t l3;       /* the IP header */
	size_t l4;       /* the transport header */
	size_t end;      /* the end of the IP packet */
	size_t payload;  /* after the transport header (TCP, UDP only) */
	uint8_t proto;
	uint8_t v6;
};

/*
 * The ones' complement sum, unfolded. Adding 32-bit words is the same sum
 * modulo 0xffff as adding 16-bit ones (2^16 = 1 there), in half the steps.
 */
static uint64_t
vnet_sum(const uint8_t *p, size_t len, uint64_t acc)
{
	for (; len >= 4; p += 4, len -= 4)
		acc += be32_get(p);
	if (len >= 2) {
		acc += be16_get(p);
		p += 2;
		len -= 2;
	}
	if (len == 1)
		acc += (uint32_t)p[0] << 8;
	return acc;
}

static uint16_t
vnet_fold(uint64_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

uint16_t
vnet_csum(const uint8_t *p, size_t len, uint32_t initial)
{
	return (uint16_t)~vnet_fold(vnet_sum(p, len, initial));
}

/* CRC32c (Castagnoli, reflected) four bits at a time: SCTP only, rare. */
static uint32_t
vnet_crc32c(const uint8_t *p, size_t len)
{
	static const uint32_t t[16] = {
		0x00000000, 0x105ec76f, 0x20bd8ede, 0x30e349b1,
		0x417b1dbc, 0x5125dad3, 0x61c69362, 0x7198540d,
		0x82f63b78, 0x92a8fc17, 0xa24bb5a6, 0xb21572c9,
		0xc38d26c4, 0xd3d3e1ab, 0xe330a81a, 0xf36e6f75,
	};
	uint32_t c = 0xffffffffu;

	while (len-- > 0) {
		c ^= *p++;
		c = c >> 4 ^ t[c & 0xf];
		c = c >> 4 ^ t[c & 0xf];
	}
	return ~c;
}

void
vnet_meta_get(const uint8_t *p, struct vnet_meta *m)
{
	m->flags = p[0];
	m->gso_type = p[1];
	memcpy(&m->hdr_len, p + 2, 2);
	memcpy(&m->gso_size, p + 4, 2);
	memcpy(&m->csum_start, p + 6, 2);
	memcpy(&m->csum_offset, p + 8, 2);
}

void
vnet_meta_put_none(uint8_t *p)
{
	memset(p, 0, VNET_HDR_LEN);
}

int
vnet_vlan_insert(uint8_t **f, size_t *len, uint16_t tpid, uint16_t tci)
{
	uint8_t *p;

	if (*len < VNET_ETH_HLEN)
		return -1;
	p = *f - VNET_TAG_LEN;
	memmove(p, *f, VNET_ETH_MACS);
	be16_put(p + VNET_ETH_MACS, tpid);
	be16_put(p + VNET_ETH_MACS + 2, tci);
	*f = p;
	*len += VNET_TAG_LEN;
	return 0;
}

/*
 * The Ethernet header, up to two tags and the IP header of f: fills l3,
 * l4, end, proto and v6 of *pk. An IPv4 fragment, an IPv6 jumbogram and
 * every other ethertype are -1; IPv6's next header is taken for the
 * transport, so an extension header is just not TCP or UDP.
 */
static int
vnet_parse_ip(const uint8_t *f, size_t len, struct vnet_pkt *pk)
{
	size_t off = VNET_ETH_MACS, ihl, tot;
	uint16_t et;
	unsigned tags;

	if (len < VNET_ETH_HLEN)
		return -1;
	et = be16_get(f + off);
	for (tags = 0; tags < VNET_TAGS_MAX &&
	    (et == VNET_ET_8021Q || et == VNET_ET_8021AD); tags++) {
		off += VNET_TAG_LEN;
		if (off + 2 > len)
			return -1;
		et = be16_get(f + off);
	}
	pk->l3 = off + 2;
	if (et == VNET_ET_IP4) {
		if (len - pk->l3 < VNET_IP4_HLEN || f[pk->l3] >> 4 != 4)
			return -1;
		ihl = (size_t)(f[pk->l3] & 0xf) * 4;
		tot = be16_get(f + pk->l3 + VNET_IP4_LEN);
		if (ihl < VNET_IP4_HLEN || tot < ihl || tot > len - pk->l3)
			return -1;
		if (be16_get(f + pk->l3 + VNET_IP4_FRAG) & VNET_IP4_FRAG_MASK)
			return -1;
		pk->proto = f[pk->l3 + VNET_IP4_PROTO];
		pk->l4 = pk->l3 + ihl;
		pk->end = pk->l3 + tot;
		pk->v6 = 0;
		return 0;
	}
	if (et == VNET_ET_IP6) {
		if (len - pk->l3 < VNET_IP6_HLEN || f[pk->l3] >> 4 != 6)
			return -1;
		tot = be16_get(f + pk->l3 + VNET_IP6_PLEN);
		if (tot == 0 || tot > len - pk->l3 - VNET_IP6_HLEN)
			return -1;
		pk->proto = f[pk->l3 + VNET_IP6_NEXT];
		pk->l4 = pk->l3 + VNET_IP6_HLEN;
		pk->end = pk->l4 + tot;
		pk->v6 = 1;
		return 0;
	}
	return -1;
}

/* The TCP or UDP header after the IP header: fills payload. */
static int
vnet_parse_l4(const uint8_t *f, struct vnet_pkt *pk)
{
	size_t room = pk->end - pk->l4, doff;

	if (pk->proto == VNET_PROTO_TCP) {
		if (room < VNET_TCP_HLEN)
			return -1;
		doff = (size_t)(f[pk->l4 + VNET_TCP_DOFF] >> 4) * 4;
		if (doff < VNET_TCP_HLEN || doff > room)
			return -1;
		pk->payload = pk->l4 + doff;
		return 0;
	}
	if (pk->proto == VNET_PROTO_UDP) {
		if (room < VNET_UDP_HLEN)
			return -1;
		pk->payload = pk->l4 + VNET_UDP_HLEN;
		return 0;
	}
	return -1;
}

/* The pseudo-header's sum for a transport segment of l4len bytes. */
static uint64_t
vnet_pseudo(const uint8_t *f, const struct vnet_pkt *pk, size_t l4len)
{
	uint64_t acc = pk->proto;

	if (pk->v6)
		acc = vnet_sum(f + pk->l3 + VNET_IP6_SRC, 32, acc);
	else
		acc = vnet_sum(f + pk->l3 + VNET_IP4_SRC, 8, acc);
	return acc + l4len;
}

/*
 * Where a partial checksum goes must lie inside the frame: 2 bytes, or 4
 * for SCTP's CRC32c (the transport header at start, the field at offset
 * 8). 1 if it does (*sctp says which), else 0.
 */
static int
vnet_csum_at(const uint8_t *f, size_t len, size_t start, size_t off,
    int *sctp)
{
	struct vnet_pkt pk;

	*sctp = 0;
	if (start < VNET_ETH_HLEN || start > len || off + 2 > len - start)
		return 0;
	if (vnet_parse_ip(f, len, &pk) == 0 && pk.proto == VNET_PROTO_SCTP &&
	    pk.l4 == start && off == VNET_SCTP_CSUM) {
		*sctp = 1;
		return len - start >= off + 4;
	}
	return 1;
}

/*
 * A partial checksum completed: the field holds the pseudo-header's sum,
 * so the sum from csum_start to the end is all that is missing. SCTP's
 * field is the same mark for a CRC32c, computed with the field zero.
 */
static enum vnet_result
vnet_complete(uint8_t *f, size_t len, size_t start, size_t off)
{
	uint32_t crc;
	uint16_t c;
	int sctp;

	if (!vnet_csum_at(f, len, start, off, &sctp))
		return VNET_BAD;
	if (sctp) {
		memset(f + start + off, 0, 4);
		crc = vnet_crc32c(f + start, len - start);
		f[start + off] = (uint8_t)crc;
		f[start + off + 1] = (uint8_t)(crc >> 8);
		f[start + off + 2] = (uint8_t)(crc >> 16);
		f[start + off + 3] = (uint8_t)(crc >> 24);
		return VNET_OK;
	}
	/* 0 and 0xffff are the same sum; UDP reserves 0 for "none". */
	c = vnet_csum(f + start, len - start, 0);
	be16_put(f + start + off, c != 0 ? c : 0xffff);
	return VNET_OK;
}

/*
 * The segments of a super-frame, each built in s and handed to out. What
 * each gets is what Linux's GSO gives it: the headers copied, the IPv4
 * total length, ID (one more each) and header checksum, the IPv6 payload
 * length, TCP's sequence number advanced by the payload before it, FIN and
 * PSH on the last segment only, CWR on the first only, UDP's length, and
 * the transport checksum computed whole.
 */
static enum vnet_result
vnet_segment(const uint8_t *f, const struct vnet_pkt *pk, size_t mss,
    uint8_t *s, vnet_out_fn *out, void *arg)
{
	size_t hl = pk->payload, total = pk->end - hl, off = 0, seg, n;
	size_t csum = pk->l4 + (pk->proto == VNET_PROTO_TCP ? VNET_TCP_CSUM :
	    VNET_UDP_CSUM);
	uint32_t seq = 0;
	uint16_t id = 0, c;
	uint8_t tf = 0, fl;

	if (!pk->v6)
		id = be16_get(f + pk->l3 + VNET_IP4_ID);
	if (pk->proto == VNET_PROTO_TCP) {
		seq = be32_get(f + pk->l4 + VNET_TCP_SEQ);
		tf = f[pk->l4 + VNET_TCP_FLAGS];
	}
	do {
		seg = total - off < mss ? total - off : mss;
		n = hl + seg;
		memcpy(s, f, hl);
		memcpy(s + hl, f + hl + off, seg);
		if (pk->v6) {
			be16_put(s + pk->l3 + VNET_IP6_PLEN,
			    (uint16_t)(n - pk->l3 - VNET_IP6_HLEN));
		} else {
			be16_put(s + pk->l3 + VNET_IP4_LEN,
			    (uint16_t)(n - pk->l3));
			be16_put(s + pk->l3 + VNET_IP4_ID, id++);
			be16_put(s + pk->l3 + VNET_IP4_CSUM, 0);
			be16_put(s + pk->l3 + VNET_IP4_CSUM,
			    vnet_csum(s + pk->l3, pk->l4 - pk->l3, 0));
		}
		if (pk->proto == VNET_PROTO_TCP) {
			be32_put(s + pk->l4 + VNET_TCP_SEQ, seq);
			seq += (uint32_t)seg;
			fl = tf;
			if (off + seg < total)
				fl &= (uint8_t)~(VNET_TCP_FIN | VNET_TCP_PSH);
			if (off > 0)
				fl &= (uint8_t)~VNET_TCP_CWR;
			s[pk->l4 + VNET_TCP_FLAGS] = fl;
		} else
			be16_put(s + pk->l4 + VNET_UDP_LEN,
			    (uint16_t)(n - pk->l4));
		be16_put(s + csum, 0);
		c = vnet_csum(s + pk->l4, n - pk->l4,
		    vnet_fold(vnet_pseudo(s, pk, n - pk->l4)));
		if (c == 0 && pk->proto == VNET_PROTO_UDP)
			c = 0xffff;
		be16_put(s + csum, c);
		if (out(arg, s, n) != 0)
			return VNET_STOPPED;
		off += seg;
	} while (off < total);
	return VNET_OK;
}

/*
 * A super-frame checked against its metadata; fills *pk. The legacy UFO
 * type (VIRTIO_NET_HDR_GSO_UDP) would need IP fragmentation, not
 * segmentation, and Linux has made none since 4.14: it is refused with the
 * unknown types.
 */
static enum vnet_result
vnet_gso_check(const struct vnet_meta *m, size_t shift, const uint8_t *f,
    size_t len, struct vnet_pkt *pk)
{
	unsigned type = m->gso_type & ~VNET_GSO_ECN;

	if (m->gso_size == 0 || vnet_parse_ip(f, len, pk) == -1 ||
	    vnet_parse_l4(f, pk) == -1)
		return VNET_BAD;
	switch (type) {
	case VNET_GSO_TCPV4:
		if (pk->v6 || pk->proto != VNET_PROTO_TCP)
			return VNET_BAD;
		break;
	case VNET_GSO_TCPV6:
		if (!pk->v6 || pk->proto != VNET_PROTO_TCP)
			return VNET_BAD;
		break;
	case VNET_GSO_UDP_L4:
		if (pk->proto != VNET_PROTO_UDP)
			return VNET_BAD;
		break;
	default:
		return VNET_BAD;
	}
	/* hdr_len is only a hint (the kernel gives its linear length), but it
	 * cannot lie beyond the frame. */
	if (m->hdr_len != 0 && m->hdr_len + shift > len)
		return VNET_BAD;
	/* The checksum asked for must be the transport header's own. */
	if ((m->flags & VNET_F_NEEDS_CSUM) && (m->csum_start + shift !=
	    pk->l4 || m->csum_offset != (pk->proto == VNET_PROTO_TCP ?
	    VNET_TCP_CSUM : VNET_UDP_CSUM)))
		return VNET_BAD;
	return VNET_OK;
}

static enum vnet_result
vnet_gso(const struct vnet_meta *m, size_t shift, const uint8_t *f,
    size_t len, uint8_t *scratch, vnet_out_fn *out, void *arg)
{
	struct vnet_pkt pk;

	if (vnet_gso_check(m, shift, f, len, &pk) != VNET_OK)
		return VNET_BAD;
	return vnet_segment(f, &pk, m->gso_size, scratch, out, arg);
}


enum vnet_result
vnet_frame(const struct vnet_meta *m, size_t vlan_shift, uint8_t *f,
    size_t len, uint8_t *scratch, vnet_out_fn *out, void *arg)
{
	if (len > VNET_FRAME_MAX || (vlan_shift != 0 &&
	    vlan_shift != VNET_TAG_LEN))
		return VNET_BAD;
	if ((m->gso_type & ~VNET_GSO_ECN) != VNET_GSO_NONE)
		return vnet_gso(m, vlan_shift, f, len, scratch, out, arg);
	if ((m->flags & VNET_F_NEEDS_CSUM) && vnet_complete(f, len,
	    m->csum_start + vlan_shift, m->csum_offset) != VNET_OK)
		return VNET_BAD;
	return out(arg, f, len) != 0 ? VNET_STOPPED : VNET_OK;
}

int
vnet_meta_plain(const struct vnet_meta *m)
{
	return (m->gso_type & ~VNET_GSO_ECN) == VNET_GSO_NONE &&
	    !(m->flags & VNET_F_NEEDS_CSUM);
}

void
vnet_meta_wire_get(const uint8_t *p, struct vnet_meta *m)
{
	m->flags = p[0];
	m->gso_type = p[1];
	m->hdr_len = be16_get(p + 2);
	m->gso_size = be16_get(p + 4);
	m->csum_start = be16_get(p + 6);
	m->csum_offset = be16_get(p + 8);
}

void
vnet_meta_wire_put(uint8_t *p, const struct vnet_meta *m)
{
	p[0] = m->flags & VNET_F_NEEDS_CSUM;
	p[1] = m->gso_type;
	be16_put(p + 2, m->hdr_len);
	be16_put(p + 4, m->gso_size);
	be16_put(p + 6, m->csum_start);
	be16_put(p + 8, m->csum_offset);
}

void
vnet_meta_put(uint8_t *p, const struct vnet_meta *m)
{
	p[0] = m->flags & VNET_F_NEEDS_CSUM;
	p[1] = m->gso_type;
	memcpy(p + 2, &m->hdr_len, 2);
	memcpy(p + 4, &m->gso_size, 2);
	memcpy(p + 6, &m->csum_start, 2);
	memcpy(p + 8, &m->csum_offset, 2);
}

enum vnet_result
vnet_check(const struct vnet_meta *m, const uint8_t *f, size_t len,
    size_t seg_max)
{
	struct vnet_pkt pk;
	int sctp;

	if (len < VNET_ETH_HLEN || len > VNET_FRAME_MAX ||
	    (m->flags & ~VNET_F_NEEDS_CSUM) != 0)
		return VNET_BAD;
	if ((m->gso_type & ~VNET_GSO_ECN) == VNET_GSO_NONE) {
		if (len > seg_max || (m->gso_type & VNET_GSO_ECN))
			return VNET_BAD;
		if ((m->flags & VNET_F_NEEDS_CSUM) && !vnet_csum_at(f, len,
		    m->csum_start, m->csum_offset, &sctp))
			return VNET_BAD;
		return VNET_OK;
	}
	/* A receiving kernel wants the partial checksum marked; segments
	 * must be ordinary frames, and not absurdly many of them. */
	if (!(m->flags & VNET_F_NEEDS_CSUM) || m->gso_size < VNET_GSO_MIN ||
	    vnet_gso_check(m, 0, f, len, &pk) != VNET_OK ||
	    pk.payload + m->gso_size > seg_max ||
	    ((m->gso_type & VNET_GSO_ECN) && pk.proto != VNET_PROTO_TCP))
		return VNET_BAD;
	return VNET_OK;
}

enum vnet_result
vnet_undo(const struct vnet_meta *m, const uint8_t *f, size_t len,
    uint8_t *scratch, vnet_out_fn *out, void *arg)
{
	if (len > VNET_FRAME_MAX)
		return VNET_BAD;
	if ((m->gso_type & ~VNET_GSO_ECN) != VNET_GSO_NONE)
		return vnet_gso(m, 0, f, len, scratch, out, arg);
	if (!(m->flags & VNET_F_NEEDS_CSUM))
		return out(arg, f, len) != 0 ? VNET_STOPPED : VNET_OK;
	memcpy(scratch, f, len);
	if (vnet_complete(scratch, len, m->csum_start, m->csum_offset) !=
	    VNET_OK)
		return VNET_BAD;
	return out(arg, scratch, len) != 0 ? VNET_STOPPED : VNET_OK;
}

/* ---- Coalescing ---------------------------------------------------------- */

void
vnet_gro_init(struct vnet_gro *g, size_t seg_max)
{
	g->seg_max = seg_max;
	g->len = 0;
	g->nseg = 0;
	g->merged = 0;
}

/*
 * May f take part in a run: an untagged IPv4 (no options) or IPv6 packet
 * filling the frame, TCP with a payload, only ACK and PSH set, its
 * checksums correct. Fills *pk.
 */
static int
vnet_gro_fits(const uint8_t *f, size_t len, struct vnet_pkt *pk)
{
	uint16_t et;

	if (len < VNET_ETH_HLEN)
		return 0;
	et = be16_get(f + VNET_ETH_MACS);
	if ((et != VNET_ET_IP4 && et != VNET_ET_IP6) ||
	    vnet_parse_ip(f, len, pk) != 0 || pk->proto != VNET_PROTO_TCP ||
	    pk->end != len || vnet_parse_l4(f, pk) != 0 ||
	    pk->payload == pk->end ||
	    (f[pk->l4 + VNET_TCP_FLAGS] & ~VNET_TCP_PSH) != VNET_TCP_ACK)
		return 0;
	if (!pk->v6 && (pk->l4 - pk->l3 != VNET_IP4_HLEN ||
	    vnet_csum(f + pk->l3, VNET_IP4_HLEN, 0) != 0))
		return 0;
	return vnet_csum(f + pk->l4, len - pk->l4,
	    vnet_fold(vnet_pseudo(f, pk, len - pk->l4))) == 0;
}

/* Does f (fitting, headers at pk) continue the run? */
static int
vnet_gro_joins(const struct vnet_gro *g, const uint8_t *f,
    const struct vnet_pkt *pk)
{
	const uint8_t *h = g->buf, *ip = f + pk->l3, *hip = h + g->l3;
	const uint8_t *t = f + pk->l4, *ht = h + g->l4;
	size_t pl = pk->end - pk->payload, ipl;

	if (pk->v6 != g->v6 || pk->l3 != g->l3 ||
	    pk->payload != g->hl || pl > g->mss ||
	    memcmp(f, h, VNET_ETH_HLEN) != 0)
		return 0;
	if (g->v6) {
		/* version, class, flow label; next header, hop limit; the
		 * addresses */
		if (memcmp(ip, hip, 4) != 0 || memcmp(ip + 6, hip + 6, 34) != 0)
			return 0;
		ipl = g->len - g->l4;
	} else {
		/* version and header length, TOS; flags, TTL, protocol;
		 * the addresses */
		if (memcmp(ip, hip, 2) != 0 || memcmp(ip + 6, hip + 6, 4) != 0 ||
		    memcmp(ip + 12, hip + 12, 8) != 0 ||
		    be16_get(ip + VNET_IP4_ID) != g->next_id)
			return 0;
		ipl = g->len - g->l3;
	}
	/* ports; the acknowledgement, offset, window, urgent pointer and
	 * options; flags but PSH (checked to be ACK) */
	return ipl + pl <= 0xffff && g->len + pl <= VNET_FRAME_MAX &&
	    memcmp(t, ht, 4) == 0 &&
	    be32_get(t + VNET_TCP_SEQ) == g->next_seq &&
	    memcmp(t + VNET_TCP_ACKSEQ, ht + VNET_TCP_ACKSEQ, 5) == 0 &&
	    memcmp(t + VNET_TCP_FLAGS + 1, ht + VNET_TCP_FLAGS + 1, 2) == 0 &&
	    memcmp(t + VNET_TCP_CSUM + 2, ht + VNET_TCP_CSUM + 2,
	    g->hl - g->l4 - VNET_TCP_CSUM - 2) == 0;
}

void
vnet_gro_flush(struct vnet_gro *g, vnet_gro_out_fn *out, void *arg)
{
	struct vnet_meta m;
	struct vnet_pkt pk;
	uint8_t *h = g->buf;

	if (g->len == 0)
		return;
	if (g->nseg > 1) {
		if (g->v6)
			be16_put(h + g->l3 + VNET_IP6_PLEN,
			    (uint16_t)(g->len - g->l4));
		else {
			be16_put(h + g->l3 + VNET_IP4_LEN,
			    (uint16_t)(g->len - g->l3));
			be16_put(h + g->l3 + VNET_IP4_CSUM, 0);
			be16_put(h + g->l3 + VNET_IP4_CSUM,
			    vnet_csum(h + g->l3, VNET_IP4_HLEN, 0));
		}
		/* A partial checksum: the pseudo-header's sum in the field. */
		pk.l3 = g->l3;
		pk.l4 = g->l4;
		pk.proto = VNET_PROTO_TCP;
		pk.v6 = g->v6;
		be16_put(h + g->l4 + VNET_TCP_CSUM,
		    vnet_fold(vnet_pseudo(h, &pk, g->len - g->l4)));
		m.flags = VNET_F_NEEDS_CSUM;
		m.gso_type = g->v6 ? VNET_GSO_TCPV6 : VNET_GSO_TCPV4;
		m.hdr_len = (uint16_t)g->hl;
		m.gso_size = g->mss;
		m.csum_start = (uint16_t)g->l4;
		m.csum_offset = VNET_TCP_CSUM;
		g->merged += g->nseg;
		(void)out(arg, &m, h, g->len);
	} else
		(void)out(arg, NULL, h, g->len);
	g->len = 0;
	g->nseg = 0;
}

void
vnet_gro_add(struct vnet_gro *g, const uint8_t *f, size_t len,
    vnet_gro_out_fn *out, void *arg)
{
	struct vnet_pkt pk;
	size_t pl;
	uint8_t fl;

	if (!vnet_gro_fits(f, len, &pk)) {
		vnet_gro_flush(g, out, arg);
		(void)out(arg, NULL, f, len);
		return;
	}
	pl = pk.end - pk.payload;
	fl = f[pk.l4 + VNET_TCP_FLAGS];
	if (g->len > 0 && vnet_gro_joins(g, f, &pk)) {
		memcpy(g->buf + g->len, f + pk.payload, pl);
		g->len += pl;
		g->nseg++;
		/* PSH goes to the super-frame; the last segment gets it back. */
		g->buf[g->l4 + VNET_TCP_FLAGS] |= fl;
		g->next_seq += (uint32_t)pl;
		g->next_id++;
		/* A short or pushed segment ends it. */
		if (pl < g->mss || (fl & VNET_TCP_PSH))
			vnet_gro_flush(g, out, arg);
		return;
	}
	vnet_gro_flush(g, out, arg);
	if ((fl & VNET_TCP_PSH) || pl < VNET_GSO_MIN || len > g->seg_max) {
		(void)out(arg, NULL, f, len);
		return;
	}
	memcpy(g->buf, f, len);
	g->len = len;
	g->nseg = 1;
	g->l3 = pk.l3;
	g->l4 = pk.l4;
	g->hl = pk.payload;
	g->v6 = pk.v6;
	g->mss = (uint16_t)pl;
	g->next_seq = be32_get(f + pk.l4 + VNET_TCP_SEQ) + (uint32_t)pl;
	if (!pk.v6)
		g->next_id = (uint16_t)(be16_get(f + pk.l3 + VNET_IP4_ID) + 1);
}
