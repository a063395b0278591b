/*
 * conn.c: one tunnel connection. States run TLS -> LOGIN -> UP -> CLOSED;
 * conn_set_state() is the only place that changes them. Teardown is
 * conn_close(), and the struct is freed from its own deferred event, never
 * inside a callback that still uses it.
 *
 * Timers (checked every CONN_TICK_MS from one timer that every connection
 * of an event loop shares, so that 10,000 idle connections cost the
 * process one wake-up a second, not 10,000):
 *  - handshake: TLS + login must finish within PROTO_HANDSHAKE_TIMEOUT_MS
 *    (an administration session, which stays in LOGIN, is closed instead
 *    after login_idle_ms without a byte);
 *  - keepalive: when nothing was sent for a random time in
 *    [keepalive_ms / 2, keepalive_ms] (drawn once per keepalive), send a
 *    padded keepalive item;
 *  - dead peer: nothing received for dead_peer_ms (PROTO_DEAD_PEER_MS unless
 *    the owner sets it) closes the connection.
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <sodium.h>

#include "log.h"
#include "conn.h"

#define CONN_TICK_MS     1000u
#define CONN_READ_MAX    (PROTO_REC_HDR + PROTO_REC_MAX_SEALED)
#define CONN_RECV_BYTES  (256u * 1024u) /* a data-phase read at most */
#define CONN_LOGIN_BUF   (PROTO_MSG_HDR + PROTO_MSG_MAX_BODY)
#define CONN_OUTQ_LOW    (PROTO_OUTQ_HIGH_BYTES / 2)
#define CONN_CORK_BYTES  (256u * 1024u) /* sealed, then written at once */
#define CONN_OB_SIZE     (16u * 1024u)  /* a lent output block */
#define CONN_OB_KEEP     8u             /* free blocks a loop keeps */
#define CONN_OB_LENT_MAX 64u            /* blocks out at once, per loop: a
                                           broadcast to many sessions queues
                                           the rest as before */

/* The shared tick of one event loop's connections. Loops and their
 * connections live on one thread each (auth.c's workers make none). */
struct conn_ticker {
	struct event_base *base;
	struct event *ev;
	TAILQ_HEAD(, conn) conns;
	size_t n;
	struct conn *next;        /* the walk's next; removals keep it right */
	int walking;
	int reading;              /* rbuf is being read: keep it */
	struct conn_ticker *link;
	uint8_t *ob_free[CONN_OB_KEEP]; /* output blocks back from writing */
	size_t ob_nfree;
	size_t ob_lent;           /* blocks its connections hold */
	/* The loop's connections in the data phase read into this, open their
	 * records in place and keep only a partial record's bytes (in their
	 * own input buffer) between reads: a read that brings whole records,
	 * as almost every one does at low rates, touches no allocator. */
	uint8_t rbuf[CONN_READ_MAX + CONN_RECV_BYTES];
};
static struct conn_ticker *conn_tickers;

static void conn_tick(struct conn *c, uint64_t now);

/* A loop's tick with no connection left goes. */
static void
conn_ticker_drop(struct conn_ticker *t)
{
	struct conn_ticker **pp = &conn_tickers;

	while (*pp != t)
		pp = &(*pp)->link;
	*pp = t->link;
	event_free(t->ev);
	while (t->ob_nfree > 0)
		free(t->ob_free[--t->ob_nfree]);
	free(t);
}

static void
conn_ticker_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn_ticker *t = arg;
	uint64_t now = clock_now_ms();
	struct conn *c;

	t->walking = 1;
	for (c = TAILQ_FIRST(&t->conns); c != NULL; c = t->next) {
		t->next = TAILQ_NEXT(c, tick_entry);
		conn_tick(c, now);
	}
	t->walking = 0;
	t->next = NULL;
	if (t->n == 0 && !t->reading) /* its last connection went meanwhile */
		conn_ticker_drop(t);
}

/* c on its loop's tick (made with the loop's first connection). */
static int
conn_ticker_join(struct conn *c)
{
	struct conn_ticker *t;
	struct timeval tick = { CONN_TICK_MS / 1000,
	    (CONN_TICK_MS % 1000) * 1000 };

	for (t = conn_tickers; t != NULL && t->base != c->base; t = t->link)
		;
	if (t == NULL) {
		if ((t = malloc(sizeof *t)) == NULL)
			return -1;
		memset(t, 0, offsetof(struct conn_ticker, rbuf));
		t->base = c->base;
		TAILQ_INIT(&t->conns);
		if ((t->ev = event_new(c->base, -1, EV_PERSIST,
		    conn_ticker_cb, t)) == NULL) {
			free(t);
			return -1;
		}
		event_add(t->ev, &tick);
		t->link = conn_tickers;
		conn_tickers = t;
	}
	TAILQ_INSERT_TAIL(&t->conns, c, tick_entry);
	t->n++;
	c->ticker = t;
	return 0;
}

/* c off the tick; the last connection of a loop takes the tick with it
 * (at the end of a walk under way). */
static void
conn_ticker_leave(struct conn *c)
{
	struct conn_ticker *t = c->ticker;

	if (t == NULL)
		return;
	if (t->next == c)
		t->next = TAILQ_NEXT(c, tick_entry);
	TAILQ_REMOVE(&t->conns, c, tick_entry);
	c->ticker = NULL;
	if (--t->n == 0 && !t->walking && !t->reading)
		conn_ticker_drop(t);
}

/* An output block from the loop's free ones, or a new one; NULL past
 * CONN_OB_LENT_MAX (or with no memory): the record is queued instead. */
static uint8_t *
conn_ob_get(struct conn *c)
{
	struct conn_ticker *t = c->ticker;
	uint8_t *b;

	if (t == NULL || t->ob_lent >= CONN_OB_LENT_MAX)
		return NULL;
	b = t->ob_nfree > 0 ? t->ob_free[--t->ob_nfree] :
	    malloc(CONN_OB_SIZE);
	if (b != NULL)
		t->ob_lent++;
	return b;
}

/* c's block back to its loop (or freed past CONN_OB_KEEP). */
static void
conn_ob_put(struct conn *c)
{
	struct conn_ticker *t = c->ticker;

	if (c->ob == NULL)
		return;
	if (t != NULL)
		t->ob_lent--;
	if (t != NULL && t->ob_nfree < CONN_OB_KEEP)
		t->ob_free[t->ob_nfree++] = c->ob;
	else
		free(c->ob);
	c->ob = NULL;
	c->ob_len = 0;
}

/* The block's bytes from `from` on into the (empty) output queue, the block
 * back. 0, or -1 if the queue could not take them. */
static int
conn_ob_spill(struct conn *c, size_t from)
{
	int rc = 0;

	if (c->ob_len > from)
		rc = evbuffer_add(c->out, c->ob + from, c->ob_len - from);
	conn_ob_put(c);
	return rc;
}

/* The silence after which the next keepalive goes: random in [ka/2, ka],
 * never so long that the peer's dead-peer timer could fire. */
static void
conn_draw_keepalive(struct conn *c)
{
	uint32_t ka = c->keepalive_ms;

	if (ka > c->dead_peer_ms / 3)
		ka = c->dead_peer_ms / 3;
	uint32_t lo = ka / 2;
	c->ka_wait_ms = lo + randombytes_uniform(ka - lo + 1);
}

static const char *const conn_state_names[] = {
	"tls", "login", "up", "closed"
};

static void
conn_set_state(struct conn *c, enum conn_state st)
{
	log_debug("connection %s: %s -> %s", c->peer,
	    conn_state_names[c->state], conn_state_names[st]);
	c->state = st;
}

static void
conn_free(struct conn *c)
{
	event_free(c->rev);
	event_free(c->wev);
	conn_ticker_leave(c);
	event_free(c->close_ev);
	if (c->kick_ev != NULL)
		event_free(c->kick_ev);
	evbuffer_free(c->in);
	evbuffer_free(c->out);
	free(c->ob);
	tlsio_free(&c->tls);
	dchan_clear(&c->dc);
	free(c->login);
	free(c);
}

static void
conn_finish_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	if (c->cbs->closed != NULL)
		c->cbs->closed(c, c->close_reason, c->arg);
	conn_free(c);
}

void
conn_close(struct conn *c, const char *reason)
{
	if (c->state == CONN_CLOSED)
		return;
	conn_set_state(c, CONN_CLOSED);
	snprintf(c->close_reason, sizeof c->close_reason, "%s", reason);
	event_del(c->rev);
	event_del(c->wev);
	if (c->fd >= 0) {
		/* Best effort: whatever is queued (a goodbye) goes out, in
		 * order. */
		if (c->ob_len == 0 ||
		    write(c->fd, c->ob, c->ob_len) == (ssize_t)c->ob_len)
			evbuffer_write(c->out, c->fd);
		close(c->fd);
		c->fd = -1;
	}
	conn_ob_put(c);
	conn_ticker_leave(c);
	/* TLS goes now, not when the struct is freed: its state points into
	 * the owner's configuration, which an owner letting go of the
	 * connection (conn_abandon) may free before the loop turns. */
	tlsio_release(&c->tls);
	event_active(c->close_ev, 0, 0);
}

size_t
conn_outq(const struct conn *c)
{
	return evbuffer_get_length(c->out) + c->ob_len;
}

int
conn_congested(struct conn *c)
{
	if (conn_outq(c) <= PROTO_OUTQ_HIGH_BYTES)
		return 0;
	c->want_writable = 1;
	return 1;
}

/* A failed write closes c, with why. */
static void
conn_write_failed(struct conn *c)
{
	char why[128];

	snprintf(why, sizeof why, "write: %s", strerror(errno));
	conn_close(c, why);
}

/*
 * The block's records to the socket. 1 if it took all of them, 0 if the
 * rest waits in the output queue, -1 if the connection failed (closed).
 */
static int
conn_ob_write(struct conn *c)
{
	ssize_t n = write(c->fd, c->ob, c->ob_len);

	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR) {
			conn_write_failed(c);
			return -1;
		}
		n = 0;
	}
	if (n > 0) {
		c->ctr.tx_writes++;
		c->last_drain_ms = clock_now_ms();
	}
	int all = (size_t)n == c->ob_len;
	if (conn_ob_spill(c, (size_t)n) != 0) {
		conn_close(c, "cannot queue a record");
		return -1;
	}
	return all;
}

static void
conn_write_now(struct conn *c)
{
	if (c->state == CONN_CLOSED)
		return;
	int rc = c->ob_len > 0 ? conn_ob_write(c) : 1;
	if (rc < 0)
		return;
	while (rc > 0 && evbuffer_get_length(c->out) > 0) {
		int n = evbuffer_write(c->out, c->fd);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			conn_write_failed(c);
			return;
		}
		if (n == 0)
			break;
		c->ctr.tx_writes++;
		c->last_drain_ms = clock_now_ms();
	}
	if (evbuffer_get_length(c->out) > 0)
		event_add(c->wev, NULL);
	if (c->want_writable && evbuffer_get_length(c->out) < CONN_OUTQ_LOW) {
		c->want_writable = 0;
		if (c->cbs->writable != NULL)
			c->cbs->writable(c, c->arg);
	}
}

static void
conn_write_cb(evutil_socket_t fd, short what, void *arg)
{
	conn_write_now(arg);
}

static void
conn_kick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	c->kick_pending = 0;
	conn_write_now(c);
}

void
conn_push(struct conn *c)
{
	c->held = 0;
	if (conn_outq(c) > 0)
		conn_write_now(c);
}

void
conn_hold(struct conn *c)
{
	c->held = 1;
}

int
conn_send_msg(struct conn *c, const struct proto_msg *m)
{
	uint8_t buf[CONN_LOGIN_BUF];
	size_t n;

	if (c->state == CONN_CLOSED)
		return -1;
	n = proto_msg_encode(m, buf, sizeof buf);
	if (n == 0 || tlsio_write(&c->tls, buf, n) != 0)
		return -1;
	conn_write_now(c);
	return 0;
}

int
conn_start_data(struct conn *c, enum dchan_cipher ci,
    uint32_t max_frame, uint32_t keepalive_ms)
{
	const uint8_t *k = c->tls.keys;
	int rc;

	/* The exporter's first half seals client->hub, the second hub->client. */
	if (c->is_server)
		rc = dchan_init(&c->dc, ci, k + DCHAN_KEY_LEN, k);
	else
		rc = dchan_init(&c->dc, ci, k, k + DCHAN_KEY_LEN);
	if (rc != 0)
		return -1;
	sodium_memzero(c->tls.keys, sizeof c->tls.keys);
	/* TLS has done its work: what is left of it goes. */
	tlsio_release(&c->tls);
	c->max_frame = max_frame;
	c->keepalive_ms = keepalive_ms;
	c->last_rx_ms = c->last_tx_ms = clock_now_ms();
	conn_draw_keepalive(c);
	conn_set_state(c, CONN_UP);
	return 0;
}

int
conn_send_plain(struct conn *c, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen)
{
	size_t room = PROTO_REC_HDR + alen + blen + PROTO_REC_TAG, n;
	struct evbuffer_iovec v = { NULL, 0 };
	uint8_t *rec;

	if (c->state != CONN_UP || alen + blen > PROTO_REC_MAX_PLAIN)
		return -1;
	int was_empty = conn_outq(c) == 0;
	if (evbuffer_get_length(c->out) == 0 &&
	    room <= CONN_OB_SIZE - c->ob_len &&
	    (c->ob != NULL || (c->ob = conn_ob_get(c)) != NULL)) {
		rec = c->ob + c->ob_len;        /* sealed into the block */
	} else {
		/* Sealed straight into the output queue, after what the
		 * block holds. */
		if (c->ob_len > 0 && conn_ob_spill(c, 0) != 0) {
			conn_close(c, "cannot queue a record");
			return -1;
		}
		conn_ob_put(c);
		if (evbuffer_reserve_space(c->out, (ev_ssize_t)room, &v, 1) <
		    1 || v.iov_len < room) {
			conn_close(c, "out of memory queueing a record");
			return -1;
		}
		rec = v.iov_base;
	}
	if (alen == 0) {
		n = dchan_seal_from(&c->dc, rec, b, blen);
	} else {
		memcpy(rec + PROTO_REC_HDR, a, alen);
		if (blen > 0)
			memcpy(rec + PROTO_REC_HDR + alen, b, blen);
		n = dchan_seal(&c->dc, rec, alen + blen);
	}
	if (n == 0) {
		/* Nothing sealed (no memory for the cipher): the sequence
		 * cannot go on without this record. */
		if (v.iov_base != NULL)
			evbuffer_commit_space(c->out, &v, 0);
		conn_close(c, "cannot seal a record");
		return -1;
	}
	c->ctr.tx_records++;
	c->ctr.tx_bytes += n;
	c->last_tx_ms = clock_now_ms();
	if (was_empty)
		c->last_drain_ms = c->last_tx_ms;
	if (v.iov_base == NULL) {
		c->ob_len += n;
	} else {
		v.iov_len = n;
		if (evbuffer_commit_space(c->out, &v, 1) != 0) {
			conn_close(c, "cannot queue a record");
			return -1;
		}
	}
	/* What this wake-up's callbacks seal goes out in one write once
	 * they unwind: the peer wakes once for all of it. */
	if (evbuffer_get_length(c->out) >= CONN_CORK_BYTES)
		conn_write_now(c);
	else if (!c->kick_pending && !c->held) {
		c->kick_pending = 1;
		event_active(c->kick_ev, 0, 0);
	}
	return 0;
}

/* A record of one control item. */
static int
conn_send_item(struct conn *c, enum proto_item_type type, const uint8_t *data,
    size_t len)
{
	uint8_t hdr[PROTO_ITEM_HDR];

	proto_item_hdr_put(hdr, type, (uint32_t)len);
	return conn_send_plain(c, hdr, sizeof hdr, data, len);
}

void
conn_set_owner(struct conn *c, const struct conn_cbs *cbs, void *arg)
{
	c->cbs = cbs;
	c->arg = arg;
}

static void
conn_ignore_item(struct conn *c, const struct proto_item *item, void *arg)
{
}

static const struct conn_cbs conn_abandoned_cbs = {
	.item = conn_ignore_item,
};

void
conn_abandon(struct conn *c, const char *reason)
{
	conn_set_owner(c, &conn_abandoned_cbs, NULL);
	conn_close(c, reason);
}

void
conn_goodbye(struct conn *c, uint16_t reason, const char *text)
{
	uint8_t body[2 + 128];
	size_t tl = strnlen(text, sizeof body - 2);

	c->said_goodbye = 1;
	if (c->state == CONN_UP) {
		body[0] = (uint8_t)(reason >> 8);
		body[1] = (uint8_t)reason;
		memcpy(body + 2, text, tl);
		conn_send_item(c, PROTO_ITEM_GOODBYE, body, 2 + tl);
	}
	conn_close(c, text);
}

/* Decode login messages from TLS plaintext until the role leaves LOGIN. */
static void
conn_login_input(struct conn *c)
{
	char err[256];

	while (c->state == CONN_LOGIN) {
		struct proto_msg m;
		size_t used;
		const char *why = NULL;
		enum proto_result r = proto_msg_decode(c->login, c->login_len,
		    &m, &used, &why);
		if (r == PROTO_BAD) {
			char msg[300];
			snprintf(msg, sizeof msg, "bad login message: %s",
			    why ? why : "malformed");
			conn_close(c, msg);
			return;
		}
		if (r == PROTO_OK) {
			memmove(c->login, c->login + used, c->login_len - used);
			c->login_len -= used;
			c->cbs->login_msg(c, &m, c->arg);
			sodium_memzero(&m, sizeof m);
			continue;
		}
		if (c->login_len == CONN_LOGIN_BUF) {
			conn_close(c, "login message too long");
			return;
		}
		int n = tlsio_read(&c->tls, c->login + c->login_len,
		    CONN_LOGIN_BUF - c->login_len, err, sizeof err);
		if (n == 0)
			return;
		if (n < 0) {
			conn_close(c, err);
			return;
		}
		c->login_len += (size_t)n;
	}
}


/* "peer said goodbye: TEXT", the text as the peer chose it made safe for
 * a log line. */
static void
conn_goodbye_reason(char *msg, size_t len, const struct proto_item *item)
{
	char raw[PROTO_MAX_ERROR_TEXT + 1];
	char safe[LOG_SAFE_LEN(128)];
	size_t n = item->len - 2 < sizeof raw - 1 ? item->len - 2 :
	    sizeof raw - 1;

	memcpy(raw, item->data + 2, n);
	raw[n] = '\0';
	snprintf(msg, len, "peer said goodbye: %s", log_safe(safe, sizeof safe,
	    raw));
}

/*
 * Opens the whole records at p (in place) and hands their items to the
 * owner. Returns the bytes they took: what is left is the start of a
 * record. Stops, closing the connection, at the first bad record.
 */
static size_t
conn_records(struct conn *c, uint8_t *p, size_t len)
{
	size_t off = 0;
	uint32_t sealed;
	uint64_t seq;
	const char *why;
	char msg[300];

	while (c->state == CONN_UP && len - off >= PROTO_REC_HDR) {
		if (proto_rec_hdr_get(p + off, PROTO_REC_HDR, &sealed, &seq) !=
		    PROTO_OK) {
			conn_close(c, "bad record header (length out of "
			    "range)");
			return off;
		}
		size_t total = PROTO_REC_HDR + (size_t)sealed;
		if (len - off < total)
			break;
		uint8_t *plain;
		size_t plain_len;
		if (dchan_open(&c->dc, p + off, total, &plain, &plain_len,
		    &why) != 0) {
			snprintf(msg, sizeof msg, "data channel: %s", why);
			conn_close(c, msg);
			return off;
		}
		off += total;
		c->ctr.rx_records++;
		c->ctr.rx_bytes += total;
		struct proto_item_iter it = { plain, plain_len };
		struct proto_item item;
		enum proto_result r = PROTO_OK;
		while (c->state == CONN_UP &&
		    (r = proto_item_next(&it, c->max_frame, &item, &why)) ==
		    PROTO_OK) {
			switch (item.type) {
			case PROTO_ITEM_GOODBYE:
				c->peer_said_goodbye = 1;
				conn_goodbye_reason(msg, sizeof msg, &item);
				conn_close(c, msg);
				return off;
			case PROTO_ITEM_KEEPALIVE:
				break; /* its arrival is the point */
			default:
				c->cbs->item(c, &item, c->arg);
				break;
			}
		}
		if (c->state == CONN_UP && r == PROTO_BAD) {
			snprintf(msg, sizeof msg, "bad record content: %s", why);
			conn_close(c, msg);
			return off;
		}
	}
	return off;
}

/* The records already in the input buffer (those that came in the same
 * reads as the end of the login). */
static void
conn_data_input(struct conn *c)
{
	size_t len = evbuffer_get_length(c->in);
	uint8_t *p;

	if (len == 0)
		return;
	if ((p = evbuffer_pullup(c->in, -1)) == NULL) {
		conn_close(c, "out of memory reading a record");
		return;
	}
	/* A closed connection's buffer lives until it is freed, after the
	 * callbacks unwind. */
	size_t used = conn_records(c, p, len);
	if (c->state != CONN_UP)
		return;
	evbuffer_drain(c->in, used);
	if (c->cbs->rx_batch_done != NULL)
		c->cbs->rx_batch_done(c, c->arg);
}

static void
conn_input(struct conn *c)
{
	char err[256];

	if (c->state == CONN_TLS) {
		int rc = tlsio_handshake(&c->tls, err, sizeof err);
		conn_write_now(c);
		if (rc == 1 || c->state == CONN_CLOSED)
			return;
		if (rc < 0) {
			conn_close(c, err);
			return;
		}
		conn_set_state(c, CONN_LOGIN);
		if (c->cbs->tls_up != NULL && c->cbs->tls_up(c, c->arg) != 0)
			return;
	}
	if (c->state == CONN_LOGIN)
		conn_login_input(c);
	if (c->state == CONN_UP)
		conn_data_input(c);
}

/*
 * One read of up to CONN_READ_MAX bytes into contiguous space at the end of
 * the input buffer. Not evbuffer_read: libevent 2.1 caps that at 4 KiB per
 * call and asks FIONREAD first, two syscalls per 4 KiB (at a gigabit that
 * is some 60,000 a second per connection). One vector keeps records
 * contiguous, so evbuffer_pullup rarely copies: only a record's partial
 * tail moves when a new chunk is started.
 */
static ssize_t
conn_read_some(struct conn *c)
{
	struct evbuffer_iovec v;

	if (evbuffer_reserve_space(c->in, CONN_READ_MAX, &v, 1) != 1) {
		errno = ENOMEM;
		return -1;
	}
	ssize_t n = recv(c->fd, v.iov_base, v.iov_len, 0);
	v.iov_len = n > 0 ? (size_t)n : 0;
	int saved = errno;
	evbuffer_commit_space(c->in, &v, n > 0 ? 1 : 0);
	errno = saved;
	return n;
}

/* A failed or empty read: 0 if it only means "not now". */
static int
conn_read_failed(struct conn *c, ssize_t n)
{
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		char why[128];
		snprintf(why, sizeof why, "read: %s", strerror(errno));
		conn_close(c, why);
		return -1;
	}
	conn_close(c, "connection closed by peer");
	return -1;
}

/*
 * The data phase's read: into the loop's buffer after the partial record
 * kept from the last read (less than a record, so it fits in front), the
 * whole records opened there, the rest kept again.
 */
static void
conn_read_data(struct conn *c)
{
	struct conn_ticker *t = c->ticker;
	size_t carry = evbuffer_get_length(c->in);
	ssize_t n = recv(c->fd, t->rbuf + carry, CONN_RECV_BYTES, 0);

	if (n <= 0) {
		conn_read_failed(c, n);
		return;
	}
	c->last_rx_ms = clock_now_ms();
	if (carry > 0)
		evbuffer_remove(c->in, t->rbuf, carry);
	size_t len = carry + (size_t)n;
	t->reading = 1;  /* the owner may close the loop's last connection */
	size_t used = conn_records(c, t->rbuf, len);
	t->reading = 0;
	if (c->state != CONN_UP) {
		if (t->n == 0 && !t->walking)
			conn_ticker_drop(t);
		return;
	}
	if (used < len && evbuffer_add(c->in, t->rbuf + used, len - used) !=
	    0) {
		conn_close(c, "out of memory keeping a partial record");
		return;
	}
	if (c->cbs->rx_batch_done != NULL)
		c->cbs->rx_batch_done(c, c->arg);
}

static void
conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	if (c->state == CONN_UP) {
		conn_read_data(c);
		return;
	}
	ssize_t n = conn_read_some(c);
	if (n <= 0) {
		conn_read_failed(c, n);
		return;
	}
	c->last_rx_ms = clock_now_ms();
	c->got_bytes = 1;
	conn_input(c);
}

static void
conn_tick(struct conn *c, uint64_t now)
{
	/* Clocks ahead of the walk's now (touched while it ran): the next
	 * tick looks at it, rather than an unsigned difference wrapping. */
	if (now < c->started_ms || now < c->last_rx_ms || now < c->last_tx_ms ||
	    now < c->last_drain_ms)
		return;
	if (c->state == CONN_LOGIN && c->login_idle_ms > 0) {
		/* An administration session: silence, not age, ends it. */
		if (now - c->last_rx_ms >= c->login_idle_ms)
			conn_close(c, "idle too long");
		return;
	}
	if (c->state == CONN_TLS && !c->got_bytes && c->first_byte_ms > 0 &&
	    now - c->started_ms >= c->first_byte_ms) {
		conn_close(c, "sent nothing (first-byte timeout)");
		return;
	}
	if (c->state != CONN_UP) {
		if (now - c->started_ms >= PROTO_HANDSHAKE_TIMEOUT_MS)
			conn_close(c, c->state == CONN_TLS ?
			    "TLS handshake timed out" : "login timed out");
		return;
	}
	if (now - c->last_rx_ms >= c->dead_peer_ms) {
		conn_close(c, "peer silent too long (dead peer)");
		return;
	}
	/* Talking but not reading (its receive window shut): as dead. */
	if (conn_outq(c) > 0 && now - c->last_drain_ms >= c->dead_peer_ms) {
		conn_close(c, "peer stopped reading (its receive window stayed "
		    "shut)");
		return;
	}
	if (now - c->last_tx_ms >= c->ka_wait_ms) {
		/* Sealed like any record: its bytes need not be random. */
		static const uint8_t pad[PROTO_KEEPALIVE_PAD];
		conn_draw_keepalive(c);
		if (conn_send_item(c, PROTO_ITEM_KEEPALIVE, pad, sizeof pad) !=
		    0)
			return;
	}
	if (c->cbs->tick != NULL && c->state == CONN_UP)
		c->cbs->tick(c, now, c->arg);
}

struct conn *
conn_new(struct event_base *base, int fd, struct tlsio_conf *tc,
    const char *server_name, const struct conn_cbs *cbs, void *arg)
{
	struct conn *c = calloc(1, sizeof *c);
	int one = 1;
	socklen_t alen;

	if (c == NULL) {
		close(fd);
		return NULL;
	}
	c->base = base;
	c->fd = fd;
	c->cbs = cbs;
	c->arg = arg;
	c->is_server = tc->is_server;
	c->state = CONN_TLS;
	c->started_ms = c->last_rx_ms = c->last_tx_ms = c->last_drain_ms =
	    clock_now_ms();
	c->max_frame = PROTO_ETH_MAX_FRAME;
	c->keepalive_ms = PROTO_KEEPALIVE_MS;
	c->dead_peer_ms = PROTO_DEAD_PEER_MS;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	alen = sizeof c->peer_addr;
	if (getpeername(fd, (struct sockaddr *)&c->peer_addr, &alen) == 0) {
		char host[INET6_ADDRSTRLEN] = "?";
		const struct sockaddr *sa = (struct sockaddr *)&c->peer_addr;
		int port = 0;
		if (sa->sa_family == AF_INET) {
			const struct sockaddr_in *a = (const void *)sa;
			evutil_inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
			port = ntohs(a->sin_port);
			snprintf(c->peer, sizeof c->peer, "%s:%d", host, port);
		} else if (sa->sa_family == AF_INET6) {
			const struct sockaddr_in6 *a = (const void *)sa;
			evutil_inet_ntop(AF_INET6, &a->sin6_addr, host,
			    sizeof host);
			port = ntohs(a->sin6_port);
			snprintf(c->peer, sizeof c->peer, "[%s]:%d", host, port);
		} else
			snprintf(c->peer, sizeof c->peer, "local");
	} else
		snprintf(c->peer, sizeof c->peer, "fd%d", fd);

	c->in = evbuffer_new();
	c->out = evbuffer_new();
	c->login = malloc(CONN_LOGIN_BUF);
	c->rev = event_new(base, fd, EV_READ | EV_PERSIST, conn_read_cb, c);
	c->wev = event_new(base, fd, EV_WRITE, conn_write_cb, c);
	c->close_ev = event_new(base, -1, 0, conn_finish_cb, c);
	c->kick_ev = event_new(base, -1, 0, conn_kick_cb, c);
	if (c->in == NULL || c->out == NULL || c->kick_ev == NULL ||
	    c->login == NULL || c->rev == NULL || c->wev == NULL ||
	    c->close_ev == NULL || conn_ticker_join(c) != 0 ||
	    tlsio_init(&c->tls, tc, c->in, c->out, server_name) != 0) {
		close(fd);
		c->fd = -1;
		conn_free(c);
		return NULL;
	}
	event_add(c->rev, NULL);
	if (!c->is_server)
		conn_input(c); /* the client speaks first */
	return c;
}
