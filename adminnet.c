/*
 * adminnet.c: softether --admin HOST[:PORT], administration inside the
 * hub's own TLS port. The hub is verified as a card verifies it (pinned
 * fingerprint, CA, or known_hubs); the admin password is sent only inside
 * TLS; then each command line goes out as one ADMIN message and its answer
 * comes back in one or more.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/event.h>
#include <sodium.h>

#include "adminctl.h"
#include "admincmd.h"
#include "auth.h"
#include "conn.h"
#include "dchan.h"
#include "log.h"
#include "nic.h"
#include "niclogin.h"
#include "pubkey.h"
#include "trust.h"

struct adminnet {
	struct event_base *base;
	struct tlsio_conf tls;
	struct transport_tcp *tcp;
	const struct adminnet_opts *o;
	char host[256];
	uint16_t port;
	char password[PROTO_MAX_SECRET + 2];
	uint8_t sign_key[PUBKEY_SECRET]; /* --admin-key-file's, if given */
	int have_key;
	int tty;
	int logged_in;
	int waiting;               /* a command is out, its answer not in */
	int rc;
};

static void
adminnet_send(struct adminnet *a, struct conn *c, const char *line)
{
	struct proto_msg *m = calloc(1, sizeof *m);
	size_t n = strlen(line);

	if (m == NULL || n > PROTO_ADMIN_TEXT) {
		free(m);
		conn_close(c, "command too long");
		return;
	}
	m->type = PROTO_MSG_ADMIN;
	m->u.admin.flags = a->o->json ? PROTO_ADMIN_JSON : 0;
	m->u.admin.len = n;
	memcpy(m->u.admin.text, line, n);
	if (conn_send_msg(c, m) != 0)
		conn_close(c, "cannot send the command");
	else
		a->waiting = 1;
	free(m);
}

/* The next command: the one given, or the next line typed; the end
 * closes the connection. */
static void
adminnet_next(struct adminnet *a, struct conn *c)
{
	char line[ADMINCMD_LINE_MAX + 2];
	char full[ADMINCMD_LINE_MAX + AUTH_HASH_MAX + 16];

	for (;;) {
		if (a->o->cmd != NULL) {
			if (a->logged_in > 1) {
				conn_close(c, "done");
				return;
			}
			snprintf(line, sizeof line, "%s", a->o->cmd);
		} else if (adminctl_getline(a->tty, line, sizeof line) != 0 ||
		    strcmp(line, "quit") == 0 || strcmp(line, "exit") == 0) {
			conn_close(c, "done");
			return;
		}
		a->logged_in = 2;
		if (adminctl_prepare(line, a->o->pwfile, full, sizeof full) != 0) {
			a->rc = 1;
			if (a->o->cmd != NULL) {
				conn_close(c, "done");
				return;
			}
			continue;
		}
		adminnet_send(a, c, full);
		return;
	}
}

static int
adminnet_tls_up(struct conn *c, void *arg)
{
	struct adminnet *a = arg;
	struct proto_msg m;
	size_t pwlen = strlen(a->password);
	int rc;

	if (trust_hub(&c->tls, a->host, a->port, a->o->fingerprint,
	    a->tls.have_ca, a->o->known_hubs) != TRUST_OK) {
		fprintf(stderr, "softether: --admin %s: the hub's certificate is "
		    "not the one expected\n", a->o->addr);
		a->rc = 1;
		conn_close(c, "certificate not trusted");
		return -1;
	}
	memset(&m, 0, sizeof m);
	m.type = PROTO_MSG_HELLO;
	m.u.hello.magic = PROTO_MAGIC;
	m.u.hello.version = PROTO_VERSION;
	m.u.hello.caps = dchan_local_caps();
	snprintf(m.u.hello.hub, sizeof m.u.hello.hub, "%s", PROTO_ADMIN_HUB);
	rc = conn_send_msg(c, &m);
	memset(&m, 0, sizeof m);
	if (a->have_key) {
		if (niclogin_auth_key(&m, c, "admin", a->sign_key) != 0)
			rc = -1;
	} else {
		m.type = PROTO_MSG_AUTH;
		m.u.auth.method = PROTO_AUTH_ADMIN;
		snprintf(m.u.auth.user, sizeof m.u.auth.user, "admin");
		memcpy(m.u.auth.secret, a->password, pwlen);
		m.u.auth.secret_len = pwlen;
	}
	if (rc == 0)
		rc = conn_send_msg(c, &m);
	sodium_memzero(&m, sizeof m);
	sodium_memzero(a->password, sizeof a->password);
	sodium_memzero(a->sign_key, sizeof a->sign_key);
	if (rc != 0) {
		conn_close(c, "cannot send the login");
		return -1;
	}
	return 0;
}

static void
adminnet_msg(struct conn *c, const struct proto_msg *m, void *arg)
{
	struct adminnet *a = arg;
	const struct proto_admin *r = &m->u.admin;

	if (m->type == PROTO_MSG_ERROR) {
		char text[LOG_SAFE_LEN(128)];
		log_safe(text, sizeof text, m->u.error.text);
		fprintf(stderr, "softether: --admin %s: %s\n", a->o->addr,
		    text);
		a->rc = 1;
		conn_close(c, text);
		return;
	}
	if (m->type != PROTO_MSG_ADMIN) {
		a->rc = 1;
		conn_close(c, "unexpected message from the hub");
		return;
	}
	if (!a->logged_in) {
		/* The first answer is the hub's greeting. */
		a->logged_in = 1;
		if (a->tty)
			fwrite(r->text, 1, r->len, stdout);
		adminnet_next(a, c);
		return;
	}
	fwrite(r->text, 1, r->len, r->flags & PROTO_ADMIN_OK ? stdout :
	    stderr);
	if (r->flags & PROTO_ADMIN_MORE)
		return;
	fflush(stdout);
	fflush(stderr);
	a->waiting = 0;
	if (!(r->flags & PROTO_ADMIN_OK))
		a->rc = 1;
	adminnet_next(a, c);
}

static void
adminnet_closed(struct conn *c, const char *reason, void *arg)
{
	struct adminnet *a = arg;

	if ((!a->logged_in || a->waiting) && a->rc == 0) {
		fprintf(stderr, "softether: --admin %s: %s\n", a->o->addr,
		    reason);
		a->rc = 1;
	}
	event_base_loopexit(a->base, NULL);
}

static void
adminnet_item(struct conn *c, const struct proto_item *item, void *arg)
{
}

static const struct conn_cbs adminnet_cbs = {
	.tls_up = adminnet_tls_up,
	.login_msg = adminnet_msg,
	.item = adminnet_item,
	.closed = adminnet_closed,
};

static void
adminnet_connected(void *arg, int fd, const char *err)
{
	struct adminnet *a = arg;

	a->tcp = NULL;
	if (fd < 0) {
		fprintf(stderr, "softether: --admin %s: %s\n", a->o->addr, err);
		a->rc = 1;
		event_base_loopexit(a->base, NULL);
		return;
	}
	if (conn_new(a->base, fd, &a->tls, a->host, &adminnet_cbs, a) ==
	    NULL) {
		a->rc = 1;
		event_base_loopexit(a->base, NULL);
	}
}

int
adminnet_run(const struct adminnet_opts *o)
{
	struct adminnet *a = calloc(1, sizeof *a);
	char err[512];
	int rc = 1;

	if (a == NULL)
		return 1;
	a->o = o;
	a->tty = isatty(STDIN_FILENO);
	if (nic_parse_hostport(o->addr, a->host, sizeof a->host, &a->port,
	    PROTO_DEFAULT_PORT) != 0) {
		fprintf(stderr, "softether: --admin %s: expected HOST, "
		    "HOST:PORT or [IPv6]:PORT\n", o->addr);
		goto out;
	}
	if (o->admin_keyfile != NULL) {
		uint8_t pk[PUBKEY_LEN];
		if (pubkey_load("--admin-key-file", o->admin_keyfile,
		    a->sign_key, pk, err, sizeof err) != 0) {
			fprintf(stderr, "softether: %s\n", err);
			goto out;
		}
		a->have_key = 1;
	} else if (adminctl_secret(o->admin_pwfile, "admin password: ",
	    a->password, sizeof a->password) != 0)
		goto out;
	if (tlsio_conf_client(&a->tls, o->ca_file, err, sizeof err) != 0) {
		fprintf(stderr, "softether: %s\n", err);
		goto out;
	}
	if ((a->base = event_base_new()) == NULL)
		goto out_tls;
	a->tcp = transport_tcp_connect(a->base, a->host, a->port, NULL,
	    adminnet_connected, a);
	if (a->tcp == NULL) {
		fprintf(stderr, "softether: --admin %s: cannot connect\n",
		    o->addr);
		goto out_base;
	}
	if (a->tty)
		adminctl_history(1);
	event_base_dispatch(a->base);
	if (a->tty)
		adminctl_history(0);
	if (a->tcp != NULL)
		transport_tcp_cancel(a->tcp);
	rc = a->rc;
out_base:
	event_base_free(a->base);
out_tls:
	tlsio_conf_free(&a->tls);
out:
	sodium_memzero(a->password, sizeof a->password);
	sodium_memzero(a->sign_key, sizeof a->sign_key);
	free(a);
	return rc;
}
