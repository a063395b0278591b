/*
 * reload.c: a new configuration into the running hub (SIGHUP, the console's
 * reload). The new one is loaded and validated whole first; then hubs are
 * added and removed, and each live session is pointed at its user's new
 * entry (its policy applies from the next frame) or, if the user is gone
 * or denied, ended with a goodbye that says why. Sessions the change does
 * not concern keep running untouched.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "conn.h"
#include "dhcpport.h"
#include "log.h"
#include "metrics.h"
#include "srv.h"
#include "tcpcc.h"

#define RELOAD_USER_GONE "your account was removed from the hub"
#define RELOAD_HUB_GONE  "the hub was removed"
#define RELOAD_DENIED    "access denied by policy"

/* Hubs: the new ones start, the removed ones end their sessions. */
static void
reload_hubs(struct srv *srv, struct hubconf *cfg)
{
	struct srv_hub *h, *hn;
	struct remote *r, *rn;
	struct login *l;

	for (h = TAILQ_FIRST(&srv->hubs); h != NULL; h = hn) {
		hn = TAILQ_NEXT(h, entry);
		const struct hubconf_hub *nh = hubconf_find_hub(cfg,
		    h->engine.name);
		if (nh != NULL) {
			h->cfg = nh;
			h->engine.aging_ms = nh->mac_aging_s * 1000u;
			continue;
		}
		log_info("hub %s removed; ending its sessions", h->engine.name);
		TAILQ_FOREACH(l, &srv->logins, entry) {
			if (l->hub != h)
				continue;
			/* Its password check must not come back to a
			 * hub that is gone. */
			auth_try_cancel(&l->try);
			l->hub = NULL;
			conn_close(l->c, RELOAD_HUB_GONE);
		}
		for (r = TAILQ_FIRST(&srv->remotes); r != NULL; r = rn) {
			rn = TAILQ_NEXT(r, entry);
			if (r->hub == h)
				remote_close(r, PROTO_BYE_KICKED,
				    RELOAD_HUB_GONE);
		}
		/* Now it is removed: the last of its sessions to end (a
		 * goodbye closes later) frees it, or it goes now. */
		bridge_forget_hub(srv, h);
		cascade_forget_hub(srv, h);
		dhcpport_stop(h);
		h->cfg = NULL;
		if (h->nsessions == 0)
			srv_hub_free(srv, h);
	}
	for (size_t i = 0; i < cfg->nhubs; i++)
		if (srv_find_hub(srv, cfg->hubs[i].name) == NULL &&
		    srv_hub_new(srv, &cfg->hubs[i]) != NULL)
			log_info("hub %s added", cfg->hubs[i].name);
}

/* Sessions and logins follow their users into the new configuration. */
static void
reload_users(struct srv *srv)
{
	struct remote *r, *rn;
	struct login *l;

	TAILQ_FOREACH(l, &srv->logins, entry)
		if (l->hub != NULL && l->hub->cfg != NULL && l->ucfg != NULL)
			l->ucfg = hubconf_find_user(l->hub->cfg, l->user);
	for (r = TAILQ_FIRST(&srv->remotes); r != NULL; r = rn) {
		const struct hubconf_user *u;
		rn = TAILQ_NEXT(r, entry);
		if (r->hub->cfg == NULL)
			continue; /* ending with its hub */
		u = hubconf_find_user(r->hub->cfg, r->user);
		if (u == NULL || u->policy.p.deny_access) {
			log_info("session %llu of user %s: %s",
			    (unsigned long long)r->id, r->user, u == NULL ?
			    RELOAD_USER_GONE : RELOAD_DENIED);
			r->ucfg = NULL;
			sw_port_set_policy(&r->port, NULL);
			remote_close(r, PROTO_BYE_KICKED, u == NULL ?
			    RELOAD_USER_GONE : RELOAD_DENIED);
			continue;
		}
		r->ucfg = u;
		sw_port_set_policy(&r->port, &u->policy.p);
		r->sess.window_ms = u->policy.p.deny_reconnect ? 0 :
		    srv->opts.resume_window_ms;
	}
}

void
reload_apply(struct srv *srv, struct hubconf *newcfg)
{
	struct hubconf *old = srv->cfg_owned;

	reload_hubs(srv, newcfg);
	srv->cfg = newcfg;
	srv->cfg_owned = newcfg;
	reload_users(srv);
	bridge_sync(srv, 0);
	cascade_sync(srv, 0);
	/* DHCP follows its hub's settings; a failure is logged, the hub
	 * serves on without it. */
	struct srv_hub *h;
	TAILQ_FOREACH(h, &srv->hubs, entry)
		if (h->cfg != NULL)
			(void)dhcpport_sync(srv, h);
	srv_gate_conf(srv);
	metrics_sync(srv);
	if (old != NULL) {
		hubconf_free(old);
		free(old);
	}
}

/* What only a start reads: listeners (and their congestion control),
 * state, certificate. */
static int
reload_same_start(const struct hubconf *a, const struct hubconf *b)
{
	if (a->nlisten != b->nlisten || strcmp(a->state_dir, b->state_dir) ||
	    !tcpcc_same(a->tcp_congestion, b->tcp_congestion) ||
	    strcmp(a->tls_cert, b->tls_cert) || strcmp(a->tls_key, b->tls_key))
		return 0;
	for (size_t i = 0; i < a->nlisten; i++)
		if (strcmp(a->listen[i], b->listen[i]) != 0)
			return 0;
	return 1;
}

struct hubconf *
reload_load(struct srv *srv, const struct managed *m, char *err,
    size_t errlen)
{
	const struct server_opts *o = &srv->opts;
	struct hubconf *cfg = calloc(1, sizeof *cfg);
	int rc;

	if (cfg == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (o->config_path != NULL)
		rc = hubconf_load_file(o->config_path, o->state_dir, cfg, err,
		    errlen);
	else
		rc = hubconf_load_string("<default>", hubconf_default_yaml,
		    strlen(hubconf_default_yaml), o->state_dir, cfg, err,
		    errlen);
	if (rc != 0) {
		free(cfg);
		return NULL;
	}
	if (managed_apply(m, cfg, err, errlen) != 0 ||
	    srv_cli_bridge(srv, cfg, err, errlen) != 0) {
		hubconf_free(cfg);
		free(cfg);
		return NULL;
	}
	if (!reload_same_start(cfg, srv->cfg))
		log_warn("reload: listen, tcp_congestion, state_dir and tls "
		    "take effect at the next start");
	genuser_merge(cfg);
	return cfg;
}

int
reload_config(struct srv *srv, char *err, size_t errlen)
{
	struct hubconf *cfg = reload_load(srv, &srv->managed, err, errlen);

	if (cfg == NULL)
		return -1;
	reload_apply(srv, cfg);
	log_info("configuration reloaded: %zu virtual hub%s", cfg->nhubs,
	    cfg->nhubs == 1 ? "" : "s");
	return 0;
}
