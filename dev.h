/*
 * dev.h: the card's Ethernet device behind an ops table. Each kind (a TAP
 * interface in tap.c, a socketpair for tests in devpair.c, a real
 * interface bridged through AF_PACKET in packet.c) is one file exporting
 * one const struct dev_ops.
 */
#ifndef SOFTETHER_DEV_H
#define SOFTETHER_DEV_H

#include <stddef.h>
#include <stdint.h>

#include "ether.h"
#include "vnet.h"

#define DEV_NAME_MAX    15u    /* IFNAMSIZ - 1 */
#define DEV_FRAME_MAX   VNET_FRAME_MAX /* the largest frame a device hands
                                          over (an offload super-frame) */
#define DEV_WATCH_MS    2000u  /* how often an owner calls ops->watch */

/* dev_ops.flags */
#define DEV_F_BRIDGE    0x1u   /* a real interface: no MAC, carrier or
                                  address of the card's own */

struct dev;

/* One frame read; return nonzero to stop the batch (backpressure). vm:
 * NULL, or the frame's offload metadata (a super-frame, or a partial
 * checksum; flags other than NEEDS_CSUM cleared), from a device whose
 * offload is on. The frame is the reader's to change until it returns. */
typedef int dev_frame_fn(void *arg, const struct vnet_meta *vm, uint8_t *f,
    size_t len);
/* Where the reader would have the next frame (the fn's arg): *room bytes,
 * or NULL. A kind that can read straight into it does so when the largest
 * frame it may read fits, and then hands fn a frame that lies there. */
typedef uint8_t *dev_space_fn(void *arg, size_t *room);

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
	/* One frame out; 0, or -1 (dropped). vm: NULL, or (only where
	 * d->offload) the frame's offload metadata, checked by vnet_check. */
	int (*write)(struct dev *d, const struct vnet_meta *vm,
	    const uint8_t *f, size_t len);
	/* Cable plugged in (1) or out (0). */
	int (*set_carrier)(struct dev *d, int on);
	/* "ADDR/PREFIX" onto the interface; NULL: the kind has none. */
	int (*set_addr)(struct dev *d, const char *cidr, char *err,
	    size_t errlen);
	void (*close)(struct dev *d);
	/* NULL, or called every DEV_WATCH_MS: notices a lost interface and
	 * brings it back when it returns (logging both). Returns 1 when
	 * d->fd changed (-1 while lost): the owner makes its read event
	 * again; else 0. */
	int (*watch)(struct dev *d);
	unsigned flags;             /* DEV_F_* */
};

/* What a device kind counts (the ones it has; the rest stay 0). */
struct dev_stats {
	uint64_t rx_frames, rx_bytes; /* handed up */
	uint64_t rx_local;     /* read, but for a host on the same LAN */
	uint64_t rx_bad;       /* malformed or oversized: dropped */
	uint64_t gso_frames;   /* offload super-frames read */
	uint64_t tx_frames, tx_bytes;
	uint64_t tx_dropped;   /* the interface refused or was gone */
	uint64_t lost;         /* times the interface went away */
};

struct dev {
	const struct dev_ops *ops;
	char name[DEV_NAME_MAX + 1];
	int fd;                     /* -1 when closed */
	int peer_fd;                /* pair: the test's end; else -1 */
	int carrier;                /* as last set */
	void *priv;                 /* the kind's own state, if any */
	int wait_link;              /* set before open: a missing interface
	                               is waited for (watch), not an error */
	int no_offload;             /* set before open: plain frames only */
	int offload;                /* set by open: frames may come with
	                               offload metadata, and write takes it */
	dev_space_fn *space;        /* NULL, or set by the owner: see above */
	struct dev_stats st;
	uint8_t buf[VNET_HDR_LEN + DEV_FRAME_MAX]; /* one frame being read,
	                               after its virtio_net_hdr if any */
};

extern const struct dev_ops dev_tap;
extern const struct dev_ops dev_pair;
extern const struct dev_ops dev_packet;

/* One frame per read() / write() on d->fd: for kinds whose fd keeps frame
 * boundaries (TAP, a SOCK_SEQPACKET pair). */
int dev_fd_read_batch(struct dev *d, dev_frame_fn *fn, void *arg,
    unsigned max);
int dev_fd_write(struct dev *d, const struct vnet_meta *vm,
    const uint8_t *f, size_t len);
/* set_carrier for kinds with no carrier of their own: only remembered. */
int dev_carrier_noop(struct dev *d, int on);
/* Close d->fd and d->peer_fd, whichever are open. */
void dev_fd_close(struct dev *d);

/* Prepare d for ops (fds -1); then ops->open. */
void dev_init(struct dev *d, const struct dev_ops *ops, const char *name);

#endif
