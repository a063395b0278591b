/*
 * srv.h: the hub daemon's parts, shared by its files: server.c (the running
 * server: hubs, signals, status, shutdown), listener.c (accepting and the
 * limits before login), login.c (hello, authentication, resume, welcome),
 * remote.c (a card's session as a port of its virtual hub) and genuser.c
 * (the user made on first start).
 */
#ifndef SOFTETHER_SRV_H
#define SOFTETHER_SRV_H

#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "cert.h"
#include "hubconf.h"
#include "dchan.h"
#include "proto.h"
#include "server.h"
#include "session.h"
#include "switch.h"
#include "tlsio.h"

struct auth_job;
struct conn;
struct srv;

/* A virtual hub: its switching engine and its configuration. */
struct srv_hub {
	struct sw engine;
	const struct hubconf_hub *cfg;
	uint32_t nsessions;
};

/* A connection that has not logged in yet. */
struct login {
	TAILQ_ENTRY(login) entry;       /* srv->logins */
	struct srv *srv;
	struct conn *c;
	struct srv_hub *hub;            /* set by HELLO */
	int got_hello, got_login;
	uint32_t peer_caps;
	struct auth_job *job;
	const struct hubconf_user *ucfg; /* the user it claims to be */
	char user[PROTO_MAX_NAME + 1];
};
TAILQ_HEAD(login_list, login);

/* A logged-in card: a port on its hub, and a session that outlives its
 * connections while it can be resumed. */
struct remote {
	TAILQ_ENTRY(remote) entry;      /* srv->remotes */
	struct srv *srv;
	struct srv_hub *hub;
	struct sw_port port;
	struct session sess;
	uint64_t id;
	uint64_t started_ms;
	uint8_t token[PROTO_TOKEN_LEN];
	const struct hubconf_user *ucfg; /* its policy */
	char user[PROTO_MAX_NAME + 1];
	char peer[64];                  /* where its connection came from */
};
TAILQ_HEAD(remote_list, remote);

struct listener {
	struct srv *srv;
	int fd;
	struct event *ev;
	char name[80];
};

struct srv {
	struct event_base *base;
	struct hubconf *cfg;
	struct server_opts opts;
	struct tlsio_conf tls;
	int have_tls;
	char fingerprint[CERT_FP_HEX];
	struct listener *listeners;
	size_t nlisteners;
	struct event *accept_again_ev;  /* after an EMFILE pause */
	struct srv_hub *hubs;
	size_t nhubs;
	struct login_list logins;
	uint32_t nlogins;
	struct remote_list remotes;
	uint64_t next_id;
	struct auth_worker *auth;
	struct auth_throttle *throttle;
	struct event *age_ev, *grace_ev;
	int stopping;
};

/* server.c */
struct srv_hub *srv_find_hub(struct srv *srv, const char *name);
/* Stop once the last session and login are gone, if stopping. */
void srv_maybe_exit(struct srv *srv);

/* listener.c */
int listener_open_all(struct srv *srv);
void listener_pause(struct srv *srv);
void listener_stop(struct srv *srv);
void listener_free_all(struct srv *srv);

/* login.c: a new connection's login phase. */
struct login *login_new(struct srv *srv, int fd);
void login_close_all(struct srv *srv, const char *why);

/* remote.c */
/* A new session for a login on its hub, not yet started; NULL if out of
 * memory. */
struct remote *remote_new(struct srv *srv, const struct login *l);
/* Its welcome could not be sent: forget it. */
void remote_discard(struct remote *r);
/* Welcomed: onto its hub as a port, carried by c. */
void remote_start(struct remote *r, struct conn *c, enum dchan_cipher ci);
/* A resume: c carries it from now on; the peer has frames up to rx_last. */
void remote_resume(struct remote *r, struct conn *c, uint64_t rx_last);
/* End it (goodbye if connected; at once if cut). */
void remote_close(struct remote *r, uint16_t code, const char *text);
struct remote *remote_find(struct srv *srv, struct srv_hub *hub,
    uint64_t id, const uint8_t token[PROTO_TOKEN_LEN]);
/* Sessions of user on hub, for the per-user limit. */
uint32_t remote_count_user(struct srv *srv, const struct srv_hub *hub,
    const char *user);
void remote_log_status(const struct remote *r);

/* genuser.c: when no user is configured, make one (or load the one made
 * before) and print how to connect. 0 or -1. */
int genuser_ensure(struct srv *srv);

#endif
