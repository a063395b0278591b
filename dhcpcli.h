/*
 * dhcpcli.h: a DHCPv4 client as a pure state machine (RFC 2131 4.4): the
 * exchanges, retransmissions, T1/T2 and the lease's end. No sockets and no
 * clock: the caller hands in frames, the time and random values, sends the
 * frame each call may produce, and applies the events (an address bound,
 * renewed, lost).
 */
#ifndef SOFTETHER_DHCPCLI_H
#define SOFTETHER_DHCPCLI_H

#include <stdint.h>
#include <stddef.h>

#include "dhcp.h"
#include "ether.h"
#include "proto.h"

#define DHCPCLI_MIN_LEASE_S  10u  /* a shorter lease is taken as this long:
                                     no server makes us spin */

enum dhcpcli_state {
	DHCPCLI_STOPPED = 0,
	DHCPCLI_INIT,         /* to DISCOVER at the timer (after a DECLINE) */
	DHCPCLI_SELECTING,    /* DISCOVER sent: waiting for an OFFER */
	DHCPCLI_REQUESTING,   /* REQUEST for an offer sent */
	DHCPCLI_INIT_REBOOT,  /* REQUEST for the remembered address sent */
	DHCPCLI_BOUND,
	DHCPCLI_RENEWING,     /* past T1: REQUEST to the server (unicast) */
	DHCPCLI_REBINDING,    /* past T2: REQUEST to any server (broadcast) */
};

struct dhcpcli_conf {
	char hostname[PROTO_DHCP_OPT_MAX + 1]; /* option 12; "": none */
	int broadcast;        /* ask servers to broadcast their answers */
};

/* What a bound client is to apply. Addresses in host byte order; 0: the
 * server gave none. */
struct dhcpcli_lease {
	uint32_t ip, mask, router, server_id;
	uint8_t ndns;
	uint32_t dns[PROTO_DHCP_MAX_DNS];
	uint16_t domain_len;
	uint8_t domain[PROTO_DHCP_OPT_MAX];  /* as sent: any bytes */
	uint32_t lease_s;     /* DHCP_LEASE_INFINITE: no end */
	uint64_t t1_ms, t2_ms, expiry_ms;    /* UINT64_MAX: never */
};

struct dhcpcli_stats {
	uint64_t malformed[DHCP_E_NREASONS];
	uint64_t ignored;     /* not ours, or not what this state awaits */
	uint64_t sent, retransmits;
	uint64_t offers, acks, naks, declines, expired;
};

struct dhcpcli {
	struct dhcpcli_conf conf;
	enum dhcpcli_state state;
	uint8_t mac[ETHER_ADDR_LEN];
	uint32_t xid;
	uint64_t began_ms;     /* this exchange's start: the secs field */
	uint64_t timer_ms;     /* when tick has work: UINT64_MAX never */
	unsigned tries;        /* transmissions in this state */
	uint64_t req_ms;       /* the first REQUEST of this state went out:
	                          where the lease's times count from */
	uint32_t hint;         /* an address to ask for in a DISCOVER */
	uint32_t offered, offer_server; /* REQUESTING: what we asked for */
	uint8_t server_mac[ETHER_ADDR_LEN]; /* where a renewal goes */
	int bound;             /* lease holds an address the caller applied */
	struct dhcpcli_lease lease;
	struct dhcpcli_stats stats;
};

#define DHCPCLI_EV_BOUND   0x1u  /* apply out->lease (it replaces any) */
#define DHCPCLI_EV_RENEWED 0x2u  /* the same address: new times, options */
#define DHCPCLI_EV_LOST    0x4u  /* out->lost_ip is ours no more */

struct dhcpcli_out {
	uint8_t *buf;          /* in: room for one frame */
	size_t cap;            /* in: PROTO_DHCP_MAX_FRAME is enough */
	uint32_t rnd;          /* in: a fresh random value (xid, jitter) */
	size_t len;            /* out: a frame to send, 0 none */
	unsigned ev;           /* out: DHCPCLI_EV_* */
	uint32_t lost_ip;      /* out: EV_LOST */
	struct dhcpcli_lease lease; /* out: EV_BOUND, EV_RENEWED */
};

void dhcpcli_init(struct dhcpcli *c, const struct dhcpcli_conf *conf);
/* Begin with mac: an INIT-REBOOT REQUEST for prev_ip (a card that
 * restarts), or a DISCOVER if prev_ip is 0. */
void dhcpcli_start(struct dhcpcli *c, uint64_t now_ms,
    const uint8_t mac[ETHER_ADDR_LEN], uint32_t prev_ip,
    struct dhcpcli_out *out);
/* A frame from the segment (anything: what is not for us is dropped). */
void dhcpcli_input(struct dhcpcli *c, uint64_t now_ms, const uint8_t *frame,
    size_t len, struct dhcpcli_out *out);
/* The timers; a call before dhcpcli_next_timeout does nothing. */
void dhcpcli_tick(struct dhcpcli *c, uint64_t now_ms,
    struct dhcpcli_out *out);
/* When dhcpcli_tick has work next; UINT64_MAX: nothing to wait for. */
uint64_t dhcpcli_next_timeout(const struct dhcpcli *c);
/* The caller's ARP check found the address just bound in use: DECLINE,
 * the address is lost, DISCOVER again in PROTO_DHCP_DECLINE_WAIT_MS. */
void dhcpcli_decline(struct dhcpcli *c, uint64_t now_ms,
    struct dhcpcli_out *out);
/* Stop: RELEASE the address if one is held (and it is lost). */
void dhcpcli_stop(struct dhcpcli *c, uint64_t now_ms,
    struct dhcpcli_out *out);

const char *dhcpcli_state_name(enum dhcpcli_state st);

#endif
