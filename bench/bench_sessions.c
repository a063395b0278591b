/*
 * bench_sessions.c: a load generator. One process opens N real sessions to
 * a hub, each over its own socket: TLS, login, data channel, keepalives and
 * resume are the card's own code (conn.c, session.c, niclogin.c), with no
 * device behind them. It can trickle frames, cut every connection and
 * resume, and it reports what admitting and holding the sessions cost
 * (the hub's /proc/PID with --hub-pid: sessions_report.c).
 *
 * A session the hub forgot (it was restarted) logs in again with the
 * re-login ticket of its last welcome, as a card does, unless
 * --no-tickets; with --hub-restarts those are re-admissions, not losses.
 *
 * Every session is a small state machine (wait, connecting, login, up,
 * done). Connection attempts come out of two queues, resumes first, at
 * --rate a second; how many of each kind may be under way at once follows
 * how fast the hub completes them (a login waits for its Argon2id check
 * in the hub's queue, behind every other: too many at once and they time
 * out, fail, and the hub throttles their sources), up to --inflight.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>
#include <event2/event.h>
#include <sodium.h>

#include "bytes.h"
#include "cert.h"
#include "clock.h"
#include "conn.h"
#include "ether.h"
#include "log.h"
#include "nic.h"
#include "niclogin.h"
#include "proto.h"
#include "session.h"
#include "tlsio.h"
#include "trust.h"
#include "sessions.h"

static const struct session_cbs gs_session_cbs;
static const struct conn_cbs gs_login_cbs;
static void gen_pace(struct gen *g);
static void gen_finish(struct gen *g);

/* ---- Sessions: states and tries ------------------------------------- */

/* A try of this kind succeeded: the rate its window follows. */
static void
gen_window_ok(struct gen_window *w)
{
	w->ok[w->nok++ % GEN_RATE_SAMPLES] = clock_now_s();
}

/* The one place a session changes state: the counters follow. */
static void
gs_set_state(struct gs *s, enum gs_state st)
{
	struct gen *g = s->g;
	int was = s->state == GS_CONNECTING || s->state == GS_LOGIN;
	int is = st == GS_CONNECTING || st == GS_LOGIN;

	g->win[s->kind].inflight = g->win[s->kind].inflight + (uint32_t)is -
	    (uint32_t)was;
	g->nup = g->nup + (st == GS_UP) - (s->state == GS_UP);
	/* All were up and one went down: until all are back ("back N"). */
	if (s->state == GS_UP && st != GS_UP && g->all_up &&
	    g->phase != GEN_STOP && g->t_down == 0)
		g->t_down = clock_now_s();
	g->ndone = g->ndone + (st == GS_DONE) - (s->state == GS_DONE);
	s->state = st;
}

static void
gs_enqueue(struct gs *s)
{
	struct gen *g = s->g;

	if (s->queued || g->phase == GEN_STOP)
		return;
	s->kind = s->have_sess ? GEN_RESUME : GEN_LOGIN;
	TAILQ_INSERT_TAIL(&g->win[s->kind].ready, s, qe);
	s->queued = 1;
	gen_pace(g);
}

static void
gs_backoff_cb(evutil_socket_t fd, short what, void *arg)
{
	gs_enqueue(arg);
}

/* The next try: at once (through the queue), or after a back-off. */
static void
gs_next_try(struct gs *s, int now)
{
	struct gen *g = s->g;
	uint32_t wait;

	if (g->phase == GEN_STOP || s->refused) {
		gs_set_state(s, GS_DONE);
		/* Refused, every one that is not up: nothing left to wait
		 * for. */
		if (g->phase == GEN_ADMIT && g->nup + g->ndone == g->count)
			gen_finish(g);
		return;
	}
	gs_set_state(s, GS_WAIT);
	if (now) {
		gs_enqueue(s);
		return;
	}
	s->backoff_ms = s->backoff_ms == 0 ? GEN_BACKOFF_MIN_MS :
	    s->backoff_ms * 2 > GEN_BACKOFF_MAX_MS ? GEN_BACKOFF_MAX_MS :
	    s->backoff_ms * 2;
	wait = s->backoff_ms / 2 + randombytes_uniform(s->backoff_ms / 2 + 1);
	struct timeval tv = { wait / 1000, (wait % 1000) * 1000 };
	event_assign(s->ev, g->base, -1, 0, gs_backoff_cb, s);
	event_add(s->ev, &tv);
}

/* Failures by reason (the first GEN_REASONS kinds). */
static void
gen_reason(struct gen *g, const char *why)
{
	for (unsigned i = 0; i < GEN_REASONS; i++) {
		if (g->reasons[i].n == 0)
			snprintf(g->reasons[i].why, sizeof g->reasons[i].why,
			    "%s", why);
		else if (strncmp(g->reasons[i].why, why,
		    sizeof g->reasons[i].why - 1) != 0)
			continue;
		g->reasons[i].n++;
		return;
	}
	g->reasons_other++;
}

/* A try failed before the hub welcomed it: counted, logged while few. */
static void
gs_try_failed(struct gs *s, const char *why)
{
	struct gen *g = s->g;

	g->failures++;
	gen_reason(g, why);
	if (g->phase != GEN_STOP && g->logged++ < GEN_LOG_FAILURES)
		log_warn("session %u: %s: %s%s", s->idx, s->have_sess ?
		    "resume failed" : "login failed", why,
		    g->logged == GEN_LOG_FAILURES ? " (further failures "
		    "only counted)" : "");
	gs_next_try(s, s->afresh);
	s->afresh = 0;
	gen_pace(g);
}

static void
gs_lost(struct gs *s, const char *why)
{
	struct gen *g = s->g;

	s->lost = 1;
	g->lost_events++;
	if (g->logged++ < GEN_LOG_FAILURES)
		log_warn("session %u (hub session %llu) lost: %s", s->idx,
		    (unsigned long long)s->id, why);
}

static void
gs_drop_session(struct gs *s)
{
	if (!s->have_sess)
		return;
	session_free(&s->sess);
	s->have_sess = 0;
	s->announced = 0;    /* the hub forgets its MAC with it */
}

/* The source address for session idx (network order), round robin. */
static uint32_t
gen_source(const struct gen *g, uint32_t idx)
{
	return htonl(g->src_first + idx % g->nsrc);
}

static void
gs_connected_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gs *s = arg;
	struct gen *g = s->g;
	int err = 0;
	socklen_t len = sizeof err;

	s->fd = -1;
	if (what & EV_TIMEOUT) {
		close(fd);
		gs_try_failed(s, "connect timed out");
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err != 0) {
		char why[128];
		close(fd);
		snprintf(why, sizeof why, "connect: %s", strerror(err));
		gs_try_failed(s, why);
		return;
	}
	gs_set_state(s, GS_LOGIN);
	s->c = conn_new(g->base, fd, &g->tls, g->host, &gs_login_cbs, s);
	if (s->c == NULL) {
		gs_try_failed(s, "out of memory");
		return;
	}
}

/* A new connection for the session: bound to its source, connecting. */
static void
gs_connect(struct gs *s)
{
	struct gen *g = s->g;
	struct timeval tv = { GEN_CONNECT_MS / 1000,
	    (GEN_CONNECT_MS % 1000) * 1000 };
	char why[160];
	int fd, one = 1;

	g->tries++;
	if (g->t_first == 0)
		g->t_first = clock_now_s();
	if (s->want_ms == 0)
		s->want_ms = clock_now_ms();
	gs_set_state(s, GS_CONNECTING);
	fd = socket(g->hub.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(why, sizeof why, "socket: %s", strerror(errno));
		gs_try_failed(s, why);
		return;
	}
	if (g->nsrc > 0) {
		struct sockaddr_in src = { .sin_family = AF_INET };
		src.sin_addr.s_addr = gen_source(g, s->idx);
		/* The port is picked at connect: many sources, one port
		 * range each. */
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
		    sizeof one);
		if (bind(fd, (struct sockaddr *)&src, sizeof src) != 0) {
			char a[INET_ADDRSTRLEN];
			inet_ntop(AF_INET, &src.sin_addr, a, sizeof a);
			snprintf(why, sizeof why, "bind %s: %s", a,
			    strerror(errno));
			close(fd);
			gs_try_failed(s, why);
			return;
		}
	}
	if (connect(fd, (struct sockaddr *)&g->hub, g->hub_len) != 0 &&
	    errno != EINPROGRESS) {
		snprintf(why, sizeof why, "connect: %s", strerror(errno));
		close(fd);
		gs_try_failed(s, why);
		return;
	}
	s->fd = fd;
	event_assign(s->ev, g->base, fd, EV_WRITE, gs_connected_cb, s);
	event_add(s->ev, &tv);
}

/* ---- Login (the card's half, from niclogin.c) ----------------------- */

static int
gs_tls_up(struct conn *c, void *arg)
{
	struct gs *s = arg;
	struct gen *g = s->g;
	struct niclogin l = { .hub_name = g->hub_name, .via = "direct",
	    .user = g->user, .password = g->password,
	    .password_len = g->password_len, .resume = s->have_sess,
	    .session_id = s->id, .token = s->token,
	    .rx_last = s->have_sess ? s->sess.rx_last : 0,
	    .ticket = s->ticket, .ticket_len = s->ticket_len };

	if (g->fingerprint != NULL && trust_hub(&c->tls, g->host, g->port,
	    g->fingerprint, 0, NULL) != TRUST_OK) {
		s->refused = 1;
		conn_close(c, "the hub's certificate is not the one pinned");
		return -1;
	}
	if (niclogin_send(c, &l) != 0) {
		conn_close(c, "cannot send the login messages");
		return -1;
	}
	s->by_ticket = !s->have_sess && s->ticket_len > 0;
	return 0;
}

/* A session cut by the generator is back (or lost): the last one ends
 * the resume figures. */
static void
gen_cut_back(struct gs *s)
{
	struct gen *g = s->g;

	s->cut = 0;
	if (--g->cut_left > 0)
		return;
	g->t_resumed = clock_now_s();
	gen_hubstat(g, &g->h_resumed);
}

/* Up: a fresh session or a resumed one. */
static void
gs_up(struct gs *s, int resumed)
{
	struct gen *g = s->g;
	double now = clock_now_s();

	if (!g->all_up && !resumed && g->nlat < g->count)
		g->lat[g->nlat++] = (double)(clock_now_ms() - s->want_ms) / 1e3;
	s->want_ms = 0;
	s->backoff_ms = 0;
	g->t_last_up = now;
	gen_window_ok(&g->win[s->kind]);
	gs_set_state(s, GS_UP);
	if (resumed)
		g->resumed++;
	if (s->cut)
		gen_cut_back(s);
	if (s->trickle_ev != NULL && !event_pending(s->trickle_ev,
	    EV_TIMEOUT, NULL)) {
		/* The first frame at a random point of the interval: the
		 * sessions do not all send at once. */
		uint32_t us = randombytes_uniform((uint32_t)(1e6 / g->trickle));
		struct timeval tv = { us / 1000000, us % 1000000 };
		event_add(s->trickle_ev, &tv);
	}
	if (g->all_up && g->t_down > 0 && g->nup == g->count) {
		g->back_s = now - g->t_down;
		g->t_down = 0;
		g->backs++;
		printf("back %u in %.2f s\n", g->count, g->back_s);
		fflush(stdout);
	}
	if (!g->all_up && g->nup == g->count) {
		g->all_up = 1;
		g->t_all_up = now;
		g->admit_tries = g->tries;
		g->admit_failures = g->failures;
		printf("up %u\n", g->count);
		fflush(stdout);
		gen_hubstat(g, &g->h_up);
		g->t_h_up = clock_now_s();
		g->phase = GEN_HOLD;
		struct timeval hold = { (time_t)g->hold_s,
		    (suseconds_t)((g->hold_s - (time_t)g->hold_s) * 1e6) };
		event_del(g->phase_ev);
		event_add(g->phase_ev, &hold);
		if (g->cut_after_s > 0 && g->cut_after_s < g->hold_s) {
			struct timeval cut = { (time_t)g->cut_after_s,
			    (suseconds_t)((g->cut_after_s -
			    (time_t)g->cut_after_s) * 1e6) };
			event_add(g->cut_ev, &cut);
		}
	}
	gen_pace(g);
}

static void
gs_login_msg(struct conn *c, const struct proto_msg *m, void *arg)
{
	struct gs *s = arg;
	struct gen *g = s->g;
	const struct proto_welcome *w = &m->u.welcome;
	char text[LOG_SAFE_LEN(128)];

	if (m->type == PROTO_MSG_ERROR) {
		log_safe(text, sizeof text, m->u.error.text);
		switch (niclogin_error_next(m->u.error.code)) {
		case NICLOGIN_AFRESH:
			if (g->restarts)
				g->readmitted++;
			else
				gs_lost(s, "the hub cannot resume it");
			gs_drop_session(s);
			s->afresh = 1;
			break;
		case NICLOGIN_PASSWORD:
			g->tickets_refused++;
			s->ticket_len = 0;
			s->afresh = 1;
			break;
		case NICLOGIN_REFUSED:
			if (!s->refused && g->logged < GEN_LOG_FAILURES)
				log_err("session %u: login refused by hub: %s",
				    s->idx, text);
			s->refused = 1;
			break;
		default:
			g->hub_refusals++;
			if (g->first_refusal[0] == '\0')
				snprintf(g->first_refusal,
				    sizeof g->first_refusal, "%s", text);
			break;
		}
		conn_close(c, text);
		return;
	}
	if (m->type != PROTO_MSG_WELCOME) {
		conn_close(c, "unexpected message from hub");
		return;
	}
	if (niclogin_start(c, w, PROTO_KEEPALIVE_MS) != 0)
		return;
	if (!g->no_tickets) {
		size_t n = s->ticket_len;
		niclogin_keep_ticket(w, s->ticket, &n);
		s->ticket_len = (uint16_t)n;
	}
	if (niclogin_resumes(w, s->have_sess, s->id)) {
		s->c = NULL;
		niclogin_resume(&s->sess, c, w);
		gs_up(s, 1);
		return;
	}
	if (s->have_sess) {
		gs_lost(s, "the hub started a new one");
		gs_drop_session(s);
	}
	char name[32];
	snprintf(name, sizeof name, "gen%u", s->idx);
	if (niclogin_session_init(&s->sess, g->base, PROTO_RESUME_BUDGET,
	    PROTO_RESUME_WINDOW_MS, name, &gs_session_cbs, s) != 0) {
		conn_close(c, "out of memory starting a session");
		return;
	}
	s->have_sess = 1;
	s->id = w->session_id;
	memcpy(s->token, w->token, PROTO_TOKEN_LEN);
	if (s->by_ticket)
		g->logins_ticket++;
	else
		g->logins_password++;
	s->c = NULL;
	session_attach(&s->sess, c, 0);
	gs_up(s, 0);
}

/* The connection ended before the hub welcomed it. */
static void
gs_login_closed(struct conn *c, const char *reason, void *arg)
{
	struct gs *s = arg;

	s->c = NULL;
	gs_try_failed(s, reason);
}

static void
gs_login_item(struct conn *c, const struct proto_item *item, void *arg)
{
}

static const struct conn_cbs gs_login_cbs = {
	.tls_up = gs_tls_up,
	.login_msg = gs_login_msg,
	.item = gs_login_item,
	.closed = gs_login_closed,
};

/* ---- The session's life --------------------------------------------- */

static void
gs_deliver(void *arg, const struct vnet_meta *vm, const uint8_t *f,
    size_t len, uint64_t now_ms)
{
	struct gs *s = arg;

	s->g->frames_rx++;
}

static void
gs_link_down(void *arg, const char *reason, int kept)
{
	struct gs *s = arg;
	struct gen *g = s->g;

	if (g->phase == GEN_STOP) {
		gs_set_state(s, GS_DONE);
		return;
	}
	if (!s->cut && g->logged++ < GEN_LOG_FAILURES)
		log_warn("session %u: connection lost (%s)%s", s->idx, reason,
		    kept ? "; resuming" : "");
	/* Kept: resume now. Else ended() follows at once, and the try
	 * logs in afresh. */
	gs_next_try(s, 1);
}

static void
gs_ended(void *arg, const char *reason)
{
	struct gs *s = arg;
	struct gen *g = s->g;

	if (g->phase != GEN_STOP)
		gs_lost(s, reason);
	gs_drop_session(s);
	if (s->cut)
		gen_cut_back(s);
}

static const struct session_cbs gs_session_cbs = {
	.deliver = gs_deliver,
	.link_down = gs_link_down,
	.ended = gs_ended,
};

/* One small unicast frame: to the next session's MAC once that one has
 * made itself known (the hub floods a MAC it has not learnt), else, and
 * with --trickle-to self, to its own (the hub learns it, switches the
 * frame and drops it: no port to send it to). */
static void
gs_trickle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gs *s = arg;
	struct gen *g = s->g;
	const struct gs *peer = &g->s[(s->idx + 1) % g->count];
	uint8_t f[GEN_FRAME_LEN];
	uint32_t us = (uint32_t)(1e6 / g->trickle);
	struct timeval tv = { us / 1000000, us % 1000000 };

	if (g->phase == GEN_STOP || !s->have_sess)
		return;
	event_add(s->trickle_ev, &tv);
	memset(f, 0, sizeof f);
	memcpy(f, g->trickle_to == GEN_TO_PEERS && s->announced &&
	    peer->announced && peer != s ? peer->mac : s->mac,
	    ETHER_ADDR_LEN);
	memcpy(f + ETHER_ADDR_LEN, s->mac, ETHER_ADDR_LEN);
	be16_put(f + 12, GEN_ETHERTYPE);
	be32_put(f + 14, GEN_MAGIC);
	be32_put(f + 18, s->idx);
	be64_put(f + 22, ++s->tx_seq);
	/* While cut, it waits in the session for the resume. */
	if (session_send_frame(&s->sess, f, sizeof f) == 0) {
		g->frames_tx++;
		s->announced = 1;
	} else
		g->frames_dropped++;
}

/* ---- The run --------------------------------------------------------- */

/* How many tries of a kind may be under way: as many as the hub
 * completes in GEN_TARGET_S at the rate it has lately (which falls while
 * none succeeds), within GEN_WINDOW_MIN and --inflight. */
static uint32_t
gen_window_size(const struct gen *g, const struct gen_window *w)
{
	uint32_t n = GEN_WINDOW_MIN;

	if (w->nok >= GEN_RATE_SAMPLES) {
		double oldest = w->ok[w->nok % GEN_RATE_SAMPLES];
		double rate = (GEN_RATE_SAMPLES - 1) / (clock_now_s() - oldest);
		double want = rate * GEN_TARGET_S + 1;
		n = want > g->max_inflight ? g->max_inflight : (uint32_t)want;
		if (n < GEN_WINDOW_MIN)
			n = GEN_WINDOW_MIN;
	}
	return n > g->max_inflight ? g->max_inflight : n;
}

/* The next try due of a kind whose window has room, resumes first (a
 * cut session is kept only so long), or NULL. */
static struct gs *
gen_next(struct gen *g)
{
	for (int k = GEN_NKINDS - 1; k >= 0; k--) {
		struct gen_window *w = &g->win[k];
		if (!TAILQ_EMPTY(&w->ready) &&
		    w->inflight < gen_window_size(g, w))
			return TAILQ_FIRST(&w->ready);
	}
	return NULL;
}

/* Connection attempts out of the queues: --rate a second, each kind
 * within its window. */
static void
gen_pace(struct gen *g)
{
	uint64_t now = clock_now_ms();
	double cap = g->rate * GEN_PACE_MS * 2 / 1000.0;
	struct gs *s;

	if (cap < 1.0)
		cap = 1.0;
	g->tokens += (double)(now - g->pace_ms) * g->rate / 1000.0;
	if (g->tokens > cap)
		g->tokens = cap;
	g->pace_ms = now;
	while (g->tokens >= 1.0 && (s = gen_next(g)) != NULL) {
		TAILQ_REMOVE(&g->win[s->kind].ready, s, qe);
		s->queued = 0;
		g->tokens -= 1.0;
		gs_connect(s);
	}
	/* A full window opens again when a try ends (gen_pace then). */
	if (gen_next(g) != NULL &&
	    !event_pending(g->pace_ev, EV_TIMEOUT, NULL)) {
		struct timeval tv = { 0, GEN_PACE_MS * 1000 };
		event_add(g->pace_ev, &tv);
	}
}

static void
gen_pace_cb(evutil_socket_t fd, short what, void *arg)
{
	gen_pace(arg);
}

/* --cut-after: every connection closed at once, abruptly (a reset, no
 * goodbye): the hub keeps the sessions, the generator resumes them. */
static void
gen_cut_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gen *g = arg;
	struct linger lg = { 1, 0 };

	gen_hubstat(g, &g->h_cut);
	g->t_h_cut = clock_now_s();
	g->t_cut = g->t_h_cut;
	for (uint32_t i = 0; i < g->count; i++) {
		struct gs *s = &g->s[i];
		if (s->state != GS_UP || s->sess.conn == NULL)
			continue;
		setsockopt(s->sess.conn->fd, SOL_SOCKET, SO_LINGER, &lg,
		    sizeof lg);
		s->cut = 1;
		g->ncut++;
		g->cut_left++;
		conn_close(s->sess.conn, "cut by the generator");
	}
	log_info("cut %u connections", g->ncut);
}

/* Admission timed out, the hold is over, or the settling is. */
static void
gen_phase_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gen *g = arg;
	struct timeval poll = { 0, GEN_POLL_MS * 1000 };

	switch (g->phase) {
	case GEN_ADMIT:
		log_err("only %u of %u sessions up after %.0f s (--timeout)",
		    g->nup, g->count, g->timeout_s);
		gen_finish(g);
		return;
	case GEN_HOLD:
		gen_hubstat(g, &g->h_hold);
		g->t_h_hold = g->t_settle = clock_now_s();
		g->phase = GEN_SETTLE;
		break;
	case GEN_SETTLE:
		break;
	case GEN_STOP:
		return;
	}
	/* Done when every session that can be is up again, or when they
	 * stop coming up, or at the latest after the resume window. */
	double now = clock_now_s();
	if (g->nup + g->ndone == g->count ||
	    now - g->t_last_up >= GEN_SETTLE_IDLE_MS / 1e3 ||
	    now - g->t_settle >= GEN_SETTLE_MAX_MS / 1e3) {
		gen_finish(g);
		return;
	}
	event_add(g->phase_ev, &poll);
}

static void
gen_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct gen *g = arg;

	log_info("signal %d: stopping", (int)sig);
	gen_finish(g);
}

/* Measure, then say goodbye on every session and stop. */
static void
gen_finish(struct gen *g)
{
	struct timeval drain = { 0, GEN_DRAIN_MS * 1000 };

	if (g->phase == GEN_STOP)
		return;
	/* Stopped during the hold: that is where it ended. */
	if (g->phase != GEN_SETTLE) {
		gen_hubstat(g, &g->h_hold);
		g->t_h_hold = clock_now_s();
	}
	gen_hubstat(g, &g->h_end);
	for (uint32_t i = 0; i < g->count; i++) {
		if (g->s[i].state != GS_UP)
			g->s[i].lost = 1;
		else
			g->up_at_end++;
	}
	g->phase = GEN_STOP;
	event_del(g->pace_ev);
	event_del(g->phase_ev);
	event_del(g->cut_ev);
	for (uint32_t i = 0; i < g->count; i++) {
		struct gs *s = &g->s[i];
		if (s->queued) {
			TAILQ_REMOVE(&g->win[s->kind].ready, s, qe);
			s->queued = 0;
		}
		if (s->trickle_ev != NULL)
			event_del(s->trickle_ev);
		switch (s->state) {
		case GS_WAIT:
			event_del(s->ev);
			break;
		case GS_CONNECTING:
			event_del(s->ev);
			close(s->fd);
			s->fd = -1;
			break;
		case GS_LOGIN:
			conn_abandon(s->c, "generator stopping");
			s->c = NULL;
			break;
		case GS_UP:
			session_close(&s->sess, PROTO_BYE_NORMAL,
			    "load generator done");
			break;
		case GS_DONE:
			break;
		}
		gs_set_state(s, GS_DONE);
	}
	event_base_loopexit(g->base, &drain);
}

/* ---- Start ----------------------------------------------------------- */

static void
usage(FILE *f)
{
	fprintf(f,
"usage: bench_sessions HOST:PORT --count N --user U --password-file F\n"
"           [--hub-name H] [--fingerprint FP] [--sources CIDR] [--hold S]\n"
"           [--rate N] [--inflight N] [--trickle FPS] [--trickle-to peers|self]\n"
"           [--cut-after S] [--hub-restarts] [--no-tickets] [--hub-pid PID]\n"
"           [--timeout S] [--json] [-v|-q]\n"
"Opens N real sessions to a hub (TLS, login, data channel, keepalives,\n"
"resume; no device), prints \"up N\" once all are up, keeps them --hold\n"
"seconds (default 10) or until SIGTERM, and exits 0 if none was lost.\n"
"  --sources CIDR     bind each socket to an address of this IPv4 prefix,\n"
"                     round robin (e.g. 127.1.0.0/16 on loopback)\n"
"  --rate N           connection attempts a second (default 200)\n"
"  --inflight N       tries under way at once, at most (default 32): logins\n"
"                     and resumes each as many as the hub completes in 3 s\n"
"  --trickle FPS      frames a second per session (default 0), 60-byte\n"
"                     unicast: to the next session (peers, the default),\n"
"                     or to its own MAC (self: switched, then dropped)\n"
"  --cut-after S      S seconds after all are up, reset every connection\n"
"                     and resume each session over a new one\n"
"  --hub-restarts     the hub may be restarted meanwhile: a session it\n"
"                     forgot and that logs in again is not lost; \"back N\n"
"                     in S s\" once all are up again after any went down\n"
"  --no-tickets       keep no re-login ticket: every login by password\n"
"  --hub-pid PID      report the hub's RSS, fds and CPU from /proc/PID\n"
"  --timeout S        give up if not all are up after S seconds (default\n"
"                     120 + N/5)\n"
"  --json             figures as one JSON document on stdout at the end\n");
}

static int
gen_read_password(struct gen *g, const char *path)
{
	FILE *f = fopen(path, "r");
	char *nl;

	if (f == NULL) {
		log_err("--password-file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fgets(g->password, sizeof g->password, f) == NULL)
		g->password[0] = '\0';
	fclose(f);
	if ((nl = strpbrk(g->password, "\r\n")) != NULL)
		*nl = '\0';
	g->password_len = strlen(g->password);
	if (g->password_len == 0) {
		log_err("--password-file %s: the first line (the password) is "
		    "empty", path);
		return -1;
	}
	return 0;
}

static int
gen_parse_sources(struct gen *g, const char *cidr)
{
	char a[INET_ADDRSTRLEN + 4], *slash;
	struct in_addr in;
	char *end;
	long bits;

	snprintf(a, sizeof a, "%s", cidr);
	if ((slash = strchr(a, '/')) == NULL)
		bits = 32;
	else {
		*slash = '\0';
		bits = strtol(slash + 1, &end, 10);
		if (*end != '\0' || bits < 8 || bits > 32)
			bits = -1;
	}
	if (bits < 0 || inet_pton(AF_INET, a, &in) != 1) {
		log_err("--sources %s: expected an IPv4 prefix like "
		    "127.1.0.0/16", cidr);
		return -1;
	}
	uint32_t mask = bits == 32 ? 0xffffffffu : ~(0xffffffffu >> bits);
	uint32_t net = ntohl(in.s_addr) & mask;
	uint64_t n = (uint64_t)1 << (32 - bits);
	/* Neither the network's own address nor its broadcast. */
	if (n > 2) {
		net++;
		n -= 2;
	}
	g->src_first = net;
	g->nsrc = n > GEN_MAX_SOURCES ? GEN_MAX_SOURCES : (uint32_t)n;
	return 0;
}

static int
gen_resolve(struct gen *g)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	char port[8];
	int rc;

	hints.ai_family = g->nsrc > 0 ? AF_INET : AF_UNSPEC;
	snprintf(port, sizeof port, "%u", (unsigned)g->port);
	if ((rc = getaddrinfo(g->host, port, &hints, &res)) != 0) {
		log_err("%s: %s", g->host, gai_strerror(rc));
		return -1;
	}
	memcpy(&g->hub, res->ai_addr, res->ai_addrlen);
	g->hub_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static double
gen_number(const char *opt, const char *v, double lo, double hi)
{
	char *end;
	double d = strtod(v, &end);

	if (*v == '\0' || *end != '\0' || !(d >= lo && d <= hi)) {
		fprintf(stderr, "bench_sessions: %s %s: expected a number from "
		    "%g to %g\n", opt, v, lo, hi);
		exit(2);
	}
	return d;
}

/* Room for every socket: the soft limit raised as far as needed. */
static int
gen_fd_limit(uint32_t count)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)count + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0;
	if (rl.rlim_cur >= want)
		return 0;
	if (rl.rlim_max < want)
		rl.rlim_max = want;  /* root may raise it */
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		log_err("%u sessions need %llu file descriptors: raise the "
		    "limit (ulimit -n)", count, (unsigned long long)want);
		return -1;
	}
	return 0;
}

static int
gen_setup(struct gen *g)
{
	char err[256];

	if (gen_fd_limit(g->count) != 0 || gen_resolve(g) != 0)
		return -1;
	if (tlsio_conf_client(&g->tls, NULL, err, sizeof err) != 0) {
		log_err("%s", err);
		return -1;
	}
	g->have_tls = 1;
	if (g->fingerprint == NULL)
		log_warn("no --fingerprint: the hub's certificate is not "
		    "checked");
	if ((g->s = calloc(g->count, sizeof *g->s)) == NULL ||
	    (g->lat = calloc(g->count, sizeof *g->lat)) == NULL)
		return -1;
	for (int k = 0; k < GEN_NKINDS; k++)
		TAILQ_INIT(&g->win[k].ready);
	g->pace_ev = evtimer_new(g->base, gen_pace_cb, g);
	g->phase_ev = evtimer_new(g->base, gen_phase_cb, g);
	g->cut_ev = evtimer_new(g->base, gen_cut_cb, g);
	g->sig_term = evsignal_new(g->base, SIGTERM, gen_signal_cb, g);
	g->sig_int = evsignal_new(g->base, SIGINT, gen_signal_cb, g);
	if (g->pace_ev == NULL || g->phase_ev == NULL || g->cut_ev == NULL ||
	    g->sig_term == NULL || g->sig_int == NULL)
		return -1;
	event_add(g->sig_term, NULL);
	event_add(g->sig_int, NULL);
	randombytes_buf(g->mac_run, sizeof g->mac_run);
	for (uint32_t i = 0; i < g->count; i++) {
		struct gs *s = &g->s[i];
		s->g = g;
		s->idx = i;
		s->fd = -1;
		s->mac[0] = 0x02;    /* locally administered, unicast */
		s->mac[1] = g->mac_run[0];
		s->mac[2] = g->mac_run[1];
		s->mac[3] = (uint8_t)(i >> 16);
		s->mac[4] = (uint8_t)(i >> 8);
		s->mac[5] = (uint8_t)i;
		if ((s->ev = event_new(g->base, -1, 0, gs_backoff_cb,
		    s)) == NULL)
			return -1;
		if (g->trickle > 0 && (s->trickle_ev = evtimer_new(g->base,
		    gs_trickle_cb, s)) == NULL)
			return -1;
	}
	return 0;
}

static void
gen_free(struct gen *g)
{
	for (uint32_t i = 0; g->s != NULL && i < g->count; i++) {
		struct gs *s = &g->s[i];
		if (s->c != NULL)
			conn_abandon(s->c, "generator stopping");
		gs_drop_session(s);
		if (s->fd >= 0)
			close(s->fd);
		if (s->ev != NULL)
			event_free(s->ev);
		if (s->trickle_ev != NULL)
			event_free(s->trickle_ev);
	}
	/* What closing left deferred runs before the loop goes. */
	event_base_loop(g->base, EVLOOP_NONBLOCK);
	free(g->s);
	free(g->lat);
	if (g->pace_ev)
		event_free(g->pace_ev);
	if (g->phase_ev)
		event_free(g->phase_ev);
	if (g->cut_ev)
		event_free(g->cut_ev);
	if (g->sig_term)
		event_free(g->sig_term);
	if (g->sig_int)
		event_free(g->sig_int);
	if (g->have_tls)
		tlsio_conf_free(&g->tls);
	sodium_memzero(g->password, sizeof g->password);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "user", required_argument, NULL, 'u' },
		{ "password-file", required_argument, NULL, 'p' },
		{ "hub-name", required_argument, NULL, 'H' },
		{ "fingerprint", required_argument, NULL, 'f' },
		{ "sources", required_argument, NULL, 's' },
		{ "hold", required_argument, NULL, 'h' },
		{ "rate", required_argument, NULL, 'r' },
		{ "inflight", required_argument, NULL, 'i' },
		{ "trickle", required_argument, NULL, 't' },
		{ "trickle-to", required_argument, NULL, 'T' },
		{ "cut-after", required_argument, NULL, 'c' },
		{ "hub-pid", required_argument, NULL, 'P' },
		{ "hub-restarts", no_argument, NULL, 'R' },
		{ "no-tickets", no_argument, NULL, 'N' },
		{ "timeout", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, '?' },
		{ NULL, 0, NULL, 0 },
	};
	static struct gen gen;
	struct gen *g = &gen;
	const char *pwfile = NULL, *sources = NULL;
	enum log_level level = LOG_LVL_WARN;
	int ch, rc = 1;

	g->hub_name = "DEFAULT";
	g->hold_s = 10;
	g->rate = 200;
	g->max_inflight = 32;
	while ((ch = getopt_long(argc, argv, "vq", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			g->count = (uint32_t)gen_number("--count", optarg, 1,
			    GEN_MAX_COUNT);
			break;
		case 'u':
			g->user = optarg;
			break;
		case 'p':
			pwfile = optarg;
			break;
		case 'H':
			g->hub_name = optarg;
			break;
		case 'f':
			g->fingerprint = optarg;
			break;
		case 's':
			sources = optarg;
			break;
		case 'h':
			g->hold_s = gen_number("--hold", optarg, 0, 86400);
			break;
		case 'r':
			g->rate = gen_number("--rate", optarg, 0.1, 100000);
			break;
		case 'i':
			g->max_inflight = (uint32_t)gen_number("--inflight",
			    optarg, 1, GEN_MAX_COUNT);
			break;
		case 't':
			g->trickle = gen_number("--trickle", optarg, 0, 10000);
			break;
		case 'T':
			if (strcmp(optarg, "peers") == 0)
				g->trickle_to = GEN_TO_PEERS;
			else if (strcmp(optarg, "self") == 0)
				g->trickle_to = GEN_TO_SELF;
			else {
				fprintf(stderr, "bench_sessions: --trickle-to "
				    "%s: expected peers or self\n", optarg);
				return 2;
			}
			break;
		case 'c':
			g->cut_after_s = gen_number("--cut-after", optarg,
			    0.001, 86400);
			break;
		case 'P':
			g->hub_pid = (pid_t)gen_number("--hub-pid", optarg, 1,
			    INT_MAX);
			break;
		case 'o':
			g->timeout_s = gen_number("--timeout", optarg, 1,
			    86400);
			break;
		case 'j':
			g->json = 1;
			break;
		case 'R':
			g->restarts = 1;
			break;
		case 'N':
			g->no_tickets = 1;
			break;
		case 'v':
			level = LOG_LVL_INFO;
			break;
		case 'q':
			level = LOG_LVL_ERROR;
			break;
		default:
			usage(ch == '?' && optopt == 0 ? stdout : stderr);
			return ch == '?' && optopt == 0 ? 0 : 2;
		}
	}
	if (optind != argc - 1 || g->count == 0 || g->user == NULL ||
	    pwfile == NULL) {
		usage(stderr);
		return 2;
	}
	log_init("bench_sessions", level, 0);
	if (nic_parse_hostport(argv[optind], g->host, sizeof g->host,
	    &g->port, PROTO_DEFAULT_PORT) != 0) {
		log_err("%s: expected HOST:PORT", argv[optind]);
		return 2;
	}
	if (g->cut_after_s > 0 && g->cut_after_s >= g->hold_s)
		log_warn("--cut-after %.1f is not within --hold %.1f: no cut",
		    g->cut_after_s, g->hold_s);
	if (g->timeout_s == 0)
		g->timeout_s = 120 + g->count / 5.0;
	if (sodium_init() < 0) {
		log_err("libsodium cannot start");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (gen_read_password(g, pwfile) != 0 ||
	    (sources != NULL && gen_parse_sources(g, sources) != 0))
		return 2;
	if ((g->base = event_base_new()) == NULL) {
		log_err("cannot create the event loop");
		return 1;
	}
	if (gen_setup(g) != 0) {
		log_err("cannot set up %u sessions", g->count);
		goto out;
	}
	/* The hub before any session: the base of every figure. */
	gen_hubstat(g, &g->h_idle);
	if (g->hub_pid > 0 && g->h_idle.rss_kib < 0)
		log_warn("--hub-pid %d: cannot read /proc/%d/status",
		    (int)g->hub_pid, (int)g->hub_pid);
	g->t_start = clock_now_s();
	g->pace_ms = clock_now_ms();
	struct timeval limit = { (time_t)g->timeout_s, 0 };
	event_add(g->phase_ev, &limit);
	for (uint32_t i = 0; i < g->count; i++) {
		TAILQ_INSERT_TAIL(&g->win[GEN_LOGIN].ready, &g->s[i], qe);
		g->s[i].queued = 1;
	}
	gen_pace(g);
	event_base_dispatch(g->base);
	gen_report(g);
	rc = 0;
	for (uint32_t i = 0; i < g->count; i++)
		if (g->s[i].lost)
			rc = 1;
out:
	gen_free(g);
	event_base_free(g->base);
	return rc;
}
