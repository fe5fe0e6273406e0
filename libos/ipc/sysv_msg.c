/*
 * System V message queues (msgget, msgsnd, msgrcv, msgctl), shared by
 * every process of the VM (ids and keys: ipc/sysv.c).
 *
 * A queue is a FIFO list of messages copied in at msgsnd. Senders wait
 * while the queue is full (its msg_qbytes, counted in bytes and in
 * messages as Linux counts them), receivers while no message matches; each
 * change wakes the queue's waiters, which look again. A signal ends a
 * wait with EINTR, the queue's removal with EIDRM. MSG_COPY (Linux's
 * checkpoint/restore peek) is not built: ENOSYS, as a kernel without
 * CONFIG_CHECKPOINT_RESTORE answers.
 */
#include <linux/capability.h>
#include <asm/msgbuf.h>
#include <limits.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/proc.h>
#include <uk/sched.h>
#include <uk/syscall.h>
#include <uk/sysv.h>

/* Linux's defaults (/proc/sys/kernel/msgmax, msgmnb, msgmni) */
#define MSGMAX 8192
#define MSGMNB 16384
#define MSGMNI 32000
/* <linux/msg.h>'s values (its header clashes with the library OS's time
 * types) */
#define MSG_NOERROR 010000
#define MSG_EXCEPT 020000
#define MSG_COPY 040000
#define MSG_STAT 11
#define MSG_INFO 12
#define MSG_STAT_ANY 13

struct msginfo {
	int msgpool, msgmap, msgmax, msgmnb, msgmni, msgssz, msgtql;
	unsigned short msgseg;
};

struct msg {
	struct msg *next;
	long type;
	size_t len;
	char text[];
};

struct queue {
	struct uk_ipc_obj o; /* first */
	struct msg *head, **tail;
	unsigned long cbytes, qnum, qbytes;
	long stime, rtime;
	int lspid, lrpid;
	struct uk_wq wq; /* senders and receivers waiting */
	int refs;        /* the namespace's, and each waiter's */
	int removed;
};

static struct uk_ipc_ids queues = { .max = MSGMNI };
static unsigned long total_msgs, total_bytes; /* for MSG_INFO */

static struct queue *queue_of(int id) { return (struct queue *)uk_ipc_of(&queues, id); }

static void queue_put(struct queue *q)
{
	struct msg *m, *next;

	if (--q->refs)
		return;
	for (m = q->head; m; m = next) {
		next = m->next;
		total_msgs--;
		total_bytes -= m->len;
		uk_kfree(m);
	}
	uk_kfree(q);
}

UK_SYSCALL2(msgget, int, key, int, flags)
{
	struct uk_ipc_obj *o;
	struct queue *q;
	long r = uk_ipc_lookup(&queues, key, flags, &o);

	if (r < 0 || o)
		return r;
	if (!(q = uk_kzalloc(sizeof(*q))))
		return -ENOMEM;
	q->tail = &q->head;
	q->qbytes = MSGMNB;
	q->refs = 1;
	if ((r = uk_ipc_add(&queues, &q->o, key, flags)) < 0)
		uk_kfree(q);
	return r;
}

/* Wait on q's queue for a change (interrupts disabled): 0, or -EIDRM,
 * -EINTR. */
static long queue_wait(struct queue *q)
{
	long r;

	q->refs++;
	r = uk_wq_wait(&q->wq, 0);
	if (q->removed)
		r = -EIDRM;
	queue_put(q);
	return r;
}

static int queue_full(const struct queue *q, size_t len)
{
	return q->cbytes + len > q->qbytes || q->qnum + 1 > q->qbytes;
}

/* The queue of id that msgsnd (want 2: write) or msgrcv (4: read) may
 * use with buf: NULL with *err -EINVAL, -EACCES or -EFAULT. */
static struct queue *queue_for(int id, unsigned want, const void *buf, long *err)
{
	struct queue *q = queue_of(id);

	*err = !q ? -EINVAL : uk_ipc_access(&q->o, want);
	if (!*err && !buf)
		*err = -EFAULT;
	return *err ? NULL : q;
}

UK_SYSCALL4(msgsnd, int, id, const void *, buf, size_t, len, int, flags)
{
	struct queue *q;
	struct msg *m;
	long type, r = 0;
	int on;

	if ((long)len < 0 || len > MSGMAX || id < 0)
		return -EINVAL;
	if (!(q = queue_for(id, 2, buf, &r)))
		return r;
	if ((type = *(const long *)buf) < 1)
		return -EINVAL;
	if (!(m = uk_kmalloc(sizeof(*m) + len)))
		return -ENOMEM;
	m->type = type;
	m->len = len;
	uk_memcpy(m->text, (const char *)buf + sizeof(long), len);
	on = uk_irq_save();
	while (!r && queue_full(q, len))
		r = flags & IPC_NOWAIT ? -EAGAIN : queue_wait(q);
	if (r) {
		uk_irq_restore(on);
		uk_kfree(m);
		return r;
	}
	m->next = NULL;
	*q->tail = m;
	q->tail = &m->next;
	q->cbytes += len;
	q->qnum++;
	total_msgs++;
	total_bytes += len;
	q->lspid = uk_proc_cur->pid;
	q->stime = uk_ipc_now();
	uk_wq_wake(&q->wq, -1);
	uk_irq_restore(on);
	return 0;
}

/* The link to the message msgrcv's type and flags ask for, or NULL. */
static struct msg **find(struct queue *q, long type, int flags)
{
	struct msg **pp, **best = NULL;
	long most = type == LONG_MIN ? LONG_MAX : -type; /* (as Linux reads it) */

	for (pp = &q->head; *pp; pp = &(*pp)->next) {
		long t = (*pp)->type;
		if (type == 0)
			return pp;
		if (type > 0 && (flags & MSG_EXCEPT ? t != type : t == type))
			return pp;
		/* type < 0: the lowest type up to -type, the first of those */
		if (type < 0 && t <= most && (!best || t < (*best)->type))
			best = pp;
	}
	return best;
}

static long take(struct queue *q, struct msg **pp, void *buf, size_t len)
{
	struct msg *m = *pp;
	size_t n = m->len < len ? m->len : len;

	*(long *)buf = m->type;
	uk_memcpy((char *)buf + sizeof(long), m->text, n);
	*pp = m->next;
	if (q->tail == &m->next)
		q->tail = pp;
	q->cbytes -= m->len;
	q->qnum--;
	total_msgs--;
	total_bytes -= m->len;
	q->lrpid = uk_proc_cur->pid;
	q->rtime = uk_ipc_now();
	uk_kfree(m);
	uk_wq_wake(&q->wq, -1); /* room for senders */
	return (long)n;
}

UK_SYSCALL5(msgrcv, int, id, void *, buf, size_t, len, long, type, int, flags)
{
	struct queue *q;
	struct msg **pp = NULL;
	long r = 0;
	int on;

	if ((long)len < 0 || id < 0)
		return -EINVAL;
	if (flags & MSG_COPY) {
		uk_trace_note("msgrcv: MSG_COPY is not supported");
		return -ENOSYS;
	}
	if (!(q = queue_for(id, 4, buf, &r)))
		return r;
	on = uk_irq_save();
	while (!r && !(pp = find(q, type, flags)))
		r = flags & IPC_NOWAIT ? -ENOMSG : queue_wait(q);
	if (!r && (*pp)->len > len && !(flags & MSG_NOERROR))
		r = -E2BIG; /* the message stays */
	else if (!r)
		r = take(q, pp, buf, len);
	uk_irq_restore(on);
	return r;
}

static long stat_queue(struct queue *q, struct msqid64_ds *ds)
{
	if (!ds)
		return -EFAULT;
	*ds = (struct msqid64_ds){ .msg_perm = q->o.perm,
		                   .msg_stime = q->stime,
		                   .msg_rtime = q->rtime,
		                   .msg_ctime = q->o.ctime,
		                   .msg_cbytes = q->cbytes,
		                   .msg_qnum = q->qnum,
		                   .msg_qbytes = q->qbytes,
		                   .msg_lspid = q->lspid,
		                   .msg_lrpid = q->lrpid };
	return 0;
}

static long info(int cmd, struct msginfo *in)
{
	int top, used = uk_ipc_count(&queues, &top);

	if (!in)
		return -EFAULT;
	*in = (struct msginfo){ .msgpool = MSGMNI * MSGMNB / 1024,
		                .msgmap = MSGMNB,
		                .msgmax = MSGMAX,
		                .msgmnb = MSGMNB,
		                .msgmni = MSGMNI,
		                .msgssz = 16,
		                .msgtql = MSGMNB,
		                .msgseg = 0xffff };
	if (cmd == MSG_INFO) { /* what is in use, as Linux reports it */
		in->msgpool = used;
		in->msgmap = (int)total_msgs;
		in->msgtql = (int)total_bytes;
	}
	return top;
}

static long set_queue(struct queue *q, const struct msqid64_ds *ds)
{
	if (!ds)
		return -EFAULT;
	if (ds->msg_qbytes > MSGMNB && !uk_capable(CAP_SYS_RESOURCE))
		return -EPERM; /* above the default takes CAP_SYS_RESOURCE */
	uk_ipc_set(&q->o, &ds->msg_perm);
	q->qbytes = ds->msg_qbytes;
	uk_wq_wake(&q->wq, -1); /* more room, maybe */
	return 0;
}

UK_SYSCALL3(msgctl, int, id, int, cmd, void *, buf)
{
	struct queue *q;
	long r;

	cmd &= ~IPC_64_FLAG;
	if (cmd == IPC_INFO || cmd == MSG_INFO)
		return info(cmd, buf);
	if (cmd == MSG_STAT || cmd == MSG_STAT_ANY) {
		if (!(q = (struct queue *)uk_ipc_stat_obj(&queues, id, cmd == MSG_STAT_ANY, &r)))
			return r;
		return (r = stat_queue(q, buf)) ? r : uk_ipc_id(&queues, &q->o);
	}
	if (!(q = queue_of(id)))
		return -EINVAL;
	switch (cmd) {
	case IPC_STAT: return (r = uk_ipc_access(&q->o, 4)) ? r : stat_queue(q, buf);
	case IPC_SET: return (r = uk_ipc_owner(&q->o)) ? r : set_queue(q, buf);
	case IPC_RMID:
		if ((r = uk_ipc_owner(&q->o)))
			return r;
		uk_ipc_remove(&queues, &q->o);
		q->removed = 1;
		uk_wq_wake(&q->wq, -1);
		queue_put(q);
		return 0;
	}
	uk_trace_note("msgctl: command %d is not supported", cmd);
	return -EINVAL;
}
