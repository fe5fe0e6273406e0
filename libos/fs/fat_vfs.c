/*
 * FAT volumes in the VFS: the filesystem type "vfat" over virtio-blk
 * disks, the vnode and file operations over the FAT core (fat.h), the
 * mounts made at boot, and the flush at exit.
 *
 * Sources: "vblkN" or "/dev/vdX" (the N-th / X-th virtio-blk disk). At
 * boot every disk is mounted where it asks to be (uk_vblk_mount: ukrun's
 * uk,mount, or a device ID "/path" under QEMU), else at /disk<N>.
 *
 * Locking: the core is not reentrant and a disk request sleeps, letting
 * other threads run, so every operation holds its volume's lock. Nothing
 * here drops a vnode reference while holding it (a vnode's release takes
 * the lock too).
 *
 * FAT keeps no owners or permissions: everything belongs to root, files
 * are 0644 and directories 0755, and FAT's read-only attribute clears the
 * write bits (chmod a-w sets it, as Linux's vfat does). Links, symlinks and
 * device nodes do not exist on FAT: -EPERM.
 */
#include <asm/statfs.h>
#include <uk/cpu.h>
#include <uk/libc.h>
#include <uk/mm.h>
#include <uk/plat.h>
#include <uk/print.h>
#include <uk/syscall.h>
#include <uk/time.h>
#include <uk/vfs.h>

#include "../virtio/virtio_blk.h"
#include "../vfs/vfs_impl.h"
#include "fat.h"

#define MSDOS_SUPER_MAGIC 0x4d44
#define FAT_VOL_MAX 16

struct fat_vol {
	struct fat_fs *fs;
	struct fat_bdev bdev;
	struct uk_vblk *disk;
	unsigned index; /* the disk's */
	int busy;
	struct uk_wq wq;
	int refs; /* live vnodes + the mount */
	int mounted;
};

static struct fat_vol *vols[FAT_VOL_MAX];
static const struct uk_vnode_ops fat_vops;
static const struct uk_file_ops fat_fops;

/* ---- the block device under the core ---- */

static int vol_read(struct fat_bdev *d, uint64_t sector, void *buf, uint32_t count)
{
	return uk_vblk_read(((struct fat_vol *)d->priv)->disk, sector, buf, count);
}

static int vol_write(struct fat_bdev *d, uint64_t sector, const void *buf, uint32_t count)
{
	return uk_vblk_write(((struct fat_vol *)d->priv)->disk, sector, buf, count);
}

static int vol_flush(struct fat_bdev *d)
{
	return uk_vblk_flush(((struct fat_vol *)d->priv)->disk);
}

static int64_t vol_now(void) { return (int64_t)uk_realtime_ns(); }

static void vol_lock(struct fat_vol *v)
{
	int on = uk_irq_save();

	while (v->busy && on)
		uk_wq_wait(&v->wq, 0);
	v->busy = 1;
	uk_irq_restore(on);
}

static void vol_unlock(struct fat_vol *v)
{
	v->busy = 0;
	uk_wq_wake(&v->wq, 1);
}

static void vol_put(struct fat_vol *v)
{
	if (--v->refs)
		return;
	fat_unmount(v->fs);
	vols[v->index] = NULL;
	uk_kfree(v);
}

/* ---- vnodes ---- */

static struct fat_vol *vol_of(struct uk_vnode *vn) { return vn->mnt->priv; }
static struct fat_node *fnode(struct uk_vnode *vn) { return vn->priv; }

static uint32_t fat_mode(const struct fat_node *n)
{
	uint32_t m = n->attr & FAT_ATTR_DIR ? S_IFDIR | 0755 : S_IFREG | 0644;

	return n->attr & FAT_ATTR_RO ? m & ~0222u : m;
}

/* The vnode of a node the core handed us with one reference (taken
 * over): the one it already has, or a new one. NULL when out of memory. */
static struct uk_vnode *vnode_of(struct uk_mount *mnt, struct fat_node *n)
{
	struct fat_vol *v = mnt->priv;
	struct uk_vnode *vn;

	/* A vnode whose last reference is gone may still be waiting in its
	 * release for our lock: it is not handed out again. */
	if (n->priv && ((struct uk_vnode *)n->priv)->refs > 0) {
		fat_node_put(n); /* the vnode holds one already */
		return uk_vnode_get(n->priv);
	}
	if (!(vn = uk_vnode_new(mnt, &fat_vops, n->ino, fat_mode(n), n))) {
		fat_node_put(n);
		return NULL;
	}
	n->priv = vn;
	v->refs++;
	return vn;
}

static int fat_vlookup(struct uk_vnode *dir, const char *name, struct uk_vnode **out)
{
	struct fat_vol *v = vol_of(dir);
	struct fat_node *n;
	int r;

	vol_lock(v);
	if (!(r = fat_lookup(fnode(dir), name, &n)))
		r = (*out = vnode_of(dir->mnt, n)) ? 0 : -ENOMEM;
	vol_unlock(v);
	return r;
}

static int fat_vcreate(struct uk_vnode *dir, const char *name, uint32_t mode, struct uk_vnode **out)
{
	struct fat_vol *v = vol_of(dir);
	struct fat_node *n;
	int r;

	if ((mode & S_IFMT) && (mode & S_IFMT) != S_IFREG)
		return -EPERM; /* no FIFOs or device nodes on FAT */
	vol_lock(v);
	if (!(r = fat_create(fnode(dir), name, 0, &n))) {
		if (!(mode & 0222))
			fat_set_ro(n, 1);
		r = (*out = vnode_of(dir->mnt, n)) ? 0 : -ENOMEM;
	}
	vol_unlock(v);
	return r;
}

/* op on a name in dir, under the volume's lock. */
static int on_name(struct uk_vnode *dir, const char *name,
                   int (*op)(struct fat_node *dir, const char *name))
{
	struct fat_vol *v = vol_of(dir);
	int r;

	vol_lock(v);
	r = op(fnode(dir), name);
	vol_unlock(v);
	return r;
}

static int fat_mkdir(struct fat_node *dir, const char *name)
{
	return fat_create(dir, name, 1, NULL);
}

static int fat_vmkdir(struct uk_vnode *dir, const char *name, uint32_t mode)
{
	return on_name(dir, name, fat_mkdir);
}

static int fat_vunlink(struct uk_vnode *dir, const char *name)
{
	return on_name(dir, name, fat_unlink);
}

static int fat_vrmdir(struct uk_vnode *dir, const char *name)
{
	return on_name(dir, name, fat_rmdir);
}

static int fat_vrename(struct uk_vnode *odir, const char *oname, struct uk_vnode *ndir,
                       const char *nname, unsigned flags)
{
	struct fat_vol *v = vol_of(odir);
	int r;

	if (flags & ~RENAME_NOREPLACE)
		return -EINVAL; /* RENAME_EXCHANGE, WHITEOUT: not on FAT */
	if (ndir->mnt != odir->mnt)
		return -EXDEV;
	vol_lock(v);
	r = fat_rename(fnode(odir), oname, fnode(ndir), nname, !!(flags & RENAME_NOREPLACE));
	vol_unlock(v);
	return r;
}

static int fat_vlink(struct uk_vnode *vn, struct uk_vnode *dir, const char *name) { return -EPERM; }

static int fat_vsymlink(struct uk_vnode *dir, const char *name, const char *target)
{
	return -EPERM;
}

static long fat_vreadlink(struct uk_vnode *vn, char *buf, size_t len) { return -EINVAL; }

static int fat_vgetattr(struct uk_vnode *vn, struct stat *st)
{
	struct fat_vol *v = vol_of(vn);
	struct fat_stat fs;

	vol_lock(v);
	fat_stat(fnode(vn), &fs);
	vol_unlock(v);
	uk_memset(st, 0, sizeof(*st));
	st->st_dev = (254 << 8) | (16 * v->index); /* vda, vdb ... as Linux numbers them */
	st->st_ino = vn->ino;
	st->st_mode = fat_mode(fnode(vn));
	st->st_nlink = fs.dir ? 2 : 1;
	st->st_size = fs.size;
	st->st_blksize = 4096;
	st->st_blocks = fs.blocks;
	st->st_atime = fs.atime_ns / 1000000000, st->st_atime_nsec = fs.atime_ns % 1000000000;
	st->st_mtime = fs.mtime_ns / 1000000000, st->st_mtime_nsec = fs.mtime_ns % 1000000000;
	st->st_ctime = fs.ctime_ns / 1000000000, st->st_ctime_nsec = fs.ctime_ns % 1000000000;
	return 0;
}

static int64_t ts_ns(const struct __kernel_timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static int fat_vsetattr(struct uk_vnode *vn, const struct uk_setattr *a)
{
	struct fat_vol *v = vol_of(vn);
	struct fat_node *n = fnode(vn);
	int r = 0;

	if (((a->mask & UK_SA_UID) && a->uid) || ((a->mask & UK_SA_GID) && a->gid))
		return -EPERM; /* FAT has no owners: everything is root's */
	vol_lock(v);
	if (a->mask & UK_SA_SIZE)
		r = n->attr & FAT_ATTR_DIR ? -EISDIR : fat_truncate(n, a->size);
	if (!r && (a->mask & UK_SA_MODE))
		r = fat_set_ro(n, !(a->mode & 0222));
	if (!r && (a->mask & (UK_SA_ATIME | UK_SA_MTIME)))
		r = fat_set_times(n, a->mask & UK_SA_ATIME ? ts_ns(&a->atime) : -1,
		                  a->mask & UK_SA_MTIME ? ts_ns(&a->mtime) : -1);
	vol_unlock(v);
	if (!r)
		vn->mode = fat_mode(n);
	return r;
}

static int fat_vopen(struct uk_vnode *vn, struct uk_file *f)
{
	f->ops = (vn->mode & S_IFMT) == S_IFDIR ? &uk_dir_fops : &fat_fops;
	return 0;
}

struct emit_ctx {
	uk_dirent_fn emit;
	void *ctx;
	uint64_t parent_ino;
};

static int fat_emit(void *c, const char *name, uint64_t ino, int is_dir)
{
	struct emit_ctx *e = c;

	if (!ino) /* "..": the core does not know the parent's number */
		ino = e->parent_ino;
	return e->emit(e->ctx, name, ino, is_dir ? DT_DIR : 8 /* DT_REG */);
}

static int fat_vreaddir(struct uk_vnode *dir, uint64_t *cookie, uk_dirent_fn emit, void *ctx)
{
	struct fat_vol *v = vol_of(dir);
	struct emit_ctx e = { emit, ctx, dir->parent ? dir->parent->ino : dir->ino };
	int r;

	vol_lock(v);
	r = fat_readdir(fnode(dir), cookie, fat_emit, &e);
	vol_unlock(v);
	return r;
}

static int fat_vstatfs(struct uk_vnode *vn, struct statfs *sf)
{
	struct fat_vol *v = vol_of(vn);
	struct fat_statfs s;

	vol_lock(v);
	fat_statfs(v->fs, &s);
	vol_unlock(v);
	uk_memset(sf, 0, sizeof(*sf));
	sf->f_type = MSDOS_SUPER_MAGIC;
	sf->f_bsize = s.cluster_size;
	sf->f_frsize = s.cluster_size;
	sf->f_blocks = s.clusters;
	sf->f_bfree = sf->f_bavail = s.free_clusters;
	sf->f_namelen = 255;
	return 0;
}

/* The whole volume: FAT has one allocation table for every file. */
static int fat_vfsync(struct uk_vnode *vn, int datasync)
{
	struct fat_vol *v = vol_of(vn);
	int r;

	vol_lock(v);
	r = fat_sync(v->fs);
	vol_unlock(v);
	return r;
}

static void fat_vrelease(struct uk_vnode *vn)
{
	struct fat_vol *v = vol_of(vn);
	struct fat_node *n = fnode(vn);

	vol_lock(v);
	if (n->priv == vn)
		n->priv = NULL;
	fat_node_put(n);
	vol_unlock(v);
	vol_put(v);
}

static const struct uk_vnode_ops fat_vops = {
	.lookup = fat_vlookup,
	.create = fat_vcreate,
	.mkdir = fat_vmkdir,
	.unlink = fat_vunlink,
	.rmdir = fat_vrmdir,
	.rename = fat_vrename,
	.link = fat_vlink,
	.symlink = fat_vsymlink,
	.readlink = fat_vreadlink,
	.getattr = fat_vgetattr,
	.setattr = fat_vsetattr,
	.open = fat_vopen,
	.readdir = fat_vreaddir,
	.statfs = fat_vstatfs,
	.fsync = fat_vfsync,
	.release = fat_vrelease,
};

/* ---- open files ---- */

static long fat_fread(struct uk_file *f, void *buf, size_t len, uint64_t *pos)
{
	struct fat_vol *v = vol_of(f->vn);
	long r;

	vol_lock(v);
	r = fat_read(fnode(f->vn), buf, len, *pos);
	vol_unlock(v);
	if (r > 0)
		*pos += r;
	return r;
}

static long fat_fwrite(struct uk_file *f, const void *buf, size_t len, uint64_t *pos)
{
	struct fat_vol *v = vol_of(f->vn);
	struct fat_node *n = fnode(f->vn);
	uint64_t off;
	long r;

	vol_lock(v);
	off = f->flags & O_APPEND ? n->size : *pos;
	r = fat_write(n, buf, len, off);
	if (r > 0 && (f->flags & O_DSYNC)) { /* O_SYNC and O_DSYNC: durable on return */
		int e = fat_sync(v->fs);
		r = e ? e : r;
	}
	vol_unlock(v);
	if (r > 0)
		*pos = off + r;
	return r;
}

static int fat_ftruncate(struct uk_file *f, uint64_t size)
{
	struct fat_vol *v = vol_of(f->vn);
	int r;

	vol_lock(v);
	r = fat_truncate(fnode(f->vn), size);
	vol_unlock(v);
	return r;
}

static const struct uk_file_ops fat_fops = {
	.read = fat_fread,
	.write = fat_fwrite,
	.truncate = fat_ftruncate,
};

/* ---- mounting ---- */

/* "vblk3" -> 3, "/dev/vdd" -> 3; -1 otherwise. */
static int source_index(const char *s)
{
	if (!uk_strncmp(s, "vblk", 4) && s[4] >= '0' && s[4] <= '9' && !s[5])
		return s[4] - '0';
	if (!uk_strncmp(s, "vblk", 4) && s[4] == '1' && s[5] >= '0' && s[5] <= '5' && !s[6])
		return 10 + s[5] - '0';
	if (!uk_strncmp(s, "/dev/vd", 7) && s[7] >= 'a' && s[7] < 'a' + FAT_VOL_MAX && !s[8])
		return s[7] - 'a';
	return -1;
}

static void fat_sync_all(void);

static int fat_mount_fs(struct uk_mount *mnt, const char *source, const void *data,
                        struct uk_vnode **root)
{
	/* The cache may grow to 1/32 of memory for one operation's metadata. */
	uint64_t grow = uk_mm_total() / 32 / 4096;
	struct fat_opts o = { .now_ns = vol_now,
		              .cache_blocks = 128,
		              .cache_max = grow < 256    ? 256
		                           : grow > 4096 ? 4096
		                                         : (unsigned)grow };
	int i = source ? source_index(source) : -1;
	struct fat_node *rn;
	struct fat_vol *v;
	int r;

	uk_vblk_probe();
	if (i < 0 || !uk_vblk_get(i))
		return -ENODEV;
	if (vols[i])
		return -EBUSY;
	if (!(v = uk_kzalloc(sizeof(*v))))
		return -ENOMEM;
	v->disk = uk_vblk_get(i), v->index = i, v->refs = 1;
	if (uk_vblk_ro(v->disk))
		mnt->flags |= MS_RDONLY; /* a read-only disk is mounted read-only */
	o.ro = !!(mnt->flags & MS_RDONLY);
	v->bdev =
	    (struct fat_bdev){ 512, uk_vblk_sectors(v->disk), vol_read, vol_write, vol_flush, v };
	vols[i] = v;
	mnt->priv = v;
	vol_lock(v);
	r = fat_mount(&v->bdev, &o, &v->fs, &rn);
	vol_unlock(v);
	if (r || !(*root = vnode_of(mnt, rn))) {
		if (!r)
			fat_unmount(v->fs);
		vols[i] = NULL;
		uk_kfree(v);
		return r ? r : -ENOMEM;
	}
	v->mounted = 1;
	uk_plat_on_exit(fat_sync_all); /* write-back caches flushed on an orderly exit */
	return 0;
}

static void fat_umount_fs(struct uk_mount *mnt)
{
	struct fat_vol *v = mnt->priv;

	vol_lock(v);
	fat_sync(v->fs);
	v->mounted = 0;
	vol_unlock(v);
	vol_put(v); /* the rest goes with the last vnode */
}

const struct uk_fs_type uk_fat_type = {
	.name = "vfat",
	.mount = fat_mount_fs,
	.unmount = fat_umount_fs,
};

void uk_fat_mount_disks(void)
{
	char src[16], def[16];
	int n = uk_vblk_probe(), r;

	for (int i = 0; i < n && i < FAT_VOL_MAX; i++) {
		struct uk_vblk *b = uk_vblk_get(i);
		const char *at = uk_vblk_mount(b);
		uk_snprintf(src, sizeof(src), "vblk%d", i);
		uk_snprintf(def, sizeof(def), "/disk%d", i);
		at = at ? at : def;
		uk_vfs_mkdir_p(at, 0755); /* a mount point the image's tree may not have */
		r = uk_mount(src, at, "vfat", uk_vblk_ro(b) ? MS_RDONLY : 0, NULL);
		if (r)
			uk_pr("virtio-blk %d: cannot mount it at %s: %s (error %d)\n", i, at,
			      r == -EINVAL ? "no FAT volume on it (make one: ukbuild disk create)"
			                   : "mount failed",
			      -r);
	}
}

static void fat_sync_all(void)
{
	for (int i = 0; i < FAT_VOL_MAX; i++) {
		struct fat_vol *v = vols[i];
		if (!v || !v->mounted)
			continue;
		if (v->busy) { /* a thread stopped mid-operation: its state is half made */
			uk_pr("vfat on vblk%d: busy at exit, not flushed\n", i);
			continue;
		}
		vol_lock(v);
		fat_sync(v->fs);
		vol_unlock(v);
	}
}
