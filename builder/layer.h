/*
 * A root filesystem assembled in memory: OCI layers applied in order with
 * their whiteouts, host directories and files added on top, then written
 * out as the image's cpio archive.
 *
 * Nothing here touches the host's filesystem beyond reading what it is
 * given: entries of a hostile layer can only ever change this tree. The
 * rules (Docker's and the OCI image spec's):
 *   - paths are relative to the root; a leading "/" is dropped; a ".."
 *     component is refused (the whole layer fails);
 *   - a symbolic link met in the middle of a path is resolved INSIDE the
 *     tree (an absolute target starts at the tree's root, ".." stops at
 *     it), as Docker's chrooted unpacker does; the last component is never
 *     followed: an entry replaces a symlink, it does not write through it;
 *   - hard links point at an entry already in the tree, never a directory;
 *   - ".wh.NAME" hides NAME of lower layers, ".wh..wh..opq" hides every
 *     lower-layer entry of its directory;
 *   - device nodes, FIFOs and sockets are skipped (counted; the caller
 *     prints a note): the library OS has no device files of its own kind.
 * File contents go to an unlinked temporary file, not into memory.
 */
#ifndef UKB_LAYER_H
#define UKB_LAYER_H

#include <stdint.h>
#include <sys/types.h>

/* Contents of a regular file; shared by hard links. */
struct ukb_inode {
	uint64_t off, size; /* in the tree's data file */
	int nlink;
	uint64_t ino;
};

struct ukb_node {
	char *name;
	uint32_t mode; /* S_IFMT type and permission bits (with setuid...) */
	uint32_t uid, gid;
	int64_t mtime;
	int layer; /* the layer that last wrote it */
	struct ukb_node *parent;
	struct ukb_node *first, *last; /* children of a directory */
	struct ukb_node *prev, *next;  /* siblings */
	struct ukb_node *hnext;        /* the tree's hash chain */
	struct ukb_inode *inode;       /* regular files */
	char *target;                  /* symlinks */
};

struct ukb_tree {
	struct ukb_node *root;
	struct ukb_node **hash;
	size_t nbuckets, nnodes;
	int data_fd;
	uint64_t data_size; /* bytes in the data file (some superseded) */
	uint64_t max_bytes; /* refuse more file data than this */
	uint64_t next_ino;
	int layer;        /* layer being applied (1, 2, ...); 0 = none */
	int whiteouts;    /* honour .wh. entries (layers only) */
	unsigned skipped; /* device nodes, FIFOs, sockets skipped */
	char skipped_example[128];
	char err[512]; /* why the last call failed */
};

enum ukb_etype { UKB_E_DIR, UKB_E_FILE, UKB_E_SYMLINK, UKB_E_HARDLINK, UKB_E_OTHER };

/* One entry to put into the tree. */
struct ukb_entry {
	const char *path;
	enum ukb_etype type;
	uint32_t perm; /* mode & 07777 */
	uint32_t uid, gid;
	int64_t mtime;
	const char *link; /* symlink target, or a hard link's target path */
	/* Regular files: fill buf, return the bytes (0 at the end) or -1 with
	 * a reason in err. */
	ssize_t (*read)(void *ctx, void *buf, size_t len, char *err, size_t errlen);
	void *ctx;
};

/* Returns 0 or -1 with a message in t->err. */
int ukb_tree_init(struct ukb_tree *t);
void ukb_tree_free(struct ukb_tree *t);

/* Put one entry (a layer's tar entry, a host file...), following the
 * rules above. Returns 0 or -1 with t->err naming the entry. */
int ukb_tree_put(struct ukb_tree *t, const struct ukb_entry *e);

/* The node at path (absolute or relative to the root), symlinks resolved
 * inside the tree; the last one only with follow. NULL when absent. */
struct ukb_node *ukb_tree_lookup(struct ukb_tree *t, const char *path, int follow);

/* Read a regular file's bytes [off, off+len); returns bytes read or -1. */
ssize_t ukb_tree_read(struct ukb_tree *t, const struct ukb_inode *in, void *buf, size_t len,
                      uint64_t off);

/* Every node in a stable order (a directory before its entries, names
 * sorted), with its path relative to the root ("" for the root). Stops at
 * and returns the first nonzero value fn returns. */
int ukb_tree_walk(struct ukb_tree *t,
                  int (*fn)(void *ctx, const char *path, const struct ukb_node *n), void *ctx);

/* Add a host file or directory (recursively, symlinks beneath it copied as
 * links, never followed) at guest path. Returns 0 or -1 with t->err. */
int ukb_tree_add_host(struct ukb_tree *t, const char *host, const char *guest);

/* Apply one layer from an open libarchive reader (tar); the layer number
 * must grow with each call. Returns 0 or -1 with t->err. */
struct archive;
int ukb_tree_apply_tar(struct ukb_tree *t, struct archive *a, int layer);

#endif
