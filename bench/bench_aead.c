/*
 * bench_aead.c: AEAD seal and open throughput of libsodium, OpenSSL's
 * libcrypto (EVP) and, where built in, intel-ipsec-mb (AES-256-GCM only) on
 * data-channel records: AES-256-GCM and ChaCha20-Poly1305, each checked
 * against the others for identical output before it is timed. EVP and
 * intel-ipsec-mb twice: keyed once, and keyed for every record (dchan.c when
 * channels on one thread take turns).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <sodium.h>
#ifdef SOFTETHER_IPSEC_MB
#include <intel-ipsec-mb.h>
#endif

#include "clock.h"
#include "proto.h"

#define BENCH_RUNS      5
#define BENCH_SECONDS   0.5   /* per run; argv[1] overrides */
#define BENCH_CHECK     16u   /* records between clock reads */
#define BENCH_KEY_LEN   32u
#define BENCH_NONCE_LEN 12u
#define BENCH_MAX_PLAIN 61440u

enum bench_cipher { BENCH_AES, BENCH_CHACHA };

struct bench_ctx {
	enum bench_cipher cipher;
	int rekey;                 /* set the key with every record's IV */
	uint8_t key[BENCH_KEY_LEN];
	crypto_aead_aes256gcm_state aes;
	EVP_CIPHER_CTX *enc, *dec;
#ifdef SOFTETHER_IPSEC_MB
	_Alignas(64) struct gcm_key_data imb;
#endif
};

struct bench_impl {
	const char *lib;
	enum bench_cipher cipher;
	int rekey;                 /* EVP, intel-ipsec-mb: key every record */
	int (*setup)(struct bench_ctx *, enum bench_cipher,
	    const uint8_t *key);
	int (*seal)(struct bench_ctx *, uint8_t *c, uint8_t *tag,
	    const uint8_t *p, size_t len, const uint8_t *ad,
	    const uint8_t *nonce);
	int (*open)(struct bench_ctx *, uint8_t *p, const uint8_t *c,
	    size_t len, const uint8_t *tag, const uint8_t *ad,
	    const uint8_t *nonce);
	void (*teardown)(struct bench_ctx *);
};

/* ---- libsodium ------------------------------------------------------------ */

static int
bench_na_setup(struct bench_ctx *x, enum bench_cipher c, const uint8_t *key)
{
	x->cipher = c;
	memcpy(x->key, key, BENCH_KEY_LEN);
	if (c == BENCH_AES)
		return crypto_aead_aes256gcm_beforenm(&x->aes, x->key);
	return 0;
}

static int
bench_na_seal(struct bench_ctx *x, uint8_t *c, uint8_t *tag,
    const uint8_t *p, size_t len, const uint8_t *ad, const uint8_t *nonce)
{
	if (x->cipher == BENCH_AES)
		return crypto_aead_aes256gcm_encrypt_detached_afternm(c, tag,
		    NULL, p, len, ad, PROTO_REC_HDR, NULL, nonce, &x->aes);
	return crypto_aead_chacha20poly1305_ietf_encrypt_detached(c, tag,
	    NULL, p, len, ad, PROTO_REC_HDR, NULL, nonce, x->key);
}

static int
bench_na_open(struct bench_ctx *x, uint8_t *p, const uint8_t *c,
    size_t len, const uint8_t *tag, const uint8_t *ad, const uint8_t *nonce)
{
	if (x->cipher == BENCH_AES)
		return crypto_aead_aes256gcm_decrypt_detached_afternm(p, NULL,
		    c, len, tag, ad, PROTO_REC_HDR, nonce, &x->aes);
	return crypto_aead_chacha20poly1305_ietf_decrypt_detached(p, NULL,
	    c, len, tag, ad, PROTO_REC_HDR, nonce, x->key);
}

static void
bench_na_teardown(struct bench_ctx *x)
{
	sodium_memzero(x, sizeof *x);
}

/* ---- OpenSSL EVP: one context per direction ------------------------------ */

static void
bench_evp_teardown(struct bench_ctx *x)
{
	EVP_CIPHER_CTX_free(x->enc);
	EVP_CIPHER_CTX_free(x->dec);
	sodium_memzero(x, sizeof *x);
}

static int
bench_evp_setup(struct bench_ctx *x, enum bench_cipher c, const uint8_t *key)
{
	const EVP_CIPHER *ci = c == BENCH_AES ? EVP_aes_256_gcm() :
	    EVP_chacha20_poly1305();

	x->cipher = c;
	memcpy(x->key, key, BENCH_KEY_LEN);
	x->enc = EVP_CIPHER_CTX_new();
	x->dec = EVP_CIPHER_CTX_new();
	if (x->enc == NULL || x->dec == NULL ||
	    EVP_EncryptInit_ex(x->enc, ci, NULL, key, NULL) != 1 ||
	    EVP_DecryptInit_ex(x->dec, ci, NULL, key, NULL) != 1) {
		bench_evp_teardown(x);
		return -1;
	}
	return 0;
}

static int
bench_evp_seal(struct bench_ctx *x, uint8_t *c, uint8_t *tag,
    const uint8_t *p, size_t len, const uint8_t *ad, const uint8_t *nonce)
{
	int n, fin;

	if (EVP_EncryptInit_ex(x->enc, NULL, NULL, x->rekey ? x->key : NULL,
	    nonce) != 1 ||
	    EVP_EncryptUpdate(x->enc, NULL, &n, ad, PROTO_REC_HDR) != 1 ||
	    EVP_EncryptUpdate(x->enc, c, &n, p, (int)len) != 1 ||
	    EVP_EncryptFinal_ex(x->enc, c + n, &fin) != 1 ||
	    (size_t)n + (size_t)fin != len ||
	    EVP_CIPHER_CTX_ctrl(x->enc, EVP_CTRL_AEAD_GET_TAG, PROTO_REC_TAG,
	    tag) != 1)
		return -1;
	return 0;
}

static int
bench_evp_open(struct bench_ctx *x, uint8_t *p, const uint8_t *c,
    size_t len, const uint8_t *tag, const uint8_t *ad, const uint8_t *nonce)
{
	int n, fin;

	if (EVP_DecryptInit_ex(x->dec, NULL, NULL, x->rekey ? x->key : NULL,
	    nonce) != 1 ||
	    EVP_DecryptUpdate(x->dec, NULL, &n, ad, PROTO_REC_HDR) != 1 ||
	    EVP_DecryptUpdate(x->dec, p, &n, c, (int)len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(x->dec, EVP_CTRL_AEAD_SET_TAG, PROTO_REC_TAG,
	    (void *)(uintptr_t)tag) != 1 ||
	    EVP_DecryptFinal_ex(x->dec, p + n, &fin) != 1 ||
	    (size_t)n + (size_t)fin != len)
		return -1;
	return 0;
}

#ifdef SOFTETHER_IPSEC_MB
/* ---- intel-ipsec-mb: AES-256-GCM, its direct API as dchan.c uses it ------- */

static IMB_MGR *bench_imb_mgr;

static int
bench_imb_setup(struct bench_ctx *x, enum bench_cipher c, const uint8_t *key)
{
	IMB_ARCH arch;

	if (c != BENCH_AES)
		return -1;
	if (bench_imb_mgr == NULL) {
		if ((bench_imb_mgr = alloc_mb_mgr(0)) == NULL)
			return -1;
		init_mb_mgr_auto(bench_imb_mgr, &arch);
	}
	x->cipher = c;
	memcpy(x->key, key, BENCH_KEY_LEN);
	IMB_AES256_GCM_PRE(bench_imb_mgr, x->key, &x->imb);
	return 0;
}

static int
bench_imb_seal(struct bench_ctx *x, uint8_t *c, uint8_t *tag,
    const uint8_t *p, size_t len, const uint8_t *ad, const uint8_t *nonce)
{
	struct gcm_context_data cd;

	if (x->rekey)
		IMB_AES256_GCM_PRE(bench_imb_mgr, x->key, &x->imb);
	IMB_AES256_GCM_ENC(bench_imb_mgr, &x->imb, &cd, c, p, len, nonce, ad,
	    PROTO_REC_HDR, tag, PROTO_REC_TAG);
	return 0;
}

static int
bench_imb_open(struct bench_ctx *x, uint8_t *p, const uint8_t *c,
    size_t len, const uint8_t *tag, const uint8_t *ad, const uint8_t *nonce)
{
	struct gcm_context_data cd;
	uint8_t got[PROTO_REC_TAG];

	if (x->rekey)
		IMB_AES256_GCM_PRE(bench_imb_mgr, x->key, &x->imb);
	IMB_AES256_GCM_DEC(bench_imb_mgr, &x->imb, &cd, p, c, len, nonce, ad,
	    PROTO_REC_HDR, got, PROTO_REC_TAG);
	return sodium_memcmp(got, tag, PROTO_REC_TAG);
}

static void
bench_imb_teardown(struct bench_ctx *x)
{
	sodium_memzero(x, sizeof *x);
}
#endif

static const struct bench_impl bench_impls[] = {
	{ "libsodium", BENCH_AES, 0, bench_na_setup, bench_na_seal,
	  bench_na_open, bench_na_teardown },
	{ "openssl", BENCH_AES, 0, bench_evp_setup, bench_evp_seal,
	  bench_evp_open, bench_evp_teardown },
	{ "openssl*", BENCH_AES, 1, bench_evp_setup, bench_evp_seal,
	  bench_evp_open, bench_evp_teardown },
#ifdef SOFTETHER_IPSEC_MB
	{ "ipsec-mb", BENCH_AES, 0, bench_imb_setup, bench_imb_seal,
	  bench_imb_open, bench_imb_teardown },
	{ "ipsec-mb*", BENCH_AES, 1, bench_imb_setup, bench_imb_seal,
	  bench_imb_open, bench_imb_teardown },
#endif
	{ "libsodium", BENCH_CHACHA, 0, bench_na_setup, bench_na_seal,
	  bench_na_open, bench_na_teardown },
	{ "openssl", BENCH_CHACHA, 0, bench_evp_setup, bench_evp_seal,
	  bench_evp_open, bench_evp_teardown },
	{ "openssl*", BENCH_CHACHA, 1, bench_evp_setup, bench_evp_seal,
	  bench_evp_open, bench_evp_teardown },
};
#define BENCH_NIMPLS (sizeof bench_impls / sizeof bench_impls[0])

static const size_t bench_sizes[] = { 1500, 16384, BENCH_MAX_PLAIN };
#define BENCH_NSIZES (sizeof bench_sizes / sizeof bench_sizes[0])

static const uint8_t bench_key[BENCH_KEY_LEN] = "data channel bench key";

/* A context for im, keyed for every record if im says so. */
static int
bench_setup(const struct bench_impl *im, struct bench_ctx *x)
{
	if (im->setup(x, im->cipher, bench_key) != 0)
		return -1;
	x->rekey = im->rekey;
	return 0;
}

/* The nonce and additional data of dchan.c: 4 zero bytes then the record's
 * seq big endian; the 12-byte record header. */
static void
bench_record_meta(uint8_t nonce[BENCH_NONCE_LEN], uint8_t ad[PROTO_REC_HDR],
    size_t len, uint64_t seq)
{
	size_t i;

	memset(nonce, 0, BENCH_NONCE_LEN);
	for (i = 0; i < sizeof seq; i++)
		nonce[BENCH_NONCE_LEN - 1 - i] = (uint8_t)(seq >> (8 * i));
	proto_rec_hdr_put(ad, (uint32_t)(len + PROTO_REC_TAG), seq);
}

static int
bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct bench_bufs {
	uint8_t *plain, *sealed, *out, *ref;
	uint8_t tag[PROTO_REC_TAG], ref_tag[PROTO_REC_TAG];
};

/* Every implementation must seal to the same bytes as the first one of its
 * cipher, and open what that one sealed. */
static int
bench_check(const struct bench_impl *im, struct bench_bufs *b, int first)
{
	struct bench_ctx x;
	uint8_t nonce[BENCH_NONCE_LEN], ad[PROTO_REC_HDR];
	size_t len = bench_sizes[0];
	int rc = -1;

	if (bench_setup(im, &x) != 0)
		return -1;
	bench_record_meta(nonce, ad, len, 0x0102030405060708ull);
	if (im->seal(&x, b->out, b->tag, b->plain, len, ad, nonce) != 0)
		goto out;
	if (first) {
		memcpy(b->ref, b->out, len);
		memcpy(b->ref_tag, b->tag, sizeof b->tag);
	} else if (memcmp(b->ref, b->out, len) != 0 ||
	    memcmp(b->ref_tag, b->tag, sizeof b->tag) != 0) {
		goto out;
	}
	if (im->open(&x, b->out, b->ref, len, b->ref_tag, ad, nonce) != 0 ||
	    memcmp(b->out, b->plain, len) != 0)
		goto out;
	/* A flipped tag bit is refused. */
	b->tag[0] = b->ref_tag[0] ^ 1;
	memcpy(b->tag + 1, b->ref_tag + 1, sizeof b->tag - 1);
	if (im->open(&x, b->out, b->ref, len, b->tag, ad, nonce) == 0)
		goto out;
	rc = 0;
out:
	im->teardown(&x);
	return rc;
}

/* One timed run: MB/s of plaintext, or a negative value on failure. */
static double
bench_run(const struct bench_impl *im, struct bench_ctx *x,
    struct bench_bufs *b, size_t len, int do_open, double seconds)
{
	uint8_t nonce[BENCH_NONCE_LEN], ad[PROTO_REC_HDR];
	uint64_t seq = 0;
	double start, elapsed;
	unsigned i;

	if (do_open) {
		/* One record, opened again and again into another buffer. */
		bench_record_meta(nonce, ad, len, 0);
		if (im->seal(x, b->sealed, b->tag, b->plain, len, ad,
		    nonce) != 0)
			return -1;
	}
	start = clock_now_s();
	do {
		for (i = 0; i < BENCH_CHECK; i++, seq++) {
			if (do_open) {
				if (im->open(x, b->out, b->sealed, len,
				    b->tag, ad, nonce) != 0)
					return -1;
				continue;
			}
			/* Sealing: a new nonce and header per record. */
			bench_record_meta(nonce, ad, len, seq);
			if (im->seal(x, b->out, b->tag, b->plain, len, ad,
			    nonce) != 0)
				return -1;
		}
		elapsed = clock_now_s() - start;
	} while (elapsed < seconds);
	return (double)seq * (double)len / elapsed / 1e6;
}

static double
bench_median(const struct bench_impl *im, struct bench_bufs *b, size_t len,
    int do_open, double seconds)
{
	struct bench_ctx x;
	double runs[BENCH_RUNS];
	int r;

	if (bench_setup(im, &x) != 0)
		return -1;
	for (r = 0; r < BENCH_RUNS; r++) {
		runs[r] = bench_run(im, &x, b, len, do_open, seconds);
		if (runs[r] < 0) {
			im->teardown(&x);
			return -1;
		}
	}
	im->teardown(&x);
	qsort(runs, BENCH_RUNS, sizeof runs[0], bench_cmp_double);
	return runs[BENCH_RUNS / 2];
}

int
main(int argc, char **argv)
{
	struct bench_bufs b;
	double seconds = BENCH_SECONDS;
	double base[BENCH_NSIZES][2] = { { 0 } };
	size_t i, j;
	int k, failed = 0;

	if (argc > 1 && (seconds = atof(argv[1])) <= 0) {
		fprintf(stderr, "usage: %s [seconds per run]\n", argv[0]);
		return 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "sodium_init failed\n");
		return 1;
	}
	b.plain = malloc(BENCH_MAX_PLAIN);
	b.sealed = malloc(BENCH_MAX_PLAIN);
	b.out = malloc(BENCH_MAX_PLAIN);
	b.ref = malloc(BENCH_MAX_PLAIN);
	if (b.plain == NULL || b.sealed == NULL || b.out == NULL ||
	    b.ref == NULL)
		return 1;
	randombytes_buf(b.plain, BENCH_MAX_PLAIN);
	printf("%s, %s; MB = 10^6 bytes of plaintext, median of %d runs of "
	    "%.2f s\n", "libsodium " SODIUM_VERSION_STRING,
	    OpenSSL_version(OPENSSL_VERSION), BENCH_RUNS, seconds);
	printf("%-18s %-10s %6s %10s %10s %7s %7s\n", "cipher", "library",
	    "bytes", "seal MB/s", "open MB/s", "seal x", "open x");
	for (i = 0; i < BENCH_NIMPLS; i++) {
		const struct bench_impl *im = &bench_impls[i];
		const char *cname = im->cipher == BENCH_AES ?
		    "aes-256-gcm" : "chacha20-poly1305";
		int first = i == 0 || bench_impls[i - 1].cipher != im->cipher;

		if (im->cipher == BENCH_AES &&
		    !crypto_aead_aes256gcm_is_available()) {
			printf("%-18s %-10s unavailable on this CPU "
			    "(libsodium)\n", cname, im->lib);
			continue;
		}
		if (bench_check(im, &b, first) != 0) {
			printf("%-18s %-10s FAILED the cross-check\n", cname,
			    im->lib);
			failed = 1;
			continue;
		}
		for (j = 0; j < BENCH_NSIZES; j++) {
			double mb[2];

			for (k = 0; k < 2; k++)
				mb[k] = bench_median(im, &b, bench_sizes[j], k,
				    seconds);
			if (mb[0] < 0 || mb[1] < 0) {
				printf("%-18s %-10s %6zu failed\n", cname,
				    im->lib, bench_sizes[j]);
				failed = 1;
				continue;
			}
			if (first) {
				base[j][0] = mb[0];
				base[j][1] = mb[1];
			}
			printf("%-18s %-10s %6zu %10.1f %10.1f", cname,
			    im->lib, bench_sizes[j], mb[0], mb[1]);
			if (!first && base[j][0] > 0)
				printf(" %6.2fx %6.2fx", mb[0] / base[j][0],
				    mb[1] / base[j][1]);
			printf("\n");
			fflush(stdout);
		}
	}
	printf("x: against libsodium; openssl*, ipsec-mb*: keyed for every "
	    "record, as dchan.c when channels take turns\n");
	free(b.plain);
	free(b.sealed);
	free(b.out);
	free(b.ref);
	return failed;
}
