/*
 * System calls on paths, continued: attributes (sizes, modes, owners,
 * times, access), the working directory, filesystems and mounts.
 *
 * Who may change what, as Linux's setattr_prepare and chown_ok: a mode
 * its owner (or CAP_FOWNER), an owner CAP_CHOWN (the owner may give the
 * file to a group of its own), explicit times the owner, the current
 * time anyone who may write; vfs/vfs_perm.c has the checks.
 */
#include <linux/capability.h>
#include <linux/xattr.h>
#include <asm/statfs.h>
#include <uk/libc.h>
#include <uk/mm.h>
#include <uk/proc.h>
#include <uk/sched.h>
#include <uk/syscall.h>
#include <uk/vfs.h>

#include "../vfs/vfs_impl.h"

/* umount2 flags (Linux's sys/mount.h; not in the uapi headers). */
#define MNT_FORCE 1
#define MNT_DETACH 2
#define MNT_EXPIRE 4
#define UMOUNT_NOFOLLOW 8
/* From Linux's include/linux/stat.h, statfs.h and unistd.h (not uapi). */
#define UTIME_NOW ((1l << 30) - 1l)
#define UTIME_OMIT ((1l << 30) - 2l)
#define ST_RDONLY 1
#define R_OK 4
#define W_OK 2
#define X_OK 1

/* ---- attributes ---- */

/* setattr_vn's how: utimensat gave times of its own (else "now"); a
 * chown (which takes set-id bits even when it changes nothing). */
#define TIMES_SET 1
#define CHOWN 2

static int may_chown(struct uk_vnode *vn, const struct uk_setattr *a, const struct uk_cred *c)
{
	if (uk_cred_capable(c, CAP_CHOWN))
		return 0;
	if ((a->mask & UK_SA_UID) && (c->uid != vn->uid || a->uid != vn->uid))
		return -EPERM;
	if ((a->mask & UK_SA_GID) &&
	    (c->uid != vn->uid || (a->gid != vn->gid && !uk_cred_in_group(c, a->gid))))
		return -EPERM;
	return 0;
}

/* Whether the caller may make change a (Linux's setattr_prepare), and
 * what else it brings: a chown takes a program's set-user-ID bit (and
 * set-group-ID with group execute, but with CAP_FSETID), a chmod by one
 * outside the file's group its set-group-ID bit. */
static int setattr_may(struct uk_vnode *vn, struct uk_setattr *a, unsigned how)
{
	unsigned gid = a->mask & UK_SA_GID ? a->gid : vn->gid, kill = 0;
	struct uk_cred c;
	int r;

	uk_cred_cur(&c);
	if ((a->mask & (UK_SA_UID | UK_SA_GID)) && (r = may_chown(vn, a, &c)))
		return r;
	if ((a->mask & UK_SA_MODE) && c.uid != vn->uid && !uk_cred_capable(&c, CAP_FOWNER))
		return -EPERM;
	if ((a->mask & (UK_SA_ATIME | UK_SA_MTIME)) && c.uid != vn->uid &&
	    !uk_cred_capable(&c, CAP_FOWNER)) {
		if (how & TIMES_SET)
			return -EPERM;
		if ((r = uk_vfs_perm_cred(&c, vn, UK_MAY_WRITE)))
			return r;
	}
	if ((a->mask & UK_SA_MODE) && !uk_cred_in_group(&c, gid) &&
	    !uk_cred_capable(&c, CAP_FSETID))
		a->mode &= ~S_ISGID;
	if ((how & CHOWN) && !uk_vfs_is_dir(vn)) {
		kill = S_ISUID;
		if ((vn->mode & S_IXGRP) && !uk_cred_capable(&c, CAP_FSETID))
			kill |= S_ISGID;
		if (vn->mode & kill) {
			a->mask |= UK_SA_MODE;
			a->mode = vn->mode & 07777 & ~kill;
		}
	}
	return 0;
}

static int setattr_vn(struct uk_vnode *vn, struct uk_setattr *a, unsigned how)
{
	int r;

	if (uk_vfs_rofs(vn))
		return -EROFS;
	if ((r = setattr_may(vn, a, how)))
		return r;
	if ((r = vn->ops->setattr ? vn->ops->setattr(vn, a) : -EPERM) == 0)
		uk_fsnotify_event(vn, a->mask & UK_SA_SIZE ? IN_MODIFY : IN_ATTRIB);
	return r;
}

static int setattr_at(int dirfd, const char *path, int atflags, struct uk_setattr *a, unsigned how)
{
	struct uk_vnode *vn;
	int r;

	if ((r = uk_vfs_at_lookup(dirfd, path, atflags, 0, &vn)))
		return r;
	r = setattr_vn(vn, a, how);
	uk_vnode_put(vn);
	return r;
}

static int setattr_fd(int fd, struct uk_setattr *a, unsigned how)
{
	struct uk_file *f = uk_fd_get(fd);
	int r;

	if (!f)
		return -EBADF;
	r = f->vn ? setattr_vn(f->vn, a, how) : -EPERM;
	uk_file_put(f);
	return r;
}

UK_SYSCALL2(truncate, const char *, path, int64_t, len)
{
	struct uk_setattr a = { .mask = UK_SA_SIZE, .size = (uint64_t)len };
	struct uk_vnode *vn;
	int r;

	if (len < 0)
		return -EINVAL;
	if ((r = uk_path_lookup(AT_FDCWD, path, UK_AT_FOLLOW, &vn)))
		return r;
	if (uk_vfs_is_dir(vn))
		r = -EISDIR;
	else if ((vn->mode & S_IFMT) != S_IFREG)
		r = -EINVAL;
	else if (uk_vfs_rofs(vn))
		r = -EROFS;
	else if (!(r = uk_vfs_permission(vn, UK_MAY_WRITE)) && !(r = uk_vfs_kill_suid(vn)))
		r = setattr_vn(vn, &a, 0);
	uk_vnode_put(vn);
	return r;
}

UK_SYSCALL3(fchmodat, int, dirfd, const char *, path, unsigned, mode)
{
	struct uk_setattr a = { .mask = UK_SA_MODE, .mode = mode & 07777 };
	return setattr_at(dirfd, path, 0, &a, 0);
}

UK_SYSCALL2(chmod, const char *, path, unsigned, mode)
{
	return uk_sys_fchmodat(AT_FDCWD, (long)path, mode, 0, 0, 0);
}

UK_SYSCALL2(fchmod, int, fd, unsigned, mode)
{
	struct uk_setattr a = { .mask = UK_SA_MODE, .mode = mode & 07777 };
	return setattr_fd(fd, &a, 0);
}

static struct uk_setattr owner(uint32_t uid, uint32_t gid)
{
	struct uk_setattr a = { .uid = uid, .gid = gid };

	if (uid != (uint32_t)-1)
		a.mask |= UK_SA_UID;
	if (gid != (uint32_t)-1)
		a.mask |= UK_SA_GID;
	return a;
}

UK_SYSCALL5(fchownat, int, dirfd, const char *, path, uint32_t, uid, uint32_t, gid, int, flags)
{
	struct uk_setattr a = owner(uid, gid);

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	return setattr_at(dirfd, path, flags, &a, CHOWN);
}

UK_SYSCALL3(chown, const char *, path, uint32_t, uid, uint32_t, gid)
{
	return uk_sys_fchownat(AT_FDCWD, (long)path, uid, gid, 0, 0);
}

UK_SYSCALL3(lchown, const char *, path, uint32_t, uid, uint32_t, gid)
{
	return uk_sys_fchownat(AT_FDCWD, (long)path, uid, gid, AT_SYMLINK_NOFOLLOW, 0);
}

UK_SYSCALL3(fchown, int, fd, uint32_t, uid, uint32_t, gid)
{
	struct uk_setattr a = owner(uid, gid);
	return setattr_fd(fd, &a, CHOWN);
}

/* One timestamp of utimensat: now, omitted, or as given. */
static int utime_one(const struct __kernel_timespec *t, unsigned bit, struct uk_setattr *a,
                     struct __kernel_timespec *dst)
{
	if (t && t->tv_nsec == UTIME_OMIT)
		return 0;
	if (t && t->tv_nsec != UTIME_NOW && (t->tv_nsec < 0 || t->tv_nsec >= 1000000000))
		return -EINVAL;
	*dst = !t || t->tv_nsec == UTIME_NOW ? uk_vfs_now() : *t;
	a->mask |= bit;
	return 0;
}

UK_SYSCALL4(utimensat, int, dirfd, const char *, path, const struct __kernel_timespec *, ts, int,
            flags)
{
	struct uk_setattr a = { 0 };
	unsigned how = 0;
	int r;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if ((r = utime_one(ts ? &ts[0] : NULL, UK_SA_ATIME, &a, &a.atime)) ||
	    (r = utime_one(ts ? &ts[1] : NULL, UK_SA_MTIME, &a, &a.mtime)))
		return r;
	for (int i = 0; ts && i < 2; i++)
		if (ts[i].tv_nsec != UTIME_NOW && ts[i].tv_nsec != UTIME_OMIT)
			how = TIMES_SET;
	if (!path) /* futimens: the descriptor itself */
		return setattr_fd(dirfd, &a, how);
	return setattr_at(dirfd, path, flags, &a, how);
}

UK_SYSCALL2(utimes, const char *, path, const struct __kernel_old_timeval *, tv)
{
	struct __kernel_timespec ts[2];

	if (!tv)
		return uk_sys_utimensat(AT_FDCWD, (long)path, 0, 0, 0, 0);
	for (int i = 0; i < 2; i++) {
		if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000)
			return -EINVAL;
		ts[i].tv_sec = tv[i].tv_sec;
		ts[i].tv_nsec = tv[i].tv_usec * 1000;
	}
	return uk_sys_utimensat(AT_FDCWD, (long)path, (long)ts, 0, 0, 0);
}

struct utimbuf_ {
	long actime, modtime;
};

UK_SYSCALL2(utime, const char *, path, const struct utimbuf_ *, b)
{
	struct __kernel_timespec ts[2];

	if (!b)
		return uk_sys_utimensat(AT_FDCWD, (long)path, 0, 0, 0, 0);
	ts[0] = (struct __kernel_timespec){ b->actime, 0 };
	ts[1] = (struct __kernel_timespec){ b->modtime, 0 };
	return uk_sys_utimensat(AT_FDCWD, (long)path, (long)ts, 0, 0, 0);
}

/* access(2) asks as the real ids (a set-id program's question about its
 * user), with root's permitted capabilities, others' none, as Linux's
 * access_override_creds; AT_EACCESS as the effective ones. The walk
 * too. */
UK_SYSCALL4(faccessat2, int, dirfd, const char *, path, int, mode, int, flags)
{
	const struct uk_cred *caller = uk_current->cred;
	struct uk_proc *p = uk_proc_ids();
	struct uk_cred real;
	struct uk_vnode *vn;
	uint64_t prm;
	int r;

	if (mode & ~(R_OK | W_OK | X_OK))
		return -EINVAL;
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EACCESS | AT_EMPTY_PATH))
		return -EINVAL;
	uk_cred_cur(&real);
	if (!(flags & AT_EACCESS)) {
		real.uid = p->ruid, real.gid = p->rgid;
		uk_proc_caps(p, &prm, &real.caps);
		real.caps = p->ruid ? 0 : prm;
		uk_current->cred = &real;
	}
	if ((r = uk_vfs_at_lookup(dirfd, path, flags, 0, &vn)))
		goto out;
	if ((mode & W_OK) && uk_vfs_rofs(vn))
		r = -EROFS;
	else
		r = uk_vfs_perm_cred(&real, vn, mode); /* (X_OK, W_OK, R_OK are MAY_'s) */
	uk_vnode_put(vn);
out:
	uk_current->cred = caller;
	return r;
}

UK_SYSCALL3(faccessat, int, dirfd, const char *, path, int, mode)
{
	return uk_sys_faccessat2(dirfd, (long)path, mode, 0, 0, 0);
}

UK_SYSCALL2(access, const char *, path, int, mode)
{
	return uk_sys_faccessat2(AT_FDCWD, (long)path, mode, 0, 0, 0);
}

UK_SYSCALL1(umask, unsigned, mask)
{
	unsigned old = uk_vfs_umask;

	uk_vfs_umask = mask & 0777;
	return old;
}

/* ---- the working directory ---- */

/* Into a directory one may search (EACCES). */
static int enter(struct uk_vnode *vn)
{
	int r = uk_vfs_is_dir(vn) ? uk_vfs_permission(vn, UK_MAY_EXEC) : 0;

	if (r) {
		uk_vnode_put(vn);
		return r;
	}
	return uk_vfs_set_cwd(vn);
}

UK_SYSCALL1(chdir, const char *, path)
{
	struct uk_vnode *vn;
	int r = uk_path_lookup(AT_FDCWD, path, UK_AT_FOLLOW | UK_AT_DIR, &vn);

	return r ? r : enter(vn);
}

UK_SYSCALL1(fchdir, int, fd)
{
	struct uk_file *f = uk_fd_get(fd);
	struct uk_vnode *vn;

	if (!f)
		return -EBADF;
	vn = f->vn ? uk_vnode_get(f->vn) : NULL;
	uk_file_put(f);
	return vn ? enter(vn) : -ENOTDIR;
}

/* The process's root from now on, its children's too (sshd's privilege
 * separation jails its network child in /run/sshd). As on Linux the
 * working directory stays where it was: a program chdirs to "/" after. */
UK_SYSCALL1(chroot, const char *, path)
{
	struct uk_vnode *vn;
	int r;

	if (!uk_capable(CAP_SYS_CHROOT))
		return -EPERM;
	if ((r = uk_path_lookup(AT_FDCWD, path, UK_AT_FOLLOW | UK_AT_DIR, &vn)))
		return r;
	if ((r = uk_vfs_permission(vn, UK_MAY_EXEC))) {
		uk_vnode_put(vn);
		return r;
	}
	if (uk_proc_cur->root)
		uk_vnode_put(uk_proc_cur->root);
	uk_proc_cur->root = vn;
	return 0;
}

UK_SYSCALL2(getcwd, char *, buf, size_t, size)
{
	char *tmp;
	size_t len;
	int r;

	if (!buf)
		return -EFAULT;
	if (!(tmp = uk_kmalloc(UK_PATH_MAX)))
		return -ENOMEM;
	r = uk_vfs_path_of(uk_vfs_cwd, tmp, UK_PATH_MAX);
	len = r ? 0 : uk_strlen(tmp) + 1;
	if (r == 0 && len > size)
		r = -ERANGE;
	if (r == 0)
		uk_memcpy(buf, tmp, len);
	uk_kfree(tmp);
	return r ? r : (long)len;
}

/* ---- filesystems ---- */

static int statfs_vn(struct uk_vnode *vn, struct statfs *sf)
{
	int r;

	if (!sf)
		return -EFAULT;
	if (!vn->ops->statfs)
		return -ENOSYS;
	if ((r = vn->ops->statfs(vn, sf)) == 0 && vn->mnt && (vn->mnt->flags & MS_RDONLY))
		sf->f_flags |= ST_RDONLY;
	return r;
}

UK_SYSCALL2(statfs, const char *, path, struct statfs *, sf)
{
	struct uk_vnode *vn;
	int r = uk_path_lookup(AT_FDCWD, path, UK_AT_FOLLOW, &vn);

	if (r)
		return r;
	r = statfs_vn(vn, sf);
	uk_vnode_put(vn);
	return r;
}

UK_SYSCALL2(fstatfs, int, fd, struct statfs *, sf)
{
	struct uk_file *f = uk_fd_get(fd);
	int r;

	if (!f)
		return -EBADF;
	r = f->vn ? statfs_vn(f->vn, sf) : -ENOSYS;
	uk_file_put(f);
	return r;
}

UK_SYSCALL5(mount, const char *, source, const char *, target, const char *, fstype, unsigned long,
            flags, const void *, data)
{
	if (!target)
		return -EFAULT;
	if (flags &
	    (MS_REMOUNT | MS_BIND | MS_MOVE | MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE)) {
		uk_trace_note("mount: remount, bind, move and propagation flags are not supported");
		return -EINVAL;
	}
	return uk_mount(source, target, fstype, flags & MS_RDONLY, data);
}

UK_SYSCALL2(umount2, const char *, target, int, flags)
{
	if (!target)
		return -EFAULT;
	if (flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW))
		return -EINVAL;
	return uk_vfs_umount(target, flags);
}

/* ---- extended attributes ----
 * No file system here keeps extended attributes. A file has none, as on a
 * file system that supports them and holds none: get says ENODATA, list
 * gives an empty list (ls -l and cp -a ask for ACLs that way and go on;
 * ENOSYS made ls print "Function not implemented"); and none can be set
 * (EOPNOTSUPP, what a file system without them answers; --trace says so).
 * The file is looked up first: a missing one is ENOENT, a bad fd EBADF. */

static int xattr_file(const char *path, int follow, int fd)
{
	struct uk_vnode *vn;
	struct uk_file *f;
	int r;

	if (path) {
		if (!(r = uk_path_lookup(AT_FDCWD, path, follow ? UK_AT_FOLLOW : 0, &vn)))
			uk_vnode_put(vn);
		return r;
	}
	if (!(f = uk_fd_get(fd)))
		return -EBADF;
	uk_file_put(f);
	return 0;
}

/* Linux's XATTR_NAME_MAX; an empty or longer name is ERANGE. */
static int xattr_name(const char *name)
{
	size_t n = name ? uk_strnlen(name, 256) : 0;

	if (!name)
		return -EFAULT;
	return n == 0 || n > 255 ? -ERANGE : 0;
}

static long xattr_get(const char *path, int follow, int fd, const char *name)
{
	int r = xattr_file(path, follow, fd);

	return r ? r : (r = xattr_name(name)) ? r : -ENODATA;
}

static long xattr_set(const char *path, int follow, int fd, const char *name, int flags)
{
	int r = xattr_file(path, follow, fd);

	if (r || (r = xattr_name(name)))
		return r;
	if (flags & ~(XATTR_CREATE | XATTR_REPLACE))
		return -EINVAL;
	if (flags & XATTR_REPLACE)
		return -ENODATA; /* there is none to replace */
	uk_trace_note("setxattr %s: no file system here keeps extended attributes", name);
	return -EOPNOTSUPP;
}

static long xattr_list(const char *path, int follow, int fd)
{
	return xattr_file(path, follow, fd); /* 0: an empty list */
}

UK_SYSCALL4(getxattr, const char *, path, const char *, name, void *, value, size_t, size)
{
	return xattr_get(path, 1, -1, name);
}

UK_SYSCALL4(lgetxattr, const char *, path, const char *, name, void *, value, size_t, size)
{
	return xattr_get(path, 0, -1, name);
}

UK_SYSCALL4(fgetxattr, int, fd, const char *, name, void *, value, size_t, size)
{
	return xattr_get(NULL, 0, fd, name);
}

UK_SYSCALL5(setxattr, const char *, path, const char *, name, const void *, value, size_t, size,
            int, flags)
{
	return xattr_set(path, 1, -1, name, flags);
}

UK_SYSCALL5(lsetxattr, const char *, path, const char *, name, const void *, value, size_t, size,
            int, flags)
{
	return xattr_set(path, 0, -1, name, flags);
}

UK_SYSCALL5(fsetxattr, int, fd, const char *, name, const void *, value, size_t, size, int, flags)
{
	return xattr_set(NULL, 0, fd, name, flags);
}

UK_SYSCALL3(listxattr, const char *, path, char *, list, size_t, size)
{
	return xattr_list(path, 1, -1);
}

UK_SYSCALL3(llistxattr, const char *, path, char *, list, size_t, size)
{
	return xattr_list(path, 0, -1);
}

UK_SYSCALL3(flistxattr, int, fd, char *, list, size_t, size) { return xattr_list(NULL, 0, fd); }

UK_SYSCALL2(removexattr, const char *, path, const char *, name)
{
	return xattr_get(path, 1, -1, name); /* none to remove: ENODATA */
}

UK_SYSCALL2(lremovexattr, const char *, path, const char *, name)
{
	return xattr_get(path, 0, -1, name);
}

UK_SYSCALL2(fremovexattr, int, fd, const char *, name) { return xattr_get(NULL, 0, fd, name); }
