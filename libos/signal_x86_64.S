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
	.text
	.globl uk_sig_trampoline
uk_sig_trampoline:
	mov %rsp, %rdi
	call uk_intr_resume
	mov %rax, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
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

/* void uk_arch_frame_enter(struct uk_regs *r): leave for the context in
 * r, as the trap exit does (a Linux program's new thread, sys_thread.c). */
	.globl uk_arch_frame_enter
uk_arch_frame_enter:
	mov %rdi, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
	add $16, %rsp
	iretq
