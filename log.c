/*
 * log.c: levelled logging. One line per event, with a timestamp on stderr;
 * syslog adds its own. Asked for syslog with no syslog daemon listening,
 * it says so once and stays on stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static enum log_level log_level = LOG_LVL_INFO;
static int log_syslog;
static int log_syslog_warned;	/* no syslog daemon: said once */
static log_sink_fn *log_sink;
static void *log_sink_arg;

static const char *const log_names[] = { "error", "warn", "info", "debug" };

/* Does a syslog daemon take messages at _PATH_LOG? 0 with errno if not.
 * A datagram socket first, as syslog(3) tries it, then a stream one. */
static int
log_syslog_listening(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	static const int types[] = { SOCK_DGRAM, SOCK_STREAM };
	int saved = ENOENT;

	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", _PATH_LOG);
	for (size_t i = 0; i < 2; i++) {
		int fd = socket(AF_UNIX, types[i] | SOCK_CLOEXEC, 0), ok;
		if (fd < 0)
			return 0;
		ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
		saved = errno;
		close(fd);
		if (ok)
			return 1;
		if (saved != EPROTOTYPE)
			break;
	}
	errno = saved;
	return 0;
}

int
log_syslog_check(int detaching)
{
	if (log_syslog_listening())
		return 1;
	if (!log_syslog_warned) {
		log_syslog_warned = 1;
		if (detaching)
			log_warn("no syslog daemon listens at %s (%s): the log "
			    "goes to standard error, which is closed once "
			    "detached, so nothing will be logged after that "
			    "(start a syslog daemon, or run in the foreground)",
			    _PATH_LOG, strerror(errno));
		else
			log_warn("no syslog daemon listens at %s (%s): logging "
			    "to standard error instead", _PATH_LOG,
			    strerror(errno));
	}
	return 0;
}

void
log_init(const char *progname, enum log_level level, int use_syslog)
{
	log_level = level;
	log_syslog = 0;
	if (use_syslog && log_syslog_check(0)) {
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
		log_syslog = 1;
	}
}

int
log_uses_syslog(void)
{
	return log_syslog;
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

int
log_level_parse(const char *s)
{
	for (size_t i = 0; i < sizeof log_names / sizeof log_names[0]; i++)
		if (strcmp(s, log_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
log_level_name(enum log_level level)
{
	return (unsigned)level < 4 ? log_names[level] : "?";
}

void
log_set_sink(log_sink_fn *fn, void *arg)
{
	log_sink = fn;
	log_sink_arg = arg;
}

static void
log_vemit(enum log_level level, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char line[2048];

	vsnprintf(line, sizeof line, fmt, ap);
	if (log_sink != NULL)
		log_sink(log_sink_arg, level, line);
	if (log_syslog) {
		syslog(prio[level], "%s", line);
		return;
	}
	struct timespec ts;
	struct tm tm;
	char when[32];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ %-5s %s\n", when, ts.tv_nsec / 1000000,
	    log_names[level], line);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	log_vemit(level, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LVL_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}

const char *
log_safe(char *buf, size_t len, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		char e[4];
		size_t n = 1;
		if (c == '\\') {
			e[0] = e[1] = '\\';
			n = 2;
		} else if (c >= 0x20 && c < 0x7f)
			e[0] = (char)c;
		else {
			e[0] = '\\';
			e[1] = 'x';
			e[2] = hex[c >> 4];
			e[3] = hex[c & 0xf];
			n = 4;
		}
		if (o + n + 4 > len) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(buf + o, e, n);
		o += n;
	}
	buf[o] = '\0';
	return buf;
}
