/*
 * virtio-blk driver (see virtio_blk.h). A request is one chain: a header,
 * the data split where its physical pages break (or at the device's
 * segment limits), and a status byte. Transfers larger than one request
 * can carry are cut into several, each a whole number of sectors.
 */
#include <uk/arch.h>
#include <uk/cpu.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/print.h>
#include <uk/sched.h>
#include <uk/time.h>
#include <uk/virtio_blk.h>
#include <uk/virtio_dev.h>

#include "virtio_blk.h"

#define VBLK_MAX 16
#define VBLK_QUEUE 128
#define VBLK_SEGS 64              /* data segments per request, at most */
#define VBLK_SEG_BYTES (1u << 20) /* bytes per segment without SIZE_MAX */
#define VBLK_SPIN_NS 200000       /* poll this long before sleeping */

/* What the device reads and writes besides the data: DMA-able memory. */
struct vblk_dma {
	struct uk_virtio_blk_req h;
	uint8_t status;
	char id[UK_VIRTIO_BLK_ID_BYTES + 1];
};

struct uk_vblk {
	struct uk_virtio_dev *dev;
	struct uk_virtq *q;
	struct vblk_dma *dma;
	uint64_t sectors;
	uint32_t seg_max, size_max;
	int ro;
	char mount[UK_VIRTIO_BLK_ID_BYTES + 1];
	int busy;             /* a request is in flight */
	struct uk_wq done_wq; /* its submitter sleeps here */
	struct uk_wq turn_wq; /* other submitters wait here */
	uint64_t reqs, sleeps;
};

static struct uk_vblk *vblks[VBLK_MAX];
static int nvblk = -1;

static void vblk_isr(struct uk_virtio_dev *d, void *arg)
{
	struct uk_vblk *b = arg;

	uk_wq_wake(&b->done_wq, -1);
}

/* The used ring has our request: poll, then sleep on the interrupt. */
static void vblk_wait(struct uk_vblk *b)
{
	struct vq_drv *q = &b->q->vq;
	uint64_t until = uk_monotonic_ns() + VBLK_SPIN_NS;

	while (!vq_drv_has_used(q)) {
		if (uk_irq_enabled() && uk_monotonic_ns() > until) {
			if (!vq_drv_irq_on(q)) {
				b->sleeps++;
				uk_wait_event(&b->done_wq, vq_drv_has_used(q), 0);
			}
			vq_drv_irq_off(q);
			break;
		}
		__asm__ volatile("pause");
	}
}

/* The physical address of a page the device will use, committing it
 * first: a program's pages (outside the linear maps) may not be mapped
 * yet, or mapped read-only until written. ~0 when it cannot be. */
static uint64_t vblk_phys(uint8_t *p, int dev_writes)
{
	volatile uint8_t *v = p;

	if (!uk_linear(p)) {
		uint8_t x = *v;
		if (dev_writes)
			*v = x;
	}
	return uk_v2p(p);
}

/* Data segments for up to len bytes at buf: physically contiguous runs,
 * cut at the device's limits, ending on a sector boundary. Returns the
 * bytes covered (a multiple of 512, at least 512 when len is), 0 when
 * the buffer is not memory the device can reach. */
static uint32_t vblk_segs(struct uk_vblk *b, uint8_t *buf, uint64_t len, int dev_writes,
                          struct vq_buf *seg, unsigned *n)
{
	uint64_t total = 0, excess, pa;

	*n = 0;
	while (total < len && *n < b->seg_max) {
		uint64_t run = uk_phys_run(buf + total, len - total);
		if (run > b->size_max)
			run = b->size_max;
		if ((pa = vblk_phys(buf + total, dev_writes)) == ~0ull)
			return 0;
		seg[(*n)++] = (struct vq_buf){ pa, (uint32_t)run };
		total += run;
	}
	/* Give back a partial sector at the end: the next request takes it. */
	excess = total % UK_VIRTIO_BLK_SECTOR;
	while (excess && *n) {
		struct vq_buf *last = &seg[*n - 1];
		if (last->len > excess) {
			last->len -= (uint32_t)excess;
			total -= excess;
			break;
		}
		total -= last->len, excess -= last->len, (*n)--;
	}
	return (uint32_t)total;
}

/* One request; buf may be NULL for len 0. 0 or -errno. */
static int vblk_req(struct uk_vblk *b, uint32_t type, uint64_t sector, struct vq_buf *data,
                    unsigned ndata, int dev_writes)
{
	struct vq_buf bufs[VBLK_SEGS + 2];
	unsigned n = 0, nin;
	uint32_t len;
	int on;

	on = uk_irq_save();
	while (b->busy && on) { /* another thread's request is in flight */
		uk_wq_wait(&b->turn_wq, 0);
	}
	b->busy = 1;
	uk_irq_restore(on);
	b->dma->h = (struct uk_virtio_blk_req){ type, 0, sector };
	b->dma->status = 0xff;
	bufs[n++] = (struct vq_buf){ uk_v2p(&b->dma->h), sizeof(b->dma->h) };
	for (unsigned i = 0; i < ndata; i++)
		bufs[n++] = data[i];
	bufs[n++] = (struct vq_buf){ uk_v2p(&b->dma->status), 1 };
	nin = 1 + (dev_writes ? ndata : 0);
	if (vq_drv_add(&b->q->vq, bufs, n - nin, nin, b) == 0) {
		uk_virtq_kick(b->q);
		vblk_wait(b);
		vq_drv_get(&b->q->vq, &len);
		b->reqs++;
	}
	b->busy = 0;
	uk_wq_wake(&b->turn_wq, 1);
	return b->dma->status == UK_VIRTIO_BLK_S_OK       ? 0
	       : b->dma->status == UK_VIRTIO_BLK_S_UNSUPP ? -EOPNOTSUPP
	                                                  : -EIO;
}

static int vblk_rw(struct uk_vblk *b, uint64_t sector, uint8_t *buf, uint32_t count, int write)
{
	struct vq_buf seg[VBLK_SEGS];
	uint64_t left = (uint64_t)count * UK_VIRTIO_BLK_SECTOR;
	unsigned n;
	int r;

	if (write && b->ro)
		return -EROFS;
	if (sector > b->sectors || count > b->sectors - sector)
		return -EIO;
	while (left) {
		uint32_t got = vblk_segs(b, buf, left, !write, seg, &n);
		if (!got)
			return -EFAULT;
		if ((r = vblk_req(b, write ? UK_VIRTIO_BLK_T_OUT : UK_VIRTIO_BLK_T_IN, sector, seg,
		                  n, !write)))
			return r;
		sector += got / UK_VIRTIO_BLK_SECTOR, buf += got, left -= got;
	}
	return 0;
}

int uk_vblk_read(struct uk_vblk *b, uint64_t sector, void *buf, uint32_t count)
{
	return vblk_rw(b, sector, buf, count, 0);
}

int uk_vblk_write(struct uk_vblk *b, uint64_t sector, const void *buf, uint32_t count)
{
	return vblk_rw(b, sector, (uint8_t *)buf, count, 1);
}

int uk_vblk_flush(struct uk_vblk *b)
{
	if (b->ro)
		return 0;
	if (!(b->dev->features & UK_VIRTIO_BIT(UK_VIRTIO_BLK_F_FLUSH)))
		return 0; /* a device without a write cache to flush */
	return vblk_req(b, UK_VIRTIO_BLK_T_FLUSH, 0, NULL, 0, 0);
}

/* ---- set-up ---- */

/* The mount point: the runtime tree's, else an ID naming a path. */
static void vblk_mount_point(struct uk_vblk *b)
{
	struct vq_buf id = { uk_v2p(b->dma->id), UK_VIRTIO_BLK_ID_BYTES };

	if (b->dev->mount) {
		size_t n = uk_strnlen(b->dev->mount, sizeof(b->mount) - 1);
		uk_memcpy(b->mount, b->dev->mount, n);
		b->mount[n] = 0;
		if (n == uk_strlen(b->dev->mount))
			return;
		uk_pr("virtio-blk: mount point %s is too long for the driver\n", b->dev->mount);
		b->mount[0] = 0;
		return;
	}
	uk_memset(b->dma->id, 0, sizeof(b->dma->id));
	if (!vblk_req(b, UK_VIRTIO_BLK_T_GET_ID, 0, &id, 1, 1) && b->dma->id[0] == '/')
		uk_memcpy(b->mount, b->dma->id, sizeof(b->mount));
}

static struct uk_vblk *vblk_open(struct uk_virtio_dev *d)
{
	uint64_t want =
	    UK_VIRTIO_BIT(UK_VIRTIO_BLK_F_SEG_MAX) | UK_VIRTIO_BIT(UK_VIRTIO_BLK_F_SIZE_MAX) |
	    UK_VIRTIO_BIT(UK_VIRTIO_BLK_F_RO) | UK_VIRTIO_BIT(UK_VIRTIO_BLK_F_BLK_SIZE) |
	    UK_VIRTIO_BIT(UK_VIRTIO_BLK_F_FLUSH);
	struct uk_vblk *b = uk_kzalloc(sizeof(*b));

	if (!b || !(b->dma = uk_kzalloc(sizeof(*b->dma))) || uk_virtio_features(d, want))
		return NULL;
	b->dev = d;
	uk_virtio_config(d, 0, &b->sectors, 8);
	b->seg_max = VBLK_SEGS, b->size_max = VBLK_SEG_BYTES;
	if (d->features & UK_VIRTIO_BIT(UK_VIRTIO_BLK_F_SEG_MAX)) {
		uk_virtio_config(d, 12, &b->seg_max, 4);
		b->seg_max = b->seg_max < 1 ? 1 : b->seg_max > VBLK_SEGS ? VBLK_SEGS : b->seg_max;
	}
	if (d->features & UK_VIRTIO_BIT(UK_VIRTIO_BLK_F_SIZE_MAX)) {
		uk_virtio_config(d, 8, &b->size_max, 4);
		b->size_max = b->size_max < UK_PAGE_SIZE     ? UK_PAGE_SIZE
		              : b->size_max > VBLK_SEG_BYTES ? VBLK_SEG_BYTES
		                                             : b->size_max;
	}
	b->ro = d->ro || (d->features & UK_VIRTIO_BIT(UK_VIRTIO_BLK_F_RO));
	if (!(b->q = uk_virtq_create(d, 0, VBLK_QUEUE)) || uk_virtio_irq(d, vblk_isr, b))
		return NULL;
	if (b->seg_max + 2 > b->q->vq.r.num)
		b->seg_max = b->q->vq.r.num - 2;
	vq_drv_irq_off(&b->q->vq);
	uk_virtio_ready(d);
	vblk_mount_point(b);
	return b;
}

int uk_vblk_probe(void)
{
	struct uk_virtio_dev *d;
	struct uk_vblk *b;

	if (nvblk >= 0)
		return nvblk;
	nvblk = 0;
	while (nvblk < VBLK_MAX && (d = uk_virtio_claim(UK_VIRTIO_ID_BLK))) {
		if (!(b = vblk_open(d))) {
			uk_pr("virtio-blk at %#lx: cannot set the device up\n",
			      (unsigned long)d->base);
			continue; /* its memory stays: the device may still use it */
		}
		vblks[nvblk++] = b;
	}
	return nvblk;
}

struct uk_vblk *uk_vblk_get(unsigned i) { return (int)i < nvblk ? vblks[i] : NULL; }
uint64_t uk_vblk_sectors(const struct uk_vblk *b) { return b->sectors; }
int uk_vblk_ro(const struct uk_vblk *b) { return b->ro; }
const char *uk_vblk_mount(const struct uk_vblk *b) { return b->mount[0] ? b->mount : NULL; }
