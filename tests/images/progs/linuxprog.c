/*
 * A Linux program for the binary-mode tests, built by the test with the
 * host's gcc against glibc (static, static-pie, dynamic) and musl (static,
 * dynamic), then packed with `ukbuild oci dir:`. It checks what a C
 * library and a program expect of the kernel and prints one line per
 * check: "ok NAME" or "FAIL NAME: why", then "done N failed". A third
 * argument "signals" runs the signal checks instead.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static int failed;
static __thread int tls_counter = 41;

#define CHECK(name, cond, ...)                     \
	do {                                       \
		if (cond) {                        \
			printf("ok %s\n", name);   \
		} else {                           \
			printf("FAIL %s: ", name); \
			printf(__VA_ARGS__);       \
			printf("\n");              \
			failed++;                  \
		}                                  \
	} while (0)

static void *thread_fn(void *arg)
{
	tls_counter = 1000; /* this thread's own copy */
	return (void *)((long)arg * 2);
}

static void check_auxv(char **argv)
{
	const char *execfn = (const char *)getauxval(AT_EXECFN);
	const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
	int nonzero = 0;

	CHECK("auxv-pagesz", getauxval(AT_PAGESZ) == 4096, "%lu", getauxval(AT_PAGESZ));
	CHECK("auxv-phdr", getauxval(AT_PHDR) != 0 && getauxval(AT_PHNUM) > 0, "none");
	CHECK("auxv-entry", getauxval(AT_ENTRY) != 0, "none");
	CHECK("auxv-execfn", execfn && strstr(execfn, "linuxprog"), "%s", execfn ? execfn : "NULL");
	for (int i = 0; rnd && i < 16; i++)
		nonzero |= rnd[i];
	CHECK("auxv-random", rnd && nonzero, "no random bytes");
	CHECK("auxv-vdso", getauxval(AT_SYSINFO_EHDR) != 0, "no vDSO");
	CHECK("argv", !strcmp(argv[1], "first arg") && !strcmp(argv[2], "second"), "%s|%s", argv[1],
	      argv[2]);
}

static void check_threads(void)
{
	pthread_t t;
	void *ret = NULL;

	tls_counter++;
	CHECK("tls", tls_counter == 42, "%d", tls_counter);
	CHECK("pthread-create", pthread_create(&t, NULL, thread_fn, (void *)21) == 0, "%m");
	CHECK("pthread-join", pthread_join(t, &ret) == 0 && (long)ret == 42, "%ld", (long)ret);
	CHECK("tls-per-thread", tls_counter == 42, "%d", tls_counter);
}

static void check_memory(void)
{
	size_t big = 64 << 20;
	char *p = malloc(big), *m;
	void *b0 = sbrk(0);

	CHECK("malloc-64M", p != NULL, "NULL");
	if (p) {
		memset(p, 0x5a, big);
		CHECK("malloc-touch", p[0] == 0x5a && p[big - 1] == 0x5a, "bad");
		free(p);
	}
	/* the system call itself: musl's sbrk() refuses to grow */
	b0 = (void *)syscall(SYS_brk, 0);
	CHECK("brk-grows",
	      syscall(SYS_brk, (char *)b0 + (1 << 20)) == (long)((char *)b0 + (1 << 20)), "%p",
	      (void *)syscall(SYS_brk, 0));
	CHECK("brk-lower-half", (unsigned long)b0 < (1ul << 47), "%p", b0);
	m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("mmap-anon", m != MAP_FAILED && m[12345] == 0, "%m");
	if (m != MAP_FAILED)
		CHECK("munmap", munmap(m, 1 << 20) == 0, "%m");
}

static void check_files(void)
{
	char buf[64] = "", cwd[256] = "", exe[256] = "";
	int fd = open("/tmp/linuxprog.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
	ssize_t n;

	CHECK("open-create", fd >= 0, "%m");
	CHECK("write", write(fd, "written by linuxprog", 20) == 20, "%m");
	CHECK("pread", pread(fd, buf, 7, 11) == 7 && !memcmp(buf, "linuxpr", 7), "%s", buf);
	close(fd);
	CHECK("getcwd", getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, getenv("EXPECT_CWD")), "%s", cwd);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	CHECK("proc-self-exe", n > 0 && strstr(exe, "linuxprog"), "%s", n > 0 ? exe : "none");
}

/* A child that exits with 5: its wait status (processes inside the VM). */
static int fork_wait(void)
{
	int st = -1;
	pid_t pid = fork();

	if (pid == 0)
		_exit(5);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void check_misc(void)
{
	struct timespec a, b;
	struct utsname u;
	struct rlimit rl;
	cpu_set_t set;
	unsigned char r[32];
	long x = 0;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (volatile int i = 0; i < 1000000; i++)
		x += i;
	clock_gettime(CLOCK_MONOTONIC, &b);
	CHECK("clock-monotonic",
	      b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec > a.tv_nsec),
	      "did not advance");
	CHECK("time", time(NULL) > 1600000000, "%ld", (long)time(NULL));
	CHECK("getrandom", getrandom(r, sizeof(r), 0) == sizeof(r), "%m");
	CHECK("uname", uname(&u) == 0 && !strcmp(u.sysname, "Linux"), "%s", u.sysname);
	CHECK("prlimit-stack", getrlimit(RLIMIT_STACK, &rl) == 0, "%m");
	CHECK("sched-getaffinity",
	      sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) >= 1, "%m");
	CHECK("env-from-image", getenv("FROM_IMAGE") && !strcmp(getenv("FROM_IMAGE"), "yes"), "%s",
	      getenv("FROM_IMAGE") ? getenv("FROM_IMAGE") : "unset");
	CHECK("fork-wait", fork_wait() == 5, "status %#x", fork_wait());
}

static sigjmp_buf fault_jmp;
static volatile sig_atomic_t got_usr1, got_alrm;
static volatile void *fault_addr;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	fault_addr = si->si_addr;
	siglongjmp(fault_jmp, 1);
}

static void on_usr1(int sig) { got_usr1 = sig; }
static void on_alrm(int sig) { got_alrm = sig; }

/* Go's way of preempting a goroutine (and of injecting sigpanic): the
 * handler pushes a return address on the interrupted stack and resumes at
 * another function, which returns to where the fault was. (The fault comes
 * with a word pushed: a %rsp left as it was would return to 0.) */
int linuxprog_landed;
void linuxprog_ud2(void);
void linuxprog_landing(void);
__asm__(".text\n"
        "linuxprog_ud2: push $0\n"
        "	ud2\n"
        "	add $8, %rsp\n"
        "	ret\n"
        "linuxprog_landing: incl linuxprog_landed(%rip)\n"
        "	ret\n");

static void on_ill(int sig, siginfo_t *si, void *ucv)
{
	greg_t *g = ((ucontext_t *)ucv)->uc_mcontext.gregs;
	uint64_t sp = (uint64_t)g[REG_RSP] - 8;

	(void)sig, (void)si;
	*(uint64_t *)sp = (uint64_t)g[REG_RIP] + 2; /* past the ud2 */
	g[REG_RSP] = (greg_t)sp;
	g[REG_RIP] = (greg_t)(uintptr_t)linuxprog_landing;
}

/* A goroutine's stack is small: nothing but the program may write below
 * its stack pointer, not when the thread is preempted, not when a signal
 * with SA_ONSTACK interrupts it. A thread spins on a stack of its own
 * (its bytes below %rsp patterned) keeping values in %rcx and %r11 (which
 * `syscall` would clobber), while the main thread spins too (the two
 * preempt each other) and sends it SIGUSR2s. */
static uint8_t spin_stack[8192] __attribute__((aligned(16)));
static uint8_t spin_altstack[32768] __attribute__((aligned(16)));
static volatile int spin_stop, spin_ready;
static volatile sig_atomic_t usr2_n, usr2_off_altstack;

static void on_usr2(int sig)
{
	uint8_t here;

	(void)sig;
	usr2_n++;
	if (&here < spin_altstack || &here >= spin_altstack + sizeof(spin_altstack))
		usr2_off_altstack++;
}

static void *spinner(void *arg)
{
	stack_t ss = { .ss_sp = spin_altstack, .ss_size = sizeof(spin_altstack) };
	long bad;

	(void)arg;
	sigaltstack(&ss, NULL);
	memset(spin_stack, 0xa5, sizeof(spin_stack));
	spin_ready = 1;
	__asm__ volatile("mov %%rsp, %%r12\n\t"
	                 "mov %[top], %%rsp\n\t"
	                 "mov $0x1234, %%rcx\n\t"
	                 "mov $0x5678, %%r11\n\t"
	                 "xor %%eax, %%eax\n"
	                 "1:\n\t"
	                 "cmp $0x1234, %%rcx\n\t"
	                 "jne 2f\n\t"
	                 "cmp $0x5678, %%r11\n\t"
	                 "jne 2f\n\t"
	                 "cmpl $0, (%[stop])\n\t"
	                 "je 1b\n\t"
	                 "jmp 3f\n"
	                 "2: mov $1, %%eax\n"
	                 "3: mov %%r12, %%rsp\n\t"
	                 : "=&a"(bad)
	                 : [top] "r"(spin_stack + 4096), [stop] "r"(&spin_stop)
	                 : "rcx", "r11", "r12", "memory", "cc");
	return (void *)bad;
}

static void check_stack_untouched(void)
{
	struct sigaction sa = { 0 };
	struct timespec t0, t;
	pthread_t th;
	void *bad = (void *)1;
	int sent = 0, intact = 1;

	sa.sa_handler = on_usr2;
	sa.sa_flags = SA_ONSTACK | SA_RESTART;
	sigaction(SIGUSR2, &sa, NULL);
	pthread_create(&th, NULL, spinner, NULL);
	while (!spin_ready)
		sched_yield();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do { /* one at a time (a second one pending would merge with it) */
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (sent < 5 && usr2_n == sent)
			sent += pthread_kill(th, SIGUSR2) == 0;
	} while (t.tv_sec - t0.tv_sec < 5 && usr2_n < 5);
	spin_stop = 1;
	pthread_join(th, &bad);
	for (size_t i = 0; i < 4096; i++)
		intact &= spin_stack[i] == 0xa5;
	CHECK("preempted-registers-kept", bad == NULL, "%%rcx or %%r11 changed under the spinner");
	CHECK("nothing-below-rsp", intact, "bytes below the spinner's stack pointer were written");
	CHECK("sigaltstack-handler", usr2_n == 5 && !usr2_off_altstack,
	      "%d of 5 handled, %d off it", (int)usr2_n, (int)usr2_off_altstack);
}

/* SA_RESTART: a read interrupted by a handler goes on reading. */
static volatile sig_atomic_t got_restart_alrm;
static void on_restart_alrm(int sig) { got_restart_alrm = sig; }
static void *late_writer(void *fd)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL); /* the reader takes SIGALRM */
	usleep(300000);
	write((int)(long)fd, "x", 1);
	return NULL;
}

static void check_restart(void)
{
	struct sigaction sa = { 0 };
	struct itimerval it = { .it_value = { .tv_usec = 100000 } };
	pthread_t th;
	int p[2];
	char c = 0;
	ssize_t n;

	sa.sa_handler = on_restart_alrm;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	if (pipe(p)) {
		CHECK("sa-restart", 0, "pipe: %m");
		return;
	}
	pthread_create(&th, NULL, late_writer, (void *)(long)p[1]);
	setitimer(ITIMER_REAL, &it, NULL);
	n = read(p[0], &c, 1);
	pthread_join(th, NULL);
	CHECK("sa-restart", n == 1 && c == 'x' && got_restart_alrm == SIGALRM,
	      "read %zd (%m), handler %s", n, got_restart_alrm ? "ran" : "did not run");
}

static void check_signals(void)
{
	struct sigaction sa = { 0 };
	struct timespec t0, t;

	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	if (!sigsetjmp(fault_jmp, 1))
		*(volatile int *)0x10 = 1; /* a fault in the program's code */
	CHECK("sigsegv-handler", fault_addr == (void *)0x10, "%p", (void *)fault_addr);
	signal(SIGSEGV, SIG_DFL); /* a later fault ends the program */
	signal(SIGUSR1, on_usr1);
	kill(getpid(), SIGUSR1); /* delivered on the way out of kill() */
	CHECK("kill-self", got_usr1 == SIGUSR1, "%d", (int)got_usr1);
	signal(SIGALRM, on_alrm);
	alarm(1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do /* spinning in the program's own code: the timer interrupt delivers */
		clock_gettime(CLOCK_MONOTONIC, &t);
	while (!got_alrm && t.tv_sec - t0.tv_sec < 5);
	CHECK("alarm-while-spinning", got_alrm == SIGALRM, "not delivered in 5 s");
	sa.sa_sigaction = on_ill;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGILL, &sa, NULL);
	linuxprog_ud2();
	CHECK("handler-moves-rsp", linuxprog_landed == 1, "landed %d times", linuxprog_landed);
	check_stack_untouched();
	check_restart();
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3) {
		printf("FAIL argv: %d arguments\n", argc);
		return 2;
	}
	if (argc > 3 && !strcmp(argv[3], "signals")) {
		check_signals(); /* a run of their own */
	} else {
		check_auxv(argv);
		check_threads();
		check_memory();
		check_files();
		check_misc();
	}
	printf("done %d failed\n", failed);
	return failed ? 1 : 42;
}
