/*
 * Clocks and sleeping: every clock id, monotonicity, CPU-time clocks that
 * count work and not sleep, relative and absolute clock_nanosleep,
 * gettimeofday, times(), clock(), getrusage, clock_settime. Prints
 * "PASS name" / "FAIL name: why" lines, then "time tests done".
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

#include "../check.h"

int checks, failures;
/* Timeouts may end late (an emulated CPU on a busy host stalls), never
 * early: the upper bound only catches "never woke up". */
#define SLACK_MS 2000

static long long ns(clockid_t clk)
{
	struct timespec ts;

	if (clock_gettime(clk, &ts))
		return -1;
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static long long ms(clockid_t clk) { return ns(clk) / 1000000; }

/* Burn about n ms of CPU on the monotonic clock. */
static void spin_ms(long n)
{
	long long end = ms(CLOCK_MONOTONIC) + n;

	while (ms(CLOCK_MONOTONIC) < end)
		;
}

static void test_clocks(void)
{
	static const struct {
		clockid_t id;
		const char *name;
	} clocks[] = {
		{ CLOCK_REALTIME, "REALTIME" },
		{ CLOCK_MONOTONIC, "MONOTONIC" },
		{ CLOCK_PROCESS_CPUTIME_ID, "PROCESS_CPUTIME_ID" },
		{ CLOCK_THREAD_CPUTIME_ID, "THREAD_CPUTIME_ID" },
		{ 5, "MONOTONIC_RAW" },
		{ 0, "REALTIME_COARSE" },
		{ 6, "MONOTONIC_COARSE" },
		{ 7, "BOOTTIME" },
	};
	struct timespec res;
	int ok = 1;

	for (unsigned i = 0; i < sizeof(clocks) / sizeof(*clocks); i++) {
		long long v = ns(clocks[i].id);
		if (v <= 0 || clock_getres(clocks[i].id, &res) || res.tv_sec || res.tv_nsec <= 0) {
			printf("# clock %s: %lld\n", clocks[i].name, v);
			ok = 0;
		}
	}
	CHECK("time/every-clock", ok, "a clock failed");
	CHECK("time/bad-clock", clock_gettime(99, &res) == -1 && errno == EINVAL,
	      "clock 99 accepted");
	long long r = ns(CLOCK_REALTIME) / 1000000000, t = time(NULL);
	CHECK("time/realtime-is-time", r - t >= -1 && r - t <= 1 && t > 1600000000,
	      "clock %lld, time() %lld", r, t);
	struct timeval tv;
	gettimeofday(&tv, NULL);
	CHECK("time/gettimeofday",
	      tv.tv_sec - t >= -1 && tv.tv_sec - t <= 1 && tv.tv_usec >= 0 && tv.tv_usec < 1000000,
	      "%ld.%06ld", (long)tv.tv_sec, (long)tv.tv_usec);
	CHECK("time/coarse-monotonic-agree",
	      ms(6) - ms(CLOCK_MONOTONIC) < 5 && ms(CLOCK_MONOTONIC) - ms(6) < 5,
	      "coarse and fine disagree");
}

static void test_monotonic(void)
{
	long long prev = ns(CLOCK_MONOTONIC), back = 0;

	for (int i = 0; i < 100000; i++) {
		long long now = ns(CLOCK_MONOTONIC);
		if (now < prev)
			back++;
		prev = now;
	}
	CHECK("time/monotonic-never-back", back == 0, "went back %lld times", back);
}

static void test_cpu_time(void)
{
	long long c0 = ns(CLOCK_PROCESS_CPUTIME_ID), t0 = ns(CLOCK_THREAD_CPUTIME_ID), c1, t1, c2;
	clock_t k0 = clock(), k1;
	struct tms tm0, tm1;
	struct rusage ru;

	times(&tm0);
	spin_ms(100);
	c1 = ns(CLOCK_PROCESS_CPUTIME_ID);
	t1 = ns(CLOCK_THREAD_CPUTIME_ID);
	k1 = clock();
	times(&tm1);
	CHECK("time/process-cpu-counts-work", c1 - c0 >= 80000000 && c1 - c0 < 1000000000,
	      "100 ms of spinning counted %lld ns", c1 - c0);
	CHECK("time/thread-cpu-counts-work", t1 - t0 >= 80000000 && t1 - t0 <= c1 - c0 + 1000000,
	      "thread %lld ns, process %lld ns", t1 - t0, c1 - c0);
	CHECK("time/clock", (k1 - k0) * 1000 / CLOCKS_PER_SEC >= 80, "clock() moved %ld ticks",
	      (long)(k1 - k0));
	CHECK("time/times", (tm1.tms_utime - tm0.tms_utime) * 1000 / sysconf(_SC_CLK_TCK) >= 80,
	      "tms_utime moved %ld", (long)(tm1.tms_utime - tm0.tms_utime));
	getrusage(RUSAGE_SELF, &ru);
	CHECK("time/getrusage",
	      ru.ru_utime.tv_sec * 1000000ll + ru.ru_utime.tv_usec >= 80000 && ru.ru_maxrss > 0,
	      "utime %ld.%06ld maxrss %ld", (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec,
	      ru.ru_maxrss);
	usleep(100000);
	c2 = ns(CLOCK_PROCESS_CPUTIME_ID);
	CHECK("time/sleep-is-not-cpu", c2 - c1 < 50000000, "100 ms asleep counted %lld ns of CPU",
	      c2 - c1);
}

static volatile int stop;

/* Spins until told to stop (or for 10 s), so it is alive when measured. */
static void *busy(void *arg)
{
	long long end = ms(CLOCK_MONOTONIC) + 10000;

	while (!stop && ms(CLOCK_MONOTONIC) < end)
		;
	return arg;
}

static void test_thread_clock(void)
{
	pthread_t t;
	clockid_t clk;
	long long a, b, mine0 = ns(CLOCK_THREAD_CPUTIME_ID), mine1;

	pthread_create(&t, NULL, busy, NULL);
	pthread_getcpuclockid(t, &clk);
	a = ns(clk);
	usleep(20000); /* the other thread spins meanwhile */
	b = ns(clk);
	mine1 = ns(CLOCK_THREAD_CPUTIME_ID);
	stop = 1;
	pthread_join(t, NULL);
	CHECK("time/pthread-cpu-clock", a >= 0 && b > a && mine1 - mine0 < b - a,
	      "other thread %lld -> %lld, mine moved %lld", a, b, mine1 - mine0);
}

/* clock_nanosleep(TIMER_ABSTIME) to 40 ms from now on clk: its result;
 * *until, the deadline; *took, the milliseconds that passed. */
static int sleep_40ms_abs(clockid_t clk, struct timespec *until, long long *took)
{
	long long t0 = ms(CLOCK_MONOTONIC);
	int e;

	clock_gettime(clk, until);
	until->tv_nsec += 40000000;
	if (until->tv_nsec >= 1000000000) {
		until->tv_sec++;
		until->tv_nsec -= 1000000000;
	}
	e = clock_nanosleep(clk, TIMER_ABSTIME, until, NULL);
	*took = ms(CLOCK_MONOTONIC) - t0;
	return e;
}

static void test_sleep(void)
{
	struct timespec req = { 0, 30000000 }, abs, bad = { 0, 1000000000 }, rem;
	long long t0 = ms(CLOCK_MONOTONIC), d;
	int e;

	e = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem);
	d = ms(CLOCK_MONOTONIC) - t0;
	CHECK("time/clock-nanosleep-relative", e == 0 && d >= 30 && d < SLACK_MS,
	      "error %d after %lld ms", e, d);
	e = sleep_40ms_abs(CLOCK_MONOTONIC, &abs, &d);
	CHECK("time/clock-nanosleep-abs-monotonic",
	      e == 0 && d >= 39 && d < SLACK_MS &&
	          ns(CLOCK_MONOTONIC) >= abs.tv_sec * 1000000000ll + abs.tv_nsec,
	      "error %d after %lld ms", e, d);
	e = sleep_40ms_abs(CLOCK_REALTIME, &abs, &d);
	CHECK("time/clock-nanosleep-abs-realtime", e == 0 && d >= 39 && d < SLACK_MS,
	      "error %d after %lld ms", e, d);
	abs.tv_sec -= 10; /* in the past: at once */
	t0 = ms(CLOCK_MONOTONIC);
	e = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &abs, NULL);
	CHECK("time/clock-nanosleep-past", e == 0 && ms(CLOCK_MONOTONIC) - t0 < 20, "error %d", e);
	CHECK("time/clock-nanosleep-einval",
	      clock_nanosleep(CLOCK_MONOTONIC, 0, &bad, NULL) == EINVAL &&
	          clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &req, NULL) == EINVAL,
	      "bad input accepted");
	CHECK("time/nanosleep-einval", nanosleep(&bad, NULL) == -1 && errno == EINVAL, "accepted");
	t0 = ms(CLOCK_MONOTONIC);
	CHECK("time/usleep", usleep(20000) == 0 && ms(CLOCK_MONOTONIC) - t0 >= 20, "too short");
}

static void test_settime(void)
{
	struct timespec before, set, after;

	clock_gettime(CLOCK_REALTIME, &before);
	set = before;
	set.tv_sec += 1000;
	int r = clock_settime(CLOCK_REALTIME, &set);
	clock_gettime(CLOCK_REALTIME, &after);
	CHECK("time/clock-settime",
	      r == 0 && after.tv_sec - before.tv_sec >= 999 && after.tv_sec - before.tv_sec <= 1001,
	      "set %d, moved %ld s", r, (long)(after.tv_sec - before.tv_sec));
	clock_gettime(CLOCK_REALTIME, &after);
	after.tv_sec -= 1000;
	clock_settime(CLOCK_REALTIME, &after);
	CHECK("time/clock-settime-monotonic-refused",
	      clock_settime(CLOCK_MONOTONIC, &after) == -1 && errno == EINVAL, "accepted");
}

int main(void)
{
	test_clocks();
	test_monotonic();
	test_cpu_time();
	test_thread_clock();
	test_sleep();
	test_settime();
	printf("time tests done: %d failed\n", failures);
	return failures ? 1 : 0;
}
