/*
 * dchan.c: the data channel's keys and records: HKDF-SHA256, cipher choice,
 * sealing and opening records in place, and the per-direction key ratchet.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "dchan.h"
#include "proto.h"

#define DCHAN_HASH_LEN     crypto_auth_hmacsha256_BYTES
#define DCHAN_HKDF_MAX     (255u * DCHAN_HASH_LEN)
#define DCHAN_NONCE_LEN    crypto_aead_chacha20poly1305_ietf_NPUBBYTES
#define DCHAN_NONCE_ZEROS  4u /* then the record's seq, big endian */
#define DCHAN_RATCHET_INFO "softether data ratchet"

/* The record layout in proto.h is only sound if libsodium agrees. */
_Static_assert(crypto_aead_aes256gcm_NPUBBYTES == DCHAN_NONCE_LEN,
    "both ciphers take the same nonce");
_Static_assert(DCHAN_NONCE_ZEROS + sizeof(uint64_t) == DCHAN_NONCE_LEN,
    "nonce is padding plus seq");
_Static_assert(crypto_aead_aes256gcm_ABYTES == PROTO_REC_TAG &&
    crypto_aead_chacha20poly1305_ietf_ABYTES == PROTO_REC_TAG,
    "tag size matches the wire");
_Static_assert(crypto_aead_aes256gcm_KEYBYTES == DCHAN_KEY_LEN &&
    crypto_aead_chacha20poly1305_ietf_KEYBYTES == DCHAN_KEY_LEN,
    "key size matches");
_Static_assert(DCHAN_HASH_LEN == DCHAN_KEY_LEN, "a PRK is a key");

/* ---- Cipher choice -------------------------------------------------------- */

/* sodium_init is idempotent and cheap once done; calling it here means no
 * caller can reach the AES probe or the ciphers without it. */
static int
dchan_sodium(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

uint32_t
dchan_local_caps(void)
{
	uint32_t caps = PROTO_CAP_CHACHA;

	if (dchan_sodium() == -1)
		return 0;
	if (crypto_aead_aes256gcm_is_available())
		caps |= PROTO_CAP_AESGCM;
	return caps;
}

/* AES-GCM only when both ends have hardware AES: in software it is slower
 * than ChaCha20 and not constant time. */
enum dchan_cipher
dchan_pick(uint32_t local_caps, uint32_t peer_caps)
{
	uint32_t both = local_caps & peer_caps;

	if (both & PROTO_CAP_AESGCM)
		return DCHAN_AES256GCM;
	if (both & PROTO_CAP_CHACHA)
		return DCHAN_CHACHA20POLY1305;
	return (enum dchan_cipher)0;
}

const char *
dchan_cipher_name(enum dchan_cipher c)
{
	switch (c) {
	case DCHAN_AES256GCM:
		return "aes-256-gcm";
	case DCHAN_CHACHA20POLY1305:
		return "chacha20-poly1305";
	default:
		return "none";
	}
}

/* ---- HKDF-SHA256 (RFC 5869) ----------------------------------------------- */

void
dchan_hkdf_extract(uint8_t prk[32], const uint8_t *salt, size_t salt_len,
    const uint8_t *ikm, size_t ikm_len)
{
	static const uint8_t zeros[DCHAN_HASH_LEN];
	crypto_auth_hmacsha256_state st;

	/* RFC 5869: a missing salt is HashLen zero bytes. */
	if (salt == NULL || salt_len == 0) {
		salt = zeros;
		salt_len = sizeof zeros;
	}
	crypto_auth_hmacsha256_init(&st, salt, salt_len);
	if (ikm_len > 0)
		crypto_auth_hmacsha256_update(&st, ikm, ikm_len);
	crypto_auth_hmacsha256_final(&st, prk);
	sodium_memzero(&st, sizeof st);
}

void
dchan_hkdf_expand(uint8_t *out, size_t out_len, const uint8_t prk[32],
    const uint8_t *info, size_t info_len)
{
	crypto_auth_hmacsha256_state st;
	uint8_t t[DCHAN_HASH_LEN];
	uint8_t ctr;
	size_t done, n;

	/* Past 255 blocks the counter would wrap and repeat key material;
	 * every caller asks for a fixed small size, so this is a bug. */
	if (out_len > DCHAN_HKDF_MAX)
		abort();
	for (done = 0, ctr = 1; done < out_len; done += n, ctr++) {
		crypto_auth_hmacsha256_init(&st, prk, DCHAN_HASH_LEN);
		if (done > 0)
			crypto_auth_hmacsha256_update(&st, t, sizeof t);
		if (info_len > 0)
			crypto_auth_hmacsha256_update(&st, info, info_len);
		crypto_auth_hmacsha256_update(&st, &ctr, 1);
		crypto_auth_hmacsha256_final(&st, t);
		n = out_len - done < sizeof t ? out_len - done : sizeof t;
		memcpy(out + done, t, n);
	}
	sodium_memzero(&st, sizeof st);
	sodium_memzero(t, sizeof t);
}

/* ---- Keys ------------------------------------------------------------------- */

static int
dchan_dir_key(struct dchan_dir *d, const uint8_t key[DCHAN_KEY_LEN])
{
	if (key != d->key)
		memcpy(d->key, key, DCHAN_KEY_LEN);
	if (d->cipher == DCHAN_AES256GCM &&
	    crypto_aead_aes256gcm_beforenm(&d->aes, d->key) != 0)
		return -1;
	return 0;
}

/*
 * Each epoch key is derived from the one before and the old one is wiped,
 * so a key taken from memory cannot decrypt earlier epochs. Both ends
 * ratchet at the same seq, so no message is needed.
 */
static void
dchan_ratchet(struct dchan_dir *d)
{
	uint8_t next[DCHAN_KEY_LEN];

	dchan_hkdf_expand(next, sizeof next, d->key,
	    (const uint8_t *)DCHAN_RATCHET_INFO, strlen(DCHAN_RATCHET_INFO));
	sodium_memzero(d->key, sizeof d->key);
	/* beforenm cannot fail once the cipher was accepted by dchan_init. */
	(void)dchan_dir_key(d, next);
	sodium_memzero(next, sizeof next);
}

/*
 * Also ratchets when seq wraps to 0 (after 2^64 records, unreachable in
 * practice), so a nonce can never repeat under one key.
 */
static void
dchan_advance(struct dchan_dir *d)
{
	d->seq++;
	if (d->seq % PROTO_REKEY_RECORDS == 0)
		dchan_ratchet(d);
}

int
dchan_init(struct dchan *dc, enum dchan_cipher c,
    const uint8_t tx_key[DCHAN_KEY_LEN], const uint8_t rx_key[DCHAN_KEY_LEN])
{
	uint8_t tk[DCHAN_KEY_LEN], rk[DCHAN_KEY_LEN];
	int rc = -1;

	/* Copies first: the keys may live in *dc itself (re-keying). */
	memcpy(tk, tx_key, sizeof tk);
	memcpy(rk, rx_key, sizeof rk);
	sodium_memzero(dc, sizeof *dc);
	if (dchan_sodium() == -1)
		goto out;
	switch (c) {
	case DCHAN_AES256GCM:
		if (!crypto_aead_aes256gcm_is_available())
			goto out;
		break;
	case DCHAN_CHACHA20POLY1305:
		break;
	default:
		goto out;
	}
	dc->tx.cipher = dc->rx.cipher = c;
	if (dchan_dir_key(&dc->tx, tk) == -1 ||
	    dchan_dir_key(&dc->rx, rk) == -1) {
		sodium_memzero(dc, sizeof *dc);
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(tk, sizeof tk);
	sodium_memzero(rk, sizeof rk);
	return rc;
}

void
dchan_clear(struct dchan *dc)
{
	sodium_memzero(dc, sizeof *dc);
}

/* ---- Records ------------------------------------------------------------ */

static void
dchan_nonce(uint8_t nonce[DCHAN_NONCE_LEN], uint64_t seq)
{
	size_t i;

	memset(nonce, 0, DCHAN_NONCE_ZEROS);
	for (i = 0; i < sizeof seq; i++)
		nonce[DCHAN_NONCE_LEN - 1 - i] = (uint8_t)(seq >> (8 * i));
}

/*
 * Returns 0 when the size or state is unusable (plain_len over
 * PROTO_REC_MAX_PLAIN, or no cipher set up), since the peer would reject
 * such a record anyway.
 */
size_t
dchan_seal_from(struct dchan *dc, uint8_t *rec, const uint8_t *plain,
    size_t plain_len)
{
	struct dchan_dir *d = &dc->tx;
	uint8_t nonce[DCHAN_NONCE_LEN];
	uint8_t *c = rec + PROTO_REC_HDR;

	if (plain_len > PROTO_REC_MAX_PLAIN ||
	    (d->cipher != DCHAN_AES256GCM &&
	    d->cipher != DCHAN_CHACHA20POLY1305))
		return 0;
	proto_rec_hdr_put(rec, (uint32_t)(plain_len + PROTO_REC_TAG), d->seq);
	dchan_nonce(nonce, d->seq);
	switch (d->cipher) {
	case DCHAN_AES256GCM:
		crypto_aead_aes256gcm_encrypt_detached_afternm(c,
		    c + plain_len, NULL, plain, plain_len, rec, PROTO_REC_HDR,
		    NULL, nonce, &d->aes);
		break;
	case DCHAN_CHACHA20POLY1305:
		crypto_aead_chacha20poly1305_ietf_encrypt_detached(c,
		    c + plain_len, NULL, plain, plain_len, rec, PROTO_REC_HDR,
		    NULL, nonce, d->key);
		break;
	default:
		return 0;
	}
	dchan_advance(d);
	return PROTO_REC_HDR + plain_len + PROTO_REC_TAG;
}

size_t
dchan_seal(struct dchan *dc, uint8_t *rec, size_t plain_len)
{
	return dchan_seal_from(dc, rec, rec + PROTO_REC_HDR, plain_len);
}

/*
 * On failure the bytes after the header are unspecified (libsodium may wipe
 * what it decrypted), but no plaintext is handed out and rx is untouched.
 */
int
dchan_open(struct dchan *dc, uint8_t *rec, size_t rec_len,
    uint8_t **plain, size_t *plain_len, const char **why)
{
	struct dchan_dir *d = &dc->rx;
	uint8_t nonce[DCHAN_NONCE_LEN];
	const char *fault;
	uint32_t sealed;
	uint64_t seq;
	uint8_t *c;
	size_t clen;
	int rc;

	*plain = NULL;
	*plain_len = 0;
	switch (proto_rec_hdr_get(rec, rec_len, &sealed, &seq)) {
	case PROTO_OK:
		break;
	case PROTO_NEED_MORE:
		fault = "truncated record";
		goto bad;
	default:
		fault = "record length out of range";
		goto bad;
	}
	if (rec_len - PROTO_REC_HDR != sealed) {
		fault = rec_len - PROTO_REC_HDR < sealed ? "truncated record" :
		    "record longer than its header says";
		goto bad;
	}
	/* Cheap check first: no crypto for a record that cannot be next. */
	if (seq != d->seq) {
		fault = "record out of sequence (replayed, reordered or lost)";
		goto bad;
	}
	c = rec + PROTO_REC_HDR;
	clen = sealed - PROTO_REC_TAG;
	dchan_nonce(nonce, seq);
	switch (d->cipher) {
	case DCHAN_AES256GCM:
		rc = crypto_aead_aes256gcm_decrypt_detached_afternm(c, NULL,
		    c, clen, c + clen, rec, PROTO_REC_HDR, nonce, &d->aes);
		break;
	case DCHAN_CHACHA20POLY1305:
		rc = crypto_aead_chacha20poly1305_ietf_decrypt_detached(c,
		    NULL, c, clen, c + clen, rec, PROTO_REC_HDR, nonce,
		    d->key);
		break;
	default:
		fault = "data channel not set up";
		goto bad;
	}
	if (rc != 0) {
		fault = "record failed authentication";
		goto bad;
	}
	*plain = c;
	*plain_len = clen;
	dchan_advance(d);
	return 0;
bad:
	if (why != NULL)
		*why = fault;
	return -1;
}
