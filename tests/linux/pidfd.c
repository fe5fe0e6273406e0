/*
 * Signals with the sender's siginfo and process descriptors, as Linux
 * answers them: sigqueue (rt_sigqueueinfo) carrying a value to a
 * handler, rt_tgsigqueueinfo to a thread, the rule that a process may
 * not forge a kernel's or kill's code to another (EPERM); pidfd_open,
 * poll on a pidfd (readable once the process ends: what users need),
 * pidfd_send_signal, pidfd_getfd, waitid(P_PIDFD) blocking and with
 * PIDFD_NONBLOCK (EAGAIN); real-time signals queue (each instance
 * delivered with its own value, in order, to handlers and sigtimedwait;
 * the lower number first), standard ones merge; clone3 (a process with
 * CLONE_PIDFD, CLONE_CLEAR_SIGHAND, its argument checks) and clone's
 * CLONE_PIDFD. The same source passes as a Linux process.
 */
#define _GNU_SOURCE
#define SUITE "pidfd"
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static volatile sig_atomic_t got_value, got_code, got_pid;

static void on_rt(int sig, siginfo_t *si, void *uc)
{
	got_value = si->si_value.sival_int;
	got_code = si->si_code;
	got_pid = si->si_pid;
}

static int fails(long r, int err) { return r == -1 && errno == err; }

/* rt_sigqueueinfo to its own process with a kill's code, from a thread
 * that is not the first: its errno (0: sent). */
static void *forge_from_thread(void *si)
{
	long r = syscall(SYS_rt_sigqueueinfo, getpid(), SIGRTMIN, si);

	return (void *)(intptr_t)(r ? errno : 0);
}

static volatile sig_atomic_t seen[16], nseen;

static void on_seen(int sig, siginfo_t *si, void *uc)
{
	if (nseen < 16)
		seen[nseen++] =
		    sig < SIGRTMIN ? -sig : (sig - SIGRTMIN) * 100 + si->si_value.sival_int;
}

static int send_value(int sig, int v)
{
	return sigqueue(getpid(), sig, (union sigval){ .sival_int = v });
}

/* 1 when the handler saw a, and b after it (or a alone once, a == b). */
static int in_order(int a, int b)
{
	int i = 0, n = 0;

	for (int k = 0; k < nseen; k++)
		n += seen[k] == a;
	while (i < nseen && seen[i] != a)
		i++;
	if (a == b)
		return n == 1;
	while (i < nseen && seen[i] != b)
		i++;
	return i < nseen;
}

/* Instances sent while blocked, then unblocked: what the handler saw. */
static void rt_queue_checks(void)
{
	struct sigaction sa = { .sa_sigaction = on_seen, .sa_flags = SA_SIGINFO };
	struct timespec zero = { 0, 0 };
	sigset_t set, old;
	siginfo_t si;
	int a, b, c;

	sigaction(SIGRTMIN + 1, &sa, NULL);
	sigaction(SIGRTMIN + 2, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 1);
	sigaddset(&set, SIGRTMIN + 2);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, &old);
	nseen = 0;
	send_value(SIGRTMIN + 2, 9);
	for (int i = 1; i <= 3; i++)
		send_value(SIGRTMIN + 1, i);
	kill(getpid(), SIGUSR2);
	kill(getpid(), SIGUSR2);
	sigprocmask(SIG_SETMASK, &old, NULL);
	/* (handlers nest: the order they run in is not the order taken;
	 * one signal's instances come in the order sent) */
	check("rtqueue/each-instance-in-order",
	      nseen == 5 && in_order(101, 102) && in_order(102, 103),
	      "real-time instances merged or out of order");
	check("rtqueue/each-signal-once", in_order(-SIGUSR2, -SIGUSR2) && in_order(209, 209),
	      "SIGUSR2 or SIGRTMIN+2 not seen once");

	sigprocmask(SIG_BLOCK, &set, &old);
	send_value(SIGRTMIN + 1, 5);
	send_value(SIGRTMIN + 1, 6);
	kill(getpid(), SIGRTMIN + 1);
	a = sigtimedwait(&set, &si, &zero) == SIGRTMIN + 1 ? si.si_value.sival_int : -1;
	b = sigtimedwait(&set, &si, &zero) == SIGRTMIN + 1 ? si.si_value.sival_int : -1;
	c = sigtimedwait(&set, &si, &zero) == SIGRTMIN + 1 ? si.si_code : -1;
	check("rtqueue/sigtimedwait-takes-each", a == 5 && b == 6 && c == SI_USER,
	      "not the three instances in order");
	check("rtqueue/then-none", fails(sigtimedwait(&set, &si, &zero), EAGAIN), "a fourth");
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGRTMIN + 1, SIG_DFL);
	signal(SIGRTMIN + 2, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
}

static int pidfd_open(pid_t pid, unsigned flags)
{
	return (int)syscall(SYS_pidfd_open, pid, flags);
}

static long send_signal(int fd, int sig, siginfo_t *info)
{
	return syscall(SYS_pidfd_send_signal, fd, sig, info, 0);
}

/* A child that waits (up to 10 s) for a byte on fd, then exits with
 * status. */
static pid_t child_waiting(int fd, int status)
{
	pid_t pid = fork();
	char c;

	if (pid == 0) {
		alarm(10);
		read(fd, &c, 1);
		_exit(status);
	}
	return pid;
}

static int readable_within(int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

static void sigqueue_checks(void)
{
	struct sigaction sa = { .sa_sigaction = on_rt, .sa_flags = SA_SIGINFO };
	siginfo_t si;
	pid_t pid;
	int st;

	sigaction(SIGRTMIN, &sa, NULL);
	check("sigqueue/self",
	      !sigqueue(getpid(), SIGRTMIN, (union sigval){ .sival_int = 42 }) && got_value == 42 &&
	          got_code == SI_QUEUE && got_pid == getpid(),
	      "value, code or pid not delivered");
	memset(&si, 0, sizeof(si));
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	si.si_value.sival_int = 7;
	check("tgsigqueueinfo/self",
	      !syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGRTMIN, &si) && got_value == 7,
	      "not delivered to the thread");
	si.si_code = SI_USER;
	si.si_value.sival_int = 9;
	check("sigqueueinfo/forge-to-self",
	      !syscall(SYS_rt_sigqueueinfo, getpid(), SIGRTMIN, &si) && got_code == SI_USER,
	      "a process may send itself any code");
	pthread_t th;
	void *res;
	pthread_create(&th, NULL, forge_from_thread, &si);
	pthread_join(th, &res);
	check("sigqueueinfo/forge-from-another-thread", res == (void *)EPERM,
	      "Linux compares the pid with the caller's thread id: not EPERM");
	check("sigqueueinfo/bad-signal",
	      fails(syscall(SYS_rt_sigqueueinfo, getpid(), 100, &si), EINVAL), "not EINVAL");
	check("sigqueueinfo/no-such-pid",
	      fails(sigqueue(999999, SIGRTMIN, (union sigval){ 0 }), ESRCH), "not ESRCH");

	int p[2];
	pipe(p);
	pid = child_waiting(p[0], 0);
	check("sigqueueinfo/forge-user",
	      fails(syscall(SYS_rt_sigqueueinfo, pid, SIGTERM, &si), EPERM),
	      "SI_USER to another not EPERM");
	si.si_code = SI_KERNEL;
	check("sigqueueinfo/forge-kernel",
	      fails(syscall(SYS_rt_sigqueueinfo, pid, SIGTERM, &si), EPERM),
	      "SI_KERNEL to another not EPERM");
	si.si_code = SI_TKILL;
	check("tgsigqueueinfo/forge-tkill",
	      fails(syscall(SYS_rt_tgsigqueueinfo, pid, pid, SIGTERM, &si), EPERM), "not EPERM");
	check("tgsigqueueinfo/bad-ids",
	      fails(syscall(SYS_rt_tgsigqueueinfo, 0, pid, SIGTERM, &si), EINVAL),
	      "tgid 0 not EINVAL");
	check("sigqueue/to-child", !sigqueue(pid, SIGTERM, (union sigval){ 0 }), "refused");
	st = status_of(pid);
	check("sigqueue/child-ended", WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM,
	      "not killed by it");
	close(p[0]);
	close(p[1]);
}

static void pidfd_checks(void)
{
	int p[2], fd, nb, got, st;
	siginfo_t si;
	pid_t pid;

	check("open/bad-flags", fails(pidfd_open(getpid(), 1), EINVAL), "not EINVAL");
	check("open/bad-pid", fails(pidfd_open(0, 0), EINVAL), "pid 0 not EINVAL");
	check("open/no-such-pid", fails(pidfd_open(999999, 0), ESRCH), "not ESRCH");
	fd = pidfd_open(getpid(), 0);
	check("open/self", fd >= 0 && fcntl(fd, F_GETFD) == FD_CLOEXEC, "not open close-on-exec");
	check("read-einval", fails(read(fd, &got, sizeof(got)), EINVAL), "read not EINVAL");
	check("getfd/self",
	      (got = (int)syscall(SYS_pidfd_getfd, fd, 1, 0)) > 2 &&
	          fcntl(got, F_GETFD) == FD_CLOEXEC && write(got, "", 0) == 0,
	      "stdout not copied close-on-exec");
	check("getfd/bad-fd", fails(syscall(SYS_pidfd_getfd, fd, 999, 0), EBADF), "not EBADF");
	check("getfd/flags", fails(syscall(SYS_pidfd_getfd, fd, 1, 1), EINVAL), "not EINVAL");
	check("send/not-pidfd", fails(send_signal(1, SIGTERM, NULL), EBADF), "not EBADF");
	close(got);
	close(fd);

	pipe(p);
	pid = child_waiting(p[0], 3);
	fd = pidfd_open(pid, 0);
	nb = pidfd_open(pid, PIDFD_NONBLOCK);
	check("poll/running", fd >= 0 && !readable_within(fd, 50), "readable while the child runs");
	check("waitid/nonblock-eagain", fails(waitid(P_PIDFD, nb, &si, WEXITED), EAGAIN),
	      "PIDFD_NONBLOCK wait not EAGAIN");
	check("send/zero", !send_signal(fd, 0, NULL), "signal 0 refused");
	memset(&si, 0, sizeof(si));
	si.si_signo = SIGUSR1;
	si.si_code = SI_USER;
	check("send/forged-info", fails(send_signal(fd, SIGUSR1, &si), EPERM), "not EPERM");
	si.si_code = SI_QUEUE;
	check("send/signo-mismatch", fails(send_signal(fd, SIGUSR2, &si), EINVAL), "not EINVAL");
	write(p[1], "x", 1);
	check("poll/ended", readable_within(fd, 5000), "not readable once the child ended");
	check("send/zombie", !send_signal(fd, SIGTERM, NULL), "a zombie refused the signal");
	memset(&si, 0, sizeof(si));
	check("waitid/pidfd",
	      !waitid(P_PIDFD, fd, &si, WEXITED) && si.si_pid == pid && si.si_code == CLD_EXITED &&
	          si.si_status == 3,
	      "the child's exit not reported");
	check("send/reaped", fails(send_signal(fd, SIGTERM, NULL), ESRCH), "not ESRCH");
	check("waitid/reaped", fails(waitid(P_PIDFD, fd, &si, WEXITED), ECHILD), "not ECHILD");
	check("poll/reaped", readable_within(fd, 0), "not readable after reaping");
	check("waitid/not-pidfd", fails(waitid(P_PIDFD, 1, &si, WEXITED), EBADF), "not EBADF");
	close(fd);
	close(nb);

	pid = child_waiting(p[0], 0);
	fd = pidfd_open(pid, 0);
	check("send/kills", !send_signal(fd, SIGKILL, NULL), "refused");
	memset(&si, 0, sizeof(si));
	check("waitid/killed",
	      !waitid(P_PIDFD, fd, &si, WEXITED) && si.si_code == CLD_KILLED &&
	          si.si_status == SIGKILL,
	      "not reported killed");
	close(fd);

	pid = child_waiting(p[0], 0);
	fd = pidfd_open(pid, 0);
	got = (int)syscall(SYS_pidfd_getfd, fd, p[0], 0);
	struct stat a, b;
	check("getfd/child",
	      got >= 0 && !fstat(got, &a) && !fstat(p[0], &b) && a.st_ino == b.st_ino,
	      "the child's pipe end not copied");
	write(p[1], "z", 1);
	st = status_of(pid);
	check("getfd/child-ended", WIFEXITED(st), "child did not end");
	close(got);
	close(fd);
	close(p[0]);
	close(p[1]);
}

static long clone3_call(struct clone_args *a, size_t size) { return syscall(SYS_clone3, a, size); }

static void on_usr1(int sig) { (void)sig; }

/* What the child of a clone3 with CLONE_CLEAR_SIGHAND found: 0 when its
 * SIGUSR1 handler was back to the default and SIGUSR2 still ignored. */
static int cleared_child(void)
{
	struct sigaction a, b;

	sigaction(SIGUSR1, NULL, &a);
	sigaction(SIGUSR2, NULL, &b);
	return a.sa_handler == SIG_DFL && b.sa_handler == SIG_IGN ? 0 : 1;
}

static void clone3_checks(void)
{
	struct clone_args a;
	char big[4096 + 8];
	int pidfd = -1, st, next;
	siginfo_t si;
	long pid;

	memset(&a, 0, sizeof(a));
	a.exit_signal = SIGCHLD;
	check("clone3/short", fails(clone3_call(&a, 32), EINVAL), "not EINVAL");
	memset(big, 0, sizeof(big));
	memcpy(big, &a, sizeof(a));
	check("clone3/too-big", fails(clone3_call((void *)big, sizeof(big)), E2BIG), "not E2BIG");
	big[sizeof(a) + 3] = 1;
	check("clone3/unknown-field", fails(clone3_call((void *)big, sizeof(a) + 8), E2BIG),
	      "not E2BIG");
	a.flags = SIGCHLD;
	check("clone3/signal-in-flags", fails(clone3_call(&a, sizeof(a)), EINVAL), "not EINVAL");
	a.flags = 0;
	a.stack_size = 4096;
	check("clone3/size-without-stack", fails(clone3_call(&a, sizeof(a)), EINVAL), "not EINVAL");
	a.stack_size = 0;

	/* a process, its pidfd in the parent only (the lowest free fd) */
	next = dup(0);
	close(next);
	a.flags = CLONE_PIDFD;
	a.pidfd = (uint64_t)(uintptr_t)&pidfd;
	pid = clone3_call(&a, sizeof(a));
	if (pid == 0)
		_exit(fcntl(next, F_GETFD) == -1 && errno == EBADF ? 7 : 8);
	check("clone3/process", pid > 0, "clone3 failed");
	check("clone3/pidfd", pidfd == next && fcntl(pidfd, F_GETFD) == FD_CLOEXEC,
	      "no close-on-exec pidfd at the lowest free descriptor");
	memset(&si, 0, sizeof(si));
	check("clone3/pidfd-waits",
	      pidfd >= 0 && !waitid(P_PIDFD, pidfd, &si, WEXITED) && si.si_pid == pid &&
	          si.si_code == CLD_EXITED && si.si_status == 7,
	      "the child's exit (7) not seen through the pidfd");
	close(pidfd);

	/* handlers back to the default in the child, ignored ones stay */
	signal(SIGUSR1, on_usr1);
	signal(SIGUSR2, SIG_IGN);
	memset(&a, 0, sizeof(a));
	a.flags = CLONE_CLEAR_SIGHAND;
	a.exit_signal = SIGCHLD;
	pid = clone3_call(&a, sizeof(a));
	if (pid == 0)
		_exit(cleared_child());
	st = -1;
	check("clone3/clear-sighand",
	      pid > 0 && waitpid((pid_t)pid, &st, 0) == pid && WIFEXITED(st) &&
	          WEXITSTATUS(st) == 0,
	      "the child saw its handlers kept");
	check("clone3/parent-keeps-handler", signal(SIGUSR1, SIG_DFL) == on_usr1,
	      "the parent's handler changed");
	signal(SIGUSR2, SIG_DFL);
	a.flags = CLONE_CLEAR_SIGHAND | CLONE_SIGHAND | CLONE_VM;
	check("clone3/clear-with-sighand", fails(clone3_call(&a, sizeof(a)), EINVAL), "not EINVAL");

	/* clone's CLONE_PIDFD: the descriptor where the parent's tid would go */
	pidfd = -1;
	pid = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, &pidfd, NULL, 0);
	if (pid == 0)
		_exit(9);
	memset(&si, 0, sizeof(si));
	check("clone/pidfd",
	      pid > 0 && pidfd >= 0 && !waitid(P_PIDFD, pidfd, &si, WEXITED) && si.si_status == 9,
	      "no pidfd at ptid, or the child's exit (9) not seen through it");
	close(pidfd);
	/* a child that reports its end with no signal is a "clone" child:
	 * only __WALL (or __WCLONE) waits see it; __WCLONE alone does not
	 * see a SIGCHLD child */
	memset(&a, 0, sizeof(a));
	pid = clone3_call(&a, sizeof(a));
	if (pid == 0)
		_exit(4);
	st = -1;
	check("clone3/no-signal-child-needs-wall",
	      pid > 0 && waitpid((pid_t)pid, &st, WNOHANG) == -1 && errno == ECHILD &&
	          waitpid((pid_t)pid, &st, __WALL) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 4,
	      "seen by a plain wait, or not by __WALL");
	if ((pid = fork()) == 0)
		_exit(0);
	check("wait/wclone-skips-sigchld-child",
	      pid > 0 && waitpid((pid_t)pid, &st, __WCLONE) == -1 && errno == ECHILD &&
	          waitpid((pid_t)pid, &st, 0) == pid,
	      "__WCLONE saw a SIGCHLD child");
	check("clone/pidfd-with-parent-settid",
	      fails(syscall(SYS_clone, CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD, 0, &pidfd, NULL,
	                    0),
	            EINVAL),
	      "not EINVAL");
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigqueue_checks();
	rt_queue_checks();
	pidfd_checks();
	clone3_checks();
	return check_done();
}
