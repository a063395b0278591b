/*
 * dev.h: the card's Ethernet device behind an ops table. Each kind (a TAP
 * interface in tap.c, a socketpair for tests in devpair.c, a bridged NIC
 * later) is one file exporting one const struct dev_ops.
 */
#ifndef SOFTETHER_DEV_H
#define SOFTETHER_DEV_H

#include <stddef.h>
#include <stdint.h>

#include "ether.h"

#define DEV_NAME_MAX    15u    /* IFNAMSIZ - 1 */
#define DEV_FRAME_MAX   65536u /* the largest frame a device hands over */

struct dev;

/* One frame read; return nonzero to stop the batch (backpressure). */
typedef int dev_frame_fn(void *arg, const uint8_t *f, size_t len);

struct dev_ops {
	const char *kind;
	/* Create or attach d->name with mac, no carrier; set d->fd (polled
	 * for readability). 0, or -1 with err. */
	int (*open)(struct dev *d, const uint8_t mac[ETHER_ADDR_LEN],
	    char *err, size_t errlen);
	/* Hand up to max waiting frames to fn, in order. Returns how many,
	 * 0 when none waits, -1 on a device error. */
	int (*read_batch)(struct dev *d, dev_frame_fn *fn, void *arg,
	    unsigned max);
	/* One frame out; 0, or -1 (dropped). */
	int (*write)(struct dev *d, const uint8_t *f, size_t len);
	/* Cable plugged in (1) or out (0). */
	int (*set_carrier)(struct dev *d, int on);
	/* "ADDR/PREFIX" onto the interface; NULL: the kind has none. */
	int (*set_addr)(struct dev *d, const char *cidr, char *err,
	    size_t errlen);
	void (*close)(struct dev *d);
};

struct dev {
	const struct dev_ops *ops;
	char name[DEV_NAME_MAX + 1];
	int fd;                     /* -1 when closed */
	int peer_fd;                /* pair: the test's end; else -1 */
	int carrier;                /* as last set */
	uint8_t buf[DEV_FRAME_MAX]; /* one frame being read */
};

extern const struct dev_ops dev_tap;
extern const struct dev_ops dev_pair;

/* One frame per read() / write() on d->fd: for kinds whose fd keeps frame
 * boundaries (TAP, a SOCK_SEQPACKET pair). */
int dev_fd_read_batch(struct dev *d, dev_frame_fn *fn, void *arg,
    unsigned max);
int dev_fd_write(struct dev *d, const uint8_t *f, size_t len);
/* Close d->fd and d->peer_fd, whichever are open. */
void dev_fd_close(struct dev *d);

/* Prepare d for ops (fds -1); then ops->open. */
void dev_init(struct dev *d, const struct dev_ops *ops, const char *name);

#endif
