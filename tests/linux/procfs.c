/*
 * /proc per process (libos/fs/procfs*.c), as a Linux program reads it:
 * /proc/self and /proc/thread-self, /proc/PID of a child (stat's fields,
 * status, comm and prctl's name, cmdline and environ after an exec, cwd,
 * exe), the pids /proc lists, a zombie's state, a file opened before its
 * process went (ESRCH, not stale memory), fd/ and fdinfo/ (paths, pipes,
 * sockets, eventfd), task/ with threads, limits, and maps with more areas
 * than any fixed buffer holds; /proc/sys's settings (kernel/hostname,
 * osrelease, random/uuid and boot_id, somaxconn, ...). The same source passes on Linux (the
 * proc suite runs it there too). Prints "PASS name" or "FAIL name: why"
 * per check and "procfs: all passed" at the end.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define SUITE "procfs"
#include "check.h"

extern char **environ;

/* A whole file into buf (NUL-terminated): its length, or -1. */
static long slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	long n = 0, r = 0;

	if (fd < 0)
		return -1;
	while (n + 1 < (long)size && (r = read(fd, buf + n, size - 1 - n)) > 0)
		n += r;
	close(fd);
	buf[n] = 0;
	return r < 0 ? -1 : n;
}

static long slurpf(char *buf, size_t size, const char *fmt, int a)
{
	char path[64];

	snprintf(path, sizeof(path), fmt, a);
	return slurp(path, buf, size);
}

/* The value after "key:" in a status text, or "". */
static const char *field(const char *text, const char *key, char *out, size_t size)
{
	const char *p = text;
	size_t k = strlen(key);

	out[0] = 0;
	for (; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, key, k) && p[k] == ':') {
			p += k + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			size_t n = strcspn(p, "\n");
			if (n >= size)
				n = size - 1;
			memcpy(out, p, n);
			out[n] = 0;
			break;
		}
	return out;
}

/* stat's fields after "(comm)": state, then fields 4.. as numbers. */
struct pstat {
	int pid;
	char comm[32], state;
	long long f[60]; /* f[n]: field n (1-based, as man 5 proc counts) */
};

static int parse_stat(const char *text, struct pstat *s)
{
	const char *open = strchr(text, '('), *close = strrchr(text, ')');
	int n = 4;

	if (!open || !close || close < open || close - open - 1 >= (long)sizeof(s->comm))
		return -1;
	s->pid = atoi(text);
	memcpy(s->comm, open + 1, close - open - 1);
	s->comm[close - open - 1] = 0;
	s->state = close[2];
	for (const char *p = close + 4; *p && n < 60; n++) {
		s->f[n] = strtoll(p, (char **)&p, 10);
		while (*p == ' ')
			p++;
	}
	return n - 1; /* the last field's number */
}

/* A child that names itself and waits on a pipe until the parent closes
 * it; its pid. */
static pid_t sleeper(int *wfd, const char *name, const char *dir)
{
	int p[2], q[2];
	char c;
	pid_t pid;

	if (pipe(p) || pipe(q))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		close(q[0]);
		prctl(PR_SET_NAME, name);
		if (dir && chdir(dir))
			_exit(2);
		write(q[1], "r", 1); /* ready */
		read(p[0], &c, 1);
		_exit(0);
	}
	close(p[0]);
	close(q[1]);
	read(q[0], &c, 1);
	close(q[0]);
	*wfd = p[1];
	return pid;
}

static int lists_pid(const char *dirpath, int pid)
{
	DIR *d = opendir(dirpath);
	struct dirent *e;
	int found = 0;

	while (d && (e = readdir(d)))
		found |= atoi(e->d_name) == pid && e->d_name[0] != '0';
	if (d)
		closedir(d);
	return found;
}

static void test_self(void)
{
	char buf[64], want[64];
	int p[2];
	pid_t pid;
	long n;

	n = readlink("/proc/self", buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	snprintf(want, sizeof(want), "%d", getpid());
	check("self-is-pid", !strcmp(buf, want), buf);
	n = readlink("/proc/thread-self", buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	snprintf(want, sizeof(want), "%d/task/%ld", getpid(), (long)syscall(SYS_gettid));
	check("thread-self", !strcmp(buf, want), buf);
	if (pipe(p))
		return;
	pid = fork();
	if (pid == 0) { /* the child's own view */
		char b[64], w[64];
		long m = readlink("/proc/self", b, sizeof(b) - 1);
		struct stat a, s;
		b[m > 0 ? m : 0] = 0;
		snprintf(w, sizeof(w), "%d", getpid());
		stat("/proc/self", &a);
		snprintf(b + 32, 32, "/proc/%d", getpid());
		stat(b + 32, &s);
		write(p[1], !strcmp(b, w) && a.st_ino == s.st_ino ? "y" : "n", 1);
		_exit(0);
	}
	buf[0] = 0;
	read(p[0], buf, 1);
	waitpid(pid, NULL, 0);
	close(p[0]);
	close(p[1]);
	check("self-in-child", buf[0] == 'y', "a child's /proc/self is not its own pid");
}

static void test_child_files(void)
{
	char buf[4096], v[64], want[64];
	struct pstat s;
	int wfd, fields;
	long n;
	pid_t pid = sleeper(&wfd, "kid-name", "/tmp");

	if (pid < 0) {
		check("child", 0, "fork");
		return;
	}
	usleep(50000); /* (it is in its read by now) */
	fields = slurpf(buf, sizeof(buf), "/proc/%d/stat", pid) > 0 ? parse_stat(buf, &s) : -1;
	check("stat-fields", fields >= 52, buf);
	check("stat-pid-comm", fields > 0 && s.pid == pid && !strcmp(s.comm, "kid-name"), buf);
	check("stat-state-sleeping", fields > 0 && s.state == 'S', buf);
	check("stat-ppid-pgrp",
	      fields > 0 && s.f[4] == getpid() && s.f[5] == getpgrp() && s.f[6] == getsid(0), buf);
	check("stat-threads-vsize", fields > 0 && s.f[20] == 1 && s.f[23] > 0, buf);
	slurpf(buf, sizeof(buf), "/proc/%d/status", pid);
	snprintf(want, sizeof(want), "%d", getpid());
	check("status-ppid", !strcmp(field(buf, "PPid", v, sizeof(v)), want), buf);
	snprintf(want, sizeof(want), "%d", pid);
	check("status-pid", !strcmp(field(buf, "Pid", v, sizeof(v)), want), buf);
	check("status-name", !strcmp(field(buf, "Name", v, sizeof(v)), "kid-name"), buf);
	check("status-state", !strncmp(field(buf, "State", v, sizeof(v)), "S", 1), buf);
	check("status-threads", !strcmp(field(buf, "Threads", v, sizeof(v)), "1"), buf);
	check("status-vmrss", atol(field(buf, "VmRSS", v, sizeof(v))) > 0, buf);
	check("status-sigmasks",
	      strlen(field(buf, "SigBlk", v, sizeof(v))) == 16 &&
	          strlen(field(buf, "SigCgt", v, sizeof(v))) == 16,
	      buf);
	snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", getuid(), getuid(), getuid(), getuid());
	check("status-uid", !strcmp(field(buf, "Uid", v, sizeof(v)), want), buf);
	slurpf(buf, sizeof(buf), "/proc/%d/comm", pid);
	check("comm", !strcmp(buf, "kid-name\n"), buf);
	snprintf(want, sizeof(want), "/proc/%d/cwd", pid);
	n = readlink(want, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	check("cwd", !strncmp(buf, "/tmp", 4) && (buf[4] == 0 || buf[4] == '\n'), buf);
	check("listed", lists_pid("/proc", pid) && lists_pid("/proc", getpid()),
	      "/proc does not list the processes");
	close(wfd);
	waitpid(pid, NULL, 0);
	check("reaped-not-listed", !lists_pid("/proc", pid), "a reaped pid is listed");
	errno = 0;
	check("reaped-enoent",
	      slurpf(buf, sizeof(buf), "/proc/%d/stat", pid) < 0 && errno == ENOENT,
	      "a reaped pid's directory is still there");
}

/* stat's startstack (field 28): where the main thread's stack starts, above
 * main's frame (HotSpot finds the primordial stack from it). */
static void test_startstack(void)
{
	char buf[1024];
	struct pstat s;
	unsigned long here = (unsigned long)&s, top;

	slurp("/proc/self/stat", buf, sizeof(buf));
	top = parse_stat(buf, &s) >= 28 ? (unsigned long)s.f[28] : 0;
	check("stat-startstack", top > here && top - here < (8ul << 20), buf);
}

static void test_comm_write(void)
{
	char name[17] = { 0 }, buf[64];
	int fd = open("/proc/self/comm", O_WRONLY);

	check("comm-write", fd >= 0 && write(fd, "renamed", 7) == 7, "write /proc/self/comm");
	if (fd >= 0)
		close(fd);
	prctl(PR_GET_NAME, name);
	check("comm-write-prctl", !strcmp(name, "renamed"), name);
	prctl(PR_SET_NAME, "procfs");
	slurp("/proc/self/comm", buf, sizeof(buf));
	check("comm-prctl", !strcmp(buf, "procfs\n"), buf);
}

static void test_zombie_and_gone(void)
{
	char buf[512];
	struct pstat s;
	int fd, wfd;
	pid_t pid = fork();

	if (pid == 0)
		_exit(3);
	usleep(100000);
	slurpf(buf, sizeof(buf), "/proc/%d/stat", pid);
	check("zombie-state", parse_stat(buf, &s) > 0 && s.state == 'Z', buf);
	waitpid(pid, NULL, 0);
	/* open, then the process ends and is reaped, then read */
	pid = sleeper(&wfd, "goner", NULL);
	snprintf(buf, sizeof(buf), "/proc/%d/stat", pid);
	fd = open(buf, O_RDONLY);
	close(wfd);
	waitpid(pid, NULL, 0);
	errno = 0;
	check("read-after-gone-esrch",
	      fd >= 0 && read(fd, buf, sizeof(buf)) == -1 && errno == ESRCH,
	      "a file of a process that has gone");
	if (fd >= 0)
		close(fd);
}

/* cmdline and environ of a child that exec'd this program with other
 * arguments. */
static void test_exec_args(void)
{
	char buf[256], path[64];
	int p[2];
	pid_t pid;
	long n;

	if (pipe(p))
		return;
	pid = fork();
	if (pid == 0) {
		char fd[16];
		char *argv[] = { "procfs-kid", "wait", fd, "two words", NULL };
		char *envp[] = { "PROCFS_A=1", "PROCFS_B=two", NULL };
		close(p[1]);
		snprintf(fd, sizeof(fd), "%d", p[0]);
		execve("/proc/self/exe", argv, envp);
		_exit(127);
	}
	close(p[0]);
	usleep(300000); /* (exec'd by now) */
	n = slurpf(buf, sizeof(buf), "/proc/%d/cmdline", pid);
	snprintf(path, sizeof(path), "%d", p[0]);
	{
		char want[128];
		int m =
		    snprintf(want, sizeof(want), "procfs-kid%cwait%c%s%ctwo words", 0, 0, path, 0);
		check("cmdline-after-exec", n == m + 1 && !memcmp(buf, want, m + 1), buf);
	}
	n = slurpf(buf, sizeof(buf), "/proc/%d/environ", pid);
	check("environ-after-exec", n == 24 && !memcmp(buf, "PROCFS_A=1\0PROCFS_B=two\0", 24), buf);
	n = slurpf(buf, sizeof(buf), "/proc/%d/comm", pid);
	check("comm-after-exec", !strcmp(buf, "exe\n"), buf);
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	{
		char mine[256];
		long m = readlink("/proc/self/exe", mine, sizeof(mine) - 1);
		mine[m > 0 ? m : 0] = 0;
		check("exe", n > 0 && buf[0] == '/' && !strcmp(buf, mine), buf);
	}
	close(p[1]);
	waitpid(pid, NULL, 0);
	n = slurp("/proc/self/cmdline", buf, sizeof(buf));
	check("cmdline-self", n > 0 && buf[n - 1] == 0, "no NUL at the end");
}

/* A program that rewrites its title over its arguments (setproctitle). */
static void test_title(char **argv)
{
	char buf[256];
	size_t room = strlen(argv[0]);
	long n;

	if (room < 4)
		return;
	memset(argv[0], 'T', room); /* overwrites argv[0]'s NUL: a title */
	n = slurp("/proc/self/cmdline", buf, sizeof(buf));
	check("cmdline-title", n >= (long)room && !memcmp(buf, argv[0], room), buf);
}

/* /proc/self/fd/FD's target into buf (len bytes, terminated): its
 * length, or -1. */
static long fd_link(int fd, char *buf, size_t len)
{
	char path[64];
	long n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, buf, len - 1);
	buf[n > 0 ? n : 0] = 0;
	return n;
}

/* fd's link reads KIND:[INODE], as Linux names pipes and sockets. */
static void check_fd_inode(const char *name, int fd, const char *kind)
{
	char buf[256], want[64];
	struct stat st;

	fstat(fd, &st);
	fd_link(fd, buf, sizeof(buf));
	snprintf(want, sizeof(want), "%s:[%lu]", kind, (unsigned long)st.st_ino);
	check(name, !strcmp(buf, want), buf);
}

static void test_fds(void)
{
	char path[64], buf[256], want[64];
	int p[2], s[2], e, f, cl;
	struct stat st;
	long n;

	if (pipe(p) || socketpair(AF_UNIX, SOCK_STREAM, 0, s))
		return;
	e = eventfd(0, EFD_CLOEXEC);
	f = open("/proc/self/exe", O_RDONLY);
	cl = dup2(f, 100);
	close(cl); /* a hole, not the lowest free descriptor */
	check_fd_inode("fd-pipe", p[0], "pipe");
	check_fd_inode("fd-socket", s[0], "socket");
	fd_link(e, buf, sizeof(buf));
	check("fd-eventfd", !strcmp(buf, "anon_inode:[eventfd]"), buf);
	n = fd_link(f, buf, sizeof(buf));
	readlink("/proc/self/exe", want, sizeof(want) - 1);
	check("fd-path", n > 0 && !strncmp(buf, want, n), buf);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", cl);
	check("fd-closed", lstat(path, &st) == -1 && errno == ENOENT, "a closed descriptor");
	{
		char d[32];
		snprintf(d, sizeof(d), "/proc/%d/fd", getpid());
		check("fd-listed", lists_pid(d, e) && lists_pid(d, f) && !lists_pid(d, cl),
		      "fd/ does not list the descriptors");
	}
	lseek(f, 5, SEEK_SET);
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", f);
	slurp(path, buf, sizeof(buf));
	check("fdinfo-pos", strstr(buf, "pos:\t5\n") != NULL, buf);
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", e);
	slurp(path, buf, sizeof(buf));
	{
		const char *fl = strstr(buf, "flags:\t");
		check("fdinfo-cloexec", fl && (strtoul(fl + 7, NULL, 8) & O_CLOEXEC), buf);
	}
	close(p[0]), close(p[1]), close(s[0]), close(s[1]), close(e), close(f);
}

static void *idle_thread(void *arg)
{
	int *fd = arg;
	char c;

	read(*fd, &c, 1);
	return NULL;
}

static long other_tid;

static void *named_thread(void *arg)
{
	int *fd = arg;
	char c;

	other_tid = syscall(SYS_gettid);
	read(*fd, &c, 1);
	return NULL;
}

/* /proc/TID of a thread that is not its process's first: there (its
 * process as the thread sees it), and not listed in /proc. */
static void test_tid_dir(void)
{
	char buf[2048], path[64], v[32], want[32];
	int listed = 0, p[2];
	struct dirent *e;
	pthread_t t;
	DIR *d;

	if (pipe(p))
		return;
	other_tid = 0;
	pthread_create(&t, NULL, named_thread, &p[0]);
	while (!other_tid)
		usleep(1000);
	snprintf(path, sizeof(path), "/proc/%ld/status", other_tid);
	slurp(path, buf, sizeof(buf));
	snprintf(want, sizeof(want), "%d", getpid());
	check("tid-dir-tgid", !strcmp(field(buf, "Tgid", v, sizeof(v)), want), buf);
	snprintf(want, sizeof(want), "%ld", other_tid);
	check("tid-dir-pid", !strcmp(field(buf, "Pid", v, sizeof(v)), want), buf);
	snprintf(path, sizeof(path), "/proc/%ld/stat", other_tid);
	slurp(path, buf, sizeof(buf));
	check("tid-dir-stat", atol(buf) == other_tid, buf);
	d = opendir("/proc");
	while (d && (e = readdir(d)))
		listed |= atol(e->d_name) == other_tid;
	if (d)
		closedir(d);
	check("tid-not-listed", !listed, "/proc lists a thread's id");
	write(p[1], "x", 1);
	pthread_join(t, NULL);
	close(p[0]);
	close(p[1]);
}

static void test_tasks(void)
{
	pthread_t t[2];
	int p[2], count = 0, mine = 0;
	long tid = syscall(SYS_gettid);
	char buf[1024], v[32], path[64];
	struct dirent *e;
	DIR *d;

	if (pipe(p))
		return;
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, idle_thread, &p[0]);
	usleep(50000);
	d = opendir("/proc/self/task");
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.') {
			count++;
			mine |= atol(e->d_name) == tid;
		}
	if (d)
		closedir(d);
	check("task-lists-threads", count == 3 && mine, "task/ does not list 3 threads");
	slurp("/proc/self/status", buf, sizeof(buf));
	check("status-threads-3", !strcmp(field(buf, "Threads", v, sizeof(v)), "3"), buf);
	snprintf(path, sizeof(path), "/proc/self/task/%ld/stat", tid);
	slurp(path, buf, sizeof(buf));
	check("task-stat", atol(buf) == tid, buf);
	test_tid_dir();
	write(p[1], "xx", 2);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	close(p[0]);
	close(p[1]);
}

/* Another process's environ needs ptrace access (root, or its uid; not
 * compared: Linux also refuses a process that changed its ids, not
 * dumpable, even its own uid); its comm is written by its owner (or
 * root), and only by itself. */
static void test_other_uid(void)
{
	int go[2], st, fd;
	char path[64];
	pid_t pid, parent = getpid();

	if (getuid() != 0 || pipe(go)) {
		check("other-uid", 1, "(not root: nothing to compare)");
		return;
	}
	if ((pid = fork()) == 0) {
		int r = 0;
		char c;
		if (setgid(65534) || setuid(65534))
			_exit(100);
		snprintf(path, sizeof(path), "/proc/%d/environ", parent);
		if (open(path, O_RDONLY) >= 0 || errno != EACCES)
			r |= 1;
		snprintf(path, sizeof(path), "/proc/%d/comm", parent);
		if (open(path, O_WRONLY) >= 0 || errno != EACCES)
			r |= 4;
		if ((fd = open(path, O_RDONLY)) < 0)
			r |= 8;
		read(go[0], &c, 1);
		_exit(r);
	}
	snprintf(path, sizeof(path), "/proc/%d/environ", pid);
	fd = open(path, O_RDONLY);
	check("other-environ-root", fd >= 0, "root could not open a child's environ");
	close(fd);
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	fd = open(path, O_WRONLY);
	errno = 0;
	check("other-comm-write-einval", fd >= 0 && write(fd, "x", 1) == -1 && errno == EINVAL,
	      "writing another process's comm did not fail with EINVAL");
	close(fd);
	write(go[1], "x", 1);
	st = status_of(pid);
	check("other-uid-environ-eacces", WIFEXITED(st) && !(WEXITSTATUS(st) & 1),
	      "another uid opened this process's environ");
	check("other-uid-comm-write-eacces", WIFEXITED(st) && !(WEXITSTATUS(st) & 4),
	      "another uid opened this process's comm for writing");
	check("other-uid-comm-read",
	      WIFEXITED(st) && !(WEXITSTATUS(st) & 8) && WEXITSTATUS(st) < 100,
	      "another uid could not read this process's comm (or setuid failed)");
	close(go[0]);
	close(go[1]);
}

static void test_limits(void)
{
	char buf[4096], want[128], soft[24], hard[24];
	struct rlimit r;

	getrlimit(RLIMIT_NOFILE, &r);
	snprintf(soft, sizeof(soft), "%lu", (unsigned long)r.rlim_cur);
	snprintf(hard, sizeof(hard), "%lu", (unsigned long)r.rlim_max);
	snprintf(want, sizeof(want), "Max open files            %-20s %-20s files     \n", soft,
	         hard);
	slurp("/proc/self/limits", buf, sizeof(buf));
	check("limits",
	      !strncmp(buf, "Limit                     Soft Limit", 36) &&
	          strstr(buf, want) != NULL,
	      buf);
}

/* More areas than a fixed buffer holds: every one is shown, the stack's
 * line (the highest) too. */
static void test_maps_many(void)
{
	enum { AREAS = 20000 };
	size_t page = 4096, len = 2 * page * AREAS;
	char *base = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	unsigned long lo, hi, here = (unsigned long)&lo;
	int fd, lines = 0, mine = 0, stack = 0;
	char buf[8192], *line;
	long n, keep = 0;

	if (base == MAP_FAILED) {
		check("maps-many", 0, "mmap");
		return;
	}
	for (int i = 0; i < AREAS; i++) /* every other page readable: no two merge */
		mprotect(base + 2 * page * i, page, PROT_READ);
	fd = open("/proc/self/maps", O_RDONLY);
	while (fd >= 0 && (n = read(fd, buf + keep, sizeof(buf) - 1 - keep)) > 0) {
		n += keep;
		buf[n] = 0;
		line = buf;
		for (char *nl; (nl = strchr(line, '\n')); line = nl + 1) {
			lines++;
			char perms[8];
			if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3) {
				mine += lo >= (unsigned long)base &&
				        hi <= (unsigned long)base + len && perms[0] == 'r';
				stack |= lo <= here && here < hi;
			}
		}
		keep = buf + n - line;
		memmove(buf, line, keep);
	}
	if (fd >= 0)
		close(fd);
	munmap(base, len);
	check("maps-many-areas", lines > AREAS && mine >= AREAS - 1, "areas are missing");
	check("maps-many-stack", stack, "the stack's line is missing");
}

/* The line of /proc/self/maps whose area holds addr: its name (after
 * the inode) into name, 1; or 0. */
static int maps_name_at(unsigned long addr, char *name, size_t size)
{
	char line[512];
	unsigned long lo, hi;
	int found = 0, at;
	FILE *f = fopen("/proc/self/maps", "r");

	while (f && !found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &lo, &hi, &at) == 2 && lo <= addr &&
		    addr < hi) {
			line[strcspn(line, "\n")] = 0;
			snprintf(name, size, "%s", line + at);
			found = 1;
		}
	if (f)
		fclose(f);
	return found;
}

/* maps names the main thread's stack, the break's pages and the vDSO as
 * Linux does. */
static void test_maps_names(void)
{
	char name[256];
	int local = 0;
	char *top = sbrk(0);

	check("maps-stack",
	      maps_name_at((unsigned long)&local, name, sizeof(name)) && !strcmp(name, "[stack]"),
	      name);
	if (sbrk(65536) == (void *)-1) {
		check("maps-heap", 0, "sbrk");
	} else {
		top[100] = 1;
		check("maps-heap",
		      maps_name_at((unsigned long)top + 100, name, sizeof(name)) &&
		          !strcmp(name, "[heap]"),
		      name);
		sbrk(-65536);
	}
	check("maps-vdso",
	      maps_name_at(getauxval(AT_SYSINFO_EHDR), name, sizeof(name)) &&
	          !strcmp(name, "[vdso]"),
	      name);
	check("maps-anonymous-unnamed",
	      maps_name_at(
	          (unsigned long)mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
	          name, sizeof(name)) &&
	          !strcmp(name, ""),
	      name);
}

/* /proc/sys's settings that programs and scripts read. */
static long sysctl_num(const char *path)
{
	char buf[64];

	return slurp(path, buf, sizeof(buf)) > 1 && buf[strlen(buf) - 1] == '\n' ? atol(buf) : -1;
}

static int is_uuid(const char *s)
{
	for (int i = 0; i < 36; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23 ? s[i] != '-'
		                                            : !strchr("0123456789abcdef", s[i]))
			return 0;
	return s[36] == '\n' && !s[37];
}

static void test_sysctl(void)
{
	char a[64] = "", b[64] = "", c[64] = "", want[80], cg[4096];
	struct utsname u;

	uname(&u);
	snprintf(want, sizeof(want), "%s\n", u.nodename);
	check("sys/kernel/hostname",
	      slurp("/proc/sys/kernel/hostname", a, sizeof(a)) > 0 && !strcmp(a, want),
	      "not uname's nodename");
	snprintf(want, sizeof(want), "%s\n", u.release);
	check("sys/kernel/osrelease",
	      slurp("/proc/sys/kernel/osrelease", a, sizeof(a)) > 0 && !strcmp(a, want),
	      "not uname's release");
	check("sys/kernel/ostype",
	      slurp("/proc/sys/kernel/ostype", a, sizeof(a)) > 0 && !strcmp(a, "Linux\n"),
	      "not Linux");
	check("sys/kernel/random/uuid",
	      slurp("/proc/sys/kernel/random/uuid", a, sizeof(a)) > 0 && is_uuid(a) &&
	          slurp("/proc/sys/kernel/random/uuid", b, sizeof(b)) > 0 && is_uuid(b) &&
	          strcmp(a, b) && a[14] == '4' && strchr("89ab", a[19]),
	      "not a new random (version 4) UUID each read");
	check("sys/kernel/random/boot_id",
	      slurp("/proc/sys/kernel/random/boot_id", a, sizeof(a)) > 0 && is_uuid(a) &&
	          slurp("/proc/sys/kernel/random/boot_id", c, sizeof(c)) > 0 && !strcmp(a, c),
	      "not one UUID for the boot");
	/* (cgroup v2's line, as in a container; a v1 host has it last; Linux
	 * shows none until cgroup2 is first mounted, as in a bare initramfs:
	 * uk's own "0::/" is checked by tests/e2e/guest/proc.sh) */
	check("self/cgroup",
	      slurp("/proc/self/cgroup", cg, sizeof(cg)) >= 0 &&
	          (!cg[0] || !strncmp(cg, "0::/", 4) || strstr(cg, "\n0::/")),
	      "no cgroup v2 line");
	check("sys/numbers",
	      sysctl_num("/proc/sys/kernel/pid_max") > 0 &&
	          sysctl_num("/proc/sys/net/core/somaxconn") >= 128 &&
	          sysctl_num("/proc/sys/vm/max_map_count") > 0 &&
	          sysctl_num("/proc/sys/fs/nr_open") >= 1024,
	      "pid_max, somaxconn, max_map_count or nr_open missing");
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "wait")) { /* test_exec_args's child */
		char c;
		read(atoi(argv[2]), &c, 1);
		return 0;
	}
	test_self();
	test_child_files();
	test_startstack();
	test_comm_write();
	test_zombie_and_gone();
	test_exec_args();
	test_fds();
	test_tasks();
	test_other_uid();
	test_limits();
	test_maps_many();
	test_maps_names();
	test_title(argv);
	test_sysctl();
	return check_done();
}
