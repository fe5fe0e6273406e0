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
 * A structure holding pointers the call follows (an iovec array, a
 * msghdr, clone3's arguments) is copied once into library OS memory and
 * checked there, and the call given the copy (struct uk_ucopy), as
 * Linux's import_iovec and copy_msghdr_from_user: checked where it lies,
 * it could be changed by another thread while the call sleeps (a writev
 * to a full pipe), a base swapped for the library OS's address.
 * sendmmsg's and recvmmsg's headers are copied each at its turn
 * (uk_binary_mmsg), execve's argv and envp a string pointer at a time as
 * they are copied (binary.c). Up to 8 iovecs need no allocation.
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
 * (arch/x86_64/exception.c), but for copies made with uk_copy_user (a
 * pipe's data, poll's results), which fail with EFAULT as on Linux.
 */
#include <uk/arch.h>
#include <uk/binary.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/mm.h>
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
	P(sched_setscheduler, 2, R | NUL, 4),
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

/* An iovec array of n entries at *iov: copied (to c->fast, or c->heap
 * when longer), *iov pointed at the copy, and each base checked in the
 * copy with the access the call makes; 0 when one is bad. The call reads
 * only the copy: the program's array could be changed by another thread
 * while the call sleeps (a writev to a full pipe), a base swapped for an
 * address of the library OS's. */
static int import_iov(struct uk_ucopy *c, uint64_t *iov, uint64_t n, int write)
{
	uint64_t *v = c->fast;

	if (!n || n > 1024)
		return 1; /* the call reads none, or refuses n (EINVAL, EMSGSIZE) */
	if (!ok(*iov, n * 16, 0))
		return 0;
	if (n > UK_UCOPY_FASTIOV && !(v = c->heap = uk_kmalloc(n * 16))) {
		c->ret = -ENOMEM;
		return 1;
	}
	uk_memcpy(v, (const void *)*iov, n * 16);
	*iov = (uint64_t)v;
	for (uint64_t i = 0; i < n; i++)
		/* (a negative length, which the call may not refuse: at least
		 * where it starts) */
		if (!ok(v[2 * i], (int64_t)v[2 * i + 1] < 0 ? 1 : v[2 * i + 1], write))
			return 0;
	return 1;
}

/* A msghdr at *m: copied to c->hdr with its iovecs, *m pointed at the
 * copy, and its name, iovecs and control checked in the copy (written by
 * recvmsg, as are the header's lengths and flags: c->back keeps the
 * program's header for them). The control messages sendmsg reads are
 * parsed a header at a time into a copy (net/socket_cmsg.c), bounded by
 * the copied length. */
static int import_msghdr(struct uk_ucopy *c, long *m, int recv)
{
	uint64_t *h = c->hdr;

	if (!ok((uint64_t)*m, 56, recv))
		return 0;
	uk_memcpy(h, (const void *)*m, 56);
	if ((h[0] && !ok(h[0], (uint32_t)h[1], recv)) || (h[4] && !ok(h[4], h[5], recv)) ||
	    !import_iov(c, &h[2], h[3], recv))
		return 0;
	if (recv)
		c->back = (uint64_t)*m;
	*m = (long)h;
	return 1;
}

long uk_binary_uaccess_done(struct uk_ucopy *c, long ret)
{
	uint64_t *m = (uint64_t *)c->back;

	uk_kfree(c->heap);
	c->heap = NULL;
	if (!m || ret < 0)
		return ret;
	/* (the call may have slept: the header may not be the program's
	 * any more; nothing sleeps from here on) */
	if (!ok((uint64_t)m, 56, 1))
		return -EFAULT;
	((uint32_t *)m)[2] = (uint32_t)c->hdr[1];  /* msg_namelen */
	m[5] = c->hdr[5];                          /* msg_controllen */
	((uint32_t *)m)[12] = (uint32_t)c->hdr[6]; /* msg_flags */
	return ret;
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

/* clone3's arguments: the known part (88 bytes, CLONE_ARGS_SIZE_VER2)
 * copied to c->fast and checked there, the call given the copy; a later
 * field it does not know must be zero (E2BIG, as the call says). */
#define CLONE_ARGS_KNOWN 88
static int import_clone3(struct uk_ucopy *c, long *a)
{
	uint64_t ua = (uint64_t)a[0], size = (uint64_t)a[1], *k = c->fast;
	uint64_t n = size < CLONE_ARGS_KNOWN ? size : CLONE_ARGS_KNOWN;

	if (size < 64 || size > 4096)
		return 1; /* the call refuses it */
	if (!ok(ua, size, 0))
		return 0;
	uk_memcpy(k, (const void *)ua, n);
	for (uint64_t i = n; i < size; i++)
		if (((const unsigned char *)ua)[i]) {
			c->ret = -E2BIG;
			return 1;
		}
	a[0] = (long)k;
	a[1] = (long)n;
	return ok_clone(k[0], k[1], k[3], k[2]);
}

/* One message of sendmmsg's or recvmmsg's, from a copy of its header
 * made when its turn comes; its msg_len written. */
static long mmsg_one(int recv, long fd, uint64_t hdr, long flags)
{
	struct uk_ucopy c;
	long m = (long)hdr, r;

	c.ret = 0, c.heap = NULL, c.back = 0;
	if (!ok(hdr + 56, 4, 1) || !import_msghdr(&c, &m, recv))
		r = -EFAULT;
	else if (c.ret)
		r = c.ret;
	else
		r = recv ? uk_sys_recvmsg(fd, m, flags, 0, 0, 0)
		         : uk_sys_sendmsg(fd, m, flags, 0, 0, 0);
	r = uk_binary_uaccess_done(&c, r);
	/* (the call may have slept: msg_len may not be the program's now) */
	if (r >= 0 && !ok(hdr + 56, 4, 1))
		r = -EFAULT;
	if (r >= 0)
		*(uint32_t *)(hdr + 56) = (uint32_t)r;
	return r;
}

/* As net/socket.c's sendmmsg and recvmmsg, a message at a time: after the
 * first, recvmmsg takes only what has come (MSG_DONTWAIT); a failure
 * after one ends the count, as on Linux (a bad header too). */
static long mmsg(int recv, long fd, long v, long n, long flags)
{
	unsigned i;
	long r = 0;

	for (i = 0; i < (unsigned)n && i < 1024; i++) {
		r = mmsg_one(recv, fd, (uint64_t)v + i * 64,
		             i && recv ? flags | 0x40 /* MSG_DONTWAIT */ : flags);
		if (r < 0)
			break;
	}
	return i ? (long)i : r;
}

static long sendmmsg(long fd, long v, long n, long flags, long u4, long u5)
{
	(void)u4, (void)u5;
	return mmsg(0, fd, v, n, flags);
}

static long recvmmsg(long fd, long v, long n, long flags, long timeout, long u5)
{
	(void)u5;
	if (timeout)
		return -EOPNOTSUPP; /* the timeout form is not implemented */
	return mmsg(1, fd, v, n, flags);
}

long uk_binary_mmsg(long nr, const long *a)
{
	uk_syscall_fn fn = nr == UK_NR_recvmmsg ? recvmmsg : sendmmsg;

	if (uk_trace_on)
		return uk_syscall_traced(nr, fn, a[0], a[1], a[2], a[3], a[4], a[5]);
	return fn(a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* (no message is longer than 8 KiB: msgsnd refuses a longer one) */
static uint64_t msg_len(long len) { return (uint64_t)len < 8192 ? (uint64_t)len : 0; }

static int by_hand_ok(long nr, long *a, struct uk_ucopy *c)
{
	switch (nr) {
	case UK_NR_ioctl: return ok_ioctl((uint64_t)a[1], (uint64_t)a[2]);
	/* (the count is an int: a negative one the call refuses) */
	case UK_NR_readv:
	case UK_NR_preadv: return import_iov(c, (uint64_t *)&a[1], (uint64_t)(int)a[2], 1);
	case UK_NR_writev:
	case UK_NR_pwritev: return import_iov(c, (uint64_t *)&a[1], (uint64_t)(int)a[2], 0);
	case UK_NR_select:
	case UK_NR_pselect6: return ok_fdsets(a);
	case UK_NR_accept:
	case UK_NR_accept4: return !a[1] || ok_addr((uint64_t)a[1], (uint64_t)a[2]);
	case UK_NR_recvfrom: return !a[4] || ok_addr((uint64_t)a[4], (uint64_t)a[5]);
	case UK_NR_getsockname:
	case UK_NR_getpeername: return ok_addr((uint64_t)a[1], (uint64_t)a[2]);
	case UK_NR_getsockopt: return ok_addr((uint64_t)a[3], (uint64_t)a[4]);
	case UK_NR_sendmsg: return import_msghdr(c, &a[1], 0);
	case UK_NR_recvmsg: return import_msghdr(c, &a[1], 1);
	case UK_NR_execve: return ok_strv((uint64_t)a[1]) && ok_strv((uint64_t)a[2]);
	case UK_NR_execveat:
		return ok_str((uint64_t)a[1]) && ok_strv((uint64_t)a[2]) && ok_strv((uint64_t)a[3]);
	case UK_NR_futex: return ok_futex(a);
	case UK_NR_clone:
		return ok_clone((uint64_t)a[0], (uint64_t)a[2], (uint64_t)a[2], (uint64_t)a[3]);
	case UK_NR_clone3: return import_clone3(c, a);
	/* (each header is copied and checked at its turn: uk_binary_mmsg) */
	case UK_NR_sendmmsg:
	case UK_NR_recvmmsg:
		return ok((uint64_t)a[1], ((uint32_t)a[2] < 1024 ? (uint32_t)a[2] : 1024) * 64, 1);
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

int uk_binary_uaccess(long nr, long *a, struct uk_ucopy *c)
{
	unsigned i = uk_binary_uaccess_rows[nr];

	if (i != HAND) {
		for (const struct row *w = &rows[i - 1]; w < rows + NROWS && w->nr == nr; w++)
			if (check_row(w, a, c->spare))
				return w->arg + 1;
	}
	return by_hand_ok(nr, a, c) ? 0 : -1;
}
