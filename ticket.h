/*
 * ticket.h: re-login tickets. At a login the hub may hand the card a
 * ticket: its claims (hub, user, a fingerprint of the user's password hash
 * as it stood, issue and expiry times) sealed with XChaCha20-Poly1305
 * under a key only the hub knows. After a hub restart the card shows the
 * ticket instead of its password and the hub skips the Argon2 check: the
 * ticket opens, has not expired, names this hub, and the user still
 * exists with the same password hash and is let in (the caller's checks).
 *
 * Keys rotate: a ticket sealed with the current or the previous key opens;
 * older ones do not. The keys live in the state directory (ticket_keys_save
 * / ticket_keys_load, a small text file). Everything here is pure: time is
 * passed in, no I/O but the caller's.
 *
 * A sealed ticket: key id (4, big-endian) | nonce (24) | sealed claims.
 * Claims: version (1) | issued (8) | expires (8) | cred (16) |
 * hub length (1) | hub | user length (1) | user.
 */
#ifndef SOFTETHER_TICKET_H
#define SOFTETHER_TICKET_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define TICKET_KEY_LEN     32u
#define TICKET_NONCE_LEN   24u
#define TICKET_TAG_LEN     16u
#define TICKET_CRED_LEN    16u
#define TICKET_VERSION     1u
#define TICKET_CLAIMS_FIXED (1u + 8u + 8u + TICKET_CRED_LEN + 1u + 1u)
#define TICKET_MIN_LEN     (4u + TICKET_NONCE_LEN + TICKET_CLAIMS_FIXED + \
	TICKET_TAG_LEN)
#define TICKET_MAX_LEN     (TICKET_MIN_LEN + 2u * PROTO_MAX_NAME)
/* A ticket issued "in the future" by more than this is refused (clocks
 * step; a key file copied from another machine). */
#define TICKET_SKEW_S      300u
/* The key file's longest accepted size. */
#define TICKET_KEYFILE_MAX 1024u

struct ticket_key {
	uint32_t id;               /* 0: no key */
	uint64_t created;          /* Unix seconds */
	uint8_t key[TICKET_KEY_LEN];
};

/* The current key seals; the previous one still opens. */
struct ticket_keys {
	struct ticket_key cur, prev;
};

struct ticket_claims {
	uint64_t issued, expires;  /* Unix seconds */
	uint8_t cred[TICKET_CRED_LEN];
	char hub[PROTO_MAX_NAME + 1];
	char user[PROTO_MAX_NAME + 1];
};

enum ticket_result {
	TICKET_OK = 0,
	TICKET_MALFORMED,   /* too short, too long, bad lengths or version */
	TICKET_UNKNOWN_KEY, /* sealed with a key rotated out (or never ours) */
	TICKET_FORGED,      /* does not open: tampered with, or not ours */
	TICKET_EXPIRED,
	TICKET_FUTURE,      /* issued later than now + TICKET_SKEW_S */
	TICKET_WRONG_HUB,
	TICKET_WRONG_USER,
	TICKET_CRED_CHANGED,/* the user's password changed since */
};

/* Words for logs: "expired", "sealed with an unknown key", ... */
const char *ticket_result_str(enum ticket_result r);

/* A fresh key set: a random current key, no previous one. */
void ticket_keys_init(struct ticket_keys *k, uint64_t now);
/* If the current key is older than every_s, it becomes the previous one
 * and a new random key the current. Returns 1 if it rotated. */
int ticket_keys_rotate(struct ticket_keys *k, uint64_t now, uint64_t every_s);
/* Wipe both keys. */
void ticket_keys_clear(struct ticket_keys *k);

/* The key file: "softether-ticket-keys 1\n" then one line per key,
 * "ID CREATED HEX64\n", current first. save writes into buf (cap at
 * least TICKET_KEYFILE_MAX) and returns the length. load returns 0, or -1
 * with err naming the line and what was wrong (the keys then cleared). */
size_t ticket_keys_save(const struct ticket_keys *k, char *buf, size_t cap);
int ticket_keys_load(struct ticket_keys *k, const char *text, size_t len,
    char *err, size_t errlen);

/* A fingerprint of a user's stored password hash (the $argon2id$ string,
 * salt included): BLAKE2b-128, unkeyed, since it only ever travels sealed.
 * Any new password, even the same one again, gives a new salt and so a new
 * fingerprint. */
void ticket_cred(const char *password_hash, uint8_t out[TICKET_CRED_LEN]);

/* Seal claims c (hub and user 1..PROTO_MAX_NAME bytes) with the current
 * key. Returns the ticket's length, or 0 if c is unusable or cap is short
 * (TICKET_MAX_LEN always suffices). */
size_t ticket_seal(const struct ticket_keys *k, const struct ticket_claims *c,
    uint8_t *out, size_t cap);

/* Open a ticket and check what needs no user database: it opens under a
 * key we hold, is well formed, and now is within [issued - skew, expires).
 * On TICKET_OK c holds the claims. */
enum ticket_result ticket_open(const struct ticket_keys *k, const uint8_t *t,
    size_t len, uint64_t now, struct ticket_claims *c);

/* The rest, against the hub and the user as they are now: the hub's name,
 * the user's name and current password hash (NULL: no such user, which is
 * TICKET_WRONG_USER). */
enum ticket_result ticket_check(const struct ticket_claims *c,
    const char *hub, const char *user, const char *password_hash);

#endif
