/*
 * dhcpport.c: a virtual hub's DHCP service as a port of its switching
 * engine (port kind dhcp). It sees what any port sees: broadcasts, and
 * unicast to its MAC. DHCP to port 67 goes to the server engine with the
 * user of the session it came from (the per-user cap and statics by user);
 * answers, ARP probes and ARP replies for the server's own address go back
 * into the hub from this port, queued and sent once the frame that caused
 * them is through (the engine is not re-entered from a port's output).
 * Its ACKs pass the engine's DHCP snooping like any server's, so the IP
 * table (force_dhcp_ip, ip list) knows each lease. Leases are written
 * atomically to <state_dir>/dhcp-HUB.leases within a second of a change
 * and at stop, and read back at start.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>
#include <sodium.h>

#include "atomic.h"
#include "bytes.h"
#include "clock.h"
#include "dhcpport.h"
#include "log.h"
#include "srv.h"
#include "vnet.h"

#define DP_ETH_HDR        14u
#define DP_VLAN_LEN       4u
#define DP_ETYPE_IP4      0x0800u
#define DP_ETYPE_ARP      0x0806u
#define DP_ETYPE_VLAN     0x8100u
#define DP_ARP_LEN        28u
#define DP_ARP_REQUEST    1u
#define DP_ARP_REPLY      2u
#define DP_IP4_MIN        20u
#define DP_IP_PROTO_UDP   17u
#define DP_IP_FRAG_OFF    0x1fffu
#define DP_RETRY_MS       10000u  /* a failed save is tried again */
#define DP_SUBNET_MAX     64u     /* bytes of a subnet file */
#define DP_PRIVATE_24S    (65536u + 4096u + 256u)
#define DP_STRIDE         10007u  /* prime, not a factor of the above */

struct dhcpport_probe {
	uint32_t ip;                   /* 0: slot free */
	uint64_t deadline_ms;
	uint8_t client[ETHER_ADDR_LEN]; /* its own answer does not count */
};

struct dhcpport {
	struct srv *srv;
	struct srv_hub *hub;
	struct sw_port port;
	struct dhcpsrv s;
	int picked;                    /* the subnet was picked, not given */
	char leases[DHCPPORT_PATH_MAX];
	char subnet_file[DHCPPORT_PATH_MAX];
	struct event *send_ev, *timer_ev;
	/* Frames waiting to go into the hub: a ring. */
	uint8_t q[DHCPPORT_QUEUE][PROTO_DHCP_MAX_FRAME];
	size_t qlen[DHCPPORT_QUEUE];
	unsigned qhead, qn;
	uint8_t obuf[PROTO_DHCP_MAX_FRAME]; /* the engine's answer */
	struct dhcpport_probe probes[DHCPSRV_MAX_PROBES];
	struct sw_port *client;        /* whose frame is being answered */
	int dirty, save_failing;
	uint64_t save_due_ms;
	char *savebuf;
	size_t savecap;
	uint64_t tx_dropped;
};

static const struct sw_port_ops dhcpport_ops;

/* Masks here are checked or the kernel's: contiguous. */
static unsigned
dp_prefix(uint32_t mask)
{
	int n = dhcp_mask_prefix(mask);

	return n < 0 ? 0 : (unsigned)n;
}

/* ---- Pure pieces ------------------------------------------------------- */

/* The i-th private /24: 10/8's, then 172.16/12's, then 192.168/16's. */
static uint32_t
dp_private_24(uint32_t i)
{
	if (i < 65536u)
		return 0x0a000000u | i << 8;
	if (i < 65536u + 4096u)
		return 0xac100000u | (i - 65536u) << 8;
	return 0xc0a80000u | (i - 65536u - 4096u) << 8;
}

int
dhcpport_pick_subnet(const struct dhcpport_net *used, size_t n,
    uint64_t seed, uint32_t *net)
{
	uint32_t start = (uint32_t)(seed % DP_PRIVATE_24S);

	for (uint32_t k = 0; k < DP_PRIVATE_24S; k++) {
		uint32_t c = dp_private_24((uint32_t)((start +
		    (uint64_t)k * DP_STRIDE) % DP_PRIVATE_24S));
		uint32_t third = c >> 8 & 0xffu;
		size_t i;

		/* x.y.0 and x.y.1 are what home routers and other tunnels
		 * take first; .255 reads as a broadcast. */
		if (third <= 1 || third == 255)
			continue;
		for (i = 0; i < n; i++) {
			uint32_t m = used[i].mask & HUBCONF_DHCP_AUTO_MASK;
			if (used[i].mask == 0)
				continue;       /* a default route */
			if (((used[i].net ^ c) & m) == 0)
				break;
		}
		if (i == n) {
			*net = c;
			return 0;
		}
	}
	return -1;
}

size_t
dhcpport_host_nets(struct dhcpport_net *out, size_t max)
{
	struct ifaddrs *ifa, *i;
	char line[256];
	size_t n = 0;
	FILE *f;

	if (getifaddrs(&ifa) == 0) {
		for (i = ifa; i != NULL && n < max; i = i->ifa_next) {
			const struct sockaddr_in *a, *m;
			if (i->ifa_addr == NULL || i->ifa_netmask == NULL ||
			    i->ifa_addr->sa_family != AF_INET)
				continue;
			a = (const struct sockaddr_in *)(const void *)
			    i->ifa_addr;
			m = (const struct sockaddr_in *)(const void *)
			    i->ifa_netmask;
			out[n].mask = ntohl(m->sin_addr.s_addr);
			out[n].net = ntohl(a->sin_addr.s_addr) & out[n].mask;
			/* A /32 still names an address in use. */
			if (out[n].mask == 0)
				out[n].mask = 0xffffffffu;
			n++;
		}
		freeifaddrs(ifa);
	}
	/* The kernel prints each address as the hex of its bytes in memory. */
	if ((f = fopen("/proc/net/route", "re")) == NULL)
		return n;
	while (n < max && fgets(line, sizeof line, f) != NULL) {
		unsigned dst, mask;
		if (sscanf(line, "%*s %x %*x %*x %*d %*d %*d %x", &dst,
		    &mask) != 2)
			continue;       /* the heading */
		out[n].net = ntohl(dst) & ntohl(mask);
		out[n].mask = ntohl(mask);
		n++;
	}
	fclose(f);
	return n;
}

int
dhcpport_parse_subnet(const char *text, size_t len, uint32_t *net)
{
	char buf[DP_SUBNET_MAX];
	uint32_t ip;

	if (len > 0 && text[len - 1] == '\n')
		len--;
	if (len < sizeof "0.0.0.0/24" - 1 || len >= sizeof buf ||
	    memchr(text, '\0', len) != NULL)
		return -1;
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (len < 3 || strcmp(buf + len - 3, "/24") != 0)
		return -1;
	buf[len - 3] = '\0';
	if (dhcp_parse_ip(buf, &ip) != 0 || (ip & ~HUBCONF_DHCP_AUTO_MASK) != 0 ||
	    ip == 0)
		return -1;
	*net = ip;
	return 0;
}

int
dhcpport_path(char *buf, size_t len, const char *state_dir, const char *hub,
    const char *suffix)
{
	size_t dl = strlen(state_dir);
	int n = snprintf(buf, len, "%s%sdhcp-%s%s", state_dir,
	    dl > 0 && state_dir[dl - 1] == '/' ? "" : "/", hub, suffix);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

void
dhcpport_mac(const char *fingerprint, const char *hub,
    uint8_t mac[ETHER_ADDR_LEN])
{
	static const char tag[] = "softether dhcp server";
	crypto_generichash_state st;
	uint8_t h[crypto_generichash_BYTES_MIN];

	crypto_generichash_init(&st, NULL, 0, sizeof h);
	crypto_generichash_update(&st, (const uint8_t *)tag, sizeof tag);
	crypto_generichash_update(&st, (const uint8_t *)fingerprint,
	    strlen(fingerprint) + 1);
	crypto_generichash_update(&st, (const uint8_t *)hub, strlen(hub));
	crypto_generichash_final(&st, h, sizeof h);
	memcpy(mac, h, ETHER_ADDR_LEN);
	mac[0] = (uint8_t)((mac[0] & 0xfcu) | 0x02u); /* local, unicast */
}

int
dhcpport_conf(const struct hubconf_dhcp *d, uint32_t auto_net,
    const uint8_t mac[ETHER_ADDR_LEN], struct dhcpsrv_conf *c,
    struct dhcpsrv_static *statics, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	memcpy(c->server_mac, mac, ETHER_ADDR_LEN);
	if (d->range != NULL) {
		c->first = d->first;
		c->last = d->last;
		c->mask = d->mask;
	} else {
		if (auto_net == 0 || (auto_net & ~HUBCONF_DHCP_AUTO_MASK)) {
			snprintf(err, errlen, "no subnet to serve");
			return -1;
		}
		c->first = auto_net + HUBCONF_DHCP_AUTO_FIRST;
		c->last = auto_net + HUBCONF_DHCP_AUTO_LAST;
		c->mask = HUBCONF_DHCP_AUTO_MASK;
	}
	c->server_ip = hubconf_dhcp_server(d, c->first, c->last, c->mask);
	c->router = d->router_ip;
	for (size_t i = 0; i < d->ndns && i < HUBCONF_DHCP_MAX_DNS; i++)
		c->dns[c->ndns++] = d->dns_ip[i];
	if (d->domain != NULL)
		snprintf(c->domain, sizeof c->domain, "%s", d->domain);
	c->lease_s = d->lease_s;
	/* The one server of the hub's segment: a client it knows nothing
	 * of (its file lost) may keep an address nobody holds. */
	c->authoritative = true;
	c->probe = true;
	memset(statics, 0, d->nstatics * sizeof *statics);
	for (size_t i = 0; i < d->nstatics; i++) {
		const struct hubconf_dhcp_static *s = &d->statics[i];
		statics[i].ip = s->addr;
		if (s->user != NULL)
			snprintf(statics[i].user, sizeof statics[i].user, "%s",
			    s->user);
		else
			memcpy(statics[i].mac, s->hwaddr, ETHER_ADDR_LEN);
	}
	c->statics = statics;
	c->nstatics = d->nstatics;
	return 0;
}

/* ---- Frames out into the hub ------------------------------------------- */

static void
dhcpport_send_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dhcpport *d = arg;
	uint8_t f[PROTO_DHCP_MAX_FRAME];
	unsigned n = d->qn;

	/* What these frames cause waits for the next round. */
	while (n-- > 0 && d->qn > 0) {
		size_t len = d->qlen[d->qhead];
		memcpy(f, d->q[d->qhead], len);
		d->qhead = (d->qhead + 1) % DHCPPORT_QUEUE;
		d->qn--;
		sw_forward(&d->hub->engine, &d->port, NULL, f, len,
		    clock_now_ms());
	}
}

static void
dhcpport_send(struct dhcpport *d, const uint8_t *f, size_t len)
{
	unsigned i;

	if (d->qn == DHCPPORT_QUEUE || len > PROTO_DHCP_MAX_FRAME) {
		d->tx_dropped++;
		log_debug("hub %s: DHCP: output queue full; an answer dropped",
		    d->hub->engine.name);
		return;
	}
	i = (d->qhead + d->qn) % DHCPPORT_QUEUE;
	memcpy(d->q[i], f, len);
	d->qlen[i] = len;
	d->qn++;
	event_active(d->send_ev, EV_TIMEOUT, 0);
}

/* An ARP frame from the server (tag: the 802.1Q tag to carry, or NULL). */
static void
dhcpport_arp_send(struct dhcpport *d, const uint8_t *tag, uint16_t op,
    const uint8_t *eth_dst, const uint8_t *tha, uint32_t spa, uint32_t tpa)
{
	uint8_t f[DP_ETH_HDR + DP_VLAN_LEN + DP_ARP_LEN + 18];
	size_t off = 2 * ETHER_ADDR_LEN;
	uint8_t *a;

	memset(f, 0, sizeof f);
	memcpy(f, eth_dst, ETHER_ADDR_LEN);
	memcpy(f + ETHER_ADDR_LEN, d->s.conf.server_mac, ETHER_ADDR_LEN);
	if (tag != NULL) {
		memcpy(f + off, tag, DP_VLAN_LEN);
		off += DP_VLAN_LEN;
	}
	be16_put(f + off, DP_ETYPE_ARP);
	a = f + off + 2;
	be16_put(a, 1);                    /* Ethernet */
	be16_put(a + 2, DP_ETYPE_IP4);
	a[4] = ETHER_ADDR_LEN;
	a[5] = 4;
	be16_put(a + 6, op);
	memcpy(a + 8, d->s.conf.server_mac, ETHER_ADDR_LEN);
	be32_put(a + 14, spa);
	memcpy(a + 18, tha, ETHER_ADDR_LEN);
	be32_put(a + 24, tpa);
	/* Padded to Ethernet's minimum, as a NIC would. */
	dhcpport_send(d, f, off + 2 + DP_ARP_LEN < 60 ? 60 :
	    off + 2 + DP_ARP_LEN);
}

/* ---- The lease file ---------------------------------------------------- */

static void
dhcpport_save(struct dhcpport *d, uint64_t now)
{
	struct timespec wall;
	char err[DHCPPORT_PATH_MAX + 256];
	size_t n;

	clock_gettime(CLOCK_REALTIME, &wall);
	n = dhcpsrv_save(&d->s, now, (int64_t)wall.tv_sec, d->savebuf,
	    d->savecap);
	if (n >= d->savecap) {
		size_t cap = n + n / 4 + 256;
		char *nb = realloc(d->savebuf, cap);
		if (nb == NULL) {
			log_warn("hub %s: DHCP leases not saved: out of memory",
			    d->hub->engine.name);
			d->save_due_ms = now + DP_RETRY_MS;
			return;
		}
		d->savebuf = nb;
		d->savecap = cap;
		n = dhcpsrv_save(&d->s, now, (int64_t)wall.tv_sec, d->savebuf,
		    d->savecap);
	}
	if (atomic_write(d->leases, d->savebuf, n, 0600, err,
	    sizeof err) != 0) {
		if (!d->save_failing)
			log_warn("hub %s: DHCP leases not saved (tried again "
			    "every %u s): %s", d->hub->engine.name,
			    DP_RETRY_MS / 1000u, err);
		d->save_failing = 1;
		d->save_due_ms = now + DP_RETRY_MS;
		return;
	}
	if (d->save_failing)
		log_info("hub %s: DHCP leases saved again to %s",
		    d->hub->engine.name, d->leases);
	d->save_failing = 0;
	d->dirty = 0;
}

/* Whole file, at most DHCPPORT_FILE_MAX bytes: 0, -1 (errno; EFBIG for
 * too long, EINVAL not a regular file). */
static int
dhcpport_read(const char *path, size_t max, char **text, size_t *len)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	ssize_t r;
	int fd, e;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > max) {
		e = errno;
		if (fstat(fd, &st) == 0)
			e = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		close(fd);
		errno = e;
		return -1;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	while (got < (size_t)st.st_size) {
		r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;      /* cut while read: what there is */
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	*text = buf;
	*len = got;
	return 0;
}

static void
dhcpport_load(struct dhcpport *d, uint64_t now)
{
	const char *hub = d->hub->engine.name;
	struct dhcpsrv_load_report r;
	struct timespec wall;
	char *text, err[256];
	size_t len;

	if (dhcpport_read(d->leases, DHCPPORT_FILE_MAX, &text, &len) != 0) {
		if (errno != ENOENT)
			log_warn("hub %s: DHCP lease file %s: %s; starting with "
			    "no leases", hub, d->leases, errno == EFBIG ?
			    "too long" : strerror(errno));
		return;
	}
	clock_gettime(CLOCK_REALTIME, &wall);
	if (dhcpsrv_load(&d->s, now, (int64_t)wall.tv_sec, text, len, &r, err,
	    sizeof err) != 0) {
		log_warn("hub %s: DHCP lease file %s is not one (%s); starting "
		    "with no leases, and it is written anew at the next "
		    "change", hub, d->leases, err);
	} else if (r.bad > 0) {
		log_warn("hub %s: DHCP lease file %s: %u line%s skipped as "
		    "truncated, corrupt or outside the pool (the first: line "
		    "%u); %u lease%s taken", hub, d->leases, r.bad,
		    r.bad == 1 ? "" : "s", r.first_bad_line, r.loaded,
		    r.loaded == 1 ? "" : "s");
		d->dirty = 1;
		d->save_due_ms = now + DHCPPORT_SAVE_MS;
	} else {
		log_info("hub %s: DHCP: %u lease%s from %s (%u ran out while "
		    "the hub was down)", hub, r.loaded, r.loaded == 1 ? "" :
		    "s", d->leases, r.expired);
	}
	free(text);
}

/* ---- Timers ------------------------------------------------------------ */

static void
dhcpport_arm(struct dhcpport *d, uint64_t now)
{
	uint64_t next = UINT64_MAX, wait;
	struct timeval tv;

	for (unsigned i = 0; i < DHCPSRV_MAX_PROBES; i++)
		if (d->probes[i].ip != 0 && d->probes[i].deadline_ms < next)
			next = d->probes[i].deadline_ms;
	if (d->dirty && d->save_due_ms < next)
		next = d->save_due_ms;
	if (next == UINT64_MAX) {
		evtimer_del(d->timer_ev);
		return;
	}
	wait = next > now ? next - now : 0;
	tv.tv_sec = (time_t)(wait / 1000u);
	tv.tv_usec = (suseconds_t)(wait % 1000u * 1000u);
	evtimer_add(d->timer_ev, &tv);
}

static void
dhcpport_dirty(struct dhcpport *d, uint64_t now)
{
	if (d->dirty)
		return;
	d->dirty = 1;
	d->save_due_ms = now + DHCPPORT_SAVE_MS;
}

/* ---- Answers ----------------------------------------------------------- */

static void dhcpport_probe(struct dhcpport *, uint64_t, uint32_t);

/* A lease that DHCP no longer gives: out of the IP table too. */
static void
dhcpport_unbind(struct dhcpport *d, uint32_t ip)
{
	struct iptable *t = &d->hub->engine.ips;
	uint32_t a = htonl(ip);
	const struct iptable_e4 *e;

	if (t->slots4 == NULL)
		return;
	e = iptable_probe4(t, a, iptable_hash4(t, a));
	if (e->used && e->source == IPTABLE_DHCP)
		iptable_delete(t, 4, (const uint8_t *)&a);
}

/* What one call of the engine asks: send, probe, log, save. was: the
 * address the client held before (0: none). */
static void
dhcpport_act(struct dhcpport *d, uint64_t now, const struct dhcpsrv_out *o,
    uint32_t was)
{
	const char *hub = d->hub->engine.name;
	char ip[DHCP_IP_STR], a[DHCP_IP_STR], b[DHCP_IP_STR];
	char mac[ETHER_ADDR_STR], who[LOG_SAFE_LEN(PROTO_MAX_NAME)];
	const struct dhcpsrv_lease *l;

	dhcp_format_ip(o->ip, ip);
	ether_format_mac(o->mac, mac);
	if (o->act & DHCPSRV_ACT_POOL_EMPTY) {
		dhcp_format_ip(d->s.conf.first, a);
		dhcp_format_ip(d->s.conf.last, b);
		log_warn("hub %s: DHCP pool %s-%s is used up: new clients get "
		    "no address until a lease ends (said once until one is "
		    "given again)", hub, a, b);
	}
	if (o->act & DHCPSRV_ACT_USER_CAP)
		log_debug("hub %s: DHCP: a user at its max_ip refused",
		    hub);
	if (o->act & DHCPSRV_ACT_BOUND) {
		dhcpport_dirty(d, now);
		l = dhcpsrv_find_ip(&d->s, o->ip);
		log_safe(who, sizeof who, l != NULL && l->user[0] != '\0' ?
		    l->user : "-");
		if (o->ip != was)
			log_info("hub %s: DHCP: %s to %s (user %s) for %u s",
			    hub, ip, mac, who, d->s.conf.lease_s);
		else
			log_debug("hub %s: DHCP: %s renewed by %s", hub, ip,
			    mac);
	}
	if (o->act & DHCPSRV_ACT_RELEASED) {
		dhcpport_dirty(d, now);
		dhcpport_unbind(d, o->ip);
		log_info("hub %s: DHCP: %s released by %s", hub, ip, mac);
	}
	if (o->act & DHCPSRV_ACT_DECLINED) {
		dhcpport_dirty(d, now);
		dhcpport_unbind(d, o->ip);
		log_warn("hub %s: DHCP: %s declined by %s (someone else uses "
		    "it); it rests %u s", hub, ip, mac, d->s.conf.decline_s);
	}
	if (o->act & DHCPSRV_ACT_PROBE)
		dhcpport_probe(d, now, o->probe_ip);
	if (o->len > 0)
		dhcpport_send(d, o->buf, o->len);
	dhcpport_arm(d, now);
}

/* Is ip in use as far as the hub's IP table knows, by anyone but the
 * client being answered (whose own address it may be) and the server? */
static bool
dhcpport_in_use(void *arg, uint32_t ip)
{
	struct dhcpport *d = arg;
	struct sw_port *p = iptable_lookup4(&d->hub->engine.ips, htonl(ip),
	    clock_now_ms());

	return p != NULL && p != &d->port && p != d->client;
}

/* The probe of p->ip is over. */
static void
dhcpport_probe_done(struct dhcpport *d, struct dhcpport_probe *p,
    bool in_use, uint64_t now)
{
	struct dhcpsrv_out o = { .buf = d->obuf, .cap = sizeof d->obuf };
	uint32_t ip = p->ip;
	char a[DHCP_IP_STR];

	p->ip = 0;
	d->client = sw_mac_lookup(&d->hub->engine, p->client, now);
	dhcpsrv_probe_result(&d->s, now, ip, in_use, &o);
	d->client = NULL;
	if (in_use) {
		dhcp_format_ip(ip, a);
		log_info("hub %s: DHCP: %s answers ARP from another host; not "
		    "offered, it rests %u s", d->hub->engine.name, a,
		    d->s.conf.decline_s);
		dhcpport_dirty(d, now);
	}
	dhcpport_act(d, now, &o, 0);
}

/* RFC 5227's probe: who has ip, from 0.0.0.0. */
static void
dhcpport_probe(struct dhcpport *d, uint64_t now, uint32_t ip)
{
	static const uint8_t bcast[ETHER_ADDR_LEN] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff
	};
	static const uint8_t zero[ETHER_ADDR_LEN];
	struct dhcpport_probe *p = NULL;
	unsigned i;

	for (i = 0; i < DHCPSRV_MAX_PROBES && p == NULL; i++)
		if (d->probes[i].ip == 0 || d->probes[i].ip == ip)
			p = &d->probes[i];
	if (p == NULL) {
		/* As many slots as the engine has: not reached. */
		struct dhcpport_probe q = { .ip = ip };
		dhcpport_probe_done(d, &q, false, now);
		return;
	}
	p->ip = ip;
	p->deadline_ms = now + DHCPPORT_PROBE_WAIT_MS;
	memset(p->client, 0, sizeof p->client);
	for (i = 0; i < DHCPSRV_MAX_PROBES; i++)
		if (d->s.probes[i].ip == ip)
			memcpy(p->client, d->s.probes[i].chaddr,
			    ETHER_ADDR_LEN);
	dhcpport_arp_send(d, NULL, DP_ARP_REQUEST, bcast, zero, 0, ip);
}

static void
dhcpport_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dhcpport *d = arg;
	uint64_t now = clock_now_ms();

	for (unsigned i = 0; i < DHCPSRV_MAX_PROBES; i++)
		if (d->probes[i].ip != 0 && now >= d->probes[i].deadline_ms)
			dhcpport_probe_done(d, &d->probes[i], false, now);
	if (d->dirty && now >= d->save_due_ms)
		dhcpport_save(d, now);
	dhcpport_arm(d, now);
}

/* ---- Frames in from the hub -------------------------------------------- */

/* ARP: a question for the server's address, or an answer to a probe. */
static void
dhcpport_arp(struct dhcpport *d, const uint8_t *f, size_t len, size_t off)
{
	static const uint8_t zero[ETHER_ADDR_LEN];
	const uint8_t *a = f + off, *sha;
	uint32_t spa, tpa;
	uint16_t op;

	if (len < off + DP_ARP_LEN || be16_get(a) != 1 ||
	    be16_get(a + 2) != DP_ETYPE_IP4 || a[4] != ETHER_ADDR_LEN ||
	    a[5] != 4)
		return;
	op = be16_get(a + 6);
	sha = a + 8;
	spa = be32_get(a + 14);
	tpa = be32_get(a + 24);
	if ((sha[0] & 1) || memcmp(sha, zero, ETHER_ADDR_LEN) == 0 ||
	    (op != DP_ARP_REQUEST && op != DP_ARP_REPLY))
		return;
	if (op == DP_ARP_REQUEST && tpa == d->s.conf.server_ip &&
	    spa != d->s.conf.server_ip)
		dhcpport_arp_send(d, off > DP_ETH_HDR ? f + 2 * ETHER_ADDR_LEN :
		    NULL, DP_ARP_REPLY, sha, sha, d->s.conf.server_ip, spa);
	if (spa == 0)
		return;
	for (unsigned i = 0; i < DHCPSRV_MAX_PROBES; i++) {
		struct dhcpport_probe *p = &d->probes[i];
		if (p->ip == spa && memcmp(sha, p->client,
		    ETHER_ADDR_LEN) != 0) {
			dhcpport_probe_done(d, p, true, clock_now_ms());
			break;
		}
	}
}

/* One frame that may be DHCP for the server. */
static int
dhcpport_dhcp(void *arg, const uint8_t *f, size_t len)
{
	struct dhcpport *d = arg;
	struct dhcpsrv_out o = { .buf = d->obuf, .cap = sizeof d->obuf };
	uint64_t now = clock_now_ms();
	const struct dhcpsrv_lease *l;
	const char *user;
	unsigned max_ip = 0;
	uint32_t was = 0;

	if (len < DP_ETH_HDR)
		return 0;
	/* The port the frame came from: its source MAC was just learned. */
	d->client = sw_mac_lookup(&d->hub->engine, f + ETHER_ADDR_LEN, now);
	user = remote_port_user(d->client, &max_ip);
	if ((l = dhcpsrv_find_mac(&d->s, f + ETHER_ADDR_LEN)) != NULL &&
	    l->state == DHCPSRV_BOUND && now < l->expiry_ms)
		was = l->ip;
	dhcpsrv_input(&d->s, now, f, len, user, max_ip, &o);
	d->client = NULL;
	if (dhcp_err_malformed(o.err)) {
		char mac[ETHER_ADDR_STR];
		ether_format_mac(f + ETHER_ADDR_LEN, mac);
		log_debug("hub %s: DHCP: dropped a malformed message from %s: "
		    "%s", d->hub->engine.name, mac, dhcp_err_name(o.err));
	}
	dhcpport_act(d, now, &o, was);
	return 0;
}

/* UDP to port 67, or a fragment that might be (the parser counts it). */
static int
dhcpport_maybe_dhcp(const uint8_t *f, size_t len, size_t off)
{
	const uint8_t *ip = f + off;
	size_t ihl;

	if (len < off + DP_IP4_MIN || ip[0] >> 4 != 4 ||
	    ip[9] != DP_IP_PROTO_UDP)
		return 0;
	if ((be16_get(ip + 6) & DP_IP_FRAG_OFF) != 0)
		return 0;       /* a later fragment: no UDP header */
	ihl = (size_t)(ip[0] & 0x0fu) * 4u;
	if (ihl < DP_IP4_MIN || len < off + ihl + 4)
		return 1;       /* broken: the parser says how */
	return be16_get(ip + ihl + 2) == PROTO_DHCP_SERVER_PORT;
}

static void
dhcpport_output(struct sw_port *p, const struct vnet_meta *vm,
    const uint8_t *f, size_t len)
{
	static uint8_t scratch[VNET_FRAME_MAX];	/* one loop per process */
	struct dhcpport *d = p->owner;
	size_t off = DP_ETH_HDR;
	uint16_t type;

	if (len < DP_ETH_HDR)
		return;
	type = be16_get(f + 2 * ETHER_ADDR_LEN);
	if (type == DP_ETYPE_VLAN) {
		if (len < DP_ETH_HDR + DP_VLAN_LEN)
			return;
		off += DP_VLAN_LEN;
		type = be16_get(f + off - 2);
	}
	if (type == DP_ETYPE_ARP) {
		dhcpport_arp(d, f, len, off);
		return;
	}
	if (type != DP_ETYPE_IP4 || !dhcpport_maybe_dhcp(f, len, off))
		return;
	/* A partial checksum: completed on a copy first. */
	if (vm != NULL)
		vnet_undo(vm, f, len, scratch, dhcpport_dhcp, d);
	else
		dhcpport_dhcp(d, f, len);
}

static const struct sw_port_ops dhcpport_ops = {
	.kind = DHCPPORT_KIND,
	.output = dhcpport_output,
};

/* ---- The service's life ------------------------------------------------ */

/* The subnet of a hub whose dhcp: names none: the one kept in the state
 * directory, or one picked now (and kept). */
static int
dhcpport_auto_net(const char *hub, const char *path, uint32_t *net)
{
	struct dhcpport_net *nets;
	char *text, line[DP_SUBNET_MAX], err[DHCPPORT_PATH_MAX + 256];
	char a[DHCP_IP_STR], b[DHCP_IP_STR];
	size_t len, n;
	uint64_t seed;

	if ((nets = calloc(DHCPPORT_MAX_NETS, sizeof *nets)) == NULL) {
		log_err("hub %s: DHCP: out of memory", hub);
		return -1;
	}
	n = dhcpport_host_nets(nets, DHCPPORT_MAX_NETS);
	if (dhcpport_read(path, DP_SUBNET_MAX, &text, &len) == 0) {
		int rc = dhcpport_parse_subnet(text, len, net);
		free(text);
		if (rc == 0) {
			for (size_t i = 0; i < n; i++) {
				uint32_t m = nets[i].mask &
				    HUBCONF_DHCP_AUTO_MASK;
				if (nets[i].mask == 0 ||
				    ((nets[i].net ^ *net) & m) != 0)
					continue;
				dhcp_format_ip(*net, a);
				dhcp_format_ip(nets[i].net, b);
				log_warn("hub %s: DHCP subnet %s/24 overlaps "
				    "this host's network %s/%u now; delete %s "
				    "to have another picked", hub, a, b,
				    dp_prefix(nets[i].mask), path);
				break;
			}
			free(nets);
			return 0;
		}
		log_warn("hub %s: %s does not hold a subnet (a.b.c.0/24); "
		    "picking another", hub, path);
	} else if (errno != ENOENT) {
		log_warn("hub %s: %s: %s; picking a DHCP subnet anew", hub,
		    path, strerror(errno));
	}
	randombytes_buf(&seed, sizeof seed);
	if (dhcpport_pick_subnet(nets, n, seed, net) != 0) {
		free(nets);
		log_err("hub %s: DHCP: every private /24 overlaps a network "
		    "of this host; give dhcp.range and dhcp.netmask", hub);
		return -1;
	}
	free(nets);
	dhcp_format_ip(*net, a);
	snprintf(line, sizeof line, "%s/24\n", a);
	if (atomic_write(path, line, strlen(line), 0644, err,
	    sizeof err) != 0) {
		log_err("hub %s: DHCP subnet not kept: %s", hub, err);
		return -1;
	}
	log_info("hub %s: DHCP subnet %s/24 picked (no network of this host "
	    "overlaps it), kept in %s", hub, a, path);
	return 0;
}

/* The running server gives what conf says already. */
static int
dhcpport_same(const struct dhcpsrv *s, const struct dhcpsrv_conf *c)
{
	const struct dhcpsrv_conf *o = &s->conf;

	return memcmp(o->server_mac, c->server_mac, ETHER_ADDR_LEN) == 0 &&
	    o->server_ip == c->server_ip && o->first == c->first &&
	    o->last == c->last && o->mask == c->mask &&
	    o->router == c->router && o->ndns == c->ndns &&
	    memcmp(o->dns, c->dns, sizeof o->dns) == 0 &&
	    strcmp(o->domain, c->domain) == 0 &&
	    o->lease_s == (c->lease_s != 0 ? c->lease_s :
	    DHCPSRV_DEFAULT_LEASE_S) &&
	    o->authoritative == c->authoritative && o->probe == c->probe &&
	    o->nstatics == c->nstatics && (c->nstatics == 0 ||
	    memcmp(s->statics, c->statics, c->nstatics *
	    sizeof *c->statics) == 0);
}

static void
dhcpport_log_on(const struct dhcpport *d, const char *how)
{
	const struct dhcpsrv_conf *c = &d->s.conf;
	char net[DHCP_IP_STR], a[DHCP_IP_STR], b[DHCP_IP_STR];
	char srv[DHCP_IP_STR], mac[ETHER_ADDR_STR];

	dhcp_format_ip(c->first & c->mask, net);
	dhcp_format_ip(c->first, a);
	dhcp_format_ip(c->last, b);
	dhcp_format_ip(c->server_ip, srv);
	ether_format_mac(c->server_mac, mac);
	log_info("hub %s: DHCP %s on %s/%u: leases %s-%s for %u s, from %s "
	    "(MAC %s)%s", d->hub->engine.name, how, net, dp_prefix(c->mask),
	    a, b, c->lease_s, srv, mac, d->picked ? ", subnet picked at "
	    "first start" : "");
}

/* A running service onto a new configuration: the leases that fit it
 * are kept (through the lease file's text). */
static int
dhcpport_change(struct dhcpport *d, struct dhcpsrv_conf *c, int picked)
{
	const char *hub = d->hub->engine.name;
	struct dhcpsrv ns;
	struct dhcpsrv_load_report r;
	struct timespec wall;
	uint64_t now = clock_now_ms();
	char err[256], *text;
	size_t n;

	c->in_use = dhcpport_in_use;
	c->in_use_arg = d;
	if (dhcpsrv_init(&ns, c, err, sizeof err) != 0) {
		log_err("hub %s: DHCP settings not applied: %s", hub, err);
		return -1;
	}
	clock_gettime(CLOCK_REALTIME, &wall);
	n = dhcpsrv_save(&d->s, now, (int64_t)wall.tv_sec, NULL, 0);
	if ((text = malloc(n + 1)) == NULL) {
		dhcpsrv_free(&ns);
		log_err("hub %s: DHCP settings not applied: out of memory",
		    hub);
		return -1;
	}
	dhcpsrv_save(&d->s, now, (int64_t)wall.tv_sec, text, n + 1);
	if (dhcpsrv_load(&ns, now, (int64_t)wall.tv_sec, text, n, &r, err,
	    sizeof err) != 0)
		memset(&r, 0, sizeof r);
	free(text);
	ns.stats = d->s.stats;
	dhcpsrv_free(&d->s);
	d->s = ns;
	d->picked = picked;
	memset(d->probes, 0, sizeof d->probes);
	dhcpport_dirty(d, now);
	dhcpport_arm(d, now);
	dhcpport_log_on(d, "changed");
	if (r.bad > 0)
		log_info("hub %s: DHCP: %u lease%s no longer fit and were "
		    "dropped; %u kept", hub, r.bad, r.bad == 1 ? "" : "s",
		    r.loaded);
	return 0;
}

static int
dhcpport_start(struct srv *srv, struct srv_hub *h, struct dhcpsrv_conf *c,
    int picked, const char *leases, const char *subnet_file)
{
	struct dhcpport *d = calloc(1, sizeof *d);
	char err[256];

	if (d == NULL) {
		log_err("hub %s: DHCP: out of memory", h->engine.name);
		return -1;
	}
	d->srv = srv;
	d->hub = h;
	d->picked = picked;
	snprintf(d->leases, sizeof d->leases, "%s", leases);
	snprintf(d->subnet_file, sizeof d->subnet_file, "%s", subnet_file);
	c->in_use = dhcpport_in_use;
	c->in_use_arg = d;
	if (dhcpsrv_init(&d->s, c, err, sizeof err) != 0) {
		log_err("hub %s: DHCP not started: %s", h->engine.name, err);
		free(d);
		return -1;
	}
	d->send_ev = event_new(srv->base, -1, 0, dhcpport_send_cb, d);
	d->timer_ev = evtimer_new(srv->base, dhcpport_timer_cb, d);
	if (d->send_ev == NULL || d->timer_ev == NULL) {
		log_err("hub %s: DHCP: out of memory", h->engine.name);
		if (d->send_ev != NULL)
			event_free(d->send_ev);
		if (d->timer_ev != NULL)
			event_free(d->timer_ev);
		dhcpsrv_free(&d->s);
		free(d);
		return -1;
	}
	dhcpport_load(d, clock_now_ms());
	sw_port_add(&h->engine, &d->port, &dhcpport_ops, d);
	snprintf(d->port.name, sizeof d->port.name, "%s", DHCPPORT_KIND);
	h->dhcp = d;
	dhcpport_arm(d, clock_now_ms());
	dhcpport_log_on(d, "serving");
	return 0;
}

int
dhcpport_sync(struct srv *srv, struct srv_hub *h)
{
	const struct hubconf_dhcp *dc = h->cfg != NULL ? &h->cfg->dhcp : NULL;
	const char *hub = h->engine.name;
	char leases[DHCPPORT_PATH_MAX], subnet[DHCPPORT_PATH_MAX], err[256];
	struct dhcpsrv_static *statics;
	struct dhcpsrv_conf c;
	uint8_t mac[ETHER_ADDR_LEN];
	uint32_t net = 0;
	int rc;

	if (dc == NULL || !dc->enabled) {
		if (h->dhcp != NULL) {
			dhcpport_stop(h);
			log_info("hub %s: DHCP off", hub);
		}
		return 0;
	}
	if (dhcpport_path(leases, sizeof leases, srv->cfg->state_dir, hub,
	    ".leases") != 0 || dhcpport_path(subnet, sizeof subnet,
	    srv->cfg->state_dir, hub, ".subnet") != 0) {
		log_err("hub %s: DHCP: the state directory's path is too long",
		    hub);
		return -1;
	}
	if (dc->range == NULL && dhcpport_auto_net(hub, subnet, &net) != 0)
		return -1;
	if ((statics = calloc(dc->nstatics > 0 ? dc->nstatics : 1,
	    sizeof *statics)) == NULL) {
		log_err("hub %s: DHCP: out of memory", hub);
		return -1;
	}
	dhcpport_mac(srv->fingerprint, hub, mac);
	if (dhcpport_conf(dc, net, mac, &c, statics, err, sizeof err) != 0) {
		log_err("hub %s: DHCP not started: %s", hub, err);
		free(statics);
		return -1;
	}
	if (h->dhcp != NULL && dhcpport_same(&h->dhcp->s, &c))
		rc = 0;
	else if (h->dhcp != NULL)
		rc = dhcpport_change(h->dhcp, &c, dc->range == NULL);
	else
		rc = dhcpport_start(srv, h, &c, dc->range == NULL, leases,
		    subnet);
	free(statics);          /* the server keeps its own copy */
	return rc;
}

void
dhcpport_stop(struct srv_hub *h)
{
	struct dhcpport *d = h->dhcp;

	if (d == NULL)
		return;
	if (d->dirty)
		dhcpport_save(d, clock_now_ms());
	sw_port_remove(&h->engine, &d->port);
	event_free(d->send_ev);
	event_free(d->timer_ev);
	dhcpsrv_free(&d->s);
	free(d->savebuf);
	free(d);
	h->dhcp = NULL;
}

void
dhcpport_tick(struct srv_hub *h, uint64_t now_ms)
{
	if (h->dhcp != NULL)
		dhcpsrv_expire(&h->dhcp->s, now_ms);
}

uint64_t
dhcpport_malformed(const struct dhcpsrv_stats *st)
{
	uint64_t n = 0;

	for (int e = 0; e < DHCP_E_NREASONS; e++)
		if (dhcp_err_malformed((enum dhcp_err)e))
			n += st->malformed[e];
	return n;
}

int
dhcpport_info(const struct srv_hub *h, struct dhcpport_info *i)
{
	const struct dhcpport *d = h != NULL ? h->dhcp : NULL;
	uint64_t now = clock_now_ms();

	memset(i, 0, sizeof *i);
	if (d == NULL)
		return 0;
	i->mask = d->s.conf.mask;
	i->prefix = dp_prefix(i->mask);
	i->net = d->s.conf.first & i->mask;
	i->server = d->s.conf.server_ip;
	i->first = d->s.conf.first;
	i->last = d->s.conf.last;
	i->picked = d->picked;
	i->subnet_file = d->subnet_file;
	i->tx_dropped = d->tx_dropped;
	i->st = d->s.stats;
	for (uint32_t k = 0; k < d->s.nleases; k++)
		if (d->s.leases[k].state == DHCPSRV_BOUND &&
		    now < d->s.leases[k].expiry_ms)
			i->leases++;
	return 1;
}
