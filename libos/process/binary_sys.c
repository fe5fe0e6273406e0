/*
 * The system-call path of a Linux program (binary mode): MSR set-up for
 * the `syscall` instruction, the C side of its entry stub
 * (arch/x86_64/syscall_entry.S), and the calls whose meaning differs from
 * link mode's, which are answered here before the common table:
 *   brk     a Linux program's break lives in the lower half, right after
 *           its data, as on Linux (link mode's lies in library OS memory)
 *   execve  replaces the program (binary.c)
 * Everything else goes to uk_syscall(), the same dispatcher (and --trace)
 * link mode uses.
 */
#include <uk/arch.h>
#include <uk/binary.h>
#include <uk/cpu.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/proc.h>
#include <uk/sched.h>
#include <uk/signal.h>
#include <uk/syscall.h>
#include <uk/vm.h>

#define PAGE UK_PAGE_SIZE
#define PAGE_UP(x) (((x) + PAGE - 1) & ~(PAGE - 1))
#define NR_EXECVEAT 322

/* Flags the `syscall` instruction clears: TF, DF, NT, AC. IF stays as it
 * was, so interrupts keep arriving while the library OS works. */
#define SYSCALL_FMASK ((1ul << 8) | (1ul << 10) | (1ul << 14) | (1ul << 18))

__attribute__((noreturn)) void uk_arch_frame_enter(struct uk_regs *r);

void uk_binary_syscall_init(void)
{
	/* STAR: the kernel selectors `syscall` loads (CS, and SS = CS + 8),
	 * and the user ones sysret would (never used: we stay at CPL0). */
	uk_wrmsr(MSR_STAR, (uint64_t)UK_SEL_UCODE32 << 48 | (uint64_t)UK_SEL_KCODE << 32);
	uk_wrmsr(MSR_LSTAR, (uint64_t)uk_syscall_entry);
	uk_wrmsr(MSR_FMASK, SYSCALL_FMASK);
	uk_binary_uaccess_init();
}

/* ---- brk ---- */

/* The process's break, and the end of its pages. */
#define brk_cur (uk_proc_cur->brk_cur)
#define brk_end (uk_proc_cur->brk_end)

void uk_binary_brk_reset(void) { brk_cur = brk_end = 0; }

static long binary_brk(uint64_t want)
{
	uint64_t end;
	long r;

	if (!brk_cur)
		brk_cur = brk_end = uk_proc_cur->brk_start;
	if (want < uk_proc_cur->brk_start || want >= UK_VM_MMAP_TOP)
		return (long)brk_cur;
	end = PAGE_UP(want);
	if (end > brk_end) {
		/* never over another mapping: then the break cannot grow */
		r = uk_vm_mmap(brk_end, end - brk_end, PROT_READ | PROT_WRITE,
		               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, NULL, 0);
		if (r < 0)
			return (long)brk_cur;
	} else if (end < brk_end) {
		uk_vm_munmap(end, brk_end - end);
	}
	brk_end = end;
	brk_cur = want;
	return (long)brk_cur;
}

/* ---- the calls answered here ---- */

/* (inlined in both callers: a call here cost getppid 2 ns) */
/* (a: the checked arguments; NULL for a call without pointers) */
static inline __attribute__((always_inline)) long local_call(struct uk_regs *r, const long *a,
                                                             int *handled)
{
	long ret;

	*handled = 1;
	switch (r->rax) {
	case UK_NR_brk:
		ret = binary_brk(r->rdi);
		uk_trace_note("brk(%#lx) = %#lx", r->rdi, ret);
		return ret;
	case UK_NR_execve:
		uk_trace_note("execve(\"%s\", %#lx, %#lx) ...", a[0] ? (const char *)a[0] : "",
		              a[1], a[2]);
		ret = a[0] ? uk_binary_exec((const char *)a[0], (char *const *)a[1],
		                            (char *const *)a[2])
		           : -EFAULT;
		uk_trace_note("execve = %ld", ret);
		return ret;
	case NR_EXECVEAT:
		/* only the form that is plain execve */
		if ((int)a[0] == AT_FDCWD && !a[4] && a[1]) {
			ret = uk_binary_exec((const char *)a[1], (char *const *)a[2],
			                     (char *const *)a[3]);
			uk_trace_note("execveat(AT_FDCWD, \"%s\") = %ld", (const char *)a[1], ret);
			return ret;
		}
	}
	*handled = 0;
	return 0;
}

/* A call with pointer arguments: they are checked first
 * (binary_uaccess.c); a data buffer's length may be cut to what is the
 * program's, and a structure the call reads replaced by a checked copy,
 * without changing the program's registers. */
static long checked_call(struct uk_regs *r, long nr)
{
	long a[6] = { (long)r->rdi, (long)r->rsi, (long)r->rdx,
		      (long)r->r10, (long)r->r8,  (long)r->r9 };
	struct uk_ucopy c;
	int bad, handled;
	long ret;

	c.ret = 0, c.heap = NULL, c.back = 0;
	if ((bad = uk_binary_uaccess(nr, a, &c))) {
		uk_kfree(c.heap);
		uk_trace_efault(nr, a, bad);
		return -EFAULT;
	}
	if (c.ret)
		ret = c.ret;
	else if (nr == UK_NR_sendmmsg || nr == UK_NR_recvmmsg)
		ret = uk_binary_mmsg(nr, a);
	else if (!(ret = local_call(r, a, &handled), handled))
		ret = uk_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	return c.heap || c.back ? uk_binary_uaccess_done(&c, ret) : ret;
}

/* From syscall_entry.S, on the thread's own library OS stack, interrupts
 * as the program had them (on). r is the program's registers; the result
 * goes to r->rax. */
void uk_binary_syscall(struct uk_regs *r)
{
	struct uk_thread *t = uk_current;
	struct uk_regs *outer = t->uregs;
	long nr = (long)r->rax, ret;
	int handled;

	if (nr == UK_NR_rt_sigreturn) {
		/* every register back as the signal frame has it: the
		 * `syscall` way out would lose %rcx and %r11 */
		uk_linux_sigreturn(r);
		uk_trace_note("rt_sigreturn() = %ld", (long)r->rax);
		uk_irq_enable();
		uk_linux_signals(r, -1);
		uk_arch_frame_enter(r);
	}
	t->uregs = r; /* clone() copies it for the new thread */
	if ((uint64_t)nr < UK_NR_MAX && uk_binary_uaccess_rows[nr]) {
		ret = checked_call(r, nr);
	} else {
		ret = local_call(r, NULL, &handled);
		if (!handled)
			ret = uk_syscall(nr, (long)r->rdi, (long)r->rsi, (long)r->rdx, (long)r->r10,
			                 (long)r->r8, (long)r->r9);
	}
	r->rax = (uint64_t)ret;
	t->uregs = outer;
	/* The program always runs with interrupts on, whatever the call did
	 * (the flags are not restored from %r11 on the way out). */
	uk_irq_enable();
	/* A signal to deliver (frames on the program's stack), the time slice
	 * is over, or a sigsuspend-like wait's mask to put back. */
	if (uk_attention || t->sig_restore_mask)
		uk_linux_signals(r, nr);
}
