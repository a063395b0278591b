/*
 * server.h: the hub daemon (--hub): listeners, the virtual hubs and their
 * sessions, login and authentication, forwarding through the switching
 * engine.
 */
#ifndef SOFTETHER_SERVER_H
#define SOFTETHER_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "hubconf.h"

struct event_base;
struct srv;

struct server_opts {
	int daemonize;               /* detach once listening (syslog) */
	uint32_t resume_window_ms;   /* keep a cut session this long */
	uint32_t dead_peer_ms;       /* silence that means the link is dead */
	uint32_t keepalive_ms;       /* idle keepalives every [k/2, k] */
	size_t resume_budget;        /* bytes kept per cut session */
	const char *run_dir;         /* control socket's home; NULL: derived
	                                from the state directory */
	const char *config_path;     /* read again on SIGHUP; NULL: the
	                                embedded default */
	const char *state_dir;       /* --state-dir, over the file's */
	const char *bridge;          /* --bridge IFACE: onto hub DEFAULT, as
	                                if bridges: in the file said so */
	const char *pidfile;         /* --pidfile FILE, or NULL */
};

/*
 * A hub on base: state directory, certificate, virtual hubs, the generated
 * user on first start, listeners bound, then (o->daemonize) detached, so
 * start-up errors still reach the terminal. NULL (logged) on failure. cfg
 * must outlive it.
 */
struct srv *server_new(struct event_base *base, struct hubconf *cfg,
    const struct server_opts *o);
/* Goodbye to every session; the loop exits once they are gone (or after a
 * grace period). */
void server_stop(struct srv *srv);
void server_free(struct srv *srv);
/* The certificate's SHA-256, as hex. */
const char *server_fingerprint(const struct srv *srv);

/* A hub on its own loop until SIGINT/SIGTERM; SIGUSR1 logs status.
 * Returns the process exit code. */
int server_run(struct hubconf *cfg, const struct server_opts *o);

#endif
