/*
 * oahash.c: sizing, rehashing, backward-shift deletion and sweeps for the
 * open-addressing tables of switch.c and iptable.c.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oahash.h"

#define OAH_MIN_SLOTS  2u

static inline unsigned char *
oah_slot(const struct oah_type *ty, void *slots, uint32_t i)
{
	return (unsigned char *)slots + (size_t)i * ty->size;
}

static inline int
oah_used(const struct oah_type *ty, const unsigned char *s)
{
	return s[ty->used_off] != 0;
}

uint32_t
oah_slots_for(uint32_t max)
{
	uint64_t n = OAH_MIN_SLOTS;

	if (max > OAH_MAX_ENTRIES)
		max = OAH_MAX_ENTRIES;
	while (n < 2 * (uint64_t)max)
		n <<= 1;
	return (uint32_t)n;
}

int
oah_resize(const struct oah_type *ty, const void *key, void **slots,
    uint32_t *nslots, uint32_t new_nslots)
{
	unsigned char *ns, *s;
	uint32_t mask = new_nslots - 1, i, j;

	if ((ns = calloc(new_nslots, ty->size)) == NULL)
		return -1;
	for (i = 0; i < *nslots; i++) {
		s = oah_slot(ty, *slots, i);
		if (!oah_used(ty, s))
			continue;
		j = (uint32_t)ty->hash(key, s) & mask;
		while (oah_used(ty, oah_slot(ty, ns, j)))
			j = (j + 1) & mask;
		memcpy(oah_slot(ty, ns, j), s, ty->size);
	}
	free(*slots);
	*slots = ns;
	*nslots = new_nslots;
	return 0;
}

/*
 * Later members of the cluster move up into the hole unless that would put
 * them before their home slot. No tombstones are left, so chains never
 * lengthen with churn. Entries only ever move towards i, never past an
 * empty slot.
 */
void
oah_clear(const struct oah_type *ty, const void *key, void *slots,
    uint32_t nslots, uint32_t i)
{
	uint32_t mask = nslots - 1, hole = i, j = i, home;
	unsigned char *s;

	for (;;) {
		j = (j + 1) & mask;
		s = oah_slot(ty, slots, j);
		if (!oah_used(ty, s))
			break;
		home = (uint32_t)ty->hash(key, s) & mask;
		/* Movable iff the hole lies in [home, j) going round. */
		if (((j - home) & mask) >= ((j - hole) & mask)) {
			memcpy(oah_slot(ty, slots, hole), s, ty->size);
			hole = j;
		}
	}
	memset(oah_slot(ty, slots, hole), 0, ty->size);
}

/*
 * The scan starts just after an empty slot and goes once round, so no
 * cluster straddles its start: a backward shift then only pulls entries
 * not yet visited into the slot just cleared, which is looked at again.
 */
uint32_t
oah_sweep(const struct oah_type *ty, const void *key, void *slots,
    uint32_t nslots, int (*doomed)(void *arg, const void *slot), void *arg)
{
	uint32_t mask = nslots - 1, start, n, i, removed = 0;
	unsigned char *s;

	if (slots == NULL)
		return 0;
	for (start = 0; start < nslots &&
	    oah_used(ty, oah_slot(ty, slots, start)); start++)
		;
	if (start == nslots)
		return 0;
	for (n = 0; n < nslots;) {
		i = (start + 1 + n) & mask;
		s = oah_slot(ty, slots, i);
		if (oah_used(ty, s) && doomed(arg, s)) {
			oah_clear(ty, key, slots, nslots, i);
			removed++;
			continue;
		}
		n++;
	}
	return removed;
}
