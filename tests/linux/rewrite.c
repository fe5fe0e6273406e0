/*
 * A Linux program (built with the host's gcc and glibc, run in binary
 * mode) for the system-call sites the library OS rewrites into jumps
 * (libos/process/binary_rewrite.c): each kind of site gives the answer a trap
 * gives, a `syscall` that is itself a jump target still works, the red
 * zone below %rsp survives, and a signal that interrupts a rewritten call
 * runs its handler and returns to the right place; a rewritten cpuid
 * answers as cpuid does; a program that writes over its own rewritten code
 * changes no other exec's of it. Prints one line per
 * check and "rewrite: N checks, F failed"; exit status 1 when one failed.
 */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int checks, failed;

static void check(const char *name, int ok)
{
	checks++;
	failed += !ok;
	printf("%s rewrite/%s\n", ok ? "PASS" : "FAIL", name);
}

/* mov $39 (getpid), %eax; syscall -- the shape that is rewritten; and the
 * same `syscall` reached by a jump with %eax = 110 (getppid), which must
 * still trap and answer getppid. */
static long site(int via_jump)
{
	long r;

	__asm__ volatile("test %1, %1\n\t"
	                 "jz 1f\n\t"
	                 "mov $110, %%eax\n\t"
	                 "jmp 2f\n"
	                 "1:\n\t"
	                 ".byte 0xb8, 39, 0, 0, 0\n" /* mov $39, %eax */
	                 "2:\n\t"
	                 "syscall"
	                 : "=a"(r)
	                 : "r"(via_jump)
	                 : "rcx", "r11", "memory");
	return r;
}

/* The CMP shape: syscall; cmp $-4096, %rax, with %eax set before (39,
 * getpid) or the `syscall` reached by a jump with %eax = 110 (getppid).
 * Returns the result, negative errors kept; *ok whether the flags of the
 * cmp (above: an error) agree with the value. */
static long cmp_site(int via_jump, int *ok)
{
	long r;
	unsigned char above;

	__asm__ volatile("test %2, %2\n\t"
	                 "jz 1f\n\t"
	                 "mov $110, %%eax\n\t"
	                 "jmp 2f\n"
	                 "1:\n\t"
	                 "mov $39, %%eax\n\t"
	                 "nop\n" /* not the MOV shape */
	                 "2:\n\t"
	                 "syscall\n\t"
	                 ".byte 0x48, 0x3d, 0x00, 0xf0, 0xff, 0xff\n\t" /* cmp $-4096, %rax */
	                 "seta %1"
	                 : "=a"(r), "=q"(above)
	                 : "r"(via_jump)
	                 : "rcx", "r11", "memory");
	*ok = above == ((unsigned long)r > -4096ul);
	return r;
}

/* Values below %rsp (the red zone a leaf function may use) across a
 * rewritten getpid. */
static int red_zone_kept(void)
{
	unsigned long a, b;

	__asm__ volatile("movq $0x1234567, -8(%%rsp)\n\t"
	                 "movq $0x7654321, -128(%%rsp)\n\t"
	                 ".byte 0xb8, 39, 0, 0, 0\n\t"
	                 "syscall\n\t"
	                 "mov -8(%%rsp), %0\n\t"
	                 "mov -128(%%rsp), %1"
	                 : "=r"(a), "=r"(b)
	                 :
	                 : "rax", "rcx", "r11", "memory");
	return a == 0x1234567 && b == 0x7654321;
}

static volatile int alarms;

/* mov $0x80000000, %eax; cpuid -- the cpuid shape that is rewritten (its
 * answer from a stub); and, with via_jump, the same cpuid reached by a
 * jump, which still traps: both answer as cpuid does (cpuid_plain, a
 * shape left alone). */
void cpuid_site(unsigned r[4], int via_jump);
__asm__(".text\n"
        ".globl cpuid_site\n"
        "cpuid_site:\n\t"
        "push %rbx\n\t"
        "test %esi, %esi\n\t"
        "jz 1f\n\t"
        "mov $0x80000000, %eax\n\t"
        "xor %ecx, %ecx\n\t"
        "jmp 2f\n"
        "1:\n\t"
        ".byte 0xb8, 0, 0, 0, 0x80\n" /* mov $0x80000000, %eax */
        "2:\n\t"
        "cpuid\n\t"
        "mov %eax, (%rdi)\n\t"
        "mov %ebx, 4(%rdi)\n\t"
        "mov %ecx, 8(%rdi)\n\t"
        "mov %edx, 12(%rdi)\n\t"
        "pop %rbx\n\t"
        "ret\n");

static void cpuid_plain_sub(unsigned leaf, unsigned sub, unsigned r[4])
{
	volatile unsigned l = leaf, s = sub; /* (in registers: no mov $imm before the cpuid) */

	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(l), "c"(s));
}

static void cpuid_plain(unsigned leaf, unsigned r[4]) { cpuid_plain_sub(leaf, 0, r); }

/* The shapes with a subleaf: mov $7, %eax; xor %ecx, %ecx; cpuid, then
 * mov $0xd, %eax; mov $1, %ecx; cpuid (their stubs answer that subleaf);
 * with via_jump, each reached by a jump past its mov, which still traps.
 * r[0-3]: the first's answer, r[4]: ZF after it (the xor's, 1: ZF is
 * cleared before), r[5-8]: the second's. */
void cpuid_sub_sites(unsigned r[9], int via_jump);
__asm__(".text\n"
        ".globl cpuid_sub_sites\n"
        "cpuid_sub_sites:\n\t"
        "push %rbx\n\t"
        "test %esi, %esi\n\t"
        "jz 1f\n\t"
        "mov $7, %r8d\n\t"
        "mov %r8d, %eax\n\t"
        "or $1, %edx\n\t" /* ZF = 0 */
        "jmp 2f\n"
        "1:\n\t"
        "or $1, %edx\n\t"
        ".byte 0xb8, 7, 0, 0, 0\n" /* mov $7, %eax */
        "2:\n\t"
        "xor %ecx, %ecx\n\t"
        "cpuid\n\t"
        "setz %r9b\n\t"
        "mov %eax, (%rdi)\n\t"
        "mov %ebx, 4(%rdi)\n\t"
        "mov %ecx, 8(%rdi)\n\t"
        "mov %edx, 12(%rdi)\n\t"
        "movzbl %r9b, %r9d\n\t"
        "mov %r9d, 16(%rdi)\n\t"
        "test %esi, %esi\n\t"
        "jz 3f\n\t"
        "mov $0xd, %r8d\n\t"
        "mov %r8d, %eax\n\t"
        "jmp 4f\n"
        "3:\n\t"
        ".byte 0xb8, 0xd, 0, 0, 0\n" /* mov $0xd, %eax */
        "4:\n\t"
        ".byte 0xb9, 1, 0, 0, 0\n" /* mov $1, %ecx */
        "cpuid\n\t"
        "mov %eax, 20(%rdi)\n\t"
        "mov %ebx, 24(%rdi)\n\t"
        "mov %ecx, 28(%rdi)\n\t"
        "mov %edx, 32(%rdi)\n\t"
        "pop %rbx\n\t"
        "ret\n");

static int cpuid_sub_same(int via_jump)
{
	unsigned a[9] = { 0 }, b[4] = { 1 }, c[4] = { 1 };

	cpuid_sub_sites(a, via_jump);
	cpuid_plain_sub(7, 0, b);
	cpuid_plain_sub(0xd, 1, c);
	return !memcmp(a, b, sizeof(b)) && a[4] == 1 && !memcmp(a + 5, c, sizeof(c));
}

static int cpuid_same(int via_jump)
{
	unsigned a[4] = { 0 }, b[4] = { 1 };

	cpuid_site(a, via_jump);
	cpuid_plain(0x80000000u, b);
	return !memcmp(a, b, sizeof(a)) && a[0] >= 0x80000000u;
}

static void on_alarm(int sig) { alarms++; }

/* This program run again with one argument, mode: its wait status, -1
 * when it could not be started. */
static int run_self(const char *self, const char *mode)
{
	char *argv[] = { (char *)self, (char *)mode, NULL };
	pid_t pid;
	int st = -1;

	if (posix_spawn(&pid, self, NULL, NULL, argv, environ) || waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

/* "child-scribble": the code of site() made writable and overwritten
 * with int3s (its rewritten page, when the library OS kept it from an
 * earlier exec, is shared with that exec's: the write must copy it). */
static int scribble(void)
{
	uintptr_t from = (uintptr_t)site & ~4095ul, to = ((uintptr_t)site + 16 + 4095) & ~4095ul;

	if (mprotect((void *)from, to - from, PROT_READ | PROT_WRITE | PROT_EXEC))
		return 2;
	memset((void *)site, 0xcc, 16);
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	struct itimerval it = { .it_interval = { 0, 200000 }, .it_value = { 0, 50000 } };
	struct timespec req = { 60, 0 }, rem = { 0, 0 };
	const char *self = argc && argv[0][0] == '/' ? argv[0] : "/proc/self/exe";
	int r, e;

	if (argc > 1 && !strcmp(argv[1], "child-scribble"))
		return scribble();
	if (argc > 1 && !strcmp(argv[1], "child-site"))
		return site(0) == syscall(SYS_getpid) ? 0 : 1;
	setvbuf(stdout, NULL, _IONBF, 0);
	check("getpid-site", site(0) == syscall(SYS_getpid));
	check("jump-to-syscall-still-traps", site(1) == syscall(SYS_getppid));
	check("glibc-getpid", getpid() == syscall(SYS_getpid));
	check("red-zone-kept", red_zone_kept());
	check("cpuid-site", cpuid_same(0));
	check("jump-to-cpuid-still-traps", cpuid_same(1));
	check("cpuid-subleaf-sites", cpuid_sub_same(0));
	check("jump-past-cpuid-subleaf-mov", cpuid_sub_same(1));
	{
		int ok1, ok2;
		check("cmp-site", cmp_site(0, &ok1) == syscall(SYS_getpid) && ok1);
		check("cmp-site-jump-to-syscall", cmp_site(1, &ok2) == syscall(SYS_getppid) && ok2);
	}
	{
		/* glibc's read (xor %eax,%eax; syscall; cmp) and its error path */
		int fds[2];
		char c = 0;
		check("glibc-read", pipe(fds) == 0 && write(fds[1], "x", 1) == 1 &&
		                        read(fds[0], &c, 1) == 1 && c == 'x');
		check("glibc-read-error", read(-1, &c, 1) == -1 && errno == EBADF);
		check("glibc-syscall-fn", syscall(SYS_getpid) == getpid() &&
		                              syscall(SYS_close, -1) == -1 && errno == EBADF);
	}

	/* A blocking call interrupted by a signal: EINTR, the handler ran,
	 * the time left reported. The timer repeats, so a first tick that
	 * comes before the call starts (a slow, emulated CPU) is followed by
	 * one that interrupts it. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	r = nanosleep(&req, &rem);
	e = errno;
	setitimer(ITIMER_REAL, &(struct itimerval){ 0 }, NULL);
	check("signal-interrupts-call", r == -1 && e == EINTR && alarms >= 1);
	check("time-left-reported", rem.tv_sec >= 30 && rem.tv_sec < 60);

	/* Each exec of this program maps the same rewritten code: one that
	 * writes over its own leaves the next exec's and ours as they were. */
	check("exec-runs-site", run_self(self, "child-site") == 0);
	check("exec-writes-own-code", run_self(self, "child-scribble") == 0);
	check("exec-after-write-runs-site", run_self(self, "child-site") == 0);
	check("own-site-after-child-wrote", site(0) == syscall(SYS_getpid));

	printf("rewrite: %d checks, %d failed\n", checks, failed);
	return failed != 0;
}
