/*
 * bench_hub.c: forwarding decisions per second of the hub engine on one
 * core, by MAC table size, and the table's memory per learned MAC.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hub.h"
#include "proto.h"

#define B_PORTS     64u
#define B_FRAMES    (1u << 18)     /* pre-built frames, replayed in a loop */
#define B_STRIDE    16u            /* header plus padding per frame */
#define B_SECONDS   1.0
#define B_NOW       1000u

struct b_frame {
	struct hub_port *src;
	uint8_t *hdr;
};

static uint64_t b_rng = 0x9e3779b97f4a7c15ull;

/* splitmix64: cheap, and its cost stays out of the timed loop anyway. */
static uint64_t
b_rand(void)
{
	uint64_t z = (b_rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void
b_mac(uint32_t n, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0x00;
	mac[2] = (uint8_t)(n >> 24);
	mac[3] = (uint8_t)(n >> 16);
	mac[4] = (uint8_t)(n >> 8);
	mac[5] = (uint8_t)n;
}

static double
b_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Replays the frame list for about B_SECONDS; returns frames/s. */
static double
b_run(struct hub *h, const struct b_frame *fr, enum hub_verdict want,
    uint64_t *bad)
{
	struct hub_port *dst;
	uint64_t n = 0;
	double t0 = b_secs(), t;
	uint32_t i;

	do {
		for (i = 0; i < B_FRAMES; i++)
			if (hub_input(h, fr[i].src, fr[i].hdr, PROTO_ETH_HDR,
			    B_NOW, &dst) != want)
				(*bad)++;
		n += B_FRAMES;
		t = b_secs() - t0;
	} while (t < B_SECONDS);
	return (double)n / t;
}

static void
b_case(uint32_t nmacs, struct b_frame *fr, uint8_t *hdrs)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct hub h;
	struct hub_port *ports;
	struct hub_port *dst;
	uint64_t bad = 0;
	uint32_t i, s, d;
	uint8_t f[PROTO_ETH_HDR] = { 0 };
	double uni, flood;

	if (hub_init(&h, "bench", 0, 0) == -1 || h.max_macs < nmacs) {
		printf("  %7u MACs: skipped (max_macs %u)\n", nmacs, h.max_macs);
		hub_free(&h);
		return;
	}
	if ((ports = calloc(B_PORTS, sizeof *ports)) == NULL)
		exit(1);
	for (i = 0; i < B_PORTS; i++)
		hub_port_add(&h, &ports[i], NULL);
	/* MAC i lives behind port i % B_PORTS. */
	memcpy(f, bcast, 6);
	for (i = 0; i < nmacs; i++) {
		b_mac(i, f + 6);
		hub_input(&h, &ports[i % B_PORTS], f, sizeof f, B_NOW, &dst);
	}

	/* Known unicast between random learned MACs on different ports. */
	for (i = 0; i < B_FRAMES; i++) {
		s = (uint32_t)(b_rand() % nmacs);
		do
			d = (uint32_t)(b_rand() % nmacs);
		while (d % B_PORTS == s % B_PORTS);
		fr[i].hdr = hdrs + (size_t)i * B_STRIDE;
		fr[i].src = &ports[s % B_PORTS];
		memset(fr[i].hdr, 0, B_STRIDE);
		b_mac(d, fr[i].hdr);
		b_mac(s, fr[i].hdr + 6);
	}
	uni = b_run(&h, fr, HUB_UNICAST, &bad);

	/* Broadcast from random learned MACs: learning plus a flood verdict. */
	for (i = 0; i < B_FRAMES; i++)
		memcpy(fr[i].hdr, bcast, 6);
	flood = b_run(&h, fr, HUB_FLOOD, &bad);

	printf("  %7u MACs: unicast %6.2f Mframes/s (%5.1f ns), "
	    "flood %6.2f Mframes/s (%5.1f ns); table %u slots, "
	    "%.1f B/MAC%s\n", nmacs, uni / 1e6, 1e9 / uni, flood / 1e6,
	    1e9 / flood, h.nslots,
	    (double)h.nslots * sizeof *h.slots / h.nmacs,
	    bad ? " UNEXPECTED VERDICTS" : "");
	hub_free(&h);
	free(ports);
}

int
main(void)
{
	static const uint32_t sizes[] = { 10000, 100000, 1000000 };
	struct b_frame *fr;
	uint8_t *hdrs;
	size_t i;

	fr = calloc(B_FRAMES, sizeof *fr);
	hdrs = calloc(B_FRAMES, B_STRIDE);
	if (fr == NULL || hdrs == NULL)
		return 1;
	printf("hub_input, one core, %u ports, %u pre-built frames, "
	    "entry %zu bytes\n", B_PORTS, B_FRAMES, sizeof(struct hub_mac_entry));
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		b_case(sizes[i], fr, hdrs);
	free(fr);
	free(hdrs);
	return 0;
}
