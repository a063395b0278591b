/*
 * hubconf.c: the hub's configuration schema: one cfgload.c key table per
 * mapping level (a key is one row), the embedded default, and the hub's own
 * rules.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cfgload.h"
#include "dhcp.h"
#include "ether.h"
#include "hubconf.h"
#include "nic.h"
#include "proto.h"
#include "pubkey.h"
#include "tcpcc.h"

/* state_dir leaves room for the file names kept under it. */
#define HUBCONF_STATE_MAX	((uint32_t)PATH_MAX - 64u)

#define HUBCONF_POL_BOOL(k) \
	{ .name = #k, .type = CFG_BOOL, \
	  .off = offsetof(struct hubconf_policy, p.k) }
#define HUBCONF_POL_UINT(k) \
	{ .name = #k, .type = CFG_UINT, \
	  .off = offsetof(struct hubconf_policy, p.k), .min = 0, .max = 65535 }

/* A hub's default_policy and a user's policy: the same keys. */
static const struct cfg_key hubconf_policy_keys[] = {
	HUBCONF_POL_BOOL(deny_access),
	HUBCONF_POL_BOOL(deny_reconnect),
	HUBCONF_POL_BOOL(force_dhcp_ip),
	HUBCONF_POL_UINT(max_ip),
	HUBCONF_POL_UINT(max_ip6),
	HUBCONF_POL_UINT(max_mac),
	HUBCONF_POL_BOOL(deny_duplicate_ip),
	HUBCONF_POL_BOOL(deny_duplicate_mac),
	HUBCONF_POL_BOOL(deny_broadcast),
	HUBCONF_POL_BOOL(deny_dhcp_server),
	HUBCONF_POL_BOOL(filter_dhcp),
	HUBCONF_POL_BOOL(ipv6_ra_filter),
	HUBCONF_POL_UINT(max_sessions),
};
_Static_assert(CFG_NKEYS(hubconf_policy_keys) <= CFG_MAX_KEYS &&
    CFG_NKEYS(hubconf_policy_keys) <= 32, "the set mask holds every key");
const struct cfg_table hubconf_policy_table = {
	.what = "policy", .keys = hubconf_policy_keys,
	.nkeys = CFG_NKEYS(hubconf_policy_keys),
	.has_set = 1, .set_off = offsetof(struct hubconf_policy, set),
};

static const struct cfg_key hubconf_user_keys[] = {
	{ .name = "name", .type = CFG_NAME, .flags = CFG_REQUIRED,
	  .off = offsetof(struct hubconf_user, name),
	  .min = 1, .max = PROTO_MAX_NAME, .extra = "._@-" },
	{ .name = "password", .type = CFG_HASH,
	  .off = offsetof(struct hubconf_user, password),
	  .help = "make one with: softether --hash-password" },
	{ .name = "public_key", .type = CFG_STR,
	  .off = offsetof(struct hubconf_user, public_key),
	  .min = 1, .max = 128, .check = pubkey_check,
	  .help = "make one with: softether --gen-key FILE" },
	{ .name = "policy", .type = CFG_MAP, .flags = CFG_QUIET,
	  .off = offsetof(struct hubconf_user, policy),
	  .sub = &hubconf_policy_table },
};
static const struct cfg_table hubconf_user_table = {
	.what = "user", .keys = hubconf_user_keys,
	.nkeys = CFG_NKEYS(hubconf_user_keys),
	.has_line = 1, .line_off = offsetof(struct hubconf_user, line),
	.col_off = offsetof(struct hubconf_user, col),
};
const struct cfg_key hubconf_user_elem = {
	.type = CFG_MAP, .size = sizeof(struct hubconf_user),
	.sub = &hubconf_user_table
};

/* ---- dhcp: ------------------------------------------------------------ */

#define HUBCONF_BCAST	0xffffffffu

static int
hubconf_check_ip(const char *s, char *why, size_t whylen)
{
	uint32_t ip;

	if (dhcp_parse_ip(s, &ip) == 0 && ip != 0 && ip != HUBCONF_BCAST)
		return 0;
	snprintf(why, whylen, "expected an IPv4 address a.b.c.d");
	return -1;
}

/* A contiguous netmask, /8 to /30 (what the server takes). */
static int
hubconf_mask_ok(uint32_t mask)
{
	uint32_t inv = ~mask;

	return (inv & (inv + 1)) == 0 && mask >= 0xff000000u &&
	    mask <= 0xfffffffcu;
}

static int
hubconf_check_mask(const char *s, char *why, size_t whylen)
{
	uint32_t m;

	if (dhcp_parse_ip(s, &m) == 0 && hubconf_mask_ok(m))
		return 0;
	snprintf(why, whylen, "expected a netmask from 255.0.0.0 to "
	    "255.255.255.252, e.g. 255.255.255.0");
	return -1;
}

/* "FIRST-LAST", spaces allowed around the dash. */
static int
hubconf_parse_range(const char *s, uint32_t *first, uint32_t *last)
{
	char a[DHCP_IP_STR], b[DHCP_IP_STR];
	const char *dash = strchr(s, '-');
	size_t al, bl;

	if (dash == NULL)
		return -1;
	for (al = (size_t)(dash - s); al > 0 && s[al - 1] == ' '; al--)
		;
	while (*++dash == ' ')
		;
	bl = strlen(dash);
	if (al == 0 || al >= sizeof a || bl == 0 || bl >= sizeof b)
		return -1;
	memcpy(a, s, al);
	a[al] = '\0';
	memcpy(b, dash, bl + 1);
	return dhcp_parse_ip(a, first) == 0 && dhcp_parse_ip(b, last) == 0 &&
	    *first != 0 ? 0 : -1;
}

static int
hubconf_check_range(const char *s, char *why, size_t whylen)
{
	uint32_t f, l;

	if (hubconf_parse_range(s, &f, &l) == 0)
		return 0;
	snprintf(why, whylen, "expected FIRST-LAST, two IPv4 addresses, e.g. "
	    "\"192.168.30.10-192.168.30.200\"");
	return -1;
}

static const struct cfg_key hubconf_dhcp_static_keys[] = {
	{ .name = "ip", .type = CFG_STR, .flags = CFG_REQUIRED,
	  .off = offsetof(struct hubconf_dhcp_static, ip),
	  .min = 1, .max = 64, .check = hubconf_check_ip },
	{ .name = "user", .type = CFG_NAME,
	  .off = offsetof(struct hubconf_dhcp_static, user),
	  .min = 1, .max = PROTO_MAX_NAME, .extra = "._@-" },
	{ .name = "mac", .type = CFG_STR,
	  .off = offsetof(struct hubconf_dhcp_static, mac),
	  .min = 1, .max = 64, .check = ether_mac_ok },
};
static const struct cfg_table hubconf_dhcp_static_table = {
	.what = "static lease", .keys = hubconf_dhcp_static_keys,
	.nkeys = CFG_NKEYS(hubconf_dhcp_static_keys),
	.has_line = 1,
	.line_off = offsetof(struct hubconf_dhcp_static, line),
	.has_set = 1, .set_off = offsetof(struct hubconf_dhcp_static, set),
	.has_marks = 1,
	.marks_off = offsetof(struct hubconf_dhcp_static, marks),
};
static const struct cfg_key hubconf_dhcp_static_elem = {
	.type = CFG_MAP, .size = sizeof(struct hubconf_dhcp_static),
	.sub = &hubconf_dhcp_static_table
};
static const struct cfg_key hubconf_dhcp_dns_elem = {
	.type = CFG_STR, .flags = CFG_REQUIRED, .size = sizeof(char *),
	.min = 7, .max = 15, .check = hubconf_check_ip,
};

static const struct cfg_key hubconf_dhcp_keys[] = {
	{ .name = "enabled", .type = CFG_BOOL,
	  .off = offsetof(struct hubconf_dhcp, enabled) },
	{ .name = "range", .type = CFG_STR,
	  .off = offsetof(struct hubconf_dhcp, range),
	  .min = 1, .max = 64, .check = hubconf_check_range },
	{ .name = "netmask", .type = CFG_STR,
	  .off = offsetof(struct hubconf_dhcp, netmask),
	  .min = 1, .max = 64, .check = hubconf_check_mask },
	{ .name = "server", .type = CFG_STR,
	  .off = offsetof(struct hubconf_dhcp, server),
	  .min = 1, .max = 64, .check = hubconf_check_ip },
	{ .name = "router", .type = CFG_STR,
	  .off = offsetof(struct hubconf_dhcp, router),
	  .min = 1, .max = 64, .check = hubconf_check_ip },
	{ .name = "dns", .type = CFG_LIST,
	  .off = offsetof(struct hubconf_dhcp, dns),
	  .count_off = offsetof(struct hubconf_dhcp, ndns),
	  .min = 0, .max = HUBCONF_DHCP_MAX_DNS,
	  .elem = &hubconf_dhcp_dns_elem },
	{ .name = "domain", .type = CFG_NAME,
	  .off = offsetof(struct hubconf_dhcp, domain),
	  .min = 1, .max = 253, .extra = ".-" },
	{ .name = "lease", .type = CFG_UINT,
	  .off = offsetof(struct hubconf_dhcp, lease_s),
	  .min = HUBCONF_DHCP_MIN_LEASE_S, .max = HUBCONF_DHCP_MAX_LEASE_S },
	{ .name = "static", .type = CFG_LIST,
	  .off = offsetof(struct hubconf_dhcp, statics),
	  .count_off = offsetof(struct hubconf_dhcp, nstatics),
	  .min = 0, .max = HUBCONF_DHCP_MAX_STATIC,
	  .elem = &hubconf_dhcp_static_elem },
};
static const struct cfg_table hubconf_dhcp_table = {
	.what = "dhcp", .keys = hubconf_dhcp_keys,
	.nkeys = CFG_NKEYS(hubconf_dhcp_keys),
	.has_line = 1, .line_off = offsetof(struct hubconf_dhcp, line),
	.has_set = 1, .set_off = offsetof(struct hubconf_dhcp, set),
	.has_marks = 1, .marks_off = offsetof(struct hubconf_dhcp, marks),
};

static const struct cfg_key hubconf_hub_keys[] = {
	{ .name = "name", .type = CFG_NAME, .flags = CFG_REQUIRED,
	  .off = offsetof(struct hubconf_hub, name),
	  .min = 1, .max = PROTO_MAX_NAME, .extra = "._-" },
	{ .name = "online", .type = CFG_BOOL,
	  .off = offsetof(struct hubconf_hub, online), .def = "true" },
	{ .name = "mac_aging", .type = CFG_UINT,
	  .off = offsetof(struct hubconf_hub, mac_aging_s),
	  .min = 10, .max = 86400, .def = "300" },
	{ .name = "max_sessions", .type = CFG_UINT,
	  .off = offsetof(struct hubconf_hub, max_sessions),
	  .min = 1, .max = 65536, .def = "1024" },
	{ .name = "default_policy", .type = CFG_MAP,
	  .off = offsetof(struct hubconf_hub, default_policy),
	  .sub = &hubconf_policy_table },
	{ .name = "users", .type = CFG_LIST, .flags = CFG_UNIQUE,
	  .off = offsetof(struct hubconf_hub, users),
	  .count_off = offsetof(struct hubconf_hub, nusers),
	  .min = 0, .max = HUBCONF_MAX_USERS, .def = "[]",
	  .elem = &hubconf_user_elem },
	{ .name = "dhcp", .type = CFG_MAP, .flags = CFG_QUIET,
	  .off = offsetof(struct hubconf_hub, dhcp),
	  .sub = &hubconf_dhcp_table },
};
_Static_assert(CFG_NKEYS(hubconf_hub_keys) <= CFG_MAX_KEYS, "seen[] holds them");
static const struct cfg_table hubconf_hub_table = {
	.what = "hub", .keys = hubconf_hub_keys,
	.nkeys = CFG_NKEYS(hubconf_hub_keys),
};
static const struct cfg_key hubconf_hub_elem = {
	.type = CFG_MAP, .size = sizeof(struct hubconf_hub),
	.sub = &hubconf_hub_table
};

static const struct cfg_key hubconf_bridge_keys[] = {
	{ .name = "interface", .type = CFG_NAME, .flags = CFG_REQUIRED,
	  .off = offsetof(struct hubconf_bridge, interface),
	  .min = 1, .max = 15, .extra = "._-@",
	  .help = "a Linux interface name, e.g. eth1" },
	{ .name = "hub", .type = CFG_NAME, .flags = CFG_REQUIRED,
	  .off = offsetof(struct hubconf_bridge, hub),
	  .min = 1, .max = PROTO_MAX_NAME, .extra = "._-" },
	{ .name = "policy", .type = CFG_MAP, .flags = CFG_QUIET,
	  .off = offsetof(struct hubconf_bridge, policy),
	  .sub = &hubconf_policy_table },
};
static const struct cfg_table hubconf_bridge_table = {
	.what = "bridge", .keys = hubconf_bridge_keys,
	.nkeys = CFG_NKEYS(hubconf_bridge_keys),
	.has_line = 1, .line_off = offsetof(struct hubconf_bridge, line),
};
static const struct cfg_key hubconf_bridge_elem = {
	.type = CFG_MAP, .size = sizeof(struct hubconf_bridge),
	.sub = &hubconf_bridge_table
};

static const struct cfg_key hubconf_cascade_keys[] = {
	{ .name = "name", .type = CFG_NAME, .flags = CFG_REQUIRED,
	  .off = offsetof(struct hubconf_cascade, name),
	  .min = 1, .max = HUBCONF_CASCADE_NAME, .extra = "._-",
	  .help = "names it in logs and status, e.g. to-tokyo" },
	{ .name = "hub", .type = CFG_NAME, .flags = CFG_REQUIRED,
	  .off = offsetof(struct hubconf_cascade, hub),
	  .min = 1, .max = PROTO_MAX_NAME, .extra = "._-" },
	{ .name = "link", .type = CFG_MAP, .flags = CFG_REQUIRED,
	  .off = offsetof(struct hubconf_cascade, link),
	  .sub = &nicconf_table },
	{ .name = "policy", .type = CFG_MAP, .flags = CFG_QUIET,
	  .off = offsetof(struct hubconf_cascade, policy),
	  .sub = &hubconf_policy_table },
};
static const struct cfg_table hubconf_cascade_table = {
	.what = "cascade", .keys = hubconf_cascade_keys,
	.nkeys = CFG_NKEYS(hubconf_cascade_keys),
	.has_line = 1, .line_off = offsetof(struct hubconf_cascade, line),
};
static const struct cfg_key hubconf_cascade_elem = {
	.type = CFG_MAP, .size = sizeof(struct hubconf_cascade),
	.sub = &hubconf_cascade_table
};

static const struct cfg_key hubconf_listen_elem = {
	.type = CFG_ADDR, .flags = CFG_REQUIRED, .size = sizeof(char *),
	.help = "e.g. 0.0.0.0:443, [::]:443 or *:443"
};

static const struct cfg_key hubconf_tls_keys[] = {
	{ .name = "cert", .type = CFG_PATH,
	  .off = offsetof(struct hubconf, tls_cert),
	  .min = 1, .max = CFG_PATH_MAX, .derive = "hub.crt" },
	{ .name = "key", .type = CFG_PATH,
	  .off = offsetof(struct hubconf, tls_key),
	  .min = 1, .max = CFG_PATH_MAX, .derive = "hub.key" },
};
static const struct cfg_table hubconf_tls_table = {
	.what = "tls", .keys = hubconf_tls_keys,
	.nkeys = CFG_NKEYS(hubconf_tls_keys),
};

static const struct cfg_key hubconf_log_keys[] = {
	{ .name = "level", .type = CFG_LEVEL,
	  .off = offsetof(struct hubconf, log_level), .def = "info" },
};
static const struct cfg_table hubconf_log_table = {
	.what = "log", .keys = hubconf_log_keys,
	.nkeys = CFG_NKEYS(hubconf_log_keys),
};

static const struct cfg_key hubconf_admin_keys[] = {
	{ .name = "listen", .type = CFG_ADDR,
	  .off = offsetof(struct hubconf, admin.listen),
	  .def = "\"" HUBCONF_ADMIN_LISTEN "\"",
	  .help = "e.g. 127.0.0.1:8023" },
	{ .name = "password", .type = CFG_HASH,
	  .off = offsetof(struct hubconf, admin.password),
	  .help = "make one with: softether --hash-password" },
	{ .name = "public_key", .type = CFG_STR,
	  .off = offsetof(struct hubconf, admin.public_key),
	  .min = 1, .max = 128, .check = pubkey_check,
	  .help = "make one with: softether --gen-key FILE" },
	{ .name = "allow_remote", .type = CFG_BOOL,
	  .off = offsetof(struct hubconf, admin.allow_remote), .def = "false" },
};
static const struct cfg_table hubconf_admin_table = {
	.what = "admin", .keys = hubconf_admin_keys,
	.nkeys = CFG_NKEYS(hubconf_admin_keys),
};

static const struct cfg_key hubconf_metrics_keys[] = {
	{ .name = "listen", .type = CFG_ADDR,
	  .off = offsetof(struct hubconf_metrics, listen),
	  .help = "e.g. 127.0.0.1:9100" },
};
static const struct cfg_table hubconf_metrics_table = {
	.what = "metrics", .keys = hubconf_metrics_keys,
	.nkeys = CFG_NKEYS(hubconf_metrics_keys),
	.has_set = 1, .set_off = offsetof(struct hubconf_metrics, set),
};

#define HUBCONF_LIMIT(k, f, lo, hi, d) \
	{ .name = k, .type = CFG_UINT, \
	  .off = offsetof(struct hubconf, limits.f), .min = lo, .max = hi, \
	  .def = d }
static const struct cfg_key hubconf_limits_keys[] = {
	HUBCONF_LIMIT("pending", pending, 0, 1000000, "0"),
	HUBCONF_LIMIT("resume_reserve", resume_reserve, 0, 1000000, "0"),
	HUBCONF_LIMIT("per_source", per_source, 1, 65536, "32"),
	HUBCONF_LIMIT("rate", rate, 1, 100000, "16"),
	HUBCONF_LIMIT("burst", burst, 1, 100000, "64"),
	HUBCONF_LIMIT("ipv6_prefix", ipv6_prefix, 32, 128, "64"),
	{ .name = "first_byte", .type = CFG_SECONDS,
	  .off = offsetof(struct hubconf, limits.first_byte_ms),
	  .min = 500, .max = 60000, .def = "3" },
	HUBCONF_LIMIT("queue_memory", queue_mib, 0, 1u << 20, "0"),
};
static const struct cfg_table hubconf_limits_table = {
	.what = "limits", .keys = hubconf_limits_keys,
	.nkeys = CFG_NKEYS(hubconf_limits_keys),
	.has_line = 1, .line_off = offsetof(struct hubconf, limits.line),
};

static const struct cfg_key hubconf_top_keys[] = {
	{ .name = "listen", .type = CFG_LIST,
	  .off = offsetof(struct hubconf, listen),
	  .count_off = offsetof(struct hubconf, nlisten),
	  .min = 1, .max = HUBCONF_MAX_LISTEN,
	  .def = "[\"0.0.0.0:443\", \"[::]:443\", "
	      "\"0.0.0.0:7777\", \"[::]:7777\"]",
	  .elem = &hubconf_listen_elem },
	{ .name = "tcp_congestion", .type = CFG_NAME,
	  .off = offsetof(struct hubconf, tcp_congestion),
	  .min = 1, .max = TCPCC_NAME_MAX, .extra = "_-",
	  .def = TCPCC_SYSTEM,
	  .help = "a name from net.ipv4.tcp_available_congestion_control, "
	      "or " TCPCC_SYSTEM " for the host's" },
	{ .name = "state_dir", .type = CFG_PATH,
	  .off = offsetof(struct hubconf, state_dir),
	  .min = 1, .max = HUBCONF_STATE_MAX, .def = HUBCONF_DEFAULT_STATE },
	{ .name = "user", .type = CFG_NAME,
	  .off = offsetof(struct hubconf, user),
	  .min = 1, .max = 32, .extra = "._-", .def = "softether",
	  .help = "the hub becomes this user once its ports are open" },
	{ .name = "tls", .type = CFG_MAP, .sub = &hubconf_tls_table },
	{ .name = "log", .type = CFG_MAP, .sub = &hubconf_log_table },
	{ .name = "admin", .type = CFG_MAP, .sub = &hubconf_admin_table },
	{ .name = "metrics", .type = CFG_MAP, .flags = CFG_QUIET,
	  .off = offsetof(struct hubconf, metrics),
	  .sub = &hubconf_metrics_table },
	{ .name = "limits", .type = CFG_MAP, .sub = &hubconf_limits_table },
	{ .name = "hubs", .type = CFG_LIST, .flags = CFG_UNIQUE,
	  .off = offsetof(struct hubconf, hubs),
	  .count_off = offsetof(struct hubconf, nhubs),
	  .min = 1, .max = HUBCONF_MAX_HUBS,
	  .def = "[{name: DEFAULT, default_policy: {deny_duplicate_mac: true, "
	      "deny_duplicate_ip: true, deny_dhcp_server: true, "
	      "ipv6_ra_filter: true, max_mac: 16}, dhcp: {enabled: true}}]",
	  .elem = &hubconf_hub_elem },
	{ .name = "bridges", .type = CFG_LIST, .flags = CFG_UNIQUE,
	  .off = offsetof(struct hubconf, bridges),
	  .count_off = offsetof(struct hubconf, nbridges),
	  .min = 0, .max = HUBCONF_MAX_BRIDGES, .def = "[]",
	  .elem = &hubconf_bridge_elem },
	{ .name = "cascades", .type = CFG_LIST, .flags = CFG_UNIQUE,
	  .off = offsetof(struct hubconf, cascades),
	  .count_off = offsetof(struct hubconf, ncascades),
	  .min = 0, .max = HUBCONF_MAX_CASCADES, .def = "[]",
	  .elem = &hubconf_cascade_elem },
};
static const struct cfg_table hubconf_top_table = {
	.what = "config", .keys = hubconf_top_keys,
	.nkeys = CFG_NKEYS(hubconf_top_keys),
};

const char hubconf_default_yaml[] =
    "# softether hub: the built-in configuration, used when no file is\n"
    "# given. Every key is optional; config.yaml.example documents them.\n"
    "\n"
    "# Addresses to accept clients on; \"*:PORT\" means 0.0.0.0 and [::].\n"
    "listen:\n"
    "  - \"0.0.0.0:443\"\n"
    "  - \"[::]:443\"\n"
    "  - \"0.0.0.0:7777\"\n"
    "  - \"[::]:7777\"\n"
    "\n"
    "# TCP congestion control of the tunnel's connections: system (the\n"
    "# host's choice), or one the kernel has, e.g. cubic or bbr.\n"
    "tcp_congestion: " TCPCC_SYSTEM "\n"
    "\n"
    "# Holds the TLS certificate and key (created on first start).\n"
    "state_dir: " HUBCONF_DEFAULT_STATE "\n"
    "\n"
    "# Who the hub becomes once its ports are open (nobody if this user\n"
    "# does not exist; root to stay root).\n"
    "user: softether\n"
    "\n"
    "log:\n"
    "  level: info      # error, warn, info or debug\n"
    "\n"
    "# The management console (telnet 127.0.0.1 8023); closed until\n"
    "# admin.password holds a hash (softether --hash-password).\n"
    "admin:\n"
    "  listen: \"" HUBCONF_ADMIN_LISTEN "\"\n"
    "\n"
    "# Prometheus metrics (GET /metrics), off until an address is given:\n"
    "# metrics: {listen: \"127.0.0.1:9100\"}\n"
    "\n"
    "# Before login: connections at once (0: sized from memory), the share\n"
    "# kept for resumes (0: an eighth), and per source (an IPv4 address or\n"
    "# an IPv6 /64): at once, new per second, and after a pause.\n"
    "limits:\n"
    "  pending: 0\n"
    "  resume_reserve: 0\n"
    "  per_source: 32\n"
    "  rate: 16\n"
    "  burst: 64\n"
    "  ipv6_prefix: 64\n"
    "  first_byte: 3    # seconds for a new connection's first byte\n"
    "  queue_memory: 0  # MiB all sessions may queue (0: an eighth of RAM)\n"
    "\n"
    "# One virtual switch; add users (softether --hash-password) to log in.\n"
    "hubs:\n"
    "  - name: DEFAULT\n"
    "    online: true\n"
    "    mac_aging: 300\n"
    "    max_sessions: 1024\n"
    "    # What every user may do on the wire (a user's policy: overrides it\n"
    "    # key by key; a bridge of a LAN needs max_mac: 0 and, if the LAN\n"
    "    # has one, deny_dhcp_server: false).\n"
    "    default_policy:\n"
    "      deny_duplicate_mac: true  # no taking over another's MAC\n"
    "      deny_duplicate_ip: true   # ... or address (ARP and ND checked)\n"
    "      deny_dhcp_server: true    # no rogue DHCP servers\n"
    "      ipv6_ra_filter: true      # no rogue IPv6 routers or redirects\n"
    "      max_mac: 16               # a card needs one; 0: up to 4096\n"
    "    users: []\n"
    "    # Cards' addresses by DHCP, from a private /24 picked at first\n"
    "    # start that none of this host's networks uses (kept in the state\n"
    "    # directory). Or say which: range: \"192.168.30.10-192.168.30.200\",\n"
    "    # netmask: \"255.255.255.0\", router, dns, domain, lease, static.\n"
    "    dhcp:\n"
    "      enabled: true\n"
    "\n"
    "# Local interfaces on a hub: [{interface: eth1, hub: DEFAULT}]\n"
    "bridges: []\n"
    "\n"
    "# Hubs of other servers a hub here plugs into, as a card would:\n"
    "# [{name: to-b, hub: DEFAULT, link: {connect: \"b.example:443\",\n"
    "#   user: link-a, password_file: /etc/softether/link.pw}}]\n"
    "cascades: []\n";


static int
hubconf_override(struct cfg_ctx *c, struct hubconf *cfg, const char *dir)
{
	char show[CFG_SHOW + 4];
	size_t len = strlen(dir);
	char *v;

	if (dir[0] != '/' || len > HUBCONF_STATE_MAX ||
	    cfg_has_control(dir, len))
		return cfg_err(c, NULL, "state directory '%s' given on the "
		    "command line: expected an absolute path of at most %u "
		    "bytes", cfg_show(show, dir, len), HUBCONF_STATE_MAX);
	if ((v = strdup(dir)) == NULL)
		return cfg_oom(c);
	free(cfg->state_dir);
	cfg->state_dir = v;
	return 0;
}

/* The console's password crosses the network in the clear unless it
 * listens on loopback: that takes a decision, not a default. */
static int
hubconf_admin_check(struct cfg_ctx *c, const struct hubconf *cfg)
{
	const char *l = cfg->admin.listen;

	if (l == NULL || cfg->admin.allow_remote ||
	    strncmp(l, "127.", 4) == 0 || strncmp(l, "[::1]:", 6) == 0)
		return 0;
	return cfg_err(c, NULL, "admin.listen: %s is not a loopback address; "
	    "set admin.allow_remote: true to accept the console from the "
	    "network (its password travels in the clear there)", l);
}

/* An effective policy: the keys pol was given, the rest from def. */
static void
hubconf_overlay(struct hubconf_policy *pol, const struct hubconf_policy *def)
{
	for (size_t n = 0; n < CFG_NKEYS(hubconf_policy_keys); n++) {
		const struct cfg_key *k = &hubconf_policy_keys[n];
		if (pol->set & 1u << n)
			continue;
		memcpy((char *)pol + k->off, (const char *)def + k->off,
		    k->type == CFG_BOOL ? sizeof(bool) : sizeof(uint32_t));
	}
}

/* Each user's and bridge's effective policy: the hub's default, then its
 * own keys. */
void
hubconf_resolve(struct hubconf *cfg)
{
	size_t ms = 0;

	while (strcmp(hubconf_policy_keys[ms].name, "max_sessions") != 0)
		ms++;
	for (size_t i = 0; i < cfg->nhubs; i++) {
		struct hubconf_hub *hub = &cfg->hubs[i];
		for (size_t j = 0; j < hub->nusers; j++) {
			struct hubconf_policy *p = &hub->users[j].policy;
			hubconf_overlay(p, &hub->default_policy);
			/* Said nowhere: a limit, not unlimited. */
			if (!((p->set | hub->default_policy.set) & 1u << ms))
				p->p.max_sessions = HUBCONF_USER_SESSIONS;
		}
	}
	for (size_t i = 0; i < cfg->nbridges; i++) {
		struct hubconf_bridge *b = &cfg->bridges[i];
		const struct hubconf_hub *bh = hubconf_find_hub(cfg, b->hub);
		/* An unknown hub: hubconf_bridges_check says so. */
		if (bh != NULL)
			hubconf_overlay(&b->policy, &bh->default_policy);
	}
	for (size_t i = 0; i < cfg->ncascades; i++) {
		struct hubconf_cascade *k = &cfg->cascades[i];
		const struct hubconf_hub *kh = hubconf_find_hub(cfg, k->hub);
		/* An unknown hub: hubconf_cascades_check says so. */
		if (kh != NULL)
			hubconf_overlay(&k->policy, &kh->default_policy);
	}
}

/* The share kept for resumes is a share. */
static int
hubconf_limits_check(struct cfg_ctx *c, const struct hubconf *cfg)
{
	const struct hubconf_limits *l = &cfg->limits;
	yaml_mark_t m = { 0, l->line > 0 ? (size_t)l->line - 1 : 0, 0 };

	if (l->pending != 0 && l->resume_reserve >= l->pending)
		return cfg_err(c, l->line > 0 ? &m : NULL,
		    "limits.resume_reserve: %u must be "
		    "less than limits.pending (%u)", l->resume_reserve,
		    l->pending);
	return 0;
}

/* Every bridge names a hub that exists. */
static int
hubconf_bridges_check(struct cfg_ctx *c, const struct hubconf *cfg)
{
	for (size_t i = 0; i < cfg->nbridges; i++) {
		const struct hubconf_bridge *b = &cfg->bridges[i];
		yaml_mark_t m = { 0, b->line > 0 ? (size_t)b->line - 1 : 0, 0 };
		if (hubconf_find_hub(cfg, b->hub) == NULL)
			return cfg_err(c, b->line > 0 ? &m : NULL,
			    "bridges[%zu].hub: no hub named '%s' (hubs: add it "
			    "there, or name one of them)", i, b->hub);
	}
	return 0;
}

/* The card's keys that name or address an interface of this host: a
 * cascade has none (its frames go straight into a hub here). */
static const char *const hubconf_cascade_card_only[] = { "tap", "bridge",
    "mac", "ip", "dns", "default_route", "up", "down" };

/* A card's message about a key of the link, "SOURCE:L:C: key: what", with
 * the key's whole path: "SOURCE:L:C: cascades[i].link.key: what". */
static int
hubconf_cascade_err(const char *why, const struct hubconf_cascade *k,
    size_t i, const char *source, char *err, size_t errlen)
{
	size_t sl = strlen(source);
	const char *key;

	if (strncmp(why, source, sl) == 0 && why[sl] == ':' &&
	    (key = strstr(why + sl + 1, ": ")) != NULL)
		snprintf(err, errlen, "%.*s: cascades[%zu].link.%s",
		    (int)(key - why), why, i, key + 2);
	else
		snprintf(err, errlen, "%s:%d:1: cascades[%zu].link: %s", source,
		    k->line, i, why);
	return -1;
}

int
hubconf_cascade_opts(const struct hubconf_cascade *k, size_t i,
    const char *source, const char *state_dir, struct nic_opts *o,
    char *err, size_t errlen)
{
	struct nicconf link = k->link;
	const char *missing[3];
	size_t nmissing = 0;
	char why[512];

	link.source = (char *)source;
	for (size_t j = 0; j < sizeof hubconf_cascade_card_only /
	    sizeof hubconf_cascade_card_only[0]; j++)
		if (link.set & nicconf_bit(hubconf_cascade_card_only[j])) {
			cfg_key_err(&nicconf_table, (const char *)&link, source,
			    hubconf_cascade_card_only[j], why, sizeof why,
			    "a card's key for its interface; a cascade has "
			    "none (its frames go into hub %s)", k->hub);
			return hubconf_cascade_err(why, k, i, source, err,
			    errlen);
		}
	if (link.connect == NULL)
		missing[nmissing++] = "connect";
	if (link.user == NULL)
		missing[nmissing++] = "user";
	if (link.password_file == NULL && link.key_file == NULL)
		missing[nmissing++] = "password_file or key_file";
	if (nmissing > 0) {
		snprintf(why, sizeof why, "needs %s%s%s%s%s (the other "
		    "server's address, and the user and password or key it "
		    "knows this hub by)", missing[0],
		    nmissing > 1 ? (nmissing > 2 ? ", " : " and ") : "",
		    nmissing > 1 ? missing[1] : "",
		    nmissing > 2 ? " and " : "", nmissing > 2 ? missing[2] : "");
		return hubconf_cascade_err(why, k, i, source, err, errlen);
	}
	if (nicconf_to_opts(&link, o, why, sizeof why) != 0)
		return hubconf_cascade_err(why, k, i, source, err, errlen);
	o->dev = NULL;	/* the caller's: the hub's port (cascade.c) */
	o->addressing = NIC_ADDR_NONE;
	/* Trust on first use, remembered where the hub keeps its state. */
	if (link.known_hubs == NULL && link.fingerprint == NULL &&
	    link.ca == NULL) {
		snprintf(o->known_hubs_path, sizeof o->known_hubs_path,
		    "%s/known_hubs", state_dir);
		o->known_hubs = o->known_hubs_path;
	}
	return 0;
}

/* Every cascade names a hub that exists and says how to reach the other. */
static int
hubconf_cascades_check(struct cfg_ctx *c, const struct hubconf *cfg)
{
	for (size_t i = 0; i < cfg->ncascades; i++) {
		const struct hubconf_cascade *k = &cfg->cascades[i];
		yaml_mark_t m = { 0, k->line > 0 ? (size_t)k->line - 1 : 0, 0 };
		struct nic_opts o;
		if (hubconf_find_hub(cfg, k->hub) == NULL)
			return cfg_err(c, k->line > 0 ? &m : NULL,
			    "cascades[%zu].hub: no hub named '%s' (hubs: add it "
			    "there, or name one of them)", i, k->hub);
		if (hubconf_cascade_opts(k, i, c->source, "STATE_DIR", &o,
		    c->err, c->errlen) != 0)
			return -1;
	}
	return 0;
}

/* Every user logs in somehow: a password, a key, or both. */
static int
hubconf_users_check(struct cfg_ctx *c, const struct hubconf *cfg)
{
	for (size_t i = 0; i < cfg->nhubs; i++)
		for (size_t j = 0; j < cfg->hubs[i].nusers; j++) {
			const struct hubconf_user *u = &cfg->hubs[i].users[j];
			yaml_mark_t m = { 0, u->line > 0 ?
			    (size_t)u->line - 1 : 0, u->col > 0 ?
			    (size_t)u->col - 1 : 0 };
			if (u->password == NULL && u->public_key == NULL)
				return cfg_err(c, u->line > 0 ? &m : NULL,
				    "hubs[%zu].users[%zu]: user '%s' needs "
				    "password or public_key (softether "
				    "--hash-password, softether --gen-key)",
				    i, j, u->name);
		}
	return 0;
}

/* ---- dhcp: the checks across keys -------------------------------------- */

static size_t
hubconf_key_index(const struct cfg_table *t, const char *name)
{
	size_t i;

	for (i = 0; i + 1 < t->nkeys && strcmp(t->keys[i].name, name) != 0;
	    i++)
		;
	return i;
}

/* "FILE:LINE:COL: PATH.KEY: message" at key if the file gave it, else at
 * the mapping. Always -1. */
static int __attribute__((format(printf, 7, 8)))
hubconf_map_err(struct cfg_ctx *c, const struct cfg_table *t,
    const struct cfg_mark *marks, int line, const char *path,
    const char *key, const char *fmt, ...)
{
	const struct cfg_mark *mk = &marks[hubconf_key_index(t, key)];
	yaml_mark_t m = { 0, 0, 0 };
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (mk->line > 0) {
		m.line = mk->line - 1;
		m.column = mk->col - 1;
	} else if (line > 0)
		m.line = (size_t)line - 1;
	else
		return cfg_err(c, NULL, "%s.%s: %s", path, key, msg);
	return cfg_err(c, &m, "%s.%s: %s", path, key, msg);
}

static int
hubconf_dhcp_taken(const struct hubconf_dhcp *d, uint32_t ip)
{
	if (ip == d->router_ip)
		return 1;
	for (size_t i = 0; i < d->ndns && i < HUBCONF_DHCP_MAX_DNS; i++)
		if (ip == d->dns_ip[i])
			return 1;
	for (size_t i = 0; i < d->nstatics; i++)
		if (ip == d->statics[i].addr)
			return 1;
	return 0;
}

uint32_t
hubconf_dhcp_server(const struct hubconf_dhcp *d, uint32_t first,
    uint32_t last, uint32_t mask)
{
	uint32_t net = first & mask, bc = net | ~mask, ip;

	if (d->server != NULL)
		return d->server_ip;
	/* Past the pool in one step: at most a few thousand others. */
	for (ip = net + 1; ip < bc; ip++) {
		if (ip >= first && ip <= last) {
			ip = last;
			continue;
		}
		if (!hubconf_dhcp_taken(d, ip))
			return ip;
	}
	return 0;
}

/* Every address the file gives, parsed (each passed its check). */
static void
hubconf_dhcp_parse(struct hubconf_dhcp *d)
{
	d->first = d->last = d->mask = d->server_ip = d->router_ip = 0;
	memset(d->dns_ip, 0, sizeof d->dns_ip);
	if (d->range != NULL)
		(void)hubconf_parse_range(d->range, &d->first, &d->last);
	if (d->netmask != NULL)
		(void)dhcp_parse_ip(d->netmask, &d->mask);
	if (d->server != NULL)
		(void)dhcp_parse_ip(d->server, &d->server_ip);
	if (d->router != NULL)
		(void)dhcp_parse_ip(d->router, &d->router_ip);
	for (size_t i = 0; i < d->ndns && i < HUBCONF_DHCP_MAX_DNS; i++)
		(void)dhcp_parse_ip(d->dns[i], &d->dns_ip[i]);
	for (size_t i = 0; i < d->nstatics; i++) {
		struct hubconf_dhcp_static *st = &d->statics[i];
		st->addr = 0;
		memset(st->hwaddr, 0, sizeof st->hwaddr);
		(void)dhcp_parse_ip(st->ip, &st->addr);
		if (st->mac != NULL)
			(void)ether_parse_mac(st->mac, st->hwaddr);
	}
}

/* A host address of the subnet net/mask. */
static int
hubconf_host_of(uint32_t ip, uint32_t net, uint32_t mask)
{
	return (ip & mask) == net && ip != net && ip != (net | ~mask);
}

static int
hubconf_dhcp_statics_check(struct cfg_ctx *c, const struct hubconf_dhcp *d,
    const char *path, uint32_t net)
{
	const struct cfg_table *t = &hubconf_dhcp_static_table;
	char sp[96], a[DHCP_IP_STR];

	for (size_t i = 0; i < d->nstatics; i++) {
		const struct hubconf_dhcp_static *st = &d->statics[i];
		snprintf(sp, sizeof sp, "%s.static[%zu]", path, i);
		if ((st->user == NULL) == (st->mac == NULL))
			return hubconf_map_err(c, t, st->marks, st->line, sp,
			    st->user != NULL ? "mac" : "ip", "give user or "
			    "mac, one of them");
		if (!hubconf_host_of(st->addr, net, d->mask))
			return hubconf_map_err(c, t, st->marks, st->line, sp,
			    "ip", "%s is not a host address of the subnet",
			    st->ip);
		if (st->addr == d->server_ip || st->addr == d->router_ip) {
			dhcp_format_ip(st->addr, a);
			return hubconf_map_err(c, t, st->marks, st->line, sp,
			    "ip", "%s is the %s's address", a,
			    st->addr == d->router_ip ? "router" :
			    "DHCP server");
		}
		for (size_t j = 0; j < i; j++) {
			const struct hubconf_dhcp_static *o = &d->statics[j];
			const char *k = o->addr == st->addr ? "ip" :
			    o->user != NULL && st->user != NULL &&
			    strcmp(o->user, st->user) == 0 ? "user" :
			    o->mac != NULL && st->mac != NULL &&
			    memcmp(o->hwaddr, st->hwaddr, 6) == 0 ? "mac" :
			    NULL;
			if (k != NULL)
				return hubconf_map_err(c, t, st->marks,
				    st->line, sp, k, "given before, in "
				    "static[%zu] (line %d)", j, o->line);
		}
	}
	return 0;
}

/* What the server would refuse, said where the file says it. */
static int
hubconf_dhcp_check_one(struct cfg_ctx *c, struct hubconf_dhcp *d, size_t hi)
{
	const struct cfg_table *t = &hubconf_dhcp_table;
	char path[40], a[DHCP_IP_STR], b[DHCP_IP_STR];
	uint32_t net, bc;
	const char *k;

#define HUBCONF_DHCP_ERR(key, ...) \
	hubconf_map_err(c, t, d->marks, d->line, path, key, __VA_ARGS__)
	snprintf(path, sizeof path, "hubs[%zu].dhcp", hi);
	hubconf_dhcp_parse(d);
	if (d->range == NULL) {
		if (d->netmask != NULL)
			return HUBCONF_DHCP_ERR("netmask", "needs range too "
			    "(with neither, a /24 is picked at first start)");
		k = d->server != NULL ? "server" : d->router != NULL ?
		    "router" : d->nstatics > 0 ? "static" : NULL;
		if (k != NULL)
			return HUBCONF_DHCP_ERR(k, "needs range and netmask "
			    "(without them the subnet is picked at first "
			    "start, unknown here)");
		return 0;
	}
	if (d->netmask == NULL)
		return HUBCONF_DHCP_ERR("range", "needs netmask too");
	net = d->first & d->mask;
	bc = net | ~d->mask;
	dhcp_format_ip(d->first, a);
	dhcp_format_ip(d->last, b);
	if ((d->last & d->mask) != net)
		return HUBCONF_DHCP_ERR("range", "%s and %s are not in one "
		    "subnet of netmask %s", a, b, d->netmask);
	if (d->first > d->last)
		return HUBCONF_DHCP_ERR("range", "%s comes after %s", a, b);
	if (d->first == net || d->last == bc)
		return HUBCONF_DHCP_ERR("range", "holds the subnet's %s "
		    "address", d->first == net ? "network" : "broadcast");
	if (d->last - d->first >= HUBCONF_DHCP_MAX_POOL)
		return HUBCONF_DHCP_ERR("range", "%u addresses, at most %u",
		    d->last - d->first + 1, HUBCONF_DHCP_MAX_POOL);
	if (d->router != NULL && !hubconf_host_of(d->router_ip, net, d->mask))
		return HUBCONF_DHCP_ERR("router", "%s is not a host address "
		    "of the subnet", d->router);
	if (d->server != NULL) {
		if (!hubconf_host_of(d->server_ip, net, d->mask))
			return HUBCONF_DHCP_ERR("server", "%s is not a host "
			    "address of the subnet", d->server);
		if (d->server_ip >= d->first && d->server_ip <= d->last)
			return HUBCONF_DHCP_ERR("server", "%s is inside range",
			    d->server);
		if (d->server_ip == d->router_ip)
			return HUBCONF_DHCP_ERR("server", "%s is the router's "
			    "address", d->server);
	}
	if ((d->server_ip = hubconf_dhcp_server(d, d->first, d->last,
	    d->mask)) == 0)
		return HUBCONF_DHCP_ERR("range", "leaves no address of the "
		    "subnet for the hub's DHCP server (keep one out of it)");
	return hubconf_dhcp_statics_check(c, d, path, net);
#undef HUBCONF_DHCP_ERR
}

static int
hubconf_dhcp_check(struct cfg_ctx *c, struct hubconf *cfg)
{
	for (size_t i = 0; i < cfg->nhubs; i++)
		if (hubconf_dhcp_check_one(c, &cfg->hubs[i].dhcp, i) != 0)
			return -1;
	return 0;
}

int
hubconf_bridge_add(struct hubconf *cfg, const char *iface, const char *hub,
    char *err, size_t errlen)
{
	struct hubconf_bridge *nb, b;

	memset(&b, 0, sizeof b);
	for (size_t i = 0; i < cfg->nbridges; i++)
		if (strcmp(cfg->bridges[i].interface, iface) == 0) {
			snprintf(err, errlen, "--bridge %s: %s bridges it "
			    "already (to hub %s)", iface, cfg->source,
			    cfg->bridges[i].hub);
			return -1;
		}
	if (hubconf_find_hub(cfg, hub) == NULL) {
		snprintf(err, errlen, "--bridge %s: the configuration has no "
		    "hub named %s (add one, or use bridges: in the file)",
		    iface, hub);
		return -1;
	}
	if (cfg->nbridges < HUBCONF_MAX_BRIDGES && (nb = realloc(cfg->bridges,
	    (cfg->nbridges + 1) * sizeof *nb)) != NULL)
		cfg->bridges = nb;
	else
		nb = NULL;
	if (nb == NULL || (b.interface = strdup(iface)) == NULL ||
	    (b.hub = strdup(hub)) == NULL) {
		free(b.interface);
		snprintf(err, errlen, "--bridge %s: too many bridges or out "
		    "of memory", iface);
		return -1;
	}
	nb[cfg->nbridges++] = b;
	hubconf_resolve(cfg);
	return 0;
}

/* ---- Public ------------------------------------------------------------ */

int
hubconf_load_string(const char *source, const char *text, size_t len,
    const char *state_dir_override, struct hubconf *cfg, char *err,
    size_t errlen)
{
	struct cfg_ctx c;
	int rc;

	memset(cfg, 0, sizeof *cfg);
	cfg_init(&c, source, err, errlen);
	rc = cfg_load(&c, text, len, &hubconf_top_table, (char *)cfg);
	if (rc == 0)
		hubconf_resolve(cfg);
	if (rc == 0)
		rc = hubconf_admin_check(&c, cfg);
	if (rc == 0)
		rc = hubconf_users_check(&c, cfg);
	if (rc == 0)
		rc = hubconf_bridges_check(&c, cfg);
	if (rc == 0)
		rc = hubconf_cascades_check(&c, cfg);
	if (rc == 0)
		rc = hubconf_limits_check(&c, cfg);
	if (rc == 0)
		rc = hubconf_dhcp_check(&c, cfg);
	if (rc == 0 && state_dir_override != NULL)
		rc = hubconf_override(&c, cfg, state_dir_override);
	if (rc == 0)
		rc = cfg_derive(&c, &hubconf_top_table, (char *)cfg,
		    cfg->state_dir);
	if (rc == 0 && (cfg->source = strdup(c.source)) == NULL)
		rc = cfg_oom(&c);
	if (rc != 0) {
		hubconf_free(cfg);
		return -1;
	}
	return 0;
}

int
hubconf_load_file(const char *path, const char *state_dir_override,
    struct hubconf *cfg, char *err, size_t errlen)
{
	struct cfg_ctx c;
	char *buf;
	size_t len;
	int rc;

	memset(cfg, 0, sizeof *cfg);
	cfg_init(&c, path != NULL ? path : "<null>", err, errlen);
	if (cfg_read_file(&c, path, &buf, &len) == -1)
		return -1;
	rc = hubconf_load_string(path, buf, len, state_dir_override, cfg, err,
	    errlen);
	free(buf);
	return rc;
}

void
hubconf_free(struct hubconf *cfg)
{
	if (cfg == NULL)
		return;
	cfg_free_table(&hubconf_top_table, (char *)cfg);
	free(cfg->source);
	memset(cfg, 0, sizeof *cfg);
}

void
hubconf_print(const struct hubconf *cfg, FILE *out)
{
	cfg_print_table(out, &hubconf_top_table, (const char *)cfg, 0, 0);
}

const struct hubconf_hub *
hubconf_find_hub(const struct hubconf *cfg, const char *name)
{
	size_t i;

	if (cfg == NULL || name == NULL)
		return NULL;
	for (i = 0; i < cfg->nhubs; i++)
		if (strcmp(cfg->hubs[i].name, name) == 0)
			return &cfg->hubs[i];
	return NULL;
}

/* Linear: a login's Argon2id check costs far more than this scan. */
const struct hubconf_user *
hubconf_find_user(const struct hubconf_hub *hub, const char *name)
{
	size_t i;

	if (hub == NULL || name == NULL)
		return NULL;
	for (i = 0; i < hub->nusers; i++)
		if (strcmp(hub->users[i].name, name) == 0)
			return &hub->users[i];
	return NULL;
}

/* ---- Changes (the console's, through managed.c) ----------------------- */

struct hubconf_hub *
hubconf_hub_add(struct hubconf *cfg, const char *name)
{
	struct hubconf_hub *nh, *h;

	if (cfg->nhubs >= HUBCONF_MAX_HUBS)
		return NULL;
	nh = realloc(cfg->hubs, (cfg->nhubs + 1) * sizeof *nh);
	if (nh == NULL)
		return NULL;
	cfg->hubs = nh;
	h = &nh[cfg->nhubs];
	memset(h, 0, sizeof *h);
	if ((h->name = strdup(name)) == NULL)
		return NULL;
	h->online = true;
	h->mac_aging_s = HUBCONF_DEFAULT_AGING_S;
	h->max_sessions = HUBCONF_DEFAULT_MAX_SESSIONS;
	cfg->nhubs++;
	return h;
}

int
hubconf_hub_remove(struct hubconf *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nhubs; i++) {
		if (strcmp(cfg->hubs[i].name, name) != 0)
			continue;
		cfg_free_table(&hubconf_hub_table, (char *)&cfg->hubs[i]);
		memmove(&cfg->hubs[i], &cfg->hubs[i + 1],
		    (cfg->nhubs - i - 1) * sizeof cfg->hubs[0]);
		cfg->nhubs--;
		return 0;
	}
	return -1;
}

int
hubconf_users_put(struct hubconf_user **users, size_t *n,
    const struct hubconf_user *u)
{
	struct hubconf_user c = *u, *nu;

	c.name = strdup(u->name);
	c.password = u->password != NULL ? strdup(u->password) : NULL;
	c.public_key = u->public_key != NULL ? strdup(u->public_key) : NULL;
	c.line = 0;
	c.col = 0;
	if (c.name == NULL || (u->password != NULL && c.password == NULL) ||
	    (u->public_key != NULL && c.public_key == NULL)) {
		free(c.name);
		free(c.password);
		free(c.public_key);
		return -1;
	}
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*users)[i].name, u->name) == 0) {
			cfg_free_table(&hubconf_user_table,
			    (char *)&(*users)[i]);
			(*users)[i] = c;
			return 0;
		}
	if (*n >= HUBCONF_MAX_USERS ||
	    (nu = realloc(*users, (*n + 1) * sizeof *nu)) == NULL) {
		free(c.name);
		free(c.password);
		free(c.public_key);
		return -1;
	}
	*users = nu;
	nu[(*n)++] = c;
	return 0;
}

int
hubconf_users_remove(struct hubconf_user **users, size_t *n, const char *name)
{
	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*users)[i].name, name) != 0)
			continue;
		cfg_free_table(&hubconf_user_table, (char *)&(*users)[i]);
		memmove(&(*users)[i], &(*users)[i + 1],
		    (*n - i - 1) * sizeof (*users)[0]);
		(*n)--;
		return 0;
	}
	return -1;
}
