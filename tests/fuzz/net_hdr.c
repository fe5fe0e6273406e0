/*
 * libFuzzer target: ukrun's check of the virtio-net headers a guest puts in
 * front of transmitted frames (vq_net_hdr_check, virtio/virtio_net.c), with
 * any header, frame length, negotiated features and MTU. An accepted header
 * must keep every offset it names inside the frame.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uk/virtio.h>
#include <uk/virtio_net.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uk_virtio_net_hdr h;
	uint32_t len;
	uint64_t features;
	uint16_t mtu;

	if (size < sizeof(h) + 14)
		return 0;
	memcpy(&h, data, sizeof(h));
	memcpy(&len, data + sizeof(h), 4);
	memcpy(&features, data + sizeof(h) + 4, 8);
	memcpy(&mtu, data + sizeof(h) + 12, 2);
	if (vq_net_hdr_check(&h, len, features, mtu))
		return 0;
	/* Accepted: what a backend will be told must lie inside the frame. */
	if (len < 14 || len > UK_VIRTIO_NET_FRAME_MAX)
		abort();
	if ((h.flags & UK_VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	    ((uint32_t)h.csum_start + h.csum_offset + 2 > len || h.csum_start < 14))
		abort();
	if (h.gso_type != UK_VIRTIO_NET_HDR_GSO_NONE && (!h.gso_size || h.hdr_len > len))
		abort();
	if (h.gso_type == UK_VIRTIO_NET_HDR_GSO_NONE && len > 14 + 4 + (uint32_t)mtu)
		abort();
	return 0;
}
