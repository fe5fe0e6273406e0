/*
 * The image's cpio (newc) archive: written here, with libarchive's link
 * resolver so a file with several names is stored once (newc keeps the
 * data with the last name). Link mode adds host files (see rootfs.h),
 * renumbering inodes so that files from different host filesystems
 * cannot collide; ukbuild oci puts its own entries (layer_cpio.c).
 *
 * A regular file of a page or more has its data page aligned in the
 * archive: the library OS then maps the archive's pages of a file into a
 * program instead of copying them (libos/mm/mmap_file.c). newc leaves no
 * room for padding but the name's: namesize counts NULs after the name,
 * which cpio readers take as the name's end (GNU cpio, libarchive and
 * uk's own read the name as a C string).
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rootfs.h"

#define HDR 110 /* newc's header: magic and 13 eight-digit hex fields */
#define ALIGN 4096

struct ino_map {
	dev_t dev;
	ino_t ino;
	uint32_t num;
};

struct ukb_cpio {
	int fd, own_fd;
	uint64_t off; /* bytes of archive so far */
	size_t nbuf;
	struct archive_entry_linkresolver *links;
	ukb_cpio_read_fn *read; /* the data of entries without a source path */
	void *ctx;
	struct ino_map *map;
	size_t nmap, capmap;
	uint32_t next_ino;
	char *err;
	size_t errlen;
	char name[PATH_MAX + 16]; /* the archive, in messages */
	char buf[1 << 16];
};

/* The first failure's message stays in err: later ones follow from it. */
__attribute__((format(printf, 2, 3))) static int fail(struct ukb_cpio *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->err[0]) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static void cpio_free(struct ukb_cpio *c)
{
	if (c->own_fd && c->fd >= 0)
		close(c->fd);
	if (c->links)
		archive_entry_linkresolver_free(c->links);
	free(c->map);
	free(c);
}

static int flush(struct ukb_cpio *c)
{
	for (size_t done = 0; done < c->nbuf;) {
		ssize_t n = write(c->fd, c->buf + done, c->nbuf - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return fail(c, "%s: %s", c->name, n < 0 ? strerror(errno) : "short write");
		done += (size_t)n;
	}
	c->nbuf = 0;
	return 0;
}

static int out(struct ukb_cpio *c, const void *p, size_t len)
{
	while (len) {
		size_t n = sizeof(c->buf) - c->nbuf < len ? sizeof(c->buf) - c->nbuf : len;
		memcpy(c->buf + c->nbuf, p, n);
		c->nbuf += n, c->off += n;
		p = (const char *)p + n, len -= n;
		if (c->nbuf == sizeof(c->buf) && flush(c))
			return -1;
	}
	return 0;
}

/* NULs up to the next multiple of to. */
static int pad(struct ukb_cpio *c, uint64_t to)
{
	static const char zero[ALIGN];

	return out(c, zero, (to - c->off % to) % to);
}

/* Header and name of an entry of size bytes of data; a regular file of a
 * page or more gets NULs after its name up to a page-aligned start. */
static int put_header(struct ukb_cpio *c, struct archive_entry *e, const char *name, uint64_t size)
{
	unsigned mode = archive_entry_mode(e), special = S_ISCHR(mode) || S_ISBLK(mode);
	uint64_t namesize = strlen(name) + 1, at = c->off + HDR + namesize;
	char h[HDR + 1];

	if (S_ISREG(mode) && size >= ALIGN)
		namesize += (ALIGN - (at + 3) / 4 * 4 % ALIGN) % ALIGN;
	if (archive_entry_ino64(e) > 0xffffffffu)
		return fail(c, "%s: %s: too many files for newc's inode numbers", c->name, name);
	snprintf(h, sizeof(h), "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
	         (unsigned)archive_entry_ino64(e), mode, (unsigned)archive_entry_uid(e),
	         (unsigned)archive_entry_gid(e), archive_entry_nlink(e),
	         (unsigned)archive_entry_mtime(e), (unsigned)size,
	         (unsigned)archive_entry_devmajor(e), (unsigned)archive_entry_devminor(e),
	         special ? (unsigned)archive_entry_rdevmajor(e) : 0,
	         special ? (unsigned)archive_entry_rdevminor(e) : 0, (unsigned)namesize, 0u);
	if (out(c, h, HDR) || out(c, name, strlen(name)))
		return -1;
	for (uint64_t i = strlen(name); i < namesize; i++)
		if (out(c, "", 1))
			return -1;
	return pad(c, 4);
}

/* A writer and its link resolver on fd. */
static struct ukb_cpio *cpio_new(int fd, int own_fd, char *err, size_t errlen)
{
	struct ukb_cpio *c = calloc(1, sizeof(*c));

	err[0] = 0;
	if (!c || !(c->links = archive_entry_linkresolver_new())) {
		snprintf(err, errlen, "rootfs archive: out of memory");
		if (c)
			cpio_free(c);
		else if (own_fd)
			close(fd);
		return NULL;
	}
	archive_entry_linkresolver_set_strategy(c->links, ARCHIVE_FORMAT_CPIO_SVR4_NOCRC);
	c->fd = fd;
	c->own_fd = own_fd;
	c->err = err;
	c->errlen = errlen;
	c->next_ino = 1;
	return c;
}

struct ukb_cpio *ukb_cpio_open(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	struct ukb_cpio *c;

	if (fd < 0) {
		snprintf(err, errlen, "rootfs archive %s: %s", path, strerror(errno));
		return NULL;
	}
	if (!(c = cpio_new(fd, 1, err, errlen)))
		return NULL;
	snprintf(c->name, sizeof(c->name), "rootfs archive %s", path);
	return c;
}

struct ukb_cpio *ukb_cpio_open_fd(int fd, const char *name, ukb_cpio_read_fn *read, void *ctx,
                                  char *err, size_t errlen)
{
	struct ukb_cpio *c = cpio_new(fd, 0, err, errlen);

	if (!c)
		return NULL;
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->read = read;
	c->ctx = ctx;
	return c;
}

/* A fresh inode number, the same one for every name of a hard-linked file. */
static uint32_t ino_for(struct ukb_cpio *c, const struct stat *st)
{
	struct ino_map *m;

	if (S_ISDIR(st->st_mode) || st->st_nlink < 2)
		return c->next_ino++;
	for (size_t i = 0; i < c->nmap; i++)
		if (c->map[i].dev == st->st_dev && c->map[i].ino == st->st_ino)
			return c->map[i].num;
	if (c->nmap == c->capmap) {
		size_t cap = c->capmap ? c->capmap * 2 : 64;
		if (!(m = realloc(c->map, cap * sizeof(*m))))
			return c->next_ino++; /* then stored as separate copies */
		c->map = m;
		c->capmap = cap;
	}
	c->map[c->nmap] = (struct ino_map){ st->st_dev, st->st_ino, c->next_ino++ };
	return c->map[c->nmap++].num;
}

/* e's data from the host file it was added from. */
static int copy_file(struct ukb_cpio *c, struct archive_entry *e)
{
	const char *src = archive_entry_sourcepath(e);
	char buf[65536];
	ssize_t n;
	int fd = open(src, O_RDONLY | O_NONBLOCK | O_CLOEXEC), r = 0; /* a FIFO: no wait */
	int64_t left = archive_entry_size(e);

	if (fd < 0)
		return fail(c, "--rootfs/--add %s: %s", src, strerror(errno));
	while (left > 0 && (n = read(fd, buf, sizeof(buf))) > 0) {
		if (n > left)
			n = (ssize_t)left;
		if (out(c, buf, (size_t)n)) {
			r = -1;
			break;
		}
		left -= n;
	}
	if (r == 0 && left > 0) /* the file shrank while we read it */
		r = fail(c, "--rootfs/--add %s: %s", src,
		         n < 0 ? strerror(errno) : "changed while being read");
	close(fd);
	return r;
}

/* e's data from the read callback. */
static int copy_read(struct ukb_cpio *c, struct archive_entry *e)
{
	static char buf[1 << 16];
	uint64_t size = archive_entry_size(e);

	for (uint64_t off = 0; off < size;) {
		ssize_t r = c->read ? c->read(c->ctx, e, buf, sizeof(buf), off) : -1;
		if (r <= 0)
			return fail(c, "%s: %s: cannot read its data", c->name,
			            archive_entry_pathname(e));
		if (out(c, buf, (size_t)r))
			return -1;
		off += r;
	}
	return 0;
}

static int write_entry(struct ukb_cpio *c, struct archive_entry *e)
{
	const char *name = archive_entry_pathname(e), *target = archive_entry_symlink(e);
	unsigned type = archive_entry_filetype(e);
	uint64_t size = type == AE_IFREG && archive_entry_size(e) > 0 ? archive_entry_size(e) : 0;
	int r;

	if (type == AE_IFLNK)
		size = target ? strlen(target) : 0;
	if (!name || size > 0xffffffffu)
		return fail(c, "%s: %s: no name, or larger than 4 GiB (newc's limit)", c->name,
		            name ? name : "?");
	if (put_header(c, e, name, size))
		return -1;
	if (type == AE_IFLNK)
		r = out(c, target, size);
	else if (size)
		r = archive_entry_sourcepath(e) ? copy_file(c, e) : copy_read(c, e);
	else
		r = 0;
	return r ? r : pad(c, 4);
}

int ukb_cpio_put(struct ukb_cpio *c, struct archive_entry *e)
{
	struct archive_entry *spare = NULL;
	int r = 0;

	archive_entry_linkify(c->links, &e, &spare);
	if (e) {
		r = write_entry(c, e);
		archive_entry_free(e);
	}
	if (spare) {
		if (r == 0)
			r = write_entry(c, spare);
		archive_entry_free(spare);
	}
	return r;
}

/* The archive's name for guest path g: relative, no trailing slash. */
static const char *arc_name(const char *g)
{
	while (*g == '/')
		g++;
	return *g ? g : ".";
}

static int add_one(struct ukb_cpio *c, const char *host, const char *guest, const struct stat *st)
{
	struct archive_entry *e;
	char target[PATH_MAX];
	ssize_t n;

	if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode) && !S_ISLNK(st->st_mode)) {
		fprintf(stderr, "ukbuild: warning: %s: not a file, directory or symlink: skipped\n",
		        host);
		return 0;
	}
	if (!(e = archive_entry_new()))
		return fail(c, "%s: out of memory", c->name);
	archive_entry_copy_stat(e, st);
	archive_entry_set_pathname(e, arc_name(guest));
	archive_entry_copy_sourcepath(e, host);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_dev(e, 0);
	archive_entry_set_ino(e, ino_for(c, st));
	if (S_ISLNK(st->st_mode)) {
		if ((n = readlink(host, target, sizeof(target) - 1)) < 0) {
			archive_entry_free(e);
			return fail(c, "--rootfs/--add %s: %s", host, strerror(errno));
		}
		target[n] = 0;
		archive_entry_copy_symlink(e, target);
		archive_entry_set_size(e, 0);
	} else if (S_ISDIR(st->st_mode)) {
		archive_entry_set_size(e, 0);
	}
	return ukb_cpio_put(c, e);
}

static char *join(const char *a, const char *b)
{
	size_t la = strlen(a);
	char *s = malloc(la + strlen(b) + 2);

	if (s)
		sprintf(s, "%s%s%s", a, la && a[la - 1] == '/' ? "" : "/", b);
	return s;
}

/* Everything below directory host, as guest/... (sorted: reproducible). */
static int add_tree(struct ukb_cpio *c, const char *host, const char *guest)
{
	struct dirent **names;
	int n = scandir(host, &names, NULL, alphasort), r = 0;

	if (n < 0)
		return fail(c, "--rootfs/--add %s: %s", host, strerror(errno));
	for (int i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;
		char *h, *g;
		if (r || !strcmp(nm, ".") || !strcmp(nm, "..")) {
			free(names[i]);
			continue;
		}
		h = join(host, nm);
		g = join(guest, nm);
		r = h && g ? ukb_cpio_add(c, h, g) : fail(c, "out of memory");
		free(h);
		free(g);
		free(names[i]);
	}
	free(names);
	return r;
}

int ukb_cpio_add(struct ukb_cpio *c, const char *host, const char *guest)
{
	struct stat st;

	if (lstat(host, &st))
		return fail(c, "--rootfs/--add %s: %s", host, strerror(errno));
	if (guest[0] != '/')
		return fail(c, "--add %s:%s: the path in the image must be absolute", host, guest);
	if (strcmp(arc_name(guest), ".") && add_one(c, host, guest, &st))
		return -1;
	return S_ISDIR(st.st_mode) ? add_tree(c, host, guest) : 0;
}

int ukb_cpio_close(struct ukb_cpio *c)
{
	struct archive_entry *e, *spare;
	int r = 0;

	/* names of hard-linked files whose other names were not added */
	for (;;) {
		e = NULL;
		spare = NULL;
		archive_entry_linkify(c->links, &e, &spare);
		if (!e)
			break;
		if (r == 0)
			r = write_entry(c, e);
		archive_entry_free(e);
	}
	if (r == 0 && !(e = archive_entry_new()))
		r = fail(c, "%s: out of memory", c->name);
	if (r == 0) {
		archive_entry_set_pathname(e, "TRAILER!!!");
		archive_entry_set_nlink(e, 1);
		r = write_entry(c, e) || flush(c) ? -1 : 0;
		archive_entry_free(e);
	}
	cpio_free(c);
	return r;
}
