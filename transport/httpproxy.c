/*
 * httpproxy.c: the http-proxy transport: an HTTP CONNECT tunnel, with Basic
 * proxy credentials when given; the request and reply codecs.
 */
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "transport/proxy.h"

#define HTTPPROXY_PREFIX       "HTTP/1."
#define HTTPPROXY_PREFIX_LEN   (sizeof HTTPPROXY_PREFIX - 1)
/* "HTTP/1.x NNN": the shortest status line, its reason phrase left out. */
#define HTTPPROXY_STATUS_MIN   12u
#define HTTPPROXY_CODE_AT      9u
#define HTTPPROXY_MAX_HOST     255u
#define HTTPPROXY_MAX_USER     255u
/* user ":" password */
#define HTTPPROXY_CRED_MAX     (HTTPPROXY_MAX_USER + 1 + PROTO_MAX_SECRET)
#define HTTPPROXY_B64_MAX      sodium_base64_ENCODED_LEN(HTTPPROXY_CRED_MAX, \
    sodium_base64_VARIANT_ORIGINAL)

enum httpproxy_stage { HTTPPROXY_CONNECT_SENT };

/* Anything that could end a header line or split the request line. */
static int
httpproxy_host_ok(const char *host)
{
	size_t n = strlen(host);

	if (n == 0 || n > HTTPPROXY_MAX_HOST)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)host[i] <= ' ' ||
		    (unsigned char)host[i] >= 0x7f)
			return 0;
	return 1;
}

size_t
httpproxy_request_encode(char *out, size_t cap, const char *host,
    uint16_t port, const char *user, const char *password, const char **why)
{
	char hp[HTTPPROXY_MAX_HOST + sizeof "[]:65535"];
	char cred[HTTPPROXY_CRED_MAX + 1];
	char b64[HTTPPROXY_B64_MAX];
	size_t ulen, plen;
	int n;

	if (!httpproxy_host_ok(host)) {
		*why = "the hub's host name cannot go in an HTTP request";
		return 0;
	}
	proxy_hostport(hp, sizeof hp, host, port);
	if (user == NULL) {
		n = snprintf(out, cap, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n",
		    hp, hp);
		if (n < 0 || (size_t)n >= cap) {
			*why = "CONNECT request too long";
			return 0;
		}
		return (size_t)n;
	}
	if (password == NULL)
		password = "";
	ulen = strlen(user);
	plen = strlen(password);
	/* RFC 7617: the user id ends at the first colon. */
	if (ulen > HTTPPROXY_MAX_USER || strchr(user, ':') != NULL) {
		*why = "the proxy user name is over 255 bytes or contains ':'";
		return 0;
	}
	if (plen > PROTO_MAX_SECRET) {
		*why = "the proxy password is too long";
		return 0;
	}
	memcpy(cred, user, ulen);
	cred[ulen] = ':';
	memcpy(cred + ulen + 1, password, plen);
	sodium_bin2base64(b64, sizeof b64, (const unsigned char *)cred,
	    ulen + 1 + plen, sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(cred, sizeof cred);
	n = snprintf(out, cap, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n"
	    "Proxy-Authorization: Basic %s\r\n\r\n", hp, hp, b64);
	sodium_memzero(b64, sizeof b64);
	if (n < 0 || (size_t)n >= cap) {
		sodium_memzero(out, cap);
		*why = "CONNECT request too long";
		return 0;
	}
	return (size_t)n;
}

static int
httpproxy_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static enum proto_result
httpproxy_status_line(const uint8_t *buf, size_t len,
    struct httpproxy_reply *r, const char **why)
{
	size_t k = 0;

	if (buf[len - 1] == '\r')
		len--;
	if (len < HTTPPROXY_STATUS_MIN ||
	    !httpproxy_digit(buf[HTTPPROXY_PREFIX_LEN]) ||
	    buf[HTTPPROXY_PREFIX_LEN + 1] != ' ' ||
	    !httpproxy_digit(buf[HTTPPROXY_CODE_AT]) ||
	    !httpproxy_digit(buf[HTTPPROXY_CODE_AT + 1]) ||
	    !httpproxy_digit(buf[HTTPPROXY_CODE_AT + 2]) ||
	    (len > HTTPPROXY_STATUS_MIN && buf[HTTPPROXY_STATUS_MIN] != ' ')) {
		*why = "malformed HTTP status line";
		return PROTO_BAD;
	}
	r->status = (unsigned)(buf[HTTPPROXY_CODE_AT] - '0') * 100 +
	    (unsigned)(buf[HTTPPROXY_CODE_AT + 1] - '0') * 10 +
	    (unsigned)(buf[HTTPPROXY_CODE_AT + 2] - '0');
	if (r->status < 100) {
		*why = "HTTP status code out of range";
		return PROTO_BAD;
	}
	/* Quoted in logs: nothing that could forge a line or a terminal
	 * sequence. */
	for (; k < len && k < sizeof r->status_line - 1; k++)
		r->status_line[k] = buf[k] >= ' ' && buf[k] < 0x7f ?
		    (char)buf[k] : '?';
	r->status_line[k] = '\0';
	return PROTO_OK;
}

enum proto_result
httpproxy_reply_decode(const uint8_t *buf, size_t len,
    struct httpproxy_reply *r, const char **why)
{
	size_t lim = len < HTTPPROXY_MAX_HEADER ? len : HTTPPROXY_MAX_HEADER;
	size_t eol, i;

	memset(r, 0, sizeof *r);
	if (len == 0)
		return PROTO_NEED_MORE;
	/* Refuse a stranger at once rather than wait for its blank line. */
	if (memcmp(buf, HTTPPROXY_PREFIX, len < HTTPPROXY_PREFIX_LEN ? len :
	    HTTPPROXY_PREFIX_LEN) != 0) {
		*why = "not an HTTP reply";
		return PROTO_BAD;
	}
	for (eol = 0; eol < lim && buf[eol] != '\n'; eol++)
		;
	if (eol == lim)
		goto incomplete;
	if (httpproxy_status_line(buf, eol, r, why) != PROTO_OK)
		return PROTO_BAD;
	/* The blank line: "\n\r\n", or "\n\n" from a sloppy proxy. */
	for (i = eol; i < lim; i++) {
		if (buf[i] != '\n' || i + 1 >= len)
			continue;
		if (buf[i + 1] == '\n') {
			r->header_len = i + 2;
		} else if (buf[i + 1] == '\r' && i + 2 < len &&
		    buf[i + 2] == '\n') {
			r->header_len = i + 3;
		} else
			continue;
		if (r->header_len > HTTPPROXY_MAX_HEADER)
			break;
		return PROTO_OK;
	}
incomplete:
	if (len >= HTTPPROXY_MAX_HEADER) {
		*why = "proxy reply headers too long";
		return PROTO_BAD;
	}
	return PROTO_NEED_MORE;
}

static int
httpproxy_begin(struct proxy_step *s)
{
	const char *why = NULL;

	s->out_len = httpproxy_request_encode((char *)s->out, sizeof s->out,
	    s->t->host, s->t->port, s->t->proxy_user, s->t->proxy_password,
	    &why);
	if (s->out_len == 0) {
		snprintf(s->err, sizeof s->err, "proxy %s: %s", s->where, why);
		return -1;
	}
	s->stage = HTTPPROXY_CONNECT_SENT;
	return 0;
}

static enum proto_result
httpproxy_reply(struct proxy_step *s, const uint8_t *buf, size_t len,
    size_t *used)
{
	struct httpproxy_reply r;
	const char *why = NULL, *hint = "";
	enum proto_result rc;

	rc = httpproxy_reply_decode(buf, len, &r, &why);
	if (rc == PROTO_NEED_MORE)
		return rc;
	if (rc != PROTO_OK) {
		snprintf(s->err, sizeof s->err, "proxy %s: %s", s->where, why);
		return PROTO_BAD;
	}
	if (r.status / 100 == 2) {
		*used = r.header_len;
		s->finished = 1;
		return PROTO_OK;
	}
	/* Some proxies (tinyproxy) answer wrong credentials with 401. */
	if (r.status == HTTPPROXY_AUTH_REQUIRED ||
	    (r.status == HTTPPROXY_UNAUTHORIZED && s->t->proxy_user != NULL))
		hint = s->t->proxy_user == NULL ?
		    " (the proxy wants a user name and password: --proxy-user "
		    "and --proxy-password-file)" :
		    " (wrong proxy user or password?)";
	snprintf(s->err, sizeof s->err, "proxy %s refused CONNECT: \"%s\"%s",
	    s->where, r.status_line, hint);
	return PROTO_BAD;
}

static const struct proxy_proto httpproxy_proto = {
	.begin = httpproxy_begin,
	.reply = httpproxy_reply,
};

static const char *
httpproxy_check(const struct transport_target *t)
{
	const char *lack = proxy_check(t);

	if (lack != NULL)
		return lack;
	if (!httpproxy_host_ok(t->host))
		return "the hub's host name cannot go in an HTTP request";
	if (t->proxy_user != NULL && (strlen(t->proxy_user) >
	    HTTPPROXY_MAX_USER || strchr(t->proxy_user, ':') != NULL))
		return "an HTTP proxy user name is at most 255 bytes, "
		    "without ':'";
	return NULL;
}

static struct transport_conn *
httpproxy_connect(struct event_base *base, const struct transport_target *t,
    transport_done_fn *done, void *arg)
{
	return proxy_connect(base, t, &httpproxy_proto, done, arg);
}

const struct transport_ops transport_http_proxy = {
	.name = "http-proxy",
	.takes = TRANSPORT_TAKES_PROXY | TRANSPORT_TAKES_TCP,
	.check = httpproxy_check,
	.connect = httpproxy_connect,
	.cancel = proxy_cancel,
};
