/*
 * The gofer's operations, one function per T-message. Each returns 0 with
 * the reply filled in, or -errno for an Rlerror. Host paths come only from
 * fids (built by walks from the root) and single names checked by
 * p9s_name(); every host call below either resolves through p9s_host_*()
 * or takes a directory descriptor from there plus one such name, with
 * flags that never follow a final symlink.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "p9_int.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

/* Open flags a client may pass through Tlopen/Tlcreate. Dropped: O_CREAT
 * and O_EXCL (lopen does not create), O_NOCTTY, FASYNC, O_CLOEXEC (ours),
 * O_DIRECT (alignment rules the guest's buffers do not follow), O_NOATIME
 * (EPERM on files of others), O_NONBLOCK (always set: see reopen()). */
#define PASS_FLAGS (O_ACCMODE | O_TRUNC | O_APPEND | O_DIRECTORY | O_DSYNC | O_SYNC)

/* ---- helpers ---- */

static int writable(struct p9s_ctx *c) { return p9s_readonly(c->s) ? -EROFS : 0; }

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       (a->st_mode & S_IFMT) == (b->st_mode & S_IFMT);
}

/* Open a regular file or directory for I/O. Checked before (so no device
 * or FIFO is ever opened for the guest) and after (so a file swapped in
 * between is refused). O_NONBLOCK keeps a FIFO from stalling a worker. */
static int reopen(struct p9s_ctx *c, const char *path, int flags, struct stat *st)
{
	struct stat before;
	int fd;

	fd = p9s_host_open(c->s, path, O_PATH, 0);
	if (fd < 0)
		return fd;
	if (fstat(fd, &before)) {
		close(fd);
		return -errno;
	}
	close(fd);
	if (!S_ISREG(before.st_mode) && !S_ISDIR(before.st_mode))
		return S_ISLNK(before.st_mode) ? -ELOOP : -EOPNOTSUPP;
	fd = p9s_host_open(c->s, path, flags | O_NONBLOCK | O_NOCTTY, 0);
	if (fd < 0)
		return fd;
	if (fstat(fd, st) || !same_file(&before, st)) {
		close(fd);
		return -EAGAIN;
	}
	return fd;
}

static uint32_t iounit(struct p9s_ctx *c)
{
	return __atomic_load_n(&c->s->msize, __ATOMIC_RELAXED) - P9_IOHDR_SIZE;
}

/* ---- session ---- */

static int op_version(struct p9s_ctx *c, const struct p9_msg *t, struct p9_msg *r)
{
	uint32_t msize = t->u.version.msize;
	struct p9_str v = t->u.version.version;

	if (msize < P9_MSIZE_MIN)
		return -EINVAL;
	if (msize > P9_MSIZE_MAX)
		msize = P9_MSIZE_MAX;
	r->u.version.msize = msize;
	if (v.len < 8 || memcmp(v.s, P9_VERSION_L, 8) || (v.len > 8 && v.s[8] != '.')) {
		r->u.version.version = p9_str("unknown");
		return 0;
	}
	p9s_reset(c->s, msize);
	r->u.version.version = p9_str(P9_VERSION_L);
	return 0;
}

static int op_auth(struct p9s_ctx *c, const struct p9_msg *t, struct p9_msg *r)
{
	return -EOPNOTSUPP; /* no authentication: Tattach with afid = NOFID */
}

static int op_attach(struct p9s_ctx *c, const struct p9_msg *t, struct p9_msg *r)
{
	struct stat st;
	int e;

	if (t->u.tattach.afid != P9_NOFID)
		return -EINVAL;
	if ((e = p9s_host_stat(c->s, "", &st)))
		return e;
	p9s_qid(c->s, &st, &r->u.rqid.qid);
	return p9s_fid_add(c->s, t->u.tattach.fid, "", P9_QTDIR, 0);
}

static int op_flush(struct p9s_ctx *c, const struct p9_msg *t, struct p9_msg *r)
{
	p9s_flush_wait(c->s, t->u.tflush.oldtag);
	return 0;
}

static int op_clunk(struct p9s_ctx *c, const struct p9_msg *t, struct p9_msg *r)
{
	return p9s_fid_clunk(c->s, t->u.tfid.fid);
}

/* ---- names ---- */

/* One step of a walk: ".." goes up (never above the root), any other
 * name must be a plain component. */
static int walk_step(char path[P9S_PATH_MAX], struct p9_str name)
{
	char leaf[P9S_NAME_MAX + 1];
	char *slash;
	int e;

	if (p9_str_eq(name, "..")) {
		slash = strrchr(path, '/');
		if (slash)
			*slash = 0;
		else
			path[0] = 0;
		return 0;
	}
	if ((e = p9s_name(name, leaf)))
		return e;
	return p9s_join(path, path, leaf);
}

static int op_walk(struct p9s_ctx *c, const struct p9_msg *t, struct p9_msg *r)
{
	char path[P9S_PATH_MAX];
	struct stat st;
	uint16_t i, n = t->u.twalk.nwname;
	uint8_t qtype;
	int e;

	if ((e = p9s_fid_path_of(c->s, t->u.twalk.fid, path)))
		return e;
	if (n == 0 && t->u.twalk.newfid == t->u.twalk.fid)
		return 0;
	if ((e = p9s_host_stat(c->s, path, &st)))
		return e;
	qtype = S_ISDIR(st.st_mode) ? P9_QTDIR : S_ISLNK(st.st_mode) ? P9_QTSYMLINK : P9_QTFILE;
	for (i = 0; i < n; i++) {
		/* Every step, ".." included, starts from a directory. */
		e = qtype == P9_QTDIR ? walk_step(path, t->u.twalk.wname[i]) : -ENOTDIR;
		if (!e)
			e = p9s_host_stat(c->s, path, &st);
		if (e)
			break;
		p9s_qid(c->s, &st, &r->u.rwalk.wqid[i]);
		qtype = r->u.rwalk.wqid[i].type;
	}
	if (i == 0 && n)
		return e;
	r->u.rwalk.nwqid = i;
	if (i < n)
		return 0; /* partial: newfid is not created */
	return p9s_fid_add(c->s, t->u.twalk.newfid, path, qtype,
	                   t->u.twalk.newfid == t->u.twalk.fid);
}

/* ---- attributes ---- */

static void fill_attr(struct p9s_ctx *c, const struct stat *st, struct p9_attr *a)
{
	a->valid = P9_GETATTR_BASIC;
	p9s_qid(c->s, st, &a->qid);
	a->mode = st->st_mode;
	a->uid = st->st_uid;
	a->gid = st->st_gid;
	a->nlink = st->st_nlink;
	a->rdev = st->st_rdev;
	a->size = (uint64_t)st->st_size;
	a->blksize = (uint64_t)st->st_blksize;
	a->blocks = (uint64_t)st->st_blocks;
	a->atime_sec = (uint64_t)st->st_atim.tv_sec;
	a->atime_nsec = (uint64_t)st->st_atim.tv_nsec;
	a->mtime_sec = (uint64_t)st->st_mtim.tv_sec;
	a->mtime_nsec = (uint64_t)st->st_mtim.tv_nsec;
	a->ctime_sec = (uint64_t)st->st_ctim.tv_sec;
	a->ctime_nsec = (uint64_t)st->st_ctim.tv_nsec;
}

/* An open fid is asked through its descriptor: the file may have lost
 * its name (unlinked while open) and still be there. */
static int op_getattr(struct p9s_ctx *c, const struct p9_msg *t, struct p9_msg *r)
{
	struct p9s_fid *f = p9s_fid_get(c->s, t->u.tgetattr.fid);
	char path[P9S_PATH_MAX];
	struct stat st;
	int e = 0;

	if (!f)
		return -EBADF;
	if (f->fd >= 0) {
		e = fstat(f->fd, &st) ? -errno : 0;
	} else {
		p9s_fid_path(c->s, f, path);
		e = p9s_host_stat(c->s, path, &st);
	}
	p9s_fid_put(c->s, f);
	if (!e)
		fill_attr(c, &st, &r->u.rgetattr);
	return e;
}

/* chmod without ever following a symlink: fchmodat2 where the kernel has
 * it (Linux 6.6), else through a descriptor of the file itself. */
static int set_mode(struct p9s_ctx *c, const char *path, int dir, const char *leaf, mode_t mode)
{
	struct stat st;
	int fd, e = 0;

	if (syscall(SYS_fchmodat2, dir, leaf, mode, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	if (errno != ENOSYS)
		return -errno;
	fd = reopen(c, path, O_RDONLY, &st);
	if (fd == -EACCES)
		fd = reopen(c, path, O_WRONLY, &st);
	if (fd < 0)
		return fd;
	if (fchmod(fd, mode))
		e = -errno;
	close(fd);
	return e;
}

static int set_size(struct p9s_ctx *c, uint32_t fid, const char *path, uint64_t size)
{
	struct p9s_fid *f = p9s_fid_get(c->s, fid);
	struct stat st;
	int fd = -1, e = 0;

	if (!f)
		return -EBADF;
	if (size > INT64_MAX)
		e = -EINVAL;
	else if (f->fd >= 0 && (f->oflags & O_ACCMODE) != O_RDONLY)
		e = ftruncate(f->fd, (off_t)size) ? -errno : 0;
	else if ((fd = reopen(c, path, O_WRONLY, &st)) < 0)
		e = fd;
	else if (ftruncate(fd, (off_t)size))
		e = -errno;
	if (fd >= 0)
		close(fd);
	p9s_fid_put(c->s, f);
	return e;
}

static int set_times(int dir, const char *leaf, const struct p9_iattr *a)
{
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };

	if (a->valid & P9_SETATTR_ATIME)
		ts[0] = (a->valid & P9_SETATTR_ATIME_SET)
		            ? (struct timespec){ (time_t)a->atime_sec, (long)a->atime_nsec }
		            : (struct timespec){ 0, UTIME_NOW };
	if (a->valid & P9_SETATTR_MTIME)
		ts[1] = (a->valid & P9_SETATTR_MTIME_SET)
		            ? (struct timespec){ (time_t)a->mtime_sec, (long)a->mtime_nsec }
		            : (struct timespec){ 0, UTIME_NOW };
	return utimensat(dir, leaf, ts, AT_SYMLINK_NOFOLLOW) ? -errno : 0;
}

static int op_setattr(struct p9s_ctx *c, const struct p9_msg *t, struct p9_msg *r)
{
	const struct p9_iattr *a = &t->u.tsetattr.attr;
	char path[P9S_PATH_MAX], leaf[P9S_NAME_MAX + 1];
	int dir, e;

	if ((e = writable(c)) || (e = p9s_fid_path_of(c->s, t->u.tsetattr.fid, path)))
		return e;
	if ((dir = p9s_host_parent(c->s, path, leaf)) < 0)
		return dir;
	if (a->valid & P9_SETATTR_MODE)
		e = set_mode(c, path, dir, leaf, a->mode & P9S_MODE_MASK);
	if (!e && (a->valid & (P9_SETATTR_UID | P9_SETATTR_GID)) &&
	    fchownat(dir, leaf, (a->valid & P9_SETATTR_UID) ? a->uid : (uid_t)-1,
	             (a->valid & P9_SETATTR_GID) ? a->gid : (gid_t)-1, AT_SYMLINK_NOFOLLOW))
		e = -errno;
	if (!e && (a->valid & P9_SETATTR_SIZE))
		e = set_size(c, t->u.tsetattr.fid, path, a->size);
	if (!e && (a->valid & (P9_SETATTR_ATIME | P9_SETATTR_MTIME)))
		e = set_times(dir, leaf, a);
	close(dir);
	return e;
}

static int op_statfs(struct p9s_ctx *c, const struct p9_msg *t, struct p9_msg *r)
{
	char path[P9S_PATH_MAX];
	struct statfs sf;
	int fd, e;

	if ((e = p9s_fid_path_of(c->s, t->u.tfid.fid, path)))
		return e;
	if ((fd = p9s_host_open(c->s, path, O_PATH, 0)) < 0)
		return fd;
	e = fstatfs(fd, &sf) ? -errno : 0;
	close(fd);
	if (e)
		return e;
	r->u.rstatfs = (struct p9_statfs){
		.type = (uint32_t)sf.f_type,
		.bsize = (uint32_t)sf.f_bsize,
		.blocks = sf.f_blocks,
		.bfree = sf.f_bfree,
		.bavail = sf.f_bavail,
		.files = sf.f_files,
		.ffree = sf.f_ffree,
		.fsid = (uint64_t)(uint32_t)sf.f_fsid.__val[0] |
		        (uint64_t)(uint32_t)sf.f_fsid.__val[1] << 32,
		.namelen = (uint32_t)sf.f_namelen,
	};
	return 0;
}

/* ---- open files ---- */

static int open_flags(struct p9s_ctx *c, uint32_t flags)
{
	int f = (int)(flags & PASS_FLAGS);

	if ((f & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	if (p9s_readonly(c->s) && ((f & O_ACCMODE) != O_RDONLY || (f & O_TRUNC)))
		return -EROFS;
	return f;
}

static int op_lopen(struct p9s_ctx *c, const struct p9_msg *t, struct p9_msg *r)
{
	char path[P9S_PATH_MAX];
	struct p9s_fid *f;
	struct stat st;
	int flags = open_flags(c, t->u.tlopen.flags), fd, e;

	if (flags < 0)
		return flags;
	if (!(f = p9s_fid_get(c->s, t->u.tlopen.fid)))
		return -EBADF;
	p9s_fid_path(c->s, f, path);
	fd = reopen(c, path, flags, &st);
	e = fd < 0 ? fd : p9s_fid_set_open(c->s, f, fd, flags, NULL);
	p9s_fid_put(c->s, f);
	if (e)
		return e;
	p9s_qid(c->s, &st, &r->u.ropen.qid);
	r->u.ropen.iounit = iounit(c);
	return 0;
}

static int op_lcreate(struct p9s_ctx *c, const struct p9_msg *t, struct p9_msg *r)
{
	char path[P9S_PATH_MAX], leaf[P9S_NAME_MAX + 1];
	int flags = open_flags(c, t->u.tlcreate.flags), fd, e;
	struct p9s_fid *f;
	struct stat st;

	if (flags < 0)
		return flags;
	if ((e = writable(c)))
		return e;
	if (!(f = p9s_fid_get(c->s, t->u.tlcreate.fid)))
		return -EBADF;
	p9s_fid_path(c->s, f, path);
	e = f->fd >= 0 ? -EBADF : p9s_name(t->u.tlcreate.name, leaf);
	if (!e)
		e = p9s_join(path, path, leaf);
	if (e)
		goto out;
	flags |= O_CREAT | (int)(t->u.tlcreate.flags & O_EXCL);
	fd = p9s_host_open(c->s, path, flags | O_NONBLOCK | O_NOCTTY,
	                   t->u.tlcreate.mode & P9S_MODE_MASK);
	if (fd < 0) {
		e = fd;
		goto out;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		e = -EEXIST; /* a FIFO or device of the host's by that name */
		goto out;
	}
	e = p9s_fid_set_open(c->s, f, fd, flags & ~(O_CREAT | O_EXCL | O_TRUNC), path);
	if (!e) {
		p9s_qid(c->s, &st, &r->u.ropen.qid);
		r->u.ropen.iounit = iounit(c);
	}
out:
	p9s_fid_put(c->s, f);
	return e;
}

/* The open descriptor of a fid, for I/O: returns the fid (put it) or NULL
 * with *e set. */
static struct p9s_fid *open_fid(struct p9s_ctx *c, uint32_t id, int *e)
{
	struct p9s_fid *f = p9s_fid_get(c->s, id);

	*e = 0;
	if (f && (f->fd >= 0 || f->xattr))
		return f;
	if (f)
		p9s_fid_put(c->s, f);
	*e = -EBADF;
	return NULL;
}

static int op_read(struct p9s_ctx *c, const struct p9_msg *t, struct p9_msg *r)
{
	uint32_t count = t->u.tread.count;
	struct p9s_fid *f;
	ssize_t got = 0;
	int n, e;

	if (c->room < P9_HDR_SIZE + 4)
		return -ERANGE;
	if (count > c->room - P9_HDR_SIZE - 4)
		count = c->room - P9_HDR_SIZE - 4;
	if (t->u.tread.offset > INT64_MAX)
		return -EINVAL;
	if (!(f = open_fid(c, t->u.tread.fid, &e)))
		return e;
	if (f->xattr)
		goto out;
	if ((f->oflags & O_ACCMODE) == O_WRONLY) {
		e = -EBADF;
		goto out;
	}
	n = p9s_iov_slice(c, c->req->out, c->req->nout, P9_HDR_SIZE + 4, count);
	got = preadv(f->fd, c->w->iov, n, (off_t)t->u.tread.offset);
	if (got < 0)
		e = -errno;
out:
	p9s_fid_put(c->s, f);
	r->u.rread.data = NULL; /* already in the client's buffers */
	r->u.rread.count = got > 0 ? (uint32_t)got : 0;
	return e;
}

static int op_write(struct p9s_ctx *c, const struct p9_msg *t, struct p9_msg *r)
{
	const struct p9_data *d = &t->u.twrite.d;
	struct p9s_fid *f;
	ssize_t put;
	int n, e;

	if ((e = writable(c)))
		return e;
	if (t->u.twrite.offset > INT64_MAX)
		return -EINVAL;
	if (!(f = open_fid(c, t->u.twrite.fid, &e)))
		return e;
	if (f->xattr || (f->oflags & O_ACCMODE) == O_RDONLY) {
		e = -EBADF;
		goto out;
	}
	if (d->data) {
		put = pwrite(f->fd, d->data, d->count, (off_t)t->u.twrite.offset);
	} else {
		n = p9s_iov_slice(c, c->req->in, c->req->nin, P9_IOHDR_SIZE, d->count);
		put = pwritev(f->fd, c->w->iov, n, (off_t)t->u.twrite.offset);
	}
	if (put < 0)
		e = -errno;
	else
		r->u.rwrite.count = (uint32_t)put;
out:
	p9s_fid_put(c->s, f);
	return e;
}

static int op_fsync(struct p9s_ctx *c, const struct p9_msg *t, struct p9_msg *r)
{
	struct p9s_fid *f;
	int e;

	if (!(f = open_fid(c, t->u.tfsync.fid, &e)))
		return e;
	if (!f->xattr && (t->u.tfsync.datasync ? fdatasync(f->fd) : fsync(f->fd)))
		e = -errno;
	p9s_fid_put(c->s, f);
	return e;
}

static const p9s_op ops[P9_TYPE_MAX] = {
	[P9_TVERSION] = op_version, [P9_TAUTH] = op_auth,       [P9_TATTACH] = op_attach,
	[P9_TFLUSH] = op_flush,     [P9_TCLUNK] = op_clunk,     [P9_TWALK] = op_walk,
	[P9_TGETATTR] = op_getattr, [P9_TSETATTR] = op_setattr, [P9_TSTATFS] = op_statfs,
	[P9_TLOPEN] = op_lopen,     [P9_TLCREATE] = op_lcreate, [P9_TREAD] = op_read,
	[P9_TWRITE] = op_write,     [P9_TFSYNC] = op_fsync,
};

p9s_op p9s_op_for(unsigned type)
{
	if (type >= P9_TYPE_MAX)
		return NULL;
	return ops[type] ? ops[type] : p9s_dir_op_for(type);
}
