/*
 * virtio-blk: the request parser (virtio/virtio_blk.c) on hand-made chains,
 * then ukrun's device (vmm/virtio_blk.c) over an image file, driven
 * through the virtio-mmio registers and a ring in a simulated guest
 * memory, without KVM; and the image lock between two "VMs".
 */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uk/virtio.h>
#include <uk/virtio_blk.h>
#include <uk/virtq.h>

#include "../../vmm/virtio.h"
#include "mmio_drv.h"
#include "unit.h"

int vmm_blk_setup(struct vmm *vm);
void vmm_blk_teardown(struct vmm *vm);

/* ---- the parser on chains made by hand ---- */

static uint8_t hdrbuf[64], data[8192], status;

/* A chain: [header (hlen bytes)][out data][in data][status]. */
static struct vq_chain mk(struct vq_seg *seg, uint32_t type, uint64_t sector, uint32_t hlen,
                          uint32_t out, uint32_t in, int with_status)
{
	struct uk_virtio_blk_req h = { type, 0, sector };
	struct vq_chain c = { 0, 0, 0, 0, 0, seg };

	memcpy(hdrbuf, &h, sizeof(h));
	seg[c.nout++] = (struct vq_seg){ hdrbuf, hlen };
	if (out)
		seg[c.nout++] = (struct vq_seg){ data, out };
	if (in)
		seg[c.nout + c.nin++] = (struct vq_seg){ data, in };
	if (with_status)
		seg[c.nout + c.nin++] = (struct vq_seg){ &status, 1 };
	c.out_len = hlen + out;
	c.in_len = in + !!with_status;
	return c;
}

#define CAP 2048 /* sectors: 1 MiB */

TEST(parse_rw)
{
	struct vq_seg seg[4], d[4];
	struct vq_blk_req r;
	struct vq_chain c;

	c = mk(seg, UK_VIRTIO_BLK_T_IN, 8, 16, 0, 4096, 1);
	EXPECT(vq_blk_parse(&c, CAP, 0, &r) == UK_VIRTIO_BLK_S_OK);
	EXPECT(r.off == 4096 && r.len == 4096 && r.status == &status);
	EXPECT(vq_blk_data(&c, &r, d, 4) == 1 && d[0].p == data && d[0].len == 4096);
	c = mk(seg, UK_VIRTIO_BLK_T_OUT, CAP - 8, 16, 4096, 0, 1);
	EXPECT(vq_blk_parse(&c, CAP, 0, &r) == UK_VIRTIO_BLK_S_OK && r.len == 4096);
	EXPECT(vq_blk_data(&c, &r, d, 4) == 1 && d[0].p == data);
	/* a header that carries the first data bytes in the same buffer */
	seg[0].len = 16 + 512, c.out_len = 16 + 512;
	c.nout = 1, c.nin = 1, seg[1] = (struct vq_seg){ &status, 1 }, c.in_len = 1;
	EXPECT(vq_blk_parse(&c, CAP, 0, &r) == UK_VIRTIO_BLK_S_OK && r.len == 512);
	EXPECT(vq_blk_data(&c, &r, d, 4) == 1 && d[0].p == hdrbuf + 16 && d[0].len == 512);
	/* zero-length data: allowed, moves nothing */
	c = mk(seg, UK_VIRTIO_BLK_T_IN, CAP, 16, 0, 0, 1);
	EXPECT(vq_blk_parse(&c, CAP, 0, &r) == UK_VIRTIO_BLK_S_OK && r.len == 0);
}

TEST(parse_refusals)
{
	struct vq_seg seg[4];
	struct vq_blk_req r;
	struct vq_chain c;

	c = mk(seg, UK_VIRTIO_BLK_T_IN, CAP - 7, 16, 0, 4096, 1);
	EXPECT(vq_blk_parse(&c, CAP, 0, &r) == UK_VIRTIO_BLK_S_IOERR && r.why);
	c = mk(seg, UK_VIRTIO_BLK_T_IN, UINT64_MAX / 512, 16, 0, 4096, 1);
	EXPECT(vq_blk_parse(&c, CAP, 0, &r) == UK_VIRTIO_BLK_S_IOERR);
	c = mk(seg, UK_VIRTIO_BLK_T_OUT, UINT64_MAX, 16, 512, 0, 1);
	EXPECT(vq_blk_parse(&c, UINT64_MAX, 0, &r) == UK_VIRTIO_BLK_S_IOERR);
	c = mk(seg, UK_VIRTIO_BLK_T_IN, 0, 16, 0, 1000, 1);
	EXPECT(vq_blk_parse(&c, CAP, 0, &r) == UK_VIRTIO_BLK_S_IOERR);
	c = mk(seg, UK_VIRTIO_BLK_T_IN, 0, 16, 512, 512, 1);
	EXPECT(vq_blk_parse(&c, CAP, 0, &r) == UK_VIRTIO_BLK_S_IOERR);
	c = mk(seg, UK_VIRTIO_BLK_T_OUT, 0, 16, 512, 0, 1);
	EXPECT(vq_blk_parse(&c, CAP, 1, &r) == UK_VIRTIO_BLK_S_IOERR); /* read-only */
	c = mk(seg, UK_VIRTIO_BLK_T_IN, 0, 8, 0, 512, 1);
	EXPECT(vq_blk_parse(&c, CAP, 0, &r) == UK_VIRTIO_BLK_S_IOERR); /* short header */
	c = mk(seg, 77, 0, 16, 0, 0, 1);
	EXPECT(vq_blk_parse(&c, CAP, 0, &r) == UK_VIRTIO_BLK_S_UNSUPP);
	c = mk(seg, UK_VIRTIO_BLK_T_FLUSH, 0, 16, 0, 0, 0);
	EXPECT(vq_blk_parse(&c, CAP, 0, &r) == -1); /* nowhere to put a status */
}

TEST(parse_ranges)
{
	struct uk_virtio_blk_range *g = (void *)data;
	struct vq_seg seg[4];
	struct vq_blk_req r;
	struct vq_chain c;

	g[0] = (struct uk_virtio_blk_range){ 8, 16, 0 };
	g[1] = (struct uk_virtio_blk_range){ CAP - 1, 1, 0 };
	c = mk(seg, UK_VIRTIO_BLK_T_DISCARD, 0, 16, 32, 0, 1);
	EXPECT(vq_blk_parse(&c, CAP, 0, &r) == UK_VIRTIO_BLK_S_OK && r.nranges == 2);
	EXPECT(r.range[0].off == 4096 && r.range[0].len == 8192 && r.range[1].len == 512);
	g[1].num_sectors = 2;
	EXPECT(vq_blk_parse(&c, CAP, 0, &r) == UK_VIRTIO_BLK_S_IOERR);
	g[1] = (struct uk_virtio_blk_range){ 0, 1, 1 }; /* unmap: WRITE_ZEROES only */
	EXPECT(vq_blk_parse(&c, CAP, 0, &r) == UK_VIRTIO_BLK_S_UNSUPP);
	c = mk(seg, UK_VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, 32, 0, 1);
	EXPECT(vq_blk_parse(&c, CAP, 0, &r) == UK_VIRTIO_BLK_S_OK);
	EXPECT(vq_blk_parse(&c, CAP, 1, &r) == UK_VIRTIO_BLK_S_IOERR);
	c = mk(seg, UK_VIRTIO_BLK_T_DISCARD, 0, 16, 24, 0, 1);
	EXPECT(vq_blk_parse(&c, CAP, 0, &r) == UK_VIRTIO_BLK_S_IOERR);
	c = mk(seg, UK_VIRTIO_BLK_T_DISCARD, 0, 16, 16 * (UK_VIRTIO_BLK_RANGES_MAX + 1), 0, 1);
	EXPECT(vq_blk_parse(&c, CAP, 0, &r) == UK_VIRTIO_BLK_S_IOERR);
}

TEST(parse_get_id)
{
	struct vq_seg seg[4];
	struct vq_blk_req r;
	struct vq_chain c;

	c = mk(seg, UK_VIRTIO_BLK_T_GET_ID, 0, 16, 0, 20, 1);
	EXPECT(vq_blk_parse(&c, CAP, 1, &r) == UK_VIRTIO_BLK_S_OK && r.len == 20);
	c = mk(seg, UK_VIRTIO_BLK_T_GET_ID, 0, 16, 0, 100, 1);
	EXPECT(vq_blk_parse(&c, CAP, 0, &r) == UK_VIRTIO_BLK_S_OK && r.len == 20);
	c = mk(seg, UK_VIRTIO_BLK_T_FLUSH, 0, 16, 0, 0, 1);
	EXPECT(vq_blk_parse(&c, CAP, 1, &r) == UK_VIRTIO_BLK_S_OK && r.len == 0);
}

/* ---- the device ---- */

#define MEM_SIZE (1u << 20)
#define RING_GPA 0x1000u
#define HDR_GPA 0x20000u
#define BUF_GPA 0x40000u
#define ST_GPA 0x30000u

static uint8_t *mem;
static struct vmm_opts topts;
static char imgpath[256];

static void *map(void *ctx, uint64_t gpa, uint32_t len)
{
	return gpa > MEM_SIZE || len > MEM_SIZE - gpa ? NULL : mem + gpa;
}

struct drv {
	struct vmm_vdev *d;
	struct vq_ring r;
	struct vq_drv q;
	void *token[16];
};

static int drv_start(struct drv *v, struct vmm_vdev *d)
{
	uint64_t feat = UK_VIRTIO_BIT(UK_VIRTIO_F_VERSION_1) | UK_VIRTIO_BIT(UK_VIRTIO_F_EVENT_IDX);
	uint64_t used = RING_GPA + ((16 * 16 + 6 + 2 * 16 + 3) & ~3u);

	v->d = d;
	memset(mem, 0, MEM_SIZE);
	if (!(negotiate(d, feat) & UK_VIRTIO_S_FEATURES_OK))
		return -1;
	vq_ring_layout(&v->r, mem + RING_GPA, 16);
	vq_drv_init(&v->q, &v->r, v->token, 1);
	wr(d, UK_VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(d, UK_VIRTIO_MMIO_QUEUE_NUM, 16);
	wr(d, UK_VIRTIO_MMIO_QUEUE_DESC_LOW, RING_GPA);
	wr(d, UK_VIRTIO_MMIO_QUEUE_DRIVER_LOW, RING_GPA + 16 * 16);
	wr(d, UK_VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)used);
	wr(d, UK_VIRTIO_MMIO_QUEUE_READY, 1);
	wr(d, UK_VIRTIO_MMIO_STATUS, 0xf);
	return d->running ? 0 : -1;
}

/* One request, waited for: the status byte, *len the bytes written back. */
static int drv_req(struct drv *v, uint32_t type, uint64_t sector, uint32_t out, uint32_t in,
                   uint32_t *len)
{
	struct uk_virtio_blk_req h = { type, 0, sector };
	struct vq_buf b[3] = { { HDR_GPA, 16 } };
	struct pollfd p = { .fd = v->d->irq_fd, .events = POLLIN };
	unsigned n = 1, nin = 1;
	uint64_t ev;

	memcpy(mem + HDR_GPA, &h, sizeof(h));
	mem[ST_GPA] = 0xee;
	if (out)
		b[n++] = (struct vq_buf){ BUF_GPA, out };
	if (in)
		b[n++] = (struct vq_buf){ BUF_GPA, in }, nin++;
	b[n++] = (struct vq_buf){ ST_GPA, 1 };
	vq_drv_irq_on(&v->q); /* an interrupt for this one */
	if (vq_drv_add(&v->q, b, n - nin, nin, (void *)1))
		return -1;
	if (vq_drv_kick_needed(&v->q))
		wr(v->d, UK_VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	if (poll(&p, 1, 5000) != 1 || read(p.fd, &ev, 8) != 8)
		return -2;
	if (vq_drv_get(&v->q, len) != (void *)1)
		return -3;
	return mem[ST_GPA];
}

static int image(const char *path, size_t size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644), ok;
	uint8_t *p = malloc(size);

	for (size_t i = 0; i < size; i++)
		p[i] = (uint8_t)(i * 7 + i / 512);
	ok = fd >= 0 && write(fd, p, size) == (ssize_t)size;
	free(p);
	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

static int file_at(uint64_t off, void *buf, size_t n)
{
	int fd = open(imgpath, O_RDONLY), ok = fd >= 0 && pread(fd, buf, n, off) == (ssize_t)n;
	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

static struct vmm_vdev *rw_dev, *ro_dev;

TEST(device_config)
{
	struct uk_virtio_blk_config cfg;

	for (uint32_t i = 0; i < sizeof(cfg); i += 4) {
		uint32_t v = rd(rw_dev, UK_VIRTIO_MMIO_CONFIG + i);
		memcpy((uint8_t *)&cfg + i, &v, 4);
	}
	EXPECT(cfg.capacity == CAP && cfg.blk_size == 512 && cfg.seg_max >= 1);
	EXPECT(rd(rw_dev, UK_VIRTIO_MMIO_DEVICE_ID) == UK_VIRTIO_ID_BLK);
	wr(ro_dev, UK_VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	EXPECT(rd(ro_dev, UK_VIRTIO_MMIO_DEVICE_FEATURES) & UK_VIRTIO_BIT(UK_VIRTIO_BLK_F_RO));
	EXPECT(!(rd(rw_dev, UK_VIRTIO_MMIO_DEVICE_FEATURES) & UK_VIRTIO_BIT(UK_VIRTIO_BLK_F_RO)));
	EXPECT(!strcmp(rw_dev->mount, "/data") && !rw_dev->ro && ro_dev->ro);
}

TEST(device_io)
{
	static struct drv v;
	uint8_t back[4096];
	uint32_t len;

	EXPECT(drv_start(&v, rw_dev) == 0);
	for (int i = 0; i < 4096; i++)
		mem[BUF_GPA + i] = (uint8_t)(i ^ 0x5a);
	EXPECT(drv_req(&v, UK_VIRTIO_BLK_T_OUT, 10, 4096, 0, &len) == UK_VIRTIO_BLK_S_OK &&
	       len == 1);
	EXPECT(file_at(10 * 512, back, 4096) == 0 && !memcmp(back, mem + BUF_GPA, 4096));
	memset(mem + BUF_GPA, 0, 4096);
	EXPECT(drv_req(&v, UK_VIRTIO_BLK_T_IN, 10, 0, 4096, &len) == UK_VIRTIO_BLK_S_OK);
	EXPECT(len == 4097 && !memcmp(back, mem + BUF_GPA, 4096));
	EXPECT(drv_req(&v, UK_VIRTIO_BLK_T_FLUSH, 0, 0, 0, &len) == UK_VIRTIO_BLK_S_OK);
	EXPECT(drv_req(&v, UK_VIRTIO_BLK_T_GET_ID, 0, 0, 20, &len) == UK_VIRTIO_BLK_S_OK);
	EXPECT(len == 21 && !memcmp(mem + BUF_GPA, "/data\0", 6));
	/* out of range: refused, the file untouched, the device still good */
	EXPECT(drv_req(&v, UK_VIRTIO_BLK_T_OUT, CAP - 1, 1024, 0, &len) == UK_VIRTIO_BLK_S_IOERR);
	EXPECT(file_at((CAP - 1) * 512, back, 512) == 0 &&
	       back[0] == (uint8_t)((CAP - 1) * 512 * 7 + CAP - 1));
	EXPECT(drv_req(&v, 99, 0, 0, 0, &len) == UK_VIRTIO_BLK_S_UNSUPP);
	EXPECT(drv_req(&v, UK_VIRTIO_BLK_T_IN, 0, 0, 512, &len) == UK_VIRTIO_BLK_S_OK);
	EXPECT(!(rd(rw_dev, UK_VIRTIO_MMIO_STATUS) & UK_VIRTIO_S_NEEDS_RESET));
	/* write zeroes */
	memcpy(mem + BUF_GPA, &(struct uk_virtio_blk_range){ 10, 8, 1 }, 16);
	EXPECT(drv_req(&v, UK_VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, 0, &len) == UK_VIRTIO_BLK_S_OK);
	EXPECT(file_at(10 * 512, back, 4096) == 0 && back[0] == 0 && back[4095] == 0);
	wr(rw_dev, UK_VIRTIO_MMIO_STATUS, 0);
}

TEST(device_read_only)
{
	static struct drv v;
	uint8_t before[512], after[512];
	uint32_t len;

	EXPECT(file_at(0, before, 512) == 0);
	EXPECT(drv_start(&v, ro_dev) == 0);
	memset(mem + BUF_GPA, 0xab, 512);
	EXPECT(drv_req(&v, UK_VIRTIO_BLK_T_OUT, 0, 512, 0, &len) == UK_VIRTIO_BLK_S_IOERR);
	EXPECT(drv_req(&v, UK_VIRTIO_BLK_T_IN, 0, 0, 512, &len) == UK_VIRTIO_BLK_S_OK);
	EXPECT(file_at(0, after, 512) == 0 && !memcmp(before, after, 512));
	EXPECT(!memcmp(mem + BUF_GPA, before, 512));
	wr(ro_dev, UK_VIRTIO_MMIO_STATUS, 0);
}

TEST(device_hostile)
{
	static struct drv v;
	struct vq_buf b[2] = { { HDR_GPA, 16 }, { MEM_SIZE - 8, 64 } };
	struct pollfd p = { .fd = rw_dev->irq_fd, .events = POLLIN };
	uint64_t ev;

	EXPECT(drv_start(&v, rw_dev) == 0);
	/* a data buffer outside guest memory: the queue is failed, no crash */
	EXPECT(vq_drv_add(&v.q, b, 1, 1, (void *)1) == 0);
	vq_drv_kick_needed(&v.q);
	wr(rw_dev, UK_VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	EXPECT(poll(&p, 1, 5000) == 1 && read(p.fd, &ev, 8) == 8);
	EXPECT(rd(rw_dev, UK_VIRTIO_MMIO_STATUS) & UK_VIRTIO_S_NEEDS_RESET);
	wr(rw_dev, UK_VIRTIO_MMIO_STATUS, 0);
}

/* A hostile driver toggling DRIVER_OK and rewriting queue registers while
 * the device runs: one device thread throughout, the rings as set up, and
 * the device failed until a reset (issue 13's first finding: 3 -> 303
 * threads after 300 toggles, a 9P reply written past guest RAM). */
TEST(device_status_machine)
{
	static struct drv v;
	int before = threads();
	uint64_t desc;

	EXPECT(drv_start(&v, rw_dev) == 0);
	EXPECT(threads() == before + 1);
	desc = rw_dev->vq[0].desc;
	for (int i = 0; i < 50; i++) {
		wr(rw_dev, UK_VIRTIO_MMIO_STATUS, 0xb); /* DRIVER_OK off, no reset */
		wr(rw_dev, UK_VIRTIO_MMIO_QUEUE_SEL, 0);
		wr(rw_dev, UK_VIRTIO_MMIO_QUEUE_READY, 0);
		wr(rw_dev, UK_VIRTIO_MMIO_QUEUE_DESC_LOW, MEM_SIZE - 16);
		wr(rw_dev, UK_VIRTIO_MMIO_STATUS, 0xf);
	}
	EXPECT(threads() == before + 1);
	EXPECT(rw_dev->vq[0].ready && rw_dev->vq[0].desc == desc);
	EXPECT(rd(rw_dev, UK_VIRTIO_MMIO_STATUS) & UK_VIRTIO_S_NEEDS_RESET);
	EXPECT(rd(rw_dev, UK_VIRTIO_MMIO_STATUS) & UK_VIRTIO_S_DRIVER_OK);
	wr(rw_dev, UK_VIRTIO_MMIO_STATUS, 0);
	EXPECT(threads() == before && rd(rw_dev, UK_VIRTIO_MMIO_STATUS) == 0);
	/* after the reset the device works again */
	EXPECT(drv_start(&v, rw_dev) == 0);
	EXPECT(threads() == before + 1);
	wr(rw_dev, UK_VIRTIO_MMIO_STATUS, 0);
}

/* Two VMs on one disk: the second refuses; read-only users may share. */
TEST(lock)
{
	static struct vmm other;
	static struct vmm_opts o2;
	char spec[300];
	const char *disks[1] = { spec };

	snprintf(spec, sizeof(spec), "%s:/again", imgpath);
	o2.ndisks = 1, o2.disks[0] = disks[0];
	other = (struct vmm){
		.kvm = -1, .vm = -1, .vcpu = -1, .ram = mem, .ram_size = MEM_SIZE, .opts = &o2
	};
	EXPECT(vmm_blk_setup(&other) == -1);
	snprintf(spec, sizeof(spec), "%s:/again:ro", imgpath);
	EXPECT(vmm_blk_setup(&other) == -1); /* a writer holds it */
	snprintf(spec, sizeof(spec), "%s:relative", imgpath);
	EXPECT(vmm_blk_setup(&other) == -1);
	snprintf(spec, sizeof(spec), "%s:/a/../b", imgpath);
	EXPECT(vmm_blk_setup(&other) == -1);
	snprintf(spec, sizeof(spec), "/nonexistent/disk.img:/x");
	EXPECT(vmm_blk_setup(&other) == -1);
}

int main(void)
{
	char spec_rw[300], spec_ro[300];

	RUN("blk", parse_rw);
	RUN("blk", parse_refusals);
	RUN("blk", parse_ranges);
	RUN("blk", parse_get_id);
	mem = aligned_alloc(4096, MEM_SIZE);
	snprintf(imgpath, sizeof(imgpath), "%s/uk-blk-%d.img",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", getpid());
	if (image(imgpath, CAP * 512)) {
		printf("FAIL blk/device: cannot make %s\n", imgpath);
		return 1;
	}
	/* The second disk is the read-only view of a copy (one file cannot be
	 * locked shared and exclusive at once). */
	snprintf(spec_rw, sizeof(spec_rw), "%s:/data", imgpath);
	snprintf(spec_ro, sizeof(spec_ro), "%s.ro:/ro:ro", imgpath);
	{
		char ro[300];
		snprintf(ro, sizeof(ro), "%s.ro", imgpath);
		image(ro, CAP * 512);
	}
	topts.ndisks = 2, topts.disks[0] = spec_rw, topts.disks[1] = spec_ro;
	tvm = (struct vmm){
		.kvm = -1, .vm = -1, .vcpu = -1, .ram = mem, .ram_size = MEM_SIZE, .opts = &topts
	};
	if (vmm_blk_setup(&tvm) || vmm_nvdevs != 2) {
		printf("FAIL blk/setup: vmm_blk_setup failed\n");
		return 1;
	}
	rw_dev = vmm_vdevs[0], ro_dev = vmm_vdevs[1];
	RUN("blk", device_config);
	RUN("blk", device_io);
	RUN("blk", device_read_only);
	RUN("blk", device_hostile);
	RUN("blk", device_status_machine);
	RUN("blk", lock);
	vmm_blk_teardown(&tvm);
	unlink(imgpath);
	strcat(imgpath, ".ro");
	unlink(imgpath);
	(void)map;
	return unit_failures ? 1 : 0;
}
