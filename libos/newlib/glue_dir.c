/*
 * newlib glue: directories (the readdir family over getdents64), the
 * working directory's name, realpath. newlib's x86_64-elf build has none
 * of these (see glue.c for the conventions).
 */
#include <errno.h>
/* Ours, not newlib's (whose sys/dirent.h is an #error): the glue is built
 * with newlib's headers ahead of libos/include/posix. */
#include "../include/posix/sys/dirent.h"
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uk/print.h>
#include <uk/syscall.h>

#include "glue.h"

#define LX_O_DIRECTORY 0200000
#define LX_O_CLOEXEC 02000000
#define LX_O_PATH 010000000
#define LX_AT_FDCWD -100
#define DIRBUF 32768

struct lx_dirent64 {
	uint64_t ino;
	int64_t off;
	uint16_t reclen;
	uint8_t type;
	char name[];
};

struct __uk_dir {
	int fd;
	size_t pos, len;
	long tell; /* position of the next entry, for telldir */
	struct dirent ent;
	char buf[DIRBUF];
};

DIR *fdopendir(int fd)
{
	struct stat st;
	DIR *d;

	if (fstat(fd, &st))
		return NULL;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return NULL;
	}
	if (!(d = malloc(sizeof(*d))))
		return NULL;
	d->fd = fd;
	d->pos = d->len = 0;
	d->tell = lseek(fd, 0, SEEK_CUR);
	return d;
}

DIR *opendir(const char *path)
{
	int fd =
	    (int)uk_ret(UK_CALL(openat, LX_AT_FDCWD, path, LX_O_DIRECTORY | LX_O_CLOEXEC, 0, 0, 0));
	DIR *d;

	if (fd < 0)
		return NULL;
	if (!(d = fdopendir(fd))) {
		int e = errno;
		close(fd);
		errno = e;
	}
	return d;
}

int closedir(DIR *d)
{
	int r;

	if (!d) {
		errno = EBADF;
		return -1;
	}
	r = close(d->fd);
	free(d);
	return r;
}

int dirfd(DIR *d) { return d->fd; }

struct dirent *readdir(DIR *d)
{
	struct lx_dirent64 *e;
	size_t n;

	if (d->pos >= d->len) {
		long r = uk_ret(UK_CALL(getdents64, d->fd, d->buf, sizeof(d->buf), 0, 0, 0));
		if (r <= 0)
			return NULL; /* the end (errno untouched) or an error */
		d->len = (size_t)r;
		d->pos = 0;
	}
	e = (struct lx_dirent64 *)(d->buf + d->pos);
	d->pos += e->reclen;
	d->tell = e->off;
	d->ent.d_ino = (ino_t)e->ino;
	d->ent.d_off = e->off;
	d->ent.d_type = e->type;
	n = strnlen(e->name, sizeof(d->ent.d_name) - 1);
	memcpy(d->ent.d_name, e->name, n);
	d->ent.d_name[n] = 0;
	d->ent.d_reclen = (unsigned short)(offsetof(struct dirent, d_name) + n + 1);
	return &d->ent;
}

int readdir_r(DIR *d, struct dirent *ent, struct dirent **out)
{
	int saved = errno;
	struct dirent *e;

	errno = 0;
	e = readdir(d);
	if (!e && errno) {
		int r = errno;
		errno = saved;
		return r;
	}
	errno = saved;
	if (e)
		memcpy(ent, e, sizeof(*ent));
	*out = e ? ent : NULL;
	return 0;
}

long telldir(DIR *d) { return d->tell; }

void seekdir(DIR *d, long pos)
{
	if (lseek(d->fd, pos, SEEK_SET) >= 0) {
		d->pos = d->len = 0;
		d->tell = pos;
	}
}

void rewinddir(DIR *d) { seekdir(d, 0); }

int alphasort(const struct dirent **a, const struct dirent **b)
{
	return strcoll((*a)->d_name, (*b)->d_name);
}

int scandir(const char *path, struct dirent ***out, int (*keep)(const struct dirent *),
            int (*cmp)(const struct dirent **, const struct dirent **))
{
	DIR *d = opendir(path);
	struct dirent **v = NULL, *e, **nv;
	size_t n = 0, cap = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (keep && !keep(e))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if (!(nv = realloc(v, cap * sizeof(*v))))
				goto fail;
			v = nv;
		}
		if (!(v[n] = malloc(sizeof(*e))))
			goto fail;
		memcpy(v[n++], e, sizeof(*e));
	}
	closedir(d);
	if (cmp && n)
		qsort(v, n, sizeof(*v), (int (*)(const void *, const void *))cmp);
	*out = v;
	return (int)n;
fail:
	while (n)
		free(v[--n]);
	free(v);
	closedir(d);
	errno = ENOMEM;
	return -1;
}

/* ---- the working directory and canonical names ---- */

char *getcwd(char *buf, size_t size)
{
	char *mine = NULL;
	long r;

	if (!buf) { /* glibc's extension: allocate (size is a minimum) */
		size = size > PATH_MAX ? size : PATH_MAX;
		if (!(buf = mine = malloc(size)))
			return NULL;
	} else if (!size) {
		errno = EINVAL;
		return NULL;
	}
	r = uk_ret(UK_CALL(getcwd, buf, size, 0, 0, 0, 0));
	if (r < 0) {
		free(mine);
		return NULL;
	}
	return buf;
}

char *getwd(char *buf) { return getcwd(buf, PATH_MAX); }

char *get_current_dir_name(void) { return getcwd(NULL, 0); }

/* The VFS already knows every file's canonical path: open the name (any
 * kind of file, O_PATH) and read it back through /proc/self/fd. */
char *realpath(const char *path, char *resolved)
{
	char link[32], *out = resolved;
	long fd, n;

	if (!path) {
		errno = EINVAL;
		return NULL;
	}
	fd = uk_ret(UK_CALL(openat, LX_AT_FDCWD, path, LX_O_PATH | LX_O_CLOEXEC, 0, 0, 0));
	if (fd < 0)
		return NULL;
	if (!out && !(out = malloc(PATH_MAX))) {
		close((int)fd);
		return NULL;
	}
	uk_snprintf(link, sizeof(link), "/proc/self/fd/%ld", fd);
	n = readlink(link, out, PATH_MAX - 1);
	close((int)fd);
	if (n < 0 || out[0] != '/') {
		if (n >= 0)
			errno = ENOENT; /* no name any more */
		if (!resolved)
			free(out);
		return NULL;
	}
	out[n] = 0;
	return out;
}

/* ---- temporary names ----
 *
 * newlib's mktemp family is built without mkdir (mkdtemp fails with
 * ENOSYS) and fills names from the pid; these replace the whole family
 * (one object in libc.a, so all of it or none). */

static void temp_fill(char *x)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	static uint64_t mix = 0x9e3779b97f4a7c15ull;
	unsigned char r[6];

	if (UK_CALL(getrandom, r, sizeof(r), 0, 0, 0, 0) != sizeof(r)) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		mix = (mix ^ (uint64_t)ts.tv_nsec) * 0xff51afd7ed558ccdull;
		memcpy(r, &mix, sizeof(r));
	}
	for (int i = 0; i < 6; i++)
		x[i] = set[r[i] % (sizeof(set) - 1)];
}

/* kind: 0 a name only, 1 a file (returns its descriptor), 2 a directory. */
static int gettemp(char *path, int suffixlen, int flags, int kind)
{
	size_t len = strlen(path);
	char *x;

	if (suffixlen < 0 || len < (size_t)suffixlen + 6) {
		errno = EINVAL;
		return -1;
	}
	x = path + len - suffixlen - 6;
	if (strspn(x, "X") < 6) {
		errno = EINVAL;
		return -1;
	}
	for (int tries = 0; tries < 1000; tries++) {
		struct stat st;
		int fd;
		temp_fill(x);
		if (kind == 2 && mkdir(path, 0700) == 0)
			return 0;
		if (kind == 1 && (fd = open(path, O_RDWR | O_CREAT | O_EXCL | flags, 0600)) >= 0)
			return fd;
		if (kind == 0 && lstat(path, &st) && errno == ENOENT)
			return 0;
		if (kind && errno != EEXIST)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

int mkostemps(char *path, int suffixlen, int flags) { return gettemp(path, suffixlen, flags, 1); }
int mkstemps(char *path, int suffixlen) { return gettemp(path, suffixlen, 0, 1); }
int mkostemp(char *path, int flags) { return gettemp(path, 0, flags, 1); }
int mkstemp(char *path) { return gettemp(path, 0, 0, 1); }
char *mkdtemp(char *path) { return gettemp(path, 0, 0, 2) ? NULL : path; }

char *mktemp(char *path)
{
	if (gettemp(path, 0, 0, 0))
		path[0] = 0;
	return path;
}

int _mkostemps_r(struct _reent *re, char *p, int s, int f)
{
	(void)re;
	return mkostemps(p, s, f);
}
int _mkstemps_r(struct _reent *re, char *p, int s)
{
	(void)re;
	return mkstemps(p, s);
}
int _mkostemp_r(struct _reent *re, char *p, int f)
{
	(void)re;
	return mkostemp(p, f);
}
int _mkstemp_r(struct _reent *re, char *p)
{
	(void)re;
	return mkstemp(p);
}
char *_mkdtemp_r(struct _reent *re, char *p)
{
	(void)re;
	return mkdtemp(p);
}
char *_mktemp_r(struct _reent *re, char *p)
{
	(void)re;
	if (gettemp(p, 0, 0, 0))
		p[0] = 0;
	return p;
}
