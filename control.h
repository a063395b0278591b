/*
 * control.h: a local control socket, where softether --admin with no
 * address sends its commands: the hub's (control.sock), and each card's
 * (nic-IFNAME.sock, softether --admin --nic). Who answers is a callback.
 */
#ifndef SOFTETHER_CONTROL_H
#define SOFTETHER_CONTROL_H

#include <stddef.h>

struct control;
struct event_base;
struct evbuffer;
struct srv;

#define CONTROL_SOCKET_NAME "control.sock"
#define CONTROL_DEFAULT_RUN "/run/softether"
#define CONTROL_NETNS_MAX   32u   /* a namespace's name in a socket's */

/* One request line (without "T "/"J "): the answer into out, as text or
 * one JSON document. 0 done, -1 refused (the reason is in out). */
typedef int control_exec_fn(void *arg, const char *line, size_t len,
    int json, struct evbuffer *out);

/* Listen at path (mode 0600; its directory made if missing, one level),
 * answering with exec(arg, ...) on base. NULL if it cannot: errno
 * EADDRINUSE, not logged, if a live process answers there already; else
 * warned (the caller runs on without local administration). */
struct control *control_open(struct event_base *base, const char *path,
    control_exec_fn *exec, void *arg);
/* The hub's: control_open with its administration commands (admin.c);
 * one answering at path already is warned of. */
struct control *control_new(struct srv *srv, const char *path);
/* Closes every client and removes the socket. */
void control_free(struct control *ctl);

/*
 * Streaming replies (admincmd.h has the framing): a command answered with
 * a stream of bytes until it ends, rather than one reply. The client
 * connection is the stream's handle.
 */
struct control_client;

/* What a stream's producer is told; both come from the loop, never from
 * inside a control_stream_* call. */
struct control_stream_cbs {
	/* The client asked to stop (it shut down its side or wrote): end
	 * the stream with control_stream_end, from the loop (not in here). */
	void (*stop)(void *arg);
	/* The client is gone (closed, broken, the socket closing): the
	 * handle is dead; the producer forgets it and ends nothing. */
	void (*gone)(void *arg);
};

/* A command the owner answers with a stream: 0 not one (exec answers the
 * line), 1 started (control_stream_begin called), -1 refused (the reason
 * in out, sent as an ERR). */
typedef int control_stream_fn(void *arg, const char *line, size_t len,
    int json, struct control_client *cl, struct evbuffer *out);
/* Offer each line to fn before exec (ctl's arg is its arg). */
void control_set_stream(struct control *ctl, control_stream_fn *fn);

/* In fn: the stream starts on cl: "STREAM" with text (for the client's
 * standard error; may be ""), the client's read timeout lifted. */
void control_stream_begin(struct control_client *cl,
    const struct control_stream_cbs *cbs, void *arg, const char *text);
/* One piece of the stream (n parts, sent as one DATA), unless more than
 * max bytes would then wait to be written: -1, nothing queued (the
 * producer drops and counts). 0 queued. Never writes or frees here. */
int control_stream_write(struct control_client *cl, const void *const *p,
    const size_t *len, int n, size_t max);
/* The stream's last reply (OK or ERR with text); the connection closes
 * once it is written. cl is no longer the producer's, nor are its
 * callbacks called after this. */
void control_stream_end(struct control_client *cl, int ok, const char *text);

/* s as a JSON string for an answer: quotes, backslashes, control bytes
 * and every byte past ASCII escaped (\u00XX), so that any bytes a peer
 * chose give valid JSON. */
void control_json_str(struct evbuffer *out, const char *s);

/* Where the control socket of a hub with this state directory lives:
 * run_dir if given; else CONTROL_DEFAULT_RUN for the default state
 * directory, the state directory itself for any other. */
void control_path(char *out, size_t len, const char *run_dir,
    const char *state_dir);

/* A card's socket in run_dir (NULL: CONTROL_DEFAULT_RUN): nic-IFNAME.sock,
 * or nic-IFNAME@NETNS.sock with a netns tag (control_netns), so that cards
 * in different network namespaces may use the same interface name. */
void control_nic_path(char *out, size_t len, const char *run_dir,
    const char *ifname, const char *netns);
/* The other cards' sockets in path's directory that no process answers
 * (left by cards killed, or that had given up root and could not remove
 * theirs), removed. */
void control_nic_sweep(const char *path);
/* This process's network namespace as a socket name's tag: its ip-netns
 * name if it has a plain one; else "" for init's (or if that cannot be
 * told), "net" and its inode number for another. */
void control_netns(char *out, size_t len);

#endif
