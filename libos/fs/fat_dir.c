/*
 * FAT directories: 32-byte entries in the fixed root region (FAT12/16) or
 * in a cluster chain. A long name is a run of long-name entries, last
 * part first, right before its short entry and tied to it by a checksum
 * of the short name; a run that does not check out is ignored, as every
 * FAT implementation does, and the short name stands alone.
 *
 * Entry indexes are stable (FAT never compacts a directory), so a file is
 * known by its directory and index (struct fat_slot), and readdir cookies
 * are indexes too: 0 and 1 are "." and "..", then 2 + index.
 */
#include "fat_impl.h"

#define FD_LFN_PARTS 20 /* 20 * 13 >= 255 characters */

/* Where the 13 UTF-16 characters of a long-name entry sit. */
static const uint8_t fd_lfn_pos[13] = { 1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30 };

/* One entry as a directory walk sees it. */
struct fd_ent {
	uint32_t idx, lfn;
	uint8_t de[FAT_DIRENT];
	uint16_t u[FD_LFN_PARTS * 13];
	unsigned ulen;
};

typedef int (*fd_visit)(struct fat_fs *fs, struct fd_ent *e, void *ctx);

uint64_t fat_ino(uint32_t dir, uint32_t ent) { return ((uint64_t)dir << 16 | ent) + 2; }

int fat_dir_off(struct fat_fs *fs, uint32_t dir, uint32_t idx, uint64_t *off)
{
	uint32_t k, c = dir, i = 0, next;
	int r;

	if (!dir) {
		if (idx >= fs->root_ents)
			return -ENOENT;
		*off = fs->root_off + (uint64_t)idx * FAT_DIRENT;
		return 0;
	}
	if (idx >= FAT_DIR_MAX)
		return -ENOENT;
	k = (uint64_t)idx * FAT_DIRENT / fs->cs;
	if (fs->dw_dir == dir && fs->dw_k <= k)
		c = fs->dw_clus, i = fs->dw_k;
	for (; i < k; i++, c = next) {
		if ((r = fat_next(fs, c, &next)))
			return r;
		if (!next)
			return -ENOENT;
	}
	fs->dw_dir = dir, fs->dw_k = k, fs->dw_clus = c;
	*off = fat_clus_off(fs, c) + (uint64_t)idx * FAT_DIRENT % fs->cs;
	return 0;
}

/* Entries read a sector at a time: sectors are 512-byte aligned on the
 * device and never straddle clusters, so one holds 16 whole entries. */
struct fd_reader {
	uint64_t off;
	int valid;
	uint8_t buf[512];
};

static int fd_entry(struct fat_fs *fs, struct fd_reader *rd, uint32_t dir, uint32_t idx,
                    uint8_t *de)
{
	uint64_t off;
	int r = fat_dir_off(fs, dir, idx, &off);

	if (r)
		return r;
	if (!rd->valid || off < rd->off || off >= rd->off + sizeof(rd->buf)) {
		rd->valid = 0;
		rd->off = off & ~(uint64_t)(sizeof(rd->buf) - 1);
		if ((r = fat_cread(fs, rd->off, rd->buf, sizeof(rd->buf))))
			return r;
		rd->valid = 1;
	}
	fat_memcpy(de, rd->buf + (off - rd->off), FAT_DIRENT);
	return 0;
}

static int fd_is_dot(const uint8_t *de)
{
	return de[0] == '.' && (de[1] == ' ' || (de[1] == '.' && de[2] == ' '));
}

/* Long-name state across the entries of one walk. */
struct fd_lfn {
	unsigned expect; /* the order number the next part must carry, 0: none */
	unsigned parts;
	uint8_t sum;
	uint32_t start;
};

static void fd_lfn_part(struct fd_lfn *l, struct fd_ent *e, uint32_t idx)
{
	unsigned ord = e->de[0] & 0x3f;

	if (e->de[0] & 0x40) {
		if (ord < 1 || ord > FD_LFN_PARTS) {
			l->expect = 0;
			return;
		}
		l->parts = ord, l->sum = e->de[13], l->start = idx;
	} else if (!l->expect || ord != l->expect - 1 || e->de[13] != l->sum) {
		l->expect = 0;
		return;
	}
	l->expect = ord;
	for (int j = 0; j < 13; j++)
		e->u[(ord - 1) * 13 + j] = fat_le16(e->de + fd_lfn_pos[j]);
}

/* The entry's name: its long name when one checks out, else the short. */
static void fd_name(struct fd_lfn *l, struct fd_ent *e)
{
	unsigned n = 0;

	if (l->expect == 1 && l->sum == fat_name_sum(e->de)) {
		while (n < l->parts * 13 && e->u[n])
			n++;
		if (n && n <= FAT_LFN_MAX) {
			e->ulen = n, e->lfn = l->start;
			return;
		}
	}
	e->ulen = fat_short_to_utf16(e->de, e->u);
	e->lfn = e->idx;
}

/* Visit every live short entry (volume labels excepted) from index from;
 * stops at the first nonzero visit result and returns it, else 0 with
 * *end at the index where the directory ended and *holes counting the
 * deleted entries passed (either may be NULL). */
static int fd_walk(struct fat_fs *fs, uint32_t dir, uint32_t from, fd_visit fn, void *ctx,
                   uint32_t *end, unsigned *holes)
{
	struct fd_lfn l = { 0 };
	struct fd_reader rd = { .valid = 0 };
	struct fd_ent e;
	int r;

	for (uint32_t idx = from;; idx++) {
		r = fd_entry(fs, &rd, dir, idx, e.de);
		if (r == -ENOENT || (!r && !e.de[0])) {
			if (end)
				*end = idx;
			return 0;
		}
		if (r)
			return r;
		if (e.de[0] == 0xe5) {
			l.expect = 0;
			if (holes)
				++*holes;
		} else if ((e.de[11] & 0x3f) == FAT_ATTR_LFN) {
			fd_lfn_part(&l, &e, idx);
		} else if (e.de[11] & FAT_ATTR_VOLUME) {
			l.expect = 0;
		} else {
			e.idx = idx;
			fd_name(&l, &e);
			l.expect = 0;
			if ((r = fn(fs, &e, ctx)))
				return r;
		}
	}
}

/* ---- lookup ---- */

struct fd_find {
	const uint16_t *u;
	unsigned len;
	struct fat_slot *s;
};

static int fd_find_visit(struct fat_fs *fs, struct fd_ent *e, void *ctx)
{
	struct fd_find *f = ctx;
	uint16_t sn[13];
	unsigned sl;

	if (fd_is_dot(e->de))
		return 0;
	sl = fat_short_to_utf16(e->de, sn);
	if (!fat_name_eq(e->u, e->ulen, f->u, f->len) && !fat_name_eq(sn, sl, f->u, f->len))
		return 0;
	f->s->ent = e->idx, f->s->lfn = e->lfn;
	fat_memcpy(f->s->de, e->de, FAT_DIRENT);
	return 1;
}

int fat_dir_find(struct fat_fs *fs, uint32_t dir, const uint16_t *u, unsigned len,
                 struct fat_slot *s)
{
	struct fd_find f = { u, len, s };
	unsigned holes = 0;
	uint32_t end = 0;
	int r = fd_walk(fs, dir, 0, fd_find_visit, &f, &end, &holes);

	s->dir = dir;
	if (r)
		return r < 0 ? r : 0;
	/* Not there: an add that follows may start at the end, when no
	 * deleted entries before it could be reused. */
	fs->add_hint_dir = holes ? ~0u : dir, fs->add_hint_end = end;
	return -ENOENT;
}

/* ---- short-name aliases ---- */

#define FD_TAILS 1024 /* ~1 .. ~1023 tried per basis */

struct fd_alias {
	const uint8_t *basis;
	unsigned bl;
	uint8_t used[FD_TAILS / 8];
};

/* Mark n when entry e is basis with tail ~n. */
static int fd_alias_visit(struct fat_fs *fs, struct fd_ent *e, void *ctx)
{
	struct fd_alias *a = ctx;
	unsigned p = 0, n = 0, digits = 0, keep;

	while (p < 8 && e->de[p] != '~')
		p++;
	if (p == 8 || fat_memcmp(e->de + 8, a->basis + 8, 3))
		return 0;
	for (unsigned i = p + 1; i < 8 && e->de[i] >= '0' && e->de[i] <= '9'; i++, digits++)
		n = n * 10 + (e->de[i] - '0');
	if (!digits || (p + 1 + digits < 8 && e->de[p + 1 + digits] != ' '))
		return 0;
	keep = a->bl < 8 - (1 + digits) ? a->bl : 8 - (1 + digits);
	if (p == keep && !fat_memcmp(e->de, a->basis, p) && n < FD_TAILS)
		a->used[n / 8] |= 1 << (n % 8);
	return 0;
}

static int fd_alias(struct fat_fs *fs, uint32_t dir, const uint16_t *u, unsigned len,
                    uint8_t sn[11])
{
	uint8_t basis[11];
	struct fd_alias a;
	uint32_t h = 5381;
	int r;

	fat_name_basis(u, len, basis);
	for (unsigned i = 0; i < len; i++)
		h = h * 33 + u[i];
	for (int attempt = 0; attempt < 4; attempt++) {
		fat_memset(&a, 0, sizeof(a));
		a.basis = basis;
		while (a.bl < 8 && basis[a.bl] != ' ')
			a.bl++;
		if ((r = fd_walk(fs, dir, 0, fd_alias_visit, &a, NULL, NULL)))
			return r;
		for (unsigned n = 1; n < FD_TAILS; n++)
			if (!(a.used[n / 8] & (1 << (n % 8)))) {
				fat_name_tail(basis, n, sn);
				return 0;
			}
		/* Over a thousand names share this basis: mix in a hash of the
		 * whole name, as Windows does. */
		for (int i = 0; i < 4; i++)
			basis[2 + i] = "0123456789ABCDEF"[(h >> (4 * (3 - i))) & 15];
		basis[6] = basis[7] = ' ';
		h = h * 31 + 7;
	}
	return -ENOSPC;
}

/* ---- adding and removing ---- */

/* Append a zeroed cluster to directory dir (not the fixed root). */
static int fd_extend(struct fat_fs *fs, uint32_t dir)
{
	uint32_t c = dir, next, nc;
	int r;

	for (uint32_t n = 0; n <= fs->nclusters; n++, c = next) {
		if ((r = fat_next(fs, c, &next)))
			return r;
		if (!next)
			break;
	}
	if ((r = fat_alloc(fs, c, &nc)))
		return r;
	return fat_cwrite(fs, fat_clus_off(fs, nc), NULL, fs->cs, FAT_K_DIR);
}

/* The first index of need consecutive free entries, growing dir when
 * there are none. */
static int fd_free_run(struct fat_fs *fs, uint32_t dir, unsigned need, uint32_t *first)
{
	uint32_t idx = 0, start = 0, run = 0;
	struct fd_reader rd = { .valid = 0 };
	uint8_t de[FAT_DIRENT];
	int r;

	if (fs->add_hint_dir == dir)
		idx = fs->add_hint_end; /* the lookup just before found no holes */
	fs->add_hint_dir = ~0u;
	for (;; idx++) {
		r = fd_entry(fs, &rd, dir, idx, de);
		if (r == -ENOENT)
			break;
		if (r)
			return r;
		if (de[0] && de[0] != 0xe5) {
			run = 0;
			continue;
		}
		if (!run++)
			start = idx;
		if (run == need) {
			*first = start;
			return 0;
		}
	}
	if (!run)
		start = idx;
	if (!dir)
		return -ENOSPC; /* the FAT12/16 root has a fixed size */
	while (idx - start < need) {
		if (idx + fs->cs / FAT_DIRENT > FAT_DIR_MAX)
			return -ENOSPC;
		if ((r = fd_extend(fs, dir)))
			return r;
		idx += fs->cs / FAT_DIRENT;
	}
	*first = start;
	return 0;
}

static int fd_put(struct fat_fs *fs, uint32_t dir, uint32_t idx, const uint8_t *de)
{
	uint64_t off;
	int r = fat_dir_off(fs, dir, idx, &off);

	return r ? r : fat_cwrite(fs, off, de, FAT_DIRENT, FAT_K_DIR);
}

static void fd_lfn_entry(uint8_t *le, const uint16_t *u, unsigned len, unsigned ord, int last,
                         uint8_t sum)
{
	fat_memset(le, 0, FAT_DIRENT);
	le[0] = ord | (last ? 0x40 : 0);
	le[11] = FAT_ATTR_LFN;
	le[13] = sum;
	for (unsigned j = 0; j < 13; j++) {
		unsigned i = (ord - 1) * 13 + j;
		fat_put16(le + fd_lfn_pos[j], i < len ? u[i] : i == len ? 0 : 0xffff);
	}
}

int fat_dir_add(struct fat_fs *fs, uint32_t dir, const uint16_t *u, unsigned len,
                const uint8_t de[FAT_DIRENT], struct fat_slot *s)
{
	uint8_t sn[11], nt = 0, e[FAT_DIRENT], sum;
	unsigned nlfn = 0;
	uint32_t first;
	int r;

	if (!fat_name_is_short(u, len, sn, &nt)) {
		if ((r = fd_alias(fs, dir, u, len, sn)))
			return r;
		nlfn = (len + 12) / 13;
	}
	if ((r = fd_free_run(fs, dir, nlfn + 1, &first)))
		return r;
	sum = fat_name_sum(sn);
	for (unsigned k = nlfn; k >= 1; k--) {
		fd_lfn_entry(e, u, len, k, k == nlfn, sum);
		if ((r = fd_put(fs, dir, first + (nlfn - k), e)))
			return r;
	}
	fat_memcpy(s->de, de, FAT_DIRENT);
	fat_memcpy(s->de, sn, 11);
	s->de[12] = nt;
	s->dir = dir, s->lfn = first, s->ent = first + nlfn;
	return fd_put(fs, dir, s->ent, s->de);
}

int fat_dir_remove(struct fat_fs *fs, const struct fat_slot *s)
{
	static const uint8_t gone = 0xe5;
	uint64_t off;
	int r;

	fs->add_hint_dir = ~0u;
	for (uint32_t i = s->lfn; i <= s->ent; i++)
		if ((r = fat_dir_off(fs, s->dir, i, &off)) ||
		    (r = fat_cwrite(fs, off, &gone, 1, FAT_K_DIR)))
			return r;
	return 0;
}

int fat_dir_write_de(struct fat_fs *fs, uint32_t dir, uint32_t ent, const uint8_t *de)
{
	return fd_put(fs, dir, ent, de);
}

static int fd_empty_visit(struct fat_fs *fs, struct fd_ent *e, void *ctx)
{
	return !fd_is_dot(e->de);
}

int fat_dir_is_empty(struct fat_fs *fs, uint32_t dir)
{
	int r = fd_walk(fs, dir, 0, fd_empty_visit, NULL, NULL, NULL);

	return r < 0 ? r : !r;
}

/* ---- readdir ---- */

struct fd_iter {
	uint32_t dir;
	uint64_t *cookie;
	fat_emit_fn emit;
	void *ctx;
};

static int fd_iter_visit(struct fat_fs *fs, struct fd_ent *e, void *ctx)
{
	struct fd_iter *it = ctx;
	char name[FAT_LFN_MAX * 3 + 1];

	if (fd_is_dot(e->de))
		return 0;
	fat_name_to_utf8(e->u, e->ulen, name);
	if (it->emit(it->ctx, name, fat_ino(it->dir, e->idx), !!(e->de[11] & FAT_ATTR_DIR))) {
		*it->cookie = 2 + (uint64_t)e->lfn;
		return 1;
	}
	*it->cookie = 2 + (uint64_t)e->idx + 1;
	return 0;
}

int fat_dir_iter(struct fat_fs *fs, uint32_t dir, uint64_t *cookie, fat_emit_fn emit, void *ctx)
{
	struct fd_iter it = { dir, cookie, emit, ctx };
	uint32_t end = 0;
	int r;

	if (*cookie >= 2 + (uint64_t)FAT_DIR_MAX)
		return 0;
	r = fd_walk(fs, dir, *cookie - 2, fd_iter_visit, &it, &end, NULL);
	if (!r)
		*cookie = 2 + (uint64_t)end;
	return r < 0 ? r : 0;
}
