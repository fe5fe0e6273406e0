/*
 * virtio-net (virtio 1.x, section 5.1): feature bits, configuration space
 * and the header in front of every frame on both queues. Shared by the
 * guest driver and ukrun's device; vq_net_hdr_check (virtio/virtio_net.c)
 * is the device's parser of the guest's transmit headers.
 *
 * Queues: 0 = receive (device -> driver), 1 = transmit. Every buffer starts
 * with struct uk_virtio_net_hdr (12 bytes in virtio 1.x, num_buffers always
 * present), then the Ethernet frame without FCS. Queue 2, with
 * UK_VIRTIO_NET_F_CTRL_VQ, carries commands (below).
 */
#ifndef UK_VIRTIO_NET_H
#define UK_VIRTIO_NET_H

#include <stdint.h>
#include <uk/virtq.h>

/* Feature bits. "HOST_" offloads: the device accepts such frames from the
 * driver; "GUEST_": the driver accepts such frames from the device. */
#define UK_VIRTIO_NET_F_CSUM 0       /* driver may send partial checksums */
#define UK_VIRTIO_NET_F_GUEST_CSUM 1 /* device may send partial checksums */
#define UK_VIRTIO_NET_F_MTU 3
#define UK_VIRTIO_NET_F_MAC 5
#define UK_VIRTIO_NET_F_GUEST_TSO4 7
#define UK_VIRTIO_NET_F_GUEST_TSO6 8
#define UK_VIRTIO_NET_F_GUEST_ECN 9
#define UK_VIRTIO_NET_F_GUEST_UFO 10
#define UK_VIRTIO_NET_F_HOST_TSO4 11
#define UK_VIRTIO_NET_F_HOST_TSO6 12
#define UK_VIRTIO_NET_F_HOST_ECN 13
#define UK_VIRTIO_NET_F_HOST_UFO 14
#define UK_VIRTIO_NET_F_MRG_RXBUF 15
#define UK_VIRTIO_NET_F_STATUS 16
#define UK_VIRTIO_NET_F_CTRL_VQ 17

#define UK_VIRTIO_NET_Q_RX 0
#define UK_VIRTIO_NET_Q_TX 1
#define UK_VIRTIO_NET_Q_CTRL 2

/* Device configuration space (UK_VIRTIO_MMIO_CONFIG on). */
struct uk_virtio_net_config {
	uint8_t mac[6];  /* [host] with UK_VIRTIO_NET_F_MAC */
	uint16_t status; /* [host] UK_VIRTIO_NET_S_LINK_UP, with F_STATUS */
	uint16_t max_virtqueue_pairs;
	uint16_t mtu; /* [host] with UK_VIRTIO_NET_F_MTU */
} __attribute__((packed));
#define UK_VIRTIO_NET_S_LINK_UP 1

struct uk_virtio_net_hdr {
	uint8_t flags;        /* UK_VIRTIO_NET_HDR_F_* */
	uint8_t gso_type;     /* UK_VIRTIO_NET_HDR_GSO_* */
	uint16_t hdr_len;     /* bytes of headers before the payload (GSO) */
	uint16_t gso_size;    /* payload bytes per segment (GSO) */
	uint16_t csum_start;  /* checksum from this offset of the frame ... */
	uint16_t csum_offset; /* ... stored at csum_start + csum_offset */
	uint16_t num_buffers; /* [host] RX buffers merged (1 without MRG_RXBUF) */
};
_Static_assert(sizeof(struct uk_virtio_net_hdr) == 12, "virtio 1.x net header");

#define UK_VIRTIO_NET_HDR_F_NEEDS_CSUM 1 /* checksum to complete, see csum_* */
#define UK_VIRTIO_NET_HDR_F_DATA_VALID 2 /* RX only: checksum already verified */

#define UK_VIRTIO_NET_HDR_GSO_NONE 0
#define UK_VIRTIO_NET_HDR_GSO_TCPV4 1
#define UK_VIRTIO_NET_HDR_GSO_UDP 3
#define UK_VIRTIO_NET_HDR_GSO_TCPV6 4
#define UK_VIRTIO_NET_HDR_GSO_ECN 0x80

/* Control queue commands (spec 5.1.6.5): a chain of the header and the
 * command's data, device-readable, then one device-writable ack byte.
 *
 * ukrun's own class, UK_VIRTIO_NET_CTRL_UK: the guest's TCP listeners.
 * ukrun's device offers CTRL_VQ only where it forwards host ports to the
 * guest (--net user, -p); a driver that accepts it reports every TCP port
 * it starts and stops listening on (LISTEN, UNLISTEN: a le16 port), and
 * the device opens a forwarded port on the host only while the guest
 * listens on its guest port: before, a client's connection is refused, as
 * by a host without the server, instead of being accepted on the guest's
 * behalf and then hanging or closed. The ack comes once the host side is
 * set (a client that learns the guest listens can connect at once).
 * A driver without CTRL_VQ gets every forward opened at DRIVER_OK. */
struct uk_virtio_net_ctrl_hdr {
	uint8_t cls; /* [guest] UK_VIRTIO_NET_CTRL_* */
	uint8_t cmd; /* [guest] */
} __attribute__((packed));
#define UK_VIRTIO_NET_CTRL_UK 0x75 /* 'u': outside the spec's classes (0..6) */
#define UK_VIRTIO_NET_CTRL_UK_LISTEN 0
#define UK_VIRTIO_NET_CTRL_UK_UNLISTEN 1
#define UK_VIRTIO_NET_OK 0  /* [host] ack */
#define UK_VIRTIO_NET_ERR 1 /* [host] ack: unknown class or command, bad length */

/* The MTU ukrun's device reports (VIRTIO_NET_F_MTU) and enforces on frames
 * without GSO: Ethernet's on a TAP (the host's own interface and what is
 * behind it have 1500); on the user network (libslirp) the largest IPv4
 * packet whose frame a 16-bit length still holds (lwIP's pbufs) and that
 * slirp allows (65521), as podman's slirp4netns and passt use. The guest's
 * TCP segments are then 16 KiB instead of 1460 bytes (lwipopts.h says why
 * not more), and every per-frame cost (device thread, interrupts, slirp's
 * send() to the host socket, the guest's driver and stack) is paid 11
 * times less often; UDP datagrams up to 65492 bytes go unfragmented. */
#define UK_VIRTIO_NET_MTU 1500
#define UK_VIRTIO_NET_MTU_USER 65520
#define UK_VIRTIO_NET_MTU_MIN 68 /* IPv4's minimum */

/* Largest frame a buffer may carry: a 64 KiB TSO super-frame plus the
 * Ethernet header. */
#define UK_VIRTIO_NET_FRAME_MAX (65536 + 14)

/* Check a transmit header against the frame it precedes (frame_len bytes
 * after the header), the offloads negotiated (features: the driver's
 * accepted bits) and the device's MTU. Returns NULL when the header is
 * acceptable, else why not. Pure code (virtio/virtio_net.c), fuzzed. */
const char *vq_net_hdr_check(const struct uk_virtio_net_hdr *h, uint32_t frame_len,
                             uint64_t features, unsigned mtu);

/* ---- receive buffers, the device's side (virtio 1.x 5.1.6.3-5.1.6.4) ----
 *
 * Without VIRTIO_NET_F_MRG_RXBUF a received frame fills one chain of the RX
 * queue. With it a frame may spread over several chains, taken in ring
 * order: every one but the last filled up, the header (in the first) says
 * how many in num_buffers, and the driver puts the frame back together. So
 * the driver can post page-sized buffers and still take 64 KiB frames.
 *
 * The chains come from the guest: each must be device-writable only and at
 * least a header long (the spec's rule with MRG_RXBUF; every chain then
 * moves a frame on by 12 bytes at least), and a frame takes at most
 * UK_VIRTIO_NET_RX_CHAINS of them; a ring that breaks a rule is broken
 * (vq_net_rx_gather returns -1 and why). */
#define UK_VIRTIO_NET_RX_CHAINS 256    /* chains one frame may take */
#define UK_VIRTIO_NET_RX_SEGS 512      /* their buffers, all together */
#define UK_VIRTIO_NET_RX_CHAIN_SEGS 64 /* buffers of one chain */

/* The chains gathered for one frame. */
struct vq_net_rx {
	struct vq_chain c[UK_VIRTIO_NET_RX_CHAINS];
	struct vq_seg seg[UK_VIRTIO_NET_RX_SEGS];
	unsigned n;    /* chains taken */
	unsigned nseg; /* of seg[] */
	size_t room;   /* writable bytes of the n chains */
};

/* Take RX chains from q until they hold need bytes (header included): one
 * chain only unless merge (MRG_RXBUF negotiated). Returns
 *   1   r->n chains with r->room >= need (or, without merge, the one
 *       chain, whatever its size: the caller decides);
 *   0   the ring ran out first: the chains go back (q gives them again),
 *       wait for the driver to add buffers;
 *  -1   the ring is broken: q->err or *why says how;
 *  -2   the frame can never fit (every chain of the ring, or the limits
 *       above, are not enough): the chains go back; drop the frame. */
int vq_net_rx_gather(struct vq_dev *q, struct vq_net_rx *r, size_t need, int merge,
                     const char **why);

/* Copy src to byte off of the gathered chains (one space across them);
 * returns the bytes copied. */
size_t vq_net_rx_write(const struct vq_net_rx *r, size_t off, const void *src, size_t len);

/* The first len bytes (header included, len >= the header) of the
 * gathered chains hold a frame: num_buffers in its header, the chains it
 * takes returned to the driver with their lengths (vq_dev_push), the rest
 * given back untouched. Returns the chains used. */
unsigned vq_net_rx_fill(struct vq_dev *q, struct vq_net_rx *r, size_t len);

/* Give every gathered chain back untouched. */
void vq_net_rx_cancel(struct vq_dev *q, struct vq_net_rx *r);

/* ---- receive buffers, the driver's side ----
 *
 * Putting a frame back together from used buffers (each buf_size bytes at
 * most): the device is trusted no further than this: a first buffer must
 * hold more than the header and name 1 .. max_bufs buffers, every buffer
 * must be within buf_size, and the frame at most frame_max bytes. */
struct vq_net_asm {
	uint16_t want; /* buffers of the frame (num_buffers), 0: between frames */
	uint16_t got;
	uint32_t len;  /* frame bytes so far, header excluded */
	uint16_t skip; /* buffers still to drop of a refused frame */
};
enum { VQ_NET_ASM_MORE, VQ_NET_ASM_DONE, VQ_NET_ASM_DROP };

/* One used buffer (len bytes written into it, buf its start): MORE (keep
 * it: the frame goes on), DONE (keep it: the frame is complete, a->len
 * bytes over the a->got buffers kept, the first one's after the header),
 * or DROP (the frame so far is refused: let go of its buffers, this one
 * included). Without merge every buffer is a frame of its own. */
int vq_net_asm_add(struct vq_net_asm *a, const void *buf, uint32_t len, uint32_t buf_size,
                   unsigned max_bufs, uint32_t frame_max, int merge);

#endif /* UK_VIRTIO_NET_H */
