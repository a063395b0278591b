/*
 * cert.c: the hub's TLS identity on disk: first-start generation of a
 * self-signed P-256 certificate and key, load-time checks of the pair, and
 * the SHA-256 certificate fingerprints that clients pin.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>

#include "cert.h"
#include "log.h"

#define CERT_SHA256_LEN     32u
#define CERT_SERIAL_LEN     16u
#define CERT_VALID_YEARS    20
#define CERT_BACKDATE_SECS  (24 * 60 * 60)  /* tolerate clients' clock skew */
#define CERT_TIME_LEN       15u   /* "YYYYMMDDhhmmss" + NUL */
#define CERT_CN_MAX         64u   /* ub-common-name, RFC 5280 */
#define CERT_NAME_MAX       (CERT_CN_MAX + 32u)
#define CERT_PEM_MAX        4096u /* P-256 key and certificate fit easily */
#define CERT_DIR_MODE       0700
#define CERT_KEY_MODE       0600
#define CERT_CRT_MODE       0644
#define CERT_TMP_TRIES      8
#define CERT_ERRTEXT_MAX    160u
#define CERT_FP_PREFIX      "SHA256:"

static void cert_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
cert_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void
cert_mbed_err(char *err, size_t errlen, const char *path, const char *what,
    int ret)
{
	char text[CERT_ERRTEXT_MAX];

	mbedtls_strerror(ret, text, sizeof text);
	cert_err(err, errlen, "%s: %s: %s", path, what, text);
}

/* ---- Fingerprints ------------------------------------------------------ */

void
cert_fingerprint_der(const unsigned char *der, size_t len,
    char hex[CERT_FP_HEX])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[CERT_SHA256_LEN];
	size_t i;

	if (der == NULL)
		len = 0;
	if (mbedtls_sha256_ret(der, len, md, 0) != 0)
		memset(md, 0, sizeof md);
	for (i = 0; i < sizeof md; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0x0f];
	}
	hex[2 * sizeof md] = '\0';
}

int
cert_fingerprint_file(const char *path, char hex[CERT_FP_HEX], char *err,
    size_t errlen)
{
	mbedtls_x509_crt crt;
	int ret, rc = -1;

	if (path == NULL || hex == NULL) {
		cert_err(err, errlen, "no certificate file given");
		return -1;
	}
	hex[0] = '\0';
	mbedtls_x509_crt_init(&crt);
	ret = mbedtls_x509_crt_parse_file(&crt, path);
	if (ret < 0)
		cert_mbed_err(err, errlen, path, "cannot load certificate",
		    ret);
	else if (ret > 0)
		/* Whatever did parse might not be the file's first. */
		cert_err(err, errlen, "%s: %d certificate(s) failed to parse",
		    path, ret);
	else {
		cert_fingerprint_der(crt.raw.p, crt.raw.len, hex);
		rc = 0;
	}
	mbedtls_x509_crt_free(&crt);
	return rc;
}

static int
cert_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * ':' may only follow a complete byte ("ab:cd"), never lead, trail or
 * repeat, so typos are not silently absorbed.
 */
int
cert_fingerprint_parse(const char *in, char hex[CERT_FP_HEX])
{
	static const char digits[] = "0123456789abcdef";
	size_t plen = sizeof CERT_FP_PREFIX - 1;
	size_t n = 0;
	int v, prev_colon = 0;

	if (hex == NULL)
		return -1;
	hex[0] = '\0';
	if (in == NULL)
		return -1;
	if (strncasecmp(in, CERT_FP_PREFIX, plen) == 0)
		in += plen;
	for (; *in != '\0'; in++) {
		if (*in == ':') {
			if (n == 0 || n % 2 != 0 || prev_colon)
				goto bad;
			prev_colon = 1;
			continue;
		}
		prev_colon = 0;
		if ((v = cert_hexval(*in)) < 0 || n >= CERT_FP_HEX - 1)
			goto bad;
		hex[n++] = digits[v];
	}
	if (prev_colon || n != CERT_FP_HEX - 1)
		goto bad;
	hex[n] = '\0';
	return 0;
bad:
	hex[0] = '\0';
	return -1;
}

/* ---- Files ------------------------------------------------------------- */

/* 1 if something is at path (even a dangling link), 0 if not, -1 error. */
static int
cert_exists(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(path, &st) == 0)
		return 1;
	if (errno == ENOENT)
		return 0;
	cert_err(err, errlen, "%s: %s", path, strerror(errno));
	return -1;
}

/* mkdir -p of the directory holding path. */
static int
cert_mkdirs(const char *path, char *err, size_t errlen)
{
	struct stat st;
	char *dir, *p, c;
	int rc = 0;

	if ((dir = strdup(path)) == NULL) {
		cert_err(err, errlen, "%s: out of memory", path);
		return -1;
	}
	if ((p = strrchr(dir, '/')) == NULL || p == dir)
		goto out;
	*p = '\0';
	for (p = dir + 1; rc == 0; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (stat(dir, &st) != 0) {
			if (errno != ENOENT ||
			    (mkdir(dir, CERT_DIR_MODE) != 0 && errno != EEXIST)) {
				cert_err(err, errlen, "%s: cannot create "
				    "directory: %s", dir, strerror(errno));
				rc = -1;
			}
		} else if (!S_ISDIR(st.st_mode)) {
			cert_err(err, errlen, "%s: not a directory", dir);
			rc = -1;
		}
		*p = c;
		if (c == '\0')
			break;
	}
out:
	free(dir);
	return rc;
}

static void
cert_sync_dir(const char *path)
{
	char *dir, *p;
	int fd;

	if ((dir = strdup(path)) == NULL)
		return;
	if ((p = strrchr(dir, '/')) == NULL)
		strcpy(dir, ".");
	else if (p == dir)
		p[1] = '\0';
	else
		*p = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
}

/*
 * Write data to a fresh, exclusively created file beside path; its name
 * goes to tmp (allocated). The caller renames it into place.
 */
static int
cert_write_tmp(const char *path, const unsigned char *data, size_t len,
    mode_t mode, mbedtls_ctr_drbg_context *drbg, char **tmp, char *err,
    size_t errlen)
{
	unsigned char r[4];
	size_t size = strlen(path) + 32, off;
	ssize_t n;
	int fd = -1, i;

	if ((*tmp = malloc(size)) == NULL) {
		cert_err(err, errlen, "%s: out of memory", path);
		return -1;
	}
	for (i = 0; i < CERT_TMP_TRIES && fd < 0; i++) {
		if (mbedtls_ctr_drbg_random(drbg, r, sizeof r) != 0)
			memset(r, i, sizeof r);
		snprintf(*tmp, size, "%s.tmp-%02x%02x%02x%02x", path, r[0],
		    r[1], r[2], r[3]);
		fd = open(*tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC |
		    O_NOFOLLOW, mode);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		cert_err(err, errlen, "%s: cannot create: %s", *tmp,
		    strerror(errno));
		goto fail;
	}
	/* The umask may have narrowed a public file; a key stays 0600. */
	if (fchmod(fd, mode) != 0) {
		cert_err(err, errlen, "%s: chmod: %s", *tmp, strerror(errno));
		goto fail_unlink;
	}
	for (off = 0; off < len; off += (size_t)n) {
		n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0) {
			cert_err(err, errlen, "%s: write: %s", *tmp,
			    n < 0 ? strerror(errno) : "short write");
			goto fail_unlink;
		}
	}
	if (fsync(fd) != 0) {
		cert_err(err, errlen, "%s: fsync: %s", *tmp, strerror(errno));
		goto fail_unlink;
	}
	if (close(fd) != 0) {
		fd = -1;
		cert_err(err, errlen, "%s: close: %s", *tmp, strerror(errno));
		goto fail_unlink;
	}
	return 0;
fail_unlink:
	if (fd >= 0)
		close(fd);
	unlink(*tmp);
fail:
	free(*tmp);
	*tmp = NULL;
	return -1;
}

/* ---- Generation -------------------------------------------------------- */

static int
cert_check_cn(const char *cn, char *err, size_t errlen)
{
	size_t i, n;
	unsigned char c;

	n = strnlen(cn, CERT_CN_MAX + 1);
	if (n == 0 || n > CERT_CN_MAX) {
		cert_err(err, errlen, "certificate common name must be 1 to "
		    "%u characters", CERT_CN_MAX);
		return -1;
	}
	/* mbedTLS's name parser cannot escape these. */
	for (i = 0; i < n; i++) {
		c = (unsigned char)cn[i];
		if (c < 0x20 || c > 0x7e || c == ',' || c == '\\' ||
		    c == '=') {
			cert_err(err, errlen, "certificate common name \"%.*s\" "
			    "may only hold printable ASCII without ',', '=' "
			    "or '\\'", (int)n, cn);
			return -1;
		}
	}
	return 0;
}

static int
cert_time(time_t t, char out[CERT_TIME_LEN])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	return strftime(out, CERT_TIME_LEN, "%Y%m%d%H%M%S", &tm) ==
	    CERT_TIME_LEN - 1 ? 0 : -1;
}

static int
cert_validity(char from[CERT_TIME_LEN], char until[CERT_TIME_LEN])
{
	time_t now = time(NULL), end;
	struct tm tm;

	if (gmtime_r(&now, &tm) == NULL)
		return -1;
	/* timegm folds 29 February into 1 March when needed. */
	tm.tm_year += CERT_VALID_YEARS;
	if ((end = timegm(&tm)) == (time_t)-1)
		return -1;
	if (cert_time(now - CERT_BACKDATE_SECS, from) != 0 ||
	    cert_time(end, until) != 0)
		return -1;
	return 0;
}

/* Build the key and certificate as PEM into the two buffers. */
static int
cert_build(const char *cn, const char *key_path,
    mbedtls_ctr_drbg_context *drbg, unsigned char *key_pem,
    unsigned char *crt_pem, char *err, size_t errlen)
{
	mbedtls_pk_context key;
	mbedtls_x509write_cert crt;
	mbedtls_mpi serial;
	unsigned char sb[CERT_SERIAL_LEN];
	char name[CERT_NAME_MAX], from[CERT_TIME_LEN], until[CERT_TIME_LEN];
	const char *what;
	int ret, rc = -1;

	mbedtls_pk_init(&key);
	mbedtls_x509write_crt_init(&crt);
	mbedtls_mpi_init(&serial);

	what = "cannot generate key";
	if ((ret = mbedtls_pk_setup(&key,
	    mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY))) != 0 ||
	    (ret = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1,
	    mbedtls_pk_ec(key), mbedtls_ctr_drbg_random, drbg)) != 0)
		goto out;

	what = "cannot make serial number";
	if ((ret = mbedtls_ctr_drbg_random(drbg, sb, sizeof sb)) != 0)
		goto out;
	/* Positive, and a full CERT_SERIAL_LEN bytes long. */
	sb[0] = (unsigned char)((sb[0] & 0x7f) | 0x40);
	if ((ret = mbedtls_mpi_read_binary(&serial, sb, sizeof sb)) != 0)
		goto out;

	if (cert_validity(from, until) != 0) {
		cert_err(err, errlen, "cannot format the validity dates");
		goto out_quiet;
	}
	snprintf(name, sizeof name, "CN=%s,O=softether", cn);

	what = "cannot build certificate";
	mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(&crt, &key);
	mbedtls_x509write_crt_set_issuer_key(&crt, &key);
	if ((ret = mbedtls_x509write_crt_set_subject_name(&crt, name)) != 0 ||
	    (ret = mbedtls_x509write_crt_set_issuer_name(&crt, name)) != 0 ||
	    (ret = mbedtls_x509write_crt_set_serial(&crt, &serial)) != 0 ||
	    (ret = mbedtls_x509write_crt_set_validity(&crt, from,
	    until)) != 0 ||
	    (ret = mbedtls_x509write_crt_set_basic_constraints(&crt, 0,
	    -1)) != 0 ||
	    (ret = mbedtls_x509write_crt_set_key_usage(&crt,
	    MBEDTLS_X509_KU_DIGITAL_SIGNATURE)) != 0)
		goto out;

	what = "cannot sign certificate";
	if ((ret = mbedtls_x509write_crt_pem(&crt, crt_pem, CERT_PEM_MAX,
	    mbedtls_ctr_drbg_random, drbg)) != 0)
		goto out;
	what = "cannot encode key";
	if ((ret = mbedtls_pk_write_key_pem(&key, key_pem,
	    CERT_PEM_MAX)) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		cert_mbed_err(err, errlen, key_path, what, ret);
out_quiet:
	mbedtls_platform_zeroize(sb, sizeof sb);
	mbedtls_mpi_free(&serial);
	mbedtls_x509write_crt_free(&crt);
	mbedtls_pk_free(&key);
	return rc;
}

static int
cert_generate(const char *cert_path, const char *key_path, const char *cn,
    char *err, size_t errlen)
{
	static const char pers[] = "softether cert";
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	unsigned char *key_pem = NULL, *crt_pem = NULL;
	char *key_tmp = NULL, *crt_tmp = NULL;
	int ret, rc = -1;

	if (cert_check_cn(cn, err, errlen) != 0 ||
	    cert_mkdirs(key_path, err, errlen) != 0 ||
	    cert_mkdirs(cert_path, err, errlen) != 0)
		return -1;

	mbedtls_entropy_init(&entropy);
	mbedtls_ctr_drbg_init(&drbg);
	if ((ret = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy,
	    (const unsigned char *)pers, sizeof pers - 1)) != 0) {
		cert_mbed_err(err, errlen, key_path, "cannot seed generator",
		    ret);
		goto out;
	}
	key_pem = calloc(1, CERT_PEM_MAX);
	crt_pem = calloc(1, CERT_PEM_MAX);
	if (key_pem == NULL || crt_pem == NULL) {
		cert_err(err, errlen, "%s: out of memory", key_path);
		goto out;
	}
	if (cert_build(cn, key_path, &drbg, key_pem, crt_pem, err, errlen) != 0)
		goto out;

	/*
	 * Both files are complete on disk before either gets its name, so a
	 * crash leaves at most stray temporaries, not half a pair.
	 */
	if (cert_write_tmp(key_path, key_pem, strlen((char *)key_pem),
	    CERT_KEY_MODE, &drbg, &key_tmp, err, errlen) != 0)
		goto out;
	if (cert_write_tmp(cert_path, crt_pem, strlen((char *)crt_pem),
	    CERT_CRT_MODE, &drbg, &crt_tmp, err, errlen) != 0)
		goto out;
	if (rename(key_tmp, key_path) != 0) {
		cert_err(err, errlen, "%s: cannot rename into place: %s",
		    key_path, strerror(errno));
		goto out;
	}
	if (rename(crt_tmp, cert_path) != 0) {
		cert_err(err, errlen, "%s: cannot rename into place: %s",
		    cert_path, strerror(errno));
		/* A lone key would block the next start. */
		unlink(key_path);
		goto out;
	}
	free(key_tmp);
	free(crt_tmp);
	key_tmp = crt_tmp = NULL;
	cert_sync_dir(key_path);
	cert_sync_dir(cert_path);
	rc = 1;
out:
	if (key_tmp != NULL) {
		unlink(key_tmp);
		free(key_tmp);
	}
	if (crt_tmp != NULL) {
		unlink(crt_tmp);
		free(crt_tmp);
	}
	if (key_pem != NULL) {
		mbedtls_platform_zeroize(key_pem, CERT_PEM_MAX);
		free(key_pem);
	}
	free(crt_pem);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&entropy);
	return rc;
}

/* ---- Loading ----------------------------------------------------------- */

static int
cert_load(const char *cert_path, const char *key_path, char *err,
    size_t errlen)
{
	mbedtls_x509_crt crt;
	mbedtls_pk_context key;
	struct stat st;
	int ret, rc = -1;

	mbedtls_x509_crt_init(&crt);
	mbedtls_pk_init(&key);
	if ((ret = mbedtls_x509_crt_parse_file(&crt, cert_path)) < 0) {
		cert_mbed_err(err, errlen, cert_path,
		    "cannot load certificate", ret);
		goto out;
	}
	if (ret > 0) {
		cert_err(err, errlen, "%s: %d certificate(s) failed to parse",
		    cert_path, ret);
		goto out;
	}
	if ((ret = mbedtls_pk_parse_keyfile(&key, key_path, NULL)) != 0) {
		cert_mbed_err(err, errlen, key_path, "cannot load private key",
		    ret);
		goto out;
	}
	if ((ret = mbedtls_pk_check_pair(&crt.pk, &key)) != 0) {
		char what[CERT_ERRTEXT_MAX + 64];

		snprintf(what, sizeof what, "does not match the key in %s",
		    key_path);
		cert_mbed_err(err, errlen, cert_path, what, ret);
		goto out;
	}
	if (mbedtls_x509_time_is_past(&crt.valid_to))
		log_warn("%s: certificate has expired", cert_path);
	if (stat(key_path, &st) == 0 && (st.st_mode & 077) != 0)
		log_warn("%s: private key is readable by other users "
		    "(mode %04o)", key_path, (unsigned)(st.st_mode & 07777));
	rc = 0;
out:
	mbedtls_pk_free(&key);
	mbedtls_x509_crt_free(&crt);
	return rc;
}

int
cert_ensure(const char *cert_path, const char *key_path,
    const char *common_name, char *err, size_t errlen)
{
	int have_cert, have_key;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (cert_path == NULL || key_path == NULL || common_name == NULL ||
	    cert_path[0] == '\0' || key_path[0] == '\0') {
		cert_err(err, errlen, "certificate and key paths are required");
		return -1;
	}
	if (strcmp(cert_path, key_path) == 0) {
		cert_err(err, errlen, "%s: certificate and key must be "
		    "separate files", cert_path);
		return -1;
	}
	if ((have_cert = cert_exists(cert_path, err, errlen)) < 0 ||
	    (have_key = cert_exists(key_path, err, errlen)) < 0)
		return -1;
	if (have_cert && have_key)
		return cert_load(cert_path, key_path, err, errlen);
	if (have_cert || have_key) {
		cert_err(err, errlen, "%s exists but %s does not; remove it or "
		    "provide both", have_cert ? cert_path : key_path,
		    have_cert ? key_path : cert_path);
		return -1;
	}
	return cert_generate(cert_path, key_path, common_name, err, errlen);
}
