/*
 * The gofer's confinement: Landlock beneath the share's root, where the
 * kernel has it, and its seccomp allow-list.
 *
 * Landlock (Linux 5.19 and later: ABI 2, which lets a rename or link
 * cross directories) limits every open, create, remove and rename of the
 * gofer to the tree beneath the share's root, whatever path it is given:
 * the one confinement that holds for a gofer taken over by a hostile
 * request, which could otherwise give openat any absolute path (a filter
 * cannot read paths). Without it, openat2's RESOLVE_BENEATH (p9_host.c)
 * and the process boundary remain. Nothing may be executed, nor devices,
 * FIFOs or sockets made, beneath the share either.
 *
 * The seccomp allow-list: what serving one share's files needs,
 * installed by the gofer process (p9_gofer.c) on itself once its share,
 * window and socket are open, before the first request. Nothing else: no
 * socket, connect or any network call (its one socket came from ukrun),
 * no ioctl (so no /dev/kvm, which it never had anyway), no exec, fork or
 * thread, no executable memory, no signals to others. A call outside the
 * list traps into a handler that names it and ends the gofer with 125;
 * ukrun then stops the VM, naming the gofer. One reason per line.
 *
 * The open and *at calls are on the list whole: their paths are out of a
 * filter's reach, which is Landlock's part. Whatever a gofer taken over
 * reaches, it reaches without /dev/kvm, guest memory, ukrun's other
 * descriptors or the network.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "p9_int.h"
#include "seccomp.h"

/* Kernel headers older than Linux 6.6 lack fchmodat2's number, which
 * libseccomp's name for it stands for. */
#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif

#define FS_SHARE                                                                                \
	(LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE |                         \
	 LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_REMOVE_DIR |                          \
	 LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_DIR |                         \
	 LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SYM | LANDLOCK_ACCESS_FS_REFER | \
	 LANDLOCK_ACCESS_FS_TRUNCATE)

long p9s_landlock_abi(void)
{
	long abi = vmm_landlock_abi();

	return abi >= 2 ? abi : 0;
}

int p9s_confine(int root)
{
	long abi = p9s_landlock_abi();
	struct landlock_ruleset_attr ra = { .handled_access_fs = vmm_landlock_fs(abi) };
	struct landlock_path_beneath_attr pb = { .allowed_access = FS_SHARE & vmm_landlock_fs(abi),
		                                 .parent_fd = root };
	int rs, r;

	if (!abi)
		return 0;
	if ((rs = (int)syscall(SYS_landlock_create_ruleset, &ra, sizeof(ra), 0)) < 0)
		return -errno;
	r = syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(SYS_landlock_restrict_self, rs, 0);
	r = r ? -errno : (int)abi;
	close(rs);
	return r;
}

#define ALWAYS 0

/* clang-format off: one rule a line, reasons aligned */
static const struct vmm_rule rules[] = {
	/* ---- files of the share, always relative to a confined descriptor ---- */
	ALLOW(ALWAYS, openat2),                /* path resolution beneath the share's root */
	ALLOW(ALWAYS, openat),                 /* the O_NOFOLLOW walk where openat2 is missing */
	ALLOW(ALWAYS, close),                  /* descriptors of clunked fids */
	ALLOW(ALWAYS, newfstatat),             /* Tgetattr, qids (glibc's fstat) */
	ALLOW(ALWAYS, fstat),                  /* older glibc's fstat */
	ALLOW(ALWAYS, fstatfs),                /* Tstatfs */
	ALLOW(ALWAYS, getdents64),             /* Treaddir */
	ALLOW(ALWAYS, lseek),                  /* Treaddir's cookie */
	ALLOW(ALWAYS, pread64),                /* Tread */
	ALLOW(ALWAYS, preadv),                 /* Tread into the window's reply */
	ALLOW(ALWAYS, pwrite64),               /* Twrite */
	ALLOW(ALWAYS, pwritev),                /* Twrite from the window's request */
	ALLOW(ALWAYS, ftruncate),              /* Tsetattr size */
	ALLOW(ALWAYS, fchmod),                 /* Tsetattr mode where fchmodat2 is missing */
	ALLOW(ALWAYS, fchmodat2),              /* Tsetattr mode, no symlink followed */
	ALLOW(ALWAYS, fchownat),               /* Tsetattr uid/gid, AT_SYMLINK_NOFOLLOW */
	ALLOW(ALWAYS, utimensat),              /* Tsetattr times, AT_SYMLINK_NOFOLLOW */
	ALLOW(ALWAYS, fsync),                  /* Tfsync */
	ALLOW(ALWAYS, fdatasync),              /* Tfsync with datasync */
	ARG_IS(ALWAYS, fcntl, 1, F_OFD_SETLK), /* Tlock: locks of the open file, not the process */
	ARG_IS(ALWAYS, fcntl, 1, F_OFD_GETLK), /* Tgetlock */
	ALLOW(ALWAYS, mkdirat),                /* Tmkdir */
	ALLOW(ALWAYS, unlinkat),               /* Tunlinkat, Tremove */
	ALLOW(ALWAYS, renameat),               /* Trenameat, Trename */
	ALLOW(ALWAYS, renameat2),              /* glibc's renameat on newer releases */
	ALLOW(ALWAYS, linkat),                 /* Tlink, flags 0: never follows */
	ALLOW(ALWAYS, symlinkat),              /* Tsymlink: stored, not followed */
	ALLOW(ALWAYS, readlinkat),             /* Treadlink */
	/* ---- ukrun's device: requests in, replies out ---- */
	ALLOW(ALWAYS, read),    /* a request's lengths from the socket */
	ALLOW(ALWAYS, write),   /* messages on stderr */
	ALLOW(ALWAYS, sendmsg), /* a reply's length, with an opened file's descriptor */
	/* ---- the C library underneath ---- */
	ALLOW_IF(ALWAYS, mmap, 2, PROT_EXEC, 0),     /* malloc of large blocks; never executable */
	ALLOW_IF(ALWAYS, mprotect, 2, PROT_EXEC, 0), /* sanitizers' allocator; never executable */
	ALLOW(ALWAYS, munmap),                       /* free of large blocks */
	ALLOW(ALWAYS, madvise),                      /* free returning memory */
	ALLOW(ALWAYS, brk),                          /* malloc in the main arena */
	ALLOW(ALWAYS, exit_group),                   /* the end: ukrun closed the socket */
	ALLOW(ALWAYS, rt_sigprocmask),               /* abort() on a failed assertion */
	ALLOW(ALWAYS, getpid),                       /* the same */
	ALLOW(ALWAYS, gettid),                       /* the same */
	ARG_IS(ALWAYS, tgkill, 0, THIS_PROCESS),     /* the same, raising SIGABRT */
};
/* clang-format on */

int p9s_seccomp(const char *who)
{
	struct vmm_filter f = { rules, sizeof(rules) / sizeof(rules[0]),
		                0,     1,
		                who,   "vmm/p9_seccomp.c" };

	return vmm_seccomp_load(&f);
}
