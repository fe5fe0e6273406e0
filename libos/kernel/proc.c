/*
 * The process object (uk/proc.h): process 1, the current process, the
 * list of every process, switching between them, and the end of one.
 * Making, waiting for and signalling processes are system calls
 * (sys/proc.c), which register the hooks below the first time a process
 * forks or execs; until then there is one process and nothing to switch.
 */
#include <uk/linux.h>
#include <uk/plat.h>
#include <uk/proc.h>
#include <uk/sched.h>

struct uk_proc uk_proc_init = {
	.pid = 1,
	.pgid = 1,
	.sid = 1,
	.umask = 022,
};
struct uk_proc *uk_proc_cur = &uk_proc_init;
struct uk_proc *uk_procs = &uk_proc_init;
struct uk_proc_hooks uk_proc_hooks;
char uk_hostname[65] = "uk";

/* The manifest's "uid[:gid]" until the process changes them (anything
 * else, a user name, leaves 0:0). One id of each kind: real, effective
 * and saved are the same, so root may become anyone (nginx's workers drop
 * to www-data) but cannot come back (sys/sys_proc.c). */
struct uk_proc *uk_proc_ids(void)
{
	struct uk_proc *p = uk_proc_cur;

	if (!p->ids_known) {
		p->ids_known = 1;
		if (uk_plat.mf.has_ids) {
			p->uid = uk_plat.mf.uid;
			p->gid = uk_plat.mf.gid;
		}
	}
	return p;
}

int uk_current_euid(void) { return (int)uk_proc_ids()->uid; }
int uk_current_egid(void) { return (int)uk_proc_ids()->gid; }

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
	uk_thread_exit(0);
}
