/*
 * The form of ukrun's seccomp allow-lists: ukrun's own (seccomp.c) and its
 * 9P gofer's (p9_seccomp.c). A list is a table of rules, one a line with
 * its reason; a rule belongs to a group (a need), and only the groups
 * asked for are installed.
 */
#ifndef VMM_SECCOMP_H
#define VMM_SECCOMP_H

#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>

struct vmm_rule {
	unsigned need; /* 0: always; else allowed with any of these needs */
	int nr;
	uint32_t action; /* SCMP_ACT_ALLOW, or SCMP_ACT_ERRNO(e) */
	int ncmp;        /* 0, or 1: the call must pass cmp */
	struct scmp_arg_cmp cmp;
};

#define THIS_PROCESS 0x7fffffffu /* stands for getpid() in a rule's value */

#define ALLOW(need, name)                                      \
	{                                                      \
		need, SCMP_SYS(name), SCMP_ACT_ALLOW, 0, { 0 } \
	}
/* Allowed when argument i passes (i & mask) == val. */
#define ALLOW_IF(need, name, i, mask, val)                                                    \
	{                                                                                     \
		need, SCMP_SYS(name), SCMP_ACT_ALLOW, 1, { i, SCMP_CMP_MASKED_EQ, mask, val } \
	}
#define ARG_IS(need, name, i, val) ALLOW_IF(need, name, i, ~0ull, val)
/* The kernel reads an ioctl's request as 32 bits. */
#define IOCTL(need, req) ALLOW_IF(need, ioctl, 1, 0xffffffffu, req)
#define FAIL(need, name, err)                                       \
	{                                                           \
		need, SCMP_SYS(name), SCMP_ACT_ERRNO(err), 0, { 0 } \
	}
/* Refused with err when argument i compares (op: SCMP_CMP_GT, ...) to val. */
#define FAIL_IF(need, name, i, op, val, err)                                    \
	{                                                                       \
		need, SCMP_SYS(name), SCMP_ACT_ERRNO(err), 1, { i, op, val, 0 } \
	}
#define FAIL_UNLESS(need, name, i, val, err)                                             \
	{                                                                                \
		need, SCMP_SYS(name), SCMP_ACT_ERRNO(err), 1, { i, SCMP_CMP_NE, val, 0 } \
	}

struct vmm_filter {
	const struct vmm_rule *rules;
	size_t nrules;
	unsigned needs;  /* the groups to install */
	int all_threads; /* every thread of the process (TSYNC), or the caller's */
	const char *who; /* in the message of a blocked call: "" or "gofer of /data: " */
	const char *src; /* the file with the list, named in that message */
};

/* Install f for the calling thread (every thread with all_threads) and
 * each it starts later. A call outside it traps into a handler that names
 * it on stderr ("ukrun: <who>seccomp: blocked system call N (name); ...")
 * and ends the process with VMM_EXIT_ERROR. Returns the number of system
 * calls allowed, or -errno with a message printed. Environment:
 * UKRUN_SECCOMP=log logs such calls instead (debugging), any other value
 * is refused. */
int vmm_seccomp_load(const struct vmm_filter *f);

/* ---- Landlock, for the helpers' confinement (seccomp.c) ---- */

#include <linux/landlock.h>

#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#endif
#define LANDLOCK_ACCESS_FS_IOCTL_DEV_ (1ULL << 15) /* ABI 5 */

/* The Landlock ABI of this kernel, 0 without it. */
long vmm_landlock_abi(void);
/* The file-system rights that ABI knows: a ruleset that handles them all
 * denies each but where a rule allows it. */
uint64_t vmm_landlock_fs(long abi);

#endif
