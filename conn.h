/*
 * conn.h: one tunnel connection, either end. Owns the socket, its
 * buffers, the TLS login phase and then the data channel: batching frames
 * into sealed records, keepalives, dead-peer and handshake timers, goodbye.
 * The role (hub or client) plugs in through callbacks.
 */
#ifndef SOFTETHER_CONN_H
#define SOFTETHER_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "clock.h"
#include "dchan.h"
#include "proto.h"
#include "tlsio.h"

struct event_base;
struct conn;

enum conn_state {
	CONN_TLS = 0,   /* TLS handshake running */
	CONN_LOGIN,     /* hello/auth/welcome inside TLS */
	CONN_UP,        /* data channel: frames flow */
	CONN_CLOSED,    /* torn down; freed once callbacks unwind */
};

struct conn_cbs {
	/* TLS is up; the client checks the hub and sends hello + auth. Return
	 * -1 (after conn_fail) to stop. */
	int (*tls_up)(struct conn *c, void *arg);
	/* A login message arrived. */
	void (*login_msg)(struct conn *c, const struct proto_msg *m,
	    void *arg);
	/* A data item (frame, ack, sequence) arrived; valid until return. */
	void (*item)(struct conn *c, const struct proto_item *item, void *arg);
	/* All items of one read are delivered: a good time to flush. */
	void (*rx_batch_done)(struct conn *c, void *arg);
	/* The output queue drained below the low-water mark. */
	void (*writable)(struct conn *c, void *arg);
	/* Final: the connection is gone after this returns. */
	void (*closed)(struct conn *c, const char *reason, void *arg);
	/* Optional: once a second while up, after the connection's own
	 * timers (the owner's periodic checks ride on the same tick). */
	void (*tick)(struct conn *c, uint64_t now_ms, void *arg);
};

struct conn_ticker;

struct conn_counters {
	uint64_t tx_bytes, rx_bytes;      /* sealed bytes on the wire */
	uint64_t tx_records, rx_records;
	uint64_t tx_writes;               /* writes to the socket that took
	                                     something */
};

struct conn {
	struct event_base *base;
	int fd;
	int is_server;
	enum conn_state state;
	struct event *rev, *wev, *close_ev;
	struct event *kick_ev;    /* writes what a wake-up's callbacks sealed */
	int kick_pending;
	int held;                 /* conn_hold: the caller pushes, no kick */
	/* Its place in the one timer every connection of its event loop
	 * shares (conn.c: conn_ticker): no timer event of its own. */
	struct conn_ticker *ticker;
	TAILQ_ENTRY(conn) tick_entry;
	uint32_t ka_wait_ms;      /* this keepalive's silence, drawn once */
	struct evbuffer *in, *out;
	/* Records sealed while the output queue was empty go to a block the
	 * loop lends (conn.c: conn_ob_get) and are written from there: a
	 * wake-up's few small records cost the queue nothing. What the socket
	 * does not take moves to the queue; while there is something in the
	 * block the queue is empty, so the order holds. */
	uint8_t *ob;
	size_t ob_len;
	struct tlsio tls;
	struct dchan dc;
	const struct conn_cbs *cbs;
	void *arg;
	char peer[64];            /* "addr:port" for logs */
	struct sockaddr_storage peer_addr;
	uint32_t max_frame;
	uint32_t keepalive_ms;
	uint32_t dead_peer_ms;    /* silence that ends the connection */
	uint32_t login_idle_ms;   /* nonzero: stays in LOGIN (administration),
	                             closed after this much silence */
	uint32_t first_byte_ms;   /* nonzero: a peer silent this long from the
	                             start is closed (before the full
	                             handshake timeout) */
	int got_bytes;            /* the peer has sent something */
	uint64_t started_ms, last_rx_ms, last_tx_ms;
	uint64_t last_drain_ms;   /* the socket last took bytes, or the output
	                             queue was last empty */
	uint8_t *login;           /* TLS plaintext being parsed into messages */
	size_t login_len;
	int want_writable;        /* someone saw congestion: call writable() */
	char close_reason[256];
	int peer_said_goodbye;    /* the peer ended the session on purpose */
	int said_goodbye;         /* we did */
	struct conn_counters ctr;
};

/* Wrap a connected, non-blocking socket. server_name is the client's SNI
 * (NULL on the hub). Returns NULL on allocation failure (fd closed). */
struct conn *conn_new(struct event_base *base, int fd,
    struct tlsio_conf *tc, const char *server_name,
    const struct conn_cbs *cbs, void *arg);

/* Login phase: send one message inside TLS. 0 or -1. */
int conn_send_msg(struct conn *c, const struct proto_msg *m);
/* Switch to the data channel with this cipher; keys come from TLS. */
int conn_start_data(struct conn *c, enum dchan_cipher ci,
    uint32_t max_frame, uint32_t keepalive_ms);

/* Seal a || b as one record into the output queue. What the callbacks of
 * one wake-up seal goes out in one write once they unwind, or at once past
 * CONN_CORK_BYTES. 0, or -1 if not up, too long, or the connection failed
 * (then closed). */
int conn_send_plain(struct conn *c, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen);
/* Write what is queued now, not once the callbacks unwind (a frame that
 * should not wait for the rest of the wake-up); ends a conn_hold. */
void conn_push(struct conn *c);
/* The records sealed from now on wait for the caller's conn_push (which
 * comes before the callback returns), not for a write of their own once
 * the callbacks unwind: a caller that seals and then pushes saves the loop
 * a deferred write. */
void conn_hold(struct conn *c);
/* Bytes waiting in the socket's output queue. */
size_t conn_outq(const struct conn *c);
/* 1 if the output queue is over the high-water mark; writable() will
 * then run once it drains below the low-water mark. */
int conn_congested(struct conn *c);

/* Hand the connection to another owner (a session once it is up). */
void conn_set_owner(struct conn *c, const struct conn_cbs *cbs, void *arg);
/* Close it with no word to its owner (who is letting go of it). */
void conn_abandon(struct conn *c, const char *reason);

/* Polite end: a goodbye record (in the data phase), flush, close. */
void conn_goodbye(struct conn *c, uint16_t reason, const char *text);
/* Tear down now; closed() runs (deferred if inside a callback). */
void conn_close(struct conn *c, const char *reason);

#endif
