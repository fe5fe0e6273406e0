/*
 * Clocks, sleeping, interval timers and resource usage.
 *
 * Every clock reads the TSC. CLOCK_REALTIME is the monotonic clock plus an
 * offset (settable by uid 0); the COARSE, RAW, BOOTTIME and TAI variants
 * are the same clocks (nothing suspends a unikernel, no leap seconds are
 * applied). CPU-time clocks: a thread's is what the scheduler charged it,
 * a process's the sum of its threads' (the ended ones' too). All the
 * program's CPU time is user time; a process's children's is what the
 * ones it waited for used (times, RUSAGE_CHILDREN).
 */
#include <linux/capability.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/proc.h>
#include <uk/sched.h>
#include <uk/signal.h>
#include <uk/syscall.h>
#include <uk/time.h>
#include <uk/timespec.h>

#include <linux/signal.h>

int uk_current_euid(void); /* sys_proc.c */

UK_SYSCALL2(clock_gettime, int, clk, struct __kernel_timespec *, ts)
{
	uint64_t ns;
	long r = uk_clock_read(clk, &ns);

	if (r)
		return r;
	if (!ts)
		return -EFAULT;
	uk_ns_to_timespec(ns, ts);
	return 0;
}

UK_SYSCALL2(clock_getres, int, clk, struct __kernel_timespec *, ts)
{
	uint64_t ns;

	if (uk_clock_read(clk, &ns))
		return -EINVAL;
	if (ts) {
		ts->tv_sec = 0;
		ts->tv_nsec = 1;
	}
	return 0;
}

UK_SYSCALL2(clock_settime, int, clk, const struct __kernel_timespec *, ts)
{
	uint64_t ns;

	if (clk != CLOCK_REALTIME)
		return -EINVAL;
	if (!ts)
		return -EFAULT;
	if (uk_timespec_ns(ts, &ns))
		return -EINVAL;
	if (!uk_capable(CAP_SYS_TIME))
		return -EPERM;
	uk_realtime_set(ns);
	return 0;
}

UK_SYSCALL2(gettimeofday, struct __kernel_old_timeval *, tv, struct timezone *, tz)
{
	uint64_t ns = uk_realtime_ns();

	if (tv) {
		tv->tv_sec = ns / UK_NSEC;
		tv->tv_usec = ns % UK_NSEC / 1000;
	}
	if (tz) { /* UTC: a container has no local time zone of its own */
		tz->tz_minuteswest = 0;
		tz->tz_dsttime = 0;
	}
	return 0;
}

UK_SYSCALL2(settimeofday, const struct __kernel_old_timeval *, tv, const struct timezone *, tz)
{
	(void)tz;
	if (!tv)
		return 0;
	if (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= 1000000)
		return -EINVAL;
	if (!uk_capable(CAP_SYS_TIME))
		return -EPERM;
	uk_realtime_set(tv->tv_sec * UK_NSEC + tv->tv_usec * 1000ull);
	return 0;
}

UK_SYSCALL1(time, long *, t)
{
	long s = (long)(uk_realtime_ns() / UK_NSEC);

	if (t)
		*t = s;
	return s;
}

/* ---- sleeping ---- */

/* Sleep until the monotonic deadline; on -EINTR the time left goes to
 * rem (relative sleeps only, as Linux does). */
static long sleep_until(uint64_t deadline, struct __kernel_timespec *rem)
{
	int r = uk_sleep_until(deadline);

	if (r == -EINTR && rem) {
		uint64_t now = uk_monotonic_ns();
		uk_ns_to_timespec(deadline > now ? deadline - now : 0, rem);
	}
	return r;
}

UK_SYSCALL2(nanosleep, const struct __kernel_timespec *, req, struct __kernel_timespec *, rem)
{
	uint64_t deadline;
	int r = uk_deadline(CLOCK_MONOTONIC, req, 0, &deadline);

	return r ? r : sleep_until(deadline, rem);
}

UK_SYSCALL4(clock_nanosleep, int, clk, int, flags, const struct __kernel_timespec *, req,
            struct __kernel_timespec *, rem)
{
	int abs = flags & TIMER_ABSTIME, r;
	uint64_t deadline;

	if (clk == CLOCK_THREAD_CPUTIME_ID)
		return -EINVAL;
	if (clk == CLOCK_PROCESS_CPUTIME_ID || clk < 0) {
		uk_trace_note("clock_nanosleep: sleeping on a CPU-time clock is not supported");
		return -EOPNOTSUPP;
	}
	if ((r = uk_deadline(clk, req, abs, &deadline)))
		return r;
	return sleep_until(deadline, abs ? NULL : rem);
}

/* ---- interval timers: ITIMER_REAL on the monotonic clock, VIRTUAL and
 * PROF on the process's CPU time (which is all user time) ---- */

/* Each process has its own (struct uk_proc's itimers), on its own CPU
 * time (read for it->proc: a timer fires in whatever process runs). */
static int itimer_cpu(const struct uk_itimer *it) { return it != &it->proc->itimers[ITIMER_REAL]; }

static int itimer_sig(const struct uk_itimer *it)
{
	static const int sig[3] = {
		[ITIMER_REAL] = SIGALRM, [ITIMER_VIRTUAL] = SIGVTALRM, [ITIMER_PROF] = SIGPROF
	};
	return sig[it - it->proc->itimers];
}

static uint64_t itimer_now(const struct uk_itimer *it)
{
	return itimer_cpu(it) ? uk_proc_cpu_ns(it->proc) : uk_monotonic_ns();
}

/* CPU time runs at most as fast as the monotonic clock, so a CPU timer
 * cannot expire before this much monotonic time has passed; when it fires
 * early (the CPU idled meanwhile) it is simply armed again. */
static void itimer_arm(struct uk_itimer *it)
{
	uint64_t now = itimer_now(it);

	uk_timer_start(&it->timer, uk_monotonic_ns() + (it->value > now ? it->value - now : 0));
}

static void itimer_fire(struct uk_timer *tm)
{
	struct uk_itimer *it = tm->priv;
	uint64_t now = itimer_now(it);

	if (!it->value)
		return;
	if (now < it->value) {
		itimer_arm(it);
		return;
	}
	if (it->interval) {
		it->value += it->interval;
		if (it->value <= now) /* overruns are not counted */
			it->value = now + it->interval;
		itimer_arm(it);
	} else {
		it->value = 0;
	}
	uk_proc_signal(it->proc, itimer_sig(it), UK_SI_KERNEL, 0);
}

static uint64_t tv_ns(const struct __kernel_old_timeval *tv)
{
	return tv->tv_sec * UK_NSEC + tv->tv_usec * 1000ull;
}

static void ns_tv(uint64_t ns, struct __kernel_old_timeval *tv)
{
	tv->tv_sec = ns / UK_NSEC;
	tv->tv_usec = ns % UK_NSEC / 1000;
}

static void itimer_get(struct uk_itimer *it, struct __kernel_old_itimerval *v)
{
	uint64_t now = itimer_now(it), left = it->value > now ? it->value - now : 0;

	if (it->value && !left)
		left = 1000; /* due, not yet delivered: POSIX wants non-zero */
	ns_tv(left, &v->it_value);
	ns_tv(it->interval, &v->it_interval);
}

static int tv_ok(const struct __kernel_old_timeval *tv)
{
	return tv->tv_sec >= 0 && tv->tv_sec < (1l << 32) && tv->tv_usec >= 0 &&
	       tv->tv_usec < 1000000;
}

static long itimer_set(int which, const struct __kernel_old_itimerval *nv,
                       struct __kernel_old_itimerval *ov)
{
	struct uk_itimer *it;
	uint64_t value = 0, interval = 0;
	int on;

	if (which < 0 || which > ITIMER_PROF)
		return -EINVAL;
	it = &uk_proc_cur->itimers[which];
	it->proc = uk_proc_cur;
	if (nv) { /* NULL disarms, as Linux allows */
		const struct __kernel_old_timeval *v = &nv->it_value;
		const struct __kernel_old_timeval *i = &nv->it_interval;
		if (!tv_ok(v) || !tv_ok(i))
			return -EINVAL;
		value = tv_ns(v);
		interval = tv_ns(i);
	}
	on = uk_irq_save();
	if (ov)
		itimer_get(it, ov);
	uk_timer_stop(&it->timer);
	it->timer.fn = itimer_fire;
	it->timer.priv = it;
	it->interval = value ? interval : 0;
	it->value = value ? itimer_now(it) + value : 0;
	if (value)
		itimer_arm(it);
	uk_irq_restore(on);
	return 0;
}

UK_SYSCALL3(setitimer, int, which, const struct __kernel_old_itimerval *, nv,
            struct __kernel_old_itimerval *, ov)
{
	return itimer_set(which, nv, ov);
}

UK_SYSCALL2(getitimer, int, which, struct __kernel_old_itimerval *, v)
{
	if (which < 0 || which > ITIMER_PROF)
		return -EINVAL;
	if (!v)
		return -EFAULT;
	uk_proc_cur->itimers[which].proc = uk_proc_cur;
	itimer_get(&uk_proc_cur->itimers[which], v);
	return 0;
}

void uk_itimers_stop(struct uk_proc *p)
{
	int on = uk_irq_save();

	for (int i = 0; i < 3; i++) {
		uk_timer_stop(&p->itimers[i].timer);
		p->itimers[i].value = 0;
	}
	uk_irq_restore(on);
}

/* Seconds left of the previous alarm, rounded to the nearest and at least
 * 1 while one is pending, as Linux answers. */
UK_SYSCALL1(alarm, unsigned, secs)
{
	struct __kernel_old_itimerval nv = { 0 }, ov;
	uint64_t left;

	nv.it_value.tv_sec = secs;
	itimer_set(ITIMER_REAL, &nv, &ov);
	left = ov.it_value.tv_sec * UK_NSEC + ov.it_value.tv_usec * 1000ull;
	if (!left)
		return 0;
	return left < UK_NSEC ? 1 : (long)((left + UK_NSEC / 2) / UK_NSEC);
}

/* ---- resource usage ---- */

#define USER_HZ 100

struct uk_tms {
	long utime, stime, cutime, cstime;
};

UK_SYSCALL1(times, struct uk_tms *, t)
{
	if (t) {
		t->utime = uk_process_cpu_ns() / (UK_NSEC / USER_HZ);
		t->cutime = uk_proc_cur->child_cpu_ns / (UK_NSEC / USER_HZ);
		t->stime = t->cstime = 0;
	}
	/* Ticks since boot; never in the -4095..-1 range of errors. */
	return (long)(uk_monotonic_ns() / (UK_NSEC / USER_HZ));
}

UK_SYSCALL2(getrusage, int, who, struct rusage *, ru)
{
	uint64_t cpu, switches = 0;

	if (who == RUSAGE_SELF) {
		cpu = uk_process_cpu_ns();
		for (struct uk_thread *t = uk_threads; t; t = t->all_next)
			if (t->proc == uk_proc_cur)
				switches += t->switches;
	} else if (who == RUSAGE_THREAD) {
		cpu = uk_thread_cpu_ns(uk_current);
		switches = uk_current->switches;
	} else if (who == RUSAGE_CHILDREN) {
		cpu = uk_proc_cur->child_cpu_ns; /* its waited-for children's */
	} else {
		return -EINVAL;
	}
	if (!ru)
		return -EFAULT;
	*ru = (struct rusage){ 0 };
	ns_tv(cpu, &ru->ru_utime);
	if (who != RUSAGE_CHILDREN)
		ru->ru_maxrss = (long)((uk_mm_total() - uk_mm_free()) >> 10);
	ru->ru_nvcsw = (long)switches;
	return 0;
}
