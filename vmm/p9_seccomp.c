/*
 * The gofer's seccomp allow-list, installed by each of its threads (and
 * the 9P device's queue thread) on itself, on top of ukrun's own
 * (seccomp.c, which allows all of this list when a share exists).
 * Anything else ends ukrun: a gofer that tries to exec, connect, mknod or
 * ptrace has been taken over, and must not get a second try. The call
 * traps (SIGSYS) so that ukrun's handler names it before ukrun exits;
 * without that handler SIGSYS kills as SECCOMP_RET_KILL_PROCESS would.
 * One reason per line.
 */
#include <errno.h>
#include <seccomp.h>
#include <stddef.h>

#include "p9_int.h"

#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif

const int p9s_seccomp_calls[] = {
	/* files of the share, always relative to a confined descriptor */
	SCMP_SYS(openat2),    /* path resolution beneath the share's root */
	SCMP_SYS(openat),     /* the O_NOFOLLOW walk where openat2 is missing */
	SCMP_SYS(close),      /* descriptors of clunked fids */
	SCMP_SYS(newfstatat), /* Tgetattr, qids (glibc's fstat) */
	SCMP_SYS(fstat),      /* older glibc's fstat */
	SCMP_SYS(fstatfs),    /* Tstatfs */
	SCMP_SYS(getdents64), /* Treaddir */
	SCMP_SYS(lseek),      /* Treaddir's cookie */
	SCMP_SYS(pread64),    /* Tread */
	SCMP_SYS(preadv),     /* Tread straight into the guest's buffers */
	SCMP_SYS(pwrite64),   /* Twrite */
	SCMP_SYS(pwritev),    /* Twrite straight from the guest's buffers */
	SCMP_SYS(ftruncate),  /* Tsetattr size */
	SCMP_SYS(fchmod),     /* Tsetattr mode where fchmodat2 is missing */
	__NR_fchmodat2,       /* Tsetattr mode without following a symlink */
	SCMP_SYS(fchownat),   /* Tsetattr uid/gid, AT_SYMLINK_NOFOLLOW */
	SCMP_SYS(utimensat),  /* Tsetattr times, AT_SYMLINK_NOFOLLOW */
	SCMP_SYS(fsync),      /* Tfsync */
	SCMP_SYS(fdatasync),  /* Tfsync with datasync */
	SCMP_SYS(fcntl),      /* Tlock/Tgetlock: OFD locks */
	SCMP_SYS(mkdirat),    /* Tmkdir */
	SCMP_SYS(unlinkat),   /* Tunlinkat, Tremove */
	SCMP_SYS(renameat),   /* Trenameat, Trename */
	SCMP_SYS(renameat2),  /* glibc's renameat on newer releases */
	SCMP_SYS(linkat),     /* Tlink, flags 0: never follows */
	SCMP_SYS(symlinkat),  /* Tsymlink: stored, not followed */
	SCMP_SYS(readlinkat), /* Treadlink */
	/* the device's queue: kicks in, interrupts out */
	SCMP_SYS(read),  /* ioeventfd and stop eventfd */
	SCMP_SYS(write), /* irqfd; error messages on stderr */
	SCMP_SYS(ppoll), /* waiting for a kick */
	SCMP_SYS(poll),  /* the same through older glibc */
	/* the C library underneath */
	SCMP_SYS(futex),           /* mutexes and condition variables */
	SCMP_SYS(mmap),            /* malloc of large blocks */
	SCMP_SYS(munmap),          /* free of large blocks */
	SCMP_SYS(mprotect),        /* malloc growing a thread arena */
	SCMP_SYS(madvise),         /* free returning memory; thread exit */
	SCMP_SYS(brk),             /* malloc in the main arena */
	SCMP_SYS(clock_gettime),   /* when the vDSO falls back */
	SCMP_SYS(rt_sigreturn),    /* returning from ukrun's signal handlers */
	SCMP_SYS(rt_sigprocmask),  /* thread exit */
	SCMP_SYS(sched_yield),     /* lock contention */
	SCMP_SYS(restart_syscall), /* an interrupted futex wait */
	SCMP_SYS(exit),            /* the thread ends */
	SCMP_SYS(gettid),          /* glibc's error paths */
	SCMP_SYS(getpid),          /* glibc's abort() before it raises */
	SCMP_SYS(tgkill),          /* abort() on a failed assertion */
	SCMP_SYS(exit_group),      /* ukrun ending while we run */
};

const unsigned p9s_seccomp_ncalls = sizeof(p9s_seccomp_calls) / sizeof(p9s_seccomp_calls[0]);

int p9s_seccomp(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	size_t i;
	int r = 0;

	if (!ctx)
		return -ENOMEM;
	for (i = 0; i < p9s_seccomp_ncalls && !r; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, p9s_seccomp_calls[i], 0);
	if (!r)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}
