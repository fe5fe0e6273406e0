/*
 * newlib glue: signals. The program uses newlib's numbers (<sys/signal.h>,
 * which uk replaces); the library OS uses Linux's. Numbers and masks are
 * translated here, and every handler the program installs is registered
 * with the library OS as glue_handler(), which translates back and calls
 * the program's function with newlib's number (and siginfo_t, whose
 * layout is Linux's).
 *
 * newlib's own signal(), raise() and abort() are replaced: its versions
 * keep a private handler table that sigaction() would not see. So is its
 * assert's report, which formats with fiprintf (8 KiB of printf in every
 * image that prints a double: newlib's dtoa asserts).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uk/print.h>
#include <uk/syscall.h>

#include "glue.h"
#include "pthread_impl.h"

#define LX_SIG_BLOCK 0
#define LX_SIG_UNBLOCK 1
#define LX_SIG_SETMASK 2
#define LX_NSIG 64

/* newlib number -> Linux number; 0: Linux has none (SIGEMT, SIGLOST). */
static const unsigned char to_lx[NSIG] = {
	[SIGHUP] = 1,   [SIGINT] = 2,    [SIGQUIT] = 3,  [SIGILL] = 4,   [SIGTRAP] = 5,
	[SIGABRT] = 6,  [SIGFPE] = 8,    [SIGKILL] = 9,  [SIGBUS] = 7,   [SIGSEGV] = 11,
	[SIGSYS] = 31,  [SIGPIPE] = 13,  [SIGALRM] = 14, [SIGTERM] = 15, [SIGURG] = 23,
	[SIGSTOP] = 19, [SIGTSTP] = 20,  [SIGCONT] = 18, [SIGCHLD] = 17, [SIGTTIN] = 21,
	[SIGTTOU] = 22, [SIGIO] = 29,    [SIGXCPU] = 24, [SIGXFSZ] = 25, [SIGVTALRM] = 26,
	[SIGPROF] = 27, [SIGWINCH] = 28, [SIGUSR1] = 10, [SIGUSR2] = 12,
};

int uk_sig_to_linux(int sig) { return sig > 0 && sig < NSIG ? to_lx[sig] : 0; }

int uk_sig_from_linux(int lx)
{
	for (int s = 1; s < NSIG; s++)
		if (to_lx[s] == lx)
			return s;
	return 0;
}

static uint64_t set_to_lx(const sigset_t *s)
{
	uint64_t m = 0;

	for (int sig = 1; sig < NSIG; sig++)
		if ((*s >> sig) & 1 && to_lx[sig])
			m |= 1ull << (to_lx[sig] - 1);
	return m;
}

static sigset_t set_from_lx(uint64_t m)
{
	sigset_t s = 0;

	for (int sig = 1; sig < NSIG; sig++)
		if (to_lx[sig] && (m >> (to_lx[sig] - 1)) & 1)
			s |= 1ul << sig;
	return s;
}

/* ---- sets ---- */

static int bad_sig(int sig)
{
	if (sig > 0 && sig < NSIG)
		return 0;
	errno = EINVAL;
	return 1;
}

int sigemptyset(sigset_t *s)
{
	*s = 0;
	return 0;
}
int sigfillset(sigset_t *s)
{
	*s = ~1ul & ((1ul << NSIG) - 1);
	return 0;
}
int sigaddset(sigset_t *s, const int sig) { return bad_sig(sig) ? -1 : (*s |= 1ul << sig, 0); }
int sigdelset(sigset_t *s, const int sig) { return bad_sig(sig) ? -1 : (*s &= ~(1ul << sig), 0); }
int sigismember(const sigset_t *s, int sig) { return bad_sig(sig) ? -1 : (int)((*s >> sig) & 1); }

/* ---- dispositions ---- */

/* rt_sigaction's struct on x86-64. */
struct lx_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

#define LX_SA_SIGINFO 4

/* What the program asked for, by newlib number (the library OS holds the
 * translated copy, with glue_handler in place of the function). */
static struct sigaction app[NSIG];

static void glue_handler(int lx, void *lxinfo, void *uc)
{
	int sig = uk_sig_from_linux(lx), saved = errno;
	struct sigaction a = app[sig];
	siginfo_t info;

	if (!sig)
		return;
	if (a.sa_flags & SA_RESETHAND) /* the library OS has reset its copy */
		app[sig].sa_handler = SIG_DFL;
	memcpy(&info, lxinfo, sizeof(info));
	info.si_signo = sig;
	if (a.sa_flags & SA_SIGINFO)
		a.sa_sigaction(sig, &info, uc);
	else if (a.sa_handler != SIG_DFL && a.sa_handler != SIG_IGN)
		a.sa_handler(sig);
	errno = saved;
}

int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	struct lx_sigaction lx;
	int lxsig;
	long r;

	if (bad_sig(sig))
		return -1;
	if (!(lxsig = to_lx[sig])) { /* SIGEMT, SIGLOST: never raised here */
		if (old)
			*old = app[sig];
		if (act)
			app[sig] = *act;
		return 0;
	}
	if (act) {
		int custom = act->sa_handler != SIG_DFL && act->sa_handler != SIG_IGN;
		lx = (struct lx_sigaction){
			.handler = custom ? (void *)glue_handler : (void *)act->sa_handler,
			.flags = (act->sa_flags & (SA_ONSTACK | SA_RESTART | SA_NODEFER |
			                           SA_RESETHAND | SA_NOCLDSTOP | SA_NOCLDWAIT)) |
			         LX_SA_SIGINFO,
			.mask = set_to_lx(&act->sa_mask),
		};
	}
	r = UK_CALL(rt_sigaction, lxsig, act ? &lx : NULL, NULL, 8, 0, 0);
	if (r < 0)
		return (int)uk_ret(r);
	if (old)
		*old = app[sig];
	if (act)
		app[sig] = *act;
	return (int)uk_ret(0);
}

/* BSD semantics, as glibc's signal(): the handler stays, calls restart. */
_sig_func_ptr signal(int sig, _sig_func_ptr fn)
{
	struct sigaction a = { .sa_handler = fn, .sa_flags = SA_RESTART }, old;

	if (fn == SIG_ERR) {
		errno = EINVAL;
		return SIG_ERR;
	}
	sigemptyset(&a.sa_mask);
	return sigaction(sig, &a, &old) ? SIG_ERR : old.sa_handler;
}

_sig_func_ptr _signal_r(struct _reent *r, int sig, _sig_func_ptr fn)
{
	(void)r;
	return signal(sig, fn);
}

int siginterrupt(int sig, int flag)
{
	struct sigaction a;

	if (sigaction(sig, NULL, &a))
		return -1;
	a.sa_flags = flag ? a.sa_flags & ~SA_RESTART : a.sa_flags | SA_RESTART;
	return sigaction(sig, &a, NULL);
}

/* newlib's signal.o defines these too; defining all of them keeps it out. */
int _init_signal_r(struct _reent *r)
{
	(void)r;
	return 0;
}
int _init_signal(void) { return 0; }
int __sigtramp_r(struct _reent *r, int sig)
{
	(void)r, (void)sig;
	return 1;
}
int __sigtramp(int sig)
{
	(void)sig;
	return 1;
}

/* ---- sending ---- */

int kill(pid_t pid, int sig)
{
	int lx = 0;

	if (sig && (bad_sig(sig) || !(lx = to_lx[sig]))) {
		errno = EINVAL;
		return -1;
	}
	return (int)uk_ret(UK_CALL(kill, pid, lx, 0, 0, 0, 0));
}

/* The program's process group is 1 (its own), which kill() calls 0. */
int killpg(pid_t pg, int sig)
{
	if (pg < 0) {
		errno = EINVAL;
		return -1;
	}
	return kill(pg == 1 || pg == 0 ? 0 : -pg, sig);
}

/* To the calling thread, as POSIX says for a threaded program; the handler
 * has run when it returns (the glue's system-call exit delivers it). */
int raise(int sig)
{
	int lx;

	if (bad_sig(sig) || !(lx = to_lx[sig])) {
		errno = EINVAL;
		return -1;
	}
	return (int)uk_ret(UK_CALL(tgkill, getpid(), uk_current->tid, lx, 0, 0, 0));
}

int _raise_r(struct _reent *r, int sig)
{
	(void)r;
	return raise(sig);
}

int pthread_kill(pthread_t t, int sig)
{
	struct pthread *p = (struct pthread *)t;
	int lx = 0, tid = p->tid, saved = errno, e = 0;

	if (sig && (sig < 0 || sig >= NSIG || !(lx = to_lx[sig])))
		return EINVAL;
	if (!tid)
		return ESRCH;
	if (uk_ret(UK_CALL(tgkill, getpid(), tid, lx, 0, 0, 0)) < 0)
		e = errno;
	errno = saved;
	return e;
}

int sigqueue(pid_t pid, int sig, const union sigval v)
{
	(void)pid, (void)sig, (void)v;
	errno = ENOSYS; /* real-time signal queues are not implemented */
	return -1;
}

/* SIGABRT, and if a handler returned: SIGABRT again, uncatchable now. */
void abort(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t s = 1ul << SIGABRT;

	raise(SIGABRT);
	sigaction(SIGABRT, &dfl, NULL);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
	raise(SIGABRT);
	_exit(128 + 6);
}

/* newlib's words, without its stdio. */
void __assert_func(const char *file, int line, const char *func, const char *expr)
{
	char msg[512];
	int n = uk_snprintf(msg, sizeof(msg), "assertion \"%s\" failed: file \"%s\", line %d%s%s\n",
	                    expr, file, line, func ? ", function: " : "", func ? func : "");

	write(2, msg, n < (int)sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
	abort();
}

void __assert(const char *file, int line, const char *expr)
{
	__assert_func(file, line, NULL, expr);
}

/* ---- masks ---- */

static long mask_call(int how, const sigset_t *set, sigset_t *old)
{
	static const int hows[] = { [SIG_SETMASK] = LX_SIG_SETMASK,
		                    [SIG_BLOCK] = LX_SIG_BLOCK,
		                    [SIG_UNBLOCK] = LX_SIG_UNBLOCK };
	uint64_t lxset, lxold;
	long r;

	if (set && (how < 0 || how > SIG_UNBLOCK))
		return -LX_EINVAL;
	if (set)
		lxset = set_to_lx(set);
	r = UK_CALL(rt_sigprocmask, set ? hows[how] : 0, set ? &lxset : NULL, &lxold, 8, 0, 0);
	if (r == 0 && old)
		*old = set_from_lx(lxold);
	return r;
}

int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	return (int)uk_ret(mask_call(how, set, old));
}

int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	int saved = errno, e = 0;

	if (uk_ret(mask_call(how, set, old)) < 0)
		e = errno;
	errno = saved;
	return e;
}

int sigpending(sigset_t *s)
{
	uint64_t m;
	long r = UK_CALL(rt_sigpending, &m, 8, 0, 0, 0, 0);

	if (r == 0)
		*s = set_from_lx(m);
	return (int)uk_ret(r);
}

int sigsuspend(const sigset_t *s)
{
	uint64_t m = set_to_lx(s);

	return (int)uk_ret(UK_CALL(rt_sigsuspend, &m, 8, 0, 0, 0, 0));
}

int pause(void) { return (int)uk_ret(UK_CALL(pause, 0, 0, 0, 0, 0, 0)); }

/* XSI: wait for a signal with sig unblocked. */
int sigpause(int sig)
{
	sigset_t s;

	if (bad_sig(sig) || sigprocmask(SIG_BLOCK, NULL, &s))
		return -1;
	sigdelset(&s, sig);
	return sigsuspend(&s);
}

int __xpg_sigpause(int sig) { return sigpause(sig); }

int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *ts)
{
	uint64_t m = set_to_lx(set);
	siginfo_t lxinfo;
	long r = UK_CALL(rt_sigtimedwait, &m, &lxinfo, ts, 8, 0, 0);

	if (r < 0)
		return (int)uk_ret(r);
	r = uk_sig_from_linux((int)r);
	if (info) {
		*info = lxinfo;
		info->si_signo = (int)r;
	}
	return (int)r;
}

int sigwaitinfo(const sigset_t *set, siginfo_t *info) { return sigtimedwait(set, info, NULL); }

int sigwait(const sigset_t *set, int *sig)
{
	int saved = errno, r;

	do
		r = sigtimedwait(set, NULL, NULL);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		r = errno;
		errno = saved;
		return r;
	}
	*sig = r;
	return 0;
}

int sigaltstack(const stack_t *__restrict ss, stack_t *__restrict old)
{
	return (int)uk_ret(UK_CALL(sigaltstack, ss, old, 0, 0, 0, 0));
}
