/*
 * Signals (uk/signal.h has the delivery points): dispositions and a
 * pending set per process (uk/proc.h), a mask and pending set per thread,
 * and the trampoline through which an interrupt or a fault makes
 * the program run a handler (or yield, at the end of its time slice) and
 * then resume the interrupted instruction.
 *
 * Simplifications, documented: one pending instance per signal (real-time
 * signals are not queued). Stop and continue: signal_stop.c. SA_RESTART needs the call's arguments
 * to make the call again, which only its caller has: link-mode glue does it with UK_CALL_RESTART
 * (uk/signal.h); a call made with plain UK_CALL fails with EINTR after the handler ran.
 */
#include <uk/arch.h>
#include <uk/cpu.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/paging.h>
#include <uk/plat.h>
#include <uk/print.h>
#include <uk/proc.h>
#include <uk/sched.h>
#include <uk/signal.h>
#include <uk/syscall.h>
#include <uk/time.h>
#include <uk/timespec.h>
#include <uk/vm.h>

#include "signal_impl.h"

#include <asm/siginfo.h>
#include <asm/sigcontext.h>
#include <asm/ucontext.h>
#include <linux/signal.h>

extern char __uk_app_text[], __uk_app_text_end[];

static const char *const names[UK_NSIG + 1] = {
	[SIGHUP] = "SIGHUP",       [SIGINT] = "SIGINT",       [SIGQUIT] = "SIGQUIT",
	[SIGILL] = "SIGILL",       [SIGTRAP] = "SIGTRAP",     [SIGABRT] = "SIGABRT",
	[SIGBUS] = "SIGBUS",       [SIGFPE] = "SIGFPE",       [SIGKILL] = "SIGKILL",
	[SIGUSR1] = "SIGUSR1",     [SIGSEGV] = "SIGSEGV",     [SIGUSR2] = "SIGUSR2",
	[SIGPIPE] = "SIGPIPE",     [SIGALRM] = "SIGALRM",     [SIGTERM] = "SIGTERM",
	[SIGSTKFLT] = "SIGSTKFLT", [SIGCHLD] = "SIGCHLD",     [SIGCONT] = "SIGCONT",
	[SIGSTOP] = "SIGSTOP",     [SIGTSTP] = "SIGTSTP",     [SIGTTIN] = "SIGTTIN",
	[SIGTTOU] = "SIGTTOU",     [SIGURG] = "SIGURG",       [SIGXCPU] = "SIGXCPU",
	[SIGXFSZ] = "SIGXFSZ",     [SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF",
	[SIGWINCH] = "SIGWINCH",   [SIGIO] = "SIGIO",         [SIGPWR] = "SIGPWR",
	[SIGSYS] = "SIGSYS",
};

const char *uk_signal_name(int sig) { return sig > 0 && sig <= UK_NSIG ? names[sig] : NULL; }

/* The program's code: in link mode the text uk.ld puts after the library
 * OS and the C library; anything in the lower half is a loaded Linux
 * program's (the library OS lives in the upper half). */
int uk_app_code(uint64_t rip)
{
	return rip < (1ull << 47) ||
	       (rip >= (uint64_t)__uk_app_text && rip < (uint64_t)__uk_app_text_end);
}

/* The default action "terminate": for process 1 the VM ends with the
 * status a shell reports (and says so); another process ends with the
 * signal in its wait status, for its parent (a shell) to report. */
__attribute__((noreturn)) void uk_sig_terminate(int sig)
{
	const char *n = uk_signal_name(sig);

	if (uk_proc_cur->pid != 1 || uk_proc_cur->exiting)
		uk_proc_exit(sig);

	if (uk_plat.flags & UK_PF_QUIET_END)
		; /* a container's: its stderr is the program's (podman logs) */
	else if (n)
		uk_pr("killed by %s (signal %d): exit status %d", n, sig, 128 + sig);
	else
		uk_pr("killed by signal %d: exit status %d", sig, 128 + sig);
	uk_plat_exit(128 + sig);
}

static int ignored_by(const struct uk_proc *p, int sig)
{
	uint64_t h = p->sig_actions[sig].handler;

	return h == (uint64_t)SIG_IGN || (h == (uint64_t)SIG_DFL && (DFL_IGNORE & BIT(sig))) ||
	       uk_sig_stop_ignored(p, sig);
}

static int ignored(int sig) { return ignored_by(uk_proc_cur, sig); }

static uint64_t deliverable(const struct uk_thread *t)
{
	if (!(t->flags & UK_TF_APP))
		return 0;
	if (t->proc->exiting) /* exit_group or a fatal signal: the thread ends */
		return BIT(SIGKILL);
	return (t->sig_pending | t->proc->sig_pending) & ~t->sig_blocked;
}

/* Its process is stopped: it parks on its way back to the program. */
static int must_park(const struct uk_thread *t)
{
	return (t->flags & UK_TF_APP) && t->proc->stopped;
}

void uk_attention_update(void)
{
	uk_attention = uk_need_resched || deliverable(uk_current) || must_park(uk_current);
}

int uk_signal_waiting(void) { return deliverable(uk_current) != 0; }

/* Whether t, a live thread of p, may take p's signal sig now. */
static int takes(const struct uk_thread *t, const struct uk_proc *p, int sig)
{
	return (t->flags & UK_TF_APP) && t->proc == p && t->state != UK_T_EXITED &&
	       !(t->sig_blocked & BIT(sig));
}

/* A thread of p to take a process-directed signal, in Linux's order: its
 * main thread (tid = pid) unless that blocks it or has another signal to
 * take (a program waiting there, as python's main thread for its
 * handlers, is woken), else the running one, else any not blocking it. */
static struct uk_thread *pick(struct uk_proc *p, int sig)
{
	if (uk_current->tid == p->pid && takes(uk_current, p, sig))
		return uk_current; /* its main thread, running */
	for (struct uk_thread *t = uk_threads; t; t = t->all_next)
		if (t->tid == p->pid) {
			if (takes(t, p, sig) && (t == uk_current || !deliverable(t)))
				return t;
			break;
		}
	if (takes(uk_current, p, sig))
		return uk_current;
	for (struct uk_thread *t = uk_threads; t; t = t->all_next)
		if (takes(t, p, sig))
			return t;
	return NULL;
}

/* Blocked (the running thread too, when the idle loop took an interrupt):
 * its call returns EINTR, and delivery follows on the way out. */
static void notify(struct uk_thread *t)
{
	if (t->state == UK_T_BLOCKED)
		uk_thread_wake(t, -EINTR);
	else if (t == uk_current)
		uk_attention = 1;
}

/* ---- real-time signals queue ----
 *
 * A standard signal sent while it is pending merges with it; a real-time
 * one (UK_SIGRTMIN and above) queues as on Linux: each instance is taken
 * and handled, with its own siginfo, in the order sent. The pending one
 * stays in sig_pending/sig_info; those after it wait in the thread's or
 * process's list, and the next becomes the pending one when it is taken. */
struct uk_sigq {
	struct uk_sigq *next;
	int sig;
	struct uk_sigrec rec;
};

static unsigned queued; /* in every list: UK_SIGQUEUE_MAX at most */

/* Pend sig (interrupts off): set its bit and record, or queue it behind
 * the pending one. 0, or -EAGAIN when the queue is full (for kill's
 * SI_USER the pending instance stands for it, as on Linux: 0). */
static int post(uint64_t *pending, struct uk_sigrec *info, struct uk_sigq **q, int sig,
                const struct uk_sigrec *rec)
{
	struct uk_sigq *e;

	if (sig < UK_SIGRTMIN || !(*pending & BIT(sig))) {
		*pending |= BIT(sig);
		info[sig - 1] = *rec;
		return 0;
	}
	/* (a timer's instance is never refused: Linux keeps one for it) */
	if ((queued >= UK_SIGQUEUE_MAX && rec->code != UK_SI_TIMER) ||
	    !(e = uk_kmalloc(sizeof(*e))))
		return rec->code == UK_SI_USER ? 0 : -EAGAIN;
	e->next = NULL;
	e->sig = sig;
	e->rec = *rec;
	while (*q)
		q = &(*q)->next;
	*q = e;
	queued++;
	return 0;
}

/* Unlink *q, its instance gone. */
static void unqueue(struct uk_sigq **q)
{
	struct uk_sigq *e = *q;

	*q = e->next;
	uk_kfree(e);
	queued--;
}

/* sig's pending instance was taken (or dropped): the next queued one is
 * pending now, else none. */
static void took(uint64_t *pending, struct uk_sigrec *info, struct uk_sigq **q, int sig)
{
	*pending &= ~BIT(sig);
	for (; *q; q = &(*q)->next) {
		if ((*q)->sig == sig) {
			info[sig - 1] = (*q)->rec;
			*pending |= BIT(sig);
			unqueue(q);
			return;
		}
	}
}

/* Every instance of sig dropped (0: of every signal). */
static void drop(uint64_t *pending, struct uk_sigq **q, int sig)
{
	*pending &= sig ? ~BIT(sig) : 0;
	while (*q) {
		if (!sig || (*q)->sig == sig)
			unqueue(q);
		else
			q = &(*q)->next;
	}
}

unsigned uk_sig_queued(void) { return queued; }

void uk_sig_drop_all(struct uk_thread *t, struct uk_proc *p)
{
	int on = uk_irq_save();

	if (t)
		drop(&t->sig_pending, &t->sig_queue, 0);
	if (p)
		drop(&p->sig_pending, &p->sig_queue, 0);
	uk_irq_restore(on);
}

/* A signal for process p, or for its thread t. Process 1 is ended at once
 * by a signal nothing catches (as before there were processes: the VM
 * ends); another process when its thread next leaves the library OS,
 * never from here (this may be an interrupt, or another process). */
static int send(struct uk_proc *p, struct uk_thread *t, int sig, const struct uk_sigrec *rec)
{
	struct uk_thread *target;
	int on, blocked, r, now = p->pid == 1 && p == uk_proc_cur;

	if (sig < 1 || sig > UK_NSIG)
		return -EINVAL;
	if (p->state != UK_P_ALIVE || p->exiting)
		return 0;
	if (sig == SIGKILL && now)
		uk_sig_terminate(sig);
	on = uk_irq_save();
	uk_sig_job_control(p, sig);
	target = t ? t : pick(p, sig);
	blocked = t ? !!(t->sig_blocked & BIT(sig)) : !target;
	if (!blocked && ignored_by(p, sig)) {
		/* dropped, as Linux does; a blocked one stays pending, since
		 * the disposition may change before it is unblocked */
		uk_irq_restore(on);
		return 0;
	}
	if (!blocked && (STOP_SIGS & BIT(sig)) &&
	    p->sig_actions[sig].handler == (uint64_t)SIG_DFL) {
		uk_sig_stop(p, sig); /* at once: no thread needs to wake */
		uk_irq_restore(on);
		return 0;
	}
	if (!blocked && now && uk_sig_actions[sig].handler == (uint64_t)SIG_DFL)
		uk_sig_terminate(sig); /* nothing catches it */
	if (t)
		r = post(&t->sig_pending, t->sig_info, &t->sig_queue, sig, rec);
	else
		r = post(&p->sig_pending, p->sig_info, &p->sig_queue, sig, rec);
	if (!r && !blocked)
		notify(target);
	if (!r)
		uk_wq_wake(&p->sig_wq, -1); /* signalfd readers and pollers */
	uk_irq_restore(on);
	return r;
}

int uk_signal_send(struct uk_thread *t, int sig, int code, int pid, uint64_t addr)
{
	struct uk_sigrec rec = { .code = code, .pid = pid, .addr = addr };

	return send(t ? t->proc : uk_proc_cur, t, sig, &rec);
}

int uk_proc_signal(struct uk_proc *p, int sig, int code, int pid)
{
	struct uk_sigrec rec = { .code = code, .pid = pid };

	return send(p, NULL, sig, &rec);
}

int uk_proc_child_signal(struct uk_proc *parent, int sig, int code, int pid, int status)
{
	struct uk_sigrec rec = { .code = code, .pid = pid, .addr = (uint64_t)status };

	return send(parent, NULL, sig, &rec);
}

int uk_signal_queue(struct uk_proc *p, struct uk_thread *t, int sig, const struct uk_sigrec *rec)
{
	return send(p, t, sig, rec);
}

/* The record of timer id's pending instance of sig (pending or queued),
 * or NULL; *q its list entry when queued (interrupts off). */
static struct uk_sigrec *timer_rec(struct uk_proc *p, struct uk_thread *t, int sig, int id,
                                   struct uk_sigq ***qe)
{
	struct uk_sigrec *info = t ? t->sig_info : p->sig_info;
	uint64_t pending = t ? t->sig_pending : p->sig_pending;
	struct uk_sigq **q = t ? &t->sig_queue : &p->sig_queue;

	*qe = NULL;
	if (!(pending & BIT(sig)))
		return NULL;
	if (info[sig - 1].code == UK_SI_TIMER && info[sig - 1].pid == id)
		return &info[sig - 1];
	for (; *q; q = &(*q)->next) {
		if ((*q)->sig == sig && (*q)->rec.code == UK_SI_TIMER && (*q)->rec.pid == id) {
			*qe = q;
			return &(*q)->rec;
		}
	}
	return NULL;
}

int uk_signal_timer(struct uk_proc *p, struct uk_thread *t, int sig, int id, uint64_t value,
                    int missed)
{
	struct uk_sigrec rec = { .code = UK_SI_TIMER, .pid = id, .addr = value, .overrun = missed };
	struct uk_sigq **qe;
	struct uk_sigrec *q;
	int on = uk_irq_save();

	if ((q = timer_rec(p, t, sig, id, &qe))) {
		/* saturates as Linux's does (at INT_MAX) */
		q->overrun =
		    q->overrun > 0x7fffffff - 1 - missed ? 0x7fffffff : q->overrun + 1 + missed;
		missed = q->overrun;
	} else {
		send(p, t, sig, &rec);
	}
	uk_irq_restore(on);
	return missed;
}

int uk_signal_timer_pending(struct uk_proc *p, struct uk_thread *t, int sig, int id)
{
	struct uk_sigq **qe;
	int on = uk_irq_save();
	int r = timer_rec(p, t, sig, id, &qe) != NULL;

	uk_irq_restore(on);
	return r;
}

void uk_signal_timer_cancel(struct uk_proc *p, struct uk_thread *t, int sig, int id)
{
	struct uk_sigq **qe;
	int on = uk_irq_save();

	if (timer_rec(p, t, sig, id, &qe)) {
		if (qe)
			unqueue(qe);
		else if (t)
			took(&t->sig_pending, t->sig_info, &t->sig_queue, sig);
		else
			took(&p->sig_pending, p->sig_info, &p->sig_queue, sig);
	}
	uk_irq_restore(on);
}

/* The running thread's process is ending: SIGKILL stands for that. */
static int exiting(struct uk_sigrec *rec)
{
	if (!(uk_current->flags & UK_TF_APP) || !uk_current->proc->exiting)
		return 0;
	*rec = (struct uk_sigrec){ .code = SI_KERNEL };
	return SIGKILL;
}

/* Take the lowest deliverable signal of the running thread (synchronous
 * signals SEGV, BUS, ILL, FPE, TRAP first, as Linux does). 0: none. */
int uk_sig_take(struct uk_sigrec *rec)
{
	struct uk_thread *t = uk_current;
	const uint64_t sync = BIT(SIGSEGV) | BIT(SIGBUS) | BIT(SIGILL) | BIT(SIGFPE) | BIT(SIGTRAP);
	int on, sig = 0;
	uint64_t mine, proc, any;

	if ((sig = exiting(rec)))
		return sig;
	if (!(t->flags & UK_TF_APP))
		return 0;
	on = uk_irq_save();
	mine = t->sig_pending & ~t->sig_blocked;
	proc = t->proc->sig_pending & ~t->sig_blocked;
	any = mine | proc;

	if (any) {
		sig = __builtin_ctzll(any & sync ? any & sync : any) + 1;
		if (mine & BIT(sig)) {
			*rec = t->sig_info[sig - 1];
			took(&t->sig_pending, t->sig_info, &t->sig_queue, sig);
		} else {
			*rec = t->proc->sig_info[sig - 1];
			took(&t->proc->sig_pending, t->proc->sig_info, &t->proc->sig_queue, sig);
		}
	}
	uk_irq_restore(on);
	return sig;
}

int uk_sig_on_altstack(const struct uk_thread *t, uint64_t sp)
{
	return t->altstack_size && sp - t->altstack_sp < t->altstack_size;
}

void uk_sig_fill_info(siginfo_t *si, int sig, const struct uk_sigrec *rec)
{
	uk_memset(si, 0, sizeof(*si));
	si->si_signo = sig;
	si->si_code = rec->code;
	if (rec->code == SI_USER || rec->code == SI_TKILL) {
		si->si_pid = rec->pid;
		si->si_uid = uk_current_euid();
	} else if (sig == SIGCHLD && rec->code > 0) { /* CLD_*: a child's change */
		si->si_pid = rec->pid;
		si->si_uid = uk_current_euid();
		si->si_status = (int)rec->addr;
	} else if (rec->code == UK_SI_TIMER) {
		/* Linux's _timer member: si_tid, si_overrun, si_value at the
		 * offsets of _rt's si_pid, si_uid, si_value */
		si->si_pid = rec->pid;
		si->si_uid = (unsigned)rec->overrun;
		si->si_ptr = (void *)rec->addr;
	} else if (rec->code < 0) { /* SI_QUEUE and the like: the sender's */
		si->si_pid = rec->pid;
		si->si_uid = rec->uid;
		si->si_ptr = (void *)rec->addr;
	} else if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
	           sig == SIGTRAP) {
		si->si_addr = (void *)rec->addr;
	}
}

/* The interrupted context of a trampoline run (see redirect()). */
struct intr_ctx {
	uint64_t r[15]; /* r15 .. rax, as struct uk_regs */
	uint64_t rflags, rip, rsp;
	int sig; /* a fault to deliver first; 0: none */
	struct uk_sigrec rec;
	uint8_t *fpu; /* the program's FPU state while handlers run */
};

static void ctx_to_mcontext(const struct intr_ctx *c, struct sigcontext *m)
{
	const struct uk_regs *r = (const void *)c->r;

	m->r8 = r->r8, m->r9 = r->r9, m->r10 = r->r10, m->r11 = r->r11;
	m->r12 = r->r12, m->r13 = r->r13, m->r14 = r->r14, m->r15 = r->r15;
	m->rdi = r->rdi, m->rsi = r->rsi, m->rbp = r->rbp, m->rbx = r->rbx;
	m->rdx = r->rdx, m->rax = r->rax, m->rcx = r->rcx, m->rsp = c->rsp;
	m->rip = c->rip, m->eflags = c->rflags;
	m->trapno = c->sig ? c->rec.code : 0;
	m->cr2 = c->sig == SIGSEGV ? c->rec.addr : 0;
}

/* A handler may change the registers it resumes with (not %rsp). */
static void mcontext_to_ctx(const struct sigcontext *m, struct intr_ctx *c)
{
	struct uk_regs *r = (void *)c->r;

	r->r8 = m->r8, r->r9 = m->r9, r->r10 = m->r10, r->r11 = m->r11;
	r->r12 = m->r12, r->r13 = m->r13, r->r14 = m->r14, r->r15 = m->r15;
	r->rdi = m->rdi, r->rsi = m->rsi, r->rbp = m->rbp, r->rbx = m->rbx;
	r->rdx = m->rdx, r->rax = m->rax, r->rcx = m->rcx;
	c->rip = m->rip;
	c->rflags = (c->rflags & ~0xcd5ul) | (m->eflags & 0xcd5ul); /* arithmetic flags, DF */
}

/* Run sig's handler now, with its mask, on the alternate stack if asked;
 * the thread's mask is what the handler leaves in uc_sigmask afterwards. */
static void run_handler(int sig, const struct uk_sigrec *rec, struct intr_ctx *c)
{
	struct uk_thread *t = uk_current;
	struct ksigaction act = uk_sig_actions[sig];
	siginfo_t info;
	struct ucontext uc;
	uint64_t sp = (uint64_t)__builtin_frame_address(0);

	uk_sig_fill_info(&info, sig, rec);
	uk_memset(&uc, 0, sizeof(uc));
	uc.uc_sigmask = t->sig_blocked;
	uc.uc_stack.ss_sp = (void *)t->altstack_sp;
	uc.uc_stack.ss_size = t->altstack_size;
	uc.uc_stack.ss_flags = t->altstack_flags;
	if (c)
		ctx_to_mcontext(c, &uc.uc_mcontext);
	if (act.flags & SA_RESETHAND)
		uk_sig_actions[sig].handler = (uint64_t)SIG_DFL;
	t->sig_blocked |= (act.mask | (act.flags & SA_NODEFER ? 0 : BIT(sig))) & ~UNBLOCKABLE;
	if ((act.flags & SA_ONSTACK) && t->altstack_size && !uk_sig_on_altstack(t, sp))
		uk_call_on_stack(act.handler, sig, &info, &uc,
		                 (t->altstack_sp + t->altstack_size) & ~15ul);
	else
		((void (*)(int, siginfo_t *, void *))act.handler)(sig, &info, &uc);
	t->sig_blocked = uc.uc_sigmask & ~UNBLOCKABLE;
	if (c)
		mcontext_to_ctx(&uc.uc_mcontext, c);
}

void uk_sig_default(int sig)
{
	if (STOP_SIGS & BIT(sig))
		uk_sig_stop(uk_proc_cur, sig);
	else if (!(DFL_IGNORE & BIT(sig)))
		uk_sig_terminate(sig);
}

/* What happens to one signal taken for delivery. */
static int act_on(int sig, const struct uk_sigrec *rec, struct intr_ctx *c)
{
	uint64_t h = uk_sig_actions[sig].handler;

	if (h == (uint64_t)SIG_IGN)
		return 0;
	if (h == (uint64_t)SIG_DFL) {
		uk_sig_default(sig);
		return 0;
	}
	run_handler(sig, rec, c);
	return 1;
}

static int deliver_all(struct intr_ctx *c)
{
	struct uk_sigrec rec;
	int sig, n = 0;

	while ((sig = uk_sig_take(&rec)))
		n += act_on(sig, &rec, c);
	uk_attention_update();
	return n;
}

int uk_signal_deliver(void) { return deliver_all(NULL); }

int uk_signal_restartable(void)
{
	uint64_t d = deliverable(uk_current);

	for (int sig = 1; d; sig++, d >>= 1) {
		uint64_t h = uk_sig_actions[sig].handler;
		if ((d & 1) && h != (uint64_t)SIG_IGN &&
		    (h == (uint64_t)SIG_DFL ? !((DFL_IGNORE | STOP_SIGS) & BIT(sig))
		                            : !(uk_sig_actions[sig].flags & SA_RESTART)))
			return 0;
	}
	return 1;
}

void uk_attention_work(void)
{
	if (uk_need_resched)
		uk_sched_yield();
	if (uk_current->flags & UK_TF_APP)
		deliver_all(NULL);
	else
		uk_attention_update();
}

/* ---- the trampoline: interrupts and faults in the program's code ---- */

static void fpu_save(uint8_t *area)
{
	if (uk_xsave_mask)
		__asm__ volatile("xsave64 (%0)" : : "r"(area), "a"(-1), "d"(-1) : "memory");
	else
		__asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory");
}

static void fpu_restore(uint8_t *area)
{
	if (uk_xsave_mask)
		__asm__ volatile("xrstor64 (%0)" : : "r"(area), "a"(-1), "d"(-1) : "memory");
	else
		__asm__ volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
}

/* Called by uk_sig_trampoline on the program's stack, interrupts on:
 * yield if the slice is over, run handlers, then hand back where the
 * registers to resume with are: 15 registers, rflags, rip, just below the
 * interrupted %rsp (the trampoline pops them and returns with ret $128). */
uint64_t *uk_intr_resume(struct intr_ctx *c)
{
	uint64_t *out;

	uk_irq_enable();
	if (uk_need_resched)
		uk_sched_yield();
	if (c->sig || deliverable(uk_current)) {
		fpu_save(c->fpu);
		if (c->sig && !act_on(c->sig, &c->rec, c))
			uk_sig_terminate(c->sig); /* a fault nobody handles */
		deliver_all(c);
		fpu_restore(c->fpu);
	}
	uk_attention_update();
	out = (uint64_t *)(c->rsp - 128) - 17;
	__builtin_memmove(out, c->r, 15 * 8); /* the block may overlap c->r */
	out[15] = c->rflags;
	out[16] = c->rip;
	return out;
}

/* The pages [lo, hi) are there, committing stack or mmap pages as the #PF
 * handler would (a fault here, on the exception stack, would clobber it). */
int uk_sig_committed(uint64_t lo, uint64_t hi)
{
	for (uint64_t p = lo & ~(UK_PAGE_SIZE - 1); p < hi; p += UK_PAGE_SIZE) {
		if (uk_virt_to_phys(p) == ~0ull && !uk_stack_fault(p) &&
		    !uk_vm_fault(p, 2 /* a write */))
			return 0;
		if (uk_pt_cow(p) && !uk_vm_fault(p, 3 /* a write to a present page */))
			return 0;
	}
	return 1;
}

/* Make the interrupt or exception return into uk_sig_trampoline with a
 * struct intr_ctx below the interrupted stack pointer (or at the top of
 * the alternate stack), below the 17-word block the trampoline resumes
 * from and below whatever of this handler's own frames live on that stack
 * (when the CPU delivered the trap on it). */
static int redirect(struct uk_regs *r, int sig, const struct uk_sigrec *rec, uint64_t stack_top)
{
	uint64_t here = (uint64_t)__builtin_frame_address(0), top = stack_top, lo;
	size_t need = sizeof(struct intr_ctx) + 64 + uk_xsave_size;
	struct intr_ctx *c;

	if (!top) {
		top = r->rsp - 128 - 17 * 8;
		if (here < r->rsp && r->rsp - here < (1u << 20) && here - 512 < top)
			top = here - 512;
	}
	lo = (top - need) & ~63ul;
	if (!uk_sig_committed(lo, top) ||
	    (!stack_top && !uk_sig_committed(r->rsp - 128 - 17 * 8, r->rsp)))
		return 0;
	c = (struct intr_ctx *)lo;
	uk_memcpy(c->r, r, sizeof(c->r));
	c->rflags = r->rflags;
	c->rip = r->rip;
	c->rsp = r->rsp;
	c->sig = sig;
	if (rec)
		c->rec = *rec;
	c->fpu = (uint8_t *)(((uintptr_t)(c + 1) + 63) & ~63ul);
	/* xsave leaves most of the 64-byte header alone and xrstor faults on
	 * anything but zeros there: this area is on the program's stack. */
	uk_memset(c->fpu + 512, 0, 64);
	r->rsp = lo;
	r->rip = (uint64_t)uk_sig_trampoline;
	r->rflags &= ~((1ul << 8) | (1ul << 10) | (1ul << 18)); /* TF, DF, AC: C code runs */
	return 1;
}

void uk_intr_exit(struct uk_regs *r)
{
	if (!uk_attention || !uk_app_code(r->rip))
		return;
	if (!uk_vif && !(r->rflags & (1ul << 9)))
		return; /* interrupts were off there: not a safe point */
	if (!uk_need_resched && !deliverable(uk_current) && !must_park(uk_current))
		return;
	if (uk_linux_code(r->rip))
		uk_linux_interrupted(r);
	else
		redirect(r, 0, NULL, 0);
}

static int fault_code(unsigned vec, uint64_t err)
{
	switch (vec) {
	case 0: return FPE_INTDIV;
	case 4: return FPE_INTOVF;
	case 6: return ILL_ILLOPN;
	case 1:
	case 3: return TRAP_BRKPT;
	case 14: return err & 1 ? SEGV_ACCERR : SEGV_MAPERR;
	case 16:
	case 19: return FPE_FLTINV;
	case 17: return BUS_ADRALN;
	}
	return UK_SI_KERNEL;
}

int uk_signal_fault(struct uk_regs *r, int sig, uint64_t addr)
{
	struct uk_thread *t = uk_current;
	struct ksigaction *a = &uk_sig_actions[sig];
	struct uk_sigrec rec = { .code = fault_code(r->vector, r->error), .addr = addr };
	uint64_t top = 0;

	if (!t || !(t->flags & UK_TF_APP) || !uk_app_code(r->rip) || sig < 1 || sig > UK_NSIG)
		return 0;
	/* Blocked or ignored, a fault still kills, as on Linux. */
	if (a->handler == (uint64_t)SIG_DFL || a->handler == (uint64_t)SIG_IGN ||
	    (t->sig_blocked & BIT(sig)))
		return 0;
	if (uk_linux_code(r->rip))
		return uk_linux_fault(r, sig, &rec);
	if ((a->flags & SA_ONSTACK) && t->altstack_size && !uk_sig_on_altstack(t, r->rsp))
		top = (t->altstack_sp + t->altstack_size) & ~15ul;
	return redirect(r, sig, &rec, top);
}

/* ---- system calls ---- */

UK_SYSCALL4(rt_sigaction, int, sig, const struct ksigaction *, act, struct ksigaction *, old,
            size_t, size)
{
	int on;

	if (size != sizeof(uint64_t))
		return -EINVAL;
	if (sig < 1 || sig > UK_NSIG || (act && (BIT(sig) & UNBLOCKABLE)))
		return -EINVAL;
	on = uk_irq_save();
	if (old)
		*old = uk_sig_actions[sig];
	if (act) {
		uk_sig_actions[sig] = *act;
		uk_sig_actions[sig].mask &= ~UNBLOCKABLE;
		if (ignored(sig)) { /* POSIX: pending instances are discarded */
			drop(&uk_proc_cur->sig_pending, &uk_proc_cur->sig_queue, sig);
			for (struct uk_thread *t = uk_threads; t; t = t->all_next)
				if (t->proc == uk_proc_cur)
					drop(&t->sig_pending, &t->sig_queue, sig);
		}
	}
	uk_irq_restore(on);
	return 0;
}

UK_SYSCALL4(rt_sigprocmask, int, how, const uint64_t *, set, uint64_t *, old, size_t, size)
{
	struct uk_thread *t = uk_current;
	uint64_t m;

	if (size != sizeof(uint64_t))
		return -EINVAL;
	if (set && how != SIG_BLOCK && how != SIG_UNBLOCK && how != SIG_SETMASK)
		return -EINVAL;
	if (old)
		*old = t->sig_blocked;
	if (!set)
		return 0;
	m = *set;
	if (how == SIG_BLOCK)
		m = t->sig_blocked | m;
	else if (how == SIG_UNBLOCK)
		m = t->sig_blocked & ~m;
	t->sig_blocked = m & ~UNBLOCKABLE;
	uk_attention_update(); /* newly unblocked: delivered before returning */
	return 0;
}

UK_SYSCALL2(rt_sigpending, uint64_t *, set, size_t, size)
{
	if (size > sizeof(uint64_t))
		return -EINVAL;
	if (!set)
		return -EFAULT;
	*set = (uk_current->sig_pending | uk_proc_cur->sig_pending) & uk_current->sig_blocked;
	return 0;
}

void uk_signal_deliver_masked(uint64_t saved)
{
	struct uk_thread *t = uk_current;

	if (t->uregs) { /* a Linux program's call: on its way out */
		t->sig_saved_mask = saved;
		t->sig_restore_mask = 1;
	} else {
		uk_signal_deliver();
		t->sig_blocked = saved;
	}
	uk_attention_update();
}

/* Wait with mask until a signal is delivered: handlers run with mask in
 * force, then the old mask returns. In link mode they run here, and only
 * a handler ends the wait; for a Linux program any deliverable signal does
 * (its handlers run on the way out of the call). */
static long suspend(uint64_t mask)
{
	struct uk_thread *t = uk_current;
	uint64_t old = t->sig_blocked;
	int on;

	t->sig_blocked = mask & ~UNBLOCKABLE;
	for (;;) {
		on = uk_irq_save();
		if (!deliverable(t))
			uk_sched_block(0);
		uk_irq_restore(on);
		if (uk_need_resched)
			uk_sched_yield();
		if (deliverable(t) && (t->uregs || uk_signal_deliver()))
			break;
	}
	if (t->uregs) {
		uk_signal_deliver_masked(old);
		return -EINTR;
	}
	t->sig_blocked = old;
	uk_attention_update();
	return -EINTR;
}

UK_SYSCALL2(rt_sigsuspend, const uint64_t *, mask, size_t, size)
{
	if (size != sizeof(uint64_t))
		return -EINVAL;
	if (!mask)
		return -EFAULT;
	return suspend(*mask);
}

UK_SYSCALL0(pause) { return suspend(uk_current->sig_blocked); }

int uk_sig_dequeue(struct uk_thread *t, uint64_t want, struct uk_sigrec *rec)
{
	uint64_t have = (t->sig_pending | t->proc->sig_pending) & want;
	int sig;

	if (!have)
		return 0;
	sig = __builtin_ctzll(have) + 1;
	if (t->sig_pending & BIT(sig)) {
		*rec = t->sig_info[sig - 1];
		took(&t->sig_pending, t->sig_info, &t->sig_queue, sig);
	} else {
		*rec = t->proc->sig_info[sig - 1];
		took(&t->proc->sig_pending, t->proc->sig_info, &t->proc->sig_queue, sig);
	}
	return sig;
}

UK_SYSCALL4(rt_sigtimedwait, const uint64_t *, set, siginfo_t *, info,
            const struct __kernel_timespec *, ts, size_t, size)
{
	struct uk_thread *t = uk_current;
	uint64_t want, deadline = 0;
	int r = 0, on, sig;

	if (size != sizeof(uint64_t))
		return -EINVAL;
	if (!set)
		return -EFAULT;
	if (ts && (r = uk_deadline(CLOCK_MONOTONIC, ts, 0, &deadline)))
		return r;
	want = *set & ~UNBLOCKABLE;
	for (;;) {
		struct uk_sigrec rec;
		on = uk_irq_save();
		if ((sig = uk_sig_dequeue(t, want, &rec))) {
			uk_irq_restore(on);
			if (info)
				uk_sig_fill_info(info, sig, &rec);
			uk_attention_update();
			return sig;
		}
		if (deliverable(t)) { /* another signal: its handler runs, EINTR */
			uk_irq_restore(on);
			return -EINTR;
		}
		if (ts && deadline <= uk_monotonic_ns()) {
			uk_irq_restore(on);
			return -EAGAIN;
		}
		/* a blocked signal wakes no thread: its process's queue
		 * tells */
		r = uk_wq_wait(&t->proc->sig_wq, deadline);
		uk_irq_restore(on);
		if (r == -ETIMEDOUT)
			deadline = 1;
	}
}

UK_SYSCALL2(sigaltstack, const stack_t *, ss, stack_t *, old)
{
	struct uk_thread *t = uk_current;
	uint64_t sp = (uint64_t)__builtin_frame_address(0);
	int on = uk_sig_on_altstack(t, sp);

	if (old) {
		old->ss_sp = (void *)t->altstack_sp;
		old->ss_size = t->altstack_size;
		old->ss_flags = on ? SS_ONSTACK : t->altstack_size ? 0 : SS_DISABLE;
	}
	if (!ss)
		return 0;
	if (on)
		return -EPERM;
	if (ss->ss_flags & ~(SS_DISABLE | SS_AUTODISARM))
		return -EINVAL;
	if (ss->ss_flags & SS_DISABLE) {
		t->altstack_sp = t->altstack_size = 0;
		t->altstack_flags = SS_DISABLE;
		return 0;
	}
	if (ss->ss_size < MINSIGSTKSZ)
		return -ENOMEM;
	t->altstack_sp = (uint64_t)ss->ss_sp;
	t->altstack_size = ss->ss_size;
	t->altstack_flags = ss->ss_flags;
	return 0;
}

static long thread_kill(int tgid, int tid, int sig)
{
	struct uk_thread *t;

	if (tid <= 0 || sig < 0 || sig > UK_NSIG)
		return -EINVAL;
	t = uk_thread_find(tid);
	if (!t || !(t->flags & UK_TF_APP) || (tgid && t->proc->pid != tgid))
		return -ESRCH;
	return sig ? uk_signal_send(t, sig, SI_TKILL, uk_proc_cur->pid, 0) : 0;
}

UK_SYSCALL3(tgkill, int, tgid, int, tid, int, sig)
{
	if (tgid <= 0)
		return -EINVAL;
	return thread_kill(tgid, tid, sig);
}

UK_SYSCALL2(tkill, int, tid, int, sig) { return thread_kill(0, tid, sig); }
