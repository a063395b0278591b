/*
 * tcpcc.c: TCP_CONGESTION on the tunnel's sockets, with errors that say
 * what the kernel offers instead.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tcpcc.h"

int
tcpcc_is_system(const char *name)
{
	return name == NULL || strcmp(name, TCPCC_SYSTEM) == 0;
}

int
tcpcc_same(const char *a, const char *b)
{
	if (tcpcc_is_system(a) || tcpcc_is_system(b))
		return tcpcc_is_system(a) == tcpcc_is_system(b);
	return strcmp(a, b) == 0;
}

/* A sysctl's one line (a list of names), or "?" if unreadable. */
static const char *
tcpcc_sysctl(const char *which, char *buf, size_t len)
{
	char path[96];
	FILE *f;

	snprintf(path, sizeof path, "/proc/sys/net/ipv4/%s", which);
	if ((f = fopen(path, "re")) == NULL || fgets(buf, (int)len, f) == NULL)
		snprintf(buf, len, "?");
	if (f != NULL)
		fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

int
tcpcc_set(int fd, const char *name, char *err, size_t errlen)
{
	char list[256];
	int e;

	if (tcpcc_is_system(name))
		return 0;
	if (setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name,
	    (socklen_t)strlen(name)) == 0)
		return 0;
	e = errno;
	if (e == ENOENT)
		snprintf(err, errlen, "this kernel has no TCP congestion "
		    "control \"%s\" (it has: %s)", name, tcpcc_sysctl(
		    "tcp_available_congestion_control", list, sizeof list));
	else if (e == EPERM)
		snprintf(err, errlen, "TCP congestion control \"%s\" is not "
		    "allowed without CAP_NET_ADMIN (allowed: %s; "
		    "net.ipv4.tcp_allowed_congestion_control)", name,
		    tcpcc_sysctl("tcp_allowed_congestion_control", list,
		    sizeof list));
	else
		snprintf(err, errlen, "TCP congestion control \"%s\": %s",
		    name, strerror(e));
	errno = e;	/* the sysctl's reading may have changed it */
	return -1;
}

int
tcpcc_check(const char *name, char *err, size_t errlen)
{
	int fd, rc;

	if (tcpcc_is_system(name))
		return 0;
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 &&
	    (fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	rc = tcpcc_set(fd, name, err, errlen);
	if (rc != 0 && errno == EPERM)
		rc = 0;
	close(fd);
	return rc;
}

const char *
tcpcc_get(int fd, char *buf, size_t len)
{
	char name[TCPCC_NAME_MAX + 1] = "";
	socklen_t n = sizeof name - 1;

	if (getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &n) != 0)
		snprintf(buf, len, "?");
	else {
		name[n < sizeof name ? n : sizeof name - 1] = '\0';
		snprintf(buf, len, "%s", name);
	}
	return buf;
}
