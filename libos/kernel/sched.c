/*
 * The scheduler (see uk/sched.h): a FIFO run queue, wait queues, a sorted
 * list of callback timers driving the one-shot hardware timer (sleeping
 * threads are timers too), and the idle loop that halts the vCPU when
 * nothing can run.
 *
 * All of its state changes with interrupts disabled: interrupt handlers
 * wake threads, nothing else runs concurrently on the one vCPU.
 *
 * Preemption. Library OS code stays cooperative: it was written for it,
 * and making it preemptible would mean locks everywhere. Application code
 * is preempted: when a thread has run for a time slice (SLICE_NS) while
 * another one was runnable, the timer interrupt sets uk_need_resched, and
 * - if it interrupted the program's own code (the text between
 *   __uk_app_text and __uk_app_text_end, see uk.ld, or a loaded Linux
 *   program's code in the lower half: uk_app_code()), the interrupt returns
 *   into a trampoline on the thread's stack that yields and then resumes
 *   the interrupted instruction with every register intact (signal.c);
 * - else the thread yields on its way back from the library OS (the
 *   system-call exit check in the newlib glue) or at the next interrupt
 *   that finds it in its own code.
 * Why: with one vCPU a thread that spins on a flag another thread sets (or
 * a compute loop that an alarm() handler should stop) would otherwise hang
 * the program forever; the cost is a timer interrupt per slice, and only
 * while more than one thread is runnable. newlib and the library OS are
 * never preempted, so their internal state needs no new locks; newlib's
 * shared state is protected by the retarget locks (start.c) because
 * threads can block inside newlib (stdio writing to a pipe, for one).
 */
#include <uk/arch.h>
#include <uk/binary.h>
#include <uk/console.h>
#include <uk/cpu.h>
#include <uk/futex.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/paging.h>
#include <uk/plat.h>
#include <uk/print.h>
#include <uk/proc.h>
#include <uk/signal.h>
#include <uk/sched.h>
#include <uk/time.h>
#include <uk/vm.h>

#define SLICE_NS 10000000ull /* 10 ms, like a Linux time slice */
#define RETRY_NS 1000000ull  /* slice over in library code: look again soon */

struct uk_thread *uk_current;
struct uk_thread *uk_threads;
unsigned uk_nthreads;
volatile int uk_attention, uk_need_resched;

static struct uk_thread *rq_head, *rq_tail;
static struct uk_timer *timers;   /* armed, sorted by deadline */
static uint64_t hw_deadline;      /* what the hardware timer is armed for */
static uint64_t slice_end;        /* end of the running thread's slice, 0: none */
static struct uk_thread *zombies; /* exited and detached: freed when safe */
static int next_tid = 1;
static uint64_t idle_tsc;

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

/* ---- timers ---- */

/* Arm the hardware for the earliest timer or the end of the slice. A
 * later deadline than the one armed is left alone: an early interrupt just
 * finds nothing to do, which is cheaper than re-arming on every switch. */
static void timer_program(void)
{
	uint64_t d = timers ? timers->deadline : 0;

	if (slice_end && (!d || slice_end < d))
		d = slice_end;
	if (d && (!hw_deadline || d < hw_deadline)) {
		hw_deadline = d;
		uk_timer_arm(d);
	}
}

static void timer_unlink(struct uk_timer *t)
{
	for (struct uk_timer **pp = &timers; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	t->next = NULL;
	t->armed = 0;
}

void uk_timer_start(struct uk_timer *t, uint64_t deadline_ns)
{
	int on = uk_irq_save();
	struct uk_timer **pp = &timers;

	if (t->armed)
		timer_unlink(t);
	t->deadline = deadline_ns;
	while (*pp && (*pp)->deadline <= deadline_ns)
		pp = &(*pp)->next;
	t->next = *pp;
	*pp = t;
	t->armed = 1;
	timer_program();
	uk_irq_restore(on);
}

void uk_timer_stop(struct uk_timer *t)
{
	int on = uk_irq_save();

	if (t->armed)
		timer_unlink(t);
	uk_irq_restore(on);
}

/* ---- run queue ---- */

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

/* Someone else wants the CPU: give the running application thread a
 * slice, after which it is preempted. now_tsc: the TSC now, or 0. */
static void slice_start(uint64_t now_tsc)
{
	struct uk_thread *c = uk_current;

	if (!slice_end && rq_head && c && (c->flags & UK_TF_APP) && c->state == UK_T_RUNNABLE) {
		slice_end = (now_tsc ? uk_tsc_to_monotonic(now_tsc) : uk_monotonic_ns()) + SLICE_NS;
		timer_program();
	}
}

/* ---- switching ---- */

static void switch_to(struct uk_thread *next)
{
	struct uk_thread *prev = uk_current;

	fpu_save(prev);
	prev->fs_base = uk_get_fs();
	/* another process's thread: its address space (library OS threads
	 * run in whichever is loaded) */
	if (next->proc)
		uk_proc_switch(next->proc);
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

/* In the context of whoever was switched in (back into schedule(), or
 * for a new thread at its start): its slice, if others wait. Interrupts
 * disabled. */
static void switched_in(void)
{
	slice_start(uk_current->ran_since);
	uk_attention_update();
	reap();
}

/* Pick the next thread; idle until there is one. Interrupts disabled.
 * The running thread stops being charged CPU time here, so time spent
 * halted is nobody's. */
static void schedule(void)
{
	struct uk_thread *prev = uk_current, *next;
	uint64_t now = uk_rdtsc();

	prev->cpu_ns += now - prev->ran_since;
	slice_end = 0; /* the next thread gets a fresh one, if it needs one */
	while (!(next = rq_pop())) {
		uint64_t halted;
		timer_program();
		/* --trace's buffered lines reach the host before the vCPU
		 * halts: a VM stopped while idle (--timeout, ukrun's second
		 * signal) lost the calls made before its wait */
		uk_console_flush();
		uk_cpu_idle();
		halted = uk_rdtsc();
		idle_tsc += halted - now;
		now = halted;
	}
	next->ran_since = now;
	uk_need_resched = 0;
	if (next != prev) {
		next->switches++;
		switch_to(next);
	}
	switched_in();
}

uint64_t uk_idle_ns(void) { return uk_tsc_to_ns(idle_tsc); }

/* ---- blocking and waking ---- */

static void block_timeout(struct uk_timer *tm) { uk_thread_wake(tm->priv, -ETIMEDOUT); }

int uk_sched_block(uint64_t deadline_ns)
{
	struct uk_thread *t = uk_current;

	if (deadline_ns && deadline_ns <= uk_monotonic_ns())
		return -ETIMEDOUT;
	t->state = UK_T_BLOCKED;
	t->wake_result = 0;
	if (deadline_ns) {
		t->timer.fn = block_timeout;
		t->timer.priv = t;
		uk_timer_start(&t->timer, deadline_ns);
	}
	schedule();
	return t->wake_result;
}

void uk_thread_wake(struct uk_thread *t, int result)
{
	int on = uk_irq_save();

	if (t->state == UK_T_BLOCKED) {
		if (t->timer.armed)
			timer_unlink(&t->timer);
		t->wake_result = result;
		t->state = UK_T_RUNNABLE;
		rq_push(t);
		slice_start(0);
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

	hw_deadline = 0; /* it fired */
	while (timers && timers->deadline <= now) {
		struct uk_timer *t = timers;
		timers = t->next;
		t->next = NULL;
		t->armed = 0;
		t->fn(t);
	}
	if (slice_end && slice_end <= now) {
		slice_end = 0;
		if (rq_head && (uk_current->flags & UK_TF_APP)) {
			uk_need_resched = 1;
			uk_attention = 1;
			/* Looked at again soon, in case this interrupt found the
			 * thread in library code and it stays there. */
			slice_end = now + RETRY_NS;
		}
	}
	timer_program();
}

void uk_sched_yield(void)
{
	int on = uk_irq_save();

	if (rq_head) {
		rq_push(uk_current);
		schedule();
	} else {
		uk_need_resched = 0;
	}
	uk_irq_restore(on);
}

/* ---- CPU time ---- */

uint64_t uk_thread_cpu_ns(const struct uk_thread *t)
{
	uint64_t tsc = t->cpu_ns;

	if (t == uk_current)
		tsc += uk_rdtsc() - t->ran_since;
	return uk_tsc_to_ns(tsc);
}

/* ---- threads ---- */

/* Stacks of exited threads, kept for the next ones: their touched pages
 * stay committed, so a new thread does not fault them in again (~6 us a
 * page on the paravirtual host). Like glibc's stack cache, bounded. */
#define STACK_CACHE 8

static struct {
	void *stack;
	size_t size;
} stack_cache[STACK_CACHE];

static void *stack_get(size_t size)
{
	int on = uk_irq_save();
	void *s = NULL;

	for (int i = 0; i < STACK_CACHE && !s; i++) {
		if (stack_cache[i].stack && stack_cache[i].size == size) {
			s = stack_cache[i].stack;
			stack_cache[i].stack = NULL;
		}
	}
	uk_irq_restore(on);
	return s ? s : uk_stack_alloc(size);
}

static void stack_put(void *stack, size_t size)
{
	int on = uk_irq_save();

	for (int i = 0; i < STACK_CACHE; i++) {
		if (!stack_cache[i].stack) {
			stack_cache[i].stack = stack;
			stack_cache[i].size = size;
			uk_irq_restore(on);
			return;
		}
	}
	uk_irq_restore(on);
	uk_stack_free(stack, size);
}

static void thread_main(struct uk_thread *t)
{
	/* (a new thread that spins without a system call is preempted too) */
	switched_in();
	uk_irq_enable();
	t->fn(t->arg);
	uk_thread_exit(0);
}

struct uk_thread *uk_thread_new(void (*fn)(void *), void *arg, void *stack, size_t stack_size,
                                unsigned flags)
{
	size_t size = sizeof(struct uk_thread) + 64 + uk_xsave_size;
	struct uk_thread *t = uk_kzalloc(size);
	uint64_t *sp;

	if (!t)
		return NULL;
	if (!stack) {
		stack_size = (stack_size + UK_PAGE_SIZE - 1) & ~(UK_PAGE_SIZE - 1);
		stack = stack_get(stack_size);
		if (!stack) {
			uk_kfree(t);
			return NULL;
		}
		flags |= UK_TF_OWN_STACK;
	}
	t->stack = stack;
	t->stack_size = stack_size;
	t->flags = flags;
	t->xsave = (uint8_t *)(((uintptr_t)(t + 1) + 63) & ~63ul);
	*(uint16_t *)t->xsave = 0x37f;         /* x87 control word */
	*(uint32_t *)(t->xsave + 24) = 0x1f80; /* MXCSR */
	t->fn = fn;
	t->arg = arg;
	t->fs_base = uk_tls_boot_tp(); /* clone gives application threads theirs */
	/* What uk_arch_switch pops: r15 r14 r13 r12 rbx rbp, then it returns
	 * into uk_arch_thread_start with %rsp 16-byte aligned for its call of
	 * thread_main(t) (%r12, %r13). */
	sp = (uint64_t *)(((uintptr_t)stack + stack_size) & ~15ul);
	*--sp = (uint64_t)uk_arch_thread_start;
	*--sp = 0;                     /* rbp */
	*--sp = 0;                     /* rbx */
	*--sp = (uint64_t)thread_main; /* r12 */
	*--sp = (uint64_t)t;           /* r13 */
	*--sp = 0;                     /* r14 */
	*--sp = 0;                     /* r15 */
	t->rsp = (uint64_t)sp;
	t->state = UK_T_RUNNABLE;
	{
		int on = uk_irq_save();
		t->tid = next_tid++;
		t->all_next = uk_threads;
		uk_threads = t;
		uk_nthreads++;
		if (flags & UK_TF_APP) {
			t->proc = uk_current && uk_current->proc ? uk_current->proc : &uk_proc_init;
			t->proc->nthreads++;
			if (uk_current && (uk_current->flags & UK_TF_APP)) /* as clone copies it */
				uk_memcpy(t->name, uk_current->name, sizeof(t->name));
		}
		uk_irq_restore(on);
	}
	return t;
}

void uk_thread_move(struct uk_thread *t, struct uk_proc *p)
{
	t->proc->nthreads--;
	t->proc = p;
	p->nthreads++;
}

void uk_thread_start(struct uk_thread *t)
{
	int on = uk_irq_save();

	rq_push(t);
	slice_start(0);
	uk_irq_restore(on);
}

struct uk_thread *uk_thread_create(void (*fn)(void *), void *arg, size_t stack)
{
	struct uk_thread *t = uk_thread_new(fn, arg, NULL, stack, 0);

	if (t)
		uk_thread_start(t);
	return t;
}

struct uk_thread *uk_thread_find(int tid)
{
	for (struct uk_thread *t = uk_threads; t; t = t->all_next)
		if (t->tid == tid)
			return t;
	return NULL;
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

	/* CLONE_CHILD_CLEARTID: how pthread_join learns the thread is gone.
	 * A Linux program's word was its memory when named, but may have been
	 * unmapped since: then, as Linux, nothing is written. */
	if (t->clear_child_tid &&
	    (!uk_binary_active || (uintptr_t)t->clear_child_tid >= UK_VM_END ||
	     uk_vm_user_span((uintptr_t)t->clear_child_tid, 4, 1) == 4)) {
		__atomic_store_n(t->clear_child_tid, 0, __ATOMIC_SEQ_CST);
		uk_futex_wake((uint32_t *)t->clear_child_tid, 1, ~0u);
	}
	if (t->flags & UK_TF_APP)
		uk_proc_thread_ending(t->proc);
	uk_irq_disable();
	if (t->timer.armed)
		timer_unlink(&t->timer);
	t->exit_value = value;
	t->state = UK_T_EXITED;
	unlink_thread(t);
	uk_wq_wake(&t->exit_wq, -1);
	if (t->detached) {
		t->next = zombies;
		zombies = t;
	}
	if ((t->flags & UK_TF_APP) && !--t->proc->nthreads) { /* the process is over */
		t->proc->cpu_ns += uk_thread_cpu_ns(t);
		uk_proc_last_thread(t->proc, value);
	}
	if (!uk_nthreads)
		uk_plat_exit(0);
	schedule();
	uk_panic("an exited thread was scheduled again");
}

void uk_thread_free(struct uk_thread *t)
{
	uk_sig_drop_all(t, NULL);
	if (t->flags & UK_TF_OWN_STACK)
		stack_put(t->stack, t->stack_size);
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
	boot.ran_since = uk_rdtsc();
	uk_current = &boot;
	uk_irq_disable();
	t = uk_thread_new(fn, arg, NULL, stack, UK_TF_APP);
	if (!t)
		uk_panic("no memory for the main thread's %zu-byte stack", stack);
	fpu_save(&boot); /* the main thread starts with the boot FPU state */
	uk_memcpy(t->xsave, boot_fpu, uk_xsave_size);
	rq_push(t);
	schedule();
	uk_panic("returned to the boot stack");
}
