/*
 * detach.c: --daemon for the card, over a pipe from the child to the
 * parent. While the child logs to syslog, each warning and error it logs
 * is passed up too (a record: 'W' or 'E', a 16-bit length, the line), so
 * that the parent can print the one that matters; the verdict ends the
 * stream ('S' and a code byte). A child logging to stderr (no syslog
 * daemon) is still on the terminal until then: it passes nothing up.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "detach.h"
#include "log.h"
#include "nic.h"

#define DETACH_MSG_MAX  1024u   /* bytes of one line passed up */
#define DETACH_TRYING   0xffu   /* the verdict byte of "still trying" */

static int detach_fd = -1;      /* the child's end, until its verdict */
static int detach_child;        /* this is a child that has not settled */

/* Everything or nothing; the parent reading too slowly loses lines. */
static void
detach_send(const uint8_t *rec, size_t len)
{
	ssize_t w;

	do
		w = write(detach_fd, rec, len);
	while (w < 0 && errno == EINTR);
}

static void
detach_sink(void *arg, enum log_level level, const char *line)
{
	uint8_t rec[3 + DETACH_MSG_MAX];
	size_t n = strnlen(line, DETACH_MSG_MAX);

	if (detach_fd < 0 || level > LOG_LVL_WARN || !log_uses_syslog())
		return;
	rec[0] = level == LOG_LVL_ERROR ? 'E' : 'W';
	rec[1] = (uint8_t)(n >> 8);
	rec[2] = (uint8_t)n;
	memcpy(rec + 3, line, n);
	detach_send(rec, 3 + n);
}

/* A line from the child, fit for the terminal. */
static void
detach_keep(char *dst, const uint8_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = src[i] < 0x20 || src[i] == 0x7f ? '?' : (char)src[i];
	dst[n] = '\0';
}

/* What became of a child that went without a word. */
static int
detach_died(pid_t pid, const char *last)
{
	int st = 0;

	if (last[0] != '\0')
		fprintf(stderr, "softether: %s\n", last);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(st))
		fprintf(stderr, "softether: the card stopped before its first "
		    "login (killed by signal %d)\n", WTERMSIG(st));
	else
		fprintf(stderr, "softether: the card stopped before its first "
		    "login (exit status %d)\n", WIFEXITED(st) ?
		    WEXITSTATUS(st) : -1);
	return 1;
}

/* The parent: the child's verdict, as an exit code. */
static int
detach_wait(int fd, pid_t pid)
{
	static uint8_t buf[2 * (3 + DETACH_MSG_MAX)];
	char last[DETACH_MSG_MAX + 1] = "", last_err[DETACH_MSG_MAX + 1] = "";
	uint64_t deadline = clock_now_ms() +
	    (uint64_t)(NIC_SETTLE_S + DETACH_GRACE_S) * 1000u;
	size_t have = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = clock_now_ms();
		ssize_t n;
		int r;

		if (now >= deadline ||
		    (r = poll(&p, 1, (int)(deadline - now))) == 0) {
			fprintf(stderr, "softether: warning: no word from the "
			    "card (pid %ld) in %d s; it runs on in the "
			    "background\n", (long)pid,
			    NIC_SETTLE_S + DETACH_GRACE_S);
			return 0;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return detach_died(pid, last_err);
		}
		n = read(fd, buf + have, sizeof buf - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return detach_died(pid, last_err);
		have += (size_t)n;
		while (have > 0) {
			size_t len, used;
			if (buf[0] == 'S') {
				if (have < 2)
					break;
				if (buf[1] == 0)
					return 0;
				if (buf[1] == DETACH_TRYING) {
					fprintf(stderr, "softether: warning: not "
					    "up after %d s%s%s%s; the card (pid "
					    "%ld) keeps trying in the "
					    "background\n", NIC_SETTLE_S,
					    last[0] ? " (last: " : "", last,
					    last[0] ? ")" : "", (long)pid);
					return 0;
				}
				if (last_err[0] != '\0')
					fprintf(stderr, "softether: %s\n",
					    last_err);
				return buf[1];
			}
			if ((buf[0] != 'E' && buf[0] != 'W') || (have >= 3 &&
			    ((size_t)buf[1] << 8 | buf[2]) > DETACH_MSG_MAX))
				return detach_died(pid, last_err);
			if (have < 3 || have < 3 + ((size_t)buf[1] << 8 |
			    buf[2]))
				break;
			len = (size_t)buf[1] << 8 | buf[2];
			used = 3 + len;
			detach_keep(last, buf + 3, len);
			if (buf[0] == 'E')
				detach_keep(last_err, buf + 3, len);
			memmove(buf, buf + used, have - used);
			have -= used;
		}
	}
}

int
detach_start(void)
{
	int p[2];
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	if ((pid = fork()) < 0) {
		int saved = errno;
		close(p[0]);
		close(p[1]);
		errno = saved;
		return -1;
	}
	if (pid > 0) {
		int code;
		close(p[1]);
		code = detach_wait(p[0], pid);
		fflush(stderr);
		_exit(code);
	}
	close(p[0]);
	/* A parent stopped at a terminal must not stop the card. */
	(void)fcntl(p[1], F_SETFL, O_NONBLOCK);
	signal(SIGPIPE, SIG_IGN);
	if (setsid() < 0 || chdir("/") != 0)
		log_warn("detaching: %s", strerror(errno));
	detach_fd = p[1];
	detach_child = 1;
	log_set_sink(detach_sink, NULL);
	return 0;
}

void
detach_settle(int code)
{
	uint8_t rec[2] = { 'S', code < 0 ? DETACH_TRYING : (uint8_t)code };
	int null;

	if (!detach_child)
		return;
	detach_child = 0;
	log_set_sink(NULL, NULL);
	if (detach_fd >= 0) {
		detach_send(rec, sizeof rec);
		close(detach_fd);
		detach_fd = -1;
	}
	fflush(stdout);
	fflush(stderr);
	if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
}
