/*
 * gate.c: the limits before login (gate.h). Sources live in a chained hash
 * table keyed with SipHash under a random key, so a peer cannot aim its
 * addresses at one chain; the table holds only sources with something
 * pending or a rate budget still spent, and never more than four times the
 * connections that may log in at once. Each source keeps its unsettled
 * tickets in arrival order and the sources are listed by how many they
 * hold, so the fair eviction finds the heaviest source's oldest ticket
 * without a scan.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "gate.h"

void
gate_key(const struct sockaddr *sa, unsigned v6_prefix,
    uint8_t key[GATE_KEY_LEN])
{
	memset(key, 0, GATE_KEY_LEN);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)sa;
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &a->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)sa;
		const uint8_t *b = a->sin6_addr.s6_addr;
		unsigned bits = v6_prefix > 128 ? 128 : v6_prefix;
		/* A v4-mapped address is the IPv4 host it maps. */
		if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr))
			bits = 128;
		memcpy(key, b, bits / 8);
		if (bits % 8)
			key[bits / 8] = (uint8_t)(b[bits / 8] &
			    (0xff << (8 - bits % 8)));
	}
}

void
gate_init(struct gate *g, const struct gate_conf *conf)
{
	memset(g, 0, sizeof *g);
	randombytes_buf(g->hkey, sizeof g->hkey);
	for (size_t i = 0; i <= GATE_COUNT_CAP; i++)
		LIST_INIT(&g->by_count[i]);
	gate_set_conf(g, conf);
}

void
gate_set_conf(struct gate *g, const struct gate_conf *conf)
{
	g->conf = *conf;
	if (g->conf.pending == 0)
		g->conf.pending = 1;
	if (g->conf.reserve >= g->conf.pending)
		g->conf.reserve = g->conf.pending - 1;
	if (g->conf.burst == 0)
		g->conf.burst = 1;
}

void
gate_free(struct gate *g)
{
	for (size_t i = 0; i < GATE_BUCKETS; i++)
		while (g->b[i] != NULL) {
			struct gate_src *s = g->b[i];
			g->b[i] = s->next;
			free(s);
		}
	g->nsrc = 0;
}

static size_t
gate_bucket(const struct gate *g, const uint8_t key[GATE_KEY_LEN])
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, key, GATE_KEY_LEN, g->hkey);
	memcpy(&v, h, sizeof v);
	return (size_t)(v % GATE_BUCKETS);
}

static struct gate_src *
gate_find(const struct gate *g, const uint8_t key[GATE_KEY_LEN], size_t *b)
{
	struct gate_src *s;

	*b = gate_bucket(g, key);
	for (s = g->b[*b]; s != NULL; s = s->next)
		if (memcmp(s->key, key, GATE_KEY_LEN) == 0)
			return s;
	return NULL;
}

/* s holds a new count: into the list for it. */
static void
gate_rank(struct gate *g, struct gate_src *s)
{
	uint32_t c = s->pending < GATE_COUNT_CAP ? s->pending : GATE_COUNT_CAP;

	LIST_REMOVE(s, by_count);
	LIST_INSERT_HEAD(&g->by_count[c], s, by_count);
}

/* The rate budget topped up to now: rate tokens a second, burst at most. */
static void
gate_refill(const struct gate *g, struct gate_src *s, uint64_t now_ms)
{
	uint64_t cap = (uint64_t)g->conf.burst * 1000u;
	uint64_t t;

	if (now_ms <= s->refill_ms)
		return;
	t = s->tokens_milli + (now_ms - s->refill_ms) * g->conf.rate;
	s->tokens_milli = (uint32_t)(t > cap ? cap : t);
	s->refill_ms = now_ms;
}

static enum gate_verdict
gate_refuse(struct gate *g, enum gate_verdict v, struct gate_ticket *t)
{
	g->st.refused[v]++;
	t->src = NULL;
	return v;
}

enum gate_verdict
gate_admit(struct gate *g, const struct sockaddr *sa, uint64_t now_ms,
    struct gate_ticket *t)
{
	uint8_t key[GATE_KEY_LEN];
	struct gate_src *s;
	enum gate_verdict v = GATE_OK;
	size_t b;

	if (g->pending >= g->conf.pending)
		return gate_refuse(g, GATE_FULL, t);
	if (g->pending >= g->conf.pending - g->conf.reserve)
		v = GATE_RESERVE;
	gate_key(sa, g->conf.v6_prefix, key);
	if ((s = gate_find(g, key, &b)) == NULL) {
		if (g->nsrc >= 4u * g->conf.pending ||
		    (s = calloc(1, sizeof *s)) == NULL)
			return gate_refuse(g, GATE_SOURCES, t);
		memcpy(s->key, key, GATE_KEY_LEN);
		s->tokens_milli = g->conf.burst * 1000u;
		s->refill_ms = now_ms;
		TAILQ_INIT(&s->unsettled);
		s->next = g->b[b];
		g->b[b] = s;
		LIST_INSERT_HEAD(&g->by_count[0], s, by_count);
		g->nsrc++;
	}
	gate_refill(g, s, now_ms);
	if (s->pending >= g->conf.per_source)
		return gate_refuse(g, GATE_SOURCE, t);
	if (s->tokens_milli < 1000u)
		return gate_refuse(g, GATE_RATE, t);
	s->tokens_milli -= 1000u;
	s->pending++;
	gate_rank(g, s);
	g->pending++;
	if (v == GATE_RESERVE)
		g->st.reserved++;
	else
		g->st.admitted++;
	t->src = s;
	t->since_ms = now_ms;
	t->settled = 0;
	TAILQ_INSERT_TAIL(&s->unsettled, t, entry);
	return v;
}

void
gate_settle(struct gate *g, struct gate_ticket *t)
{
	if (t->src == NULL || t->settled)
		return;
	TAILQ_REMOVE(&t->src->unsettled, t, entry);
	t->settled = 1;
}

void
gate_done(struct gate *g, struct gate_ticket *t)
{
	struct gate_src *s = t->src;

	if (s == NULL)
		return;
	gate_settle(g, t);
	t->src = NULL;
	if (s->pending > 0)
		s->pending--;
	gate_rank(g, s);
	if (g->pending > 0)
		g->pending--;
}

struct gate_ticket *
gate_victim(struct gate *g, const struct sockaddr *sa, uint64_t now_ms,
    uint64_t min_age_ms)
{
	uint8_t key[GATE_KEY_LEN];
	const struct gate_src *me;
	uint32_t mine, tries = 0;
	size_t b;

	me = NULL;
	if (sa != NULL) {
		gate_key(sa, g->conf.v6_prefix, key);
		me = gate_find(g, key, &b);
	}
	mine = me != NULL ? me->pending : 0;
	for (uint32_t c = GATE_COUNT_CAP; c >= mine + 2; c--) {
		struct gate_src *s;
		LIST_FOREACH(s, &g->by_count[c], by_count) {
			struct gate_ticket *t = TAILQ_FIRST(&s->unsettled);
			if (++tries > GATE_VICTIM_TRIES)
				return NULL;
			if (t != NULL && now_ms - t->since_ms >= min_age_ms)
				return t;
		}
	}
	return NULL;
}

uint32_t
gate_sweep(struct gate *g, uint64_t now_ms)
{
	uint32_t n = 0;

	for (size_t i = 0; i < GATE_BUCKETS; i++) {
		struct gate_src **pp = &g->b[i];
		while (*pp != NULL) {
			struct gate_src *s = *pp;
			gate_refill(g, s, now_ms);
			if (s->pending == 0 &&
			    s->tokens_milli >= g->conf.burst * 1000u) {
				*pp = s->next;
				LIST_REMOVE(s, by_count);
				free(s);
				g->nsrc--;
				n++;
			} else
				pp = &s->next;
		}
	}
	return n;
}

const char *
gate_verdict_name(enum gate_verdict v)
{
	switch (v) {
	case GATE_OK: return "ok";
	case GATE_RESERVE: return "reserved for resumes";
	case GATE_FULL: return "too many connections logging in";
	case GATE_SOURCE: return "too many from this source";
	case GATE_RATE: return "this source connects too fast";
	case GATE_SOURCES: return "too many sources";
	}
	return "?";
}

uint32_t
gate_default_pending(uint64_t phys_bytes, uint64_t fd_limit)
{
	/* A quarter of memory at most goes to connections not logged in. */
	uint64_t n = phys_bytes / 4u / GATE_LOGIN_COST;

	if (fd_limit > 0 && n > fd_limit / 2)
		n = fd_limit / 2;
	if (n > GATE_PENDING_MAX)
		n = GATE_PENDING_MAX;
	if (n < GATE_PENDING_MIN)
		n = GATE_PENDING_MIN;
	return (uint32_t)n;
}
