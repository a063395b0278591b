/*
 * remote.c: a card's session as a port of its virtual hub. Frames the card
 * sends go through the switching engine (sw_forward); frames the engine
 * sends to the port go into the session. The session decides when a lost
 * connection ends it; this file keeps the books and the log lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "conn.h"
#include "log.h"
#include "srv.h"
#include "vnet.h"

static const struct session_cbs remote_session_cbs;
static const struct sw_port_ops remote_port_ops;

struct remote *
remote_new(struct srv *srv, const struct login *l)
{
	struct remote *r = calloc(1, sizeof *r);

	if (r == NULL)
		return NULL;
	if (session_init(&r->sess, srv->base, srv->opts.resume_budget, 1,
	    &remote_session_cbs, r) != 0) {
		free(r);
		return NULL;
	}
	session_set_pool(&r->sess, &srv->pool);
	r->srv = srv;
	r->hub = l->hub;
	r->ucfg = l->ucfg;
	r->id = srv->next_id++;
	snprintf(r->user, sizeof r->user, "%s", l->user);
	snprintf(r->peer, sizeof r->peer, "%s", l->c->peer);
	snprintf(r->via, sizeof r->via, "%s", l->via);
	r->auth = l->method == PROTO_AUTH_KEY ? "key" :
	    l->method == PROTO_AUTH_TICKET ? "ticket" : "password";
	snprintf(r->sess.name, sizeof r->sess.name, "session %llu",
	    (unsigned long long)r->id);
	/* deny_reconnect: a cut ends the session. */
	r->sess.window_ms = r->ucfg != NULL &&
	    r->ucfg->policy.p.deny_reconnect ? 0 : srv->opts.resume_window_ms;
	randombytes_buf(r->token, sizeof r->token);
	return r;
}

void
remote_discard(struct remote *r)
{
	session_free(&r->sess);
	free(r);
}

void
remote_start(struct remote *r, struct conn *c, enum dchan_cipher ci)
{
	struct srv_hub *hub = r->hub;

	r->started_ms = clock_now_ms();
	sw_port_add(&hub->engine, &r->port, &remote_port_ops, r);
	snprintf(r->port.name, sizeof r->port.name, "session-%llu(%s)",
	    (unsigned long long)r->id, r->user);
	sw_port_set_policy(&r->port, r->ucfg ? &r->ucfg->policy.p : NULL);
	hub->nsessions++;
	TAILQ_INSERT_TAIL(&r->srv->remotes, r, entry);
	session_attach(&r->sess, c, 0);
	log_info("session %llu up: user=%s from=%s hub=%s tls=%s cipher=%s "
	    "auth=%s", (unsigned long long)r->id, r->user, r->peer,
	    hub->engine.name, tlsio_suite(&c->tls), dchan_cipher_name(ci),
	    r->auth);
}

void
remote_resume(struct remote *r, struct conn *c, uint64_t rx_last)
{
	uint64_t before = r->sess.st.retransmitted;

	snprintf(r->peer, sizeof r->peer, "%s", c->peer);
	r->sess.st.resumes++;
	session_attach(&r->sess, c, rx_last);
	log_info("session %llu resumed: user=%s from=%s hub=%s: peer had "
	    "frames up to %llu, %llu frames sent again",
	    (unsigned long long)r->id, r->user, r->peer, r->hub->engine.name,
	    (unsigned long long)rx_last,
	    (unsigned long long)(r->sess.st.retransmitted - before));
}

struct remote *
remote_find(struct srv *srv, struct srv_hub *hub, uint64_t id,
    const uint8_t token[PROTO_TOKEN_LEN])
{
	struct remote *r;

	TAILQ_FOREACH(r, &srv->remotes, entry)
		if (r->id == id && r->hub == hub &&
		    sodium_memcmp(r->token, token, PROTO_TOKEN_LEN) == 0)
			return r;
	return NULL;
}

const char *
remote_port_user(const struct sw_port *p, unsigned *max_ip)
{
	const struct remote *r;

	*max_ip = 0;
	if (p == NULL || p->ops != &remote_port_ops)
		return NULL;
	r = p->owner;
	if (r->ucfg != NULL)
		*max_ip = r->ucfg->policy.p.max_ip;
	return r->user;
}

uint32_t
remote_count_user(struct srv *srv, const struct srv_hub *hub,
    const char *user)
{
	struct remote *r;
	uint32_t n = 0;

	TAILQ_FOREACH(r, &srv->remotes, entry)
		if (r->hub == hub && strcmp(r->user, user) == 0)
			n++;
	return n;
}

void
remote_totals_add(struct srv_totals *t, const struct remote *r)
{
	const struct session_stats *st = &r->sess.st;

	t->rx_frames += st->rx_frames;
	t->rx_bytes += st->rx_bytes;
	t->tx_frames += st->tx_frames;
	t->tx_bytes += st->tx_bytes;
	t->resumes += st->resumes;
}

/* The hub's ports lead to its sessions: no walk over every hub's. */
void
remote_hub_totals(const struct srv_hub *hub, struct srv_totals *t,
    uint32_t *up, uint32_t *cut)
{
	const struct sw_port *p;

	*t = hub->ended;
	*up = *cut = 0;
	TAILQ_FOREACH(p, &hub->engine.ports, entry) {
		const struct remote *r = p->owner;
		if (p->ops != &remote_port_ops)
			continue;
		remote_totals_add(t, r);
		if (r->sess.conn != NULL)
			(*up)++;
		else
			(*cut)++;
	}
}

/* Frames the engine refused from this session, per reason. */
static void
remote_log_drops(const struct remote *r)
{
	char line[512];
	size_t n = 0;

	line[0] = '\0';
	for (int i = 0; i < SW_DROP_NREASONS; i++)
		if (r->port.drops[i] > 0 && n < sizeof line)
			n += (size_t)snprintf(line + n, sizeof line - n,
			    " %s=%llu", sw_drop_name((enum sw_drop_reason)i),
			    (unsigned long long)r->port.drops[i]);
	if (n > 0)
		log_info("session %llu drops:%s", (unsigned long long)r->id,
		    line);
}

void
remote_log_status(const struct remote *r)
{
	const struct session_stats *st = &r->sess.st;

	log_info("status session=%llu user=%s from=%s hub=%s state=%s "
	    "in=%llufr out=%llufr dropped=%llu unacked=%llu resumes=%u "
	    "lost=%llu macs=%u", (unsigned long long)r->id, r->user, r->peer,
	    r->hub->engine.name, r->sess.conn != NULL ? "up" : "cut",
	    (unsigned long long)st->rx_frames,
	    (unsigned long long)st->tx_frames,
	    (unsigned long long)(st->tx_dropped + r->port.drop_frames),
	    (unsigned long long)session_unacked(&r->sess), st->resumes,
	    (unsigned long long)(st->budget_dropped + st->rx_lost),
	    r->port.macs);
	remote_log_drops(r);
}

void
remote_close(struct remote *r, uint16_t code, const char *text)
{
	session_close(&r->sess, code, text);
}

/* A frame from the card: through the engine, out to the other ports. */
static void
remote_deliver(void *arg, const struct vnet_meta *vm, const uint8_t *f,
    size_t len, uint64_t now_ms)
{
	struct remote *r = arg;

	sw_forward(&r->hub->engine, &r->port, vm, f, len, now_ms);
}

static void
remote_link_down(void *arg, const char *reason, int kept)
{
	struct remote *r = arg;

	if (!kept)
		return; /* ended() follows */
	log_info("session %llu cut: user=%s from=%s hub=%s: %s; keeping it "
	    "%.1f s for a resume", (unsigned long long)r->id, r->user,
	    r->peer, r->hub->engine.name, reason,
	    r->sess.window_ms / 1000.0);
}

/* The one place a logged-in session ends. */
static void
remote_ended(void *arg, const char *reason)
{
	struct remote *r = arg;
	struct srv *srv = r->srv;
	struct session_stats *st = &r->sess.st;
	uint32_t forgot = sw_port_remove(&r->hub->engine, &r->port);
	double secs = (double)(clock_now_ms() - r->started_ms) / 1e3;

	r->hub->nsessions--;
	log_info("session %llu down: user=%s from=%s hub=%s duration=%.1fs "
	    "in=%lluB/%llufr out=%lluB/%llufr dropped=%llu resumes=%u "
	    "lost=%llu macs_forgotten=%u reason=%s",
	    (unsigned long long)r->id, r->user, r->peer, r->hub->engine.name,
	    secs, (unsigned long long)st->rx_bytes,
	    (unsigned long long)st->rx_frames,
	    (unsigned long long)st->tx_bytes, (unsigned long long)st->tx_frames,
	    (unsigned long long)(st->tx_dropped + r->port.drop_frames),
	    st->resumes, (unsigned long long)(st->budget_dropped +
	    st->rx_lost), forgot, reason);
	remote_log_drops(r);
	srv->ended.sessions++;
	remote_totals_add(&srv->ended, r);
	r->hub->ended.sessions++;
	remote_totals_add(&r->hub->ended, r);
	session_free(&r->sess);
	TAILQ_REMOVE(&srv->remotes, r, entry);
	/* A removed hub goes with its last session. */
	if (r->hub->cfg == NULL && r->hub->nsessions == 0)
		srv_hub_free(srv, r->hub);
	free(r);
	srv_maybe_exit(srv);
}

static const struct session_cbs remote_session_cbs = {
	.deliver = remote_deliver,
	.link_down = remote_link_down,
	.ended = remote_ended,
};

static int
remote_output_plain(void *arg, const uint8_t *f, size_t len)
{
	struct remote *r = arg;

	session_send_frame(&r->sess, f, len);
	return 0;
}

/* A super-frame goes as it is to a card that takes it; to one that does
 * not, it is cut here (a partial checksum completed), once per such card. */
static void
remote_output(struct sw_port *p, const struct vnet_meta *vm,
    const uint8_t *f, size_t len)
{
	static uint8_t scratch[VNET_FRAME_MAX];	/* one loop per process */
	struct remote *r = p->owner;

	if (vm == NULL)
		session_send_frame(&r->sess, f, len);
	else if (r->offload)
		session_send(&r->sess, vm, f, len);
	else
		vnet_undo(vm, f, len, scratch, remote_output_plain, r);
}

static const struct sw_port_ops remote_port_ops = {
	.kind = "session",
	.output = remote_output,
};
