/*
 * dev.c: what the device kinds share: preparing a struct dev, and the
 * frame-per-read I/O of kinds built on one fd.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dev.h"

void
dev_init(struct dev *d, const struct dev_ops *ops, const char *name)
{
	d->ops = ops;
	snprintf(d->name, sizeof d->name, "%s", name);
	d->fd = d->peer_fd = -1;
	d->carrier = 0;
	d->priv = NULL;
	d->wait_link = 0;
	d->no_offload = 0;
	d->offload = 0;
	memset(&d->st, 0, sizeof d->st);
}

int
dev_fd_read_batch(struct dev *d, dev_frame_fn *fn, void *arg, unsigned max)
{
	int n = 0;

	while ((unsigned)n < max) {
		ssize_t r = read(d->fd, d->buf, sizeof d->buf);
		if (r < 0)
			return errno == EAGAIN || errno == EINTR ? n : -1;
		n++;
		if (fn(arg, NULL, d->buf, (size_t)r) != 0)
			break;
	}
	return n;
}

int
dev_fd_write(struct dev *d, const struct vnet_meta *vm, const uint8_t *f,
    size_t len)
{
	(void)vm;	/* never given: these kinds have no offload */
	return write(d->fd, f, len) < 0 ? -1 : 0;
}

int
dev_carrier_noop(struct dev *d, int on)
{
	d->carrier = on;
	return 0;
}

void
dev_fd_close(struct dev *d)
{
	if (d->fd >= 0)
		close(d->fd);
	if (d->peer_fd >= 0)
		close(d->peer_fd);
	d->fd = d->peer_fd = -1;
}
