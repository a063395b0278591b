/*
 * fuzz_switch.c: hostile frames through the hub engine, from ports with and
 * without security policies, with clock jumps, aging and port churn. The
 * verdicts must stay coherent and the tables' counts exact.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "switch.h"

#define FZ_PORTS     4u
#define FZ_REC_HDR   3u       /* control u8, length u16 (little endian) */
#define FZ_CTL_PORT  0x03u
#define FZ_CTL_AGE   0x04u    /* jump the clock a minute and age */
#define FZ_CTL_CHURN 0x08u    /* the port leaves and comes back first */
#define FZ_CTL_TICK  0xf0u    /* else the clock moves this many ms */
#define FZ_MINUTE    60000u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct sw_policy fz_all = {
	.force_dhcp_ip = false, .deny_duplicate_ip = true,
	.deny_duplicate_mac = true, .deny_broadcast = true,
	.deny_dhcp_server = true, .ipv6_ra_filter = true,
	.max_ip = 2, .max_ip6 = 2, .max_mac = 2,
};
static const struct sw_policy fz_dhcp = {
	.filter_dhcp = true, .deny_dhcp_server = true,
};
static const struct sw_policy fz_force = {
	.force_dhcp_ip = true, .deny_duplicate_ip = true, .max_ip = 1,
	.max_mac = 1,
};
static const struct sw_policy *const fz_policies[FZ_PORTS] = {
	NULL, &fz_all, &fz_dhcp, &fz_force
};

static void
fz_check(struct sw *h, struct sw_port *ports)
{
	uint32_t macs = 0, ip4s = 0, ip6s = 0, i, r;
	uint64_t sum;

	for (i = 0; i < FZ_PORTS; i++) {
		if (ports[i].hub != h)
			continue;
		macs += ports[i].macs;
		ip4s += ports[i].ip4s;
		ip6s += ports[i].ip6s;
		for (sum = 0, r = 0; r < SW_DROP_NREASONS; r++)
			sum += ports[i].drops[r];
		if (sum != ports[i].drop_frames)
			abort();
	}
	if (macs != h->nmacs || ip4s != h->ips.n4 || ip6s != h->ips.n6)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw h;
	struct sw_port ports[FZ_PORTS], *src, *p;
	struct sw_meta m;
	enum sw_verdict v;
	uint64_t now = 1;
	size_t len;
	uint32_t i, n;
	uint8_t ctl;

	if (sw_init(&h, "fuzz", 0, 64) == -1)
		abort();
	for (i = 0; i < FZ_PORTS; i++) {
		sw_port_add(&h, &ports[i], NULL, NULL);
		sw_port_set_policy(&ports[i], fz_policies[i]);
	}
	while (size >= FZ_REC_HDR) {
		ctl = data[0];
		len = (size_t)data[1] | (size_t)data[2] << 8;
		data += FZ_REC_HDR;
		size -= FZ_REC_HDR;
		if (len > size)
			len = size;
		src = &ports[ctl & FZ_CTL_PORT];
		if (ctl & FZ_CTL_CHURN) {
			sw_port_remove(&h, src);
			if (src->macs != 0 || src->ip4s != 0 || src->ip6s != 0)
				abort();
			sw_port_add(&h, src, NULL, NULL);
			sw_port_set_policy(src,
			    fz_policies[ctl & FZ_CTL_PORT]);
		}
		if (ctl & FZ_CTL_AGE) {
			now += FZ_MINUTE;
			sw_age(&h, now);
		} else {
			now += ctl & FZ_CTL_TICK;
		}
		v = sw_input(&h, src, data, len, now, &m);
		if (m.flags & ~(SW_META_DHCP | SW_META_OPAQUE))
			abort();
		switch (v) {
		case SW_UNICAST:
			if (m.dst == NULL || m.dst == src || m.dst->hub != &h)
				abort();
			break;
		case SW_FLOOD:
			n = 0;
			TAILQ_FOREACH(p, &h.ports, entry)
				if (p != src && sw_egress_ok(p, &m))
					n++;
			if (m.dst != NULL || n > FZ_PORTS)
				abort();
			break;
		case SW_DROP:
			if (m.dst != NULL || (unsigned)m.why >=
			    SW_DROP_NREASONS)
				abort();
			break;
		default:
			abort();
		}
		fz_check(&h, ports);
		data += len;
		size -= len;
	}
	sw_free(&h);
	return 0;
}
