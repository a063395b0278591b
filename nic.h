/*
 * nic.h: the virtual LAN card (--nic): a TAP device plugged into a hub over
 * one of the transports, reconnecting until stopped.
 */
#ifndef SOFTETHER_NIC_H
#define SOFTETHER_NIC_H

#include <stdint.h>

#include "transport/transport.h"

struct nic_opts {
	char host[256];
	uint16_t port;
	const char *user;
	const char *password_file;
	const char *hub_name;      /* default "DEFAULT" */
	const char *tap_name;      /* default "vpn0" */
	const char *mac;           /* NULL: random locally administered */
	const char *ip;            /* NULL: leave addressing to the user */
	const char *fingerprint;   /* pin the hub's certificate */
	const char *ca_file;       /* or verify a chain */
	const char *known_hubs;    /* trust-on-first-use file */
	const struct transport_ops *via;
	/* The transport's own settings; host/port filled from --connect,
	 * proxy_password from --proxy-password-file by nic_run. */
	struct transport_target target;
	const char *proxy_password_file;
	uint32_t resume_window_ms;   /* keep a cut session this long */
	uint32_t dead_peer_ms;       /* silence that means the link is dead */
	uint32_t keepalive_ms;       /* idle keepalives every [k/2, k] at most */
	size_t resume_budget;        /* bytes kept while cut */
};

/* Returns the process exit code: 0 stopped by the user, 2 refused for a
 * reason retrying cannot fix (credentials, certificate), 1 other errors. */
int nic_run(const struct nic_opts *o);

/* "host", "host:port", "[v6]:port" -> host and port (default_port if
 * absent). 0 or -1. */
int nic_parse_hostport(const char *s, char *host, size_t hostlen,
    uint16_t *port, uint16_t default_port);

#endif
