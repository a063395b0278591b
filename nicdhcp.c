/*
 * nicdhcp.c: the card's DHCP client (nicdhcp.h). dhcpcli.c decides; this
 * file carries out what it asks (frames to send, a lease bound, renewed,
 * lost) and keeps what is on the interface ("held"), which may outlive the
 * client's own lease: after a new session the client starts over with an
 * INIT-REBOOT REQUEST and the address stays on until the server refuses it
 * or its lease runs out. One timer: the client's next, or the held lease's
 * end while the client has none.
 *
 * --dns runs resolvconf, one at a time and never waited for (SIGCHLD reaps
 * it), with the lines on its standard input.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <event2/event.h>
#include <sodium.h>

#include "clock.h"
#include "dev.h"
#include "log.h"
#include "nicdhcp.h"
#include "privdrop.h"
#include "rtnl.h"

#define NICDHCP_V4_BITS     32u
#define NICDHCP_CLASS_A     0x80000000u  /* below: class A, /8 */
#define NICDHCP_CLASS_B     0xc0000000u  /* below: class B, /16; else /24 */
#define NICDHCP_NET8        0xff000000u
#define NICDHCP_LOOPBACK    0x7f000000u  /* 127/8 */
#define NICDHCP_MULTICAST   0xe0000000u  /* 224/4 and above: no host's */
#define NICDHCP_MS          1000u
#define NICDHCP_DOMAIN_MAX  253u         /* a DNS name in text */
#define NICDHCP_EXIT_EXEC   127
#define NICDHCP_QUIET_TRIES 3u    /* DISCOVERs unanswered (about 28 s):
                                     said once, the client goes on */
#define NICDHCP_RC_ARG      (DEV_NAME_MAX + sizeof NICDHCP_SUFFIX)

struct nicdhcp_seen {
	uint64_t naks, expired, declines;
};

struct nicdhcp {
	struct event_base *base;
	struct event *timer;
	const char *ifname;
	uint8_t mac[ETHER_ADDR_LEN];
	int want_dns, want_route;
	nicdhcp_send_fn *send;
	void *send_arg;
	const struct nicdhcp_ops *ops;
	void *ops_arg;
	struct dhcpcli cli;
	int started;
	struct nicdhcp_seen seen;    /* the client's counters, last looked at */
	/* What is on the interface: held.ip 0 if nothing. */
	struct dhcpcli_lease held;
	unsigned prefix;
	uint32_t route_gw;           /* the default route we added, or 0 */
	uint32_t route_refused;      /* the router we said we would not add */
	char dns_conf[NICDHCP_RESOLV_MAX]; /* given to resolvconf; "" none */
	uint32_t leases, renewals, losses;
	int quiet_said;              /* "no server answers", once a start */
	/* resolvconf: the one running, and the latest state wanted. */
	struct event *sigchld;
	pid_t rc_pid;
	int rc_pending;
	int rc_missing_said;
	char rc_want[NICDHCP_RESOLV_MAX];
	int rc_set;                  /* rc_want is to be added, not deleted */
	uint8_t frame[PROTO_DHCP_MAX_FRAME];
};

static const struct nicdhcp_ops nicdhcp_sys_ops;

/* ---- The pure checks ----------------------------------------------- */

static uint32_t
nicdhcp_mask(unsigned prefix)
{
	return prefix == 0 ? 0 : ~0u << (NICDHCP_V4_BITS - prefix);
}

const char *
nicdhcp_lease_check(const struct dhcpcli_lease *l, unsigned *prefix)
{
	uint32_t mask = l->mask, host;
	int p;

	if ((l->ip & NICDHCP_NET8) == NICDHCP_LOOPBACK)
		return "a loopback address";
	if (mask == 0)
		mask = l->ip < NICDHCP_CLASS_A ? nicdhcp_mask(8) :
		    l->ip < NICDHCP_CLASS_B ? nicdhcp_mask(16) :
		    nicdhcp_mask(24);
	if ((p = dhcp_mask_prefix(mask)) < 0)
		return "a mask that is not a prefix";
	if (p < (int)NICDHCP_MIN_PREFIX)
		return "a subnet wider than /8";
	host = l->ip & ~mask;
	if (p < (int)NICDHCP_V4_BITS - 1 && (host == 0 || host == ~mask))
		return "the subnet's network or broadcast address";
	*prefix = (unsigned)p;
	return NULL;
}

int
nicdhcp_router_ok(const struct dhcpcli_lease *l, unsigned prefix)
{
	uint32_t mask = nicdhcp_mask(prefix), host = l->router & ~mask;

	return l->router != 0 && l->router != l->ip &&
	    (l->router & mask) == (l->ip & mask) &&
	    (prefix >= NICDHCP_V4_BITS - 1 || (host != 0 && host != ~mask));
}

/* A name resolv.conf can carry on a search line: letters, digits, '-'
 * and dots between labels. */
static int
nicdhcp_domain_ok(const uint8_t *d, size_t len)
{
	size_t label = 0;

	if (len == 0 || len > NICDHCP_DOMAIN_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = d[i];
		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (c == '-' && label > 0)))
			return 0;
		label++;
	}
	return 1;
}

size_t
nicdhcp_resolv_conf(const struct dhcpcli_lease *l, char *out, size_t cap)
{
	char ip[DHCP_IP_STR];
	size_t n = 0;
	int w;

	if (cap == 0)
		return 0;
	out[0] = '\0';
	for (size_t i = 0; i < l->ndns && i < PROTO_DHCP_MAX_DNS; i++) {
		/* Nothing a resolver could use: none, broadcast, multicast. */
		if (l->dns[i] == 0 || l->dns[i] >= NICDHCP_MULTICAST)
			continue;
		dhcp_format_ip(l->dns[i], ip);
		w = snprintf(out + n, cap - n, "nameserver %s\n", ip);
		if (w < 0 || (size_t)w >= cap - n) {
			out[n] = '\0';	/* whole lines only */
			break;
		}
		n += (size_t)w;
	}
	/* No servers: nothing to search with either. */
	if (n > 0 && nicdhcp_domain_ok(l->domain, l->domain_len)) {
		w = snprintf(out + n, cap - n, "search %.*s\n",
		    (int)l->domain_len, (const char *)l->domain);
		if (w > 0 && (size_t)w < cap - n)
			n += (size_t)w;
		else
			out[n] = '\0';
	}
	return n;
}

/* Seconds the lease has left from now, for the kernel to remove the
 * address itself should the card die first. */
static uint32_t
nicdhcp_valid_s(const struct dhcpcli_lease *l, uint64_t now_ms)
{
	uint64_t s;

	if (l->expiry_ms == UINT64_MAX)
		return RTNL_FOREVER;
	s = l->expiry_ms > now_ms ? (l->expiry_ms - now_ms + NICDHCP_MS - 1) /
	    NICDHCP_MS : 1;
	return s == 0 ? 1 : s >= UINT32_MAX ? UINT32_MAX - 1 : (uint32_t)s;
}

/* ---- Applying leases -------------------------------------------------- */

static void
nicdhcp_fmt(uint32_t ip, char out[DHCP_IP_STR])
{
	dhcp_format_ip(ip, out);
}

/* The DNS lines of the held lease to resolvconf, if asked and changed. */
static void
nicdhcp_dns(struct nicdhcp *d)
{
	char conf[NICDHCP_RESOLV_MAX];

	if (!d->want_dns)
		return;
	if (d->held.ip == 0 || nicdhcp_resolv_conf(&d->held, conf,
	    sizeof conf) == 0)
		conf[0] = '\0';
	if (strcmp(conf, d->dns_conf) == 0)
		return;
	snprintf(d->dns_conf, sizeof d->dns_conf, "%s", conf);
	d->ops->dns(d->ops_arg, d->ifname, conf[0] != '\0' ? conf : NULL);
}

/* The default route via the held lease's router, if asked and usable;
 * any other one we added goes. */
static void
nicdhcp_route(struct nicdhcp *d)
{
	uint32_t gw = d->want_route && d->held.ip != 0 &&
	    nicdhcp_router_ok(&d->held, d->prefix) ? d->held.router : 0;
	char err[256], ip[DHCP_IP_STR];
	int rc;

	if (gw == d->route_gw)
		return;
	if (d->route_gw != 0) {
		if (d->ops->route(d->ops_arg, d->ifname, 0, d->route_gw, err,
		    sizeof err) != 0)
			log_warn("%s: DHCP: %s", d->ifname, err);
		d->route_gw = 0;
	}
	if (gw == 0)
		return;
	nicdhcp_fmt(gw, ip);
	rc = d->ops->route(d->ops_arg, d->ifname, 1, gw, err, sizeof err);
	if (rc == 0) {
		d->route_gw = gw;
		d->route_refused = 0;
		log_info("%s: DHCP: default route via %s", d->ifname, ip);
	} else if (rc > 0 && d->route_refused != gw) {
		/* Said once per router: the renewals would repeat it. */
		d->route_refused = gw;
		log_warn("%s: DHCP: the host has a default route already; not "
		    "adding one via %s", d->ifname, ip);
	} else if (rc < 0)
		log_warn("%s: DHCP: %s", d->ifname, err);
}

/* Whatever the held lease put on the interface comes off. */
static void
nicdhcp_drop(struct nicdhcp *d, const char *why)
{
	char err[256], ip[DHCP_IP_STR];

	if (d->held.ip == 0)
		return;
	nicdhcp_fmt(d->held.ip, ip);
	if (d->ops->addr(d->ops_arg, d->ifname, 0, d->held.ip, d->prefix, 0,
	    err, sizeof err) != 0)
		log_warn("%s: DHCP: %s", d->ifname, err);
	log_info("%s: DHCP: address %s/%u %s", d->ifname, ip, d->prefix, why);
	memset(&d->held, 0, sizeof d->held);
	d->prefix = 0;
	d->losses++;
	nicdhcp_route(d);
	nicdhcp_dns(d);
}

static void nicdhcp_out(struct nicdhcp *d, uint64_t now_ms,
    struct dhcpcli_out *out);

static void
nicdhcp_out_init(struct nicdhcp *d, struct dhcpcli_out *out)
{
	memset(out, 0, sizeof *out);
	out->buf = d->frame;
	out->cap = sizeof d->frame;
	out->rnd = randombytes_random();
}

/* The address and its lifetime onto the interface. 0, or -1 (logged). */
static int
nicdhcp_put(struct nicdhcp *d, uint64_t now_ms,
    const struct dhcpcli_lease *l, unsigned prefix)
{
	char err[256];

	if (d->ops->addr(d->ops_arg, d->ifname, 1, l->ip, prefix,
	    nicdhcp_valid_s(l, now_ms), err, sizeof err) == 0)
		return 0;
	log_warn("%s: DHCP: %s", d->ifname, err);
	return -1;
}

/* "lease 120 s, renewing in 60 s" or "lease forever". */
static const char *
nicdhcp_times(char *buf, size_t len, const struct dhcpcli_lease *l,
    uint64_t now_ms)
{
	if (l->lease_s == DHCP_LEASE_INFINITE)
		snprintf(buf, len, "lease forever");
	else
		snprintf(buf, len, "lease %" PRIu32 " s, renewing in %.0f s",
		    l->lease_s, l->t1_ms > now_ms ? (double)(l->t1_ms -
		    now_ms) / NICDHCP_MS : 0.0);
	return buf;
}

/* A lease bound (EV_BOUND), or renewed with another address or mask. */
static void
nicdhcp_bind(struct nicdhcp *d, uint64_t now_ms,
    const struct dhcpcli_lease *l)
{
	char ip[DHCP_IP_STR], server[DHCP_IP_STR], router[DHCP_IP_STR + 16];
	char times[64];
	const char *why;
	unsigned prefix;
	int same;

	nicdhcp_fmt(l->ip, ip);
	nicdhcp_fmt(l->server_id, server);
	if ((why = nicdhcp_lease_check(l, &prefix)) != NULL) {
		struct dhcpcli_out out;

		log_warn("%s: DHCP: declining %s from server %s: %s", d->ifname,
		    ip, server, why);
		if (d->held.ip != l->ip)
			nicdhcp_drop(d, "given up: the server offers another");
		nicdhcp_out_init(d, &out);
		dhcpcli_decline(&d->cli, now_ms, &out);
		nicdhcp_out(d, now_ms, &out);
		return;
	}
	same = d->held.ip == l->ip && d->prefix == prefix;
	if (d->held.ip != 0 && !same)
		nicdhcp_drop(d, d->held.ip == l->ip ? "taken off: the server "
		    "gives it another mask" : "given up: the server gives "
		    "another");
	if (nicdhcp_put(d, now_ms, l, prefix) != 0) {
		/* Not on the interface: held is what is, not what should be;
		 * the next renewal tries again. */
		if (same)
			nicdhcp_drop(d, "lost: it could not be renewed");
		return;
	}
	d->held = *l;
	d->prefix = prefix;
	d->leases++;
	if (nicdhcp_router_ok(l, prefix)) {
		memcpy(router, ", router ", 9);
		nicdhcp_fmt(l->router, router + 9);
	} else
		router[0] = '\0';
	log_info("%s: DHCP: %s %s/%u from server %s (%s)%s", d->ifname,
	    same ? "kept" : "got", ip, prefix, server,
	    nicdhcp_times(times, sizeof times, l, now_ms), router);
	nicdhcp_route(d);
	nicdhcp_dns(d);
}

/* The same address for longer (EV_RENEWED). */
static void
nicdhcp_renew(struct nicdhcp *d, uint64_t now_ms,
    const struct dhcpcli_lease *l)
{
	char ip[DHCP_IP_STR], times[64];
	unsigned prefix;

	if (d->held.ip != l->ip || nicdhcp_lease_check(l, &prefix) != NULL ||
	    prefix != d->prefix) {
		nicdhcp_bind(d, now_ms, l);
		return;
	}
	if (nicdhcp_put(d, now_ms, l, prefix) != 0)
		return;
	d->held = *l;
	d->renewals++;
	nicdhcp_fmt(l->ip, ip);
	log_info("%s: DHCP: renewed %s/%u (%s)", d->ifname, ip, prefix,
	    nicdhcp_times(times, sizeof times, l, now_ms));
	nicdhcp_route(d);
	nicdhcp_dns(d);
}

/* Why the client gave up its address, from what its counters say. */
static const char *
nicdhcp_lost_why(const struct nicdhcp *d)
{
	const struct dhcpcli_stats *s = &d->cli.stats;

	if (d->cli.state == DHCPCLI_STOPPED)
		return "released";
	if (s->naks != d->seen.naks)
		return "lost: the server refused it (NAK)";
	if (s->expired != d->seen.expired)
		return "lost: the lease ran out";
	if (s->declines != d->seen.declines)
		return "declined";
	return "lost";
}

/* Carry out what one call of the client asked. */
static void
nicdhcp_out(struct nicdhcp *d, uint64_t now_ms, struct dhcpcli_out *out)
{
	if (out->len > 0)
		d->send(d->send_arg, d->frame, out->len);
	if ((out->ev & DHCPCLI_EV_LOST) && out->lost_ip == d->held.ip)
		nicdhcp_drop(d, nicdhcp_lost_why(d));
	/* A NAK to the INIT-REBOOT of an address held from an earlier
	 * session: the client lost nothing of its own, the interface does. */
	if (d->cli.stats.naks != d->seen.naks && !d->cli.bound)
		nicdhcp_drop(d, nicdhcp_lost_why(d));
	d->seen = (struct nicdhcp_seen){ d->cli.stats.naks,
	    d->cli.stats.expired, d->cli.stats.declines };
	if (out->ev & DHCPCLI_EV_BOUND)
		nicdhcp_bind(d, now_ms, &out->lease);
	else if (out->ev & DHCPCLI_EV_RENEWED)
		nicdhcp_renew(d, now_ms, &out->lease);
}

/* ---- The timer and the entry points --------------------------------- */

uint64_t
nicdhcp_next(const struct nicdhcp *d)
{
	uint64_t at = dhcpcli_next_timeout(&d->cli);

	if (d->held.ip != 0 && !d->cli.bound && d->held.expiry_ms < at)
		at = d->held.expiry_ms;
	return at;
}

static void
nicdhcp_arm(struct nicdhcp *d, uint64_t now_ms)
{
	uint64_t at = nicdhcp_next(d), ms;
	struct timeval tv;

	if (d->timer == NULL)
		return;
	if (at == UINT64_MAX) {
		event_del(d->timer);
		return;
	}
	ms = at > now_ms ? at - now_ms : 0;
	tv.tv_sec = (time_t)(ms / NICDHCP_MS);
	tv.tv_usec = (suseconds_t)(ms % NICDHCP_MS * 1000u);
	event_add(d->timer, &tv);
}

void
nicdhcp_tick(struct nicdhcp *d, uint64_t now_ms)
{
	struct dhcpcli_out out;

	if (!d->started)
		return;
	nicdhcp_out_init(d, &out);
	dhcpcli_tick(&d->cli, now_ms, &out);
	nicdhcp_out(d, now_ms, &out);
	if (d->cli.state == DHCPCLI_SELECTING && d->cli.tries >=
	    NICDHCP_QUIET_TRIES && d->leases == 0 && !d->quiet_said) {
		d->quiet_said = 1;
		log_info("%s: DHCP: no server has answered yet; still asking "
		    "(--ip none turns the client off)", d->ifname);
	}
	/* An address from an earlier session no server has confirmed. */
	if (d->held.ip != 0 && !d->cli.bound && now_ms >= d->held.expiry_ms)
		nicdhcp_drop(d, "lost: the lease ran out");
	nicdhcp_arm(d, now_ms);
}

static void
nicdhcp_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	nicdhcp_tick(arg, clock_now_ms());
}

void
nicdhcp_start(struct nicdhcp *d, uint64_t now_ms)
{
	struct dhcpcli_out out;
	char ip[DHCP_IP_STR];

	if (d->held.ip != 0) {
		nicdhcp_fmt(d->held.ip, ip);
		log_info("%s: DHCP: a new session: asking to keep %s/%u",
		    d->ifname, ip, d->prefix);
	} else
		log_debug("%s: DHCP: asking for an address", d->ifname);
	d->started = 1;
	nicdhcp_out_init(d, &out);
	dhcpcli_start(&d->cli, now_ms, d->mac, d->held.ip, &out);
	nicdhcp_out(d, now_ms, &out);
	nicdhcp_arm(d, now_ms);
}

void
nicdhcp_input(struct nicdhcp *d, uint64_t now_ms, const uint8_t *f,
    size_t len)
{
	struct dhcpcli_out out;

	if (!d->started)
		return;
	nicdhcp_out_init(d, &out);
	dhcpcli_input(&d->cli, now_ms, f, len, &out);
	nicdhcp_out(d, now_ms, &out);
	nicdhcp_arm(d, now_ms);
}

void
nicdhcp_stop(struct nicdhcp *d, uint64_t now_ms)
{
	struct dhcpcli_out out;

	if (d->started) {
		d->started = 0;
		nicdhcp_out_init(d, &out);
		dhcpcli_stop(&d->cli, now_ms, &out);
		nicdhcp_out(d, now_ms, &out);
	}
	/* Held from an earlier session, or never confirmed: off too. */
	nicdhcp_drop(d, "taken off: the card stops");
	if (d->timer != NULL)
		event_del(d->timer);
}

void
nicdhcp_get_status(const struct nicdhcp *d, uint64_t now_ms,
    struct nicdhcp_status *st)
{
	const struct dhcpcli_lease *l = &d->held;

	memset(st, 0, sizeof *st);
	st->state = d->cli.state;
	st->renew_in_ms = st->expires_in_ms = UINT64_MAX;
	st->leases = d->leases;
	st->renewals = d->renewals;
	st->losses = d->losses;
	if (l->ip == 0)
		return;
	st->ip = l->ip;
	st->prefix = d->prefix;
	st->server = l->server_id;
	st->router = nicdhcp_router_ok(l, d->prefix) ? l->router : 0;
	st->route = d->route_gw != 0;
	if (l->t1_ms != UINT64_MAX)
		st->renew_in_ms = l->t1_ms > now_ms ? l->t1_ms - now_ms : 0;
	if (l->expiry_ms != UINT64_MAX)
		st->expires_in_ms = l->expiry_ms > now_ms ? l->expiry_ms -
		    now_ms : 0;
}

/* ---- The system: rtnetlink, resolvconf -------------------------------- */

static int
nicdhcp_sys_addr(void *arg, const char *ifname, int add, uint32_t ip,
    unsigned prefix, uint32_t valid_s, char *err, size_t errlen)
{
	uint32_t ip_n = htonl(ip);

	return rtnl_addr(ifname, add, AF_INET, &ip_n, prefix, valid_s, err,
	    errlen);
}

static int
nicdhcp_sys_route(void *arg, const char *ifname, int add, uint32_t gw,
    char *err, size_t errlen)
{
	return rtnl_default_route4(ifname, add, gw, err, errlen);
}

/* resolvconf somewhere in PATH, as execvp would find it. */
static int
nicdhcp_have_resolvconf(void)
{
	const char *path = getenv("PATH"), *p, *end;
	char file[PATH_MAX];

	if (path == NULL)
		path = "/usr/sbin:/usr/bin:/sbin:/bin";
	for (p = path; *p != '\0'; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		if (end == p)
			continue;
		if (snprintf(file, sizeof file, "%.*s/resolvconf",
		    (int)(end - p), p) < (int)sizeof file &&
		    access(file, X_OK) == 0)
			return 1;
	}
	return 0;
}

/* In the child: async-signal-safe calls only. */
static void __attribute__((noreturn))
nicdhcp_rc_exec(char *const argv[], int in_fd)
{
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	if (dup2(in_fd, STDIN_FILENO) < 0)
		_exit(NICDHCP_EXIT_EXEC);
	close_range(STDERR_FILENO + 1, ~0U, 0);
	/* systemd-resolved's resolvconf asks for CAP_NET_ADMIN. */
	privdrop_child_net_admin();
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execvp(argv[0], argv);
	_exit(NICDHCP_EXIT_EXEC);
}

/* resolvconf -a IFNAME.softether with rc_want on its standard input, or
 * -d IFNAME.softether. */
static void
nicdhcp_rc_spawn(struct nicdhcp *d)
{
	char name[NICDHCP_RC_ARG], verb[3];
	char *argv[] = { (char *)"resolvconf", verb, name, NULL };
	size_t len = d->rc_set ? strlen(d->rc_want) : 0;
	sigset_t all, old;
	int p[2], saved;
	pid_t pid;

	d->rc_pending = 0;
	snprintf(verb, sizeof verb, "%s", d->rc_set ? "-a" : "-d");
	snprintf(name, sizeof name, "%s%s", d->ifname, NICDHCP_SUFFIX);
	/* The lines fit the pipe whole: written before the fork. */
	if (pipe2(p, O_CLOEXEC) != 0) {
		log_warn("%s: --dns: cannot run resolvconf: %s", d->ifname,
		    strerror(errno));
		return;
	}
	if (len > 0 && write(p[1], d->rc_want, len) != (ssize_t)len) {
		log_warn("%s: --dns: cannot run resolvconf: %s", d->ifname,
		    strerror(errno));
		close(p[0]);
		close(p[1]);
		return;
	}
	close(p[1]);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0)
		nicdhcp_rc_exec(argv, p[0]);
	saved = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(p[0]);
	if (pid < 0) {
		log_warn("%s: --dns: cannot run resolvconf: fork: %s",
		    d->ifname, strerror(saved));
		return;
	}
	d->rc_pid = pid;
	log_debug("%s: resolvconf %s %s (pid %ld)", d->ifname, verb, name,
	    (long)pid);
}

static void
nicdhcp_sigchld_cb(evutil_socket_t sig, short what, void *arg)
{
	struct nicdhcp *d = arg;
	int status;
	pid_t r;

	if (d->rc_pid == 0)
		return;
	do
		r = waitpid(d->rc_pid, &status, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return;
	if (r > 0 && WIFEXITED(status) && WEXITSTATUS(status) ==
	    NICDHCP_EXIT_EXEC)
		log_warn("%s: --dns: resolvconf could not be run", d->ifname);
	else if (r > 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		log_warn("%s: --dns: resolvconf failed (status %d)", d->ifname,
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	d->rc_pid = 0;
	if (d->rc_pending)
		nicdhcp_rc_spawn(d);
}

static void
nicdhcp_sys_dns(void *arg, const char *ifname, const char *conf)
{
	struct nicdhcp *d = arg;

	if (d->base == NULL)
		return;
	if (!nicdhcp_have_resolvconf()) {
		if (conf != NULL && !d->rc_missing_said) {
			d->rc_missing_said = 1;
			log_warn("%s: --dns: no resolvconf in PATH; the DNS "
			    "servers are not applied", ifname);
		}
		return;
	}
	if (d->sigchld == NULL) {
		d->sigchld = evsignal_new(d->base, SIGCHLD, nicdhcp_sigchld_cb,
		    d);
		if (d->sigchld == NULL || event_add(d->sigchld, NULL) != 0) {
			log_warn("%s: --dns: out of memory", ifname);
			return;
		}
	}
	d->rc_set = conf != NULL;
	snprintf(d->rc_want, sizeof d->rc_want, "%s", conf ? conf : "");
	/* One at a time: the latest wish runs once the one before ends. */
	d->rc_pending = 1;
	if (d->rc_pid == 0)
		nicdhcp_rc_spawn(d);
}

static const struct nicdhcp_ops nicdhcp_sys_ops = {
	.addr = nicdhcp_sys_addr,
	.route = nicdhcp_sys_route,
	.dns = nicdhcp_sys_dns,
};

/* ---- Life ----------------------------------------------------------- */

struct nicdhcp *
nicdhcp_new(struct event_base *base, const struct nicdhcp_conf *conf,
    nicdhcp_send_fn *send, void *arg)
{
	struct nicdhcp *d = calloc(1, sizeof *d);
	/* No broadcast flag: the client reads whole frames, so unicast
	 * answers to its MAC reach it, and are not flooded to every card. */
	struct dhcpcli_conf cc = { .hostname = "", .broadcast = 0 };

	if (d == NULL)
		return NULL;
	d->base = base;
	d->ifname = conf->ifname;
	memcpy(d->mac, conf->mac, ETHER_ADDR_LEN);
	d->want_dns = conf->dns;
	d->want_route = conf->default_route;
	d->send = send;
	d->send_arg = arg;
	d->ops = &nicdhcp_sys_ops;
	d->ops_arg = d;
	dhcpcli_init(&d->cli, &cc);
	if (base != NULL && (d->timer = evtimer_new(base, nicdhcp_timer_cb,
	    d)) == NULL) {
		free(d);
		return NULL;
	}
	return d;
}

void
nicdhcp_set_ops(struct nicdhcp *d, const struct nicdhcp_ops *ops, void *arg)
{
	d->ops = ops;
	d->ops_arg = arg;
}

void
nicdhcp_free(struct nicdhcp *d)
{
	if (d == NULL)
		return;
	if (d->timer != NULL)
		event_free(d->timer);
	/* A resolvconf still running finishes on its own. */
	if (d->sigchld != NULL)
		event_free(d->sigchld);
	free(d);
}
