/*
 * fuzz_vnet.c: hostile offload metadata and frames through vnet_frame, as
 * an AF_PACKET socket would hand them: a tag put back first or not, the
 * metadata shifted or not. Nothing may be read or written outside the
 * frame and the scratch buffer, and what comes out must fit. The same
 * through vnet_check and vnet_undo, as a peer's offload item reaches the
 * hub: whatever vnet_check accepts, vnet_undo cuts into frames of at most
 * 1518 bytes, leaving the frame as it was.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vnet.h"

/* Input: struct virtio_net_hdr, a control byte, the frame. */
#define FZ_CTL_SHIFT  0x01u   /* the metadata moved by a tag */
#define FZ_CTL_INSERT 0x02u   /* vnet_vlan_insert first */
#define FZ_CTL_8021AD 0x04u   /* that tag's TPID: 802.1ad, else 802.1Q */
#define FZ_TAG_LEN    4u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz_out {
	const uint8_t *frame;    /* the frame handed in */
	size_t len;
	unsigned calls;
	int plain;               /* no GSO: handed at most once, as is */
};

static volatile uint8_t fz_sink;

static int
fz_out(void *arg, const uint8_t *f, size_t len)
{
	struct fz_out *o = arg;
	uint8_t x = 0;

	if (len > VNET_FRAME_MAX)
		abort();
	if (o->plain && (o->calls > 0 || f != o->frame || len != o->len))
		abort();
	for (size_t i = 0; i < len; i++)
		x ^= f[i];
	fz_sink = x;
	o->calls++;
	/* Now and then the consumer stops taking. */
	return len % 97 == 13;
}

/* What vnet_check lets through (to the hub's ports, a peer's kernel),
 * vnet_undo can always cut, into frames of at most 1518 bytes, without
 * changing the frame. */
struct fz_seg {
	size_t max;
	unsigned calls;
};

static int
fz_seg(void *arg, const uint8_t *f, size_t len)
{
	struct fz_seg *s = arg;

	if (len > s->max || len < 14)
		abort();
	fz_sink = f[len - 1];
	s->calls++;
	return 0;
}

static void
fz_check(const struct vnet_meta *m, const uint8_t *f, size_t len,
    uint8_t *scratch)
{
	struct fz_seg s = { 1518, 0 };
	uint8_t *copy;

	if (vnet_check(m, f, len, s.max) != VNET_OK)
		return;
	if ((copy = malloc(len > 0 ? len : 1)) == NULL)
		abort();
	memcpy(copy, f, len);
	if (vnet_undo(m, f, len, scratch, fz_seg, &s) != VNET_OK ||
	    s.calls == 0 || memcmp(copy, f, len) != 0)
		abort();
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *scratch;
	struct fz_out o = { .frame = NULL };
	struct vnet_meta m;
	enum vnet_result r;
	uint8_t ctl, *buf, *f;
	size_t len, head;

	if (size < VNET_HDR_LEN + 1)
		return 0;
	if (scratch == NULL && (scratch = malloc(VNET_FRAME_MAX)) == NULL)
		abort();
	vnet_meta_get(data, &m);
	ctl = data[VNET_HDR_LEN];
	data += VNET_HDR_LEN + 1;
	size -= VNET_HDR_LEN + 1;

	/* Exactly the frame (and the headroom asked for), so ASan sees any
	 * byte read beyond it. */
	head = ctl & FZ_CTL_INSERT ? FZ_TAG_LEN : 0;
	if ((buf = malloc(head + size > 0 ? head + size : 1)) == NULL)
		abort();
	f = buf + head;
	memcpy(f, data, size);
	len = size;
	if (head > 0) {
		if (vnet_vlan_insert(&f, &len, ctl & FZ_CTL_8021AD ? 0x88a8 :
		    0x8100, (uint16_t)(ctl << 8 | ctl)) == -1) {
			if (size >= 14)
				abort();
			free(buf);
			return 0;
		}
		if (f != buf || len != size + FZ_TAG_LEN)
			abort();
	}
	fz_check(&m, f, len, scratch);
	o.frame = f;
	o.len = len;
	o.plain = (m.gso_type & ~VNET_GSO_ECN) == VNET_GSO_NONE;
	r = vnet_frame(&m, ctl & FZ_CTL_SHIFT ? FZ_TAG_LEN : 0, f, len,
	    scratch, fz_out, &o);
	switch (r) {
	case VNET_OK:
		if (o.calls == 0)
			abort();
		break;
	case VNET_BAD:
		if (o.calls != 0)
			abort();
		break;
	case VNET_STOPPED:
		if (o.calls == 0)
			abort();
		break;
	default:
		abort();
	}
	free(buf);
	return 0;
}
