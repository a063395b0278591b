/*
 * test_nic.c: the virtual LAN card's whole life without root: two cards
 * with socketpair devices and a hub on 127.0.0.1, all on one event loop.
 * Login, frames both ways, a cut and a resume with nothing lost, the
 * carrier following the session, goodbye, and a refused login ending with
 * its message and exit status 2.
 */
#include "hubfix.h"
#include "srv.h"

/* Login, carrier on, frames both ways (flooded, then switched). */
static void
test_frames_both_ways(void **state)
{
	struct t_env *e = *state;
	uint8_t f[T_FRAME_LEN];
	size_t len;

	t_two_cards(e);
	assert_int_equal(nic_dev(e->a.nic)->carrier, 1);
	assert_int_equal(nic_dev(e->b.nic)->carrier, 1);

	len = t_frame(f, t_mac_a, NULL, 1);     /* broadcast: flooded */
	t_inject(&e->a, f, len);
	t_expect(e, &e->b, f, len);
	len = t_frame(f, t_mac_b, t_mac_a, 2);  /* A is known: switched */
	t_inject(&e->b, f, len);
	t_expect(e, &e->a, f, len);
	len = t_frame(f, t_mac_a, t_mac_b, 3);
	t_inject(&e->a, f, len);
	t_expect(e, &e->b, f, len);
}

static int
t_card_cut(void *arg)
{
	return nic_state(((struct t_card *)arg)->nic) != NIC_UP;
}

/* A cut without goodbye: the session is kept, frames sent meanwhile
 * arrive after the resume, in order and all of them; the carrier stays
 * on throughout. */
static void
test_cut_and_resume(void **state)
{
	struct t_env *e = *state;
	uint8_t f[T_FRAME_LEN];
	size_t len;

	t_two_cards(e);
	len = t_frame(f, t_mac_b, NULL, 0);      /* the hub learns B */
	t_inject(&e->b, f, len);
	t_expect(e, &e->a, f, len);

	struct conn *c = nic_conn(e->a.nic);
	assert_non_null(c);
	assert_int_equal(shutdown(c->fd, SHUT_RDWR), 0);
	t_until(e, t_card_cut, &e->a, "card A to see the cut");
	assert_int_equal(nic_state(e->a.nic), NIC_CUT);
	assert_int_equal(nic_dev(e->a.nic)->carrier, 1);
	for (uint32_t i = 1; i <= T_CUT_FRAMES; i++) {
		len = t_frame(f, t_mac_a, t_mac_b, i);
		t_inject(&e->a, f, len);
	}
	t_until(e, t_card_up, &e->a, "card A to resume");
	assert_true(t_logged(e, "pairA: connection lost"));
	for (uint32_t i = 1; i <= T_CUT_FRAMES; i++) {
		len = t_frame(f, t_mac_a, t_mac_b, i);
		t_expect(e, &e->b, f, len);
	}
	/* And the other way, on the resumed connection. */
	len = t_frame(f, t_mac_b, t_mac_a, T_CUT_FRAMES + 1);
	t_inject(&e->b, f, len);
	t_expect(e, &e->a, f, len);
	assert_int_equal(nic_dev(e->a.nic)->carrier, 1);
}

/* nic_stop says goodbye: the session ends, the carrier goes off, done(0). */
static void
test_goodbye(void **state)
{
	struct t_env *e = *state;

	t_two_cards(e);
	nic_stop(e->a.nic, 0);
	t_until(e, t_card_done, &e->a, "card A to stop");
	assert_int_equal(e->a.code, 0);
	assert_int_equal(nic_state(e->a.nic), NIC_STOPPED);
	assert_int_equal(nic_dev(e->a.nic)->carrier, 0);
	assert_int_equal(nic_state(e->b.nic), NIC_UP);
}

/* A wrong password: refused with the hub's words, exit status 2, and the
 * carrier never came on. */
static void
test_refused(void **state)
{
	struct t_env *e = *state;

	t_card_opts(e, &e->bad, "pairX", e->badpw, NULL);
	t_card_start(e, &e->bad);
	t_until(e, t_card_done, &e->bad, "the refused card to stop");
	assert_int_equal(e->bad.code, 2);
	assert_true(t_logged(e, "login refused by hub: wrong user or "
	    "password"));
	assert_int_equal(nic_dev(e->bad.nic)->carrier, 0);
}

/* A user name with a newline and a forged log line in it: the hub logs
 * the attempt on one line, the newline escaped. */
static void
test_name_escaped(void **state)
{
	struct t_env *e = *state;

	t_card_opts(e, &e->bad, "pairX", e->badpw, NULL);
	e->bad.o.user = "mallory\nsession 1 up: user=admin\\";
	t_card_start(e, &e->bad);
	t_until(e, t_card_done, &e->bad, "the refused card to stop");
	assert_true(t_logged(e, "login refused: user=mallory\\x0asession 1 "
	    "up: user=admin\\\\ from="));
	for (size_t i = 0; i < e->nlog; i++)
		assert_null(strchr(e->log[i], '\n'));
}

static int
t_setup_quick(void **state)
{
	return t_setup_hub(state, 2000);
}

/* The hub has let go of A's connection (session 1 cut, or gone). */
static int
t_a_cut(void *arg)
{
	struct t_env *e = arg;
	struct remote *r = srv_find_remote(e->hub, 1);

	return r == NULL || r->sess.conn == NULL;
}

/* Card A keeps its keepalives going but stops reading (its receive window
 * shuts); card B floods it. The hub cuts A within its dead-peer time (2 s
 * here) like a silent peer, and B carries on. */
static void
test_zero_window(void **state)
{
	struct t_env *e = *state;
	uint8_t f[1500];
	uint64_t t0;

	/* A's keepalives come every 0.25-0.5 s: never silent to the hub. */
	t_card_opts(e, &e->a, "pairA", e->pwfile, "5e:00:00:00:00:0a");
	t_card_opts(e, &e->b, "pairB", e->pwfile, "5e:00:00:00:00:0b");
	e->a.o.keepalive_ms = 500;
	t_card_start(e, &e->a);
	t_until(e, t_card_up, &e->a, "card A up");
	t_card_start(e, &e->b);
	t_until(e, t_card_up, &e->b, "card B up");
	event_del(nic_conn(e->a.nic)->rev);
	memset(f, 0, sizeof f);
	memcpy(f, t_mac_a, 6);
	memcpy(f + 6, t_mac_b, 6);
	f[12] = 0x88;
	f[13] = 0xb5;
	t0 = clock_now_ms();
	for (int i = 0; i < 20000 && !t_a_cut(e); i++) {
		assert_true(write(nic_dev(e->b.nic)->peer_fd, f, sizeof f) ==
		    (ssize_t)sizeof f || errno == EAGAIN);
		if (i % 50 == 0)
			event_base_loop(e->base, EVLOOP_NONBLOCK);
	}
	t_until(e, t_a_cut, e, "the hub to cut the card that stopped reading");
	assert_true(clock_now_ms() - t0 < 10000);
	assert_int_equal(nic_state(e->b.nic), NIC_UP);
}

/* Card A's device as the pair, but noting how many records A's connection
 * had sent before a read and after each frame of it was handed on. */
static struct t_env *t_seen_env;
static dev_frame_fn *t_seen_fn;
static void *t_seen_arg;
static uint64_t t_seen_before, t_seen_after[4];
static size_t t_seen_queued[4];    /* A's output queue after each frame */
static unsigned t_seen_n;
static struct dev_ops t_dev_seen;

static uint64_t
t_seen_sent(void)
{
	return nic_conn(t_seen_env->a.nic)->ctr.tx_records;
}

static int
t_seen_frame(void *arg, const struct vnet_meta *vm, uint8_t *f, size_t len)
{
	int rc = t_seen_fn(t_seen_arg, vm, f, len);

	(void)arg;
	if (t_seen_n < 4) {
		t_seen_after[t_seen_n] = t_seen_sent();
		t_seen_queued[t_seen_n] = conn_outq(
		    nic_conn(t_seen_env->a.nic));
	}
	t_seen_n++;
	return rc;
}

static int
t_seen_read(struct dev *d, dev_frame_fn *fn, void *arg, unsigned max)
{
	t_seen_fn = fn;
	t_seen_arg = arg;
	t_seen_n = 0;
	t_seen_before = t_seen_sent();
	return dev_pair.read_batch(d, t_seen_frame, NULL, max);
}

/* Frames A -> B, put on A's device together; each must reach B. */
static void
t_seen_burst(struct t_env *e, unsigned count, uint8_t tag)
{
	uint8_t f[4][T_FRAME_LEN];
	size_t len[4];

	for (unsigned i = 0; i < count; i++) {
		len[i] = t_frame(f[i], t_mac_a, t_mac_b, (uint8_t)(tag + i));
		t_inject(&e->a, f[i], len[i]);
	}
	for (unsigned i = 0; i < count; i++)
		t_expect(e, &e->b, f[i], len[i]);
	assert_int_equal(t_seen_n, count);
}

/* Sparse traffic: a frame read when the last wake-up read only one goes
 * out (sealed and written) before the device is read again (the read that
 * finds it empty);
 * in a burst only the first does, the rest go together, and after a burst
 * the next wake-up batches from its first frame. */
static void
test_lone_frame_at_once(void **state)
{
	struct t_env *e = *state;
	uint8_t f[T_FRAME_LEN];
	size_t len;

	t_dev_seen = dev_pair;
	t_dev_seen.read_batch = t_seen_read;
	t_seen_env = e;
	t_card_opts(e, &e->a, "pairA", e->pwfile, "5e:00:00:00:00:0a");
	t_card_opts(e, &e->b, "pairB", e->pwfile, "5e:00:00:00:00:0b");
	e->a.o.dev = &t_dev_seen;
	t_card_start(e, &e->a);
	t_until(e, t_card_up, &e->a, "card A up");
	t_card_start(e, &e->b);
	t_until(e, t_card_up, &e->b, "card B up");
	len = t_frame(f, t_mac_b, t_mac_a, 1);  /* B is known: switched */
	t_inject(&e->b, f, len);
	t_expect(e, &e->a, f, len);

	t_seen_burst(e, 1, 10);                 /* lone: at once */
	assert_int_equal(t_seen_after[0], t_seen_before + 1);
	assert_int_equal(t_seen_queued[0], 0);  /* written, not queued */
	t_seen_burst(e, 3, 20);                 /* the first at once */
	assert_int_equal(t_seen_after[0], t_seen_before + 1);
	assert_int_equal(t_seen_after[2], t_seen_after[0]);
	t_seen_burst(e, 1, 30);                 /* after a burst: batched */
	assert_int_equal(t_seen_after[0], t_seen_before);
	t_seen_burst(e, 1, 40);                 /* sparse again: at once */
	assert_int_equal(t_seen_after[0], t_seen_before + 1);
}

/* The records one wake-up seals leave in one write: 64 frames of 1500
 * bytes read at once fill two records, and A's socket is written once
 * for both (an acknowledgement's record may come on its own). */
static void
test_one_write_per_wakeup(void **state)
{
	struct t_env *e = *state;
	static uint8_t f[64][1500];
	uint64_t rec0, wr0, rec, wr;
	struct conn *c;

	t_two_cards(e);
	for (unsigned i = 0; i < 64; i++) {
		memcpy(f[i], t_mac_b, 6);
		memcpy(f[i] + 6, t_mac_a, 6);
		f[i][12] = 0x88;
		f[i][13] = 0xb5;
		memset(f[i] + 14, (int)i, sizeof f[i] - 14);
	}
	/* a burst first, so the next wake-up batches from its first frame */
	t_inject(&e->a, f[0], sizeof f[0]);
	t_inject(&e->a, f[1], sizeof f[1]);
	t_expect(e, &e->b, f[0], sizeof f[0]);
	t_expect(e, &e->b, f[1], sizeof f[1]);
	c = nic_conn(e->a.nic);
	rec0 = c->ctr.tx_records;
	wr0 = c->ctr.tx_writes;
	for (unsigned i = 0; i < 64; i++)
		t_inject(&e->a, f[i], sizeof f[i]);
	for (unsigned i = 0; i < 64; i++)
		t_expect(e, &e->b, f[i], sizeof f[i]);
	rec = c->ctr.tx_records - rec0;
	wr = c->ctr.tx_writes - wr0;
	assert_true(rec >= 2);
	assert_true(wr < rec);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_frames_both_ways,
		    t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_cut_and_resume, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_goodbye, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_refused, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_name_escaped, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_lone_frame_at_once, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_one_write_per_wakeup,
		    t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_zero_window, t_setup_quick,
		    t_teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
