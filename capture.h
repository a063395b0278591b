/*
 * capture.h: hub capture, a virtual hub's traffic as a pcap stream: the
 * pcap codec, a monitor of the switching engine that makes every frame
 * the hub forwards a record for a sink that never blocks, and the control
 * socket's streaming command that carries it to softether --admin.
 */
#ifndef SOFTETHER_CAPTURE_H
#define SOFTETHER_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "switch.h"

/* Classic pcap (libpcap's savefile format), written little-endian;
 * readers take either byte order from the magic. */
#define CAPTURE_PCAP_HDR      24u          /* the global header */
#define CAPTURE_PCAP_REC      16u          /* each record's header */
#define CAPTURE_PCAP_MAGIC    0xa1b2c3d4u  /* microsecond timestamps */
#define CAPTURE_PCAP_MAJOR    2u
#define CAPTURE_PCAP_MINOR    4u
#define CAPTURE_LINKTYPE_ETH  1u           /* LINKTYPE_ETHERNET */
#define CAPTURE_SNAPLEN       262144u      /* tcpdump's: nothing is cut */

#define CAPTURE_QUEUE_MAX     (4u * 1024u * 1024u) /* bytes waiting for
                                  one reader; past it, frames are dropped */
#define CAPTURE_MAX_PER_HUB   4u

/* The global header: magic, version 2.4, UTC, snaplen, Ethernet. */
void capture_pcap_header(uint8_t out[CAPTURE_PCAP_HDR], uint32_t snaplen);
/* One record's header: when, bytes kept, bytes the frame had. */
void capture_pcap_record(uint8_t out[CAPTURE_PCAP_REC], uint64_t ts_us,
    uint32_t caplen, uint32_t origlen);

/* Where records go: n parts of one record. 0 taken, -1 no room now (the
 * record is dropped and counted). It must not block. */
typedef int capture_sink_fn(void *arg, const void *const *p,
    const size_t *len, int n);
/* The frame limit was reached; called once, from inside sw_forward: it
 * may only schedule what is to follow. */
typedef void capture_done_fn(void *arg);

/*
 * One capture: a monitor on one engine (not a port: see sw_monitor_add).
 * A super-frame is written as the segments it stands for (vnet_undo:
 * what a card without offload gets, checksums complete), so every record
 * is a frame as it would be on a wire; frames the engine drops are not
 * written.
 */
struct capture {
	struct sw_port mon;          /* on the engine while attached */
	capture_sink_fn *sink;
	capture_done_fn *done;
	void *arg;                   /* the sink's and done's */
	uint64_t (*clock_us)(void);  /* Unix time in microseconds */
	uint32_t snaplen;
	uint64_t limit;              /* frames to write; 0: no limit */
	uint64_t frames, bytes;      /* written */
	uint64_t dropped;            /* refused by the sink */
	uint64_t ts_us;              /* the frame being written */
	int full;                    /* limit reached: no more */
};

void capture_init(struct capture *c, uint32_t snaplen, uint64_t limit,
    capture_sink_fn *sink, capture_done_fn *done, void *arg);
void capture_attach(struct capture *c, struct sw *h);
/* Off the engine (if on it): no frame reaches it after this. */
void capture_detach(struct capture *c);

struct control_client;
struct evbuffer;
struct srv_hub;

/* The hub's control socket's streaming command (a control_stream_fn):
 * hub capture HUB [--count N] [--seconds S]. 0 if line is another
 * command, 1 started, -1 refused (why in out). */
int capture_control(void *srv, const char *line, size_t len, int json,
    struct control_client *cl, struct evbuffer *out);
/* The hub is going: its captures end, each client told why. */
void capture_forget_hub(struct srv_hub *hub);

#endif
