/*
 * A Linux program's pointers, checked before its system call runs
 * (binary mode): a call given memory that is not the program's own fails
 * with EFAULT, as on Linux, instead of faulting inside the library OS.
 *
 * Why at the boundary rather than where the library OS touches the
 * memory: it touches it in hundreds of places, in the middle of its work
 * (a pipe's ring half read, a poller's entries on wait queues, a file
 * referenced, a signal mask swapped), and no point in there can be
 * unwound without leaving something held. Here nothing has happened yet.
 * A pointer is the program's when an area of its address space covers
 * every byte with the access the call makes (mm/uaccess.c): an unmapped
 * or PROT_NONE page, a read-only one the call would write, the library
 * OS's half, a non-canonical address, a length running off a mapping all
 * fail; a lazily mapped page passes and is committed by the call's first
 * touch, as before.
 *
 * Each pointer argument of the calls below has a row: which argument,
 * whether the call reads or writes it, and its size (fixed, or another
 * argument times an element's size). Pointers inside structures (iovecs,
 * msghdr, execve's argv, ...) and sizes that depend on another argument
 * are checked by hand after the table. A call without a row costs one
 * load (uk_binary_uaccess_rows).
 *
 * Where Linux differs: it checks only the bytes it touches, when it
 * touches them, so a bad buffer may end a call part way (a short read).
 * Here the data buffers of read, pread64, write, pwrite64, recvfrom,
 * getrandom and epoll_wait are cut to the part that is the program's (a
 * short count where Linux also gives one, and no data lost: the call
 * consumes only what fits); every other pointer must be whole, else the
 * call fails before doing anything (Linux may have done part of it),
 * except a length no buffer has (negative, or past 16 MiB), cut as a data
 * buffer's is: a call must never run on from the program's memory into
 * the library OS's. What a thread's end touches later (its
 * CLONE_CHILD_CLEARTID word, its robust list) is named here but checked
 * again then (kernel/sched.c, sys/sys_thread.c): it may be unmapped. A
 * bad pointer wins over other errors (read(-1, NULL, 1) is EBADF on
 * Linux, EFAULT here). A pointer made bad while the call sleeps (another
 * thread's munmap) is not caught here: that fault ends the process
 * (arch/x86_64/exception.c).
 */
#include <uk/arch.h>
#include <uk/binary.h>
#include <uk/linux.h>
#include <uk/print.h>
#include <uk/syscall.h>
#include <uk/vm.h>

enum {
	R = 0,
	W = 1,     /* the call writes (else it only reads) */
	NUL = 2,   /* NULL is the call's to answer ("none", or EINVAL) */
	CLAMP = 4, /* a data buffer: the call gets the part that is the program's */
	STR = 8,   /* a C string (a path) */
	INT = 16,  /* the length argument is an int (else as long as a pointer) */
	/* select's, pselect6's and ppoll's timeout: read, and written back
	 * only where the program may write (Linux ignores a failed write-back,
	 * so a const timeout in read-only data works): else the call gets a
	 * copy */
	BACK = 32,
};
#define NOLEN 7 /* the size is fixed */

struct row {
	unsigned short nr;
	unsigned char arg, how, len_arg;
	unsigned short size; /* bytes, or an element's size with len_arg */
};

#define P(name, arg, how, size)                     \
	{                                           \
		UK_NR_##name, arg, how, NOLEN, size \
	}
#define N(name, arg, how, len_arg, elem)              \
	{                                             \
		UK_NR_##name, arg, how, len_arg, elem \
	}
#define S(name, arg)                             \
	{                                        \
		UK_NR_##name, arg, STR, NOLEN, 0 \
	}

/* Sorted by number. Sizes are x86-64 Linux's structures. */
static const struct row rows[] = {
	N(read, 1, W | CLAMP, 2, 1),
	N(write, 1, R | CLAMP, 2, 1),
	S(open, 0),
	S(stat, 0),
	P(stat, 1, W, 144),
	P(fstat, 1, W, 144),
	S(lstat, 0),
	P(lstat, 1, W, 144),
	N(poll, 0, W, 1, 8),
	P(rt_sigaction, 1, R | NUL, 32),
	P(rt_sigaction, 2, W | NUL, 32),
	P(rt_sigprocmask, 1, R | NUL, 8),
	P(rt_sigprocmask, 2, W | NUL, 8),
	N(pread64, 1, W | CLAMP, 2, 1),
	N(pwrite64, 1, R | CLAMP, 2, 1),
	S(access, 0),
	P(pipe, 0, W, 8),
	P(select, 4, BACK | NUL, 16),
	P(nanosleep, 0, R, 16),
	P(nanosleep, 1, W | NUL, 16),
	P(getitimer, 1, W, 32),
	P(setitimer, 1, R | NUL, 32),
	P(setitimer, 2, W | NUL, 32),
	P(sendfile, 2, W | NUL, 8),
	N(connect, 1, R | INT, 2, 1),
	N(sendto, 1, R, 2, 1),
	N(sendto, 4, R | NUL | INT, 5, 1),
	N(recvfrom, 1, W | CLAMP, 2, 1),
	N(bind, 1, R | INT, 2, 1),
	P(socketpair, 3, W, 8),
	N(setsockopt, 3, R | INT, 4, 1),
	S(execve, 0),
	P(wait4, 1, W | NUL, 4),
	P(wait4, 3, W | NUL, 144),
	P(uname, 0, W, 390),
	S(truncate, 0),
	N(getcwd, 0, W, 1, 1),
	S(chdir, 0),
	S(rename, 0),
	S(rename, 1),
	S(mkdir, 0),
	S(rmdir, 0),
	S(creat, 0),
	S(link, 0),
	S(link, 1),
	S(unlink, 0),
	S(symlink, 0),
	S(symlink, 1),
	S(readlink, 0),
	N(readlink, 1, W | INT, 2, 1),
	S(chmod, 0),
	S(chown, 0),
	S(lchown, 0),
	P(gettimeofday, 0, W | NUL, 16),
	P(gettimeofday, 1, W | NUL, 8),
	P(getrlimit, 1, W, 16),
	P(getrusage, 1, W, 144),
	P(sysinfo, 0, W, 112),
	P(times, 0, W | NUL, 32),
	N(getgroups, 1, W | INT, 0, 4),
	N(setgroups, 1, R | INT, 0, 4),
	P(getresuid, 0, W, 4),
	P(getresuid, 1, W, 4),
	P(getresuid, 2, W, 4),
	P(getresgid, 0, W, 4),
	P(getresgid, 1, W, 4),
	P(getresgid, 2, W, 4),
	P(rt_sigpending, 0, W, 8),
	P(rt_sigtimedwait, 0, R, 8),
	P(rt_sigtimedwait, 1, W | NUL, 128),
	P(rt_sigtimedwait, 2, R | NUL, 16),
	P(rt_sigqueueinfo, 2, R, 128),
	P(rt_sigsuspend, 0, R, 8),
	P(sigaltstack, 0, R | NUL, 24),
	P(sigaltstack, 1, W | NUL, 24),
	S(mknod, 0),
	S(statfs, 0),
	P(statfs, 1, W, 120),
	P(fstatfs, 1, W, 120),
	P(setrlimit, 1, R, 16),
	S(chroot, 0),
	P(time, 0, W | NUL, 8),
	N(sched_setaffinity, 2, R | INT, 1, 1),
	N(sched_getaffinity, 2, W | INT, 1, 1),
	N(getdents64, 1, W | CLAMP, 2, 1),
	P(clock_settime, 1, R, 16),
	P(clock_gettime, 1, W, 16),
	P(clock_getres, 1, W | NUL, 16),
	P(clock_nanosleep, 2, R, 16),
	P(clock_nanosleep, 3, W | NUL, 16),
	N(epoll_wait, 1, W | CLAMP | INT, 2, 12),
	P(waitid, 2, W | NUL, 128),
	P(waitid, 4, W | NUL, 144),
	S(inotify_add_watch, 1),
	S(openat, 1),
	S(mkdirat, 1),
	S(mknodat, 1),
	S(fchownat, 1),
	S(newfstatat, 1),
	P(newfstatat, 2, W, 144),
	S(unlinkat, 1),
	S(renameat, 1),
	S(renameat, 3),
	S(linkat, 1),
	S(linkat, 3),
	S(symlinkat, 0),
	S(symlinkat, 2),
	S(readlinkat, 1),
	N(readlinkat, 2, W | INT, 3, 1),
	S(fchmodat, 1),
	S(faccessat, 1),
	P(pselect6, 4, BACK | NUL, 16),
	P(pselect6, 5, R | NUL, 16),
	N(ppoll, 0, W, 1, 8),
	P(ppoll, 2, BACK | NUL, 16),
	P(ppoll, 3, R | NUL, 8),
	N(epoll_pwait, 1, W | CLAMP | INT, 2, 12),
	P(epoll_pwait, 4, R | NUL, 8),
	P(timerfd_settime, 2, R, 32),
	P(timerfd_settime, 3, W | NUL, 32),
	P(timerfd_gettime, 1, W, 32),
	P(signalfd4, 1, R, 8),
	P(pipe2, 0, W, 8),
	P(prlimit64, 2, R | NUL, 16),
	P(prlimit64, 3, W | NUL, 16),
	P(getcpu, 0, W | NUL, 4),
	P(getcpu, 1, W | NUL, 4),
	S(renameat2, 1),
	S(renameat2, 3),
	N(getrandom, 0, W | CLAMP, 1, 1),
	S(memfd_create, 0),
	S(statx, 1),
	P(statx, 4, W, 256),
	S(faccessat2, 1),
	S(utime, 0),
	P(utime, 1, R | NUL, 16),
	S(utimes, 0),
	P(utimes, 1, R | NUL, 32),
	P(utimensat, 2, R | NUL, 32),
	S(getxattr, 0),
	S(getxattr, 1),
	N(getxattr, 2, W | CLAMP, 3, 1),
	S(lgetxattr, 0),
	S(lgetxattr, 1),
	N(lgetxattr, 2, W | CLAMP, 3, 1),
	S(fgetxattr, 1),
	N(fgetxattr, 2, W | CLAMP, 3, 1),
	S(setxattr, 0),
	S(setxattr, 1),
	N(setxattr, 2, R, 3, 1),
	S(lsetxattr, 0),
	S(lsetxattr, 1),
	N(lsetxattr, 2, R, 3, 1),
	S(fsetxattr, 1),
	N(fsetxattr, 2, R, 3, 1),
	S(listxattr, 0),
	N(listxattr, 1, W | CLAMP, 2, 1),
	S(llistxattr, 0),
	N(llistxattr, 1, W | CLAMP, 2, 1),
	N(flistxattr, 1, W | CLAMP, 2, 1),
	S(removexattr, 0),
	S(removexattr, 1),
	S(lremovexattr, 0),
	S(lremovexattr, 1),
	S(fremovexattr, 1),
	S(umount2, 0),
	N(sethostname, 0, R | INT, 1, 1),
	P(sched_setparam, 1, R | NUL, 4),
	P(sched_getparam, 1, W | NUL, 4),
	P(timer_settime, 2, R | NUL, 32),
	P(timer_settime, 3, W | NUL, 32),
	P(timer_gettime, 1, W, 32),
	P(rt_tgsigqueueinfo, 3, R, 128),
	P(pidfd_send_signal, 2, R | NUL, 128),
	P(copy_file_range, 1, W | NUL, 8),
	P(copy_file_range, 3, W | NUL, 8),
	N(epoll_pwait2, 1, W | CLAMP | INT, 2, 12),
	P(epoll_pwait2, 3, R | NUL, 16),
	P(epoll_pwait2, 4, R | NUL, 8),
	N(semop, 1, R, 2, 6),
	N(getdents, 1, W | CLAMP, 2, 1),
	P(capget, 0, W, 8),
	P(capget, 1, W | NUL, 24),
	P(capset, 0, R, 8),
	P(capset, 1, R | NUL, 24),
	P(settimeofday, 0, R | NUL, 16),
	P(settimeofday, 1, R | NUL, 8),
	P(set_tid_address, 0, W | NUL, 4),
	N(semtimedop, 1, R, 2, 6),
	P(semtimedop, 3, R | NUL, 16),
	P(timer_create, 1, R | NUL, 64),
	P(timer_create, 2, W, 4),
	P(get_robust_list, 1, W, 8),
	P(get_robust_list, 2, W, 8),
	P(signalfd, 1, R, 8),
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))
_Static_assert(NROWS < 255, "rows outgrew their 8-bit index");

/* Per call number, its first row + 1, 0 when it has none: built at boot
 * (uk_binary_uaccess_init), so the table above stays one sorted list. */
unsigned char uk_binary_uaccess_rows[UK_NR_MAX];

/* Calls checked by hand (below) with no row: marked so they are not
 * skipped. */
#define HAND 255
static const unsigned short by_hand[] = {
	UK_NR_ioctl,    UK_NR_readv,    UK_NR_writev,      UK_NR_select,      UK_NR_accept,
	UK_NR_sendmsg,  UK_NR_recvmsg,  UK_NR_getsockname, UK_NR_getpeername, UK_NR_getsockopt,
	UK_NR_execve,   UK_NR_futex,    UK_NR_epoll_ctl,   UK_NR_pselect6,    UK_NR_accept4,
	UK_NR_preadv,   UK_NR_pwritev,  UK_NR_recvfrom,    UK_NR_execveat,    UK_NR_fcntl,
	UK_NR_mincore,  UK_NR_prctl,    UK_NR_arch_prctl,  UK_NR_clone,       UK_NR_clone3,
	UK_NR_sendmmsg, UK_NR_recvmmsg, UK_NR_msgsnd,      UK_NR_msgrcv,
};

void uk_binary_uaccess_init(void)
{
	for (unsigned i = NROWS; i-- > 0;)
		uk_binary_uaccess_rows[rows[i].nr] = (unsigned char)(i + 1);
	for (unsigned i = 0; i < sizeof(by_hand) / sizeof(by_hand[0]); i++)
		if (!uk_binary_uaccess_rows[by_hand[i]])
			uk_binary_uaccess_rows[by_hand[i]] = HAND;
}

/* Whether [p, p + len) is the program's with that access (len 0 always). */
static int ok(uint64_t p, uint64_t len, int write)
{
	return !len || uk_vm_user_span(p, len, write) == len;
}

/* A path: PATH_MAX bytes and one more, past which the call refuses it. */
static int ok_str(uint64_t p) { return uk_vm_user_str(p, 4097) == 0; }

/* A data buffer of len bytes: its length argument cut to the part that
 * is the program's (never raised); -1 when no element is. */
static int cut(const struct row *w, long *a, uint64_t p, uint64_t len)
{
	if (!len)
		return 0;
	len = uk_vm_user_span(p, len, w->how & W) / w->size;
	if (!len)
		return -1;
	if (len < (uint64_t)a[w->len_arg])
		a[w->len_arg] = (long)len; /* what the call may use */
	return 0;
}

/* One row: 0, or -1 when the pointer is bad. */
static int check_row(const struct row *w, long *a, uint64_t *spare)
{
	uint64_t p = (uint64_t)a[w->arg], len = w->size;

	if (!p && (w->how & NUL))
		return 0;
	if (w->how & STR)
		return ok_str(p) ? 0 : -1;
	if (w->how & BACK) {
		if (!ok(p, 16, 0))
			return -1;
		if (!ok(p, 16, 1)) {
			spare[0] = ((const uint64_t *)p)[0];
			spare[1] = ((const uint64_t *)p)[1];
			a[w->arg] = (long)spare;
		}
		return 0;
	}
	if (w->len_arg != NOLEN) {
		uint64_t n = (uint64_t)a[w->len_arg];
		if (w->how & INT)
			n = (uint64_t)(int64_t)(int)n;
		/* a negative int the call refuses (EINVAL), but only after p
		 * starts in the program's memory: whatever the call then does
		 * runs into a hole or the non-canonical gap, never the library
		 * OS's half */
		if ((w->how & INT) && (int64_t)n < 0)
			return ok(p, 1, w->how & W) ? 0 : -1;
		len = n > UK_VM_END / w->size ? UK_VM_END : n * w->size;
		/* a length no buffer has (getcwd's or sendto's may be huge,
		 * the call using what it needs): cut as a data buffer's is */
		if (n > (1u << 24))
			return cut(w, a, p, len);
	}
	if (!(w->how & CLAMP))
		return ok(p, len, w->how & W) ? 0 : -1;
	return cut(w, a, p, len);
}

/* An iovec array of n entries: the array read, each base with access. */
static int ok_iov(uint64_t iov, uint64_t n, int write)
{
	if (n > 1024)
		return 1; /* the call refuses it (EINVAL) */
	if (!ok(iov, n * 16, 0))
		return 0;
	for (uint64_t i = 0; i < n; i++) {
		const uint64_t *v = (const uint64_t *)(iov + i * 16);
		/* (a negative length, which the call may not refuse: at least
		 * where it starts) */
		if (!ok(v[0], (int64_t)v[1] < 0 ? 1 : v[1], write))
			return 0;
	}
	return 1;
}

/* A msghdr: name, iovecs and control, written by recvmsg (as are the
 * header's lengths and flags). */
static int ok_msghdr(uint64_t m, int recv)
{
	const uint64_t *h = (const uint64_t *)m;

	if (!ok(m, 56, recv))
		return 0;
	return (!h[0] || ok(h[0], (uint32_t)h[1], recv)) && ok_iov(h[2], h[3], recv) &&
	       (!h[4] || ok(h[4], h[5], recv));
}

/* execve's argv or envp: NULL-ended pointers to strings (NULL: none). */
static int ok_strv(uint64_t v)
{
	for (uint64_t i = 0; v && i < (1u << 20); i++) {
		uint64_t s;
		if (!ok(v + i * 8, 8, 0))
			return 0;
		if (!(s = *(const uint64_t *)(v + i * 8)))
			return 1;
		if (uk_vm_user_str(s, 131073)) /* MAX_ARG_STRLEN and one more */
			return 0;
	}
	return 1;
}

/* An address buffer and its length's word (accept, recvfrom,
 * getsockopt's value): *lenp read and written, the buffer written up to
 * *lenp (a negative one the call refuses). */
static int ok_addr(uint64_t addr, uint64_t lenp)
{
	int len;

	if (!ok(lenp, 4, 1))
		return 0;
	len = *(const int *)lenp;
	return ok(addr, len < 0 ? 1 : (uint64_t)len, 1); /* (a negative one: refused) */
}

/* ioctl's argument, by request: the ones whose layout is fixed. */
static int ok_ioctl(uint64_t req, uint64_t arg)
{
	switch ((uint32_t)req) {
	case 0x541b: /* FIONREAD */
	case 0x540f: /* TIOCGPGRP */
	case 0x80045430: /* TIOCGPTN */ return ok(arg, 4, 1);
	case 0x5421: /* FIONBIO */
	case 0x5410: /* TIOCSPGRP */
	case 0x40045431: /* TIOCSPTLCK */ return ok(arg, 4, 0);
	case 0x5401: /* TCGETS: struct termios */ return ok(arg, 36, 1);
	case 0x5402: /* TCSETS, TCSETSW, TCSETSF */
	case 0x5403:
	case 0x5404: return ok(arg, 36, 0);
	case 0x5413: /* TIOCGWINSZ */ return ok(arg, 8, 1);
	case 0x5414: /* TIOCSWINSZ */ return ok(arg, 8, 0);
	}
	return 1;
}

/* select's three fd_sets, each of nfds bits in whole longs. */
static int ok_fdsets(long *a)
{
	int n = (int)a[0];
	/* (a larger n the call cuts to its table's 65536) */
	uint64_t bytes = n > 0 ? ((uint64_t)(n < (1 << 16) ? n : 1 << 16) + 63) / 64 * 8 : 0;

	for (int i = 1; i <= 3; i++)
		if (a[i] && !ok((uint64_t)a[i], bytes, 1))
			return 0;
	return 1;
}

/* fcntl's record locks: struct flock, read, and written by the GETLKs. */
static int ok_fcntl(int cmd, uint64_t arg)
{
	switch (cmd) {
	case 5: /* F_GETLK */
	case 36: /* F_OFD_GETLK */ return ok(arg, 32, 1);
	case 6: /* F_SETLK, F_SETLKW, F_OFD_SETLK, F_OFD_SETLKW */
	case 7:
	case 37:
	case 38: return ok(arg, 32, 0);
	}
	return 1;
}

static int ok_futex(long *a)
{
	int cmd = (int)a[1] & 127;

	switch (cmd) {
	case 0: /* FUTEX_WAIT */
	case 9: /* FUTEX_WAIT_BITSET */
		return ok((uint64_t)a[0], 4, 0) && (!a[3] || ok((uint64_t)a[3], 16, 0));
	case 4: /* FUTEX_CMP_REQUEUE */ return ok((uint64_t)a[0], 4, 0) && ok((uint64_t)a[4], 4, 0);
	case 5: /* FUTEX_WAKE_OP */ return ok((uint64_t)a[4], 4, 1);
	case 6:  /* FUTEX_LOCK_PI */
	case 13: /* FUTEX_LOCK_PI2 */
		return ok((uint64_t)a[0], 4, 1) && (!a[3] || ok((uint64_t)a[3], 16, 0));
	case 7: /* FUTEX_UNLOCK_PI: read first (not the owner: EPERM) */
		return ok((uint64_t)a[0], 4, 0);
	case 8: /* FUTEX_TRYLOCK_PI */ return ok((uint64_t)a[0], 4, 1);
	}
	/* FUTEX_WAKE of a private futex never touches it (Linux: 0) */
	return 1;
}

/* clone's and clone3's words for the new thread's id (written now, and
 * CLONE_CHILD_CLEARTID's when the thread ends) and CLONE_PIDFD's. */
#define CLONE_PIDFD_ 0x1000
#define CLONE_PARENT_SETTID_ 0x100000
#define CLONE_CHILD_CLEARTID_ 0x200000
#define CLONE_CHILD_SETTID_ 0x1000000
static int ok_clone(uint64_t flags, uint64_t pidfd, uint64_t ptid, uint64_t ctid)
{
	return (!(flags & CLONE_PIDFD_) || ok(pidfd, 4, 1)) &&
	       (!(flags & CLONE_PARENT_SETTID_) || ok(ptid, 4, 1)) &&
	       (!(flags & (CLONE_CHILD_SETTID_ | CLONE_CHILD_CLEARTID_)) || ok(ctid, 4, 1));
}

static int ok_clone3(uint64_t ua, uint64_t size)
{
	const uint64_t *c = (const uint64_t *)ua; /* flags, pidfd, child_tid, parent_tid */

	if (size < 64 || size > 4096)
		return 1; /* the call refuses it */
	return ok(ua, size, 0) && ok_clone(c[0], c[1], c[3], c[2]);
}

/* sendmmsg's and recvmmsg's array: each msghdr, and its msg_len written. */
static int ok_mmsg(uint64_t v, uint64_t n, int recv)
{
	if (n > 1024)
		n = 1024; /* (the call's UIO_MAXIOV) */
	if (!ok(v, n * 64, 1))
		return 0;
	for (uint64_t i = 0; i < n; i++)
		if (!ok_msghdr(v + i * 64, recv))
			return 0;
	return 1;
}

/* (no message is longer than 8 KiB: msgsnd refuses a longer one) */
static uint64_t msg_len(long len) { return (uint64_t)len < 8192 ? (uint64_t)len : 0; }

static int by_hand_ok(long nr, long *a)
{
	switch (nr) {
	case UK_NR_ioctl: return ok_ioctl((uint64_t)a[1], (uint64_t)a[2]);
	case UK_NR_readv:
	case UK_NR_preadv: return ok_iov((uint64_t)a[1], (uint64_t)a[2], 1);
	case UK_NR_writev:
	case UK_NR_pwritev: return ok_iov((uint64_t)a[1], (uint64_t)a[2], 0);
	case UK_NR_select:
	case UK_NR_pselect6: return ok_fdsets(a);
	case UK_NR_accept:
	case UK_NR_accept4: return !a[1] || ok_addr((uint64_t)a[1], (uint64_t)a[2]);
	case UK_NR_recvfrom: return !a[4] || ok_addr((uint64_t)a[4], (uint64_t)a[5]);
	case UK_NR_getsockname:
	case UK_NR_getpeername: return ok_addr((uint64_t)a[1], (uint64_t)a[2]);
	case UK_NR_getsockopt: return ok_addr((uint64_t)a[3], (uint64_t)a[4]);
	case UK_NR_sendmsg: return ok_msghdr((uint64_t)a[1], 0);
	case UK_NR_recvmsg: return ok_msghdr((uint64_t)a[1], 1);
	case UK_NR_execve: return ok_strv((uint64_t)a[1]) && ok_strv((uint64_t)a[2]);
	case UK_NR_execveat:
		return ok_str((uint64_t)a[1]) && ok_strv((uint64_t)a[2]) && ok_strv((uint64_t)a[3]);
	case UK_NR_futex: return ok_futex(a);
	case UK_NR_clone:
		return ok_clone((uint64_t)a[0], (uint64_t)a[2], (uint64_t)a[2], (uint64_t)a[3]);
	case UK_NR_clone3: return ok_clone3((uint64_t)a[0], (uint64_t)a[1]);
	case UK_NR_sendmmsg: return ok_mmsg((uint64_t)a[1], (uint32_t)a[2], 0);
	case UK_NR_recvmmsg: return ok_mmsg((uint64_t)a[1], (uint32_t)a[2], 1);
	/* (the type, then the text) */
	case UK_NR_msgsnd: return ok((uint64_t)a[1], 8 + msg_len(a[2]), 0);
	case UK_NR_msgrcv:
		return ok((uint64_t)a[1], 8 + ((uint64_t)a[2] < 8192 ? (uint64_t)a[2] : 8192), 1);
	case UK_NR_epoll_ctl: return a[1] == 2 /* EPOLL_CTL_DEL */ || ok((uint64_t)a[3], 12, 0);
	case UK_NR_fcntl: return ok_fcntl((int)a[1], (uint64_t)a[2]);
	case UK_NR_mincore:
		/* a byte a page of [addr, addr + len) */
		return (uint64_t)a[1] > UK_VM_END ||
		       ok((uint64_t)a[2], ((uint64_t)a[1] + 4095) / 4096, 1);
	case UK_NR_prctl:
		if (a[0] == 15) /* PR_SET_NAME: up to 16 bytes */
			return uk_vm_user_str((uint64_t)a[1], 16) == 0;
		return a[0] != 16 /* PR_GET_NAME */ || ok((uint64_t)a[1], 16, 1);
	case UK_NR_arch_prctl:
		/* ARCH_GET_FS, ARCH_GET_GS write the base */
		return (a[0] != 0x1003 && a[0] != 0x1004) || ok((uint64_t)a[1], 8, 1);
	}
	return 1;
}

int uk_binary_uaccess(long nr, long *a, uint64_t *spare)
{
	unsigned i = uk_binary_uaccess_rows[nr];

	if (i != HAND) {
		for (const struct row *w = &rows[i - 1]; w < rows + NROWS && w->nr == nr; w++)
			if (check_row(w, a, spare))
				return w->arg + 1;
	}
	return by_hand_ok(nr, a) ? 0 : -1;
}
