/*
 * tlsio.h: mbedTLS driven over a pair of libevent buffers (Debian's libevent
 * has no mbedTLS bufferevent). Also derives the data channel's keys from the
 * session with an RFC 5705-style exporter.
 */
#ifndef SOFTETHER_TLSIO_H
#define SOFTETHER_TLSIO_H

#include <stddef.h>
#include <stdint.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/x509_crt.h>

struct evbuffer;
struct tlsio;

#define TLSIO_EXPORT_LEN   64u   /* two 32-byte keys: client->hub, hub->client */
#define TLSIO_EXPORT_LABEL "EXPORTER-softether-data-channel"
/* A value unique to one handshake, known to both ends and to no one else:
 * a key login signs it, so the signature is good for this session only. */
#define TLSIO_BINDING_LEN  32u
#define TLSIO_BINDING_LABEL "EXPORTER-softether-login-binding"
#define TLSIO_TICKET_LIFETIME_S 86400u /* a TLS session ticket's life */

/* Shared by every connection of one role. */
struct tlsio_conf {
	mbedtls_ssl_config ssl;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_x509_crt cert;   /* hub: own certificate; client: CA chain */
	mbedtls_pk_context key;
	int is_server;
	int have_ca;
	struct tlsio *current;   /* whose handshake is running (key export) */
	/* RFC 5077 session tickets, so that a reconnection skips the
	 * public-key operations: the hub seals them (keys in memory,
	 * rotated by mbedTLS), a client keeps its last session. */
	mbedtls_ssl_ticket_context ticket;
	int have_ticket;
	mbedtls_ssl_session last;
	int have_last;
	char last_name[256];     /* the server name it was made with */
	uint64_t resumed;        /* hub: handshakes resumed from a ticket */
};

struct tlsio {
	mbedtls_ssl_context ssl;
	struct tlsio_conf *conf;
	struct evbuffer *in, *out;  /* raw stream bytes, not owned */
	int have_keys;
	int untrusted;              /* the handshake failed: the peer's chain
	                               did not verify against the CA */
	int released;               /* the context is gone (tlsio_release) */
	char name[256];             /* client: the server name asked for */
	char suite[64];             /* the suite it used, once released */
	uint8_t keys[TLSIO_EXPORT_LEN];
	uint8_t binding[TLSIO_BINDING_LEN];
};

/* Hub side: certificate chain and key files. 0, or -1 with err. */
int tlsio_conf_server(struct tlsio_conf *c, const char *cert_path,
    const char *key_path, char *err, size_t errlen);
/* Client side: ca_path NULL means "verify by fingerprint after the
 * handshake" (see tlsio_peer_fingerprint). 0, or -1 with err. */
int tlsio_conf_client(struct tlsio_conf *c, const char *ca_path,
    char *err, size_t errlen);
void tlsio_conf_free(struct tlsio_conf *c);
/* A client forgets its last session: the next handshake is a full one
 * (a session is only ever offered again to the same server name). */
void tlsio_conf_forget(struct tlsio_conf *c);

int tlsio_init(struct tlsio *t, struct tlsio_conf *c, struct evbuffer *in,
    struct evbuffer *out, const char *server_name);
void tlsio_free(struct tlsio *t);
/* The handshake's work is done (the data channel has its keys): the
 * context goes now, with the master secret and its buffers (about 33 KiB),
 * so nothing left in memory can decrypt what was sealed before. Only
 * tlsio_suite may be asked afterwards; tlsio_free is still called. */
void tlsio_release(struct tlsio *t);

/* Drive the handshake: 0 done, 1 needs more input, -1 failed (err set). */
int tlsio_handshake(struct tlsio *t, char *err, size_t errlen);
/* Write all of buf as application data: 0 or -1. */
int tlsio_write(struct tlsio *t, const void *buf, size_t len);
/* Read application data: bytes (>0), 0 if more input is needed, -1 on
 * error or close (err set). */
int tlsio_read(struct tlsio *t, void *buf, size_t cap, char *err,
    size_t errlen);

/* SHA-256 fingerprint (hex) of the peer's certificate; -1 if none. */
int tlsio_peer_fingerprint(struct tlsio *t, char hex[65]);
/* Negotiated suite name, for logs. */
const char *tlsio_suite(struct tlsio *t);

/* The exporter, from the master secret and both randoms. Public so the
 * known-answer test can call it. */
int tlsio_export(mbedtls_tls_prf_types prf, const uint8_t *master,
    size_t master_len, const uint8_t client_random[32],
    const uint8_t server_random[32], uint8_t out[TLSIO_EXPORT_LEN]);

#endif
