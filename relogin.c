/*
 * relogin.c: the hub's re-login tickets (ticket.c is the codec). The key
 * pair lives in <state_dir>/ticket.key (mode 0600), made on first start,
 * rotated daily and saved atomically; a ticket is issued in each WELCOME
 * to a card that keeps them, and an AUTH carrying one is admitted without
 * an Argon2 check when it opens, has not expired, and names this hub and
 * a user who is still there with the same password hash. A key file that
 * cannot be read is replaced (with a warning): its tickets then fail and
 * the cards log in with their passwords, which costs time, nothing else.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "atomic.h"
#include "log.h"
#include "relogin.h"

#define RELOGIN_CRED_MAX 320u  /* a hash, a line end, "key ", a key */
#include "srv.h"

static uint64_t
relogin_now(void)
{
	return (uint64_t)time(NULL);
}

static void
relogin_path(const struct srv *srv, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", srv->cfg->state_dir, RELOGIN_KEY_FILE);
}

static int
relogin_save(struct srv *srv)
{
	char buf[TICKET_KEYFILE_MAX], path[4096], err[512];
	size_t n = ticket_keys_save(&srv->tkeys, buf, sizeof buf);
	int rc;

	relogin_path(srv, path, sizeof path);
	rc = n == 0 ? -1 : atomic_write(path, buf, n, 0600, err, sizeof err);
	sodium_memzero(buf, sizeof buf);
	if (rc != 0) {
		log_warn("re-login tickets: cannot save %s: %s", path,
		    n == 0 ? "no room" : err);
		return -1;
	}
	return 0;
}

/* The key file's bytes, or -1 (errno; ENOENT: none yet). */
static ssize_t
relogin_read(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t used = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while (used < cap && (n = read(fd, buf + used, cap - used)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		used += (size_t)n;
	}
	close(fd);
	return (ssize_t)used;
}

int
relogin_init(struct srv *srv)
{
	char buf[TICKET_KEYFILE_MAX + 1], path[4096], err[256];
	ssize_t n;

	relogin_path(srv, path, sizeof path);
	n = relogin_read(path, buf, sizeof buf);
	if (n >= 0 && ticket_keys_load(&srv->tkeys, buf, (size_t)n, err,
	    sizeof err) == 0) {
		sodium_memzero(buf, sizeof buf);
		srv->tkeys_ok = 1;
		relogin_tick(srv);
		return 0;
	}
	sodium_memzero(buf, sizeof buf);
	if (n >= 0)
		log_warn("re-login tickets: %s: %s; making new keys (cards "
		    "log in with their passwords once)", path, err);
	else if (errno != ENOENT)
		log_warn("re-login tickets: cannot read %s: %s; making new "
		    "keys", path, strerror(errno));
	ticket_keys_init(&srv->tkeys, relogin_now());
	srv->tkeys_ok = 1;
	/* Unsaved keys still serve until a restart. */
	(void)relogin_save(srv);
	return 0;
}

void
relogin_tick(struct srv *srv)
{
	if (srv->tkeys_ok && ticket_keys_rotate(&srv->tkeys, relogin_now(),
	    RELOGIN_ROTATE_S)) {
		log_info("re-login tickets: key rotated");
		(void)relogin_save(srv);
	}
}

void
relogin_free(struct srv *srv)
{
	ticket_keys_clear(&srv->tkeys);
	srv->tkeys_ok = 0;
}

/* What a ticket binds of the user's credentials: the password's hash as
 * before keys came (tickets stay good across that upgrade), the public
 * key after it if there is one. Changing either refuses the tickets made
 * before. NULL for no user. */
static const char *
relogin_cred(const struct hubconf_user *u, char *buf, size_t len)
{
	if (u == NULL)
		return NULL;
	if (u->public_key == NULL)
		return u->password;
	snprintf(buf, len, "%s\nkey %s", u->password != NULL ? u->password :
	    "", u->public_key);
	return buf;
}

size_t
relogin_issue(struct srv *srv, const char *hub,
    const struct hubconf_user *u, uint8_t out[PROTO_TICKET_MAX])
{
	struct ticket_claims c;
	uint8_t t[TICKET_MAX_LEN];
	char cred[RELOGIN_CRED_MAX];
	size_t n;

	if (!srv->tkeys_ok || u == NULL)
		return 0;
	memset(&c, 0, sizeof c);
	c.issued = relogin_now();
	c.expires = c.issued + RELOGIN_LIFETIME_S;
	const char *src = relogin_cred(u, cred, sizeof cred);
	if (src == NULL)
		return 0;
	ticket_cred(src, c.cred);
	snprintf(c.hub, sizeof c.hub, "%s", hub);
	snprintf(c.user, sizeof c.user, "%s", u->name);
	n = ticket_seal(&srv->tkeys, &c, t, sizeof t);
	if (n > 0)
		memcpy(out, t, n);
	return n;
}

enum ticket_result
relogin_admit(struct srv *srv, const struct hubconf_hub *hub,
    const struct proto_auth *a, const struct hubconf_user **user)
{
	struct ticket_claims c;
	enum ticket_result r;
	const struct hubconf_user *u;
	char cred[RELOGIN_CRED_MAX];

	*user = NULL;
	if (!srv->tkeys_ok)
		return TICKET_UNKNOWN_KEY;
	r = ticket_open(&srv->tkeys, (const uint8_t *)a->secret,
	    a->secret_len, relogin_now(), &c);
	if (r != TICKET_OK)
		return r;
	u = hubconf_find_user(hub, a->user);
	r = ticket_check(&c, hub->name, a->user, relogin_cred(u, cred,
	    sizeof cred));
	sodium_memzero(&c, sizeof c);
	if (r == TICKET_OK)
		*user = u;
	return r;
}
