/*
 * transport.h: how a client reaches the hub. Every transport (direct TCP,
 * HTTP proxy, SOCKS, SSH) is one file exporting one ops table, and all of
 * them end in the same thing: a connected, non-blocking byte-stream fd.
 */
#ifndef SOFTETHER_TRANSPORT_H
#define SOFTETHER_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct transport_conn;

#define TRANSPORT_CONNECT_TIMEOUT_MS 10000u

#define TRANSPORT_MAX_SSH_OPTIONS 32u

struct transport_target {
	const char *host;             /* the hub, as the far end must reach it */
	uint16_t port;
	const char *proxy_host;       /* http-proxy, socks4, socks5 */
	uint16_t proxy_port;
	const char *proxy_user;       /* NULL: no proxy authentication */
	const char *proxy_password;   /* NULL: none (socks4 sends no password) */
	const char *ssh_dest;         /* ssh: "[user@]gateway[:port]" */
	const char *ssh_options[TRANSPORT_MAX_SSH_OPTIONS]; /* "Key=Value" */
	size_t nssh_options;
	const char *tcp_congestion;   /* of the TCP connection we make;
	                                 NULL: the host's */
};

/*
 * fd >= 0 on success: a connected, non-blocking byte stream to the hub (the
 * caller owns it; closing it ends whatever carries it). Else fd = -1 and err
 * says why, quoting the proxy's or ssh's own words where there are any.
 * Every transport bounds its whole handshake in time.
 */
typedef void transport_done_fn(void *arg, int fd, const char *err);

/* transport_ops.takes: the settings a transport uses beyond the hub's. */
#define TRANSPORT_TAKES_PROXY 0x1u  /* proxy, proxy_user, proxy_password */
#define TRANSPORT_TAKES_SSH   0x2u  /* ssh_dest, ssh_options */
#define TRANSPORT_TAKES_TCP   0x4u  /* tcp_congestion (ssh's is its own) */

struct transport_ops {
	const char *name;
	unsigned takes;               /* TRANSPORT_TAKES_*: any other is an
	                                 error, never ignored */
	/* What the target lacks for this transport (e.g. "needs --proxy
	 * HOST:PORT"), or NULL if it is complete. */
	const char *(*check)(const struct transport_target *t);
	struct transport_conn *(*connect)(struct event_base *base,
	    const struct transport_target *t, transport_done_fn *done,
	    void *arg);
	/* done will not be called after this. */
	void (*cancel)(struct transport_conn *c);
	/* Before the event base goes: end whatever the transport still runs
	 * in the background (NULL: nothing). */
	void (*shutdown)(void);
};

extern const struct transport_ops transport_direct;
extern const struct transport_ops transport_http_proxy;
extern const struct transport_ops transport_socks4;
extern const struct transport_ops transport_socks5;
extern const struct transport_ops transport_ssh;

const struct transport_ops *transport_find(const char *name);
/* "a, b, c": the names --via accepts. */
const char *transport_names(void);
/* "a, b or c": the transports that take what (TRANSPORT_TAKES_*), in buf. */
const char *transport_names_taking(unsigned what, char *buf, size_t len);

/*
 * The TCP leg every transport starts with: resolve host, try each address
 * with a non-blocking connect, give up after TRANSPORT_CONNECT_TIMEOUT_MS.
 * cc: the connection's congestion control (tcpcc.h); NULL: the host's.
 */
struct transport_tcp;
struct transport_tcp *transport_tcp_connect(struct event_base *base,
    const char *host, uint16_t port, const char *cc, transport_done_fn *done,
    void *arg);
void transport_tcp_cancel(struct transport_tcp *c);

#endif
