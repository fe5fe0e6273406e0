/*
 * FAT volumes and namespace operations: mount (boot sector checks), sync,
 * lookup, create, unlink, rmdir, rename, readdir, statfs.
 *
 * The boot sector comes from whoever made the image, so every field is
 * checked against the device before it is used; the FAT type follows
 * from the cluster count alone, as the specification says.
 */
#include "fat_impl.h"

/* ---- mount ---- */

struct fo_bpb {
	uint32_t bps, spc, rsvd, nfats, rootents, tot, fatsz, ext_flags, root_clus, fsinfo;
};

static void fo_bpb_read(const uint8_t *b, struct fo_bpb *p)
{
	p->bps = fat_le16(b + 11), p->spc = b[13], p->rsvd = fat_le16(b + 14), p->nfats = b[16];
	p->rootents = fat_le16(b + 17);
	p->tot = fat_le16(b + 19) ? fat_le16(b + 19) : fat_le32(b + 32);
	p->fatsz = fat_le16(b + 22) ? fat_le16(b + 22) : fat_le32(b + 36);
	p->ext_flags = fat_le16(b + 40), p->root_clus = fat_le32(b + 44),
	p->fsinfo = fat_le16(b + 48);
}

static int fo_pow2(uint32_t v) { return v && !(v & (v - 1)); }

static int fo_layout(struct fat_fs *fs, const uint8_t *b)
{
	struct fo_bpb p;
	uint64_t rootsec, meta, need;

	fo_bpb_read(b, &p);
	if (b[510] != 0x55 || b[511] != 0xaa || !fo_pow2(p.bps) || p.bps < 512 || p.bps > 4096 ||
	    p.bps < fs->dev->sector_size || !fo_pow2(p.spc) || p.spc * p.bps > 65536 || !p.rsvd ||
	    !p.nfats || p.nfats > 4 || !p.fatsz)
		return -EINVAL;
	rootsec = ((uint64_t)p.rootents * FAT_DIRENT + p.bps - 1) / p.bps;
	meta = p.rsvd + (uint64_t)p.nfats * p.fatsz + rootsec;
	if (meta >= p.tot || (uint64_t)p.tot * p.bps > fs->dev_bytes)
		return -EINVAL; /* not a FAT layout, or the image is cut short */
	fs->bps = p.bps, fs->cs = p.bps * p.spc;
	fs->nclusters = (p.tot - meta) / p.spc;
	fs->bits = fs->nclusters < 4085 ? 12 : fs->nclusters < 65525 ? 16 : 32;
	fs->fat_off = (uint64_t)p.rsvd * p.bps;
	fs->fat_bytes = (uint64_t)p.fatsz * p.bps;
	fs->nfats = p.nfats;
	fs->root_off = fs->fat_off + fs->nfats * fs->fat_bytes;
	fs->root_ents = p.rootents;
	fs->data_off = fs->root_off + rootsec * p.bps;
	need = fs->bits == 12 ? ((uint64_t)fs->nclusters + 2) * 3 / 2 + 1
	                      : ((uint64_t)fs->nclusters + 2) * fs->bits / 8;
	if (need > fs->fat_bytes)
		return -EINVAL; /* a table too small for its clusters */
	fs->active_fat = -1;
	if (fs->bits != 32)
		return p.rootents ? 0 : -EINVAL;
	if (p.rootents || !fat_clus_ok(fs, p.root_clus))
		return -EINVAL;
	fs->root_clus = p.root_clus;
	if (p.ext_flags & 0x80)
		fs->active_fat = (p.ext_flags & 15) < p.nfats ? (int)(p.ext_flags & 15) : 0;
	if (p.fsinfo && p.fsinfo < p.rsvd)
		fs->fsinfo_off = (uint64_t)p.fsinfo * p.bps;
	return 0;
}

static int fo_fsinfo_ok(const uint8_t *s)
{
	return fat_le32(s) == 0x41615252 && fat_le32(s + 484) == 0x61417272 &&
	       fat_le32(s + 508) == 0xaa550000;
}

static int fo_root(struct fat_fs *fs, struct fat_node **root)
{
	struct fat_node *n = fat_zalloc(sizeof(*n));

	if (!n)
		return -ENOMEM;
	n->fs = fs, n->refs = 1, n->ino = 1, n->attr = FAT_ATTR_DIR;
	n->first = fs->bits == 32 ? fs->root_clus : 0;
	n->ent = ~0u, n->parent = ~0u;
	n->next = fs->nodes;
	fs->nodes = n;
	*root = n;
	return 0;
}

static int fo_read_boot(struct fat_fs *fs, uint8_t *b)
{
	uint32_t ss = fs->dev->sector_size;

	if (ss < 512 || ss > FAT_BLK || !fo_pow2(ss) || fs->dev->sectors < FAT_BLK / ss)
		return -EINVAL;
	return fs->dev->read(fs->dev, 0, b, FAT_BLK / ss);
}

int fat_mount(struct fat_bdev *dev, const struct fat_opts *o, struct fat_fs **out,
              struct fat_node **root)
{
	struct fat_fs *fs = fat_zalloc(sizeof(*fs));
	uint8_t info[512];
	unsigned blocks;
	int r = -ENOMEM;

	if (!fs)
		return r;
	fs->dev = dev, fs->opts = *o;
	fs->add_hint_dir = ~0u;
	fs->dev_bytes = dev->sectors * dev->sector_size;
	blocks = o->cache_blocks ? o->cache_blocks : 128;
	if ((r = fat_cache_init(fs, blocks, o->cache_max ? o->cache_max : 16 * blocks)))
		goto out;
	/* The bounce buffer (FAT_RUN_BLKS blocks) is free until the first sync. */
	if ((r = fo_read_boot(fs, fs->bounce)) || (r = fo_layout(fs, fs->bounce)))
		goto out;
	if (fs->fsinfo_off && ((r = fat_cread(fs, fs->fsinfo_off, info, sizeof(info)))))
		goto out;
	if (fs->fsinfo_off && !fo_fsinfo_ok(info))
		fs->fsinfo_off = 0; /* no usable FSInfo: leave it alone */
	if ((r = fat_count_free(fs)) || (r = fo_root(fs, root)))
		goto out;
	/* Rewrite FSInfo at the first sync, so its hints are ours. */
	fs->info_dirty = fs->fsinfo_off != 0 && !o->ro;
	*out = fs;
	return 0;
out:
	fat_cache_fini(fs);
	fat_free(fs);
	return r;
}

int fat_sync(struct fat_fs *fs)
{
	uint8_t s[512];
	int r;

	if (fs->opts.ro)
		return 0;
	if (fs->fsinfo_off && fs->info_dirty) {
		if ((r = fat_cread(fs, fs->fsinfo_off, s, sizeof(s))))
			return r;
		fat_put32(s + 488, fs->free_count);
		fat_put32(s + 492, fs->next_free);
		if ((r = fat_cwrite(fs, fs->fsinfo_off, s, sizeof(s), FAT_K_INFO)))
			return r;
		fs->info_dirty = 0;
	}
	return fat_cache_sync(fs);
}

void fat_settle(struct fat_fs *fs)
{
	if (!fat_cache_grown(fs))
		return;
	/* An error leaves the blocks dirty: the next sync tries again. */
	if (!fat_sync(fs))
		fat_cache_shrink(fs);
}

int fat_unmount(struct fat_fs *fs)
{
	int r = fat_sync(fs);

	while (fs->nodes) {
		struct fat_node *n = fs->nodes;
		fs->nodes = n->next;
		fat_free(n);
	}
	fat_cache_fini(fs);
	fat_free(fs);
	return r;
}

void fat_statfs(struct fat_fs *fs, struct fat_statfs *sf)
{
	sf->bits = fs->bits;
	sf->cluster_size = fs->cs;
	sf->clusters = fs->nclusters;
	sf->free_clusters = fs->free_count;
}

/* ---- names in directories ---- */

/* The key children of dir are filed under: its first cluster. */
static int fo_dir(struct fat_node *dir, uint32_t *key)
{
	if (!(dir->attr & FAT_ATTR_DIR))
		return -ENOTDIR;
	if (dir->unlinked)
		return -ENOENT;
	*key = dir->first;
	return 0;
}

/* A name converted and looked up: 0 found, -ENOENT, or an error. */
static int fo_find(struct fat_node *dir, const char *name, uint16_t *u, unsigned *len,
                   struct fat_slot *s)
{
	uint32_t key;
	int r;

	if ((r = fo_dir(dir, &key)) || (r = fat_name_from_utf8(name, u, len)))
		return r;
	return fat_dir_find(dir->fs, key, u, *len, s);
}

int fat_lookup(struct fat_node *dir, const char *name, struct fat_node **out)
{
	uint16_t u[FAT_LFN_MAX];
	struct fat_slot s;
	unsigned len;
	int r = fo_find(dir, name, u, &len, &s);

	return r ? r : fat_node_for(dir->fs, &s, out);
}

/* A short entry's bytes apart from the name. */
static void fo_de(struct fat_fs *fs, uint8_t *de, uint8_t attr, uint32_t first)
{
	uint16_t d, t;
	uint8_t tenth;

	fat_memset(de, 0, FAT_DIRENT);
	fat_time_now(fs, &d, &t, &tenth);
	de[11] = attr;
	de[13] = tenth;
	fat_put16(de + 14, t), fat_put16(de + 16, d), fat_put16(de + 18, d);
	fat_put16(de + 22, t), fat_put16(de + 24, d);
	fat_put16(de + 26, first & 0xffff);
	fat_put16(de + 20, fs->bits == 32 ? first >> 16 : 0);
}

/* "." and ".." in a new directory cluster; ".." of a root child is 0. */
static int fo_dots(struct fat_fs *fs, uint32_t c, struct fat_node *parent)
{
	uint8_t de[FAT_DIRENT];
	uint64_t off = fat_clus_off(fs, c);
	int r;

	if ((r = fat_cwrite(fs, off, NULL, fs->cs, FAT_K_DIR)))
		return r;
	fo_de(fs, de, FAT_ATTR_DIR, c);
	fat_memcpy(de, ".          ", 11);
	if ((r = fat_cwrite(fs, off, de, FAT_DIRENT, FAT_K_DIR)))
		return r;
	fo_de(fs, de, FAT_ATTR_DIR, parent->ino == 1 ? 0 : parent->first);
	fat_memcpy(de, "..         ", 11);
	return fat_cwrite(fs, off + FAT_DIRENT, de, FAT_DIRENT, FAT_K_DIR);
}

int fat_create(struct fat_node *dir, const char *name, int is_dir, struct fat_node **out)
{
	struct fat_fs *fs = dir->fs;
	uint16_t u[FAT_LFN_MAX];
	uint8_t de[FAT_DIRENT];
	struct fat_slot s;
	uint32_t c = 0;
	unsigned len;
	int r = fo_find(dir, name, u, &len, &s);

	if (r != -ENOENT)
		return r ? r : -EEXIST;
	if (fs->opts.ro)
		return -EROFS;
	if (is_dir && ((r = fat_alloc(fs, 0, &c)) || (r = fo_dots(fs, c, dir))))
		goto out;
	fo_de(fs, de, is_dir ? FAT_ATTR_DIR : FAT_ATTR_ARCHIVE, c);
	if ((r = fat_dir_add(fs, dir->first, u, len, de, &s)))
		goto out;
	fat_settle(fs);
	return out ? fat_node_for(fs, &s, out) : 0;
out:
	if (c)
		fat_free_chain(fs, c);
	fat_settle(fs);
	return r;
}

/* Drop an entry's name; its clusters go now, or with the last reference
 * of a node still open. */
static int fo_drop(struct fat_fs *fs, const struct fat_slot *s, uint32_t first)
{
	struct fat_node *n = fat_node_find(fs, s->dir, s->ent);
	int r = fat_dir_remove(fs, s);

	if (r)
		return r;
	if (n) {
		n->unlinked = 1;
		return 0;
	}
	return first ? fat_free_chain(fs, first) : 0;
}

static uint32_t fo_first(const struct fat_fs *fs, const uint8_t *de)
{
	return fat_le16(de + 26) | (fs->bits == 32 ? (uint32_t)fat_le16(de + 20) << 16 : 0);
}

int fat_unlink(struct fat_node *dir, const char *name)
{
	uint16_t u[FAT_LFN_MAX];
	struct fat_slot s;
	unsigned len;
	int r = fo_find(dir, name, u, &len, &s);

	if (r)
		return r;
	if (dir->fs->opts.ro)
		return -EROFS;
	if (s.de[11] & FAT_ATTR_DIR)
		return -EISDIR;
	r = fo_drop(dir->fs, &s, fo_first(dir->fs, s.de));
	fat_settle(dir->fs);
	return r;
}

int fat_rmdir(struct fat_node *dir, const char *name)
{
	struct fat_fs *fs = dir->fs;
	uint16_t u[FAT_LFN_MAX];
	struct fat_slot s;
	unsigned len;
	int r = fo_find(dir, name, u, &len, &s);
	uint32_t c;

	if (r)
		return r;
	if (fs->opts.ro)
		return -EROFS;
	if (!(s.de[11] & FAT_ATTR_DIR))
		return -ENOTDIR;
	c = fo_first(fs, s.de);
	if (!fat_clus_ok(fs, c))
		return -EIO;
	if ((r = fat_dir_is_empty(fs, c)) <= 0)
		return r < 0 ? r : -ENOTEMPTY;
	r = fo_drop(fs, &s, c);
	fat_settle(fs);
	return r;
}

/* ---- rename ---- */

/* Whether directory c is the directory moved, or below it. */
static int fo_below(struct fat_fs *fs, uint32_t c, uint32_t moved)
{
	uint32_t root = fs->bits == 32 ? fs->root_clus : 0;
	uint8_t de[FAT_DIRENT];
	uint64_t off;
	int r;

	for (int depth = 0; c != root; depth++) {
		if (c == moved)
			return 1;
		if (depth > 4096 || (r = fat_dir_off(fs, c, 1, &off)) ||
		    (r = fat_cread(fs, off, de, FAT_DIRENT)))
			return depth > 4096 ? -EIO : r;
		c = fo_first(fs, de);
		if (!c)
			c = root;
	}
	return 0;
}

/* Whether the replacement rename(2) allows: types must agree and a
 * directory replaced must be empty. */
static int fo_replace_ok(struct fat_fs *fs, const uint8_t *from, const uint8_t *to)
{
	int r;

	if ((from[11] & FAT_ATTR_DIR) && !(to[11] & FAT_ATTR_DIR))
		return -ENOTDIR;
	if (!(from[11] & FAT_ATTR_DIR) && (to[11] & FAT_ATTR_DIR))
		return -EISDIR;
	if (!(to[11] & FAT_ATTR_DIR))
		return 0;
	r = fat_dir_is_empty(fs, fo_first(fs, to));
	return r < 0 ? r : r ? 0 : -ENOTEMPTY;
}

/* Point a moved directory's ".." at its new parent. */
static int fo_repoint(struct fat_fs *fs, uint32_t c, struct fat_node *ndir)
{
	uint32_t up = ndir->ino == 1 ? 0 : ndir->first;
	uint8_t de[FAT_DIRENT];
	uint64_t off;
	int r;

	if ((r = fat_dir_off(fs, c, 1, &off)) || (r = fat_cread(fs, off, de, FAT_DIRENT)))
		return r;
	if (de[0] != '.' || de[1] != '.')
		return 0; /* no ".." where it belongs: leave the damage alone */
	fat_put16(de + 26, up & 0xffff);
	fat_put16(de + 20, fs->bits == 32 ? up >> 16 : 0);
	return fat_cwrite(fs, off, de, FAT_DIRENT, FAT_K_DIR);
}

/* The entry moves: a new name is written, the old one removed, and the
 * live node (if any) follows it. */
static int fo_move(struct fat_fs *fs, struct fat_slot *os, struct fat_node *ndir, const uint16_t *u,
                   unsigned len)
{
	struct fat_node *n = fat_node_find(fs, os->dir, os->ent);
	struct fat_slot ns;
	int r;

	if (n)
		fat_node_to_de(n, os->de); /* its newest size and times */
	if ((r = fat_dir_add(fs, ndir->first, u, len, os->de, &ns)) || (r = fat_dir_remove(fs, os)))
		return r;
	if ((os->de[11] & FAT_ATTR_DIR) && os->dir != ndir->first &&
	    (r = fo_repoint(fs, fo_first(fs, os->de), ndir)))
		return r;
	if (n) {
		n->parent = ns.dir, n->ent = ns.ent, n->nlfn = ns.ent - ns.lfn;
		n->ino = fat_ino(ns.dir, ns.ent);
	}
	return 0;
}

int fat_rename(struct fat_node *odir, const char *oname, struct fat_node *ndir, const char *nname,
               int noreplace)
{
	struct fat_fs *fs = odir->fs;
	uint16_t ou[FAT_LFN_MAX], nu[FAT_LFN_MAX];
	struct fat_slot os, ts;
	unsigned olen, nlen;
	int r = fo_find(odir, oname, ou, &olen, &os), exists, same;

	if (r)
		return r;
	r = fo_find(ndir, nname, nu, &nlen, &ts);
	if (r && r != -ENOENT)
		return r;
	if (fs->opts.ro)
		return -EROFS;
	exists = !r;
	same = exists && ts.dir == os.dir && ts.ent == os.ent;
	if (same && olen == nlen && !fat_memcmp(ou, nu, olen * 2))
		return 0; /* the very same name */
	if (exists && !same && noreplace)
		return -EEXIST;
	if (exists && !same && (r = fo_replace_ok(fs, os.de, ts.de)))
		return r;
	if ((os.de[11] & FAT_ATTR_DIR) && ndir->first != os.dir &&
	    (r = fo_below(fs, ndir->first, fo_first(fs, os.de))))
		return r < 0 ? r : -EINVAL;
	if (!(exists && !same && (r = fo_drop(fs, &ts, fo_first(fs, ts.de)))))
		r = fo_move(fs, &os, ndir, nu, nlen);
	fat_settle(fs);
	return r;
}

int fat_readdir(struct fat_node *dir, uint64_t *cookie, fat_emit_fn emit, void *ctx)
{
	uint32_t key;
	int r;

	if ((r = fo_dir(dir, &key)))
		return r;
	if (*cookie == 0) {
		if (emit(ctx, ".", dir->ino, 1))
			return 0;
		*cookie = 1;
	}
	if (*cookie == 1) {
		/* The parent's number is the VFS's to know: 0 says so. */
		if (emit(ctx, "..", 0, 1))
			return 0;
		*cookie = 2;
	}
	return fat_dir_iter(dir->fs, key, cookie, emit, ctx);
}
