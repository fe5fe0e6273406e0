/* virtio-net's pure code, shared with the host tests and the fuzz targets:
 * the device's check of the headers a guest transmits, its gathering of
 * receive buffers for a frame, and the driver's putting the frame back
 * together (uk/virtio_net.h). */
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
                             uint64_t features, unsigned mtu)
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
	if (frame_len > ETH_HLEN + 4 + mtu) /* 4: a VLAN tag */
		return "frame longer than the MTU without GSO";
	return NULL;
}

/* ---- receive buffers, the device's side ---- */

#define HDR_LEN sizeof(struct uk_virtio_net_hdr)

/* The next chain into r: 1, 0 (none available), -1 broken, -2 r is full. */
static int rx_take(struct vq_dev *q, struct vq_net_rx *r, const char **why)
{
	struct vq_chain *c = &r->c[r->n];
	unsigned max = UK_VIRTIO_NET_RX_SEGS - r->nseg;
	int got;

	if (r->n == UK_VIRTIO_NET_RX_CHAINS || max < UK_VIRTIO_NET_RX_CHAIN_SEGS)
		return -2;
	if ((got = vq_dev_pop(q, c, r->seg + r->nseg, UK_VIRTIO_NET_RX_CHAIN_SEGS)) <= 0) {
		*why = got ? q->err : NULL;
		return got;
	}
	if (c->nout || c->in_len < HDR_LEN) {
		vq_dev_unpop(q, 1);
		*why = "receive buffer not writable or shorter than the header";
		return -1;
	}
	r->n++;
	r->nseg += c->nin;
	r->room += c->in_len;
	return 1;
}

int vq_net_rx_gather(struct vq_dev *q, struct vq_net_rx *r, size_t need, int merge,
                     const char **why)
{
	int got;

	r->n = r->nseg = 0;
	r->room = 0;
	*why = NULL;
	do {
		if ((got = rx_take(q, r, why)) == 1)
			continue;
		/* Every chain the ring can hold is taken and still short. */
		if (got == 0 && r->n && r->n >= q->r.num)
			got = -2;
		vq_net_rx_cancel(q, r);
		return got;
	} while (merge && r->room < need);
	return 1;
}

size_t vq_net_rx_write(const struct vq_net_rx *r, size_t off, const void *src, size_t len)
{
	const uint8_t *s = src;
	size_t done = 0;

	for (unsigned i = 0; i < r->n && done < len; i++) {
		const struct vq_chain *c = &r->c[i];
		if (off >= c->in_len) {
			off -= c->in_len;
			continue;
		}
		done += vq_chain_write(c, off, s + done, len - done);
		off = 0;
	}
	return done;
}

unsigned vq_net_rx_fill(struct vq_dev *q, struct vq_net_rx *r, size_t len)
{
	uint16_t used = 0;
	size_t left = len;

	while (left && used < r->n) {
		size_t take = left < r->c[used].in_len ? left : r->c[used].in_len;
		left -= take;
		used++;
	}
	vq_chain_write(&r->c[0], offsetof(struct uk_virtio_net_hdr, num_buffers), &used,
	               sizeof(used));
	left = len;
	for (unsigned i = 0; i < used; i++) {
		uint32_t take = left < r->c[i].in_len ? (uint32_t)left : r->c[i].in_len;
		vq_dev_push(q, r->c[i].head, take);
		left -= take;
	}
	vq_dev_unpop(q, r->n - used);
	r->n = used;
	return used;
}

void vq_net_rx_cancel(struct vq_dev *q, struct vq_net_rx *r)
{
	vq_dev_unpop(q, r->n);
	r->n = r->nseg = 0;
	r->room = 0;
}

/* ---- receive buffers, the driver's side ---- */

static int asm_drop(struct vq_net_asm *a)
{
	a->skip = a->want > a->got ? (uint16_t)(a->want - a->got) : 0;
	a->want = a->got = 0;
	a->len = 0;
	return VQ_NET_ASM_DROP;
}

int vq_net_asm_add(struct vq_net_asm *a, const void *buf, uint32_t len, uint32_t buf_size,
                   unsigned max_bufs, uint32_t frame_max, int merge)
{
	const struct uk_virtio_net_hdr *h = buf;

	if (a->skip) { /* the rest of a refused frame */
		a->skip--;
		return VQ_NET_ASM_DROP;
	}
	if (!a->want) {
		uint16_t nb = merge ? h->num_buffers : 1;
		if (len <= HDR_LEN || len > buf_size || !nb || nb > max_bufs)
			return VQ_NET_ASM_DROP; /* nb may be anything: skip no further */
		a->want = nb;
		a->got = 1;
		a->len = len - (uint32_t)HDR_LEN;
	} else {
		a->got++;
		if (!len || len > buf_size)
			return asm_drop(a);
		a->len += len;
	}
	if (a->len > frame_max)
		return asm_drop(a);
	if (a->got < a->want)
		return VQ_NET_ASM_MORE;
	a->want = 0;
	return VQ_NET_ASM_DONE;
}
