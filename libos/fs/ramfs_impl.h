/*
 * ramfs's own: a node's state and what its files share (ramfs.c: the
 * tree and file data; ramfs_anon.c: files without a name, and seals).
 */
#ifndef UK_FS_RAMFS_IMPL_H
#define UK_FS_RAMFS_IMPL_H

#include <uk/vfs.h>

#define PAGE 4096ul
#define MAX_FILE (1ull << 40) /* bytes: far above any RAM we get */

/* O_TMPFILE's files (tmpfile): linkat may name one, unless O_EXCL,
 * and only once. */
enum { RAMFS_NAMED, RAMFS_TMP_LINKABLE, RAMFS_TMP_EXCL, RAMFS_TMP_LINKED };

struct ramfs_node {
	uint32_t nlink;
	uint32_t rdev;
	struct __kernel_timespec atime, mtime, ctime;
	/* directories */
	struct ramfs_dirent *head, *tail;
	uint64_t next_seq;
	/* regular files */
	uint64_t size;
	uint8_t **pages;
	size_t npages;      /* slots in pages[] */
	size_t nalloc;      /* pages allocated, for st_blocks */
	const uint8_t *ext; /* the archive's bytes, until first written */
	unsigned seals;     /* F_SEAL_*: what may no longer change */
	int tmp;            /* RAMFS_TMP_*: an O_TMPFILE's */
	char *memfd;        /* a memfd's name, "memfd:NAME" */
	/* symlinks */
	char *target;
};

struct ramfs_sb {
	uint64_t next_ino;
	uint32_t dev;
};

static inline struct ramfs_node *node(struct uk_vnode *vn) { return vn->priv; }

/* A new node of mnt, with one reference; NULL when out of memory. */
struct uk_vnode *uk_ramfs_node_new(struct uk_mount *mnt, uint32_t mode);
int uk_ramfs_mount(struct uk_mount *mnt, const char *source, const void *data,
                   struct uk_vnode **root);

/* ramfs_anon.c's vnode operations (uk/vfs.h), and what the seals refuse:
 * a write of *len bytes at off (*len may shrink: F_SEAL_GROW stops at
 * the last page boundary within the size, as Linux's page-by-page write
 * does), a resize to size, a punched hole, a mode. 0 or -EPERM. */
int uk_ramfs_seals(struct uk_vnode *vn, unsigned add);
int uk_ramfs_tmpfile(struct uk_vnode *dir, uint32_t mode, int excl, struct uk_vnode **out);
long uk_ramfs_dname(struct uk_vnode *vn, char *buf, size_t size);
int uk_ramfs_seal_write(const struct ramfs_node *n, uint64_t off, size_t *len);
int uk_ramfs_seal_resize(const struct ramfs_node *n, uint64_t size);
int uk_ramfs_seal_punch(const struct ramfs_node *n);
int uk_ramfs_seal_mode(const struct uk_vnode *vn, uint32_t mode);

#endif
