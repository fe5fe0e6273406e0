/*
 * `ukrun exec`'s requests (uk/host_exec.h): one port write per operation,
 * and ukrun's interrupt on the pin the runtime tree names.
 */
#include <uk/abi.h>
#include <uk/arch.h>
#include <uk/cpu.h>
#include <uk/host_exec.h>
#include <uk/ioapic.h>
#include <uk/plat.h>
#include <uk/print.h>

_Static_assert(sizeof(struct uk_hc_exec) == 32, "struct uk_hc_exec: 32 bytes, aligned so");

static void (*event_hook)(void);
static volatile uint64_t events;

int uk_host_exec_offered(void) { return uk_plat.exec_gsi >= 0; }

uint64_t uk_host_exec_events(void) { return events; }

static void host_exec_irq(unsigned vector, void *arg)
{
	(void)vector, (void)arg;
	uk_lapic_eoi();
	events++;
	if (event_hook)
		event_hook();
}

void uk_host_exec_init(void (*on_event)(void))
{
	if (uk_plat.exec_gsi < 0)
		return;
	event_hook = on_event;
	uk_irq_register(UK_VEC_HOST_EXEC, host_exec_irq, 0);
	if (uk_ioapic_route((unsigned)uk_plat.exec_gsi, UK_VEC_HOST_EXEC, UK_IRQ_EDGE)) {
		uk_pr("no IOAPIC pin %d for ukrun's exec: `ukrun exec` cannot start processes",
		      uk_plat.exec_gsi);
		uk_plat.exec_gsi = -1;
		return;
	}
	events++;
	on_event();
}

long uk_host_exec(unsigned op, uint32_t session, void *buf, size_t len, int arg)
{
	return uk_host_exec_what(op, session, buf, len, arg, 0);
}

long uk_host_exec_what(unsigned op, uint32_t session, void *buf, size_t len, int arg, unsigned what)
{
	/* aligned to its size: on a stack outside the linear maps it must not
	 * cross a page (ukrun reads it at one physical address) */
	struct uk_hc_exec h
	    __attribute__((aligned(32))) = { op, session, buf ? uk_v2p(buf) : 0, (uint32_t)len, arg,
		                             0,  what };

	uk_outl(UK_HC_EXEC, (uint32_t)uk_v2p(&h));
	return h.ret;
}
