/*
 * linecl.h: one client of a line service of the hub (the control socket,
 * the console): its socket, read and write events and buffers, output
 * written with backpressure, and one place where it is freed. The service
 * keeps its own per-client state and is told when input arrives.
 */
#ifndef SOFTETHER_LINECL_H
#define SOFTETHER_LINECL_H

#include <stddef.h>
#include <stdint.h>

struct event;
struct event_base;
struct evbuffer;
struct linecl;

/* Bytes have arrived in l->in, or the peer is done (l->eof), or it was
 * silent past its timeout (timed_out). The service reads lines, writes
 * l->out and calls linecl_flush or linecl_close. */
typedef void linecl_input_fn(struct linecl *l, int timed_out);
/* The client is being freed: the service forgets it. */
typedef void linecl_freed_fn(struct linecl *l);
/* Optional: what was read, filtered in place (the console's telnet). */
typedef size_t linecl_filter_fn(uint8_t *buf, size_t len);

struct linecl {
	int fd;
	struct event *rev, *wev;
	struct evbuffer *in, *out;
	int closing;                 /* freed once out is written */
	int eof;                     /* the peer sent all it will */
	linecl_input_fn *input;
	linecl_freed_fn *freed;
	linecl_filter_fn *filter;
	void *arg;                   /* the service's per-client state */
};

/* A client on fd (taken over), reading with a timeout of timeout_s
 * (0: none). NULL if out of memory (fd closed). */
struct linecl *linecl_new(struct event_base *base, int fd,
    linecl_input_fn *input, linecl_freed_fn *freed, void *arg,
    int timeout_s);
/* Read again (after linecl_pause), with a new timeout (0: none). */
void linecl_read(struct linecl *l, int timeout_s);
/* Stop reading for now (a reply is being worked out). */
void linecl_pause(struct linecl *l);
/* Write what l->out holds; frees l if it broke or it was closing and all
 * is written. */
void linecl_flush(struct linecl *l);
/* Write l->out once the socket can take it, from the loop: never frees l
 * here (for output added where the caller must not lose it). */
void linecl_flush_soon(struct linecl *l);
/* Stop reading; free once the output is written. */
void linecl_close(struct linecl *l);
void linecl_free(struct linecl *l);

#endif
