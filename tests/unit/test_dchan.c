/*
 * test_dchan.c: the data channel: HKDF known answers, sealing and opening
 * with both ciphers, rejection of tampered, replayed and reordered records,
 * and the key ratchet.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "dchan.h"
#include "proto.h"

#define PLAIN_LEN 64u
#define REC_LEN   (PROTO_REC_HDR + PLAIN_LEN + PROTO_REC_TAG)
#define RATCHET_INFO "softether data ratchet"

static const uint8_t key_ab[DCHAN_KEY_LEN] = "0123456789abcdef0123456789abcde";
static const uint8_t key_ba[DCHAN_KEY_LEN] = "fedcba9876543210fedcba987654321";

static const enum dchan_cipher ciphers[] = {
	DCHAN_AES256GCM, DCHAN_CHACHA20POLY1305,
};
#define NCIPHERS (sizeof ciphers / sizeof ciphers[0])

static int
have(enum dchan_cipher c)
{
	return c != DCHAN_AES256GCM ||
	    (dchan_local_caps() & PROTO_CAP_AESGCM) != 0;
}

static int
unhex(uint8_t *out, const char *hex)
{
	size_t n = strlen(hex) / 2;

	for (size_t i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return (int)n;
}

/* A pair of ends: a seals for b and b for a. */
static void
pair(enum dchan_cipher c, struct dchan *a, struct dchan *b)
{
	assert_int_equal(dchan_init(a, c, key_ab, key_ba), 0);
	assert_int_equal(dchan_init(b, c, key_ba, key_ab), 0);
}

static void
make_plain(uint8_t *p, size_t n, uint8_t salt)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + salt);
}

static size_t
seal(struct dchan *dc, uint8_t rec[REC_LEN], uint8_t salt)
{
	make_plain(rec + PROTO_REC_HDR, PLAIN_LEN, salt);
	return dchan_seal(dc, rec, PLAIN_LEN);
}

/* Open a copy, so the caller's record is intact whatever happens. */
static int
open_copy(struct dchan *dc, const uint8_t *rec, size_t len, uint8_t salt,
    const char **why)
{
	uint8_t copy[REC_LEN + 8], want[PLAIN_LEN];
	uint8_t *plain;
	size_t plain_len;
	int rc;

	assert_true(len <= sizeof copy);
	memcpy(copy, rec, len);
	*why = NULL;
	rc = dchan_open(dc, copy, len, &plain, &plain_len, why);
	if (rc == 0) {
		make_plain(want, sizeof want, salt);
		assert_ptr_equal(plain, copy + PROTO_REC_HDR);
		assert_int_equal(plain_len, PLAIN_LEN);
		assert_memory_equal(plain, want, PLAIN_LEN);
	} else {
		assert_non_null(*why);
		assert_null(plain);
	}
	return rc;
}

/* ---- HKDF ---------------------------------------------------------------- */

static void
test_hkdf_rfc5869_case1(void **state)
{
	uint8_t ikm[22], salt[13], info[10], prk[32], want_prk[32];
	uint8_t okm[42], want_okm[42];

	(void)state;
	memset(ikm, 0x0b, sizeof ikm);
	unhex(salt, "000102030405060708090a0b0c");
	unhex(info, "f0f1f2f3f4f5f6f7f8f9");
	unhex(want_prk, "077709362c2e32df0ddc3f0dc47bba63"
	    "90b6c73bb50f9c3122ec844ad7c2b3e5");
	unhex(want_okm, "3cb25f25faacd57a90434f64d0362f2a"
	    "2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
	dchan_hkdf_extract(prk, salt, sizeof salt, ikm, sizeof ikm);
	assert_memory_equal(prk, want_prk, sizeof prk);
	dchan_hkdf_expand(okm, sizeof okm, prk, info, sizeof info);
	assert_memory_equal(okm, want_okm, sizeof okm);
}

static void
test_hkdf_rfc5869_case2(void **state)
{
	uint8_t ikm[80], salt[80], info[80], prk[32], want_prk[32];
	uint8_t okm[82], want_okm[82];

	(void)state;
	for (size_t i = 0; i < 80; i++) {
		ikm[i] = (uint8_t)i;
		salt[i] = (uint8_t)(0x60 + i);
		info[i] = (uint8_t)(0xb0 + i);
	}
	unhex(want_prk, "06a6b88c5853361a06104c9ceb35b45c"
	    "ef760014904671014a193f40c15fc244");
	unhex(want_okm, "b11e398dc80327a1c8e7f78c596a4934"
	    "4f012eda2d4efad8a050cc4c19afa97c"
	    "59045a99cac7827271cb41c65e590e09"
	    "da3275600c2f09b8367793a9aca3db71"
	    "cc30c58179ec3e87c14c01d5c1f3434f"
	    "1d87");
	dchan_hkdf_extract(prk, salt, sizeof salt, ikm, sizeof ikm);
	assert_memory_equal(prk, want_prk, sizeof prk);
	dchan_hkdf_expand(okm, sizeof okm, prk, info, sizeof info);
	assert_memory_equal(okm, want_okm, sizeof okm);
}

static void
test_hkdf_rfc5869_case3(void **state)
{
	uint8_t ikm[22], prk[32], want_prk[32], okm[42], want_okm[42];

	(void)state;
	memset(ikm, 0x0b, sizeof ikm);
	unhex(want_prk, "19ef24a32c717b167f33a91d6f648bdf"
	    "96596776afdb6377ac434c1c293ccb04");
	unhex(want_okm, "8da4e775a563c18f715f802a063c5a31"
	    "b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
	dchan_hkdf_extract(prk, NULL, 0, ikm, sizeof ikm);
	assert_memory_equal(prk, want_prk, sizeof prk);
	dchan_hkdf_expand(okm, sizeof okm, prk, NULL, 0);
	assert_memory_equal(okm, want_okm, sizeof okm);
	/* Shorter output is a prefix of longer output. */
	memset(okm, 0, sizeof okm);
	dchan_hkdf_expand(okm, 5, prk, NULL, 0);
	assert_memory_equal(okm, want_okm, 5);
	assert_int_equal(okm[5], 0);
}

/* ---- Cipher choice ------------------------------------------------------- */

static void
test_caps_and_pick(void **state)
{
	uint32_t caps = dchan_local_caps();

	(void)state;
	assert_true(caps & PROTO_CAP_CHACHA);
	assert_int_equal(caps & ~PROTO_CAPS_KNOWN, 0);
	assert_int_equal(dchan_pick(PROTO_CAPS_KNOWN, PROTO_CAPS_KNOWN),
	    DCHAN_AES256GCM);
	assert_int_equal(dchan_pick(PROTO_CAPS_KNOWN, PROTO_CAP_CHACHA),
	    DCHAN_CHACHA20POLY1305);
	assert_int_equal(dchan_pick(PROTO_CAP_CHACHA, PROTO_CAPS_KNOWN),
	    DCHAN_CHACHA20POLY1305);
	assert_int_equal(dchan_pick(PROTO_CAP_AESGCM, PROTO_CAP_CHACHA), 0);
	assert_int_equal(dchan_pick(0, PROTO_CAPS_KNOWN), 0);
	assert_int_equal(dchan_pick(PROTO_CAP_AESGCM, PROTO_CAP_AESGCM),
	    DCHAN_AES256GCM);
	assert_string_equal(dchan_cipher_name(DCHAN_AES256GCM),
	    "aes-256-gcm");
	assert_string_equal(dchan_cipher_name(DCHAN_CHACHA20POLY1305),
	    "chacha20-poly1305");
	assert_non_null(dchan_cipher_name((enum dchan_cipher)0));
}

static void
test_init_refuses(void **state)
{
	struct dchan dc;
	uint8_t rec[REC_LEN];
	uint8_t *plain;
	size_t plain_len;
	const char *why;

	(void)state;
	assert_int_equal(dchan_init(&dc, (enum dchan_cipher)0, key_ab, key_ba),
	    -1);
	assert_int_equal(dchan_init(&dc, (enum dchan_cipher)3, key_ab, key_ba),
	    -1);
	if (!have(DCHAN_AES256GCM))
		assert_int_equal(dchan_init(&dc, DCHAN_AES256GCM, key_ab,
		    key_ba), -1);
	/* A failed or cleared channel neither seals nor opens. */
	assert_int_equal(dchan_seal(&dc, rec, PLAIN_LEN), 0);
	pair(DCHAN_CHACHA20POLY1305, &dc, &dc);
	assert_true(dchan_seal(&dc, rec, PLAIN_LEN) > 0);
	dchan_clear(&dc);
	for (size_t i = 0; i < sizeof dc.tx.key; i++)
		assert_int_equal(dc.tx.key[i] | dc.rx.key[i], 0);
	assert_int_equal(dchan_seal(&dc, rec, PLAIN_LEN), 0);
	memset(rec, 0, PROTO_REC_HDR);
	rec[3] = PLAIN_LEN + PROTO_REC_TAG;
	assert_int_equal(dchan_open(&dc, rec, REC_LEN, &plain, &plain_len,
	    &why), -1);
}

/* ---- Records --------------------------------------------------------------- */

static void
test_round_trip(void **state)
{
	static uint8_t big[PROTO_REC_HDR + PROTO_REC_MAX_PLAIN + PROTO_REC_TAG
	    + 1];
	struct dchan a, b;
	uint8_t rec[REC_LEN];
	uint8_t *plain;
	size_t plain_len, n;
	const char *why;

	(void)state;
	for (size_t i = 0; i < NCIPHERS; i++) {
		if (!have(ciphers[i]))
			continue;
		pair(ciphers[i], &a, &b);
		for (uint8_t r = 0; r < 5; r++) {
			assert_int_equal(seal(&a, rec, r), REC_LEN);
			/* The record header is on the wire in the clear. */
			assert_int_equal(rec[3], PLAIN_LEN + PROTO_REC_TAG);
			assert_int_equal(rec[11], r);
			assert_int_equal(open_copy(&b, rec, REC_LEN, r, &why),
			    0);
			assert_int_equal(seal(&b, rec, r + 100), REC_LEN);
			assert_int_equal(open_copy(&a, rec, REC_LEN, r + 100,
			    &why), 0);
		}
		assert_true(a.tx.seq == 5 && a.rx.seq == 5);
		assert_true(b.tx.seq == 5 && b.rx.seq == 5);

		/* Empty and largest records. */
		n = dchan_seal(&a, big, 0);
		assert_int_equal(n, PROTO_REC_HDR + PROTO_REC_TAG);
		assert_int_equal(dchan_open(&b, big, n, &plain, &plain_len,
		    &why), 0);
		assert_int_equal(plain_len, 0);
		memset(big + PROTO_REC_HDR, 0x5a, PROTO_REC_MAX_PLAIN);
		n = dchan_seal(&a, big, PROTO_REC_MAX_PLAIN);
		assert_int_equal(n, sizeof big - 1);
		assert_int_equal(dchan_open(&b, big, n, &plain, &plain_len,
		    &why), 0);
		assert_int_equal(plain_len, PROTO_REC_MAX_PLAIN);
		assert_int_equal(plain[0], 0x5a);
		assert_int_equal(plain[PROTO_REC_MAX_PLAIN - 1], 0x5a);
		/* Too large to be opened by the peer: refused. */
		assert_int_equal(dchan_seal(&a, big, PROTO_REC_MAX_PLAIN + 1),
		    0);
		assert_true(a.tx.seq == 7);
		dchan_clear(&a);
		dchan_clear(&b);
	}
}

/* Each direction has its own key: a record reflected back to its sender
 * does not open, and the other cipher cannot open it either. */
static void
test_directions(void **state)
{
	struct dchan a, b, c;
	uint8_t rec[REC_LEN];
	const char *why;

	(void)state;
	for (size_t i = 0; i < NCIPHERS; i++) {
		if (!have(ciphers[i]))
			continue;
		pair(ciphers[i], &a, &b);
		seal(&a, rec, 1);
		assert_int_equal(open_copy(&a, rec, REC_LEN, 1, &why), -1);
		assert_string_equal(why, "record failed authentication");
		/* Same keys, not swapped: b would be a second a. */
		assert_int_equal(dchan_init(&c, ciphers[i], key_ab, key_ba),
		    0);
		assert_int_equal(open_copy(&c, rec, REC_LEN, 1, &why), -1);
		assert_int_equal(open_copy(&b, rec, REC_LEN, 1, &why), 0);
	}
	if (have(DCHAN_AES256GCM)) {
		assert_int_equal(dchan_init(&a, DCHAN_AES256GCM, key_ab,
		    key_ba), 0);
		assert_int_equal(dchan_init(&b, DCHAN_CHACHA20POLY1305, key_ba,
		    key_ab), 0);
		seal(&a, rec, 1);
		assert_int_equal(open_copy(&b, rec, REC_LEN, 1, &why), -1);
	}
}

static void
test_bit_flips(void **state)
{
	struct dchan a, b, before;
	uint8_t rec[REC_LEN], bad[REC_LEN];
	const char *why;

	(void)state;
	for (size_t i = 0; i < NCIPHERS; i++) {
		if (!have(ciphers[i]))
			continue;
		pair(ciphers[i], &a, &b);
		seal(&a, rec, 3);
		before = b;
		for (size_t bit = 0; bit < REC_LEN * 8; bit++) {
			memcpy(bad, rec, sizeof bad);
			bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			/* A flipped length bit can make the record look
			 * longer than the bytes at hand; open what there is. */
			assert_int_equal(open_copy(&b, bad, REC_LEN, 3, &why),
			    -1);
			assert_memory_equal(&b.rx, &before.rx, sizeof b.rx);
		}
		/* State unchanged: the genuine record still opens. */
		assert_int_equal(open_copy(&b, rec, REC_LEN, 3, &why), 0);
	}
}

/* A failed open must not leave the plaintext in the buffer. */
static void
test_no_plaintext_on_failure(void **state)
{
	struct dchan a, b;
	uint8_t rec[REC_LEN], want[PLAIN_LEN];
	uint8_t *plain = rec;
	size_t plain_len = 1;
	const char *why = NULL;

	(void)state;
	make_plain(want, sizeof want, 4);
	for (size_t i = 0; i < NCIPHERS; i++) {
		if (!have(ciphers[i]))
			continue;
		pair(ciphers[i], &a, &b);
		seal(&a, rec, 4);
		rec[REC_LEN - 1] ^= 1;
		assert_int_equal(dchan_open(&b, rec, REC_LEN, &plain,
		    &plain_len, &why), -1);
		assert_string_equal(why, "record failed authentication");
		assert_null(plain);
		assert_int_equal(plain_len, 0);
		assert_memory_not_equal(rec + PROTO_REC_HDR, want, PLAIN_LEN);
		assert_true(b.rx.seq == 0);
	}
}

static void
test_replay_reorder(void **state)
{
	struct dchan a, b;
	uint8_t r0[REC_LEN], r1[REC_LEN], r2[REC_LEN];
	const char *why;

	(void)state;
	for (size_t i = 0; i < NCIPHERS; i++) {
		if (!have(ciphers[i]))
			continue;
		pair(ciphers[i], &a, &b);
		seal(&a, r0, 10);
		seal(&a, r1, 11);
		seal(&a, r2, 12);
		/* Reordered: 1 before 0. */
		assert_int_equal(open_copy(&b, r1, REC_LEN, 11, &why), -1);
		assert_string_equal(why,
		    "record out of sequence (replayed, reordered or lost)");
		assert_int_equal(open_copy(&b, r0, REC_LEN, 10, &why), 0);
		/* Replayed: 0 again. */
		assert_int_equal(open_copy(&b, r0, REC_LEN, 10, &why), -1);
		assert_string_equal(why,
		    "record out of sequence (replayed, reordered or lost)");
		/* Lost: 2 without 1. */
		assert_int_equal(open_copy(&b, r2, REC_LEN, 12, &why), -1);
		assert_int_equal(open_copy(&b, r1, REC_LEN, 11, &why), 0);
		assert_int_equal(open_copy(&b, r1, REC_LEN, 11, &why), -1);
		assert_int_equal(open_copy(&b, r2, REC_LEN, 12, &why), 0);
		assert_true(b.rx.seq == 3);
	}
}

static void
test_truncated(void **state)
{
	struct dchan a, b;
	uint8_t rec[REC_LEN + 8];
	const char *why;

	(void)state;
	for (size_t i = 0; i < NCIPHERS; i++) {
		if (!have(ciphers[i]))
			continue;
		pair(ciphers[i], &a, &b);
		seal(&a, rec, 5);
		for (size_t len = 0; len < REC_LEN; len++)
			assert_int_equal(open_copy(&b, rec, len, 5, &why), -1);
		assert_int_equal(open_copy(&b, rec, 5, 5, &why), -1);
		assert_string_equal(why, "truncated record");
		/* Extra bytes after the record are not part of it. */
		memset(rec + REC_LEN, 0, 8);
		assert_int_equal(open_copy(&b, rec, REC_LEN + 8, 5, &why), -1);
		/* A header claiming an impossible length. */
		{
			uint8_t bogus[REC_LEN];

			memcpy(bogus, rec, sizeof bogus);
			proto_rec_hdr_put(bogus, PROTO_REC_TAG - 1, 0);
			assert_int_equal(open_copy(&b, bogus, REC_LEN, 5,
			    &why), -1);
			assert_string_equal(why, "record length out of range");
		}
		assert_true(b.rx.seq == 0);
		assert_int_equal(open_copy(&b, rec, REC_LEN, 5, &why), 0);
	}
}

/* The ratchet, computed here from HMAC-SHA256 alone: HKDF-Expand for one
 * block is HMAC(prk, info || 0x01). */
static void
expected_ratchet(uint8_t out[DCHAN_KEY_LEN], const uint8_t prk[DCHAN_KEY_LEN])
{
	crypto_auth_hmacsha256_state st;
	const uint8_t one = 1;

	crypto_auth_hmacsha256_init(&st, prk, DCHAN_KEY_LEN);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)RATCHET_INFO,
	    strlen(RATCHET_INFO));
	crypto_auth_hmacsha256_update(&st, &one, 1);
	crypto_auth_hmacsha256_final(&st, out);
}

static void
test_ratchet(void **state)
{
	struct dchan a, b;
	uint8_t rec[REC_LEN], k1[DCHAN_KEY_LEN], k2[DCHAN_KEY_LEN];
	const char *why;

	(void)state;
	expected_ratchet(k1, key_ab);
	expected_ratchet(k2, k1);
	assert_memory_not_equal(k1, key_ab, DCHAN_KEY_LEN);
	for (size_t i = 0; i < NCIPHERS; i++) {
		if (!have(ciphers[i]))
			continue;
		pair(ciphers[i], &a, &b);
		a.tx.seq = b.rx.seq = PROTO_REKEY_RECORDS - 2;
		for (uint8_t r = 0; r < 4; r++) {
			assert_int_equal(seal(&a, rec, r), REC_LEN);
			assert_int_equal(open_copy(&b, rec, REC_LEN, r, &why),
			    0);
			/* Both ends change key after the same record. */
			if (r < 1) {
				assert_memory_equal(a.tx.key, key_ab,
				    DCHAN_KEY_LEN);
			} else {
				assert_memory_equal(a.tx.key, k1,
				    DCHAN_KEY_LEN);
			}
			assert_memory_equal(b.rx.key, a.tx.key, DCHAN_KEY_LEN);
		}
		assert_true(a.tx.seq == PROTO_REKEY_RECORDS + 2);
		/* The other direction has not moved. */
		assert_memory_equal(a.rx.key, key_ba, DCHAN_KEY_LEN);
		assert_memory_equal(b.tx.key, key_ba, DCHAN_KEY_LEN);

		/* A record sealed with the old key after the boundary is
		 * refused: the epoch really changed. */
		{
			struct dchan old;

			pair(ciphers[i], &old, &b);
			old.tx.seq = PROTO_REKEY_RECORDS;
			b.rx.seq = PROTO_REKEY_RECORDS;
			expected_ratchet(b.rx.key, key_ab);
			seal(&old, rec, 9);
			assert_int_equal(open_copy(&b, rec, REC_LEN, 9, &why),
			    -1);
		}

		/* The next boundary ratchets again, from k1. */
		pair(ciphers[i], &a, &b);
		memcpy(a.tx.key, k1, DCHAN_KEY_LEN);
		memcpy(b.rx.key, k1, DCHAN_KEY_LEN);
		a.tx.seq = b.rx.seq = 2 * PROTO_REKEY_RECORDS - 1;
		seal(&a, rec, 7);
		assert_int_equal(open_copy(&b, rec, REC_LEN, 7, &why), 0);
		assert_memory_equal(a.tx.key, k2, DCHAN_KEY_LEN);
		assert_memory_equal(b.rx.key, k2, DCHAN_KEY_LEN);
		seal(&a, rec, 8);
		assert_int_equal(open_copy(&b, rec, REC_LEN, 8, &why), 0);
	}
}

/* The nonce and additional data as documented in proto.h: a record opens
 * with libsodium directly. */
static void
test_wire_format(void **state)
{
	struct dchan a, b;
	uint8_t rec[REC_LEN], nonce[12] = { 0 }, want[PLAIN_LEN];
	uint8_t *c = rec + PROTO_REC_HDR;
	int rc;

	(void)state;
	make_plain(want, sizeof want, 6);
	for (size_t i = 0; i < NCIPHERS; i++) {
		if (!have(ciphers[i]))
			continue;
		pair(ciphers[i], &a, &b);
		a.tx.seq = 0x0102030405060708ull;
		seal(&a, rec, 6);
		memcpy(nonce + 4, rec + 4, 8);
		assert_int_equal(nonce[4], 1);
		assert_int_equal(nonce[11], 8);
		if (ciphers[i] == DCHAN_AES256GCM)
			rc = crypto_aead_aes256gcm_decrypt_detached(c, NULL, c,
			    PLAIN_LEN, c + PLAIN_LEN, rec, PROTO_REC_HDR,
			    nonce, key_ab);
		else
			rc = crypto_aead_chacha20poly1305_ietf_decrypt_detached(
			    c, NULL, c, PLAIN_LEN, c + PLAIN_LEN, rec,
			    PROTO_REC_HDR, nonce, key_ab);
		assert_int_equal(rc, 0);
		assert_memory_equal(c, want, PLAIN_LEN);
	}
}

/* libsodium's side of a record, as proto.h documents it: the nonce is four
 * zero bytes then the header's seq, the additional data the header. */
static int
sodium_aead(enum dchan_cipher c, int seal_it, uint8_t *rec, size_t len,
    const uint8_t key[DCHAN_KEY_LEN])
{
	uint8_t nonce[12] = { 0 };
	uint8_t *p = rec + PROTO_REC_HDR;

	memcpy(nonce + 4, rec + 4, 8);
	if (c == DCHAN_AES256GCM && seal_it)
		return crypto_aead_aes256gcm_encrypt_detached(p, p + len, NULL,
		    p, len, rec, PROTO_REC_HDR, NULL, nonce, key);
	if (c == DCHAN_AES256GCM)
		return crypto_aead_aes256gcm_decrypt_detached(p, NULL, p, len,
		    p + len, rec, PROTO_REC_HDR, nonce, key);
	if (seal_it)
		return crypto_aead_chacha20poly1305_ietf_encrypt_detached(p,
		    p + len, NULL, p, len, rec, PROTO_REC_HDR, NULL, nonce,
		    key);
	return crypto_aead_chacha20poly1305_ietf_decrypt_detached(p, NULL, p,
	    len, p + len, rec, PROTO_REC_HDR, nonce, key);
}

/*
 * Records sealed by the data channel open with libsodium and the other way
 * round, for both ciphers, at every size from empty to the largest, across a
 * ratchet boundary; a record altered in transit is refused either way.
 */
static void
test_libsodium_interop(void **state)
{
	static const size_t lens[] = {
		0, 1, 15, 16, 17, 1500, 16384, 61440, PROTO_REC_MAX_PLAIN,
	};
	static uint8_t rec[PROTO_REC_HDR + PROTO_REC_MAX_PLAIN + PROTO_REC_TAG];
	static uint8_t bad[sizeof rec], want[PROTO_REC_MAX_PLAIN];
	struct dchan a, b;
	uint8_t k1[DCHAN_KEY_LEN];
	const uint8_t *key;
	uint8_t *plain;
	size_t plain_len, len, n;
	const char *why;
	uint64_t seq;

	(void)state;
	expected_ratchet(k1, key_ab);
	for (size_t i = 0; i < NCIPHERS; i++) {
		if (!have(ciphers[i]))
			continue;
		pair(ciphers[i], &a, &b);
		a.tx.seq = b.rx.seq = PROTO_REKEY_RECORDS - 4;
		for (size_t j = 0; j < sizeof lens / sizeof lens[0]; j++) {
			len = lens[j];
			seq = a.tx.seq;
			key = seq < PROTO_REKEY_RECORDS ? key_ab : k1;

			/* The data channel seals, libsodium opens. */
			make_plain(want, len, (uint8_t)j);
			memcpy(rec + PROTO_REC_HDR, want, len);
			n = dchan_seal(&a, rec, len);
			assert_int_equal(n,
			    PROTO_REC_HDR + len + PROTO_REC_TAG);
			memcpy(bad, rec, n);
			bad[n - 1] ^= 0x80;
			assert_int_not_equal(sodium_aead(ciphers[i], 0, bad,
			    len, key), 0);
			assert_int_equal(sodium_aead(ciphers[i], 0, rec, len,
			    key), 0);
			assert_memory_equal(rec + PROTO_REC_HDR, want, len);

			/* libsodium seals, the data channel opens. */
			make_plain(want, len, (uint8_t)(j + 100));
			memcpy(rec + PROTO_REC_HDR, want, len);
			proto_rec_hdr_put(rec, (uint32_t)(len + PROTO_REC_TAG),
			    seq);
			assert_int_equal(sodium_aead(ciphers[i], 1, rec, len,
			    key), 0);
			rec[PROTO_REC_HDR + len] ^= 1;
			assert_int_equal(dchan_open(&b, rec, n, &plain,
			    &plain_len, &why), -1);
			assert_string_equal(why,
			    "record failed authentication");
			assert_true(b.rx.seq == seq);
			memcpy(rec + PROTO_REC_HDR, want, len);
			assert_int_equal(sodium_aead(ciphers[i], 1, rec, len,
			    key), 0);
			assert_int_equal(dchan_open(&b, rec, n, &plain,
			    &plain_len, &why), 0);
			assert_ptr_equal(plain, rec + PROTO_REC_HDR);
			assert_int_equal(plain_len, len);
			assert_memory_equal(plain, want, len);
			assert_true(a.tx.seq == seq + 1 && b.rx.seq == seq + 1);
		}
		/* Both ends went through the ratchet with libsodium's keys. */
		assert_memory_equal(a.tx.key, k1, DCHAN_KEY_LEN);
		assert_memory_equal(b.rx.key, k1, DCHAN_KEY_LEN);
		dchan_clear(&a);
		dchan_clear(&b);
	}
}

/*
 * Channels are plain values sharing the thread's cipher state: channels of
 * both ciphers and of different keys taking turns, one cleared, one set up
 * again without a clear and one ratcheting, all keep working, and none
 * opens a record sealed under another's key.
 */
static void
test_channels_interleaved(void **state)
{
	/* [cipher][0]: keys ab/ba, [cipher][1]: the same keys swapped. */
	struct dchan a[NCIPHERS][2], b[NCIPHERS][2], gone;
	uint8_t rec[REC_LEN];
	const char *why;
	uint8_t r;

	(void)state;
	for (size_t i = 0; i < NCIPHERS; i++) {
		if (!have(ciphers[i]))
			continue;
		pair(ciphers[i], &a[i][0], &b[i][0]);
		pair(ciphers[i], &b[i][1], &a[i][1]);
	}
	for (r = 0; r < 12; r++) {
		for (size_t i = 0; i < NCIPHERS; i++) {
			if (!have(ciphers[i]))
				continue;
			if (r == 4)
				a[i][0].tx.seq = b[i][0].rx.seq =
				    PROTO_REKEY_RECORDS - 1;
			for (size_t k = 0; k < 2; k++) {
				struct dchan *x = &a[i][k], *y = &b[i][k];
				struct dchan w = b[i][!k];

				assert_int_equal(seal(x, rec, r), REC_LEN);
				/* The other pair's receiver (a copy, at the
				 * right seq) has the wrong key. */
				w.rx.seq = x->tx.seq - 1;
				assert_int_equal(open_copy(&w, rec, REC_LEN, r,
				    &why), -1);
				assert_string_equal(why,
				    "record failed authentication");
				assert_int_equal(open_copy(y, rec, REC_LEN, r,
				    &why), 0);
				assert_int_equal(seal(y, rec, r + 50),
				    REC_LEN);
				assert_int_equal(open_copy(x, rec, REC_LEN,
				    r + 50, &why), 0);
			}
		}
		if (r == 2) {
			pair(DCHAN_CHACHA20POLY1305, &gone, &gone);
			assert_true(dchan_seal(&gone, rec, PLAIN_LEN) > 0);
			dchan_clear(&gone);
		}
		if (r == 7) {
			/* Set up again on top of the old state, mid-stream. */
			pair(DCHAN_CHACHA20POLY1305, &a[1][0], &b[1][0]);
		}
	}
	if (have(ciphers[0]))
		assert_true(a[0][0].tx.seq == PROTO_REKEY_RECORDS + 7);
	assert_true(a[1][0].tx.seq == 4 && a[1][1].tx.seq == 12);
	for (size_t i = 0; i < NCIPHERS; i++)
		for (size_t k = 0; k < 2; k++) {
			dchan_clear(&a[i][k]);
			dchan_clear(&b[i][k]);
		}
}

/*
 * More channels than a thread keeps keys ready for (a hub with many
 * sessions), used in turn, in a stride, and a few over and over: each opens
 * only what its own peer sealed, every time.
 */
static void
test_many_channels(void **state)
{
	enum { N = 21 };
	static const size_t strides[] = { 1, 4, 5, 20 };
	struct dchan a[N], b[N];
	uint8_t rec[REC_LEN], ka[DCHAN_KEY_LEN], kb[DCHAN_KEY_LEN];
	const char *why;
	size_t i, j, r, at = 0;

	(void)state;
	for (size_t c = 0; c < NCIPHERS; c++) {
		if (!have(ciphers[c]))
			continue;
		for (i = 0; i < N; i++) {
			memset(ka, (int)(i + 1), sizeof ka);
			memset(kb, (int)(i + 101), sizeof kb);
			ka[0] = (uint8_t)c;
			assert_int_equal(dchan_init(&a[i], ciphers[c], ka, kb),
			    0);
			assert_int_equal(dchan_init(&b[i], ciphers[c], kb, ka),
			    0);
		}
		for (r = 0; r < 4 * N; r++) {
			/* N turns in each stride, then 3 channels alone. */
			i = r < 3 * N ? (at += strides[r / N]) % N :
			    (r % 3) * 7;
			j = (i + 1) % N;
			assert_int_equal(seal(&a[i], rec, (uint8_t)r), REC_LEN);
			b[j].rx.seq = a[i].tx.seq - 1;
			assert_int_equal(open_copy(&b[j], rec, REC_LEN,
			    (uint8_t)r, &why), -1);
			b[j].rx.seq = a[j].tx.seq;
			assert_int_equal(open_copy(&b[i], rec, REC_LEN,
			    (uint8_t)r, &why), 0);
			assert_int_equal(seal(&b[i], rec, (uint8_t)(r + 9)),
			    REC_LEN);
			assert_int_equal(open_copy(&a[i], rec, REC_LEN,
			    (uint8_t)(r + 9), &why), 0);
		}
		for (i = 0; i < N; i++) {
			dchan_clear(&a[i]);
			dchan_clear(&b[i]);
		}
	}
}

/* AES-256-GCM records through intel-ipsec-mb (fast) or OpenSSL from now,
 * as the name the logs give says. */
static void
aes_through(int fast)
{
	assert_int_equal(dchan_aes_impl_set(fast ? DCHAN_AES_IPSEC_MB :
	    DCHAN_AES_OPENSSL), 0);
	assert_int_equal(strncmp(dchan_impl_name(DCHAN_AES256GCM),
	    "intel-ipsec-mb ", 15) == 0, fast);
}

/*
 * Both AES-256-GCM implementations on one stream, taking turns record by
 * record and across the ratchet: each opens what the other sealed, and
 * refuses it tampered.
 */
static void
test_aes_impls_agree(void **state)
{
	static const size_t lens[] = { 0, 1, 17, 1500, 61440 };
	static uint8_t rec[PROTO_REC_HDR + 61440 + PROTO_REC_TAG];
	static uint8_t want[61440];
	struct dchan a, b;
	uint8_t *plain;
	size_t plain_len, n, len;
	const char *why;

	(void)state;
	if (!have(DCHAN_AES256GCM) ||
	    dchan_aes_impl_set(DCHAN_AES_IPSEC_MB) == -1) {
		print_message("intel-ipsec-mb not here: nothing to agree\n");
		assert_int_equal(dchan_aes_impl_set(DCHAN_AES_OPENSSL), 0);
		return;
	}
	pair(DCHAN_AES256GCM, &a, &b);
	a.tx.seq = b.rx.seq = PROTO_REKEY_RECORDS - 5;
	for (size_t r = 0; r < 20; r++) {
		int seal_fast = (r & 1) != 0, open_fast = (r & 2) != 0;

		len = lens[r % (sizeof lens / sizeof lens[0])];
		make_plain(want, len, (uint8_t)r);
		memcpy(rec + PROTO_REC_HDR, want, len);
		aes_through(seal_fast);
		n = dchan_seal(&a, rec, len);
		assert_int_equal(n, PROTO_REC_HDR + len + PROTO_REC_TAG);
		aes_through(open_fast);
		rec[n - 1 - (r % PROTO_REC_TAG)] ^= 0x10;
		assert_int_equal(dchan_open(&b, rec, n, &plain, &plain_len,
		    &why), -1);
		assert_string_equal(why, "record failed authentication");
		rec[n - 1 - (r % PROTO_REC_TAG)] ^= 0x10;
		memcpy(rec + PROTO_REC_HDR, want, len);
		aes_through(seal_fast);
		/* Sealed again under the same seq: the first is gone. */
		a.tx.seq--;
		if (a.tx.seq % PROTO_REKEY_RECORDS == PROTO_REKEY_RECORDS - 1)
			memcpy(a.tx.key, b.rx.key, DCHAN_KEY_LEN);
		assert_int_equal(dchan_seal(&a, rec, len), n);
		aes_through(open_fast);
		assert_int_equal(dchan_open(&b, rec, n, &plain, &plain_len,
		    &why), 0);
		assert_int_equal(plain_len, len);
		assert_memory_equal(plain, want, len);
	}
	assert_true(b.rx.seq == PROTO_REKEY_RECORDS + 15);
	dchan_clear(&a);
	dchan_clear(&b);
	assert_int_equal(dchan_aes_impl_set(DCHAN_AES_AUTO), 0);
}

static int
aes_openssl(void **state)
{
	(void)state;
	/* A switch that did not take would run the group through the
	 * default again and pass: fail it instead. */
	if (dchan_aes_impl_set(DCHAN_AES_OPENSSL) != 0)
		return -1;
	return strcmp(dchan_impl_name(DCHAN_AES256GCM), "openssl") == 0 ?
	    0 : -1;
}

static int
aes_auto(void **state)
{
	(void)state;
	return dchan_aes_impl_set(DCHAN_AES_AUTO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hkdf_rfc5869_case1),
		cmocka_unit_test(test_hkdf_rfc5869_case2),
		cmocka_unit_test(test_hkdf_rfc5869_case3),
		cmocka_unit_test(test_caps_and_pick),
		cmocka_unit_test(test_init_refuses),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_directions),
		cmocka_unit_test(test_bit_flips),
		cmocka_unit_test(test_no_plaintext_on_failure),
		cmocka_unit_test(test_replay_reorder),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_ratchet),
		cmocka_unit_test(test_wire_format),
		cmocka_unit_test(test_libsodium_interop),
		cmocka_unit_test(test_channels_interleaved),
		cmocka_unit_test(test_many_channels),
	};
	const struct CMUnitTest both[] = {
		cmocka_unit_test(test_aes_impls_agree),
	};
	int failed;

	if (!(dchan_local_caps() & PROTO_CAP_AESGCM))
		print_message("AES-256-GCM unavailable here: AES cases skipped\n");
	/* Every case with AES-256-GCM as records go by default, then again
	 * through OpenSSL when that is not it. */
	print_message("AES-256-GCM through %s\n",
	    dchan_impl_name(DCHAN_AES256GCM));
	failed = cmocka_run_group_tests_name("dchan", tests, aes_auto, NULL);
	if (strcmp(dchan_impl_name(DCHAN_AES256GCM), "openssl") != 0)
		failed += cmocka_run_group_tests_name("dchan, AES through "
		    "OpenSSL", tests, aes_openssl, aes_auto);
	failed += cmocka_run_group_tests_name("dchan, both AES", both, NULL,
	    NULL);
	return failed;
}
