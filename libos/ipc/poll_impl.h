/*
 * What poll.c, epoll.c and the event files (pipe.c, eventfd.c, timerfd.c)
 * share beyond uk/poll.h. Private to those files.
 */
#ifndef UK_POLL_IMPL_H
#define UK_POLL_IMPL_H

#include <linux/eventpoll.h>
#include <linux/poll.h>
#include <uk/epoll.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/poll.h>
#include <uk/vfs.h>

/* A poller: what to do with each wait queue a file's poll op names
 * (uk_poll_wait). poll/select register a callback that wakes the polling
 * thread; epoll one that puts its item on the ready list. */
struct uk_poll_table {
	void (*queue)(struct uk_poll_table *pt, struct uk_wq *wq, struct uk_file *f);
	struct uk_file *file; /* the file being polled, for queue() */
};

/* The file's readiness: its poll op, or always ready for files without
 * one (regular files, as on Linux). */
unsigned uk_poll_file(struct uk_file *f, struct uk_poll_table *pt);

/* Timeouts of the waiting calls. A relative timeout as a monotonic
 * deadline: ~0 for a zero timeout (do not wait), 0 for none (NULL, or
 * beyond any uptime). */
int uk_poll_ts_valid(const struct __kernel_timespec *ts);
uint64_t uk_poll_deadline(const struct __kernel_timespec *ts);

/* ppoll, pselect6 and epoll_pwait: the caller's signal mask for the
 * duration of the wait (mask NULL: unchanged; size must be 8). end() gets
 * the call's result: after -EINTR it delivers the signal under that mask. */
struct uk_sigmask_swap {
	int active;
	uint64_t saved;
};
int uk_poll_sigmask_begin(const uint64_t *mask, size_t size, struct uk_sigmask_swap *s);
void uk_poll_sigmask_end(struct uk_sigmask_swap *s, long result);

/* A new open file (O_RDWR plus nonblock, which is 0 or O_NONBLOCK) for
 * priv, kernel memory its ops' release frees, as a new descriptor: the
 * descriptor or -errno; on failure priv is freed. For eventfd, epoll and
 * timerfd. */
int uk_anon_fd(const struct uk_file_ops *ops, void *priv, unsigned nonblock, int cloexec);

/* The release of an anonymous file whose priv is one uk_kmalloc block
 * (eventfd, signalfd, pidfd). */
static inline void uk_anon_release(struct uk_file *f) { uk_kfree(f->priv); }

/* Files without a name (eventfd, epoll, timerfd: Linux's anonymous
 * inodes; pipes with S_IFIFO): the fstat they answer. */
static inline int uk_anon_fstat(struct stat *st, unsigned mode, uint64_t ino)
{
	uk_memset(st, 0, sizeof(*st));
	st->st_mode = mode;
	st->st_nlink = 1;
	st->st_blksize = 4096;
	st->st_ino = ino;
	st->st_dev = 0xd; /* Linux's anonymous-inode and pipe filesystems */
	return 0;
}

#endif
