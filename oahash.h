/*
 * oahash.h: the slow paths shared by the engine's keyed hash tables (open
 * addressing, linear probing, power-of-two size, load <= 1/2): sizing,
 * rehashing, backward-shift deletion and sweeps. Probing stays in each table.
 */
#ifndef SOFTETHER_OAHASH_H
#define SOFTETHER_OAHASH_H

#include <stddef.h>
#include <stdint.h>

/* Keeps twice the largest table within a uint32_t slot count. */
#define OAH_MAX_ENTRIES  (1u << 30)

/* How one table lays out its slots. */
struct oah_type {
	size_t size;            /* bytes per slot */
	size_t used_off;        /* a slot is in use iff this byte is nonzero */
	/* The slot's hash under the table's key (its home is hash & mask). */
	uint64_t (*hash)(const void *key, const void *slot);
};

/* The power-of-two slot count that holds max entries at load 1/2. */
uint32_t oah_slots_for(uint32_t max);

/* Rehash every used slot into a fresh array of nslots (a power of two
 * above twice the entry count). Returns 0, or -1 leaving the old one. */
int oah_resize(const struct oah_type *ty, const void *key, void **slots,
    uint32_t *nslots, uint32_t new_nslots);

/* Empty slot i; later members of its cluster shift back. The caller has
 * done its own bookkeeping for the entry first. */
void oah_clear(const struct oah_type *ty, const void *key, void *slots,
    uint32_t nslots, uint32_t i);

/*
 * Remove every slot for which doomed(arg, slot) is nonzero (doomed does
 * the bookkeeping for the entry it condemns); returns how many. Each entry
 * is offered once. There must be at least one empty slot.
 */
uint32_t oah_sweep(const struct oah_type *ty, const void *key, void *slots,
    uint32_t nslots, int (*doomed)(void *arg, const void *slot), void *arg);

#endif
