/*
 * Signals (signal.c), numbered and laid out as Linux does. The library OS
 * delivers them:
 *  - on the way back from a system call (link mode: in the newlib glue's
 *    uk_ret(), so a blocking call interrupted with EINTR has run the
 *    handler before the program sees the error),
 *  - when an interrupt finds the thread in its own code (a spinning loop
 *    gets its SIGALRM), through a trampoline on the thread's stack,
 *  - for faults in the program's code (SIGSEGV, SIGFPE, SIGILL, SIGBUS),
 *    from the exception handler, the same way.
 * Default actions: terminate (status 128 + N, one line on stderr), ignore,
 * or stop the process (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU: signal_stop.c).
 */
#ifndef UK_SIGNAL_H
#define UK_SIGNAL_H

#include <stdint.h>
#include <uk/arch.h>
#include <uk/sched.h>
#include <uk/syscall.h>

/* si_code values (asm-generic/siginfo.h). */
#define UK_SI_USER 0
#define UK_SI_KERNEL 0x80
#define UK_SI_TIMER (-2)
#define UK_SI_TKILL (-6)

/* Send sig to thread t (NULL: to the process, i.e. to some thread that
 * does not block it). Ignored signals are dropped, default-terminate ones
 * end the program here. Safe in interrupt context. 0 or -EINVAL. */
int uk_signal_send(struct uk_thread *t, int sig, int code, int pid, uint64_t addr);

/* A POSIX timer (sys/sys_timer.c) of process p expired: queue its signal
 * for p, or for p's thread t, with the timer's id, value and the
 * expirations it missed. When the signal it queued before is still
 * pending, that one's overrun count grows instead (POSIX: one signal per
 * timer at a time). Safe in interrupt context. Returns the overrun count
 * the pending signal now carries. */
int uk_signal_timer(struct uk_proc *p, struct uk_thread *t, int sig, int id, uint64_t value,
                    int missed);
/* Whether that timer's signal is still pending (not yet taken). */
int uk_signal_timer_pending(struct uk_proc *p, struct uk_thread *t, int sig, int id);
/* That timer was deleted: its pending signal goes, as Linux drops it
 * (a later timer given the same id must not count its overruns there). */
void uk_signal_timer_cancel(struct uk_proc *p, struct uk_thread *t, int sig, int id);

/* A signal with the siginfo a program gave (rt_sigqueueinfo,
 * pidfd_send_signal): to thread t of p, or to p when t is NULL. As
 * uk_signal_send. */
int uk_signal_queue(struct uk_proc *p, struct uk_thread *t, int sig, const struct uk_sigrec *rec);

/* Every pending and queued signal of thread t and of process p (either
 * may be NULL) dropped: t or p is ending. */
void uk_sig_drop_all(struct uk_thread *t, struct uk_proc *p);
/* p has ended (a zombie, its children handed on to process 1): the
 * process groups that were joined to another group of their session only
 * through it (its own, by its parent; its children's groups in its
 * session other than its own, by itself: the first `moved` of process
 * 1's children) get SIGHUP and SIGCONT if that orphaned them with a
 * member stopped, as on Linux. */
void uk_sig_orphans(struct uk_proc *p, int moved);
/* Whether process group pgid is orphaned (POSIX): no living member has
 * its parent in another group of the same session. Its members ignore
 * SIGTSTP, SIGTTIN and SIGTTOU at their default action, and a terminal
 * refuses their background reads (EIO) instead of stopping them. */
int uk_pgrp_orphaned(int pgid);
/* Real-time signals queued behind a pending one, in the VM. */
unsigned uk_sig_queued(void);

/* Take the lowest signal in want pending for thread t or its process
 * (interrupts disabled): its number and why it was sent, or 0. For
 * sigtimedwait and signalfd. */
int uk_sig_dequeue(struct uk_thread *t, uint64_t want, struct uk_sigrec *rec);

/* Deliver what is pending and unblocked for the running thread, calling
 * handlers from here (a function-call boundary of the program, so no
 * register needs saving). Returns how many handlers ran. Called by
 * uk_attention_work(). */
int uk_signal_deliver(void);

/* Whether the running thread has a signal to take now (pending, not
 * blocked), or its process is ending. */
int uk_signal_waiting(void);

/* The system-call exit check (newlib glue): deliver signals, honour the
 * end of a time slice. Only called when uk_attention is set. */
void uk_attention_work(void);

/* After a call failed with EINTR: 1 when every signal now pending for the
 * running thread is handled with SA_RESTART or ignored, so the call should
 * be made again once they are delivered (what Linux does for read, write,
 * accept, futex waits and the like; never for sleeps, poll or sigsuspend). */
int uk_signal_restartable(void);

/* UK_CALL for a call SA_RESTART applies to: handlers run, then the call is
 * made again, instead of failing with EINTR (4, Linux's). */
#define UK_CALL_RESTART(name, a0, a1, a2, a3, a4, a5)                         \
	({                                                                    \
		long __r;                                                     \
		while ((__r = UK_CALL(name, a0, a1, a2, a3, a4, a5)) == -4 && \
		       uk_signal_restartable())                               \
			uk_attention_work();                                  \
		__r;                                                          \
	})

/* Hooks for the architecture code. From the interrupt path, once the
 * handler ran: preempt or deliver a signal when the interrupted code is the
 * program's. From the exception handler: 1 if the fault became a signal
 * for a handler the program installed (the exception then returns into
 * it), 0 to go on with the crash report. */
void uk_intr_exit(struct uk_regs *r);
int uk_signal_fault(struct uk_regs *r, int sig, uint64_t addr);

/* A Linux program (binary mode, signal_linux.c): signals reach it
 * through frames on its stack as on Linux, and nothing else of the library
 * OS is ever written there.
 *  - uk_linux_code: rip lies in a Linux program's code (the lower half).
 *  - uk_linux_interrupted: from uk_intr_exit, an interrupt found it there
 *    with work to do: the interrupt returns into a trampoline on the
 *    thread's library OS stack instead, which yields and delivers.
 *  - uk_linux_fault: a fault of its code to its handler: r now enters it
 *    (1), or 0 when no frame fits (the fault stays fatal).
 *  - uk_linux_signals: the way out of a system call (nr; -1 for none),
 *    interrupts on: yield if the slice is over, make an interrupted call
 *    again (SA_RESTART), and set up a frame in r for each signal to handle.
 *  - uk_linux_sigreturn: rt_sigreturn, r the call's frame: r becomes the
 *    context the frame holds, to be resumed with every register
 *    (uk_arch_frame_enter), not through the system call's way out. */
int uk_linux_code(uint64_t rip);
void uk_linux_interrupted(struct uk_regs *r);
int uk_linux_fault(struct uk_regs *r, int sig, const struct uk_sigrec *rec);
void uk_linux_signals(struct uk_regs *r, long nr);
void uk_linux_sigreturn(struct uk_regs *r);

/* After a wait under a temporary mask (sigsuspend, ppoll, pselect6,
 * epoll_pwait) ended with EINTR: deliver what ended it while that mask is
 * in force, then go back to saved. Link mode runs the handlers here; a
 * Linux program's run on the way out of its system call, and saved is
 * what their frame restores. */
void uk_signal_deliver_masked(uint64_t saved);

/* Whether rip lies in the program's own code (preemptible). */
int uk_app_code(uint64_t rip);

/* Signal name ("SIGSEGV") or NULL. */
const char *uk_signal_name(int sig);

#endif
