/*
 * proto.c: codecs for the wire formats in proto.h: login messages, record
 * headers and the items inside a record's plaintext. Pure byte functions.
 */
#include <string.h>

#include "bytes.h"
#include "proto.h"

#define PROTO_GOODBYE_MIN      2u /* the reason u16 */

/* ---- Bounded writer ---------------------------------------------------- */

/* Once a write does not fit, every later one is refused too, so encoders
 * check for overflow once at the end. */
struct proto_w {
	uint8_t *p;
	size_t cap;
	size_t len;
	int full;
};

static uint8_t *
proto_w_take(struct proto_w *w, size_t n)
{
	uint8_t *at;

	if (w->full || n > w->cap - w->len) {
		w->full = 1;
		return NULL;
	}
	at = w->p + w->len;
	w->len += n;
	return at;
}

static void
proto_w_u8(struct proto_w *w, uint8_t v)
{
	uint8_t *at = proto_w_take(w, 1);

	if (at != NULL)
		at[0] = v;
}

static void
proto_w_u16(struct proto_w *w, uint16_t v)
{
	uint8_t *at = proto_w_take(w, 2);

	if (at != NULL)
		be16_put(at, v);
}

static void
proto_w_u32(struct proto_w *w, uint32_t v)
{
	uint8_t *at = proto_w_take(w, 4);

	if (at != NULL)
		be32_put(at, v);
}

static void
proto_w_u64(struct proto_w *w, uint64_t v)
{
	uint8_t *at = proto_w_take(w, 8);

	if (at != NULL)
		be64_put(at, v);
}

static void
proto_w_bytes(struct proto_w *w, const void *src, size_t n)
{
	uint8_t *at = proto_w_take(w, n);

	if (at != NULL && n > 0)
		memcpy(at, src, n);
}

/* ---- Bounded reader ---------------------------------------------------- */

struct proto_r {
	const uint8_t *p;
	size_t left;
	int trunc;
};

static const uint8_t *
proto_r_take(struct proto_r *r, size_t n)
{
	const uint8_t *at;

	if (r->trunc || n > r->left) {
		r->trunc = 1;
		return NULL;
	}
	at = r->p;
	r->p += n;
	r->left -= n;
	return at;
}

static uint8_t
proto_r_u8(struct proto_r *r)
{
	const uint8_t *at = proto_r_take(r, 1);

	return at != NULL ? at[0] : 0;
}

static uint16_t
proto_r_u16(struct proto_r *r)
{
	const uint8_t *at = proto_r_take(r, 2);

	return at != NULL ? be16_get(at) : 0;
}

static uint32_t
proto_r_u32(struct proto_r *r)
{
	const uint8_t *at = proto_r_take(r, 4);

	return at != NULL ? be32_get(at) : 0;
}

static uint64_t
proto_r_u64(struct proto_r *r)
{
	const uint8_t *at = proto_r_take(r, 8);

	return at != NULL ? be64_get(at) : 0;
}

/* ---- Login messages ---------------------------------------------------- */

/* Length of a name held in a struct field of max + 1 bytes, or 0 if it is
 * empty or does not fit. */
static size_t
proto_name_len(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	return n > max ? 0 : n;
}

static int
proto_str8(struct proto_w *w, const char *s, size_t max)
{
	size_t n = proto_name_len(s, max);

	if (n == 0)
		return -1;
	proto_w_u8(w, (uint8_t)n);
	proto_w_bytes(w, s, n);
	return 0;
}

size_t
proto_msg_encode(const struct proto_msg *m, uint8_t *buf, size_t cap)
{
	struct proto_w w = { buf, cap, 0, 0 };
	size_t body, n;

	proto_w_u8(&w, (uint8_t)m->type);
	proto_w_u16(&w, 0); /* patched once the body length is known */
	switch (m->type) {
	case PROTO_MSG_HELLO:
		proto_w_u32(&w, m->u.hello.magic);
		proto_w_u16(&w, m->u.hello.version);
		proto_w_u32(&w, m->u.hello.caps);
		if (proto_str8(&w, m->u.hello.hub, PROTO_MAX_NAME) == -1)
			return 0;
		/* Optional: a hub that does not know it ignores the rest. */
		if (m->u.hello.via[0] != '\0' &&
		    proto_str8(&w, m->u.hello.via, PROTO_MAX_VIA) == -1)
			return 0;
		break;
	case PROTO_MSG_AUTH:
		if (m->u.auth.secret_len > PROTO_MAX_SECRET)
			return 0;
		proto_w_u8(&w, m->u.auth.method);
		if (proto_str8(&w, m->u.auth.user, PROTO_MAX_NAME) == -1)
			return 0;
		proto_w_u16(&w, (uint16_t)m->u.auth.secret_len);
		proto_w_bytes(&w, m->u.auth.secret, m->u.auth.secret_len);
		break;
	case PROTO_MSG_WELCOME:
		proto_w_u16(&w, m->u.welcome.version);
		proto_w_u32(&w, m->u.welcome.caps);
		proto_w_u8(&w, m->u.welcome.cipher);
		proto_w_u64(&w, m->u.welcome.session_id);
		proto_w_u32(&w, m->u.welcome.max_frame);
		proto_w_u32(&w, m->u.welcome.keepalive_ms);
		proto_w_bytes(&w, m->u.welcome.token, PROTO_TOKEN_LEN);
		proto_w_u8(&w, m->u.welcome.resumed);
		proto_w_u64(&w, m->u.welcome.rx_last);
		if (m->u.welcome.ticket_len > PROTO_TICKET_MAX)
			return 0;
		if (m->u.welcome.ticket_len > 0) {
			proto_w_u8(&w, PROTO_WELCOME_EXT_TICKET);
			proto_w_u16(&w, m->u.welcome.ticket_len);
			proto_w_bytes(&w, m->u.welcome.ticket,
			    m->u.welcome.ticket_len);
		}
		break;
	case PROTO_MSG_RESUME:
		proto_w_u64(&w, m->u.resume.session_id);
		proto_w_bytes(&w, m->u.resume.token, PROTO_TOKEN_LEN);
		proto_w_u64(&w, m->u.resume.rx_last);
		break;
	case PROTO_MSG_ADMIN:
		if (m->u.admin.len > PROTO_ADMIN_TEXT)
			return 0;
		proto_w_u8(&w, m->u.admin.flags);
		proto_w_u16(&w, (uint16_t)m->u.admin.len);
		proto_w_bytes(&w, m->u.admin.text, m->u.admin.len);
		break;
	case PROTO_MSG_ERROR:
		/* An unterminated text would read past the field: refuse. */
		n = strnlen(m->u.error.text, PROTO_MAX_ERROR_TEXT + 1);
		if (n > PROTO_MAX_ERROR_TEXT)
			return 0;
		proto_w_u16(&w, m->u.error.code);
		proto_w_u16(&w, (uint16_t)n);
		proto_w_bytes(&w, m->u.error.text, n);
		break;
	default:
		return 0;
	}
	if (w.full)
		return 0;
	body = w.len - PROTO_MSG_HDR;
	if (body > PROTO_MSG_MAX_BODY)
		return 0;
	be16_put(buf + 1, (uint16_t)body);
	return w.len;
}

static int
proto_known_msg(uint8_t type)
{
	return type >= PROTO_MSG_HELLO && type <= PROTO_MSG_ADMIN;
}

/* A hub or user name: 1..PROTO_MAX_NAME bytes, no NUL. */
static const char *
proto_r_name(struct proto_r *r, char out[PROTO_MAX_NAME + 1])
{
	size_t n = proto_r_u8(r);
	const uint8_t *s = proto_r_take(r, n);

	if (s == NULL)
		return "message body truncated";
	if (n == 0)
		return "empty name";
	if (n > PROTO_MAX_NAME)
		return "name too long";
	if (memchr(s, 0, n) != NULL)
		return "NUL byte in name";
	memcpy(out, s, n);
	out[n] = '\0';
	return NULL;
}

/* The card's transport, if it says: [a-z0-9-], else left empty. */
static void
proto_r_via(struct proto_r *r, char out[PROTO_MAX_VIA + 1])
{
	size_t n = r->left > 0 ? proto_r_u8(r) : 0;
	const uint8_t *s = n > 0 ? proto_r_take(r, n) : NULL;

	out[0] = '\0';
	if (s == NULL || n > PROTO_MAX_VIA)
		return;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return;
	memcpy(out, s, n);
	out[n] = '\0';
}

static const char *
proto_dec_hello(struct proto_r *r, struct proto_hello *h)
{
	const char *why;

	h->magic = proto_r_u32(r);
	h->version = proto_r_u16(r);
	h->caps = proto_r_u32(r);
	if ((why = proto_r_name(r, h->hub)) != NULL)
		return why;
	proto_r_via(r, h->via);
	return NULL;
}

static const char *
proto_dec_auth(struct proto_r *r, struct proto_auth *a)
{
	const char *why;
	const uint8_t *s;
	size_t n;

	a->method = proto_r_u8(r);
	if ((why = proto_r_name(r, a->user)) != NULL)
		return why;
	n = proto_r_u16(r);
	if ((s = proto_r_take(r, n)) == NULL)
		return "message body truncated";
	if (n > PROTO_MAX_SECRET)
		return "secret too long";
	/* The secret is counted bytes (secret_len), so NUL is allowed; the
	 * terminator is only a convenience. */
	if (n > 0)
		memcpy(a->secret, s, n);
	a->secret[n] = '\0';
	a->secret_len = n;
	return NULL;
}

static const char *
proto_dec_welcome(struct proto_r *r, struct proto_welcome *w)
{
	w->version = proto_r_u16(r);
	w->caps = proto_r_u32(r);
	w->cipher = proto_r_u8(r);
	w->session_id = proto_r_u64(r);
	w->max_frame = proto_r_u32(r);
	w->keepalive_ms = proto_r_u32(r);
	const uint8_t *t = proto_r_take(r, PROTO_TOKEN_LEN);
	if (t != NULL)
		memcpy(w->token, t, PROTO_TOKEN_LEN);
	w->resumed = proto_r_u8(r);
	w->rx_last = proto_r_u64(r);
	if (r->trunc)
		return "message body truncated";
	/* Extensions may follow (older hubs send none): type u8, length
	 * u16, value. What is not understood, or does not fit, ends them
	 * and is ignored, as trailing bytes of any message are: a card
	 * without a ticket logs in with its password. */
	while (r->left >= 3) {
		uint8_t type = proto_r_u8(r);
		size_t n = proto_r_u16(r);
		if (type != PROTO_WELCOME_EXT_TICKET || n == 0 ||
		    n > PROTO_TICKET_MAX || n > r->left)
			break;
		t = proto_r_take(r, n);
		memcpy(w->ticket, t, n);
		w->ticket_len = (uint16_t)n;
	}
	return NULL;
}

static const char *
proto_dec_resume(struct proto_r *r, struct proto_resume *m)
{
	m->session_id = proto_r_u64(r);
	const uint8_t *t = proto_r_take(r, PROTO_TOKEN_LEN);
	if (t != NULL)
		memcpy(m->token, t, PROTO_TOKEN_LEN);
	m->rx_last = proto_r_u64(r);
	return r->trunc ? "message body truncated" : NULL;
}

/* A str16 text of at most max bytes, no NUL inside, NUL-terminated into
 * out; its length in *len. NULL, or why not (too_long, has_nul). */
static const char *
proto_r_text(struct proto_r *r, char *out, size_t max, size_t *len,
    const char *too_long, const char *has_nul)
{
	size_t n = proto_r_u16(r);
	const uint8_t *s = proto_r_take(r, n);

	if (s == NULL)
		return "message body truncated";
	if (n > max)
		return too_long;
	if (n > 0 && memchr(s, 0, n) != NULL)
		return has_nul;
	if (n > 0)
		memcpy(out, s, n);
	out[n] = '\0';
	*len = n;
	return NULL;
}

static const char *
proto_dec_admin(struct proto_r *r, struct proto_admin *a)
{
	a->flags = proto_r_u8(r);
	return proto_r_text(r, a->text, PROTO_ADMIN_TEXT, &a->len,
	    "admin text too long", "NUL byte in admin text");
}

static const char *
proto_dec_error(struct proto_r *r, struct proto_error *e)
{
	size_t n;

	e->code = proto_r_u16(r);
	return proto_r_text(r, e->text, PROTO_MAX_ERROR_TEXT, &n,
	    "error text too long", "NUL byte in error text");
}

/*
 * Bytes left in a body after the fields this version knows are ignored, so
 * a later version can append fields without breaking older peers.
 */
enum proto_result
proto_msg_decode(const uint8_t *buf, size_t len, struct proto_msg *m,
    size_t *used, const char **why)
{
	struct proto_r r;
	const char *fault;
	size_t body;

	*used = 0;
	if (len == 0)
		return PROTO_NEED_MORE;
	/* Judge what has arrived as early as possible: a peer must not be
	 * able to make us wait for a body we would reject anyway. */
	if (!proto_known_msg(buf[0])) {
		fault = "unknown message type";
		goto bad;
	}
	if (len < PROTO_MSG_HDR)
		return PROTO_NEED_MORE;
	body = be16_get(buf + 1);
	if (body > PROTO_MSG_MAX_BODY) {
		fault = "message body too long";
		goto bad;
	}
	if (len - PROTO_MSG_HDR < body)
		return PROTO_NEED_MORE;

	memset(m, 0, sizeof *m);
	m->type = (enum proto_msg_type)buf[0];
	r.p = buf + PROTO_MSG_HDR;
	r.left = body;
	r.trunc = 0;
	switch (m->type) {
	case PROTO_MSG_HELLO:
		fault = proto_dec_hello(&r, &m->u.hello);
		break;
	case PROTO_MSG_AUTH:
		fault = proto_dec_auth(&r, &m->u.auth);
		break;
	case PROTO_MSG_WELCOME:
		fault = proto_dec_welcome(&r, &m->u.welcome);
		break;
	case PROTO_MSG_ERROR:
		fault = proto_dec_error(&r, &m->u.error);
		break;
	case PROTO_MSG_RESUME:
		fault = proto_dec_resume(&r, &m->u.resume);
		break;
	case PROTO_MSG_ADMIN:
		fault = proto_dec_admin(&r, &m->u.admin);
		break;
	default:
		fault = "unknown message type";
		break;
	}
	if (fault != NULL) {
		/* Half-decoded secrets must not linger in the caller's struct. */
		memset(m, 0, sizeof *m);
		goto bad;
	}
	*used = PROTO_MSG_HDR + body;
	return PROTO_OK;
bad:
	if (why != NULL)
		*why = fault;
	return PROTO_BAD;
}

/* ---- Record headers ---------------------------------------------------- */

void
proto_rec_hdr_put(uint8_t hdr[PROTO_REC_HDR], uint32_t sealed_len,
    uint64_t seq)
{
	be32_put(hdr, sealed_len);
	be64_put(hdr + 4, seq);
}

enum proto_result
proto_rec_hdr_get(const uint8_t *buf, size_t len, uint32_t *sealed_len,
    uint64_t *seq)
{
	uint32_t n;

	if (len < PROTO_REC_HDR)
		return PROTO_NEED_MORE;
	n = be32_get(buf);
	if (n < PROTO_REC_TAG || n > PROTO_REC_MAX_SEALED)
		return PROTO_BAD;
	*sealed_len = n;
	*seq = be64_get(buf + 4);
	return PROTO_OK;
}

/* ---- Items --------------------------------------------------------------- */

void
proto_item_hdr_put(uint8_t *p, enum proto_item_type type, uint32_t len)
{
	p[0] = (uint8_t)type;
	p[1] = (uint8_t)(len >> 16);
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
}

enum proto_result
proto_item_next(struct proto_item_iter *it, uint32_t max_frame,
    struct proto_item *item, const char **why)
{
	const char *fault;
	uint32_t len;
	uint8_t type;

	if (it->left == 0)
		return PROTO_NEED_MORE;
	if (it->left < PROTO_ITEM_HDR) {
		fault = "truncated item header";
		goto bad;
	}
	type = it->p[0];
	len = be24_get(it->p + 1);
	if (len > it->left - PROTO_ITEM_HDR) {
		fault = "truncated item";
		goto bad;
	}
	switch (type) {
	case PROTO_ITEM_FRAME:
		if (len < PROTO_ETH_MIN_FRAME) {
			fault = "frame too short";
			goto bad;
		}
		if (len > max_frame) {
			fault = "frame too long";
			goto bad;
		}
		break;
	case PROTO_ITEM_OFFLOAD:
		if (len < PROTO_OFFLOAD_HDR + PROTO_ETH_MIN_FRAME) {
			fault = "offload frame too short";
			goto bad;
		}
		if (len > PROTO_OFFLOAD_HDR + PROTO_OFFLOAD_MAX_FRAME) {
			fault = "offload frame too long";
			goto bad;
		}
		break;
	case PROTO_ITEM_KEEPALIVE:
		if (len > PROTO_KEEPALIVE_MAX) {
			fault = "keepalive too long";
			goto bad;
		}
		break;
	case PROTO_ITEM_GOODBYE:
		if (len < PROTO_GOODBYE_MIN) {
			fault = "goodbye too short";
			goto bad;
		}
		break;
	case PROTO_ITEM_ACK:
	case PROTO_ITEM_SEQ:
		if (len != PROTO_SEQ_ITEM_LEN) {
			fault = "sequence item of the wrong length";
			goto bad;
		}
		break;
	default:
		fault = "unknown item type";
		goto bad;
	}
	item->type = (enum proto_item_type)type;
	item->data = it->p + PROTO_ITEM_HDR;
	item->len = len;
	it->p += PROTO_ITEM_HDR + (size_t)len;
	it->left -= PROTO_ITEM_HDR + (size_t)len;
	return PROTO_OK;
bad:
	if (why != NULL)
		*why = fault;
	return PROTO_BAD;
}

/* ---- Error codes --------------------------------------------------------- */

const char *
proto_error_name(uint16_t code)
{
	switch (code) {
	case PROTO_ERR_VERSION:
		return "unsupported protocol version";
	case PROTO_ERR_NO_HUB:
		return "no such hub";
	case PROTO_ERR_AUTH:
		return "wrong user or password";
	case PROTO_ERR_THROTTLED:
		return "too many failed logins, try again later";
	case PROTO_ERR_PROTOCOL:
		return "protocol error";
	case PROTO_ERR_FULL:
		return "hub is full";
	case PROTO_ERR_SHUTDOWN:
		return "hub is shutting down";
	case PROTO_ERR_CIPHER:
		return "no common data-channel cipher";
	case PROTO_ERR_RESUME:
		return "session cannot be resumed";
	default:
		return "unknown error";
	}
}
