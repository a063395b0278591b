/*
 * test_conn.c: a connection's data phase reading sealed records off a real
 * socket, however the bytes are cut: one byte per write, a record split
 * across reads, many records in one read, the largest record, records
 * that straddle each other's reads; and the bad cases, each closing the
 * connection with its reason and delivering nothing after the fault. And
 * the other way: records it seals reach the peer whole and in order, small
 * and large mixed, while the socket fills and empties.
 *
 * The hub's end is a real conn (conn_new on one end of a socketpair, put
 * straight into the data phase with known keys); the test plays the peer
 * on the other end with its own data channel.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "cert.h"
#include "conn.h"
#include "dchan.h"
#include "proto.h"
#include "rmtree.h"

#define ERRLEN    512
#define MAX_ITEMS 4096
#define SPIN_MAX  200000  /* loop turns before a test gives up waiting */

struct fixture {
	char dir[64];
	char crt[128];
	char key[128];
	struct tlsio_conf sc;
};

/* What the hub's end saw. */
struct seen {
	size_t n;                 /* frames delivered */
	uint32_t len[MAX_ITEMS];
	uint8_t first[MAX_ITEMS]; /* each frame's first byte */
	uint64_t sum;             /* of every byte of every frame */
	int batches;              /* rx_batch_done calls */
	int closed;
	int said_bye;             /* the peer said goodbye */
	char reason[256];
};

struct rig {
	struct event_base *base;
	int own_base;             /* made by rig_new, freed by rig_free */
	struct conn *c;
	int peer;                 /* the test's end of the socketpair */
	struct dchan dc;          /* the peer's data channel */
	struct seen s;
};

static int
group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char err[ERRLEN];

	if (f == NULL || sodium_init() < 0)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/test_conn.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->crt, sizeof f->crt, "%s/hub.crt", f->dir);
	snprintf(f->key, sizeof f->key, "%s/hub.key", f->dir);
	if (cert_ensure(f->crt, f->key, "softether hub", err, sizeof err) !=
	    1 || tlsio_conf_server(&f->sc, f->crt, f->key, err, sizeof err) !=
	    0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

static int
group_teardown(void **state)
{
	struct fixture *f = *state;

	tlsio_conf_free(&f->sc);
	rmtree(f->dir);
	free(f);
	return 0;
}

static void
on_item(struct conn *c, const struct proto_item *item, void *arg)
{
	struct seen *s = arg;

	(void)c;
	assert_int_equal(item->type, PROTO_ITEM_FRAME);
	assert_true(s->n < MAX_ITEMS);
	s->len[s->n] = item->len;
	s->first[s->n] = item->data[0];
	s->n++;
	for (uint32_t i = 0; i < item->len; i++)
		s->sum += item->data[i];
}

static void
on_batch(struct conn *c, void *arg)
{
	struct seen *s = arg;

	(void)c;
	s->batches++;
}

static void
on_closed(struct conn *c, const char *reason, void *arg)
{
	struct seen *s = arg;

	s->closed = 1;
	s->said_bye = c->peer_said_goodbye;
	snprintf(s->reason, sizeof s->reason, "%s", reason);
}

static const struct conn_cbs rig_cbs = {
	.item = on_item,
	.rx_batch_done = on_batch,
	.closed = on_closed,
};

/* The hub's end up in the data phase with keys the peer shares, on base
 * (a new loop if NULL). */
static struct rig *
rig_new_on(struct fixture *f, struct event_base *base)
{
	struct rig *r = calloc(1, sizeof *r);
	uint8_t k[TLSIO_EXPORT_LEN];
	int sv[2];

	assert_non_null(r);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	r->own_base = base == NULL;
	r->base = base != NULL ? base : event_base_new();
	assert_non_null(r->base);
	r->peer = sv[1];
	assert_int_equal(fcntl(r->peer, F_SETFL, O_NONBLOCK), 0);
	r->c = conn_new(r->base, sv[0], &f->sc, NULL, &rig_cbs, &r->s);
	assert_non_null(r->c);
	randombytes_buf(k, sizeof k);
	memcpy(r->c->tls.keys, k, sizeof k);
	assert_int_equal(conn_start_data(r->c, DCHAN_AES256GCM,
	    PROTO_ETH_MAX_FRAME, PROTO_KEEPALIVE_MS), 0);
	/* The hub opens with the first half, seals with the second. */
	assert_int_equal(dchan_init(&r->dc, DCHAN_AES256GCM, k,
	    k + DCHAN_KEY_LEN), 0);
	sodium_memzero(k, sizeof k);
	return r;
}

static struct rig *
rig_new(struct fixture *f)
{
	return rig_new_on(f, NULL);
}

static void
rig_free(struct rig *r)
{
	if (!r->s.closed) {
		conn_close(r->c, "test over");
		event_base_loop(r->base, EVLOOP_NONBLOCK);
	}
	assert_true(r->s.closed);
	close(r->peer);
	dchan_clear(&r->dc);
	if (r->own_base)
		event_base_free(r->base);
	free(r);
}

/*
 * One sealed record of nframes frames, each len bytes, frame i filled with
 * (tag + i) so that order and content can be checked. Appends to out at
 * *at; returns the record's size.
 */
static size_t
seal_frames(struct rig *r, uint8_t *out, size_t *at, size_t nframes,
    size_t len, uint8_t tag)
{
	uint8_t *rec = out + *at;
	size_t plain = 0;

	for (size_t i = 0; i < nframes; i++) {
		uint8_t *p = rec + PROTO_REC_HDR + plain;
		proto_item_hdr_put(p, PROTO_ITEM_FRAME, (uint32_t)len);
		memset(p + PROTO_ITEM_HDR, (uint8_t)(tag + i), len);
		plain += PROTO_ITEM_HDR + len;
	}
	size_t n = dchan_seal(&r->dc, rec, plain);
	assert_int_equal(n, PROTO_REC_HDR + plain + PROTO_REC_TAG);
	*at += n;
	return n;
}

/* Write all of p in pieces of at most step bytes, running the hub's loop
 * after each so that every piece is a read of its own. */
static void
feed(struct rig *r, const uint8_t *p, size_t len, size_t step)
{
	size_t off = 0;

	while (off < len && !r->s.closed) {
		size_t n = len - off < step ? len - off : step;
		ssize_t w = write(r->peer, p + off, n);
		if (w < 0 && errno == EAGAIN) {
			event_base_loop(r->base, EVLOOP_NONBLOCK);
			continue;
		}
		assert_true(w > 0);
		off += (size_t)w;
		event_base_loop(r->base, EVLOOP_NONBLOCK);
	}
}

/* Run the loop until want frames arrived or the connection closed. */
static void
settle(struct rig *r, size_t want)
{
	for (int i = 0; i < SPIN_MAX && r->s.n < want && !r->s.closed; i++)
		event_base_loop(r->base, EVLOOP_NONBLOCK);
}

static uint64_t
frames_sum(size_t nframes, size_t len, uint8_t tag)
{
	uint64_t t = 0;

	for (size_t i = 0; i < nframes; i++)
		t += (uint64_t)(uint8_t)(tag + i) * len;
	return t;
}

/* Records of several sizes, cut into pieces of every awkward size: each
 * frame arrives once, whole, in order, whatever the cut. */
static void
test_any_cut(void **state)
{
	static const size_t steps[] = { 1, 3, PROTO_REC_HDR - 1,
	    PROTO_REC_HDR, PROTO_REC_HDR + 1, 100, 1499, 4096, 65536,
	    1u << 20 };
	size_t cap = 64u * 1024u;
	uint8_t *buf = malloc(cap);

	assert_non_null(buf);
	for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
		struct rig *r = rig_new(*state);
		size_t at = 0, frames = 0;
		uint64_t sum = 0;
		/* 1, 3, 7, ... frames of 60 to 1500 bytes, each record its
		 * own tag. */
		for (size_t i = 0; i < 12; i++) {
			size_t nf = 1 + (i * 2) % 7, len = 60 + i * 130;
			seal_frames(r, buf, &at, nf, len, (uint8_t)(i * 16));
			frames += nf;
			sum += frames_sum(nf, len, (uint8_t)(i * 16));
		}
		assert_true(at <= cap);
		feed(r, buf, at, steps[k]);
		settle(r, frames);
		assert_false(r->s.closed);
		assert_int_equal(r->s.n, frames);
		assert_true(r->s.sum == sum);
		size_t f = 0;
		for (size_t i = 0; i < 12; i++)
			for (size_t j = 0; j < 1 + (i * 2) % 7; j++, f++) {
				assert_int_equal(r->s.len[f], 60 + i * 130);
				assert_int_equal(r->s.first[f],
				    (uint8_t)(i * 16 + j));
			}
		assert_true(r->s.batches >= 1);
		rig_free(r);
	}
	free(buf);
}

/* The largest record the protocol allows (a full PROTO_REC_MAX_PLAIN of
 * frames), several back to back, split so that every read ends inside a
 * record: what is kept between reads is close to a whole record. */
static void
test_largest_records(void **state)
{
	size_t per = PROTO_REC_MAX_PLAIN / (PROTO_ITEM_HDR +
	    PROTO_ETH_MAX_FRAME);
	size_t nrec = 6, cap = nrec * (PROTO_REC_HDR + PROTO_REC_MAX_SEALED);
	uint8_t *buf = malloc(cap);
	static const size_t steps[] = { 7777, PROTO_REC_MAX_SEALED - 5,
	    PROTO_REC_MAX_SEALED + PROTO_REC_HDR + 3, 300000 };

	assert_non_null(buf);
	for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
		struct rig *r = rig_new(*state);
		size_t at = 0;
		uint64_t sum = 0;
		for (size_t i = 0; i < nrec; i++) {
			seal_frames(r, buf, &at, per, PROTO_ETH_MAX_FRAME,
			    (uint8_t)(i * 40));
			sum += frames_sum(per, PROTO_ETH_MAX_FRAME,
			    (uint8_t)(i * 40));
		}
		feed(r, buf, at, steps[k]);
		settle(r, nrec * per);
		assert_false(r->s.closed);
		assert_int_equal(r->s.n, nrec * per);
		assert_true(r->s.sum == sum);
		assert_int_equal(r->s.first[per], 40);
		assert_int_equal(r->s.first[nrec * per - 1],
		    (uint8_t)((nrec - 1) * 40 + per - 1));
		rig_free(r);
	}
	free(buf);
}

/* A record header claiming more than the largest record: closed with its
 * reason, after the good record before it was delivered. */
static void
test_bad_header(void **state)
{
	struct rig *r = rig_new(*state);
	uint8_t buf[4096];
	size_t at = 0;

	seal_frames(r, buf, &at, 2, 100, 1);
	proto_rec_hdr_put(buf + at, PROTO_REC_MAX_SEALED + 1, 99);
	at += PROTO_REC_HDR;
	memset(buf + at, 0, 64);
	at += 64;
	feed(r, buf, at, sizeof buf);
	settle(r, 3);
	assert_true(r->s.closed);
	assert_string_equal(r->s.reason,
	    "bad record header (length out of range)");
	assert_int_equal(r->s.n, 2);
	rig_free(r);
}

/* One flipped bit in a record that arrives in two reads: refused by the
 * cipher, nothing of it or after it delivered. */
static void
test_tampered(void **state)
{
	struct rig *r = rig_new(*state);
	uint8_t buf[8192];
	size_t at = 0;

	seal_frames(r, buf, &at, 1, 200, 1);
	size_t second = at;
	seal_frames(r, buf, &at, 3, 300, 9);
	seal_frames(r, buf, &at, 1, 200, 50);
	buf[second + PROTO_REC_HDR + 40] ^= 0x10;
	feed(r, buf, second + 100, sizeof buf);
	feed(r, buf + second + 100, at - second - 100, sizeof buf);
	settle(r, 5);
	assert_true(r->s.closed);
	assert_non_null(strstr(r->s.reason, "data channel: "));
	assert_int_equal(r->s.n, 1);
	rig_free(r);
}

/* A frame longer than the connection allows, inside a good record: the
 * record's content is refused. */
static void
test_oversized_frame(void **state)
{
	struct rig *r = rig_new(*state);
	uint8_t buf[8192];
	size_t at = 0;

	seal_frames(r, buf, &at, 1, 64, 1);
	seal_frames(r, buf, &at, 1, PROTO_ETH_MAX_FRAME + 1, 2);
	feed(r, buf, at, sizeof buf);
	settle(r, 3);
	assert_true(r->s.closed);
	assert_non_null(strstr(r->s.reason, "bad record content: "));
	assert_int_equal(r->s.n, 1);
	rig_free(r);
}

/* The peer goes away in the middle of a record: the whole records before
 * it were delivered, the part is dropped, the close says why. */
static void
test_peer_gone_mid_record(void **state)
{
	struct rig *r = rig_new(*state);
	uint8_t buf[8192];
	size_t at = 0;

	seal_frames(r, buf, &at, 2, 500, 1);
	size_t whole = at;
	seal_frames(r, buf, &at, 2, 500, 7);
	feed(r, buf, whole + 300, 1000);
	settle(r, 2);
	assert_int_equal(r->s.n, 2);
	assert_false(r->s.closed);
	shutdown(r->peer, SHUT_WR);
	settle(r, 5);
	assert_true(r->s.closed);
	assert_string_equal(r->s.reason, "connection closed by peer");
	assert_int_equal(r->s.n, 2);
	rig_free(r);
}

/* A goodbye ends it; frames after it in the same read are not delivered. */
static void
test_goodbye(void **state)
{
	struct rig *r = rig_new(*state);
	uint8_t buf[4096];
	size_t at = 0;

	seal_frames(r, buf, &at, 1, 100, 1);
	uint8_t *rec = buf + at, *p = rec + PROTO_REC_HDR;
	static const char text[] = "bye\n\x01now";
	proto_item_hdr_put(p, PROTO_ITEM_GOODBYE, 2 + sizeof text - 1);
	p[PROTO_ITEM_HDR] = 0;
	p[PROTO_ITEM_HDR + 1] = 1;
	memcpy(p + PROTO_ITEM_HDR + 2, text, sizeof text - 1);
	at += dchan_seal(&r->dc, rec, PROTO_ITEM_HDR + 2 + sizeof text - 1);
	seal_frames(r, buf, &at, 1, 100, 2);
	feed(r, buf, at, sizeof buf);
	settle(r, 3);
	assert_true(r->s.closed);
	assert_true(r->s.said_bye);
	/* The peer's text reaches the reason made safe for a log line. */
	assert_non_null(strstr(r->s.reason, "peer said goodbye: bye"));
	assert_null(strchr(r->s.reason, '\n'));
	assert_int_equal(r->s.n, 1);
	rig_free(r);
}

/* Two connections of one loop, their records interleaved read by read:
 * what one keeps of a partial record is its own. */
static void
test_two_interleaved(void **state)
{
	struct rig *a = rig_new(*state);
	struct rig *b = rig_new_on(*state, a->base);
	uint8_t *ba = malloc(65536), *bb = malloc(65536);
	size_t la = 0, lb = 0;

	assert_non_null(ba);
	assert_non_null(bb);
	for (size_t i = 0; i < 10; i++) {
		seal_frames(a, ba, &la, 5, 1000, (uint8_t)i);
		seal_frames(b, bb, &lb, 5, 1000, (uint8_t)(100 + i));
	}
	for (size_t off = 0; off < la || off < lb; off += 777) {
		if (off < la)
			feed(a, ba + off, la - off < 777 ? la - off : 777, 777);
		if (off < lb)
			feed(b, bb + off, lb - off < 777 ? lb - off : 777, 777);
	}
	settle(a, 50);
	settle(b, 50);
	assert_int_equal(a->s.n, 50);
	assert_int_equal(b->s.n, 50);
	assert_true(a->s.sum == 1000 * (uint64_t)(5 * 45 + 10 * 10));
	assert_int_equal(b->s.first[0], 100);
	assert_int_equal(b->s.first[49], 100 + 9 + 4);
	assert_false(a->s.closed);
	assert_false(b->s.closed);
	rig_free(b);
	free(ba);
	free(bb);
	rig_free(a);
}

/* The peer reads what the socket has (non-blocking) onto in[*have]. */
static void
peer_read(struct rig *r, uint8_t *in, size_t cap, size_t *have)
{
	for (;;) {
		ssize_t n = read(r->peer, in + *have, cap - *have);
		if (n <= 0) {
			assert_true(n < 0 && errno == EAGAIN);
			return;
		}
		*have += (size_t)n;
	}
}

/* Plaintext i: len bytes of (i * 7 + j). */
static void
fill(uint8_t *p, size_t len, size_t i)
{
	for (size_t j = 0; j < len; j++)
		p[j] = (uint8_t)(i * 7 + j);
}

#define SEND_N 400

static size_t
send_len(size_t i)
{
	return i % 50 == 49 ? 40000 + i : 100 + (i * 37) % 1400;
}

/*
 * Records the hub's end seals, small ones (lent block) and large ones
 * (output queue) mixed, in bursts, some with a separate head, while the
 * peer reads only now and then so that the socket fills and writes stop
 * part way: the peer opens every record, in order, each whole.
 */
static void
test_send_order(void **state)
{
	struct rig *r = rig_new(*state);
	size_t cap = 8u << 20, have = 0, off = 0;
	uint8_t *in = malloc(cap), *pl = malloc(PROTO_REC_MAX_PLAIN);
	uint8_t want[PROTO_REC_MAX_PLAIN];
	static const uint8_t head[4] = { 0xde, 0xad, 0xbe, 0xef };
	int filled = 0;

	assert_non_null(in);
	assert_non_null(pl);
	for (size_t i = 0; i < SEND_N;) {
		size_t burst = 1 + i % 13;
		for (size_t k = 0; k < burst && i < SEND_N; k++, i++) {
			fill(pl, send_len(i), i);
			if (i % 2)
				assert_int_equal(conn_send_plain(r->c, head,
				    sizeof head, pl, send_len(i)), 0);
			else
				assert_int_equal(conn_send_plain(r->c, NULL, 0,
				    pl, send_len(i)), 0);
		}
		event_base_loop(r->base, EVLOOP_NONBLOCK);
		filled |= conn_outq(r->c) > 0;
		if (i % 7 == 0)
			peer_read(r, in, cap, &have);
	}
	/* The socket did fill: some records waited in the queue. */
	assert_true(filled);
	for (int spin = 0; spin < SPIN_MAX && conn_outq(r->c) > 0; spin++) {
		event_base_loop(r->base, EVLOOP_NONBLOCK);
		peer_read(r, in, cap, &have);
	}
	assert_int_equal(conn_outq(r->c), 0);
	peer_read(r, in, cap, &have);
	for (size_t i = 0; i < SEND_N; i++) {
		uint32_t sealed;
		uint64_t seq;
		uint8_t *plain;
		size_t plain_len, len = send_len(i), hl = i % 2 ? 4 : 0;
		const char *why;
		assert_true(have - off >= PROTO_REC_HDR);
		assert_int_equal(proto_rec_hdr_get(in + off, PROTO_REC_HDR,
		    &sealed, &seq), PROTO_OK);
		size_t total = PROTO_REC_HDR + sealed;
		assert_true(have - off >= total);
		assert_int_equal(dchan_open(&r->dc, in + off, total, &plain,
		    &plain_len, &why), 0);
		assert_int_equal(plain_len, hl + len);
		if (hl > 0)
			assert_memory_equal(plain, head, hl);
		fill(want, len, i);
		assert_memory_equal(plain + hl, want, len);
		off += total;
	}
	assert_int_equal(off, have);
	assert_false(r->s.closed);
	free(in);
	free(pl);
	rig_free(r);
}

/* A wake-up's small records leave in one write. */
static void
test_one_write(void **state)
{
	struct rig *r = rig_new(*state);
	uint8_t pl[600], in[16384];
	size_t have = 0;

	memset(pl, 0x5a, sizeof pl);
	uint64_t writes = r->c->ctr.tx_writes;
	for (int i = 0; i < 10; i++)
		assert_int_equal(conn_send_plain(r->c, NULL, 0, pl,
		    sizeof pl), 0);
	assert_int_equal(r->c->ctr.tx_writes, writes);
	event_base_loop(r->base, EVLOOP_NONBLOCK);
	assert_int_equal(r->c->ctr.tx_writes, writes + 1);
	assert_int_equal(conn_outq(r->c), 0);
	peer_read(r, in, sizeof in, &have);
	assert_int_equal(have, 10 * (PROTO_REC_HDR + sizeof pl +
	    PROTO_REC_TAG));
	rig_free(r);
}

/* More connections of one loop than it lends blocks to, each sealing a
 * record before any is written (a broadcast): every peer gets its own,
 * whole, and after the loop has written them the next round does too. */
#define MANY 80

static void
test_many_conns(void **state)
{
	struct rig *r[MANY];
	uint8_t pl[300], in[4096];

	r[0] = rig_new(*state);
	for (size_t i = 1; i < MANY; i++)
		r[i] = rig_new_on(*state, r[0]->base);
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < MANY; i++) {
			fill(pl, sizeof pl, i + round);
			assert_int_equal(conn_send_plain(r[i]->c, NULL, 0, pl,
			    sizeof pl), 0);
		}
		event_base_loop(r[0]->base, EVLOOP_NONBLOCK);
		for (size_t i = 0; i < MANY; i++) {
			size_t have = 0;
			uint8_t *plain, want[sizeof pl];
			size_t plain_len;
			const char *why;
			assert_int_equal(conn_outq(r[i]->c), 0);
			peer_read(r[i], in, sizeof in, &have);
			assert_int_equal(have, PROTO_REC_HDR + sizeof pl +
			    PROTO_REC_TAG);
			assert_int_equal(dchan_open(&r[i]->dc, in, have, &plain,
			    &plain_len, &why), 0);
			fill(want, sizeof pl, i + round);
			assert_int_equal(plain_len, sizeof pl);
			assert_memory_equal(plain, want, sizeof pl);
		}
	}
	for (size_t i = MANY; i-- > 1;)
		rig_free(r[i]);
	rig_free(r[0]);
}

/* An owner lets go of a connection still in its handshake and frees its
 * TLS configuration at once (a card freed mid-login): the connection is
 * freed a loop turn later and must not touch that configuration then:
 * its TLS state goes with the close. */
static void
test_owner_frees_conf(void **state)
{
	struct fixture *f = *state;
	struct tlsio_conf *cc = calloc(1, sizeof *cc);
	struct event_base *base = event_base_new();
	char err[ERRLEN];
	struct seen s = { 0 };
	int sv[2];

	assert_non_null(cc);
	assert_non_null(base);
	assert_int_equal(tlsio_conf_client(cc, f->crt, err, sizeof err), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct conn *c = conn_new(base, sv[0], cc, "softether hub", &rig_cbs,
	    &s);
	assert_non_null(c);
	assert_int_equal(c->state, CONN_TLS);
	conn_abandon(c, "card freed");
	/* Its TLS state went with the close. */
	assert_true(c->tls.released);
	tlsio_conf_free(cc);
	memset(cc, 0xa5, sizeof *cc);
	free(cc);
	event_base_loop(base, EVLOOP_NONBLOCK);
	/* Abandoned: the owner hears nothing. */
	assert_false(s.closed);
	close(sv[1]);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_any_cut),
		cmocka_unit_test(test_largest_records),
		cmocka_unit_test(test_bad_header),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_oversized_frame),
		cmocka_unit_test(test_peer_gone_mid_record),
		cmocka_unit_test(test_goodbye),
		cmocka_unit_test(test_two_interleaved),
		cmocka_unit_test(test_send_order),
		cmocka_unit_test(test_one_write),
		cmocka_unit_test(test_many_conns),
		cmocka_unit_test(test_owner_frees_conf),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
