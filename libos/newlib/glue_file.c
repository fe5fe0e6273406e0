/*
 * newlib glue: files and descriptors (see glue.c for the conventions).
 *
 * newlib's <fcntl.h> values differ from Linux's (O_CREAT is 0x200 there,
 * 0100 on Linux; AT_FDCWD is -2, not -100; struct flock and struct stat
 * are laid out differently), so every flag word and struct crosses here
 * through a translation. Headers uk adds (sys/uio.h, sys/statfs.h,
 * sys/ioctl.h, ...) use Linux's values and pass through.
 */
#define _GNU_SOURCE 1 /* AT_EMPTY_PATH */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>
#include <utime.h>
#include <uk/signal.h>
#include <uk/syscall.h>

#include "glue.h"

/* ---- Linux's values ---- */

#define LX_O_WRONLY 01
#define LX_O_RDWR 02
#define LX_O_CREAT 0100
#define LX_O_EXCL 0200
#define LX_O_NOCTTY 0400
#define LX_O_TRUNC 01000
#define LX_O_APPEND 02000
#define LX_O_NONBLOCK 04000
#define LX_O_DSYNC 010000
#define LX_O_DIRECT 040000
#define LX_O_DIRECTORY 0200000
#define LX_O_NOFOLLOW 0400000
#define LX_O_CLOEXEC 02000000
#define LX_O_SYNC 04010000
#define LX_O_PATH 010000000

#define LX_AT_FDCWD -100
#define LX_AT_SYMLINK_NOFOLLOW 0x100
#define LX_AT_REMOVEDIR 0x200
#define LX_AT_EACCESS 0x200
#define LX_AT_SYMLINK_FOLLOW 0x400
#define LX_AT_EMPTY_PATH 0x1000

#define LX_F_GETLK 5
#define LX_F_SETLK 6
#define LX_F_SETLKW 7
#define LX_F_SETOWN 8
#define LX_F_GETOWN 9
#define LX_F_DUPFD_CLOEXEC 1030

struct lx_flock {
	short type, whence;
	long start, len;
	int pid;
};

static const struct {
	int nl, lx;
} oflags[] = {
	{ O_CREAT, LX_O_CREAT },       { O_EXCL, LX_O_EXCL },       { O_NOCTTY, LX_O_NOCTTY },
	{ O_TRUNC, LX_O_TRUNC },       { O_APPEND, LX_O_APPEND },   { O_NONBLOCK, LX_O_NONBLOCK },
	{ O_SYNC, LX_O_SYNC },         { O_DIRECT, LX_O_DIRECT },   { O_DIRECTORY, LX_O_DIRECTORY },
	{ O_NOFOLLOW, LX_O_NOFOLLOW }, { O_CLOEXEC, LX_O_CLOEXEC }, { O_EXEC, LX_O_PATH },
};

static long oflags_to_linux(int f)
{
	long lx = f & O_ACCMODE;

	for (size_t i = 0; i < sizeof(oflags) / sizeof(oflags[0]); i++)
		if ((f & oflags[i].nl) == oflags[i].nl)
			lx |= oflags[i].lx;
	return lx;
}

static int oflags_from_linux(long lx)
{
	int f = lx & 3;

	for (size_t i = 0; i < sizeof(oflags) / sizeof(oflags[0]); i++)
		if ((lx & oflags[i].lx) == oflags[i].lx)
			f |= oflags[i].nl;
	return f;
}

static long dirfd_to_linux(int dirfd) { return dirfd == AT_FDCWD ? LX_AT_FDCWD : dirfd; }

static long atflags_to_linux(int f, int removedir_ok)
{
	long lx = 0;

	if (f & AT_SYMLINK_NOFOLLOW)
		lx |= LX_AT_SYMLINK_NOFOLLOW;
	if (f & AT_SYMLINK_FOLLOW)
		lx |= LX_AT_SYMLINK_FOLLOW;
	if (f & AT_EMPTY_PATH)
		lx |= LX_AT_EMPTY_PATH;
	if (f & AT_REMOVEDIR)
		lx |= removedir_ok ? LX_AT_REMOVEDIR : 0x40000000; /* refused as invalid */
	if (f & AT_EACCESS)
		lx |= LX_AT_EACCESS;
	return lx;
}

/* ---- open and close ---- */

int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	int mode;

	va_start(ap, flags);
	mode = flags & O_CREAT ? va_arg(ap, int) : 0; /* (passed only to create) */
	va_end(ap);
	return (int)uk_ret(UK_CALL_RESTART(openat, dirfd_to_linux(dirfd), path,
	                                   oflags_to_linux(flags), mode, 0, 0));
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	int mode;

	va_start(ap, flags);
	mode = flags & O_CREAT ? va_arg(ap, int) : 0; /* (passed only to create) */
	va_end(ap);
	return openat(AT_FDCWD, path, flags, mode);
}

int creat(const char *path, mode_t mode) { return open(path, O_CREAT | O_WRONLY | O_TRUNC, mode); }

int close(int fd) { return (int)uk_ret(UK_CALL(close, fd, 0, 0, 0, 0, 0)); }

int dup(int fd) { return (int)uk_ret(UK_CALL(dup, fd, 0, 0, 0, 0, 0)); }

int dup2(int fd, int to) { return (int)uk_ret(UK_CALL(dup2, fd, to, 0, 0, 0, 0)); }

int dup3(int fd, int to, int flags)
{
	return (int)uk_ret(UK_CALL(dup3, fd, to, oflags_to_linux(flags), 0, 0, 0));
}

/* ---- I/O ---- */

ssize_t read(int fd, void *buf, size_t n)
{
	return uk_ret(UK_CALL_RESTART(read, fd, buf, n, 0, 0, 0));
}

ssize_t write(int fd, const void *buf, size_t n)
{
	return uk_ret(UK_CALL_RESTART(write, fd, buf, n, 0, 0, 0));
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	return uk_ret(UK_CALL_RESTART(pread64, fd, buf, n, off, 0, 0));
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	return uk_ret(UK_CALL_RESTART(pwrite64, fd, buf, n, off, 0, 0));
}

ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
	return uk_ret(UK_CALL_RESTART(readv, fd, iov, cnt, 0, 0, 0));
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	return uk_ret(UK_CALL_RESTART(writev, fd, iov, cnt, 0, 0, 0));
}

ssize_t preadv(int fd, const struct iovec *iov, int cnt, off_t off)
{
	return uk_ret(UK_CALL_RESTART(preadv, fd, iov, cnt, off, 0, 0));
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
	return uk_ret(UK_CALL_RESTART(pwritev, fd, iov, cnt, off, 0, 0));
}

off_t lseek(int fd, off_t off, int whence)
{
	return uk_ret(UK_CALL(lseek, fd, off, whence, 0, 0, 0)); /* SEEK_* agree */
}

ssize_t sendfile(int out, int in, off_t *off, size_t n)
{
	return uk_ret(UK_CALL(sendfile, out, in, off, n, 0, 0));
}

int fsync(int fd) { return (int)uk_ret(UK_CALL(fsync, fd, 0, 0, 0, 0, 0)); }
int fdatasync(int fd) { return (int)uk_ret(UK_CALL(fdatasync, fd, 0, 0, 0, 0, 0)); }
void sync(void) { UK_CALL(sync, 0, 0, 0, 0, 0, 0); }

int ftruncate(int fd, off_t len) { return (int)uk_ret(UK_CALL(ftruncate, fd, len, 0, 0, 0, 0)); }

int truncate(const char *path, off_t len)
{
	return (int)uk_ret(UK_CALL(truncate, path, len, 0, 0, 0, 0));
}

int posix_fallocate(int fd, off_t off, off_t len)
{
	long r = UK_CALL(fallocate, fd, 0, off, len, 0, 0);
	return r < 0 ? (uk_ret(r), errno) : 0; /* returns the error, errno untouched */
}

int posix_fadvise(int fd, off_t off, off_t len, int advice)
{
	long r = UK_CALL(fadvise64, fd, off, len, advice, 0, 0);
	return r < 0 ? (uk_ret(r), errno) : 0;
}

/* ---- fcntl, flock, ioctl ---- */

static int lock_cmd(int fd, long lxcmd, struct flock *nl)
{
	static const short to_lx[] = { [F_RDLCK] = 0, [F_WRLCK] = 1, [F_UNLCK] = 2 };
	static const short from_lx[] = { F_RDLCK, F_WRLCK, F_UNLCK };
	struct lx_flock lx;
	long r;

	if (!nl || nl->l_type < F_RDLCK || nl->l_type > F_UNLCK) {
		errno = nl ? EINVAL : EFAULT;
		return -1;
	}
	lx = (struct lx_flock){ to_lx[nl->l_type], nl->l_whence, nl->l_start, nl->l_len, 0 };
	r = uk_ret(UK_CALL(fcntl, fd, lxcmd, &lx, 0, 0, 0));
	if (r == 0 && lxcmd == LX_F_GETLK) {
		nl->l_type = lx.type >= 0 && lx.type <= 2 ? from_lx[lx.type] : F_UNLCK;
		nl->l_whence = lx.whence;
		nl->l_start = lx.start;
		nl->l_len = lx.len;
		nl->l_pid = (short)lx.pid;
	}
	return (int)r;
}

int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	switch (cmd) {
	case F_DUPFD:
	case F_GETFD:
	case F_SETFD: return (int)uk_ret(UK_CALL(fcntl, fd, cmd, arg, 0, 0, 0));
	case F_DUPFD_CLOEXEC:
		return (int)uk_ret(UK_CALL(fcntl, fd, LX_F_DUPFD_CLOEXEC, arg, 0, 0, 0));
	case F_GETFL: {
		long r = uk_ret(UK_CALL(fcntl, fd, F_GETFL, 0, 0, 0, 0));
		return r < 0 ? -1 : oflags_from_linux(r);
	}
	case F_SETFL:
		return (int)uk_ret(UK_CALL(fcntl, fd, F_SETFL, oflags_to_linux((int)arg), 0, 0, 0));
	case F_GETLK: return lock_cmd(fd, LX_F_GETLK, (struct flock *)arg);
	case F_SETLK: return lock_cmd(fd, LX_F_SETLK, (struct flock *)arg);
	case F_SETLKW: return lock_cmd(fd, LX_F_SETLKW, (struct flock *)arg);
	case F_GETOWN: return (int)uk_ret(UK_CALL(fcntl, fd, LX_F_GETOWN, 0, 0, 0, 0));
	case F_SETOWN: return (int)uk_ret(UK_CALL(fcntl, fd, LX_F_SETOWN, arg, 0, 0, 0));
	}
	errno = EINVAL;
	return -1;
}

int flock(int fd, int op) /* LOCK_* agree */
{
	return (int)uk_ret(UK_CALL_RESTART(flock, fd, op, 0, 0, 0, 0));
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	return (int)uk_ret(UK_CALL(ioctl, fd, req, arg, 0, 0, 0));
}

int isatty(int fd)
{
	struct uk_lx_termios t;
	return uk_ret(UK_CALL(ioctl, fd, UK_LX_TCGETS, &t, 0, 0, 0)) == 0;
}

/* ---- stat ---- */

int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	struct uk_lx_stat lx;
	long r = uk_ret(UK_CALL(newfstatat, dirfd_to_linux(dirfd), path, &lx,
	                        atflags_to_linux(flags, 0), 0, 0));

	if (r == 0)
		uk_stat_from_linux(st, &lx);
	return (int)r;
}

int fstat(int fd, struct stat *st)
{
	struct uk_lx_stat lx;
	long r = uk_ret(UK_CALL(fstat, fd, &lx, 0, 0, 0, 0));

	if (r == 0)
		uk_stat_from_linux(st, &lx);
	return (int)r;
}

int stat(const char *path, struct stat *st) { return fstatat(AT_FDCWD, path, st, 0); }

int lstat(const char *path, struct stat *st)
{
	return fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

void uk_stat_from_linux(struct stat *st, const struct uk_lx_stat *lx)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = lx->dev;
	st->st_ino = lx->ino;   /* newlib's ino_t is 16 bits wide */
	st->st_mode = lx->mode; /* S_IF* and permission bits agree */
	st->st_nlink = lx->nlink;
	st->st_uid = lx->uid;
	st->st_gid = lx->gid;
	st->st_rdev = lx->rdev;
	st->st_size = lx->size;
	st->st_blksize = lx->blksize;
	st->st_blocks = lx->blocks;
	st->st_atim.tv_sec = lx->atime_sec;
	st->st_atim.tv_nsec = lx->atime_nsec;
	st->st_mtim.tv_sec = lx->mtime_sec;
	st->st_mtim.tv_nsec = lx->mtime_nsec;
	st->st_ctim.tv_sec = lx->ctime_sec;
	st->st_ctim.tv_nsec = lx->ctime_nsec;
}

int statfs(const char *path, struct statfs *sf)
{
	return (int)uk_ret(UK_CALL(statfs, path, sf, 0, 0, 0, 0));
}

int fstatfs(int fd, struct statfs *sf) { return (int)uk_ret(UK_CALL(fstatfs, fd, sf, 0, 0, 0, 0)); }

static void statvfs_from(struct statvfs *v, const struct statfs *s)
{
	memset(v, 0, sizeof(*v));
	v->f_bsize = s->f_bsize;
	v->f_frsize = s->f_frsize ? s->f_frsize : s->f_bsize;
	v->f_blocks = s->f_blocks;
	v->f_bfree = s->f_bfree;
	v->f_bavail = s->f_bavail;
	v->f_files = s->f_files;
	v->f_ffree = v->f_favail = s->f_ffree;
	v->f_fsid = (unsigned)s->f_fsid.__val[0];
	v->f_flag = s->f_flags & ST_RDONLY;
	v->f_namemax = s->f_namelen;
}

int statvfs(const char *path, struct statvfs *v)
{
	struct statfs s;
	int r = statfs(path, &s);

	if (r == 0)
		statvfs_from(v, &s);
	return r;
}

int fstatvfs(int fd, struct statvfs *v)
{
	struct statfs s;
	int r = fstatfs(fd, &s);

	if (r == 0)
		statvfs_from(v, &s);
	return r;
}

/* ---- the namespace ---- */

int mkdirat(int dirfd, const char *path, mode_t mode)
{
	return (int)uk_ret(UK_CALL(mkdirat, dirfd_to_linux(dirfd), path, mode, 0, 0, 0));
}

int mkdir(const char *path, mode_t mode) { return mkdirat(AT_FDCWD, path, mode); }

int rmdir(const char *path) { return (int)uk_ret(UK_CALL(rmdir, path, 0, 0, 0, 0, 0)); }

int unlinkat(int dirfd, const char *path, int flags)
{
	return (int)uk_ret(
	    UK_CALL(unlinkat, dirfd_to_linux(dirfd), path, atflags_to_linux(flags, 1), 0, 0, 0));
}

int unlink(const char *path) { return unlinkat(AT_FDCWD, path, 0); }

/* C's remove(): a file or an empty directory (newlib's only unlinks). */
int remove(const char *path)
{
	long r = UK_CALL(unlink, path, 0, 0, 0, 0, 0);

	if (r == -21 /* EISDIR */)
		r = UK_CALL(rmdir, path, 0, 0, 0, 0, 0);
	return (int)uk_ret(r);
}

int _remove_r(struct _reent *re, const char *path)
{
	(void)re;
	return remove(path);
}

int renameat(int odirfd, const char *oldp, int ndirfd, const char *newp)
{
	return (int)uk_ret(
	    UK_CALL(renameat, dirfd_to_linux(odirfd), oldp, dirfd_to_linux(ndirfd), newp, 0, 0));
}

/* glibc's renameat2: RENAME_NOREPLACE (1) and RENAME_EXCHANGE (2) are
 * Linux's values, passed through. */
int renameat2(int odirfd, const char *oldp, int ndirfd, const char *newp, unsigned flags)
{
	return (int)uk_ret(UK_CALL(renameat2, dirfd_to_linux(odirfd), oldp, dirfd_to_linux(ndirfd),
	                           newp, flags, 0));
}

/* newlib's rename makes a link and removes the old name: not atomic, and
 * it fails over an existing file. This is the real rename(2). */
int rename(const char *oldp, const char *newp)
{
	return (int)uk_ret(UK_CALL(rename, oldp, newp, 0, 0, 0, 0));
}

int _rename_r(struct _reent *re, const char *oldp, const char *newp)
{
	(void)re;
	return rename(oldp, newp);
}

int linkat(int odirfd, const char *oldp, int ndirfd, const char *newp, int flags)
{
	return (int)uk_ret(UK_CALL(linkat, dirfd_to_linux(odirfd), oldp, dirfd_to_linux(ndirfd),
	                           newp, atflags_to_linux(flags, 0), 0));
}

int link(const char *oldp, const char *newp) { return linkat(AT_FDCWD, oldp, AT_FDCWD, newp, 0); }

int symlinkat(const char *target, int dirfd, const char *path)
{
	return (int)uk_ret(UK_CALL(symlinkat, target, dirfd_to_linux(dirfd), path, 0, 0, 0));
}

int symlink(const char *target, const char *path) { return symlinkat(target, AT_FDCWD, path); }

ssize_t readlinkat(int dirfd, const char *path, char *buf, size_t size)
{
	return uk_ret(UK_CALL(readlinkat, dirfd_to_linux(dirfd), path, buf,
	                      size > 0x7fffffff ? 0x7fffffff : size, 0, 0));
}

ssize_t readlink(const char *path, char *buf, size_t size)
{
	return readlinkat(AT_FDCWD, path, buf, size);
}

int mknodat(int dirfd, const char *path, mode_t mode, dev_t dev)
{
	return (int)uk_ret(
	    UK_CALL(mknodat, dirfd_to_linux(dirfd), path, mode, (unsigned short)dev, 0, 0));
}

int mknod(const char *path, mode_t mode, dev_t dev) { return mknodat(AT_FDCWD, path, mode, dev); }

int mkfifoat(int dirfd, const char *path, mode_t mode)
{
	return mknodat(dirfd, path, S_IFIFO | (mode & 07777), 0);
}

int mkfifo(const char *path, mode_t mode) { return mkfifoat(AT_FDCWD, path, mode); }

/* ---- attributes ---- */

int faccessat(int dirfd, const char *path, int mode, int flags)
{
	return (int)uk_ret(UK_CALL(faccessat2, dirfd_to_linux(dirfd), path, mode,
	                           atflags_to_linux(flags, 0), 0, 0)); /* R_OK.. agree */
}

int access(const char *path, int mode) { return faccessat(AT_FDCWD, path, mode, 0); }
int eaccess(const char *path, int mode) { return faccessat(AT_FDCWD, path, mode, AT_EACCESS); }
int euidaccess(const char *path, int mode) { return eaccess(path, mode); }

mode_t umask(mode_t mask) { return (mode_t)UK_CALL(umask, mask, 0, 0, 0, 0, 0); }

int fchmodat(int dirfd, const char *path, mode_t mode, int flags)
{
	if (flags & AT_SYMLINK_NOFOLLOW) { /* Linux cannot chmod a link either */
		errno = EOPNOTSUPP;
		return -1;
	}
	return (int)uk_ret(UK_CALL(fchmodat, dirfd_to_linux(dirfd), path, mode, 0, 0, 0));
}

int chmod(const char *path, mode_t mode) { return fchmodat(AT_FDCWD, path, mode, 0); }
int fchmod(int fd, mode_t mode) { return (int)uk_ret(UK_CALL(fchmod, fd, mode, 0, 0, 0, 0)); }

/* newlib's uid_t is 16 bits: (uid_t)-1 must stay "unchanged". */
static long id_to_linux(unsigned id) { return id == 0xffff ? -1 : (long)id; }

int fchownat(int dirfd, const char *path, uid_t uid, gid_t gid, int flags)
{
	return (int)uk_ret(UK_CALL(fchownat, dirfd_to_linux(dirfd), path, id_to_linux(uid),
	                           id_to_linux(gid), atflags_to_linux(flags, 0), 0));
}

int chown(const char *path, uid_t uid, gid_t gid) { return fchownat(AT_FDCWD, path, uid, gid, 0); }

int lchown(const char *path, uid_t uid, gid_t gid)
{
	return fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW);
}

int fchown(int fd, uid_t uid, gid_t gid)
{
	return (int)uk_ret(UK_CALL(fchown, fd, id_to_linux(uid), id_to_linux(gid), 0, 0, 0));
}

/* Linux's UTIME_NOW/UTIME_OMIT differ from newlib's -2/-1. */
#ifndef UTIME_NOW
#define UTIME_NOW -2L
#define UTIME_OMIT -1L
#endif
static int times_to_linux(const struct timespec *t, struct timespec *lx)
{
	if (!t)
		return 0;
	for (int i = 0; i < 2; i++) {
		lx[i] = t[i];
		if (t[i].tv_nsec == UTIME_NOW)
			lx[i].tv_nsec = (1l << 30) - 1;
		else if (t[i].tv_nsec == UTIME_OMIT)
			lx[i].tv_nsec = (1l << 30) - 2;
	}
	return 1;
}

int utimensat(int dirfd, const char *path, const struct timespec *t, int flags)
{
	struct timespec lx[2];
	int given = times_to_linux(t, lx);

	return (int)uk_ret(UK_CALL(utimensat, dirfd_to_linux(dirfd), path, given ? lx : NULL,
	                           atflags_to_linux(flags, 0), 0, 0));
}

int futimens(int fd, const struct timespec *t)
{
	struct timespec lx[2];
	int given = times_to_linux(t, lx);

	return (int)uk_ret(UK_CALL(utimensat, fd, NULL, given ? lx : NULL, 0, 0, 0));
}

static int tv_to_ts(const struct timeval *tv, struct timespec *ts)
{
	if (!tv)
		return 0;
	for (int i = 0; i < 2; i++) {
		ts[i].tv_sec = tv[i].tv_sec;
		ts[i].tv_nsec = tv[i].tv_usec * 1000;
	}
	return 1;
}

int utimes(const char *path, const struct timeval *tv)
{
	struct timespec ts[2];
	return utimensat(AT_FDCWD, path, tv_to_ts(tv, ts) ? ts : NULL, 0);
}

int lutimes(const char *path, const struct timeval *tv)
{
	struct timespec ts[2];
	return utimensat(AT_FDCWD, path, tv_to_ts(tv, ts) ? ts : NULL, AT_SYMLINK_NOFOLLOW);
}

int futimes(int fd, const struct timeval *tv)
{
	struct timespec ts[2];
	return futimens(fd, tv_to_ts(tv, ts) ? ts : NULL);
}

int utime(const char *path, const struct utimbuf *b)
{
	struct timespec ts[2];

	if (!b)
		return utimensat(AT_FDCWD, path, NULL, 0);
	ts[0] = (struct timespec){ b->actime, 0 };
	ts[1] = (struct timespec){ b->modtime, 0 };
	return utimensat(AT_FDCWD, path, ts, 0);
}

/* ---- the working directory and mounts ---- */

int chdir(const char *path) { return (int)uk_ret(UK_CALL(chdir, path, 0, 0, 0, 0, 0)); }
int fchdir(int fd) { return (int)uk_ret(UK_CALL(fchdir, fd, 0, 0, 0, 0, 0)); }

int mount(const char *src, const char *target, const char *type, unsigned long flags,
          const void *data)
{
	return (int)uk_ret(UK_CALL(mount, src, target, type, flags, data, 0));
}

int umount2(const char *target, int flags)
{
	return (int)uk_ret(UK_CALL(umount2, target, flags, 0, 0, 0, 0));
}

int umount(const char *target) { return umount2(target, 0); }

/* ---- limits ---- */

static long path_conf(int name)
{
	switch (name) {
	case _PC_LINK_MAX: return 127;
	case _PC_MAX_CANON:
	case _PC_MAX_INPUT: return 255;
	case _PC_NAME_MAX: return 255;
	case _PC_PATH_MAX: return 4096;
	case _PC_PIPE_BUF: return 4096;
	case _PC_CHOWN_RESTRICTED: return 1;
	case _PC_NO_TRUNC: return 1;
	case _PC_VDISABLE: return 0;
	}
	errno = EINVAL;
	return -1;
}

long pathconf(const char *path, int name)
{
	struct stat st;
	return stat(path, &st) ? -1 : path_conf(name);
}

long fpathconf(int fd, int name)
{
	struct stat st;
	return fstat(fd, &st) ? -1 : path_conf(name);
}

int getdtablesize(void) { return 1024; }

/* ---- terminals: Linux's struct termios (sys/termios.h), by ioctl ---- */

#define LX_TCSETS 0x5402
#define LX_TCSBRK 0x5409
#define LX_TCXONC 0x540A
#define LX_TCFLSH 0x540B
#define LX_TIOCSPGRP 0x5410
#define LX_TIOCGPGRP 0x540F
#define LX_TIOCGSID 0x5429

struct lx_termios {
	unsigned iflag, oflag, cflag, lflag;
	unsigned char line, cc[19];
};

int tcgetattr(int fd, void *t) { return (int)uk_ret(UK_CALL(ioctl, fd, UK_LX_TCGETS, t, 0, 0, 0)); }

int tcsetattr(int fd, int when, const void *t)
{
	if (when < 0 || when > 2) {
		errno = EINVAL;
		return -1;
	}
	return (int)uk_ret(UK_CALL(ioctl, fd, LX_TCSETS + when, t, 0, 0, 0));
}

int tcsendbreak(int fd, int d)
{
	(void)d;
	return (int)uk_ret(UK_CALL(ioctl, fd, LX_TCSBRK, 0, 0, 0, 0));
}
int tcdrain(int fd) { return (int)uk_ret(UK_CALL(ioctl, fd, LX_TCSBRK, 1, 0, 0, 0)); }
int tcflow(int fd, int a) { return (int)uk_ret(UK_CALL(ioctl, fd, LX_TCXONC, a, 0, 0, 0)); }
int tcflush(int fd, int q) { return (int)uk_ret(UK_CALL(ioctl, fd, LX_TCFLSH, q, 0, 0, 0)); }

pid_t tcgetpgrp(int fd)
{
	int pg;
	return uk_ret(UK_CALL(ioctl, fd, LX_TIOCGPGRP, &pg, 0, 0, 0)) ? -1 : pg;
}

int tcsetpgrp(int fd, pid_t pg)
{
	int p = pg;
	return (int)uk_ret(UK_CALL(ioctl, fd, LX_TIOCSPGRP, &p, 0, 0, 0));
}

pid_t tcgetsid(int fd)
{
	int sid;
	return uk_ret(UK_CALL(ioctl, fd, LX_TIOCGSID, &sid, 0, 0, 0)) ? -1 : sid;
}

#define LX_CBAUD 0x0000100f

unsigned cfgetospeed(const struct lx_termios *t) { return t->cflag & LX_CBAUD; }
unsigned cfgetispeed(const struct lx_termios *t) { return t->cflag & LX_CBAUD; }

int cfsetospeed(struct lx_termios *t, unsigned s)
{
	if (s & ~LX_CBAUD) {
		errno = EINVAL;
		return -1;
	}
	t->cflag = (t->cflag & ~LX_CBAUD) | s;
	return 0;
}

int cfsetispeed(struct lx_termios *t, unsigned s) { return s ? cfsetospeed(t, s) : 0; }
int cfsetspeed(struct lx_termios *t, unsigned s) { return cfsetospeed(t, s); }

/* The values of the raw mode are Linux's (sys/termios.h). */
void cfmakeraw(struct lx_termios *t)
{
	t->iflag &= ~(0x001 | 0x002 | 0x008 | 0x020 | 0x040 | 0x080 | 0x100 | 0x400);
	t->oflag &= ~0x01u;
	t->lflag &= ~(0x00008 | 0x00040 | 0x00002 | 0x00001 | 0x08000);
	t->cflag = (t->cflag & ~(0x30u | 0x100u)) | 0x30;
	t->cc[6] = 1; /* VMIN */
	t->cc[5] = 0; /* VTIME */
}
