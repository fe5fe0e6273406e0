/*
 * Interrupt and exception entry. 256 stubs of 16 bytes each push a uniform
 * frame (struct uk_regs, libos/include/uk/arch.h) and call uk_trap(). All
 * vectors run on IST stacks (set by uk_cpu_init), so an interrupt never
 * writes below an interrupted function's stack pointer.
 */
	.text
	.p2align 4
	.globl uk_vectors
uk_vectors:
	.set vec, 0
	.rept 256
	.p2align 4
	/* vectors with a CPU-pushed error code: 8 10-14 17 21 29 30 */
	.if (vec == 8) || (vec >= 10 && vec <= 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
	.else
	pushq $0
	.endif
	pushq $vec
	jmp trap_common
	.set vec, vec + 1
	.endr

trap_common:
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
	cld
	mov %rsp, %rdi
	call uk_trap
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
	add $16, %rsp                   /* vector, error code */
	iretq
