/*
 * switch.c: the switching engine: the frame parser, the per-port security
 * policy, the keyed MAC table (learning, aging, moves, port removal), IP
 * learning and DHCP snooping into the IP table, and the forwarding verdict.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "switch.h"
#include "iptable.h"
#include "oahash.h"
#include "proto.h"
#include "vnet.h"

#define SW_INIT_SLOTS    1024u
#define SW_ETH_DST       0u
#define SW_ETH_SRC       6u
#define SW_ETH_TYPE      12u
#define SW_MAC_LEN       6u
#define SW_MAC_GROUP     0x01u  /* I/G bit of the first octet */

/* Frame formats the policies look into. */
#define SW_ETYPE_LEN     2u
#define SW_TAG_LEN       4u     /* TPID and TCI */
#define SW_MAX_TAGS      2u     /* 802.1Q, or 802.1ad + 802.1Q */
#define SW_ETYPE_IPV4    0x0800u
#define SW_ETYPE_ARP     0x0806u
#define SW_ETYPE_VLAN    0x8100u
#define SW_ETYPE_IPV6    0x86ddu
#define SW_ETYPE_QINQ    0x88a8u
#define SW_ETYPE_QINQ_OLD 0x9100u

#define SW_ARP_LEN       28u    /* IPv4 over Ethernet */
#define SW_ARP_HTYPE_ETH 1u
#define SW_ARP_PTYPE     2u
#define SW_ARP_HLEN      4u
#define SW_ARP_PLEN      5u
#define SW_ARP_SHA       8u
#define SW_ARP_SPA       14u
#define SW_IP4_LEN       4u

#define SW_IP4_HDR       20u
#define SW_IP4_VERSION   4u
#define SW_IP4_IHL_UNIT  4u
#define SW_IP4_TOTLEN    2u
#define SW_IP4_FRAG      6u
#define SW_IP4_FRAG_MASK 0x1fffu /* fragment offset */
#define SW_IP4_PROTO     9u
#define SW_IP4_SRC       12u
#define SW_IP4_CLASS_D   0xe0u  /* first octet from here on: no host */

#define SW_IP6_HDR       40u
#define SW_IP6_VERSION   6u
#define SW_IP6_PLEN      4u
#define SW_IP6_NEXT      6u
#define SW_IP6_SRC       8u
#define SW_IP6_MCAST     0xffu
#define SW_IP6_MAX_EXT   8u     /* extension headers followed */
#define SW_IP6_EXT_UNIT  8u
#define SW_IP6_AH_UNIT   4u
#define SW_IP6_AH_EXTRA  2u
#define SW_IP6_FRAG_LEN  8u
#define SW_IP6_FRAG_OFF  2u
#define SW_IP6_FRAG_SHIFT 3u

#define SW_PROTO_HOPOPT  0u
#define SW_PROTO_UDP     17u
#define SW_PROTO_ROUTING 43u
#define SW_PROTO_FRAG    44u
#define SW_PROTO_AH      51u
#define SW_PROTO_ICMP6   58u
#define SW_PROTO_DSTOPTS 60u
#define SW_ICMP6_RA      134u
#define SW_ICMP6_NS      135u
#define SW_ICMP6_NA      136u
#define SW_ICMP6_REDIRECT 137u
#define SW_ND_TARGET     8u     /* NS, NA: the address asked or claimed */
#define SW_ND_OPTS       24u
#define SW_ND_OPT_SLLA   1u     /* source link-layer address (NS) */
#define SW_ND_OPT_TLLA   2u     /* target link-layer address (NA) */
#define SW_ND_OPT_UNIT   8u

#define SW_UDP_HDR       8u
#define SW_UDP_LEN       4u
#define SW_DHCP_SERVER   67u
#define SW_DHCP_CLIENT   68u
#define SW_DHCP6_CLIENT  546u
#define SW_DHCP6_SERVER  547u
#define SW_DHCP6_RELAY_FORW 12u /* what a relay, not a server, sends */

#define SW_BOOTREQUEST   1u
#define SW_BOOTREPLY     2u
#define SW_BOOTP_HTYPE   1u
#define SW_BOOTP_HLEN    2u
#define SW_BOOTP_YIADDR  16u
#define SW_BOOTP_CHADDR  28u
#define SW_BOOTP_COOKIE  236u
#define SW_BOOTP_OPTIONS 240u
#define SW_DHCP_MAGIC    0x63825363u
#define SW_DHCP_OPT_PAD  0u
#define SW_DHCP_OPT_END  255u
#define SW_DHCP_OPT_LEASE 51u
#define SW_DHCP_OPT_TYPE 53u
#define SW_DHCP_ACK      5u
#define SW_DHCP_LEASE_FOREVER 0xffffffffu
/* RFC 2131 makes option 51 mandatory in an ACK to a REQUEST; without
 * it the binding lasts this long, and a renewal makes a new one. */
#define SW_DHCP_DEFAULT_LEASE_S 3600u
#define SW_MS_PER_S      1000u
/* How long a port trusts its last IPv4 source without the table: also
 * how late, at most, traffic refreshes that address's aging. */
#define SW_IP4_CACHE_MS  1000u

/* What the parser found, besides the public SW_META_* flags. */
#define SW_PKT_IP4       0x0200u /* ip4 is a source address (IPv4, ARP) */
#define SW_PKT_ARP       0x0400u
#define SW_PKT_IP6       0x0800u /* ip6 is a specified source address */
#define SW_PKT_DHCPC     0x1000u /* DHCPv4 client to server (68 -> 67) */
#define SW_PKT_DHCPS     0x2000u /* from a DHCP server (v4 or v6) */
#define SW_PKT_RA        0x4000u /* ICMPv6 router advertisement or redirect */
#define SW_PKT_NA        0x8000u /* nd_target is claimed (NA) */
#define SW_META_PUBLIC   (SW_META_DHCP | SW_META_OPAQUE)

/* What a port's policy asks sw_police() to test. */
#define SW_CHK_BCAST     0x001u
#define SW_CHK_DHCPF     0x002u
#define SW_CHK_DHCPS     0x004u
#define SW_CHK_RA        0x008u
#define SW_CHK_MAXMAC    0x010u
#define SW_CHK_DUPMAC    0x020u
#define SW_CHK_FORCE     0x040u
#define SW_CHK_MAXIP     0x080u
#define SW_CHK_DUPIP     0x100u
#define SW_CHK_MAXIP6    0x200u
#define SW_CHK_MAC       (SW_CHK_MAXMAC | SW_CHK_DUPMAC)
#define SW_CHK_IP4       (SW_CHK_FORCE | SW_CHK_MAXIP | SW_CHK_DUPIP)
#define SW_NO_DROP       SW_DROP_NREASONS

/*
 * The probe loop compares an entry's mac and used fields as one 64-bit
 * word, so they must be the first eight bytes of the entry.
 */
_Static_assert(offsetof(struct sw_mac_entry, mac) == 0, "mac first");
_Static_assert(offsetof(struct sw_mac_entry, used) == SW_MAC_LEN,
    "used right after mac");
_Static_assert(sizeof(((struct sw *)0)->hash_key) ==
    crypto_shorthash_KEYBYTES, "hash key is a SipHash key");

static const uint8_t sw_bcast[SW_MAC_LEN] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff
};

static const char *const sw_drop_names[SW_DROP_NREASONS] = {
	[SW_DROP_BAD_FRAME] = "bad-frame",
	[SW_DROP_SAME_PORT] = "same-port",
	[SW_DROP_MAX_MAC] = "max-mac",
	[SW_DROP_DUP_MAC] = "duplicate-mac",
	[SW_DROP_MAX_IP] = "max-ip",
	[SW_DROP_DUP_IP] = "duplicate-ip",
	[SW_DROP_NOT_DHCP_IP] = "not-dhcp-assigned",
	[SW_DROP_BROADCAST] = "broadcast",
	[SW_DROP_DHCP_SERVER] = "dhcp-server",
	[SW_DROP_DHCP_FILTERED] = "dhcp-filtered",
	[SW_DROP_ROUTER_ADVERT] = "router-advert",
	[SW_DROP_SPOOF] = "neighbor-spoof",
};

/* One parse of a frame. */
struct sw_pkt {
	uint32_t flags;            /* SW_META_* and SW_PKT_* */
	uint32_t ip4;              /* SW_PKT_IP4: network byte order */
	const uint8_t *ip6;        /* SW_PKT_IP6 */
	/* A MAC the frame names as the sender's besides its own source: ARP's
	 * sender hardware address, NS's source or NA's target link-layer
	 * address option. NULL if none. */
	const uint8_t *lla;
	const uint8_t *nd_target;  /* SW_PKT_NA: the address an NA claims */
	const uint8_t *bootp;      /* a BOOTREPLY's BOOTP message, or NULL */
	size_t bootp_len;
};

static inline uint64_t
sw_le64(const uint8_t *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	    (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 |
	    (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
	    (uint64_t)p[7] << 56;
}

static inline uint32_t
sw_be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static inline uint32_t
sw_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/*
 * SipHash-2-4 keyed with the hub's random key, so a peer that picks its
 * source MACs cannot aim them all at one probe chain. Measured against
 * the alternatives on the bench: a SipHash-2-4 specialised inline for
 * six-byte messages gained under 5%, not worth hand-rolled crypto;
 * SipHash-1-3 gained 15-20% at 10k MACs but trades away security margin,
 * and on big tables the slot cache misses dominate anyway. So: the
 * library's crypto_shorthash.
 */
static inline uint64_t
sw_hash(const uint8_t key[crypto_shorthash_KEYBYTES],
    const uint8_t mac[SW_MAC_LEN])
{
	uint8_t out[crypto_shorthash_BYTES];

	crypto_shorthash(out, mac, SW_MAC_LEN, key);
	return sw_le64(out);
}

static uint64_t
sw_slot_hash(const void *key, const void *slot)
{
	return sw_hash(key, ((const struct sw_mac_entry *)slot)->mac);
}

static const struct oah_type sw_mac_type = {
	sizeof(struct sw_mac_entry), offsetof(struct sw_mac_entry, used),
	sw_slot_hash
};

#if defined(__GNUC__) || defined(__clang__)
#define SW_PREFETCH(p) __builtin_prefetch(p)
#else
#define SW_PREFETCH(p) ((void)(p))
#endif

/* Both bytes set, so either is the slot's used flag in any byte order. */
#define SW_USED 0x0101u

/* The first eight bytes an entry for mac holds: the address, then used. */
static inline uint64_t
sw_mac_word(const uint8_t mac[SW_MAC_LEN])
{
	uint8_t b[sizeof(uint64_t)];
	uint16_t used = SW_USED;
	uint64_t w;

	memcpy(b, mac, SW_MAC_LEN);
	memcpy(b + SW_MAC_LEN, &used, sizeof used);
	memcpy(&w, b, sizeof w);
	return w;
}

static inline uint64_t
sw_entry_word(const struct sw_mac_entry *e)
{
	uint64_t w;

	memcpy(&w, e, sizeof w);
	return w;
}

/*
 * The slot holding word, or the empty slot ending its probe chain (where
 * it would be inserted). Always terminates: the load factor stays at or
 * below one half, so an empty slot exists.
 */
static inline struct sw_mac_entry *
sw_probe(const struct sw *h, uint64_t word, uint64_t hash)
{
	uint32_t mask = h->nslots - 1;
	uint32_t i = (uint32_t)hash & mask;
	struct sw_mac_entry *e;

	for (;;) {
		e = &h->slots[i];
		if (e->used == 0 || sw_entry_word(e) == word)
			return e;
		i = (i + 1) & mask;
	}
}

/* A clock that steps back must not flush the table, so a future stamp
 * counts as fresh. */
static inline int
sw_live(const struct sw *h, const struct sw_mac_entry *e, uint64_t now_ms)
{
	return now_ms < e->seen_ms || now_ms - e->seen_ms < h->aging_ms;
}

/* Remove every entry on port, or (port NULL) every expired entry. */
struct sw_sweep {
	struct sw *h;
	const struct sw_port *port;
	uint64_t now_ms;
};

static int
sw_doomed(void *arg, const void *slot)
{
	struct sw_sweep *s = arg;
	const struct sw_mac_entry *e = slot;

	if (s->port != NULL ? e->port != s->port : sw_live(s->h, e, s->now_ms))
		return 0;
	e->port->macs--;
	s->h->nmacs--;
	return 1;
}

static uint32_t
sw_sweep(struct sw *h, const struct sw_port *port, uint64_t now_ms)
{
	struct sw_sweep s = { h, port, now_ms };

	if (h->slots == NULL || h->nmacs == 0)
		return 0;
	return oah_sweep(&sw_mac_type, h->hash_key, h->slots, h->nslots,
	    sw_doomed, &s);
}

int
sw_init(struct sw *h, const char *name, uint32_t aging_ms, uint32_t max_macs)
{
	uint32_t nslots;

	memset(h, 0, sizeof *h);
	if (name != NULL)
		memcpy(h->name, name, strnlen(name, SW_NAME_MAX));
	TAILQ_INIT(&h->ports);
	TAILQ_INIT(&h->monitors);
	h->next_port_id = 1;
	h->aging_ms = aging_ms != 0 ? aging_ms : SW_DEFAULT_AGING_MS;
	if (max_macs == 0)
		max_macs = SW_DEFAULT_MAX_MACS;
	if (max_macs > OAH_MAX_ENTRIES)
		max_macs = OAH_MAX_ENTRIES;
	h->max_macs = max_macs;
	if (sodium_init() < 0)
		return -1;
	randombytes_buf(h->hash_key, sizeof h->hash_key);
	nslots = oah_slots_for(max_macs);
	if (nslots > SW_INIT_SLOTS)
		nslots = SW_INIT_SLOTS;
	if ((h->slots = calloc(nslots, sizeof *h->slots)) == NULL)
		return -1;
	h->nslots = nslots;
	if (iptable_init(&h->ips, 0, 0) == -1) {
		sw_free(h);
		return -1;
	}
	/* No port can fill the hub's table (or grow it) by itself. */
	h->ips.port_max = IPTABLE_PORT_MAX;
	return 0;
}

void
sw_free(struct sw *h)
{
	free(h->slots);
	h->slots = NULL;
	h->nslots = 0;
	h->nmacs = 0;
	iptable_free(&h->ips);
}

void
sw_port_add(struct sw *h, struct sw_port *p, const struct sw_port_ops *ops,
    void *owner)
{
	p->hub = h;
	p->ops = ops;
	p->owner = owner;
	p->id = h->next_port_id++;
	p->macs = p->ip4s = p->ip6s = 0;
	p->ip4_last = 0;
	p->ip4_until = p->ip4_gen = 0;
	p->rx_frames = p->rx_bytes = p->drop_frames = 0;
	memset(p->drops, 0, sizeof p->drops);
	sw_port_set_policy(p, NULL);
	TAILQ_INSERT_TAIL(&h->ports, p, entry);
	h->nports++;
}

void
sw_port_set_policy(struct sw_port *p, const struct sw_policy *pol)
{
	uint32_t c = 0;

	p->policy = pol;
	p->egress_deny = 0;
	p->mac_cap = pol != NULL && pol->max_mac != 0 ? pol->max_mac :
	    SW_PORT_MAX_MACS;
	p->ip4_until = 0;       /* what passed before may not pass now */
	if (pol != NULL) {
		c |= pol->deny_broadcast ? SW_CHK_BCAST : 0;
		c |= pol->filter_dhcp ? SW_CHK_DHCPF : 0;
		c |= pol->deny_dhcp_server ? SW_CHK_DHCPS : 0;
		c |= pol->ipv6_ra_filter ? SW_CHK_RA : 0;
		c |= pol->max_mac != 0 ? SW_CHK_MAXMAC : 0;
		c |= pol->deny_duplicate_mac ? SW_CHK_DUPMAC : 0;
		c |= pol->force_dhcp_ip ? SW_CHK_FORCE : 0;
		c |= pol->max_ip != 0 ? SW_CHK_MAXIP : 0;
		c |= pol->deny_duplicate_ip ? SW_CHK_DUPIP : 0;
		c |= pol->max_ip6 != 0 ? SW_CHK_MAXIP6 : 0;
		/* What cannot be parsed might be DHCP. */
		if (pol->filter_dhcp)
			p->egress_deny = SW_META_DHCP | SW_META_OPAQUE;
	}
	p->checks = c;
}

void
sw_port_set_mac_cap(struct sw_port *p, uint32_t n)
{
	p->mac_cap = n;
}

uint32_t
sw_port_remove(struct sw *h, struct sw_port *p)
{
	uint32_t n;

	if (p == NULL || p->hub != h)
		return 0;
	n = sw_sweep(h, p, 0);
	iptable_port_remove(&h->ips, p);
	TAILQ_REMOVE(&h->ports, p, entry);
	h->nports--;
	p->hub = NULL;
	return n;
}

void
sw_monitor_add(struct sw *h, struct sw_port *p, const struct sw_port_ops *ops,
    void *owner)
{
	memset(p, 0, sizeof *p);
	p->hub = h;
	p->ops = ops;
	p->owner = owner;
	p->id = h->next_port_id++;
	TAILQ_INSERT_TAIL(&h->monitors, p, entry);
	h->nmonitors++;
}

void
sw_monitor_remove(struct sw *h, struct sw_port *p)
{
	if (p == NULL || p->hub != h)
		return;
	TAILQ_REMOVE(&h->monitors, p, entry);
	h->nmonitors--;
	p->hub = NULL;
}

/* A forwarded frame, once, to every monitor (offload metadata and all). */
static void
sw_monitor(struct sw *h, const struct vnet_meta *vm, const uint8_t *frame,
    size_t len)
{
	struct sw_port *p;

	TAILQ_FOREACH(p, &h->monitors, entry)
		p->ops->output(p, vm, frame, len);
}

static void
sw_count_drop(struct sw *h, struct sw_port *p, enum sw_drop_reason r)
{
	p->drop_frames++;
	p->drops[r]++;
	h->stats.drops[r]++;
}

static enum sw_verdict
sw_drop(struct sw *h, struct sw_port *src, struct sw_meta *m,
    enum sw_drop_reason r)
{
	sw_count_drop(h, src, r);
	h->stats.dropped++;
	if (m != NULL) {
		m->dst = NULL;
		m->why = r;
	}
	return SW_DROP;
}

int
sw_egress_drop(struct sw_port *dst, const struct sw_meta *m)
{
	if (dst->hub != NULL)
		sw_count_drop(dst->hub, dst, m->flags & SW_META_DHCP ?
		    SW_DROP_DHCP_FILTERED : SW_DROP_BAD_FRAME);
	return 0;
}

/* ---- Parsing ----------------------------------------------------------- */

static void
sw_parse_udp(const uint8_t *u, size_t len, int v6, struct sw_pkt *pk)
{
	uint32_t sport, dport, ulen;
	const uint8_t *pay;
	size_t plen;

	if (len < SW_UDP_HDR) {
		pk->flags |= SW_META_OPAQUE;
		return;
	}
	sport = sw_be16(u);
	dport = sw_be16(u + 2);
	ulen = sw_be16(u + SW_UDP_LEN);
	/* Fragments and GSO frames may be longer than one datagram says. */
	if (ulen < SW_UDP_HDR) {
		pk->flags |= SW_META_OPAQUE;
		return;
	}
	pay = u + SW_UDP_HDR;
	plen = (ulen < len ? ulen : len) - SW_UDP_HDR;
	if (!v6) {
		if (sport != SW_DHCP_SERVER && sport != SW_DHCP_CLIENT &&
		    dport != SW_DHCP_SERVER && dport != SW_DHCP_CLIENT)
			return;
		pk->flags |= SW_META_DHCP;
		if (sport == SW_DHCP_CLIENT && dport == SW_DHCP_SERVER)
			pk->flags |= SW_PKT_DHCPC;
		/* A relay sends requests from port 67 too; anything else
		 * from there, readable or not, counts as a server's. */
		if (sport == SW_DHCP_SERVER &&
		    (plen == 0 || pay[0] != SW_BOOTREQUEST)) {
			pk->flags |= SW_PKT_DHCPS;
			if (plen > 0 && pay[0] == SW_BOOTREPLY) {
				pk->bootp = pay;
				pk->bootp_len = plen;
			}
		}
		return;
	}
	if (sport != SW_DHCP6_CLIENT && sport != SW_DHCP6_SERVER &&
	    dport != SW_DHCP6_CLIENT && dport != SW_DHCP6_SERVER)
		return;
	pk->flags |= SW_META_DHCP;
	if (sport == SW_DHCP6_SERVER &&
	    (plen == 0 || pay[0] != SW_DHCP6_RELAY_FORW))
		pk->flags |= SW_PKT_DHCPS;
}

static void
sw_parse_arp(const uint8_t *a, size_t len, struct sw_pkt *pk)
{
	if (len < SW_ARP_PTYPE + SW_ETYPE_LEN ||
	    sw_be16(a + SW_ARP_PTYPE) != SW_ETYPE_IPV4)
		return;         /* not about IPv4: nothing to police */
	if (len < SW_ARP_LEN || sw_be16(a) != SW_ARP_HTYPE_ETH ||
	    a[SW_ARP_HLEN] != SW_MAC_LEN || a[SW_ARP_PLEN] != SW_IP4_LEN) {
		pk->flags |= SW_META_OPAQUE;
		return;
	}
	memcpy(&pk->ip4, a + SW_ARP_SPA, SW_IP4_LEN);
	pk->lla = a + SW_ARP_SHA;
	pk->flags |= SW_PKT_IP4 | SW_PKT_ARP;
}

static void
sw_parse_ip4(const uint8_t *ip, size_t len, struct sw_pkt *pk)
{
	size_t hl, tot;

	if (len < SW_IP4_HDR || ip[0] >> 4 != SW_IP4_VERSION) {
		pk->flags |= SW_META_OPAQUE;
		return;
	}
	hl = (size_t)(ip[0] & 0x0f) * SW_IP4_IHL_UNIT;
	tot = sw_be16(ip + SW_IP4_TOTLEN);
	if (hl < SW_IP4_HDR || hl > len || tot < hl) {
		pk->flags |= SW_META_OPAQUE;
		return;
	}
	if (tot > len)
		tot = len;      /* truncated: its receiver drops it */
	memcpy(&pk->ip4, ip + SW_IP4_SRC, SW_IP4_LEN);
	pk->flags |= SW_PKT_IP4;
	/* Later fragments carry no UDP header; the first one does. */
	if (ip[SW_IP4_PROTO] == SW_PROTO_UDP &&
	    (sw_be16(ip + SW_IP4_FRAG) & SW_IP4_FRAG_MASK) == 0)
		sw_parse_udp(ip + hl, tot - hl, 0, pk);
}

/*
 * Neighbour discovery: the address an advertisement claims, and the
 * link-layer address option a solicitation or advertisement gives.
 */
static void
sw_parse_nd(const uint8_t *icmp, size_t len, struct sw_pkt *pk)
{
	unsigned want = icmp[0] == SW_ICMP6_NS ? SW_ND_OPT_SLLA :
	    SW_ND_OPT_TLLA;
	size_t off = SW_ND_OPTS, olen;

	if (len < SW_ND_OPTS)
		return;     /* its receiver drops it (RFC 4861 7.1) */
	if (icmp[0] == SW_ICMP6_NA) {
		pk->nd_target = icmp + SW_ND_TARGET;
		pk->flags |= SW_PKT_NA;
	}
	while (len - off >= 2) {
		/* An option of length 0 or past the end makes the receiver
		 * drop the whole message: what follows cannot matter. */
		olen = (size_t)icmp[off + 1] * SW_ND_OPT_UNIT;
		if (olen == 0 || olen > len - off)
			return;
		if (icmp[off] == want && olen >= 2 + SW_MAC_LEN)
			pk->lla = icmp + off + 2;
		off += olen;
	}
}

/*
 * Follows up to SW_IP6_MAX_EXT extension headers to the upper layer, so
 * that none can hide a router advertisement or DHCPv6 (RFC 7113); a chain
 * that is longer, or cut short, makes the frame opaque.
 */
static void
sw_parse_ip6(const uint8_t *ip, size_t len, struct sw_pkt *pk)
{
	static const uint8_t unspecified[IPTABLE_V6_LEN];
	size_t off = SW_IP6_HDR, end, hl;
	unsigned nh, i;

	if (len < SW_IP6_HDR || ip[0] >> 4 != SW_IP6_VERSION) {
		pk->flags |= SW_META_OPAQUE;
		return;
	}
	if (memcmp(ip + SW_IP6_SRC, unspecified, IPTABLE_V6_LEN) != 0) {
		pk->ip6 = ip + SW_IP6_SRC;
		pk->flags |= SW_PKT_IP6;
	}
	end = SW_IP6_HDR + sw_be16(ip + SW_IP6_PLEN);
	if (end > len)
		end = len;
	nh = ip[SW_IP6_NEXT];
	for (i = 0; i <= SW_IP6_MAX_EXT; i++) {
		switch (nh) {
		case SW_PROTO_ICMP6:
			if (off >= end)
				break;
			if (ip[off] == SW_ICMP6_RA ||
			    ip[off] == SW_ICMP6_REDIRECT)
				pk->flags |= SW_PKT_RA;
			else if (ip[off] == SW_ICMP6_NS ||
			    ip[off] == SW_ICMP6_NA)
				sw_parse_nd(ip + off, end - off, pk);
			return;
		case SW_PROTO_UDP:
			sw_parse_udp(ip + off, end - off, 1, pk);
			return;
		case SW_PROTO_HOPOPT:
		case SW_PROTO_ROUTING:
		case SW_PROTO_DSTOPTS:
		case SW_PROTO_AH:
			if (end - off < SW_ETYPE_LEN)
				break;
			hl = nh == SW_PROTO_AH ? ((size_t)ip[off + 1] +
			    SW_IP6_AH_EXTRA) * SW_IP6_AH_UNIT :
			    ((size_t)ip[off + 1] + 1) * SW_IP6_EXT_UNIT;
			if (end - off < hl)
				break;
			nh = ip[off];
			off += hl;
			continue;
		case SW_PROTO_FRAG:
			if (end - off < SW_IP6_FRAG_LEN)
				break;
			if (sw_be16(ip + off + SW_IP6_FRAG_OFF) >>
			    SW_IP6_FRAG_SHIFT != 0)
				return;     /* not the first fragment */
			nh = ip[off];
			off += SW_IP6_FRAG_LEN;
			continue;
		default:
			return;     /* TCP, ESP, no next header, ... */
		}
		break;
	}
	pk->flags |= SW_META_OPAQUE;
}

static inline void
sw_parse(const uint8_t *f, size_t len, struct sw_pkt *pk)
{
	size_t off = SW_ETH_TYPE;
	uint32_t type, tags = 0;

	pk->flags = 0;
	pk->ip4 = 0;
	pk->ip6 = NULL;
	pk->lla = NULL;
	pk->nd_target = NULL;
	pk->bootp = NULL;
	pk->bootp_len = 0;
	type = sw_be16(f + off);
	while (type == SW_ETYPE_VLAN || type == SW_ETYPE_QINQ ||
	    type == SW_ETYPE_QINQ_OLD) {
		off += SW_TAG_LEN;
		if (++tags > SW_MAX_TAGS || len < off + SW_ETYPE_LEN) {
			pk->flags |= SW_META_OPAQUE;
			return;
		}
		type = sw_be16(f + off);
	}
	off += SW_ETYPE_LEN;
	switch (type) {
	case SW_ETYPE_IPV4:
		sw_parse_ip4(f + off, len - off, pk);
		break;
	case SW_ETYPE_ARP:
		sw_parse_arp(f + off, len - off, pk);
		break;
	case SW_ETYPE_IPV6:
		sw_parse_ip6(f + off, len - off, pk);
		break;
	default:
		break;
	}
}

/* Unicast host addresses: not 0.0.0.0, multicast, class E or broadcast. */
static inline int
sw_ip4_host(uint32_t a)
{
	const uint8_t *b = (const uint8_t *)&a;

	return a != 0 && b[0] < SW_IP4_CLASS_D;
}

/* ---- Policy and learning ------------------------------------------------ */

/* The IP table slots a frame's source addresses probe to. */
struct sw_ipslots {
	uint64_t h4, h6;
	struct iptable_e4 *e4;     /* a host IPv4 source not known own */
	struct iptable_e6 *e6;     /* NULL unless a unicast IPv6 source */
	int own4;                  /* the port's cached own IPv4 source */
	uint64_t ht;
	struct iptable_e6 *et;     /* an NA's target, when policed */
};

/*
 * The source port's policy against the parsed frame; e is the probe of
 * the source MAC. Returns SW_NO_DROP or why to drop. Reads only.
 */
static enum sw_drop_reason
sw_police(const struct sw *h, const struct sw_port *src,
    const uint8_t *dmac, const struct sw_pkt *pk,
    const struct sw_mac_entry *e,
    const struct sw_ipslots *ip, uint64_t now_ms)
{
	const struct sw_policy *pol = src->policy;
	const struct iptable *t = &h->ips;
	uint32_t c = src->checks;
	int mine;

	if (pk->flags & SW_META_OPAQUE)
		return SW_DROP_BAD_FRAME;
	if ((c & SW_CHK_BCAST) && memcmp(dmac, sw_bcast, SW_MAC_LEN) == 0)
		return SW_DROP_BROADCAST;
	if ((c & SW_CHK_DHCPF) && (pk->flags & SW_META_DHCP))
		return SW_DROP_DHCP_FILTERED;
	if ((c & SW_CHK_DHCPS) && (pk->flags & SW_PKT_DHCPS))
		return SW_DROP_DHCP_SERVER;
	if ((c & SW_CHK_RA) && (pk->flags & SW_PKT_RA))
		return SW_DROP_ROUTER_ADVERT;
	if ((c & SW_CHK_MAC) && !(e->used && e->port == src)) {
		if ((c & SW_CHK_DUPMAC) && e->used && sw_live(h, e, now_ms))
			return SW_DROP_DUP_MAC;
		/* A MAC the full table could not count is over the limit. */
		if ((c & SW_CHK_MAXMAC) && (src->macs >= pol->max_mac ||
		    (!e->used && h->nmacs >= h->max_macs)))
			return SW_DROP_MAX_MAC;
	}
	if ((c & SW_CHK_IP4) && (pk->flags & SW_PKT_IP4)) {
		if (pk->ip4 == 0) {
			/* Only DHCP and ARP probes speak before DHCP. */
			if ((c & SW_CHK_FORCE) &&
			    !(pk->flags & (SW_PKT_ARP | SW_PKT_DHCPC)))
				return SW_DROP_NOT_DHCP_IP;
		} else if (ip->own4) {
			;           /* passed before, and nothing changed */
		} else if (ip->e4 == NULL) {
			return SW_DROP_BAD_FRAME;
		} else {
			const struct iptable_e4 *i4 = ip->e4;
			int live = i4->used &&
			    iptable_live(i4->expiry_ms, now_ms);

			mine = i4->used && i4->port == src;
			if ((c & SW_CHK_FORCE) && !(mine && live &&
			    i4->source == IPTABLE_DHCP))
				return SW_DROP_NOT_DHCP_IP;
			if ((c & SW_CHK_DUPIP) && live && !mine)
				return SW_DROP_DUP_IP;
			if ((c & SW_CHK_MAXIP) && !mine &&
			    (src->ip4s >= pol->max_ip ||
			    (!i4->used && t->n4 >= t->max_entries)))
				return SW_DROP_MAX_IP;
		}
	}
	if ((c & SW_CHK_DUPIP) && (pk->flags & SW_PKT_IP6)) {
		if (ip->e6 == NULL)
			return SW_DROP_BAD_FRAME;
		if (ip->e6->used && ip->e6->port != src &&
		    iptable_live(ip->e6->expiry_ms, now_ms))
			return SW_DROP_DUP_IP;
	}
	if (c & SW_CHK_DUPIP) {
		/* ARP and ND speak for the sender: the MAC they name must be
		 * the frame's own source (dmac starts the frame), and an
		 * advertisement may not claim an address another port holds. */
		if (pk->lla != NULL &&
		    memcmp(pk->lla, dmac + SW_ETH_SRC, SW_MAC_LEN) != 0)
			return SW_DROP_SPOOF;
		if (ip->et != NULL && ip->et->used && ip->et->port != src &&
		    iptable_live(ip->et->expiry_ms, now_ms))
			return SW_DROP_DUP_IP;
	}
	if ((c & SW_CHK_MAXIP6) && ip->e6 != NULL &&
	    !(ip->e6->used && ip->e6->port == src) &&
	    src->ip6s >= pol->max_ip6)
		return SW_DROP_MAX_IP;
	return SW_NO_DROP;
}

/* e is the probe of mac, unchanged since. */
static void
sw_learn(struct sw *h, struct sw_port *src, struct sw_mac_entry *e,
    const uint8_t *mac, uint64_t hash, uint64_t now_ms)
{
	void *slots;

	if (e->used) {
		e->seen_ms = now_ms;
		if (e->port != src) {
			e->port->macs--;
			src->macs++;
			e->port = src;
			h->stats.moved++;
		}
		return;
	}
	/* Stale entries still count until sw_age runs: reclaiming them
	 * here would cost a scan per frame while a flood keeps it full. */
	if (h->nmacs >= h->max_macs) {
		h->stats.table_full++;
		return;
	}
	if ((uint64_t)(h->nmacs + 1) * 2 > h->nslots) {
		slots = h->slots;
		if (oah_resize(&sw_mac_type, h->hash_key, &slots, &h->nslots,
		    h->nslots * 2) == -1) {
			h->stats.table_full++;
			return;
		}
		h->slots = slots;
		e = sw_probe(h, sw_mac_word(mac), hash);
	}
	memcpy(e->mac, mac, SW_MAC_LEN);
	e->used = SW_USED;
	e->pad = 0;
	e->seen_ms = now_ms;
	e->port = src;
	src->macs++;
	h->nmacs++;
	h->stats.learned++;
}

/*
 * A DHCP ACK that passed its port's policy binds the address it gives to
 * the port behind the client's MAC; never to the port the ACK came from,
 * nor to a port that is not to see DHCP at all.
 */
static void
sw_snoop(struct sw *h, const struct sw_port *src, const struct sw_pkt *pk,
    uint64_t now_ms)
{
	const uint8_t *b = pk->bootp;
	size_t len = pk->bootp_len, i, olen;
	uint32_t type = 0, lease = SW_DHCP_DEFAULT_LEASE_S, yiaddr;
	struct sw_port *owner;
	uint64_t expiry;

	if (len < SW_BOOTP_OPTIONS ||
	    b[SW_BOOTP_HTYPE] != SW_ARP_HTYPE_ETH ||
	    b[SW_BOOTP_HLEN] != SW_MAC_LEN ||
	    sw_be32(b + SW_BOOTP_COOKIE) != SW_DHCP_MAGIC)
		return;
	for (i = SW_BOOTP_OPTIONS; i < len;) {
		if (b[i] == SW_DHCP_OPT_PAD) {
			i++;
			continue;
		}
		if (b[i] == SW_DHCP_OPT_END)
			break;
		if (len - i < 2 || len - i - 2 < (olen = b[i + 1]))
			return;     /* cut short: no client takes it */
		if (b[i] == SW_DHCP_OPT_TYPE && olen == 1)
			type = b[i + 2];
		else if (b[i] == SW_DHCP_OPT_LEASE && olen == SW_IP4_LEN)
			lease = sw_be32(b + i + 2);
		i += 2 + olen;
	}
	memcpy(&yiaddr, b + SW_BOOTP_YIADDR, SW_IP4_LEN);
	if (type != SW_DHCP_ACK || !sw_ip4_host(yiaddr))
		return;
	owner = sw_mac_lookup(h, b + SW_BOOTP_CHADDR, now_ms);
	if (owner == NULL || owner == src ||
	    (owner->egress_deny & SW_META_DHCP))
		return;
	expiry = lease == SW_DHCP_LEASE_FOREVER ? UINT64_MAX :
	    now_ms + (uint64_t)lease * SW_MS_PER_S;
	if (expiry < now_ms)
		expiry = UINT64_MAX;
	iptable_bind4(&h->ips, yiaddr, owner, expiry);
}

/* Where the frame's source addresses stand in the IP table (skipped for
 * an IPv4 source the port recently proved its own). */
static void
sw_ip_probe(struct sw *h, const struct sw_port *src, const struct sw_pkt *pk,
    uint64_t now_ms, struct sw_ipslots *ip)
{
	struct iptable *t = &h->ips;

	if ((pk->flags & SW_PKT_IP4) && sw_ip4_host(pk->ip4)) {
		if (pk->ip4 == src->ip4_last && now_ms < src->ip4_until &&
		    src->ip4_gen == t->gen) {
			ip->own4 = 1;
		} else {
			ip->h4 = iptable_hash4(t, pk->ip4);
			ip->e4 = iptable_probe4(t, pk->ip4, ip->h4);
		}
	}
	if ((pk->flags & SW_PKT_IP6) && pk->ip6[0] != SW_IP6_MCAST) {
		ip->h6 = iptable_hash6(t, pk->ip6);
		ip->e6 = iptable_probe6(t, pk->ip6, ip->h6);
	}
	/* Advertisements are rare: every port's teach the table. */
	if ((pk->flags & SW_PKT_NA) && pk->nd_target[0] != SW_IP6_MCAST) {
		ip->ht = iptable_hash6(t, pk->nd_target);
		ip->et = iptable_probe6(t, pk->nd_target, ip->ht);
	}
}

/* The frame passed: its source addresses now belong to src. */
static void
sw_ip_learn(struct sw *h, struct sw_port *src, const struct sw_pkt *pk,
    const struct sw_ipslots *ip, uint64_t now_ms)
{
	struct iptable *t = &h->ips;
	const struct iptable_e4 *own;

	if (ip->e4 != NULL && (own = iptable_learn4(t, ip->e4, pk->ip4,
	    ip->h4, src, now_ms)) != NULL) {
		src->ip4_last = pk->ip4;
		src->ip4_gen = t->gen;
		src->ip4_until = own->expiry_ms - now_ms > SW_IP4_CACHE_MS ?
		    now_ms + SW_IP4_CACHE_MS : own->expiry_ms;
	}
	if (ip->e6 != NULL)
		iptable_learn6(t, ip->e6, pk->ip6, ip->h6, src, now_ms);
	/* An advertisement that passed: the address it claims is its port's
	 * (probed again: learning the source may have grown the table). */
	if (ip->et != NULL && (ip->e6 == NULL || memcmp(pk->nd_target,
	    pk->ip6, IPTABLE_V6_LEN) != 0)) {
		struct iptable_e6 *et = iptable_probe6(t, pk->nd_target,
		    ip->ht);
		iptable_learn6(t, et, pk->nd_target, ip->ht, src, now_ms);
	}
}

/* A unicast destination: the port it is behind, or a flood if unknown. */
static enum sw_verdict
sw_unicast(struct sw *h, struct sw_port *src, const uint8_t *dmac,
    uint64_t dhash, uint64_t now_ms, struct sw_meta *m)
{
	/* Probed after learning: a resize may have moved the slot. */
	struct sw_mac_entry *e = sw_probe(h, sw_mac_word(dmac), dhash);

	if (!e->used || !sw_live(h, e, now_ms)) {
		h->stats.flooded++;
		return SW_FLOOD;
	}
	if (e->port == src)
		return sw_drop(h, src, m, SW_DROP_SAME_PORT);
	if (!sw_egress_ok(e->port, m)) {
		h->stats.dropped++;
		m->why = m->flags & SW_META_DHCP ? SW_DROP_DHCP_FILTERED :
		    SW_DROP_BAD_FRAME;
		return SW_DROP;
	}
	m->dst = e->port;
	h->stats.unicast++;
	return SW_UNICAST;
}

enum sw_verdict
sw_input(struct sw *h, struct sw_port *src, const uint8_t *frame,
    size_t len, uint64_t now_ms, struct sw_meta *m)
{
	static const uint8_t zero[SW_MAC_LEN];
	const uint8_t *dmac, *smac;
	struct sw_mac_entry *e;
	struct sw_ipslots ip = { 0, 0, NULL, NULL, 0, 0, NULL };
	struct sw_pkt pk;
	enum sw_drop_reason why;
	uint64_t shash, dhash = 0;
	int unicast;

	if (m != NULL) {
		m->dst = NULL;
		m->flags = 0;
		m->why = SW_DROP_BAD_FRAME;
	}
	if (h == NULL || src == NULL)
		return SW_DROP;
	src->rx_frames++;
	src->rx_bytes += len;
	h->stats.frames_in++;
	/* A detached port or a freed hub must not plant dangling entries. */
	if (frame == NULL || len < PROTO_ETH_HDR || m == NULL ||
	    src->hub != h || h->slots == NULL)
		return sw_drop(h, src, m, SW_DROP_BAD_FRAME);
	dmac = frame + SW_ETH_DST;
	smac = frame + SW_ETH_SRC;
	if ((smac[0] & SW_MAC_GROUP) || memcmp(smac, zero, SW_MAC_LEN) == 0)
		return sw_drop(h, src, m, SW_DROP_BAD_FRAME);

	/* On big tables every slot is a cache miss: start fetching them
	 * together, while the other hashes are still being computed. */
	shash = sw_hash(h->hash_key, smac);
	SW_PREFETCH(&h->slots[(uint32_t)shash & (h->nslots - 1)]);
	unicast = !(dmac[0] & SW_MAC_GROUP);
	if (unicast) {
		dhash = sw_hash(h->hash_key, dmac);
		SW_PREFETCH(&h->slots[(uint32_t)dhash & (h->nslots - 1)]);
	}
	sw_parse(frame, len, &pk);
	m->flags = pk.flags & SW_META_PUBLIC;
	sw_ip_probe(h, src, &pk, now_ms, &ip);
	e = sw_probe(h, sw_mac_word(smac), shash);
	if (src->checks != 0 &&
	    (why = sw_police(h, src, dmac, &pk, e, &ip, now_ms)) !=
	    SW_NO_DROP)
		return sw_drop(h, src, m, why);
	/* A new MAC (or one moving here) past the port's cap. */
	if (!(e->used && e->port == src) && src->macs >= src->mac_cap)
		return sw_drop(h, src, m, SW_DROP_MAX_MAC);

	sw_learn(h, src, e, smac, shash, now_ms);
	sw_ip_learn(h, src, &pk, &ip, now_ms);
	if (pk.bootp != NULL)
		sw_snoop(h, src, &pk, now_ms);

	if (unicast)
		return sw_unicast(h, src, dmac, dhash, now_ms, m);
	h->stats.flooded++;
	return SW_FLOOD;
}

/* sw_forward for one segment of a super-frame switched segment by segment. */
struct sw_seg_ctx {
	struct sw *h;
	struct sw_port *src;
	uint64_t now_ms;
};

static int
sw_forward_seg(void *arg, const uint8_t *f, size_t len)
{
	struct sw_seg_ctx *c = arg;

	sw_forward(c->h, c->src, NULL, f, len, c->now_ms);
	return 0;
}

/*
 * Whether a super-frame's segments all get the verdict the super-frame
 * gets from its headers: true of TCP (the policies read no TCP payload),
 * not of UDP to or from a DHCP port, whose verdict and snooping read each
 * datagram's payload. vm has passed vnet_check: csum_start is the L4
 * header.
 */
static int
sw_gso_uniform(const struct vnet_meta *vm, const uint8_t *f)
{
	uint32_t sport, dport;

	if ((vm->gso_type & ~VNET_GSO_ECN) != VNET_GSO_UDP_L4)
		return 1;
	sport = sw_be16(f + vm->csum_start);
	dport = sw_be16(f + vm->csum_start + 2);
	return sport != SW_DHCP_SERVER && sport != SW_DHCP_CLIENT &&
	    dport != SW_DHCP_SERVER && dport != SW_DHCP_CLIENT &&
	    sport != SW_DHCP6_CLIENT && sport != SW_DHCP6_SERVER &&
	    dport != SW_DHCP6_CLIENT && dport != SW_DHCP6_SERVER;
}

void
sw_forward(struct sw *h, struct sw_port *src, const struct vnet_meta *vm,
    const uint8_t *frame, size_t len, uint64_t now_ms)
{
	static uint8_t scratch[VNET_FRAME_MAX];	/* one loop per process */
	struct sw_port *p;
	struct sw_meta m;
	enum sw_verdict v;

	/* Metadata that does not fit its frame: a bad frame like any. */
	if (vm != NULL && vnet_check(vm, frame, len, PROTO_ETH_MAX_FRAME) !=
	    VNET_OK) {
		src->rx_frames++;
		src->rx_bytes += len;
		h->stats.frames_in++;
		sw_drop(h, src, NULL, SW_DROP_BAD_FRAME);
		return;
	}
	if (vm != NULL && vnet_meta_plain(vm))
		vm = NULL;
	if (vm != NULL && (vm->gso_type & ~VNET_GSO_ECN) != VNET_GSO_NONE &&
	    !sw_gso_uniform(vm, frame)) {
		struct sw_seg_ctx c = { h, src, now_ms };
		vnet_undo(vm, frame, len, scratch, sw_forward_seg, &c);
		return;
	}
	v = sw_input(h, src, frame, len, now_ms, &m);
	/* The whole cost of capture support while none runs. */
	if (TAILQ_FIRST(&h->monitors) != NULL && v != SW_DROP)
		sw_monitor(h, vm, frame, len);
	switch (v) {
	case SW_UNICAST:
		m.dst->ops->output(m.dst, vm, frame, len);
		break;
	case SW_FLOOD:
		TAILQ_FOREACH(p, &h->ports, entry)
			if (p != src && sw_egress_ok(p, &m))
				p->ops->output(p, vm, frame, len);
		break;
	default:
		break;
	}
}

uint32_t
sw_age(struct sw *h, uint64_t now_ms)
{
	uint32_t n = sw_sweep(h, NULL, now_ms);

	h->stats.aged += n;
	iptable_age(&h->ips, now_ms);
	return n;
}

struct sw_port *
sw_mac_lookup(struct sw *h, const uint8_t mac[6], uint64_t now_ms)
{
	struct sw_mac_entry *e;

	if (h->slots == NULL || mac == NULL)
		return NULL;
	e = sw_probe(h, sw_mac_word(mac), sw_hash(h->hash_key, mac));
	if (e->used == 0 || !sw_live(h, e, now_ms))
		return NULL;
	return e->port;
}

/* fn must not change the table: an insert or removal reorders slots. */
int
sw_mac_delete(struct sw *h, const uint8_t mac[6])
{
	struct sw_mac_entry *e;

	if (h->slots == NULL || h->nmacs == 0)
		return 0;
	e = sw_probe(h, sw_mac_word(mac), sw_hash(h->hash_key, mac));
	if (!e->used)
		return 0;
	e->port->macs--;
	h->nmacs--;
	oah_clear(&sw_mac_type, h->hash_key, h->slots, h->nslots,
	    (uint32_t)(e - h->slots));
	return 1;
}

void
sw_mac_foreach(struct sw *h, void (*fn)(void *arg,
    const struct sw_mac_entry *e), void *arg)
{
	uint32_t i;

	if (fn == NULL)
		return;
	for (i = 0; i < h->nslots; i++)
		if (h->slots[i].used)
			fn(arg, &h->slots[i]);
}

const char *
sw_drop_name(enum sw_drop_reason r)
{
	return (unsigned)r < SW_DROP_NREASONS ? sw_drop_names[r] : "unknown";
}
