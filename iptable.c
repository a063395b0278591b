/*
 * iptable.c: the hub's IP table: IPv4 and IPv6 address -> owning port, with
 * traffic aging, DHCP lease bindings, per-port counts and sweeps.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "switch.h"
#include "iptable.h"
#include "oahash.h"

#define IPTABLE_INIT_SLOTS  256u
#define IPTABLE_V4_LEN      4u

_Static_assert(sizeof(((struct iptable *)0)->hash_key) ==
    crypto_shorthash_KEYBYTES, "hash key is a SipHash key");
_Static_assert(sizeof(struct iptable_e4) == 24, "IPv4 entry stays small");

static inline uint64_t
iptable_sip(const uint8_t *key, const void *in, size_t len)
{
	uint8_t out[crypto_shorthash_BYTES];
	uint64_t v = 0;
	int i;

	crypto_shorthash(out, in, len, key);
	for (i = crypto_shorthash_BYTES - 1; i >= 0; i--)
		v = v << 8 | out[i];
	return v;
}

uint64_t
iptable_hash4(const struct iptable *t, uint32_t addr)
{
	return iptable_sip(t->hash_key, &addr, IPTABLE_V4_LEN);
}

uint64_t
iptable_hash6(const struct iptable *t, const uint8_t addr[IPTABLE_V6_LEN])
{
	return iptable_sip(t->hash_key, addr, IPTABLE_V6_LEN);
}

static uint64_t
iptable_slot_hash4(const void *key, const void *slot)
{
	const struct iptable_e4 *e = slot;

	return iptable_sip(key, &e->addr, IPTABLE_V4_LEN);
}

static uint64_t
iptable_slot_hash6(const void *key, const void *slot)
{
	const struct iptable_e6 *e = slot;

	return iptable_sip(key, e->addr, IPTABLE_V6_LEN);
}

static const struct oah_type iptable_type4 = {
	sizeof(struct iptable_e4), offsetof(struct iptable_e4, used),
	iptable_slot_hash4
};
static const struct oah_type iptable_type6 = {
	sizeof(struct iptable_e6), offsetof(struct iptable_e6, used),
	iptable_slot_hash6
};

/* Saturating: a lease "forever" or a clock near the end must not wrap. */
static inline uint64_t
iptable_after(uint64_t now_ms, uint64_t ms)
{
	return now_ms > UINT64_MAX - ms ? UINT64_MAX : now_ms + ms;
}

int
iptable_init(struct iptable *t, uint32_t max_entries, uint32_t aging_ms)
{
	uint32_t n;

	memset(t, 0, sizeof *t);
	t->aging_ms = aging_ms != 0 ? aging_ms : IPTABLE_DEFAULT_AGING_MS;
	if (max_entries == 0)
		max_entries = IPTABLE_DEFAULT_MAX;
	if (max_entries > OAH_MAX_ENTRIES)
		max_entries = OAH_MAX_ENTRIES;
	t->max_entries = max_entries;
	if (sodium_init() < 0)
		return -1;
	randombytes_buf(t->hash_key, sizeof t->hash_key);
	n = oah_slots_for(max_entries);
	if (n > IPTABLE_INIT_SLOTS)
		n = IPTABLE_INIT_SLOTS;
	t->slots4 = calloc(n, sizeof *t->slots4);
	t->slots6 = calloc(n, sizeof *t->slots6);
	if (t->slots4 == NULL || t->slots6 == NULL) {
		iptable_free(t);
		return -1;
	}
	t->nslots4 = t->nslots6 = n;
	return 0;
}

void
iptable_free(struct iptable *t)
{
	free(t->slots4);
	free(t->slots6);
	t->slots4 = NULL;
	t->slots6 = NULL;
	t->nslots4 = t->nslots6 = 0;
	t->n4 = t->n6 = 0;
}

/* Room for one more entry of a family; on growth *grew is set, because
 * every slot pointer the caller holds is then stale. */
static int
iptable_room(struct iptable *t, const struct oah_type *ty, void **slots,
    uint32_t *nslots, uint32_t n, int *grew)
{
	*grew = 0;
	if (n >= t->max_entries) {
		t->stats.table_full++;
		return -1;
	}
	if ((uint64_t)(n + 1) * 2 <= *nslots)
		return 0;
	if (oah_resize(ty, t->hash_key, slots, nslots, *nslots * 2) == -1) {
		t->stats.table_full++;
		return -1;
	}
	*grew = 1;
	return 0;
}

static inline uint32_t *
iptable_count(struct sw_port *p, int v6)
{
	return v6 ? &p->ip6s : &p->ip4s;
}

/* Shared by both families: what traffic from p does to a used entry. */
static void
iptable_touch(struct iptable *t, uint8_t *source, uint64_t *expiry,
    struct sw_port **owner, int v6, struct sw_port *p, uint64_t now_ms)
{
	/* The lease, not traffic, decides how long a DHCP binding lasts;
	 * and traffic never takes a live binding away from its port. */
	if (*source == IPTABLE_DHCP && iptable_live(*expiry, now_ms)) {
		if (*owner != p)
			t->stats.kept++;
		return;
	}
	if (*owner != p) {
		if (t->port_max != 0 && *iptable_count(p, v6) >= t->port_max) {
			t->stats.port_full++;
			return;
		}
		(*iptable_count(*owner, v6))--;
		(*iptable_count(p, v6))++;
		*owner = p;
		t->stats.moved++;
		t->gen++;
	}
	*source = IPTABLE_TRAFFIC;
	*expiry = iptable_after(now_ms, t->aging_ms);
}

const struct iptable_e4 *
iptable_learn4(struct iptable *t, struct iptable_e4 *e, uint32_t addr,
    uint64_t hash, struct sw_port *p, uint64_t now_ms)
{
	void *slots = t->slots4;
	int grew;

	if (e->used) {
		iptable_touch(t, &e->source, &e->expiry_ms, &e->port, 0, p,
		    now_ms);
		return e->port == p ? e : NULL;
	}
	if (t->port_max != 0 && p->ip4s >= t->port_max) {
		t->stats.port_full++;
		return NULL;
	}
	if (iptable_room(t, &iptable_type4, &slots, &t->nslots4, t->n4,
	    &grew) == -1)
		return NULL;
	t->slots4 = slots;
	if (grew)
		e = iptable_probe4(t, addr, hash);
	e->addr = addr;
	e->used = 1;
	e->source = IPTABLE_TRAFFIC;
	e->pad = 0;
	e->expiry_ms = iptable_after(now_ms, t->aging_ms);
	e->port = p;
	p->ip4s++;
	t->n4++;
	t->stats.learned++;
	return e;
}

void
iptable_learn6(struct iptable *t, struct iptable_e6 *e,
    const uint8_t addr[IPTABLE_V6_LEN], uint64_t hash, struct sw_port *p,
    uint64_t now_ms)
{
	void *slots = t->slots6;
	int grew;

	if (e->used) {
		iptable_touch(t, &e->source, &e->expiry_ms, &e->port, 1, p,
		    now_ms);
		return;
	}
	if (t->port_max != 0 && p->ip6s >= t->port_max) {
		t->stats.port_full++;
		return;
	}
	if (iptable_room(t, &iptable_type6, &slots, &t->nslots6, t->n6,
	    &grew) == -1)
		return;
	t->slots6 = slots;
	if (grew)
		e = iptable_probe6(t, addr, hash);
	memcpy(e->addr, addr, IPTABLE_V6_LEN);
	e->used = 1;
	e->source = IPTABLE_TRAFFIC;
	memset(e->pad, 0, sizeof e->pad);
	e->expiry_ms = iptable_after(now_ms, t->aging_ms);
	e->port = p;
	p->ip6s++;
	t->n6++;
	t->stats.learned++;
}

int
iptable_bind4(struct iptable *t, uint32_t addr, struct sw_port *p,
    uint64_t expiry_ms)
{
	uint64_t hash = iptable_hash4(t, addr);
	struct iptable_e4 *e = iptable_probe4(t, addr, hash);
	void *slots = t->slots4;
	int grew;

	if (e->used) {
		if (e->port != p) {
			e->port->ip4s--;
			p->ip4s++;
			e->port = p;
		}
	} else {
		if (iptable_room(t, &iptable_type4, &slots, &t->nslots4,
		    t->n4, &grew) == -1)
			return -1;
		t->slots4 = slots;
		if (grew)
			e = iptable_probe4(t, addr, hash);
		e->addr = addr;
		e->used = 1;
		e->pad = 0;
		e->port = p;
		p->ip4s++;
		t->n4++;
	}
	e->source = IPTABLE_DHCP;
	e->expiry_ms = expiry_ms;
	t->stats.bound++;
	t->gen++;
	return 0;
}

struct sw_port *
iptable_lookup4(const struct iptable *t, uint32_t addr, uint64_t now_ms)
{
	const struct iptable_e4 *e;

	if (t->slots4 == NULL)
		return NULL;
	e = iptable_probe4(t, addr, iptable_hash4(t, addr));
	return e->used && iptable_live(e->expiry_ms, now_ms) ? e->port : NULL;
}

struct sw_port *
iptable_lookup6(const struct iptable *t, const uint8_t addr[IPTABLE_V6_LEN],
    uint64_t now_ms)
{
	const struct iptable_e6 *e;

	if (t->slots6 == NULL || addr == NULL)
		return NULL;
	e = iptable_probe6(t, addr, iptable_hash6(t, addr));
	return e->used && iptable_live(e->expiry_ms, now_ms) ? e->port : NULL;
}

/* Which entries a sweep removes: those of port, or (port NULL) the
 * expired ones. */
struct iptable_sweep {
	struct iptable *t;
	const struct sw_port *port;
	uint64_t now_ms;
};

static int
iptable_doomed4(void *arg, const void *slot)
{
	struct iptable_sweep *s = arg;
	const struct iptable_e4 *e = slot;

	if (s->port != NULL ? e->port != s->port :
	    iptable_live(e->expiry_ms, s->now_ms))
		return 0;
	e->port->ip4s--;
	s->t->n4--;
	s->t->gen++;
	return 1;
}

static int
iptable_doomed6(void *arg, const void *slot)
{
	struct iptable_sweep *s = arg;
	const struct iptable_e6 *e = slot;

	if (s->port != NULL ? e->port != s->port :
	    iptable_live(e->expiry_ms, s->now_ms))
		return 0;
	e->port->ip6s--;
	s->t->n6--;
	s->t->gen++;
	return 1;
}

static uint32_t
iptable_sweep(struct iptable *t, const struct sw_port *port, uint64_t now_ms)
{
	struct iptable_sweep s = { t, port, now_ms };
	uint32_t n = 0;

	if (t->n4 > 0)
		n += oah_sweep(&iptable_type4, t->hash_key, t->slots4,
		    t->nslots4, iptable_doomed4, &s);
	if (t->n6 > 0)
		n += oah_sweep(&iptable_type6, t->hash_key, t->slots6,
		    t->nslots6, iptable_doomed6, &s);
	return n;
}

uint32_t
iptable_age(struct iptable *t, uint64_t now_ms)
{
	uint32_t n = iptable_sweep(t, NULL, now_ms);

	t->stats.aged += n;
	return n;
}

uint32_t
iptable_port_remove(struct iptable *t, const struct sw_port *p)
{
	if (p == NULL)
		return 0;
	return iptable_sweep(t, p, 0);
}

int
iptable_delete(struct iptable *t, int version, const uint8_t *addr)
{
	if (version == 4) {
		uint32_t a;
		struct iptable_e4 *e;
		memcpy(&a, addr, IPTABLE_V4_LEN);
		if (t->n4 == 0)
			return 0;
		e = iptable_probe4(t, a, iptable_hash4(t, a));
		if (!e->used)
			return 0;
		e->port->ip4s--;
		t->n4--;
		t->gen++;
		oah_clear(&iptable_type4, t->hash_key, t->slots4, t->nslots4,
		    (uint32_t)(e - t->slots4));
		return 1;
	}
	struct iptable_e6 *e6;
	if (t->n6 == 0)
		return 0;
	e6 = iptable_probe6(t, addr, iptable_hash6(t, addr));
	if (!e6->used)
		return 0;
	e6->port->ip6s--;
	t->n6--;
	t->gen++;
	oah_clear(&iptable_type6, t->hash_key, t->slots6, t->nslots6,
	    (uint32_t)(e6 - t->slots6));
	return 1;
}

void
iptable_foreach(const struct iptable *t,
    void (*fn)(void *arg, const struct iptable_view *v), void *arg)
{
	struct iptable_view v;
	uint32_t i;

	if (fn == NULL)
		return;
	for (i = 0; i < t->nslots4; i++) {
		const struct iptable_e4 *e = &t->slots4[i];
		if (!e->used)
			continue;
		memset(&v, 0, sizeof v);
		v.version = 4;
		memcpy(v.addr, &e->addr, IPTABLE_V4_LEN);
		v.port = e->port;
		v.expiry_ms = e->expiry_ms;
		v.source = (enum iptable_source)e->source;
		fn(arg, &v);
	}
	for (i = 0; i < t->nslots6; i++) {
		const struct iptable_e6 *e = &t->slots6[i];
		if (!e->used)
			continue;
		memset(&v, 0, sizeof v);
		v.version = 6;
		memcpy(v.addr, e->addr, IPTABLE_V6_LEN);
		v.port = e->port;
		v.expiry_ms = e->expiry_ms;
		v.source = (enum iptable_source)e->source;
		fn(arg, &v);
	}
}
