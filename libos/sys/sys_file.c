/*
 * System calls on descriptors: I/O, positions, duplication, fcntl, ioctl.
 * Linux semantics and numbers; the path-based calls are in sys_fs.c.
 */
#include <linux/close_range.h>
#include <linux/falloc.h>
#include <uk/libc.h>
#include <uk/mm.h>
#include <uk/net.h>
#include <uk/print.h>
#include <uk/proc.h>
#include <uk/syscall.h>
#include <uk/vfs.h>

#include "../vfs/vfs_impl.h"

/* Linux caps one transfer so the result fits an int-sized count. */
#define MAX_RW 0x7ffff000ul

static int readable(const struct uk_file *f)
{
	return (f->flags & O_ACCMODE) != O_WRONLY && !(f->flags & O_PATH);
}

static int writable(const struct uk_file *f)
{
	unsigned acc = f->flags & O_ACCMODE;
	return (acc == O_WRONLY || acc == O_RDWR) && !(f->flags & O_PATH);
}

static unsigned ftype(const struct uk_file *f) { return f->vn ? f->vn->mode & S_IFMT : 0; }

static long do_read(struct uk_file *f, void *buf, size_t len, uint64_t *pos)
{
	long r;

	if (!readable(f))
		return -EBADF;
	if (!f->ops->read)
		return ftype(f) == S_IFDIR ? -EISDIR : -EINVAL;
	if ((r = f->ops->read(f, buf, len > MAX_RW ? MAX_RW : len, pos)) > 0)
		uk_fsnotify_event(f->vn, IN_ACCESS);
	return r;
}

static long do_write(struct uk_file *f, const void *buf, size_t len, uint64_t *pos)
{
	long r;

	if (!writable(f))
		return -EBADF;
	if (!f->ops->write)
		return ftype(f) == S_IFDIR ? -EISDIR : -EINVAL;
	/* (a set-id program changed by someone without CAP_FSETID is one
	 * no more: one branch for every other file) */
	if (f->vn && (f->vn->mode & (S_ISUID | S_ISGID)) && (r = uk_vfs_kill_suid(f->vn)))
		return r;
	if ((r = f->ops->write(f, buf, len > MAX_RW ? MAX_RW : len, pos)) > 0)
		uk_fsnotify_event(f->vn, IN_MODIFY);
	return r;
}

UK_SYSCALL3(read, int, fd, void *, buf, size_t, len)
{
	struct uk_file *f = uk_fd_get(fd);
	long r;

	if (!f)
		return -EBADF;
	r = do_read(f, buf, len, &f->pos);
	uk_file_put(f);
	return r;
}

UK_SYSCALL3(write, int, fd, const void *, buf, size_t, len)
{
	struct uk_file *f = uk_fd_get(fd);
	long r;

	if (!f)
		return -EBADF;
	r = do_write(f, buf, len, &f->pos);
	uk_file_put(f);
	return r;
}

/* Whether positioned I/O makes sense: not on pipes, sockets, terminals. */
static int seekable(struct uk_file *f)
{
	unsigned t = ftype(f);

	if (!f->vn || t == S_IFIFO || t == S_IFSOCK)
		return 0;
	return !f->ops->llseek || f->ops->llseek(f, 0, SEEK_CUR) >= 0;
}

static long positioned(int fd, void *buf, size_t len, int64_t off, int wr)
{
	struct uk_file *f = uk_fd_get(fd);
	uint64_t pos = (uint64_t)off;
	long r;

	if (!f)
		return -EBADF;
	if (off < 0)
		r = -EINVAL;
	else if (!seekable(f))
		r = -ESPIPE;
	else
		r = wr ? do_write(f, buf, len, &pos) : do_read(f, buf, len, &pos);
	uk_file_put(f);
	return r;
}

UK_SYSCALL4(pread64, int, fd, void *, buf, size_t, len, int64_t, off)
{
	return positioned(fd, buf, len, off, 0);
}

UK_SYSCALL4(pwrite64, int, fd, const void *, buf, size_t, len, int64_t, off)
{
	return positioned(fd, (void *)buf, len, off, 1);
}

/* readv/writev and friends: a transfer per buffer, stopping at the first
 * short one (as Linux does for files), unless the file takes the vector
 * whole (sockets); off -1 means the file position. */
static long vector(int fd, const struct iovec *iov, int cnt, int64_t off, int wr)
{
	struct uk_file *f;
	uint64_t pos = (uint64_t)off, *pp;
	long total = 0, r = 0;

	if (cnt < 0 || cnt > UIO_MAXIOV)
		return -EINVAL;
	if (cnt && !iov)
		return -EFAULT;
	if (!(f = uk_fd_get(fd)))
		return -EBADF;
	pp = off >= 0 ? &pos : &f->pos;
	if (off < -1)
		r = -EINVAL;
	else if (off >= 0 && !seekable(f))
		r = -ESPIPE;
	else if (wr ? !writable(f) : !readable(f))
		r = -EBADF;
	else if (f->ops->rwv && off < 0) {
		r = f->ops->rwv(f, iov, cnt, wr);
		cnt = 0;
	}
	for (int i = 0; r == 0 && i < cnt; i++) {
		size_t want = iov[i].iov_len;
		if (!want)
			continue;
		/* A stream that gave some bytes fills the next buffers only
		 * from what it holds (a read on Linux returns what one
		 * transfer gave): a pipe or a socket holding exactly the
		 * first buffer's bytes blocked here for more. */
		if (!wr && total && f->ops->poll &&
		    !(f->ops->poll(f, NULL) & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)))
			break;
		r = wr ? do_write(f, iov[i].iov_base, want, pp)
		       : do_read(f, iov[i].iov_base, want, pp);
		if (r > 0)
			total += r;
		if (r >= 0 && (size_t)r < want)
			break;
		if (r > 0)
			r = 0;
	}
	uk_file_put(f);
	return total ? total : r;
}

UK_SYSCALL3(readv, int, fd, const struct iovec *, iov, int, cnt)
{
	return vector(fd, iov, cnt, -1, 0);
}

UK_SYSCALL3(writev, int, fd, const struct iovec *, iov, int, cnt)
{
	return vector(fd, iov, cnt, -1, 1);
}

UK_SYSCALL4(preadv, int, fd, const struct iovec *, iov, int, cnt, int64_t, off)
{
	return off < 0 ? -EINVAL : vector(fd, iov, cnt, off, 0);
}

UK_SYSCALL4(pwritev, int, fd, const struct iovec *, iov, int, cnt, int64_t, off)
{
	return off < 0 ? -EINVAL : vector(fd, iov, cnt, off, 1);
}

/* The new position for SEEK_END, SEEK_DATA and SEEK_HOLE. */
static int seek_end(struct uk_file *f, int64_t off, int whence, int64_t *pos)
{
	struct stat st;
	int r = uk_vfs_fstat(f, &st);

	if (r)
		return r;
	if (whence == SEEK_END) {
		*pos = st.st_size + off;
		return 0;
	}
	/* The whole file is data: RAM files keep no record of holes. */
	if (off < 0 || off >= st.st_size)
		return -ENXIO;
	*pos = whence == SEEK_DATA ? off : st.st_size;
	return 0;
}

static long vfs_seek(struct uk_file *f, int64_t off, int whence)
{
	int64_t pos = 0;
	int r = 0;

	if (!seekable(f))
		return -ESPIPE;
	if (whence == SEEK_SET)
		pos = off;
	else if (whence == SEEK_CUR)
		pos = (int64_t)f->pos + off;
	else if ((whence == SEEK_END || whence == SEEK_DATA || whence == SEEK_HOLE) &&
	         ftype(f) != S_IFDIR)
		r = seek_end(f, off, whence, &pos);
	else
		r = -EINVAL;
	if (r)
		return r;
	if (pos < 0)
		return -EINVAL;
	f->pos = (uint64_t)pos;
	return pos;
}

UK_SYSCALL3(lseek, int, fd, int64_t, off, int, whence)
{
	struct uk_file *f = uk_fd_get(fd);
	long r;

	if (!f)
		return -EBADF;
	r = f->ops->llseek ? f->ops->llseek(f, off, whence) : vfs_seek(f, off, whence);
	uk_file_put(f);
	return r;
}

UK_SYSCALL1(close, int, fd) { return uk_fd_close(fd); }

/* The open descriptors in [first, last] closed, or marked close-on-exec
 * (CLOSE_RANGE_CLOEXEC): glibc's closefrom and python's subprocess use it
 * (they fall back to reading /proc/self/fd). CLOSE_RANGE_UNSHARE asks for
 * a table of the caller's own: a process's table is already its own,
 * unless threads share it, which uk cannot part (refused). */
UK_SYSCALL3(close_range, unsigned, first, unsigned, last, unsigned, flags)
{
	unsigned end = (unsigned)uk_fd_max();

	if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) || first > last)
		return -EINVAL;
	if ((flags & CLOSE_RANGE_UNSHARE) && uk_proc_cur->nthreads > 1) {
		uk_trace_note("close_range: CLOSE_RANGE_UNSHARE in a process of several threads "
		              "is not supported");
		return -EINVAL;
	}
	for (unsigned fd = first; fd <= last && fd < end; fd++) {
		if (flags & CLOSE_RANGE_CLOEXEC)
			uk_fd_set_cloexec((int)fd, 1); /* -EBADF for a hole */
		else
			uk_fd_close((int)fd);
	}
	return 0;
}

UK_SYSCALL1(dup, int, fd)
{
	struct uk_file *f = uk_fd_get(fd);
	int r;

	if (!f)
		return -EBADF;
	if ((r = uk_fd_install(f, 0, 0)) < 0)
		uk_file_put(f);
	return r;
}

UK_SYSCALL2(dup2, int, oldfd, int, newfd)
{
	if (oldfd == newfd)
		return uk_fd_get_cloexec(oldfd) < 0 ? -EBADF : newfd;
	return uk_fd_dup_to(oldfd, newfd, 0);
}

UK_SYSCALL3(dup3, int, oldfd, int, newfd, int, flags)
{
	if (oldfd == newfd || (flags & ~O_CLOEXEC))
		return -EINVAL;
	return uk_fd_dup_to(oldfd, newfd, flags & O_CLOEXEC);
}

static long dupfd(struct uk_file *f, long min, int cloexec)
{
	int r;

	if (min < 0 || min >= 65536)
		return -EINVAL;
	uk_file_get(f);
	if ((r = uk_fd_install(f, (int)min, cloexec)) < 0)
		uk_file_put(f);
	return r;
}

/* Record locks (POSIX and open-file-description ones) are not kept: they
 * succeed without doing anything, so they exclude nothing between
 * processes (flock's do: vfs_flock.c), and --trace says so. */
static long lock_noop(int fd, int cmd, void *arg)
{
	struct flock *l = arg;

	if (!l)
		return -EFAULT;
	if (cmd == F_GETLK || cmd == F_OFD_GETLK) {
		uk_trace_note("fcntl(%d, F_GETLK): record locks are not kept: unlocked", fd);
		l->l_type = F_UNLCK;
		return 0;
	}
	if (l->l_type != F_RDLCK && l->l_type != F_WRLCK && l->l_type != F_UNLCK)
		return -EINVAL;
	uk_trace_note("fcntl(%d): record lock accepted but not kept (excludes no other process)",
	              fd);
	return 0;
}

#define SETFL_MASK (O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME | FASYNC)

UK_SYSCALL3(fcntl, int, fd, int, cmd, unsigned long, arg)
{
	struct uk_file *f = uk_fd_get(fd);
	long r = 0;

	if (!f)
		return -EBADF;
	switch (cmd) {
	case F_DUPFD: r = dupfd(f, (long)arg, 0); break;
	case F_DUPFD_CLOEXEC: r = dupfd(f, (long)arg, 1); break;
	case F_GETFD: r = uk_fd_get_cloexec(fd) > 0 ? FD_CLOEXEC : 0; break;
	case F_SETFD: r = uk_fd_set_cloexec(fd, arg & FD_CLOEXEC); break;
	case F_GETFL: r = f->flags; break;
	case F_SETFL: f->flags = (f->flags & ~SETFL_MASK) | (arg & SETFL_MASK); break;
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW: r = lock_noop(fd, cmd, (void *)arg); break;
	case F_ADD_SEALS:
	case F_GET_SEALS: r = uk_fcntl_seals(f, cmd, (unsigned)arg); break;
	case F_GETOWN: r = 0; break;
	case F_SETOWN:
		uk_trace_note("fcntl(%d, F_SETOWN): no signals for I/O here; ignored", fd);
		break;
	default: r = -EINVAL;
	}
	uk_file_put(f);
	return r;
}

static long generic_ioctl(struct uk_file *f, int fd, unsigned long req, void *arg)
{
	struct stat st;

	switch (req) {
	case FIONBIO:
		if (!arg)
			return -EFAULT;
		f->flags = *(int *)arg ? f->flags | O_NONBLOCK : f->flags & ~O_NONBLOCK;
		return 0;
	case FIOCLEX: return uk_fd_set_cloexec(fd, 1);
	case FIONCLEX: return uk_fd_set_cloexec(fd, 0);
	case FIONREAD:
		if (ftype(f) != S_IFREG)
			break;
		if (!arg)
			return -EFAULT;
		if (uk_vfs_fstat(f, &st))
			return -EINVAL;
		*(int *)arg = st.st_size > (int64_t)f->pos ? (int)(st.st_size - f->pos) : 0;
		return 0;
	}
	return f->ops->ioctl ? f->ops->ioctl(f, req, arg) : -ENOTTY;
}

UK_SYSCALL3(ioctl, int, fd, unsigned long, req, void *, arg)
{
	struct uk_file *f = uk_fd_get(fd);
	long r;

	if (!f)
		return -EBADF;
	r = generic_ioctl(f, fd, req, arg);
	uk_file_put(f);
	return r;
}

UK_SYSCALL2(fstat, int, fd, struct stat *, st)
{
	struct uk_file *f = uk_fd_get(fd);
	long r;

	if (!f)
		return -EBADF;
	r = st ? uk_vfs_fstat(f, st) : -EFAULT;
	uk_file_put(f);
	return r;
}

UK_SYSCALL2(ftruncate, int, fd, int64_t, len)
{
	struct uk_file *f = uk_fd_get(fd);
	struct uk_setattr a = { .mask = UK_SA_SIZE, .size = (uint64_t)len };
	long r;

	if (!f)
		return -EBADF;
	if (len < 0 || !writable(f) || ftype(f) != S_IFREG)
		r = -EINVAL;
	else if ((r = uk_vfs_kill_suid(f->vn)))
		;
	else if (f->ops->truncate)
		r = f->ops->truncate(f, (uint64_t)len);
	else
		r = f->vn->ops->setattr ? f->vn->ops->setattr(f->vn, &a) : -EINVAL;
	if (!r)
		uk_fsnotify_event(f->vn, IN_MODIFY);
	uk_file_put(f);
	return r;
}

static long do_fsync(int fd, int datasync)
{
	struct uk_file *f = uk_fd_get(fd);
	long r = 0;

	if (!f)
		return -EBADF;
	if (f->ops->fsync)
		r = f->ops->fsync(f, datasync);
	else if (!f->vn || ftype(f) == S_IFIFO || ftype(f) == S_IFSOCK)
		r = -EINVAL;
	else if (f->vn->ops->fsync)
		r = f->vn->ops->fsync(f->vn, datasync);
	uk_file_put(f);
	return r;
}

UK_SYSCALL1(fsync, int, fd) { return do_fsync(fd, 0); }
UK_SYSCALL1(fdatasync, int, fd) { return do_fsync(fd, 1); }

UK_SYSCALL1(syncfs, int, fd)
{
	struct uk_file *f = uk_fd_get(fd);
	long r;

	if (!f)
		return -EBADF;
	r = f->vn && f->vn->mnt ? uk_vfs_sync(f->vn->mnt) : 0;
	uk_file_put(f);
	return r;
}

UK_SYSCALL0(sync)
{
	uk_vfs_sync(NULL); /* sync(2) reports nothing */
	return 0;
}

UK_SYSCALL4(fadvise64, int, fd, int64_t, off, int64_t, len, int, advice)
{
	struct uk_file *f = uk_fd_get(fd);
	long r = 0;

	if (!f)
		return -EBADF;
	if (ftype(f) == S_IFIFO || !f->vn)
		r = -ESPIPE;
	else if (advice < 0 || advice > 5 || len < 0)
		r = -EINVAL;
	uk_file_put(f);
	return r; /* advice may be ignored, and is */
}

#define FALLOC_ZEROING (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)

/* Whether fallocate can do mode on f at [off, off + len): 0 or -errno. */
static long fallocate_check(struct uk_file *f, int mode, int64_t off, int64_t len)
{
	if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_ZEROING) ||
	    (mode & FALLOC_ZEROING) == FALLOC_ZEROING ||
	    (mode & FALLOC_FL_PUNCH_HOLE && !(mode & FALLOC_FL_KEEP_SIZE))) {
		uk_trace_note("fallocate: mode %#x is not supported", mode);
		return -EOPNOTSUPP;
	}
	if (off < 0 || len <= 0)
		return -EINVAL;
	if (len > INT64_MAX - off)
		return -EFBIG;
	if (!writable(f))
		return -EBADF;
	if (ftype(f) != S_IFREG)
		return ftype(f) == S_IFDIR ? -EISDIR : -ENODEV;
	if ((mode & FALLOC_ZEROING) && !f->vn->ops->punch) {
		uk_trace_note("fallocate: this filesystem cannot punch holes or zero ranges");
		return -EOPNOTSUPP;
	}
	return 0;
}

/* Space is never reserved (RAM and 9P files grow as written); the size
 * grows unless FALLOC_FL_KEEP_SIZE; holes and zeroed ranges are the
 * filesystem's punch. */
UK_SYSCALL4(fallocate, int, fd, int, mode, int64_t, off, int64_t, len)
{
	struct uk_file *f = uk_fd_get(fd);
	struct uk_setattr a = { .mask = UK_SA_SIZE, .size = (uint64_t)off + (uint64_t)len };
	struct stat st;
	long r;

	if (!f)
		return -EBADF;
	r = fallocate_check(f, mode, off, len);
	/* a file sealed against growth refuses space past its end even when
	 * the size would stay (Linux's shmem) */
	if (!r && !(mode & FALLOC_ZEROING) && (uk_vnode_seals(f->vn) & F_SEAL_GROW) &&
	    !(r = uk_vfs_fstat(f, &st)) && a.size > (uint64_t)st.st_size)
		r = -EPERM;
	if (!r && (mode & FALLOC_ZEROING))
		r = f->vn->ops->punch(f->vn, (uint64_t)off, (uint64_t)len);
	if (!r && !(mode & FALLOC_FL_KEEP_SIZE) && !(r = uk_vfs_fstat(f, &st)) &&
	    a.size > (uint64_t)st.st_size)
		r = f->ops->truncate ? f->ops->truncate(f, a.size) : f->vn->ops->setattr(f->vn, &a);
	if (!r)
		uk_fsnotify_event(f->vn, IN_MODIFY);
	uk_file_put(f);
	return r;
}

/* How many of the want bytes of in at pos lie in one run of memory
 * (*data at them; 0: not one run, read them), for a file whose data is
 * in memory (ramfs: an image file's bytes lie in the image's archive).
 * The end of the file ends a run. */
static size_t in_memory(struct uk_file *in, uint64_t pos, size_t want, const void **data)
{
	struct uk_vnode *vn = in->vn;
	size_t run = 0;

	if (!vn || ftype(in) != S_IFREG || !vn->ops->page_data || !readable(in))
		return 0;
	while (run < want) {
		uint64_t at = pos + run, off = at & (UK_PAGE_SIZE - 1);
		const void *d;
		long n = vn->ops->page_data(vn, at - off, &d);
		if (n <= (long)off)
			return run; /* the end */
		if (!d || (run && (const char *)d + off != (const char *)*data + run))
			return 0; /* a hole, or the next page elsewhere */
		if (!run)
			*data = (const char *)d + off;
		run += (size_t)n - off;
	}
	return want;
}

/* Up to count bytes from in at *ipos to out at *opos; a short write ends
 * it, and *ipos then stays after what was written, not after what was
 * read (a non-blocking socket takes part of a chunk: the rest is sent by
 * the next call). The bytes copied, or -errno when none were.
 *
 * To a non-blocking socket, bytes that lie in memory in one run go from
 * where they lie: the socket copies them into its buffers before its
 * write returns, without sleeping, and nothing else runs meanwhile (the
 * library OS is not preempted), so the file cannot change under it. A
 * Go server's sendfile of an image file was a 64 KiB buffer zeroed, the
 * file copied into it, then copied again by the socket. Anything else
 * goes through a kernel buffer. */
static long transfer(struct uk_file *in, uint64_t *ipos, struct uk_file *out, uint64_t *opos,
                     size_t count)
{
	size_t chunk = 65536, done = 0;
	int direct = uk_file_is_socket(out) && (out->flags & O_NONBLOCK);
	char *buf = NULL;
	long r = 0;

	while (done < count) {
		size_t want = count - done < chunk ? count - done : chunk;
		const void *src = NULL;
		long n = direct ? (long)in_memory(in, *ipos, want, &src) : 0, w;
		if (n > 0) {
			*ipos += (uint64_t)n;
		} else {
			if (!buf && !(buf = uk_kmalloc(chunk))) {
				r = -ENOMEM;
				break;
			}
			if ((n = do_read(in, buf, want, ipos)) <= 0) {
				r = n;
				break;
			}
			src = buf;
		}
		w = do_write(out, src, (size_t)n, opos);
		if (w > 0)
			done += (size_t)w;
		if (w != n) {
			*ipos -= (uint64_t)(n - (w > 0 ? w : 0));
			r = w < 0 ? w : 0;
			break;
		}
	}
	uk_kfree(buf);
	return done ? (long)done : r;
}

UK_SYSCALL4(sendfile, int, out_fd, int, in_fd, int64_t *, offp, size_t, count)
{
	struct uk_file *in = uk_fd_get(in_fd), *out = uk_fd_get(out_fd);
	uint64_t pos = offp ? (uint64_t)*offp : 0;
	long r;

	if (!in || !out)
		r = -EBADF;
	else if (offp && *offp < 0)
		r = -EINVAL;
	else if (offp && !seekable(in))
		r = -ESPIPE;
	else
		r = transfer(in, offp ? &pos : &in->pos, out, &out->pos, count);
	if (r >= 0 && offp)
		*offp = (int64_t)pos;
	if (in)
		uk_file_put(in);
	if (out)
		uk_file_put(out);
	return r;
}

/* copy_file_range's checks, in Linux's order: the kinds of file, their
 * modes, one file system (a mount here: Linux's superblock), offsets
 * that do not wrap, are not negative and write below the largest file
 * offset (tmpfs's on Linux: EFBIG at it); then *count is cut at the end
 * of the input and at that offset, and copies within one file must not
 * overlap. */
static long copy_checks(struct uk_file *in, uint64_t ipos, struct uk_file *out, uint64_t opos,
                        size_t *count)
{
	struct stat st;
	long r;

	if (ftype(in) == S_IFDIR || ftype(out) == S_IFDIR)
		return -EISDIR;
	if (ftype(in) != S_IFREG || ftype(out) != S_IFREG)
		return -EINVAL;
	if (!readable(in) || !writable(out) || (out->flags & O_APPEND))
		return -EBADF;
	if (in->vn->mnt != out->vn->mnt)
		return -EXDEV;
	if (ipos + *count < ipos || opos + *count < opos)
		return -EOVERFLOW;
	if ((int64_t)ipos < 0 || (int64_t)opos < 0)
		return -EINVAL;
	if (opos >= INT64_MAX)
		return -EFBIG;
	if ((r = uk_vfs_fstat(in, &st)))
		return r;
	if ((int64_t)ipos >= st.st_size)
		*count = 0;
	else if (*count > (uint64_t)st.st_size - ipos)
		*count = (uint64_t)st.st_size - ipos;
	if (*count > INT64_MAX - opos)
		*count = INT64_MAX - opos;
	if (in->vn == out->vn && opos + *count > ipos && opos < ipos + *count)
		return -EINVAL;
	return 0;
}

/* Through the same buffer as sendfile: no file system here shares
 * extents, and RAM files gain nothing from a faster path. */
UK_SYSCALL6(copy_file_range, int, in_fd, int64_t *, off_in, int, out_fd, int64_t *, off_out, size_t,
            count, unsigned, flags)
{
	struct uk_file *in = uk_fd_get(in_fd), *out = uk_fd_get(out_fd);
	uint64_t ipos, opos;
	long r;

	if (!in || !out) {
		r = -EBADF;
		goto out;
	}
	ipos = off_in ? (uint64_t)*off_in : in->pos;
	opos = off_out ? (uint64_t)*off_out : out->pos;
	if (flags)
		r = -EINVAL;
	else if (!(r = copy_checks(in, ipos, out, opos, &count)) && count)
		r = transfer(in, &ipos, out, &opos, count);
	if (r > 0) {
		*(off_in ? (uint64_t *)off_in : &in->pos) = ipos;
		*(off_out ? (uint64_t *)off_out : &out->pos) = opos;
	}
out:
	if (in)
		uk_file_put(in);
	if (out)
		uk_file_put(out);
	return r;
}

/* ---- getdents64 ---- */

struct linux_dirent64_ {
	uint64_t d_ino;
	int64_t d_off;
	uint16_t d_reclen;
	uint8_t d_type;
	char d_name[];
};

/* Linux's old struct linux_dirent: d_type sits in the record's last byte. */
struct linux_dirent_ {
	unsigned long d_ino;
	unsigned long d_off;
	uint16_t d_reclen;
	char d_name[];
};

struct dents {
	char *buf;
	size_t size, used;
	int64_t *prev_off; /* d_off of the last record, set once known */
	uint64_t *cookie;
	int too_small, legacy;
};

/* One record in the caller's buffer, either layout. */
static int dent_emit(void *ctx, const char *name, uint64_t ino, unsigned type)
{
	struct dents *d = ctx;
	size_t len = uk_strlen(name),
	       hdr = d->legacy ? sizeof(struct linux_dirent_) : sizeof(struct linux_dirent64_);
	size_t rec = (hdr + len + 1 + (d->legacy ? 1 : 0) + 7) & ~(size_t)7;
	char *p = d->buf + d->used;

	if (d->used + rec > d->size) {
		d->too_small = !d->used;
		return 1;
	}
	if (d->prev_off)
		*d->prev_off = (int64_t)*d->cookie; /* the filesystem moved it past prev */
	if (d->legacy) {
		struct linux_dirent_ *e = (void *)p;
		e->d_ino = ino;
		e->d_off = 0;
		e->d_reclen = (uint16_t)rec;
		uk_memcpy(e->d_name, name, len + 1);
		p[rec - 1] = (char)type;
		d->prev_off = (int64_t *)&e->d_off;
	} else {
		struct linux_dirent64_ *e = (void *)p;
		e->d_ino = ino;
		e->d_off = 0;
		e->d_reclen = (uint16_t)rec;
		e->d_type = (uint8_t)type;
		uk_memcpy(e->d_name, name, len + 1);
		d->prev_off = &e->d_off;
	}
	d->used += rec;
	return 0;
}

static long getdents_common(int fd, void *buf, size_t size, int legacy)
{
	struct uk_file *f = uk_fd_get(fd);
	struct dents d = { buf, size, 0, NULL, NULL, 0, legacy };
	long r;

	if (!f)
		return -EBADF;
	if (f->flags & O_PATH)
		r = -EBADF;
	else if (!f->vn || ftype(f) != S_IFDIR || !f->vn->ops->readdir)
		r = -ENOTDIR;
	else if (!buf)
		r = -EFAULT;
	else {
		d.cookie = &f->pos;
		r = f->vn->ops->readdir(f->vn, &f->pos, dent_emit, &d);
		if (d.prev_off)
			*d.prev_off = (int64_t)f->pos;
		if (r == 0)
			r = d.too_small ? -EINVAL : (long)d.used;
		if (r > 0)
			uk_fsnotify_event(f->vn, IN_ACCESS);
	}
	uk_file_put(f);
	return r;
}

UK_SYSCALL3(getdents, int, fd, void *, buf, size_t, size)
{
	return getdents_common(fd, buf, size, 1);
}

UK_SYSCALL3(getdents64, int, fd, void *, buf, size_t, size)
{
	return getdents_common(fd, buf, size, 0);
}
