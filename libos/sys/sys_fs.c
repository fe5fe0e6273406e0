/*
 * System calls on paths: open, stat, the namespace (mkdir, unlink, rename,
 * link, symlink, mknod). Linux semantics and numbers; attributes, the
 * working directory and mounts are in sys_fs_attr.c, descriptor calls in
 * sys_file.c.
 */
#include <uk/libc.h>
#include <uk/mm.h>
#include <uk/syscall.h>
#include <uk/vfs.h>

#include "../vfs/vfs_impl.h"

/* ---- open ---- */

UK_SYSCALL4(openat, int, dirfd, const char *, path, unsigned, flags, unsigned, mode)
{
	struct uk_file *f;
	int r;

	if (flags & (O_TMPFILE & ~O_DIRECTORY))
		r = uk_vfs_tmpfile_at(dirfd, path, flags, mode, &f);
	else
		r = uk_vfs_open_at(dirfd, path, flags, mode, &f);
	if (r)
		return r;
	if ((r = uk_fd_install(f, 0, flags & O_CLOEXEC)) < 0)
		uk_file_put(f);
	return r;
}

UK_SYSCALL3(open, const char *, path, unsigned, flags, unsigned, mode)
{
	return uk_sys_openat(AT_FDCWD, (long)path, flags, mode, 0, 0);
}

UK_SYSCALL2(creat, const char *, path, unsigned, mode)
{
	return uk_sys_openat(AT_FDCWD, (long)path, O_CREAT | O_WRONLY | O_TRUNC, mode, 0, 0);
}

/* ---- stat ---- */

static int stat_at(int dirfd, const char *path, struct stat *st, int flags)
{
	struct uk_vnode *vn;
	int r;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE))
		return -EINVAL;
	if (!st)
		return -EFAULT;
	if (path && !path[0] && (flags & AT_EMPTY_PATH) && dirfd != AT_FDCWD) {
		/* the open file itself: pipes and sockets have no vnode */
		struct uk_file *f = uk_fd_get(dirfd);
		if (!f)
			return -EBADF;
		r = uk_vfs_fstat(f, st);
		uk_file_put(f);
		return r;
	}
	if ((r = uk_vfs_at_lookup(dirfd, path, flags, 0, &vn)))
		return r;
	r = vn->ops->getattr ? vn->ops->getattr(vn, st) : -EINVAL;
	uk_vnode_put(vn);
	return r;
}

UK_SYSCALL4(newfstatat, int, dirfd, const char *, path, struct stat *, st, int, flags)
{
	return stat_at(dirfd, path, st, flags);
}

UK_SYSCALL2(stat, const char *, path, struct stat *, st) { return stat_at(AT_FDCWD, path, st, 0); }

UK_SYSCALL2(lstat, const char *, path, struct stat *, st)
{
	return stat_at(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

static struct statx_timestamp sx_time(long long s, unsigned long ns)
{
	return (struct statx_timestamp){ .tv_sec = s, .tv_nsec = (uint32_t)ns };
}

UK_SYSCALL5(statx, int, dirfd, const char *, path, int, flags, unsigned, mask, struct statx *, sx)
{
	struct stat st;
	int r;

	if (!sx)
		return -EFAULT;
	if (mask & STATX__RESERVED)
		return -EINVAL;
	if ((r = stat_at(dirfd, path, &st, flags)))
		return r;
	uk_memset(sx, 0, sizeof(*sx));
	sx->stx_mask = STATX_BASIC_STATS;
	sx->stx_blksize = (uint32_t)st.st_blksize;
	sx->stx_nlink = (uint32_t)st.st_nlink;
	sx->stx_uid = st.st_uid;
	sx->stx_gid = st.st_gid;
	sx->stx_mode = (uint16_t)st.st_mode;
	sx->stx_ino = st.st_ino;
	sx->stx_size = (uint64_t)st.st_size;
	sx->stx_blocks = (uint64_t)st.st_blocks;
	sx->stx_atime = sx_time(st.st_atime, st.st_atime_nsec);
	sx->stx_mtime = sx_time(st.st_mtime, st.st_mtime_nsec);
	sx->stx_ctime = sx_time(st.st_ctime, st.st_ctime_nsec);
	sx->stx_rdev_major = (uint32_t)(st.st_rdev >> 8) & 0xfff;
	sx->stx_rdev_minor = (uint32_t)(st.st_rdev & 0xff);
	sx->stx_dev_major = (uint32_t)(st.st_dev >> 8) & 0xfff;
	sx->stx_dev_minor = (uint32_t)(st.st_dev & 0xff);
	return 0;
}

/* ---- the namespace ---- */

UK_SYSCALL3(mkdirat, int, dirfd, const char *, path, unsigned, mode)
{
	return uk_vfs_mkdirat(dirfd, path, mode);
}

UK_SYSCALL2(mkdir, const char *, path, unsigned, mode)
{
	return uk_sys_mkdirat(AT_FDCWD, (long)path, mode, 0, 0, 0);
}

/* vn's names, for its watchers before one goes (a volume's vnode keeps
 * the count it read before): 1 when unknown. Only with watchers. */
static unsigned long links_of(struct uk_vnode *vn)
{
	struct stat st;

	if (!uk_fsnotify || !vn || !vn->ops->getattr || vn->ops->getattr(vn, &st))
		return 1;
	return st.st_nlink;
}

/* vn's watchers hear of its end when it had one name left (a directory
 * its one). */
static void notify_gone(struct uk_vnode *vn, unsigned long links)
{
	if (uk_vfs_is_dir(vn) || links <= 1)
		uk_fsnotify_event(vn, IN_DELETE_SELF);
}

/* The name's going, to its directory's watchers; a file's link count
 * changing, to its own; then its end. */
static void notify_unlinked(struct uk_vnode *dir, const char *name, struct uk_vnode *vn,
                            unsigned long links)
{
	int isdir = uk_vfs_is_dir(vn);

	if (!uk_fsnotify)
		return;
	if (!isdir) /* (its link count: to its own watchers alone) */
		uk_fsnotify_event(vn, IN_ATTRIB | UK_FSNOTIFY_SELF);
	uk_fsnotify_entry(dir, name, IN_DELETE | (isdir ? IN_ISDIR : 0), 0);
	notify_gone(vn, links);
}

static int do_rmdir(int dirfd, const char *path)
{
	char name[UK_NAME_MAX + 1];
	struct uk_vnode *dir, *vn;
	int r = uk_path_parent(dirfd, path, &dir, name);

	if (r == -EINVAL) { /* ".", ".." or "/" */
		size_t n = uk_strlen(path);
		while (n > 1 && path[n - 1] == '/')
			n--;
		return n >= 2 && path[n - 1] == '.' && path[n - 2] == '.' ? -ENOTEMPTY
		       : path[n - 1] == '.'                               ? -EINVAL
		                                                          : -EBUSY;
	}
	if (r)
		return r;
	if ((r = uk_vfs_child(dir, name, &vn)) == 0) {
		if (!uk_vfs_is_dir(vn))
			r = -ENOTDIR;
		else if ((r = uk_vfs_may_delete(dir, vn)))
			;
		else if (uk_vfs_covering(vn))
			r = -EBUSY;
		else
			r = dir->ops->rmdir ? dir->ops->rmdir(dir, name) : -EPERM;
		if (r == 0)
			notify_unlinked(dir, name, vn, 1);
		uk_vnode_put(vn);
	}
	uk_vnode_put(dir);
	return r;
}

static int do_unlink(int dirfd, const char *path)
{
	char name[UK_NAME_MAX + 1];
	struct uk_vnode *dir, *vn;
	unsigned long links;
	int r = uk_path_parent(dirfd, path, &dir, name);

	if (r)
		return r == -EINVAL ? -EISDIR : r;
	if ((r = uk_vfs_child(dir, name, &vn)) == 0) {
		if (uk_vfs_is_dir(vn))
			r = -EISDIR;
		else if (uk_vfs_trailing_slash(path))
			r = -ENOTDIR;
		else if ((r = uk_vfs_may_delete(dir, vn)))
			;
		else if (!dir->ops->unlink)
			r = -EPERM;
		else {
			links = links_of(vn);
			if ((r = dir->ops->unlink(dir, name)) == 0)
				notify_unlinked(dir, name, vn, links);
		}
		uk_vnode_put(vn);
	}
	uk_vnode_put(dir);
	return r;
}

UK_SYSCALL1(rmdir, const char *, path) { return do_rmdir(AT_FDCWD, path); }
UK_SYSCALL1(unlink, const char *, path) { return do_unlink(AT_FDCWD, path); }

UK_SYSCALL3(unlinkat, int, dirfd, const char *, path, int, flags)
{
	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	return flags & AT_REMOVEDIR ? do_rmdir(dirfd, path) : do_unlink(dirfd, path);
}

/* Whether dir is vn or lies below it (moving vn there would cut the tree). */
static int inside(struct uk_vnode *dir, struct uk_vnode *vn)
{
	for (struct uk_vnode *d = dir; d; d = d->parent)
		if (d == vn || (d->mnt == vn->mnt && d->ino == vn->ino))
			return 1;
	return 0;
}

struct rename_req {
	struct uk_vnode *odir, *ndir, *src;
	char oname[UK_NAME_MAX + 1], nname[UK_NAME_MAX + 1];
};

static int rename_check(struct rename_req *q, const char *oldp, const char *newp, unsigned flags)
{
	struct uk_vnode *dst = NULL;
	int r;

	if (q->odir->mnt != q->ndir->mnt)
		return -EXDEV;
	if (uk_vfs_rofs(q->odir))
		return -EROFS;
	if ((r = uk_vfs_child(q->odir, q->oname, &q->src)))
		return r;
	if ((uk_vfs_trailing_slash(oldp) || uk_vfs_trailing_slash(newp)) && !uk_vfs_is_dir(q->src))
		return -ENOTDIR;
	if (uk_vfs_is_dir(q->src) && inside(q->ndir, q->src))
		return -EINVAL;
	if ((r = uk_vfs_may_delete(q->odir, q->src)))
		return r;
	if (uk_vfs_child(q->ndir, q->nname, &dst) == 0) {
		r = uk_vfs_may_delete(q->ndir, dst);
		if (!r && uk_vfs_covering(dst))
			r = -EBUSY;
		if (!r && (flags & RENAME_EXCHANGE) && uk_vfs_is_dir(dst) && inside(q->odir, dst))
			r = -EINVAL;
		/* (a directory moved to another parent rewrites its "..") */
		if (!r && (flags & RENAME_EXCHANGE) && uk_vfs_is_dir(dst) && q->odir != q->ndir)
			r = uk_vfs_permission(dst, UK_MAY_WRITE);
		uk_vnode_put(dst);
	} else {
		r = uk_vfs_may_create(q->ndir, NULL);
	}
	if (!r && uk_vfs_is_dir(q->src) && q->odir != q->ndir)
		r = uk_vfs_permission(q->src, UK_MAY_WRITE);
	if (!r && uk_vfs_covering(q->src))
		r = -EBUSY;
	return r;
}

/* A move out of one name and into another, one cookie for both. */
static void notify_move(struct uk_vnode *vn, struct uk_vnode *from, const char *oname,
                        struct uk_vnode *to, const char *nname)
{
	uint32_t cookie = uk_fsnotify ? uk_fsnotify->cookie() : 0,
	         d = uk_vfs_is_dir(vn) ? IN_ISDIR : 0;

	uk_fsnotify_entry(from, oname, IN_MOVED_FROM | d, cookie);
	uk_fsnotify_entry(to, nname, IN_MOVED_TO | d, cookie);
	uk_fsnotify_event(vn, IN_MOVE_SELF);
}

/* After a rename: src moved; what the new name held (dst) moved the
 * other way (RENAME_EXCHANGE) or lost that name. */
static void notify_renamed(struct rename_req *q, struct uk_vnode *dst, unsigned long links,
                           unsigned flags)
{
	if (dst && dst->mnt == q->src->mnt && dst->ino == q->src->ino)
		return; /* two names of one file: nothing moved (Linux) */
	notify_move(q->src, q->odir, q->oname, q->ndir, q->nname);
	if (dst && (flags & RENAME_EXCHANGE)) {
		notify_move(dst, q->ndir, q->nname, q->odir, q->oname);
	} else if (dst) {
		uk_fsnotify_event(dst, IN_ATTRIB | UK_FSNOTIFY_SELF); /* a name fewer */
		notify_gone(dst, links);
	}
}

static int do_rename(int odirfd, const char *oldp, int ndirfd, const char *newp, unsigned flags)
{
	struct rename_req *q = uk_kzalloc(sizeof(*q));
	struct uk_vnode *dst, *old = NULL;
	unsigned long links;
	int r;

	if (!q)
		return -ENOMEM;
	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE) ||
	    (flags & (RENAME_NOREPLACE | RENAME_EXCHANGE)) ==
	        (RENAME_NOREPLACE | RENAME_EXCHANGE)) {
		r = -EINVAL;
		goto out;
	}
	r = uk_path_parent(odirfd, oldp, &q->odir, q->oname);
	if (r == 0)
		r = uk_path_parent(ndirfd, newp, &q->ndir, q->nname);
	if (r == -EINVAL)
		r = -EBUSY; /* ".", ".." or "/" */
	if (r == 0)
		r = rename_check(q, oldp, newp, flags);
	if (r == 0 && uk_fsnotify && uk_vfs_child(q->ndir, q->nname, &old))
		old = NULL; /* (what the new name held: its watchers are told) */
	links = links_of(old);
	if (r == 0)
		r = q->odir->ops->rename
		        ? q->odir->ops->rename(q->odir, q->oname, q->ndir, q->nname, flags)
		        : -EPERM;
	if (r == 0 && uk_fsnotify)
		notify_renamed(q, old, links, flags);
	if (r == 0)
		uk_vfs_set_parent(q->src, q->ndir);
	if (r == 0 && (flags & RENAME_EXCHANGE) && uk_vfs_child(q->odir, q->oname, &dst) == 0) {
		uk_vfs_set_parent(dst, q->odir); /* the other one moved too */
		uk_vnode_put(dst);
	}
out:
	uk_vnode_put(old);
	uk_vnode_put(q->src);
	uk_vnode_put(q->odir);
	uk_vnode_put(q->ndir);
	uk_kfree(q);
	return r;
}

UK_SYSCALL2(rename, const char *, oldp, const char *, newp)
{
	return do_rename(AT_FDCWD, oldp, AT_FDCWD, newp, 0);
}

UK_SYSCALL4(renameat, int, odirfd, const char *, oldp, int, ndirfd, const char *, newp)
{
	return do_rename(odirfd, oldp, ndirfd, newp, 0);
}

UK_SYSCALL5(renameat2, int, odirfd, const char *, oldp, int, ndirfd, const char *, newp, unsigned,
            flags)
{
	return do_rename(odirfd, oldp, ndirfd, newp, flags);
}

UK_SYSCALL5(linkat, int, odirfd, const char *, oldp, int, ndirfd, const char *, newp, int, flags)
{
	char name[UK_NAME_MAX + 1];
	struct uk_vnode *vn, *dir = NULL;
	int r;

	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	r = uk_path_lookup(odirfd, oldp,
	                   (flags & AT_SYMLINK_FOLLOW ? UK_AT_FOLLOW : 0) |
	                       (flags & AT_EMPTY_PATH ? UK_AT_EMPTY : 0),
	                   &vn);
	if (r)
		return r;
	if (uk_vfs_is_dir(vn))
		r = -EPERM;
	else if ((r = uk_path_parent(ndirfd, newp, &dir, name)))
		r = r == -EINVAL ? -EEXIST : r;
	else if (uk_vfs_trailing_slash(newp))
		r = -ENOENT;
	else if (dir->mnt != vn->mnt)
		r = -EXDEV;
	else if ((r = uk_vfs_may_create(dir, name)))
		;
	else
		r = dir->ops->link ? dir->ops->link(vn, dir, name) : -EPERM;
	if (r == 0) { /* (its link count changed: to its own watchers alone) */
		uk_fsnotify_event(vn, IN_ATTRIB | UK_FSNOTIFY_SELF);
		uk_fsnotify_entry(dir, name, IN_CREATE, 0);
	}
	uk_vnode_put(dir);
	uk_vnode_put(vn);
	return r;
}

UK_SYSCALL2(link, const char *, oldp, const char *, newp)
{
	return uk_sys_linkat(AT_FDCWD, (long)oldp, AT_FDCWD, (long)newp, 0, 0);
}

UK_SYSCALL3(symlinkat, const char *, target, int, dirfd, const char *, path)
{
	char name[UK_NAME_MAX + 1];
	struct uk_vnode *dir;
	int r;

	if (!target)
		return -EFAULT;
	if (!target[0])
		return -ENOENT;
	if (uk_strnlen(target, UK_PATH_MAX) >= UK_PATH_MAX)
		return -ENAMETOOLONG;
	if ((r = uk_path_parent(dirfd, path, &dir, name)))
		return r == -EINVAL ? -EEXIST : r;
	if ((r = uk_vfs_may_create(dir, name)))
		;
	else
		r = dir->ops->symlink ? dir->ops->symlink(dir, name, target) : -EPERM;
	if (r == 0)
		uk_fsnotify_entry(dir, name, IN_CREATE, 0);
	uk_vnode_put(dir);
	return r;
}

UK_SYSCALL2(symlink, const char *, target, const char *, path)
{
	return uk_sys_symlinkat((long)target, AT_FDCWD, (long)path, 0, 0, 0);
}

UK_SYSCALL4(readlinkat, int, dirfd, const char *, path, char *, buf, int, size)
{
	struct uk_vnode *vn;
	long r;

	if (size <= 0)
		return -EINVAL;
	if ((r = uk_path_lookup(dirfd, path, UK_AT_EMPTY, &vn)))
		return r;
	if ((vn->mode & S_IFMT) != S_IFLNK || !vn->ops->readlink)
		r = -EINVAL;
	else
		r = vn->ops->readlink(vn, buf, (size_t)size);
	uk_vnode_put(vn);
	return r;
}

UK_SYSCALL3(readlink, const char *, path, char *, buf, int, size)
{
	return uk_sys_readlinkat(AT_FDCWD, (long)path, (long)buf, size, 0, 0);
}

UK_SYSCALL4(mknodat, int, dirfd, const char *, path, unsigned, mode, unsigned, dev)
{
	unsigned type = mode & S_IFMT;

	if (type == 0)
		type = S_IFREG;
	if (type == S_IFCHR || type == S_IFBLK) {
		uk_trace_note("mknod: device nodes lead to no device here");
		return -EPERM;
	}
	if (type != S_IFREG && type != S_IFIFO && type != S_IFSOCK)
		return -EINVAL;
	return uk_vfs_mknodat(dirfd, path, type | (mode & 07777), NULL);
}

UK_SYSCALL3(mknod, const char *, path, unsigned, mode, unsigned, dev)
{
	return uk_sys_mknodat(AT_FDCWD, (long)path, mode, dev, 0, 0);
}
