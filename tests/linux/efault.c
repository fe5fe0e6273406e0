/*
 * Bad pointers given to system calls fail with EFAULT, as on Linux, and
 * the process goes on: an unmapped page, a PROT_NONE page, a read-only
 * page the call would write, the kernel's half (where uk's library OS
 * lives: a call must never read or write it for the program), a
 * non-canonical address, and a buffer running off the end of a mapping.
 * After each, descriptors and data are intact (a pipe() with a bad array
 * leaves no descriptor behind, a read into a bad buffer loses no data).
 * A child's bad pointer leaves its parent running. Raw syscall() calls,
 * so glibc neither touches the pointers first nor uses the vDSO (whose
 * clock_gettime faults in the program on Linux too).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <poll.h>
#include <sys/mman.h>
#include <linux/capability.h>
#include <time.h>
#include <sys/wait.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/futex.h>

#define SUITE "efault"
#include "check.h"

#define PG 4096ul
static char *region;                          /* page 0 RW, 1 unmapped, 2 PROT_NONE, 3 read-only */
#define KERNEL ((char *)0xffffffff80000000ul) /* uk's library OS is linked here */
#define PHYSMAP ((char *)0xffff888000000000ul)
#define NONCANON ((char *)0x0000800000000000ul)

struct bad {
	const char *tag;
	char *p;
};
static struct bad bads[5];
static int nbads;

static long sc_errno;

static void add(const char *tag, char *p) { bads[nbads++] = (struct bad){ tag, p }; }

/* expr must fail with EFAULT for every bad pointer b->p (ro: also the
 * read-only page, for calls that write). */
#define EACH(name, ro, expr)                                                   \
	do {                                                                   \
		for (int i_ = 0; i_ < nbads + (ro); i_++) {                    \
			char *bp = i_ < nbads ? bads[i_].p : region + 3 * PG;  \
			char nm_[96];                                          \
			snprintf(nm_, sizeof(nm_), "%s/%s", name,              \
			         i_ < nbads ? bads[i_].tag : "read-only");     \
			errno = 0;                                             \
			long r_ = (expr);                                      \
			check(nm_, r_ == -1 && errno == EFAULT, "not EFAULT"); \
			(void)bp;                                              \
		}                                                              \
	} while (0)

static int efault(long r) { return r == -1 && errno == EFAULT; }

/* The lowest free descriptor: equal before and after means none leaked. */
static int next_fd(void)
{
	int fd = dup(0);

	close(fd);
	return fd;
}

/* A buffer of n bytes ending m bytes into the unmapped page. */
static char *straddle(size_t n, size_t m) { return region + PG + m - n; }

static void io_calls(void)
{
	int p[2], q[2];
	char buf[16] = { 0 };
	struct iovec iov;
	long r;

	pipe(p);
	write(p[1], "hello", 5);
	EACH("read", 1, syscall(SYS_read, p[0], bp, 16));
	r = read(p[0], buf, sizeof(buf));
	check("read/data-kept", r == 5 && !memcmp(buf, "hello", 5), "the pipe's data was lost");
	EACH("write", 0, syscall(SYS_write, p[1], bp, 16));
	iov = (struct iovec){ 0, 16 };
	EACH("writev/base", 0, (iov.iov_base = bp, syscall(SYS_writev, p[1], &iov, 1)));
	EACH("writev/array", 0, syscall(SYS_writev, p[1], bp, 1));
	ioctl(p[0], FIONREAD, &r);
	check("write/nothing-written", (int)r == 0, "bytes reached the pipe");
	write(p[1], "hello", 5);
	EACH("readv/base", 1, (iov.iov_base = bp, syscall(SYS_readv, p[0], &iov, 1)));
	EACH("readv/array", 0, syscall(SYS_readv, p[0], bp, 1));
	EACH("ioctl-FIONREAD", 1, syscall(SYS_ioctl, p[0], FIONREAD, bp));
	/* a buffer running off its mapping: EFAULT, or the part that fits */
	r = syscall(SYS_read, p[0], straddle(16, 14), 16);
	check("read/straddle", efault(r) || r == 2, "neither EFAULT nor a short read");
	memset(buf, 0, sizeof(buf));
	read(p[0], buf, sizeof(buf));
	if (r == 2)
		check("read/straddle-rest",
		      !memcmp(straddle(16, 14), "he", 2) && !memcmp(buf, "llo", 3), "data lost");
	else
		check("read/straddle-rest", !memcmp(buf, "hello", 5), "data lost");
	r = syscall(SYS_write, p[1], straddle(16, 14), 16);
	check("write/straddle", efault(r) || r == 2, "neither EFAULT nor a short write");
	pipe(q);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}

static void file_calls(void)
{
	int fd = syscall(SYS_memfd_create, "efault", 0), before;
	char path[] = "/";

	if (fd != 3)
		dup2(fd, 3);
	write(3, "0123456789abcdef", 16);
	EACH("pread64/file", 1, syscall(SYS_pread64, 3, bp, 16, 0));
	EACH("pwrite64", 0, syscall(SYS_pwrite64, 3, bp, 16, 0));
	EACH("stat/path", 0, syscall(SYS_stat, bp, region));
	EACH("stat/buf", 1, syscall(SYS_stat, path, bp));
	EACH("lstat/buf", 1, syscall(SYS_lstat, path, bp));
	EACH("fstat", 1, syscall(SYS_fstat, 3, bp));
	EACH("newfstatat/path", 0, syscall(SYS_newfstatat, AT_FDCWD, bp, region, 0));
	EACH("newfstatat/buf", 1, syscall(SYS_newfstatat, AT_FDCWD, path, bp, 0));
	EACH("statx", 1, syscall(SYS_statx, AT_FDCWD, path, 0, 0x7ff, bp));
	check("stat/straddle", efault(syscall(SYS_stat, path, straddle(144, 80))), "not EFAULT");
	before = next_fd();
	EACH("open", 0, syscall(SYS_open, bp, O_RDONLY));
	EACH("openat", 0, syscall(SYS_openat, AT_FDCWD, bp, O_RDONLY));
	memcpy(straddle(2, 0), "/x", 2); /* no NUL before the hole */
	check("open/straddle", efault(syscall(SYS_open, straddle(2, 0), O_RDONLY)), "not EFAULT");
	EACH("getcwd", 1, syscall(SYS_getcwd, bp, 256));
	check("getcwd/straddle", efault(syscall(SYS_getcwd, straddle(1, 0), 256)), "not EFAULT");
	EACH("readlink/path", 0, syscall(SYS_readlink, bp, region, 64));
	EACH("readlink/buf", 1, syscall(SYS_readlink, "/proc/self/exe", bp, 64));
	int dir = open("/", O_RDONLY | O_DIRECTORY);
	EACH("getdents64", 1, syscall(SYS_getdents64, dir, bp, 4096));
	close(dir);
	check("open/no-fd-left", next_fd() == before, "a descriptor leaked");
	close(3);
}

static void time_calls(void)
{
	EACH("clock_gettime", 1, syscall(SYS_clock_gettime, CLOCK_MONOTONIC, bp));
	check("clock_gettime/straddle",
	      efault(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, straddle(16, 8))), "not EFAULT");
	EACH("gettimeofday", 1, syscall(SYS_gettimeofday, bp, NULL));
	EACH("time", 1, syscall(SYS_time, bp));
	EACH("nanosleep", 0, syscall(SYS_nanosleep, bp, NULL));
	EACH("uname", 1, syscall(SYS_uname, bp));
	check("uname/straddle", efault(syscall(SYS_uname, straddle(390, 100))), "not EFAULT");
	EACH("getrusage", 1, syscall(SYS_getrusage, RUSAGE_SELF, bp));
	EACH("sysinfo", 1, syscall(SYS_sysinfo, bp));
	EACH("prlimit64/old", 1, syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, bp));
	EACH("prlimit64/new", 0, syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, bp, NULL));
	EACH("sched_getaffinity", 1, syscall(SYS_sched_getaffinity, 0, 128, bp));
	EACH("sched_getparam", 1, syscall(SYS_sched_getparam, 0, bp));
	EACH("utimensat", 0, syscall(SYS_utimensat, AT_FDCWD, "/", bp, 0));
	EACH("mincore", 1, syscall(SYS_mincore, region, PG, bp));
	EACH("prctl-get-name", 1, syscall(SYS_prctl, PR_GET_NAME, bp, 0, 0, 0));
	EACH("prctl-set-name", 0, syscall(SYS_prctl, PR_SET_NAME, bp, 0, 0, 0));
	EACH("fcntl-getlk", 1, syscall(SYS_fcntl, 0, F_GETLK, bp));
	EACH("fcntl-setlk", 0, syscall(SYS_fcntl, 0, F_SETLK, bp));
}

static void fd_calls(void)
{
	int before = next_fd(), sv[2], p[2], ep;
	char buf[16];
	struct msghdr mh;
	struct iovec iov;
	struct epoll_event ev = { .events = EPOLLIN };
	socklen_t len = 4;
	int val;

	EACH("pipe", 1, syscall(SYS_pipe, bp));
	EACH("pipe2", 1, syscall(SYS_pipe2, bp, 0));
	EACH("socketpair", 1, syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, bp));
	check("pipe/no-fd-left", next_fd() == before, "a descriptor leaked");
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	EACH("getsockopt/val", 1, syscall(SYS_getsockopt, sv[0], SOL_SOCKET, SO_TYPE, bp, &len));
	EACH("getsockopt/len", 1, syscall(SYS_getsockopt, sv[0], SOL_SOCKET, SO_TYPE, &val, bp));
	EACH("setsockopt", 0, syscall(SYS_setsockopt, sv[0], SOL_SOCKET, SO_RCVBUF, bp, 4));
	EACH("sendto", 0, syscall(SYS_sendto, sv[0], bp, 16, 0, NULL, 0));
	iov = (struct iovec){ 0, 16 };
	mh = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1 };
	EACH("sendmsg/base", 0, (iov.iov_base = bp, syscall(SYS_sendmsg, sv[0], &mh, 0)));
	EACH("sendmsg/hdr", 0, syscall(SYS_sendmsg, sv[0], bp, 0));
	write(sv[0], "hello", 5);
	EACH("recvfrom", 1, syscall(SYS_recvfrom, sv[1], bp, 16, 0, NULL, NULL));
	EACH("recvmsg/base", 1, (iov.iov_base = bp, syscall(SYS_recvmsg, sv[1], &mh, 0)));
	EACH("recvmsg/hdr", 1, syscall(SYS_recvmsg, sv[1], bp, 0));
	check("recv/data-kept", recv(sv[1], buf, sizeof(buf), 0) == 5 && !memcmp(buf, "hello", 5),
	      "the socket's data was lost");
	pipe(p);
	write(p[1], "x", 1);
	struct timespec ts0 = { 0, 0 };
	EACH("poll", 1, syscall(SYS_poll, bp, 1, 0));
	EACH("ppoll", 1, syscall(SYS_ppoll, bp, 1, &ts0, NULL, 8));
	check("poll/straddle", efault(syscall(SYS_poll, straddle(16, 4), 2, 0)), "not EFAULT");
	struct timeval tv0 = { 0, 0 };
	EACH("select", 1, syscall(SYS_select, p[0] + 1, bp, NULL, NULL, &tv0));
	EACH("pselect6", 1, syscall(SYS_pselect6, p[0] + 1, bp, NULL, NULL, &ts0, NULL));
	/* a timeout in read-only memory is fine: Linux ignores a failed
	 * write-back of the time left (the page holds zeros: no wait) */
	fd_set rs;
	FD_ZERO(&rs);
	FD_SET(p[0], &rs);
	check("select/read-only-timeout",
	      syscall(SYS_select, p[0] + 1, &rs, NULL, NULL, region + 3 * PG) == 1, "failed");
	struct pollfd pfd = { .fd = p[0], .events = POLLIN };
	check("ppoll/read-only-timeout", syscall(SYS_ppoll, &pfd, 1, region + 3 * PG, NULL, 8) == 1,
	      "failed");
	ep = epoll_create1(0);
	EACH("epoll_ctl", 0, syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, p[0], bp));
	epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
	EACH("epoll_wait", 1, syscall(SYS_epoll_wait, ep, bp, 4, 0));
	check("epoll_wait/still-ready", epoll_wait(ep, &ev, 1, 0) == 1, "the event was lost");
	int pt = posix_openpt(O_RDWR | O_NOCTTY);
	EACH("ioctl-TCGETS", 1, syscall(SYS_ioctl, pt, TCGETS, bp));
	close(pt);
	close(ep);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
	check("fds/no-fd-left", next_fd() == before, "a descriptor leaked");
}

static void sig_calls(void)
{
	sigset_t before, after;
	uint32_t word = 0;

	sigemptyset(&before);
	sigemptyset(&after);
	sigprocmask(SIG_SETMASK, NULL, &before);
	EACH("rt_sigaction/act", 0, syscall(SYS_rt_sigaction, SIGUSR1, bp, NULL, 8));
	EACH("rt_sigaction/old", 1, syscall(SYS_rt_sigaction, SIGUSR1, NULL, bp, 8));
	EACH("rt_sigprocmask/set", 0, syscall(SYS_rt_sigprocmask, SIG_BLOCK, bp, NULL, 8));
	EACH("rt_sigprocmask/old", 1, syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, bp, 8));
	sigprocmask(SIG_SETMASK, NULL, &after);
	check("rt_sigprocmask/mask-kept", !memcmp(&before, &after, 8), "mask changed");
	EACH("futex-wait", 0, syscall(SYS_futex, bp, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0));
	EACH("futex-lock-pi", 1, syscall(SYS_futex, bp, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0));
	EACH("futex-unlock-pi", 0,
	     syscall(SYS_futex, bp, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0));
	EACH("futex-wait-timeout", 0,
	     syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, bp, NULL, 0));
}

static void exec_calls(const char *self)
{
	char *argv_bad[] = { region + PG, NULL };

	EACH("execve/path", 0, syscall(SYS_execve, bp, NULL, NULL));
	/* (if one got through, the program would start again: the
	 * environment says so and it ends at once) */
	char *env[] = { "EFAULT_EXECED=1", NULL };
	EACH("execve/argv", 0, syscall(SYS_execve, self, bp, env));
	check("execve/argv-string", efault(syscall(SYS_execve, self, argv_bad, env)), "not EFAULT");
}

static void wait_calls(void)
{
	pid_t pid = fork();

	if (!pid)
		_exit(7);
	usleep(20000);
	/* Linux reaps the child and then fails to write the status */
	check("wait4/status", efault(syscall(SYS_wait4, pid, region + PG, 0, NULL)), "not EFAULT");
	waitpid(pid, NULL, 0);
}

/* Lengths no buffer has (negative, or past any mapping): still EFAULT,
 * never a read or write of what lies beyond the program's memory (the
 * library OS's half in uk). */
static void huge_lengths(void)
{
	int p[2];
	struct iovec iov;
	struct timeval tv0 = { 0, 0 };
	char buf[8];

	pipe2(p, O_NONBLOCK);
	write(p[1], "hello", 5);
	EACH("read/huge", 1, syscall(SYS_read, p[0], bp, (size_t)-1));
	EACH("write/huge", 0, syscall(SYS_write, p[1], bp, (size_t)-1));
	EACH("getcwd/huge", 1, syscall(SYS_getcwd, bp, (size_t)-1));
	iov = (struct iovec){ 0, (size_t)-1 };
	/* (Linux refuses the length first: EINVAL) */
	for (int i = 0; i < nbads; i++) {
		iov.iov_base = bads[i].p;
		errno = 0;
		check("readv/negative-len",
		      syscall(SYS_readv, p[0], &iov, 1) == -1 &&
		          (errno == EFAULT || errno == EINVAL),
		      "neither EFAULT nor EINVAL");
	}
	EACH("select/huge-nfds", 0, syscall(SYS_select, 1 << 21, bp, NULL, NULL, &tv0));
	check("read/huge-data-kept", read(p[0], buf, sizeof(buf)) == 5, "the pipe's data was lost");
	close(p[0]);
	close(p[1]);
}

/* Calls whose pointers only some requests have. */
static void misc_calls(void)
{
	int dir = open("/", O_RDONLY | O_DIRECTORY);
	struct __user_cap_header_struct ch = { _LINUX_CAPABILITY_VERSION_3, 0 };
	size_t len;

	EACH("futex-trylock-pi", 1,
	     syscall(SYS_futex, bp, FUTEX_TRYLOCK_PI_PRIVATE, 0, NULL, NULL, 0));
	EACH("get_robust_list", 1, syscall(SYS_get_robust_list, 0, bp, &len));
	EACH("getdents", 1, syscall(SYS_getdents, dir, bp, 4096));
	EACH("timer_create", 1, syscall(SYS_timer_create, CLOCK_MONOTONIC, NULL, bp));
	EACH("capget/data", 1, syscall(SYS_capget, &ch, bp));
	close(dir);
}

/* Memory named for a thread's end (its tid's word, its robust list, an
 * entry of it) and unmapped before: Linux writes nothing there and the
 * process ends as it asked. */
static void child_exit_words(void)
{
	static const char *what[] = { "tid-address", "robust-head", "robust-entry" };

	for (int i = 0; i < 3; i++) {
		pid_t pid = fork();
		char nm[64];
		int st;
		if (!pid) {
			static long head[3];
			long *pg = mmap(NULL, PG, PROT_READ | PROT_WRITE,
			                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			pg[0] = (long)pg; /* a list of one entry: the head's own */
			head[0] = (long)NONCANON;
			if (i == 0)
				syscall(SYS_set_tid_address, pg);
			else
				syscall(SYS_set_robust_list, i == 1 ? pg : head, 24);
			munmap(pg, PG);
			syscall(SYS_exit, 0); /* (its only thread: the process ends) */
		}
		snprintf(nm, sizeof(nm), "child/exit-word-%s", what[i]);
		st = status_of(pid);
		check(nm, WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "the child did not end with status 0");
	}
}

/* A child's bad pointers: EFAULT there too, its parent and the VM go on. */
static void child_calls(void)
{
	pid_t pid = fork();

	if (!pid)
		_exit(efault(syscall(SYS_write, 1, region + PG, 16)) &&
		              efault(syscall(SYS_uname, KERNEL))
		          ? 0
		          : 1);
	check("child/efault", status_of(pid) == 0, "the child did not see EFAULT");
}

/* A buffer unmapped by another thread while the call sleeps: Linux fails
 * the read with EFAULT; uk cannot unwind the sleeping call and ends the
 * process as SIGSEGV. Either way the parent goes on. */
static int race_pipe[2];
static char *race_buf;

static void *unmapper(void *arg)
{
	(void)arg;
	usleep(50000);
	munmap(race_buf, PG);
	write(race_pipe[1], "late", 4);
	return NULL;
}

static void child_race(void)
{
	pid_t pid = fork();
	int st;

	if (!pid) {
		pthread_t t;
		pipe(race_pipe);
		race_buf =
		    mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		pthread_create(&t, NULL, unmapper, NULL);
		_exit(efault(syscall(SYS_read, race_pipe[0], race_buf, 16)) ? 0 : 1);
	}
	st = status_of(pid);
	check("child/unmapped-while-asleep",
	      (WIFEXITED(st) && WEXITSTATUS(st) == 0) ||
	          (WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV),
	      "neither EFAULT nor SIGSEGV");
}

/* The same read, the pipe's write end in the parent: once the child is
 * gone nothing holds the read end (the read failed with EFAULT and
 * released its file, as on Linux; uk ended the process in the middle of
 * the read and the file stayed referenced: the parent's write went into a
 * pipe nobody could read, instead of EPIPE). */
static void *unmap_only(void *arg)
{
	(void)arg;
	usleep(50000);
	munmap(race_buf, PG);
	return NULL;
}

static void child_race_release(void)
{
	int p[2], st;
	pid_t pid;
	long w;

	if (pipe(p))
		return;
	if (!(pid = fork())) {
		pthread_t t;
		close(p[1]);
		race_buf =
		    mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		pthread_create(&t, NULL, unmap_only, NULL);
		_exit(efault(syscall(SYS_read, p[0], race_buf, 16)) ? 0 : 1);
	}
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	usleep(200000); /* the buffer is gone by now */
	write(p[1], "late", 4);
	st = status_of(pid);
	errno = 0;
	w = write(p[1], "x", 1);
	check("child/unmapped-while-asleep-efault", WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "the read did not fail with EFAULT");
	check("child/unmapped-while-asleep-file-released", w == -1 && errno == EPIPE,
	      "the child's read end is still open");
	signal(SIGPIPE, SIG_DFL);
	close(p[1]);
}

/* A poll array across two pages, the second unmapped by another thread
 * while poll sleeps: Linux fails the revents' write-back with EFAULT;
 * uk ends the process (SIGSEGV). Either way no entry of the wait is left
 * in a pipe's queue: the parent, which shares the first pipe, writes to
 * it and polls it afterwards (an entry left on the dead thread's stack
 * would be woken there). */
static int poll_pipes[2][2];
static char *poll_pages;

static void *poll_unmapper(void *arg)
{
	(void)arg;
	usleep(50000);
	munmap(poll_pages + PG, PG);
	write(poll_pipes[1][1], "x", 1);
	return NULL;
}

static void child_poll_race(void)
{
	struct pollfd p;
	pid_t pid;
	int st;

	if (pipe(poll_pipes[0]) || pipe(poll_pipes[1]))
		return;
	if (!(pid = fork())) {
		pthread_t t;
		struct pollfd *fds;
		poll_pages =
		    mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		fds = (struct pollfd *)(poll_pages + PG) - 1; /* the second in the second page */
		fds[0] = (struct pollfd){ poll_pipes[0][0], POLLIN, 0 };
		fds[1] = (struct pollfd){ poll_pipes[1][0], POLLIN, 0 };
		pthread_create(&t, NULL, poll_unmapper, NULL);
		_exit(efault(syscall(SYS_poll, fds, 2, 5000)) ? 0 : 1);
	}
	st = status_of(pid);
	check("child/poll-unmapped-while-asleep",
	      (WIFEXITED(st) && WEXITSTATUS(st) == 0) ||
	          (WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV),
	      "neither EFAULT nor SIGSEGV");
	p = (struct pollfd){ poll_pipes[0][0], POLLIN, 0 };
	check("child/poll-race-queue-clean",
	      write(poll_pipes[0][1], "y", 1) == 1 && poll(&p, 1, 2000) == 1 &&
	          (p.revents & POLLIN),
	      "the pipe the child polled does not work after it");
	for (int i = 0; i < 4; i++)
		close(poll_pipes[i / 2][i % 2]);
}

/* sendmmsg and recvmmsg each message's length written back, recvmsg its
 * flags and control length (binary mode gives the calls copies of the
 * headers: what they write must reach the program's); a bad header after
 * the first ends sendmmsg's count, the messages before it sent. */
static void mmsg_calls(void)
{
	char a[4] = "aaa", b[4] = "bbb", ra[8] = { 0 }, rb[8] = { 0 }, ctl[64];
	struct iovec io[4] = { { a, 3 }, { b, 3 }, { ra, 8 }, { rb, 8 } };
	struct mmsghdr v[2];
	struct msghdr m;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv))
		return;
	memset(v, 0, sizeof(v));
	v[0].msg_hdr = (struct msghdr){ .msg_iov = &io[0], .msg_iovlen = 1 };
	v[1].msg_hdr = (struct msghdr){ .msg_iov = &io[1], .msg_iovlen = 1 };
	check("mmsg/send",
	      syscall(SYS_sendmmsg, sv[0], v, 2, 0) == 2 && v[0].msg_len == 3 && v[1].msg_len == 3,
	      "not two messages of 3 bytes");
	memset(v, 0, sizeof(v));
	v[0].msg_hdr = (struct msghdr){ .msg_iov = &io[2], .msg_iovlen = 1 };
	v[1].msg_hdr = (struct msghdr){ .msg_iov = &io[3], .msg_iovlen = 1 };
	check("mmsg/recv",
	      syscall(SYS_recvmmsg, sv[1], v, 2, 0, NULL) == 2 && v[0].msg_len == 3 &&
	          v[1].msg_len == 3 && !strcmp(ra, "aaa") && !strcmp(rb, "bbb"),
	      "not the two messages");
	v[0].msg_hdr = (struct msghdr){ .msg_iov = &io[0], .msg_iovlen = 1 };
	v[1].msg_hdr = (struct msghdr){ .msg_iov = (struct iovec *)KERNEL, .msg_iovlen = 1 };
	check("mmsg/send-bad-second", syscall(SYS_sendmmsg, sv[0], v, 2, 0) == 1,
	      "not the first message alone");
	io[2].iov_len = 2;
	m = (struct msghdr){ .msg_iov = &io[2],
		             .msg_iovlen = 1,
		             .msg_control = ctl,
		             .msg_controllen = sizeof(ctl) };
	check("recvmsg/flags-written-back",
	      syscall(SYS_recvmsg, sv[1], &m, MSG_DONTWAIT) == 2 && (m.msg_flags & MSG_TRUNC) &&
	          m.msg_controllen == 0,
	      "no MSG_TRUNC, or the control length not 0");
	close(sv[0]);
	close(sv[1]);
}

/* A structure the call reads pointers from, changed by another thread
 * while the call sleeps: the call goes on with what it was given, never
 * an address of the library OS's swapped in (Linux copies the iovecs
 * and the msghdr in before it starts). In a child, bounded by alarm():
 * uk read (writev, sendmsg) or wrote (readv) the library OS's memory. */
enum { SWAP_WRITEV, SWAP_SENDMSG, SWAP_READV };
static int swap_fd[2]; /* [0] read, [1] written */
static int swap_how;
static size_t swap_fill;
static struct iovec swap_iov[2];

static void *swapper(void *arg)
{
	char buf[4096];

	(void)arg;
	usleep(100000); /* the call is asleep by now */
	swap_iov[1].iov_base = KERNEL;
	if (swap_how == SWAP_READV) {
		write(swap_fd[1], "CCCCCCCC", 8);
		return NULL;
	}
	for (size_t left = swap_fill; left;) { /* room for the call's bytes */
		ssize_t n = read(swap_fd[0], buf, left < sizeof(buf) ? left : sizeof(buf));
		if (n <= 0)
			break;
		left -= (size_t)n;
	}
	return NULL;
}

/* The written end full: a blocking call to it sleeps. */
static size_t fill(int fd)
{
	char buf[4096] = { 0 };
	size_t n = 0;
	ssize_t w;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	for (size_t chunk = sizeof(buf); chunk; chunk = chunk > 1 ? 1 : 0)
		while ((w = write(fd, buf, chunk)) > 0)
			n += (size_t)w;
	fcntl(fd, F_SETFL, 0);
	return n;
}

static void child_swap(const char *name, int how)
{
	pid_t pid = fork();

	if (!pid) {
		char a = 'A', b[9] = "BBBBBBBB", got[10] = { 0 };
		struct msghdr m = { .msg_iov = swap_iov, .msg_iovlen = 2 };
		pthread_t t;
		size_t have = 0;
		long r;

		alarm(10);
		swap_how = how;
		if (how == SWAP_SENDMSG ? socketpair(AF_UNIX, SOCK_STREAM, 0, swap_fd)
		                        : pipe(swap_fd))
			_exit(2);
		if (how == SWAP_READV) {
			swap_iov[0] = (struct iovec){ got, 1 };
			swap_iov[1] = (struct iovec){ got + 1, 7 };
			pthread_create(&t, NULL, swapper, NULL);
			r = syscall(SYS_readv, swap_fd[0], swap_iov, 2);
			pthread_join(t, NULL);
			_exit(r == 8 && !strcmp(got, "CCCCCCCC") ? 0 : 3);
		}
		swap_fill = fill(swap_fd[1]);
		swap_iov[0] = (struct iovec){ &a, 1 };
		swap_iov[1] = (struct iovec){ b, 8 };
		pthread_create(&t, NULL, swapper, NULL);
		r = how == SWAP_SENDMSG ? syscall(SYS_sendmsg, swap_fd[1], &m, 0)
		                        : syscall(SYS_writev, swap_fd[1], swap_iov, 2);
		pthread_join(t, NULL);
		while (r == 9 && have < 9) {
			ssize_t n = read(swap_fd[0], got + have, 9 - have);
			if (n <= 0)
				break;
			have += (size_t)n;
		}
		_exit(r == 9 && !strcmp(got, "ABBBBBBBB") ? 0 : 3);
	}
	check(name, status_of(pid) == 0,
	      "the call used what another thread put in its structure while it slept");
}

int main(int argc, char **argv)
{
	(void)argc;
	if (getenv("EFAULT_EXECED"))
		return 2;
	region = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(region + PG, PG);
	mprotect(region + 2 * PG, PG, PROT_NONE);
	mprotect(region + 3 * PG, PG, PROT_READ);
	add("unmapped", region + PG);
	add("prot-none", region + 2 * PG);
	add("kernel", KERNEL);
	add("physmap", PHYSMAP);
	add("non-canonical", NONCANON);
	io_calls();
	file_calls();
	time_calls();
	fd_calls();
	sig_calls();
	exec_calls("/proc/self/exe");
	wait_calls();
	huge_lengths();
	misc_calls();
	child_calls();
	child_exit_words();
	child_race();
	child_race_release();
	child_poll_race();
	mmsg_calls();
	child_swap("swap/writev-iovec", SWAP_WRITEV);
	child_swap("swap/sendmsg-iovec", SWAP_SENDMSG);
	child_swap("swap/readv-iovec", SWAP_READV);
	(void)argv;
	(void)sc_errno;
	return check_done();
}
