/*
 * atomic.c: replacing a file so that a crash leaves the old one or the new
 * one, never a mixture: an exclusive temporary file beside it (a name no
 * one can have planted a link at), fsync, rename, fsync of the directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "atomic.h"

#define ATOMIC_TRIES 8

/* The directory of path, synced so the rename itself is durable. */
static void
atomic_sync_dir(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	int fd;

	if (slash == NULL)
		snprintf(dir, sizeof dir, ".");
	else if (slash == path)
		snprintf(dir, sizeof dir, "/");
	else
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

int
atomic_write(const char *path, const void *data, size_t len, mode_t mode,
    char *err, size_t errlen)
{
	char tmp[4200];
	const char *what = "create";
	size_t off = 0;
	int fd = -1, e;

	for (int i = 0; i < ATOMIC_TRIES && fd < 0; i++) {
		snprintf(tmp, sizeof tmp, "%s.tmp-%08x", path,
		    (unsigned)randombytes_random());
		fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC |
		    O_NOFOLLOW, mode);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0)
		goto fail;
	/* The umask may have narrowed it; a secret stays as narrow. */
	what = "chmod";
	if (fchmod(fd, mode) != 0)
		goto fail_unlink;
	what = "write";
	while (off < len) {
		ssize_t w = write(fd, (const char *)data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			goto fail_unlink;
		}
		off += (size_t)w;
	}
	what = "fsync";
	if (fsync(fd) != 0)
		goto fail_unlink;
	what = "close";
	e = close(fd);
	fd = -1;
	if (e != 0)
		goto fail_unlink;
	what = "rename";
	if (rename(tmp, path) != 0)
		goto fail_unlink;
	atomic_sync_dir(path);
	return 0;
fail_unlink:
	e = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = e;
fail:
	snprintf(err, errlen, "%s: cannot %s: %s", path, what,
	    strerror(errno));
	return -1;
}
