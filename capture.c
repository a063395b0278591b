/*
 * capture.c: hub capture. The pcap codec; the monitor kind of port that
 * turns what a virtual hub forwards into pcap records for a sink that
 * never blocks; and the control socket's hub capture command, which runs
 * one such monitor per client with a bounded queue, a frame count and a
 * time limit, and ends it when the client stops or goes away.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "admin.h"
#include "capture.h"
#include "clock.h"
#include "control.h"
#include "log.h"
#include "srv.h"
#include "vnet.h"

#define CAPTURE_US_PER_S  1000000u

/* ---- pcap ---------------------------------------------------------------- */

static void
capture_le32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

void
capture_pcap_header(uint8_t out[CAPTURE_PCAP_HDR], uint32_t snaplen)
{
	capture_le32_put(out, CAPTURE_PCAP_MAGIC);
	out[4] = CAPTURE_PCAP_MAJOR;
	out[5] = 0;
	out[6] = CAPTURE_PCAP_MINOR;
	out[7] = 0;
	capture_le32_put(out + 8, 0);       /* thiszone: UTC */
	capture_le32_put(out + 12, 0);      /* sigfigs */
	capture_le32_put(out + 16, snaplen);
	capture_le32_put(out + 20, CAPTURE_LINKTYPE_ETH);
}

void
capture_pcap_record(uint8_t out[CAPTURE_PCAP_REC], uint64_t ts_us,
    uint32_t caplen, uint32_t origlen)
{
	capture_le32_put(out, (uint32_t)(ts_us / CAPTURE_US_PER_S));
	capture_le32_put(out + 4, (uint32_t)(ts_us % CAPTURE_US_PER_S));
	capture_le32_put(out + 8, caplen);
	capture_le32_put(out + 12, origlen);
}

/* ---- The monitor --------------------------------------------------------- */

static uint64_t
capture_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * CAPTURE_US_PER_S +
	    (uint64_t)ts.tv_nsec / 1000u;
}

/* One wire frame into the sink: 0, or 1 once the limit is reached (no
 * more segments needed). */
static int
capture_frame(void *arg, const uint8_t *f, size_t len)
{
	struct capture *c = arg;
	uint8_t rec[CAPTURE_PCAP_REC];
	size_t caplen = len < c->snaplen ? len : c->snaplen;
	const void *p[2] = { rec, f };
	size_t l[2] = { sizeof rec, caplen };

	if (c->full)
		return 1;
	capture_pcap_record(rec, c->ts_us, (uint32_t)caplen, (uint32_t)len);
	if (c->sink(c->arg, p, l, 2) != 0) {
		c->dropped++;
		return 0;
	}
	c->frames++;
	c->bytes += len;
	if (c->limit != 0 && c->frames >= c->limit) {
		c->full = 1;
		if (c->done != NULL)
			c->done(c->arg);
		return 1;
	}
	return 0;
}

/* A frame the engine forwarded; a super-frame as its segments. */
static void
capture_output(struct sw_port *p, const struct vnet_meta *vm,
    const uint8_t *f, size_t len)
{
	static uint8_t scratch[VNET_FRAME_MAX];	/* one loop per process */
	struct capture *c = p->owner;

	if (c->full)
		return;
	c->ts_us = c->clock_us();
	/* The engine checked the metadata: VNET_BAD is not expected, but
	 * would leave the frame as it came. */
	if (vm == NULL || vnet_undo(vm, f, len, scratch, capture_frame, c) ==
	    VNET_BAD)
		capture_frame(c, f, len);
}

static const struct sw_port_ops capture_port_ops = {
	.kind = "capture",
	.output = capture_output,
};

void
capture_init(struct capture *c, uint32_t snaplen, uint64_t limit,
    capture_sink_fn *sink, capture_done_fn *done, void *arg)
{
	memset(c, 0, sizeof *c);
	c->sink = sink;
	c->done = done;
	c->arg = arg;
	c->clock_us = capture_now_us;
	c->snaplen = snaplen != 0 ? snaplen : CAPTURE_SNAPLEN;
	c->limit = limit;
}

void
capture_attach(struct capture *c, struct sw *h)
{
	sw_monitor_add(h, &c->mon, &capture_port_ops, c);
	snprintf(c->mon.name, sizeof c->mon.name, "capture");
}

void
capture_detach(struct capture *c)
{
	if (c->mon.hub != NULL)
		sw_monitor_remove(c->mon.hub, &c->mon);
}

/* ---- hub capture on the control socket ------------------------------------ */

/* How a capture ends: the JSON summary's "ended", then the words. */
enum capture_end {
	CAPTURE_RUNNING = 0,
	CAPTURE_END_COUNT,      /* --count frames written */
	CAPTURE_END_SECONDS,    /* --seconds passed */
	CAPTURE_END_STOPPED,    /* the client asked */
	CAPTURE_END_REMOVED,    /* the hub is going */
	CAPTURE_END_GONE,       /* the client went away: nobody to tell */
};
static const char *const capture_end_names[][2] = {
	[CAPTURE_RUNNING] = { "running", "running" },
	[CAPTURE_END_COUNT] = { "count", "the count was reached" },
	[CAPTURE_END_SECONDS] = { "seconds", "the time was up" },
	[CAPTURE_END_STOPPED] = { "stopped", "stopped by the client" },
	[CAPTURE_END_REMOVED] = { "removed", "the hub was removed" },
	[CAPTURE_END_GONE] = { "gone", "the client went away" },
};

/* One client's capture of one virtual hub. */
struct capture_run {
	struct capture cap;
	struct srv_hub *hub;
	struct control_client *cl;
	struct event *end_ev;       /* ends it from the loop */
	struct event *timer_ev;     /* --seconds */
	enum capture_end why;       /* once it is ending */
	int json;
	uint64_t started_ms;
};

static void
capture_run_free(struct capture_run *run)
{
	capture_detach(&run->cap);
	if (run->end_ev != NULL)
		event_free(run->end_ev);
	if (run->timer_ev != NULL)
		event_free(run->timer_ev);
	free(run);
}

static void
capture_run_log(const struct capture_run *run, enum capture_end why)
{
	log_info("capture on hub %s ended (%s): %" PRIu64 " frames, %" PRIu64
	    " bytes in %.1f s; dropped while the reader was behind: %" PRIu64,
	    run->hub->engine.name, capture_end_names[why][1],
	    run->cap.frames, run->cap.bytes,
	    (double)(clock_now_ms() - run->started_ms) / 1e3,
	    run->cap.dropped);
}

/* The last reply, the connection closed once it is written. ok: an end
 * asked for (count, time, the client); else the hub's doing. */
static void
capture_run_end(struct capture_run *run, enum capture_end why)
{
	int ok = why != CAPTURE_END_REMOVED;
	const struct capture *c = &run->cap;
	double secs = (double)(clock_now_ms() - run->started_ms) / 1e3;
	char text[512];

	capture_detach(&run->cap);
	capture_run_log(run, why);
	/* Hub names are [A-Za-z0-9._-]: nothing to escape. */
	if (run->json)
		snprintf(text, sizeof text, "{\"ok\":%s,%s\"hub\":\"%s\","
		    "\"ended\":\"%s\",\"frames\":%" PRIu64 ",\"bytes\":%" PRIu64
		    ",\"dropped\":%" PRIu64 ",\"seconds\":%.1f}\n",
		    ok ? "true" : "false", ok ? "" :
		    "\"error\":\"the hub was removed\",",
		    run->hub->engine.name, capture_end_names[why][0],
		    c->frames, c->bytes, c->dropped, secs);
	else
		snprintf(text, sizeof text, "hub %s: %" PRIu64 " frames (%"
		    PRIu64 " bytes) captured in %.1f s; %s; dropped while the "
		    "reader was behind: %" PRIu64 "\n", run->hub->engine.name,
		    c->frames, c->bytes, secs, capture_end_names[why][1],
		    c->dropped);
	/* Its callbacks are not called after this: the run goes here. */
	control_stream_end(run->cl, ok, text);
	capture_run_free(run);
}

static void
capture_run_end_cb(evutil_socket_t fd, short what, void *arg)
{
	struct capture_run *run = arg;

	capture_run_end(run, run->why);
}

/* Inside sw_forward: only schedule. */
static void
capture_run_done(void *arg)
{
	struct capture_run *run = arg;

	run->why = CAPTURE_END_COUNT;
	event_active(run->end_ev, EV_TIMEOUT, 0);
}

static void
capture_run_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct capture_run *run = arg;

	if (run->why == CAPTURE_RUNNING) {
		run->why = CAPTURE_END_SECONDS;
		event_active(run->end_ev, EV_TIMEOUT, 0);
	}
}

static int
capture_run_sink(void *arg, const void *const *p, const size_t *len, int n)
{
	struct capture_run *run = arg;

	return control_stream_write(run->cl, p, len, n, CAPTURE_QUEUE_MAX);
}

/* The client asked to stop: the last reply from the loop, this turn. */
static void
capture_run_stop(void *arg)
{
	struct capture_run *run = arg;

	if (run->why == CAPTURE_RUNNING)
		run->why = CAPTURE_END_STOPPED;
	event_active(run->end_ev, EV_TIMEOUT, 0);
}

/* The client is gone: nobody to tell. */
static void
capture_run_gone(void *arg)
{
	struct capture_run *run = arg;

	capture_run_log(run, CAPTURE_END_GONE);
	capture_run_free(run);
}

static const struct control_stream_cbs capture_run_cbs = {
	.stop = capture_run_stop,
	.gone = capture_run_gone,
};

static int
capture_start(struct srv *srv, const struct admincmd_capture *o, int json,
    struct control_client *cl, struct evbuffer *out)
{
	struct srv_hub *hub = srv_find_hub(srv, o->hub);
	struct capture_run *run;
	uint8_t gh[CAPTURE_PCAP_HDR];
	const void *p[1] = { gh };
	size_t l[1] = { sizeof gh };
	char text[256] = "";

	if (hub == NULL || hub->cfg == NULL)
		return admin_fail(out, json, "no hub named '%s'", o->hub);
	if (o->file != NULL)
		return admin_fail(out, json, "hub capture: the hub writes no "
		    "files; softether --admin writes FILE itself");
	if (hub->engine.nmonitors >= CAPTURE_MAX_PER_HUB)
		return admin_fail(out, json, "hub %s has %u captures running "
		    "already (at most %u); end one first", hub->engine.name,
		    hub->engine.nmonitors, CAPTURE_MAX_PER_HUB);
	if ((run = calloc(1, sizeof *run)) == NULL)
		return admin_fail(out, json, "out of memory");
	run->hub = hub;
	run->cl = cl;
	run->json = json;
	run->started_ms = clock_now_ms();
	capture_init(&run->cap, CAPTURE_SNAPLEN, o->count, capture_run_sink,
	    capture_run_done, run);
	run->end_ev = event_new(srv->base, -1, 0, capture_run_end_cb, run);
	if (o->seconds != 0)
		run->timer_ev = evtimer_new(srv->base, capture_run_timer_cb,
		    run);
	if (run->end_ev == NULL || (o->seconds != 0 && run->timer_ev ==
	    NULL)) {
		capture_run_free(run);
		return admin_fail(out, json, "out of memory");
	}
	if (o->seconds != 0) {
		struct timeval tv = { (time_t)o->seconds, 0 };
		evtimer_add(run->timer_ev, &tv);
	}
	if (!json)
		snprintf(text, sizeof text, "capturing on hub %s, link-type "
		    "EN10MB (Ethernet), snapshot length %u bytes\n",
		    hub->engine.name, CAPTURE_SNAPLEN);
	control_stream_begin(cl, &capture_run_cbs, run, text);
	capture_pcap_header(gh, CAPTURE_SNAPLEN);
	control_stream_write(cl, p, l, 1, SIZE_MAX);
	capture_attach(&run->cap, &hub->engine);
	log_info("capture on hub %s started (control socket; count %" PRIu64
	    ", seconds %u)", hub->engine.name, o->count, o->seconds);
	return 1;
}

int
capture_control(void *arg, const char *line, size_t len, int json,
    struct control_client *cl, struct evbuffer *out)
{
	struct admincmd_line *l = malloc(sizeof *l);
	struct admincmd_capture o;
	char err[256];
	int rc = 0;

	if (l == NULL)
		return admin_fail(out, json, "out of memory");
	if (admincmd_parse(line, len, l, err, sizeof err) == 0 &&
	    l->cmd != NULL && l->cmd->id == ADMINCMD_HUB_CAPTURE)
		rc = admincmd_capture_parse(l, &o, err, sizeof err) != 0 ?
		    admin_fail(out, json, "%s", err) :
		    capture_start(arg, &o, json, cl, out);
	free(l);
	return rc;
}

void
capture_forget_hub(struct srv_hub *hub)
{
	struct sw_port *p;

	while ((p = TAILQ_FIRST(&hub->engine.monitors)) != NULL) {
		struct capture *c = p->owner;
		if (p->ops != &capture_port_ops) {
			sw_monitor_remove(&hub->engine, p);
			continue;
		}
		capture_run_end(c->arg, CAPTURE_END_REMOVED);
	}
}
