/*
 * ukrun's virtio-9p device (vmm/virtio_9p.c) behind the real virtio-mmio
 * transport, without KVM: this test is the guest driver, with a simulated
 * guest memory, and speaks 9P through the ring to the device, which passes
 * each request to its share's gofer: a process of its own, this test
 * binary started again (`--helper gofer ...`, as ukrun starts itself).
 */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uk/p9.h>
#include <uk/virtio.h>
#include <uk/virtq.h>

#include "../../vmm/p9_server.h"
#include "../../vmm/virtio.h"
#include "mmio_drv.h"
#include "unit.h"

int vmm_9p_setup(struct vmm *vm);
void vmm_9p_teardown(struct vmm *vm);

#define MEM_SIZE (8u << 20)
#define RING_GPA 0x1000u
#define REQ_GPA 0x100000u /* T-messages */
#define REP_GPA 0x300000u /* R-messages */
#define QNUM 256u

static uint8_t *mem;
static struct vmm_opts opts;
static char top[64], rw_dir[128], ro_dir[128];
static struct vmm_vdev *dev_rw, *dev_ro;

struct drv {
	struct vmm_vdev *d;
	struct vq_ring r;
	struct vq_drv q;
	void *token[QNUM];
	uint16_t tag;
};
static struct drv rw, ro;

/* Reset, negotiate, one queue at ring, DRIVER_OK. Returns the status. */
static uint32_t bring_up(struct drv *x, struct vmm_vdev *d, uint64_t ring)
{
	uint64_t f = UK_VIRTIO_BIT(UK_VIRTIO_F_VERSION_1) | UK_VIRTIO_BIT(UK_VIRTIO_F_EVENT_IDX) |
	             UK_VIRTIO_BIT(0);

	x->d = d;
	negotiate(d, f);
	memset(mem + ring, 0, vq_ring_bytes(QNUM));
	vq_ring_layout(&x->r, mem + ring, QNUM);
	vq_drv_init(&x->q, &x->r, x->token, 1);
	queue_give(d, 0, &x->r, mem + ring, ring, QNUM);
	wr(d, UK_VIRTIO_MMIO_STATUS, 0xf);
	return rd(d, UK_VIRTIO_MMIO_STATUS);
}

/* Send t from REQ_GPA (split in `pieces` equal buffers) with the reply
 * room at REP_GPA in 4 KiB pages (rep_pages of them). Decodes into r.
 * Returns 0, -errno from Rlerror, or -1000. */
static int call_split(struct drv *x, struct p9_msg *t, struct p9_msg *r, unsigned pieces,
                      unsigned rep_pages)
{
	struct vq_buf b[QNUM];
	uint32_t n, len, k, i, per;
	void *tok;

	t->tag = x->tag++;
	n = p9_pack(mem + REQ_GPA, 0x200000, t);
	if (!n || pieces + rep_pages > QNUM)
		return -1000;
	per = (n + pieces - 1) / pieces;
	for (i = 0, k = 0; i < n; i += per, k++)
		b[k] = (struct vq_buf){ REQ_GPA + i, n - i < per ? n - i : per };
	pieces = k;
	for (i = 0; i < rep_pages; i++)
		b[pieces + i] = (struct vq_buf){ REP_GPA + i * 4096u, 4096 };
	if (vq_drv_add(&x->q, b, pieces, rep_pages, (void *)1))
		return -1000;
	if (vq_drv_kick_needed(&x->q))
		wr(x->d, UK_VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	/* as a driver does: ask for the interrupt, then sleep unless the
	 * reply is already there (a stale interrupt just loops) */
	while (!(tok = vq_drv_get(&x->q, &len))) {
		if (!vq_drv_irq_on(&x->q) && !irq_wait(x->d, 10000))
			return -1000;
	}
	if (tok != (void *)1)
		return -1000;
	if (p9_unpack(mem + REP_GPA, len, r) || r->tag != t->tag)
		return -1000;
	if (r->type == P9_RLERROR)
		return -(int)r->u.rlerror.ecode;
	return r->type == t->type + 1 ? 0 : -1000;
}

static int call(struct drv *x, struct p9_msg *t, struct p9_msg *r)
{
	return call_split(x, t, r, 1, 128);
}

static int session(struct drv *x)
{
	struct p9_msg t = { .type = P9_TVERSION }, r;

	t.u.version.msize = P9_MSIZE_MAX;
	t.u.version.version = p9_str(P9_VERSION_L);
	if (call(x, &t, &r) || r.u.version.msize != P9_MSIZE_MAX)
		return -1;
	t = (struct p9_msg){ .type = P9_TATTACH };
	t.u.tattach.afid = P9_NOFID;
	return call(x, &t, &r);
}

TEST(config_and_tree)
{
	uint8_t cfg[8] = { 0 };

	EXPECT(vmm_nvdevs == 2 && dev_rw && dev_ro);
	EXPECT(rd(dev_rw, UK_VIRTIO_MMIO_DEVICE_ID) == UK_VIRTIO_ID_9P);
	wr(dev_rw, UK_VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	EXPECT(rd(dev_rw, UK_VIRTIO_MMIO_DEVICE_FEATURES) & 1); /* MOUNT_TAG */
	EXPECT(vmm_virtio_mmio(&tvm, dev_rw->base + 0x100, cfg, 2, 0) == 0);
	EXPECT(cfg[0] == 5 && cfg[1] == 0);
	EXPECT(vmm_virtio_mmio(&tvm, dev_rw->base + 0x102, cfg, 4, 0) == 0);
	EXPECT(memcmp(cfg, "/dat", 4) == 0);
	EXPECT(vmm_virtio_mmio(&tvm, dev_ro->base + 0x100, cfg, 8, 0) == 0);
	EXPECT(cfg[0] == 3 && memcmp(cfg + 2, "/ro", 3) == 0);
	EXPECT(!strcmp(dev_rw->mount, "/data") && !dev_rw->ro);
	EXPECT(!strcmp(dev_ro->mount, "/ro") && dev_ro->ro);
}

TEST(bad_volume_options)
{
	static const char *const bad[] = { "nocolon",
		                           ":/x",
		                           "/tmp:",
		                           "/tmp:rel",
		                           "/tmp:/",
		                           "/tmp:/a/../b",
		                           "/nonexistent-dir-xyz:/x" };
	struct vmm v = tvm;
	struct vmm_opts o = { 0 };
	unsigned before = vmm_nvdevs;

	v.opts = &o;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.volumes[0] = bad[i];
		o.nvolumes = 1;
		EXPECT(vmm_9p_setup(&v) == -1);
	}
	o.volumes[0] = "/tmp:/same";
	o.volumes[1] = "/var/tmp:/same/";
	o.nvolumes = 2;
	EXPECT(vmm_9p_setup(&v) == -1);
	EXPECT(vmm_nvdevs == before + 1); /* only "/tmp:/same" got a device */
}

TEST(round_trip_through_the_ring)
{
	struct p9_msg t, r;
	static uint8_t data[256 * 1024];
	size_t i;
	int fd;

	EXPECT(bring_up(&rw, dev_rw, RING_GPA) == 0xf);
	EXPECT(session(&rw) == 0);
	t = (struct p9_msg){ .type = P9_TWALK, .u.twalk = { 0, 1, 0, { { 0 } } } };
	EXPECT(call(&rw, &t, &r) == 0);
	t = (struct p9_msg){ .type = P9_TLCREATE };
	t.u.tlcreate.fid = 1;
	t.u.tlcreate.name = p9_str("from-guest");
	t.u.tlcreate.flags = 2; /* O_RDWR */
	t.u.tlcreate.mode = 0644;
	EXPECT(call(&rw, &t, &r) == 0);
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i ^ (i >> 9));
	/* a Twrite in 65 pieces, the header split from its payload */
	t = (struct p9_msg){ .type = P9_TWRITE };
	t.u.twrite.fid = 1;
	t.u.twrite.d.data = data;
	t.u.twrite.d.count = sizeof(data);
	EXPECT(call_split(&rw, &t, &r, 65, 1) == 0 && r.u.rwrite.count == sizeof(data));
	/* read back into 4 KiB pages */
	t = (struct p9_msg){ .type = P9_TREAD, .u.tread = { 1, 0, sizeof(data) } };
	EXPECT(call_split(&rw, &t, &r, 1, 65) == 0 && r.u.rread.count == sizeof(data));
	EXPECT(memcmp(r.u.rread.data, data, sizeof(data)) == 0);
	/* and on the host, byte for byte */
	{
		static uint8_t host[sizeof(data)];
		char p[256];
		snprintf(p, sizeof(p), "%s/from-guest", rw_dir);
		fd = open(p, O_RDONLY);
		EXPECT(fd >= 0 && read(fd, host, sizeof(host)) == (ssize_t)sizeof(host));
		close(fd);
		EXPECT(memcmp(host, data, sizeof(data)) == 0);
	}
	/* a reply that does not fit the room given: an error, not overflow */
	t = (struct p9_msg){ .type = P9_TREAD, .u.tread = { 1, 0, sizeof(data) } };
	EXPECT(call_split(&rw, &t, &r, 1, 1) == 0 && r.u.rread.count == 4096 - 11);
}

/* Reads and writes of the files the gofer handed over are served here,
 * by ukrun: they keep to the msize the session agreed, as the gofer does
 * (a Twrite past it refused, a Tread cut to it), and a Tversion the gofer
 * refused leaves that msize as it was. */
static int version(struct drv *x, uint32_t msize)
{
	struct p9_msg t = { .type = P9_TVERSION }, r;
	int e;

	t.u.version.msize = msize;
	t.u.version.version = p9_str(P9_VERSION_L);
	e = call(x, &t, &r);
	return e ? e : (int)r.u.version.msize;
}

static int open_rw(struct drv *x, const char *name)
{
	struct p9_msg t = { .type = P9_TATTACH }, r;

	t.u.tattach.afid = P9_NOFID;
	if (call(x, &t, &r))
		return -1;
	t = (struct p9_msg){ .type = P9_TWALK, .u.twalk = { 0, 1, 1, { p9_str(name) } } };
	if (call(x, &t, &r))
		return -1;
	t = (struct p9_msg){ .type = P9_TLOPEN, .u.tlopen = { 1, 2 /* O_RDWR */ } };
	return call(x, &t, &r);
}

TEST(msize_binds_what_ukrun_serves)
{
	static uint8_t data[20000];
	struct p9_msg t, r;

	EXPECT(version(&rw, 8192) == 8192);
	EXPECT(open_rw(&rw, "from-guest") == 0);
	t = (struct p9_msg){ .type = P9_TWRITE };
	t.u.twrite.fid = 1;
	t.u.twrite.d.data = data;
	t.u.twrite.d.count = sizeof(data);
	EXPECT(call_split(&rw, &t, &r, 5, 1) == -90 /* EMSGSIZE */);
	t = (struct p9_msg){ .type = P9_TREAD, .u.tread = { 1, 0, 100000 } };
	EXPECT(call_split(&rw, &t, &r, 1, 65) == 0 && r.u.rread.count == 8192 - 11);
	EXPECT(version(&rw, 100) == -22 /* EINVAL: below P9_MSIZE_MIN */);
	EXPECT(call_split(&rw, &t, &r, 1, 65) == 0 && r.u.rread.count == 8192 - 11);
	EXPECT(version(&rw, P9_MSIZE_MAX) == P9_MSIZE_MAX);
	EXPECT(open_rw(&rw, "from-guest") == 0);
	EXPECT(call_split(&rw, &t, &r, 1, 65) == 0 && r.u.rread.count == 100000);
}

TEST(readonly_share)
{
	struct p9_msg t, r;

	EXPECT(bring_up(&ro, dev_ro, RING_GPA + 0x10000) == 0xf);
	EXPECT(session(&ro) == 0);
	t = (struct p9_msg){ .type = P9_TMKDIR };
	t.u.tmkdir.name = p9_str("nope");
	t.u.tmkdir.mode = 0755;
	EXPECT(call(&ro, &t, &r) == -30 /* EROFS */);
	EXPECT(access(ro_dir, F_OK) == 0);
}

/* A reply buffer outside guest memory: the device stops, ukrun lives. */
TEST(hostile_chain)
{
	struct p9_msg t = { .type = P9_TCLUNK, .tag = 1, .u.tfid.fid = 1 };
	struct vq_buf b[2] = { { REQ_GPA, 0 }, { MEM_SIZE - 100, 4096 } };

	b[0].len = p9_pack(mem + REQ_GPA, 64, &t);
	EXPECT(vq_drv_add(&rw.q, b, 1, 1, (void *)2) == 0);
	vq_drv_kick_needed(&rw.q);
	wr(rw.d, UK_VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	EXPECT(irq_wait(rw.d, 10000)); /* the configuration-change interrupt */
	EXPECT(rd(rw.d, UK_VIRTIO_MMIO_STATUS) & UK_VIRTIO_S_NEEDS_RESET);
	/* the other share is unaffected */
	EXPECT(session(&ro) == 0);
}

/* This process's children named ukrun-gofer; *filtered of them under a
 * seccomp filter, with no new privileges. */
static int count_gofers(int *filtered)
{
	char path[300], buf[4096], ppid[32];
	DIR *proc = opendir("/proc");
	struct dirent *e;
	int fd, n, found = 0;

	snprintf(ppid, sizeof(ppid), "\nPPid:\t%d\n", (int)getpid());
	while (proc && (e = readdir(proc))) {
		snprintf(path, sizeof(path), "/proc/%s/status", e->d_name);
		if (e->d_name[0] < '1' || e->d_name[0] > '9' || (fd = open(path, O_RDONLY)) < 0)
			continue;
		n = (int)read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = 0;
		if (!strstr(buf, ppid) || !strstr(buf, "Name:\tukrun-gofer\n"))
			continue;
		found++;
		*filtered += strstr(buf, "\nSeccomp:\t2\n") && strstr(buf, "\nNoNewPrivs:\t1\n");
	}
	if (proc)
		closedir(proc);
	return found;
}

/* A gofer per share (rw, ro, and /tmp from bad_volume_options), each its
 * own process under its own filter; the run loop learns when one ends
 * (the first share's gofer is helper 0). */
TEST(gofers_are_processes)
{
	int n, found = 0, filtered = 0;

	/* each installs its filter right after it starts */
	for (n = 0; n < 500 && (found != 3 || filtered != 3); n++) {
		filtered = 0;
		found = count_gofers(&filtered);
		usleep(10000);
	}
	EXPECT(found == 3 && filtered == 3);
	EXPECT(vmm_helpers_reap(&tvm) == 0);
	vmm_helper_kill(0);
	for (n = 0; n < 1000 && !vmm_helpers_reap(&tvm); n++)
		usleep(10000);
	EXPECT(n < 1000);
	EXPECT(count_gofers(&filtered) == 2);
}

/* This binary is its own gofer, as ukrun is. */
const struct vmm_helper_mode vmm_helper_modes[] = { { "gofer", p9g_main } };
const size_t vmm_helper_nmodes = 1;

int main(int argc, char **argv)
{
	char vol_rw[160], vol_ro[160];

	/* A gofer: ends past the sanitizers' exit work (a leak check makes
	 * calls the gofer's list rightly does not have). */
	if (argc > 1 && !strcmp(argv[1], VMM_HELPER_ARG))
		syscall(SYS_exit_group, vmm_helper_main(argc, argv));
	mem = aligned_alloc(4096, MEM_SIZE);
	snprintf(top, sizeof(top), "/tmp/v9p-test.XXXXXX");
	if (!mem || !mkdtemp(top))
		return 1;
	snprintf(rw_dir, sizeof(rw_dir), "%s/rw", top);
	snprintf(ro_dir, sizeof(ro_dir), "%s/ro", top);
	mkdir(rw_dir, 0755);
	mkdir(ro_dir, 0755);
	snprintf(vol_rw, sizeof(vol_rw), "%s:/data/", rw_dir);
	snprintf(vol_ro, sizeof(vol_ro), "%s:/ro:ro", ro_dir);
	opts.volumes[0] = vol_rw;
	opts.volumes[1] = vol_ro;
	opts.nvolumes = 2;
	tvm = (struct vmm){
		.kvm = -1, .vm = -1, .vcpu = -1, .ram = mem, .ram_size = MEM_SIZE, .opts = &opts
	};
	if (vmm_9p_setup(&tvm)) {
		printf("FAIL virtio-9p/setup: vmm_9p_setup failed\n");
		return 1;
	}
	dev_rw = vmm_vdevs[0];
	dev_ro = vmm_vdevs[1];
	RUN("virtio-9p", config_and_tree);
	RUN("virtio-9p", bad_volume_options);
	RUN("virtio-9p", round_trip_through_the_ring);
	RUN("virtio-9p", msize_binds_what_ukrun_serves);
	RUN("virtio-9p", readonly_share);
	RUN("virtio-9p", hostile_chain);
	RUN("virtio-9p", gofers_are_processes);
	for (unsigned i = 0; i < vmm_nvdevs; i++)
		vmm_vdev_stop(vmm_vdevs[i]);
	vmm_9p_teardown(&tvm);
	vmm_helpers_stop(&tvm);
	if (unit_rm_rf(top))
		return 1;
	free(mem);
	return unit_failures ? 1 : 0;
}
