/*
 * pidfd_open: a file naming one process by its pid and start time (a
 * later process given the same pid is not it), so that it stays
 * meaningful after the process is reaped and its memory reused. Poll
 * says readable once the process has ended, zombie or gone, as Linux's;
 * read and write are EINVAL. Always close-on-exec, as Linux makes them.
 */
#include <linux/pidfd.h>
#include <uk/libc.h>
#include <uk/mm.h>
#include <uk/pidfd.h>
#include <uk/proc.h>
#include <uk/syscall.h>

#include "poll_impl.h"

struct pidfd {
	int pid;
	uint64_t start_ns;
};

static const struct uk_file_ops pidfd_ops;

static struct uk_proc *proc_of(const struct pidfd *d)
{
	struct uk_proc *p = uk_proc_find(d->pid);

	return p && p->start_ns == d->start_ns ? p : NULL;
}

static unsigned pidfd_poll(struct uk_file *f, struct uk_poll_table *pt)
{
	struct uk_proc *p = proc_of(f->priv);

	uk_poll_wait(pt, &uk_proc_exit_wq);
	return !p || p->state != UK_P_ALIVE ? EPOLLIN | EPOLLRDNORM : 0;
}

static int pidfd_fstat(struct uk_file *f, struct stat *st)
{
	return uk_anon_fstat(st, 0600, (uint64_t)((struct pidfd *)f->priv)->pid);
}

static const struct uk_file_ops pidfd_ops = {
	.anon_name = "[pidfd]",
	.poll = pidfd_poll,
	.fstat = pidfd_fstat,
	.release = uk_anon_release,
};

int uk_pidfd_proc(int fd, struct uk_proc **p, int *pid, int *nonblock)
{
	struct uk_file *f = uk_fd_get(fd);

	if (!f)
		return -EBADF;
	if (f->ops != &pidfd_ops) {
		uk_file_put(f);
		return -EBADF;
	}
	*p = proc_of(f->priv);
	*pid = ((struct pidfd *)f->priv)->pid;
	if (nonblock)
		*nonblock = !!(f->flags & O_NONBLOCK);
	uk_file_put(f);
	return 0;
}

int uk_pidfd_install(struct uk_file **fp)
{
	struct pidfd *d = uk_kzalloc(sizeof(*d));
	struct uk_file *f = d ? uk_file_new(&pidfd_ops, O_RDWR, d) : NULL;
	int fd;

	if (!f) {
		uk_kfree(d);
		return -ENOMEM;
	}
	if ((fd = uk_fd_install(uk_file_get(f), 0, 1)) < 0) {
		uk_file_put(f);
		uk_file_put(f);
		return fd;
	}
	*fp = f;
	return fd;
}

void uk_pidfd_bind(struct uk_file *f, const struct uk_proc *p)
{
	struct pidfd *d = f->priv;

	d->pid = p->pid;
	d->start_ns = p->start_ns;
	uk_file_put(f);
}

UK_SYSCALL2(pidfd_open, int, pid, unsigned, flags)
{
	struct uk_proc *p;
	struct pidfd *d;

	if (flags & ~PIDFD_NONBLOCK || pid <= 0)
		return -EINVAL;
	if (!(p = uk_proc_find(pid)))
		return uk_proc_thread_pid(pid) ? -EINVAL : -ESRCH; /* a thread: not a process */
	if (!(d = uk_kzalloc(sizeof(*d))))
		return -ENOMEM;
	d->pid = pid;
	d->start_ns = p->start_ns;
	return uk_anon_fd(&pidfd_ops, d, flags & PIDFD_NONBLOCK, 1);
}
