/*
 * transport.c: the table of transports and the shared TCP connector (name
 * resolution on a thread of its own so a slow resolver never holds the
 * card's loop, one address after another, connect timeout).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/event.h>

#include "log.h"
#include "tcpcc.h"
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

const char *
transport_names_taking(unsigned what, char *buf, size_t len)
{
	size_t n = sizeof transport_table / sizeof transport_table[0], k = 0;
	size_t total = 0;

	for (size_t i = 0; i < n; i++)
		total += (transport_table[i]->takes & what) == what;
	snprintf(buf, len, "%s", "");
	for (size_t i = 0; i < n; i++) {
		if ((transport_table[i]->takes & what) != what)
			continue;
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
		    k == 0 ? "" : k + 1 == total ? " or " : ", ",
		    transport_table[i]->name);
		k++;
	}
	return buf;
}

/*
 * One name being resolved on its own thread. The thread and the loop share
 * it under mu: whichever of them sees the other done (or gone) frees it.
 */
struct tcp_resolve {
	pthread_mutex_t mu;
	int cancelled;         /* the loop has gone: the thread frees it */
	int finished;          /* the thread has answered: the loop frees it */
	int wfd;               /* the thread's end of the pipe */
	char host[256], port[8];
	struct addrinfo *res;
	int rc;
};

struct transport_tcp {
	struct event_base *base;
	struct tcp_resolve *resolving;
	int rfd;               /* the loop's end of the resolver's pipe */
	struct addrinfo *res, *cur;
	struct event *ev;      /* writable = connect finished; or timeout */
	int fd;
	transport_done_fn *done;
	void *arg;
	char host[256];
	uint16_t port;
	char cc[TCPCC_NAME_MAX + 1]; /* "": the host's */
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
		if (tcpcc_set(c->fd, c->cc[0] ? c->cc : NULL, c->last_err,
		    sizeof c->last_err) != 0) {
			close(c->fd);
			c->fd = -1;
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

static void *
transport_resolve_main(void *arg)
{
	struct tcp_resolve *r = arg;
	struct addrinfo hints, *res = NULL;
	int rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	rc = getaddrinfo(r->host, r->port, &hints, &res);
	pthread_mutex_lock(&r->mu);
	if (r->cancelled) {
		pthread_mutex_unlock(&r->mu);
		if (rc == 0)
			freeaddrinfo(res);
		close(r->wfd);
		pthread_mutex_destroy(&r->mu);
		free(r);
		return NULL;
	}
	r->rc = rc;
	r->res = rc == 0 ? res : NULL;
	r->finished = 1;
	(void)write(r->wfd, "", 1);
	close(r->wfd);
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

/* The loop lets go of a resolution, finished or not. */
static void
transport_resolve_drop(struct tcp_resolve *r)
{
	int finished;

	pthread_mutex_lock(&r->mu);
	finished = r->finished;
	r->cancelled = 1;
	pthread_mutex_unlock(&r->mu);
	if (!finished)
		return;     /* the thread frees it */
	if (r->res != NULL)
		freeaddrinfo(r->res);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

/* The resolver answered: try its addresses. */
static void
transport_tcp_resolved(evutil_socket_t fd, short what, void *arg)
{
	struct transport_tcp *c = arg;
	struct tcp_resolve *r = c->resolving;

	pthread_mutex_lock(&r->mu);
	if (!r->finished) {
		pthread_mutex_unlock(&r->mu);
		return;
	}
	pthread_mutex_unlock(&r->mu);
	if (r->rc != 0)
		snprintf(c->last_err, sizeof c->last_err, "cannot resolve %s: "
		    "%s", c->host, gai_strerror(r->rc));
	c->res = r->res;
	r->res = NULL;
	c->cur = c->res;
	transport_resolve_drop(r);
	c->resolving = NULL;
	event_free(c->ev);
	c->ev = NULL;
	close(c->rfd);
	c->rfd = -1;
	transport_tcp_next(c);
}

/* A name to look up off the loop: a thread, and a pipe it answers on. */
static int
transport_resolve_start(struct transport_tcp *c, const char *port)
{
	struct tcp_resolve *r = calloc(1, sizeof *r);
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t t;
	int p[2], rc;

	if (r == NULL || pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) {
		free(r);
		return -1;
	}
	pthread_mutex_init(&r->mu, NULL);
	r->wfd = p[1];
	snprintf(r->host, sizeof r->host, "%s", c->host);
	snprintf(r->port, sizeof r->port, "%s", port);
	c->rfd = p[0];
	c->ev = event_new(c->base, c->rfd, EV_READ | EV_PERSIST,
	    transport_tcp_resolved, c);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* Signals are the loop's. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = c->ev == NULL || event_add(c->ev, NULL) != 0 ? -1 :
	    pthread_create(&t, &attr, transport_resolve_main, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		close(p[1]);
		pthread_mutex_destroy(&r->mu);
		free(r);
		return -1;
	}
	c->resolving = r;
	return 0;
}

struct transport_tcp *
transport_tcp_connect(struct event_base *base, const char *host,
    uint16_t port, const char *cc, transport_done_fn *done, void *arg)
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
	c->rfd = -1;
	snprintf(c->host, sizeof c->host, "%s", host);
	if (!tcpcc_is_system(cc))
		snprintf(c->cc, sizeof c->cc, "%s", cc);
	snprintf(portstr, sizeof portstr, "%u", port);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST;
	/* An address needs no resolver; a name goes to a thread. */
	rc = getaddrinfo(host, portstr, &hints, &c->res);
	if (rc == EAI_NONAME) {
		c->res = NULL;
		if (transport_resolve_start(c, portstr) == 0)
			return c;
		snprintf(c->last_err, sizeof c->last_err, "cannot resolve %s: "
		    "no resolver thread", host);
		if (c->ev != NULL)
			event_free(c->ev);
		c->ev = NULL;
		if (c->rfd >= 0)
			close(c->rfd);
		c->rfd = -1;
	} else if (rc != 0) {
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
	if (c->resolving != NULL)
		transport_resolve_drop(c->resolving);
	if (c->rfd >= 0)
		close(c->rfd);
	if (c->fd >= 0)
		close(c->fd);
	if (c->res != NULL)
		freeaddrinfo(c->res);
	free(c);
}
