/*
 * test_dhcpport.c: a hub's DHCP service: the dhcp: keys (goldens in
 * tests/config, errors at FILE:LINE:COL), the server's address rule, the
 * subnet picked past the host's networks, the files' names, and the port
 * itself on a live switching engine: DISCOVER, ARP probe, OFFER, REQUEST,
 * ACK into the IP table, the lease file written and read back, a probe
 * answered, the pool used up (said once), malformed messages counted, ARP
 * for the server, a reload and a stop.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <event2/event.h>
#include <sodium.h>

#include "clock.h"
#include "dhcp.h"
#include "dhcpport.h"
#include "dhcpsrv.h"
#include "hubconf.h"
#include "log.h"
#include "srv.h"

#define T_IP(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define T_WAIT_MS 5000u

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long len;

	if (f == NULL)
		return NULL;
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	rewind(f);
	buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

static char *
print_config(const struct hubconf *cfg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	hubconf_print(cfg, f);
	assert_int_equal(fclose(f), 0);
	return text;
}

static void
load_ok(const char *yaml, struct hubconf *cfg)
{
	char err[512];

	if (hubconf_load_string("t.yaml", yaml, strlen(yaml), NULL, cfg, err,
	    sizeof err) != 0)
		fail_msg("%s", err);
}

/* ---- dhcp: in the configuration -------------------------------------- */

static void
test_goldens(void **state)
{
	static const char *const names[] = {
		"good_dhcp", "bad_dhcp_range", "bad_dhcp_netmask",
		"bad_dhcp_static", "bad_dhcp_router", "bad_dhcp_key",
		"bad_dhcp_dns",
	};
	char yaml[64], ok[64], err[512], *want, *got, *again;
	struct hubconf cfg, cfg2;

	(void)state;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(yaml, sizeof yaml, "config/%s.yaml", names[i]);
		snprintf(ok, sizeof ok, "config/%s.ok", names[i]);
		assert_non_null(want = slurp(ok));
		int rc = hubconf_load_file(yaml, NULL, &cfg, err, sizeof err);
		if (strncmp(names[i], "good_", 5) == 0) {
			if (rc != 0)
				fail_msg("%s: %s", yaml, err);
			got = print_config(&cfg);
			if (strcmp(got, want) != 0)
				fail_msg("%s printed:\n%s\nexpected:\n%s", yaml,
				    got, want);
			/* What is printed loads back the same. */
			load_ok(got, &cfg2);
			again = print_config(&cfg2);
			assert_string_equal(got, again);
			free(again);
			free(got);
			hubconf_free(&cfg2);
			hubconf_free(&cfg);
		} else {
			if (rc == 0)
				fail_msg("%s loaded but should not", yaml);
			want[strcspn(want, "\n")] = '\0';
			if (strcmp(err, want) != 0)
				fail_msg("%s said:\n%s\nexpected:\n%s", yaml,
				    err, want);
		}
		free(want);
	}
}

static void
test_parsed(void **state)
{
	struct hubconf cfg;
	const struct hubconf_dhcp *d;

	(void)state;
	load_ok("hubs:\n"
	    "  - name: H\n"
	    "    dhcp:\n"
	    "      enabled: true\n"
	    "      range: \"10.1.2.10-10.1.2.200\"\n"
	    "      netmask: 255.255.255.0\n"
	    "      router: 10.1.2.1\n"
	    "      dns: [10.1.2.2, 1.1.1.1]\n"
	    "      domain: x.example\n"
	    "      lease: 120\n"
	    "      static:\n"
	    "        - {ip: 10.1.2.3, user: bob}\n"
	    "        - {ip: 10.1.2.250, mac: \"5e:00:00:00:00:07\"}\n", &cfg);
	d = &cfg.hubs[0].dhcp;
	assert_true(d->enabled);
	assert_int_equal(d->first, T_IP(10, 1, 2, 10));
	assert_int_equal(d->last, T_IP(10, 1, 2, 200));
	assert_int_equal(d->mask, 0xffffff00u);
	assert_int_equal(d->router_ip, T_IP(10, 1, 2, 1));
	assert_int_equal(d->ndns, 2);
	assert_int_equal(d->dns_ip[0], T_IP(10, 1, 2, 2));
	assert_int_equal(d->dns_ip[1], T_IP(1, 1, 1, 1));
	assert_int_equal(d->lease_s, 120);
	assert_string_equal(d->domain, "x.example");
	/* .1 the router, .2 a DNS server, .3 a static: the server is .4. */
	assert_int_equal(d->server_ip, T_IP(10, 1, 2, 4));
	assert_int_equal(d->nstatics, 2);
	assert_int_equal(d->statics[0].addr, T_IP(10, 1, 2, 3));
	assert_string_equal(d->statics[0].user, "bob");
	assert_null(d->statics[1].user);
	assert_int_equal(d->statics[1].hwaddr[5], 7);
	hubconf_free(&cfg);

	/* A hub in a file: off. No hubs key, or no file: on, no range. */
	load_ok("hubs: [{name: H}]\n", &cfg);
	assert_false(cfg.hubs[0].dhcp.enabled);
	assert_int_equal(cfg.hubs[0].dhcp.set, 0);
	hubconf_free(&cfg);
	load_ok("log: {level: info}\n", &cfg);
	assert_true(cfg.hubs[0].dhcp.enabled);
	assert_null(cfg.hubs[0].dhcp.range);
	hubconf_free(&cfg);
	load_ok(hubconf_default_yaml, &cfg);
	assert_true(cfg.hubs[0].dhcp.enabled);
	assert_null(cfg.hubs[0].dhcp.range);
	hubconf_free(&cfg);
}

static void
test_errors(void **state)
{
	static const struct { const char *yaml, *err; } t[] = {
	    { "hubs:\n  - name: H\n    dhcp:\n      range: \"10.0.0.9-10.0.0.2\"\n"
	      "      netmask: 255.255.255.0\n",
	      "t.yaml:4:7: hubs[0].dhcp.range: 10.0.0.9 comes after 10.0.0.2" },
	    { "hubs:\n  - name: H\n    dhcp:\n      range: \"10.0.0.1-10.0.0.255\"\n"
	      "      netmask: 255.255.255.0\n",
	      "t.yaml:4:7: hubs[0].dhcp.range: holds the subnet's broadcast "
	      "address" },
	    { "hubs:\n  - name: H\n    dhcp:\n      range: \"10.0.0.1-10.1.0.1\"\n"
	      "      netmask: 255.0.0.0\n",
	      "t.yaml:4:7: hubs[0].dhcp.range: 65537 addresses, at most 65536" },
	    { "hubs:\n  - name: H\n    dhcp:\n      range: \"10.0.0.2-10.0.0.9\"\n",
	      "t.yaml:4:7: hubs[0].dhcp.range: needs netmask too" },
	    { "hubs:\n  - name: H\n    dhcp:\n      netmask: 255.255.255.0\n",
	      "t.yaml:4:7: hubs[0].dhcp.netmask: needs range too (with neither, "
	      "a /24 is picked at first start)" },
	    { "hubs:\n  - name: H\n    dhcp:\n      range: \"10.0.0.2-10.0.0.9\"\n"
	      "      netmask: 255.255.255.0\n      router: 10.0.1.1\n",
	      "t.yaml:6:7: hubs[0].dhcp.router: 10.0.1.1 is not a host address "
	      "of the subnet" },
	    { "hubs:\n  - name: H\n    dhcp:\n      range: \"10.0.0.2-10.0.0.9\"\n"
	      "      netmask: 255.255.255.0\n      server: 10.0.0.5\n",
	      "t.yaml:6:7: hubs[0].dhcp.server: 10.0.0.5 is inside range" },
	    { "hubs:\n  - name: H\n    dhcp:\n      range: \"10.0.0.1-10.0.0.254\"\n"
	      "      netmask: 255.255.255.0\n",
	      "t.yaml:4:7: hubs[0].dhcp.range: leaves no address of the subnet "
	      "for the hub's DHCP server (keep one out of it)" },
	    { "hubs:\n  - name: H\n    dhcp:\n      range: \"10.0.0.2-10.0.0.9\"\n"
	      "      netmask: 255.255.255.0\n      static:\n"
	      "        - {ip: 10.0.0.20, mac: \"5e:00:00:00:00:01\"}\n"
	      "        - {ip: 10.0.0.21, mac: \"5e:00:00:00:00:01\"}\n",
	      "t.yaml:8:27: hubs[0].dhcp.static[1].mac: given before, in "
	      "static[0] (line 7)" },
	    { "hubs:\n  - name: H\n    dhcp:\n      range: \"10.0.0.2-10.0.0.9\"\n"
	      "      netmask: 255.255.255.0\n      static:\n"
	      "        - {ip: 10.0.1.20, user: a}\n",
	      "t.yaml:7:12: hubs[0].dhcp.static[0].ip: 10.0.1.20 is not a host "
	      "address of the subnet" },
	    { "hubs:\n  - name: H\n    dhcp: {static: [{ip: 10.0.0.3, mac: "
	      "\"01:00:5e:00:00:01\"}]}\n",
	      "t.yaml:3:41: hubs[0].dhcp.static[0].mac: expected a unicast MAC "
	      "such as 5e:01:02:03:04:05" },
	    { "hubs:\n  - name: H\n    dhcp: {dns: [0.0.0.0]}\n",
	      "t.yaml:3:18: hubs[0].dhcp.dns[0]: expected an IPv4 address "
	      "a.b.c.d" },
	    { "hubs:\n  - name: H\n    dhcp: {lease: 59}\n",
	      "t.yaml:3:19: hubs[0].dhcp.lease: expected an integer "
	      "60..31622400" },
	    { "hubs:\n  - name: H\n    dhcp: {domain: \"a b\"}\n",
	      "t.yaml:3:20: hubs[0].dhcp.domain: expected a name of 1..253 "
	      "characters [A-Za-z0-9.-]" },
	    { "hubs:\n  - name: H\n    dhcp: {static: [{ip: 10.0.0.3, user: u}]}\n",
	      "t.yaml:3:12: hubs[0].dhcp.static: needs range and netmask "
	      "(without them the subnet is picked at first start, unknown "
	      "here)" },
	};
	struct hubconf cfg;
	char err[512];

	(void)state;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		if (hubconf_load_string("t.yaml", t[i].yaml, strlen(t[i].yaml),
		    NULL, &cfg, err, sizeof err) == 0)
			fail_msg("loaded: %s", t[i].yaml);
		if (strcmp(err, t[i].err) != 0)
			fail_msg("%s said:\n%s\nexpected:\n%s", t[i].yaml, err,
			    t[i].err);
	}
}

static void
test_server_rule(void **state)
{
	struct hubconf_dhcp d;
	struct hubconf_dhcp_static st[2];

	(void)state;
	memset(&d, 0, sizeof d);
	memset(st, 0, sizeof st);
	/* The first host address outside the pool. */
	assert_int_equal(hubconf_dhcp_server(&d, T_IP(10, 0, 0, 10),
	    T_IP(10, 0, 0, 20), 0xffffff00u), T_IP(10, 0, 0, 1));
	assert_int_equal(hubconf_dhcp_server(&d, T_IP(10, 0, 0, 1),
	    T_IP(10, 0, 0, 20), 0xffffff00u), T_IP(10, 0, 0, 21));
	/* Not the router's, a DNS server's or a static's. */
	d.router_ip = T_IP(10, 0, 0, 1);
	d.ndns = 1;
	d.dns_ip[0] = T_IP(10, 0, 0, 2);
	st[0].addr = T_IP(10, 0, 0, 3);
	d.statics = st;
	d.nstatics = 1;
	assert_int_equal(hubconf_dhcp_server(&d, T_IP(10, 0, 0, 10),
	    T_IP(10, 0, 0, 20), 0xffffff00u), T_IP(10, 0, 0, 4));
	/* None left. */
	assert_int_equal(hubconf_dhcp_server(&d, T_IP(10, 0, 0, 4),
	    T_IP(10, 0, 0, 6), 0xfffffff8u), 0);
	/* Given: as given. */
	d.server = "10.0.0.30";
	d.server_ip = T_IP(10, 0, 0, 30);
	assert_int_equal(hubconf_dhcp_server(&d, T_IP(10, 0, 0, 10),
	    T_IP(10, 0, 0, 20), 0xffffff00u), T_IP(10, 0, 0, 30));
}

/* ---- The pure pieces ----------------------------------------------------- */

static int
overlaps(uint32_t net, const struct dhcpport_net *u, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t m = u[i].mask & 0xffffff00u;
		if (u[i].mask != 0 && ((u[i].net ^ net) & m) == 0)
			return 1;
	}
	return 0;
}

static int
is_private_24(uint32_t net)
{
	return (net & 0xff) == 0 && ((net >> 24) == 10 ||
	    (net & 0xfff00000u) == T_IP(172, 16, 0, 0) ||
	    (net & 0xffff0000u) == T_IP(192, 168, 0, 0));
}

static void
test_pick_subnet(void **state)
{
	struct dhcpport_net used[] = {
		{ 0, 0 },                               /* a default route */
		{ T_IP(10, 0, 0, 0), 0xff000000u },
		{ T_IP(172, 16, 0, 0), 0xfff00000u },
		{ T_IP(192, 168, 0, 0), 0xffff8000u },  /* half of 192.168 */
		{ T_IP(192, 168, 200, 7), 0xffffffffu },
	};
	uint32_t net, net2, third;
	int seen10 = 0, seen172 = 0, seen192 = 0;

	(void)state;
	/* Nothing used: private, never x.y.0, x.y.1 or x.y.255; the seed
	 * decides, the same seed the same. */
	for (uint64_t seed = 0; seed < 2000; seed++) {
		assert_int_equal(dhcpport_pick_subnet(NULL, 0, seed * 7919,
		    &net), 0);
		assert_true(is_private_24(net));
		third = net >> 8 & 0xff;
		assert_true(third > 1 && third < 255);
		seen10 |= net >> 24 == 10;
		seen172 |= net >> 24 == 172;
		seen192 |= net >> 24 == 192;
		assert_int_equal(dhcpport_pick_subnet(NULL, 0, seed * 7919,
		    &net2), 0);
		assert_int_equal(net, net2);
	}
	assert_true(seen10 && seen172 && seen192);
	/* 10/8, 172.16/12 and half of 192.168 used (and one address): the
	 * other half of 192.168, whatever the seed. */
	for (uint64_t seed = 0; seed < 500; seed++) {
		assert_int_equal(dhcpport_pick_subnet(used, 5, seed, &net), 0);
		assert_false(overlaps(net, used, 5));
		assert_int_equal(net >> 15, T_IP(192, 168, 128, 0) >> 15);
		assert_int_not_equal(net, T_IP(192, 168, 200, 0));
	}
	/* Everything used. */
	used[3].mask = 0xffff0000u;
	assert_int_equal(dhcpport_pick_subnet(used, 5, 1, &net), -1);
	/* A wider network covering them all. */
	struct dhcpport_net all = { T_IP(0, 0, 0, 0), 0x80000000u };
	struct dhcpport_net hi = { T_IP(128, 0, 0, 0), 0x80000000u };
	assert_int_equal(dhcpport_pick_subnet(&all, 1, 3, &net), 0);
	assert_int_equal(net >> 24 == 10, 0);
	struct dhcpport_net both[2] = { all, hi };
	assert_int_equal(dhcpport_pick_subnet(both, 2, 3, &net), -1);
}

static void
test_host_nets(void **state)
{
	struct dhcpport_net nets[64];
	size_t n;
	int lo = 0;

	(void)state;
	n = dhcpport_host_nets(nets, 64);
	assert_true(n >= 1);
	for (size_t i = 0; i < n; i++)
		if (nets[i].net == T_IP(127, 0, 0, 0) &&
		    nets[i].mask == 0xff000000u)
			lo = 1;
	assert_true(lo);
	assert_int_equal(dhcpport_host_nets(nets, 0), 0);
}

static void
test_files(void **state)
{
	char buf[64];
	uint32_t net;

	(void)state;
	assert_int_equal(dhcpport_path(buf, sizeof buf, "/var/lib/softether",
	    "DEFAULT", ".leases"), 0);
	assert_string_equal(buf, "/var/lib/softether/dhcp-DEFAULT.leases");
	assert_int_equal(dhcpport_path(buf, sizeof buf, "/srv/se/", "lab.2",
	    ".subnet"), 0);
	assert_string_equal(buf, "/srv/se/dhcp-lab.2.subnet");
	assert_int_equal(dhcpport_path(buf, 20, "/var/lib/softether",
	    "DEFAULT", ".leases"), -1);

	assert_int_equal(dhcpport_parse_subnet("10.20.30.0/24\n", 14, &net), 0);
	assert_int_equal(net, T_IP(10, 20, 30, 0));
	assert_int_equal(dhcpport_parse_subnet("192.168.7.0/24", 14, &net), 0);
	assert_int_equal(net, T_IP(192, 168, 7, 0));
	assert_int_equal(dhcpport_parse_subnet("10.20.30.1/24\n", 14, &net),
	    -1);
	assert_int_equal(dhcpport_parse_subnet("10.20.30.0/16\n", 14, &net),
	    -1);
	assert_int_equal(dhcpport_parse_subnet("10.20.30.0/24\n\n", 15, &net),
	    -1);
	assert_int_equal(dhcpport_parse_subnet("10.20.30.0/2", 12, &net), -1);
	assert_int_equal(dhcpport_parse_subnet("", 0, &net), -1);
	assert_int_equal(dhcpport_parse_subnet("10.20\0.30.0/24", 15, &net),
	    -1);
}

static void
test_mac(void **state)
{
	uint8_t a[6], b[6], c[6];

	(void)state;
	dhcpport_mac("ab12", "DEFAULT", a);
	dhcpport_mac("ab12", "DEFAULT", b);
	assert_memory_equal(a, b, 6);
	assert_int_equal(a[0] & 3, 2);      /* local, unicast */
	dhcpport_mac("ab12", "LAB", c);
	assert_memory_not_equal(a, c, 6);
	dhcpport_mac("ab13", "DEFAULT", c);
	assert_memory_not_equal(a, c, 6);
}

static void
test_conf(void **state)
{
	struct hubconf cfg;
	struct dhcpsrv_conf c;
	struct dhcpsrv_static st[HUBCONF_DHCP_MAX_STATIC];
	const uint8_t mac[6] = { 2, 1, 2, 3, 4, 5 };
	struct dhcpsrv s;
	char err[256];

	(void)state;
	/* Picked: .1 serves, .10 to .254 leased. */
	load_ok("hubs: [{name: H, dhcp: {enabled: true, dns: [9.9.9.9], "
	    "domain: d.example, lease: 300}}]\n", &cfg);
	assert_int_equal(dhcpport_conf(&cfg.hubs[0].dhcp, 0, mac, &c, st, err,
	    sizeof err), -1);
	assert_int_equal(dhcpport_conf(&cfg.hubs[0].dhcp, T_IP(10, 77, 3, 0),
	    mac, &c, st, err, sizeof err), 0);
	assert_int_equal(c.server_ip, T_IP(10, 77, 3, 1));
	assert_int_equal(c.first, T_IP(10, 77, 3, 10));
	assert_int_equal(c.last, T_IP(10, 77, 3, 254));
	assert_int_equal(c.mask, 0xffffff00u);
	assert_int_equal(c.ndns, 1);
	assert_int_equal(c.dns[0], T_IP(9, 9, 9, 9));
	assert_int_equal(c.lease_s, 300);
	assert_string_equal(c.domain, "d.example");
	assert_memory_equal(c.server_mac, mac, 6);
	assert_true(c.probe && c.authoritative);
	assert_int_equal(dhcpsrv_init(&s, &c, err, sizeof err), 0);
	dhcpsrv_free(&s);
	hubconf_free(&cfg);

	/* Given: the range, and statics by user and MAC. */
	load_ok("hubs:\n  - name: H\n    dhcp:\n"
	    "      range: \"10.5.0.100-10.5.3.200\"\n"
	    "      netmask: 255.255.252.0\n"
	    "      router: 10.5.0.1\n"
	    "      static:\n"
	    "        - {ip: 10.5.0.7, user: bob}\n"
	    "        - {ip: 10.5.3.250, mac: \"5e:00:00:00:00:09\"}\n", &cfg);
	assert_int_equal(dhcpport_conf(&cfg.hubs[0].dhcp, 0, mac, &c, st, err,
	    sizeof err), 0);
	assert_int_equal(c.first, T_IP(10, 5, 0, 100));
	assert_int_equal(c.last, T_IP(10, 5, 3, 200));
	assert_int_equal(c.mask, 0xfffffc00u);
	assert_int_equal(c.server_ip, T_IP(10, 5, 0, 2));
	assert_int_equal(c.router, T_IP(10, 5, 0, 1));
	assert_int_equal(c.nstatics, 2);
	assert_int_equal(st[0].ip, T_IP(10, 5, 0, 7));
	assert_string_equal(st[0].user, "bob");
	assert_int_equal(st[1].ip, T_IP(10, 5, 3, 250));
	assert_int_equal(st[1].mac[5], 9);
	assert_string_equal(st[1].user, "");
	assert_int_equal(dhcpsrv_init(&s, &c, err, sizeof err), 0);
	dhcpsrv_free(&s);
	hubconf_free(&cfg);
}

/* ---- The port on a live engine ------------------------------------------ */

#define T_MAX_RX 256

struct t_svc {
	struct event_base *base;
	struct event *tick;
	struct srv *srv;
	struct srv_hub *hub;
	struct hubconf cfg;
	char dir[64], leases[128], subnet[128];
	struct sw_port a, b;            /* two hosts on the segment */
	uint8_t rx[T_MAX_RX][PROTO_ETH_MAX_FRAME];
	size_t rxlen[T_MAX_RX];
	struct sw_port *rxport[T_MAX_RX];
	unsigned nrx;
	unsigned warns_empty, warns_file;
};

static struct t_svc *t_cur;

static void
t_sink(void *arg, enum log_level level, const char *line)
{
	struct t_svc *t = arg;

	if (strstr(line, "is used up") != NULL)
		t->warns_empty++;
	if (strstr(line, "skipped as truncated") != NULL)
		t->warns_file++;
}

static void
t_out(struct sw_port *p, const struct vnet_meta *vm, const uint8_t *f,
    size_t len)
{
	struct t_svc *t = t_cur;

	if (t->nrx == T_MAX_RX || len > PROTO_ETH_MAX_FRAME)
		return;
	memcpy(t->rx[t->nrx], f, len);
	t->rxlen[t->nrx] = len;
	t->rxport[t->nrx] = p;
	t->nrx++;
}

static const struct sw_port_ops t_ops = { .kind = "test", .output = t_out };

static void
t_tick(evutil_socket_t fd, short what, void *arg)
{
}

static const uint8_t mac1[6] = { 0x5e, 0, 0, 0, 0x11, 0x01 };
static const uint8_t mac2[6] = { 0x5e, 0, 0, 0, 0x11, 0x02 };
static const uint8_t mac3[6] = { 0x5e, 0, 0, 0, 0x11, 0x03 };
static const uint8_t other[6] = { 0x5e, 0, 0, 0, 0x11, 0x99 };

static void
t_config(struct t_svc *t, const char *dhcp)
{
	char yaml[1024];

	snprintf(yaml, sizeof yaml, "state_dir: %s\nhubs:\n  - name: H\n"
	    "    dhcp: %s\n", t->dir, dhcp);
	load_ok(yaml, &t->cfg);
}

static int
t_setup(void **state)
{
	struct t_svc *t = calloc(1, sizeof *t);
	struct timeval tick = { 0, 10000 };

	assert_non_null(t);
	t_cur = t;
	log_init("test_dhcpport", LOG_LVL_INFO, 0);
	log_set_sink(t_sink, t);
	snprintf(t->dir, sizeof t->dir, "/tmp/test_dhcpport.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->leases, sizeof t->leases, "%s/dhcp-H.leases", t->dir);
	snprintf(t->subnet, sizeof t->subnet, "%s/dhcp-H.subnet", t->dir);
	t_config(t, "{enabled: true, range: \"10.1.2.10-10.1.2.12\", "
	    "netmask: 255.255.255.0, router: 10.1.2.254, lease: 600}");
	assert_non_null(t->base = event_base_new());
	t->tick = event_new(t->base, -1, EV_PERSIST, t_tick, NULL);
	event_add(t->tick, &tick);
	assert_non_null(t->srv = calloc(1, sizeof *t->srv));
	t->srv->base = t->base;
	t->srv->cfg = &t->cfg;
	TAILQ_INIT(&t->srv->hubs);
	snprintf(t->srv->fingerprint, sizeof t->srv->fingerprint, "%s",
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
	assert_non_null(t->hub = srv_hub_new(t->srv, &t->cfg.hubs[0]));
	sw_port_add(&t->hub->engine, &t->a, &t_ops, NULL);
	sw_port_add(&t->hub->engine, &t->b, &t_ops, NULL);
	*state = t;
	return 0;
}

static int
t_teardown(void **state)
{
	struct t_svc *t = *state;
	char cmd[128];

	sw_port_remove(&t->hub->engine, &t->a);
	sw_port_remove(&t->hub->engine, &t->b);
	srv_hub_free(t->srv, t->hub);
	event_base_loop(t->base, EVLOOP_NONBLOCK);
	event_free(t->tick);
	event_base_free(t->base);
	hubconf_free(&t->cfg);
	free(t->srv);
	log_set_sink(NULL, NULL);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
	assert_int_equal(system(cmd), 0);
	free(t);
	return 0;
}

/* A client message from port p, MAC mac, as a whole frame. */
static void
t_send_dhcp(struct t_svc *t, struct sw_port *p, const uint8_t *mac,
    uint8_t type, uint32_t req_ip, uint32_t server_id, int corrupt)
{
	struct dhcp_msg m;
	uint8_t f[PROTO_DHCP_MAX_FRAME];
	size_t len;

	memset(&m, 0, sizeof m);
	memset(m.eth_dst, 0xff, 6);
	memcpy(m.eth_src, mac, 6);
	m.ip_dst = 0xffffffffu;
	m.sport = PROTO_DHCP_CLIENT_PORT;
	m.dport = PROTO_DHCP_SERVER_PORT;
	m.op = DHCP_BOOTREQUEST;
	m.xid = 0x1234u + mac[5];
	memcpy(m.chaddr, mac, 6);
	m.type = type;
	if (req_ip != 0) {
		m.has |= DHCP_HAS_REQ_IP;
		m.req_ip = req_ip;
	}
	if (server_id != 0) {
		m.has |= DHCP_HAS_SERVER_ID;
		m.server_id = server_id;
	}
	assert_true((len = dhcp_build(&m, f, sizeof f)) > 0);
	if (corrupt)
		f[len - 1] ^= 0x55;             /* the UDP checksum fails */
	sw_forward(&t->hub->engine, p, NULL, f, len, clock_now_ms());
}

/* An ARP frame from p. */
static void
t_send_arp(struct t_svc *t, struct sw_port *p, const uint8_t *mac,
    uint16_t op, const uint8_t *dst, uint32_t spa, uint32_t tpa)
{
	uint8_t f[60];

	memset(f, 0, sizeof f);
	memcpy(f, dst, 6);
	memcpy(f + 6, mac, 6);
	f[12] = 0x08;
	f[13] = 0x06;
	f[15] = 1;
	f[16] = 0x08;
	f[18] = 6;
	f[19] = 4;
	f[21] = (uint8_t)op;
	memcpy(f + 22, mac, 6);
	f[28] = (uint8_t)(spa >> 24);
	f[29] = (uint8_t)(spa >> 16);
	f[30] = (uint8_t)(spa >> 8);
	f[31] = (uint8_t)spa;
	f[38] = (uint8_t)(tpa >> 24);
	f[39] = (uint8_t)(tpa >> 16);
	f[40] = (uint8_t)(tpa >> 8);
	f[41] = (uint8_t)tpa;
	sw_forward(&t->hub->engine, p, NULL, f, sizeof f, clock_now_ms());
}

/* Turn the loop until a frame from the server reaches port p that
 * matches: a DHCP message of type to chaddr, or (type 0) an ARP with
 * opcode op for target tpa. Returns its index. */
static unsigned
t_wait(struct t_svc *t, struct sw_port *p, uint8_t type, const uint8_t *chaddr,
    uint16_t op, uint32_t tpa, struct dhcp_msg *out)
{
	uint64_t end = clock_now_ms() + T_WAIT_MS;
	unsigned seen = 0;

	for (;;) {
		for (; seen < t->nrx; seen++) {
			const uint8_t *f = t->rx[seen];
			struct dhcp_msg m;
			if (t->rxport[seen] != p)
				continue;
			if (type == 0 && f[12] == 0x08 && f[13] == 0x06 &&
			    f[21] == op && (uint32_t)(f[38] << 24 |
			    f[39] << 16 | f[40] << 8 | f[41]) == tpa)
				return seen;
			if (type != 0 && dhcp_parse(f, t->rxlen[seen], &m) ==
			    DHCP_OK && m.type == type &&
			    memcmp(m.chaddr, chaddr, 6) == 0) {
				if (out != NULL)
					*out = m;
				return seen;
			}
		}
		if (clock_now_ms() > end)
			fail_msg("no frame of type %u / ARP op %u for %08x",
			    type, op, tpa);
		assert_int_not_equal(event_base_loop(t->base, EVLOOP_ONCE),
		    -1);
	}
}

static void
t_turn(struct t_svc *t, unsigned ms)
{
	uint64_t end = clock_now_ms() + ms;

	while (clock_now_ms() < end)
		event_base_loop(t->base, EVLOOP_ONCE);
}

/* A lease for mac from port p: DISCOVER, OFFER, REQUEST, ACK. */
static uint32_t
t_lease(struct t_svc *t, struct sw_port *p, const uint8_t *mac)
{
	struct dhcp_msg m;
	uint32_t ip;

	t_send_dhcp(t, p, mac, DHCP_DISCOVER, 0, 0, 0);
	t_wait(t, p, DHCP_OFFER, mac, 0, 0, &m);
	ip = m.yiaddr;
	assert_int_equal(m.server_id, T_IP(10, 1, 2, 1));
	assert_int_equal(m.mask, 0xffffff00u);
	assert_int_equal(m.router, T_IP(10, 1, 2, 254));
	assert_int_equal(m.lease_s, 600);
	assert_int_equal(m.t1_s, 300);
	t_send_dhcp(t, p, mac, DHCP_REQUEST, ip, T_IP(10, 1, 2, 1), 0);
	t_wait(t, p, DHCP_ACK, mac, 0, 0, &m);
	assert_int_equal(m.yiaddr, ip);
	return ip;
}

static void
test_service(void **state)
{
	struct t_svc *t = *state;
	struct sw *e = &t->hub->engine;
	struct dhcpport_info di;
	const struct iptable_e4 *ie;
	uint32_t ip1, ip2, a;
	char *text;
	unsigned i;

	assert_int_equal(dhcpport_sync(t->srv, t->hub), 0);
	assert_non_null(t->hub->dhcp);
	assert_int_equal(e->nports, 3);
	assert_int_equal(dhcpport_info(t->hub, &di), 1);
	assert_int_equal(di.server, T_IP(10, 1, 2, 1));
	assert_int_equal(di.prefix, 24);

	/* A new address is probed by ARP (from 0.0.0.0) before it is
	 * offered; nobody answers: offered, requested, acknowledged. */
	t_send_dhcp(t, &t->a, mac1, DHCP_DISCOVER, 0, 0, 0);
	i = t_wait(t, &t->a, 0, NULL, 1, T_IP(10, 1, 2, 10), NULL);
	assert_memory_equal(t->rx[i] + 28, "\0\0\0\0", 4);
	ip1 = t_lease(t, &t->a, mac1);
	assert_int_equal(ip1, T_IP(10, 1, 2, 10));
	/* The ACK went through the snooping: the IP table binds it. */
	a = htonl(ip1);
	assert_ptr_equal(iptable_lookup4(&e->ips, a, clock_now_ms()), &t->a);
	ie = iptable_probe4(&e->ips, a, iptable_hash4(&e->ips, a));
	assert_int_equal(ie->source, IPTABLE_DHCP);

	/* The next address's probe is answered by another host: it is
	 * not offered; the one after it is. */
	t->nrx = 0;
	t_send_dhcp(t, &t->b, mac2, DHCP_DISCOVER, 0, 0, 0);
	i = t_wait(t, &t->b, 0, NULL, 1, T_IP(10, 1, 2, 11), NULL);
	t_send_arp(t, &t->b, other, 2, t->rx[i] + 6, T_IP(10, 1, 2, 11), 0);
	ip2 = t_lease(t, &t->b, mac2);
	assert_int_equal(ip2, T_IP(10, 1, 2, 12));
	assert_int_equal(dhcpport_info(t->hub, &di), 1);
	assert_int_equal(di.st.conflicts, 1);
	assert_int_equal(di.leases, 2);

	/* The pool is used up: no offer, said once. */
	t_send_dhcp(t, &t->b, mac3, DHCP_DISCOVER, 0, 0, 0);
	t_send_dhcp(t, &t->b, mac3, DHCP_DISCOVER, 0, 0, 0);
	t_turn(t, 700);
	assert_int_equal(dhcpport_info(t->hub, &di), 1);
	assert_int_equal(di.st.pool_empty, 2);
	assert_int_equal(t->warns_empty, 1);

	/* Malformed: dropped and counted. */
	t_send_dhcp(t, &t->b, mac3, DHCP_DISCOVER, 0, 0, 1);
	assert_int_equal(dhcpport_info(t->hub, &di), 1);
	assert_int_equal(di.st.malformed[DHCP_E_UDP_CSUM], 1);
	assert_int_equal(dhcpport_malformed(&di.st), 1);
	/* Oversized: a jumbo frame that says it is a DHCP message. */
	{
		static uint8_t big[4000];
		struct dhcp_msg m;
		size_t len;
		memset(&m, 0, sizeof m);
		memset(m.eth_dst, 0xff, 6);
		memcpy(m.eth_src, mac3, 6);
		m.ip_dst = 0xffffffffu;
		m.sport = PROTO_DHCP_CLIENT_PORT;
		m.dport = PROTO_DHCP_SERVER_PORT;
		m.op = DHCP_BOOTREQUEST;
		memcpy(m.chaddr, mac3, 6);
		m.type = DHCP_DISCOVER;
		assert_true((len = dhcp_build(&m, big, sizeof big)) > 0);
		sw_forward(e, &t->b, NULL, big, sizeof big, clock_now_ms());
	}
	assert_int_equal(dhcpport_info(t->hub, &di), 1);
	assert_int_equal(di.st.malformed[DHCP_E_TOO_BIG], 1);

	/* The server's own address answers ARP. */
	t->nrx = 0;
	t_send_arp(t, &t->a, mac1, 1, (const uint8_t *)"\xff\xff\xff\xff\xff"
	    "\xff", ip1, T_IP(10, 1, 2, 1));
	i = t_wait(t, &t->a, 0, NULL, 2, ip1, NULL);
	assert_memory_equal(t->rx[i], mac1, 6);

	/* The lease file within a second or so. */
	t_turn(t, 1300);
	assert_non_null(text = slurp(t->leases));
	assert_non_null(strstr(text, "10.1.2.10 5e:00:00:00:11:01 bound "));
	assert_non_null(strstr(text, "10.1.2.12 5e:00:00:00:11:02 bound "));
	assert_non_null(strstr(text, "10.1.2.11 - declined "));
	free(text);

	/* Stopped and started: the leases are back, and mac1 is offered its
	 * address at once (no probe: it holds it). */
	t_send_dhcp(t, &t->a, mac1, DHCP_RELEASE, 0, T_IP(10, 1, 2, 1), 0);
	dhcpport_stop(t->hub);
	assert_null(t->hub->dhcp);
	assert_int_equal(e->nports, 2);
	assert_int_equal(dhcpport_sync(t->srv, t->hub), 0);
	assert_int_equal(dhcpport_info(t->hub, &di), 1);
	assert_int_equal(di.leases, 2);
	t->nrx = 0;
	t_send_dhcp(t, &t->b, mac2, DHCP_DISCOVER, 0, 0, 0);
	t_wait(t, &t->b, DHCP_OFFER, mac2, 0, 0, NULL);
	for (i = 0; i < t->nrx; i++)
		assert_false(t->rx[i][12] == 0x08 && t->rx[i][13] == 0x06);

	/* A reload that narrows the range: the lease that no longer fits
	 * goes, the other stays. */
	struct hubconf old = t->cfg;
	t_config(t, "{enabled: true, range: \"10.1.2.12-10.1.2.20\", "
	    "netmask: 255.255.255.0, router: 10.1.2.254, lease: 600}");
	t->srv->cfg = &t->cfg;
	t->hub->cfg = &t->cfg.hubs[0];
	hubconf_free(&old);
	assert_int_equal(dhcpport_sync(t->srv, t->hub), 0);
	assert_int_equal(dhcpport_info(t->hub, &di), 1);
	assert_int_equal(di.first, T_IP(10, 1, 2, 12));
	assert_int_equal(di.leases, 1);
	/* The same settings again: nothing changes. */
	assert_int_equal(dhcpport_sync(t->srv, t->hub), 0);

	/* Off. */
	old = t->cfg;
	t_config(t, "{enabled: false}");
	t->srv->cfg = &t->cfg;
	t->hub->cfg = &t->cfg.hubs[0];
	hubconf_free(&old);
	assert_int_equal(dhcpport_sync(t->srv, t->hub), 0);
	assert_null(t->hub->dhcp);
	assert_int_equal(dhcpport_info(t->hub, &di), 0);
	assert_int_equal(e->nports, 2);
}

static void
test_files_damaged(void **state)
{
	struct t_svc *t = *state;
	struct dhcpport_info di;
	FILE *f;
	char *text;

	/* A lease file cut short: said so, what it holds is taken. */
	assert_non_null(f = fopen(t->leases, "w"));
	fprintf(f, "softether-dhcp-leases 1\n"
	    "10.1.2.10 5e:00:00:00:11:01 bound 99999999999 u\n"
	    "10.1.2.11 5e:00:00:00:11:02 bou");
	fclose(f);
	assert_int_equal(dhcpport_sync(t->srv, t->hub), 0);
	assert_int_equal(t->warns_file, 1);
	assert_int_equal(dhcpport_info(t->hub, &di), 1);
	assert_int_equal(di.leases, 1);
	dhcpport_stop(t->hub);
	/* Rewritten whole at stop. */
	assert_non_null(text = slurp(t->leases));
	assert_null(strstr(text, "bou\n"));
	assert_non_null(strstr(text, "10.1.2.10 5e:00:00:00:11:01 bound "));
	free(text);

	/* Not a lease file at all: started with none. */
	assert_non_null(f = fopen(t->leases, "w"));
	fprintf(f, "\x7f" "ELF garbage\n");
	fclose(f);
	assert_int_equal(dhcpport_sync(t->srv, t->hub), 0);
	assert_int_equal(dhcpport_info(t->hub, &di), 1);
	assert_int_equal(di.leases, 0);
	dhcpport_stop(t->hub);

	/* Picked: a /24 kept in the subnet file, and read back. */
	struct hubconf old = t->cfg;
	t_config(t, "{enabled: true}");
	t->srv->cfg = &t->cfg;
	t->hub->cfg = &t->cfg.hubs[0];
	hubconf_free(&old);
	assert_int_equal(dhcpport_sync(t->srv, t->hub), 0);
	assert_int_equal(dhcpport_info(t->hub, &di), 1);
	assert_true(di.picked);
	assert_true(is_private_24(di.net));
	assert_int_equal(di.server, di.net + 1);
	assert_non_null(text = slurp(t->subnet));
	uint32_t net;
	assert_int_equal(dhcpport_parse_subnet(text, strlen(text), &net), 0);
	assert_int_equal(net, di.net);
	free(text);
	dhcpport_stop(t->hub);
	assert_int_equal(dhcpport_sync(t->srv, t->hub), 0);
	assert_int_equal(dhcpport_info(t->hub, &di), 1);
	assert_int_equal(di.net, net);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_goldens),
		cmocka_unit_test(test_parsed),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_server_rule),
		cmocka_unit_test(test_pick_subnet),
		cmocka_unit_test(test_host_nets),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_conf),
		cmocka_unit_test_setup_teardown(test_service, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_files_damaged, t_setup,
		    t_teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
