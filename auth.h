/*
 * auth.h: password hashes (Argon2id via libsodium's crypto_pwhash_str),
 * verified on a worker thread so the event loop never stalls, and a
 * per-source-address throttle for failed logins.
 */
#ifndef SOFTETHER_AUTH_H
#define SOFTETHER_AUTH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sodium.h>

struct event_base;

#define AUTH_HASH_MAX crypto_pwhash_STRBYTES   /* includes the NUL */

/* Hash a password (Argon2id, interactive limits). Returns 0 or -1. */
int auth_hash_password(const char *pw, size_t len, char out[AUTH_HASH_MAX]);
/* 1 if s looks like a hash this build can verify ("$argon2id$v=19$..."). */
int auth_hash_valid(const char *s);
/* Synchronous verify (tests, tools): 1 match, 0 no match. */
int auth_verify_password(const char *hash, const char *pw, size_t len);

/* ---- Verification off the loop ------------------------------------- */
struct auth_worker;
struct auth_job;
/* Called on the loop thread with ok = 1 (match) or 0. */
typedef void auth_done_fn(void *arg, int ok);

struct auth_worker *auth_worker_new(struct event_base *base);
/* Loop thread, before the event_base is freed, never from a done callback;
 * waits for the running hash; pending jobs are dropped without done. */
void auth_worker_free(struct auth_worker *w);
/*
 * Verify pw against hash on the worker thread; done(arg, ok) runs later on
 * the loop. hash NULL means "unknown user": a dummy hash is verified so the
 * timing matches, and the verdict is 0. Copies what it needs. Returns the job
 * (for cancel), or NULL if out of memory or too many verifications are
 * pending: callers treat NULL as busy and refuse the login.
 */
struct auth_job *auth_verify_async(struct auth_worker *w, const char *hash,
    const char *pw, size_t len, auth_done_fn *done, void *arg);
/* done will not be called for this job; safe until done has run. Loop
 * thread only; a no-op inside the job's own done callback. */
void auth_job_cancel(struct auth_job *job);

/*
 * ---- Failed-login throttle ----------------------------------------------
 * Per source (an IPv4 address or an IPv6 /64) and per (source, user): each
 * has AUTH_THROTTLE_FREE failures free, then waits that double from 1 s to
 * AUTH_THROTTLE_MAX_MS. An attempt counts as a failure from the moment it
 * is queued (so parallel connections get no extra guesses), and a success
 * takes back only its own attempt and clears its own (source, user) record:
 * one user's success never wipes another's failures.
 */
#define AUTH_THROTTLE_SLOTS   8192u
#define AUTH_THROTTLE_FREE    5u       /* failures allowed before delays */
#define AUTH_THROTTLE_MAX_MS  60000u   /* longest lock-out */
#define AUTH_INFLIGHT_MAX     4u       /* password checks at once per source */
#define AUTH_THROTTLE_BUSY    UINT64_MAX
struct auth_throttle;
struct auth_throttle *auth_throttle_new(void);
void auth_throttle_free(struct auth_throttle *t);
/* 0 if a login from addr may proceed now, else milliseconds to wait (the
 * source's record alone). */
uint64_t auth_throttle_check(struct auth_throttle *t,
    const struct sockaddr *addr, uint64_t now_ms);
/* One failure of the source's. */
void auth_throttle_fail(struct auth_throttle *t, const struct sockaddr *addr,
    uint64_t now_ms);
/*
 * Before a password check for user (NULL: none, as the console's) from
 * addr: the milliseconds to wait if the source or (source, user) is locked
 * out, AUTH_THROTTLE_BUSY if the source has AUTH_INFLIGHT_MAX checks
 * running, else 0: the attempt is counted as a failure on both records
 * and must be ended with auth_throttle_end.
 */
struct auth_undo {              /* what a success takes back */
	uint64_t next_allowed_ms;  /* the source's wait before the attempt */
	uint32_t failures;         /* its count with the attempt */
};
uint64_t auth_throttle_begin(struct auth_throttle *t,
    const struct sockaddr *addr, const char *user, uint64_t now_ms,
    struct auth_undo *undo);
/* The check begun (undo as begin filled it) has ended: ok (the password
 * was right: the attempt is taken back, and the wait it earned if nothing
 * came between), or not (or it never ran: the connection went first). */
void auth_throttle_end(struct auth_throttle *t, const struct sockaddr *addr,
    const char *user, int ok, uint64_t now_ms, const struct auth_undo *undo);

/* ---- One password check under the throttle ------------------------- */
#define AUTH_USER_MAX 64u
struct auth_try {
	struct auth_throttle *t;
	struct sockaddr_storage addr;
	char user[AUTH_USER_MAX + 1];
	int has_user;
	struct auth_undo undo;
	struct auth_job *job;        /* running: end once, then done */
	auth_done_fn *done;
	void *arg;
};
/*
 * Begin a check of pw against hash (NULL: unknown user, as
 * auth_verify_async) for user (NULL: none) from addr, counted by t. 0: it
 * runs, and done(arg, ok) follows on the loop once the throttle knows.
 * Otherwise nothing runs, and why (whylen bytes) says what the peer should
 * be told: a lock-out with its wait, or busy.
 */
int auth_try_start(struct auth_try *a, struct auth_worker *w,
    struct auth_throttle *t, const struct sockaddr *addr, const char *user,
    const char *hash, const char *pw, size_t len, auth_done_fn *done,
    void *arg, char *why, size_t whylen);
/*
 * The throttle alone, for a check the caller makes at once (a key's
 * signature): 0, the attempt counted, to be ended with auth_try_end; or
 * -1 with why, as auth_try_start.
 */
int auth_try_begin(struct auth_try *a, struct auth_throttle *t,
    const struct sockaddr *addr, const char *user, char *why, size_t whylen);
void auth_try_end(struct auth_try *a, int ok);
/* The connection goes first: the check is dropped (done never runs) and
 * counts as the failure it began as. A no-op if none is running. */
void auth_try_cancel(struct auth_try *a);

#endif
