/*
 * nicconf.h: the virtual LAN card's options: one declarative table that
 * both the client YAML (softether --nic -c FILE) and the command line go
 * through, and the whole-card checks a start and --check-config share.
 */
#ifndef SOFTETHER_NICCONF_H
#define SOFTETHER_NICCONF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cfgload.h"

struct nic_opts;

/* Every key is optional: NULL, 0 or an empty list when not given. All
 * strings are owned by the struct until nicconf_free. */
struct nicconf {
	char *source;              /* the file, or "<command line>" */
	char *connect;             /* HOST[:PORT] or [V6]:PORT */
	char *hub_name;
	char *user;
	char *password_file;       /* absolute paths, all of them */
	char *key_file;            /* a private key: logs in with it instead */
	char *tap;
	char *bridge;              /* a real interface to bridge, not a TAP */
	char *mac;                 /* unicast, not all zero */
	char *ip;                  /* ADDR/PREFIX, "none" or "dhcp" */
	bool dns;                  /* DHCP's servers to resolvconf */
	bool default_route;        /* DHCP's router, if the host has none */
	char *fingerprint;         /* 64 hex digits (colons allowed) */
	char *ca;
	char *known_hubs;
	char *via;                 /* a transport_find name */
	char *proxy;               /* HOST:PORT */
	char *proxy_user;
	char *proxy_password_file;
	char *ssh;                 /* [USER@]GATEWAY[:PORT] */
	char **ssh_options;        /* "Key=Value" */
	size_t nssh_options;
	uint32_t resume_window_ms; /* 0: not given */
	uint32_t dead_peer_ms;     /* 0: not given */
	uint32_t keepalive_ms;     /* 0: not given */
	uint32_t resume_budget_mib;/* 0: not given */
	bool offload;              /* if given (set): super-frames or not */
	char *tcp_congestion;      /* of the connection to the hub (tcpcc.h) */
	char *up, *down;           /* hook commands: words, no shell */
	uint32_t set;              /* bit i: key i was given (print order) */
	struct cfg_mark marks[CFG_MAX_KEYS]; /* where each was given */
};

/* The card's keys (cfgload.h), for a map of them inside another file: a
 * hub's cascades[].link. */
extern const struct cfg_table nicconf_table;

/* 0, or -1 with *out empty and one line in err:
 * "FILE:LINE:COL: key: what was wrong (and what to do)". */
int nicconf_load_file(const char *path, struct nicconf *out, char *err,
    size_t errlen);
int nicconf_load_string(const char *source, const char *text, size_t len,
    struct nicconf *out, char *err, size_t errlen);
void nicconf_free(struct nicconf *cfg);
/* The keys given, as canonical YAML that reloads the same. */
void nicconf_print(const struct nicconf *cfg, FILE *out);
/* The same in a string (free it); NULL if out of memory. */
char *nicconf_text(const struct nicconf *cfg);

/* Command line: "--opt VALUE" into cfg (which may be empty). 1 if opt is
 * not a card option, 0 taken, -1 with "--opt VALUE: what was wrong". */
int nicconf_arg(struct nicconf *cfg, const char *opt, const char *value,
    char *err, size_t errlen);
/* The command line's options override the file's, key by key; giving
 * either of fingerprint and ca there replaces both of the file's. */
void nicconf_merge(struct nicconf *file, struct nicconf *cli);
/* The card's options in table order, for getopt and --help: name (no
 * "--") and what it takes; NULL past the last. */
const char *nicconf_opt(size_t i, const char **arg);
/* The set bit of key name (0 if no such key). */
uint32_t nicconf_bit(const char *name);

/*
 * The whole card as a start would run it: required keys, defaults, the
 * transport's own checks, one way of trusting the hub. Fills o (pointing
 * into cfg, which must outlive it). 0, or -1 with err naming the key as
 * "FILE:LINE:COL: key: ..." or "--option: ...".
 */
int nicconf_to_opts(const struct nicconf *cfg, struct nic_opts *o, char *err,
    size_t errlen);
/* The link's timers and resume budget, defaults where not given; the hub
 * takes these four options too. */
void nicconf_timers(const struct nicconf *cfg, uint32_t *resume_window_ms,
    uint32_t *dead_peer_ms, uint32_t *keepalive_ms, size_t *resume_budget);

#endif
