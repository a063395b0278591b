/*
 * dchan.h: the data channel. AEAD-sealed records (OpenSSL's EVP) keyed from
 * the TLS session, one key and one 64-bit record counter per direction, with
 * a deterministic key ratchet every PROTO_REKEY_RECORDS records.
 */
#ifndef SOFTETHER_DCHAN_H
#define SOFTETHER_DCHAN_H

#include <stddef.h>
#include <stdint.h>
#include <sodium.h>

#include "proto.h"

enum dchan_cipher {
	DCHAN_NONE = 0,
	DCHAN_AES256GCM = 1,
	DCHAN_CHACHA20POLY1305 = 2,
};

#define DCHAN_KEY_LEN 32u

/* A plain value: nothing to free, so it may be set up again or dropped
 * (dchan_clear still wipes it). Every record is keyed from key. */
struct dchan_dir {
	enum dchan_cipher cipher;
	uint64_t seq;                      /* next record's sequence number */
	uint8_t key[DCHAN_KEY_LEN];        /* current epoch's key */
};

struct dchan {
	struct dchan_dir tx, rx;
};

/* The PROTO_CAP_* set this machine offers: ChaCha20-Poly1305 always,
 * AES-256-GCM when the CPU has hardware AES. */
uint32_t dchan_local_caps(void);
/* The cipher both sides can use, from the two capability sets; 0 if none. */
enum dchan_cipher dchan_pick(uint32_t local_caps, uint32_t peer_caps);
const char *dchan_cipher_name(enum dchan_cipher c);

/* Keys: HKDF-SHA256 (RFC 5869) built on libsodium's HMAC-SHA256. */
void dchan_hkdf_extract(uint8_t prk[32], const uint8_t *salt, size_t salt_len,
    const uint8_t *ikm, size_t ikm_len);
/* out_len <= 255 * 32 */
void dchan_hkdf_expand(uint8_t *out, size_t out_len, const uint8_t prk[32],
    const uint8_t *info, size_t info_len);

/* Set up both directions; the seq counters start at 0. Returns 0, or -1 if
 * the cipher is unknown or unavailable. */
int dchan_init(struct dchan *dc, enum dchan_cipher c,
    const uint8_t tx_key[DCHAN_KEY_LEN], const uint8_t rx_key[DCHAN_KEY_LEN]);
/* Wipe keys, and this thread's cipher contexts (re-made when needed). */
void dchan_clear(struct dchan *dc);

/*
 * Which code seals and opens AES-256-GCM records: by default intel-ipsec-mb
 * when built in and the CPU has AES-NI, else OpenSSL. Both give the same
 * bytes. For tests and benchmarks, before any record: -1 if impl is not
 * available here.
 */
enum dchan_aes_impl {
	DCHAN_AES_AUTO = 0,
	DCHAN_AES_OPENSSL,
	DCHAN_AES_IPSEC_MB,
};
int dchan_aes_impl_set(enum dchan_aes_impl impl);
/* What records of cipher c go through now, for logs: "openssl", or for
 * AES-256-GCM "intel-ipsec-mb VERSION, ARCH". */
const char *dchan_impl_name(enum dchan_cipher c);

/*
 * Seal in place. rec points at a buffer holding PROTO_REC_HDR free bytes,
 * then plain_len plaintext bytes, then PROTO_REC_TAG free bytes. Writes the
 * header, encrypts, appends the tag and advances tx.seq (ratcheting the key
 * when the new seq is a multiple of PROTO_REKEY_RECORDS). Returns the record
 * length (PROTO_REC_HDR + plain_len + PROTO_REC_TAG), or 0 (nothing sealed)
 * if plain_len > PROTO_REC_MAX_PLAIN, the channel is not set up or OpenSSL
 * has no memory for a cipher context.
 */
size_t dchan_seal(struct dchan *dc, uint8_t *rec, size_t plain_len);

/* The same, sealing plain_len bytes from plain (which must not overlap
 * the record unless it is exactly rec + PROTO_REC_HDR) into rec. */
size_t dchan_seal_from(struct dchan *dc, uint8_t *rec, const uint8_t *plain,
    size_t plain_len);

/*
 * Open in place one whole record of rec_len bytes (header included). The
 * record's seq must equal rx.seq (a replayed, reordered or skipped record
 * fails) and its tag must verify. On success returns 0, sets *plain to
 * rec + PROTO_REC_HDR and *plain_len, and advances rx.seq. On failure
 * returns -1 and sets *why, *plain = NULL, *plain_len = 0; rx state is
 * unchanged and the bytes after the header are unspecified.
 */
int dchan_open(struct dchan *dc, uint8_t *rec, size_t rec_len,
    uint8_t **plain, size_t *plain_len, const char **why);

#endif
