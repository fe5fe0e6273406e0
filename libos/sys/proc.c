/*
 * Processes (uk/proc.h): fork, vfork and clone of a new process, their
 * ends, zombies and the wait calls (ends, stops, continues), SIGCHLD,
 * process ids, groups and sessions, and kill.
 *
 * A new process starts as a thread of its own, in its own address space
 * (a copy-on-write copy, or the parent's for CLONE_VM), resuming from a
 * copy of the parent's system-call frame with 0 in %rax, as clone's
 * threads do (sys_thread.c). Only a Linux program (binary mode) forks:
 * link mode's program lives in the library OS's own half.
 *
 * The process object itself, switching and the start of an exit are the
 * kernel room's (kernel/proc.c), which calls back here through hooks.
 *
 * The end of a process has two steps: its last thread lets go of what may
 * block (descriptors, the working directory) and of its address space,
 * then, once the thread is gone, the process becomes a zombie for its
 * parent (or is reaped at once when the parent ignores SIGCHLD or asked
 * SA_NOCLDWAIT), its children go to process 1, and the parent gets its
 * exit signal. Process 1's end is the VM's.
 */
#include <uk/arch.h>
#include <uk/libc.h>
#include <uk/futex.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/pidfd.h>
#include <uk/plat.h>
#include <uk/print.h>
#include <uk/proc.h>
#include <uk/sched.h>
#include <uk/signal.h>
#include <uk/syscall.h>
#include <uk/sysv.h>
#include <uk/time.h>
#include <uk/tty.h>
#include <uk/vfs.h>
#include <uk/vm.h>

#include <asm/siginfo.h>
#include <linux/sched.h>
#include <linux/wait.h>

#include "../kernel/signal_impl.h"

#define MAX_PROCS 4096     /* live and zombie: a fork bomb meets EAGAIN */
#define KSTACK (64u << 10) /* a process's first thread's library OS stack */
#define CLONE_EXIT_SIGNAL 0xff
#define CLONE_PROC_OK                                                                             \
	(CLONE_EXIT_SIGNAL | CLONE_VM | CLONE_VFORK | CLONE_SETTLS | CLONE_PARENT_SETTID |        \
	 CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | CLONE_DETACHED | CLONE_UNTRACED | CLONE_IO | \
	 CLONE_SYSVSEM | CLONE_PIDFD | CLONE_CLEAR_SIGHAND)
#define WAIT_OPTIONS \
	(WNOHANG | WUNTRACED | WCONTINUED | WEXITED | WNOWAIT | __WALL | __WCLONE | __WNOTHREAD)

extern struct uk_mm uk_vm_init_mm;
extern struct uk_fdtable uk_fd_init_table;

static unsigned nprocs = 1;
/* Reaped by the exiting thread itself (SIGCHLD ignored): freed later, by
 * another thread, since it is still running on behalf of it. */
static struct uk_proc *dead;

static void unlink_proc(struct uk_proc *p)
{
	struct uk_proc **pp;

	for (pp = &uk_procs; *pp; pp = &(*pp)->all_next)
		if (*pp == p) {
			*pp = p->all_next;
			break;
		}
	if (p->parent)
		for (pp = &p->parent->children; *pp; pp = &(*pp)->sibling)
			if (*pp == p) {
				*pp = p->sibling;
				break;
			}
	nprocs--;
}

static void free_dead(void)
{
	int on = uk_irq_save();

	while (dead && dead != uk_proc_cur) {
		struct uk_proc *p = dead;
		dead = p->all_next;
		uk_kfree(p);
	}
	uk_irq_restore(on);
}

/* ---- the end of a process ---- */

/* What a vfork parent waits on, on its own stack: when SIGCHLD is
 * ignored the child is reaped as it ends and freed soon after, maybe
 * before the parent runs again, so the parent touches nothing of the
 * child's once woken. */
struct uk_vfork_wait {
	struct uk_wq wq;
	int done;
};

static void vfork_release(struct uk_proc *p)
{
	struct uk_vfork_wait *w = p->vfork_wait;

	if (w) {
		p->vfork_wait = NULL;
		w->done = 1;
		uk_wq_wake(&w->wq, -1);
	}
}

/* The running thread is to end (a SIGKILL, or its process is ending). */
static int fatal_pending(void)
{
	return uk_proc_cur->exiting ||
	       ((uk_current->sig_pending | uk_proc_cur->sig_pending) & BIT(SIGKILL));
}

/* A vfork parent waits until its child execs or ends. Other signals wait
 * (Linux's vfork waits killable); a fatal one ends the wait, and the
 * child, not released yet (so still there), forgets the waiter. */
static void vfork_wait(struct uk_proc *child, struct uk_vfork_wait *w)
{
	while (uk_wait_event(&w->wq, w->done, 0)) {
		if (fatal_pending() && !w->done) {
			child->vfork_wait = NULL;
			return;
		}
	}
}

/* The new program starts dumpable, and root's with the bounding set's
 * capabilities, others' with none (no file capabilities, no ambient
 * set); the inheritable set stays, PR_SET_KEEPCAPS ends: as Linux's exec
 * of a file that is not set-id. */
void uk_proc_exec_done(void)
{
	struct uk_proc *p = uk_proc_ids();

	/* (Linux: the saved and file system ids become the effective) */
	p->suid = p->fsuid = p->uid, p->sgid = p->fsgid = p->gid;
	uk_proc_cur->undumpable = 0;
	uk_proc_cur->caps_lost = uk_proc_cur->caps_dropped;
	uk_proc_cur->caps_own = uk_proc_cur->keepcaps = 0;
	vfork_release(uk_proc_cur);
}

/* What the last thread lets go of before it ends (this may block). */
static void release(struct uk_proc *p)
{
	struct uk_mm *mm = p->mm;

	vfork_release(p);
	uk_itimers_stop(p);
	uk_ptimers_delete(p);
	uk_sem_exit(p->pid);        /* its SEM_UNDO adjustments */
	uk_wq_wake(&p->sig_wq, -1); /* (pollers of a signalfd let go of it) */
	if (p->files) {
		struct uk_fdtable *t = p->files;
		uk_fd_table_put(t);
		p->files = NULL;
	}
	if (p->cwd) {
		uk_vnode_put(p->cwd);
		p->cwd = NULL;
	}
	if (p->root) {
		uk_vnode_put(p->root);
		p->root = NULL;
	}
	p->mm = NULL;
	uk_mm_switch(NULL);
	uk_mm_put(mm);
	/* what library OS code finds until another process runs: valid
	 * tables (the address space loaded stays none) */
	uk_proc_cur = &uk_proc_init;
}

static int auto_reaps(const struct uk_proc *parent)
{
	const struct ksigaction *a = &parent->sig_actions[SIGCHLD];

	return a->handler == (uint64_t)SIG_IGN || (a->flags & SA_NOCLDWAIT);
}

static void ended(struct uk_proc *p, long value)
{
	struct uk_proc *parent = p->parent, *c, *next;
	int moved = 0; /* its children, now first among process 1's */

	if (!p->exiting)
		p->status = (int)(value & 0xff) << 8;
	p->state = UK_P_ZOMBIE;
	if (p->pid == p->sid && uk_ptys)
		uk_ptys->leader_exit(p);
	uk_sig_drop_all(NULL, p);
	for (c = p->children; c; c = next) { /* orphans go to process 1 */
		next = c->sibling;
		moved++;
		c->parent = &uk_proc_init;
		c->exit_signal = SIGCHLD; /* (process 1's wait sees it: Linux's reparent_leader) */
		c->sibling = uk_proc_init.children;
		uk_proc_init.children = c;
		if (c->state != UK_P_ZOMBIE)
			continue;
		if (auto_reaps(&uk_proc_init)) { /* as its own children are */
			unlink_proc(c);
			moved--;
			c->all_next = dead;
			dead = c;
		} else {
			uk_wq_wake(&uk_proc_init.child_wq, -1);
		}
	}
	p->children = NULL;
	uk_sig_orphans(p, moved);
	if (auto_reaps(parent)) {
		unlink_proc(p);
		p->all_next = dead;
		dead = p;
	} else if (p->exit_signal) {
		int killed = p->status & 0x7f;
		uk_proc_child_signal(parent, p->exit_signal, killed ? CLD_KILLED : CLD_EXITED,
		                     p->pid, killed ? killed : (p->status >> 8) & 0xff);
	}
	uk_wq_wake(&parent->child_wq, -1);
	uk_wq_wake(&uk_proc_exit_wq, -1);
}

void uk_proc_setup(void)
{
	if (uk_proc_hooks.mm_switch)
		return;
	uk_proc_init.mm = &uk_vm_init_mm;
	uk_proc_init.files = &uk_fd_init_table;
	uk_proc_hooks.release = release;
	uk_proc_hooks.ended = ended;
	uk_proc_hooks.mm_switch = uk_mm_switch;
}

/* ---- new processes ---- */

struct start {
	struct uk_regs regs;
	int *settid; /* CLONE_CHILD_SETTID: in the child's memory */
};

static void child_entry(void *arg)
{
	struct start *s = arg;
	struct uk_regs r = s->regs;

	if (s->settid)
		*s->settid = uk_current->tid;
	uk_kfree(s);
	uk_arch_frame_enter(&r);
}

static long check_clone(const char *call, unsigned long flags)
{
	if (flags & ~CLONE_PROC_OK) {
		uk_trace_note(
		    "clone: flags %#lx: a new process shares no descriptor table, working "
		    "directory or signal handlers with its parent here (flags %#lx are not "
		    "supported)",
		    flags, (unsigned long)(flags & ~CLONE_PROC_OK));
		return -EINVAL;
	}
	if (!uk_current->uregs) {
		uk_pr("%s: not supported in a unikernel: a program linked into the image lives in "
		      "the library OS's half (use threads, or run it as a Linux program: ukbuild "
		      "oci)",
		      call);
		return -ENOSYS;
	}
	return 0;
}

/* Undo what a new process was given before it could run. */
static void proc_unmake(struct uk_proc *p)
{
	if (p->files)
		uk_fd_table_put(p->files);
	if (p->mm)
		uk_mm_put(p->mm);
	if (p->cwd)
		uk_vnode_put(p->cwd);
	if (p->root)
		uk_vnode_put(p->root);
	uk_kfree(p);
}

/* The child's state from the parent's: everything but its memory. */
static struct uk_proc *proc_copy(struct uk_proc *parent, unsigned long flags)
{
	struct uk_proc *p = uk_kzalloc(sizeof(*p));

	if (!p)
		return NULL;
	p->pgid = parent->pgid;
	p->sid = parent->sid;
	p->tty_none = parent->tty_none;
	p->parent = parent;
	p->exit_signal = (int)(flags & CLONE_EXIT_SIGNAL);
	p->umask = parent->umask;
	p->uid = parent->uid, p->ruid = parent->ruid, p->suid = parent->suid;
	p->gid = parent->gid, p->rgid = parent->rgid, p->sgid = parent->sgid;
	p->fsuid = parent->fsuid, p->fsgid = parent->fsgid, p->ngroups = parent->ngroups;
	uk_memcpy(p->groups, parent->groups, sizeof(p->groups));
	p->ids_known = parent->ids_known;
	p->caps_dropped = parent->caps_dropped;
	p->caps_lost = parent->caps_lost;
	p->cap_prm = parent->cap_prm;
	p->cap_eff = parent->cap_eff;
	p->cap_inh = parent->cap_inh;
	p->caps_own = parent->caps_own;
	p->keepcaps = parent->keepcaps;
	p->undumpable = parent->undumpable;
	uk_memcpy(p->sig_actions, parent->sig_actions, sizeof(p->sig_actions));
	if (flags & CLONE_CLEAR_SIGHAND) /* handlers back to the default, ignored stay so */
		for (int i = 1; i <= UK_NSIG; i++) {
			struct ksigaction *a = &p->sig_actions[i];
			*a = (struct ksigaction){ a->handler == (uint64_t)SIG_IGN ? a->handler : 0,
				                  0, 0, 0 };
		}
	p->brk_start = parent->brk_start;
	p->brk_cur = parent->brk_cur;
	p->brk_end = parent->brk_end;
	uk_memcpy(p->exe, parent->exe, sizeof(p->exe));
	p->arg_start = parent->arg_start;
	p->arg_end = parent->arg_end;
	p->env_start = parent->env_start;
	p->env_end = parent->env_end;
	p->stack_start = parent->stack_start;
	p->vdso_start = parent->vdso_start;
	p->start_ns = uk_monotonic_ns();
	if (parent->cwd)
		p->cwd = uk_vnode_get(parent->cwd);
	if (parent->root)
		p->root = uk_vnode_get(parent->root);
	p->files = uk_fd_fork();
	p->mm = flags & CLONE_VM ? uk_mm_get(parent->mm) : uk_mm_fork();
	if (!p->files || !p->mm) {
		proc_unmake(p);
		return NULL;
	}
	return p;
}

static struct uk_thread *first_thread(struct uk_proc *p, unsigned long flags, uint64_t sp,
                                      int *ctid, uint64_t tls)
{
	struct start *s = uk_kmalloc(sizeof(*s));
	struct uk_thread *t;

	if (!s)
		return NULL;
	s->regs = *uk_current->uregs;
	s->regs.rax = 0;
	if (sp)
		s->regs.rsp = sp;
	s->settid = flags & CLONE_CHILD_SETTID ? ctid : NULL;
	if (!(t = uk_thread_new(child_entry, s, NULL, KSTACK, UK_TF_APP))) {
		uk_kfree(s);
		return NULL;
	}
	uk_thread_move(t, p);
	t->detached = 1;
	t->sig_blocked = uk_current->sig_blocked;
	t->altstack_sp = uk_current->altstack_sp;
	t->altstack_size = uk_current->altstack_size;
	t->altstack_flags = uk_current->altstack_flags;
	t->fs_base = flags & CLONE_SETTLS ? tls : uk_get_fs();
	if (flags & CLONE_CHILD_CLEARTID)
		t->clear_child_tid = ctid;
	return t;
}

long uk_proc_clone(const char *call, unsigned long flags, uint64_t sp, int *ptid, int *ctid,
                   uint64_t tls, int *pidfd)
{
	struct uk_proc *parent = uk_proc_cur, *p;
	struct uk_vfork_wait vw = { { NULL, NULL }, 0 };
	struct uk_file *pf = NULL;
	struct uk_thread *t;
	long r;
	int pid, fd = -1;

	/* (Linux's own checks first: a shared table cannot be cleared) */
	if ((flags & CLONE_CLEAR_SIGHAND) && (flags & CLONE_SIGHAND))
		return -EINVAL;
	if ((r = check_clone(call, flags)))
		return r;
	if ((flags & CLONE_PIDFD) && !pidfd)
		return -EFAULT;
	uk_proc_setup();
	free_dead();
	if (nprocs >= MAX_PROCS)
		return -EAGAIN;
	if (!(p = proc_copy(parent, flags)))
		return -ENOMEM;
	/* (after the copy of the table: the child does not get it) */
	if ((flags & CLONE_PIDFD) && (fd = uk_pidfd_install(&pf)) < 0) {
		proc_unmake(p);
		return fd;
	}
	if (!(t = first_thread(p, flags, sp, ctid, tls))) {
		release(p); /* (not current: release switches to no address space) */
		uk_proc_switch(parent);
		uk_kfree(p);
		if (pf) {
			uk_fd_close(fd);
			uk_file_put(pf);
		}
		return -ENOMEM;
	}
	p->pid = t->tid;
	if (pf) {
		uk_pidfd_bind(pf, p);
		*pidfd = fd;
	}
	p->all_next = uk_procs;
	uk_procs = p;
	p->sibling = parent->children;
	parent->children = p;
	nprocs++;
	if (flags & CLONE_PARENT_SETTID)
		*ptid = p->pid;
	if (flags & CLONE_VFORK)
		p->vfork_wait = &vw;
	pid = p->pid; /* (p may be gone when this thread runs again) */
	uk_thread_start(t);
	if (flags & CLONE_VFORK)
		vfork_wait(p, &vw);
	return pid;
}

/* A process made from nothing (`ukrun exec`'s): no address space yet,
 * no descriptors, process 1's working directory, a session and group of
 * its own; its first thread runs entry(arg) in the library OS, as the
 * process, to exec a program. */
struct uk_proc *uk_proc_spawn(struct uk_proc *parent, void (*entry)(void *), void *arg,
                              uint32_t uid, uint32_t gid)
{
	struct uk_proc *p;
	struct uk_thread *t;

	uk_proc_setup();
	free_dead();
	if (nprocs >= MAX_PROCS || !(p = uk_kzalloc(sizeof(*p))))
		return NULL;
	p->parent = parent;
	p->umask = 022;
	p->uid = p->ruid = p->suid = p->fsuid = uid;
	p->gid = p->rgid = p->sgid = p->fsgid = gid;
	p->groups[0] = gid; /* (as process 1's: kernel/proc.c) */
	p->ngroups = 1;
	p->ids_known = 1;
	if (uk_proc_init.cwd)
		p->cwd = uk_vnode_get(uk_proc_init.cwd);
	p->files = uk_fd_table_new();
	p->mm = uk_mm_new();
	t = p->files && p->mm ? uk_thread_new(entry, arg, NULL, KSTACK, UK_TF_APP) : NULL;
	if (!t) {
		proc_unmake(p);
		return NULL;
	}
	uk_thread_move(t, p);
	t->detached = 1;
	t->fs_base = uk_get_fs();
	p->pid = p->pgid = p->sid = t->tid;
	p->all_next = uk_procs;
	uk_procs = p;
	p->sibling = parent->children;
	parent->children = p;
	nprocs++;
	uk_thread_start(t);
	return p;
}

int uk_proc_reap(struct uk_proc *p)
{
	int status;

	if (p->state != UK_P_ZOMBIE)
		return -EAGAIN;
	status = p->status;
	unlink_proc(p);
	uk_kfree(p);
	return status;
}

UK_SYSCALL0(fork) { return uk_proc_clone("fork", SIGCHLD, 0, NULL, NULL, 0, NULL); }

UK_SYSCALL0(vfork)
{
	return uk_proc_clone("vfork", CLONE_VM | CLONE_VFORK | SIGCHLD, 0, NULL, NULL, 0, NULL);
}

/* ---- waiting for children ---- */

/* Whether child c is one that wait's (idtype, id) names. A "clone"
 * child, one that reports its end with a signal other than SIGCHLD (or
 * none), is seen only with __WCLONE, the others only without it; __WALL
 * sees both (Linux's eligible_child). */
static int names(const struct uk_proc *c, int idtype, int id, int options)
{
	if (!(options & __WALL) && (c->exit_signal != SIGCHLD) != !!(options & __WCLONE))
		return 0;
	switch (idtype) {
	case P_PID: return c->pid == id;
	case P_PGID: return c->pgid == id;
	}
	return 1;
}

#define WAIT_EXITED 3 /* beside UK_WAIT_STOPPED and _CONTINUED */

/* What a wait with options reports of child c: WAIT_EXITED,
 * UK_WAIT_STOPPED, UK_WAIT_CONTINUED, or 0 for nothing. */
static int event_of(const struct uk_proc *c, int options)
{
	if (c->state == UK_P_ZOMBIE)
		return options & WEXITED ? WAIT_EXITED : 0;
	if ((options & WSTOPPED) && c->wait_report == UK_WAIT_STOPPED)
		return UK_WAIT_STOPPED;
	if ((options & WCONTINUED) && c->wait_report == UK_WAIT_CONTINUED)
		return UK_WAIT_CONTINUED;
	return 0;
}

/* A child matching (idtype, id) with something to report (*ev), or NULL
 * with *any saying whether a living one matches (Linux: -ECHILD once none
 * does; a zombie counts only for a wait that asks for ends, and is then
 * reported). */
static struct uk_proc *find_event(int idtype, int id, int options, int *any, int *ev)
{
	*any = 0;
	for (struct uk_proc *c = uk_proc_cur->children; c; c = c->sibling) {
		if (!names(c, idtype, id, options))
			continue;
		if ((*ev = event_of(c, options)))
			return c;
		*any |= c->state == UK_P_ALIVE;
	}
	return NULL;
}

static void reap(struct uk_proc *c)
{
	uk_proc_cur->child_cpu_ns += c->cpu_ns + c->child_cpu_ns;
	unlink_proc(c);
	uk_kfree(c);
}

/* Wait for a child (idtype, id) to end, stop or continue as options ask:
 * it and what it did (*ev), NULL with WNOHANG, or an error in *err
 * (-ECHILD, -EINTR). */
static struct uk_proc *wait_child(int idtype, int id, int options, int *ev, long *err)
{
	struct uk_proc *c;
	int any, r;

	*err = 0;
	free_dead();
	for (;;) {
		if ((c = find_event(idtype, id, options, &any, ev)))
			return c;
		if (!any) {
			*err = -ECHILD;
			return NULL;
		}
		if (options & WNOHANG)
			return NULL;
		r = uk_wait_event(&uk_proc_cur->child_wq,
		                  (c = find_event(idtype, id, options, &any, ev)) || !any, 0);
		/* a child's change also sends SIGCHLD, which may wake us
		 * first: the child is reported, as Linux looks at children
		 * first */
		if (r && !(c = find_event(idtype, id, options, &any, ev))) {
			*err = r;
			return NULL;
		}
	}
}

/* wait4's status word for what child c did. */
static int wait_status(const struct uk_proc *c, int ev)
{
	if (ev == UK_WAIT_STOPPED)
		return (c->stop_sig << 8) | 0x7f;
	if (ev == UK_WAIT_CONTINUED)
		return 0xffff;
	return c->status;
}

/* A reported stop or continue is reported once; an end, once reaped. */
static void consume(struct uk_proc *c, int ev, int options)
{
	if (options & WNOWAIT)
		return;
	if (ev == WAIT_EXITED)
		reap(c);
	else
		c->wait_report = UK_WAIT_NONE;
}

UK_SYSCALL4(wait4, int, pid, int *, status, int, options, void *, ru)
{
	int idtype = pid > 0 ? P_PID : pid == -1 ? P_ALL : P_PGID;
	int id = pid > 0 ? pid : pid == 0 ? uk_proc_cur->pgid : -pid;
	struct uk_proc *c;
	long err;
	int ev;

	if (options & ~(WAIT_OPTIONS & ~(WEXITED | WNOWAIT)))
		return -EINVAL;
	if (pid == INT32_MIN)
		return -ESRCH;
	c = wait_child(idtype, id, options | WEXITED, &ev, &err);
	if (!c)
		return err;
	pid = c->pid;
	if (status)
		*status = wait_status(c, ev);
	if (ru) /* no per-process accounting of its own: zeros */
		uk_memset(ru, 0, 144);
	consume(c, ev, options);
	return pid;
}

static void fill_info(siginfo_t *info, const struct uk_proc *c, int ev)
{
	info->si_signo = SIGCHLD;
	info->si_pid = c->pid;
	info->si_uid = uk_current_euid();
	if (ev == UK_WAIT_STOPPED) {
		info->si_code = CLD_STOPPED;
		info->si_status = c->stop_sig;
	} else if (ev == UK_WAIT_CONTINUED) {
		info->si_code = CLD_CONTINUED;
		info->si_status = SIGCONT;
	} else {
		info->si_code = c->status & 0x7f ? CLD_KILLED : CLD_EXITED;
		info->si_status = c->status & 0x7f ? c->status & 0x7f : (c->status >> 8) & 0xff;
	}
}

/* waitid's P_PIDFD: the pid the pidfd *id names, and whether it was
 * opened PIDFD_NONBLOCK (a wait then says EAGAIN, not block). */
static long pidfd_child(int *id, int *nonblock)
{
	struct uk_proc *p;

	return uk_pidfd_proc(*id, &p, id, nonblock);
}

UK_SYSCALL5(waitid, int, idtype, int, id, siginfo_t *, info, int, options, void *, ru)
{
	struct uk_proc *c;
	long err;
	int ev, nb = 0;

	if ((options & ~WAIT_OPTIONS) || !(options & (WEXITED | WSTOPPED | WCONTINUED)))
		return -EINVAL;
	if (idtype == P_PIDFD) {
		if ((err = pidfd_child(&id, &nb)))
			return err;
		idtype = P_PID;
	}
	if (idtype != P_ALL && idtype != P_PID && idtype != P_PGID)
		return -EINVAL;
	if (idtype == P_PGID && !id)
		id = uk_proc_cur->pgid;
	c = wait_child(idtype, id, options | (nb ? WNOHANG : 0), &ev, &err);
	if (!c && !err && nb && !(options & WNOHANG))
		err = -EAGAIN; /* a PIDFD_NONBLOCK pidfd's child still runs */
	if (info) {
		uk_memset(info, 0, sizeof(*info));
		if (c)
			fill_info(info, c, ev);
	}
	if (ru)
		uk_memset(ru, 0, 144);
	if (!c)
		return err;
	consume(c, ev, options);
	return 0;
}

/* ---- ids, groups, sessions ---- */

UK_SYSCALL0(getpid) { return uk_proc_cur->pid; }

UK_SYSCALL0(getppid) { return uk_proc_cur->parent ? uk_proc_cur->parent->pid : 0; }

static struct uk_proc *named(int pid) { return pid ? uk_proc_find(pid) : uk_proc_cur; }

UK_SYSCALL0(getpgrp) { return uk_proc_cur->pgid; }

UK_SYSCALL1(getpgid, int, pid)
{
	struct uk_proc *p = named(pid);

	return p ? p->pgid : -ESRCH;
}

UK_SYSCALL1(getsid, int, pid)
{
	struct uk_proc *p = named(pid);

	return p ? p->sid : -ESRCH;
}

UK_SYSCALL0(setsid)
{
	struct uk_proc *p = uk_proc_cur;

	for (struct uk_proc *q = uk_procs; q; q = q->all_next)
		if (q->pgid == p->pid)
			return -EPERM; /* already leads a group */
	p->sid = p->pgid = p->pid;
	p->tty_none = 1; /* a new session has no controlling terminal yet */
	return p->sid;
}

UK_SYSCALL2(setpgid, int, pid, int, pgid)
{
	struct uk_proc *p = named(pid), *q;

	if (pgid < 0)
		return -EINVAL;
	if (!p || (p != uk_proc_cur && p->parent != uk_proc_cur))
		return -ESRCH;
	if (p->sid != uk_proc_cur->sid)
		return -EPERM;
	if (p->pid == p->sid)
		return -EPERM; /* a session leader stays in its group */
	if (!pgid)
		pgid = p->pid;
	if (pgid != p->pid) {
		for (q = uk_procs; q && !(q->pgid == pgid && q->sid == p->sid); q = q->all_next)
			;
		if (!q)
			return -EPERM;
	}
	p->pgid = pgid;
	return 0;
}

/* ---- kill ---- */

/* Process 1 takes from the other processes only the signals it handles,
 * as a container's first process does (Linux's init of a PID namespace):
 * `kill 1` or `kill 0` in an entrypoint script's child does not end the
 * container. (Its own raise or abort still does; Linux's init would
 * ignore those too.) */
int uk_proc_init_ignores(const struct uk_proc *p, int sig)
{
	return p->pid == 1 && p != uk_proc_cur && sig &&
	       p->sig_actions[sig].handler == (uint64_t)SIG_DFL;
}

/* Whether kill -1 (all) or kill -pgid names p. A zombie counts (kill
 * answers 0 for a group of zombies, as Linux's) but takes no signal. */
static int may_kill(const struct uk_proc *p, int all)
{
	return !(all && (p->pid == 1 || p == uk_proc_cur));
}

/* kill(2): a process, a group (0: the caller's), or every process but 1
 * and the caller (-1). One uid here: every process may signal every
 * other. */
UK_SYSCALL2(kill, int, pid, int, sig)
{
	int found = 0, all = pid == -1;
	int pgid = pid == 0 ? uk_proc_cur->pgid : -pid;
	struct uk_proc *p;
	long r = 0;

	if (sig < 0 || sig > UK_NSIG)
		return -EINVAL;
	if (pid == INT32_MIN)
		return -ESRCH;
	if (pid > 0) {
		struct uk_thread *t = uk_thread_find(pid);
		p = uk_proc_find(pid);
		if (!p && t && (t->flags & UK_TF_APP)) /* a thread id names its process */
			p = t->proc;
		if (!p || p->state != UK_P_ALIVE)
			return p ? 0 : -ESRCH; /* a zombie takes signals and ignores them */
		if (uk_proc_init_ignores(p, sig))
			return 0;
		return sig ? uk_proc_signal(p, sig, SI_USER, uk_proc_cur->pid) : 0;
	}
	/* the caller last: a signal that ends it must not stop the others' */
	for (p = uk_procs; p; p = p->all_next) {
		if (p == uk_proc_cur || !may_kill(p, all) || (!all && p->pgid != pgid))
			continue;
		found = 1;
		if (sig && p->state == UK_P_ALIVE && !uk_proc_init_ignores(p, sig) &&
		    (r = uk_proc_signal(p, sig, SI_USER, uk_proc_cur->pid)))
			return r;
	}
	if (!all && uk_proc_cur->pgid == pgid) {
		found = 1;
		if (sig)
			r = uk_proc_signal(uk_proc_cur, sig, SI_USER, uk_proc_cur->pid);
	}
	return found ? r : -ESRCH;
}
