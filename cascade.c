/*
 * cascade.c: a virtual hub here plugged into a virtual hub of another
 * server (port kind cascade). The link is a card of this process (nic.c:
 * login, trust, transports, resume, reconnecting until stopped) whose
 * device is the port itself: what the card receives goes straight into
 * the switching engine under the cascade's policy, and what the engine
 * sends to the port waits in a queue that the card reads as it would a
 * TAP (an eventfd says when). A reload keeps a cascade whose link keys
 * print the same.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "clock.h"
#include "log.h"
#include "srv.h"

/* Frames for the other hub waiting for the card: what a TAP's queue of
 * 1000 full frames holds, and room for a cut's worth beyond the card's
 * own resume budget. A full queue drops, as a TAP's does. */
#define CASCADE_QUEUE_MAX (4u << 20)

/* ---- the card's device ------------------------------------------------- */

/* Before each frame in the queue. */
struct cascade_qhdr {
	uint32_t len;
	uint32_t has_vm;            /* vm holds the frame's offload metadata */
	struct vnet_meta vm;
};

/* The cascade whose card is opening its device (nic_new, below). */
static struct cascade *cascade_opening;

static void
cascade_kick(struct dev *d)
{
	uint64_t one = 1;

	if (write(d->fd, &one, sizeof one) < 0 && errno != EAGAIN)
		log_warn("%s: eventfd: %s", d->name, strerror(errno));
}

static int
cascade_dev_open(struct dev *d, const uint8_t mac[ETHER_ADDR_LEN], char *err,
    size_t errlen)
{
	(void)mac;
	if ((d->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: eventfd: %s", d->name,
		    strerror(errno));
		return -1;
	}
	d->priv = cascade_opening;
	d->carrier = 0;
	/* Super-frames both ways, as a TAP with every offload on. */
	d->offload = !d->no_offload;
	return 0;
}

/* The engine's frames for the other hub, in order, with their offload
 * metadata. */
static int
cascade_dev_read(struct dev *d, dev_frame_fn *fn, void *arg, unsigned max)
{
	struct cascade *k = d->priv;
	struct cascade_qhdr h;
	uint64_t v;
	int n = 0;

	if (read(d->fd, &v, sizeof v) < 0 && errno != EAGAIN)
		return -1;
	while ((unsigned)n < max && evbuffer_get_length(k->q) >= sizeof h) {
		evbuffer_remove(k->q, &h, sizeof h);
		evbuffer_remove(k->q, d->buf, h.len);
		k->qbytes -= h.len;
		n++;
		if (fn(arg, h.has_vm ? &h.vm : NULL, d->buf, h.len) != 0)
			break;
	}
	if (evbuffer_get_length(k->q) > 0)
		cascade_kick(d);	/* the rest on the next wakeup */
	return n;
}

/* A frame from the other hub: switched here at once. */
static int
cascade_dev_write(struct dev *d, const struct vnet_meta *vm,
    const uint8_t *f, size_t len)
{
	struct cascade *k = d->priv;

	if (k->hub == NULL)
		return -1;	/* leaving: the port is gone */
	k->in_frames++;
	k->in_bytes += len;
	sw_forward(&k->hub->engine, &k->port, vm, f, len, clock_now_ms());
	return 0;
}

static void
cascade_dev_close(struct dev *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	d->priv = NULL;
}

static const struct dev_ops cascade_dev = {
	.kind = "cascade",
	.open = cascade_dev_open,
	.read_batch = cascade_dev_read,
	.write = cascade_dev_write,
	.set_carrier = dev_carrier_noop,
	.close = cascade_dev_close,
};

/* ---- the hub's port ----------------------------------------------------- */

static int
cascade_queue_vm(struct cascade *k, const struct vnet_meta *vm,
    const uint8_t *f, size_t len)
{
	struct cascade_qhdr h = { .len = (uint32_t)len, .has_vm = vm != NULL };
	int was_empty = evbuffer_get_length(k->q) == 0;

	if (vm != NULL)
		h.vm = *vm;
	if (k->dev == NULL || k->qbytes + len > CASCADE_QUEUE_MAX ||
	    evbuffer_expand(k->q, sizeof h + len) != 0) {
		k->out_dropped++;
		return 0;
	}
	/* Room made: neither add fails. */
	evbuffer_add(k->q, &h, sizeof h);
	evbuffer_add(k->q, f, len);
	k->qbytes += len;
	k->out_frames++;
	k->out_bytes += len;
	if (was_empty)
		cascade_kick(k->dev);
	return 0;
}

static int
cascade_queue(void *arg, const uint8_t *f, size_t len)
{
	return cascade_queue_vm(arg, NULL, f, len);
}

/* A super-frame goes whole to a card whose device takes it (the card
 * cuts it if the other hub does not); else it is cut here. */
static void
cascade_output(struct sw_port *p, const struct vnet_meta *vm,
    const uint8_t *f, size_t len)
{
	static uint8_t scratch[VNET_FRAME_MAX];	/* one loop per process */
	struct cascade *k = p->owner;

	if (vm == NULL || (k->dev != NULL && k->dev->offload))
		cascade_queue_vm(k, vm, f, len);
	else
		vnet_undo(vm, f, len, scratch, cascade_queue, k);
}

static const struct sw_port_ops cascade_port_ops = {
	.kind = "cascade",
	.output = cascade_output,
};

/* ---- life --------------------------------------------------------------- */

static void
cascade_release(struct cascade *k)
{
	if (k->free_ev != NULL)
		event_free(k->free_ev);
	nic_free(k->nic);
	if (k->q != NULL)
		evbuffer_free(k->q);
	nicconf_free(&k->link);
	free(k->link_text);
	free(k);
}

static void
cascade_free_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cascade *k = arg;

	struct srv *srv = k->srv;

	TAILQ_REMOVE(&srv->leaving, k, entry);
	cascade_release(k);
	srv_maybe_exit(srv);
}

/* The card stopped for good: refused (credentials, certificate) while
 * running, or done saying goodbye while leaving. Freed outside its call. */
static void
cascade_done(void *arg, int code)
{
	struct cascade *k = arg;
	struct timeval now = { 0, 0 };

	k->exit_code = code;
	if (k->hub != NULL) {
		k->stopped = 1;
		log_err("cascade %s: stopped trying (%s); mend its link: keys "
		    "and reload", k->name, code == 2 ? "refused by the other "
		    "hub, or its certificate not trusted" : "an error");
		return;
	}
	event_add(k->free_ev, &now);
}

/* Out of its hub now; the card says goodbye, then it is freed. */
static void
cascade_leave(struct srv *srv, struct cascade *k, const char *why)
{
	uint32_t forgot = sw_port_remove(&k->hub->engine, &k->port);

	log_info("cascade %s left hub %s (%s): in=%llufr out=%llufr "
	    "dropped=%llu macs_forgotten=%u", k->name, k->hub->engine.name, why,
	    (unsigned long long)k->in_frames,
	    (unsigned long long)k->out_frames,
	    (unsigned long long)k->out_dropped, forgot);
	TAILQ_REMOVE(&srv->cascades, k, entry);
	k->hub = NULL;
	if (k->stopped) {
		cascade_release(k);
		return;
	}
	TAILQ_INSERT_TAIL(&srv->leaving, k, entry);
	nic_stop(k->nic, 0);
}

static struct cascade *
cascade_new(struct srv *srv, struct srv_hub *hub,
    const struct hubconf_cascade *cfg, size_t i)
{
	struct cascade *k = calloc(1, sizeof *k);
	struct hubconf_cascade own;
	char err[1024];

	if (k == NULL || (k->link_text = nicconf_text(&cfg->link)) ==
	    NULL || (k->q = evbuffer_new()) == NULL) {
		log_err("cascade %s: out of memory", cfg->name);
		if (k != NULL)
			free(k->link_text);
		free(k);
		return NULL;
	}
	k->srv = srv;
	k->hub = hub;
	k->cfg = cfg;
	k->id = srv->next_id++;
	k->started_ms = clock_now_ms();
	snprintf(k->name, sizeof k->name, "%s", cfg->name);
	snprintf(k->label, sizeof k->label, "cascade %s", cfg->name);
	/* Its own copy of the keys: the configuration goes at a reload, the
	 * card reads its options for as long as it runs. */
	if (nicconf_load_string(k->label, k->link_text, strlen(k->link_text),
	    &k->link, err, sizeof err) != 0) {
		log_err("cascade %s: %s", k->name, err);
		goto fail;
	}
	own = *cfg;
	own.link = k->link;
	if (hubconf_cascade_opts(&own, i, srv->cfg->source,
	    srv->cfg->state_dir, &k->opts, err, sizeof err) != 0) {
		log_err("%s", err);
		goto fail;
	}
	k->opts.dev = &cascade_dev;
	k->opts.ifname = k->label;
	k->opts.embedded = 1;
	if ((k->free_ev = event_new(srv->base, -1, 0, cascade_free_cb, k)) ==
	    NULL) {
		log_err("cascade %s: out of memory", k->name);
		goto fail;
	}
	/* The port first: the card may hand it frames as soon as it runs. */
	sw_port_add(&hub->engine, &k->port, &cascade_port_ops, k);
	snprintf(k->port.name, sizeof k->port.name, "cascade-%s", k->name);
	sw_port_set_policy(&k->port, &cfg->policy.p);
	cascade_opening = k;
	k->nic = nic_new(srv->base, &k->opts, cascade_done, k);
	cascade_opening = NULL;
	if (k->nic == NULL) {
		sw_port_remove(&hub->engine, &k->port);
		goto fail;	/* logged */
	}
	k->dev = nic_dev(k->nic);
	TAILQ_INSERT_TAIL(&srv->cascades, k, entry);
	log_info("cascade %s on hub %s (port %llu): to hub %s at %s:%u via %s "
	    "as %s", k->name, hub->engine.name, (unsigned long long)k->id,
	    k->opts.hub_name, k->opts.host, k->opts.port, k->opts.via->name,
	    k->opts.user);
	return k;
fail:
	cascade_release(k);
	return NULL;
}

int
cascade_sync(struct srv *srv, int starting)
{
	const struct hubconf *cfg = srv->cfg;
	struct cascade *k, *kn;
	int rc = 0;

	/* Gone, moved to another hub or linked otherwise: ended. */
	for (k = TAILQ_FIRST(&srv->cascades); k != NULL; k = kn) {
		const struct hubconf_cascade *nk = NULL;
		char *text;
		kn = TAILQ_NEXT(k, entry);
		for (size_t i = 0; i < cfg->ncascades; i++)
			if (strcmp(cfg->cascades[i].name, k->name) == 0)
				nk = &cfg->cascades[i];
		if (nk != NULL && k->hub->cfg != NULL &&
		    strcmp(nk->hub, k->hub->engine.name) == 0 &&
		    (text = nicconf_text(&nk->link)) != NULL) {
			int same = strcmp(text, k->link_text) == 0;
			free(text);
			if (same && !k->stopped) {
				k->cfg = nk;
				sw_port_set_policy(&k->port, &nk->policy.p);
				continue;
			}
		}
		cascade_leave(srv, k, nk == NULL ? "removed" : "changed");
	}
	for (size_t i = 0; i < cfg->ncascades; i++) {
		const struct hubconf_cascade *c = &cfg->cascades[i];
		struct srv_hub *hub;
		int have = 0;
		TAILQ_FOREACH(k, &srv->cascades, entry)
			if (strcmp(k->name, c->name) == 0)
				have = 1;
		if (have)
			continue;
		if ((hub = srv_find_hub(srv, c->hub)) == NULL ||
		    cascade_new(srv, hub, c, i) == NULL) {
			if (starting)
				return -1;
			rc = -1;	/* logged; the rest go on */
		}
	}
	return rc;
}

void
cascade_forget_hub(struct srv *srv, struct srv_hub *hub)
{
	struct cascade *k, *kn;

	for (k = TAILQ_FIRST(&srv->cascades); k != NULL; k = kn) {
		kn = TAILQ_NEXT(k, entry);
		if (k->hub == hub)
			cascade_leave(srv, k, "its hub removed");
	}
}

void
cascade_stop_all(struct srv *srv)
{
	struct cascade *k;

	while ((k = TAILQ_FIRST(&srv->cascades)) != NULL)
		cascade_leave(srv, k, "hub shutting down");
}

/* The loop is done: no goodbyes. */
void
cascade_free_all(struct srv *srv)
{
	const struct transport_ops *vias[8];
	size_t nvias = 0;
	struct cascade *k;

	while ((k = TAILQ_FIRST(&srv->cascades)) != NULL ||
	    (k = TAILQ_FIRST(&srv->leaving)) != NULL) {
		size_t j = 0;
		while (j < nvias && vias[j] != k->opts.via)
			j++;
		if (j == nvias && nvias < sizeof vias / sizeof vias[0])
			vias[nvias++] = k->opts.via;
		if (k->hub != NULL) {
			sw_port_remove(&k->hub->engine, &k->port);
			TAILQ_REMOVE(&srv->cascades, k, entry);
		} else
			TAILQ_REMOVE(&srv->leaving, k, entry);
		cascade_release(k);
	}
	/* What the cards left running in the background (ssh), once. */
	for (size_t j = 0; j < nvias; j++)
		if (vias[j]->shutdown != NULL)
			vias[j]->shutdown();
}

const char *
cascade_status(const struct cascade *k, struct nic_status *st)
{
	nic_get_status(k->nic, st);
	return k->stopped ? "stopped" : nic_state_name(st->state);
}

int
cascade_up(const struct cascade *k)
{
	return !k->stopped && nic_state(k->nic) == NIC_UP;
}

void
cascade_log_status(const struct cascade *k)
{
	struct nic_status st;
	const char *state = cascade_status(k, &st);

	log_info("status cascade=%s id=%llu hub=%s state=%s remote=%s:%u "
	    "remote_hub=%s via=%s session=%llu in=%llufr out=%llufr "
	    "dropped=%llu resumes=%u macs=%u", k->name,
	    (unsigned long long)k->id, k->hub->engine.name,
	    state, st.host, st.port,
	    st.hub_name, st.via, (unsigned long long)st.session,
	    (unsigned long long)k->in_frames, (unsigned long long)k->out_frames,
	    (unsigned long long)k->out_dropped, st.resumes, k->port.macs);
}
