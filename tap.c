/*
 * tap.c: the TAP device kind, through /dev/net/tun and ioctl: one frame per
 * read() and write(). Addresses are set with rtnetlink (rtnl.c) so IPv6
 * works the same way as IPv4.
 *
 * Offload (unless no_offload): the TAP is opened with IFF_VNET_HDR and
 * TUNSETOFFLOAD, so the kernel hands over TCP (and UDP, where it can)
 * super-frames of up to 64 KiB with partial checksums, each after a
 * struct virtio_net_hdr, and takes them back the same way: one read, one
 * write and one item in the tunnel for what would be forty frames.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <linux/if_arp.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <sodium.h>

#include "dev.h"
#include "proto.h"
#include "rtnl.h"

/* Kernels before 6.2 know no UDP segmentation offload on a TAP. */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif
#define TAP_OFFLOADS (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN)

/* The kernel may send super-frames: TCP, and UDP where it has USO. */
static int
tap_offload(int fd, char *err, size_t errlen, const char *name)
{
	if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)(TAP_OFFLOADS |
	    TUN_F_USO4 | TUN_F_USO6)) == 0 ||
	    ioctl(fd, TUNSETOFFLOAD, (unsigned long)TAP_OFFLOADS) == 0)
		return 0;
	snprintf(err, errlen, "TAP %s offloads: %s", name, strerror(errno));
	return -1;
}

/* Non-blocking, no packet-info header, MAC set, carrier off, link up;
 * with a virtio_net_hdr and offloads unless d->no_offload. */
static int
tap_open(struct dev *d, const uint8_t mac[ETHER_ADDR_LEN], char *err,
    size_t errlen)
{
	const char *name = d->name;
	struct ifreq ifr;
	int fd, sock = -1, off = 0;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "/dev/net/tun: %s%s", strerror(errno),
		    errno == EACCES || errno == EPERM ?
		    " (run as root or grant CAP_NET_ADMIN)" : "");
		return -1;
	}
	memset(&ifr, 0, sizeof ifr);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (d->no_offload ? 0 :
	    IFF_VNET_HDR);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
		snprintf(err, errlen, "creating TAP %s: %s%s", name,
		    strerror(errno), errno == EBUSY ? " (another card or "
		    "program has it: name another with --tap NAME)" : "");
		goto fail;
	}
	if (!d->no_offload && tap_offload(fd, err, errlen, name) != 0)
		goto fail;
	d->offload = !d->no_offload;
	/* Carrier off until the session is up: "cable unplugged". */
	if (ioctl(fd, TUNSETCARRIER, &off) != 0) {
		snprintf(err, errlen, "TAP %s carrier: %s", name,
		    strerror(errno));
		goto fail;
	}
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		goto fail;
	}
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
	if (ioctl(sock, SIOCSIFHWADDR, &ifr) != 0) {
		snprintf(err, errlen, "setting MAC of %s: %s", name,
		    strerror(errno));
		goto fail;
	}
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) != 0 ||
	    (ifr.ifr_flags |= IFF_UP, ioctl(sock, SIOCSIFFLAGS, &ifr) != 0)) {
		snprintf(err, errlen, "bringing %s up: %s", name,
		    strerror(errno));
		goto fail;
	}
	close(sock);
	d->fd = fd;
	d->carrier = 0;
	return 0;
fail:
	if (sock >= 0)
		close(sock);
	close(fd);
	return -1;
}

static int
tap_set_carrier(struct dev *d, int on)
{
	d->carrier = on;
	return ioctl(d->fd, TUNSETCARRIER, &on);
}

/* "ADDR/PREFIX" through rtnetlink (rtnl.c), IPv4 or IPv6. */
static int
tap_set_addr(struct dev *d, const char *cidr, char *err, size_t errlen)
{
	char addr[INET6_ADDRSTRLEN + 1], *end;
	const char *slash = strchr(cidr, '/');
	unsigned char bin[16];
	int family, maxlen;
	long p;

	if (slash == NULL || (size_t)(slash - cidr) >= sizeof addr)
		goto bad;
	memcpy(addr, cidr, (size_t)(slash - cidr));
	addr[slash - cidr] = '\0';
	if (inet_pton(AF_INET, addr, bin) == 1) {
		family = AF_INET;
		maxlen = 32;
	} else if (inet_pton(AF_INET6, addr, bin) == 1) {
		family = AF_INET6;
		maxlen = 128;
	} else
		goto bad;
	p = strtol(slash + 1, &end, 10);
	if (*end != '\0' || end == slash + 1 || p < 0 || p > maxlen)
		goto bad;
	return rtnl_addr(d->name, 1, family, bin, (unsigned)p, RTNL_FOREVER,
	    err, errlen);
bad:
	snprintf(err, errlen, "'%s' is not ADDRESS/PREFIX (e.g. 192.168.77.1/24"
	    " or fd00::1/64)", cidr);
	return -1;
}

/*
 * With offload, each read is a virtio_net_hdr and a frame: the header
 * apart, the frame straight into the reader's space when the largest one
 * fits there (a super-frame is then never copied on its way to the
 * session), else into d->buf.
 */
static int
tap_read_batch(struct dev *d, dev_frame_fn *fn, void *arg, unsigned max)
{
	struct vnet_meta vm;
	uint8_t hdr[VNET_HDR_LEN];
	int n = 0;

	if (!d->offload)
		return dev_fd_read_batch(d, fn, arg, max);
	while ((unsigned)n < max) {
		size_t room = 0;
		uint8_t *f = d->space != NULL ? d->space(arg, &room) : NULL;
		if (f == NULL || room < DEV_FRAME_MAX)
			f = d->buf + VNET_HDR_LEN;
		struct iovec iov[2] = { { hdr, sizeof hdr },
			{ f, DEV_FRAME_MAX } };
		ssize_t r = readv(d->fd, iov, 2);
		if (r < 0)
			return errno == EAGAIN || errno == EINTR ? n : -1;
		n++;
		if ((size_t)r < VNET_HDR_LEN + PROTO_ETH_HDR) {
			d->st.rx_bad++;
			continue;
		}
		vnet_meta_get(hdr, &vm);
		vm.flags &= VNET_F_NEEDS_CSUM;
		if (!vnet_meta_plain(&vm))
			d->st.gso_frames += (vm.gso_type & ~VNET_GSO_ECN) !=
			    VNET_GSO_NONE;
		if (fn(arg, vnet_meta_plain(&vm) ? NULL : &vm, f,
		    (size_t)r - VNET_HDR_LEN) != 0)
			break;
	}
	return n;
}

static int
tap_write(struct dev *d, const struct vnet_meta *vm, const uint8_t *f,
    size_t len)
{
	uint8_t hdr[VNET_HDR_LEN];
	struct iovec iov[2] = { { hdr, sizeof hdr }, { (void *)f, len } };

	if (!d->offload)
		return write(d->fd, f, len) < 0 ? -1 : 0;
	if (vm != NULL)
		vnet_meta_put(hdr, vm);
	else
		vnet_meta_put_none(hdr);
	return writev(d->fd, iov, 2) < 0 ? -1 : 0;
}

const struct dev_ops dev_tap = {
	.kind = "tap",
	.open = tap_open,
	.read_batch = tap_read_batch,
	.write = tap_write,
	.set_carrier = tap_set_carrier,
	.set_addr = tap_set_addr,
	.close = dev_fd_close,	/* the interface goes with its fd */
};
