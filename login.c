/*
 * login.c: a new connection's login phase on the hub. TLS, then HELLO names
 * the virtual hub; AUTH (checked on the worker thread, throttled per
 * source) starts a session, or RESUME hands the connection to the session
 * it names. Either ends in a WELCOME, after which the session owns the
 * connection, or in an ERROR with the reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <sodium.h>

#include "admin.h"
#include "auth.h"
#include "conn.h"
#include "dchan.h"
#include "log.h"
#include "pubkey.h"
#include "relogin.h"
#include "srv.h"

/* A connection that has had this long for its TLS handshake may lose its
 * slot to a newcomer when every slot is taken: an honest handshake takes
 * milliseconds. */
#define LOGIN_EVICT_AGE_MS 1000u

static const struct conn_cbs login_cbs;

/* The login is over: the connection closed or went to a session. */
static void
login_free(struct login *l)
{
	struct srv *srv = l->srv;

	auth_try_cancel(&l->try);
	srv->nlogins--;
	gate_done(&srv->gate, &l->ticket);
	TAILQ_REMOVE(&srv->logins, l, entry);
	free(l);
}

struct login *
login_new(struct srv *srv, int fd, const struct sockaddr_storage *addr)
{
	const struct sockaddr *sa = (const struct sockaddr *)addr;
	struct login *l = calloc(1, sizeof *l);
	uint64_t now = clock_now_ms();
	enum gate_verdict v;

	if (l == NULL) {
		close(fd);
		return NULL;
	}
	v = gate_admit(&srv->gate, sa, now, &l->ticket);
	/* Every slot taken: a fair share of them may make room. */
	if (v == GATE_FULL && login_evict_for(srv, sa, LOGIN_EVICT_AGE_MS)) {
		srv->gate.st.refused[GATE_FULL]--;
		v = gate_admit(&srv->gate, sa, now, &l->ticket);
	}
	if (v != GATE_OK && v != GATE_RESERVE) {
		close(fd);
		free(l);
		return NULL;
	}
	l->reserved = v == GATE_RESERVE;
	l->srv = srv;
	l->c = conn_new(srv->base, fd, &srv->tls, NULL, &login_cbs, l);
	if (l->c == NULL) {
		gate_done(&srv->gate, &l->ticket);
		free(l);
		return NULL;
	}
	l->c->dead_peer_ms = srv->opts.dead_peer_ms;
	l->c->first_byte_ms = srv->cfg->limits.first_byte_ms;
	srv->nlogins++;
	TAILQ_INSERT_TAIL(&srv->logins, l, entry);
	return l;
}

int
login_evict_for(struct srv *srv, const struct sockaddr *sa,
    uint64_t min_age_ms)
{
	struct gate_ticket *t = gate_victim(&srv->gate, sa, clock_now_ms(),
	    min_age_ms);
	struct login *l;

	if (t == NULL)
		return 0;
	l = (struct login *)(void *)((char *)t - offsetof(struct login,
	    ticket));
	log_debug("closing %s: its slot is wanted", l->c->peer);
	/* The slot is free now; the login goes later. */
	gate_done(&srv->gate, &l->ticket);
	conn_close(l->c, "evicted: still in the TLS handshake while the hub "
	    "is full");
	return 1;
}

void
login_close_all(struct srv *srv, const char *why)
{
	struct login *l;

	/* Each closes later (deferred), and frees itself then. */
	TAILQ_FOREACH(l, &srv->logins, entry)
		conn_close(l->c, why);
}

static void
login_refuse(struct login *l, uint16_t code, const char *text)
{
	struct proto_msg m;

	if (l->authing && l->hub != NULL) {
		l->hub->logins_failed++;
		l->authing = 0;
	}
	memset(&m, 0, sizeof m);
	m.type = PROTO_MSG_ERROR;
	m.u.error.code = code;
	snprintf(m.u.error.text, sizeof m.u.error.text, "%s", text);
	conn_send_msg(l->c, &m);
	conn_close(l->c, text);
}

/* WELCOME for session r on this connection, then the data channel. 0, or
 * -1 with the connection closed. */
static int
login_send_welcome(struct login *l, struct remote *r, enum dchan_cipher ci,
    int resumed)
{
	struct srv *srv = l->srv;
	struct conn *c = l->c;
	struct proto_msg m;
	uint32_t ka = srv->opts.keepalive_ms;

	/* Often enough for our own dead-peer timer. */
	if (ka > c->dead_peer_ms / 3)
		ka = c->dead_peer_ms / 3;
	memset(&m, 0, sizeof m);
	m.type = PROTO_MSG_WELCOME;
	m.u.welcome.version = PROTO_VERSION;
	/* Offload items both ways if the card takes them (it says so again
	 * when it resumes). */
	m.u.welcome.caps = (dchan_local_caps() | PROTO_CAP_OFFLOAD) &
	    l->peer_caps;
	r->offload = (l->peer_caps & PROTO_CAP_OFFLOAD) != 0;
	m.u.welcome.cipher = (uint8_t)ci;
	m.u.welcome.session_id = r->id;
	m.u.welcome.max_frame = PROTO_ETH_MAX_FRAME;
	m.u.welcome.keepalive_ms = ka;
	memcpy(m.u.welcome.token, r->token, PROTO_TOKEN_LEN);
	m.u.welcome.resumed = (uint8_t)resumed;
	m.u.welcome.rx_last = r->sess.rx_last;
	/* A fresh ticket at every welcome, resumes too: a card that keeps
	 * its session for days keeps a ticket that works. */
	if ((l->peer_caps & PROTO_CAP_TICKET) && r->hub->cfg != NULL)
		m.u.welcome.ticket_len = (uint16_t)relogin_issue(srv,
		    r->hub->cfg->name, r->ucfg, m.u.welcome.ticket);
	conn_send_msg(c, &m);
	sodium_memzero(&m, sizeof m);
	if (conn_start_data(c, ci, PROTO_ETH_MAX_FRAME,
	    srv->opts.keepalive_ms) != 0) {
		conn_close(c, "cannot start the data channel");
		return -1;
	}
	return 0;
}

/* Authenticated: a new session, unless the hub or the cipher says no. */
static void
login_welcome(struct login *l)
{
	struct srv_hub *hub = l->hub;
	enum dchan_cipher ci = dchan_pick(dchan_local_caps(), l->peer_caps);
	struct remote *r;

	if (ci == DCHAN_NONE) {
		login_refuse(l, PROTO_ERR_CIPHER, "no common data-channel "
		    "cipher");
		return;
	}
	if (hub->nsessions >= hub->cfg->max_sessions) {
		log_warn("login refused: user=%s from=%s hub=%s: hub full "
		    "(max_sessions %u)", l->user_shown, l->c->peer,
		    hub->engine.name, hub->cfg->max_sessions);
		login_refuse(l, PROTO_ERR_FULL, "hub is full");
		return;
	}
	if ((r = remote_new(l->srv, l)) == NULL) {
		conn_close(l->c, "out of memory starting a session");
		return;
	}
	if (login_send_welcome(l, r, ci, 0) != 0) {
		remote_discard(r);
		return;
	}
	remote_start(r, l->c, ci);
	hub->logins_ok++;
	if (l->method == PROTO_AUTH_TICKET)
		hub->logins_ticket++;
	if (l->method == PROTO_AUTH_KEY)
		hub->logins_key++;
	login_free(l);
}

/* The per-user checks after the password. 0 may go on, else refused. */
static int
login_policy(struct login *l)
{
	const struct sw_policy *pol = &l->ucfg->policy.p;

	if (pol->deny_access) {
		log_warn("login refused: user=%s from=%s hub=%s: deny_access "
		    "policy", l->user_shown, l->c->peer,
		    l->hub->engine.name);
		login_refuse(l, PROTO_ERR_AUTH, "access denied by policy");
		return -1;
	}
	if (pol->max_sessions > 0 && remote_count_user(l->srv, l->hub,
	    l->user) >= pol->max_sessions) {
		log_warn("login refused: user=%s from=%s hub=%s: max_sessions "
		    "%u reached", l->user_shown, l->c->peer,
		    l->hub->engine.name, pol->max_sessions);
		login_refuse(l, PROTO_ERR_FULL, "too many sessions for this "
		    "user");
		return -1;
	}
	return 0;
}

static void
login_auth_done(void *arg, int ok)
{
	struct login *l = arg;

	/* A reload may have removed the user while the check ran. */
	if (ok && l->ucfg == NULL)
		ok = 0;
	if (!ok) {
		const char *what = l->method == PROTO_AUTH_KEY ? "key" :
		    "password";
		log_warn("login refused: user=%s from=%s hub=%s: wrong user or "
		    "%s", l->user_shown, l->c->peer, l->hub->engine.name, what);
		login_refuse(l, PROTO_ERR_AUTH, l->method == PROTO_AUTH_KEY ?
		    "wrong user or key" : "wrong user or password");
		return;
	}
	if (login_policy(l) == 0)
		login_welcome(l);
}

/* RESUME: hand this connection to the session it names, and retransmit. */
static void
login_resume(struct login *l, const struct proto_resume *rm)
{
	struct conn *c = l->c;
	enum dchan_cipher ci = dchan_pick(dchan_local_caps(), l->peer_caps);
	struct remote *r = remote_find(l->srv, l->hub, rm->session_id,
	    rm->token);

	if (r != NULL && r->ucfg != NULL && r->ucfg->policy.p.deny_reconnect) {
		log_info("resume refused: user=%s from=%s session=%llu: "
		    "deny_reconnect policy", r->user, c->peer,
		    (unsigned long long)rm->session_id);
		login_refuse(l, PROTO_ERR_RESUME, "this user's sessions cannot"
		    " be resumed (policy); log in again");
		return;
	}
	if (r == NULL || ci == DCHAN_NONE) {
		log_info("resume refused: from=%s session=%llu: unknown or "
		    "expired", c->peer, (unsigned long long)rm->session_id);
		login_refuse(l, PROTO_ERR_RESUME, "session unknown or expired;"
		    " log in again");
		return;
	}
	if (login_send_welcome(l, r, ci, 1) != 0)
		return;
	remote_resume(r, c, rm->rx_last);
	login_free(l);
}

static void
login_hello(struct login *l, const struct proto_hello *h)
{
	char text[PROTO_MAX_ERROR_TEXT];

	if (h->magic != PROTO_MAGIC || h->version != PROTO_VERSION) {
		snprintf(text, sizeof text, "unsupported protocol version %u "
		    "(this hub speaks %u)", h->version, PROTO_VERSION);
		log_warn("login refused: from=%s: %s", l->c->peer, text);
		login_refuse(l, PROTO_ERR_VERSION, text);
		return;
	}
	l->peer_caps = h->caps;
	snprintf(l->via, sizeof l->via, "%s", h->via);
	if (strcmp(h->hub, PROTO_ADMIN_HUB) == 0) {
		l->admin = 1;
		return;
	}
	l->hub = srv_find_hub(l->srv, h->hub);
	if (l->hub == NULL) {
		char shown[LOG_SAFE_LEN(PROTO_MAX_NAME)];
		snprintf(text, sizeof text, "no hub named '%s'",
		    log_safe(shown, sizeof shown, h->hub));
		log_warn("login refused: from=%s: %s", l->c->peer, text);
		login_refuse(l, PROTO_ERR_NO_HUB, text);
	}
}

/* ---- Administration over the hub's TLS port ---------------------------- */

#define LOGIN_ADMIN_IDLE_MS (10u * 60u * 1000u)
#define LOGIN_ADMIN_USER    "@admin"  /* its (source, user) record */

/* One answer, in as many ADMIN messages as it takes. */
static void
login_admin_send(struct login *l, int ok, struct evbuffer *body)
{
	struct proto_msg *m = calloc(1, sizeof *m);

	if (m == NULL) {
		conn_close(l->c, "out of memory");
		return;
	}
	m->type = PROTO_MSG_ADMIN;
	do {
		size_t n = evbuffer_get_length(body);
		if (n > PROTO_ADMIN_TEXT)
			n = PROTO_ADMIN_TEXT;
		m->u.admin.len = (size_t)evbuffer_remove(body, m->u.admin.text,
		    n);
		m->u.admin.flags = (uint8_t)((ok ? PROTO_ADMIN_OK : 0) |
		    (evbuffer_get_length(body) > 0 ? PROTO_ADMIN_MORE : 0));
		if (conn_send_msg(l->c, m) != 0)
			break;
	} while (evbuffer_get_length(body) > 0);
	free(m);
}

static void
login_admin_done(void *arg, int ok)
{
	struct login *l = arg;
	struct evbuffer *hello;

	if (!ok) {
		const char *what = l->method == PROTO_AUTH_KEY ? "key" :
		    "password";
		log_warn("admin login refused: from=%s: wrong %s", l->c->peer,
		    what);
		login_refuse(l, PROTO_ERR_AUTH, l->method == PROTO_AUTH_KEY ?
		    "wrong admin key" : "wrong admin password");
		return;
	}
	l->admin_up = 1;
	l->c->login_idle_ms = LOGIN_ADMIN_IDLE_MS;
	log_info("admin login: from=%s", l->c->peer);
	if ((hello = evbuffer_new()) == NULL) {
		conn_close(l->c, "out of memory");
		return;
	}
	evbuffer_add_printf(hello, "softether %s\n", SOFTETHER_VERSION);
	login_admin_send(l, 1, hello);
	evbuffer_free(hello);
}

/* The signature AUTH carries, of this TLS session's binding, by the key
 * key_b64 (NULL: none; the same check runs against a key no one holds,
 * so that the time taken does not tell whether there was one). */
static int
login_key_ok(struct login *l, const struct proto_auth *a,
    const char *key_b64)
{
	uint8_t pk[PUBKEY_LEN];
	char why[128];
	int known = key_b64 != NULL && pubkey_parse(key_b64, pk, why,
	    sizeof why) == 0;

	if (!known)
		pubkey_dummy(pk);
	return pubkey_verify(pk, l->c->tls.binding, sizeof l->c->tls.binding,
	    (const uint8_t *)a->secret, a->secret_len) && known &&
	    l->c->tls.have_keys;
}

/* AUTH with a key, checked at once (no worker) and counted by the
 * throttle as a password is, for user (the admin's record: admin) whose
 * key is key_b64 (NULL: none); then done(l, ok). */
static void
login_key(struct login *l, const struct proto_auth *a, const char *user,
    const char *key_b64, auth_done_fn *done)
{
	char text[PROTO_MAX_ERROR_TEXT];
	int ok;

	if (auth_try_begin(&l->try, l->srv->throttle,
	    (struct sockaddr *)&l->c->peer_addr, user, text,
	    sizeof text) != 0) {
		if (l->admin)
			log_warn("admin login refused: from=%s: %s",
			    l->c->peer, text);
		else
			log_warn("login refused: user=%s from=%s: %s",
			    l->user_shown, l->c->peer, text);
		login_refuse(l, PROTO_ERR_THROTTLED, text);
		return;
	}
	ok = login_key_ok(l, a, key_b64);
	auth_try_end(&l->try, ok);
	done(l, ok);
}

static void
login_admin_auth(struct login *l, const struct proto_auth *a)
{
	struct srv *srv = l->srv;
	const char *hash = srv->cfg->admin.password;
	char text[PROTO_MAX_ERROR_TEXT];

	if (a->method == PROTO_AUTH_KEY) {
		if (srv->cfg->admin.public_key == NULL) {
			log_warn("admin login refused: from=%s: no "
			    "admin.public_key", l->c->peer);
			login_refuse(l, PROTO_ERR_AUTH, "administration by key "
			    "is closed on this hub (no admin.public_key)");
			return;
		}
		login_key(l, a, LOGIN_ADMIN_USER, srv->cfg->admin.public_key,
		    login_admin_done);
		return;
	}
	if (a->method != PROTO_AUTH_ADMIN) {
		login_refuse(l, PROTO_ERR_AUTH, "unsupported login method");
		return;
	}
	if (hash == NULL) {
		log_warn("admin login refused: from=%s: no admin.password",
		    l->c->peer);
		login_refuse(l, PROTO_ERR_AUTH, srv->cfg->admin.public_key !=
		    NULL ? "this hub's administrator logs in with a key "
		    "(--admin-key-file), not a password" : "administration "
		    "over the network is closed on this hub (no "
		    "admin.password)");
		return;
	}
	if (auth_try_start(&l->try, srv->auth, srv->throttle,
	    (struct sockaddr *)&l->c->peer_addr, LOGIN_ADMIN_USER, hash,
	    a->secret, a->secret_len, login_admin_done, l, text,
	    sizeof text) != 0) {
		log_warn("admin login refused: from=%s: %s", l->c->peer, text);
		login_refuse(l, PROTO_ERR_THROTTLED, text);
	}
}

static void
login_admin_cmd(struct login *l, const struct proto_admin *a)
{
	struct evbuffer *out = evbuffer_new();
	int rc;

	if (out == NULL) {
		conn_close(l->c, "out of memory");
		return;
	}
	rc = admin_line(l->srv, a->text, a->len, a->flags & PROTO_ADMIN_JSON,
	    out);
	login_admin_send(l, rc == 0, out);
	evbuffer_free(out);
}

/* AUTH with a re-login ticket: no Argon2 check. One that does not admit
 * is no failed login (nothing was guessed: the card holds it from us) and
 * sends the card back to its password at once. */
static void
login_ticket(struct login *l, const struct proto_auth *a)
{
	const struct hubconf_user *u;
	enum ticket_result r = relogin_admit(l->srv, l->hub->cfg, a, &u);

	if (r != TICKET_OK) {
		l->hub->tickets_refused++;
		l->authing = 0;
		log_info("re-login ticket refused: user=%s from=%s hub=%s: %s; "
		    "the card uses its password", l->user_shown, l->c->peer,
		    l->hub->engine.name, ticket_result_str(r));
		login_refuse(l, PROTO_ERR_TICKET, "re-login ticket refused; "
		    "log in with the password");
		return;
	}
	l->ucfg = u;
	if (login_policy(l) == 0)
		login_welcome(l);
}

static void
login_auth(struct login *l, const struct proto_auth *a)
{
	struct srv *srv = l->srv;
	char text[PROTO_MAX_ERROR_TEXT];

	snprintf(l->user, sizeof l->user, "%s", a->user);
	log_safe(l->user_shown, sizeof l->user_shown, l->user);
	l->method = a->method;
	if (l->admin) {
		login_admin_auth(l, a);
		return;
	}
	if (a->method != PROTO_AUTH_PASSWORD &&
	    a->method != PROTO_AUTH_TICKET && a->method != PROTO_AUTH_KEY) {
		login_refuse(l, PROTO_ERR_AUTH, "unsupported login method");
		return;
	}
	if (!l->hub->cfg->online) {
		log_warn("login refused: user=%s from=%s hub=%s: hub is "
		    "offline", l->user_shown, l->c->peer,
		    l->hub->engine.name);
		login_refuse(l, PROTO_ERR_FULL, "hub is offline");
		return;
	}
	if (a->method == PROTO_AUTH_TICKET) {
		login_ticket(l, a);
		return;
	}
	l->ucfg = hubconf_find_user(l->hub->cfg, a->user);
	if (a->method == PROTO_AUTH_KEY) {
		login_key(l, a, l->user, l->ucfg != NULL ?
		    l->ucfg->public_key : NULL, login_auth_done);
		return;
	}
	if (auth_try_start(&l->try, srv->auth, srv->throttle,
	    (struct sockaddr *)&l->c->peer_addr, l->user, l->ucfg ?
	    l->ucfg->password : NULL, a->secret, a->secret_len,
	    login_auth_done, l, text, sizeof text) != 0) {
		log_warn("login refused: user=%s from=%s: %s", l->user_shown,
		    l->c->peer, text);
		login_refuse(l, PROTO_ERR_THROTTLED, text);
	}
}

static void
login_msg(struct conn *c, const struct proto_msg *m, void *arg)
{
	struct login *l = arg;

	if (l->srv->stopping) {
		login_refuse(l, PROTO_ERR_SHUTDOWN, "hub is shutting down");
		return;
	}
	switch (m->type) {
	case PROTO_MSG_HELLO:
		if (l->got_hello)
			break;
		l->got_hello = 1;
		login_hello(l, &m->u.hello);
		return;
	case PROTO_MSG_ADMIN:
		if (!l->admin_up)
			break;
		login_admin_cmd(l, &m->u.admin);
		return;
	case PROTO_MSG_RESUME:
		if (!l->got_hello || l->got_login || l->admin)
			break;
		l->got_login = 1;
		login_resume(l, &m->u.resume);
		return;
	case PROTO_MSG_AUTH:
		if (!l->got_hello || l->got_login)
			break;
		l->got_login = 1;
		l->authing = !l->admin;
		if (l->reserved && !l->admin) {
			log_warn("login refused: user=%s from=%s: the hub is "
			    "busy; its last slots are kept for resumes",
			    log_safe(l->user_shown, sizeof l->user_shown,
			    m->u.auth.user), c->peer);
			login_refuse(l, PROTO_ERR_FULL, "the hub is busy; try "
			    "again shortly");
			return;
		}
		login_auth(l, &m->u.auth);
		return;
	default:
		break;
	}
	log_warn("login refused: from=%s: unexpected message %d", c->peer,
	    m->type);
	login_refuse(l, PROTO_ERR_PROTOCOL, "unexpected login message");
}

/* Past the handshake: this connection can no longer be evicted. */
static int
login_tls_up(struct conn *c, void *arg)
{
	struct login *l = arg;

	gate_settle(&l->srv->gate, &l->ticket);
	return 0;
}

static void
login_closed(struct conn *c, const char *reason, void *arg)
{
	struct login *l = arg;
	struct srv *srv = l->srv;

	log_debug("connection from %s closed before login: %s", c->peer,
	    reason);
	login_free(l);
	srv_maybe_exit(srv);
}

static void
login_item(struct conn *c, const struct proto_item *item, void *arg)
{
}

static const struct conn_cbs login_cbs = {
	.tls_up = login_tls_up,
	.login_msg = login_msg,
	.item = login_item,
	.closed = login_closed,
};
