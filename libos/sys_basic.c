/*
 * The first system calls: console I/O on fds 0-2, the break, process
 * identity, uname, randomness and exit. (Files, pipes and sockets arrive
 * with the VFS.)
 */
#include <uk/console.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/plat.h>
#include <uk/libc.h>
#include <uk/syscall.h>

UK_SYSCALL1(brk, unsigned long, want)
{
	return (long)uk_brk_set(want);
}

/* The application is process 1 of its VM, as in a container's namespace. */
UK_SYSCALL0(getpid) { return 1; }
UK_SYSCALL0(getppid) { return 0; }
UK_SYSCALL0(gettid) { return 1; }
UK_SYSCALL0(getuid) { return 0; }
UK_SYSCALL0(geteuid) { return 0; }
UK_SYSCALL0(getgid) { return 0; }
UK_SYSCALL0(getegid) { return 0; }
UK_SYSCALL0(sched_yield) { return 0; }

/* Linux's name and a release new enough for C libraries' checks. */
UK_SYSCALL1(uname, struct new_utsname *, u)
{
	static const struct new_utsname name = {
		.sysname = "Linux",
		.nodename = "uk",
		.release = "6.1.0-uk",
		.version = "#1 uk library OS",
		.machine = "x86_64",
		.domainname = "(none)",
	};
	*u = name;
	return 0;
}

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
		__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(1), "c"(0));
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

UK_SYSCALL1(exit, int, status)
{
	uk_plat_exit(status);
}

UK_SYSCALL1(exit_group, int, status)
{
	uk_plat_exit(status);
}
