/*
 * Process identity, limits and the calls a unikernel cannot honour.
 *
 * Documented, stable answers: the image's program is process 1 of its VM
 * (as in a container's PID namespace; process ids, groups, fork and wait
 * are proc.c's). uid and gid come from the manifest's "user"
 * ("uid[:gid]", numeric; gid 0 when absent, as docker does), else 0.
 * Real, effective and saved ids change by Linux's set*id rules.
 *
 * execve in link mode fails with a clear error and one line on stderr:
 * the program is linked into the image (binary mode runs Linux programs).
 */
#include <libfdt.h>
#include <uk/abi.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/plat.h>
#include <uk/print.h>
#include <uk/proc.h>
#include <uk/sched.h>
#include <uk/syscall.h>
#include <uk/time.h>
#include <uk/vfs.h>

#include <linux/capability.h>
#include <linux/prctl.h>
#include <linux/sched.h>
#include <linux/sysinfo.h>

static unsigned cur_uid(void) { return uk_proc_ids()->uid; }

static unsigned cur_gid(void) { return uk_proc_ids()->gid; }

UK_SYSCALL0(getuid) { return uk_proc_ids()->ruid; }
UK_SYSCALL0(geteuid) { return cur_uid(); }
UK_SYSCALL0(getgid) { return uk_proc_ids()->rgid; }
UK_SYSCALL0(getegid) { return cur_gid(); }

/* Linux's rules for capabilities when uids change (its
 * cap_emulate_setxuid): once no uid is 0 the permitted set goes, unless
 * PR_SET_KEEPCAPS; an effective uid leaving 0 takes the effective set,
 * one becoming 0 gets the permitted set in effect. n*: the uids to be
 * (p still has the old ones). */
static void uid_caps(struct uk_proc *p, unsigned nr, unsigned ne, unsigned ns)
{
	uint64_t prm, eff;

	if (nr == p->ruid && ne == p->uid && ns == p->suid)
		return;
	uk_proc_caps(p, &prm, &eff);
	if ((!p->ruid || !p->uid || !p->suid) && nr && ne && ns && !p->keepcaps)
		prm = 0;
	if (!p->uid && ne)
		eff = 0;
	else if (p->uid && !ne)
		eff = prm;
	p->cap_prm = prm;
	p->cap_eff = eff & prm;
	p->caps_own = 1;
}

/* One kind of ids, uids or gids: real, effective, saved, and the
 * capability that lets a process set any of them. */
struct ids {
	unsigned *r, *e, *s, *fs;
	int cap;
};

static struct ids uids(void)
{
	struct uk_proc *p = uk_proc_ids();

	return (struct ids){ &p->ruid, &p->uid, &p->suid, &p->fsuid, CAP_SETUID };
}

static struct ids gids(void)
{
	struct uk_proc *p = uk_proc_ids();

	return (struct ids){ &p->rgid, &p->gid, &p->sgid, &p->fsgid, CAP_SETGID };
}

/* Whether v may be asked for: one of the ids the process has, or any
 * with the capability (-1, as unsigned, asks for nothing). */
static int may(const struct ids *id, unsigned v)
{
	return v == ~0u || v == *id->r || v == *id->e || v == *id->s || uk_capable(id->cap);
}

static unsigned or_old(unsigned v, unsigned old) { return v == ~0u ? old : v; }

static long commit(const struct ids *id, unsigned r, unsigned e, unsigned s)
{
	struct uk_proc *p = uk_proc_ids();

	/* a new effective id makes the process undumpable (Linux's
	 * suid_dumpable 0): its /proc files are root's until it execs */
	if (e != *id->e)
		p->undumpable = 1;
	if (id->cap == CAP_SETUID)
		uid_caps(p, r, e, s);
	*id->r = r, *id->e = e, *id->s = s;
	*id->fs = e; /* (the file system id follows the effective one) */
	return 0;
}

/* setuid: with the capability all three; else the effective one, to the
 * real or saved one. */
static long set_one(struct ids id, unsigned v)
{
	if (uk_capable(id.cap))
		return commit(&id, v, v, v);
	if (v != *id.r && v != *id.s)
		return -EPERM;
	return commit(&id, *id.r, v, *id.s);
}

/* setreuid: the real id to the real or effective one, the effective to
 * any of the three; the saved one follows the effective when the real
 * is set or the effective is not the real one. */
static long set_re(struct ids id, unsigned r, unsigned e)
{
	unsigned nr = or_old(r, *id.r), ne = or_old(e, *id.e);

	if ((r != ~0u && r != *id.r && r != *id.e && !uk_capable(id.cap)) || !may(&id, e))
		return -EPERM;
	return commit(&id, nr, ne, r != ~0u || (e != ~0u && e != *id.r) ? ne : *id.s);
}

static long set_res(struct ids id, unsigned r, unsigned e, unsigned s)
{
	if (!may(&id, r) || !may(&id, e) || !may(&id, s))
		return -EPERM;
	return commit(&id, or_old(r, *id.r), or_old(e, *id.e), or_old(s, *id.s));
}

UK_SYSCALL1(setuid, unsigned, u) { return set_one(uids(), u); }
UK_SYSCALL1(setgid, unsigned, g) { return set_one(gids(), g); }
UK_SYSCALL2(setreuid, unsigned, r, unsigned, e) { return set_re(uids(), r, e); }
UK_SYSCALL2(setregid, unsigned, r, unsigned, e) { return set_re(gids(), r, e); }
UK_SYSCALL3(setresuid, unsigned, r, unsigned, e, unsigned, s) { return set_res(uids(), r, e, s); }
UK_SYSCALL3(setresgid, unsigned, r, unsigned, e, unsigned, s) { return set_res(gids(), r, e, s); }

static long get3(unsigned *r, unsigned *e, unsigned *s, struct ids id)
{
	if (!r || !e || !s)
		return -EFAULT;
	*r = *id.r, *e = *id.e, *s = *id.s;
	return 0;
}

UK_SYSCALL3(getresuid, unsigned *, r, unsigned *, e, unsigned *, s)
{
	return get3(r, e, s, uids());
}

UK_SYSCALL3(getresgid, unsigned *, r, unsigned *, e, unsigned *, s)
{
	return get3(r, e, s, gids());
}

/* The file system ids (setfsuid, setfsgid): to the real, effective,
 * saved or current one, any with the capability; the old one is the
 * answer either way, as Linux's. A uid leaving 0 takes the file
 * capabilities out of effect, one coming back to 0 puts the permitted
 * ones back (Linux's cap_task_fix_setuid). */
#define CAPS_FS                                                                             \
	((1ull << CAP_CHOWN) | (1ull << CAP_DAC_OVERRIDE) | (1ull << CAP_DAC_READ_SEARCH) | \
	 (1ull << CAP_FOWNER) | (1ull << CAP_FSETID) | (1ull << CAP_LINUX_IMMUTABLE) |      \
	 (1ull << CAP_MAC_OVERRIDE))

static long set_fs(struct ids id, unsigned v)
{
	struct uk_proc *p = uk_proc_ids();
	unsigned old = *id.fs;
	uint64_t prm, eff;

	if (v == old || v == ~0u || (v != *id.r && v != *id.e && v != *id.s && !uk_capable(id.cap)))
		return old;
	p->undumpable = 1;
	if (id.cap == CAP_SETUID && (!old || !v)) {
		uk_proc_caps(p, &prm, &eff);
		p->cap_prm = prm;
		p->cap_eff = v ? eff & ~CAPS_FS : eff | (prm & CAPS_FS);
		p->caps_own = 1;
	}
	*id.fs = v;
	return old;
}

UK_SYSCALL1(setfsuid, unsigned, u) { return set_fs(uids(), u); }
UK_SYSCALL1(setfsgid, unsigned, g) { return set_fs(gids(), g); }

/* The supplementary groups setgroups gave (none at first, as a
 * container's process without --group-add). */
UK_SYSCALL2(getgroups, int, size, unsigned *, list)
{
	struct uk_proc *p = uk_proc_ids();

	if (size < 0)
		return -EINVAL;
	if (size == 0)
		return p->ngroups;
	if ((unsigned)size < p->ngroups)
		return -EINVAL;
	if (!list)
		return -EFAULT;
	uk_memcpy(list, p->groups, p->ngroups * sizeof(unsigned));
	return p->ngroups;
}

/* With CAP_SETGID; up to UK_NGROUPS (more: EINVAL, --trace says why). */
UK_SYSCALL2(setgroups, int, size, const unsigned *, list)
{
	struct uk_proc *p = uk_proc_ids();

	if (size < 0 || size > 65536)
		return -EINVAL;
	if (!uk_capable(CAP_SETGID))
		return -EPERM;
	if (size > UK_NGROUPS) {
		uk_trace_note("setgroups: at most %d supplementary groups", UK_NGROUPS);
		return -EINVAL;
	}
	if (size && !list)
		return -EFAULT;
	uk_memcpy(p->groups, list, size * sizeof(unsigned));
	p->ngroups = (unsigned)size;
	return 0;
}

/* The running process, or one that exists: pid 0 names the caller. */
static int is_us(int pid) { return pid == 0 || uk_proc_find(pid); }

/* ---- names ---- */

/* Linux's name and a release new enough for C libraries' checks. */
UK_SYSCALL1(uname, struct new_utsname *, u)
{
	static const struct new_utsname name = {
		.sysname = "Linux",
		.release = UK_OS_RELEASE,
		.version = "#1 uk library OS",
		.machine = "x86_64",
		.domainname = "(none)",
	};

	if (!u)
		return -EFAULT;
	*u = name;
	uk_memcpy(u->nodename, uk_hostname, sizeof(uk_hostname));
	return 0;
}

UK_SYSCALL2(sethostname, const char *, name, long, len)
{
	if (len < 0 || len > 64)
		return -EINVAL;
	if (!uk_capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (!name && len)
		return -EFAULT;
	uk_memcpy(uk_hostname, name, len);
	uk_hostname[len] = 0;
	return 0;
}

UK_SYSCALL1(sysinfo, struct sysinfo *, si)
{
	if (!si)
		return -EFAULT;
	uk_memset(si, 0, sizeof(*si));
	si->uptime = (long)(uk_monotonic_ns() / 1000000000ull);
	si->totalram = uk_mm_total();
	si->freeram = uk_mm_free();
	si->procs = (unsigned short)uk_nthreads;
	si->mem_unit = 1;
	return 0;
}

/* ---- resource limits ---- */

#define INF RLIM_INFINITY

static struct rlimit rlimits[RLIM_NLIMITS] = {
	[RLIMIT_CPU] = { INF, INF },
	[RLIMIT_FSIZE] = { INF, INF },
	[RLIMIT_DATA] = { INF, INF },
	[RLIMIT_STACK] = { 8ul << 20, INF }, /* the main thread's, and pthreads' default */
	[RLIMIT_CORE] = { 0, INF },
	[RLIMIT_RSS] = { INF, INF },
	[RLIMIT_NPROC] = { INF, INF },
	[RLIMIT_NOFILE] = { 1024, 4096 },
	[RLIMIT_MEMLOCK] = { 8ul << 20, 8ul << 20 },
	[RLIMIT_AS] = { INF, INF },
	[RLIMIT_LOCKS] = { INF, INF },
	[RLIMIT_SIGPENDING] = { UK_SIGQUEUE_MAX, UK_SIGQUEUE_MAX },
	[RLIMIT_MSGQUEUE] = { 819200, 819200 },
	[RLIMIT_NICE] = { 0, 0 },
	[RLIMIT_RTPRIO] = { 0, 0 },
	[RLIMIT_RTTIME] = { INF, INF },
};

/* The soft limit of a resource, for the subsystems that enforce one
 * (RLIMIT_NOFILE: the descriptor table). */
unsigned long uk_rlimit(int resource)
{
	return resource >= 0 && resource < RLIM_NLIMITS ? rlimits[resource].rlim_cur : 0;
}

void uk_rlimit_get(int resource, uint64_t *soft, uint64_t *hard)
{
	*soft = *hard = 0;
	if (resource >= 0 && resource < RLIM_NLIMITS) {
		*soft = rlimits[resource].rlim_cur;
		*hard = rlimits[resource].rlim_max;
	}
}

static long rlimit_set(int res, const struct rlimit *nv)
{
	if (nv->rlim_cur > nv->rlim_max)
		return -EINVAL;
	/* (for root too: the descriptor table's size, /proc/sys/fs/nr_open) */
	if (res == RLIMIT_NOFILE && nv->rlim_max > UK_FD_LIMIT)
		return -EPERM;
	if (nv->rlim_max > rlimits[res].rlim_max && !uk_capable(CAP_SYS_RESOURCE))
		return -EPERM;
	rlimits[res] = *nv;
	return 0;
}

UK_SYSCALL4(prlimit64, int, pid, unsigned, res, const struct rlimit *, nv, struct rlimit *, ov)
{
	struct rlimit old;

	if (!is_us(pid))
		return -ESRCH;
	if (res >= RLIM_NLIMITS)
		return -EINVAL;
	old = rlimits[res];
	if (nv) {
		long r = rlimit_set(res, nv);
		if (r)
			return r;
	}
	if (ov)
		*ov = old;
	return 0;
}

UK_SYSCALL2(getrlimit, unsigned, res, struct rlimit *, rl)
{
	if (res >= RLIM_NLIMITS)
		return -EINVAL;
	if (!rl)
		return -EFAULT;
	*rl = rlimits[res];
	return 0;
}

UK_SYSCALL2(setrlimit, unsigned, res, const struct rlimit *, rl)
{
	if (res >= RLIM_NLIMITS)
		return -EINVAL;
	if (!rl)
		return -EFAULT;
	return rlimit_set(res, rl);
}

/* ---- priorities: one nice value, kept and reported ---- */

static int nice_value;

static int prio_target_ok(int which, int who)
{
	return (which == PRIO_PROCESS || which == PRIO_PGRP) ? is_us(who)
	       : which == PRIO_USER ? (who == 0 || (unsigned)who == cur_uid())
	                            : -1;
}

UK_SYSCALL2(getpriority, int, which, int, who)
{
	int ok = prio_target_ok(which, who);

	if (ok < 0)
		return -EINVAL;
	return ok ? 20 - nice_value : -ESRCH; /* Linux returns 20 - nice */
}

UK_SYSCALL3(setpriority, int, which, int, who, int, prio)
{
	int ok = prio_target_ok(which, who);

	if (ok < 0)
		return -EINVAL;
	if (!ok)
		return -ESRCH;
	prio = prio < -20 ? -20 : prio > 19 ? 19 : prio;
	if (prio < nice_value && !uk_capable(CAP_SYS_NICE))
		return -EACCES;
	nice_value = prio;
	return 0;
}

UK_SYSCALL2(sched_getparam, int, pid, int *, param)
{
	if (pid && !uk_thread_find(pid))
		return -ESRCH;
	if (!param)
		return -EINVAL;
	*param = 0;
	return 0;
}

UK_SYSCALL1(sched_getscheduler, int, pid)
{
	if (pid < 0)
		return -EINVAL;
	return pid && !uk_thread_find(pid) ? -ESRCH : SCHED_NORMAL;
}

static int policy_ok(int p)
{
	return p == SCHED_NORMAL || p == SCHED_FIFO || p == SCHED_RR || p == SCHED_BATCH ||
	       p == SCHED_IDLE;
}

/* Setting a policy: the normal ones with priority 0 are what every thread
 * has already (glibc's pthread_create with PTHREAD_EXPLICIT_SCHED sets
 * the creator's in the new thread, which ends when that fails: rsyslog's
 * workers all did on ENOSYS). A real-time one needs CAP_SYS_NICE, as on
 * Linux; uk's scheduler has no real-time class, so it is accepted
 * without effect, and --trace says so. */
static long set_sched(int pid, int policy, const int *param)
{
	int rt = policy == SCHED_FIFO || policy == SCHED_RR;

	if (pid < 0 || !param || !policy_ok(policy))
		return -EINVAL;
	if (pid && !uk_thread_find(pid))
		return -ESRCH;
	if (rt ? *param < 1 || *param > 99 : *param != 0)
		return -EINVAL;
	if (rt && !uk_capable(CAP_SYS_NICE))
		return -EPERM;
	if (rt)
		uk_trace_note("sched_setscheduler: real-time policy %d accepted, not honoured",
		              policy);
	return 0;
}

UK_SYSCALL3(sched_setscheduler, int, pid, int, policy, const int *, param)
{
	return set_sched(pid, policy & ~SCHED_RESET_ON_FORK, param);
}

/* (the policy every thread has: SCHED_NORMAL) */
UK_SYSCALL2(sched_setparam, int, pid, const int *, param)
{
	return set_sched(pid, SCHED_NORMAL, param);
}

UK_SYSCALL1(sched_get_priority_max, int, policy)
{
	if (!policy_ok(policy))
		return -EINVAL;
	return policy == SCHED_FIFO || policy == SCHED_RR ? 99 : 0;
}

UK_SYSCALL1(sched_get_priority_min, int, policy)
{
	if (!policy_ok(policy))
		return -EINVAL;
	return policy == SCHED_FIFO || policy == SCHED_RR ? 1 : 0;
}

/* ---- capabilities ---- */

/* The 32-bit words of hdr's version: v1's one, v2's and v3's two; 0 for
 * another, whose number is then answered with v3's, as Linux does. */
static int cap_words(struct __user_cap_header_struct *hdr)
{
	if (hdr->version == _LINUX_CAPABILITY_VERSION_1)
		return 1;
	if (hdr->version == _LINUX_CAPABILITY_VERSION_2 ||
	    hdr->version == _LINUX_CAPABILITY_VERSION_3)
		return 2;
	hdr->version = _LINUX_CAPABILITY_VERSION_3;
	return 0;
}

/* A process's permitted, effective and inheritable sets. An unknown
 * version is answered with success when data is NULL (libcap's probe). */
UK_SYSCALL2(capget, struct __user_cap_header_struct *, hdr, struct __user_cap_data_struct *, data)
{
	struct uk_proc_view v;
	int words;

	if (!hdr)
		return -EFAULT;
	if (!(words = cap_words(hdr)))
		return data ? -EINVAL : 0;
	if (!data)
		return 0;
	if (hdr->pid < 0)
		return -EINVAL;
	if (uk_proc_view(hdr->pid ? hdr->pid : uk_proc_cur->pid, 0, &v))
		return -ESRCH;
	for (int i = 0; i < words; i++) {
		data[i].effective = (uint32_t)(v.caps_eff >> (32 * i));
		data[i].permitted = (uint32_t)(v.caps_prm >> (32 * i));
		data[i].inheritable = (uint32_t)(v.caps_inh >> (32 * i));
	}
	return 0;
}

/* The caller's own sets, by Linux's rules: nothing permitted is gained,
 * the effective set within the new permitted one, the inheritable one
 * within the old inheritable and permitted ones (any with CAP_SETPCAP)
 * and within the bounding set. v1 sets only the low 32 capabilities
 * (the others are dropped). Another process's: EPERM. */
UK_SYSCALL2(capset, struct __user_cap_header_struct *, hdr, const struct __user_cap_data_struct *,
            data)
{
	struct uk_proc *p = uk_proc_ids();
	uint64_t prm, eff, inh = p->cap_inh, bset = UK_CAPS_ALL & ~p->caps_dropped;
	uint64_t nprm = 0, neff = 0, ninh = 0;
	int words;

	if (!hdr)
		return -EFAULT;
	if (!(words = cap_words(hdr)))
		return -EINVAL;
	if (hdr->pid && hdr->pid != p->pid && hdr->pid != uk_current->tid)
		return -EPERM;
	if (!data)
		return -EFAULT;
	for (int i = 0; i < words; i++) {
		nprm |= (uint64_t)data[i].permitted << (32 * i);
		neff |= (uint64_t)data[i].effective << (32 * i);
		ninh |= (uint64_t)data[i].inheritable << (32 * i);
	}
	nprm &= UK_CAPS_ALL, neff &= UK_CAPS_ALL, ninh &= UK_CAPS_ALL;
	uk_proc_caps(p, &prm, &eff);
	if (((ninh & ~(inh | prm)) && !uk_capable(CAP_SETPCAP)) || (ninh & ~(inh | bset)) ||
	    (nprm & ~prm) || (neff & ~nprm))
		return -EPERM;
	p->cap_prm = nprm;
	p->cap_eff = neff;
	p->cap_inh = ninh;
	p->caps_own = 1;
	return 0;
}

/* ---- personality and prctl ---- */

UK_SYSCALL1(personality, unsigned long, p)
{
	if (p == 0xffffffff || p == 0) /* query, or PER_LINUX */
		return 0;
	return -EINVAL;
}

static int pdeath_sig, no_new_privs;

/* The bounding set: every process starts with all of Linux's; root may
 * drop one (CAP_SETPCAP), which its next program then lacks. */
static long capbset(int opt, unsigned long cap)
{
	if (cap > UK_CAP_LAST)
		return -EINVAL;
	if (opt == PR_CAPBSET_READ)
		return !(uk_proc_cur->caps_dropped & (1ull << cap));
	if (!uk_capable(CAP_SETPCAP))
		return -EPERM;
	uk_proc_cur->caps_dropped |= 1ull << cap;
	return 0;
}

/* The ambient set stays empty: none is there to read or lower, and
 * raising one is refused, said under --trace. */
static long ambient(unsigned long op, unsigned long cap, unsigned long rest)
{
	if (rest || (op != PR_CAP_AMBIENT_CLEAR_ALL && cap > UK_CAP_LAST) ||
	    (op == PR_CAP_AMBIENT_CLEAR_ALL && cap))
		return -EINVAL;
	switch (op) {
	case PR_CAP_AMBIENT_IS_SET:
	case PR_CAP_AMBIENT_LOWER:
	case PR_CAP_AMBIENT_CLEAR_ALL: return 0;
	case PR_CAP_AMBIENT_RAISE:
		uk_trace_note(
		    "prctl(PR_CAP_AMBIENT_RAISE): ambient capabilities are not supported");
		return -EPERM;
	}
	return -EINVAL;
}

UK_SYSCALL5(prctl, int, opt, unsigned long, a2, unsigned long, a3, unsigned long, a4, unsigned long,
            a5)
{
	switch (opt) {
	case PR_SET_NAME:
		uk_memset(uk_current->name, 0, sizeof(uk_current->name));
		for (int i = 0; i < 15 && ((const char *)a2)[i]; i++)
			uk_current->name[i] = ((const char *)a2)[i];
		return 0;
	case PR_GET_NAME: uk_memcpy((char *)a2, uk_current->name, 16); return 0;
	case PR_SET_PDEATHSIG:
		if (a2 > UK_NSIG)
			return -EINVAL;
		pdeath_sig = (int)a2; /* the parent is the VM: it never dies first */
		return 0;
	case PR_GET_PDEATHSIG: *(int *)a2 = pdeath_sig; return 0;
	case PR_GET_DUMPABLE: return !uk_proc_cur->undumpable;
	case PR_SET_DUMPABLE:
		if (a2 > 1)
			return -EINVAL;
		uk_proc_cur->undumpable = !a2;
		return 0;
	case PR_CAPBSET_READ:
	case PR_CAPBSET_DROP: return capbset(opt, a2);
	case PR_SET_NO_NEW_PRIVS:
		if (a2 != 1 || a3 || a4 || a5)
			return -EINVAL;
		no_new_privs = 1;
		return 0;
	case PR_GET_NO_NEW_PRIVS: return no_new_privs;
	case PR_SET_KEEPCAPS: /* (Linux looks at arg2 alone: callers leave the others) */
		if (a2 > 1)
			return -EINVAL;
		uk_proc_ids()->keepcaps = (int)a2;
		return 0;
	case PR_GET_KEEPCAPS: return uk_proc_ids()->keepcaps;
	case PR_CAP_AMBIENT: return ambient(a2, a3, a4 | a5);
	}
	uk_trace_note("prctl: option %d is not supported", opt);
	return -EINVAL;
}

/* ---- link mode: the program is the image ---- */

UK_SYSCALL3(execve, const char *, path, char *const *, argv, char *const *, envp)
{
	uk_pr("execve(\"%s\"): not supported in a unikernel: the image runs one program "
	      "(build it as its own image)",
	      path ? path : "(null)");
	return -ENOSYS;
}

UK_SYSCALL5(execveat, int, dirfd, const char *, path, char *const *, argv, char *const *, envp, int,
            flags)
{
	uk_pr("execveat(\"%s\"): not supported in a unikernel: the image runs one program "
	      "(build it as its own image)",
	      path ? path : "(null)");
	return -ENOSYS;
}
