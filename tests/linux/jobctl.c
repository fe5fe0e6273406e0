/*
 * Job control (libos/kernel/signal_stop.c), as a Linux program: SIGSTOP
 * stops a child (every thread of it), SIGCONT continues it even when it
 * blocks or ignores SIGCONT; waitpid(WUNTRACED) and waitpid(WCONTINUED)
 * report each change once, waitid(WSTOPPED/WCONTINUED) with its siginfo
 * and WNOWAIT; SIGCHLD's CLD_STOPPED, CLD_CONTINUED and CLD_EXITED with
 * si_pid and si_status, none for a stop under SA_NOCLDSTOP; /proc/PID's
 * state 'T'; SIGKILL of a stopped child; SIGTSTP stops at its default
 * action, runs a handler otherwise, and does nothing in an orphaned
 * process group (SIGSTOP still stops there); a signal sent while stopped
 * is handled after SIGCONT; a stop interrupts no read or sleep; a thread's
 * SIGSTOP stops its whole process. Prints one "PASS jobctl/name" or "FAIL
 * jobctl/name: why" line per check and "jobctl: all passed" at the end;
 * the same program as a Linux process answers the same.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SUITE "jobctl"
#include "check.h"

/* Memory the children share with the test. */
struct shared {
	volatile int count[2]; /* moved by the child's threads while it runs */
	volatile int flag;     /* a handler in the child ran */
	volatile int tid;      /* the child's second thread */
};
static struct shared *sh;

/* Up to 5 s for cond (every 10 ms): the bound fails a check instead of
 * hanging it; never a timing judgement. */
#define UNTIL(cond)                            \
	({                                     \
		int __i = 0;                   \
		while (!(cond) && __i++ < 500) \
			usleep(10000);         \
		!!(cond);                      \
	})

static void *counter(void *arg)
{
	int i = (int)(long)arg;

	sh->tid = (int)syscall(SYS_gettid);
	for (;;) {
		sh->count[i]++;
		usleep(1000);
	}
	return NULL;
}

/* A child whose two threads count until it is killed (alarm: 30 s at most). */
static pid_t counting_child(void)
{
	pid_t pid;

	sh->count[0] = sh->count[1] = 0;
	sh->tid = 0;
	if ((pid = fork()) == 0) {
		pthread_t t;
		alarm(30);
		pthread_create(&t, NULL, counter, (void *)1L);
		counter((void *)0L);
	}
	return pid;
}

static int counting(void) { return UNTIL(sh->count[0] > 2 && sh->count[1] > 2 && sh->tid); }

/* Both counters still for 100 ms (a stopped process cannot move them; a
 * running one moves them every millisecond). */
static int still(void)
{
	int a = sh->count[0], b = sh->count[1];

	usleep(100000);
	return sh->count[0] == a && sh->count[1] == b;
}

static int moving(void)
{
	int a = sh->count[0], b = sh->count[1];

	return UNTIL(sh->count[0] != a && sh->count[1] != b);
}

/* The state letter of /proc/PID/stat and the State: line of status. */
static char proc_state(pid_t pid, char *status_line, size_t n)
{
	char path[64], buf[512], *p;
	char c = '?';
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((f = fopen(path, "r"))) {
		if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
			c = p[2];
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	status_line[0] = 0;
	if ((f = fopen(path, "r"))) {
		while (fgets(buf, sizeof(buf), f))
			if (!strncmp(buf, "State:", 6)) {
				snprintf(status_line, n, "%.100s", buf);
				break;
			}
		fclose(f);
	}
	return c;
}

static int wait_for(pid_t pid, int options)
{
	int st = -1;

	return waitpid(pid, &st, options) == pid ? st : -1;
}

/* The SIGCHLD pending for the test (blocked), its siginfo: waits up to
 * 5 s, 0 when none came. */
static int take_sigchld(siginfo_t *si)
{
	sigset_t s;
	struct timespec ts = { 5, 0 };

	sigemptyset(&s);
	sigaddset(&s, SIGCHLD);
	memset(si, 0, sizeof(*si));
	return sigtimedwait(&s, si, &ts) == SIGCHLD;
}

static int sigchld_pending(void)
{
	sigset_t s;

	sigpending(&s);
	return sigismember(&s, SIGCHLD);
}

static void drain_sigchld(void)
{
	sigset_t s;
	struct timespec ts = { 0, 0 };

	sigemptyset(&s);
	sigaddset(&s, SIGCHLD);
	while (sigtimedwait(&s, NULL, &ts) == SIGCHLD)
		;
}

static void test_stop_continue(void)
{
	pid_t pid = counting_child();
	char line[128];
	int st;

	check("stop/child-runs", counting(), "the child's two threads never counted");
	kill(pid, SIGSTOP);
	st = wait_for(pid, WUNTRACED);
	check("stop/wait-untraced", st != -1 && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP,
	      "waitpid(WUNTRACED) did not report the stop by SIGSTOP");
	check("stop/every-thread-still", still(), "a thread of the stopped child still ran");
	check("stop/proc-stat-T", proc_state(pid, line, sizeof(line)) == 'T',
	      "/proc/PID/stat's state is not T");
	check("stop/proc-status-stopped", !strcmp(line, "State:\tT (stopped)\n"), line);
	check("stop/reported-once", waitpid(pid, &st, WUNTRACED | WNOHANG) == 0,
	      "a second waitpid(WUNTRACED) reported the stop again");
	kill(pid, SIGCONT);
	st = wait_for(pid, WCONTINUED);
	check("cont/wait-continued", st != -1 && WIFCONTINUED(st),
	      "waitpid(WCONTINUED) did not report the continue");
	check("cont/runs-again", moving(), "the continued child's threads did not both count");
	check("cont/proc-state-not-T", proc_state(pid, line, sizeof(line)) != 'T',
	      "/proc/PID/stat still says T");
	kill(pid, SIGTERM);
	st = wait_for(pid, 0);
	check("cont/then-killed", st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM,
	      "the child did not end by SIGTERM");
}

static void test_kill_stopped(void)
{
	pid_t pid = counting_child();
	int st;

	counting();
	kill(pid, SIGSTOP);
	st = wait_for(pid, WUNTRACED);
	kill(pid, SIGTERM); /* pending while stopped */
	check("kill/term-waits-while-stopped",
	      st != -1 && WIFSTOPPED(st) && waitpid(pid, &st, WNOHANG) == 0,
	      "the stopped child ended by SIGTERM before it was continued");
	kill(pid, SIGKILL);
	st = wait_for(pid, 0);
	check("kill/sigkill-ends-stopped", st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	      "SIGKILL did not end the stopped child");
}

/* waitid: WSTOPPED and WCONTINUED with their siginfo, WNOWAIT leaving the
 * report for the next wait. */
static void test_waitid(void)
{
	pid_t pid = counting_child();
	siginfo_t si;
	int r;

	counting();
	kill(pid, SIGSTOP);
	memset(&si, 0, sizeof(si));
	r = waitid(P_PID, pid, &si, WSTOPPED | WNOWAIT);
	check("waitid/stopped",
	      !r && si.si_pid == pid && si.si_code == CLD_STOPPED && si.si_status == SIGSTOP &&
	          si.si_signo == SIGCHLD,
	      "waitid(WSTOPPED) gave no CLD_STOPPED with si_status SIGSTOP");
	memset(&si, 0, sizeof(si));
	r = waitid(P_PID, pid, &si, WSTOPPED | WNOHANG);
	check("waitid/nowait-kept-it", !r && si.si_pid == pid && si.si_code == CLD_STOPPED,
	      "after WNOWAIT the stop was not reported again");
	memset(&si, 0, sizeof(si));
	r = waitid(P_PID, pid, &si, WSTOPPED | WNOHANG);
	check("waitid/reported-once", !r && si.si_pid == 0,
	      "the stop was reported a second time without WNOWAIT");
	kill(pid, SIGCONT);
	memset(&si, 0, sizeof(si));
	r = waitid(P_PID, pid, &si, WCONTINUED);
	check("waitid/continued",
	      !r && si.si_pid == pid && si.si_code == CLD_CONTINUED && si.si_status == SIGCONT,
	      "waitid(WCONTINUED) gave no CLD_CONTINUED with si_status SIGCONT");
	kill(pid, SIGKILL);
	memset(&si, 0, sizeof(si));
	r = waitid(P_PID, pid, &si, WEXITED);
	check("waitid/killed",
	      !r && si.si_code == CLD_KILLED && si.si_status == SIGKILL && si.si_pid == pid,
	      "waitid(WEXITED) gave no CLD_KILLED by SIGKILL");
}

/* SIGCHLD for each change, with si_pid and si_status; none for stops and
 * continues under SA_NOCLDSTOP. */
static void test_sigchld(void)
{
	struct sigaction sa = { 0 };
	siginfo_t si;
	pid_t pid;
	int st;

	drain_sigchld();
	pid = counting_child();
	counting();
	kill(pid, SIGSTOP);
	check("sigchld/stopped",
	      take_sigchld(&si) && si.si_code == CLD_STOPPED && si.si_pid == pid &&
	          si.si_status == SIGSTOP,
	      "no SIGCHLD with CLD_STOPPED, the child's pid and SIGSTOP");
	wait_for(pid, WUNTRACED);
	kill(pid, SIGCONT);
	check("sigchld/continued",
	      take_sigchld(&si) && si.si_code == CLD_CONTINUED && si.si_pid == pid &&
	          si.si_status == SIGCONT,
	      "no SIGCHLD with CLD_CONTINUED, the child's pid and SIGCONT");
	wait_for(pid, WCONTINUED);
	kill(pid, SIGKILL);
	wait_for(pid, 0);
	drain_sigchld();

	if ((pid = fork()) == 0)
		_exit(7);
	check("sigchld/exited",
	      take_sigchld(&si) && si.si_code == CLD_EXITED && si.si_pid == pid &&
	          si.si_status == 7,
	      "no SIGCHLD with CLD_EXITED, the child's pid and status 7");
	wait_for(pid, 0);

	sa.sa_handler = SIG_DFL;
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	drain_sigchld();
	pid = counting_child();
	counting();
	kill(pid, SIGSTOP);
	st = wait_for(pid, WUNTRACED);
	check("sigchld/nocldstop-stop", st != -1 && WIFSTOPPED(st) && !sigchld_pending(),
	      "SA_NOCLDSTOP: a SIGCHLD came for the stop (or waitpid saw no stop)");
	kill(pid, SIGCONT);
	st = wait_for(pid, WCONTINUED);
	check("sigchld/nocldstop-cont", st != -1 && WIFCONTINUED(st) && !sigchld_pending(),
	      "SA_NOCLDSTOP: a SIGCHLD came for the continue");
	kill(pid, SIGKILL);
	wait_for(pid, 0);
	sa.sa_flags = 0;
	sigaction(SIGCHLD, &sa, NULL);
	drain_sigchld();
}

static void on_signal(int sig) { sh->flag = sig; }

/* SIGCONT continues whatever the child does with it: blocked, ignored, or
 * caught (the handler runs once it runs again). */
static void test_cont_any_disposition(void)
{
	static const char *const how[] = { "blocked", "ignored", "caught" };

	for (int i = 0; i < 3; i++) {
		pid_t pid;
		char name[64];
		int st;

		sh->flag = 0;
		sh->count[0] = sh->count[1] = 0;
		if ((pid = fork()) == 0) {
			sigset_t s;
			sigemptyset(&s);
			sigaddset(&s, SIGCONT);
			if (i == 0)
				sigprocmask(SIG_BLOCK, &s, NULL);
			signal(SIGCONT, i == 1 ? SIG_IGN : i == 2 ? on_signal : SIG_DFL);
			alarm(30);
			for (;;) {
				sh->count[0]++, sh->count[1]++;
				usleep(1000);
			}
		}
		UNTIL(sh->count[0] > 2);
		kill(pid, SIGSTOP);
		wait_for(pid, WUNTRACED);
		kill(pid, SIGCONT);
		st = wait_for(pid, WCONTINUED);
		snprintf(name, sizeof(name), "cont/%s", how[i]);
		check(name, st != -1 && WIFCONTINUED(st) && moving(),
		      "SIGCONT did not continue the child");
		if (i == 2)
			check("cont/handler-ran", UNTIL(sh->flag == SIGCONT),
			      "the child's SIGCONT handler did not run");
		kill(pid, SIGKILL);
		wait_for(pid, 0);
	}
}

/* A signal sent while the child is stopped waits for SIGCONT. */
static void test_pending_while_stopped(void)
{
	pid_t pid;
	int st;

	sh->flag = 0;
	sh->count[0] = 0;
	if ((pid = fork()) == 0) {
		signal(SIGUSR1, on_signal);
		alarm(30);
		for (;;) {
			sh->count[0]++;
			usleep(1000);
		}
	}
	UNTIL(sh->count[0] > 2);
	kill(pid, SIGSTOP);
	wait_for(pid, WUNTRACED);
	kill(pid, SIGUSR1);
	usleep(100000);
	check("pending/not-while-stopped", sh->flag == 0,
	      "the stopped child ran its SIGUSR1 handler");
	kill(pid, SIGCONT);
	check("pending/after-cont", UNTIL(sh->flag == SIGUSR1),
	      "the SIGUSR1 handler did not run after SIGCONT");
	kill(pid, SIGKILL);
	st = wait_for(pid, 0);
	(void)st;
}

/* SIGTSTP: at its default action it stops (the child leads a group of its
 * own, whose parent is in another group of the session: not orphaned); a
 * handler runs instead when there is one. */
static void test_tstp(void)
{
	pid_t pid;
	int st;

	for (int caught = 0; caught < 2; caught++) {
		sh->flag = 0;
		if ((pid = fork()) == 0) {
			setpgid(0, 0);
			if (caught)
				signal(SIGTSTP, on_signal);
			alarm(30);
			raise(SIGTSTP);
			_exit(caught ? 40 + sh->flag : 3);
		}
		setpgid(pid, pid);
		st = wait_for(pid, WUNTRACED);
		if (!caught) {
			check("tstp/default-stops",
			      st != -1 && WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP,
			      "raise(SIGTSTP) did not stop the child");
			kill(pid, SIGCONT);
			st = wait_for(pid, 0);
			check("tstp/continues-after",
			      st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 3,
			      "the child did not go on after raise(SIGTSTP) once continued");
		} else {
			check("tstp/handler-instead",
			      st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 40 + SIGTSTP,
			      "a child with a SIGTSTP handler stopped or did not run it");
		}
	}
}

/* In an orphaned group (a new session: its leader's parent is in another
 * session) SIGTSTP does nothing at its default action; SIGSTOP stops. */
static void test_orphaned(void)
{
	pid_t pid;
	int st;

	if ((pid = fork()) == 0) {
		pid_t b;
		int r = 0;
		setsid();
		alarm(30);
		if ((b = fork()) == 0) {
			raise(SIGTSTP);
			_exit(7);
		}
		st = wait_for(b, WUNTRACED);
		if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 7) {
			kill(b, SIGKILL);
			r |= 1;
		}
		if ((b = fork()) == 0) {
			raise(SIGSTOP);
			_exit(8);
		}
		st = wait_for(b, WUNTRACED);
		if (st == -1 || !WIFSTOPPED(st))
			r |= 2;
		kill(b, SIGKILL);
		wait_for(b, 0);
		_exit(r);
	}
	st = wait_for(pid, 0);
	check("orphaned/tstp-ignored", st != -1 && WIFEXITED(st) && !(WEXITSTATUS(st) & 1),
	      "SIGTSTP stopped a process of an orphaned group");
	check("orphaned/sigstop-stops", st != -1 && WIFEXITED(st) && !(WEXITSTATUS(st) & 2),
	      "SIGSTOP did not stop a process of an orphaned group");
}

/* A group that an exit orphans with a member stopped gets SIGHUP and
 * SIGCONT: a session leader's child in a group of its own stops, the
 * leader exits, and the child (now joined to no other group of its
 * session) dies of the SIGHUP; its end shows as EOF on a pipe only it
 * holds (on Linux it is reparented away from this process). */
static void test_orphaned_stopped(void)
{
	int p[2], child = 0;
	struct pollfd pf;
	pid_t pid;
	char c;

	pipe(p);
	if ((pid = fork()) == 0) {
		pid_t b;
		close(p[0]);
		setsid();
		if ((b = fork()) == 0) {
			setpgid(0, 0);
			b = getpid();
			write(p[1], &b, sizeof(b));
			raise(SIGSTOP);
			_exit(0); /* continued without the SIGHUP */
		}
		close(p[1]);
		wait_for(b, WUNTRACED);
		_exit(0);
	}
	close(p[1]);
	read(p[0], &child, sizeof(child));
	wait_for(pid, 0);
	pf = (struct pollfd){ p[0], POLLIN, 0 };
	check("orphaned/stopped-group-hung-up",
	      child > 0 && poll(&pf, 1, 5000) == 1 && read(p[0], &c, 1) == 0,
	      "the stopped child of an ended session leader lives on");
	if (child > 0)
		kill(child, SIGKILL);
	close(p[0]);
}

/* A stop interrupts no call: a read blocked on a pipe gets the data
 * written while the reader was stopped, a sleep ends with 0. */
static void test_calls_resume(void)
{
	int fd[2], st;
	pid_t pid;

	if (pipe(fd))
		return;
	if ((pid = fork()) == 0) {
		char c = 0;
		alarm(30);
		close(fd[1]);
		_exit(read(fd[0], &c, 1) == 1 && c == 'x' ? 0 : errno == EINTR ? 4 : 5);
	}
	close(fd[0]);
	usleep(50000); /* (in read or not yet: either way) */
	kill(pid, SIGSTOP);
	wait_for(pid, WUNTRACED);
	write(fd[1], "x", 1);
	usleep(50000);
	kill(pid, SIGCONT);
	st = wait_for(pid, 0);
	close(fd[1]);
	check("calls/read-not-interrupted", st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "a read blocked across a stop failed (exit 4: EINTR)");

	if ((pid = fork()) == 0) {
		struct timespec ts = { 0, 300000000 };
		alarm(30);
		_exit(nanosleep(&ts, NULL) == 0 ? 0 : errno == EINTR ? 4 : 5);
	}
	usleep(50000);
	kill(pid, SIGSTOP);
	wait_for(pid, WUNTRACED);
	kill(pid, SIGCONT);
	st = wait_for(pid, 0);
	check("calls/sleep-not-interrupted", st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "nanosleep across a stop failed (exit 4: EINTR)");
}

/* tgkill(SIGSTOP) to one thread stops the whole process. */
static void test_thread_stop(void)
{
	pid_t pid = counting_child();
	int st;

	counting();
	syscall(SYS_tgkill, pid, sh->tid, SIGSTOP);
	st = wait_for(pid, WUNTRACED);
	check("thread/stops-process", st != -1 && WIFSTOPPED(st) && still(),
	      "a thread's SIGSTOP did not stop both threads");
	kill(pid, SIGCONT);
	check("thread/continues", moving(), "the process did not run again after SIGCONT");
	kill(pid, SIGKILL);
	wait_for(pid, 0);
}

int main(void)
{
	sigset_t s;

	setvbuf(stdout, NULL, _IOLBF, 0);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	sigemptyset(&s);
	sigaddset(&s, SIGCHLD);
	sigprocmask(SIG_BLOCK, &s, NULL); /* taken by sigtimedwait */
	test_stop_continue();
	test_kill_stopped();
	test_waitid();
	test_sigchld();
	test_cont_any_disposition();
	test_pending_while_stopped();
	test_tstp();
	test_orphaned();
	test_orphaned_stopped();
	test_calls_resume();
	test_thread_stop();
	return check_done();
}
