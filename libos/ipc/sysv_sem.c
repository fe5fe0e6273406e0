/*
 * System V semaphores (semget, semop, semtimedop, semctl), shared by
 * every process of the VM (ids and keys: ipc/sysv.c).
 *
 * A semop applies all its operations or none. One that cannot go on
 * waits on its set's queue, counted in semncnt or semzcnt of the
 * semaphore its first blocking operation names; every change to the set
 * wakes the whole queue and each waiter tries again (sets are small and
 * waiters few: Linux's per-semaphore queues buy nothing here). A signal
 * ends the wait with EINTR, a timeout with EAGAIN, the set's removal
 * with EIDRM.
 *
 * SEM_UNDO: each process's adjustments to a set live with the set, keyed
 * by process id (threads share them, a forked child starts without), and
 * are applied when the process ends (uk_sem_exit), clamped to 0..SEMVMX
 * as Linux does. SETVAL and SETALL clear them for the semaphores set.
 */
#include <asm/sembuf.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/proc.h>
#include <uk/sched.h>
#include <uk/syscall.h>
#include <uk/sysv.h>
#include <uk/timespec.h>

/* Linux's defaults (/proc/sys/kernel/sem: SEMMSL SEMMNS SEMOPM SEMMNI) */
#define SEMMSL 32000
#define SEMMNS 1024000000
#define SEMOPM 500
#define SEMMNI 32000
#define SEMVMX 32767
#define SEMAEM SEMVMX
/* <linux/sem.h>'s values (its header clashes with the library OS's time
 * types) */
#define SEM_UNDO 0x1000
#define GETPID 11
#define GETVAL 12
#define GETALL 13
#define GETNCNT 14
#define GETZCNT 15
#define SETVAL 16
#define SETALL 17
#define SEM_STAT 18
#define SEM_INFO 19
#define SEM_STAT_ANY 20

struct sembuf {
	unsigned short sem_num;
	short sem_op;
	short sem_flg;
};

struct seminfo {
	int semmap, semmni, semmns, semmnu, semmsl, semopm, semume, semusz, semvmx, semaem;
};

struct sem {
	int val;
	int pid;        /* of the last operation */
	int ncnt, zcnt; /* waiters for an increase, for zero */
};

struct undo {
	struct undo *next;
	int pid;
	int adj[]; /* one per semaphore */
};

struct sem_set {
	struct uk_ipc_obj o; /* first */
	int nsems;
	long otime;
	struct uk_wq wq; /* semops waiting */
	struct undo *undos;
	int refs; /* the namespace's, and each waiter's */
	int removed;
	struct sem sems[];
};

static struct uk_ipc_ids sets = { .max = SEMMNI };
static long total_sems; /* in every set, against SEMMNS */

static struct sem_set *set_of(int id) { return (struct sem_set *)uk_ipc_of(&sets, id); }

static void set_put(struct sem_set *s)
{
	struct undo *u, *next;

	if (--s->refs)
		return;
	for (u = s->undos; u; u = next) {
		next = u->next;
		uk_kfree(u);
	}
	uk_kfree(s);
}

static long set_new(int key, int nsems, int flags)
{
	struct sem_set *s;
	long r;

	if (nsems < 1 || nsems > SEMMSL)
		return -EINVAL;
	if (total_sems + nsems > SEMMNS)
		return -ENOSPC;
	if (!(s = uk_kzalloc(sizeof(*s) + (size_t)nsems * sizeof(s->sems[0]))))
		return -ENOMEM;
	s->nsems = nsems;
	s->refs = 1;
	if ((r = uk_ipc_add(&sets, &s->o, key, flags)) < 0) {
		uk_kfree(s);
		return r;
	}
	total_sems += nsems;
	return r;
}

UK_SYSCALL3(semget, int, key, int, nsems, int, flags)
{
	struct uk_ipc_obj *o;
	long r;

	if (nsems < 0 || nsems > SEMMSL)
		return -EINVAL;
	r = uk_ipc_lookup(&sets, key, flags, &o);
	if (r < 0 || o)
		return r >= 0 && nsems > ((struct sem_set *)o)->nsems ? -EINVAL : r;
	return set_new(key, nsems, flags);
}

/* The running process's adjustments to s, made when make: NULL when it
 * has none (or memory is out: *err is -ENOMEM then). */
static struct undo *undo_of(struct sem_set *s, int pid, int make, long *err)
{
	struct undo *u;

	for (u = s->undos; u; u = u->next)
		if (u->pid == pid)
			return u;
	if (!make)
		return NULL;
	if (!(u = uk_kzalloc(sizeof(*u) + (size_t)s->nsems * sizeof(u->adj[0])))) {
		*err = -ENOMEM;
		return NULL;
	}
	u->pid = pid;
	u->next = s->undos;
	s->undos = u;
	return u;
}

/* Try ops on s, all or none: 0 when applied, 1 when one must wait
 * (*block: its index), -EAGAIN when that one has IPC_NOWAIT, -ERANGE when
 * a value or an adjustment would leave its range (Linux's: -SEMAEM - 1 ..
 * SEMAEM), counting the call's earlier ops on the same semaphore. */
static long try_ops(struct sem_set *s, const struct sembuf *ops, unsigned n, struct undo *u,
                    unsigned *block)
{
	int val[SEMOPM], adj[SEMOPM], pid = uk_proc_cur->pid;
	unsigned i, j;

	for (i = 0; i < n; i++) { /* on copies of the values the ops touch */
		const struct sembuf *op = &ops[i];
		int *v = &val[i], *a = &adj[i];
		*v = s->sems[op->sem_num].val;
		*a = u ? u->adj[op->sem_num] : 0;
		for (j = 0; j < i; j++) /* an earlier op on the same one */
			if (ops[j].sem_num == op->sem_num)
				*v = val[j], *a = adj[j];
		if ((op->sem_op == 0 && *v != 0) || *v + op->sem_op < 0) {
			*block = i;
			return op->sem_flg & IPC_NOWAIT ? -EAGAIN : 1;
		}
		*v += op->sem_op;
		if (*v > SEMVMX)
			return -ERANGE;
		if ((op->sem_flg & SEM_UNDO) && u) {
			*a -= op->sem_op;
			if (*a < -SEMAEM - 1 || *a > SEMAEM)
				return -ERANGE;
		}
	}
	for (i = 0; i < n; i++) { /* the last op on a semaphore has its final values */
		struct sem *m = &s->sems[ops[i].sem_num];
		m->val = val[i];
		m->pid = pid;
		if (u)
			u->adj[ops[i].sem_num] = adj[i];
	}
	s->otime = uk_ipc_now();
	return 0;
}

/* Count the running thread as waiting on the semaphore op names. */
static void count_waiter(struct sem_set *s, const struct sembuf *op, int d)
{
	if (op->sem_op == 0)
		s->sems[op->sem_num].zcnt += d;
	else
		s->sems[op->sem_num].ncnt += d;
}

/* Apply ops, waiting until they can be (deadline: 0 for ever). */
static long do_semop(struct sem_set *s, const struct sembuf *ops, unsigned n, uint64_t deadline,
                     struct undo *u)
{
	unsigned block;
	long r;
	int on = uk_irq_save();

	s->refs++;
	while ((r = try_ops(s, ops, n, u, &block)) == 1) {
		count_waiter(s, &ops[block], 1);
		r = uk_wq_wait(&s->wq, deadline);
		count_waiter(s, &ops[block], -1);
		if (s->removed)
			r = -EIDRM;
		else if (r == -ETIMEDOUT)
			r = -EAGAIN;
		if (r)
			break;
	}
	if (r == 0 && !s->removed)
		uk_wq_wake(&s->wq, -1); /* what changed may let others go on */
	set_put(s);
	uk_irq_restore(on);
	return r;
}

static long semop_common(int id, struct sembuf *user_ops, unsigned n, const void *timeout)
{
	struct sembuf ops[SEMOPM];
	struct sem_set *s;
	struct undo *u = NULL;
	uint64_t deadline = 0;
	unsigned alter = 0, undo = 0;
	long r = 0;

	if (id < 0 || n < 1)
		return -EINVAL;
	if (n > SEMOPM)
		return -E2BIG;
	if (!user_ops)
		return -EFAULT;
	uk_memcpy(ops, user_ops, n * sizeof(ops[0]));
	if (timeout && (r = uk_deadline(CLOCK_MONOTONIC, timeout, 0, &deadline)))
		return r;
	if (!(s = set_of(id)))
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		if (ops[i].sem_num >= s->nsems)
			return -EFBIG;
		alter |= ops[i].sem_op != 0;
		undo |= (ops[i].sem_flg & SEM_UNDO) != 0;
	}
	if ((r = uk_ipc_access(&s->o, alter ? 2 : 4)))
		return r;
	if (undo && !(u = undo_of(s, uk_proc_cur->pid, 1, &r)))
		return r;
	return do_semop(s, ops, n, deadline, u);
}

UK_SYSCALL3(semop, int, id, struct sembuf *, ops, unsigned, n)
{
	return semop_common(id, ops, n, NULL);
}

UK_SYSCALL4(semtimedop, int, id, struct sembuf *, ops, unsigned, n, const void *, timeout)
{
	return semop_common(id, ops, n, timeout);
}

void uk_sem_exit(int pid)
{
	for (int i = 0; i < sets.cap; i++) {
		struct sem_set *s = (struct sem_set *)uk_ipc_at(&sets, i);
		struct undo *u, **pp;
		if (!s)
			continue;
		for (pp = &s->undos; (u = *pp) && u->pid != pid; pp = &u->next)
			;
		if (!u)
			continue;
		*pp = u->next;
		for (int k = 0; k < s->nsems; k++) {
			struct sem *m = &s->sems[k];
			if (!u->adj[k])
				continue;
			m->val += u->adj[k];
			m->val = m->val < 0 ? 0 : m->val > SEMVMX ? SEMVMX : m->val;
			m->pid = pid;
		}
		s->otime = uk_ipc_now();
		uk_kfree(u);
		uk_wq_wake(&s->wq, -1);
	}
}

/* ---- semctl ---- */

/* The values changed by SETVAL or SETALL (k < 0: all): the processes'
 * adjustments to them go, and waiters try again. */
static void values_set(struct sem_set *s, int k)
{
	for (struct undo *u = s->undos; u; u = u->next)
		for (int i = 0; i < s->nsems; i++)
			if (k < 0 || i == k)
				u->adj[i] = 0;
	s->o.ctime = uk_ipc_now();
	uk_wq_wake(&s->wq, -1);
}

static long set_all(struct sem_set *s, const unsigned short *v)
{
	if (!v)
		return -EFAULT;
	for (int i = 0; i < s->nsems; i++)
		if (v[i] > SEMVMX)
			return -ERANGE;
	for (int i = 0; i < s->nsems; i++) {
		s->sems[i].val = v[i];
		s->sems[i].pid = uk_proc_cur->pid;
	}
	values_set(s, -1);
	return 0;
}

static long stat_set(struct sem_set *s, struct semid64_ds *ds)
{
	if (!ds)
		return -EFAULT;
	uk_memset(ds, 0, sizeof(*ds));
	ds->sem_perm = s->o.perm;
	ds->sem_otime = s->otime;
	ds->sem_ctime = s->o.ctime;
	ds->sem_nsems = (unsigned long)s->nsems;
	return 0;
}

static long info(int cmd, struct seminfo *in)
{
	int top, used = uk_ipc_count(&sets, &top);

	if (!in)
		return -EFAULT;
	*in = (struct seminfo){ .semmap = SEMMNS / SEMMSL,
		                .semmni = SEMMNI,
		                .semmns = SEMMNS,
		                .semmnu = SEMMNS / SEMMSL,
		                .semmsl = SEMMSL,
		                .semopm = SEMOPM,
		                .semume = SEMOPM,
		                .semusz = 20,
		                .semvmx = SEMVMX,
		                .semaem = SEMAEM };
	if (cmd == SEM_INFO) { /* what is in use, as Linux reports it */
		in->semusz = used;
		in->semaem = (int)total_sems;
	}
	return top;
}

static long remove_set(struct sem_set *s)
{
	uk_ipc_remove(&sets, &s->o);
	total_sems -= s->nsems;
	s->removed = 1;
	uk_wq_wake(&s->wq, -1);
	set_put(s);
	return 0;
}

/* The commands on one semaphore k. */
static long one_sem(struct sem_set *s, int k, int cmd, unsigned long arg)
{
	struct sem *m;

	if (k < 0 || k >= s->nsems)
		return -EINVAL;
	m = &s->sems[k];
	switch (cmd) {
	case GETVAL: return m->val;
	case GETPID: return m->pid;
	case GETNCNT: return m->ncnt;
	case GETZCNT: return m->zcnt;
	}
	/* SETVAL */
	if ((int)arg < 0 || (int)arg > SEMVMX)
		return -ERANGE;
	m->val = (int)arg;
	m->pid = uk_proc_cur->pid;
	values_set(s, k);
	return 0;
}

UK_SYSCALL4(semctl, int, id, int, k, int, cmd, unsigned long, arg)
{
	void *p = (void *)arg;
	struct sem_set *s;
	long r;

	cmd &= ~IPC_64_FLAG;
	if (cmd == IPC_INFO || cmd == SEM_INFO)
		return info(cmd, p);
	if (cmd == SEM_STAT || cmd == SEM_STAT_ANY) {
		if (!(s = (struct sem_set *)uk_ipc_stat_obj(&sets, id, cmd == SEM_STAT_ANY, &r)))
			return r;
		return (r = stat_set(s, p)) ? r : uk_ipc_id(&sets, &s->o);
	}
	if (!(s = set_of(id)))
		return -EINVAL;
	switch (cmd) {
	case IPC_RMID:
	case IPC_SET:
		if ((r = uk_ipc_owner(&s->o)))
			return r;
		if (cmd == IPC_RMID)
			return remove_set(s);
		if (!p)
			return -EFAULT;
		uk_ipc_set(&s->o, &((const struct semid64_ds *)p)->sem_perm);
		return 0;
	case IPC_STAT:
	case GETALL:
	case GETVAL:
	case GETPID:
	case GETNCNT:
	case GETZCNT:
		if ((r = uk_ipc_access(&s->o, 4)))
			return r;
		if (cmd == IPC_STAT)
			return stat_set(s, p);
		if (cmd != GETALL)
			return one_sem(s, k, cmd, arg);
		if (!p)
			return -EFAULT;
		for (int i = 0; i < s->nsems; i++)
			((unsigned short *)p)[i] = (unsigned short)s->sems[i].val;
		return 0;
	case SETVAL:
	case SETALL:
		if ((r = uk_ipc_access(&s->o, 2)))
			return r;
		return cmd == SETVAL ? one_sem(s, k, cmd, arg) : set_all(s, p);
	}
	uk_trace_note("semctl: command %d is not supported", cmd);
	return -EINVAL;
}
