/*
 * test_ticket.c: re-login tickets: round trip, every tampered byte,
 * expiry and clock skew, wrong hub or user, a removed user, a changed
 * password, rotation (the previous key opens, the one before does not),
 * and the key file (round trip, truncated, corrupt).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "ticket.h"

#define NOW      1800000000ull
#define HASH     "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g"
#define HASH_NEW "$argon2id$v=19$m=65536,t=2,p=1$b3RoZXJzYWx0$aGFzaGhhc2g"

static struct ticket_claims
claims(void)
{
	struct ticket_claims c;

	memset(&c, 0, sizeof c);
	c.issued = NOW;
	c.expires = NOW + 86400;
	ticket_cred(HASH, c.cred);
	strcpy(c.hub, "office");
	strcpy(c.user, "alice");
	return c;
}

static int
setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

static void
test_round_trip(void **state)
{
	struct ticket_keys k;
	struct ticket_claims c = claims(), got;
	uint8_t t[TICKET_MAX_LEN];

	(void)state;
	ticket_keys_init(&k, NOW);
	size_t n = ticket_seal(&k, &c, t, sizeof t);
	assert_int_equal(n, TICKET_MIN_LEN + strlen("office") +
	    strlen("alice"));
	assert_int_equal(ticket_open(&k, t, n, NOW + 10, &got), TICKET_OK);
	assert_string_equal(got.hub, "office");
	assert_string_equal(got.user, "alice");
	assert_int_equal(got.issued, NOW);
	assert_int_equal(got.expires, NOW + 86400);
	assert_int_equal(ticket_check(&got, "office", "alice", HASH),
	    TICKET_OK);

	/* Longest names fit TICKET_MAX_LEN exactly. */
	memset(c.hub, 'h', PROTO_MAX_NAME);
	memset(c.user, 'u', PROTO_MAX_NAME);
	n = ticket_seal(&k, &c, t, sizeof t);
	assert_int_equal(n, TICKET_MAX_LEN);
	assert_int_equal(ticket_open(&k, t, n, NOW, &got), TICKET_OK);
	assert_int_equal(strlen(got.user), PROTO_MAX_NAME);

	/* Two seals of the same claims differ (fresh nonce). */
	uint8_t t2[TICKET_MAX_LEN];
	c = claims();
	n = ticket_seal(&k, &c, t, sizeof t);
	assert_int_equal(ticket_seal(&k, &c, t2, sizeof t2), n);
	assert_memory_not_equal(t, t2, n);

	/* Unusable claims or room. */
	c.hub[0] = '\0';
	assert_int_equal(ticket_seal(&k, &c, t, sizeof t), 0);
	c = claims();
	assert_int_equal(ticket_seal(&k, &c, t, TICKET_MAX_LEN - 1), 0);
	struct ticket_keys none;
	ticket_keys_clear(&none);
	assert_int_equal(ticket_seal(&none, &c, t, sizeof t), 0);
}

static void
test_tampered(void **state)
{
	struct ticket_keys k;
	struct ticket_claims c = claims(), got;
	uint8_t t[TICKET_MAX_LEN];

	(void)state;
	ticket_keys_init(&k, NOW);
	size_t n = ticket_seal(&k, &c, t, sizeof t);
	/* Every single bit flipped is refused: the key id as an unknown
	 * key, anything else as forged. */
	for (size_t i = 0; i < n; i++) {
		for (int bit = 0; bit < 8; bit++) {
			t[i] ^= (uint8_t)(1u << bit);
			enum ticket_result r = ticket_open(&k, t, n, NOW, &got);
			assert_int_equal(r, i < 4 ? TICKET_UNKNOWN_KEY :
			    TICKET_FORGED);
			t[i] ^= (uint8_t)(1u << bit);
		}
	}
	assert_int_equal(ticket_open(&k, t, n, NOW, &got), TICKET_OK);
	/* Cut short, lengthened, empty. */
	assert_int_equal(ticket_open(&k, t, n - 1, NOW, &got), TICKET_FORGED);
	assert_int_equal(ticket_open(&k, t, TICKET_MIN_LEN - 1, NOW, &got),
	    TICKET_MALFORMED);
	assert_int_equal(ticket_open(&k, t, 0, NOW, &got), TICKET_MALFORMED);
	assert_int_equal(ticket_open(&k, t, TICKET_MAX_LEN + 1, NOW, &got),
	    TICKET_MALFORMED);
	/* Another hub's keys. */
	struct ticket_keys other;
	ticket_keys_init(&other, NOW);
	other.cur.id = k.cur.id;
	assert_int_equal(ticket_open(&other, t, n, NOW, &got), TICKET_FORGED);
	assert_string_equal(got.user, "");
}

static void
test_times(void **state)
{
	struct ticket_keys k;
	struct ticket_claims c = claims(), got;
	uint8_t t[TICKET_MAX_LEN];

	(void)state;
	ticket_keys_init(&k, NOW);
	size_t n = ticket_seal(&k, &c, t, sizeof t);
	assert_int_equal(ticket_open(&k, t, n, NOW + 86399, &got), TICKET_OK);
	assert_int_equal(ticket_open(&k, t, n, NOW + 86400, &got),
	    TICKET_EXPIRED);
	assert_int_equal(ticket_open(&k, t, n, UINT64_MAX, &got),
	    TICKET_EXPIRED);
	/* The hub's clock went back: a little is forgiven. */
	assert_int_equal(ticket_open(&k, t, n, NOW - TICKET_SKEW_S, &got),
	    TICKET_OK);
	assert_int_equal(ticket_open(&k, t, n, NOW - TICKET_SKEW_S - 1, &got),
	    TICKET_FUTURE);
}

static void
test_claims_checked(void **state)
{
	struct ticket_keys k;
	struct ticket_claims c = claims(), got;
	uint8_t t[TICKET_MAX_LEN];

	(void)state;
	ticket_keys_init(&k, NOW);
	size_t n = ticket_seal(&k, &c, t, sizeof t);
	assert_int_equal(ticket_open(&k, t, n, NOW, &got), TICKET_OK);
	assert_int_equal(ticket_check(&got, "lab", "alice", HASH),
	    TICKET_WRONG_HUB);
	assert_int_equal(ticket_check(&got, "Office", "alice", HASH),
	    TICKET_WRONG_HUB);
	assert_int_equal(ticket_check(&got, "office", "bob", HASH),
	    TICKET_WRONG_USER);
	/* Deleted since. */
	assert_int_equal(ticket_check(&got, "office", "alice", NULL),
	    TICKET_WRONG_USER);
	/* A new password (a new salt, even for the same password). */
	assert_int_equal(ticket_check(&got, "office", "alice", HASH_NEW),
	    TICKET_CRED_CHANGED);
	for (int r = TICKET_OK; r <= TICKET_CRED_CHANGED; r++)
		assert_string_not_equal(ticket_result_str(r), "?");
}

static void
test_rotation(void **state)
{
	struct ticket_keys k;
	struct ticket_claims c = claims(), got;
	uint8_t t0[TICKET_MAX_LEN], t1[TICKET_MAX_LEN];

	(void)state;
	ticket_keys_init(&k, NOW);
	size_t n0 = ticket_seal(&k, &c, t0, sizeof t0);
	assert_int_equal(ticket_keys_rotate(&k, NOW + 100, 3600), 0);
	assert_int_equal(ticket_keys_rotate(&k, NOW + 3600, 3600), 1);
	assert_int_not_equal(k.cur.id, k.prev.id);
	assert_int_equal(k.cur.created, NOW + 3600);
	/* Sealed with the previous key: still opens. */
	assert_int_equal(ticket_open(&k, t0, n0, NOW + 3601, &got), TICKET_OK);
	size_t n1 = ticket_seal(&k, &c, t1, sizeof t1);
	assert_int_equal(ticket_keys_rotate(&k, NOW + 7200, 3600), 1);
	/* Two rotations on: the oldest key is gone. */
	assert_int_equal(ticket_open(&k, t0, n0, NOW + 7201, &got),
	    TICKET_UNKNOWN_KEY);
	assert_int_equal(ticket_open(&k, t1, n1, NOW + 7201, &got), TICKET_OK);
	/* A clock stepped back before the key's creation rotates too
	 * (an age it cannot know). */
	assert_int_equal(ticket_keys_rotate(&k, NOW, 3600), 1);
}

static void
test_keyfile(void **state)
{
	struct ticket_keys k, l;
	struct ticket_claims c = claims(), got;
	uint8_t t[TICKET_MAX_LEN];
	char buf[TICKET_KEYFILE_MAX], err[128];

	(void)state;
	ticket_keys_init(&k, NOW);
	size_t n = ticket_keys_save(&k, buf, sizeof buf);
	assert_true(n > 0);
	assert_int_equal(ticket_keys_load(&l, buf, n, err, sizeof err), 0);
	assert_memory_equal(&k, &l, sizeof k);
	size_t tn = ticket_seal(&k, &c, t, sizeof t);
	ticket_keys_rotate(&k, NOW + 10, 1);
	n = ticket_keys_save(&k, buf, sizeof buf);
	assert_int_equal(ticket_keys_load(&l, buf, n, err, sizeof err), 0);
	assert_memory_equal(&k, &l, sizeof k);
	assert_int_equal(ticket_open(&l, t, tn, NOW + 11, &got), TICKET_OK);

	/* Every truncation is refused, with a reason, and clears; but for
	 * a cut right after the current key's line, which keeps that key
	 * alone (tickets of the previous key then ask for the password). */
	const char *second = strchr(strchr(buf, '\n') + 1, '\n') + 1;
	for (size_t i = 0; i < n; i++) {
		err[0] = '\0';
		int rc = ticket_keys_load(&l, buf, i, err, sizeof err);
		if (i == (size_t)(second - buf)) {
			assert_int_equal(rc, 0);
			assert_memory_equal(&l.cur, &k.cur, sizeof k.cur);
			assert_int_equal(l.prev.id, 0);
			continue;
		}
		assert_int_equal(rc, -1);
		assert_true(err[0] != '\0');
		assert_int_equal(l.cur.id, 0);
		assert_int_equal(l.prev.id, 0);
	}
	/* Corrupt forms. */
	static const char *const bad[] = {
		"softether-ticket-keys 2\n1 2 "
		"0000000000000000000000000000000000000000000000000000000000000000\n",
		"softether-ticket-keys 1\n0 2 "
		"0000000000000000000000000000000000000000000000000000000000000000\n",
		"softether-ticket-keys 1\n1 2 "
		"000000000000000000000000000000000000000000000000000000000000000\n",
		"softether-ticket-keys 1\n1 2 "
		"000000000000000000000000000000000000000000000000000000000000000g\n",
		"softether-ticket-keys 1\n4294967296 2 "
		"0000000000000000000000000000000000000000000000000000000000000000\n",
		"softether-ticket-keys 1\n-1 2 "
		"0000000000000000000000000000000000000000000000000000000000000000\n",
		"softether-ticket-keys 1\n1 2 "
		"0000000000000000000000000000000000000000000000000000000000000000\n"
		"1 3 "
		"1111111111111111111111111111111111111111111111111111111111111111\n",
		"softether-ticket-keys 1\n",
		"",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		assert_int_equal(ticket_keys_load(&l, bad[i], strlen(bad[i]),
		    err, sizeof err), -1);
		assert_true(err[0] != '\0');
	}
	/* Three keys, and an embedded NUL. */
	char three[512];
	snprintf(three, sizeof three, "softether-ticket-keys 1\n%s%s",
	    "1 2 0000000000000000000000000000000000000000000000000000000000000000\n"
	    "2 2 0000000000000000000000000000000000000000000000000000000000000000\n",
	    "3 2 0000000000000000000000000000000000000000000000000000000000000000\n");
	assert_int_equal(ticket_keys_load(&l, three, strlen(three), err,
	    sizeof err), -1);
	assert_non_null(strstr(err, "line 4"));
	char nul[] = "softether-ticket-keys 1\n1 2 00\0";
	assert_int_equal(ticket_keys_load(&l, nul, sizeof nul - 1, err,
	    sizeof err), -1);
	/* Too long to be ours. */
	char big[TICKET_KEYFILE_MAX + 2];
	memset(big, '\n', sizeof big);
	assert_int_equal(ticket_keys_load(&l, big, sizeof big, err,
	    sizeof err), -1);
	/* A buffer too small to save into. */
	assert_int_equal(ticket_keys_save(&k, buf, 40), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_claims_checked),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_keyfile),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
