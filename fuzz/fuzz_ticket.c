/*
 * fuzz_ticket.c: hostile re-login tickets and key files. The first byte
 * picks the path:
 *   0: the rest as a ticket, opened under a fixed key set;
 *   1: the rest as claims, sealed under that key set as the hub would
 *      (so the claims parser sees arbitrary bytes), then opened;
 *   2: the rest as a key file.
 * Whatever opens must hold NUL-terminated names of 1..PROTO_MAX_NAME bytes
 * and seal again to a ticket that opens to the same claims.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "bytes.h"
#include "ticket.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fz_check(const struct ticket_keys *k, const struct ticket_claims *c)
{
	uint8_t t[TICKET_MAX_LEN];
	struct ticket_claims again;
	size_t hl = strnlen(c->hub, sizeof c->hub);
	size_t ul = strnlen(c->user, sizeof c->user);

	if (hl == 0 || hl > PROTO_MAX_NAME || ul == 0 || ul > PROTO_MAX_NAME)
		abort();
	size_t n = ticket_seal(k, c, t, sizeof t);
	if (n == 0 || ticket_open(k, t, n, c->issued, &again) !=
	    (c->issued >= c->expires ? TICKET_EXPIRED : TICKET_OK))
		abort();
	if (c->issued < c->expires && memcmp(&again, c, sizeof *c) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ticket_keys k;
	static int ready;
	struct ticket_claims c;
	uint8_t t[TICKET_MAX_LEN + 64];

	if (!ready) {
		if (sodium_init() < 0)
			abort();
		memset(&k, 0, sizeof k);
		k.cur.id = 7;
		memset(k.cur.key, 0x42, sizeof k.cur.key);
		k.prev.id = 9;
		memset(k.prev.key, 0x24, sizeof k.prev.key);
		ready = 1;
	}
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		if (ticket_open(&k, data + 1, size - 1, 1800000000ull, &c) ==
		    TICKET_OK)
			fz_check(&k, &c);
		break;
	case 1: {
		size_t plen = size - 1;
		unsigned long long clen;
		if (plen > TICKET_MAX_LEN - 4 - TICKET_NONCE_LEN -
		    TICKET_TAG_LEN + 32)
			return 0;
		be32_put(t, k.cur.id);
		memset(t + 4, 0x5a, TICKET_NONCE_LEN);
		crypto_aead_xchacha20poly1305_ietf_encrypt(t + 4 +
		    TICKET_NONCE_LEN, &clen, data + 1, plen, t,
		    4 + TICKET_NONCE_LEN, NULL, t + 4, k.cur.key);
		if (ticket_open(&k, t, 4 + TICKET_NONCE_LEN + (size_t)clen, 0,
		    &c) == TICKET_OK || c.hub[0] != '\0')
			fz_check(&k, &c);
		break;
	}
	default: {
		struct ticket_keys l;
		char err[128];
		if (ticket_keys_load(&l, (const char *)data + 1, size - 1, err,
		    sizeof err) == 0) {
			if (l.cur.id == 0 || l.cur.id == l.prev.id)
				abort();
			char buf[TICKET_KEYFILE_MAX];
			size_t n = ticket_keys_save(&l, buf, sizeof buf);
			struct ticket_keys m;
			if (n == 0 || ticket_keys_load(&m, buf, n, err,
			    sizeof err) != 0 || memcmp(&l, &m, sizeof l) != 0)
				abort();
		} else if (memchr(err, '\0', sizeof err) == NULL) {
			abort();
		}
		break;
	}
	}
	return 0;
}
