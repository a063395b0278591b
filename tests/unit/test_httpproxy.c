/*
 * test_httpproxy.c: the HTTP CONNECT codecs (requests, credentials, every
 * malformed or cut reply) and the http-proxy transport against a fake proxy.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "transport/proxy.h"
#include "proxy_peer.h"

#define OUT_LEN     PROXY_OUT_MAX
#define TUNNEL      "\x16\x03\x01 first tunnel bytes"
#define TUNNEL_LEN  (sizeof TUNNEL - 1)
#define OK_REPLY    "HTTP/1.1 200 Connection established\r\n\r\n"
#define REQ_PLAIN   "CONNECT hub.example:7777 HTTP/1.1\r\n" \
                    "Host: hub.example:7777\r\n\r\n"
#define PROXY_USER  "alice"
#define PROXY_PASS  "s3cret: with colon"

/* Decoded from an exact-size heap copy, so any over-read is caught. */
static enum proto_result
decode(const void *data, size_t len, struct httpproxy_reply *r,
    const char **why)
{
	uint8_t *copy = malloc(len ? len : 1);
	enum proto_result rc;

	assert_non_null(copy);
	memcpy(copy, data, len);
	*why = NULL;
	rc = httpproxy_reply_decode(copy, len, r, why);
	free(copy);
	return rc;
}

static void
test_encode_plain(void **state)
{
	char out[OUT_LEN];
	const char *why = NULL;
	size_t n;

	n = httpproxy_request_encode(out, sizeof out, "hub.example", 7777,
	    NULL, NULL, &why);
	assert_int_equal(n, strlen(REQ_PLAIN));
	assert_string_equal(out, REQ_PLAIN);

	n = httpproxy_request_encode(out, sizeof out, "2001:db8::1", 443,
	    NULL, NULL, &why);
	assert_true(n > 0);
	assert_string_equal(out, "CONNECT [2001:db8::1]:443 HTTP/1.1\r\n"
	    "Host: [2001:db8::1]:443\r\n\r\n");

	n = httpproxy_request_encode(out, sizeof out, "10.0.0.1", 1, NULL,
	    NULL, &why);
	assert_string_equal(out, "CONNECT 10.0.0.1:1 HTTP/1.1\r\n"
	    "Host: 10.0.0.1:1\r\n\r\n");
}

/* The credentials come back out of the header exactly. */
static void
test_encode_auth(void **state)
{
	static const char prefix[] = "CONNECT hub.example:7777 HTTP/1.1\r\n"
	    "Host: hub.example:7777\r\nProxy-Authorization: Basic ";
	char out[OUT_LEN], cred[OUT_LEN];
	char user[256], pw[PROTO_MAX_SECRET + 1], host[256];
	const char *why = NULL, *b64, *end;
	size_t n, clen = 0;

	n = httpproxy_request_encode(out, sizeof out, "hub.example", 7777,
	    PROXY_USER, PROXY_PASS, &why);
	assert_int_equal(n, strlen(out));
	assert_memory_equal(out, prefix, sizeof prefix - 1);
	b64 = out + sizeof prefix - 1;
	end = strstr(b64, "\r\n\r\n");
	assert_non_null(end);
	assert_ptr_equal(end + 4, out + n);
	assert_int_equal(sodium_base642bin((unsigned char *)cred, sizeof cred,
	    b64, (size_t)(end - b64), NULL, &clen, NULL,
	    sodium_base64_VARIANT_ORIGINAL), 0);
	assert_int_equal(clen, strlen(PROXY_USER ":" PROXY_PASS));
	assert_memory_equal(cred, PROXY_USER ":" PROXY_PASS, clen);

	/* A known answer: RFC 7617's example. */
	n = httpproxy_request_encode(out, sizeof out, "h", 1, "Aladdin",
	    "open sesame", &why);
	assert_non_null(strstr(out, "\r\nProxy-Authorization: Basic "
	    "QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n"));

	/* A user without a password file: an empty password. */
	n = httpproxy_request_encode(out, sizeof out, "h", 1, "u", NULL,
	    &why);
	assert_non_null(strstr(out, "Basic dTo=\r\n"));

	/* The largest credentials fit the driver's buffer. */
	memset(user, 'u', sizeof user - 1);
	user[sizeof user - 1] = '\0';
	memset(pw, 'p', sizeof pw - 1);
	pw[sizeof pw - 1] = '\0';
	memset(host, 'h', sizeof host - 1);
	host[sizeof host - 1] = '\0';
	n = httpproxy_request_encode(out, sizeof out, host, 65535, user, pw,
	    &why);
	assert_true(n > 0 && n < sizeof out);
}

static void
test_encode_refuses(void **state)
{
	static const char *const bad_hosts[] = {
		"", "hub example", "hub\r\nX-Evil: 1", "hub\n", "hub\t",
		"h\x7f", "h\xc3\xa9",
	};
	char out[OUT_LEN], longname[300];
	const char *why;
	size_t need, n;

	for (size_t i = 0; i < sizeof bad_hosts / sizeof bad_hosts[0]; i++) {
		why = NULL;
		assert_int_equal(httpproxy_request_encode(out, sizeof out,
		    bad_hosts[i], 80, NULL, NULL, &why), 0);
		assert_non_null(why);
	}
	memset(longname, 'a', 256);
	longname[256] = '\0';
	assert_int_equal(httpproxy_request_encode(out, sizeof out, longname,
	    80, NULL, NULL, &why), 0);
	longname[255] = '\0';
	assert_true(httpproxy_request_encode(out, sizeof out, longname, 80,
	    NULL, NULL, &why) > 0);

	why = NULL;
	assert_int_equal(httpproxy_request_encode(out, sizeof out, "h", 80,
	    "al:ice", "pw", &why), 0);
	assert_non_null(why);
	memset(longname, 'u', 256);
	longname[256] = '\0';
	assert_int_equal(httpproxy_request_encode(out, sizeof out, "h", 80,
	    longname, "pw", &why), 0);

	/* Every buffer too small by any amount is refused, never cut. */
	need = httpproxy_request_encode(out, sizeof out, "hub.example", 7777,
	    PROXY_USER, PROXY_PASS, &why);
	for (size_t cap = 0; cap <= need; cap++) {
		char *small = malloc(cap ? cap : 1);
		assert_non_null(small);
		n = httpproxy_request_encode(small, cap, "hub.example", 7777,
		    PROXY_USER, PROXY_PASS, &why);
		assert_int_equal(n, 0);
		free(small);
	}
	assert_int_equal(httpproxy_request_encode(out, need + 1,
	    "hub.example", 7777, PROXY_USER, PROXY_PASS, &why), need);
}

struct good {
	const char *text;
	unsigned status;
	size_t header_len;      /* 0: the whole text */
	const char *line;
};

static const struct good goods[] = {
	{ OK_REPLY, 200, 0, "HTTP/1.1 200 Connection established" },
	{ "HTTP/1.0 200 OK\r\nProxy-agent: tinyproxy/1.11.1\r\n\r\n", 200, 0,
	    "HTTP/1.0 200 OK" },
	{ "HTTP/1.1 200\r\n\r\n", 200, 0, "HTTP/1.1 200" },
	{ "HTTP/1.1 200 \r\n\r\n", 200, 0, "HTTP/1.1 200 " },
	{ "HTTP/1.1 200 OK\n\n", 200, 0, "HTTP/1.1 200 OK" },
	{ "HTTP/1.1 200 OK\nVia: x\n\n", 200, 0, "HTTP/1.1 200 OK" },
	{ "HTTP/1.1 200 OK\r\nVia: x\n\r\n", 200, 0, "HTTP/1.1 200 OK" },
	{ "HTTP/1.1 204 No Content\r\nA: b\r\nC: d\r\n\r\n", 204, 0,
	    "HTTP/1.1 204 No Content" },
	{ "HTTP/1.1 407 Proxy Authentication Required\r\n"
	    "Proxy-Authenticate: Basic realm=\"x\"\r\nContent-Length: 5\r\n"
	    "\r\n", 407, 0, "HTTP/1.1 407 Proxy Authentication Required" },
	{ "HTTP/1.1 999 odd\r\n\r\n", 999, 0, "HTTP/1.1 999 odd" },
	{ "HTTP/1.1 100 Continue\r\n\r\n", 100, 0, "HTTP/1.1 100 Continue" },
};
#define NGOODS (sizeof goods / sizeof goods[0])

/* Whatever follows the blank line is the tunnel's and is not counted. */
static void
test_decode_ok(void **state)
{
	uint8_t buf[512];
	struct httpproxy_reply r;
	const char *why;

	for (size_t i = 0; i < NGOODS; i++) {
		size_t len = strlen(goods[i].text);
		memcpy(buf, goods[i].text, len);
		memcpy(buf + len, TUNNEL "\r\n\r\n", TUNNEL_LEN + 4);
		for (size_t tail = 0; tail <= TUNNEL_LEN + 4; tail++) {
			assert_int_equal(decode(buf, len + tail, &r, &why),
			    PROTO_OK);
			assert_int_equal(r.status, goods[i].status);
			assert_int_equal(r.header_len, len);
			assert_string_equal(r.status_line, goods[i].line);
		}
	}
}

static void
test_decode_truncated(void **state)
{
	struct httpproxy_reply r;
	const char *why;

	for (size_t i = 0; i < NGOODS; i++)
		for (size_t cut = 0; cut < strlen(goods[i].text); cut++)
			assert_int_equal(decode(goods[i].text, cut, &r, &why),
			    PROTO_NEED_MORE);
}

static void
test_decode_malformed(void **state)
{
	static const char *const bads[] = {
		"SSH-2.0-OpenSSH_9.2\r\n",
		"\r\n\r\n",
		"http/1.1 200 OK\r\n\r\n",
		"HTTP/2 200\r\n\r\n",
		"HTTP/1.x 200 OK\r\n\r\n",
		"HTTP/1.1 20 OK\r\n\r\n",
		"HTTP/1.1 2000 OK\r\n\r\n",
		"HTTP/1.1 200OK\r\n\r\n",
		"HTTP/1.1  200 OK\r\n\r\n",
		"HTTP/1.1\t200 OK\r\n\r\n",
		"HTTP/1.1 2x0 OK\r\n\r\n",
		"HTTP/1.1 099 low\r\n\r\n",
		"HTTP/1.1 \r\n\r\n",
		"HTTP/1.1\n\n",
		"HTTP/1.1 200",   /* not yet: see below */
		"HTTP/1.\n",
		"HTTP/1.1 200 OK\r\r\n",
		"H\n",
		"X",
	};
	struct httpproxy_reply r;
	const char *why;

	for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
		enum proto_result rc = decode(bads[i], strlen(bads[i]), &r,
		    &why);
		if (strcmp(bads[i], "HTTP/1.1 200") == 0 ||
		    strcmp(bads[i], "HTTP/1.1 200 OK\r\r\n") == 0) {
			/* A status line still arriving; a stray CR then a
			 * header line still arriving. */
			assert_int_equal(rc, PROTO_NEED_MORE);
			continue;
		}
		if (rc != PROTO_BAD)
			fail_msg("accepted \"%s\"", bads[i]);
		assert_non_null(why);
	}
	/* A status line the length of the whole budget. */
	{
		uint8_t *big = malloc(HTTPPROXY_MAX_HEADER + 16);
		assert_non_null(big);
		memcpy(big, "HTTP/1.1 200 ", 13);
		memset(big + 13, 'x', HTTPPROXY_MAX_HEADER + 3);
		assert_int_equal(decode(big, HTTPPROXY_MAX_HEADER - 1, &r, &why),
		    PROTO_NEED_MORE);
		assert_int_equal(decode(big, HTTPPROXY_MAX_HEADER, &r, &why),
		    PROTO_BAD);
		assert_string_equal(why, "proxy reply headers too long");
		assert_int_equal(decode(big, HTTPPROXY_MAX_HEADER + 16, &r,
		    &why), PROTO_BAD);
		free(big);
	}
}

/* Headers up to the cap are fine; one byte more is refused. */
static void
test_decode_limit(void **state)
{
	static const char head[] = "HTTP/1.1 200 OK\r\nX: ";
	size_t len = HTTPPROXY_MAX_HEADER + 64;
	uint8_t *buf = malloc(len);
	struct httpproxy_reply r;
	const char *why;
	size_t end;

	assert_non_null(buf);
	for (end = HTTPPROXY_MAX_HEADER - 2; end <= HTTPPROXY_MAX_HEADER + 2;
	    end++) {
		memset(buf, 'y', len);
		memcpy(buf, head, sizeof head - 1);
		memcpy(buf + end - 4, "\r\n\r\n", 4);
		if (end <= HTTPPROXY_MAX_HEADER) {
			assert_int_equal(decode(buf, len, &r, &why), PROTO_OK);
			assert_int_equal(r.header_len, end);
			assert_int_equal(decode(buf, end, &r, &why), PROTO_OK);
		} else {
			assert_int_equal(decode(buf, len, &r, &why), PROTO_BAD);
			assert_string_equal(why,
			    "proxy reply headers too long");
			assert_int_equal(decode(buf, HTTPPROXY_MAX_HEADER - 1,
			    &r, &why), PROTO_NEED_MORE);
		}
	}
	free(buf);
}

/* What ends up in a log line cannot carry control bytes or run long. */
static void
test_decode_status_line_quoted(void **state)
{
	static const char evil[] =
	    "HTTP/1.1 403 Forb\x1b[31midden\x01\xff\r\n\r\n";
	char longer[HTTPPROXY_STATUS_MAX * 2 + 8];
	struct httpproxy_reply r;
	const char *why;

	assert_int_equal(decode(evil, sizeof evil - 1, &r, &why), PROTO_OK);
	assert_string_equal(r.status_line, "HTTP/1.1 403 Forb?[31midden??");
	memcpy(longer, "HTTP/1.1 502 ", 13);
	memset(longer + 13, 'z', sizeof longer - 13 - 4);
	memcpy(longer + sizeof longer - 4, "\r\n\r\n", 4);
	assert_int_equal(decode(longer, sizeof longer, &r, &why), PROTO_OK);
	assert_int_equal(r.status, 502);
	assert_int_equal(strlen(r.status_line), HTTPPROXY_STATUS_MAX - 1);
}

static void
test_check(void **state)
{
	struct transport_target t;

	memset(&t, 0, sizeof t);
	t.host = "hub.example";
	t.port = 7777;
	assert_string_equal(transport_http_proxy.check(&t),
	    "needs --proxy HOST:PORT");
	t.proxy_host = "127.0.0.1";
	t.proxy_port = 3128;
	assert_null(transport_http_proxy.check(&t));
	t.proxy_password = "pw";
	assert_non_null(transport_http_proxy.check(&t));
	t.proxy_user = "al:ice";
	assert_non_null(transport_http_proxy.check(&t));
	t.proxy_user = "alice";
	assert_null(transport_http_proxy.check(&t));
	t.ssh_dest = "gw";
	assert_non_null(transport_http_proxy.check(&t));
	t.ssh_dest = NULL;
	t.host = "bad host";
	assert_non_null(transport_http_proxy.check(&t));
	assert_ptr_equal(transport_find("http-proxy"), &transport_http_proxy);
	assert_non_null(strstr(transport_names(), "http-proxy"));
}

/* ---- The transport against a fake proxy ------------------------------ */

struct fixture {
	struct event_base *base;
	struct peer peer;
	struct transport_target t;
	struct peer_result r;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	assert_non_null(f);
	f->base = event_base_new();
	assert_non_null(f->base);
	peer_init(&f->peer, f->base);
	peer_target(&f->t, &f->peer);
	f->r.fd = -1;
	proxy_timeout_ms = PROXY_TIMEOUT_MS;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	if (f->r.fd >= 0)
		close(f->r.fd);
	peer_free(&f->peer);
	event_base_free(f->base);
	free(f);
	proxy_timeout_ms = PROXY_TIMEOUT_MS;
	return 0;
}

/* The reply and the first tunnel bytes in one segment: only the reply is
 * taken off the socket. */
static void
test_tunnel_ok(void **state)
{
	struct fixture *f = *state;
	static const char reply[] = "HTTP/1.0 200 Connection established\r\n"
	    "Proxy-agent: fake\r\n\r\n" TUNNEL;

	peer_add(&f->peer, PEER_HTTP, reply, sizeof reply - 1);
	peer_run(f->base, &transport_http_proxy, &f->t, &f->r);
	assert_string_equal(f->r.err, "");
	assert_true(f->r.fd >= 0);
	assert_true(fcntl(f->r.fd, F_GETFL) & O_NONBLOCK);
	assert_int_equal(f->peer.got_len, strlen(REQ_PLAIN));
	assert_memory_equal(f->peer.got, REQ_PLAIN, f->peer.got_len);
	peer_expect_tunnel(f->base, f->r.fd, TUNNEL, TUNNEL_LEN);
	/* And the stream goes on both ways. */
	assert_int_equal(write(f->r.fd, "up", 2), 2);
	assert_int_equal(write(f->peer.fd, "down", 4), 4);
	peer_expect_tunnel(f->base, f->r.fd, "down", 4);
}

/* One byte per segment, credentials sent. */
static void
test_tunnel_trickle_auth(void **state)
{
	struct fixture *f = *state;
	static const char reply[] = OK_REPLY TUNNEL;
	char want[OUT_LEN];
	const char *why;
	size_t n;

	f->t.proxy_user = PROXY_USER;
	f->t.proxy_password = PROXY_PASS;
	f->peer.trickle = 1;
	peer_add(&f->peer, PEER_HTTP, reply, sizeof reply - 1);
	peer_run(f->base, &transport_http_proxy, &f->t, &f->r);
	assert_string_equal(f->r.err, "");
	n = httpproxy_request_encode(want, sizeof want, PEER_HUB_HOST,
	    PEER_HUB_PORT, PROXY_USER, PROXY_PASS, &why);
	assert_int_equal(f->peer.got_len, n);
	assert_memory_equal(f->peer.got, want, n);
	peer_expect_tunnel(f->base, f->r.fd, TUNNEL, TUNNEL_LEN);
}

static const char reply_407[] = "HTTP/1.1 407 Proxy Authentication "
    "Required\r\nProxy-Authenticate: Basic realm=\"p\"\r\n"
    "Content-Length: 0\r\n\r\n";

static void
test_407_no_credentials(void **state)
{
	struct fixture *f = *state;
	char want[PROXY_ERR_MAX];

	peer_add(&f->peer, PEER_HTTP, reply_407, sizeof reply_407 - 1);
	peer_run(f->base, &transport_http_proxy, &f->t, &f->r);
	assert_int_equal(f->r.fd, -1);
	snprintf(want, sizeof want, "proxy 127.0.0.1:%u refused CONNECT: "
	    "\"HTTP/1.1 407 Proxy Authentication Required\" (the proxy wants "
	    "a user name and password: --proxy-user and "
	    "--proxy-password-file)", f->peer.port);
	assert_string_equal(f->r.err, want);
}

static void
test_407_wrong_credentials(void **state)
{
	struct fixture *f = *state;

	f->t.proxy_user = PROXY_USER;
	f->t.proxy_password = "wrong";
	peer_add(&f->peer, PEER_HTTP, reply_407, sizeof reply_407 - 1);
	peer_run(f->base, &transport_http_proxy, &f->t, &f->r);
	assert_int_equal(f->r.fd, -1);
	assert_non_null(strstr(f->r.err, "\"HTTP/1.1 407 Proxy "
	    "Authentication Required\" (wrong proxy user or password?)"));
}

/* tinyproxy's answer to wrong credentials. */
static void
test_401_wrong_credentials(void **state)
{
	struct fixture *f = *state;
	static const char reply[] = "HTTP/1.0 401 Unauthorized\r\n\r\n";

	f->t.proxy_user = PROXY_USER;
	f->t.proxy_password = "wrong";
	peer_add(&f->peer, PEER_HTTP, reply, sizeof reply - 1);
	peer_run(f->base, &transport_http_proxy, &f->t, &f->r);
	assert_int_equal(f->r.fd, -1);
	assert_non_null(strstr(f->r.err, "refused CONNECT: \"HTTP/1.0 401 "
	    "Unauthorized\" (wrong proxy user or password?)"));
}

static void
test_403(void **state)
{
	struct fixture *f = *state;
	static const char reply[] = "HTTP/1.1 403 Forbidden\r\n\r\n";
	char want[PROXY_ERR_MAX];

	peer_add(&f->peer, PEER_HTTP, reply, sizeof reply - 1);
	peer_run(f->base, &transport_http_proxy, &f->t, &f->r);
	assert_int_equal(f->r.fd, -1);
	snprintf(want, sizeof want, "proxy 127.0.0.1:%u refused CONNECT: "
	    "\"HTTP/1.1 403 Forbidden\"", f->peer.port);
	assert_string_equal(f->r.err, want);
}

static void
test_not_http(void **state)
{
	struct fixture *f = *state;
	static const char reply[] = "SSH-2.0-OpenSSH_9.2p1\r\n";

	peer_add(&f->peer, PEER_HTTP, reply, sizeof reply - 1);
	peer_run(f->base, &transport_http_proxy, &f->t, &f->r);
	assert_int_equal(f->r.fd, -1);
	assert_non_null(strstr(f->r.err, "not an HTTP reply"));
}

static void
test_close_mid_reply(void **state)
{
	struct fixture *f = *state;
	static const char part[] = "HTTP/1.1 200 Conn";

	f->peer.after = PEER_CLOSE;
	peer_add(&f->peer, PEER_HTTP, part, sizeof part - 1);
	peer_run(f->base, &transport_http_proxy, &f->t, &f->r);
	assert_int_equal(f->r.fd, -1);
	assert_non_null(strstr(f->r.err, "closed the connection in the "
	    "middle of its reply"));
}

static void
test_close_no_reply(void **state)
{
	struct fixture *f = *state;

	f->peer.after = PEER_CLOSE;
	peer_run(f->base, &transport_http_proxy, &f->t, &f->r);
	assert_int_equal(f->r.fd, -1);
	assert_non_null(strstr(f->r.err, "closed the connection without "
	    "replying"));
}

static void
test_stall(void **state)
{
	struct fixture *f = *state;
	static const char part[] = "HTTP/1.1 200 OK\r\n";
	char want[PROXY_ERR_MAX];

	proxy_timeout_ms = PEER_SHORT_MS;
	peer_add(&f->peer, PEER_HTTP, part, sizeof part - 1);
	peer_run(f->base, &transport_http_proxy, &f->t, &f->r);
	assert_int_equal(f->r.fd, -1);
	snprintf(want, sizeof want, "proxy 127.0.0.1:%u did not answer "
	    "within %u ms", f->peer.port, PEER_SHORT_MS);
	assert_string_equal(f->r.err, want);
}

static void
test_unreachable(void **state)
{
	struct fixture *f = *state;

	f->t.proxy_port = peer_dead_port();
	peer_run(f->base, &transport_http_proxy, &f->t, &f->r);
	assert_int_equal(f->r.fd, -1);
	assert_non_null(strstr(f->r.err, "proxy unreachable"));
}

/* Cancelled before the proxy answers, and before TCP even starts: done is
 * never called, nothing leaks. */
static void
test_cancel(void **state)
{
	struct fixture *f = *state;
	struct transport_conn *c;
	struct timeval tv = { 0, 50000 };

	c = transport_http_proxy.connect(f->base, &f->t, peer_done, &f->r);
	assert_non_null(c);
	transport_http_proxy.cancel(c);
	event_base_loopexit(f->base, &tv);
	event_base_dispatch(f->base);
	assert_int_equal(f->r.called, 0);

	c = transport_http_proxy.connect(f->base, &f->t, peer_done, &f->r);
	assert_non_null(c);
	while (f->peer.got_len == 0)
		event_base_loop(f->base, EVLOOP_ONCE);
	transport_http_proxy.cancel(c);
	event_base_loopexit(f->base, &tv);
	event_base_dispatch(f->base);
	assert_int_equal(f->r.called, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_plain),
		cmocka_unit_test(test_encode_auth),
		cmocka_unit_test(test_encode_refuses),
		cmocka_unit_test(test_decode_ok),
		cmocka_unit_test(test_decode_truncated),
		cmocka_unit_test(test_decode_malformed),
		cmocka_unit_test(test_decode_limit),
		cmocka_unit_test(test_decode_status_line_quoted),
		cmocka_unit_test(test_check),
		cmocka_unit_test_setup_teardown(test_tunnel_ok, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tunnel_trickle_auth, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_407_no_credentials, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_407_wrong_credentials,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_401_wrong_credentials,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_403, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_http, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_mid_reply, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_close_no_reply, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stall, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreachable, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
