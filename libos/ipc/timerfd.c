/*
 * timerfd_create(2), timerfd_settime(2), timerfd_gettime(2).
 *
 * A timer file keeps its expiry on its own clock and a count of
 * expirations not yet read. A scheduler timer (uk_timer, on the monotonic
 * clock) fires at the expiry: it counts what has elapsed, moves an
 * interval timer on by whole intervals (so a late interrupt counts every
 * missed tick), re-arms, and wakes readers and pollers. A read returns the
 * count and clears it.
 *
 * Clocks: CLOCK_MONOTONIC; CLOCK_BOOTTIME, the same here (a VM of ours
 * never suspends); CLOCK_REALTIME, whose expiry is turned into a
 * monotonic deadline when armed, so a later clock_settime does not move
 * it (TFD_TIMER_CANCEL_ON_SET, which would report such a change, is
 * refused). The _ALARM clocks behave as their plain ones: there is no
 * suspend to wake from.
 */
#include <uk/mm.h>
#include <uk/sched.h>
#include <uk/syscall.h>
#include <uk/time.h>

#include "poll_impl.h"

#define TFD_TIMER_ABSTIME 1
#define TFD_TIMER_CANCEL_ON_SET 2
#define NSEC 1000000000ull

struct tfd {
	int clock;         /* Linux clock id */
	uint64_t expires;  /* on the file's clock, ns; 0: disarmed */
	uint64_t interval; /* ns; 0: one-shot */
	uint64_t ticks;    /* expirations not yet read */
	struct uk_timer timer;
	struct uk_wq wq;
	uint64_t ino;
};

static int realtime(int clock) { return clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_ALARM; }

static uint64_t clock_now(int clock)
{
	return realtime(clock) ? uk_realtime_ns() : uk_monotonic_ns();
}

/* Arm the scheduler timer for the expiry, as a monotonic deadline. */
static void arm(struct tfd *d, uint64_t now)
{
	uint64_t mono = uk_monotonic_ns();

	if (!d->expires)
		uk_timer_stop(&d->timer);
	else
		uk_timer_start(&d->timer, mono + (d->expires > now ? d->expires - now : 0));
}

/* Count the expirations up to now and re-arm. Interrupts disabled. */
static void update(struct tfd *d)
{
	uint64_t now = clock_now(d->clock), n;

	if (!d->expires || now < d->expires)
		return;
	if (d->interval) {
		n = (now - d->expires) / d->interval + 1;
		d->ticks += n;
		d->expires += n * d->interval;
	} else {
		d->ticks++;
		d->expires = 0;
	}
	arm(d, now);
}

/* The scheduler timer fired (interrupt context, interrupts disabled). */
static void fired(struct uk_timer *t)
{
	struct tfd *d = t->priv;
	uint64_t before = d->ticks;

	update(d);
	if (d->ticks == before)
		arm(d, clock_now(d->clock)); /* early: the clocks drifted apart */
	else
		uk_wq_wake(&d->wq, -1);
}

static long tfd_read(struct uk_file *f, void *buf, size_t len, uint64_t *pos)
{
	struct tfd *d = f->priv;
	uint64_t v;
	int on, r = 0;

	if (len < sizeof(v))
		return -EINVAL;
	on = uk_irq_save();
	update(d);
	while (!d->ticks && !r) {
		if (f->flags & O_NONBLOCK)
			r = -EAGAIN;
		else
			r = uk_wq_wait(&d->wq, 0);
		update(d);
	}
	v = d->ticks;
	d->ticks = 0;
	uk_irq_restore(on);
	if (!v)
		return r;
	uk_memcpy(buf, &v, sizeof(v));
	return sizeof(v);
}

static unsigned tfd_poll(struct uk_file *f, struct uk_poll_table *pt)
{
	struct tfd *d = f->priv;
	int on = uk_irq_save();
	unsigned mask;

	uk_poll_wait(pt, &d->wq);
	update(d);
	mask = d->ticks ? EPOLLIN | EPOLLRDNORM : 0;
	uk_irq_restore(on);
	return mask;
}

static int tfd_fstat(struct uk_file *f, struct stat *st)
{
	return uk_anon_fstat(st, 0600, ((struct tfd *)f->priv)->ino);
}

static void tfd_release(struct uk_file *f)
{
	struct tfd *d = f->priv;

	uk_timer_stop(&d->timer);
	uk_kfree(d);
}

static long tfd_write(struct uk_file *f, const void *buf, size_t len, uint64_t *pos)
{
	return -EINVAL;
}

static const struct uk_file_ops tfd_ops = {
	.anon_name = "[timerfd]",
	.read = tfd_read,
	.write = tfd_write,
	.poll = tfd_poll,
	.fstat = tfd_fstat,
	.release = tfd_release,
};

UK_SYSCALL2(timerfd_create, int, clock, int, flags)
{
	static uint64_t next_ino = 1;
	struct tfd *d;

	if (clock != CLOCK_MONOTONIC && clock != CLOCK_BOOTTIME && clock != CLOCK_REALTIME &&
	    clock != CLOCK_REALTIME_ALARM && clock != CLOCK_BOOTTIME_ALARM)
		return -EINVAL;
	if (flags & ~(O_NONBLOCK | O_CLOEXEC))
		return -EINVAL;
	if (!(d = uk_kzalloc(sizeof(*d))))
		return -ENOMEM;
	d->clock = clock;
	d->ino = next_ino++;
	d->timer.fn = fired;
	d->timer.priv = d;
	return uk_anon_fd(&tfd_ops, d, flags & O_NONBLOCK, flags & O_CLOEXEC);
}

/* The timer file behind fd, referenced, or NULL with *err set. */
static struct uk_file *tfd_get(int fd, long *err)
{
	struct uk_file *f = uk_fd_get(fd);

	*err = -EBADF;
	if (f && f->ops != &tfd_ops) {
		uk_file_put(f);
		f = NULL;
		*err = -EINVAL;
	}
	return f;
}

static uint64_t ts_ns(const struct __kernel_timespec *ts)
{
	return (uint64_t)ts->tv_sec * NSEC + (uint64_t)ts->tv_nsec;
}

static struct __kernel_timespec ns_ts(uint64_t ns)
{
	return (struct __kernel_timespec){ (long long)(ns / NSEC), (long long)(ns % NSEC) };
}

static void current(struct tfd *d, struct __kernel_itimerspec *cur)
{
	uint64_t now;

	update(d);
	now = clock_now(d->clock);
	cur->it_interval = ns_ts(d->interval);
	/* still armed, it has not expired: at least 1 ns is left */
	cur->it_value = ns_ts(!d->expires ? 0 : d->expires > now ? d->expires - now : 1);
}

static int itimerspec_ok(const struct __kernel_itimerspec *its)
{
	return uk_poll_ts_valid(&its->it_value) && uk_poll_ts_valid(&its->it_interval) &&
	       (uint64_t)its->it_value.tv_sec < (1ull << 33) &&
	       (uint64_t)its->it_interval.tv_sec < (1ull << 33);
}

static void settime(struct tfd *d, int flags, const struct __kernel_itimerspec *its)
{
	uint64_t now = clock_now(d->clock), value = ts_ns(&its->it_value);

	d->ticks = 0;
	d->interval = ts_ns(&its->it_interval);
	if (!value)
		d->expires = 0;
	else if (flags & TFD_TIMER_ABSTIME)
		d->expires = value;
	else
		d->expires = now + value;
	arm(d, now);
}

UK_SYSCALL4(timerfd_settime, int, fd, int, flags, const struct __kernel_itimerspec *, its,
            struct __kernel_itimerspec *, old)
{
	struct uk_file *f;
	struct tfd *d;
	long r;
	int on;

	if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET))
		return -EINVAL;
	if (!its)
		return -EFAULT;
	if (!(f = tfd_get(fd, &r)))
		return r;
	d = f->priv;
	r = 0;
	if (!itimerspec_ok(its)) {
		r = -EINVAL;
	} else if (flags & TFD_TIMER_CANCEL_ON_SET) {
		uk_trace_note("timerfd_settime: TFD_TIMER_CANCEL_ON_SET is not supported");
		r = -EINVAL;
	} else {
		on = uk_irq_save();
		if (old)
			current(d, old);
		settime(d, flags, its);
		uk_irq_restore(on);
	}
	uk_file_put(f);
	return r;
}

UK_SYSCALL2(timerfd_gettime, int, fd, struct __kernel_itimerspec *, cur)
{
	struct uk_file *f;
	long r;
	int on;

	if (!cur)
		return -EFAULT;
	if (!(f = tfd_get(fd, &r)))
		return r;
	on = uk_irq_save();
	current(f->priv, cur);
	uk_irq_restore(on);
	uk_file_put(f);
	return 0;
}
