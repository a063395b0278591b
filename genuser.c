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
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

#include "atomic.h"
#include "auth.h"
#include "dhcpport.h"
#include "log.h"
#include "srv.h"

#define GENUSER_NAME         "user"
#define GENUSER_FILE         "generated-users"
#define GENUSER_PW_LEN       20u  /* of GENUSER_ALPHA letters: 100 bits */
#define GENUSER_ALPHA        32u
#define GENUSER_MAX_HOSTS    16u  /* connect lines printed, at most */
#define GENUSER_HOST_LEN     (INET6_ADDRSTRLEN + sizeof "[]:65535")

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

/* The port a card reaches addr on: the first listen entry that takes it
 * (addr itself, its family's wildcard, or "*"), or NULL. */
static const char *
genuser_port(const struct hubconf *cfg, int family, const char *addr)
{
	for (size_t i = 0; i < cfg->nlisten; i++) {
		const char *l = cfg->listen[i], *colon = strrchr(l, ':');
		char host[INET6_ADDRSTRLEN + 2];
		size_t hl = colon != NULL ? (size_t)(colon - l) : 0;

		if (colon == NULL || hl < 1 || hl >= sizeof host)
			continue;
		memcpy(host, l, hl);
		host[hl] = '\0';
		if (strcmp(host, "*") == 0)
			return colon + 1;
		if (family == AF_INET && (strcmp(host, "0.0.0.0") == 0 ||
		    strcmp(host, addr) == 0))
			return colon + 1;
		if (family == AF_INET6 && host[0] == '[' && hl > 2) {
			host[hl - 1] = '\0';
			if (strcmp(host + 1, "::") == 0 ||
			    strcmp(host + 1, addr) == 0)
				return colon + 1;
		}
	}
	return NULL;
}

/* Where a card may reach this hub, as HOST:PORT ([V6]:PORT): each address
 * of an interface that is up, but loopback and link-local ones, that the
 * hub listens on. How many were put in out. */
static size_t
genuser_hosts(const struct hubconf *cfg, char out[][GENUSER_HOST_LEN],
    size_t max)
{
	struct ifaddrs *ifa, *i;
	size_t n = 0;

	if (getifaddrs(&ifa) != 0)
		return 0;
	for (i = ifa; i != NULL && n < max; i = i->ifa_next) {
		char addr[INET6_ADDRSTRLEN], hp[GENUSER_HOST_LEN];
		const char *port;
		size_t k;
		int fam;

		if (i->ifa_addr == NULL || !(i->ifa_flags & IFF_UP) ||
		    (i->ifa_flags & IFF_LOOPBACK))
			continue;
		fam = i->ifa_addr->sa_family;
		if (fam == AF_INET) {
			const struct in_addr *a = &((const struct sockaddr_in *)
			    (const void *)i->ifa_addr)->sin_addr;
			uint32_t h = ntohl(a->s_addr);
			if (h == 0 || (h >> 24) == 127 || (h >> 16) == 0xa9feu)
				continue;
			inet_ntop(AF_INET, a, addr, sizeof addr);
		} else if (fam == AF_INET6) {
			const struct in6_addr *a = &((const struct sockaddr_in6 *)
			    (const void *)i->ifa_addr)->sin6_addr;
			if (IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_LOOPBACK(a) ||
			    IN6_IS_ADDR_LINKLOCAL(a) || IN6_IS_ADDR_MULTICAST(a) ||
			    IN6_IS_ADDR_V4MAPPED(a))
				continue;
			inet_ntop(AF_INET6, a, addr, sizeof addr);
		} else
			continue;
		if ((port = genuser_port(cfg, fam, addr)) == NULL)
			continue;
		snprintf(hp, sizeof hp, fam == AF_INET6 ? "[%s]:%s" : "%s:%s",
		    addr, port);
		for (k = 0; k < n && strcmp(out[k], hp) != 0; k++)
			;
		if (k == n)
			memcpy(out[n++], hp, sizeof hp);
	}
	freeifaddrs(ifa);
	return n;
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

/* The addresses the hub's cards get, if it serves DHCP. */
static void
genuser_dhcp(struct srv *srv, const char *hub)
{
	struct dhcpport_info di;
	char net[DHCP_IP_STR], a[DHCP_IP_STR], b[DHCP_IP_STR];

	if (!dhcpport_info(srv_find_hub(srv, hub), &di))
		return;
	dhcp_format_ip(di.net, net);
	dhcp_format_ip(di.first, a);
	dhcp_format_ip(di.last, b);
	printf("\nCards on hub %s get addresses by DHCP from %s/%u (%s to "
	    "%s).\n", hub, net, di.prefix, a, b);
	if (di.picked)
		printf("The subnet was picked to miss this host's networks; it "
		    "is kept in %s.\n", di.subnet_file);
}

int
genuser_ensure(struct srv *srv)
{
	struct hubconf *cfg = srv->cfg;
	char path[4096], pw[24], hash[AUTH_HASH_MAX];
	char hosts[GENUSER_MAX_HOSTS][GENUSER_HOST_LEN];
	size_t nhosts;
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
	/* One line per address a card may reach the hub at, for any POSIX
	 * shell: the password comes on the card's standard input. */
	if ((nhosts = genuser_hosts(cfg, hosts, GENUSER_MAX_HOSTS)) == 0) {
		const char *c = cfg->nlisten > 0 ? strrchr(cfg->listen[0], ':') :
		    NULL;
		snprintf(hosts[0], sizeof hosts[0], "HUB-ADDRESS:%s",
		    c != NULL ? c + 1 : "443");
		nhosts = 1;
	}
	printf("\nNo users were configured, so one was created (its password "
	    "is shown only now).\nA card connects with the line of an address "
	    "it can reach:\n\n");
	for (size_t i = 0; i < nhosts; i++)
		printf("  echo '%s' | softether --nic --connect %s --hub-name %s "
		    "--user %s --password-file /dev/stdin --fingerprint %s\n",
		    pw, hosts[i], cfg->hubs[0].name, GENUSER_NAME,
		    srv->fingerprint);
	genuser_dhcp(srv, cfg->hubs[0].name);
	printf("\n");
	fflush(stdout);
	sodium_memzero(pw, sizeof pw);
	return 0;
}
