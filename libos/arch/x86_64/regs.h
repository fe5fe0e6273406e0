/*
 * Assembler macros (for .S files only) that save and restore the general
 * registers of struct uk_regs (libos/include/uk/arch.h) in its order: rax
 * is pushed first, so r15 ends up lowest, at the frame's start. The trap
 * and system-call entries push their frames with UK_PUSH_GPRS; the trap
 * exit, uk_arch_frame_enter and the signal trampoline (whose resume block
 * starts with the same 15 words: signal.c) pop them with UK_POP_GPRS.
 */
#ifndef UK_ARCH_X86_64_REGS_H
#define UK_ARCH_X86_64_REGS_H
/* clang-format off */

	.macro UK_PUSH_GPRS
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	.endm

	.macro UK_POP_GPRS
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
	.endm

/* clang-format on */
#endif
