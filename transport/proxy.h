/*
 * proxy.h: the proxy transports (HTTP CONNECT, SOCKS4/4a, SOCKS5): their
 * wire limits, pure request/reply codecs, and the shared handshake driver.
 */
#ifndef SOFTETHER_TRANSPORT_PROXY_H
#define SOFTETHER_TRANSPORT_PROXY_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"               /* enum proto_result */
#include "transport/transport.h"

/* ---- The handshake driver (proxy.c) --------------------------------- */
/* From the proxy accepting TCP to the last reply byte. */
#define PROXY_TIMEOUT_MS       10000u
/* PROXY_TIMEOUT_MS; tests shorten it. */
extern unsigned proxy_timeout_ms;

#define PROXY_OUT_MAX          4096u /* largest request we send */
#define PROXY_IN_MAX           8192u /* largest reply we accept */
#define PROXY_ERR_MAX          512u

/*
 * One protocol exchange as the driver sees it: the protocol writes its next
 * request into out and tells the driver whether it is finished; on failure
 * it writes why into err (already naming the proxy and the hub).
 */
struct proxy_step {
	const struct transport_target *t;
	const char *where;           /* the proxy as "host:port" */
	const char *hub;             /* the hub as "host:port" */
	int stage;                   /* the protocol's own */
	uint8_t out[PROXY_OUT_MAX];
	size_t out_len;
	int finished;                /* the stream now reaches the hub */
	char err[PROXY_ERR_MAX];
};

struct proxy_proto {
	/* The first request into s->out; -1 with s->err on failure. */
	int (*begin)(struct proxy_step *s);
	/* The reply so far. PROTO_NEED_MORE: every byte of buf belongs to the
	 * reply and more must come. PROTO_OK: the reply is buf[0..*used) and
	 * s->out holds the next request, or s->finished is set. PROTO_BAD:
	 * s->err says why. */
	enum proto_result (*reply)(struct proxy_step *s, const uint8_t *buf,
	    size_t len, size_t *used);
};

struct transport_conn *proxy_connect(struct event_base *base,
    const struct transport_target *t, const struct proxy_proto *p,
    transport_done_fn *done, void *arg);
void proxy_cancel(struct transport_conn *c);
/* What every proxy transport needs: --proxy, and no --ssh. */
const char *proxy_check(const struct transport_target *t);
/* "host:port", with IPv6 literals in brackets. */
void proxy_hostport(char *out, size_t cap, const char *host, uint16_t port);

/* ---- HTTP CONNECT (httpproxy.c) -------------------------------------- */
#define HTTPPROXY_MAX_HEADER   8192u /* status line and headers */
#define HTTPPROXY_STATUS_MAX   128u  /* status line as quoted in errors */
#define HTTPPROXY_UNAUTHORIZED 401u
#define HTTPPROXY_AUTH_REQUIRED 407u

struct httpproxy_reply {
	unsigned status;             /* 100..999 */
	size_t header_len;           /* through the blank line */
	char status_line[HTTPPROXY_STATUS_MAX]; /* printable, maybe cut */
};

/* The CONNECT request for host:port, with Basic credentials when user is
 * not NULL. Its length, or 0 (with *why) if it does not fit in cap or a
 * field cannot be sent. */
size_t httpproxy_request_encode(char *out, size_t cap, const char *host,
    uint16_t port, const char *user, const char *password, const char **why);
enum proto_result httpproxy_reply_decode(const uint8_t *buf, size_t len,
    struct httpproxy_reply *r, const char **why);

/* ---- SOCKS (socks.c) ------------------------------------------------- */
#define SOCKS_V4               4u
#define SOCKS_V4_REQUEST_HDR   8u    /* VN CD DSTPORT DSTIP */
#define SOCKS_V4_REPLY_VN      0u
#define SOCKS_V4_CMD_CONNECT   1u
#define SOCKS_V4_REPLY_LEN     8u
#define SOCKS_V4_GRANTED       90u
#define SOCKS_V4_REJECTED      91u
#define SOCKS_V4_NO_IDENTD     92u
#define SOCKS_V4_IDENTD_DIFFER 93u
#define SOCKS_V4A_IP           1u    /* 0.0.0.1: the name follows */

#define SOCKS_V5               5u
#define SOCKS_V5_GREETING_MAX  4u    /* VER NMETHODS, two methods */
#define SOCKS_V5_NO_AUTH       0x00u
#define SOCKS_V5_USERPASS      0x02u
#define SOCKS_V5_NO_METHOD     0xffu
#define SOCKS_V5_METHOD_LEN    2u
#define SOCKS_V5_AUTH_VER      1u    /* RFC 1929 */
#define SOCKS_V5_AUTH_HDR      3u    /* VER ULEN PLEN */
#define SOCKS_V5_AUTH_LEN      2u
#define SOCKS_V5_CMD_CONNECT   1u
#define SOCKS_V5_ATYP_IPV4     1u
#define SOCKS_V5_ATYP_NAME     3u
#define SOCKS_V5_ATYP_IPV6     4u
#define SOCKS_V5_HDR           4u    /* VER CMD|REP RSV ATYP */
#define SOCKS_V5_REP_LEN       2u    /* VER REP: a refusal is known */
#define SOCKS_V5_SUCCEEDED     0u

#define SOCKS_MAX_FIELD        255u  /* names, user ids, passwords */

/* Encoders return the length written, or 0 if a field is out of range or
 * the request does not fit in cap. */
/* SOCKS4 for an IPv4 literal host, else SOCKS4a; user may be NULL. */
size_t socks_v4_request_encode(uint8_t *out, size_t cap, const char *host,
    uint16_t port, const char *user);
/* PROTO_OK with *code (SOCKS_V4_GRANTED or a refusal) once all
 * SOCKS_V4_REPLY_LEN bytes are there. */
enum proto_result socks_v4_reply_decode(const uint8_t *buf, size_t len,
    uint8_t *code, const char **why);
const char *socks_v4_reply_text(uint8_t code);

size_t socks_v5_greeting_encode(uint8_t *out, size_t cap, int userpass);
/* PROTO_OK with the method the server chose, which must be one offered. */
enum proto_result socks_v5_method_decode(const uint8_t *buf, size_t len,
    int offered_userpass, uint8_t *method, const char **why);
size_t socks_v5_auth_encode(uint8_t *out, size_t cap, const char *user,
    const char *password);
enum proto_result socks_v5_auth_decode(const uint8_t *buf, size_t len,
    const char **why);
/* ATYP IPv4 or IPv6 for a literal host, else the domain name. */
size_t socks_v5_connect_encode(uint8_t *out, size_t cap, const char *host,
    uint16_t port);
/*
 * PROTO_OK with *code; on success (SOCKS_V5_SUCCEEDED) only once the whole
 * reply including the bound address is there, with its length in *used. A
 * refusal is final as soon as its code is known (*used counts just that),
 * since the stream will be closed anyway.
 */
enum proto_result socks_v5_reply_decode(const uint8_t *buf, size_t len,
    uint8_t *code, size_t *used, const char **why);
const char *socks_v5_reply_text(uint8_t code);

#endif
