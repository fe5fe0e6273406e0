/* Time: TSC-based clocks, the LAPIC timer, sleeping. */
#ifndef UK_TIME_H
#define UK_TIME_H

#include <stdint.h>

void uk_time_init(void);

/* Nanoseconds since boot (CLOCK_MONOTONIC). */
uint64_t uk_monotonic_ns(void);
/* Nanoseconds since the epoch (CLOCK_REALTIME). */
uint64_t uk_realtime_ns(void);
/* CLOCK_REALTIME - CLOCK_MONOTONIC: one value, so converting a deadline
 * between the two clocks needs no second clock read. */
uint64_t uk_realtime_offset(void);
/* Set CLOCK_REALTIME. */
void uk_realtime_set(uint64_t ns);
uint64_t uk_tsc_to_ns(uint64_t tsc_delta);
/* The monotonic time (ns) at which the TSC read tsc. */
uint64_t uk_tsc_to_monotonic(uint64_t tsc);
/* Nanoseconds the CPU spent halted (for CPU-time clocks). */
uint64_t uk_idle_ns(void);

/* Arm the one-shot timer for an absolute monotonic time (0 disarms). */
void uk_timer_arm(uint64_t deadline_ns);

/* Sleep (block the thread) until the monotonic clock reaches deadline_ns:
 * 0, or -EINTR when a signal interrupted the sleep. */
int uk_sleep_until(uint64_t deadline_ns);

extern uint64_t uk_tsc_khz;

#endif
