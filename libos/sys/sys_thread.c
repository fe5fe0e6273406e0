/*
 * Threads as Linux programs see them: clone with the flags C libraries
 * use for pthreads, set_tid_address, gettid, exit (one thread) and
 * exit_group (the program), robust futex lists, affinity (one CPU), %fs.
 *
 * A thread's clone must share everything a thread shares
 * (CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD); a clone
 * without CLONE_THREAD makes a process (proc.c).
 */
#include <uk/arch.h>
#include <uk/futex.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/plat.h>
#include <uk/print.h>
#include <uk/proc.h>
#include <uk/sched.h>
#include <uk/syscall.h>
#include <uk/thread.h>

#include <asm/prctl.h>
#include <linux/membarrier.h>
#include <linux/sched.h>

#define THREAD_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD)
#define OK_FLAGS                                                             \
	(THREAD_FLAGS | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | \
	 CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | CLONE_DETACHED | CLONE_UNTRACED | CLONE_IO)
#define KSTACK (64u << 10) /* library OS stack of a thread that brings its own */

static long check_flags(unsigned long flags)
{
	if ((flags & THREAD_FLAGS) == THREAD_FLAGS && !(flags & ~(OK_FLAGS | 0xff)))
		return 0;
	uk_trace_note("clone: flags %#lx: a thread shares everything here", flags);
	return -EINVAL;
}

static struct uk_thread *clone_thread(unsigned long flags, void *stack, size_t stack_size,
                                      int *ptid, int *ctid, uint64_t tls)
{
	struct uk_thread *t = uk_thread_new(NULL, NULL, stack, stack_size, UK_TF_APP);

	if (!t)
		return NULL;
	t->detached = 1; /* joined through CLONE_CHILD_CLEARTID, if at all */
	t->sig_blocked = uk_current->sig_blocked;
	t->reent = NULL;
	t->fs_base = flags & CLONE_SETTLS ? tls : uk_get_fs(); /* Linux copies it */
	if (flags & CLONE_CHILD_CLEARTID)
		t->clear_child_tid = ctid;
	if (flags & CLONE_CHILD_SETTID)
		*ctid = t->tid;
	if (flags & CLONE_PARENT_SETTID)
		*ptid = t->tid;
	return t;
}

long uk_clone(const struct uk_clone_args *a)
{
	struct uk_thread *t;
	long r;

	if (!(a->flags & CLONE_THREAD) || !(a->flags & CLONE_VM)) {
		uk_trace_note("clone: a new process from a link-mode program is not supported: it "
		              "lives in the library OS's half (use threads)");
		return -ENOSYS;
	}
	if ((r = check_flags(a->flags)))
		return r;
	if (!a->fn || (a->stack && a->stack_size < 4096))
		return -EINVAL;
	if (((a->flags & (CLONE_PARENT_SETTID)) && !a->parent_tid) ||
	    ((a->flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID)) && !a->child_tid))
		return -EFAULT;
	t = clone_thread(a->flags, a->stack, a->stack_size, a->parent_tid, a->child_tid, a->tls);
	if (!t)
		return -EAGAIN;
	t->fn = a->fn;
	t->arg = a->arg;
	t->reent = a->reent;
	uk_thread_start(t);
	return t->tid;
}

/* A Linux program's clone: the child resumes from a copy of the parent's
 * system-call frame, with 0 in %rax and the new stack pointer. Needs the
 * binary-compatibility entry, which records that frame in uregs. */
static void frame_entry(void *p)
{
	struct uk_regs r = *(struct uk_regs *)p;

	uk_kfree(p);
	uk_arch_frame_enter(&r);
}

static long thread_clone(unsigned long flags, unsigned long sp, int *ptid, int *ctid,
                         unsigned long tls);

UK_SYSCALL5(clone, unsigned long, flags, unsigned long, sp, int *, ptid, int *, ctid, unsigned long,
            tls)
{
	flags &= 0xffffffffu; /* (clone's flags are an int: clone3 has the rest) */
	if (!(flags & CLONE_THREAD)) {
		/* CLONE_PIDFD's descriptor goes where the parent's tid would */
		if ((flags & CLONE_PIDFD) && (flags & (CLONE_PARENT_SETTID | CLONE_DETACHED)))
			return -EINVAL;
		return uk_proc_clone("clone", flags, sp, ptid, ctid, tls, ptid);
	}
	return thread_clone(flags, sp, ptid, ctid, tls);
}

/* clone3: clone's arguments in a structure as long as the caller says
 * (later fields, unknown here, must be zero: E2BIG), the exit signal
 * apart from the flags, the new stack as a range (its top is the stack
 * pointer), CLONE_PIDFD's descriptor at .pidfd. glibc calls it first for
 * threads and posix_spawn (CLONE_CLEAR_SIGHAND). */
UK_SYSCALL2(clone3, struct clone_args *, ua, size_t, size)
{
	struct clone_args a = { 0 };
	uint64_t sp = 0;

	if (size < CLONE_ARGS_SIZE_VER0)
		return -EINVAL;
	if (size > 4096)
		return -E2BIG;
	if (!ua)
		return -EFAULT;
	for (size_t i = sizeof(a); i < size; i++)
		if (((const unsigned char *)ua)[i])
			return -E2BIG;
	uk_memcpy(&a, ua, size < sizeof(a) ? size : sizeof(a));
	if ((a.flags & (CSIGNAL | CLONE_DETACHED)) || a.exit_signal > 64 ||
	    ((a.flags & (CLONE_THREAD | CLONE_PARENT)) && a.exit_signal) ||
	    (!a.stack != !a.stack_size) || (a.set_tid_size && !a.set_tid) ||
	    (!a.set_tid_size && a.set_tid))
		return -EINVAL;
	if (a.set_tid_size) {
		uk_trace_note("clone3: choosing the child's pid (set_tid) is not supported");
		return -EINVAL;
	}
	if (a.flags & CLONE_INTO_CGROUP) {
		uk_trace_note("clone3: CLONE_INTO_CGROUP: there are no cgroups here");
		return -EINVAL;
	}
	if (a.stack)
		sp = a.stack + a.stack_size;
	if (!(a.flags & CLONE_THREAD))
		return uk_proc_clone("clone3", a.flags | a.exit_signal, sp, (int *)a.parent_tid,
		                     (int *)a.child_tid, a.tls, (int *)a.pidfd);
	return thread_clone(a.flags, sp, (int *)a.parent_tid, (int *)a.child_tid, a.tls);
}

/* A new thread of a Linux program, from clone or clone3. */
static long thread_clone(unsigned long flags, unsigned long sp, int *ptid, int *ctid,
                         unsigned long tls)
{
	struct uk_regs *frame;
	struct uk_thread *t;
	long r;

	if ((r = check_flags(flags)))
		return r;
	if (!uk_current->uregs) {
		uk_trace_note("clone: the raw call needs a Linux program's register frame; "
		              "link-mode programs use pthread_create");
		return -ENOSYS;
	}
	if (!(frame = uk_kmalloc(sizeof(*frame))))
		return -EAGAIN;
	*frame = *uk_current->uregs;
	frame->rax = 0;
	if (sp)
		frame->rsp = sp;
	t = clone_thread(flags, NULL, KSTACK, ptid, ctid, tls);
	if (!t) {
		uk_kfree(frame);
		return -EAGAIN;
	}
	t->fn = frame_entry;
	t->arg = frame;
	uk_thread_start(t);
	return t->tid;
}

int uk_gettid(void) { return uk_current->tid; }

void **uk_thread_reent(void) { return &uk_current->reent; }

UK_SYSCALL0(gettid) { return uk_current->tid; }

UK_SYSCALL1(set_tid_address, int *, tidptr)
{
	uk_current->clear_child_tid = tidptr;
	return uk_current->tid;
}

/* ---- robust futex lists (their release: kernel/futex.c) ---- */

UK_SYSCALL2(set_robust_list, struct robust_list_head *, head, size_t, len)
{
	if (len != sizeof(*head))
		return -EINVAL;
	uk_current->robust_list = (uint64_t)head;
	uk_current->robust_len = len;
	return 0;
}

UK_SYSCALL3(get_robust_list, int, tid, struct robust_list_head **, head, size_t *, len)
{
	struct uk_thread *t = tid ? uk_thread_find(tid) : uk_current;

	if (!t)
		return -ESRCH;
	if (!head || !len)
		return -EFAULT;
	*head = (void *)t->robust_list;
	*len = sizeof(**head);
	return 0;
}

/* ---- ending ---- */

UK_SYSCALL1(exit, int, status)
{
	uk_futex_robust_exit(uk_current);
	uk_thread_exit(status & 0xff);
}

UK_SYSCALL1(exit_group, int, status) { uk_proc_exit((status & 0xff) << 8); }

/* ---- scheduling ---- */

UK_SYSCALL0(sched_yield)
{
	uk_sched_yield();
	return 0;
}

static int task_ok(int pid) { return pid == 0 || uk_thread_find(pid); }

/* One CPU: the mask is {0}, and the size Linux reports is that of its own
 * cpumask (8 bytes here). */
UK_SYSCALL3(sched_getaffinity, int, pid, size_t, len, unsigned long *, mask)
{
	if (!task_ok(pid))
		return -ESRCH;
	if (len < sizeof(long) || (len & (sizeof(long) - 1)))
		return -EINVAL;
	if (!mask)
		return -EFAULT;
	*mask = 1;
	return sizeof(long);
}

UK_SYSCALL3(sched_setaffinity, int, pid, size_t, len, const unsigned long *, mask)
{
	if (!task_ok(pid))
		return -ESRCH;
	if (!len || !mask)
		return -EINVAL;
	return (*(const unsigned char *)mask & 1) ? 0 : -EINVAL;
}

UK_SYSCALL3(getcpu, unsigned *, cpu, unsigned *, node, void *, cache)
{
	if (cpu)
		*cpu = 0;
	if (node)
		*node = 0;
	return 0;
}

/* One CPU: every barrier is already there. */
UK_SYSCALL3(membarrier, int, cmd, unsigned, flags, int, cpu_id)
{
	const int ok = MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_GLOBAL_EXPEDITED |
	               MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED | MEMBARRIER_CMD_PRIVATE_EXPEDITED |
	               MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED;

	if (cmd == MEMBARRIER_CMD_QUERY)
		return flags ? -EINVAL : ok;
	return (cmd & ok) && !(cmd & (cmd - 1)) ? 0 : -EINVAL;
}

UK_SYSCALL2(arch_prctl, int, code, unsigned long, addr)
{
	switch (code) {
	case ARCH_SET_FS:
		if (addr >= (1ul << 47) && addr < 0xffff800000000000ul)
			return -EPERM; /* not canonical */
		uk_tls_set_thread(uk_current, addr);
		return 0;
	case ARCH_GET_FS:
		if (!addr)
			return -EFAULT;
		*(unsigned long *)addr = uk_get_fs();
		return 0;
	}
	uk_trace_note("arch_prctl: code %#x is not supported", code);
	return -EINVAL;
}
