/*
 * config.c: the hub's configuration schema: one cfg.c key table per mapping
 * level (a key is one row), the embedded default, and the hub's own rules.
 */
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "config.h"
#include "proto.h"

/* state_dir leaves room for the file names kept under it. */
#define CONFIG_STATE_MAX	((uint32_t)PATH_MAX - 64u)

#define CONFIG_POL_BOOL(k) \
	{ .name = #k, .type = CFG_BOOL, \
	  .off = offsetof(struct config_policy, p.k) }
#define CONFIG_POL_UINT(k) \
	{ .name = #k, .type = CFG_UINT, \
	  .off = offsetof(struct config_policy, p.k), .min = 0, .max = 65535 }

/* A hub's default_policy and a user's policy: the same keys. */
static const struct cfg_key config_policy_keys[] = {
	CONFIG_POL_BOOL(deny_access),
	CONFIG_POL_BOOL(deny_reconnect),
	CONFIG_POL_BOOL(force_dhcp_ip),
	CONFIG_POL_UINT(max_ip),
	CONFIG_POL_UINT(max_mac),
	CONFIG_POL_BOOL(deny_duplicate_ip),
	CONFIG_POL_BOOL(deny_duplicate_mac),
	CONFIG_POL_BOOL(deny_broadcast),
	CONFIG_POL_BOOL(deny_dhcp_server),
	CONFIG_POL_BOOL(filter_dhcp),
	CONFIG_POL_BOOL(ipv6_ra_filter),
	CONFIG_POL_UINT(max_sessions),
};
_Static_assert(CFG_NKEYS(config_policy_keys) <= CFG_MAX_KEYS &&
    CFG_NKEYS(config_policy_keys) <= 32, "the set mask holds every key");
static const struct cfg_table config_policy_table = {
	"policy", config_policy_keys, CFG_NKEYS(config_policy_keys), 0, 0,
	1, offsetof(struct config_policy, set)
};

static const struct cfg_key config_user_keys[] = {
	{ .name = "name", .type = CFG_NAME, .flags = CFG_REQUIRED,
	  .off = offsetof(struct config_user, name),
	  .min = 1, .max = PROTO_MAX_NAME, .extra = "._@-" },
	{ .name = "password", .type = CFG_HASH, .flags = CFG_REQUIRED,
	  .off = offsetof(struct config_user, password),
	  .help = "make one with: softether --hash-password" },
	{ .name = "policy", .type = CFG_MAP, .flags = CFG_QUIET,
	  .off = offsetof(struct config_user, policy),
	  .sub = &config_policy_table },
};
static const struct cfg_table config_user_table = {
	"user", config_user_keys, CFG_NKEYS(config_user_keys),
	1, offsetof(struct config_user, line), 0, 0
};
static const struct cfg_key config_user_elem = {
	.type = CFG_MAP, .size = sizeof(struct config_user),
	.sub = &config_user_table
};

static const struct cfg_key config_hub_keys[] = {
	{ .name = "name", .type = CFG_NAME, .flags = CFG_REQUIRED,
	  .off = offsetof(struct config_hub, name),
	  .min = 1, .max = PROTO_MAX_NAME, .extra = "._-" },
	{ .name = "online", .type = CFG_BOOL,
	  .off = offsetof(struct config_hub, online), .def = "true" },
	{ .name = "mac_aging", .type = CFG_UINT,
	  .off = offsetof(struct config_hub, mac_aging_s),
	  .min = 10, .max = 86400, .def = "300" },
	{ .name = "max_sessions", .type = CFG_UINT,
	  .off = offsetof(struct config_hub, max_sessions),
	  .min = 1, .max = 65536, .def = "1024" },
	{ .name = "default_policy", .type = CFG_MAP,
	  .off = offsetof(struct config_hub, default_policy),
	  .sub = &config_policy_table },
	{ .name = "users", .type = CFG_LIST, .flags = CFG_UNIQUE,
	  .off = offsetof(struct config_hub, users),
	  .count_off = offsetof(struct config_hub, nusers),
	  .min = 0, .max = CONFIG_MAX_USERS, .def = "[]",
	  .elem = &config_user_elem },
};
_Static_assert(CFG_NKEYS(config_hub_keys) <= CFG_MAX_KEYS, "seen[] holds them");
static const struct cfg_table config_hub_table = {
	"hub", config_hub_keys, CFG_NKEYS(config_hub_keys), 0, 0, 0, 0
};
static const struct cfg_key config_hub_elem = {
	.type = CFG_MAP, .size = sizeof(struct config_hub),
	.sub = &config_hub_table
};

static const struct cfg_key config_listen_elem = {
	.type = CFG_ADDR, .flags = CFG_REQUIRED, .size = sizeof(char *),
	.help = "e.g. 0.0.0.0:443, [::]:443 or *:443"
};

static const struct cfg_key config_tls_keys[] = {
	{ .name = "cert", .type = CFG_PATH,
	  .off = offsetof(struct config, tls_cert),
	  .min = 1, .max = CFG_PATH_MAX, .derive = "hub.crt" },
	{ .name = "key", .type = CFG_PATH,
	  .off = offsetof(struct config, tls_key),
	  .min = 1, .max = CFG_PATH_MAX, .derive = "hub.key" },
};
static const struct cfg_table config_tls_table = {
	"tls", config_tls_keys, CFG_NKEYS(config_tls_keys), 0, 0, 0, 0
};

static const struct cfg_key config_log_keys[] = {
	{ .name = "level", .type = CFG_LEVEL,
	  .off = offsetof(struct config, log_level), .def = "info" },
};
static const struct cfg_table config_log_table = {
	"log", config_log_keys, CFG_NKEYS(config_log_keys), 0, 0, 0, 0
};

static const struct cfg_key config_top_keys[] = {
	{ .name = "listen", .type = CFG_LIST,
	  .off = offsetof(struct config, listen),
	  .count_off = offsetof(struct config, nlisten),
	  .min = 1, .max = CONFIG_MAX_LISTEN,
	  .def = "[\"0.0.0.0:443\", \"[::]:443\", "
	      "\"0.0.0.0:7777\", \"[::]:7777\"]",
	  .elem = &config_listen_elem },
	{ .name = "state_dir", .type = CFG_PATH,
	  .off = offsetof(struct config, state_dir),
	  .min = 1, .max = CONFIG_STATE_MAX, .def = CONFIG_DEFAULT_STATE },
	{ .name = "tls", .type = CFG_MAP, .sub = &config_tls_table },
	{ .name = "log", .type = CFG_MAP, .sub = &config_log_table },
	{ .name = "hubs", .type = CFG_LIST, .flags = CFG_UNIQUE,
	  .off = offsetof(struct config, hubs),
	  .count_off = offsetof(struct config, nhubs),
	  .min = 1, .max = CONFIG_MAX_HUBS, .def = "[{name: DEFAULT}]",
	  .elem = &config_hub_elem },
};
static const struct cfg_table config_top_table = {
	"config", config_top_keys, CFG_NKEYS(config_top_keys), 0, 0, 0, 0
};

const char config_default_yaml[] =
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
    "state_dir: " CONFIG_DEFAULT_STATE "\n"
    "\n"
    "log:\n"
    "  level: info      # error, warn, info or debug\n"
    "\n"
    "# One virtual switch; add users (softether --hash-password) to log in.\n"
    "hubs:\n"
    "  - name: DEFAULT\n"
    "    online: true\n"
    "    mac_aging: 300\n"
    "    max_sessions: 1024\n"
    "    default_policy: {}  # per-user security policy every user inherits\n"
    "    users: []\n";


static int
config_override(struct cfg_ctx *c, struct config *cfg, const char *dir)
{
	char show[CFG_SHOW + 4];
	size_t len = strlen(dir);
	char *v;

	if (dir[0] != '/' || len > CONFIG_STATE_MAX ||
	    cfg_has_control(dir, len))
		return cfg_err(c, NULL, "state directory '%s' given on the "
		    "command line: expected an absolute path of at most %u "
		    "bytes", cfg_show(show, dir, len), CONFIG_STATE_MAX);
	if ((v = strdup(dir)) == NULL)
		return cfg_oom(c);
	free(cfg->state_dir);
	cfg->state_dir = v;
	return 0;
}

/* Each user's effective policy: the hub's default, then the user's keys. */
static void
config_policies(struct config *cfg)
{
	const struct cfg_key *k;
	struct config_hub *hub;
	struct config_user *u;
	size_t i, j, n;

	for (i = 0; i < cfg->nhubs; i++) {
		hub = &cfg->hubs[i];
		for (j = 0; j < hub->nusers; j++) {
			u = &hub->users[j];
			for (n = 0; n < CFG_NKEYS(config_policy_keys); n++) {
				k = &config_policy_keys[n];
				if (u->policy.set & 1u << n)
					continue;
				memcpy((char *)&u->policy + k->off,
				    (const char *)&hub->default_policy + k->off,
				    k->type == CFG_BOOL ? sizeof(bool) :
				    sizeof(uint32_t));
			}
		}
	}
}

/* ---- Public ------------------------------------------------------------ */

int
config_load_string(const char *source, const char *text, size_t len,
    const char *state_dir_override, struct config *cfg, char *err,
    size_t errlen)
{
	struct cfg_ctx c;
	int rc;

	memset(cfg, 0, sizeof *cfg);
	cfg_init(&c, source, err, errlen);
	rc = cfg_load(&c, text, len, &config_top_table, (char *)cfg);
	if (rc == 0)
		config_policies(cfg);
	if (rc == 0 && state_dir_override != NULL)
		rc = config_override(&c, cfg, state_dir_override);
	if (rc == 0)
		rc = cfg_derive(&c, &config_top_table, (char *)cfg,
		    cfg->state_dir);
	if (rc == 0 && (cfg->source = strdup(c.source)) == NULL)
		rc = cfg_oom(&c);
	if (rc != 0) {
		config_free(cfg);
		return -1;
	}
	return 0;
}

int
config_load_file(const char *path, const char *state_dir_override,
    struct config *cfg, char *err, size_t errlen)
{
	struct cfg_ctx c;
	char *buf;
	size_t len;
	int rc;

	memset(cfg, 0, sizeof *cfg);
	cfg_init(&c, path != NULL ? path : "<null>", err, errlen);
	if (cfg_read_file(&c, path, &buf, &len) == -1)
		return -1;
	rc = config_load_string(path, buf, len, state_dir_override, cfg, err,
	    errlen);
	free(buf);
	return rc;
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	cfg_free_table(&config_top_table, (char *)cfg);
	free(cfg->source);
	memset(cfg, 0, sizeof *cfg);
}

void
config_print(const struct config *cfg, FILE *out)
{
	cfg_print_table(out, &config_top_table, (const char *)cfg, 0, 0);
}

const struct config_hub *
config_find_hub(const struct config *cfg, const char *name)
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
const struct config_user *
config_find_user(const struct config_hub *hub, const char *name)
{
	size_t i;

	if (hub == NULL || name == NULL)
		return NULL;
	for (i = 0; i < hub->nusers; i++)
		if (strcmp(hub->users[i].name, name) == 0)
			return &hub->users[i];
	return NULL;
}
