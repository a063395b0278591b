/*
 * session.c: resynchronisation. Outgoing frames are numbered and batched;
 * each batch (a SEQ item, then its frames) is kept until the peer's
 * cumulative ACK covers it, and sent again after a resume. Every record
 * starts with an ACK of what we have received in order, so acknowledgements
 * ride on data; a lone ACK record goes out only when SESSION_ACK_FRAMES
 * frames or SESSION_ACK_MS have passed without one.
 *
 * Receive side: frames at or below rx_last are duplicates of a resume and
 * are skipped; a jump past rx_last + 1 is frames the peer's budget dropped
 * during an outage: counted as lost, and the stream goes on.
 */
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>

#include "clock.h"
#include "conn.h"
#include "log.h"
#include "session.h"

#define SESSION_ACK_ITEM   (PROTO_ITEM_HDR + PROTO_SEQ_ITEM_LEN)
/* A batch's data starts with room for the ACK item, written afresh each
 * time the batch is sent, so a record is sealed straight from the batch. */
#define SESSION_BATCH_CAP  (SESSION_ACK_ITEM + PROTO_ITEM_HDR + \
    PROTO_SEQ_ITEM_LEN + PROTO_REC_BATCH_TARGET + PROTO_ITEM_HDR + \
    PROTO_ETH_MAX_FRAME)

/*
 * Full-size batches are recycled instead of going back to malloc: at a
 * gigabit that is tens of thousands of 60 KiB allocations a second. One
 * event loop per process, so one list.
 */
#define SESSION_SPARE_MAX  64u
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

static void
session_put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t
session_get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
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
	session_put64(out + PROTO_ITEM_HDR, s->rx_last);
}

static void
session_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	session_flush(arg);
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
		s->ack_sent = s->rx_last;
}

int
session_init(struct session *s, struct event_base *base, size_t budget,
    uint64_t first_seq, session_frame_fn *deliver, void *arg)
{
	memset(s, 0, sizeof *s);
	s->base = base;
	s->budget = budget;
	s->deliver = deliver;
	s->arg = arg;
	s->tx_next = first_seq;
	s->tx_acked = first_seq - 1;
	s->tx_sent_max = first_seq - 1;
	TAILQ_INIT(&s->q);
	s->flush_ev = event_new(base, -1, 0, session_flush_cb, s);
	s->ack_ev = event_new(base, -1, 0, session_ack_cb, s);
	if (s->flush_ev == NULL || s->ack_ev == NULL) {
		session_free(s);
		return -1;
	}
	return 0;
}

void
session_free(struct session *s)
{
	struct session_batch *b;

	while ((b = TAILQ_FIRST(&s->q)) != NULL) {
		TAILQ_REMOVE(&s->q, b, entry);
		session_batch_free(b);
	}
	if (s->open != NULL)
		session_batch_free(s->open);
	s->open = NULL;
	if (s->flush_ev)
		event_free(s->flush_ev);
	if (s->ack_ev)
		event_free(s->ack_ev);
	s->flush_ev = s->ack_ev = NULL;
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
	    !session_seq_after(session_batch_last(b), ack)) {
		if (b == s->unsent)
			s->unsent = TAILQ_NEXT(b, entry);
		TAILQ_REMOVE(&s->q, b, entry);
		s->q_bytes -= sizeof *b + b->cap;
		session_batch_free(b);
	}
}

/* Over budget: the oldest frames go first (counted). */
static void
session_trim(struct session *s)
{
	struct session_batch *b;

	while (s->q_bytes > s->budget && (b = TAILQ_FIRST(&s->q)) != NULL) {
		uint64_t from = session_seq_after(s->tx_acked + 1, b->first_seq) ?
		    s->tx_acked + 1 : b->first_seq;
		s->st.budget_dropped += session_batch_last(b) - from + 1;
		if (b == s->unsent)
			s->unsent = TAILQ_NEXT(b, entry);
		TAILQ_REMOVE(&s->q, b, entry);
		s->q_bytes -= sizeof *b + b->cap;
		session_batch_free(b);
	}
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
		s->ack_sent = s->rx_last;
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
		 * budget counts memory. */
		if (b->len < b->cap / 2) {
			struct session_batch *nb = realloc(b, sizeof *b + b->len);
			if (nb != NULL) {
				b = nb;
				b->cap = b->len;
			}
		}
		s->open = NULL;
		TAILQ_INSERT_TAIL(&s->q, b, entry);
		s->q_bytes += sizeof *b + b->cap;
		if (s->unsent == NULL)
			s->unsent = b;
		session_trim(s);
	}
	session_pump(s);
}

int
session_send_frame(struct session *s, const uint8_t *f, size_t len)
{
	struct session_batch *b = s->open;

	if (len < PROTO_ETH_MIN_FRAME || len > PROTO_ETH_MAX_FRAME ||
	    (s->conn != NULL && conn_congested(s->conn))) {
		s->st.tx_dropped++;
		return -1;
	}
	if (b != NULL && b->len + PROTO_ITEM_HDR + len > b->cap) {
		session_flush(s);
		b = NULL;
	}
	if (b == NULL) {
		b = session_batch_new();
		if (b == NULL) {
			s->st.tx_dropped++;
			return -1;
		}
		b->first_seq = s->tx_next;
		b->nframes = 0;
		b->cap = SESSION_BATCH_CAP;
		uint8_t *seq = b->data + SESSION_ACK_ITEM;
		proto_item_hdr_put(seq, PROTO_ITEM_SEQ, PROTO_SEQ_ITEM_LEN);
		session_put64(seq + PROTO_ITEM_HDR, b->first_seq);
		b->len = SESSION_ACK_ITEM + PROTO_ITEM_HDR + PROTO_SEQ_ITEM_LEN;
		s->open = b;
	}
	proto_item_hdr_put(b->data + b->len, PROTO_ITEM_FRAME, (uint32_t)len);
	memcpy(b->data + b->len + PROTO_ITEM_HDR, f, len);
	b->len += PROTO_ITEM_HDR + (uint32_t)len;
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

	s->conn = c;
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
session_item(struct session *s, const struct proto_item *it)
{
	switch (it->type) {
	case PROTO_ITEM_ACK:
		session_acked(s, session_get64(it->data));
		break;
	case PROTO_ITEM_SEQ:
		s->rx_cur = session_get64(it->data);
		break;
	case PROTO_ITEM_FRAME: {
		uint64_t seq = s->rx_cur++;
		if (!session_seq_after(seq, s->rx_last)) {
			s->st.rx_dup++;
			break;
		}
		if (seq != s->rx_last + 1)
			s->st.rx_lost += seq - s->rx_last - 1;
		s->rx_last = seq;
		s->st.rx_frames++;
		s->st.rx_bytes += it->len;
		s->deliver(s->arg, it->data, it->len);
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
