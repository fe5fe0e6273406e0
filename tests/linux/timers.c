/*
 * POSIX per-process timers (timer_create and friends) as Linux answers
 * them: the default notification, signals with a value to a handler,
 * periodic timers, overruns of a blocked signal, a signal to one thread
 * (SIGEV_THREAD_ID), glibc's SIGEV_THREAD, SIGEV_NONE read with
 * timer_gettime, absolute CLOCK_REALTIME expiries, the process's and a
 * thread's CPU-time clocks, bad arguments, and timers not surviving fork
 * or exec. Run by tests/e2e/guest/proc.sh; the same checks pass as a
 * Linux process (compile it on the host and run it).
 */
#define _GNU_SOURCE
#define SUITE "timers"
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define MS 1000000L

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * MS };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int arm(timer_t t, int flags, long value_ns, long interval_ns)
{
	struct itimerspec its = { { interval_ns / 1000000000, interval_ns % 1000000000 },
		                  { value_ns / 1000000000, value_ns % 1000000000 } };

	return timer_settime(t, flags, &its, NULL);
}

/* Wait up to 2 s for sig (blocked by the caller). */
static int wait_sig(int sig, siginfo_t *si)
{
	sigset_t set;
	struct timespec two = { 2, 0 };

	sigemptyset(&set);
	sigaddset(&set, sig);
	return sigtimedwait(&set, si, &two);
}

static void block(int sig)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static uint64_t cpu_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ---- the default notification: SIGALRM, the id as value ---- */

static void default_notification(void)
{
	timer_t t;
	siginfo_t si;

	block(SIGALRM);
	check("default/create", timer_create(CLOCK_MONOTONIC, NULL, &t) == 0, "timer_create");
	check("default/arm", arm(t, 0, 5 * MS, 0) == 0, "timer_settime");
	check("default/sigalrm", wait_sig(SIGALRM, &si) == SIGALRM, "no SIGALRM in 2 s");
	check("default/si-code", si.si_code == SI_TIMER, "si_code is not SI_TIMER");
	check("default/si-value-is-id", si.si_value.sival_int == (int)(long)t,
	      "si_value is not the timer's id");
	check("default/si-timerid", si.si_timerid == (int)(long)t, "si_timerid is not the id");
	check("default/delete", timer_delete(t) == 0, "timer_delete");
	check("default/deleted-gone", timer_delete(t) == -1 && errno == EINVAL,
	      "a deleted timer deletes again");
}

/* ---- a periodic timer's signals to a handler, with a pointer value ---- */

static atomic_int ticks;
static void *tick_value;
static int tick_code;

static void on_tick(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	tick_value = si->si_value.sival_ptr;
	tick_code = si->si_code;
	ticks++;
}

static void periodic(void)
{
	struct sigaction sa = { .sa_sigaction = on_tick, .sa_flags = SA_SIGINFO | SA_RESTART };
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN + 1 };
	struct itimerspec cur;
	timer_t t;
	int n;

	sigaction(SIGRTMIN + 1, &sa, NULL);
	ev.sigev_value.sival_ptr = &ticks;
	check("periodic/create", timer_create(CLOCK_MONOTONIC, &ev, &t) == 0, "timer_create");
	check("periodic/arm", arm(t, 0, 2 * MS, 2 * MS) == 0, "timer_settime");
	for (int i = 0; i < 200 && ticks < 5; i++)
		sleep_ms(5);
	n = ticks;
	check("periodic/five-ticks", n >= 5, "fewer than 5 ticks of a 2 ms timer in 1 s");
	check("periodic/value", tick_value == &ticks, "si_value.sival_ptr is not the one given");
	check("periodic/code", tick_code == SI_TIMER, "si_code is not SI_TIMER");
	check("periodic/gettime",
	      timer_gettime(t, &cur) == 0 && cur.it_interval.tv_nsec == 2 * MS &&
	          cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 &&
	          cur.it_value.tv_nsec <= 2 * MS,
	      "timer_gettime of a running 2 ms timer");
	check("periodic/disarm", arm(t, 0, 0, 0) == 0, "timer_settime 0");
	sleep_ms(5);
	n = ticks;
	sleep_ms(20);
	check("periodic/disarmed-quiet", ticks == n, "a disarmed timer still ticks");
	check("periodic/disarmed-gettime",
	      timer_gettime(t, &cur) == 0 && cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0,
	      "a disarmed timer shows time left");
	timer_delete(t);
}

/* ---- overruns: a blocked signal is queued once, its overrun grows ---- */

static void overrun(void)
{
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN + 2 };
	siginfo_t si;
	timer_t t;
	int o;

	block(SIGRTMIN + 2);
	timer_create(CLOCK_MONOTONIC, &ev, &t);
	arm(t, 0, 5 * MS, 5 * MS);
	sleep_ms(80);
	check("overrun/signal", wait_sig(SIGRTMIN + 2, &si) == SIGRTMIN + 2, "no signal");
	check("overrun/counted", si.si_overrun >= 5,
	      "under 5 overruns of a 5 ms timer blocked for 80 ms");
	o = timer_getoverrun(t);
	check("overrun/getoverrun", o == si.si_overrun, "timer_getoverrun is not si_overrun");
	timer_delete(t);
}

/* ---- SIGEV_THREAD_ID: the signal goes to that thread ---- */

static atomic_int thread_tid, handled_by;
static atomic_int thread_done;

static void on_thread_sig(int sig)
{
	(void)sig;
	handled_by = (int)syscall(SYS_gettid);
}

static void *sig_thread(void *arg)
{
	(void)arg;
	thread_tid = (int)syscall(SYS_gettid);
	while (!handled_by && !thread_done)
		sleep_ms(1);
	return NULL;
}

static void to_thread(void)
{
	struct sigevent ev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGUSR2 };
	pthread_t th;
	timer_t t;

	signal(SIGUSR2, on_thread_sig);
	pthread_create(&th, NULL, sig_thread, NULL);
	while (!thread_tid)
		sleep_ms(1);
	ev._sigev_un._tid = thread_tid;
	check("thread-id/create", timer_create(CLOCK_MONOTONIC, &ev, &t) == 0, "timer_create");
	arm(t, 0, 5 * MS, 0);
	for (int i = 0; i < 200 && !handled_by; i++)
		sleep_ms(10);
	thread_done = 1;
	pthread_join(th, NULL);
	check("thread-id/that-thread", handled_by == thread_tid,
	      "the signal was not handled by the thread named");
	timer_delete(t);
	ev._sigev_un._tid = 999999;
	check("thread-id/no-such-thread",
	      timer_create(CLOCK_MONOTONIC, &ev, &t) == -1 && errno == EINVAL,
	      "a thread that does not exist is accepted");
}

/* ---- glibc's SIGEV_THREAD: a function called in a new thread ---- */

static sem_t called;
static atomic_int called_with;

static void notify_fn(union sigval v)
{
	called_with = v.sival_int;
	sem_post(&called);
}

static void thread_notify(void)
{
	struct sigevent ev = { .sigev_notify = SIGEV_THREAD, .sigev_notify_function = notify_fn };
	struct timespec until;
	timer_t t;

	sem_init(&called, 0, 0);
	ev.sigev_value.sival_int = 4242;
	check("sigev-thread/create", timer_create(CLOCK_REALTIME, &ev, &t) == 0, "timer_create");
	arm(t, 0, 5 * MS, 0);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 2;
	check("sigev-thread/called", sem_timedwait(&called, &until) == 0,
	      "the notify function did not run in 2 s");
	check("sigev-thread/value", called_with == 4242, "the function's value");
	timer_delete(t);
}

/* ---- SIGEV_NONE: nothing is signalled, timer_gettime counts ---- */

static void none(void)
{
	struct sigevent ev = { .sigev_notify = SIGEV_NONE };
	struct itimerspec cur;
	timer_t t;

	check("none/create", timer_create(CLOCK_MONOTONIC, &ev, &t) == 0, "timer_create");
	arm(t, 0, 200 * MS, 0);
	timer_gettime(t, &cur);
	check("none/left", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 100 * MS,
	      "a 200 ms timer just armed shows <= 100 ms left");
	arm(t, 0, 5 * MS, 0);
	sleep_ms(20);
	timer_gettime(t, &cur);
	check("none/expired", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0,
	      "an expired one-shot timer shows time left");
	arm(t, 0, 3 * MS, 10 * MS);
	sleep_ms(25);
	timer_gettime(t, &cur);
	check("none/periodic-goes-on",
	      cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 &&
	          cur.it_value.tv_nsec <= 10 * MS,
	      "a periodic SIGEV_NONE timer does not go on");
	timer_delete(t);
}

/* ---- absolute CLOCK_REALTIME expiries ---- */

static void absolute(void)
{
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN + 3 };
	struct itimerspec its = { 0 };
	struct timespec now, then;
	siginfo_t si;
	timer_t t;

	block(SIGRTMIN + 3);
	timer_create(CLOCK_REALTIME, &ev, &t);
	clock_gettime(CLOCK_REALTIME, &now);
	its.it_value = now;
	its.it_value.tv_nsec += 20 * MS;
	if (its.it_value.tv_nsec >= 1000000000) {
		its.it_value.tv_sec++;
		its.it_value.tv_nsec -= 1000000000;
	}
	check("absolute/arm", timer_settime(t, TIMER_ABSTIME, &its, NULL) == 0, "timer_settime");
	check("absolute/fires", wait_sig(SIGRTMIN + 3, &si) == SIGRTMIN + 3, "no signal in 2 s");
	clock_gettime(CLOCK_REALTIME, &then);
	check("absolute/not-early",
	      then.tv_sec > its.it_value.tv_sec ||
	          (then.tv_sec == its.it_value.tv_sec && then.tv_nsec >= its.it_value.tv_nsec),
	      "it fired before the time given");
	its.it_value.tv_sec -= 100; /* the past: at once */
	timer_settime(t, TIMER_ABSTIME, &its, NULL);
	check("absolute/past-fires-now", wait_sig(SIGRTMIN + 3, &si) == SIGRTMIN + 3,
	      "an expiry in the past never fires");
	timer_delete(t);
}

/* ---- CPU-time clocks: the process's, a thread's ---- */

static volatile sig_atomic_t cpu_fired;
static void on_cpu(int sig) { cpu_fired = sig; }

static void cpu_clocks(void)
{
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1 };
	clockid_t mine;
	uint64_t start, used;
	timer_t t;

	signal(SIGUSR1, on_cpu);
	check("cpu/process-create", timer_create(CLOCK_PROCESS_CPUTIME_ID, &ev, &t) == 0,
	      "timer_create");
	start = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
	arm(t, 0, 20 * MS, 0);
	while (!cpu_fired && cpu_ns(CLOCK_PROCESS_CPUTIME_ID) - start < 3000 * MS)
		;
	used = cpu_ns(CLOCK_PROCESS_CPUTIME_ID) - start;
	check("cpu/process-fires", cpu_fired == SIGUSR1, "no signal after 3 s of CPU");
	check("cpu/process-not-early", used >= 20 * MS, "fired before 20 ms of CPU time");
	timer_delete(t);

	cpu_fired = 0;
	pthread_getcpuclockid(pthread_self(), &mine);
	check("cpu/thread-create", timer_create(mine, &ev, &t) == 0, "timer_create");
	start = cpu_ns(mine);
	arm(t, 0, 10 * MS, 0);
	while (!cpu_fired && cpu_ns(mine) - start < 3000 * MS)
		;
	check("cpu/thread-fires", cpu_fired == SIGUSR1, "no signal after 3 s of the thread's CPU");
	timer_delete(t);
}

/* ---- bad arguments ---- */

static void errors(void)
{
	struct sigevent bad_sig = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = 0 };
	struct sigevent bad_notify = { .sigev_notify = 77, .sigev_signo = SIGUSR1 };
	struct itimerspec bad_ts = { { 0, 0 }, { 0, 1000000000 } };
	timer_t t;

	check("errors/bad-clock", timer_create(99, NULL, &t) == -1 && errno == EINVAL,
	      "clock 99 accepted");
	check("errors/bad-signal",
	      timer_create(CLOCK_MONOTONIC, &bad_sig, &t) == -1 && errno == EINVAL,
	      "signal 0 accepted");
	check("errors/bad-notify",
	      timer_create(CLOCK_MONOTONIC, &bad_notify, &t) == -1 && errno == EINVAL,
	      "sigev_notify 77 accepted");
	check("errors/no-such-timer", arm((timer_t)(long)12345, 0, MS, 0) == -1 && errno == EINVAL,
	      "timer_settime of a timer that does not exist");
	timer_create(CLOCK_MONOTONIC, NULL, &t);
	check("errors/bad-timespec", timer_settime(t, 0, &bad_ts, NULL) == -1 && errno == EINVAL,
	      "tv_nsec 1e9 accepted");
	check("errors/bad-flags", timer_settime(t, 0x100, &bad_ts, NULL) == -1 && errno == EINVAL,
	      "unknown flags accepted");
	check("errors/no-new-value",
	      syscall(SYS_timer_settime, t, 0, NULL, NULL) == -1 && errno == EINVAL,
	      "timer_settime without a value not EINVAL");
	timer_delete(t);
	/* clocks that are read but have no timers */
	clockid_t untimed[] = { CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE,
		                CLOCK_MONOTONIC_COARSE };
	int refused = 1;
	for (int i = 0; i < 3; i++)
		refused &= timer_create(untimed[i], NULL, &t) == -1 && errno == EOPNOTSUPP;
	check("errors/raw-and-coarse-clocks", refused, "a timer on a raw or coarse clock");
	/* SIGEV_THREAD_ID goes with SIGEV_SIGNAL only */
	struct sigevent ev = { .sigev_notify = SIGEV_THREAD | SIGEV_THREAD_ID,
		               .sigev_signo = SIGUSR1 };
	int kid;
	ev._sigev_un._tid = (int)syscall(SYS_gettid);
	check("errors/thread-with-thread-id",
	      syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &kid) == -1 && errno == EINVAL,
	      "SIGEV_THREAD|SIGEV_THREAD_ID accepted");
	ev.sigev_notify = SIGEV_NONE | SIGEV_THREAD_ID;
	check("errors/none-with-thread-id",
	      syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &kid) == -1 && errno == EINVAL,
	      "SIGEV_NONE|SIGEV_THREAD_ID accepted");
}

/* ---- a deleted timer's pending signal goes with it ---- */

static void deleted_pending(void)
{
	timer_t a, b;
	siginfo_t si;
	struct timespec zero = { 0, 0 };
	sigset_t set;
	int got;

	block(SIGALRM);
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	timer_create(CLOCK_MONOTONIC, NULL, &a);
	arm(a, 0, MS, MS);
	sleep_ms(20);
	timer_delete(a);
	check("deleted/pending-dropped", sigtimedwait(&set, &si, &zero) == -1 && errno == EAGAIN,
	      "the deleted timer's signal was still taken");
	timer_create(CLOCK_MONOTONIC, NULL, &b);
	arm(b, 0, MS, MS);
	sleep_ms(20);
	got = sigtimedwait(&set, &si, &zero);
	check("deleted/next-timer-its-own",
	      got == SIGALRM && si.si_timerid == (int)(long)b &&
	          si.si_overrun == timer_getoverrun(b),
	      "the next timer's signal not its own");
	timer_delete(b);
}

/* ---- fork's child has none, exec deletes them ---- */

static void fork_exec(const char *self)
{
	struct itimerspec cur;
	timer_t t;
	pid_t pid;
	char id[16];

	timer_create(CLOCK_MONOTONIC, NULL, &t);
	block(SIGALRM);
	arm(t, 0, 10000 * MS, 0);
	if (!(pid = fork()))
		_exit(timer_gettime(t, &cur) == -1 && errno == EINVAL ? 0 : 1);
	check("fork/child-has-none", status_of(pid) == 0, "fork's child has its parent's timer");
	check("fork/parent-keeps", timer_gettime(t, &cur) == 0 && cur.it_value.tv_sec > 0,
	      "the parent's timer went with the fork");
	snprintf(id, sizeof(id), "%d", (int)(long)t);
	if (!(pid = fork())) {
		timer_t mine;
		timer_create(CLOCK_MONOTONIC, NULL, &mine);
		arm(mine, 0, 10000 * MS, 0);
		snprintf(id, sizeof(id), "%d", (int)(long)mine);
		execl(self, self, "after-exec", id, (char *)NULL);
		_exit(2);
	}
	check("exec/deletes", status_of(pid) == 0, "a timer survived exec");
	timer_delete(t);
}

/* ---- a process's CPU time is its own; its children's once waited for ---- */

static void cpu_of_processes(void)
{
	struct rusage ru;
	uint64_t start;
	pid_t pid;

	/* 600 ms of the parent's own, then a child's start well below that
	 * (its first faults take a little, and a busy host's stolen time
	 * counts in a guest: 150 ms of margin failed once at load ~10) */
	while (cpu_ns(CLOCK_PROCESS_CPUTIME_ID) < 600 * MS)
		;
	if (!(pid = fork()))
		_exit(cpu_ns(CLOCK_PROCESS_CPUTIME_ID) < 300 * MS ? 0 : 1);
	check("cpu/child-starts-at-zero", status_of(pid) == 0,
	      "a new child's CPU clock shows its parent's time");
	if (!(pid = fork())) {
		start = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
		while (cpu_ns(CLOCK_PROCESS_CPUTIME_ID) - start < 50 * MS)
			;
		_exit(0);
	}
	status_of(pid);
	getrusage(RUSAGE_CHILDREN, &ru);
	check("cpu/children-counted",
	      ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1000000 +
	              ru.ru_stime.tv_usec >=
	          45000,
	      "RUSAGE_CHILDREN misses a waited-for child's 50 ms");
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "after-exec")) {
		struct itimerspec cur;
		return timer_gettime((timer_t)(long)atoi(argv[2]), &cur) == -1 && errno == EINVAL
		           ? 0
		           : 1;
	}
	default_notification();
	periodic();
	overrun();
	to_thread();
	thread_notify();
	none();
	absolute();
	cpu_clocks();
	errors();
	deleted_pending();
	fork_exec(argv[0]);
	cpu_of_processes();
	printf(failed ? "timers: some failed\n" : "timers: all passed\n");
	return failed;
}
