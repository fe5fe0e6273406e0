/*
 * Signals from ukrun for process 1 (uk/host_signal.h): an interrupt on the
 * pin the runtime tree names, and one port read for which signals came.
 */
#include <uk/abi.h>
#include <uk/arch.h>
#include <uk/cpu.h>
#include <uk/host_signal.h>
#include <uk/ioapic.h>
#include <uk/plat.h>
#include <uk/print.h>
#include <uk/proc.h>
#include <uk/signal.h>

int uk_host_signals_take(void)
{
	uint32_t bits;
	int n = 0;

	if (uk_plat.signal_gsi < 0)
		return 0;
	bits = uk_inl(UK_HC_SIGNALS);
	for (int sig = 1; sig < 32; sig++)
		if (bits & (1u << sig)) {
			uk_proc_signal(&uk_proc_init, sig, UK_SI_USER, 0);
			n++;
		}
	return n;
}

static void host_signal_irq(unsigned vector, void *arg)
{
	(void)vector, (void)arg;
	uk_lapic_eoi(); /* first: a default action may end the VM from here */
	uk_host_signals_take();
}

void uk_host_signals_init(void)
{
	if (uk_plat.signal_gsi < 0)
		return;
	uk_irq_register(UK_VEC_HOST_SIGNAL, host_signal_irq, 0);
	if (!(uk_plat.flags & UK_PF_SIGNAL_ROUTED) &&
	    uk_ioapic_route((unsigned)uk_plat.signal_gsi, UK_VEC_HOST_SIGNAL, UK_IRQ_EDGE)) {
		uk_pr("no IOAPIC pin %d for ukrun's signals: they end the VM instead",
		      uk_plat.signal_gsi);
		return;
	}
	uk_outl(UK_HC_SIGNALS, UK_SIGNALS_TAKE);
}
