/*
 * The scheduler (see uk/sched.h): a FIFO run queue, wait queues, a list of
 * sleepers sorted by deadline driving the one-shot timer, and the idle loop
 * that halts the vCPU when nothing can run.
 *
 * All of its state changes with interrupts disabled: interrupt handlers
 * wake threads, nothing else runs concurrently on the one vCPU.
 */
#include <uk/arch.h>
#include <uk/cpu.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/paging.h>
#include <uk/plat.h>
#include <uk/print.h>
#include <uk/sched.h>
#include <uk/time.h>

struct uk_thread *uk_current;
struct uk_thread *uk_threads;
unsigned uk_nthreads;

static struct uk_thread *rq_head, *rq_tail;
static struct uk_thread *sleepers;
static struct uk_thread *zombies; /* exited and detached: freed when safe */
static int next_tid = 1;
static uint64_t idle_tsc;

void uk_arch_switch(uint64_t *save_rsp, uint64_t new_rsp);
void uk_arch_thread_start(void);
void uk_set_fs(uint64_t base);
uint64_t uk_get_fs(void);

/* ---- FPU state ---- */

static void fpu_save(struct uk_thread *t)
{
	if (uk_xsaveopt)
		__asm__ volatile("xsaveopt64 (%0)" : : "r"(t->xsave), "a"(-1), "d"(-1) : "memory");
	else if (uk_xsave_mask)
		__asm__ volatile("xsave64 (%0)" : : "r"(t->xsave), "a"(-1), "d"(-1) : "memory");
	else
		__asm__ volatile("fxsave64 (%0)" : : "r"(t->xsave) : "memory");
}

static void fpu_restore(struct uk_thread *t)
{
	if (uk_xsave_mask)
		__asm__ volatile("xrstor64 (%0)" : : "r"(t->xsave), "a"(-1), "d"(-1) : "memory");
	else
		__asm__ volatile("fxrstor64 (%0)" : : "r"(t->xsave) : "memory");
}

/* ---- queues ---- */

static void rq_push(struct uk_thread *t)
{
	t->next = NULL;
	if (rq_tail)
		rq_tail->next = t;
	else
		rq_head = t;
	rq_tail = t;
}

static struct uk_thread *rq_pop(void)
{
	struct uk_thread *t = rq_head;

	if (t) {
		rq_head = t->next;
		if (!rq_head)
			rq_tail = NULL;
		t->next = NULL;
	}
	return t;
}

static void sleepers_remove(struct uk_thread *t)
{
	for (struct uk_thread **pp = &sleepers; *pp; pp = &(*pp)->timer_next) {
		if (*pp == t) {
			*pp = t->timer_next;
			t->timer_next = NULL;
			return;
		}
	}
}

static void sleepers_insert(struct uk_thread *t)
{
	struct uk_thread **pp = &sleepers;

	while (*pp && (*pp)->deadline <= t->deadline)
		pp = &(*pp)->timer_next;
	t->timer_next = *pp;
	*pp = t;
	if (sleepers == t) /* a new earliest deadline */
		uk_timer_arm(t->deadline);
}

/* ---- switching ---- */

static void switch_to(struct uk_thread *next)
{
	struct uk_thread *prev = uk_current;
	uint64_t now = uk_rdtsc();

	prev->cpu_ns += now - prev->ran_since; /* in TSC ticks until read */
	next->ran_since = now;
	fpu_save(prev);
	prev->fs_base = uk_get_fs();
	uk_current = next;
	fpu_restore(next);
	uk_set_fs(next->fs_base);
	uk_arch_switch(&prev->rsp, next->rsp);
}

static void reap(void)
{
	while (zombies && zombies != uk_current) {
		struct uk_thread *z = zombies;
		zombies = z->next;
		uk_thread_free(z);
	}
}

/* Pick the next thread; idle until there is one. Interrupts disabled. */
static void schedule(void)
{
	struct uk_thread *next;

	while (!(next = rq_pop())) {
		uint64_t t = uk_rdtsc();
		uk_timer_arm(sleepers ? sleepers->deadline : 0);
		uk_cpu_idle();
		idle_tsc += uk_rdtsc() - t;
	}
	if (next != uk_current)
		switch_to(next);
	reap();
}

uint64_t uk_idle_ns(void) { return uk_tsc_to_ns(idle_tsc); }

/* ---- public ---- */

int uk_sched_block(uint64_t deadline_ns)
{
	struct uk_thread *t = uk_current;

	if (deadline_ns && deadline_ns <= uk_monotonic_ns())
		return -ETIMEDOUT;
	t->state = UK_T_BLOCKED;
	t->wake_result = 0;
	t->deadline = deadline_ns;
	if (deadline_ns)
		sleepers_insert(t);
	schedule();
	return t->wake_result;
}

void uk_thread_wake(struct uk_thread *t, int result)
{
	int on = uk_irq_save();

	if (t->state == UK_T_BLOCKED) {
		if (t->deadline)
			sleepers_remove(t);
		t->deadline = 0;
		t->wake_result = result;
		t->state = UK_T_RUNNABLE;
		rq_push(t);
	}
	uk_irq_restore(on);
}

void uk_wq_add(struct uk_wq *wq, struct uk_wq_entry *e)
{
	int on = uk_irq_save();

	e->next = NULL;
	e->wq = wq;
	if (wq->tail)
		wq->tail->next = e;
	else
		wq->head = e;
	wq->tail = e;
	uk_irq_restore(on);
}

void uk_wq_del(struct uk_wq_entry *e)
{
	int on = uk_irq_save();
	struct uk_wq *wq = e->wq;
	struct uk_wq_entry **pp, *prev = NULL;

	if (wq) {
		for (pp = &wq->head; *pp; prev = *pp, pp = &(*pp)->next) {
			if (*pp == e) {
				*pp = e->next;
				if (wq->tail == e)
					wq->tail = prev;
				break;
			}
		}
		e->wq = NULL;
		e->next = NULL;
	}
	uk_irq_restore(on);
}

int uk_wq_wait(struct uk_wq *wq, uint64_t deadline_ns)
{
	struct uk_wq_entry e = { .thread = uk_current };
	int r;

	uk_wq_add(wq, &e);
	r = uk_sched_block(deadline_ns);
	uk_wq_del(&e);
	return r;
}

int uk_wq_wake(struct uk_wq *wq, int n)
{
	int on = uk_irq_save(), woken = 0;

	while (wq->head && (n < 0 || woken < n)) {
		struct uk_wq_entry *e = wq->head;
		wq->head = e->next;
		if (!wq->head)
			wq->tail = NULL;
		e->next = NULL;
		e->wq = NULL;
		if (e->func)
			e->func(e);
		else
			uk_thread_wake(e->thread, 0);
		woken++;
	}
	uk_irq_restore(on);
	return woken;
}

void uk_sched_timer(void)
{
	uint64_t now = uk_monotonic_ns();

	while (sleepers && sleepers->deadline <= now)
		uk_thread_wake(sleepers, -ETIMEDOUT);
	uk_timer_arm(sleepers ? sleepers->deadline : 0);
}

void uk_sched_yield(void)
{
	int on = uk_irq_save();

	if (rq_head) {
		rq_push(uk_current);
		schedule();
	}
	uk_irq_restore(on);
}

uint64_t uk_thread_cpu_ns(const struct uk_thread *t)
{
	uint64_t tsc = t->cpu_ns;

	if (t == uk_current)
		tsc += uk_rdtsc() - t->ran_since;
	return uk_tsc_to_ns(tsc);
}

static void thread_main(struct uk_thread *t)
{
	uk_irq_enable();
	t->fn(t->arg);
	uk_thread_exit(0);
}

static struct uk_thread *thread_new(void (*fn)(void *), void *arg, size_t stack_size)
{
	size_t size = sizeof(struct uk_thread) + 64 + uk_xsave_size;
	struct uk_thread *t = uk_kzalloc(size);
	uint64_t *sp;

	if (!t)
		return NULL;
	stack_size = (stack_size + UK_PAGE_SIZE - 1) & ~(UK_PAGE_SIZE - 1);
	t->stack = uk_stack_alloc(stack_size);
	if (!t->stack) {
		uk_kfree(t);
		return NULL;
	}
	t->stack_size = stack_size;
	t->xsave = (uint8_t *)(((uintptr_t)(t + 1) + 63) & ~63ul);
	*(uint16_t *)t->xsave = 0x37f;         /* x87 control word */
	*(uint32_t *)(t->xsave + 24) = 0x1f80; /* MXCSR */
	t->fn = fn;
	t->arg = arg;
	t->tid = next_tid++;
	t->fs_base = uk_current ? uk_current->fs_base : 0;
	/* What uk_arch_switch pops: r15 r14 r13 r12 rbx rbp, then it returns
	 * into uk_arch_thread_start with %rsp 16-byte aligned for its call of
	 * thread_main(t) (%r12, %r13). */
	sp = (uint64_t *)((uint8_t *)t->stack + stack_size);
	*--sp = (uint64_t)uk_arch_thread_start;
	*--sp = 0;                     /* rbp */
	*--sp = 0;                     /* rbx */
	*--sp = (uint64_t)thread_main; /* r12 */
	*--sp = (uint64_t)t;           /* r13 */
	*--sp = 0;                     /* r14 */
	*--sp = 0;                     /* r15 */
	t->rsp = (uint64_t)sp;
	t->state = UK_T_RUNNABLE;
	t->all_next = uk_threads;
	uk_threads = t;
	uk_nthreads++;
	return t;
}

struct uk_thread *uk_thread_create(void (*fn)(void *), void *arg, size_t stack)
{
	int on = uk_irq_save();
	struct uk_thread *t = thread_new(fn, arg, stack);

	if (t)
		rq_push(t);
	uk_irq_restore(on);
	return t;
}

static void unlink_thread(struct uk_thread *t)
{
	for (struct uk_thread **pp = &uk_threads; *pp; pp = &(*pp)->all_next) {
		if (*pp == t) {
			*pp = t->all_next;
			uk_nthreads--;
			return;
		}
	}
}

void uk_thread_exit(long value)
{
	struct uk_thread *t = uk_current;

	uk_irq_disable();
	t->exit_value = value;
	t->state = UK_T_EXITED;
	unlink_thread(t);
	uk_wq_wake(&t->exit_wq, -1);
	if (t->detached) {
		t->next = zombies;
		zombies = t;
	}
	if (!uk_nthreads) /* the last thread: the program is over */
		uk_plat_exit(0);
	schedule();
	uk_panic("an exited thread was scheduled again");
}

void uk_thread_free(struct uk_thread *t)
{
	if (t->stack)
		uk_stack_free(t->stack, t->stack_size);
	uk_kfree(t);
}

void uk_sched_start(void (*fn)(void *), void *arg, size_t stack)
{
	static struct uk_thread boot; /* the boot stack's context, left behind */
	uint8_t *boot_fpu = uk_kzalloc(uk_xsave_size + 64);
	struct uk_thread *t;

	if (!boot_fpu)
		uk_panic("no memory for FPU state");
	boot_fpu = (uint8_t *)(((uintptr_t)boot_fpu + 63) & ~63ul);
	boot.xsave = boot_fpu;
	boot.fs_base = uk_get_fs();
	uk_current = &boot;
	uk_irq_disable();
	t = thread_new(fn, arg, stack);
	if (!t)
		uk_panic("no memory for the main thread's %zu-byte stack", stack);
	fpu_save(&boot); /* the main thread starts with the boot FPU state */
	uk_memcpy(t->xsave, boot_fpu, uk_xsave_size);
	rq_push(t);
	schedule();
	uk_panic("returned to the boot stack");
}
