/*
 * Starting and ending a newlib program, and the hooks newlib expects from
 * its system: per-thread reentrancy state, locks, the stack protector.
 */
#include <reent.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/lock.h>
#include <uk/syscall.h>

extern int main(int, char **, char **);
extern char **environ;

/* Constructors and destructors, from the sections the linker script keeps
 * (this newlib build has no __libc_init_array). */
typedef void (*initfn)(void);
extern initfn __preinit_array_start[], __preinit_array_end[];
extern initfn __init_array_start[], __init_array_end[];
extern initfn __fini_array_start[], __fini_array_end[];

static void run_fini_array(void)
{
	for (initfn *f = __fini_array_end; f > __fini_array_start;)
		(*--f)();
}

void uk_app_start(int argc, char **argv, char **envp)
{
	environ = envp;
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

/* One thread for now: the global reentrancy structure and locks that need
 * no waiting. The scheduler replaces both. */
struct _reent *__getreent(void) { return _impure_ptr; }

struct __lock {
	int unused;
};
struct __lock __lock___sinit_recursive_mutex, __lock___sfp_recursive_mutex,
	__lock___atexit_recursive_mutex, __lock___at_quick_exit_mutex,
	__lock___malloc_recursive_mutex, __lock___env_recursive_mutex,
	__lock___tz_mutex, __lock___dd_hash_mutex, __lock___arc4random_mutex;

void __retarget_lock_init(_LOCK_T *l) { (void)l; }
void __retarget_lock_init_recursive(_LOCK_T *l) { (void)l; }
void __retarget_lock_close(_LOCK_T l) { (void)l; }
void __retarget_lock_close_recursive(_LOCK_T l) { (void)l; }
void __retarget_lock_acquire(_LOCK_T l) { (void)l; }
void __retarget_lock_acquire_recursive(_LOCK_T l) { (void)l; }
int __retarget_lock_try_acquire(_LOCK_T l) { (void)l; return 1; }
int __retarget_lock_try_acquire_recursive(_LOCK_T l) { (void)l; return 1; }
void __retarget_lock_release(_LOCK_T l) { (void)l; }
void __retarget_lock_release_recursive(_LOCK_T l) { (void)l; }
