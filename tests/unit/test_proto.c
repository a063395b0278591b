/*
 * test_proto.c: the wire codecs of proto.c: login messages round trip and
 * every malformed form is refused; record headers; item iteration.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto.h"

#define BUF_LEN (PROTO_MSG_HDR + PROTO_MSG_MAX_BODY + 64)

static uint8_t buf[BUF_LEN];

static struct proto_msg
sample_hello(void)
{
	struct proto_msg m;

	memset(&m, 0, sizeof m);
	m.type = PROTO_MSG_HELLO;
	m.u.hello.magic = PROTO_MAGIC;
	m.u.hello.version = PROTO_VERSION;
	m.u.hello.caps = PROTO_CAP_AESGCM | PROTO_CAP_CHACHA;
	strcpy(m.u.hello.hub, "office");
	return m;
}

static struct proto_msg
sample_auth(void)
{
	struct proto_msg m;

	memset(&m, 0, sizeof m);
	m.type = PROTO_MSG_AUTH;
	m.u.auth.method = PROTO_AUTH_PASSWORD;
	strcpy(m.u.auth.user, "alice");
	/* Counted bytes: an embedded NUL must survive. */
	memcpy(m.u.auth.secret, "pa\0ss", 5);
	m.u.auth.secret_len = 5;
	return m;
}

static struct proto_msg
sample_welcome(void)
{
	struct proto_msg m;

	memset(&m, 0, sizeof m);
	m.type = PROTO_MSG_WELCOME;
	m.u.welcome.version = PROTO_VERSION;
	m.u.welcome.caps = PROTO_CAP_CHACHA;
	m.u.welcome.cipher = 2;
	m.u.welcome.session_id = 0x0123456789abcdefull;
	m.u.welcome.max_frame = PROTO_ETH_MAX_FRAME;
	m.u.welcome.keepalive_ms = 7000;
	memset(m.u.welcome.token, 0x11, sizeof m.u.welcome.token);
	m.u.welcome.resumed = 1;
	m.u.welcome.rx_last = 0x0a0b0c0d0e0f1011ull;
	return m;
}

static struct proto_msg
sample_error(void)
{
	struct proto_msg m;

	memset(&m, 0, sizeof m);
	m.type = PROTO_MSG_ERROR;
	m.u.error.code = PROTO_ERR_AUTH;
	strcpy(m.u.error.text, "wrong user or password");
	return m;
}

static struct proto_msg
sample_resume(void)
{
	struct proto_msg m;

	memset(&m, 0, sizeof m);
	m.type = PROTO_MSG_RESUME;
	m.u.resume.session_id = 0x0102030405060708ull;
	memset(m.u.resume.token, 0xa5, sizeof m.u.resume.token);
	m.u.resume.rx_last = 0xfffffffffffffff0ull;
	return m;
}

static struct proto_msg
sample_admin(void)
{
	struct proto_msg m;

	memset(&m, 0, sizeof m);
	m.type = PROTO_MSG_ADMIN;
	m.u.admin.flags = PROTO_ADMIN_OK | PROTO_ADMIN_MORE;
	strcpy(m.u.admin.text, "session list\nID HUB USER\n");
	m.u.admin.len = strlen(m.u.admin.text);
	return m;
}

static struct proto_msg (*const samples[])(void) = {
	sample_hello, sample_auth, sample_welcome, sample_error, sample_resume,
	sample_admin,
};
#define NSAMPLES (sizeof samples / sizeof samples[0])

static void
assert_msg_equal(const struct proto_msg *a, const struct proto_msg *b)
{
	assert_int_equal(a->type, b->type);
	switch (a->type) {
	case PROTO_MSG_HELLO:
		assert_int_equal(a->u.hello.magic, b->u.hello.magic);
		assert_int_equal(a->u.hello.version, b->u.hello.version);
		assert_int_equal(a->u.hello.caps, b->u.hello.caps);
		assert_string_equal(a->u.hello.hub, b->u.hello.hub);
		break;
	case PROTO_MSG_AUTH:
		assert_int_equal(a->u.auth.method, b->u.auth.method);
		assert_string_equal(a->u.auth.user, b->u.auth.user);
		assert_int_equal(a->u.auth.secret_len, b->u.auth.secret_len);
		assert_memory_equal(a->u.auth.secret, b->u.auth.secret,
		    a->u.auth.secret_len);
		assert_int_equal(b->u.auth.secret[b->u.auth.secret_len], 0);
		break;
	case PROTO_MSG_WELCOME:
		assert_memory_equal(&a->u.welcome, &b->u.welcome,
		    sizeof a->u.welcome);
		break;
	case PROTO_MSG_ERROR:
		assert_int_equal(a->u.error.code, b->u.error.code);
		assert_string_equal(a->u.error.text, b->u.error.text);
		break;
	case PROTO_MSG_RESUME:
		assert_memory_equal(&a->u.resume, &b->u.resume,
		    sizeof a->u.resume);
		break;
	case PROTO_MSG_ADMIN:
		assert_int_equal(a->u.admin.flags, b->u.admin.flags);
		assert_int_equal(a->u.admin.len, b->u.admin.len);
		assert_memory_equal(a->u.admin.text, b->u.admin.text,
		    a->u.admin.len);
		assert_int_equal(b->u.admin.text[b->u.admin.len], 0);
		break;
	}
}

static enum proto_result
decode(const uint8_t *p, size_t len, struct proto_msg *out, size_t *used,
    const char **why)
{
	*why = NULL;
	return proto_msg_decode(p, len, out, used, why);
}

static void
test_msg_round_trip(void **state)
{
	struct proto_msg in, out;
	const char *why;
	size_t n, used;

	(void)state;
	for (size_t i = 0; i < NSAMPLES; i++) {
		in = samples[i]();
		n = proto_msg_encode(&in, buf, sizeof buf);
		assert_true(n > PROTO_MSG_HDR);
		assert_int_equal(buf[0], in.type);
		assert_int_equal((size_t)(buf[1] << 8 | buf[2]),
		    n - PROTO_MSG_HDR);
		assert_int_equal(decode(buf, n, &out, &used, &why), PROTO_OK);
		assert_int_equal(used, n);
		assert_msg_equal(&in, &out);
	}
}

/* The exact bytes, so both ends agree with the documented layout. */
static void
test_msg_layout(void **state)
{
	static const uint8_t hello[] = {
		1, 0, 13,
		0x53, 0x45, 0x54, 0x48, 0, 1, 0, 0, 0, 3,
		2, 'h', 'q',
	};
	static const uint8_t welcome[] = {
		3, 0, 64,
		0, 1, 0, 0, 0, 2, 2,
		1, 2, 3, 4, 5, 6, 7, 8,
		0, 0, 5, 0xee, 0, 0, 0x1b, 0x58,
		0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
		0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
		0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
		0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
		1,
		0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11,
	};
	struct proto_msg m = sample_hello();
	size_t n;

	(void)state;
	strcpy(m.u.hello.hub, "hq");
	n = proto_msg_encode(&m, buf, sizeof buf);
	assert_int_equal(n, sizeof hello);
	assert_memory_equal(buf, hello, sizeof hello);

	m = sample_welcome();
	m.u.welcome.session_id = 0x0102030405060708ull;
	n = proto_msg_encode(&m, buf, sizeof buf);
	assert_int_equal(n, sizeof welcome);
	assert_memory_equal(buf, welcome, sizeof welcome);
}

/* A ticket rides at the end of WELCOME, only when there is one: a welcome
 * without one is byte for byte what older cards know, and a card that
 * reads one from an older hub sees none. */
static void
test_msg_welcome_ticket(void **state)
{
	struct proto_msg m = sample_welcome(), out;
	const char *why;
	size_t n, plain, used;

	(void)state;
	plain = proto_msg_encode(&m, buf, sizeof buf);
	assert_int_equal(proto_msg_decode(buf, plain, &out, &used, &why),
	    PROTO_OK);
	assert_int_equal(out.u.welcome.ticket_len, 0);

	m.u.welcome.ticket_len = PROTO_TICKET_MAX;
	memset(m.u.welcome.ticket, 0x5c, PROTO_TICKET_MAX);
	n = proto_msg_encode(&m, buf, sizeof buf);
	assert_int_equal(n, plain + 3 + PROTO_TICKET_MAX);
	assert_int_equal(proto_msg_decode(buf, n, &out, &used, &why),
	    PROTO_OK);
	assert_int_equal(used, n);
	assert_int_equal(out.u.welcome.ticket_len, PROTO_TICKET_MAX);
	assert_memory_equal(out.u.welcome.ticket, m.u.welcome.ticket,
	    PROTO_TICKET_MAX);

	/* Too long to send. */
	m.u.welcome.ticket_len = PROTO_TICKET_MAX + 1;
	assert_int_equal(proto_msg_encode(&m, buf, sizeof buf), 0);

	/* Received: a zero or oversized length, a length past the end, or
	 * another extension type: ignored (no ticket), as trailing bytes. */
	m.u.welcome.ticket_len = 4;
	n = proto_msg_encode(&m, buf, sizeof buf);
	assert_int_equal(n, plain + 3 + 4);
	assert_int_equal(buf[plain], PROTO_WELCOME_EXT_TICKET);
	static const uint8_t bad[][3] = {
		{ PROTO_WELCOME_EXT_TICKET, 0, 0 },
		{ PROTO_WELCOME_EXT_TICKET, (PROTO_TICKET_MAX + 1) >> 8,
		  (PROTO_TICKET_MAX + 1) & 0xff },
		{ PROTO_WELCOME_EXT_TICKET, 0, 5 },
		{ 0x7f, 0, 4 },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memcpy(buf + plain, bad[i], 3);
		assert_int_equal(proto_msg_decode(buf, n, &out, &used, &why),
		    PROTO_OK);
		assert_int_equal(used, n);
		assert_int_equal(out.u.welcome.ticket_len, 0);
	}
	/* An unknown extension first ends them: a ticket after it is not
	 * seen (extensions are only ever appended). */
	memcpy(buf + plain, bad[3], 3);
	assert_int_equal(proto_msg_decode(buf, n, &out, &used, &why),
	    PROTO_OK);
	assert_int_equal(out.u.welcome.ticket_len, 0);
}

static void
test_msg_consecutive(void **state)
{
	struct proto_msg out;
	const char *why;
	size_t n = 0, off = 0, used;

	(void)state;
	for (size_t i = 0; i < NSAMPLES; i++) {
		struct proto_msg in = samples[i]();
		n += proto_msg_encode(&in, buf + n, sizeof buf - n);
	}
	for (size_t i = 0; i < NSAMPLES; i++) {
		struct proto_msg in = samples[i]();
		assert_int_equal(decode(buf + off, n - off, &out, &used, &why),
		    PROTO_OK);
		assert_msg_equal(&in, &out);
		off += used;
	}
	assert_int_equal(off, n);
	assert_int_equal(decode(buf + off, 0, &out, &used, &why),
	    PROTO_NEED_MORE);
}

static void
test_msg_truncated(void **state)
{
	struct proto_msg in, out;
	const char *why;
	size_t n, used;

	(void)state;
	for (size_t i = 0; i < NSAMPLES; i++) {
		in = samples[i]();
		n = proto_msg_encode(&in, buf, sizeof buf);
		for (size_t len = 0; len < n; len++)
			assert_int_equal(decode(buf, len, &out, &used, &why),
			    PROTO_NEED_MORE);
	}
}

/* Forward compatibility: a later version may append fields. */
static void
test_msg_trailing_ignored(void **state)
{
	struct proto_msg in, out;
	const char *why;
	size_t n, used;

	(void)state;
	for (size_t i = 0; i < NSAMPLES; i++) {
		in = samples[i]();
		n = proto_msg_encode(&in, buf, sizeof buf);
		size_t body = n - PROTO_MSG_HDR + 5;
		memset(buf + n, 0xa5, 5);
		buf[1] = (uint8_t)(body >> 8);
		buf[2] = (uint8_t)body;
		assert_int_equal(decode(buf, n + 5, &out, &used, &why),
		    PROTO_OK);
		assert_int_equal(used, n + 5);
		assert_msg_equal(&in, &out);
	}
}

/* A body cut short inside a field, with the header saying so honestly. */
static void
test_msg_short_body(void **state)
{
	struct proto_msg in, out;
	const char *why;
	size_t n, used;

	(void)state;
	for (size_t i = 0; i < NSAMPLES; i++) {
		in = samples[i]();
		n = proto_msg_encode(&in, buf, sizeof buf);
		for (size_t body = 0; body < n - PROTO_MSG_HDR; body++) {
			buf[1] = (uint8_t)(body >> 8);
			buf[2] = (uint8_t)body;
			assert_int_equal(decode(buf, PROTO_MSG_HDR + body,
			    &out, &used, &why), PROTO_BAD);
			assert_non_null(why);
		}
	}
}

static void
test_msg_bad_header(void **state)
{
	static const uint8_t types[] = { 0, 7, 0x7f, 0xff };
	struct proto_msg out;
	const char *why;
	size_t used;

	(void)state;
	for (size_t i = 0; i < sizeof types; i++) {
		buf[0] = types[i];
		buf[1] = 0;
		buf[2] = 0;
		/* Refused on the type byte alone. */
		assert_int_equal(decode(buf, 1, &out, &used, &why), PROTO_BAD);
		assert_string_equal(why, "unknown message type");
		assert_int_equal(decode(buf, 3, &out, &used, &why), PROTO_BAD);
	}
	/* Oversize body length: refused before the body arrives. */
	buf[0] = PROTO_MSG_HELLO;
	buf[1] = (uint8_t)((PROTO_MSG_MAX_BODY + 1) >> 8);
	buf[2] = (uint8_t)(PROTO_MSG_MAX_BODY + 1);
	assert_int_equal(decode(buf, 3, &out, &used, &why), PROTO_BAD);
	assert_string_equal(why, "message body too long");
	buf[1] = buf[2] = 0xff;
	assert_int_equal(decode(buf, 3, &out, &used, &why), PROTO_BAD);
	/* why may be NULL. */
	assert_int_equal(proto_msg_decode(buf, 3, &out, &used, NULL),
	    PROTO_BAD);
}

/* Build HELLO with a raw hub field of n bytes taken from name. */
static size_t
raw_hello(const uint8_t *name, size_t n)
{
	size_t body = 10 + 1 + n;

	buf[0] = PROTO_MSG_HELLO;
	buf[1] = (uint8_t)(body >> 8);
	buf[2] = (uint8_t)body;
	memset(buf + 3, 0, 10);
	buf[13] = (uint8_t)n;
	memcpy(buf + 14, name, n);
	return PROTO_MSG_HDR + body;
}

/* Build AUTH with a raw user of ulen bytes and secret of slen bytes. */
static size_t
raw_auth(const uint8_t *user, size_t ulen, const uint8_t *secret,
    size_t slen)
{
	size_t body = 1 + 1 + ulen + 2 + slen, off = PROTO_MSG_HDR;

	buf[0] = PROTO_MSG_AUTH;
	buf[1] = (uint8_t)(body >> 8);
	buf[2] = (uint8_t)body;
	buf[off++] = PROTO_AUTH_PASSWORD;
	buf[off++] = (uint8_t)ulen;
	memcpy(buf + off, user, ulen);
	off += ulen;
	buf[off++] = (uint8_t)(slen >> 8);
	buf[off++] = (uint8_t)slen;
	memcpy(buf + off, secret, slen);
	return off + slen;
}

static void
test_msg_names(void **state)
{
	uint8_t name[255], secret[PROTO_MAX_SECRET + 1];
	struct proto_msg out;
	const char *why;
	size_t n, used;

	(void)state;
	memset(name, 'a', sizeof name);
	memset(secret, 's', sizeof secret);

	n = raw_hello(name, 0);
	assert_int_equal(decode(buf, n, &out, &used, &why), PROTO_BAD);
	assert_string_equal(why, "empty name");
	n = raw_hello(name, PROTO_MAX_NAME);
	assert_int_equal(decode(buf, n, &out, &used, &why), PROTO_OK);
	assert_int_equal(strlen(out.u.hello.hub), PROTO_MAX_NAME);
	n = raw_hello(name, PROTO_MAX_NAME + 1);
	assert_int_equal(decode(buf, n, &out, &used, &why), PROTO_BAD);
	assert_string_equal(why, "name too long");
	n = raw_hello(name, sizeof name);
	assert_int_equal(decode(buf, n, &out, &used, &why), PROTO_BAD);
	name[3] = 0;
	n = raw_hello(name, 8);
	assert_int_equal(decode(buf, n, &out, &used, &why), PROTO_BAD);
	assert_string_equal(why, "NUL byte in name");
	name[3] = 'a';

	n = raw_auth(name, 0, secret, 1);
	assert_int_equal(decode(buf, n, &out, &used, &why), PROTO_BAD);
	n = raw_auth(name, PROTO_MAX_NAME + 1, secret, 1);
	assert_int_equal(decode(buf, n, &out, &used, &why), PROTO_BAD);
	name[0] = 0;
	n = raw_auth(name, 4, secret, 1);
	assert_int_equal(decode(buf, n, &out, &used, &why), PROTO_BAD);
	name[0] = 'a';

	/* Secret: empty and maximal are fine, one more is not. */
	n = raw_auth(name, 4, secret, 0);
	assert_int_equal(decode(buf, n, &out, &used, &why), PROTO_OK);
	assert_int_equal(out.u.auth.secret_len, 0);
	assert_int_equal(out.u.auth.secret[0], 0);
	n = raw_auth(name, 4, secret, PROTO_MAX_SECRET);
	assert_int_equal(decode(buf, n, &out, &used, &why), PROTO_OK);
	assert_int_equal(out.u.auth.secret_len, PROTO_MAX_SECRET);
	assert_int_equal(out.u.auth.secret[PROTO_MAX_SECRET], 0);
	n = raw_auth(name, 4, secret, PROTO_MAX_SECRET + 1);
	assert_int_equal(decode(buf, n, &out, &used, &why), PROTO_BAD);
	assert_string_equal(why, "secret too long");
	/* A secret length that runs past the body. */
	n = raw_auth(name, 4, secret, 10);
	buf[n - 10 - 1] = 11;
	assert_int_equal(decode(buf, n, &out, &used, &why), PROTO_BAD);
	assert_string_equal(why, "message body truncated");
	/* A name length that runs past the body. */
	n = raw_hello(name, 4);
	buf[13] = 5;
	assert_int_equal(decode(buf, n, &out, &used, &why), PROTO_BAD);
}

static size_t
raw_error(const uint8_t *text, size_t n)
{
	size_t body = 2 + 2 + n;

	buf[0] = PROTO_MSG_ERROR;
	buf[1] = (uint8_t)(body >> 8);
	buf[2] = (uint8_t)body;
	buf[3] = 0;
	buf[4] = PROTO_ERR_FULL;
	buf[5] = (uint8_t)(n >> 8);
	buf[6] = (uint8_t)n;
	memcpy(buf + 7, text, n);
	return PROTO_MSG_HDR + body;
}

static void
test_msg_error_text(void **state)
{
	uint8_t text[PROTO_MAX_ERROR_TEXT + 1];
	struct proto_msg out;
	const char *why;
	size_t n, used;

	(void)state;
	memset(text, 't', sizeof text);
	n = raw_error(text, 0);
	assert_int_equal(decode(buf, n, &out, &used, &why), PROTO_OK);
	assert_string_equal(out.u.error.text, "");
	n = raw_error(text, PROTO_MAX_ERROR_TEXT);
	assert_int_equal(decode(buf, n, &out, &used, &why), PROTO_OK);
	assert_int_equal(strlen(out.u.error.text), PROTO_MAX_ERROR_TEXT);
	n = raw_error(text, PROTO_MAX_ERROR_TEXT + 1);
	assert_int_equal(decode(buf, n, &out, &used, &why), PROTO_BAD);
	text[7] = 0;
	n = raw_error(text, 20);
	assert_int_equal(decode(buf, n, &out, &used, &why), PROTO_BAD);
	assert_string_equal(why, "NUL byte in error text");
}

static void
test_msg_encode_refuses(void **state)
{
	struct proto_msg m;
	size_t need;

	(void)state;
	/* Every capacity short of the full length fails cleanly. */
	for (size_t i = 0; i < NSAMPLES; i++) {
		m = samples[i]();
		need = proto_msg_encode(&m, buf, sizeof buf);
		for (size_t cap = 0; cap < need; cap++)
			assert_int_equal(proto_msg_encode(&m, buf, cap), 0);
		assert_int_equal(proto_msg_encode(&m, buf, need), need);
	}

	m = sample_hello();
	m.u.hello.hub[0] = '\0';
	assert_int_equal(proto_msg_encode(&m, buf, sizeof buf), 0);
	memset(m.u.hello.hub, 'h', sizeof m.u.hello.hub); /* unterminated */
	assert_int_equal(proto_msg_encode(&m, buf, sizeof buf), 0);
	m.u.hello.hub[PROTO_MAX_NAME] = '\0';
	assert_true(proto_msg_encode(&m, buf, sizeof buf) > 0);

	m = sample_auth();
	m.u.auth.secret_len = PROTO_MAX_SECRET + 1;
	assert_int_equal(proto_msg_encode(&m, buf, sizeof buf), 0);
	m.u.auth.secret_len = PROTO_MAX_SECRET;
	assert_true(proto_msg_encode(&m, buf, sizeof buf) > 0);
	memset(m.u.auth.user, 'u', sizeof m.u.auth.user);
	assert_int_equal(proto_msg_encode(&m, buf, sizeof buf), 0);

	m = sample_error();
	memset(m.u.error.text, 'e', sizeof m.u.error.text);
	assert_int_equal(proto_msg_encode(&m, buf, sizeof buf), 0);

	m = sample_hello();
	m.type = (enum proto_msg_type)9;
	assert_int_equal(proto_msg_encode(&m, buf, sizeof buf), 0);
}

static void
test_rec_hdr(void **state)
{
	static const uint8_t want[PROTO_REC_HDR] = {
		0, 0, 0x12, 0x34, 1, 2, 3, 4, 5, 6, 7, 8,
	};
	uint8_t hdr[PROTO_REC_HDR];
	uint32_t sealed;
	uint64_t seq;

	(void)state;
	proto_rec_hdr_put(hdr, 0x1234, 0x0102030405060708ull);
	assert_memory_equal(hdr, want, sizeof want);
	for (size_t len = 0; len < PROTO_REC_HDR; len++)
		assert_int_equal(proto_rec_hdr_get(hdr, len, &sealed, &seq),
		    PROTO_NEED_MORE);
	assert_int_equal(proto_rec_hdr_get(hdr, sizeof hdr, &sealed, &seq),
	    PROTO_OK);
	assert_int_equal(sealed, 0x1234);
	assert_true(seq == 0x0102030405060708ull);

	proto_rec_hdr_put(hdr, PROTO_REC_TAG, UINT64_MAX);
	assert_int_equal(proto_rec_hdr_get(hdr, sizeof hdr, &sealed, &seq),
	    PROTO_OK);
	assert_true(seq == UINT64_MAX);
	proto_rec_hdr_put(hdr, PROTO_REC_MAX_SEALED, 0);
	assert_int_equal(proto_rec_hdr_get(hdr, sizeof hdr, &sealed, &seq),
	    PROTO_OK);
	assert_int_equal(sealed, PROTO_REC_MAX_SEALED);

	proto_rec_hdr_put(hdr, 0, 0);
	assert_int_equal(proto_rec_hdr_get(hdr, sizeof hdr, &sealed, &seq),
	    PROTO_BAD);
	proto_rec_hdr_put(hdr, PROTO_REC_TAG - 1, 0);
	assert_int_equal(proto_rec_hdr_get(hdr, sizeof hdr, &sealed, &seq),
	    PROTO_BAD);
	proto_rec_hdr_put(hdr, PROTO_REC_MAX_SEALED + 1, 0);
	assert_int_equal(proto_rec_hdr_get(hdr, sizeof hdr, &sealed, &seq),
	    PROTO_BAD);
	proto_rec_hdr_put(hdr, UINT32_MAX, 0);
	assert_int_equal(proto_rec_hdr_get(hdr, sizeof hdr, &sealed, &seq),
	    PROTO_BAD);
}

static size_t
put_item(uint8_t *p, enum proto_item_type type, uint32_t len, uint8_t fill)
{
	proto_item_hdr_put(p, type, len);
	memset(p + PROTO_ITEM_HDR, fill, len);
	return PROTO_ITEM_HDR + len;
}

static enum proto_result
next(struct proto_item_iter *it, uint32_t max_frame, struct proto_item *item,
    const char **why)
{
	*why = NULL;
	return proto_item_next(it, max_frame, item, why);
}

static void
test_item_batch(void **state)
{
	static const struct {
		enum proto_item_type type;
		uint32_t len;
	} want[] = {
		{ PROTO_ITEM_FRAME, PROTO_ETH_MIN_FRAME },
		{ PROTO_ITEM_FRAME, 60 },
		{ PROTO_ITEM_KEEPALIVE, PROTO_KEEPALIVE_PAD },
		{ PROTO_ITEM_FRAME, PROTO_ETH_MAX_FRAME },
		{ PROTO_ITEM_KEEPALIVE, 0 },
		{ PROTO_ITEM_GOODBYE, 2 },
	};
	static uint8_t rec[8192];
	struct proto_item_iter it;
	struct proto_item item;
	const char *why;
	size_t n = 0;

	(void)state;
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		n += put_item(rec + n, want[i].type, want[i].len,
		    (uint8_t)(i + 1));
	it.p = rec;
	it.left = n;
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		assert_int_equal(next(&it, PROTO_ETH_MAX_FRAME, &item, &why),
		    PROTO_OK);
		assert_int_equal(item.type, want[i].type);
		assert_int_equal(item.len, want[i].len);
		for (uint32_t j = 0; j < item.len; j++)
			assert_int_equal(item.data[j], i + 1);
	}
	assert_int_equal(it.left, 0);
	assert_int_equal(next(&it, PROTO_ETH_MAX_FRAME, &item, &why),
	    PROTO_NEED_MORE);
	assert_int_equal(next(&it, PROTO_ETH_MAX_FRAME, &item, &why),
	    PROTO_NEED_MORE);
}

static void
test_item_hdr_layout(void **state)
{
	uint8_t h[PROTO_ITEM_HDR];

	(void)state;
	proto_item_hdr_put(h, PROTO_ITEM_GOODBYE, 0xabcdef);
	assert_int_equal(h[0], PROTO_ITEM_GOODBYE);
	assert_int_equal(h[1], 0xab);
	assert_int_equal(h[2], 0xcd);
	assert_int_equal(h[3], 0xef);
}

static enum proto_result
one_item(const uint8_t *p, size_t len, uint32_t max_frame, const char **why)
{
	struct proto_item_iter it = { p, len };
	struct proto_item item;

	return next(&it, max_frame, &item, why);
}

static void
test_item_bad(void **state)
{
	static uint8_t rec[70000];
	const char *why;
	size_t n;

	(void)state;
	/* Truncated header and truncated payload, at every length. */
	n = put_item(rec, PROTO_ITEM_FRAME, 60, 0);
	for (size_t len = 1; len < n; len++) {
		assert_int_equal(one_item(rec, len, PROTO_ETH_MAX_FRAME, &why),
		    PROTO_BAD);
		assert_non_null(why);
	}
	assert_int_equal(one_item(rec, n, PROTO_ETH_MAX_FRAME, &why),
	    PROTO_OK);
	/* A length claiming far more than is there. */
	proto_item_hdr_put(rec, PROTO_ITEM_FRAME, PROTO_ITEM_MAX_LEN);
	assert_int_equal(one_item(rec, 100, UINT32_MAX, &why), PROTO_BAD);
	assert_string_equal(why, "truncated item");

	/* Frame bounds. */
	n = put_item(rec, PROTO_ITEM_FRAME, PROTO_ETH_MIN_FRAME - 1, 0);
	assert_int_equal(one_item(rec, n, PROTO_ETH_MAX_FRAME, &why),
	    PROTO_BAD);
	assert_string_equal(why, "frame too short");
	n = put_item(rec, PROTO_ITEM_FRAME, 0, 0);
	assert_int_equal(one_item(rec, n, PROTO_ETH_MAX_FRAME, &why),
	    PROTO_BAD);
	n = put_item(rec, PROTO_ITEM_FRAME, PROTO_ETH_MAX_FRAME + 1, 0);
	assert_int_equal(one_item(rec, n, PROTO_ETH_MAX_FRAME, &why),
	    PROTO_BAD);
	assert_string_equal(why, "frame too long");
	/* The same frame fits when the session allows offload frames. */
	assert_int_equal(one_item(rec, n, 65535 + PROTO_ETH_HDR, &why),
	    PROTO_OK);
	n = put_item(rec, PROTO_ITEM_FRAME, 65535 + PROTO_ETH_HDR, 0);
	assert_int_equal(one_item(rec, n, 65535 + PROTO_ETH_HDR, &why),
	    PROTO_OK);
	n = put_item(rec, PROTO_ITEM_FRAME, 65535 + PROTO_ETH_HDR + 1, 0);
	assert_int_equal(one_item(rec, n, 65535 + PROTO_ETH_HDR, &why),
	    PROTO_BAD);

	/* Offload items: a header and a frame, up to a 64 KiB packet behind
	 * two tags, whatever the plain frames' limit. */
	n = put_item(rec, PROTO_ITEM_OFFLOAD, PROTO_OFFLOAD_HDR +
	    PROTO_ETH_MIN_FRAME, 0);
	assert_int_equal(one_item(rec, n, PROTO_ETH_MAX_FRAME, &why),
	    PROTO_OK);
	n = put_item(rec, PROTO_ITEM_OFFLOAD, PROTO_OFFLOAD_HDR +
	    PROTO_ETH_MIN_FRAME - 1, 0);
	assert_int_equal(one_item(rec, n, PROTO_ETH_MAX_FRAME, &why),
	    PROTO_BAD);
	assert_string_equal(why, "offload frame too short");
	n = put_item(rec, PROTO_ITEM_OFFLOAD, PROTO_OFFLOAD_HDR +
	    PROTO_OFFLOAD_MAX_FRAME, 0);
	assert_int_equal(one_item(rec, n, PROTO_ETH_MAX_FRAME, &why),
	    PROTO_OK);
	n = put_item(rec, PROTO_ITEM_OFFLOAD, PROTO_OFFLOAD_HDR +
	    PROTO_OFFLOAD_MAX_FRAME + 1, 0);
	assert_int_equal(one_item(rec, n, PROTO_ETH_MAX_FRAME, &why),
	    PROTO_BAD);
	assert_string_equal(why, "offload frame too long");

	/* Unknown types. */
	n = put_item(rec, (enum proto_item_type)0, 20, 0);
	assert_int_equal(one_item(rec, n, PROTO_ETH_MAX_FRAME, &why),
	    PROTO_BAD);
	assert_string_equal(why, "unknown item type");
	n = put_item(rec, (enum proto_item_type)4, 20, 0);
	assert_int_equal(one_item(rec, n, PROTO_ETH_MAX_FRAME, &why),
	    PROTO_BAD);
	n = put_item(rec, (enum proto_item_type)0xff, 20, 0);
	assert_int_equal(one_item(rec, n, PROTO_ETH_MAX_FRAME, &why),
	    PROTO_BAD);

	/* Keepalive: up to 1024 bytes of padding. */
	n = put_item(rec, PROTO_ITEM_KEEPALIVE, 1024, 0);
	assert_int_equal(one_item(rec, n, PROTO_ETH_MAX_FRAME, &why),
	    PROTO_OK);
	n = put_item(rec, PROTO_ITEM_KEEPALIVE, 1025, 0);
	assert_int_equal(one_item(rec, n, PROTO_ETH_MAX_FRAME, &why),
	    PROTO_BAD);

	/* Goodbye carries at least its reason. */
	n = put_item(rec, PROTO_ITEM_GOODBYE, 1, 0);
	assert_int_equal(one_item(rec, n, PROTO_ETH_MAX_FRAME, &why),
	    PROTO_BAD);
	n = put_item(rec, PROTO_ITEM_GOODBYE, 0, 0);
	assert_int_equal(one_item(rec, n, PROTO_ETH_MAX_FRAME, &why),
	    PROTO_BAD);
	n = put_item(rec, PROTO_ITEM_GOODBYE, 40, 0);
	assert_int_equal(one_item(rec, n, PROTO_ETH_MAX_FRAME, &why),
	    PROTO_OK);

	/* A bad item after good ones stops the iteration there. */
	n = put_item(rec, PROTO_ITEM_FRAME, 60, 0);
	n += put_item(rec + n, (enum proto_item_type)9, 4, 0);
	{
		struct proto_item_iter it = { rec, n };
		struct proto_item item;

		assert_int_equal(next(&it, PROTO_ETH_MAX_FRAME, &item, &why),
		    PROTO_OK);
		assert_int_equal(next(&it, PROTO_ETH_MAX_FRAME, &item, &why),
		    PROTO_BAD);
	}
}

static void
test_error_names(void **state)
{
	(void)state;
	assert_string_equal(proto_error_name(PROTO_ERR_AUTH),
	    "wrong user or password");
	assert_string_equal(proto_error_name(PROTO_ERR_NO_HUB),
	    "no such hub");
	for (uint16_t a = PROTO_ERR_VERSION; a <= PROTO_ERR_CIPHER; a++) {
		assert_non_null(proto_error_name(a));
		assert_string_not_equal(proto_error_name(a), "unknown error");
		for (uint16_t b = PROTO_ERR_VERSION; b < a; b++)
			assert_string_not_equal(proto_error_name(a),
			    proto_error_name(b));
	}
	assert_string_equal(proto_error_name(0), "unknown error");
	assert_string_equal(proto_error_name(UINT16_MAX), "unknown error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msg_round_trip),
		cmocka_unit_test(test_msg_layout),
		cmocka_unit_test(test_msg_welcome_ticket),
		cmocka_unit_test(test_msg_consecutive),
		cmocka_unit_test(test_msg_truncated),
		cmocka_unit_test(test_msg_trailing_ignored),
		cmocka_unit_test(test_msg_short_body),
		cmocka_unit_test(test_msg_bad_header),
		cmocka_unit_test(test_msg_names),
		cmocka_unit_test(test_msg_error_text),
		cmocka_unit_test(test_msg_encode_refuses),
		cmocka_unit_test(test_rec_hdr),
		cmocka_unit_test(test_item_batch),
		cmocka_unit_test(test_item_hdr_layout),
		cmocka_unit_test(test_item_bad),
		cmocka_unit_test(test_error_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
