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
 * the first), as does --stop-timeout after the first, --timeout and
 * SIGKILL.
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
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm.h"

static volatile sig_atomic_t takes;  /* the guest said UK_SIGNALS_TAKE */
static volatile sig_atomic_t ending; /* a SIGINT/TERM/QUIT went to the guest */
static unsigned arrived;             /* by the handler, not yet the guest's */
static uint32_t for_guest;           /* raised, not yet read by the guest */
static double stop_deadline;         /* --stop-timeout's, 0: none */
static int stop_sig;

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
