/*
 * cfgload.c: the generic YAML loader: screens text for what a configuration
 * never needs (aliases, tags, depth), loads it, and walks it by key tables.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <yaml.h>

#include "auth.h"
#include "cfgload.h"
#include "log.h"

#define CFG_MAX_DEPTH	16u	/* the schema itself nests 5 deep */
/* Bounds the loader's memory; a file of CFG_MAX_BYTES holding real
 * (97-byte) hashes has fewer than 2^18 nodes. */
#define CFG_MAX_NODES	(1u << 18)
#define CFG_DESCRIBE	160u
#define CFG_KNOWN	384u	/* "known: ..." list of a table's keys */
#define CFG_PORT_MAX	65535u
#define CFG_PORT_DIGITS	5u

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

static void
cfg_verr(struct cfg_ctx *c, const yaml_mark_t *m, const char *fmt, va_list ap)
{
	int n;

	if (c->err == NULL || c->errlen == 0)
		return;
	if (c->opt != NULL) {
		/* The command line: the option stands for file and key. */
		n = snprintf(c->err, c->errlen, "--%s: ", c->opt);
		if (n >= 0 && (size_t)n < c->errlen)
			vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
		return;
	}
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

int
cfg_err(struct cfg_ctx *c, const yaml_mark_t *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_verr(c, m, fmt, ap);
	va_end(ap);
	return -1;
}

const char *
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

int
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
	case CFG_SECONDS:
		snprintf(buf, len, "seconds, %g..%g", k->min / 1000.0,
		    k->max / 1000.0);
		break;
	case CFG_STR:
		snprintf(buf, len, "a string of %u..%u bytes", k->min, k->max);
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

/* Plain decimal seconds with at most millisecond precision, like the
 * command line's --resume-window 2.5; stored as milliseconds. */
static int
cfg_seconds(struct cfg_ctx *c, const struct cfg_key *k, const yaml_node_t *n,
    char *base)
{
	const char *s;
	size_t i, len, frac = 0;
	uint64_t v = 0, scale = 1000;
	int dot = 0;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return cfg_expected(c, k, n);
	s = (const char *)n->data.scalar.value;
	len = n->data.scalar.length;
	for (i = 0; i < len; i++) {
		if (s[i] == '.' && !dot && i > 0 && i + 1 < len) {
			dot = 1;
			continue;
		}
		if (s[i] < '0' || s[i] > '9')
			return cfg_expected(c, k, n);
		if (!dot) {
			/* Past max already: stop growing, stay out of range. */
			if (v <= (uint64_t)k->max)
				v = v * 10 + (uint64_t)(s[i] - '0') * 1000;
			continue;
		}
		if (++frac > 3)
			return cfg_err(c, &n->start_mark, "at most three "
			    "decimals (milliseconds)");
		scale /= 10;
		v += (uint64_t)(s[i] - '0') * scale;
	}
	if (len == 0 || v < k->min || v > k->max)
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
int
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
	case CFG_STR:
		if (len < k->min || len > k->max)
			return cfg_expected(c, k, n);
		if (k->check != NULL && k->check(s, why, sizeof why) != 0)
			return cfg_err(c, &n->start_mark, "%s", why);
		v = strdup(s);
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
	/* Owned by the struct from here, so cfg_free_table cleans up. */
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
		/* No duration stands for "none", so null is no duration. */
		if ((k->flags & CFG_REQUIRED) || k->type == CFG_SECONDS)
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
	case CFG_SECONDS:
		return cfg_seconds(c, k, node, base);
	case CFG_BOOL:
		return cfg_bool(c, k, node, base);
	default:
		return cfg_string(c, k, node, base);
	}
}

int
cfg_node_value(struct cfg_ctx *c, const struct cfg_key *k, yaml_node_t *node,
    char *base)
{
	return cfg_value(c, k, node, base);
}

static int
cfg_map(struct cfg_ctx *c, yaml_node_t *node, const struct cfg_table *t,
    char *base, const yaml_mark_t *where)
{
	const yaml_node_t *seen[CFG_MAX_KEYS] = { 0 };
	uint32_t given = 0;
	char known[CFG_KNOWN], show[CFG_SHOW + 4];
	yaml_node_pair_t *pr;
	yaml_node_t *key, *val;
	const char *ks;
	size_t i, n, klen, old;
	int rc;

	if (t->has_line)
		*(int *)(void *)(base + t->line_off) = (int)where->line + 1;
	if (t->col_off != 0)
		*(int *)(void *)(base + t->col_off) = (int)where->column + 1;
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
		/* A null with no default is a key not given. */
		if (!cfg_is_null(val) || t->keys[i].def != NULL ||
		    t->keys[i].type == CFG_MAP)
			given |= 1u << i;
		if (t->has_marks) {
			struct cfg_mark *mk = (struct cfg_mark *)(void *)
			    (base + t->marks_off);
			mk[i].line = (uint32_t)key->start_mark.line + 1;
			mk[i].col = (uint32_t)key->start_mark.column + 1;
		}
		old = cfg_push(c, t->keys[i].name);
		rc = cfg_value(c, &t->keys[i], val, base);
		cfg_pop(c, old);
		if (rc == -1)
			return -1;
	}
	for (i = 0; i < t->nkeys; i++) {
		if (seen[i] != NULL) {
			if (t->has_set && (given & 1u << i))
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

int
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

void
cfg_free_key(const struct cfg_key *k, char *base)
{
	char **field, *arr;
	size_t i, n;

	switch (k->type) {
	case CFG_UINT:
	case CFG_BOOL:
	case CFG_SECONDS:
	case CFG_LEVEL:
		break;
	case CFG_MAP:
		cfg_free_table(k->sub, base + k->off);
		break;
	case CFG_LIST:
		memcpy(&arr, base + k->off, sizeof arr);
		n = *(size_t *)(void *)(base + k->count_off);
		for (i = 0; arr != NULL && i < n; i++)
			cfg_free_key(k->elem, arr + i * k->elem->size);
		free(arr);
		arr = NULL;
		memcpy(base + k->off, &arr, sizeof arr);
		memset(base + k->count_off, 0, sizeof n);
		break;
	default:
		field = (char **)(void *)(base + k->off);
		free(*field);
		*field = NULL;
		break;
	}
}

void
cfg_free_table(const struct cfg_table *t, char *base)
{
	size_t i;

	for (i = 0; i < t->nkeys; i++)
		cfg_free_key(&t->keys[i], base);
}


/* Double-quoted, escaping whatever YAML would not read back as itself. */
void
cfg_init(struct cfg_ctx *c, const char *source, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	c->source = source != NULL ? source : "<string>";
	c->err = err;
	c->errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
}

int
cfg_load(struct cfg_ctx *c, const char *text, size_t len,
    const struct cfg_table *top, char *base)
{
	yaml_document_t doc;
	yaml_node_t *root;
	yaml_mark_t start;
	int rc;

	if (len > CFG_MAX_BYTES)
		return cfg_err(c, NULL, "too large (%zu bytes, at most %u)",
		    len, CFG_MAX_BYTES);
	if (text == NULL && len > 0)
		return cfg_err(c, NULL, "no text");
	if (cfg_parse(c, text, len, &doc) == -1)
		return -1;
	c->doc = &doc;
	memset(&start, 0, sizeof start);
	root = yaml_document_get_root_node(&doc);
	if (root == NULL || cfg_is_null(root))
		rc = cfg_map(c, NULL, top, base, &start);
	else if (root->type != YAML_MAPPING_NODE)
		rc = cfg_err(c, &root->start_mark,
		    "expected a mapping of settings at the top level");
	else
		rc = cfg_map(c, root, top, base, &root->start_mark);
	c->doc = NULL;
	yaml_document_delete(&doc);
	return rc;
}
