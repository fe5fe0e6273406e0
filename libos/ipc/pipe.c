/*
 * Pipes: pipe(2), pipe2(2) and FIFOs (mknod S_IFIFO, opened through the
 * VFS's uk_fifo_open hook).
 *
 * A pipe holds up to 64 KiB (Linux's default capacity) in a ring that
 * starts at one page on the first write and doubles as the data needs it,
 * so the many pipes that only ever carry a little cost a page each.
 * Readers wait on rwq for data or the last writer's close; writers on wwq
 * for room or the last reader's close. A write of at most PIPE_BUF bytes
 * goes in whole or not at all; a larger one may be split,
 * and a non-blocking one returns what fitted. Writing with no reader left
 * fails with EPIPE and raises SIGPIPE.
 */
#include <uk/mm.h>
#include <uk/sched.h>
#include <uk/signal.h>
#include <uk/syscall.h>

#include "poll_impl.h"

#define PIPE_SIZE 65536ul
#define PIPE_ATOMIC 4096ul /* PIPE_BUF */

struct pipe {
	uint8_t *buf;         /* the ring, or NULL until written */
	size_t cap;           /* its size: a power of two of pages */
	size_t head, len;     /* ring: first byte, bytes held */
	int readers, writers; /* open ends */
	int had_writer;       /* a FIFO reports HUP only after a writer came */
	struct uk_wq rwq, wwq;
	uint64_t ino;
	struct uk_vnode *fifo; /* the FIFO's vnode (referenced), or NULL */
	struct pipe *fifo_next;
};

static uint64_t next_ino = 1;
static struct pipe *fifos; /* pipes of open FIFOs, by vnode */

/* As Linux: to the writing thread, from the kernel on the process's
 * behalf; its default action ends the program (status 141). */
static void sigpipe(void) { uk_signal_send(uk_current, SIGPIPE, UK_SI_USER, 1, 0); }

static struct pipe *pipe_new(void)
{
	struct pipe *p = uk_kzalloc(sizeof(*p));

	if (p)
		p->ino = next_ino++;
	return p;
}

static void pipe_free(struct pipe *p)
{
	if (p->buf)
		uk_pages_free(p->buf, p->cap / UK_PAGE_SIZE);
	uk_kfree(p);
}

/* ---- the ring ---- */

/* The ring's first n bytes to dst; copies to a program's buffer stop
 * where its memory does (uk_copy_user: one unmapped while the reader
 * slept), and only what was copied leaves the ring. */
static size_t copy_out(struct pipe *p, uint8_t *dst, size_t n)
{
	size_t first = p->cap - p->head, left;

	if (n > p->len)
		n = p->len;
	if (first > n)
		first = n;
	left = uk_copy_user(dst, p->buf + p->head, first);
	left = left ? left + n - first : uk_copy_user(dst + first, p->buf, n - first);
	n -= left;
	p->head = (p->head + n) & (p->cap - 1);
	p->len -= n;
	if (!p->len)
		p->head = 0; /* keeps later writes contiguous */
	return n;
}

static size_t copy_in(struct pipe *p, const uint8_t *src, size_t n)
{
	size_t tail = (p->head + p->len) & (p->cap - 1), first = p->cap - tail, left;

	if (n > p->cap - p->len)
		n = p->cap - p->len;
	if (first > n)
		first = n;
	left = uk_copy_user(p->buf + tail, src, first);
	left = left ? left + n - first : uk_copy_user(p->buf, src + first, n - first);
	n -= left;
	p->len += n;
	return n;
}

/* Grow the ring towards len + want bytes (at most PIPE_SIZE), keeping
 * what it holds; when memory is short it stays as it is. */
static void ring_grow(struct pipe *p, size_t want)
{
	size_t cap = p->cap ? p->cap : UK_PAGE_SIZE, need = p->len + want, len = p->len;
	uint8_t *nb;

	if (need > PIPE_SIZE)
		need = PIPE_SIZE;
	while (cap < need)
		cap *= 2;
	if ((p->buf && cap == p->cap) || !(nb = uk_pages_alloc(cap / UK_PAGE_SIZE)))
		return;
	if (p->buf) {
		copy_out(p, nb, len); /* to the start of the new ring */
		uk_pages_free(p->buf, p->cap / UK_PAGE_SIZE);
	}
	p->buf = nb;
	p->cap = cap;
	p->head = 0;
	p->len = len;
}

/* ---- file operations ---- */

static long pipe_read(struct uk_file *f, void *buf, size_t len, uint64_t *pos)
{
	struct pipe *p = f->priv;
	size_t n;
	int r;

	if (!len)
		return 0;
	for (;;) {
		if (p->len) {
			if (!(n = copy_out(p, buf, len)))
				return -EFAULT; /* (the buffer went while the call slept) */
			uk_wq_wake(&p->wwq, -1);
			return (long)n;
		}
		if (!p->writers)
			return 0; /* end of file */
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		r = uk_wait_event(&p->rwq, p->len || !p->writers, 0);
		if (r)
			return r;
	}
}

/* Room for the next piece: all of a small write, else anything. */
static size_t room_needed(size_t left) { return left <= PIPE_ATOMIC ? left : 1; }

static long pipe_write(struct uk_file *f, const void *buf, size_t len, uint64_t *pos)
{
	struct pipe *p = f->priv;
	size_t done = 0, n;
	int r;

	if (!p->readers) {
		sigpipe();
		return -EPIPE;
	}
	if (!len)
		return 0;
	while (done < len) {
		size_t need = room_needed(len - done);
		if (PIPE_SIZE - p->len >= need) {
			ring_grow(p, len - done);
			if (!p->buf || p->cap - p->len < need)
				return done ? (long)done : -ENOMEM;
			if (!(n = copy_in(p, (const uint8_t *)buf + done, len - done)))
				return done ? (long)done : -EFAULT;
			done += n;
			uk_wq_wake(&p->rwq, -1);
			continue;
		}
		if (f->flags & O_NONBLOCK)
			return done ? (long)done : -EAGAIN;
		r = uk_wait_event(&p->wwq, PIPE_SIZE - p->len >= need || !p->readers, 0);
		if (!p->readers) {
			if (!done)
				sigpipe();
			return done ? (long)done : -EPIPE;
		}
		if (r)
			return done ? (long)done : r;
	}
	return (long)done;
}

static unsigned pipe_poll(struct uk_file *f, struct uk_poll_table *pt)
{
	struct pipe *p = f->priv;
	unsigned acc = f->flags & O_ACCMODE, mask = 0;

	if (acc != O_WRONLY) {
		uk_poll_wait(pt, &p->rwq);
		if (p->len)
			mask |= EPOLLIN | EPOLLRDNORM;
		if (!p->writers && p->had_writer)
			mask |= EPOLLHUP;
	}
	if (acc != O_RDONLY) {
		uk_poll_wait(pt, &p->wwq);
		if (PIPE_SIZE - p->len >= PIPE_ATOMIC)
			mask |= EPOLLOUT | EPOLLWRNORM;
		if (!p->readers)
			mask |= EPOLLERR;
	}
	return mask;
}

static long pipe_ioctl(struct uk_file *f, unsigned long req, void *arg)
{
	struct pipe *p = f->priv;

	if (req != FIONREAD)
		return -ENOTTY;
	if (!arg)
		return -EFAULT;
	*(int *)arg = (int)p->len;
	return 0;
}

static int pipe_fstat(struct uk_file *f, struct stat *st)
{
	struct pipe *p = f->priv;

	if (f->vn && f->vn->ops->getattr)
		return f->vn->ops->getattr(f->vn, st); /* a FIFO */
	uk_anon_fstat(st, S_IFIFO | 0600, p->ino);
	st->st_size = 0;
	return 0;
}

static void fifo_forget(struct pipe *p)
{
	for (struct pipe **pp = &fifos; *pp; pp = &(*pp)->fifo_next) {
		if (*pp == p) {
			*pp = p->fifo_next;
			break;
		}
	}
	uk_vnode_put(p->fifo);
}

static void pipe_release(struct uk_file *f)
{
	struct pipe *p = f->priv;
	unsigned acc = f->flags & O_ACCMODE;

	if (acc != O_WRONLY && !--p->readers)
		uk_wq_wake(&p->wwq, -1);
	if (acc != O_RDONLY && !--p->writers)
		uk_wq_wake(&p->rwq, -1);
	if (p->readers || p->writers)
		return;
	if (p->fifo)
		fifo_forget(p);
	pipe_free(p);
}

static const struct uk_file_ops pipe_ops = {
	.read = pipe_read,
	.write = pipe_write,
	.poll = pipe_poll,
	.ioctl = pipe_ioctl,
	.fstat = pipe_fstat,
	.release = pipe_release,
};

/* ---- pipe(2) ---- */

UK_SYSCALL2(pipe2, int *, fds, int, flags)
{
	struct uk_file *rf = NULL, *wf = NULL;
	struct pipe *p;
	int rfd, wfd, nb = flags & O_NONBLOCK;

	if (flags & ~(O_NONBLOCK | O_CLOEXEC | O_DIRECT))
		return -EINVAL;
	if (flags & O_DIRECT) {
		uk_trace_note("pipe2: packet-mode pipes (O_DIRECT) are not supported");
		return -EINVAL;
	}
	if (!fds)
		return -EFAULT;
	if (!(p = pipe_new()))
		return -ENOMEM;
	p->readers = p->writers = p->had_writer = 1;
	rf = uk_file_new(&pipe_ops, O_RDONLY | nb, p);
	wf = uk_file_new(&pipe_ops, O_WRONLY | nb, p);
	if (!rf || !wf) {
		uk_kfree(rf);
		uk_kfree(wf);
		pipe_free(p);
		return -ENOMEM;
	}
	if ((rfd = uk_fd_install(rf, 0, flags & O_CLOEXEC)) < 0) {
		uk_file_put(rf); /* the pipe goes with the last end */
		uk_file_put(wf);
		return rfd;
	}
	if ((wfd = uk_fd_install(wf, 0, flags & O_CLOEXEC)) < 0) {
		uk_fd_close(rfd);
		uk_file_put(wf);
		return wfd;
	}
	fds[0] = rfd;
	fds[1] = wfd;
	return 0;
}

UK_SYSCALL1(pipe, int *, fds) { return uk_sys_pipe2((long)fds, 0, 0, 0, 0, 0); }

/* ---- FIFOs ----
 * One pipe per FIFO vnode while any end is open. Opening for reading
 * waits for a writer and opening for writing waits for a reader, unless
 * O_NONBLOCK (then a lone writer gets ENXIO) or O_RDWR (never waits). */

static struct pipe *fifo_pipe(struct uk_vnode *vn)
{
	struct pipe *p;

	for (p = fifos; p; p = p->fifo_next)
		if (p->fifo == vn || (p->fifo->mnt == vn->mnt && p->fifo->ino == vn->ino))
			return p;
	if (!(p = pipe_new()))
		return NULL;
	p->fifo = uk_vnode_get(vn);
	p->fifo_next = fifos;
	fifos = p;
	return p;
}

static int fifo_wait(struct uk_file *f, struct pipe *p)
{
	unsigned acc = f->flags & O_ACCMODE;

	if (acc == O_RDWR)
		return 0;
	if (acc == O_WRONLY && !p->readers && (f->flags & O_NONBLOCK))
		return -ENXIO;
	if (f->flags & O_NONBLOCK)
		return 0;
	if (acc == O_RDONLY)
		return uk_wait_event(&p->rwq, p->writers, 0);
	return uk_wait_event(&p->wwq, p->readers, 0);
}

int uk_fifo_open(struct uk_vnode *vn, struct uk_file *f)
{
	struct pipe *p = fifo_pipe(vn);
	unsigned acc = f->flags & O_ACCMODE;

	if (!p)
		return -ENOMEM;
	f->ops = &pipe_ops;
	f->priv = p;
	if (acc != O_WRONLY) {
		p->readers++;
		uk_wq_wake(&p->wwq, -1);
	}
	if (acc != O_RDONLY) {
		p->writers++;
		p->had_writer = 1;
		uk_wq_wake(&p->rwq, -1);
	}
	/* On failure the VFS puts f, and pipe_release undoes the counts. */
	return fifo_wait(f, p);
}

/* ---- splice(2) ----
 *
 * Bytes move between a pipe and another descriptor (or two pipes)
 * through a kernel buffer, not by lending pages as Linux does. Out of a
 * pipe they are taken only once the output took them, so a short write
 * (a non-blocking socket) loses nothing; into a pipe no more is read
 * than there is room for. SPLICE_F_NONBLOCK makes the pipe's side
 * non-blocking, as on Linux; the other side keeps its own mode. GNU grep
 * drains its input with splice and failed on ENOSYS ("grep: (standard
 * input): Function not implemented": postfix's scripts pipe into grep). */

#define SPLICE_F_NONBLOCK 0x02

static int is_pipe(const struct uk_file *f) { return f->ops == &pipe_ops; }

static int plain_file(const struct uk_file *f)
{
	return f->vn && (f->vn->mode & S_IFMT) == S_IFREG;
}

/* From the pipe of f to out at *opos. */
static long splice_out(struct uk_file *f, struct uk_file *out, uint64_t *opos, size_t len, int nb)
{
	struct pipe *p = f->priv;
	size_t n, first;
	uint8_t *buf;
	long w;
	int r;

	while (!p->len) {
		if (!p->writers)
			return 0;
		if (nb)
			return -EAGAIN;
		if ((r = uk_wait_event(&p->rwq, p->len || !p->writers, 0)))
			return r;
	}
	n = len < p->len ? len : p->len;
	if (!(buf = uk_kmalloc(n)))
		return -ENOMEM;
	first = p->cap - p->head < n ? p->cap - p->head : n; /* (a look, not a read) */
	uk_memcpy(buf, p->buf + p->head, first);
	uk_memcpy(buf + first, p->buf, n - first);
	w = out->ops->write(out, buf, n, opos);
	if (w > 0) { /* now taken (another reader may have raced the write: what is left) */
		copy_out(p, buf, (size_t)w);
		uk_wq_wake(&p->wwq, -1);
	}
	uk_kfree(buf);
	return w;
}

/* What is read from in is put into the pipe whole, waiting for room that
 * another writer took while the read slept. */
static long splice_fill(struct pipe *p, const uint8_t *buf, size_t n)
{
	size_t done = 0;
	int r;

	while (done < n) {
		if (!p->readers) {
			if (!done)
				sigpipe();
			return done ? (long)done : -EPIPE;
		}
		if (p->len < PIPE_SIZE) {
			ring_grow(p, n - done);
			if (!p->buf || p->cap == p->len)
				return done ? (long)done : -ENOMEM;
			done += copy_in(p, buf + done, n - done);
			uk_wq_wake(&p->rwq, -1);
			continue;
		}
		if ((r = uk_wait_event(&p->wwq, p->len < PIPE_SIZE || !p->readers, 0)))
			return done ? (long)done : r;
	}
	return (long)done;
}

/* From in at *ipos into the pipe of f. */
static long splice_in(struct uk_file *in, uint64_t *ipos, struct uk_file *f, size_t len, int nb)
{
	struct pipe *p = f->priv;
	uint8_t *buf;
	long n;
	int r;

	for (;;) {
		if (!p->readers) {
			sigpipe();
			return -EPIPE;
		}
		if (p->len < PIPE_SIZE)
			break;
		if (nb)
			return -EAGAIN;
		if ((r = uk_wait_event(&p->wwq, p->len < PIPE_SIZE || !p->readers, 0)))
			return r;
	}
	if (len > PIPE_SIZE - p->len)
		len = PIPE_SIZE - p->len;
	if (!(buf = uk_kmalloc(len)))
		return -ENOMEM;
	n = in->ops->read(in, buf, len, ipos);
	if (n > 0)
		n = splice_fill(p, buf, (size_t)n);
	uk_kfree(buf);
	return n;
}

/* Linux's checks: open descriptors with the right modes, one end a pipe
 * (EINVAL otherwise, and for a pipe into itself), no offset for a pipe
 * (ESPIPE) nor for anything but a regular file. */
static long splice_check(struct uk_file *in, const int64_t *off_in, struct uk_file *out,
                         const int64_t *off_out)
{
	unsigned ia = in->flags & O_ACCMODE, oa = out->flags & O_ACCMODE;

	if (ia == O_WRONLY || oa == O_RDONLY || ((in->flags | out->flags) & O_PATH))
		return -EBADF;
	if (!is_pipe(in) && !is_pipe(out))
		return -EINVAL;
	if (is_pipe(in) && is_pipe(out) && in->priv == out->priv)
		return -EINVAL;
	if ((off_in && (is_pipe(in) || !plain_file(in))) ||
	    (off_out && (is_pipe(out) || !plain_file(out))))
		return -ESPIPE;
	if ((off_in && *off_in < 0) || (off_out && *off_out < 0) || (out->flags & O_APPEND))
		return -EINVAL;
	if ((!is_pipe(in) && !in->ops->read) || (!is_pipe(out) && !out->ops->write))
		return -EINVAL;
	return 0;
}

UK_SYSCALL6(splice, int, fd_in, int64_t *, off_in, int, fd_out, int64_t *, off_out, size_t, len,
            unsigned, flags)
{
	struct uk_file *in = uk_fd_get(fd_in), *out = uk_fd_get(fd_out);
	uint64_t ipos = 0, opos = 0;
	int nb = flags & SPLICE_F_NONBLOCK;
	long r;

	if (!in || !out) {
		r = -EBADF;
		goto out;
	}
	if ((r = splice_check(in, off_in, out, off_out)) || !len)
		goto out;
	if (len > PIPE_SIZE)
		len = PIPE_SIZE; /* a pipe's worth a call, as Linux's buffers */
	ipos = off_in ? (uint64_t)*off_in : in->pos;
	opos = off_out ? (uint64_t)*off_out : out->pos;
	if (is_pipe(in))
		r = splice_out(in, out, &opos, len, nb || (in->flags & O_NONBLOCK));
	else
		r = splice_in(in, &ipos, out, len, nb || (out->flags & O_NONBLOCK));
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
