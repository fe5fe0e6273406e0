/*
 * The image's cpio (newc) archive, written with libarchive: its newc
 * writer, and its link resolver so a file with several names is stored
 * once (newc keeps the data with the last name). Link mode adds host
 * files (see rootfs.h), renumbering inodes so that files from different
 * host filesystems cannot collide; ukbuild oci puts its own entries
 * (layer_cpio.c).
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

struct ino_map {
	dev_t dev;
	ino_t ino;
	uint32_t num;
};

struct ukb_cpio {
	struct archive *a;
	struct archive_entry_linkresolver *links;
	ukb_cpio_read_fn *read; /* the data of entries without a source path */
	void *ctx;
	struct ino_map *map;
	size_t nmap, capmap;
	uint32_t next_ino;
	char *err;
	size_t errlen;
	char name[PATH_MAX + 16]; /* the archive, in messages */
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
	if (c->a)
		archive_write_free(c->a);
	if (c->links)
		archive_entry_linkresolver_free(c->links);
	free(c->map);
	free(c);
}

/* A newc writer and its link resolver, not yet open. */
static struct ukb_cpio *cpio_new(char *err, size_t errlen)
{
	struct ukb_cpio *c = calloc(1, sizeof(*c));

	err[0] = 0;
	if (!c || !(c->a = archive_write_new()) || !(c->links = archive_entry_linkresolver_new()) ||
	    archive_write_set_format_cpio_newc(c->a) != ARCHIVE_OK) {
		snprintf(err, errlen, "rootfs archive: out of memory");
		if (c)
			cpio_free(c);
		return NULL;
	}
	archive_entry_linkresolver_set_strategy(c->links, ARCHIVE_FORMAT_CPIO_SVR4_NOCRC);
	c->err = err;
	c->errlen = errlen;
	c->next_ino = 1;
	return c;
}

struct ukb_cpio *ukb_cpio_open(const char *path, char *err, size_t errlen)
{
	struct ukb_cpio *c = cpio_new(err, errlen);

	if (!c)
		return NULL;
	snprintf(c->name, sizeof(c->name), "rootfs archive %s", path);
	if (archive_write_open_filename(c->a, path) != ARCHIVE_OK) {
		fail(c, "%s: %s", c->name, archive_error_string(c->a));
		cpio_free(c);
		return NULL;
	}
	return c;
}

struct ukb_cpio *ukb_cpio_open_fd(int fd, const char *name, ukb_cpio_read_fn *read, void *ctx,
                                  char *err, size_t errlen)
{
	struct ukb_cpio *c = cpio_new(err, errlen);

	if (!c)
		return NULL;
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->read = read;
	c->ctx = ctx;
	if (archive_write_set_bytes_in_last_block(c->a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(c->a, fd) != ARCHIVE_OK) {
		fail(c, "%s: %s", c->name, archive_error_string(c->a));
		cpio_free(c);
		return NULL;
	}
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
		if (archive_write_data(c->a, buf, (size_t)n) != n) {
			r = fail(c, "%s: %s", c->name, archive_error_string(c->a));
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
		if (archive_write_data(c->a, buf, r) != r)
			return fail(c, "%s: %s", c->name, archive_error_string(c->a));
		off += r;
	}
	return 0;
}

static int write_entry(struct ukb_cpio *c, struct archive_entry *e)
{
	if (archive_write_header(c->a, e) < ARCHIVE_WARN)
		return fail(c, "%s: %s: %s", c->name, archive_entry_pathname(e),
		            archive_error_string(c->a));
	if (archive_entry_filetype(e) != AE_IFREG || archive_entry_size(e) <= 0)
		return 0;
	return archive_entry_sourcepath(e) ? copy_file(c, e) : copy_read(c, e);
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
	if (archive_write_close(c->a) != ARCHIVE_OK)
		r = fail(c, "%s: %s", c->name, archive_error_string(c->a));
	cpio_free(c);
	return r;
}
