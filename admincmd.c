/*
 * admincmd.c: the administration command language: the table of commands
 * (names, arity, help), the line splitter, and the control socket's reply
 * framing. Nothing here touches the hub; admin.c runs what this parses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admincmd.h"

#define ADMINCMD_WORDS_MAX  2u  /* "session kick" */

static const struct admincmd admincmd_cmds[] = {
	{ ADMINCMD_HELP, "help", 0, 2, "[COMMAND]",
	  "list the commands, or describe one" },
	{ ADMINCMD_STATUS, "status", 0, 0, "",
	  "version, uptime, hubs, sessions, traffic and drops by reason" },
	{ ADMINCMD_HUB_LIST, "hub list", 0, 0, "",
	  "the virtual hubs with their sessions, MACs and counters" },
	{ ADMINCMD_HUB_CREATE, "hub create", 1, 1, "NAME",
	  "a new virtual hub (saved)" },
	{ ADMINCMD_HUB_DELETE, "hub delete", 1, 1, "NAME",
	  "remove a hub; its sessions end (saved)" },
	{ ADMINCMD_HUB_ONLINE, "hub online", 1, 1, "NAME",
	  "let new sessions in (saved)" },
	{ ADMINCMD_HUB_OFFLINE, "hub offline", 1, 1, "NAME",
	  "refuse new sessions; those up stay (saved)" },
	{ ADMINCMD_HUB_SET, "hub set", 3, 3, "NAME KEY VALUE",
	  "mac_aging, max_sessions or default_policy.KEY (VALUE clear: "
	  "back to the file's) (saved)" },
	{ ADMINCMD_HUB_CAPTURE, "hub capture", 1, 6,
	  "HUB [--count N] [--seconds S] [FILE|-]",
	  "what the hub forwards, as pcap, to FILE or standard output "
	  "(| tcpdump -r -); Ctrl-C stops; local control socket only" },
	{ ADMINCMD_USER_LIST, "user list", 1, 1, "HUB",
	  "a hub's users: where each is defined, sessions, own policy" },
	{ ADMINCMD_USER_SHOW, "user show", 2, 2, "HUB USER",
	  "one user with the effective policy" },
	{ ADMINCMD_USER_ADD, "user add", 2, 4,
	  "HUB USER [--hash HASH | --key PUBLIC_KEY]",
	  "a new user; softether --admin asks for the password, or it logs "
	  "in with the key (softether --gen-key) (saved)" },
	{ ADMINCMD_USER_PASSWORD, "user password", 2, 4,
	  "HUB USER [--hash HASH]", "a new password (saved)" },
	{ ADMINCMD_USER_KEY, "user key", 3, 3, "HUB USER PUBLIC_KEY|none",
	  "the key the user may log in with (softether --gen-key), or none "
	  "(saved)" },
	{ ADMINCMD_USER_DELETE, "user delete", 2, 2, "HUB USER",
	  "remove a user; the user's sessions end (saved)" },
	{ ADMINCMD_USER_POLICY, "user policy", 4, 4, "HUB USER KEY VALUE",
	  "set a policy key (VALUE clear: the hub's default); live sessions "
	  "follow (saved)" },
	{ ADMINCMD_SESSION_LIST, "session list", 0, 1, "[HUB]",
	  "the sessions (of one hub): user, source, transport, traffic, state" },
	{ ADMINCMD_SESSION_SHOW, "session show", 1, 1, "ID",
	  "one session in detail" },
	{ ADMINCMD_SESSION_KICK, "session kick", 1, 1, "ID",
	  "end a session with a goodbye; the card does not resume it" },
	{ ADMINCMD_MAC_LIST, "mac list", 1, 1, "HUB",
	  "a hub's MAC table with the owning session and age" },
	{ ADMINCMD_MAC_DELETE, "mac delete", 2, 2, "HUB MAC",
	  "forget a MAC; it is learned again from its next frame" },
	{ ADMINCMD_IP_LIST, "ip list", 1, 1, "HUB",
	  "a hub's IP table with the owning session, source and expiry" },
	{ ADMINCMD_IP_DELETE, "ip delete", 2, 2, "HUB ADDR",
	  "forget an address (a DHCP lease's binding too)" },
	{ ADMINCMD_LOG_LEVEL, "log level", 1, 1, "LEVEL",
	  "set the log level: error, warn, info or debug" },
	{ ADMINCMD_CONFIG_SHOW, "config show", 0, 0, "",
	  "the effective configuration, as YAML" },
	{ ADMINCMD_RELOAD, "reload", 0, 0, "",
	  "read the configuration again, as SIGHUP does" },
	{ ADMINCMD_QUIT, "quit", 0, 0, "",
	  "end this console session" },
};
#define ADMINCMD_N (sizeof admincmd_cmds / sizeof admincmd_cmds[0])

const struct admincmd *
admincmd_table(size_t *n)
{
	*n = ADMINCMD_N;
	return admincmd_cmds;
}

int
admincmd_split(const char *line, size_t len, struct admincmd_line *out,
    char *err, size_t errlen)
{
	char *w = out->buf;
	size_t i = 0;

	out->argc = 0;
	if (len > ADMINCMD_LINE_MAX) {
		snprintf(err, errlen, "line too long (at most %u bytes)",
		    ADMINCMD_LINE_MAX);
		return -1;
	}
	if (memchr(line, '\0', len) != NULL) {
		snprintf(err, errlen, "NUL byte in the line");
		return -1;
	}
	while (i < len) {
		char quote = 0;
		int any = 0;
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == len)
			break;
		if (out->argc == ADMINCMD_ARGS_MAX) {
			snprintf(err, errlen, "too many words (at most %u)",
			    ADMINCMD_ARGS_MAX);
			return -1;
		}
		out->argv[out->argc++] = w;
		for (; i < len; i++) {
			char ch = line[i];
			if (quote == 0 && (ch == ' ' || ch == '\t'))
				break;
			if (quote == 0 && (ch == '\'' || ch == '"')) {
				quote = ch;
				any = 1;
				continue;
			}
			if (quote != 0 && ch == quote) {
				quote = 0;
				continue;
			}
			if (ch == '\\' && quote != '\'' && i + 1 < len &&
			    (quote == 0 || line[i + 1] == '"' ||
			    line[i + 1] == '\\'))
				ch = line[++i];
			*w++ = ch;
			any = 1;
		}
		if (quote != 0) {
			snprintf(err, errlen, "unterminated %s quote",
			    quote == '"' ? "double" : "single");
			return -1;
		}
		(void)any;
		*w++ = '\0';
	}
	return 0;
}

/* The command of table t whose words start argv, or NULL. */
static const struct admincmd *
admincmd_find(const struct admincmd *t, size_t n, char **argv, size_t argc,
    size_t *nwords)
{
	for (size_t i = 0; i < n; i++) {
		const char *p = t[i].words;
		size_t k = 0;
		while (k < argc && k < ADMINCMD_WORDS_MAX) {
			size_t l = strcspn(p, " ");
			if (strlen(argv[k]) != l || memcmp(argv[k], p, l) != 0)
				break;
			k++;
			p += l;
			if (*p == '\0') {
				*nwords = k;
				return &t[i];
			}
			p++;
		}
	}
	return NULL;
}

/* A printable, short echo of what the user typed. */
static const char *
admincmd_show(char buf[48], const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < 40; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

int
admincmd_parse(const char *line, size_t len, struct admincmd_line *out,
    char *err, size_t errlen)
{
	return admincmd_parse_table(admincmd_cmds, ADMINCMD_N, line, len, out,
	    err, errlen);
}

int
admincmd_parse_table(const struct admincmd *t, size_t n, const char *line,
    size_t len, struct admincmd_line *out, char *err, size_t errlen)
{
	const struct admincmd *c;
	size_t nwords = 0;
	char show[48];

	memset(out, 0, sizeof *out);
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (admincmd_split(line, len, out, err, errlen) != 0)
		return -1;
	if (out->argc == 0)
		return 0;
	if ((c = admincmd_find(t, n, out->argv, out->argc, &nwords)) == NULL) {
		snprintf(err, errlen, "unknown command '%s' (try: help)",
		    admincmd_show(show, out->argv[0]));
		return -1;
	}
	out->cmd = c;
	out->argc -= nwords;
	memmove(out->argv, out->argv + nwords, out->argc * sizeof out->argv[0]);
	if (out->argc < c->min || out->argc > c->max) {
		if (c->args[0] == '\0')
			snprintf(err, errlen, "%s: takes no arguments",
			    c->words);
		else
			snprintf(err, errlen, "%s: expected %s", c->words,
			    c->args);
		out->cmd = NULL;
		return -1;
	}
	return 0;
}

static const char *const admincmd_frame_words[] = {
	[ADMINCMD_FRAME_ERR] = "ERR",
	[ADMINCMD_FRAME_OK] = "OK",
	[ADMINCMD_FRAME_STREAM] = "STREAM",
	[ADMINCMD_FRAME_DATA] = "DATA",
};
#define ADMINCMD_NFRAMES \
	(sizeof admincmd_frame_words / sizeof admincmd_frame_words[0])

size_t
admincmd_frame_hdr(char hdr[ADMINCMD_REPLY_HDR], enum admincmd_frame kind,
    size_t len)
{
	int n = snprintf(hdr, ADMINCMD_REPLY_HDR, "%s %zu\n",
	    admincmd_frame_words[kind], len);

	return n > 0 ? (size_t)n : 0;
}

size_t
admincmd_reply_hdr(char hdr[ADMINCMD_REPLY_HDR], int ok, size_t len)
{
	return admincmd_frame_hdr(hdr, ok ? ADMINCMD_FRAME_OK :
	    ADMINCMD_FRAME_ERR, len);
}

int
admincmd_frame_parse(const char *buf, size_t n, enum admincmd_frame *kind,
    size_t *len, size_t *used)
{
	const char *nl = memchr(buf, '\n', n < ADMINCMD_REPLY_HDR ? n :
	    ADMINCMD_REPLY_HDR);
	const char *p = NULL;
	size_t v = 0;

	if (nl == NULL)
		return n >= ADMINCMD_REPLY_HDR ? -1 : 0;
	for (size_t k = 0; k < ADMINCMD_NFRAMES; k++) {
		size_t wl = strlen(admincmd_frame_words[k]);
		if ((size_t)(nl - buf) > wl + 1 &&
		    memcmp(buf, admincmd_frame_words[k], wl) == 0 &&
		    buf[wl] == ' ') {
			*kind = (enum admincmd_frame)k;
			p = buf + wl + 1;
		}
	}
	if (p == NULL)
		return -1;
	for (; p < nl; p++) {
		if (*p < '0' || *p > '9' || v > ADMINCMD_REPLY_MAX)
			return -1;
		v = v * 10 + (size_t)(*p - '0');
	}
	if (v > ADMINCMD_REPLY_MAX)
		return -1;
	*len = v;
	*used = (size_t)(nl - buf) + 1;
	return 1;
}

int
admincmd_reply_parse(const char *buf, size_t n, int *ok, size_t *len,
    size_t *used)
{
	enum admincmd_frame kind;
	int r = admincmd_frame_parse(buf, n, &kind, len, used);

	if (r != 1)
		return r;
	if (kind != ADMINCMD_FRAME_OK && kind != ADMINCMD_FRAME_ERR)
		return -1;
	*ok = kind == ADMINCMD_FRAME_OK;
	return 1;
}

/* A whole decimal number in [min, max]: 0, or -1. */
static int
admincmd_number(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
admincmd_capture_parse(const struct admincmd_line *l,
    struct admincmd_capture *c, char *err, size_t errlen)
{
	uint64_t v;

	memset(c, 0, sizeof *c);
	if (l->argc < 1) {
		snprintf(err, errlen, "hub capture: expected HUB");
		return -1;
	}
	c->hub = l->argv[0];
	for (size_t i = 1; i < l->argc; i++) {
		const char *a = l->argv[i];
		int count = strcmp(a, "--count") == 0 || strcmp(a, "-c") == 0;
		if (count || strcmp(a, "--seconds") == 0) {
			if (i + 1 == l->argc) {
				snprintf(err, errlen, "hub capture: %s needs a "
				    "number", a);
				return -1;
			}
			if (admincmd_number(l->argv[++i], 1, count ?
			    UINT64_MAX / 2 : ADMINCMD_CAPTURE_MAX_S, &v) != 0) {
				if (count)
					snprintf(err, errlen, "hub capture: %s: "
					    "expected a number of frames", a);
				else
					snprintf(err, errlen, "hub capture: %s: "
					    "expected 1 to %u seconds", a,
					    ADMINCMD_CAPTURE_MAX_S);
				return -1;
			}
			if (count)
				c->count = v;
			else
				c->seconds = (uint32_t)v;
		} else if (a[0] == '-' && a[1] != '\0') {
			char show[48];
			snprintf(err, errlen, "hub capture: unknown option '%s' "
			    "(--count N, --seconds S)", admincmd_show(show, a));
			return -1;
		} else if (c->file != NULL) {
			snprintf(err, errlen, "hub capture: one FILE at most");
			return -1;
		} else
			c->file = a;
	}
	if (c->file != NULL && strcmp(c->file, "-") == 0)
		c->file = NULL;
	return 0;
}
