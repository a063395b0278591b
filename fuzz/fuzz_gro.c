/*
 * fuzz_gro.c: frames from a peer through the card's coalescing
 * (vnet_gro), as the hub hands them. The input describes a stream of
 * frames: TCP segments of four flows over IPv4 and IPv6 (sizes, flags,
 * options, gaps in sequence or IPv4 ID, a checksum spoilt now and then),
 * built with correct checksums so that runs do form, and raw frames
 * between them. Whatever leaves must pass vnet_check, and cutting it back
 * (vnet_undo) must give exactly the frames that went in, in order: a
 * checksum field may differ only as an equal encoding of the same sum,
 * and must then still hold.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "vnet.h"

#define FZ_SEG_MAX    1518u
#define FZ_FRAMES_MAX 512u
#define FZ_V6         0x01u
#define FZ_FLOW       0x06u   /* two bits: one of four flows */
#define FZ_PSH        0x08u
#define FZ_SPOIL      0x10u   /* a wrong TCP (or IPv4 header) checksum */
#define FZ_SEQ_SKIP   0x20u
#define FZ_ID_SKIP    0x40u
#define FZ_RAW        0x80u   /* the next bytes are a frame as it is */
#define FZ_X_FLAGS    0x80u   /* in the extra byte: other TCP flags */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz_in {
	uint8_t *f[FZ_FRAMES_MAX];
	size_t len[FZ_FRAMES_MAX];
	unsigned n;
	unsigned next;            /* the next one a cut-back frame must be */
	uint8_t *scratch;
};

static void
fz_csum_put(uint8_t *f, size_t l3, size_t l4, size_t end, int v6)
{
	uint8_t *ps = malloc(40 + end - l4);

	if (ps == NULL)
		abort();
	/* pseudo-header, then the segment with its checksum zero */
	memset(ps, 0, 40);
	if (v6)
		memcpy(ps, f + l3 + 8, 32);
	else
		memcpy(ps, f + l3 + 12, 8);
	be16_put(ps + 34, (uint16_t)(end - l4));
	ps[39] = 6;
	memcpy(ps + 40, f + l4, end - l4);
	be16_put(ps + 40 + 16, 0);
	be16_put(f + l4 + 16, vnet_csum(ps, 40 + end - l4, 0));
	free(ps);
}

/* One segment of flow k; returns its length. */
static size_t
fz_segment(uint8_t *f, uint8_t ctl, size_t pl, uint8_t x, uint32_t *seq,
    uint16_t *id)
{
	int v6 = ctl & FZ_V6;
	unsigned k = (ctl & FZ_FLOW) >> 1;
	size_t l3 = 14, l4 = l3 + (v6 ? 40 : 20), opt = x & 0x0cu;
	size_t hl = l4 + 20 + opt, end = hl + pl;
	uint8_t *ip = f + l3, *t = f + l4;

	memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	be16_put(f + 12, v6 ? 0x86dd : 0x0800);
	if (v6) {
		memset(ip, 0, 40);
		ip[0] = 0x60;
		be16_put(ip + 4, (uint16_t)(end - l4));
		ip[6] = 6;
		ip[7] = 64;
		ip[8] = 0xfd;
		ip[23] = 1;
		ip[24] = 0xfd;
		ip[39] = 2;
	} else {
		memset(ip, 0, 20);
		ip[0] = 0x45;
		be16_put(ip + 2, (uint16_t)(end - l3));
		be16_put(ip + 4, *id);
		be16_put(ip + 6, 0x4000);
		ip[8] = 64;
		ip[9] = 6;
		ip[12] = 10;
		ip[15] = 1;
		ip[16] = 10;
		ip[19] = 2;
		be16_put(ip + 10, vnet_csum(ip, 20, 0));
		*id = (uint16_t)(*id + 1 + ((ctl & FZ_ID_SKIP) ? 1 : 0));
	}
	memset(t, 0, 20);
	be16_put(t, (uint16_t)(40000 + k));
	be16_put(t + 2, 5000);
	be32_put(t + 4, *seq);
	be32_put(t + 8, 0x01020304);
	t[12] = (uint8_t)((20 + opt) / 4 << 4);
	t[13] = (uint8_t)(0x10 | ((ctl & FZ_PSH) ? 0x08 : 0) |
	    ((x & FZ_X_FLAGS) ? (x & 0x67) : 0));
	be16_put(t + 14, 0xfff0);
	memset(t + 20, 0x01, opt);
	for (size_t i = 0; i < pl; i++)
		f[hl + i] = (uint8_t)(i * 131u + *seq);
	fz_csum_put(f, l3, l4, end, v6);
	*seq += (uint32_t)pl + ((ctl & FZ_SEQ_SKIP) ? 1u : 0u);
	if (ctl & FZ_SPOIL)
		f[v6 || (x & 1) ? l4 + 16 : l3 + 10] ^= 0x20;
	return end;
}

/* The 16-bit fields at a + off and b + off are the same sum: equal, or
 * its two encodings 0x0000 and 0xffff. */
static int
fz_same_sum(const uint8_t *a, const uint8_t *b, size_t off)
{
	uint16_t x = be16_get(a + off), y = be16_get(b + off);

	return x == y || (uint16_t)(x ^ y) == 0xffff;
}

/* b is a as it went in, but that a checksum field (IPv4 header, TCP) may
 * hold the other encoding of the same sum. */
static int
fz_same(const uint8_t *a, const uint8_t *b, size_t len)
{
	size_t l4, i;
	int v6;

	if (memcmp(a, b, len) == 0)
		return 1;
	if (len < 54 || (be16_get(a + 12) != 0x0800 &&
	    be16_get(a + 12) != 0x86dd))
		return 0;
	v6 = be16_get(a + 12) == 0x86dd;
	l4 = v6 ? 54 : 34;
	for (i = 0; i < len; i++) {
		int field = (i >= l4 + 16 && i < l4 + 18) ||
		    (!v6 && i >= 24 && i < 26);
		if (a[i] != b[i] && !field)
			return 0;
	}
	return fz_same_sum(a, b, l4 + 16) && (v6 || fz_same_sum(a, b, 24));
}

static int
fz_back(void *arg, const uint8_t *f, size_t len)
{
	struct fz_in *in = arg;

	if (in->next >= in->n || in->len[in->next] != len ||
	    !fz_same(in->f[in->next], f, len))
		abort();
	in->next++;
	return 0;
}

static int
fz_out(void *arg, const struct vnet_meta *m, const uint8_t *f, size_t len)
{
	struct fz_in *in = arg;

	if (m == NULL)
		return fz_back(in, f, len);
	if (vnet_check(m, f, len, FZ_SEG_MAX) != VNET_OK ||
	    vnet_undo(m, f, len, in->scratch, fz_back, in) != VNET_OK)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vnet_gro *g;
	static struct fz_in in;
	uint32_t seq[8] = { 0xfffffc00u, 1, 2, 3, 4, 5, 6, 7 };
	uint16_t id[4] = { 0xfffe, 0, 100, 200 };
	size_t i = 0;

	if (g == NULL && ((g = malloc(sizeof *g)) == NULL ||
	    (in.scratch = malloc(VNET_FRAME_MAX)) == NULL))
		abort();
	vnet_gro_init(g, FZ_SEG_MAX);
	in.n = in.next = 0;
	while (i + 4 <= size && in.n < FZ_FRAMES_MAX) {
		uint8_t ctl = data[i], x = data[i + 3];
		size_t n = be16_get(data + i + 1), len;
		uint8_t *f;
		i += 4;
		if (ctl & FZ_RAW) {
			/* exactly its bytes, so ASan sees a read beyond them */
			n %= 1600;
			if (n > size - i)
				n = size - i;
			if ((f = malloc(n > 0 ? n : 1)) == NULL)
				abort();
			memcpy(f, data + i, n);
			i += n;
			len = n;
		} else {
			unsigned k = (ctl & FZ_FLOW) >> 1;
			if ((f = malloc(FZ_SEG_MAX + 64)) == NULL)
				abort();
			len = fz_segment(f, ctl, n % 1461, x,
			    &seq[k + ((ctl & FZ_V6) ? 4 : 0)], &id[k]);
		}
		in.f[in.n] = f;
		in.len[in.n++] = len;
		vnet_gro_add(g, f, len, fz_out, &in);
	}
	vnet_gro_flush(g, fz_out, &in);
	if (in.next != in.n)
		abort();
	for (unsigned k = 0; k < in.n; k++)
		free(in.f[k]);
	return 0;
}
