/*
 * uk_copy_user(dst, src, n): a copy to or from a Linux program's memory
 * that may fail (binary mode), as Linux's copy_to_user: it returns the
 * bytes it did not copy. The program's page may be gone by the time the
 * call copies (another thread unmapped it while the call slept); the
 * fault handler then resumes the copy at its end (exception.c) instead of
 * ending the process, and the call fails with EFAULT or a short count,
 * holding nothing (no file reference, lock or wait entry left behind).
 * The direction flag is clear in the library OS (syscall's FMASK).
 */
	.text
	.globl uk_copy_user, uk_copy_user_at, uk_copy_user_end
	.type uk_copy_user, @function
uk_copy_user:
	mov %rdx, %rcx
uk_copy_user_at:
	rep movsb
uk_copy_user_end:
	mov %rcx, %rax
	ret
	.size uk_copy_user, . - uk_copy_user
