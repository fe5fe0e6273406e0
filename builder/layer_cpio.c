/*
 * The root filesystem tree as the image's cpio (newc) archive, written
 * by link mode's writer (rootfs.h) for the same unpacker
 * (libos/fs/rootfs.c): a file with several names is stored once, its
 * data with the last name. Names are relative ("." is the root), owners
 * and modes as in the layers.
 */
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci.h"
#include "rootfs.h"

struct cpio_out {
	struct ukb_tree *t;
	struct ukb_cpio *cpio;
	const struct ukb_inode **inodes; /* by inode number: where data is */
	uint64_t ninodes, next_ino;
	char *err;
	size_t errlen;
};

/* The data of an entry, found by its inode number (it may come out of the
 * link resolver under another name than the one it went in with). */
static ssize_t read_inode(void *ctx, struct archive_entry *e, void *buf, size_t len, uint64_t off)
{
	struct cpio_out *c = ctx;
	uint64_t ino = archive_entry_ino64(e);

	return ino < c->ninodes ? ukb_tree_read(c->t, c->inodes[ino], buf, len, off) : -1;
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
	return ukb_cpio_put(c->cpio, e);
}

int ukb_rootfs_cpio(struct ukb_tree *t, int fd, uint64_t *bytes, char *err, size_t errlen)
{
	struct cpio_out c = { .t = t, .err = err, .errlen = errlen };
	int r = -1;

	err[0] = 0;
	c.ninodes = t->next_ino + 1;
	c.next_ino = c.ninodes;
	if (!(c.inodes = calloc(c.ninodes, sizeof(*c.inodes)))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (!(c.cpio = ukb_cpio_open_fd(fd, "cpio", read_inode, &c, err, errlen)))
		goto out;
	if ((r = ukb_tree_walk(t, put_node, &c)) && !err[0])
		snprintf(err, errlen, "%s", t->err);
	if (ukb_cpio_close(c.cpio))
		r = -1;
out:
	free(c.inodes);
	*bytes = lseek(fd, 0, SEEK_END) > 0 ? (uint64_t)lseek(fd, 0, SEEK_CUR) : 0;
	return r ? -1 : 0;
}
