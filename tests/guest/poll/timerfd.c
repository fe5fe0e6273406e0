/*
 * timerfd: one-shot and interval timers on the monotonic and realtime
 * clocks, relative and absolute, counted ticks, gettime, disarming,
 * non-blocking reads, epoll, and the errors.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "check.h"

static struct itimerspec its(long value_ms, long interval_ms)
{
	return (struct itimerspec){
		.it_interval = { interval_ms / 1000, (interval_ms % 1000) * 1000000L },
		.it_value = { value_ms / 1000, (value_ms % 1000) * 1000000L },
	};
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static void one_shot(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, 0);
	struct itimerspec t = its(60, 0), cur;
	uint64_t ticks = 0;
	long t0 = now_ms();

	CHECK("poll/timerfd/timerfd-create-clock-monotonic", fd >= 0,
	      "timerfd_create(CLOCK_MONOTONIC)");
	CHECK("poll/timerfd/arm-for-60-ms", timerfd_settime(fd, 0, &t, NULL) == 0, "arm for 60 ms");
	CHECK("poll/timerfd/gettime-ns-left",
	      timerfd_gettime(fd, &cur) == 0 && cur.it_value.tv_sec == 0 &&
	          cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 60000000,
	      "gettime: %ld ns left", (long)cur.it_value.tv_nsec);
	CHECK("poll/timerfd/a-blocking-read-1-tick", read(fd, &ticks, 8) == 8 && ticks == 1,
	      "a blocking read: 1 tick");
	CHECK("poll/timerfd/after-60-ms", WAITED(t0, 60), "after 60 ms: %ld", now_ms() - t0);
	CHECK("poll/timerfd/expired-disarmed",
	      timerfd_gettime(fd, &cur) == 0 && !cur.it_value.tv_sec && !cur.it_value.tv_nsec,
	      "expired: disarmed");
	fcntl(fd, F_SETFL, O_NONBLOCK);
	CHECK("poll/timerfd/no-more-ticks-eagain", read(fd, &ticks, 8) == -1 && errno == EAGAIN,
	      "no more ticks: EAGAIN");
	close(fd);
}

static void interval(void)
{
	int fd = timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	struct itimerspec t = its(20, 20), old;
	uint64_t ticks = 0;
	long t0, expect;

	CHECK("poll/timerfd/clock-boottime-tfd-cloexec",
	      fd >= 0 && fcntl(fd, F_GETFD) == FD_CLOEXEC, "CLOCK_BOOTTIME, TFD_CLOEXEC");
	t0 = now_ms();
	timerfd_settime(fd, 0, &t, NULL);
	sleep_ms(210);
	CHECK("poll/timerfd/a-read-after-210-ms", read(fd, &ticks, 8) == 8, "a read after 210 ms");
	/* however long the sleep really took (a loaded host oversleeps) */
	expect = (now_ms() - t0) / 20;
	CHECK("poll/timerfd/every-20-ms-ticks-in-ms",
	      ticks >= 8 && (long)ticks >= expect - 2 && (long)ticks <= expect + 1,
	      "every 20 ms: %llu ticks in %ld ms", (unsigned long long)ticks, now_ms() - t0);
	t = its(0, 0);
	CHECK("poll/timerfd/disarm-the-old-setting-comes-back",
	      timerfd_settime(fd, 0, &t, &old) == 0 && old.it_interval.tv_nsec == 20000000,
	      "disarm; the old setting comes back");
	sleep_ms(50);
	CHECK("poll/timerfd/disarmed-no-ticks", read(fd, &ticks, 8) == -1 && errno == EAGAIN,
	      "disarmed: no ticks");
	close(fd);
}

static void absolute(void)
{
	int fd = timerfd_create(CLOCK_REALTIME, 0);
	struct timespec now;
	struct itimerspec t = { 0 };
	uint64_t ticks;
	long t0 = now_ms();

	clock_gettime(CLOCK_REALTIME, &now);
	t.it_value = now;
	t.it_value.tv_nsec += 50000000;
	if (t.it_value.tv_nsec >= 1000000000)
		t.it_value.tv_sec++, t.it_value.tv_nsec -= 1000000000;
	CHECK("poll/timerfd/realtime-absolute",
	      timerfd_settime(fd, TFD_TIMER_ABSTIME, &t, NULL) == 0, "realtime, absolute");
	CHECK("poll/timerfd/fires-at-the-time-given-ms",
	      read(fd, &ticks, 8) == 8 && ticks == 1 && now_ms() - t0 >= 45,
	      "fires at the time given (%ld ms)", now_ms() - t0);
	t.it_value = now; /* in the past: at once */
	timerfd_settime(fd, TFD_TIMER_ABSTIME, &t, NULL);
	t0 = now_ms();
	CHECK("poll/timerfd/a-past-time-at-once",
	      read(fd, &ticks, 8) == 8 && ticks == 1 && now_ms() - t0 < 1000,
	      "a past time: at once");
	close(fd);
}

static void in_epoll(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK), ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 42 };
	struct itimerspec t = its(30, 30);
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	uint64_t ticks = 0;
	long t0 = now_ms();

	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	CHECK("poll/timerfd/not-yet-readable", poll(&pf, 1, 0) == 0, "not yet readable");
	timerfd_settime(fd, 0, &t, NULL);
	CHECK("poll/timerfd/epoll-wait-wakes-on-expiry-ms",
	      epoll_wait(ep, &ev, 1, 5000) == 1 && ev.data.u32 == 42 && WAITED(t0, 30),
	      "epoll_wait wakes on expiry (%ld ms)", now_ms() - t0);
	CHECK("poll/timerfd/and-read-counts-it", read(fd, &ticks, 8) == 8 && ticks >= 1,
	      "and read counts it");
	CHECK("poll/timerfd/poll-wakes-on-the-next-tick",
	      poll(&pf, 1, 5000) == 1 && pf.revents == POLLIN, "poll wakes on the next tick");
	close(ep);
	close(fd);
}

static void errors(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, 0), p[2];
	struct itimerspec t = its(10, 0);
	uint64_t v = 1;

	CHECK("poll/timerfd/a-cpu-time-clock-einval",
	      timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0) == -1 && errno == EINVAL,
	      "a CPU-time clock: EINVAL");
	CHECK("poll/timerfd/an-unknown-flag-einval",
	      timerfd_create(CLOCK_MONOTONIC, 0x1000000) == -1 && errno == EINVAL,
	      "an unknown flag: EINVAL");
	t.it_value.tv_nsec = 1000000000;
	CHECK("poll/timerfd/tv-nsec-1e9-einval",
	      timerfd_settime(fd, 0, &t, NULL) == -1 && errno == EINVAL, "tv_nsec 1e9: EINVAL");
	t = its(10, 0);
	CHECK("poll/timerfd/bad-flags-einval",
	      timerfd_settime(fd, 0x100, &t, NULL) == -1 && errno == EINVAL, "bad flags: EINVAL");
	pipe(p);
	CHECK("poll/timerfd/not-a-timerfd-einval",
	      timerfd_settime(p[0], 0, &t, NULL) == -1 && errno == EINVAL, "not a timerfd: EINVAL");
	CHECK("poll/timerfd/bad-descriptor-ebadf", timerfd_gettime(999, &t) == -1 && errno == EBADF,
	      "bad descriptor: EBADF");
	CHECK("poll/timerfd/write-einval", write(fd, &v, 8) == -1 && errno == EINVAL,
	      "write: EINVAL");
	CHECK("poll/timerfd/a-4-byte-read-einval", read(fd, &v, 4) == -1 && errno == EINVAL,
	      "a 4-byte read: EINVAL");
	close(p[0]);
	close(p[1]);
	close(fd);
}

void timerfd_tests(void)
{
	one_shot();
	interval();
	absolute();
	in_epoll();
	errors();
}
