/*
 * privdrop.c: the hub gives up root once everything that needs it is open
 * (listening ports, the state directory, the certificate, the control
 * socket, bridged interfaces): it makes its state directory its own, then
 * becomes the configured user, keeping only the capabilities its bridges
 * need to reopen an interface that comes back. Capabilities are set with
 * the raw capget/capset calls: two syscalls do not earn a library.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "privdrop.h"

static uid_t privdrop_uid;
static gid_t privdrop_gid;

/* nftw: each entry of the state directory becomes the user's (links
 * themselves, never what they point at). */
static int
privdrop_chown_one(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	if (lchown(path, privdrop_uid, privdrop_gid) != 0)
		log_warn("cannot give %s to the hub's user: %s", path,
		    strerror(errno));
	return 0;
}

static int
privdrop_caps(int keep_net)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	uint32_t want = keep_net ? (1u << CAP_NET_RAW) |
	    (1u << CAP_NET_ADMIN) : 0;

	memset(d, 0, sizeof d);
	d[0].effective = d[0].permitted = want;
	return (int)syscall(SYS_capset, &h, d);
}

int
privdrop(const char *user, const char *state_dir, const char *run_dir,
    int keep_net, char *err, size_t errlen)
{
	const char *name = user;
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;	/* not root: nothing to give up */
	if (strcmp(user, "root") == 0) {
		log_warn("running as root (user: root in the configuration)");
		return 0;
	}
	errno = 0;
	if ((pw = getpwnam(name)) == NULL &&
	    strcmp(user, PRIVDROP_DEFAULT_USER) == 0) {
		log_warn("no user '%s' on this system (the install creates "
		    "it); running as nobody instead", user);
		name = "nobody";
		pw = getpwnam(name);
	}
	if (pw == NULL) {
		snprintf(err, errlen, "user: %s: no such user (create it, or "
		    "name another)", name);
		return -1;
	}
	privdrop_uid = pw->pw_uid;
	privdrop_gid = pw->pw_gid;
	if (state_dir != NULL &&
	    nftw(state_dir, privdrop_chown_one, 16, FTW_PHYS) != 0)
		log_warn("cannot walk %s: %s", state_dir, strerror(errno));
	if (run_dir != NULL && lchown(run_dir, privdrop_uid,
	    privdrop_gid) != 0 && errno != ENOENT)
		log_warn("cannot give %s to the hub's user: %s", run_dir,
		    strerror(errno));
	if (prctl(PR_SET_KEEPCAPS, keep_net, 0, 0, 0) != 0 ||
	    setgroups(0, NULL) != 0 || setgid(privdrop_gid) != 0 ||
	    setuid(privdrop_uid) != 0) {
		snprintf(err, errlen, "becoming user %s: %s", name,
		    strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		snprintf(err, errlen, "becoming user %s: root came back", name);
		return -1;
	}
	if (privdrop_caps(keep_net) != 0) {
		snprintf(err, errlen, "keeping CAP_NET_RAW for bridges: %s",
		    strerror(errno));
		return -1;
	}
	log_info("running as %s (uid %u)%s", name, (unsigned)privdrop_uid,
	    keep_net ? ", keeping CAP_NET_RAW and CAP_NET_ADMIN for bridges" :
	    "");
	return 0;
}
