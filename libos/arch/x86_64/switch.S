/*
 * Thread switch: callee-saved registers on the old stack, stack pointers
 * swapped. FPU state and the %fs base are switched by the C caller.
 *
 *   void uk_arch_switch(uint64_t *save_rsp, uint64_t new_rsp)
 */
	.text
	.globl uk_arch_switch
	.type uk_arch_switch, @function
uk_arch_switch:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, (%rdi)
	mov %rsi, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret

/* First instructions of a new thread: uk_thread_create leaves the entry
 * function in %r12 and its argument in %r13. */
	.globl uk_arch_thread_start
	.type uk_arch_thread_start, @function
uk_arch_thread_start:
	xor %ebp, %ebp
	mov %r13, %rdi
	call *%r12
	ud2
