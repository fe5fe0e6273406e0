/*
 * libFuzzer target: the device side of a split virtqueue (virtio/virtq.c)
 * over guest memory the input fills: descriptor table, avail ring, indexes
 * and the buffers, all hostile. The device pops, reads and writes chains,
 * returns them and checks notifications, as ukrun's devices do; ASan and
 * UBSan catch any access outside guest memory.
 */
#include <stdint.h>
#include <string.h>
#include <uk/virtq.h>

#define MEM (64u << 10)

static uint8_t mem[MEM] __attribute__((aligned(16)));

static void *map(void *ctx, uint64_t gpa, uint32_t len)
{
	(void)ctx;
	if (gpa > MEM || len > MEM - gpa)
		return NULL;
	return mem + gpa;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t scratch[4096];
	struct vq_seg seg[16];
	struct vq_ring r;
	struct vq_dev q;
	struct vq_chain c;
	unsigned num;
	int event_idx;

	if (size < 2)
		return 0;
	num = 1u << (data[0] % 9); /* 1 .. 256 */
	event_idx = data[1] & 1;
	memset(mem, 0, MEM);
	memcpy(mem, data + 2, size - 2 < MEM ? size - 2 : MEM);
	vq_ring_layout(&r, mem, num);
	vq_dev_init(&q, &r, event_idx, map, NULL);
	for (unsigned i = 0; i < 2 * num + 2; i++) {
		int got = vq_dev_pop(&q, &c, seg, 1 + data[1] % 16);
		if (got <= 0)
			break;
		size_t n = vq_chain_read(&c, 0, scratch, sizeof(scratch));
		n = vq_chain_write(&c, data[1] % 7, scratch, n);
		if (i & 1)
			vq_dev_unpop(&q, 1), vq_dev_pop(&q, &c, seg, 16);
		vq_dev_push(&q, c.head, (uint32_t)n);
		vq_dev_flush(&q);
		vq_dev_need_interrupt(&q);
		if (i & 2)
			vq_dev_notify_off(&q);
		else
			vq_dev_notify_on(&q);
	}
	return 0;
}
