/* newlib glue: files and descriptors (see glue.c for the conventions). */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uk/syscall.h>

#include "glue.h"

ssize_t read(int fd, void *buf, size_t n)
{
	return uk_ret(UK_CALL(read, fd, buf, n, 0, 0, 0));
}

ssize_t write(int fd, const void *buf, size_t n)
{
	return uk_ret(UK_CALL(write, fd, buf, n, 0, 0, 0));
}

int fstat(int fd, struct stat *st)
{
	struct uk_lx_stat lx;
	long r = uk_ret(UK_CALL(fstat, fd, &lx, 0, 0, 0, 0));

	if (r == 0)
		uk_stat_from_linux(st, &lx);
	return (int)r;
}

int isatty(int fd)
{
	struct uk_lx_termios t;
	return uk_ret(UK_CALL(ioctl, fd, UK_LX_TCGETS, &t, 0, 0, 0)) == 0;
}

/* Files arrive with the VFS; until then these fail honestly. */
int open(const char *path, int flags, int mode)
{
	(void)path, (void)flags, (void)mode;
	errno = ENOSYS;
	return -1;
}
int close(int fd) { return fd >= 0 && fd <= 2 ? 0 : (errno = EBADF, -1); }
off_t lseek(int fd, off_t off, int whence)
{
	(void)fd, (void)off, (void)whence;
	errno = ESPIPE;
	return -1;
}
int link(const char *a, const char *b) { (void)a, (void)b; errno = ENOSYS; return -1; }
int unlink(const char *p) { (void)p; errno = ENOSYS; return -1; }
int stat(const char *p, struct stat *st) { (void)p, (void)st; errno = ENOSYS; return -1; }

void uk_stat_from_linux(struct stat *st, const struct uk_lx_stat *lx)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = lx->dev;
	st->st_ino = lx->ino;
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
