/*
 * socks.c: the socks4 (4a for host names) and socks5 transports, with RFC
 * 1929 user/password for SOCKS5; their request and reply codecs.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "transport/proxy.h"

#define SOCKS_IPV4_LEN  4u
#define SOCKS_IPV6_LEN  16u
#define SOCKS_PORT_LEN  2u

enum socks_stage {
	SOCKS_V4_REQUEST_SENT,
	SOCKS_V5_GREETING_SENT,
	SOCKS_V5_AUTH_SENT,
	SOCKS_V5_CONNECT_SENT,
};

static uint8_t *
socks_put_port(uint8_t *p, uint16_t port)
{
	p[0] = (uint8_t)(port >> 8);
	p[1] = (uint8_t)port;
	return p + SOCKS_PORT_LEN;
}

/* ---- SOCKS4 / 4a ------------------------------------------------------ */

size_t
socks_v4_request_encode(uint8_t *out, size_t cap, const char *host,
    uint16_t port, const char *user)
{
	struct in_addr a;
	size_t ulen, hlen = 0, need;
	int v4a;
	uint8_t *p = out;

	if (user == NULL)
		user = "";
	ulen = strlen(user);
	v4a = inet_pton(AF_INET, host, &a) != 1;
	if (v4a) {
		hlen = strlen(host);
		/* No address type for IPv6; a literal is no name either. */
		if (hlen == 0 || hlen > SOCKS_MAX_FIELD ||
		    strchr(host, ':') != NULL)
			return 0;
	}
	if (ulen > SOCKS_MAX_FIELD)
		return 0;
	need = SOCKS_V4_REQUEST_HDR + ulen + 1 + (v4a ? hlen + 1 : 0);
	if (need > cap)
		return 0;
	*p++ = SOCKS_V4;
	*p++ = SOCKS_V4_CMD_CONNECT;
	p = socks_put_port(p, port);
	if (v4a) {
		/* 0.0.0.x, x nonzero: "the name follows the user id". */
		memset(p, 0, SOCKS_IPV4_LEN - 1);
		p[SOCKS_IPV4_LEN - 1] = SOCKS_V4A_IP;
	} else
		memcpy(p, &a, SOCKS_IPV4_LEN);
	p += SOCKS_IPV4_LEN;
	memcpy(p, user, ulen + 1);
	p += ulen + 1;
	if (v4a) {
		memcpy(p, host, hlen + 1);
		p += hlen + 1;
	}
	return (size_t)(p - out);
}

enum proto_result
socks_v4_reply_decode(const uint8_t *buf, size_t len, uint8_t *code,
    const char **why)
{
	if (len >= 1 && buf[0] != SOCKS_V4_REPLY_VN) {
		*why = "not a SOCKS4 reply";
		return PROTO_BAD;
	}
	if (len < SOCKS_V4_REPLY_LEN)
		return PROTO_NEED_MORE;
	*code = buf[1];
	return PROTO_OK;
}

const char *
socks_v4_reply_text(uint8_t code)
{
	switch (code) {
	case SOCKS_V4_GRANTED:
		return "request granted";
	case SOCKS_V4_REJECTED:
		return "request rejected or failed";
	case SOCKS_V4_NO_IDENTD:
		return "request rejected: the proxy cannot reach identd on "
		    "this host";
	case SOCKS_V4_IDENTD_DIFFER:
		return "request rejected: identd reports a different user id";
	default:
		return "unknown reply code";
	}
}

/* ---- SOCKS5 ----------------------------------------------------------- */

size_t
socks_v5_greeting_encode(uint8_t *out, size_t cap, int userpass)
{
	size_t n = 0;

	if (cap < SOCKS_V5_GREETING_MAX)
		return 0;
	out[n++] = SOCKS_V5;
	out[n++] = userpass ? 2 : 1;    /* NMETHODS */
	out[n++] = SOCKS_V5_NO_AUTH;
	if (userpass)
		out[n++] = SOCKS_V5_USERPASS;
	return n;
}

enum proto_result
socks_v5_method_decode(const uint8_t *buf, size_t len, int offered_userpass,
    uint8_t *method, const char **why)
{
	if (len >= 1 && buf[0] != SOCKS_V5) {
		*why = "not a SOCKS5 reply";
		return PROTO_BAD;
	}
	if (len < SOCKS_V5_METHOD_LEN)
		return PROTO_NEED_MORE;
	*method = buf[1];
	if (buf[1] == SOCKS_V5_NO_METHOD) {
		*why = "no acceptable authentication method (does it need "
		    "--proxy-user?)";
		return PROTO_BAD;
	}
	if (buf[1] != SOCKS_V5_NO_AUTH &&
	    !(buf[1] == SOCKS_V5_USERPASS && offered_userpass)) {
		*why = "the proxy chose an authentication method not offered";
		return PROTO_BAD;
	}
	return PROTO_OK;
}

size_t
socks_v5_auth_encode(uint8_t *out, size_t cap, const char *user,
    const char *password)
{
	size_t ulen, plen;
	uint8_t *p = out;

	if (user == NULL || password == NULL)
		return 0;
	ulen = strlen(user);
	plen = strlen(password);
	if (ulen == 0 || ulen > SOCKS_MAX_FIELD || plen == 0 ||
	    plen > SOCKS_MAX_FIELD || SOCKS_V5_AUTH_HDR + ulen + plen > cap)
		return 0;
	*p++ = SOCKS_V5_AUTH_VER;
	*p++ = (uint8_t)ulen;
	memcpy(p, user, ulen);
	p += ulen;
	*p++ = (uint8_t)plen;
	memcpy(p, password, plen);
	p += plen;
	return (size_t)(p - out);
}

enum proto_result
socks_v5_auth_decode(const uint8_t *buf, size_t len, const char **why)
{
	if (len >= 1 && buf[0] != SOCKS_V5_AUTH_VER) {
		*why = "not a SOCKS5 authentication reply";
		return PROTO_BAD;
	}
	if (len < SOCKS_V5_AUTH_LEN)
		return PROTO_NEED_MORE;
	if (buf[1] != 0) {
		*why = "proxy user or password refused";
		return PROTO_BAD;
	}
	return PROTO_OK;
}

size_t
socks_v5_connect_encode(uint8_t *out, size_t cap, const char *host,
    uint16_t port)
{
	uint8_t addr[SOCKS_IPV6_LEN];
	size_t alen;
	uint8_t atyp, *p = out;

	if (inet_pton(AF_INET, host, addr) == 1) {
		atyp = SOCKS_V5_ATYP_IPV4;
		alen = SOCKS_IPV4_LEN;
	} else if (inet_pton(AF_INET6, host, addr) == 1) {
		atyp = SOCKS_V5_ATYP_IPV6;
		alen = SOCKS_IPV6_LEN;
	} else {
		atyp = SOCKS_V5_ATYP_NAME;
		alen = strlen(host);
		if (alen == 0 || alen > SOCKS_MAX_FIELD ||
		    strchr(host, ':') != NULL)
			return 0;
	}
	if (SOCKS_V5_HDR + (atyp == SOCKS_V5_ATYP_NAME) + alen +
	    SOCKS_PORT_LEN > cap)
		return 0;
	*p++ = SOCKS_V5;
	*p++ = SOCKS_V5_CMD_CONNECT;
	*p++ = 0;                       /* RSV */
	*p++ = atyp;
	if (atyp == SOCKS_V5_ATYP_NAME) {
		*p++ = (uint8_t)alen;
		memcpy(p, host, alen);
	} else
		memcpy(p, addr, alen);
	p += alen;
	p = socks_put_port(p, port);
	return (size_t)(p - out);
}

enum proto_result
socks_v5_reply_decode(const uint8_t *buf, size_t len, uint8_t *code,
    size_t *used, const char **why)
{
	size_t total;

	if (len >= 1 && buf[0] != SOCKS_V5) {
		*why = "not a SOCKS5 reply";
		return PROTO_BAD;
	}
	if (len < SOCKS_V5_REP_LEN)
		return PROTO_NEED_MORE;
	*code = buf[1];
	if (buf[1] != SOCKS_V5_SUCCEEDED) {
		/* Servers differ in what they send after a refusal. */
		*used = SOCKS_V5_REP_LEN;
		return PROTO_OK;
	}
	/* RSV (buf[2]) carries nothing; some servers leave it dirty. */
	if (len < SOCKS_V5_HDR + 1)
		return PROTO_NEED_MORE;
	switch (buf[3]) {
	case SOCKS_V5_ATYP_IPV4:
		total = SOCKS_V5_HDR + SOCKS_IPV4_LEN + SOCKS_PORT_LEN;
		break;
	case SOCKS_V5_ATYP_IPV6:
		total = SOCKS_V5_HDR + SOCKS_IPV6_LEN + SOCKS_PORT_LEN;
		break;
	case SOCKS_V5_ATYP_NAME:
		total = SOCKS_V5_HDR + 1 + buf[4] + SOCKS_PORT_LEN;
		break;
	default:
		*why = "unknown address type in SOCKS5 reply";
		return PROTO_BAD;
	}
	if (len < total)
		return PROTO_NEED_MORE;
	*used = total;
	return PROTO_OK;
}

const char *
socks_v5_reply_text(uint8_t code)
{
	static const char *const text[] = {
		"succeeded",
		"general SOCKS server failure",
		"connection not allowed by ruleset",
		"network unreachable",
		"host unreachable",
		"connection refused",
		"TTL expired",
		"command not supported",
		"address type not supported",
	};

	return code < sizeof text / sizeof text[0] ? text[code] :
	    "unknown reply code";
}

/* ---- The transports --------------------------------------------------- */

static int
socks_v4_begin(struct proxy_step *s)
{
	s->out_len = socks_v4_request_encode(s->out, sizeof s->out,
	    s->t->host, s->t->port, s->t->proxy_user);
	if (s->out_len == 0) {
		snprintf(s->err, sizeof s->err, "SOCKS4 proxy %s: cannot ask "
		    "for %s (host name or user id too long?)", s->where,
		    s->hub);
		return -1;
	}
	s->stage = SOCKS_V4_REQUEST_SENT;
	return 0;
}

static enum proto_result
socks_v4_reply(struct proxy_step *s, const uint8_t *buf, size_t len,
    size_t *used)
{
	const char *why = NULL;
	uint8_t code = 0;
	enum proto_result rc;

	rc = socks_v4_reply_decode(buf, len, &code, &why);
	if (rc == PROTO_NEED_MORE)
		return rc;
	if (rc != PROTO_OK) {
		snprintf(s->err, sizeof s->err, "SOCKS4 proxy %s: %s",
		    s->where, why);
		return PROTO_BAD;
	}
	if (code != SOCKS_V4_GRANTED) {
		snprintf(s->err, sizeof s->err, "SOCKS4 proxy %s could not "
		    "connect to %s: %s (code %u)", s->where, s->hub,
		    socks_v4_reply_text(code), code);
		return PROTO_BAD;
	}
	*used = SOCKS_V4_REPLY_LEN;
	s->finished = 1;
	return PROTO_OK;
}

static int
socks_v5_userpass(const struct transport_target *t)
{
	return t->proxy_user != NULL;
}

static int
socks_v5_begin(struct proxy_step *s)
{
	s->out_len = socks_v5_greeting_encode(s->out, sizeof s->out,
	    socks_v5_userpass(s->t));
	s->stage = SOCKS_V5_GREETING_SENT;
	return 0;
}

static enum proto_result
socks_v5_reply(struct proxy_step *s, const uint8_t *buf, size_t len,
    size_t *used)
{
	const char *why = NULL;
	uint8_t method = 0, code = 0;
	enum proto_result rc;

	switch (s->stage) {
	case SOCKS_V5_GREETING_SENT:
		rc = socks_v5_method_decode(buf, len, socks_v5_userpass(s->t),
		    &method, &why);
		*used = SOCKS_V5_METHOD_LEN;
		break;
	case SOCKS_V5_AUTH_SENT:
		rc = socks_v5_auth_decode(buf, len, &why);
		*used = SOCKS_V5_AUTH_LEN;
		break;
	case SOCKS_V5_CONNECT_SENT:
	default:
		rc = socks_v5_reply_decode(buf, len, &code, used, &why);
		break;
	}
	if (rc == PROTO_NEED_MORE)
		return rc;
	if (rc != PROTO_OK) {
		snprintf(s->err, sizeof s->err, "SOCKS5 proxy %s: %s",
		    s->where, why);
		return PROTO_BAD;
	}
	if (s->stage == SOCKS_V5_GREETING_SENT &&
	    method == SOCKS_V5_USERPASS) {
		s->out_len = socks_v5_auth_encode(s->out, sizeof s->out,
		    s->t->proxy_user, s->t->proxy_password);
		s->stage = SOCKS_V5_AUTH_SENT;
		if (s->out_len == 0) {
			snprintf(s->err, sizeof s->err, "SOCKS5 proxy %s: user "
			    "name and password must be 1 to 255 bytes",
			    s->where);
			return PROTO_BAD;
		}
		return PROTO_OK;
	}
	if (s->stage != SOCKS_V5_CONNECT_SENT) {
		s->out_len = socks_v5_connect_encode(s->out, sizeof s->out,
		    s->t->host, s->t->port);
		s->stage = SOCKS_V5_CONNECT_SENT;
		if (s->out_len == 0) {
			snprintf(s->err, sizeof s->err, "SOCKS5 proxy %s: "
			    "cannot ask for %s (host name too long?)",
			    s->where, s->hub);
			return PROTO_BAD;
		}
		return PROTO_OK;
	}
	if (code != SOCKS_V5_SUCCEEDED) {
		snprintf(s->err, sizeof s->err, "SOCKS5 proxy %s could not "
		    "connect to %s: %s (reply code %u)", s->where, s->hub,
		    socks_v5_reply_text(code), code);
		return PROTO_BAD;
	}
	s->finished = 1;
	return PROTO_OK;
}

static const struct proxy_proto socks_v4_proto = {
	.begin = socks_v4_begin,
	.reply = socks_v4_reply,
};

static const struct proxy_proto socks_v5_proto = {
	.begin = socks_v5_begin,
	.reply = socks_v5_reply,
};

static const char *
socks_v4_check(const struct transport_target *t)
{
	struct in_addr a;

	/* Before proxy_check, which would only ask for a user to go with
	 * the password. */
	if (t->proxy_password != NULL)
		return "SOCKS4 has no passwords; use --via socks5";
	if (proxy_check(t) != NULL)
		return proxy_check(t);
	if (inet_pton(AF_INET, t->host, &a) != 1) {
		if (strchr(t->host, ':') != NULL)
			return "SOCKS4 cannot reach an IPv6 address; use "
			    "--via socks5";
		if (strlen(t->host) > SOCKS_MAX_FIELD)
			return "the hub's host name is over 255 bytes";
	}
	if (t->proxy_user != NULL && strlen(t->proxy_user) > SOCKS_MAX_FIELD)
		return "the SOCKS4 user id is over 255 bytes";
	return NULL;
}

static const char *
socks_v5_check(const struct transport_target *t)
{
	const char *lack = proxy_check(t);
	uint8_t addr[SOCKS_IPV6_LEN];

	if (lack != NULL)
		return lack;
	if (t->proxy_user != NULL && t->proxy_password == NULL)
		return "--proxy-user needs --proxy-password-file with socks5";
	if (t->proxy_user != NULL && (strlen(t->proxy_user) == 0 ||
	    strlen(t->proxy_user) > SOCKS_MAX_FIELD ||
	    strlen(t->proxy_password) == 0 ||
	    strlen(t->proxy_password) > SOCKS_MAX_FIELD))
		return "SOCKS5 user names and passwords are 1 to 255 bytes";
	if (inet_pton(AF_INET6, t->host, addr) != 1 &&
	    strlen(t->host) > SOCKS_MAX_FIELD)
		return "the hub's host name is over 255 bytes";
	return NULL;
}

static struct transport_conn *
socks_v4_connect(struct event_base *base, const struct transport_target *t,
    transport_done_fn *done, void *arg)
{
	return proxy_connect(base, t, &socks_v4_proto, done, arg);
}

static struct transport_conn *
socks_v5_connect(struct event_base *base, const struct transport_target *t,
    transport_done_fn *done, void *arg)
{
	return proxy_connect(base, t, &socks_v5_proto, done, arg);
}

const struct transport_ops transport_socks4 = {
	.name = "socks4",
	.takes = TRANSPORT_TAKES_PROXY | TRANSPORT_TAKES_TCP,
	.check = socks_v4_check,
	.connect = socks_v4_connect,
	.cancel = proxy_cancel,
};

const struct transport_ops transport_socks5 = {
	.name = "socks5",
	.takes = TRANSPORT_TAKES_PROXY | TRANSPORT_TAKES_TCP,
	.check = socks_v5_check,
	.connect = socks_v5_connect,
	.cancel = proxy_cancel,
};
