/*
 * FAT12/16/32 with long file names: the filesystem core.
 *
 * Pure code over a block device (struct fat_bdev): the same files compile
 * into the library OS (the VFS glue, fat_vfs.c, and virtio-blk below it)
 * and into host unit tests that work on image files made by mtools, so
 * every operation can be checked against mtools and `fsck.fat -n`.
 *
 * Conventions: functions return 0 / a count, or -errno (Linux values).
 * Names are single components in UTF-8, never "." or "..". The core is
 * not reentrant: the caller serialises calls on one volume (the guest's
 * VFS glue holds a per-volume lock, since a block device read may let
 * other threads run).
 *
 * Durability: metadata (FAT, directories, FSInfo) is cached and reaches
 * the disk only in fat_sync(), in an order that leaves the volume
 * consistent once the sync completes: file data, then the FATs, then the
 * directories, then FSInfo, then a device flush. File data in whole
 * sectors goes to the disk directly; partial sectors are cached and may
 * be written earlier when the cache needs room. When metadata fills the
 * cache, it grows for the operation at hand, which then ends with a sync
 * (fat_settle): the disk holds whole operations only. So after a crash
 * the disk holds the state of the last completed sync plus, at most, file
 * data in clusters no directory points to yet. FAT has no journal: a
 * crash *during* a sync may leave lost clusters (or, for a truncation, an
 * entry longer than its chain), which fsck.fat repairs; what an earlier
 * sync wrote is not touched.
 */
#ifndef UK_FAT_H
#define UK_FAT_H

#include <stddef.h>
#include <stdint.h>

/* A block device. Transfers are synchronous from the core's view. */
struct fat_bdev {
	uint32_t sector_size; /* 512 .. 4096, a power of two */
	uint64_t sectors;
	/* count sectors from sector; buf has any alignment. 0 or -errno. */
	int (*read)(struct fat_bdev *d, uint64_t sector, void *buf, uint32_t count);
	int (*write)(struct fat_bdev *d, uint64_t sector, const void *buf, uint32_t count);
	/* Make completed writes durable (may be NULL). 0 or -errno. */
	int (*flush)(struct fat_bdev *d);
	void *priv;
};

struct fat_opts {
	int ro;                /* refuse every change with -EROFS */
	unsigned cache_blocks; /* 4 KiB metadata cache blocks; 0: 128 */
	unsigned cache_max;    /* blocks it may grow to for one operation; 0: 16x */
	/* The time now in Unix nanoseconds (UTC; FAT stores local time and
	 * we treat it as UTC, as Linux's vfat does with tz=UTC); NULL: the
	 * FAT epoch, 1980-01-01. */
	int64_t (*now_ns)(void);
};

#define FAT_ATTR_RO 0x01
#define FAT_ATTR_HIDDEN 0x02
#define FAT_ATTR_SYSTEM 0x04
#define FAT_ATTR_VOLUME 0x08
#define FAT_ATTR_DIR 0x10
#define FAT_ATTR_ARCHIVE 0x20
#define FAT_ATTR_LFN 0x0f

struct fat_fs;

/* An open file or directory: one per directory entry however often it
 * is looked up, counted by references. Callers read the fields marked
 * [ro]; the rest is the core's. */
struct fat_node {
	struct fat_fs *fs; /* [ro] */
	uint64_t ino;      /* [ro] from the entry's place; 1 = root */
	uint32_t size;     /* [ro] bytes (0 for directories) */
	uint8_t attr;      /* [ro] FAT_ATTR_* */
	void *priv;        /* the caller's (the VFS glue's vnode) */
	int refs;
	int unlinked;    /* name gone: clusters freed at the last put */
	uint32_t first;  /* first cluster, 0 = none (or the FAT12/16 root) */
	uint32_t parent; /* first cluster of the directory holding the entry */
	uint32_t ent;    /* index of the short entry there */
	uint8_t nlfn;    /* long-name entries before it */
	uint16_t crt_time, crt_date, acc_date, wrt_time, wrt_date;
	uint8_t crt_tenth;
	uint32_t hint_idx, hint_clus; /* last cluster reached: sequential I/O */
	struct fat_node *next;        /* the volume's live nodes */
};

struct fat_stat {
	uint64_t ino;
	uint64_t size;
	uint64_t blocks;                      /* 512-byte units allocated */
	int dir, ro;                          /* a directory; the read-only attribute */
	int64_t atime_ns, mtime_ns, ctime_ns; /* ctime: FAT's creation time */
};

struct fat_statfs {
	uint32_t bits; /* 12, 16 or 32 */
	uint32_t cluster_size;
	uint64_t clusters, free_clusters;
};

/* Mount the volume on dev; *out gets the volume and its root node (one
 * reference: fat_node_put it before fat_unmount). -EINVAL when dev holds
 * no FAT volume we can use. */
int fat_mount(struct fat_bdev *dev, const struct fat_opts *o, struct fat_fs **out,
              struct fat_node **root);
/* Sync and free everything. Nodes must all be put. */
int fat_unmount(struct fat_fs *fs);
/* Write every cached change in order, then flush the device. */
int fat_sync(struct fat_fs *fs);

struct fat_node *fat_node_get(struct fat_node *n);
void fat_node_put(struct fat_node *n);

/* Directory operations; dir must be a directory node. */
int fat_lookup(struct fat_node *dir, const char *name, struct fat_node **out);
int fat_create(struct fat_node *dir, const char *name, int is_dir, struct fat_node **out);
int fat_unlink(struct fat_node *dir, const char *name);
int fat_rmdir(struct fat_node *dir, const char *name);
/* noreplace: fail with -EEXIST when nname exists (RENAME_NOREPLACE). */
int fat_rename(struct fat_node *odir, const char *oname, struct fat_node *ndir, const char *nname,
               int noreplace);
/* emit(ctx, name, ino, is_dir) per entry from *cookie on, "." and ".."
 * first; a nonzero return stops the walk before that entry is consumed. */
typedef int (*fat_emit_fn)(void *ctx, const char *name, uint64_t ino, int is_dir);
int fat_readdir(struct fat_node *dir, uint64_t *cookie, fat_emit_fn emit, void *ctx);

/* File data. Writes return a short count when the disk fills (-ENOSPC
 * when nothing fit); the file stays consistent. */
long fat_read(struct fat_node *n, void *buf, size_t len, uint64_t off);
long fat_write(struct fat_node *n, const void *buf, size_t len, uint64_t off);
int fat_truncate(struct fat_node *n, uint64_t size);

void fat_stat(struct fat_node *n, struct fat_stat *st);
/* Times in Unix ns; a negative value leaves that time alone. */
int fat_set_times(struct fat_node *n, int64_t atime_ns, int64_t mtime_ns);
int fat_set_ro(struct fat_node *n, int ro);
void fat_statfs(struct fat_fs *fs, struct fat_statfs *sf);

/* The largest file FAT can hold. */
#define FAT_FILE_MAX 0xffffffffull

#endif
