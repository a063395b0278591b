/*
 * fuzz_proto.c: hostile bytes into every decoder of proto.c and into
 * dchan_open, plus a seal/open round trip that must always succeed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dchan.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_OFFLOAD_FRAME (65535u + PROTO_ETH_HDR)
#define FUZZ_REC_MAX (PROTO_REC_HDR + PROTO_REC_MAX_PLAIN + PROTO_REC_TAG)

static const uint8_t fuzz_key_ab[DCHAN_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t fuzz_key_ba[DCHAN_KEY_LEN] = { 8, 7, 6, 5, 4, 3, 2, 1 };

static void
fuzz_msgs(const uint8_t *data, size_t size)
{
	static struct proto_msg m;
	static uint8_t out[PROTO_MSG_HDR + PROTO_MSG_MAX_BODY];
	const char *why;
	size_t used, off = 0;

	while (off < size) {
		why = NULL;
		switch (proto_msg_decode(data + off, size - off, &m, &used,
		    &why)) {
		case PROTO_OK:
			if (used < PROTO_MSG_HDR || used > size - off)
				abort();
			/* What decodes must encode again. */
			if (proto_msg_encode(&m, out, sizeof out) == 0)
				abort();
			off += used;
			break;
		case PROTO_BAD:
			if (why == NULL)
				abort();
			return;
		default:
			return;
		}
	}
}

static void
fuzz_items(const uint8_t *data, size_t size, uint32_t max_frame)
{
	struct proto_item_iter it = { data, size };
	struct proto_item item;
	const char *why;

	for (;;) {
		switch (proto_item_next(&it, max_frame, &item, &why)) {
		case PROTO_OK:
			if (item.data < data || item.len > size ||
			    item.data + item.len > data + size)
				abort();
			break;
		default:
			return;
		}
	}
}

static void
fuzz_dchan(const uint8_t *data, size_t size, enum dchan_cipher c)
{
	static uint8_t rec[FUZZ_REC_MAX];
	struct dchan a, b;
	uint8_t *plain;
	size_t plain_len, n;
	const char *why;

	if (dchan_init(&a, c, fuzz_key_ab, fuzz_key_ba) == -1 ||
	    dchan_init(&b, c, fuzz_key_ba, fuzz_key_ab) == -1)
		return;
	/* Raw bytes as a record: almost always refused, never a crash. */
	n = size < sizeof rec ? size : sizeof rec;
	memcpy(rec, data, n);
	if (dchan_open(&b, rec, n, &plain, &plain_len, &why) == 0) {
		if (plain != rec + PROTO_REC_HDR || b.rx.seq != 1)
			abort();
		fuzz_items(plain, plain_len, PROTO_ETH_MAX_FRAME);
	} else if (b.rx.seq != 0) {
		abort();
	}
	/* The bytes as plaintext: must come back unchanged. */
	n = size < PROTO_REC_MAX_PLAIN ? size : PROTO_REC_MAX_PLAIN;
	memcpy(rec + PROTO_REC_HDR, data, n);
	if (dchan_seal(&a, rec, n) != PROTO_REC_HDR + n + PROTO_REC_TAG)
		abort();
	dchan_init(&b, c, fuzz_key_ba, fuzz_key_ab);
	if (dchan_open(&b, rec, PROTO_REC_HDR + n + PROTO_REC_TAG, &plain,
	    &plain_len, &why) != 0 || plain_len != n ||
	    (n > 0 && memcmp(plain, data, n) != 0))
		abort();
	dchan_clear(&a);
	dchan_clear(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t sealed;
	uint64_t seq;

	fuzz_msgs(data, size);
	if (proto_rec_hdr_get(data, size, &sealed, &seq) == PROTO_OK &&
	    (sealed < PROTO_REC_TAG || sealed > PROTO_REC_MAX_SEALED))
		abort();
	if (size > 0)
		fuzz_items(data + 1, size - 1, (data[0] & 1) ?
		    FUZZ_OFFLOAD_FRAME : PROTO_ETH_MAX_FRAME);
	fuzz_dchan(data, size, DCHAN_CHACHA20POLY1305);
	fuzz_dchan(data, size, DCHAN_AES256GCM);
	return 0;
}
