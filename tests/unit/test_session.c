/*
 * test_session.c: two sessions over a fake connection: ordered delivery,
 * acks, resume after a cut, duplicates, stale acks, budget, wrap, congestion.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <cmocka.h>
#include <event2/event.h>

#include "conn.h"
#include "proto.h"
#include "session.h"
#include "vnet.h"

#define T_MAX_GOT      4096u  /* frames one end receives in a test */
#define T_BURST        10u    /* frames per event-loop turn: one record */
#define T_BIG_BURST    100u   /* enough to pass the batch target */
#define T_SMALL_BUDGET (64u * 1024u)
#define T_FRAME_SPAN   (PROTO_ETH_MAX_FRAME - PROTO_ETH_MIN_FRAME + 1u)
#define T_FRAME_TAG    5u     /* dir u8, index u32 at the start of a frame */
#define T_WRAP_FIRST   (UINT64_MAX - 50u)
#define T_SETTLE_MS    (SESSION_ACK_MS + 100u)
#define T_EARLY_MS     (SESSION_ACK_MS / 4u)

/*
 * The fake connection. session.c only hands the pointer back to the
 * functions below, so a struct conn * can point at this; defined here,
 * they keep conn.o (and TLS, sockets) out of the link.
 */
struct t_rec {
	uint8_t *p;
	size_t len;
};
struct t_link {
	int congested;
	unsigned congest_after; /* > 0: congested after this many records */
	int fail;               /* conn_send_plain reports a dead connection */
	struct t_rec *rec;      /* sent, not yet carried or dropped */
	size_t n, head, cap;
};

/* One end: its session, what it sent, what it received. */
struct t_end {
	struct session s;
	struct t_link link;
	int inited;
	uint8_t dir;            /* salts the frames it sends */
	uint8_t peer_dir;
	uint32_t next_idx;      /* index of the next frame it sends */
	size_t min_len, max_len;/* of the frames it sent */
	uint64_t got[T_MAX_GOT];/* indices of the frames it was delivered */
	size_t ngot;
	size_t nvm;             /* of them, with offload metadata */
	size_t vm_at;           /* the last such: its place in got[] */
	struct vnet_meta vm;    /* and its metadata */
	/* Records it sent, as seen on arrival. */
	size_t lone_acks, data_recs;
	uint64_t last_ack;      /* value of the ACK item of the latest */
};

struct t_pair {
	struct event_base *base;
	struct t_end *a, *b;
};

static struct conn *
t_conn(struct t_end *e)
{
	return (struct conn *)(void *)&e->link;
}

int
conn_send_plain(struct conn *c, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen)
{
	struct t_link *l = (struct t_link *)(void *)c;
	uint8_t *p;

	assert_non_null(l);
	if (l->fail)
		return -1;
	/* The real connection refuses longer records. */
	assert_true(alen + blen <= PROTO_REC_MAX_PLAIN);
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct t_rec *r = realloc(l->rec, cap * sizeof *r);
		assert_non_null(r);
		l->rec = r;
		l->cap = cap;
	}
	p = malloc(alen + blen);
	assert_non_null(p);
	if (alen > 0)
		memcpy(p, a, alen);
	if (blen > 0)
		memcpy(p + alen, b, blen);
	l->rec[l->n].p = p;
	l->rec[l->n].len = alen + blen;
	l->n++;
	if (l->congest_after > 0 && --l->congest_after == 0)
		l->congested = 1;
	return 0;
}

int
conn_congested(struct conn *c)
{
	struct t_link *l = (struct t_link *)(void *)c;

	assert_non_null(l);
	return l->congested;
}

/* The fake sends each record as it is sealed: nothing waits for a push. */
void
conn_hold(struct conn *c)
{
	assert_non_null(c);
}

void
conn_push(struct conn *c)
{
	assert_non_null(c);
}

/* The session takes the connection over; the fake has no callbacks. */
void
conn_set_owner(struct conn *c, const struct conn_cbs *cbs, void *arg)
{
	assert_non_null(c);
}

/* session_free lets go of a connection still attached (teardown). */
void
conn_abandon(struct conn *c, const char *reason)
{
	assert_non_null(c);
}

/* Only from the stall timer and session_close, which these tests never
 * reach. */
void
conn_close(struct conn *c, const char *reason)
{
	fail_msg("conn_close: %s", reason);
}

void
conn_goodbye(struct conn *c, uint16_t code, const char *text)
{
	fail_msg("conn_goodbye: %s", text);
}

static size_t
t_pending(const struct t_link *l)
{
	return l->n - l->head;
}

static void
t_compact(struct t_link *l)
{
	if (l->head == l->n)
		l->head = l->n = 0;
}

static uint64_t
t_get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void
t_put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* Frame idx from end dir, 14..1518 bytes (from end 0, index 0 is the
 * shortest and index 1 the longest). */
static size_t
t_frame(uint8_t dir, uint32_t idx, uint8_t f[PROTO_ETH_MAX_FRAME])
{
	size_t len = PROTO_ETH_MIN_FRAME + ((uint64_t)idx *
	    (T_FRAME_SPAN - 1u) + (uint64_t)(idx / 7u) * 389u +
	    dir * 577u) % T_FRAME_SPAN;

	f[0] = dir;
	f[1] = (uint8_t)(idx >> 24);
	f[2] = (uint8_t)(idx >> 16);
	f[3] = (uint8_t)(idx >> 8);
	f[4] = (uint8_t)idx;
	for (size_t i = T_FRAME_TAG; i < len; i++)
		f[i] = (uint8_t)(idx * 131u + i * 7u + dir);
	return len;
}

static void
t_deliver(void *arg, const struct vnet_meta *vm, const uint8_t *f,
    size_t len, uint64_t now_ms)
{
	struct t_end *e = arg;
	uint8_t want[PROTO_ETH_MAX_FRAME];
	uint32_t idx;

	if (vm != NULL) {
		e->nvm++;
		e->vm_at = e->ngot;
		e->vm = *vm;
	}
	assert_true(len >= T_FRAME_TAG);
	assert_int_equal(f[0], e->peer_dir);
	idx = (uint32_t)f[1] << 24 | (uint32_t)f[2] << 16 |
	    (uint32_t)f[3] << 8 | f[4];
	assert_int_equal(len, t_frame(e->peer_dir, idx, want));
	assert_memory_equal(f, want, len);
	assert_true(e->ngot < T_MAX_GOT);
	e->got[e->ngot++] = idx;
}

/*
 * One record from `from` arrives at `to`, as the real connection hands it
 * over: every item in order, then rx_done. Checks the layout: an ACK
 * first, then either nothing or batches (a SEQ, then frames).
 */
static void
t_feed(struct t_end *from, struct t_end *to, const uint8_t *p, size_t len)
{
	struct proto_item_iter it = { p, len };
	struct proto_item item;
	const char *why = NULL;
	enum proto_result r;
	size_t n = 0;
	int want_seq = 1;

	while ((r = proto_item_next(&it, PROTO_ETH_MAX_FRAME, &item,
	    &why)) == PROTO_OK) {
		if (n == 0) {
			assert_int_equal(item.type, PROTO_ITEM_ACK);
			from->last_ack = t_get64(item.data);
		} else if (want_seq) {
			assert_int_equal(item.type, PROTO_ITEM_SEQ);
			want_seq = 0;
		} else {
			/* One batch per record: frames, offload or not. */
			if (item.type != PROTO_ITEM_OFFLOAD)
				assert_int_equal(item.type, PROTO_ITEM_FRAME);
		}
		session_item(&to->s, &item);
		n++;
	}
	assert_int_equal(r, PROTO_NEED_MORE);
	assert_true(n >= 1);
	if (n == 1)
		from->lone_acks++;
	else
		from->data_recs++;
	session_rx_done(&to->s);
}

/* Carry up to max of from's records to to; returns how many. */
static size_t
t_carry_n(struct t_end *from, struct t_end *to, size_t max, int twice)
{
	struct t_link *l = &from->link;
	size_t done = 0;

	while (done < max && l->head < l->n) {
		struct t_rec *r = &l->rec[l->head++];

		t_feed(from, to, r->p, r->len);
		if (twice)
			t_feed(from, to, r->p, r->len);
		free(r->p);
		r->p = NULL;
		done++;
	}
	t_compact(l);
	return done;
}

static size_t
t_carry(struct t_end *from, struct t_end *to)
{
	return t_carry_n(from, to, SIZE_MAX, 0);
}

/* The link loses whatever from has sent and was not carried yet. */
static size_t
t_drop(struct t_end *from)
{
	struct t_link *l = &from->link;
	size_t n = t_pending(l);

	while (l->head < l->n) {
		free(l->rec[l->head].p);
		l->rec[l->head++].p = NULL;
	}
	t_compact(l);
	return n;
}

static void
t_loop(struct t_pair *p)
{
	assert_int_not_equal(event_base_loop(p->base, EVLOOP_NONBLOCK), -1);
}

/* Run the loop for ms milliseconds of wall time (timers fire). */
static void
t_wait(struct t_pair *p, unsigned ms)
{
	struct timeval tv = { ms / 1000u, (ms % 1000u) * 1000u };

	assert_int_equal(event_base_loopexit(p->base, &tv), 0);
	assert_int_not_equal(event_base_dispatch(p->base), -1);
}

/* Both ways until neither end has anything more to say right now. */
static void
t_pump(struct t_pair *p)
{
	do
		t_loop(p);
	while (t_carry(p->a, p->b) + t_carry(p->b, p->a) > 0);
}

/* Also let the delayed acks fire. */
static void
t_settle(struct t_pair *p)
{
	t_pump(p);
	t_wait(p, T_SETTLE_MS);
	t_pump(p);
}

/* Queue e's next n frames; the loop does not turn. */
static void
t_queue(struct t_end *e, unsigned n)
{
	uint8_t f[PROTO_ETH_MAX_FRAME];

	for (unsigned i = 0; i < n; i++) {
		size_t len = t_frame(e->dir, e->next_idx++, f);

		if (len < e->min_len)
			e->min_len = len;
		if (len > e->max_len)
			e->max_len = len;
		assert_int_equal(session_send_frame(&e->s, f, len), 0);
	}
}

/* Queue n frames on e, turning the loop every burst frames. */
static void
t_send(struct t_pair *p, struct t_end *e, unsigned n, unsigned burst)
{
	while (n > 0) {
		unsigned k = n < burst ? n : burst;

		t_queue(e, k);
		t_loop(p);
		n -= k;
	}
}

static size_t
t_nbatches(const struct session *s)
{
	const struct session_batch *b;
	size_t n = 0;

	TAILQ_FOREACH(b, &s->q, entry)
		n++;
	return n;
}

/* e's deliveries from position at on are indices first, first+1, ... */
static void
t_expect_run(const struct t_end *e, size_t at, uint64_t first, size_t n)
{
	assert_true(at + n <= e->ngot);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(e->got[at + i], first + i);
}

/* A data item as the peer would send it. */
static void
t_item64(struct session *s, enum proto_item_type type, uint64_t v)
{
	uint8_t buf[PROTO_ITEM_HDR + PROTO_SEQ_ITEM_LEN];
	struct proto_item_iter it = { buf, sizeof buf };
	struct proto_item item;
	const char *why = NULL;

	proto_item_hdr_put(buf, type, PROTO_SEQ_ITEM_LEN);
	t_put64(buf + PROTO_ITEM_HDR, v);
	assert_int_equal(proto_item_next(&it, PROTO_ETH_MAX_FRAME, &item,
	    &why), PROTO_OK);
	session_item(s, &item);
}

static const struct session_cbs t_cbs = { .deliver = t_deliver };

static void
t_end_init(struct t_pair *p, struct t_end *e, size_t budget,
    uint64_t first_seq)
{
	assert_int_equal(session_init(&e->s, p->base, budget, first_seq,
	    &t_cbs, e), 0);
	e->inited = 1;
}

/* Sessions a (first frame first_a, budget budget_a) and b; detached. */
static void
t_start(struct t_pair *p, size_t budget_a, uint64_t first_a)
{
	t_end_init(p, p->a, budget_a, first_a);
	t_end_init(p, p->b, PROTO_RESUME_BUDGET, 1);
}

/* A new connection: each end learns what the other has received. */
static void
t_attach(struct t_pair *p)
{
	uint64_t a_rx = p->a->s.rx_last, b_rx = p->b->s.rx_last;

	session_attach(&p->a->s, t_conn(p->a), b_rx);
	session_attach(&p->b->s, t_conn(p->b), a_rx);
}

static void
t_detach(struct t_pair *p)
{
	session_detach(&p->a->s);
	session_detach(&p->b->s);
}

static int
t_setup(void **state)
{
	struct t_pair *p = calloc(1, sizeof *p);

	if (p == NULL)
		return -1;
	p->base = event_base_new();
	p->a = calloc(1, sizeof *p->a);
	p->b = calloc(1, sizeof *p->b);
	if (p->base == NULL || p->a == NULL || p->b == NULL) {
		if (p->base != NULL)
			event_base_free(p->base);
		free(p->a);
		free(p->b);
		free(p);
		return -1;
	}
	p->a->dir = 0;
	p->a->peer_dir = 1;
	p->b->dir = 1;
	p->b->peer_dir = 0;
	p->a->min_len = p->b->min_len = SIZE_MAX;
	*state = p;
	return 0;
}

static void
t_end_free(struct t_end *e)
{
	if (e == NULL)
		return;
	if (e->inited)
		session_free(&e->s);
	for (size_t i = e->link.head; i < e->link.n; i++)
		free(e->link.rec[i].p);
	free(e->link.rec);
	free(e);
}

static int
t_teardown(void **state)
{
	struct t_pair *p = *state;

	t_end_free(p->a);
	t_end_free(p->b);
	if (p->base != NULL)
		event_base_free(p->base);
	free(p);
	return 0;
}

/* 1000 frames of every size arrive in order, byte-exact; acks free all. */
static void
test_in_order(void **state)
{
	struct t_pair *p = *state;
	struct t_end *a = p->a, *b = p->b;

	t_start(p, PROTO_RESUME_BUDGET, 1);
	t_attach(p);
	t_send(p, a, 1000, T_BIG_BURST);
	assert_int_equal(a->min_len, PROTO_ETH_MIN_FRAME);
	assert_int_equal(a->max_len, PROTO_ETH_MAX_FRAME);
	assert_int_equal(session_unacked(&a->s), 1000);
	assert_true(a->s.q_bytes > 0);
	/* Bursts past the batch target were cut into several records. */
	assert_true(t_pending(&a->link) > 1000 / T_BIG_BURST);

	t_settle(p);
	assert_int_equal(b->ngot, 1000);
	t_expect_run(b, 0, 0, 1000);
	assert_int_equal(b->s.rx_last, 1000);
	assert_int_equal(b->s.st.rx_frames, 1000);
	assert_int_equal(b->s.st.rx_bytes, a->s.st.tx_bytes);
	assert_int_equal(b->s.st.rx_dup, 0);
	assert_int_equal(b->s.st.rx_lost, 0);
	assert_int_equal(a->s.st.tx_frames, 1000);
	assert_int_equal(a->s.st.tx_dropped, 0);
	assert_int_equal(a->s.tx_acked, 1000);
	assert_int_equal(session_unacked(&a->s), 0);
	assert_int_equal(a->s.q_bytes, 0);
	assert_true(TAILQ_EMPTY(&a->s.q));
	assert_null(a->s.unsent);
	assert_int_equal(a->ngot, 0);
}

/* Acks ride on data both ways; a lone ACK after SESSION_ACK_FRAMES
 * frames, or SESSION_ACK_MS, of one-way traffic. */
static void
test_piggyback(void **state)
{
	struct t_pair *p = *state;
	struct t_end *a = p->a, *b = p->b;
	const uint32_t rounds = 20;

	t_start(p, PROTO_RESUME_BUDGET, 1);
	t_attach(p);
	t_pump(p);

	/*
	 * Both ways: each record acks what its sender had by then. Both
	 * flushes are due before any ack timer can be, so they run first
	 * even on a slow machine.
	 */
	for (uint32_t i = 0; i < rounds; i++) {
		t_queue(a, T_BURST);
		t_queue(b, T_BURST / 2);
		t_loop(p);
		assert_int_equal(t_carry(a, b), 1);
		assert_int_equal(t_carry(b, a), 1);
		assert_int_equal(a->last_ack, (uint64_t)i * (T_BURST / 2));
		assert_int_equal(b->last_ack, (uint64_t)i * T_BURST);
		assert_int_equal(a->s.tx_acked, (uint64_t)i * T_BURST);
	}
	assert_int_equal(a->lone_acks, 0);
	assert_int_equal(b->lone_acks, 0);
	assert_int_equal(b->data_recs, rounds);
	/* b's last record carried the ack of everything a had sent. */
	t_send(p, b, 1, T_BURST);
	assert_int_equal(t_carry(b, a), 1);
	assert_int_equal(b->last_ack, rounds * T_BURST);
	assert_int_equal(session_unacked(&a->s), 0);
	assert_int_equal(a->s.q_bytes, 0);
	assert_int_equal(b->lone_acks, 0);
	assert_int_equal(a->lone_acks, 0);
	/* a acks b's last frame alone, once its timer runs out. */
	t_wait(p, T_SETTLE_MS);
	assert_int_equal(t_carry(a, b), 1);
	assert_int_equal(a->lone_acks, 1);
	assert_int_equal(a->last_ack, rounds * (T_BURST / 2) + 1);

	/* One way: SESSION_ACK_FRAMES - 1 frames are not acked yet ... */
	t_send(p, a, SESSION_ACK_FRAMES - 1, T_BURST);
	t_carry(a, b);
	t_loop(p);
	assert_int_equal(t_pending(&b->link), 0);
	/* ... one more and a lone ACK goes at once. */
	t_send(p, a, 1, T_BURST);
	assert_int_equal(t_carry(a, b), 1);
	t_loop(p);
	assert_int_equal(t_pending(&b->link), 1);
	assert_int_equal(b->link.rec[b->link.head].len,
	    PROTO_ITEM_HDR + PROTO_SEQ_ITEM_LEN);
	assert_int_equal(t_carry(b, a), 1);
	assert_int_equal(b->lone_acks, 1);
	assert_int_equal(b->last_ack, b->s.rx_last);
	assert_int_equal(b->s.rx_last,
	    rounds * T_BURST + SESSION_ACK_FRAMES);
	assert_int_equal(session_unacked(&a->s), 0);

	/* A few frames: the ack waits for the timer, then goes alone. */
	t_send(p, a, 5, T_BURST);
	assert_int_equal(t_carry(a, b), 1);
	t_loop(p);
	t_wait(p, T_EARLY_MS);
	assert_int_equal(t_pending(&b->link), 0);
	assert_int_equal(session_unacked(&a->s), 5);
	t_wait(p, T_SETTLE_MS);
	assert_int_equal(t_pending(&b->link), 1);
	assert_int_equal(t_carry(b, a), 1);
	assert_int_equal(b->lone_acks, 2);
	assert_int_equal(b->last_ack, b->s.rx_last);
	assert_int_equal(session_unacked(&a->s), 0);
	/* Nothing new received: nothing more to say. */
	t_wait(p, T_SETTLE_MS);
	assert_int_equal(t_pending(&b->link), 0);
	assert_int_equal(t_pending(&a->link), 0);
	assert_int_equal(a->lone_acks, 1);
}

/*
 * Request and answer, a ping's traffic, every T_EARLY_MS for longer than
 * SESSION_ACK_MS: every frame is acked by the next record the other way,
 * so no lone ACK goes either way (one timed from the first frame and not
 * stopped when an ack caught up would go every SESSION_ACK_MS and wake
 * the peer for nothing). After the last answer its ack goes alone, once.
 */
static void
test_ping_no_lone_acks(void **state)
{
	struct t_pair *p = *state;
	struct t_end *a = p->a, *b = p->b;
	const uint32_t rounds = 3u * SESSION_ACK_MS / T_EARLY_MS;

	t_start(p, PROTO_RESUME_BUDGET, 1);
	t_attach(p);
	t_pump(p);
	for (uint32_t i = 1; i <= rounds; i++) {
		t_send(p, a, 1, 1);
		assert_int_equal(t_carry(a, b), 1);
		t_send(p, b, 1, 1);
		assert_int_equal(t_carry(b, a), 1);
		assert_int_equal(b->last_ack, i);
		assert_int_equal(a->last_ack, i - 1);
		t_wait(p, T_EARLY_MS);
		/* Whatever the timers sent meanwhile. */
		t_carry(a, b);
		t_carry(b, a);
	}
	assert_int_equal(a->data_recs, rounds);
	assert_int_equal(b->data_recs, rounds);
	assert_int_equal(a->lone_acks, 0);
	assert_int_equal(b->lone_acks, 0);
	assert_int_equal(session_unacked(&b->s), 1);
	t_wait(p, T_SETTLE_MS);
	assert_int_equal(t_carry(a, b), 1);
	assert_int_equal(a->lone_acks, 1);
	assert_int_equal(a->last_ack, rounds);
	assert_int_equal(session_unacked(&b->s), 0);
	assert_int_equal(t_pending(&b->link), 0);
	assert_int_equal(b->lone_acks, 0);
}

/* The link loses records; frames queue during the cut; the resume sends
 * exactly the gap and the rest, both ways. */
static void
test_resume(void **state)
{
	struct t_pair *p = *state;
	struct t_end *a = p->a, *b = p->b;
	const size_t lost_recs = 7;
	const size_t sent = 300, kept = sent - lost_recs * T_BURST;

	t_start(p, PROTO_RESUME_BUDGET, 1);
	t_attach(p);
	t_send(p, b, 50, T_BURST);
	t_send(p, a, sent, T_BURST);
	assert_int_equal(t_pending(&a->link), sent / T_BURST);
	assert_int_equal(t_carry_n(a, b, sent / T_BURST - lost_recs, 0),
	    sent / T_BURST - lost_recs);
	assert_int_equal(t_carry(b, a), 50 / T_BURST);
	t_loop(p);
	/* The cut: what is in flight is gone, b's acks of it too. */
	assert_int_equal(t_drop(a), lost_recs);
	t_drop(b);
	t_detach(p);
	assert_int_equal(b->ngot, kept);
	assert_int_equal(b->s.rx_last, kept);
	assert_true(session_seq_after(b->s.rx_last, a->s.tx_acked));

	/* Nothing leaves while detached; frames queue. */
	t_send(p, a, 200, T_BURST);
	t_send(p, b, 30, T_BURST);
	t_wait(p, T_SETTLE_MS);
	assert_int_equal(t_pending(&a->link), 0);
	assert_int_equal(t_pending(&b->link), 0);
	assert_int_equal(session_unacked(&a->s), sent + 200 - a->s.tx_acked);

	t_attach(p);
	t_settle(p);
	assert_int_equal(b->ngot, sent + 200);
	t_expect_run(b, 0, 0, sent + 200);
	assert_int_equal(b->s.st.rx_dup, 0);
	assert_int_equal(b->s.st.rx_lost, 0);
	assert_int_equal(b->s.st.rx_frames, sent + 200);
	assert_int_equal(a->ngot, 80);
	t_expect_run(a, 0, 0, 80);
	assert_int_equal(a->s.st.rx_dup, 0);
	assert_int_equal(a->s.st.rx_lost, 0);
	/* The lost records went again (and what queued during the cut). */
	assert_true(a->s.st.retransmitted >= lost_recs * T_BURST);
	assert_true(a->s.st.retransmitted <= lost_recs * T_BURST + 200);
	assert_int_equal(a->s.st.budget_dropped, 0);
	assert_int_equal(session_unacked(&a->s), 0);
	assert_int_equal(session_unacked(&b->s), 0);
	assert_int_equal(a->s.q_bytes, 0);
	assert_int_equal(b->s.q_bytes, 0);
}

/* A resume from an older rx_last than the peer really has: the replay is
 * skipped and counted, never delivered twice; so are replayed records. */
static void
test_duplicates(void **state)
{
	struct t_pair *p = *state;
	struct t_end *a = p->a, *b = p->b;
	const uint64_t stale = 45;

	t_start(p, PROTO_RESUME_BUDGET, 1);
	t_attach(p);
	t_send(p, a, 100, T_BURST);
	t_carry(a, b);
	t_loop(p);
	t_drop(b);  /* b's acks never reach a */
	t_detach(p);
	assert_int_equal(b->ngot, 100);
	assert_int_equal(a->s.tx_acked, 0);

	/* a resumes from a stale report, mid-batch. */
	session_attach(&a->s, t_conn(a), stale);
	assert_int_equal(a->s.tx_acked, stale);
	assert_int_equal(a->s.st.retransmitted, 100 - stale);
	/* Whole batches go again: from the one holding stale + 1. */
	assert_int_equal(t_pending(&a->link), (100 - 40) / T_BURST);
	t_carry(a, b);
	assert_int_equal(b->ngot, 100);
	assert_int_equal(b->s.st.rx_dup, 100 - 40);
	assert_int_equal(b->s.st.rx_frames, 100);
	assert_int_equal(b->s.rx_last, 100);

	/* Records replayed on the wire: each frame is taken once. */
	t_send(p, a, 20, T_BURST);
	assert_int_equal(t_carry_n(a, b, SIZE_MAX, 1), 2);
	assert_int_equal(b->ngot, 120);
	t_expect_run(b, 0, 0, 120);
	assert_int_equal(b->s.st.rx_dup, 100 - 40 + 20);
	assert_int_equal(b->s.st.rx_lost, 0);

	session_attach(&b->s, t_conn(b), a->s.rx_last);
	t_settle(p);
	assert_int_equal(session_unacked(&a->s), 0);
	assert_int_equal(a->s.q_bytes, 0);
	assert_int_equal(b->ngot, 120);

	/* b's ack overtakes a resend held up by congestion: nothing of it
	 * goes once the connection drains. */
	t_send(p, a, 20, T_BURST);
	t_carry(a, b);
	t_loop(p);
	t_drop(b);
	t_detach(p);
	a->link.congested = 1;
	session_attach(&a->s, t_conn(a), 120);
	assert_int_equal(t_pending(&a->link), 0);
	assert_ptr_equal(a->s.unsent, TAILQ_FIRST(&a->s.q));
	session_attach(&b->s, t_conn(b), a->s.rx_last);
	t_loop(p);
	assert_int_equal(t_carry(b, a), 1);
	assert_int_equal(session_unacked(&a->s), 0);
	assert_null(a->s.unsent);
	a->link.congested = 0;
	session_pump(&a->s);
	assert_int_equal(t_pending(&a->link), 0);
	assert_int_equal(b->ngot, 140);
	assert_int_equal(b->s.st.rx_dup, 100 - 40 + 20);
}

struct t_snap {
	uint64_t tx_acked, unacked;
	size_t q_bytes, nbatches;
	const struct session_batch *first, *unsent;
};

static void
t_snap(const struct session *s, struct t_snap *n)
{
	n->tx_acked = s->tx_acked;
	n->unacked = session_unacked(s);
	n->q_bytes = s->q_bytes;
	n->nbatches = t_nbatches(s);
	n->first = TAILQ_FIRST(&s->q);
	n->unsent = s->unsent;
}

static void
t_ack_changes_nothing(struct session *s, uint64_t ack)
{
	struct t_snap before, after;

	t_snap(s, &before);
	t_item64(s, PROTO_ITEM_ACK, ack);
	t_snap(s, &after);
	assert_memory_equal(&before, &after, sizeof before);
}

/* Old, repeated and impossible acks change nothing; partial acks keep
 * their batch. */
static void
test_stale_acks(void **state)
{
	struct t_pair *p = *state;
	struct session *s = &p->a->s;
	size_t q3;

	t_start(p, PROTO_RESUME_BUDGET, 1);
	t_attach(p);
	t_send(p, p->a, 30, T_BURST);
	assert_int_equal(t_drop(p->a), 3);
	assert_int_equal(t_nbatches(s), 3);
	q3 = s->q_bytes;

	t_item64(s, PROTO_ITEM_ACK, 10);
	assert_int_equal(s->tx_acked, 10);
	assert_int_equal(t_nbatches(s), 2);
	assert_true(s->q_bytes < q3);
	assert_int_equal(session_unacked(s), 20);

	t_ack_changes_nothing(s, 5);            /* older */
	t_ack_changes_nothing(s, 0);
	t_ack_changes_nothing(s, 10);           /* repeated */
	t_ack_changes_nothing(s, 31);           /* never sent */
	t_ack_changes_nothing(s, 1000);
	t_ack_changes_nothing(s, UINT64_MAX);   /* before 10, mod 2^64 */
	t_ack_changes_nothing(s, 10 + (1ull << 63));
	t_ack_changes_nothing(s, 10 + (1ull << 63) - 1);

	/* Mid-batch: the batch stays, the counters move. */
	t_item64(s, PROTO_ITEM_ACK, 15);
	assert_int_equal(s->tx_acked, 15);
	assert_int_equal(t_nbatches(s), 2);
	assert_int_equal(session_unacked(s), 15);
	t_ack_changes_nothing(s, 12);
	t_ack_changes_nothing(s, 15);

	/* A resume with an older report sends from 16 on, counted so. */
	session_detach(s);
	session_attach(s, t_conn(p->a), 12);
	assert_int_equal(s->tx_acked, 15);
	assert_int_equal(s->st.retransmitted, 15);
	assert_int_equal(t_drop(p->a), 2);
	/* One beyond what was sent, after a resume: still nothing. */
	t_ack_changes_nothing(s, 31);

	t_item64(s, PROTO_ITEM_ACK, 30);
	assert_int_equal(session_unacked(s), 0);
	assert_int_equal(s->q_bytes, 0);
	assert_true(TAILQ_EMPTY(&s->q));
	assert_null(s->unsent);
	t_ack_changes_nothing(s, 30);
	t_ack_changes_nothing(s, 29);
	t_ack_changes_nothing(s, 31);

	/* All acknowledged: a stale resume sends nothing again. */
	session_detach(s);
	session_attach(s, t_conn(p->a), 3);
	assert_int_equal(s->st.retransmitted, 15);
	t_loop(p);
	assert_int_equal(t_pending(&p->a->link), 0);
	assert_int_equal(s->tx_acked, 30);
}

/* Over budget while cut: the oldest go, counted; the peer sees exactly
 * that gap, then the rest in order. */
static void
test_budget(void **state)
{
	struct t_pair *p = *state;
	struct t_end *a = p->a, *b = p->b;
	const uint32_t before = 20, during = 400;
	uint64_t dropped, lost;
	uint32_t first_idx;
	size_t got;

	t_start(p, T_SMALL_BUDGET, 1);
	t_attach(p);
	t_send(p, a, before, T_BURST);
	t_settle(p);
	assert_int_equal(session_unacked(&a->s), 0);
	t_detach(p);

	for (uint32_t i = 0; i < during / T_BURST; i++) {
		t_send(p, a, T_BURST, T_BURST);
		assert_true(a->s.q_bytes <= T_SMALL_BUDGET);
	}
	dropped = a->s.st.budget_dropped;
	assert_true(dropped > 0);
	assert_int_equal(dropped % T_BURST, 0);  /* whole batches */
	assert_int_equal(a->s.st.tx_frames, before + during);
	assert_int_equal(a->s.st.tx_dropped, 0);
	/* The oldest went: what is left starts right after them. */
	assert_int_equal(TAILQ_FIRST(&a->s.q)->first_seq,
	    before + dropped + 1);

	t_attach(p);
	t_settle(p);
	assert_int_equal(b->s.st.rx_lost, dropped);
	assert_int_equal(b->s.st.rx_dup, 0);
	assert_int_equal(b->ngot, before + during - dropped);
	t_expect_run(b, 0, 0, before);
	t_expect_run(b, before, before + dropped, during - dropped);
	assert_int_equal(b->s.rx_last, before + during);
	assert_int_equal(session_unacked(&a->s), 0);
	assert_int_equal(a->s.q_bytes, 0);

	/* Attached but congested: batches that never left go the same way,
	 * and the pump starts after them. */
	dropped = a->s.st.budget_dropped;
	lost = b->s.st.rx_lost;
	got = b->ngot;
	first_idx = a->next_idx;
	for (uint32_t i = 0; i < during / T_BURST; i++) {
		a->link.congested = 0;
		t_queue(a, T_BURST);
		a->link.congested = 1;
		session_flush(&a->s);
		assert_true(a->s.q_bytes <= T_SMALL_BUDGET);
	}
	dropped = a->s.st.budget_dropped - dropped;
	assert_true(dropped > 0);
	assert_int_equal(t_pending(&a->link), 0);
	a->link.congested = 0;
	session_pump(&a->s);
	t_settle(p);
	assert_int_equal(b->s.st.rx_lost - lost, dropped);
	assert_int_equal(b->ngot, got + during - dropped);
	t_expect_run(b, got, first_idx + dropped, during - dropped);
	assert_int_equal(session_unacked(&a->s), 0);
}

/* A batch the peer acknowledged in part: only its unacknowledged frames
 * count as dropped. */
static void
test_budget_partial(void **state)
{
	struct t_pair *p = *state;
	struct session *s = &p->a->s;
	uint64_t want = 0;

	t_start(p, T_SMALL_BUDGET, 1);
	t_attach(p);
	t_send(p, p->a, 20, T_BURST);
	t_drop(p->a);
	t_item64(s, PROTO_ITEM_ACK, 15);
	session_detach(s);
	for (int i = 0; i < 64 && s->st.budget_dropped == 0; i++)
		t_send(p, p->a, T_BURST, T_BURST);
	/* The first batch to go was 11..20, acknowledged up to 15. */
	assert_int_equal(s->st.budget_dropped, 5);
	t_send(p, p->a, 20 * T_BURST, T_BURST);
	want = TAILQ_FIRST(&s->q)->first_seq - 16;
	assert_int_equal(s->st.budget_dropped, want);
}

/* Sequence numbers wrap: delivery, acks and a resume across the wrap. */
static void
test_wrap(void **state)
{
	struct t_pair *p = *state;
	struct t_end *a = p->a, *b = p->b;
	const uint64_t first = T_WRAP_FIRST;

	t_start(p, PROTO_RESUME_BUDGET, first);
	b->s.rx_last = first - 1;
	t_attach(p);
	t_send(p, a, 40, T_BURST);
	t_settle(p);
	assert_int_equal(b->ngot, 40);
	assert_int_equal(a->s.tx_acked, first + 39);

	/* 100 frames from UINT64_MAX - 10 through 0 to 89; the link keeps
	 * three records, through the wrap. */
	t_send(p, a, 100, T_BURST);
	assert_int_equal(t_carry_n(a, b, 3, 0), 3);
	t_loop(p);
	t_drop(a);
	t_drop(b);
	t_detach(p);
	assert_int_equal(b->s.rx_last, first + 69);
	assert_true(b->s.rx_last < first);
	t_send(p, a, 50, T_BURST);

	t_attach(p);
	t_settle(p);
	assert_int_equal(b->ngot, 190);
	t_expect_run(b, 0, 0, 190);
	assert_int_equal(b->s.st.rx_lost, 0);
	assert_int_equal(b->s.st.rx_dup, 0);
	assert_int_equal(a->s.tx_next, first + 190);
	assert_int_equal(a->s.tx_next, 139);
	assert_int_equal(a->s.tx_acked, first + 189);
	assert_int_equal(b->s.rx_last, first + 189);
	assert_int_equal(session_unacked(&a->s), 0);
	assert_int_equal(a->s.q_bytes, 0);

	assert_true(session_seq_after(a->s.tx_next - 1, first));
	assert_false(session_seq_after(first, a->s.tx_next - 1));
	assert_true(session_seq_after(0, UINT64_MAX));
	assert_false(session_seq_after(UINT64_MAX, 0));
	assert_true(session_seq_after(5, UINT64_MAX - 5));
	assert_false(session_seq_after(7, 7));
	assert_true(session_seq_after(1ull << 62, 0));
	assert_false(session_seq_after(0, 1ull << 62));
}

/* A congested connection refuses new frames and holds queued ones until
 * it drains; a failed send is tried again. */
static void
test_congestion(void **state)
{
	struct t_pair *p = *state;
	struct t_end *a = p->a, *b = p->b;
	struct t_link *l = &a->link;
	uint8_t f[PROTO_ETH_MAX_FRAME];
	size_t len = t_frame(a->dir, 0, f);

	t_start(p, PROTO_RESUME_BUDGET, 1);
	t_attach(p);
	t_pump(p);

	l->congested = 1;
	assert_int_equal(session_send_frame(&a->s, f, len), -1);
	assert_int_equal(a->s.st.tx_dropped, 1);
	assert_int_equal(a->s.st.tx_frames, 0);
	assert_int_equal(a->s.tx_next, 1);
	assert_null(a->s.open);

	/* Batches closed while congested wait, whatever runs. */
	for (int i = 0; i < 3; i++) {
		l->congested = 0;
		t_queue(a, T_BURST);
		l->congested = 1;
		session_flush(&a->s);
	}
	t_loop(p);
	session_pump(&a->s);
	assert_int_equal(t_pending(l), 0);
	assert_int_equal(t_nbatches(&a->s), 3);
	assert_ptr_equal(a->s.unsent, TAILQ_FIRST(&a->s.q));
	l->congested = 0;
	session_pump(&a->s);
	assert_int_equal(t_pending(l), 3);
	assert_null(a->s.unsent);
	t_carry(a, b);
	assert_int_equal(b->ngot, 3 * T_BURST);

	/* Congested again after one record: the pump stops there. */
	for (int i = 0; i < 3; i++) {
		l->congested = 0;
		t_queue(a, T_BURST);
		l->congested = 1;
		session_flush(&a->s);
	}
	l->congested = 0;
	l->congest_after = 1;
	session_pump(&a->s);
	assert_int_equal(t_pending(l), 1);
	session_pump(&a->s);
	assert_int_equal(t_pending(l), 1);
	l->congested = 0;
	session_pump(&a->s);
	assert_int_equal(t_pending(l), 3);
	t_carry(a, b);
	assert_int_equal(b->ngot, 6 * T_BURST);

	/* The connection fails a send: the batch stays unsent. */
	l->fail = 1;
	t_queue(a, T_BURST);
	session_flush(&a->s);
	assert_int_equal(t_pending(l), 0);
	assert_non_null(a->s.unsent);
	l->fail = 0;
	session_pump(&a->s);
	assert_int_equal(t_pending(l), 1);
	t_settle(p);
	assert_int_equal(b->ngot, 7 * T_BURST);
	t_expect_run(b, 0, 0, 7 * T_BURST);
	assert_int_equal(b->s.st.rx_dup, 0);
	assert_int_equal(b->s.st.rx_lost, 0);
	assert_int_equal(session_unacked(&a->s), 0);
	assert_int_equal(a->s.st.tx_dropped, 1);

	/* Detached, nothing is refused: the budget decides. */
	session_detach(&a->s);
	l->congested = 1;
	t_queue(a, 3);
	assert_int_equal(a->s.st.tx_dropped, 1);
	assert_int_equal(session_unacked(&a->s), 3);
	/* Left in the open batch: session_free must release it. */
	assert_non_null(a->s.open);
}

static void
t_nothing(void *arg, const struct vnet_meta *vm, const uint8_t *f,
    size_t len, uint64_t now_ms)
{
}

static void
t_ended_pool(void *arg, const char *reason)
{
}

/* 190 cut sessions and 10 live ones under one 2 MiB pool, all sent a
 * broadcast of 50 frames: the pool never holds more than its limit, the
 * cut sessions give up their queues (longest cut first), and the live
 * ones lose nothing. */
static void
test_pool(void **state)
{
	static const struct session_cbs cbs = { .deliver = t_nothing,
	    .ended = t_ended_pool };
	struct t_pair *p = *state;
	struct session_pool pool;
	struct session *s = calloc(200, sizeof *s);
	struct t_link *links = calloc(10, sizeof *links);
	uint8_t f[1400];
	uint64_t cut_dropped = 0;

	assert_non_null(s);
	assert_non_null(links);
	session_pool_init(&pool, 2u << 20);
	for (int i = 0; i < 200; i++) {
		assert_int_equal(session_init(&s[i], p->base,
		    PROTO_RESUME_BUDGET, 1, &cbs, NULL), 0);
		session_set_pool(&s[i], &pool);
		s[i].window_ms = 60000;
		if (i < 190)
			session_cut(&s[i]);
		else
			session_attach(&s[i], (struct conn *)(void *)
			    &links[i - 190], 0);
	}
	memset(f, 0xff, 12);
	for (int round = 0; round < 50; round++) {
		for (int i = 0; i < 200; i++) {
			f[12] = (uint8_t)round;
			assert_int_equal(session_send_frame(&s[i], f,
			    sizeof f), 0);
			session_flush(&s[i]);
			assert_true(pool.used <= pool.limit);
		}
	}
	assert_true(pool.shed_sessions > 0);
	for (int i = 0; i < 190; i++)
		cut_dropped += s[i].st.budget_dropped;
	assert_int_equal(cut_dropped, pool.shed_frames);
	assert_true(cut_dropped > 0);
	/* The longest cut gave up first, and most. */
	assert_true(s[0].st.budget_dropped >= s[189].st.budget_dropped);
	for (int i = 190; i < 200; i++) {
		assert_int_equal(s[i].st.budget_dropped, 0);
		assert_int_equal(session_unacked(&s[i]), 50);
	}
	for (int i = 0; i < 200; i++) {
		if (i >= 190)
			session_detach(&s[i]);
		session_free(&s[i]);
	}
	assert_int_equal(pool.used, 0);
	assert_true(TAILQ_EMPTY(&pool.cut));
	for (int i = 0; i < 10; i++) {
		for (size_t r = 0; r < links[i].n; r++)
			free(links[i].rec[r].p);
		free(links[i].rec);
	}
	free(links);
	free(s);
}

/* The metadata of a TCP/IPv4 super-frame, as a TAP hands it up. */
static const struct vnet_meta t_tso_meta = { .flags = VNET_F_NEEDS_CSUM,
    .gso_type = VNET_GSO_TCPV4, .hdr_len = 54, .gso_size = 1448,
    .csum_start = 34, .csum_offset = 16 };

/* b got a's first n frames, all of its bytes, and one with t_tso_meta:
 * the one at index at. */
static void
t_expect_one_meta(const struct t_end *a, const struct t_end *b, size_t n,
    size_t at)
{
	assert_int_equal(b->ngot, n);
	t_expect_run(b, 0, 0, n);
	assert_int_equal(b->nvm, 1);
	assert_int_equal(b->vm_at, at);
	assert_memory_equal(&b->vm, &t_tso_meta, sizeof t_tso_meta);
	assert_int_equal(b->s.st.rx_bytes, a->s.st.tx_bytes);
}

/* An offload item is one frame of the sequence: delivered in its place,
 * once, with its metadata, and sent again with it after a cut. */
static void
test_offload_item(void **state)
{
	struct t_pair *p = *state;
	struct t_end *a = p->a, *b = p->b;
	const struct vnet_meta vm = t_tso_meta;
	uint8_t f[PROTO_ETH_MAX_FRAME];
	size_t len;

	t_start(p, PROTO_RESUME_BUDGET, 1);
	t_attach(p);
	t_queue(a, 2);
	len = t_frame(a->dir, a->next_idx++, f);
	assert_int_equal(session_send(&a->s, &vm, f, len), 0);
	t_queue(a, 2);
	/* Lost with the connection: the resume sends all five again. */
	t_loop(p);
	t_drop(a);
	t_detach(p);
	t_attach(p);
	t_settle(p);
	t_expect_one_meta(a, b, 5, 2);
	assert_int_equal(session_unacked(&a->s), 0);
	/* Too long even for an offload item; and a plain frame over 1518. */
	static uint8_t big[PROTO_OFFLOAD_MAX_FRAME + 1];
	memcpy(big, f, len);
	assert_int_equal(session_send(&a->s, &vm, big, sizeof big), -1);
	assert_int_equal(session_send(&a->s, NULL, big, 1519), -1);
	assert_int_equal(session_send(&a->s, &vm, big, sizeof big - 1), 0);
}

/* Frames read straight into the open batch (session_space) go out as if
 * copied in: an offload item where it lies, a plain frame moved back over
 * the offload header it does not need, in order with copied ones. */
static void
test_space(void **state)
{
	struct t_pair *p = *state;
	struct t_end *a = p->a, *b = p->b;
	const struct vnet_meta vm = t_tso_meta;
	uint8_t other[PROTO_ETH_MAX_FRAME];
	size_t room, len;
	uint8_t *at;

	t_start(p, PROTO_RESUME_BUDGET, 1);
	t_attach(p);
	/* A fresh batch takes the largest super-frame: the TAP reads in
	 * place only when its largest read fits. */
	at = session_space(&a->s, &room);
	assert_non_null(at);
	assert_true(room >= PROTO_OFFLOAD_MAX_FRAME);
	assert_true(session_space_holds(&a->s, at));
	assert_false(session_space_holds(&a->s, other));
	len = t_frame(a->dir, a->next_idx++, at);
	assert_int_equal(session_send(&a->s, &vm, at, len), 0);
	/* The next room starts right after that item's place. */
	uint8_t *next = session_space(&a->s, &room);
	assert_ptr_equal(next, at + len + PROTO_ITEM_HDR + PROTO_OFFLOAD_HDR);
	len = t_frame(a->dir, a->next_idx++, next);
	assert_true(len <= room);
	assert_int_equal(session_send(&a->s, NULL, next, len), 0);
	t_queue(a, 1);
	next = session_space(&a->s, &room);
	len = t_frame(a->dir, a->next_idx++, next);
	assert_int_equal(session_send(&a->s, NULL, next, len), 0);
	t_loop(p);
	t_settle(p);
	t_expect_one_meta(a, b, 4, 0);
	/* Room asked for and not used sends nothing. */
	at = session_space(&a->s, &room);
	assert_non_null(at);
	session_flush(&a->s);
	t_settle(p);
	assert_int_equal(b->ngot, 4);
	assert_int_equal(session_unacked(&a->s), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pool, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_space, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_offload_item, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_in_order, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_piggyback, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_ping_no_lone_acks, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_resume, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_duplicates, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_stale_acks, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_budget, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_budget_partial, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_wrap, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_congestion, t_setup,
		    t_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
