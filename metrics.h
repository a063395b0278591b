/*
 * metrics.h: the hub's Prometheus endpoint (metrics.listen): GET /metrics
 * over evhttp, a snapshot of the running hub's counters, and its rendering
 * in the text exposition format as a pure function.
 */
#ifndef SOFTETHER_METRICS_H
#define SOFTETHER_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "dhcpsrv.h"
#include "switch.h"

struct evbuffer;
struct metrics;
struct srv;

#define METRICS_PATH          "/metrics"
#define METRICS_CONTENT_TYPE  "text/plain; version=0.0.4; charset=utf-8"
/* A scraper sends a request line and a few headers, never a body. */
#define METRICS_MAX_HEADERS   4096
#define METRICS_MAX_BODY      64
/* Idle, slow or stuck connections are dropped after this long. */
#define METRICS_TIMEOUT_S     10
/* Out of descriptors, accepting pauses this long. */
#define METRICS_EMFILE_PAUSE_MS 1000u

/* One virtual hub as a scrape sees it. */
struct metrics_hub {
	const char *name;             /* any bytes: escaped when rendered */
	int online;
	uint32_t sessions_up, sessions_cut;
	uint64_t sessions_ended;
	/* Sessions' frames and bytes as the hub sees them: in from the
	 * cards, out to them; ended sessions included. */
	uint64_t in_frames, in_bytes, out_frames, out_bytes;
	uint64_t resumes;
	uint64_t logins_ok, logins_failed;
	uint64_t logins_ticket;       /* of logins_ok: by re-login ticket */
	uint64_t logins_key;          /* of logins_ok: by a key's signature */
	uint64_t tickets_refused;
	uint64_t drops[SW_DROP_NREASONS];
	uint32_t macs, ip4s, ip6s;
	/* Its DHCP service, if it runs (dhcp set). */
	int dhcp;
	uint32_t dhcp_leases;         /* bound now */
	uint64_t dhcp_queue_drops;    /* answers the port's queue refused */
	struct dhcpsrv_stats dhcp_st;
};

/* The whole hub at one instant. */
struct metrics_snap {
	const char *version;
	double start_time_s;          /* Unix time the hub started */
	uint64_t queue_used, queue_limit; /* session_pool, bytes */
	uint64_t queues_shed;         /* cut sessions' queues given up */
	uint64_t tls_resumed;         /* handshakes resumed from a ticket */
	struct metrics_hub *hubs;
	size_t nhubs;
};

/* The text exposition format (version 0.0.4) of s into out. */
void metrics_render(struct evbuffer *out, const struct metrics_snap *s);
/* A label value as the format wants it: backslash, double quote and
 * newline escaped. */
void metrics_label_value(struct evbuffer *out, const char *v);

/* A snapshot of the running hub (free with metrics_snap_free). 0, or -1
 * if out of memory. */
int metrics_snap_take(struct srv *srv, struct metrics_snap *s);
void metrics_snap_free(struct metrics_snap *s);

/* At start, before the hub gives up root: serve metrics.listen if it is
 * set. 0, or -1 (logged) if it cannot be opened. */
int metrics_start(struct srv *srv);
/* After a reload: a changed metrics.listen is bound anew (the old address
 * serves on if the new one cannot be had: a port below 1024 then takes a
 * restart); a removed one closes. Logged either way. */
void metrics_sync(struct srv *srv);
/* Sockets paused by an accept error (out of descriptors) listen again;
 * the hub's periodic timer calls it. m may be NULL. */
void metrics_tick(struct metrics *m);
/* What the endpoint listens on ("" when closed), for tests and logs. */
const char *metrics_listening(const struct metrics *m);
void metrics_free(struct metrics *m);

#endif
