/*
 * fuzz_dhcp.c: hostile frames through the DHCP decoder, as they are or as
 * a BOOTP payload wrapped in Ethernet, IPv4 (with options, or a tag) and
 * UDP with right checksums, so the options are reached. Whatever parses
 * must build again and parse back to the same message; a client waiting
 * for an offer takes the same frame and what it sends must parse.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "dhcp.h"
#include "dhcpcli.h"
#include "vnet.h"

#define FZ_WRAP      0x01u    /* the rest is a BOOTP payload */
#define FZ_VLAN      0x02u    /* ... behind an 802.1Q tag */
#define FZ_IPOPT     0x04u    /* ... in IPv4 with 4 bytes of options */
#define FZ_NOSUM     0x08u    /* ... with a UDP checksum of 0 */
#define FZ_TO_CLIENT 0x10u    /* ... to port 68, else 67 */
#define FZ_XID       0x5eed0001u
#define FZ_BUF       4096u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t fz_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };

/* The payload in Ethernet/IPv4/UDP; returns the frame's length. */
static size_t
fz_wrap(uint8_t ctl, const uint8_t *p, size_t n, uint8_t *f)
{
	size_t l3 = 14 + (ctl & FZ_VLAN ? 4 : 0);
	size_t ihl = ctl & FZ_IPOPT ? 24 : 20;
	uint8_t *ip = f + l3, *udp = ip + ihl;
	uint32_t ps;
	uint16_t c;

	memset(f, 0xff, 6);
	memcpy(f + 6, fz_mac, 6);
	if (ctl & FZ_VLAN) {
		be16_put(f + 12, 0x8100);
		be16_put(f + 14, 7);
	}
	be16_put(f + l3 - 2, 0x0800);
	memset(ip, 0, ihl);
	ip[0] = (uint8_t)(0x40 | ihl / 4);
	be16_put(ip + 2, (uint16_t)(ihl + 8 + n));
	ip[8] = 64;
	ip[9] = 17;
	be32_put(ip + 12, 0x0a000001u);
	be32_put(ip + 16, 0xffffffffu);
	if (ctl & FZ_IPOPT)
		memset(ip + 20, 1, 4);   /* no-ops */
	be16_put(ip + 10, vnet_csum(ip, ihl, 0));
	be16_put(udp, ctl & FZ_TO_CLIENT ? 67 : 68);
	be16_put(udp + 2, ctl & FZ_TO_CLIENT ? 68 : 67);
	be16_put(udp + 4, (uint16_t)(8 + n));
	be16_put(udp + 6, 0);
	memcpy(udp + 8, p, n);
	if (!(ctl & FZ_NOSUM)) {
		ps = 0x0a00 + 0x0001 + 0xffff + 0xffff + 17 + (uint32_t)(8 + n);
		c = vnet_csum(udp, 8 + n, ps);
		be16_put(udp + 6, c == 0 ? 0xffff : c);
	}
	return l3 + ihl + 8 + n;
}

/* Parsed, built, parsed again: the same message (but overload, which is
 * read and never written). */
static void
fz_roundtrip(const struct dhcp_msg *m)
{
	static uint8_t f[PROTO_DHCP_MAX_FRAME];
	struct dhcp_msg a, b;
	size_t len = dhcp_build(m, f, sizeof f);

	memcpy(&a, m, sizeof a);     /* padding too: both came from parse */

	if (len == 0 || len > PROTO_DHCP_MAX_FRAME)
		abort();
	if (dhcp_parse(f, len, &b) != DHCP_OK)
		abort();
	a.has &= ~DHCP_HAS_OVERLOAD;
	a.overload = 0;
	if (memcmp(&a, &b, sizeof a) != 0)
		abort();
	/* One byte less room: refused, not overrun. */
	if (dhcp_build(m, f, len - 1) != 0)
		abort();
}

/* A client selecting takes the frame; what it sends must parse. */
static void
fz_client(const uint8_t *f, size_t len)
{
	static uint8_t out_buf[PROTO_DHCP_MAX_FRAME];
	struct dhcpcli c;
	struct dhcpcli_out out = { .buf = out_buf, .cap = sizeof out_buf,
	    .rnd = FZ_XID };
	struct dhcp_msg m;
	uint64_t next;

	dhcpcli_init(&c, NULL);
	dhcpcli_start(&c, 1000, fz_mac, 0, &out);
	dhcpcli_input(&c, 2000, f, len, &out);
	if (out.len > 0 && dhcp_parse(out_buf, out.len, &m) != DHCP_OK)
		abort();
	/* A second time, in whatever state that left. */
	dhcpcli_input(&c, 3000, f, len, &out);
	if (out.len > 0 && dhcp_parse(out_buf, out.len, &m) != DHCP_OK)
		abort();
	if ((out.ev & DHCPCLI_EV_BOUND) && (out.lease.ip == 0 ||
	    out.lease.expiry_ms < 1000))
		abort();
	next = dhcpcli_next_timeout(&c);
	if (next != UINT64_MAX) {
		dhcpcli_tick(&c, next, &out);
		if (out.len > 0 && dhcp_parse(out_buf, out.len, &m) != DHCP_OK)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *wrapped;
	struct dhcp_msg m;
	enum dhcp_err e;
	uint8_t *f, ctl;
	size_t len;

	if (size < 1 || size > FZ_BUF)
		return 0;
	ctl = data[0];
	data++;
	size--;
	if (ctl & FZ_WRAP) {
		if (wrapped == NULL && (wrapped = malloc(FZ_BUF + 64)) == NULL)
			abort();
		len = fz_wrap(ctl, data, size, wrapped);
		/* Exactly the frame, so ASan sees a byte read past it. */
		if ((f = malloc(len)) == NULL)
			abort();
		memcpy(f, wrapped, len);
	} else {
		len = size;
		if ((f = malloc(len > 0 ? len : 1)) == NULL)
			abort();
		memcpy(f, data, len);
	}
	e = dhcp_parse(f, len, &m);
	if (strcmp(dhcp_err_name(e), "?") == 0)
		abort();
	if (e == DHCP_OK) {
		if (m.type < DHCP_DISCOVER || m.type > DHCP_TYPE_MAX ||
		    m.ndns > PROTO_DHCP_MAX_DNS ||
		    m.prl_len > PROTO_DHCP_OPT_MAX ||
		    m.hostname_len > PROTO_DHCP_OPT_MAX ||
		    m.domain_len > PROTO_DHCP_OPT_MAX ||
		    m.client_id_len > PROTO_DHCP_OPT_MAX)
			abort();
		fz_roundtrip(&m);
	}
	fz_client(f, len);
	free(f);
	return 0;
}
