/*
 * Job control (signal.c's stop and continue): SIGSTOP, and SIGTSTP,
 * SIGTTIN and SIGTTOU at their default action, stop a whole process;
 * SIGCONT continues it, whatever its disposition or mask; its parent
 * learns of both (wait's WUNTRACED/WSTOPPED and WCONTINUED, SIGCHLD with
 * CLD_STOPPED or CLD_CONTINUED unless it asked SA_NOCLDSTOP).
 *
 * A stop takes effect when it is sent (Linux: when a thread of the
 * process takes the signal, which on one vCPU is the same moment for a
 * thread that runs): the process is marked stopped and its parent told at
 * once; each of its threads parks on its way back to the program (a
 * system call's end, an interrupt in its code) until the process is
 * continued or killed. A thread blocked in a call stays in it, as if the
 * call had not ended yet, and parks when it ends: no call fails with
 * EINTR because of a stop (Linux restarts them too).
 *
 * Process 1 never stops: stop signals at their default action from inside
 * the container do nothing to Linux's container init either (and nothing
 * would continue the VM). SIGTSTP, SIGTTIN and SIGTTOU do nothing to a
 * process in an orphaned group (no member's parent in another group of
 * the session), as on Linux: nobody would continue it. A group that an
 * exit orphans while a member is stopped gets SIGHUP and SIGCONT
 * (Linux's kill_orphaned_pgrp): a shell that ends leaves no job stopped
 * for ever.
 */
#include <uk/libc.h>
#include <uk/proc.h>
#include <uk/sched.h>
#include <uk/signal.h>

#include "signal_impl.h"

#include <asm/siginfo.h>
#include <linux/signal.h>

/* Linux's will_become_orphaned_pgrp: no living member has its parent in
 * another group of the same session. */
int uk_pgrp_orphaned(int pgid)
{
	for (struct uk_proc *q = uk_procs; q; q = q->all_next)
		if (q->pgid == pgid && q->state == UK_P_ALIVE && q->parent &&
		    q->parent->pgid != pgid && q->parent->sid == q->sid)
			return 0;
	return 1;
}

/* SIGHUP, then SIGCONT, to every member of group pgid when the group is
 * orphaned and one of them is stopped. */
static void hup_if_stopped(int pgid)
{
	struct uk_proc *q;

	for (q = uk_procs; q && !(q->pgid == pgid && q->state == UK_P_ALIVE && q->stopped);
	     q = q->all_next)
		;
	if (!q || !uk_pgrp_orphaned(pgid))
		return;
	for (q = uk_procs; q; q = q->all_next) {
		if (q->pgid == pgid && q->state == UK_P_ALIVE) {
			uk_proc_signal(q, SIGHUP, UK_SI_KERNEL, 0);
			uk_proc_signal(q, SIGCONT, UK_SI_KERNEL, 0);
		}
	}
}

void uk_sig_orphans(struct uk_proc *p, int moved)
{
	struct uk_proc *c = uk_proc_init.children;

	if (p->parent && p->parent->pgid != p->pgid && p->parent->sid == p->sid)
		hup_if_stopped(p->pgid);
	/* (a group seen again has no member stopped any more: nothing twice) */
	for (; c && moved--; c = c->sibling)
		if (c->state == UK_P_ALIVE && c->pgid != p->pgid && c->sid == p->sid)
			hup_if_stopped(c->pgid);
}

int uk_sig_stop_ignored(const struct uk_proc *p, int sig)
{
	if (!(STOP_SIGS & BIT(sig)) || p->sig_actions[sig].handler != (uint64_t)SIG_DFL)
		return 0;
	return p->pid == 1 || (sig != SIGSTOP && uk_pgrp_orphaned(p->pgid));
}

static void drop_pending(struct uk_proc *p, uint64_t sigs)
{
	p->sig_pending &= ~sigs;
	for (struct uk_thread *t = uk_threads; t; t = t->all_next)
		if (t->proc == p)
			t->sig_pending &= ~sigs;
}

/* The parent hears of a stop or a continue, unless it asked not to by
 * SA_NOCLDSTOP; its wait looks again either way. */
static void tell_parent(struct uk_proc *p, int code, int status)
{
	struct uk_proc *parent = p->parent;

	if (!parent)
		return;
	if (!(parent->sig_actions[SIGCHLD].flags & SA_NOCLDSTOP))
		uk_proc_child_signal(parent, SIGCHLD, code, p->pid, status);
	uk_wq_wake(&parent->child_wq, -1);
}

void uk_sig_stop(struct uk_proc *p, int sig)
{
	int on;

	if (p->stopped || p->exiting || p->state != UK_P_ALIVE || uk_sig_stop_ignored(p, sig))
		return;
	on = uk_irq_save();
	p->stopped = 1;
	p->stop_sig = sig;
	p->wait_report = UK_WAIT_STOPPED;
	/* (another process's threads look when they are switched in) */
	uk_attention_update();
	uk_irq_restore(on);
	tell_parent(p, CLD_STOPPED, sig);
}

void uk_sig_job_control(struct uk_proc *p, int sig)
{
	if (STOP_SIGS & BIT(sig)) {
		drop_pending(p, BIT(SIGCONT));
		return;
	}
	if (sig != SIGCONT)
		return;
	drop_pending(p, STOP_SIGS);
	if (!p->stopped)
		return;
	p->stopped = 0;
	p->wait_report = UK_WAIT_CONTINUED;
	uk_wq_wake(&p->stop_wq, -1);
	tell_parent(p, CLD_CONTINUED, SIGCONT);
}

void uk_sig_park(void)
{
	struct uk_thread *t = uk_current;
	struct uk_proc *p = t->proc;
	int on = uk_irq_save();

	while (p->stopped && !p->exiting && !((t->sig_pending | p->sig_pending) & BIT(SIGKILL)))
		uk_wq_wait(&p->stop_wq, 0);
	uk_irq_restore(on);
}
