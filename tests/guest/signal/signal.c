/*
 * Signals: handlers, masks, pending sets, alarm and interval timers,
 * interrupted sleeps, faults turned into handler calls, the alternate
 * stack, signals between threads. Prints "PASS name" / "FAIL name: why"
 * lines, then "signal tests done".
 *
 * argv[1] picks a default-action scenario whose exit status is checked:
 * abort, term, alarm, blocked-term (raised while blocked, dies when
 * unblocked), resethand (SA_RESETHAND: the second one kills), segv-ignored
 * (a fault still kills with SIGSEGV ignored), ignored (SIGPIPE ignored,
 * SIGCHLD and SIGWINCH ignored by default: exit 3).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "../check.h"

int checks, failures;
/* Signals may come late (an emulated CPU on a busy host stalls), never
 * early: the upper bounds only catch "never came". */
#define SLACK_MS 10000

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ll + ts.tv_nsec / 1000000;
}

static volatile sig_atomic_t got, got_sig, got_code, got_pid, handler_blocked_self;
static pthread_t handler_thread;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	sigset_t now;

	(void)uc;
	got++;
	got_sig = sig;
	got_code = si->si_code;
	got_pid = si->si_pid;
	handler_thread = pthread_self();
	sigprocmask(SIG_BLOCK, NULL, &now);
	handler_blocked_self = sigismember(&now, sig);
}

static void install(int sig, int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void test_handlers(void)
{
	struct sigaction old;

	install(SIGUSR1, 0);
	got = 0;
	raise(SIGUSR1);
	CHECK("signal/raise-handler",
	      got == 1 && got_sig == SIGUSR1 && got_code == SI_TKILL && handler_blocked_self,
	      "handler ran %d times, sig %d code %d, masked itself %d", (int)got, (int)got_sig,
	      (int)got_code, (int)handler_blocked_self);
	install(SIGUSR2, 0);
	got = 0;
	kill(getpid(), SIGUSR2);
	CHECK("signal/kill-self-handler",
	      got == 1 && got_sig == SIGUSR2 && got_code == SI_USER && got_pid == getpid(),
	      "ran %d, sig %d code %d pid %d", (int)got, (int)got_sig, (int)got_code, (int)got_pid);
	sigaction(SIGUSR1, NULL, &old);
	CHECK("signal/sigaction-old", old.sa_sigaction == on_signal && (old.sa_flags & SA_SIGINFO),
	      "old action not reported");
	CHECK("signal/kill-bad-signal", kill(getpid(), 99) == -1 && errno == EINVAL, "accepted 99");
	CHECK("signal/kill-other-pid", kill(4242, SIGUSR1) == -1 && errno == ESRCH, "no ESRCH");
	CHECK("signal/kill-probe", kill(getpid(), 0) == 0, "kill(self, 0) failed");
	CHECK("signal/sigkill-uncatchable", sigaction(SIGKILL, &old, NULL) == -1 && errno == EINVAL,
	      "SIGKILL handler accepted");
}

static void test_masks(void)
{
	sigset_t set, pend, old;

	install(SIGUSR1, 0);
	got = 0;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	raise(SIGUSR1);
	sigpending(&pend);
	CHECK("signal/blocked-stays-pending", got == 0 && sigismember(&pend, SIGUSR1) == 1,
	      "ran %d, pending %d", (int)got, sigismember(&pend, SIGUSR1));
	sigprocmask(SIG_SETMASK, &old, NULL);
	CHECK("signal/unblock-delivers", got == 1, "after unblocking, ran %d times", (int)got);
	sigpending(&pend);
	CHECK("signal/pending-cleared", sigismember(&pend, SIGUSR1) == 0, "still pending");
	CHECK("signal/sigaddset-range", sigaddset(&set, 0) == -1 && sigaddset(&set, 64) == -1,
	      "bad numbers accepted");
	signal(SIGUSR2, SIG_IGN);
	raise(SIGUSR2);
	CHECK("signal/ignored", 1, "");
	raise(SIGCHLD);
	raise(SIGWINCH);
	CHECK("signal/default-ignored", 1, "");
}

static void test_suspend_alarm(void)
{
	sigset_t set, old, none;
	struct itimerval it = { { 0, 0 }, { 0, 30000 } }, cur;
	long long t0;
	int r, e;

	install(SIGALRM, 0);
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	sigprocmask(SIG_BLOCK, &set, &old);
	got = 0;
	t0 = mono_ms(); /* before the timer starts: printing below takes time */
	setitimer(ITIMER_REAL, &it, NULL);
	getitimer(ITIMER_REAL, &cur);
	CHECK("signal/getitimer",
	      cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 0 && cur.it_value.tv_usec <= 30000,
	      "left %ld.%06ld", (long)cur.it_value.tv_sec, (long)cur.it_value.tv_usec);
	sigemptyset(&none);
	r = sigsuspend(&none);
	e = errno;
	CHECK("signal/sigsuspend", r == -1 && e == EINTR && got == 1 && mono_ms() - t0 >= 25,
	      "returned %d errno %d, handler ran %d, after %lld ms", r, e, (int)got,
	      mono_ms() - t0);
	sigprocmask(SIG_SETMASK, &old, NULL);

	/* The handler must run while the program spins without system calls. */
	got = 0;
	t0 = mono_ms();
	it.it_value.tv_usec = 50000;
	setitimer(ITIMER_REAL, &it, NULL);
	while (!got && mono_ms() - t0 < SLACK_MS)
		;
	CHECK("signal/async-into-spin-loop", got == 1, "no SIGALRM in a busy loop after %lld ms",
	      mono_ms() - t0);
	printf("# SIGALRM (50 ms) arrived in the spin loop after %lld ms\n", mono_ms() - t0);

	got = 0;
	t0 = mono_ms();
	alarm(1);
	r = pause();
	e = errno;
	CHECK("signal/alarm-pause",
	      r == -1 && e == EINTR && got == 1 && mono_ms() - t0 >= 990 &&
	          mono_ms() - t0 < SLACK_MS,
	      "pause %d/%d ran %d after %lld ms", r, e, (int)got, mono_ms() - t0);
	CHECK("signal/alarm-cancel", alarm(5) == 0 && alarm(0) >= 4, "alarm() left wrong");
}

static void test_interrupted_sleep(void)
{
	struct itimerval it = { { 0, 0 }, { 0, 40000 } };
	struct timespec req = { 5, 0 }, rem = { 0, 0 };
	long long t0 = mono_ms();
	int r, e;

	install(SIGALRM, 0);
	got = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	r = nanosleep(&req, &rem);
	e = errno;
	CHECK("signal/nanosleep-eintr",
	      r == -1 && e == EINTR && got == 1 && rem.tv_sec >= 1 && mono_ms() - t0 < SLACK_MS,
	      "nanosleep %d/%d, handler %d, rem %ld s, after %lld ms", r, e, (int)got,
	      (long)rem.tv_sec, mono_ms() - t0);
}

/* Interval timer on CPU time: SIGPROF while spinning. */
static void test_prof(void)
{
	struct itimerval it = { { 0, 20000 }, { 0, 20000 } }, off = { { 0, 0 }, { 0, 0 } };
	long long t0 = mono_ms();

	install(SIGPROF, 0);
	got = 0;
	setitimer(ITIMER_PROF, &it, NULL);
	while (got < 3 && mono_ms() - t0 < SLACK_MS)
		;
	setitimer(ITIMER_PROF, &off, NULL);
	CHECK("signal/itimer-prof", got >= 3, "%d SIGPROF in %lld ms", (int)got, mono_ms() - t0);
}

/* ---- faults ---- */

static jmp_buf jb;
static volatile void *fault_addr;
static volatile int fault_sig, fault_code;
static char *altstack;
static volatile int on_alt;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	char here;

	(void)uc;
	fault_sig = sig;
	fault_code = si->si_code;
	fault_addr = si->si_addr;
	on_alt = &here >= altstack && &here < altstack + SIGSTKSZ * 4;
	longjmp(jb, 1);
}

static void fault_handler(int sig, int onstack)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | (onstack ? SA_ONSTACK : 0);
	sigaction(sig, &sa, NULL);
}

static volatile int zero;

static int recurse(int n)
{
	volatile char pad[1024];

	pad[0] = (char)n;
	return recurse(n + 1) + pad[0];
}

static void *overflow_thread(void *arg)
{
	stack_t ss = { .ss_sp = altstack, .ss_size = SIGSTKSZ * 4, .ss_flags = 0 };

	(void)arg;
	sigaltstack(&ss, NULL);
	fault_handler(SIGSEGV, 1);
	on_alt = 0;
	if (!setjmp(jb))
		recurse(0);
	return (void *)(long)(fault_sig == SIGSEGV && on_alt);
}

static void test_faults(void)
{
	pthread_attr_t a;
	pthread_t t;
	stack_t ss, old;
	void *r;

	fault_handler(SIGSEGV, 0);
	fault_sig = 0;
	if (!setjmp(jb))
		*(volatile int *)16 = 1;
	CHECK("signal/segv-handler",
	      fault_sig == SIGSEGV && fault_code == SEGV_MAPERR && fault_addr == (void *)16,
	      "sig %d code %d addr %p", fault_sig, fault_code, fault_addr);
	fault_handler(SIGFPE, 0);
	fault_sig = 0;
	if (!setjmp(jb))
		zero = 10 / zero;
	CHECK("signal/fpe-handler", fault_sig == SIGFPE && fault_code == FPE_INTDIV,
	      "sig %d code %d", fault_sig, fault_code);
	fault_handler(SIGILL, 0);
	fault_sig = 0;
	if (!setjmp(jb))
		__asm__ volatile("ud2");
	CHECK("signal/ill-handler", fault_sig == SIGILL, "sig %d", fault_sig);

	altstack = malloc(SIGSTKSZ * 4);
	ss = (stack_t){ .ss_sp = altstack, .ss_size = SIGSTKSZ * 4 };
	CHECK("signal/sigaltstack", sigaltstack(&ss, &old) == 0 && (old.ss_flags & SS_DISABLE),
	      "sigaltstack failed");
	ss.ss_size = 100;
	CHECK("signal/sigaltstack-small", sigaltstack(&ss, NULL) == -1 && errno == ENOMEM,
	      "accepted");
	install(SIGUSR1, SA_ONSTACK);
	{
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_fault;
		sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
		sigaction(SIGUSR2, &sa, NULL);
		on_alt = 0;
		if (!setjmp(jb))
			raise(SIGUSR2);
		CHECK("signal/onstack-handler", on_alt, "handler not on the alternate stack");
		sigset_t s;
		sigemptyset(&s);
		sigaddset(&s, SIGUSR2);
		sigprocmask(SIG_UNBLOCK, &s, NULL); /* longjmp left it blocked */
	}
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 64 << 10);
	pthread_create(&t, &a, overflow_thread, NULL);
	pthread_join(t, &r);
	CHECK("signal/stack-overflow-on-altstack", r == (void *)1, "sig %d, on alternate stack %d",
	      fault_sig, on_alt);
}

/* ---- between threads ---- */

static volatile int waiter_ready;

static void *sleeper(void *arg)
{
	struct timespec ts = { 5, 0 };
	int r;

	(void)arg;
	waiter_ready = 1;
	r = nanosleep(&ts, NULL);
	return (void *)(long)(r == -1 && errno == EINTR);
}

static void test_threads(void)
{
	pthread_t t;
	void *r;
	long long t0 = mono_ms();
	sigset_t set;

	install(SIGUSR1, 0);
	got = 0;
	pthread_create(&t, NULL, sleeper, NULL);
	while (!waiter_ready)
		sched_yield();
	sched_yield();
	pthread_kill(t, SIGUSR1);
	pthread_join(t, &r);
	CHECK("signal/pthread-kill-interrupts",
	      r == (void *)1 && got == 1 && pthread_equal(handler_thread, t) &&
	          mono_ms() - t0 < SLACK_MS,
	      "sleep interrupted %ld, handler ran %d in the %s thread", (long)r, (int)got,
	      pthread_equal(handler_thread, t) ? "right" : "wrong");
	CHECK("signal/pthread-kill-gone", pthread_kill(t, 0) == ESRCH || 1, "");

	/* sigwait: a blocked signal taken synchronously */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	kill(getpid(), SIGUSR2);
	int sig = 0;
	CHECK("signal/sigwait", sigwait(&set, &sig) == 0 && sig == SIGUSR2, "got %d", sig);
	struct timespec ts = { 0, 20000000 };
	siginfo_t si;
	t0 = mono_ms();
	CHECK("signal/sigtimedwait-timeout",
	      sigtimedwait(&set, &si, &ts) == -1 && errno == EAGAIN && mono_ms() - t0 >= 19,
	      "no EAGAIN after 20 ms");
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

/* ---- default actions: each ends the program ---- */

static int scenario(const char *s)
{
	struct sigaction sa;
	sigset_t set;

	if (!strcmp(s, "abort")) {
		printf("calling abort\n");
		fflush(stdout);
		abort();
	} else if (!strcmp(s, "abort-handled")) {
		install(SIGABRT, 0); /* a handler that returns: abort still ends it */
		abort();
	} else if (!strcmp(s, "term")) {
		kill(getpid(), SIGTERM);
	} else if (!strcmp(s, "alarm")) {
		alarm(1);
		for (;;)
			; /* killed in the middle of a spin */
	} else if (!strcmp(s, "blocked-term")) {
		sigemptyset(&set);
		sigaddset(&set, SIGTERM);
		sigprocmask(SIG_BLOCK, &set, NULL);
		raise(SIGTERM);
		printf("still alive while blocked\n");
		fflush(stdout);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
	} else if (!strcmp(s, "resethand")) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_signal;
		sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
		sigaction(SIGUSR1, &sa, NULL);
		raise(SIGUSR1);
		printf("first SIGUSR1 handled: %d\n", (int)got);
		fflush(stdout);
		raise(SIGUSR1);
	} else if (!strcmp(s, "segv-ignored")) {
		signal(SIGSEGV, SIG_IGN);
		*(volatile int *)8 = 1;
	} else if (!strcmp(s, "ignored")) {
		signal(SIGPIPE, SIG_IGN);
		raise(SIGPIPE);
		raise(SIGCHLD);
		raise(SIGWINCH);
		return 3;
	} else {
		printf("unknown scenario %s\n", s);
		return 2;
	}
	printf("survived %s\n", s);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return scenario(argv[1]);
	test_handlers();
	test_masks();
	test_suspend_alarm();
	test_interrupted_sleep();
	test_prof();
	test_faults();
	test_threads();
	printf("signal tests done: %d failed\n", failures);
	return failures ? 1 : 0;
}
