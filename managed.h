/*
 * managed.h: the changes made through the console, kept apart from the
 * hand-written configuration in <state_dir>/managed.yaml and laid over it
 * at every load: hubs created, removed or changed, users added, replaced
 * or removed. The hub rewrites the file atomically; nobody else should.
 */
#ifndef SOFTETHER_MANAGED_H
#define SOFTETHER_MANAGED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hubconf.h"

#define MANAGED_FILE "managed.yaml"

/* Bits of managed_hub.set, in the order of its keys. */
enum { MANAGED_K_NAME, MANAGED_K_CREATE, MANAGED_K_ONLINE, MANAGED_K_AGING,
    MANAGED_K_MAX_SESSIONS, MANAGED_K_POLICY, MANAGED_K_USERS,
    MANAGED_K_DELETE_USERS };

/* One hub's changes. Only the keys in set are changes. */
struct managed_hub {
	char *name;
	bool create;                   /* made by the console */
	bool online;
	uint32_t mac_aging_s;
	uint32_t max_sessions;
	struct hubconf_policy default_policy; /* its set: keys changed */
	struct hubconf_user *users;    /* added or replaced, by name */
	size_t nusers;
	char **delete_users;
	size_t ndelete_users;
	uint32_t set;
};

struct managed {
	struct managed_hub *hubs;
	size_t nhubs;
	char **delete_hubs;
	size_t ndelete_hubs;
};

/* The file, or nothing if there is none. 0, or -1 with FILE:LINE:COL in
 * err. */
int managed_load(const char *state_dir, struct managed *m, char *err,
    size_t errlen);
/* Written to a temporary file, synced, renamed over the old one, the
 * directory synced: a crash leaves the old file or the new. 0 or -1. */
int managed_save(const char *state_dir, const struct managed *m, char *err,
    size_t errlen);
void managed_free(struct managed *m);
/* A deep copy (to try a change on). 0 or -1. */
int managed_dup(struct managed *dst, const struct managed *src);

/* Lay the changes over cfg (a hand-written configuration just loaded). 0,
 * or -1 with err if a limit would be passed. */
int managed_apply(const struct managed *m, struct hubconf *cfg, char *err,
    size_t errlen);

/* The changes the console makes; each keeps m minimal and consistent. */
struct managed_hub *managed_hub(struct managed *m, const char *name);
int managed_hub_create(struct managed *m, const char *name);
int managed_hub_delete(struct managed *m, const char *name);
int managed_user_put(struct managed *m, const char *hub,
    const struct hubconf_user *u);
int managed_user_delete(struct managed *m, const char *hub, const char *user);

#endif
