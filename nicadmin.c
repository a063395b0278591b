/*
 * nicadmin.c: the card's control socket commands (status, help) and the
 * one function that prints how the card is, for that socket (text or JSON)
 * and for SIGUSR1's log line. Pure over a struct nic_status snapshot but
 * for nicadmin_exec, which takes it from the card.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/buffer.h>

#include "admin.h"
#include "control.h"
#include "log.h"
#include "nicadmin.h"

#define NICADMIN_HELP_COL  24   /* where the help text starts, as the hub's */
#define NICADMIN_ERR_MAX   256  /* bytes of the last error shown */

static const struct admincmd nicadmin_cmds[] = {
	{ ADMINCMD_STATUS, "status", 0, 0, "",
	  "state, hub, transport, user, since when, traffic both ways, "
	  "resumes, last error, interface, MAC, offload, address and DHCP "
	  "(the default)" },
	{ ADMINCMD_HELP, "help", 0, 1, "[COMMAND]",
	  "list the commands, or describe one" },
};
#define NICADMIN_N (sizeof nicadmin_cmds / sizeof nicadmin_cmds[0])

const struct admincmd *
nicadmin_table(size_t *n)
{
	*n = NICADMIN_N;
	return nicadmin_cmds;
}

/* ISO 8601 in UTC, or "-" for never. */
static const char *
nicadmin_when(char buf[32], time_t t)
{
	struct tm tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, 32, "-");
	return buf;
}

/* host:port, an IPv6 address in brackets. */
static const char *
nicadmin_hub(char *buf, size_t len, const struct nic_status *st)
{
	snprintf(buf, len, strchr(st->host, ':') != NULL ? "[%s]:%u" : "%s:%u",
	    st->host, (unsigned)st->port);
	return buf;
}

static const char *
nicadmin_addressing(const struct nic_status *st)
{
	return st->addressing != NULL ? st->addressing : "none";
}

/* A string, or null for "". */
static void
nicadmin_json_opt(struct evbuffer *out, const char *s)
{
	if (s[0] != '\0')
		control_json_str(out, s);
	else
		evbuffer_add_printf(out, "null");
}

/* ,"addressing":...,"address":...,"dhcp":{...} or null */
static void
nicadmin_json_addr(const struct nic_status *st, struct evbuffer *out)
{
	char when[32];

	evbuffer_add_printf(out, ",\"addressing\":\"%s\",\"address\":",
	    nicadmin_addressing(st));
	nicadmin_json_opt(out, st->address);
	if (st->dhcp_state == NULL) {
		evbuffer_add_printf(out, ",\"dhcp\":null");
		return;
	}
	evbuffer_add_printf(out, ",\"dhcp\":{\"state\":\"%s\",\"server\":",
	    st->dhcp_state);
	nicadmin_json_opt(out, st->dhcp_server);
	evbuffer_add_printf(out, ",\"router\":");
	nicadmin_json_opt(out, st->dhcp_router);
	evbuffer_add_printf(out, ",\"default_route\":%s,\"renew_at\":",
	    st->dhcp_route ? "true" : "false");
	nicadmin_json_opt(out, st->dhcp_renew_at != 0 ?
	    nicadmin_when(when, st->dhcp_renew_at) : "");
	evbuffer_add_printf(out, ",\"expires_at\":");
	nicadmin_json_opt(out, st->dhcp_expires_at != 0 ?
	    nicadmin_when(when, st->dhcp_expires_at) : "");
	evbuffer_add_printf(out, ",\"leases\":%" PRIu32 ",\"renewals\":%"
	    PRIu32 ",\"losses\":%" PRIu32 "}", st->dhcp_leases,
	    st->dhcp_renewals, st->dhcp_losses);
}

/* address  ADDR/PREFIX (static), or (dhcp: state, server..., renews...) */
static void
nicadmin_text_addr(const struct nic_status *st, struct evbuffer *out)
{
	char when[32];

	if (strcmp(nicadmin_addressing(st), "none") == 0) {
		evbuffer_add_printf(out, "address     none\n");
		return;
	}
	evbuffer_add_printf(out, "address     %s (%s",
	    st->address[0] != '\0' ? st->address : "none",
	    nicadmin_addressing(st));
	if (st->dhcp_state != NULL) {
		evbuffer_add_printf(out, ": %s", st->dhcp_state);
		if (st->dhcp_server[0] != '\0')
			evbuffer_add_printf(out, ", server %s", st->dhcp_server);
		if (st->dhcp_router[0] != '\0')
			evbuffer_add_printf(out, ", router %s%s",
			    st->dhcp_router, st->dhcp_route ?
			    " (default route)" : "");
		if (st->dhcp_renew_at != 0)
			evbuffer_add_printf(out, ", renews %s",
			    nicadmin_when(when, st->dhcp_renew_at));
		if (st->dhcp_expires_at != 0)
			evbuffer_add_printf(out, ", expires %s",
			    nicadmin_when(when, st->dhcp_expires_at));
	}
	evbuffer_add_printf(out, ")\n");
}

static void
nicadmin_json(const struct nic_status *st, struct evbuffer *out)
{
	char hub[300], when[32];

	evbuffer_add_printf(out, "{\"ok\":true,\"interface\":");
	control_json_str(out, st->ifname);
	evbuffer_add_printf(out, ",\"mac\":\"%s\",\"offload\":%s,\"state\":"
	    "\"%s\",\"phase\":\"%s\",\"state_since\":\"%s\",\"state_for_s\":"
	    "%.1f,\"hub\":", st->mac, st->offload ? "true" : "false",
	    nic_state_name(st->state), nic_state_name(st->phase),
	    nicadmin_when(when, st->state_since), st->state_for_s);
	control_json_str(out, nicadmin_hub(hub, sizeof hub, st));
	evbuffer_add_printf(out, ",\"hub_host\":");
	control_json_str(out, st->host);
	evbuffer_add_printf(out, ",\"hub_port\":%u,\"hub_name\":",
	    (unsigned)st->port);
	control_json_str(out, st->hub_name);
	evbuffer_add_printf(out, ",\"transport\":");
	control_json_str(out, st->via);
	evbuffer_add_printf(out, ",\"tcp_congestion\":");
	if (st->tcp_congestion[0] != '\0')
		control_json_str(out, st->tcp_congestion);
	else
		evbuffer_add_printf(out, "null");
	evbuffer_add_printf(out, ",\"user\":");
	control_json_str(out, st->user);
	nicadmin_json_addr(st, out);
	if (st->session != 0)
		evbuffer_add_printf(out, ",\"session\":%" PRIu64 ",\"session_"
		    "since\":\"%s\",\"session_for_s\":%.1f", st->session,
		    nicadmin_when(when, st->session_since), st->session_for_s);
	else
		evbuffer_add_printf(out, ",\"session\":null,\"session_since\":"
		    "null,\"session_for_s\":null");
	evbuffer_add_printf(out, ",\"in_bytes\":%" PRIu64 ",\"in_frames\":%"
	    PRIu64 ",\"out_bytes\":%" PRIu64 ",\"out_frames\":%" PRIu64
	    ",\"resumes\":%" PRIu32 ",\"lost\":%" PRIu64 ",\"dropped\":%"
	    PRIu64 ",\"coalesced\":%" PRIu64 ",\"last_error\":", st->in_bytes,
	    st->in_frames, st->out_bytes, st->out_frames, st->resumes, st->lost,
	    st->dropped, st->coalesced);
	if (st->last_error[0] != '\0') {
		control_json_str(out, st->last_error);
		evbuffer_add_printf(out, ",\"last_error_at\":\"%s\"}\n",
		    nicadmin_when(when, st->last_error_at));
	} else
		evbuffer_add_printf(out, "null,\"last_error_at\":null}\n");
}

static void
nicadmin_text(const struct nic_status *st, struct evbuffer *out)
{
	char hub[300], when[32], err[LOG_SAFE_LEN(NICADMIN_ERR_MAX)];

	evbuffer_add_printf(out, "interface   %s, MAC %s, offload %s\n"
	    "state       %s since %s (%.1f s)%s%s\n"
	    "hub         %s, virtual hub %s, via %s%s%s%s, user %s\n",
	    st->ifname, st->mac, st->offload ? "on" : "off",
	    nic_state_name(st->state), nicadmin_when(when, st->state_since),
	    st->state_for_s, st->phase != st->state ? ", now " : "",
	    st->phase != st->state ? nic_state_name(st->phase) : "",
	    nicadmin_hub(hub, sizeof hub, st), st->hub_name, st->via,
	    st->tcp_congestion[0] ? " (TCP " : "", st->tcp_congestion,
	    st->tcp_congestion[0] ? ")" : "", st->user);
	nicadmin_text_addr(st, out);
	if (st->session != 0)
		evbuffer_add_printf(out, "session     %" PRIu64 ", up since %s "
		    "(%.1f s), resumes %" PRIu32 "\n", st->session,
		    nicadmin_when(when, st->session_since), st->session_for_s,
		    st->resumes);
	else
		evbuffer_add_printf(out, "session     none\n");
	evbuffer_add_printf(out, "in          %" PRIu64 " frames, %" PRIu64
	    " bytes, %" PRIu64 " coalesced\nout         %" PRIu64 " frames, %"
	    PRIu64 " bytes\nlost        %" PRIu64 " frames, dropped %" PRIu64
	    "\n", st->in_frames, st->in_bytes, st->coalesced, st->out_frames,
	    st->out_bytes, st->lost, st->dropped);
	if (st->last_error[0] != '\0')
		evbuffer_add_printf(out, "last error  %s: %s\n",
		    nicadmin_when(when, st->last_error_at),
		    log_safe(err, sizeof err, st->last_error));
	else
		evbuffer_add_printf(out, "last error  none\n");
}

/* The line SIGUSR1 logs: what it always said first, then the rest. */
static void
nicadmin_line(const struct nic_status *st, struct evbuffer *out)
{
	char hub[300], w1[32], w2[32], err[LOG_SAFE_LEN(NICADMIN_ERR_MAX)];

	evbuffer_add_printf(out, "status %s: %s, hub %s via %s, session %"
	    PRIu64 ", in=%" PRIu64 "B/%" PRIu64 "fr out=%" PRIu64 "B/%" PRIu64
	    "fr resumes=%" PRIu32 " lost=%" PRIu64 " dropped=%" PRIu64
	    " offload=%s hub_name=%s user=%s mac=%s since=%s phase=%s "
	    "session_since=%s last_error=", st->ifname,
	    nic_state_name(st->state),
	    nicadmin_hub(hub, sizeof hub, st), st->via, st->session,
	    st->in_bytes, st->in_frames, st->out_bytes, st->out_frames,
	    st->resumes, st->lost, st->dropped, st->offload ? "on" : "off",
	    st->hub_name, st->user, st->mac,
	    nicadmin_when(w1, st->state_since), nic_state_name(st->phase),
	    nicadmin_when(w2, st->session != 0 ? st->session_since : 0));
	if (st->last_error[0] != '\0')
		evbuffer_add_printf(out, "\"%s\"", log_safe(err, sizeof err,
		    st->last_error));
	else
		evbuffer_add_printf(out, "none");
	evbuffer_add_printf(out, " addressing=%s address=%s",
	    nicadmin_addressing(st), st->address[0] != '\0' ? st->address :
	    "none");
	if (st->dhcp_state != NULL)
		evbuffer_add_printf(out, " dhcp=%s renew_at=%s", st->dhcp_state,
		    nicadmin_when(w1, st->dhcp_renew_at));
	evbuffer_add_printf(out, " coalesced=%" PRIu64 " tcp=%s", st->coalesced,
	    st->tcp_congestion[0] ? st->tcp_congestion : "none");
}

void
nicadmin_status(const struct nic_status *st, enum nicadmin_fmt fmt,
    struct evbuffer *out)
{
	switch (fmt) {
	case NICADMIN_LINE:
		nicadmin_line(st, out);
		break;
	case NICADMIN_TEXT:
		nicadmin_text(st, out);
		break;
	case NICADMIN_JSON:
		nicadmin_json(st, out);
		break;
	}
}

static int
nicadmin_help(const struct admincmd_line *l, int json, struct evbuffer *out)
{
	int first = 1, found = 0;

	if (json)
		evbuffer_add_printf(out, "{\"ok\":true,\"commands\":[");
	for (size_t i = 0; i < NICADMIN_N; i++) {
		const struct admincmd *c = &nicadmin_cmds[i];
		int w = (int)(strlen(c->words) + (c->args[0] ?
		    1 + strlen(c->args) : 0));
		if (l->argc == 1 && strcmp(l->argv[0], c->words) != 0)
			continue;
		found++;
		if (json) {
			evbuffer_add_printf(out, "%s{\"command\":\"%s\","
			    "\"args\":\"%s\",\"help\":", first ? "" : ",",
			    c->words, c->args);
			control_json_str(out, c->help);
			evbuffer_add_printf(out, "}");
		} else
			evbuffer_add_printf(out, "%s%s%s%*s %s\n", c->words,
			    c->args[0] ? " " : "", c->args,
			    w < NICADMIN_HELP_COL ? NICADMIN_HELP_COL - w : 0,
			    "", c->help);
		first = 0;
	}
	if (json)
		evbuffer_add_printf(out, "]}\n");
	if (!found) {
		char show[LOG_SAFE_LEN(32)];
		evbuffer_drain(out, evbuffer_get_length(out));
		return admin_fail(out, json, "help: no command '%s'",
		    log_safe(show, sizeof show, l->argv[0]));
	}
	return 0;
}

int
nicadmin_run(const struct nic_status *st, const char *line, size_t len,
    int json, struct evbuffer *out)
{
	struct admincmd_line *l = malloc(sizeof *l);
	char err[256];
	int rc;

	if (l == NULL)
		return admin_fail(out, json, "out of memory");
	if (admincmd_parse_table(nicadmin_cmds, NICADMIN_N, line, len, l, err,
	    sizeof err) != 0)
		rc = admin_fail(out, json, "%s", err);
	else if (l->cmd == NULL || l->cmd->id == ADMINCMD_STATUS) {
		nicadmin_status(st, json ? NICADMIN_JSON : NICADMIN_TEXT, out);
		rc = 0;
	} else
		rc = nicadmin_help(l, json, out);
	free(l);
	return rc;
}

int
nicadmin_exec(void *nic, const char *line, size_t len, int json,
    struct evbuffer *out)
{
	struct nic_status st;

	nic_get_status(nic, &st);
	return nicadmin_run(&st, line, len, json, out);
}
