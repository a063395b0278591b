/*
 * nicadmin.h: the card's side of its control socket (softether --admin
 * --nic): its commands, and how the card is, as text, as the one line
 * SIGUSR1 logs, or as one JSON document, all from one struct nic_status.
 */
#ifndef SOFTETHER_NICADMIN_H
#define SOFTETHER_NICADMIN_H

#include <stddef.h>

#include "admincmd.h"
#include "nic.h"

struct evbuffer;

enum nicadmin_fmt {
	NICADMIN_LINE,	/* one log line, no line end */
	NICADMIN_TEXT,	/* "key  value" lines for a person */
	NICADMIN_JSON,	/* one JSON object and a line end */
};

/* The card's facts in fmt, appended to out. */
void nicadmin_status(const struct nic_status *st, enum nicadmin_fmt fmt,
    struct evbuffer *out);

/* The card's commands, in help order. */
const struct admincmd *nicadmin_table(size_t *n);

/* One request line against a snapshot (an empty line is status): the
 * answer into out. 0 done, -1 refused (the reason is in out). */
int nicadmin_run(const struct nic_status *st, const char *line, size_t len,
    int json, struct evbuffer *out);
/* The control socket's callback (control_exec_fn); arg is the card. */
int nicadmin_exec(void *nic, const char *line, size_t len, int json,
    struct evbuffer *out);


#endif
