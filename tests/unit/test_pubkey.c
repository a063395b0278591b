/*
 * test_pubkey.c: login keys: a generated file loads back to the key it
 * printed, is 0600 and never written over; a signature verifies for its
 * binding only, with its key only, whole only; public keys parse from
 * exactly 32 bytes of base64 and nothing else; key files that are not
 * keys are refused; the dummy key for unknown users is one key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>

#include "pubkey.h"

static char dir[] = "/tmp/test_pubkey.XXXXXX";

static int
setup(void **state)
{
	(void)state;
	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
path_of(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", dir, name);
}

static void
write_file(const char *name, const char *text)
{
	char p[256];
	FILE *f;

	path_of(p, sizeof p, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
test_generate_load(void **state)
{
	uint8_t pk[PUBKEY_LEN], pk2[PUBKEY_LEN], sk[PUBKEY_SECRET];
	uint8_t other[PUBKEY_LEN];
	char p[256], err[512];
	struct stat st;

	(void)state;
	path_of(p, sizeof p, "k1");
	assert_int_equal(pubkey_generate(p, pk, err, sizeof err), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, PUBKEY_B64_LEN + 1);
	assert_int_equal(pubkey_load("--key-file", p, sk, pk2, err,
	    sizeof err), 0);
	assert_memory_equal(pk, pk2, PUBKEY_LEN);
	/* Never over a file that exists: the first key stays. */
	assert_int_equal(pubkey_generate(p, other, err, sizeof err), -1);
	assert_non_null(strstr(err, "never written over"));
	assert_int_equal(pubkey_load("--key-file", p, sk, pk2, err,
	    sizeof err), 0);
	assert_memory_equal(pk, pk2, PUBKEY_LEN);
	/* Two keys differ. */
	path_of(p, sizeof p, "k2");
	assert_int_equal(pubkey_generate(p, other, err, sizeof err), 0);
	assert_memory_not_equal(pk, other, PUBKEY_LEN);
}

static void
test_text(void **state)
{
	uint8_t pk[PUBKEY_LEN], back[PUBKEY_LEN];
	char b64[PUBKEY_B64_LEN + 1], why[256], buf[80];

	(void)state;
	randombytes_buf(pk, sizeof pk);
	pubkey_b64(pk, b64);
	assert_int_equal(strlen(b64), PUBKEY_B64_LEN);
	assert_int_equal(pubkey_parse(b64, back, why, sizeof why), 0);
	assert_memory_equal(pk, back, PUBKEY_LEN);
	assert_int_equal(pubkey_check(b64, why, sizeof why), 0);
	/* Short, long, trailing bytes, a bad character, no padding. */
	assert_int_equal(pubkey_parse("abc", back, why, sizeof why), -1);
	assert_non_null(strstr(why, "32 bytes in base64"));
	snprintf(buf, sizeof buf, "%sAAAA", b64);
	assert_int_equal(pubkey_parse(buf, back, why, sizeof why), -1);
	snprintf(buf, sizeof buf, "%s ", b64);
	assert_int_equal(pubkey_parse(buf, back, why, sizeof why), -1);
	snprintf(buf, sizeof buf, "%s", b64);
	buf[10] = '*';
	assert_int_equal(pubkey_parse(buf, back, why, sizeof why), -1);
	snprintf(buf, sizeof buf, "%s", b64);
	buf[PUBKEY_B64_LEN - 1] = 'A';	/* '=' replaced: 33 bytes' worth */
	assert_int_equal(pubkey_check(buf, why, sizeof why), -1);
	/* 33 bytes in base64 is 44 characters too, without padding. */
	uint8_t b33[33];
	memset(b33, 7, sizeof b33);
	sodium_bin2base64(buf, sizeof buf, b33, sizeof b33,
	    sodium_base64_VARIANT_ORIGINAL);
	assert_int_equal(strlen(buf), PUBKEY_B64_LEN);
	assert_int_equal(pubkey_parse(buf, back, why, sizeof why), -1);
}

static void
test_sign_verify(void **state)
{
	uint8_t pk[PUBKEY_LEN], pk2[PUBKEY_LEN], sk[PUBKEY_SECRET];
	uint8_t sk2[PUBKEY_SECRET], binding[32], sig[PUBKEY_SIG_LEN];
	char p[256], err[512];

	(void)state;
	path_of(p, sizeof p, "s1");
	assert_int_equal(pubkey_generate(p, pk, err, sizeof err), 0);
	assert_int_equal(pubkey_load("k", p, sk, pk, err, sizeof err), 0);
	path_of(p, sizeof p, "s2");
	assert_int_equal(pubkey_generate(p, pk2, err, sizeof err), 0);
	assert_int_equal(pubkey_load("k", p, sk2, pk2, err, sizeof err), 0);
	randombytes_buf(binding, sizeof binding);
	pubkey_sign(sk, binding, sizeof binding, sig);
	assert_int_equal(pubkey_verify(pk, binding, sizeof binding, sig,
	    sizeof sig), 1);
	/* Another key's public half, another binding, a flipped bit, a
	 * short signature: all refused. */
	assert_int_equal(pubkey_verify(pk2, binding, sizeof binding, sig,
	    sizeof sig), 0);
	binding[0] ^= 1;
	assert_int_equal(pubkey_verify(pk, binding, sizeof binding, sig,
	    sizeof sig), 0);
	binding[0] ^= 1;
	for (size_t i = 0; i < sizeof sig; i += 7) {
		sig[i] ^= 0x20;
		assert_int_equal(pubkey_verify(pk, binding, sizeof binding,
		    sig, sizeof sig), 0);
		sig[i] ^= 0x20;
	}
	assert_int_equal(pubkey_verify(pk, binding, sizeof binding, sig,
	    sizeof sig - 1), 0);
	assert_int_equal(pubkey_verify(pk, binding, sizeof binding, sig,
	    sizeof sig), 1);
	/* The dummy key (unknown users) is one key, and refuses this. */
	uint8_t d1[PUBKEY_LEN], d2[PUBKEY_LEN];
	pubkey_dummy(d1);
	pubkey_dummy(d2);
	assert_memory_equal(d1, d2, PUBKEY_LEN);
	assert_int_equal(pubkey_verify(d1, binding, sizeof binding, sig,
	    sizeof sig), 0);
	/* A plain signature of the binding (no context) is not a login. */
	crypto_sign_detached(sig, NULL, binding, sizeof binding, sk);
	assert_int_equal(pubkey_verify(pk, binding, sizeof binding, sig,
	    sizeof sig), 0);
}

static void
test_bad_files(void **state)
{
	uint8_t pk[PUBKEY_LEN], sk[PUBKEY_SECRET], seed[32];
	char p[256], err[512], line[80];

	(void)state;
	path_of(p, sizeof p, "missing");
	assert_int_equal(pubkey_load("--key-file", p, sk, pk, err,
	    sizeof err), -1);
	assert_non_null(strstr(err, "--key-file"));
	assert_non_null(strstr(err, "No such file"));
	write_file("empty", "");
	path_of(p, sizeof p, "empty");
	assert_int_equal(pubkey_load("--key-file", p, sk, pk, err,
	    sizeof err), -1);
	assert_non_null(strstr(err, "not a private key"));
	write_file("password", "correct horse battery staple\n");
	path_of(p, sizeof p, "password");
	assert_int_equal(pubkey_load("--key-file", p, sk, pk, err,
	    sizeof err), -1);
	/* A seed with CRLF and a comment line after it loads. */
	randombytes_buf(seed, sizeof seed);
	sodium_bin2base64(line, sizeof line, seed, sizeof seed,
	    sodium_base64_VARIANT_ORIGINAL);
	strcat(line, "\r\n# made by hand\n");
	write_file("crlf", line);
	path_of(p, sizeof p, "crlf");
	assert_int_equal(pubkey_load("--key-file", p, sk, pk, err,
	    sizeof err), 0);
	uint8_t want_pk[PUBKEY_LEN], want_sk[PUBKEY_SECRET];
	crypto_sign_seed_keypair(want_pk, want_sk, seed);
	assert_memory_equal(pk, want_pk, PUBKEY_LEN);
	/* The seed with a character missing is refused. */
	line[PUBKEY_B64_LEN - 2] = '\n';
	line[PUBKEY_B64_LEN - 1] = '\0';
	write_file("short", line);
	path_of(p, sizeof p, "short");
	assert_int_equal(pubkey_load("--key-file", p, sk, pk, err,
	    sizeof err), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate_load),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_bad_files),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
