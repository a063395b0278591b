/*
 * dchan.c: the data channel's keys and records: HKDF-SHA256, cipher choice,
 * sealing and opening records in place, and the per-direction key ratchet.
 * AES-256-GCM goes through intel-ipsec-mb where it was built in and the CPU
 * has AES-NI (VAES/AVX-512 where there is: 2.6x OpenSSL 3.0 here), else
 * through OpenSSL's EVP, which also does ChaCha20-Poly1305 (about twice
 * libsodium's speed). Both give the same bytes: the wire does not change.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <sodium.h>

#ifdef SOFTETHER_IPSEC_MB
#include <intel-ipsec-mb.h>
#endif

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
_Static_assert(PROTO_REC_MAX_PLAIN <= INT_MAX, "EVP lengths are int");

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

/* ---- AEAD (OpenSSL EVP) -------------------------------------------------- */

static void
dchan_nonce(uint8_t nonce[DCHAN_NONCE_LEN], uint64_t seq)
{
	size_t i;

	memset(nonce, 0, DCHAN_NONCE_ZEROS);
	for (i = 0; i < sizeof seq; i++)
		nonce[DCHAN_NONCE_LEN - 1 - i] = (uint8_t)(seq >> (8 * i));
}

/*
 * Each thread has one EVP context per cipher and direction, out of struct
 * dchan so that it stays a plain value (set up again, or dropped, with
 * nothing to free). A context is keyed again only when a record comes under
 * another key than its last one: a busy channel keys once per epoch, and
 * channels taking turns pay ~0.2 us a record. dchan_clear and the ratchet
 * overwrite the key schedules in them with an all-zero key's. The contexts
 * themselves live as long as their thread: freeing and making them again
 * with every session that ends scatters small blocks among the sessions'
 * queues, and the heap grows around them (18 MiB more with 200 sessions
 * cut under broadcast).
 */
struct dchan_evp {
	EVP_CIPHER_CTX *ctx;
	int keyed;                         /* ctx holds key */
	uint8_t key[DCHAN_KEY_LEN];
};

#define DCHAN_EVP_CIPHERS 2u
/* [AES-GCM, ChaCha20-Poly1305][open, seal] */
static _Thread_local struct dchan_evp dchan_evp_slots[DCHAN_EVP_CIPHERS][2];

static struct dchan_evp *
dchan_evp(enum dchan_cipher c, int seal)
{
	struct dchan_evp *e;
	const EVP_CIPHER *ci;

	switch (c) {
	case DCHAN_AES256GCM:
		e = &dchan_evp_slots[0][seal != 0];
		break;
	case DCHAN_CHACHA20POLY1305:
		e = &dchan_evp_slots[1][seal != 0];
		break;
	default:
		return NULL;
	}
	if (e->ctx != NULL)
		return e;
	ci = c == DCHAN_AES256GCM ? EVP_aes_256_gcm() : EVP_chacha20_poly1305();
	if ((e->ctx = EVP_CIPHER_CTX_new()) == NULL)
		return NULL;
	/* The record layout in proto.h is only sound if OpenSSL agrees. */
	if (EVP_CipherInit_ex(e->ctx, ci, NULL, NULL, NULL, seal) != 1 ||
	    EVP_CIPHER_CTX_get_key_length(e->ctx) != (int)DCHAN_KEY_LEN ||
	    EVP_CIPHER_CTX_get_iv_length(e->ctx) != (int)DCHAN_NONCE_LEN) {
		EVP_CIPHER_CTX_free(e->ctx);
		e->ctx = NULL;
		ERR_clear_error();
		return NULL;
	}
	e->keyed = 0;
	return e;
}

#ifdef SOFTETHER_IPSEC_MB
static void dchan_imb_wipe(void);
#endif

static void
dchan_evp_wipe(void)
{
	static const uint8_t zero[DCHAN_KEY_LEN];
	size_t i, j;

	for (i = 0; i < DCHAN_EVP_CIPHERS; i++)
		for (j = 0; j < 2; j++) {
			struct dchan_evp *e = &dchan_evp_slots[i][j];
			/* Keyed with zeros: no trace of the last key. If that
			 * fails, the context goes instead. */
			if (e->ctx != NULL &&
			    EVP_CipherInit_ex(e->ctx, NULL, NULL, zero, NULL,
			    (int)j) != 1) {
				EVP_CIPHER_CTX_free(e->ctx);
				e->ctx = NULL;
				ERR_clear_error();
			}
			e->keyed = 0;
			sodium_memzero(e->key, sizeof e->key);
		}
#ifdef SOFTETHER_IPSEC_MB
	dchan_imb_wipe();
#endif
}

/*
 * One record: len bytes from in to out (the same buffer, or apart), the
 * record header as additional data; the tag written when sealing, checked
 * when opening. Returns 0, or -1 on any failure, a bad tag included.
 */
static int
dchan_aead(struct dchan_evp *e, const struct dchan_dir *d, int seal,
    const uint8_t hdr[PROTO_REC_HDR], uint8_t *out, const uint8_t *in,
    size_t len, uint8_t tag[PROTO_REC_TAG])
{
	EVP_CIPHER_CTX *x = e->ctx;
	uint8_t nonce[DCHAN_NONCE_LEN];
	int n = 0, fin = 0, ok = 1;

	if (!e->keyed || CRYPTO_memcmp(e->key, d->key, DCHAN_KEY_LEN) != 0) {
		e->keyed = 0;
		ok = EVP_CipherInit_ex(x, NULL, NULL, d->key, NULL, seal) == 1;
		if (ok) {
			memcpy(e->key, d->key, DCHAN_KEY_LEN);
			e->keyed = 1;
		}
	}
	dchan_nonce(nonce, d->seq);
	ok = ok && EVP_CipherInit_ex(x, NULL, NULL, NULL, nonce, seal) == 1 &&
	    EVP_CipherUpdate(x, NULL, &n, hdr, PROTO_REC_HDR) == 1;
	n = 0;
	if (ok && len > 0)
		ok = EVP_CipherUpdate(x, out, &n, in, (int)len) == 1 &&
		    (size_t)n == len;
	if (ok && !seal)
		ok = EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG,
		    PROTO_REC_TAG, tag) == 1;
	ok = ok && EVP_CipherFinal_ex(x, out + n, &fin) == 1 && fin == 0;
	if (ok && seal)
		ok = EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG,
		    PROTO_REC_TAG, tag) == 1;
	if (!ok)
		ERR_clear_error();
	return ok ? 0 : -1;
}

/* ---- AES-256-GCM (intel-ipsec-mb) ---------------------------------------- */

static enum dchan_aes_impl dchan_aes_want = DCHAN_AES_AUTO;

#ifdef SOFTETHER_IPSEC_MB
/*
 * One manager for the process, made once: the direct GCM calls only read
 * its table of functions, picked for this CPU, so every thread shares it.
 * Each thread keeps the last DCHAN_IMB_KEYS expanded keys it used (key
 * schedule and GHASH powers, 1 KiB each), found by the key itself: a hub
 * forwarding between sessions opens with one session's key and seals with
 * another's, record after record, and expanding a key each time costs
 * ~0.13 us warm and more cold (a ping's path through a hub: 2 expansions,
 * some 1,300 instructions of its 8,300).
 */
#define DCHAN_IMB_KEYS 8u

/* The keys side by side (4 cache lines to look through), their expansions
 * apart. */
struct dchan_imb {
	uint64_t key[DCHAN_IMB_KEYS][DCHAN_KEY_LEN / 8];
	unsigned keyed;                    /* a bit per slot */
	unsigned next;                     /* the slot a new key takes */
	/* Its code stores with aligned moves; the header asks for 64 only
	 * when built with -DLINUX. */
	_Alignas(64) struct gcm_key_data kd[DCHAN_IMB_KEYS];
};

static _Thread_local struct dchan_imb dchan_imb_cache;
static IMB_MGR *dchan_imb_mgr;
static char dchan_imb_name[64];
static pthread_once_t dchan_imb_once = PTHREAD_ONCE_INIT;

static void
dchan_imb_setup(void)
{
	static const char *const names[IMB_ARCH_NUM] = {
		[IMB_ARCH_SSE] = "sse", [IMB_ARCH_AVX] = "avx",
		[IMB_ARCH_AVX2] = "avx2", [IMB_ARCH_AVX512] = "avx512",
	};
	IMB_MGR *m;
	IMB_ARCH arch;

	if ((m = alloc_mb_mgr(0)) == NULL)
		return;
	init_mb_mgr_auto(m, &arch);
	/* Without AES-NI its code is table-driven: OpenSSL's then. */
	if (imb_get_errno(m) != 0 || arch < IMB_ARCH_SSE) {
		free_mb_mgr(m);
		return;
	}
	snprintf(dchan_imb_name, sizeof dchan_imb_name, "intel-ipsec-mb %s, %s",
	    imb_get_version_str(), names[arch] != NULL ? names[arch] : "?");
	dchan_imb_mgr = m;
}

static int
dchan_imb_ready(void)
{
	(void)pthread_once(&dchan_imb_once, dchan_imb_setup);
	return dchan_imb_mgr != NULL;
}

static void
dchan_imb_wipe(void)
{
	sodium_memzero(&dchan_imb_cache, sizeof dchan_imb_cache);
}

/*
 * d's key expanded, expanding it into the next slot in turn if no slot has
 * it. Keys are compared in constant time, all slots every time.
 */
static const struct gcm_key_data *
dchan_imb_key(const struct dchan_dir *d)
{
	struct dchan_imb *c = &dchan_imb_cache;
	unsigned i, j, hit = DCHAN_IMB_KEYS;

	for (i = 0; i < DCHAN_IMB_KEYS; i++) {
		uint64_t diff = 0, w;

		for (j = 0; j < DCHAN_KEY_LEN / 8; j++) {
			memcpy(&w, d->key + 8 * j, sizeof w);
			diff |= c->key[i][j] ^ w;
		}
		if (diff == 0 && (c->keyed & 1u << i) != 0)
			hit = i;
	}
	if (hit < DCHAN_IMB_KEYS)
		return &c->kd[hit];
	i = c->next;
	c->next = (c->next + 1) % DCHAN_IMB_KEYS;
	IMB_AES256_GCM_PRE(dchan_imb_mgr, d->key, &c->kd[i]);
	memcpy(c->key[i], d->key, DCHAN_KEY_LEN);
	c->keyed |= 1u << i;
	return &c->kd[i];
}

/*
 * As dchan_aead, for AES-256-GCM. The parameters are always valid (no NULL,
 * lengths within PROTO_REC_MAX_PLAIN), the one way these calls fail.
 */
static int
dchan_imb_aead(const struct dchan_dir *d, int seal,
    const uint8_t hdr[PROTO_REC_HDR], uint8_t *out, const uint8_t *in,
    size_t len, uint8_t tag[PROTO_REC_TAG])
{
	const struct gcm_key_data *kd = dchan_imb_key(d);
	struct gcm_context_data ctx;
	uint8_t nonce[DCHAN_NONCE_LEN], got[PROTO_REC_TAG];
	int ok = 1;

	dchan_nonce(nonce, d->seq);
	if (seal) {
		IMB_AES256_GCM_ENC(dchan_imb_mgr, kd, &ctx, out, in, len,
		    nonce, hdr, PROTO_REC_HDR, tag, PROTO_REC_TAG);
	} else {
		IMB_AES256_GCM_DEC(dchan_imb_mgr, kd, &ctx, out, in, len,
		    nonce, hdr, PROTO_REC_HDR, got, PROTO_REC_TAG);
		ok = CRYPTO_memcmp(got, tag, PROTO_REC_TAG) == 0;
	}
	sodium_memzero(&ctx, sizeof ctx);
	return ok ? 0 : -1;
}
#endif

/* Whether AES-256-GCM records go through intel-ipsec-mb. */
static int
dchan_imb_use(void)
{
#ifdef SOFTETHER_IPSEC_MB
	return dchan_aes_want != DCHAN_AES_OPENSSL && dchan_imb_ready();
#else
	return 0;
#endif
}

int
dchan_aes_impl_set(enum dchan_aes_impl impl)
{
	switch (impl) {
	case DCHAN_AES_AUTO:
	case DCHAN_AES_OPENSSL:
		break;
	case DCHAN_AES_IPSEC_MB:
#ifdef SOFTETHER_IPSEC_MB
		if (dchan_imb_ready())
			break;
#endif
		return -1;
	default:
		return -1;
	}
	dchan_aes_want = impl;
	return 0;
}

const char *
dchan_impl_name(enum dchan_cipher c)
{
#ifdef SOFTETHER_IPSEC_MB
	if (c == DCHAN_AES256GCM && dchan_imb_use())
		return dchan_imb_name;
#else
	(void)c;
#endif
	return "openssl";
}

/* One record through the cipher d is set up for: dchan_aead's contract,
 * and -2 when no EVP context can be had (no memory). */
static int
dchan_record(const struct dchan_dir *d, int seal,
    const uint8_t hdr[PROTO_REC_HDR], uint8_t *out, const uint8_t *in,
    size_t len, uint8_t tag[PROTO_REC_TAG])
{
	struct dchan_evp *e;

#ifdef SOFTETHER_IPSEC_MB
	if (d->cipher == DCHAN_AES256GCM && dchan_imb_use())
		return dchan_imb_aead(d, seal, hdr, out, in, len, tag);
#endif
	if ((e = dchan_evp(d->cipher, seal)) == NULL)
		return -2;
	return dchan_aead(e, d, seal, hdr, out, in, len, tag);
}

/* ---- Keys ------------------------------------------------------------------- */

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
	memcpy(d->key, next, sizeof d->key);
	sodium_memzero(next, sizeof next);
	/* The context still holds the old epoch's key schedule. */
	dchan_evp_wipe();
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
	/* Refused here, not at the first record, if OpenSSL lacks it. */
	if (dchan_evp(c, 1) == NULL || dchan_evp(c, 0) == NULL)
		goto out;
	dc->tx.cipher = dc->rx.cipher = c;
	memcpy(dc->tx.key, tk, sizeof tk);
	memcpy(dc->rx.key, rk, sizeof rk);
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
	dchan_evp_wipe();
}

/* ---- Records ------------------------------------------------------------ */

/*
 * Returns 0 when the size or state is unusable (plain_len over
 * PROTO_REC_MAX_PLAIN, or no cipher set up), since the peer would reject
 * such a record anyway, and when OpenSSL fails (no memory for a context).
 */
size_t
dchan_seal_from(struct dchan *dc, uint8_t *rec, const uint8_t *plain,
    size_t plain_len)
{
	struct dchan_dir *d = &dc->tx;
	uint8_t *c = rec + PROTO_REC_HDR;

	if (plain_len > PROTO_REC_MAX_PLAIN ||
	    (d->cipher != DCHAN_AES256GCM &&
	    d->cipher != DCHAN_CHACHA20POLY1305))
		return 0;
	proto_rec_hdr_put(rec, (uint32_t)(plain_len + PROTO_REC_TAG), d->seq);
	if (dchan_record(d, 1, rec, c, plain, plain_len, c + plain_len) != 0) {
		/* The next record takes this seq and nonce: nothing sealed
		 * under them may be left behind. */
		sodium_memzero(c, plain_len + PROTO_REC_TAG);
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
 * EVP decrypts before it checks the tag, so a record that fails has what
 * was decrypted wiped: no plaintext is handed out or left, rx is untouched.
 */
int
dchan_open(struct dchan *dc, uint8_t *rec, size_t rec_len,
    uint8_t **plain, size_t *plain_len, const char **why)
{
	struct dchan_dir *d = &dc->rx;
	const char *fault;
	uint32_t sealed;
	uint64_t seq;
	uint8_t *c;
	size_t clen;

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
	if (d->cipher != DCHAN_AES256GCM &&
	    d->cipher != DCHAN_CHACHA20POLY1305) {
		fault = "data channel not set up";
		goto bad;
	}
	c = rec + PROTO_REC_HDR;
	clen = sealed - PROTO_REC_TAG;
	switch (dchan_record(d, 0, rec, c, c, clen, c + clen)) {
	case 0:
		break;
	case -2:
		fault = "no memory for the cipher";
		goto bad;
	default:
		sodium_memzero(c, clen);
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
