/*
 * cfgload.h: the YAML loader behind every configuration file: screens and loads
 * one document, then walks it with tables of keys (one row per key) that also
 * drive printing and freeing. Errors read FILE:LINE:COL: KEY.PATH: message.
 */
#ifndef SOFTETHER_CFGLOAD_H
#define SOFTETHER_CFGLOAD_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <yaml.h>

#define CFG_MAX_BYTES	(4u * 1024u * 1024u) /* larger files are refused */
#define CFG_PATH_MAX	((uint32_t)PATH_MAX - 1u)
#define CFG_KEYPATH	128u	/* "hubs[255].users[65535].password" */
#define CFG_SHOW	48u	/* longest piece of input echoed in a message */
#define CFG_MAX_KEYS	32u	/* keys in one table (and bits in a set mask) */

enum cfg_type {
	CFG_UINT,	/* uint32_t in min..max; a plain scalar */
	CFG_BOOL,	/* bool: plain true or false */
	CFG_SECONDS,	/* uint32_t milliseconds in min..max; plain seconds */
	CFG_NAME,	/* char *: min..max of [A-Za-z0-9] and extra */
	CFG_HASH,	/* char *: passes auth_hash_valid() */
	CFG_PATH,	/* char *: absolute, at most max bytes */
	CFG_LEVEL,	/* enum log_level */
	CFG_ADDR,	/* char *: listen address, stored normalised */
	CFG_STR,	/* char *: min..max bytes that pass check (if any) */
	CFG_MAP,	/* keys of sub, in the struct at off */
	CFG_LIST,	/* min..max elements described by elem */
};

#define CFG_REQUIRED	0x1u
#define CFG_UNIQUE	0x2u	/* list: elements' first key must differ */
#define CFG_QUIET	0x4u	/* map: not printed when no key is set */

struct cfg_table;

/* CFG_STR: 0 if s is acceptable, else -1 with why saying what is wrong. */
typedef int cfg_check_fn(const char *s, char *why, size_t whylen);

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
	cfg_check_fn *check;	/* CFG_STR */
	const struct cfg_key *elem;	/* CFG_LIST */
	const struct cfg_table *sub;	/* CFG_MAP */
	/* Its command-line option without "--" (NULL: the name with '_'
	 * written '-'); a list's option adds one element each time. */
	const char *opt;
	const char *arg;	/* what the option takes, for --help */
};

/* Where a key was given: line and column in the file (1-based), or 0 for
 * the command line. */
struct cfg_mark {
	uint32_t line, col;
};

struct cfg_table {
	const char *what;	/* "hub", "user": names the duplicates */
	const struct cfg_key *keys;
	size_t nkeys;
	int has_line;		/* record the mapping's line at line_off */
	size_t line_off;
	size_t col_off;		/* not 0: its column there too */
	/* Keys are optional, with no defaults: a uint32_t at set_off records
	 * which were given (bit i: key i), and only those are printed. */
	int has_set;
	size_t set_off;
	/* has_set tables may also keep each key's cfg_mark (an array of
	 * CFG_MAX_KEYS at marks_off), for errors found after loading. */
	int has_marks;
	size_t marks_off;
};

#define CFG_NKEYS(a)	(sizeof(a) / sizeof((a)[0]))

struct cfg_ctx {
	const char *source;
	const char *opt;	/* a command-line option being read, or NULL */
	yaml_document_t *doc;
	char *err;
	size_t errlen;
	char path[CFG_KEYPATH];
	size_t pathlen;
};

void cfg_init(struct cfg_ctx *c, const char *source, char *err,
    size_t errlen);
/* Always -1: writes "SOURCE[:LINE:COL]: [KEY.PATH: ]message" to c->err. */
int cfg_err(struct cfg_ctx *c, const yaml_mark_t *m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int cfg_oom(struct cfg_ctx *c);
/* Input echoed into a message: one short, printable line. */
const char *cfg_show(char buf[CFG_SHOW + 4], const char *s, size_t len);
/* C0, DEL, C1, U+2028/9 or a BOM anywhere in s. */
int cfg_has_control(const char *s, size_t len);

/* The first line of a small file (a password, a key), without its line end,
 * into out (cap bytes, NUL-terminated; what does not fit is cut). 0, or -1
 * with err: "OPT PATH: why". */
int cfg_read_line(const char *opt, const char *path, char *out, size_t cap,
    size_t *len, char *err, size_t errlen);
/* The whole file into a malloc'd buffer (free it), at most CFG_MAX_BYTES. */
int cfg_read_file(struct cfg_ctx *c, const char *path, char **text,
    size_t *len);
/* Parse text and fill base through top (keys absent get their defaults).
 * On failure base may hold part of the values: cfg_free_table it. */
int cfg_load(struct cfg_ctx *c, const char *text, size_t len,
    const struct cfg_table *top, char *base);
/* Fill every unset CFG_PATH with a derive name as that file in dir. */
int cfg_derive(struct cfg_ctx *c, const struct cfg_table *t, char *base,
    const char *dir);
void cfg_free_table(const struct cfg_table *t, char *base);
/* Free what one key holds in base (and clear it). */
void cfg_free_key(const struct cfg_key *k, char *base);
/* One node through key k's checks into base (the loader's own files). */
int cfg_node_value(struct cfg_ctx *c, const struct cfg_key *k,
    yaml_node_t *node, char *base);

/*
 * cfgopt.c: the same tables on the command line. cfg_opt_name gives key
 * k's option name (without "--") in buf. cfg_arg applies "--opt value" to
 * a has_set table: 1 if opt is not one of its keys, 0 done, -1 with
 * "--opt VALUE: what was wrong" in c->err. A relative CFG_PATH is taken
 * from the current directory.
 */
const char *cfg_opt_name(const struct cfg_key *k, char *buf, size_t len);
int cfg_arg(struct cfg_ctx *c, const struct cfg_table *t, char *base,
    const char *opt, const char *value);
/* Keys set in src replace dst's (src gives them up); both has_set. */
void cfg_merge(const struct cfg_table *t, char *dst, char *src);
/* Key name of t was given (in the file or on the command line). */
int cfg_is_set(const struct cfg_table *t, const char *base,
    const char *name);
/* An error about key name found after loading: "SOURCE:LINE:COL: name:
 * message" if the file gave it, "--opt: message" if the command line did.
 * Always -1. */
int cfg_key_err(const struct cfg_table *t, const char *base,
    const char *source, const char *name, char *err, size_t errlen,
    const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* Canonical YAML; reloading it gives the same values. */
void cfg_print_table(FILE *out, const struct cfg_table *t, const char *base,
    int indent, int dash);

#endif
