/* IOAPIC routing and local-APIC EOI for device interrupts (uk/ioapic.h). */
#include <uk/arch.h>
#include <uk/cpu.h>
#include <uk/ioapic.h>
#include <uk/linux.h>

#define IOAPIC0_PA 0xfec00000ul
#define IOAPIC1_PA 0xfec10000ul /* QEMU microvm's second IOAPIC (GSI 24-47) */
#define IOREGSEL 0x00
#define IOWIN 0x10
#define IOAPIC_VER 0x01
#define IOAPIC_REDTBL 0x10

#define RTE_LEVEL (1u << 15)
#define RTE_MASKED (1u << 16)

#define LAPIC_PA 0xfee00000ul
#define LAPIC_EOI 0xb0
#define MSR_X2APIC_EOI 0x80b

static uint32_t ioapic_read(uint64_t pa, uint32_t reg)
{
	*(volatile uint32_t *)uk_p2v(pa + IOREGSEL) = reg;
	return *(volatile uint32_t *)uk_p2v(pa + IOWIN);
}

static void ioapic_write(uint64_t pa, uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)uk_p2v(pa + IOREGSEL) = reg;
	*(volatile uint32_t *)uk_p2v(pa + IOWIN) = v;
}

/* Each register access is an exit to the host (two per read or write):
 * the pin counts are read once, and pins this code has routed are known
 * (a pin not yet routed is masked, as every pin is at reset). */
static unsigned npins_of[2];
static uint64_t routed; /* bit gsi */

/* The IOAPIC serving gsi and the pin on it; 0 when there is none. */
static uint64_t ioapic_of(unsigned gsi, unsigned *pin)
{
	uint64_t pa = gsi < 24 ? IOAPIC0_PA : IOAPIC1_PA;
	unsigned *npins = &npins_of[gsi >= 24];

	*pin = gsi < 24 ? gsi : gsi - 24;
	if (gsi >= 48)
		return 0;
	if (!*npins)
		*npins = ((ioapic_read(pa, IOAPIC_VER) >> 16) & 0xff) + 1;
	return *pin < *npins && *npins <= 240 ? pa : 0; /* all-ones: no IOAPIC */
}

int uk_ioapic_route(unsigned gsi, unsigned vector, int trigger)
{
	unsigned pin;
	uint64_t pa = ioapic_of(gsi, &pin);
	uint32_t lo = (vector & 0xff) | (trigger == UK_IRQ_LEVEL ? RTE_LEVEL : 0);

	if (!pa)
		return -EINVAL;
	/* Masked while the destination changes (masked already the first
	 * time), then the final entry; to the boot CPU. */
	if (routed & 1ull << gsi)
		ioapic_write(pa, IOAPIC_REDTBL + 2 * pin, lo | RTE_MASKED);
	routed |= 1ull << gsi;
	ioapic_write(pa, IOAPIC_REDTBL + 2 * pin + 1, uk_cpuid1[1] >> 24 << 24);
	ioapic_write(pa, IOAPIC_REDTBL + 2 * pin, lo);
	return 0;
}

void uk_ioapic_mask(unsigned gsi, int masked)
{
	unsigned pin;
	uint64_t pa = ioapic_of(gsi, &pin);
	uint32_t lo;

	if (!pa)
		return;
	lo = ioapic_read(pa, IOAPIC_REDTBL + 2 * pin);
	ioapic_write(pa, IOAPIC_REDTBL + 2 * pin, masked ? lo | RTE_MASKED : lo & ~RTE_MASKED);
}

void uk_lapic_eoi(void)
{
	static int x2apic = -1;

	if (x2apic < 0) /* the time code switched the LAPIC's mode at boot */
		x2apic = (uk_rdmsr(MSR_APIC_BASE) >> 10) & 1;
	if (x2apic)
		uk_wrmsr(MSR_X2APIC_EOI, 0);
	else
		*(volatile uint32_t *)uk_p2v(LAPIC_PA + LAPIC_EOI) = 0;
}
