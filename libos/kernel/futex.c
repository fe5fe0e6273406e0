/*
 * futex(2): waiters hashed by the word they wait on. Everything runs
 * with interrupts disabled on the one vCPU, so "compare the word, then
 * sleep" is atomic with respect to every waker, as the futex contract
 * requires.
 *
 * A word is named as Linux names it: in memory that processes share
 * (MAP_SHARED: a RAM file's own pages, libos/mm/mmap_file.c) by the
 * physical address of its page and its offset there, the same in every
 * process mapping it; elsewhere by its address space and address
 * (uk/proc.h: processes have their own). FUTEX_PRIVATE_FLAG skips the
 * look-up, so a private futex in shared memory wakes only its own
 * process's waiters, as on Linux. The mm room tells a shared word from a
 * private one (uk_futex_on_shared): this room knows no areas.
 *
 * The priority-inheritance operations (LOCK_PI, LOCK_PI2, TRYLOCK_PI,
 * UNLOCK_PI: glibc's PTHREAD_PRIO_INHERIT mutexes, which uwsgi's locks
 * ask for) follow Linux's protocol on the word: its owner's thread id,
 * FUTEX_WAITERS while others wait here, FUTEX_OWNER_DIED after a robust
 * owner ended; an unlock hands the lock to the first waiter, which wakes
 * owning it. uk's scheduler has no real-time priorities to lend, so the
 * inheritance itself is moot. A signal ends a wait with EINTR (restarted
 * under SA_RESTART) where Linux always restarts it. The requeue-PI pair
 * (WAIT_REQUEUE_PI, CMP_REQUEUE_PI) is -ENOSYS, and --trace says so.
 */
#include <uk/binary.h>
#include <uk/futex.h>
#include <uk/linux.h>
#include <uk/proc.h>
#include <uk/sched.h>
#include <uk/syscall.h>
#include <uk/time.h>
#include <uk/timespec.h>
#include <uk/vm.h>

#define NBUCKETS 64

/* What a word is known by: (address space, address), or (NULL, its
 * physical address) in shared memory. */
struct fkey {
	const void *space;
	uintptr_t addr;
};

struct waiter {
	struct waiter *next;
	struct fkey key;
	uint32_t bitset;
	struct uk_thread *thread;
	int woken; /* 1, or WOKEN_OWNER: a PI lock was handed to it */
	int pi;    /* waits in LOCK_PI */
};

#define WOKEN_OWNER 2

static struct waiter *buckets[NBUCKETS];
static int (*shared_key)(uintptr_t addr, uint64_t *pa);

void uk_futex_on_shared(int (*key)(uintptr_t addr, uint64_t *pa)) { shared_key = key; }

static struct waiter **bucket(const struct fkey *k)
{
	uintptr_t a = k->addr >> 2;

	return &buckets[(a ^ (a >> 6) ^ (a >> 12)) % NBUCKETS];
}

static int key_eq(const struct fkey *a, const struct fkey *b)
{
	return a->addr == b->addr && a->space == b->space;
}

/* FIFO per bucket: waiters are woken in the order they came. */
static void enqueue(struct waiter *w)
{
	struct waiter **pp = bucket(&w->key);

	while (*pp)
		pp = &(*pp)->next;
	w->next = NULL;
	*pp = w;
}

static void dequeue(struct waiter *w)
{
	for (struct waiter **pp = bucket(&w->key); *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			w->next = NULL;
			return;
		}
	}
}

/* Check uaddr and name its word: 0, -EFAULT (NULL, or in no memory the
 * shared look-up can commit), -EINVAL (misaligned). */
static int key_of(const uint32_t *uaddr, int private, struct fkey *k)
{
	uint64_t pa;
	int r;

	if (!uaddr)
		return -EFAULT;
	if ((uintptr_t)uaddr & 3)
		return -EINVAL;
	*k = (struct fkey){ uk_proc_cur->mm, (uintptr_t)uaddr };
	if (private || !shared_key)
		return 0;
	if ((r = shared_key((uintptr_t)uaddr, &pa)) < 0)
		return r;
	if (r)
		*k = (struct fkey){ NULL, (uintptr_t)pa };
	return 0;
}

static int wait_key(uint32_t *uaddr, const struct fkey *k, uint32_t val, uint64_t deadline_ns,
                    uint32_t bitset)
{
	struct waiter w = { .key = *k, .bitset = bitset, .thread = uk_current };
	int r, on;

	if (!bitset)
		return -EINVAL;
	on = uk_irq_save();
	if (__atomic_load_n(uaddr, __ATOMIC_SEQ_CST) != val) {
		uk_irq_restore(on);
		return -EAGAIN;
	}
	enqueue(&w);
	r = uk_sched_block(deadline_ns);
	if (w.woken)
		r = 0; /* a wake that raced with the timeout still counts */
	else
		dequeue(&w);
	uk_irq_restore(on);
	return r;
}

int uk_futex_wait(uint32_t *uaddr, uint32_t val, uint64_t deadline_ns, uint32_t bitset)
{
	struct fkey k;
	int r = key_of(uaddr, 0, &k);

	return r ? r : wait_key(uaddr, &k, val, deadline_ns, bitset);
}

/* Wake up to n waiters on k matching bitset, move up to n2 more to k2
 * (when not NULL). Returns woken + moved. Interrupts disabled. */
static int wake_requeue(const struct fkey *k, int n, uint32_t bitset, const struct fkey *k2, int n2)
{
	struct waiter **pp = bucket(k), *w;
	int woken = 0, moved = 0;

	while ((w = *pp) && (woken < n || (k2 && moved < n2))) {
		if (!key_eq(&w->key, k) || !(w->bitset & bitset)) {
			pp = &w->next;
			continue;
		}
		*pp = w->next;
		w->next = NULL;
		if (woken < n) {
			w->woken = 1;
			uk_thread_wake(w->thread, 0);
			woken++;
		} else {
			w->key = *k2;
			enqueue(w);
			moved++;
		}
	}
	return woken + moved;
}

static int wake(uint32_t *uaddr, int private, int n, uint32_t bitset)
{
	struct fkey k;
	int on, r = key_of(uaddr, private, &k);

	if (r)
		return r;
	if (!bitset)
		return -EINVAL;
	on = uk_irq_save();
	r = wake_requeue(&k, n > 0 ? n : 1, bitset, NULL, 0);
	uk_irq_restore(on);
	return r;
}

int uk_futex_wake(uint32_t *uaddr, int n, uint32_t bitset) { return wake(uaddr, 0, n, bitset); }

static int requeue(uint32_t *uaddr, int private, int n, uint32_t *uaddr2, long n2, int cmp,
                   uint32_t val3)
{
	struct fkey k, k2;
	int on, r;

	if ((r = key_of(uaddr, private, &k)) || (r = key_of(uaddr2, private, &k2)))
		return r;
	if (n < 0 || n2 < 0 || n2 > 0x7fffffff)
		return -EINVAL;
	on = uk_irq_save();
	if (cmp && __atomic_load_n(uaddr, __ATOMIC_SEQ_CST) != val3)
		r = -EAGAIN;
	else if (key_eq(&k, &k2)) /* nothing to move: just wake */
		r = wake_requeue(&k, n, ~0u, NULL, 0);
	else
		r = wake_requeue(&k, n, ~0u, &k2, (int)n2);
	uk_irq_restore(on);
	return r;
}

static int32_t sext12(uint32_t v) { return (int32_t)(v << 20) >> 20; }

/* FUTEX_WAKE_OP: change *uaddr2, wake on uaddr, and on uaddr2 too if its
 * old value passes the comparison encoded in val3. */
static int wake_op(uint32_t *uaddr, int private, int n, uint32_t *uaddr2, int n2, uint32_t val3)
{
	unsigned op = (val3 >> 28) & 7, cmp = (val3 >> 24) & 15;
	uint32_t oparg = sext12(val3 >> 12), cmparg = sext12(val3), old, nv;
	struct fkey k, k2;
	int on, r, hit;

	if ((r = key_of(uaddr, private, &k)) || (r = key_of(uaddr2, private, &k2)))
		return r;
	if ((val3 >> 28) & 8) /* FUTEX_OP_OPARG_SHIFT */
		oparg = oparg < 32 ? 1u << oparg : 0;
	on = uk_irq_save();
	old = *uaddr2;
	switch (op) {
	case FUTEX_OP_SET: nv = oparg; break;
	case FUTEX_OP_ADD: nv = old + oparg; break;
	case FUTEX_OP_OR: nv = old | oparg; break;
	case FUTEX_OP_ANDN: nv = old & ~oparg; break;
	case FUTEX_OP_XOR: nv = old ^ oparg; break;
	default: uk_irq_restore(on); return -ENOSYS;
	}
	switch (cmp) {
	case FUTEX_OP_CMP_EQ: hit = old == cmparg; break;
	case FUTEX_OP_CMP_NE: hit = old != cmparg; break;
	case FUTEX_OP_CMP_LT: hit = (int32_t)old < (int32_t)cmparg; break;
	case FUTEX_OP_CMP_LE: hit = (int32_t)old <= (int32_t)cmparg; break;
	case FUTEX_OP_CMP_GT: hit = (int32_t)old > (int32_t)cmparg; break;
	case FUTEX_OP_CMP_GE: hit = (int32_t)old >= (int32_t)cmparg; break;
	default: uk_irq_restore(on); return -ENOSYS;
	}
	*uaddr2 = nv;
	r = wake_requeue(&k, n > 0 ? n : 1, ~0u, NULL, 0);
	if (hit)
		r += wake_requeue(&k2, n2 > 0 ? n2 : 1, ~0u, NULL, 0);
	uk_irq_restore(on);
	return r;
}

/* The first PI waiter on k, or NULL. Interrupts disabled. */
static struct waiter *pi_first(const struct fkey *k)
{
	for (struct waiter *w = *bucket(k); w; w = w->next)
		if (w->pi && key_eq(&w->key, k))
			return w;
	return NULL;
}

/* LOCK_PI, LOCK_PI2 and (try) TRYLOCK_PI: take a free word (thread id 0,
 * FUTEX_OWNER_DIED kept for the taker to see), else wait with
 * FUTEX_WAITERS set until the owner hands it over. */
static long lock_pi(uint32_t *uaddr, int private, uint64_t deadline, int try)
{
	uint32_t tid = (uint32_t)uk_current->tid, v, owner;
	struct waiter w;
	struct fkey k;
	int on, r;

	if ((r = key_of(uaddr, private, &k)))
		return r;
	on = uk_irq_save();
	for (;;) {
		v = __atomic_load_n(uaddr, __ATOMIC_SEQ_CST);
		owner = v & FUTEX_TID_MASK;
		if (!owner) {
			v = tid | (v & FUTEX_OWNER_DIED) | (pi_first(&k) ? FUTEX_WAITERS : 0);
			__atomic_store_n(uaddr, v, __ATOMIC_SEQ_CST);
			r = 0;
			break;
		}
		if (owner == tid || try) {
			r = owner == tid ? -EDEADLK : -EAGAIN;
			break;
		}
		if (!uk_thread_find((int)owner)) { /* an owner that never was or left no trace */
			r = -ESRCH;
			break;
		}
		__atomic_store_n(uaddr, v | FUTEX_WAITERS, __ATOMIC_SEQ_CST);
		w = (struct waiter){ .key = k, .bitset = ~0u, .thread = uk_current, .pi = 1 };
		enqueue(&w);
		r = uk_sched_block(deadline);
		if (w.woken == WOKEN_OWNER) {
			r = 0;
			break;
		}
		if (!w.woken)
			dequeue(&w);
		if (r && !w.woken)
			break; /* timed out or interrupted */
		               /* a plain wake (a robust owner's exit): look again */
	}
	uk_irq_restore(on);
	return r;
}

/* UNLOCK_PI: the owner's alone (EPERM else, which glibc's probe for PI
 * support expects of a free word); the first waiter becomes the owner. */
static long unlock_pi(uint32_t *uaddr, int private)
{
	uint32_t v;
	struct waiter *w;
	struct fkey k;
	int on, r;

	if ((r = key_of(uaddr, private, &k)))
		return r;
	on = uk_irq_save();
	v = __atomic_load_n(uaddr, __ATOMIC_SEQ_CST);
	if ((v & FUTEX_TID_MASK) != (uint32_t)uk_current->tid) {
		uk_irq_restore(on);
		return -EPERM;
	}
	if ((w = pi_first(&k))) {
		dequeue(w);
		/* (Linux marks a handed-over word as waited on, whoever is left) */
		__atomic_store_n(uaddr, (uint32_t)w->thread->tid | FUTEX_WAITERS, __ATOMIC_SEQ_CST);
		w->woken = WOKEN_OWNER;
		uk_thread_wake(w->thread, 0);
	} else {
		__atomic_store_n(uaddr, 0, __ATOMIC_SEQ_CST);
	}
	uk_irq_restore(on);
	return 0;
}

/* LOCK_PI's timeout is absolute on CLOCK_REALTIME; LOCK_PI2's on the
 * monotonic clock unless FUTEX_CLOCK_REALTIME. */
static long lock_pi_op(uint32_t *uaddr, int op, const struct __kernel_timespec *ts)
{
	int cmd = op & FUTEX_CMD_MASK;
	int clk =
	    cmd == FUTEX_LOCK_PI || (op & FUTEX_CLOCK_REALTIME) ? CLOCK_REALTIME : CLOCK_MONOTONIC;
	uint64_t deadline = 0;
	int r;

	if (cmd != FUTEX_TRYLOCK_PI && ts && (r = uk_deadline(clk, ts, 1, &deadline)))
		return r;
	return lock_pi(uaddr, op & FUTEX_PRIVATE_FLAG, deadline, cmd == FUTEX_TRYLOCK_PI);
}

/* FUTEX_WAIT's timeout is relative (on the monotonic clock even with
 * FUTEX_CLOCK_REALTIME, as Linux measures it); FUTEX_WAIT_BITSET's is
 * absolute, on CLOCK_REALTIME when the flag says so. */
static long wait_op(uint32_t *uaddr, int op, uint32_t val, const struct __kernel_timespec *ts,
                    uint32_t bitset)
{
	uint64_t deadline = 0;
	int cmd = op & FUTEX_CMD_MASK;
	int clk =
	    (op & FUTEX_CLOCK_REALTIME) && cmd != FUTEX_WAIT ? CLOCK_REALTIME : CLOCK_MONOTONIC;
	struct fkey k;
	int r;

	if ((r = key_of(uaddr, op & FUTEX_PRIVATE_FLAG, &k)))
		return r;
	if (ts && (r = uk_deadline(clk, ts, cmd != FUTEX_WAIT, &deadline)))
		return r;
	return wait_key(uaddr, &k, val, deadline, bitset);
}

UK_SYSCALL6(futex, uint32_t *, uaddr, int, op, uint32_t, val, const struct __kernel_timespec *, ts,
            uint32_t *, uaddr2, uint32_t, val3)
{
	int cmd = op & FUTEX_CMD_MASK, private = op & FUTEX_PRIVATE_FLAG;

	if ((op & FUTEX_CLOCK_REALTIME) && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET &&
	    cmd != FUTEX_LOCK_PI2)
		return -ENOSYS; /* as Linux answers */
	switch (cmd) {
	case FUTEX_WAIT: return wait_op(uaddr, op, val, ts, ~0u);
	case FUTEX_WAIT_BITSET: return wait_op(uaddr, op, val, ts, val3);
	case FUTEX_WAKE: return wake(uaddr, private, (int)val, ~0u);
	case FUTEX_WAKE_BITSET: return wake(uaddr, private, (int)val, val3);
	case FUTEX_REQUEUE: return requeue(uaddr, private, (int)val, uaddr2, (long)ts, 0, 0);
	case FUTEX_CMP_REQUEUE: return requeue(uaddr, private, (int)val, uaddr2, (long)ts, 1, val3);
	case FUTEX_WAKE_OP: return wake_op(uaddr, private, (int)val, uaddr2, (int)(long)ts, val3);
	case FUTEX_LOCK_PI:
	case FUTEX_LOCK_PI2:
	case FUTEX_TRYLOCK_PI: return lock_pi_op(uaddr, op, ts);
	case FUTEX_UNLOCK_PI: return unlock_pi(uaddr, private);
	}
	uk_trace_note("futex: operation %d (requeue to a PI futex) is not implemented", cmd);
	return -ENOSYS;
}

/* ---- robust futex lists: a dying thread's locks are marked OWNER_DIED ----
 * (here, below process exit in kernel/proc.c; the list is set by
 * sys/sys_thread.c's set_robust_list) */

/* Whether n bytes at p are the program's (written: writable), for the
 * list's pointers: a Linux program's (binary mode) may name the library
 * OS's half or memory unmapped since, and Linux stops at what it cannot
 * touch; a link-mode program's list is in the library OS's half, its own
 * memory (as its clear_child_tid word: sched.c). */
static int robust_ok(const void *p, size_t n, int write)
{
	return !uk_binary_active || uk_vm_user_span((uintptr_t)p, n, write) == n;
}

static void robust_release(struct uk_thread *t, uint32_t *word)
{
	uint32_t v;

	if ((uintptr_t)word & 3 || !robust_ok(word, 4, 1))
		return;
	v = __atomic_load_n(word, __ATOMIC_SEQ_CST);
	if ((v & FUTEX_TID_MASK) != (uint32_t)t->tid)
		return;
	__atomic_store_n(word, (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED, __ATOMIC_SEQ_CST);
	if (v & FUTEX_WAITERS)
		uk_futex_wake(word, 1, ~0u);
}

/* An entry of the list without its low bit, which marks a PI mutex's
 * (glibc sets it; such a word is released the same way: futex.c's PI
 * waiters look again when woken). */
static struct robust_list *robust_entry(struct robust_list *e)
{
	return (struct robust_list *)((uintptr_t)e & ~(uintptr_t)1);
}

/* The list is the program's memory: bounded walk (a loop in it must not
 * hang the exit), entries are pointers to struct robust_list. Once a
 * thread: its list is forgotten. */
void uk_futex_robust_exit(struct uk_thread *t)
{
	struct robust_list_head *h = (void *)t->robust_list;
	struct robust_list *e, *pending;
	int n = 0;

	if (!h)
		return;
	t->robust_list = 0;
	if (!robust_ok(h, sizeof(*h), 0))
		return;
	pending = robust_entry(h->list_op_pending);
	for (e = robust_entry(h->list.next);
	     e && e != &h->list && n < ROBUST_LIST_LIMIT && robust_ok(e, sizeof(*e), 0);
	     e = robust_entry(e->next), n++)
		if (e != pending)
			robust_release(t, (uint32_t *)((char *)e + h->futex_offset));
	if (pending)
		robust_release(t, (uint32_t *)((char *)pending + h->futex_offset));
}
