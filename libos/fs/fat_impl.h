/* FAT core internals shared by libos/fs/fat_*.c (not by the VFS glue). */
#ifndef UK_FAT_IMPL_H
#define UK_FAT_IMPL_H

#include "fat.h"

/* The core builds for the library OS (freestanding) and for host tests. */
#if __STDC_HOSTED__
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#define fat_zalloc(n) calloc(1, (n))
#define fat_free(p) free(p)
#define fat_memcpy memcpy
#define fat_memset memset
#else
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/mm.h>
#define fat_zalloc(n) uk_kzalloc(n)
#define fat_free(p) uk_kfree(p)
#define fat_memcpy uk_memcpy
#define fat_memset uk_memset
#endif

#define FAT_BLK 4096u    /* cache block: bytes, aligned on the device */
#define FAT_RUN_BLKS 16u /* blocks one write-back request may carry */
#define FAT_DIRENT 32u
#define FAT_LFN_MAX 255u   /* UTF-16 code units in a long name */
#define FAT_DIR_MAX 65536u /* entries in one directory (the spec's limit) */

/* What a dirty cache block holds decides when it may be written: data
 * whenever room is needed, metadata only in fat_sync, in this order. */
enum fat_kind { FAT_K_DATA, FAT_K_FAT, FAT_K_DIR, FAT_K_INFO };

struct fat_cblk {
	uint64_t blk; /* byte offset / FAT_BLK */
	uint8_t *data;
	uint8_t hashed, dirty, kind;
	uint8_t vmask;                /* valid device sectors of the block */
	struct fat_cblk *hnext;       /* hash chain */
	struct fat_cblk *prev, *next; /* LRU: head most recent */
};

#define FAT_HASH 256u

struct fat_fs {
	struct fat_bdev *dev;
	struct fat_opts opts;
	uint64_t dev_bytes;
	uint32_t bps;       /* bytes per sector (the volume's) */
	uint32_t cs;        /* cluster size in bytes */
	unsigned bits;      /* 12, 16, 32 */
	uint32_t nclusters; /* valid cluster numbers: 2 .. nclusters + 1 */
	uint64_t fat_off;   /* byte offset of FAT 0 */
	uint64_t fat_bytes; /* one FAT */
	unsigned nfats;
	int active_fat;    /* FAT32 with mirroring off: the one in use, else -1 */
	uint64_t root_off; /* FAT12/16: the fixed root directory */
	uint32_t root_ents;
	uint32_t root_clus;  /* FAT32: the root's first cluster */
	uint64_t data_off;   /* byte offset of cluster 2 */
	uint64_t fsinfo_off; /* FAT32 FSInfo sector, 0 = none */
	uint32_t free_count, next_free;
	int info_dirty;
	struct fat_node *nodes;
	uint32_t dw_dir, dw_k, dw_clus;      /* last directory cluster reached */
	uint32_t add_hint_dir, add_hint_end; /* where the next add may start */
	/* the cache */
	struct fat_cblk **blks; /* nblk of them; base normally, up to cap */
	unsigned nblk, base, cap;
	struct fat_cblk *hash[FAT_HASH];
	struct fat_cblk lru; /* sentinel */
	uint8_t *zero;       /* FAT_BLK zeros for extending files */
	uint8_t *bounce;     /* FAT_RUN_BLKS blocks written back as one */
	struct fat_cblk **sorted;
};

static inline int fat_memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

static inline uint16_t fat_le16(const uint8_t *p) { return p[0] | p[1] << 8; }
static inline uint32_t fat_le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void fat_put16(uint8_t *p, uint16_t v) { p[0] = v, p[1] = v >> 8; }
static inline void fat_put32(uint8_t *p, uint32_t v)
{
	p[0] = v, p[1] = v >> 8, p[2] = v >> 16, p[3] = v >> 24;
}

/* ---- cache and device I/O (fat_cache.c) ---- */
int fat_cache_init(struct fat_fs *fs, unsigned nblk, unsigned max);
void fat_cache_fini(struct fat_fs *fs);
int fat_cache_grown(const struct fat_fs *fs);
void fat_cache_shrink(struct fat_fs *fs);
/* The end of an operation that changed the volume: when the cache had to
 * grow to hold it, sync now (a whole operation) and shrink back. */
void fat_settle(struct fat_fs *fs);
/* Bytes at a device byte offset through the cache; buf NULL writes zeros. */
int fat_cread(struct fat_fs *fs, uint64_t off, void *buf, size_t len);
int fat_cwrite(struct fat_fs *fs, uint64_t off, const void *buf, size_t len, enum fat_kind k);
/* Any byte range: whole device sectors directly (kept coherent with the
 * cache), the partial ends through the cache. FAT_IO_FRESH writes into
 * clusters just allocated: what surrounds the range is free space, so
 * partial sectors are completed with zeros instead of read. */
enum { FAT_IO_READ, FAT_IO_WRITE, FAT_IO_FRESH };
int fat_io(struct fat_fs *fs, uint64_t off, void *buf, size_t len, int mode);
/* Write back every dirty block, data first, then FAT, DIR, INFO. */
int fat_cache_sync(struct fat_fs *fs);

/* ---- the allocation table (fat_table.c) ---- */
int fat_get(struct fat_fs *fs, uint32_t clus, uint32_t *val);
int fat_set(struct fat_fs *fs, uint32_t clus, uint32_t val);
/* The cluster after clus: 0 at the end of the chain; -EIO when the
 * table points somewhere no chain may go (a damaged volume). */
int fat_next(struct fat_fs *fs, uint32_t clus, uint32_t *next);
/* A free cluster marked end-of-chain and linked after prev (0: none).
 * -ENOSPC when the volume is full. */
int fat_alloc(struct fat_fs *fs, uint32_t prev, uint32_t *out);
/* Free the chain from clus on. */
int fat_free_chain(struct fat_fs *fs, uint32_t clus);
uint32_t fat_eoc(const struct fat_fs *fs);
int fat_count_free(struct fat_fs *fs);
static inline uint64_t fat_clus_off(const struct fat_fs *fs, uint32_t c)
{
	return fs->data_off + (uint64_t)(c - 2) * fs->cs;
}
static inline int fat_clus_ok(const struct fat_fs *fs, uint32_t c)
{
	return c >= 2 && c <= fs->nclusters + 1;
}

/* ---- names and times (fat_name.c) ---- */
/* UTF-8 -> UTF-16 with FAT's rules: -EINVAL for a character FAT cannot
 * hold or a name ending in a dot or space, -ENAMETOOLONG past 255. */
int fat_name_from_utf8(const char *name, uint16_t *u, unsigned *len);
/* UTF-16 -> UTF-8 (out: at least 3 * 255 + 1 bytes). */
void fat_name_to_utf8(const uint16_t *u, unsigned len, char *out);
/* Case-insensitive equality (ASCII letters fold, as Windows' table does
 * for them; other characters must match exactly). */
int fat_name_eq(const uint16_t *a, unsigned alen, const uint16_t *b, unsigned blen);
/* Whether the name is a plain 8.3 name: its short entry name, and the
 * NT case bits that give lower-case base and/or extension back. */
int fat_name_is_short(const uint16_t *u, unsigned len, uint8_t sn[11], uint8_t *ntcase);
/* The 8.3 alias basis ("LONGFI" + ".EXT") for a long name. */
void fat_name_basis(const uint16_t *u, unsigned len, uint8_t sn[11]);
/* The alias with tail ~n: basis "LONGFI" -> "LONGFI~1", "LONGF~12" ... */
void fat_name_tail(const uint8_t basis[11], unsigned n, uint8_t sn[11]);
uint8_t fat_name_sum(const uint8_t sn[11]);
/* A short entry's name as text, NT case bits applied: "readme.TXT". */
unsigned fat_short_to_utf16(const uint8_t *de, uint16_t *u);
void fat_time_now(struct fat_fs *fs, uint16_t *date, uint16_t *time, uint8_t *tenth);
int64_t fat_time_ns(uint16_t date, uint16_t time, uint8_t tenth);
void fat_time_from_ns(int64_t ns, uint16_t *date, uint16_t *time, uint8_t *tenth);

/* ---- directories (fat_dir.c) ---- */
/* Where an entry lives: the directory's first cluster (0: the FAT12/16
 * root), and entry indexes. */
struct fat_slot {
	uint32_t dir;
	uint32_t ent;           /* the short entry */
	uint32_t lfn;           /* the first long-name entry (= ent when none) */
	uint8_t de[FAT_DIRENT]; /* the short entry's bytes */
};
/* Device byte offset of entry idx of directory dir; -ENOENT past its end. */
int fat_dir_off(struct fat_fs *fs, uint32_t dir, uint32_t idx, uint64_t *off);
int fat_dir_find(struct fat_fs *fs, uint32_t dir, const uint16_t *u, unsigned len,
                 struct fat_slot *s);
/* Add an entry for name whose short-entry bytes (all but the name) are in
 * de; fills s. -EEXIST is the caller's check, not this one's. */
int fat_dir_add(struct fat_fs *fs, uint32_t dir, const uint16_t *u, unsigned len,
                const uint8_t de[FAT_DIRENT], struct fat_slot *s);
int fat_dir_remove(struct fat_fs *fs, const struct fat_slot *s);
int fat_dir_is_empty(struct fat_fs *fs, uint32_t dir);
int fat_dir_write_de(struct fat_fs *fs, uint32_t dir, uint32_t ent, const uint8_t *de);
int fat_dir_iter(struct fat_fs *fs, uint32_t dir, uint64_t *cookie, fat_emit_fn emit, void *ctx);
uint64_t fat_ino(uint32_t dir, uint32_t ent);

/* ---- nodes (fat_file.c) ---- */
/* The live node for the entry at s (new or existing, one more ref). */
int fat_node_for(struct fat_fs *fs, const struct fat_slot *s, struct fat_node **out);
struct fat_node *fat_node_find(struct fat_fs *fs, uint32_t dir, uint32_t ent);
/* Write the node's short entry back (size, cluster, times, attributes). */
int fat_node_store(struct fat_node *n);
void fat_node_to_de(const struct fat_node *n, uint8_t *de);

#endif
