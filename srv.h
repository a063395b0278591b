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

#include "auth.h"
#include "cert.h"
#include "dev.h"
#include "hubconf.h"
#include "log.h"
#include "dchan.h"
#include "gate.h"
#include "managed.h"
#include "nic.h"
#include "proto.h"
#include "server.h"
#include "session.h"
#include "switch.h"
#include "ticket.h"
#include "tlsio.h"

struct auth_job;
struct conn;
struct dhcpport;
struct console;
struct control;
struct metrics;
struct srv;

/* Traffic of sessions: of those that have ended (kept, so that totals
 * survive them), or of those and the live ones (remote_hub_totals). */
struct srv_totals {
	uint64_t rx_frames, rx_bytes, tx_frames, tx_bytes;
	uint64_t resumes;
	uint64_t sessions;
};

/* A virtual hub: its switching engine and its configuration. */
struct srv_hub {
	TAILQ_ENTRY(srv_hub) entry;     /* srv->hubs */
	struct sw engine;
	const struct hubconf_hub *cfg;  /* NULL: removed, sessions ending */
	uint32_t nsessions;
	struct srv_totals ended;        /* its sessions that have ended */
	uint64_t logins_ok;             /* logins that started a session */
	uint64_t logins_failed;         /* logins refused (password, policy,
	                                   throttled, offline, full) */
	uint64_t logins_key;            /* of logins_ok, by a key's
	                                   signature */
	uint64_t logins_ticket;         /* of logins_ok, admitted by a
	                                   re-login ticket (no Argon2) */
	uint64_t tickets_refused;       /* tickets that did not admit (the
	                                   card then used its password) */
	struct dhcpport *dhcp;          /* its DHCP service, if it runs */
};
TAILQ_HEAD(srv_hub_list, srv_hub);

/* A connection that has not logged in yet. */
struct login {
	TAILQ_ENTRY(login) entry;       /* srv->logins */
	struct srv *srv;
	struct conn *c;
	struct srv_hub *hub;            /* set by HELLO */
	int got_hello, got_login;
	int authing;                    /* sent AUTH to a hub: a refusal is
	                                   one of its failed logins */
	uint8_t method;                 /* PROTO_AUTH_*: how it logged in (a
	                                   ticket admitted it, if TICKET) */
	uint32_t peer_caps;
	struct auth_try try;            /* its password check, if running */
	const struct hubconf_user *ucfg; /* the user it claims to be */
	char user[PROTO_MAX_NAME + 1];
	char user_shown[LOG_SAFE_LEN(PROTO_MAX_NAME)]; /* user, for logs */
	char via[PROTO_MAX_VIA + 1];    /* its transport, if it said */
	struct gate_ticket ticket;      /* its slot (gate.h) */
	int reserved;                   /* in a slot kept for resumes: only a
	                                   resume or the administrator */
	int admin;                      /* HELLO asked for administration */
	int admin_up;                   /* and the admin password was right */
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
	char via[PROTO_MAX_VIA + 1];    /* its transport ("" if unsaid) */
	const char *auth;               /* "password", "key" or "ticket" */
	int offload;                    /* the card takes offload items */
};
TAILQ_HEAD(remote_list, remote);

/* A local interface bridged onto a hub (bridge.c): a port of kind
 * "bridge" whose frames come from and go to the interface. */
struct bridge {
	TAILQ_ENTRY(bridge) entry;      /* srv->bridges */
	struct srv *srv;
	struct srv_hub *hub;
	struct sw_port port;
	struct dev dev;
	struct event *rd_ev, *watch_ev;
	const struct hubconf_bridge *cfg;
	uint64_t id;                    /* numbered with the sessions */
	uint64_t started_ms;
	char iface[DEV_NAME_MAX + 1];
};
TAILQ_HEAD(bridge_list, bridge);

/* A cascade (cascade.c): a card of this process (nic.c) logged in to a
 * hub of another server, its frames a port of kind "cascade" of a hub
 * here. The card's device is the port itself (no kernel in between). */
struct cascade {
	TAILQ_ENTRY(cascade) entry;     /* srv->cascades or srv->leaving */
	struct srv *srv;
	struct srv_hub *hub;            /* NULL once leaving */
	struct sw_port port;
	struct nic *nic;
	struct dev *dev;                /* the card's: frames for it wait in q */
	struct evbuffer *q;             /* [u32 length][frame]... */
	size_t qbytes;                  /* frame bytes in q */
	struct event *free_ev;
	struct nic_opts opts;           /* points into link */
	struct nicconf link;            /* the cfg's link, owned */
	char *link_text;                /* link as printed: a reload that
	                                   prints it the same keeps it */
	const struct hubconf_cascade *cfg;
	uint64_t id;                    /* numbered with the sessions */
	uint64_t started_ms;
	uint64_t in_frames, in_bytes;   /* from the other hub into this one */
	uint64_t out_frames, out_bytes; /* from this hub to the other */
	uint64_t out_dropped;           /* q full (the link cut too long) */
	int stopped;                    /* the card gave up (refused) */
	int exit_code;
	char name[HUBCONF_CASCADE_NAME + 1];
	char label[HUBCONF_CASCADE_NAME + 16]; /* "cascade NAME" */
};
TAILQ_HEAD(cascade_list, cascade);

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
	int pidfd;                      /* --pidfile, or -1 */
	struct tlsio_conf tls;
	int have_tls;
	char fingerprint[CERT_FP_HEX];
	struct listener *listeners;
	size_t nlisteners;
	struct event *accept_again_ev;  /* after an EMFILE pause */
	struct srv_hub_list hubs;       /* each allocated: ports point in */
	struct hubconf *cfg_owned;      /* a configuration the hub loaded */
	struct managed managed;         /* the console's changes, saved */
	size_t nhubs;
	struct login_list logins;
	uint32_t nlogins;
	struct gate gate;               /* the limits before login */
	struct session_pool pool;       /* what all sessions may queue */
	struct gate_stats gate_logged;  /* refusals as last logged */
	uint64_t fd_limit;              /* RLIMIT_NOFILE as raised at start */
	uint64_t phys_bytes;            /* the machine's memory (0: unknown);
	                                   the memory-sized limits' base */
	struct remote_list remotes;
	struct bridge_list bridges;
	struct cascade_list cascades;
	struct cascade_list leaving;    /* saying goodbye, then freed */
	uint64_t next_id;
	struct auth_worker *auth;
	struct auth_throttle *throttle;
	struct event *age_ev, *grace_ev;
	int stopping;
	uint64_t started_ms;
	double started_unix;            /* the same instant, Unix time */
	struct srv_totals ended;
	struct control *control;        /* the local control socket */
	struct console *console;        /* the telnet console, if open */
	struct metrics *metrics;        /* metrics.listen, if set */
	struct ticket_keys tkeys;       /* re-login tickets (relogin.c) */
	int tkeys_ok;
};

/* server.c */
struct srv_hub *srv_find_hub(struct srv *srv, const char *name);
struct srv_hub *srv_hub_new(struct srv *srv, const struct hubconf_hub *cfg);
void srv_hub_free(struct srv *srv, struct srv_hub *h);
/* --bridge from the command line into cfg (a start's or a reload's). 0
 * or -1 with err. */
int srv_cli_bridge(const struct srv *srv, struct hubconf *cfg, char *err,
    size_t errlen);
/* The limits before login from srv->cfg (start, reload). */
void srv_gate_conf(struct srv *srv);
/* Stop once the last session and login are gone, if stopping. */
void srv_maybe_exit(struct srv *srv);

/* listener.c */
/* The gate's limits from cfg (memory-sized defaults filled in). */
void listener_gate_conf(const struct srv *srv, const struct hubconf *cfg,
    struct gate_conf *gc);
/* Refusals since the last call, one log line (if any). */
void listener_log_refusals(struct srv *srv);
/* A bound, listening socket for "ADDR:PORT"; -2 if its family is
 * unavailable here (skipped, with a warning), -1 on error (logged). */
int listener_bind(const char *spec);
int listener_open_all(struct srv *srv);
void listener_stop(struct srv *srv);
void listener_free_all(struct srv *srv);

/* login.c: a new connection's login phase, if the gate admits it (else
 * fd is closed: NULL). */
struct login *login_new(struct srv *srv, int fd,
    const struct sockaddr_storage *addr);
/* Every slot is taken and a connection from sa (NULL: unknown) wants one:
 * close the login gate_victim names, its slot free at once. 1 if one was
 * closed, else 0. */
int login_evict_for(struct srv *srv, const struct sockaddr *sa,
    uint64_t min_age_ms);
void login_close_all(struct srv *srv, const char *why);

/* server.c: the remote with this id, or NULL. */
struct remote *srv_find_remote(struct srv *srv, uint64_t id);

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
/* What r has carried so far, added onto t (t->sessions untouched). */
void remote_totals_add(struct srv_totals *t, const struct remote *r);
/* hub's traffic, its ended sessions' and its live ones' (t->sessions: the
 * ended), and its live sessions by state. */
void remote_hub_totals(const struct srv_hub *hub, struct srv_totals *t,
    uint32_t *up, uint32_t *cut);
void remote_log_status(const struct remote *r);
/* The user behind a session's port, and their max_ip policy (0: none);
 * NULL (and 0) for a port of another kind or NULL. */
const char *remote_port_user(const struct sw_port *p, unsigned *max_ip);

/* bridge.c */
/* Make the running bridges those of srv->cfg: new ones opened, removed or
 * re-homed ones closed, kept ones on their new policy. starting: the
 * first failure is fatal (-1); later, failures are logged and skipped. */
int bridge_sync(struct srv *srv, int starting);
/* Close the bridges on hub (it is going). */
void bridge_forget_hub(struct srv *srv, struct srv_hub *hub);
void bridge_free_all(struct srv *srv);
/* The interface is there and captured (else lost, being retried). */
int bridge_up(const struct bridge *b);
void bridge_log_status(const struct bridge *b);

/* cascade.c */
/* Make the running cascades those of srv->cfg, as bridge_sync does. */
int cascade_sync(struct srv *srv, int starting);
/* End the cascades on hub (it is going). */
void cascade_forget_hub(struct srv *srv, struct srv_hub *hub);
/* Every cascade says goodbye (the hub is stopping); srv->leaving holds
 * them until they have. */
void cascade_stop_all(struct srv *srv);
void cascade_free_all(struct srv *srv);
void cascade_log_status(const struct cascade *k);
/* Its card's status into st; returns its state's name ("up", "stopped"
 * for one that gave up, ...). */
const char *cascade_status(const struct cascade *k, struct nic_status *st);
/* Logged in, frames flowing. */
int cascade_up(const struct cascade *k);

/* genuser.c: when no user is configured, make one (or load the one made
 * before) and print how to connect. 0 or -1. */
int genuser_ensure(struct srv *srv);
/* A configuration with no users gets the generated ones of the state
 * directory, as at start (a reload). 1 if it did, else 0. */
int genuser_merge(struct hubconf *cfg);

/* reload.c: a new configuration into the running hub. Sessions it does
 * not concern run on untouched; those of removed users and hubs end. The
 * hub takes newcfg over. */
void reload_apply(struct srv *srv, struct hubconf *newcfg);
/* SIGHUP: read the configuration again; one that does not validate is
 * refused (err: FILE:LINE:COL: ...) and the running one stays. 0 or -1. */
int reload_config(struct srv *srv, char *err, size_t errlen);
/* The configuration file as it is now with m over it, validated: a new
 * configuration for reload_apply (NULL with err if it is refused). */
struct hubconf *reload_load(struct srv *srv, const struct managed *m,
    char *err, size_t errlen);

#endif
