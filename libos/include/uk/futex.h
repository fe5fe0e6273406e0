/*
 * Futexes (futex.c): threads wait on a 32-bit word until another thread
 * wakes that word. A word in memory processes share is known by its
 * physical address (so a process-shared semaphore or mutex works across
 * fork), any other by its address space and address.
 */
#ifndef UK_FUTEX_H
#define UK_FUTEX_H

#include <stdint.h>

/* Block while *uaddr == val, until a wake whose bitset meets ours, the
 * monotonic deadline (0: none) or a signal. 0, -EAGAIN (*uaddr != val),
 * -ETIMEDOUT, -EINTR, -EINVAL (misaligned), -EFAULT (NULL). */
int uk_futex_wait(uint32_t *uaddr, uint32_t val, uint64_t deadline_ns, uint32_t bitset);

/* Wake up to n waiters of uaddr whose bitset meets bitset (n <= 0: one, as
 * Linux does). Returns how many. Safe with interrupts disabled once
 * uaddr's page is committed (the shared look-up may commit it). */
int uk_futex_wake(uint32_t *uaddr, int n, uint32_t bitset);

struct uk_thread;
/* A thread is ending (exit, exit_group, a fatal signal), in its own
 * address space: the futexes its robust list names that it still holds
 * get FUTEX_OWNER_DIED and a waiter woken, as Linux does for every
 * ending thread (sys_thread.c). */
void uk_futex_robust_exit(struct uk_thread *t);

/* The mm room's look-up (registered before the first fork): 1 and the
 * physical address of the word at addr when it lies in shared memory
 * (its page committed now), 0 when elsewhere, -errno. */
void uk_futex_on_shared(int (*key)(uintptr_t addr, uint64_t *pa));

#endif
