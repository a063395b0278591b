/*
 * admincmd.h: the administration command language, as pure functions over
 * bytes: splitting a line into words (quotes and escapes), finding the
 * command in the one table every way in shares (control socket, console),
 * and the control socket's reply framing.
 */
#ifndef SOFTETHER_ADMINCMD_H
#define SOFTETHER_ADMINCMD_H

#include <stddef.h>

#define ADMINCMD_LINE_MAX   1024u  /* one command line, without its end */
#define ADMINCMD_ARGS_MAX   16u    /* words in one line */
#define ADMINCMD_REPLY_MAX  (16u * 1024u * 1024u) /* one reply's body */
#define ADMINCMD_REPLY_HDR  24u    /* "ERR 16777216\n" and room */

enum admincmd_id {
	ADMINCMD_HELP = 0,
	ADMINCMD_STATUS,
	ADMINCMD_HUB_LIST,
	ADMINCMD_HUB_CREATE,
	ADMINCMD_HUB_DELETE,
	ADMINCMD_HUB_ONLINE,
	ADMINCMD_HUB_OFFLINE,
	ADMINCMD_HUB_SET,
	ADMINCMD_USER_LIST,
	ADMINCMD_USER_SHOW,
	ADMINCMD_USER_ADD,
	ADMINCMD_USER_PASSWORD,
	ADMINCMD_USER_DELETE,
	ADMINCMD_USER_POLICY,
	ADMINCMD_SESSION_LIST,
	ADMINCMD_SESSION_SHOW,
	ADMINCMD_SESSION_KICK,
	ADMINCMD_MAC_LIST,
	ADMINCMD_MAC_DELETE,
	ADMINCMD_IP_LIST,
	ADMINCMD_IP_DELETE,
	ADMINCMD_LOG_LEVEL,
	ADMINCMD_CONFIG_SHOW,
	ADMINCMD_RELOAD,
	ADMINCMD_QUIT,
};

struct admincmd {
	enum admincmd_id id;
	const char *words;    /* "session kick" */
	unsigned min, max;    /* arguments after the words */
	const char *args;     /* "ID", for usage lines */
	const char *help;     /* one sentence */
};

/* A parsed line: the command and its arguments (pointing into buf). */
struct admincmd_line {
	const struct admincmd *cmd;   /* NULL: the line was empty */
	size_t argc;
	char *argv[ADMINCMD_ARGS_MAX];
	char buf[ADMINCMD_LINE_MAX + 1];
};

/*
 * Words are separated by blanks; '...' keeps everything literally, "..."
 * takes \" and \\ as escapes, and a backslash outside quotes escapes the
 * next byte. 0, or -1 with err saying what was wrong and what to try
 * ("unknown command 'foo' (try: help)", "session kick: expected ID").
 */
int admincmd_parse(const char *line, size_t len, struct admincmd_line *out,
    char *err, size_t errlen);

/* The table, in help order. */
const struct admincmd *admincmd_table(size_t *n);

/* Reply framing on the control socket: "OK <len>\n" or "ERR <len>\n",
 * then len bytes. Writes the header into hdr; returns its length. */
size_t admincmd_reply_hdr(char hdr[ADMINCMD_REPLY_HDR], int ok, size_t len);
/* Reads one header from buf: 1 done (*ok, *len, *used set), 0 need more,
 * -1 malformed. */
int admincmd_reply_parse(const char *buf, size_t n, int *ok, size_t *len,
    size_t *used);

#endif
