/*
 * Fatal exceptions: a report on stderr (vector, error code, RIP, CR2,
 * registers, frame-pointer backtrace), then the VM ends with the status a
 * shell gives a process killed by the matching signal (128 + N): a NULL
 * dereference ends like SIGSEGV (139), a divide error like SIGFPE (136).
 *
 * At any moment: before uk_plat_init the report goes out on COM1 (which
 * ukrun prints too) and uk_plat_crash tries ukrun's exit and then QEMU's;
 * a fault inside this handler (or its report) is reported as such, once,
 * and a third level gives up without a word. Every exception runs on an
 * IST stack, a double fault on its own (cpu.c), so a broken stack still
 * reports. What cannot reach this code (no IDT yet, or an IDT that no
 * longer works) is a triple fault, which ukrun reports.
 */
#include <uk/cpu.h>
#include <uk/fault.h>
#include <uk/paging.h>
#include <uk/plat.h>
#include <uk/print.h>
#include <uk/proc.h>
#include <uk/sched.h>
#include <uk/signal.h>
#include <uk/vm.h>

static const struct {
	const char *name;
	int sig;
} exc[32] = {
	[0] = { "#DE divide error", 8 },
	[1] = { "#DB debug", 5 },
	[2] = { "NMI", 6 },
	[3] = { "#BP breakpoint", 5 },
	[4] = { "#OF overflow", 11 },
	[5] = { "#BR bound range", 11 },
	[6] = { "#UD invalid opcode", 4 },
	[7] = { "#NM device not available", 4 },
	[8] = { "#DF double fault", 6 },
	[10] = { "#TS invalid TSS", 11 },
	[11] = { "#NP segment not present", 7 },
	[12] = { "#SS stack fault", 7 },
	[13] = { "#GP general protection", 11 },
	[14] = { "#PF page fault", 11 },
	[16] = { "#MF x87 error", 8 },
	[17] = { "#AC alignment check", 7 },
	[18] = { "#MC machine check", 6 },
	[19] = { "#XM SIMD error", 8 },
};

/* Exceptions being handled: more than one is a fault inside the handler.
 * Never more than one legitimately: nothing in here sleeps, switches
 * threads or touches memory that may fault (signal delivery commits the
 * program's stack pages before writing them). */
static int depth;
static struct uk_hc_crash crash;

/* A frame pointer is followed only while both words it points at are
 * mapped, so a corrupt chain ends the backtrace instead of faulting. */
static int frame_ok(uint64_t fp)
{
	return (fp & 7) == 0 && fp < ~0ul - 16 && uk_virt_to_phys(fp) != ~0ull &&
	       uk_virt_to_phys(fp + 8) != ~0ull;
}

static void backtrace(uint64_t fp)
{
	char line[160];
	int n = uk_snprintf(line, sizeof(line), "  backtrace:");

	for (int depth = 0; depth < 16 && frame_ok(fp); depth++) {
		uint64_t *f = (uint64_t *)fp;
		if (f[1] == 0)
			break;
		if (crash.npc < UK_CRASH_MAX_PC)
			crash.pc[crash.npc++] = f[1];
		n += uk_snprintf(line + n, sizeof(line) - n, " %#lx", f[1]);
		if (n > 120) {
			uk_pr("%s", line);
			n = uk_snprintf(line, sizeof(line), "             ");
		}
		if (f[0] <= fp)
			break; /* frames grow upwards; anything else is corrupt */
		fp = f[0];
	}
	uk_pr("%s", line);
}

/* Faults that are not errors: a stack or a mapping growing, or the
 * program's own handler for the signal (libos/kernel/signal.c). */
static int resolved(struct uk_regs *r, int sig, uint64_t cr2)
{
	if (r->vector == 14 && !(r->error & 1) && uk_stack_fault(cr2))
		return 1; /* a stack grew into its next page */
	if (r->vector == 14 && uk_vm_fault(cr2, r->error))
		return 1; /* first touch of an mmap page */
	return uk_signal_fault(r, sig, r->vector == 14 ? cr2 : r->rip);
}

static __attribute__((noreturn)) void fault_exit(int sig)
{
	uk_irq_enable();
	uk_proc_exit(sig);
}

/* The exception returns into fault_exit on the thread's own library OS
 * stack, which its program's code never uses. */
static void end_process(struct uk_regs *r, struct uk_thread *t, int sig)
{
	t->flags |= UK_TF_ENDING;
	r->rdi = (uint64_t)sig;
	r->rip = (uint64_t)fault_exit;
	r->rsp = (((uint64_t)t->stack + t->stack_size) & ~15ul) - 8;
	r->rflags &= ~((1ul << 8) | (1ul << 10) | (1ul << 18)); /* TF, DF, AC */
}

/* A thread ended by a fault that faults again on its way out (its exit
 * touched what the first fault left broken): ending it once more would
 * loop, so the VM stops with the report, after this line. */
static int ending_again(struct uk_thread *t)
{
	if (!(t->flags & UK_TF_ENDING))
		return 0;
	uk_pr("process %d: a fault while it was being ended by an earlier one: the VM stops",
	      t->proc->pid);
	return 1;
}

extern const char uk_copy_user_at[], uk_copy_user_end[];

/* A fatal fault in the code of a process other than 1: that process ends
 * as killed by the signal (its parent sees it in the wait status), the
 * VM goes on. */
static int child_fault(struct uk_regs *r, int sig, uint64_t cr2)
{
	struct uk_thread *t = uk_current;

	if (!t || !(t->flags & UK_TF_APP) || t->proc->pid == 1 || !uk_app_code(r->rip) ||
	    ending_again(t))
		return 0;
	/* (a line under --trace: as on Linux, the parent, a shell, tells) */
	uk_trace_note("process %d: %s at rip %#lx%s%#lx: killed by signal %d", t->proc->pid,
	              r->vector < 32 && exc[r->vector].name ? exc[r->vector].name : "exception",
	              r->rip, r->vector == 14 ? ", address " : ", error code ",
	              r->vector == 14 ? cr2 : r->error, sig);
	end_process(r, t, sig);
	return 1;
}

/* A fault of the library OS inside a Linux program's system call, on
 * memory that is the program's to name: a pointer binary mode's checks
 * (process/binary_uaccess.c) did not see, or one made bad while the call
 * slept (another thread's munmap). The call cannot be unwound (what it
 * holds is unknown: binary_uaccess.c says why), so a process other than
 * 1 ends as killed by SIGSEGV, as a fault in its own code would; process
 * 1's ends the VM with the report below. What the call held stays held
 * (a file reference, a wait entry on the dying thread's stack): the
 * reason the checks exist; this is the rare case's lesser evil. A copy
 * through uk_copy_user (a pipe's data) is the exception: it stops where
 * the memory does and the call fails as on Linux, holding nothing. */
static int syscall_fault(struct uk_regs *r, uint64_t cr2)
{
	struct uk_thread *t = uk_current;
	int user = r->vector == 13 || (r->vector == 14 && cr2 < UK_VM_END);

	if (!t || !(t->flags & UK_TF_APP) || !t->uregs || !user || uk_app_code(r->rip))
		return 0;
	if (r->rip == (uint64_t)uk_copy_user_at) {
		r->rip = (uint64_t)uk_copy_user_end; /* the copy says how much it did not */
		return 1;
	}
	if (ending_again(t))
		return 0;
	if (t->proc->pid == 1) { /* (the report follows) */
		uk_pr("in system call %ld: a pointer of the program's, address %#lx",
		      (long)t->uregs->rax, r->vector == 14 ? cr2 : 0);
		return 0;
	}
	/* (on the console: a pointer the checks missed is a library OS bug) */
	uk_pr("process %d: system call %ld faulted in the library OS at rip %#lx, address %#lx: "
	      "killed by signal 11",
	      t->proc->pid, (long)t->uregs->rax, r->rip, r->vector == 14 ? cr2 : 0);
	end_process(r, t, 11);
	return 1;
}

static __attribute__((noreturn)) void report(struct uk_regs *r, const char *name, int sig,
                                             uint64_t cr2)
{
	unsigned v = r->vector;

	if (depth == 1)
		UK_FAULT_POINT(UK_FAULT_REPORT);
	uk_pr("fatal exception %u (%s) at rip %#lx, error code %#lx%s", v, name, r->rip, r->error,
	      depth > 1 ? ", inside the exception handler" : "");
	if (v == 14 && uk_stack_guard_hit(cr2))
		uk_pr("  cr2 %#lx: stack overflow (the thread's stack guard page)", cr2);
	else if (v == 14)
		uk_pr("  cr2 %#lx (%s %s, %s mode)", cr2, r->error & 2 ? "write to" : "read from",
		      r->error & 1 ? "a protected page" : "an unmapped page",
		      r->error & 4 ? "user" : "kernel");
	uk_pr("  rax %016lx rbx %016lx rcx %016lx rdx %016lx", r->rax, r->rbx, r->rcx, r->rdx);
	uk_pr("  rsi %016lx rdi %016lx rbp %016lx rsp %016lx", r->rsi, r->rdi, r->rbp, r->rsp);
	uk_pr("  r8  %016lx r9  %016lx r10 %016lx r11 %016lx", r->r8, r->r9, r->r10, r->r11);
	uk_pr("  r12 %016lx r13 %016lx r14 %016lx r15 %016lx", r->r12, r->r13, r->r14, r->r15);
	uk_pr("  rflags %08lx cs %04lx ss %04lx", r->rflags, r->cs, r->ss);
	crash.pc[0] = r->rip;
	crash.npc = 1;
	backtrace(r->rbp);
	if (depth > 1 || v == 8) /* a double fault: exceptions themselves broke */
		uk_pr("the library OS crashed: exit status %d (as signal %d)", 128 + sig, sig);
	else
		uk_pr("the application crashed: exit status %d (as signal %d)", 128 + sig, sig);
	crash.status = 128 + sig;
	uk_plat_crash(&crash);
}

void uk_exception(struct uk_regs *r)
{
	unsigned v = r->vector;
	const char *name = v < 32 && exc[v].name ? exc[v].name : "reserved exception";
	int sig = v < 32 && exc[v].sig ? exc[v].sig : 6;
	/* Once: on the paravirtual host each read is an exit to the host,
	 * as costly as the fault's own delivery. */
	uint64_t cr2 = v == 14 ? uk_read_cr2() : 0;

	uk_vm_counts.pgfault += v == 14;

	if (depth++ == 0 &&
	    (resolved(r, sig, cr2) || child_fault(r, sig, cr2) || syscall_fault(r, cr2))) {
		depth--;
		return;
	}
	if (depth > 2) /* the report of a fault in the handler faulted too */
		uk_plat_abort(128 + 6);
	report(r, name, sig, cr2);
}
