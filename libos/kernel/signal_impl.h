/*
 * What signal.c (dispositions, masks, link-mode delivery) shares with
 * signal_linux.c (delivery to a Linux program through a frame on its
 * stack, and rt_sigreturn). Private to those files.
 */
#ifndef UK_SIGNAL_IMPL_H
#define UK_SIGNAL_IMPL_H

#include <stdint.h>
#include <uk/sched.h>
#include <uk/proc.h>
#include <uk/signal.h>

#include <asm/siginfo.h>

#define BIT(sig) (1ull << ((sig)-1))
#define UNBLOCKABLE (BIT(SIGKILL) | BIT(SIGSTOP))
/* Ignored by default. */
#define DFL_IGNORE (BIT(SIGCHLD) | BIT(SIGCONT) | BIT(SIGURG) | BIT(SIGWINCH))
/* Stop the process by default (signal_stop.c). */
#define STOP_SIGS (BIT(SIGSTOP) | BIT(SIGTSTP) | BIT(SIGTTIN) | BIT(SIGTTOU))

/* The running process's dispositions, by signal number. */
#define uk_sig_actions (uk_proc_cur->sig_actions)

/* Take the lowest deliverable signal of the running thread (synchronous
 * ones first) and why it was sent. 0: none. */
int uk_sig_take(struct uk_sigrec *rec);

void uk_sig_fill_info(siginfo_t *si, int sig, const struct uk_sigrec *rec);

/* sig's default action for the running process: ignore, stop, or
 * terminate (uk_sig_terminate). */
void uk_sig_default(int sig);

/* The default action "terminate", with the line a shell would show. */
__attribute__((noreturn)) void uk_sig_terminate(int sig);

/* Whether sp lies on t's alternate signal stack. */
int uk_sig_on_altstack(const struct uk_thread *t, uint64_t sp);

/* The pages [lo, hi) are there, committing stack or mmap pages as the #PF
 * handler would; 0 when some page cannot be. */
int uk_sig_committed(uint64_t lo, uint64_t hi);

/* ---- job control (signal_stop.c) ---- */

/* Sending sig to p: SIGCONT continues p and drops its pending stop
 * signals; a stop signal drops a pending SIGCONT. */
void uk_sig_job_control(struct uk_proc *p, int sig);
/* Whether sig, a stop signal at its default action, does nothing to p
 * (process 1, or an orphaned group's SIGTSTP/SIGTTIN/SIGTTOU). */
int uk_sig_stop_ignored(const struct uk_proc *p, int sig);
/* Stop p by sig (its default action) and tell its parent. */
void uk_sig_stop(struct uk_proc *p, int sig);
/* The running thread's process is stopped: wait until it is continued, is
 * ending, or has SIGKILL pending. */
void uk_sig_park(void);

#endif
