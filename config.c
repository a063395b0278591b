/*
 * config.c: loads, validates, prints and frees the hub's YAML configuration.
 * One table of keys per mapping level drives all four, so a key is one row.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "auth.h"
#include "config.h"
#include "proto.h"

#define CFG_MAX_BYTES	(4u * 1024u * 1024u) /* larger files are refused */
#define CFG_MAX_DEPTH	16u	/* the schema itself nests 5 deep */
/* Bounds the loader's memory; a file of CFG_MAX_BYTES holding real
 * (97-byte) hashes has fewer than 2^18 nodes. */
#define CFG_MAX_NODES	(1u << 18)
#define CFG_PATH_MAX	((uint32_t)PATH_MAX - 1u)
/* state_dir leaves room for the file names kept under it. */
#define CFG_STATE_MAX	((uint32_t)PATH_MAX - 64u)
#define CFG_KEYPATH	128u	/* "hubs[255].users[65535].password" */
#define CFG_SHOW	48u	/* longest piece of input echoed in a message */
#define CFG_DESCRIBE	160u
#define CFG_MAX_KEYS	16u	/* keys in one table */
#define CFG_KNOWN	256u	/* "known: ..." list of a table's keys */
#define CFG_PORT_MAX	65535u
#define CFG_PORT_DIGITS	5u
#define CFG_INDENT	2

enum cfg_type {
	CFG_UINT,	/* uint32_t in min..max; a plain scalar */
	CFG_BOOL,	/* bool: plain true or false */
	CFG_NAME,	/* char *: min..max of [A-Za-z0-9] and extra */
	CFG_HASH,	/* char *: passes auth_hash_valid() */
	CFG_PATH,	/* char *: absolute, at most max bytes */
	CFG_LEVEL,	/* enum log_level */
	CFG_ADDR,	/* char *: listen address, stored normalised */
	CFG_MAP,	/* keys of sub, in the struct at off */
	CFG_LIST,	/* min..max elements described by elem */
};

#define CFG_REQUIRED	0x1u
#define CFG_UNIQUE	0x2u	/* list: elements' first key must differ */
#define CFG_QUIET	0x4u	/* map: not printed when no key is set */

struct cfg_table;

struct cfg_key {
	const char *name;
	enum cfg_type type;
	unsigned flags;
	size_t off;		/* the field, from the level's struct */
	size_t count_off;	/* CFG_LIST: its size_t element count */
	size_t size;		/* list element: bytes per element */
	uint32_t min, max;	/* value, length or element count */
	const char *def;	/* default as YAML text; NULL: required/derived */
	const char *derive;	/* CFG_PATH default: this file in state_dir */
	const char *extra;	/* CFG_NAME: allowed besides letters, digits */
	const char *help;	/* how to fix a bad value */
	const struct cfg_key *elem;	/* CFG_LIST */
	const struct cfg_table *sub;	/* CFG_MAP */
};

struct cfg_table {
	const char *what;	/* "hub", "user": names the duplicates */
	const struct cfg_key *keys;
	size_t nkeys;
	int has_line;		/* record the mapping's line at line_off */
	size_t line_off;
	/* Keys are optional, with no defaults: a uint32_t at set_off records
	 * which were given (bit i: key i), and only those are printed. */
	int has_set;
	size_t set_off;
};

#define CFG_NKEYS(a)	(sizeof(a) / sizeof((a)[0]))

#define CFG_POL_BOOL(k) \
	{ .name = #k, .type = CFG_BOOL, \
	  .off = offsetof(struct config_policy, p.k) }
#define CFG_POL_UINT(k) \
	{ .name = #k, .type = CFG_UINT, \
	  .off = offsetof(struct config_policy, p.k), .min = 0, .max = 65535 }

/* A hub's default_policy and a user's policy: the same keys. */
static const struct cfg_key cfg_policy_keys[] = {
	CFG_POL_BOOL(deny_access),
	CFG_POL_BOOL(deny_reconnect),
	CFG_POL_BOOL(force_dhcp_ip),
	CFG_POL_UINT(max_ip),
	CFG_POL_UINT(max_mac),
	CFG_POL_BOOL(deny_duplicate_ip),
	CFG_POL_BOOL(deny_duplicate_mac),
	CFG_POL_BOOL(deny_broadcast),
	CFG_POL_BOOL(deny_dhcp_server),
	CFG_POL_BOOL(filter_dhcp),
	CFG_POL_BOOL(ipv6_ra_filter),
	CFG_POL_UINT(max_sessions),
};
_Static_assert(CFG_NKEYS(cfg_policy_keys) <= CFG_MAX_KEYS &&
    CFG_NKEYS(cfg_policy_keys) <= 32, "the set mask holds every key");
static const struct cfg_table cfg_policy_table = {
	"policy", cfg_policy_keys, CFG_NKEYS(cfg_policy_keys), 0, 0,
	1, offsetof(struct config_policy, set)
};

static const struct cfg_key cfg_user_keys[] = {
	{ .name = "name", .type = CFG_NAME, .flags = CFG_REQUIRED,
	  .off = offsetof(struct config_user, name),
	  .min = 1, .max = PROTO_MAX_NAME, .extra = "._@-" },
	{ .name = "password", .type = CFG_HASH, .flags = CFG_REQUIRED,
	  .off = offsetof(struct config_user, password),
	  .help = "make one with: softether --hash-password" },
	{ .name = "policy", .type = CFG_MAP, .flags = CFG_QUIET,
	  .off = offsetof(struct config_user, policy),
	  .sub = &cfg_policy_table },
};
static const struct cfg_table cfg_user_table = {
	"user", cfg_user_keys, CFG_NKEYS(cfg_user_keys),
	1, offsetof(struct config_user, line), 0, 0
};
static const struct cfg_key cfg_user_elem = {
	.type = CFG_MAP, .size = sizeof(struct config_user),
	.sub = &cfg_user_table
};

static const struct cfg_key cfg_hub_keys[] = {
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
	  .sub = &cfg_policy_table },
	{ .name = "users", .type = CFG_LIST, .flags = CFG_UNIQUE,
	  .off = offsetof(struct config_hub, users),
	  .count_off = offsetof(struct config_hub, nusers),
	  .min = 0, .max = CONFIG_MAX_USERS, .def = "[]",
	  .elem = &cfg_user_elem },
};
_Static_assert(CFG_NKEYS(cfg_hub_keys) <= CFG_MAX_KEYS, "seen[] holds them");
static const struct cfg_table cfg_hub_table = {
	"hub", cfg_hub_keys, CFG_NKEYS(cfg_hub_keys), 0, 0, 0, 0
};
static const struct cfg_key cfg_hub_elem = {
	.type = CFG_MAP, .size = sizeof(struct config_hub),
	.sub = &cfg_hub_table
};

static const struct cfg_key cfg_listen_elem = {
	.type = CFG_ADDR, .flags = CFG_REQUIRED, .size = sizeof(char *),
	.help = "e.g. 0.0.0.0:443, [::]:443 or *:443"
};

static const struct cfg_key cfg_tls_keys[] = {
	{ .name = "cert", .type = CFG_PATH,
	  .off = offsetof(struct config, tls_cert),
	  .min = 1, .max = CFG_PATH_MAX, .derive = "hub.crt" },
	{ .name = "key", .type = CFG_PATH,
	  .off = offsetof(struct config, tls_key),
	  .min = 1, .max = CFG_PATH_MAX, .derive = "hub.key" },
};
static const struct cfg_table cfg_tls_table = {
	"tls", cfg_tls_keys, CFG_NKEYS(cfg_tls_keys), 0, 0, 0, 0
};

static const struct cfg_key cfg_log_keys[] = {
	{ .name = "level", .type = CFG_LEVEL,
	  .off = offsetof(struct config, log_level), .def = "info" },
};
static const struct cfg_table cfg_log_table = {
	"log", cfg_log_keys, CFG_NKEYS(cfg_log_keys), 0, 0, 0, 0
};

static const struct cfg_key cfg_top_keys[] = {
	{ .name = "listen", .type = CFG_LIST,
	  .off = offsetof(struct config, listen),
	  .count_off = offsetof(struct config, nlisten),
	  .min = 1, .max = CONFIG_MAX_LISTEN,
	  .def = "[\"0.0.0.0:443\", \"[::]:443\", "
	      "\"0.0.0.0:7777\", \"[::]:7777\"]",
	  .elem = &cfg_listen_elem },
	{ .name = "state_dir", .type = CFG_PATH,
	  .off = offsetof(struct config, state_dir),
	  .min = 1, .max = CFG_STATE_MAX, .def = CONFIG_DEFAULT_STATE },
	{ .name = "tls", .type = CFG_MAP, .sub = &cfg_tls_table },
	{ .name = "log", .type = CFG_MAP, .sub = &cfg_log_table },
	{ .name = "hubs", .type = CFG_LIST, .flags = CFG_UNIQUE,
	  .off = offsetof(struct config, hubs),
	  .count_off = offsetof(struct config, nhubs),
	  .min = 1, .max = CONFIG_MAX_HUBS, .def = "[{name: DEFAULT}]",
	  .elem = &cfg_hub_elem },
};
static const struct cfg_table cfg_top_table = {
	"config", cfg_top_keys, CFG_NKEYS(cfg_top_keys), 0, 0, 0, 0
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

struct cfg_ctx {
	const char *source;
	yaml_document_t *doc;
	char *err;
	size_t errlen;
	char path[CFG_KEYPATH];
	size_t pathlen;
};

/* A parsed listen address. */
struct cfg_addr {
	int star;		/* "*": both wildcards */
	int family;
	unsigned char addr[sizeof(struct in6_addr)];
	unsigned port;
};

static int cfg_value(struct cfg_ctx *, const struct cfg_key *, yaml_node_t *,
    char *);
static int cfg_map(struct cfg_ctx *, yaml_node_t *, const struct cfg_table *,
    char *, const yaml_mark_t *);
static void cfg_free_table(const struct cfg_table *, char *);

static void
cfg_verr(struct cfg_ctx *c, const yaml_mark_t *m, const char *fmt, va_list ap)
{
	int n;

	if (c->err == NULL || c->errlen == 0)
		return;
	if (m != NULL)
		n = snprintf(c->err, c->errlen, "%s:%zu:%zu: ", c->source,
		    m->line + 1, m->column + 1);
	else
		n = snprintf(c->err, c->errlen, "%s: ", c->source);
	if (n < 0 || (size_t)n >= c->errlen)
		return;
	if (c->pathlen > 0) {
		int k = snprintf(c->err + n, c->errlen - (size_t)n, "%s: ",
		    c->path);
		if (k < 0 || (size_t)k >= c->errlen - (size_t)n)
			return;
		n += k;
	}
	vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
}

static int __attribute__((format(printf, 3, 4)))
cfg_err(struct cfg_ctx *c, const yaml_mark_t *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_verr(c, m, fmt, ap);
	va_end(ap);
	return -1;
}

/* Input echoed into a message stays one short, printable line. */
static const char *
cfg_show(char buf[CFG_SHOW + 4], const char *s, size_t len)
{
	size_t i, n = len < CFG_SHOW ? len : CFG_SHOW;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		buf[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	if (n < len)
		memcpy(buf + i, "...", 3), i += 3;
	buf[i] = '\0';
	return buf;
}

static size_t
cfg_push(struct cfg_ctx *c, const char *key)
{
	size_t old = c->pathlen;
	int n = snprintf(c->path + old, sizeof c->path - old, "%s%s",
	    old > 0 ? "." : "", key);

	if (n > 0)
		c->pathlen = old + (size_t)n < sizeof c->path ?
		    old + (size_t)n : sizeof c->path - 1;
	return old;
}

static size_t
cfg_push_index(struct cfg_ctx *c, size_t i)
{
	size_t old = c->pathlen;
	int n = snprintf(c->path + old, sizeof c->path - old, "[%zu]", i);

	if (n > 0)
		c->pathlen = old + (size_t)n < sizeof c->path ?
		    old + (size_t)n : sizeof c->path - 1;
	return old;
}

static void
cfg_pop(struct cfg_ctx *c, size_t old)
{
	c->pathlen = old;
	c->path[old] = '\0';
}

static int
cfg_oom(struct cfg_ctx *c)
{
	return cfg_err(c, NULL, "out of memory");
}

/* ---- YAML text to a document ------------------------------------------ */

static int
cfg_syntax(struct cfg_ctx *c, const yaml_parser_t *p, const char *text,
    size_t len)
{
	yaml_mark_t m;
	size_t i;

	if (p->error == YAML_MEMORY_ERROR)
		return cfg_oom(c);
	if (p->error == YAML_READER_ERROR) {
		/* The reader reports a byte offset, not a mark. */
		memset(&m, 0, sizeof m);
		for (i = 0; i < p->problem_offset && i < len; i++) {
			if (text[i] == '\n') {
				m.line++;
				m.column = 0;
			} else if (((unsigned char)text[i] & 0xc0) != 0x80)
				m.column++;
		}
		return cfg_err(c, &m, "unreadable YAML: %s",
		    p->problem != NULL ? p->problem : "bad input");
	}
	if (p->context != NULL)
		return cfg_err(c, &p->problem_mark,
		    "YAML syntax error: %s (%s at line %zu)",
		    p->problem != NULL ? p->problem : "unknown",
		    p->context, p->context_mark.line + 1);
	return cfg_err(c, &p->problem_mark, "YAML syntax error: %s",
	    p->problem != NULL ? p->problem : "unknown");
}

/*
 * A first pass over the events refuses what the document loader would
 * happily build: aliases (one small text can expand without bound when
 * walked), deep nesting, too many nodes, tags and extra documents.
 */
static int
cfg_screen(struct cfg_ctx *c, const char *text, size_t len)
{
	yaml_parser_t p;
	yaml_event_t ev;
	size_t depth = 0, nodes = 0, docs = 0;
	char show[CFG_SHOW + 4];
	const char *an;
	int rc = 0, done = 0;

	if (!yaml_parser_initialize(&p))
		return cfg_oom(c);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!done && rc == 0) {
		if (!yaml_parser_parse(&p, &ev)) {
			rc = cfg_syntax(c, &p, text, len);
			break;
		}
		const unsigned char *tag = NULL;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1)
				rc = cfg_err(c, &ev.start_mark,
				    "only one YAML document is allowed "
				    "(remove this '---' and what follows)");
			break;
		case YAML_ALIAS_EVENT:
			an = (const char *)ev.data.alias.anchor;
			rc = cfg_err(c, &ev.start_mark,
			    "YAML aliases (*%s) are not supported; "
			    "write the value out in full",
			    cfg_show(show, an, strlen(an)));
			break;
		case YAML_SCALAR_EVENT:
			tag = ev.data.scalar.tag;
			nodes++;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			tag = ev.type == YAML_SEQUENCE_START_EVENT ?
			    ev.data.sequence_start.tag :
			    ev.data.mapping_start.tag;
			nodes++;
			if (++depth > CFG_MAX_DEPTH)
				rc = cfg_err(c, &ev.start_mark,
				    "nested more than %u levels deep",
				    CFG_MAX_DEPTH);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		default:
			break;
		}
		if (rc == 0 && tag != NULL)
			rc = cfg_err(c, &ev.start_mark,
			    "YAML tags (!...) are not supported; remove it");
		if (rc == 0 && nodes > CFG_MAX_NODES)
			rc = cfg_err(c, &ev.start_mark,
			    "more than %u YAML nodes", CFG_MAX_NODES);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return rc;
}

static int
cfg_parse(struct cfg_ctx *c, const char *text, size_t len,
    yaml_document_t *doc)
{
	yaml_parser_t p;
	int rc = 0;

	if (text == NULL)
		text = "";
	if (cfg_screen(c, text, len) == -1)
		return -1;
	if (!yaml_parser_initialize(&p))
		return cfg_oom(c);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	if (!yaml_parser_load(&p, doc))
		rc = cfg_syntax(c, &p, text, len);
	yaml_parser_delete(&p);
	return rc;
}

/* ---- Nodes to values ------------------------------------------------- */

static int
cfg_is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	size_t i;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	for (i = 0; i < CFG_NKEYS(nulls); i++)
		if (strcmp((const char *)n->data.scalar.value, nulls[i]) == 0)
			return 1;
	return 0;
}

static void
cfg_describe(const struct cfg_key *k, char *buf, size_t len)
{
	int i;
	size_t n;

	switch (k->type) {
	case CFG_UINT:
		snprintf(buf, len, "an integer %u..%u", k->min, k->max);
		break;
	case CFG_BOOL:
		snprintf(buf, len, "true or false");
		break;
	case CFG_NAME:
		snprintf(buf, len, "a name of %u..%u characters "
		    "[A-Za-z0-9%s]", k->min, k->max, k->extra);
		break;
	case CFG_HASH:
		snprintf(buf, len, "an $argon2id$ hash");
		break;
	case CFG_PATH:
		snprintf(buf, len, "an absolute path");
		break;
	case CFG_LEVEL:
		n = (size_t)snprintf(buf, len, "one of");
		for (i = LOG_LVL_ERROR; i <= LOG_LVL_DEBUG && n < len; i++)
			n += (size_t)snprintf(buf + n, len - n, "%s %s",
			    i == LOG_LVL_ERROR ? "" : ",",
			    log_level_name((enum log_level)i));
		break;
	case CFG_ADDR:
		snprintf(buf, len, "ADDR:PORT, [IPV6ADDR]:PORT or *:PORT");
		break;
	case CFG_MAP:
		snprintf(buf, len, "a mapping");
		break;
	case CFG_LIST:
		snprintf(buf, len, "a list");
		break;
	}
}

static int
cfg_expected(struct cfg_ctx *c, const struct cfg_key *k, const yaml_node_t *n)
{
	char what[CFG_DESCRIBE];

	cfg_describe(k, what, sizeof what);
	if (k->help != NULL)
		return cfg_err(c, &n->start_mark, "expected %s (%s)", what,
		    k->help);
	return cfg_err(c, &n->start_mark, "expected %s", what);
}

static int
cfg_uint(struct cfg_ctx *c, const struct cfg_key *k, const yaml_node_t *n,
    char *base)
{
	const unsigned char *s;
	size_t i, len;
	uint64_t v = 0;

	/* Quoted numbers are strings in YAML; hex, octal and signs are not
	 * worth the ambiguity. */
	if (n->type != YAML_SCALAR_NODE)
		return cfg_expected(c, k, n);
	s = n->data.scalar.value;
	len = n->data.scalar.length;
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
		if (len > 0 && strspn((const char *)s, "0123456789") == len)
			return cfg_err(c, &n->start_mark, "expected an integer "
			    "%u..%u (write it without quotes)", k->min, k->max);
		return cfg_expected(c, k, n);
	}
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return cfg_expected(c, k, n);
		if (v <= k->max)
			v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v < k->min || v > k->max)
		return cfg_expected(c, k, n);
	*(uint32_t *)(void *)(base + k->off) = (uint32_t)v;
	return 0;
}

/* Only YAML 1.2's plain true and false: yes/no/on/off are not booleans
 * there, and a quoted "true" is a string. */
static int
cfg_bool(struct cfg_ctx *c, const struct cfg_key *k, const yaml_node_t *n,
    char *base)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE)
		return cfg_expected(c, k, n);
	s = (const char *)n->data.scalar.value;
	if (strcmp(s, "true") != 0 && strcmp(s, "false") != 0)
		return cfg_expected(c, k, n);
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return cfg_err(c, &n->start_mark, "expected true or false "
		    "(write it without quotes)");
	*(bool *)(void *)(base + k->off) = s[0] == 't';
	return 0;
}

static int
cfg_name_ok(const struct cfg_key *k, const char *s, size_t len)
{
	size_t i;

	if (len < k->min || len > k->max)
		return 0;
	for (i = 0; i < len; i++) {
		char ch = s[i];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || strchr(k->extra, ch) != NULL))
			return 0;
	}
	return 1;
}

/* C0, DEL, C1 and the Unicode line separators: nothing a name, path or
 * hash needs, and each would need escaping to print back. */
static int
cfg_has_control(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i;

	for (i = 0; i < len; i++) {
		if (u[i] < 0x20 || u[i] == 0x7f)
			return 1;
		if (u[i] == 0xc2 && i + 1 < len && u[i + 1] >= 0x80 &&
		    u[i + 1] <= 0x9f)
			return 1;
		if (u[i] == 0xe2 && i + 2 < len && u[i + 1] == 0x80 &&
		    (u[i + 2] == 0xa8 || u[i + 2] == 0xa9))
			return 1;
		if (u[i] == 0xef && i + 2 < len && u[i + 1] == 0xbb &&
		    u[i + 2] == 0xbf)
			return 1;
	}
	return 0;
}

/* "*:P", "A.B.C.D:P" or "[V6]:P"; on failure *why says what is wrong. */
static int
cfg_addr_parse(const char *s, size_t len, struct cfg_addr *a,
    char *why, size_t whylen)
{
	char host[INET6_ADDRSTRLEN], show[CFG_SHOW + 4];
	const char *colon, *port;
	size_t hlen, plen, i;
	unsigned v = 0;

	memset(a, 0, sizeof *a);
	if (len > 0 && s[0] == '[') {
		const char *end = memchr(s, ']', len);
		if (end == NULL || end + 1 >= s + len || end[1] != ':') {
			snprintf(why, whylen, "expected [IPV6ADDR]:PORT, "
			    "got '%s'", cfg_show(show, s, len));
			return -1;
		}
		hlen = (size_t)(end - s) - 1;
		a->family = AF_INET6;
		colon = end + 1;
	} else {
		colon = NULL;
		for (i = len; i > 0; i--)
			if (s[i - 1] == ':') {
				colon = s + i - 1;
				break;
			}
		if (colon == NULL) {
			snprintf(why, whylen, "expected ADDR:PORT, "
			    "[IPV6ADDR]:PORT or *:PORT, got '%s'",
			    cfg_show(show, s, len));
			return -1;
		}
		hlen = (size_t)(colon - s);
		a->family = AF_INET;
	}
	/* Too long for any address: leave host empty so inet_pton fails. */
	if (hlen < sizeof host)
		memcpy(host, a->family == AF_INET6 ? s + 1 : s, hlen);
	host[hlen < sizeof host ? hlen : 0] = '\0';
	port = colon + 1;
	plen = len - (size_t)(port - s);
	for (i = 0; i < plen && plen <= CFG_PORT_DIGITS; i++) {
		if (port[i] < '0' || port[i] > '9')
			break;
		v = v * 10 + (unsigned)(port[i] - '0');
	}
	if (plen == 0 || plen > CFG_PORT_DIGITS || i < plen || v == 0 ||
	    v > CFG_PORT_MAX) {
		snprintf(why, whylen, "bad port '%s' (expected 1..%u)",
		    cfg_show(show, port, plen), CFG_PORT_MAX);
		return -1;
	}
	a->port = v;
	if (a->family == AF_INET && strcmp(host, "*") == 0) {
		a->star = 1;
		return 0;
	}
	if (inet_pton(a->family, host, a->addr) == 1)
		return 0;
	if (a->family == AF_INET && memchr(s, ':', hlen) != NULL)
		snprintf(why, whylen, "bad address '%s' (write IPv6 addresses "
		    "in brackets, e.g. [::1]:443)", cfg_show(show, s, hlen));
	else
		snprintf(why, whylen, "bad address '%s' (expected an IPv4 "
		    "address, [IPv6 address] or *)",
		    cfg_show(show, a->family == AF_INET6 ? s + 1 : s, hlen));
	return -1;
}

static char *
cfg_addr_format(const struct cfg_addr *a)
{
	char host[INET6_ADDRSTRLEN], *out;
	size_t len;

	if (a->star)
		snprintf(host, sizeof host, "*");
	else if (inet_ntop(a->family, a->addr, host, sizeof host) == NULL)
		return NULL;
	len = strlen(host) + sizeof "[]:65535";
	if ((out = malloc(len)) == NULL)
		return NULL;
	snprintf(out, len, a->family == AF_INET6 ? "[%s]:%u" : "%s:%u", host,
	    a->port);
	return out;
}

static int
cfg_string(struct cfg_ctx *c, const struct cfg_key *k, const yaml_node_t *n,
    char *base)
{
	char why[CFG_DESCRIBE + CFG_SHOW], **field;
	const char *s;
	size_t len;
	struct cfg_addr a;
	char *v;
	int lvl;

	if (n->type != YAML_SCALAR_NODE)
		return cfg_expected(c, k, n);
	s = (const char *)n->data.scalar.value;
	len = n->data.scalar.length;
	/* Escapes can put a NUL inside a YAML string. */
	if (memchr(s, '\0', len) != NULL || cfg_has_control(s, len))
		return cfg_err(c, &n->start_mark,
		    "control characters are not allowed here");
	switch (k->type) {
	case CFG_LEVEL:
		if ((lvl = log_level_parse(s)) < 0)
			return cfg_expected(c, k, n);
		*(enum log_level *)(void *)(base + k->off) =
		    (enum log_level)lvl;
		return 0;
	case CFG_NAME:
		if (!cfg_name_ok(k, s, len))
			return cfg_expected(c, k, n);
		v = strdup(s);
		break;
	case CFG_HASH:
		if (len >= AUTH_HASH_MAX || !auth_hash_valid(s))
			return cfg_expected(c, k, n);
		v = strdup(s);
		break;
	case CFG_PATH:
		if (s[0] != '/')
			return cfg_expected(c, k, n);
		if (len > k->max)
			return cfg_err(c, &n->start_mark,
			    "path too long (at most %u bytes)", k->max);
		v = strdup(s);
		break;
	case CFG_ADDR:
		if (cfg_addr_parse(s, len, &a, why, sizeof why) == -1)
			return cfg_err(c, &n->start_mark, "%s", why);
		v = cfg_addr_format(&a);
		break;
	default:
		return cfg_expected(c, k, n);
	}
	if (v == NULL)
		return cfg_oom(c);
	field = (char **)(void *)(base + k->off);
	free(*field);
	*field = v;
	return 0;
}

static yaml_node_t *
cfg_lookup(struct cfg_ctx *c, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *pr;
	yaml_node_t *k;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (pr = map->data.mapping.pairs.start;
	    pr < map->data.mapping.pairs.top; pr++) {
		k = yaml_document_get_node(c->doc, pr->key);
		if (k != NULL && k->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(c->doc, pr->value);
	}
	return NULL;
}

struct cfg_ent {
	const char *name;
	size_t idx;
};

static int
cfg_ent_cmp(const void *pa, const void *pb)
{
	const struct cfg_ent *a = pa, *b = pb;
	int d = strcmp(a->name, b->name);

	if (d != 0)
		return d;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Sorting keeps 65536 users cheap; the reported duplicate is the first
 * one in file order. */
static int
cfg_unique(struct cfg_ctx *c, const struct cfg_key *k, yaml_node_t *list,
    char *arr, size_t n)
{
	const struct cfg_key *id = &k->elem->sub->keys[0];
	struct cfg_ent *e;
	size_t i, dup = SIZE_MAX, first = 0, old;
	yaml_node_t *item, *dn, *fn;
	char show[CFG_SHOW + 4];
	const char *name;

	if (n < 2)
		return 0;
	if ((e = calloc(n, sizeof *e)) == NULL)
		return cfg_oom(c);
	for (i = 0; i < n; i++) {
		e[i].name = *(char **)(void *)(arr + i * k->elem->size +
		    id->off);
		e[i].idx = i;
	}
	qsort(e, n, sizeof *e, cfg_ent_cmp);
	for (i = 1; i < n; i++)
		if (strcmp(e[i].name, e[i - 1].name) == 0 &&
		    (i < 2 || strcmp(e[i - 1].name, e[i - 2].name) != 0) &&
		    e[i].idx < dup) {
			dup = e[i].idx;
			first = e[i - 1].idx;
		}
	free(e);
	if (dup == SIZE_MAX)
		return 0;
	name = *(char **)(void *)(arr + dup * k->elem->size + id->off);
	item = yaml_document_get_node(c->doc,
	    list->data.sequence.items.start[dup]);
	dn = cfg_lookup(c, item, id->name);
	fn = cfg_lookup(c, yaml_document_get_node(c->doc,
	    list->data.sequence.items.start[first]), id->name);
	old = cfg_push_index(c, dup);
	cfg_push(c, id->name);
	cfg_err(c, dn != NULL ? &dn->start_mark : &item->start_mark,
	    "duplicate %s name '%s' (first at line %zu)", k->elem->sub->what,
	    cfg_show(show, name, strlen(name)),
	    fn != NULL ? fn->start_mark.line + 1 : 0);
	cfg_pop(c, old);
	return -1;
}

/* Two entries that would bind the same socket. */
static int
cfg_listen_unique(struct cfg_ctx *c, yaml_node_t *list, char **addrs,
    size_t n)
{
	static const unsigned char any[sizeof(struct in6_addr)];
	struct cfg_addr a, b;
	char why[CFG_DESCRIBE + CFG_SHOW], show[CFG_SHOW + 4];
	yaml_node_t *item, *prev;
	size_t i, j, old;
	int clash;

	for (i = 1; i < n; i++) {
		if (cfg_addr_parse(addrs[i], strlen(addrs[i]), &a, why,
		    sizeof why) == -1)
			continue;
		for (j = 0; j < i; j++) {
			if (cfg_addr_parse(addrs[j], strlen(addrs[j]), &b, why,
			    sizeof why) == -1 || a.port != b.port)
				continue;
			/* "*" is the wildcard of both families. */
			if (a.star || b.star)
				clash = (a.star && b.star) ||
				    memcmp(a.star ? b.addr : a.addr, any,
				    sizeof any) == 0;
			else
				clash = a.family == b.family &&
				    memcmp(a.addr, b.addr, sizeof a.addr) == 0;
			if (!clash)
				continue;
			item = yaml_document_get_node(c->doc,
			    list->data.sequence.items.start[i]);
			prev = yaml_document_get_node(c->doc,
			    list->data.sequence.items.start[j]);
			old = cfg_push_index(c, i);
			cfg_err(c, &item->start_mark, "'%s' overlaps '%s' "
			    "(line %zu); list each address and port once",
			    addrs[i], cfg_show(show, addrs[j],
			    strlen(addrs[j])), prev->start_mark.line + 1);
			cfg_pop(c, old);
			return -1;
		}
	}
	return 0;
}

static int
cfg_list(struct cfg_ctx *c, const struct cfg_key *k, yaml_node_t *node,
    char *base)
{
	const struct cfg_key *el = k->elem;
	size_t i, n, old;
	yaml_node_t *item;
	char *arr;
	int rc;

	if (node->type != YAML_SEQUENCE_NODE)
		return cfg_expected(c, k, node);
	n = (size_t)(node->data.sequence.items.top -
	    node->data.sequence.items.start);
	if (n > k->max) {
		item = yaml_document_get_node(c->doc,
		    node->data.sequence.items.start[k->max]);
		old = cfg_push_index(c, k->max);
		cfg_err(c, item != NULL ? &item->start_mark :
		    &node->start_mark, "too many entries (at most %u)",
		    k->max);
		cfg_pop(c, old);
		return -1;
	}
	if (n < k->min)
		return cfg_err(c, &node->start_mark,
		    "expected %u..%u entries", k->min, k->max);
	if ((arr = calloc(n > 0 ? n : 1, el->size)) == NULL)
		return cfg_oom(c);
	/* Owned by the struct from here, so config_free cleans up. */
	memcpy(base + k->off, &arr, sizeof arr);
	*(size_t *)(void *)(base + k->count_off) = n;
	for (i = 0; i < n; i++) {
		item = yaml_document_get_node(c->doc,
		    node->data.sequence.items.start[i]);
		if (item == NULL)
			return cfg_err(c, &node->start_mark, "broken list");
		old = cfg_push_index(c, i);
		rc = cfg_value(c, el, item, arr + i * el->size);
		cfg_pop(c, old);
		if (rc == -1)
			return -1;
	}
	if (k->flags & CFG_UNIQUE)
		return cfg_unique(c, k, node, arr, n);
	if (el->type == CFG_ADDR)
		return cfg_listen_unique(c, node, (char **)(void *)arr, n);
	return 0;
}

/* Defaults are YAML text run through the same checks as the file. */
static int
cfg_default(struct cfg_ctx *c, const struct cfg_key *k, char *base,
    const yaml_mark_t *where)
{
	yaml_document_t doc, *saved = c->doc;
	yaml_node_t *root;
	int rc;

	if (k->type == CFG_MAP)
		return cfg_map(c, NULL, k->sub, base + k->off, where);
	if (k->def == NULL)
		return 0;	/* derived once state_dir is known */
	if (cfg_parse(c, k->def, strlen(k->def), &doc) == -1)
		return -1;
	c->doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root == NULL || cfg_is_null(root))
		rc = cfg_err(c, where, "bad built-in default");
	else
		rc = cfg_value(c, k, root, base);
	c->doc = saved;
	yaml_document_delete(&doc);
	return rc;
}

static int
cfg_value(struct cfg_ctx *c, const struct cfg_key *k, yaml_node_t *node,
    char *base)
{
	if (cfg_is_null(node)) {
		if (k->type == CFG_MAP)
			return cfg_map(c, NULL, k->sub, base + k->off,
			    &node->start_mark);
		if (k->flags & CFG_REQUIRED)
			return cfg_expected(c, k, node);
		return cfg_default(c, k, base, &node->start_mark);
	}
	switch (k->type) {
	case CFG_MAP:
		if (node->type != YAML_MAPPING_NODE)
			return cfg_expected(c, k, node);
		return cfg_map(c, node, k->sub, base + k->off,
		    &node->start_mark);
	case CFG_LIST:
		return cfg_list(c, k, node, base);
	case CFG_UINT:
		return cfg_uint(c, k, node, base);
	case CFG_BOOL:
		return cfg_bool(c, k, node, base);
	default:
		return cfg_string(c, k, node, base);
	}
}

static int
cfg_map(struct cfg_ctx *c, yaml_node_t *node, const struct cfg_table *t,
    char *base, const yaml_mark_t *where)
{
	const yaml_node_t *seen[CFG_MAX_KEYS] = { 0 };
	char known[CFG_KNOWN], show[CFG_SHOW + 4];
	yaml_node_pair_t *pr;
	yaml_node_t *key, *val;
	const char *ks;
	size_t i, n, klen, old;
	int rc;

	if (t->has_line)
		*(int *)(void *)(base + t->line_off) = (int)where->line + 1;
	for (pr = node != NULL ? node->data.mapping.pairs.start : NULL;
	    node != NULL && pr < node->data.mapping.pairs.top; pr++) {
		key = yaml_document_get_node(c->doc, pr->key);
		val = yaml_document_get_node(c->doc, pr->value);
		if (key == NULL || val == NULL)
			return cfg_err(c, where, "broken mapping");
		if (key->type != YAML_SCALAR_NODE)
			return cfg_err(c, &key->start_mark,
			    "expected a key name here");
		ks = (const char *)key->data.scalar.value;
		klen = key->data.scalar.length;
		for (i = 0; i < t->nkeys; i++)
			if (strlen(t->keys[i].name) == klen &&
			    memcmp(t->keys[i].name, ks, klen) == 0)
				break;
		if (i == t->nkeys) {
			for (n = 0, i = 0; i < t->nkeys && n < sizeof known;
			    i++)
				n += (size_t)snprintf(known + n,
				    sizeof known - n, "%s%s", i ? ", " : "",
				    t->keys[i].name);
			return cfg_err(c, &key->start_mark,
			    "unknown key '%s' (known: %s)",
			    cfg_show(show, ks, klen), known);
		}
		if (seen[i] != NULL)
			return cfg_err(c, &key->start_mark,
			    "duplicate key '%s' (first at line %zu)",
			    t->keys[i].name, seen[i]->start_mark.line + 1);
		seen[i] = key;
		old = cfg_push(c, t->keys[i].name);
		rc = cfg_value(c, &t->keys[i], val, base);
		cfg_pop(c, old);
		if (rc == -1)
			return -1;
	}
	for (i = 0; i < t->nkeys; i++) {
		if (seen[i] != NULL) {
			if (t->has_set)
				*(uint32_t *)(void *)(base + t->set_off) |=
				    1u << i;
			continue;
		}
		if (t->keys[i].flags & CFG_REQUIRED)
			return cfg_err(c, where, "missing required key '%s'",
			    t->keys[i].name);
		old = cfg_push(c, t->keys[i].name);
		rc = cfg_default(c, &t->keys[i], base, where);
		cfg_pop(c, old);
		if (rc == -1)
			return -1;
	}
	return 0;
}

static char *
cfg_join(const char *dir, const char *file)
{
	size_t dlen = strlen(dir), len = dlen + 1 + strlen(file) + 1;
	char *out = malloc(len);

	if (out != NULL)
		snprintf(out, len, "%s%s%s", dir,
		    dlen > 0 && dir[dlen - 1] == '/' ? "" : "/", file);
	return out;
}

static int
cfg_derive(struct cfg_ctx *c, const struct cfg_table *t, char *base,
    const char *state_dir)
{
	const struct cfg_key *k;
	char **field;
	size_t i;

	for (i = 0; i < t->nkeys; i++) {
		k = &t->keys[i];
		if (k->type == CFG_MAP) {
			if (cfg_derive(c, k->sub, base + k->off,
			    state_dir) == -1)
				return -1;
			continue;
		}
		if (k->derive == NULL)
			continue;
		field = (char **)(void *)(base + k->off);
		if (*field == NULL && (*field = cfg_join(state_dir,
		    k->derive)) == NULL)
			return cfg_oom(c);
	}
	return 0;
}

static int
cfg_override(struct cfg_ctx *c, struct config *cfg, const char *dir)
{
	char show[CFG_SHOW + 4];
	size_t len = strlen(dir);
	char *v;

	if (dir[0] != '/' || len > CFG_STATE_MAX ||
	    cfg_has_control(dir, len))
		return cfg_err(c, NULL, "state directory '%s' given on the "
		    "command line: expected an absolute path of at most %u "
		    "bytes", cfg_show(show, dir, len), CFG_STATE_MAX);
	if ((v = strdup(dir)) == NULL)
		return cfg_oom(c);
	free(cfg->state_dir);
	cfg->state_dir = v;
	return 0;
}

/* Each user's effective policy: the hub's default, then the user's keys. */
static void
cfg_policies(struct config *cfg)
{
	const struct cfg_key *k;
	struct config_hub *hub;
	struct config_user *u;
	size_t i, j, n;

	for (i = 0; i < cfg->nhubs; i++) {
		hub = &cfg->hubs[i];
		for (j = 0; j < hub->nusers; j++) {
			u = &hub->users[j];
			for (n = 0; n < CFG_NKEYS(cfg_policy_keys); n++) {
				k = &cfg_policy_keys[n];
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
	yaml_document_t doc;
	yaml_node_t *root;
	yaml_mark_t top;
	int rc;

	memset(cfg, 0, sizeof *cfg);
	memset(&c, 0, sizeof c);
	c.source = source != NULL ? source : "<string>";
	c.err = err;
	c.errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (len > CFG_MAX_BYTES)
		return cfg_err(&c, NULL, "too large (%zu bytes, at most %u)",
		    len, CFG_MAX_BYTES);
	if (text == NULL && len > 0)
		return cfg_err(&c, NULL, "no text");
	if (cfg_parse(&c, text, len, &doc) == -1)
		return -1;
	c.doc = &doc;
	memset(&top, 0, sizeof top);
	root = yaml_document_get_root_node(&doc);
	if (root == NULL || cfg_is_null(root))
		rc = cfg_map(&c, NULL, &cfg_top_table, (char *)cfg, &top);
	else if (root->type != YAML_MAPPING_NODE)
		rc = cfg_err(&c, &root->start_mark,
		    "expected a mapping of settings at the top level");
	else
		rc = cfg_map(&c, root, &cfg_top_table, (char *)cfg,
		    &root->start_mark);
	c.doc = NULL;
	yaml_document_delete(&doc);
	if (rc == 0)
		cfg_policies(cfg);
	if (rc == 0 && state_dir_override != NULL)
		rc = cfg_override(&c, cfg, state_dir_override);
	if (rc == 0)
		rc = cfg_derive(&c, &cfg_top_table, (char *)cfg,
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
	struct stat st;
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd, rc;

	memset(cfg, 0, sizeof *cfg);
	memset(&c, 0, sizeof c);
	c.source = path != NULL ? path : "<null>";
	c.err = err;
	c.errlen = errlen;
	if (path == NULL)
		return cfg_err(&c, NULL, "no configuration file given");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return cfg_err(&c, NULL, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) == -1 || S_ISDIR(st.st_mode)) {
		rc = cfg_err(&c, NULL, "cannot read: %s",
		    S_ISDIR(st.st_mode) ? "is a directory" : strerror(errno));
		close(fd);
		return rc;
	}
	/* Read one byte past the limit to tell "exactly full" from "more". */
	for (;;) {
		if (len == cap) {
			cap = cap == 0 ? 4096 : cap * 2;
			if (cap > CFG_MAX_BYTES + 1)
				cap = CFG_MAX_BYTES + 1;
			if (len == cap) {
				free(buf);
				close(fd);
				return cfg_err(&c, NULL, "too large (more than "
				    "%u bytes)", CFG_MAX_BYTES);
			}
			if ((nb = realloc(buf, cap)) == NULL) {
				free(buf);
				close(fd);
				return cfg_oom(&c);
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rc = cfg_err(&c, NULL, "cannot read: %s",
			    strerror(errno));
			free(buf);
			close(fd);
			return rc;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	rc = config_load_string(path, buf, len, state_dir_override, cfg, err,
	    errlen);
	free(buf);
	return rc;
}

static void
cfg_free_value(const struct cfg_key *k, char *base)
{
	char **field, *arr;
	size_t i, n;

	switch (k->type) {
	case CFG_UINT:
	case CFG_BOOL:
	case CFG_LEVEL:
		break;
	case CFG_MAP:
		cfg_free_table(k->sub, base + k->off);
		break;
	case CFG_LIST:
		memcpy(&arr, base + k->off, sizeof arr);
		n = *(size_t *)(void *)(base + k->count_off);
		for (i = 0; arr != NULL && i < n; i++)
			cfg_free_value(k->elem, arr + i * k->elem->size);
		free(arr);
		break;
	default:
		field = (char **)(void *)(base + k->off);
		free(*field);
		*field = NULL;
		break;
	}
}

static void
cfg_free_table(const struct cfg_table *t, char *base)
{
	size_t i;

	for (i = 0; i < t->nkeys; i++)
		cfg_free_value(&t->keys[i], base);
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	cfg_free_table(&cfg_top_table, (char *)cfg);
	free(cfg->source);
	memset(cfg, 0, sizeof *cfg);
}

/* Double-quoted, escaping whatever YAML would not read back as itself. */
static void
cfg_print_quoted(FILE *out, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned cp;

	fputc('"', out);
	for (; *u != '\0'; u++) {
		if (*u == '"' || *u == '\\') {
			fprintf(out, "\\%c", *u);
			continue;
		}
		if (*u < 0x20 || *u == 0x7f) {
			fprintf(out, "\\x%02x", *u);
			continue;
		}
		cp = 0;
		if (u[0] == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f)
			cp = u[1];
		else if (u[0] == 0xe2 && u[1] == 0x80 &&
		    (u[2] == 0xa8 || u[2] == 0xa9))
			cp = 0x2000u | ((unsigned)u[2] - 0x80u);
		else if (u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf)
			cp = 0xfeff;
		if (cp != 0) {
			fprintf(out, "\\u%04x", cp);
			u += cp < 0x100 ? 1 : 2;
			continue;
		}
		fputc(*u, out);
	}
	fputc('"', out);
}

static void
cfg_print_scalar(FILE *out, const struct cfg_key *k, const char *base)
{
	const char *s;

	switch (k->type) {
	case CFG_UINT:
		fprintf(out, "%u", *(const uint32_t *)(const void *)(base +
		    k->off));
		break;
	case CFG_BOOL:
		fputs(*(const bool *)(const void *)(base + k->off) ? "true" :
		    "false", out);
		break;
	case CFG_LEVEL:
		fputs(log_level_name(*(const enum log_level *)(const void *)
		    (base + k->off)), out);
		break;
	default:
		s = *(char *const *)(const void *)(base + k->off);
		if (s != NULL)
			cfg_print_quoted(out, s);
		else
			fputc('~', out);
		break;
	}
}

static void
cfg_print_table(FILE *out, const struct cfg_table *t, const char *base,
    int indent, int dash)
{
	const struct cfg_key *k;
	const char *arr;
	size_t i, j, n;
	uint32_t set = t->has_set ?
	    *(const uint32_t *)(const void *)(base + t->set_off) : 0, subset;

	for (i = 0; i < t->nkeys; i++) {
		k = &t->keys[i];
		if (t->has_set && !(set & 1u << i))
			continue;
		subset = k->type == CFG_MAP && k->sub->has_set ?
		    *(const uint32_t *)(const void *)(base + k->off +
		    k->sub->set_off) : 1;
		if (subset == 0 && (k->flags & CFG_QUIET))
			continue;
		if (i == 0 && dash)
			fprintf(out, "%*s- ", indent - CFG_INDENT, "");
		else
			fprintf(out, "%*s", indent, "");
		fprintf(out, "%s:", k->name);
		if (k->type == CFG_MAP) {
			fputs(subset == 0 ? " {}\n" : "\n", out);
			cfg_print_table(out, k->sub, base + k->off,
			    indent + CFG_INDENT, 0);
			continue;
		}
		if (k->type != CFG_LIST) {
			fputc(' ', out);
			cfg_print_scalar(out, k, base);
			fputc('\n', out);
			continue;
		}
		memcpy(&arr, base + k->off, sizeof arr);
		n = *(const size_t *)(const void *)(base + k->count_off);
		if (arr == NULL || n == 0) {
			fputs(" []\n", out);
			continue;
		}
		fputc('\n', out);
		for (j = 0; j < n; j++) {
			if (k->elem->type == CFG_MAP) {
				cfg_print_table(out, k->elem->sub,
				    arr + j * k->elem->size,
				    indent + 2 * CFG_INDENT, 1);
				continue;
			}
			fprintf(out, "%*s- ", indent + CFG_INDENT, "");
			cfg_print_scalar(out, k->elem, arr + j * k->elem->size);
			fputc('\n', out);
		}
	}
}

void
config_print(const struct config *cfg, FILE *out)
{
	cfg_print_table(out, &cfg_top_table, (const char *)cfg, 0, 0);
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
