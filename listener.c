/*
 * listener.c: the hub's listening sockets: binding every configured address
 * ("*:PORT" as both families), accepting, and the limits that hold before
 * a connection has logged in (gate.c: in total, per source, per second, a
 * share kept for resumes). When every slot or descriptor is taken, the
 * oldest stale handshake makes room; otherwise accept pauses rather than
 * spin.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/event.h>

#include "clock.h"
#include "conn.h"
#include "log.h"
#include "srv.h"
#include "tcpcc.h"

#define LISTENER_EMFILE_PAUSE_MS    1000u
#define LISTENER_BACKLOG            512
#define LISTENER_ACCEPT_BURST       32u
/* Out of descriptors, a handshake this old gives its back. */
#define LISTENER_EVICT_AGE_MS       1000u

void
listener_gate_conf(const struct srv *srv, const struct hubconf *cfg,
    struct gate_conf *gc)
{
	const struct hubconf_limits *l = &cfg->limits;

	gc->pending = l->pending != 0 ? l->pending :
	    gate_default_pending(srv->phys_bytes, srv->fd_limit);
	gc->reserve = l->resume_reserve != 0 ? l->resume_reserve :
	    gc->pending / 8;
	gc->per_source = l->per_source;
	gc->rate = l->rate;
	gc->burst = l->burst;
	gc->v6_prefix = (uint8_t)l->ipv6_prefix;
}

void
listener_log_refusals(struct srv *srv)
{
	const struct gate_stats *now = &srv->gate.st;
	struct gate_stats *was = &srv->gate_logged;
	uint64_t total = 0, d[GATE_SOURCES + 1];
	char line[256];
	size_t n = 0;

	for (int v = GATE_FULL; v <= GATE_SOURCES; v++)
		total += d[v] = now->refused[v] - was->refused[v];
	if (total == 0)
		return;
	line[0] = '\0';
	for (int v = GATE_FULL; v <= GATE_SOURCES && n < sizeof line; v++)
		if (d[v] > 0)
			n += (size_t)snprintf(line + n, sizeof line - n, "%s%s: "
			    "%llu", n > 0 ? ", " : "",
			    gate_verdict_name((enum gate_verdict)v),
			    (unsigned long long)d[v]);
	log_warn("refused %llu connections before login (%s); %u logging "
	    "in, %u sources", (unsigned long long)total, line,
	    srv->gate.pending, srv->gate.nsrc);
	*was = *now;
}

static void listener_pause(struct srv *srv);

static void
listener_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct listener *ls = arg;
	struct srv *srv = ls->srv;

	/* A bounded burst: under a flood of connections the loop must still
	 * serve everyone else's events between two bursts. */
	for (unsigned burst = 0; burst < LISTENER_ACCEPT_BURST; burst++) {
		struct sockaddr_storage addr;
		socklen_t alen = sizeof addr;
		int fd = accept4(lfd, (struct sockaddr *)&addr, &alen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			/* Out of descriptors: a stale handshake gives its
			 * back, so a resume still gets in. */
			if ((errno == EMFILE || errno == ENFILE) &&
			    login_evict_for(srv, NULL, LISTENER_EVICT_AGE_MS))
				continue;
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				log_warn("accept on %s: %s; pausing accept for "
				    "%u ms", ls->name, strerror(errno),
				    LISTENER_EMFILE_PAUSE_MS);
				listener_pause(srv);
			}
			return;
		}
		struct login *l = login_new(srv, fd, &addr);
		if (l != NULL)
			log_debug("connection from %s on %s", l->c->peer,
			    ls->name);
	}
}

static void
listener_pause(struct srv *srv)
{
	struct timeval tv = { LISTENER_EMFILE_PAUSE_MS / 1000,
	    (LISTENER_EMFILE_PAUSE_MS % 1000) * 1000 };

	for (size_t i = 0; i < srv->nlisteners; i++)
		event_del(srv->listeners[i].ev);
	event_add(srv->accept_again_ev, &tv);
}

static void
listener_again_cb(evutil_socket_t fd, short what, void *arg)
{
	struct srv *srv = arg;

	for (size_t i = 0; i < srv->nlisteners && !srv->stopping; i++)
		event_add(srv->listeners[i].ev, NULL);
}

void
listener_stop(struct srv *srv)
{
	for (size_t i = 0; i < srv->nlisteners; i++)
		event_del(srv->listeners[i].ev);
	if (srv->accept_again_ev != NULL)
		event_del(srv->accept_again_ev);
}

/* "ADDR:PORT", "[V6]:PORT" -> sockaddr. 0 or -1. */
static int
listener_parse(const char *spec, struct sockaddr_storage *sa,
    socklen_t *salen)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon;
	size_t hl;

	memset(sa, 0, sizeof *sa);
	if (spec[0] == '[') {
		const char *rb = strchr(spec, ']');
		if (rb == NULL || rb[1] != ':')
			return -1;
		hl = (size_t)(rb - spec - 1);
		if (hl >= sizeof host)
			return -1;
		memcpy(host, spec + 1, hl);
		colon = rb + 1;
	} else {
		colon = strrchr(spec, ':');
		if (colon == NULL)
			return -1;
		hl = (size_t)(colon - spec);
		if (hl >= sizeof host)
			return -1;
		memcpy(host, spec, hl);
	}
	host[hl] = '\0';
	long port = strtol(colon + 1, NULL, 10);
	if (port <= 0 || port > 65535)
		return -1;
	struct sockaddr_in *a4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)sa;
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*salen = sizeof *a4;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*salen = sizeof *a6;
		return 0;
	}
	return -1;
}

int
listener_bind(const char *spec)
{
	struct sockaddr_storage sa;
	socklen_t salen;
	int one = 1, fd;

	if (listener_parse(spec, &sa, &salen) != 0) {
		log_err("listen: '%s' is not ADDRESS:PORT", spec);
		return -1;
	}
	fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		if (sa.ss_family == AF_INET6 && errno == EAFNOSUPPORT) {
			log_warn("listen %s: IPv6 not available; skipped", spec);
			return -2;
		}
		log_err("listen %s: socket: %s", spec, strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (sa.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&sa, salen) != 0 ||
	    listen(fd, LISTENER_BACKLOG) != 0) {
		int e = errno;
		close(fd);
		if (sa.ss_family == AF_INET6 && e == EADDRNOTAVAIL) {
			log_warn("listen %s: IPv6 not configured; skipped", spec);
			return -2;
		}
		log_err("cannot listen on %s: %s%s", spec, strerror(e),
		    e == EADDRINUSE ? " (is another hub running? change "
		    "'listen' in the config)" : e == EACCES ?
		    " (ports below 1024 need root or CAP_NET_BIND_SERVICE)" :
		    "");
		return -1;
	}
	return fd;
}

static int
listener_open(struct srv *srv, const char *spec)
{
	int fd = listener_bind(spec);

	if (fd == -2)
		return 0;
	if (fd < 0)
		return -1;
	/* Set while the hub may still set any (before it gives up root);
	 * every connection accepted here inherits it. */
	const char *cc = srv->cfg->tcp_congestion;
	char err[384], name[TCPCC_NAME_MAX + 1];
	if (tcpcc_set(fd, cc, err, sizeof err) != 0) {
		log_err("tcp_congestion: %s", err);
		close(fd);
		return -1;
	}
	struct listener *ls = &srv->listeners[srv->nlisteners++];
	ls->srv = srv;
	ls->fd = fd;
	snprintf(ls->name, sizeof ls->name, "%s", spec);
	ls->ev = event_new(srv->base, fd, EV_READ | EV_PERSIST,
	    listener_accept_cb, ls);
	if (ls->ev == NULL) {
		log_err("out of memory listening on %s", spec);
		return -1;
	}
	event_add(ls->ev, NULL);
	log_info("listening on %s (TCP congestion control %s%s)", spec,
	    tcpcc_get(fd, name, sizeof name), tcpcc_is_system(cc) ?
	    ", the host's" : "");
	return 0;
}

int
listener_open_all(struct srv *srv)
{
	const struct hubconf *cfg = srv->cfg;

	/* "*:PORT" expands to two listeners. */
	srv->listeners = calloc(2 * cfg->nlisten, sizeof *srv->listeners);
	srv->accept_again_ev = evtimer_new(srv->base, listener_again_cb, srv);
	if (srv->listeners == NULL || srv->accept_again_ev == NULL) {
		log_err("out of memory starting the hub");
		return -1;
	}
	for (size_t i = 0; i < cfg->nlisten; i++) {
		const char *spec = cfg->listen[i];
		char v4[80], v6[80];
		if (strncmp(spec, "*:", 2) == 0) {
			/* Both families on one port. */
			snprintf(v4, sizeof v4, "0.0.0.0:%s", spec + 2);
			snprintf(v6, sizeof v6, "[::]:%s", spec + 2);
			if (listener_open(srv, v4) != 0 ||
			    listener_open(srv, v6) != 0)
				return -1;
		} else if (listener_open(srv, spec) != 0)
			return -1;
	}
	if (srv->nlisteners == 0) {
		log_err("no address to listen on");
		return -1;
	}
	return 0;
}

void
listener_free_all(struct srv *srv)
{
	for (size_t i = 0; i < srv->nlisteners; i++) {
		if (srv->listeners[i].ev != NULL)
			event_free(srv->listeners[i].ev);
		close(srv->listeners[i].fd);
	}
	if (srv->accept_again_ev != NULL)
		event_free(srv->accept_again_ev);
	free(srv->listeners);
	srv->listeners = NULL;
	srv->accept_again_ev = NULL;
	srv->nlisteners = 0;
}
