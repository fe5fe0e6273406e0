/*
 * Threads and the scheduler: one vCPU. Library OS code is cooperative: a
 * thread in it runs until it blocks (a wait queue, a sleep) or yields, and
 * interrupt handlers only wake threads. So library OS code never runs
 * concurrently with itself, and its data needs no locks beyond disabling
 * interrupts around state an interrupt handler also touches (wait queues,
 * the run queue, timers).
 *
 * Application code (link mode: the program's own objects) is also
 * preempted at the end of a time slice when another thread is runnable,
 * so a spinning thread cannot starve the others (sched.c says how).
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
struct uk_proc;
struct uk_cred;

/* A wait queue: a FIFO of entries, each a blocked thread or a callback
 * (poll and epoll register callbacks on many queues at once). Zero-
 * initialised is empty. */
struct uk_wq {
	struct uk_wq_entry *head, *tail;
};

struct uk_wq_entry {
	struct uk_wq_entry *next;
	struct uk_wq *wq;                    /* the queue it is on, or NULL */
	void (*func)(struct uk_wq_entry *e); /* NULL: wake e->thread */
	struct uk_thread *thread;
	void *priv;
};

/* A one-shot callback timer on the monotonic clock (sleeps, alarm(),
 * interval timers, timerfd). Zero-initialised is stopped. */
struct uk_timer {
	uint64_t deadline;              /* monotonic ns */
	struct uk_timer *next;          /* armed timers, sorted */
	void (*fn)(struct uk_timer *t); /* interrupt context, irqs disabled */
	void *priv;
	int armed;
};

/* Arm t for deadline_ns (re-arms when already armed); fn runs once the
 * monotonic clock reaches it, from the timer interrupt. Safe anywhere. */
void uk_timer_start(struct uk_timer *t, uint64_t deadline_ns);
/* Disarm t (harmless when it is not armed or has fired). */
void uk_timer_stop(struct uk_timer *t);

enum uk_thread_state { UK_T_RUNNABLE, UK_T_BLOCKED, UK_T_EXITED };

/* uk_thread.flags */
#define UK_TF_APP                                                           \
	0x1                 /* an application thread: receives signals, and \
	                     * its process ends when the last one exits */
#define UK_TF_OWN_STACK 0x2 /* stack allocated by the scheduler */
#define UK_TF_ENDING 0x4    /* ended by a fault (exception.c): on its way out */

/* /proc/sys/kernel/pid_max: Linux's largest. Thread ids are not reused,
 * so a VM that made more threads than that would see larger ones. */
#define UK_PID_MAX 4194304

/* Signals are numbered as Linux does; bit n-1 of a mask is signal n. */
#define UK_NSIG 64

/* Real-time signals (SIGRTMIN, 32, and above) queue as Linux's do: an
 * instance sent while one is pending waits behind it (signal.c), at most
 * UK_SIGQUEUE_MAX in the VM (RLIMIT_SIGPENDING says so). */
#define UK_SIGRTMIN 32
#define UK_SIGQUEUE_MAX 1024
struct uk_sigq;

/* Why a signal is pending (siginfo: si_code, si_pid or si_addr, ...). */
struct uk_sigrec {
	int code;
	int pid;       /* SI_TIMER: the timer's id */
	uint64_t addr; /* a fault's address; SIGCHLD's: the child's si_status;
	                * SI_TIMER: the timer's sigev_value */
	int overrun;   /* SI_TIMER: expirations after this one's, not signalled */
	unsigned uid;  /* SI_QUEUE and the other codes a program sends
	                * (rt_sigqueueinfo): its si_uid; its si_value in addr */
};

struct uk_thread {
	uint64_t rsp; /* saved by uk_arch_switch */
	uint64_t fs_base;
	uint8_t *xsave; /* FPU/SSE/AVX state, 64-byte aligned */
	void *stack;    /* lowest usable byte */
	size_t stack_size;
	int tid;
	unsigned flags; /* UK_TF_* */
	enum uk_thread_state state;
	struct uk_proc *proc;   /* an application thread's process (uk/proc.h) */
	struct uk_thread *next; /* run queue */
	struct uk_timer timer;  /* a blocked thread's deadline */
	int wake_result;        /* 0 woken, -ETIMEDOUT, -EINTR */
	uint64_t cpu_ns;        /* TSC ticks run, for the CPU-time clocks */
	uint64_t ran_since;     /* TSC when last switched in */
	uint64_t switches;      /* times switched in (getrusage) */
	void (*fn)(void *);
	void *arg;
	struct uk_thread *all_next; /* list of every live thread */
	struct uk_wq exit_wq;       /* joiners wait here */
	long exit_value;
	int detached; /* free on exit: nobody joins */
	char name[16];
	/* Signals (signal.c). */
	uint64_t sig_blocked; /* the thread's signal mask */
	uint64_t sig_pending; /* sent to this thread, not yet taken */
	struct uk_sigrec sig_info[UK_NSIG];
	struct uk_sigq *sig_queue; /* RT signals' instances beyond the pending one */
	uint64_t altstack_sp;      /* sigaltstack(2) */
	uint64_t altstack_size;
	int altstack_flags;
	/* A Linux program's sigsuspend-like wait ended by a signal: the mask
	 * to go back to once that is delivered (signal_linux.c). */
	uint64_t sig_saved_mask;
	int sig_restore_mask;
	/* Owned by other subsystems; the scheduler only carries them. */
	void *reent;          /* newlib's struct _reent (glue) */
	void *tcb;            /* TLS block and TCB (tls.c) */
	int *clear_child_tid; /* set_tid_address / CLONE_CHILD_CLEARTID */
	uint64_t robust_list; /* set_robust_list */
	uint64_t robust_len;
	struct uk_regs *uregs; /* binary compatibility: the user frame of
	                        * the system call in progress, else NULL */
	void *user;            /* free for the thread's creator */
	/* Who its file accesses are checked as for the call in progress
	 * (access(2)'s real ids, the library OS's own files), or NULL: its
	 * process's (uk/proc.h's uk_cred_cur). */
	const struct uk_cred *cred;
};

/* The running thread. */
extern struct uk_thread *uk_current;

/* Make the boot flow thread 1 (the application's main thread) running on
 * a proper stack: calls fn(arg) on it and never returns. */
__attribute__((noreturn)) void uk_sched_start(void (*fn)(void *), void *arg, size_t stack);

/* A new runnable library OS thread running fn(arg) on a stack of the given
 * size (with a guard page). NULL when memory is exhausted. */
struct uk_thread *uk_thread_create(void (*fn)(void *), void *arg, size_t stack);

/* Like uk_thread_create, not yet runnable (uk_thread_start() makes it so):
 * the creator can fill in fields first. stack: the thread's own stack
 * (lowest byte, stack_size bytes), or NULL to allocate one. flags: UK_TF_APP
 * or 0. */
struct uk_thread *uk_thread_new(void (*fn)(void *), void *arg, void *stack, size_t stack_size,
                                unsigned flags);
void uk_thread_start(struct uk_thread *t);

/* End the running thread: wakes joiners, clears and wakes
 * clear_child_tid, frees everything when detached. When it is the last
 * application thread the program ends with status value. */
__attribute__((noreturn)) void uk_thread_exit(long value);

/* Free an exited thread (after joining it). */
void uk_thread_free(struct uk_thread *t);

/* Let other runnable threads run. */
void uk_sched_yield(void);

/* Block the running thread until uk_thread_wake() or the monotonic
 * deadline (0: none). Called and returns with interrupts DISABLED, so
 * checking a condition and blocking cannot miss a wake-up. Returns the
 * wake result: 0, -ETIMEDOUT, or what the waker passed (-EINTR when a
 * signal arrived: callers return it, and the signal is delivered on the
 * way back to the application). */
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
#define uk_wait_event(wq, cond, deadline_ns)                   \
	({                                                     \
		int __r = 0, __on = uk_irq_save();             \
		while (!(cond)) {                              \
			__r = uk_wq_wait((wq), (deadline_ns)); \
			if (__r)                               \
				break;                         \
		}                                              \
		uk_irq_restore(__on);                          \
		__r;                                           \
	})

/* Called by the timer interrupt: run expired timers (waking sleepers),
 * end the running thread's time slice, re-arm the hardware timer. */
void uk_sched_timer(void);

/* CPU time used by t, in ns (including the current slice). */
uint64_t uk_thread_cpu_ns(const struct uk_thread *t);
/* CPU time of the running thread's process: its threads', the ended
 * ones' included (kernel/proc.c). */
uint64_t uk_process_cpu_ns(void);

/* Thread by id, or NULL. */
struct uk_thread *uk_thread_find(int tid);

/* Every live thread, for /proc and signals. */
extern struct uk_thread *uk_threads;
extern unsigned uk_nthreads;

/* Non-zero when the running thread may have work on its way back to
 * application code: a signal to deliver, or its time slice is over. A hint
 * (cheap to test); uk_attention_work() does the real check. */
extern volatile int uk_attention;
/* The time slice is over: switch at the next safe point. */
extern volatile int uk_need_resched;

/* Recompute uk_attention for the running thread. */
void uk_attention_update(void);

/* ---- thread pointers (tls.c) ---- */

/* The %fs base: what the running code sees; the boot thread's TLS. */
void uk_set_fs(uint64_t base);
uint64_t uk_get_fs(void);
void uk_tls_boot(void);
uint64_t uk_tls_boot_tp(void);
/* A thread's %fs base, set when it next runs (and now when it is running). */
void uk_tls_set_thread(struct uk_thread *t, uint64_t tp);

#endif
