/*
 * nic.c: the virtual LAN card. An Ethernet device whose carrier follows the
 * session; a connect -> TLS -> login -> up cycle that starts again with
 * back-off whenever the connection ends, until the user stops it. While a
 * session is kept for a resume (session.c decides), retries are quick and
 * the carrier stays on.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <sodium.h>

#include "cfgload.h"
#include "clock.h"
#include "conn.h"
#include "control.h"
#include "dchan.h"
#include "hook.h"
#include "log.h"
#include "nic.h"
#include "nicadmin.h"
#include "nicdhcp.h"
#include "niclogin.h"
#include "pubkey.h"
#include "privdrop.h"
#include "sdnotify.h"
#include "session.h"
#include "tcpcc.h"
#include "trust.h"

#define NIC_BACKOFF_MIN_MS   1000u
#define NIC_BACKOFF_MAX_MS   30000u
#define NIC_DEV_BURST        64u   /* frames read from the device per wakeup */
#define NIC_EXIT_REFUSED     2
/* While a resume is possible, tries come every NIC_RESUME_RETRY_MS (with
 * jitter) for the first NIC_RESUME_FAST_MS of the cut, so a short cut heals
 * at once; then the interval doubles each time the cut doubles, up to
 * NIC_RESUME_MAX_MS, so after a long outage the cards do not all hammer a
 * hub that comes back. */
#define NIC_RESUME_RETRY_MS  1000u
#define NIC_RESUME_FAST_MS   10000u
#define NIC_RESUME_MAX_MS    8000u

struct nic {
	const struct nic_opts *o;
	struct event_base *base;
	nic_done_fn *done;
	void *done_arg;
	enum nic_state state;
	struct tlsio_conf tls;
	int have_tls;
	struct dev dev;
	uint8_t mac[ETHER_ADDR_LEN];
	struct event *dev_ev, *retry_ev, *watch_ev;
	struct transport_conn *tconn;  /* the transport still connecting */
	struct conn *c;                /* logging in, or carrying the session */
	int exit_code;
	int retry_now;                 /* the hub refused a resume: log in now */
	int attempt_after_end;         /* the session ends with its link */
	uint32_t resume_tries;         /* since the cut */
	uint64_t cut_ms;               /* when the first resume try was due */
	uint32_t backoff_ms;
	char password[PROTO_MAX_SECRET + 1];
	size_t password_len;
	uint8_t sign_key[PUBKEY_SECRET]; /* --key-file's, if given */
	int have_key;
	/* The hub's last re-login ticket (memory only: it outlives the
	 * hub's process, not the card's). */
	uint8_t ticket[PROTO_TICKET_MAX];
	size_t ticket_len;
	int by_ticket;                 /* the login under way sent it */
	char proxy_password[PROTO_MAX_SECRET + 1];
	struct transport_target target;
	uint64_t dev_drops;
	uint64_t dev_bad;              /* offload metadata that did not fit */
	int offload;                   /* the hub takes offload items */
	unsigned burst, last_burst;    /* frames read this wakeup, the last */
	/* The session outlives connections while it can be resumed. */
	struct session sess;
	int have_sess;
	uint64_t sess_id;
	uint8_t token[PROTO_TOKEN_LEN];
	uint8_t scratch[VNET_FRAME_MAX]; /* super-frames cut */
	struct vnet_gro *gro;          /* frames from the hub coalesced for a
	                                  device that takes offloads; or NULL */
	struct hook *hook;             /* --up, --down: NULL if neither */
	struct nicdhcp *dhcp;          /* the DHCP client, or NULL */
	uint64_t stop_frames;          /* its last words (a RELEASE), sent
	                                  with the goodbye: no ack waited for */
	/* For softether --admin --nic and SIGUSR1 (nic_get_status). */
	struct control *ctl;
	time_t state_wall, sess_wall, error_wall, lost_wall;
	uint64_t state_ms, sess_ms, lost_ms; /* lost: the session's cut */
	char last_error[256];          /* as it came: may hold peer words */
};

static const char *const nic_state_names[] = {
	"connecting", "tls", "login", "up", "cut-resuming", "backing-off",
	"stopping", "stopped",
};

static void nic_connect(struct nic *n);

/* Read the device when it is readable (a lost bridge has no fd). */
static void
nic_dev_arm(struct nic *n)
{
	if (n->dev.fd >= 0)
		event_add(n->dev_ev, NULL);
}

/* What went wrong last, for the status (logged apart, as it always was). */
static void __attribute__((format(printf, 2, 3)))
nic_error(struct nic *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(n->last_error, sizeof n->last_error, fmt, ap);
	va_end(ap);
	n->error_wall = time(NULL);
}

static void
nic_set_state(struct nic *n, enum nic_state st)
{
	if (n->state == st)
		return;
	log_debug("%s: %s -> %s", n->o->ifname, nic_state_names[n->state],
	    nic_state_names[st]);
	n->state = st;
	n->state_wall = time(NULL);
	n->state_ms = clock_now_ms();
	/* --daemon: the first login went through. */
	if (st == NIC_UP && n->o->settled != NULL)
		n->o->settled(0);
	if (n->o->drop_privileges) {
		/* Under systemd: the state in `systemctl status`. */
		char text[sizeof n->o->host + 64];
		snprintf(text, sizeof text, "STATUS=%s: %s (hub %s:%u)",
		    n->o->ifname, nic_state_names[st], n->o->host,
		    (unsigned)n->o->port);
		sd_notify_text(text);
	}
}

enum nic_state
nic_state(const struct nic *n)
{
	return n->state;
}

const char *
nic_state_name(enum nic_state st)
{
	return (unsigned)st <= NIC_STOPPED ? nic_state_names[st] : "?";
}

/* The TAP's address: how it got it, and DHCP's state and times. */
static void
nic_addr_status(const struct nic *n, uint64_t now, struct nic_status *st)
{
	struct nicdhcp_status ds;
	time_t wall = time(NULL);

	if (n->dhcp == NULL) {
		st->addressing = n->o->ip != NULL ? "static" : "none";
		snprintf(st->address, sizeof st->address, "%s",
		    n->o->ip != NULL ? n->o->ip : "");
		return;
	}
	st->addressing = "dhcp";
	nicdhcp_get_status(n->dhcp, now, &ds);
	st->dhcp_state = dhcpcli_state_name(ds.state);
	st->dhcp_leases = ds.leases;
	st->dhcp_renewals = ds.renewals;
	st->dhcp_losses = ds.losses;
	if (ds.ip == 0)
		return;
	dhcp_format_ip(ds.ip, st->address);
	snprintf(st->address + strlen(st->address), sizeof st->address -
	    strlen(st->address), "/%u", ds.prefix);
	if (ds.server != 0)
		dhcp_format_ip(ds.server, st->dhcp_server);
	if (ds.router != 0)
		dhcp_format_ip(ds.router, st->dhcp_router);
	st->dhcp_route = ds.route;
	if (ds.renew_in_ms != UINT64_MAX)
		st->dhcp_renew_at = wall + (time_t)(ds.renew_in_ms / 1000u);
	if (ds.expires_in_ms != UINT64_MAX)
		st->dhcp_expires_at = wall + (time_t)(ds.expires_in_ms /
		    1000u);
}

void
nic_get_status(const struct nic *n, struct nic_status *st)
{
	const struct session_stats *ss = &n->sess.st;
	uint64_t now = clock_now_ms();
	int up = n->have_sess;

	memset(st, 0, sizeof *st);
	st->ifname = n->o->ifname;
	st->host = n->o->host;
	st->port = n->o->port;
	st->hub_name = n->o->hub_name;
	st->via = n->o->via->name;
	st->user = n->o->user;
	ether_format_mac(n->mac, st->mac);
	st->state = st->phase = n->state;
	st->state_since = n->state_wall;
	st->state_for_s = (double)(now - n->state_ms) / 1e3;
	/* Each try of a resume connects and logs in again: all of it is the
	 * cut, since the session's link was lost. */
	if (up && n->state != NIC_UP && n->state != NIC_STOPPING &&
	    n->state != NIC_STOPPED) {
		st->state = NIC_CUT;
		st->state_since = n->lost_wall;
		st->state_for_s = (double)(now - n->lost_ms) / 1e3;
	}
	if (up) {
		st->session = n->sess_id;
		st->session_since = n->sess_wall;
		st->session_for_s = (double)(now - n->sess_ms) / 1e3;
		st->in_bytes = ss->rx_bytes;
		st->in_frames = ss->rx_frames;
		st->out_bytes = ss->tx_bytes;
		st->out_frames = ss->tx_frames;
		st->resumes = ss->resumes;
		st->lost = ss->budget_dropped + ss->rx_lost;
		st->dropped = ss->tx_dropped;
	}
	st->dropped += n->dev_drops;
	st->coalesced = n->gro != NULL ? n->gro->merged : 0;
	st->offload = n->offload;
	if (n->c != NULL && strcmp(tcpcc_get(n->c->fd, st->tcp_congestion,
	    sizeof st->tcp_congestion), "?") == 0)
		st->tcp_congestion[0] = '\0';	/* ssh's socketpair */
	st->last_error = n->last_error;
	st->last_error_at = n->error_wall;
	nic_addr_status(n, now, st);
}

struct dev *
nic_dev(struct nic *n)
{
	return &n->dev;
}

struct conn *
nic_conn(struct nic *n)
{
	return n->c;
}

static int
nic_stopping(const struct nic *n)
{
	return n->state == NIC_STOPPING || n->state == NIC_STOPPED;
}

/* The session came up or went down for good: the hooks hear of it. */
static void
nic_hook(struct nic *n, enum hook_event ev, const char *reason)
{
	char mac[ETHER_ADDR_STR];
	struct hook_vars v = { .ifname = n->o->ifname, .ip = n->o->ip,
	    .hub = n->o->host, .port = n->o->port, .hub_name = n->o->hub_name,
	    .user = n->o->user, .transport = n->o->via->name,
	    .session = n->sess_id, .reason = reason };

	if (n->hook == NULL)
		return;
	if (!(n->o->dev->flags & DEV_F_BRIDGE)) {
		ether_format_mac(n->mac, mac);
		v.mac = mac;
	}
	hook_event(n->hook, ev, &v);
}

static void nic_finish(struct nic *n);

static void
nic_hooks_idle(void *arg)
{
	nic_finish(arg);
}

static void
nic_finish(struct nic *n)
{
	if (n->state == NIC_STOPPED)
		return;
	/* A lease off the interface, however the card came to stop. */
	if (n->dhcp != NULL)
		nicdhcp_stop(n->dhcp, clock_now_ms());
	/* The down hook has run (or been stopped) before the card is done. */
	if (hook_is_up(n->hook))
		nic_hook(n, HOOK_DOWN, "client stopping");
	if (hook_wait(n->hook, nic_hooks_idle, n))
		return;
	nic_set_state(n, NIC_STOPPED);
	n->done(n->done_arg, n->exit_code);
}

/* A refusal retrying cannot fix: stop with exit status 2 once c closes. */
static void
nic_refused(struct nic *n, struct conn *c, const char *why)
{
	n->exit_code = NIC_EXIT_REFUSED;
	nic_set_state(n, NIC_STOPPING);
	conn_close(c, why);
}

void
nic_stop(struct nic *n, int code)
{
	if (nic_stopping(n))
		return;
	n->exit_code = code;
	nic_set_state(n, NIC_STOPPING);
	event_del(n->retry_ev);
	if (n->tconn != NULL) {
		n->o->via->cancel(n->tconn);
		n->tconn = NULL;
	}
	/* The RELEASE goes out ahead of the goodbye. */
	if (n->dhcp != NULL) {
		uint64_t before = n->have_sess ? session_unacked(&n->sess) : 0;
		nicdhcp_stop(n->dhcp, clock_now_ms());
		if (n->have_sess) {
			n->stop_frames = session_unacked(&n->sess) - before;
			session_flush(&n->sess);
		}
	}
	if (n->c != NULL && n->have_sess && n->sess.conn == n->c)
		session_close(&n->sess, PROTO_BYE_NORMAL, "client stopping");
	else if (n->c != NULL)
		conn_goodbye(n->c, PROTO_BYE_NORMAL, "client stopping");
	else
		nic_finish(n);
}

/* Fast while a resume is possible, else exponential back-off with
 * jitter; or, if stopping, the end. */
static void
nic_next_attempt(struct nic *n)
{
	uint32_t wait;

	if (nic_stopping(n)) {
		nic_finish(n);
		return;
	}
	if (n->retry_now) {
		n->retry_now = 0;
		wait = 0;
	} else if (n->have_sess) {
		uint64_t now = clock_now_ms(), fast = NIC_RESUME_FAST_MS;
		uint32_t base = NIC_RESUME_RETRY_MS;
		if (n->resume_tries++ == 0)
			n->cut_ms = now;
		for (; now - n->cut_ms >= fast && base < NIC_RESUME_MAX_MS;
		    fast *= 2)
			base *= 2;
		wait = base / 2 + randombytes_uniform(base / 2 + 1);
	} else {
		wait = n->backoff_ms / 2 +
		    randombytes_uniform(n->backoff_ms / 2 + 1);
		n->backoff_ms *= 2;
		if (n->backoff_ms > NIC_BACKOFF_MAX_MS)
			n->backoff_ms = NIC_BACKOFF_MAX_MS;
	}
	struct timeval tv = { wait / 1000, (wait % 1000) * 1000 };
	log_info("reconnecting in %.1f s", wait / 1000.0);
	nic_set_state(n, n->have_sess ? NIC_CUT : NIC_BACKOFF);
	event_add(n->retry_ev, &tv);
}

/* The session is over for good: what was not delivered is lost. */
static void
nic_drop_session(struct nic *n, const char *why)
{
	struct session_stats *st = &n->sess.st;

	uint64_t undelivered;

	if (!n->have_sess)
		return;
	undelivered = session_unacked(&n->sess) + st->budget_dropped;
	/* Sent with the goodbye, as the goodbye is: not lost for want of an
	 * acknowledgement that a goodbye never waits for. */
	if (nic_stopping(n))
		undelivered -= n->stop_frames < undelivered ? n->stop_frames :
		    undelivered;
	/* Stopping as asked, with nothing lost, is no warning. */
	if (nic_stopping(n) && undelivered == 0)
		log_info("%s: session %llu ended: %s (in=%llufr out=%llufr "
		    "resumes=%u)", n->o->ifname, (unsigned long long)n->sess_id,
		    why, (unsigned long long)st->rx_frames,
		    (unsigned long long)st->tx_frames, st->resumes);
	else {
		log_warn("%s: session %llu lost: %s (%llu frames not "
		    "delivered; in=%llufr out=%llufr resumes=%u)",
		    n->o->ifname, (unsigned long long)n->sess_id, why,
		    (unsigned long long)undelivered,
		    (unsigned long long)st->rx_frames,
		    (unsigned long long)st->tx_frames, st->resumes);
		nic_error(n, "session %llu lost: %s",
		    (unsigned long long)n->sess_id, why);
	}
	nic_hook(n, HOOK_DOWN, why);
	session_free(&n->sess);
	n->have_sess = 0;
	n->resume_tries = 0;
	event_del(n->dev_ev);
	if (n->state != NIC_UP) {
		n->o->dev->set_carrier(&n->dev, 0);
		log_info("%s: no carrier", n->o->ifname);
	}
}

static void
nic_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	nic_connect(arg);
}

static int
nic_tls_up(struct conn *c, void *arg)
{
	struct nic *n = arg;
	struct niclogin l;

	nic_set_state(n, NIC_LOGIN);
	switch (trust_hub(&c->tls, n->o->host, n->o->port, n->o->fingerprint,
	    n->tls.have_ca, n->o->known_hubs)) {
	case TRUST_NO_CERT:
		conn_close(c, "hub sent no certificate");
		return -1;
	case TRUST_MISMATCH:
		nic_error(n, "certificate fingerprint mismatch");
		nic_refused(n, c, "certificate fingerprint mismatch");
		return -1;
	default:
		break;
	}

	l = (struct niclogin){ .hub_name = n->o->hub_name,
	    .via = n->o->via->name, .user = n->o->user,
	    .password = n->password, .password_len = n->password_len,
	    .sign_key = n->have_key ? n->sign_key : NULL,
	    .offload = n->dev.offload && !n->o->no_offload,
	    .resume = n->have_sess, .session_id = n->sess_id,
	    .token = n->token, .rx_last = n->sess.rx_last,
	    .ticket = n->ticket, .ticket_len = n->ticket_len };
	n->by_ticket = !n->have_sess && n->ticket_len > 0;
	if (niclogin_send(c, &l) == 0)
		return 0;
	conn_close(c, "cannot send the login messages");
	return -1;
}

/* An ERROR in place of the welcome. */
static void
nic_login_error(struct nic *n, struct conn *c, const struct proto_error *e)
{
	char text[LOG_SAFE_LEN(128)];
	enum niclogin_next next = niclogin_error_next(e->code);

	/* The hub's words, as a log line may carry them. */
	log_safe(text, sizeof text, e->text);
	nic_error(n, "login refused by hub: %s", e->text);
	if (next == NICLOGIN_AFRESH) {
		log_warn("hub cannot resume session %llu (%s); logging in "
		    "afresh", (unsigned long long)n->sess_id, text);
		nic_drop_session(n, "the hub no longer has it");
		n->retry_now = 1;
		conn_close(c, text);
		return;
	}
	if (next == NICLOGIN_PASSWORD) {
		log_info("hub refused the re-login ticket (%s); logging in "
		    "with the %s", text, n->have_key ? "key" : "password");
		sodium_memzero(n->ticket, sizeof n->ticket);
		n->ticket_len = 0;
		n->retry_now = 1;
		conn_close(c, text);
		return;
	}
	if (next == NICLOGIN_REFUSED) {
		log_err("login refused by hub: %s", text);
		nic_refused(n, c, text);
		return;
	}
	log_warn("login refused by hub: %s", text);
	conn_close(c, text);
}

static const struct session_cbs nic_session_cbs;

/* A fresh session from the hub's welcome. 0 or -1. */
static int
nic_new_session(struct nic *n, const struct proto_welcome *w)
{
	nic_drop_session(n, "the hub started a new one");
	if (niclogin_session_init(&n->sess, n->base, n->o->resume_budget,
	    n->o->resume_window_ms, n->o->ifname, &nic_session_cbs, n) != 0)
		return -1;
	n->have_sess = 1;
	n->sess_id = w->session_id;
	memcpy(n->token, w->token, PROTO_TOKEN_LEN);
	n->sess_wall = time(NULL);
	n->sess_ms = clock_now_ms();
	return 0;
}

static void
nic_login_msg(struct conn *c, const struct proto_msg *m, void *arg)
{
	struct nic *n = arg;
	const struct proto_welcome *w = &m->u.welcome;
	int fresh = 0;

	if (m->type == PROTO_MSG_ERROR) {
		nic_login_error(n, c, &m->u.error);
		return;
	}
	if (m->type != PROTO_MSG_WELCOME) {
		conn_close(c, "unexpected message from hub");
		return;
	}
	if (niclogin_start(c, w, n->o->keepalive_ms) != 0)
		return;
	n->offload = n->dev.offload && !n->o->no_offload &&
	    (w->caps & PROTO_CAP_OFFLOAD) != 0;
	niclogin_keep_ticket(w, n->ticket, &n->ticket_len);
	if (niclogin_resumes(w, n->have_sess, n->sess_id)) {
		double cut_s = (double)(clock_now_ms() - n->sess.cut_ms) / 1e3;
		uint64_t again = niclogin_resume(&n->sess, c, w);
		log_info("%s resumed session %llu after %.1f s: hub had frames "
		    "up to %llu, %llu frames sent again", n->o->ifname,
		    (unsigned long long)n->sess_id, cut_s,
		    (unsigned long long)w->rx_last, (unsigned long long)again);
	} else {
		if (nic_new_session(n, w) != 0) {
			conn_close(c, "out of memory starting a session");
			return;
		}
		session_attach(&n->sess, c, 0);
		fresh = 1;
		log_info("%s up: connected to %s:%u via %s, hub=%s "
		    "session=%llu cipher=%s (%s) offload=%s%s", n->o->ifname,
		    n->o->host, n->o->port, n->o->via->name, n->o->hub_name,
		    (unsigned long long)w->session_id,
		    dchan_cipher_name((enum dchan_cipher)w->cipher),
		    dchan_impl_name((enum dchan_cipher)w->cipher),
		    n->offload ? "on" : n->dev.offload ? "off (hub)" : "off",
		    n->by_ticket ? " login=ticket" : "");
	}
	nic_set_state(n, NIC_UP);
	n->backoff_ms = NIC_BACKOFF_MIN_MS;
	n->resume_tries = 0;
	n->o->dev->set_carrier(&n->dev, 1);
	nic_dev_arm(n);
	/* A new session, not a resume: a cut is not a new link. */
	if (fresh)
		nic_hook(n, HOOK_UP, NULL);
	if (fresh && n->dhcp != NULL)
		nicdhcp_start(n->dhcp, clock_now_ms());
}

/* The connection ended before the hub welcomed it. */
static void
nic_login_closed(struct conn *c, const char *reason, void *arg)
{
	struct nic *n = arg;

	n->c = NULL;
	/* A chain that --ca does not trust stays untrusted however often it
	 * is tried, as a fingerprint that does not match. */
	if (c->tls.untrusted && !nic_stopping(n)) {
		log_err("%s (--ca %s, hub %s); refusing to connect: give the CA "
		    "that signed the hub's certificate, or pin it with "
		    "--fingerprint", reason, n->o->ca_file, n->o->host);
		n->exit_code = NIC_EXIT_REFUSED;
		nic_set_state(n, NIC_STOPPING);
	}
	if (n->have_sess) {
		log_warn("resume attempt failed: %s", reason);
		nic_error(n, "resume attempt failed: %s", reason);
	} else if (n->exit_code != NIC_EXIT_REFUSED) {
		log_warn("connection to %s:%u failed: %s", n->o->host,
		    n->o->port, reason);
		nic_error(n, "connection to %s:%u failed: %s", n->o->host,
		    n->o->port, reason);
	}
	nic_next_attempt(n);
}

static void
nic_login_item(struct conn *c, const struct proto_item *item, void *arg)
{
}

static const struct conn_cbs nic_login_cbs = {
	.tls_up = nic_tls_up,
	.login_msg = nic_login_msg,
	.item = nic_login_item,
	.closed = nic_login_closed,
};

/* A frame onto the device, with offload metadata (checked) or none. */
static int
nic_write(void *arg, const struct vnet_meta *vm, const uint8_t *f,
    size_t len)
{
	struct nic *n = arg;

	if (n->o->dev->write(&n->dev, vm, f, len) != 0)
		n->dev_drops++;
	return 0;
}

static void
nic_gro_flush(struct nic *n)
{
	if (n->gro != NULL)
		vnet_gro_flush(n->gro, nic_write, n);
}

static int
nic_write_plain(void *arg, const uint8_t *f, size_t len)
{
	return nic_write(arg, NULL, f, len);
}

/* A DHCP reply for the card's client (its checksum complete). */
static int
nic_dhcp_input(void *arg, const uint8_t *f, size_t len)
{
	struct nic *n = arg;

	nicdhcp_input(n->dhcp, clock_now_ms(), f, len);
	return 0;
}

/* A frame the client made: into the session as if the TAP had sent it
 * (queued while cut; nowhere to go between sessions). */
static void
nic_dhcp_send(void *arg, const uint8_t *f, size_t len)
{
	struct nic *n = arg;

	if (n->have_sess)
		session_send_frame(&n->sess, f, len);
}

/* A frame from the hub, in order and once: onto the card's wire. A
 * super-frame goes to the kernel whole if the device takes offloads and
 * its metadata fits it; else it is cut here. UDP to port 68 for the
 * card's MAC is its DHCP client's, and goes no further: the TAP's stack
 * has no use for it (and would answer a unicast one with an ICMP error). */
static void
nic_deliver(void *arg, const struct vnet_meta *vm, const uint8_t *f,
    size_t len, uint64_t now_ms)
{
	struct nic *n = arg;

	if (vm != NULL && vnet_check(vm, f, len, PROTO_ETH_MAX_FRAME) !=
	    VNET_OK) {
		n->dev_bad++;
		return;
	}
	if (vm != NULL && vnet_meta_plain(vm))
		vm = NULL;
	if (n->dhcp != NULL && nicdhcp_wants(f, len, n->mac)) {
		if (vm == NULL)
			nic_dhcp_input(n, f, len);
		else
			(void)vnet_undo(vm, f, len, n->scratch, nic_dhcp_input,
			    n);
		return;
	}
	/* n->gro exactly when the device takes offloads. */
	if (vm == NULL && n->gro != NULL)
		vnet_gro_add(n->gro, f, len, nic_write, n);
	else if (vm == NULL)
		(void)nic_write(n, NULL, f, len);
	else if (n->gro == NULL)
		(void)vnet_undo(vm, f, len, n->scratch, nic_write_plain, n);
	else {
		nic_gro_flush(n);
		(void)nic_write(n, vm, f, len);
	}
}

/* The items of a read are all delivered: a run being coalesced goes. */
static void
nic_rx_done(void *arg)
{
	nic_gro_flush(arg);
}

static void
nic_writable(void *arg)
{
	struct nic *n = arg;

	if (n->have_sess)
		nic_dev_arm(n);
}

static void
nic_link_down(void *arg, const char *reason, int kept)
{
	struct nic *n = arg;

	/* Delivered, so not to be lost with the connection. */
	nic_gro_flush(n);
	n->c = NULL;
	if (!kept) {
		/* ended() follows: the next attempt once it is dropped. */
		if (!nic_stopping(n))
			nic_set_state(n, NIC_BACKOFF);
		n->attempt_after_end = 1;
		return;
	}
	/* The cable stays plugged in while a resume can hide the cut from
	 * applications. */
	log_warn("%s: connection lost (%s); resuming, session kept %.1f s",
	    n->o->ifname, reason, n->o->resume_window_ms / 1000.0);
	nic_error(n, "connection lost: %s", reason);
	n->lost_wall = time(NULL);
	n->lost_ms = clock_now_ms();
	nic_next_attempt(n);
}

static void
nic_ended(void *arg, const char *reason)
{
	struct nic *n = arg;

	nic_gro_flush(n);
	nic_drop_session(n, reason);
	if (n->attempt_after_end) {
		n->attempt_after_end = 0;
		nic_next_attempt(n);
	}
}

static const struct session_cbs nic_session_cbs = {
	.deliver = nic_deliver,
	.rx_done = nic_rx_done,
	.writable = nic_writable,
	.link_down = nic_link_down,
	.ended = nic_ended,
};

static int
nic_send_plain(void *arg, const uint8_t *f, size_t len)
{
	struct nic *n = arg;

	session_send_frame(&n->sess, f, len);
	return 0;
}

/* A frame from the device into the session; nonzero stops the batch. A
 * super-frame goes whole to a hub that takes it; else it is cut here. */
static int
nic_dev_frame(void *arg, const struct vnet_meta *vm, uint8_t *f, size_t len)
{
	struct nic *n = arg;

	/* While cut, frames queue in the session for the resume. */
	if (vm == NULL)
		session_send_frame(&n->sess, f, len);
	else if (n->offload && vnet_check(vm, f, len, PROTO_ETH_MAX_FRAME) ==
	    VNET_OK)
		session_send(&n->sess, vm, f, len);
	else {
		/* Its segments go into the session's open batch: not where
		 * the frame may have been read to. */
		if (session_space_holds(&n->sess, f)) {
			memcpy(n->dev.buf, f, len);
			f = n->dev.buf;
		}
		if (vnet_undo(vm, f, len, n->scratch, nic_send_plain, n) ==
		    VNET_BAD)
			n->dev.st.rx_bad++;
	}
	/* Sparse traffic (the last wakeup read one frame): the first frame
	 * goes out now, not after the read that finds the device empty. */
	if (++n->burst == 1 && n->last_burst <= 1) {
		struct conn *c = n->sess.conn;
		if (c != NULL)
			conn_hold(c);
		session_flush(&n->sess);
		if (c != NULL)
			conn_push(c);
	}
	return n->sess.conn != NULL && conn_congested(n->sess.conn);
}

/* A frame is read straight into the session's open batch. The device reads
 * there only when its largest frame fits, and a fresh batch has room for
 * PROTO_OFFLOAD_MAX_FRAME (test_session's test_space): so it must be no
 * larger, or no frame would ever be read in place. */
_Static_assert(DEV_FRAME_MAX <= PROTO_OFFLOAD_MAX_FRAME,
    "a fresh batch holds the largest frame a device reads");
static uint8_t *
nic_dev_space(void *arg, size_t *room)
{
	struct nic *n = arg;

	return session_space(&n->sess, room);
}

static void
nic_dev_cb(evutil_socket_t fd, short what, void *arg)
{
	struct nic *n = arg;

	if (!n->have_sess || (n->sess.conn != NULL &&
	    conn_congested(n->sess.conn))) {
		/* Let the device queue fill: the kernel drops, TCP inside
		 * the tunnel backs off. writable() resumes. */
		event_del(n->dev_ev);
		return;
	}
	n->burst = 0;
	n->o->dev->read_batch(&n->dev, nic_dev_frame, n, NIC_DEV_BURST);
	n->last_burst = n->burst;
}

/* The device's fd changed (a bridged interface lost or back): a read
 * event for the new one, armed as the old one was. */
static void
nic_watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct nic *n = arg;
	int armed;

	if (!n->o->dev->watch(&n->dev))
		return;
	armed = event_pending(n->dev_ev, EV_READ, NULL);
	event_free(n->dev_ev);
	n->dev_ev = event_new(n->base, n->dev.fd, EV_READ | EV_PERSIST,
	    nic_dev_cb, n);
	if (n->dev_ev == NULL)
		fatal("out of memory");
	/* Congestion, if any, disarms it again at its first read. */
	if (armed || n->have_sess)
		nic_dev_arm(n);
}

static void
nic_connected(void *arg, int fd, const char *err)
{
	struct nic *n = arg;

	n->tconn = NULL;
	if (fd < 0) {
		log_warn("%s", err);
		nic_error(n, "%s", err);
		nic_next_attempt(n);
		return;
	}
	nic_set_state(n, NIC_TLS);
	n->c = conn_new(n->base, fd, &n->tls, n->o->host, &nic_login_cbs, n);
	if (n->c == NULL) {
		log_warn("out of memory starting a session");
		nic_next_attempt(n);
		return;
	}
	n->c->dead_peer_ms = n->o->dead_peer_ms;
}

static void
nic_connect(struct nic *n)
{
	log_info("connecting to %s:%u via %s", n->o->host, n->o->port,
	    n->o->via->name);
	nic_set_state(n, NIC_CONNECTING);
	n->tconn = n->o->via->connect(n->base, &n->target, nic_connected, n);
	if (n->tconn == NULL)
		nic_next_attempt(n);
}

/* The first line of a file, without its line end: a password. 0, or -1
 * with err. */
static int
nic_read_secret(const char *opt, const char *path, char *out, size_t cap,
    size_t *len, char *err, size_t errlen)
{
	if (cfg_read_line(opt, path, out, cap, len, err, errlen) != 0)
		return -1;
	if (*len == 0) {
		snprintf(err, errlen, "%s %s: the first line (the password) is "
		    "empty", opt, path);
		return -1;
	}
	return 0;
}

int
nic_parse_hostport(const char *s, char *host, size_t hostlen,
    uint16_t *port, uint16_t default_port)
{
	const char *colon = NULL, *h = s;
	size_t hl;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (rb == NULL || (rb[1] != '\0' && rb[1] != ':'))
			return -1;
		h = s + 1;
		hl = (size_t)(rb - h);
		colon = rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = strchr(s, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			colon = NULL; /* a bare IPv6 address */
		hl = colon ? (size_t)(colon - s) : strlen(s);
	}
	if (hl == 0 || hl >= hostlen)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = default_port;
	if (colon != NULL) {
		char *end;
		long p = strtol(colon + 1, &end, 10);
		if (*end != '\0' || p < 1 || p > 65535)
			return -1;
		*port = (uint16_t)p;
	}
	return 0;
}

/* The built-in DHCP client runs: asked for, and not on a bridge. */
static int
nic_runs_dhcp(const struct nic_opts *o)
{
	return o->addressing == NIC_ADDR_DHCP && o->ip == NULL &&
	    !(o->dev->flags & DEV_F_BRIDGE);
}

/* What a start checks before it touches the system (and --check-config
 * with it): the secrets read, the transport's needs, the MAC, the CA file.
 * 0, or -1 with err. */
static int
nic_prepare(struct nic *n, char *err, size_t errlen)
{
	const struct nic_opts *o = n->o;

	if (o->key_file != NULL) {
		uint8_t pk[PUBKEY_LEN];
		if (pubkey_load("--key-file", o->key_file, n->sign_key, pk,
		    err, errlen) != 0)
			return -1;
		n->have_key = 1;
	} else if (nic_read_secret("--password-file", o->password_file,
	    n->password, sizeof n->password, &n->password_len, err,
	    errlen) != 0)
		return -1;
	n->target = o->target;
	n->target.host = o->host;
	n->target.port = o->port;
	if (o->proxy_password_file != NULL) {
		size_t len;
		if (nic_read_secret("--proxy-password-file",
		    o->proxy_password_file, n->proxy_password,
		    sizeof n->proxy_password, &len, err, errlen) != 0)
			return -1;
		n->target.proxy_password = n->proxy_password;
	}
	const char *lack = o->via->check ? o->via->check(&n->target) : NULL;
	if (lack != NULL) {
		snprintf(err, errlen, "--via %s: %s", o->via->name, lack);
		return -1;
	}
	char why[384];
	if (tcpcc_check(n->target.tcp_congestion, why, sizeof why) != 0) {
		snprintf(err, errlen, "--tcp-congestion: %s", why);
		return -1;
	}
	if (o->mac != NULL) {
		if (ether_parse_mac(o->mac, n->mac) != 0) {
			snprintf(err, errlen, "--mac %s: expected a unicast MAC "
			    "like 5e:01:02:03:04:05", o->mac);
			return -1;
		}
	} else
		ether_random_mac(n->mac);
	if (tlsio_conf_client(&n->tls, o->ca_file, err, errlen) != 0)
		return -1;
	n->have_tls = 1;
	return 0;
}

int
nic_check(const struct nic_opts *o, char *err, size_t errlen)
{
	struct nic *n = calloc(1, sizeof *n);
	int rc;

	if (n == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	n->o = o;
	rc = nic_prepare(n, err, errlen);
	if (n->have_tls)
		tlsio_conf_free(&n->tls);
	sodium_memzero(n->password, sizeof n->password);
	sodium_memzero(n->sign_key, sizeof n->sign_key);
	sodium_memzero(n->proxy_password, sizeof n->proxy_password);
	free(n);
	return rc;
}

/* Secrets, MAC, TLS and the device: everything a start needs. 0 or -1
 * (logged). */
static int
nic_setup(struct nic *n)
{
	const struct nic_opts *o = n->o;
	char err[512], mac[ETHER_ADDR_STR];

	if (nic_prepare(n, err, sizeof err) != 0) {
		log_err("%s", err);
		return -1;
	}
	/* Before the device: a second card on this interface is told why. */
	if (o->control_path != NULL)
		control_nic_sweep(o->control_path);
	if (o->control_path != NULL && (n->ctl = control_open(n->base,
	    o->control_path, nicadmin_exec, n)) == NULL && errno == EADDRINUSE) {
		log_err("%s: another card runs on this interface: its control "
		    "socket %s answers (softether --admin --nic %s asks it); "
		    "stop it first%s", o->ifname, o->control_path, o->ifname,
		    o->dev->flags & DEV_F_BRIDGE ? "" :
		    ", or choose another --tap");
		return -1;
	}
	if (o->dev->open(&n->dev, n->mac, err, sizeof err) != 0) {
		log_err("%s", err);
		return -1;
	}
	if (n->dev.offload) {
		if ((n->gro = malloc(sizeof *n->gro)) == NULL) {
			log_err("%s: out of memory", o->ifname);
			return -1;
		}
		vnet_gro_init(n->gro, PROTO_ETH_MAX_FRAME);
	}
	if ((o->ip != NULL || nic_runs_dhcp(o)) && o->dev->set_addr == NULL) {
		log_err("--ip: a %s device takes no address (--ip none)",
		    o->dev->kind);
		return -1;
	}
	if (o->ip != NULL) {
		if (o->dev->set_addr(&n->dev, o->ip, err, sizeof err) != 0) {
			log_err("%s", err);
			return -1;
		}
	}
	/* What needed root is open: keep CAP_NET_ADMIN (carrier, and a
	 * bridge's CAP_NET_RAW to reopen its interface), give up the rest. */
	if (o->drop_privileges && privdrop_card((o->dev->flags &
	    DEV_F_BRIDGE) != 0, o->up != NULL || o->down != NULL ||
	    (nic_runs_dhcp(o) && o->dhcp_dns), err, sizeof err) != 0) {
		log_err("%s", err);
		return -1;
	}
	if (o->dev->flags & DEV_F_BRIDGE)
		return 0;	/* it logged what it opened */
	ether_format_mac(n->mac, mac);
	log_info("%s created, MAC %s%s%s, no carrier until connected",
	    o->ifname, mac, o->ip ? ", address " : nic_runs_dhcp(o) ?
	    ", address by DHCP" : "", o->ip ? o->ip : "");
	return 0;
}

struct nic *
nic_new(struct event_base *base, const struct nic_opts *o, nic_done_fn *done,
    void *arg)
{
	struct nic *n = calloc(1, sizeof *n);

	if (n == NULL) {
		log_err("out of memory starting the card");
		return NULL;
	}
	n->o = o;
	n->base = base;
	n->done = done;
	n->done_arg = arg;
	n->backoff_ms = NIC_BACKOFF_MIN_MS;
	n->state_wall = time(NULL);
	n->state_ms = clock_now_ms();
	dev_init(&n->dev, o->dev, o->ifname);
	n->dev.no_offload = o->no_offload;
	n->dev.space = nic_dev_space;
	if (nic_setup(n) != 0) {
		nic_free(n);
		return NULL;
	}
	n->dev_ev = event_new(base, n->dev.fd, EV_READ | EV_PERSIST,
	    nic_dev_cb, n);
	n->retry_ev = evtimer_new(base, nic_retry_cb, n);
	if (n->dev_ev == NULL || n->retry_ev == NULL) {
		log_err("out of memory starting the card");
		nic_free(n);
		return NULL;
	}
	if ((o->up != NULL || o->down != NULL) &&
	    (n->hook = hook_new(base, o->up, o->down)) == NULL) {
		nic_free(n);
		return NULL;
	}
	if (nic_runs_dhcp(o)) {
		struct nicdhcp_conf dc = { .ifname = o->ifname,
		    .dns = o->dhcp_dns,
		    .default_route = o->dhcp_default_route };
		memcpy(dc.mac, n->mac, ETHER_ADDR_LEN);
		if ((n->dhcp = nicdhcp_new(base, &dc, nic_dhcp_send,
		    n)) == NULL) {
			log_err("out of memory starting the card");
			nic_free(n);
			return NULL;
		}
	}
	if (o->dev->watch != NULL) {
		struct timeval tv = { DEV_WATCH_MS / 1000u,
		    DEV_WATCH_MS % 1000u * 1000u };
		n->watch_ev = event_new(base, -1, EV_PERSIST, nic_watch_cb, n);
		if (n->watch_ev == NULL) {
			log_err("out of memory starting the card");
			nic_free(n);
			return NULL;
		}
		event_add(n->watch_ev, &tv);
	}
	nic_connect(n);
	return n;
}

void
nic_free(struct nic *n)
{
	if (n == NULL)
		return;
	if (n->tconn != NULL)
		n->o->via->cancel(n->tconn);
	if (n->o->via->shutdown != NULL && !n->o->embedded)
		n->o->via->shutdown();
	/* A connection still logging in (a resume attempt, too) is not the
	 * session's: it must not call back into a freed card. */
	if (n->c != NULL && (!n->have_sess || n->sess.conn != n->c))
		conn_abandon(n->c, "card freed");
	if (n->have_sess)
		session_free(&n->sess);
	hook_free(n->hook);
	nicdhcp_free(n->dhcp);
	free(n->gro);
	if (n->dev_ev)
		event_free(n->dev_ev);
	if (n->retry_ev)
		event_free(n->retry_ev);
	if (n->watch_ev)
		event_free(n->watch_ev);
	if (n->have_tls)
		tlsio_conf_free(&n->tls);
	control_free(n->ctl);
	if (n->o->dev->flags & DEV_F_BRIDGE) {
		const struct dev_stats *st = &n->dev.st;
		log_info("bridge %s: to hub %llufr, from hub %llufr, kept on "
		    "the LAN %llu, bad %llu, super-frames %llu, not "
		    "delivered %llu, interface lost %llu times", n->o->ifname,
		    (unsigned long long)st->rx_frames,
		    (unsigned long long)st->tx_frames,
		    (unsigned long long)st->rx_local,
		    (unsigned long long)st->rx_bad,
		    (unsigned long long)st->gso_frames,
		    (unsigned long long)st->tx_dropped,
		    (unsigned long long)st->lost);
	}
	if (n->dev.fd >= 0 || n->dev.peer_fd >= 0 || n->dev.priv != NULL)
		n->o->dev->close(&n->dev);
	sodium_memzero(n->password, sizeof n->password);
	sodium_memzero(n->sign_key, sizeof n->sign_key);
	sodium_memzero(n->proxy_password, sizeof n->proxy_password);
	sodium_memzero(n->ticket, sizeof n->ticket);
	free(n);
}

struct nic_loop {
	struct event_base *base;
	struct nic *nic;
	int code;
	int stopped;
};

static void
nic_run_done(void *arg, int code)
{
	struct nic_loop *l = arg;

	l->code = code;
	l->stopped = 1;
	event_base_loopexit(l->base, NULL);
}

/* SIGUSR1: how the card is, in one line: the facts softether --admin
 * --nic shows, printed by the same function. */
static void
nic_log_status(const struct nic *n)
{
	struct evbuffer *b = evbuffer_new();
	struct nic_status st;

	if (b == NULL)
		return;
	nic_get_status(n, &st);
	nicadmin_status(&st, NICADMIN_LINE, b);
	evbuffer_add(b, "", 1);
	log_info("%s", (const char *)evbuffer_pullup(b, -1));
	evbuffer_free(b);
}

/* --daemon: not up after NIC_SETTLE_S; the card detaches and keeps
 * trying. */
static void
nic_settle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct nic_loop *l = arg;

	if (l->nic->state == NIC_UP)
		return;
	log_info("%s: not up after %d s; going on in the background, still "
	    "trying", l->nic->o->ifname, NIC_SETTLE_S);
	l->nic->o->settled(NIC_SETTLE_TRYING);
}

static void
nic_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct nic_loop *l = arg;

	if (sig == SIGUSR1) {
		nic_log_status(l->nic);
		return;
	}
	if (sig == SIGHUP) {
		/* Not a reason to drop the line without a goodbye. */
		log_info("signal %d: a card reads its options only at start; "
		    "restart it to change them", (int)sig);
		return;
	}
	if (nic_stopping(l->nic)) {
		event_base_loopexit(l->base, NULL);
		return;
	}
	log_info("signal %d: disconnecting", (int)sig);
	nic_stop(l->nic, 0);
}

int
nic_run(const struct nic_opts *o)
{
	struct nic_loop l = { NULL, NULL, 1, 0 };
	struct event *sig_int = NULL, *sig_term = NULL, *sig_usr1 = NULL;
	struct event *sig_hup = NULL, *settle = NULL;

	signal(SIGPIPE, SIG_IGN);
	if ((l.base = event_base_new()) == NULL) {
		log_err("cannot create the event loop");
		return 1;
	}
	l.nic = nic_new(l.base, o, nic_run_done, &l);
	if (l.nic != NULL) {
		/* The device is up (no carrier yet): systemd may go on. */
		sd_notify_text("READY=1");
		sig_int = evsignal_new(l.base, SIGINT, nic_signal_cb, &l);
		sig_term = evsignal_new(l.base, SIGTERM, nic_signal_cb, &l);
		sig_usr1 = evsignal_new(l.base, SIGUSR1, nic_signal_cb, &l);
		sig_hup = evsignal_new(l.base, SIGHUP, nic_signal_cb, &l);
		event_add(sig_hup, NULL);
		event_add(sig_int, NULL);
		event_add(sig_term, NULL);
		event_add(sig_usr1, NULL);
		if (o->settled != NULL && (settle = evtimer_new(l.base,
		    nic_settle_cb, &l)) != NULL)
			event_add(settle, &(struct timeval){ NIC_SETTLE_S, 0 });
		event_base_dispatch(l.base);
		if (!l.stopped)
			l.code = l.nic->exit_code;
		nic_free(l.nic);
		event_free(sig_int);
		event_free(sig_term);
		event_free(sig_usr1);
		event_free(sig_hup);
		if (settle != NULL)
			event_free(settle);
	}
	event_base_free(l.base);
	return l.code;
}
