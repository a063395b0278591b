/*
 * hub.c: the switching-hub engine: the keyed MAC table (learning, aging,
 * moves, port removal) and the per-frame forwarding verdict.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "hub.h"
#include "proto.h"

#define HUB_INIT_SLOTS    1024u
#define HUB_MIN_SLOTS     2u
/* Keeps 2 * max_macs, and so every slot count, within a uint32_t. */
#define HUB_MACS_LIMIT    (1u << 30)
#define HUB_ETH_DST       0u
#define HUB_ETH_SRC       6u
#define HUB_MAC_LEN       6u
#define HUB_MAC_GROUP     0x01u  /* I/G bit of the first octet */

/*
 * The probe loop compares an entry's mac and used fields as one 64-bit
 * word, so they must be the first eight bytes of the entry.
 */
_Static_assert(offsetof(struct hub_mac_entry, mac) == 0, "mac first");
_Static_assert(offsetof(struct hub_mac_entry, used) == HUB_MAC_LEN,
    "used right after mac");
_Static_assert(sizeof(((struct hub *)0)->hash_key) ==
    crypto_shorthash_KEYBYTES, "hash key is a SipHash key");

static inline uint64_t
hub_le64(const uint8_t *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	    (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 |
	    (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
	    (uint64_t)p[7] << 56;
}

/*
 * SipHash-2-4 keyed with the hub's random key, so a peer that picks its
 * source MACs cannot aim them all at one probe chain. Measured against
 * the alternatives on the bench: a SipHash-2-4 specialised inline for
 * six-byte messages gained under 5%, not worth hand-rolled crypto;
 * SipHash-1-3 gained 15-20% at 10k MACs but trades away security margin,
 * and on big tables the slot cache misses dominate anyway. So: the
 * library's crypto_shorthash.
 */
static inline uint64_t
hub_hash(const uint8_t key[crypto_shorthash_KEYBYTES],
    const uint8_t mac[HUB_MAC_LEN])
{
	uint8_t out[crypto_shorthash_BYTES];

	crypto_shorthash(out, mac, HUB_MAC_LEN, key);
	return hub_le64(out);
}

#if defined(__GNUC__) || defined(__clang__)
#define HUB_PREFETCH(p) __builtin_prefetch(p)
#else
#define HUB_PREFETCH(p) ((void)(p))
#endif

#define HUB_USED 1u

/* The first eight bytes an entry for mac holds: the address, then used. */
static inline uint64_t
hub_mac_word(const uint8_t mac[HUB_MAC_LEN])
{
	uint8_t b[sizeof(uint64_t)];
	uint16_t used = HUB_USED;
	uint64_t w;

	memcpy(b, mac, HUB_MAC_LEN);
	memcpy(b + HUB_MAC_LEN, &used, sizeof used);
	memcpy(&w, b, sizeof w);
	return w;
}

static inline uint64_t
hub_entry_word(const struct hub_mac_entry *e)
{
	uint64_t w;

	memcpy(&w, e, sizeof w);
	return w;
}

/*
 * The slot holding word, or the empty slot ending its probe chain (where
 * it would be inserted). Always terminates: the load factor stays at or
 * below one half, so an empty slot exists.
 */
static inline struct hub_mac_entry *
hub_probe(const struct hub *h, uint64_t word, uint64_t hash)
{
	uint32_t mask = h->nslots - 1;
	uint32_t i = (uint32_t)hash & mask;
	struct hub_mac_entry *e;

	for (;;) {
		e = &h->slots[i];
		if (e->used == 0 || hub_entry_word(e) == word)
			return e;
		i = (i + 1) & mask;
	}
}

/* A clock that steps back must not flush the table, so a future stamp
 * counts as fresh. */
static inline int
hub_live(const struct hub *h, const struct hub_mac_entry *e, uint64_t now_ms)
{
	return now_ms < e->seen_ms || now_ms - e->seen_ms < h->aging_ms;
}

/* The table size that keeps max_macs entries at a load factor of 1/2. */
static uint32_t
hub_slots_cap(uint32_t max_macs)
{
	uint64_t n = HUB_MIN_SLOTS;

	while (n < 2 * (uint64_t)max_macs)
		n <<= 1;
	return (uint32_t)n;
}

static int
hub_resize(struct hub *h, uint32_t nslots)
{
	struct hub_mac_entry *ns;
	uint32_t mask = nslots - 1, i, j;

	if ((ns = calloc(nslots, sizeof *ns)) == NULL)
		return -1;
	for (i = 0; i < h->nslots; i++) {
		if (h->slots[i].used == 0)
			continue;
		j = (uint32_t)hub_hash(h->hash_key, h->slots[i].mac) & mask;
		while (ns[j].used)
			j = (j + 1) & mask;
		ns[j] = h->slots[i];
	}
	free(h->slots);
	h->slots = ns;
	h->nslots = nslots;
	return 0;
}

/*
 * Empty slot i by backward shift: later members of the cluster move up
 * into the hole unless that would put them before their home slot. No
 * tombstones are left, so chains never lengthen with churn. Entries only
 * ever move towards i, never past an empty slot.
 */
static void
hub_slot_clear(struct hub *h, uint32_t i)
{
	struct hub_mac_entry *s = h->slots;
	uint32_t mask = h->nslots - 1, hole = i, j = i, home;

	s[i].port->macs--;
	h->nmacs--;
	for (;;) {
		j = (j + 1) & mask;
		if (s[j].used == 0)
			break;
		home = (uint32_t)hub_hash(h->hash_key, s[j].mac) & mask;
		/* Movable iff the hole lies in [home, j) going round. */
		if (((j - home) & mask) >= ((j - hole) & mask)) {
			s[hole] = s[j];
			hole = j;
		}
	}
	memset(&s[hole], 0, sizeof s[hole]);
}

/*
 * Remove every entry on port, or (port NULL) every expired entry.
 * The scan starts just after an empty slot and goes once round, so no
 * cluster straddles its start: a backward shift then only pulls entries
 * not yet visited into the slot just cleared, which is looked at again.
 */
static uint32_t
hub_sweep(struct hub *h, const struct hub_port *port, uint64_t now_ms)
{
	struct hub_mac_entry *e;
	uint32_t mask, start, n, i, removed = 0;

	if (h->slots == NULL || h->nmacs == 0)
		return 0;
	mask = h->nslots - 1;
	for (start = 0; h->slots[start].used; start++)
		;
	for (n = 0; n < h->nslots;) {
		i = (start + 1 + n) & mask;
		e = &h->slots[i];
		if (e->used && (port != NULL ? e->port == port :
		    !hub_live(h, e, now_ms))) {
			hub_slot_clear(h, i);
			removed++;
			continue;
		}
		n++;
	}
	return removed;
}

int
hub_init(struct hub *h, const char *name, uint32_t aging_ms, uint32_t max_macs)
{
	uint32_t nslots;

	memset(h, 0, sizeof *h);
	if (name != NULL)
		memcpy(h->name, name, strnlen(name, HUB_NAME_MAX));
	TAILQ_INIT(&h->ports);
	h->next_port_id = 1;
	h->aging_ms = aging_ms != 0 ? aging_ms : HUB_DEFAULT_AGING_MS;
	if (max_macs == 0)
		max_macs = HUB_DEFAULT_MAX_MACS;
	if (max_macs > HUB_MACS_LIMIT)
		max_macs = HUB_MACS_LIMIT;
	h->max_macs = max_macs;
	if (sodium_init() < 0)
		return -1;
	randombytes_buf(h->hash_key, sizeof h->hash_key);
	nslots = hub_slots_cap(max_macs);
	if (nslots > HUB_INIT_SLOTS)
		nslots = HUB_INIT_SLOTS;
	if ((h->slots = calloc(nslots, sizeof *h->slots)) == NULL)
		return -1;
	h->nslots = nslots;
	return 0;
}

void
hub_free(struct hub *h)
{
	free(h->slots);
	h->slots = NULL;
	h->nslots = 0;
	h->nmacs = 0;
}

void
hub_port_add(struct hub *h, struct hub_port *p, void *owner)
{
	p->hub = h;
	p->owner = owner;
	p->id = h->next_port_id++;
	p->macs = 0;
	p->rx_frames = p->rx_bytes = p->drop_frames = 0;
	TAILQ_INSERT_TAIL(&h->ports, p, entry);
	h->nports++;
}

uint32_t
hub_port_remove(struct hub *h, struct hub_port *p)
{
	uint32_t n;

	if (p == NULL || p->hub != h)
		return 0;
	n = hub_sweep(h, p, 0);
	TAILQ_REMOVE(&h->ports, p, entry);
	h->nports--;
	p->hub = NULL;
	return n;
}

static enum hub_verdict
hub_drop(struct hub *h, struct hub_port *src)
{
	src->drop_frames++;
	h->stats.dropped++;
	return HUB_DROP;
}

static void
hub_learn(struct hub *h, struct hub_port *src, const uint8_t *mac,
    uint64_t hash, uint64_t now_ms)
{
	uint64_t word = hub_mac_word(mac);
	struct hub_mac_entry *e = hub_probe(h, word, hash);

	if (e->used) {
		e->seen_ms = now_ms;
		if (e->port != src) {
			e->port->macs--;
			src->macs++;
			e->port = src;
			h->stats.moved++;
		}
		return;
	}
	/* Stale entries still count until hub_age runs: reclaiming them
	 * here would cost a scan per frame while a flood keeps it full. */
	if (h->nmacs >= h->max_macs) {
		h->stats.table_full++;
		return;
	}
	if ((uint64_t)(h->nmacs + 1) * 2 > h->nslots) {
		if (hub_resize(h, h->nslots * 2) == -1) {
			h->stats.table_full++;
			return;
		}
		e = hub_probe(h, word, hash);
	}
	memcpy(e->mac, mac, HUB_MAC_LEN);
	e->used = HUB_USED;
	e->pad = 0;
	e->seen_ms = now_ms;
	e->port = src;
	src->macs++;
	h->nmacs++;
	h->stats.learned++;
}

enum hub_verdict
hub_input(struct hub *h, struct hub_port *src, const uint8_t *frame,
    size_t len, uint64_t now_ms, struct hub_port **dst)
{
	static const uint8_t zero[HUB_MAC_LEN];
	const uint8_t *dmac, *smac;
	struct hub_mac_entry *e;
	uint64_t shash, dhash = 0;
	int unicast;

	if (dst != NULL)
		*dst = NULL;
	if (h == NULL || src == NULL)
		return HUB_DROP;
	src->rx_frames++;
	src->rx_bytes += len;
	h->stats.frames_in++;
	/* A detached port or a freed hub must not plant dangling entries. */
	if (frame == NULL || len < PROTO_ETH_HDR || dst == NULL ||
	    src->hub != h || h->slots == NULL)
		return hub_drop(h, src);
	dmac = frame + HUB_ETH_DST;
	smac = frame + HUB_ETH_SRC;
	if ((smac[0] & HUB_MAC_GROUP) || memcmp(smac, zero, HUB_MAC_LEN) == 0)
		return hub_drop(h, src);

	/* On big tables both slots are cache misses: start fetching them
	 * together, while the second hash is still being computed. */
	shash = hub_hash(h->hash_key, smac);
	HUB_PREFETCH(&h->slots[(uint32_t)shash & (h->nslots - 1)]);
	unicast = !(dmac[0] & HUB_MAC_GROUP);
	if (unicast) {
		dhash = hub_hash(h->hash_key, dmac);
		HUB_PREFETCH(&h->slots[(uint32_t)dhash & (h->nslots - 1)]);
	}
	hub_learn(h, src, smac, shash, now_ms);
	if (unicast) {
		/* Probed after learning: a resize may have moved the slot. */
		e = hub_probe(h, hub_mac_word(dmac), dhash);
		if (e->used && hub_live(h, e, now_ms)) {
			if (e->port == src)
				return hub_drop(h, src);
			*dst = e->port;
			h->stats.unicast++;
			return HUB_UNICAST;
		}
	}
	h->stats.flooded++;
	return HUB_FLOOD;
}

uint32_t
hub_age(struct hub *h, uint64_t now_ms)
{
	uint32_t n = hub_sweep(h, NULL, now_ms);

	h->stats.aged += n;
	return n;
}

struct hub_port *
hub_mac_lookup(struct hub *h, const uint8_t mac[6], uint64_t now_ms)
{
	struct hub_mac_entry *e;

	if (h->slots == NULL || mac == NULL)
		return NULL;
	e = hub_probe(h, hub_mac_word(mac), hub_hash(h->hash_key, mac));
	if (e->used == 0 || !hub_live(h, e, now_ms))
		return NULL;
	return e->port;
}

/* fn must not change the table: an insert or removal reorders slots. */
void
hub_mac_foreach(struct hub *h, void (*fn)(void *arg,
    const struct hub_mac_entry *e), void *arg)
{
	uint32_t i;

	if (fn == NULL)
		return;
	for (i = 0; i < h->nslots; i++)
		if (h->slots[i].used)
			fn(arg, &h->slots[i]);
}
