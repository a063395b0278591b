/*
 * dhcpsrv.c: the DHCPv4 server engine (dhcpsrv.h). Leases sit in one array
 * (statics first) reached by address through a per-pool-address index and
 * by MAC through a keyed open-addressing table; a lease whose time is up
 * counts as free at once, dhcpsrv_expire only tidies. Each MAC has at most
 * one lease; an ended lease keeps its MAC so the client gets it back.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "dhcpsrv.h"
#include "oahash.h"

#define SRV_NONE         UINT32_MAX
#define SRV_RESV         (UINT32_MAX - 1) /* srv_ip_lease: never handed out */
#define SRV_MS           1000u
#define SRV_BCAST        0xffffffffu
#define SRV_T1_NUM       1u      /* T1 = lease / 2 (RFC 2131 4.4.5) */
#define SRV_T1_DEN       2u
#define SRV_T2_NUM       7u      /* T2 = lease * 7 / 8 */
#define SRV_T2_DEN       8u
#define SRV_MIN_LEASES   16u
#define SRV_MIN_PREFIX   8u
#define SRV_MAX_PREFIX   30u
#define SRV_WALL_DIGITS  18u     /* wall-clock seconds: no overflow */
#define SRV_FIELDS       5u      /* IP MAC STATE EXPIRES USER */

struct dhcpsrv_macslot {
	uint8_t mac[ETHER_ADDR_LEN];
	uint8_t used;
	uint8_t pad;
	uint32_t lease;
};

static const uint8_t srv_bcast_mac[ETHER_ADDR_LEN] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff
};

static const char *const srv_state_names[] = {
	[DHCPSRV_FREE] = "free",
	[DHCPSRV_PROBING] = "probing",
	[DHCPSRV_OFFERED] = "offered",
	[DHCPSRV_BOUND] = "bound",
	[DHCPSRV_DECLINED] = "declined",
};

static const char *const srv_ignore_names[DHCPSRV_IGN_NREASONS] = {
	[DHCPSRV_IGN_NOT_DHCP] = "not-dhcp",
	[DHCPSRV_IGN_REPLY] = "not-from-a-client",
	[DHCPSRV_IGN_NOT_US] = "not-for-us",
	[DHCPSRV_IGN_CHADDR] = "chaddr-not-source",
	[DHCPSRV_IGN_BAD_REQUEST] = "incomplete",
	[DHCPSRV_IGN_UNKNOWN] = "unknown-client",
	[DHCPSRV_IGN_BUSY] = "probes-busy",
	[DHCPSRV_IGN_NO_ROOM] = "no-room",
};

const char *
dhcpsrv_state_name(enum dhcpsrv_state st)
{
	if ((unsigned)st >= sizeof srv_state_names / sizeof srv_state_names[0])
		return "?";
	return srv_state_names[st];
}

const char *
dhcpsrv_ignore_name(enum dhcpsrv_ignore why)
{
	if ((unsigned)why >= DHCPSRV_IGN_NREASONS)
		return "?";
	return srv_ignore_names[why];
}

/* ---- The MAC index --------------------------------------------------- */

static uint64_t
srv_mac_hash(const void *key, const void *slot)
{
	const struct dhcpsrv_macslot *m = slot;
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, m->mac, ETHER_ADDR_LEN, key);
	memcpy(&v, h, sizeof v);
	return v;
}

static const struct oah_type srv_mac_type = {
	.size = sizeof(struct dhcpsrv_macslot),
	.used_off = offsetof(struct dhcpsrv_macslot, used),
	.hash = srv_mac_hash,
};

/* The slot holding mac, or the empty slot ending its chain. */
static uint32_t
srv_mac_probe(const struct dhcpsrv *s, const uint8_t mac[ETHER_ADDR_LEN])
{
	struct dhcpsrv_macslot k;
	uint32_t mask = s->nmacslots - 1, i;

	memcpy(k.mac, mac, ETHER_ADDR_LEN);
	i = (uint32_t)srv_mac_hash(s->hash_key, &k) & mask;
	while (s->macs[i].used &&
	    memcmp(s->macs[i].mac, mac, ETHER_ADDR_LEN) != 0)
		i = (i + 1) & mask;
	return i;
}

static uint32_t
srv_mac_find(const struct dhcpsrv *s, const uint8_t mac[ETHER_ADDR_LEN])
{
	uint32_t i = srv_mac_probe(s, mac);

	return s->macs[i].used ? s->macs[i].lease : SRV_NONE;
}

/* Lease li forgets its MAC. */
static void
srv_mac_drop(struct dhcpsrv *s, uint32_t li)
{
	struct dhcpsrv_lease *l = &s->leases[li];
	uint32_t i;

	if (!(l->flags & DHCPSRV_L_MAC))
		return;
	l->flags &= (uint8_t)~DHCPSRV_L_MAC;
	i = srv_mac_probe(s, l->mac);
	if (s->macs[i].used && s->macs[i].lease == li) {
		oah_clear(&srv_mac_type, s->hash_key, s->macs, s->nmacslots, i);
		s->nmacs--;
	}
}

static int
srv_live(const struct dhcpsrv_lease *l, uint64_t now_ms)
{
	return l->state != DHCPSRV_FREE && now_ms < l->expiry_ms;
}

/* Held for its MAC: probing, offered or bound, and not ended. */
static int
srv_held(const struct dhcpsrv_lease *l, uint64_t now_ms)
{
	return srv_live(l, now_ms) && l->state != DHCPSRV_DECLINED;
}

/* Lease li becomes mac's: whatever lease mac had loses it (and, if it
 * was held, ends), whatever MAC li had is forgotten. 0, or -1 if the
 * index cannot grow (nothing changed). */
static int
srv_mac_set(struct dhcpsrv *s, uint32_t li, const uint8_t mac[ETHER_ADDR_LEN],
    uint64_t now_ms)
{
	struct dhcpsrv_lease *l = &s->leases[li];
	uint32_t i, other;

	if ((l->flags & DHCPSRV_L_MAC) &&
	    memcmp(l->mac, mac, ETHER_ADDR_LEN) == 0)
		return 0;
	if (2 * (uint64_t)(s->nmacs + 1) > s->nmacslots &&
	    oah_resize(&srv_mac_type, s->hash_key, (void **)&s->macs,
	    &s->nmacslots, s->nmacslots * 2) != 0)
		return -1;
	if ((other = srv_mac_find(s, mac)) != SRV_NONE) {
		struct dhcpsrv_lease *o = &s->leases[other];
		if (srv_held(o, now_ms))
			o->state = DHCPSRV_FREE;
		srv_mac_drop(s, other);
	}
	srv_mac_drop(s, li);
	i = srv_mac_probe(s, mac);
	memcpy(s->macs[i].mac, mac, ETHER_ADDR_LEN);
	s->macs[i].used = 1;
	s->macs[i].lease = li;
	s->nmacs++;
	memcpy(l->mac, mac, ETHER_ADDR_LEN);
	l->flags |= DHCPSRV_L_MAC;
	return 0;
}

/* ---- Addresses and leases -------------------------------------------- */

static int
srv_in_pool(const struct dhcpsrv *s, uint32_t ip)
{
	return ip >= s->conf.first && ip <= s->conf.last;
}

/* A host address of the server's subnet. */
static int
srv_in_subnet(const struct dhcpsrv_conf *c, uint32_t ip)
{
	uint32_t m = c->mask;

	return (ip & m) == (c->server_ip & m) && (ip & ~m) != 0 &&
	    (ip & ~m) != ~m;
}

/* The lease of ip: an index, SRV_NONE, or SRV_RESV. */
static uint32_t
srv_ip_lease(const struct dhcpsrv *s, uint32_t ip)
{
	uint32_t v, i;

	if (srv_in_pool(s, ip)) {
		v = s->by_ip[ip - s->conf.first];
		return v == DHCPSRV_RESERVED ? SRV_RESV : v == 0 ? SRV_NONE :
		    v - 1;
	}
	for (i = 0; i < s->conf.nstatics; i++)
		if (s->leases[i].ip == ip)
			return i;
	return SRV_NONE;
}

/* A fresh free lease for ip, which has none. SRV_NONE if out of memory. */
static uint32_t
srv_new_lease(struct dhcpsrv *s, uint32_t ip)
{
	struct dhcpsrv_lease *l;
	uint32_t li;

	if (s->nleases == s->capleases) {
		uint32_t n = s->capleases * 2;
		if ((l = realloc(s->leases, (size_t)n * sizeof *l)) == NULL)
			return SRV_NONE;
		s->leases = l;
		s->capleases = n;
	}
	li = s->nleases++;
	l = &s->leases[li];
	memset(l, 0, sizeof *l);
	l->ip = ip;
	if (srv_in_pool(s, ip)) {
		s->by_ip[ip - s->conf.first] = li + 1;
		s->fresh--;
	}
	return li;
}

/* The lease of ip, made if it has none; SRV_NONE if reserved, outside
 * the pool with no static there, or out of memory. */
static uint32_t
srv_lease_at(struct dhcpsrv *s, uint32_t ip)
{
	uint32_t li = srv_ip_lease(s, ip);

	if (li == SRV_RESV)
		return SRV_NONE;
	if (li == SRV_NONE && srv_in_pool(s, ip))
		li = srv_new_lease(s, ip);
	return li;
}

static void
srv_user_copy(char dst[PROTO_MAX_NAME + 1], const char *user)
{
	size_t n = user == NULL ? 0 : strnlen(user, PROTO_MAX_NAME);

	if (n > 0)
		memcpy(dst, user, n);
	dst[n] = '\0';
}

/* Leases user holds through MACs other than mac. */
static unsigned
srv_user_count(const struct dhcpsrv *s, const char *user,
    const uint8_t mac[ETHER_ADDR_LEN], uint64_t now_ms)
{
	char u[PROTO_MAX_NAME + 1];
	unsigned n = 0;

	srv_user_copy(u, user);
	for (uint32_t i = 0; i < s->nleases; i++) {
		const struct dhcpsrv_lease *l = &s->leases[i];
		if (srv_held(l, now_ms) && strcmp(l->user, u) == 0 &&
		    memcmp(l->mac, mac, ETHER_ADDR_LEN) != 0)
			n++;
	}
	return n;
}

/* May user take one more lease for mac? */
static int
srv_cap_ok(struct dhcpsrv *s, const char *user, unsigned max_ip,
    const uint8_t mac[ETHER_ADDR_LEN], uint64_t now_ms,
    struct dhcpsrv_out *out)
{
	if (max_ip == 0 || user == NULL || user[0] == '\0' ||
	    srv_user_count(s, user, mac, now_ms) < max_ip)
		return 1;
	s->stats.user_cap++;
	out->act |= DHCPSRV_ACT_USER_CAP;
	return 0;
}

/* The static lease that mac (of user) is to have, or SRV_NONE: its MAC's,
 * else its user's if nobody else holds that now. */
static uint32_t
srv_static_for(const struct dhcpsrv *s, const uint8_t mac[ETHER_ADDR_LEN],
    const char *user, uint64_t now_ms)
{
	uint32_t li = srv_mac_find(s, mac), i;
	char u[PROTO_MAX_NAME + 1];

	if (li != SRV_NONE && (s->leases[li].flags & DHCPSRV_L_STATIC_MAC))
		return li;
	srv_user_copy(u, user);
	if (u[0] == '\0')
		return SRV_NONE;
	for (i = 0; i < s->conf.nstatics; i++) {
		const struct dhcpsrv_lease *l = &s->leases[i];
		if (!(l->flags & DHCPSRV_L_STATIC_USER) ||
		    strcmp(s->statics[i].user, u) != 0)
			continue;
		if (!srv_held(l, now_ms) || ((l->flags & DHCPSRV_L_MAC) &&
		    memcmp(l->mac, mac, ETHER_ADDR_LEN) == 0))
			return i;
	}
	return SRV_NONE;
}

/* A dynamic lease li no longer held and not resting. */
static int
srv_takeable(const struct dhcpsrv *s, uint32_t li, uint64_t now_ms)
{
	const struct dhcpsrv_lease *l = &s->leases[li];

	return !(l->flags & DHCPSRV_L_STATIC) && !srv_live(l, now_ms);
}

/* A never used pool address, next-fit; SRV_NONE if none. */
static uint32_t
srv_fresh(struct dhcpsrv *s)
{
	uint32_t i, k;

	if (s->fresh == 0)
		return SRV_NONE;
	for (i = 0; i < s->pool; i++) {
		k = (s->cursor + i) % s->pool;
		if (s->by_ip[k] == 0) {
			s->cursor = (k + 1) % s->pool;
			return s->conf.first + k;
		}
	}
	return SRV_NONE;
}

/* The dynamic lease free the longest, or SRV_NONE. */
static uint32_t
srv_oldest_free(const struct dhcpsrv *s, uint64_t now_ms)
{
	uint32_t best = SRV_NONE, i;

	for (i = s->conf.nstatics; i < s->nleases; i++)
		if (srv_takeable(s, i, now_ms) && (best == SRV_NONE ||
		    s->leases[i].expiry_ms < s->leases[best].expiry_ms))
			best = i;
	return best;
}

/* Lease li (not static) rests: someone unknown uses its address. */
static void
srv_rest(struct dhcpsrv *s, uint32_t li, uint64_t now_ms)
{
	struct dhcpsrv_lease *l = &s->leases[li];

	srv_mac_drop(s, li);
	l->state = DHCPSRV_DECLINED;
	l->expiry_ms = now_ms + (uint64_t)s->conf.decline_s * SRV_MS;
	l->user[0] = '\0';
}

/*
 * A dynamic address for mac that nobody holds: the one mac had, the one
 * it asks for, a never used one, the one free the longest; each the
 * caller's in_use says is taken rests, up to *conflicts of them.
 */
static uint32_t
srv_pick(struct dhcpsrv *s, const uint8_t mac[ETHER_ADDR_LEN], int has_req,
    uint32_t req_ip, uint64_t now_ms, unsigned *conflicts)
{
	uint32_t li, ip;

	while (*conflicts < DHCPSRV_MAX_CONFLICTS) {
		li = srv_mac_find(s, mac);
		if (li == SRV_NONE || !srv_takeable(s, li, now_ms)) {
			li = SRV_NONE;
			if (has_req && srv_in_pool(s, req_ip) &&
			    srv_in_subnet(&s->conf, req_ip)) {
				uint32_t r = srv_ip_lease(s, req_ip);
				if (r == SRV_NONE)
					li = srv_new_lease(s, req_ip);
				else if (r != SRV_RESV &&
				    srv_takeable(s, r, now_ms))
					li = r;
				has_req = 0;
			}
		}
		if (li == SRV_NONE && (ip = srv_fresh(s)) != SRV_NONE)
			li = srv_new_lease(s, ip);
		if (li == SRV_NONE)
			li = srv_oldest_free(s, now_ms);
		if (li == SRV_NONE)
			return SRV_NONE;
		if (s->conf.in_use == NULL ||
		    !s->conf.in_use(s->conf.in_use_arg, s->leases[li].ip))
			return li;
		srv_rest(s, li, now_ms);
		s->stats.conflicts++;
		(*conflicts)++;
	}
	return SRV_NONE;
}

/* ---- Answers --------------------------------------------------------- */

static void
srv_options(const struct dhcpsrv *s, struct dhcp_msg *r)
{
	const struct dhcpsrv_conf *c = &s->conf;

	r->has |= DHCP_HAS_MASK;
	r->mask = c->mask;
	if (c->router != 0) {
		r->has |= DHCP_HAS_ROUTER;
		r->router = c->router;
	}
	r->ndns = (uint8_t)c->ndns;
	memcpy(r->dns, c->dns, sizeof r->dns);
	r->domain_len = (uint16_t)strlen(c->domain);
	memcpy(r->domain, c->domain, r->domain_len);
}

/*
 * Answer req with type (OFFER, ACK, NAK) giving ip, addressed as RFC 2131
 * 4.1 says: through the relay; a NAK broadcast; to ciaddr; broadcast if
 * asked; else to the address given, at the client's MAC.
 */
static void
srv_reply(struct dhcpsrv *s, const struct dhcp_msg *req, uint8_t type,
    uint32_t ip, struct dhcpsrv_out *out)
{
	struct dhcp_msg r;
	uint32_t lease = s->conf.lease_s;

	memset(&r, 0, sizeof r);
	memcpy(r.eth_src, s->conf.server_mac, ETHER_ADDR_LEN);
	r.vlan = req->vlan;
	r.vlan_tci = req->vlan_tci;
	r.ip_src = s->conf.server_ip;
	r.sport = PROTO_DHCP_SERVER_PORT;
	r.dport = PROTO_DHCP_CLIENT_PORT;
	r.op = DHCP_BOOTREPLY;
	r.xid = req->xid;
	r.flags = req->flags;
	r.giaddr = req->giaddr;
	memcpy(r.chaddr, req->chaddr, ETHER_ADDR_LEN);
	r.type = type;
	r.has = DHCP_HAS_SERVER_ID;
	r.server_id = s->conf.server_ip;
	if (type != DHCP_NAK) {
		if (req->type != DHCP_INFORM) {
			r.yiaddr = ip;
			r.has |= DHCP_HAS_LEASE | DHCP_HAS_T1 | DHCP_HAS_T2;
			r.lease_s = lease;
			r.t1_s = lease / SRV_T1_DEN * SRV_T1_NUM;
			r.t2_s = (uint32_t)((uint64_t)lease * SRV_T2_NUM /
			    SRV_T2_DEN);
		}
		if (type == DHCP_ACK)
			r.ciaddr = req->ciaddr;
		srv_options(s, &r);
	}

	if (req->giaddr != 0) {
		r.ip_dst = req->giaddr;
		r.dport = PROTO_DHCP_SERVER_PORT;
		memcpy(r.eth_dst, req->eth_src, ETHER_ADDR_LEN);
		if (type == DHCP_NAK)
			r.flags |= DHCP_FLAG_BROADCAST;
	} else if (type == DHCP_NAK || (req->ciaddr == 0 &&
	    (req->flags & DHCP_FLAG_BROADCAST))) {
		r.ip_dst = SRV_BCAST;
		memcpy(r.eth_dst, srv_bcast_mac, ETHER_ADDR_LEN);
	} else {
		r.ip_dst = req->ciaddr != 0 ? req->ciaddr : ip;
		memcpy(r.eth_dst, req->chaddr, ETHER_ADDR_LEN);
	}
	if ((out->len = dhcp_build(&r, out->buf, out->cap)) == 0) {
		s->stats.ignored[DHCPSRV_IGN_NO_ROOM]++;
		return;
	}
	s->stats.tx[type]++;
}

static void
srv_nak(struct dhcpsrv *s, const struct dhcp_msg *req,
    struct dhcpsrv_out *out)
{
	srv_reply(s, req, DHCP_NAK, 0, out);
}

/* May user have lease li for mac? A static always; a dynamic one if the
 * user holds it already through mac, or is under the cap. */
static int
srv_may_hold(struct dhcpsrv *s, uint32_t li, const uint8_t *mac,
    const char *user, unsigned max_ip, uint64_t now_ms,
    struct dhcpsrv_out *out)
{
	const struct dhcpsrv_lease *l = &s->leases[li];
	char u[PROTO_MAX_NAME + 1];

	srv_user_copy(u, user);
	if ((l->flags & DHCPSRV_L_STATIC) || (srv_held(l, now_ms) &&
	    (l->flags & DHCPSRV_L_MAC) &&
	    memcmp(l->mac, mac, ETHER_ADDR_LEN) == 0 &&
	    strcmp(l->user, u) == 0))
		return 1;
	return srv_cap_ok(s, user, max_ip, mac, now_ms, out);
}

/* Lease li becomes mac's (of user), bound; the ACK. */
static void
srv_ack(struct dhcpsrv *s, uint64_t now_ms, const struct dhcp_msg *req,
    uint32_t li, const char *user, unsigned max_ip, struct dhcpsrv_out *out)
{
	struct dhcpsrv_lease *l;

	if (!srv_may_hold(s, li, req->chaddr, user, max_ip, now_ms, out) ||
	    srv_mac_set(s, li, req->chaddr, now_ms) != 0) {
		srv_nak(s, req, out);
		return;
	}
	l = &s->leases[li];
	l->state = DHCPSRV_BOUND;
	l->expiry_ms = now_ms + (uint64_t)s->conf.lease_s * SRV_MS;
	srv_user_copy(l->user, user);
	out->act |= DHCPSRV_ACT_BOUND;
	out->ip = l->ip;
	memcpy(out->mac, l->mac, ETHER_ADDR_LEN);
	out->expiry_ms = l->expiry_ms;
	srv_reply(s, req, DHCP_ACK, l->ip, out);
}

/* Lease li is offered to mac (of user); the OFFER. */
static void
srv_offer_lease(struct dhcpsrv *s, uint64_t now_ms, const struct dhcp_msg *req,
    uint32_t li, const char *user, unsigned max_ip, struct dhcpsrv_out *out)
{
	struct dhcpsrv_lease *l;

	if (!srv_may_hold(s, li, req->chaddr, user, max_ip, now_ms, out) ||
	    srv_mac_set(s, li, req->chaddr, now_ms) != 0)
		return;
	l = &s->leases[li];
	if (!(l->state == DHCPSRV_BOUND && srv_live(l, now_ms))) {
		l->state = DHCPSRV_OFFERED;
		l->expiry_ms = now_ms + (uint64_t)s->conf.offer_s * SRV_MS;
	}
	srv_user_copy(l->user, user);
	s->empty = false;
	srv_reply(s, req, DHCP_OFFER, l->ip, out);
}

static struct dhcpsrv_probe *
srv_probe_slot(struct dhcpsrv *s, uint64_t now_ms)
{
	for (unsigned i = 0; i < DHCPSRV_MAX_PROBES; i++)
		if (s->probes[i].ip == 0 || now_ms >= s->probes[i].deadline_ms)
			return &s->probes[i];
	return NULL;
}

/* What a probe slot keeps of a DISCOVER, and back. */
static void
srv_probe_keep(struct dhcpsrv_probe *p, const struct dhcp_msg *req,
    const char *user, unsigned max_ip)
{
	p->xid = req->xid;
	p->giaddr = req->giaddr;
	p->req_ip = req->req_ip;
	p->has_req_ip = (req->has & DHCP_HAS_REQ_IP) != 0;
	p->flags = req->flags;
	p->vlan = req->vlan;
	p->vlan_tci = req->vlan_tci;
	memcpy(p->chaddr, req->chaddr, ETHER_ADDR_LEN);
	memcpy(p->eth_src, req->eth_src, ETHER_ADDR_LEN);
	srv_user_copy(p->user, user);
	p->max_ip = max_ip;
}

static void
srv_probe_req(const struct dhcpsrv_probe *p, struct dhcp_msg *req)
{
	memset(req, 0, sizeof *req);
	req->op = DHCP_BOOTREQUEST;
	req->type = DHCP_DISCOVER;
	req->xid = p->xid;
	req->giaddr = p->giaddr;
	req->req_ip = p->req_ip;
	req->has = p->has_req_ip ? DHCP_HAS_REQ_IP : 0;
	req->flags = p->flags;
	req->vlan = p->vlan;
	req->vlan_tci = p->vlan_tci;
	memcpy(req->chaddr, p->chaddr, ETHER_ADDR_LEN);
	memcpy(req->eth_src, p->eth_src, ETHER_ADDR_LEN);
}

/*
 * A new address for the DISCOVER req: offered, or (conf.probe) to be
 * probed first in slot p (NULL: take a free one). conflicts: how many
 * this DISCOVER has met already.
 */
static void
srv_offer_new(struct dhcpsrv *s, uint64_t now_ms, const struct dhcp_msg *req,
    const char *user, unsigned max_ip, unsigned conflicts,
    struct dhcpsrv_probe *p, struct dhcpsrv_out *out)
{
	uint32_t li;
	struct dhcpsrv_lease *l;
	int keep = 0;

	if (s->conf.probe && p == NULL) {
		if ((p = srv_probe_slot(s, now_ms)) == NULL) {
			s->stats.ignored[DHCPSRV_IGN_BUSY]++;
			return;
		}
		p->ip = 0;
		keep = 1;
	}
	li = srv_pick(s, req->chaddr, (req->has & DHCP_HAS_REQ_IP) != 0,
	    req->req_ip, now_ms, &conflicts);
	if (li == SRV_NONE) {
		if (p != NULL)
			p->ip = 0;
		s->stats.pool_empty++;
		if (!s->empty) {
			s->empty = true;
			out->act |= DHCPSRV_ACT_POOL_EMPTY;
		}
		return;
	}
	if (!s->conf.probe) {
		srv_offer_lease(s, now_ms, req, li, user, max_ip, out);
		return;
	}
	if (srv_mac_set(s, li, req->chaddr, now_ms) != 0) {
		p->ip = 0;
		return;
	}
	l = &s->leases[li];
	l->state = DHCPSRV_PROBING;
	l->expiry_ms = now_ms + DHCPSRV_PROBE_MS;
	srv_user_copy(l->user, user);
	s->empty = false;
	if (keep)
		srv_probe_keep(p, req, user, max_ip);
	p->ip = l->ip;
	p->lease = li;
	p->deadline_ms = l->expiry_ms;
	p->conflicts = conflicts;
	out->act |= DHCPSRV_ACT_PROBE;
	out->probe_ip = l->ip;
}

static void
srv_discover(struct dhcpsrv *s, uint64_t now_ms, const struct dhcp_msg *m,
    const char *user, unsigned max_ip, struct dhcpsrv_out *out)
{
	uint32_t li = srv_static_for(s, m->chaddr, user, now_ms);

	if (li != SRV_NONE) {
		srv_offer_lease(s, now_ms, m, li, user, max_ip, out);
		return;
	}
	li = srv_mac_find(s, m->chaddr);
	if (li != SRV_NONE && !(s->leases[li].flags & DHCPSRV_L_STATIC) &&
	    srv_held(&s->leases[li], now_ms)) {
		/* Asked again: the same address; a probe is on its way. */
		if (s->leases[li].state != DHCPSRV_PROBING)
			srv_offer_lease(s, now_ms, m, li, user, max_ip, out);
		return;
	}
	if (!srv_cap_ok(s, user, max_ip, m->chaddr, now_ms, out))
		return;
	srv_offer_new(s, now_ms, m, user, max_ip, 0, NULL, out);
}

/*
 * The client is to have ip (INIT-REBOOT, RENEWING, REBINDING): ACK if it
 * may, NAK if not; about a client it knows nothing of, a server that is
 * not authoritative says only what its own table knows (that the address
 * is someone else's) and is otherwise silent (RFC 2131 4.3.2).
 */
static void
srv_confirm(struct dhcpsrv *s, uint64_t now_ms, const struct dhcp_msg *m,
    uint32_t ip, const char *user, unsigned max_ip, struct dhcpsrv_out *out)
{
	uint32_t mine = srv_mac_find(s, m->chaddr), st, li;
	int known = mine != SRV_NONE && s->leases[mine].ip == ip;

	if (known && srv_held(&s->leases[mine], now_ms) &&
	    s->leases[mine].state != DHCPSRV_PROBING) {
		srv_ack(s, now_ms, m, mine, user, max_ip, out);
		return;
	}
	if (!srv_in_subnet(&s->conf, ip)) {
		srv_nak(s, m, out);       /* on the wrong network */
		return;
	}
	st = srv_static_for(s, m->chaddr, user, now_ms);
	if (st != SRV_NONE) {
		if (s->leases[st].ip == ip)
			srv_ack(s, now_ms, m, st, user, max_ip, out);
		else
			srv_nak(s, m, out);
		return;
	}
	if (mine != SRV_NONE && srv_held(&s->leases[mine], now_ms)) {
		srv_nak(s, m, out);       /* it holds another address here */
		return;
	}
	li = srv_ip_lease(s, ip);
	if (li == SRV_RESV || (li != SRV_NONE &&
	    ((s->leases[li].flags & DHCPSRV_L_STATIC) ||
	    srv_live(&s->leases[li], now_ms)))) {
		srv_nak(s, m, out);       /* ours, or someone else's */
		return;
	}
	if (!known && !s->conf.authoritative) {
		s->stats.ignored[DHCPSRV_IGN_UNKNOWN]++;
		return;
	}
	/* Its lease ended and nobody took the address, or we are
	 * authoritative and the address is free: it may have it. */
	if (li == SRV_NONE && !srv_in_pool(s, ip)) {
		srv_nak(s, m, out);
		return;
	}
	if (!srv_cap_ok(s, user, max_ip, m->chaddr, now_ms, out)) {
		srv_nak(s, m, out);
		return;
	}
	if (li == SRV_NONE && (li = srv_lease_at(s, ip)) == SRV_NONE) {
		srv_nak(s, m, out);
		return;
	}
	srv_ack(s, now_ms, m, li, user, max_ip, out);
}

static void
srv_request(struct dhcpsrv *s, uint64_t now_ms, const struct dhcp_msg *m,
    const char *user, unsigned max_ip, struct dhcpsrv_out *out)
{
	uint32_t li = srv_mac_find(s, m->chaddr);
	struct dhcpsrv_lease *l = li != SRV_NONE ? &s->leases[li] : NULL;

	if (m->has & DHCP_HAS_SERVER_ID) {
		/* SELECTING: an answer to our offer, or to another's. */
		if (!(m->has & DHCP_HAS_REQ_IP) || m->ciaddr != 0) {
			s->stats.ignored[DHCPSRV_IGN_BAD_REQUEST]++;
			return;
		}
		if (m->server_id != s->conf.server_ip) {
			if (l != NULL && srv_live(l, now_ms) &&
			    (l->state == DHCPSRV_OFFERED ||
			    l->state == DHCPSRV_PROBING))
				l->state = DHCPSRV_FREE;
			s->stats.ignored[DHCPSRV_IGN_NOT_US]++;
			return;
		}
		if (l != NULL && l->ip == m->req_ip && srv_live(l, now_ms) &&
		    (l->state == DHCPSRV_OFFERED || l->state == DHCPSRV_BOUND))
			srv_ack(s, now_ms, m, li, user, max_ip, out);
		else
			srv_nak(s, m, out);
		return;
	}
	if ((m->has & DHCP_HAS_REQ_IP) && m->ciaddr == 0)
		srv_confirm(s, now_ms, m, m->req_ip, user, max_ip, out);
	else if (m->ciaddr != 0)
		srv_confirm(s, now_ms, m, m->ciaddr, user, max_ip, out);
	else
		s->stats.ignored[DHCPSRV_IGN_BAD_REQUEST]++;
}

/* The client's lease of ip, if it holds it now; else SRV_NONE. */
static uint32_t
srv_holding(const struct dhcpsrv *s, const uint8_t mac[ETHER_ADDR_LEN],
    uint32_t ip, uint64_t now_ms)
{
	uint32_t li = srv_mac_find(s, mac);

	if (li == SRV_NONE || s->leases[li].ip != ip ||
	    !srv_held(&s->leases[li], now_ms) ||
	    s->leases[li].state == DHCPSRV_PROBING)
		return SRV_NONE;
	return li;
}

static void
srv_decline(struct dhcpsrv *s, uint64_t now_ms, const struct dhcp_msg *m,
    struct dhcpsrv_out *out)
{
	uint32_t li;

	if (!(m->has & DHCP_HAS_SERVER_ID) || !(m->has & DHCP_HAS_REQ_IP)) {
		s->stats.ignored[DHCPSRV_IGN_BAD_REQUEST]++;
		return;
	}
	if ((li = srv_holding(s, m->chaddr, m->req_ip, now_ms)) == SRV_NONE) {
		s->stats.ignored[DHCPSRV_IGN_UNKNOWN]++;
		return;
	}
	s->stats.declined++;
	out->act |= DHCPSRV_ACT_DECLINED;
	out->ip = m->req_ip;
	memcpy(out->mac, m->chaddr, ETHER_ADDR_LEN);
	/* A static stays its client's: the administrator must sort out who
	 * else is using it. */
	if (s->leases[li].flags & DHCPSRV_L_STATIC)
		s->leases[li].state = DHCPSRV_FREE;
	else
		srv_rest(s, li, now_ms);
}

static void
srv_release(struct dhcpsrv *s, uint64_t now_ms, const struct dhcp_msg *m,
    struct dhcpsrv_out *out)
{
	uint32_t li;

	if ((li = srv_holding(s, m->chaddr, m->ciaddr, now_ms)) == SRV_NONE) {
		s->stats.ignored[DHCPSRV_IGN_UNKNOWN]++;
		return;
	}
	s->leases[li].state = DHCPSRV_FREE;
	s->leases[li].expiry_ms = now_ms;
	s->stats.released++;
	out->act |= DHCPSRV_ACT_RELEASED;
	out->ip = m->ciaddr;
	memcpy(out->mac, m->chaddr, ETHER_ADDR_LEN);
}

/* Is m addressed to this server, and whole enough to answer? */
static int
srv_for_us(struct dhcpsrv *s, const struct dhcp_msg *m)
{
	static const uint8_t zero[ETHER_ADDR_LEN];
	enum dhcpsrv_ignore why;

	if (m->op != DHCP_BOOTREQUEST || m->type == DHCP_OFFER ||
	    m->type == DHCP_ACK || m->type == DHCP_NAK)
		why = DHCPSRV_IGN_REPLY;
	else if (m->dport != PROTO_DHCP_SERVER_PORT ||
	    (memcmp(m->eth_dst, srv_bcast_mac, ETHER_ADDR_LEN) != 0 &&
	    memcmp(m->eth_dst, s->conf.server_mac, ETHER_ADDR_LEN) != 0) ||
	    (m->ip_dst != SRV_BCAST && m->ip_dst != s->conf.server_ip &&
	    m->ip_dst != (s->conf.server_ip | ~s->conf.mask)) ||
	    ((m->has & DHCP_HAS_SERVER_ID) && m->type != DHCP_REQUEST &&
	    m->server_id != s->conf.server_ip))
		why = DHCPSRV_IGN_NOT_US;
	else if ((m->chaddr[0] & 1) ||
	    memcmp(m->chaddr, zero, ETHER_ADDR_LEN) == 0)
		why = DHCPSRV_IGN_BAD_REQUEST;
	else if (m->giaddr == 0 &&
	    memcmp(m->chaddr, m->eth_src, ETHER_ADDR_LEN) != 0)
		why = DHCPSRV_IGN_CHADDR;
	else
		return 1;
	s->stats.ignored[why]++;
	return 0;
}

static void
srv_out_reset(struct dhcpsrv_out *out)
{
	out->len = 0;
	out->act = 0;
	out->probe_ip = 0;
	out->ip = 0;
	memset(out->mac, 0, sizeof out->mac);
	out->expiry_ms = 0;
	out->err = DHCP_OK;
}

void
dhcpsrv_input(struct dhcpsrv *s, uint64_t now_ms, const uint8_t *frame,
    size_t len, const char *user, unsigned max_ip, struct dhcpsrv_out *out)
{
	struct dhcp_msg m;
	enum dhcp_err e;

	srv_out_reset(out);
	if ((e = dhcp_parse(frame, len, &m)) != DHCP_OK) {
		out->err = e;
		if (dhcp_err_malformed(e))
			s->stats.malformed[e]++;
		else
			s->stats.ignored[DHCPSRV_IGN_NOT_DHCP]++;
		return;
	}
	if (!srv_for_us(s, &m))
		return;
	s->stats.rx[m.type]++;
	switch (m.type) {
	case DHCP_DISCOVER:
		srv_discover(s, now_ms, &m, user, max_ip, out);
		break;
	case DHCP_REQUEST:
		srv_request(s, now_ms, &m, user, max_ip, out);
		break;
	case DHCP_DECLINE:
		srv_decline(s, now_ms, &m, out);
		break;
	case DHCP_RELEASE:
		srv_release(s, now_ms, &m, out);
		break;
	case DHCP_INFORM:
		/* RFC 2131 4.3.5: the configuration, no lease, to ciaddr. */
		if (m.ciaddr == 0)
			s->stats.ignored[DHCPSRV_IGN_BAD_REQUEST]++;
		else
			srv_reply(s, &m, DHCP_ACK, 0, out);
		break;
	default:
		break;
	}
}

void
dhcpsrv_probe_result(struct dhcpsrv *s, uint64_t now_ms, uint32_t ip,
    bool in_use, struct dhcpsrv_out *out)
{
	struct dhcpsrv_probe *p = NULL;
	struct dhcpsrv_lease *l;
	struct dhcp_msg req;
	unsigned i;

	srv_out_reset(out);
	for (i = 0; i < DHCPSRV_MAX_PROBES && ip != 0; i++)
		if (s->probes[i].ip == ip)
			p = &s->probes[i];
	if (p == NULL)
		return;
	l = &s->leases[p->lease];
	if (now_ms >= p->deadline_ms || l->state != DHCPSRV_PROBING ||
	    l->ip != ip || !srv_live(l, now_ms) ||
	    !(l->flags & DHCPSRV_L_MAC) ||
	    memcmp(l->mac, p->chaddr, ETHER_ADDR_LEN) != 0) {
		p->ip = 0;
		return;
	}
	srv_probe_req(p, &req);
	if (!in_use) {
		p->ip = 0;
		srv_offer_lease(s, now_ms, &req, p->lease, p->user, p->max_ip,
		    out);
		return;
	}
	srv_rest(s, p->lease, now_ms);
	s->stats.conflicts++;
	if (++p->conflicts >= DHCPSRV_MAX_CONFLICTS) {
		p->ip = 0;
		return;
	}
	/* Another address, not the one the client asked for again. */
	req.has &= ~DHCP_HAS_REQ_IP;
	srv_offer_new(s, now_ms, &req, p->user, p->max_ip, p->conflicts, p,
	    out);
}

uint32_t
dhcpsrv_expire(struct dhcpsrv *s, uint64_t now_ms)
{
	uint32_t n = 0, i;

	for (i = 0; i < s->nleases; i++) {
		struct dhcpsrv_lease *l = &s->leases[i];
		if (l->state == DHCPSRV_FREE || now_ms < l->expiry_ms)
			continue;
		if (l->state == DHCPSRV_BOUND || l->state == DHCPSRV_OFFERED)
			s->stats.expired++;
		l->state = DHCPSRV_FREE;
		n++;
	}
	for (i = 0; i < DHCPSRV_MAX_PROBES; i++)
		if (s->probes[i].ip != 0 && now_ms >= s->probes[i].deadline_ms)
			s->probes[i].ip = 0;
	return n;
}

const struct dhcpsrv_lease *
dhcpsrv_find_ip(const struct dhcpsrv *s, uint32_t ip)
{
	uint32_t li = srv_ip_lease(s, ip);

	return li == SRV_NONE || li == SRV_RESV ? NULL : &s->leases[li];
}

const struct dhcpsrv_lease *
dhcpsrv_find_mac(const struct dhcpsrv *s, const uint8_t mac[ETHER_ADDR_LEN])
{
	uint32_t li = srv_mac_find(s, mac);

	return li == SRV_NONE ? NULL : &s->leases[li];
}

/* ---- Configuration --------------------------------------------------- */

static int
srv_mask_ok(uint32_t mask)
{
	int bits = dhcp_mask_prefix(mask);

	return bits >= (int)SRV_MIN_PREFIX && bits <= (int)SRV_MAX_PREFIX;
}

static int
srv_err(char *err, size_t errlen, const char *fmt, uint32_t ip)
{
	char a[DHCP_IP_STR];

	dhcp_format_ip(ip, a);
	snprintf(err, errlen, fmt, a);
	return -1;
}

static int
srv_check_conf(const struct dhcpsrv_conf *c, char *err, size_t errlen)
{
	size_t i, j;

	if (!srv_mask_ok(c->mask))
		return srv_err(err, errlen, "netmask %s: must be contiguous, "
		    "/8 to /30", c->mask);
	if (!srv_in_subnet(c, c->server_ip))
		return srv_err(err, errlen, "server address %s: not a host "
		    "address", c->server_ip);
	if (c->first > c->last || !srv_in_subnet(c, c->first) ||
	    !srv_in_subnet(c, c->last))
		return srv_err(err, errlen, "range: %s...: must be host "
		    "addresses of the server's subnet, first <= last",
		    c->first);
	if (c->last - c->first >= DHCPSRV_MAX_POOL) {
		snprintf(err, errlen, "range: %u addresses, at most %u",
		    c->last - c->first + 1, DHCPSRV_MAX_POOL);
		return -1;
	}
	if (c->router != 0 && !srv_in_subnet(c, c->router))
		return srv_err(err, errlen, "router %s: not in the server's "
		    "subnet", c->router);
	if (c->ndns > PROTO_DHCP_MAX_DNS) {
		snprintf(err, errlen, "dns: %u servers, at most %u", c->ndns,
		    PROTO_DHCP_MAX_DNS);
		return -1;
	}
	for (i = 0; i < c->ndns; i++)
		if (c->dns[i] == 0 || c->dns[i] == SRV_BCAST)
			return srv_err(err, errlen, "dns %s: not a host "
			    "address", c->dns[i]);
	for (i = 0; i < sizeof c->domain && c->domain[i] != '\0'; i++)
		if (c->domain[i] <= ' ' || c->domain[i] > '~') {
			snprintf(err, errlen, "domain: printable ASCII only, "
			    "no spaces");
			return -1;
		}
	if (i == sizeof c->domain) {
		snprintf(err, errlen, "domain: longer than %u bytes",
		    PROTO_DHCP_OPT_MAX);
		return -1;
	}
	if ((c->lease_s != 0 && (c->lease_s < DHCPSRV_MIN_LEASE_S ||
	    c->lease_s > DHCPSRV_MAX_LEASE_S)) ||
	    c->offer_s > DHCPSRV_MAX_LEASE_S ||
	    c->decline_s > DHCPSRV_MAX_LEASE_S) {
		snprintf(err, errlen, "lease: %u to %u seconds",
		    DHCPSRV_MIN_LEASE_S, DHCPSRV_MAX_LEASE_S);
		return -1;
	}
	if (c->nstatics > DHCPSRV_MAX_STATIC ||
	    (c->nstatics > 0 && c->statics == NULL)) {
		snprintf(err, errlen, "static leases: at most %u",
		    DHCPSRV_MAX_STATIC);
		return -1;
	}
	for (i = 0; i < c->nstatics; i++) {
		const struct dhcpsrv_static *a = &c->statics[i];
		static const uint8_t zero[ETHER_ADDR_LEN];
		int has_mac = memcmp(a->mac, zero, ETHER_ADDR_LEN) != 0;
		size_t ulen = strnlen(a->user, sizeof a->user);
		if (!srv_in_subnet(c, a->ip) || a->ip == c->server_ip)
			return srv_err(err, errlen, "static lease %s: not a "
			    "free host address of the subnet", a->ip);
		if (has_mac == (ulen > 0) || ulen == sizeof a->user ||
		    (has_mac && (a->mac[0] & 1)))
			return srv_err(err, errlen, "static lease %s: give a "
			    "unicast MAC or a user, one of them", a->ip);
		for (j = 0; j < i; j++) {
			const struct dhcpsrv_static *b = &c->statics[j];
			if (a->ip == b->ip || (has_mac &&
			    memcmp(a->mac, b->mac, ETHER_ADDR_LEN) == 0) ||
			    (ulen > 0 && strcmp(a->user, b->user) == 0))
				return srv_err(err, errlen, "static lease %s: "
				    "address, MAC or user given twice", a->ip);
		}
	}
	return 0;
}

int
dhcpsrv_init(struct dhcpsrv *s, const struct dhcpsrv_conf *conf, char *err,
    size_t errlen)
{
	uint32_t i, m;

	memset(s, 0, sizeof *s);
	if (srv_check_conf(conf, err, errlen) != 0)
		return -1;
	s->conf = *conf;
	if (s->conf.lease_s == 0)
		s->conf.lease_s = DHCPSRV_DEFAULT_LEASE_S;
	if (s->conf.offer_s == 0)
		s->conf.offer_s = DHCPSRV_DEFAULT_OFFER_S;
	if (s->conf.decline_s == 0)
		s->conf.decline_s = DHCPSRV_DEFAULT_DECLINE_S;
	s->pool = conf->last - conf->first + 1;
	s->fresh = s->pool;
	s->capleases = conf->nstatics + SRV_MIN_LEASES;
	s->nmacslots = oah_slots_for(SRV_MIN_LEASES);
	randombytes_buf(s->hash_key, sizeof s->hash_key);
	s->leases = calloc(s->capleases, sizeof *s->leases);
	s->by_ip = calloc(s->pool, sizeof *s->by_ip);
	s->macs = calloc(s->nmacslots, sizeof *s->macs);
	if (conf->nstatics > 0)
		s->statics = calloc(conf->nstatics, sizeof *s->statics);
	if (s->leases == NULL || s->by_ip == NULL || s->macs == NULL ||
	    (conf->nstatics > 0 && s->statics == NULL)) {
		dhcpsrv_free(s);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (conf->nstatics > 0)
		memcpy(s->statics, conf->statics,
		    conf->nstatics * sizeof *s->statics);
	s->conf.statics = s->statics;

	/* Never handed out: the server's, the subnet's, the statics'. */
	m = s->conf.mask;
	for (i = 0; i < s->pool; i++) {
		uint32_t ip = s->conf.first + i;
		int dns = 0;
		for (unsigned d = 0; d < s->conf.ndns; d++)
			dns |= ip == s->conf.dns[d];
		if (ip == s->conf.server_ip || ip == s->conf.router || dns ||
		    (ip & ~m) == 0 || (ip & ~m) == ~m) {
			s->by_ip[i] = DHCPSRV_RESERVED;
			s->fresh--;
		}
	}
	for (i = 0; i < s->conf.nstatics; i++) {
		const struct dhcpsrv_static *st = &s->statics[i];
		uint32_t li;
		if (srv_in_pool(s, st->ip) &&
		    s->by_ip[st->ip - s->conf.first] == DHCPSRV_RESERVED) {
			/* The router's address, say: its static's alone. */
			s->by_ip[st->ip - s->conf.first] = 0;
			s->fresh++;
		}
		li = srv_new_lease(s, st->ip);
		if (st->user[0] != '\0') {
			s->leases[li].flags = DHCPSRV_L_STATIC_USER;
		} else {
			s->leases[li].flags = DHCPSRV_L_STATIC_MAC;
			if (srv_mac_set(s, li, st->mac, 0) != 0) {
				dhcpsrv_free(s);
				snprintf(err, errlen, "out of memory");
				return -1;
			}
		}
	}
	return 0;
}

void
dhcpsrv_free(struct dhcpsrv *s)
{
	free(s->leases);
	free(s->by_ip);
	free(s->macs);
	free(s->statics);
	s->leases = NULL;
	s->by_ip = NULL;
	s->macs = NULL;
	s->statics = NULL;
	s->nleases = s->capleases = 0;
}

/* ---- The lease file -------------------------------------------------- */

struct srv_buf {
	char *p;
	size_t cap, len;
};

static void
srv_put(struct srv_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
srv_put(struct srv_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->len < b->cap ? b->p + b->len : NULL,
	    b->len < b->cap ? b->cap - b->len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += (size_t)n;
}

/* A name the file can carry: graphic ASCII, not "-". */
static int
srv_user_savable(const char *u)
{
	if (u[0] == '\0' || strcmp(u, "-") == 0)
		return 0;
	for (; *u != '\0'; u++)
		if (*u <= ' ' || *u > '~')
			return 0;
	return 1;
}

size_t
dhcpsrv_save(const struct dhcpsrv *s, uint64_t now_ms, int64_t wall_s,
    char *buf, size_t cap)
{
	struct srv_buf b = { buf, cap, 0 };
	char ip[DHCP_IP_STR], mac[ETHER_ADDR_STR];
	uint32_t i;

	if (cap > 0)
		buf[0] = '\0';
	srv_put(&b, "%s %u\n", DHCPSRV_FILE_MAGIC, DHCPSRV_FILE_VERSION);
	srv_put(&b, "# address mac state expires user\n");
	for (i = s->conf.nstatics; i < s->nleases; i++) {
		const struct dhcpsrv_lease *l = &s->leases[i];
		const char *state;
		int64_t expires = 0;
		int bound = srv_live(l, now_ms) && l->state == DHCPSRV_BOUND;
		if (bound || (srv_live(l, now_ms) &&
		    l->state == DHCPSRV_DECLINED)) {
			state = dhcpsrv_state_name(l->state);
			expires = wall_s + (int64_t)((l->expiry_ms - now_ms +
			    SRV_MS - 1) / SRV_MS);
		} else if (l->flags & DHCPSRV_L_MAC) {
			state = "free";
		} else {
			continue;
		}
		dhcp_format_ip(l->ip, ip);
		if (l->flags & DHCPSRV_L_MAC)
			ether_format_mac(l->mac, mac);
		else
			snprintf(mac, sizeof mac, "-");
		srv_put(&b, "%s %s %s %" PRId64 " %s\n", ip, mac, state,
		    expires, bound && srv_user_savable(l->user) ? l->user :
		    "-");
	}
	return b.len;
}

/* Splits line (NUL-terminated, changed) at single spaces into exactly
 * SRV_FIELDS fields. */
static int
srv_fields(char *line, char *f[SRV_FIELDS])
{
	unsigned n = 0;
	char *p = line;

	for (;;) {
		if (n == SRV_FIELDS || *p == ' ' || *p == '\0')
			return -1;
		f[n++] = p;
		while (*p != ' ' && *p != '\0')
			p++;
		if (*p == '\0')
			return n == SRV_FIELDS ? 0 : -1;
		*p++ = '\0';
	}
}

static int
srv_parse_wall(const char *s, int64_t *v)
{
	size_t n = strlen(s);
	int64_t x = 0;

	if (n == 0 || n > SRV_WALL_DIGITS)
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		x = x * 10 + (*s - '0');
	}
	*v = x;
	return 0;
}

/* One lease line; 1 taken, 0 expired and dropped, -1 bad. */
static int
srv_load_line(struct dhcpsrv *s, uint64_t now_ms, int64_t wall_s, char *line,
    struct dhcpsrv_load_report *r)
{
	char *f[SRV_FIELDS];
	uint8_t mac[ETHER_ADDR_LEN];
	uint32_t ip, li, cap_s;
	int64_t exp, left;
	int has_mac;
	enum dhcpsrv_state st;
	struct dhcpsrv_lease *l;

	if (srv_fields(line, f) != 0 || dhcp_parse_ip(f[0], &ip) != 0 ||
	    srv_parse_wall(f[3], &exp) != 0)
		return -1;
	has_mac = strcmp(f[1], "-") != 0;
	if (has_mac && ether_parse_mac(f[1], mac) != 0)
		return -1;
	if (strcmp(f[2], "bound") == 0)
		st = DHCPSRV_BOUND;
	else if (strcmp(f[2], "declined") == 0)
		st = DHCPSRV_DECLINED;
	else if (strcmp(f[2], "free") == 0)
		st = DHCPSRV_FREE;
	else
		return -1;
	if (has_mac == (st == DHCPSRV_DECLINED) ||
	    strlen(f[4]) > PROTO_MAX_NAME || !srv_in_pool(s, ip) ||
	    s->by_ip[ip - s->conf.first] != 0 ||
	    (has_mac && srv_mac_find(s, mac) != SRV_NONE))
		return -1;
	for (const char *u = f[4]; *u != '\0'; u++)
		if (*u <= ' ' || *u > '~')
			return -1;

	left = exp > wall_s ? exp - wall_s : 0;
	if (st != DHCPSRV_FREE && left == 0) {
		r->expired++;
		if (st == DHCPSRV_DECLINED)
			return 0;
		st = DHCPSRV_FREE;    /* the MAC's address to come back to */
	}
	if ((li = srv_new_lease(s, ip)) == SRV_NONE)
		return -1;
	if (has_mac && srv_mac_set(s, li, mac, now_ms) != 0) {
		s->leases[li].state = DHCPSRV_FREE;
		return -1;
	}
	l = &s->leases[li];
	l->state = (uint8_t)st;
	cap_s = st == DHCPSRV_DECLINED ? s->conf.decline_s : s->conf.lease_s;
	if (left > (int64_t)cap_s)
		left = cap_s;
	l->expiry_ms = now_ms + (uint64_t)left * SRV_MS;
	if (st == DHCPSRV_BOUND && strcmp(f[4], "-") != 0)
		srv_user_copy(l->user, f[4]);
	return 1;
}

int
dhcpsrv_load(struct dhcpsrv *s, uint64_t now_ms, int64_t wall_s,
    const char *text, size_t len, struct dhcpsrv_load_report *r,
    char *err, size_t errlen)
{
	char line[DHCPSRV_LINE_MAX + 1], want[DHCPSRV_LINE_MAX];
	size_t pos = 0, start, n, wlen;
	unsigned lineno = 0;
	const char *nl;
	int cut, overlong, nul;

	memset(r, 0, sizeof *r);
	wlen = (size_t)snprintf(want, sizeof want, "%s %u", DHCPSRV_FILE_MAGIC,
	    DHCPSRV_FILE_VERSION);
	while (pos < len) {
		start = pos;
		nl = memchr(text + start, '\n', len - start);
		n = (nl != NULL ? (size_t)(nl - text) : len) - start;
		pos = start + n + (nl != NULL);
		lineno++;
		cut = nl == NULL;
		overlong = n > DHCPSRV_LINE_MAX;
		nul = memchr(text + start, '\0', n) != NULL;
		if (lineno == 1) {
			if (cut || n != wlen || memcmp(text + start, want,
			    wlen) != 0) {
				snprintf(err, errlen, "line 1: expected "
				    "\"%s\": not a lease file of this "
				    "version", want);
				return -1;
			}
			continue;
		}
		if (!overlong && !nul && (n == 0 || text[start] == '#'))
			continue;
		if (cut || overlong || nul) {
			/* Cut short (the file was truncated), or not text. */
			if (r->first_bad_line == 0)
				r->first_bad_line = lineno;
			r->bad++;
			continue;
		}
		memcpy(line, text + start, n);
		line[n] = '\0';
		switch (srv_load_line(s, now_ms, wall_s, line, r)) {
		case 1:
			r->loaded++;
			break;
		case 0:
			break;
		default:
			if (r->first_bad_line == 0)
				r->first_bad_line = lineno;
			r->bad++;
			break;
		}
	}
	if (lineno == 0) {
		snprintf(err, errlen, "empty: expected \"%s\"", want);
		return -1;
	}
	return 0;
}
