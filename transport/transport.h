/*
 * transport.h: how a client reaches the hub. Every transport (direct TCP,
 * HTTP proxy, SOCKS, SSH) is one file exporting one ops table, and all of
 * them end in the same thing: a connected, non-blocking byte-stream fd.
 */
#ifndef SOFTETHER_TRANSPORT_H
#define SOFTETHER_TRANSPORT_H

#include <stdint.h>

struct event_base;
struct transport_conn;

#define TRANSPORT_CONNECT_TIMEOUT_MS 10000u

struct transport_target {
	const char *host;      /* the hub */
	uint16_t port;
};

/* fd >= 0 on success (caller owns it); else fd = -1 and err says why. */
typedef void transport_done_fn(void *arg, int fd, const char *err);

struct transport_ops {
	const char *name;
	struct transport_conn *(*connect)(struct event_base *base,
	    const struct transport_target *t, transport_done_fn *done,
	    void *arg);
	/* done will not be called after this. */
	void (*cancel)(struct transport_conn *c);
};

extern const struct transport_ops transport_direct;

const struct transport_ops *transport_find(const char *name);
/* "a, b, c": the names --via accepts. */
const char *transport_names(void);

/*
 * The TCP leg every transport starts with: resolve host, try each address
 * with a non-blocking connect, give up after TRANSPORT_CONNECT_TIMEOUT_MS.
 */
struct transport_tcp;
struct transport_tcp *transport_tcp_connect(struct event_base *base,
    const char *host, uint16_t port, transport_done_fn *done, void *arg);
void transport_tcp_cancel(struct transport_tcp *c);

#endif
