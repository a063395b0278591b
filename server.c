/*
 * server.c: the running hub daemon: its virtual hubs (one switching engine
 * each), MAC aging, status on SIGUSR1, and shutdown (a goodbye to every
 * session). Listening is listener.c, logging in login.c, the sessions
 * remote.c, the first-start user genuser.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <event2/event.h>

#include "auth.h"
#include "capture.h"
#include "conn.h"
#include "console.h"
#include "control.h"
#include "dhcpport.h"
#include "ether.h"
#include "log.h"
#include "metrics.h"
#include "relogin.h"
#include "pidfile.h"
#include "privdrop.h"
#include "sdnotify.h"
#include "srv.h"

#define SRV_AGE_INTERVAL_MS    5000u
#define SRV_SHUTDOWN_GRACE_MS  2000u

struct srv_hub *
srv_find_hub(struct srv *srv, const char *name)
{
	struct srv_hub *h;

	TAILQ_FOREACH(h, &srv->hubs, entry)
		if (h->cfg != NULL && strcmp(h->engine.name, name) == 0)
			return h;
	return NULL;
}

struct remote *
srv_find_remote(struct srv *srv, uint64_t id)
{
	struct remote *r;

	TAILQ_FOREACH(r, &srv->remotes, entry)
		if (r->id == id)
			return r;
	return NULL;
}

void
srv_maybe_exit(struct srv *srv)
{
	if (srv->stopping && TAILQ_EMPTY(&srv->remotes) &&
	    TAILQ_EMPTY(&srv->logins) && TAILQ_EMPTY(&srv->leaving))
		event_base_loopexit(srv->base, NULL);
}

const char *
server_fingerprint(const struct srv *srv)
{
	return srv->fingerprint;
}

static void
srv_age_cb(evutil_socket_t fd, short what, void *arg)
{
	struct srv *srv = arg;
	uint64_t now = clock_now_ms();

	struct srv_hub *h;

	TAILQ_FOREACH(h, &srv->hubs, entry) {
		uint32_t n = sw_age(&h->engine, now);
		if (n > 0)
			log_debug("hub %s: %u MAC entries aged out",
			    h->engine.name, n);
		dhcpport_tick(h, now);
	}
	gate_sweep(&srv->gate, now);
	listener_log_refusals(srv);
	metrics_tick(srv->metrics);
	relogin_tick(srv);
}

/* As many descriptors as the system lets this process have: each session
 * is one, and running out must not stop a resume. */
static void
srv_raise_nofile(struct srv *srv)
{
	struct rlimit rl;
	rlim_t was;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		log_warn("getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
		return;
	}
	was = rl.rlim_cur;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
			log_warn("raising the descriptor limit to %llu: %s",
			    (unsigned long long)rl.rlim_max, strerror(errno));
			rl.rlim_cur = was;
		}
	}
	srv->fd_limit = rl.rlim_cur == RLIM_INFINITY ? 0 :
	    (uint64_t)rl.rlim_cur;
	log_info("file descriptors: %llu%s", (unsigned long long)rl.rlim_cur,
	    rl.rlim_cur != was ? " (raised to the hard limit)" : "");
}

/* The limits before login, from the configuration (at start and reload). */
void
srv_gate_conf(struct srv *srv)
{
	struct gate_conf gc;

	listener_gate_conf(srv, srv->cfg, &gc);
	gate_set_conf(&srv->gate, &gc);
	size_t q = srv->cfg->limits.queue_mib != 0 ?
	    (size_t)srv->cfg->limits.queue_mib << 20 :
	    (size_t)(srv->phys_bytes / 8);
	if (q == 0)
		q = (size_t)512 << 20;
	srv->pool.limit = q;
	log_info("sessions may queue %zu MiB in all (limits.queue_memory)",
	    q >> 20);
	log_info("before login: %u connections at once (%u kept for "
	    "resumes), %u per source (IPv6 /%u), %u/s per source, first byte "
	    "within %.1f s", gc.pending, gc.reserve, gc.per_source,
	    gc.v6_prefix, gc.rate, srv->cfg->limits.first_byte_ms / 1e3);
}

struct srv_dump {
	struct sw *hub;
	uint64_t now;
};

static void
srv_dump_mac(void *arg, const struct sw_mac_entry *e)
{
	struct srv_dump *d = arg;
	char mac[ETHER_ADDR_STR];

	ether_format_mac(e->mac, mac);
	log_info("mac hub=%s mac=%s port=%s age=%llus", d->hub->name, mac,
	    e->port->name, (unsigned long long)(d->now - e->seen_ms) / 1000);
}

/* SIGUSR1: every session, every hub and its MAC table, in the log. */
static void
srv_dump(struct srv *srv)
{
	struct remote *r;
	uint64_t now = clock_now_ms();

	struct bridge *b;
	struct srv_hub *h;

	TAILQ_FOREACH(r, &srv->remotes, entry)
		remote_log_status(r);
	TAILQ_FOREACH(b, &srv->bridges, entry)
		bridge_log_status(b);
	const struct cascade *k;
	TAILQ_FOREACH(k, &srv->cascades, entry)
		cascade_log_status(k);

	TAILQ_FOREACH(h, &srv->hubs, entry) {
		struct srv_dump d = { &h->engine, now };
		struct sw_stats *st = &d.hub->stats;
		log_info("status hub=%s sessions=%u macs=%u frames=%llu "
		    "unicast=%llu flooded=%llu dropped=%llu", d.hub->name,
		    h->nsessions, d.hub->nmacs,
		    (unsigned long long)st->frames_in,
		    (unsigned long long)st->unicast,
		    (unsigned long long)st->flooded,
		    (unsigned long long)st->dropped);
		sw_mac_foreach(d.hub, srv_dump_mac, &d);
		struct dhcpport_info di;
		if (dhcpport_info(h, &di)) {
			char net[DHCP_IP_STR];
			dhcp_format_ip(di.net, net);
			log_info("status dhcp hub=%s subnet=%s/%u leases=%u "
			    "offers=%llu acks=%llu naks=%llu malformed=%llu "
			    "pool_empty=%llu user_cap=%llu conflicts=%llu "
			    "dropped=%llu", d.hub->name, net,
			    di.prefix, di.leases,
			    (unsigned long long)di.st.tx[DHCP_OFFER],
			    (unsigned long long)di.st.tx[DHCP_ACK],
			    (unsigned long long)di.st.tx[DHCP_NAK],
			    (unsigned long long)dhcpport_malformed(&di.st),
			    (unsigned long long)di.st.pool_empty,
			    (unsigned long long)di.st.user_cap,
			    (unsigned long long)di.st.conflicts,
			    (unsigned long long)di.tx_dropped);
		}
	}
}

static void
srv_grace_cb(evutil_socket_t fd, short what, void *arg)
{
	struct srv *srv = arg;

	log_warn("sessions did not close in time; exiting anyway");
	event_base_loopexit(srv->base, NULL);
}

static void srv_notify(struct srv *srv, const char *state);

void
server_stop(struct srv *srv)
{
	struct remote *r, *next;
	struct timeval grace = { SRV_SHUTDOWN_GRACE_MS / 1000,
	    (SRV_SHUTDOWN_GRACE_MS % 1000) * 1000 };

	if (srv->stopping)
		return;
	srv->stopping = 1;
	srv_notify(srv, "STOPPING=1");
	listener_stop(srv);
	event_del(srv->age_ev);
	login_close_all(srv, "hub shutting down");
	/* A goodbye closes later (deferred); a cut session ends at once. */
	for (r = TAILQ_FIRST(&srv->remotes); r != NULL; r = next) {
		next = TAILQ_NEXT(r, entry);
		remote_close(r, PROTO_BYE_SHUTDOWN, "hub shutting down");
	}
	cascade_stop_all(srv);
	event_add(srv->grace_ev, &grace);
	srv_maybe_exit(srv);
}

static int
srv_mkdir_p(const char *dir)
{
	char buf[4096];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, dir, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0700) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* State directory, certificate (made on first start), TLS. 0 or -1. */
static int
srv_identity(struct srv *srv)
{
	const struct hubconf *cfg = srv->cfg;
	char err[512];
	int rc;

	if (srv_mkdir_p(cfg->state_dir) != 0) {
		log_err("cannot create state directory %s: %s (use --state-dir "
		    "or state_dir: in the config)", cfg->state_dir,
		    strerror(errno));
		return -1;
	}
	rc = cert_ensure(cfg->tls_cert, cfg->tls_key, "softether hub", err,
	    sizeof err);
	if (rc < 0) {
		log_err("%s", err);
		return -1;
	}
	if (rc == 1)
		log_info("generated a new ECDSA P-256 certificate %s and key %s",
		    cfg->tls_cert, cfg->tls_key);
	if (cert_fingerprint_file(cfg->tls_cert, srv->fingerprint, err,
	    sizeof err) != 0 ||
	    tlsio_conf_server(&srv->tls, cfg->tls_cert, cfg->tls_key, err,
	    sizeof err) != 0) {
		log_err("%s", err);
		return -1;
	}
	srv->have_tls = 1;
	log_info("certificate fingerprint SHA256 %s", srv->fingerprint);
	return 0;
}

/* A running virtual hub for cfg. NULL (logged) if out of memory. */
struct srv_hub *
srv_hub_new(struct srv *srv, const struct hubconf_hub *cfg)
{
	struct srv_hub *h = calloc(1, sizeof *h);

	if (h == NULL || sw_init(&h->engine, cfg->name,
	    cfg->mac_aging_s * 1000u, 0) != 0) {
		log_err("out of memory creating hub %s", cfg->name);
		free(h);
		return NULL;
	}
	h->cfg = cfg;
	TAILQ_INSERT_TAIL(&srv->hubs, h, entry);
	srv->nhubs++;
	return h;
}

/* Its sessions are gone. */
void
srv_hub_free(struct srv *srv, struct srv_hub *h)
{
	TAILQ_REMOVE(&srv->hubs, h, entry);
	srv->nhubs--;
	capture_forget_hub(h);
	dhcpport_stop(h);
	sw_free(&h->engine);
	free(h);
}

/* The configured hubs, each with its DHCP service if it has one. */
static int
srv_hubs(struct srv *srv)
{
	struct srv_hub *h;

	for (size_t i = 0; i < srv->cfg->nhubs; i++)
		if ((h = srv_hub_new(srv, &srv->cfg->hubs[i])) == NULL ||
		    dhcpport_sync(srv, h) != 0)
			return -1;
	return 0;
}

/* The console's saved changes, over the configuration file. 0 or -1. */
static int
srv_managed(struct srv *srv)
{
	char err[1024];

	if (managed_load(srv->cfg->state_dir, &srv->managed, err,
	    sizeof err) != 0 ||
	    managed_apply(&srv->managed, srv->cfg, err, sizeof err) != 0) {
		log_err("%s", err);
		return -1;
	}
	return 0;
}

/* softether --hub --bridge IFACE: one more bridge, onto hub DEFAULT. */
int
srv_cli_bridge(const struct srv *srv, struct hubconf *cfg, char *err,
    size_t errlen)
{
	if (srv->opts.bridge == NULL)
		return 0;
	return hubconf_bridge_add(cfg, srv->opts.bridge, "DEFAULT", err,
	    errlen);
}

/* The same at start (logged). */
static int
srv_start_bridge(const struct srv *srv, struct hubconf *cfg)
{
	char err[512];

	if (srv_cli_bridge(srv, cfg, err, sizeof err) == 0)
		return 0;
	log_err("%s", err);
	return -1;
}

/* systemd (Type=notify) hears how the hub is, with a status line. */
static void
srv_notify(struct srv *srv, const char *state)
{
	char text[256];

	snprintf(text, sizeof text, "%s\nMAINPID=%ld\nSTATUS=%s, %zu virtual "
	    "hub%s", state, (long)getpid(), srv->stopping ? "stopping" :
	    "running", srv->cfg->nhubs, srv->cfg->nhubs == 1 ? "" : "s");
	if (sd_notify_text(text) < 0)
		log_warn("cannot tell systemd the hub is ready: %s",
		    strerror(errno));
}

/* --pidfile: the running hub's pid, once it has detached (if it does);
 * it goes when the hub stops. */
static void
srv_write_pidfile(struct srv *srv)
{
	if (srv->pidfd >= 0 && pidfile_write(srv->pidfd) != 0)
		log_warn("cannot write %s: %s", srv->opts.pidfile,
		    strerror(errno));
}

/* Everything that needs root is open: become the configured user. */
static int
srv_drop_privileges(struct srv *srv)
{
	char path[4096], err[512], *slash;

	control_path(path, sizeof path, srv->opts.run_dir,
	    srv->cfg->state_dir);
	if ((slash = strrchr(path, '/')) != NULL && slash != path)
		*slash = '\0';
	if (privdrop(srv->cfg->user, srv->cfg->state_dir,
	    strcmp(path, srv->cfg->state_dir) != 0 ? path : NULL,
	    !TAILQ_EMPTY(&srv->bridges), err, sizeof err) != 0) {
		log_err("%s", err);
		return -1;
	}
	return 0;
}

/* The local control socket; the hub runs on without it if it cannot. */
static void
srv_control(struct srv *srv)
{
	char path[4096];
	char *slash;

	control_path(path, sizeof path, srv->opts.run_dir,
	    srv->cfg->state_dir);
	if ((slash = strrchr(path, '/')) != NULL && slash != path) {
		*slash = '\0';
		if (srv_mkdir_p(path) != 0)
			log_warn("cannot create %s: %s", path, strerror(errno));
		*slash = '/';
	}
	srv->control = control_new(srv, path);
}

/* The telnet console, when a password opens it; the hub runs on without
 * it if its address is taken. */
static void
srv_console(struct srv *srv)
{
	const struct hubconf_admin *a = &srv->cfg->admin;
	char spec[80];
	int fd;

	if (a->password == NULL) {
		log_info("admin console closed: set admin.password (make one "
		    "with softether --hash-password) to open it on %s",
		    a->listen);
		return;
	}
	if (strncmp(a->listen, "*:", 2) == 0)
		snprintf(spec, sizeof spec, "0.0.0.0:%s", a->listen + 2);
	else
		snprintf(spec, sizeof spec, "%s", a->listen);
	if ((fd = listener_bind(spec)) < 0) {
		log_warn("admin console on %s not opened", spec);
		return;
	}
	if (a->allow_remote && strncmp(spec, "127.", 4) != 0 &&
	    strncmp(spec, "[::1]:", 6) != 0)
		log_warn("admin console on %s accepts connections from the "
		    "network; its password travels there in the clear", spec);
	if ((srv->console = console_new(srv, fd, spec)) != NULL)
		log_info("admin console on %s", spec);
}

struct srv *
server_new(struct event_base *base, struct hubconf *cfg,
    const struct server_opts *o)
{
	struct srv *srv = calloc(1, sizeof *srv);
	struct timeval age = { SRV_AGE_INTERVAL_MS / 1000, 0 };
	enum dchan_cipher ci;

	if (srv == NULL) {
		log_err("out of memory starting the hub");
		return NULL;
	}
	srv->base = base;
	srv->cfg = cfg;
	srv->opts = *o;
	srv->next_id = 1;
	srv->pidfd = -1;
	srv->started_ms = clock_now_ms();
	struct timespec wall;
	clock_gettime(CLOCK_REALTIME, &wall);
	srv->started_unix = (double)wall.tv_sec + (double)wall.tv_nsec / 1e9;
	TAILQ_INIT(&srv->logins);
	TAILQ_INIT(&srv->remotes);
	TAILQ_INIT(&srv->hubs);
	TAILQ_INIT(&srv->bridges);
	TAILQ_INIT(&srv->cascades);
	TAILQ_INIT(&srv->leaving);
	session_pool_init(&srv->pool, 0);
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	srv->phys_bytes = pages > 0 && psize > 0 ?
	    (uint64_t)pages * (uint64_t)psize : 0;
	srv_raise_nofile(srv);
	gate_init(&srv->gate, &(struct gate_conf){ .pending = 1 });
	if (srv_identity(srv) != 0 || relogin_init(srv) != 0 ||
	    srv_managed(srv) != 0 ||
	    srv_start_bridge(srv, cfg) != 0 || srv_hubs(srv) != 0 ||
	    bridge_sync(srv, 1) != 0 || cascade_sync(srv, 1) != 0 ||
	    genuser_ensure(srv) != 0 || listener_open_all(srv) != 0 ||
	    metrics_start(srv) != 0)
		goto fail;
	srv_gate_conf(srv);
	srv_control(srv);
	srv_console(srv);
	if (o->pidfile != NULL && (srv->pidfd = pidfile_open(o->pidfile)) < 0) {
		log_err("--pidfile %s: %s", o->pidfile, strerror(errno));
		goto fail;
	}
	if (srv_drop_privileges(srv) != 0)
		goto fail;
	if ((srv->throttle = auth_throttle_new()) == NULL) {
		log_err("out of memory starting the hub");
		goto fail;
	}
	if (o->daemonize) {
		if (daemon(0, 0) != 0) {
			log_err("daemon: %s", strerror(errno));
			goto fail;
		}
		event_reinit(base);
		log_init("softether", log_get_level(), 1);
	}
	/* After the fork: a thread does not survive it. */
	if ((srv->auth = auth_worker_new(base)) == NULL) {
		log_err("cannot start the password-check worker");
		goto fail;
	}
	srv->age_ev = event_new(base, -1, EV_PERSIST, srv_age_cb, srv);
	srv->grace_ev = evtimer_new(base, srv_grace_cb, srv);
	if (srv->age_ev == NULL || srv->grace_ev == NULL) {
		log_err("out of memory starting the hub");
		goto fail;
	}
	event_add(srv->age_ev, &age);
	ci = dchan_pick(dchan_local_caps(), dchan_local_caps());
	log_info("hub running: %zu virtual hub%s (%s%s), cipher preference "
	    "%s (%s)", cfg->nhubs, cfg->nhubs == 1 ? "" : "s",
	    cfg->hubs[0].name, cfg->nhubs > 1 ? ", ..." : "",
	    dchan_cipher_name(ci), dchan_impl_name(ci));
	srv_write_pidfile(srv);
	srv_notify(srv, "READY=1");
	return srv;
fail:
	server_free(srv);
	return NULL;
}

void
server_free(struct srv *srv)
{
	struct remote *r;
	struct login *l;

	if (srv == NULL)
		return;
	pidfile_remove(srv->opts.pidfile, srv->pidfd);
	/* Whatever is left goes without a word (the loop is done). */
	while ((l = TAILQ_FIRST(&srv->logins)) != NULL) {
		TAILQ_REMOVE(&srv->logins, l, entry);
		auth_try_cancel(&l->try);
		conn_abandon(l->c, "hub stopped");
		free(l);
	}
	while ((r = TAILQ_FIRST(&srv->remotes)) != NULL) {
		TAILQ_REMOVE(&srv->remotes, r, entry);
		sw_port_remove(&r->hub->engine, &r->port);
		remote_discard(r);
	}
	bridge_free_all(srv);
	cascade_free_all(srv);
	control_free(srv->control);
	console_free(srv->console);
	metrics_free(srv->metrics);
	relogin_free(srv);
	if (srv->age_ev)
		event_free(srv->age_ev);
	if (srv->grace_ev)
		event_free(srv->grace_ev);
	listener_free_all(srv);
	struct srv_hub *h;
	while ((h = TAILQ_FIRST(&srv->hubs)) != NULL)
		srv_hub_free(srv, h);
	if (srv->auth)
		auth_worker_free(srv->auth);
	if (srv->throttle)
		auth_throttle_free(srv->throttle);
	if (srv->have_tls)
		tlsio_conf_free(&srv->tls);
	if (srv->cfg_owned != NULL) {
		hubconf_free(srv->cfg_owned);
		free(srv->cfg_owned);
	}
	managed_free(&srv->managed);
	gate_free(&srv->gate);
	free(srv);
}

static void
srv_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct srv *srv = arg;

	char err[1024];

	if (sig == SIGUSR1) {
		srv_dump(srv);
		return;
	}
	if (sig == SIGHUP) {
		log_info("signal %d: reloading the configuration", (int)sig);
		srv_notify(srv, "RELOADING=1");
		if (!srv->stopping && reload_config(srv, err, sizeof err) != 0)
			log_err("reload refused: %s; the running configuration "
			    "stays", err);
		srv_notify(srv, "READY=1");
		return;
	}
	if (srv->stopping)
		return;
	if (TAILQ_EMPTY(&srv->remotes))
		log_info("signal %d: stopping", (int)sig);
	else
		log_info("signal %d: stopping; telling every session goodbye",
		    (int)sig);
	server_stop(srv);
}

int
server_run(struct hubconf *cfg, const struct server_opts *o)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGUSR1, SIGHUP };
	struct event *sig_ev[sizeof sigs / sizeof sigs[0]] = { NULL };
	struct event_base *base;
	struct srv *srv;
	int code = 1;

	signal(SIGPIPE, SIG_IGN);
	if ((base = event_base_new()) == NULL) {
		log_err("cannot create the event loop");
		return 1;
	}
	if ((srv = server_new(base, cfg, o)) != NULL) {
		for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
			sig_ev[i] = evsignal_new(base, sigs[i], srv_signal_cb,
			    srv);
			event_add(sig_ev[i], NULL);
		}
		event_base_dispatch(base);
		log_info("hub stopped");
		code = 0;
		for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
			if (sig_ev[i] != NULL)
				event_free(sig_ev[i]);
		server_free(srv);
	}
	event_base_free(base);
	return code;
}
