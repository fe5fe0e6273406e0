/*
 * pthreads for newlib programs: create, join, detach, exit, keys,
 * attributes, names, cancellation flags. A thread is made with the library
 * OS's clone (the flags glibc and musl use) and joined through
 * CLONE_CHILD_CLEARTID's futex wake, so the kernel side is the one a Linux
 * program's threads use.
 *
 * Each thread's memory is one allocation: its static TLS block, then
 * struct pthread (the TCB, where %fs points, with its own newlib state).
 * Its stack is the library OS's (guard page, committed as it grows) unless
 * pthread_attr_setstack gave one. Memory of a thread nobody joins (a
 * detached one) is freed by the next thread creation or exit after the
 * kernel has cleared its tid.
 *
 * Cancellation is recorded and acted on only at pthread_testcancel(): no
 * other call is a cancellation point here.
 */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <uk/mm.h>

#include "glue.h"
#include "pthread_impl.h"

#define DEFAULT_STACK (8ul << 20) /* RLIMIT_STACK's default, as glibc does */
#define MAX_STACK (64ul << 20)

static struct pthread *all;       /* live threads' structs (list_lock) */
static struct pthread *graveyard; /* exited detached threads to free */
static volatile unsigned list_lock;
static volatile int nthreads = 1; /* threads of the program, main included */
static struct pthread *main_thread;

static struct {
	int used;
	void (*dtor)(void *);
} keys[PTHREAD_KEYS_MAX];
static volatile unsigned keys_lock;

void __sinit(struct _reent *);

static void lock_list(void) { uk_lk_lock(&list_lock, NULL, 0); }
static void unlock_list(void) { uk_lk_unlock(&list_lock); }

/* Free detached threads that are gone: the kernel cleared their tid. */
static void sweep(void)
{
	struct pthread **pp, *p, *dead = NULL;

	lock_list();
	for (pp = &graveyard; (p = *pp);) {
		if (__atomic_load_n(&p->tid, __ATOMIC_SEQ_CST) == 0) {
			*pp = p->next;
			p->next = dead;
			dead = p;
		} else {
			pp = &p->next;
		}
	}
	unlock_list();
	while ((p = dead)) {
		dead = p->next;
		free(p->mem);
	}
}

static void list_add(struct pthread *p)
{
	lock_list();
	p->next = all;
	all = p;
	unlock_list();
}

/* Remove p from the live list; 0 when it was not there (not a thread). */
static int list_del(struct pthread *p)
{
	int found = 0;

	lock_list();
	for (struct pthread **pp = &all; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			found = 1;
			break;
		}
	}
	unlock_list();
	return found;
}

static int live(struct pthread *p)
{
	int found = 0;

	lock_list();
	for (struct pthread *q = all; q && !found; q = q->next)
		found = q == p;
	unlock_list();
	return found;
}

/* stdio streams are the program's, not each thread's: a thread's newlib
 * state points at the global stdin/stdout/stderr (and their locks). */
static void noop_cleanup(struct _reent *r) { (void)r; }

static void reent_init(struct _reent *r)
{
	if (!_GLOBAL_REENT->__sdidinit)
		__sinit(_GLOBAL_REENT);
	_REENT_INIT_PTR(r);
	r->_stdin = _GLOBAL_REENT->_stdin;
	r->_stdout = _GLOBAL_REENT->_stdout;
	r->_stderr = _GLOBAL_REENT->_stderr;
	r->__sdidinit = 1;
	r->__cleanup = noop_cleanup;
}

/* TLS block + TCB in one allocation; NULL when memory is short. */
static struct pthread *tcb_alloc(void)
{
	size_t tls = uk_tls_size(), align = uk_tls_align();
	void *mem = memalign(align, tls + sizeof(struct pthread));
	struct pthread *p;

	if (!mem)
		return NULL;
	p = (struct pthread *)((char *)mem + tls);
	memset(p, 0, sizeof(*p));
	uk_tls_init(p);
	p->self = p->self2 = p;
	p->canary = uk_tls_canary();
	p->mem = mem;
	return p;
}

void uk_pthread_init_main(void)
{
	struct pthread *p = tcb_alloc();

	if (!p) {
		static const char msg[] = "uk: no memory for the main thread's TLS\n";
		write(2, msg, sizeof(msg) - 1);
		_exit(127);
	}
	p->mem = NULL; /* never freed */
	/* Joining the main thread (after it called pthread_exit) works
	 * like any other: the kernel clears this tid when it ends. */
	p->tid = (int)UK_CALL(set_tid_address, &p->tid, 0, 0, 0, 0, 0);
	main_thread = p;
	list_add(p);
	uk_tls_set((uint64_t)p);
}

/* ---- attributes ---- */

int pthread_attr_init(pthread_attr_t *a)
{
	*a = (pthread_attr_t){
		.is_initialized = 1,
		.guardsize = 4096,
		.contentionscope = PTHREAD_SCOPE_SYSTEM,
		.inheritsched = PTHREAD_INHERIT_SCHED,
		.schedpolicy = SCHED_OTHER,
		.detachstate = PTHREAD_CREATE_JOINABLE,
	};
	return 0;
}

int pthread_attr_destroy(pthread_attr_t *a)
{
	a->is_initialized = 0;
	return 0;
}

int pthread_attr_setdetachstate(pthread_attr_t *a, int s)
{
	if (s != PTHREAD_CREATE_JOINABLE && s != PTHREAD_CREATE_DETACHED)
		return EINVAL;
	a->detachstate = s;
	return 0;
}

int pthread_attr_getdetachstate(const pthread_attr_t *a, int *s)
{
	*s = a->detachstate;
	return 0;
}

int pthread_attr_setstacksize(pthread_attr_t *a, size_t size)
{
	if (size < PTHREAD_STACK_MIN || size > MAX_STACK)
		return EINVAL;
	a->stacksize = size;
	return 0;
}

int pthread_attr_getstacksize(const pthread_attr_t *a, size_t *size)
{
	*size = a->stacksize ? a->stacksize : DEFAULT_STACK;
	return 0;
}

int pthread_attr_setstack(pthread_attr_t *a, void *addr, size_t size)
{
	if (size < PTHREAD_STACK_MIN || !addr)
		return EINVAL;
	a->stackaddr = addr;
	a->stacksize = size;
	return 0;
}

int pthread_attr_getstack(const pthread_attr_t *a, void **addr, size_t *size)
{
	*addr = a->stackaddr;
	*size = a->stacksize;
	return 0;
}

int pthread_attr_setstackaddr(pthread_attr_t *a, void *addr)
{
	a->stackaddr = addr;
	return 0;
}

int pthread_attr_getstackaddr(const pthread_attr_t *a, void **addr)
{
	*addr = a->stackaddr;
	return 0;
}

int pthread_attr_setguardsize(pthread_attr_t *a, size_t size)
{
	a->guardsize = size; /* every library OS stack has one page */
	return 0;
}

int pthread_attr_getguardsize(const pthread_attr_t *a, size_t *size)
{
	*size = a->guardsize;
	return 0;
}

int pthread_attr_setscope(pthread_attr_t *a, int scope)
{
	if (scope == PTHREAD_SCOPE_SYSTEM)
		return 0;
	return scope == PTHREAD_SCOPE_PROCESS ? ENOTSUP : EINVAL;
}

int pthread_attr_getscope(const pthread_attr_t *a, int *scope)
{
	(void)a;
	*scope = PTHREAD_SCOPE_SYSTEM;
	return 0;
}

int pthread_attr_setinheritsched(pthread_attr_t *a, int v)
{
	if (v != PTHREAD_INHERIT_SCHED && v != PTHREAD_EXPLICIT_SCHED)
		return EINVAL;
	a->inheritsched = v;
	return 0;
}

int pthread_attr_getinheritsched(const pthread_attr_t *a, int *v)
{
	*v = a->inheritsched;
	return 0;
}

/* One scheduling policy: SCHED_OTHER. */
int pthread_attr_setschedpolicy(pthread_attr_t *a, int p)
{
	if (p == SCHED_OTHER)
		return 0;
	return p == SCHED_FIFO || p == SCHED_RR ? ENOTSUP : EINVAL;
}

int pthread_attr_getschedpolicy(const pthread_attr_t *a, int *p)
{
	*p = a->schedpolicy;
	return 0;
}

int pthread_attr_setschedparam(pthread_attr_t *a, const struct sched_param *sp)
{
	if (sp->sched_priority)
		return EINVAL;
	a->schedparam = *sp;
	return 0;
}

int pthread_attr_getschedparam(const pthread_attr_t *a, struct sched_param *sp)
{
	*sp = a->schedparam;
	return 0;
}

int pthread_getattr_np(pthread_t t, pthread_attr_t *a)
{
	struct pthread *p = (struct pthread *)t;
	struct uk_thread *k;

	if (!live(p))
		return ESRCH;
	pthread_attr_init(a);
	if (p->state == ST_DETACHED)
		a->detachstate = PTHREAD_CREATE_DETACHED;
	if ((k = uk_thread_find(p->tid))) {
		a->stackaddr = k->stack;
		a->stacksize = k->stack_size;
	}
	return 0;
}

/* ---- life and death ---- */

static void run_key_destructors(struct pthread *p)
{
	for (int round = 0; round < PTHREAD_DESTRUCTOR_ITERATIONS; round++) {
		int again = 0;
		for (int k = 0; k < PTHREAD_KEYS_MAX; k++) {
			void *v = (void *)p->keys[k];
			if (!v || !keys[k].used || !keys[k].dtor)
				continue;
			p->keys[k] = NULL;
			keys[k].dtor(v);
			again = 1;
		}
		if (!again)
			break;
	}
}

void pthread_exit(void *result)
{
	struct pthread *p = uk_pthread_self();

	p->result = result;
	while (p->cleanup) {
		struct _pthread_cleanup_context *c = p->cleanup;
		p->cleanup = c->_previous;
		c->_routine(c->_arg);
	}
	run_key_destructors(p);
	/* POSIX: after the last thread, the process exits as with exit(0). */
	if (__atomic_sub_fetch(&nthreads, 1, __ATOMIC_SEQ_CST) == 0)
		exit(0);
	if (p != main_thread)
		_reclaim_reent(&p->reent);
	if (__atomic_exchange_n(&p->state, ST_EXITING, __ATOMIC_SEQ_CST) == ST_DETACHED) {
		list_del(p);
		if (p->mem) {
			lock_list();
			p->next = graveyard;
			graveyard = p;
			unlock_list();
		}
	}
	sweep();
	UK_CALL(exit, 0, 0, 0, 0, 0, 0);
	__builtin_unreachable();
}

static void thread_start(void *arg)
{
	struct pthread *p = arg;

	pthread_exit(p->start(p->arg));
}

static size_t stack_size(const pthread_attr_t *a)
{
	struct rlimit rl;

	if (a && a->stacksize)
		return a->stacksize;
	if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur >= PTHREAD_STACK_MIN &&
	    rl.rlim_cur <= MAX_STACK)
		return rl.rlim_cur;
	return DEFAULT_STACK;
}

int pthread_create(pthread_t *out, const pthread_attr_t *a, void *(*fn)(void *), void *arg)
{
	struct pthread *p;
	struct uk_clone_args ca;
	long tid;

	sweep();
	if (!(p = tcb_alloc()))
		return EAGAIN;
	reent_init(&p->reent);
	p->start = fn;
	p->arg = arg;
	p->state = a && a->detachstate == PTHREAD_CREATE_DETACHED ? ST_DETACHED : ST_JOINABLE;
	ca = (struct uk_clone_args){
		.flags = UK_CLONE_PTHREAD,
		.stack = a ? a->stackaddr : NULL,
		.stack_size = stack_size(a),
		.parent_tid = (int *)&p->tid,
		.child_tid = (int *)&p->tid,
		.tls = (uint64_t)p,
		.fn = thread_start,
		.arg = p,
		.reent = &p->reent,
	};
	list_add(p);
	__atomic_add_fetch(&nthreads, 1, __ATOMIC_SEQ_CST);
	if ((tid = uk_clone(&ca)) < 0) {
		__atomic_sub_fetch(&nthreads, 1, __ATOMIC_SEQ_CST);
		list_del(p);
		free(p->mem);
		return EAGAIN;
	}
	*out = (pthread_t)p;
	return 0;
}

/* Wait for the kernel to clear p's tid (CLONE_CHILD_CLEARTID). */
static int wait_gone(struct pthread *p, const struct timespec *abs)
{
	int tid;

	while ((tid = __atomic_load_n(&p->tid, __ATOMIC_SEQ_CST)) != 0) {
		long r = uk_fx_wait((volatile unsigned *)&p->tid, tid, abs, CLOCK_REALTIME);
		if (r == -LX_ETIMEDOUT)
			return ETIMEDOUT;
		if (r == -LX_EINVAL)
			return EINVAL;
	}
	return 0;
}

static int join(pthread_t t, void **result, const struct timespec *abs, int try)
{
	struct pthread *p = (struct pthread *)t;
	int e;

	if (p == uk_pthread_self())
		return EDEADLK;
	if (!live(p))
		return ESRCH;
	if (p->state == ST_DETACHED)
		return EINVAL;
	if (try && __atomic_load_n(&p->tid, __ATOMIC_SEQ_CST))
		return EBUSY;
	if ((e = wait_gone(p, abs)))
		return e;
	if (!list_del(p))
		return ESRCH; /* joined by someone else meanwhile */
	if (result)
		*result = p->result;
	free(p->mem);
	return 0;
}

int pthread_join(pthread_t t, void **result) { return join(t, result, NULL, 0); }
int pthread_tryjoin_np(pthread_t t, void **result) { return join(t, result, NULL, 1); }

int pthread_timedjoin_np(pthread_t t, void **result, const struct timespec *abs)
{
	return join(t, result, abs, 0);
}

int pthread_detach(pthread_t t)
{
	struct pthread *p = (struct pthread *)t;
	int s = ST_JOINABLE;

	if (!live(p))
		return ESRCH;
	if (__atomic_compare_exchange_n(&p->state, &s, ST_DETACHED, 0, __ATOMIC_SEQ_CST,
	                                __ATOMIC_SEQ_CST))
		return 0;
	if (s == ST_DETACHED)
		return EINVAL;
	return join(t, NULL, NULL, 0); /* already exiting: reap it now */
}

pthread_t pthread_self(void) { return (pthread_t)uk_pthread_self(); }

int pthread_equal(pthread_t a, pthread_t b) { return a == b; }

void pthread_yield(void) { UK_CALL(sched_yield, 0, 0, 0, 0, 0, 0); }

/* ---- keys ---- */

int pthread_key_create(pthread_key_t *key, void (*dtor)(void *))
{
	int e = EAGAIN;

	uk_lk_lock(&keys_lock, NULL, 0);
	for (int k = 0; k < PTHREAD_KEYS_MAX; k++) {
		if (!keys[k].used) {
			keys[k].used = 1;
			keys[k].dtor = dtor;
			*key = k;
			e = 0;
			break;
		}
	}
	uk_lk_unlock(&keys_lock);
	return e;
}

/* A deleted key's values are forgotten in every thread, so a key made
 * later in the same slot starts out NULL everywhere. */
int pthread_key_delete(pthread_key_t key)
{
	if (key >= PTHREAD_KEYS_MAX || !keys[key].used)
		return EINVAL;
	uk_lk_lock(&keys_lock, NULL, 0);
	keys[key].used = 0;
	keys[key].dtor = NULL;
	lock_list();
	for (struct pthread *p = all; p; p = p->next)
		p->keys[key] = NULL;
	unlock_list();
	uk_lk_unlock(&keys_lock);
	return 0;
}

void *pthread_getspecific(pthread_key_t key)
{
	return key < PTHREAD_KEYS_MAX ? (void *)uk_pthread_self()->keys[key] : NULL;
}

int pthread_setspecific(pthread_key_t key, const void *v)
{
	if (key >= PTHREAD_KEYS_MAX || !keys[key].used)
		return EINVAL;
	uk_pthread_self()->keys[key] = v;
	return 0;
}

/* ---- cleanup handlers and cancellation ---- */

void _pthread_cleanup_push(struct _pthread_cleanup_context *c, void (*fn)(void *), void *arg)
{
	struct pthread *p = uk_pthread_self();

	c->_routine = fn;
	c->_arg = arg;
	c->_previous = p->cleanup;
	p->cleanup = c;
}

void _pthread_cleanup_pop(struct _pthread_cleanup_context *c, int execute)
{
	uk_pthread_self()->cleanup = c->_previous;
	if (execute)
		c->_routine(c->_arg);
}

void _pthread_cleanup_push_defer(struct _pthread_cleanup_context *c, void (*fn)(void *), void *arg)
{
	_pthread_cleanup_push(c, fn, arg);
}

void _pthread_cleanup_pop_restore(struct _pthread_cleanup_context *c, int execute)
{
	_pthread_cleanup_pop(c, execute);
}

int pthread_cancel(pthread_t t)
{
	struct pthread *p = (struct pthread *)t;

	if (!live(p))
		return ESRCH;
	p->canceled = 1;
	return 0;
}

void pthread_testcancel(void)
{
	struct pthread *p = uk_pthread_self();

	if (p->canceled && !p->cancel_disabled)
		pthread_exit(PTHREAD_CANCELED);
}

int pthread_setcancelstate(int state, int *old)
{
	struct pthread *p = uk_pthread_self();

	if (state != PTHREAD_CANCEL_ENABLE && state != PTHREAD_CANCEL_DISABLE)
		return EINVAL;
	if (old)
		*old = p->cancel_disabled ? PTHREAD_CANCEL_DISABLE : PTHREAD_CANCEL_ENABLE;
	p->cancel_disabled = state == PTHREAD_CANCEL_DISABLE;
	return 0;
}

int pthread_setcanceltype(int type, int *old)
{
	struct pthread *p = uk_pthread_self();

	if (type != PTHREAD_CANCEL_DEFERRED && type != PTHREAD_CANCEL_ASYNCHRONOUS)
		return EINVAL;
	if (old)
		*old = p->cancel_async ? PTHREAD_CANCEL_ASYNCHRONOUS : PTHREAD_CANCEL_DEFERRED;
	p->cancel_async = type == PTHREAD_CANCEL_ASYNCHRONOUS;
	return 0;
}

/* ---- odds and ends ---- */

/* No fork, so the handlers would never run. */
int pthread_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void))
{
	(void)prepare, (void)parent, (void)child;
	return 0;
}

static int concurrency;

int pthread_setconcurrency(int n)
{
	if (n < 0)
		return EINVAL;
	concurrency = n;
	return 0;
}

int pthread_getconcurrency(void) { return concurrency; }

int pthread_getcpuclockid(pthread_t t, clockid_t *clk)
{
	struct pthread *p = (struct pthread *)t;

	if (!live(p) || !p->tid)
		return ESRCH;
	*clk = (clockid_t)(int)(((unsigned)~p->tid << 3) | 4 |
	                        2); /* Linux: a thread's CPUCLOCK_SCHED */
	return 0;
}

int pthread_getschedparam(pthread_t t, int *policy, struct sched_param *sp)
{
	if (!live((struct pthread *)t))
		return ESRCH;
	*policy = SCHED_OTHER;
	sp->sched_priority = 0;
	return 0;
}

int pthread_setschedparam(pthread_t t, int policy, const struct sched_param *sp)
{
	if (!live((struct pthread *)t))
		return ESRCH;
	if (policy == SCHED_OTHER && sp->sched_priority == 0)
		return 0;
	return policy == SCHED_OTHER ? EINVAL : EPERM;
}

int pthread_setschedprio(pthread_t t, int prio)
{
	if (!live((struct pthread *)t))
		return ESRCH;
	return prio ? EINVAL : 0;
}

int pthread_setname_np(pthread_t t, const char *name)
{
	struct pthread *p = (struct pthread *)t;
	struct uk_thread *k;

	if (strlen(name) >= 16)
		return ERANGE;
	if (!live(p) || !(k = uk_thread_find(p->tid)))
		return ESRCH;
	memset(k->name, 0, sizeof(k->name));
	memcpy(k->name, name, strlen(name));
	return 0;
}

int pthread_getname_np(pthread_t t, char *name, size_t len)
{
	struct pthread *p = (struct pthread *)t;
	struct uk_thread *k;

	if (len < 16)
		return ERANGE;
	if (!live(p) || !(k = uk_thread_find(p->tid)))
		return ESRCH;
	memcpy(name, k->name, 16);
	name[15] = 0;
	return 0;
}
