/*
 * niclogin.c: the card's half of a login: the messages it sends, what the
 * hub's ERROR means for the next try, and the welcome taken (data channel,
 * a new or resumed session). No state of its own: the caller keeps the
 * session and its number and token.
 */
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "conn.h"
#include "dchan.h"
#include "niclogin.h"
#include "pubkey.h"
#include "session.h"

int
niclogin_auth_key(struct proto_msg *m, const struct conn *c,
    const char *user, const uint8_t *sign_key)
{
	if (!c->tls.have_keys)
		return -1;
	m->type = PROTO_MSG_AUTH;
	m->u.auth.method = PROTO_AUTH_KEY;
	snprintf(m->u.auth.user, sizeof m->u.auth.user, "%s", user);
	pubkey_sign(sign_key, c->tls.binding, sizeof c->tls.binding,
	    (uint8_t *)m->u.auth.secret);
	m->u.auth.secret_len = PUBKEY_SIG_LEN;
	return 0;
}

int
niclogin_send(struct conn *c, const struct niclogin *l)
{
	struct proto_msg m;
	int rc;

	memset(&m, 0, sizeof m);
	m.type = PROTO_MSG_HELLO;
	m.u.hello.magic = PROTO_MAGIC;
	m.u.hello.version = PROTO_VERSION;
	m.u.hello.caps = dchan_local_caps() | PROTO_CAP_TICKET |
	    (l->offload ? PROTO_CAP_OFFLOAD : 0);
	snprintf(m.u.hello.hub, sizeof m.u.hello.hub, "%s", l->hub_name);
	snprintf(m.u.hello.via, sizeof m.u.hello.via, "%s", l->via);
	if (conn_send_msg(c, &m) != 0)
		return -1;
	memset(&m, 0, sizeof m);
	if (l->resume) {
		m.type = PROTO_MSG_RESUME;
		m.u.resume.session_id = l->session_id;
		memcpy(m.u.resume.token, l->token, PROTO_TOKEN_LEN);
		m.u.resume.rx_last = l->rx_last;
	} else if (l->ticket_len == 0 && l->sign_key != NULL) {
		if (niclogin_auth_key(&m, c, l->user, l->sign_key) != 0)
			return -1;
	} else {
		int by_ticket = l->ticket_len > 0;
		const void *secret = by_ticket ? (const void *)l->ticket :
		    (const void *)l->password;
		size_t len = by_ticket ? l->ticket_len : l->password_len;
		if (len > PROTO_MAX_SECRET || (by_ticket &&
		    len > PROTO_TICKET_MAX))
			return -1;
		m.type = PROTO_MSG_AUTH;
		m.u.auth.method = by_ticket ? PROTO_AUTH_TICKET :
		    PROTO_AUTH_PASSWORD;
		snprintf(m.u.auth.user, sizeof m.u.auth.user, "%s", l->user);
		memcpy(m.u.auth.secret, secret, len);
		m.u.auth.secret_len = len;
	}
	rc = conn_send_msg(c, &m);
	sodium_memzero(&m, sizeof m);
	return rc;
}

enum niclogin_next
niclogin_error_next(uint16_t code)
{
	switch (code) {
	case PROTO_ERR_RESUME:
		return NICLOGIN_AFRESH;
	case PROTO_ERR_TICKET:
		return NICLOGIN_PASSWORD;
	case PROTO_ERR_AUTH:
	case PROTO_ERR_NO_HUB:
	case PROTO_ERR_VERSION:
	case PROTO_ERR_CIPHER:
		return NICLOGIN_REFUSED;
	default:
		return NICLOGIN_RETRY;
	}
}

int
niclogin_welcome_ok(const struct proto_welcome *w)
{
	uint32_t cap = w->cipher == DCHAN_AES256GCM ? PROTO_CAP_AESGCM :
	    w->cipher == DCHAN_CHACHA20POLY1305 ? PROTO_CAP_CHACHA : 0;

	return w->version == PROTO_VERSION &&
	    w->max_frame >= PROTO_ETH_MAX_FRAME &&
	    w->max_frame <= PROTO_ITEM_MAX_LEN && w->keepalive_ms >= 500 &&
	    w->keepalive_ms <= PROTO_DEAD_PEER_MS &&
	    (dchan_local_caps() & cap) != 0;
}

int
niclogin_start(struct conn *c, const struct proto_welcome *w,
    uint32_t keepalive_ms)
{
	uint32_t ka = w->keepalive_ms < keepalive_ms ? w->keepalive_ms :
	    keepalive_ms;

	if (!niclogin_welcome_ok(w)) {
		conn_close(c, "hub's welcome is not acceptable");
		return -1;
	}
	if (conn_start_data(c, w->cipher, w->max_frame, ka) != 0) {
		conn_close(c, "cannot start the data channel");
		return -1;
	}
	return 0;
}

void
niclogin_keep_ticket(const struct proto_welcome *w, uint8_t *ticket,
    size_t *len)
{
	if (w->ticket_len == 0 || w->ticket_len > PROTO_TICKET_MAX)
		return;
	memcpy(ticket, w->ticket, w->ticket_len);
	*len = w->ticket_len;
}

int
niclogin_resumes(const struct proto_welcome *w, int have, uint64_t id)
{
	return w->resumed && have && w->session_id == id;
}

uint64_t
niclogin_resume(struct session *s, struct conn *c,
    const struct proto_welcome *w)
{
	uint64_t before = s->st.retransmitted;

	s->st.resumes++;
	session_attach(s, c, w->rx_last);
	return s->st.retransmitted - before;
}

int
niclogin_session_init(struct session *s, struct event_base *base,
    size_t budget, uint32_t window_ms, const char *name,
    const struct session_cbs *cbs, void *arg)
{
	if (session_init(s, base, budget, 1, cbs, arg) != 0)
		return -1;
	s->window_ms = window_ms;
	s->stall_ms = SESSION_STALL_MS;
	snprintf(s->name, sizeof s->name, "%s", name);
	return 0;
}
