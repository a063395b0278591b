/*
 * packet.c: the bridge device kind: a real Ethernet interface, every frame
 * on it captured and every frame from the hub injected, through one
 * AF_PACKET socket in promiscuous mode.
 *
 * What makes bridges fail in practice, and what this file does about it:
 *
 * - Offloads. With GRO on the interface, or a veth whose sender has TSO,
 *   the socket sees TCP super-frames up to 64 KiB and frames whose L4
 *   checksum is only partial. Turning offloads off on our side cannot
 *   help with a veth (the peer's stack builds the super-frame), and costs
 *   throughput everywhere else, so the socket asks for a virtio_net_hdr
 *   with each frame (PACKET_VNET_HDR) and vnet.c completes checksums and
 *   cuts super-frames into wire-sized frames. Nothing on the interface is
 *   changed but its promiscuity.
 * - VLAN tags. The kernel takes an 802.1Q/802.1ad tag off every frame it
 *   receives and keeps it beside the packet: PACKET_AUXDATA hands it to us
 *   and the tag goes back in, so a tagged frame keeps its tag end to end.
 * - Echo. Frames we inject are outgoing on the interface; the socket must
 *   not capture them back (PACKET_IGNORE_OUTGOING, and the packet type as
 *   a fallback on kernels without it).
 * - LAN-local traffic. A switch that floods, or promiscuous mode on a hub,
 *   shows us unicast between two hosts of the same LAN. A small switching
 *   engine of two ports (the LAN and the tunnel) learns which MACs live
 *   here and keeps their unicast out of the tunnel.
 * - Loss. An interface deleted, renamed or not there yet is noticed by
 *   watch(); the socket is closed and opened again when a link of that
 *   name returns.
 *
 * Reads are batched with recvmmsg.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "clock.h"
#include "dev.h"
#include "log.h"
#include "packet.h"
#include "switch.h"
#include "vnet.h"

#define PKT_BATCH      32u        /* frames per recvmmsg */
#define PKT_SLOT       (VNET_HDR_LEN + VNET_FRAME_MAX)
#define PKT_RCVBUF     (8u << 20) /* bursts while the loop is busy */
#define PKT_MAX_MACS   65536u     /* hosts of one LAN we remember */

struct pkt {
	int ifindex;                  /* bound to; 0 while lost */
	int running;                  /* IFF_RUNNING as last seen */
	int lost_logged;
	unsigned mtu;
	struct sw lan;                /* which MACs live on the LAN */
	struct sw_port port_lan, port_tunnel;
	uint8_t *slots;               /* PKT_BATCH * PKT_SLOT */
	struct mmsghdr msgs[PKT_BATCH];
	struct iovec iov[PKT_BATCH];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	} cmsg[PKT_BATCH];
	struct sockaddr_ll from[PKT_BATCH];
	/* During one read_batch. */
	uint64_t now_ms;              /* of the message being handed up */
	int stop;
	struct dev *d;
};

static int
pkt_ifreq(const char *name, unsigned long req, struct ifreq *ifr)
{
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc;

	if (sock < 0)
		return -1;
	memset(ifr, 0, sizeof *ifr);
	snprintf(ifr->ifr_name, sizeof ifr->ifr_name, "%s", name);
	rc = ioctl(sock, req, ifr);
	close(sock);
	return rc;
}

/* The socket, bound to the interface in promiscuous mode: 0, -1 with err,
 * or -2 with err if no interface has that name. */
static int
pkt_bind(struct dev *d, struct pkt *p, char *err, size_t errlen)
{
	struct sockaddr_ll sll;
	struct packet_mreq mr;
	struct ifreq ifr;
	int fd, one = 1, rcvbuf = PKT_RCVBUF;
	unsigned idx;

	if ((idx = if_nametoindex(d->name)) == 0) {
		snprintf(err, errlen, "bridge %s: no such interface", d->name);
		return -2;
	}
	if (pkt_ifreq(d->name, SIOCGIFHWADDR, &ifr) != 0 ||
	    ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
		snprintf(err, errlen, "bridge %s: not an Ethernet interface",
		    d->name);
		return -1;
	}
	/* Protocol 0 captures nothing until bind names the interface. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "bridge %s: packet socket: %s%s",
		    d->name, strerror(errno), errno == EPERM ||
		    errno == EACCES ? " (bridging needs root or CAP_NET_RAW)" :
		    "");
		return -1;
	}
	if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) ||
	    setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof one)) {
		snprintf(err, errlen, "bridge %s: packet socket options: %s",
		    d->name, strerror(errno));
		goto fail;
	}
	/* Older kernels lack it: their echoes are told by the packet type. */
	(void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
	    sizeof one);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof rcvbuf) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof rcvbuf);
	memset(&sll, 0, sizeof sll);
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)idx;
	if (bind(fd, (struct sockaddr *)&sll, sizeof sll) != 0) {
		snprintf(err, errlen, "bridge %s: bind: %s", d->name,
		    strerror(errno));
		goto fail;
	}
	memset(&mr, 0, sizeof mr);
	mr.mr_ifindex = (int)idx;
	mr.mr_type = PACKET_MR_PROMISC;
	if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr,
	    sizeof mr) != 0) {
		snprintf(err, errlen, "bridge %s: promiscuous mode: %s",
		    d->name, strerror(errno));
		goto fail;
	}
	/* A bridge of a link that is down bridges nothing: bring it up. */
	if (pkt_ifreq(d->name, SIOCGIFFLAGS, &ifr) == 0 &&
	    !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (s >= 0) {
			if (ioctl(s, SIOCSIFFLAGS, &ifr) == 0)
				log_info("bridge %s: interface brought up",
				    d->name);
			close(s);
		}
	}
	p->running = pkt_ifreq(d->name, SIOCGIFFLAGS, &ifr) == 0 &&
	    (ifr.ifr_flags & IFF_RUNNING);
	p->mtu = pkt_ifreq(d->name, SIOCGIFMTU, &ifr) == 0 ?
	    (unsigned)ifr.ifr_mtu : 1500u;
	p->ifindex = (int)idx;
	d->fd = fd;
	return 0;
fail:
	close(fd);
	return -1;
}

static void
pkt_free(struct pkt *p)
{
	if (p == NULL)
		return;
	sw_port_remove(&p->lan, &p->port_lan);
	sw_port_remove(&p->lan, &p->port_tunnel);
	sw_free(&p->lan);
	free(p->slots);
	free(p);
}

int
packet_state_new(struct dev *d, char *err, size_t errlen)
{
	struct pkt *p = calloc(1, sizeof *p);

	if (p == NULL || (p->slots = malloc((size_t)PKT_BATCH * PKT_SLOT)) ==
	    NULL || sw_init(&p->lan, d->name, SW_DEFAULT_AGING_MS,
	    PKT_MAX_MACS) != 0) {
		if (p != NULL)
			free(p->slots);
		free(p);
		snprintf(err, errlen, "bridge %s: out of memory", d->name);
		return -1;
	}
	sw_port_add(&p->lan, &p->port_lan, NULL, p);
	sw_port_add(&p->lan, &p->port_tunnel, NULL, p);
	sw_port_set_mac_cap(&p->port_lan, PKT_MAX_MACS);
	sw_port_set_mac_cap(&p->port_tunnel, PKT_MAX_MACS);
	p->d = d;
	d->offload = 1;	/* PACKET_VNET_HDR: metadata both ways */
	for (unsigned i = 0; i < PKT_BATCH; i++) {
		p->iov[i].iov_base = p->slots + (size_t)i * PKT_SLOT;
		p->iov[i].iov_len = PKT_SLOT;
	}
	d->priv = p;
	return 0;
}

static int
pkt_open(struct dev *d, const uint8_t mac[ETHER_ADDR_LEN], char *err,
    size_t errlen)
{
	struct pkt *p;
	int rc;

	if (packet_state_new(d, err, errlen) != 0)
		return -1;
	p = d->priv;
	rc = pkt_bind(d, p, err, errlen);
	if (rc == -2 && d->wait_link) {
		log_warn("%s yet; waiting for it (checked every %u s)", err,
		    DEV_WATCH_MS / 1000u);
		p->lost_logged = 1;
		return 0;
	}
	if (rc != 0) {
		pkt_free(p);
		d->priv = NULL;
		return -1;
	}
	log_info("bridge %s: capturing (index %d, mtu %u, promiscuous, "
	    "offloads passed on)", d->name, p->ifindex, p->mtu);
	return 0;
}

/* One frame the LAN sent (a super-frame, maybe), whole and tagged again:
 * up, unless its destination lives on the LAN too. */
static void
pkt_up(struct pkt *p, const struct vnet_meta *vm, uint8_t *f, size_t len,
    dev_frame_fn *fn, void *arg)
{
	struct sw_meta m;
	struct dev *d = p->d;

	if (sw_input(&p->lan, &p->port_lan, f, len, p->now_ms, &m) ==
	    SW_DROP) {
		if (m.why == SW_DROP_SAME_PORT)
			d->st.rx_local++;
		else
			d->st.rx_bad++;
		return;
	}
	d->st.rx_frames++;
	d->st.rx_bytes += len;
	if (fn(arg, vm, f, len) != 0)
		p->stop = 1;
}

void
packet_input(struct dev *d, uint8_t *msg, size_t len, int truncated,
    const struct tpacket_auxdata *aux, dev_frame_fn *fn, void *arg)
{
	struct pkt *p = d->priv;
	size_t shift = 0;
	struct vnet_meta vm;
	uint8_t *f;

	if (truncated || len < VNET_HDR_LEN + 14u) {
		d->st.rx_bad++;
		return;
	}
	vnet_meta_get(msg, &vm);
	f = msg + VNET_HDR_LEN;
	len -= VNET_HDR_LEN;
	if (aux != NULL && (aux->tp_status & TP_STATUS_VLAN_VALID)) {
		/* The header's 10 bytes, already read, are the headroom. */
		if (vnet_vlan_insert(&f, &len, aux->tp_status &
		    TP_STATUS_VLAN_TPID_VALID ? aux->tp_vlan_tpid : ETH_P_8021Q,
		    aux->tp_vlan_tci) != 0) {
			d->st.rx_bad++;
			return;
		}
		shift = 4;
	}
	/* Handed up as it came: whoever cannot take a super-frame or a
	 * partial checksum undoes it (vnet_undo). The tag put back moves
	 * the headers the metadata points at. */
	vm.flags &= VNET_F_NEEDS_CSUM;
	if (!vnet_meta_plain(&vm)) {
		vm.csum_start = (uint16_t)(vm.csum_start + shift);
		if (vm.hdr_len != 0)
			vm.hdr_len = (uint16_t)(vm.hdr_len + shift);
		if ((vm.gso_type & ~VNET_GSO_ECN) != VNET_GSO_NONE)
			d->st.gso_frames++;
	}
	p->now_ms = clock_now_ms();
	pkt_up(p, vnet_meta_plain(&vm) ? NULL : &vm, f, len, fn, arg);
}

/* Received message i: not our own echo, its auxiliary data found. */
static void
pkt_message(struct dev *d, struct pkt *p, unsigned i, dev_frame_fn *fn,
    void *arg)
{
	struct msghdr *mh = &p->msgs[i].msg_hdr;
	const struct tpacket_auxdata *auxp = NULL;
	struct tpacket_auxdata aux;
	struct cmsghdr *cm;

	if (p->from[i].sll_pkttype == PACKET_OUTGOING)
		return;
	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm))
		if (cm->cmsg_level == SOL_PACKET &&
		    cm->cmsg_type == PACKET_AUXDATA &&
		    cm->cmsg_len >= CMSG_LEN(sizeof aux)) {
			memcpy(&aux, CMSG_DATA(cm), sizeof aux);
			auxp = &aux;
		}
	packet_input(d, p->slots + (size_t)i * PKT_SLOT, p->msgs[i].msg_len,
	    (mh->msg_flags & MSG_TRUNC) != 0, auxp, fn, arg);
}

static int
pkt_read_batch(struct dev *d, dev_frame_fn *fn, void *arg, unsigned max)
{
	struct pkt *p = d->priv;
	int n = 0;

	if (p == NULL || d->fd < 0)
		return 0;
	p->stop = 0;
	while ((unsigned)n < max && !p->stop) {
		unsigned want = max - (unsigned)n < PKT_BATCH ?
		    max - (unsigned)n : PKT_BATCH;
		for (unsigned i = 0; i < want; i++) {
			struct msghdr *mh = &p->msgs[i].msg_hdr;
			memset(mh, 0, sizeof *mh);
			mh->msg_name = &p->from[i];
			mh->msg_namelen = sizeof p->from[i];
			mh->msg_iov = &p->iov[i];
			mh->msg_iovlen = 1;
			mh->msg_control = p->cmsg[i].buf;
			mh->msg_controllen = sizeof p->cmsg[i].buf;
		}
		int got = recvmmsg(d->fd, p->msgs, want, MSG_DONTWAIT, NULL);
		if (got < 0)
			return errno == EAGAIN || errno == EINTR ? n : -1;
		for (int i = 0; i < got; i++)
			pkt_message(d, p, (unsigned)i, fn, arg);
		n += got;
		if ((unsigned)got < want)
			break;
	}
	return n;
}

/* One frame from the hub onto the LAN; the kernel segments a super-frame
 * and completes a partial checksum (vm) if the interface cannot. */
static int
pkt_write(struct dev *d, const struct vnet_meta *vm, const uint8_t *f,
    size_t len)
{
	struct pkt *p = d->priv;
	uint8_t hdr[VNET_HDR_LEN];
	struct iovec iov[2] = { { hdr, sizeof hdr }, { (void *)f, len } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	struct sw_meta m;

	if (p == NULL)
		return -1;
	/* Its source lives beyond the tunnel now; a destination there too
	 * needs nothing from the LAN. */
	if (sw_input(&p->lan, &p->port_tunnel, f, len, clock_now_ms(), &m) ==
	    SW_DROP) {
		if (m.why == SW_DROP_SAME_PORT)
			return 0;
		d->st.tx_dropped++;
		return -1;
	}
	if (d->fd < 0) {
		d->st.tx_dropped++;
		return -1;
	}
	if (vm != NULL)
		vnet_meta_put(hdr, vm);
	else
		vnet_meta_put_none(hdr);
	if (sendmsg(d->fd, &mh, MSG_DONTWAIT) < 0) {
		d->st.tx_dropped++;
		return -1;
	}
	d->st.tx_frames++;
	d->st.tx_bytes += len;
	return 0;
}

static void
pkt_close(struct dev *d)
{
	if (d->fd >= 0)
		close(d->fd);	/* the promiscuous membership goes with it */
	d->fd = -1;
	pkt_free(d->priv);
	d->priv = NULL;
}

static int
pkt_watch(struct dev *d)
{
	struct pkt *p = d->priv;
	unsigned idx = if_nametoindex(d->name);
	struct ifreq ifr;
	char err[256];

	if (p == NULL)
		return 0;
	if (p->ifindex != 0 && (int)idx == p->ifindex) {
		int running = pkt_ifreq(d->name, SIOCGIFFLAGS, &ifr) == 0 &&
		    (ifr.ifr_flags & IFF_RUNNING);
		if (running && !p->running)
			log_info("bridge %s: link up", d->name);
		else if (!running && p->running)
			log_warn("bridge %s: link down (no carrier)", d->name);
		p->running = running;
		return 0;
	}
	if (p->ifindex != 0) {
		log_warn("bridge %s: the interface is gone (deleted or "
		    "renamed); trying again every %u s", d->name,
		    DEV_WATCH_MS / 1000u);
		close(d->fd);
		d->fd = -1;
		p->ifindex = 0;
		p->lost_logged = 1;
		d->st.lost++;
		/* Whoever comes back may be another LAN. */
		sw_port_remove(&p->lan, &p->port_lan);
		sw_port_add(&p->lan, &p->port_lan, NULL, p);
		sw_port_set_mac_cap(&p->port_lan, PKT_MAX_MACS);
		if (idx == 0)
			return 1;
	}
	if (idx == 0)
		return 0;
	if (pkt_bind(d, p, err, sizeof err) != 0) {
		if (!p->lost_logged)
			log_warn("%s; trying again every %u s", err,
			    DEV_WATCH_MS / 1000u);
		p->lost_logged = 1;
		return 0;
	}
	p->lost_logged = 0;
	log_info("bridge %s: the interface is back (index %d); bridging "
	    "again", d->name, p->ifindex);
	return 1;
}

const struct dev_ops dev_packet = {
	.kind = "bridge",
	.open = pkt_open,
	.read_batch = pkt_read_batch,
	.write = pkt_write,
	.set_carrier = dev_carrier_noop,
	.close = pkt_close,
	.watch = pkt_watch,
	.flags = DEV_F_BRIDGE,
};
