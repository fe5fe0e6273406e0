/*
 * The `syscall` instruction of an unmodified Linux program (binary
 * compatibility, libos/process/binary.c), entered through MSR_LSTAR.
 *
 * The program runs at CPL0 in the library OS's address space (pvm.md), so
 * `syscall` changes neither privilege nor stack: on entry %rcx holds the
 * return address, %r11 the flags (FMASK cleared TF, DF, AC, NT; IF is left
 * as it was), and %rsp is still the program's. Nothing is written below
 * that %rsp, so the program's red zone survives. The stub moves to the
 * running thread's library OS stack, saves every register as a struct
 * uk_regs (the frame clone() copies for a new thread, sched.h's uregs),
 * calls uk_binary_syscall(), and returns with a jump through %rcx: sysret
 * would drop to CPL3. Linux's contract holds: %rax is the result, %rcx and
 * %r11 are clobbered (here: the return address and the flags, as Linux
 * leaves them), every other register is preserved.
 *
 * The two scratch words are safe on one vCPU: nothing between the
 * `syscall` and the switch of stacks can run another system call
 * (interrupt handlers never do, and never switch threads in library OS
 * code). SMP will need them per CPU.
 */
#include "regs.h"
#define T_STACK 24       /* offsetof(struct uk_thread, stack), checked in binary.c */
#define T_STACK_SIZE 32  /* offsetof(struct uk_thread, stack_size) */
#define SEL_KCODE 0x10
#define SEL_KDATA 0x18
#define VEC_SYSCALL 0x100 /* not a CPU vector: marks a system-call frame */

	.bss
	.p2align 3
sc_user_rsp:
	.quad 0
sc_rax:
	.quad 0
	.globl uk_syscalls_trapped, uk_syscalls_jumped
uk_syscalls_trapped:
	.quad 0
uk_syscalls_jumped:
	.quad 0

/* The program's %rsp and %rax aside, onto the top of the running thread's
 * own library OS stack. */
.macro TO_THREAD_STACK
	mov %rsp, sc_user_rsp(%rip)
	mov %rax, sc_rax(%rip)
	mov uk_current(%rip), %rax
	mov T_STACK(%rax), %rsp
	add T_STACK_SIZE(%rax), %rsp
	and $-16, %rsp
.endm

	.text
	.p2align 4
	.globl uk_syscall_entry
	.type uk_syscall_entry, @function
uk_syscall_entry:
	TO_THREAD_STACK
	incq uk_syscalls_trapped(%rip)
	mov sc_rax(%rip), %rax
frame:
	/* struct uk_regs, highest field first */
	push $SEL_KDATA                  /* ss */
	push sc_user_rsp(%rip)           /* rsp */
	push %r11                        /* rflags */
	push $SEL_KCODE                  /* cs */
	push %rcx                        /* rip */
	push $0                          /* error */
	push $VEC_SYSCALL                /* vector */
	UK_PUSH_GPRS
	cld
	xor %ebp, %ebp                   /* backtraces end here */
	mov %rsp, %rdi
	call uk_binary_syscall           /* result in the frame's rax */
	UK_POP_GPRS
	/* vector, error, rip, cs, rflags, rsp, ss: rip and rsp may have been
	 * changed (a signal handler to run on the way out) */
	mov 16(%rsp), %rcx
	mov 32(%rsp), %r11
	mov 40(%rsp), %rsp
	jmp *%rcx
	.size uk_syscall_entry, . - uk_syscall_entry

/* A rewritten site's stub (libos/process/binary_rewrite.c) jumps here with %rax
 * and %rcx as `syscall` leaves them; %r11, the flags, is taken on the
 * library OS stack, so again nothing is written below the program's %rsp
 * (the arithmetic flags are the stack switch's: nothing after a system
 * call reads them before setting them, and the way out does not restore
 * them anyway). */
	.p2align 4
	.globl uk_syscall_entry_jmp
	.type uk_syscall_entry_jmp, @function
uk_syscall_entry_jmp:
	TO_THREAD_STACK
	pushfq
	pop %r11
	incq uk_syscalls_jumped(%rip)
	mov sc_rax(%rip), %rax
	jmp frame
	.size uk_syscall_entry_jmp, . - uk_syscall_entry_jmp
