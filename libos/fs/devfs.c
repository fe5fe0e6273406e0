/*
 * devfs: the fixed set of devices programs expect in /dev. Nodes are a
 * static table; their vnodes are made at mount and live as long as the VM.
 * stdin/stdout/stderr and fd are symlinks into /proc/self/fd, as udev
 * makes them. /dev/shm is a directory for boot to mount a tmpfs on
 * (POSIX shared memory: glibc's shm_open and sem_open make files there),
 * /dev/pts one for devpts (fs/devpts.c, which /dev/ptmx opens too).
 */
#include <asm/statfs.h>
#include <uk/libc.h>
#include <uk/mm.h>
#include <uk/print.h>
#include <uk/proc.h>
#include <uk/syscall.h>
#include <uk/tty.h>
#include <uk/vfs.h>

#include "../vfs/vfs_impl.h"

#define DEVFS_MAGIC 0x1373
#define MKDEV(ma, mi) (((ma) << 8) | (mi))

enum dev_kind { D_DIR, D_NULL, D_ZERO, D_FULL, D_RANDOM, D_CONSOLE, D_TTY, D_PTMX, D_LINK };

struct dev_node {
	const char *name;
	uint32_t mode;
	uint32_t rdev;
	enum dev_kind kind;
	const char *target; /* D_LINK */
};

static const struct dev_node nodes[] = {
	{ "", S_IFDIR | 0755, 0, D_DIR, NULL },
	{ "null", S_IFCHR | 0666, MKDEV(1, 3), D_NULL, NULL },
	{ "zero", S_IFCHR | 0666, MKDEV(1, 5), D_ZERO, NULL },
	{ "full", S_IFCHR | 0666, MKDEV(1, 7), D_FULL, NULL },
	{ "random", S_IFCHR | 0666, MKDEV(1, 8), D_RANDOM, NULL },
	{ "urandom", S_IFCHR | 0666, MKDEV(1, 9), D_RANDOM, NULL },
	{ "tty", S_IFCHR | 0666, MKDEV(5, 0), D_TTY, NULL },
	{ "console", S_IFCHR | 0600, MKDEV(5, 1), D_CONSOLE, NULL },
	{ "ptmx", S_IFCHR | 0666, MKDEV(5, 2), D_PTMX, NULL },
	{ "stdin", S_IFLNK | 0777, 0, D_LINK, "/proc/self/fd/0" },
	{ "stdout", S_IFLNK | 0777, 0, D_LINK, "/proc/self/fd/1" },
	{ "stderr", S_IFLNK | 0777, 0, D_LINK, "/proc/self/fd/2" },
	{ "fd", S_IFLNK | 0777, 0, D_LINK, "/proc/self/fd" },
	{ "shm", S_IFDIR | 01777, 0, D_DIR, NULL }, /* where boot mounts a tmpfs */
	{ "pts", S_IFDIR | 0755, 0, D_DIR, NULL },  /* ... and devpts */
};
#define NNODES (sizeof(nodes) / sizeof(nodes[0]))

struct devfs_sb {
	struct uk_vnode *vn[NNODES];
	struct __kernel_timespec born;
};

static const struct uk_vnode_ops devfs_vops;

static const struct dev_node *dnode(struct uk_vnode *vn) { return &nodes[vn->ino - 1]; }

/* ---- the devices ---- */

static long null_read(struct uk_file *f, void *buf, size_t len, uint64_t *pos) { return 0; }

static long any_write(struct uk_file *f, const void *buf, size_t len, uint64_t *pos)
{
	return (long)len;
}

static long zero_read(struct uk_file *f, void *buf, size_t len, uint64_t *pos)
{
	uk_memset(buf, 0, len);
	return (long)len;
}

static long full_write(struct uk_file *f, const void *buf, size_t len, uint64_t *pos)
{
	return -ENOSPC;
}

static long random_read(struct uk_file *f, void *buf, size_t len, uint64_t *pos)
{
	long r = uk_random_fill(buf, len);
	return r == -ENOSYS ? -EIO : r; /* no RDRAND: no randomness to give */
}

static unsigned dev_poll(struct uk_file *f, struct uk_poll_table *pt)
{
	return EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM;
}

static long dev_llseek(struct uk_file *f, int64_t off, int whence)
{
	return 0; /* Linux: seeking these devices always lands at 0 */
}

/* The devices differ only in how they are read and written. (Kept from
 * clang-format, which spreads a braced macro body over five lines.) */
/* clang-format off */
#define CHAR_DEV(rd, wr) { .read = rd, .write = wr, .poll = dev_poll, .llseek = dev_llseek }
/* clang-format on */
static const struct uk_file_ops null_ops = CHAR_DEV(null_read, any_write);
static const struct uk_file_ops zero_ops = CHAR_DEV(zero_read, any_write);
static const struct uk_file_ops full_ops = CHAR_DEV(zero_read, full_write);
static const struct uk_file_ops random_ops = CHAR_DEV(random_read, any_write);

static int devfs_open(struct uk_vnode *vn, struct uk_file *f)
{
	int r;

	switch (dnode(vn)->kind) {
	case D_DIR: f->ops = &uk_dir_fops; return 0;
	case D_NULL: f->ops = &null_ops; return 0;
	case D_ZERO: f->ops = &zero_ops; return 0;
	case D_FULL: f->ops = &full_ops; return 0;
	case D_RANDOM: f->ops = &random_ops; return 0;
	case D_PTMX:
		if (uk_ptys)
			return uk_ptys->open_ptmx(f);
		uk_trace_note("/dev/ptmx: this image has no pseudo-terminals (a C program "
		              "gets them by calling posix_openpt or openpty)");
		return -ENODEV;
	case D_TTY: /* the caller's terminal: a pseudo-terminal's, else the console */
		if (uk_ptys && (r = uk_ptys->open_ctty(f)))
			return r < 0 ? r : 0;
		if (uk_proc_cur->tty_none) /* (setsid, TIOCNOTTY: no terminal at all) */
			return -ENXIO;
		/* fall through */
	case D_CONSOLE:
		f->ops = &uk_console_ops;
		f->priv = (void *)(uintptr_t)1; /* the host's stdout */
		return 0;
	case D_LINK: break;
	}
	return -ELOOP;
}

/* ---- the directory ---- */

static int devfs_lookup(struct uk_vnode *dir, const char *name, struct uk_vnode **out)
{
	struct devfs_sb *sb = dir->mnt->priv;

	if (dir->ino != 1)
		return -ENOENT; /* (/dev/shm when nothing is mounted there) */
	for (size_t i = 1; i < NNODES; i++) {
		if (!uk_strcmp(nodes[i].name, name)) {
			*out = uk_vnode_get(sb->vn[i]);
			return 0;
		}
	}
	return -ENOENT;
}

static int devfs_readdir(struct uk_vnode *dir, uint64_t *cookie, uk_dirent_fn emit, void *ctx)
{
	struct uk_vnode *up = dir->parent ? dir->parent : dir;

	for (; *cookie < (dir->ino == 1 ? NNODES + 1 : 2); ++*cookie) {
		uint64_t c = *cookie;
		const char *name = c == 0 ? "." : c == 1 ? ".." : nodes[c - 1].name;
		uint64_t ino = c == 0 ? dir->ino : c == 1 ? up->ino : c;
		unsigned type = c < 2 ? DT_DIR : (nodes[c - 1].mode & S_IFMT) >> 12;
		if (emit(ctx, name, ino, type))
			break;
	}
	return 0;
}

static long devfs_readlink(struct uk_vnode *vn, char *buf, size_t len)
{
	const char *t = dnode(vn)->target;
	size_t n;

	if (!t)
		return -EINVAL;
	n = uk_strlen(t);
	if (n > len)
		n = len;
	uk_memcpy(buf, t, n);
	return (long)n;
}

static int devfs_getattr(struct uk_vnode *vn, struct stat *st)
{
	struct devfs_sb *sb = vn->mnt->priv;
	const struct dev_node *d = dnode(vn);

	uk_memset(st, 0, sizeof(*st));
	st->st_dev = 5;
	st->st_ino = vn->ino;
	st->st_mode = vn->mode;
	st->st_nlink = d->kind == D_DIR ? 2 : 1;
	st->st_rdev = d->rdev;
	st->st_size = d->target ? uk_strlen(d->target) : 0;
	st->st_blksize = 4096;
	st->st_atime = st->st_mtime = st->st_ctime = sb->born.tv_sec;
	return 0;
}

/* Permissions may change (root may chmod /dev/null); nothing else. */
static int devfs_setattr(struct uk_vnode *vn, const struct uk_setattr *a)
{
	if (a->mask & ~(UK_SA_MODE | UK_SA_ATIME | UK_SA_MTIME))
		return -EPERM;
	if (a->mask & UK_SA_MODE)
		vn->mode = (vn->mode & S_IFMT) | (a->mode & 07777);
	return 0;
}

static int devfs_statfs(struct uk_vnode *vn, struct statfs *sf)
{
	uk_memset(sf, 0, sizeof(*sf));
	sf->f_type = DEVFS_MAGIC;
	sf->f_bsize = 4096;
	sf->f_namelen = UK_NAME_MAX;
	return 0;
}

static const struct uk_vnode_ops devfs_vops = {
	.lookup = devfs_lookup,
	.readlink = devfs_readlink,
	.getattr = devfs_getattr,
	.setattr = devfs_setattr,
	.open = devfs_open,
	.readdir = devfs_readdir,
	.statfs = devfs_statfs,
};

static int devfs_mount(struct uk_mount *mnt, const char *source, const void *data,
                       struct uk_vnode **root)
{
	struct devfs_sb *sb = uk_kzalloc(sizeof(*sb));

	if (!sb)
		return -ENOMEM;
	mnt->priv = sb;
	sb->born = uk_vfs_now();
	for (size_t i = 0; i < NNODES; i++) {
		sb->vn[i] = uk_vnode_new(mnt, &devfs_vops, i + 1, nodes[i].mode, NULL);
		if (!sb->vn[i]) {
			while (i--)
				uk_vnode_put(sb->vn[i]);
			uk_kfree(sb);
			return -ENOMEM;
		}
	}
	*root = uk_vnode_get(sb->vn[0]);
	return 0;
}

const struct uk_fs_type uk_devfs_type = {
	.name = "devtmpfs",
	.mount = devfs_mount,
};
