/*
 * switch.h: the switching engine of a virtual hub. A pure function of (hub state, input port,
 * frame, time) -> verdict: parses the frame once, enforces the source port's
 * security policy, learns MACs and IPs with aging in O(1) hash tables,
 * forwards known unicast, floods the rest. No sockets in here.
 */
#ifndef SOFTETHER_SWITCH_H
#define SOFTETHER_SWITCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "iptable.h"

#define SW_NAME_MAX          64
#define SW_DEFAULT_AGING_MS  300000u
#define SW_DEFAULT_MAX_MACS  (1u << 20)  /* per hub; learning stops when full */
/* MACs one port may hold unless its policy's max_mac says otherwise (a
 * bridge of a big LAN sets it higher): no port can fill the hub's table
 * and make everyone's unicast flood. */
#define SW_PORT_MAX_MACS     4096u

struct sw;
struct vnet_meta;

/*
 * What a user may do on a hub; all false/0 is no restriction. The engine
 * enforces the frame policies; deny_access, deny_reconnect and
 * max_sessions are for whoever admits sessions.
 */
struct sw_policy {
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
	uint32_t max_ip6;        /* IPv6 source addresses; 0 = unlimited */
	uint32_t max_mac;        /* source MACs; 0 = SW_PORT_MAX_MACS */
	uint32_t max_sessions;   /* the user's sessions at once; 0 = unlimited */
};

/* Why a frame was dropped; sw_drop_name() gives the log name. */
enum sw_drop_reason {
	SW_DROP_BAD_FRAME = 0,  /* malformed; or opaque, from a policed port */
	SW_DROP_SAME_PORT,      /* destination behind the source port */
	SW_DROP_MAX_MAC,
	SW_DROP_DUP_MAC,
	SW_DROP_MAX_IP,
	SW_DROP_DUP_IP,
	SW_DROP_NOT_DHCP_IP,
	SW_DROP_BROADCAST,
	SW_DROP_DHCP_SERVER,
	SW_DROP_DHCP_FILTERED,
	SW_DROP_ROUTER_ADVERT,  /* also ICMPv6 redirects */
	SW_DROP_SPOOF,          /* ARP or ND naming a MAC not the sender's */
	SW_DROP_NREASONS
};

#define SW_PORT_NAME_MAX      96

struct sw_port;

/*
 * A kind of port: a remote session, a bridged interface, a service inside
 * the hub. Adding a kind is one new ops table; the engine does not change.
 */
struct sw_port_ops {
	const char *kind;              /* "session", "bridge": for status */
	/* One frame out of the hub through p. It may drop it (and count);
	 * it must not add or remove ports. vm: NULL, or the offload
	 * metadata of a super-frame or a frame with a partial checksum
	 * (checked by vnet_check: a port that cannot take it as is
	 * undoes it with vnet_undo). f is shared: never changed. */
	void (*output)(struct sw_port *p, const struct vnet_meta *vm,
	    const uint8_t *f, size_t len);
};

/* One attachment to a hub: a remote session, a TAP, a bridged NIC. */
struct sw_port {
	TAILQ_ENTRY(sw_port) entry;   /* in hub->ports */
	struct sw *hub;
	const struct sw_port_ops *ops;
	void *owner;                   /* the session or device behind the port */
	char name[SW_PORT_NAME_MAX];   /* for logs and status, set by the owner */
	uint64_t id;                   /* unique within the hub, never reused */
	const struct sw_policy *policy; /* NULL: none; sw_port_set_policy */
	uint32_t checks;               /* derived from policy: what to test */
	uint32_t egress_deny;          /* SW_META_* flags not delivered here */
	uint32_t macs;                 /* MAC entries currently pointing here */
	uint32_t mac_cap;              /* at most this many (sw_port_set_policy,
	                                  sw_port_set_mac_cap) */
	uint32_t ip4s, ip6s;           /* IP table entries pointing here */
	/* The IPv4 source it last sent from is its own, its frames having
	 * passed, until ip4_until while hub->ips.gen is still ip4_gen: then
	 * the next frames from it skip the IP table. */
	uint32_t ip4_last;
	uint64_t ip4_until, ip4_gen;
	uint64_t rx_frames, rx_bytes;  /* frames the port sent into the hub */
	uint64_t drop_frames;          /* the sum of drops[] */
	/* Its frames the engine dropped, and frames held back from it. */
	uint64_t drops[SW_DROP_NREASONS];
};
TAILQ_HEAD(sw_port_list, sw_port);

struct sw_mac_entry {
	uint8_t mac[6];
	uint16_t used;                 /* 0 = empty slot */
	uint32_t pad;
	uint64_t seen_ms;
	struct sw_port *port;
};

struct sw_stats {
	uint64_t frames_in;
	uint64_t unicast, flooded, dropped;
	uint64_t learned, moved, aged, table_full;
	/* Drops by reason: frames dropped on input, plus deliveries held
	 * back by a destination's policy (sw_egress_ok). */
	uint64_t drops[SW_DROP_NREASONS];
};

struct sw {
	char name[SW_NAME_MAX + 1];
	struct sw_port_list ports;
	uint32_t nports;
	uint64_t next_port_id;
	uint32_t aging_ms;
	uint32_t max_macs;
	/* MAC table: open addressing, linear probing, power-of-two size,
	 * keyed hash (SipHash) so a peer cannot choose colliding MACs. */
	struct sw_mac_entry *slots;
	uint32_t nslots;               /* power of two */
	uint32_t nmacs;
	uint8_t hash_key[16];
	struct sw_stats stats;
	struct iptable ips;            /* who owns which IP address */
	/* Monitors (sw_monitor_add): not ports. Each is handed every frame
	 * the hub forwards, once, as it came in; none learns, floods or is
	 * policed. Empty: sw_forward pays one pointer test. */
	struct sw_port_list monitors;
	uint32_t nmonitors;
};

enum sw_verdict {
	SW_DROP = 0,    /* see sw_meta.why */
	SW_UNICAST = 1, /* sw_meta.dst is the one port to send to */
	SW_FLOOD = 2,   /* send to every port but the source that
	                    sw_egress_ok() accepts */
};

/* What the frame carries, as far as destinations' policies care. */
#define SW_META_DHCP    0x1u  /* DHCP: UDP port 67/68, or 546/547 on IPv6 */
#define SW_META_OPAQUE  0x2u  /* not parsable as far as the policies look */

/* sw_input's answer besides the verdict. */
struct sw_meta {
	struct sw_port *dst;          /* SW_UNICAST: where to; else NULL */
	uint32_t flags;                /* SW_META_* */
	enum sw_drop_reason why;      /* SW_DROP: why */
};

/* Returns 0, or -1 on allocation failure. */
int sw_init(struct sw *h, const char *name, uint32_t aging_ms,
    uint32_t max_macs);
void sw_free(struct sw *h);

/* Attach a port (caller-owned storage) of kind ops (NULL: a port that is
 * only ever a source, as in tests) with no policy; assigns port->id. */
void sw_port_add(struct sw *h, struct sw_port *p,
    const struct sw_port_ops *ops, void *owner);
/* Set or change (NULL: clear) the policy of a port. The policy is
 * referenced, not copied; call again after changing it. */
void sw_port_set_policy(struct sw_port *p, const struct sw_policy *pol);
/* Let p hold up to n MACs whatever its policy says (an engine's own use,
 * e.g. a bridge's view of its LAN). */
void sw_port_set_mac_cap(struct sw_port *p, uint32_t n);
/* Detach a port and forget every MAC and IP learned on it; returns how
 * many MACs. */
uint32_t sw_port_remove(struct sw *h, struct sw_port *p);

/* Attach a monitor (caller-owned storage) of kind ops: from now on
 * ops->output gets every frame sw_forward forwards (unicast or flooded;
 * not those it drops), once per frame and not per destination, with its
 * offload metadata, before the destinations get it. It is no port: it is
 * never a destination, learns nothing, and the policies do not see it.
 * Its output must not add or remove ports or monitors. */
void sw_monitor_add(struct sw *h, struct sw_port *p,
    const struct sw_port_ops *ops, void *owner);
void sw_monitor_remove(struct sw *h, struct sw_port *p);

/*
 * The forwarding decision for one frame arriving on src at now_ms; fills
 * *m. A frame dropped on input teaches the tables nothing. For SW_FLOOD
 * the caller asks sw_egress_ok() for each destination; SW_UNICAST has
 * already been asked.
 */
enum sw_verdict sw_input(struct sw *h, struct sw_port *src,
    const uint8_t *frame, size_t len, uint64_t now_ms, struct sw_meta *m);

/* The whole switching step: sw_input, then each destination's output.
 * vm: NULL, or offload metadata for the frame (a super-frame is switched
 * once, on its headers, which are its segments' headers; but UDP to or
 * from a DHCP port, whose payload the policies read, segment by segment;
 * metadata that does not fit the frame drops it as a bad frame). */
void sw_forward(struct sw *h, struct sw_port *src, const struct vnet_meta *vm,
    const uint8_t *frame, size_t len, uint64_t now_ms);

/* Counts a delivery held back; always returns 0. */
int sw_egress_drop(struct sw_port *dst, const struct sw_meta *m);

/* May the frame sw_input() described go out to dst? One AND when it may. */
static inline int
sw_egress_ok(struct sw_port *dst, const struct sw_meta *m)
{
	return (m->flags & dst->egress_deny) == 0 || sw_egress_drop(dst, m);
}

/* Forget MAC entries older than the aging time and expired IP entries;
 * returns how many MACs (the IP table counts its own). */
uint32_t sw_age(struct sw *h, uint64_t now_ms);

/* The port a MAC is learned on (NULL if unknown or aged out). */
struct sw_port *sw_mac_lookup(struct sw *h, const uint8_t mac[6],
    uint64_t now_ms);

/* Forget one MAC (the administrator's): 1 if it was known, else 0. It is
 * learned again from the next frame it sends. */
int sw_mac_delete(struct sw *h, const uint8_t mac[6]);

/* Visit every live entry (for status dumps). */
void sw_mac_foreach(struct sw *h, void (*fn)(void *arg,
    const struct sw_mac_entry *e), void *arg);

/* "bad-frame", "max-mac", ...: for logs. */
const char *sw_drop_name(enum sw_drop_reason r);

#endif
