/*
 * server.h: the hub daemon (--hub): listeners, the virtual hubs and their
 * sessions, login and authentication, forwarding through the hub engine.
 */
#ifndef SOFTETHER_SERVER_H
#define SOFTETHER_SERVER_H

#include "config.h"

/* Run a hub on cfg until SIGINT/SIGTERM. Returns the process exit code. */
int server_run(struct config *cfg);

#endif
