/*
 * dhcp.h: DHCPv4 messages (RFC 2131/2132) as whole Ethernet frames: parsed
 * out of a frame into a struct, and built from one into a frame. Pure
 * functions over byte buffers, for the hub's DHCP service (dhcpsrv.c) and
 * the card's client (dhcpcli.c). Limits are PROTO_DHCP_* in proto.h.
 */
#ifndef SOFTETHER_DHCP_H
#define SOFTETHER_DHCP_H

#include <stddef.h>
#include <stdint.h>

#include "ether.h"
#include "proto.h"

/* BOOTP op codes. */
#define DHCP_BOOTREQUEST   1u
#define DHCP_BOOTREPLY     2u
#define DHCP_FLAG_BROADCAST 0x8000u  /* in flags: answer me by broadcast */

/* Message types (option 53). */
enum dhcp_type {
	DHCP_NONE     = 0,
	DHCP_DISCOVER = 1,
	DHCP_OFFER    = 2,
	DHCP_REQUEST  = 3,
	DHCP_DECLINE  = 4,
	DHCP_ACK      = 5,
	DHCP_NAK      = 6,
	DHCP_RELEASE  = 7,
	DHCP_INFORM   = 8,
	DHCP_TYPE_MAX = DHCP_INFORM,
};

/* Option codes this codec reads or writes (RFC 2132). */
#define DHCP_OPT_PAD        0u
#define DHCP_OPT_MASK       1u
#define DHCP_OPT_ROUTER     3u
#define DHCP_OPT_DNS        6u
#define DHCP_OPT_HOSTNAME   12u
#define DHCP_OPT_DOMAIN     15u
#define DHCP_OPT_REQ_IP     50u
#define DHCP_OPT_LEASE      51u
#define DHCP_OPT_OVERLOAD   52u
#define DHCP_OPT_TYPE       53u
#define DHCP_OPT_SERVER_ID  54u
#define DHCP_OPT_PRL        55u
#define DHCP_OPT_T1         58u
#define DHCP_OPT_T2         59u
#define DHCP_OPT_CLIENT_ID  61u
#define DHCP_OPT_END        255u

/* Option 52: which of the fixed fields hold more options. */
#define DHCP_OVERLOAD_FILE  1u
#define DHCP_OVERLOAD_SNAME 2u

#define DHCP_LEASE_INFINITE 0xffffffffu

/* Which of the single-valued options a message carries. */
#define DHCP_HAS_REQ_IP     0x001u
#define DHCP_HAS_SERVER_ID  0x002u
#define DHCP_HAS_LEASE      0x004u
#define DHCP_HAS_MASK       0x008u
#define DHCP_HAS_ROUTER     0x010u
#define DHCP_HAS_T1         0x020u
#define DHCP_HAS_T2         0x040u
#define DHCP_HAS_OVERLOAD   0x080u

/* Why dhcp_parse refused a frame; dhcp_err_name() names each. */
enum dhcp_err {
	DHCP_OK = 0,
	/* Not DHCP at all (an ARP, a TCP segment, DNS): nothing wrong. */
	DHCP_E_NOT_IP4,      /* neither IPv4 nor IPv4 behind one 802.1Q tag */
	DHCP_E_NOT_UDP,
	DHCP_E_NOT_DHCP,     /* UDP, but to neither port 67 nor 68 */
	/* Malformed: DHCP, or claiming to be, and broken or hostile. */
	DHCP_E_TRUNCATED,    /* shorter than its headers say */
	DHCP_E_TOO_BIG,      /* longer than PROTO_DHCP_MAX_FRAME */
	DHCP_E_IP_HEADER,    /* IPv4 version, header or total length wrong */
	DHCP_E_FRAGMENT,     /* an IPv4 fragment: never reassembled */
	DHCP_E_IP_CSUM,
	DHCP_E_UDP_LEN,
	DHCP_E_UDP_CSUM,     /* wrong; 0 (none) is accepted */
	DHCP_E_BOOTP,        /* op, hardware type or length not Ethernet's */
	DHCP_E_COOKIE,       /* no magic cookie: BOOTP, not DHCP */
	DHCP_E_OPT_OVERRUN,  /* an option's length runs past its field */
	DHCP_E_OPT_COUNT,    /* more than PROTO_DHCP_MAX_OPTIONS options */
	DHCP_E_OPT_LEN,      /* a known option of the wrong length, or one
	                        longer than PROTO_DHCP_OPT_MAX in all */
	DHCP_E_OVERLOAD,     /* option 52 malformed or not in the options */
	DHCP_E_MSG_TYPE,     /* option 53 missing or not 1..8 */
	DHCP_E_NREASONS
};

/* Something that was DHCP, or said so, and was refused (not merely some
 * other traffic). */
static inline int
dhcp_err_malformed(enum dhcp_err e)
{
	return e >= DHCP_E_TRUNCATED && e < DHCP_E_NREASONS;
}

/*
 * One DHCP message and the headers around it. Every IPv4 address here is
 * in host byte order (10.0.0.1 is 0x0a000001). Variable-length options are
 * bytes with a length (0: absent); hostname and domain are not
 * NUL-terminated and may hold any byte.
 */
struct dhcp_msg {
	/* Ethernet, IPv4, UDP. */
	uint8_t eth_dst[ETHER_ADDR_LEN], eth_src[ETHER_ADDR_LEN];
	uint8_t vlan;                  /* 1: one 802.1Q tag, vlan_tci */
	uint16_t vlan_tci;
	uint32_t ip_src, ip_dst;
	uint16_t sport, dport;
	/* BOOTP. */
	uint8_t op;                    /* DHCP_BOOTREQUEST or _BOOTREPLY */
	uint8_t hops;
	uint32_t xid;
	uint16_t secs, flags;          /* flags: DHCP_FLAG_BROADCAST */
	uint32_t ciaddr, yiaddr, siaddr, giaddr;
	uint8_t chaddr[ETHER_ADDR_LEN];
	/* Options. */
	uint8_t type;                  /* enum dhcp_type (53) */
	uint32_t has;                  /* DHCP_HAS_* */
	uint32_t req_ip;               /* 50 */
	uint32_t server_id;            /* 54 */
	uint32_t lease_s;              /* 51; DHCP_LEASE_INFINITE */
	uint32_t mask;                 /* 1 */
	uint32_t router;               /* 3: the first one */
	uint32_t t1_s, t2_s;           /* 58, 59 */
	uint8_t overload;              /* 52, as parsed; never built */
	uint8_t ndns;                  /* 6: the first PROTO_DHCP_MAX_DNS */
	uint32_t dns[PROTO_DHCP_MAX_DNS];
	uint16_t prl_len;              /* 55 */
	uint8_t prl[PROTO_DHCP_OPT_MAX];
	uint16_t client_id_len;        /* 61 */
	uint8_t client_id[PROTO_DHCP_OPT_MAX];
	uint16_t hostname_len;         /* 12 */
	uint8_t hostname[PROTO_DHCP_OPT_MAX];
	uint16_t domain_len;           /* 15 */
	uint8_t domain[PROTO_DHCP_OPT_MAX];
};

/*
 * Parse one DHCP message out of a whole Ethernet frame (no FCS):
 * Ethernet, at most one 802.1Q tag, IPv4 with or without options (never
 * a fragment), UDP to port 67 or 68, BOOTP with the magic cookie, options.
 * Both checksums are checked (a UDP checksum of 0 means none). Options
 * are walked to the end option or the end of their field; pads are
 * skipped; an option repeated is concatenated with its earlier parts
 * (RFC 3396) and then checked as one; unknown options are skipped.
 * Option overload (52) is supported: the file field, then sname, are read
 * as more options when it says so (it must sit in the options field
 * itself). Only Ethernet hardware addresses (type 1, length 6) are taken.
 * Never reads outside f[0..len). DHCP_OK with *m filled, else the reason
 * (and *m undefined).
 */
enum dhcp_err dhcp_parse(const uint8_t *f, size_t len, struct dhcp_msg *m);

/*
 * Build m as a whole frame into buf (cap bytes): Ethernet (with m's tag
 * if vlan), IPv4 without options (TTL PROTO_DHCP_TTL, ID 0 and DF: never
 * fragmented), UDP with its checksum, BOOTP, the options (53 first, then
 * those m has, then end), padded to PROTO_DHCP_MIN_LEN. Option 52 is
 * never written. Returns the frame's length, or 0 if it does not fit in
 * cap or m cannot be sent (no message type, op not 1 or 2, more than
 * PROTO_DHCP_MAX_DNS servers, a list longer than PROTO_DHCP_OPT_MAX). A
 * frame of PROTO_DHCP_MAX_FRAME bytes always holds what is buildable.
 */
size_t dhcp_build(const struct dhcp_msg *m, uint8_t *buf, size_t cap);

/* "truncated", "bad-udp-checksum", ...: for logs and counters. */
const char *dhcp_err_name(enum dhcp_err e);
/* "DISCOVER", ..., "INFORM"; "?" for another value. */
const char *dhcp_type_name(unsigned type);

/* a.b.c.d of a host-order address, into out (16 bytes). */
#define DHCP_IP_STR 16u
void dhcp_format_ip(uint32_t ip, char out[DHCP_IP_STR]);
/* A netmask's prefix length (0..32), or -1 if its ones are not
 * contiguous. */
int dhcp_mask_prefix(uint32_t mask);
/* Strictly a.b.c.d (each 0..255, no leading zeros but "0"): 0, or -1. */
int dhcp_parse_ip(const char *s, uint32_t *ip);

#endif
