/*
 * test_packet.c: the bridge device kind's handling of captured messages,
 * apart from its socket: a VLAN tag from the auxiliary data put back, a
 * truncated or runt message dropped, an offload super-frame handed up
 * whole with its metadata (and, undone as a card without offload does, cut
 * to wire size with its checksums complete), LAN-local unicast kept off the tunnel
 * and a MAC that moves to the far side followed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <linux/if_packet.h>

#include "bytes.h"
#include "dev.h"
#include "packet.h"
#include "vnet.h"

#define T_MAX_OUT 16

struct t_out {
	int n;
	size_t len[T_MAX_OUT];
	uint8_t f[T_MAX_OUT][2048];
	int offloaded;              /* frames handed up with metadata */
	struct vnet_meta vm;        /* the last such metadata */
};

static int
t_plain(void *arg, const uint8_t *f, size_t len)
{
	struct t_out *o = arg;

	assert_true(o->n < T_MAX_OUT);
	assert_true(len <= sizeof o->f[0]);
	memcpy(o->f[o->n], f, len);
	o->len[o->n++] = len;
	return 0;
}

/* What the card does without offload: a super-frame or a partial checksum
 * undone into wire frames. */
static int
t_collect(void *arg, const struct vnet_meta *vm, uint8_t *f, size_t len)
{
	static uint8_t scratch[VNET_FRAME_MAX];
	struct t_out *o = arg;

	if (vm == NULL)
		return t_plain(o, f, len);
	o->offloaded++;
	o->vm = *vm;
	assert_int_equal(vnet_undo(vm, f, len, scratch, t_plain, o), VNET_OK);
	return 0;
}

static const uint8_t t_a[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t t_b[6] = { 0x02, 0, 0, 0, 0, 0x0b };
static const uint8_t t_far[6] = { 0x02, 0, 0, 0, 0, 0xfa };
static const uint8_t t_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* A message as recvmsg leaves it: an all-zero virtio_net_hdr (a plain
 * frame), then a 60-byte frame dst <- src of type 0x88b5. */
static size_t
t_msg(uint8_t *m, const uint8_t dst[6], const uint8_t src[6])
{
	memset(m, 0, VNET_HDR_LEN + 60);
	memcpy(m + VNET_HDR_LEN, dst, 6);
	memcpy(m + VNET_HDR_LEN + 6, src, 6);
	m[VNET_HDR_LEN + 12] = 0x88;
	m[VNET_HDR_LEN + 13] = 0xb5;
	for (int i = 14; i < 60; i++)
		m[VNET_HDR_LEN + i] = (uint8_t)i;
	return VNET_HDR_LEN + 60;
}

static int
t_setup(void **state)
{
	struct dev *d = calloc(1, sizeof *d);
	char err[128];

	assert_non_null(d);
	dev_init(d, &dev_packet, "lan0");
	assert_int_equal(packet_state_new(d, err, sizeof err), 0);
	*state = d;
	return 0;
}

static int
t_teardown(void **state)
{
	struct dev *d = *state;

	dev_packet.close(d);
	assert_null(d->priv);
	free(d);
	return 0;
}

/* The kernel keeps the tag beside the packet: it goes back in after the
 * MAC addresses, with the original type after it. */
static void
test_vlan_restored(void **state)
{
	struct dev *d = *state;
	uint8_t m[128];
	struct t_out o = { 0 };
	struct tpacket_auxdata aux = { 0 };
	size_t len = t_msg(m, t_bcast, t_a);
	static const uint8_t want[] = { 0x81, 0x00, 0x20, 0x05, 0x88, 0xb5 };

	aux.tp_status = TP_STATUS_VLAN_VALID | TP_STATUS_VLAN_TPID_VALID;
	aux.tp_vlan_tci = 0x2005;   /* priority 1, VID 5 */
	aux.tp_vlan_tpid = 0x8100;
	packet_input(d, m, len, 0, &aux, t_collect, &o);
	assert_int_equal(o.n, 1);
	assert_int_equal(o.len[0], 64);
	assert_memory_equal(o.f[0], t_bcast, 6);
	assert_memory_equal(o.f[0] + 6, t_a, 6);
	assert_memory_equal(o.f[0] + 12, want, sizeof want);
	assert_int_equal(o.f[0][18], 14);   /* the payload follows intact */
	assert_int_equal(d->st.rx_frames, 1);

	/* 802.1ad: the TPID the kernel reports, not 0x8100. */
	o.n = 0;
	len = t_msg(m, t_bcast, t_a);
	aux.tp_vlan_tpid = 0x88a8;
	aux.tp_vlan_tci = 7;
	packet_input(d, m, len, 0, &aux, t_collect, &o);
	assert_int_equal(o.n, 1);
	assert_int_equal(o.f[0][12], 0x88);
	assert_int_equal(o.f[0][13], 0xa8);
	assert_int_equal(o.f[0][15], 7);

	/* No TPID given: 802.1Q. No VLAN_VALID: no tag. */
	o.n = 0;
	len = t_msg(m, t_bcast, t_a);
	aux.tp_status = TP_STATUS_VLAN_VALID;
	packet_input(d, m, len, 0, &aux, t_collect, &o);
	assert_int_equal(o.f[0][12], 0x81);
	assert_int_equal(o.f[0][13], 0x00);
	o.n = 0;
	len = t_msg(m, t_bcast, t_a);
	aux.tp_status = 0;
	packet_input(d, m, len, 0, &aux, t_collect, &o);
	assert_int_equal(o.len[0], 60);
	assert_int_equal(o.f[0][12], 0x88);
}

/* A frame bigger than the receive slot, a runt, a header alone, a
 * multicast source: counted, never handed on. */
static void
test_bad_messages(void **state)
{
	struct dev *d = *state;
	uint8_t m[128];
	struct t_out o = { 0 };
	size_t len = t_msg(m, t_bcast, t_a);

	packet_input(d, m, len, 1, NULL, t_collect, &o);
	packet_input(d, m, VNET_HDR_LEN + 13, 0, NULL, t_collect, &o);
	packet_input(d, m, VNET_HDR_LEN, 0, NULL, t_collect, &o);
	packet_input(d, m, 3, 0, NULL, t_collect, &o);
	len = t_msg(m, t_bcast, t_bcast);
	packet_input(d, m, len, 0, NULL, t_collect, &o);
	assert_int_equal(o.n, 0);
	assert_int_equal(d->st.rx_bad, 5);
	assert_int_equal(d->st.rx_frames, 0);
}

/* A TCP/IPv4 super-frame of 3000 payload bytes with MSS 1448, as GRO or a
 * veth with TSO hands it over (partial checksum): three frames on the
 * wire, each at most 1514 bytes, checksums complete, payload in order. */
static void
test_superframe_cut(void **state)
{
	struct dev *d = *state;
	static uint8_t m[VNET_HDR_LEN + 14 + 20 + 20 + 3000];
	struct t_out o = { 0 };
	uint8_t *f = m + VNET_HDR_LEN, *ip = f + 14, *tcp = ip + 20;
	uint16_t v;
	size_t off = 0;

	memset(m, 0, sizeof m);
	/* virtio_net_hdr: NEEDS_CSUM, GSO_TCPV4, hdr_len 54, gso_size 1448,
	 * csum_start 34, csum_offset 16 (host order, little-endian). */
	m[0] = 1;
	m[1] = 1;
	v = 54; memcpy(m + 2, &v, 2);
	v = 1448; memcpy(m + 4, &v, 2);
	v = 34; memcpy(m + 6, &v, 2);
	v = 16; memcpy(m + 8, &v, 2);
	memcpy(f, t_b, 6);
	memcpy(f + 6, t_a, 6);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (uint8_t)((20 + 20 + 3000) >> 8);
	ip[3] = (uint8_t)(20 + 20 + 3000);
	ip[8] = 64;
	ip[9] = 6;
	ip[12] = 192; ip[13] = 168; ip[14] = 50; ip[15] = 11;
	ip[16] = 192; ip[17] = 168; ip[18] = 50; ip[19] = 21;
	tcp[1] = 80;
	tcp[3] = 99;
	tcp[7] = 1;          /* seq 1 */
	tcp[12] = 0x50;
	tcp[13] = 0x18;      /* ACK PSH */
	for (int i = 0; i < 3000; i++)
		tcp[20 + i] = (uint8_t)(i * 7);
	packet_input(d, m, sizeof m, 0, NULL, t_collect, &o);
	/* Handed up whole, with its metadata as the kernel gave it. */
	assert_int_equal(o.offloaded, 1);
	assert_int_equal(o.vm.gso_type, VNET_GSO_TCPV4);
	assert_int_equal(o.vm.gso_size, 1448);
	assert_int_equal(o.vm.csum_start, 34);
	assert_int_equal(o.n, 3);
	assert_int_equal(d->st.gso_frames, 1);
	for (int s = 0; s < 3; s++) {
		uint8_t *sf = o.f[s], *sip = sf + 14, *stcp = sip + 20;
		size_t pay = o.len[s] - 54;
		assert_true(o.len[s] <= 1514);
		assert_int_equal(be16_get(sip + 2), o.len[s] - 14);
		/* Valid header and TCP checksums. */
		assert_int_equal(vnet_csum(sip, 20, 0), 0);
		uint8_t ph[12];
		memcpy(ph, sip + 12, 8);
		ph[8] = 0;
		ph[9] = 6;
		ph[10] = (uint8_t)((o.len[s] - 34) >> 8);
		ph[11] = (uint8_t)(o.len[s] - 34);
		uint32_t sum = 0;
		for (int i = 0; i < 12; i += 2)
			sum += be16_get(ph + i);
		assert_int_equal(vnet_csum(stcp, o.len[s] - 34, sum), 0);
		assert_int_equal(stcp[7] | stcp[6] << 8, (1 + off) & 0xffff);
		assert_int_equal(!!(stcp[13] & 0x08), s == 2);  /* PSH last */
		for (size_t i = 0; i < pay; i++)
			assert_int_equal(stcp[20 + i], (uint8_t)((off + i) * 7));
		off += pay;
	}
	assert_int_equal(off, 3000);
	assert_int_equal(d->st.rx_frames, 1);   /* one frame, whole */
}

/* Unicast between two hosts of the LAN stays there; once a MAC is heard
 * from the tunnel, frames to it go up again. */
static void
test_local_unicast(void **state)
{
	struct dev *d = *state;
	uint8_t m[128], fr[60];
	struct t_out o = { 0 };
	size_t len;

	len = t_msg(m, t_bcast, t_a);           /* A announces itself */
	packet_input(d, m, len, 0, NULL, t_collect, &o);
	len = t_msg(m, t_a, t_b);               /* B -> A: both LAN-local */
	packet_input(d, m, len, 0, NULL, t_collect, &o);
	assert_int_equal(o.n, 1);
	assert_int_equal(d->st.rx_local, 1);
	len = t_msg(m, t_far, t_b);             /* B -> unknown: up */
	packet_input(d, m, len, 0, NULL, t_collect, &o);
	assert_int_equal(o.n, 2);

	/* A frame from the tunnel with source A: A lives there now. The
	 * device has no socket, so the write itself is refused. */
	memcpy(fr, t_bcast, 6);
	memcpy(fr + 6, t_a, 6);
	memset(fr + 12, 0, sizeof fr - 12);
	assert_int_equal(dev_packet.write(d, NULL, fr, sizeof fr), -1);
	assert_int_equal(d->st.tx_dropped, 1);
	len = t_msg(m, t_a, t_b);
	packet_input(d, m, len, 0, NULL, t_collect, &o);
	assert_int_equal(o.n, 3);
	assert_int_equal(d->st.rx_local, 1);

	/* From the tunnel, to a MAC on the tunnel side: not for the LAN, and
	 * not an error. */
	memcpy(fr, t_a, 6);
	memcpy(fr + 6, t_far, 6);
	assert_int_equal(dev_packet.write(d, NULL, fr, sizeof fr), 0);
	assert_int_equal(d->st.tx_dropped, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_vlan_restored, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_bad_messages, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_superframe_cut, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_local_unicast, t_setup,
		    t_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
