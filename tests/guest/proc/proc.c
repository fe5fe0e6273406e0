/*
 * Process identity, limits and the calls a unikernel refuses. Prints
 * "PASS name" / "FAIL name: why" lines, then "proc tests done".
 *
 * The refused calls (fork, vfork, execve) must each print one line
 * on stderr naming the call; the test script checks those lines.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../check.h"

int checks, failures;

static void test_ids(void)
{
	uid_t r, e, s;

	CHECK("proc/pid-1", getpid() == 1 && getppid() == 0 && gettid() == 1,
	      "pid %d ppid %d tid %d", getpid(), getppid(), gettid());
	CHECK("proc/root", getuid() == 0 && geteuid() == 0 && getgid() == 0 && getegid() == 0,
	      "uid %d euid %d gid %d egid %d", getuid(), geteuid(), getgid(), getegid());
	CHECK("proc/setuid-same",
	      setuid(0) == 0 && setgid(0) == 0 && seteuid(0) == 0 && setreuid(-1, -1) == 0 &&
	          setresuid(-1, 0, -1) == 0,
	      "could not keep the ids");
	CHECK("proc/getresuid", getresuid(&r, &e, &s) == 0 && r == 0 && e == 0 && s == 0, "wrong");
	gid_t groups[8];
	int n = getgroups(8, groups);
	CHECK("proc/getgroups", n == 1 && groups[0] == 0 && getgroups(0, NULL) == 1, "n %d", n);
	CHECK("proc/setgroups-drop", setgroups(0, NULL) == 0, "could not drop groups");
	CHECK("proc/sessions",
	      getpgrp() == 1 && getpgid(0) == 1 && getsid(0) == 1 && setsid() == -1 &&
	          errno == EPERM && getpgid(77) == -1 && errno == ESRCH,
	      "pgrp %d sid %d", getpgrp(), getsid(0));
}

static void test_uname(void)
{
	struct utsname u;
	char host[65];

	CHECK("proc/uname",
	      uname(&u) == 0 && !strcmp(u.sysname, "Linux") && !strcmp(u.machine, "x86_64") &&
	          u.nodename[0] && u.release[0] >= '3',
	      "%s %s %s %s", u.sysname, u.nodename, u.release, u.machine);
	CHECK("proc/sethostname",
	      sethostname("box", 3) == 0 && gethostname(host, sizeof(host)) == 0 &&
	          !strcmp(host, "box") && uname(&u) == 0 && !strcmp(u.nodename, "box"),
	      "host %s", host);
	CHECK("proc/sethostname-too-long", sethostname(host, 65) == -1 && errno == EINVAL,
	      "accepted");
}

static void test_limits(void)
{
	struct rlimit rl, nf;
	struct sysinfo si;

	CHECK("proc/rlimit-stack", getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur == 8 << 20,
	      "soft %lu", (unsigned long)rl.rlim_cur);
	getrlimit(RLIMIT_NOFILE, &nf);
	rl = nf;
	rl.rlim_cur = 64;
	CHECK("proc/setrlimit-lower",
	      setrlimit(RLIMIT_NOFILE, &rl) == 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	          rl.rlim_cur == 64 && sysconf(_SC_OPEN_MAX) == 64,
	      "soft now %lu", (unsigned long)rl.rlim_cur);
	rl.rlim_cur = rl.rlim_max + 1;
	CHECK("proc/setrlimit-soft-over-hard",
	      setrlimit(RLIMIT_NOFILE, &rl) == -1 && errno == EINVAL, "accepted");
	setrlimit(RLIMIT_NOFILE, &nf);
	CHECK("proc/rlimit-bad-resource", getrlimit(99, &rl) == -1 && errno == EINVAL,
	      "accepted 99");
	CHECK("proc/sysinfo",
	      sysinfo(&si) == 0 && si.totalram > (8 << 20) && si.freeram <= si.totalram &&
	          si.procs >= 1 && si.mem_unit == 1,
	      "total %lu free %lu procs %u", si.totalram, si.freeram, si.procs);
	CHECK("proc/nprocs",
	      sysconf(_SC_NPROCESSORS_ONLN) == 1 && get_nprocs() == 1 &&
	          sysconf(_SC_PAGESIZE) == 4096,
	      "wrong");
	int p = getpriority(PRIO_PROCESS, 0);
	CHECK("proc/priority",
	      p == 0 && setpriority(PRIO_PROCESS, 0, 5) == 0 && getpriority(PRIO_PROCESS, 0) == 5 &&
	          nice(1) == 6,
	      "priority %d", p);
}

static void test_sched(void)
{
	cpu_set_t set;
	char name[16] = "";

	CHECK("proc/sched-getaffinity",
	      sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) == 1 &&
	          CPU_ISSET(0, &set),
	      "count %d", CPU_COUNT(&set));
	CPU_ZERO(&set);
	CPU_SET(1, &set);
	CHECK("proc/sched-setaffinity-cpu1",
	      sched_setaffinity(0, sizeof(set), &set) == -1 && errno == EINVAL, "accepted CPU 1");
	CPU_SET(0, &set);
	CHECK("proc/sched-setaffinity-cpu0", sched_setaffinity(0, sizeof(set), &set) == 0,
	      "refused");
	CHECK("proc/sched-yield", sched_yield() == 0, "failed");
	CHECK("proc/sched-priorities",
	      sched_get_priority_max(SCHED_FIFO) == 99 && sched_get_priority_min(SCHED_FIFO) == 1 &&
	          sched_getscheduler(0) == SCHED_OTHER,
	      "wrong");
	CHECK("proc/prctl-name",
	      prctl(PR_SET_NAME, "worker") == 0 && prctl(PR_GET_NAME, name) == 0 &&
	          !strcmp(name, "worker"),
	      "name '%s'", name);
}

/* Root may become another user (as nginx's workers do), and then not come
 * back: one id of each kind, no saved one. Last, as it gives up root. */
static void test_drop_root(void)
{
	CHECK("proc/root-drops-to-other-ids",
	      setgid(1000) == 0 && setuid(1000) == 0 && getuid() == 1000 && geteuid() == 1000 &&
	          getgid() == 1000,
	      "uid %d gid %d", getuid(), getgid());
	CHECK("proc/no-way-back-eperm",
	      setuid(0) == -1 && errno == EPERM && setgid(0) == -1 && errno == EPERM &&
	          setreuid(0, -1) == -1 && errno == EPERM,
	      "became root again");
}

static void test_refused(void)
{
	int status;
	char *argv[] = { "/bin/sh", NULL };

	fflush(stdout);
	CHECK("proc/fork-enosys", fork() == -1 && errno == ENOSYS, "fork did not fail with ENOSYS");
	CHECK("proc/vfork-enosys", vfork() == -1 && errno == ENOSYS, "no ENOSYS");
	CHECK("proc/execve-enosys", execve("/bin/sh", argv, NULL) == -1 && errno == ENOSYS,
	      "no ENOSYS");
	CHECK("proc/wait-echild",
	      wait(&status) == -1 && errno == ECHILD && waitpid(-1, &status, WNOHANG) == -1 &&
	          errno == ECHILD,
	      "no ECHILD");
	CHECK("proc/unimplemented-enosys",
	      syscall(298 /* perf_event_open */, 0, 0, 0) == -1 && errno == ENOSYS, "no ENOSYS");
}

int main(void)
{
	test_ids();
	test_uname();
	test_limits();
	test_sched();
	test_refused();
	test_drop_root();
	printf("proc tests done: %d failed\n", failures);
	return failures ? 1 : 0;
}
