/*
 * FAT block cache: 4 KiB blocks of the device, write-back, with a valid
 * bit per device sector: a block is read only where it is needed, so a
 * write of whole sectors (or of a new cluster, fat_io's fresh case) never
 * reads first.
 *
 * Metadata blocks stay dirty until fat_cache_sync() writes them in the
 * order fat.h promises; only dirty *data* blocks (partial sectors of file
 * contents) may be written early to make room. When every block holds
 * dirty metadata, the cache grows (up to opts.cache_max blocks) rather
 * than write half an operation; the operation then ends with a sync
 * (fat_settle), so the disk only ever holds whole operations. Past
 * cache_max a sync happens where it must, mid-operation.
 *
 * Whole sectors of file data bypass the cache (fat_io), so a big
 * sequential transfer is a few large device requests; cached copies of
 * the same bytes are kept coherent both ways. Write-back goes in disk
 * order, runs of adjacent sectors as one request.
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
	b->hashed = 0;
	b->vmask = 0;
}

/* Device sectors per block, and how many of a block exist on the device
 * (the last block may be cut short). */
static uint32_t fc_spb(const struct fat_fs *fs) { return FAT_BLK / fs->dev->sector_size; }

static uint32_t fc_nsec(const struct fat_fs *fs, uint64_t blk)
{
	uint64_t first = blk * fc_spb(fs);

	if (first >= fs->dev->sectors)
		return 0;
	return fs->dev->sectors - first < fc_spb(fs) ? (uint32_t)(fs->dev->sectors - first)
	                                             : fc_spb(fs);
}

static uint8_t fc_bits(uint32_t s, uint32_t e)
{
	return (uint8_t)(((1u << e) - 1) & ~((1u << s) - 1));
}

/* Read the sectors [s, e) of a block that are not valid yet. */
static int fc_fill(struct fat_fs *fs, struct fat_cblk *b, uint32_t s, uint32_t e)
{
	uint32_t ss = fs->dev->sector_size;
	int r;

	if (e > fc_nsec(fs, b->blk))
		return -EIO;
	while (s < e) {
		uint32_t k;
		if (b->vmask & (1u << s)) {
			s++;
			continue;
		}
		for (k = s; k < e && !(b->vmask & (1u << k)); k++)
			;
		if ((r = fs->dev->read(fs->dev, b->blk * fc_spb(fs) + s, b->data + s * ss, k - s)))
			return r;
		b->vmask |= fc_bits(s, k);
		s = k;
	}
	return 0;
}

/* Dirty blocks of one kind, in disk order (shell sort: a few hundred at
 * most). Returns how many. */
static unsigned fc_dirty_sorted(struct fat_fs *fs, int kind, struct fat_cblk **v)
{
	unsigned n = 0;

	for (unsigned i = 0; i < fs->nblk; i++)
		if (fs->blks[i]->hashed && fs->blks[i]->dirty && fs->blks[i]->kind == kind)
			v[n++] = fs->blks[i];
	for (unsigned gap = n / 2; gap; gap /= 2)
		for (unsigned i = gap; i < n; i++)
			for (unsigned j = i; j >= gap && v[j - gap]->blk > v[j]->blk; j -= gap) {
				struct fat_cblk *t = v[j];
				v[j] = v[j - gap], v[j - gap] = t;
			}
	return n;
}

/* A run of sectors gathered in the bounce buffer, written as one request. */
struct fc_run {
	uint64_t sector;
	uint32_t count;
};

static int fc_run_flush(struct fat_fs *fs, struct fc_run *run)
{
	int r = run->count ? fs->dev->write(fs->dev, run->sector, fs->bounce, run->count) : 0;

	run->count = 0;
	return r;
}

/* Add the valid sectors [s, e) of block b to the run (flushing it first
 * unless they continue it). */
static int fc_run_add(struct fat_fs *fs, struct fc_run *run, struct fat_cblk *b, uint32_t s,
                      uint32_t e)
{
	uint32_t ss = fs->dev->sector_size, max = FAT_RUN_BLKS * fc_spb(fs);
	uint64_t sector = b->blk * fc_spb(fs) + s;
	int r;

	if (run->count && (run->sector + run->count != sector || run->count + (e - s) > max) &&
	    (r = fc_run_flush(fs, run)))
		return r;
	if (!run->count)
		run->sector = sector;
	fat_memcpy(fs->bounce + (size_t)run->count * ss, b->data + s * ss, (e - s) * ss);
	run->count += e - s;
	return 0;
}

/* Write back every dirty block of a kind: its valid sectors (a superset
 * of the dirty ones, the rest equal to the disk). */
static int fc_flush_kind(struct fat_fs *fs, int kind)
{
	struct fat_cblk **v = fs->sorted;
	unsigned n = fc_dirty_sorted(fs, kind, v);
	struct fc_run run = { 0, 0 };
	int r;

	for (unsigned i = 0; i < n; i++) {
		uint32_t s = 0, e, nsec = fc_nsec(fs, v[i]->blk);
		while (s < nsec) {
			if (!(v[i]->vmask & (1u << s))) {
				s++;
				continue;
			}
			for (e = s; e < nsec && (v[i]->vmask & (1u << e)); e++)
				;
			if ((r = fc_run_add(fs, &run, v[i], s, e)))
				return r;
			s = e;
		}
	}
	if ((r = fc_run_flush(fs, &run)))
		return r;
	for (unsigned i = 0; i < n; i++)
		v[i]->dirty = 0;
	return 0;
}

/* One more block in the cache (most recently used end), or NULL. */
static struct fat_cblk *fc_new_block(struct fat_fs *fs)
{
	struct fat_cblk *b = fat_zalloc(sizeof(*b) + FAT_BLK);

	if (!b)
		return NULL;
	b->data = (uint8_t *)(b + 1);
	fs->blks[fs->nblk++] = b;
	fc_lru_front(fs, b);
	return b;
}

/* A block to reuse: the least recently used clean one, else the least
 * recently used data block once all dirty data is written back, else a
 * new block while the cache may grow, else everything synced. */
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
	if (fs->nblk < fs->cap && (b = fc_new_block(fs)))
		goto found;
	if ((r = fat_cache_sync(fs)))
		return r;
	b = fs->lru.prev;
found:
	if (b->hashed)
		fc_unhash(fs, b);
	*out = b;
	return 0;
}

/* The cached block blk (nothing of it valid yet if it is new). */
static int fc_get(struct fat_fs *fs, uint64_t blk, struct fat_cblk **out)
{
	struct fat_cblk *b = fc_lookup(fs, blk);
	int r;

	if (!b) {
		if ((r = fc_victim(fs, &b)))
			return r;
		b->blk = blk;
		b->dirty = 0, b->vmask = 0;
		b->hashed = 1;
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

/* Bytes [off, off + len) of the device through the cache, a block at a
 * time in order: fn(fs, b, in, n, arg) for bytes [in, in + n) of block b;
 * the first error stops the walk. */
static int fc_walk(struct fat_fs *fs, uint64_t off, size_t len,
                   int (*fn)(struct fat_fs *, struct fat_cblk *, size_t, size_t, void *), void *arg)
{
	struct fat_cblk *b;
	int r;

	if (!fc_range_ok(fs, off, len))
		return -EIO;
	while (len) {
		size_t in = off % FAT_BLK, n = FAT_BLK - in < len ? FAT_BLK - in : len;
		if ((r = fc_get(fs, off / FAT_BLK, &b)) || (r = fn(fs, b, in, n, arg)))
			return r;
		off += n, len -= n;
	}
	return 0;
}

static int fc_read_part(struct fat_fs *fs, struct fat_cblk *b, size_t in, size_t n, void *arg)
{
	uint32_t ss = fs->dev->sector_size;
	uint8_t **p = arg;
	int r;

	if ((r = fc_fill(fs, b, in / ss, (in + n + ss - 1) / ss)))
		return r;
	fat_memcpy(*p, b->data + in, n);
	*p += n;
	return 0;
}

int fat_cread(struct fat_fs *fs, uint64_t off, void *buf, size_t len)
{
	uint8_t *p = buf;

	return fc_walk(fs, off, len, fc_read_part, &p);
}

/* Bytes [in, in + n) of a block about to be written: the sectors they
 * cover partly are read first, or zeroed when the caller knows what lies
 * around them is free space (fresh). */
static int fc_prepare(struct fat_fs *fs, struct fat_cblk *b, size_t in, size_t n, int fresh)
{
	uint32_t ss = fs->dev->sector_size, s = in / ss, e = (in + n + ss - 1) / ss;
	uint32_t edge[2] = { s, e - 1 };
	int partial[2] = { in % ss != 0, (in + n) % ss != 0 };
	int r;

	if (e > fc_nsec(fs, b->blk))
		return -EIO;
	for (int i = 0; i < 2; i++) {
		uint32_t k = edge[i];
		if (!partial[i] || (b->vmask & (1u << k)))
			continue;
		if (fresh)
			fat_memset(b->data + k * ss, 0, ss);
		else if ((r = fc_fill(fs, b, k, k + 1)))
			return r;
		b->vmask |= 1u << k;
	}
	b->vmask |= fc_bits(s, e);
	return 0;
}

/* A write: its bytes (NULL: zeros), their kind, and whether what lies
 * around them is free space (fc_prepare's fresh). */
struct fc_wr {
	const uint8_t *p;
	enum fat_kind k;
	int fresh;
};

static int fc_write_part(struct fat_fs *fs, struct fat_cblk *b, size_t in, size_t n, void *arg)
{
	struct fc_wr *w = arg;
	int r;

	if ((r = fc_prepare(fs, b, in, n, w->fresh)))
		return r;
	if (w->p)
		fat_memcpy(b->data + in, w->p, n), w->p += n;
	else
		fat_memset(b->data + in, 0, n);
	if (!b->dirty || w->k > b->kind)
		b->kind = w->k;
	b->dirty = 1;
	return 0;
}

static int fc_write(struct fat_fs *fs, uint64_t off, const void *buf, size_t len, enum fat_kind k,
                    int fresh)
{
	struct fc_wr w = { buf, k, fresh };

	return fc_walk(fs, off, len, fc_write_part, &w);
}

int fat_cwrite(struct fat_fs *fs, uint64_t off, const void *buf, size_t len, enum fat_kind k)
{
	return fc_write(fs, off, buf, len, k, 0);
}

/* After a direct transfer of whole sectors [off, off + len): a read takes
 * the cached copy where one is valid (it may be newer), a write refreshes
 * and validates the cached copies. */
static void fc_coherent(struct fat_fs *fs, uint64_t off, uint8_t *buf, size_t len, int write)
{
	uint32_t ss = fs->dev->sector_size;
	uint64_t end = off + len;

	for (uint64_t blk = off / FAT_BLK; blk * FAT_BLK < end; blk++) {
		struct fat_cblk *b = fc_lookup(fs, blk);
		uint64_t s = blk * FAT_BLK > off ? blk * FAT_BLK : off;
		uint64_t e = (blk + 1) * FAT_BLK < end ? (blk + 1) * FAT_BLK : end;

		if (!b)
			continue;
		for (uint64_t x = s; x < e; x += ss) {
			uint32_t k = (uint32_t)((x - blk * FAT_BLK) / ss);
			if (write) {
				fat_memcpy(b->data + k * ss, buf + (x - off), ss);
				b->vmask |= 1u << k;
			} else if (b->dirty && (b->vmask & (1u << k))) {
				fat_memcpy(buf + (x - off), b->data + k * ss, ss);
			}
		}
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

int fat_io(struct fat_fs *fs, uint64_t off, void *buf, size_t len, int mode)
{
	uint32_t ss = fs->dev->sector_size;
	size_t head = (ss - off % ss) % ss, mid;
	int write = mode != FAT_IO_READ, fresh = mode == FAT_IO_FRESH;
	uint8_t *p = buf;
	int r;

	if (!fc_range_ok(fs, off, len))
		return -EIO;
	if (head > len)
		head = len;
	mid = (len - head) / ss * ss;
	if (head && (r = write ? fc_write(fs, off, p, head, FAT_K_DATA, fresh)
	                       : fat_cread(fs, off, p, head)))
		return r;
	if (mid && (r = fc_direct(fs, off + head, p + head, mid, write)))
		return r;
	off += head + mid, p += head + mid, len -= head + mid;
	if (len &&
	    (r = write ? fc_write(fs, off, p, len, FAT_K_DATA, fresh) : fat_cread(fs, off, p, len)))
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

int fat_cache_init(struct fat_fs *fs, unsigned nblk, unsigned max)
{
	nblk = nblk < 8 ? 8 : nblk;
	fs->base = nblk;
	fs->cap = max > nblk ? max : nblk;
	fs->blks = fat_zalloc(fs->cap * sizeof(*fs->blks));
	fs->sorted = fat_zalloc(fs->cap * sizeof(*fs->sorted));
	fs->zero = fat_zalloc(FAT_BLK);
	fs->bounce = fat_zalloc((size_t)FAT_RUN_BLKS * FAT_BLK);
	if (!fs->blks || !fs->sorted || !fs->zero || !fs->bounce)
		return -ENOMEM;
	fs->lru.next = fs->lru.prev = &fs->lru;
	for (unsigned i = 0; i < nblk; i++)
		if (!fc_new_block(fs))
			return -ENOMEM;
	return 0;
}

/* Whether the cache grew past its size and should be settled. */
int fat_cache_grown(const struct fat_fs *fs) { return fs->nblk > fs->base; }

/* Back to its size: clean blocks beyond it are freed (after a sync all
 * are clean). */
void fat_cache_shrink(struct fat_fs *fs)
{
	for (unsigned i = 0; i < fs->nblk && fs->nblk > fs->base;) {
		struct fat_cblk *b = fs->blks[i];
		if (b->dirty) {
			i++;
			continue;
		}
		if (b->hashed)
			fc_unhash(fs, b);
		fc_lru_del(b);
		fs->blks[i] = fs->blks[--fs->nblk];
		fat_free(b);
	}
}

void fat_cache_fini(struct fat_fs *fs)
{
	for (unsigned i = 0; fs->blks && i < fs->nblk; i++)
		fat_free(fs->blks[i]);
	fat_free(fs->blks);
	fat_free(fs->sorted);
	fat_free(fs->zero);
	fat_free(fs->bounce);
	fs->blks = fs->sorted = NULL;
	fs->zero = fs->bounce = NULL;
	fs->nblk = 0;
}
