/*
 * session.c: resynchronisation. Outgoing frames are numbered and batched;
 * each batch (a SEQ item, then its frames) is kept until the peer's
 * cumulative ACK covers it, and sent again after a resume. Every record
 * starts with an ACK of what we have received in order, so acknowledgements
 * ride on data; a lone ACK record goes out only when SESSION_ACK_FRAMES
 * frames, or SESSION_ACK_MS since the first frame not yet acked, have
 * passed without one.
 *
 * Receive side: frames at or below rx_last are duplicates of a resume and
 * are skipped; a jump past rx_last + 1 is frames the peer's budget dropped
 * during an outage: counted as lost, and the stream goes on.
 *
 * The session owns the connection it is attached to. Its timers:
 *  - resume window: a connection lost without a goodbye keeps the session
 *    window_ms for a resume, then it ends;
 *  - stall (if stall_ms): frames unacknowledged and nothing heard for
 *    stall_ms closes the connection, so the card resumes on a fresh one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>

#include "clock.h"
#include "conn.h"
#include "log.h"
#include "bytes.h"
#include "session.h"
#include "vnet.h"

#define SESSION_ACK_ITEM   (PROTO_ITEM_HDR + PROTO_SEQ_ITEM_LEN)
/* A batch's data starts with room for the ACK item, written afresh each
 * time the batch is sent, so a record is sealed straight from the batch. */
/* A batch is flushed once it holds PROTO_REC_BATCH_TARGET bytes: room for
 * that and one more frame, or for one offload item alone (one that does
 * not fit after what a batch holds goes into the next). */
#define SESSION_FILL_MAX   (PROTO_REC_BATCH_TARGET + PROTO_ITEM_HDR + \
    PROTO_ETH_MAX_FRAME)
#define SESSION_ITEM_MAX   (PROTO_ITEM_HDR + PROTO_OFFLOAD_HDR + \
    PROTO_OFFLOAD_MAX_FRAME)
#define SESSION_BATCH_CAP  (SESSION_ACK_ITEM + PROTO_ITEM_HDR + \
    PROTO_SEQ_ITEM_LEN + (SESSION_FILL_MAX > SESSION_ITEM_MAX ? \
    SESSION_FILL_MAX : SESSION_ITEM_MAX))
_Static_assert(SESSION_BATCH_CAP <= PROTO_REC_MAX_PLAIN, "batch > record");

/*
 * Full-size batches are recycled instead of going back to malloc: at a
 * gigabit that is tens of thousands of 60 KiB allocations a second. One
 * event loop per process, so one list.
 */
#define SESSION_SPARE_MAX  64u
static void session_account(struct session *s, size_t add, size_t sub);
static void session_cut_leave(struct session *s);

static struct session_batch *session_spare[SESSION_SPARE_MAX];
static unsigned session_nspare;

static struct session_batch *
session_batch_new(void)
{
	if (session_nspare > 0)
		return session_spare[--session_nspare];
	return malloc(sizeof(struct session_batch) + SESSION_BATCH_CAP);
}

static void
session_batch_free(struct session_batch *b)
{
	if (b->cap == SESSION_BATCH_CAP && session_nspare < SESSION_SPARE_MAX)
		session_spare[session_nspare++] = b;
	else
		free(b);
}

static uint64_t
session_batch_last(const struct session_batch *b)
{
	return b->first_seq + b->nframes - 1;
}

static void
session_ack_item(const struct session *s, uint8_t out[SESSION_ACK_ITEM])
{
	proto_item_hdr_put(out, PROTO_ITEM_ACK, PROTO_SEQ_ITEM_LEN);
	be64_put(out + PROTO_ITEM_HDR, s->rx_last);
}

static void session_conn_item(struct conn *c, const struct proto_item *it,
    void *arg);
static void session_conn_rx_done(struct conn *c, void *arg);
static void session_conn_writable(struct conn *c, void *arg);
static void session_conn_closed(struct conn *c, const char *reason,
    void *arg);

/* Once a second with the connection's tick: a connection that carries
 * nothing while frames wait is abandoned for a new one. */
static void
session_conn_tick(struct conn *c, uint64_t now, void *arg)
{
	struct session *s = arg;

	if (s->stall_ms == 0 || session_stalled_ms(s, now) < s->stall_ms ||
	    now - c->last_rx_ms < s->stall_ms)
		return;
	log_warn("%s: connection stalled (%llu frames unacknowledged, nothing "
	    "heard for %.1f s); resuming on a new connection", s->name,
	    (unsigned long long)session_unacked(s),
	    (double)(now - c->last_rx_ms) / 1e3);
	conn_close(c, "stalled");
}

static const struct conn_cbs session_conn_cbs = {
	.item = session_conn_item,
	.rx_batch_done = session_conn_rx_done,
	.writable = session_conn_writable,
	.closed = session_conn_closed,
	.tick = session_conn_tick,
};

/* The callbacks of this wake-up have unwound: what they batched is sealed
 * and written now, with no second deferral for the write. */
static void
session_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;
	struct conn *c = s->conn;

	if (c == NULL) {
		session_flush(s);
		return;
	}
	conn_hold(c);
	session_flush(s);
	conn_push(c);
}

/*
 * An ACK of everything received went out, on data or alone: nothing is left
 * to ack, so the delayed ACK stops (timed from an earlier frame, it would only
 * wake the peer: under traffic both ways, a ping, a lone ACK every
 * SESSION_ACK_MS). The next frame that comes starts it again.
 */
static void
session_ack_went(struct session *s)
{
	s->ack_sent = s->rx_last;
	event_del(s->ack_ev);
}

static void
session_ack_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;
	uint8_t ack[SESSION_ACK_ITEM];

	if (s->conn == NULL || s->rx_last == s->ack_sent)
		return;
	session_ack_item(s, ack);
	if (conn_send_plain(s->conn, ack, sizeof ack, NULL, 0) == 0)
		session_ack_went(s);
}

static void
session_window_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;

	s->cbs->ended(s->arg, "not resumed within the resume window");
}

int
session_init(struct session *s, struct event_base *base, size_t budget,
    uint64_t first_seq, const struct session_cbs *cbs, void *arg)
{
	memset(s, 0, sizeof *s);
	s->base = base;
	s->budget = budget;
	s->cbs = cbs;
	s->arg = arg;
	snprintf(s->name, sizeof s->name, "session");
	s->tx_next = first_seq;
	s->tx_acked = first_seq - 1;
	s->tx_sent_max = first_seq - 1;
	TAILQ_INIT(&s->q);
	s->flush_ev = event_new(base, -1, 0, session_flush_cb, s);
	s->ack_ev = event_new(base, -1, 0, session_ack_cb, s);
	s->window_ev = evtimer_new(base, session_window_cb, s);
	if (s->flush_ev == NULL || s->ack_ev == NULL || s->window_ev == NULL) {
		session_free(s);
		return -1;
	}
	return 0;
}

void
session_free(struct session *s)
{
	struct session_batch *b;

	if (s->conn != NULL) {
		conn_abandon(s->conn, "session freed");
		s->conn = NULL;
	}
	session_cut_leave(s);
	while ((b = TAILQ_FIRST(&s->q)) != NULL) {
		TAILQ_REMOVE(&s->q, b, entry);
		session_account(s, 0, sizeof *b + b->cap);
		session_batch_free(b);
	}
	if (s->open != NULL)
		session_batch_free(s->open);
	s->open = NULL;
	if (s->flush_ev)
		event_free(s->flush_ev);
	if (s->ack_ev)
		event_free(s->ack_ev);
	if (s->window_ev)
		event_free(s->window_ev);
	s->flush_ev = s->ack_ev = s->window_ev = NULL;
}

uint64_t
session_unacked(const struct session *s)
{
	return s->tx_next - 1 - s->tx_acked;
}

uint64_t
session_stalled_ms(const struct session *s, uint64_t now_ms)
{
	if (session_unacked(s) == 0 || now_ms < s->progress_ms)
		return 0;
	return now_ms - s->progress_ms;
}

void
session_pool_init(struct session_pool *p, size_t limit)
{
	memset(p, 0, sizeof *p);
	p->limit = limit;
	TAILQ_INIT(&p->cut);
}

void
session_set_pool(struct session *s, struct session_pool *p)
{
	s->pool = p;
}

/* The queue's memory, in the session and in its pool. */
static void
session_account(struct session *s, size_t add, size_t sub)
{
	s->q_bytes = s->q_bytes + add - sub;
	if (s->pool != NULL)
		s->pool->used = s->pool->used + add - sub;
}

/* The oldest batch leaves the queue. */
static void
session_unlink_oldest(struct session *s)
{
	struct session_batch *b = TAILQ_FIRST(&s->q);

	if (b == s->unsent)
		s->unsent = TAILQ_NEXT(b, entry);
	TAILQ_REMOVE(&s->q, b, entry);
	session_account(s, 0, sizeof *b + b->cap);
	session_batch_free(b);
}

/* The oldest batch goes (what it held unacknowledged is counted lost). */
static void
session_drop_oldest(struct session *s)
{
	struct session_batch *b = TAILQ_FIRST(&s->q);
	uint64_t from = session_seq_after(s->tx_acked + 1, b->first_seq) ?
	    s->tx_acked + 1 : b->first_seq;

	s->st.budget_dropped += session_batch_last(b) - from + 1;
	session_unlink_oldest(s);
}

static void
session_cut_leave(struct session *s)
{
	if (!s->in_cut)
		return;
	TAILQ_REMOVE(&s->pool->cut, s, cut_entry);
	s->in_cut = 0;
}

/* The pool is over its limit after s queued: cut sessions give up their
 * queues, longest cut first; then s trims its own. */
static void
session_pool_shed(struct session *s)
{
	struct session_pool *p = s->pool;
	struct session *c, *cn;

	if (p == NULL || p->limit == 0)
		return;
	for (c = TAILQ_FIRST(&p->cut); c != NULL && p->used > p->limit;
	    c = cn) {
		uint64_t before = c->st.budget_dropped;
		cn = TAILQ_NEXT(c, cut_entry);
		if (c == s || TAILQ_EMPTY(&c->q))
			continue;
		while (!TAILQ_EMPTY(&c->q))
			session_drop_oldest(c);
		p->shed_sessions++;
		p->shed_frames += c->st.budget_dropped - before;
	}
	/* One line every few seconds, not one per queue given up. */
	uint64_t now = clock_now_ms();
	if (p->shed_sessions != p->logged_sessions &&
	    now - p->logged_ms >= SESSION_POOL_LOG_MS) {
		log_warn("memory budget of all sessions reached (%zu MiB): cut "
		    "sessions gave up %llu queues, %llu frames, since the last "
		    "such line", p->limit >> 20,
		    (unsigned long long)(p->shed_sessions - p->logged_sessions),
		    (unsigned long long)(p->shed_frames - p->logged_frames));
		p->logged_ms = now;
		p->logged_sessions = p->shed_sessions;
		p->logged_frames = p->shed_frames;
	}
	while (p->used > p->limit && !TAILQ_EMPTY(&s->q))
		session_drop_oldest(s);
}

/* Forget batches the peer has acknowledged. */
static void
session_acked(struct session *s, uint64_t ack)
{
	struct session_batch *b;

	if (!session_seq_after(ack, s->tx_acked) ||
	    session_seq_after(ack, s->tx_sent_max))
		return; /* old, or acknowledging what was never sent */
	s->tx_acked = ack;
	s->progress_ms = clock_now_ms();
	while ((b = TAILQ_FIRST(&s->q)) != NULL &&
	    !session_seq_after(session_batch_last(b), ack))
		session_unlink_oldest(s);
}

/* Over budget (its own, then the pool's): the oldest frames go first
 * (counted). */
static void
session_trim(struct session *s)
{
	while (s->q_bytes > s->budget && !TAILQ_EMPTY(&s->q))
		session_drop_oldest(s);
	if (s->pool != NULL && s->pool->used > s->pool->limit)
		session_pool_shed(s);
}

void
session_pump(struct session *s)
{
	while (s->unsent != NULL && s->conn != NULL &&
	    !conn_congested(s->conn)) {
		struct session_batch *b = s->unsent;
		session_ack_item(s, b->data);
		if (conn_send_plain(s->conn, NULL, 0, b->data, b->len) != 0)
			return;
		session_ack_went(s);
		if (session_seq_after(session_batch_last(b), s->tx_sent_max))
			s->tx_sent_max = session_batch_last(b);
		s->unsent = TAILQ_NEXT(b, entry);
	}
}

void
session_flush(struct session *s)
{
	struct session_batch *b = s->open;

	s->flush_pending = 0;
	if (b != NULL && b->nframes > 0) {
		/* A mostly empty batch is kept only as big as it is: the
		 * budget counts memory. Copied to a block of its own size
		 * (the full-size one goes back to be reused), not shrunk in
		 * place: shrinking leaves a hole too small for the next full
		 * batch after every small one, and the heap keeps growing
		 * when many sessions each queue a few frames. */
		if (b->len < b->cap / 2) {
			struct session_batch *nb = malloc(sizeof *b + b->len);
			if (nb != NULL) {
				memcpy(nb, b, sizeof *b + b->len);
				nb->cap = b->len;
				session_batch_free(b);
				b = nb;
			}
		}
		s->open = NULL;
		TAILQ_INSERT_TAIL(&s->q, b, entry);
		session_account(s, sizeof *b + b->cap, 0);
		if (s->unsent == NULL)
			s->unsent = b;
		session_trim(s);
	}
	session_pump(s);
}

/* A new, empty open batch (its SEQ item numbered from tx_next), or NULL. */
static struct session_batch *
session_open_batch(struct session *s)
{
	struct session_batch *b = session_batch_new();

	if (b == NULL)
		return NULL;
	b->first_seq = s->tx_next;
	b->nframes = 0;
	b->cap = SESSION_BATCH_CAP;
	uint8_t *seq = b->data + SESSION_ACK_ITEM;
	proto_item_hdr_put(seq, PROTO_ITEM_SEQ, PROTO_SEQ_ITEM_LEN);
	be64_put(seq + PROTO_ITEM_HDR, b->first_seq);
	b->len = SESSION_ACK_ITEM + PROTO_ITEM_HDR + PROTO_SEQ_ITEM_LEN;
	s->open = b;
	return b;
}

uint8_t *
session_space(struct session *s, size_t *room)
{
	struct session_batch *b = s->open;
	const size_t hdr = PROTO_ITEM_HDR + PROTO_OFFLOAD_HDR;

	*room = 0;
	if (b == NULL && (b = session_open_batch(s)) == NULL)
		return NULL;
	if (b->len + hdr >= b->cap)
		return NULL;
	*room = b->cap - b->len - hdr;
	return b->data + b->len + hdr;
}

int
session_space_holds(const struct session *s, const uint8_t *p)
{
	const struct session_batch *b = s->open;

	return b != NULL && p >= b->data && p < b->data + b->cap;
}

int
session_send_frame(struct session *s, const uint8_t *f, size_t len)
{
	return session_send(s, NULL, f, len);
}

int
session_send(struct session *s, const struct vnet_meta *vm,
    const uint8_t *f, size_t len)
{
	struct session_batch *b = s->open;
	size_t item = len + (vm != NULL ? PROTO_OFFLOAD_HDR : 0);

	if (len < PROTO_ETH_MIN_FRAME || len > (vm != NULL ?
	    PROTO_OFFLOAD_MAX_FRAME : PROTO_ETH_MAX_FRAME) ||
	    (s->conn != NULL && conn_congested(s->conn))) {
		s->st.tx_dropped++;
		return -1;
	}
	if (b != NULL && b->len + PROTO_ITEM_HDR + item > b->cap) {
		session_flush(s);
		b = NULL;
	}
	if (b == NULL && (b = session_open_batch(s)) == NULL) {
		s->st.tx_dropped++;
		return -1;
	}
	/* f may already be where it goes (session_space): memmove, which
	 * then moves nothing, or a plain frame back by the offload header
	 * it did not need. */
	uint8_t *at = b->data + b->len + PROTO_ITEM_HDR;
	if (vm != NULL) {
		proto_item_hdr_put(b->data + b->len, PROTO_ITEM_OFFLOAD,
		    (uint32_t)item);
		at += PROTO_OFFLOAD_HDR;
		if (at != f)
			memmove(at, f, len);
		vnet_meta_wire_put(at - PROTO_OFFLOAD_HDR, vm);
	} else {
		if (at != f)
			memmove(at, f, len);
		proto_item_hdr_put(b->data + b->len, PROTO_ITEM_FRAME,
		    (uint32_t)len);
	}
	b->len += PROTO_ITEM_HDR + (uint32_t)item;
	b->nframes++;
	if (s->tx_next - 1 == s->tx_acked)
		s->progress_ms = clock_now_ms();
	s->tx_next++;
	s->st.tx_frames++;
	s->st.tx_bytes += len;
	if (b->len >= PROTO_REC_BATCH_TARGET)
		session_flush(s);
	else if (!s->flush_pending) {
		/* Sealed once the callbacks that produced it unwind. */
		s->flush_pending = 1;
		event_active(s->flush_ev, 0, 0);
	}
	return 0;
}

void
session_attach(struct session *s, struct conn *c, uint64_t peer_rx_last)
{
	struct session_batch *b;

	if (s->conn != NULL && s->conn != c) {
		/* The peer saw the cut before we did. */
		conn_abandon(s->conn, "replaced by a resumed connection");
		session_detach(s);
	}
	conn_set_owner(c, &session_conn_cbs, s);
	s->conn = c;
	s->cut_ms = 0;
	session_cut_leave(s);
	event_del(s->window_ev);
	s->ack_sent = 0;
	s->progress_ms = clock_now_ms();
	if (session_seq_after(peer_rx_last, s->tx_acked))
		session_acked(s, peer_rx_last);
	/* Whatever is left was lost with the old connection or never sent:
	 * all of it goes (again), and the peer skips what it already has. */
	s->unsent = TAILQ_FIRST(&s->q);
	TAILQ_FOREACH(b, &s->q, entry) {
		uint64_t from = session_seq_after(s->tx_acked + 1, b->first_seq) ?
		    s->tx_acked + 1 : b->first_seq;
		uint64_t to = session_seq_after(session_batch_last(b),
		    s->tx_sent_max) ? s->tx_sent_max : session_batch_last(b);
		if (!session_seq_after(from, to))
			s->st.retransmitted += to - from + 1;
	}
	session_flush(s);
	/* Tell the peer where we are even if there is nothing to send. */
	event_active(s->ack_ev, 0, 0);
}

void
session_detach(struct session *s)
{
	s->conn = NULL;
	if (s->open != NULL)
		session_flush(s);
}

void
session_cut(struct session *s)
{
	struct timeval win = { s->window_ms / 1000,
	    (s->window_ms % 1000) * 1000 };

	s->cut_ms = clock_now_ms();
	event_add(s->window_ev, &win);
	if (s->pool != NULL && !s->in_cut) {
		TAILQ_INSERT_TAIL(&s->pool->cut, s, cut_entry);
		s->in_cut = 1;
	}
}

void
session_close(struct session *s, uint16_t code, const char *text)
{
	if (s->conn != NULL)
		conn_goodbye(s->conn, code, text);
	else
		s->cbs->ended(s->arg, text);
}

/* The one place the cut/keep decision is made: a goodbye either way, or a
 * session that may not be resumed, ends; anything else is kept for
 * window_ms. */
static void
session_conn_closed(struct conn *c, const char *reason, void *arg)
{
	struct session *s = arg;
	int kept = !c->peer_said_goodbye && !c->said_goodbye &&
	    s->window_ms > 0;

	session_detach(s);
	if (kept)
		session_cut(s);
	if (s->cbs->link_down != NULL)
		s->cbs->link_down(s->arg, reason, kept);
	if (!kept)
		s->cbs->ended(s->arg, reason);
}

static void
session_conn_item(struct conn *c, const struct proto_item *it, void *arg)
{
	struct session *s = arg;

	s->rx_now_ms = c->last_rx_ms;
	session_item(s, it);
}

static void
session_conn_rx_done(struct conn *c, void *arg)
{
	struct session *s = arg;

	if (s->cbs->rx_done != NULL)
		s->cbs->rx_done(s->arg);
	session_rx_done(s);
}

static void
session_conn_writable(struct conn *c, void *arg)
{
	struct session *s = arg;

	session_pump(s);
	if (s->cbs->writable != NULL)
		s->cbs->writable(s->arg);
}

void
session_item(struct session *s, const struct proto_item *it)
{
	switch (it->type) {
	case PROTO_ITEM_ACK:
		session_acked(s, be64_get(it->data));
		break;
	case PROTO_ITEM_SEQ:
		s->rx_cur = be64_get(it->data);
		break;
	case PROTO_ITEM_FRAME:
	case PROTO_ITEM_OFFLOAD: {
		uint64_t seq = s->rx_cur++;
		struct vnet_meta vm;
		const uint8_t *f = it->data;
		size_t len = it->len;
		if (!session_seq_after(seq, s->rx_last)) {
			s->st.rx_dup++;
			break;
		}
		if (seq != s->rx_last + 1)
			s->st.rx_lost += seq - s->rx_last - 1;
		s->rx_last = seq;
		s->st.rx_frames++;
		if (it->type == PROTO_ITEM_OFFLOAD) {
			/* proto_item_next made sure the header is there. */
			vnet_meta_wire_get(f, &vm);
			f += PROTO_OFFLOAD_HDR;
			len -= PROTO_OFFLOAD_HDR;
		}
		s->st.rx_bytes += len;
		s->cbs->deliver(s->arg, it->type == PROTO_ITEM_OFFLOAD ? &vm :
		    NULL, f, len, s->rx_now_ms);
		break;
	}
	default:
		break;
	}
}

void
session_rx_done(struct session *s)
{
	struct timeval tv = { 0, SESSION_ACK_MS * 1000 };

	if (s->conn == NULL || s->rx_last == s->ack_sent)
		return;
	if (s->rx_last - s->ack_sent >= SESSION_ACK_FRAMES)
		event_active(s->ack_ev, 0, 0);
	else if (!event_pending(s->ack_ev, EV_TIMEOUT, NULL))
		event_add(s->ack_ev, &tv);
}
