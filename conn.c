/*
 * session.c: one tunnel connection. States run TLS -> LOGIN -> UP -> CLOSED;
 * conn_set_state() is the only place that changes them. Teardown is
 * conn_close(), and the struct is freed from its own deferred event, never
 * inside a callback that still uses it.
 *
 * Timers (one per session, ticking every CONN_TICK_MS):
 *  - handshake: TLS + login must finish within PROTO_HANDSHAKE_TIMEOUT_MS;
 *  - keepalive: when nothing was sent for a random time in
 *    [keepalive_ms / 2, keepalive_ms], send a padded keepalive item;
 *  - dead peer: nothing received for dead_peer_ms (PROTO_DEAD_PEER_MS unless
 *    the owner sets it) closes the connection.
 */
#include <errno.h>
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
#define CONN_READ_MAX    (256u * 1024u)
#define CONN_LOGIN_BUF   (PROTO_MSG_HDR + PROTO_MSG_MAX_BODY)
#define CONN_OUTQ_LOW    (PROTO_OUTQ_HIGH_BYTES / 2)

static const char *const conn_state_names[] = {
	"tls", "login", "up", "closed"
};

static void
conn_set_state(struct conn *s, enum conn_state st)
{
	log_debug("session %s: %s -> %s", s->peer,
	    conn_state_names[s->state], conn_state_names[st]);
	s->state = st;
}

static void
conn_free(struct conn *s)
{
	event_free(s->rev);
	event_free(s->wev);
	event_free(s->timer);
	event_free(s->close_ev);
	evbuffer_free(s->in);
	evbuffer_free(s->out);
	tlsio_free(&s->tls);
	dchan_clear(&s->dc);
	free(s->tx);
	free(s->login);
	free(s);
}

static void
conn_finish_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *s = arg;

	if (s->cbs->closed != NULL)
		s->cbs->closed(s, s->close_reason, s->arg);
	conn_free(s);
}

void
conn_close(struct conn *s, const char *reason)
{
	if (s->state == CONN_CLOSED)
		return;
	conn_set_state(s, CONN_CLOSED);
	snprintf(s->close_reason, sizeof s->close_reason, "%s", reason);
	event_del(s->rev);
	event_del(s->wev);
	event_del(s->timer);
	if (s->fd >= 0) {
		/* Best effort: whatever is queued (a goodbye) goes out. */
		evbuffer_write(s->out, s->fd);
		close(s->fd);
		s->fd = -1;
	}
	event_active(s->close_ev, 0, 0);
}

size_t
conn_outq(const struct conn *s)
{
	return evbuffer_get_length(s->out);
}

int
conn_congested(struct conn *s)
{
	if (evbuffer_get_length(s->out) <= PROTO_OUTQ_HIGH_BYTES)
		return 0;
	s->want_writable = 1;
	return 1;
}

static void
conn_write_now(struct conn *s)
{
	if (s->state == CONN_CLOSED)
		return;
	while (evbuffer_get_length(s->out) > 0) {
		int n = evbuffer_write(s->out, s->fd);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			char why[128];
			snprintf(why, sizeof why, "write: %s", strerror(errno));
			conn_close(s, why);
			return;
		}
		if (n == 0)
			break;
	}
	if (evbuffer_get_length(s->out) > 0)
		event_add(s->wev, NULL);
	if (s->want_writable && evbuffer_get_length(s->out) < CONN_OUTQ_LOW) {
		s->want_writable = 0;
		if (s->cbs->writable != NULL)
			s->cbs->writable(s, s->arg);
	}
}

static void
conn_write_cb(evutil_socket_t fd, short what, void *arg)
{
	conn_write_now(arg);
}

int
conn_send_msg(struct conn *s, const struct proto_msg *m)
{
	uint8_t buf[CONN_LOGIN_BUF];
	size_t n = proto_msg_encode(m, buf, sizeof buf);

	if (n == 0 || tlsio_write(&s->tls, buf, n) != 0)
		return -1;
	conn_write_now(s);
	return 0;
}

int
conn_start_data(struct conn *s, enum dchan_cipher c,
    uint32_t max_frame, uint32_t keepalive_ms)
{
	const uint8_t *k = s->tls.keys;
	int rc;

	/* The exporter's first half seals client->hub, the second hub->client. */
	if (s->is_server)
		rc = dchan_init(&s->dc, c, k + DCHAN_KEY_LEN, k);
	else
		rc = dchan_init(&s->dc, c, k, k + DCHAN_KEY_LEN);
	if (rc != 0)
		return -1;
	sodium_memzero(s->tls.keys, sizeof s->tls.keys);
	s->max_frame = max_frame;
	s->keepalive_ms = keepalive_ms;
	s->last_rx_ms = s->last_tx_ms = clock_now_ms();
	conn_set_state(s, CONN_UP);
	return 0;
}

int
conn_send_plain(struct conn *s, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen)
{
	size_t n;

	if (s->state != CONN_UP || alen + blen > PROTO_REC_MAX_PLAIN)
		return -1;
	if (alen == 0) {
		/* One piece: sealed straight from the caller's buffer. */
		n = dchan_seal_from(&s->dc, s->tx, b, blen);
	} else {
		memcpy(s->tx + PROTO_REC_HDR, a, alen);
		if (blen > 0)
			memcpy(s->tx + PROTO_REC_HDR + alen, b, blen);
		n = dchan_seal(&s->dc, s->tx, alen + blen);
	}
	s->ctr.tx_records++;
	s->ctr.tx_bytes += n;
	s->last_tx_ms = clock_now_ms();
	size_t off = 0;
	if (evbuffer_get_length(s->out) == 0) {
		/* Nothing queued: straight to the socket, and only what it
		 * does not take is copied into the queue. */
		ssize_t w = send(s->fd, s->tx, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno != EAGAIN && errno != EINTR) {
			char why[128];
			snprintf(why, sizeof why, "write: %s", strerror(errno));
			conn_close(s, why);
			return -1;
		}
		if (w > 0)
			off = (size_t)w;
		if (off == n)
			return 0;
	}
	if (evbuffer_add(s->out, s->tx + off, n - off) != 0) {
		conn_close(s, "out of memory queueing a record");
		return -1;
	}
	conn_write_now(s);
	return 0;
}

/* A record of one control item. */
static int
conn_send_item(struct conn *s, enum proto_item_type type, const uint8_t *data,
    size_t len)
{
	uint8_t hdr[PROTO_ITEM_HDR];

	proto_item_hdr_put(hdr, type, (uint32_t)len);
	return conn_send_plain(s, hdr, sizeof hdr, data, len);
}

void
conn_set_owner(struct conn *s, const struct conn_cbs *cbs, void *arg)
{
	s->cbs = cbs;
	s->arg = arg;
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
conn_goodbye(struct conn *s, uint16_t reason, const char *text)
{
	uint8_t body[2 + 128];
	size_t tl = strnlen(text, sizeof body - 2);

	s->said_goodbye = 1;
	if (s->state == CONN_UP) {
		body[0] = (uint8_t)(reason >> 8);
		body[1] = (uint8_t)reason;
		memcpy(body + 2, text, tl);
		conn_send_item(s, PROTO_ITEM_GOODBYE, body, 2 + tl);
	}
	conn_close(s, text);
}

/* Decode login messages from TLS plaintext until the role leaves LOGIN. */
static void
conn_login_input(struct conn *s)
{
	char err[256];

	while (s->state == CONN_LOGIN) {
		struct proto_msg m;
		size_t used;
		const char *why = NULL;
		enum proto_result r = proto_msg_decode(s->login, s->login_len,
		    &m, &used, &why);
		if (r == PROTO_BAD) {
			char msg[300];
			snprintf(msg, sizeof msg, "bad login message: %s",
			    why ? why : "malformed");
			conn_close(s, msg);
			return;
		}
		if (r == PROTO_OK) {
			memmove(s->login, s->login + used, s->login_len - used);
			s->login_len -= used;
			s->cbs->login_msg(s, &m, s->arg);
			sodium_memzero(&m, sizeof m);
			continue;
		}
		if (s->login_len == CONN_LOGIN_BUF) {
			conn_close(s, "login message too long");
			return;
		}
		int n = tlsio_read(&s->tls, s->login + s->login_len,
		    CONN_LOGIN_BUF - s->login_len, err, sizeof err);
		if (n == 0)
			return;
		if (n < 0) {
			conn_close(s, err);
			return;
		}
		s->login_len += (size_t)n;
	}
}

static void
conn_data_input(struct conn *s)
{
	uint8_t hdr[PROTO_REC_HDR];
	uint32_t sealed;
	uint64_t seq;
	const char *why;
	char msg[300];

	while (s->state == CONN_UP) {
		size_t avail = evbuffer_get_length(s->in);
		if (avail < PROTO_REC_HDR)
			break;
		evbuffer_copyout(s->in, hdr, sizeof hdr);
		if (proto_rec_hdr_get(hdr, sizeof hdr, &sealed, &seq) !=
		    PROTO_OK) {
			conn_close(s, "bad record header (length out of "
			    "range)");
			return;
		}
		size_t total = PROTO_REC_HDR + (size_t)sealed;
		if (avail < total)
			break;
		/* Opened in place inside the input buffer (pullup copies only
		 * when the record straddles two chunks); drained once its
		 * frames are delivered. */
		uint8_t *rec = evbuffer_pullup(s->in, (ssize_t)total);
		uint8_t *plain;
		size_t plain_len;
		if (rec == NULL) {
			conn_close(s, "out of memory reading a record");
			return;
		}
		if (dchan_open(&s->dc, rec, total, &plain, &plain_len,
		    &why) != 0) {
			snprintf(msg, sizeof msg, "data channel: %s", why);
			conn_close(s, msg);
			return;
		}
		s->ctr.rx_records++;
		s->ctr.rx_bytes += total;
		struct proto_item_iter it = { plain, plain_len };
		struct proto_item item;
		enum proto_result r = PROTO_OK;
		while (s->state == CONN_UP &&
		    (r = proto_item_next(&it, s->max_frame, &item, &why)) ==
		    PROTO_OK) {
			switch (item.type) {
			case PROTO_ITEM_GOODBYE:
				s->peer_said_goodbye = 1;
				snprintf(msg, sizeof msg, "peer said goodbye: "
				    "%.*s", (int)(item.len - 2), item.data + 2);
				conn_close(s, msg);
				return;
			case PROTO_ITEM_KEEPALIVE:
				break; /* its arrival is the point */
			default:
				s->cbs->item(s, &item, s->arg);
				break;
			}
		}
		evbuffer_drain(s->in, total);
		if (s->state == CONN_UP && r == PROTO_BAD) {
			snprintf(msg, sizeof msg, "bad record content: %s", why);
			conn_close(s, msg);
			return;
		}
	}
	if (s->state == CONN_UP && s->cbs->rx_batch_done != NULL)
		s->cbs->rx_batch_done(s, s->arg);
}

static void
conn_input(struct conn *s)
{
	char err[256];

	if (s->state == CONN_TLS) {
		int rc = tlsio_handshake(&s->tls, err, sizeof err);
		conn_write_now(s);
		if (rc == 1 || s->state == CONN_CLOSED)
			return;
		if (rc < 0) {
			conn_close(s, err);
			return;
		}
		conn_set_state(s, CONN_LOGIN);
		if (s->cbs->tls_up != NULL && s->cbs->tls_up(s, s->arg) != 0)
			return;
	}
	if (s->state == CONN_LOGIN)
		conn_login_input(s);
	if (s->state == CONN_UP)
		conn_data_input(s);
}

static void
conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *s = arg;
	int n = evbuffer_read(s->in, fd, CONN_READ_MAX);

	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		char why[128];
		snprintf(why, sizeof why, "read: %s", strerror(errno));
		conn_close(s, why);
		return;
	}
	if (n == 0) {
		conn_close(s, "connection closed by peer");
		return;
	}
	s->last_rx_ms = clock_now_ms();
	conn_input(s);
}

static void
conn_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *s = arg;
	uint64_t now = clock_now_ms();

	if (s->state != CONN_UP) {
		if (now - s->started_ms >= PROTO_HANDSHAKE_TIMEOUT_MS)
			conn_close(s, s->state == CONN_TLS ?
			    "TLS handshake timed out" : "login timed out");
		return;
	}
	if (now - s->last_rx_ms >= s->dead_peer_ms) {
		conn_close(s, "peer silent too long (dead peer)");
		return;
	}
	/* Never so rare that the peer's dead-peer timer could fire. */
	uint32_t ka = s->keepalive_ms;
	if (ka > s->dead_peer_ms / 3)
		ka = s->dead_peer_ms / 3;
	uint32_t lo = ka / 2;
	uint32_t wait = lo + randombytes_uniform(ka - lo + 1);
	if (now - s->last_tx_ms >= wait) {
		uint8_t pad[PROTO_KEEPALIVE_PAD];
		randombytes_buf(pad, sizeof pad);
		conn_send_item(s, PROTO_ITEM_KEEPALIVE, pad, sizeof pad);
	}
}

struct conn *
conn_new(struct event_base *base, int fd, struct tlsio_conf *tc,
    const char *server_name, const struct conn_cbs *cbs, void *arg)
{
	struct conn *s = calloc(1, sizeof *s);
	int one = 1;
	socklen_t alen;

	if (s == NULL) {
		close(fd);
		return NULL;
	}
	s->base = base;
	s->fd = fd;
	s->cbs = cbs;
	s->arg = arg;
	s->is_server = tc->is_server;
	s->state = CONN_TLS;
	s->started_ms = s->last_rx_ms = s->last_tx_ms = clock_now_ms();
	s->max_frame = PROTO_ETH_MAX_FRAME;
	s->keepalive_ms = PROTO_KEEPALIVE_MS;
	s->dead_peer_ms = PROTO_DEAD_PEER_MS;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	alen = sizeof s->peer_addr;
	if (getpeername(fd, (struct sockaddr *)&s->peer_addr, &alen) == 0) {
		char host[INET6_ADDRSTRLEN] = "?";
		const struct sockaddr *sa = (struct sockaddr *)&s->peer_addr;
		int port = 0;
		if (sa->sa_family == AF_INET) {
			const struct sockaddr_in *a = (const void *)sa;
			evutil_inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
			port = ntohs(a->sin_port);
			snprintf(s->peer, sizeof s->peer, "%s:%d", host, port);
		} else if (sa->sa_family == AF_INET6) {
			const struct sockaddr_in6 *a = (const void *)sa;
			evutil_inet_ntop(AF_INET6, &a->sin6_addr, host,
			    sizeof host);
			port = ntohs(a->sin6_port);
			snprintf(s->peer, sizeof s->peer, "[%s]:%d", host, port);
		} else
			snprintf(s->peer, sizeof s->peer, "local");
	} else
		snprintf(s->peer, sizeof s->peer, "fd%d", fd);

	s->in = evbuffer_new();
	s->out = evbuffer_new();
	s->tx = malloc(PROTO_REC_HDR + PROTO_REC_MAX_PLAIN + PROTO_REC_TAG);
	s->login = malloc(CONN_LOGIN_BUF);
	s->rev = event_new(base, fd, EV_READ | EV_PERSIST, conn_read_cb, s);
	s->wev = event_new(base, fd, EV_WRITE, conn_write_cb, s);
	s->timer = event_new(base, -1, EV_PERSIST, conn_tick_cb, s);
	s->close_ev = event_new(base, -1, 0, conn_finish_cb, s);
	if (s->in == NULL || s->out == NULL || s->tx == NULL ||
	    s->login == NULL || s->rev == NULL || s->wev == NULL ||
	    s->timer == NULL || s->close_ev == NULL ||
	    tlsio_init(&s->tls, tc, s->in, s->out, server_name) != 0) {
		close(fd);
		s->fd = -1;
		conn_free(s);
		return NULL;
	}
	struct timeval tick = { CONN_TICK_MS / 1000,
	    (CONN_TICK_MS % 1000) * 1000 };
	event_add(s->timer, &tick);
	event_add(s->rev, NULL);
	if (!s->is_server)
		conn_input(s); /* the client speaks first */
	return s;
}
