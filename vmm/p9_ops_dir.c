/*
 * The gofer's namespace operations (directories, links, renames, removal),
 * extended attributes (none) and locks. Same rules as p9_ops.c: a
 * directory descriptor from p9s_host_*() plus one checked name, and host
 * calls that act on a final symlink itself rather than follow it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "p9_int.h"

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* The directory descriptor of fid dfid and a checked name in it. */
static int dir_and_name(struct p9s_ctx *c, uint32_t dfid, struct p9_str name,
                        char path[P9S_PATH_MAX], char leaf[P9S_NAME_MAX + 1])
{
	int e;

	if ((e = p9s_fid_path_of(c->s, dfid, path)) || (e = p9s_name(name, leaf)))
		return e;
	return p9s_host_open(c->s, path, O_PATH | O_DIRECTORY, 0);
}

static int writable(struct p9s_ctx *c) { return p9s_readonly(c->s) ? -EROFS : 0; }

static int qid_at(struct p9s_ctx *c, int dir, const char *leaf, struct p9_qid *q)
{
	struct stat st;

	if (fstatat(dir, leaf, &st, AT_SYMLINK_NOFOLLOW))
		return -errno;
	p9s_qid(c->s, &st, q);
	return 0;
}

/* ---- directories ---- */

static uint8_t dtype_qid(unsigned char t)
{
	return t == DT_DIR ? P9_QTDIR : t == DT_LNK ? P9_QTSYMLINK : P9_QTFILE;
}

/* Entries from the host's getdents64 into the reply, each with its own
 * cookie: what does not fit is read again by the next Treaddir, which
 * seeks to the last cookie sent. */
static int fill_dir(struct p9s_ctx *c, int fd, uint8_t *out, size_t cap, size_t *pos)
{
	uint8_t *buf = c->w->in; /* the request is decoded: reuse its buffer */
	size_t bufsize = cap < 4096 ? 4096 : cap;
	long n, i;

	for (;;) {
		n = syscall(SYS_getdents64, fd, buf, bufsize);
		if (n <= 0)
			return n < 0 ? -errno : 0;
		for (i = 0; i < n;) {
			struct linux_dirent64 *de = (struct linux_dirent64 *)(buf + i);
			struct p9_dirent d = {
				.qid = { dtype_qid(de->d_type), 0, de->d_ino },
				.offset = (uint64_t)de->d_off,
				.type = de->d_type,
				.name = p9_str(de->d_name),
			};
			if (p9_dirent_pack(out, cap, pos, &d))
				return 0;
			i += de->d_reclen;
		}
	}
}

static int op_readdir(struct p9s_ctx *c, const struct p9_msg *t, struct p9_msg *r)
{
	size_t cap = t->u.treaddir.count, pos = 0;
	struct p9s_fid *f = p9s_fid_get(c->s, t->u.treaddir.fid);
	int e = 0;

	if (!f)
		return -EBADF;
	if (c->room < P9_HDR_SIZE + 4) {
		e = -ERANGE;
		goto out;
	}
	if (cap > c->room - P9_HDR_SIZE - 4)
		cap = c->room - P9_HDR_SIZE - 4;
	if (f->fd < 0 || t->u.treaddir.offset > INT64_MAX) {
		e = f->fd < 0 ? -EBADF : -EINVAL;
		goto out;
	}
	pthread_mutex_lock(&f->mu);
	if (lseek(f->fd, (off_t)t->u.treaddir.offset, SEEK_SET) < 0)
		e = -errno;
	else
		e = fill_dir(c, f->fd, c->w->out + P9_HDR_SIZE + 4, cap, &pos);
	pthread_mutex_unlock(&f->mu);
	/* Entries already packed are valid even if a later read failed. */
	if (pos)
		e = 0;
	r->u.rreaddir.data = NULL; /* packed in place after the header */
	r->u.rreaddir.count = (uint32_t)pos;
out:
	p9s_fid_put(c->s, f);
	return e;
}

static int op_mkdir(struct p9s_ctx *c, const struct p9_msg *t, struct p9_msg *r)
{
	char path[P9S_PATH_MAX], leaf[P9S_NAME_MAX + 1];
	int dir, e;

	if ((e = writable(c)))
		return e;
	if ((dir = dir_and_name(c, t->u.tmkdir.dfid, t->u.tmkdir.name, path, leaf)) < 0)
		return dir;
	e = mkdirat(dir, leaf, t->u.tmkdir.mode & P9S_MODE_MASK) ? -errno : 0;
	if (!e)
		e = qid_at(c, dir, leaf, &r->u.rqid.qid);
	close(dir);
	return e;
}

static int op_mknod(struct p9s_ctx *c, const struct p9_msg *t, struct p9_msg *r)
{
	/* Devices, FIFOs and sockets made by a guest would be opened by
	 * host programs: refused, as in a container without CAP_MKNOD. */
	return p9s_readonly(c->s) ? -EROFS : -EPERM;
}

/* ---- links ---- */

static int op_symlink(struct p9s_ctx *c, const struct p9_msg *t, struct p9_msg *r)
{
	char path[P9S_PATH_MAX], leaf[P9S_NAME_MAX + 1];
	int dir, e;

	if ((e = writable(c)))
		return e;
	if (t->u.tsymlink.target.len == 0)
		return -ENOENT;
	if (p9_str_copy(c->w->tmp, sizeof(c->w->tmp), t->u.tsymlink.target))
		return -ENAMETOOLONG;
	if ((dir = dir_and_name(c, t->u.tsymlink.fid, t->u.tsymlink.name, path, leaf)) < 0)
		return dir;
	/* The target is stored, never followed by the gofer. */
	e = symlinkat(c->w->tmp, dir, leaf) ? -errno : 0;
	if (!e)
		e = qid_at(c, dir, leaf, &r->u.rqid.qid);
	close(dir);
	return e;
}

static int op_readlink(struct p9s_ctx *c, const struct p9_msg *t, struct p9_msg *r)
{
	char path[P9S_PATH_MAX];
	ssize_t n;
	int fd, e;

	if ((e = p9s_fid_path_of(c->s, t->u.tfid.fid, path)))
		return e;
	if ((fd = p9s_host_open(c->s, path, O_PATH, 0)) < 0)
		return fd;
	n = readlinkat(fd, "", c->w->tmp, sizeof(c->w->tmp));
	e = n < 0 ? -errno : 0;
	close(fd);
	if (e)
		return e;
	if ((size_t)n >= sizeof(c->w->tmp))
		return -ENAMETOOLONG;
	r->u.rreadlink.target = (struct p9_str){ c->w->tmp, (uint16_t)n };
	return 0;
}

static int op_link(struct p9s_ctx *c, const struct p9_msg *t, struct p9_msg *r)
{
	char path[P9S_PATH_MAX], leaf[P9S_NAME_MAX + 1], opath[P9S_PATH_MAX];
	char oleaf[P9S_NAME_MAX + 1];
	int dir, odir, e;

	if ((e = writable(c)) || (e = p9s_fid_path_of(c->s, t->u.tlink.fid, opath)))
		return e;
	if ((dir = dir_and_name(c, t->u.tlink.dfid, t->u.tlink.name, path, leaf)) < 0)
		return dir;
	if ((odir = p9s_host_parent(c->s, opath, oleaf)) < 0) {
		close(dir);
		return odir;
	}
	/* flags 0: a symlink is linked itself, never its target. */
	e = linkat(odir, oleaf, dir, leaf, 0) ? -errno : 0;
	close(odir);
	close(dir);
	return e;
}

/* ---- renames and removal ---- */

static int rename_in(struct p9s_ctx *c, const char *opath, int odir, const char *oleaf,
                     const char *npath, int ndir, const char *nleaf)
{
	char from[P9S_PATH_MAX], to[P9S_PATH_MAX];

	if (p9s_join(from, opath, oleaf) || p9s_join(to, npath, nleaf))
		return -ENAMETOOLONG;
	if (renameat(odir, oleaf, ndir, nleaf))
		return -errno;
	p9s_fid_renamed(c->s, from, to);
	return 0;
}

/* rename_in to name in directory fid dfid: both renames' new side. */
static int rename_to(struct p9s_ctx *c, const char *opath, int odir, const char *oleaf,
                     uint32_t dfid, struct p9_str name)
{
	char npath[P9S_PATH_MAX], nleaf[P9S_NAME_MAX + 1];
	int ndir = dir_and_name(c, dfid, name, npath, nleaf), e;

	if (ndir < 0)
		return ndir;
	e = rename_in(c, opath, odir, oleaf, npath, ndir, nleaf);
	close(ndir);
	return e;
}

static int op_renameat(struct p9s_ctx *c, const struct p9_msg *t, struct p9_msg *r)
{
	char op[P9S_PATH_MAX], ol[P9S_NAME_MAX + 1];
	int od, e;

	if ((e = writable(c)))
		return e;
	od = dir_and_name(c, t->u.trenameat.olddfid, t->u.trenameat.oldname, op, ol);
	if (od < 0)
		return od;
	e = rename_to(c, op, od, ol, t->u.trenameat.newdfid, t->u.trenameat.newname);
	close(od);
	return e;
}

/* The old Trename: the fid itself moves into dfid under name. */
static int op_rename(struct p9s_ctx *c, const struct p9_msg *t, struct p9_msg *r)
{
	char fpath[P9S_PATH_MAX], op[P9S_PATH_MAX], ol[P9S_NAME_MAX + 1];
	char *slash;
	int od, e;

	if ((e = writable(c)) || (e = p9s_fid_path_of(c->s, t->u.trename.fid, fpath)))
		return e;
	if (!*fpath)
		return -EBUSY;
	if ((od = p9s_host_parent(c->s, fpath, ol)) < 0)
		return od;
	strcpy(op, fpath);
	slash = strrchr(op, '/');
	*(slash ? slash : op) = 0;
	e = rename_to(c, op, od, ol, t->u.trename.dfid, t->u.trename.name);
	close(od);
	return e;
}

static int op_unlinkat(struct p9s_ctx *c, const struct p9_msg *t, struct p9_msg *r)
{
	char path[P9S_PATH_MAX], leaf[P9S_NAME_MAX + 1];
	uint32_t flags = t->u.tunlinkat.flags;
	int dir, e;

	if ((e = writable(c)))
		return e;
	if (flags & ~P9_AT_REMOVEDIR)
		return -EINVAL;
	if ((dir = dir_and_name(c, t->u.tunlinkat.dfid, t->u.tunlinkat.name, path, leaf)) < 0)
		return dir;
	e = unlinkat(dir, leaf, (flags & P9_AT_REMOVEDIR) ? AT_REMOVEDIR : 0) ? -errno : 0;
	close(dir);
	return e;
}

/* Tremove clunks the fid whether or not the removal worked (9P). */
static int op_remove(struct p9s_ctx *c, const struct p9_msg *t, struct p9_msg *r)
{
	char path[P9S_PATH_MAX], leaf[P9S_NAME_MAX + 1];
	struct stat st;
	int dir, e;

	if ((e = p9s_fid_path_of(c->s, t->u.tfid.fid, path)))
		return e;
	if ((e = writable(c)) || !*path) {
		e = e ? e : -EBUSY;
		goto out;
	}
	if ((dir = p9s_host_parent(c->s, path, leaf)) < 0) {
		e = dir;
		goto out;
	}
	if (fstatat(dir, leaf, &st, AT_SYMLINK_NOFOLLOW))
		e = -errno;
	else if (unlinkat(dir, leaf, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0))
		e = -errno;
	close(dir);
out:
	p9s_fid_clunk(c->s, t->u.tfid.fid);
	return e;
}

/* ---- extended attributes: an empty list, nothing settable ---- */

static int op_xattrwalk(struct p9s_ctx *c, const struct p9_msg *t, struct p9_msg *r)
{
	char path[P9S_PATH_MAX];
	struct p9s_fid *f;
	int e;

	if ((e = p9s_fid_path_of(c->s, t->u.txattrwalk.fid, path)))
		return e;
	if (t->u.txattrwalk.name.len)
		return -ENODATA;
	if ((e = p9s_fid_add(c->s, t->u.txattrwalk.newfid, path, 0, 0)))
		return e;
	if ((f = p9s_fid_get(c->s, t->u.txattrwalk.newfid))) {
		f->xattr = 1;
		p9s_fid_put(c->s, f);
	}
	r->u.rxattrwalk.size = 0;
	return 0;
}

static int op_xattrcreate(struct p9s_ctx *c, const struct p9_msg *t, struct p9_msg *r)
{
	return p9s_readonly(c->s) ? -EROFS : -EOPNOTSUPP;
}

/* ---- locks: open-file-description locks on the host file, so the
 * guest's opens conflict with each other and with host processes, and a
 * lock never blocks a worker (the client retries on BLOCKED). ---- */

static int to_flock(uint8_t type, uint64_t start, uint64_t len, struct flock *fl)
{
	static const short types[] = { F_RDLCK, F_WRLCK, F_UNLCK };

	if (type > P9_LOCK_TYPE_UNLCK || start > INT64_MAX || len > INT64_MAX)
		return -EINVAL;
	*fl = (struct flock){ .l_type = types[type],
		              .l_whence = SEEK_SET,
		              .l_start = (off_t)start,
		              .l_len = (off_t)len };
	return 0;
}

static struct p9s_fid *lock_fid(struct p9s_ctx *c, uint32_t id, int *e)
{
	struct p9s_fid *f = p9s_fid_get(c->s, id);

	*e = 0;
	if (f && f->fd >= 0)
		return f;
	if (f)
		p9s_fid_put(c->s, f);
	*e = -EBADF;
	return NULL;
}

static int op_lock(struct p9s_ctx *c, const struct p9_msg *t, struct p9_msg *r)
{
	struct p9s_fid *f;
	struct flock fl;
	int e;

	if ((e = to_flock(t->u.tlock.type, t->u.tlock.start, t->u.tlock.length, &fl)))
		return e;
	if (!(f = lock_fid(c, t->u.tlock.fid, &e)))
		return e;
	if (fcntl(f->fd, F_OFD_SETLK, &fl) == 0)
		r->u.rlock.status = P9_LOCK_SUCCESS;
	else if (errno == EAGAIN || errno == EACCES)
		r->u.rlock.status = P9_LOCK_BLOCKED;
	else
		r->u.rlock.status = P9_LOCK_ERROR;
	p9s_fid_put(c->s, f);
	return 0;
}

static int op_getlock(struct p9s_ctx *c, const struct p9_msg *t, struct p9_msg *r)
{
	struct p9s_fid *f;
	struct flock fl;
	int e;

	if ((e = to_flock(t->u.getlock.type, t->u.getlock.start, t->u.getlock.length, &fl)))
		return e;
	if (!(f = lock_fid(c, t->u.getlock.fid, &e)))
		return e;
	if (fcntl(f->fd, F_OFD_GETLK, &fl))
		e = -errno;
	p9s_fid_put(c->s, f);
	if (e)
		return e;
	r->u.getlock = t->u.getlock;
	r->u.getlock.type = fl.l_type == F_RDLCK   ? P9_LOCK_TYPE_RDLCK
	                    : fl.l_type == F_WRLCK ? P9_LOCK_TYPE_WRLCK
	                                           : P9_LOCK_TYPE_UNLCK;
	if (fl.l_type != F_UNLCK) {
		r->u.getlock.start = (uint64_t)fl.l_start;
		r->u.getlock.length = (uint64_t)fl.l_len;
		r->u.getlock.proc_id = fl.l_pid > 0 ? (uint32_t)fl.l_pid : 0;
	}
	return 0;
}

static const p9s_op dir_ops[P9_TYPE_MAX] = {
	[P9_TREADDIR] = op_readdir,     [P9_TMKDIR] = op_mkdir,
	[P9_TMKNOD] = op_mknod,         [P9_TSYMLINK] = op_symlink,
	[P9_TREADLINK] = op_readlink,   [P9_TLINK] = op_link,
	[P9_TRENAMEAT] = op_renameat,   [P9_TRENAME] = op_rename,
	[P9_TUNLINKAT] = op_unlinkat,   [P9_TREMOVE] = op_remove,
	[P9_TXATTRWALK] = op_xattrwalk, [P9_TXATTRCREATE] = op_xattrcreate,
	[P9_TLOCK] = op_lock,           [P9_TGETLOCK] = op_getlock,
};

p9s_op p9s_dir_op_for(unsigned type) { return type < P9_TYPE_MAX ? dir_ops[type] : NULL; }
