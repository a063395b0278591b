/*
 * niclogin.h: the card's half of a login (login.c is the hub's): what a
 * card sends once TLS is up (HELLO, then AUTH, or RESUME for a session it
 * kept), what an ERROR in place of the welcome means for the next try, and
 * a WELCOME turned into a data channel and a session. The card (nic.c)
 * and the session generator (bench/bench_sessions.c) both log in with it.
 */
#ifndef SOFTETHER_NICLOGIN_H
#define SOFTETHER_NICLOGIN_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct conn;
struct event_base;
struct session;
struct session_cbs;

/* Who logs in where, and the session to resume if there is one. */
struct niclogin {
	const char *hub_name;
	const char *via;          /* the transport's name, for the hub's logs */
	const char *user;
	const char *password;
	size_t password_len;
	const uint8_t *sign_key;  /* PUBKEY_SECRET bytes: log in with this key
	                             (a signature of the TLS session's
	                             binding), not the password */
	int offload;              /* the card takes offload items */
	int resume;               /* RESUME this session instead of AUTH: */
	uint64_t session_id;
	const uint8_t *token;     /* PROTO_TOKEN_LEN bytes */
	uint64_t rx_last;         /* the last frame the card received */
	/* The hub's last re-login ticket (ticket_len 0: none): an AUTH that
	 * is not a RESUME sends it in place of the password, so that a hub
	 * that restarted admits the card without an Argon2 verification. */
	const uint8_t *ticket;
	size_t ticket_len;
};

/* HELLO (saying the card keeps re-login tickets), then AUTH (by ticket
 * if it has one, else by key or password) or RESUME, on c (its TLS up). 0 or
 * -1. */
int niclogin_send(struct conn *c, const struct niclogin *l);

/* m becomes AUTH by key for user: c's TLS binding signed with sign_key
 * (PUBKEY_SECRET bytes). -1 (m untouched) if c's TLS session exported no
 * binding. The card's login and the administrator's (adminnet.c) alike. */
int niclogin_auth_key(struct proto_msg *m, const struct conn *c,
    const char *user, const uint8_t *sign_key);

/* What an ERROR in place of the welcome asks of the card. */
enum niclogin_next {
	NICLOGIN_RETRY = 0,   /* try again later: busy, throttled, full */
	NICLOGIN_AFRESH,      /* the session cannot be resumed: log in anew,
	                         at once */
	NICLOGIN_PASSWORD,    /* the re-login ticket was refused: forget it
	                         and log in with the password, at once */
	NICLOGIN_REFUSED,     /* retrying cannot help: credentials, hub name,
	                         version, cipher */
};
enum niclogin_next niclogin_error_next(uint16_t code);

/* 1 if a card can take this WELCOME: its version, sane limits, a cipher
 * it has. */
int niclogin_welcome_ok(const struct proto_welcome *w);

/* Take the WELCOME w on c: checked, then the data channel started, with
 * keepalives at the latest every keepalive_ms (or the hub's interval, if
 * shorter). 0, or -1 with c closed (the reason given). */
int niclogin_start(struct conn *c, const struct proto_welcome *w,
    uint32_t keepalive_ms);

/* Keep the ticket a WELCOME carries, if it has one (a resume's too: it
 * is fresher), in ticket (PROTO_TICKET_MAX bytes) and *len. */
void niclogin_keep_ticket(const struct proto_welcome *w, uint8_t *ticket,
    size_t *len);

/* 1 if w resumes the session numbered id the card kept (have: it kept
 * one). */
int niclogin_resumes(const struct proto_welcome *w, int have, uint64_t id);
/* c carries the kept session s on from where the hub's welcome w says it
 * left off: counted as a resume. Returns the frames sent again. */
uint64_t niclogin_resume(struct session *s, struct conn *c,
    const struct proto_welcome *w);

/* A card's new session (then session_attach it to the welcomed
 * connection): frames numbered from 1, at most budget bytes kept while
 * cut, kept window_ms for a resume, stall detection on; name for logs.
 * 0 or -1. */
int niclogin_session_init(struct session *s, struct event_base *base,
    size_t budget, uint32_t window_ms, const char *name,
    const struct session_cbs *cbs, void *arg);

#endif
