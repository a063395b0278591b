/*
 * test_niclogin.c: the card's half of a login, as the card and the session
 * generator share it: what each ERROR asks of the next try, which welcomes
 * a card takes, which welcome resumes the session it kept, and which
 * re-login ticket it keeps. (The
 * messages on a real connection, resumes included: test_nic.c.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dchan.h"
#include "niclogin.h"

/* Only a lost session means logging in again at once; only what no retry
 * can change stops the card. */
static void
test_error_next(void **state)
{
	assert_int_equal(niclogin_error_next(PROTO_ERR_RESUME),
	    NICLOGIN_AFRESH);
	assert_int_equal(niclogin_error_next(PROTO_ERR_TICKET),
	    NICLOGIN_PASSWORD);
	assert_int_equal(niclogin_error_next(PROTO_ERR_AUTH), NICLOGIN_REFUSED);
	assert_int_equal(niclogin_error_next(PROTO_ERR_NO_HUB),
	    NICLOGIN_REFUSED);
	assert_int_equal(niclogin_error_next(PROTO_ERR_VERSION),
	    NICLOGIN_REFUSED);
	assert_int_equal(niclogin_error_next(PROTO_ERR_CIPHER),
	    NICLOGIN_REFUSED);
	assert_int_equal(niclogin_error_next(PROTO_ERR_THROTTLED),
	    NICLOGIN_RETRY);
	assert_int_equal(niclogin_error_next(PROTO_ERR_FULL), NICLOGIN_RETRY);
	assert_int_equal(niclogin_error_next(PROTO_ERR_SHUTDOWN),
	    NICLOGIN_RETRY);
	assert_int_equal(niclogin_error_next(PROTO_ERR_PROTOCOL),
	    NICLOGIN_RETRY);
	assert_int_equal(niclogin_error_next(0), NICLOGIN_RETRY);
	assert_int_equal(niclogin_error_next(UINT16_MAX), NICLOGIN_RETRY);
}

static struct proto_welcome
good_welcome(void)
{
	struct proto_welcome w;

	memset(&w, 0, sizeof w);
	w.version = PROTO_VERSION;
	w.cipher = (dchan_local_caps() & PROTO_CAP_AESGCM) ? DCHAN_AES256GCM :
	    DCHAN_CHACHA20POLY1305;
	w.session_id = 7;
	w.max_frame = PROTO_ETH_MAX_FRAME;
	w.keepalive_ms = PROTO_KEEPALIVE_MS;
	return w;
}

/* The welcome's version, limits and cipher, each checked. */
static void
test_welcome_ok(void **state)
{
	struct proto_welcome w = good_welcome();

	assert_true(niclogin_welcome_ok(&w));
	w.version = PROTO_VERSION + 1;
	assert_false(niclogin_welcome_ok(&w));
	w = good_welcome();
	w.max_frame = PROTO_ETH_MAX_FRAME - 1;
	assert_false(niclogin_welcome_ok(&w));
	w.max_frame = PROTO_ITEM_MAX_LEN + 1;
	assert_false(niclogin_welcome_ok(&w));
	w = good_welcome();
	w.keepalive_ms = 499;
	assert_false(niclogin_welcome_ok(&w));
	w.keepalive_ms = PROTO_DEAD_PEER_MS + 1;
	assert_false(niclogin_welcome_ok(&w));
	w = good_welcome();
	w.cipher = DCHAN_NONE;
	assert_false(niclogin_welcome_ok(&w));
	w.cipher = 9;
	assert_false(niclogin_welcome_ok(&w));
}

/* A welcome resumes only the session the card kept, and only if it says
 * so. */
static void
test_resumes(void **state)
{
	struct proto_welcome w = good_welcome();

	w.resumed = 1;
	assert_true(niclogin_resumes(&w, 1, 7));
	assert_false(niclogin_resumes(&w, 0, 7));
	assert_false(niclogin_resumes(&w, 1, 8));
	w.resumed = 0;
	assert_false(niclogin_resumes(&w, 1, 7));
}

/* The ticket of the last welcome that carried one is kept, whole; a
 * welcome without one (an older hub's, or a resume's) leaves it. */
static void
test_keep_ticket(void **state)
{
	struct proto_welcome w = good_welcome();
	uint8_t kept[PROTO_TICKET_MAX];
	size_t len = 0;

	memset(kept, 0xee, sizeof kept);
	niclogin_keep_ticket(&w, kept, &len);
	assert_int_equal(len, 0);
	w.ticket_len = 100;
	memset(w.ticket, 0x5a, w.ticket_len);
	niclogin_keep_ticket(&w, kept, &len);
	assert_int_equal(len, 100);
	assert_int_equal(kept[0], 0x5a);
	assert_int_equal(kept[99], 0x5a);
	assert_int_equal(kept[100], 0xee);
	w.ticket_len = 0;
	niclogin_keep_ticket(&w, kept, &len);
	assert_int_equal(len, 100);
	w.ticket_len = PROTO_TICKET_MAX;
	memset(w.ticket, 0x11, PROTO_TICKET_MAX);
	niclogin_keep_ticket(&w, kept, &len);
	assert_int_equal(len, PROTO_TICKET_MAX);
	assert_int_equal(kept[PROTO_TICKET_MAX - 1], 0x11);
	/* A length past the buffer (no decoder makes one) is not taken. */
	w.ticket_len = PROTO_TICKET_MAX + 1;
	w.ticket[0] = 0x22;
	niclogin_keep_ticket(&w, kept, &len);
	assert_int_equal(len, PROTO_TICKET_MAX);
	assert_int_equal(kept[0], 0x11);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_next),
		cmocka_unit_test(test_welcome_ok),
		cmocka_unit_test(test_resumes),
		cmocka_unit_test(test_keep_ticket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
