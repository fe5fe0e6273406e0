/*
 * The file allocation table: cluster chains, allocation, the free count.
 *
 * Every change goes to each FAT copy (fsck.fat compares them), unless a
 * FAT32 volume says mirroring is off, then to the active one only. Values
 * read are checked: a chain may only lead to a valid cluster or end, so a
 * damaged or hostile image gives -EIO, never a wild read.
 */
#include "fat_impl.h"

uint32_t fat_eoc(const struct fat_fs *fs)
{
	return fs->bits == 12 ? 0xfff : fs->bits == 16 ? 0xffff : 0x0fffffff;
}

/* Byte offset of clus's entry in FAT copy i. */
static uint64_t ft_off(const struct fat_fs *fs, unsigned i, uint32_t clus)
{
	uint64_t in = fs->bits == 12 ? clus + clus / 2 : (uint64_t)clus * (fs->bits / 8);

	return fs->fat_off + i * fs->fat_bytes + in;
}

static unsigned ft_first(const struct fat_fs *fs)
{
	return fs->active_fat < 0 ? 0 : fs->active_fat;
}

int fat_get(struct fat_fs *fs, uint32_t clus, uint32_t *val)
{
	uint8_t b[4] = { 0 };
	int r;

	if (clus > fs->nclusters + 1)
		return -EIO;
	if ((r = fat_cread(fs, ft_off(fs, ft_first(fs), clus), b, fs->bits == 32 ? 4 : 2)))
		return r;
	if (fs->bits == 12)
		*val = clus & 1 ? fat_le16(b) >> 4 : fat_le16(b) & 0xfff;
	else if (fs->bits == 16)
		*val = fat_le16(b);
	else
		*val = fat_le32(b) & 0x0fffffff;
	return 0;
}

static int ft_set_one(struct fat_fs *fs, unsigned i, uint32_t clus, uint32_t val)
{
	uint64_t off = ft_off(fs, i, clus);
	uint8_t b[4];
	int r;

	if (fs->bits == 16) {
		fat_put16(b, val);
		return fat_cwrite(fs, off, b, 2, FAT_K_FAT);
	}
	/* FAT12 entries share a byte with a neighbour; FAT32 keeps the top
	 * four bits it does not define. */
	if ((r = fat_cread(fs, off, b, fs->bits == 32 ? 4 : 2)))
		return r;
	if (fs->bits == 32) {
		fat_put32(b, (fat_le32(b) & 0xf0000000u) | (val & 0x0fffffff));
		return fat_cwrite(fs, off, b, 4, FAT_K_FAT);
	}
	if (clus & 1)
		fat_put16(b, (fat_le16(b) & 0x000f) | (val & 0xfff) << 4);
	else
		fat_put16(b, (fat_le16(b) & 0xf000) | (val & 0xfff));
	return fat_cwrite(fs, off, b, 2, FAT_K_FAT);
}

int fat_set(struct fat_fs *fs, uint32_t clus, uint32_t val)
{
	int r;

	if (!fat_clus_ok(fs, clus))
		return -EIO;
	if (fs->active_fat >= 0)
		return ft_set_one(fs, fs->active_fat, clus, val);
	for (unsigned i = 0; i < fs->nfats; i++)
		if ((r = ft_set_one(fs, i, clus, val)))
			return r;
	return 0;
}

int fat_next(struct fat_fs *fs, uint32_t clus, uint32_t *next)
{
	uint32_t v;
	int r;

	if (!fat_clus_ok(fs, clus))
		return -EIO;
	if ((r = fat_get(fs, clus, &v)))
		return r;
	/* Values from 0x...ff8 end a chain; free (0), reserved (1) and bad
	 * (0x...ff7) clusters inside a chain mean damage. */
	if (v >= (fat_eoc(fs) & ~7u)) {
		*next = 0;
		return 0;
	}
	if (!fat_clus_ok(fs, v))
		return -EIO;
	*next = v;
	return 0;
}

int fat_alloc(struct fat_fs *fs, uint32_t prev, uint32_t *out)
{
	uint32_t c = fs->next_free, v;
	int r;

	if (!fs->free_count)
		return -ENOSPC;
	for (uint32_t n = 0; n < fs->nclusters; n++, c++) {
		if (!fat_clus_ok(fs, c))
			c = 2;
		if ((r = fat_get(fs, c, &v)))
			return r;
		if (v)
			continue;
		if ((r = fat_set(fs, c, fat_eoc(fs))) || (prev && (r = fat_set(fs, prev, c))))
			return r;
		fs->free_count--;
		fs->next_free = c + 1;
		fs->info_dirty = 1;
		*out = c;
		return 0;
	}
	fs->free_count = 0;
	return -ENOSPC;
}

int fat_free_chain(struct fat_fs *fs, uint32_t clus)
{
	uint32_t next;
	int r;

	fs->dw_dir = 0; /* the cluster may come back as another directory */
	/* A chain is at most as long as the volume: a loop ends here too. */
	for (uint32_t n = 0; clus && n <= fs->nclusters; n++, clus = next) {
		if ((r = fat_next(fs, clus, &next)) || (r = fat_set(fs, clus, 0)))
			return r;
		fs->free_count++;
		if (clus < fs->next_free)
			fs->next_free = clus;
		fs->info_dirty = 1;
	}
	return 0;
}

/* Entry c from a piece of the table that starts at table byte 'at'. */
static uint32_t ft_decode(const struct fat_fs *fs, const uint8_t *piece, uint64_t at, uint32_t c)
{
	const uint8_t *p =
	    piece + ((fs->bits == 12 ? c + c / 2 : (uint64_t)c * (fs->bits / 8)) - at);

	if (fs->bits == 12)
		return c & 1 ? fat_le16(p) >> 4 : fat_le16(p) & 0xfff;
	return fs->bits == 16 ? fat_le16(p) : fat_le32(p) & 0x0fffffff;
}

/* Count free clusters once at mount, reading the FAT in large pieces
 * straight from the device rather than through the cache. A FAT12 table
 * (at most 4084 clusters, ~6 KiB) always fits in one piece. */
int fat_count_free(struct fat_fs *fs)
{
	const uint32_t chunk = 64u << 10;
	uint64_t base = fs->fat_off + ft_first(fs) * fs->fat_bytes;
	uint32_t ss = fs->dev->sector_size, es = fs->bits / 8, nfree = 0, first = 0;
	uint64_t need = fs->bits == 12 ? (uint64_t)(fs->nclusters + 2) * 3 / 2 + 1
	                               : (uint64_t)(fs->nclusters + 2) * es;
	uint8_t *buf = fat_zalloc(chunk + 4);
	int r = 0;

	if (!buf)
		return -ENOMEM;
	need = (need + ss - 1) / ss * ss;
	for (uint64_t done = 0; done < need && !r; done += chunk) {
		uint32_t n = need - done < chunk ? need - done : chunk, lo = 2,
		         hi = fs->nclusters + 1;
		if ((r = fat_io(fs, base + done, buf, n, 0)))
			break;
		if (fs->bits != 12) {
			lo = done / es > 2 ? done / es : 2;
			hi = (done + n) / es - 1 < hi ? (done + n) / es - 1 : hi;
		}
		for (uint32_t c = lo; c <= hi; c++)
			if (!ft_decode(fs, buf, done, c) && !nfree++)
				first = c;
	}
	fat_free(buf);
	if (r)
		return r;
	fs->free_count = nfree;
	fs->next_free = first ? first : 2;
	return 0;
}
