/*
 * cfgopt.c: the configuration tables on the command line. An option is a
 * key of a table (hub_name is --hub-name) and its value goes through the
 * very checks the file's would, so a file and a command line can never
 * disagree on what is valid. Also: merging the two (the command line
 * wins, key by key) and errors about a key found once both are in.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfgload.h"
#include "log.h"

#define CFGOPT_NAME_MAX  64u

const char *
cfg_opt_name(const struct cfg_key *k, char *buf, size_t len)
{
	size_t i;

	if (k->opt != NULL)
		return k->opt;
	for (i = 0; k->name[i] != '\0' && i + 1 < len; i++)
		buf[i] = k->name[i] == '_' ? '-' : k->name[i];
	buf[i] = '\0';
	return buf;
}

static uint32_t *
cfg_set_mask(const struct cfg_table *t, const char *base)
{
	return (uint32_t *)(void *)(base + t->set_off);
}

static struct cfg_mark *
cfg_marks(const struct cfg_table *t, const char *base)
{
	return t->has_marks ?
	    (struct cfg_mark *)(void *)(base + t->marks_off) : NULL;
}

/* A relative path on the command line means one in the current
 * directory; the file's checks want it absolute. */
static char *
cfg_abs_path(const char *value)
{
	char cwd[CFG_PATH_MAX + 1], *out;
	size_t len;

	if (value[0] == '/' || value[0] == '\0' ||
	    getcwd(cwd, sizeof cwd) == NULL)
		return strdup(value);
	len = strlen(cwd) + 1 + strlen(value) + 1;
	if ((out = malloc(len)) != NULL)
		snprintf(out, len, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd,
		    value);
	return out;
}

/* One more element for list key k; its storage index in *at. */
static int
cfg_grow(struct cfg_ctx *c, const struct cfg_key *k, char *base, size_t *at)
{
	size_t *n = (size_t *)(void *)(base + k->count_off);
	char *arr, *na;

	if (*n >= k->max)
		return cfg_err(c, NULL, "at most %u of these", k->max);
	memcpy(&arr, base + k->off, sizeof arr);
	if ((na = realloc(arr, (*n + 1) * k->elem->size)) == NULL)
		return cfg_oom(c);
	memset(na + *n * k->elem->size, 0, k->elem->size);
	memcpy(base + k->off, &na, sizeof na);
	*at = (*n)++;
	return 0;
}

int
cfg_arg(struct cfg_ctx *c, const struct cfg_table *t, char *base,
    const char *opt, const char *value)
{
	char name[CFGOPT_NAME_MAX], shown[CFGOPT_NAME_MAX + CFG_SHOW + 8];
	char show[CFG_SHOW + 4], *v = NULL;
	const struct cfg_key *k = NULL, *vk;
	yaml_document_t doc;
	yaml_node_t *node;
	char *into = base;
	size_t i, at = 0;
	int id, rc;

	for (i = 0; i < t->nkeys && k == NULL; i++)
		if (strcmp(cfg_opt_name(&t->keys[i], name, sizeof name),
		    opt) == 0)
			k = &t->keys[i];
	if (k == NULL)
		return 1;
	i--;
	snprintf(shown, sizeof shown, "%s %s", opt,
	    cfg_show(show, value, strlen(value)));
	c->opt = shown;
	vk = k->type == CFG_LIST ? k->elem : k;
	if (vk->type == CFG_PATH && (value = v = cfg_abs_path(value)) == NULL) {
		rc = cfg_oom(c);
		goto out;
	}
	/* The value as the one node of a document, as if the file had it
	 * (plain, so numbers are numbers). */
	if (yaml_document_initialize(&doc, NULL, NULL, NULL, 1, 1) == 0) {
		rc = cfg_oom(c);
		goto out;
	}
	id = yaml_document_add_scalar(&doc, NULL,
	    (yaml_char_t *)(uintptr_t)value, (int)strlen(value),
	    YAML_PLAIN_SCALAR_STYLE);
	node = id > 0 ? yaml_document_get_node(&doc, id) : NULL;
	c->doc = &doc;
	if (node == NULL)
		rc = cfg_oom(c);
	else if (k->type == CFG_LIST && (rc = cfg_grow(c, k, base, &at)) == 0) {
		memcpy(&into, base + k->off, sizeof into);
		rc = cfg_node_value(c, vk, node, into + at * vk->size);
	} else if (k->type != CFG_LIST)
		rc = cfg_node_value(c, k, node, base);
	c->doc = NULL;
	yaml_document_delete(&doc);
	if (rc == 0) {
		*cfg_set_mask(t, base) |= 1u << i;
		if (cfg_marks(t, base) != NULL)
			memset(&cfg_marks(t, base)[i], 0,
			    sizeof(struct cfg_mark));
	}
out:
	c->opt = NULL;
	free(v);
	return rc;
}

/* Bytes of the field a key of this type stores at its offset. */
static size_t
cfg_field_size(const struct cfg_key *k)
{
	switch (k->type) {
	case CFG_UINT:
	case CFG_SECONDS:
		return sizeof(uint32_t);
	case CFG_BOOL:
		return sizeof(bool);
	case CFG_LEVEL:
		return sizeof(enum log_level);
	default:
		return sizeof(char *);
	}
}

void
cfg_merge(const struct cfg_table *t, char *dst, char *src)
{
	uint32_t *dset = cfg_set_mask(t, dst), *sset = cfg_set_mask(t, src);
	struct cfg_mark *dm = cfg_marks(t, dst), *sm = cfg_marks(t, src);

	for (size_t i = 0; i < t->nkeys; i++) {
		const struct cfg_key *k = &t->keys[i];
		if (!(*sset & 1u << i))
			continue;
		cfg_free_key(k, dst);
		memcpy(dst + k->off, src + k->off, cfg_field_size(k));
		memset(src + k->off, 0, cfg_field_size(k));
		if (k->type == CFG_LIST) {
			memcpy(dst + k->count_off, src + k->count_off,
			    sizeof(size_t));
			memset(src + k->count_off, 0, sizeof(size_t));
		}
		if (dm != NULL)
			dm[i] = sm != NULL ? sm[i] : (struct cfg_mark){ 0, 0 };
		*dset |= 1u << i;
		*sset &= ~(1u << i);
	}
}

static int
cfg_index(const struct cfg_table *t, const char *name)
{
	for (size_t i = 0; i < t->nkeys; i++)
		if (strcmp(t->keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
cfg_is_set(const struct cfg_table *t, const char *base, const char *name)
{
	int i = cfg_index(t, name);

	return i >= 0 && (*cfg_set_mask(t, base) & 1u << i) != 0;
}

int
cfg_key_err(const struct cfg_table *t, const char *base, const char *source,
    const char *name, char *err, size_t errlen, const char *fmt, ...)
{
	char opt[CFGOPT_NAME_MAX];
	const struct cfg_mark *m = cfg_marks(t, base);
	int i = cfg_index(t, name), n;
	va_list ap;

	if (i < 0 || errlen == 0)
		return -1;
	if (m != NULL && m[i].line > 0)
		n = snprintf(err, errlen, "%s:%u:%u: %s: ", source, m[i].line,
		    m[i].col, name);
	else
		n = snprintf(err, errlen, "--%s: ",
		    cfg_opt_name(&t->keys[i], opt, sizeof opt));
	if (n < 0 || (size_t)n >= errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}
