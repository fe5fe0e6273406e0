/*
 * ramfs: files in RAM, the writable layer a container's root has (and
 * tmpfs for mount(2)).
 *
 * A regular file's bytes live in 4 KiB pages from the page allocator,
 * indexed by a flat array; a missing page is a hole and reads as zeros.
 * A file unpacked from the image's archive first points at the archive's
 * bytes (which stay in memory for the VM's life) and copies them only when
 * it is first written or resized, so unpacking copies no file data.
 *
 * Each directory entry holds one reference to its vnode; a vnode (and its
 * data) goes away when its last name is removed and the last open file,
 * working directory or lookup result lets go of it, as on Linux: an
 * unlinked file stays readable through its open descriptors.
 *
 * readdir cookies are per-directory sequence numbers: entries keep the
 * order they were made in, and removing one does not disturb a listing in
 * progress. Cookies 0 and 1 are "." and "..".
 */
#include <asm/statfs.h>
#include <uk/libc.h>
#include <uk/mm.h>
#include <uk/poll.h>
#include <uk/proc.h>
#include <uk/vfs.h>

#include "../vfs/vfs_impl.h"
#include "ramfs_impl.h"

#define TMPFS_MAGIC 0x01021994

struct ramfs_dirent {
	struct ramfs_dirent *next;
	uint64_t seq;
	uint32_t hash;
	struct uk_vnode *vn; /* one reference: the name's */
	char name[];
};

static const struct uk_vnode_ops ramfs_vops;
static const struct uk_file_ops ramfs_fops;

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static void touch(struct ramfs_node *n, int data)
{
	n->ctime = uk_vfs_now();
	if (data)
		n->mtime = n->ctime;
}

struct uk_vnode *uk_ramfs_node_new(struct uk_mount *mnt, uint32_t mode)
{
	struct ramfs_sb *sb = mnt->priv;
	struct ramfs_node *n = uk_kzalloc(sizeof(*n));
	struct uk_vnode *vn;

	if (!n)
		return NULL;
	vn = uk_vnode_new(mnt, &ramfs_vops, sb->next_ino++, mode, n);
	if (!vn) {
		uk_kfree(n);
		return NULL;
	}
	n->atime = n->mtime = n->ctime = uk_vfs_now();
	/* the creator's fsuid and fsgid (postgres checks that it owns the
	 * data directory it made); make() applies a setgid directory's */
	uk_vfs_new_owner(NULL, &mode, &vn->uid, &vn->gid);
	n->next_seq = 2;
	n->seals = F_SEAL_SEAL; /* tmpfs's files: never sealed (memfds may be) */
	return vn;
}

/* ---- directory entries ---- */

static struct ramfs_dirent *dir_find(struct uk_vnode *dir, const char *name,
                                     struct ramfs_dirent ***link)
{
	uint32_t h = name_hash(name);
	struct ramfs_dirent **pp, *e;

	for (pp = &node(dir)->head; (e = *pp); pp = &e->next) {
		if (e->hash == h && !uk_strcmp(e->name, name)) {
			if (link)
				*link = pp;
			return e;
		}
	}
	return NULL;
}

static struct ramfs_dirent *dirent_new(const char *name, struct uk_vnode *vn)
{
	size_t len = uk_strlen(name);
	struct ramfs_dirent *e = uk_kmalloc(sizeof(*e) + len + 1);

	if (!e)
		return NULL;
	uk_memcpy(e->name, name, len + 1);
	e->hash = name_hash(name);
	e->vn = vn;
	return e;
}

/* Append e to dir; a directory entry counts in the parent's links (its
 * ".."), a file's in its own. */
static void list_append(struct uk_vnode *dir, struct ramfs_dirent *e)
{
	struct ramfs_node *d = node(dir);

	e->next = NULL;
	e->seq = d->next_seq++;
	if (d->tail)
		d->tail->next = e;
	else
		d->head = e;
	d->tail = e;
	if (uk_vfs_is_dir(e->vn))
		d->nlink++;
	touch(d, 1);
}

static void list_unlink(struct uk_vnode *dir, struct ramfs_dirent **pp)
{
	struct ramfs_node *d = node(dir);
	struct ramfs_dirent *e = *pp, *prev;

	if (d->tail == e) {
		for (prev = d->head; prev && prev->next != e; prev = prev->next)
			;
		d->tail = prev;
	}
	*pp = e->next;
	if (uk_vfs_is_dir(e->vn))
		d->nlink--;
	touch(d, 1);
}

/* Add name -> vn, taking over one reference to vn. */
static int dir_add(struct uk_vnode *dir, const char *name, struct uk_vnode *vn)
{
	struct ramfs_dirent *e = dirent_new(name, vn);

	if (!e)
		return -ENOSPC;
	list_append(dir, e);
	if (!uk_vfs_is_dir(vn))
		node(vn)->nlink++;
	return 0;
}

/* Remove the entry *pp of dir and drop its reference. */
static void dir_remove(struct uk_vnode *dir, struct ramfs_dirent **pp)
{
	struct ramfs_dirent *e = *pp;
	struct uk_vnode *vn = e->vn;

	list_unlink(dir, pp);
	if (uk_vfs_is_dir(vn))
		node(vn)->nlink = 0; /* its "." goes with its name */
	else
		node(vn)->nlink--;
	touch(node(vn), 0);
	uk_kfree(e);
	uk_vnode_put(vn);
}

/* ---- file data ---- */

static void pages_free_from(struct ramfs_node *n, size_t first)
{
	for (size_t i = first; i < n->npages; i++) {
		if (n->pages[i]) {
			/* a shared mapping may hold it too (ramfs_page_shared) */
			uk_page_put(n->pages[i]);
			n->pages[i] = NULL;
			n->nalloc--;
		}
	}
}

static int pages_reserve(struct ramfs_node *n, uint64_t end)
{
	size_t need = (end + PAGE - 1) / PAGE, cap = n->npages ? n->npages : 8;
	uint8_t **p;

	if (need <= n->npages)
		return 0;
	while (cap < need)
		cap *= 2;
	if (!(p = uk_kzalloc(cap * sizeof(*p))))
		return -ENOSPC;
	if (n->pages)
		uk_memcpy(p, n->pages, n->npages * sizeof(*p));
	uk_kfree(n->pages);
	n->pages = p;
	n->npages = cap;
	return 0;
}

/* Copy the pieces in [off, off + len) between buf and the pages; holes
 * read as zeros, missing pages are allocated for writing. */
static long pages_io(struct ramfs_node *n, uint8_t *buf, size_t len, uint64_t off, int wr)
{
	size_t done = 0;

	while (done < len) {
		size_t i = (off + done) / PAGE, in = (off + done) % PAGE;
		size_t chunk = PAGE - in < len - done ? PAGE - in : len - done;
		uint8_t *pg = n->pages && i < n->npages ? n->pages[i] : NULL;

		if (wr && !pg) {
			/* a page written whole needs no zeroing first */
			pg = chunk == PAGE ? uk_pages_alloc(1) : uk_pages_zalloc(1);
			if (!pg)
				return done ? (long)done : -ENOSPC;
			n->pages[i] = pg;
			n->nalloc++;
		}
		if (wr)
			uk_memcpy(pg + in, buf + done, chunk);
		else if (pg)
			uk_memcpy(buf + done, pg + in, chunk);
		else
			uk_memset(buf + done, 0, chunk);
		done += chunk;
	}
	return (long)done;
}

/* Give a file backed by the archive pages of its own, keeping its first
 * keep bytes. The archive's whole pages of it (ukbuild page-aligns the
 * data of files of a page or more) become its pages where they lie, as a
 * page cache would hold them: no copy (java's start shared-maps its 129
 * MB module file, which was copied whole at the first touch), and every
 * mapping of them, private ones not yet written included, sees the
 * file's writes as on Linux. The image's pages are never freed
 * (uk_page_of_image); only the rest is copied. */
static int materialize(struct ramfs_node *n, uint64_t keep)
{
	const uint8_t *ext = n->ext;
	uint64_t whole = 0;
	long r;

	if (!ext)
		return 0;
	if (keep > n->size)
		keep = n->size;
	if (pages_reserve(n, keep))
		return -ENOSPC;
	n->ext = NULL;
	if (!((uintptr_t)ext & (PAGE - 1)) && uk_page_of_image(uk_v2p(ext)))
		for (; whole + PAGE <= keep; whole += PAGE, n->nalloc++)
			n->pages[whole / PAGE] = (uint8_t *)ext + whole;
	r = pages_io(n, (uint8_t *)ext + whole, keep - whole, whole, 1);
	if (r < 0 || (uint64_t)r != keep - whole) {
		pages_free_from(n, 0);
		n->ext = ext;
		return -ENOSPC;
	}
	return 0;
}

/* Zero [off, end) of the file's pages: a whole page only the file holds
 * goes back to the allocator; one a shared mapping holds too is zeroed in
 * place and stays the file's, so every mapping keeps seeing the file's
 * bytes (Linux would take it from the mappings). */
static void zero_range(struct ramfs_node *n, uint64_t off, uint64_t end)
{
	if (end > (uint64_t)n->npages * PAGE) /* (past the slots: holes) */
		end = (uint64_t)n->npages * PAGE;
	for (; off < end; off = (off | (PAGE - 1)) + 1) {
		size_t i = off / PAGE, in = off % PAGE;
		size_t chunk = end - off < PAGE - in ? end - off : PAGE - in;
		uint8_t *pg = i < n->npages ? n->pages[i] : NULL;

		if (!pg)
			continue;
		if (chunk < PAGE || uk_page_shared(uk_v2p(pg))) {
			uk_memset(pg + in, 0, chunk);
			continue;
		}
		uk_page_put(pg);
		n->pages[i] = NULL;
		n->nalloc--;
	}
}

static int file_resize(struct ramfs_node *n, uint64_t size)
{
	int r;

	if (size > MAX_FILE)
		return -EFBIG;
	if ((r = uk_ramfs_seal_resize(n, size)) || (r = materialize(n, size)))
		return r;
	if (size < n->size)
		zero_range(n, size, n->size);
	n->size = size;
	touch(n, 1);
	return 0;
}

static long ramfs_read(struct uk_file *f, void *buf, size_t len, uint64_t *pos)
{
	struct ramfs_node *n = node(f->vn);
	long r;

	if (*pos >= n->size)
		return 0;
	if (len > n->size - *pos)
		len = n->size - *pos;
	if (n->ext) {
		uk_memcpy(buf, n->ext + *pos, len);
		r = (long)len;
	} else {
		r = pages_io(n, buf, len, *pos, 0);
	}
	*pos += r;
	return r;
}

/* The page at off as it lies in memory, for a page fault (uk/vfs.h). */
static long ramfs_page_data(struct uk_vnode *vn, uint64_t off, const void **data)
{
	struct ramfs_node *n = node(vn);
	size_t i = off / PAGE;

	*data = NULL;
	if (off >= n->size)
		return 0;
	if (n->ext)
		*data = n->ext + off;
	else if (n->pages && i < n->npages)
		*data = n->pages[i];
	return n->size - off < PAGE ? (long)(n->size - off) : (long)PAGE;
}

/* The file's own page at off for a shared mapping (uk/vfs.h): a hole
 * gets a zeroed page, an archive-backed file copies its bytes first. */
static long ramfs_page_shared(struct uk_vnode *vn, uint64_t off, void **page)
{
	struct ramfs_node *n = node(vn);
	size_t i = off / PAGE;

	if (off >= n->size)
		return 1;
	if (materialize(n, n->size) || pages_reserve(n, off + 1))
		return -ENOMEM;
	if (!n->pages[i]) {
		if (!(n->pages[i] = uk_pages_zalloc(1)))
			return -ENOMEM;
		n->nalloc++;
	}
	*page = n->pages[i];
	return 0;
}

/* Punch a hole in the file (uk/vfs.h). */
static int ramfs_punch(struct uk_vnode *vn, uint64_t off, uint64_t len)
{
	struct ramfs_node *n = node(vn);
	int r;

	if ((r = uk_ramfs_seal_punch(n)))
		return r;
	if (off >= n->size)
		return 0;
	if ((r = materialize(n, n->size)))
		return r;
	zero_range(n, off, len < n->size - off ? off + len : n->size);
	touch(n, 1);
	return 0;
}

static long ramfs_write(struct uk_file *f, const void *buf, size_t len, uint64_t *pos)
{
	struct ramfs_node *n = node(f->vn);
	uint64_t off = f->flags & O_APPEND ? n->size : *pos;
	long r;

	if (!len)
		return 0;
	if (off >= MAX_FILE || len > MAX_FILE - off)
		return -EFBIG;
	if ((r = uk_ramfs_seal_write(n, off, &len)))
		return r;
	if ((r = materialize(n, n->size)) || (r = pages_reserve(n, off + len)))
		return r;
	r = pages_io(n, (uint8_t *)buf, len, off, 1);
	if (r > 0) {
		if (off + r > n->size)
			n->size = off + r;
		*pos = off + r;
		touch(n, 1);
	}
	return r;
}

static int ramfs_ftruncate(struct uk_file *f, uint64_t size)
{
	return file_resize(node(f->vn), size);
}

static const struct uk_file_ops ramfs_fops = {
	.read = ramfs_read,
	.write = ramfs_write,
	.truncate = ramfs_ftruncate,
};

const void *uk_ramfs_image_data(struct uk_vnode *vn)
{
	const uint8_t *ext = vn->ops == &ramfs_vops ? node(vn)->ext : NULL;

	return ext && (vn->mode & S_IFMT) == S_IFREG && uk_page_of_image(uk_v2p(ext)) ? ext : NULL;
}

int uk_ramfs_set_extern(struct uk_vnode *vn, const void *data, uint64_t len)
{
	struct ramfs_node *n = node(vn);

	if (vn->ops != &ramfs_vops || (vn->mode & S_IFMT) != S_IFREG)
		return -EINVAL;
	pages_free_from(n, 0);
	n->ext = data;
	n->size = len;
	return 0;
}

void uk_ramfs_set_meta(struct uk_vnode *vn, uint64_t mtime_s, uint32_t uid, uint32_t gid)
{
	struct ramfs_node *n = node(vn);

	if (vn->ops != &ramfs_vops)
		return;
	n->mtime = (struct __kernel_timespec){ (long long)mtime_s, 0 };
	vn->uid = uid;
	vn->gid = gid;
}

/* ---- vnode operations ---- */

static int ramfs_lookup(struct uk_vnode *dir, const char *name, struct uk_vnode **out)
{
	struct ramfs_dirent *e = dir_find(dir, name, NULL);

	if (!e)
		return -ENOENT;
	*out = uk_vnode_get(e->vn);
	return 0;
}

/* A new node of the given mode linked as name in dir; *out referenced. */
static int make(struct uk_vnode *dir, const char *name, uint32_t mode, struct uk_vnode **out)
{
	struct uk_vnode *vn;
	uint32_t uid, gid;
	int r;

	if (dir_find(dir, name, NULL))
		return -EEXIST;
	uk_vfs_new_owner(dir, &mode, &uid, &gid);
	if (!(vn = uk_ramfs_node_new(dir->mnt, mode)))
		return -ENOSPC;
	vn->uid = uid, vn->gid = gid;
	if ((r = dir_add(dir, name, vn))) {
		uk_vnode_put(vn);
		return r;
	}
	if (uk_vfs_is_dir(vn))
		node(vn)->nlink = 2; /* its name and its own "." */
	if (out)
		*out = uk_vnode_get(vn);
	return 0;
}

static int ramfs_create(struct uk_vnode *dir, const char *name, uint32_t mode,
                        struct uk_vnode **out)
{
	if (!(mode & S_IFMT))
		mode |= S_IFREG;
	if ((mode & S_IFMT) == S_IFDIR || (mode & S_IFMT) == S_IFLNK)
		return -EINVAL;
	return make(dir, name, mode, out);
}

static int ramfs_mkdir(struct uk_vnode *dir, const char *name, uint32_t mode)
{
	return make(dir, name, S_IFDIR | (mode & 07777), NULL);
}

static int ramfs_symlink(struct uk_vnode *dir, const char *name, const char *target)
{
	size_t len = uk_strlen(target);
	struct uk_vnode *vn;
	char *t = uk_kmalloc(len + 1);
	int r;

	if (!t)
		return -ENOSPC;
	uk_memcpy(t, target, len + 1);
	if ((r = make(dir, name, S_IFLNK | 0777, &vn))) {
		uk_kfree(t);
		return r;
	}
	node(vn)->target = t;
	node(vn)->size = len;
	uk_vnode_put(vn);
	return 0;
}

static int ramfs_unlink(struct uk_vnode *dir, const char *name)
{
	struct ramfs_dirent **pp, *e = dir_find(dir, name, &pp);

	if (!e)
		return -ENOENT;
	if (uk_vfs_is_dir(e->vn))
		return -EISDIR;
	dir_remove(dir, pp);
	return 0;
}

static int ramfs_rmdir(struct uk_vnode *dir, const char *name)
{
	struct ramfs_dirent **pp, *e = dir_find(dir, name, &pp);

	if (!e)
		return -ENOENT;
	if (!uk_vfs_is_dir(e->vn))
		return -ENOTDIR;
	if (node(e->vn)->head)
		return -ENOTEMPTY;
	dir_remove(dir, pp);
	return 0;
}

/* Whether moving src over dst (which exists) is allowed. */
static int replace_ok(struct uk_vnode *src, struct uk_vnode *dst)
{
	if (uk_vfs_is_dir(src) && !uk_vfs_is_dir(dst))
		return -ENOTDIR;
	if (!uk_vfs_is_dir(src) && uk_vfs_is_dir(dst))
		return -EISDIR;
	if (uk_vfs_is_dir(dst) && node(dst)->head)
		return -ENOTEMPTY;
	return 0;
}

static int rename_exchange(struct uk_vnode *odir, struct ramfs_dirent *a, struct uk_vnode *ndir,
                           struct ramfs_dirent *b)
{
	struct uk_vnode *t = a->vn;
	int adir = uk_vfs_is_dir(a->vn), bdir = uk_vfs_is_dir(b->vn);

	a->vn = b->vn;
	b->vn = t;
	if (odir != ndir && adir != bdir) { /* a directory changed parents */
		node(odir)->nlink += adir ? -1 : 1;
		node(ndir)->nlink += adir ? 1 : -1;
	}
	touch(node(odir), 1);
	touch(node(ndir), 1);
	return 0;
}

static int ramfs_rename(struct uk_vnode *odir, const char *oname, struct uk_vnode *ndir,
                        const char *nname, unsigned flags)
{
	struct ramfs_dirent **pp, *o = dir_find(odir, oname, &pp), *n, *e;
	int r;

	if (!o)
		return -ENOENT;
	n = dir_find(ndir, nname, NULL);
	if (flags & RENAME_EXCHANGE)
		return n ? rename_exchange(odir, o, ndir, n) : -ENOENT;
	if (n && (flags & RENAME_NOREPLACE))
		return -EEXIST;
	if (n && n->vn == o->vn)
		return 0; /* two names of one file: nothing happens */
	if (n && (r = replace_ok(o->vn, n->vn)))
		return r;
	if (!(e = dirent_new(nname, o->vn)))
		return -ENOSPC; /* before any change, so failure changes nothing */
	if (n) {
		dir_find(ndir, nname, &pp);
		dir_remove(ndir, pp);
	}
	dir_find(odir, oname, &pp);
	list_unlink(odir, pp);
	uk_kfree(o);
	list_append(ndir, e);
	touch(node(e->vn), 0);
	return 0;
}

static int ramfs_link(struct uk_vnode *vn, struct uk_vnode *dir, const char *name)
{
	int r;

	if (uk_vfs_is_dir(vn))
		return -EPERM;
	if (vn->mnt != dir->mnt)
		return -EXDEV;
	if (node(vn)->nlink == 0 && node(vn)->tmp != RAMFS_TMP_LINKABLE)
		return -ENOENT; /* Linux refuses to resurrect an unlinked file */
	if (dir_find(dir, name, NULL))
		return -EEXIST;
	uk_vnode_get(vn);
	if ((r = dir_add(dir, name, vn))) {
		uk_vnode_put(vn);
		return r;
	}
	touch(node(vn), 0);
	/* named once, an O_TMPFILE's file cannot be linked back after its
	 * unlink (Linux clears I_LINKABLE); /proc still shows "#INO" then */
	if (node(vn)->tmp)
		node(vn)->tmp = RAMFS_TMP_LINKED;
	return 0;
}

static long ramfs_readlink(struct uk_vnode *vn, char *buf, size_t len)
{
	struct ramfs_node *n = node(vn);

	if ((vn->mode & S_IFMT) != S_IFLNK || !n->target)
		return -EINVAL;
	if (len > n->size)
		len = n->size;
	uk_memcpy(buf, n->target, len);
	return (long)len;
}

static int ramfs_getattr(struct uk_vnode *vn, struct stat *st)
{
	struct ramfs_node *n = node(vn);
	struct ramfs_sb *sb = vn->mnt->priv;

	uk_memset(st, 0, sizeof(*st));
	st->st_dev = sb->dev;
	st->st_ino = vn->ino;
	st->st_mode = vn->mode;
	st->st_nlink = n->nlink;
	st->st_uid = vn->uid;
	st->st_gid = vn->gid;
	st->st_rdev = n->rdev;
	st->st_size = uk_vfs_is_dir(vn) ? 4096 : n->size;
	st->st_blksize = PAGE;
	st->st_blocks = n->ext ? (n->size + 511) / 512 : n->nalloc * (PAGE / 512);
	st->st_atime = n->atime.tv_sec;
	st->st_atime_nsec = n->atime.tv_nsec;
	st->st_mtime = n->mtime.tv_sec;
	st->st_mtime_nsec = n->mtime.tv_nsec;
	st->st_ctime = n->ctime.tv_sec;
	st->st_ctime_nsec = n->ctime.tv_nsec;
	return 0;
}

static int ramfs_setattr(struct uk_vnode *vn, const struct uk_setattr *a)
{
	struct ramfs_node *n = node(vn);
	int r;

	if ((a->mask & UK_SA_MODE) && (r = uk_ramfs_seal_mode(vn, a->mode)))
		return r;
	if (a->mask & UK_SA_SIZE) {
		if ((vn->mode & S_IFMT) != S_IFREG)
			return uk_vfs_is_dir(vn) ? -EISDIR : -EINVAL;
		if ((r = file_resize(n, a->size)))
			return r;
	}
	if (a->mask & UK_SA_MODE)
		vn->mode = (vn->mode & S_IFMT) | (a->mode & 07777);
	if (a->mask & UK_SA_UID)
		vn->uid = a->uid;
	if (a->mask & UK_SA_GID)
		vn->gid = a->gid;
	if (a->mask & UK_SA_ATIME)
		n->atime = a->atime;
	if (a->mask & UK_SA_MTIME)
		n->mtime = a->mtime;
	touch(n, 0);
	return 0;
}

static int ramfs_open(struct uk_vnode *vn, struct uk_file *f)
{
	switch (vn->mode & S_IFMT) {
	case S_IFREG: f->ops = &ramfs_fops; return 0;
	case S_IFDIR: f->ops = &uk_dir_fops; return 0;
	case S_IFIFO: return uk_fifo_open(vn, f);
	}
	return -ENXIO; /* device nodes made with mknod lead nowhere here */
}

static int ramfs_readdir(struct uk_vnode *dir, uint64_t *cookie, uk_dirent_fn emit, void *ctx)
{
	struct uk_vnode *up = dir->parent ? dir->parent : dir;

	if (*cookie == 0) {
		if (emit(ctx, ".", dir->ino, DT_DIR))
			return 0;
		*cookie = 1;
	}
	if (*cookie == 1) {
		if (emit(ctx, "..", up->ino, DT_DIR))
			return 0;
		*cookie = 2;
	}
	for (struct ramfs_dirent *e = node(dir)->head; e; e = e->next) {
		if (e->seq < *cookie)
			continue;
		if (emit(ctx, e->name, e->vn->ino, (e->vn->mode & S_IFMT) >> 12))
			break;
		*cookie = e->seq + 1;
	}
	return 0;
}

static int ramfs_statfs(struct uk_vnode *vn, struct statfs *sf)
{
	uk_memset(sf, 0, sizeof(*sf));
	sf->f_type = TMPFS_MAGIC;
	sf->f_bsize = PAGE;
	sf->f_frsize = PAGE;
	sf->f_blocks = uk_mm_total() / PAGE;
	sf->f_bfree = sf->f_bavail = uk_mm_free() / PAGE;
	sf->f_files = uk_mm_total() / 1024;
	sf->f_ffree = uk_mm_free() / 1024;
	sf->f_namelen = UK_NAME_MAX;
	return 0;
}

static int ramfs_fsync(struct uk_vnode *vn, int datasync) { return 0; }

static void ramfs_release(struct uk_vnode *vn)
{
	struct ramfs_node *n = node(vn);

	pages_free_from(n, 0);
	uk_kfree(n->pages);
	uk_kfree(n->target);
	uk_kfree(n->memfd);
	uk_kfree(n);
}

static const struct uk_vnode_ops ramfs_vops = {
	.lookup = ramfs_lookup,
	.create = ramfs_create,
	.mkdir = ramfs_mkdir,
	.unlink = ramfs_unlink,
	.rmdir = ramfs_rmdir,
	.rename = ramfs_rename,
	.link = ramfs_link,
	.symlink = ramfs_symlink,
	.readlink = ramfs_readlink,
	.getattr = ramfs_getattr,
	.setattr = ramfs_setattr,
	.open = ramfs_open,
	.readdir = ramfs_readdir,
	.statfs = ramfs_statfs,
	.fsync = ramfs_fsync,
	.page_data = ramfs_page_data,
	.page_shared = ramfs_page_shared,
	.punch = ramfs_punch,
	.seals = uk_ramfs_seals,
	.tmpfile = uk_ramfs_tmpfile,
	.dname = uk_ramfs_dname,
	.release = ramfs_release,
};

/* ---- mounting ---- */

int uk_ramfs_mount(struct uk_mount *mnt, const char *source, const void *data,
                   struct uk_vnode **root)
{
	static uint32_t instances;
	struct ramfs_sb *sb = uk_kzalloc(sizeof(*sb));
	struct uk_vnode *vn;

	if (!sb)
		return -ENOMEM;
	sb->next_ino = 1;
	sb->dev = 0x20 + instances++; /* anonymous device numbers, as tmpfs gets */
	mnt->priv = sb;
	if (!(vn = uk_ramfs_node_new(mnt, S_IFDIR | 0755))) {
		uk_kfree(sb);
		return -ENOMEM;
	}
	node(vn)->nlink = 2;
	*root = vn;
	return 0;
}

/* Drop every name below dir, depth first. */
static void drop_tree(struct uk_vnode *dir)
{
	struct ramfs_node *d = node(dir);

	while (d->head) {
		if (uk_vfs_is_dir(d->head->vn))
			drop_tree(d->head->vn);
		dir_remove(dir, &d->head);
	}
}

static void ramfs_unmount(struct uk_mount *mnt)
{
	drop_tree(mnt->root);
	/* sb stays: vnodes still referenced keep pointing at it */
}

const struct uk_fs_type uk_ramfs_type = {
	.name = "ramfs",
	.mount = uk_ramfs_mount,
	.unmount = ramfs_unmount,
};
