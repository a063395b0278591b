/*
 * session.c: one tunnel connection. States run TLS -> LOGIN -> UP -> CLOSED;
 * session_set_state() is the only place that changes them. Teardown is
 * session_close(), and the struct is freed from its own deferred event, never
 * inside a callback that still uses it.
 *
 * Timers (one per session, ticking every SESSION_TICK_MS):
 *  - handshake: TLS + login must finish within PROTO_HANDSHAKE_TIMEOUT_MS;
 *  - keepalive: when nothing was sent for a random time in
 *    [keepalive_ms / 2, keepalive_ms], send a padded keepalive item;
 *  - dead peer: nothing received for PROTO_DEAD_PEER_MS closes the session.
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
#include "session.h"

#define SESSION_TICK_MS     1000u
#define SESSION_READ_MAX    (256u * 1024u)
#define SESSION_LOGIN_BUF   (PROTO_MSG_HDR + PROTO_MSG_MAX_BODY)
#define SESSION_OUTQ_LOW    (PROTO_OUTQ_HIGH_BYTES / 2)

static const char *const session_state_names[] = {
	"tls", "login", "up", "closed"
};

uint64_t
session_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void
session_set_state(struct session *s, enum session_state st)
{
	log_debug("session %s: %s -> %s", s->peer,
	    session_state_names[s->state], session_state_names[st]);
	s->state = st;
}

static void
session_free(struct session *s)
{
	event_free(s->rev);
	event_free(s->wev);
	event_free(s->timer);
	event_free(s->flush_ev);
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
session_finish_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;

	if (s->cbs->closed != NULL)
		s->cbs->closed(s, s->close_reason, s->arg);
	session_free(s);
}

void
session_close(struct session *s, const char *reason)
{
	if (s->state == SESSION_CLOSED)
		return;
	session_set_state(s, SESSION_CLOSED);
	snprintf(s->close_reason, sizeof s->close_reason, "%s", reason);
	event_del(s->rev);
	event_del(s->wev);
	event_del(s->timer);
	event_del(s->flush_ev);
	if (s->fd >= 0) {
		/* Best effort: whatever is queued (a goodbye) goes out. */
		evbuffer_write(s->out, s->fd);
		close(s->fd);
		s->fd = -1;
	}
	event_active(s->close_ev, 0, 0);
}

size_t
session_outq(const struct session *s)
{
	return evbuffer_get_length(s->out);
}

int
session_congested(struct session *s)
{
	if (evbuffer_get_length(s->out) <= PROTO_OUTQ_HIGH_BYTES)
		return 0;
	s->want_writable = 1;
	return 1;
}

static void
session_write_now(struct session *s)
{
	if (s->state == SESSION_CLOSED)
		return;
	while (evbuffer_get_length(s->out) > 0) {
		int n = evbuffer_write(s->out, s->fd);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			char why[128];
			snprintf(why, sizeof why, "write: %s", strerror(errno));
			session_close(s, why);
			return;
		}
		if (n == 0)
			break;
	}
	if (evbuffer_get_length(s->out) > 0)
		event_add(s->wev, NULL);
	if (s->want_writable && evbuffer_get_length(s->out) < SESSION_OUTQ_LOW) {
		s->want_writable = 0;
		if (s->cbs->writable != NULL)
			s->cbs->writable(s, s->arg);
	}
}

static void
session_write_cb(evutil_socket_t fd, short what, void *arg)
{
	session_write_now(arg);
}

int
session_send_msg(struct session *s, const struct proto_msg *m)
{
	uint8_t buf[SESSION_LOGIN_BUF];
	size_t n = proto_msg_encode(m, buf, sizeof buf);

	if (n == 0 || tlsio_write(&s->tls, buf, n) != 0)
		return -1;
	session_write_now(s);
	return 0;
}

int
session_start_data(struct session *s, enum dchan_cipher c,
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
	s->last_rx_ms = s->last_tx_ms = session_now_ms();
	session_set_state(s, SESSION_UP);
	return 0;
}

void
session_flush(struct session *s)
{
	size_t n;

	s->flush_pending = 0;
	if (s->tx_len == 0 || s->state != SESSION_UP)
		return;
	n = dchan_seal(&s->dc, s->tx, s->tx_len);
	s->tx_len = 0;
	s->ctr.tx_records++;
	s->last_tx_ms = session_now_ms();
	size_t off = 0;
	if (evbuffer_get_length(s->out) == 0) {
		/* Nothing queued: straight to the socket, and only what it
		 * does not take is copied into the queue. */
		ssize_t w = send(s->fd, s->tx, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno != EAGAIN && errno != EINTR) {
			char why[128];
			snprintf(why, sizeof why, "write: %s", strerror(errno));
			session_close(s, why);
			return;
		}
		if (w > 0)
			off = (size_t)w;
		if (off == n)
			return;
	}
	if (evbuffer_add(s->out, s->tx + off, n - off) != 0) {
		session_close(s, "out of memory queueing a record");
		return;
	}
	session_write_now(s);
}

static void
session_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	session_flush(arg);
}

static int
session_append(struct session *s, enum proto_item_type type,
    const uint8_t *data, size_t len)
{
	if (s->tx_len + PROTO_ITEM_HDR + len > PROTO_REC_MAX_PLAIN)
		session_flush(s);
	if (s->state != SESSION_UP)
		return -1;
	uint8_t *p = s->tx + PROTO_REC_HDR + s->tx_len;
	proto_item_hdr_put(p, type, (uint32_t)len);
	if (len > 0)
		memcpy(p + PROTO_ITEM_HDR, data, len);
	s->tx_len += PROTO_ITEM_HDR + len;
	if (s->tx_len >= PROTO_REC_BATCH_TARGET)
		session_flush(s);
	else if (!s->flush_pending) {
		s->flush_pending = 1;
		event_active(s->flush_ev, 0, 0);
	}
	return 0;
}

int
session_send_frame(struct session *s, const uint8_t *f, size_t len)
{
	if (s->state != SESSION_UP || len > s->max_frame)
		return -1;
	if (session_congested(s)) {
		s->ctr.tx_drops++;
		return -1;
	}
	if (session_append(s, PROTO_ITEM_FRAME, f, len) != 0)
		return -1;
	s->ctr.tx_frames++;
	s->ctr.tx_bytes += len;
	return 0;
}

void
session_goodbye(struct session *s, uint16_t reason, const char *text)
{
	uint8_t body[2 + 128];
	size_t tl = strnlen(text, sizeof body - 2);

	if (s->state == SESSION_UP) {
		body[0] = (uint8_t)(reason >> 8);
		body[1] = (uint8_t)reason;
		memcpy(body + 2, text, tl);
		session_append(s, PROTO_ITEM_GOODBYE, body, 2 + tl);
		session_flush(s);
	}
	session_close(s, text);
}

/* Decode login messages from TLS plaintext until the role leaves LOGIN. */
static void
session_login_input(struct session *s)
{
	char err[256];

	while (s->state == SESSION_LOGIN) {
		struct proto_msg m;
		size_t used;
		const char *why = NULL;
		enum proto_result r = proto_msg_decode(s->login, s->login_len,
		    &m, &used, &why);
		if (r == PROTO_BAD) {
			char msg[300];
			snprintf(msg, sizeof msg, "bad login message: %s",
			    why ? why : "malformed");
			session_close(s, msg);
			return;
		}
		if (r == PROTO_OK) {
			memmove(s->login, s->login + used, s->login_len - used);
			s->login_len -= used;
			s->cbs->login_msg(s, &m, s->arg);
			sodium_memzero(&m, sizeof m);
			continue;
		}
		if (s->login_len == SESSION_LOGIN_BUF) {
			session_close(s, "login message too long");
			return;
		}
		int n = tlsio_read(&s->tls, s->login + s->login_len,
		    SESSION_LOGIN_BUF - s->login_len, err, sizeof err);
		if (n == 0)
			return;
		if (n < 0) {
			session_close(s, err);
			return;
		}
		s->login_len += (size_t)n;
	}
}

static void
session_data_input(struct session *s)
{
	uint8_t hdr[PROTO_REC_HDR];
	uint32_t sealed;
	uint64_t seq;
	const char *why;
	char msg[300];

	while (s->state == SESSION_UP) {
		size_t avail = evbuffer_get_length(s->in);
		if (avail < PROTO_REC_HDR)
			break;
		evbuffer_copyout(s->in, hdr, sizeof hdr);
		if (proto_rec_hdr_get(hdr, sizeof hdr, &sealed, &seq) !=
		    PROTO_OK) {
			session_close(s, "bad record header (length out of "
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
			session_close(s, "out of memory reading a record");
			return;
		}
		if (dchan_open(&s->dc, rec, total, &plain, &plain_len,
		    &why) != 0) {
			snprintf(msg, sizeof msg, "data channel: %s", why);
			session_close(s, msg);
			return;
		}
		s->ctr.rx_records++;
		struct proto_item_iter it = { plain, plain_len };
		struct proto_item item;
		enum proto_result r = PROTO_OK;
		while (s->state == SESSION_UP &&
		    (r = proto_item_next(&it, s->max_frame, &item, &why)) ==
		    PROTO_OK) {
			switch (item.type) {
			case PROTO_ITEM_FRAME:
				s->ctr.rx_frames++;
				s->ctr.rx_bytes += item.len;
				s->cbs->frame(s, item.data, item.len, s->arg);
				break;
			case PROTO_ITEM_GOODBYE:
				snprintf(msg, sizeof msg, "peer said goodbye: "
				    "%.*s", (int)(item.len - 2), item.data + 2);
				session_close(s, msg);
				return;
			default:
				break; /* keepalive: its arrival is the point */
			}
		}
		evbuffer_drain(s->in, total);
		if (s->state == SESSION_UP && r == PROTO_BAD) {
			snprintf(msg, sizeof msg, "bad record content: %s", why);
			session_close(s, msg);
			return;
		}
	}
	if (s->state == SESSION_UP && s->cbs->rx_batch_done != NULL)
		s->cbs->rx_batch_done(s, s->arg);
}

static void
session_input(struct session *s)
{
	char err[256];

	if (s->state == SESSION_TLS) {
		int rc = tlsio_handshake(&s->tls, err, sizeof err);
		session_write_now(s);
		if (rc == 1 || s->state == SESSION_CLOSED)
			return;
		if (rc < 0) {
			session_close(s, err);
			return;
		}
		session_set_state(s, SESSION_LOGIN);
		if (s->cbs->tls_up != NULL && s->cbs->tls_up(s, s->arg) != 0)
			return;
	}
	if (s->state == SESSION_LOGIN)
		session_login_input(s);
	if (s->state == SESSION_UP)
		session_data_input(s);
}

static void
session_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;
	int n = evbuffer_read(s->in, fd, SESSION_READ_MAX);

	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		char why[128];
		snprintf(why, sizeof why, "read: %s", strerror(errno));
		session_close(s, why);
		return;
	}
	if (n == 0) {
		session_close(s, "connection closed by peer");
		return;
	}
	s->last_rx_ms = session_now_ms();
	session_input(s);
}

static void
session_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;
	uint64_t now = session_now_ms();

	if (s->state != SESSION_UP) {
		if (now - s->started_ms >= PROTO_HANDSHAKE_TIMEOUT_MS)
			session_close(s, s->state == SESSION_TLS ?
			    "TLS handshake timed out" : "login timed out");
		return;
	}
	if (now - s->last_rx_ms >= PROTO_DEAD_PEER_MS) {
		session_close(s, "peer silent too long (dead peer)");
		return;
	}
	uint32_t lo = s->keepalive_ms / 2;
	uint32_t wait = lo + randombytes_uniform(s->keepalive_ms - lo + 1);
	if (now - s->last_tx_ms >= wait) {
		uint8_t pad[PROTO_KEEPALIVE_PAD];
		randombytes_buf(pad, sizeof pad);
		if (session_append(s, PROTO_ITEM_KEEPALIVE, pad, sizeof pad) ==
		    0)
			session_flush(s);
	}
}

struct session *
session_new(struct event_base *base, int fd, struct tlsio_conf *tc,
    const char *server_name, const struct session_cbs *cbs, void *arg)
{
	struct session *s = calloc(1, sizeof *s);
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
	s->state = SESSION_TLS;
	s->started_ms = s->last_rx_ms = s->last_tx_ms = session_now_ms();
	s->max_frame = PROTO_ETH_MAX_FRAME;
	s->keepalive_ms = PROTO_KEEPALIVE_MS;
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
	s->login = malloc(SESSION_LOGIN_BUF);
	s->rev = event_new(base, fd, EV_READ | EV_PERSIST, session_read_cb, s);
	s->wev = event_new(base, fd, EV_WRITE, session_write_cb, s);
	s->timer = event_new(base, -1, EV_PERSIST, session_tick_cb, s);
	s->flush_ev = event_new(base, -1, 0, session_flush_cb, s);
	s->close_ev = event_new(base, -1, 0, session_finish_cb, s);
	if (s->in == NULL || s->out == NULL || s->tx == NULL ||
	    s->login == NULL || s->rev == NULL || s->wev == NULL ||
	    s->timer == NULL || s->flush_ev == NULL || s->close_ev == NULL ||
	    tlsio_init(&s->tls, tc, s->in, s->out, server_name) != 0) {
		close(fd);
		s->fd = -1;
		session_free(s);
		return NULL;
	}
	struct timeval tick = { SESSION_TICK_MS / 1000,
	    (SESSION_TICK_MS % 1000) * 1000 };
	event_add(s->timer, &tick);
	event_add(s->rev, NULL);
	if (!s->is_server)
		session_input(s); /* the client speaks first */
	return s;
}
