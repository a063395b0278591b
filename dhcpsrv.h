/*
 * dhcpsrv.h: a DHCPv4 server as a pure engine (RFC 2131): a pool, static
 * leases by MAC or by user, a lease table, and the answer to each frame.
 * No sockets, no clock, no timers: the caller hands in frames and the
 * time, sends what comes out, probes addresses when asked, and saves the
 * lease table as text when it likes (atomic_write).
 */
#ifndef SOFTETHER_DHCPSRV_H
#define SOFTETHER_DHCPSRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhcp.h"
#include "ether.h"
#include "proto.h"

#define DHCPSRV_MAX_POOL      65536u  /* addresses in first..last */
#define DHCPSRV_MAX_STATIC    1024u
#define DHCPSRV_MIN_LEASE_S   60u
#define DHCPSRV_MAX_LEASE_S   (366u * 86400u)
#define DHCPSRV_DEFAULT_LEASE_S   3600u
#define DHCPSRV_DEFAULT_OFFER_S   60u   /* an offer holds its address */
#define DHCPSRV_DEFAULT_DECLINE_S 600u  /* a declined address rests */
#define DHCPSRV_PROBE_MS      3000u   /* a probe not reported by then is
                                         forgotten (the client retries) */
#define DHCPSRV_MAX_PROBES    32u     /* probes in flight at once */
#define DHCPSRV_MAX_CONFLICTS 8u      /* addresses found in use, skipped,
                                         before one input gives up */
#define DHCPSRV_FILE_MAGIC    "softether-dhcp-leases"
#define DHCPSRV_FILE_VERSION  1u
#define DHCPSRV_LINE_MAX      256u    /* a longer lease-file line is bad */

/* A static lease: by MAC (mac set, user empty) or by user (user set). */
struct dhcpsrv_static {
	uint8_t mac[ETHER_ADDR_LEN];
	char user[PROTO_MAX_NAME + 1];
	uint32_t ip;
};

/*
 * What the server hands out. Addresses in host byte order. A static
 * address may lie outside first..last but must be in the subnet.
 */
struct dhcpsrv_conf {
	uint8_t server_mac[ETHER_ADDR_LEN]; /* the source of every reply */
	uint32_t server_ip;       /* the server identifier, in the subnet */
	uint32_t first, last;     /* the pool, inclusive, in the subnet */
	uint32_t mask;            /* contiguous, /8 to /30 */
	uint32_t router;          /* 0: none sent */
	uint32_t dns[PROTO_DHCP_MAX_DNS];
	unsigned ndns;
	char domain[PROTO_DHCP_OPT_MAX + 1]; /* "": none; printable ASCII */
	/* 0 for the defaults; at most DHCPSRV_MAX_LEASE_S each. */
	uint32_t lease_s;         /* DHCPSRV_MIN_LEASE_S or more */
	uint32_t offer_s;
	uint32_t decline_s;
	/* Clients the server knows nothing of (an INIT-REBOOT or renewal
	 * after the lease table was lost): authoritative, it takes their
	 * word if the address is free for them and NAKs it if not; else it
	 * stays silent, as RFC 2131 4.3.2 asks of a server that may share
	 * the segment with another. */
	bool authoritative;
	/* Ask the caller to ARP-probe each address before it is first
	 * offered to a MAC (DHCPSRV_ACT_PROBE). */
	bool probe;
	/* Optional, and consulted before the probe: is ip in use on the
	 * segment as far as the caller knows? A yes makes the address rest
	 * as declined and another is chosen. (The hub's IP table keys
	 * addresses in network order: iptable_lookup4(t, htonl(ip), now).) */
	bool (*in_use)(void *arg, uint32_t ip);
	void *in_use_arg;
	const struct dhcpsrv_static *statics; /* copied by dhcpsrv_init */
	size_t nstatics;
};

enum dhcpsrv_state {
	DHCPSRV_FREE = 0,     /* nobody's (a MAC may be remembered) */
	DHCPSRV_PROBING,      /* to be offered once the probe says free */
	DHCPSRV_OFFERED,
	DHCPSRV_BOUND,
	DHCPSRV_DECLINED,     /* in use by someone unknown: resting */
};

#define DHCPSRV_L_MAC         0x01u  /* mac is meant (and indexed) */
#define DHCPSRV_L_STATIC_MAC  0x02u
#define DHCPSRV_L_STATIC_USER 0x04u
#define DHCPSRV_L_STATIC      (DHCPSRV_L_STATIC_MAC | DHCPSRV_L_STATIC_USER)

struct dhcpsrv_lease {
	uint32_t ip;
	uint8_t mac[ETHER_ADDR_LEN];
	uint8_t state;            /* enum dhcpsrv_state */
	uint8_t flags;            /* DHCPSRV_L_* */
	uint64_t expiry_ms;       /* probing, offered, bound, declined: the
	                             state ends at this instant */
	char user[PROTO_MAX_NAME + 1]; /* who holds it ("": nobody known) */
};

/* Why a frame got no answer, besides being malformed. */
enum dhcpsrv_ignore {
	DHCPSRV_IGN_NOT_DHCP = 0, /* other traffic (ARP, TCP, ...) */
	DHCPSRV_IGN_REPLY,        /* a server's message, not a client's */
	DHCPSRV_IGN_NOT_US,       /* sent to another host or server */
	DHCPSRV_IGN_CHADDR,       /* chaddr is not the frame's source MAC */
	DHCPSRV_IGN_BAD_REQUEST,  /* lacks what its type requires */
	DHCPSRV_IGN_UNKNOWN,      /* a client or lease we know nothing of */
	DHCPSRV_IGN_BUSY,         /* every probe slot is taken */
	DHCPSRV_IGN_NO_ROOM,      /* the answer did not fit the out buffer */
	DHCPSRV_IGN_NREASONS
};

struct dhcpsrv_stats {
	uint64_t rx[DHCP_TYPE_MAX + 1];       /* client messages by type */
	uint64_t tx[DHCP_TYPE_MAX + 1];       /* answers by type */
	uint64_t malformed[DHCP_E_NREASONS];  /* dropped, by dhcp_parse's
	                                         reason */
	uint64_t ignored[DHCPSRV_IGN_NREASONS];
	uint64_t pool_empty;     /* DISCOVERs left without an offer */
	uint64_t user_cap;       /* refused: the user holds max_ip already */
	uint64_t declined;       /* DECLINEs taken */
	uint64_t conflicts;      /* addresses found in use before offering */
	uint64_t expired;        /* leases and offers that dhcpsrv_expire
	                            found run out (a lapsed one given again
	                            before is not counted) */
	uint64_t released;
};

/* A DISCOVER waiting on a probe: what its OFFER, or another choice of
 * address, needs of it. */
struct dhcpsrv_probe {
	uint32_t ip;              /* 0: slot free */
	uint64_t deadline_ms;
	uint32_t lease;           /* index of the probing lease */
	unsigned conflicts;       /* addresses found in use for it so far */
	char user[PROTO_MAX_NAME + 1];
	unsigned max_ip;
	uint32_t xid, giaddr, req_ip;
	uint16_t flags, vlan_tci;
	uint8_t vlan, has_req_ip;
	uint8_t chaddr[ETHER_ADDR_LEN], eth_src[ETHER_ADDR_LEN];
};

struct dhcpsrv {
	struct dhcpsrv_conf conf;
	struct dhcpsrv_static *statics;
	uint32_t pool;            /* last - first + 1 */
	/* Leases live in one array and are never removed, only recycled:
	 * statics first, then one per address ever used. */
	struct dhcpsrv_lease *leases;
	uint32_t nleases, capleases;
	/* Per pool address: its lease's index + 1, 0 never used, or
	 * DHCPSRV_RESERVED (the server's, the subnet's own addresses). */
	uint32_t *by_ip;
	uint32_t fresh;           /* pool addresses never used */
	uint32_t cursor;          /* where the next fresh search starts */
	/* MAC -> lease, open addressing under a random SipHash key. */
	struct dhcpsrv_macslot *macs;
	uint32_t nmacslots, nmacs;
	uint8_t hash_key[16];
	struct dhcpsrv_probe probes[DHCPSRV_MAX_PROBES];
	bool empty;               /* the pool is known exhausted */
	struct dhcpsrv_stats stats;
};

#define DHCPSRV_RESERVED UINT32_MAX

/* What one call asks the caller to do. */
#define DHCPSRV_ACT_PROBE      0x01u /* ARP-probe probe_ip, then call
                                        dhcpsrv_probe_result */
#define DHCPSRV_ACT_POOL_EMPTY 0x02u /* the pool just ran out: raised once
                                        until an address is given again */
#define DHCPSRV_ACT_USER_CAP   0x04u /* refused user: they hold max_ip */
#define DHCPSRV_ACT_BOUND      0x08u /* ip is mac's until expiry_ms */
#define DHCPSRV_ACT_RELEASED   0x10u /* ip is mac's no more */
#define DHCPSRV_ACT_DECLINED   0x20u /* a client found ip in use */

struct dhcpsrv_out {
	uint8_t *buf;             /* in: room for one frame */
	size_t cap;               /* in: PROTO_DHCP_MAX_FRAME is enough */
	size_t len;               /* out: a frame to send, 0 none */
	uint32_t act;             /* out: DHCPSRV_ACT_* */
	uint32_t probe_ip;        /* DHCPSRV_ACT_PROBE */
	uint32_t ip;              /* BOUND, RELEASED, DECLINED */
	uint8_t mac[ETHER_ADDR_LEN];
	uint64_t expiry_ms;       /* BOUND (UINT64_MAX: no end) */
	enum dhcp_err err;        /* the frame's fault, if malformed */
};

/* Check conf whole, then set s up: 0, or -1 with err ("first: ...") and
 * nothing to free. */
int dhcpsrv_init(struct dhcpsrv *s, const struct dhcpsrv_conf *conf,
    char *err, size_t errlen);
void dhcpsrv_free(struct dhcpsrv *s);

/*
 * One frame from the segment at now_ms, from a session of user (NULL:
 * none known) whose leases are capped at max_ip addresses (0: no cap).
 * Answers DISCOVER (OFFER, or a probe first), REQUEST (ACK or NAK, RFC
 * 2131 4.3.2), DECLINE, RELEASE and INFORM; counts and drops the rest.
 * out->len is the answer's length, if any.
 */
void dhcpsrv_input(struct dhcpsrv *s, uint64_t now_ms, const uint8_t *frame,
    size_t len, const char *user, unsigned max_ip, struct dhcpsrv_out *out);

/* The probe of ip asked for came back: someone answered (in_use) or
 * nobody did. Free: out holds the OFFER. In use: the address rests as
 * declined and out may ask to probe another. A report for no probe in
 * flight is ignored. */
void dhcpsrv_probe_result(struct dhcpsrv *s, uint64_t now_ms, uint32_t ip,
    bool in_use, struct dhcpsrv_out *out);

/* Offers, leases, rests and probes that ended by now_ms end; returns how
 * many. Inputs never count an ended lease as held, so this is only
 * tidiness and the statistics: once a few seconds will do. */
uint32_t dhcpsrv_expire(struct dhcpsrv *s, uint64_t now_ms);

/* The lease of ip or of mac, or NULL. */
const struct dhcpsrv_lease *dhcpsrv_find_ip(const struct dhcpsrv *s,
    uint32_t ip);
const struct dhcpsrv_lease *dhcpsrv_find_mac(const struct dhcpsrv *s,
    const uint8_t mac[ETHER_ADDR_LEN]);

/*
 * The lease file. A header line "softether-dhcp-leases 1", then one lease
 * a line: "IP MAC STATE EXPIRES USER" (STATE bound, declined or free;
 * EXPIRES in seconds of the wall clock; MAC and USER "-" for none), '#'
 * comments. Statics are configuration and not written; offers are not
 * worth keeping. wall_s is the wall clock's seconds at now_ms: the file
 * outlives the monotonic clock.
 *
 * dhcpsrv_save writes at most cap bytes (NUL-terminated if cap > 0) and
 * returns the length of the whole text: it fits if that is < cap.
 */
size_t dhcpsrv_save(const struct dhcpsrv *s, uint64_t now_ms, int64_t wall_s,
    char *buf, size_t cap);

struct dhcpsrv_load_report {
	unsigned loaded;          /* lines taken */
	unsigned expired;         /* ended already: a bound lease is taken as
	                             its MAC's free address, a rest dropped */
	unsigned bad;             /* skipped: malformed, outside the pool,
	                             a static's, a duplicate, a cut last line */
	unsigned first_bad_line;  /* 0: none */
};

/*
 * Lease file text into a server fresh from dhcpsrv_init. Tolerant: a bad
 * line is skipped and counted, as is a last line without its newline
 * (the file was cut); an address outside first..last is never taken;
 * times are capped at the configured lease and decline lengths. Returns
 * 0, or -1 with err if the text is not a lease file of this version
 * (nothing loaded).
 */
int dhcpsrv_load(struct dhcpsrv *s, uint64_t now_ms, int64_t wall_s,
    const char *text, size_t len, struct dhcpsrv_load_report *r,
    char *err, size_t errlen);

const char *dhcpsrv_state_name(enum dhcpsrv_state st);
const char *dhcpsrv_ignore_name(enum dhcpsrv_ignore why);

#endif
