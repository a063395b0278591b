/*
 * proxy.c: the handshake driver the proxy transports share: TCP to the
 * proxy, requests out, replies in without reading past them, one deadline.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/event.h>
#include <sodium.h>

#include "transport/proxy.h"

unsigned proxy_timeout_ms = PROXY_TIMEOUT_MS;

#define PROXY_HOSTPORT_MAX 272u /* 255-byte name, brackets, ":65535" */

struct proxy_conn {
	struct event_base *base;
	const struct proxy_proto *p;
	struct transport_tcp *tcp;     /* until the proxy accepts */
	struct event *rd, *wr, *timer;
	int fd;
	size_t sent;
	size_t have;                   /* bytes of this reply consumed */
	transport_done_fn *done;
	void *arg;
	/* Own copies: the caller's strings need not outlive connect(). */
	struct transport_target t;
	char *host, *proxy_host, *user, *password;
	char where[PROXY_HOSTPORT_MAX];
	char hub[PROXY_HOSTPORT_MAX];
	struct proxy_step s;
	uint8_t in[PROXY_IN_MAX];
};

void
proxy_hostport(char *out, size_t cap, const char *host, uint16_t port)
{
	if (strchr(host, ':') != NULL)
		snprintf(out, cap, "[%s]:%u", host, port);
	else
		snprintf(out, cap, "%s:%u", host, port);
}

const char *
proxy_check(const struct transport_target *t)
{
	if (t->proxy_host == NULL)
		return "needs --proxy HOST:PORT";
	if (t->ssh_dest != NULL)
		return "--ssh goes with --via ssh";
	if (t->proxy_password != NULL && t->proxy_user == NULL)
		return "--proxy-password-file goes with --proxy-user";
	return NULL;
}

static void
proxy_free_secret(char *s)
{
	if (s != NULL) {
		sodium_memzero(s, strlen(s));
		free(s);
	}
}

static void
proxy_free(struct proxy_conn *c)
{
	transport_tcp_cancel(c->tcp);
	if (c->rd != NULL)
		event_free(c->rd);
	if (c->wr != NULL)
		event_free(c->wr);
	if (c->timer != NULL)
		event_free(c->timer);
	if (c->fd >= 0)
		close(c->fd);
	free(c->host);
	free(c->proxy_host);
	proxy_free_secret(c->user);
	proxy_free_secret(c->password);
	/* Requests may have carried credentials. */
	sodium_memzero(c, sizeof *c);
	free(c);
}

void
proxy_cancel(struct transport_conn *tc)
{
	if (tc != NULL)
		proxy_free((struct proxy_conn *)tc);
}

/* The end, one way or the other: c is gone before done runs, so done may
 * start over at once. */
static void
proxy_end(struct proxy_conn *c, int ok, const char *err)
{
	transport_done_fn *done = c->done;
	void *arg = c->arg;
	char why[PROXY_ERR_MAX];
	int fd = -1;

	if (ok) {
		fd = c->fd;
		c->fd = -1;
	} else
		snprintf(why, sizeof why, "%s", err);
	proxy_free(c);
	done(arg, fd, ok ? NULL : why);
}

static void
proxy_fail_errno(struct proxy_conn *c, const char *what)
{
	char err[PROXY_ERR_MAX];

	snprintf(err, sizeof err, "proxy %s: %s: %s", c->where, what,
	    strerror(errno));
	proxy_end(c, 0, err);
}

/* After a reply: the protocol is done, or has its next request ready. */
static void
proxy_advance(struct proxy_conn *c)
{
	if (c->s.finished) {
		proxy_end(c, 1, NULL);
		return;
	}
	if (c->s.out_len == 0 || c->s.out_len > sizeof c->s.out) {
		char err[PROXY_ERR_MAX];
		snprintf(err, sizeof err, "proxy %s: handshake stalled",
		    c->where);
		proxy_end(c, 0, err);
		return;
	}
	c->sent = 0;
	event_del(c->rd);
	if (event_add(c->wr, NULL) != 0)
		proxy_fail_errno(c, "event_add");
}

static void
proxy_writable(evutil_socket_t fd, short what, void *arg)
{
	struct proxy_conn *c = arg;
	ssize_t n;

	n = send(c->fd, c->s.out + c->sent, c->s.out_len - c->sent,
	    MSG_NOSIGNAL);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		proxy_fail_errno(c, "send");
		return;
	}
	c->sent += (size_t)n;
	if (c->sent < c->s.out_len)
		return;
	sodium_memzero(c->s.out, c->s.out_len);
	c->s.out_len = 0;
	c->have = 0;
	event_del(c->wr);
	if (event_add(c->rd, NULL) != 0)
		proxy_fail_errno(c, "event_add");
}

/* Take k bytes that a peek has already shown to be there. */
static int
proxy_consume(struct proxy_conn *c, size_t k)
{
	ssize_t n;

	if (k == 0)
		return 0;
	do
		n = recv(c->fd, c->in + c->have, k, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0 || (size_t)n != k)
		return -1;
	c->have += k;
	return 0;
}

/*
 * Peek at what has arrived, let the protocol judge the reply so far, and
 * take off the socket only the reply's own bytes: whatever follows it is
 * the tunnel's. NEED_MORE means every peeked byte belongs to the reply, so
 * taking them all keeps the socket from staying readable for nothing.
 */
static void
proxy_readable(evutil_socket_t fd, short what, void *arg)
{
	struct proxy_conn *c = arg;
	char err[PROXY_ERR_MAX];
	enum proto_result rc;
	size_t used = 0, avail;
	ssize_t n;

	n = recv(c->fd, c->in + c->have, sizeof c->in - c->have, MSG_PEEK);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		proxy_fail_errno(c, "recv");
		return;
	}
	if (n == 0) {
		snprintf(err, sizeof err, "proxy %s closed the connection %s",
		    c->where, c->have ? "in the middle of its reply" :
		    "without replying");
		proxy_end(c, 0, err);
		return;
	}
	avail = c->have + (size_t)n;
	rc = c->p->reply(&c->s, c->in, avail, &used);
	switch (rc) {
	case PROTO_NEED_MORE:
		if (proxy_consume(c, (size_t)n) != 0) {
			proxy_fail_errno(c, "recv");
			return;
		}
		if (c->have == sizeof c->in) {
			snprintf(err, sizeof err, "proxy %s: reply longer than "
			    "%u bytes", c->where, PROXY_IN_MAX);
			proxy_end(c, 0, err);
		}
		return;
	case PROTO_OK:
		if (used < c->have || used > avail) {
			snprintf(err, sizeof err, "proxy %s: reply length out "
			    "of range", c->where);
			proxy_end(c, 0, err);
			return;
		}
		if (proxy_consume(c, used - c->have) != 0) {
			proxy_fail_errno(c, "recv");
			return;
		}
		c->have = 0;
		proxy_advance(c);
		return;
	case PROTO_BAD:
	default:
		proxy_end(c, 0, c->s.err);
		return;
	}
}

static void
proxy_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct proxy_conn *c = arg;
	char err[PROXY_ERR_MAX];

	if (proxy_timeout_ms % 1000 == 0)
		snprintf(err, sizeof err, "proxy %s did not answer within "
		    "%u s", c->where, proxy_timeout_ms / 1000);
	else
		snprintf(err, sizeof err, "proxy %s did not answer within "
		    "%u ms", c->where, proxy_timeout_ms);
	proxy_end(c, 0, err);
}

static void
proxy_tcp_done(void *arg, int fd, const char *tcp_err)
{
	struct proxy_conn *c = arg;
	struct timeval tv = { proxy_timeout_ms / 1000,
	    (proxy_timeout_ms % 1000) * 1000 };
	char err[PROXY_ERR_MAX];

	c->tcp = NULL;  /* it freed itself */
	if (fd < 0) {
		snprintf(err, sizeof err, "proxy unreachable: %s", tcp_err);
		proxy_end(c, 0, err);
		return;
	}
	c->fd = fd;
	c->rd = event_new(c->base, fd, EV_READ | EV_PERSIST, proxy_readable,
	    c);
	c->wr = event_new(c->base, fd, EV_WRITE | EV_PERSIST, proxy_writable,
	    c);
	c->timer = evtimer_new(c->base, proxy_timeout, c);
	if (c->rd == NULL || c->wr == NULL || c->timer == NULL ||
	    evtimer_add(c->timer, &tv) != 0) {
		snprintf(err, sizeof err, "proxy %s: out of memory", c->where);
		proxy_end(c, 0, err);
		return;
	}
	if (c->p->begin(&c->s) != 0) {
		proxy_end(c, 0, c->s.err);
		return;
	}
	proxy_advance(c);
}

static int
proxy_dup(char **dst, const char *src)
{
	if (src == NULL)
		return 0;
	*dst = strdup(src);
	return *dst == NULL ? -1 : 0;
}

struct transport_conn *
proxy_connect(struct event_base *base, const struct transport_target *t,
    const struct proxy_proto *p, transport_done_fn *done, void *arg)
{
	struct proxy_conn *c;

	if (t->host == NULL || t->proxy_host == NULL)
		return NULL;
	if ((c = calloc(1, sizeof *c)) == NULL)
		return NULL;
	c->base = base;
	c->p = p;
	c->fd = -1;
	c->done = done;
	c->arg = arg;
	if (proxy_dup(&c->host, t->host) != 0 ||
	    proxy_dup(&c->proxy_host, t->proxy_host) != 0 ||
	    proxy_dup(&c->user, t->proxy_user) != 0 ||
	    proxy_dup(&c->password, t->proxy_password) != 0) {
		proxy_free(c);
		return NULL;
	}
	c->t.host = c->host;
	c->t.port = t->port;
	c->t.proxy_host = c->proxy_host;
	c->t.proxy_port = t->proxy_port;
	c->t.proxy_user = c->user;
	c->t.proxy_password = c->password;
	proxy_hostport(c->where, sizeof c->where, c->proxy_host,
	    c->t.proxy_port);
	proxy_hostport(c->hub, sizeof c->hub, c->host, c->t.port);
	c->s.t = &c->t;
	c->s.where = c->where;
	c->s.hub = c->hub;
	/* The connector defers its start, so done never runs in here. */
	c->tcp = transport_tcp_connect(base, c->proxy_host, c->t.proxy_port,
	    t->tcp_congestion, proxy_tcp_done, c);
	if (c->tcp == NULL) {
		proxy_free(c);
		return NULL;
	}
	return (struct transport_conn *)c;
}
