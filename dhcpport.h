/*
 * dhcpport.h: a virtual hub's DHCP service as a port of its switching
 * engine (port kind dhcp): the server engine (dhcpsrv.c) fed with the
 * frames the hub hands the port, its answers and ARP probes sent back into
 * the hub from the port, its leases kept in the state directory. Also the
 * pure pieces around it: the subnet picked for a hub that names none, the
 * server's configuration from the hub's, the files' names.
 */
#ifndef SOFTETHER_DHCPPORT_H
#define SOFTETHER_DHCPPORT_H

#include <stddef.h>
#include <stdint.h>

#include "dhcpsrv.h"
#include "hubconf.h"

struct srv;
struct srv_hub;

#define DHCPPORT_KIND          "dhcp"
#define DHCPPORT_PROBE_WAIT_MS 500u    /* an ARP probe unanswered by then:
                                          the address is free */
#define DHCPPORT_SAVE_MS       1000u   /* changes to the lease file are
                                          written together within this */
#define DHCPPORT_QUEUE         32u     /* frames waiting to go into the hub */
#define DHCPPORT_FILE_MAX      (16u << 20) /* a longer lease file is bad */
#define DHCPPORT_MAX_NETS      512u    /* host networks looked at */
#define DHCPPORT_NET_STR       19u     /* "255.255.255.255/32" and NUL */
#define DHCPPORT_PATH_MAX      4096u

/* A network of the host: an address or a route, host byte order. */
struct dhcpport_net {
	uint32_t net, mask;
};

/*
 * A private /24 (of 10/8, 172.16/12, 192.168/16) that overlaps none of
 * used[0..n) (default routes aside), tried in an order that seed decides:
 * the same seed and networks give the same subnet. 0, or -1 if every one
 * overlaps.
 */
int dhcpport_pick_subnet(const struct dhcpport_net *used, size_t n,
    uint64_t seed, uint32_t *net);
/* The host's IPv4 addresses (as their networks) and routes (the main
 * table), at most max; how many. */
size_t dhcpport_host_nets(struct dhcpport_net *out, size_t max);

/* "a.b.c.d/24" with an optional newline: the subnet file. 0 or -1. */
int dhcpport_parse_subnet(const char *text, size_t len, uint32_t *net);

/* <state_dir>/dhcp-<hub><suffix> into buf: 0, or -1 if it does not fit. */
int dhcpport_path(char *buf, size_t len, const char *state_dir,
    const char *hub, const char *suffix);

/* The server's MAC on a hub: locally administered, the same at every
 * start of this hub (it follows the hub's certificate and the name). */
void dhcpport_mac(const char *fingerprint, const char *hub,
    uint8_t mac[ETHER_ADDR_LEN]);

/*
 * The server's configuration from a hub's dhcp: (checked when loaded);
 * without range, auto_net is the picked /24. statics has room for
 * HUBCONF_DHCP_MAX_STATIC. 0, or -1 with err.
 */
int dhcpport_conf(const struct hubconf_dhcp *d, uint32_t auto_net,
    const uint8_t mac[ETHER_ADDR_LEN], struct dhcpsrv_conf *c,
    struct dhcpsrv_static *statics, char *err, size_t errlen);

/* ---- The running service (srv.h's hubs) ------------------------------- */

/* Make the hub's service what its configuration says: started, changed
 * (leases that still fit kept), or stopped. 0, or -1 (logged). */
int dhcpport_sync(struct srv *srv, struct srv_hub *h);
/* Stop it (leases saved), if it runs. */
void dhcpport_stop(struct srv_hub *h);
/* The periodic tidying (srv's age timer). */
void dhcpport_tick(struct srv_hub *h, uint64_t now_ms);

/* What a running service shows (NULL-safe: 0 if none runs). */
struct dhcpport_info {
	uint32_t net, mask, server, first, last;
	unsigned prefix;              /* mask's length */
	int picked;                   /* the subnet was picked, not given */
	uint32_t leases;              /* bound now */
	uint64_t tx_dropped;          /* answers the queue could not take */
	struct dhcpsrv_stats st;
	const char *subnet_file;      /* picked: where it is kept */
};
int dhcpport_info(const struct srv_hub *h, struct dhcpport_info *i);
/* Messages dropped as malformed, all reasons. */
uint64_t dhcpport_malformed(const struct dhcpsrv_stats *st);

#endif
