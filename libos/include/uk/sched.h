/*
 * Threads and the scheduler: one vCPU, cooperative. A thread runs until it
 * blocks (a wait queue, a sleep) or yields; interrupt handlers only wake
 * threads. So library OS code never runs concurrently with itself, and its
 * data needs no locks beyond disabling interrupts around state an interrupt
 * handler also touches (wait queues, the run queue).
 *
 * Each switch saves and restores the FPU/SSE/AVX state with xsave and the
 * %fs base (TLS) with wrfsbase.
 */
#ifndef UK_SCHED_H
#define UK_SCHED_H

#include <stddef.h>
#include <stdint.h>
#include <uk/cpu.h>

struct uk_thread;
struct uk_wq_entry;

/* A wait queue: a FIFO of entries, each a blocked thread or a callback
 * (poll and epoll register callbacks on many queues at once). Zero-
 * initialised is empty. */
struct uk_wq {
	struct uk_wq_entry *head, *tail;
};

struct uk_wq_entry {
	struct uk_wq_entry *next;
	struct uk_wq *wq;                     /* the queue it is on, or NULL */
	void (*func)(struct uk_wq_entry *e);  /* NULL: wake e->thread */
	struct uk_thread *thread;
	void *priv;
};

enum uk_thread_state { UK_T_RUNNABLE, UK_T_BLOCKED, UK_T_EXITED };

struct uk_thread {
	uint64_t rsp;                 /* saved by uk_arch_switch */
	uint64_t fs_base;
	uint8_t *xsave;               /* FPU/SSE/AVX state, 64-byte aligned */
	void *stack;                  /* lowest usable byte */
	size_t stack_size;
	int tid;
	enum uk_thread_state state;
	struct uk_thread *next;       /* run queue */
	uint64_t deadline;            /* wake-up time (monotonic ns), 0 = none */
	struct uk_thread *timer_next; /* sleepers, sorted by deadline */
	int wake_result;              /* 0 woken, -ETIMEDOUT, -EINTR */
	uint64_t cpu_ns;              /* time run, for the CPU-time clocks */
	uint64_t ran_since;           /* TSC when last switched in */
	void (*fn)(void *);
	void *arg;
	struct uk_thread *all_next;   /* list of every live thread */
	struct uk_wq exit_wq;         /* joiners wait here */
	long exit_value;
	int detached;                 /* free on exit: nobody joins */
	char name[16];
	/* Owned by other subsystems; the scheduler only carries them. */
	void *reent;                  /* newlib's struct _reent (glue) */
	void *tcb;                    /* TLS block and TCB (tls.c) */
	void *sig;                    /* signal state (signals) */
	int *clear_child_tid;         /* set_tid_address / CLONE_CHILD_CLEARTID */
	uint64_t robust_list;         /* set_robust_list */
	void *user;                   /* free for the thread's creator */
};

/* The running thread. */
extern struct uk_thread *uk_current;

/* Make the boot flow thread 1 running on a proper stack: calls fn(arg) on
 * it and never returns. */
__attribute__((noreturn)) void uk_sched_start(void (*fn)(void *), void *arg, size_t stack);

/* A new runnable thread running fn(arg) on a stack of the given size (with
 * a guard page). NULL when memory is exhausted. */
struct uk_thread *uk_thread_create(void (*fn)(void *), void *arg, size_t stack);

/* End the running thread: wakes joiners, frees everything when detached. */
__attribute__((noreturn)) void uk_thread_exit(long value);

/* Free an exited thread (after joining it). */
void uk_thread_free(struct uk_thread *t);

/* Let other runnable threads run. */
void uk_sched_yield(void);

/* Block the running thread until uk_thread_wake() or the monotonic
 * deadline (0: none). Called and returns with interrupts DISABLED, so
 * checking a condition and blocking cannot miss a wake-up. Returns the
 * wake result: 0, -ETIMEDOUT, or what the waker passed (-EINTR). */
int uk_sched_block(uint64_t deadline_ns);

/* Wake t if it is blocked, with result; later wakes of the same block are
 * ignored. Safe in interrupt handlers. */
void uk_thread_wake(struct uk_thread *t, int result);

/* Entries on queues (interrupts disabled or not: both are safe). */
void uk_wq_add(struct uk_wq *wq, struct uk_wq_entry *e);
void uk_wq_del(struct uk_wq_entry *e);

/* uk_sched_block() on wq (interrupts DISABLED, as above). */
int uk_wq_wait(struct uk_wq *wq, uint64_t deadline_ns);

/* Run the first n entries of wq (n < 0: all): blocked threads become
 * runnable, callbacks are called. Returns how many. Safe in interrupt
 * handlers. */
int uk_wq_wake(struct uk_wq *wq, int n);

/* Wait until cond holds: 0, or -ETIMEDOUT / -EINTR. */
#define uk_wait_event(wq, cond, deadline_ns)                          \
	({                                                            \
		int __r = 0, __on = uk_irq_save();                    \
		while (!(cond)) {                                     \
			__r = uk_wq_wait((wq), (deadline_ns));        \
			if (__r)                                      \
				break;                                \
		}                                                     \
		uk_irq_restore(__on);                                 \
		__r;                                                  \
	})

/* Called by the timer interrupt: wake sleepers whose time has come and
 * re-arm the timer for the next one. */
void uk_sched_timer(void);

/* CPU time used by t, in ns (including the current slice). */
uint64_t uk_thread_cpu_ns(const struct uk_thread *t);

/* Every live thread, for /proc and signals. */
extern struct uk_thread *uk_threads;
extern unsigned uk_nthreads;

#endif
