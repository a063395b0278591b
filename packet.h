/*
 * packet.h: the bridge device kind's frame handling apart from its socket,
 * so tests can feed it captured messages.
 */
#ifndef SOFTETHER_PACKET_H
#define SOFTETHER_PACKET_H

#include <stddef.h>
#include <linux/if_packet.h>

#include "dev.h"

/* d (dev_init'ed with dev_packet) gets the kind's state but no socket:
 * packet_input feeds it, dev_packet.write learns from it (and drops, fd
 * being -1), dev_packet.close frees it. 0 or -1 with err. */
int packet_state_new(struct dev *d, char *err, size_t errlen);

/* One message as recvmsg left it: a virtio_net_hdr, then the frame (len
 * bytes in all, writable; the header's bytes become headroom for a VLAN
 * tag); truncated if MSG_TRUNC said so; aux the PACKET_AUXDATA that came
 * with it, or NULL. Frames for the far side go to fn, whole, tag restored,
 * with their offload metadata (a super-frame, a partial checksum) moved to
 * match, unchecked; LAN-local unicast and malformed frames are counted in
 * d->st and dropped. */
void packet_input(struct dev *d, uint8_t *msg, size_t len, int truncated,
    const struct tpacket_auxdata *aux, dev_frame_fn *fn, void *arg);

#endif
