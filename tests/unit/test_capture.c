/*
 * test_capture.c: hub capture. The pcap writer's bytes (global header,
 * record header, snaplen); a super-frame written as its wire segments; a
 * monitor sees each forwarded frame once and no dropped one, yet attaching
 * and detaching it changes no forwarding decision; the frame limit, a full
 * sink's drops; the stream framing and the command's arguments; and
 * capture refused on every way in but the control socket.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>

#include "admin.h"
#include "admincmd.h"
#include "bytes.h"
#include "capture.h"
#include "switch.h"
#include "vnet.h"

#define T_PORTS   3u
#define T_LOG     64u
#define T_SINK    (256u * 1024u)
#define T_TS_US   1700000000123456ull   /* 2023-11-14T22:13:20.123456Z */

/* ---- A sink that keeps the bytes --------------------------------------- */

struct t_sink {
	uint8_t buf[T_SINK];
	size_t len;
	size_t room;           /* refuse a record past this many bytes */
	unsigned records, done;
};

static int
t_sink(void *arg, const void *const *p, const size_t *len, int n)
{
	struct t_sink *s = arg;
	size_t total = 0;

	for (int i = 0; i < n; i++)
		total += len[i];
	if (s->len + total > s->room)
		return -1;
	for (int i = 0; i < n; i++) {
		memcpy(s->buf + s->len, p[i], len[i]);
		s->len += len[i];
	}
	s->records++;
	return 0;
}

static void
t_done(void *arg)
{
	((struct t_sink *)arg)->done++;
}

static uint64_t
t_clock(void)
{
	return T_TS_US;
}

static void
t_capture(struct capture *c, struct t_sink *s, uint32_t snaplen,
    uint64_t limit)
{
	memset(s, 0, sizeof *s);
	s->room = sizeof s->buf;
	capture_init(c, snaplen, limit, t_sink, t_done, s);
	c->clock_us = t_clock;
}

static uint32_t
t_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* ---- A hub whose ports log what they are given -------------------------- */

struct t_port {
	struct sw_port port;
	unsigned n;
	size_t len[T_LOG];
	uint8_t head[T_LOG][16];   /* the first bytes: enough to tell apart */
};

static void
t_output(struct sw_port *p, const struct vnet_meta *vm, const uint8_t *f,
    size_t len)
{
	struct t_port *k = p->owner;

	assert_true(k->n < T_LOG);
	k->len[k->n] = len;
	memcpy(k->head[k->n], f, len < 16 ? len : 16);
	k->n++;
}

static const struct sw_port_ops t_ops = { .kind = "test",
	.output = t_output };

struct t_hub {
	struct sw h;
	struct t_port p[T_PORTS];
	struct sw_policy nobcast;
};

static void
t_hub_init(struct t_hub *t)
{
	memset(t, 0, sizeof *t);
	assert_int_equal(sw_init(&t->h, "T", 60000, 1024), 0);
	for (unsigned i = 0; i < T_PORTS; i++)
		sw_port_add(&t->h, &t->p[i].port, &t_ops, &t->p[i]);
	t->nobcast.deny_broadcast = true;
	sw_port_set_policy(&t->p[2].port, &t->nobcast);
}

static void
t_hub_free(struct t_hub *t)
{
	for (unsigned i = 0; i < T_PORTS; i++)
		sw_port_remove(&t->h, &t->p[i].port);
	sw_free(&t->h);
}

static const uint8_t t_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static void
t_mac(uint8_t n, uint8_t mac[6])
{
	static const uint8_t base[6] = { 0x02, 0x5e, 0, 0, 0, 0 };

	memcpy(mac, base, 6);
	mac[5] = n;
}

/* A plain frame of len bytes, dst <- src, marked with tag. */
static size_t
t_frame(uint8_t *f, size_t len, const uint8_t dst[6], const uint8_t src[6],
    uint8_t tag)
{
	memset(f, tag, len);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	be16_put(f + 12, 0x88b5);   /* local experimental EtherType */
	return len;
}

/* An IPv4 TCP super-frame from MAC src to dst: payload bytes in segments
 * of mss; its metadata in *vm. */
static size_t
t_super(uint8_t *f, const uint8_t dst[6], const uint8_t src[6],
    size_t payload, uint16_t mss, struct vnet_meta *vm)
{
	size_t l3 = 14, l4 = l3 + 20, hl = l4 + 20, len = hl + payload;

	memset(f, 0, len);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	be16_put(f + 12, 0x0800);
	f[l3] = 0x45;
	be16_put(f + l3 + 2, (uint16_t)(len - l3));  /* past the MTU: GSO */
	f[l3 + 8] = 64;
	f[l3 + 9] = 6;
	f[l3 + 12] = 10;
	f[l3 + 15] = 1;
	f[l3 + 16] = 10;
	f[l3 + 19] = 2;
	be16_put(f + l3 + 10, vnet_csum(f + l3, 20, 0));
	be16_put(f + l4, 40000);
	be16_put(f + l4 + 2, 80);
	f[l4 + 12] = 0x50;
	for (size_t i = 0; i < payload; i++)
		f[hl + i] = (uint8_t)(i * 7 + 3);
	*vm = (struct vnet_meta){ .flags = VNET_F_NEEDS_CSUM,
	    .gso_type = VNET_GSO_TCPV4, .hdr_len = (uint16_t)hl,
	    .gso_size = mss, .csum_start = (uint16_t)l4, .csum_offset = 16 };
	return len;
}

/* ---- pcap bytes ---------------------------------------------------------- */

static void
test_pcap_header(void **state)
{
	static const uint8_t want[CAPTURE_PCAP_HDR] = {
		0xd4, 0xc3, 0xb2, 0xa1,     /* magic, microseconds */
		0x02, 0x00, 0x04, 0x00,     /* version 2.4 */
		0, 0, 0, 0,                 /* thiszone */
		0, 0, 0, 0,                 /* sigfigs */
		0x00, 0x00, 0x04, 0x00,     /* snaplen 262144 */
		0x01, 0x00, 0x00, 0x00,     /* LINKTYPE_ETHERNET */
	};
	uint8_t h[CAPTURE_PCAP_HDR];

	(void)state;
	capture_pcap_header(h, CAPTURE_SNAPLEN);
	assert_memory_equal(h, want, sizeof want);
}

static void
test_pcap_record(void **state)
{
	static const uint8_t want[CAPTURE_PCAP_REC] = {
		0x00, 0xf1, 0x53, 0x65,     /* 1700000000 s */
		0x40, 0xe2, 0x01, 0x00,     /* 123456 us */
		0x3c, 0x00, 0x00, 0x00,     /* 60 kept */
		0xea, 0x05, 0x00, 0x00,     /* of 1514 */
	};
	uint8_t r[CAPTURE_PCAP_REC];

	(void)state;
	capture_pcap_record(r, T_TS_US, 60, 1514);
	assert_memory_equal(r, want, sizeof want);
}

/* A frame longer than the snaplen keeps its first snaplen bytes, and
 * says how long it was. */
static void
test_snaplen(void **state)
{
	static struct t_hub t;
	static struct t_sink s;
	struct capture c;
	uint8_t a[6], b[6], f[300];

	(void)state;
	t_hub_init(&t);
	t_capture(&c, &s, 100, 0);
	capture_attach(&c, &t.h);
	t_mac(1, a);
	t_mac(2, b);
	sw_forward(&t.h, &t.p[0].port, NULL, f, t_frame(f, sizeof f, b, a,
	    0x77), 1000);
	assert_int_equal(s.records, 1);
	assert_int_equal(s.len, CAPTURE_PCAP_REC + 100);
	assert_int_equal(t_le32(s.buf + 8), 100);
	assert_int_equal(t_le32(s.buf + 12), 300);
	assert_memory_equal(s.buf + CAPTURE_PCAP_REC, f, 100);
	assert_int_equal(c.frames, 1);
	assert_int_equal(c.bytes, 300);
	capture_detach(&c);
	t_hub_free(&t);
}

/* A super-frame is written as the wire frames it stands for: each with
 * its own IPv4 total length and a correct header checksum, the payload in
 * order, all with the one timestamp. */
static void
test_super_frame(void **state)
{
	static struct t_hub t;
	static struct t_sink s;
	static uint8_t f[VNET_FRAME_MAX];
	struct capture c;
	struct vnet_meta vm;
	uint8_t a[6], b[6];
	size_t len, off = 0, got = 0;

	(void)state;
	t_hub_init(&t);
	t_capture(&c, &s, CAPTURE_SNAPLEN, 0);
	capture_attach(&c, &t.h);
	t_mac(1, a);
	t_mac(2, b);
	len = t_super(f, b, a, 3000, 1000, &vm);
	sw_forward(&t.h, &t.p[0].port, &vm, f, len, 1000);
	assert_int_equal(s.records, 3);
	assert_int_equal(c.frames, 3);
	for (unsigned i = 0; i < 3; i++) {
		const uint8_t *r = s.buf + off, *seg = r + CAPTURE_PCAP_REC;
		uint32_t caplen = t_le32(r + 8);
		assert_int_equal(caplen, 14 + 20 + 20 + 1000);
		assert_int_equal(t_le32(r + 12), caplen);
		assert_int_equal(t_le32(r), (uint32_t)(T_TS_US / 1000000u));
		assert_int_equal(be16_get(seg + 14 + 2), 20 + 20 + 1000);
		assert_int_equal(vnet_csum(seg + 14, 20, 0), 0);
		assert_memory_equal(seg + 54, f + 54 + got, 1000);
		got += 1000;
		off += CAPTURE_PCAP_REC + caplen;
	}
	assert_int_equal(off, s.len);
	capture_detach(&c);
	t_hub_free(&t);
}

/* ---- The monitor and the engine ------------------------------------------ */

/* A plain frame from port i; forwarded: 1 if the engine is to pass it. */
static unsigned
t_send(struct t_hub *t, unsigned i, const uint8_t dst[6],
    const uint8_t src[6], uint8_t tag, unsigned forwarded)
{
	uint8_t f[128];

	sw_forward(&t->h, &t->p[i].port, NULL, f, t_frame(f, 60u + tag, dst,
	    src, tag), 1000);
	return forwarded;
}

/* The same frames into a hub: floods, unicast, a hairpin, a bad frame,
 * a policy drop, a super-frame. Returns how many were forwarded. */
static unsigned
t_traffic(struct t_hub *t)
{
	static uint8_t big[VNET_FRAME_MAX];
	uint8_t m[4][6], bad[6] = { 0x03, 0, 0, 0, 0, 9 };
	struct vnet_meta vm;
	unsigned fwd = 0;
	size_t len;

	for (uint8_t i = 0; i < 4; i++)
		t_mac(i, m[i]);
	fwd += t_send(t, 0, t_bcast, m[0], 1, 1); /* flood, learns m0 */
	fwd += t_send(t, 1, m[0], m[1], 2, 1);    /* unicast to p0 */
	fwd += t_send(t, 2, m[1], m[2], 3, 1);    /* unicast to p1 */
	fwd += t_send(t, 0, m[3], m[0], 4, 1);    /* unknown: flood */
	fwd += t_send(t, 1, m[1], m[1], 5, 0);    /* behind its own port */
	fwd += t_send(t, 0, m[1], bad, 6, 0);     /* group source: bad */
	fwd += t_send(t, 2, t_bcast, m[2], 7, 0); /* p2 may not broadcast */
	fwd += t_send(t, 1, m[2], m[1], 8, 1);    /* unicast to p2 */
	len = t_super(big, m[1], m[0], 2500, 1200, &vm);
	sw_forward(&t->h, &t->p[0].port, &vm, big, len, 1000);
	return fwd + 1;
}

static void
t_same_ports(const struct t_hub *x, const struct t_hub *y)
{
	for (unsigned i = 0; i < T_PORTS; i++) {
		const struct t_port *a = &x->p[i], *b = &y->p[i];
		assert_int_equal(a->n, b->n);
		for (unsigned k = 0; k < a->n; k++) {
			assert_int_equal(a->len[k], b->len[k]);
			assert_memory_equal(a->head[k], b->head[k], 16);
		}
		assert_int_equal(a->port.macs, b->port.macs);
		assert_memory_equal(a->port.drops, b->port.drops,
		    sizeof a->port.drops);
	}
	assert_int_equal(x->h.nports, y->h.nports);
	assert_int_equal(x->h.nmacs, y->h.nmacs);
	assert_memory_equal(&x->h.stats, &y->h.stats, sizeof x->h.stats);
}

/* With a monitor or without, every port gets the same frames and the
 * tables and counters end the same; the monitor gets each forwarded frame
 * once (a flood is not one copy per destination), no dropped one, and the
 * super-frame as its segments. */
static void
test_monitor_changes_nothing(void **state)
{
	static struct t_hub with, without;
	static struct t_sink s;
	struct capture c;
	unsigned fwd;

	(void)state;
	t_hub_init(&with);
	t_hub_init(&without);
	t_capture(&c, &s, CAPTURE_SNAPLEN, 0);
	capture_attach(&c, &with.h);
	assert_int_equal(with.h.nmonitors, 1);
	assert_int_equal(with.h.nports, T_PORTS);
	fwd = t_traffic(&with);
	assert_int_equal(t_traffic(&without), fwd);
	t_same_ports(&with, &without);
	/* 5 plain frames of 8 forwarded, and the super-frame as 3 segments
	 * (2500 bytes in 1200s). */
	assert_int_equal(fwd, 6);
	assert_int_equal(c.frames, 5 + 3);
	assert_int_equal(s.records, 8);
	assert_int_equal(c.dropped, 0);
	/* The monitor holds no MAC: none of its frames came from it. */
	assert_int_equal(c.mon.macs, 0);

	/* Detached, it sees nothing; the hub goes on as the other. */
	capture_detach(&c);
	assert_int_equal(with.h.nmonitors, 0);
	assert_null(TAILQ_FIRST(&with.h.monitors));
	t_traffic(&with);
	t_traffic(&without);
	t_same_ports(&with, &without);
	assert_int_equal(c.frames, 8);
	t_hub_free(&with);
	t_hub_free(&without);
}

/* The frame limit: done once, nothing after; a super-frame stops mid-way.
 * A sink with no room drops whole records and counts them. */
static void
test_limit_and_drops(void **state)
{
	static struct t_hub t;
	static struct t_sink s;
	static uint8_t big[VNET_FRAME_MAX];
	struct capture c;
	struct vnet_meta vm;
	uint8_t a[6], b[6], f[64];
	size_t len;

	(void)state;
	t_hub_init(&t);
	t_mac(1, a);
	t_mac(2, b);
	t_capture(&c, &s, CAPTURE_SNAPLEN, 2);
	capture_attach(&c, &t.h);
	len = t_super(big, b, a, 4000, 1000, &vm);
	sw_forward(&t.h, &t.p[0].port, &vm, big, len, 1000);
	sw_forward(&t.h, &t.p[0].port, NULL, f, t_frame(f, sizeof f, b, a, 1),
	    1000);
	assert_int_equal(c.frames, 2);
	assert_int_equal(s.records, 2);
	assert_int_equal(s.done, 1);
	assert_true(c.full);
	capture_detach(&c);

	t_capture(&c, &s, CAPTURE_SNAPLEN, 0);
	s.room = 2 * (CAPTURE_PCAP_REC + sizeof f);
	capture_attach(&c, &t.h);
	for (uint8_t i = 0; i < 5; i++)
		sw_forward(&t.h, &t.p[0].port, NULL, f,
		    t_frame(f, sizeof f, b, a, i), 1000);
	assert_int_equal(c.frames, 2);
	assert_int_equal(c.dropped, 3);
	assert_int_equal(s.len, s.room);
	assert_int_equal(s.done, 0);
	/* The ports got all five all the same (after two floods before). */
	assert_int_equal(t.p[1].n, 2 + 5);
	capture_detach(&c);
	t_hub_free(&t);
}

/* ---- The command --------------------------------------------------------- */

static void
test_stream_framing(void **state)
{
	char hdr[ADMINCMD_REPLY_HDR];
	enum admincmd_frame kind;
	size_t len, used;
	int ok;

	(void)state;
	assert_int_equal(admincmd_frame_hdr(hdr, ADMINCMD_FRAME_STREAM, 5), 9);
	assert_memory_equal(hdr, "STREAM 5\n", 9);
	assert_int_equal(admincmd_frame_parse(hdr, 9, &kind, &len, &used), 1);
	assert_true(kind == ADMINCMD_FRAME_STREAM && len == 5 && used == 9);
	assert_int_equal(admincmd_frame_hdr(hdr, ADMINCMD_FRAME_DATA, 1530),
	    10);
	assert_memory_equal(hdr, "DATA 1530\n", 10);
	assert_int_equal(admincmd_frame_parse(hdr, 10, &kind, &len, &used), 1);
	assert_true(kind == ADMINCMD_FRAME_DATA && len == 1530);
	assert_int_equal(admincmd_frame_parse("OK 3\n", 5, &kind, &len,
	    &used), 1);
	assert_true(kind == ADMINCMD_FRAME_OK && len == 3);
	assert_int_equal(admincmd_frame_parse("DATA", 4, &kind, &len,
	    &used), 0);
	assert_int_equal(admincmd_frame_parse("DATA\n", 5, &kind, &len,
	    &used), -1);
	assert_int_equal(admincmd_frame_parse("DATAX 1\n", 8, &kind, &len,
	    &used), -1);
	assert_int_equal(admincmd_frame_parse("STREAM -1\n", 10, &kind, &len,
	    &used), -1);
	/* A client that knows no streams takes none for a reply. */
	assert_int_equal(admincmd_reply_parse("STREAM 0\n", 9, &ok, &len,
	    &used), -1);
	assert_int_equal(admincmd_reply_parse("DATA 4\n", 7, &ok, &len,
	    &used), -1);
}

static int
t_capture_args(const char *line, struct admincmd_capture *c, char *err,
    size_t errlen)
{
	static struct admincmd_line l;

	assert_int_equal(admincmd_parse(line, strlen(line), &l, err, errlen),
	    0);
	assert_int_equal(l.cmd->id, ADMINCMD_HUB_CAPTURE);
	return admincmd_capture_parse(&l, c, err, errlen);
}

static void
test_capture_args(void **state)
{
	struct admincmd_capture c;
	char err[256];

	(void)state;
	assert_int_equal(t_capture_args("hub capture DEFAULT", &c, err,
	    sizeof err), 0);
	assert_string_equal(c.hub, "DEFAULT");
	assert_null(c.file);
	assert_true(c.count == 0 && c.seconds == 0);
	assert_int_equal(t_capture_args("hub capture H --count 20 -", &c, err,
	    sizeof err), 0);
	assert_true(c.count == 20 && c.file == NULL);
	assert_int_equal(t_capture_args("hub capture H /tmp/x.pcap -c 3 "
	    "--seconds 9", &c, err, sizeof err), 0);
	assert_string_equal(c.file, "/tmp/x.pcap");
	assert_true(c.count == 3 && c.seconds == 9);
	assert_int_equal(t_capture_args("hub capture H --count", &c, err,
	    sizeof err), -1);
	assert_string_equal(err, "hub capture: --count needs a number");
	assert_int_equal(t_capture_args("hub capture H --count 0", &c, err,
	    sizeof err), -1);
	assert_string_equal(err, "hub capture: --count: expected a number of "
	    "frames");
	assert_int_equal(t_capture_args("hub capture H --seconds 604801", &c,
	    err, sizeof err), -1);
	assert_string_equal(err, "hub capture: --seconds: expected 1 to 604800 "
	    "seconds");
	assert_int_equal(t_capture_args("hub capture H --snaplen 9", &c, err,
	    sizeof err), -1);
	assert_string_equal(err, "hub capture: unknown option '--snaplen' "
	    "(--count N, --seconds S)");
	assert_int_equal(t_capture_args("hub capture H a b", &c, err,
	    sizeof err), -1);
	assert_string_equal(err, "hub capture: one FILE at most");
}

/* The console and the network admin channel run admin_line: capture is
 * refused there, saying where it works. */
static void
test_local_only(void **state)
{
	struct evbuffer *out = evbuffer_new();
	const char *line = "hub capture DEFAULT";
	char text[512];
	size_t n;

	(void)state;
	assert_non_null(out);
	assert_int_equal(admin_line(NULL, line, strlen(line), 0, out), -1);
	n = evbuffer_remove(out, text, sizeof text - 1);
	text[n] = '\0';
	assert_non_null(strstr(text, "hub capture is local only"));
	assert_int_equal(admin_line(NULL, line, strlen(line), 1, out), -1);
	n = evbuffer_remove(out, text, sizeof text - 1);
	text[n] = '\0';
	assert_non_null(strstr(text, "{\"ok\":false,\"error\":\"hub capture is "
	    "local only"));
	evbuffer_free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcap_header),
		cmocka_unit_test(test_pcap_record),
		cmocka_unit_test(test_snaplen),
		cmocka_unit_test(test_super_frame),
		cmocka_unit_test(test_monitor_changes_nothing),
		cmocka_unit_test(test_limit_and_drops),
		cmocka_unit_test(test_stream_framing),
		cmocka_unit_test(test_capture_args),
		cmocka_unit_test(test_local_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
