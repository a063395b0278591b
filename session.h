/*
 * session.h: the logical session, which outlives any one connection. It
 * numbers the frames of each direction, batches them into records, keeps
 * what the peer has not acknowledged (within a byte budget), and when a new
 * connection resumes it, retransmits exactly the gap: in order, no
 * duplicates delivered, nothing lost that the budget kept. It owns the
 * connection it is attached to, and decides, when that connection ends,
 * whether the session is kept for a resume (the window) or is over.
 */
#ifndef SOFTETHER_SESSION_H
#define SOFTETHER_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "proto.h"

struct conn;
struct event_base;
struct vnet_meta;
struct event;

struct session_batch {
	TAILQ_ENTRY(session_batch) entry;
	uint64_t first_seq;
	uint32_t nframes;
	uint32_t len;          /* bytes of data used: room for an ACK item, a
	                          SEQ item, then frames */
	uint32_t cap;
	uint8_t data[];
};
TAILQ_HEAD(session_batch_list, session_batch);

struct session_stats {
	uint64_t tx_frames, tx_bytes, rx_frames, rx_bytes;
	uint64_t tx_dropped;     /* refused: the connection was congested */
	uint64_t budget_dropped; /* unacknowledged, dropped by the byte budget */
	uint64_t rx_lost;        /* the peer could not retransmit them (gap) */
	uint64_t rx_dup;         /* duplicates skipped after a resume */
	uint64_t retransmitted;  /* frames sent again on a resume */
	uint32_t resumes;
};

/* What the role (hub side, card side) hears from its session. Only
 * deliver is required. */
struct session_cbs {
	/* A frame from the peer, in order and once; now_ms: when the record
	 * carrying it arrived. vm: its offload metadata as the peer sent it
	 * (unchecked: vnet_check), or NULL for an ordinary frame. */
	void (*deliver)(void *arg, const struct vnet_meta *vm,
	    const uint8_t *f, size_t len, uint64_t now_ms);
	/* The frames of one read were all delivered (NULL: nothing to do):
	 * a role that holds some back to coalesce them lets them go. */
	void (*rx_done)(void *arg);
	/* The connection drained: the role may read its source again. */
	void (*writable)(void *arg);
	/* The connection is gone. kept: the session waits for a resume for
	 * window_ms; else ended() follows at once. */
	void (*link_down)(void *arg, const char *reason, int kept);
	/* The session is over for good: a goodbye either way, no resume
	 * allowed, or the resume window passed. The role may free it. */
	void (*ended)(void *arg, const char *reason);
};

/*
 * Memory the sessions of a process share (the hub's queue budget). Over
 * the limit, sessions kept for a resume give up their queues first, the
 * longest cut first; only then does a live session trim its own oldest
 * frames. Live sessions are never starved by cut ones.
 */
struct session;
TAILQ_HEAD(session_list, session);
struct session_pool {
	size_t used, limit;         /* limit 0: none beyond each budget */
	struct session_list cut;    /* kept for a resume, longest cut first */
	uint64_t shed_sessions;     /* queues given up to the limit */
	uint64_t shed_frames;
	uint64_t logged_ms;         /* the last summary line, and what it had */
	uint64_t logged_sessions, logged_frames;
};
void session_pool_init(struct session_pool *p, size_t limit);

struct session {
	struct event_base *base;
	struct session_pool *pool;  /* NULL: only its own budget */
	TAILQ_ENTRY(session) cut_entry; /* in pool->cut while cut */
	int in_cut;
	struct conn *conn;          /* the connection carrying it, or NULL */
	const struct session_cbs *cbs;
	void *arg;
	char name[48];              /* for logs: "vpn0", "session 12" */
	uint32_t window_ms;         /* keep a cut session this long; 0: never */
	uint32_t stall_ms;          /* 0: no stall detection */
	uint64_t cut_ms;            /* when its connection was lost, or 0 */
	uint64_t rx_now_ms;         /* arrival time of the record being read */
	struct event *window_ev;
	uint64_t tx_next;           /* seq the next queued frame gets */
	uint64_t tx_acked;          /* last seq the peer acknowledged */
	uint64_t tx_sent_max;       /* highest seq ever handed to a conn */
	uint64_t rx_last;           /* last seq received in order */
	uint64_t ack_sent;          /* rx_last as last told to the peer */
	uint64_t rx_cur;            /* seq of the next frame item read */
	struct session_batch *open; /* being filled */
	struct session_batch_list q;/* closed batches, oldest first */
	struct session_batch *unsent; /* first of q not yet sent on conn */
	size_t q_bytes, budget;     /* q_bytes: memory the queue holds */
	uint64_t progress_ms;       /* last ack progress, or when the queue of
	                               unacknowledged frames became non-empty */
	struct event *flush_ev, *ack_ev;
	int flush_pending;
	struct session_stats st;
};

#define SESSION_ACK_FRAMES   128u   /* ack at once after this many frames */
#define SESSION_POOL_LOG_MS  5000u  /* a shedding pool says so this often */
#define SESSION_ACK_MS       200u   /* else at most this late */

/* seq a is after seq b (wrap-safe). */
static inline int
session_seq_after(uint64_t a, uint64_t b)
{
	return (int64_t)(a - b) > 0;
}

/* A cut connection that carries nothing while frames wait this long, with
 * nothing heard from the peer either, is stuck (TCP backing off after an
 * outage): the card resumes on a fresh one rather than wait for it. */
#define SESSION_STALL_MS     3000u

/* first_seq is the number the first frame will carry (1 normally; tests
 * start near the wrap). window_ms, stall_ms and name may be set after.
 * Returns 0 or -1. */
int session_init(struct session *s, struct event_base *base, size_t budget,
    uint64_t first_seq, const struct session_cbs *cbs, void *arg);
/* Releases everything; a connection still attached is closed without a
 * word to the role. */
void session_free(struct session *s);

/* A connection is up for this session (its data channel started); the
 * peer has received everything up to peer_rx_last. The session takes the
 * connection over (its callbacks), replacing any it still had, and sends
 * everything after peer_rx_last (again). */
void session_attach(struct session *s, struct conn *c, uint64_t peer_rx_last);
/* Share p's memory from now on (before any frame is queued). */
void session_set_pool(struct session *s, struct session_pool *p);
/* Detached and kept for a resume: the window starts, and the pool counts
 * it among the cut (what it queues is the first to go). */
void session_cut(struct session *s);
/* The connection is gone; frames keep queueing within the budget. */
void session_detach(struct session *s);
/* End the session on purpose: a goodbye on its connection (ended() follows
 * once it closes), or, while cut, ended() at once. */
void session_close(struct session *s, uint16_t code, const char *text);

/* Queue one frame. -1 if refused because the connection is congested. */
int session_send_frame(struct session *s, const uint8_t *f, size_t len);
/* The same with offload metadata (vm not NULL: an offload item, for a
 * peer that negotiated PROTO_CAP_OFFLOAD; f up to PROTO_OFFLOAD_MAX_FRAME
 * bytes). */
int session_send(struct session *s, const struct vnet_meta *vm,
    const uint8_t *f, size_t len);
/* Where the next frame may be read straight into, so that session_send
 * need not copy it: *room bytes at the place an offload item's frame goes
 * in the open batch (opened if there is none); a plain frame put there is
 * moved back by the offload header, which costs little at its size. NULL
 * (and *room 0) when there is no such room. Good until the next call that
 * queues or sends; session_send(s, vm, p, len) with len <= *room then
 * queues the frame where it is (or drops it), never flushing first. */
uint8_t *session_space(struct session *s, size_t *room);
/* 1 if p points into the open batch (the room session_space gave). */
int session_space_holds(const struct session *s, const uint8_t *p);
/* Close the open batch and send what can be sent. */
void session_flush(struct session *s);
/* Send queued batches while the connection takes them (call when it
 * drains). */
void session_pump(struct session *s);
/* A data item from the connection: FRAME, ACK or SEQ (the connection
 * callbacks call these two; tests feed them directly). */
void session_item(struct session *s, const struct proto_item *item);
/* The connection delivered one read's worth: acknowledge if due. */
void session_rx_done(struct session *s);

/* Frames queued and not yet acknowledged by the peer. */
uint64_t session_unacked(const struct session *s);
/* Milliseconds the peer has acknowledged nothing while frames wait for it
 * (0 if nothing waits): a connection that is up but carries nothing. */
uint64_t session_stalled_ms(const struct session *s, uint64_t now_ms);

#endif
