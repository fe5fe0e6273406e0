/*
 * The first system calls: the break and randomness. (Console I/O on fds
 * 0-2 is the VFS's: libos/vfs/; process identity is in sys_proc.c, exit
 * in sys_thread.c.)
 */
#include <uk/console.h>
#include <uk/cpu.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/plat.h>
#include <uk/libc.h>
#include <uk/syscall.h>

UK_SYSCALL1(brk, unsigned long, want) { return (long)uk_brk_set(want); }

UK_SYSCALL3(getrandom, unsigned char *, buf, size_t, len, unsigned, flags)
{
	long r;

	if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	if ((r = uk_random_fill(buf, len)) == -ENOSYS)
		uk_trace_note("getrandom: the CPU has no RDRAND");
	return r;
}
