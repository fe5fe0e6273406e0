/* The device's check of the virtio-net headers a guest transmits (pure code,
 * shared with the host tests and the fuzz target). */
#include <stddef.h>
#include <stdint.h>
#include <uk/virtio.h>
#include <uk/virtio_net.h>

#define ETH_HLEN 14

static int has(uint64_t features, int bit) { return (features >> bit) & 1; }

static const char *check_csum(const struct uk_virtio_net_hdr *h, uint32_t frame_len,
                              uint64_t features)
{
	if (!has(features, UK_VIRTIO_NET_F_CSUM))
		return "partial checksum without VIRTIO_NET_F_CSUM";
	if (h->csum_start < ETH_HLEN)
		return "checksum start inside the Ethernet header";
	if ((uint32_t)h->csum_start + h->csum_offset + 2 > frame_len)
		return "checksum field beyond the frame";
	return NULL;
}

static const char *check_gso(const struct uk_virtio_net_hdr *h, uint32_t frame_len,
                             uint64_t features)
{
	int bit;

	switch (h->gso_type & ~UK_VIRTIO_NET_HDR_GSO_ECN) {
	case UK_VIRTIO_NET_HDR_GSO_TCPV4: bit = UK_VIRTIO_NET_F_HOST_TSO4; break;
	case UK_VIRTIO_NET_HDR_GSO_TCPV6: bit = UK_VIRTIO_NET_F_HOST_TSO6; break;
	case UK_VIRTIO_NET_HDR_GSO_UDP: bit = UK_VIRTIO_NET_F_HOST_UFO; break;
	default: return "unknown GSO type";
	}
	if (!has(features, bit))
		return "GSO type not negotiated";
	if ((h->gso_type & UK_VIRTIO_NET_HDR_GSO_ECN) && !has(features, UK_VIRTIO_NET_F_HOST_ECN))
		return "GSO ECN not negotiated";
	if (!(h->flags & UK_VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return "GSO frame without a partial checksum";
	if (!h->gso_size)
		return "GSO frame with segment size 0";
	if (h->hdr_len > frame_len || h->csum_start > frame_len)
		return "GSO header length beyond the frame";
	return NULL;
}

const char *vq_net_hdr_check(const struct uk_virtio_net_hdr *h, uint32_t frame_len,
                             uint64_t features)
{
	const char *why;

	if (frame_len < ETH_HLEN)
		return "frame shorter than an Ethernet header";
	if (frame_len > UK_VIRTIO_NET_FRAME_MAX)
		return "frame longer than 64 KiB";
	if (h->flags & ~UK_VIRTIO_NET_HDR_F_NEEDS_CSUM)
		return "unknown header flags";
	if ((h->flags & UK_VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	    (why = check_csum(h, frame_len, features)))
		return why;
	if (h->gso_type != UK_VIRTIO_NET_HDR_GSO_NONE)
		return check_gso(h, frame_len, features);
	if (frame_len > ETH_HLEN + 4 + UK_VIRTIO_NET_MTU) /* 4: a VLAN tag */
		return "frame longer than the MTU without GSO";
	return NULL;
}
