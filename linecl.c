/*
 * linecl.c: a client of the hub's line services (control socket, console):
 * reading into a buffer, writing out with backpressure, freed in one place.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "linecl.h"

#define LINECL_READ_MAX 4096

static void
linecl_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct linecl *l = arg;
	uint8_t buf[LINECL_READ_MAX];
	ssize_t n;

	if (what & EV_TIMEOUT) {
		l->input(l, 1);
		return;
	}
	n = read(fd, buf, sizeof buf);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		linecl_free(l);
		return;
	}
	if (n == 0) {
		l->eof = 1;
		event_del(l->rev);
	} else
		evbuffer_add(l->in, buf, l->filter != NULL ?
		    l->filter(buf, (size_t)n) : (size_t)n);
	l->input(l, 0);
}

static void
linecl_write_cb(evutil_socket_t fd, short what, void *arg)
{
	linecl_flush(arg);
}

struct linecl *
linecl_new(struct event_base *base, int fd, linecl_input_fn *input,
    linecl_freed_fn *freed, void *arg, int timeout_s)
{
	struct linecl *l = calloc(1, sizeof *l);

	if (l == NULL) {
		close(fd);
		return NULL;
	}
	l->fd = fd;
	l->input = input;
	l->freed = freed;
	l->arg = arg;
	l->in = evbuffer_new();
	l->out = evbuffer_new();
	l->rev = event_new(base, fd, EV_READ | EV_PERSIST, linecl_read_cb, l);
	l->wev = event_new(base, fd, EV_WRITE, linecl_write_cb, l);
	if (l->in == NULL || l->out == NULL || l->rev == NULL ||
	    l->wev == NULL) {
		l->freed = NULL;
		linecl_free(l);
		return NULL;
	}
	linecl_read(l, timeout_s);
	return l;
}

void
linecl_read(struct linecl *l, int timeout_s)
{
	struct timeval tv = { timeout_s, 0 };

	if (!l->eof && !l->closing)
		event_add(l->rev, timeout_s > 0 ? &tv : NULL);
}

void
linecl_pause(struct linecl *l)
{
	event_del(l->rev);
}

void
linecl_flush(struct linecl *l)
{
	while (evbuffer_get_length(l->out) > 0) {
		int n = evbuffer_write(l->out, l->fd);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			linecl_free(l);
			return;
		}
	}
	if (evbuffer_get_length(l->out) > 0) {
		event_add(l->wev, NULL);
		return;
	}
	if (l->closing)
		linecl_free(l);
}

void
linecl_flush_soon(struct linecl *l)
{
	event_add(l->wev, NULL);
}

void
linecl_close(struct linecl *l)
{
	l->closing = 1;
	event_del(l->rev);
}

void
linecl_free(struct linecl *l)
{
	if (l->freed != NULL)
		l->freed(l);
	if (l->rev != NULL)
		event_free(l->rev);
	if (l->wev != NULL)
		event_free(l->wev);
	if (l->in != NULL)
		evbuffer_free(l->in);
	if (l->out != NULL)
		evbuffer_free(l->out);
	close(l->fd);
	free(l);
}
