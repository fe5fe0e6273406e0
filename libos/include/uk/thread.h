/*
 * Thread creation for the C library's pthreads (link mode), with clone(2)'s
 * flags and semantics (sys_thread.c): the same code serves a Linux
 * program's raw clone. Plain C types only: the newlib glue includes this.
 */
#ifndef UK_THREAD_H
#define UK_THREAD_H

#include <stddef.h>
#include <stdint.h>

struct uk_clone_args {
	unsigned long flags; /* CLONE_* (Linux values), e.g. UK_CLONE_PTHREAD */
	void *stack;         /* lowest byte of the thread's stack; NULL: the
	                      * library OS allocates stack_size bytes above
	                      * a guard page, committed as the stack grows */
	size_t stack_size;
	int *parent_tid;    /* CLONE_PARENT_SETTID: the new id goes here */
	int *child_tid;     /* CLONE_CHILD_SETTID / CLONE_CHILD_CLEARTID */
	uint64_t tls;       /* CLONE_SETTLS: the new thread's %fs base */
	void (*fn)(void *); /* where the thread starts; it must not return */
	void *arg;
	void *reent; /* newlib's per-thread state */
};

/* What glibc and musl pass for a pthread. */
#define UK_CLONE_PTHREAD                                  \
	0x3d0f00ul /* VM|FS|FILES|SIGHAND|THREAD|SYSVSEM| \
	            * SETTLS|PARENT_SETTID|CHILD_CLEARTID */

/* Start a thread: its id, or -EINVAL (flags), -ENOSYS (a new process
 * rather than a thread), -EAGAIN (no memory). */
long uk_clone(const struct uk_clone_args *a);

/* The running thread's id, and its newlib state pointer (NULL: the global
 * one). */
int uk_gettid(void);
void **uk_thread_reent(void);

/* TLS (tls.c): the program's static TLS block (PT_TLS) sits right below
 * the thread pointer, as the x86-64 ABI wants. uk_tls_size() bytes,
 * uk_tls_align()-aligned below the TCB; uk_tls_init(tp) copies the
 * initial image below tp and zeroes the rest. */
size_t uk_tls_size(void);
size_t uk_tls_align(void);
void uk_tls_init(void *tp);
/* The stack-protector canary every TCB carries at %fs:0x28. */
uint64_t uk_tls_canary(void);
/* Switch the running thread's %fs base (and keep it across switches). */
void uk_tls_set(uint64_t tp);

#endif
