/*
 * log.h: levelled logging to stderr, or to syslog when daemonised.
 */
#ifndef SOFTETHER_LOG_H
#define SOFTETHER_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* use_syslog: to syslog, or, with no syslog daemon listening at /dev/log,
 * to stderr after one warning (log_syslog_check). */
void log_init(const char *progname, enum log_level level, int use_syslog);
/* Is a syslog daemon listening? If not, warns once for the process (on
 * stderr, where the log still goes), saying that what is logged will be
 * lost if detaching (--daemon). 1 or 0. */
int log_syslog_check(int detaching);
/* 1 if lines go to syslog now. */
int log_uses_syslog(void);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* "error", "warn", "info", "debug" -> level; -1 if unknown. */
int log_level_parse(const char *s);
const char *log_level_name(enum log_level level);

/* Every line logged is also handed to fn (NULL: none), e.g. for a test to
 * see what a user would read. */
typedef void log_sink_fn(void *arg, enum log_level level, const char *line);
void log_set_sink(log_sink_fn *fn, void *arg);

/* A string a peer chose, made fit for one log line: printable ASCII but
 * the backslash as is, the backslash doubled, any other byte as \xHH; cut
 * with "..." to fit len. len >= 8. Returns buf. */
#define LOG_SAFE_LEN(n) (4 * (n) + 4)   /* room for n bytes escaped */
const char *log_safe(char *buf, size_t len, const char *s);

void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#define log_err(...)   log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) do { if (log_get_level() >= LOG_LVL_DEBUG) \
	log_msg(LOG_LVL_DEBUG, __VA_ARGS__); } while (0)

#endif
