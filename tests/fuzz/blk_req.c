/*
 * libFuzzer target: the virtio-blk request parser on arbitrary chains.
 * The input describes a chain (segment count and lengths, a capacity, the
 * read-only flag) followed by the bytes of its segments. Whatever the
 * parser accepts must lie on the disk and inside the chain.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uk/virtio_blk.h>

#define SEGS 8

static uint8_t bufs[SEGS][4096];

static int inside(const struct vq_chain *c, const struct vq_seg *s)
{
	for (unsigned i = 0; i < c->nout + c->nin; i++)
		if ((uint8_t *)s->p >= (uint8_t *)c->seg[i].p &&
		    (uint8_t *)s->p + s->len <= (uint8_t *)c->seg[i].p + c->seg[i].len)
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vq_seg seg[SEGS], out[SEGS];
	struct vq_chain c = { .seg = seg };
	struct vq_blk_req r;
	uint64_t capacity, total = 0;
	unsigned n;
	int st, ro;

	if (size < 2 + 8 + 2 * SEGS)
		return 0;
	c.nout = data[0] % (SEGS + 1);
	c.nin = data[1] % (SEGS + 1 - c.nout);
	memcpy(&capacity, data + 2, 8);
	ro = capacity & 1;
	capacity >>= data[1] & 63;
	data += 10, size -= 10;
	for (unsigned i = 0; i < c.nout + c.nin; i++) {
		uint32_t len = (data[2 * i] | data[2 * i + 1] << 8) % (sizeof(bufs[0]) + 1);
		seg[i] = (struct vq_seg){ bufs[i], len };
		*(i < c.nout ? &c.out_len : &c.in_len) += len;
	}
	data += 2 * SEGS, size -= 2 * SEGS;
	for (unsigned i = 0; i < c.nout + c.nin && size; i++) {
		size_t k = size < seg[i].len ? size : seg[i].len;
		memcpy(bufs[i], data, k);
		data += k, size -= k;
	}
	st = vq_blk_parse(&c, capacity, ro, &r);
	if (st < 0)
		return c.in_len ? (abort(), 0) : 0; /* -1 only without a writable byte */
	if (!inside(&c, &(struct vq_seg){ r.status, 1 }) || (st && !r.why))
		abort();
	if (st != UK_VIRTIO_BLK_S_OK)
		return 0;
	if ((r.type == UK_VIRTIO_BLK_T_IN || r.type == UK_VIRTIO_BLK_T_OUT) &&
	    (r.len % 512 || r.off / 512 > capacity || r.len / 512 > capacity - r.off / 512))
		abort();
	if (ro && r.type != UK_VIRTIO_BLK_T_IN && r.type != UK_VIRTIO_BLK_T_GET_ID &&
	    r.type != UK_VIRTIO_BLK_T_FLUSH)
		abort();
	for (unsigned i = 0; i < r.nranges; i++)
		if (r.range[i].off / 512 > capacity ||
		    r.range[i].len / 512 > capacity - r.range[i].off / 512)
			abort();
	n = vq_blk_data(&c, &r, out, SEGS);
	for (unsigned i = 0; i < n; i++) {
		if (!inside(&c, &out[i]) || (r.status >= (uint8_t *)out[i].p &&
		                             r.status < (uint8_t *)out[i].p + out[i].len))
			abort();
		total += out[i].len;
	}
	if (r.type != UK_VIRTIO_BLK_T_FLUSH && r.nranges == 0 && total != r.len)
		abort();
	return 0;
}
