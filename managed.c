/*
 * managed.c: the console's changes, apart from the hand-written
 * configuration. <state_dir>/managed.yaml holds, per hub, the keys changed
 * and the users added, replaced or removed, and the hubs created or
 * removed; it is laid over the configuration file at every start and
 * reload (the console's word wins for what it names), and rewritten
 * atomically after every change.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfgload.h"
#include "atomic.h"
#include "managed.h"
#include "proto.h"

#define MANAGED_PATH_MAX 4096

static const struct cfg_key managed_hub_name_elem = {
	.type = CFG_NAME, .flags = CFG_REQUIRED, .size = sizeof(char *),
	.min = 1, .max = PROTO_MAX_NAME, .extra = "._-"
};
static const struct cfg_key managed_user_name_elem = {
	.type = CFG_NAME, .flags = CFG_REQUIRED, .size = sizeof(char *),
	.min = 1, .max = PROTO_MAX_NAME, .extra = "._@-"
};

static const struct cfg_key managed_hub_keys[] = {
	{ .name = "name", .type = CFG_NAME, .flags = CFG_REQUIRED,
	  .off = offsetof(struct managed_hub, name),
	  .min = 1, .max = PROTO_MAX_NAME, .extra = "._-" },
	{ .name = "create", .type = CFG_BOOL,
	  .off = offsetof(struct managed_hub, create) },
	{ .name = "online", .type = CFG_BOOL,
	  .off = offsetof(struct managed_hub, online) },
	{ .name = "mac_aging", .type = CFG_UINT,
	  .off = offsetof(struct managed_hub, mac_aging_s),
	  .min = 10, .max = 86400 },
	{ .name = "max_sessions", .type = CFG_UINT,
	  .off = offsetof(struct managed_hub, max_sessions),
	  .min = 1, .max = 65536 },
	{ .name = "default_policy", .type = CFG_MAP, .flags = CFG_QUIET,
	  .off = offsetof(struct managed_hub, default_policy),
	  .sub = &hubconf_policy_table },
	{ .name = "users", .type = CFG_LIST, .flags = CFG_UNIQUE,
	  .off = offsetof(struct managed_hub, users),
	  .count_off = offsetof(struct managed_hub, nusers),
	  .min = 0, .max = HUBCONF_MAX_USERS, .elem = &hubconf_user_elem },
	{ .name = "delete_users", .type = CFG_LIST,
	  .off = offsetof(struct managed_hub, delete_users),
	  .count_off = offsetof(struct managed_hub, ndelete_users),
	  .min = 0, .max = HUBCONF_MAX_USERS,
	  .elem = &managed_user_name_elem },
};
static const struct cfg_table managed_hub_table = {
	.what = "hub", .keys = managed_hub_keys,
	.nkeys = CFG_NKEYS(managed_hub_keys),
	.has_set = 1, .set_off = offsetof(struct managed_hub, set),
};
static const struct cfg_key managed_hub_elem = {
	.type = CFG_MAP, .size = sizeof(struct managed_hub),
	.sub = &managed_hub_table
};
static const struct cfg_key managed_top_keys[] = {
	{ .name = "hubs", .type = CFG_LIST, .flags = CFG_UNIQUE,
	  .off = offsetof(struct managed, hubs),
	  .count_off = offsetof(struct managed, nhubs),
	  .min = 0, .max = HUBCONF_MAX_HUBS * 2, .elem = &managed_hub_elem },
	{ .name = "delete_hubs", .type = CFG_LIST,
	  .off = offsetof(struct managed, delete_hubs),
	  .count_off = offsetof(struct managed, ndelete_hubs),
	  .min = 0, .max = HUBCONF_MAX_HUBS * 2,
	  .elem = &managed_hub_name_elem },
};
static const struct cfg_table managed_top_table = {
	.what = "managed", .keys = managed_top_keys,
	.nkeys = CFG_NKEYS(managed_top_keys),
};

static void
managed_path(char *out, size_t len, const char *state_dir, const char *sfx)
{
	snprintf(out, len, "%s/%s%s", state_dir, MANAGED_FILE, sfx);
}

void
managed_free(struct managed *m)
{
	cfg_free_table(&managed_top_table, (char *)m);
	memset(m, 0, sizeof *m);
}

static int
managed_parse(const char *source, const char *text, size_t len,
    struct managed *m, char *err, size_t errlen)
{
	struct cfg_ctx c;

	memset(m, 0, sizeof *m);
	cfg_init(&c, source, err, errlen);
	if (cfg_load(&c, text, len, &managed_top_table, (char *)m) != 0) {
		managed_free(m);
		return -1;
	}
	return 0;
}

int
managed_load(const char *state_dir, struct managed *m, char *err,
    size_t errlen)
{
	char path[MANAGED_PATH_MAX], *text;
	struct cfg_ctx c;
	size_t len;
	int rc;

	memset(m, 0, sizeof *m);
	managed_path(path, sizeof path, state_dir, "");
	if (access(path, F_OK) != 0)
		return 0;
	cfg_init(&c, path, err, errlen);
	if (cfg_read_file(&c, path, &text, &len) != 0)
		return -1;
	rc = managed_parse(path, text, len, m, err, errlen);
	free(text);
	return rc;
}

static char *
managed_text(const struct managed *m, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	if (f == NULL)
		return NULL;
	fputs("# Written by the hub: the changes made with softether --admin,\n"
	    "# laid over the configuration file at every start and reload.\n"
	    "# Change it through the console, not by hand.\n", f);
	cfg_print_table(f, &managed_top_table, (const char *)m, 0, 0);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

int
managed_save(const char *state_dir, const struct managed *m, char *err,
    size_t errlen)
{
	char path[MANAGED_PATH_MAX];
	size_t len;
	char *text = managed_text(m, &len);
	int rc;

	if (text == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	managed_path(path, sizeof path, state_dir, "");
	rc = atomic_write(path, text, len, 0600, err, errlen);
	free(text);
	return rc;
}

/* A deep copy: printed and read back, as the file would be. */
int
managed_dup(struct managed *dst, const struct managed *src)
{
	char err[256];
	size_t len;
	char *text = managed_text(src, &len);
	int rc;

	if (text == NULL)
		return -1;
	rc = managed_parse("<copy>", text, len, dst, err, sizeof err);
	free(text);
	return rc;
}

static struct hubconf_hub *
managed_cfg_hub(struct hubconf *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nhubs; i++)
		if (strcmp(cfg->hubs[i].name, name) == 0)
			return &cfg->hubs[i];
	return NULL;
}

/* The policy keys mh changes, onto the hub's default policy. */
static void
managed_policy(const struct hubconf_policy *from, struct hubconf_policy *to)
{
	const struct cfg_table *t = &hubconf_policy_table;

	for (size_t i = 0; i < t->nkeys; i++) {
		const struct cfg_key *k = &t->keys[i];
		if (!(from->set & 1u << i))
			continue;
		memcpy((char *)to + k->off, (const char *)from + k->off,
		    k->type == CFG_BOOL ? sizeof(bool) : sizeof(uint32_t));
		to->set |= 1u << i;
	}
}

int
managed_apply(const struct managed *m, struct hubconf *cfg, char *err,
    size_t errlen)
{
	for (size_t i = 0; i < m->ndelete_hubs; i++)
		hubconf_hub_remove(cfg, m->delete_hubs[i]);
	for (size_t i = 0; i < m->nhubs; i++) {
		const struct managed_hub *mh = &m->hubs[i];
		struct hubconf_hub *h = managed_cfg_hub(cfg, mh->name);
		if (h == NULL && !mh->create)
			continue; /* changes to a hub the file no longer has */
		if (h == NULL && (h = hubconf_hub_add(cfg, mh->name)) == NULL) {
			snprintf(err, errlen, "hub %s: at most %u hubs",
			    mh->name, HUBCONF_MAX_HUBS);
			return -1;
		}
		if (mh->set & 1u << MANAGED_K_ONLINE)
			h->online = mh->online;
		if (mh->set & 1u << MANAGED_K_AGING)
			h->mac_aging_s = mh->mac_aging_s;
		if (mh->set & 1u << MANAGED_K_MAX_SESSIONS)
			h->max_sessions = mh->max_sessions;
		managed_policy(&mh->default_policy, &h->default_policy);
		for (size_t j = 0; j < mh->ndelete_users; j++)
			hubconf_users_remove(&h->users, &h->nusers,
			    mh->delete_users[j]);
		for (size_t j = 0; j < mh->nusers; j++)
			if (hubconf_users_put(&h->users, &h->nusers,
			    &mh->users[j]) != 0) {
				snprintf(err, errlen, "hub %s: at most %u users",
				    mh->name, HUBCONF_MAX_USERS);
				return -1;
			}
	}
	hubconf_resolve(cfg);
	return 0;
}

/* ---- Changes ------------------------------------------------------------ */

static int
managed_names_has(char **names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return 1;
	return 0;
}

static int
managed_names_add(char ***names, size_t *n, const char *s)
{
	char **nn;
	char *d;

	if (managed_names_has(*names, *n, s))
		return 0;
	if ((d = strdup(s)) == NULL ||
	    (nn = realloc(*names, (*n + 1) * sizeof *nn)) == NULL) {
		free(d);
		return -1;
	}
	nn[(*n)++] = d;
	*names = nn;
	return 0;
}

static void
managed_names_remove(char **names, size_t *n, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(names[i], s) == 0) {
			free(names[i]);
			memmove(&names[i], &names[i + 1],
			    (*n - i - 1) * sizeof names[0]);
			(*n)--;
			return;
		}
}

struct managed_hub *
managed_hub(struct managed *m, const char *name)
{
	struct managed_hub *nh;

	for (size_t i = 0; i < m->nhubs; i++)
		if (strcmp(m->hubs[i].name, name) == 0)
			return &m->hubs[i];
	if ((nh = realloc(m->hubs, (m->nhubs + 1) * sizeof *nh)) == NULL)
		return NULL;
	m->hubs = nh;
	nh = &m->hubs[m->nhubs];
	memset(nh, 0, sizeof *nh);
	if ((nh->name = strdup(name)) == NULL)
		return NULL;
	nh->set = 1u << MANAGED_K_NAME;
	m->nhubs++;
	return nh;
}

int
managed_hub_create(struct managed *m, const char *name)
{
	struct managed_hub *mh = managed_hub(m, name);

	if (mh == NULL)
		return -1;
	mh->create = true;
	mh->set |= 1u << MANAGED_K_CREATE;
	return 0;
}

int
managed_hub_delete(struct managed *m, const char *name)
{
	for (size_t i = 0; i < m->nhubs; i++)
		if (strcmp(m->hubs[i].name, name) == 0) {
			cfg_free_table(&managed_hub_table, (char *)&m->hubs[i]);
			memmove(&m->hubs[i], &m->hubs[i + 1],
			    (m->nhubs - i - 1) * sizeof m->hubs[0]);
			m->nhubs--;
			break;
		}
	return managed_names_add(&m->delete_hubs, &m->ndelete_hubs, name);
}

int
managed_user_put(struct managed *m, const char *hub,
    const struct hubconf_user *u)
{
	struct managed_hub *mh = managed_hub(m, hub);

	if (mh == NULL || hubconf_users_put(&mh->users, &mh->nusers, u) != 0)
		return -1;
	mh->set |= 1u << MANAGED_K_USERS;
	managed_names_remove(mh->delete_users, &mh->ndelete_users, u->name);
	return 0;
}

int
managed_user_delete(struct managed *m, const char *hub, const char *user)
{
	struct managed_hub *mh = managed_hub(m, hub);

	if (mh == NULL)
		return -1;
	hubconf_users_remove(&mh->users, &mh->nusers, user);
	mh->set |= 1u << MANAGED_K_DELETE_USERS;
	return managed_names_add(&mh->delete_users, &mh->ndelete_users, user);
}
