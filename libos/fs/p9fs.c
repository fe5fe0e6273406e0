/*
 * The 9P2000.L client filesystem ("9p"): a host directory shared by ukrun
 * (-v HOST:GUEST) or QEMU (-fsdev/-device virtio-9p-device), mounted at
 * its guest path.
 *
 * Every vnode holds one fid walked from its parent; opens clone it. Nothing
 * is cached but attributes (p9fs_impl.h: briefly, and never across a change
 * the guest made itself), so the host's own changes show at once. Payloads
 * move between the application's buffer and the device without copies
 * where the buffer is in linear memory (p9fs_file.c).
 *
 * This file: RPC plumbing, mounting, and the operations on names.
 */
#include <asm/statfs.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/plat.h>
#include <uk/print.h>
#include <uk/proc.h>
#include <uk/syscall.h>
#include <uk/time.h>
#include <libfdt.h>
#include <uk/abi.h>

#include "p9fs_impl.h"

#ifndef V9FS_MAGIC
#define V9FS_MAGIC 0x01021997
#endif

/* ---- calls ---- */

struct p9fs_call *p9fs_get(uint8_t type)
{
	struct p9fs_call *c = uk_kmalloc(sizeof(*c));

	if (!c)
		return NULL;
	if (!(c->buf = uk_kmalloc(P9FS_TCAP + P9FS_RCAP))) {
		uk_kfree(c);
		return NULL;
	}
	uk_memset(&c->t, 0, sizeof(c->t));
	c->t.type = type;
	return c;
}

void p9fs_put(struct p9fs_call *c)
{
	if (c) {
		uk_kfree(c->buf);
		uk_kfree(c);
	}
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Rread/Rreaddir: header and count in rb, payload already in din. */
static int decode_split(struct p9fs_call *c, const uint8_t *rb, long n, void *din, size_t din_len)
{
	uint32_t count;

	if (n < (long)P9_HDR_SIZE + 4 || le32(rb) != (uint32_t)n)
		return -EIO;
	if (rb[4] == P9_RLERROR)
		return n == P9_HDR_SIZE + 4 ? -(int)le32(rb + 7) : -EIO;
	count = le32(rb + 7);
	if (rb[4] != c->t.type + 1 || count > din_len || (uint32_t)n != P9_HDR_SIZE + 4 + count)
		return -EIO;
	c->r.type = rb[4];
	c->r.u.rread.data = din;
	c->r.u.rread.count = count;
	return 0;
}

static uint16_t next_tag(struct p9fs *fs)
{
	uint16_t t = fs->next_tag++;

	if (fs->next_tag == P9_NOTAG)
		fs->next_tag = 0;
	return t;
}

/* A whole R-message in the call's reply room. */
static int decode(struct p9fs_call *c, long n)
{
	uint8_t *rb = c->buf + P9FS_TCAP;

	if (n < 0)
		return (int)n;
	if (n > P9FS_RCAP || p9_unpack(rb, (size_t)n, &c->r) || c->r.tag != c->t.tag)
		return -EIO;
	if (c->r.type == P9_RLERROR)
		return -(int)c->r.u.rlerror.ecode;
	return c->r.type == c->t.type + 1 ? 0 : -EIO;
}

int p9fs_rpc(struct p9fs *fs, struct p9fs_call *c, const void *dout, size_t dout_len, void *din,
             size_t din_len)
{
	struct uk_p9_seg out[2], in[2];
	uint8_t *rb = c->buf + P9FS_TCAP;
	unsigned no = 1, ni = 1;
	long n;

	c->t.tag = next_tag(fs);
	if (!p9_pack(c->buf, P9FS_TCAP, &c->t))
		return -ENAMETOOLONG; /* only names and targets can be this long */
	out[0] = (struct uk_p9_seg){ c->buf, p9_packed_header(&c->t) };
	if (dout)
		out[no++] = (struct uk_p9_seg){ dout, dout_len };
	if (din) {
		in[0] = (struct uk_p9_seg){ rb, P9_HDR_SIZE + 4 };
		in[ni++] = (struct uk_p9_seg){ din, din_len };
	} else {
		in[0] = (struct uk_p9_seg){ rb, P9FS_RCAP };
	}
	n = uk_p9_chan_rpc(fs->ch, out, no, in, ni);
	if (din)
		return n < 0 ? (int)n : decode_split(c, rb, n, din, din_len);
	return decode(c, n);
}

/* One by one, the later ones only while the earlier succeed. */
static int rpc_serial(struct p9fs *fs, struct p9fs_call **cs, int n, int *res)
{
	for (int i = 0; i < n; i++)
		res[i] = i && res[i - 1] ? res[i - 1] : p9fs_rpc(fs, cs[i], NULL, 0, NULL, 0);
	return 0;
}

int p9fs_rpcn(struct p9fs *fs, struct p9fs_call **cs, int n, int *res)
{
	struct uk_p9_req rq[UK_P9_BATCH_MAX];
	struct uk_p9_seg seg[UK_P9_BATCH_MAX][2];
	int i, k, e;

	if (fs->serial)
		return rpc_serial(fs, cs, n, res);

	for (i = 0; i < n; i++) {
		cs[i]->t.tag = next_tag(fs);
		seg[i][0] =
		    (struct uk_p9_seg){ cs[i]->buf, p9_pack(cs[i]->buf, P9FS_TCAP, &cs[i]->t) };
		seg[i][1] = (struct uk_p9_seg){ cs[i]->buf + P9FS_TCAP, P9FS_RCAP };
		if (!seg[i][0].len)
			return -ENAMETOOLONG;
		rq[i] = (struct uk_p9_req){ &seg[i][0], 1, &seg[i][1], 1, 0 };
	}
	if ((e = uk_p9_chan_rpcv(fs->ch, rq, (unsigned)n)))
		return e;
	for (i = 0; i < n; i++)
		res[i] = decode(cs[i], rq[i].len);
	/* A server that serves requests concurrently (QEMU's) may have run
	 * one before the one it depends on: after the first failure that
	 * follows successes, send the rest again, one by one. */
	fs->batches++;
	for (i = 1; i < n && !res[i - 1]; i++) {
		if (!res[i])
			continue;
		fs->retried++;
		for (k = i; k < n && !res[k - 1]; k++)
			if (res[k])
				res[k] = p9fs_rpc(fs, cs[k], NULL, 0, NULL, 0);
		break;
	}
	/* Such a server gains nothing from batches: stop sending them. */
	if (fs->batches >= 16 && 2 * fs->retried > fs->batches)
		fs->serial = 1;
	return 0;
}

uint32_t p9fs_fid_new(struct p9fs *fs)
{
	if (++fs->next_fid == P9_NOFID)
		fs->next_fid = 1;
	return fs->next_fid;
}

static void clunked(void *arg, long len) { uk_kfree(arg); }

/* Nobody waits for a Tclunk: its reply says nothing worth a round trip.
 * The server serves requests in order, so a later request never overtakes
 * it (and fids are never reused soon: they only count up). */
void p9fs_clunk(struct p9fs *fs, uint32_t fid)
{
	struct p9_msg t = { .type = P9_TCLUNK, .u.tfid.fid = fid };
	uint8_t *buf;
	struct uk_p9_seg out, in;

	if (fid == P9_NOFID || !(buf = uk_kmalloc(2 * P9_HDR_SIZE + 8)))
		return;
	t.tag = next_tag(fs);
	out = (struct uk_p9_seg){ buf, p9_pack(buf, P9_HDR_SIZE + 4, &t) };
	in = (struct uk_p9_seg){ buf + P9_HDR_SIZE + 4, P9_HDR_SIZE + 4 }; /* Rclunk or Rlerror */
	if (uk_p9_chan_post(fs->ch, &out, 1, &in, 1, clunked, buf))
		uk_kfree(buf);
}

/* Twalk of fid through names (0 or 1 of them) to a new fid. */
static int walk(struct p9fs *fs, uint32_t fid, const char *name, uint32_t *out)
{
	struct p9fs_call *c = p9fs_get(P9_TWALK);
	uint32_t nfid = p9fs_fid_new(fs);
	int r;

	if (!c)
		return -ENOMEM;
	c->t.u.twalk.fid = fid;
	c->t.u.twalk.newfid = nfid;
	if (name) {
		c->t.u.twalk.nwname = 1;
		c->t.u.twalk.wname[0] = p9_str(name);
	}
	r = p9fs_rpc(fs, c, NULL, 0, NULL, 0);
	if (!r && c->r.u.rwalk.nwqid != c->t.u.twalk.nwname)
		r = -ENOENT; /* a partial walk: newfid was not made */
	p9fs_put(c);
	if (!r)
		*out = nfid;
	return r;
}

int p9fs_clone(struct p9fs *fs, uint32_t fid, uint32_t *out) { return walk(fs, fid, NULL, out); }

static void to_stat(struct p9fs *fs, const struct p9_attr *a, struct stat *st)
{
	uk_memset(st, 0, sizeof(*st));
	st->st_dev = fs->dev;
	st->st_ino = a->qid.path;
	st->st_mode = a->mode;
	st->st_nlink = a->nlink;
	st->st_uid = a->uid;
	st->st_gid = a->gid;
	st->st_rdev = a->rdev;
	st->st_size = (long)a->size;
	st->st_blksize = (long)a->blksize; /* the host's, as Linux's 9p reports */
	st->st_blocks = (long)a->blocks;
	st->st_atime = a->atime_sec;
	st->st_atime_nsec = a->atime_nsec;
	st->st_mtime = a->mtime_sec;
	st->st_mtime_nsec = a->mtime_nsec;
	st->st_ctime = a->ctime_sec;
	st->st_ctime_nsec = a->ctime_nsec;
}

int p9fs_getattr_fid(struct p9fs *fs, uint32_t fid, struct stat *st)
{
	struct p9fs_call *c = p9fs_get(P9_TGETATTR);
	int r;

	if (!c)
		return -ENOMEM;
	c->t.u.tgetattr.fid = fid;
	c->t.u.tgetattr.mask = P9_GETATTR_BASIC;
	if (!(r = p9fs_rpc(fs, c, NULL, 0, NULL, 0)))
		to_stat(fs, &c->r.u.rgetattr, st);
	p9fs_put(c);
	return r;
}

/* ---- vnodes ---- */

static const struct uk_vnode_ops p9fs_vops;

/* A vnode for fid (which it now owns) with attributes st. */
static int node_make(struct uk_mount *mnt, uint32_t fid, const struct stat *st,
                     struct uk_vnode **out)
{
	struct p9fs *fs = mnt->priv;
	struct p9fs_node *n = uk_kzalloc(sizeof(*n));
	struct uk_vnode *vn;

	if (!n || !(vn = uk_vnode_new(mnt, &p9fs_vops, st->st_ino, st->st_mode, n))) {
		uk_kfree(n);
		p9fs_clunk(fs, fid);
		return -ENOMEM;
	}
	vn->uid = st->st_uid, vn->gid = st->st_gid; /* (the host's numbers) */
	n->fid = fid;
	n->dirfid = n->spare = P9_NOFID;
	n->st = *st;
	n->st_at = uk_monotonic_ns();
	n->st_gen = fs->gen;
	n->st_ok = 1;
	*out = vn;
	return 0;
}

/* Twalk and Tgetattr of the new fid in one round trip. */
static int p9fs_lookup(struct uk_vnode *dir, const char *name, struct uk_vnode **out)
{
	struct p9fs *fs = p9fs_of(dir);
	struct p9fs_call *c[2] = { p9fs_get(P9_TWALK), p9fs_get(P9_TGETATTR) };
	uint32_t fid = p9fs_fid_new(fs);
	struct stat st;
	int r, res[2];

	r = -ENOMEM;
	if (!c[0] || !c[1])
		goto out;
	c[0]->t.u.twalk.fid = p9fs_node(dir)->fid;
	c[0]->t.u.twalk.newfid = fid;
	c[0]->t.u.twalk.nwname = 1;
	c[0]->t.u.twalk.wname[0] = p9_str(name);
	c[1]->t.u.tgetattr.fid = fid;
	c[1]->t.u.tgetattr.mask = P9_GETATTR_BASIC;
	if ((r = p9fs_rpcn(fs, c, 2, res)))
		goto out;
	if ((r = res[0]) || c[0]->r.u.rwalk.nwqid != 1) {
		r = r ? r : -ENOENT; /* nothing walked: no newfid either */
		goto out;
	}
	if ((r = res[1])) {
		p9fs_clunk(fs, fid);
		goto out;
	}
	to_stat(fs, &c[1]->r.u.rgetattr, &st);
	r = node_make(dir->mnt, fid, &st, out);
out:
	p9fs_put(c[0]);
	p9fs_put(c[1]);
	return r;
}

/* A new file's owner as the guest made it: its creator's fsuid and
 * fsgid, or a setgid directory's group (Linux's 9P client with
 * access=user). The gofer makes files as its own user: a chown after
 * (fid, or name in dir) gives them the guest's, where the gofer may
 * (root's keeps CAP_CHOWN); where it may not, the host's owner stays and
 * decides. Root's files need none: no round trip for them. */
static void own_new(struct uk_vnode *dir, uint32_t fid, const char *name, uint32_t *uid,
                    uint32_t *gid)
{
	struct p9fs *fs = p9fs_of(dir);
	struct uk_setattr a = { .mask = UK_SA_UID | UK_SA_GID };
	uint32_t mode = 0;

	uk_vfs_new_owner(dir, &mode, &a.uid, &a.gid);
	if (uid)
		*uid = a.uid, *gid = a.gid;
	if (!a.uid && !a.gid)
		return;
	if (name && walk(fs, p9fs_node(dir)->fid, name, &fid))
		return;
	p9fs_setattr_fid(fs, fid, &a);
	if (name)
		p9fs_clunk(fs, fid);
}

/* Clone the directory's fid, Tlcreate on the clone (which becomes the
 * open file), and walk to the new name for the vnode's own fid: one round
 * trip. */
static int p9fs_create(struct uk_vnode *dir, const char *name, uint32_t mode, struct uk_vnode **out)
{
	struct p9fs *fs = p9fs_of(dir);
	struct p9fs_call *c[3] = { p9fs_get(P9_TWALK), p9fs_get(P9_TLCREATE), p9fs_get(P9_TWALK) };
	uint32_t ofid = p9fs_fid_new(fs), fid = p9fs_fid_new(fs);
	struct stat st;
	int r = -ENOMEM, res[3];

	if (!c[0] || !c[1] || !c[2])
		goto out;
	c[0]->t.u.twalk.fid = p9fs_node(dir)->fid;
	c[0]->t.u.twalk.newfid = ofid;
	/* Open read-write: whatever the caller opens next can use it. */
	c[1]->t.u.tlcreate.fid = ofid;
	c[1]->t.u.tlcreate.name = p9_str(name);
	c[1]->t.u.tlcreate.flags = O_RDWR | O_CREAT | O_EXCL;
	c[1]->t.u.tlcreate.mode = mode & 07777;
	c[2]->t.u.twalk.fid = p9fs_node(dir)->fid;
	c[2]->t.u.twalk.newfid = fid;
	c[2]->t.u.twalk.nwname = 1;
	c[2]->t.u.twalk.wname[0] = p9_str(name);
	p9fs_changed(fs);
	if ((r = p9fs_rpcn(fs, c, 3, res)))
		goto out;
	if (!res[2] && c[2]->r.u.rwalk.nwqid != 1)
		res[2] = -ENOENT;
	if ((r = res[0] ? res[0] : res[1] ? res[1] : res[2])) {
		if (!res[0])
			p9fs_clunk(fs, ofid);
		if (!res[2])
			p9fs_clunk(fs, fid); /* the name existed already (EEXIST) */
		goto out;
	}
	uk_memset(&st, 0, sizeof(st));
	st.st_ino = c[1]->r.u.ropen.qid.path;
	st.st_mode = S_IFREG | (mode & 07777);
	own_new(dir, fid, NULL, &st.st_uid, &st.st_gid);
	if (!(r = node_make(dir->mnt, fid, &st, out))) {
		p9fs_node(*out)->spare = ofid;
		p9fs_node(*out)->st_ok = 0; /* the host's umask had its say */
	} else {
		p9fs_clunk(fs, ofid);
	}
out:
	for (int i = 0; i < 3; i++)
		p9fs_put(c[i]);
	return r;
}

/* An operation on a name in dir that returns no file. */
static int dir_op(struct uk_vnode *dir, struct p9fs_call *c)
{
	struct p9fs *fs = p9fs_of(dir);
	int r;

	if (!c)
		return -ENOMEM;
	p9fs_changed(fs);
	r = p9fs_rpc(fs, c, NULL, 0, NULL, 0);
	p9fs_put(c);
	return r;
}

static int p9fs_mkdir(struct uk_vnode *dir, const char *name, uint32_t mode)
{
	struct p9fs_call *c = p9fs_get(P9_TMKDIR);
	uint32_t m = S_IFDIR | (mode & 07777), uid, gid;
	int r;

	/* (in a setgid directory setgid, as Linux's 9P client asks: a
	 * server that sets the mode it is given would drop it otherwise) */
	uk_vfs_new_owner(dir, &m, &uid, &gid);
	if (c) {
		c->t.u.tmkdir.dfid = p9fs_node(dir)->fid;
		c->t.u.tmkdir.name = p9_str(name);
		c->t.u.tmkdir.mode = m & 07777;
		c->t.u.tmkdir.gid = gid;
	}
	if (!(r = dir_op(dir, c)))
		own_new(dir, 0, name, NULL, NULL);
	return r;
}

static int unlink_flags(struct uk_vnode *dir, const char *name, uint32_t flags)
{
	struct p9fs_call *c = p9fs_get(P9_TUNLINKAT);

	if (c) {
		c->t.u.tunlinkat.dfid = p9fs_node(dir)->fid;
		c->t.u.tunlinkat.name = p9_str(name);
		c->t.u.tunlinkat.flags = flags;
	}
	return dir_op(dir, c);
}

static int p9fs_unlink(struct uk_vnode *dir, const char *name)
{
	return unlink_flags(dir, name, 0);
}

static int p9fs_rmdir(struct uk_vnode *dir, const char *name)
{
	return unlink_flags(dir, name, P9_AT_REMOVEDIR);
}

/* RENAME_NOREPLACE is checked here, not atomically: 9P has no flags. */
static int p9fs_rename(struct uk_vnode *odir, const char *oname, struct uk_vnode *ndir,
                       const char *nname, unsigned flags)
{
	struct p9fs *fs = p9fs_of(odir);
	struct p9fs_call *c;
	uint32_t fid;

	if (flags & ~RENAME_NOREPLACE)
		return -EINVAL; /* RENAME_EXCHANGE, RENAME_WHITEOUT */
	if (flags && walk(fs, p9fs_node(ndir)->fid, nname, &fid) == 0) {
		p9fs_clunk(fs, fid);
		return -EEXIST;
	}
	if (!(c = p9fs_get(P9_TRENAMEAT)))
		return -ENOMEM;
	c->t.u.trenameat.olddfid = p9fs_node(odir)->fid;
	c->t.u.trenameat.oldname = p9_str(oname);
	c->t.u.trenameat.newdfid = p9fs_node(ndir)->fid;
	c->t.u.trenameat.newname = p9_str(nname);
	return dir_op(odir, c);
}

static int p9fs_link(struct uk_vnode *vn, struct uk_vnode *dir, const char *name)
{
	struct p9fs_call *c = p9fs_get(P9_TLINK);

	if (c) {
		c->t.u.tlink.dfid = p9fs_node(dir)->fid;
		c->t.u.tlink.fid = p9fs_node(vn)->fid;
		c->t.u.tlink.name = p9_str(name);
	}
	return dir_op(dir, c);
}

static int p9fs_symlink(struct uk_vnode *dir, const char *name, const char *target)
{
	struct p9fs_call *c = p9fs_get(P9_TSYMLINK);
	int r;

	if (c) {
		c->t.u.tsymlink.fid = p9fs_node(dir)->fid;
		c->t.u.tsymlink.name = p9_str(name);
		c->t.u.tsymlink.target = p9_str(target);
		if (!c->t.u.tsymlink.target.s) {
			p9fs_put(c);
			return -ENAMETOOLONG;
		}
	}
	if (!(r = dir_op(dir, c)))
		own_new(dir, 0, name, NULL, NULL);
	return r;
}

static long p9fs_readlink(struct uk_vnode *vn, char *buf, size_t len)
{
	struct p9fs_call *c = p9fs_get(P9_TREADLINK);
	long r;

	if (!c)
		return -ENOMEM;
	c->t.u.tfid.fid = p9fs_node(vn)->fid;
	r = p9fs_rpc(p9fs_of(vn), c, NULL, 0, NULL, 0);
	if (!r) {
		r = c->r.u.rreadlink.target.len < len ? c->r.u.rreadlink.target.len : (long)len;
		uk_memcpy(buf, c->r.u.rreadlink.target.s, (size_t)r);
	}
	p9fs_put(c);
	return r;
}

static int p9fs_statfs(struct uk_vnode *vn, struct statfs *sf)
{
	struct p9fs_call *c = p9fs_get(P9_TSTATFS);
	int r;

	if (!c)
		return -ENOMEM;
	c->t.u.tfid.fid = p9fs_node(vn)->fid;
	if (!(r = p9fs_rpc(p9fs_of(vn), c, NULL, 0, NULL, 0))) {
		const struct p9_statfs *s = &c->r.u.rstatfs;
		uk_memset(sf, 0, sizeof(*sf));
		sf->f_type = V9FS_MAGIC;
		sf->f_bsize = s->bsize;
		sf->f_frsize = s->bsize;
		sf->f_blocks = s->blocks;
		sf->f_bfree = s->bfree;
		sf->f_bavail = s->bavail;
		sf->f_files = s->files;
		sf->f_ffree = s->ffree;
		sf->f_namelen = s->namelen;
	}
	p9fs_put(c);
	return r;
}

static int fsync_fid(struct p9fs *fs, uint32_t fid, int datasync)
{
	struct p9fs_call *c;
	int r;

	if (fid == P9_NOFID)
		return 0;
	if (!(c = p9fs_get(P9_TFSYNC)))
		return -ENOMEM;
	c->t.u.tfsync.fid = fid;
	c->t.u.tfsync.datasync = (uint32_t)datasync;
	r = p9fs_rpc(fs, c, NULL, 0, NULL, 0);
	p9fs_put(c);
	return r;
}

/* fsync of a directory (or a vnode with no open file): its open fid. */
static int p9fs_vfsync(struct uk_vnode *vn, int datasync)
{
	struct p9fs_node *n = p9fs_node(vn);

	return fsync_fid(p9fs_of(vn), n->dirfid != P9_NOFID ? n->dirfid : n->spare, datasync);
}

int p9fs_fsync_fid(struct p9fs *fs, uint32_t fid, int datasync)
{
	return fsync_fid(fs, fid, datasync);
}

static void p9fs_release(struct uk_vnode *vn)
{
	struct p9fs *fs = p9fs_of(vn);
	struct p9fs_node *n = p9fs_node(vn);

	p9fs_clunk(fs, n->spare);
	p9fs_clunk(fs, n->dirfid);
	p9fs_clunk(fs, n->fid);
	uk_kfree(n);
}

static const struct uk_vnode_ops p9fs_vops = {
	.lookup = p9fs_lookup,
	.create = p9fs_create,
	.mkdir = p9fs_mkdir,
	.unlink = p9fs_unlink,
	.rmdir = p9fs_rmdir,
	.rename = p9fs_rename,
	.link = p9fs_link,
	.symlink = p9fs_symlink,
	.readlink = p9fs_readlink,
	.getattr = p9fs_getattr,
	.setattr = p9fs_setattr,
	.open = p9fs_open,
	.readdir = p9fs_readdir,
	.statfs = p9fs_statfs,
	.fsync = p9fs_vfsync,
	.release = p9fs_release,
};

/* ---- mounting ---- */

static int session(struct p9fs *fs)
{
	struct p9fs_call *c = p9fs_get(P9_TVERSION);
	int r;

	if (!c)
		return -ENOMEM;
	c->t.u.version.msize = P9_MSIZE_MAX;
	c->t.u.version.version = p9_str(P9_VERSION_L);
	r = p9fs_rpc(fs, c, NULL, 0, NULL, 0);
	if (!r && (!p9_str_eq(c->r.u.version.version, P9_VERSION_L) ||
	           c->r.u.version.msize < P9_MSIZE_MIN || c->r.u.version.msize > P9_MSIZE_MAX))
		r = -EPROTONOSUPPORT;
	if (!r) {
		fs->msize = c->r.u.version.msize;
		fs->iounit = fs->msize - P9_IOHDR_SIZE;
	}
	p9fs_put(c);
	return r;
}

static int attach(struct p9fs *fs, uint32_t fid)
{
	struct p9fs_call *c = p9fs_get(P9_TATTACH);
	int r;

	if (!c)
		return -ENOMEM;
	c->t.u.tattach.fid = fid;
	c->t.u.tattach.afid = P9_NOFID;
	c->t.u.tattach.uname = p9_str("root");
	c->t.u.tattach.aname = p9_str("");
	c->t.u.tattach.n_uname = 0;
	r = p9fs_rpc(fs, c, NULL, 0, NULL, 0);
	p9fs_put(c);
	return r;
}

static int p9fs_mount(struct uk_mount *mnt, const char *source, const void *data,
                      struct uk_vnode **root)
{
	static uint32_t instances;
	struct uk_p9_chan *ch = source ? uk_p9_chan_find(source) : NULL;
	struct p9fs *fs;
	struct stat st;
	uint32_t fid;
	int r;

	if (!ch)
		return -ENOENT; /* no device with that mount tag */
	if (!(fs = uk_kzalloc(sizeof(*fs))))
		return -ENOMEM;
	fs->ch = ch;
	fs->dev = 0x90 + instances++;
	mnt->priv = fs;
	if (uk_p9_chan_ro(ch))
		mnt->flags |= MS_RDONLY;
	fid = p9fs_fid_new(fs);
	if ((r = session(fs)) || (r = attach(fs, fid)))
		goto out;
	if ((r = p9fs_getattr_fid(fs, fid, &st))) {
		p9fs_clunk(fs, fid);
		goto out;
	}
	if (!(r = node_make(mnt, fid, &st, root)))
		return 0;
out:
	mnt->priv = NULL;
	uk_kfree(fs);
	return r;
}

static void p9fs_unmount(struct uk_mount *mnt)
{
	uk_kfree(mnt->priv);
	mnt->priv = NULL;
}

const struct uk_fs_type uk_p9fs_type = {
	.name = "9p",
	.mount = p9fs_mount,
	.unmount = p9fs_unmount,
};

/* The image's declared volume points exist even with nothing mounted
 * there, as docker makes an image's VOLUME directories. */
static void manifest_dirs(void)
{
	const char *p;
	int pos = 0, len;

	while ((p = uk_mf_next(&uk_plat.mf.mounts, &pos, &len)))
		if (len > 1 && p[0] == '/')
			uk_vfs_mkdir_p(p, 0755);
}

void uk_p9fs_mount_shares(void)
{
	struct uk_p9_chan *all[16];
	int n = uk_p9_chans(all, 16), r;

	manifest_dirs();
	for (int i = 0; i < n && i < 16; i++) {
		const char *tag = uk_p9_chan_tag(all[i]);
		if (tag[0] != '/') {
			uk_pr("9p: mount tag \"%s\" is not a path: mount(\"%s\", DIR, \"9p\") "
			      "mounts it\n",
			      tag, tag);
			continue;
		}
		uk_vfs_mkdir_p(tag, 0755);
		r = uk_mount(tag, tag, "9p", uk_p9_chan_ro(all[i]) ? MS_RDONLY : 0, NULL);
		if (r)
			uk_pr("9p: cannot mount the share at %s (error %d)\n", tag, -r);
	}
}
