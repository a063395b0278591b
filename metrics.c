/*
 * metrics.c: the hub's Prometheus endpoint. metrics.listen is bound before
 * the hub gives up root and served by evhttp on the hub's loop: GET or
 * HEAD /metrics answers a snapshot of the hub rendered (a pure function)
 * in the text exposition format; a reload rebinds a changed address.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "dhcpport.h"
#include "log.h"
#include "metrics.h"
#include "srv.h"

#define METRICS_SPEC_MAX   80   /* "[v6 address]:port", as listener.c */
#define METRICS_MAX_SOCKS  2    /* "*:PORT" is both families */

/* The sockets one metrics.listen is served on. */
struct metrics_socks {
	struct evhttp_bound_socket *b[METRICS_MAX_SOCKS];
	size_t n;
	char spec[METRICS_SPEC_MAX];   /* as configured; "" when closed */
};

struct metrics {
	struct srv *srv;
	struct evhttp *http;
	struct metrics_socks socks;
};

/* ---- Rendering: snapshot in, exposition text out ----------------------- */

void
metrics_label_value(struct evbuffer *out, const char *v)
{
	const char *run = v;

	for (; *v != '\0'; v++) {
		const char *esc = *v == '\\' ? "\\\\" : *v == '"' ? "\\\"" :
		    *v == '\n' ? "\\n" : NULL;
		if (esc == NULL)
			continue;
		evbuffer_add(out, run, (size_t)(v - run));
		evbuffer_add(out, esc, 2);
		run = v + 1;
	}
	evbuffer_add(out, run, (size_t)(v - run));
}

/* # HELP and # TYPE of one family (help text has no backslash or newline:
 * it is ours). */
static void
metrics_family(struct evbuffer *out, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(out, "# HELP softether_%s %s\n# TYPE softether_%s "
	    "%s\n", name, help, name, type);
}

/* softether_NAME{hub="H"[,key="val"]} v */
static void
metrics_hub_sample(struct evbuffer *out, const char *name,
    const struct metrics_hub *h, const char *key, const char *val,
    uint64_t v)
{
	evbuffer_add_printf(out, "softether_%s{hub=\"", name);
	metrics_label_value(out, h->name);
	if (key != NULL) {
		evbuffer_add_printf(out, "\",%s=\"", key);
		metrics_label_value(out, val);
	}
	evbuffer_add_printf(out, "\"} %" PRIu64 "\n", v);
}

/* A family with one sample per hub. */
#define METRICS_PER_HUB(out, s, name, type, help, field) do {		\
	metrics_family(out, name, type, help);				\
	for (size_t i_ = 0; i_ < (s)->nhubs; i_++)			\
		metrics_hub_sample(out, name, &(s)->hubs[i_], NULL,	\
		    NULL, (uint64_t)(s)->hubs[i_].field);		\
} while (0)

/* A family with two samples per hub, one per value of key. */
static void
metrics_per_hub2(struct evbuffer *out, const struct metrics_snap *s,
    const char *name, const char *type, const char *help, const char *key,
    const char *v1, size_t off1, const char *v2, size_t off2)
{
	metrics_family(out, name, type, help);
	for (size_t i = 0; i < s->nhubs; i++) {
		const struct metrics_hub *h = &s->hubs[i];
		const char *p = (const char *)h;
		uint64_t a, b;
		memcpy(&a, p + off1, sizeof a);
		memcpy(&b, p + off2, sizeof b);
		metrics_hub_sample(out, name, h, key, v1, a);
		metrics_hub_sample(out, name, h, key, v2, b);
	}
}

/* The DHCP services' families; samples only of hubs that serve DHCP. */
static void
metrics_dhcp(struct evbuffer *out, const struct metrics_snap *s)
{
	static const uint8_t rx[] = { DHCP_DISCOVER, DHCP_REQUEST,
	    DHCP_DECLINE, DHCP_RELEASE, DHCP_INFORM };
	static const uint8_t tx[] = { DHCP_OFFER, DHCP_ACK, DHCP_NAK };
	size_t i, k;

	metrics_family(out, "dhcp_leases", "gauge", "Addresses the virtual "
	    "hub's DHCP service has leased now.");
	for (i = 0; i < s->nhubs; i++)
		if (s->hubs[i].dhcp)
			metrics_hub_sample(out, "dhcp_leases", &s->hubs[i],
			    NULL, NULL, s->hubs[i].dhcp_leases);
	metrics_family(out, "dhcp_received_total", "counter", "DHCP messages "
	    "from clients the virtual hub's DHCP service took, by type.");
	for (i = 0; i < s->nhubs; i++)
		for (k = 0; s->hubs[i].dhcp && k < sizeof rx; k++)
			metrics_hub_sample(out, "dhcp_received_total",
			    &s->hubs[i], "type", dhcp_type_name(rx[k]),
			    s->hubs[i].dhcp_st.rx[rx[k]]);
	metrics_family(out, "dhcp_sent_total", "counter", "DHCP answers the "
	    "virtual hub's DHCP service sent, by type.");
	for (i = 0; i < s->nhubs; i++)
		for (k = 0; s->hubs[i].dhcp && k < sizeof tx; k++)
			metrics_hub_sample(out, "dhcp_sent_total", &s->hubs[i],
			    "type", dhcp_type_name(tx[k]),
			    s->hubs[i].dhcp_st.tx[tx[k]]);
	metrics_family(out, "dhcp_malformed_total", "counter", "Messages to "
	    "the virtual hub's DHCP service dropped as malformed, by reason.");
	for (i = 0; i < s->nhubs; i++)
		for (k = 0; s->hubs[i].dhcp && k < DHCP_E_NREASONS; k++)
			if (dhcp_err_malformed((enum dhcp_err)k))
				metrics_hub_sample(out, "dhcp_malformed_total",
				    &s->hubs[i], "reason",
				    dhcp_err_name((enum dhcp_err)k),
				    s->hubs[i].dhcp_st.malformed[k]);
	metrics_family(out, "dhcp_unanswered_total", "counter", "Client "
	    "messages the virtual hub's DHCP service left unanswered, by "
	    "reason (pool-empty, max-ip: the user holds its max_ip already).");
	for (i = 0; i < s->nhubs; i++) {
		const struct metrics_hub *h = &s->hubs[i];
		if (!h->dhcp)
			continue;
		/* Not DHCP after all: nothing to answer. */
		for (k = DHCPSRV_IGN_NOT_DHCP + 1; k < DHCPSRV_IGN_NREASONS;
		    k++)
			metrics_hub_sample(out, "dhcp_unanswered_total", h,
			    "reason",
			    dhcpsrv_ignore_name((enum dhcpsrv_ignore)k),
			    h->dhcp_st.ignored[k]);
		metrics_hub_sample(out, "dhcp_unanswered_total", h, "reason",
		    "pool-empty", h->dhcp_st.pool_empty);
		metrics_hub_sample(out, "dhcp_unanswered_total", h, "reason",
		    "max-ip", h->dhcp_st.user_cap);
		metrics_hub_sample(out, "dhcp_unanswered_total", h, "reason",
		    "queue-full", h->dhcp_queue_drops);
	}
	metrics_family(out, "dhcp_conflicts_total", "counter", "Addresses the "
	    "virtual hub's DHCP service found in use before offering them, or "
	    "that a client declined.");
	for (i = 0; i < s->nhubs; i++)
		if (s->hubs[i].dhcp)
			metrics_hub_sample(out, "dhcp_conflicts_total",
			    &s->hubs[i], NULL, NULL,
			    s->hubs[i].dhcp_st.conflicts +
			    s->hubs[i].dhcp_st.declined);
}

void
metrics_render(struct evbuffer *out, const struct metrics_snap *s)
{
	metrics_family(out, "build_info", "gauge", "The hub's version (the "
	    "value is always 1).");
	evbuffer_add_printf(out, "softether_build_info{version=\"");
	metrics_label_value(out, s->version != NULL ? s->version : "");
	evbuffer_add_printf(out, "\"} 1\n");
	metrics_family(out, "start_time_seconds", "gauge", "When the hub "
	    "started, in seconds since the Unix epoch.");
	evbuffer_add_printf(out, "softether_start_time_seconds %.3f\n",
	    s->start_time_s);
	metrics_family(out, "session_queue_bytes", "gauge", "Memory all "
	    "sessions' queues hold (limits.queue_memory).");
	evbuffer_add_printf(out, "softether_session_queue_bytes %" PRIu64 "\n",
	    s->queue_used);
	metrics_family(out, "session_queue_limit_bytes", "gauge", "What all "
	    "sessions' queues may hold together.");
	evbuffer_add_printf(out, "softether_session_queue_limit_bytes %" PRIu64
	    "\n", s->queue_limit);
	metrics_family(out, "session_queues_shed_total", "counter", "Cut "
	    "sessions whose queues were given up to the memory limit.");
	evbuffer_add_printf(out, "softether_session_queues_shed_total %"
	    PRIu64 "\n", s->queues_shed);
	metrics_family(out, "tls_resumed_total", "counter", "TLS handshakes "
	    "resumed from a session ticket (no public-key operation).");
	evbuffer_add_printf(out, "softether_tls_resumed_total %" PRIu64 "\n",
	    s->tls_resumed);

	METRICS_PER_HUB(out, s, "hub_online", "gauge", "1 if the virtual hub "
	    "admits new sessions, 0 if it is offline.", online);
	metrics_family(out, "sessions", "gauge", "Sessions on the virtual hub: "
	    "up (connected) or cut (kept for a resume).");
	for (size_t i = 0; i < s->nhubs; i++) {
		metrics_hub_sample(out, "sessions", &s->hubs[i], "state", "up",
		    s->hubs[i].sessions_up);
		metrics_hub_sample(out, "sessions", &s->hubs[i], "state", "cut",
		    s->hubs[i].sessions_cut);
	}
	METRICS_PER_HUB(out, s, "sessions_ended_total", "counter", "Sessions "
	    "of the virtual hub that have ended.", sessions_ended);
	metrics_per_hub2(out, s, "frames_total", "counter", "Frames the "
	    "virtual hub's sessions carried: in from the cards, out to them.",
	    "direction", "in", offsetof(struct metrics_hub, in_frames), "out",
	    offsetof(struct metrics_hub, out_frames));
	metrics_per_hub2(out, s, "bytes_total", "counter", "Bytes of the "
	    "frames the virtual hub's sessions carried, by direction.",
	    "direction", "in", offsetof(struct metrics_hub, in_bytes), "out",
	    offsetof(struct metrics_hub, out_bytes));
	metrics_family(out, "drops_total", "counter", "Frames the virtual "
	    "hub's switch dropped or held back, by reason.");
	for (size_t i = 0; i < s->nhubs; i++)
		for (int r = 0; r < SW_DROP_NREASONS; r++)
			metrics_hub_sample(out, "drops_total", &s->hubs[i],
			    "reason", sw_drop_name((enum sw_drop_reason)r),
			    s->hubs[i].drops[r]);
	METRICS_PER_HUB(out, s, "resumes_total", "counter", "Sessions of the "
	    "virtual hub resumed on a new connection.", resumes);
	metrics_per_hub2(out, s, "logins_total", "counter", "Logins to the "
	    "virtual hub: ok (a session started) or failed (refused: wrong "
	    "user, password or key, throttled, policy, offline, full).",
	    "result",
	    "ok", offsetof(struct metrics_hub, logins_ok), "failed",
	    offsetof(struct metrics_hub, logins_failed));
	METRICS_PER_HUB(out, s, "logins_by_ticket_total", "counter", "Of the "
	    "logins that started a session, those admitted by a re-login "
	    "ticket (no password check).", logins_ticket);
	METRICS_PER_HUB(out, s, "logins_by_key_total", "counter", "Of the "
	    "logins that started a session, those by a key's signature "
	    "(public_key, no password).", logins_key);
	METRICS_PER_HUB(out, s, "tickets_refused_total", "counter", "Re-login "
	    "tickets that did not admit (expired, rotated out, password or "
	    "key changed, user removed): the card then used its password or "
	    "key.",
	    tickets_refused);
	METRICS_PER_HUB(out, s, "mac_table_entries", "gauge", "MAC addresses "
	    "the virtual hub's switch has learned.", macs);
	metrics_family(out, "ip_table_entries", "gauge", "IP addresses in the "
	    "virtual hub's IP table, by family.");
	for (size_t i = 0; i < s->nhubs; i++) {
		metrics_hub_sample(out, "ip_table_entries", &s->hubs[i],
		    "family", "ipv4", s->hubs[i].ip4s);
		metrics_hub_sample(out, "ip_table_entries", &s->hubs[i],
		    "family", "ipv6", s->hubs[i].ip6s);
	}
	metrics_dhcp(out, s);
}

/* ---- The snapshot ------------------------------------------------------ */

int
metrics_snap_take(struct srv *srv, struct metrics_snap *s)
{
	const struct srv_hub *h;
	size_t n = 0;

	memset(s, 0, sizeof *s);
	s->version = SOFTETHER_VERSION;
	s->start_time_s = srv->started_unix;
	s->queue_used = srv->pool.used;
	s->queue_limit = srv->pool.limit;
	s->queues_shed = srv->pool.shed_sessions;
	s->tls_resumed = srv->tls.resumed;
	TAILQ_FOREACH(h, &srv->hubs, entry)
		n++;
	if ((s->hubs = calloc(n > 0 ? n : 1, sizeof *s->hubs)) == NULL)
		return -1;
	TAILQ_FOREACH(h, &srv->hubs, entry) {
		struct metrics_hub *m = &s->hubs[s->nhubs];
		struct srv_totals t;
		if (h->cfg == NULL)
			continue; /* removed, its sessions ending */
		remote_hub_totals(h, &t, &m->sessions_up, &m->sessions_cut);
		m->name = h->engine.name;
		m->online = h->cfg->online;
		m->sessions_ended = t.sessions;
		m->in_frames = t.rx_frames;
		m->in_bytes = t.rx_bytes;
		m->out_frames = t.tx_frames;
		m->out_bytes = t.tx_bytes;
		m->resumes = t.resumes;
		m->logins_ok = h->logins_ok;
		m->logins_failed = h->logins_failed;
		m->logins_ticket = h->logins_ticket;
		m->logins_key = h->logins_key;
		m->tickets_refused = h->tickets_refused;
		memcpy(m->drops, h->engine.stats.drops, sizeof m->drops);
		m->macs = h->engine.nmacs;
		m->ip4s = h->engine.ips.n4;
		m->ip6s = h->engine.ips.n6;
		struct dhcpport_info di;
		if ((m->dhcp = dhcpport_info(h, &di)) != 0) {
			m->dhcp_leases = di.leases;
			m->dhcp_queue_drops = di.tx_dropped;
			m->dhcp_st = di.st;
		}
		s->nhubs++;
	}
	return 0;
}

void
metrics_snap_free(struct metrics_snap *s)
{
	free(s->hubs);
	memset(s, 0, sizeof *s);
}

/* ---- Serving ----------------------------------------------------------- */

static void
metrics_reply(struct evhttp_request *req, struct metrics *m)
{
	struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);
	struct evbuffer *body = NULL;
	struct metrics_snap s;

	evhttp_add_header(hdr, "Content-Type", METRICS_CONTENT_TYPE);
	evhttp_add_header(hdr, "Cache-Control", "no-store");
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		evhttp_send_reply(req, HTTP_OK, "OK", NULL);
		return;
	}
	if ((body = evbuffer_new()) == NULL ||
	    metrics_snap_take(m->srv, &s) != 0) {
		if (body != NULL)
			evbuffer_free(body);
		log_warn("metrics: out of memory answering a scrape");
		evhttp_send_error(req, HTTP_SERVUNAVAIL, NULL);
		return;
	}
	metrics_render(body, &s);
	metrics_snap_free(&s);
	evhttp_send_reply(req, HTTP_OK, "OK", body);
	evbuffer_free(body);
}

/* Every request: /metrics by GET or HEAD; anything else is refused. */
static void
metrics_request_cb(struct evhttp_request *req, void *arg)
{
	struct metrics *m = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

	if (path == NULL || strcmp(path, METRICS_PATH) != 0) {
		evhttp_send_error(req, HTTP_NOTFOUND, NULL);
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		/* Not evhttp_send_error: it drops the Allow header. */
		struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);
		struct evbuffer *body = evbuffer_new();
		evhttp_add_header(hdr, "Allow", "GET, HEAD");
		evhttp_add_header(hdr, "Connection", "close");
		evhttp_add_header(hdr, "Content-Type", "text/plain");
		if (body != NULL)
			evbuffer_add_printf(body, "only GET and HEAD\n");
		evhttp_send_reply(req, 405, "Method Not Allowed", body);
		if (body != NULL)
			evbuffer_free(body);
		return;
	}
	metrics_reply(req, m);
}

/* Accept failed for want of descriptors (or memory): stop accepting on
 * this socket rather than spin; metrics_tick starts it again. */
static void
metrics_accept_error_cb(struct evconnlistener *lev, void *arg)
{
	int e = EVUTIL_SOCKET_ERROR();

	if (e != EMFILE && e != ENFILE && e != ENOBUFS && e != ENOMEM) {
		log_debug("metrics: accept: %s", strerror(e));
		return;
	}
	log_warn("metrics: accept: %s; pausing the metrics endpoint",
	    strerror(e));
	evconnlistener_disable(lev);
}

static void
metrics_close(struct metrics *m, struct metrics_socks *s)
{
	for (size_t i = 0; i < s->n; i++)
		evhttp_del_accept_socket(m->http, s->b[i]);
	memset(s, 0, sizeof *s);
}

/* spec's sockets served by m->http into *s. 0, or -1 (logged; nothing
 * kept open). */
static int
metrics_open(struct metrics *m, const char *spec, struct metrics_socks *s)
{
	char one[METRICS_MAX_SOCKS][METRICS_SPEC_MAX];
	size_t n = 1;

	memset(s, 0, sizeof *s);
	snprintf(s->spec, sizeof s->spec, "%s", spec);
	if (strncmp(spec, "*:", 2) == 0) {
		snprintf(one[0], sizeof one[0], "0.0.0.0:%s", spec + 2);
		snprintf(one[1], sizeof one[1], "[::]:%s", spec + 2);
		n = 2;
	} else
		snprintf(one[0], sizeof one[0], "%s", spec);
	for (size_t i = 0; i < n; i++) {
		struct evconnlistener *lev;
		int fd = listener_bind(one[i]);
		if (fd == -2)
			continue; /* IPv6 unavailable: warned */
		if (fd < 0)
			goto fail;
		lev = evconnlistener_new(m->srv->base, NULL, NULL,
		    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
		if (lev == NULL) {
			close(fd);
			goto oom;
		}
		if ((s->b[s->n] = evhttp_bind_listener(m->http, lev)) == NULL) {
			evconnlistener_free(lev);
			goto oom;
		}
		evconnlistener_set_error_cb(lev, metrics_accept_error_cb);
		s->n++;
	}
	if (s->n > 0)
		return 0;
	log_err("metrics.listen %s: no address to listen on", spec);
	goto fail;
oom:
	log_err("metrics.listen %s: out of memory", spec);
fail:
	metrics_close(m, s);
	return -1;
}

static struct metrics *
metrics_new(struct srv *srv)
{
	struct metrics *m = calloc(1, sizeof *m);

	if (m == NULL || (m->http = evhttp_new(srv->base)) == NULL) {
		free(m);
		log_err("metrics: out of memory");
		return NULL;
	}
	m->srv = srv;
	evhttp_set_max_headers_size(m->http, METRICS_MAX_HEADERS);
	evhttp_set_max_body_size(m->http, METRICS_MAX_BODY);
	evhttp_set_timeout(m->http, METRICS_TIMEOUT_S);
	/* Every method reaches metrics_request_cb, which answers 405 (else
	 * evhttp says 501). */
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
	    EVHTTP_REQ_PATCH);
	evhttp_set_gencb(m->http, metrics_request_cb, m);
	return m;
}

int
metrics_start(struct srv *srv)
{
	const char *spec = srv->cfg->metrics.listen;

	if (spec == NULL)
		return 0;
	if ((srv->metrics = metrics_new(srv)) == NULL)
		return -1;
	if (metrics_open(srv->metrics, spec, &srv->metrics->socks) != 0) {
		log_err("metrics.listen %s: cannot open the metrics endpoint "
		    "(change or remove metrics.listen)", spec);
		return -1;
	}
	log_info("metrics on http://%s%s", spec, METRICS_PATH);
	return 0;
}

/* The port of "ADDR:PORT". */
static const char *
metrics_port(const char *spec)
{
	const char *colon = strrchr(spec, ':');

	return colon != NULL ? colon + 1 : spec;
}

void
metrics_sync(struct srv *srv)
{
	const char *want = srv->cfg->metrics.listen;
	struct metrics *m = srv->metrics;
	struct metrics_socks next;
	char was[METRICS_SPEC_MAX];

	if (m == NULL && want == NULL)
		return;
	if (m == NULL && (m = srv->metrics = metrics_new(srv)) == NULL)
		return;
	snprintf(was, sizeof was, "%s", m->socks.spec);
	if (strcmp(was, want != NULL ? want : "") == 0)
		return;
	if (want == NULL) {
		metrics_close(m, &m->socks);
		log_info("metrics endpoint on %s closed (metrics.listen "
		    "removed)", was);
		return;
	}
	/* The new address first, so that if it cannot be had the old one
	 * serves on (the hub may no longer open it again); but the same
	 * port on another address may clash with the old socket. */
	if (was[0] != '\0' && strcmp(metrics_port(was),
	    metrics_port(want)) == 0)
		metrics_close(m, &m->socks);
	if (metrics_open(m, want, &next) == 0) {
		metrics_close(m, &m->socks);
		m->socks = next;
		log_info("metrics on http://%s%s%s%s%s", want, METRICS_PATH,
		    was[0] != '\0' ? " (moved from " : "", was,
		    was[0] != '\0' ? ")" : "");
		return;
	}
	if (m->socks.n == 0 && was[0] != '\0' &&
	    metrics_open(m, was, &next) == 0)
		m->socks = next;
	if (m->socks.n > 0)
		log_err("metrics.listen %s cannot be opened now (a port below "
		    "1024 takes a restart: the hub has given up root); "
		    "metrics stay on %s", want, was);
	else
		log_err("metrics.listen %s cannot be opened now (a port below "
		    "1024 takes a restart: the hub has given up root); the "
		    "metrics endpoint is closed until then", want);
}

void
metrics_tick(struct metrics *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->socks.n; i++)
		evconnlistener_enable(evhttp_bound_socket_get_listener(
		    m->socks.b[i]));
}

const char *
metrics_listening(const struct metrics *m)
{
	return m != NULL ? m->socks.spec : "";
}

void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	evhttp_free(m->http);
	free(m);
}
