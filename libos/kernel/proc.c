/*
 * The process object (uk/proc.h): process 1, the current process, the
 * list of every process, switching between them, and the end of one.
 * Making, waiting for and signalling processes are system calls
 * (sys/proc.c), which register the hooks below the first time a process
 * forks or execs; until then there is one process and nothing to switch.
 */
#include <uk/futex.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/plat.h>
#include <uk/proc.h>
#include <uk/sched.h>

/* (zeroed, set by uk_proc_boot: a static initializer put its 4 KiB in
 * every image's file) */
struct uk_proc uk_proc_init;
struct uk_proc *uk_proc_cur = &uk_proc_init;
struct uk_proc *uk_procs = &uk_proc_init;
struct uk_proc_hooks uk_proc_hooks;
struct uk_wq uk_proc_exit_wq;
char uk_hostname[65] = "uk";

void uk_proc_boot(void)
{
	uk_proc_init.pid = uk_proc_init.pgid = uk_proc_init.sid = 1;
	uk_proc_init.umask = 022;
}

/* The manifest's "uid[:gid]" (real, effective and saved) until the
 * process changes them (anything else, a user name, leaves 0:0). */
struct uk_proc *uk_proc_ids(void)
{
	struct uk_proc *p = uk_proc_cur;

	if (!p->ids_known) {
		p->ids_known = 1;
		if (uk_plat.mf.has_ids) {
			p->uid = p->ruid = p->suid = uk_plat.mf.uid;
			p->gid = p->rgid = p->sgid = uk_plat.mf.gid;
		}
		p->fsuid = p->uid, p->fsgid = p->gid;
		/* the primary group its one supplementary group, as docker and
		 * podman start a process with no additional ones */
		p->groups[0] = p->gid;
		p->ngroups = 1;
	}
	return p;
}

int uk_current_euid(void) { return (int)uk_proc_ids()->uid; }

/* Root's are all but those its program lacks, others' none, until the
 * process has sets of its own; as Linux's exec gives them, a real uid 0
 * under another effective one has them permitted, not in effect. ruid,
 * uid: its real and effective uids as seen (the manifest's before it
 * was read). */
static void caps_of(const struct uk_proc *p, unsigned ruid, unsigned uid, uint64_t *prm,
                    uint64_t *eff)
{
	if (p->caps_own) {
		*prm = p->cap_prm;
		*eff = p->cap_eff;
	} else {
		*prm = ruid && uid ? 0 : UK_CAPS_ALL & ~p->caps_lost;
		*eff = uid ? 0 : *prm;
	}
}

void uk_proc_caps(struct uk_proc *p, uint64_t *prm, uint64_t *eff)
{
	caps_of(p, p->ruid, p->uid, prm, eff);
}

int uk_capable(int cap)
{
	uint64_t prm, eff;

	uk_proc_caps(uk_proc_ids(), &prm, &eff);
	return cap >= 0 && cap <= UK_CAP_LAST && ((eff >> cap) & 1);
}
int uk_current_egid(void) { return (int)uk_proc_ids()->gid; }

void uk_cred_cur(struct uk_cred *c)
{
	struct uk_proc *p;
	uint64_t prm;

	if (uk_current->cred) {
		*c = *uk_current->cred;
		return;
	}
	p = uk_proc_ids();
	c->uid = p->fsuid, c->gid = p->fsgid;
	c->ngroups = p->ngroups, c->groups = p->groups;
	uk_proc_caps(p, &prm, &c->caps);
}

int uk_cred_in_group(const struct uk_cred *c, unsigned gid)
{
	if (gid == c->gid)
		return 1;
	for (unsigned i = 0; i < c->ngroups; i++)
		if (c->groups[i] == gid)
			return 1;
	return 0;
}

void uk_proc_switch(struct uk_proc *p)
{
	uk_proc_cur = p;
	if (uk_proc_hooks.mm_switch)
		uk_proc_hooks.mm_switch(p->mm);
}

struct uk_proc *uk_proc_find(int pid)
{
	for (struct uk_proc *p = uk_procs; p; p = p->all_next)
		if (p->pid == pid)
			return p;
	return NULL;
}

void uk_proc_thread_ending(struct uk_proc *p)
{
	if (p->nthreads == 1 && p != &uk_proc_init && uk_proc_hooks.release)
		uk_proc_hooks.release(p);
}

void uk_proc_last_thread(struct uk_proc *p, long value)
{
	if (p == &uk_proc_init) /* the program is over, and the VM */
		uk_plat_exit((int)value);
	if (uk_proc_hooks.ended)
		uk_proc_hooks.ended(p, value);
}

void uk_proc_exit(int wait_status)
{
	struct uk_proc *p = uk_proc_cur;

	if (p == &uk_proc_init && !p->exiting)
		uk_plat_exit(wait_status & 0x7f ? 128 + (wait_status & 0x7f)
		                                : (wait_status >> 8) & 0xff);
	if (!p->exiting) {
		p->exiting = 1;
		p->status = wait_status;
		/* the other threads end on their way back to the program */
		for (struct uk_thread *t = uk_threads; t; t = t->all_next)
			if (t->proc == p && t != uk_current && (t->flags & UK_TF_APP))
				uk_thread_wake(t, -EINTR);
	}
	/* (each thread of the process comes here on its own way out) */
	uk_futex_robust_exit(uk_current);
	uk_thread_exit(0);
}

/* ---- for /proc ---- */

static int app_thread_of(const struct uk_thread *t, const struct uk_proc *p)
{
	return t->proc == p && (t->flags & UK_TF_APP) && t->state != UK_T_EXITED;
}

/* The thread /proc shows for p as a whole: its first (tid = pid) while
 * that lives, else any other. */
static struct uk_thread *main_thread(const struct uk_proc *p)
{
	struct uk_thread *any = NULL;

	for (struct uk_thread *t = uk_threads; t; t = t->all_next)
		if (app_thread_of(t, p)) {
			if (t->tid == p->pid)
				return t;
			any = any ? any : t;
		}
	return any;
}

uint64_t uk_proc_cpu_ns(const struct uk_proc *p)
{
	uint64_t ns = p->cpu_ns;

	for (struct uk_thread *t = uk_threads; t; t = t->all_next)
		if (app_thread_of(t, p))
			ns += uk_thread_cpu_ns(t);
	return ns;
}

uint64_t uk_process_cpu_ns(void) { return uk_proc_cpu_ns(uk_proc_cur); }

static void view_signals(const struct uk_proc *p, struct uk_proc_view *v)
{
	for (int sig = 1; sig <= UK_NSIG; sig++) {
		uint64_t h = p->sig_actions[sig].handler;
		if (h == 1) /* SIG_IGN */
			v->sig_ignored |= 1ull << (sig - 1);
		else if (h > 1)
			v->sig_caught |= 1ull << (sig - 1);
	}
	v->sig_shared = p->sig_pending;
}

static void view_thread(const struct uk_thread *t, struct uk_proc_view *v)
{
	v->state = t->proc->stopped ? 'T' : t->state == UK_T_RUNNABLE ? 'R' : 'S';
	uk_memcpy(v->comm, t->name, sizeof(v->comm) - 1);
	v->sig_pending = t->sig_pending;
	v->sig_blocked = t->sig_blocked;
}

int uk_proc_view(int pid, int tid, struct uk_proc_view *v)
{
	struct uk_proc *p = uk_proc_find(pid);
	struct uk_thread *t = NULL;

	if (!p || (tid && (!(t = uk_thread_find(tid)) || !app_thread_of(t, p))))
		return -ESRCH;
	if (!t)
		t = main_thread(p);
	uk_memset(v, 0, sizeof(*v));
	v->pid = p->pid;
	v->tid = t ? t->tid : p->pid;
	v->ppid = p->parent ? p->parent->pid : 0;
	v->pgid = p->pgid;
	v->sid = p->sid;
	v->state = 'Z';
	if (t && p->state == UK_P_ALIVE)
		view_thread(t, v);
	if (p->ids_known || !uk_plat.mf.has_ids) {
		v->uid = p->uid, v->ruid = p->ruid, v->suid = p->suid;
		v->gid = p->gid, v->rgid = p->rgid, v->sgid = p->sgid;
	} else {
		v->uid = v->ruid = v->suid = uk_plat.mf.uid;
		v->gid = v->rgid = v->sgid = uk_plat.mf.gid;
	}
	v->umask = p->umask;
	v->dumpable = !p->undumpable;
	v->caps_bset = UK_CAPS_ALL & ~p->caps_dropped;
	caps_of(p, v->ruid, v->uid, &v->caps_prm, &v->caps_eff);
	v->caps_inh = p->cap_inh;
	v->nthreads = p->state == UK_P_ALIVE ? p->nthreads : 0;
	v->start_ns = p->start_ns;
	v->cpu_ns = tid ? uk_thread_cpu_ns(t) : uk_proc_cpu_ns(p);
	v->child_cpu_ns = p->child_cpu_ns;
	view_signals(p, v);
	v->mm = p->state == UK_P_ALIVE ? p->mm : NULL;
	v->files = p->state == UK_P_ALIVE ? p->files : NULL;
	v->cwd = p->state == UK_P_ALIVE ? p->cwd : NULL;
	v->root = p->state == UK_P_ALIVE ? p->root : NULL;
	v->exe = p->exe;
	v->arg_start = p->arg_start;
	v->arg_end = p->arg_end;
	v->env_start = p->env_start;
	v->env_end = p->env_end;
	v->stack_start = p->stack_start;
	v->brk_start = p->brk_start;
	v->brk_end = p->brk_end;
	v->vdso_start = p->vdso_start;
	return 0;
}

int uk_proc_next(int after)
{
	int next = 0;

	for (struct uk_proc *p = uk_procs; p; p = p->all_next)
		if (p->pid > after && (!next || p->pid < next))
			next = p->pid;
	return next;
}

int uk_proc_thread_pid(int tid)
{
	struct uk_thread *t = uk_thread_find(tid);

	return t && t->proc && app_thread_of(t, t->proc) ? t->proc->pid : 0;
}

int uk_proc_thread_next(int pid, int after)
{
	struct uk_proc *p = uk_proc_find(pid);
	int next = 0;

	if (!p)
		return 0;
	for (struct uk_thread *t = uk_threads; t; t = t->all_next)
		if (app_thread_of(t, p) && t->tid > after && (!next || t->tid < next))
			next = t->tid;
	return next;
}

int uk_proc_set_comm(int pid, int tid, const char *name, size_t len)
{
	struct uk_proc *p = uk_proc_find(pid);
	struct uk_thread *t = NULL;

	if (!p || (tid && (!(t = uk_thread_find(tid)) || !app_thread_of(t, p))))
		return -ESRCH;
	if (!t && !(t = main_thread(p)))
		return -ESRCH;
	uk_memset(t->name, 0, sizeof(t->name));
	uk_memcpy(t->name, name, len < sizeof(t->name) - 1 ? len : sizeof(t->name) - 1);
	return 0;
}
