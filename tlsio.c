/*
 * tlsio.c: mbedTLS over libevent buffers. The BIO callbacks move bytes
 * between mbedTLS and the connection's evbuffers; mbedTLS asks for exactly
 * one record at a time, so bytes after the last TLS record (the data channel)
 * stay in the input buffer untouched.
 */
#include <string.h>
#include <event2/buffer.h>
#include <mbedtls/error.h>
#include <mbedtls/ssl_ciphersuites.h>

#include "cert.h"
#include "tlsio.h"

/* TLS 1.2, ECDHE and AEAD only. */
static const int tlsio_suites[] = {
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	0
};

static void
tlsio_strerror(int rc, const char *what, char *err, size_t errlen)
{
	char buf[160];

	mbedtls_strerror(rc, buf, sizeof buf);
	snprintf(err, errlen, "%s: %s (-0x%04x)", what, buf, (unsigned)-rc);
}

static int
tlsio_prf(mbedtls_tls_prf_types prf, const uint8_t *master,
    size_t master_len, const uint8_t client_random[32],
    const uint8_t server_random[32], const char *label, uint8_t *out,
    size_t len)
{
	uint8_t seed[64];

	memcpy(seed, client_random, 32);
	memcpy(seed + 32, server_random, 32);
	return mbedtls_ssl_tls_prf(prf, master, master_len, label,
	    seed, sizeof seed, out, len) == 0 ? 0 : -1;
}

int
tlsio_export(mbedtls_tls_prf_types prf, const uint8_t *master,
    size_t master_len, const uint8_t client_random[32],
    const uint8_t server_random[32], uint8_t out[TLSIO_EXPORT_LEN])
{
	return tlsio_prf(prf, master, master_len, client_random,
	    server_random, TLSIO_EXPORT_LABEL, out, TLSIO_EXPORT_LEN);
}

/* mbedTLS 2.28 registers this per config, not per connection: the loop is
 * single-threaded, so the conf remembers whose handshake step is running. */
static int
tlsio_export_cb(void *arg, const unsigned char *ms, const unsigned char *kb,
    size_t maclen, size_t keylen, size_t ivlen,
    const unsigned char client_random[32],
    const unsigned char server_random[32], mbedtls_tls_prf_types prf)
{
	struct tlsio_conf *c = arg;
	struct tlsio *t = c->current;

	if (t == NULL)
		return 0;
	if (tlsio_export(prf, ms, 48, client_random, server_random,
	    t->keys) == 0 && tlsio_prf(prf, ms, 48, client_random,
	    server_random, TLSIO_BINDING_LABEL, t->binding,
	    sizeof t->binding) == 0)
		t->have_keys = 1;
	return 0;
}

/* mbedTLS's ticket sealing and check (both get the conf: the check counts
 * resumed handshakes). */
static int
tlsio_ticket_write(void *arg, const mbedtls_ssl_session *session,
    unsigned char *start, const unsigned char *end, size_t *tlen,
    uint32_t *lifetime)
{
	struct tlsio_conf *c = arg;

	return mbedtls_ssl_ticket_write(&c->ticket, session, start, end, tlen,
	    lifetime);
}

static int
tlsio_ticket_parse(void *arg, mbedtls_ssl_session *session,
    unsigned char *buf, size_t len)
{
	struct tlsio_conf *c = arg;
	int rc = mbedtls_ssl_ticket_parse(&c->ticket, session, buf, len);

	if (rc == 0)
		c->resumed++;
	return rc;
}

static int
tlsio_conf_common(struct tlsio_conf *c, int endpoint, char *err,
    size_t errlen)
{
	static const char pers[] = "softether tls";
	int rc;

	memset(c, 0, sizeof *c);
	mbedtls_ssl_config_init(&c->ssl);
	mbedtls_ssl_ticket_init(&c->ticket);
	mbedtls_ssl_session_init(&c->last);
	mbedtls_entropy_init(&c->entropy);
	mbedtls_ctr_drbg_init(&c->drbg);
	mbedtls_x509_crt_init(&c->cert);
	mbedtls_pk_init(&c->key);
	c->is_server = endpoint == MBEDTLS_SSL_IS_SERVER;
	rc = mbedtls_ctr_drbg_seed(&c->drbg, mbedtls_entropy_func, &c->entropy,
	    (const unsigned char *)pers, sizeof pers - 1);
	if (rc != 0) {
		tlsio_strerror(rc, "seeding the random generator", err, errlen);
		return -1;
	}
	rc = mbedtls_ssl_config_defaults(&c->ssl, endpoint,
	    MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
	if (rc != 0) {
		tlsio_strerror(rc, "TLS defaults", err, errlen);
		return -1;
	}
	mbedtls_ssl_conf_rng(&c->ssl, mbedtls_ctr_drbg_random, &c->drbg);
	mbedtls_ssl_conf_min_version(&c->ssl, MBEDTLS_SSL_MAJOR_VERSION_3,
	    MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_max_version(&c->ssl, MBEDTLS_SSL_MAJOR_VERSION_3,
	    MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_ciphersuites(&c->ssl, tlsio_suites);
	mbedtls_ssl_conf_extended_master_secret(&c->ssl,
	    MBEDTLS_SSL_EXTENDED_MS_ENABLED);
	mbedtls_ssl_conf_renegotiation(&c->ssl,
	    MBEDTLS_SSL_RENEGOTIATION_DISABLED);
	mbedtls_ssl_conf_export_keys_ext_cb(&c->ssl, tlsio_export_cb, c);
	return 0;
}

int
tlsio_conf_server(struct tlsio_conf *c, const char *cert_path,
    const char *key_path, char *err, size_t errlen)
{
	int rc;
	char what[600];

	if (tlsio_conf_common(c, MBEDTLS_SSL_IS_SERVER, err, errlen) != 0)
		return -1;
	if ((rc = mbedtls_x509_crt_parse_file(&c->cert, cert_path)) != 0) {
		snprintf(what, sizeof what, "%s", cert_path);
		tlsio_strerror(rc, what, err, errlen);
		return -1;
	}
	if ((rc = mbedtls_pk_parse_keyfile(&c->key, key_path, NULL)) != 0) {
		snprintf(what, sizeof what, "%s", key_path);
		tlsio_strerror(rc, what, err, errlen);
		return -1;
	}
	if ((rc = mbedtls_ssl_conf_own_cert(&c->ssl, &c->cert, &c->key)) != 0) {
		tlsio_strerror(rc, "certificate and key", err, errlen);
		return -1;
	}
	mbedtls_ssl_conf_authmode(&c->ssl, MBEDTLS_SSL_VERIFY_NONE);
	/* Without tickets every handshake is a full one: no reason to
	 * refuse to start. */
	if (mbedtls_ssl_ticket_setup(&c->ticket, mbedtls_ctr_drbg_random,
	    &c->drbg, MBEDTLS_CIPHER_AES_256_GCM, TLSIO_TICKET_LIFETIME_S) ==
	    0) {
		c->have_ticket = 1;
		mbedtls_ssl_conf_session_tickets_cb(&c->ssl,
		    tlsio_ticket_write, tlsio_ticket_parse, c);
	}
	return 0;
}

int
tlsio_conf_client(struct tlsio_conf *c, const char *ca_path, char *err,
    size_t errlen)
{
	int rc;

	if (tlsio_conf_common(c, MBEDTLS_SSL_IS_CLIENT, err, errlen) != 0)
		return -1;
	mbedtls_ssl_conf_session_tickets(&c->ssl,
	    MBEDTLS_SSL_SESSION_TICKETS_ENABLED);
	if (ca_path != NULL) {
		if ((rc = mbedtls_x509_crt_parse_file(&c->cert, ca_path)) < 0) {
			tlsio_strerror(rc, ca_path, err, errlen);
			return -1;
		}
		mbedtls_ssl_conf_ca_chain(&c->ssl, &c->cert, NULL);
		mbedtls_ssl_conf_authmode(&c->ssl,
		    MBEDTLS_SSL_VERIFY_REQUIRED);
		c->have_ca = 1;
	} else {
		/* The caller pins the fingerprint once the handshake is done. */
		mbedtls_ssl_conf_authmode(&c->ssl, MBEDTLS_SSL_VERIFY_NONE);
	}
	return 0;
}

void
tlsio_conf_free(struct tlsio_conf *c)
{
	mbedtls_ssl_config_free(&c->ssl);
	mbedtls_ssl_ticket_free(&c->ticket);
	mbedtls_ssl_session_free(&c->last);
	c->have_ticket = c->have_last = 0;
	mbedtls_x509_crt_free(&c->cert);
	mbedtls_pk_free(&c->key);
	mbedtls_ctr_drbg_free(&c->drbg);
	mbedtls_entropy_free(&c->entropy);
}

static int
tlsio_bio_send(void *arg, const unsigned char *buf, size_t len)
{
	struct tlsio *t = arg;

	if (evbuffer_add(t->out, buf, len) != 0)
		return MBEDTLS_ERR_SSL_ALLOC_FAILED;
	return (int)len;
}

static int
tlsio_bio_recv(void *arg, unsigned char *buf, size_t len)
{
	struct tlsio *t = arg;

	if (evbuffer_get_length(t->in) == 0)
		return MBEDTLS_ERR_SSL_WANT_READ;
	return evbuffer_remove(t->in, buf, len);
}

int
tlsio_init(struct tlsio *t, struct tlsio_conf *c, struct evbuffer *in,
    struct evbuffer *out, const char *server_name)
{
	memset(t, 0, sizeof *t);
	t->conf = c;
	t->in = in;
	t->out = out;
	mbedtls_ssl_init(&t->ssl);
	if (mbedtls_ssl_setup(&t->ssl, &c->ssl) != 0)
		return -1;
	if (server_name != NULL && !c->is_server &&
	    mbedtls_ssl_set_hostname(&t->ssl, server_name) != 0)
		return -1;
	snprintf(t->name, sizeof t->name, "%s", server_name != NULL ?
	    server_name : "");
	/* The last session's ticket, offered to the server it came from (a
	 * resumed handshake checks no certificate: the ticket only opens
	 * for the hub that made it, under the name it was verified for);
	 * a hub that cannot use it (restarted, rotated) makes a full
	 * handshake of it. */
	if (!c->is_server && c->have_last &&
	    strcmp(c->last_name, t->name) == 0)
		(void)mbedtls_ssl_set_session(&t->ssl, &c->last);
	mbedtls_ssl_set_bio(&t->ssl, t, tlsio_bio_send, tlsio_bio_recv, NULL);
	return 0;
}

void
tlsio_free(struct tlsio *t)
{
	if (!t->released)
		mbedtls_ssl_free(&t->ssl);
	mbedtls_platform_zeroize(t->keys, sizeof t->keys);
	mbedtls_platform_zeroize(t->binding, sizeof t->binding);
}

void
tlsio_release(struct tlsio *t)
{
	if (t->released)
		return;
	snprintf(t->suite, sizeof t->suite, "%s", tlsio_suite(t));
	mbedtls_ssl_free(&t->ssl);
	mbedtls_platform_zeroize(t->keys, sizeof t->keys);
	mbedtls_platform_zeroize(t->binding, sizeof t->binding);
	t->released = 1;
}

/* A client keeps its session (with the hub's ticket) for the next
 * connection. */
static void
tlsio_keep_session(struct tlsio *t)
{
	struct tlsio_conf *c = t->conf;

	if (c->is_server)
		return;
	tlsio_conf_forget(c);
	c->have_last = mbedtls_ssl_get_session(&t->ssl, &c->last) == 0;
	snprintf(c->last_name, sizeof c->last_name, "%s", t->name);
}

void
tlsio_conf_forget(struct tlsio_conf *c)
{
	mbedtls_ssl_session_free(&c->last);
	mbedtls_ssl_session_init(&c->last);
	c->have_last = 0;
	c->last_name[0] = '\0';
}

int
tlsio_handshake(struct tlsio *t, char *err, size_t errlen)
{
	int rc;

	if (t->released) {
		snprintf(err, errlen, "TLS session already ended");
		return -1;
	}
	t->conf->current = t;
	rc = mbedtls_ssl_handshake(&t->ssl);
	t->conf->current = NULL;
	if (rc == 0) {
		if (!t->have_keys) {
			snprintf(err, errlen, "TLS key export failed");
			return -1;
		}
		tlsio_keep_session(t);
		return 0;
	}
	if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE)
		return 1;
	if (rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
		char why[512];
		t->untrusted = 1;
		mbedtls_x509_crt_verify_info(why, sizeof why, "",
		    mbedtls_ssl_get_verify_result(&t->ssl));
		why[strcspn(why, "\n")] = '\0';
		snprintf(err, errlen, "TLS handshake: hub certificate not "
		    "trusted: %s", why);
		return -1;
	}
	tlsio_strerror(rc, "TLS handshake", err, errlen);
	return -1;
}

int
tlsio_write(struct tlsio *t, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	if (t->released)
		return -1;
	while (len > 0) {
		int n = mbedtls_ssl_write(&t->ssl, p, len);
		if (n <= 0)
			return -1; /* the BIO never blocks */
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
tlsio_read(struct tlsio *t, void *buf, size_t cap, char *err, size_t errlen)
{
	int n;

	if (t->released) {
		snprintf(err, errlen, "TLS session already ended");
		return -1;
	}
	n = mbedtls_ssl_read(&t->ssl, buf, cap);
	if (n > 0)
		return n;
	if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE)
		return 0;
	if (n == 0 || n == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
		snprintf(err, errlen, "peer closed the TLS session");
	else
		tlsio_strerror(n, "TLS read", err, errlen);
	return -1;
}

int
tlsio_peer_fingerprint(struct tlsio *t, char hex[65])
{
	const mbedtls_x509_crt *crt = t->released ? NULL :
	    mbedtls_ssl_get_peer_cert(&t->ssl);

	if (crt == NULL)
		return -1;
	cert_fingerprint_der(crt->raw.p, crt->raw.len, hex);
	return 0;
}

const char *
tlsio_suite(struct tlsio *t)
{
	const char *s;

	if (t->released)
		return t->suite;
	s = mbedtls_ssl_get_ciphersuite(&t->ssl);
	return s != NULL ? s : "none";
}
