/*
 * hubconf.h: the hub's YAML configuration, parsed into a fresh struct and
 * validated as a whole before anything uses it. Errors name file:line:col,
 * the key path and what was expected.
 */
#ifndef SOFTETHER_HUBCONF_H
#define SOFTETHER_HUBCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cfgload.h"
#include "switch.h"
#include "log.h"
#include "nicconf.h"

#define HUBCONF_MAX_HUBS       256u
#define HUBCONF_MAX_USERS      65536u
#define HUBCONF_MAX_LISTEN     32u
#define HUBCONF_MAX_BRIDGES    64u
#define HUBCONF_MAX_CASCADES   64u
#define HUBCONF_CASCADE_NAME   32u
#define HUBCONF_ADMIN_LISTEN   "127.0.0.1:8023"
#define HUBCONF_DEFAULT_STATE  "/var/lib/softether"
#define HUBCONF_DEFAULT_AGING_S       300u
#define HUBCONF_DEFAULT_MAX_SESSIONS  1024u
/* A user's sessions at once when neither the user's policy nor the hub's
 * default_policy says (max_sessions: 0 there is unlimited). */
#define HUBCONF_USER_SESSIONS         64u

/*
 * A security policy as configured. A hub's default_policy holds the keys
 * its file gives (the rest off); a user's policy is effective once loaded:
 * the hub's default, overlaid key by key with what the user's file gives.
 */
struct hubconf_policy {
	struct sw_policy p;
	uint32_t set;         /* bit i: policy key i was given (print order) */
};

struct hubconf_user {
	char *name;           /* 1..PROTO_MAX_NAME of [A-Za-z0-9._@-] */
	char *password;       /* a "$argon2id$" string (crypto_pwhash_str) */
	char *public_key;     /* or (and) an Ed25519 key in base64 (pubkey.h) */
	struct hubconf_policy policy;
	int line;             /* where it was defined, for messages */
	int col;
};

/* DHCP on a virtual hub (dhcpport.c). Addresses parsed once loaded are in
 * host byte order. */
#define HUBCONF_DHCP_MAX_DNS     4u      /* PROTO_DHCP_MAX_DNS */
#define HUBCONF_DHCP_MAX_STATIC  1024u   /* DHCPSRV_MAX_STATIC */
#define HUBCONF_DHCP_MAX_POOL    65536u  /* DHCPSRV_MAX_POOL */
#define HUBCONF_DHCP_MIN_LEASE_S 60u
#define HUBCONF_DHCP_MAX_LEASE_S (366u * 86400u)
/* Without range: a /24 picked at first start, served from .1, leased
 * from .10 to .254. */
#define HUBCONF_DHCP_AUTO_MASK   0xffffff00u
#define HUBCONF_DHCP_AUTO_SERVER 1u
#define HUBCONF_DHCP_AUTO_FIRST  10u
#define HUBCONF_DHCP_AUTO_LAST   254u

/* A static lease: by user or by MAC, one of them. */
struct hubconf_dhcp_static {
	char *ip;
	char *user;
	char *mac;
	uint32_t set;
	struct cfg_mark marks[CFG_MAX_KEYS];
	int line;
	uint32_t addr;        /* ip, parsed */
	uint8_t hwaddr[6];    /* mac, parsed (zero: by user) */
};

struct hubconf_dhcp {
	bool enabled;         /* off unless given */
	char *range;          /* "FIRST-LAST"; NULL: a subnet picked at start */
	char *netmask;
	char *server;         /* NULL: the rule of hubconf_dhcp_server */
	char *router;
	char **dns;
	size_t ndns;
	char *domain;
	uint32_t lease_s;     /* 0: the server's default (an hour) */
	struct hubconf_dhcp_static *statics;
	size_t nstatics;
	uint32_t set;         /* keys given (printed only then) */
	struct cfg_mark marks[CFG_MAX_KEYS];
	int line;
	/* Parsed once loaded; first == 0 without range. */
	uint32_t first, last, mask, server_ip, router_ip;
	uint32_t dns_ip[HUBCONF_DHCP_MAX_DNS];
};

struct hubconf_hub {
	char *name;           /* 1..PROTO_MAX_NAME of [A-Za-z0-9._-] */
	bool online;          /* default true; offline admits no session */
	uint32_t mac_aging_s; /* default 300, 10..86400 */
	uint32_t max_sessions;/* default 1024, 1..65536 */
	struct hubconf_policy default_policy;
	struct hubconf_user *users;
	size_t nusers;
	struct hubconf_dhcp dhcp;
};

/* A local interface bridged onto a virtual hub (a port of kind bridge). */
struct hubconf_bridge {
	char *interface;      /* the Linux interface, e.g. eth1 */
	char *hub;            /* one of hubs[].name */
	/* Effective once loaded: the hub's default_policy overlaid with the
	 * keys given here. */
	struct hubconf_policy policy;
	int line;
};

/* A cascade: a virtual hub here plugged, as a card would be, into a
 * virtual hub of another server (a port of kind cascade). */
struct hubconf_cascade {
	char *name;           /* for logs and status; unique */
	char *hub;            /* one of hubs[].name: the hub here */
	/* The other side, in a card's keys (connect, hub_name, user,
	 * password_file, trust, transport, timers); no interface keys. */
	struct nicconf link;
	/* Frames from the other hub, judged as a bridge's: the hub's
	 * default_policy overlaid with the keys given here. */
	struct hubconf_policy policy;
	int line;
};

/* What holds before a connection has logged in (gate.h). */
struct hubconf_limits {
	uint32_t pending;        /* logging in at once; 0: sized from memory */
	uint32_t resume_reserve; /* of those, for resumes; 0: an eighth */
	uint32_t per_source;     /* at once per IPv4 address / IPv6 prefix */
	uint32_t rate;           /* new connections per second per source */
	uint32_t burst;          /* ... at once after a pause */
	uint32_t ipv6_prefix;    /* bits naming an IPv6 source (default 64) */
	uint32_t first_byte_ms;  /* a new connection's first byte, by then */
	uint32_t queue_mib;      /* all sessions' queues; 0: an eighth of RAM */
	int line;                /* of the limits: map, for messages */
};

/* The management console (admin.listen, telnet-compatible). */
struct hubconf_admin {
	char *listen;         /* default 127.0.0.1:8023 */
	char *password;       /* an $argon2id$ hash; NULL: console closed */
	char *public_key;     /* softether --admin HOST may log in with its
	                         key instead (pubkey.h); NULL: no */
	bool allow_remote;    /* a non-loopback listen needs it */
};

/* The Prometheus endpoint (metrics.c); off unless listen is given. */
struct hubconf_metrics {
	char *listen;         /* "ADDR:PORT", "[V6]:PORT", "*:PORT"; NULL: off */
	uint32_t set;         /* keys given (printed only then) */
};

struct hubconf {
	char *source;         /* file path, or "<default>" for the embedded one */
	char **listen;        /* "ADDR:PORT" or "[V6ADDR]:PORT" or "*:PORT" */
	size_t nlisten;
	char *tcp_congestion; /* of the tunnel's connections; "system" */
	char *state_dir;      /* default HUBCONF_DEFAULT_STATE */
	char *user;           /* who the hub becomes after start (privdrop) */
	char *tls_cert;       /* default <state_dir>/hub.crt */
	char *tls_key;        /* default <state_dir>/hub.key */
	struct hubconf_hub *hubs;
	size_t nhubs;
	struct hubconf_bridge *bridges;
	size_t nbridges;
	struct hubconf_cascade *cascades;
	size_t ncascades;
	enum log_level log_level; /* default info */
	struct hubconf_admin admin;
	struct hubconf_metrics metrics;
	struct hubconf_limits limits;
};

/* The embedded default configuration (YAML text). */
extern const char hubconf_default_yaml[];

/*
 * Parse and validate. On success returns 0 and fills *cfg (free with
 * hubconf_free). On failure returns -1, leaves *cfg empty and writes one
 * line to err: "FILE:LINE:COL: KEY.PATH: what was wrong and what to do".
 * state_dir_override (may be NULL) replaces state_dir before the tls
 * defaults are derived from it.
 */
int hubconf_load_file(const char *path, const char *state_dir_override,
    struct hubconf *cfg, char *err, size_t errlen);
int hubconf_load_string(const char *source, const char *text, size_t len,
    const char *state_dir_override, struct hubconf *cfg, char *err,
    size_t errlen);
void hubconf_free(struct hubconf *cfg);

/* Print the effective configuration as canonical YAML (what
 * --check-config shows); reloading the output gives the same config. */
void hubconf_print(const struct hubconf *cfg, FILE *out);

const struct hubconf_hub *hubconf_find_hub(const struct hubconf *cfg,
    const char *name);

/* Changes in place (the console's overlay): a hub with the defaults (NULL
 * if full or out of memory); remove one by name; add or replace a user
 * (copied) by name in a users array; remove one. 0 or -1. Then
 * hubconf_resolve. */
struct hubconf_hub *hubconf_hub_add(struct hubconf *cfg, const char *name);
int hubconf_hub_remove(struct hubconf *cfg, const char *name);
int hubconf_users_put(struct hubconf_user **users, size_t *n,
    const struct hubconf_user *u);
int hubconf_users_remove(struct hubconf_user **users, size_t *n,
    const char *name);
/* Each user's (and bridge's) effective policy again: the hub's
 * default_policy overlaid with the keys the user gives. */
void hubconf_resolve(struct hubconf *cfg);
/* The card a cascade runs (cascades[i] of a configuration loaded from
 * source): the link's keys; no device (the caller gives it) or
 * address; trust on first use in state_dir/known_hubs unless the link
 * says how to trust. o points into k. 0, or -1 with err
 * "SOURCE:LINE:COL: cascades[i].link.KEY: ...". */
struct nic_opts;
int hubconf_cascade_opts(const struct hubconf_cascade *k, size_t i,
    const char *source, const char *state_dir, struct nic_opts *o,
    char *err, size_t errlen);
/* One more bridge (softether --hub --bridge IFACE): 0, or -1 with err if
 * the interface is bridged already, the hub is unknown or memory is out. */
int hubconf_bridge_add(struct hubconf *cfg, const char *iface,
    const char *hub, char *err, size_t errlen);

/*
 * The address DHCP is served from on a subnet (mask, with first..last its
 * pool): server if given, else the first host address of the subnet that
 * is outside the pool and neither the router, a DNS server nor a static
 * lease's. 0 if there is none.
 */
uint32_t hubconf_dhcp_server(const struct hubconf_dhcp *d, uint32_t first,
    uint32_t last, uint32_t mask);

/* The tables a managed overlay shares (managed.c). */
struct cfg_table;
struct cfg_key;
extern const struct cfg_table hubconf_policy_table;
extern const struct cfg_key hubconf_user_elem;
const struct hubconf_user *hubconf_find_user(const struct hubconf_hub *hub,
    const char *name);

#endif
