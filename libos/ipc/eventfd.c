/*
 * eventfd(2): a 64-bit counter behind a descriptor. A write adds to it
 * (waiting while the sum would pass 2^64 - 2); a read takes all of it, or
 * one with EFD_SEMAPHORE (waiting while it is zero). Readers and writers
 * wait on the same queue, woken on every change.
 */
#include <uk/mm.h>
#include <uk/sched.h>
#include <uk/syscall.h>

#include "poll_impl.h"

#define EFD_SEMAPHORE 1
#define EFD_MAX 0xfffffffffffffffeull

struct efd {
	uint64_t count;
	int semaphore;
	struct uk_wq wq;
	uint64_t ino;
};

static long efd_read(struct uk_file *f, void *buf, size_t len, uint64_t *pos)
{
	struct efd *e = f->priv;
	uint64_t v;
	int r;

	if (len < sizeof(v))
		return -EINVAL;
	if (!e->count && (f->flags & O_NONBLOCK))
		return -EAGAIN;
	if ((r = uk_wait_event(&e->wq, e->count, 0)))
		return r;
	v = e->semaphore ? 1 : e->count;
	e->count -= v;
	uk_memcpy(buf, &v, sizeof(v));
	uk_wq_wake(&e->wq, -1);
	return sizeof(v);
}

static long efd_write(struct uk_file *f, const void *buf, size_t len, uint64_t *pos)
{
	struct efd *e = f->priv;
	uint64_t v;
	int r;

	if (len < sizeof(v))
		return -EINVAL;
	uk_memcpy(&v, buf, sizeof(v));
	if (v > EFD_MAX)
		return -EINVAL;
	if (EFD_MAX - e->count < v && (f->flags & O_NONBLOCK))
		return -EAGAIN;
	if ((r = uk_wait_event(&e->wq, EFD_MAX - e->count >= v, 0)))
		return r;
	e->count += v;
	uk_wq_wake(&e->wq, -1); /* even for 0, as Linux: edge-triggered epoll sees it */
	return sizeof(v);
}

static unsigned efd_poll(struct uk_file *f, struct uk_poll_table *pt)
{
	struct efd *e = f->priv;
	unsigned mask = 0;

	uk_poll_wait(pt, &e->wq);
	if (e->count)
		mask |= EPOLLIN | EPOLLRDNORM;
	if (e->count < EFD_MAX)
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}

static int efd_fstat(struct uk_file *f, struct stat *st)
{
	return uk_anon_fstat(st, 0600, ((struct efd *)f->priv)->ino);
}

static const struct uk_file_ops efd_ops = {
	.anon_name = "[eventfd]",
	.read = efd_read,
	.write = efd_write,
	.poll = efd_poll,
	.fstat = efd_fstat,
	.release = uk_anon_release,
};

UK_SYSCALL2(eventfd2, unsigned, initval, int, flags)
{
	static uint64_t next_ino = 1;
	struct efd *e;

	if (flags & ~(EFD_SEMAPHORE | O_NONBLOCK | O_CLOEXEC))
		return -EINVAL;
	if (!(e = uk_kzalloc(sizeof(*e))))
		return -ENOMEM;
	e->count = initval;
	e->semaphore = flags & EFD_SEMAPHORE;
	e->ino = next_ino++;
	return uk_anon_fd(&efd_ops, e, flags & O_NONBLOCK, flags & O_CLOEXEC);
}

UK_SYSCALL1(eventfd, unsigned, initval) { return uk_sys_eventfd2(initval, 0, 0, 0, 0, 0); }
