/*
 * server.h: the hub daemon (--hub): listeners, the virtual hubs and their
 * sessions, login and authentication, forwarding through the hub engine.
 */
#ifndef SOFTETHER_SERVER_H
#define SOFTETHER_SERVER_H

#include <stdint.h>

#include "config.h"

/* Run a hub on cfg until SIGINT/SIGTERM. With o->daemonize, detach (logging
 * to syslog) once the listeners are bound and any generated credentials
 * are printed, so start-up errors still reach the terminal. Returns the
 * process exit code. */
struct server_opts {
	int daemonize;
	uint32_t resume_window_ms;   /* keep a cut session this long */
	uint32_t dead_peer_ms;       /* silence that means the link is dead */
	uint32_t keepalive_ms;       /* idle keepalives every [k/2, k] */
	size_t resume_budget;        /* bytes kept per cut session */
};
int server_run(struct config *cfg, const struct server_opts *o);

#endif
