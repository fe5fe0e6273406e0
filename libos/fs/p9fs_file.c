/*
 * The 9P client's open files, directory listings and attributes.
 *
 * Reads and writes go to the host in pieces of up to the iounit (msize
 * minus the header, 512 KiB at most), straight between the application's
 * buffer and the device when the buffer lies in linear memory (the heap,
 * static data), else through a bounce buffer (stacks and mmap'd pages are
 * contiguous only page by page, and may not be committed yet).
 */
#include <linux/eventpoll.h>
#include <uk/arch.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/time.h>

#include "p9fs_impl.h"

struct p9fs_file {
	uint32_t fid; /* cloned from the vnode's and opened */
};

static uint32_t file_fid(struct uk_file *f) { return ((struct p9fs_file *)f->priv)->fid; }

/* ---- attributes ---- */

int p9fs_getattr(struct uk_vnode *vn, struct stat *st)
{
	struct p9fs *fs = p9fs_of(vn);
	struct p9fs_node *n = p9fs_node(vn);
	uint64_t now = uk_monotonic_ns();
	int r;

	if (n->st_ok && n->st_gen == fs->gen && now - n->st_at < P9FS_ATTR_NS) {
		*st = n->st;
		return 0;
	}
	if ((r = p9fs_getattr_fid(fs, n->fid, st)))
		return r;
	/* (the host may have changed them: the checks go by these) */
	vn->mode = (vn->mode & S_IFMT) | (st->st_mode & 07777);
	vn->uid = st->st_uid, vn->gid = st->st_gid;
	n->st = *st;
	n->st_at = now;
	n->st_gen = fs->gen;
	n->st_ok = 1;
	return 0;
}

int p9fs_setattr_fid(struct p9fs *fs, uint32_t fid, const struct uk_setattr *a)
{
	struct p9fs_call *c = p9fs_get(P9_TSETATTR);
	struct p9_iattr *ia;
	int r;

	if (!c)
		return -ENOMEM;
	ia = &c->t.u.tsetattr.attr;
	c->t.u.tsetattr.fid = fid;
	ia->valid = ((a->mask & UK_SA_MODE) ? P9_SETATTR_MODE : 0) |
	            ((a->mask & UK_SA_UID) ? P9_SETATTR_UID : 0) |
	            ((a->mask & UK_SA_GID) ? P9_SETATTR_GID : 0) |
	            ((a->mask & UK_SA_SIZE) ? P9_SETATTR_SIZE : 0) |
	            /* the VFS has already turned UTIME_NOW into a time */
	            ((a->mask & UK_SA_ATIME) ? P9_SETATTR_ATIME | P9_SETATTR_ATIME_SET : 0) |
	            ((a->mask & UK_SA_MTIME) ? P9_SETATTR_MTIME | P9_SETATTR_MTIME_SET : 0);
	ia->mode = a->mode & 07777;
	ia->uid = a->uid;
	ia->gid = a->gid;
	ia->size = a->size;
	ia->atime_sec = (uint64_t)a->atime.tv_sec;
	ia->atime_nsec = (uint64_t)a->atime.tv_nsec;
	ia->mtime_sec = (uint64_t)a->mtime.tv_sec;
	ia->mtime_nsec = (uint64_t)a->mtime.tv_nsec;
	p9fs_changed(fs);
	r = p9fs_rpc(fs, c, NULL, 0, NULL, 0);
	p9fs_put(c);
	return r;
}

int p9fs_setattr(struct uk_vnode *vn, const struct uk_setattr *a)
{
	int r = p9fs_setattr_fid(p9fs_of(vn), p9fs_node(vn)->fid, a);

	if (!r && (a->mask & UK_SA_MODE))
		vn->mode = (vn->mode & S_IFMT) | (a->mode & 07777);
	if (!r && (a->mask & UK_SA_UID))
		vn->uid = a->uid;
	if (!r && (a->mask & UK_SA_GID))
		vn->gid = a->gid;
	return r;
}

/* ---- opening ---- */

/* Clone the vnode's fid and Tlopen the clone: one round trip. */
int p9fs_open(struct uk_vnode *vn, struct uk_file *f)
{
	struct p9fs *fs = p9fs_of(vn);
	struct p9fs_node *n = p9fs_node(vn);
	struct p9fs_call *c[2] = { NULL, NULL };
	struct p9fs_file *pf;
	uint32_t fid;
	int r = -ENOMEM, res[2];

	if ((vn->mode & S_IFMT) == S_IFDIR) {
		f->ops = &uk_dir_fops; /* listings go through the vnode */
		return 0;
	}
	if (!(pf = uk_kzalloc(sizeof(*pf))))
		return -ENOMEM;
	if (n->spare != P9_NOFID) { /* just created, already open read-write */
		pf->fid = n->spare;
		n->spare = P9_NOFID;
		goto done;
	}
	if (!(c[0] = p9fs_get(P9_TWALK)) || !(c[1] = p9fs_get(P9_TLOPEN)))
		goto fail;
	fid = p9fs_fid_new(fs);
	c[0]->t.u.twalk.fid = n->fid;
	c[0]->t.u.twalk.newfid = fid;
	/* O_APPEND stays here: the host would append, but not tell us where. */
	c[1]->t.u.tlopen.fid = fid;
	c[1]->t.u.tlopen.flags = f->flags & (O_ACCMODE | O_DSYNC | O_SYNC);
	if ((r = p9fs_rpcn(fs, c, 2, res)) || (r = res[0]))
		goto fail;
	if ((r = res[1])) {
		p9fs_clunk(fs, fid);
		goto fail;
	}
	pf->fid = fid;
	p9fs_put(c[0]);
	p9fs_put(c[1]);
done:
	f->priv = pf;
	f->ops = &p9fs_fops;
	return 0;
fail:
	p9fs_put(c[0]);
	p9fs_put(c[1]);
	uk_kfree(pf);
	return r;
}

static void p9fs_file_release(struct uk_file *f)
{
	struct p9fs_file *pf = f->priv;

	if (pf) {
		p9fs_clunk(p9fs_of(f->vn), pf->fid);
		uk_kfree(pf);
	}
}

/* ---- reading and writing ---- */

/* A bounce buffer for len bytes of a non-linear user buffer. */
static void *bounce(size_t len, uint32_t iounit, size_t *cap)
{
	*cap = len < iounit ? len : iounit;
	return uk_kmalloc(*cap);
}

static long read_fid(struct p9fs *fs, uint32_t fid, void *dst, uint32_t n, uint64_t off)
{
	struct p9fs_call *c = p9fs_get(P9_TREAD);
	long r;

	if (!c)
		return -ENOMEM;
	c->t.u.tread.fid = fid;
	c->t.u.tread.offset = off;
	c->t.u.tread.count = n;
	r = p9fs_rpc(fs, c, NULL, 0, dst, n);
	if (!r)
		r = c->r.u.rread.count;
	p9fs_put(c);
	return r;
}

static long p9fs_read(struct uk_file *f, void *buf, size_t len, uint64_t *pos)
{
	struct p9fs *fs = p9fs_of(f->vn);
	int direct = uk_linear(buf);
	size_t done = 0, cap = 0;
	uint8_t *tmp = NULL;
	long r = 0;

	if (!direct && len && !(tmp = bounce(len, fs->iounit, &cap)))
		return -ENOMEM;
	while (done < len) {
		size_t want = len - done;
		uint32_t n = (uint32_t)(want < fs->iounit ? want : fs->iounit);
		if (!direct && n > cap)
			n = (uint32_t)cap;
		r = read_fid(fs, file_fid(f), direct ? (uint8_t *)buf + done : tmp, n, *pos + done);
		if (r <= 0)
			break;
		if (!direct)
			uk_memcpy((uint8_t *)buf + done, tmp, (size_t)r);
		done += (size_t)r;
		if ((uint32_t)r < n)
			break; /* the end of the file, or a short read */
	}
	uk_kfree(tmp);
	*pos += done;
	return done ? (long)done : r;
}

static long write_fid(struct p9fs *fs, uint32_t fid, const void *src, uint32_t n, uint64_t off)
{
	struct p9fs_call *c = p9fs_get(P9_TWRITE);
	long r;

	if (!c)
		return -ENOMEM;
	c->t.u.twrite.fid = fid;
	c->t.u.twrite.offset = off;
	c->t.u.twrite.d.count = n; /* data NULL: the payload is its own piece */
	r = p9fs_rpc(fs, c, src, n, NULL, 0);
	if (!r)
		r = c->r.u.rwrite.count > n ? -EIO : (long)c->r.u.rwrite.count;
	p9fs_put(c);
	return r;
}

static long p9fs_write(struct uk_file *f, const void *buf, size_t len, uint64_t *pos)
{
	struct p9fs *fs = p9fs_of(f->vn);
	int direct = uk_linear(buf);
	size_t done = 0, cap = 0;
	uint8_t *tmp = NULL;
	struct stat st;
	long r = 0;

	/* O_APPEND: at the end as the host sees it now, pwrite too (Linux). */
	if (f->flags & O_APPEND) {
		if ((r = p9fs_getattr_fid(fs, file_fid(f), &st)))
			return r;
		*pos = (uint64_t)st.st_size;
	}
	if (!direct && len && !(tmp = bounce(len, fs->iounit, &cap)))
		return -ENOMEM;
	p9fs_changed(fs);
	while (done < len) {
		size_t want = len - done;
		uint32_t n = (uint32_t)(want < fs->iounit ? want : fs->iounit);
		if (!direct) {
			n = n > cap ? (uint32_t)cap : n;
			uk_memcpy(tmp, (const uint8_t *)buf + done, n);
		}
		r = write_fid(fs, file_fid(f), direct ? (const uint8_t *)buf + done : tmp, n,
		              *pos + done);
		if (r <= 0)
			break;
		done += (size_t)r;
		if ((uint32_t)r < n)
			break;
	}
	uk_kfree(tmp);
	*pos += done;
	return done ? (long)done : r;
}

/* Through the open fid when the cache cannot answer: an unlinked file
 * has no name left to ask about. */
static int p9fs_fstat(struct uk_file *f, struct stat *st)
{
	struct p9fs *fs = p9fs_of(f->vn);
	struct p9fs_node *n = p9fs_node(f->vn);

	if (n->st_ok && n->st_gen == fs->gen && uk_monotonic_ns() - n->st_at < P9FS_ATTR_NS) {
		*st = n->st;
		return 0;
	}
	return p9fs_getattr_fid(fs, file_fid(f), st);
}

static int p9fs_truncate(struct uk_file *f, uint64_t size)
{
	struct uk_setattr a = { .mask = UK_SA_SIZE, .size = size };

	/* Through the open fid: the file may be open for writing without
	 * write permission (created 0444), as on Linux. */
	return p9fs_setattr_fid(p9fs_of(f->vn), file_fid(f), &a);
}

static int p9fs_file_fsync(struct uk_file *f, int datasync)
{
	return p9fs_fsync_fid(p9fs_of(f->vn), file_fid(f), datasync);
}

/* Always ready, as Linux's regular files; said here for the other kinds
 * a share may hold, which epoll takes only from a file that polls. */
static unsigned p9fs_poll(struct uk_file *f, struct uk_poll_table *pt)
{
	return EPOLLIN | EPOLLOUT | EPOLLRDNORM | EPOLLWRNORM;
}

const struct uk_file_ops p9fs_fops = {
	.read = p9fs_read,
	.write = p9fs_write,
	.poll = p9fs_poll,
	.fstat = p9fs_fstat,
	.truncate = p9fs_truncate,
	.fsync = p9fs_file_fsync,
	.release = p9fs_file_release,
};

/* ---- directory listings ---- */

/* The directory's own open fid for Treaddir, made on first use. */
static int dir_fid(struct uk_vnode *dir, uint32_t *out)
{
	struct p9fs *fs = p9fs_of(dir);
	struct p9fs_node *n = p9fs_node(dir);
	struct p9fs_call *c;
	uint32_t fid;
	int r;

	if (n->dirfid != P9_NOFID) {
		*out = n->dirfid;
		return 0;
	}
	if ((r = p9fs_clone(fs, n->fid, &fid)))
		return r;
	if (!(c = p9fs_get(P9_TLOPEN))) {
		p9fs_clunk(fs, fid);
		return -ENOMEM;
	}
	c->t.u.tlopen.fid = fid;
	c->t.u.tlopen.flags = O_RDONLY | O_DIRECTORY;
	r = p9fs_rpc(fs, c, NULL, 0, NULL, 0);
	p9fs_put(c);
	if (r || n->dirfid != P9_NOFID) { /* another thread won meanwhile */
		p9fs_clunk(fs, fid);
		if (r)
			return r;
	} else {
		n->dirfid = fid;
	}
	*out = n->dirfid;
	return 0;
}

/* Emit what one Rreaddir holds; 1 when emit asked to stop. */
static int emit_all(const struct p9_data *d, uint64_t *cookie, uk_dirent_fn emit, void *ctx)
{
	char name[P9_HDR_SIZE + 256];
	struct p9_dirent e;
	size_t pos = 0;
	int r;

	while ((r = p9_dirent_next(d->data, d->count, &pos, &e)) == 1) {
		if (p9_str_copy(name, sizeof(name), e.name) || !e.name.len)
			continue; /* no such name on Linux */
		if (emit(ctx, name, e.qid.path, e.type))
			return 1;
		*cookie = e.offset;
	}
	return r < 0 ? -EIO : 0;
}

int p9fs_readdir(struct uk_vnode *dir, uint64_t *cookie, uk_dirent_fn emit, void *ctx)
{
	struct p9fs *fs = p9fs_of(dir);
	struct p9fs_call *c = NULL;
	uint8_t *buf = NULL;
	uint32_t fid;
	int r;

	uk_vnode_get(dir); /* held across the requests */
	if ((r = dir_fid(dir, &fid)))
		goto out;
	r = -ENOMEM;
	if (!(c = p9fs_get(P9_TREADDIR)) || !(buf = uk_kmalloc(P9FS_DIRBUF)))
		goto out;
	for (;;) {
		c->t.u.treaddir.fid = fid;
		c->t.u.treaddir.offset = *cookie;
		c->t.u.treaddir.count = P9FS_DIRBUF;
		if ((r = p9fs_rpc(fs, c, NULL, 0, buf, P9FS_DIRBUF)) || !c->r.u.rreaddir.count)
			break;
		if ((r = emit_all(&c->r.u.rreaddir, cookie, emit, ctx)))
			break;
	}
	if (r > 0)
		r = 0;
out:
	uk_kfree(buf);
	p9fs_put(c);
	uk_vnode_put(dir);
	return r;
}
