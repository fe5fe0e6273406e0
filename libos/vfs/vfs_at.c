/*
 * Path-level operations the system calls and the library OS's own set-up
 * share: open (creating through dangling symlinks as Linux does), mkdir,
 * chmod, the working directory, and whole small files read and written by
 * the library OS itself (/etc/resolv.conf, /etc/hosts) without a
 * descriptor.
 */
#include <uk/libc.h>
#include <uk/mm.h>
#include <uk/print.h>
#include <uk/vfs.h>

#include "vfs_impl.h"

int uk_vfs_trailing_slash(const char *path)
{
	size_t n = uk_strlen(path);
	return n > 1 && path[n - 1] == '/';
}

/* Look up name in dir without following it. */
int uk_vfs_child(struct uk_vnode *dir, const char *name, struct uk_vnode **out)
{
	return dir->ops->lookup ? dir->ops->lookup(dir, name, out) : -ENOENT;
}

static int create_at(int dirfd, const char *path, unsigned flags, unsigned mode,
                     struct uk_vnode **out)
{
	char name[UK_NAME_MAX + 1];
	struct uk_vnode *dir;
	int r;

	r = uk_path_parent(dirfd, path, &dir, name);
	if (r == -EINVAL)
		return -EISDIR; /* "dir/." or "/" */
	if (r)
		return r;
	if (uk_vfs_trailing_slash(path))
		r = -EISDIR;
	else if ((r = uk_vfs_may_create(dir, name)))
		;
	else if (!dir->ops->create)
		r = -EPERM;
	else
		r = dir->ops->create(dir, name, S_IFREG | (mode & 07777 & ~uk_vfs_umask), out);
	if (r == 0) {
		uk_vfs_set_parent(*out, dir);
		uk_fsnotify_entry(dir, name, IN_CREATE, 0);
	}
	uk_vnode_put(dir);
	return r;
}

/* O_CREAT on a dangling symlink makes the file it points to, as Linux
 * does (say /etc/resolv.conf -> ../run/resolv.conf in an image). */
static int create_via_link(int dirfd, const char *path, unsigned flags, unsigned mode,
                           struct uk_vnode **out)
{
	char name[UK_NAME_MAX + 1], *buf = uk_kmalloc(2 * UK_PATH_MAX + 2), *t;
	struct uk_vnode *dir, *ln;
	int r = -EEXIST;

	if (!buf)
		return -ENOMEM;
	t = buf + UK_PATH_MAX + 1;
	for (int i = 0; i < UK_SYMLOOP_MAX && r == -EEXIST; i++) {
		long n;
		if ((r = uk_path_parent(dirfd, path, &dir, name)))
			break;
		if ((r = uk_vfs_child(dir, name, &ln)) == 0) {
			n = (ln->mode & S_IFMT) == S_IFLNK && ln->ops->readlink
			        ? ln->ops->readlink(ln, t, UK_PATH_MAX)
			        : -EEXIST;
			uk_vnode_put(ln);
			if (n > 0 && t[0] != '/' && uk_vfs_path_of(dir, buf, UK_PATH_MAX) == 0) {
				size_t dl = uk_strlen(buf);
				if (dl + 1 + n > UK_PATH_MAX)
					n = -ENAMETOOLONG;
				else if (buf[dl - 1] != '/')
					buf[dl++] = '/';
				if (n > 0)
					uk_memcpy(buf + dl, t, n), buf[dl + n] = 0;
			} else if (n > 0) {
				uk_memcpy(buf, t, n), buf[n] = 0;
			}
			r = n > 0 ? 0 : n ? (int)n : -ENOENT;
		}
		uk_vnode_put(dir);
		if (r == 0) { /* try again at the link's target */
			path = buf;
			dirfd = AT_FDCWD;
			r = create_at(dirfd, path, flags, mode, out);
			if (r == -EEXIST && uk_path_lookup(dirfd, path, UK_AT_FOLLOW, out) == 0)
				r = 0; /* it exists after all */
		}
	}
	uk_kfree(buf);
	return r == -EEXIST ? -ELOOP : r;
}

/* The vnode open(2) names, made when O_CREAT asks (*made = 1). */
static int open_vnode(int dirfd, const char *path, unsigned flags, unsigned mode,
                      struct uk_vnode **vn, int *made)
{
	unsigned lf = (flags & O_NOFOLLOW) || (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)
	                  ? 0
	                  : UK_AT_FOLLOW;
	int r;

	if (flags & O_DIRECTORY)
		lf |= UK_AT_DIR;
	r = uk_path_lookup(dirfd, path, lf, vn);
	if (!(flags & O_CREAT))
		return r;
	if (r == 0 && (flags & O_EXCL)) {
		uk_vnode_put(*vn);
		return -EEXIST;
	}
	if (r == 0 && uk_vfs_is_dir(*vn)) {
		uk_vnode_put(*vn);
		return -EISDIR;
	}
	if (r != -ENOENT)
		return r;
	r = create_at(dirfd, path, flags, mode, vn);
	*made = r == 0;
	if (r == -EEXIST && !(flags & O_EXCL)) {
		/* made meanwhile by someone else (a blocking filesystem), or
		 * a symlink to nowhere */
		r = uk_path_lookup(dirfd, path, lf, vn);
		if (r == -ENOENT && (lf & UK_AT_FOLLOW))
			r = create_via_link(dirfd, path, flags, mode, vn);
	}
	return r;
}

int uk_vfs_open_at(int dirfd, const char *path, unsigned flags, unsigned mode, struct uk_file **out)
{
	struct uk_vnode *vn;
	int r, made = 0;

	if ((r = open_vnode(dirfd, path, flags, mode, &vn, &made)))
		return r;
	/* (a file just made opens as asked, whatever its mode, as Linux's) */
	r = made ? uk_vfs_open_vnode(vn, flags, out) : uk_vfs_open_named(vn, flags, out);
	uk_vnode_put(vn);
	return r;
}

int uk_vfs_open_exec(const char *path, struct uk_file **out)
{
	struct uk_vnode *vn;
	int r = uk_path_lookup(AT_FDCWD, path, UK_AT_FOLLOW, &vn);

	if (r)
		return r;
	if ((vn->mode & S_IFMT) != S_IFREG)
		r = uk_vfs_is_dir(vn) ? -EISDIR : -EACCES;
	else if (!(r = uk_vfs_permission(vn, UK_MAY_EXEC)))
		r = uk_vfs_open_vnode(vn, O_RDONLY, out);
	uk_vnode_put(vn);
	return r;
}

int uk_vfs_tmpfile_at(int dirfd, const char *path, unsigned flags, unsigned mode,
                      struct uk_file **out)
{
	unsigned acc = flags & O_ACCMODE;
	struct uk_vnode *dir, *vn;
	int r;

	if ((flags & (O_TMPFILE | O_CREAT)) != O_TMPFILE || (acc != O_WRONLY && acc != O_RDWR))
		return -EINVAL;
	if ((r = uk_path_lookup(dirfd, path, UK_AT_FOLLOW | UK_AT_DIR, &dir)))
		return r;
	if ((r = uk_vfs_may_create(dir, NULL))) {
		;
	} else if (!dir->ops->tmpfile) {
		uk_trace_note("openat: O_TMPFILE: this file system cannot make unnamed files");
		r = -EOPNOTSUPP;
	} else if (!(r = dir->ops->tmpfile(dir, mode & 07777 & ~uk_vfs_umask, flags & O_EXCL,
	                                   &vn))) {
		r = uk_vfs_open_vnode(vn, flags & ~(O_TMPFILE | O_EXCL), out);
		if (!r)
			(*out)->flags |= O_TMPFILE; /* F_GETFL says so, as Linux's */
		uk_vnode_put(vn);
	}
	uk_vnode_put(dir);
	return r;
}

int uk_vfs_mkdirat(int dirfd, const char *path, unsigned mode)
{
	char name[UK_NAME_MAX + 1];
	struct uk_vnode *dir;
	int r = uk_path_parent(dirfd, path, &dir, name);

	if (r)
		return r == -EINVAL ? -EEXIST : r;
	if ((r = uk_vfs_may_create(dir, name)))
		;
	else
		r = dir->ops->mkdir ? dir->ops->mkdir(dir, name, mode & 07777 & ~uk_vfs_umask)
		                    : -EPERM;
	if (r == 0)
		uk_fsnotify_entry(dir, name, IN_CREATE | IN_ISDIR, 0);
	uk_vnode_put(dir);
	return r;
}

int uk_vfs_mknodat(int dirfd, const char *path, unsigned mode, struct uk_vnode **out)
{
	char name[UK_NAME_MAX + 1];
	struct uk_vnode *dir, *vn;
	int r = uk_path_parent(dirfd, path, &dir, name);

	if (r)
		return r == -EINVAL ? -EEXIST : r;
	if ((r = uk_vfs_may_create(dir, name)))
		;
	else if (!dir->ops->create)
		r = -EPERM;
	else if ((r = dir->ops->create(dir, name, (mode & S_IFMT) | (mode & 07777 & ~uk_vfs_umask),
	                               &vn)) == 0) {
		uk_vfs_set_parent(vn, dir);
		uk_fsnotify_entry(dir, name, IN_CREATE, 0);
		if (out)
			*out = vn;
		else
			uk_vnode_put(vn);
	}
	uk_vnode_put(dir);
	return r;
}

int uk_vfs_set_cwd(struct uk_vnode *vn)
{
	if (!uk_vfs_is_dir(vn)) {
		uk_vnode_put(vn);
		return -ENOTDIR;
	}
	uk_vnode_put(uk_vfs_cwd);
	uk_vfs_cwd = vn;
	return 0;
}

void uk_vfs_mkdir_p(const char *path, unsigned mode)
{
	char buf[UK_PATH_MAX];
	size_t n = uk_strnlen(path, sizeof(buf) - 1);
	const struct uk_cred *caller = uk_vfs_as_kernel();
	struct uk_vnode *vn;

	uk_memcpy(buf, path, n);
	buf[n] = 0;
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i])
			continue;
		buf[i] = 0;
		uk_vfs_mkdirat(AT_FDCWD, buf, i == n ? mode : 0755);
		buf[i] = i == n ? 0 : '/';
	}
	/* umask never keeps the sticky bit */
	if ((mode & ~0777) && uk_path_lookup(AT_FDCWD, path, UK_AT_FOLLOW, &vn) == 0) {
		struct uk_setattr a = { .mask = UK_SA_MODE, .mode = mode & 07777 };
		if (vn->ops->setattr)
			vn->ops->setattr(vn, &a);
		uk_vnode_put(vn);
	}
	uk_vfs_as_caller(caller);
}

long uk_vfs_read_file(const char *path, void *buf, size_t size)
{
	const struct uk_cred *caller = uk_vfs_as_kernel();
	struct uk_file *f;
	uint64_t pos = 0;
	long n = 0, r = uk_vfs_open_at(AT_FDCWD, path, O_RDONLY | O_NONBLOCK, 0, &f);

	uk_vfs_as_caller(caller);
	if (r)
		return r;
	if (!f->vn || (f->vn->mode & S_IFMT) != S_IFREG) { /* a FIFO would block */
		uk_file_put(f);
		return -EINVAL;
	}
	while ((size_t)n < size &&
	       (r = f->ops->read ? f->ops->read(f, (char *)buf + n, size - n, &pos) : -EINVAL) > 0)
		n += r;
	uk_file_put(f);
	return r < 0 ? r : n;
}

int uk_vfs_write_file(const char *path, const void *buf, size_t len, unsigned mode)
{
	struct uk_file *f;
	uint64_t pos = 0;
	size_t n = 0;
	const struct uk_cred *caller = uk_vfs_as_kernel();
	long r = uk_vfs_open_at(AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, mode, &f);

	uk_vfs_as_caller(caller);
	if (r)
		return (int)r;
	while (n < len &&
	       (r = f->ops->write ? f->ops->write(f, (const char *)buf + n, len - n, &pos)
	                          : -EINVAL) > 0)
		n += r;
	uk_file_put(f);
	return r < 0 ? (int)r : n < len ? -EIO : 0;
}
