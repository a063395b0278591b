/*
 * auth.c: Argon2id password hashes, the worker thread that verifies them
 * away from the event loop, and the per-address failed-login throttle.
 */
#include <sys/eventfd.h>
#include <sys/queue.h>
#include <netinet/in.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "auth.h"
#include "clock.h"
#include "log.h"

#define AUTH_PREFIX          "$argon2id$v=19$"
#define AUTH_OPSLIMIT        crypto_pwhash_OPSLIMIT_INTERACTIVE
#define AUTH_MEMLIMIT        crypto_pwhash_MEMLIMIT_INTERACTIVE
#define AUTH_DUMMY_PW_LEN    16u

/*
 * Each verification is memory-hard (64 MiB) and single-threaded: one
 * worker per core, so a burst of logins after a restart goes as fast as
 * the machine allows, at most AUTH_WORKER_MAX.
 */
#define AUTH_WORKER_MAX      8
/* Jobs owned by a worker (queued, running or awaiting delivery). */
#define AUTH_QUEUE_MAX       256u

#define AUTH_THROTTLE_WAYS   4u        /* entries a key may occupy */
#define AUTH_THROTTLE_BASE_MS 1000u    /* first delay after the free ones */
#define AUTH_THROTTLE_IDLE_MS (10u * 60u * 1000u)
#define AUTH_KEY_LEN         17u       /* tag, a /64 prefix, a user's hash */
#define AUTH_KEY_V4          4u
#define AUTH_KEY_V6          6u
#define AUTH_KEY_OTHER       0x7fu
#define AUTH_KEY_USER        0x80u     /* tag bit: a (source, user) record */
#define AUTH_KEY_USER_OFF    9u
#define AUTH_V6_PREFIX_LEN   8u        /* one /64 is one host's worth */
#define AUTH_V4MAPPED_OFF    12u       /* ::ffff:a.b.c.d */

/* ---- Hashes ---------------------------------------------------------- */

int
auth_hash_password(const char *pw, size_t len, char out[AUTH_HASH_MAX])
{
	if (out == NULL || (pw == NULL && len > 0))
		return -1;
	if (sodium_init() < 0)
		return -1;
	if (crypto_pwhash_str(out, pw != NULL ? pw : "", len, AUTH_OPSLIMIT,
	    AUTH_MEMLIMIT) != 0)
		return -1;
	return 0;
}

int
auth_hash_valid(const char *s)
{
	size_t n;

	if (s == NULL)
		return 0;
	n = strnlen(s, AUTH_HASH_MAX);
	if (n >= AUTH_HASH_MAX)
		return 0;
	if (strncmp(s, AUTH_PREFIX, sizeof AUTH_PREFIX - 1) != 0)
		return 0;
	if (sodium_init() < 0)
		return 0;
	/*
	 * In libsodium 1.0.18 this fully decodes the string (parameters,
	 * base64 salt and digest, their lengths) and returns -1 only when it
	 * is malformed; 1 merely means other cost parameters, still usable.
	 */
	return crypto_pwhash_str_needs_rehash(s, AUTH_OPSLIMIT,
	    AUTH_MEMLIMIT) != -1;
}

int
auth_verify_password(const char *hash, const char *pw, size_t len)
{
	char buf[AUTH_HASH_MAX];
	size_t n;
	int ok;

	if (hash == NULL || (pw == NULL && len > 0))
		return 0;
	n = strnlen(hash, AUTH_HASH_MAX);
	if (n >= AUTH_HASH_MAX)
		return 0;
	if (sodium_init() < 0)
		return 0;
	/* libsodium declares the hash as a full STRBYTES array. */
	memset(buf, 0, sizeof buf);
	memcpy(buf, hash, n);
	ok = crypto_pwhash_str_verify(buf, pw != NULL ? pw : "", len) == 0;
	sodium_memzero(buf, sizeof buf);
	return ok;
}

/* ---- Worker ------------------------------------------------------------ */

/*
 * A job moves QUEUED -> RUNNING -> READY -> DELIVERING, all under the
 * worker's mutex. Whoever holds it when it is cancelled or delivered frees
 * it: the loop in every state but RUNNING, the worker thread in RUNNING.
 */
enum auth_job_state {
	AUTH_JOB_QUEUED,
	AUTH_JOB_RUNNING,
	AUTH_JOB_READY,
	AUTH_JOB_DELIVERING,
};

struct auth_job {
	TAILQ_ENTRY(auth_job) link;
	struct auth_worker *w;
	enum auth_job_state state;
	int cancelled;
	int known;                /* hash is the user's, not the dummy */
	int ok;
	auth_done_fn *done;
	void *arg;
	unsigned char *pw;
	size_t pwlen;
	char hash[AUTH_HASH_MAX];
};

TAILQ_HEAD(auth_jobq, auth_job);

struct auth_worker {
	struct event_base *base;
	struct event *ev;
	int efd;
	int sync_ready;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct auth_jobq queue;   /* waiting for a thread */
	struct auth_jobq ready;   /* verdict known, done not yet run */
	unsigned njobs;
	int stopping;
	size_t nthreads;
	pthread_t threads[AUTH_WORKER_MAX];
	/* Read-only once the threads run. */
	char dummy[AUTH_HASH_MAX];
};

static void
auth_job_wipe(struct auth_job *j)
{
	if (j->pw != NULL) {
		sodium_memzero(j->pw, j->pwlen);
		free(j->pw);
		j->pw = NULL;
	}
	sodium_memzero(j->hash, sizeof j->hash);
}

/* Called with w->mu held (or with no thread left). */
static void
auth_job_destroy(struct auth_worker *w, struct auth_job *j)
{
	auth_job_wipe(j);
	free(j);
	w->njobs--;
}

static void
auth_worker_wake(struct auth_worker *w)
{
	uint64_t one = 1;

	/* Only fails if the counter would overflow, which cannot happen. */
	while (write(w->efd, &one, sizeof one) < 0 && errno == EINTR)
		;
}

static void *
auth_worker_main(void *p)
{
	struct auth_worker *w = p;
	struct auth_job *j;
	const char *hash;
	int ok;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->stopping && TAILQ_EMPTY(&w->queue))
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->stopping)
			break;
		j = TAILQ_FIRST(&w->queue);
		TAILQ_REMOVE(&w->queue, j, link);
		j->state = AUTH_JOB_RUNNING;
		pthread_mutex_unlock(&w->mu);

		/* RUNNING jobs are touched by this thread alone. */
		hash = j->known ? j->hash : w->dummy;
		ok = crypto_pwhash_str_verify(hash, (const char *)j->pw,
		    j->pwlen) == 0;
		j->ok = ok && j->known;
		auth_job_wipe(j);

		pthread_mutex_lock(&w->mu);
		if (j->cancelled) {
			auth_job_destroy(w, j);
			continue;
		}
		j->state = AUTH_JOB_READY;
		TAILQ_INSERT_TAIL(&w->ready, j, link);
		auth_worker_wake(w);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Loop thread: run done for every finished job. */
static void
auth_worker_deliver(evutil_socket_t fd, short what, void *arg)
{
	struct auth_worker *w = arg;
	struct auth_job *j;
	uint64_t count;

	(void)what;
	/* Resets the counter; jobs finishing later signal again. */
	if (read(fd, &count, sizeof count) < 0 && errno != EAGAIN &&
	    errno != EINTR)
		log_warn("auth: worker wakeup read: %s", strerror(errno));
	/*
	 * One job at a time, so a done callback may cancel any job still
	 * listed, including the ones finished in the same batch.
	 */
	for (;;) {
		pthread_mutex_lock(&w->mu);
		j = TAILQ_FIRST(&w->ready);
		if (j != NULL) {
			TAILQ_REMOVE(&w->ready, j, link);
			j->state = AUTH_JOB_DELIVERING;
		}
		pthread_mutex_unlock(&w->mu);
		if (j == NULL)
			break;
		j->done(j->arg, j->ok);
		pthread_mutex_lock(&w->mu);
		auth_job_destroy(w, j);
		pthread_mutex_unlock(&w->mu);
	}
}

static void
auth_worker_drain(struct auth_worker *w, struct auth_jobq *q)
{
	struct auth_job *j;

	while ((j = TAILQ_FIRST(q)) != NULL) {
		TAILQ_REMOVE(q, j, link);
		auth_job_destroy(w, j);
	}
}

/*
 * Blocks the caller while a finishing verification completes (about one
 * hash time); meant for shutdown. Not to be called from a done callback.
 */
void
auth_worker_free(struct auth_worker *w)
{
	size_t i;

	if (w == NULL)
		return;
	if (w->sync_ready) {
		pthread_mutex_lock(&w->mu);
		w->stopping = 1;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
		for (i = 0; i < w->nthreads; i++)
			pthread_join(w->threads[i], NULL);
		/* No thread left: the lists are ours alone. */
		auth_worker_drain(w, &w->queue);
		auth_worker_drain(w, &w->ready);
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
	}
	if (w->ev != NULL)
		event_free(w->ev);
	if (w->efd >= 0)
		close(w->efd);
	sodium_memzero(w->dummy, sizeof w->dummy);
	free(w);
}

/*
 * Generates the dummy hash here (one hash time, on the caller's thread):
 * unknown users are then verified against it at the same cost as real ones.
 */
struct auth_worker *
auth_worker_new(struct event_base *base)
{
	struct auth_worker *w;
	unsigned char dummy_pw[AUTH_DUMMY_PW_LEN];
	sigset_t all, old;
	int rc;

	if (base == NULL || sodium_init() < 0)
		return NULL;
	if ((w = calloc(1, sizeof *w)) == NULL)
		return NULL;
	w->base = base;
	w->efd = -1;
	TAILQ_INIT(&w->queue);
	TAILQ_INIT(&w->ready);

	randombytes_buf(dummy_pw, sizeof dummy_pw);
	rc = crypto_pwhash_str(w->dummy, (const char *)dummy_pw,
	    sizeof dummy_pw, AUTH_OPSLIMIT, AUTH_MEMLIMIT);
	sodium_memzero(dummy_pw, sizeof dummy_pw);
	if (rc != 0) {
		log_err("auth: cannot compute the dummy password hash");
		goto fail;
	}

	if ((w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		log_err("auth: eventfd: %s", strerror(errno));
		goto fail;
	}
	w->ev = event_new(base, w->efd, EV_READ | EV_PERSIST,
	    auth_worker_deliver, w);
	if (w->ev == NULL || event_add(w->ev, NULL) != 0) {
		log_err("auth: cannot watch the worker's eventfd");
		goto fail;
	}

	if (pthread_mutex_init(&w->mu, NULL) != 0)
		goto fail;
	if (pthread_cond_init(&w->cv, NULL) != 0) {
		pthread_mutex_destroy(&w->mu);
		goto fail;
	}
	w->sync_ready = 1;

	/* Signals belong to the loop thread; the workers inherit this mask. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	size_t want = cores < 1 ? 1 : cores > AUTH_WORKER_MAX ?
	    AUTH_WORKER_MAX : (size_t)cores;
	for (; w->nthreads < want; w->nthreads++) {
		rc = pthread_create(&w->threads[w->nthreads], NULL,
		    auth_worker_main, w);
		if (rc != 0)
			break;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_err("auth: cannot start worker thread: %s", strerror(rc));
		goto fail;
	}
	return w;
fail:
	auth_worker_free(w);
	return NULL;
}

/*
 * NULL means "refuse this login for now": out of memory, or AUTH_QUEUE_MAX
 * jobs already outstanding (a flood must not grow memory or latency without
 * bound). Callers answer as if the hub were busy.
 */
struct auth_job *
auth_verify_async(struct auth_worker *w, const char *hash, const char *pw,
    size_t len, auth_done_fn *done, void *arg)
{
	struct auth_job *j;
	size_t n;

	if (w == NULL || done == NULL || (pw == NULL && len > 0))
		return NULL;
	if ((j = calloc(1, sizeof *j)) == NULL)
		return NULL;
	if ((j->pw = malloc(len > 0 ? len : 1)) == NULL) {
		free(j);
		return NULL;
	}
	if (len > 0)
		memcpy(j->pw, pw, len);
	j->pwlen = len;
	if (hash != NULL) {
		n = strnlen(hash, AUTH_HASH_MAX);
		/* An overlong hash can never match; it costs a dummy run. */
		if (n < AUTH_HASH_MAX) {
			memcpy(j->hash, hash, n);
			j->known = 1;
		}
	}
	j->w = w;
	j->done = done;
	j->arg = arg;
	j->state = AUTH_JOB_QUEUED;

	pthread_mutex_lock(&w->mu);
	if (w->stopping || w->njobs >= AUTH_QUEUE_MAX) {
		pthread_mutex_unlock(&w->mu);
		auth_job_wipe(j);
		free(j);
		return NULL;
	}
	w->njobs++;
	TAILQ_INSERT_TAIL(&w->queue, j, link);
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return j;
}

/*
 * Loop thread only. A no-op when called from the job's own done callback;
 * the job is freed once done returns.
 */
void
auth_job_cancel(struct auth_job *job)
{
	struct auth_worker *w;

	if (job == NULL)
		return;
	w = job->w;
	pthread_mutex_lock(&w->mu);
	switch (job->state) {
	case AUTH_JOB_QUEUED:
		TAILQ_REMOVE(&w->queue, job, link);
		auth_job_destroy(w, job);
		break;
	case AUTH_JOB_RUNNING:
		/* The worker thread frees it when the hash is done. */
		job->cancelled = 1;
		break;
	case AUTH_JOB_READY:
		TAILQ_REMOVE(&w->ready, job, link);
		auth_job_destroy(w, job);
		break;
	case AUTH_JOB_DELIVERING:
		break;
	}
	pthread_mutex_unlock(&w->mu);
}

/* ---- Throttle ---------------------------------------------------------- */

/*
 * Set-associative: a key hashes to a bucket of AUTH_THROTTLE_WAYS entries,
 * so an unlucky collision evicts the least recently failed entry rather
 * than whoever shares the slot.
 */
struct auth_slot {
	uint64_t next_allowed_ms;
	uint64_t last_ms;
	uint32_t failures;
	uint16_t inflight;        /* checks running (source records) */
	uint8_t used;
	uint8_t key[AUTH_KEY_LEN];
};

struct auth_throttle {
	unsigned char hkey[crypto_shorthash_KEYBYTES];
	struct auth_slot slots[AUTH_THROTTLE_SLOTS];
};

/* The unit of blame: an IPv4 address or an IPv6 /64. 0 or -1. */
static int
auth_addr_key(const struct sockaddr *sa, uint8_t key[AUTH_KEY_LEN])
{
	const char *base = (const char *)sa;
	struct in6_addr a6;

	memset(key, 0, AUTH_KEY_LEN);
	if (sa == NULL)
		return -1;
	switch (sa->sa_family) {
	case AF_INET:
		key[0] = AUTH_KEY_V4;
		memcpy(key + 1, base + offsetof(struct sockaddr_in, sin_addr),
		    sizeof(struct in_addr));
		break;
	case AF_INET6:
		/* Copied out: the caller's buffer need not be aligned. */
		memcpy(&a6, base + offsetof(struct sockaddr_in6, sin6_addr),
		    sizeof a6);
		/* Every IPv4 client of a dual-stack socket shares ::ffff:0:0/96. */
		if (IN6_IS_ADDR_V4MAPPED(&a6)) {
			key[0] = AUTH_KEY_V4;
			memcpy(key + 1, a6.s6_addr + AUTH_V4MAPPED_OFF,
			    sizeof(struct in_addr));
		} else {
			key[0] = AUTH_KEY_V6;
			memcpy(key + 1, a6.s6_addr, AUTH_V6_PREFIX_LEN);
		}
		break;
	default:
		/* Local transports are few; they share one entry. */
		key[0] = AUTH_KEY_OTHER;
		break;
	}
	return 0;
}

static int
auth_slot_idle(const struct auth_slot *s, uint64_t now_ms)
{
	return s->inflight == 0 && now_ms > s->last_ms &&
	    now_ms - s->last_ms > AUTH_THROTTLE_IDLE_MS;
}

/* The entry for key, or NULL; with create, a fresh one if none. */
static struct auth_slot *
auth_throttle_find(struct auth_throttle *t, const uint8_t key[AUTH_KEY_LEN],
    uint64_t now_ms, int create)
{
	unsigned char h[crypto_shorthash_BYTES];
	struct auth_slot *s, *victim = NULL;
	uint64_t v;
	size_t first, i;

	crypto_shorthash(h, key, AUTH_KEY_LEN, t->hkey);
	memcpy(&v, h, sizeof v);
	first = (size_t)(v % (AUTH_THROTTLE_SLOTS / AUTH_THROTTLE_WAYS)) *
	    AUTH_THROTTLE_WAYS;
	for (i = 0; i < AUTH_THROTTLE_WAYS; i++) {
		s = &t->slots[first + i];
		if (s->used && auth_slot_idle(s, now_ms))
			memset(s, 0, sizeof *s);
		if (s->used && memcmp(s->key, key, AUTH_KEY_LEN) == 0)
			return s;
		if (!s->used) {
			if (victim == NULL || victim->used)
				victim = s;
		} else if (victim == NULL ||
		    (victim->used && s->last_ms < victim->last_ms))
			victim = s;
	}
	if (!create)
		return NULL;
	memset(victim, 0, sizeof *victim);
	victim->used = 1;
	memcpy(victim->key, key, AUTH_KEY_LEN);
	victim->last_ms = now_ms;
	return victim;
}

struct auth_throttle *
auth_throttle_new(void)
{
	struct auth_throttle *t;

	if (sodium_init() < 0)
		return NULL;
	if ((t = calloc(1, sizeof *t)) == NULL)
		return NULL;
	/* A secret key: remote peers cannot aim addresses at one bucket. */
	crypto_shorthash_keygen(t->hkey);
	return t;
}

void
auth_throttle_free(struct auth_throttle *t)
{
	if (t == NULL)
		return;
	sodium_memzero(t->hkey, sizeof t->hkey);
	free(t);
}

/* The (source, user) key beside a source key. */
static void
auth_user_key(const struct auth_throttle *t, const uint8_t src[AUTH_KEY_LEN],
    const char *user, uint8_t key[AUTH_KEY_LEN])
{
	memcpy(key, src, AUTH_KEY_LEN);
	key[0] |= AUTH_KEY_USER;
	crypto_shorthash(key + AUTH_KEY_USER_OFF, (const unsigned char *)user,
	    strlen(user), t->hkey);
}

static uint64_t
auth_slot_wait(const struct auth_slot *s, uint64_t now_ms)
{
	if (s == NULL || s->failures <= AUTH_THROTTLE_FREE ||
	    now_ms >= s->next_allowed_ms)
		return 0;
	return s->next_allowed_ms - now_ms;
}

/* One more failure on s, and the wait it earns. */
static void
auth_slot_fail(struct auth_slot *s, uint64_t now_ms)
{
	uint64_t delay;
	uint32_t i, doublings;

	if (s->failures < UINT32_MAX)
		s->failures++;
	s->last_ms = now_ms;
	if (s->failures <= AUTH_THROTTLE_FREE)
		return;
	doublings = s->failures - AUTH_THROTTLE_FREE - 1;
	delay = AUTH_THROTTLE_BASE_MS;
	for (i = 0; i < doublings && delay < AUTH_THROTTLE_MAX_MS; i++)
		delay *= 2;
	if (delay > AUTH_THROTTLE_MAX_MS)
		delay = AUTH_THROTTLE_MAX_MS;
	s->next_allowed_ms = now_ms + delay;
}

uint64_t
auth_throttle_check(struct auth_throttle *t, const struct sockaddr *addr,
    uint64_t now_ms)
{
	uint8_t key[AUTH_KEY_LEN];

	if (t == NULL || auth_addr_key(addr, key) != 0)
		return 0;
	return auth_slot_wait(auth_throttle_find(t, key, now_ms, 0), now_ms);
}

void
auth_throttle_fail(struct auth_throttle *t, const struct sockaddr *addr,
    uint64_t now_ms)
{
	uint8_t key[AUTH_KEY_LEN];

	if (t == NULL || auth_addr_key(addr, key) != 0)
		return;
	auth_slot_fail(auth_throttle_find(t, key, now_ms, 1), now_ms);
}

uint64_t
auth_throttle_begin(struct auth_throttle *t, const struct sockaddr *addr,
    const char *user, uint64_t now_ms, struct auth_undo *undo)
{
	uint8_t key[AUTH_KEY_LEN], ukey[AUTH_KEY_LEN];
	struct auth_slot *s, *u = NULL;
	uint64_t wait, uwait = 0;

	if (t == NULL || auth_addr_key(addr, key) != 0)
		return 0;
	wait = auth_slot_wait(auth_throttle_find(t, key, now_ms, 0), now_ms);
	if (user != NULL) {
		auth_user_key(t, key, user, ukey);
		uwait = auth_slot_wait(auth_throttle_find(t, ukey, now_ms, 0),
		    now_ms);
	}
	if (wait > 0 || uwait > 0)
		return wait > uwait ? wait : uwait;
	s = auth_throttle_find(t, key, now_ms, 1);
	if (s->inflight >= AUTH_INFLIGHT_MAX)
		return AUTH_THROTTLE_BUSY;
	s->inflight++;
	undo->next_allowed_ms = s->next_allowed_ms;
	auth_slot_fail(s, now_ms);
	undo->failures = s->failures;
	if (user != NULL && (u = auth_throttle_find(t, ukey, now_ms, 1)) != s)
		auth_slot_fail(u, now_ms);
	return 0;
}

void
auth_throttle_end(struct auth_throttle *t, const struct sockaddr *addr,
    const char *user, int ok, uint64_t now_ms, const struct auth_undo *undo)
{
	uint8_t key[AUTH_KEY_LEN], ukey[AUTH_KEY_LEN];
	struct auth_slot *s, *u;

	if (t == NULL || auth_addr_key(addr, key) != 0)
		return;
	if ((s = auth_throttle_find(t, key, now_ms, 0)) != NULL &&
	    s->inflight > 0)
		s->inflight--;
	if (!ok)
		return;
	/* This attempt was counted as a failure when it began: take it back
	 * (and the wait it earned, if that was all of it). */
	if (s != NULL && s->failures > 0) {
		if (s->failures == undo->failures)
			s->next_allowed_ms = undo->next_allowed_ms;
		s->failures--;
	}
	if (user != NULL) {
		auth_user_key(t, key, user, ukey);
		if ((u = auth_throttle_find(t, ukey, now_ms, 0)) != NULL &&
		    u != s)
			memset(u, 0, sizeof *u);
	}
}

/* ---- One password check under the throttle ------------------------- */

static void
auth_try_done(void *arg, int ok)
{
	struct auth_try *a = arg;

	a->job = NULL;
	auth_try_end(a, ok);
	a->done(a->arg, ok);
}

int
auth_try_begin(struct auth_try *a, struct auth_throttle *t,
    const struct sockaddr *addr, const char *user, char *why, size_t whylen)
{
	socklen_t alen = addr->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : addr->sa_family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr);
	uint64_t wait;

	memset(a, 0, sizeof *a);
	a->t = t;
	memcpy(&a->addr, addr, alen);
	if (user != NULL) {
		snprintf(a->user, sizeof a->user, "%s", user);
		a->has_user = 1;
	}
	wait = auth_throttle_begin(t, addr, user, clock_now_ms(), &a->undo);
	if (wait == AUTH_THROTTLE_BUSY) {
		snprintf(why, whylen, "too many logins at once from this "
		    "address; try again shortly");
		return -1;
	}
	if (wait > 0) {
		snprintf(why, whylen, "too many failed logins from this "
		    "address; try again in %llu s",
		    (unsigned long long)(wait + 999) / 1000);
		return -1;
	}
	return 0;
}

void
auth_try_end(struct auth_try *a, int ok)
{
	auth_throttle_end(a->t, (struct sockaddr *)&a->addr,
	    a->has_user ? a->user : NULL, ok, clock_now_ms(), &a->undo);
}

int
auth_try_start(struct auth_try *a, struct auth_worker *w,
    struct auth_throttle *t, const struct sockaddr *addr, const char *user,
    const char *hash, const char *pw, size_t len, auth_done_fn *done,
    void *arg, char *why, size_t whylen)
{
	if (auth_try_begin(a, t, addr, user, why, whylen) != 0)
		return -1;
	a->done = done;
	a->arg = arg;
	a->job = auth_verify_async(w, hash, pw, len, auth_try_done, a);
	if (a->job == NULL) {
		auth_try_end(a, 0);
		snprintf(why, whylen, "hub is busy; try again");
		return -1;
	}
	return 0;
}

void
auth_try_cancel(struct auth_try *a)
{
	if (a->job == NULL)
		return;
	auth_job_cancel(a->job);
	a->job = NULL;
	auth_try_end(a, 0);
}
