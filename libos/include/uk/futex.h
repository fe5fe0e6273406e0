/*
 * Futexes (futex.c): threads wait on a 32-bit word until another thread
 * wakes that word. There is one address space, so private and shared
 * futexes are the same thing, keyed by address.
 */
#ifndef UK_FUTEX_H
#define UK_FUTEX_H

#include <stdint.h>

/* Block while *uaddr == val, until a wake whose bitset meets ours, the
 * monotonic deadline (0: none) or a signal. 0, -EAGAIN (*uaddr != val),
 * -ETIMEDOUT, -EINTR, -EINVAL (misaligned), -EFAULT (NULL). */
int uk_futex_wait(uint32_t *uaddr, uint32_t val, uint64_t deadline_ns, uint32_t bitset);

/* Wake up to n waiters of uaddr whose bitset meets bitset (n <= 0: one, as
 * Linux does). Returns how many. Safe with interrupts disabled. */
int uk_futex_wake(uint32_t *uaddr, int n, uint32_t bitset);

#endif
