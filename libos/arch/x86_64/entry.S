/*
 * Interrupt and exception entry. 256 stubs of 16 bytes each push a uniform
 * frame (struct uk_regs, libos/include/uk/arch.h) and call uk_trap(). All
 * vectors run on IST stacks (set by uk_cpu_init), so an interrupt never
 * writes below an interrupted function's stack pointer.
 */
#include "regs.h"
	.text
	.p2align 4
	.globl uk_vectors
	.type uk_vectors, @function /* named in crash reports and ukrun --sample */
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
	.size uk_vectors, . - uk_vectors

	.type trap_common, @function
trap_common:
	UK_PUSH_GPRS
	cld
	mov %rsp, %rdi
	call uk_trap
	UK_POP_GPRS
	add $16, %rsp                   /* vector, error code */
	iretq
	.size trap_common, . - trap_common
