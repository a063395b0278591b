/*
 * server.c: the hub daemon. Owns the listeners, one engine per virtual hub,
 * and a srv_sess per connection (login, then a port on its hub). Frames from
 * a session go through hub_input() and out to the sessions it names; each
 * destination batches them into records that are sealed once the read that
 * produced them is done.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <event2/event.h>
#include <sodium.h>

#include "auth.h"
#include "cert.h"
#include "dchan.h"
#include "hub.h"
#include "log.h"
#include "server.h"
#include "conn.h"
#include "session.h"
#include "tap.h"

#define SRV_MAX_PENDING        512u  /* connections still in TLS or login */
#define SRV_MAX_PENDING_PER_IP 32u
#define SRV_AGE_INTERVAL_MS    5000u
#define SRV_EMFILE_PAUSE_MS    1000u
#define SRV_SHUTDOWN_GRACE_MS  2000u
#define SRV_GEN_USER           "user"
#define SRV_GEN_USERS_FILE     "generated-users"

struct srv;
struct srv_hub;

enum srv_sess_state {
	SRV_LOGIN = 0,   /* a new connection, not yet logged in */
	SRV_UP,          /* a session with its connection */
	SRV_DETACHED,    /* a session whose connection was cut: resumable */
};

/* A connection still logging in, or a logged-in session (which outlives
 * its connections while it is resumable). */
struct srv_sess {
	TAILQ_ENTRY(srv_sess) entry;    /* srv->sessions */
	struct srv *srv;
	enum srv_sess_state state;
	struct conn *c;                 /* NULL while detached */
	struct srv_hub *hub;            /* set by HELLO */
	struct hub_port port;           /* in the hub once logged in */
	struct session sess;            /* frames, acks, retransmission */
	struct event *window_ev;        /* resume window while detached */
	int got_hello, got_login;
	uint32_t peer_caps;
	uint64_t id;
	uint64_t started_ms;
	uint8_t token[PROTO_TOKEN_LEN];
	struct auth_job *job;
	const struct config_user *ucfg; /* its policy, once logged in */
	char user[PROTO_MAX_NAME + 1];
	char peer[64];
};
TAILQ_HEAD(srv_sess_list, srv_sess);

struct srv_hub {
	struct hub engine;
	const struct config_hub *cfg;
	uint32_t nsessions;
};

struct srv_listener {
	struct srv *srv;
	int fd;
	struct event *ev;
	char name[80];
};

struct srv {
	struct event_base *base;
	struct config *cfg;
	struct tlsio_conf tls;
	char fingerprint[CERT_FP_HEX];
	struct srv_listener *listeners;
	size_t nlisteners;
	struct srv_hub *hubs;
	size_t nhubs;
	struct srv_sess_list sessions;
	uint32_t npending;
	uint64_t next_id;
	struct auth_worker *auth;
	struct auth_throttle *throttle;
	struct event *age_ev, *resume_accept_ev, *grace_ev;
	struct event *sig_int, *sig_term, *sig_usr1;
	int stopping;
	uint64_t now_ms;        /* arrival time of the record being switched */
	uint32_t resume_window_ms;
	uint32_t dead_peer_ms;
	uint32_t keepalive_ms;
	size_t resume_budget;
};

static const struct conn_cbs srv_login_cbs, srv_session_cbs, srv_orphan_cbs;

static struct srv_hub *
srv_find_hub(struct srv *srv, const char *name)
{
	for (size_t i = 0; i < srv->nhubs; i++)
		if (strcmp(srv->hubs[i].engine.name, name) == 0)
			return &srv->hubs[i];
	return NULL;
}

static void
srv_refuse(struct srv_sess *ss, uint16_t code, const char *text)
{
	struct proto_msg m;

	memset(&m, 0, sizeof m);
	m.type = PROTO_MSG_ERROR;
	m.u.error.code = code;
	snprintf(m.u.error.text, sizeof m.u.error.text, "%s", text);
	conn_send_msg(ss->c, &m);
	conn_close(ss->c, text);
}

static void
srv_maybe_exit(struct srv *srv)
{
	if (srv->stopping && TAILQ_EMPTY(&srv->sessions))
		event_base_loopexit(srv->base, NULL);
}

/* Frames the engine refused from this session, per reason. */
static void
srv_log_drops(const struct srv_sess *ss)
{
	char line[512];
	size_t n = 0;

	line[0] = '\0';
	for (int r = 0; r < HUB_DROP_NREASONS; r++)
		if (ss->port.drops[r] > 0 && n < sizeof line)
			n += (size_t)snprintf(line + n, sizeof line - n, " %s=%llu",
			    hub_drop_name((enum hub_drop_reason)r),
			    (unsigned long long)ss->port.drops[r]);
	if (n > 0)
		log_info("session %llu drops:%s", (unsigned long long)ss->id,
		    line);
}

/* The one place a logged-in session ends. */
static void
srv_end(struct srv_sess *ss, const char *reason)
{
	struct srv *srv = ss->srv;
	struct session_stats *st = &ss->sess.st;
	uint32_t forgot = hub_port_remove(&ss->hub->engine, &ss->port);
	double secs = (double)(clock_now_ms() - ss->started_ms) / 1e3;

	ss->hub->nsessions--;
	log_info("session %llu down: user=%s from=%s hub=%s duration=%.1fs "
	    "in=%lluB/%llufr out=%lluB/%llufr dropped=%llu resumes=%u "
	    "lost=%llu macs_forgotten=%u reason=%s",
	    (unsigned long long)ss->id, ss->user, ss->peer,
	    ss->hub->engine.name, secs,
	    (unsigned long long)st->rx_bytes, (unsigned long long)st->rx_frames,
	    (unsigned long long)st->tx_bytes, (unsigned long long)st->tx_frames,
	    (unsigned long long)(st->tx_dropped + ss->port.drop_frames),
	    st->resumes, (unsigned long long)(st->budget_dropped +
	    st->rx_lost), forgot, reason);
	srv_log_drops(ss);
	session_free(&ss->sess);
	event_free(ss->window_ev);
	TAILQ_REMOVE(&srv->sessions, ss, entry);
	free(ss);
	srv_maybe_exit(srv);
}

static void
srv_window_cb(evutil_socket_t fd, short what, void *arg)
{
	srv_end(arg, "not resumed within the resume window");
}

/* A frame from the session's peer: through the engine, out to others. */
static void
srv_deliver(void *arg, const uint8_t *f, size_t len)
{
	struct srv_sess *ss = arg;
	struct hub *h = &ss->hub->engine;
	struct hub_port *p;
	struct hub_meta m;

	switch (hub_input(h, &ss->port, f, len, ss->srv->now_ms, &m)) {
	case HUB_UNICAST:
		session_send_frame(&((struct srv_sess *)m.dst->owner)->sess, f,
		    len);
		break;
	case HUB_FLOOD:
		TAILQ_FOREACH(p, &h->ports, entry)
			if (p != &ss->port && hub_egress_ok(p, &m))
				session_send_frame(
				    &((struct srv_sess *)p->owner)->sess, f, len);
		break;
	default:
		break;
	}
}

static void
srv_send_welcome(struct srv_sess *ss, struct conn *c, enum dchan_cipher ci,
    int resumed)
{
	struct proto_msg m;

	memset(&m, 0, sizeof m);
	m.type = PROTO_MSG_WELCOME;
	m.u.welcome.version = PROTO_VERSION;
	m.u.welcome.caps = dchan_local_caps() & ss->peer_caps;
	m.u.welcome.cipher = (uint8_t)ci;
	m.u.welcome.session_id = ss->id;
	m.u.welcome.max_frame = PROTO_ETH_MAX_FRAME;
	/* Often enough for our own dead-peer timer. */
	m.u.welcome.keepalive_ms = ss->srv->keepalive_ms < c->dead_peer_ms / 3 ?
	    ss->srv->keepalive_ms : c->dead_peer_ms / 3;
	memcpy(m.u.welcome.token, ss->token, PROTO_TOKEN_LEN);
	m.u.welcome.resumed = (uint8_t)resumed;
	m.u.welcome.rx_last = ss->sess.rx_last;
	conn_send_msg(c, &m);
	sodium_memzero(&m, sizeof m);
}

static void
srv_welcome(struct srv_sess *ss)
{
	struct srv *srv = ss->srv;
	struct conn *c = ss->c;
	enum dchan_cipher ci = dchan_pick(dchan_local_caps(), ss->peer_caps);

	if (ci == DCHAN_NONE) {
		srv_refuse(ss, PROTO_ERR_CIPHER, "no common data-channel cipher");
		return;
	}
	if (ss->hub->nsessions >= ss->hub->cfg->max_sessions) {
		log_warn("login refused: user=%s from=%s hub=%s: hub full "
		    "(max_sessions %u)", ss->user, c->peer,
		    ss->hub->engine.name, ss->hub->cfg->max_sessions);
		srv_refuse(ss, PROTO_ERR_FULL, "hub is full");
		return;
	}
	ss->window_ev = evtimer_new(srv->base, srv_window_cb, ss);
	if (ss->window_ev == NULL || session_init(&ss->sess, srv->base,
	    srv->resume_budget, 1, srv_deliver, ss) != 0) {
		conn_close(c, "out of memory starting a session");
		return;
	}
	randombytes_buf(ss->token, sizeof ss->token);
	srv_send_welcome(ss, c, ci, 0);
	if (conn_start_data(c, ci, PROTO_ETH_MAX_FRAME,
	    srv->keepalive_ms) != 0) {
		session_free(&ss->sess);
		conn_close(c, "cannot start the data channel");
		return;
	}
	srv->npending--;
	ss->state = SRV_UP;
	ss->started_ms = clock_now_ms();
	conn_set_owner(c, &srv_session_cbs, ss);
	hub_port_add(&ss->hub->engine, &ss->port, ss);
	hub_port_set_policy(&ss->port, ss->ucfg ? &ss->ucfg->policy.p : NULL);
	ss->hub->nsessions++;
	session_attach(&ss->sess, c, 0);
	log_info("session %llu up: user=%s from=%s hub=%s tls=%s cipher=%s",
	    (unsigned long long)ss->id, ss->user, ss->peer,
	    ss->hub->engine.name, tlsio_suite(&c->tls), dchan_cipher_name(ci));
}

static void
srv_auth_done(void *arg, int ok)
{
	struct srv_sess *ss = arg;
	struct srv *srv = ss->srv;
	const struct sockaddr *sa = (struct sockaddr *)&ss->c->peer_addr;

	ss->job = NULL;
	if (!ok) {
		auth_throttle_fail(srv->throttle, sa, clock_now_ms());
		log_warn("login refused: user=%s from=%s hub=%s: wrong user or "
		    "password", ss->user, ss->peer, ss->hub->engine.name);
		srv_refuse(ss, PROTO_ERR_AUTH, "wrong user or password");
		return;
	}
	auth_throttle_ok(srv->throttle, sa);
	const struct hub_policy *pol = &ss->ucfg->policy.p;
	if (pol->deny_access) {
		log_warn("login refused: user=%s from=%s hub=%s: deny_access "
		    "policy", ss->user, ss->peer, ss->hub->engine.name);
		srv_refuse(ss, PROTO_ERR_AUTH, "access denied by policy");
		return;
	}
	if (pol->max_sessions > 0) {
		uint32_t n = 0;
		struct srv_sess *o;
		TAILQ_FOREACH(o, &srv->sessions, entry)
			if (o != ss && o->state != SRV_LOGIN &&
			    o->hub == ss->hub && strcmp(o->user, ss->user) == 0)
				n++;
		if (n >= pol->max_sessions) {
			log_warn("login refused: user=%s from=%s hub=%s: "
			    "max_sessions %u reached", ss->user, ss->peer,
			    ss->hub->engine.name, pol->max_sessions);
			srv_refuse(ss, PROTO_ERR_FULL, "too many sessions for "
			    "this user");
			return;
		}
	}
	srv_welcome(ss);
}

/* RESUME: hand this connection to the session it names, and retransmit. */
static void
srv_resume(struct srv_sess *pend, const struct proto_resume *r)
{
	struct srv *srv = pend->srv;
	struct conn *c = pend->c;
	struct srv_sess *ss;
	enum dchan_cipher ci = dchan_pick(dchan_local_caps(), pend->peer_caps);

	TAILQ_FOREACH(ss, &srv->sessions, entry)
		if (ss->state != SRV_LOGIN && ss->id == r->session_id &&
		    ss->hub == pend->hub &&
		    sodium_memcmp(ss->token, r->token, PROTO_TOKEN_LEN) == 0)
			break;
	if (ss != NULL && ss->ucfg != NULL &&
	    ss->ucfg->policy.p.deny_reconnect) {
		log_info("resume refused: user=%s from=%s session=%llu: "
		    "deny_reconnect policy", ss->user, c->peer,
		    (unsigned long long)r->session_id);
		srv_refuse(pend, PROTO_ERR_RESUME, "this user's sessions cannot"
		    " be resumed (policy); log in again");
		return;
	}
	if (ss == NULL || ci == DCHAN_NONE) {
		log_info("resume refused: from=%s session=%llu: unknown or "
		    "expired", c->peer, (unsigned long long)r->session_id);
		srv_refuse(pend, PROTO_ERR_RESUME, "session unknown or expired;"
		    " log in again");
		return;
	}
	if (ss->c != NULL) {
		/* The client saw the cut before we did. */
		conn_set_owner(ss->c, &srv_orphan_cbs, NULL);
		conn_close(ss->c, "replaced by a resumed connection");
		session_detach(&ss->sess);
	}
	srv_send_welcome(ss, c, ci, 1);
	if (conn_start_data(c, ci, PROTO_ETH_MAX_FRAME,
	    srv->keepalive_ms) != 0) {
		conn_close(c, "cannot start the data channel");
		return;
	}
	event_del(ss->window_ev);
	conn_set_owner(c, &srv_session_cbs, ss);
	ss->c = c;
	ss->state = SRV_UP;
	snprintf(ss->peer, sizeof ss->peer, "%s", c->peer);
	ss->sess.st.resumes++;
	uint64_t before = ss->sess.st.retransmitted;
	session_attach(&ss->sess, c, r->rx_last);
	log_info("session %llu resumed: user=%s from=%s hub=%s: peer had "
	    "frames up to %llu, %llu frames sent again",
	    (unsigned long long)ss->id, ss->user, ss->peer,
	    ss->hub->engine.name, (unsigned long long)r->rx_last,
	    (unsigned long long)(ss->sess.st.retransmitted - before));
	/* The login-phase record is done with. */
	srv->npending--;
	TAILQ_REMOVE(&srv->sessions, pend, entry);
	free(pend);
}

static void
srv_login_msg(struct conn *c, const struct proto_msg *m, void *arg)
{
	struct srv_sess *ss = arg;
	struct srv *srv = ss->srv;
	char text[PROTO_MAX_ERROR_TEXT];

	if (srv->stopping) {
		srv_refuse(ss, PROTO_ERR_SHUTDOWN, "hub is shutting down");
		return;
	}
	switch (m->type) {
	case PROTO_MSG_HELLO:
		if (ss->got_hello)
			break;
		ss->got_hello = 1;
		if (m->u.hello.magic != PROTO_MAGIC ||
		    m->u.hello.version != PROTO_VERSION) {
			snprintf(text, sizeof text, "unsupported protocol "
			    "version %u (this hub speaks %u)",
			    m->u.hello.version, PROTO_VERSION);
			log_warn("login refused: from=%s: %s", c->peer, text);
			srv_refuse(ss, PROTO_ERR_VERSION, text);
			return;
		}
		ss->peer_caps = m->u.hello.caps;
		ss->hub = srv_find_hub(srv, m->u.hello.hub);
		if (ss->hub == NULL) {
			snprintf(text, sizeof text, "no hub named '%s'",
			    m->u.hello.hub);
			log_warn("login refused: from=%s: %s", c->peer, text);
			srv_refuse(ss, PROTO_ERR_NO_HUB, text);
			return;
		}
		return;
	case PROTO_MSG_RESUME:
		if (!ss->got_hello || ss->got_login)
			break;
		ss->got_login = 1;
		srv_resume(ss, &m->u.resume);
		return;
	case PROTO_MSG_AUTH: {
		if (!ss->got_hello || ss->got_login)
			break;
		ss->got_login = 1;
		snprintf(ss->user, sizeof ss->user, "%s", m->u.auth.user);
		if (m->u.auth.method != PROTO_AUTH_PASSWORD) {
			srv_refuse(ss, PROTO_ERR_AUTH, "unsupported login "
			    "method");
			return;
		}
		uint64_t wait = auth_throttle_check(srv->throttle,
		    (struct sockaddr *)&c->peer_addr, clock_now_ms());
		if (wait > 0) {
			snprintf(text, sizeof text, "too many failed logins "
			    "from this address; try again in %llu s",
			    (unsigned long long)(wait + 999) / 1000);
			log_warn("login refused: user=%s from=%s: throttled",
			    ss->user, c->peer);
			srv_refuse(ss, PROTO_ERR_THROTTLED, text);
			return;
		}
		if (!ss->hub->cfg->online) {
			log_warn("login refused: user=%s from=%s hub=%s: hub is "
			    "offline", ss->user, c->peer, ss->hub->engine.name);
			srv_refuse(ss, PROTO_ERR_FULL, "hub is offline");
			return;
		}
		const struct config_user *u = config_find_user(ss->hub->cfg,
		    m->u.auth.user);
		ss->ucfg = u;
		ss->job = auth_verify_async(srv->auth, u ? u->password : NULL,
		    m->u.auth.secret, m->u.auth.secret_len, srv_auth_done, ss);
		if (ss->job == NULL)
			srv_refuse(ss, PROTO_ERR_THROTTLED, "hub is busy; try "
			    "again");
		return;
	}
	default:
		break;
	}
	log_warn("login refused: from=%s: unexpected message %d", c->peer,
	    m->type);
	srv_refuse(ss, PROTO_ERR_PROTOCOL, "unexpected login message");
}

static void
srv_login_closed(struct conn *c, const char *reason, void *arg)
{
	struct srv_sess *ss = arg;
	struct srv *srv = ss->srv;

	if (ss->job != NULL)
		auth_job_cancel(ss->job);
	srv->npending--;
	log_debug("connection from %s closed before login: %s", c->peer,
	    reason);
	TAILQ_REMOVE(&srv->sessions, ss, entry);
	free(ss);
	srv_maybe_exit(srv);
}

static void
srv_item(struct conn *c, const struct proto_item *item, void *arg)
{
	struct srv_sess *ss = arg;

	ss->srv->now_ms = c->last_rx_ms;
	session_item(&ss->sess, item);
}

static void
srv_rx_done(struct conn *c, void *arg)
{
	session_rx_done(&((struct srv_sess *)arg)->sess);
}

static void
srv_writable(struct conn *c, void *arg)
{
	session_pump(&((struct srv_sess *)arg)->sess);
}

/* The session's connection ended: keep the session for a resume unless
 * either side said goodbye. */
static void
srv_session_closed(struct conn *c, const char *reason, void *arg)
{
	struct srv_sess *ss = arg;
	struct srv *srv = ss->srv;
	struct timeval win = { srv->resume_window_ms / 1000,
	    (srv->resume_window_ms % 1000) * 1000 };

	ss->c = NULL;
	session_detach(&ss->sess);
	if (c->peer_said_goodbye || c->said_goodbye || srv->stopping ||
	    (ss->ucfg != NULL && ss->ucfg->policy.p.deny_reconnect)) {
		srv_end(ss, reason);
		return;
	}
	ss->state = SRV_DETACHED;
	event_add(ss->window_ev, &win);
	log_info("session %llu cut: user=%s from=%s hub=%s: %s; keeping it "
	    "%.1f s for a resume", (unsigned long long)ss->id, ss->user,
	    ss->peer, ss->hub->engine.name, reason,
	    srv->resume_window_ms / 1000.0);
}

static void
srv_orphan_closed(struct conn *c, const char *reason, void *arg)
{
}

static void
srv_orphan_item(struct conn *c, const struct proto_item *item, void *arg)
{
}

static const struct conn_cbs srv_login_cbs = {
	.login_msg = srv_login_msg,
	.item = srv_orphan_item,
	.closed = srv_login_closed,
};

static const struct conn_cbs srv_session_cbs = {
	.item = srv_item,
	.rx_batch_done = srv_rx_done,
	.writable = srv_writable,
	.closed = srv_session_closed,
};

static const struct conn_cbs srv_orphan_cbs = {
	.item = srv_orphan_item,
	.closed = srv_orphan_closed,
};

/* ---- Listeners ------------------------------------------------------ */

static void
srv_accept_pause(struct srv *srv)
{
	struct timeval tv = { SRV_EMFILE_PAUSE_MS / 1000,
	    (SRV_EMFILE_PAUSE_MS % 1000) * 1000 };

	for (size_t i = 0; i < srv->nlisteners; i++)
		event_del(srv->listeners[i].ev);
	event_add(srv->resume_accept_ev, &tv);
}

static void
srv_accept_resume(evutil_socket_t fd, short what, void *arg)
{
	struct srv *srv = arg;

	for (size_t i = 0; i < srv->nlisteners && !srv->stopping; i++)
		event_add(srv->listeners[i].ev, NULL);
}

static int
srv_same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		    &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
	return 0;
}

static void
srv_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct srv_listener *l = arg;
	struct srv *srv = l->srv;

	for (;;) {
		struct sockaddr_storage ss_addr;
		socklen_t alen = sizeof ss_addr;
		int fd = accept4(lfd, (struct sockaddr *)&ss_addr, &alen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				log_warn("accept on %s: %s; pausing accept for "
				    "%u ms", l->name, strerror(errno),
				    SRV_EMFILE_PAUSE_MS);
				srv_accept_pause(srv);
			}
			return;
		}
		if (srv->npending >= SRV_MAX_PENDING) {
			log_warn("too many connections still logging in (%u); "
			    "refusing one", srv->npending);
			close(fd);
			continue;
		}
		uint32_t same = 0;
		struct srv_sess *o;
		TAILQ_FOREACH(o, &srv->sessions, entry)
			if (o->state == SRV_LOGIN &&
			    srv_same_host(&o->c->peer_addr, &ss_addr))
				same++;
		if (same >= SRV_MAX_PENDING_PER_IP) {
			close(fd);
			continue;
		}
		struct srv_sess *ss = calloc(1, sizeof *ss);
		if (ss == NULL) {
			close(fd);
			continue;
		}
		ss->srv = srv;
		ss->id = srv->next_id++;
		ss->c = conn_new(srv->base, fd, &srv->tls, NULL,
		    &srv_login_cbs, ss);
		if (ss->c == NULL) {
			free(ss);
			continue;
		}
		ss->c->dead_peer_ms = srv->dead_peer_ms;
		srv->npending++;
		TAILQ_INSERT_TAIL(&srv->sessions, ss, entry);
		snprintf(ss->peer, sizeof ss->peer, "%s", ss->c->peer);
		log_debug("connection from %s on %s", ss->peer, l->name);
	}
}

/* "ADDR:PORT", "[V6]:PORT" -> sockaddr. 0 or -1. */
static int
srv_parse_listen(const char *spec, struct sockaddr_storage *sa,
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

static int
srv_listen_one(struct srv *srv, const char *spec)
{
	struct sockaddr_storage sa;
	socklen_t salen;
	int one = 1, fd;

	if (srv_parse_listen(spec, &sa, &salen) != 0) {
		log_err("listen: '%s' is not ADDRESS:PORT", spec);
		return -1;
	}
	fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		if (sa.ss_family == AF_INET6 && errno == EAFNOSUPPORT) {
			log_warn("listen %s: IPv6 not available; skipped", spec);
			return 0;
		}
		log_err("listen %s: socket: %s", spec, strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (sa.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&sa, salen) != 0 ||
	    listen(fd, 512) != 0) {
		int e = errno;
		close(fd);
		if (sa.ss_family == AF_INET6 && e == EADDRNOTAVAIL) {
			log_warn("listen %s: IPv6 not configured; skipped", spec);
			return 0;
		}
		log_err("cannot listen on %s: %s%s", spec, strerror(e),
		    e == EADDRINUSE ? " (is another hub running? change "
		    "'listen' in the config)" : e == EACCES ?
		    " (ports below 1024 need root or CAP_NET_BIND_SERVICE)" :
		    "");
		return -1;
	}
	struct srv_listener *l = &srv->listeners[srv->nlisteners++];
	l->srv = srv;
	l->fd = fd;
	snprintf(l->name, sizeof l->name, "%s", spec);
	l->ev = event_new(srv->base, fd, EV_READ | EV_PERSIST, srv_accept_cb, l);
	event_add(l->ev, NULL);
	log_info("listening on %s", spec);
	return 0;
}

/* ---- First start: a generated user ---------------------------------- */

static int
srv_load_generated(struct srv *srv, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int n = 0;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		char hubname[PROTO_MAX_NAME + 1], user[PROTO_MAX_NAME + 1];
		char hash[AUTH_HASH_MAX];
		if (sscanf(line, "%64s %64s %127s", hubname, user, hash) != 3 ||
		    !auth_hash_valid(hash))
			continue;
		for (size_t i = 0; i < srv->cfg->nhubs; i++) {
			struct config_hub *h = &srv->cfg->hubs[i];
			if (strcmp(h->name, hubname) != 0)
				continue;
			struct config_user *nu = realloc(h->users,
			    (h->nusers + 1) * sizeof *nu);
			if (nu == NULL)
				break;
			h->users = nu;
			memset(&nu[h->nusers], 0, sizeof nu[h->nusers]);
			nu[h->nusers].policy = h->default_policy;
			nu[h->nusers].name = strdup(user);
			nu[h->nusers].password = strdup(hash);
			nu[h->nusers].line = 0;
			h->nusers++;
			n++;
		}
	}
	fclose(f);
	return n;
}

static void
srv_guess_host(char *out, size_t len)
{
	struct ifaddrs *ifa, *i;

	snprintf(out, len, "HUB-ADDRESS");
	if (getifaddrs(&ifa) != 0)
		return;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET)
			continue;
		struct sockaddr_in *a = (struct sockaddr_in *)i->ifa_addr;
		if ((ntohl(a->sin_addr.s_addr) >> 24) == 127)
			continue;
		inet_ntop(AF_INET, &a->sin_addr, out, (socklen_t)len);
		break;
	}
	freeifaddrs(ifa);
}

static int
srv_first_user(struct srv *srv)
{
	struct config *cfg = srv->cfg;
	char path[4096], tmp[4200], pw[24], hash[AUTH_HASH_MAX], host[64];
	size_t total = 0;

	for (size_t i = 0; i < cfg->nhubs; i++)
		total += cfg->hubs[i].nusers;
	if (total > 0)
		return 0;
	snprintf(path, sizeof path, "%s/%s", cfg->state_dir, SRV_GEN_USERS_FILE);
	if (srv_load_generated(srv, path) > 0) {
		log_info("no users in %s; using the generated user '%s' of "
		    "hub %s from %s", cfg->source, SRV_GEN_USER,
		    cfg->hubs[0].name, path);
		return 0;
	}
	/* 20 characters from a 32-letter alphabet: 100 bits. */
	static const char alpha[] = "abcdefghjkmnpqrstuvwxyz23456789AB";
	for (size_t i = 0; i < 20; i++)
		pw[i] = alpha[randombytes_uniform(32)];
	pw[20] = '\0';
	if (auth_hash_password(pw, 20, hash) != 0) {
		log_err("cannot hash the generated password");
		return -1;
	}
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL) {
		log_err("cannot write %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fprintf(f, "%s %s %s\n", cfg->hubs[0].name, SRV_GEN_USER, hash);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		log_err("cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	srv_load_generated(srv, path);
	srv_guess_host(host, sizeof host);
	const char *port = "443";
	if (cfg->nlisten > 0) {
		const char *c = strrchr(cfg->listen[0], ':');
		if (c != NULL)
			port = c + 1;
	}
	printf("\nNo users were configured, so one was created (its password "
	    "is shown only now):\n\n"
	    "  softether --nic --connect %s:%s --hub-name %s --user %s "
	    "--password-file <(echo '%s') --fingerprint %s\n\n",
	    host, port, cfg->hubs[0].name, SRV_GEN_USER, pw, srv->fingerprint);
	fflush(stdout);
	sodium_memzero(pw, sizeof pw);
	return 0;
}

/* ---- Signals and housekeeping -------------------------------------- */

static void
srv_age_cb(evutil_socket_t fd, short what, void *arg)
{
	struct srv *srv = arg;
	uint64_t now = clock_now_ms();

	for (size_t i = 0; i < srv->nhubs; i++) {
		uint32_t n = hub_age(&srv->hubs[i].engine, now);
		if (n > 0)
			log_debug("hub %s: %u MAC entries aged out",
			    srv->hubs[i].engine.name, n);
	}
}

struct srv_dump {
	struct hub *hub;
	uint64_t now;
};

static void
srv_dump_mac(void *arg, const struct hub_mac_entry *e)
{
	struct srv_dump *d = arg;
	struct srv_sess *ss = e->port->owner;
	char mac[18];

	tap_format_mac(e->mac, mac);
	log_info("mac hub=%s mac=%s session=%llu user=%s age=%llus",
	    d->hub->name, mac, (unsigned long long)ss->id, ss->user,
	    (unsigned long long)(d->now - e->seen_ms) / 1000);
}

static void
srv_dump(struct srv *srv)
{
	struct srv_sess *ss;
	uint64_t now = clock_now_ms();

	TAILQ_FOREACH(ss, &srv->sessions, entry) {
		if (ss->state == SRV_LOGIN)
			continue;
		struct session_stats *st = &ss->sess.st;
		log_info("status session=%llu user=%s from=%s hub=%s state=%s "
		    "in=%llufr out=%llufr dropped=%llu unacked=%llu "
		    "resumes=%u lost=%llu macs=%u", (unsigned long long)ss->id,
		    ss->user, ss->peer, ss->hub->engine.name,
		    ss->state == SRV_UP ? "up" : "cut",
		    (unsigned long long)st->rx_frames,
		    (unsigned long long)st->tx_frames,
		    (unsigned long long)(st->tx_dropped + ss->port.drop_frames),
		    (unsigned long long)session_unacked(&ss->sess), st->resumes,
		    (unsigned long long)(st->budget_dropped + st->rx_lost),
		    ss->port.macs);
		srv_log_drops(ss);
	}
	for (size_t i = 0; i < srv->nhubs; i++) {
		struct srv_dump d = { &srv->hubs[i].engine, now };
		struct hub_stats *st = &d.hub->stats;
		log_info("status hub=%s sessions=%u macs=%u frames=%llu "
		    "unicast=%llu flooded=%llu dropped=%llu", d.hub->name,
		    srv->hubs[i].nsessions, d.hub->nmacs,
		    (unsigned long long)st->frames_in,
		    (unsigned long long)st->unicast,
		    (unsigned long long)st->flooded,
		    (unsigned long long)st->dropped);
		hub_mac_foreach(d.hub, srv_dump_mac, &d);
	}
}

static void
srv_grace_cb(evutil_socket_t fd, short what, void *arg)
{
	struct srv *srv = arg;

	log_warn("sessions did not close in time; exiting anyway");
	event_base_loopexit(srv->base, NULL);
}

static void
srv_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct srv *srv = arg;
	struct srv_sess *ss, *next;
	struct timeval grace = { SRV_SHUTDOWN_GRACE_MS / 1000,
	    (SRV_SHUTDOWN_GRACE_MS % 1000) * 1000 };

	if (sig == SIGUSR1) {
		srv_dump(srv);
		return;
	}
	if (srv->stopping)
		return;
	srv->stopping = 1;
	log_info("signal %d: stopping; telling %s goodbye", (int)sig,
	    TAILQ_EMPTY(&srv->sessions) ? "no sessions" : "every session");
	for (size_t i = 0; i < srv->nlisteners; i++)
		event_del(srv->listeners[i].ev);
	event_del(srv->resume_accept_ev);
	event_del(srv->age_ev);
	/* A goodbye closes later (deferred); a cut session ends at once. */
	for (ss = TAILQ_FIRST(&srv->sessions); ss != NULL; ss = next) {
		next = TAILQ_NEXT(ss, entry);
		if (ss->c != NULL)
			conn_goodbye(ss->c, PROTO_BYE_SHUTDOWN,
			    "hub shutting down");
		else
			srv_end(ss, "hub shutting down");
	}
	event_add(srv->grace_ev, &grace);
	srv_maybe_exit(srv);
}

static int
srv_mkdir_p(const char *dir)
{
	char buf[4096];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, dir, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0700) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

int
server_run(struct config *cfg, const struct server_opts *o)
{
	struct srv srv;
	char err[512];
	int rc, code = 1;

	memset(&srv, 0, sizeof srv);
	srv.cfg = cfg;
	srv.next_id = 1;
	srv.resume_window_ms = o->resume_window_ms;
	srv.dead_peer_ms = o->dead_peer_ms;
	srv.keepalive_ms = o->keepalive_ms;
	srv.resume_budget = o->resume_budget;
	TAILQ_INIT(&srv.sessions);
	signal(SIGPIPE, SIG_IGN);

	if (srv_mkdir_p(cfg->state_dir) != 0) {
		log_err("cannot create state directory %s: %s (use --state-dir "
		    "or state_dir: in the config)", cfg->state_dir,
		    strerror(errno));
		return 1;
	}
	rc = cert_ensure(cfg->tls_cert, cfg->tls_key, "softether hub", err,
	    sizeof err);
	if (rc < 0) {
		log_err("%s", err);
		return 1;
	}
	if (rc == 1)
		log_info("generated a new ECDSA P-256 certificate %s and key %s",
		    cfg->tls_cert, cfg->tls_key);
	if (cert_fingerprint_file(cfg->tls_cert, srv.fingerprint, err,
	    sizeof err) != 0 ||
	    tlsio_conf_server(&srv.tls, cfg->tls_cert, cfg->tls_key, err,
	    sizeof err) != 0) {
		log_err("%s", err);
		return 1;
	}
	log_info("certificate fingerprint SHA256 %s", srv.fingerprint);

	srv.base = event_base_new();
	srv.throttle = auth_throttle_new();
	srv.hubs = calloc(cfg->nhubs, sizeof *srv.hubs);
	/* "*:PORT" expands to two listeners. */
	srv.listeners = calloc(2 * cfg->nlisten, sizeof *srv.listeners);
	if (srv.base == NULL || srv.throttle == NULL ||
	    srv.hubs == NULL || srv.listeners == NULL) {
		log_err("out of memory starting the hub");
		goto out;
	}
	for (size_t i = 0; i < cfg->nhubs; i++) {
		if (hub_init(&srv.hubs[i].engine, cfg->hubs[i].name,
		    cfg->hubs[i].mac_aging_s * 1000u, 0) != 0) {
			log_err("out of memory creating hub %s",
			    cfg->hubs[i].name);
			goto out;
		}
		srv.hubs[i].cfg = &cfg->hubs[i];
		srv.nhubs++;
	}
	if (srv_first_user(&srv) != 0)
		goto out;
	for (size_t i = 0; i < cfg->nlisten; i++) {
		const char *spec = cfg->listen[i];
		char v4[80], v6[80];
		if (strncmp(spec, "*:", 2) == 0) {
			/* Both families on one port. */
			snprintf(v4, sizeof v4, "0.0.0.0:%s", spec + 2);
			snprintf(v6, sizeof v6, "[::]:%s", spec + 2);
			if (srv_listen_one(&srv, v4) != 0 ||
			    srv_listen_one(&srv, v6) != 0)
				goto out;
		} else if (srv_listen_one(&srv, spec) != 0)
			goto out;
	}
	if (srv.nlisteners == 0) {
		log_err("no address to listen on");
		goto out;
	}
	if (o->daemonize) {
		if (daemon(0, 0) != 0) {
			log_err("daemon: %s", strerror(errno));
			goto out;
		}
		event_reinit(srv.base);
		log_init("softether", log_get_level(), 1);
	}
	/* After the fork: a thread does not survive it. */
	if ((srv.auth = auth_worker_new(srv.base)) == NULL) {
		log_err("cannot start the password-check worker");
		goto out;
	}

	struct timeval age = { SRV_AGE_INTERVAL_MS / 1000, 0 };
	srv.age_ev = event_new(srv.base, -1, EV_PERSIST, srv_age_cb, &srv);
	event_add(srv.age_ev, &age);
	srv.resume_accept_ev = event_new(srv.base, -1, 0, srv_accept_resume,
	    &srv);
	srv.grace_ev = event_new(srv.base, -1, 0, srv_grace_cb, &srv);
	srv.sig_int = evsignal_new(srv.base, SIGINT, srv_signal_cb, &srv);
	srv.sig_term = evsignal_new(srv.base, SIGTERM, srv_signal_cb, &srv);
	srv.sig_usr1 = evsignal_new(srv.base, SIGUSR1, srv_signal_cb, &srv);
	event_add(srv.sig_int, NULL);
	event_add(srv.sig_term, NULL);
	event_add(srv.sig_usr1, NULL);
	log_info("hub running: %zu virtual hub%s (%s%s), cipher preference %s",
	    cfg->nhubs, cfg->nhubs == 1 ? "" : "s", cfg->hubs[0].name,
	    cfg->nhubs > 1 ? ", ..." : "",
	    dchan_cipher_name(dchan_pick(dchan_local_caps(),
	    dchan_local_caps())));

	event_base_dispatch(srv.base);
	log_info("hub stopped");
	code = 0;
out:
	if (srv.sig_int) event_free(srv.sig_int);
	if (srv.sig_term) event_free(srv.sig_term);
	if (srv.sig_usr1) event_free(srv.sig_usr1);
	if (srv.age_ev) event_free(srv.age_ev);
	if (srv.resume_accept_ev) event_free(srv.resume_accept_ev);
	if (srv.grace_ev) event_free(srv.grace_ev);
	for (size_t i = 0; i < srv.nlisteners; i++) {
		event_free(srv.listeners[i].ev);
		close(srv.listeners[i].fd);
	}
	for (size_t i = 0; i < srv.nhubs; i++)
		hub_free(&srv.hubs[i].engine);
	if (srv.auth)
		auth_worker_free(srv.auth);
	if (srv.throttle)
		auth_throttle_free(srv.throttle);
	free(srv.hubs);
	free(srv.listeners);
	tlsio_conf_free(&srv.tls);
	if (srv.base)
		event_base_free(srv.base);
	return code;
}
