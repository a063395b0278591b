/*
 * admin.c: the administration commands run against a running hub. Every
 * way in (the control socket, the console) hands a parsed line here and
 * gets back text for a person or one JSON document for a script, with
 * stable keys (README: "Administration").
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/buffer.h>

#include "admin.h"
#include "cfgload.h"
#include "clock.h"
#include "control.h"
#include "dhcpport.h"
#include "ether.h"
#include "log.h"
#include "srv.h"

#define ADMIN_KICK_TEXT "disconnected by the hub's administrator"
#define ADMIN_HELP_COL  24  /* where the help text starts */

/* Text output: control bytes a peer may have chosen become '?'. */
static const char *
admin_safe(char *buf, size_t len, const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < len; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' :
		    s[i];
	buf[i] = '\0';
	return buf;
}

int
admin_fail(struct evbuffer *out, int json, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (json) {
		evbuffer_add_printf(out, "{\"ok\":false,\"error\":");
		control_json_str(out, msg);
		evbuffer_add_printf(out, "}\n");
	} else
		evbuffer_add_printf(out, "%s\n", msg);
	return -1;
}

static void
admin_drops_json(struct evbuffer *out, const uint64_t *drops)
{
	int first = 1;

	evbuffer_add_printf(out, "{");
	for (int i = 0; i < SW_DROP_NREASONS; i++) {
		if (drops[i] == 0)
			continue;
		evbuffer_add_printf(out, "%s\"%s\":%" PRIu64, first ? "" : ",",
		    sw_drop_name((enum sw_drop_reason)i), drops[i]);
		first = 0;
	}
	evbuffer_add_printf(out, "}");
}

static void
admin_drops_text(struct evbuffer *out, const uint64_t *drops)
{
	int any = 0;

	for (int i = 0; i < SW_DROP_NREASONS; i++)
		if (drops[i] > 0) {
			evbuffer_add_printf(out, " %s=%" PRIu64,
			    sw_drop_name((enum sw_drop_reason)i), drops[i]);
			any = 1;
		}
	if (!any)
		evbuffer_add_printf(out, " none");
}

static int
admin_status(struct srv *srv, int json, struct evbuffer *out)
{
	struct srv_totals t = srv->ended;
	uint64_t drops[SW_DROP_NREASONS] = { 0 }, live = 0;
	struct remote *r;

	TAILQ_FOREACH(r, &srv->remotes, entry) {
		remote_totals_add(&t, r);
		live++;
	}
	const struct srv_hub *h;

	TAILQ_FOREACH(h, &srv->hubs, entry)
		for (int k = 0; k < SW_DROP_NREASONS; k++)
			drops[k] += h->engine.stats.drops[k];
	double up = (double)(clock_now_ms() - srv->started_ms) / 1e3;
	if (json) {
		evbuffer_add_printf(out, "{\"ok\":true,\"version\":\"%s\","
		    "\"uptime_s\":%.1f,\"hubs\":%zu,\"sessions\":%" PRIu64 ","
		    "\"sessions_ended\":%" PRIu64 ",\"in_frames\":%" PRIu64
		    ",\"in_bytes\":%" PRIu64 ",\"out_frames\":%" PRIu64
		    ",\"out_bytes\":%" PRIu64 ",\"drops\":", SOFTETHER_VERSION,
		    up, srv->nhubs, live, t.sessions, t.rx_frames, t.rx_bytes,
		    t.tx_frames, t.tx_bytes);
		admin_drops_json(out, drops);
		evbuffer_add_printf(out, ",\"queued_bytes\":%zu,\"queue_limit\":%zu,"
		    "\"queues_shed\":%" PRIu64 "}\n", srv->pool.used,
		    srv->pool.limit, srv->pool.shed_sessions);
		return 0;
	}
	evbuffer_add_printf(out, "softether %s, up %.0f s\n"
	    "hubs %zu, sessions %" PRIu64 " (ended %" PRIu64 ")\n"
	    "in  %" PRIu64 " frames, %" PRIu64 " bytes\n"
	    "out %" PRIu64 " frames, %" PRIu64 " bytes\ndrops:",
	    SOFTETHER_VERSION, up, srv->nhubs, live, t.sessions, t.rx_frames,
	    t.rx_bytes, t.tx_frames, t.tx_bytes);
	admin_drops_text(out, drops);
	evbuffer_add_printf(out, "\nqueued %zu of %zu bytes (cut sessions' "
	    "queues given up: %" PRIu64 ")\n", srv->pool.used, srv->pool.limit,
	    srv->pool.shed_sessions);
	if (!TAILQ_EMPTY(&srv->bridges)) {
		const struct bridge *b;
		unsigned nb = 0, nup = 0;
		TAILQ_FOREACH(b, &srv->bridges, entry) {
			nb++;
			nup += bridge_up(b) ? 1u : 0u;
		}
		evbuffer_add_printf(out, "bridges %u (%u up)\n", nb, nup);
	}
	if (!TAILQ_EMPTY(&srv->cascades)) {
		const struct cascade *k;
		unsigned nk = 0, nup = 0;
		TAILQ_FOREACH(k, &srv->cascades, entry) {
			nk++;
			nup += cascade_up(k) ? 1u : 0u;
		}
		evbuffer_add_printf(out, "cascades %u (%u up)\n", nk, nup);
	}
	return 0;
}

/* A hub's DHCP service as JSON: null when it serves none. */
static void
admin_dhcp_json(struct evbuffer *out, const struct srv_hub *h)
{
	struct dhcpport_info di;
	char net[DHCP_IP_STR], a[DHCP_IP_STR], b[DHCP_IP_STR];
	char sv[DHCP_IP_STR];
	int first = 1;

	if (!dhcpport_info(h, &di)) {
		evbuffer_add_printf(out, "null");
		return;
	}
	dhcp_format_ip(di.net, net);
	dhcp_format_ip(di.first, a);
	dhcp_format_ip(di.last, b);
	dhcp_format_ip(di.server, sv);
	evbuffer_add_printf(out, "{\"subnet\":\"%s/%u\",\"picked\":%s,"
	    "\"range\":\"%s-%s\",\"server\":\"%s\",\"leases\":%u,"
	    "\"offers\":%" PRIu64 ",\"acks\":%" PRIu64 ",\"naks\":%"
	    PRIu64 ",\"malformed\":%" PRIu64 ",\"malformed_by\":{", net,
	    di.prefix, di.picked ? "true" : "false", a, b, sv, di.leases,
	    di.st.tx[DHCP_OFFER], di.st.tx[DHCP_ACK], di.st.tx[DHCP_NAK],
	    dhcpport_malformed(&di.st));
	for (int e = 0; e < DHCP_E_NREASONS; e++) {
		if (!dhcp_err_malformed((enum dhcp_err)e) ||
		    di.st.malformed[e] == 0)
			continue;
		evbuffer_add_printf(out, "%s\"%s\":%" PRIu64, first ? "" : ",",
		    dhcp_err_name((enum dhcp_err)e), di.st.malformed[e]);
		first = 0;
	}
	evbuffer_add_printf(out, "},\"pool_empty\":%" PRIu64 ",\"max_ip\":%"
	    PRIu64 ",\"conflicts\":%" PRIu64 ",\"declined\":%" PRIu64
	    ",\"queue_full\":%" PRIu64 "}", di.st.pool_empty, di.st.user_cap,
	    di.st.conflicts, di.st.declined, di.tx_dropped);
}

static int
admin_hub_list(struct srv *srv, int json, struct evbuffer *out)
{
	if (json)
		evbuffer_add_printf(out, "{\"ok\":true,\"hubs\":[");
	else
		evbuffer_add_printf(out, "%-20s %-7s %8s %8s %12s %12s %12s "
		    "%10s\n", "HUB", "ONLINE", "SESSIONS", "MACS", "FRAMES",
		    "UNICAST", "FLOODED", "DROPPED");
	const struct srv_hub *h;
	int first = 1;

	TAILQ_FOREACH(h, &srv->hubs, entry) {
		const struct sw_stats *st = &h->engine.stats;
		if (h->cfg == NULL)
			continue; /* removed, its sessions ending */
		if (json) {
			evbuffer_add_printf(out, "%s{\"name\":", first ? "" : ",");
			control_json_str(out, h->engine.name);
			evbuffer_add_printf(out, ",\"online\":%s,\"sessions\":%u,"
			    "\"macs\":%u,\"frames\":%" PRIu64 ",\"unicast\":%"
			    PRIu64 ",\"flooded\":%" PRIu64 ",\"dropped\":%" PRIu64
			    ",\"dhcp\":", h->cfg->online ? "true" : "false",
			    h->nsessions, h->engine.nmacs, st->frames_in,
			    st->unicast, st->flooded, st->dropped);
			admin_dhcp_json(out, h);
			evbuffer_add_printf(out, "}");
		} else
			evbuffer_add_printf(out, "%-20s %-7s %8u %8u %12" PRIu64
			    " %12" PRIu64 " %12" PRIu64 " %10" PRIu64 "\n",
			    h->engine.name, h->cfg->online ? "yes" : "no",
			    h->nsessions, h->engine.nmacs, st->frames_in,
			    st->unicast, st->flooded, st->dropped);
		first = 0;
	}
	if (json) {
		evbuffer_add_printf(out, "]}\n");
		return 0;
	}
	TAILQ_FOREACH(h, &srv->hubs, entry) {
		struct dhcpport_info di;
		char net[DHCP_IP_STR], a[DHCP_IP_STR], b[DHCP_IP_STR];
		char sv[DHCP_IP_STR];
		if (h->cfg == NULL || !dhcpport_info(h, &di))
			continue;
		dhcp_format_ip(di.net, net);
		dhcp_format_ip(di.first, a);
		dhcp_format_ip(di.last, b);
		dhcp_format_ip(di.server, sv);
		evbuffer_add_printf(out, "%s: DHCP on %s/%u%s, leases %s-%s "
		    "from %s: %u leased, %" PRIu64 " malformed dropped\n",
		    h->engine.name, net, di.prefix, di.picked ? " (picked)" :
		    "", a, b, sv, di.leases, dhcpport_malformed(&di.st));
	}
	return 0;
}

/* Seconds since the epoch when the session started. */
static double
admin_since(const struct remote *r)
{
	return (double)time(NULL) -
	    (double)(clock_now_ms() - r->started_ms) / 1e3;
}

static void
admin_session_json(struct evbuffer *out, const struct remote *r)
{
	const struct session_stats *st = &r->sess.st;

	evbuffer_add_printf(out, "{\"id\":%" PRIu64 ",\"kind\":\"session\","
	    "\"hub\":", r->id);
	control_json_str(out, r->hub->engine.name);
	evbuffer_add_printf(out, ",\"user\":");
	control_json_str(out, r->user);
	evbuffer_add_printf(out, ",\"from\":");
	control_json_str(out, r->peer);
	evbuffer_add_printf(out, ",\"transport\":");
	control_json_str(out, r->via[0] ? r->via : "unknown");
	evbuffer_add_printf(out, ",\"since\":%.3f,\"state\":\"%s\","
	    "\"in_frames\":%" PRIu64 ",\"in_bytes\":%" PRIu64 ",\"out_frames\":%"
	    PRIu64 ",\"out_bytes\":%" PRIu64 ",\"resumes\":%u,\"unacked\":%"
	    PRIu64 ",\"lost\":%" PRIu64 ",\"retransmitted\":%" PRIu64
	    ",\"macs\":%u,\"ips\":%u,\"drops\":", admin_since(r),
	    r->sess.conn != NULL ? "up" : "cut", st->rx_frames, st->rx_bytes,
	    st->tx_frames, st->tx_bytes, st->resumes,
	    session_unacked(&r->sess), st->budget_dropped + st->rx_lost,
	    st->retransmitted, r->port.macs, r->port.ip4s + r->port.ip6s);
	admin_drops_json(out, r->port.drops);
	evbuffer_add_printf(out, "}");
}

static void
admin_session_text(struct evbuffer *out, const struct remote *r, int detail)
{
	const struct session_stats *st = &r->sess.st;
	char user[PROTO_MAX_NAME + 1];
	double age = (double)(clock_now_ms() - r->started_ms) / 1e3;

	if (!detail) {
		evbuffer_add_printf(out, "%-6" PRIu64 " %-12s %-16s %-22s %-10s "
		    "%8.0fs %-4s %10" PRIu64 " %10" PRIu64 " %4u\n", r->id,
		    r->hub->engine.name, admin_safe(user, sizeof user, r->user),
		    r->peer, r->via[0] ? r->via : "unknown", age,
		    r->sess.conn != NULL ? "up" : "cut", st->rx_bytes,
		    st->tx_bytes, st->resumes);
		return;
	}
	evbuffer_add_printf(out, "session %" PRIu64 "\n  hub        %s\n"
	    "  user       %s\n  from       %s\n  transport  %s\n"
	    "  state      %s\n  age        %.0f s\n"
	    "  in         %" PRIu64 " frames, %" PRIu64 " bytes\n"
	    "  out        %" PRIu64 " frames, %" PRIu64 " bytes\n"
	    "  resumes    %u (retransmitted %" PRIu64 ", lost %" PRIu64 ")\n"
	    "  unacked    %" PRIu64 "\n  macs       %u\n  ips        %u\n"
	    "  drops     ", r->id, r->hub->engine.name,
	    admin_safe(user, sizeof user, r->user), r->peer,
	    r->via[0] ? r->via : "unknown",
	    r->sess.conn != NULL ? "up" : "cut", age, st->rx_frames,
	    st->rx_bytes, st->tx_frames, st->tx_bytes, st->resumes,
	    st->retransmitted, st->budget_dropped + st->rx_lost,
	    session_unacked(&r->sess), r->port.macs,
	    r->port.ip4s + r->port.ip6s);
	admin_drops_text(out, r->port.drops);
	evbuffer_add_printf(out, "\n");
}

static void
admin_bridge_json(struct evbuffer *out, const struct bridge *b)
{
	const struct dev_stats *st = &b->dev.st;

	evbuffer_add_printf(out, "{\"id\":%" PRIu64 ",\"kind\":\"bridge\","
	    "\"hub\":", b->id);
	control_json_str(out, b->hub->engine.name);
	evbuffer_add_printf(out, ",\"interface\":");
	control_json_str(out, b->iface);
	evbuffer_add_printf(out, ",\"since\":%.3f,\"state\":\"%s\","
	    "\"in_frames\":%" PRIu64 ",\"in_bytes\":%" PRIu64 ",\"out_frames\":%"
	    PRIu64 ",\"out_bytes\":%" PRIu64 ",\"local\":%" PRIu64 ",\"bad\":%"
	    PRIu64 ",\"offload_frames\":%" PRIu64 ",\"out_dropped\":%" PRIu64
	    ",\"lost\":%" PRIu64 ",\"macs\":%u,\"drops\":",
	    (double)time(NULL) - (double)(clock_now_ms() - b->started_ms) /
	    1e3, bridge_up(b) ? "up" : "lost", st->rx_frames, st->rx_bytes,
	    st->tx_frames, st->tx_bytes, st->rx_local, st->rx_bad,
	    st->gso_frames, st->tx_dropped, st->lost, b->port.macs);
	admin_drops_json(out, b->port.drops);
	evbuffer_add_printf(out, "}");
}

static void
admin_bridge_text(struct evbuffer *out, const struct bridge *b, int detail)
{
	const struct dev_stats *st = &b->dev.st;
	double age = (double)(clock_now_ms() - b->started_ms) / 1e3;
	char from[32];

	if (!detail) {
		snprintf(from, sizeof from, "bridge %s", b->iface);
		evbuffer_add_printf(out, "%-6" PRIu64 " %-12s %-16s %-22s %-10s "
		    "%8.0fs %-4s %10" PRIu64 " %10" PRIu64 " %4u\n", b->id,
		    b->hub->engine.name, "-", from, "bridge", age,
		    bridge_up(b) ? "up" : "lost", st->rx_bytes, st->tx_bytes,
		    0u);
		return;
	}
	evbuffer_add_printf(out, "bridge %" PRIu64 "\n  hub        %s\n"
	    "  interface  %s\n  state      %s\n  age        %.0f s\n"
	    "  in         %" PRIu64 " frames, %" PRIu64 " bytes\n"
	    "  out        %" PRIu64 " frames, %" PRIu64 " bytes\n"
	    "  local      %" PRIu64 " (unicast kept on the LAN)\n"
	    "  offload    %" PRIu64 " super-frames cut to wire size\n"
	    "  bad        %" PRIu64 "\n  undelivered %" PRIu64 "\n"
	    "  lost       %" PRIu64 " times\n  macs       %u\n  drops     ",
	    b->id, b->hub->engine.name, b->iface,
	    bridge_up(b) ? "up" : "lost (retrying)", age, st->rx_frames,
	    st->rx_bytes, st->tx_frames, st->tx_bytes, st->rx_local,
	    st->gso_frames, st->rx_bad, st->tx_dropped, st->lost,
	    b->port.macs);
	admin_drops_text(out, b->port.drops);
	evbuffer_add_printf(out, "\n");
}

static void
admin_cascade_json(struct evbuffer *out, const struct cascade *k)
{
	struct nic_status st;
	const char *state = cascade_status(k, &st);
	char remote[300];

	snprintf(remote, sizeof remote, "%s:%u", st.host, st.port);
	evbuffer_add_printf(out, "{\"id\":%" PRIu64 ",\"kind\":\"cascade\","
	    "\"hub\":", k->id);
	control_json_str(out, k->hub->engine.name);
	evbuffer_add_printf(out, ",\"name\":");
	control_json_str(out, k->name);
	evbuffer_add_printf(out, ",\"remote\":");
	control_json_str(out, remote);
	evbuffer_add_printf(out, ",\"remote_hub\":");
	control_json_str(out, st.hub_name);
	evbuffer_add_printf(out, ",\"user\":");
	control_json_str(out, st.user);
	evbuffer_add_printf(out, ",\"transport\":\"%s\",\"since\":%.3f,"
	    "\"state\":\"%s\",\"session\":%" PRIu64 ",\"resumes\":%u,"
	    "\"in_frames\":%" PRIu64 ",\"in_bytes\":%" PRIu64 ",\"out_frames\":%"
	    PRIu64 ",\"out_bytes\":%" PRIu64 ",\"out_dropped\":%" PRIu64
	    ",\"macs\":%u,\"last_error\":", st.via,
	    (double)time(NULL) - (double)(clock_now_ms() - k->started_ms) /
	    1e3, state, st.session, st.resumes, k->in_frames, k->in_bytes,
	    k->out_frames, k->out_bytes, k->out_dropped, k->port.macs);
	if (st.last_error[0] != '\0')
		control_json_str(out, st.last_error);
	else
		evbuffer_add_printf(out, "null");
	evbuffer_add_printf(out, ",\"drops\":");
	admin_drops_json(out, k->port.drops);
	evbuffer_add_printf(out, "}");
}

static void
admin_cascade_text(struct evbuffer *out, const struct cascade *k, int detail)
{
	struct nic_status st;
	const char *state = cascade_status(k, &st);
	double age = (double)(clock_now_ms() - k->started_ms) / 1e3;
	char from[48], err[LOG_SAFE_LEN(160)];

	if (!detail) {
		snprintf(from, sizeof from, "cascade %s", k->name);
		evbuffer_add_printf(out, "%-6" PRIu64 " %-12s %-16s %-22s %-10s "
		    "%8.0fs %-4s %10" PRIu64 " %10" PRIu64 " %4u\n", k->id,
		    k->hub->engine.name, st.user, from, st.via, age, state,
		    k->in_bytes, k->out_bytes, st.resumes);
		return;
	}
	log_safe(err, sizeof err, st.last_error);
	evbuffer_add_printf(out, "cascade %" PRIu64 "\n  name       %s\n"
	    "  hub        %s\n  remote     %s:%u, hub %s, as %s, via %s\n"
	    "  state      %s\n  age        %.0f s\n  session    %" PRIu64
	    "\n  resumes    %u\n"
	    "  in         %" PRIu64 " frames, %" PRIu64 " bytes\n"
	    "  out        %" PRIu64 " frames, %" PRIu64 " bytes\n"
	    "  undelivered %" PRIu64 "\n  macs       %u\n"
	    "  last error %s\n  drops     ", k->id, k->name,
	    k->hub->engine.name, st.host, st.port, st.hub_name, st.user, st.via,
	    state, age, st.session, st.resumes, k->in_frames, k->in_bytes,
	    k->out_frames, k->out_bytes, k->out_dropped, k->port.macs,
	    err[0] != '\0' ? err : "none");
	admin_drops_text(out, k->port.drops);
	evbuffer_add_printf(out, "\n");
}

static struct cascade *
admin_find_cascade(struct srv *srv, uint64_t id)
{
	struct cascade *k;

	TAILQ_FOREACH(k, &srv->cascades, entry)
		if (k->id == id)
			return k;
	return NULL;
}

static struct bridge *
admin_find_bridge(struct srv *srv, uint64_t id)
{
	struct bridge *b;

	TAILQ_FOREACH(b, &srv->bridges, entry)
		if (b->id == id)
			return b;
	return NULL;
}

static int
admin_session_list(struct srv *srv, const struct admincmd_line *l, int json,
    struct evbuffer *out)
{
	struct srv_hub *hub = NULL;
	struct remote *r;
	int first = 1;

	if (l->argc == 1 && (hub = srv_find_hub(srv, l->argv[0])) == NULL)
		return admin_fail(out, json, "no hub named '%s'", l->argv[0]);
	if (json)
		evbuffer_add_printf(out, "{\"ok\":true,\"sessions\":[");
	else
		evbuffer_add_printf(out, "%-6s %-12s %-16s %-22s %-10s %9s %-4s "
		    "%10s %10s %4s\n", "ID", "HUB", "USER", "FROM", "TRANSPORT",
		    "AGE", "STATE", "IN-BYTES", "OUT-BYTES", "RES");
	TAILQ_FOREACH(r, &srv->remotes, entry) {
		if (hub != NULL && r->hub != hub)
			continue;
		if (json) {
			if (!first)
				evbuffer_add_printf(out, ",");
			admin_session_json(out, r);
		} else
			admin_session_text(out, r, 0);
		first = 0;
	}
	const struct bridge *b;

	TAILQ_FOREACH(b, &srv->bridges, entry) {
		if (hub != NULL && b->hub != hub)
			continue;
		if (json) {
			if (!first)
				evbuffer_add_printf(out, ",");
			admin_bridge_json(out, b);
		} else
			admin_bridge_text(out, b, 0);
		first = 0;
	}
	const struct cascade *k;

	TAILQ_FOREACH(k, &srv->cascades, entry) {
		if (hub != NULL && k->hub != hub)
			continue;
		if (json) {
			if (!first)
				evbuffer_add_printf(out, ",");
			admin_cascade_json(out, k);
		} else
			admin_cascade_text(out, k, 0);
		first = 0;
	}
	if (json)
		evbuffer_add_printf(out, "]}\n");
	return 0;
}

/* The session an ID argument names, or NULL (refusal written). */
static struct remote *
admin_session_arg(struct srv *srv, const char *arg, int json,
    struct evbuffer *out)
{
	char *end;
	unsigned long long id = strtoull(arg, &end, 10);
	struct remote *r;

	if (end == arg || *end != '\0') {
		admin_fail(out, json, "'%s' is not a session ID (see: session "
		    "list)", arg);
		return NULL;
	}
	if ((r = srv_find_remote(srv, (uint64_t)id)) == NULL &&
	    admin_find_bridge(srv, (uint64_t)id) != NULL)
		admin_fail(out, json, "%llu is a bridge: it stays until it "
		    "leaves bridges: in the configuration", id);
	else if (r == NULL && admin_find_cascade(srv, (uint64_t)id) != NULL)
		admin_fail(out, json, "%llu is a cascade: it stays until it "
		    "leaves cascades: in the configuration", id);
	else if (r == NULL)
		admin_fail(out, json, "no session %llu", id);
	return r;
}

static int
admin_session_show(struct srv *srv, const struct admincmd_line *l, int json,
    struct evbuffer *out)
{
	struct remote *r;
	struct bridge *b;
	char *end;
	unsigned long long id = strtoull(l->argv[0], &end, 10);

	if (end != l->argv[0] && *end == '\0' &&
	    (b = admin_find_bridge(srv, (uint64_t)id)) != NULL) {
		if (json) {
			evbuffer_add_printf(out, "{\"ok\":true,\"session\":");
			admin_bridge_json(out, b);
			evbuffer_add_printf(out, "}\n");
		} else
			admin_bridge_text(out, b, 1);
		return 0;
	}
	struct cascade *k;
	if (end != l->argv[0] && *end == '\0' &&
	    (k = admin_find_cascade(srv, (uint64_t)id)) != NULL) {
		if (json) {
			evbuffer_add_printf(out, "{\"ok\":true,\"session\":");
			admin_cascade_json(out, k);
			evbuffer_add_printf(out, "}\n");
		} else
			admin_cascade_text(out, k, 1);
		return 0;
	}
	if ((r = admin_session_arg(srv, l->argv[0], json, out)) == NULL)
		return -1;
	if (json) {
		evbuffer_add_printf(out, "{\"ok\":true,\"session\":");
		admin_session_json(out, r);
		evbuffer_add_printf(out, "}\n");
	} else
		admin_session_text(out, r, 1);
	return 0;
}

static int
admin_session_kick(struct srv *srv, const struct admincmd_line *l, int json,
    struct evbuffer *out)
{
	struct remote *r = admin_session_arg(srv, l->argv[0], json, out);
	uint64_t id;

	if (r == NULL)
		return -1;
	id = r->id;
	log_info("session %" PRIu64 " kicked by the administrator", id);
	remote_close(r, PROTO_BYE_KICKED, ADMIN_KICK_TEXT);
	if (json)
		evbuffer_add_printf(out, "{\"ok\":true,\"kicked\":%" PRIu64
		    "}\n", id);
	else
		evbuffer_add_printf(out, "session %" PRIu64 " kicked\n", id);
	return 0;
}

struct admin_walk {
	struct evbuffer *out;
	int json, first;
	uint64_t now;
};

/* The session behind a port, for tables: "12" or its port name. */
static void
admin_port_owner(char *buf, size_t len, const struct sw_port *p)
{
	if (p->ops != NULL && strcmp(p->ops->kind, "session") == 0)
		snprintf(buf, len, "%" PRIu64,
		    ((const struct remote *)p->owner)->id);
	else if (p->ops != NULL && strcmp(p->ops->kind, "bridge") == 0)
		snprintf(buf, len, "%" PRIu64,
		    ((const struct bridge *)p->owner)->id);
	else
		snprintf(buf, len, "%s", p->name);
}

static void
admin_mac_one(void *arg, const struct sw_mac_entry *e)
{
	struct admin_walk *w = arg;
	char mac[ETHER_ADDR_STR], owner[SW_PORT_NAME_MAX];
	uint64_t age = (w->now - e->seen_ms) / 1000;

	ether_format_mac(e->mac, mac);
	admin_port_owner(owner, sizeof owner, e->port);
	if (w->json) {
		evbuffer_add_printf(w->out, "%s{\"mac\":\"%s\",\"session\":",
		    w->first ? "" : ",", mac);
		control_json_str(w->out, owner);
		evbuffer_add_printf(w->out, ",\"port\":");
		control_json_str(w->out, e->port->name);
		evbuffer_add_printf(w->out, ",\"age_s\":%" PRIu64 "}", age);
	} else
		evbuffer_add_printf(w->out, "%-17s %-8s %-32s %6" PRIu64 "s\n",
		    mac, owner, e->port->name, age);
	w->first = 0;
}

static void
admin_ip_one(void *arg, const struct iptable_view *v)
{
	struct admin_walk *w = arg;
	char addr[INET6_ADDRSTRLEN], owner[SW_PORT_NAME_MAX];
	const char *src = v->source == IPTABLE_DHCP ? "dhcp" : "traffic";
	int64_t left = (int64_t)(v->expiry_ms - w->now) / 1000;

	if (!iptable_live(v->expiry_ms, w->now))
		return;
	inet_ntop(v->version == 4 ? AF_INET : AF_INET6, v->addr, addr,
	    sizeof addr);
	admin_port_owner(owner, sizeof owner, v->port);
	if (w->json) {
		evbuffer_add_printf(w->out, "%s{\"ip\":\"%s\",\"session\":",
		    w->first ? "" : ",", addr);
		control_json_str(w->out, owner);
		evbuffer_add_printf(w->out, ",\"source\":\"%s\",\"expires_s\":%"
		    PRId64 "}", src, left);
	} else
		evbuffer_add_printf(w->out, "%-39s %-8s %-8s %6" PRId64 "s\n",
		    addr, owner, src, left);
	w->first = 0;
}

static int
admin_tables(struct srv *srv, const struct admincmd_line *l, int json,
    struct evbuffer *out)
{
	struct srv_hub *hub = srv_find_hub(srv, l->argv[0]);
	struct admin_walk w = { out, json, 1, clock_now_ms() };
	int macs = l->cmd->id == ADMINCMD_MAC_LIST;

	if (hub == NULL)
		return admin_fail(out, json, "no hub named '%s'", l->argv[0]);
	if (json)
		evbuffer_add_printf(out, "{\"ok\":true,\"%s\":[",
		    macs ? "macs" : "ips");
	else if (macs)
		evbuffer_add_printf(out, "%-17s %-8s %-32s %7s\n", "MAC",
		    "SESSION", "PORT", "AGE");
	else
		evbuffer_add_printf(out, "%-39s %-8s %-8s %7s\n", "ADDRESS",
		    "SESSION", "SOURCE", "EXPIRES");
	if (macs)
		sw_mac_foreach(&hub->engine, admin_mac_one, &w);
	else
		iptable_foreach(&hub->engine.ips, admin_ip_one, &w);
	if (json)
		evbuffer_add_printf(out, "]}\n");
	return 0;
}

/* mac delete / ip delete: one entry out of a hub's table. */
static int
admin_table_delete(struct srv *srv, const struct admincmd_line *l, int json,
    struct evbuffer *out)
{
	struct srv_hub *hub = srv_find_hub(srv, l->argv[0]);
	uint8_t addr[16];
	int found, version = 0;

	if (hub == NULL)
		return admin_fail(out, json, "no hub named '%s'", l->argv[0]);
	if (l->cmd->id == ADMINCMD_MAC_DELETE) {
		if (ether_parse_mac(l->argv[1], addr) != 0)
			return admin_fail(out, json, "mac delete: '%s' is not a "
			    "unicast MAC such as 5e:01:02:03:04:05", l->argv[1]);
		found = sw_mac_delete(&hub->engine, addr);
	} else {
		if (inet_pton(AF_INET, l->argv[1], addr) == 1)
			version = 4;
		else if (inet_pton(AF_INET6, l->argv[1], addr) == 1)
			version = 6;
		else
			return admin_fail(out, json, "ip delete: '%s' is not an "
			    "IPv4 or IPv6 address", l->argv[1]);
		found = iptable_delete(&hub->engine.ips, version, addr);
	}
	if (!found)
		return admin_fail(out, json, "hub %s has no entry for %s",
		    l->argv[0], l->argv[1]);
	log_info("administrator: %s %s %s", l->cmd->words, l->argv[0],
	    l->argv[1]);
	if (json)
		evbuffer_add_printf(out, "{\"ok\":true}\n");
	else
		evbuffer_add_printf(out, "%s forgotten\n", l->argv[1]);
	return 0;
}

static int
admin_log_level(const struct admincmd_line *l, int json, struct evbuffer *out)
{
	int lvl = log_level_parse(l->argv[0]);

	if (lvl < 0)
		return admin_fail(out, json, "log level: expected error, warn, "
		    "info or debug");
	log_set_level((enum log_level)lvl);
	log_info("log level set to %s by the administrator", l->argv[0]);
	if (json)
		evbuffer_add_printf(out, "{\"ok\":true,\"log_level\":\"%s\"}\n",
		    log_level_name((enum log_level)lvl));
	else
		evbuffer_add_printf(out, "log level %s\n",
		    log_level_name((enum log_level)lvl));
	return 0;
}

static int
admin_config_show(struct srv *srv, int json, struct evbuffer *out)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		return admin_fail(out, json, "out of memory");
	hubconf_print(srv->cfg, f);
	fclose(f);
	if (json) {
		evbuffer_add_printf(out, "{\"ok\":true,\"config\":");
		control_json_str(out, text);
		evbuffer_add_printf(out, "}\n");
	} else
		evbuffer_add(out, text, len);
	free(text);
	return 0;
}

static int
admin_help(const struct admincmd_line *l, int json, struct evbuffer *out)
{
	size_t n;
	const struct admincmd *t = admincmd_table(&n);
	char want[64] = "";

	if (l->argc == 1)
		snprintf(want, sizeof want, "%s", l->argv[0]);
	else if (l->argc == 2)
		snprintf(want, sizeof want, "%s %s", l->argv[0], l->argv[1]);
	if (json)
		evbuffer_add_printf(out, "{\"ok\":true,\"commands\":[");
	int first = 1, found = 0;
	for (size_t i = 0; i < n; i++) {
		size_t wl = strlen(want);
		if (wl > 0 && (strncmp(t[i].words, want, wl) != 0 ||
		    (t[i].words[wl] != '\0' && t[i].words[wl] != ' ')))
			continue;
		found++;
		if (json) {
			evbuffer_add_printf(out, "%s{\"command\":\"%s\","
			    "\"args\":\"%s\",\"help\":", first ? "" : ",",
			    t[i].words, t[i].args);
			control_json_str(out, t[i].help);
			evbuffer_add_printf(out, "}");
		} else {
			int w = (int)(strlen(t[i].words) + (t[i].args[0] ?
			    1 + strlen(t[i].args) : 0));
			evbuffer_add_printf(out, "%s%s%s", t[i].words,
			    t[i].args[0] ? " " : "", t[i].args);
			/* A long usage gets its own line. */
			if (w < ADMIN_HELP_COL)
				evbuffer_add_printf(out, "%*s %s\n",
				    ADMIN_HELP_COL - w, "", t[i].help);
			else
				evbuffer_add_printf(out, "\n%*s %s\n",
				    ADMIN_HELP_COL, "", t[i].help);
		}
		first = 0;
	}
	if (json)
		evbuffer_add_printf(out, "]}\n");
	if (!found) {
		evbuffer_drain(out, evbuffer_get_length(out));
		return admin_fail(out, json, "help: no command '%s'", want);
	}
	return 0;
}

/* Is u among the console's changes of its hub (else the file's)? */
static int
admin_user_managed(const struct srv *srv, const char *hub, const char *user)
{
	for (size_t i = 0; i < srv->managed.nhubs; i++) {
		const struct managed_hub *mh = &srv->managed.hubs[i];
		if (strcmp(mh->name, hub) != 0)
			continue;
		for (size_t j = 0; j < mh->nusers; j++)
			if (strcmp(mh->users[j].name, user) == 0)
				return 1;
	}
	return 0;
}

static uint32_t
admin_user_sessions(struct srv *srv, const struct srv_hub *h,
    const char *user)
{
	return h != NULL ? remote_count_user(srv, h, user) : 0;
}

/* The policy keys of p, own (set) ones only or all of them. */
static void
admin_policy(struct evbuffer *out, const struct hubconf_policy *p, int all,
    int json)
{
	const struct cfg_table *t = &hubconf_policy_table;
	int first = 1;

	if (json)
		evbuffer_add_printf(out, "{");
	for (size_t i = 0; i < t->nkeys; i++) {
		const struct cfg_key *k = &t->keys[i];
		const char *v = (const char *)p + k->off;
		char val[16];
		if (!all && !(p->set & 1u << i))
			continue;
		if (k->type == CFG_BOOL)
			snprintf(val, sizeof val, "%s", *(const bool *)(const void *)
			    v ? "true" : "false");
		else
			snprintf(val, sizeof val, "%u",
			    *(const uint32_t *)(const void *)v);
		if (json)
			evbuffer_add_printf(out, "%s\"%s\":%s", first ? "" : ",",
			    k->name, val);
		else
			evbuffer_add_printf(out, "%s%s=%s", first ? "" : " ",
			    k->name, val);
		first = 0;
	}
	if (json)
		evbuffer_add_printf(out, "}");
}

static int
admin_users(struct srv *srv, const struct admincmd_line *l, int json,
    struct evbuffer *out)
{
	const struct hubconf_hub *hc = hubconf_find_hub(srv->cfg, l->argv[0]);
	const struct srv_hub *h = srv_find_hub(srv, l->argv[0]);
	int show = l->cmd->id == ADMINCMD_USER_SHOW;

	if (hc == NULL)
		return admin_fail(out, json, "no hub named '%s'", l->argv[0]);
	if (show && hubconf_find_user(hc, l->argv[1]) == NULL)
		return admin_fail(out, json, "hub %s has no user '%s'",
		    l->argv[0], l->argv[1]);
	if (json)
		evbuffer_add_printf(out, "{\"ok\":true,\"%s\":%s", show ?
		    "user" : "users", show ? "" : "[");
	else if (!show)
		evbuffer_add_printf(out, "%-24s %-8s %8s %s\n", "USER", "FROM",
		    "SESSIONS", "OWN POLICY");
	int first = 1;
	for (size_t i = 0; i < hc->nusers; i++) {
		const struct hubconf_user *u = &hc->users[i];
		const char *from = admin_user_managed(srv, hc->name, u->name) ?
		    "console" : u->line > 0 ? "file" : "generated";
		uint32_t n = admin_user_sessions(srv, h, u->name);
		if (show && strcmp(u->name, l->argv[1]) != 0)
			continue;
		if (json) {
			evbuffer_add_printf(out, "%s{\"name\":", first ? "" :
			    ",");
			control_json_str(out, u->name);
			evbuffer_add_printf(out, ",\"from\":\"%s\",\"sessions\":"
			    "%u,\"password\":%s,\"public_key\":", from, n,
			    u->password != NULL ? "true" : "false");
			if (u->public_key != NULL)
				control_json_str(out, u->public_key);
			else
				evbuffer_add_printf(out, "null");
			evbuffer_add_printf(out, ",\"policy\":");
			admin_policy(out, &u->policy, show, 1);
			evbuffer_add_printf(out, "}");
		} else if (show) {
			evbuffer_add_printf(out, "user %s on %s (from %s), %u "
			    "session%s\n  logs in by: %s%s", u->name, hc->name,
			    from, n, n == 1 ? "" : "s",
			    u->password != NULL ? "password" : "",
			    u->password != NULL && u->public_key != NULL ?
			    ", " : "");
			if (u->public_key != NULL)
				evbuffer_add_printf(out, "key %s",
				    u->public_key);
			evbuffer_add_printf(out, "\n  policy: ");
			admin_policy(out, &u->policy, 1, 0);
			evbuffer_add_printf(out, "\n");
		} else {
			evbuffer_add_printf(out, "%-24s %-8s %8u ", u->name,
			    from, n);
			admin_policy(out, &u->policy, 0, 0);
			evbuffer_add_printf(out, "\n");
		}
		first = 0;
	}
	if (json)
		evbuffer_add_printf(out, "%s}\n", show ? "" : "]");
	return 0;
}

static int
admin_reload(struct srv *srv, int json, struct evbuffer *out)
{
	char err[1024];

	if (reload_config(srv, err, sizeof err) != 0)
		return admin_fail(out, json, "reload refused: %s; the running "
		    "configuration stays", err);
	if (json)
		evbuffer_add_printf(out, "{\"ok\":true,\"hubs\":%zu}\n",
		    srv->cfg->nhubs);
	else
		evbuffer_add_printf(out, "configuration reloaded: %zu virtual "
		    "hub%s\n", srv->cfg->nhubs, srv->cfg->nhubs == 1 ? "" :
		    "s");
	return 0;
}

/* One parsed command: 0 done, -1 refused (the reason is in out). */
static int
admin_exec(struct srv *srv, const struct admincmd_line *l, int json,
    struct evbuffer *out)
{
	switch (l->cmd->id) {
	case ADMINCMD_HELP:
		return admin_help(l, json, out);
	case ADMINCMD_STATUS:
		return admin_status(srv, json, out);
	case ADMINCMD_HUB_LIST:
		return admin_hub_list(srv, json, out);
	case ADMINCMD_SESSION_LIST:
		return admin_session_list(srv, l, json, out);
	case ADMINCMD_SESSION_SHOW:
		return admin_session_show(srv, l, json, out);
	case ADMINCMD_SESSION_KICK:
		return admin_session_kick(srv, l, json, out);
	case ADMINCMD_MAC_LIST:
	case ADMINCMD_IP_LIST:
		return admin_tables(srv, l, json, out);
	case ADMINCMD_MAC_DELETE:
	case ADMINCMD_IP_DELETE:
		return admin_table_delete(srv, l, json, out);
	case ADMINCMD_LOG_LEVEL:
		return admin_log_level(l, json, out);
	case ADMINCMD_CONFIG_SHOW:
		return admin_config_show(srv, json, out);
	case ADMINCMD_RELOAD:
		return admin_reload(srv, json, out);
	case ADMINCMD_USER_LIST:
	case ADMINCMD_USER_SHOW:
		return admin_users(srv, l, json, out);
	case ADMINCMD_HUB_CREATE:
	case ADMINCMD_HUB_DELETE:
	case ADMINCMD_HUB_ONLINE:
	case ADMINCMD_HUB_OFFLINE:
	case ADMINCMD_HUB_SET:
	case ADMINCMD_USER_ADD:
	case ADMINCMD_USER_PASSWORD:
	case ADMINCMD_USER_DELETE:
	case ADMINCMD_USER_POLICY:
	case ADMINCMD_USER_KEY:
		return adminset_exec(srv, l, json, out);
	case ADMINCMD_QUIT:
		if (json)
			evbuffer_add_printf(out, "{\"ok\":true}\n");
		return 0;
	case ADMINCMD_HUB_CAPTURE:
		/* The control socket streams it (capture.c) before this. */
		return admin_fail(out, json, "hub capture is local only: run "
		    "softether --admin -e 'hub capture HUB' on the hub's "
		    "machine (its control socket)");
	}
	return admin_fail(out, json, "unknown command");
}

int
admin_line(struct srv *srv, const char *line, size_t len, int json,
    struct evbuffer *out)
{
	struct admincmd_line *l = malloc(sizeof *l);
	char err[256];
	int rc;

	if (l == NULL)
		return admin_fail(out, json, "out of memory");
	if (admincmd_parse(line, len, l, err, sizeof err) != 0)
		rc = admin_fail(out, json, "%s", err);
	else if (l->cmd == NULL)
		rc = json ? (evbuffer_add_printf(out, "{\"ok\":true}\n"), 0) : 0;
	else
		rc = admin_exec(srv, l, json, out);
	free(l);
	return rc;
}
