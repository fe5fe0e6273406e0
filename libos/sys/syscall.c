/*
 * Dispatch by number, generated from syscalls.def: the `syscall`
 * instruction of a Linux binary and a program's own syscall(2).
 *
 * The table references every implementation, so it is linked only into
 * images that dispatch by number. A link-mode program that does neither
 * calls the implementations directly (UK_CALL) and --gc-sections drops the
 * calls nothing reaches, even inside the objects it links.
 */
#include <uk/linux.h>
#include <uk/syscall.h>

/* Weak references: a call whose implementation is not linked into this
 * image resolves to NULL and fails honestly with -ENOSYS ("not implemented"
 * under --trace). Link-mode images so carry only the subsystems the program
 * calls (no network stack without sockets); binary-mode images link the
 * whole library OS. */
#define SYSCALL(nr, name, ...) \
	long uk_sys_##name(long, long, long, long, long, long) __attribute__((weak));
#define NOSYS(nr, name)
#include "syscalls.def"
#undef SYSCALL
#undef NOSYS

static const uk_syscall_fn table[UK_NR_MAX] = {
#define SYSCALL(nr, name, ...) [nr] = uk_sys_##name,
#define NOSYS(nr, name)
#include "syscalls.def"
#undef SYSCALL
#undef NOSYS
};

long uk_syscall(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	uk_syscall_fn fn = nr >= 0 && nr < UK_NR_MAX ? table[nr] : 0;

	if (uk_trace_on)
		return uk_syscall_traced(nr, fn, a0, a1, a2, a3, a4, a5);
	return fn ? fn(a0, a1, a2, a3, a4, a5) : -ENOSYS;
}
