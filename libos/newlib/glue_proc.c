/* newlib glue: process identity, signals and time (see glue.c). */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <uk/syscall.h>

#include "glue.h"

pid_t getpid(void) { return (int)UK_CALL(getpid, 0, 0, 0, 0, 0, 0); }

int kill(int pid, int sig)
{
	(void)pid, (void)sig;
	errno = ENOSYS; /* signals arrive with the library OS core */
	return -1;
}

int gettimeofday(struct timeval *tv, void *tz)
{
	return (int)uk_ret(UK_CALL(gettimeofday, tv, tz, 0, 0, 0, 0));
}

clock_t times(struct tms *t)
{
	struct timespec ts;
	clock_t ticks;

	UK_CALL(clock_gettime, UK_LX_CLOCK_PROCESS_CPUTIME_ID, &ts, 0, 0, 0, 0);
	ticks = ts.tv_sec * CLOCKS_PER_SEC + ts.tv_nsec / (1000000000 / CLOCKS_PER_SEC);
	if (t) {
		t->tms_utime = ticks;
		t->tms_stime = t->tms_cutime = t->tms_cstime = 0;
	}
	return ticks;
}

pid_t fork(void) { errno = ENOSYS; return -1; }
int execve(const char *p, char *const a[], char *const e[]) { (void)p, (void)a, (void)e; errno = ENOSYS; return -1; }
pid_t wait(int *s) { (void)s; errno = ECHILD; return -1; }

/* ---- POSIX calls newlib leaves to the system ---- */

int clock_gettime(clockid_t clk, struct timespec *ts)
{
	return (int)uk_ret(UK_CALL(clock_gettime, clk, ts, 0, 0, 0, 0));
}

int clock_getres(clockid_t clk, struct timespec *ts)
{
	return (int)uk_ret(UK_CALL(clock_getres, clk, ts, 0, 0, 0, 0));
}

int nanosleep(const struct timespec *req, struct timespec *rem)
{
	return (int)uk_ret(UK_CALL(nanosleep, req, rem, 0, 0, 0, 0));
}

unsigned sleep(unsigned s)
{
	struct timespec ts = { s, 0 };
	nanosleep(&ts, 0);
	return 0;
}

int usleep(useconds_t us)
{
	struct timespec ts = { us / 1000000, us % 1000000 * 1000 };
	return nanosleep(&ts, 0);
}

int uname(struct utsname *u)
{
	return (int)uk_ret(UK_CALL(uname, u, 0, 0, 0, 0, 0));
}

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

uid_t getuid(void) { return (uid_t)UK_CALL(getuid, 0, 0, 0, 0, 0, 0); }
uid_t geteuid(void) { return (uid_t)UK_CALL(geteuid, 0, 0, 0, 0, 0, 0); }
gid_t getgid(void) { return (gid_t)UK_CALL(getgid, 0, 0, 0, 0, 0, 0); }
gid_t getegid(void) { return (gid_t)UK_CALL(getegid, 0, 0, 0, 0, 0, 0); }
pid_t getppid(void) { return (pid_t)UK_CALL(getppid, 0, 0, 0, 0, 0, 0); }
