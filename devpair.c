/*
 * devpair.c: a device with no kernel interface: frames go over a
 * SOCK_SEQPACKET socketpair whose other end (peer_fd) belongs to whoever
 * made it, so the card's whole life can be driven without root.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dev.h"

static int
dev_pair_open(struct dev *d, const uint8_t mac[ETHER_ADDR_LEN], char *err,
    size_t errlen)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0, sv) != 0) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return -1;
	}
	d->fd = sv[0];
	d->peer_fd = sv[1];
	d->carrier = 0;
	return 0;
}

const struct dev_ops dev_pair = {
	.kind = "pair",
	.open = dev_pair_open,
	.read_batch = dev_fd_read_batch,
	.write = dev_fd_write,
	.set_carrier = dev_carrier_noop,
	.close = dev_fd_close,
};
