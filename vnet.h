/*
 * vnet.h: offloads undone in software. A frame with the metadata of a
 * struct virtio_net_hdr gets its partial checksum completed, or is cut
 * from a GSO super-frame into ordinary Ethernet frames. No sockets here.
 */
#ifndef SOFTETHER_VNET_H
#define SOFTETHER_VNET_H

#include <stddef.h>
#include <stdint.h>

#define VNET_FRAME_MAX 65560u /* the largest frame accepted: a 64 KiB IP
                               packet behind two VLAN tags */
#define VNET_HDR_LEN   10u    /* struct virtio_net_hdr on the wire */

/*
 * linux/virtio_net.h's values, repeated here because older copies of that
 * header lack VIRTIO_NET_HDR_GSO_UDP_L4.
 */
#define VNET_F_NEEDS_CSUM  0x01u  /* csum_start/csum_offset are meant */
#define VNET_GSO_NONE      0u
#define VNET_GSO_TCPV4     1u
#define VNET_GSO_UDP       3u     /* UFO (IP fragmentation): refused */
#define VNET_GSO_TCPV6     4u
#define VNET_GSO_UDP_L4    5u     /* USO: one UDP datagram per segment */
#define VNET_GSO_ECN       0x80u  /* a flag beside the type */

/* The offload metadata of one frame, as struct virtio_net_hdr carries it
 * (host byte order). */
struct vnet_meta {
	uint8_t flags;        /* VIRTIO_NET_HDR_F_NEEDS_CSUM, ... */
	uint8_t gso_type;     /* VIRTIO_NET_HDR_GSO_* incl. the ECN bit */
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
};

/* Parse the 10-byte struct virtio_net_hdr at p (host order) into *m. */
void vnet_meta_get(const uint8_t *p, struct vnet_meta *m);
/* Write a header saying "a plain frame, nothing to do" (all zero). */
void vnet_meta_put_none(uint8_t *p);

/* Re-insert an 802.1Q/802.1ad tag the kernel took off on receive: the frame
 * at *f (len *len) gets tpid/tci after its two MAC addresses. The caller
 * guarantees 4 writable bytes before *f; *f moves back by 4 and *len grows
 * by 4. Returns 0, or -1 if the frame is shorter than 14 bytes. */
int vnet_vlan_insert(uint8_t **f, size_t *len, uint16_t tpid, uint16_t tci);

typedef int vnet_out_fn(void *arg, const uint8_t *f, size_t len);

enum vnet_result {
	VNET_OK = 0,       /* every frame was handed to out */
	VNET_BAD = -1,     /* metadata and frame disagree, or a header is
	                      malformed/unsupported: dropped, nothing handed */
	VNET_STOPPED = -2, /* out returned nonzero; the rest were not handed */
};

/*
 * One frame with its metadata (vlan_shift: bytes the caller inserted after
 * the MAC addresses since the metadata was made, 0 or 4: csum_start and
 * hdr_len move by that much). Completes a partial checksum in place; a GSO
 * frame is cut into frames whose L3 packet is at most the gso_size payload
 * plus headers, each passed to out (built in scratch, which must hold
 * VNET_FRAME_MAX bytes); a plain frame is passed as is. Frames may carry
 * one 802.1Q (0x8100) or 802.1ad (0x88a8) tag, possibly stacked twice
 * (QinQ). IPv4 with options and IPv6 with no extension headers are
 * segmentable; anything else with a gso_type is VNET_BAD. Never reads or
 * writes outside [f, f+len) and scratch.
 *
 * A partial checksum of an SCTP packet (the kernel marks it the same way)
 * is completed as SCTP's CRC32c, any other as the Internet checksum.
 */
enum vnet_result vnet_frame(const struct vnet_meta *m, size_t vlan_shift,
    uint8_t *f, size_t len, uint8_t *scratch, vnet_out_fn *out, void *arg);

/* Nothing to undo: no segmentation, no partial checksum. */
int vnet_meta_plain(const struct vnet_meta *m);

/* The metadata as the protocol's offload header (10 bytes, network order;
 * flags other than NEEDS_CSUM are not sent), and back. */
void vnet_meta_wire_get(const uint8_t *p, struct vnet_meta *m);
void vnet_meta_wire_put(uint8_t *p, const struct vnet_meta *m);
/* The metadata as a struct virtio_net_hdr for the kernel (host order;
 * flags other than NEEDS_CSUM are not passed on: a peer never says a
 * checksum was verified). */
void vnet_meta_put(uint8_t *p, const struct vnet_meta *m);

#define VNET_GSO_MIN 64u  /* the smallest segment size taken from a peer:
                             bounds the segments of one super-frame */

/*
 * May f go on as is, with m, to a port or kernel that takes offloads?
 * VNET_OK if m is coherent with f: a known gso type matching the frame's
 * IP version and transport, the partial checksum marked where that
 * transport's is, segments (headers plus gso_size) of at most seg_max
 * bytes and gso_size at least VNET_GSO_MIN; a frame without gso at most
 * seg_max bytes (and at least an Ethernet header) with any partial
 * checksum inside it. Reads only f.
 */
enum vnet_result vnet_check(const struct vnet_meta *m, const uint8_t *f,
    size_t len, size_t seg_max);

/*
 * vnet_frame for a frame that must not change (the hub hands one frame to
 * many ports): a partial checksum is completed on a copy in scratch, a
 * super-frame is cut into scratch, a plain frame goes to out as is.
 * scratch holds VNET_FRAME_MAX bytes.
 */
enum vnet_result vnet_undo(const struct vnet_meta *m, const uint8_t *f,
    size_t len, uint8_t *scratch, vnet_out_fn *out, void *arg);

/*
 * The Internet checksum (RFC 1071) of p[0..len) added to the partial sum
 * initial, complemented: what goes into a header's checksum field (in
 * network order), or 0 when checking a range that includes a correct one.
 */
uint16_t vnet_csum(const uint8_t *p, size_t len, uint32_t initial);

/*
 * Coalescing (GRO-like), for a device that takes offloads: a run of TCP
 * segments of one flow, each following the one before (sequence numbers,
 * IPv4 IDs one apart, the same headers otherwise, only ACK and a closing
 * PSH set, the size of the first but for a shorter last), leaves as one
 * super-frame with its metadata; vnet_undo would cut it back into the same
 * segments. Only untagged IPv4 (no options) and IPv6 (no extension
 * headers) frames whose checksums hold take part: a frame with a bad one
 * goes on as it is, so the kernel still drops it. Everything else goes on
 * as it is, and order is kept: a frame that does not join makes the run
 * leave first.
 */
struct vnet_gro {
	size_t len;            /* bytes of the run in buf; 0: no run */
	size_t nseg;
	size_t l3, l4, hl;     /* its IP header, TCP header, payload */
	size_t seg_max;        /* the largest frame that starts a run */
	uint8_t v6;
	uint16_t mss;          /* the first segment's payload */
	uint16_t next_id;      /* IPv4 */
	uint32_t next_seq;
	uint64_t merged;       /* segments that left inside super-frames */
	uint8_t buf[VNET_FRAME_MAX];
};

/* A frame leaving: with its metadata (a super-frame) or m NULL (as it
 * came). Nonzero: it could not be taken (counted by the caller). */
typedef int vnet_gro_out_fn(void *arg, const struct vnet_meta *m,
    const uint8_t *f, size_t len);

/* No run; segments (and frames starting a run) of at most seg_max bytes:
 * what leaves passes vnet_check with that seg_max. */
void vnet_gro_init(struct vnet_gro *g, size_t seg_max);
/* The next frame, in order: it joins the run, or the run leaves and the
 * frame starts the next one or leaves as it is. */
void vnet_gro_add(struct vnet_gro *g, const uint8_t *f, size_t len,
    vnet_gro_out_fn *out, void *arg);
/* The run, if any, leaves now. */
void vnet_gro_flush(struct vnet_gro *g, vnet_gro_out_fn *out, void *arg);

#endif
