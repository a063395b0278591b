/*
 * transport.c: the table of transports and the shared TCP connector (name
 * resolution, one address after another, connect timeout).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/event.h>

#include "log.h"
#include "transport/transport.h"

static const struct transport_ops *const transport_table[] = {
	&transport_direct,
	&transport_http_proxy,
	&transport_socks4,
	&transport_socks5,
	&transport_ssh,
};

const struct transport_ops *
transport_find(const char *name)
{
	for (size_t i = 0; i < sizeof transport_table /
	    sizeof transport_table[0]; i++)
		if (strcmp(transport_table[i]->name, name) == 0)
			return transport_table[i];
	return NULL;
}

const char *
transport_names(void)
{
	static char names[256];

	if (names[0] == '\0')
		for (size_t i = 0; i < sizeof transport_table /
		    sizeof transport_table[0]; i++)
			snprintf(names + strlen(names),
			    sizeof names - strlen(names), "%s%s",
			    i ? ", " : "", transport_table[i]->name);
	return names;
}

struct transport_tcp {
	struct event_base *base;
	struct addrinfo *res, *cur;
	struct event *ev;      /* writable = connect finished; or timeout */
	int fd;
	transport_done_fn *done;
	void *arg;
	char host[256];
	uint16_t port;
	char last_err[512];
};

static void transport_tcp_next(struct transport_tcp *c);

static void
transport_tcp_end(struct transport_tcp *c, int fd, const char *err)
{
	transport_done_fn *done = c->done;
	void *arg = c->arg;
	char why[sizeof c->last_err];

	/* err may be c->last_err, which goes with c. */
	if (err != NULL)
		snprintf(why, sizeof why, "%s", err);
	c->fd = -1;
	transport_tcp_cancel(c);
	done(arg, fd, err != NULL ? why : NULL);
}

static void
transport_tcp_event(evutil_socket_t fd, short what, void *arg)
{
	struct transport_tcp *c = arg;
	int soerr = 0;
	socklen_t len = sizeof soerr;

	if (what & EV_TIMEOUT)
		soerr = ETIMEDOUT;
	else if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
		soerr = errno;
	if (soerr == 0) {
		transport_tcp_end(c, c->fd, NULL);
		return;
	}
	snprintf(c->last_err, sizeof c->last_err, "connect to %s port %u: %s",
	    c->host, c->port, strerror(soerr));
	close(c->fd);
	c->fd = -1;
	c->cur = c->cur->ai_next;
	transport_tcp_next(c);
}

static void
transport_tcp_next(struct transport_tcp *c)
{
	struct timeval tv = { TRANSPORT_CONNECT_TIMEOUT_MS / 1000,
	    (TRANSPORT_CONNECT_TIMEOUT_MS % 1000) * 1000 };

	if (c->ev != NULL)
		event_free(c->ev);
	c->ev = NULL;
	for (; c->cur != NULL; c->cur = c->cur->ai_next) {
		struct addrinfo *ai = c->cur;
		c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (c->fd < 0) {
			snprintf(c->last_err, sizeof c->last_err, "socket: %s",
			    strerror(errno));
			continue;
		}
		if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    errno == EINPROGRESS) {
			c->ev = event_new(c->base, c->fd, EV_WRITE,
			    transport_tcp_event, c);
			if (c->ev != NULL && event_add(c->ev, &tv) == 0)
				return;
		}
		snprintf(c->last_err, sizeof c->last_err,
		    "connect to %s port %u: %s", c->host, c->port,
		    strerror(errno));
		close(c->fd);
		c->fd = -1;
	}
	transport_tcp_end(c, -1, c->last_err);
}

/* Deferred start, so done() never runs inside transport_tcp_connect(). */
static void
transport_tcp_start(evutil_socket_t fd, short what, void *arg)
{
	transport_tcp_next(arg);
}

struct transport_tcp *
transport_tcp_connect(struct event_base *base, const char *host,
    uint16_t port, transport_done_fn *done, void *arg)
{
	struct transport_tcp *c = calloc(1, sizeof *c);
	struct addrinfo hints;
	char portstr[8];
	int rc;

	if (c == NULL)
		return NULL;
	c->base = base;
	c->fd = -1;
	c->done = done;
	c->arg = arg;
	c->port = port;
	snprintf(c->host, sizeof c->host, "%s", host);
	snprintf(portstr, sizeof portstr, "%u", port);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	/* Resolution blocks the loop briefly; the client has nothing else to
	 * serve while it is not connected. */
	rc = getaddrinfo(host, portstr, &hints, &c->res);
	if (rc != 0) {
		snprintf(c->last_err, sizeof c->last_err, "cannot resolve %s: %s",
		    host, gai_strerror(rc));
		c->res = NULL;
	}
	c->cur = c->res;
	c->ev = event_new(base, -1, 0, transport_tcp_start, c);
	if (c->ev == NULL) {
		transport_tcp_cancel(c);
		return NULL;
	}
	event_active(c->ev, 0, 0);
	return c;
}

void
transport_tcp_cancel(struct transport_tcp *c)
{
	if (c == NULL)
		return;
	if (c->ev != NULL)
		event_free(c->ev);
	if (c->fd >= 0)
		close(c->fd);
	if (c->res != NULL)
		freeaddrinfo(c->res);
	free(c);
}
