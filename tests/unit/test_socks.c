/*
 * test_socks.c: the SOCKS4/4a and SOCKS5 codecs (exact layouts, every cut,
 * malformed and refusing reply) and both transports against a fake proxy.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "transport/proxy.h"
#include "proxy_peer.h"

#define BUF_LEN     1024u
#define TUNNEL      "\x16\x03\x01 first tunnel bytes"
#define TUNNEL_LEN  (sizeof TUNNEL - 1)
#define PORT_HI     0x1eu         /* 7777 */
#define PORT_LO     0x61u

/* Each decoder gets an exact-size heap copy, so an over-read is caught. */
static uint8_t *
dup_bytes(const void *data, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	assert_non_null(p);
	memcpy(p, data, len);
	return p;
}

static enum proto_result
v4_decode(const void *data, size_t len, uint8_t *code, const char **why)
{
	uint8_t *p = dup_bytes(data, len);
	enum proto_result rc = socks_v4_reply_decode(p, len, code, why);

	free(p);
	return rc;
}

static enum proto_result
v5_method(const void *data, size_t len, int offered, uint8_t *m,
    const char **why)
{
	uint8_t *p = dup_bytes(data, len);
	enum proto_result rc = socks_v5_method_decode(p, len, offered, m, why);

	free(p);
	return rc;
}

static enum proto_result
v5_auth(const void *data, size_t len, const char **why)
{
	uint8_t *p = dup_bytes(data, len);
	enum proto_result rc = socks_v5_auth_decode(p, len, why);

	free(p);
	return rc;
}

static enum proto_result
v5_reply(const void *data, size_t len, uint8_t *code, size_t *used,
    const char **why)
{
	uint8_t *p = dup_bytes(data, len);
	enum proto_result rc = socks_v5_reply_decode(p, len, code, used, why);

	free(p);
	return rc;
}

/* ---- SOCKS4 ---------------------------------------------------------- */

static void
test_v4_encode(void **state)
{
	static const uint8_t v4[] = { 4, 1, PORT_HI, PORT_LO, 10, 0, 0, 1,
	    'b', 'o', 'b', 0 };
	static const uint8_t v4a[] = { 4, 1, PORT_HI, PORT_LO, 0, 0, 0, 1, 0,
	    'h', 'u', 'b', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0 };
	uint8_t out[BUF_LEN];
	size_t n;

	n = socks_v4_request_encode(out, sizeof out, "10.0.0.1", 7777, "bob");
	assert_int_equal(n, sizeof v4);
	assert_memory_equal(out, v4, n);
	n = socks_v4_request_encode(out, sizeof out, "hub.example", 7777,
	    NULL);
	assert_int_equal(n, sizeof v4a);
	assert_memory_equal(out, v4a, n);
	/* Not dotted-quad: a name for the proxy to resolve. */
	n = socks_v4_request_encode(out, sizeof out, "10.1", 7777, "");
	assert_int_equal(n, 8 + 1 + 5);
	assert_int_equal(out[7], SOCKS_V4A_IP);
}

static void
test_v4_encode_refuses(void **state)
{
	uint8_t out[BUF_LEN];
	char longer[300];
	size_t need;

	assert_int_equal(socks_v4_request_encode(out, sizeof out, "::1", 1,
	    NULL), 0);
	assert_int_equal(socks_v4_request_encode(out, sizeof out, "", 1,
	    NULL), 0);
	memset(longer, 'a', 256);
	longer[256] = '\0';
	assert_int_equal(socks_v4_request_encode(out, sizeof out, longer, 1,
	    NULL), 0);
	assert_int_equal(socks_v4_request_encode(out, sizeof out, "h", 1,
	    longer), 0);
	longer[255] = '\0';
	assert_int_equal(socks_v4_request_encode(out, sizeof out, longer, 1,
	    longer), 8 + 256 + 256);
	need = socks_v4_request_encode(out, sizeof out, "hub.example", 1,
	    "bob");
	for (size_t cap = 0; cap < need; cap++) {
		uint8_t *small = malloc(cap ? cap : 1);
		assert_non_null(small);
		assert_int_equal(socks_v4_request_encode(small, cap,
		    "hub.example", 1, "bob"), 0);
		free(small);
	}
	assert_int_equal(socks_v4_request_encode(out, need, "hub.example", 1,
	    "bob"), need);
}

static void
test_v4_reply(void **state)
{
	static const uint8_t granted[] = { 0, 90, 0, 0, 0, 0, 0, 0,
	    'T', 'U', 'N' };
	uint8_t reply[SOCKS_V4_REPLY_LEN] = { 0 };
	const char *why;
	uint8_t code;

	for (size_t len = SOCKS_V4_REPLY_LEN; len <= sizeof granted; len++) {
		code = 0;
		assert_int_equal(v4_decode(granted, len, &code, &why),
		    PROTO_OK);
		assert_int_equal(code, SOCKS_V4_GRANTED);
	}
	for (size_t cut = 0; cut < SOCKS_V4_REPLY_LEN; cut++)
		assert_int_equal(v4_decode(granted, cut, &code, &why),
		    PROTO_NEED_MORE);
	for (unsigned c = 0; c < 256; c++) {
		reply[1] = (uint8_t)c;
		assert_int_equal(v4_decode(reply, sizeof reply, &code, &why),
		    PROTO_OK);
		assert_int_equal(code, c);
		assert_non_null(socks_v4_reply_text(code));
	}
	/* A reply must carry VN 0: a SOCKS4 request echoed back or a SOCKS5
	 * server is refused at its first byte. */
	for (unsigned vn = 1; vn < 256; vn++) {
		reply[0] = (uint8_t)vn;
		why = NULL;
		assert_int_equal(v4_decode(reply, 1, &code, &why), PROTO_BAD);
		assert_string_equal(why, "not a SOCKS4 reply");
	}
	assert_string_equal(socks_v4_reply_text(90), "request granted");
	assert_string_equal(socks_v4_reply_text(91),
	    "request rejected or failed");
	assert_non_null(strstr(socks_v4_reply_text(92), "identd"));
	assert_non_null(strstr(socks_v4_reply_text(93), "user id"));
	assert_string_equal(socks_v4_reply_text(0), "unknown reply code");
	assert_string_equal(socks_v4_reply_text(94), "unknown reply code");
}

/* ---- SOCKS5 ---------------------------------------------------------- */

static void
test_v5_greeting(void **state)
{
	static const uint8_t plain[] = { 5, 1, 0 };
	static const uint8_t auth[] = { 5, 2, 0, 2 };
	uint8_t out[BUF_LEN];

	assert_int_equal(socks_v5_greeting_encode(out, sizeof out, 0),
	    sizeof plain);
	assert_memory_equal(out, plain, sizeof plain);
	assert_int_equal(socks_v5_greeting_encode(out, sizeof out, 1),
	    sizeof auth);
	assert_memory_equal(out, auth, sizeof auth);
	assert_int_equal(socks_v5_greeting_encode(out, 3, 1), 0);
}

static void
test_v5_method(void **state)
{
	static const uint8_t none[] = { 5, 0, 'x' };
	uint8_t m[2];
	const char *why;
	uint8_t method;

	assert_int_equal(v5_method(none, 0, 0, &method, &why),
	    PROTO_NEED_MORE);
	assert_int_equal(v5_method(none, 1, 0, &method, &why),
	    PROTO_NEED_MORE);
	assert_int_equal(v5_method(none, 3, 0, &method, &why), PROTO_OK);
	assert_int_equal(method, SOCKS_V5_NO_AUTH);
	assert_int_equal(v5_method(none, 2, 1, &method, &why), PROTO_OK);
	for (unsigned c = 0; c < 256; c++) {
		m[0] = SOCKS_V5;
		m[1] = (uint8_t)c;
		for (int offered = 0; offered <= 1; offered++) {
			enum proto_result rc;
			why = NULL;
			rc = v5_method(m, sizeof m, offered, &method, &why);
			if (c == SOCKS_V5_NO_AUTH ||
			    (c == SOCKS_V5_USERPASS && offered)) {
				assert_int_equal(rc, PROTO_OK);
				assert_int_equal(method, c);
			} else {
				assert_int_equal(rc, PROTO_BAD);
				assert_non_null(why);
			}
		}
	}
	m[1] = SOCKS_V5_NO_METHOD;
	assert_int_equal(v5_method(m, sizeof m, 1, &method, &why), PROTO_BAD);
	assert_string_equal(why, "no acceptable authentication method (does "
	    "it need --proxy-user?)");
	m[0] = 4;
	assert_int_equal(v5_method(m, 1, 0, &method, &why), PROTO_BAD);
	assert_string_equal(why, "not a SOCKS5 reply");
}

static void
test_v5_auth(void **state)
{
	static const uint8_t want[] = { 1, 5, 'a', 'l', 'i', 'c', 'e', 3, 'p',
	    'w', '!' };
	static const uint8_t ok[] = { 1, 0 };
	static const uint8_t no[] = { 1, 1 };
	static const uint8_t v5[] = { 5, 0 };
	uint8_t out[BUF_LEN];
	char f255[256], f256[257];
	const char *why;

	assert_int_equal(socks_v5_auth_encode(out, sizeof out, "alice", "pw!"),
	    sizeof want);
	assert_memory_equal(out, want, sizeof want);
	memset(f255, 'u', 255);
	f255[255] = '\0';
	memset(f256, 'p', 256);
	f256[256] = '\0';
	assert_int_equal(socks_v5_auth_encode(out, sizeof out, f255, f255),
	    3 + 255 + 255);
	assert_int_equal(out[1], 255);
	assert_int_equal(out[2 + 255], 255);
	assert_int_equal(socks_v5_auth_encode(out, sizeof out, f256, "p"), 0);
	assert_int_equal(socks_v5_auth_encode(out, sizeof out, "u", f256), 0);
	assert_int_equal(socks_v5_auth_encode(out, sizeof out, "", "p"), 0);
	assert_int_equal(socks_v5_auth_encode(out, sizeof out, "u", ""), 0);
	assert_int_equal(socks_v5_auth_encode(out, sizeof out, NULL, "p"), 0);
	assert_int_equal(socks_v5_auth_encode(out, sizeof out, "u", NULL), 0);
	for (size_t cap = 0; cap < sizeof want; cap++)
		assert_int_equal(socks_v5_auth_encode(out, cap, "alice",
		    "pw!"), 0);

	assert_int_equal(v5_auth(ok, 0, &why), PROTO_NEED_MORE);
	assert_int_equal(v5_auth(ok, 1, &why), PROTO_NEED_MORE);
	assert_int_equal(v5_auth(ok, 2, &why), PROTO_OK);
	assert_int_equal(v5_auth(no, 1, &why), PROTO_NEED_MORE);
	assert_int_equal(v5_auth(no, 2, &why), PROTO_BAD);
	assert_string_equal(why, "proxy user or password refused");
	assert_int_equal(v5_auth(v5, 1, &why), PROTO_BAD);
	assert_string_equal(why, "not a SOCKS5 authentication reply");
}

static void
test_v5_connect_encode(void **state)
{
	static const uint8_t v4[] = { 5, 1, 0, 1, 10, 0, 0, 1, PORT_HI,
	    PORT_LO };
	static const uint8_t v6[] = { 5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8, 0,
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, PORT_HI, PORT_LO };
	static const uint8_t name[] = { 5, 1, 0, 3, 11, 'h', 'u', 'b', '.',
	    'e', 'x', 'a', 'm', 'p', 'l', 'e', PORT_HI, PORT_LO };
	uint8_t out[BUF_LEN];
	char longer[300];

	assert_int_equal(socks_v5_connect_encode(out, sizeof out, "10.0.0.1",
	    7777), sizeof v4);
	assert_memory_equal(out, v4, sizeof v4);
	assert_int_equal(socks_v5_connect_encode(out, sizeof out,
	    "2001:db8::1", 7777), sizeof v6);
	assert_memory_equal(out, v6, sizeof v6);
	assert_int_equal(socks_v5_connect_encode(out, sizeof out,
	    "hub.example", 7777), sizeof name);
	assert_memory_equal(out, name, sizeof name);

	memset(longer, 'a', 256);
	longer[256] = '\0';
	assert_int_equal(socks_v5_connect_encode(out, sizeof out, longer, 1),
	    0);
	longer[255] = '\0';
	assert_int_equal(socks_v5_connect_encode(out, sizeof out, longer, 1),
	    4 + 1 + 255 + 2);
	assert_int_equal(socks_v5_connect_encode(out, sizeof out, "", 1), 0);
	assert_int_equal(socks_v5_connect_encode(out, sizeof out, "fe80::1%x",
	    1), 0);
	for (size_t cap = 0; cap < sizeof name; cap++)
		assert_int_equal(socks_v5_connect_encode(out, cap,
		    "hub.example", 7777), 0);
	for (size_t cap = 0; cap < sizeof v6; cap++)
		assert_int_equal(socks_v5_connect_encode(out, cap,
		    "2001:db8::1", 7777), 0);
}

/* Replies share the request's address layout: each encoded request, with
 * CMD turned into REP "succeeded", decodes to exactly its own length. */
static void
test_v5_reply_round_trip(void **state)
{
	static const char *const hosts[] = { "10.0.0.1", "::1", "h",
	    "hub.example", "2001:db8:1:2:3:4:5:6" };
	uint8_t out[BUF_LEN + 16];
	const char *why;
	uint8_t code;
	size_t n, used;

	for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
		n = socks_v5_connect_encode(out, BUF_LEN, hosts[i], 1);
		assert_true(n > 0);
		out[1] = SOCKS_V5_SUCCEEDED;
		memcpy(out + n, TUNNEL, TUNNEL_LEN);
		for (size_t len = n; len <= n + TUNNEL_LEN; len++) {
			used = 0;
			assert_int_equal(v5_reply(out, len, &code, &used, &why),
			    PROTO_OK);
			assert_int_equal(code, SOCKS_V5_SUCCEEDED);
			assert_int_equal(used, n);
		}
		for (size_t cut = 0; cut < n; cut++)
			assert_int_equal(v5_reply(out, cut, &code, &used, &why),
			    PROTO_NEED_MORE);
	}
}

static void
test_v5_reply(void **state)
{
	static const char *const rfc[] = {
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
	/* An empty bound name: the shortest reply there is. */
	static const uint8_t empty_name[] = { 5, 0, 0, 3, 0, 0, 0 };
	uint8_t r[32] = { 5, 0, 0, 1, 127, 0, 0, 1, 0, 80 };
	const char *why;
	uint8_t code;
	size_t used;

	for (size_t c = 0; c < sizeof rfc / sizeof rfc[0]; c++)
		assert_string_equal(socks_v5_reply_text((uint8_t)c), rfc[c]);
	for (unsigned c = 9; c < 256; c++)
		assert_string_equal(socks_v5_reply_text((uint8_t)c),
		    "unknown reply code");

	assert_int_equal(v5_reply(empty_name, sizeof empty_name, &code, &used,
	    &why), PROTO_OK);
	assert_int_equal(used, sizeof empty_name);
	for (size_t cut = 0; cut < sizeof empty_name; cut++)
		assert_int_equal(v5_reply(empty_name, cut, &code, &used, &why),
		    PROTO_NEED_MORE);

	/* A refusal is final once its code is in, whatever follows. */
	for (unsigned c = 1; c < 256; c++) {
		r[1] = (uint8_t)c;
		r[3] = 0x77;
		for (size_t len = 2; len <= 10; len++) {
			used = 0;
			assert_int_equal(v5_reply(r, len, &code, &used, &why),
			    PROTO_OK);
			assert_int_equal(code, c);
			assert_int_equal(used, 2);
		}
	}
	r[1] = 0;
	/* A dirty RSV carries nothing. */
	r[2] = 0xaa;
	r[3] = SOCKS_V5_ATYP_IPV4;
	assert_int_equal(v5_reply(r, 10, &code, &used, &why), PROTO_OK);
	assert_int_equal(used, 10);
	r[2] = 0;
	for (unsigned atyp = 0; atyp < 256; atyp++) {
		if (atyp == SOCKS_V5_ATYP_IPV4 || atyp == SOCKS_V5_ATYP_IPV6 ||
		    atyp == SOCKS_V5_ATYP_NAME)
			continue;
		r[3] = (uint8_t)atyp;
		why = NULL;
		assert_int_equal(v5_reply(r, sizeof r, &code, &used, &why),
		    PROTO_BAD);
		assert_string_equal(why,
		    "unknown address type in SOCKS5 reply");
		assert_int_equal(v5_reply(r, 4, &code, &used, &why),
		    PROTO_NEED_MORE);
	}
	for (unsigned ver = 0; ver < 256; ver++) {
		if (ver == SOCKS_V5)
			continue;
		r[0] = (uint8_t)ver;
		assert_int_equal(v5_reply(r, 1, &code, &used, &why), PROTO_BAD);
		assert_string_equal(why, "not a SOCKS5 reply");
	}
}

static void
test_check(void **state)
{
	struct transport_target t;

	memset(&t, 0, sizeof t);
	t.host = "hub.example";
	t.port = 7777;
	assert_string_equal(transport_socks4.check(&t),
	    "needs --proxy HOST:PORT");
	assert_string_equal(transport_socks5.check(&t),
	    "needs --proxy HOST:PORT");
	t.proxy_host = "127.0.0.1";
	t.proxy_port = 1080;
	assert_null(transport_socks4.check(&t));
	assert_null(transport_socks5.check(&t));

	t.proxy_user = "bob";
	assert_null(transport_socks4.check(&t));
	assert_non_null(transport_socks5.check(&t));  /* no password */
	t.proxy_password = "pw";
	assert_string_equal(transport_socks4.check(&t),
	    "SOCKS4 has no passwords; use --via socks5");
	assert_null(transport_socks5.check(&t));
	t.proxy_user = NULL;
	assert_non_null(transport_socks5.check(&t));  /* password alone */
	t.proxy_user = "";
	assert_non_null(transport_socks5.check(&t));
	t.proxy_user = "bob";
	t.proxy_password = NULL;

	t.host = "2001:db8::1";
	assert_non_null(transport_socks4.check(&t));
	t.host = "10.0.0.1";
	assert_null(transport_socks4.check(&t));
	t.ssh_dest = "gw";
	assert_non_null(transport_socks4.check(&t));
	assert_non_null(transport_socks5.check(&t));
	assert_ptr_equal(transport_find("socks4"), &transport_socks4);
	assert_ptr_equal(transport_find("socks5"), &transport_socks5);
}

/* ---- The transports against a fake proxy ----------------------------- */

struct fixture {
	struct event_base *base;
	struct peer peer;
	struct transport_target t;
	struct peer_result r;
	uint8_t req[3][BUF_LEN];        /* what the client must send */
	size_t req_len[3];
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

/* The requests, byte for byte, in the order they went out. */
static void
expect_requests(const struct fixture *f, size_t n)
{
	size_t off = 0;

	for (size_t i = 0; i < n; i++) {
		assert_true(off + f->req_len[i] <= f->peer.got_len);
		assert_memory_equal(f->peer.got + off, f->req[i],
		    f->req_len[i]);
		off += f->req_len[i];
	}
	assert_int_equal(off, f->peer.got_len);
}

static void
test_v4_tunnel(void **state)
{
	struct fixture *f = *state;
	static const uint8_t reply[] = { 0, 90, 0, 0, 0, 0, 0, 0,
	    '\x16', '\x03', '\x01', ' ', 'f', 'i', 'r', 's', 't', ' ', 't', 'u',
	    'n', 'n', 'e', 'l', ' ', 'b', 'y', 't', 'e', 's' };

	assert_int_equal(sizeof reply, SOCKS_V4_REPLY_LEN + TUNNEL_LEN);
	f->t.proxy_user = "bob";
	f->req_len[0] = socks_v4_request_encode(f->req[0], BUF_LEN,
	    PEER_HUB_HOST, PEER_HUB_PORT, "bob");
	peer_add(&f->peer, f->req_len[0], reply, sizeof reply);
	peer_run(f->base, &transport_socks4, &f->t, &f->r);
	assert_string_equal(f->r.err, "");
	expect_requests(f, 1);
	peer_expect_tunnel(f->base, f->r.fd, TUNNEL, TUNNEL_LEN);
}

static void
test_v4_rejected(void **state)
{
	struct fixture *f = *state;
	static const uint8_t reply[] = { 0, 91, 0, 0, 0, 0, 0, 0 };
	char want[PROXY_ERR_MAX];

	f->t.host = "10.9.8.7";
	f->req_len[0] = socks_v4_request_encode(f->req[0], BUF_LEN,
	    "10.9.8.7", PEER_HUB_PORT, NULL);
	f->peer.trickle = 1;
	peer_add(&f->peer, f->req_len[0], reply, sizeof reply);
	peer_run(f->base, &transport_socks4, &f->t, &f->r);
	assert_int_equal(f->r.fd, -1);
	expect_requests(f, 1);
	snprintf(want, sizeof want, "SOCKS4 proxy 127.0.0.1:%u could not "
	    "connect to 10.9.8.7:7777: request rejected or failed (code 91)",
	    f->peer.port);
	assert_string_equal(f->r.err, want);
}

/* No authentication; a name-typed bound address of odd length. */
static void
test_v5_tunnel(void **state)
{
	struct fixture *f = *state;
	static const uint8_t method[] = { 5, 0 };
	static const uint8_t reply[] = { 5, 0, 0, 3, 5, 'p', 'r', 'o', 'x',
	    'y', 0x04, 0x38, '\x16', '\x03', '\x01', ' ', 'f', 'i', 'r', 's',
	    't', ' ', 't', 'u', 'n', 'n', 'e', 'l', ' ', 'b', 'y', 't', 'e',
	    's' };

	f->req_len[0] = socks_v5_greeting_encode(f->req[0], BUF_LEN, 0);
	f->req_len[1] = socks_v5_connect_encode(f->req[1], BUF_LEN,
	    PEER_HUB_HOST, PEER_HUB_PORT);
	peer_add(&f->peer, f->req_len[0], method, sizeof method);
	peer_add(&f->peer, f->req_len[1], reply, sizeof reply);
	peer_run(f->base, &transport_socks5, &f->t, &f->r);
	assert_string_equal(f->r.err, "");
	expect_requests(f, 2);
	peer_expect_tunnel(f->base, f->r.fd, TUNNEL, TUNNEL_LEN);
}

/* User and password, every reply one byte at a time, IPv6 bound address. */
static void
test_v5_tunnel_auth_trickle(void **state)
{
	struct fixture *f = *state;
	static const uint8_t method[] = { 5, 2 };
	static const uint8_t auth_ok[] = { 1, 0 };
	static uint8_t reply[4 + 16 + 2 + TUNNEL_LEN] = { 5, 0, 0, 4 };

	memcpy(reply + 22, TUNNEL, TUNNEL_LEN);
	f->t.proxy_user = "alice";
	f->t.proxy_password = "pw";
	f->peer.trickle = 1;
	f->req_len[0] = socks_v5_greeting_encode(f->req[0], BUF_LEN, 1);
	f->req_len[1] = socks_v5_auth_encode(f->req[1], BUF_LEN, "alice",
	    "pw");
	f->req_len[2] = socks_v5_connect_encode(f->req[2], BUF_LEN,
	    PEER_HUB_HOST, PEER_HUB_PORT);
	peer_add(&f->peer, f->req_len[0], method, sizeof method);
	peer_add(&f->peer, f->req_len[1], auth_ok, sizeof auth_ok);
	peer_add(&f->peer, f->req_len[2], reply, sizeof reply);
	peer_run(f->base, &transport_socks5, &f->t, &f->r);
	assert_string_equal(f->r.err, "");
	expect_requests(f, 3);
	peer_expect_tunnel(f->base, f->r.fd, TUNNEL, TUNNEL_LEN);
}

/* Credentials offered, but the server is happy without them. */
static void
test_v5_auth_not_needed(void **state)
{
	struct fixture *f = *state;
	static const uint8_t method[] = { 5, 0 };
	static const uint8_t reply[] = { 5, 0, 0, 1, 127, 0, 0, 1, 0, 1 };

	f->t.proxy_user = "alice";
	f->t.proxy_password = "pw";
	f->req_len[0] = socks_v5_greeting_encode(f->req[0], BUF_LEN, 1);
	f->req_len[1] = socks_v5_connect_encode(f->req[1], BUF_LEN,
	    PEER_HUB_HOST, PEER_HUB_PORT);
	peer_add(&f->peer, f->req_len[0], method, sizeof method);
	peer_add(&f->peer, f->req_len[1], reply, sizeof reply);
	peer_run(f->base, &transport_socks5, &f->t, &f->r);
	assert_string_equal(f->r.err, "");
	expect_requests(f, 2);
}

static void
test_v5_auth_refused(void **state)
{
	struct fixture *f = *state;
	static const uint8_t method[] = { 5, 2 };
	static const uint8_t auth_no[] = { 1, 1 };
	char want[PROXY_ERR_MAX];

	f->t.proxy_user = "alice";
	f->t.proxy_password = "wrong";
	f->req_len[0] = socks_v5_greeting_encode(f->req[0], BUF_LEN, 1);
	f->req_len[1] = socks_v5_auth_encode(f->req[1], BUF_LEN, "alice",
	    "wrong");
	peer_add(&f->peer, f->req_len[0], method, sizeof method);
	peer_add(&f->peer, f->req_len[1], auth_no, sizeof auth_no);
	f->peer.after = PEER_CLOSE;
	peer_run(f->base, &transport_socks5, &f->t, &f->r);
	assert_int_equal(f->r.fd, -1);
	snprintf(want, sizeof want, "SOCKS5 proxy 127.0.0.1:%u: proxy user "
	    "or password refused", f->peer.port);
	assert_string_equal(f->r.err, want);
}

static void
test_v5_no_method(void **state)
{
	struct fixture *f = *state;
	static const uint8_t method[] = { 5, 0xff };

	peer_add(&f->peer, 3, method, sizeof method);
	f->peer.after = PEER_CLOSE;
	peer_run(f->base, &transport_socks5, &f->t, &f->r);
	assert_int_equal(f->r.fd, -1);
	assert_non_null(strstr(f->r.err, ": no acceptable authentication "
	    "method (does it need --proxy-user?)"));
}

static void
test_v5_refused(void **state)
{
	struct fixture *f = *state;
	static const uint8_t method[] = { 5, 0 };
	static const uint8_t reply[] = { 5, 5, 0, 1, 0, 0, 0, 0, 0, 0 };
	char want[PROXY_ERR_MAX];

	f->t.host = "2001:db8::7";
	peer_add(&f->peer, 3, method, sizeof method);
	peer_add(&f->peer, 4 + 16 + 2, reply, sizeof reply);
	peer_run(f->base, &transport_socks5, &f->t, &f->r);
	assert_int_equal(f->r.fd, -1);
	snprintf(want, sizeof want, "SOCKS5 proxy 127.0.0.1:%u could not "
	    "connect to [2001:db8::7]:7777: connection refused (reply code "
	    "5)", f->peer.port);
	assert_string_equal(f->r.err, want);
}

/* The reply stops inside the bound address. */
static void
test_v5_close_mid_reply(void **state)
{
	struct fixture *f = *state;
	static const uint8_t method[] = { 5, 0 };
	static const uint8_t part[] = { 5, 0, 0, 4, 0x20, 0x01 };

	peer_add(&f->peer, 3, method, sizeof method);
	peer_add(&f->peer, 4 + 1 + 11 + 2, part, sizeof part);
	f->peer.after = PEER_CLOSE;
	peer_run(f->base, &transport_socks5, &f->t, &f->r);
	assert_int_equal(f->r.fd, -1);
	assert_non_null(strstr(f->r.err, "closed the connection in the "
	    "middle of its reply"));
}

/* Greets, then never answers the CONNECT. */
static void
test_v5_stall(void **state)
{
	struct fixture *f = *state;
	static const uint8_t method[] = { 5, 0 };
	char want[PROXY_ERR_MAX];

	proxy_timeout_ms = PEER_SHORT_MS;
	peer_add(&f->peer, 3, method, sizeof method);
	peer_run(f->base, &transport_socks5, &f->t, &f->r);
	assert_int_equal(f->r.fd, -1);
	snprintf(want, sizeof want, "proxy 127.0.0.1:%u did not answer "
	    "within %u ms", f->peer.port, PEER_SHORT_MS);
	assert_string_equal(f->r.err, want);
}

static void
test_v4_stall_and_cancel(void **state)
{
	struct fixture *f = *state;
	struct transport_conn *c;
	struct timeval tv = { 0, 50000 };

	proxy_timeout_ms = PEER_SHORT_MS;
	peer_run(f->base, &transport_socks4, &f->t, &f->r);
	assert_int_equal(f->r.fd, -1);
	assert_non_null(strstr(f->r.err, "did not answer within"));

	memset(&f->r, 0, sizeof f->r);
	f->r.fd = -1;
	f->t.proxy_port = peer_dead_port();
	c = transport_socks4.connect(f->base, &f->t, peer_done, &f->r);
	assert_non_null(c);
	transport_socks4.cancel(c);
	event_base_loopexit(f->base, &tv);
	event_base_dispatch(f->base);
	assert_int_equal(f->r.called, 0);
	peer_run(f->base, &transport_socks5, &f->t, &f->r);
	assert_non_null(strstr(f->r.err, "proxy unreachable"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_encode),
		cmocka_unit_test(test_v4_encode_refuses),
		cmocka_unit_test(test_v4_reply),
		cmocka_unit_test(test_v5_greeting),
		cmocka_unit_test(test_v5_method),
		cmocka_unit_test(test_v5_auth),
		cmocka_unit_test(test_v5_connect_encode),
		cmocka_unit_test(test_v5_reply_round_trip),
		cmocka_unit_test(test_v5_reply),
		cmocka_unit_test(test_check),
		cmocka_unit_test_setup_teardown(test_v4_tunnel, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_v4_rejected, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_v5_tunnel, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_v5_tunnel_auth_trickle,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_v5_auth_not_needed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_v5_auth_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_v5_no_method, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_v5_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_v5_close_mid_reply, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_v5_stall, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v4_stall_and_cancel,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
