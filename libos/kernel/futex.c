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
 * private one (uk_futex_on_shared): this room knows no areas. The PI
 * (priority-inheritance) operations are not implemented: -ENOSYS, and
 * --trace says so.
 */
#include <uk/futex.h>
#include <uk/linux.h>
#include <uk/proc.h>
#include <uk/sched.h>
#include <uk/syscall.h>
#include <uk/time.h>
#include <uk/timespec.h>

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
	int woken;
};

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

	if ((op & FUTEX_CLOCK_REALTIME) && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET)
		return -ENOSYS; /* as Linux answers */
	switch (cmd) {
	case FUTEX_WAIT: return wait_op(uaddr, op, val, ts, ~0u);
	case FUTEX_WAIT_BITSET: return wait_op(uaddr, op, val, ts, val3);
	case FUTEX_WAKE: return wake(uaddr, private, (int)val, ~0u);
	case FUTEX_WAKE_BITSET: return wake(uaddr, private, (int)val, val3);
	case FUTEX_REQUEUE: return requeue(uaddr, private, (int)val, uaddr2, (long)ts, 0, 0);
	case FUTEX_CMP_REQUEUE: return requeue(uaddr, private, (int)val, uaddr2, (long)ts, 1, val3);
	case FUTEX_WAKE_OP: return wake_op(uaddr, private, (int)val, uaddr2, (int)(long)ts, val3);
	}
	uk_trace_note("futex: operation %d (priority inheritance) is not implemented", cmd);
	return -ENOSYS;
}
