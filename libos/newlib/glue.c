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
#include <uk/sched.h>
#include <uk/signal.h>
#include <uk/syscall.h>

#include "glue.h"

/* Linux errno value -> newlib's. */
static const unsigned char errno_map[] = {
	[1] = EPERM,
	[2] = ENOENT,
	[3] = ESRCH,
	[4] = EINTR,
	[5] = EIO,
	[6] = ENXIO,
	[7] = E2BIG,
	[8] = ENOEXEC,
	[9] = EBADF,
	[10] = ECHILD,
	[11] = EAGAIN,
	[12] = ENOMEM,
	[13] = EACCES,
	[14] = EFAULT,
	[15] = ENOTBLK,
	[16] = EBUSY,
	[17] = EEXIST,
	[18] = EXDEV,
	[19] = ENODEV,
	[20] = ENOTDIR,
	[21] = EISDIR,
	[22] = EINVAL,
	[23] = ENFILE,
	[24] = EMFILE,
	[25] = ENOTTY,
	[26] = ETXTBSY,
	[27] = EFBIG,
	[28] = ENOSPC,
	[29] = ESPIPE,
	[30] = EROFS,
	[31] = EMLINK,
	[32] = EPIPE,
	[33] = EDOM,
	[34] = ERANGE,
	[35] = EDEADLK,
	[36] = ENAMETOOLONG,
	[37] = ENOLCK,
	[38] = ENOSYS,
	[39] = ENOTEMPTY,
	[40] = ELOOP,
	[42] = ENOMSG,
	[43] = EIDRM,
	[44] = ECHRNG,
	[45] = EL2NSYNC,
	[46] = EL3HLT,
	[47] = EL3RST,
	[48] = ELNRNG,
	[49] = EUNATCH,
	[50] = ENOCSI,
	[51] = EL2HLT,
	[52] = EBADE,
	[53] = EBADR,
	[54] = EXFULL,
	[55] = ENOANO,
	[56] = EBADRQC,
	[57] = EBADSLT,
	[59] = EBFONT,
	[60] = ENOSTR,
	[61] = ENODATA,
	[62] = ETIME,
	[63] = ENOSR,
	[64] = ENONET,
	[65] = ENOPKG,
	[66] = EREMOTE,
	[67] = ENOLINK,
	[68] = EADV,
	[69] = ESRMNT,
	[70] = ECOMM,
	[71] = EPROTO,
	[72] = EMULTIHOP,
	[73] = EDOTDOT,
	[74] = EBADMSG,
	[75] = EOVERFLOW,
	[76] = ENOTUNIQ,
	[77] = EBADFD,
	[78] = EREMCHG,
	[79] = ELIBACC,
	[80] = ELIBBAD,
	[81] = ELIBSCN,
	[82] = ELIBMAX,
	[83] = ELIBEXEC,
	[84] = EILSEQ,
	[86] = ESTRPIPE,
	[87] = EUSERS,
	[88] = ENOTSOCK,
	[89] = EDESTADDRREQ,
	[90] = EMSGSIZE,
	[91] = EPROTOTYPE,
	[92] = ENOPROTOOPT,
	[93] = EPROTONOSUPPORT,
	[94] = ESOCKTNOSUPPORT,
	[95] = EOPNOTSUPP,
	[96] = EPFNOSUPPORT,
	[97] = EAFNOSUPPORT,
	[98] = EADDRINUSE,
	[99] = EADDRNOTAVAIL,
	[100] = ENETDOWN,
	[101] = ENETUNREACH,
	[102] = ENETRESET,
	[103] = ECONNABORTED,
	[104] = ECONNRESET,
	[105] = ENOBUFS,
	[106] = EISCONN,
	[107] = ENOTCONN,
	[108] = ESHUTDOWN,
	[109] = ETOOMANYREFS,
	[110] = ETIMEDOUT,
	[111] = ECONNREFUSED,
	[112] = EHOSTDOWN,
	[113] = EHOSTUNREACH,
	[114] = EALREADY,
	[115] = EINPROGRESS,
	[116] = ESTALE,
	[122] = EDQUOT,
	[123] = ENOMEDIUM,
	[125] = ECANCELED,
	[130] = EOWNERDEAD,
	[131] = ENOTRECOVERABLE,
};

long uk_ret(long r)
{
	if (uk_attention) /* a signal to deliver, or the time slice is over */
		uk_attention_work();
	if (r < 0 && r > -4096) {
		long e = -r;
		errno = e < (long)sizeof(errno_map) && errno_map[e] ? errno_map[e] : EINVAL;
		return -1;
	}
	return r;
}

/* ---- the memory break and the end, which newlib's own code calls ---- */

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
