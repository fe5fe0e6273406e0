/*
 * Timeouts as system calls give them (struct __kernel_timespec, Linux
 * clock ids), turned into deadlines on the monotonic clock that
 * uk_sched_block() and timers use (sys_time.c).
 */
#ifndef UK_TIMESPEC_H
#define UK_TIMESPEC_H

#include <stdint.h>
#include <uk/linux.h>

#define UK_NSEC 1000000000ull

/* A valid timespec (0 <= tv_nsec < 1e9, tv_sec >= 0) in ns, or -EINVAL. */
int uk_timespec_ns(const struct __kernel_timespec *ts, uint64_t *ns);

/* The monotonic deadline for a timeout ts on clock clk: relative to now,
 * or absolute when abs. CLOCK_REALTIME deadlines are converted with the
 * offset between the clocks at the time of the call. 0, -EINVAL (bad
 * clock or timespec), -EFAULT (NULL). A deadline already past is
 * returned as 1 (still "a deadline", and past). */
/* Which clock ids read the realtime and the monotonic clock. */
int uk_clock_realtime(int clk);
int uk_clock_monotonic(int clk);

/* Read clock clk (any Linux clock id, the CPU-time ones and
 * clock_getcpuclockid's encodings included) in ns: 0, or -EINVAL. */
int uk_clock_read(int clk, uint64_t *ns);

int uk_deadline(int clk, const struct __kernel_timespec *ts, int abs, uint64_t *deadline);

void uk_ns_to_timespec(uint64_t ns, struct __kernel_timespec *ts);

#endif
