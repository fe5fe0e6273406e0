/*
 * FAT nodes and file data: cluster chains mapped to file offsets, reads
 * and writes in runs of physically contiguous clusters (one device
 * request per run for the whole sectors), growth, truncation.
 *
 * A file's chain always holds exactly the clusters its size needs: a
 * write allocates only what it then fills, so a write that runs out of
 * space leaves a shorter, consistent file.
 */
#include "fat_impl.h"

/* Clusters handled per step of a transfer: bounds one device request. */
#define FF_RUN 256u

struct fat_node *fat_node_find(struct fat_fs *fs, uint32_t dir, uint32_t ent)
{
	for (struct fat_node *n = fs->nodes; n; n = n->next)
		if (!n->unlinked && n->ino != 1 && n->parent == dir && n->ent == ent)
			return n;
	return NULL;
}

static void ff_from_de(struct fat_node *n, const uint8_t *de)
{
	n->attr = de[11];
	n->first = fat_le16(de + 26) | (n->fs->bits == 32 ? (uint32_t)fat_le16(de + 20) << 16 : 0);
	n->size = n->attr & FAT_ATTR_DIR ? 0 : fat_le32(de + 28);
	n->crt_tenth = de[13];
	n->crt_time = fat_le16(de + 14), n->crt_date = fat_le16(de + 16);
	n->acc_date = fat_le16(de + 18);
	n->wrt_time = fat_le16(de + 22), n->wrt_date = fat_le16(de + 24);
}

int fat_node_for(struct fat_fs *fs, const struct fat_slot *s, struct fat_node **out)
{
	struct fat_node *n = fat_node_find(fs, s->dir, s->ent);

	if (n) {
		*out = fat_node_get(n);
		return 0;
	}
	if (!(n = fat_zalloc(sizeof(*n))))
		return -ENOMEM;
	n->fs = fs;
	n->refs = 1;
	ff_from_de(n, s->de);
	/* A directory without clusters (other than the root) is damage. */
	if ((n->attr & FAT_ATTR_DIR) && !fat_clus_ok(fs, n->first)) {
		fat_free(n);
		return -EIO;
	}
	n->parent = s->dir, n->ent = s->ent, n->nlfn = s->ent - s->lfn;
	n->ino = fat_ino(s->dir, s->ent);
	n->next = fs->nodes;
	fs->nodes = n;
	*out = n;
	return 0;
}

struct fat_node *fat_node_get(struct fat_node *n)
{
	n->refs++;
	return n;
}

void fat_node_put(struct fat_node *n)
{
	struct fat_fs *fs = n->fs;
	struct fat_node **pp = &fs->nodes;

	if (--n->refs > 0)
		return;
	if (n->unlinked && n->first) {
		fat_free_chain(fs, n->first); /* an error leaves lost clusters, no worse */
		fat_settle(fs);
	}
	while (*pp && *pp != n)
		pp = &(*pp)->next;
	if (*pp)
		*pp = n->next;
	fat_free(n);
}

void fat_node_to_de(const struct fat_node *n, uint8_t *de)
{
	de[11] = n->attr;
	fat_put16(de + 26, n->first & 0xffff);
	fat_put16(de + 20, n->fs->bits == 32 ? n->first >> 16 : 0);
	fat_put32(de + 28, n->attr & FAT_ATTR_DIR ? 0 : n->size);
	de[13] = n->crt_tenth;
	fat_put16(de + 14, n->crt_time), fat_put16(de + 16, n->crt_date);
	fat_put16(de + 18, n->acc_date);
	fat_put16(de + 22, n->wrt_time), fat_put16(de + 24, n->wrt_date);
}

int fat_node_store(struct fat_node *n)
{
	uint8_t de[FAT_DIRENT];
	uint64_t off;
	int r;

	if (n->unlinked || n->ino == 1)
		return 0; /* no entry to update: gone, or the root */
	if ((r = fat_dir_off(n->fs, n->parent, n->ent, &off)) ||
	    (r = fat_cread(n->fs, off, de, FAT_DIRENT)))
		return r;
	fat_node_to_de(n, de);
	return fat_cwrite(n->fs, off, de, FAT_DIRENT, FAT_K_DIR);
}

/* ---- mapping file offsets to clusters ---- */

/* Cluster number k of the chain: from the last one reached when that is
 * not beyond k. -ENOENT when the chain is shorter, with *last and *lastk
 * its final cluster and index (0 and -1 for an empty chain). */
static int ff_chain_at(struct fat_node *n, uint32_t k, uint32_t *c, uint32_t *last, int64_t *lastk)
{
	uint32_t cur = n->first, i = 0, next;
	int r;

	*last = 0, *lastk = -1;
	if (!cur)
		return -ENOENT;
	if (n->hint_clus && n->hint_idx <= k)
		cur = n->hint_clus, i = n->hint_idx;
	for (; i < k; i++, cur = next) {
		if ((r = fat_next(n->fs, cur, &next)))
			return r;
		if (!next) {
			*last = cur, *lastk = i;
			return -ENOENT;
		}
	}
	n->hint_idx = k, n->hint_clus = cur;
	*c = cur;
	return 0;
}

/* Cluster k, and how many clusters from it (up to want) lie one after
 * another on the disk. With alloc, missing clusters are allocated (the
 * caller fills every one it is given); *old says how many of the run
 * existed before (the rest are new). */
static int ff_map(struct fat_node *n, uint32_t k, uint32_t want, int alloc, uint32_t *c,
                  uint32_t *cnt, uint32_t *old)
{
	struct fat_fs *fs = n->fs;
	uint32_t last, next;
	int64_t lastk;
	int r = ff_chain_at(n, k, c, &last, &lastk);

	*old = ~0u;
	if (r == -ENOENT && alloc && lastk == (int64_t)k - 1) {
		if ((r = fat_alloc(fs, last, c)))
			return r;
		if (!n->first)
			n->first = *c;
		*old = 0;
		n->hint_idx = k, n->hint_clus = *c;
	} else if (r) {
		return r == -ENOENT ? -EIO : r; /* the chain ends before the size does */
	}
	for (*cnt = 1; *cnt < want; ++*cnt) {
		if ((r = fat_next(fs, *c + *cnt - 1, &next)))
			return r;
		if (!next && alloc) {
			if (fat_alloc(fs, *c + *cnt - 1, &next))
				break; /* full: transfer what we have */
			if (*old == ~0u)
				*old = *cnt;
		}
		if (next != *c + *cnt)
			break;
	}
	if (*old > *cnt)
		*old = *cnt;
	n->hint_idx = k + *cnt - 1, n->hint_clus = *c + *cnt - 1;
	return 0;
}

/* Transfer [off, off + len) of the file (which the chain covers, or will
 * with write). Returns bytes moved, or -errno when none were. */
static long ff_rw(struct fat_node *n, uint8_t *buf, size_t len, uint64_t off, int write)
{
	struct fat_fs *fs = n->fs;
	size_t done = 0;
	int r = 0;

	while (done < len) {
		uint64_t pos = off + done;
		uint32_t k = pos / fs->cs, in = pos % fs->cs, c, cnt, old;
		uint64_t want = ((uint64_t)in + (len - done) + fs->cs - 1) / fs->cs;
		uint64_t at;
		size_t bytes, before;

		if ((r = ff_map(n, k, want < FF_RUN ? want : FF_RUN, write, &c, &cnt, &old)))
			break;
		bytes = (size_t)cnt * fs->cs - in;
		if (bytes > len - done)
			bytes = len - done;
		/* Clusters that existed are written over; new ones are free
		 * space around what is written. */
		before = (uint64_t)old * fs->cs > in ? (uint64_t)old * fs->cs - in : 0;
		before = before < bytes ? before : bytes;
		at = fat_clus_off(fs, c) + in;
		if (!write)
			r = fat_io(fs, at, buf + done, bytes, FAT_IO_READ);
		else if ((!before || !(r = fat_io(fs, at, buf + done, before, FAT_IO_WRITE))) &&
		         bytes > before)
			r = fat_io(fs, at + before, buf + done + before, bytes - before,
			           FAT_IO_FRESH);
		if (r)
			break;
		done += bytes;
	}
	return done ? (long)done : r;
}

/* Grow the file to size with zeros. Returns 0, or -errno with the file
 * grown as far as it could be. */
static int ff_zero_to(struct fat_node *n, uint64_t size)
{
	while (n->size < size) {
		size_t chunk = size - n->size < FAT_BLK ? size - n->size : FAT_BLK;
		long got = ff_rw(n, n->fs->zero, chunk, n->size, 1);
		if (got < 0)
			return (int)got;
		n->size += got;
		if ((size_t)got < chunk)
			return -ENOSPC;
	}
	return 0;
}

static void ff_touch(struct fat_node *n)
{
	fat_time_now(n->fs, &n->wrt_date, &n->wrt_time, NULL);
	n->attr |= FAT_ATTR_ARCHIVE;
}

long fat_read(struct fat_node *n, void *buf, size_t len, uint64_t off)
{
	if (n->attr & FAT_ATTR_DIR)
		return -EISDIR;
	if (off >= n->size)
		return 0;
	if (len > n->size - off)
		len = n->size - off;
	return len ? ff_rw(n, buf, len, off, 0) : 0;
}

long fat_write(struct fat_node *n, const void *buf, size_t len, uint64_t off)
{
	long got = 0;
	int r = 0;

	if (n->fs->opts.ro)
		return -EROFS;
	if (n->attr & FAT_ATTR_DIR)
		return -EISDIR;
	if (off >= FAT_FILE_MAX)
		return len ? -EFBIG : 0;
	if (len > FAT_FILE_MAX - off)
		len = FAT_FILE_MAX - off;
	if (!len)
		return 0;
	if (off > n->size)
		r = ff_zero_to(n, off);
	if (!r) {
		got = ff_rw(n, (uint8_t *)buf, len, off, 1);
		if (got > 0 && off + got > n->size)
			n->size = off + got;
	}
	ff_touch(n);
	r = fat_node_store(n);
	fat_settle(n->fs);
	if (got > 0)
		return got;
	return got < 0 ? got : r ? r : -ENOSPC;
}

/* Cut the chain after the clusters size needs. */
static int ff_shrink(struct fat_node *n, uint64_t size)
{
	struct fat_fs *fs = n->fs;
	uint32_t keep = (size + fs->cs - 1) / fs->cs, c, next, last;
	int64_t lastk;
	int r;

	n->hint_clus = 0;
	if (!keep) {
		c = n->first;
		n->first = 0;
		return c ? fat_free_chain(fs, c) : 0;
	}
	if ((r = ff_chain_at(n, keep - 1, &c, &last, &lastk)))
		return r == -ENOENT ? 0 : r;
	if ((r = fat_next(fs, c, &next)) || !next)
		return r;
	if ((r = fat_set(fs, c, fat_eoc(fs))))
		return r;
	return fat_free_chain(fs, next);
}

int fat_truncate(struct fat_node *n, uint64_t size)
{
	uint32_t old = n->size;
	int r;

	if (n->fs->opts.ro)
		return -EROFS;
	if (n->attr & FAT_ATTR_DIR)
		return -EISDIR;
	if (size > FAT_FILE_MAX)
		return -EFBIG;
	if (size > n->size) {
		/* All or nothing: a failed extension gives its clusters back. */
		if ((r = ff_zero_to(n, size))) {
			n->size = old;
			ff_shrink(n, old);
			fat_node_store(n);
			fat_settle(n->fs);
			return r;
		}
	} else if (size < n->size) {
		n->size = size;
		if ((r = ff_shrink(n, size))) {
			fat_settle(n->fs);
			return r;
		}
	}
	ff_touch(n);
	r = fat_node_store(n);
	fat_settle(n->fs);
	return r;
}

/* Clusters in a chain, for st_blocks of directories. */
static uint32_t ff_chain_len(struct fat_fs *fs, uint32_t c)
{
	uint32_t n = 0;

	while (c && n <= fs->nclusters && !fat_next(fs, c, &c))
		n++;
	return n;
}

void fat_stat(struct fat_node *n, struct fat_stat *st)
{
	struct fat_fs *fs = n->fs;
	uint64_t clusters;

	fat_memset(st, 0, sizeof(*st));
	st->ino = n->ino;
	st->dir = !!(n->attr & FAT_ATTR_DIR);
	st->ro = !!(n->attr & FAT_ATTR_RO);
	if (st->dir)
		clusters = n->ino == 1 && !n->first
		               ? (fs->root_ents * FAT_DIRENT + fs->cs - 1) / fs->cs
		               : ff_chain_len(fs, n->first);
	else
		clusters = ((uint64_t)n->size + fs->cs - 1) / fs->cs;
	st->size = st->dir ? clusters * fs->cs : n->size;
	st->blocks = clusters * (fs->cs / 512);
	st->mtime_ns = fat_time_ns(n->wrt_date, n->wrt_time, 0);
	/* FAT keeps no change time; Linux's vfat reports the modification
	 * time for it too. The access time is a date only. */
	st->ctime_ns = st->mtime_ns;
	st->atime_ns = n->acc_date ? fat_time_ns(n->acc_date, 0, 0) : st->mtime_ns;
}

int fat_set_times(struct fat_node *n, int64_t atime_ns, int64_t mtime_ns)
{
	uint16_t t;

	if (n->fs->opts.ro)
		return -EROFS;
	if (mtime_ns >= 0)
		fat_time_from_ns(mtime_ns, &n->wrt_date, &n->wrt_time, NULL);
	if (atime_ns >= 0)
		fat_time_from_ns(atime_ns, &n->acc_date, &t, NULL);
	return fat_node_store(n);
}

int fat_set_ro(struct fat_node *n, int ro)
{
	if (n->fs->opts.ro)
		return -EROFS;
	n->attr = ro ? n->attr | FAT_ATTR_RO : n->attr & ~FAT_ATTR_RO;
	return fat_node_store(n);
}
