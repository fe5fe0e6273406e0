/*
 * Signals with a siginfo of the sender's making (rt_sigqueueinfo,
 * rt_tgsigqueueinfo: glibc's sigqueue), and what a pidfd (ipc/pidfd.c)
 * lets a process do to another: signal it (pidfd_send_signal), take a
 * copy of one of its descriptors (pidfd_getfd). As with kill, one uid
 * rules here: every process may signal every other; pidfd_getfd asks
 * Linux's ptrace access (root, or the same user while it is dumpable).
 */
#include <linux/capability.h>
#include <asm/siginfo.h>
#include <uk/libc.h>
#include <uk/pidfd.h>
#include <uk/proc.h>
#include <uk/sched.h>
#include <uk/signal.h>
#include <uk/syscall.h>
#include <uk/vfs.h>

/* The sender's siginfo as a record. Linux's rule: a process may not
 * forge a kernel's code (SI_USER, SI_KERNEL: 0 and up) or a tkill's to
 * another, so that a receiver can trust si_pid in those. pidfd_send_signal
 * also wants si_signo to be sig (strict); the others set it. */
static long info_record(const siginfo_t *info, int sig, int to_self, int strict,
                        struct uk_sigrec *rec)
{
	if (!info)
		return -EFAULT;
	if (strict && info->si_signo != sig)
		return -EINVAL;
	if ((info->si_code >= 0 || info->si_code == SI_TKILL) && !to_self)
		return -EPERM;
	*rec = (struct uk_sigrec){ .code = info->si_code,
		                   .pid = info->si_pid,
		                   .uid = info->si_uid,
		                   .addr = (uint64_t)info->si_ptr };
	return 0;
}

/* sig to process p (a zombie takes it and drops it), with rec. */
static long to_proc(struct uk_proc *p, int sig, const struct uk_sigrec *rec)
{
	if (!p)
		return -ESRCH;
	if (p->state != UK_P_ALIVE || !sig || uk_proc_init_ignores(p, sig))
		return 0;
	return uk_signal_queue(p, NULL, sig, rec);
}

/* The process pid names: its own, or that of its thread pid. */
static struct uk_proc *proc_named(int pid)
{
	struct uk_proc *p = uk_proc_find(pid);
	struct uk_thread *t;

	if (!p && (t = uk_thread_find(pid)) && (t->flags & UK_TF_APP))
		p = t->proc;
	return p;
}

UK_SYSCALL3(rt_sigqueueinfo, int, pid, int, sig, const siginfo_t *, info)
{
	struct uk_proc *p = pid > 0 ? proc_named(pid) : NULL;
	struct uk_sigrec rec;
	long r;

	if (sig < 0 || sig > UK_NSIG)
		return -EINVAL;
	/* (Linux compares pid with the caller's thread id: another thread
	 * than the first forges a code to its own process only by tgsigqueue) */
	if ((r = info_record(info, sig, pid == uk_current->tid, 0, &rec)))
		return r;
	return to_proc(p, sig, &rec);
}

UK_SYSCALL4(rt_tgsigqueueinfo, int, tgid, int, tid, int, sig, const siginfo_t *, info)
{
	struct uk_thread *t = tid > 0 ? uk_thread_find(tid) : NULL;
	struct uk_sigrec rec;
	long r;

	if (tgid <= 0 || tid <= 0 || sig < 0 || sig > UK_NSIG)
		return -EINVAL;
	if ((r = info_record(info, sig, t == uk_current, 0, &rec)))
		return r;
	if (!t || !(t->flags & UK_TF_APP) || t->proc->pid != tgid)
		return -ESRCH;
	return sig ? uk_signal_queue(t->proc, t, sig, &rec) : 0;
}

UK_SYSCALL4(pidfd_send_signal, int, pidfd, int, sig, const siginfo_t *, info, unsigned, flags)
{
	struct uk_sigrec rec = { .code = SI_USER,
		                 .pid = uk_proc_cur->pid,
		                 .uid = (unsigned)uk_current_euid() };
	struct uk_proc *p;
	int pid;
	long r;

	if ((r = uk_pidfd_proc(pidfd, &p, &pid, NULL)))
		return r;
	if (flags)
		return -EINVAL;
	if (sig < 0 || sig > UK_NSIG)
		return -EINVAL;
	/* (to itself: Linux's test is the caller's thread id against the pid) */
	if (info &&
	    (r = info_record(info, sig, p == uk_proc_cur && uk_current->tid == p->pid, 1, &rec)))
		return r;
	return to_proc(p, sig, &rec);
}

/* Linux's ptrace attach access, which taking a descriptor needs. */
static int may_attach(const struct uk_proc *p)
{
	int euid = uk_current_euid();

	return uk_capable(CAP_SYS_PTRACE) || p == uk_proc_cur ||
	       ((int)p->uid == euid && !p->undumpable);
}

UK_SYSCALL3(pidfd_getfd, int, pidfd, int, fd, unsigned, flags)
{
	struct uk_proc *p;
	struct uk_file *f;
	int pid, r;

	if ((r = uk_pidfd_proc(pidfd, &p, &pid, NULL)))
		return r;
	if (flags)
		return -EINVAL;
	if (!p || p->state != UK_P_ALIVE || !p->files)
		return -ESRCH;
	if (!may_attach(p))
		return -EPERM;
	if (!(f = uk_fdt_get(p->files, fd, NULL)))
		return -EBADF;
	if ((r = uk_fd_install(f, 0, 1)) < 0) /* close-on-exec, as Linux's */
		uk_file_put(f);
	return r;
}
