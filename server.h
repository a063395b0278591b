/*
 * server.h: the hub daemon (--hub): listeners, the virtual hubs and their
 * sessions, login and authentication, forwarding through the hub engine.
 */
#ifndef SOFTETHER_SERVER_H
#define SOFTETHER_SERVER_H

#include <stdint.h>

#include "config.h"

/* Run a hub on cfg until SIGINT/SIGTERM. With daemonize, detach (logging
 * to syslog) once the listeners are bound and any generated credentials
 * are printed, so start-up errors still reach the terminal. Returns the
 * process exit code. */
int server_run(struct config *cfg, int daemonize, uint32_t resume_window_ms);

#endif
