/*
 * test_cert.c: first-start generation of the hub's certificate and key,
 * the load-time pair checks, and fingerprint computing and parsing.
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
#include <unistd.h>

#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "cert.h"
#include "rmtree.h"

#define ERRLEN 512
#define DIRLEN 64
#define PATHLEN 128

struct pair {
	char dir[DIRLEN];
	char crt[PATHLEN];
	char key[PATHLEN];
};

/* A fresh directory; the files go two levels below it. */
static void
pair_init(struct pair *p)
{
	snprintf(p->dir, sizeof p->dir, "/tmp/softether-cert-XXXXXX");
	assert_non_null(mkdtemp(p->dir));
	snprintf(p->crt, sizeof p->crt, "%s/a/b/hub.crt", p->dir);
	snprintf(p->key, sizeof p->key, "%s/a/b/hub.key", p->dir);
}

static void
write_file(const char *path, const char *data)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(data, f);
	assert_int_equal(fclose(f), 0);
}

static void
copy_file(const char *from, const char *to)
{
	char buf[8192];
	size_t n;
	FILE *in = fopen(from, "rb"), *out;

	assert_non_null(in);
	n = fread(buf, 1, sizeof buf, in);
	fclose(in);
	assert_non_null(out = fopen(to, "wb"));
	assert_int_equal(fwrite(buf, 1, n, out), n);
	assert_int_equal(fclose(out), 0);
}

static int
is_fp_hex(const char *s)
{
	size_t i;

	if (strlen(s) != CERT_FP_HEX - 1)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static void
test_generate_then_load(void **state)
{
	struct pair p;
	struct stat st;
	char err[ERRLEN], fp1[CERT_FP_HEX], fp2[CERT_FP_HEX], fp3[CERT_FP_HEX];
	char dn[256], sub[PATHLEN];
	mbedtls_x509_crt crt;
	uint32_t flags;

	(void)state;
	pair_init(&p);
	assert_int_equal(cert_ensure(p.crt, p.key, "test-hub", err,
	    sizeof err), 1);

	assert_int_equal(stat(p.key, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(p.crt, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	snprintf(sub, sizeof sub, "%s/a", p.dir);
	assert_int_equal(stat(sub, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0077, 0);

	assert_int_equal(cert_fingerprint_file(p.crt, fp1, err, sizeof err),
	    0);
	assert_true(is_fp_hex(fp1));
	/* Loading leaves the files alone. */
	assert_int_equal(cert_ensure(p.crt, p.key, "test-hub", err,
	    sizeof err), 0);
	assert_int_equal(cert_fingerprint_file(p.crt, fp2, err, sizeof err),
	    0);
	assert_string_equal(fp1, fp2);

	/* What was written is what the header promises. */
	mbedtls_x509_crt_init(&crt);
	assert_int_equal(mbedtls_x509_crt_parse_file(&crt, p.crt), 0);
	cert_fingerprint_der(crt.raw.p, crt.raw.len, fp3);
	assert_string_equal(fp1, fp3);
	assert_true(mbedtls_x509_dn_gets(dn, sizeof dn, &crt.subject) > 0);
	assert_string_equal(dn, "CN=test-hub, O=softether");
	assert_true(mbedtls_x509_dn_gets(dn, sizeof dn, &crt.issuer) > 0);
	assert_string_equal(dn, "CN=test-hub, O=softether");
	assert_int_equal(crt.serial.len, 16);
	assert_true((crt.serial.p[0] & 0x80) == 0);
	assert_int_equal(crt.version, 3);
	assert_int_equal(crt.sig_md, MBEDTLS_MD_SHA256);
	assert_int_equal(mbedtls_pk_get_type(&crt.pk), MBEDTLS_PK_ECKEY);
	assert_int_equal(mbedtls_pk_ec(crt.pk)->grp.id,
	    MBEDTLS_ECP_DP_SECP256R1);
	assert_false(crt.ca_istrue);
	assert_int_equal(crt.valid_to.year - crt.valid_from.year, 20);
	assert_false(mbedtls_x509_time_is_future(&crt.valid_from));
	/* Self-signed with a valid signature: it trusts itself as a pin. */
	assert_int_equal(mbedtls_x509_crt_verify(&crt, &crt, NULL, NULL,
	    &flags, NULL, NULL), 0);
	mbedtls_x509_crt_free(&crt);

	rmtree(p.dir);
}

static void
test_corrupt_key(void **state)
{
	struct pair p;
	char err[ERRLEN];

	(void)state;
	pair_init(&p);
	assert_int_equal(cert_ensure(p.crt, p.key, "hub", err, sizeof err), 1);
	write_file(p.key, "-----BEGIN EC PRIVATE KEY-----\nnope\n"
	    "-----END EC PRIVATE KEY-----\n");
	err[0] = '\0';
	assert_int_equal(cert_ensure(p.crt, p.key, "hub", err, sizeof err),
	    -1);
	assert_non_null(strstr(err, p.key));

	write_file(p.crt, "not a certificate\n");
	err[0] = '\0';
	assert_int_equal(cert_ensure(p.crt, p.key, "hub", err, sizeof err),
	    -1);
	assert_non_null(strstr(err, p.crt));
	err[0] = '\0';
	assert_int_equal(cert_fingerprint_file(p.crt, (char[CERT_FP_HEX]){ 0 },
	    err, sizeof err), -1);
	assert_non_null(strstr(err, p.crt));
	rmtree(p.dir);
}

static void
test_half_pair(void **state)
{
	struct pair p;
	char err[ERRLEN], before[CERT_FP_HEX], after[CERT_FP_HEX];
	struct stat st;

	(void)state;
	pair_init(&p);
	assert_int_equal(cert_ensure(p.crt, p.key, "hub", err, sizeof err), 1);
	assert_int_equal(cert_fingerprint_file(p.crt, before, err,
	    sizeof err), 0);

	/* Only the certificate: refused, and the certificate kept. */
	assert_int_equal(unlink(p.key), 0);
	err[0] = '\0';
	assert_int_equal(cert_ensure(p.crt, p.key, "hub", err, sizeof err),
	    -1);
	assert_non_null(strstr(err, p.crt));
	assert_non_null(strstr(err, p.key));
	assert_int_equal(stat(p.key, &st), -1);
	assert_int_equal(cert_fingerprint_file(p.crt, after, err, sizeof err),
	    0);
	assert_string_equal(before, after);

	/* Only the key: refused too. */
	assert_int_equal(unlink(p.crt), 0);
	write_file(p.key, "stand-in\n");
	err[0] = '\0';
	assert_int_equal(cert_ensure(p.crt, p.key, "hub", err, sizeof err),
	    -1);
	assert_non_null(strstr(err, p.key));
	assert_int_equal(stat(p.crt, &st), -1);
	rmtree(p.dir);
}

static void
test_mismatched_pair(void **state)
{
	struct pair p, q;
	char err[ERRLEN];

	(void)state;
	pair_init(&p);
	pair_init(&q);
	assert_int_equal(cert_ensure(p.crt, p.key, "one", err, sizeof err), 1);
	assert_int_equal(cert_ensure(q.crt, q.key, "two", err, sizeof err), 1);
	copy_file(q.key, p.key);
	err[0] = '\0';
	assert_int_equal(cert_ensure(p.crt, p.key, "one", err, sizeof err),
	    -1);
	assert_non_null(strstr(err, p.crt));
	assert_non_null(strstr(err, "does not match"));
	rmtree(p.dir);
	rmtree(q.dir);
}

static void
test_bad_arguments(void **state)
{
	struct pair p;
	char err[ERRLEN], cn[100], path[PATHLEN];
	struct stat st;

	(void)state;
	pair_init(&p);
	assert_int_equal(cert_ensure(p.crt, p.key, "a,b", err, sizeof err),
	    -1);
	assert_int_equal(cert_ensure(p.crt, p.key, "", err, sizeof err), -1);
	memset(cn, 'x', sizeof cn - 1);
	cn[sizeof cn - 1] = '\0';
	assert_int_equal(cert_ensure(p.crt, p.key, cn, err, sizeof err), -1);
	assert_int_equal(stat(p.key, &st), -1);
	assert_int_equal(cert_ensure(p.crt, p.crt, "hub", err, sizeof err),
	    -1);
	assert_int_equal(cert_ensure(NULL, p.key, "hub", err, sizeof err), -1);
	/* No room for a message is fine too. */
	assert_int_equal(cert_ensure(p.crt, p.key, "a,b", NULL, 0), -1);
	/* A file where a directory should be. */
	snprintf(path, sizeof path, "%s/f", p.dir);
	write_file(path, "x");
	snprintf(p.crt, sizeof p.crt, "%s/f/hub.crt", p.dir);
	snprintf(p.key, sizeof p.key, "%s/f/hub.key", p.dir);
	err[0] = '\0';
	assert_int_equal(cert_ensure(p.crt, p.key, "hub", err, sizeof err),
	    -1);
	assert_true(err[0] != '\0');
	rmtree(p.dir);
}

static void
test_fingerprint_der(void **state)
{
	char hex[CERT_FP_HEX];

	(void)state;
	cert_fingerprint_der((const unsigned char *)"abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	cert_fingerprint_der(NULL, 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
}

static void
test_fingerprint_parse(void **state)
{
	static const char want[] = "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad";
	static const char *const good[] = {
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		"BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
		"SHA256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		"sha256:BA7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015AD",
		"BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:"
		    "B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD",
		"SHA256:ba:78:16:bf:8f:01:cf:ea:41:41:40:de:5d:ae:22:23:"
		    "b0:03:61:a3:96:17:7a:9c:b4:10:ff:61:f2:00:15:ad",
	};
	static const char *const bad[] = {
		"",
		"SHA256:",
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad0",
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ag",
		":ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad:",
		"ba::7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		"b:a7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		" ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		"SHA1:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		"SHA256:SHA256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
		    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
	};
	char hex[CERT_FP_HEX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		memset(hex, 'z', sizeof hex);
		assert_int_equal(cert_fingerprint_parse(good[i], hex), 0);
		assert_string_equal(hex, want);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(hex, 'z', sizeof hex);
		assert_int_equal(cert_fingerprint_parse(bad[i], hex), -1);
		assert_string_equal(hex, "");
	}
	assert_int_equal(cert_fingerprint_parse(NULL, hex), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate_then_load),
		cmocka_unit_test(test_corrupt_key),
		cmocka_unit_test(test_half_pair),
		cmocka_unit_test(test_mismatched_pair),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_fingerprint_der),
		cmocka_unit_test(test_fingerprint_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
