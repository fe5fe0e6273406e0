/*
 * FAT block cache: 4 KiB blocks of the device, write-back.
 *
 * Metadata blocks stay dirty until fat_cache_sync() writes them in the
 * order fat.h promises; only dirty *data* blocks (partial sectors of file
 * contents) may be written early to make room. When every block holds
 * dirty metadata, a full sync makes room: the volume is consistent after
 * it, so that is safe, merely early.
 *
 * Whole sectors of file data bypass the cache (fat_io), so a big
 * sequential transfer is a few large device requests; cached copies of
 * the same bytes are kept coherent both ways.
 */
#include "fat_impl.h"

static unsigned fc_hash(uint64_t blk) { return (unsigned)(blk ^ (blk >> 8)) % FAT_HASH; }

static void fc_lru_del(struct fat_cblk *b)
{
	b->prev->next = b->next;
	b->next->prev = b->prev;
}

static void fc_lru_front(struct fat_fs *fs, struct fat_cblk *b)
{
	b->next = fs->lru.next;
	b->prev = &fs->lru;
	fs->lru.next->prev = b;
	fs->lru.next = b;
}

static struct fat_cblk *fc_lookup(struct fat_fs *fs, uint64_t blk)
{
	struct fat_cblk *b = fs->hash[fc_hash(blk)];

	while (b && b->blk != blk)
		b = b->hnext;
	return b;
}

static void fc_unhash(struct fat_fs *fs, struct fat_cblk *b)
{
	struct fat_cblk **pp = &fs->hash[fc_hash(b->blk)];

	while (*pp && *pp != b)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = b->hnext;
	b->valid = 0;
}

/* The device sectors of a block, clipped at the end of the device. */
static uint32_t fc_sectors(struct fat_fs *fs, uint64_t blk, uint64_t *first)
{
	uint32_t per = FAT_BLK / fs->dev->sector_size;

	*first = blk * per;
	if (*first >= fs->dev->sectors)
		return 0;
	return fs->dev->sectors - *first < per ? (uint32_t)(fs->dev->sectors - *first) : per;
}

static int fc_fill(struct fat_fs *fs, struct fat_cblk *b)
{
	uint64_t first;
	uint32_t n = fc_sectors(fs, b->blk, &first);

	fat_memset(b->data, 0, FAT_BLK);
	return n ? fs->dev->read(fs->dev, first, b->data, n) : -EIO;
}

/* Dirty blocks of one kind, in disk order (shell sort: a few hundred at
 * most). Returns how many. */
static unsigned fc_dirty_sorted(struct fat_fs *fs, int kind, struct fat_cblk **v)
{
	unsigned n = 0;

	for (unsigned i = 0; i < fs->ncblk; i++)
		if (fs->cblks[i].valid && fs->cblks[i].dirty && fs->cblks[i].kind == kind)
			v[n++] = &fs->cblks[i];
	for (unsigned gap = n / 2; gap; gap /= 2)
		for (unsigned i = gap; i < n; i++)
			for (unsigned j = i; j >= gap && v[j - gap]->blk > v[j]->blk; j -= gap) {
				struct fat_cblk *t = v[j];
				v[j] = v[j - gap], v[j - gap] = t;
			}
	return n;
}

/* Write back every dirty block of a kind: runs of consecutive blocks go
 * as one request each, through a bounce buffer. */
static int fc_flush_kind(struct fat_fs *fs, int kind)
{
	struct fat_cblk **v = fs->sorted;
	unsigned n = fc_dirty_sorted(fs, kind, v), i = 0;
	uint64_t first;
	int r;

	while (i < n) {
		unsigned run = 1;
		uint32_t secs;
		while (i + run < n && run < FAT_RUN_BLKS && v[i + run]->blk == v[i]->blk + run)
			run++;
		for (unsigned k = 0; k < run; k++)
			fat_memcpy(fs->bounce + (size_t)k * FAT_BLK, v[i + k]->data, FAT_BLK);
		secs = (run - 1) * (FAT_BLK / fs->dev->sector_size);
		secs += fc_sectors(fs, v[i + run - 1]->blk, &first);
		fc_sectors(fs, v[i]->blk, &first);
		if ((r = fs->dev->write(fs->dev, first, fs->bounce, secs)))
			return r;
		for (unsigned k = 0; k < run; k++)
			v[i + k]->dirty = 0;
		i += run;
	}
	return 0;
}

/* A block to reuse: the least recently used clean one, else the least
 * recently used data block once all dirty data is written back, else
 * everything synced. */
static int fc_victim(struct fat_fs *fs, struct fat_cblk **out)
{
	struct fat_cblk *b;
	int r;

	for (b = fs->lru.prev; b != &fs->lru; b = b->prev)
		if (!b->dirty)
			goto found;
	/* All dirty file data at once: fewer, larger requests. */
	for (b = fs->lru.prev; b != &fs->lru; b = b->prev)
		if (b->kind == FAT_K_DATA) {
			if ((r = fc_flush_kind(fs, FAT_K_DATA)))
				return r;
			goto found;
		}
	if ((r = fat_cache_sync(fs)))
		return r;
	b = fs->lru.prev;
found:
	if (b->valid)
		fc_unhash(fs, b);
	*out = b;
	return 0;
}

/* The cached block blk, read from the device unless the caller is about
 * to overwrite all of it. */
static int fc_get(struct fat_fs *fs, uint64_t blk, int fill, struct fat_cblk **out)
{
	struct fat_cblk *b = fc_lookup(fs, blk);
	int r;

	if (!b) {
		if ((r = fc_victim(fs, &b)))
			return r;
		b->blk = blk;
		b->dirty = 0;
		if (fill && (r = fc_fill(fs, b)))
			return r;
		b->valid = 1;
		b->hnext = fs->hash[fc_hash(blk)];
		fs->hash[fc_hash(blk)] = b;
	}
	fc_lru_del(b);
	fc_lru_front(fs, b);
	*out = b;
	return 0;
}

static int fc_range_ok(struct fat_fs *fs, uint64_t off, size_t len)
{
	return off <= fs->dev_bytes && len <= fs->dev_bytes - off;
}

int fat_cread(struct fat_fs *fs, uint64_t off, void *buf, size_t len)
{
	uint8_t *p = buf;
	struct fat_cblk *b;
	int r;

	if (!fc_range_ok(fs, off, len))
		return -EIO;
	while (len) {
		size_t in = off % FAT_BLK, n = FAT_BLK - in < len ? FAT_BLK - in : len;
		if ((r = fc_get(fs, off / FAT_BLK, 1, &b)))
			return r;
		fat_memcpy(p, b->data + in, n);
		p += n, off += n, len -= n;
	}
	return 0;
}

int fat_cwrite(struct fat_fs *fs, uint64_t off, const void *buf, size_t len, enum fat_kind k)
{
	const uint8_t *p = buf;
	struct fat_cblk *b;
	int r;

	if (!fc_range_ok(fs, off, len))
		return -EIO;
	while (len) {
		size_t in = off % FAT_BLK, n = FAT_BLK - in < len ? FAT_BLK - in : len;
		if ((r = fc_get(fs, off / FAT_BLK, n < FAT_BLK, &b)))
			return r;
		if (p)
			fat_memcpy(b->data + in, p, n), p += n;
		else
			fat_memset(b->data + in, 0, n);
		if (!b->dirty || k > b->kind)
			b->kind = k;
		b->dirty = 1;
		off += n, len -= n;
	}
	return 0;
}

/* After a direct transfer of [off, off + len): a read takes the newer
 * bytes of dirty cached blocks, a write refreshes every cached copy. */
static void fc_coherent(struct fat_fs *fs, uint64_t off, uint8_t *buf, size_t len, int write)
{
	uint64_t end = off + len;

	for (uint64_t blk = off / FAT_BLK; blk * FAT_BLK < end; blk++) {
		struct fat_cblk *b = fc_lookup(fs, blk);
		uint64_t s = blk * FAT_BLK > off ? blk * FAT_BLK : off;
		uint64_t e = (blk + 1) * FAT_BLK < end ? (blk + 1) * FAT_BLK : end;

		if (!b)
			continue;
		if (write)
			fat_memcpy(b->data + (s - blk * FAT_BLK), buf + (s - off), e - s);
		else if (b->dirty)
			fat_memcpy(buf + (s - off), b->data + (s - blk * FAT_BLK), e - s);
	}
}

/* Whole device sectors, straight to or from the caller's buffer. */
static int fc_direct(struct fat_fs *fs, uint64_t off, uint8_t *buf, size_t len, int write)
{
	uint32_t ss = fs->dev->sector_size;
	const size_t chunk = 4u << 20;
	int r = 0;

	for (size_t done = 0; done < len && !r; done += chunk) {
		size_t n = len - done < chunk ? len - done : chunk;
		uint64_t sec = (off + done) / ss;
		r = write ? fs->dev->write(fs->dev, sec, buf + done, n / ss)
		          : fs->dev->read(fs->dev, sec, buf + done, n / ss);
	}
	if (!r)
		fc_coherent(fs, off, buf, len, write);
	return r;
}

int fat_io(struct fat_fs *fs, uint64_t off, void *buf, size_t len, int write)
{
	uint32_t ss = fs->dev->sector_size;
	size_t head = (ss - off % ss) % ss, mid;
	uint8_t *p = buf;
	int r;

	if (!fc_range_ok(fs, off, len))
		return -EIO;
	if (head > len)
		head = len;
	mid = (len - head) / ss * ss;
	if (head &&
	    (r = write ? fat_cwrite(fs, off, p, head, FAT_K_DATA) : fat_cread(fs, off, p, head)))
		return r;
	if (mid && (r = fc_direct(fs, off + head, p + head, mid, write)))
		return r;
	off += head + mid, p += head + mid, len -= head + mid;
	if (len &&
	    (r = write ? fat_cwrite(fs, off, p, len, FAT_K_DATA) : fat_cread(fs, off, p, len)))
		return r;
	return 0;
}

int fat_cache_sync(struct fat_fs *fs)
{
	int r;

	for (int k = FAT_K_DATA; k <= FAT_K_INFO; k++)
		if ((r = fc_flush_kind(fs, k)))
			return r;
	return fs->dev->flush ? fs->dev->flush(fs->dev) : 0;
}

int fat_cache_init(struct fat_fs *fs, unsigned nblk)
{
	if (nblk < 8)
		nblk = 8;
	fs->cblks = fat_zalloc(nblk * sizeof(*fs->cblks));
	fs->cmem = fat_zalloc((size_t)nblk * FAT_BLK);
	fs->zero = fat_zalloc(FAT_BLK);
	fs->bounce = fat_zalloc((size_t)FAT_RUN_BLKS * FAT_BLK);
	fs->sorted = fat_zalloc(nblk * sizeof(*fs->sorted));
	if (!fs->cblks || !fs->cmem || !fs->zero || !fs->bounce || !fs->sorted)
		return -ENOMEM;
	fs->ncblk = nblk;
	fs->lru.next = fs->lru.prev = &fs->lru;
	for (unsigned i = 0; i < nblk; i++) {
		fs->cblks[i].data = fs->cmem + (size_t)i * FAT_BLK;
		fc_lru_front(fs, &fs->cblks[i]);
	}
	return 0;
}

void fat_cache_fini(struct fat_fs *fs)
{
	fat_free(fs->cblks);
	fat_free(fs->cmem);
	fat_free(fs->zero);
	fat_free(fs->bounce);
	fat_free(fs->sorted);
	fs->cblks = NULL, fs->sorted = NULL;
	fs->cmem = fs->zero = fs->bounce = NULL;
}
