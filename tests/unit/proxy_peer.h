/*
 * proxy_peer.h: a scripted fake proxy on a 127.0.0.1 listener for the proxy
 * transport tests, and the event loop that runs one transport against it.
 */
#ifndef SOFTETHER_TEST_PROXY_PEER_H
#define SOFTETHER_TEST_PROXY_PEER_H

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "transport/proxy.h"

#define PEER_MAX         4096u
#define PEER_HTTP        ((size_t)-1) /* read through a blank line */
#define PEER_MAX_STEPS   4u
#define PEER_TRICKLE_US  1000
#define PEER_SHORT_MS    200u         /* the shortened handshake deadline */
#define PEER_LOOP_LIMIT  5            /* seconds before a test counts as hung */
#define PEER_HUB_HOST    "hub.example"
#define PEER_HUB_PORT    7777u
#define PEER_POLL_MS     2000
#define PEER_POLL_STEP_MS 5

/* One exchange: read a request, answer it. */
struct peer_step {
	size_t expect;                  /* request bytes, or PEER_HTTP */
	const void *reply;
	size_t reply_len;
};

enum peer_after { PEER_KEEP, PEER_CLOSE };

struct peer {
	struct event_base *base;
	int lfd, fd;
	uint16_t port;
	struct event *accept_ev, *read_ev, *trickle_ev;
	struct peer_step steps[PEER_MAX_STEPS];
	size_t nsteps, cur;
	enum peer_after after;          /* once the last reply is out */
	int trickle;                    /* replies one byte at a time */
	size_t sent;
	uint8_t got[PEER_MAX];          /* every request byte, in order */
	size_t got_len, step_start;
};

struct peer_result {
	int called;
	int fd;
	int in_connect;
	int called_in_connect;
	char err[PROXY_ERR_MAX];
};

static void peer_next(struct peer *p);

static void
peer_send(struct peer *p)
{
	const struct peer_step *st = &p->steps[p->cur];
	size_t n = st->reply_len - p->sent;
	ssize_t w;

	if (p->trickle && n > 1)
		n = 1;
	w = write(p->fd, (const uint8_t *)st->reply + p->sent, n);
	assert_true(w >= 0);
	p->sent += (size_t)w;
	if (p->sent < st->reply_len) {
		struct timeval tv = { 0, PEER_TRICKLE_US };
		evtimer_add(p->trickle_ev, &tv);
		return;
	}
	p->cur++;
	p->sent = 0;
	p->step_start = p->got_len;
	peer_next(p);
}

static void
peer_trickle_cb(evutil_socket_t fd, short what, void *arg)
{
	peer_send(arg);
}

static int
peer_step_complete(const struct peer *p)
{
	const struct peer_step *st = &p->steps[p->cur];
	const uint8_t *r = p->got + p->step_start;
	size_t n = p->got_len - p->step_start;

	if (st->expect != PEER_HTTP)
		return n >= st->expect;
	for (size_t i = 4; i <= n; i++)
		if (memcmp(r + i - 4, "\r\n\r\n", 4) == 0)
			return 1;
	return 0;
}

/* The script has run out: hold the line, or hang up. */
static void
peer_next(struct peer *p)
{
	if (p->cur < p->nsteps) {
		if (peer_step_complete(p))
			peer_send(p);
		return;
	}
	if (p->after == PEER_CLOSE && p->fd >= 0) {
		event_del(p->read_ev);
		close(p->fd);
		p->fd = -1;
	}
}

static void
peer_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct peer *p = arg;
	ssize_t n;

	n = read(p->fd, p->got + p->got_len, sizeof p->got - p->got_len);
	if (n <= 0) {
		event_del(p->read_ev);
		return;
	}
	p->got_len += (size_t)n;
	if (p->sent == 0)
		peer_next(p);
}

static void
peer_accept_cb(evutil_socket_t fd, short what, void *arg)
{
	struct peer *p = arg;
	int one = 1;

	p->fd = accept4(p->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	assert_true(p->fd >= 0);
	/* Each trickled byte its own segment, without waiting for ACKs. */
	setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	event_del(p->accept_ev);
	p->read_ev = event_new(p->base, p->fd, EV_READ | EV_PERSIST,
	    peer_read_cb, p);
	assert_non_null(p->read_ev);
	event_add(p->read_ev, NULL);
}

static void
peer_init(struct peer *p, struct event_base *base)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;

	memset(p, 0, sizeof *p);
	p->base = base;
	p->fd = -1;
	p->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(p->lfd >= 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(p->lfd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(listen(p->lfd, 4), 0);
	assert_int_equal(getsockname(p->lfd, (struct sockaddr *)&sin, &len), 0);
	p->port = ntohs(sin.sin_port);
	p->accept_ev = event_new(base, p->lfd, EV_READ, peer_accept_cb, p);
	p->trickle_ev = evtimer_new(base, peer_trickle_cb, p);
	assert_non_null(p->accept_ev);
	assert_non_null(p->trickle_ev);
	event_add(p->accept_ev, NULL);
}

static void
peer_add(struct peer *p, size_t expect, const void *reply, size_t reply_len)
{
	assert_true(p->nsteps < PEER_MAX_STEPS);
	p->steps[p->nsteps].expect = expect;
	p->steps[p->nsteps].reply = reply;
	p->steps[p->nsteps].reply_len = reply_len;
	p->nsteps++;
}

static void
peer_free(struct peer *p)
{
	if (p->read_ev != NULL)
		event_free(p->read_ev);
	event_free(p->accept_ev);
	event_free(p->trickle_ev);
	if (p->fd >= 0)
		close(p->fd);
	close(p->lfd);
}

static void
peer_done(void *arg, int fd, const char *err)
{
	struct peer_result *r = arg;

	r->called++;
	r->called_in_connect |= r->in_connect;
	r->fd = fd;
	if (err != NULL)
		snprintf(r->err, sizeof r->err, "%s", err);
	else
		r->err[0] = '\0';
}

static void
peer_target(struct transport_target *t, const struct peer *p)
{
	memset(t, 0, sizeof *t);
	t->host = PEER_HUB_HOST;
	t->port = PEER_HUB_PORT;
	t->proxy_host = "127.0.0.1";
	t->proxy_port = p->port;
}

static void
peer_limit_cb(evutil_socket_t fd, short what, void *arg)
{
	*(int *)arg = 1;
}

/* Run ops against the peer until done, or PEER_LOOP_LIMIT seconds. */
static void
peer_run(struct event_base *base, const struct transport_ops *ops,
    const struct transport_target *t, struct peer_result *r)
{
	struct timeval limit = { PEER_LOOP_LIMIT, 0 };
	struct transport_conn *c;
	struct event *limit_ev;
	int hung = 0;

	memset(r, 0, sizeof *r);
	r->fd = -1;
	assert_null(ops->check(t));
	limit_ev = evtimer_new(base, peer_limit_cb, &hung);
	assert_non_null(limit_ev);
	evtimer_add(limit_ev, &limit);
	r->in_connect = 1;
	c = ops->connect(base, t, peer_done, r);
	r->in_connect = 0;
	assert_non_null(c);
	while (r->called == 0 && !hung)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(limit_ev);
	if (r->called == 0) {
		ops->cancel(c);
		fail_msg("%s: no answer within %d s", ops->name,
		    PEER_LOOP_LIMIT);
	}
	assert_int_equal(r->called, 1);
	assert_false(r->called_in_connect);
}

/* Bytes that must arrive on fd, exactly; the loop keeps turning for a
 * peer still trickling them. */
static void
peer_expect_tunnel(struct event_base *base, int fd, const void *want,
    size_t len)
{
	uint8_t buf[PEER_MAX];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t have = 0;
	int waited = 0;

	while (have < len) {
		ssize_t n;
		event_base_loop(base, EVLOOP_NONBLOCK);
		if (poll(&pfd, 1, PEER_POLL_STEP_MS) == 0) {
			waited += PEER_POLL_STEP_MS;
			assert_true(waited < PEER_POLL_MS);
			continue;
		}
		n = recv(fd, buf + have, sizeof buf - have, 0);
		assert_true(n > 0);
		have += (size_t)n;
	}
	assert_int_equal(have, len);
	assert_memory_equal(buf, want, len);
}

/* A connection to it is refused: nothing listens there any more. */
static uint16_t
peer_dead_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

#endif
