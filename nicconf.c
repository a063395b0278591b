/*
 * nicconf.c: the virtual LAN card's options: one cfgload.c key table whose
 * string checks are the ones the command line applies to the same options.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "cfgload.h"
#include "nicconf.h"
#include "dev.h"
#include "hook.h"
#include "nic.h"
#include "privdrop.h"
#include "proto.h"
#include "tcpcc.h"
#include "transport/transport.h"

#define NICCONF_HOST_MAX	255u	/* a DNS name */
#define NICCONF_DEST_MAX	512u	/* user@host:port */
#define NICCONF_OPTION_MAX	1024u	/* one ssh -o argument */
#define NICCONF_V4_BITS	32
#define NICCONF_V6_BITS	128
#define NICCONF_PREFIX_DIGITS 3u
#define NICCONF_OPT_NAME	32u	/* "proxy-password-file" */

static int
nicconf_connect_ok(const char *s, char *why, size_t whylen)
{
	char host[NICCONF_HOST_MAX + 1];
	uint16_t port;

	if (nic_parse_hostport(s, host, sizeof host, &port,
	    PROTO_DEFAULT_PORT) == 0)
		return 0;
	snprintf(why, whylen, "expected HOST, HOST:PORT or [IPv6]:PORT");
	return -1;
}

static int
nicconf_proxy_ok(const char *s, char *why, size_t whylen)
{
	char host[NICCONF_HOST_MAX + 1];
	uint16_t port;

	if (nic_parse_hostport(s, host, sizeof host, &port, 0) == 0 &&
	    port != 0)
		return 0;
	snprintf(why, whylen, "expected HOST:PORT or [IPv6]:PORT");
	return -1;
}

static int
nicconf_fp_ok(const char *s, char *why, size_t whylen)
{
	char hex[CERT_FP_HEX];

	if (cert_fingerprint_parse(s, hex) == 0)
		return 0;
	snprintf(why, whylen, "expected 64 hex digits (the SHA-256 the hub "
	    "logs)");
	return -1;
}

static int
nicconf_via_ok(const char *s, char *why, size_t whylen)
{
	if (transport_find(s) != NULL)
		return 0;
	snprintf(why, whylen, "unknown transport (known: %s)",
	    transport_names());
	return -1;
}

/* ADDR/PREFIX, as the card will give it to the TAP device; or how it
 * gets none (none), or one from a server (dhcp). */
static int
nicconf_ip_ok(const char *s, char *why, size_t whylen)
{
	char addr[INET6_ADDRSTRLEN];
	unsigned char bin[sizeof(struct in6_addr)];
	const char *slash = strchr(s, '/');
	size_t i, plen;
	int bits = -1, prefix = 0;

	if (strcmp(s, "none") == 0 || strcmp(s, "dhcp") == 0)
		return 0;
	if (slash != NULL && (size_t)(slash - s) < sizeof addr) {
		memcpy(addr, s, (size_t)(slash - s));
		addr[slash - s] = '\0';
		if (inet_pton(AF_INET, addr, bin) == 1)
			bits = NICCONF_V4_BITS;
		else if (inet_pton(AF_INET6, addr, bin) == 1)
			bits = NICCONF_V6_BITS;
	}
	plen = slash != NULL ? strlen(slash + 1) : 0;
	for (i = 0; bits > 0 && i < plen; i++) {
		if (slash[1 + i] < '0' || slash[1 + i] > '9' ||
		    plen > NICCONF_PREFIX_DIGITS)
			break;
		prefix = prefix * 10 + (slash[1 + i] - '0');
	}
	if (bits > 0 && plen > 0 && i == plen && prefix <= bits)
		return 0;
	snprintf(why, whylen, "expected ADDRESS/PREFIX (e.g. 192.168.77.1/24), "
	    "none or dhcp");
	return -1;
}

/* ssh reads a leading '-' as one of its own options. */
static int
nicconf_ssh_ok(const char *s, char *why, size_t whylen)
{
	if (s[0] != '-' && strchr(s, ' ') == NULL)
		return 0;
	snprintf(why, whylen, "expected [USER@]GATEWAY[:PORT] (no spaces, "
	    "not starting with '-')");
	return -1;
}

static int
nicconf_option_ok(const char *s, char *why, size_t whylen)
{
	const char *eq = strchr(s, '=');
	size_t i;

	for (i = 0; eq != NULL && s + i < eq; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
			break;
	if (eq != NULL && eq != s && s + i == eq && eq[1] != '\0')
		return 0;
	snprintf(why, whylen, "expected Key=Value, e.g. "
	    "StrictHostKeyChecking=yes (Key: letters and digits)");
	return -1;
}

/* A hook's command: words as the console splits them (hook.c). */
static int
nicconf_hook_ok(const char *s, char *why, size_t whylen)
{
	struct admincmd_line words;

	return hook_split(s, &words, why, whylen);
}

#define NICCONF_STR(k, lo, hi, fn, a) \
	{ .name = #k, .type = CFG_STR, \
	  .off = offsetof(struct nicconf, k), .min = lo, .max = hi, \
	  .check = fn, .arg = a }
#define NICCONF_PATH(k) \
	{ .name = #k, .type = CFG_PATH, \
	  .off = offsetof(struct nicconf, k), .min = 1, \
	  .max = CFG_PATH_MAX, .arg = "FILE" }

static const struct cfg_key nicconf_option_elem = {
	.type = CFG_STR, .flags = CFG_REQUIRED, .size = sizeof(char *),
	.min = 1, .max = NICCONF_OPTION_MAX, .check = nicconf_option_ok
};

static const struct cfg_key nicconf_keys[] = {
	NICCONF_STR(connect, 1, NICCONF_HOST_MAX + 8,
	    nicconf_connect_ok, "HOST[:PORT]"),
	{ .name = "hub_name", .type = CFG_NAME,
	  .off = offsetof(struct nicconf, hub_name),
	  .min = 1, .max = PROTO_MAX_NAME, .extra = "._-", .arg = "NAME" },
	{ .name = "user", .type = CFG_NAME,
	  .off = offsetof(struct nicconf, user),
	  .min = 1, .max = PROTO_MAX_NAME, .extra = "._@-", .arg = "NAME" },
	NICCONF_PATH(password_file),
	NICCONF_PATH(key_file),
	{ .name = "tap", .type = CFG_NAME,
	  .off = offsetof(struct nicconf, tap),
	  .min = 1, .max = DEV_NAME_MAX, .extra = "._-", .arg = "IFNAME" },
	{ .name = "bridge", .type = CFG_NAME,
	  .off = offsetof(struct nicconf, bridge),
	  .min = 1, .max = DEV_NAME_MAX, .extra = "._-@", .arg = "IFNAME" },
	NICCONF_STR(mac, 1, sizeof "5e:01:02:03:04:05" - 1,
	    ether_mac_ok, "MAC"),
	NICCONF_STR(ip, 1, INET6_ADDRSTRLEN + 4, nicconf_ip_ok,
	    "CIDR|none|dhcp"),
	{ .name = "dns", .type = CFG_BOOL,
	  .off = offsetof(struct nicconf, dns), .arg = "true|false" },
	{ .name = "default_route", .type = CFG_BOOL,
	  .off = offsetof(struct nicconf, default_route),
	  .arg = "true|false" },
	NICCONF_STR(fingerprint, 1, 3 * CERT_FP_HEX, nicconf_fp_ok,
	    "SHA256HEX"),
	NICCONF_PATH(ca),
	NICCONF_PATH(known_hubs),
	NICCONF_STR(via, 1, NICCONF_HOST_MAX, nicconf_via_ok, "TRANSPORT"),
	NICCONF_STR(proxy, 1, NICCONF_HOST_MAX + 8, nicconf_proxy_ok,
	    "HOST:PORT"),
	NICCONF_STR(proxy_user, 1, NICCONF_HOST_MAX, NULL, "USER"),
	NICCONF_PATH(proxy_password_file),
	NICCONF_STR(ssh, 1, NICCONF_DEST_MAX, nicconf_ssh_ok,
	    "[USER@]GATEWAY[:PORT]"),
	{ .name = "ssh_options", .type = CFG_LIST,
	  .off = offsetof(struct nicconf, ssh_options),
	  .count_off = offsetof(struct nicconf, nssh_options),
	  .min = 0, .max = TRANSPORT_MAX_SSH_OPTIONS,
	  .elem = &nicconf_option_elem, .opt = "ssh-option",
	  .arg = "KEY=VALUE" },
	{ .name = "resume_window", .type = CFG_SECONDS,
	  .off = offsetof(struct nicconf, resume_window_ms),
	  .min = 500, .max = 3600 * 1000, .arg = "SECONDS" },
	{ .name = "dead_peer", .type = CFG_SECONDS,
	  .off = offsetof(struct nicconf, dead_peer_ms),
	  .min = 2 * 1000, .max = 600 * 1000, .arg = "SECONDS" },
	{ .name = "keepalive", .type = CFG_SECONDS,
	  .off = offsetof(struct nicconf, keepalive_ms),
	  .min = 1000, .max = 300 * 1000, .arg = "SECONDS" },
	{ .name = "resume_budget", .type = CFG_UINT,
	  .off = offsetof(struct nicconf, resume_budget_mib),
	  .min = 1, .max = 1024, .arg = "MIB" },
	{ .name = "offload", .type = CFG_BOOL,
	  .off = offsetof(struct nicconf, offload), .arg = "true|false" },
	{ .name = "tcp_congestion", .type = CFG_NAME,
	  .off = offsetof(struct nicconf, tcp_congestion),
	  .min = 1, .max = TCPCC_NAME_MAX, .extra = "_-", .arg = "NAME",
	  .help = "a name from net.ipv4.tcp_available_congestion_control, "
	      "or " TCPCC_SYSTEM " for the host's" },
	NICCONF_STR(up, 1, ADMINCMD_LINE_MAX, nicconf_hook_ok, "CMD"),
	NICCONF_STR(down, 1, ADMINCMD_LINE_MAX, nicconf_hook_ok, "CMD"),
};
_Static_assert(CFG_NKEYS(nicconf_keys) <= CFG_MAX_KEYS,
    "the set mask holds every key");
const struct cfg_table nicconf_table = {
	.what = "nic", .keys = nicconf_keys, .nkeys = CFG_NKEYS(nicconf_keys),
	.has_set = 1, .set_off = offsetof(struct nicconf, set),
	.has_marks = 1, .marks_off = offsetof(struct nicconf, marks),
};

static int
nicconf_key_index(const char *name)
{
	for (size_t i = 0; i < CFG_NKEYS(nicconf_keys); i++)
		if (strcmp(nicconf_keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
nicconf_load_string(const char *source, const char *text, size_t len,
    struct nicconf *out, char *err, size_t errlen)
{
	struct cfg_ctx c;
	int rc;

	memset(out, 0, sizeof *out);
	cfg_init(&c, source, err, errlen);
	rc = cfg_load(&c, text, len, &nicconf_table, (char *)out);
	if (rc == 0 && (out->source = strdup(c.source)) == NULL)
		rc = cfg_oom(&c);
	if (rc != 0) {
		nicconf_free(out);
		return -1;
	}
	return 0;
}

int
nicconf_load_file(const char *path, struct nicconf *out, char *err,
    size_t errlen)
{
	struct cfg_ctx c;
	char *buf;
	size_t len;
	int rc;

	memset(out, 0, sizeof *out);
	cfg_init(&c, path != NULL ? path : "<null>", err, errlen);
	if (cfg_read_file(&c, path, &buf, &len) == -1)
		return -1;
	rc = nicconf_load_string(path, buf, len, out, err, errlen);
	free(buf);
	return rc;
}

void
nicconf_free(struct nicconf *cfg)
{
	if (cfg == NULL)
		return;
	cfg_free_table(&nicconf_table, (char *)cfg);
	free(cfg->source);
	memset(cfg, 0, sizeof *cfg);
}

void
nicconf_print(const struct nicconf *cfg, FILE *out)
{
	cfg_print_table(out, &nicconf_table, (const char *)cfg, 0, 0);
}

char *
nicconf_text(const struct nicconf *cfg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		return NULL;
	nicconf_print(cfg, f);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

int
nicconf_arg(struct nicconf *cfg, const char *opt, const char *value,
    char *err, size_t errlen)
{
	struct cfg_ctx c;

	cfg_init(&c, "<command line>", err, errlen);
	return cfg_arg(&c, &nicconf_table, (char *)cfg, opt, value);
}

void
nicconf_merge(struct nicconf *file, struct nicconf *cli)
{
	static const char *const trust[] = { "fingerprint", "ca" };

	/* Trust in the hub is one choice: the command line's replaces the
	 * file's whole. */
	if (cfg_is_set(&nicconf_table, (char *)cli, trust[0]) ||
	    cfg_is_set(&nicconf_table, (char *)cli, trust[1]))
		for (size_t i = 0; i < 2; i++) {
			int k = nicconf_key_index(trust[i]);
			cfg_free_key(&nicconf_keys[k], (char *)file);
			file->set &= ~(1u << k);
		}
	cfg_merge(&nicconf_table, (char *)file, (char *)cli);
}

uint32_t
nicconf_bit(const char *name)
{
	int i = nicconf_key_index(name);

	return i < 0 ? 0 : 1u << i;
}

const char *
nicconf_opt(size_t i, const char **arg)
{
	static char names[CFG_NKEYS(nicconf_keys)][NICCONF_OPT_NAME];

	if (i >= CFG_NKEYS(nicconf_keys))
		return NULL;
	*arg = nicconf_keys[i].arg;
	return cfg_opt_name(&nicconf_keys[i], names[i], sizeof names[i]);
}

static const char *
nicconf_or(const char *v, const char *def)
{
	return v != NULL ? v : def;
}

#define NICCONF_ERR(k, ...) \
	cfg_key_err(&nicconf_table, (const char *)cfg, cfg->source, k, err, \
	    errlen, __VA_ARGS__)

/* The transport's own checks, as nic_setup will run them (a proxy
 * password file stands for a password until it is read). */
static int
nicconf_transport(const struct nicconf *cfg, struct nic_opts *o, char *err,
    size_t errlen)
{
	const char *lack;
	const char *blame = cfg->via != NULL ? "via" :
	    cfg->proxy != NULL ? "proxy" : cfg->ssh != NULL ? "ssh" :
	    cfg->proxy_user != NULL ? "proxy_user" : "connect";

	/* A setting of another transport than the one chosen is a mistake
	 * to say, not one to ignore. */
	static const struct {
		const char *key;
		unsigned what;
	} owned[] = {
		{ "proxy", TRANSPORT_TAKES_PROXY },
		{ "proxy_user", TRANSPORT_TAKES_PROXY },
		{ "proxy_password_file", TRANSPORT_TAKES_PROXY },
		{ "ssh", TRANSPORT_TAKES_SSH },
		{ "ssh_options", TRANSPORT_TAKES_SSH },
		{ "tcp_congestion", TRANSPORT_TAKES_TCP },
	};
	char names[NICCONF_HOST_MAX];

	for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
		if ((cfg->set & nicconf_bit(owned[i].key)) &&
		    !(o->via->takes & owned[i].what) &&
		    /* "system" asks for nothing: any transport takes it */
		    !(owned[i].what == TRANSPORT_TAKES_TCP &&
		    tcpcc_is_system(cfg->tcp_congestion)))
			return NICCONF_ERR(owned[i].key, "goes with --via %s, "
			    "not %s", transport_names_taking(owned[i].what,
			    names, sizeof names), o->via->name);

	o->target.host = o->host;
	o->target.port = o->port;
	o->target.proxy_user = cfg->proxy_user;
	o->target.proxy_password = cfg->proxy_password_file != NULL ?
	    "password-from-file" : NULL;
	o->target.ssh_dest = cfg->ssh;
	o->target.tcp_congestion = tcpcc_is_system(cfg->tcp_congestion) ?
	    NULL : cfg->tcp_congestion;
	for (size_t i = 0; i < cfg->nssh_options; i++)
		o->target.ssh_options[o->target.nssh_options++] =
		    cfg->ssh_options[i];
	if (cfg->proxy != NULL) {
		nic_parse_hostport(cfg->proxy, o->proxy_host,
		    sizeof o->proxy_host, &o->target.proxy_port, 0);
		o->target.proxy_host = o->proxy_host;
	}
	lack = o->via->check != NULL ? o->via->check(&o->target) : NULL;
	o->target.proxy_password = NULL;
	if (lack != NULL && strstr(lack, "--ssh-option") != NULL)
		blame = "ssh_options";
	if (lack != NULL)
		return NICCONF_ERR(blame, "%s: %s", o->via->name, lack);
	return 0;
}

/* Every key a card cannot start without, named at once: "a card needs
 * connect and user (or --connect and --user)"; the secret as either key
 * that gives one: "password_file or key_file". 0, or -1 with err. */
static int
nicconf_required(const struct nicconf *cfg, char *err, size_t errlen)
{
	const struct {
		const char *key, *alt;
		const char *value;
	} req[] = { { "connect", NULL, cfg->connect },
	    { "user", NULL, cfg->user },
	    { "password_file", "key_file", cfg->password_file != NULL ?
	    cfg->password_file : cfg->key_file } };
	char keys[96] = "", opts[128] = "", opt[NICCONF_OPT_NAME],
	    alt[NICCONF_OPT_NAME];
	size_t n = 0, left = 0;

	for (size_t i = 0; i < sizeof req / sizeof req[0]; i++)
		left += req[i].value == NULL;
	for (size_t i = 0; i < sizeof req / sizeof req[0]; i++) {
		const char *sep = n == 0 ? "" : left == 1 ? " and " : ", ";
		if (req[i].value != NULL)
			continue;
		cfg_opt_name(&nicconf_keys[nicconf_key_index(req[i].key)], opt,
		    sizeof opt);
		snprintf(keys + strlen(keys), sizeof keys - strlen(keys),
		    "%s%s", sep, req[i].key);
		snprintf(opts + strlen(opts), sizeof opts - strlen(opts),
		    "%s--%s", sep, opt);
		if (req[i].alt != NULL) {
			cfg_opt_name(&nicconf_keys[nicconf_key_index(
			    req[i].alt)], alt, sizeof alt);
			snprintf(keys + strlen(keys), sizeof keys -
			    strlen(keys), " or %s", req[i].alt);
			snprintf(opts + strlen(opts), sizeof opts -
			    strlen(opts), " or --%s", alt);
		}
		n++;
		left--;
	}
	if (n == 0)
		return 0;
	if (cfg->source != NULL)
		snprintf(err, errlen, "%s: a card needs %s (or %s)", cfg->source,
		    keys, opts);
	else
		snprintf(err, errlen, "--nic needs %s (see --help)", opts);
	return -1;
}

/* A TAP card's address: DHCP unless ip says otherwise (a bridge none);
 * what DHCP gives (dns, default_route) only with DHCP. */
static int
nicconf_addressing(const struct nicconf *cfg, struct nic_opts *o, char *err,
    size_t errlen)
{
	static const char *const dhcp_only[] = { "dns", "default_route" };
	const bool given[] = { cfg->dns, cfg->default_route };

	o->ip = NULL;
	if (cfg->bridge != NULL)
		o->addressing = NIC_ADDR_NONE;
	else if (cfg->ip == NULL || strcmp(cfg->ip, "dhcp") == 0)
		o->addressing = NIC_ADDR_DHCP;
	else if (strcmp(cfg->ip, "none") == 0)
		o->addressing = NIC_ADDR_NONE;
	else {
		o->addressing = NIC_ADDR_STATIC;
		o->ip = cfg->ip;
	}
	for (size_t i = 0; i < sizeof dhcp_only / sizeof dhcp_only[0]; i++)
		if (given[i] && o->addressing != NIC_ADDR_DHCP)
			return NICCONF_ERR(dhcp_only[i], "takes what DHCP "
			    "gives: not with ip %s", cfg->ip);
	o->dhcp_dns = cfg->dns;
	o->dhcp_default_route = cfg->default_route;
	return 0;
}

int
nicconf_to_opts(const struct nicconf *cfg, struct nic_opts *o, char *err,
    size_t errlen)
{
	const char *home = privdrop_card_home();

	memset(o, 0, sizeof *o);
	if (nicconf_required(cfg, err, errlen) != 0)
		return -1;
	if (cfg->fingerprint != NULL && cfg->ca != NULL)
		return NICCONF_ERR("ca", "use fingerprint or ca, not both");
	if (cfg->password_file != NULL && cfg->key_file != NULL)
		return NICCONF_ERR("key_file", "use password_file or key_file, "
		    "not both");
	nic_parse_hostport(cfg->connect, o->host, sizeof o->host, &o->port,
	    PROTO_DEFAULT_PORT);
	o->user = cfg->user;
	o->password_file = cfg->password_file;
	o->key_file = cfg->key_file;
	o->hub_name = nicconf_or(cfg->hub_name, "DEFAULT");
	o->dev = &dev_tap;
	o->ifname = nicconf_or(cfg->tap, "vpn0");
	if (cfg->bridge != NULL) {
		/* The interface keeps its own MAC and addresses (a bridge
		 * never runs DHCP: the LAN it bridges has its own). */
		static const char *const tap_only[] = { "tap", "mac", "ip",
		    "dns", "default_route" };
		for (size_t i = 0; i < sizeof tap_only / sizeof tap_only[0];
		    i++)
			if (cfg->set & nicconf_bit(tap_only[i]))
				return NICCONF_ERR(tap_only[i], "goes with a TAP "
				    "card, not a bridge (the bridged interface "
				    "keeps its own)");
		o->dev = &dev_packet;
		o->ifname = cfg->bridge;
	}
	o->mac = cfg->mac;
	if (nicconf_addressing(cfg, o, err, errlen) != 0)
		return -1;
	o->fingerprint = cfg->fingerprint;
	o->ca_file = cfg->ca;
	snprintf(o->known_hubs_path, sizeof o->known_hubs_path,
	    "%s/.softether/known_hubs", home != NULL && *home ? home : "/root");
	o->known_hubs = nicconf_or(cfg->known_hubs, o->known_hubs_path);
	o->via = transport_find(nicconf_or(cfg->via, "direct"));
	o->proxy_password_file = cfg->proxy_password_file;
	o->no_offload = (cfg->set & nicconf_bit("offload")) && !cfg->offload;
	o->up = cfg->up;
	o->down = cfg->down;
	nicconf_timers(cfg, &o->resume_window_ms, &o->dead_peer_ms,
	    &o->keepalive_ms, &o->resume_budget);
	return nicconf_transport(cfg, o, err, errlen);
}

void
nicconf_timers(const struct nicconf *cfg, uint32_t *resume_window_ms,
    uint32_t *dead_peer_ms, uint32_t *keepalive_ms, size_t *resume_budget)
{
	*resume_window_ms = cfg->resume_window_ms ? cfg->resume_window_ms :
	    PROTO_RESUME_WINDOW_MS;
	*dead_peer_ms = cfg->dead_peer_ms ? cfg->dead_peer_ms :
	    PROTO_DEAD_PEER_MS;
	*keepalive_ms = cfg->keepalive_ms ? cfg->keepalive_ms :
	    PROTO_KEEPALIVE_MS;
	*resume_budget = cfg->resume_budget_mib ?
	    (size_t)cfg->resume_budget_mib << 20 : PROTO_RESUME_BUDGET;
}
