/*
 * ticket.c: re-login tickets, sealed claims a restarted hub can trust
 * without an Argon2 check (see ticket.h for the format and the rules).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "bytes.h"
#include "ticket.h"

#define TICKET_KEYFILE_MAGIC "softether-ticket-keys 1"

_Static_assert(TICKET_MAX_LEN <= PROTO_TICKET_MAX,
    "a ticket must fit WELCOME's extension and AUTH's secret");

const char *
ticket_result_str(enum ticket_result r)
{
	switch (r) {
	case TICKET_OK: return "ok";
	case TICKET_MALFORMED: return "malformed";
	case TICKET_UNKNOWN_KEY: return "sealed with a key no longer kept";
	case TICKET_FORGED: return "does not open (tampered with or not ours)";
	case TICKET_EXPIRED: return "expired";
	case TICKET_FUTURE: return "issued in the future";
	case TICKET_WRONG_HUB: return "issued for another hub";
	case TICKET_WRONG_USER: return "issued for another or a removed user";
	case TICKET_CRED_CHANGED:
		return "the user's password or key changed since";
	}
	return "?";
}

static void
ticket_key_new(struct ticket_key *key, uint32_t not_id, uint64_t now)
{
	do
		key->id = randombytes_random();
	while (key->id == 0 || key->id == not_id);
	key->created = now;
	randombytes_buf(key->key, sizeof key->key);
}

void
ticket_keys_init(struct ticket_keys *k, uint64_t now)
{
	ticket_keys_clear(k);
	ticket_key_new(&k->cur, 0, now);
}

int
ticket_keys_rotate(struct ticket_keys *k, uint64_t now, uint64_t every_s)
{
	if (k->cur.id != 0 && now >= k->cur.created &&
	    now - k->cur.created < every_s)
		return 0;
	k->prev = k->cur;
	ticket_key_new(&k->cur, k->prev.id, now);
	return 1;
}

void
ticket_keys_clear(struct ticket_keys *k)
{
	sodium_memzero(k, sizeof *k);
}

size_t
ticket_keys_save(const struct ticket_keys *k, char *buf, size_t cap)
{
	const struct ticket_key *keys[2] = { &k->cur, &k->prev };
	size_t n;
	int w = snprintf(buf, cap, "%s\n", TICKET_KEYFILE_MAGIC);

	if (w < 0 || (size_t)w >= cap)
		return 0;
	n = (size_t)w;
	for (int i = 0; i < 2; i++) {
		char hex[2 * TICKET_KEY_LEN + 1];
		if (keys[i]->id == 0)
			continue;
		sodium_bin2hex(hex, sizeof hex, keys[i]->key, TICKET_KEY_LEN);
		w = snprintf(buf + n, cap - n, "%" PRIu32 " %" PRIu64 " %s\n",
		    keys[i]->id, keys[i]->created, hex);
		sodium_memzero(hex, sizeof hex);
		if (w < 0 || (size_t)w >= cap - n)
			return 0;
		n += (size_t)w;
	}
	return n;
}

/* One "ID CREATED HEX64" line (NUL-terminated, no newline). */
static int
ticket_key_parse(struct ticket_key *key, const char *line)
{
	char hex[2 * TICKET_KEY_LEN + 2], *end;
	unsigned long long id, created;
	size_t bin_len;

	if (line[0] < '0' || line[0] > '9')
		return -1;
	id = strtoull(line, &end, 10);
	if (*end != ' ' || id == 0 || id > UINT32_MAX || end[1] < '0' ||
	    end[1] > '9')
		return -1;
	created = strtoull(end + 1, &end, 10);
	if (*end != ' ' || strlen(end + 1) != 2 * TICKET_KEY_LEN)
		return -1;
	memcpy(hex, end + 1, 2 * TICKET_KEY_LEN + 1);
	if (sodium_hex2bin(key->key, TICKET_KEY_LEN, hex, 2 * TICKET_KEY_LEN,
	    NULL, &bin_len, NULL) != 0 || bin_len != TICKET_KEY_LEN) {
		sodium_memzero(hex, sizeof hex);
		return -1;
	}
	sodium_memzero(hex, sizeof hex);
	key->id = (uint32_t)id;
	key->created = created;
	return 0;
}

int
ticket_keys_load(struct ticket_keys *k, const char *text, size_t len,
    char *err, size_t errlen)
{
	char line[TICKET_KEYFILE_MAX];
	size_t pos = 0;
	int lineno = 0, nkeys = 0;

	ticket_keys_clear(k);
	if (len > TICKET_KEYFILE_MAX) {
		snprintf(err, errlen, "longer than %u bytes", TICKET_KEYFILE_MAX);
		return -1;
	}
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t l = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
		lineno++;
		if (nl == NULL) {
			snprintf(err, errlen, "line %d: cut short (no newline)",
			    lineno);
			goto bad;
		}
		if (memchr(text + pos, '\0', l) != NULL) {
			snprintf(err, errlen, "line %d: a NUL byte", lineno);
			goto bad;
		}
		memcpy(line, text + pos, l);
		line[l] = '\0';
		pos += l + 1;
		if (lineno == 1) {
			if (strcmp(line, TICKET_KEYFILE_MAGIC) != 0) {
				snprintf(err, errlen, "line 1: expected \"%s\"",
				    TICKET_KEYFILE_MAGIC);
				goto bad;
			}
			continue;
		}
		if (nkeys == 2) {
			snprintf(err, errlen, "line %d: more than two keys",
			    lineno);
			goto bad;
		}
		struct ticket_key *key = nkeys == 0 ? &k->cur : &k->prev;
		if (ticket_key_parse(key, line) != 0) {
			snprintf(err, errlen, "line %d: expected ID CREATED "
			    "and 64 hex digits", lineno);
			goto bad;
		}
		nkeys++;
	}
	sodium_memzero(line, sizeof line);
	if (nkeys == 0) {
		snprintf(err, errlen, lineno == 0 ? "empty" : "no key");
		ticket_keys_clear(k);
		return -1;
	}
	if (nkeys == 2 && k->prev.id == k->cur.id) {
		snprintf(err, errlen, "both keys have id %" PRIu32, k->cur.id);
		ticket_keys_clear(k);
		return -1;
	}
	return 0;
bad:
	sodium_memzero(line, sizeof line);
	ticket_keys_clear(k);
	return -1;
}

void
ticket_cred(const char *password_hash, uint8_t out[TICKET_CRED_LEN])
{
	crypto_generichash(out, TICKET_CRED_LEN,
	    (const unsigned char *)password_hash, strlen(password_hash),
	    NULL, 0);
}

/* The claims in their wire form; 0 if a name is empty or too long. */
static size_t
ticket_claims_put(const struct ticket_claims *c, uint8_t *p)
{
	size_t hl = strnlen(c->hub, sizeof c->hub);
	size_t ul = strnlen(c->user, sizeof c->user);
	size_t n = 0;

	if (hl == 0 || hl > PROTO_MAX_NAME || ul == 0 || ul > PROTO_MAX_NAME)
		return 0;
	p[n++] = TICKET_VERSION;
	be64_put(p + n, c->issued);
	n += 8;
	be64_put(p + n, c->expires);
	n += 8;
	memcpy(p + n, c->cred, TICKET_CRED_LEN);
	n += TICKET_CRED_LEN;
	p[n++] = (uint8_t)hl;
	memcpy(p + n, c->hub, hl);
	n += hl;
	p[n++] = (uint8_t)ul;
	memcpy(p + n, c->user, ul);
	return n + ul;
}

/* A name of 1..PROTO_MAX_NAME bytes without NULs, or -1. */
static int
ticket_name_get(const uint8_t *p, size_t len, size_t *off, char *out)
{
	size_t l;

	if (*off >= len)
		return -1;
	l = p[(*off)++];
	if (l == 0 || l > PROTO_MAX_NAME || l > len - *off ||
	    memchr(p + *off, '\0', l) != NULL)
		return -1;
	memcpy(out, p + *off, l);
	out[l] = '\0';
	*off += l;
	return 0;
}

static int
ticket_claims_get(const uint8_t *p, size_t len, struct ticket_claims *c)
{
	size_t off = 1;

	if (len < TICKET_CLAIMS_FIXED || p[0] != TICKET_VERSION)
		return -1;
	c->issued = be64_get(p + off);
	off += 8;
	c->expires = be64_get(p + off);
	off += 8;
	memcpy(c->cred, p + off, TICKET_CRED_LEN);
	off += TICKET_CRED_LEN;
	if (ticket_name_get(p, len, &off, c->hub) != 0 ||
	    ticket_name_get(p, len, &off, c->user) != 0 || off != len)
		return -1;
	return 0;
}

size_t
ticket_seal(const struct ticket_keys *k, const struct ticket_claims *c,
    uint8_t *out, size_t cap)
{
	uint8_t plain[TICKET_CLAIMS_FIXED + 2 * PROTO_MAX_NAME];
	unsigned long long clen;
	size_t n;

	if (k->cur.id == 0 || cap < TICKET_MAX_LEN ||
	    (n = ticket_claims_put(c, plain)) == 0)
		return 0;
	be32_put(out, k->cur.id);
	randombytes_buf(out + 4, TICKET_NONCE_LEN);
	/* The key id and nonce are bound as associated data. */
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + 4 + TICKET_NONCE_LEN,
	    &clen, plain, n, out, 4 + TICKET_NONCE_LEN, NULL, out + 4,
	    k->cur.key);
	sodium_memzero(plain, sizeof plain);
	return 4 + TICKET_NONCE_LEN + (size_t)clen;
}

enum ticket_result
ticket_open(const struct ticket_keys *k, const uint8_t *t, size_t len,
    uint64_t now, struct ticket_claims *c)
{
	uint8_t plain[TICKET_CLAIMS_FIXED + 2 * PROTO_MAX_NAME];
	const struct ticket_key *key;
	unsigned long long plen;
	uint32_t id;
	int bad;

	memset(c, 0, sizeof *c);
	if (len < TICKET_MIN_LEN || len > TICKET_MAX_LEN)
		return TICKET_MALFORMED;
	id = be32_get(t);
	if (id != 0 && id == k->cur.id)
		key = &k->cur;
	else if (id != 0 && id == k->prev.id)
		key = &k->prev;
	else
		return TICKET_UNKNOWN_KEY;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &plen, NULL,
	    t + 4 + TICKET_NONCE_LEN, len - 4 - TICKET_NONCE_LEN, t,
	    4 + TICKET_NONCE_LEN, t + 4, key->key) != 0)
		return TICKET_FORGED;
	bad = ticket_claims_get(plain, (size_t)plen, c);
	sodium_memzero(plain, sizeof plain);
	if (bad) {
		/* Sealed by us yet unreadable: a ticket of another version. */
		memset(c, 0, sizeof *c);
		return TICKET_MALFORMED;
	}
	if (now >= c->expires)
		return TICKET_EXPIRED;
	if (c->issued > now && c->issued - now > TICKET_SKEW_S)
		return TICKET_FUTURE;
	return TICKET_OK;
}

enum ticket_result
ticket_check(const struct ticket_claims *c, const char *hub,
    const char *user, const char *password_hash)
{
	uint8_t cred[TICKET_CRED_LEN];

	if (strcmp(c->hub, hub) != 0)
		return TICKET_WRONG_HUB;
	if (password_hash == NULL || strcmp(c->user, user) != 0)
		return TICKET_WRONG_USER;
	ticket_cred(password_hash, cred);
	if (sodium_memcmp(cred, c->cred, sizeof cred) != 0)
		return TICKET_CRED_CHANGED;
	return TICKET_OK;
}
