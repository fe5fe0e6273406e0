/*
 * The root filesystem tree as the image's cpio (newc) archive, written
 * with libarchive's newc writer and link resolver like link mode's
 * --rootfs (rootfs.c), for the same unpacker (libos/fs/rootfs.c): a file
 * with several names is stored once, its data with the last name. Names
 * are relative ("." is the root), owners and modes as in the layers.
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci.h"

struct cpio_out {
	struct ukb_tree *t;
	struct archive *a;
	struct archive_entry_linkresolver *links;
	const struct ukb_inode **inodes; /* by inode number: where data is */
	uint64_t ninodes, next_ino;
	char *err;
	size_t errlen;
};

static int write_data(struct cpio_out *c, struct archive_entry *e)
{
	static char buf[1 << 16];
	uint64_t size = archive_entry_size(e), ino = archive_entry_ino64(e);
	const struct ukb_inode *in = ino < c->ninodes ? c->inodes[ino] : NULL;

	for (uint64_t off = 0; off < size;) {
		ssize_t r = in ? ukb_tree_read(c->t, in, buf, sizeof(buf), off) : -1;
		if (r <= 0 || archive_write_data(c->a, buf, r) != r) {
			snprintf(c->err, c->errlen, "cpio: %s",
				 r <= 0 ? "temporary file: read error" : archive_error_string(c->a));
			return -1;
		}
		off += r;
	}
	return 0;
}

static int write_entry(struct cpio_out *c, struct archive_entry *e)
{
	if (archive_write_header(c->a, e) < ARCHIVE_WARN) {
		snprintf(c->err, c->errlen, "cpio: %s: %s", archive_entry_pathname(e),
			 archive_error_string(c->a));
		return -1;
	}
	if (archive_entry_filetype(e) == AE_IFREG && archive_entry_size(e) > 0)
		return write_data(c, e);
	return 0;
}

/* Through the link resolver: it holds an entry back until the file's
 * other names have been seen. */
static int put_entry(struct cpio_out *c, struct archive_entry *e)
{
	struct archive_entry *spare = NULL;
	int r = 0;

	archive_entry_linkify(c->links, &e, &spare);
	if (e) {
		r = write_entry(c, e);
		archive_entry_free(e);
	}
	if (spare) {
		if (!r)
			r = write_entry(c, spare);
		archive_entry_free(spare);
	}
	return r;
}

static int put_node(void *ctx, const char *path, const struct ukb_node *n)
{
	struct cpio_out *c = ctx;
	struct archive_entry *e = archive_entry_new();
	uint64_t size = n->inode ? n->inode->size : 0;

	if (!e) {
		snprintf(c->err, c->errlen, "out of memory");
		return -1;
	}
	if (size > 0xffffffffu) {
		snprintf(c->err, c->errlen, "'%s' is larger than 4 GiB (newc's limit)", path);
		archive_entry_free(e);
		return -1;
	}
	archive_entry_set_pathname(e, path[0] ? path : ".");
	archive_entry_set_mode(e, n->mode);
	archive_entry_set_uid(e, n->uid);
	archive_entry_set_gid(e, n->gid);
	archive_entry_set_mtime(e, n->mtime < 0 ? 0 : n->mtime, 0);
	archive_entry_set_size(e, size);
	if (n->target)
		archive_entry_copy_symlink(e, n->target);
	if (n->inode) {
		/* The data is found again by inode number when the entry
		 * comes out of the link resolver. */
		if (n->inode->ino >= c->ninodes) {
			snprintf(c->err, c->errlen, "cpio: inode numbering");
			archive_entry_free(e);
			return -1;
		}
		c->inodes[n->inode->ino] = n->inode;
		archive_entry_set_ino64(e, n->inode->ino);
		archive_entry_set_nlink(e, n->inode->nlink);
	} else {
		archive_entry_set_ino64(e, c->next_ino++); /* unique: no links */
		archive_entry_set_nlink(e, S_ISDIR(n->mode) ? 2 : 1);
	}
	return put_entry(c, e);
}

int ukb_rootfs_cpio(struct ukb_tree *t, int fd, uint64_t *bytes, char *err, size_t errlen)
{
	struct cpio_out c = { .t = t, .err = err, .errlen = errlen };
	struct archive_entry *e, *spare;
	int r = -1;

	err[0] = 0;
	c.ninodes = t->next_ino + 1;
	c.next_ino = c.ninodes;
	if (!(c.inodes = calloc(c.ninodes, sizeof(*c.inodes))) || !(c.a = archive_write_new()) ||
	    !(c.links = archive_entry_linkresolver_new())) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	archive_entry_linkresolver_set_strategy(c.links, ARCHIVE_FORMAT_CPIO_SVR4_NOCRC);
	if (archive_write_set_format_cpio_newc(c.a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(c.a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(c.a, fd) != ARCHIVE_OK) {
		snprintf(err, errlen, "cpio: %s", archive_error_string(c.a));
		goto out;
	}
	if ((r = ukb_tree_walk(t, put_node, &c))) {
		if (!err[0])
			snprintf(err, errlen, "%s", t->err);
		goto out;
	}
	/* Names whose other links never came (none, when nlink is right). */
	for (e = NULL, spare = NULL;; ) {
		archive_entry_linkify(c.links, &e, &spare);
		if (!e)
			break;
		r = write_entry(&c, e);
		archive_entry_free(e);
		if (r)
			goto out;
	}
	if (archive_write_close(c.a) != ARCHIVE_OK) {
		snprintf(err, errlen, "cpio: %s", archive_error_string(c.a));
		r = -1;
	}
out:
	if (c.links)
		archive_entry_linkresolver_free(c.links);
	if (c.a)
		archive_write_free(c.a);
	free(c.inodes);
	*bytes = lseek(fd, 0, SEEK_END) > 0 ? (uint64_t)lseek(fd, 0, SEEK_CUR) : 0;
	return r ? -1 : 0;
}
