/*
 * newlib's <sched.h> plus Linux's CPU sets (one CPU here, but programs
 * size thread pools with them).
 */
#ifndef _UK_SCHED_H
#define _UK_SCHED_H

#include <sys/types.h>

#ifndef _SYS_CPUSET_H_
#define _SYS_CPUSET_H_ /* newlib declares the affinity calls when set */
#define CPU_SETSIZE 1024
typedef struct {
	unsigned long __bits[CPU_SETSIZE / (8 * sizeof(unsigned long))];
} cpu_set_t;

#define __CPU_W(cpu) ((cpu) / (8 * sizeof(unsigned long)))
#define __CPU_B(cpu) (1ul << ((cpu) % (8 * sizeof(unsigned long))))
#define CPU_ZERO(s) __builtin_memset((s), 0, sizeof(cpu_set_t))
#define CPU_SET(cpu, s) \
	((void)((size_t)(cpu) < CPU_SETSIZE ? (s)->__bits[__CPU_W(cpu)] |= __CPU_B(cpu) : 0))
#define CPU_CLR(cpu, s) \
	((void)((size_t)(cpu) < CPU_SETSIZE ? (s)->__bits[__CPU_W(cpu)] &= ~__CPU_B(cpu) : 0))
#define CPU_ISSET(cpu, s) \
	((size_t)(cpu) < CPU_SETSIZE && ((s)->__bits[__CPU_W(cpu)] & __CPU_B(cpu)) != 0)
int __uk_cpu_count(size_t, const cpu_set_t *);
#define CPU_COUNT(s) __uk_cpu_count(sizeof(cpu_set_t), (s))
#define CPU_COUNT_S(size, s) __uk_cpu_count((size), (s))
#define CPU_EQUAL(a, b) (__builtin_memcmp((a), (b), sizeof(cpu_set_t)) == 0)
#endif

#include_next <sched.h>

/* Declared whatever the feature macros say (newlib: only for _GNU_SOURCE). */
int sched_getaffinity(pid_t, size_t, cpu_set_t *);
int sched_setaffinity(pid_t, size_t, const cpu_set_t *);
int sched_getcpu(void);

#endif
