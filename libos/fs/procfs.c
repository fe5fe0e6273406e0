/*
 * procfs: the few /proc files common programs read. One process, pid 1;
 * /proc/self links to it. Files are generated when opened (a snapshot,
 * like Linux's seq files read in one go).
 *
 * /proc/self/fd/N and /proc/self/cwd are "magic" links: readlink gives a
 * path, but following one (path.c asks uk_procfs_magic) lands on the open
 * file's own vnode, so /dev/stdin works even for files without a name.
 */
#include <asm/statfs.h>
#include <libfdt.h>
#include <uk/abi.h>
#include <uk/arch.h>
#include <uk/libc.h>
#include <uk/mm.h>
#include <uk/plat.h>
#include <uk/print.h>
#include <uk/time.h>
#include <uk/vfs.h>

#include "../vfs/vfs_impl.h"

#define PROC_SUPER_MAGIC 0x9fa0
#define FD_INO 0x10000 /* inode of /proc/1/fd/N: FD_INO + N */
#define GEN_MAX 16384

enum {
	I_ROOT = 1,
	I_SELF,
	I_PID,
	I_MEMINFO,
	I_CPUINFO,
	I_MOUNTS,
	I_UPTIME,
	I_VERSION,
	I_EXE,
	I_FD,
	I_CWD,
	I_PMOUNTS,
	I_STAT,
	I_MAPS,
	I_COUNT
};

struct proc_node {
	uint64_t parent;
	const char *name;
	uint32_t mode;
	const char *link; /* fixed symlink text */
	size_t (*gen)(char *buf, size_t size);
	size_t cap; /* of what gen may write: GEN_MAX when 0 */
};

static size_t gen_meminfo(char *buf, size_t size);
static size_t gen_cpuinfo(char *buf, size_t size);
/* The CPU times, in USER_HZ (100) ticks: time not halted counts as user
 * time, halted as idle (one CPU; the library OS's own time is not told
 * apart). Node's os.cpus(), glibc's CPU count fallback, the JVM's load. */
static size_t gen_stat(char *buf, size_t size)
{
	uint64_t up = uk_monotonic_ns() / 10000000, idle = uk_idle_ns() / 10000000;
	unsigned long busy = (unsigned long)(up > idle ? up - idle : 0), id = (unsigned long)idle;

	return uk_snprintf(buf, size,
	                   "cpu  %lu 0 0 %lu 0 0 0 0 0 0\ncpu0 %lu 0 0 %lu 0 0 0 0 0 0\n"
	                   "intr 0\nctxt 0\nbtime %lu\nprocesses 1\nprocs_running 1\n"
	                   "procs_blocked 0\n",
	                   busy, id, busy, id,
	                   (unsigned long)((uk_realtime_ns() - uk_monotonic_ns()) / 1000000000));
}

static size_t gen_uptime(char *buf, size_t size);
static size_t gen_version(char *buf, size_t size);
static size_t gen_stat(char *buf, size_t size);

size_t (*uk_procfs_maps)(char *buf, size_t size);

static size_t gen_maps(char *buf, size_t size)
{
	return uk_procfs_maps ? uk_procfs_maps(buf, size) : 0;
}

static const struct proc_node pnodes[I_COUNT] = {
	[I_ROOT] = { I_ROOT, "", S_IFDIR | 0555, NULL, NULL },
	[I_SELF] = { I_ROOT, "self", S_IFLNK | 0777, "1", NULL },
	[I_PID] = { I_ROOT, "1", S_IFDIR | 0555, NULL, NULL },
	[I_MEMINFO] = { I_ROOT, "meminfo", S_IFREG | 0444, NULL, gen_meminfo },
	[I_CPUINFO] = { I_ROOT, "cpuinfo", S_IFREG | 0444, NULL, gen_cpuinfo },
	[I_MOUNTS] = { I_ROOT, "mounts", S_IFLNK | 0777, "self/mounts", NULL },
	[I_UPTIME] = { I_ROOT, "uptime", S_IFREG | 0444, NULL, gen_uptime },
	[I_VERSION] = { I_ROOT, "version", S_IFREG | 0444, NULL, gen_version },
	[I_EXE] = { I_PID, "exe", S_IFLNK | 0777, NULL, NULL },
	[I_FD] = { I_PID, "fd", S_IFDIR | 0500, NULL, NULL },
	[I_CWD] = { I_PID, "cwd", S_IFLNK | 0777, NULL, NULL },
	[I_PMOUNTS] = { I_PID, "mounts", S_IFREG | 0444, NULL, uk_vfs_mounts_text },
	[I_STAT] = { I_ROOT, "stat", S_IFREG | 0444, NULL, gen_stat },
	[I_MAPS] = { I_PID, "maps", S_IFREG | 0444, NULL, gen_maps, 1 << 20 },
};

static const struct uk_vnode_ops procfs_vops;

/* ---- generated files ---- */

static size_t gen_meminfo(char *buf, size_t size)
{
	uint64_t total = uk_mm_total() >> 10, avail = uk_mm_free() >> 10;

	return uk_snprintf(buf, size,
	                   "MemTotal:       %8lu kB\nMemFree:        %8lu kB\n"
	                   "MemAvailable:   %8lu kB\nBuffers:               0 kB\n"
	                   "Cached:                0 kB\nSwapTotal:             0 kB\n"
	                   "SwapFree:              0 kB\n",
	                   (unsigned long)total, (unsigned long)avail, (unsigned long)avail);
}

static void cpu_brand(char *out)
{
	uint32_t r[4];

	uk_cpuid(0x80000000, 0, r);
	if (r[0] < 0x80000004) {
		uk_memcpy(out, "unknown", 8);
		return;
	}
	for (uint32_t leaf = 0; leaf < 3; leaf++) {
		uk_cpuid(0x80000002 + leaf, 0, r);
		uk_memcpy(out + 16 * leaf, r, 16);
	}
	out[48] = 0;
}

static size_t gen_cpuinfo(char *buf, size_t size)
{
	static const struct {
		int reg, bit;
		const char *name;
	} flags[] = {
		{ 3, 0, "fpu" },     { 3, 4, "tsc" },     { 3, 15, "cmov" },
		{ 3, 25, "sse" },    { 3, 26, "sse2" },   { 2, 0, "pni" },
		{ 2, 9, "ssse3" },   { 2, 19, "sse4_1" }, { 2, 20, "sse4_2" },
		{ 2, 23, "popcnt" }, { 2, 25, "aes" },    { 2, 26, "xsave" },
		{ 2, 28, "avx" },    { 2, 30, "rdrand" }, { 2, 31, "hypervisor" },
	};
	uint32_t v[4], r[4];
	char vendor[13], brand[49];
	size_t n;

	uk_cpuid(0, 0, v);
	uk_memcpy(vendor, &v[1], 4);
	uk_memcpy(vendor + 4, &v[3], 4);
	uk_memcpy(vendor + 8, &v[2], 4);
	vendor[12] = 0;
	cpu_brand(brand);
	uk_cpuid(1, 0, r);
	n = uk_snprintf(buf, size,
	                "processor\t: 0\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\n"
	                "model name\t: %s\nstepping\t: %u\ncpu MHz\t\t: %lu.%03lu\n"
	                "physical id\t: 0\nsiblings\t: 1\ncore id\t\t: 0\ncpu cores\t: 1\n"
	                "flags\t\t:",
	                vendor, ((r[0] >> 8) & 0xf) + ((r[0] >> 20) & 0xff),
	                ((r[0] >> 4) & 0xf) | ((r[0] >> 12) & 0xf0), brand, r[0] & 0xf,
	                (unsigned long)(uk_tsc_khz / 1000), (unsigned long)(uk_tsc_khz % 1000));
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]) && n < size; i++)
		if ((r[flags[i].reg] >> flags[i].bit) & 1)
			n += uk_snprintf(buf + n, size - n, " %s", flags[i].name);
	if (n < size)
		n += uk_snprintf(buf + n, size - n, "\n\n");
	return n;
}

static size_t gen_uptime(char *buf, size_t size)
{
	uint64_t up = uk_monotonic_ns() / 10000000, idle = uk_idle_ns() / 10000000;

	return uk_snprintf(buf, size, "%lu.%02lu %lu.%02lu\n", (unsigned long)(up / 100),
	                   (unsigned long)(up % 100), (unsigned long)(idle / 100),
	                   (unsigned long)(idle % 100));
}

static size_t gen_version(char *buf, size_t size)
{
	return uk_snprintf(buf, size, "Linux version 6.1.0-uk (uk library OS) #1\n");
}

struct gen_buf {
	size_t len;
	char data[];
};

static long gen_read(struct uk_file *f, void *buf, size_t len, uint64_t *pos)
{
	struct gen_buf *g = f->priv;

	if (*pos >= g->len)
		return 0;
	if (len > g->len - *pos)
		len = g->len - *pos;
	uk_memcpy(buf, g->data + *pos, len);
	*pos += len;
	return (long)len;
}

static long gen_write(struct uk_file *f, const void *buf, size_t len, uint64_t *pos)
{
	return -EACCES;
}

static unsigned gen_poll(struct uk_file *f, struct uk_poll_table *pt)
{
	return EPOLLIN | EPOLLRDNORM;
}

static void gen_release(struct uk_file *f) { uk_kfree(f->priv); }

static const struct uk_file_ops gen_ops = {
	.read = gen_read,
	.write = gen_write,
	.poll = gen_poll,
	.release = gen_release,
};

static long dir_rw(struct uk_file *f, void *buf, size_t len, uint64_t *pos) { return -EISDIR; }

static const struct uk_file_ops dir_ops = {
	.read = dir_rw,
	.write = (long (*)(struct uk_file *, const void *, size_t, uint64_t *))dir_rw,
	.poll = gen_poll,
};

/* ---- links ---- */

static int is_fd_link(const struct uk_vnode *vn) { return vn->ino >= FD_INO; }

/* The program's path, for /proc/self/exe: the loaded binary's, else (a
 * linked program has no file of its own) the manifest's argv[0] made
 * absolute. */
static size_t exe_path(char *buf, size_t size)
{
	int pos = 0, len;
	const char *name = uk_mf_next(&uk_plat.mf.entrypoint, &pos, &len);

	if (uk_proc_cur->exe[0]) /* the running process's loaded program */
		return uk_snprintf(buf, size, "%s", uk_proc_cur->exe);
	if (!name || !name[0])
		name = "app";
	return uk_snprintf(buf, size, "%s%s", name[0] == '/' ? "" : "/", name);
}

static long fd_link_text(int fd, char *buf, size_t size)
{
	struct uk_file *f = uk_fd_get(fd);
	long r = 0;

	if (!f)
		return -ENOENT;
	if (!f->vn || uk_vfs_path_of(f->vn, buf, size))
		r = uk_snprintf(buf, size, "anon_inode:[%s]", f->vn ? "deleted" : "file");
	else
		r = (long)uk_strlen(buf);
	uk_file_put(f);
	return r;
}

static long procfs_readlink(struct uk_vnode *vn, char *buf, size_t len)
{
	char *tmp = uk_kmalloc(UK_PATH_MAX);
	long n;

	if (!tmp)
		return -ENOMEM;
	if (is_fd_link(vn))
		n = fd_link_text((int)(vn->ino - FD_INO), tmp, UK_PATH_MAX);
	else if (vn->ino == I_EXE)
		n = (long)exe_path(tmp, UK_PATH_MAX);
	else if (vn->ino == I_CWD)
		n = uk_vfs_path_of(uk_vfs_cwd, tmp, UK_PATH_MAX) ?: (long)uk_strlen(tmp);
	else if (pnodes[vn->ino].link)
		n = (long)uk_strlen(
		    uk_memcpy(tmp, pnodes[vn->ino].link, uk_strlen(pnodes[vn->ino].link) + 1));
	else
		n = -EINVAL;
	if (n > 0) {
		if ((size_t)n > len)
			n = (long)len;
		uk_memcpy(buf, tmp, n);
	}
	uk_kfree(tmp);
	return n;
}

int uk_procfs_magic(struct uk_vnode *vn, struct uk_vnode **target)
{
	struct uk_file *f;

	if (vn->ops != &procfs_vops)
		return 0;
	if (vn->ino == I_CWD) {
		*target = uk_vnode_get(uk_vfs_cwd);
		return 1;
	}
	if (!is_fd_link(vn))
		return 0;
	if (!(f = uk_fd_get((int)(vn->ino - FD_INO))))
		return -ENOENT;
	*target = f->vn ? uk_vnode_get(f->vn) : NULL;
	uk_file_put(f);
	return *target ? 1 : -ENXIO;
}

/* ---- vnode operations ---- */

static struct uk_vnode *pvnode(struct uk_mount *mnt, uint64_t ino)
{
	uint32_t mode = ino >= FD_INO ? S_IFLNK | 0700 : pnodes[ino].mode;
	return uk_vnode_new(mnt, &procfs_vops, ino, mode, NULL);
}

static int parse_fd(const char *s)
{
	long v = 0;

	if (!*s || (s[0] == '0' && s[1]))
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 1000000)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return (int)v;
}

static int procfs_lookup(struct uk_vnode *dir, const char *name, struct uk_vnode **out)
{
	uint64_t ino = 0;

	if (dir->ino == I_FD) {
		int fd = parse_fd(name);
		struct uk_file *f = fd >= 0 ? uk_fd_get(fd) : NULL;
		if (!f)
			return -ENOENT;
		uk_file_put(f);
		ino = FD_INO + fd;
	} else {
		for (uint64_t i = I_ROOT + 1; i < I_COUNT && !ino; i++)
			if (pnodes[i].parent == dir->ino && !uk_strcmp(pnodes[i].name, name))
				ino = i;
		if (!ino)
			return -ENOENT;
	}
	return (*out = pvnode(dir->mnt, ino)) ? 0 : -ENOMEM;
}

static int readdir_fds(uint64_t *cookie, uk_dirent_fn emit, void *ctx)
{
	char name[16];

	if (*cookie - 2 >= (uint64_t)uk_fd_max())
		return 0; /* past the last descriptor (or a cookie from lseek) */
	for (int fd = (int)(*cookie - 2); fd < uk_fd_max(); fd++, *cookie = fd + 2) {
		struct uk_file *f = uk_fd_get(fd);
		if (!f)
			continue;
		uk_file_put(f);
		uk_snprintf(name, sizeof(name), "%d", fd);
		if (emit(ctx, name, FD_INO + fd, DT_LNK))
			return 0;
	}
	*cookie = 2 + (uint64_t)uk_fd_max();
	return 0;
}

static int procfs_readdir(struct uk_vnode *dir, uint64_t *cookie, uk_dirent_fn emit, void *ctx)
{
	if (*cookie == 0) {
		if (emit(ctx, ".", dir->ino, DT_DIR))
			return 0;
		*cookie = 1;
	}
	if (*cookie == 1) {
		if (emit(ctx, "..", dir->ino == I_ROOT ? I_ROOT : pnodes[dir->ino].parent, DT_DIR))
			return 0;
		*cookie = 2;
	}
	if (dir->ino == I_FD)
		return readdir_fds(cookie, emit, ctx);
	for (; *cookie < I_COUNT; ++*cookie) {
		const struct proc_node *p = &pnodes[*cookie];
		if (*cookie <= I_ROOT || p->parent != dir->ino)
			continue;
		if (emit(ctx, p->name, *cookie, (p->mode & S_IFMT) >> 12))
			return 0;
	}
	return 0;
}

static int procfs_getattr(struct uk_vnode *vn, struct stat *st)
{
	struct __kernel_timespec boot = uk_vfs_now();

	boot.tv_sec -= (long long)(uk_monotonic_ns() / 1000000000);
	uk_memset(st, 0, sizeof(*st));
	st->st_dev = 4;
	st->st_ino = vn->ino;
	st->st_mode = vn->mode;
	st->st_nlink = uk_vfs_is_dir(vn) ? 2 : 1;
	st->st_blksize = 1024;
	st->st_atime = st->st_mtime = st->st_ctime = boot.tv_sec;
	return 0;
}

static int procfs_open(struct uk_vnode *vn, struct uk_file *f)
{
	struct gen_buf *g;
	size_t cap;

	if (uk_vfs_is_dir(vn)) {
		f->ops = &dir_ops;
		return 0;
	}
	if (vn->ino >= I_COUNT || !pnodes[vn->ino].gen)
		return -ELOOP;
	if ((f->flags & O_ACCMODE) != O_RDONLY)
		return -EACCES;
	cap = pnodes[vn->ino].cap ? pnodes[vn->ino].cap : GEN_MAX;
	if (!(g = uk_kmalloc(sizeof(*g) + cap)))
		return -ENOMEM;
	g->len = pnodes[vn->ino].gen(g->data, cap);
	f->ops = &gen_ops;
	f->priv = g;
	return 0;
}

static int procfs_statfs(struct uk_vnode *vn, struct statfs *sf)
{
	uk_memset(sf, 0, sizeof(*sf));
	sf->f_type = PROC_SUPER_MAGIC;
	sf->f_bsize = 4096;
	sf->f_namelen = UK_NAME_MAX;
	return 0;
}

static const struct uk_vnode_ops procfs_vops = {
	.lookup = procfs_lookup,
	.readlink = procfs_readlink,
	.getattr = procfs_getattr,
	.open = procfs_open,
	.readdir = procfs_readdir,
	.statfs = procfs_statfs,
};

static int procfs_mount(struct uk_mount *mnt, const char *source, const void *data,
                        struct uk_vnode **root)
{
	return (*root = pvnode(mnt, I_ROOT)) ? 0 : -ENOMEM;
}

const struct uk_fs_type uk_procfs_type = {
	.name = "proc",
	.mount = procfs_mount,
};
