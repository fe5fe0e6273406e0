/*
 * poll(2), ppoll(2), select(2), pselect6(2), and the poll tables files
 * register their wait queues with (uk/poll.h).
 *
 * One pass asks every file for its readiness with a table that hangs a
 * callback entry (holding a file reference) on each wait queue the file
 * names. With nothing ready, the thread blocks; any callback, or the
 * deadline, wakes it. Entries leave their queue when they fire (uk_wq_wake
 * takes them off), so each pass first takes every entry down and the next
 * pass hangs them up again: no wake-up can slip between a pass and the
 * block, because the block checks the "triggered" flag with interrupts
 * disabled, and entries are hung before the file is asked.
 */
#include <uk/mm.h>
#include <uk/sched.h>
#include <uk/signal.h>
#include <uk/syscall.h>
#include <uk/time.h>

#include "poll_impl.h"

#define POLL_MAX_FDS 65536 /* the descriptor table's limit */
#define NSEC 1000000000ull

void uk_poll_wait(struct uk_poll_table *pt, struct uk_wq *wq)
{
	if (pt && wq)
		pt->queue(pt, wq, pt->file);
}

int uk_anon_fd(const struct uk_file_ops *ops, void *priv, unsigned nonblock, int cloexec)
{
	struct uk_file *f = uk_file_new(ops, O_RDWR | nonblock, priv);
	int fd;

	if (!f) {
		uk_kfree(priv);
		return -ENOMEM;
	}
	if ((fd = uk_fd_install(f, 0, cloexec)) < 0)
		uk_file_put(f); /* its release frees priv */
	return fd;
}

unsigned uk_poll_file(struct uk_file *f, struct uk_poll_table *pt)
{
	if (pt)
		pt->file = f;
	if (!f->ops->poll)
		return EPOLLIN | EPOLLOUT | EPOLLRDNORM | EPOLLWRNORM;
	return f->ops->poll(f, pt);
}

/* ---- the poller ---- */

struct poll_entry {
	struct uk_wq_entry e;
	struct poller *p;
	struct uk_file *file;
};

#define CHUNK_ENTRIES 40

struct entry_chunk {
	struct entry_chunk *next;
	int n;
	struct poll_entry ent[CHUNK_ENTRIES];
};

struct poller {
	struct uk_poll_table pt;
	struct uk_thread *thread;
	volatile int triggered;
	int error;
	struct entry_chunk first, *last;
};

static void entry_fired(struct uk_wq_entry *e)
{
	struct poller *p = ((struct poll_entry *)e)->p;

	p->triggered = 1;
	uk_thread_wake(p->thread, 0);
}

static void poller_queue(struct uk_poll_table *pt, struct uk_wq *wq, struct uk_file *f)
{
	struct poller *p = (struct poller *)pt;
	struct poll_entry *pe;

	if (p->last->n == CHUNK_ENTRIES) {
		struct entry_chunk *c = p->last->next;
		if (!c && !(c = uk_kzalloc(sizeof(*c)))) {
			p->error = -ENOMEM;
			return;
		}
		p->last->next = c;
		p->last = c;
		c->n = 0;
	}
	pe = &p->last->ent[p->last->n++];
	*pe = (struct poll_entry){ .e = { .func = entry_fired }, .p = p, .file = uk_file_get(f) };
	uk_wq_add(wq, &pe->e);
}

static void poller_init(struct poller *p)
{
	p->pt.queue = poller_queue;
	p->thread = uk_current;
	p->triggered = 0;
	p->error = 0;
	p->first.next = NULL;
	p->first.n = 0;
	p->last = &p->first;
}

/* Take every entry down; the chunks stay for the next pass. */
static void poller_clear(struct poller *p)
{
	for (struct entry_chunk *c = &p->first; c; c = c->next) {
		for (int i = 0; i < c->n; i++) {
			uk_wq_del(&c->ent[i].e);
			uk_file_put(c->ent[i].file);
		}
		c->n = 0;
	}
	p->last = &p->first;
}

static void poller_free(struct poller *p)
{
	struct entry_chunk *c = p->first.next, *next;

	poller_clear(p);
	for (; c; c = next) {
		next = c->next;
		uk_kfree(c);
	}
}

/* ---- the loop poll and select share ---- */

/* What one descriptor reports: POLLNVAL when it is not open. */
static unsigned poll_fd(int fd, unsigned events, struct uk_poll_table *pt)
{
	struct uk_file *f = uk_fd_get(fd);
	unsigned mask;

	if (!f)
		return POLLNVAL;
	mask = uk_poll_file(f, pt);
	uk_file_put(f);
	return mask & (events | POLLERR | POLLHUP);
}

static int poll_pass(struct pollfd *fds, unsigned n, struct uk_poll_table *pt)
{
	int count = 0;

	for (unsigned i = 0; i < n; i++) {
		fds[i].revents = fds[i].fd < 0
		                     ? 0
		                     : (short)poll_fd(fds[i].fd, (unsigned short)fds[i].events, pt);
		if (fds[i].revents)
			count++;
	}
	return count;
}

/* Block until an entry fires or the deadline (0: none) passes. */
static int poller_block(struct poller *p, uint64_t deadline)
{
	int on = uk_irq_save(), r = 0;

	if (!p->triggered)
		r = uk_sched_block(deadline);
	uk_irq_restore(on);
	return r;
}

/* Poll fds until one is ready: the count, 0 at the deadline (0: none;
 * ~0: do not wait), or -EINTR / -ENOMEM. */
static int do_poll(struct pollfd *fds, unsigned n, uint64_t deadline)
{
	struct poller p;
	int count, r = 0;

	if (deadline == ~0ull)
		return poll_pass(fds, n, NULL);
	poller_init(&p);
	for (;;) {
		poller_clear(&p);
		p.triggered = 0;
		count = poll_pass(fds, n, &p.pt);
		if (count || p.error || r)
			break;
		r = poller_block(&p, deadline);
		if (r == -EINTR)
			break;
	}
	poller_free(&p);
	if (p.error && !count)
		return p.error;
	return count ? count : r == -EINTR ? -EINTR : 0;
}

/* ---- timeouts ---- */

int uk_poll_ts_valid(const struct __kernel_timespec *ts)
{
	return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && (uint64_t)ts->tv_nsec < NSEC;
}

uint64_t uk_poll_deadline(const struct __kernel_timespec *ts)
{
	uint64_t now = uk_monotonic_ns(), ns;

	if (!ts)
		return 0;
	if (!ts->tv_sec && !ts->tv_nsec)
		return ~0ull;
	if ((uint64_t)ts->tv_sec > (~0ull - now) / NSEC - 1)
		return 0; /* beyond any uptime: forever */
	ns = (uint64_t)ts->tv_sec * NSEC + ts->tv_nsec;
	return now + ns;
}

/* What is left until deadline, as Linux writes back for ppoll/select. */
static struct __kernel_timespec remaining(uint64_t deadline)
{
	uint64_t now = uk_monotonic_ns(), left = deadline > now ? deadline - now : 0;

	if (deadline == ~0ull)
		left = 0;
	return (struct __kernel_timespec){ (long long)(left / NSEC), (long long)(left % NSEC) };
}

/* ---- signal masks for the duration of a wait ---- */

#define UNBLOCKABLE ((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)))

int uk_poll_sigmask_begin(const uint64_t *mask, size_t size, struct uk_sigmask_swap *s)
{
	s->active = 0;
	if (!mask)
		return 0;
	if (size != sizeof(uint64_t))
		return -EINVAL;
	s->active = 1;
	s->saved = uk_current->sig_blocked;
	uk_current->sig_blocked = *mask & ~UNBLOCKABLE;
	uk_attention_update();
	return 0;
}

/* A signal that ended the wait is delivered while the call's mask is in
 * force (pselect's point), then the thread's own mask returns. */
void uk_poll_sigmask_end(struct uk_sigmask_swap *s, long result)
{
	if (!s->active)
		return;
	if (result == -EINTR) {
		uk_signal_deliver_masked(s->saved);
		return;
	}
	uk_current->sig_blocked = s->saved;
	uk_attention_update();
}

/* ---- poll ---- */

/* The program's array is polled as a copy and its revents written back
 * after the wait, as Linux's do_sys_poll: the wait's entries (on this
 * stack, linked into the files' queues) are gone by then, so a program
 * whose other thread unmaps the array meanwhile ends alone (exception.c)
 * and leaves no entry behind in a queue. */
#define POLL_ON_STACK 32

static long poll_checked(struct pollfd *fds, unsigned long n, uint64_t deadline)
{
	struct pollfd on_stack[POLL_ON_STACK], *k = on_stack;
	long r;

	if (n > POLL_MAX_FDS)
		return -EINVAL;
	if (n && !fds)
		return -EFAULT;
	if (n > POLL_ON_STACK && !(k = uk_kmalloc(n * sizeof(*k))))
		return -ENOMEM;
	uk_memcpy(k, fds, n * sizeof(*k));
	r = do_poll(k, (unsigned)n, deadline);
	/* (the array may have gone while the call slept: EFAULT, as Linux) */
	for (unsigned long i = 0; i < n; i++)
		if (uk_copy_user(&fds[i].revents, &k[i].revents, sizeof(k[i].revents))) {
			r = -EFAULT;
			break;
		}
	if (k != on_stack)
		uk_kfree(k);
	return r;
}

UK_SYSCALL3(poll, struct pollfd *, fds, unsigned long, n, int, timeout_ms)
{
	uint64_t deadline = 0;

	if (timeout_ms == 0)
		deadline = ~0ull;
	else if (timeout_ms > 0)
		deadline = uk_monotonic_ns() + (uint64_t)timeout_ms * 1000000ull;
	return poll_checked(fds, n, deadline);
}

/* ppoll's and pselect6's frame around their wait: the timeout as a
 * deadline, the caller's signal mask for the duration, the time left
 * written back. */
struct masked_wait {
	struct __kernel_timespec *ts;
	uint64_t deadline;
	struct uk_sigmask_swap mask;
};

static long masked_begin(struct masked_wait *w, struct __kernel_timespec *ts, const uint64_t *mask,
                         size_t size)
{
	if (ts && !uk_poll_ts_valid(ts))
		return -EINVAL;
	w->ts = ts;
	w->deadline = uk_poll_deadline(ts);
	return uk_poll_sigmask_begin(mask, size, &w->mask);
}

static long masked_end(struct masked_wait *w, long r)
{
	uk_poll_sigmask_end(&w->mask, r);
	if (w->ts && w->deadline)
		*w->ts = remaining(w->deadline);
	return r;
}

UK_SYSCALL5(ppoll, struct pollfd *, fds, unsigned long, n, struct __kernel_timespec *, ts,
            const uint64_t *, sigmask, size_t, sigsetsize)
{
	struct masked_wait w;
	long r;

	if ((r = masked_begin(&w, ts, sigmask, sigsetsize)))
		return r;
	return masked_end(&w, poll_checked(fds, n, w.deadline));
}

/* ---- select ---- */

#define SEL_IN (POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR)
#define SEL_OUT (POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR)
#define SEL_EX POLLPRI
#define LONG_BITS 64

static int bit(const unsigned long *set, int fd)
{
	return set && (set[fd / LONG_BITS] >> (fd % LONG_BITS)) & 1;
}

/* The descriptors named in any set, as pollfds; -EBADF when one is not
 * open, as Linux checks before waiting. */
static long select_gather(int n, unsigned long *in, unsigned long *out, unsigned long *ex,
                          struct pollfd **fdsp)
{
	struct pollfd *fds;
	long count = 0;

	for (int fd = 0; fd < n; fd++)
		count += bit(in, fd) || bit(out, fd) || bit(ex, fd);
	fds = uk_kmalloc((count ? count : 1) * sizeof(*fds));
	if (!fds)
		return -ENOMEM;
	count = 0;
	for (int fd = 0; fd < n; fd++) {
		unsigned ev = (bit(in, fd) ? SEL_IN : 0) | (bit(out, fd) ? SEL_OUT : 0) |
		              (bit(ex, fd) ? SEL_EX : 0);
		struct uk_file *f;
		if (!ev)
			continue;
		if (!(f = uk_fd_get(fd))) {
			uk_kfree(fds);
			return -EBADF;
		}
		uk_file_put(f);
		fds[count++] = (struct pollfd){ .fd = fd, .events = (short)ev };
	}
	*fdsp = fds;
	return count;
}

static void set_bit(unsigned long *set, int fd) { set[fd / LONG_BITS] |= 1ul << (fd % LONG_BITS); }

/* The sets rewritten with what is ready: the number of bits set. */
static long select_scatter(int n, unsigned long *in, unsigned long *out, unsigned long *ex,
                           const struct pollfd *fds, long count)
{
	size_t bytes = (size_t)(n + LONG_BITS - 1) / LONG_BITS * sizeof(long);
	long bits = 0;

	if (in)
		uk_memset(in, 0, bytes);
	if (out)
		uk_memset(out, 0, bytes);
	if (ex)
		uk_memset(ex, 0, bytes);
	for (long i = 0; i < count; i++) {
		unsigned ev = (unsigned short)fds[i].events, rev = (unsigned short)fds[i].revents;
		int fd = fds[i].fd;
		if ((ev & POLLIN) && (rev & SEL_IN))
			set_bit(in, fd), bits++;
		if ((ev & POLLOUT) && (rev & SEL_OUT))
			set_bit(out, fd), bits++;
		if ((ev & SEL_EX) && (rev & SEL_EX))
			set_bit(ex, fd), bits++;
	}
	return bits;
}

static long do_select(int n, unsigned long *in, unsigned long *out, unsigned long *ex,
                      uint64_t deadline)
{
	struct pollfd *fds;
	long count, r;

	if (n < 0)
		return -EINVAL;
	if (n > POLL_MAX_FDS)
		n = POLL_MAX_FDS;
	if ((count = select_gather(n, in, out, ex, &fds)) < 0)
		return count;
	r = do_poll(fds, (unsigned)count, deadline);
	if (r >= 0)
		r = select_scatter(n, in, out, ex, fds, count);
	uk_kfree(fds);
	return r;
}

UK_SYSCALL5(select, int, n, unsigned long *, in, unsigned long *, out, unsigned long *, ex,
            struct __kernel_old_timeval *, tv)
{
	struct __kernel_timespec ts, *tsp = NULL, left;
	uint64_t deadline;
	long r;

	if (tv) {
		if (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= 1000000)
			return -EINVAL;
		ts = (struct __kernel_timespec){ tv->tv_sec, tv->tv_usec * 1000 };
		tsp = &ts;
	}
	deadline = uk_poll_deadline(tsp);
	r = do_select(n, in, out, ex, deadline);
	if (tv && deadline) {
		left = remaining(deadline);
		tv->tv_sec = left.tv_sec;
		tv->tv_usec = left.tv_nsec / 1000;
	}
	return r;
}

/* pselect6's sixth argument: the mask and its size, in one block. */
struct sigset_arg {
	const uint64_t *mask;
	size_t size;
};

UK_SYSCALL6(pselect6, int, n, unsigned long *, in, unsigned long *, out, unsigned long *, ex,
            struct __kernel_timespec *, ts, const struct sigset_arg *, sig)
{
	struct masked_wait w;
	long r;

	if ((r = masked_begin(&w, ts, sig ? sig->mask : NULL, sig ? sig->size : 0)))
		return r;
	return masked_end(&w, do_select(n, in, out, ex, w.deadline));
}
