/*
 * The vCPU run loop: KVM_RUN until the guest ends, and every way it can end.
 * The guest's own exits (hypercall.c) carry its status; everything else is
 * reported here with what KVM knows (registers, the function at RIP) and a
 * non-zero status, never a hang:
 *  - a triple fault (KVM_EXIT_SHUTDOWN): a fault with no IDT to take it,
 *    before the library OS loaded one or after it broke;
 *  - a vCPU halted with interrupts off, seen on two watchdog ticks in a
 *    row with nothing in between: nothing can wake it (the library OS only
 *    halts with interrupts on, and its last-resort halt loop after a failed
 *    exit has them off on purpose);
 *  - any other exit reason KVM gives;
 *  - a helper process (a 9P gofer) that ended (SIGCHLD, helper.c);
 *  - SIGINT, SIGTERM and the like, unless the guest takes them
 *    (signal_fwd.c: then they are passed to it before its next entry).
 * The watchdog tick is SIGALRM every WATCH_MS, which pulls the vCPU out of
 * KVM_RUN (one exit per tick, nothing next to the ~27 us of one console
 * write on the paravirtual host); it also ends the VM at --timeout.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>

#include "virtio.h"
#include "vmm.h"

#define WATCH_MS 250
#define RFLAGS_IF (1u << 9)

/* child: a helper process may have ended (SIGCHLD); 1 at first, for one
 * that ended before the handler was there. */
static volatile sig_atomic_t stop_signal, tick, child = 1;
static struct kvm_run *signal_run;
static double deadline; /* vmm_now() at --timeout, 0 for none */

static void on_signal(int sig)
{
	if (sig == SIGALRM)
		tick = 1;
	else if (sig == SIGCHLD)
		child = 1;
	else if (!vmm_sigfwd_catch(sig))
		vmm_sigfwd_stop(stop_signal = sig);
	if (signal_run)
		signal_run->immediate_exit = 1;
}

/* The tick is blocked in this thread but for KVM_RUN (KVM_SET_SIGNAL_MASK)
 * and a console read, so it never interrupts anything else ukrun does
 * (a message half written, a device set-up). KVM_RUN returns EINTR with
 * the tick still pending (the mask is back when it returns): the run loop
 * unblocks it for a moment to take it. */
static int block_tick(struct vmm *vm)
{
	struct {
		struct kvm_signal_mask h;
		uint8_t set[8]; /* the kernel's sigset_t, not glibc's 128 bytes */
	} m = { .h.len = 8 };
	sigset_t tick_set, during_run;

	sigemptyset(&tick_set);
	sigaddset(&tick_set, SIGALRM);
	vmm_sample_sigs(&tick_set);
	if (pthread_sigmask(SIG_BLOCK, &tick_set, &during_run))
		return -1;
	sigdelset(&during_run, SIGALRM);
	sigdelset(&during_run, SIGPROF);
	memcpy(m.set, &during_run, sizeof(m.set));
	return ioctl(vm->vcpu, KVM_SET_SIGNAL_MASK, &m);
}

void vmm_tick_unblock(int on)
{
	sigset_t tick_set;

	sigemptyset(&tick_set);
	sigaddset(&tick_set, SIGALRM);
	vmm_sample_sigs(&tick_set);
	pthread_sigmask(on ? SIG_UNBLOCK : SIG_BLOCK, &tick_set, NULL);
}

int vmm_catch_signals(struct vmm *vm)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct itimerval it = { .it_interval = { 0, WATCH_MS * 1000 },
		                .it_value = { 0, WATCH_MS * 1000 } };
	struct sigaction chld = { .sa_handler = on_signal, .sa_flags = SA_RESTART | SA_NOCLDSTOP };

	signal_run = vm->run;
	sigaction(SIGALRM, &sa, NULL);
	for (int s = 1; s < NSIG; s++)
		if (vmm_sigfwd_want(s))
			sigaction(s, &sa, NULL);
	sigaction(SIGCHLD, &chld, NULL);
	if (vm->opts->timeout > 0)
		deadline = vmm_now() + vm->opts->timeout;
	if (vmm_sample_start(vm)) {
		vmm_err("--sample: its timer: %s", strerror(errno));
		return -1;
	}
	if (block_tick(vm) || setitimer(ITIMER_REAL, &it, NULL)) {
		vmm_err("the run loop's watchdog tick: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int timed_out(void) { return deadline && vmm_now() >= deadline; }

int vmm_interrupted(void) { return stop_signal || child || timed_out() || vmm_sigfwd_waiting(); }

static int stopped(struct vmm *vm)
{
	int sig = stop_signal;

	if (!sig) {
		vmm_err("stopped the VM after --timeout %g s", vm->opts->timeout);
		return VMM_EXIT_TIMEOUT;
	}
	vmm_verbose(vm, "stopped by signal %d", sig);
	return 128 + sig;
}

/* Whether the guest can take an interrupt: the VIF page's flag on the
 * paravirtual host (whose RFLAGS.IF reads 1 whatever the guest set), the
 * real flag on standard KVM. */
static int irq_enabled(struct vmm *vm, const struct kvm_regs *r)
{
	const struct uk_pvm_vif *vif;

	if (!vm->pvm)
		return (r->rflags & RFLAGS_IF) != 0;
	vif = VMM_GPA(vm, UK_GPA_VIF, sizeof(*vif));
	return !vif || vif->if_;
}

/* A tick: 1 when the vCPU has been halted with interrupts off since the
 * last one (same RIP, no exit in between), 0 otherwise. */
static int halted_for_good(struct vmm *vm)
{
	static uint64_t last_rip, last_exits;
	static int seen;
	struct kvm_mp_state mp;
	struct kvm_regs r;

	if (ioctl(vm->vcpu, KVM_GET_MP_STATE, &mp) || mp.mp_state != KVM_MP_STATE_HALTED ||
	    ioctl(vm->vcpu, KVM_GET_REGS, &r) || irq_enabled(vm, &r)) {
		seen = 0;
		return 0;
	}
	if (seen && r.rip == last_rip && vm->exits == last_exits)
		return 1;
	seen = 1;
	last_rip = r.rip;
	last_exits = vm->exits;
	return 0;
}

static int on_tick(struct vmm *vm)
{
	tick = 0;
	if (!halted_for_good(vm))
		return 0;
	vmm_err("the guest halted with interrupts off: nothing can wake it (it hung, or its "
	        "exit did not reach ukrun)");
	vmm_crash_regs(vm, "halted in");
	vm->status = 128 + SIGABRT;
	return 1;
}

static const char *exit_name(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_UNKNOWN: return "unknown";
	case KVM_EXIT_EXCEPTION: return "exception";
	case KVM_EXIT_DEBUG: return "debug";
	case KVM_EXIT_IRQ_WINDOW_OPEN: return "irq window open";
	case KVM_EXIT_NMI: return "NMI";
	case KVM_EXIT_SYSTEM_EVENT: return "system event";
	}
	return "not one ukrun knows";
}

static int handle_exit(struct vmm *vm)
{
	struct kvm_run *run = vm->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO: {
		uint8_t *data = (uint8_t *)run + run->io.data_offset;
		vm->io_exits++;
		for (uint32_t i = 0; i < run->io.count; i++) {
			int r = vmm_io(vm, run->io.port, run->io.direction == KVM_EXIT_IO_OUT,
			               data + i * run->io.size, run->io.size);
			if (r)
				return r;
		}
		return 0;
	}
	case KVM_EXIT_MMIO:
		vm->mmio_exits++;
		if (!vmm_virtio_mmio(vm, run->mmio.phys_addr, run->mmio.data, run->mmio.len,
		                     run->mmio.is_write))
			return 0;
		if (!run->mmio.is_write)
			memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
		return 0;
	case KVM_EXIT_SHUTDOWN:
		vmm_err("the guest triple-faulted (a fault with no working IDT to take it: before "
		        "the library OS loaded one, or after it broke)");
		vmm_crash_regs(vm, "crashed in");
		vm->status = 128 + SIGSEGV;
		return 1;
	case KVM_EXIT_FAIL_ENTRY:
		vmm_err("KVM could not enter the guest (hardware reason %#llx)",
		        (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		vmm_crash_regs(vm, "at");
		return -1;
	case KVM_EXIT_INTERNAL_ERROR:
		vmm_err("KVM internal error (suberror %u)", run->internal.suberror);
		vmm_crash_regs(vm, "at");
		return -1;
	case KVM_EXIT_HLT:
		vmm_err("the guest halted with interrupts off");
		vmm_crash_regs(vm, "at");
		return -1;
	default:
		vmm_err("unexpected KVM exit reason %u (%s)", run->exit_reason,
		        exit_name(run->exit_reason));
		vmm_crash_regs(vm, "at");
		return -1;
	}
}

/* Before each KVM_RUN: the status the run ends with now, or -1. */
static int should_stop(struct vmm *vm)
{
	int r;

	if (stop_signal || timed_out())
		return stopped(vm);
	if ((r = vmm_sigfwd_expired(vm)))
		return r;
	if (vmm_sigfwd_pass(vm))
		return VMM_EXIT_ERROR;
	if (tick && on_tick(vm))
		return vm->status;
	if (child) {
		child = 0;
		if (vmm_helpers_reap(vm))
			return VMM_EXIT_ERROR;
	}
	return -1;
}

int vmm_run(struct vmm *vm)
{
	vm->status = -1;
	vm->t.first_run = vmm_now();
	for (;;) {
		int r;
		if ((r = should_stop(vm)) >= 0)
			return r;
		if (ioctl(vm->vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				vm->run->immediate_exit = 0;
				vmm_tick_unblock(1); /* the pending tick runs on_signal */
				vmm_tick_unblock(0);
				vmm_sample_take(vm);
				continue;
			}
			vmm_err("KVM_RUN: %s", strerror(errno));
			return VMM_EXIT_ERROR;
		}
		vm->exits++;
		r = handle_exit(vm);
		if (r > 0)
			return vm->status;
		if (r < 0)
			return VMM_EXIT_ERROR;
	}
}
