/*
 * CPU state of the library OS: the interrupt flag, idling, traps.
 *
 * The interrupt flag goes through uk_irq_disable()/uk_irq_enable() only:
 * real cli/sti on standard KVM and QEMU, the shared VIF page on the
 * paravirtual host (pvm.md: real cli/sti do not work there).
 */
#ifndef UK_CPU_H
#define UK_CPU_H

#include <stddef.h>
#include <stdint.h>
#include <uk/abi.h>
#include <uk/arch.h>

extern struct uk_pvm_vif *uk_vif; /* non-NULL on the paravirtual host */

static inline void uk_irq_disable(void)
{
	if (uk_vif) {
		uk_vif->if_ = 0;
		uk_barrier();
	} else {
		__asm__ volatile("cli" ::: "memory");
	}
}

static inline void uk_irq_enable(void)
{
	if (uk_vif) {
		uk_barrier();
		uk_vif->if_ = 1;
		uk_barrier();
		if (uk_vif->pending) /* doorbell, handled in the host kernel */
			uk_outb(UK_PVM_DOORBELL_PORT, 0);
	} else {
		__asm__ volatile("sti" ::: "memory");
	}
}

static inline int uk_irq_enabled(void)
{
	uint64_t fl;
	if (uk_vif)
		return uk_vif->if_;
	__asm__ volatile("pushfq; popq %0" : "=r"(fl));
	return (fl >> 9) & 1;
}

/* Disable and return the previous state, for uk_irq_restore(). */
static inline int uk_irq_save(void)
{
	int on = uk_irq_enabled();
	uk_irq_disable();
	return on;
}

static inline void uk_irq_restore(int on)
{
	if (on)
		uk_irq_enable();
}

/* Wait for an interrupt. Called and returns with interrupts disabled; the
 * interrupt has been handled when it returns. */
void uk_cpu_idle(void);

/* Tables, control registers, FPU state; called once at boot. */
void uk_cpu_init(void);

/* Masks the legacy 8259 PICs (two port writes, an exit each on KVM: done
 * only where the loader did not, UK_PF_PIC_MASKED); before interrupts are
 * first enabled. */
void uk_cpu_mask_pic(void);

/* Interrupt vectors the library OS uses. */
#define UK_VEC_TIMER 0x20
#define UK_VEC_DEV0 0x30                    /* devices: 0x30 + n */
#define UK_VEC_HOST_SIGNAL UK_SIGNAL_VECTOR /* ukrun's signals for process 1 (host_signal.c) */
#define UK_VEC_HOST_EXEC 0x49               /* `ukrun exec`'s requests (virtio/host_exec.c) */
#define UK_VEC_SPURIOUS 0xff

typedef void (*uk_irq_handler)(unsigned vector, void *arg);
void uk_irq_register(unsigned vector, uk_irq_handler fn, void *arg);

/* Size and feature mask of the xsave area (set by uk_cpu_init). */
extern uint32_t uk_xsave_size;
extern uint64_t uk_xsave_mask; /* 0: no xsave, use fxsave */
extern int uk_xsaveopt;
/* CR4 as uk_cpu_init left it: known, so never read back (a read is an
 * emulated instruction on the paravirtual host). */
extern uint64_t uk_cr4;
/* cpuid leaf 1 as uk_cpu_init read it (features, the boot CPU's APIC ID):
 * each cpuid is an exit on KVM, so the boot's later readers take it here.
 * Read before CR4.OSXSAVE was set: ECX's OSXSAVE bit is not current. */
extern uint32_t uk_cpuid1[4];

/* Called from the trap stubs (entry.S). */
void uk_trap(struct uk_regs *r);

/* Read CR2 (an exit to the host on the paravirtual one: read it once). */
uint64_t uk_read_cr2(void);

/* len random bytes from the CPU (RDRAND) into buf: how many (fewer only
 * when the CPU ran dry after some), -EAGAIN when it gave none, -ENOSYS
 * when it has no RDRAND. */
long uk_random_fill(void *buf, size_t len);

#endif
