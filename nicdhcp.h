/*
 * nicdhcp.h: the card's DHCP client: dhcpcli.c's state machine wired to a
 * TAP card. Its frames go toward the hub as if the TAP had sent them, the
 * replies to the card's MAC come back from the hub, and the lease is put
 * on the interface (the address with its lifetime; a default route and
 * DNS servers only if asked), kept across a resume, asked for again
 * (INIT-REBOOT) after a new session and released when the card stops.
 */
#ifndef SOFTETHER_NICDHCP_H
#define SOFTETHER_NICDHCP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dhcpcli.h"
#include "ether.h"
#include "proto.h"

struct event_base;
struct nicdhcp;

#define NICDHCP_MIN_PREFIX 8u    /* a wider subnet from a server is refused:
                                    its route would cover half the world */
#define NICDHCP_RESOLV_MAX 512u  /* resolv.conf lines given to resolvconf */
#define NICDHCP_SUFFIX     ".softether" /* resolvconf's record: IFNAME.this */

struct nicdhcp_conf {
	const char *ifname;           /* must outlive the client */
	uint8_t mac[ETHER_ADDR_LEN];  /* the TAP's */
	int dns;                      /* --dns: servers to resolvconf */
	int default_route;            /* --default-route: the router, if the
	                                 host has no default route */
};

/* A frame the client made: toward the hub, as if from the TAP. */
typedef void nicdhcp_send_fn(void *arg, const uint8_t *f, size_t len);

/*
 * What applying a lease does to the system. The client's own (rtnetlink,
 * resolvconf) unless nicdhcp_set_ops gives others (tests). Addresses in
 * host order.
 */
struct nicdhcp_ops {
	/* ip/prefix onto ifname (valid_s its lifetime, 0 forever) or off
	 * it. 0, or -1 with err. */
	int (*addr)(void *arg, const char *ifname, int add, uint32_t ip,
	    unsigned prefix, uint32_t valid_s, char *err, size_t errlen);
	/* The default route via gw: added only if the host has none (0
	 * added, 1 left alone, -1 with err), or removed (0 or -1). */
	int (*route)(void *arg, const char *ifname, int add, uint32_t gw,
	    char *err, size_t errlen);
	/* ifname's resolv.conf lines, or NULL: withdrawn. */
	void (*dns)(void *arg, const char *ifname, const char *conf);
};

/* How the client is, for the card's status. */
struct nicdhcp_status {
	enum dhcpcli_state state;
	uint32_t ip;              /* held on the interface; 0: none */
	unsigned prefix;
	uint32_t server, router;  /* 0: none */
	int route;                /* the default route via router is ours */
	uint64_t renew_in_ms;     /* to T1, 0 if past; UINT64_MAX never */
	uint64_t expires_in_ms;   /* UINT64_MAX: never */
	uint32_t leases, renewals, losses;
};

/*
 * A client for the card on conf->ifname; base NULL: no timer and no
 * resolvconf (tests call nicdhcp_tick). NULL if out of memory.
 */
struct nicdhcp *nicdhcp_new(struct event_base *base,
    const struct nicdhcp_conf *conf, nicdhcp_send_fn *send, void *arg);
void nicdhcp_set_ops(struct nicdhcp *d, const struct nicdhcp_ops *ops,
    void *arg);
/* Leaves whatever is on the interface (nicdhcp_stop takes it off). */
void nicdhcp_free(struct nicdhcp *d);

/* A new session is up (not a resume): DISCOVER, or, holding an address,
 * an INIT-REBOOT REQUEST for it (it stays on until refused or run out). */
void nicdhcp_start(struct nicdhcp *d, uint64_t now_ms);
/* A frame that nicdhcp_wants. */
void nicdhcp_input(struct nicdhcp *d, uint64_t now_ms, const uint8_t *f,
    size_t len);
/* The timer (the card's own calls it; tests call it themselves). */
void nicdhcp_tick(struct nicdhcp *d, uint64_t now_ms);
/* When nicdhcp_tick has work next; UINT64_MAX: never. */
uint64_t nicdhcp_next(const struct nicdhcp *d);
/* The card stops: RELEASE (through send, before the goodbye) and the
 * lease off the interface. Again: nothing. */
void nicdhcp_stop(struct nicdhcp *d, uint64_t now_ms);
void nicdhcp_get_status(const struct nicdhcp *d, uint64_t now_ms,
    struct nicdhcp_status *st);

/*
 * Is this frame from the hub for the client: IPv4 (not a later fragment),
 * UDP to port 68, to mac or broadcast? A few byte compares, for the path
 * every frame takes.
 */
#define NICDHCP_IP4_HDR    20u   /* an IPv4 header without options */
#define NICDHCP_UDP_HDR    8u

static inline int
nicdhcp_wants(const uint8_t *f, size_t len,
    const uint8_t mac[ETHER_ADDR_LEN])
{
	const uint8_t *ip = f + PROTO_ETH_HDR, *udp;

	/* EtherType IPv4; version 4; protocol UDP; fragment offset 0. */
	if (len < PROTO_ETH_HDR + NICDHCP_IP4_HDR + NICDHCP_UDP_HDR ||
	    f[12] != 0x08 || f[13] != 0x00 || (ip[0] >> 4) != 4u ||
	    ip[9] != 17u || (ip[6] & 0x1fu) != 0 || ip[7] != 0)
		return 0;
	udp = ip + (size_t)(ip[0] & 0x0fu) * 4u;
	if ((size_t)(udp - f) + NICDHCP_UDP_HDR > len || udp[2] != 0 ||
	    udp[3] != PROTO_DHCP_CLIENT_PORT)
		return 0;
	return memcmp(f, mac, ETHER_ADDR_LEN) == 0 ||
	    (f[0] & f[1] & f[2] & f[3] & f[4] & f[5]) == 0xffu;
}

/*
 * The pure checks behind applying a lease: NULL if l may go on the
 * interface (*prefix: its subnet's, from the mask, or the address class's
 * if the server gave none), else why not.
 */
const char *nicdhcp_lease_check(const struct dhcpcli_lease *l,
    unsigned *prefix);
/* The router, if it is usable as one: on the subnet, not the address
 * itself, nor the subnet's network or broadcast address. */
int nicdhcp_router_ok(const struct dhcpcli_lease *l, unsigned prefix);
/* l's DNS servers and domain as resolv.conf lines into out (cap bytes,
 * NUL-terminated); a domain that is not a plain DNS name is left out.
 * Returns the length; 0: nothing to say. */
size_t nicdhcp_resolv_conf(const struct dhcpcli_lease *l, char *out,
    size_t cap);

#endif
