/*
 * pubkey.c: Ed25519 keys for logging in (libsodium's crypto_sign), their
 * files and their text.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

#include "cfgload.h"
#include "pubkey.h"

/* What a login signs: a context, so that these signatures can never be
 * taken for anything else the key might sign, then the binding. */
#define PUBKEY_CONTEXT     "softether login v1"
#define PUBKEY_CONTEXT_LEN (sizeof PUBKEY_CONTEXT)   /* with its NUL */
#define PUBKEY_MSG_MAX     (PUBKEY_CONTEXT_LEN + 64u)

_Static_assert(PUBKEY_LEN == crypto_sign_PUBLICKEYBYTES, "public key");
_Static_assert(PUBKEY_SECRET == crypto_sign_SECRETKEYBYTES, "secret key");
_Static_assert(PUBKEY_SIG_LEN == crypto_sign_BYTES, "signature");

/* 32 bytes from base64 text of exactly PUBKEY_B64_LEN characters. */
static int
pubkey_decode32(const char *b64, size_t len, uint8_t out[32])
{
	size_t got = 0;
	const char *end = NULL;

	if (len != PUBKEY_B64_LEN)
		return -1;
	if (sodium_base642bin(out, 32, b64, len, NULL, &got, &end,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || got != 32 ||
	    end != b64 + len)
		return -1;
	return 0;
}

int
pubkey_parse(const char *b64, uint8_t pk[PUBKEY_LEN], char *why,
    size_t whylen)
{
	if (pubkey_decode32(b64, strlen(b64), pk) != 0) {
		snprintf(why, whylen, "expected a public key: 32 bytes in "
		    "base64, %u characters (softether --gen-key makes one)",
		    PUBKEY_B64_LEN);
		return -1;
	}
	return 0;
}

int
pubkey_check(const char *s, char *why, size_t whylen)
{
	uint8_t pk[PUBKEY_LEN];

	return pubkey_parse(s, pk, why, whylen);
}

void
pubkey_b64(const uint8_t pk[PUBKEY_LEN], char *out)
{
	sodium_bin2base64(out, PUBKEY_B64_LEN + 1, pk, PUBKEY_LEN,
	    sodium_base64_VARIANT_ORIGINAL);
}

int
pubkey_load(const char *opt, const char *path, uint8_t sk[PUBKEY_SECRET],
    uint8_t pk[PUBKEY_LEN], char *err, size_t errlen)
{
	char buf[PUBKEY_FILE_MAX];
	uint8_t seed[crypto_sign_SEEDBYTES];
	size_t len;
	int rc = -1;

	if (cfg_read_line(opt, path, buf, sizeof buf, &len, err, errlen) != 0)
		return -1;
	if (pubkey_decode32(buf, len, seed) != 0)
		snprintf(err, errlen, "%s %s: not a private key (its first "
		    "line should be 32 bytes in base64, as softether --gen-key "
		    "writes)", opt, path);
	else if (crypto_sign_seed_keypair(pk, sk, seed) != 0)
		snprintf(err, errlen, "%s %s: cannot make the key", opt, path);
	else
		rc = 0;
	sodium_memzero(buf, sizeof buf);
	sodium_memzero(seed, sizeof seed);
	return rc;
}

int
pubkey_generate(const char *path, uint8_t pk[PUBKEY_LEN], char *err,
    size_t errlen)
{
	uint8_t seed[crypto_sign_SEEDBYTES], sk[PUBKEY_SECRET];
	char line[PUBKEY_B64_LEN + 2];
	int fd, rc = -1;

	randombytes_buf(seed, sizeof seed);
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_bin2base64(line, sizeof line, seed, sizeof seed,
	    sodium_base64_VARIANT_ORIGINAL);
	line[PUBKEY_B64_LEN] = '\n';
	fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s%s", path, strerror(errno),
		    errno == EEXIST ? " (a key is never written over: remove "
		    "it first, or use another name)" : "");
	} else if (write(fd, line, PUBKEY_B64_LEN + 1) !=
	    (ssize_t)(PUBKEY_B64_LEN + 1) || fsync(fd) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
	} else if (close(fd) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(path);
	} else {
		rc = 0;
	}
	sodium_memzero(seed, sizeof seed);
	sodium_memzero(sk, sizeof sk);
	sodium_memzero(line, sizeof line);
	return rc;
}

static size_t
pubkey_msg(const uint8_t *binding, size_t len, uint8_t msg[PUBKEY_MSG_MAX])
{
	if (len > PUBKEY_MSG_MAX - PUBKEY_CONTEXT_LEN)
		len = PUBKEY_MSG_MAX - PUBKEY_CONTEXT_LEN;
	memcpy(msg, PUBKEY_CONTEXT, PUBKEY_CONTEXT_LEN);
	memcpy(msg + PUBKEY_CONTEXT_LEN, binding, len);
	return PUBKEY_CONTEXT_LEN + len;
}

void
pubkey_sign(const uint8_t sk[PUBKEY_SECRET], const uint8_t *binding,
    size_t len, uint8_t sig[PUBKEY_SIG_LEN])
{
	uint8_t msg[PUBKEY_MSG_MAX];
	size_t n = pubkey_msg(binding, len, msg);

	crypto_sign_detached(sig, NULL, msg, n, sk);
}

int
pubkey_verify(const uint8_t pk[PUBKEY_LEN], const uint8_t *binding,
    size_t len, const uint8_t *sig, size_t siglen)
{
	uint8_t msg[PUBKEY_MSG_MAX];
	size_t n = pubkey_msg(binding, len, msg);

	if (siglen != PUBKEY_SIG_LEN)
		return 0;
	return crypto_sign_verify_detached(sig, msg, n, pk) == 0;
}

void
pubkey_dummy(uint8_t pk[PUBKEY_LEN])
{
	static uint8_t dummy[PUBKEY_LEN];
	static int made;
	uint8_t sk[PUBKEY_SECRET];

	if (!made) {
		crypto_sign_keypair(dummy, sk);
		sodium_memzero(sk, sizeof sk);
		made = 1;
	}
	memcpy(pk, dummy, PUBKEY_LEN);
}
