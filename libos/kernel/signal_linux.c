/*
 * Signals for a Linux program (binary mode), delivered as Linux delivers
 * them: a frame (Linux's struct rt_sigframe: the return address, a
 * ucontext, the siginfo, then the FPU state) on the program's stack below
 * its red zone, or at the top of its alternate stack with SA_ONSTACK; the
 * handler is entered with its three arguments pointing into the frame and
 * returns into its sa_restorer, whose rt_sigreturn(2) resumes from the
 * ucontext - every register as the handler left it, %rsp and %rip included
 * (Go's preemption pushes a call into the interrupted goroutine that way).
 *
 * Nothing else of the library OS ever lands on the program's stack. A
 * thread interrupted in its own code - its time slice is over, a signal is
 * pending - leaves the interrupt through a trampoline on its library OS
 * stack, the one its system calls use, which nothing uses while it runs
 * its code. (Writing there below the interrupted %rsp, as link mode does,
 * overruns a goroutine's 2 KiB stack into its neighbour's.)
 */
#include <uk/arch.h>
#include <uk/cpu.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/paging.h>
#include <uk/print.h>
#include <uk/sched.h>
#include <uk/signal.h>
#include <uk/syscall.h>

#include <asm/sigcontext.h>
#include <asm/ucontext.h>
#include <linux/signal.h>

#include "signal_impl.h"

#define LOWER_HALF_END (1ull << 47)
#define RED_ZONE 128
#define FL_TF (1ul << 8)
#define FL_DF (1ul << 10)
#define FL_RF (1ul << 16)
#define FL_AC (1ul << 18)
/* The flags a handler may change in the context it resumes: the
 * arithmetic ones, DF and AC (not TF: a single step in the library OS's
 * privilege; not IF). */
#define FL_USER 0x40cd5ul
/* What Linux shows a handler in cs and ss (its user selectors). */
#define LINUX_USER_CS 0x33
#define LINUX_USER_SS 0x2b

struct rt_sigframe {
	uint64_t pretcode; /* sa_restorer: the handler's return address */
	struct ucontext uc;
	siginfo_t info;
	/* the FPU state follows, 64-byte aligned, at uc_mcontext.fpstate */
};

__attribute__((noreturn)) void uk_arch_frame_enter(struct uk_regs *r);

int uk_linux_code(uint64_t rip) { return rip < LOWER_HALF_END; }

/* ---- the FPU state in the frame ---- */

static size_t fpu_frame_size(void) { return uk_xsave_size + (uk_xsave_mask ? 4 : 0); }

static void fpu_to_frame(uint8_t *fp)
{
	struct _fpx_sw_bytes *sw = (void *)(fp + 464);

	/* fxsave leaves bytes 464-511 alone: zeros there, not whatever the
	 * stack held, say "no extended state" (a fxsave frame is 512 bytes:
	 * the xsave header below is not ours to clear then; clearing it
	 * wrote 64 bytes above the frame, into the interrupted code's red
	 * zone, at every preemption on a CPU without XSAVE) */
	if (!uk_xsave_mask) {
		uk_memset(sw, 0, sizeof(*sw));
		__asm__ volatile("fxsave64 (%0)" : : "r"(fp) : "memory");
		return;
	}
	/* xsave leaves most of the header alone and xrstor refuses anything
	 * but zeros there */
	uk_memset(fp + 512, 0, 64);
	__asm__ volatile("xsave64 (%0)" : : "r"(fp), "a"(-1), "d"(-1) : "memory");
	/* as Linux marks an extended frame (sizes for whoever parses it) */
	sw->magic1 = FP_XSTATE_MAGIC1;
	sw->extended_size = (uint32_t)fpu_frame_size();
	sw->xfeatures = uk_xsave_mask;
	sw->xstate_size = uk_xsave_size;
	uk_memcpy(fp + uk_xsave_size, &(uint32_t){ FP_XSTATE_MAGIC2 }, 4);
}

/* The handler may have written anything there: only what xrstor accepts
 * is loaded (reserved MXCSR bits and header fields cleared). */
static void fpu_from_frame(uint8_t *fp)
{
	uint32_t mxcsr;

	uk_memcpy(&mxcsr, fp + 24, 4);
	mxcsr &= 0xffff;
	uk_memcpy(fp + 24, &mxcsr, 4);
	if (!uk_xsave_mask) {
		__asm__ volatile("fxrstor64 (%0)" : : "r"(fp) : "memory");
		return;
	}
	uint64_t bv;
	uk_memcpy(&bv, fp + 512, 8);
	bv &= uk_xsave_mask;
	uk_memcpy(fp + 512, &bv, 8);
	uk_memset(fp + 520, 0, 56); /* XCOMP_BV (standard form) and reserved */
	__asm__ volatile("xrstor64 (%0)" : : "r"(fp), "a"(-1), "d"(-1) : "memory");
}

/* ---- delivery ---- */

static void regs_to_mcontext(const struct uk_regs *r, struct sigcontext *m)
{
	m->r8 = r->r8, m->r9 = r->r9, m->r10 = r->r10, m->r11 = r->r11;
	m->r12 = r->r12, m->r13 = r->r13, m->r14 = r->r14, m->r15 = r->r15;
	m->rdi = r->rdi, m->rsi = r->rsi, m->rbp = r->rbp, m->rbx = r->rbx;
	m->rdx = r->rdx, m->rax = r->rax, m->rcx = r->rcx, m->rsp = r->rsp;
	m->rip = r->rip, m->eflags = r->rflags;
	m->cs = LINUX_USER_CS, m->ss = LINUX_USER_SS;
}

/* Where sig's frame goes for a thread at sp, and its FPU area (*fp):
 * Linux's get_sigframe(). 0 when it cannot go anywhere. */
static uint64_t frame_place(const struct ksigaction *a, uint64_t sp, uint64_t *fp)
{
	const struct uk_thread *t = uk_current;
	uint64_t lo = 0, f;

	sp -= RED_ZONE;
	if (t->altstack_size && uk_sig_on_altstack(t, sp)) {
		lo = t->altstack_sp; /* a handler on it: the next frame below */
	} else if ((a->flags & SA_ONSTACK) && t->altstack_size) {
		sp = t->altstack_sp + t->altstack_size;
		lo = t->altstack_sp;
	}
	*fp = (sp - fpu_frame_size()) & ~63ul;
	f = ((*fp - sizeof(struct rt_sigframe)) & ~15ul) - 8; /* as after a call */
	if (f < lo || f < 4096 || sp > LOWER_HALF_END || *fp > sp)
		return 0;
	return f;
}

/* Build sig's frame for the context r and point r at the handler. 0, or
 * -EFAULT when no frame can be written (no restorer, no room). */
static int setup_frame(struct uk_regs *r, int sig, const struct uk_sigrec *rec, int fault)
{
	struct uk_thread *t = uk_current;
	struct ksigaction *a = &uk_sig_actions[sig];
	uint64_t handler = a->handler; /* before SA_RESETHAND resets it */
	uint64_t fp, at = frame_place(a, r->rsp, &fp);
	struct rt_sigframe *f = (void *)at;

	/* x86-64 Linux programs always bring a restorer (glibc's, musl's,
	 * Go's): without one the handler has nowhere to return */
	if (!(a->flags & SA_RESTORER) || !at || !uk_sig_committed(at, fp + fpu_frame_size()))
		return -EFAULT;
	fpu_to_frame((uint8_t *)fp);
	uk_memset(f, 0, sizeof(*f));
	f->pretcode = a->restorer;
	uk_sig_fill_info(&f->info, sig, rec);
	f->uc.uc_flags =
	    UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS | (uk_xsave_mask ? UC_FP_XSTATE : 0);
	f->uc.uc_stack.ss_sp = (void *)t->altstack_sp;
	f->uc.uc_stack.ss_size = t->altstack_size;
	f->uc.uc_stack.ss_flags = t->altstack_size
	                              ? (uk_sig_on_altstack(t, r->rsp) ? SS_ONSTACK : 0) |
	                                    (t->altstack_flags & SS_AUTODISARM)
	                              : SS_DISABLE;
	regs_to_mcontext(r, &f->uc.uc_mcontext);
	if (fault) {
		f->uc.uc_mcontext.trapno = r->vector;
		f->uc.uc_mcontext.err = r->error;
		f->uc.uc_mcontext.cr2 = sig == SIGSEGV ? rec->addr : 0;
	}
	f->uc.uc_mcontext.fpstate = (void *)fp;
	/* the mask to return to: the thread's, or the one a sigsuspend-like
	 * wait replaced for its duration */
	f->uc.uc_sigmask = t->sig_restore_mask ? t->sig_saved_mask : t->sig_blocked;
	f->uc.uc_mcontext.oldmask = f->uc.uc_sigmask;
	t->sig_restore_mask = 0;

	t->sig_blocked |= (a->mask | (a->flags & SA_NODEFER ? 0 : BIT(sig))) & ~UNBLOCKABLE;
	if (a->flags & SA_RESETHAND)
		a->handler = (uint64_t)SIG_DFL;
	if ((t->altstack_flags & SS_AUTODISARM) && uk_sig_on_altstack(t, at)) {
		t->altstack_sp = t->altstack_size = 0;
		t->altstack_flags = SS_DISABLE;
	}
	r->rdi = (uint64_t)sig;
	r->rsi = (uint64_t)&f->info;
	r->rdx = (uint64_t)&f->uc;
	r->rax = 0;
	r->rsp = at;
	r->rip = handler;
	r->rflags &= ~(FL_TF | FL_DF | FL_RF | FL_AC);
	return 0;
}

/* System calls that start again after a handler with SA_RESTART (Linux's
 * -ERESTARTSYS ones); the others fail with EINTR. */
static int restartable_call(long nr)
{
	switch (nr) {
	case UK_NR_read:
	case UK_NR_write:
	case UK_NR_readv:
	case UK_NR_writev:
	case UK_NR_pread64:
	case UK_NR_pwrite64:
	case UK_NR_ioctl:
	case UK_NR_open:
	case UK_NR_openat:
	case UK_NR_accept:
	case UK_NR_accept4:
	case UK_NR_recvfrom:
	case UK_NR_sendto:
	case UK_NR_recvmsg:
	case UK_NR_sendmsg:
	case UK_NR_wait4:
	case UK_NR_waitid:
	case UK_NR_flock:
	case UK_NR_futex: return 1;
	}
	return 0;
}

/* Where the call returning to rip was made, to make it again: its
 * `syscall` instruction, or the start of a rewritten site's jump into the
 * library OS (binary_rewrite.c: lea RIP(%rip), %rcx; jmp *ENTRY(%rip),
 * RIP right after it). 0: neither. */
static uint64_t call_site(uint64_t rip)
{
	static const uint8_t lea_to_here[9] = { 0x48, 0x8d, 0x0d, 6, 0, 0, 0, 0xff, 0x25 };
	const uint8_t *p = (const uint8_t *)rip;

	if (rip < 4096 + 13)
		return 0;
	if (p[-2] == 0x0f && p[-1] == 0x05)
		return rip - 2;
	if (uk_virt_to_phys(rip - 13) == ~0ull)
		return 0;
	for (unsigned i = 0; i < sizeof(lea_to_here); i++)
		if (p[(long)i - 13] != lea_to_here[i])
			return 0;
	return rip - 13;
}

void uk_linux_signals(struct uk_regs *r, long nr)
{
	struct uk_thread *t = uk_current;
	struct uk_sigrec rec;
	uint64_t h, site;
	int sig;

	/* An interrupted call made again: back to where it was made, with
	 * its number, before any frame saves the context. */
	if (nr >= 0 && (long)r->rax == -EINTR && restartable_call(nr) && uk_signal_restartable() &&
	    (site = call_site(r->rip))) {
		r->rip = site;
		r->rax = (uint64_t)nr;
	}
	for (;;) {
		if (uk_need_resched)
			uk_sched_yield();
		if (t->proc->stopped)
			uk_sig_park(); /* (handlers run once it is continued) */
		if (!(sig = uk_sig_take(&rec)))
			break;
		h = uk_sig_actions[sig].handler;
		if (h == (uint64_t)SIG_IGN)
			continue;
		if (h == (uint64_t)SIG_DFL) {
			uk_sig_default(sig);
			continue;
		}
		if (setup_frame(r, sig, &rec, 0)) {
			uk_pr("%s: no room for the handler's frame on the stack at %#lx (or no "
			      "SA_RESTORER)",
			      uk_signal_name(sig) ? uk_signal_name(sig) : "signal", r->rsp);
			uk_sig_terminate(SIGSEGV);
		}
	}
	if (t->sig_restore_mask) { /* no handler took the wait's mask back */
		t->sig_blocked = t->sig_saved_mask;
		t->sig_restore_mask = 0;
	}
	uk_attention_update();
}

/* From the trampoline, on the thread's library OS stack: r is the
 * interrupted context, resumed from there (uk_arch_frame_enter). */
void uk_linux_resume(struct uk_regs *r)
{
	uk_irq_enable();
	uk_linux_signals(r, -1);
}

void uk_linux_interrupted(struct uk_regs *r)
{
	struct uk_thread *t = uk_current;
	struct uk_regs *k = (void *)(((uintptr_t)t->stack + t->stack_size - sizeof(*k)) & ~15ul);

	*k = *r;
	r->rip = (uint64_t)uk_linux_trampoline;
	r->rsp = (uint64_t)k;
	r->rflags &= ~(FL_TF | FL_DF | FL_AC);
}

int uk_linux_fault(struct uk_regs *r, int sig, const struct uk_sigrec *rec)
{
	return !setup_frame(r, sig, rec, 1);
}

/* ---- rt_sigreturn ---- */

static int canonical(uint64_t a) { return (uint64_t)((int64_t)(a << 16) >> 16) == a; }

/* A frame the program broke: Linux kills with SIGSEGV. */
static __attribute__((noreturn)) void bad_frame(uint64_t at, const char *why)
{
	uk_pr("rt_sigreturn: bad signal frame at %#lx (%s)", at, why);
	uk_sig_terminate(SIGSEGV);
}

void uk_linux_sigreturn(struct uk_regs *r)
{
	struct uk_thread *t = uk_current;
	uint64_t at = r->rsp - 8; /* the handler's ret took pretcode */
	struct rt_sigframe *f = (void *)at;
	const struct sigcontext *m = &f->uc.uc_mcontext;
	uint64_t fp;

	if (at < 4096 || at + sizeof(*f) > LOWER_HALF_END || !uk_sig_committed(at, at + sizeof(*f)))
		bad_frame(at, "not in the program's memory");
	if (!canonical(m->rip) || !canonical(m->rsp))
		bad_frame(at, "non-canonical %rip or %rsp");
	fp = (uint64_t)m->fpstate;
	if (fp && ((fp & 63) || fp + fpu_frame_size() > LOWER_HALF_END ||
	           !uk_sig_committed(fp, fp + fpu_frame_size())))
		bad_frame(at, "FPU state not in the program's memory");
	r->r8 = m->r8, r->r9 = m->r9, r->r10 = m->r10, r->r11 = m->r11;
	r->r12 = m->r12, r->r13 = m->r13, r->r14 = m->r14, r->r15 = m->r15;
	r->rdi = m->rdi, r->rsi = m->rsi, r->rbp = m->rbp, r->rbx = m->rbx;
	r->rdx = m->rdx, r->rax = m->rax, r->rcx = m->rcx, r->rsp = m->rsp;
	r->rip = m->rip;
	r->rflags = (r->rflags & ~FL_USER) | (m->eflags & FL_USER);
	if (fp)
		fpu_from_frame((uint8_t *)fp);
	t->sig_blocked = f->uc.uc_sigmask & ~UNBLOCKABLE;
	/* the alternate stack as it was (Linux's restore_altstack), unless
	 * the handler runs on it still */
	if (!uk_sig_on_altstack(t, r->rsp)) {
		const stack_t *ss = &f->uc.uc_stack;
		if (ss->ss_flags & SS_DISABLE) {
			t->altstack_sp = t->altstack_size = 0;
			t->altstack_flags = SS_DISABLE;
		} else if (ss->ss_size >= MINSIGSTKSZ) {
			t->altstack_sp = (uint64_t)ss->ss_sp;
			t->altstack_size = ss->ss_size;
			t->altstack_flags = ss->ss_flags & SS_AUTODISARM;
		}
	}
	uk_attention_update();
}
