/*
 * test_tcpcc.c: the tunnel's TCP congestion control: "system" leaves the
 * host's, a name is set on the socket and a listener's passes to what it
 * accepts, and a name the kernel lacks, or does not allow without
 * CAP_NET_ADMIN, is refused saying what it has or allows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tcpcc.h"

static void
t_sysctl(const char *which, char *buf, size_t len)
{
	char path[96];
	FILE *f;

	snprintf(path, sizeof path, "/proc/sys/net/ipv4/%s", which);
	assert_non_null(f = fopen(path, "r"));
	assert_non_null(fgets(buf, (int)len, f));
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

/* A name the kernel has other than the default ("" if none). */
static void
t_other(char *name, size_t len)
{
	char def[32], avail[256], *save = NULL;

	t_sysctl("tcp_congestion_control", def, sizeof def);
	t_sysctl("tcp_available_congestion_control", avail, sizeof avail);
	name[0] = '\0';
	for (char *w = strtok_r(avail, " ", &save); w != NULL;
	    w = strtok_r(NULL, " ", &save))
		if (strcmp(w, def) != 0) {
			snprintf(name, len, "%s", w);
			return;
		}
}

static int
t_tcp(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	return fd;
}

static void
test_system(void **state)
{
	char def[32], got[32], err[384] = "";
	int fd = t_tcp();

	(void)state;
	assert_true(tcpcc_is_system(NULL));
	assert_true(tcpcc_is_system("system"));
	assert_false(tcpcc_is_system("cubic"));
	assert_true(tcpcc_same(NULL, "system"));
	assert_true(tcpcc_same("cubic", "cubic"));
	assert_false(tcpcc_same("cubic", "bbr"));
	assert_false(tcpcc_same("system", "cubic"));
	assert_false(tcpcc_same("reno", NULL));
	/* Nothing is set: the socket keeps the host's default. */
	assert_int_equal(tcpcc_set(fd, "system", err, sizeof err), 0);
	assert_int_equal(tcpcc_set(fd, NULL, err, sizeof err), 0);
	assert_string_equal(err, "");
	t_sysctl("tcp_congestion_control", def, sizeof def);
	assert_string_equal(tcpcc_get(fd, got, sizeof got), def);
	assert_int_equal(tcpcc_check("system", err, sizeof err), 0);
	close(fd);
}

static void
test_set_and_inherit(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof a;
	char other[32], def[32], got[32], err[384];
	int lfd = t_tcp(), cfd = t_tcp(), afd;

	(void)state;
	t_other(other, sizeof other);
	if (other[0] == '\0')
		skip();	/* reno alone: nothing to tell apart */
	t_sysctl("tcp_congestion_control", def, sizeof def);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(tcpcc_set(lfd, other, err, sizeof err), 0);
	assert_string_equal(tcpcc_get(lfd, got, sizeof got), other);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
	assert_int_equal(connect(cfd, (struct sockaddr *)&a, sizeof a), 0);
	assert_true((afd = accept(lfd, NULL, NULL)) >= 0);
	/* The accepted end takes the listener's; the other end the host's. */
	assert_string_equal(tcpcc_get(afd, got, sizeof got), other);
	assert_string_equal(tcpcc_get(cfd, got, sizeof got), def);
	assert_int_equal(tcpcc_check(other, err, sizeof err), 0);
	close(afd);
	close(cfd);
	close(lfd);
}

static void
test_unknown(void **state)
{
	char avail[256], want[512], err[384] = "";
	int fd = t_tcp();

	(void)state;
	t_sysctl("tcp_available_congestion_control", avail, sizeof avail);
	snprintf(want, sizeof want, "this kernel has no TCP congestion control "
	    "\"nosuchcc\" (it has: %s)", avail);
	assert_int_equal(tcpcc_set(fd, "nosuchcc", err, sizeof err), -1);
	assert_string_equal(err, want);
	err[0] = '\0';
	assert_int_equal(tcpcc_check("nosuchcc", err, sizeof err), -1);
	assert_string_equal(err, want);
	close(fd);
}

/* One the kernel has but does not allow without CAP_NET_ADMIN, tried by a
 * child that has given up root. */
static void
test_not_allowed(void **state)
{
	char avail[256], allowed[256], name[32] = "", *save = NULL;
	int st;
	pid_t pid;

	(void)state;
	t_sysctl("tcp_available_congestion_control", avail, sizeof avail);
	t_sysctl("tcp_allowed_congestion_control", allowed, sizeof allowed);
	for (char *w = strtok_r(avail, " ", &save); w != NULL;
	    w = strtok_r(NULL, " ", &save)) {
		char padded[300], word[40];
		snprintf(padded, sizeof padded, " %s ", allowed);
		snprintf(word, sizeof word, " %s ", w);
		if (strstr(padded, word) == NULL) {
			snprintf(name, sizeof name, "%s", w);
			break;
		}
	}
	if (name[0] == '\0' || geteuid() != 0)
		skip();	/* every one is allowed, or we cannot give up root */
	if ((pid = fork()) == 0) {
		char err[384], want[512];
		int fd;

		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(2);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		snprintf(want, sizeof want, "TCP congestion control \"%s\" is "
		    "not allowed without CAP_NET_ADMIN (allowed: %s; "
		    "net.ipv4.tcp_allowed_congestion_control)", name, allowed);
		if (tcpcc_set(fd, name, err, sizeof err) != -1)
			_exit(3);
		if (strcmp(err, want) != 0) {
			fprintf(stderr, "got '%s'\nwant '%s'\n", err, want);
			_exit(4);
		}
		/* A check does not judge privileges the start may hold. */
		if (tcpcc_check(name, err, sizeof err) != 0)
			_exit(5);
		if (tcpcc_check("nosuchcc", err, sizeof err) != -1)
			_exit(6);
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_system),
		cmocka_unit_test(test_set_and_inherit),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_not_allowed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
