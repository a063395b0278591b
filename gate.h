/*
 * gate.h: who may start logging in. The limits that hold before a
 * connection has said who it is: how many connections log in at once, how
 * many of those one source holds and how fast it opens them, and a share
 * kept for resumes so that strangers holding every ordinary slot cannot
 * keep a cut card out. A source is one IPv4 address or one IPv6 prefix
 * (a /64 unless configured), since one host commands a whole /64.
 *
 * No sockets in here: the listener asks, the login phase answers back.
 */
#ifndef SOFTETHER_GATE_H
#define SOFTETHER_GATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sodium.h>

#define GATE_KEY_LEN      16u
#define GATE_BUCKETS      4096u
#define GATE_COUNT_CAP    256u    /* sources are ranked up to this many */
#define GATE_VICTIM_TRIES 64u     /* sources looked at for an eviction */

struct gate_conf {
	uint32_t pending;      /* connections logging in at once */
	uint32_t reserve;      /* of those, only for resumes (< pending) */
	uint32_t per_source;   /* at once from one source */
	uint32_t rate;         /* new connections per second per source */
	uint32_t burst;        /* ... and how many at once after a pause */
	uint8_t v6_prefix;     /* bits of an IPv6 address that name a source */
};

struct gate_src;

/* One admitted connection, held by whoever owns it until gate_done. */
struct gate_ticket {
	TAILQ_ENTRY(gate_ticket) entry;   /* its source's unsettled, oldest
	                                     first */
	struct gate_src *src;             /* NULL: not admitted (or done) */
	uint64_t since_ms;
	int settled;                      /* past the point of eviction */
};
TAILQ_HEAD(gate_ticket_list, gate_ticket);

struct gate_src {
	struct gate_src *next;        /* in its hash bucket */
	LIST_ENTRY(gate_src) by_count; /* in gate.by_count[min(pending, cap)] */
	uint8_t key[GATE_KEY_LEN];
	uint32_t pending;
	uint32_t tokens_milli;        /* rate tokens, in thousandths */
	uint64_t refill_ms;
	struct gate_ticket_list unsettled;
};
LIST_HEAD(gate_src_list, gate_src);

enum gate_verdict {
	GATE_OK = 0,      /* an ordinary slot */
	GATE_RESERVE,     /* a reserved slot: only a resume may use it */
	GATE_FULL,        /* every slot is taken */
	GATE_SOURCE,      /* this source holds per_source already */
	GATE_RATE,        /* this source opens connections too fast */
	GATE_SOURCES,     /* too many sources tracked (4 x pending) */
};

struct gate_stats {
	uint64_t admitted, reserved;
	uint64_t refused[GATE_SOURCES + 1];  /* by verdict */
};

struct gate {
	struct gate_conf conf;
	uint32_t pending;             /* admitted and not yet done */
	uint32_t nsrc;
	uint8_t hkey[crypto_shorthash_KEYBYTES];
	struct gate_src *b[GATE_BUCKETS];
	/* Sources by how many they hold, for fair eviction (the last list
	 * holds every source at GATE_COUNT_CAP or more). */
	struct gate_src_list by_count[GATE_COUNT_CAP + 1];
	struct gate_stats st;
};

/* The source a peer address belongs to, as a 16-byte key (an IPv4
 * address as ::ffff:a.b.c.d; an IPv6 one cut to v6_prefix bits). */
void gate_key(const struct sockaddr *sa, unsigned v6_prefix,
    uint8_t key[GATE_KEY_LEN]);

/* The conf may be changed later (a reload) with gate_set_conf. */
void gate_init(struct gate *g, const struct gate_conf *conf);
void gate_set_conf(struct gate *g, const struct gate_conf *conf);
void gate_free(struct gate *g);

/* May a connection from sa start logging in at now_ms? On GATE_OK and
 * GATE_RESERVE it is counted on t (hand t to gate_done when the login
 * phase ends); otherwise nothing is counted and t->src is NULL. */
enum gate_verdict gate_admit(struct gate *g, const struct sockaddr *sa,
    uint64_t now_ms, struct gate_ticket *t);
/* t has got past the stage where it could be evicted (its handshake). */
void gate_settle(struct gate *g, struct gate_ticket *t);
/* The connection holding t has logged in or gone (no-op if not held). */
void gate_done(struct gate *g, struct gate_ticket *t);
/*
 * Every slot is taken and a connection from sa wants one: the ticket to
 * give up for it, or NULL. Fair share: the oldest unsettled ticket, at
 * least min_age_ms old, of a source holding at least two more than sa's
 * source holds. So a source with nothing (an honest card) always finds
 * room while a flood from a few sources holds it all, and a flooding
 * source cannot evict its own kind.
 */
struct gate_ticket *gate_victim(struct gate *g, const struct sockaddr *sa,
    uint64_t now_ms, uint64_t min_age_ms);
/* (sa NULL: a newcomer from nowhere in particular, holding nothing.) */
/* Forget sources with nothing pending whose rate budget is full again:
 * the table holds only who matters. Returns how many. */
uint32_t gate_sweep(struct gate *g, uint64_t now_ms);

/* "full", "per-source", ...: for logs. */
const char *gate_verdict_name(enum gate_verdict v);

/* The default number of connections logging in at once: sized from
 * physical memory (a login costs about GATE_LOGIN_COST bytes), at most
 * half of fd_limit, and within [GATE_PENDING_MIN, GATE_PENDING_MAX]. */
#define GATE_LOGIN_COST   (128u << 10)
#define GATE_PENDING_MIN  256u
#define GATE_PENDING_MAX  16384u
uint32_t gate_default_pending(uint64_t phys_bytes, uint64_t fd_limit);

#endif
