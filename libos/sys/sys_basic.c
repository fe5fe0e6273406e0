/*
 * The first system calls: the break and randomness. (Console I/O on fds
 * 0-2 is the VFS's: libos/vfs/; process identity is in sys_proc.c, exit
 * in sys_thread.c.)
 */
#include <uk/console.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/plat.h>
#include <uk/libc.h>
#include <uk/syscall.h>

UK_SYSCALL1(brk, unsigned long, want) { return (long)uk_brk_set(want); }

static int rdrand64(uint64_t *v)
{
	for (int i = 0; i < 16; i++) {
		unsigned char ok;
		__asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
		if (ok)
			return 1;
	}
	return 0;
}

UK_SYSCALL3(getrandom, unsigned char *, buf, size_t, len, unsigned, flags)
{
	static int have = -1;
	size_t done = 0;

	if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	if (have < 0) {
		uint32_t r[4];
		__asm__ volatile("cpuid"
		                 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
		                 : "a"(1), "c"(0));
		have = (r[2] >> 30) & 1;
	}
	if (!have) {
		uk_trace_note("getrandom: the CPU has no RDRAND");
		return -ENOSYS;
	}
	while (done < len) {
		uint64_t v;
		size_t n = len - done < 8 ? len - done : 8;
		if (!rdrand64(&v))
			return done ? (long)done : -EAGAIN;
		uk_memcpy(buf + done, &v, n);
		done += n;
	}
	return (long)done;
}
