/*
 * privdrop.c: the hub gives up root once everything that needs it is open
 * (listening ports, the state directory, the certificate, the control
 * socket, bridged interfaces): it makes its state directory its own and
 * lets its group write in the control socket's, then becomes the
 * configured user, keeping only the capabilities its bridges
 * need to reopen an interface that comes back. Capabilities are set with
 * the raw capget/capset calls: two syscalls do not earn a library.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

/*
 * The run directory (the control socket's; /run/softether by default) is
 * shared with the cards, which stay uid 0 without root's powers and must
 * still remove their own sockets there: it stays root's, and the hub's
 * group gets to write in it, so that the hub removes its socket when it
 * stops. A directory an earlier hub made its user's comes back to root.
 * Opened without following a link: never what one points at.
 */
static void
privdrop_run_dir(const char *run_dir)
{
	struct stat st;
	uid_t owner;
	int fd;

	if ((fd = open(run_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0) {
		if (errno != ENOENT)
			log_warn("cannot open %s: %s", run_dir,
			    strerror(errno));
		return;
	}
	if (fstat(fd, &st) != 0) {
		log_warn("cannot stat %s: %s", run_dir, strerror(errno));
		close(fd);
		return;
	}
	owner = st.st_uid == privdrop_uid ? 0 : st.st_uid;
	if (fchown(fd, owner, privdrop_gid) != 0 ||
	    fchmod(fd, (st.st_mode & 07777 & ~(mode_t)S_IWOTH) | S_IRWXG) != 0)
		log_warn("cannot let the hub's group write in %s: %s", run_dir,
		    strerror(errno));
	close(fd);
}

/* Effective and permitted become exactly want (capabilities below 32). */
static int
privdrop_set_caps(uint32_t want)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	memset(d, 0, sizeof d);
	d[0].effective = d[0].permitted = want;
	return (int)syscall(SYS_capset, &h, d);
}

static int
privdrop_caps(int keep_net)
{
	return privdrop_set_caps(keep_net ? (1u << CAP_NET_RAW) |
	    (1u << CAP_NET_ADMIN) : 0);
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
	if (run_dir != NULL)
		privdrop_run_dir(run_dir);
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

/* sudo's invoking user, when root runs the card through sudo: NULL if not
 * so (or SUDO_UID names root or nobody this system knows). */
static struct passwd *
privdrop_sudo_user(void)
{
	const char *s = getenv("SUDO_UID");
	char *end;
	unsigned long uid;

	if (geteuid() != 0 || s == NULL || *s == '\0')
		return NULL;
	errno = 0;
	uid = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || uid == 0 || uid > 0x7fffffffUL)
		return NULL;
	return getpwuid((uid_t)uid);
}

const char *
privdrop_card_home(void)
{
	struct passwd *pw = privdrop_sudo_user();

	if (pw != NULL && pw->pw_dir != NULL && pw->pw_dir[0] == '/')
		return pw->pw_dir;
	return getenv("HOME");
}

int
privdrop_card(int keep_raw, int hooks, char *err, size_t errlen)
{
	uint32_t want = (1u << CAP_NET_ADMIN) |
	    (keep_raw ? 1u << CAP_NET_RAW : 0);
	struct passwd *pw = privdrop_sudo_user();
	char name[64];
	uid_t uid = 0;
	gid_t gid = 0;
	int cap;

	if (geteuid() != 0)
		return 0;
	if (pw != NULL) {
		const char *g = getenv("SUDO_GID");
		char *end;
		unsigned long v;

		uid = pw->pw_uid;
		gid = pw->pw_gid;
		if (g != NULL && *g != '\0') {
			errno = 0;
			v = strtoul(g, &end, 10);
			if (errno == 0 && *end == '\0' && v <= 0x7fffffffUL)
				gid = (gid_t)v;
		}
		snprintf(name, sizeof name, "%s", pw->pw_name);
		if (pw->pw_dir != NULL && pw->pw_dir[0] == '/')
			setenv("HOME", pw->pw_dir, 1);
	}
	/* Nothing started later can gain what the card gives up: the
	 * bounding set holds only what it keeps, and uid 0 is no longer
	 * special to exec (ssh, run as root, starts with no capability).
	 * Only hooks may be handed CAP_NET_ADMIN, as an ambient capability
	 * (privdrop_child_net_admin); without any, none can be raised. */
	for (cap = 0; cap < 64; cap++) {
		if (cap < 32 && (want & (1u << cap)))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
			if (errno == EINVAL)
				break;	/* past the kernel's last */
			snprintf(err, errlen, "dropping capabilities: %s",
			    strerror(errno));
			return -1;
		}
	}
	if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
	    (hooks ? 0 : SECBIT_NO_CAP_AMBIENT_RAISE |
	    SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED), 0, 0, 0) != 0) {
		snprintf(err, errlen, "dropping root's powers: %s",
		    strerror(errno));
		return -1;
	}
	if (pw != NULL) {
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0 ||
		    initgroups(name, gid) != 0 || setresgid(gid, gid, gid) != 0 ||
		    setresuid(uid, uid, uid) != 0) {
			snprintf(err, errlen, "becoming %s (sudo's user): %s",
			    name, strerror(errno));
			return -1;
		}
		if (setuid(0) == 0) {
			snprintf(err, errlen, "becoming %s: root came back",
			    name);
			return -1;
		}
	}
	if (privdrop_set_caps(want) != 0) {
		snprintf(err, errlen, "keeping CAP_NET_ADMIN: %s",
		    strerror(errno));
		return -1;
	}
	if (pw != NULL)
		log_info("running as %s (uid %u, sudo's user), keeping only "
		    "CAP_NET_ADMIN%s", name, (unsigned)uid,
		    keep_raw ? " and CAP_NET_RAW" : "");
	else
		log_info("keeping only CAP_NET_ADMIN%s of root's powers",
		    keep_raw ? " and CAP_NET_RAW" : "");
	return 0;
}

void
privdrop_child_net_admin(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &h, d) != 0 ||
	    !(d[0].permitted & 1u << CAP_NET_ADMIN))
		return;
	d[0].inheritable |= 1u << CAP_NET_ADMIN;
	if (syscall(SYS_capset, &h, d) == 0)
		prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_ADMIN, 0, 0);
}
