/*
 * genuser.c: the first start with no users configured: one user is made
 * for the first virtual hub, its Argon2id hash kept in the state directory
 * (so later starts load it), and its password printed once, inside the
 * exact command that connects a card.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

#include "atomic.h"
#include "auth.h"
#include "log.h"
#include "srv.h"

#define GENUSER_NAME         "user"
#define GENUSER_FILE         "generated-users"
#define GENUSER_PW_LEN       20u  /* of GENUSER_ALPHA letters: 100 bits */
#define GENUSER_ALPHA        32u

static int
genuser_load(struct hubconf *cfg, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int n = 0;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		char hubname[PROTO_MAX_NAME + 1], user[PROTO_MAX_NAME + 1];
		char hash[AUTH_HASH_MAX];
		if (sscanf(line, "%64s %64s %127s", hubname, user, hash) != 3 ||
		    !auth_hash_valid(hash))
			continue;
		for (size_t i = 0; i < cfg->nhubs; i++) {
			struct hubconf_hub *h = &cfg->hubs[i];
			if (strcmp(h->name, hubname) != 0)
				continue;
			struct hubconf_user *nu = realloc(h->users,
			    (h->nusers + 1) * sizeof *nu);
			if (nu == NULL)
				break;
			h->users = nu;
			memset(&nu[h->nusers], 0, sizeof nu[h->nusers]);
			nu[h->nusers].policy = h->default_policy;
			nu[h->nusers].name = strdup(user);
			nu[h->nusers].password = strdup(hash);
			nu[h->nusers].line = 0;
			h->nusers++;
			n++;
		}
	}
	fclose(f);
	return n;
}

static void
genuser_guess_host(char *out, size_t len)
{
	struct ifaddrs *ifa, *i;

	snprintf(out, len, "HUB-ADDRESS");
	if (getifaddrs(&ifa) != 0)
		return;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET)
			continue;
		struct sockaddr_in *a = (struct sockaddr_in *)i->ifa_addr;
		if ((ntohl(a->sin_addr.s_addr) >> 24) == 127)
			continue;
		inet_ntop(AF_INET, &a->sin_addr, out, (socklen_t)len);
		break;
	}
	freeifaddrs(ifa);
}

static size_t
genuser_count(const struct hubconf *cfg)
{
	size_t total = 0;

	for (size_t i = 0; i < cfg->nhubs; i++)
		total += cfg->hubs[i].nusers;
	return total;
}

int
genuser_merge(struct hubconf *cfg)
{
	char path[4096];

	if (genuser_count(cfg) > 0)
		return 0;
	snprintf(path, sizeof path, "%s/%s", cfg->state_dir, GENUSER_FILE);
	return genuser_load(cfg, path) > 0;
}

int
genuser_ensure(struct srv *srv)
{
	struct hubconf *cfg = srv->cfg;
	char path[4096], pw[24], hash[AUTH_HASH_MAX], host[64];
	char line[AUTH_HASH_MAX + 2 * PROTO_MAX_NAME + 8], err[4400];

	if (genuser_count(cfg) > 0)
		return 0;
	snprintf(path, sizeof path, "%s/%s", cfg->state_dir, GENUSER_FILE);
	if (genuser_merge(cfg)) {
		log_info("no users in %s; using the generated user '%s' of "
		    "hub %s from %s", cfg->source, GENUSER_NAME,
		    cfg->hubs[0].name, path);
		return 0;
	}
	static const char alpha[] = "abcdefghjkmnpqrstuvwxyz23456789AB";
	for (size_t i = 0; i < GENUSER_PW_LEN; i++)
		pw[i] = alpha[randombytes_uniform(GENUSER_ALPHA)];
	pw[GENUSER_PW_LEN] = '\0';
	if (auth_hash_password(pw, GENUSER_PW_LEN, hash) != 0) {
		log_err("cannot hash the generated password");
		return -1;
	}
	int n = snprintf(line, sizeof line, "%s %s %s\n", cfg->hubs[0].name,
	    GENUSER_NAME, hash);
	if (n < 0 || (size_t)n >= sizeof line ||
	    atomic_write(path, line, (size_t)n, 0600, err, sizeof err) != 0) {
		log_err("%s", n < 0 || (size_t)n >= sizeof line ?
		    "the generated user's line is too long" : err);
		return -1;
	}
	genuser_load(srv->cfg, path);
	genuser_guess_host(host, sizeof host);
	const char *port = "443";
	if (cfg->nlisten > 0) {
		const char *c = strrchr(cfg->listen[0], ':');
		if (c != NULL)
			port = c + 1;
	}
	printf("\nNo users were configured, so one was created (its password "
	    "is shown only now):\n\n"
	    "  softether --nic --connect %s:%s --hub-name %s --user %s "
	    "--password-file <(echo '%s') --fingerprint %s\n\n",
	    host, port, cfg->hubs[0].name, GENUSER_NAME, pw, srv->fingerprint);
	fflush(stdout);
	sodium_memzero(pw, sizeof pw);
	return 0;
}
