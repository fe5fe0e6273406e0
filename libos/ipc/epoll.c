/*
 * epoll(7): epoll_create/create1, epoll_ctl, epoll_wait/pwait/pwait2.
 *
 * An item (one per registered (fd, file) pair) hangs a callback entry on
 * each wait queue its file names; the callback puts the item on the set's
 * ready list and wakes the set's waiters. epoll_wait takes items off the
 * ready list, asks their files for the current readiness (which hangs the
 * entries up again: a fired entry has left its queue) and reports those
 * ready: level-triggered items go back on the list to be asked again next
 * time, edge-triggered ones wait for their next wake-up, one-shot ones are
 * disabled until EPOLL_CTL_MOD. So the cost of a wait follows the number
 * of ready items, not of registered ones.
 *
 * Items hold no reference to their file, as on Linux: when the last
 * reference to a file goes (its last descriptor closed), uk_epoll_release()
 * takes it out of every set.
 *
 * The callback may run in an interrupt handler; the ready list changes
 * with interrupts disabled.
 */
#include <uk/mm.h>
#include <uk/sched.h>
#include <uk/syscall.h>
#include <uk/time.h>

#include "poll_impl.h"

#define EP_HASH 64     /* items by descriptor, per set */
#define EP_FILES 256   /* items by file, for uk_epoll_release */
#define EP_QUEUES 4    /* wait queues one file may name */
#define EP_MAX_DEPTH 5 /* epoll sets inside epoll sets, as Linux */
#define EP_EXCLUSIVE_OK \
	(EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE)

struct epitem;

struct ep_entry {
	struct uk_wq_entry e;
	struct epitem *it;
};

struct epoll {
	struct epitem *hash[EP_HASH];
	struct epitem *rhead, *rtail; /* the ready list */
	struct uk_wq wq;              /* epoll_wait callers and pollers of the set */
	uint64_t ino;
};

struct epitem {
	struct epoll *ep;
	struct uk_file *file; /* not referenced (see above) */
	int fd;
	uint32_t events; /* EPOLL* interest and flags */
	uint64_t data;
	int on_ready, disabled;
	struct epitem *hnext;         /* in ep->hash */
	struct epitem *fnext;         /* in by_file */
	struct epitem *rnext, *rprev; /* on the ready list */
	struct uk_poll_table pt;
	int nent;
	struct ep_entry ent[EP_QUEUES];
};

static struct epitem *by_file[EP_FILES];
static unsigned registered;
static const struct uk_file_ops ep_ops;

static unsigned file_slot(const struct uk_file *f) { return ((uintptr_t)f >> 4) % EP_FILES; }

/* ---- the ready list ---- */

static void ready_add(struct epitem *it)
{
	struct epoll *ep = it->ep;
	int on = uk_irq_save();

	if (!it->on_ready) {
		it->on_ready = 1;
		it->rnext = NULL;
		it->rprev = ep->rtail;
		if (ep->rtail)
			ep->rtail->rnext = it;
		else
			ep->rhead = it;
		ep->rtail = it;
	}
	uk_irq_restore(on);
}

static void ready_del(struct epitem *it)
{
	struct epoll *ep = it->ep;
	int on = uk_irq_save();

	if (it->on_ready) {
		if (it->rprev)
			it->rprev->rnext = it->rnext;
		else
			ep->rhead = it->rnext;
		if (it->rnext)
			it->rnext->rprev = it->rprev;
		else
			ep->rtail = it->rprev;
		it->on_ready = 0;
	}
	uk_irq_restore(on);
}

/* A file's wait queue was woken: interrupt context possibly. */
static void item_woken(struct uk_wq_entry *e)
{
	struct epitem *it = ((struct ep_entry *)e)->it;

	if (it->disabled)
		return;
	ready_add(it);
	uk_wq_wake(&it->ep->wq, -1);
}

/* ---- asking a file ---- */

static void item_queue(struct uk_poll_table *pt, struct uk_wq *wq, struct uk_file *f)
{
	struct epitem *it = (struct epitem *)((char *)pt - __builtin_offsetof(struct epitem, pt));
	struct ep_entry *pe;

	if (it->nent == EP_QUEUES)
		return; /* no file here names more */
	pe = &it->ent[it->nent++];
	*pe = (struct ep_entry){ .e = { .func = item_woken }, .it = it };
	uk_wq_add(wq, &pe->e);
}

static void item_unhook(struct epitem *it)
{
	for (int i = 0; i < it->nent; i++)
		uk_wq_del(&it->ent[i].e);
	it->nent = 0;
}

/* The item's readiness now, hooked up again for the next change. */
static unsigned item_poll(struct epitem *it)
{
	item_unhook(it);
	return uk_poll_file(it->file, &it->pt) & (it->events | EPOLLERR | EPOLLHUP);
}

/* ---- items ---- */

static struct epitem *item_find(struct epoll *ep, int fd, struct uk_file *f)
{
	struct epitem *it = ep->hash[(unsigned)fd % EP_HASH];

	while (it && (it->fd != fd || it->file != f))
		it = it->hnext;
	return it;
}

static void item_remove(struct epitem *it)
{
	struct epitem **pp;

	item_unhook(it);
	ready_del(it);
	for (pp = &it->ep->hash[(unsigned)it->fd % EP_HASH]; *pp != it; pp = &(*pp)->hnext)
		;
	*pp = it->hnext;
	for (pp = &by_file[file_slot(it->file)]; *pp != it; pp = &(*pp)->fnext)
		;
	*pp = it->fnext;
	registered--;
	uk_kfree(it);
}

/* Report the item now if it is ready: wake the set's waiters. */
static void item_check(struct epitem *it)
{
	if (item_poll(it)) {
		ready_add(it);
		uk_wq_wake(&it->ep->wq, -1);
	}
}

static int item_add(struct epoll *ep, int fd, struct uk_file *f, uint32_t events, uint64_t data)
{
	struct epitem *it = uk_kzalloc(sizeof(*it));
	unsigned h = (unsigned)fd % EP_HASH;

	if (!it)
		return -ENOMEM;
	*it = (struct epitem){ .ep = ep,
		               .file = f,
		               .fd = fd,
		               .events = events,
		               .data = data,
		               .pt = { .queue = item_queue } };
	it->hnext = ep->hash[h];
	ep->hash[h] = it;
	it->fnext = by_file[file_slot(f)];
	by_file[file_slot(f)] = it;
	registered++;
	item_check(it);
	return 0;
}

void uk_epoll_release(struct uk_file *f)
{
	struct epitem *it, *next;

	if (!registered)
		return;
	for (it = by_file[file_slot(f)]; it; it = next) {
		next = it->fnext;
		if (it->file == f)
			item_remove(it);
	}
}

/* ---- the set as a file ---- */

/* Whether an item on the ready list really is ready; the others leave
 * the list, hooked up again. */
static int ep_any_ready(struct epoll *ep)
{
	struct epitem *it = ep->rhead, *next;

	for (; it; it = next) {
		next = it->rnext;
		if (item_poll(it))
			return 1;
		ready_del(it);
	}
	return 0;
}

static unsigned ep_poll(struct uk_file *f, struct uk_poll_table *pt)
{
	struct epoll *ep = f->priv;

	uk_poll_wait(pt, &ep->wq);
	return ep_any_ready(ep) ? EPOLLIN | EPOLLRDNORM : 0;
}

static void ep_release(struct uk_file *f)
{
	struct epoll *ep = f->priv;

	for (unsigned h = 0; h < EP_HASH; h++)
		while (ep->hash[h])
			item_remove(ep->hash[h]);
	uk_kfree(ep);
}

static int ep_fstat(struct uk_file *f, struct stat *st)
{
	return uk_anon_fstat(st, 0600, ((struct epoll *)f->priv)->ino);
}

static long ep_rw(struct uk_file *f, void *buf, size_t len, uint64_t *pos) { return -EINVAL; }

static const struct uk_file_ops ep_ops = {
	.anon_name = "[eventpoll]",
	.read = ep_rw,
	.write = (long (*)(struct uk_file *, const void *, size_t, uint64_t *))ep_rw,
	.poll = ep_poll,
	.fstat = ep_fstat,
	.release = ep_release,
};

UK_SYSCALL1(epoll_create1, int, flags)
{
	static uint64_t next_ino = 1;
	struct epoll *ep;

	if (flags & ~EPOLL_CLOEXEC)
		return -EINVAL;
	if (!(ep = uk_kzalloc(sizeof(*ep))))
		return -ENOMEM;
	ep->ino = next_ino++;
	return uk_anon_fd(&ep_ops, ep, 0, flags & EPOLL_CLOEXEC);
}

UK_SYSCALL1(epoll_create, int, size)
{
	if (size <= 0)
		return -EINVAL;
	return uk_sys_epoll_create1(0, 0, 0, 0, 0, 0);
}

/* ---- epoll_ctl ---- */

/* Whether set `to` can be reached from set `from` through sets it
 * watches: adding `from` to `to` would close a loop (or nest too deep). */
static int ep_reaches(struct epoll *from, struct epoll *to, int depth)
{
	if (from == to || depth >= EP_MAX_DEPTH)
		return 1;
	for (unsigned h = 0; h < EP_HASH; h++)
		for (struct epitem *it = from->hash[h]; it; it = it->hnext)
			if (it->file->ops == &ep_ops && ep_reaches(it->file->priv, to, depth + 1))
				return 1;
	return 0;
}

static int ctl_events_ok(int op, uint32_t events, struct uk_file *tf)
{
	if (!(events & EPOLLEXCLUSIVE))
		return 1;
	return op == EPOLL_CTL_ADD && !(events & ~EP_EXCLUSIVE_OK) && tf->ops != &ep_ops;
}

static long ctl(struct epoll *ep, int op, int fd, struct uk_file *tf, const struct epoll_event *ev)
{
	struct epitem *it = item_find(ep, fd, tf);
	uint32_t events = 0;
	uint64_t data = 0;

	if (op != EPOLL_CTL_DEL) {
		if (!ev)
			return -EFAULT;
		__builtin_memcpy(&events, &ev->events, sizeof(events)); /* packed struct */
		__builtin_memcpy(&data, &ev->data, sizeof(data));
		if (!ctl_events_ok(op, events, tf))
			return -EINVAL;
	}
	switch (op) {
	case EPOLL_CTL_ADD:
		if (it)
			return -EEXIST;
		if (tf->ops == &ep_ops && ep_reaches(tf->priv, ep, 0))
			return -ELOOP;
		return item_add(ep, fd, tf, events, data);
	case EPOLL_CTL_MOD:
		if (!it)
			return -ENOENT;
		if (it->events & EPOLLEXCLUSIVE)
			return -EINVAL;
		it->events = events;
		it->data = data;
		it->disabled = 0;
		item_check(it);
		return 0;
	case EPOLL_CTL_DEL:
		if (!it)
			return -ENOENT;
		item_remove(it);
		return 0;
	}
	return -EINVAL;
}

/* Regular files and directories are always ready: Linux refuses them. */
static int pollable(const struct uk_file *f)
{
	unsigned type = f->vn ? f->vn->mode & S_IFMT : 0;

	return f->ops->poll && type != S_IFREG && type != S_IFDIR;
}

UK_SYSCALL4(epoll_ctl, int, epfd, int, op, int, fd, const struct epoll_event *, ev)
{
	struct uk_file *ef = uk_fd_get(epfd), *tf = uk_fd_get(fd);
	long r;

	if (!ef || !tf)
		r = -EBADF;
	else if (!pollable(tf))
		r = -EPERM;
	else if (ef->ops != &ep_ops || ef == tf)
		r = -EINVAL;
	else
		r = ctl(ef->priv, op, fd, tf, ev);
	if (ef)
		uk_file_put(ef);
	if (tf)
		uk_file_put(tf);
	return r;
}

/* ---- epoll_wait ---- */

static struct epitem *ready_pop(struct epoll *ep)
{
	int on = uk_irq_save();
	struct epitem *it = ep->rhead;

	if (it)
		ready_del(it);
	uk_irq_restore(on);
	return it;
}

static unsigned ready_count(struct epoll *ep)
{
	int on = uk_irq_save();
	unsigned n = 0;

	for (struct epitem *it = ep->rhead; it; it = it->rnext)
		n++;
	uk_irq_restore(on);
	return n;
}

/* Up to max events from the items ready now, each asked once. */
static int harvest(struct epoll *ep, struct epoll_event *out, int max)
{
	unsigned todo = ready_count(ep);
	int n = 0;

	while (n < max && todo--) {
		struct epitem *it = ready_pop(ep);
		unsigned mask;
		if (!it)
			break;
		if (!(mask = item_poll(it)))
			continue;
		out[n].events = mask;
		out[n].data = it->data;
		n++;
		if (it->events & EPOLLONESHOT) {
			it->disabled = 1;
			item_unhook(it);
		} else if (!(it->events & EPOLLET)) {
			ready_add(it); /* level-triggered: asked again next time */
		}
	}
	return n;
}

/* deadline: monotonic ns, 0 for none, ~0 not to wait. */
static long ep_wait(int epfd, struct epoll_event *out, int max, uint64_t deadline)
{
	struct uk_file *f = uk_fd_get(epfd);
	struct epoll *ep;
	long n;
	int r;

	if (!f)
		return -EBADF;
	if (f->ops != &ep_ops || max <= 0 || (size_t)max > 0x7fffffff / sizeof(*out)) {
		uk_file_put(f);
		return -EINVAL;
	}
	ep = f->priv;
	for (;;) {
		if ((n = harvest(ep, out, max)) || deadline == ~0ull)
			break;
		r = uk_wait_event(&ep->wq, ep->rhead, deadline);
		if (r == -ETIMEDOUT) {
			n = harvest(ep, out, max);
			break;
		}
		if (r) {
			n = r;
			break;
		}
	}
	uk_file_put(f);
	return n;
}

static uint64_t ms_deadline(int timeout_ms)
{
	if (timeout_ms == 0)
		return ~0ull;
	if (timeout_ms < 0)
		return 0;
	return uk_monotonic_ns() + (uint64_t)timeout_ms * 1000000ull;
}

UK_SYSCALL4(epoll_wait, int, epfd, struct epoll_event *, out, int, max, int, timeout_ms)
{
	return ep_wait(epfd, out, max, ms_deadline(timeout_ms));
}

static long pwait(int epfd, struct epoll_event *out, int max, uint64_t deadline,
                  const uint64_t *sigmask, size_t sigsetsize)
{
	struct uk_sigmask_swap s;
	long r;

	if ((r = uk_poll_sigmask_begin(sigmask, sigsetsize, &s)))
		return r;
	r = ep_wait(epfd, out, max, deadline);
	uk_poll_sigmask_end(&s, r);
	return r;
}

UK_SYSCALL6(epoll_pwait, int, epfd, struct epoll_event *, out, int, max, int, timeout_ms,
            const uint64_t *, sigmask, size_t, sigsetsize)
{
	return pwait(epfd, out, max, ms_deadline(timeout_ms), sigmask, sigsetsize);
}

UK_SYSCALL6(epoll_pwait2, int, epfd, struct epoll_event *, out, int, max,
            const struct __kernel_timespec *, ts, const uint64_t *, sigmask, size_t, sigsetsize)
{
	if (ts && !uk_poll_ts_valid(ts))
		return -EINVAL;
	return pwait(epfd, out, max, uk_poll_deadline(ts), sigmask, sigsetsize);
}
