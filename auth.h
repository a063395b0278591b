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

/* ---- Failed-login throttle, per source address ---------------------- */
#define AUTH_THROTTLE_SLOTS   4096u
#define AUTH_THROTTLE_FREE    5u       /* failures allowed before delays */
#define AUTH_THROTTLE_MAX_MS  60000u   /* longest lock-out */
struct auth_throttle;
struct auth_throttle *auth_throttle_new(void);
void auth_throttle_free(struct auth_throttle *t);
/* 0 if a login from addr may proceed now, else milliseconds to wait. */
uint64_t auth_throttle_check(struct auth_throttle *t,
    const struct sockaddr *addr, uint64_t now_ms);
void auth_throttle_fail(struct auth_throttle *t, const struct sockaddr *addr,
    uint64_t now_ms);
void auth_throttle_ok(struct auth_throttle *t, const struct sockaddr *addr);

#endif
