/*
 * bridge.c: a local interface as a port of a virtual hub (port kind
 * bridge): no network hop, the same loop. Frames the LAN sends go through
 * the hub's switching engine like a session's, under the bridge's policy;
 * frames the engine sends to the port go onto the LAN. The interface is
 * the card's bridge device kind (packet.c), watched the same way: a lost
 * interface is retried until it returns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>

#include "clock.h"
#include "log.h"
#include "srv.h"

#define BRIDGE_BURST 256u   /* frames read per wakeup */

static const struct sw_port_ops bridge_port_ops;

static int
bridge_frame(void *arg, const struct vnet_meta *vm, uint8_t *f, size_t len)
{
	struct bridge *b = arg;

	sw_forward(&b->hub->engine, &b->port, vm, f, len, clock_now_ms());
	return 0;
}

static void
bridge_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bridge *b = arg;

	b->dev.ops->read_batch(&b->dev, bridge_frame, b, BRIDGE_BURST);
}

/* A read event for the device's fd as it is now (none while lost). */
static int
bridge_arm(struct bridge *b)
{
	if (b->rd_ev != NULL)
		event_free(b->rd_ev);
	b->rd_ev = NULL;
	if (b->dev.fd < 0)
		return 0;
	b->rd_ev = event_new(b->srv->base, b->dev.fd, EV_READ | EV_PERSIST,
	    bridge_read_cb, b);
	if (b->rd_ev == NULL)
		return -1;
	return event_add(b->rd_ev, NULL);
}

static void
bridge_watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bridge *b = arg;

	if (b->dev.ops->watch(&b->dev) && bridge_arm(b) != 0)
		log_err("bridge %s: out of memory; not reading it", b->iface);
}

/* The interface takes offload metadata as it is (the kernel segments). */
static void
bridge_output(struct sw_port *p, const struct vnet_meta *vm,
    const uint8_t *f, size_t len)
{
	struct bridge *b = p->owner;

	b->dev.ops->write(&b->dev, vm, f, len);
}

static const struct sw_port_ops bridge_port_ops = {
	.kind = "bridge",
	.output = bridge_output,
};

static void
bridge_free(struct srv *srv, struct bridge *b)
{
	uint32_t forgot = sw_port_remove(&b->hub->engine, &b->port);

	log_info("bridge %s left hub %s: in=%llufr out=%llufr local=%llu "
	    "macs_forgotten=%u", b->iface, b->hub->engine.name,
	    (unsigned long long)b->dev.st.rx_frames,
	    (unsigned long long)b->dev.st.tx_frames,
	    (unsigned long long)b->dev.st.rx_local, forgot);
	TAILQ_REMOVE(&srv->bridges, b, entry);
	if (b->rd_ev != NULL)
		event_free(b->rd_ev);
	if (b->watch_ev != NULL)
		event_free(b->watch_ev);
	b->dev.ops->close(&b->dev);
	free(b);
}

static struct bridge *
bridge_new(struct srv *srv, struct srv_hub *hub,
    const struct hubconf_bridge *cfg)
{
	struct bridge *b = calloc(1, sizeof *b);
	struct timeval tv = { DEV_WATCH_MS / 1000u,
	    DEV_WATCH_MS % 1000u * 1000u };
	char err[512];

	if (b == NULL) {
		log_err("bridge %s: out of memory", cfg->interface);
		return NULL;
	}
	b->srv = srv;
	b->hub = hub;
	b->cfg = cfg;
	b->id = srv->next_id++;
	b->started_ms = clock_now_ms();
	snprintf(b->iface, sizeof b->iface, "%s", cfg->interface);
	dev_init(&b->dev, &dev_packet, cfg->interface);
	/* The hub serves others: an interface not there yet is waited for. */
	b->dev.wait_link = 1;
	if (dev_packet.open(&b->dev, NULL, err, sizeof err) != 0) {
		log_err("%s", err);
		free(b);
		return NULL;
	}
	b->watch_ev = event_new(srv->base, -1, EV_PERSIST, bridge_watch_cb, b);
	sw_port_add(&hub->engine, &b->port, &bridge_port_ops, b);
	snprintf(b->port.name, sizeof b->port.name, "bridge-%s", b->iface);
	sw_port_set_policy(&b->port, &cfg->policy.p);
	TAILQ_INSERT_TAIL(&srv->bridges, b, entry);
	if (b->watch_ev == NULL || event_add(b->watch_ev, &tv) != 0 ||
	    bridge_arm(b) != 0) {
		log_err("bridge %s: out of memory", cfg->interface);
		bridge_free(srv, b);
		return NULL;
	}
	log_info("bridge %s on hub %s (port %llu)", b->iface,
	    hub->engine.name, (unsigned long long)b->id);
	return b;
}

int
bridge_sync(struct srv *srv, int starting)
{
	const struct hubconf *cfg = srv->cfg;
	struct bridge *b, *bn;
	int rc = 0;

	/* Gone from the configuration, or moved to another hub: removed. */
	for (b = TAILQ_FIRST(&srv->bridges); b != NULL; b = bn) {
		const struct hubconf_bridge *nb = NULL;
		bn = TAILQ_NEXT(b, entry);
		for (size_t i = 0; i < cfg->nbridges; i++)
			if (strcmp(cfg->bridges[i].interface, b->iface) == 0)
				nb = &cfg->bridges[i];
		if (nb != NULL && b->hub->cfg != NULL &&
		    strcmp(nb->hub, b->hub->engine.name) == 0) {
			b->cfg = nb;
			sw_port_set_policy(&b->port, &nb->policy.p);
			continue;
		}
		bridge_free(srv, b);
	}
	for (size_t i = 0; i < cfg->nbridges; i++) {
		const struct hubconf_bridge *c = &cfg->bridges[i];
		struct srv_hub *hub;
		int have = 0;
		TAILQ_FOREACH(b, &srv->bridges, entry)
			if (strcmp(b->iface, c->interface) == 0)
				have = 1;
		if (have)
			continue;
		if ((hub = srv_find_hub(srv, c->hub)) == NULL ||
		    bridge_new(srv, hub, c) == NULL) {
			if (starting)
				return -1;
			rc = -1;	/* logged; the rest go on */
		}
	}
	return rc;
}

void
bridge_free_all(struct srv *srv)
{
	struct bridge *b;

	while ((b = TAILQ_FIRST(&srv->bridges)) != NULL)
		bridge_free(srv, b);
}

void
bridge_forget_hub(struct srv *srv, struct srv_hub *hub)
{
	struct bridge *b, *bn;

	for (b = TAILQ_FIRST(&srv->bridges); b != NULL; b = bn) {
		bn = TAILQ_NEXT(b, entry);
		if (b->hub == hub)
			bridge_free(srv, b);
	}
}

int
bridge_up(const struct bridge *b)
{
	return b->dev.fd >= 0;
}

void
bridge_log_status(const struct bridge *b)
{
	const struct dev_stats *st = &b->dev.st;

	log_info("status bridge=%s id=%llu hub=%s state=%s in=%llufr "
	    "out=%llufr local=%llu bad=%llu offload_frames=%llu "
	    "out_dropped=%llu lost=%llu macs=%u", b->iface,
	    (unsigned long long)b->id, b->hub->engine.name,
	    bridge_up(b) ? "up" : "lost", (unsigned long long)st->rx_frames,
	    (unsigned long long)st->tx_frames,
	    (unsigned long long)st->rx_local, (unsigned long long)st->rx_bad,
	    (unsigned long long)st->gso_frames,
	    (unsigned long long)st->tx_dropped, (unsigned long long)st->lost,
	    b->port.macs);
}
