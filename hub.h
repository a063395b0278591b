/*
 * hub.h: the switching-hub engine. A pure function of (hub state, input port,
 * frame, time) -> verdict: learns source MACs with aging in an O(1) hash
 * table, forwards known unicast, floods the rest. No sockets in here.
 */
#ifndef SOFTETHER_HUB_H
#define SOFTETHER_HUB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#define HUB_NAME_MAX          64
#define HUB_DEFAULT_AGING_MS  300000u
#define HUB_DEFAULT_MAX_MACS  (1u << 20)  /* per hub; learning stops when full */

struct hub;

/* One attachment to a hub: a remote session, a TAP, a bridged NIC. */
struct hub_port {
	TAILQ_ENTRY(hub_port) entry;   /* in hub->ports */
	struct hub *hub;
	void *owner;                   /* the session or device behind the port */
	uint64_t id;                   /* unique within the hub, never reused */
	uint32_t macs;                 /* MAC entries currently pointing here */
	uint64_t rx_frames, rx_bytes;  /* frames the port sent into the hub */
	uint64_t drop_frames;          /* its frames the engine dropped */
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
};

enum hub_verdict {
	HUB_DROP = 0,    /* bad frame or destination behind its own port */
	HUB_UNICAST = 1, /* *dst is the one port to send to */
	HUB_FLOOD = 2,   /* send to every port but the source */
};

/* Returns 0, or -1 on allocation failure. */
int hub_init(struct hub *h, const char *name, uint32_t aging_ms,
    uint32_t max_macs);
void hub_free(struct hub *h);

/* Attach a port (caller-owned storage); assigns port->id. */
void hub_port_add(struct hub *h, struct hub_port *p, void *owner);
/* Detach a port and forget every MAC learned on it; returns how many. */
uint32_t hub_port_remove(struct hub *h, struct hub_port *p);

/* The forwarding decision for one frame arriving on src at now_ms. */
enum hub_verdict hub_input(struct hub *h, struct hub_port *src,
    const uint8_t *frame, size_t len, uint64_t now_ms, struct hub_port **dst);

/* Forget entries older than the aging time; returns how many. */
uint32_t hub_age(struct hub *h, uint64_t now_ms);

/* The port a MAC is learned on (NULL if unknown or aged out). */
struct hub_port *hub_mac_lookup(struct hub *h, const uint8_t mac[6],
    uint64_t now_ms);

/* Visit every live entry (for status dumps). */
void hub_mac_foreach(struct hub *h, void (*fn)(void *arg,
    const struct hub_mac_entry *e), void *arg);

#endif
