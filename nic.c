/*
 * nic.c: the virtual LAN card. A TAP device whose carrier follows the
 * session; a connect -> TLS -> login -> up cycle that starts again with
 * back-off whenever the session ends, until the user stops it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <event2/event.h>
#include <sodium.h>

#include "cert.h"
#include "dchan.h"
#include "log.h"
#include "nic.h"
#include "conn.h"
#include "session.h"
#include "tap.h"
#include "transport/ssh.h"

#define NIC_BACKOFF_MIN_MS   1000u
#define NIC_BACKOFF_MAX_MS   30000u
#define NIC_TAP_BURST        64u   /* frames read from the TAP per wakeup */
#define NIC_EXIT_REFUSED     2
#define NIC_RESUME_RETRY_MS  1000u /* while a resume is possible */
/* Frames unacknowledged and nothing heard for this long: the connection is
 * stuck (TCP backing off after an outage); resume on a fresh one rather
 * than wait for its retransmission timer. */
#define NIC_STALL_MS         3000u

struct nic {
	const struct nic_opts *o;
	struct event_base *base;
	struct tlsio_conf tls;
	int tapfd;
	uint8_t mac[6];
	struct event *tap_ev, *retry_ev, *sig_int, *sig_term;
	struct transport_conn *conn;
	struct conn *s;
	int up;
	int stopping;
	int exit_code;
	uint32_t backoff_ms;
	char password[PROTO_MAX_SECRET + 1];
	size_t password_len;
	char proxy_password[PROTO_MAX_SECRET + 1];
	struct transport_target target;
	uint8_t frame[65536];
	uint64_t tap_drops;
	/* The session outlives connections while it can be resumed. */
	struct session sess;
	int have_sess;
	uint64_t sess_id;
	uint8_t token[PROTO_TOKEN_LEN];
	uint64_t cut_ms;            /* when its connection was lost, or 0 */
	struct event *window_ev, *stall_ev;
	int retry_now;              /* the hub refused a resume: log in now */
};

static void nic_connect(struct nic *n);
static void nic_deliver(void *arg, const uint8_t *f, size_t len);

static void
nic_stop(struct nic *n, int code)
{
	n->stopping = 1;
	n->exit_code = code;
	if (n->retry_ev)
		event_del(n->retry_ev);
	if (n->conn != NULL) {
		n->o->via->cancel(n->conn);
		n->conn = NULL;
	}
	if (n->s != NULL)
		conn_goodbye(n->s, PROTO_BYE_NORMAL, "client stopping");
	else
		event_base_loopexit(n->base, NULL);
}

/* Fast while a resume is possible, else exponential back-off with
 * jitter. */
static void
nic_schedule_retry(struct nic *n)
{
	uint32_t wait;

	if (n->stopping)
		return;
	if (n->retry_now) {
		n->retry_now = 0;
		wait = 0;
	} else if (n->have_sess)
		wait = NIC_RESUME_RETRY_MS / 2 +
		    randombytes_uniform(NIC_RESUME_RETRY_MS / 2 + 1);
	else {
		wait = n->backoff_ms / 2 +
		    randombytes_uniform(n->backoff_ms / 2 + 1);
		n->backoff_ms *= 2;
		if (n->backoff_ms > NIC_BACKOFF_MAX_MS)
			n->backoff_ms = NIC_BACKOFF_MAX_MS;
	}
	struct timeval tv = { wait / 1000, (wait % 1000) * 1000 };
	log_info("reconnecting in %.1f s", wait / 1000.0);
	event_add(n->retry_ev, &tv);
}

/* The session is over for good: what was not delivered is lost. */
static void
nic_drop_session(struct nic *n, const char *why)
{
	struct session_stats *st = &n->sess.st;

	if (!n->have_sess)
		return;
	log_warn("session %llu lost: %s (%llu frames not delivered; in=%llufr "
	    "out=%llufr resumes=%u)", (unsigned long long)n->sess_id, why,
	    (unsigned long long)(session_unacked(&n->sess) +
	    st->budget_dropped), (unsigned long long)st->rx_frames,
	    (unsigned long long)st->tx_frames, st->resumes);
	session_free(&n->sess);
	n->have_sess = 0;
	n->cut_ms = 0;
	event_del(n->window_ev);
	if (!n->up) {
		tap_set_carrier(n->tapfd, 0);
		log_info("%s: no carrier", n->o->tap_name);
	}
}

static void
nic_stall_cb(evutil_socket_t fd, short what, void *arg)
{
	struct nic *n = arg;
	uint64_t now = clock_now_ms();

	if (!n->up || n->s == NULL ||
	    session_stalled_ms(&n->sess, now) < NIC_STALL_MS ||
	    now - n->s->last_rx_ms < NIC_STALL_MS)
		return;
	log_warn("%s: connection stalled (%llu frames unacknowledged, nothing "
	    "heard for %.1f s); resuming on a new connection", n->o->tap_name,
	    (unsigned long long)session_unacked(&n->sess),
	    (double)(now - n->s->last_rx_ms) / 1e3);
	conn_close(n->s, "stalled");
}

static void
nic_window_cb(evutil_socket_t fd, short what, void *arg)
{
	nic_drop_session(arg, "not resumed within the resume window");
}

static void
nic_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	nic_connect(arg);
}

/* known_hubs: "host:port sha256hex" per line. Returns 1 match, 0 unknown
 * (recorded now), -1 mismatch (*line set). */
static int
nic_known_hubs(struct nic *n, const char *fp, int *line, char *old,
    size_t oldlen)
{
	const char *path = n->o->known_hubs;
	char key[300], buf[512];
	FILE *f;
	int ln = 0;

	snprintf(key, sizeof key, "%s:%u", n->o->host, n->o->port);
	if ((f = fopen(path, "r")) != NULL) {
		while (fgets(buf, sizeof buf, f) != NULL) {
			char k[300], v[100];
			ln++;
			if (sscanf(buf, "%299s %99s", k, v) != 2 ||
			    strcmp(k, key) != 0)
				continue;
			fclose(f);
			if (strcmp(v, fp) == 0)
				return 1;
			*line = ln;
			snprintf(old, oldlen, "%s", v);
			return -1;
		}
		fclose(f);
	}
	/* Trust on first use, as ssh does. */
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0700);
	}
	if ((f = fopen(path, "a")) == NULL) {
		log_warn("cannot record the hub's fingerprint in %s: %s", path,
		    strerror(errno));
		return 0;
	}
	fprintf(f, "%s %s\n", key, fp);
	fclose(f);
	log_info("first connection to %s: recorded its certificate "
	    "fingerprint %s in %s", key, fp, path);
	return 0;
}

static int
nic_tls_up(struct conn *s, void *arg)
{
	struct nic *n = arg;
	char fp[CERT_FP_HEX], want[CERT_FP_HEX], old[100];
	struct proto_msg m;
	int line = 0;

	if (tlsio_peer_fingerprint(&s->tls, fp) != 0) {
		conn_close(s, "hub sent no certificate");
		return -1;
	}
	if (n->o->fingerprint != NULL) {
		cert_fingerprint_parse(n->o->fingerprint, want);
		if (strcmp(fp, want) != 0) {
			log_err("hub certificate fingerprint mismatch: expected "
			    "%s, got %s; refusing to connect (someone may be "
			    "intercepting, or the hub's certificate changed)",
			    want, fp);
			conn_close(s, "certificate fingerprint mismatch");
			n->exit_code = NIC_EXIT_REFUSED;
			n->stopping = 1;
			return -1;
		}
	} else if (!n->tls.have_ca &&
	    nic_known_hubs(n, fp, &line, old, sizeof old) < 0) {
		log_err("hub certificate fingerprint mismatch for %s:%u: %s "
		    "line %d records %s, the hub presented %s; refusing to "
		    "connect. If the hub's certificate really changed, delete "
		    "that line or pass --fingerprint.", n->o->host, n->o->port,
		    n->o->known_hubs, line, old, fp);
		conn_close(s, "certificate fingerprint mismatch");
		n->exit_code = NIC_EXIT_REFUSED;
		n->stopping = 1;
		return -1;
	}
	log_debug("TLS up with %s (%s), hub certificate %s", s->peer,
	    tlsio_suite(&s->tls), fp);

	memset(&m, 0, sizeof m);
	m.type = PROTO_MSG_HELLO;
	m.u.hello.magic = PROTO_MAGIC;
	m.u.hello.version = PROTO_VERSION;
	m.u.hello.caps = dchan_local_caps();
	snprintf(m.u.hello.hub, sizeof m.u.hello.hub, "%s", n->o->hub_name);
	if (conn_send_msg(s, &m) != 0)
		goto fail;
	memset(&m, 0, sizeof m);
	if (n->have_sess) {
		m.type = PROTO_MSG_RESUME;
		m.u.resume.session_id = n->sess_id;
		memcpy(m.u.resume.token, n->token, PROTO_TOKEN_LEN);
		m.u.resume.rx_last = n->sess.rx_last;
	} else {
		m.type = PROTO_MSG_AUTH;
		m.u.auth.method = PROTO_AUTH_PASSWORD;
		snprintf(m.u.auth.user, sizeof m.u.auth.user, "%s",
		    n->o->user);
		memcpy(m.u.auth.secret, n->password, n->password_len);
		m.u.auth.secret_len = n->password_len;
	}
	int rc = conn_send_msg(s, &m);
	sodium_memzero(&m, sizeof m);
	if (rc == 0)
		return 0;
fail:
	conn_close(s, "cannot send the login messages");
	return -1;
}

static void
nic_login_msg(struct conn *s, const struct proto_msg *m, void *arg)
{
	struct nic *n = arg;
	const struct proto_welcome *w = &m->u.welcome;

	if (m->type == PROTO_MSG_ERROR) {
		const struct proto_error *e = &m->u.error;
		if (e->code == PROTO_ERR_RESUME) {
			log_warn("hub cannot resume session %llu (%s); logging "
			    "in afresh", (unsigned long long)n->sess_id,
			    e->text);
			nic_drop_session(n, "the hub no longer has it");
			n->retry_now = 1;
			conn_close(s, e->text);
			return;
		}
		if (e->code == PROTO_ERR_AUTH || e->code == PROTO_ERR_NO_HUB ||
		    e->code == PROTO_ERR_VERSION ||
		    e->code == PROTO_ERR_CIPHER) {
			log_err("login refused by hub: %s", e->text);
			n->exit_code = NIC_EXIT_REFUSED;
			n->stopping = 1;
		} else
			log_warn("login refused by hub: %s", e->text);
		conn_close(s, e->text);
		return;
	}
	if (m->type != PROTO_MSG_WELCOME) {
		conn_close(s, "unexpected message from hub");
		return;
	}
	if (w->version != PROTO_VERSION || w->max_frame < PROTO_ETH_MAX_FRAME ||
	    w->max_frame > PROTO_ITEM_MAX_LEN || w->keepalive_ms < 500 ||
	    w->keepalive_ms > PROTO_DEAD_PEER_MS ||
	    !(dchan_local_caps() & (w->cipher == DCHAN_AES256GCM ?
	    PROTO_CAP_AESGCM : w->cipher == DCHAN_CHACHA20POLY1305 ?
	    PROTO_CAP_CHACHA : 0))) {
		conn_close(s, "hub's welcome is not acceptable");
		return;
	}
	if (conn_start_data(s, w->cipher, w->max_frame,
	    w->keepalive_ms < n->o->keepalive_ms ? w->keepalive_ms :
	    n->o->keepalive_ms) != 0) {
		conn_close(s, "cannot start the data channel");
		return;
	}
	if (w->resumed && n->have_sess && w->session_id == n->sess_id) {
		uint64_t before = n->sess.st.retransmitted;
		n->sess.st.resumes++;
		session_attach(&n->sess, s, w->rx_last);
		log_info("%s resumed session %llu after %.1f s: hub had frames "
		    "up to %llu, %llu frames sent again", n->o->tap_name,
		    (unsigned long long)n->sess_id,
		    (double)(clock_now_ms() - n->cut_ms) / 1e3,
		    (unsigned long long)w->rx_last,
		    (unsigned long long)(n->sess.st.retransmitted - before));
	} else {
		nic_drop_session(n, "the hub started a new one");
		if (session_init(&n->sess, n->base, n->o->resume_budget, 1,
		    nic_deliver, n) != 0) {
			conn_close(s, "out of memory starting a session");
			return;
		}
		n->have_sess = 1;
		n->sess_id = w->session_id;
		memcpy(n->token, w->token, PROTO_TOKEN_LEN);
		session_attach(&n->sess, s, 0);
		log_info("%s up: connected to %s:%u via %s, hub=%s "
		    "session=%llu cipher=%s", n->o->tap_name, n->o->host,
		    n->o->port, n->o->via->name, n->o->hub_name,
		    (unsigned long long)w->session_id,
		    dchan_cipher_name((enum dchan_cipher)w->cipher));
	}
	n->up = 1;
	n->cut_ms = 0;
	event_del(n->window_ev);
	n->backoff_ms = NIC_BACKOFF_MIN_MS;
	tap_set_carrier(n->tapfd, 1);
	event_add(n->tap_ev, NULL);
}

/* A frame from the hub, in order and once: onto the wire of the card. */
static void
nic_deliver(void *arg, const uint8_t *f, size_t len)
{
	struct nic *n = arg;

	if (write(n->tapfd, f, len) < 0)
		n->tap_drops++;
}

static void
nic_item(struct conn *s, const struct proto_item *item, void *arg)
{
	struct nic *n = arg;

	session_item(&n->sess, item);
}

static void
nic_rx_done(struct conn *s, void *arg)
{
	struct nic *n = arg;

	session_rx_done(&n->sess);
}

static void
nic_tap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct nic *n = arg;

	for (unsigned i = 0; i < NIC_TAP_BURST; i++) {
		if (!n->have_sess) {
			event_del(n->tap_ev);
			return;
		}
		if (n->s != NULL && conn_congested(n->s)) {
			/* Let the TAP queue fill: the kernel drops, TCP
			 * inside the tunnel backs off. writable() resumes. */
			event_del(n->tap_ev);
			return;
		}
		ssize_t r = read(fd, n->frame, sizeof n->frame);
		if (r < 0)
			return; /* EAGAIN: drained */
		/* While cut, frames queue in the session for the resume. */
		session_send_frame(&n->sess, n->frame, (size_t)r);
	}
}

static void
nic_writable(struct conn *s, void *arg)
{
	struct nic *n = arg;

	session_pump(&n->sess);
	if (n->have_sess)
		event_add(n->tap_ev, NULL);
}

static void
nic_closed(struct conn *s, const char *reason, void *arg)
{
	struct nic *n = arg;
	struct timeval win = { n->o->resume_window_ms / 1000,
	    (n->o->resume_window_ms % 1000) * 1000 };
	int was_up = n->up;

	n->up = 0;
	n->s = NULL;
	if (n->have_sess) {
		session_detach(&n->sess);
		if (s->peer_said_goodbye || s->said_goodbye || n->stopping)
			nic_drop_session(n, reason);
		else if (was_up) {
			/* The cable stays plugged in while a resume can
			 * hide the cut from applications. */
			n->cut_ms = clock_now_ms();
			event_add(n->window_ev, &win);
			log_warn("%s: connection lost (%s); resuming, session "
			    "kept %.1f s", n->o->tap_name, reason,
			    n->o->resume_window_ms / 1000.0);
		} else
			log_warn("resume attempt failed: %s", reason);
	} else if (n->exit_code != NIC_EXIT_REFUSED)
		log_warn("connection to %s:%u failed: %s", n->o->host,
		    n->o->port, reason);
	if (n->stopping)
		event_base_loopexit(n->base, NULL);
	else
		nic_schedule_retry(n);
}

static const struct conn_cbs nic_session_cbs = {
	.tls_up = nic_tls_up,
	.login_msg = nic_login_msg,
	.item = nic_item,
	.rx_batch_done = nic_rx_done,
	.writable = nic_writable,
	.closed = nic_closed,
};

static void
nic_connected(void *arg, int fd, const char *err)
{
	struct nic *n = arg;

	n->conn = NULL;
	if (fd < 0) {
		log_warn("%s", err);
		nic_schedule_retry(n);
		return;
	}
	n->s = conn_new(n->base, fd, &n->tls, n->o->host, &nic_session_cbs,
	    n);
	if (n->s != NULL)
		n->s->dead_peer_ms = n->o->dead_peer_ms;
	if (n->s == NULL) {
		log_warn("out of memory starting a session");
		nic_schedule_retry(n);
	}
}

static void
nic_connect(struct nic *n)
{
	log_info("connecting to %s:%u via %s", n->o->host, n->o->port,
	    n->o->via->name);
	n->conn = n->o->via->connect(n->base, &n->target, nic_connected, n);
	if (n->conn == NULL)
		nic_schedule_retry(n);
}

static void
nic_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct nic *n = arg;

	if (n->stopping) {
		event_base_loopexit(n->base, NULL);
		return;
	}
	log_info("signal %d: disconnecting", (int)sig);
	nic_stop(n, 0);
}

/* The first line of a file, without its line end: a password. */
static int
nic_read_secret(const char *opt, const char *path, char *out, size_t cap,
    size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0) {
		log_err("%s %s: %s", opt, path, strerror(errno));
		return -1;
	}
	r = read(fd, out, cap - 1);
	close(fd);
	if (r < 0) {
		log_err("%s %s: %s", opt, path, strerror(errno));
		return -1;
	}
	*len = (size_t)r;
	char *nl = memchr(out, '\n', *len);
	if (nl != NULL)
		*len = (size_t)(nl - out);
	if (*len > 0 && out[*len - 1] == '\r')
		(*len)--;
	out[*len] = '\0';
	if (*len == 0) {
		log_err("%s %s: the first line (the password) is empty", opt,
		    path);
		return -1;
	}
	return 0;
}

int
nic_parse_hostport(const char *s, char *host, size_t hostlen,
    uint16_t *port, uint16_t default_port)
{
	const char *colon = NULL, *h = s;
	size_t hl;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (rb == NULL || (rb[1] != '\0' && rb[1] != ':'))
			return -1;
		h = s + 1;
		hl = (size_t)(rb - h);
		colon = rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = strchr(s, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			colon = NULL; /* a bare IPv6 address */
		hl = colon ? (size_t)(colon - s) : strlen(s);
	}
	if (hl == 0 || hl >= hostlen)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = default_port;
	if (colon != NULL) {
		char *end;
		long p = strtol(colon + 1, &end, 10);
		if (*end != '\0' || p < 1 || p > 65535)
			return -1;
		*port = (uint16_t)p;
	}
	return 0;
}

int
nic_run(const struct nic_opts *o)
{
	struct nic *n = calloc(1, sizeof *n);
	char err[512], mac[18];
	int code = 1;

	if (n == NULL)
		return 1;
	n->o = o;
	n->tapfd = -1;
	n->backoff_ms = NIC_BACKOFF_MIN_MS;
	signal(SIGPIPE, SIG_IGN);
	if (nic_read_secret("--password-file", o->password_file, n->password,
	    sizeof n->password, &n->password_len) != 0)
		goto out;
	n->target = o->target;
	n->target.host = o->host;
	n->target.port = o->port;
	if (o->proxy_password_file != NULL) {
		size_t len;
		if (nic_read_secret("--proxy-password-file",
		    o->proxy_password_file, n->proxy_password,
		    sizeof n->proxy_password, &len) != 0)
			goto out;
		n->target.proxy_password = n->proxy_password;
	}
	const char *lack = o->via->check ? o->via->check(&n->target) : NULL;
	if (lack != NULL) {
		log_err("--via %s: %s", o->via->name, lack);
		goto out;
	}
	if (o->mac != NULL) {
		if (tap_parse_mac(o->mac, n->mac) != 0) {
			log_err("--mac %s: expected a unicast MAC like "
			    "5e:01:02:03:04:05", o->mac);
			goto out;
		}
	} else
		tap_random_mac(n->mac);
	if (tlsio_conf_client(&n->tls, o->ca_file, err, sizeof err) != 0) {
		log_err("%s", err);
		goto out_tls;
	}
	n->tapfd = tap_open(o->tap_name, n->mac, err, sizeof err);
	if (n->tapfd < 0) {
		log_err("%s", err);
		goto out_tls;
	}
	if (o->ip != NULL && tap_set_addr(o->tap_name, o->ip, err,
	    sizeof err) != 0) {
		log_err("%s", err);
		goto out_tls;
	}
	tap_format_mac(n->mac, mac);
	log_info("%s created, MAC %s%s%s, no carrier until connected",
	    o->tap_name, mac, o->ip ? ", address " : "", o->ip ? o->ip : "");

	n->base = event_base_new();
	if (n->base == NULL)
		goto out_tls;
	n->tap_ev = event_new(n->base, n->tapfd, EV_READ | EV_PERSIST,
	    nic_tap_cb, n);
	n->retry_ev = event_new(n->base, -1, 0, nic_retry_cb, n);
	n->window_ev = evtimer_new(n->base, nic_window_cb, n);
	n->stall_ev = event_new(n->base, -1, EV_PERSIST, nic_stall_cb, n);
	struct timeval second = { 1, 0 };
	event_add(n->stall_ev, &second);
	n->sig_int = evsignal_new(n->base, SIGINT, nic_signal_cb, n);
	n->sig_term = evsignal_new(n->base, SIGTERM, nic_signal_cb, n);
	event_add(n->sig_int, NULL);
	event_add(n->sig_term, NULL);
	nic_connect(n);
	event_base_dispatch(n->base);
	code = n->exit_code;
	if (n->conn != NULL)
		o->via->cancel(n->conn);
	transport_ssh_shutdown();
	event_free(n->tap_ev);
	event_free(n->retry_ev);
	if (n->have_sess)
		session_free(&n->sess);
	event_free(n->window_ev);
	event_free(n->stall_ev);
	event_free(n->sig_int);
	event_free(n->sig_term);
	event_base_free(n->base);
out_tls:
	tlsio_conf_free(&n->tls);
out:
	if (n->tapfd >= 0)
		close(n->tapfd); /* the TAP interface goes with it */
	sodium_memzero(n->password, sizeof n->password);
	sodium_memzero(n->proxy_password, sizeof n->proxy_password);
	free(n);
	return code;
}
