/*
 * iptable.h: a hub's IP table: which port owns which IPv4 and IPv6 address,
 * learned from traffic (aging, refreshed by traffic) or bound by a DHCP
 * acknowledgement (until the lease ends). O(1) keyed hash tables.
 */
#ifndef SOFTETHER_IPTABLE_H
#define SOFTETHER_IPTABLE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define IPTABLE_DEFAULT_AGING_MS  60000u
#define IPTABLE_DEFAULT_MAX       (1u << 21)  /* per family; learning stops */
#define IPTABLE_PORT_MAX          1024u       /* a hub's port_max */
#define IPTABLE_V6_LEN            16u

struct sw_port;

enum iptable_source {
	IPTABLE_TRAFFIC = 1,   /* seen as a source address; ages */
	IPTABLE_DHCP = 2,      /* bound by a DHCP ACK; lives out its lease */
};

/* An address is used iff used != 0; addr is in network byte order. */
struct iptable_e4 {
	uint32_t addr;
	uint8_t used;
	uint8_t source;        /* enum iptable_source */
	uint16_t pad;
	uint64_t expiry_ms;    /* dead from this instant on */
	struct sw_port *port;
};

struct iptable_e6 {
	uint8_t addr[IPTABLE_V6_LEN];
	uint8_t used;
	uint8_t source;
	uint8_t pad[6];
	uint64_t expiry_ms;
	struct sw_port *port;
};

struct iptable_stats {
	uint64_t learned, moved, bound, aged, table_full;
	uint64_t port_full;    /* not learned: the port holds its maximum */
	uint64_t kept;         /* traffic that could not move a DHCP binding */
};

struct iptable {
	/* Open addressing as switch.c's MAC table; keyed SipHash (one key for
	 * both families) so a peer cannot aim addresses at one chain. */
	struct iptable_e4 *slots4;
	struct iptable_e6 *slots6;
	uint32_t nslots4, nslots6;     /* powers of two */
	uint32_t n4, n6;
	uint32_t max_entries;          /* per family */
	uint32_t port_max;             /* per port and family, learned from
	                                  traffic; 0: no limit */
	uint32_t aging_ms;             /* traffic-learned lifetime */
	/* Bumped whenever an entry changes hands, is bound or is removed,
	 * so that a cached "this port owns this address" can be trusted
	 * while it stays the same. */
	uint64_t gen;
	uint8_t hash_key[16];
	struct iptable_stats stats;
};

/* What iptable_foreach shows of one entry. */
struct iptable_view {
	int version;                   /* 4 or 6 */
	uint8_t addr[IPTABLE_V6_LEN];  /* IPv4: the first four bytes */
	struct sw_port *port;
	uint64_t expiry_ms;
	enum iptable_source source;
};

/* 0 for the defaults. Returns 0, or -1 on allocation failure. */
int iptable_init(struct iptable *t, uint32_t max_entries, uint32_t aging_ms);
void iptable_free(struct iptable *t);

uint64_t iptable_hash4(const struct iptable *t, uint32_t addr);
uint64_t iptable_hash6(const struct iptable *t,
    const uint8_t addr[IPTABLE_V6_LEN]);

static inline int
iptable_live(uint64_t expiry_ms, uint64_t now_ms)
{
	return now_ms < expiry_ms;
}

/*
 * The slot holding addr, or the empty slot that ends its chain (where it
 * would go). Valid until the table next changes. The load factor stays
 * at or below one half, so the loop ends.
 */
static inline struct iptable_e4 *
iptable_probe4(const struct iptable *t, uint32_t addr, uint64_t hash)
{
	uint32_t mask = t->nslots4 - 1, i = (uint32_t)hash & mask;

	while (t->slots4[i].used && t->slots4[i].addr != addr)
		i = (i + 1) & mask;
	return &t->slots4[i];
}

static inline struct iptable_e6 *
iptable_probe6(const struct iptable *t, const uint8_t addr[IPTABLE_V6_LEN],
    uint64_t hash)
{
	uint32_t mask = t->nslots6 - 1, i = (uint32_t)hash & mask;

	while (t->slots6[i].used &&
	    memcmp(t->slots6[i].addr, addr, IPTABLE_V6_LEN) != 0)
		i = (i + 1) & mask;
	return &t->slots6[i];
}

/*
 * addr was the source of traffic from p at now_ms; e is what the probe
 * returned (and nothing changed since). Learns it, refreshes it, or moves
 * it to p, except that a live DHCP binding of another port stays put.
 * iptable_learn4 returns the entry if p owns it afterwards, else NULL.
 */
const struct iptable_e4 *iptable_learn4(struct iptable *t,
    struct iptable_e4 *e, uint32_t addr, uint64_t hash, struct sw_port *p,
    uint64_t now_ms);
void iptable_learn6(struct iptable *t, struct iptable_e6 *e,
    const uint8_t addr[IPTABLE_V6_LEN], uint64_t hash, struct sw_port *p,
    uint64_t now_ms);

/* A DHCP server acknowledged addr for the host behind p: p owns it until
 * expiry_ms whoever had it. Returns 0, or -1 if the table is full. */
int iptable_bind4(struct iptable *t, uint32_t addr, struct sw_port *p,
    uint64_t expiry_ms);

/* The live owner of an address, or NULL. */
struct sw_port *iptable_lookup4(const struct iptable *t, uint32_t addr,
    uint64_t now_ms);
struct sw_port *iptable_lookup6(const struct iptable *t,
    const uint8_t addr[IPTABLE_V6_LEN], uint64_t now_ms);

/* Forget expired entries; returns how many. */
uint32_t iptable_age(struct iptable *t, uint64_t now_ms);
/* Forget every entry of p; returns how many. */
uint32_t iptable_port_remove(struct iptable *t, const struct sw_port *p);

/* Forget one address (4: addr is 4 bytes, 6: 16): 1 if it was there. */
int iptable_delete(struct iptable *t, int version, const uint8_t *addr);

/* Visit every entry, expired or not; fn must not change the table. */
void iptable_foreach(const struct iptable *t,
    void (*fn)(void *arg, const struct iptable_view *v), void *arg);

#endif
