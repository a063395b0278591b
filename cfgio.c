/*
 * cfgio.c: configuration files in and out: reading one (bounded in size,
 * never a directory), and printing canonical YAML driven by the same key
 * tables as loading: every string quoted and escaped, durations in
 * seconds, so that what is printed loads back to the same values.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfgload.h"
#include "log.h"

#define CFG_INDENT	2

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
	char frac[8];
	const char *s;
	uint32_t ms;
	size_t i;

	switch (k->type) {
	case CFG_UINT:
		fprintf(out, "%u", *(const uint32_t *)(const void *)(base +
		    k->off));
		break;
	case CFG_BOOL:
		fputs(*(const bool *)(const void *)(base + k->off) ? "true" :
		    "false", out);
		break;
	case CFG_SECONDS:
		ms = *(const uint32_t *)(const void *)(base + k->off);
		fprintf(out, "%u", ms / 1000);
		if (ms % 1000 != 0) {
			snprintf(frac, sizeof frac, "%03u", ms % 1000);
			for (i = strlen(frac); i > 0 && frac[i - 1] == '0';
			    i--)
				frac[i - 1] = '\0';
			fprintf(out, ".%s", frac);
		}
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

void
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

int
cfg_read_line(const char *opt, const char *path, char *out, size_t cap,
    size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r = -1;
	char *nl;

	if (fd >= 0) {
		do
			r = read(fd, out, cap - 1);
		while (r < 0 && errno == EINTR);
		int saved = errno;
		close(fd);
		errno = saved;
	}
	if (r < 0) {
		snprintf(err, errlen, "%s %s: %s", opt, path, strerror(errno));
		return -1;
	}
	*len = (size_t)r;
	if ((nl = memchr(out, '\n', *len)) != NULL)
		*len = (size_t)(nl - out);
	if (*len > 0 && out[*len - 1] == '\r')
		(*len)--;
	out[*len] = '\0';
	return 0;
}

int
cfg_read_file(struct cfg_ctx *c, const char *path, char **text, size_t *len)
{
	struct stat st;
	char *buf = NULL, *nb;
	size_t used = 0, cap = 0;
	ssize_t n;
	int fd, rc;

	*text = NULL;
	*len = 0;
	if (path == NULL)
		return cfg_err(c, NULL, "no configuration file given");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return cfg_err(c, NULL, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) == -1 || S_ISDIR(st.st_mode)) {
		rc = cfg_err(c, NULL, "cannot read: %s",
		    S_ISDIR(st.st_mode) ? "is a directory" : strerror(errno));
		close(fd);
		return rc;
	}
	/* Read one byte past the limit to tell "exactly full" from "more". */
	for (;;) {
		if (used == cap) {
			cap = cap == 0 ? 4096 : cap * 2;
			if (cap > CFG_MAX_BYTES + 1)
				cap = CFG_MAX_BYTES + 1;
			if (used == cap) {
				free(buf);
				close(fd);
				return cfg_err(c, NULL, "too large (more than "
				    "%u bytes)", CFG_MAX_BYTES);
			}
			if ((nb = realloc(buf, cap)) == NULL) {
				free(buf);
				close(fd);
				return cfg_oom(c);
			}
			buf = nb;
		}
		n = read(fd, buf + used, cap - used);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rc = cfg_err(c, NULL, "cannot read: %s",
			    strerror(errno));
			free(buf);
			close(fd);
			return rc;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	*text = buf;
	*len = used;
	return 0;
}
