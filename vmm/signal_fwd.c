/*
 * Signals for the guest (UK_HC_SIGNALS in uk/abi.h): what `docker run`'s
 * sig-proxy and a container runtime's `kill` do for a container, ukrun
 * does for its VM. SIGTERM from `podman stop`, a Ctrl-C, a SIGHUP to
 * reload reach the guest's process 1 as that signal, so a program with a
 * handler ends (or reloads) in its own way and one without ends by the
 * default action (143 for SIGTERM), as a Linux process does.
 *
 * Until the guest says it takes them (an older image, or boot not yet
 * done), such a signal ends the VM as before. Once it does, a second
 * SIGINT, SIGTERM or SIGQUIT ends the VM for sure (a guest that ignores
 * the first), as does --stop-timeout after the first (10 s unless told:
 * docker's and podman's stop timeout, so a guest that ignores SIGTERM or
 * spins ends with 143 and a line saying why rather than their SIGKILL's
 * 137; -1 waits), --timeout and SIGKILL.
 *
 * The run loop stops the VM only when it runs: one stuck in a host-side
 * wait (a console write to a pipe nobody reads) would not, and SIGTERM
 * would not end ukrun. A thread asleep in a futex until an ending signal
 * comes stops the VM a second after the loop should have (watch()): a
 * line saying so, status 128 + the signal. It is started after the jail,
 * so it holds what the jail left (no capability, the VM's namespaces: a
 * thread's own), and before the lock-down, whose filter it shares.
 *
 * SIGTSTP, SIGSTOP and SIGCONT are not passed on: they stop and continue
 * ukrun itself and the whole VM with it, as `docker pause` freezes a
 * container (a stop signal to process 1 would do nothing: a container's
 * init ignores one at its default action).
 *
 * The signal handler (kvm_run_x86_64.c, on the vCPU thread) only records
 * the signal here; the run loop, before it enters the guest again, makes
 * it the guest's and raises the pin with KVM_IRQ_LINE, which reaches the
 * IOAPIC before that entry (an irqfd's injection of an IOAPIC pin may come
 * later, from a kernel worker).
 */
#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "vmm.h"

static volatile sig_atomic_t takes;  /* the guest said UK_SIGNALS_TAKE */
static volatile sig_atomic_t ending; /* a SIGINT/TERM/QUIT went to the guest */
static unsigned arrived;             /* by the handler, not yet the guest's */
static uint32_t for_guest;           /* raised, not yet read by the guest */
static double stop_deadline;         /* --stop-timeout's, 0: none */
static int stop_sig;
static sem_t watch_sem;                 /* posted at each ending signal */
static volatile sig_atomic_t watch_sig; /* the first ending signal */
static volatile sig_atomic_t watch_now; /* one that stops the VM at once came */
static int watching, loop_ended;
/* The watch thread may still be in glibc's set-up of a new thread
 * (set_robust_list, rseq, its signal mask) when the lock-down's filter
 * comes: those calls are every ukrun's (seccomp.c). Waiting for it to run
 * instead cost a wake-up on every start (the jail's stage 0.3 -> 2.3 ms
 * median at load 6, paravirtual KVM). A thread's exit (exit, madvise of
 * its stack) stays device threads' only: it never returns. */

/* From the signal handler: sig ends the VM, now or after --stop-timeout. */
static void watch_post(int sig, int now)
{
	if (!watch_sig)
		watch_sig = sig;
	if (now)
		watch_now = 1;
	if (watching)
		sem_post(&watch_sem); /* (async-signal-safe) */
}

void vmm_sigfwd_stop(int sig) { watch_post(sig, 1); }

int vmm_sigfwd_want(int sig)
{
	switch (sig) {
	case SIGHUP:
	case SIGINT:
	case SIGQUIT:
	case SIGUSR1:
	case SIGUSR2:
	case SIGTERM: return 1;
	}
	return 0;
}

int vmm_sigfwd_catch(int sig)
{
	int ends = sig == SIGINT || sig == SIGTERM || sig == SIGQUIT;

	if (!takes || !vmm_sigfwd_want(sig) || (ends && ending))
		return 0;
	if (ends && !ending) {
		ending = 1;
		stop_sig = sig;
		watch_post(sig, 0);
	}
	__atomic_fetch_or(&arrived, 1u << sig, __ATOMIC_SEQ_CST);
	return 1;
}

int vmm_sigfwd_waiting(void) { return __atomic_load_n(&arrived, __ATOMIC_SEQ_CST) != 0; }

/* An edge on the pin: up and down again. */
static int raise_pin(struct vmm *vm)
{
	struct kvm_irq_level l = { .irq = VMM_SIGNAL_PIN, .level = 1 };

	if (ioctl(vm->vm, KVM_IRQ_LINE, &l))
		return -1;
	l.level = 0;
	return ioctl(vm->vm, KVM_IRQ_LINE, &l);
}

int vmm_sigfwd_pass(struct vmm *vm)
{
	uint32_t bits = __atomic_exchange_n(&arrived, 0, __ATOMIC_SEQ_CST);

	if (!bits)
		return 0;
	for_guest |= bits;
	for (int s = 1; s < 32; s++)
		if (bits & (1u << s))
			vmm_verbose(vm, "signal %d passed to the guest", s);
	if (ending && !stop_deadline && vm->opts->stop_timeout > 0)
		stop_deadline = vmm_now() + vm->opts->stop_timeout;
	if (raise_pin(vm)) {
		vmm_err("raising the guest's signal interrupt: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int vmm_sigfwd_expired(struct vmm *vm)
{
	if (!stop_deadline || vmm_now() < stop_deadline)
		return 0;
	vmm_err("stopped the VM: the guest still ran %g s (--stop-timeout) after signal %d",
	        vm->opts->stop_timeout, stop_sig);
	return 128 + stop_sig;
}

int vmm_sigfwd_io(struct vmm *vm, int out, uint8_t *data, int size)
{
	uint32_t v = 0;

	(void)vm;
	if (size != 4) {
		vmm_guest_err(": UK_HC_SIGNALS is a 4-byte port, accessed with %d bytes", size);
		return -1;
	}
	if (!out) {
		memcpy(data, &for_guest, 4);
		for_guest = 0;
		return 0;
	}
	memcpy(&v, data, 4);
	if (v != UK_SIGNALS_TAKE) {
		vmm_guest_err(": UK_HC_SIGNALS written with %u", v);
		return -1;
	}
	takes = 1;
	return 0;
}

/* The backstop: asleep until an ending signal, then until a second after
 * the run loop should have stopped the VM (at --stop-timeout, or at once
 * for a second signal); still running then, the loop is stuck outside
 * the guest, and this ends ukrun. Raw writes: the stuck loop may hold
 * stdio's locks. */
static void *watch(void *arg)
{
	struct vmm *vm = arg;
	double deadline = 0, grace = vm->opts->stop_timeout, t;
	struct timespec at;
	char msg[200];
	int n, r;

	for (;;) {
		if (watch_sig && (watch_now || grace > 0)) {
			t = vmm_now() + (watch_now ? 0 : grace) + 1;
			if (!deadline || t < deadline)
				deadline = t;
		}
		if (!deadline) {
			r = sem_wait(&watch_sem);
		} else {
			at.tv_sec = (time_t)deadline;
			at.tv_nsec = (long)((deadline - (double)at.tv_sec) * 1e9);
			r = sem_clockwait(&watch_sem, CLOCK_MONOTONIC, &at);
		}
		if (r && errno == ETIMEDOUT && __atomic_load_n(&loop_ended, __ATOMIC_SEQ_CST))
			for (;;) /* the loop stopped it: its teardown may take its time */
				sem_wait(&watch_sem); /* (never returns: see above) */
		if (r && errno == ETIMEDOUT)
			break;
	}
	n = snprintf(
	    msg, sizeof(msg),
	    "ukrun: stopped the VM: signal %d, and the run loop did not stop it (stuck in a "
	    "host-side wait: a console write to a pipe nobody reads?)\n",
	    (int)watch_sig);
	if (write(STDERR_FILENO, msg, (size_t)n) < 0)
		n = 0;
	_exit(128 + watch_sig);
	return NULL;
}

void vmm_sigfwd_loop_ended(void) { __atomic_store_n(&loop_ended, 1, __ATOMIC_SEQ_CST); }

int vmm_sigfwd_watch(struct vmm *vm)
{
	sigset_t all, old;
	pthread_attr_t a;
	pthread_t t;
	int err;

	if (sem_init(&watch_sem, 0, 0))
		return -1;
	/* every signal for the run loop's thread, none for this one */
	sigfillset(&all);
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 64 << 10); /* (a message's worth) */
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&t, &a, watch, vm);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&a);
	if (err) {
		errno = err;
		return -1;
	}
	pthread_detach(t);
	watching = 1;
	return 0;
}
