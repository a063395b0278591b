/*
 * hubconf.c: the hub's configuration schema: one cfgload.c key table per
 * mapping level (a key is one row), the embedded default, and the hub's own
 * rules.
 */
#include <stdlib.h>
#include <string.h>

#include "cfgload.h"
#include "hubconf.h"
#include "proto.h"

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
	{ .name = "password", .type = CFG_HASH, .flags = CFG_REQUIRED,
	  .off = offsetof(struct hubconf_user, password),
	  .help = "make one with: softether --hash-password" },
	{ .name = "policy", .type = CFG_MAP, .flags = CFG_QUIET,
	  .off = offsetof(struct hubconf_user, policy),
	  .sub = &hubconf_policy_table },
};
static const struct cfg_table hubconf_user_table = {
	.what = "user", .keys = hubconf_user_keys,
	.nkeys = CFG_NKEYS(hubconf_user_keys),
	.has_line = 1, .line_off = offsetof(struct hubconf_user, line),
};
const struct cfg_key hubconf_user_elem = {
	.type = CFG_MAP, .size = sizeof(struct hubconf_user),
	.sub = &hubconf_user_table
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
	      "ipv6_ra_filter: true, max_mac: 16}}]",
	  .elem = &hubconf_hub_elem },
	{ .name = "bridges", .type = CFG_LIST, .flags = CFG_UNIQUE,
	  .off = offsetof(struct hubconf, bridges),
	  .count_off = offsetof(struct hubconf, nbridges),
	  .min = 0, .max = HUBCONF_MAX_BRIDGES, .def = "[]",
	  .elem = &hubconf_bridge_elem },
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
    "\n"
    "# Local interfaces on a hub: [{interface: eth1, hub: DEFAULT}]\n"
    "bridges: []\n";


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
		rc = hubconf_bridges_check(&c, cfg);
	if (rc == 0)
		rc = hubconf_limits_check(&c, cfg);
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
	c.password = strdup(u->password);
	c.line = 0;
	if (c.name == NULL || c.password == NULL) {
		free(c.name);
		free(c.password);
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
