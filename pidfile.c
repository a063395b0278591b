/*
 * pidfile.c: the pid file of --pidfile, for init systems and scripts that
 * want one (systemd's units do not: Type=notify names the main pid).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pidfile.h"

int
pidfile_open(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
}

int
pidfile_write(int fd)
{
	char line[32];
	int n = snprintf(line, sizeof line, "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)n, 0) != n)
		return -1;
	return 0;
}

void
pidfile_remove(const char *path, int fd)
{
	if (fd < 0)
		return;
	if (unlink(path) != 0 && ftruncate(fd, 0) != 0)
		(void)errno;	/* nothing more can be done */
	close(fd);
}
