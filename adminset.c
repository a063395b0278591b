/*
 * adminset.c: the administration commands that change the hub: users and
 * hubs. Each is tried on a copy of the console's changes (managed.c), the
 * whole configuration is rebuilt from the file and that copy and
 * validated, the copy is saved atomically, and only then does the running
 * hub take it (reload.c): live at once, durable across restarts, and a
 * refused change leaves everything as it was.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>

#include "admin.h"
#include "auth.h"
#include "cfgload.h"
#include "log.h"
#include "pubkey.h"
#include "srv.h"

#define ADMINSET_ERR 512

typedef int adminset_fn(struct srv *srv, struct managed *m,
    const struct admincmd_line *l, char *err, size_t errlen);

static int
adminset_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
adminset_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* 1..PROTO_MAX_NAME of [A-Za-z0-9] and extra. */
static int
adminset_name_ok(const char *s, const char *extra)
{
	size_t n = strlen(s);

	if (n == 0 || n > PROTO_MAX_NAME)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || strchr(extra, s[i]) != NULL))
			return 0;
	return 1;
}

static const struct hubconf_hub *
adminset_hub(struct srv *srv, const char *name, char *err, size_t errlen)
{
	const struct hubconf_hub *h = hubconf_find_hub(srv->cfg, name);

	if (h == NULL)
		adminset_err(err, errlen, "no hub named '%s' (see: hub list)",
		    name);
	return h;
}

static const struct hubconf_user *
adminset_user(struct srv *srv, const char *hub, const char *user, char *err,
    size_t errlen)
{
	const struct hubconf_hub *h = adminset_hub(srv, hub, err, errlen);
	const struct hubconf_user *u = h ? hubconf_find_user(h, user) : NULL;

	if (h != NULL && u == NULL)
		adminset_err(err, errlen, "hub %s has no user '%s' (see: user "
		    "list %s)", hub, user, hub);
	return u;
}

/* "--hash HASH" after HUB USER. */
static const char *
adminset_hash(const struct admincmd_line *l, char *err, size_t errlen)
{
	if (l->argc != 4 || strcmp(l->argv[2], "--hash") != 0) {
		adminset_err(err, errlen, "%s: expected HUB USER --hash HASH "
		    "(softether --admin asks for the password and hashes it)",
		    l->cmd->words);
		return NULL;
	}
	if (strlen(l->argv[3]) >= AUTH_HASH_MAX || !auth_hash_valid(l->argv[3])) {
		adminset_err(err, errlen, "%s: expected an $argon2id$ hash (make "
		    "one with: softether --hash-password)", l->cmd->words);
		return NULL;
	}
	return l->argv[3];
}

/* A policy key onto pol (VALUE "clear": not set), through the same checks
 * as the file's policy keys. */
static int
adminset_policy(struct hubconf_policy *pol, const char *key,
    const char *value, char *err, size_t errlen)
{
	const struct cfg_table *t = &hubconf_policy_table;
	char opt[64], known[512];
	struct cfg_ctx c;
	size_t i, n = 0;
	int rc;

	for (i = 0; i < t->nkeys; i++)
		if (strcmp(t->keys[i].name, key) == 0)
			break;
	if (i == t->nkeys) {
		for (size_t k = 0; k < t->nkeys && n < sizeof known; k++)
			n += (size_t)snprintf(known + n, sizeof known - n,
			    "%s%s", k ? ", " : "", t->keys[k].name);
		return adminset_err(err, errlen, "unknown policy key '%s' "
		    "(known: %s)", key, known);
	}
	if (strcmp(value, "clear") == 0) {
		pol->set &= ~(1u << i);
		return 0;
	}
	cfg_init(&c, "<console>", err, errlen);
	rc = cfg_arg(&c, t, (char *)pol, cfg_opt_name(&t->keys[i], opt,
	    sizeof opt), value);
	if (rc != 0 && strncmp(err, "--", 2) == 0) {
		/* The console names keys as the file does. */
		char tail[ADMINSET_ERR];
		const char *colon = strchr(err, ':');
		snprintf(tail, sizeof tail, "%s", colon ? colon : "");
		snprintf(err, errlen, "%s %s%s", key, value, tail);
	}
	return rc == 0 ? 0 : -1;
}

static int
adminset_hub_create(struct srv *srv, struct managed *m,
    const struct admincmd_line *l, char *err, size_t errlen)
{
	const char *name = l->argv[0];

	if (!adminset_name_ok(name, "._-"))
		return adminset_err(err, errlen, "hub create: '%s' is not a "
		    "hub name (1..%u of A-Z a-z 0-9 . _ -)", name,
		    PROTO_MAX_NAME);
	if (hubconf_find_hub(srv->cfg, name) != NULL)
		return adminset_err(err, errlen, "hub %s already exists", name);
	return managed_hub_create(m, name);
}

static int
adminset_hub_delete(struct srv *srv, struct managed *m,
    const struct admincmd_line *l, char *err, size_t errlen)
{
	if (adminset_hub(srv, l->argv[0], err, errlen) == NULL)
		return -1;
	if (srv->cfg->nhubs == 1)
		return adminset_err(err, errlen, "hub %s is the last one; "
		    "create another first", l->argv[0]);
	return managed_hub_delete(m, l->argv[0]);
}

static int
adminset_hub_online(struct srv *srv, struct managed *m,
    const struct admincmd_line *l, char *err, size_t errlen)
{
	struct managed_hub *mh;

	if (adminset_hub(srv, l->argv[0], err, errlen) == NULL ||
	    (mh = managed_hub(m, l->argv[0])) == NULL)
		return -1;
	mh->online = l->cmd->id == ADMINCMD_HUB_ONLINE;
	mh->set |= 1u << MANAGED_K_ONLINE;
	return 0;
}

static int
adminset_uint(const char *v, uint32_t lo, uint32_t hi, uint32_t *out)
{
	char *end;
	unsigned long x = strtoul(v, &end, 10);

	if (end == v || *end != '\0' || v[0] == '-' || x < lo || x > hi)
		return -1;
	*out = (uint32_t)x;
	return 0;
}

static int
adminset_hub_set(struct srv *srv, struct managed *m,
    const struct admincmd_line *l, char *err, size_t errlen)
{
	const char *key = l->argv[1], *v = l->argv[2];
	struct managed_hub *mh;

	if (adminset_hub(srv, l->argv[0], err, errlen) == NULL ||
	    (mh = managed_hub(m, l->argv[0])) == NULL)
		return -1;
	if (strncmp(key, "default_policy.", 15) == 0) {
		mh->set |= 1u << MANAGED_K_POLICY;
		return adminset_policy(&mh->default_policy, key + 15, v, err,
		    errlen);
	}
	if (strcmp(key, "mac_aging") == 0) {
		if (strcmp(v, "clear") == 0)
			mh->set &= ~(1u << MANAGED_K_AGING);
		else if (adminset_uint(v, 10, 86400, &mh->mac_aging_s) != 0)
			return adminset_err(err, errlen, "mac_aging %s: expected "
			    "seconds, 10..86400", v);
		else
			mh->set |= 1u << MANAGED_K_AGING;
		return 0;
	}
	if (strcmp(key, "max_sessions") == 0) {
		if (strcmp(v, "clear") == 0)
			mh->set &= ~(1u << MANAGED_K_MAX_SESSIONS);
		else if (adminset_uint(v, 1, 65536, &mh->max_sessions) != 0)
			return adminset_err(err, errlen, "max_sessions %s: "
			    "expected an integer 1..65536", v);
		else
			mh->set |= 1u << MANAGED_K_MAX_SESSIONS;
		return 0;
	}
	return adminset_err(err, errlen, "hub set: unknown key '%s' (known: "
	    "mac_aging, max_sessions, default_policy.KEY)", key);
}

/* A public key as the file takes it; NULL with err if not one. */
static const char *
adminset_key(const struct admincmd_line *l, const char *key, char *err,
    size_t errlen)
{
	char why[256];

	if (pubkey_check(key, why, sizeof why) != 0) {
		adminset_err(err, errlen, "%s: %s", l->cmd->words, why);
		return NULL;
	}
	return key;
}

static int
adminset_user_add(struct srv *srv, struct managed *m,
    const struct admincmd_line *l, char *err, size_t errlen)
{
	const struct hubconf_hub *h = adminset_hub(srv, l->argv[0], err,
	    errlen);
	int by_key = l->argc == 4 && strcmp(l->argv[2], "--key") == 0;
	const char *hash = h == NULL || by_key ? NULL :
	    adminset_hash(l, err, errlen);
	const char *key = h != NULL && by_key ?
	    adminset_key(l, l->argv[3], err, errlen) : NULL;
	struct hubconf_user u;

	if (hash == NULL && key == NULL)
		return -1;
	if (!adminset_name_ok(l->argv[1], "._@-"))
		return adminset_err(err, errlen, "user add: '%s' is not a user "
		    "name (1..%u of A-Z a-z 0-9 . _ @ -)", l->argv[1],
		    PROTO_MAX_NAME);
	if (hubconf_find_user(h, l->argv[1]) != NULL)
		return adminset_err(err, errlen, "hub %s already has a user "
		    "'%s' (user password changes the password)", l->argv[0],
		    l->argv[1]);
	memset(&u, 0, sizeof u);
	u.name = l->argv[1];
	u.password = (char *)(uintptr_t)hash;
	u.public_key = (char *)(uintptr_t)key;
	return managed_user_put(m, l->argv[0], &u);
}

static int
adminset_user_key(struct srv *srv, struct managed *m,
    const struct admincmd_line *l, char *err, size_t errlen)
{
	const struct hubconf_user *cur = adminset_user(srv, l->argv[0],
	    l->argv[1], err, errlen);
	int none = strcmp(l->argv[2], "none") == 0;
	const char *key = cur == NULL || none ? NULL :
	    adminset_key(l, l->argv[2], err, errlen);
	struct hubconf_user u;

	if (cur == NULL || (!none && key == NULL))
		return -1;
	if (none && cur->password == NULL)
		return adminset_err(err, errlen, "user %s has no password: "
		    "without its key it could not log in (user password "
		    "first, or user delete)", l->argv[1]);
	u = *cur;
	u.public_key = (char *)(uintptr_t)key;
	return managed_user_put(m, l->argv[0], &u);
}

static int
adminset_user_password(struct srv *srv, struct managed *m,
    const struct admincmd_line *l, char *err, size_t errlen)
{
	const struct hubconf_user *cur = adminset_user(srv, l->argv[0],
	    l->argv[1], err, errlen);
	const char *hash = cur ? adminset_hash(l, err, errlen) : NULL;
	struct hubconf_user u;

	if (hash == NULL)
		return -1;
	u = *cur;
	u.password = (char *)(uintptr_t)hash;
	return managed_user_put(m, l->argv[0], &u);
}

static int
adminset_user_delete(struct srv *srv, struct managed *m,
    const struct admincmd_line *l, char *err, size_t errlen)
{
	if (adminset_user(srv, l->argv[0], l->argv[1], err, errlen) == NULL)
		return -1;
	return managed_user_delete(m, l->argv[0], l->argv[1]);
}

static int
adminset_user_policy(struct srv *srv, struct managed *m,
    const struct admincmd_line *l, char *err, size_t errlen)
{
	const struct hubconf_user *cur = adminset_user(srv, l->argv[0],
	    l->argv[1], err, errlen);
	struct hubconf_user u;

	if (cur == NULL)
		return -1;
	u = *cur;
	if (adminset_policy(&u.policy, l->argv[2], l->argv[3], err,
	    errlen) != 0)
		return -1;
	return managed_user_put(m, l->argv[0], &u);
}

/* Try fn on a copy of the changes; keep it only if the whole configuration
 * validates and it is saved. */
static int
adminset_change(struct srv *srv, const struct admincmd_line *l, int json,
    struct evbuffer *out, adminset_fn *fn)
{
	struct managed trial;
	struct hubconf *cfg = NULL;
	char err[ADMINSET_ERR] = "out of memory";

	if (managed_dup(&trial, &srv->managed) != 0)
		return admin_fail(out, json, "%s", err);
	if (fn(srv, &trial, l, err, sizeof err) != 0 ||
	    (cfg = reload_load(srv, &trial, err, sizeof err)) == NULL ||
	    managed_save(srv->cfg->state_dir, &trial, err, sizeof err) != 0) {
		if (cfg != NULL) {
			hubconf_free(cfg);
			free(cfg);
		}
		managed_free(&trial);
		return admin_fail(out, json, "%s", err);
	}
	managed_free(&srv->managed);
	srv->managed = trial;
	reload_apply(srv, cfg);
	log_info("administrator: %s %s%s%s%s%s", l->cmd->words,
	    l->argc > 0 ? l->argv[0] : "", l->argc > 1 ? " " : "",
	    l->argc > 1 ? l->argv[1] : "", l->argc > 2 &&
	    strcmp(l->argv[2], "--hash") != 0 ? " " : "",
	    l->argc > 2 && strcmp(l->argv[2], "--hash") != 0 ? l->argv[2] : "");
	if (json)
		evbuffer_add_printf(out, "{\"ok\":true}\n");
	else
		evbuffer_add_printf(out, "done (saved)\n");
	return 0;
}

int
adminset_exec(struct srv *srv, const struct admincmd_line *l, int json,
    struct evbuffer *out)
{
	adminset_fn *fn;

	switch (l->cmd->id) {
	case ADMINCMD_HUB_CREATE: fn = adminset_hub_create; break;
	case ADMINCMD_HUB_DELETE: fn = adminset_hub_delete; break;
	case ADMINCMD_HUB_ONLINE:
	case ADMINCMD_HUB_OFFLINE: fn = adminset_hub_online; break;
	case ADMINCMD_HUB_SET: fn = adminset_hub_set; break;
	case ADMINCMD_USER_ADD: fn = adminset_user_add; break;
	case ADMINCMD_USER_PASSWORD: fn = adminset_user_password; break;
	case ADMINCMD_USER_DELETE: fn = adminset_user_delete; break;
	case ADMINCMD_USER_KEY: fn = adminset_user_key; break;
	case ADMINCMD_USER_POLICY: fn = adminset_user_policy; break;
	default:
		return admin_fail(out, json, "not a change: %s", l->cmd->words);
	}
	return adminset_change(srv, l, json, out, fn);
}
