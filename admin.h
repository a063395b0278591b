/*
 * admin.h: running administration commands against a hub. The caller
 * (control socket, console) owns the transport; this writes the answer,
 * as text or as one JSON document, into out.
 */
#ifndef SOFTETHER_ADMIN_H
#define SOFTETHER_ADMIN_H

#include <stddef.h>

#include "admincmd.h"

struct evbuffer;
struct srv;

/* adminset.c: the commands that change users and hubs. */
int adminset_exec(struct srv *srv, const struct admincmd_line *l, int json,
    struct evbuffer *out);
/* A refusal into out (text line or {"ok":false,"error":...}); -1. */
int admin_fail(struct evbuffer *out, int json, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Parse and run one line (an empty line does nothing). 0 or -1. */
int admin_line(struct srv *srv, const char *line, size_t len, int json,
    struct evbuffer *out);

#endif
