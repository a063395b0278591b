/*
 * test_tlsio.c: TLS over in-memory evbuffers: handshakes (whole, byte by
 * byte, interleaved, CA-verified), application data, the bytes after the
 * last record, tampering, and the key exporter's known answers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <mbedtls/md.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_internal.h>
#include <sodium.h>

#include "cert.h"
#include "tlsio.h"
#include "rmtree.h"

#define ERRLEN     512
#define DIRLEN     64
#define PATHLEN    128
#define HS_ROUNDS  64       /* turns per side for a whole-flight handshake */
#define HS_STEPS   200000   /* turns when bytes trickle in one at a time */
#define HUB_CN     "softether hub"
#define RAW_TAIL   "DATA-CHANNEL"
#define BIG_LEN    40000u   /* more than two TLS records of plaintext */
#define MASTER_LEN 48u
#define RANDOM_LEN 32u
#define LABEL_LEN  (sizeof TLSIO_EXPORT_LABEL - 1)
#define SHA384_LEN 48u

/* Files shared by every test: the hub's pair and an unrelated one. */
struct fixture {
	char dir[DIRLEN];
	char crt[PATHLEN];
	char key[PATHLEN];
	char other_crt[PATHLEN];
	char other_key[PATHLEN];
	char fp[CERT_FP_HEX];
};

struct confs {
	struct tlsio_conf cc;   /* client */
	struct tlsio_conf sc;   /* hub */
};

/* One connection. With "slow", each side writes to its own wire buffer
 * and pump() moves one byte per turn to the peer's input. */
struct pipe {
	struct evbuffer *c2s, *s2c;
	struct evbuffer *cwire, *swire;
	struct tlsio c, s;
	int crc, src;           /* last tlsio_handshake results */
	char cerr[ERRLEN];
	char serr[ERRLEN];
};

static int
group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char err[ERRLEN];

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/softether-tlsio-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->crt, sizeof f->crt, "%s/hub.crt", f->dir);
	snprintf(f->key, sizeof f->key, "%s/hub.key", f->dir);
	snprintf(f->other_crt, sizeof f->other_crt, "%s/other.crt", f->dir);
	snprintf(f->other_key, sizeof f->other_key, "%s/other.key", f->dir);
	if (cert_ensure(f->crt, f->key, HUB_CN, err, sizeof err) != 1 ||
	    cert_ensure(f->other_crt, f->other_key, HUB_CN, err,
	    sizeof err) != 1 ||
	    cert_fingerprint_file(f->crt, f->fp, err, sizeof err) != 0) {
		fprintf(stderr, "setup: %s\n", err);
		rmtree(f->dir);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
group_teardown(void **state)
{
	struct fixture *f = *state;

	rmtree(f->dir);
	free(f);
	return 0;
}

static void
confs_open(struct confs *k, const struct fixture *f, const char *ca)
{
	char err[ERRLEN];

	err[0] = '\0';
	if (tlsio_conf_server(&k->sc, f->crt, f->key, err, sizeof err) != 0)
		fail_msg("server conf: %s", err);
	if (tlsio_conf_client(&k->cc, ca, err, sizeof err) != 0)
		fail_msg("client conf: %s", err);
}

static void
confs_close(struct confs *k)
{
	tlsio_conf_free(&k->cc);
	tlsio_conf_free(&k->sc);
}

static void
pipe_open(struct pipe *p, struct confs *k, const char *server_name,
    int slow)
{
	memset(p, 0, sizeof *p);
	assert_non_null(p->c2s = evbuffer_new());
	assert_non_null(p->s2c = evbuffer_new());
	if (slow) {
		assert_non_null(p->cwire = evbuffer_new());
		assert_non_null(p->swire = evbuffer_new());
	}
	assert_int_equal(tlsio_init(&p->c, &k->cc, p->s2c,
	    slow ? p->cwire : p->c2s, server_name), 0);
	assert_int_equal(tlsio_init(&p->s, &k->sc, p->c2s,
	    slow ? p->swire : p->s2c, NULL), 0);
	p->crc = p->src = 1;
}

static void
pipe_close(struct pipe *p)
{
	tlsio_free(&p->c);
	tlsio_free(&p->s);
	evbuffer_free(p->c2s);
	evbuffer_free(p->s2c);
	if (p->cwire != NULL)
		evbuffer_free(p->cwire);
	if (p->swire != NULL)
		evbuffer_free(p->swire);
}

/* Deliver at most one byte each way. */
static void
pump(struct pipe *p)
{
	if (p->cwire == NULL)
		return;
	assert_true(evbuffer_remove_buffer(p->cwire, p->c2s, 1) >= 0);
	assert_true(evbuffer_remove_buffer(p->swire, p->s2c, 1) >= 0);
}

/* One turn for each side still handshaking; 1 while both are unfinished
 * and neither failed. */
static int
turn(struct pipe *p)
{
	if (p->crc == 1)
		p->crc = tlsio_handshake(&p->c, p->cerr, sizeof p->cerr);
	if (p->crc < 0)
		return 0;
	if (p->src == 1)
		p->src = tlsio_handshake(&p->s, p->serr, sizeof p->serr);
	if (p->src < 0)
		return 0;
	pump(p);
	return p->crc == 1 || p->src == 1;
}

static void
handshake(struct pipe *p, int rounds)
{
	int i;

	for (i = 0; i < rounds && turn(p); i++)
		;
}

static void
assert_done(const struct pipe *p)
{
	if (p->crc != 0 || p->src != 0)
		fail_msg("handshake: client %d \"%s\", hub %d \"%s\"",
		    p->crc, p->cerr, p->src, p->serr);
}

/* Read exactly len bytes of application data. */
static void
read_all(struct tlsio *t, uint8_t *buf, size_t len)
{
	char err[ERRLEN];
	size_t got = 0;
	int n;

	while (got < len) {
		size_t want = len - got;

		err[0] = '\0';
		n = tlsio_read(t, buf + got, want, err, sizeof err);
		if (n <= 0)
			fail_msg("tlsio_read: %d \"%s\" after %zu of %zu", n,
			    err, got, len);
		assert_true((size_t)n <= want);
		got += (size_t)n;
	}
}

static void
make_data(uint8_t *p, size_t n, uint8_t salt)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 31u + salt + (i >> 8));
}

static int
all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	size_t i;

	for (i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

static void
test_handshake(void **state)
{
	struct confs k;
	struct pipe p;

	confs_open(&k, *state, NULL);
	pipe_open(&p, &k, "hub", 0);
	handshake(&p, HS_ROUNDS);
	assert_done(&p);
	assert_true(p.c.have_keys);
	assert_true(p.s.have_keys);
	assert_memory_equal(p.c.keys, p.s.keys, TLSIO_EXPORT_LEN);
	assert_false(all_zero(p.c.keys, TLSIO_EXPORT_LEN));
	assert_string_equal(tlsio_suite(&p.c),
	    "TLS-ECDHE-ECDSA-WITH-AES-256-GCM-SHA384");
	assert_string_equal(tlsio_suite(&p.s), tlsio_suite(&p.c));
	assert_string_equal(mbedtls_ssl_get_version(&p.c.ssl), "TLSv1.2");
	assert_string_equal(mbedtls_ssl_get_version(&p.s.ssl), "TLSv1.2");
	/* Nothing left over in either direction. */
	assert_int_equal(evbuffer_get_length(p.c2s), 0);
	assert_int_equal(evbuffer_get_length(p.s2c), 0);
	pipe_close(&p);
	confs_close(&k);
}

static void
test_peer_fingerprint(void **state)
{
	const struct fixture *f = *state;
	struct confs k;
	struct pipe p;
	char hex[CERT_FP_HEX];

	confs_open(&k, f, NULL);
	pipe_open(&p, &k, "hub", 0);
	/* Nothing to pin before the hub has shown its certificate. */
	assert_int_equal(tlsio_peer_fingerprint(&p.c, hex), -1);
	handshake(&p, HS_ROUNDS);
	assert_done(&p);
	memset(hex, 'z', sizeof hex);
	assert_int_equal(tlsio_peer_fingerprint(&p.c, hex), 0);
	assert_string_equal(hex, f->fp);
	/* Clients show no certificate. */
	assert_int_equal(tlsio_peer_fingerprint(&p.s, hex), -1);
	pipe_close(&p);
	confs_close(&k);
}

static void
test_app_data(void **state)
{
	static const char hello[] = "hello, hub";
	static const char reply[] = "welcome, client";
	struct confs k;
	struct pipe p;
	uint8_t buf[64];
	uint8_t *big, *back;
	char err[ERRLEN];

	confs_open(&k, *state, NULL);
	pipe_open(&p, &k, "hub", 0);
	handshake(&p, HS_ROUNDS);
	assert_done(&p);

	/* Nothing sent yet: "more input needed", not an error. */
	assert_int_equal(tlsio_read(&p.s, buf, sizeof buf, err, sizeof err),
	    0);

	assert_int_equal(tlsio_write(&p.c, hello, sizeof hello), 0);
	read_all(&p.s, buf, sizeof hello);
	assert_memory_equal(buf, hello, sizeof hello);
	assert_int_equal(evbuffer_get_length(p.c2s), 0);

	assert_int_equal(tlsio_write(&p.s, reply, sizeof reply), 0);
	read_all(&p.c, buf, sizeof reply);
	assert_memory_equal(buf, reply, sizeof reply);
	assert_int_equal(evbuffer_get_length(p.s2c), 0);

	/* Larger than one record: tlsio_write must loop over fragments. */
	assert_non_null(big = malloc(BIG_LEN));
	assert_non_null(back = malloc(BIG_LEN));
	make_data(big, BIG_LEN, 7);
	assert_int_equal(tlsio_write(&p.c, big, BIG_LEN), 0);
	read_all(&p.s, back, BIG_LEN);
	assert_memory_equal(back, big, BIG_LEN);
	make_data(big, BIG_LEN, 99);
	assert_int_equal(tlsio_write(&p.s, big, BIG_LEN), 0);
	read_all(&p.c, back, BIG_LEN);
	assert_memory_equal(back, big, BIG_LEN);
	free(big);
	free(back);

	/* Zero bytes are a no-op, not a failure. */
	assert_int_equal(tlsio_write(&p.c, hello, 0), 0);
	pipe_close(&p);
	confs_close(&k);
}

static void
assert_tail(struct evbuffer *b)
{
	char tail[sizeof RAW_TAIL];

	assert_int_equal(evbuffer_get_length(b), sizeof RAW_TAIL - 1);
	assert_int_equal(evbuffer_copyout(b, tail, sizeof tail),
	    sizeof RAW_TAIL - 1);
	assert_memory_equal(tail, RAW_TAIL, sizeof RAW_TAIL - 1);
}

static void
test_raw_tail(void **state)
{
	static const char msg[] = "login ok";
	struct confs k;
	struct pipe p;
	uint8_t buf[sizeof msg + 64];
	uint8_t *big, *back;
	char err[ERRLEN];
	int i;

	confs_open(&k, *state, NULL);

	/* After the handshake: one record, then stream bytes. */
	pipe_open(&p, &k, "hub", 0);
	handshake(&p, HS_ROUNDS);
	assert_done(&p);
	assert_int_equal(tlsio_write(&p.s, msg, sizeof msg), 0);
	assert_int_equal(evbuffer_add(p.s2c, RAW_TAIL, sizeof RAW_TAIL - 1),
	    0);
	err[0] = '\0';
	/* A buffer larger than the message: the read must still stop at the
	 * record boundary. */
	assert_int_equal(tlsio_read(&p.c, buf, sizeof buf, err, sizeof err),
	    (int)sizeof msg);
	assert_memory_equal(buf, msg, sizeof msg);
	assert_tail(p.s2c);
	pipe_close(&p);

	/* The hub's last flight, a two-record message and the stream bytes
	 * all arrive in one burst before the client has finished (a full
	 * handshake: the first one's session is not offered). */
	tlsio_conf_forget(&k.cc);
	pipe_open(&p, &k, "hub", 0);
	for (i = 0; i < HS_ROUNDS && p.src == 1 && p.crc >= 0; i++) {
		p.crc = tlsio_handshake(&p.c, p.cerr, sizeof p.cerr);
		p.src = tlsio_handshake(&p.s, p.serr, sizeof p.serr);
	}
	assert_int_equal(p.src, 0);
	assert_int_equal(p.crc, 1);
	assert_non_null(big = malloc(BIG_LEN));
	assert_non_null(back = malloc(BIG_LEN));
	make_data(big, BIG_LEN, 3);
	assert_int_equal(tlsio_write(&p.s, big, BIG_LEN), 0);
	assert_int_equal(evbuffer_add(p.s2c, RAW_TAIL, sizeof RAW_TAIL - 1),
	    0);
	p.crc = tlsio_handshake(&p.c, p.cerr, sizeof p.cerr);
	assert_done(&p);
	read_all(&p.c, back, BIG_LEN);
	assert_memory_equal(back, big, BIG_LEN);
	assert_tail(p.s2c);
	free(big);
	free(back);
	pipe_close(&p);
	confs_close(&k);
}

static void
test_byte_by_byte(void **state)
{
	static const char msg[] = "one byte at a time";
	struct confs k;
	struct pipe p;
	uint8_t buf[sizeof msg];
	char err[ERRLEN];
	size_t got = 0;
	int i, n, waits = 0;

	confs_open(&k, *state, NULL);
	pipe_open(&p, &k, "hub", 1);
	for (i = 0; i < HS_STEPS && turn(&p); i++)
		if (p.crc == 1)
			waits++;
	assert_done(&p);
	/* The client really did see its input in fragments. */
	assert_true(waits > 100);
	assert_true(p.c.have_keys);
	assert_memory_equal(p.c.keys, p.s.keys, TLSIO_EXPORT_LEN);
	assert_int_equal(evbuffer_get_length(p.cwire), 0);
	assert_int_equal(evbuffer_get_length(p.swire), 0);

	/* Application data, also trickled. */
	assert_int_equal(tlsio_write(&p.s, msg, sizeof msg), 0);
	for (i = 0; i < HS_STEPS && got < sizeof msg; i++) {
		pump(&p);
		n = tlsio_read(&p.c, buf + got, sizeof buf - got, err,
		    sizeof err);
		if (n < 0)
			fail_msg("tlsio_read: %s", err);
		got += (size_t)n;
	}
	assert_int_equal(got, sizeof msg);
	assert_memory_equal(buf, msg, sizeof msg);
	pipe_close(&p);
	confs_close(&k);
}

static void
test_tampered_record(void **state)
{
	static const char msg[] = "do not touch";
	struct confs k;
	struct pipe p;
	uint8_t buf[64];
	unsigned char *rec;
	char err[ERRLEN];
	size_t len, at[3];
	unsigned i;

	confs_open(&k, *state, NULL);
	for (i = 0; i < sizeof at / sizeof at[0]; i++) {
		pipe_open(&p, &k, "hub", 0);
		handshake(&p, HS_ROUNDS);
		assert_done(&p);
		assert_int_equal(tlsio_write(&p.c, msg, sizeof msg), 0);
		len = evbuffer_get_length(p.c2s);
		assert_true(len > 5 + sizeof msg);
		/* Explicit nonce, ciphertext, tag. */
		at[0] = 5;
		at[1] = len - 16 - sizeof msg;
		at[2] = len - 1;
		assert_non_null(rec = evbuffer_pullup(p.c2s, -1));
		assert_int_equal(rec[0], MBEDTLS_SSL_MSG_APPLICATION_DATA);
		rec[at[i]] ^= 0x01;
		err[0] = '\0';
		assert_int_equal(tlsio_read(&p.s, buf, sizeof buf, err,
		    sizeof err), -1);
		assert_non_null(strstr(err, "TLS read"));
		pipe_close(&p);
	}
	confs_close(&k);
}

static void
test_close_notify(void **state)
{
	struct confs k;
	struct pipe p;
	uint8_t buf[16];
	char err[ERRLEN];

	confs_open(&k, *state, NULL);
	pipe_open(&p, &k, "hub", 0);
	handshake(&p, HS_ROUNDS);
	assert_done(&p);
	assert_int_equal(mbedtls_ssl_close_notify(&p.s.ssl), 0);
	err[0] = '\0';
	assert_int_equal(tlsio_read(&p.c, buf, sizeof buf, err, sizeof err),
	    -1);
	assert_string_equal(err, "peer closed the TLS session");
	pipe_close(&p);
	confs_close(&k);
}

/* Two connections sharing both configurations, their handshake steps
 * interleaved: each pair agrees on keys, and the pairs differ. */
static void
test_fresh_keys(void **state)
{
	struct confs k;
	struct pipe a, b;
	int i, more;

	confs_open(&k, *state, NULL);
	pipe_open(&a, &k, "hub", 0);
	pipe_open(&b, &k, "hub", 0);
	for (i = 0, more = 1; i < HS_ROUNDS && more; i++) {
		more = turn(&a);
		more = turn(&b) || more;
	}
	assert_done(&a);
	assert_done(&b);
	assert_memory_equal(a.c.keys, a.s.keys, TLSIO_EXPORT_LEN);
	assert_memory_equal(b.c.keys, b.s.keys, TLSIO_EXPORT_LEN);
	assert_memory_not_equal(a.c.keys, b.c.keys, TLSIO_EXPORT_LEN);
	pipe_close(&a);
	pipe_close(&b);

	/* And one after the other, over a fresh pair of buffers. */
	pipe_open(&a, &k, "hub", 0);
	handshake(&a, HS_ROUNDS);
	assert_done(&a);
	pipe_open(&b, &k, "hub", 0);
	handshake(&b, HS_ROUNDS);
	assert_done(&b);
	assert_memory_equal(b.c.keys, b.s.keys, TLSIO_EXPORT_LEN);
	assert_memory_not_equal(a.c.keys, b.c.keys, TLSIO_EXPORT_LEN);
	pipe_close(&a);
	pipe_close(&b);
	confs_close(&k);
}

/* HMAC over the concatenation of two parts. */
typedef void hmac2_fn(const uint8_t *key, size_t klen, const uint8_t *a,
    size_t alen, const uint8_t *b, size_t blen, uint8_t *out);

static void
hmac_sha256(const uint8_t *key, size_t klen, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen, uint8_t *out)
{
	crypto_auth_hmacsha256_state st;

	assert_int_equal(crypto_auth_hmacsha256_init(&st, key, klen), 0);
	assert_int_equal(crypto_auth_hmacsha256_update(&st, a, alen), 0);
	assert_int_equal(crypto_auth_hmacsha256_update(&st, b, blen), 0);
	assert_int_equal(crypto_auth_hmacsha256_final(&st, out), 0);
}

static void
hmac_sha384(const uint8_t *key, size_t klen, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen, uint8_t *out)
{
	mbedtls_md_context_t md;

	mbedtls_md_init(&md);
	assert_int_equal(mbedtls_md_setup(&md,
	    mbedtls_md_info_from_type(MBEDTLS_MD_SHA384), 1), 0);
	assert_int_equal(mbedtls_md_hmac_starts(&md, key, klen), 0);
	assert_int_equal(mbedtls_md_hmac_update(&md, a, alen), 0);
	assert_int_equal(mbedtls_md_hmac_update(&md, b, blen), 0);
	assert_int_equal(mbedtls_md_hmac_finish(&md, out), 0);
	mbedtls_md_free(&md);
}

/* RFC 5246 section 5: P_hash(secret, label || client || server). */
static void
p_hash(hmac2_fn *hmac, size_t hlen, const uint8_t *secret, size_t slen,
    const uint8_t cr[RANDOM_LEN], const uint8_t sr[RANDOM_LEN],
    uint8_t out[TLSIO_EXPORT_LEN])
{
	uint8_t seed[LABEL_LEN + 2 * RANDOM_LEN];
	uint8_t a[SHA384_LEN], block[SHA384_LEN];
	size_t done = 0, n;

	assert_true(hlen <= sizeof a);
	memcpy(seed, TLSIO_EXPORT_LABEL, LABEL_LEN);
	memcpy(seed + LABEL_LEN, cr, RANDOM_LEN);
	memcpy(seed + LABEL_LEN + RANDOM_LEN, sr, RANDOM_LEN);
	/* A(1) = HMAC(secret, A(0)) with A(0) = seed. */
	hmac(secret, slen, seed, sizeof seed, NULL, 0, a);
	while (done < TLSIO_EXPORT_LEN) {
		hmac(secret, slen, a, hlen, seed, sizeof seed, block);
		n = TLSIO_EXPORT_LEN - done < hlen ? TLSIO_EXPORT_LEN - done :
		    hlen;
		memcpy(out + done, block, n);
		done += n;
		hmac(secret, slen, a, hlen, NULL, 0, a);
	}
}

static void
test_export_known_answer(void **state)
{
	/* TLS1-PRF of the inputs below as computed by a third, unrelated
	 * implementation (OpenSSL's KDF). */
	static const uint8_t want256[TLSIO_EXPORT_LEN] = {
		0x05, 0x93, 0xe3, 0x70, 0xd4, 0xca, 0x05, 0x3b,
		0x2b, 0x84, 0x6b, 0x38, 0x53, 0x60, 0x18, 0x10,
		0xbb, 0xd4, 0x0a, 0xe0, 0x85, 0x08, 0xce, 0xef,
		0xdf, 0x63, 0x58, 0xa8, 0xfa, 0x25, 0xa3, 0x69,
		0x64, 0x64, 0x1f, 0xd6, 0xc0, 0xda, 0xde, 0x55,
		0x85, 0x06, 0x4d, 0xd6, 0x87, 0x26, 0x69, 0xe5,
		0x54, 0x45, 0x81, 0x75, 0x14, 0xcc, 0x54, 0x48,
		0x28, 0xca, 0x15, 0xb2, 0xdc, 0x06, 0x94, 0x8d,
	};
	static const uint8_t want384[TLSIO_EXPORT_LEN] = {
		0x7b, 0x3a, 0xf4, 0xd5, 0x31, 0x4a, 0xed, 0xf9,
		0x36, 0x8e, 0x50, 0x55, 0x7f, 0x28, 0x5b, 0x7b,
		0x08, 0x4f, 0x21, 0x6b, 0x20, 0xba, 0x85, 0xef,
		0x95, 0x75, 0xe8, 0x51, 0x51, 0x08, 0xf0, 0x3c,
		0x9e, 0x4d, 0x0e, 0x9c, 0x06, 0xfe, 0x66, 0x75,
		0xf1, 0x8a, 0xd5, 0x67, 0xe6, 0xde, 0x8a, 0x17,
		0xe0, 0x3c, 0x3a, 0x05, 0xd2, 0xa3, 0xa6, 0x35,
		0x12, 0x0b, 0xa0, 0x9d, 0x78, 0x31, 0x1f, 0xd1,
	};
	uint8_t master[MASTER_LEN], cr[RANDOM_LEN], sr[RANDOM_LEN];
	uint8_t got[TLSIO_EXPORT_LEN], ref[TLSIO_EXPORT_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < MASTER_LEN; i++)
		master[i] = (uint8_t)i;
	for (i = 0; i < RANDOM_LEN; i++) {
		cr[i] = (uint8_t)(0x40 + i);
		sr[i] = (uint8_t)(0x80 + i);
	}

	assert_int_equal(tlsio_export(MBEDTLS_SSL_TLS_PRF_SHA256, master,
	    MASTER_LEN, cr, sr, got), 0);
	p_hash(hmac_sha256, crypto_auth_hmacsha256_BYTES, master, MASTER_LEN,
	    cr, sr, ref);
	assert_memory_equal(got, ref, TLSIO_EXPORT_LEN);
	assert_memory_equal(got, want256, TLSIO_EXPORT_LEN);

	assert_int_equal(tlsio_export(MBEDTLS_SSL_TLS_PRF_SHA384, master,
	    MASTER_LEN, cr, sr, got), 0);
	p_hash(hmac_sha384, SHA384_LEN, master, MASTER_LEN, cr, sr, ref);
	assert_memory_equal(got, ref, TLSIO_EXPORT_LEN);
	assert_memory_equal(got, want384, TLSIO_EXPORT_LEN);

	/* The randoms are ordered: swapping them changes the keys. */
	assert_int_equal(tlsio_export(MBEDTLS_SSL_TLS_PRF_SHA384, master,
	    MASTER_LEN, sr, cr, got), 0);
	assert_memory_not_equal(got, want384, TLSIO_EXPORT_LEN);

	/* Not a TLS 1.2 PRF. */
	assert_int_equal(tlsio_export(MBEDTLS_SSL_TLS_PRF_NONE, master,
	    MASTER_LEN, cr, sr, got), -1);
}

/* The keys a live handshake exported are P_SHA384 (the suite's hash) of
 * the session's own master secret and randoms. */
static void
test_export_live(void **state)
{
#if defined(MBEDTLS_SSL_CONTEXT_SERIALIZATION)
	struct confs k;
	struct pipe p;
	const mbedtls_ssl_transform *tr;
	uint8_t ref[TLSIO_EXPORT_LEN];

	confs_open(&k, *state, NULL);
	pipe_open(&p, &k, "hub", 0);
	handshake(&p, HS_ROUNDS);
	assert_done(&p);
	tr = p.c.ssl.transform;
	assert_non_null(tr);
	assert_non_null(p.c.ssl.session);
	/* A SHA-384 suite: TLS 1.2 uses its hash for the PRF. */
	assert_non_null(strstr(tlsio_suite(&p.c), "SHA384"));
	/* The transform keeps server random first. */
	p_hash(hmac_sha384, SHA384_LEN, p.c.ssl.session->master, MASTER_LEN,
	    tr->randbytes + RANDOM_LEN, tr->randbytes, ref);
	assert_memory_equal(p.c.keys, ref, TLSIO_EXPORT_LEN);
	pipe_close(&p);
	confs_close(&k);
#else
	(void)state;
	skip();
#endif
}

/* A second connection resumes the first one's session from the hub's
 * ticket (no public-key operation), with fresh keys and the hub's
 * certificate still known; another server name, a forgotten session or a
 * restarted hub (new ticket keys) make a full handshake. */
static void
test_resumption(void **state)
{
	const struct fixture *f = *state;
	struct confs k;
	struct pipe p;
	uint8_t first[TLSIO_EXPORT_LEN];
	char hex[CERT_FP_HEX];

	confs_open(&k, f, NULL);
	assert_true(k.sc.have_ticket);
	pipe_open(&p, &k, "hub", 0);
	handshake(&p, HS_ROUNDS);
	assert_done(&p);
	memcpy(first, p.c.keys, sizeof first);
	pipe_close(&p);
	assert_int_equal(k.sc.resumed, 0);
	assert_true(k.cc.have_last);

	pipe_open(&p, &k, "hub", 0);
	handshake(&p, HS_ROUNDS);
	assert_done(&p);
	assert_int_equal(k.sc.resumed, 1);
	assert_memory_equal(p.c.keys, p.s.keys, TLSIO_EXPORT_LEN);
	assert_memory_not_equal(p.c.keys, first, TLSIO_EXPORT_LEN);
	assert_int_equal(tlsio_peer_fingerprint(&p.c, hex), 0);
	assert_string_equal(hex, f->fp);
	pipe_close(&p);

	/* And again, from the ticket the resumed handshake renewed. */
	pipe_open(&p, &k, "hub", 0);
	handshake(&p, HS_ROUNDS);
	assert_done(&p);
	assert_int_equal(k.sc.resumed, 2);
	pipe_close(&p);

	/* Another name: a full handshake. */
	pipe_open(&p, &k, "other", 0);
	handshake(&p, HS_ROUNDS);
	assert_done(&p);
	assert_int_equal(k.sc.resumed, 2);
	pipe_close(&p);

	tlsio_conf_forget(&k.cc);
	assert_false(k.cc.have_last);
	pipe_open(&p, &k, "other", 0);
	handshake(&p, HS_ROUNDS);
	assert_done(&p);
	assert_int_equal(k.sc.resumed, 2);
	pipe_close(&p);

	/* The hub restarts: its ticket keys are new; the ticket offered is
	 * refused and the handshake is a full one. */
	char err[ERRLEN];
	tlsio_conf_free(&k.sc);
	assert_int_equal(tlsio_conf_server(&k.sc, f->crt, f->key, err,
	    sizeof err), 0);
	assert_true(k.cc.have_last);
	pipe_open(&p, &k, "other", 0);
	handshake(&p, HS_ROUNDS);
	assert_done(&p);
	assert_int_equal(k.sc.resumed, 0);
	assert_int_equal(tlsio_peer_fingerprint(&p.c, hex), 0);
	assert_string_equal(hex, f->fp);
	pipe_close(&p);
	confs_close(&k);
}

static void
test_ca_file(void **state)
{
	const struct fixture *f = *state;
	struct confs k;
	struct pipe p;
	char hex[CERT_FP_HEX];

	/* The hub's own certificate as the trust anchor, right name. */
	confs_open(&k, f, f->crt);
	pipe_open(&p, &k, HUB_CN, 0);
	handshake(&p, HS_ROUNDS);
	assert_done(&p);
	assert_memory_equal(p.c.keys, p.s.keys, TLSIO_EXPORT_LEN);
	assert_int_equal(tlsio_peer_fingerprint(&p.c, hex), 0);
	assert_string_equal(hex, f->fp);
	pipe_close(&p);

	/* Same anchor, a name the certificate does not carry. */
	pipe_open(&p, &k, "hub", 0);
	handshake(&p, HS_ROUNDS);
	assert_int_equal(p.crc, -1);
	assert_non_null(strstr(p.cerr, "not trusted"));
	assert_non_null(strstr(p.cerr, "CN"));
	assert_false(p.c.have_keys);
	pipe_close(&p);
	confs_close(&k);

	/* An unrelated certificate as the anchor, with the right name: the
	 * other pair even has the same CN. */
	confs_open(&k, f, f->other_crt);
	pipe_open(&p, &k, HUB_CN, 0);
	handshake(&p, HS_ROUNDS);
	assert_int_equal(p.crc, -1);
	assert_non_null(strstr(p.cerr, "not trusted"));
	assert_false(p.c.have_keys);
	pipe_close(&p);
	confs_close(&k);
}

static void
test_bad_conf(void **state)
{
	const struct fixture *f = *state;
	struct tlsio_conf c;
	char err[ERRLEN], path[PATHLEN];

	snprintf(path, sizeof path, "%s/missing.crt", f->dir);
	err[0] = '\0';
	assert_int_equal(tlsio_conf_client(&c, path, err, sizeof err), -1);
	assert_non_null(strstr(err, path));
	tlsio_conf_free(&c);

	err[0] = '\0';
	assert_int_equal(tlsio_conf_server(&c, path, f->key, err, sizeof err),
	    -1);
	assert_non_null(strstr(err, path));
	tlsio_conf_free(&c);

	/* A certificate is not a key. */
	err[0] = '\0';
	assert_int_equal(tlsio_conf_server(&c, f->crt, f->crt, err,
	    sizeof err), -1);
	assert_non_null(strstr(err, f->crt));
	tlsio_conf_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake),
		cmocka_unit_test(test_peer_fingerprint),
		cmocka_unit_test(test_app_data),
		cmocka_unit_test(test_raw_tail),
		cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_tampered_record),
		cmocka_unit_test(test_close_notify),
		cmocka_unit_test(test_fresh_keys),
		cmocka_unit_test(test_export_known_answer),
		cmocka_unit_test(test_export_live),
		cmocka_unit_test(test_resumption),
		cmocka_unit_test(test_ca_file),
		cmocka_unit_test(test_bad_conf),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
