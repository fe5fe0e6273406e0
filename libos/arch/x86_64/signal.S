/*
 * Signal and preemption trampolines (signal.c).
 *
 * uk_sig_trampoline: an interrupt or fault returned here instead of into
 * the program, with %rsp at a struct intr_ctx (16-byte aligned). The C
 * side yields or runs handlers, then answers where the registers to resume
 * with lie: 15 registers, rflags, rip, ending 128 bytes below the
 * interrupted %rsp, so "ret $128" lands on the interrupted instruction
 * with its %rsp. The trampoline is library OS code: it is never preempted.
 */
#include "regs.h"
	.text
	.globl uk_sig_trampoline
uk_sig_trampoline:
	mov %rsp, %rdi
	call uk_intr_resume
	mov %rax, %rsp
	UK_POP_GPRS
	popfq
	ret $128

/* void uk_call_on_stack(fn, int sig, void *info, void *uc, uint64_t top):
 * fn(sig, info, uc) with %rsp = top (16-byte aligned): a handler on the
 * alternate signal stack. */
	.globl uk_call_on_stack
uk_call_on_stack:
	push %rbp
	mov %rsp, %rbp
	mov %r8, %rsp
	mov %rdi, %rax
	mov %esi, %edi
	mov %rdx, %rsi
	mov %rcx, %rdx
	call *%rax
	mov %rbp, %rsp
	pop %rbp
	ret

/* uk_linux_trampoline: an interrupt that found a Linux program's thread in
 * its own code returned here instead, %rsp at a struct uk_regs of that
 * context on the thread's library OS stack (signal_linux.c). The C side
 * yields or builds signal frames; then whatever context the struct holds
 * is resumed, every register of it, without touching the program's stack. */
	.globl uk_linux_trampoline
uk_linux_trampoline:
	mov %rsp, %rdi
	call uk_linux_resume
	mov %rsp, %rdi
	jmp uk_arch_frame_enter

/* void uk_arch_frame_enter(struct uk_regs *r): leave for the context in
 * r, as the trap exit does (a Linux program's new thread, sys_thread.c). */
	.globl uk_arch_frame_enter
uk_arch_frame_enter:
	mov %rdi, %rsp
	UK_POP_GPRS
	add $16, %rsp
	iretq
