/*
 * Writing the link-mode root filesystem archive (see rootfs.h) with
 * libarchive: its cpio "newc" writer, and its link resolver so a file with
 * several names is stored once (newc keeps the data with the last name).
 * Inode numbers are renumbered so that files from different host
 * filesystems cannot collide.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rootfs.h"
#include "ukbuild.h"

struct ino_map {
	dev_t dev;
	ino_t ino;
	uint32_t num;
};

struct ukb_cpio {
	struct archive *a;
	struct archive_entry_linkresolver *links;
	struct ino_map *map;
	size_t nmap, capmap;
	uint32_t next_ino;
	char *path;
};

struct ukb_cpio *ukb_cpio_open(const char *path)
{
	struct ukb_cpio *c = calloc(1, sizeof(*c));

	if (!c || !(c->a = archive_write_new()) || !(c->links = archive_entry_linkresolver_new()))
		goto nomem;
	c->path = strdup(path);
	archive_entry_linkresolver_set_strategy(c->links, ARCHIVE_FORMAT_CPIO_SVR4_NOCRC);
	if (archive_write_set_format_cpio_newc(c->a) != ARCHIVE_OK ||
	    archive_write_open_filename(c->a, path) != ARCHIVE_OK) {
		ukb_err("rootfs archive %s: %s", path, archive_error_string(c->a));
		archive_write_free(c->a);
		archive_entry_linkresolver_free(c->links);
		free(c->path);
		free(c);
		return NULL;
	}
	c->next_ino = 1;
	return c;
nomem:
	ukb_err("rootfs archive: out of memory");
	if (c && c->a)
		archive_write_free(c->a);
	free(c);
	return NULL;
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

static int write_data(struct ukb_cpio *c, struct archive_entry *e)
{
	const char *src = archive_entry_sourcepath(e);
	char buf[65536];
	ssize_t n;
	int fd = open(src, O_RDONLY | O_CLOEXEC), r = 0;
	int64_t left = archive_entry_size(e);

	if (fd < 0) {
		ukb_err("--rootfs/--add %s: %s", src, strerror(errno));
		return -1;
	}
	while (left > 0 && (n = read(fd, buf, sizeof(buf))) > 0) {
		if (n > left)
			n = (ssize_t)left;
		if (archive_write_data(c->a, buf, (size_t)n) != n) {
			ukb_err("rootfs archive %s: %s", c->path, archive_error_string(c->a));
			r = -1;
			break;
		}
		left -= n;
	}
	if (r == 0 && left > 0) { /* the file shrank while we read it */
		ukb_err("--rootfs/--add %s: %s", src,
		        n < 0 ? strerror(errno) : "changed while being read");
		r = -1;
	}
	close(fd);
	return r;
}

static int write_entry(struct ukb_cpio *c, struct archive_entry *e)
{
	if (archive_write_header(c->a, e) < ARCHIVE_WARN) {
		ukb_err("rootfs archive: %s: %s", archive_entry_pathname(e),
		        archive_error_string(c->a));
		return -1;
	}
	if (archive_entry_filetype(e) == AE_IFREG && archive_entry_size(e) > 0)
		return write_data(c, e);
	return 0;
}

/* Through the link resolver: it may hold an entry back until it has seen
 * the file's other names. */
static int put(struct ukb_cpio *c, struct archive_entry *e)
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
	if (!(e = archive_entry_new())) {
		ukb_err("rootfs archive: out of memory");
		return -1;
	}
	archive_entry_copy_stat(e, st);
	archive_entry_set_pathname(e, arc_name(guest));
	archive_entry_copy_sourcepath(e, host);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_dev(e, 0);
	archive_entry_set_ino(e, ino_for(c, st));
	if (S_ISLNK(st->st_mode)) {
		if ((n = readlink(host, target, sizeof(target) - 1)) < 0) {
			ukb_err("--rootfs/--add %s: %s", host, strerror(errno));
			archive_entry_free(e);
			return -1;
		}
		target[n] = 0;
		archive_entry_copy_symlink(e, target);
		archive_entry_set_size(e, 0);
	} else if (S_ISDIR(st->st_mode)) {
		archive_entry_set_size(e, 0);
	}
	return put(c, e);
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

	if (n < 0) {
		ukb_err("--rootfs/--add %s: %s", host, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;
		char *h, *g;
		if (r || !strcmp(nm, ".") || !strcmp(nm, "..")) {
			free(names[i]);
			continue;
		}
		h = join(host, nm);
		g = join(guest, nm);
		r = h && g ? ukb_cpio_add(c, h, g) : (ukb_err("out of memory"), -1);
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

	if (lstat(host, &st)) {
		ukb_err("--rootfs/--add %s: %s", host, strerror(errno));
		return -1;
	}
	if (guest[0] != '/') {
		ukb_err("--add %s:%s: the path in the image must be absolute", host, guest);
		return -1;
	}
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
	if (archive_write_close(c->a) != ARCHIVE_OK) {
		ukb_err("rootfs archive %s: %s", c->path, archive_error_string(c->a));
		r = -1;
	}
	archive_write_free(c->a);
	archive_entry_linkresolver_free(c->links);
	free(c->map);
	free(c->path);
	free(c);
	return r;
}
