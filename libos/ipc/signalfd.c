/*
 * signalfd(2): signals taken by reading a descriptor instead of by a
 * handler. A read takes the reading thread's pending signals of the
 * descriptor's mask (its own, then its process's), as sigtimedwait does,
 * one struct signalfd_siginfo each; it waits while there are none. Like
 * Linux's, the descriptor answers for whichever process reads or polls
 * it, so one inherited across fork reads the child's signals. Readers and
 * pollers wait on the process's signal queue (uk_proc.sig_wq), which every
 * signal sent to the process or its threads wakes. postgres waits on one
 * for SIGURG, its latch's wake-up.
 */
#include <linux/signalfd.h>
#include <uk/mm.h>
#include <uk/proc.h>
#include <uk/sched.h>
#include <uk/signal.h>
#include <uk/syscall.h>

#include "poll_impl.h"

#define UNBLOCKABLE ((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)))

struct sfd {
	uint64_t mask;
	uint64_t ino;
};

static const struct uk_file_ops sfd_ops;

static uint64_t pending(const struct sfd *s)
{
	return (uk_current->sig_pending | uk_proc_cur->sig_pending) & s->mask;
}

/* Take one signal of the mask into out: 1, or 0 when none is pending. */
static int take(struct sfd *s, struct signalfd_siginfo *out)
{
	struct uk_sigrec rec;
	int sig, on = uk_irq_save();

	sig = uk_sig_dequeue(uk_current, s->mask, &rec);
	uk_irq_restore(on);
	if (!sig)
		return 0;
	uk_memset(out, 0, sizeof(*out));
	out->ssi_signo = (uint32_t)sig;
	out->ssi_code = rec.code;
	out->ssi_pid = (uint32_t)rec.pid;
	if (sig == SIGCHLD && rec.code > 0) { /* CLD_*: a child's change */
		out->ssi_status = (int32_t)rec.addr;
	} else if (rec.code == UK_SI_TIMER) { /* a POSIX timer's: id, overrun, value */
		out->ssi_pid = 0;
		out->ssi_tid = (uint32_t)rec.pid;
		out->ssi_overrun = (uint32_t)rec.overrun;
		out->ssi_int = (int32_t)rec.addr;
		out->ssi_ptr = rec.addr;
	} else if (rec.code < 0 && rec.code != UK_SI_TKILL) { /* SI_QUEUE and the like */
		out->ssi_uid = rec.uid;
		out->ssi_int = (int32_t)rec.addr;
		out->ssi_ptr = rec.addr;
	} else {
		out->ssi_addr = rec.addr;
	}
	uk_attention_update();
	return 1;
}

static long sfd_read(struct uk_file *f, void *buf, size_t len, uint64_t *pos)
{
	struct sfd *s = f->priv;
	struct signalfd_siginfo *out = buf;
	size_t n = 0;
	int r;

	if (len < sizeof(*out))
		return -EINVAL;
	if (!pending(s) && (f->flags & O_NONBLOCK))
		return -EAGAIN;
	if ((r = uk_wait_event(&uk_proc_cur->sig_wq, pending(s), 0)))
		return r;
	while (n + sizeof(*out) <= len && take(s, &out[n / sizeof(*out)]))
		n += sizeof(*out);
	return n ? (long)n : -EAGAIN;
}

static unsigned sfd_poll(struct uk_file *f, struct uk_poll_table *pt)
{
	struct sfd *s = f->priv;

	uk_poll_wait(pt, &uk_proc_cur->sig_wq);
	return pending(s) ? EPOLLIN | EPOLLRDNORM : 0;
}

static int sfd_fstat(struct uk_file *f, struct stat *st)
{
	return uk_anon_fstat(st, 0600, ((struct sfd *)f->priv)->ino);
}

static const struct uk_file_ops sfd_ops = {
	.read = sfd_read,
	.poll = sfd_poll,
	.fstat = sfd_fstat,
	.release = uk_anon_release,
};

UK_SYSCALL4(signalfd4, int, fd, const uint64_t *, mask, size_t, size, int, flags)
{
	static uint64_t next_ino = 1;
	struct uk_file *f;
	struct sfd *s;

	if ((flags & ~(SFD_NONBLOCK | SFD_CLOEXEC)) || size != sizeof(*mask))
		return -EINVAL;
	if (!mask)
		return -EFAULT;
	if (fd != -1) { /* a new mask for an existing one */
		if (!(f = uk_fd_get(fd)))
			return -EBADF;
		if (f->ops != &sfd_ops) {
			uk_file_put(f);
			return -EINVAL;
		}
		((struct sfd *)f->priv)->mask = *mask & ~UNBLOCKABLE;
		uk_file_put(f);
		uk_wq_wake(&uk_proc_cur->sig_wq, -1); /* pollers see the new mask */
		return fd;
	}
	if (!(s = uk_kzalloc(sizeof(*s))))
		return -ENOMEM;
	s->mask = *mask & ~UNBLOCKABLE;
	s->ino = next_ino++;
	return uk_anon_fd(&sfd_ops, s, flags & SFD_NONBLOCK, flags & SFD_CLOEXEC);
}

UK_SYSCALL3(signalfd, int, fd, const uint64_t *, mask, size_t, size)
{
	return uk_sys_signalfd4(fd, (long)mask, (long)size, 0, 0, 0);
}
