/*
 * newlib glue: process identity, limits, scheduling and time (see glue.c
 * for the conventions; signals are in glue_signal.c).
 *
 * Translated on the way: newlib's clock ids and TIMER_ABSTIME differ from
 * Linux's, its uid_t and gid_t are 16 bits (so (uid_t)-1 is widened to the
 * 32-bit "leave it" value), and times() counts in CLOCKS_PER_SEC units
 * where Linux counts USER_HZ ticks.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uk/syscall.h>

#include "glue.h"
#include "pthread_impl.h"

#define LX_TIMER_ABSTIME 1
#define LX_USER_HZ 100

/* ---- identity ---- */

pid_t getpid(void) { return (pid_t)UK_CALL(getpid, 0, 0, 0, 0, 0, 0); }
pid_t getppid(void) { return (pid_t)UK_CALL(getppid, 0, 0, 0, 0, 0, 0); }
pid_t gettid(void) { return (pid_t)UK_CALL(gettid, 0, 0, 0, 0, 0, 0); }
uid_t getuid(void) { return (uid_t)UK_CALL(getuid, 0, 0, 0, 0, 0, 0); }
uid_t geteuid(void) { return (uid_t)UK_CALL(geteuid, 0, 0, 0, 0, 0, 0); }
gid_t getgid(void) { return (gid_t)UK_CALL(getgid, 0, 0, 0, 0, 0, 0); }
gid_t getegid(void) { return (gid_t)UK_CALL(getegid, 0, 0, 0, 0, 0, 0); }

/* newlib's ids are 16 bits: its -1 is 0xffff. */
/* uid_t and gid_t are 32 bits wide, as on Linux (our newlib build's
 * machine/_types.h), so ids and the -1 "unchanged" value pass as they are. */
static unsigned long wide(unsigned id) { return id; }

int setuid(uid_t u) { return (int)uk_ret(UK_CALL(setuid, wide(u), 0, 0, 0, 0, 0)); }
int setgid(gid_t g) { return (int)uk_ret(UK_CALL(setgid, wide(g), 0, 0, 0, 0, 0)); }
int seteuid(uid_t u) { return (int)uk_ret(UK_CALL(setreuid, ~0u, wide(u), 0, 0, 0, 0)); }
int setegid(gid_t g) { return (int)uk_ret(UK_CALL(setregid, ~0u, wide(g), 0, 0, 0, 0)); }

int setreuid(uid_t r, uid_t e)
{
	return (int)uk_ret(UK_CALL(setreuid, wide(r), wide(e), 0, 0, 0, 0));
}

int setregid(gid_t r, gid_t e)
{
	return (int)uk_ret(UK_CALL(setregid, wide(r), wide(e), 0, 0, 0, 0));
}

int setresuid(uid_t r, uid_t e, uid_t s)
{
	return (int)uk_ret(UK_CALL(setresuid, wide(r), wide(e), wide(s), 0, 0, 0));
}

int setresgid(gid_t r, gid_t e, gid_t s)
{
	return (int)uk_ret(UK_CALL(setresgid, wide(r), wide(e), wide(s), 0, 0, 0));
}

static int get3(long r, const unsigned v[3], unsigned *a, unsigned *b, unsigned *c)
{
	if (uk_ret(r) < 0)
		return -1;
	*a = v[0], *b = v[1], *c = v[2];
	return 0;
}

int getresuid(uid_t *r, uid_t *e, uid_t *s)
{
	unsigned v[3];
	return get3(UK_CALL(getresuid, &v[0], &v[1], &v[2], 0, 0, 0), v, r, e, s);
}

int getresgid(gid_t *r, gid_t *e, gid_t *s)
{
	unsigned v[3];
	return get3(UK_CALL(getresgid, &v[0], &v[1], &v[2], 0, 0, 0), v, r, e, s);
}

int getgroups(int n, gid_t *list)
{
	unsigned lx[NGROUPS_MAX];
	long r;

	if (n < 0) {
		errno = EINVAL;
		return -1;
	}
	r = uk_ret(
	    UK_CALL(getgroups, n > NGROUPS_MAX ? NGROUPS_MAX : n, n ? lx : NULL, 0, 0, 0, 0));
	for (long i = 0; n && i < r; i++)
		list[i] = lx[i];
	return (int)r;
}

int setgroups(int n, const gid_t *list)
{
	unsigned lx[NGROUPS_MAX];

	if (n < 0 || n > NGROUPS_MAX) {
		errno = EINVAL;
		return -1;
	}
	for (int i = 0; i < n; i++)
		lx[i] = wide(list[i]);
	return (int)uk_ret(UK_CALL(setgroups, n, lx, 0, 0, 0, 0));
}

pid_t getpgrp(void) { return (pid_t)UK_CALL(getpgrp, 0, 0, 0, 0, 0, 0); }
pid_t getpgid(pid_t p) { return (pid_t)uk_ret(UK_CALL(getpgid, p, 0, 0, 0, 0, 0)); }
pid_t getsid(pid_t p) { return (pid_t)uk_ret(UK_CALL(getsid, p, 0, 0, 0, 0, 0)); }
pid_t setsid(void) { return (pid_t)uk_ret(UK_CALL(setsid, 0, 0, 0, 0, 0, 0)); }
int setpgid(pid_t p, pid_t g) { return (int)uk_ret(UK_CALL(setpgid, p, g, 0, 0, 0, 0)); }
int setpgrp(void) { return setpgid(0, 0); }

int uname(struct utsname *u) { return (int)uk_ret(UK_CALL(uname, u, 0, 0, 0, 0, 0)); }

int gethostname(char *name, size_t len)
{
	struct utsname u;
	size_t n;

	if (uname(&u))
		return -1;
	n = strlen(u.nodename);
	if (n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(name, u.nodename, n + 1);
	return 0;
}

int sethostname(const char *name, size_t len)
{
	return (int)uk_ret(UK_CALL(sethostname, name, len, 0, 0, 0, 0));
}

/* ---- resources ---- */

int sysinfo(struct sysinfo *si) { return (int)uk_ret(UK_CALL(sysinfo, si, 0, 0, 0, 0, 0)); }
int get_nprocs(void) { return 1; }
int get_nprocs_conf(void) { return 1; }

long get_phys_pages(void)
{
	struct sysinfo si;
	return sysinfo(&si) ? -1 : (long)(si.totalram / 4096);
}

long get_avphys_pages(void)
{
	struct sysinfo si;
	return sysinfo(&si) ? -1 : (long)(si.freeram / 4096);
}

int getrlimit(int res, struct rlimit *rl)
{
	return (int)uk_ret(UK_CALL(prlimit64, 0, res, 0, rl, 0, 0));
}

int setrlimit(int res, const struct rlimit *rl)
{
	return (int)uk_ret(UK_CALL(prlimit64, 0, res, rl, 0, 0, 0));
}

int prlimit(pid_t pid, int res, const struct rlimit *nv, struct rlimit *ov)
{
	return (int)uk_ret(UK_CALL(prlimit64, pid, res, nv, ov, 0, 0));
}

int getrusage(int who, struct rusage *ru)
{
	return (int)uk_ret(UK_CALL(getrusage, who, ru, 0, 0, 0, 0));
}

/* The call answers 20 - nice, never negative; errno tells an error. */
int getpriority(int which, id_t who)
{
	long r = UK_CALL(getpriority, which, who, 0, 0, 0, 0);

	return r < 0 ? (int)uk_ret(r) : 20 - (int)r;
}

int setpriority(int which, id_t who, int prio)
{
	return (int)uk_ret(UK_CALL(setpriority, which, who, prio, 0, 0, 0));
}

int nice(int inc)
{
	int cur = getpriority(PRIO_PROCESS, 0);

	if (setpriority(PRIO_PROCESS, 0, cur + inc))
		return -1;
	return getpriority(PRIO_PROCESS, 0);
}

int prctl(int opt, ...)
{
	unsigned long a[4];
	va_list ap;

	va_start(ap, opt);
	for (int i = 0; i < 4; i++)
		a[i] = va_arg(ap, unsigned long);
	va_end(ap);
	return (int)uk_ret(UK_CALL(prctl, opt, a[0], a[1], a[2], a[3], 0));
}

long sysconf(int name)
{
	struct rlimit rl;

	switch (name) {
	case _SC_NPROCESSORS_CONF:
	case _SC_NPROCESSORS_ONLN: return 1;
	case _SC_PAGESIZE: return 4096;
	case _SC_CLK_TCK: return CLOCKS_PER_SEC;
	case _SC_OPEN_MAX: return getrlimit(RLIMIT_NOFILE, &rl) ? -1 : (long)rl.rlim_cur;
	case _SC_PHYS_PAGES: return get_phys_pages();
	case _SC_AVPHYS_PAGES: return get_avphys_pages();
	case _SC_ARG_MAX: return 2 << 20;
	case _SC_CHILD_MAX: return 1;
	case _SC_NGROUPS_MAX: return NGROUPS_MAX;
	case _SC_HOST_NAME_MAX: return 64;
	case _SC_LOGIN_NAME_MAX: return 256;
	case _SC_LINE_MAX: return 2048;
	case _SC_THREAD_KEYS_MAX: return PTHREAD_KEYS_MAX;
	case _SC_THREAD_STACK_MIN: return PTHREAD_STACK_MIN;
	case _SC_THREAD_THREADS_MAX: return -1; /* no limit */
	case _SC_GETPW_R_SIZE_MAX:
	case _SC_GETGR_R_SIZE_MAX: return 4096;
	case _SC_SEM_VALUE_MAX: return 0x7fffffff;
	case _SC_SIGQUEUE_MAX: return 32;
	case _SC_TZNAME_MAX: return 6;
	case _SC_VERSION:
	case _SC_THREADS:
	case _SC_TIMERS:
	case _SC_MONOTONIC_CLOCK:
	case _SC_SEMAPHORES:
	case _SC_BARRIERS:
	case _SC_SPIN_LOCKS:
	case _SC_READER_WRITER_LOCKS:
	case _SC_TIMEOUTS:
	case _SC_CLOCK_SELECTION:
	case _SC_THREAD_SAFE_FUNCTIONS: return 200809L;
	}
	errno = EINVAL;
	return -1;
}

int getpagesize(void) { return 4096; }

/* ---- scheduling ---- */

int sched_yield(void) { return (int)UK_CALL(sched_yield, 0, 0, 0, 0, 0, 0); }
int sched_getcpu(void) { return 0; }

int __uk_cpu_count(size_t size, const cpu_set_t *s)
{
	int n = 0;

	for (size_t i = 0; i < size / sizeof(unsigned long); i++)
		n += __builtin_popcountl(s->__bits[i]);
	return n;
}

int sched_getaffinity(pid_t pid, size_t size, cpu_set_t *s)
{
	unsigned long mask;
	long r = UK_CALL(sched_getaffinity, pid, sizeof(mask), &mask, 0, 0, 0);

	if (r < 0)
		return (int)uk_ret(r);
	if (size < sizeof(mask)) {
		errno = EINVAL;
		return -1;
	}
	memset(s, 0, size);
	s->__bits[0] = mask;
	return 0;
}

int sched_setaffinity(pid_t pid, size_t size, const cpu_set_t *s)
{
	return (int)uk_ret(UK_CALL(sched_setaffinity, pid, size, s, 0, 0, 0));
}

int sched_getparam(pid_t pid, struct sched_param *p)
{
	return (int)uk_ret(UK_CALL(sched_getparam, pid, &p->sched_priority, 0, 0, 0, 0));
}

int sched_getscheduler(pid_t pid)
{
	long r = UK_CALL(sched_getscheduler, pid, 0, 0, 0, 0, 0);

	return r == 0 ? SCHED_OTHER : (int)uk_ret(r);
}

/* Linux's SCHED_OTHER, FIFO and RR are 0, 1, 2 like newlib's. */
int sched_get_priority_max(int policy)
{
	return (int)uk_ret(UK_CALL(sched_get_priority_max, policy, 0, 0, 0, 0, 0));
}

int sched_get_priority_min(int policy)
{
	return (int)uk_ret(UK_CALL(sched_get_priority_min, policy, 0, 0, 0, 0, 0));
}

/* One policy: SCHED_OTHER at priority 0. */
int sched_setscheduler(pid_t pid, int policy, const struct sched_param *p)
{
	if (sched_getscheduler(pid) < 0)
		return -1;
	if (policy == SCHED_OTHER && p->sched_priority == 0)
		return 0;
	errno =
	    policy == SCHED_OTHER || (policy != SCHED_FIFO && policy != SCHED_RR) ? EINVAL : EPERM;
	return -1;
}

int sched_setparam(pid_t pid, const struct sched_param *p)
{
	return sched_setscheduler(pid, SCHED_OTHER, p);
}

int sched_rr_get_interval(pid_t pid, struct timespec *t)
{
	if (sched_getscheduler(pid) < 0)
		return -1;
	t->tv_sec = 0;
	t->tv_nsec = 10000000; /* the time slice */
	return 0;
}

/* ---- time ---- */

static long bad_clock(void) { return -22; /* EINVAL */ }

/* -1 is no clock in either numbering (as a CPU clock id it would name a
 * clock descriptor, which do not exist). */
#define LXCLK(c) uk_clock_to_linux(c)

int clock_gettime(clockid_t clk, struct timespec *ts)
{
	int lx = LXCLK(clk);
	return (int)uk_ret(lx == -1 ? bad_clock() : UK_CALL(clock_gettime, lx, ts, 0, 0, 0, 0));
}

int clock_getres(clockid_t clk, struct timespec *ts)
{
	int lx = LXCLK(clk);
	return (int)uk_ret(lx == -1 ? bad_clock() : UK_CALL(clock_getres, lx, ts, 0, 0, 0, 0));
}

int clock_settime(clockid_t clk, const struct timespec *ts)
{
	int lx = LXCLK(clk);
	return (int)uk_ret(lx == -1 ? bad_clock() : UK_CALL(clock_settime, lx, ts, 0, 0, 0, 0));
}

int clock_getcpuclockid(pid_t pid, clockid_t *clk)
{
	if (pid != 0 && pid != getpid())
		return ESRCH;
	*clk = (clockid_t)(int)((~0u << 3) | 2); /* Linux: the process, CPUCLOCK_SCHED */
	return 0;
}

/* Returns an error number, not -1 and errno (POSIX). */
int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req, struct timespec *rem)
{
	int lx = LXCLK(clk), saved = errno, e = 0;
	long r;

	if (lx == -1)
		return EINVAL;
	r = UK_CALL(clock_nanosleep, lx, flags & TIMER_ABSTIME ? LX_TIMER_ABSTIME : 0, req, rem, 0,
	            0);
	if (uk_ret(r) < 0)
		e = errno;
	errno = saved;
	return e;
}

int nanosleep(const struct timespec *req, struct timespec *rem)
{
	return (int)uk_ret(UK_CALL(nanosleep, req, rem, 0, 0, 0, 0));
}

unsigned sleep(unsigned s)
{
	struct timespec ts = { s, 0 }, rem = { 0, 0 };

	if (nanosleep(&ts, &rem) == 0)
		return 0;
	return rem.tv_sec + (rem.tv_nsec >= 500000000);
}

int usleep(useconds_t us)
{
	struct timespec ts = { us / 1000000, us % 1000000 * 1000 };

	if (us >= 1000000) {
		errno = EINVAL;
		return -1;
	}
	return nanosleep(&ts, 0);
}

int gettimeofday(struct timeval *tv, void *tz)
{
	return (int)uk_ret(UK_CALL(gettimeofday, tv, tz, 0, 0, 0, 0));
}

int settimeofday(const struct timeval *tv, const struct timezone *tz)
{
	return (int)uk_ret(UK_CALL(settimeofday, tv, tz, 0, 0, 0, 0));
}

clock_t times(struct tms *t)
{
	struct {
		long u, s, cu, cs;
	} lx;
	long r = UK_CALL(times, &lx, 0, 0, 0, 0, 0);
	const long k = CLOCKS_PER_SEC / LX_USER_HZ;

	if (r < 0)
		return (clock_t)uk_ret(r);
	if (t) {
		t->tms_utime = lx.u * k;
		t->tms_stime = lx.s * k;
		t->tms_cutime = lx.cu * k;
		t->tms_cstime = lx.cs * k;
	}
	return (clock_t)(r * k);
}

unsigned alarm(unsigned s) { return (unsigned)UK_CALL(alarm, s, 0, 0, 0, 0, 0); }

int setitimer(int which, const struct itimerval *__restrict nv, struct itimerval *__restrict ov)
{
	return (int)uk_ret(UK_CALL(setitimer, which, nv, ov, 0, 0, 0));
}

int getitimer(int which, struct itimerval *v)
{
	return (int)uk_ret(UK_CALL(getitimer, which, v, 0, 0, 0, 0));
}

useconds_t ualarm(useconds_t us, useconds_t interval)
{
	struct itimerval nv = { { interval / 1000000, interval % 1000000 },
		                { us / 1000000, us % 1000000 } },
	                 ov;

	if (setitimer(ITIMER_REAL, &nv, &ov))
		return (useconds_t)-1;
	return ov.it_value.tv_sec * 1000000 + ov.it_value.tv_usec;
}

/* ---- randomness ---- */

ssize_t getrandom(void *buf, size_t n, unsigned flags)
{
	return uk_ret(UK_CALL(getrandom, buf, n, flags, 0, 0, 0));
}

int getentropy(void *buf, size_t n)
{
	if (n > 256) {
		errno = EIO;
		return -1;
	}
	return getrandom(buf, n, 0) == (ssize_t)n ? 0 : -1;
}

/* ---- what a unikernel cannot do: the library OS says so on stderr ---- */

pid_t fork(void) { return (pid_t)uk_ret(UK_CALL(fork, 0, 0, 0, 0, 0, 0)); }
pid_t vfork(void) { return (pid_t)uk_ret(UK_CALL(vfork, 0, 0, 0, 0, 0, 0)); }

int execve(const char *p, char *const a[], char *const e[])
{
	return (int)uk_ret(UK_CALL(execve, p, a, e, 0, 0, 0));
}

int execv(const char *p, char *const a[]) { return execve(p, a, environ); }
int execvp(const char *p, char *const a[]) { return execve(p, a, environ); }

pid_t wait4(pid_t pid, int *status, int options, struct rusage *ru)
{
	return (pid_t)uk_ret(UK_CALL(wait4, pid, status, options, ru, 0, 0));
}

pid_t waitpid(pid_t pid, int *status, int options) { return wait4(pid, status, options, 0); }
pid_t wait(int *status) { return wait4(-1, status, 0, 0); }
pid_t wait3(int *status, int options, struct rusage *ru) { return wait4(-1, status, options, ru); }
