/*
 * newlib's system-call layer: direct calls into the library OS (no trap),
 * translating newlib's flag values and struct layouts to Linux's. This is
 * the one place errno is set (uk_ret), like musl's __syscall_ret.
 *
 * Compiled against newlib's headers; the library OS side is reached through
 * uk_sys_* prototypes only (uk/syscall.h has no Linux types), so the two
 * sets of names never meet in one file.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <uk/syscall.h>

#include "glue.h"

/* Linux errno value -> newlib's. */
static const unsigned char errno_map[] = {
	[1] = EPERM, [2] = ENOENT, [3] = ESRCH, [4] = EINTR, [5] = EIO, [6] = ENXIO,
	[7] = E2BIG, [8] = ENOEXEC, [9] = EBADF, [10] = ECHILD, [11] = EAGAIN,
	[12] = ENOMEM, [13] = EACCES, [14] = EFAULT, [15] = ENOTBLK, [16] = EBUSY,
	[17] = EEXIST, [18] = EXDEV, [19] = ENODEV, [20] = ENOTDIR, [21] = EISDIR,
	[22] = EINVAL, [23] = ENFILE, [24] = EMFILE, [25] = ENOTTY, [26] = ETXTBSY,
	[27] = EFBIG, [28] = ENOSPC, [29] = ESPIPE, [30] = EROFS, [31] = EMLINK,
	[32] = EPIPE, [33] = EDOM, [34] = ERANGE, [35] = EDEADLK, [36] = ENAMETOOLONG,
	[37] = ENOLCK, [38] = ENOSYS, [39] = ENOTEMPTY, [40] = ELOOP, [42] = ENOMSG,
	[43] = EIDRM, [44] = ECHRNG, [45] = EL2NSYNC, [46] = EL3HLT, [47] = EL3RST,
	[48] = ELNRNG, [49] = EUNATCH, [50] = ENOCSI, [51] = EL2HLT, [52] = EBADE,
	[53] = EBADR, [54] = EXFULL, [55] = ENOANO, [56] = EBADRQC, [57] = EBADSLT,
	[59] = EBFONT, [60] = ENOSTR, [61] = ENODATA, [62] = ETIME, [63] = ENOSR,
	[64] = ENONET, [65] = ENOPKG, [66] = EREMOTE, [67] = ENOLINK, [68] = EADV,
	[69] = ESRMNT, [70] = ECOMM, [71] = EPROTO, [72] = EMULTIHOP, [73] = EDOTDOT,
	[74] = EBADMSG, [75] = EOVERFLOW, [76] = ENOTUNIQ, [77] = EBADFD,
	[78] = EREMCHG, [79] = ELIBACC, [80] = ELIBBAD, [81] = ELIBSCN,
	[82] = ELIBMAX, [83] = ELIBEXEC, [84] = EILSEQ, [86] = ESTRPIPE,
	[87] = EUSERS, [88] = ENOTSOCK, [89] = EDESTADDRREQ, [90] = EMSGSIZE,
	[91] = EPROTOTYPE, [92] = ENOPROTOOPT, [93] = EPROTONOSUPPORT,
	[94] = ESOCKTNOSUPPORT, [95] = EOPNOTSUPP, [96] = EPFNOSUPPORT,
	[97] = EAFNOSUPPORT, [98] = EADDRINUSE, [99] = EADDRNOTAVAIL,
	[100] = ENETDOWN, [101] = ENETUNREACH, [102] = ENETRESET,
	[103] = ECONNABORTED, [104] = ECONNRESET, [105] = ENOBUFS, [106] = EISCONN,
	[107] = ENOTCONN, [108] = ESHUTDOWN, [109] = ETOOMANYREFS, [110] = ETIMEDOUT,
	[111] = ECONNREFUSED, [112] = EHOSTDOWN, [113] = EHOSTUNREACH,
	[114] = EALREADY, [115] = EINPROGRESS, [116] = ESTALE, [122] = EDQUOT,
	[123] = ENOMEDIUM, [125] = ECANCELED, [130] = EOWNERDEAD,
	[131] = ENOTRECOVERABLE,
};

long uk_ret(long r)
{
	if (r < 0 && r > -4096) {
		long e = -r;
		errno = e < (long)sizeof(errno_map) && errno_map[e] ? errno_map[e] : EINVAL;
		return -1;
	}
	return r;
}

/* ---- the calls newlib's own code makes ---- */

ssize_t read(int fd, void *buf, size_t n)
{
	return uk_ret(UK_CALL(read, fd, buf, n, 0, 0, 0));
}

ssize_t write(int fd, const void *buf, size_t n)
{
	return uk_ret(UK_CALL(write, fd, buf, n, 0, 0, 0));
}

void *sbrk(ptrdiff_t incr)
{
	static uintptr_t cur;
	uintptr_t want;

	if (!cur)
		cur = (uintptr_t)UK_CALL(brk, 0, 0, 0, 0, 0, 0);
	want = cur + incr;
	if ((uintptr_t)UK_CALL(brk, want, 0, 0, 0, 0, 0) != want) {
		errno = ENOMEM;
		return (void *)-1;
	}
	cur = want;
	return (void *)(want - incr);
}

void _exit(int status)
{
	UK_CALL(exit_group, status, 0, 0, 0, 0, 0);
	__builtin_unreachable();
}

pid_t getpid(void) { return (int)UK_CALL(getpid, 0, 0, 0, 0, 0, 0); }

int kill(int pid, int sig)
{
	(void)pid, (void)sig;
	errno = ENOSYS; /* signals arrive with the library OS core */
	return -1;
}

int fstat(int fd, struct stat *st)
{
	struct uk_lx_stat lx;
	long r = uk_ret(UK_CALL(fstat, fd, &lx, 0, 0, 0, 0));

	if (r == 0)
		uk_stat_from_linux(st, &lx);
	return (int)r;
}

int isatty(int fd)
{
	struct uk_lx_termios t;
	return uk_ret(UK_CALL(ioctl, fd, UK_LX_TCGETS, &t, 0, 0, 0)) == 0;
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

/* Files arrive with the VFS; until then these fail honestly. */
int open(const char *path, int flags, int mode)
{
	(void)path, (void)flags, (void)mode;
	errno = ENOSYS;
	return -1;
}
int close(int fd) { return fd >= 0 && fd <= 2 ? 0 : (errno = EBADF, -1); }
off_t lseek(int fd, off_t off, int whence)
{
	(void)fd, (void)off, (void)whence;
	errno = ESPIPE;
	return -1;
}
int link(const char *a, const char *b) { (void)a, (void)b; errno = ENOSYS; return -1; }
int unlink(const char *p) { (void)p; errno = ENOSYS; return -1; }
int stat(const char *p, struct stat *st) { (void)p, (void)st; errno = ENOSYS; return -1; }
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

/* Raw system calls by Linux number, as in glibc's syscall(2). */
long syscall(long nr, ...)
{
	__builtin_va_list ap;
	long a[6];

	__builtin_va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = __builtin_va_arg(ap, long);
	__builtin_va_end(ap);
	return uk_ret(uk_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]));
}

void uk_stat_from_linux(struct stat *st, const struct uk_lx_stat *lx)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = lx->dev;
	st->st_ino = lx->ino;
	st->st_mode = lx->mode; /* S_IF* and permission bits agree */
	st->st_nlink = lx->nlink;
	st->st_uid = lx->uid;
	st->st_gid = lx->gid;
	st->st_rdev = lx->rdev;
	st->st_size = lx->size;
	st->st_blksize = lx->blksize;
	st->st_blocks = lx->blocks;
	st->st_atim.tv_sec = lx->atime_sec;
	st->st_atim.tv_nsec = lx->atime_nsec;
	st->st_mtim.tv_sec = lx->mtime_sec;
	st->st_mtim.tv_nsec = lx->mtime_nsec;
	st->st_ctim.tv_sec = lx->ctime_sec;
	st->st_ctim.tv_nsec = lx->ctime_nsec;
}
