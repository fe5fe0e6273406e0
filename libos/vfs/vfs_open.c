/*
 * Opening a vnode as a file, and the defaults the VFS supplies where a
 * filesystem leaves an operation out.
 */
#include <uk/libc.h>
#include <uk/mm.h>
#include <uk/vfs.h>

#include "vfs_impl.h"

/* Flags that only matter while opening; the rest stay in f->flags for
 * F_GETFL. */
#define OPEN_ONLY (O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_DIRECTORY)

static long path_only(struct uk_file *f, void *buf, size_t len, uint64_t *pos) { return -EBADF; }

/* O_PATH files: a place in the tree, no I/O. */
static const struct uk_file_ops path_fops = {
	.read = path_only,
	.write = (long (*)(struct uk_file *, const void *, size_t, uint64_t *))path_only,
};

static int check_open(struct uk_vnode *vn, unsigned flags)
{
	unsigned type = vn->mode & S_IFMT, acc = flags & O_ACCMODE;

	if (flags & O_PATH)
		return (flags & O_DIRECTORY) && type != S_IFDIR ? -ENOTDIR : 0;
	if (type == S_IFLNK)
		return -ELOOP; /* only O_NOFOLLOW gets here with a link */
	if ((flags & O_DIRECTORY) && type != S_IFDIR)
		return -ENOTDIR;
	if (type == S_IFDIR && (acc != O_RDONLY || (flags & O_TRUNC)))
		return -EISDIR;
	if ((vn->mnt->flags & MS_RDONLY) && (acc != O_RDONLY || (flags & O_TRUNC)))
		return -EROFS;
	return 0;
}

/* Linux's may_open: what the access mode and O_TRUNC ask of the file's
 * permissions; O_NOATIME is its owner's. */
static int may_open(struct uk_vnode *vn, unsigned flags)
{
	unsigned acc = flags & O_ACCMODE;
	int mask = acc == O_RDONLY   ? UK_MAY_READ
	           : acc == O_WRONLY ? UK_MAY_WRITE
	                             : UK_MAY_READ | UK_MAY_WRITE;

	if (flags & O_PATH)
		return 0;
	if ((flags & O_TRUNC) && (vn->mode & S_IFMT) == S_IFREG)
		mask |= UK_MAY_WRITE;
	if ((flags & O_NOATIME) && !uk_vfs_owner_or_capable(vn))
		return -EPERM;
	return uk_vfs_permission(vn, mask);
}

static int truncate_on_open(struct uk_file *f)
{
	struct uk_setattr a = { .mask = UK_SA_SIZE, .size = 0 };
	int r;

	if ((r = uk_vfs_kill_suid(f->vn)))
		return r;
	if (f->ops->truncate)
		return f->ops->truncate(f, 0);
	return f->vn->ops->setattr ? f->vn->ops->setattr(f->vn, &a) : -EINVAL;
}

static int open_vnode(struct uk_vnode *vn, unsigned flags, int check, struct uk_file **out)
{
	struct uk_file *f;
	int r;

	if ((r = check_open(vn, flags)) || (check && (r = may_open(vn, flags))))
		return r;
	/* (O_NOCTTY stays until the file system's open has seen it: a
	 * terminal's open decides about the controlling terminal) */
	if (!(f = uk_file_new(NULL, flags & ~(OPEN_ONLY & ~O_NOCTTY), NULL)))
		return -ENOMEM;
	f->vn = uk_vnode_get(vn);
	if (flags & O_PATH) {
		f->ops = &path_fops;
		*out = f;
		return 0;
	}
	r = vn->ops->open ? vn->ops->open(vn, f) : -ENXIO;
	f->flags &= ~O_NOCTTY;
	if (r == 0 && !f->ops)
		r = -ENXIO;
	if (r == 0 && (flags & O_TRUNC) && (vn->mode & S_IFMT) == S_IFREG &&
	    (r = truncate_on_open(f)) == 0)
		uk_fsnotify_event(vn, IN_MODIFY);
	if (r) {
		uk_file_put(f);
		return r;
	}
	f->opened = 1;
	uk_fsnotify_event(vn, IN_OPEN);
	*out = f;
	return 0;
}

int uk_vfs_open_vnode(struct uk_vnode *vn, unsigned flags, struct uk_file **out)
{
	return open_vnode(vn, flags, 0, out);
}

int uk_vfs_open_named(struct uk_vnode *vn, unsigned flags, struct uk_file **out)
{
	return open_vnode(vn, flags, 1, out);
}

int uk_vfs_fstat(struct uk_file *f, struct stat *st)
{
	if (f->ops && f->ops->fstat)
		return f->ops->fstat(f, st);
	if (f->vn && f->vn->ops->getattr)
		return f->vn->ops->getattr(f->vn, st);
	return -EINVAL;
}

unsigned uk_vnode_seals(struct uk_vnode *vn)
{
	int s = vn->ops->seals ? vn->ops->seals(vn, 0) : 0;

	return s > 0 ? (unsigned)s : 0;
}
