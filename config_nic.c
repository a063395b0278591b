/*
 * config_nic.c: the virtual LAN card's file schema: one cfg.c key table whose
 * string checks are the ones the command line applies to the same options.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "cfg.h"
#include "config_nic.h"
#include "dev.h"
#include "nic.h"
#include "proto.h"
#include "transport/transport.h"

#define CONFIG_NIC_HOST_MAX	255u	/* a DNS name */
#define CONFIG_NIC_DEST_MAX	512u	/* user@host:port */
#define CONFIG_NIC_OPTION_MAX	1024u	/* one ssh -o argument */
#define CONFIG_NIC_V4_BITS	32
#define CONFIG_NIC_V6_BITS	128
#define CONFIG_NIC_PREFIX_DIGITS 3u

static int
config_nic_connect_ok(const char *s, char *why, size_t whylen)
{
	char host[CONFIG_NIC_HOST_MAX + 1];
	uint16_t port;

	if (nic_parse_hostport(s, host, sizeof host, &port,
	    PROTO_DEFAULT_PORT) == 0)
		return 0;
	snprintf(why, whylen, "expected HOST, HOST:PORT or [IPv6]:PORT");
	return -1;
}

static int
config_nic_proxy_ok(const char *s, char *why, size_t whylen)
{
	char host[CONFIG_NIC_HOST_MAX + 1];
	uint16_t port;

	if (nic_parse_hostport(s, host, sizeof host, &port, 0) == 0 &&
	    port != 0)
		return 0;
	snprintf(why, whylen, "expected HOST:PORT or [IPv6]:PORT");
	return -1;
}

static int
config_nic_mac_ok(const char *s, char *why, size_t whylen)
{
	uint8_t mac[6];

	if (ether_parse_mac(s, mac) == 0)
		return 0;
	snprintf(why, whylen, "expected a unicast MAC such as "
	    "5e:01:02:03:04:05");
	return -1;
}

static int
config_nic_fp_ok(const char *s, char *why, size_t whylen)
{
	char hex[CERT_FP_HEX];

	if (cert_fingerprint_parse(s, hex) == 0)
		return 0;
	snprintf(why, whylen, "expected 64 hex digits (the SHA-256 the hub "
	    "logs)");
	return -1;
}

static int
config_nic_via_ok(const char *s, char *why, size_t whylen)
{
	if (transport_find(s) != NULL)
		return 0;
	snprintf(why, whylen, "unknown transport (known: %s)",
	    transport_names());
	return -1;
}

/* ADDR/PREFIX, as the card will give it to the TAP device. */
static int
config_nic_ip_ok(const char *s, char *why, size_t whylen)
{
	char addr[INET6_ADDRSTRLEN];
	unsigned char bin[sizeof(struct in6_addr)];
	const char *slash = strchr(s, '/');
	size_t i, plen;
	int bits = -1, prefix = 0;

	if (slash != NULL && (size_t)(slash - s) < sizeof addr) {
		memcpy(addr, s, (size_t)(slash - s));
		addr[slash - s] = '\0';
		if (inet_pton(AF_INET, addr, bin) == 1)
			bits = CONFIG_NIC_V4_BITS;
		else if (inet_pton(AF_INET6, addr, bin) == 1)
			bits = CONFIG_NIC_V6_BITS;
	}
	plen = slash != NULL ? strlen(slash + 1) : 0;
	for (i = 0; bits > 0 && i < plen; i++) {
		if (slash[1 + i] < '0' || slash[1 + i] > '9' ||
		    plen > CONFIG_NIC_PREFIX_DIGITS)
			break;
		prefix = prefix * 10 + (slash[1 + i] - '0');
	}
	if (bits > 0 && plen > 0 && i == plen && prefix <= bits)
		return 0;
	snprintf(why, whylen, "expected ADDRESS/PREFIX, e.g. 192.168.77.1/24");
	return -1;
}

/* ssh reads a leading '-' as one of its own options. */
static int
config_nic_ssh_ok(const char *s, char *why, size_t whylen)
{
	if (s[0] != '-' && strchr(s, ' ') == NULL)
		return 0;
	snprintf(why, whylen, "expected [USER@]GATEWAY[:PORT] (no spaces, "
	    "not starting with '-')");
	return -1;
}

static int
config_nic_option_ok(const char *s, char *why, size_t whylen)
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

#define CONFIG_NIC_STR(k, lo, hi, fn) \
	{ .name = #k, .type = CFG_STR, \
	  .off = offsetof(struct config_nic, k), .min = lo, .max = hi, \
	  .check = fn }
#define CONFIG_NIC_PATH(k) \
	{ .name = #k, .type = CFG_PATH, \
	  .off = offsetof(struct config_nic, k), .min = 1, \
	  .max = CFG_PATH_MAX }

static const struct cfg_key config_nic_option_elem = {
	.type = CFG_STR, .flags = CFG_REQUIRED, .size = sizeof(char *),
	.min = 1, .max = CONFIG_NIC_OPTION_MAX, .check = config_nic_option_ok
};

static const struct cfg_key config_nic_keys[] = {
	CONFIG_NIC_STR(connect, 1, CONFIG_NIC_HOST_MAX + 8,
	    config_nic_connect_ok),
	{ .name = "hub_name", .type = CFG_NAME,
	  .off = offsetof(struct config_nic, hub_name),
	  .min = 1, .max = PROTO_MAX_NAME, .extra = "._-" },
	{ .name = "user", .type = CFG_NAME,
	  .off = offsetof(struct config_nic, user),
	  .min = 1, .max = PROTO_MAX_NAME, .extra = "._@-" },
	CONFIG_NIC_PATH(password_file),
	{ .name = "tap", .type = CFG_NAME,
	  .off = offsetof(struct config_nic, tap),
	  .min = 1, .max = DEV_NAME_MAX, .extra = "._-" },
	CONFIG_NIC_STR(mac, 1, sizeof "5e:01:02:03:04:05" - 1,
	    config_nic_mac_ok),
	CONFIG_NIC_STR(ip, 1, INET6_ADDRSTRLEN + 4, config_nic_ip_ok),
	CONFIG_NIC_STR(fingerprint, 1, 3 * CERT_FP_HEX, config_nic_fp_ok),
	CONFIG_NIC_PATH(ca),
	CONFIG_NIC_PATH(known_hubs),
	CONFIG_NIC_STR(via, 1, CONFIG_NIC_HOST_MAX, config_nic_via_ok),
	CONFIG_NIC_STR(proxy, 1, CONFIG_NIC_HOST_MAX + 8,
	    config_nic_proxy_ok),
	CONFIG_NIC_STR(proxy_user, 1, CONFIG_NIC_HOST_MAX, NULL),
	CONFIG_NIC_PATH(proxy_password_file),
	CONFIG_NIC_STR(ssh, 1, CONFIG_NIC_DEST_MAX, config_nic_ssh_ok),
	{ .name = "ssh_options", .type = CFG_LIST,
	  .off = offsetof(struct config_nic, ssh_options),
	  .count_off = offsetof(struct config_nic, nssh_options),
	  .min = 0, .max = TRANSPORT_MAX_SSH_OPTIONS,
	  .elem = &config_nic_option_elem },
	{ .name = "resume_window", .type = CFG_SECONDS,
	  .off = offsetof(struct config_nic, resume_window_ms),
	  .min = 500, .max = 3600 * 1000 },
	{ .name = "dead_peer", .type = CFG_SECONDS,
	  .off = offsetof(struct config_nic, dead_peer_ms),
	  .min = 2 * 1000, .max = 600 * 1000 },
};
_Static_assert(CFG_NKEYS(config_nic_keys) <= CFG_MAX_KEYS,
    "the set mask holds every key");
static const struct cfg_table config_nic_table = {
	"nic", config_nic_keys, CFG_NKEYS(config_nic_keys), 0, 0,
	1, offsetof(struct config_nic, set)
};

int
config_nic_load_string(const char *source, const char *text, size_t len,
    struct config_nic *out, char *err, size_t errlen)
{
	struct cfg_ctx c;
	int rc;

	memset(out, 0, sizeof *out);
	cfg_init(&c, source, err, errlen);
	rc = cfg_load(&c, text, len, &config_nic_table, (char *)out);
	if (rc == 0 && (out->source = strdup(c.source)) == NULL)
		rc = cfg_oom(&c);
	if (rc != 0) {
		config_nic_free(out);
		return -1;
	}
	return 0;
}

int
config_nic_load_file(const char *path, struct config_nic *out, char *err,
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
	rc = config_nic_load_string(path, buf, len, out, err, errlen);
	free(buf);
	return rc;
}

void
config_nic_free(struct config_nic *cfg)
{
	if (cfg == NULL)
		return;
	cfg_free_table(&config_nic_table, (char *)cfg);
	free(cfg->source);
	memset(cfg, 0, sizeof *cfg);
}

void
config_nic_print(const struct config_nic *cfg, FILE *out)
{
	cfg_print_table(out, &config_nic_table, (const char *)cfg, 0, 0);
}
