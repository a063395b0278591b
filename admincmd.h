/*
 * admincmd.h: the administration command language, as pure functions over
 * bytes: splitting a line into words (quotes and escapes), finding the
 * command in the one table every way in shares (control socket, console)
 * or in the card's own, and the control socket's reply framing.
 */
#ifndef SOFTETHER_ADMINCMD_H
#define SOFTETHER_ADMINCMD_H

#include <stddef.h>
#include <stdint.h>

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
	ADMINCMD_HUB_CAPTURE,
	ADMINCMD_USER_KEY,
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

/* The same over another table of n commands (the card's, nicadmin.c). */
int admincmd_parse_table(const struct admincmd *t, size_t n,
    const char *line, size_t len, struct admincmd_line *out, char *err,
    size_t errlen);

/*
 * The words alone, by the same rules (the card's --up and --down commands
 * are split so, with no shell): out->argv[0..argc) point into out->buf.
 * At most ADMINCMD_LINE_MAX bytes, no NUL. 0, or -1 with err.
 */
int admincmd_split(const char *line, size_t len, struct admincmd_line *out,
    char *err, size_t errlen);

/* The table, in help order. */
const struct admincmd *admincmd_table(size_t *n);

/* Reply framing on the control socket: "OK <len>\n" or "ERR <len>\n",
 * then len bytes. Writes the header into hdr; returns its length. */
size_t admincmd_reply_hdr(char hdr[ADMINCMD_REPLY_HDR], int ok, size_t len);
/* Reads one header from buf: 1 done (*ok, *len, *used set), 0 need more,
 * -1 malformed (a stream's header too: see admincmd_frame_parse). */
int admincmd_reply_parse(const char *buf, size_t n, int *ok, size_t *len,
    size_t *used);

/*
 * A streaming reply (hub capture): "STREAM <len>\n" and len bytes of text
 * for the client's standard error; then any number of "DATA <len>\n" and
 * len bytes of the stream itself (binary); then one ordinary reply, "OK"
 * or "ERR", whose text says how it ended (also for standard error). The
 * client stops a stream by shutting down its side for writing (or by
 * sending anything); the hub closes the connection after the last reply.
 */
enum admincmd_frame {
	ADMINCMD_FRAME_ERR = 0,
	ADMINCMD_FRAME_OK = 1,
	ADMINCMD_FRAME_STREAM = 2,
	ADMINCMD_FRAME_DATA = 3,
};
size_t admincmd_frame_hdr(char hdr[ADMINCMD_REPLY_HDR],
    enum admincmd_frame kind, size_t len);
/* As admincmd_reply_parse, for any of the four headers. */
int admincmd_frame_parse(const char *buf, size_t n, enum admincmd_frame *kind,
    size_t *len, size_t *used);

/* hub capture's arguments: HUB, then in any order --count N (-c N),
 * --seconds S and one FILE ("-": standard output). */
#define ADMINCMD_CAPTURE_MAX_S  (7u * 24u * 3600u)
struct admincmd_capture {
	const char *hub;
	const char *file;     /* NULL: standard output */
	uint64_t count;       /* frames; 0: no bound */
	uint32_t seconds;     /* 0: no bound */
};
/* 0, or -1 with err. Points into l. */
int admincmd_capture_parse(const struct admincmd_line *l,
    struct admincmd_capture *c, char *err, size_t errlen);

#endif
