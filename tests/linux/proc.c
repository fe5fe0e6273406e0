/*
 * Processes inside the VM (libos/sys/proc.c), as a Linux program: fork
 * with copy-on-write memory, vfork and posix_spawn, execve in a child,
 * exit statuses through wait4/waitpid/waitid, SIGCHLD, SA_NOCLDWAIT and
 * SIG_IGN reaping, kill of a child and of a group, process groups and
 * sessions, descriptors inherited (a pipe) and closed on exec, memory
 * shared across fork (anonymous, POSIX and System V shared memory, a file)
 * and the process-shared semaphores, mutexes and condition variables in
 * it, whose futexes wake across processes. Prints one "PASS name" or
 * "FAIL name: why" line per check; with "bench N" prints the cost of
 * fork+exit+wait and of posix_spawn+exec+wait of itself in ns ("bench
 * fork_exit_wait NS", "bench spawn_exec_wait NS"; "bench N fork": the
 * first only); with "ring K LAPS PAGES [threads]" the cost of a hop of a
 * token round K processes (or threads) through pipes, each touching PAGES
 * pages of its own a hop ("bench ring_procs_K NS", then its counts); the
 * same source run on the host for comparison (make bench).
 */
#define _GNU_SOURCE /* pthread_timedjoin_np */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <semaphore.h>
#include <setjmp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/epoll.h>
#include <sys/shm.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SUITE "proc"
#include "check.h"

extern char **environ;
static const char *self;

static long long now_ns(void);

/* A deadline s seconds from now, for the timed waits below: a lost wake
 * fails its check instead of hanging the test. */
static struct timespec in_seconds(int s)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += s;
	return ts;
}

struct pingpong {
	sem_t ping, pong;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int flag, rounds;
};

/* Futexes in MAP_SHARED memory wake the other process: a process-shared
 * semaphore pair ping-pongs, a process-shared mutex and condition
 * variable hand a flag over (Linux keys such a futex by its page). */
static void test_shared_sync(void)
{
	struct pingpong *pp =
	    mmap(NULL, sizeof(*pp), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;
	struct timespec ts;
	int i, ok = 1, r = 0;
	pid_t pid;

	sem_init(&pp->ping, 1, 0);
	sem_init(&pp->pong, 1, 0);
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&pp->lock, &ma);
	pthread_condattr_init(&ca);
	pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
	pthread_cond_init(&pp->cond, &ca);
	if ((pid = fork()) == 0) {
		for (i = 0; i < 200; i++) {
			ts = in_seconds(5);
			if (sem_timedwait(&pp->ping, &ts))
				_exit(1);
			pp->rounds++;
			sem_post(&pp->pong);
		}
		pthread_mutex_lock(&pp->lock);
		ts = in_seconds(5);
		while (!pp->flag && r == 0)
			r = pthread_cond_timedwait(&pp->cond, &pp->lock, &ts);
		pthread_mutex_unlock(&pp->lock);
		_exit(pp->flag == 1 ? 0 : 2);
	}
	for (i = 0; i < 200 && ok; i++) {
		sem_post(&pp->ping);
		ts = in_seconds(5);
		ok = !sem_timedwait(&pp->pong, &ts);
	}
	check("shared/sem-pingpong", ok && pp->rounds == 200,
	      "a process-shared semaphore's post did not wake the other process");
	usleep(20000); /* let the child wait on the condition variable */
	pthread_mutex_lock(&pp->lock);
	pp->flag = 1;
	pthread_cond_signal(&pp->cond);
	pthread_mutex_unlock(&pp->lock);
	check("shared/mutex-condvar", status_of(pid) == 0,
	      "a process-shared condition variable's signal did not reach the child");
	munmap(pp, sizeof(*pp));
}

/* POSIX shared memory (shm_open: /dev/shm), a named semaphore, and a file
 * mapped MAP_SHARED by two processes that each map it themselves. */
static void test_posix_shm(void)
{
	const char *path = "/tmp/proc-shared-file";
	int fd = shm_open("/proc-test", O_RDWR | O_CREAT | O_EXCL, 0600), fd2;
	sem_t *sem = sem_open("/proc-test-sem", O_CREAT | O_EXCL, 0600, 0);
	struct timespec ts;
	char buf[8] = "";
	int *m = MAP_FAILED, *f = MAP_FAILED, st;
	pid_t pid;

	check("shm/open", fd >= 0 && ftruncate(fd, 8192) == 0, "shm_open or its ftruncate failed");
	if (fd >= 0)
		m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check("shm/map", m != MAP_FAILED, "mmap of the shm_open file failed");
	check("shm/sem-open", sem != SEM_FAILED, "sem_open failed");
	fd2 = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd2 >= 0 && ftruncate(fd2, 4096) == 0)
		f = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
	check("file/map-shared-writable", f != MAP_FAILED,
	      "a writable MAP_SHARED file mapping failed");
	if (m == MAP_FAILED || sem == SEM_FAILED || f == MAP_FAILED) {
		close(fd); /* (the exec test counts on its pipe at descriptor 3) */
		close(fd2);
		return;
	}
	m[2000] = 1;
	if ((pid = fork()) == 0) {
		int cfd = shm_open("/proc-test", O_RDWR, 0), *cm, *cf;
		int ffd = open(path, O_RDWR);
		cm = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
		cf = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ffd, 0);
		if (cm == MAP_FAILED || cf == MAP_FAILED)
			_exit(1);
		cm[2000] += 41; /* a mapping of its own, of the same file */
		m[0] = 7;       /* the inherited one */
		memcpy(cf, "shared", 7);
		sem_post(sem);
		_exit(0);
	}
	ts = in_seconds(5);
	check("shm/sem-named", sem_timedwait(sem, &ts) == 0,
	      "a named semaphore's post in the child did not wake the parent");
	st = status_of(pid);
	check("shm/child-own-mapping", st == 0 && m[2000] == 42 && m[0] == 7,
	      "writes through the child's mappings of the shm file were not seen");
	check("file/seen-by-mapping", !strcmp((char *)f, "shared"),
	      "the child's write to its mapping of the file was not in the parent's");
	check("file/seen-by-read", pread(fd2, buf, 7, 0) == 7 && !strcmp(buf, "shared"),
	      "read() did not see a write through a shared mapping");
	pwrite(fd2, "by-write", 8, 0);
	check("file/write-seen-by-mapping", !memcmp(f, "by-write", 8),
	      "a shared mapping did not see a write()");
	check("shm/unlink",
	      shm_unlink("/proc-test") == 0 && sem_unlink("/proc-test-sem") == 0 &&
	          shm_open("/proc-test", O_RDWR, 0) == -1 && errno == ENOENT,
	      "shm_unlink or sem_unlink");
	munmap(m, 8192);
	munmap(f, 4096);
	close(fd);
	close(fd2);
	unlink(path);
}

/* A shared mapping that may not be written (a consumer's O_RDONLY view of
 * a shm file, a SHM_RDONLY attach) still shares the file's bytes, and
 * mprotect may not make it writable; holes punched in a shm file (MADV_REMOVE,
 * fallocate) read as zeros everywhere, whatever the file's O_APPEND. */
static void test_shared_readonly(void)
{
	int fd = open("/dev/shm/proc-ro", O_RDWR | O_CREAT | O_TRUNC, 0600);
	int rfd = open("/dev/shm/proc-ro", O_RDONLY), id, first, st;
	char *w = MAP_FAILED, *r = MAP_FAILED, *ro;
	pid_t pid;

	if (fd >= 0 && rfd >= 0 && ftruncate(fd, 3 * 4096) == 0) {
		w = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		r = mmap(NULL, 3 * 4096, PROT_READ, MAP_SHARED, rfd, 0);
	}
	check("shm/readonly-map", w != MAP_FAILED && r != MAP_FAILED,
	      "mmap of a shm file, writable and read-only");
	if (w == MAP_FAILED || r == MAP_FAILED)
		return;
	w[0] = 1;
	first = r[0];
	w[0] = 2;
	if ((pid = fork()) == 0) {
		w[1] = 5;
		_exit(0);
	}
	st = status_of(pid);
	pwrite(fd, "\x09", 1, 2);
	check("shm/readonly-sees-writes",
	      first == 1 && r[0] == 2 && st == 0 && r[1] == 5 && r[2] == 9,
	      "a read-only MAP_SHARED mapping did not see later stores, a child's or a pwrite");
	check("shm/truncate-grow",
	      ftruncate(fd, 0) == 0 && ftruncate(fd, 3 * 4096) == 0 &&
	          pwrite(fd, "z", 1, 10) == 1 && w[10] == 'z' && r[10] == 'z',
	      "a shm file shrunk, grown back and written: the mappings see the write");
	check("shm/readonly-mprotect",
	      mprotect(r, 4096, PROT_READ | PROT_WRITE) == -1 && errno == EACCES,
	      "mprotect(PROT_WRITE) of a shared mapping of an O_RDONLY file: EACCES");
	check("shm/remove-readonly", madvise(r, 4096, MADV_REMOVE) == -1 && errno == EACCES,
	      "MADV_REMOVE through a read-only mapping: EACCES");
	memset(w, 'A', 3 * 4096);
	fcntl(fd, F_SETFL, O_APPEND);
	check("shm/remove-append",
	      madvise(w, 4096, MADV_REMOVE) == 0 && w[0] == 0 && r[4095] == 0 && w[4096] == 'A' &&
	          lseek(fd, 0, SEEK_END) == 3 * 4096,
	      "MADV_REMOVE of a page of an O_APPEND shm file: zeros there, the size unchanged");
	check("shm/punch-hole",
	      fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096 + 10, 4096) == 0 &&
	          w[4096 + 9] == 'A' && w[4096 + 10] == 0 && r[2 * 4096 + 9] == 0 &&
	          r[2 * 4096 + 10] == 'A' && lseek(fd, 0, SEEK_END) == 3 * 4096,
	      "fallocate(PUNCH_HOLE) of a shm file: zeros in both mappings, the size unchanged");
	check("shm/punch-needs-keep-size",
	      fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096) == -1 && errno == EOPNOTSUPP,
	      "fallocate(PUNCH_HOLE) without KEEP_SIZE: EOPNOTSUPP");
	munmap(w, 3 * 4096);
	munmap(r, 3 * 4096);
	close(fd);
	close(rfd);
	unlink("/dev/shm/proc-ro");

	id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	ro = id >= 0 ? shmat(id, NULL, SHM_RDONLY) : (void *)-1;
	check("sysv/rdonly-mprotect",
	      ro != (void *)-1 && mprotect(ro, 4096, PROT_READ | PROT_WRITE) == -1 &&
	          errno == EACCES,
	      "mprotect(PROT_WRITE) of a SHM_RDONLY attach: EACCES");
	if (ro != (void *)-1)
		shmdt(ro);
	shmctl(id, IPC_RMID, NULL);

	/* shmdt detaches a whole attach, split or not, and nothing else */
	id = shmget(IPC_PRIVATE, 3 * 4096, IPC_CREAT | 0600);
	ro = id >= 0 ? shmat(id, NULL, 0) : (void *)-1;
	w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	check("sysv/shmdt-split",
	      ro != (void *)-1 && !mprotect(ro + 4096, 4096, PROT_READ) && !shmdt(ro) &&
	          mmap(ro + 2 * 4096, 4096, PROT_READ,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) == ro + 2 * 4096,
	      "shmdt of an attach split by mprotect: all of it detached");
	check("sysv/shmdt-not-a-segment", shmdt(w) == -1 && errno == EINVAL && w[0] == 0,
	      "shmdt of a MAP_SHARED mapping that is no attach: EINVAL, the mapping kept");
	shmctl(id, IPC_RMID, NULL);
}

/* System V shared memory: a segment attached before fork and again by the
 * child, its size and attach count, keys, removal while attached. */
static void test_sysv_shm(void)
{
	int id = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600), kid, st;
	struct shmid_ds ds;
	int *p = id >= 0 ? shmat(id, NULL, 0) : (void *)-1;
	key_t key = 0x75b3a1;
	pid_t pid;

	check("sysv/shmget-shmat", id >= 0 && p != (void *)-1, "shmget or shmat failed");
	if (id < 0 || p == (void *)-1)
		return;
	p[0] = 1;
	if ((pid = fork()) == 0) {
		int *q = shmat(id, NULL, 0);
		if (q == (void *)-1 || q == p)
			_exit(1);
		q[1] = 2; /* its own attach */
		p[2] = 3; /* the inherited one */
		st = q[0];
		_exit(shmdt(q) == 0 && st == 1 ? 0 : 1);
	}
	st = status_of(pid);
	check("sysv/shared-with-child", st == 0 && p[1] == 2 && p[2] == 3,
	      "the child's writes to the segment were not seen");
	check("sysv/stat",
	      shmctl(id, IPC_STAT, &ds) == 0 && ds.shm_segsz == 10000 && ds.shm_nattch == 1 &&
	          ds.shm_cpid == getpid(),
	      "IPC_STAT: size, attaches or creator wrong");
	check("sysv/rmid-attached", shmctl(id, IPC_RMID, NULL) == 0 && p[1] == 2,
	      "IPC_RMID, or the attached memory after it");
	check("sysv/shmdt", shmdt(p) == 0, "shmdt");
	check("sysv/shmdt-not-attached", shmdt(p) == -1 && errno == EINVAL,
	      "shmdt of memory not attached: EINVAL");
	shmctl(shmget(key, 0, 0), IPC_RMID, NULL); /* (a previous run's) */
	kid = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
	check("sysv/key-create", kid >= 0, "shmget of a new key");
	check("sysv/key-exists",
	      shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600) == -1 && errno == EEXIST,
	      "IPC_CREAT|IPC_EXCL of an existing key: EEXIST");
	check("sysv/key-found", shmget(key, 0, 0) == kid, "shmget of the key again");
	check("sysv/key-too-big", shmget(key, 8192, 0) == -1 && errno == EINVAL,
	      "a size beyond the segment's: EINVAL");
	shmctl(kid, IPC_RMID, NULL);
	check("sysv/key-removed", shmget(key, 0, 0) == -1 && errno == ENOENT,
	      "the key after IPC_RMID: ENOENT");
}

/* postgres's latch: a process blocks SIGURG, waits in epoll on a
 * signalfd for it, and another process's kill() wakes it; the read names
 * the sender. */
static void test_signalfd(void)
{
	struct signalfd_siginfo si[2];
	struct epoll_event ev = { .events = EPOLLIN }, got;
	sigset_t m;
	int p[2], st, fd, ep;
	char c;
	pid_t pid;

	if (pipe(p))
		return;
	sigemptyset(&m);
	sigaddset(&m, SIGURG);
	if ((pid = fork()) == 0) {
		alarm(20);
		sigprocmask(SIG_BLOCK, &m, NULL);
		fd = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC);
		ep = epoll_create1(0);
		if (fd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
			_exit(1);
		if (read(fd, si, sizeof(si)) != -1 || errno != EAGAIN)
			_exit(2);
		write(p[1], "r", 1);
		if (epoll_wait(ep, &got, 1, 10000) != 1)
			_exit(3);
		if (read(fd, si, sizeof(si)) != sizeof(si[0]) || si[0].ssi_signo != SIGURG ||
		    si[0].ssi_pid != (unsigned)getppid())
			_exit(4);
		_exit(epoll_wait(ep, &got, 1, 0) == 0 ? 0 : 5); /* taken: no longer ready */
	}
	read(p[0], &c, 1);
	kill(pid, SIGURG);
	st = status_of(pid);
	check("signalfd/epoll-wakes-on-kill", WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "the child's signalfd: exit 1 setup, 2 read when empty, 3 no wake, 4 wrong siginfo, "
	      "5 still ready");
	/* sigtimedwait for a blocked signal another process sends */
	sigaddset(&m, SIGUSR2);
	if ((pid = fork()) == 0) {
		struct timespec ts = { 10, 0 };
		alarm(20);
		sigprocmask(SIG_BLOCK, &m, NULL);
		write(p[1], "r", 1);
		_exit(sigtimedwait(&m, NULL, &ts) == SIGUSR2 ? 0 : 1);
	}
	read(p[0], &c, 1);
	kill(pid, SIGUSR2);
	st = status_of(pid);
	check("sigtimedwait/woken-by-kill", WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "a blocked signal sent by another process did not end sigtimedwait");
	close(p[0]);
	close(p[1]);
}

/* A file or directory belongs to the user who makes it (postgres checks
 * that its data directory is its own). */
static void test_owner(void)
{
	struct stat sb;
	int st;
	pid_t pid;

	if (getuid() != 0)
		return;
	if ((pid = fork()) == 0)
		_exit(setgid(1001) || setuid(1000) || mkdir("/tmp/owned-by-1000", 0700) ? 1 : 0);
	st = status_of(pid);
	check("owner/mkdir-by-user",
	      st == 0 && stat("/tmp/owned-by-1000", &sb) == 0 && sb.st_uid == 1000 &&
	          sb.st_gid == 1001,
	      "a directory made by user 1000 is not its own");
	rmdir("/tmp/owned-by-1000");
}

/* A huge MAP_SHARED|MAP_NORESERVE area costs fork nothing: its pages are
 * shared as they are touched. */
static void test_shared_lazy(void)
{
	size_t len = 4ul << 30;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	               MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	pid_t pid;

	check("shared/huge-noreserve-map", p != MAP_FAILED, "mmap of 4 GiB MAP_NORESERVE failed");
	if (p == MAP_FAILED)
		return;
	p[0] = 1;
	pid = fork();
	if (pid == 0) {
		p[len - 1] = 9;
		p[len / 2] = 8;
		_exit(p[0] == 1 ? 0 : 1);
	}
	check("shared/huge-noreserve-fork", pid > 0, "fork with a 4 GiB shared area failed");
	if (pid > 0)
		check("shared/huge-noreserve-seen",
		      status_of(pid) == 0 && p[len - 1] == 9 && p[len / 2] == 8,
		      "the child's writes to the shared area were not seen");
	munmap(p, len);
}

/* Memory written after fork stays each process's own; memory shared by
 * MAP_SHARED is seen by both. */
/* Threads that wait on a condition variable before the process's first
 * fork are woken after it (node hung at exit after spawning a child: its
 * workers, waiting since before, were never woken to be joined). First in
 * main: the first fork is the one that matters. */
static pthread_mutex_t early_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t early_cv = PTHREAD_COND_INITIALIZER;
static int early_stop, early_waiting;

static void *early_waiter(void *arg)
{
	pthread_mutex_lock(&early_m);
	early_waiting++;
	while (!early_stop)
		pthread_cond_wait(&early_cv, &early_m);
	pthread_mutex_unlock(&early_m);
	return arg;
}

static void test_wait_across_first_fork(void)
{
	pthread_t t[2];
	struct timespec until;
	int st, joined = 0, waiting = 0;
	pid_t p;

	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, early_waiter, NULL);
	for (int i = 0; i < 1000 && waiting < 2; i++) {
		usleep(1000);
		pthread_mutex_lock(&early_m);
		waiting = early_waiting;
		pthread_mutex_unlock(&early_m);
	}
	if ((p = fork()) == 0)
		_exit(0);
	waitpid(p, &st, 0);
	pthread_mutex_lock(&early_m);
	early_stop = 1;
	pthread_cond_broadcast(&early_cv);
	pthread_mutex_unlock(&early_m);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	for (int i = 0; i < 2; i++)
		joined += pthread_timedjoin_np(t[i], NULL, &until) == 0;
	check("threads-waiting-before-the-first-fork-wake", waiting == 2 && joined == 2,
	      "a thread that waited before the fork was not woken after it");
}

static void test_fork_memory(void)
{
	static int data = 1;
	int *heap = malloc(64 * 1024), *shared;
	pid_t pid;
	int st;

	heap[1000] = 7;
	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	*shared = 0;
	pid = fork();
	if (pid == 0) {
		data = 2;
		heap[1000] = 8;
		*shared = 42;
		_exit(data == 2 && heap[1000] == 8 ? 3 : 4);
	}
	st = status_of(pid);
	check("fork/returns-pid", pid > 0, "fork failed");
	check("fork/child-exit-status", WIFEXITED(st) && WEXITSTATUS(st) == 3, "wrong status");
	check("fork/cow-data", data == 1, "the child's write reached the parent's .data");
	check("fork/cow-heap", heap[1000] == 7, "the child's write reached the parent's heap");
	check("fork/map-shared", *shared == 42, "MAP_SHARED memory not shared with the child");
	data = 5; /* the parent's own pages are writable again */
	heap[1000] = 9;
	check("fork/parent-writes", data == 5 && heap[1000] == 9, "parent lost its writes");
	free(heap);
}

/* A small process keeps its page tables at fork: its child gets copies
 * of the writable pages, shares the others read-only, and gets nothing
 * for anonymous pages still zero. Each side's later writes stay its own:
 * a page read-only at fork made writable by mprotect in the parent, and
 * in the child; a zero page the parent writes after the fork. */
static void test_fork_readonly_then_writable(void)
{
	char *ro = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *zero =
	    mmap(NULL, 64 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int go[2], st, ok;
	pid_t pid;
	char c;

	ro[0] = 11;
	ro[4096] = 12;
	zero[0] = 1; /* its neighbours committed with it, still zero */
	ok = !mprotect(ro, 2 * 4096, PROT_READ) && !pipe(go);
	pid = fork();
	if (pid == 0) {
		int seen;
		if (read(go[0], &c, 1) != 1)
			_exit(9);
		seen = ro[0] == 11 && zero[4096] == 0;
		mprotect(ro + 4096, 4096, PROT_READ | PROT_WRITE);
		ro[4096] = 13;
		_exit(seen && ro[4096] == 13 ? 3 : 4);
	}
	ok = ok && !mprotect(ro, 4096, PROT_READ | PROT_WRITE);
	ro[0] = 21;
	zero[4096] = 22;
	ok = ok && write(go[1], "g", 1) == 1;
	st = status_of(pid);
	check("fork/readonly-made-writable",
	      ok && WIFEXITED(st) && WEXITSTATUS(st) == 3 && ro[0] == 21 && ro[4096] == 12 &&
	          zero[4096] == 22,
	      "a page read-only at fork and made writable by mprotect was shared afterwards");
	close(go[0]);
	close(go[1]);
	munmap(ro, 2 * 4096);
	munmap(zero, 64 * 1024);
}

/* A process with many writable pages shares them all copy-on-write at
 * fork instead (new page tables for both). */
static void test_fork_large(void)
{
	size_t len = 3 << 20;
	char *big = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pid_t pid;
	int st;

	for (size_t i = 0; i < len; i += 4096)
		big[i] = (char)(i >> 12);
	pid = fork();
	if (pid == 0) {
		int seen = big[4096 * 5] == 5 && big[len - 4096] == (char)((len >> 12) - 1);
		big[4096 * 5] = 55;
		_exit(seen && big[4096 * 5] == 55 ? 3 : 4);
	}
	big[4096 * 6] = 66;
	st = status_of(pid);
	check("fork/large-cow",
	      WIFEXITED(st) && WEXITSTATUS(st) == 3 && big[4096 * 5] == 5 && big[4096 * 6] == 66,
	      "copy-on-write of a 3 MiB area went wrong");
	munmap(big, len);
}

/* A child forked after another process ended sees none of that process's
 * memory: uk gives the child the dead process's page tables and stores
 * only the entries that differ from its parent's (libos/arch/x86_64/
 * paging.c), so a stale entry left behind would show the dead process's
 * pages to the child. The first child maps and writes areas spread over
 * every level of the tables (also PROT_NONE and read-only pages, and brk
 * grown), directly or after an exec; the second reads every page of them
 * (each must fault: nothing is mapped there in it), then maps them afresh
 * (each must read zero). */
#define STALE_LEN (1ul << 20)
static const unsigned long stale_at[] = { 0x10000000ul, 0x40200000ul, 0x7000000000ul,
	                                  0x100000000000ul, 0x6f0000000000ul };
#define STALE_N (sizeof(stale_at) / sizeof(stale_at[0]))
static sigjmp_buf stale_jmp;

static void stale_segv(int sig)
{
	(void)sig;
	siglongjmp(stale_jmp, 1);
}

/* The first child: its status says which areas it mapped. */
static int stale_fill(void)
{
	int mapped = 0;
	char *b;

	for (unsigned i = 0; i < STALE_N; i++) {
		char *p = mmap((void *)stale_at[i], STALE_LEN, PROT_READ | PROT_WRITE,
		               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (p != (char *)stale_at[i])
			continue;
		for (unsigned long o = 0; o < STALE_LEN; o += 4096)
			memset(p + o, 0x5a, 64);
		mprotect(p + STALE_LEN / 2, 8192, PROT_NONE);
		mprotect(p + STALE_LEN / 4, 8192, PROT_READ);
		mapped |= 1 << i;
	}
	if ((b = sbrk(1 << 20)) != (void *)-1)
		for (unsigned long o = 0; o < (1 << 20); o += 4096)
			b[o] = 0x5a;
	return mapped;
}

/* The second child: 0 when every page faulted and then read zero. */
static int stale_probe(int mapped)
{
	struct sigaction sa = { .sa_handler = stale_segv, .sa_flags = SA_NODEFER };
	unsigned long top = ((unsigned long)sbrk(0) + 8191) & ~4095ul;
	volatile int seen = 0;

	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	for (unsigned i = 0; i <= STALE_N; i++) {
		unsigned long at = i < STALE_N ? stale_at[i] : top;
		if (i < STALE_N && !(mapped & (1 << i)))
			continue;
		for (unsigned long o = 0; o < STALE_LEN; o += 4096) {
			if (sigsetjmp(stale_jmp, 1))
				continue;
			(void)*(volatile char *)(at + o);
			seen++; /* a page the dead process had */
		}
	}
	if (seen)
		return 1;
	for (unsigned i = 0; i < STALE_N; i++) {
		char *p = mmap((void *)stale_at[i], STALE_LEN, PROT_READ | PROT_WRITE,
		               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (!(mapped & (1 << i)))
			continue;
		if (p != (char *)stale_at[i])
			return 2;
		for (unsigned long o = 0; o < STALE_LEN; o += 4096)
			if (p[o])
				return 3;
	}
	return 0;
}

static void test_fork_after_exit(void)
{
	static const char *const names[] = { "fork/no-stale-after-exit",
		                             "fork/no-stale-after-exec-exit" };

	for (int round = 0; round < 2; round++) {
		int st, mapped;
		pid_t pid = fork();
		if (pid == 0) {
			if (round)
				execve(self, (char *[]){ (char *)self, "child-fill", NULL },
				       environ);
			_exit(stale_fill());
		}
		st = status_of(pid);
		mapped = WIFEXITED(st) ? WEXITSTATUS(st) : 0;
		if (!mapped) {
			check(names[round], 0, "the first child mapped nothing");
			continue;
		}
		pid = fork();
		if (pid == 0)
			_exit(stale_probe(mapped));
		st = status_of(pid);
		check(names[round], WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      !WIFEXITED(st)         ? "the second child crashed"
		      : WEXITSTATUS(st) == 1 ? "the dead process's pages showed in a new child"
		      : WEXITSTATUS(st) == 2 ? "could not map the areas again"
		                             : "a fresh mapping was not zero");
	}
}

static void test_pipe_and_wait(void)
{
	int fd[2], st;
	char buf[32] = { 0 };
	pid_t pid;
	siginfo_t si;

	pipe(fd);
	pid = fork();
	if (pid == 0) {
		close(fd[0]);
		write(fd[1], "from child", 10);
		_exit(0);
	}
	close(fd[1]);
	read(fd[0], buf, sizeof(buf) - 1);
	close(fd[0]);
	check("pipe/child-to-parent", !strcmp(buf, "from child"), buf);
	check("wait4/exited-0", (st = status_of(pid)) == 0, "status not 0");
	check("wait/echild", waitpid(-1, &st, WNOHANG) == -1 && errno == ECHILD, "children left");

	pid = fork();
	if (pid == 0) {
		pause();
		_exit(1);
	}
	check("wait/wnohang-running", waitpid(pid, &st, WNOHANG) == 0, "not 0 for a running child");
	kill(pid, SIGTERM);
	memset(&si, 0, sizeof(si));
	check("waitid/killed",
	      !waitid(P_PID, pid, &si, WEXITED) && si.si_pid == pid && si.si_code == CLD_KILLED &&
	          si.si_status == SIGTERM,
	      "waitid did not report SIGTERM");
}

static volatile sig_atomic_t chld;
static void on_chld(int sig) { chld = sig; }

/* A child that exits at once was reaped without us: no zombie to wait for. */
static void check_reaped(const char *name)
{
	pid_t pid = fork();
	int st;

	if (pid == 0)
		_exit(0);
	check(name, waitpid(pid, &st, 0) == -1 && errno == ECHILD, "a zombie was left");
}

static void test_sigchld(void)
{
	struct sigaction sa = { .sa_handler = on_chld };
	pid_t pid;
	int st;

	sigaction(SIGCHLD, &sa, NULL);
	pid = fork();
	if (pid == 0)
		_exit(0);
	st = status_of(pid);
	check("sigchld/handler-ran", chld == SIGCHLD && st == 0, "no SIGCHLD");

	sa.sa_handler = SIG_DFL;
	sa.sa_flags = SA_NOCLDWAIT;
	sigaction(SIGCHLD, &sa, NULL);
	check_reaped("sigchld/nocldwait-reaped");
	signal(SIGCHLD, SIG_IGN);
	check_reaped("sigchld/ignored-reaped");
	signal(SIGCHLD, SIG_DFL);
}

/* waitpid bounded: the pid, or 0 after secs seconds (-1: not a child). */
static pid_t reap_within(pid_t pid, int *st, int secs)
{
	long long end = now_ns() + secs * 1000000000ll;
	pid_t r;

	while ((r = waitpid(pid, st, WNOHANG)) == 0 && now_ns() < end)
		usleep(10000);
	return r;
}

/* A child that has ended, not yet waited for (a zombie): its pid. */
static pid_t zombie(void)
{
	siginfo_t si;
	pid_t pid = fork();

	if (pid == 0)
		_exit(3);
	memset(&si, 0, sizeof(si));
	waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
	return pid;
}

/* waitid without WEXITED leaves an ended child alone, WNOWAIT leaves it
 * waitable; kill of a group whose members all ended answers 0. */
static void test_wait_corners(void)
{
	siginfo_t si;
	pid_t pid = zombie(), g;
	int st, r;

	memset(&si, 0, sizeof(si));
	r = waitid(P_PID, pid, &si, WSTOPPED | WNOHANG);
	check("waitid/no-wexited-echild", r == -1 && errno == ECHILD,
	      "waitid(WSTOPPED) with only an ended child: not ECHILD");
	check("waitid/no-wexited-not-reaped", status_of(pid) == (3 << 8),
	      "waitid without WEXITED reaped the child");
	pid = zombie();
	memset(&si, 0, sizeof(si));
	r = waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
	check("waitid/wnowait-reports", r == 0 && si.si_pid == pid && si.si_status == 3,
	      "waitid(WNOWAIT) did not report the child");
	check("waitid/wnowait-leaves", status_of(pid) == (3 << 8),
	      "the child was gone after waitid(WNOWAIT)");
	g = fork();
	if (g == 0) {
		setpgid(0, 0);
		_exit(0);
	}
	setpgid(g, g); /* (either may run first) */
	memset(&si, 0, sizeof(si));
	waitid(P_PID, g, &si, WEXITED | WNOWAIT);
	check("kill/zombie-group", kill(-g, 0) == 0, "kill(-pgid, 0) on a group of zombies");
	status_of(g);
	check("kill/reaped-group-esrch", kill(-g, 0) == -1 && errno == ESRCH,
	      "kill(-pgid, 0) on a group no more");
	(void)st;
}

/* vfork while SIGCHLD is ignored (the child is reaped as it ends, while
 * its parent still waits to be let go), many times with other processes
 * ending meanwhile; and a vfork parent still waiting is ended by SIGKILL. */
static void test_vfork_corners(void)
{
	pid_t bg, pid, parent, child = 0;
	int fd[2], i, ok = 1;

	signal(SIGCHLD, SIG_IGN);
	if ((bg = fork()) == 0) { /* ends processes while the loop below runs */
		for (i = 0; i < 300; i++)
			if (fork() == 0)
				_exit(0);
		_exit(0);
	}
	for (i = 0; i < 300 && ok; i++) {
		if ((pid = vfork()) == 0)
			_exit(0);
		ok = pid > 0;
	}
	check("vfork/sigchld-ignored", ok, "vfork failed with SIGCHLD ignored");
	waitpid(bg, NULL, 0); /* (until it has ended: ECHILD then) */
	signal(SIGCHLD, SIG_DFL);
	prctl(PR_SET_CHILD_SUBREAPER, 1); /* (the orphan below comes to us, as to process 1) */
	pipe(fd);
	if ((parent = fork()) == 0) {
		if (vfork() == 0) {
			pid_t me = getpid();
			write(fd[1], &me, sizeof(me));
			pause(); /* the parent waits all this time */
			_exit(0);
		}
		_exit(1);
	}
	read(fd[0], &child, sizeof(child));
	usleep(20000);
	kill(parent, SIGKILL);
	pid = reap_within(parent, &i, 5);
	check("vfork/parent-killable", pid == parent && WIFSIGNALED(i) && WTERMSIG(i) == SIGKILL,
	      "SIGKILL did not end a vfork parent waiting for its child");
	kill(child, SIGKILL);
	reap_within(child, &i, 5);
	reap_within(parent, &i, 5);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	close(fd[0]);
	close(fd[1]);
}

static void test_exec(void)
{
	int fd[2], st;
	char buf[64] = { 0 };
	char *argv[] = { (char *)self, "child-exec", NULL };
	pid_t pid;

	pipe(fd);
	fcntl(fd[0], F_SETFD, FD_CLOEXEC);
	pid = fork();
	if (pid == 0) {
		dup2(fd[1], 1);
		execve(self, argv, environ);
		_exit(127);
	}
	close(fd[1]);
	read(fd[0], buf, sizeof(buf) - 1);
	close(fd[0]);
	st = status_of(pid);
	check("exec/child-ran", !strncmp(buf, "exec ok", 7), buf);
	check("exec/cloexec-closed", strstr(buf, "cloexec-closed") != NULL, buf);
	check("exec/exit-status", WIFEXITED(st) && WEXITSTATUS(st) == 6, "wrong status");

	pid = vfork();
	if (pid == 0) {
		execve(self, (char *[]){ (char *)self, "child-exit", "9", NULL }, environ);
		_exit(127);
	}
	st = status_of(pid);
	check("vfork/exec-status", WIFEXITED(st) && WEXITSTATUS(st) == 9, "wrong status");

	char *sargv[] = { (char *)self, "child-exit", "11", NULL };
	check("posix_spawn/status",
	      !posix_spawn(&pid, self, NULL, NULL, sargv, environ) &&
	          (st = status_of(pid), WIFEXITED(st) && WEXITSTATUS(st) == 11),
	      "posix_spawn failed or wrong status");
	check("exec/enoent",
	      posix_spawn(&pid, "/no/such/program", NULL, NULL, sargv, environ) == ENOENT,
	      "not ENOENT");
}

static volatile int *volatile nowhere;

static void test_groups(void)
{
	pid_t pid = fork(), g;
	int st;

	if (pid == 0) {
		setpgid(0, 0);
		for (;;)
			pause();
	}
	setpgid(pid, pid); /* as a shell does, racing the child */
	g = getpgid(pid);
	check("pgid/child-own-group", g == pid, "setpgid did not take");
	check("kill/group", kill(-pid, SIGKILL) == 0, "kill(-pgid) failed");
	st = status_of(pid);
	check("kill/group-killed", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "not killed");
	check("kill/esrch", kill(99999, 0) == -1 && errno == ESRCH, "not ESRCH");
	pid = fork();
	if (pid == 0)
		_exit(setsid() == getpid() && getsid(0) == getpid() ? 0 : 1);
	check("setsid/child", status_of(pid) == 0, "setsid failed in the child");
	check("getppid/child", getppid() >= 0, "");
	pid = fork();
	if (pid == 0)
		_exit(getppid() == getpid() ? 1 : 0);
	check("getppid/differs", status_of(pid) == 0, "child's ppid is itself");
	pid = fork();
	if (pid == 0)
		*nowhere = 1; /* a crash ends the child only */
	st = status_of(pid);
	check("crash/child-segv", WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "not SIGSEGV");
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void *spinner(void *arg)
{
	for (volatile long i = 0;; i++)
		(void)arg;
	return NULL;
}

static sem_t usr1_back;
static volatile int usr1_tid;

static void on_usr1_tid(int sig)
{
	(void)sig;
	usr1_tid = (int)syscall(SYS_gettid);
}

static void *kill_own_process(void *arg)
{
	(void)arg;
	usleep(50000); /* the main thread waits by now */
	kill(getpid(), SIGUSR1);
	while (sem_wait(&usr1_back) && errno == EINTR)
		;
	return NULL;
}

/* kill() of its own process by a thread: Linux gives the signal to the
 * main thread (not blocking it), whose wait ends with EINTR and which runs
 * the handler (python waits there for its handlers: SIGTERM to a
 * multiprocessing Pool's parent). */
static void test_kill_to_main_thread(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct sigaction sa = { .sa_handler = on_usr1_tid };
		struct timespec until;
		sem_t never;
		pthread_t t;
		int r, e;

		sigaction(SIGUSR1, &sa, NULL);
		sem_init(&never, 0, 0);
		sem_init(&usr1_back, 0, 0);
		pthread_create(&t, NULL, kill_own_process, NULL);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 5;
		r = sem_timedwait(&never, &until);
		e = errno;
		sem_post(&usr1_back);
		pthread_join(t, NULL);
		_exit(r != -1 || e != EINTR ? 1 : usr1_tid != getpid() ? 2 : 0);
	}
	check("kill/own-process-to-main-thread", status_of(pid) == 0,
	      "exit 1: the main thread's wait did not end with EINTR, 2: the handler ran "
	      "in another thread");
}

/* A child with threads (blocked, and spinning in its own code) ends whole
 * with exit(): every thread goes, the parent sees the status. */
static void test_threaded_child(void)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		pthread_t t;
		for (int i = 0; i < 3; i++)
			pthread_create(&t, NULL, sleeper, NULL);
		pthread_create(&t, NULL, spinner, NULL);
		usleep(20000);
		exit(3);
	}
	st = status_of(pid);
	check("threads/child-exit-group", WIFEXITED(st) && WEXITSTATUS(st) == 3, "wrong status");
	pid = fork();
	if (pid == 0) {
		pthread_t t;
		for (int i = 0; i < 2; i++)
			pthread_create(&t, NULL, sleeper, NULL);
		for (;;)
			pause();
	}
	usleep(20000);
	kill(pid, SIGTERM);
	st = status_of(pid);
	check("threads/child-killed", WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "not killed");
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* The counts of the work a process operation costs: uk's own in
 * /proc/vmstat (uk_* lines, and pgfault: the guest's page faults); on
 * Linux, whose vmstat counts the whole machine, the faults of this
 * process and its children from getrusage. */
#define NCOUNTS 16

struct counts {
	int n;
	char name[NCOUNTS][24];
	long long v[NCOUNTS];
};

static void counts_read(struct counts *c)
{
	FILE *f = fopen("/proc/vmstat", "r");
	char name[64];
	long long v;
	struct rusage self_ru, child_ru;

	c->n = 0;
	while (f && c->n < NCOUNTS && fscanf(f, "%63s %lld", name, &v) == 2)
		if (!strncmp(name, "uk_", 3) || !strcmp(name, "pgfault")) {
			snprintf(c->name[c->n], sizeof(c->name[0]), "%s", name);
			c->v[c->n++] = v;
		}
	if (f)
		fclose(f);
	if (c->n > 1) /* uk's */
		return;
	getrusage(RUSAGE_SELF, &self_ru);
	getrusage(RUSAGE_CHILDREN, &child_ru);
	snprintf(c->name[0], sizeof(c->name[0]), "pgfault");
	c->v[0] = self_ru.ru_minflt + self_ru.ru_majflt + child_ru.ru_minflt + child_ru.ru_majflt;
	c->n = 1;
}

/* "bench KEY_counts name=per-op ..." */
static void counts_print(const char *key, const struct counts *a, const struct counts *b, int n)
{
	printf("bench %s_counts", key);
	for (int i = 0; i < a->n && i < b->n; i++)
		printf(" %s=%.1f", a->name[i], (double)(b->v[i] - a->v[i]) / n);
	printf("\n");
}

static void bench(int n, int spawns)
{
	char *argv[] = { (char *)self, "child-exit", "0", NULL };
	long long t0, t1, t2;
	struct counts c0, c1, c2;
	pid_t pid;

	counts_read(&c0);
	t0 = now_ns();
	for (int i = 0; i < n; i++) {
		if ((pid = fork()) == 0)
			_exit(0);
		waitpid(pid, NULL, 0);
	}
	t1 = now_ns();
	counts_read(&c1);
	for (int i = 0; i < spawns; i++) {
		posix_spawn(&pid, self, NULL, NULL, argv, environ);
		waitpid(pid, NULL, 0);
	}
	t2 = now_ns();
	counts_read(&c2);
	printf("bench fork_exit_wait %lld\n", (t1 - t0) / n);
	counts_print("fork_exit_wait", &c0, &c1, n);
	if (spawns) {
		printf("bench spawn_exec_wait %lld\n", (t2 - t1) / spawns);
		counts_print("spawn_exec_wait", &c1, &c2, spawns);
	}
}

/* A token passed round a ring of k members through k pipes, laps times:
 * member i reads pipe i, writes one byte into each of its own pages pages
 * (a server's working set, which a switch may cost it again), and writes
 * pipe i + 1. Members are processes (each hop a switch of address space)
 * or threads of this one (the same wake-ups without it). */
#define RING_MAX 16
#define RING_PAGES_MAX 256

struct ring {
	int fd[RING_MAX][2];
	int k, laps, pages;
};

static void ring_member(const struct ring *r, int i)
{
	char *mem = malloc((size_t)r->pages * 4096 + 1), c;

	for (int lap = 0; lap < r->laps; lap++) {
		if (read(r->fd[i][0], &c, 1) != 1)
			break;
		for (int p = 0; p < r->pages; p++)
			mem[p * 4096] = (char)lap;
		if (write(r->fd[(i + 1) % r->k][1], &c, 1) != 1)
			break;
	}
	free(mem);
}

struct ring_arg {
	const struct ring *r;
	int i;
};

static void *ring_thread(void *arg)
{
	struct ring_arg *a = arg;

	ring_member(a->r, a->i);
	return NULL;
}

/* "bench ring_KIND_K NS" a hop, and the counts a hop */
static void bench_ring(int k, int laps, int pages, int threads)
{
	struct ring r = { .k = k, .laps = laps, .pages = pages };
	pthread_t t[RING_MAX];
	struct ring_arg a[RING_MAX];
	pid_t pid[RING_MAX];
	struct counts c0, c1;
	long long t0;
	char key[64];

	for (int i = 0; i < k; i++)
		if (pipe(r.fd[i]))
			return;
	for (int i = 1; i < k; i++) {
		a[i] = (struct ring_arg){ &r, i };
		if (threads)
			pthread_create(&t[i], NULL, ring_thread, &a[i]);
		else if ((pid[i] = fork()) == 0) {
			ring_member(&r, i);
			_exit(0);
		}
	}
	counts_read(&c0);
	t0 = now_ns();
	if (write(r.fd[0][1], "x", 1) != 1)
		return;
	ring_member(&r, 0); /* (its last read is the token's last lap) */
	t0 = now_ns() - t0;
	counts_read(&c1);
	for (int i = 1; i < k; i++)
		if (threads)
			pthread_join(t[i], NULL);
		else
			waitpid(pid[i], NULL, 0);
	for (int i = 0; i < k; i++) {
		close(r.fd[i][0]);
		close(r.fd[i][1]);
	}
	snprintf(key, sizeof(key), "ring_%s_%d", threads ? "threads" : "procs", k);
	printf("bench %s %lld\n", key, t0 / ((long long)laps * k));
	counts_print(key, &c0, &c1, laps * k);
}

/* Interval timers are each process's own: a child's alarm ends the child,
 * not the process running when it fires; a child starts with none, so its
 * alarm(0) leaves the parent's alarm alone. */
static volatile int alarmed;
static void on_alarm(int sig) { alarmed = sig; }

static void test_itimers(void)
{
	pid_t c;
	int st = -1;

	if (!(c = fork())) {
		alarm(1);
		pause();
		_exit(0);
	}
	usleep(1500000); /* the parent runs when the child's alarm fires */
	check("alarm/child-own",
	      waitpid(c, &st, 0) == c && WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM,
	      "the child's alarm did not end the child");
	signal(SIGALRM, on_alarm);
	alarmed = 0;
	alarm(1);
	if (!(c = fork()))
		_exit(alarm(0) != 0); /* a child has no alarm to cancel */
	waitpid(c, &st, 0);
	check("alarm/fork-child-has-none", WIFEXITED(st) && !WEXITSTATUS(st),
	      "the child inherited the parent's alarm");
	while (!alarmed)
		pause();
	check("alarm/parent-kept", alarmed == SIGALRM, "the parent's alarm was lost");
	signal(SIGALRM, SIG_DFL);
}

/* As a container's first process (the guest's process 1; on Linux in a
 * PID namespace: unshare -pf): a child's kill(1, SIGTERM) is ignored while
 * process 1 has no handler, and a grandchild that ends after its parent
 * under a process 1 that ignores SIGCHLD leaves no zombie behind. */
static void test_init(void)
{
	pid_t c, r;
	int st = -1;

	if (getpid() != 1)
		return; /* not the first process: nothing to check */
	if (!(c = fork()))
		_exit(kill(1, SIGTERM) ? 1 : 0);
	r = waitpid(c, &st, 0);
	check("init-ignores-default-signals", r == c && WIFEXITED(st) && !WEXITSTATUS(st),
	      "process 1 did not outlive a child's kill(1, SIGTERM)");
	signal(SIGCHLD, SIG_IGN);
	if (!(c = fork())) {
		if (!fork())
			_exit(0); /* the grandchild: an orphan zombie of process 1 */
		usleep(100000);
		_exit(0);
	}
	usleep(400000);
	errno = 0;
	r = waitpid(-1, &st, WNOHANG);
	check("orphan-zombie-reaped", r == -1 && errno == ECHILD,
	      "a zombie was left to process 1, which ignores SIGCHLD");
	signal(SIGCHLD, SIG_DFL);
}

int main(int argc, char **argv)
{
	self = argc && argv[0][0] == '/' ? argv[0] : "/proc/self/exe";
	if (argc > 1 && !strcmp(argv[1], "child-exec")) {
		/* fd 3 was the pipe's read end, marked close-on-exec */
		printf("exec ok %s\n", fcntl(3, F_GETFD) == -1 ? "cloexec-closed" : "cloexec-open");
		return 6;
	}
	if (argc > 1 && !strcmp(argv[1], "child-fill"))
		return stale_fill();
	if (argc > 2 && !strcmp(argv[1], "child-exit"))
		return atoi(argv[2]);
	if (argc > 2 && !strcmp(argv[1], "bench")) {
		bench(atoi(argv[2]), argc > 3 && !strcmp(argv[3], "fork") ? 0 : atoi(argv[2]));
		return 0;
	}
	if (argc > 4 && !strcmp(argv[1], "ring")) {
		int k = atoi(argv[2]), pages = atoi(argv[4]);
		if (k < 2 || k > RING_MAX || pages < 0 || pages > RING_PAGES_MAX)
			return 2;
		bench_ring(k, atoi(argv[3]), pages, argc > 5 && !strcmp(argv[5], "threads"));
		return 0;
	}
	test_wait_across_first_fork();
	test_fork_memory();
	test_fork_readonly_then_writable();
	test_fork_large();
	test_fork_after_exit();
	test_shared_sync();
	test_posix_shm();
	test_shared_readonly();
	test_shared_lazy();
	test_sysv_shm();
	test_signalfd();
	test_owner();
	test_pipe_and_wait();
	test_sigchld();
	test_wait_corners();
	test_vfork_corners();
	test_exec();
	test_groups();
	test_threaded_child();
	test_kill_to_main_thread();
	test_itimers();
	test_init();
	return failed;
}
