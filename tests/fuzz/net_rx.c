/*
 * libFuzzer target: received frames spread over several buffers
 * (VIRTIO_NET_F_MRG_RXBUF, virtio/virtio_net.c), both sides.
 *
 * The device's: ukrun gathers RX chains for frames of any length from a
 * ring the input fills (descriptors, avail ring, buffers: all hostile),
 * writes them and returns what they took. Whatever the ring holds, a
 * gather either succeeds within its limits or gives every chain back, and
 * a fill returns exactly the chains the frame needs, the rest unused.
 *
 * The driver's: the guest puts frames back together from used buffers of
 * any length with any num_buffers; it must never keep more buffers than
 * it has (max_bufs) nor make a frame longer than it can hold.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uk/virtio_net.h>
#include <uk/virtq.h>

#define MEM (64u << 10)
#define HDR sizeof(struct uk_virtio_net_hdr)

static uint8_t mem[MEM] __attribute__((aligned(16)));
static struct vq_net_rx rx;

static void *map(void *ctx, uint64_t gpa, uint32_t len)
{
	(void)ctx;
	if (gpa > MEM || len > MEM - gpa)
		return NULL;
	return mem + gpa;
}

/* Input: num (log2), flags (merge, event index), three frame lengths
 * (le16), then guest memory from GPA 0 (the ring, then buffers). */
static void device(const uint8_t *data, size_t size)
{
	static uint8_t frame[UK_VIRTIO_NET_FRAME_MAX];
	unsigned num = 1u << (data[0] % 9); /* 1 .. 256 */
	int merge = data[1] & 1, r;
	struct vq_ring ring;
	struct vq_dev q;
	const char *why;

	memset(mem, 0, MEM);
	memcpy(mem, data + 8, size - 8 < MEM ? size - 8 : MEM);
	vq_ring_layout(&ring, mem, num);
	vq_dev_init(&q, &ring, data[1] >> 1 & 1, map, NULL);
	for (unsigned i = 0; i < 8; i++) {
		size_t len = (size_t)data[2 + i % 3 * 2] | (size_t)data[3 + i % 3 * 2] << 8;
		size_t need = HDR + len;
		uint16_t avail0 = q.last_avail, used0 = q.used_idx;
		if (len > sizeof(frame))
			len = sizeof(frame), need = HDR + len;
		r = vq_net_rx_gather(&q, &rx, need, merge, &why);
		if (r < -2 || r > 1)
			abort();
		if (r != 1) {
			/* Every chain given back, nothing returned to the driver. */
			if (q.last_avail != avail0 || q.used_idx != used0 || rx.n)
				abort();
			if (r == -1)
				return;
			continue;
		}
		if (!rx.n || rx.n > UK_VIRTIO_NET_RX_CHAINS || (!merge && rx.n != 1) ||
		    (merge && rx.room < need) || rx.nseg > UK_VIRTIO_NET_RX_SEGS ||
		    (uint16_t)(q.last_avail - avail0) != rx.n)
			abort();
		size_t room = 0;
		for (unsigned c = 0; c < rx.n; c++) {
			if (rx.c[c].nout || rx.c[c].in_len < HDR)
				abort();
			room += rx.c[c].in_len;
		}
		if (room != rx.room)
			abort();
		if (need > rx.room)
			need = rx.room;
		if (vq_net_rx_write(&rx, 0, frame, need) != need)
			abort();
		unsigned n = rx.n, used = vq_net_rx_fill(&q, &rx, need);
		/* The chains the frame needs: all but the last one full. */
		size_t before = 0;
		for (unsigned c = 0; c + 1 < used; c++)
			before += rx.c[c].in_len;
		if (!used || used > n || before >= need || before + rx.c[used - 1].in_len < need ||
		    (uint16_t)(q.used_idx - used0) != used ||
		    (uint16_t)(q.last_avail - avail0) != used)
			abort();
	}
}

static void driver(const uint8_t *data, size_t size)
{
	struct vq_net_asm a = { 0 };
	unsigned max = 1 + data[0] % 32, kept = 0;
	uint32_t frame_max = 100u * (1 + data[1]), sum = 0;
	int merge = data[1] & 1;

	for (size_t off = 2; off + 6 <= size; off += 6) {
		uint8_t buf[HDR] = { 0 };
		uint32_t len = (uint32_t)data[off] | (uint32_t)data[off + 1] << 8;
		memcpy(buf + 10, data + off + 2, 2); /* num_buffers */
		switch (vq_net_asm_add(&a, buf, len, 4096, max, frame_max, merge)) {
		case VQ_NET_ASM_MORE:
			sum += len;
			if (++kept >= max)
				abort();
			break;
		case VQ_NET_ASM_DONE:
			sum += len;
			if (++kept > max || a.got != kept || len > 4096 || a.len > frame_max ||
			    a.len != sum - HDR)
				abort();
			kept = sum = 0;
			break;
		case VQ_NET_ASM_DROP: kept = sum = 0; break;
		default: abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 8)
		return 0;
	device(data, size);
	driver(data, size);
	return 0;
}
