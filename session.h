/*
 * session.h: one tunnel connection, either end. Owns the socket, its
 * buffers, the TLS login phase and then the data channel: batching frames
 * into sealed records, keepalives, dead-peer and handshake timers, goodbye.
 * The role (hub or client) plugs in through callbacks.
 */
#ifndef SOFTETHER_SESSION_H
#define SOFTETHER_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dchan.h"
#include "proto.h"
#include "tlsio.h"

struct event_base;
struct session;

enum session_state {
	SESSION_TLS = 0,   /* TLS handshake running */
	SESSION_LOGIN,     /* hello/auth/welcome inside TLS */
	SESSION_UP,        /* data channel: frames flow */
	SESSION_CLOSED,    /* torn down; freed once callbacks unwind */
};

struct session_cbs {
	/* TLS is up; the client checks the hub and sends hello + auth. Return
	 * -1 (after session_fail) to stop. */
	int (*tls_up)(struct session *s, void *arg);
	/* A login message arrived. */
	void (*login_msg)(struct session *s, const struct proto_msg *m,
	    void *arg);
	/* A frame arrived on the data channel (valid until return). */
	void (*frame)(struct session *s, const uint8_t *f, size_t len,
	    void *arg);
	/* All frames of one read are delivered: a good time to flush. */
	void (*rx_batch_done)(struct session *s, void *arg);
	/* The output queue drained below the low-water mark. */
	void (*writable)(struct session *s, void *arg);
	/* Final: the session is gone after this returns. */
	void (*closed)(struct session *s, const char *reason, void *arg);
};

struct session_counters {
	uint64_t tx_frames, tx_bytes, rx_frames, rx_bytes;
	uint64_t tx_drops;        /* frames dropped: output queue full */
	uint64_t tx_records, rx_records;
};

struct session {
	struct event_base *base;
	int fd;
	int is_server;
	enum session_state state;
	struct event *rev, *wev, *timer, *flush_ev, *close_ev;
	struct evbuffer *in, *out;
	struct tlsio tls;
	struct dchan dc;
	const struct session_cbs *cbs;
	void *arg;
	char peer[64];            /* "addr:port" for logs */
	struct sockaddr_storage peer_addr;
	uint32_t max_frame;
	uint32_t keepalive_ms;
	uint64_t started_ms, last_rx_ms, last_tx_ms;
	uint8_t *tx;              /* header + plaintext batch + tag */
	size_t tx_len;            /* plaintext bytes in the batch */
	uint8_t *login;           /* TLS plaintext being parsed into messages */
	size_t login_len;
	int flush_pending;
	int want_writable;        /* someone saw congestion: call writable() */
	char close_reason[256];
	struct session_counters ctr;
};

/* Milliseconds on a monotonic clock. */
uint64_t session_now_ms(void);

/* Wrap a connected, non-blocking socket. server_name is the client's SNI
 * (NULL on the hub). Returns NULL on allocation failure (fd closed). */
struct session *session_new(struct event_base *base, int fd,
    struct tlsio_conf *tc, const char *server_name,
    const struct session_cbs *cbs, void *arg);

/* Login phase: send one message inside TLS. 0 or -1. */
int session_send_msg(struct session *s, const struct proto_msg *m);
/* Switch to the data channel with this cipher; keys come from TLS. */
int session_start_data(struct session *s, enum dchan_cipher c,
    uint32_t max_frame, uint32_t keepalive_ms);

/* Queue one frame for the peer. Returns 0, or -1 if dropped because the
 * output queue is over its high-water mark (counted). Sealing is batched:
 * the record goes out after the current callbacks unwind, or sooner when
 * the batch is full. */
int session_send_frame(struct session *s, const uint8_t *f, size_t len);
/* Seal and send whatever is batched now. */
void session_flush(struct session *s);
/* Bytes waiting in the socket's output queue. */
size_t session_outq(const struct session *s);
/* 1 if the output queue is over the high-water mark; writable() will
 * then run once it drains below the low-water mark. */
int session_congested(struct session *s);

/* Polite end: a goodbye record (in the data phase), flush, close. */
void session_goodbye(struct session *s, uint16_t reason, const char *text);
/* Tear down now; closed() runs (deferred if inside a callback). */
void session_close(struct session *s, const char *reason);

#endif
