/*
 * POSIX per-process timers: timer_create, timer_settime, timer_gettime,
 * timer_getoverrun, timer_delete.
 *
 * A process's timers run on any clock clock_gettime reads (the CPU-time
 * ones and clock_getcpuclockid's too) and, when they expire, signal the
 * process (SIGEV_SIGNAL), one of its threads (SIGEV_THREAD_ID: glibc runs
 * SIGEV_THREAD's helper thread this way), or nobody (SIGEV_NONE: read
 * with timer_gettime). As on Linux: ids count from 0 in each process; a
 * timer's signal still pending when it expires again is not queued a
 * second time, its overrun count grows instead (si_overrun,
 * timer_getoverrun), expirations missed by a late interrupt count too;
 * fork's child has no timers, exec and exit delete them.
 *
 * Differences, by design: an absolute CLOCK_REALTIME expiry is turned into
 * a monotonic one when it is set (a later clock_settime does not move
 * it); a periodic timer's interrupt comes at most every MIN_PERIOD (a
 * shorter interval is counted, as overruns, not interrupted for: a 1 us
 * timer cannot take the vCPU); CPU-time timers are checked at most as
 * often as the monotonic clock could have let them expire (as setitimer's
 * VIRTUAL and PROF are, sys_time.c).
 */
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/proc.h>
#include <uk/sched.h>
#include <uk/signal.h>
#include <uk/syscall.h>
#include <uk/time.h>
#include <uk/timespec.h>

/* sigev_notify (Linux's values, not newlib's) */
#define NOTIFY_SIGNAL 0
#define NOTIFY_NONE 1
#define NOTIFY_THREAD 2    /* glibc's own business: the kernel signals */
#define NOTIFY_THREAD_ID 4 /* | NOTIFY_SIGNAL: to one thread */

#define MAX_TIMERS 32768     /* per process; then EAGAIN, as a full rlimit */
#define MIN_PERIOD 100000ull /* ns */

/* The kernel's struct sigevent (64 bytes). */
struct ksigevent {
	uint64_t value;
	int signo;
	int notify;
	int tid;
	int pad[11];
};

struct uk_ptimer {
	struct uk_timer timer;
	struct uk_proc *proc;
	int id;
	int clock;  /* as created (a thread's CPU clock by that thread's id) */
	int notify; /* NOTIFY_SIGNAL or NOTIFY_NONE */
	int sig;
	int tid; /* NOTIFY_THREAD_ID's thread, else 0 */
	uint64_t sigval;
	uint64_t value; /* when it expires, on its clock; 0: disarmed */
	uint64_t interval;
	int overrun;      /* the overrun count of the signal it queued last */
	int overrun_last; /* of the one before (delivered, if that one is pending) */
};

/* A wall clock (realtime or monotonic): counted on the monotonic one. */
static int wall(const struct uk_ptimer *t)
{
	return uk_clock_realtime(t->clock) || uk_clock_monotonic(t->clock);
}

/* Now on t's clock: 0, or -EINVAL when that clock is gone (the thread
 * whose CPU time it counts ended). */
static int now_of(const struct uk_ptimer *t, uint64_t *now)
{
	if (wall(t)) {
		*now = uk_monotonic_ns();
		return 0;
	}
	return uk_clock_read(t->clock, now);
}

/* Arm the interrupt for t's expiry; CPU time runs at most as fast as the
 * monotonic clock, so it cannot expire sooner than this. */
static void arm(struct uk_ptimer *t, uint64_t now)
{
	uint64_t left = t->value > now ? t->value - now : 0;

	uk_timer_start(&t->timer, uk_monotonic_ns() + left);
}

/* The thread t signals (NULL: the process); -1 when that thread ended. */
static int target(const struct uk_ptimer *t, struct uk_thread **th)
{
	*th = NULL;
	if (!t->tid)
		return 0;
	*th = uk_thread_find(t->tid);
	return *th && (*th)->proc == t->proc && (*th)->state != UK_T_EXITED ? 0 : -1;
}

static int pending(const struct uk_ptimer *t)
{
	struct uk_thread *th;

	return !target(t, &th) && uk_signal_timer_pending(t->proc, th, t->sig, t->id);
}

static void signal_it(struct uk_ptimer *t, int missed)
{
	struct uk_thread *th;

	if (target(t, &th)) /* a thread that ended gets nothing, as on Linux */
		return;
	if (!uk_signal_timer_pending(t->proc, th, t->sig, t->id))
		t->overrun_last = t->overrun; /* that one was delivered */
	t->overrun = uk_signal_timer(t->proc, th, t->sig, t->id, t->sigval, missed);
}

/* Expirations of t up to now: the next one moves past now; how many were
 * missed beyond the first. A one-shot timer disarms. */
static int advance(struct uk_ptimer *t, uint64_t now)
{
	uint64_t late;

	if (!t->interval) {
		t->value = 0;
		return 0;
	}
	late = (now - t->value) / t->interval;
	t->value += (late + 1) * t->interval;
	return late > 0x7fffffff ? 0x7fffffff : (int)late;
}

/* The timer interrupt (irqs off). */
static void fire(struct uk_timer *tm)
{
	struct uk_ptimer *t = tm->priv;
	uint64_t now;
	int missed;

	if (!t->value)
		return;
	if (now_of(t, &now)) {
		t->value = 0;
		return;
	}
	if (now < t->value) { /* a CPU clock that idled meanwhile */
		arm(t, now);
		return;
	}
	missed = advance(t, now);
	if (t->value) {
		if (t->interval < MIN_PERIOD)
			uk_timer_start(&t->timer, uk_monotonic_ns() + MIN_PERIOD);
		else
			arm(t, now);
	}
	signal_it(t, missed);
}

/* ---- the process's table ---- */

static struct uk_ptimer *lookup(long id)
{
	struct uk_proc *p = uk_proc_cur;

	if (id < 0 || id >= p->nptimers)
		return NULL;
	return p->ptimers[id];
}

/* A free id in p's table, growing it: the id, or -EAGAIN / -ENOMEM. */
static int free_id(struct uk_proc *p)
{
	struct uk_ptimer **grown;
	int id, n;

	for (id = 0; id < p->nptimers; id++)
		if (!p->ptimers[id])
			return id;
	if (p->nptimers >= MAX_TIMERS)
		return -EAGAIN;
	n = p->nptimers ? p->nptimers * 2 : 8;
	if (!(grown = uk_kzalloc(n * sizeof(*grown))))
		return -ENOMEM;
	if (p->nptimers)
		uk_memcpy(grown, p->ptimers, p->nptimers * sizeof(*grown));
	uk_kfree(p->ptimers);
	p->ptimers = grown;
	p->nptimers = n;
	return id;
}

static void delete (struct uk_proc *p, int id)
{
	struct uk_ptimer *t = p->ptimers[id];
	struct uk_thread *th;
	int on = uk_irq_save();

	uk_timer_stop(&t->timer);
	if (t->notify != NOTIFY_NONE && !target(t, &th))
		uk_signal_timer_cancel(p, th, t->sig, t->id);
	p->ptimers[id] = NULL;
	uk_irq_restore(on);
	uk_kfree(t);
}

void uk_ptimers_delete(struct uk_proc *p)
{
	for (int id = 0; id < p->nptimers; id++)
		if (p->ptimers[id])
			delete (p, id);
	uk_kfree(p->ptimers);
	p->ptimers = NULL;
	p->nptimers = 0;
}

/* ---- the calls ---- */

/* Set t's clock from clk, or -EINVAL (-EOPNOTSUPP for a clock that has
 * no timers, as Linux's raw and coarse ones). The calling thread's and process's
 * CPU clocks become that thread's and process's by id (Linux's encoding,
 * as pthread_getcpuclockid gives), as Linux binds them at creation: a
 * timer fires in whatever process runs. */
static int set_clock(struct uk_ptimer *t, int clk)
{
	uint64_t ns;

	/* clocks Linux reads but never arms a timer on */
	if (clk == CLOCK_MONOTONIC_RAW || clk == CLOCK_REALTIME_COARSE ||
	    clk == CLOCK_MONOTONIC_COARSE)
		return -EOPNOTSUPP;
	if (clk == CLOCK_THREAD_CPUTIME_ID)
		clk = (int)((unsigned)~uk_current->tid << 3) | 4 | 2;
	else if (clk == CLOCK_PROCESS_CPUTIME_ID)
		clk = (int)((unsigned)~uk_proc_cur->pid << 3) | 2;
	if (clk < 0 && (clk & 4) && ~(clk >> 3)) { /* another thread's: of this process */
		struct uk_thread *th = uk_thread_find(~(clk >> 3));
		if (!th || th->proc != uk_proc_cur)
			return -EINVAL;
	}
	t->clock = clk;
	return uk_clock_read(clk, &ns) ? -EINVAL : 0;
}

/* Check ev and fill t's notification from it (NULL: SIGALRM to the
 * process with the timer's id as value). */
static int notification(struct uk_ptimer *t, const struct ksigevent *ev)
{
	struct uk_thread *th;

	t->notify = NOTIFY_SIGNAL;
	t->sig = SIGALRM;
	t->sigval = (uint64_t)t->id;
	if (!ev)
		return 0;
	t->sigval = ev->value;
	switch (ev->notify) {
	case NOTIFY_NONE: t->notify = NOTIFY_NONE; return 0;
	case NOTIFY_SIGNAL | NOTIFY_THREAD_ID:
		th = uk_thread_find(ev->tid);
		if (!th || th->proc != uk_proc_cur || th->state == UK_T_EXITED)
			return -EINVAL;
		t->tid = ev->tid;
		/* fall through */
	case NOTIFY_SIGNAL:
	case NOTIFY_THREAD:
		if (ev->signo < 1 || ev->signo > UK_NSIG)
			return -EINVAL;
		t->sig = ev->signo;
		return 0;
	default: return -EINVAL;
	}
}

UK_SYSCALL3(timer_create, int, clk, const struct ksigevent *, ev, int *, idp)
{
	struct uk_proc *p = uk_proc_cur;
	struct uk_ptimer *t;
	int id, r;

	if (!idp)
		return -EFAULT;
	if ((id = free_id(p)) < 0)
		return id;
	if (!(t = uk_kzalloc(sizeof(*t))))
		return -ENOMEM;
	t->proc = p;
	t->id = id;
	t->timer.fn = fire;
	t->timer.priv = t;
	if ((r = set_clock(t, clk)) || (r = notification(t, ev))) {
		uk_kfree(t);
		return r;
	}
	p->ptimers[id] = t;
	*idp = id;
	return 0;
}

/* What is left of t and its interval (irqs off). A SIGEV_NONE timer is
 * never interrupted for: its expirations are counted here. */
static void get(struct uk_ptimer *t, struct __kernel_itimerspec *cur)
{
	uint64_t now = 0, left = 0;

	if (t->value && now_of(t, &now))
		t->value = 0;
	if (t->value && t->notify == NOTIFY_NONE && now >= t->value)
		advance(t, now);
	if (t->value)
		left = t->value > now ? t->value - now : 1; /* due, not yet signalled */
	uk_ns_to_timespec(left, &cur->it_value);
	uk_ns_to_timespec(t->interval, &cur->it_interval);
}

UK_SYSCALL4(timer_settime, long, id, int, flags, const struct __kernel_itimerspec *, nv,
            struct __kernel_itimerspec *, ov)
{
	struct uk_ptimer *t = lookup(id);
	uint64_t value, interval, now;
	int on;

	if (!t || !nv) /* (Linux: no new value is EINVAL, not EFAULT) */
		return -EINVAL;
	if (flags & ~TIMER_ABSTIME)
		return -EINVAL;
	if (uk_timespec_ns(&nv->it_value, &value) || uk_timespec_ns(&nv->it_interval, &interval))
		return -EINVAL;
	on = uk_irq_save();
	if (ov)
		get(t, ov);
	uk_timer_stop(&t->timer);
	t->interval = value ? interval : 0;
	t->value = 0;
	if (value && !now_of(t, &now)) {
		if (!(flags & TIMER_ABSTIME))
			t->value = now + value;
		else if (wall(t)) /* CLOCK_REALTIME's converted now */
			uk_deadline(t->clock, &nv->it_value, 1, &t->value);
		else
			t->value = value;
	}
	if (t->value && t->notify != NOTIFY_NONE)
		arm(t, now);
	uk_irq_restore(on);
	return 0;
}

UK_SYSCALL2(timer_gettime, long, id, struct __kernel_itimerspec *, cur)
{
	struct uk_ptimer *t = lookup(id);
	int on;

	if (!t)
		return -EINVAL;
	if (!cur)
		return -EFAULT;
	on = uk_irq_save();
	get(t, cur);
	uk_irq_restore(on);
	return 0;
}

UK_SYSCALL1(timer_getoverrun, long, id)
{
	struct uk_ptimer *t = lookup(id);

	int on, r;

	if (!t)
		return -EINVAL;
	/* the count of the signal delivered last, as Linux answers */
	on = uk_irq_save();
	r = t->notify == NOTIFY_NONE ? 0 : pending(t) ? t->overrun_last : t->overrun;
	uk_irq_restore(on);
	return r;
}

UK_SYSCALL1(timer_delete, long, id)
{
	if (!lookup(id))
		return -EINVAL;
	delete (uk_proc_cur, (int)id);
	return 0;
}
