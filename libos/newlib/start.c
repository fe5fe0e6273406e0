/*
 * Starting and ending a newlib program, and the hooks newlib expects from
 * its system: per-thread reentrancy state (__getreent), locks, the stack
 * protector.
 *
 * newlib's locks protect what its threads share: malloc, the list of open
 * FILEs, each FILE, atexit, the environment, the time zone. Library OS
 * code is never preempted, but a thread can block inside newlib (stdio
 * writing to a pipe that is full, for one) or be preempted in the
 * program's own code between two stdio calls, so they are real locks:
 * futex word locks (pthread_sync.c), recursive where newlib asks.
 */
#include <errno.h>
#include <reent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/lock.h>
#include <uk/mm.h>
#include <uk/sched.h>
#include <uk/syscall.h>

#include "pthread_impl.h"

extern int main(int, char **, char **);
extern char **environ;

/* Constructors and destructors, from the sections the linker script keeps
 * (this newlib build has no __libc_init_array). */
typedef void (*initfn)(void);
extern initfn __preinit_array_start[], __preinit_array_end[];
extern initfn __init_array_start[], __init_array_end[];
extern initfn __fini_array_start[], __fini_array_end[];

/* Set once exit() has run the program's atexit handlers: newlib then
 * closes every FILE, taking each one's lock, and a thread blocked for good
 * while holding one (a reader of stdin, say) would hang the exit. As
 * glibc does, the flush at exit goes ahead without a lock another thread
 * holds. */
static volatile int exiting;

/* Registered first, so it runs last of the atexit handlers. */
static void run_fini_array(void)
{
	for (initfn *f = __fini_array_end; f > __fini_array_start;)
		(*--f)();
	exiting = 1;
}

void uk_app_start(int argc, char **argv, char **envp)
{
	environ = envp;
	uk_pthread_init_main(); /* TLS before any constructor touches it */
	for (initfn *f = __preinit_array_start; f < __preinit_array_end; f++)
		(*f)();
	for (initfn *f = __init_array_start; f < __init_array_end; f++)
		(*f)();
	atexit(run_fini_array);
	exit(main(argc, argv, envp));
}

/* Referenced by newlib's register_fini; constructors run from the arrays. */
void _init(void) {}
void _fini(void) {}

/* Each pthread has its own (errno lives there); the main thread and the
 * library OS's own threads use the global one. */
struct _reent *__getreent(void)
{
	struct uk_thread *t = uk_current;

	return t && t->reent ? t->reent : _impure_ptr;
}

/* ---- locks ---- */

struct __lock {
	volatile unsigned word;
	int owner; /* thread id, recursive locks */
	int count;
};

struct __lock __lock___sinit_recursive_mutex, __lock___sfp_recursive_mutex,
    __lock___atexit_recursive_mutex, __lock___at_quick_exit_mutex, __lock___malloc_recursive_mutex,
    __lock___env_recursive_mutex, __lock___tz_mutex, __lock___dd_hash_mutex,
    __lock___arc4random_mutex;

/* Locks newlib makes at run time (one per FILE) come from the library
 * OS's heap, not malloc, which takes a lock itself. Out of memory leaves
 * a NULL lock, which then locks nothing. */
void __retarget_lock_init(_LOCK_T *l) { *l = uk_kzalloc(sizeof(struct __lock)); }
void __retarget_lock_init_recursive(_LOCK_T *l) { __retarget_lock_init(l); }
void __retarget_lock_close(_LOCK_T l) { uk_kfree(l); }
void __retarget_lock_close_recursive(_LOCK_T l) { uk_kfree(l); }

void __retarget_lock_acquire(_LOCK_T l)
{
	if (l)
		uk_lk_lock(&l->word, NULL, 0);
}

int __retarget_lock_try_acquire(_LOCK_T l) { return l ? uk_lk_trylock(&l->word) : 0; }

void __retarget_lock_release(_LOCK_T l)
{
	if (l)
		uk_lk_unlock(&l->word);
}

void __retarget_lock_acquire_recursive(_LOCK_T l)
{
	int tid = uk_current->tid;

	if (!l)
		return;
	if (l->owner == tid) {
		l->count++;
		return;
	}
	if (!exiting)
		uk_lk_lock(&l->word, NULL, 0);
	else if (uk_lk_trylock(&l->word))
		return; /* held by a thread that may never let go: see above */
	l->owner = tid;
	l->count = 1;
}

/* 0 when taken, as ftrylockfile() reports. */
int __retarget_lock_try_acquire_recursive(_LOCK_T l)
{
	int tid = uk_current->tid;

	if (!l)
		return 0;
	if (l->owner == tid) {
		l->count++;
		return 0;
	}
	if (uk_lk_trylock(&l->word))
		return EBUSY;
	l->owner = tid;
	l->count = 1;
	return 0;
}

void __retarget_lock_release_recursive(_LOCK_T l)
{
	if (!l || l->owner != uk_current->tid)
		return; /* not ours: an exit-time pass that went without it */
	if (--l->count)
		return;
	l->owner = 0;
	uk_lk_unlock(&l->word);
}

/* POSIX stdio locking, which this newlib build leaves out: the FILE's own
 * recursive lock, which every stdio call takes too. */
void flockfile(FILE *fp)
{
	if (!(fp->_flags & __SSTR))
		__retarget_lock_acquire_recursive(fp->_lock);
}

int ftrylockfile(FILE *fp)
{
	return fp->_flags & __SSTR ? 0 : __retarget_lock_try_acquire_recursive(fp->_lock);
}

void funlockfile(FILE *fp)
{
	if (!(fp->_flags & __SSTR))
		__retarget_lock_release_recursive(fp->_lock);
}
