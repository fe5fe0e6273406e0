/*
 * Linux calls answered as Linux answers them, checked from a Linux program
 * (the same source passes on the host): extended attributes of files that
 * have none (coreutils' ls -l asks for ACLs and printed "Function not
 * implemented"), and mincore beyond the user range (gnulib's stack probe
 * in grep, sed and coreutils walks up until it fails, and looped for ever),
 * and /proc/self/maps (glibc's pthread_getattr_np finds the main thread's
 * stack there; gnulib's c-stack reads it first), and localhost resolving
 * from /etc/hosts, as in a container, in an image that has none (a glibc
 * program asked DNS for it), and mappings of a file of the image (/data:
 * uk maps the archive's pages instead of copying them) that see the
 * file's writes as on Linux, and RLIMIT_NOFILE's hard limit held to
 * fs.nr_open (named asked for RLIM_INFINITY and got it), and
 * priority-inheritance futexes (uwsgi's locks are PTHREAD_PRIO_INHERIT
 * mutexes; uk's ENOSYS made it fall back, "your kernel does not support
 * pthread robust mutexes"): the word's protocol by hand (EPERM, EDEADLK,
 * a timed-out wait), such a mutex kept by threads, handed over between
 * processes, and a robust one whose owner ended (EOWNERDEAD), and
 * setting the normal scheduling policy (glibc's pthread_create with
 * PTHREAD_EXPLICIT_SCHED sets it in the new thread, which ends when that
 * fails: uk's ENOSYS ended every worker thread of rsyslog) and its
 * refusals.
 * Prints "PASS name" or "FAIL name: why" per check.
 */
#define _GNU_SOURCE /* pthread_getattr_np */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <netdb.h>
#include <linux/close_range.h>
#include <linux/futex.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

static int failed;
static volatile sig_atomic_t resethand_ran;

static void on_usr1(int sig) { resethand_ran = sig; }

static void check(const char *name, int ok)
{
	if (ok)
		printf("PASS calls/%s\n", name);
	else
		printf("FAIL calls/%s (errno %d)\n", name, errno);
	failed |= !ok;
}

/* The line of /proc/self/maps whose range holds addr, and whether its
 * permissions start with perms. */
static int maps_has(const void *addr, const char *perms)
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long a = (unsigned long)addr, lo, hi;
	char line[512], p[8];
	int found = 0;

	while (f && !found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%lx-%lx %7s", &lo, &hi, p) == 3 && lo <= a && a < hi &&
		        !strncmp(p, perms, strlen(perms));
	if (f)
		fclose(f);
	return found;
}

/* The data file's byte at i (tests/tests.mk writes it; made here when it
 * is missing, as on the host). */
#define DATA_LEN 12300
static char pattern(size_t i) { return (char)('A' + i % 26); }

static int data_open(void)
{
	int fd = open("/data", O_RDWR);

	if (fd < 0 && (fd = open("/tmp/calls-data", O_RDWR | O_CREAT | O_TRUNC, 0644)) >= 0)
		for (size_t i = 0; i < DATA_LEN; i++)
			write(fd, (char[1]){ pattern(i) }, 1);
	return fd;
}

static int same(const char *p, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (p[i] != pattern(i))
			return 0;
	return 1;
}

/* A count of uk's /proc/vmstat, or -1 (Linux has none). */
static long vmstat(const char *key)
{
	FILE *f = fopen("/proc/vmstat", "r");
	char k[64];
	long v, found = -1;

	while (f && fscanf(f, "%63s %ld", k, &v) == 2)
		if (!strcmp(k, key))
			found = v;
	if (f)
		fclose(f);
	return found;
}

/* A file's pages mapped shared, private read-only and private writable:
 * what each shows after a private write and a write(2) to the file is
 * what Linux shows (the shared mapping and the private pages not written
 * see the file's bytes; a private page written is its own). */
static void file_mappings(void)
{
	int fd = data_open();
	long before = vmstat("uk_file_image");
	char *sh = mmap(NULL, DATA_LEN, PROT_READ, MAP_SHARED, fd, 0);
	char *ro = mmap(NULL, DATA_LEN, PROT_READ, MAP_PRIVATE, fd, 0);
	char *rw = mmap(NULL, DATA_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);

	check("mmap/file-mapped",
	      fd >= 0 && sh != MAP_FAILED && ro != MAP_FAILED && rw != MAP_FAILED);
	if (fd < 0 || sh == MAP_FAILED || ro == MAP_FAILED || rw == MAP_FAILED)
		return;
	check("mmap/file-bytes",
	      same(sh, 0, DATA_LEN) && same(ro, 0, DATA_LEN) && same(rw, 0, DATA_LEN));
	/* uk: the whole pages of the private read-only mapping are the image's */
	check("mmap/image-pages-mapped", before < 0 || vmstat("uk_file_image") >= before + 2);
	rw[4096] = '!';
	check("mmap/private-write-own",
	      rw[4096] == '!' && sh[4096] == pattern(4096) && ro[4096] == pattern(4096));
	check("mmap/file-write", pwrite(fd, "new", 3, 4100) == 3);
	check("mmap/shared-sees-write", !memcmp(sh + 4100, "new", 3));
	check("mmap/private-sees-write", !memcmp(ro + 4100, "new", 3));
	check("mmap/written-page-kept", rw[4100] == pattern(4100) && rw[4096] == '!');
	check("mmap/other-pages-same", same(sh, 0, 4096) && same(ro, 8192, DATA_LEN));
	pwrite(fd, "EFG", 3, 4100); /* as it was: 4100 % 26 == 4 */
	munmap(sh, DATA_LEN);
	munmap(ro, DATA_LEN);
	munmap(rw, DATA_LEN);
	close(fd);
	unlink("/tmp/calls-data");
}

/* RLIMIT_NOFILE's hard limit stops at fs.nr_open, for root too: EPERM
 * beyond (named raises it to RLIM_INFINITY first, falls back when refused,
 * and uk had let it: a close loop up to sysconf(_SC_OPEN_MAX) never ends) */
static void nofile_limit(void)
{
	struct rlimit was, now, inf = { RLIM_INFINITY, RLIM_INFINITY }, over;
	FILE *f = fopen("/proc/sys/fs/nr_open", "r");
	unsigned long nr_open = 0;

	check("rlimit/nr-open-read", f && fscanf(f, "%lu", &nr_open) == 1 && nr_open > 0);
	if (f)
		fclose(f);
	over = (struct rlimit){ nr_open + 1, nr_open + 1 };
	getrlimit(RLIMIT_NOFILE, &was);
	check("rlimit/nofile-infinity-eperm",
	      setrlimit(RLIMIT_NOFILE, &inf) == -1 && errno == EPERM);
	check("rlimit/nofile-past-nr-open-eperm",
	      setrlimit(RLIMIT_NOFILE, &over) == -1 && errno == EPERM);
	check("rlimit/nofile-unchanged", getrlimit(RLIMIT_NOFILE, &now) == 0 &&
	                                     now.rlim_cur == was.rlim_cur &&
	                                     now.rlim_max == was.rlim_max);
	check("rlimit/nofile-same-again", setrlimit(RLIMIT_NOFILE, &was) == 0);
}

static long futex_pi(uint32_t *w, int op, const struct timespec *ts)
{
	return syscall(SYS_futex, w, op, 0, ts, NULL, 0);
}

static uint32_t pi_word;

static void *pi_holder(void *arg)
{
	futex_pi(&pi_word, FUTEX_TRYLOCK_PI, NULL);
	pthread_barrier_wait(arg);
	pthread_barrier_wait(arg); /* the main thread timed out meanwhile */
	futex_pi(&pi_word, FUTEX_UNLOCK_PI, NULL);
	return NULL;
}

#define PI_THREADS 4
#define PI_ROUNDS 20000

static pthread_mutex_t pi_m;
static long pi_count;

static void *pi_adder(void *arg)
{
	for (int i = 0; i < PI_ROUNDS; i++) {
		pthread_mutex_lock(&pi_m);
		pi_count++;
		if (i % 1000 == 0)
			sched_yield(); /* let the others find it taken */
		pthread_mutex_unlock(&pi_m);
	}
	return arg;
}

static int pi_mutex_init(pthread_mutex_t *m, int shared)
{
	pthread_mutexattr_t a;
	int r;

	pthread_mutexattr_init(&a);
	if ((r = pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT)))
		return r;
	if (shared) {
		pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
		pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	}
	return pthread_mutex_init(m, &a);
}

static void pi_futexes(void)
{
	uint32_t w = 0;
	pthread_barrier_t b;
	pthread_t t[PI_THREADS];
	struct timespec ts;
	long r;

	check("futex-pi/unlock-free-eperm",
	      futex_pi(&w, FUTEX_UNLOCK_PI, NULL) == -1 && errno == EPERM);
	check("futex-pi/trylock",
	      futex_pi(&w, FUTEX_TRYLOCK_PI, NULL) == 0 && w == (uint32_t)gettid());
	check("futex-pi/trylock-own-edeadlk",
	      futex_pi(&w, FUTEX_TRYLOCK_PI, NULL) == -1 && errno == EDEADLK);
	check("futex-pi/unlock", futex_pi(&w, FUTEX_UNLOCK_PI, NULL) == 0 && w == 0);

	pthread_barrier_init(&b, NULL, 2);
	pthread_create(&t[0], NULL, pi_holder, &b);
	pthread_barrier_wait(&b);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 50000000;
	if (ts.tv_nsec >= 1000000000)
		ts.tv_sec++, ts.tv_nsec -= 1000000000;
	r = futex_pi(&pi_word, FUTEX_LOCK_PI, &ts);
	check("futex-pi/lock-held-times-out", r == -1 && errno == ETIMEDOUT);
	check("futex-pi/trylock-held-eagain",
	      futex_pi(&pi_word, FUTEX_TRYLOCK_PI, NULL) == -1 && errno == EAGAIN);
	pthread_barrier_wait(&b);
	pthread_join(t[0], NULL);
	check("futex-pi/lock-after-release", futex_pi(&pi_word, FUTEX_LOCK_PI, NULL) == 0 &&
	                                         (pi_word & FUTEX_TID_MASK) == (uint32_t)gettid() &&
	                                         futex_pi(&pi_word, FUTEX_UNLOCK_PI, NULL) == 0);

	check("futex-pi/mutex-init", pi_mutex_init(&pi_m, 0) == 0);
	for (int i = 0; i < PI_THREADS; i++)
		pthread_create(&t[i], NULL, pi_adder, NULL);
	for (int i = 0; i < PI_THREADS; i++)
		pthread_join(t[i], NULL);
	check("futex-pi/mutex-threads", pi_count == (long)PI_THREADS * PI_ROUNDS);

	/* between processes: a child waits in the kernel for the parent's
	 * unlock; another ends holding the robust mutex */
	pthread_mutex_t *m =
	    mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int st = -1;
	pid_t pid;

	check("futex-pi/shared-init", m != MAP_FAILED && pi_mutex_init(m, 1) == 0);
	pthread_mutex_lock(m);
	if (!(pid = fork()))
		_exit(pthread_mutex_lock(m) == 0 && pthread_mutex_unlock(m) == 0 ? 0 : 1);
	usleep(100000);
	pthread_mutex_unlock(m);
	check("futex-pi/shared-handed-over", waitpid(pid, &st, 0) == pid && st == 0);
	if (!(pid = fork()))
		_exit(pthread_mutex_lock(m)); /* ends holding it */
	waitpid(pid, &st, 0);
	r = pthread_mutex_lock(m);
	check("futex-pi/robust-owner-died", st == 0 && r == EOWNERDEAD &&
	                                        pthread_mutex_consistent(m) == 0 &&
	                                        pthread_mutex_unlock(m) == 0);
	check("futex-pi/robust-after", pthread_mutex_lock(m) == 0 && pthread_mutex_unlock(m) == 0);
}

static void *sched_thread(void *arg)
{
	*(int *)arg = 1;
	return NULL;
}

/* SCHED_OTHER with priority 0 is every thread's: setting it succeeds; a
 * wrong priority or policy is EINVAL, an absent thread ESRCH. A thread
 * made with the creator's policy given explicitly (rsyslog's) runs. */
static void sched_checks(void)
{
	struct sched_param p = { 0 }, bad = { 5 };
	pthread_attr_t a;
	pthread_t t;
	int ran = 0, r;

	check("sched/setscheduler-other", sched_setscheduler(0, SCHED_OTHER, &p) == 0);
	check("sched/setscheduler-batch-back", sched_setscheduler(0, SCHED_BATCH, &p) == 0 &&
	                                           sched_setscheduler(0, SCHED_OTHER, &p) == 0);
	check("sched/setparam-zero", sched_setparam(0, &p) == 0);
	check("sched/other-priority-refused",
	      sched_setscheduler(0, SCHED_OTHER, &bad) == -1 && errno == EINVAL);
	check("sched/setparam-priority-refused", sched_setparam(0, &bad) == -1 && errno == EINVAL);
	check("sched/bad-policy", sched_setscheduler(0, 77, &p) == -1 && errno == EINVAL);
	check("sched/bad-pid", sched_setscheduler(-1, SCHED_OTHER, &p) == -1 && errno == EINVAL);
	check("sched/no-such-thread",
	      sched_setscheduler(4000000, SCHED_OTHER, &p) == -1 && errno == ESRCH);
	pthread_attr_init(&a);
	pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&a, SCHED_OTHER);
	pthread_attr_setschedparam(&a, &p);
	r = pthread_create(&t, &a, sched_thread, &ran);
	check("sched/explicit-thread-runs", r == 0 && !pthread_join(t, NULL) && ran == 1);
	pthread_attr_destroy(&a);
}

int main(void)
{
	char buf[64], vec[2];
	int fd = open("/tmp/calls-file", O_CREAT | O_WRONLY | O_TRUNC, 0644);
	void *top = (void *)0x7ffffffff000ul, *hole = (void *)0x800000000000ul;

	check("xattr/file-made", fd >= 0);
	check("xattr/get-none", getxattr("/tmp/calls-file", "user.x", buf, sizeof(buf)) == -1 &&
	                            (errno == ENODATA || errno == EOPNOTSUPP));
	check("xattr/lget-acl-none",
	      lgetxattr("/tmp/calls-file", "system.posix_acl_access", buf, sizeof(buf)) == -1 &&
	          (errno == ENODATA || errno == EOPNOTSUPP));
	check("xattr/fget-none", fgetxattr(fd, "user.x", buf, sizeof(buf)) == -1 &&
	                             (errno == ENODATA || errno == EOPNOTSUPP));
	check("xattr/list-empty", listxattr("/tmp/calls-file", buf, sizeof(buf)) >= 0);
	check("xattr/get-missing-file",
	      getxattr("/tmp/no-such-file", "user.x", buf, sizeof(buf)) == -1 && errno == ENOENT);
	check("xattr/fget-bad-fd",
	      fgetxattr(-1, "user.x", buf, sizeof(buf)) == -1 && errno == EBADF);
	check("xattr/get-empty-name",
	      getxattr("/tmp/calls-file", "", buf, sizeof(buf)) == -1 && errno == ERANGE);
	check("xattr/replace-none",
	      setxattr("/tmp/calls-file", "user.x", "v", 1, XATTR_REPLACE) == -1 &&
	          (errno == ENODATA || errno == EOPNOTSUPP));
	check("mincore/task-size-top",
	      mincore(top, 4096, (unsigned char *)vec) == -1 && errno == ENOMEM);
	check("mincore/non-canonical",
	      mincore(hole, 4096, (unsigned char *)vec) == -1 && errno == ENOMEM);
	check("mincore/upper-half",
	      mincore((void *)0xffffffff80000000ul, 4096, (unsigned char *)vec) == -1 &&
	          errno == ENOMEM);
	check("mincore/stack",
	      mincore((void *)((unsigned long)buf & ~4095ul), 4096, (unsigned char *)vec) == 0 &&
	          (vec[0] & 1));
	sched_checks();
	close(fd);
	unlink("/tmp/calls-file");

	static int data_word = 1;
	void *heap = malloc(100);
	pthread_attr_t at;
	void *stk = NULL;
	size_t ssz = 0;
	check("maps/stack", maps_has(buf, "rw"));
	check("maps/data", maps_has(&data_word, "rw"));
	check("maps/heap", maps_has(heap, "rw"));
	check("maps/code", maps_has((void *)main, "r-x"));
	check("maps/pthread-getattr-main", !pthread_getattr_np(pthread_self(), &at) &&
	                                       !pthread_attr_getstack(&at, &stk, &ssz) &&
	                                       (char *)stk <= buf && buf < (char *)stk + ssz);
	free(heap);

	struct addrinfo hint = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *ai;
	check("hosts/localhost",
	      getaddrinfo("localhost", "80", &hint, &ai) == 0 &&
	          ((struct sockaddr_in *)ai->ai_addr)->sin_addr.s_addr == htonl(0x7f000001));

	/* SA_RESETHAND (node's handlers for SIGINT and SIGTERM): the handler
	 * runs once, then the default action is back (the handler's address
	 * was read after the reset: the program jumped to 0) */
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESETHAND }, old;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	sigaction(SIGUSR1, NULL, &old);
	check("signal/resethand-runs-once", resethand_ran == SIGUSR1 && old.sa_handler == SIG_DFL);

	/* close_range (glibc's closefrom, python's subprocess) */
	for (int i = 40; i < 46; i++)
		dup2(1, i);
	check("close_range/closes", syscall(SYS_close_range, 42, ~0u, 0) == 0 &&
	                                fcntl(41, F_GETFD) == 0 && fcntl(42, F_GETFD) == -1 &&
	                                errno == EBADF && fcntl(45, F_GETFD) == -1);
	check("close_range/cloexec", syscall(SYS_close_range, 40, 41, CLOSE_RANGE_CLOEXEC) == 0 &&
	                                 fcntl(40, F_GETFD) == FD_CLOEXEC &&
	                                 fcntl(41, F_GETFD) == FD_CLOEXEC);
	check("close_range/bad-flags",
	      syscall(SYS_close_range, 40, 41, 0x80) == -1 && errno == EINVAL);
	check("close_range/first-after-last",
	      syscall(SYS_close_range, 41, 40, 0) == -1 && errno == EINVAL);
	check("close_range/unshare-alone",
	      syscall(SYS_close_range, 40, 41, CLOSE_RANGE_UNSHARE) == 0 &&
	          fcntl(40, F_GETFD) == -1);

	file_mappings();
	nofile_limit();
	pi_futexes();

	printf("calls: %s\n", failed ? "failures" : "all passed");
	return failed;
}
