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

/* The MTU ukrun's device reports and enforces on frames without GSO. */
#define UK_VIRTIO_NET_MTU 1500

/* Largest frame a buffer may carry: a 64 KiB TSO super-frame plus the
 * Ethernet header. */
#define UK_VIRTIO_NET_FRAME_MAX (65536 + 14)

/* Check a transmit header against the frame it precedes (frame_len bytes
 * after the header) and the offloads negotiated (features: the driver's
 * accepted bits). Returns NULL when the header is acceptable, else why not.
 * Pure code (virtio/virtio_net.c), fuzzed. */
const char *vq_net_hdr_check(const struct uk_virtio_net_hdr *h, uint32_t frame_len,
                             uint64_t features);

#endif /* UK_VIRTIO_NET_H */
