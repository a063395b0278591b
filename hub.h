/*
 * hub.h: the switching-hub engine. A pure function of (hub state, input port,
 * frame, time) -> verdict: parses the frame once, enforces the source port's
 * security policy, learns MACs and IPs with aging in O(1) hash tables,
 * forwards known unicast, floods the rest. No sockets in here.
 */
#ifndef SOFTETHER_HUB_H
#define SOFTETHER_HUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "iptable.h"

#define HUB_NAME_MAX          64
#define HUB_DEFAULT_AGING_MS  300000u
#define HUB_DEFAULT_MAX_MACS  (1u << 20)  /* per hub; learning stops when full */

struct hub;

/*
 * What a user may do on a hub; all false/0 is no restriction. The engine
 * enforces the frame policies; deny_access, deny_reconnect and
 * max_sessions are for whoever admits sessions.
 */
struct hub_policy {
	bool deny_access;        /* the user cannot log in */
	bool deny_reconnect;     /* a cut session cannot be resumed */
	bool force_dhcp_ip;      /* IPv4 only from addresses DHCP gave it */
	bool deny_duplicate_ip;  /* no source address another port owns */
	bool deny_duplicate_mac; /* no source MAC another port owns */
	bool deny_broadcast;     /* nothing to ff:ff:ff:ff:ff:ff */
	bool deny_dhcp_server;   /* no DHCP offers, acks, replies */
	bool filter_dhcp;        /* no DHCP in either direction */
	bool ipv6_ra_filter;     /* no IPv6 router advertisements */
	uint32_t max_ip;         /* IPv4 source addresses; 0 = unlimited */
	uint32_t max_mac;        /* source MACs; 0 = unlimited */
	uint32_t max_sessions;   /* the user's sessions at once; 0 = unlimited */
};

/* Why a frame was dropped; hub_drop_name() gives the log name. */
enum hub_drop_reason {
	HUB_DROP_BAD_FRAME = 0,  /* malformed; or opaque, from a policed port */
	HUB_DROP_SAME_PORT,      /* destination behind the source port */
	HUB_DROP_MAX_MAC,
	HUB_DROP_DUP_MAC,
	HUB_DROP_MAX_IP,
	HUB_DROP_DUP_IP,
	HUB_DROP_NOT_DHCP_IP,
	HUB_DROP_BROADCAST,
	HUB_DROP_DHCP_SERVER,
	HUB_DROP_DHCP_FILTERED,
	HUB_DROP_ROUTER_ADVERT,
	HUB_DROP_NREASONS
};

/* One attachment to a hub: a remote session, a TAP, a bridged NIC. */
struct hub_port {
	TAILQ_ENTRY(hub_port) entry;   /* in hub->ports */
	struct hub *hub;
	void *owner;                   /* the session or device behind the port */
	uint64_t id;                   /* unique within the hub, never reused */
	const struct hub_policy *policy; /* NULL: none; hub_port_set_policy */
	uint32_t checks;               /* derived from policy: what to test */
	uint32_t egress_deny;          /* HUB_META_* flags not delivered here */
	uint32_t macs;                 /* MAC entries currently pointing here */
	uint32_t ip4s, ip6s;           /* IP table entries pointing here */
	/* The IPv4 source it last sent from is its own, its frames having
	 * passed, until ip4_until while hub->ips.gen is still ip4_gen: then
	 * the next frames from it skip the IP table. */
	uint32_t ip4_last;
	uint64_t ip4_until, ip4_gen;
	uint64_t rx_frames, rx_bytes;  /* frames the port sent into the hub */
	uint64_t drop_frames;          /* the sum of drops[] */
	/* Its frames the engine dropped, and frames held back from it. */
	uint64_t drops[HUB_DROP_NREASONS];
};
TAILQ_HEAD(hub_port_list, hub_port);

struct hub_mac_entry {
	uint8_t mac[6];
	uint16_t used;                 /* 0 = empty slot */
	uint32_t pad;
	uint64_t seen_ms;
	struct hub_port *port;
};

struct hub_stats {
	uint64_t frames_in;
	uint64_t unicast, flooded, dropped;
	uint64_t learned, moved, aged, table_full;
	/* Drops by reason: frames dropped on input, plus deliveries held
	 * back by a destination's policy (hub_egress_ok). */
	uint64_t drops[HUB_DROP_NREASONS];
};

struct hub {
	char name[HUB_NAME_MAX + 1];
	struct hub_port_list ports;
	uint32_t nports;
	uint64_t next_port_id;
	uint32_t aging_ms;
	uint32_t max_macs;
	/* MAC table: open addressing, linear probing, power-of-two size,
	 * keyed hash (SipHash) so a peer cannot choose colliding MACs. */
	struct hub_mac_entry *slots;
	uint32_t nslots;               /* power of two */
	uint32_t nmacs;
	uint8_t hash_key[16];
	struct hub_stats stats;
	struct iptable ips;            /* who owns which IP address */
};

enum hub_verdict {
	HUB_DROP = 0,    /* see hub_meta.why */
	HUB_UNICAST = 1, /* hub_meta.dst is the one port to send to */
	HUB_FLOOD = 2,   /* send to every port but the source that
	                    hub_egress_ok() accepts */
};

/* What the frame carries, as far as destinations' policies care. */
#define HUB_META_DHCP    0x1u  /* DHCP: UDP port 67/68, or 546/547 on IPv6 */
#define HUB_META_OPAQUE  0x2u  /* not parsable as far as the policies look */

/* hub_input's answer besides the verdict. */
struct hub_meta {
	struct hub_port *dst;          /* HUB_UNICAST: where to; else NULL */
	uint32_t flags;                /* HUB_META_* */
	enum hub_drop_reason why;      /* HUB_DROP: why */
};

/* Returns 0, or -1 on allocation failure. */
int hub_init(struct hub *h, const char *name, uint32_t aging_ms,
    uint32_t max_macs);
void hub_free(struct hub *h);

/* Attach a port (caller-owned storage) with no policy; assigns port->id. */
void hub_port_add(struct hub *h, struct hub_port *p, void *owner);
/* Set or change (NULL: clear) the policy of a port. The policy is
 * referenced, not copied; call again after changing it. */
void hub_port_set_policy(struct hub_port *p, const struct hub_policy *pol);
/* Detach a port and forget every MAC and IP learned on it; returns how
 * many MACs. */
uint32_t hub_port_remove(struct hub *h, struct hub_port *p);

/*
 * The forwarding decision for one frame arriving on src at now_ms; fills
 * *m. A frame dropped on input teaches the tables nothing. For HUB_FLOOD
 * the caller asks hub_egress_ok() for each destination; HUB_UNICAST has
 * already been asked.
 */
enum hub_verdict hub_input(struct hub *h, struct hub_port *src,
    const uint8_t *frame, size_t len, uint64_t now_ms, struct hub_meta *m);

/* Counts a delivery held back; always returns 0. */
int hub_egress_drop(struct hub_port *dst, const struct hub_meta *m);

/* May the frame hub_input() described go out to dst? One AND when it may. */
static inline int
hub_egress_ok(struct hub_port *dst, const struct hub_meta *m)
{
	return (m->flags & dst->egress_deny) == 0 || hub_egress_drop(dst, m);
}

/* Forget MAC entries older than the aging time and expired IP entries;
 * returns how many MACs (the IP table counts its own). */
uint32_t hub_age(struct hub *h, uint64_t now_ms);

/* The port a MAC is learned on (NULL if unknown or aged out). */
struct hub_port *hub_mac_lookup(struct hub *h, const uint8_t mac[6],
    uint64_t now_ms);

/* Visit every live entry (for status dumps). */
void hub_mac_foreach(struct hub *h, void (*fn)(void *arg,
    const struct hub_mac_entry *e), void *arg);

/* "bad-frame", "max-mac", ...: for logs. */
const char *hub_drop_name(enum hub_drop_reason r);

#endif
