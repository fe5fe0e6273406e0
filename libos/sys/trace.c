/*
 * --trace: each system call with its arguments and result, named from
 * syscalls.def. Trace lines go to a buffer flushed in one hypercall (no exit
 * per call): when it fills, before the program's own console output, and at
 * exit.
 */
#include <stddef.h>
#include <uk/abi.h>
#include <uk/binary.h>
#include <uk/console.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/plat.h>
#include <uk/print.h>
#include <uk/syscall.h>

/* Every name in one blob (a struct of char arrays has no padding), found
 * through 16-bit offsets; offset 0 is "no such call". With the argument
 * count and kinds packed in 32 bits, a call costs 6 bytes of table. */
static const struct names {
	char none;
#define SYSCALL(nr, name, ...) char name[sizeof(#name)];
#define NOSYS(nr, name) char name[sizeof(#name)];
#include "syscalls.def"
#undef SYSCALL
#undef NOSYS
} names = {
	0,
#define SYSCALL(nr, name, ...) #name,
#define NOSYS(nr, name) #name,
#include "syscalls.def"
#undef SYSCALL
#undef NOSYS
};
_Static_assert(sizeof(names) <= 0xffff, "syscall names outgrew 16-bit offsets");

static const unsigned short name_off[UK_NR_MAX] = {
#define SYSCALL(nr, name, ...) [nr] = offsetof(struct names, name),
#define NOSYS(nr, name) [nr] = offsetof(struct names, name),
#include "syscalls.def"
#undef SYSCALL
#undef NOSYS
};

/* Bits 0-2: the argument count; then 4 bits per argument kind. */
#define KIND_BITS 4
_Static_assert(A_KIND_MAX <= 1 << KIND_BITS, "argument kinds outgrew their bits");
#define PACK(n, k0, k1, k2, k3, k4, k5, ...) \
	((n) | (k0) << 3 | (k1) << 7 | (k2) << 11 | (k3) << 15 | (k4) << 19 | (k5) << 23)
static const unsigned int sig[UK_NR_MAX] = {
#define SYSCALL(nr, name, n, ...) [nr] = PACK(n, ##__VA_ARGS__, 0, 0, 0, 0, 0, 0),
#define NOSYS(nr, name)
#include "syscalls.def"
#undef SYSCALL
#undef NOSYS
};

static int sig_nargs(long nr) { return nr >= 0 && nr < UK_NR_MAX ? sig[nr] & 7 : 6; }

static int sig_kind(long nr, int i)
{
	if (nr < 0 || nr >= UK_NR_MAX)
		return 0;
	return (sig[nr] >> (3 + KIND_BITS * i)) & ((1 << KIND_BITS) - 1);
}

static const char *sys_name(long nr)
{
	return nr >= 0 && nr < UK_NR_MAX && name_off[nr] ? (const char *)&names + name_off[nr] : 0;
}

static void tprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void tprintf(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = uk_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	uk_trace_put(line, n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* A buffer as a C string literal, at most 32 bytes, like strace. */
static void tstr(const char *p, long len)
{
	char out[160];
	int n = 0;

	if (!p) {
		tprintf("NULL");
		return;
	}
	out[n++] = '"';
	for (long i = 0; i < len && i < 32; i++) {
		unsigned char c = p[i];
		if (c == '\n')
			out[n++] = '\\', out[n++] = 'n';
		else if (c == '"' || c == '\\')
			out[n++] = '\\', out[n++] = c;
		else if (c >= 32 && c < 127)
			out[n++] = c;
		else
			n += uk_snprintf(out + n, 5, "\\x%02x", c);
	}
	out[n++] = '"';
	if (len > 32)
		out[n++] = '.', out[n++] = '.', out[n++] = '.';
	uk_trace_put(out, n);
}

struct flagname {
	unsigned long bit;
	const char *name;
};

static const struct flagname oflags[] = {
	{ O_CREAT, "O_CREAT" },         { O_EXCL, "O_EXCL" },
	{ O_NOCTTY, "O_NOCTTY" },       { O_TRUNC, "O_TRUNC" },
	{ O_APPEND, "O_APPEND" },       { O_NONBLOCK, "O_NONBLOCK" },
	{ O_DSYNC, "O_DSYNC" },         { O_DIRECTORY, "O_DIRECTORY" },
	{ O_NOFOLLOW, "O_NOFOLLOW" },   { O_CLOEXEC, "O_CLOEXEC" },
	{ O_PATH, "O_PATH" },           { O_TMPFILE & ~O_DIRECTORY, "O_TMPFILE" },
	{ O_LARGEFILE, "O_LARGEFILE" }, { O_DIRECT, "O_DIRECT" },
	{ O_NOATIME, "O_NOATIME" },
};
static const struct flagname prots[] = {
	{ PROT_READ, "PROT_READ" },
	{ PROT_WRITE, "PROT_WRITE" },
	{ PROT_EXEC, "PROT_EXEC" },
};
static const struct flagname mflags[] = {
	{ MAP_SHARED, "MAP_SHARED" },       { MAP_PRIVATE, "MAP_PRIVATE" },
	{ MAP_FIXED, "MAP_FIXED" },         { MAP_ANONYMOUS, "MAP_ANONYMOUS" },
	{ MAP_NORESERVE, "MAP_NORESERVE" }, { MAP_POPULATE, "MAP_POPULATE" },
	{ MAP_STACK, "MAP_STACK" },         { MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE" },
	{ MAP_DENYWRITE, "MAP_DENYWRITE" }, { MAP_GROWSDOWN, "MAP_GROWSDOWN" },
};
static const char *const signames[] = {
	[1] = "SIGHUP",     [2] = "SIGINT",   [3] = "SIGQUIT",   [4] = "SIGILL",   [5] = "SIGTRAP",
	[6] = "SIGABRT",    [7] = "SIGBUS",   [8] = "SIGFPE",    [9] = "SIGKILL",  [10] = "SIGUSR1",
	[11] = "SIGSEGV",   [12] = "SIGUSR2", [13] = "SIGPIPE",  [14] = "SIGALRM", [15] = "SIGTERM",
	[17] = "SIGCHLD",   [18] = "SIGCONT", [19] = "SIGSTOP",  [20] = "SIGTSTP", [23] = "SIGURG",
	[26] = "SIGVTALRM", [27] = "SIGPROF", [28] = "SIGWINCH", [29] = "SIGIO",   [31] = "SIGSYS",
};
static const char *const clocks[] = {
	"CLOCK_REALTIME",          "CLOCK_MONOTONIC",     "CLOCK_PROCESS_CPUTIME_ID",
	"CLOCK_THREAD_CPUTIME_ID", "CLOCK_MONOTONIC_RAW", "CLOCK_REALTIME_COARSE",
	"CLOCK_MONOTONIC_COARSE",  "CLOCK_BOOTTIME",
};

/* Flags as NAME|NAME|0x..., after an optional leading name. */
static void tflags(unsigned long v, const struct flagname *t, size_t n, const char *first)
{
	int any = 0;

	if (first) {
		tprintf("%s", first);
		any = 1;
	}
	for (size_t i = 0; i < n; i++) {
		if (t[i].bit && (v & t[i].bit) == t[i].bit) {
			tprintf("%s%s", any ? "|" : "", t[i].name);
			v &= ~t[i].bit;
			any = 1;
		}
	}
	if (v || !any)
		tprintf("%s%#lx", any ? "|" : "", v);
}

static void targ(int kind, long v, const long *a, long ret)
{
	switch (kind) {
	case A_INT: tprintf("%ld", v); break;
	case A_FD: /* an int: -1 may arrive zero-extended */ tprintf("%d", (int)v); break;
	case A_SIZE: tprintf("%lu", v); break;
	case A_STR: tstr((const char *)v, v ? uk_strnlen((const char *)v, 4096) : 0); break;
	case A_IBUF: tstr((const char *)v, a[2]); break;
	case A_OBUF:
		if (ret >= 0)
			tstr((const char *)v, ret);
		else
			tprintf("%#lx", v);
		break;
	case A_TIMESPEC: {
		const struct __kernel_timespec *ts = (const void *)v;
		if (ts)
			tprintf("{%lld, %lld}", (long long)ts->tv_sec, (long long)ts->tv_nsec);
		else
			tprintf("NULL");
		break;
	}
	case A_OCT: tprintf("0%lo", v); break;
	case A_DIRFD:
		if ((int)v == AT_FDCWD)
			tprintf("AT_FDCWD");
		else
			tprintf("%ld", v);
		break;
	case A_OFLAGS:
		tflags(v & ~O_ACCMODE, oflags, sizeof(oflags) / sizeof(*oflags),
		       (v & O_ACCMODE) == O_WRONLY ? "O_WRONLY"
		       : (v & O_ACCMODE) == O_RDWR ? "O_RDWR"
		                                   : "O_RDONLY");
		break;
	case A_PROT:
		tflags(v, prots, sizeof(prots) / sizeof(*prots), v ? NULL : "PROT_NONE");
		break;
	case A_MFLAGS: tflags(v, mflags, sizeof(mflags) / sizeof(*mflags), NULL); break;
	case A_SIG:
		if (v > 0 && v < (long)(sizeof(signames) / sizeof(*signames)) && signames[v])
			tprintf("%s", signames[v]);
		else
			tprintf("%ld", v);
		break;
	case A_CLOCK:
		if (v >= 0 && v < (long)(sizeof(clocks) / sizeof(*clocks)) && clocks[v])
			tprintf("%s", clocks[v]);
		else
			tprintf("%ld", v);
		break;
	default: tprintf(v ? "%#lx" : "%ld", v);
	}
}

/* Error names, one blob and 16-bit offsets as the call names above (a
 * table of pointers was 1 KiB of the image on its own). */
/* clang-format off */
#define ERRNAMES(X)                                                                        \
	X(EPERM) X(ENOENT) X(ESRCH) X(EINTR) X(EIO) X(ENXIO) X(E2BIG) X(ENOEXEC) X(EBADF)  \
	X(ECHILD) X(EAGAIN) X(ENOMEM) X(EACCES) X(EFAULT) X(EBUSY) X(EEXIST) X(EXDEV)      \
	X(ENODEV) X(ENOTDIR) X(EISDIR) X(EINVAL) X(ENFILE) X(EMFILE) X(ENOTTY) X(EFBIG)    \
	X(ENOSPC) X(ESPIPE) X(EROFS) X(EMLINK) X(EPIPE) X(EDOM) X(ERANGE) X(EDEADLK)       \
	X(ENAMETOOLONG) X(ENOSYS) X(ENOTEMPTY) X(ELOOP) X(ETIMEDOUT) X(EOPNOTSUPP)         \
	X(ECONNREFUSED) X(ECONNRESET) X(EADDRINUSE) X(ENOTCONN) X(EINPROGRESS) X(EALREADY) \
	X(ENOTSOCK) X(EOVERFLOW) X(ENOTBLK) X(ETXTBSY) X(ENOLCK) X(ENOMSG) X(EIDRM)        \
	X(ENODATA) X(ETIME) X(EPROTO) X(EBADMSG) X(EBADFD) X(EILSEQ) X(EUSERS)             \
	X(EDESTADDRREQ) X(EMSGSIZE) X(EPROTOTYPE) X(ENOPROTOOPT) X(EPROTONOSUPPORT)        \
	X(ESOCKTNOSUPPORT) X(EPFNOSUPPORT) X(EAFNOSUPPORT) X(EADDRNOTAVAIL) X(ENETDOWN)    \
	X(ENETUNREACH) X(ENETRESET) X(ECONNABORTED) X(ENOBUFS) X(EISCONN) X(ESHUTDOWN)     \
	X(EHOSTDOWN) X(EHOSTUNREACH) X(ESTALE) X(EDQUOT) X(ECANCELED) X(EOWNERDEAD)        \
	X(ENOTRECOVERABLE)
/* clang-format on */

static const struct errnames {
	char none;
#define ERRNAME(e) char e##_[sizeof(#e)];
	ERRNAMES(ERRNAME)
#undef ERRNAME
} errnames = { 0,
#define ERRNAME(e) #e,
	       ERRNAMES(ERRNAME)
#undef ERRNAME
};

static const unsigned short errname_off[] = {
#define ERRNAME(e) [e] = offsetof(struct errnames, e##_),
	ERRNAMES(ERRNAME)
#undef ERRNAME
};

static const char *err_name(long e)
{
	return e > 0 && e < (long)(sizeof(errname_off) / sizeof(*errname_off)) && errname_off[e]
	           ? (const char *)&errnames + errname_off[e]
	           : 0;
}

static void trace_call(long nr, const long *a, long ret, int done, int linked)
{
	int n = sig_nargs(nr);
	const char *name = sys_name(nr);

	if (name)
		tprintf("[uk] %s(", name);
	else
		tprintf("[uk] syscall_%ld(", nr);
	for (int i = 0; i < n; i++) {
		if (i)
			uk_trace_put(", ", 2);
		targ(sig_kind(nr, i), a[i], a, ret);
	}
	if (!done)
		tprintf(") ...\n");
	else if (ret < 0 && ret > -4096) {
		long e = -ret;
		const char *ename = err_name(e);
		tprintf(") = -1 %s%s\n", ename ? ename : "E?",
		        e == ENOSYS && !linked ? " (not implemented by uk)" : "");
	} else if (ret > 4096 || ret < -4096) {
		tprintf(") = %#lx\n", ret);
	} else {
		tprintf(") = %ld\n", ret);
	}
}

long uk_syscall_traced(long nr, uk_syscall_fn fn, long a0, long a1, long a2, long a3, long a4,
                       long a5)
{
	long a[6] = { a0, a1, a2, a3, a4, a5 }, ret;

	if (nr == UK_NR_exit || nr == UK_NR_exit_group)
		trace_call(nr, a, 0, 0, 1);
	ret = fn ? fn(a0, a1, a2, a3, a4, a5) : -ENOSYS;
	trace_call(nr, a, ret, 1, fn != 0);
	return ret;
}

void uk_trace_efault(long nr, const long *a, int which)
{
	const char *name = sys_name(nr);
	int n = sig_nargs(nr);

	if (!uk_trace_on)
		return;
	/* the arguments as numbers: a string or buffer here is not readable */
	tprintf("[uk] %s(", name ? name : "syscall");
	for (int i = 0; i < n; i++)
		tprintf(i ? ", %#lx" : "%#lx", a[i]);
	if (which > 0)
		tprintf(") = -1 EFAULT (argument %d, %#lx, is not the program's memory)\n", which,
		        a[which - 1]);
	else
		tprintf(") = -1 EFAULT (a pointer inside argument structures is not the program's "
		        "memory)\n");
}
