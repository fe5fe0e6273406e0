/* Clocks and sleeping. */
#include <uk/linux.h>
#include <uk/syscall.h>
#include <uk/time.h>

static long clock_ns(int clk, uint64_t *ns)
{
	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_TAI:
		*ns = uk_realtime_ns();
		return 0;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
		*ns = uk_monotonic_ns();
		return 0;
	case CLOCK_PROCESS_CPUTIME_ID:
	case CLOCK_THREAD_CPUTIME_ID:
		*ns = uk_monotonic_ns() - uk_idle_ns();
		return 0;
	}
	return -EINVAL;
}

UK_SYSCALL2(clock_gettime, int, clk, struct __kernel_timespec *, ts)
{
	uint64_t ns;
	long r = clock_ns(clk, &ns);

	if (r)
		return r;
	ts->tv_sec = ns / 1000000000;
	ts->tv_nsec = ns % 1000000000;
	return 0;
}

UK_SYSCALL2(clock_getres, int, clk, struct __kernel_timespec *, ts)
{
	uint64_t ns;

	if (clock_ns(clk, &ns))
		return -EINVAL;
	if (ts) {
		ts->tv_sec = 0;
		ts->tv_nsec = 1;
	}
	return 0;
}

UK_SYSCALL2(gettimeofday, struct __kernel_old_timeval *, tv, void *, tz)
{
	uint64_t ns = uk_realtime_ns();

	if (tv) {
		tv->tv_sec = ns / 1000000000;
		tv->tv_usec = ns % 1000000000 / 1000;
	}
	(void)tz;
	return 0;
}

UK_SYSCALL1(time, long *, t)
{
	long s = (long)(uk_realtime_ns() / 1000000000);

	if (t)
		*t = s;
	return s;
}

UK_SYSCALL2(nanosleep, const struct __kernel_timespec *, req, struct __kernel_timespec *, rem)
{
	if (req->tv_sec < 0 || req->tv_nsec < 0 || req->tv_nsec >= 1000000000)
		return -EINVAL;
	uk_sleep_until(uk_monotonic_ns() + req->tv_sec * 1000000000ull + req->tv_nsec);
	(void)rem; /* no signal interrupts a sleep */
	return 0;
}
