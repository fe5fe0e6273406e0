/*
 * virtio-blk: one device per --disk FILE:GUEST[:ro], serving the guest's
 * requests on the device thread straight between guest memory and the
 * image file (preadv/pwritev on the chain's buffers, no copies). The
 * vCPU thread never sees a request: kicks arrive by ioeventfd, completions
 * leave by irqfd.
 *
 * Every request is parsed and checked by vq_blk_parse (virtio/virtio_blk.c)
 * before it touches the file: sector numbers and lengths against the
 * image's size, writes against :ro. FLUSH is fdatasync(2).
 *
 * An image is locked while ukrun runs (flock: exclusive for a writable
 * disk, shared for :ro), so two VMs never write one disk and a read-only
 * user never sees another VM's writes half done; the second one refuses to
 * start, saying so.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <uk/virtio_blk.h>

#include "virtio.h"

#define BLK_QUEUE 128
#define BLK_GUEST_MAX 256

struct vblk {
	struct vmm_vdev *dev;
	int fd;
	const char *spec; /* the --disk argument, for messages */
	char file[4096];
	char guest[BLK_GUEST_MAX]; /* uk,mount */
	int ro;
	uint64_t capacity; /* sectors */
	struct uk_virtio_blk_config cfg;
	char id[UK_VIRTIO_BLK_ID_BYTES];
	uint64_t reqs, reads, writes, flushes, failed;
};

static struct vblk *disks[VMM_VDEV_MAX];
static unsigned ndisks;

/* ---- requests (device thread) ---- */

/* The whole transfer, however the kernel splits it. */
static int blk_rw(struct vblk *b, struct iovec *iov, int cnt, uint64_t off, int write)
{
	while (cnt > 0) {
		ssize_t n = write ? pwritev(b->fd, iov, cnt, off) : preadv(b->fd, iov, cnt, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0) { /* the file shrank under us: reads beyond are zeros */
			if (write)
				return -EIO;
			for (int i = 0; i < cnt; i++)
				memset(iov[i].iov_base, 0, iov[i].iov_len);
			return 0;
		}
		off += n;
		while (cnt > 0 && (size_t)n >= iov->iov_len)
			n -= iov->iov_len, iov++, cnt--;
		if (cnt > 0)
			iov->iov_base = (uint8_t *)iov->iov_base + n, iov->iov_len -= n;
	}
	return 0;
}

static int blk_data(struct vblk *b, const struct vq_chain *c, const struct vq_blk_req *r)
{
	struct vq_seg seg[VMM_SEG_MAX];
	struct iovec iov[VMM_SEG_MAX];
	unsigned n = vq_blk_data(c, r, seg, VMM_SEG_MAX);
	size_t total = 0;

	for (unsigned i = 0; i < n; i++) {
		iov[i] = (struct iovec){ seg[i].p, seg[i].len };
		total += seg[i].len;
	}
	if (total != r->len)
		return -EINVAL;
	if (r->type == UK_VIRTIO_BLK_T_OUT)
		b->writes++;
	else
		b->reads++;
	return blk_rw(b, iov, (int)n, r->off, r->type == UK_VIRTIO_BLK_T_OUT);
}

/* Zeros over [off, off + len): a hole where the file system can. */
static int blk_zero(struct vblk *b, uint64_t off, uint64_t len, int may_unmap)
{
	static const uint8_t zeros[65536];

	if (may_unmap && !fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len))
		return 0;
	if (!fallocate(b->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, off, len))
		return 0;
	while (len) {
		size_t n = len < sizeof(zeros) ? len : sizeof(zeros);
		ssize_t w = pwrite(b->fd, zeros, n, off);
		if (w <= 0)
			return w < 0 && errno == EINTR ? 0 : -EIO;
		off += w, len -= w;
	}
	return 0;
}

static int blk_ranges(struct vblk *b, const struct vq_blk_req *r)
{
	int err;

	for (unsigned i = 0; i < r->nranges; i++) {
		if (r->type == UK_VIRTIO_BLK_T_WRITE_ZEROES) {
			if ((err = blk_zero(b, r->range[i].off, r->range[i].len, 1)))
				return err;
		} else if (fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		                     r->range[i].off, r->range[i].len) &&
		           errno != EOPNOTSUPP) {
			return -errno; /* a discard the file system cannot do is a no-op */
		}
	}
	return 0;
}

static int blk_exec(struct vblk *b, const struct vq_chain *c, const struct vq_blk_req *r)
{
	struct vq_seg seg[1];

	switch (r->type) {
	case UK_VIRTIO_BLK_T_IN:
	case UK_VIRTIO_BLK_T_OUT: return blk_data(b, c, r);
	case UK_VIRTIO_BLK_T_FLUSH: b->flushes++; return b->ro || !fdatasync(b->fd) ? 0 : -errno;
	case UK_VIRTIO_BLK_T_GET_ID:
		if (r->len && vq_blk_data(c, r, seg, 1) == 1)
			memcpy(seg[0].p, b->id, seg[0].len);
		return 0;
	}
	return blk_ranges(b, r);
}

/* One request: its status written, the bytes it wrote into the chain. */
static uint32_t blk_one(struct vblk *b, const struct vq_chain *c, int *broken)
{
	struct vq_blk_req r;
	int st = vq_blk_parse(c, b->capacity, b->ro, &r), err;

	b->reqs++;
	if (st < 0) {
		*broken = 1;
		return 0;
	}
	if (st == UK_VIRTIO_BLK_S_OK && (err = blk_exec(b, c, &r))) {
		vmm_verbose(b->dev->vm, "virtio-blk %s: request type %u at byte %llu failed: %s",
		            b->file, r.type, (unsigned long long)r.off,
		            err == -EINVAL ? "more buffers than the device accepts"
		                           : strerror(-err));
		st = UK_VIRTIO_BLK_S_IOERR;
	} else if (st != UK_VIRTIO_BLK_S_OK) {
		vmm_verbose(b->dev->vm, "virtio-blk %s: refused %s", b->file, r.why);
	}
	if (st != UK_VIRTIO_BLK_S_OK)
		b->failed++;
	*r.status = (uint8_t)st;
	return (st == UK_VIRTIO_BLK_S_OK &&
	                (r.type == UK_VIRTIO_BLK_T_IN || r.type == UK_VIRTIO_BLK_T_GET_ID)
	            ? r.len
	            : 0) +
	       1;
}

static void blk_queue(struct vmm_vdev *d, unsigned q)
{
	struct vblk *b = d->priv;
	struct vq_dev *vq = vmm_vdev_vq(d, 0);
	struct vq_seg seg[VMM_SEG_MAX];
	struct vq_chain c;
	int r = 0, broken = 0;

	if (!vq)
		return;
	do {
		vq_dev_notify_off(vq);
		while (!broken && (r = vq_dev_pop(vq, &c, seg, VMM_SEG_MAX)) == 1) {
			uint32_t len = blk_one(b, &c, &broken);
			if (!broken)
				vq_dev_push(vq, c.head, len);
		}
		vmm_vdev_interrupt(d, 0);
		if (broken || r < 0) {
			vmm_vdev_fail(d, 0, broken ? "a request without a status byte" : vq->err);
			return;
		}
	} while (vq_dev_notify_on(vq));
}

static void blk_config(struct vmm_vdev *d, uint32_t off, void *buf, uint32_t len, int write)
{
	struct vblk *b = d->priv;

	if (!write) /* nothing in it is the driver's to change */
		memcpy(buf, (uint8_t *)&b->cfg + off, len);
}

static struct vmm_vdev_ops blk_ops = {
	.name = "virtio-blk",
	.device_id = UK_VIRTIO_ID_BLK,
	.nqueues = 1,
	.queue_max = BLK_QUEUE,
	.features = UK_VIRTIO_BIT(UK_VIRTIO_BLK_F_SEG_MAX) |
	            UK_VIRTIO_BIT(UK_VIRTIO_BLK_F_BLK_SIZE) | UK_VIRTIO_BIT(UK_VIRTIO_BLK_F_FLUSH) |
	            UK_VIRTIO_BIT(UK_VIRTIO_BLK_F_DISCARD) |
	            UK_VIRTIO_BIT(UK_VIRTIO_BLK_F_WRITE_ZEROES),
	.config_size = sizeof(struct uk_virtio_blk_config),
	.config = blk_config,
	.queue = blk_queue,
};

static struct vmm_vdev_ops blk_ro_ops;

/* ---- set-up ---- */

/* An absolute path of plain components, not "/" itself. */
static int blk_guest_ok(const char *g)
{
	size_t len = strlen(g);

	if (g[0] != '/' || len < 2 || len >= BLK_GUEST_MAX)
		return 0;
	for (const char *p = g + 1; *p;) {
		size_t n = strcspn(p, "/");
		if (!n || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		p += n + (p[n] == '/');
		if (p[-1] == '/' && !*p)
			return 0; /* a trailing slash */
	}
	return 1;
}

/* "FILE:GUEST[:ro|:rw]"; FILE may itself hold colons. */
static int blk_parse(struct vblk *b, const char *spec)
{
	char tmp[sizeof(b->file)], *colon, *last;
	size_t len = strlen(spec);

	if (len >= sizeof(tmp))
		return vmm_err("--disk %.60s...: too long", spec), -1;
	memcpy(tmp, spec, len + 1);
	last = strrchr(tmp, ':');
	if (last && (!strcmp(last, ":ro") || !strcmp(last, ":rw"))) {
		b->ro = last[2] == 'o';
		*last = 0;
	}
	colon = strrchr(tmp, ':');
	if (!colon || colon == tmp || !colon[1]) {
		vmm_err("--disk %s: expected FILE:/guest/path[:ro]", spec);
		return -1;
	}
	*colon = 0;
	snprintf(b->file, sizeof(b->file), "%s", tmp);
	if (!blk_guest_ok(colon + 1)) {
		vmm_err("--disk %s: the guest path must be absolute, not /, without . or .. "
		        "(e.g. /data)",
		        spec);
		return -1;
	}
	snprintf(b->guest, sizeof(b->guest), "%s", colon + 1);
	return 0;
}

static int blk_size(struct vblk *b, uint64_t *bytes)
{
	struct stat st;

	if (fstat(b->fd, &st))
		return -errno;
	if (S_ISBLK(st.st_mode))
		return ioctl(b->fd, BLKGETSIZE64, bytes) ? -errno : 0;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	*bytes = st.st_size;
	return 0;
}

static int blk_open(struct vblk *b)
{
	uint64_t bytes = 0;
	int r;

	b->fd = open(b->file, (b->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (b->fd < 0) {
		vmm_err("--disk %s: %s: %s%s", b->spec, b->file, strerror(errno),
		        errno == EACCES && !b->ro ? " (add :ro to use it read-only)" : "");
		return -1;
	}
	if (flock(b->fd, (b->ro ? LOCK_SH : LOCK_EX) | LOCK_NB)) {
		vmm_err(
		    "--disk %s: %s is in use by another VM (it is locked): a disk is never shared "
		    "while one of them may write it",
		    b->spec, b->file);
		return -1;
	}
	if ((r = blk_size(b, &bytes)) || bytes < UK_VIRTIO_BLK_SECTOR) {
		vmm_err("--disk %s: %s: %s", b->spec, b->file,
		        r == -EINVAL ? "not a regular file or block device"
		        : r          ? strerror(-r)
		                     : "too small to be a disk (under 512 bytes)");
		return -1;
	}
	if (bytes % UK_VIRTIO_BLK_SECTOR)
		vmm_verbose(NULL,
		            "virtio-blk %s: its last %llu bytes are not a whole sector: unused",
		            b->file, (unsigned long long)(bytes % UK_VIRTIO_BLK_SECTOR));
	b->capacity = bytes / UK_VIRTIO_BLK_SECTOR;
	return 0;
}

static void blk_cfg(struct vblk *b)
{
	b->cfg = (struct uk_virtio_blk_config){
		.capacity = b->capacity,
		.seg_max = VMM_SEG_MAX - 2, /* the header and the status take two */
		.blk_size = UK_VIRTIO_BLK_SECTOR,
		.num_queues = 1,
		.max_discard_sectors = UINT32_MAX,
		.max_discard_seg = UK_VIRTIO_BLK_RANGES_MAX,
		.discard_sector_alignment = 1,
		.max_write_zeroes_sectors = UINT32_MAX,
		.max_write_zeroes_seg = UK_VIRTIO_BLK_RANGES_MAX,
		.write_zeroes_may_unmap = 1,
	};
	/* The ID is the guest path, as under QEMU with serial=/path: its first
	 * 20 bytes, NUL-padded (b is calloc'd), unterminated when full as
	 * virtio allows. ukrun's guests mount at uk,mount, never cut short. */
	memcpy(b->id, b->guest, strnlen(b->guest, sizeof(b->id)));
}

static int blk_add(struct vmm *vm, const char *spec)
{
	struct vblk *b = calloc(1, sizeof(*b));

	if (!b)
		return vmm_err("--disk %s: out of memory", spec), -1;
	b->fd = -1, b->spec = spec;
	disks[ndisks++] = b; /* teardown closes what got opened */
	if (blk_parse(b, spec) || blk_open(b))
		return -1;
	blk_cfg(b);
	if (!blk_ro_ops.name) {
		blk_ro_ops = blk_ops;
		blk_ro_ops.features |= UK_VIRTIO_BIT(UK_VIRTIO_BLK_F_RO);
	}
	if (!(b->dev = vmm_vdev_add(vm, b->ro ? &blk_ro_ops : &blk_ops, b)))
		return -1;
	b->dev->mount = b->guest;
	b->dev->ro = b->ro;
	vm->needs |= VMM_NEED_DISK;
	vmm_verbose(vm, "virtio-blk %s: %llu sectors at %s%s", b->file,
	            (unsigned long long)b->capacity, b->guest, b->ro ? " (read-only)" : "");
	return 0;
}

int vmm_blk_check(const struct vmm_opts *o)
{
	struct vblk *b = calloc(1, sizeof(*b));
	int r = 0;

	if (!b)
		return vmm_err("--disk: out of memory"), -1;
	if (o->ndisks > VMM_VDEV_MAX)
		r = (vmm_err("--disk: at most %d disks", VMM_VDEV_MAX), -1);
	for (int i = 0; i < o->ndisks && !r; i++)
		r = blk_parse(b, o->disks[i]);
	free(b);
	return r;
}

int vmm_blk_setup(struct vmm *vm)
{
	const struct vmm_opts *o = vm->opts;

	for (int i = 0; i < o->ndisks; i++) {
		if (ndisks == VMM_VDEV_MAX)
			return vmm_err("--disk: at most %d disks", VMM_VDEV_MAX), -1;
		if (blk_add(vm, o->disks[i]))
			return -1;
	}
	return 0;
}

void vmm_blk_teardown(struct vmm *vm)
{
	for (unsigned i = 0; i < ndisks; i++) {
		struct vblk *b = disks[i];
		if (b->dev)
			vmm_verbose(vm,
			            "virtio-blk %s: %llu requests (%llu reads, %llu writes, %llu "
			            "flushes, %llu failed), %llu interrupts",
			            b->file, (unsigned long long)b->reqs,
			            (unsigned long long)b->reads, (unsigned long long)b->writes,
			            (unsigned long long)b->flushes, (unsigned long long)b->failed,
			            (unsigned long long)b->dev->interrupts);
		if (b->fd >= 0)
			close(b->fd); /* drops the lock */
		free(b);
	}
	ndisks = 0;
}
