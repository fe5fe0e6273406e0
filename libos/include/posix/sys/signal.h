/*
 * Signals for uk programs (replaces newlib's <sys/signal.h>, whose
 * struct sigaction has no sa_sigaction and whose sigset macros overflow).
 *
 * Signal numbers stay newlib's, so newlib's own strsignal() and psignal()
 * name them right; the glue (libos/newlib/glue_signal.c) translates them
 * to Linux's for the library OS, and back for handlers. siginfo_t has
 * Linux's layout and si_code values.
 */
#ifndef _SYS_SIGNAL_H
#define _SYS_SIGNAL_H

#ifdef __cplusplus
extern "C" {
#endif

#include "_ansi.h"
#include <sys/cdefs.h>
#include <sys/features.h>
#include <sys/types.h>
#include <sys/_sigset.h>
#include <sys/_timespec.h>

#if !defined(_SIGSET_T_DECLARED)
#define _SIGSET_T_DECLARED
typedef __sigset_t sigset_t;
#endif

#define SIGEV_NONE 1
#define SIGEV_SIGNAL 2
#define SIGEV_THREAD 3

union sigval {
	int sival_int;
	void *sival_ptr;
};

struct sigevent {
	int sigev_notify;
	int sigev_signo;
	union sigval sigev_value;
	void (*sigev_notify_function)(union sigval);
	pthread_attr_t *sigev_notify_attributes;
};

/* si_code */
#define SI_USER 0
#define SI_KERNEL 0x80
#define SI_QUEUE (-1)
#define SI_TIMER (-2)
#define SI_MESGQ (-3)
#define SI_ASYNCIO (-4)
#define SI_TKILL (-6)
#define ILL_ILLOPC 1
#define ILL_ILLOPN 2
#define FPE_INTDIV 1
#define FPE_INTOVF 2
#define FPE_FLTDIV 3
#define FPE_FLTINV 7
#define SEGV_MAPERR 1
#define SEGV_ACCERR 2
#define BUS_ADRALN 1
#define TRAP_BRKPT 1

typedef struct {
	int si_signo;
	int si_errno;
	int si_code;
	int __pad0;
	union {
		int __pad[28];
		struct {
			int si_pid;
			unsigned int si_uid;
			union sigval si_value;
		} __rt;
		struct {
			int si_pid;
			unsigned int si_uid;
			int si_status;
			long si_utime, si_stime;
		} __chld;
		struct {
			void *si_addr;
		} __fault;
		struct {
			long si_band;
			int si_fd;
		} __poll;
	} __u;
} siginfo_t;

#define si_pid __u.__rt.si_pid
#define si_uid __u.__rt.si_uid
#define si_value __u.__rt.si_value
#define si_int __u.__rt.si_value.sival_int
#define si_ptr __u.__rt.si_value.sival_ptr
#define si_status __u.__chld.si_status
#define si_addr __u.__fault.si_addr
#define si_band __u.__poll.si_band
#define si_fd __u.__poll.si_fd

typedef void (*_sig_func_ptr)(int);

struct sigaction {
	union {
		_sig_func_ptr _handler;
		void (*_sigaction)(int, siginfo_t *, void *);
	} _signal_handlers;
	sigset_t sa_mask;
	int sa_flags;
};

#define sa_handler _signal_handlers._handler
#define sa_sigaction _signal_handlers._sigaction

#define SA_NOCLDSTOP 0x00000001
#define SA_NOCLDWAIT 0x00000002
#define SA_SIGINFO 0x00000004
#define SA_ONSTACK 0x08000000
#define SA_RESTART 0x10000000
#define SA_NODEFER 0x40000000
#define SA_RESETHAND 0x80000000
#define SA_NOMASK SA_NODEFER
#define SA_ONESHOT SA_RESETHAND

#define MINSIGSTKSZ 2048
#define SIGSTKSZ 8192
#define SS_ONSTACK 1
#define SS_DISABLE 2

typedef struct sigaltstack {
	void *ss_sp;
	int ss_flags;
	size_t ss_size;
} stack_t;

#define SIG_SETMASK 0
#define SIG_BLOCK 1
#define SIG_UNBLOCK 2

int sigprocmask(int, const sigset_t *, sigset_t *);
int pthread_sigmask(int, const sigset_t *, sigset_t *);
int kill(pid_t, int);
int killpg(pid_t, int);
int sigaction(int, const struct sigaction *, struct sigaction *);
int sigaddset(sigset_t *, const int);
int sigdelset(sigset_t *, const int);
int sigismember(const sigset_t *, int);
int sigfillset(sigset_t *);
int sigemptyset(sigset_t *);
int sigpending(sigset_t *);
int sigsuspend(const sigset_t *);
int sigwait(const sigset_t *, int *);
int sigpause(int);
int siginterrupt(int, int);
int sigaltstack(const stack_t *__restrict, stack_t *__restrict);
int pthread_kill(pthread_t, int);
int sigwaitinfo(const sigset_t *, siginfo_t *);
int sigtimedwait(const sigset_t *, siginfo_t *, const struct timespec *);
int sigqueue(pid_t, int, const union sigval);

/* newlib's numbering (BSD's), which the glue maps to Linux's. */
#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGIOT 6
#define SIGABRT 6
#define SIGEMT 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGBUS 10
#define SIGSEGV 11
#define SIGSYS 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGURG 16
#define SIGSTOP 17
#define SIGTSTP 18
#define SIGCONT 19
#define SIGCHLD 20
#define SIGCLD 20
#define SIGTTIN 21
#define SIGTTOU 22
#define SIGIO 23
#define SIGPOLL SIGIO
#define SIGXCPU 24
#define SIGXFSZ 25
#define SIGVTALRM 26
#define SIGPROF 27
#define SIGWINCH 28
#define SIGLOST 29
#define SIGUSR1 30
#define SIGUSR2 31
#define NSIG 32

#ifdef __cplusplus
}
#endif

#ifndef _SIGNAL_H_
#include <signal.h>
#endif

#endif
