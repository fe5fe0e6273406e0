/*
 * virtio-blk request parsing for the device (ukrun): every field the guest
 * controls is copied once and checked here: the header's size and type,
 * data lengths (whole sectors), every sector range against the disk's
 * capacity without overflow, writes to a read-only disk, the ranges of
 * DISCARD / WRITE_ZEROES. Pure code: host unit tests and the fuzz target
 * drive it with arbitrary chains.
 */
#include <uk/virtio_blk.h>

/* The last writable byte of the chain: where the status goes. */
static uint8_t *blk_status(const struct vq_chain *c)
{
	for (unsigned i = c->nout + c->nin; i-- > c->nout;)
		if (c->seg[i].len)
			return (uint8_t *)c->seg[i].p + c->seg[i].len - 1;
	return NULL;
}

static int blk_fail(struct vq_blk_req *r, int status, const char *why)
{
	r->why = why;
	return status;
}

/* Whether bytes (whole sectors) from sector lie on a disk of capacity. */
static int blk_fits(uint64_t sector, uint64_t bytes, uint64_t capacity)
{
	return sector <= capacity && bytes / UK_VIRTIO_BLK_SECTOR <= capacity - sector;
}

static int blk_rw(const struct vq_chain *c, const struct uk_virtio_blk_req *h, uint64_t capacity,
                  struct vq_blk_req *r)
{
	if (h->type == UK_VIRTIO_BLK_T_IN && c->out_len != sizeof(*h))
		return blk_fail(r, UK_VIRTIO_BLK_S_IOERR, "a read with data in its readable part");
	r->len = h->type == UK_VIRTIO_BLK_T_IN ? c->in_len - 1 : c->out_len - (uint32_t)sizeof(*h);
	if (r->len % UK_VIRTIO_BLK_SECTOR)
		return blk_fail(r, UK_VIRTIO_BLK_S_IOERR, "a length that is not whole sectors");
	if (!blk_fits(h->sector, r->len, capacity))
		return blk_fail(r, UK_VIRTIO_BLK_S_IOERR, "sectors beyond the end of the disk");
	r->off = h->sector * UK_VIRTIO_BLK_SECTOR;
	return UK_VIRTIO_BLK_S_OK;
}

static int blk_ranges(const struct vq_chain *c, uint32_t type, uint64_t capacity,
                      struct vq_blk_req *r)
{
	uint32_t bytes = c->out_len - (uint32_t)sizeof(struct uk_virtio_blk_req);
	struct uk_virtio_blk_range g;

	if (!bytes || bytes % sizeof(g) || bytes / sizeof(g) > UK_VIRTIO_BLK_RANGES_MAX)
		return blk_fail(r, UK_VIRTIO_BLK_S_IOERR, "a range list of the wrong size");
	r->nranges = bytes / sizeof(g);
	for (unsigned i = 0; i < r->nranges; i++) {
		vq_chain_read(c, sizeof(struct uk_virtio_blk_req) + i * sizeof(g), &g, sizeof(g));
		if (g.flags & ~(type == UK_VIRTIO_BLK_T_WRITE_ZEROES ? 1u : 0u))
			return blk_fail(r, UK_VIRTIO_BLK_S_UNSUPP, "unknown range flags");
		if (!blk_fits(g.sector, (uint64_t)g.num_sectors * UK_VIRTIO_BLK_SECTOR, capacity))
			return blk_fail(r, UK_VIRTIO_BLK_S_IOERR,
			                "a range beyond the end of the disk");
		r->range[i].off = g.sector * UK_VIRTIO_BLK_SECTOR;
		r->range[i].len = (uint64_t)g.num_sectors * UK_VIRTIO_BLK_SECTOR;
	}
	return UK_VIRTIO_BLK_S_OK;
}

int vq_blk_parse(const struct vq_chain *c, uint64_t capacity, int ro, struct vq_blk_req *r)
{
	struct uk_virtio_blk_req h;

	*r = (struct vq_blk_req){ .status = blk_status(c) };
	if (!r->status)
		return -1;
	if (c->out_len < sizeof(h) || vq_chain_read(c, 0, &h, sizeof(h)) != sizeof(h))
		return blk_fail(r, UK_VIRTIO_BLK_S_IOERR, "a request header shorter than 16 bytes");
	r->type = h.type;
	switch (h.type) {
	case UK_VIRTIO_BLK_T_OUT:
	case UK_VIRTIO_BLK_T_DISCARD:
	case UK_VIRTIO_BLK_T_WRITE_ZEROES:
		if (ro)
			return blk_fail(r, UK_VIRTIO_BLK_S_IOERR, "a write to a read-only disk");
		if (h.type != UK_VIRTIO_BLK_T_OUT)
			return blk_ranges(c, h.type, capacity, r);
		/* fallthrough */
	case UK_VIRTIO_BLK_T_IN: return blk_rw(c, &h, capacity, r);
	case UK_VIRTIO_BLK_T_FLUSH: return UK_VIRTIO_BLK_S_OK;
	case UK_VIRTIO_BLK_T_GET_ID:
		r->len =
		    c->in_len - 1 < UK_VIRTIO_BLK_ID_BYTES ? c->in_len - 1 : UK_VIRTIO_BLK_ID_BYTES;
		return UK_VIRTIO_BLK_S_OK;
	}
	return blk_fail(r, UK_VIRTIO_BLK_S_UNSUPP, "an unknown request type");
}

unsigned vq_blk_data(const struct vq_chain *c, const struct vq_blk_req *r, struct vq_seg *seg,
                     unsigned max)
{
	int out = r->type == UK_VIRTIO_BLK_T_OUT;
	unsigned first = out ? 0 : c->nout, end = out ? c->nout : c->nout + c->nin, n = 0;
	size_t skip = out ? sizeof(struct uk_virtio_blk_req) : 0, left = r->len;

	for (unsigned i = first; i < end && left && n < max; i++) {
		size_t len = c->seg[i].len;
		if (skip >= len) {
			skip -= len;
			continue;
		}
		len -= skip;
		if (len > left)
			len = left;
		seg[n++] = (struct vq_seg){ (uint8_t *)c->seg[i].p + skip, (uint32_t)len };
		left -= len, skip = 0;
	}
	return n;
}
