/*
 * Device interrupts: IOAPIC routing and the local APIC's end of interrupt,
 * for drivers (libos/virtio/ioapic.c).
 *
 * ukrun raises device pins edge-triggered through KVM irqfds; QEMU's
 * microvm raises its virtio-mmio lines level-triggered (active high), which
 * the driver must acknowledge at the device before the EOI or the line
 * fires again. GSIs 0-23 are the first IOAPIC's pins (0xfec00000), 24-47
 * microvm's second IOAPIC (0xfec10000) when it has one.
 */
#ifndef UK_IOAPIC_H
#define UK_IOAPIC_H

#include <stdint.h>

#define UK_IRQ_EDGE 0
#define UK_IRQ_LEVEL 1 /* active high */

/* Deliver gsi as vector to this CPU, unmasked. Returns 0, or -EINVAL when no
 * IOAPIC has that pin. */
int uk_ioapic_route(unsigned gsi, unsigned vector, int trigger);

/* Mask (1) or unmask (0) a routed pin. */
void uk_ioapic_mask(unsigned gsi, int masked);

/* End of interrupt at the local APIC (x2APIC MSR or xAPIC MMIO): device
 * handlers call it last. */
void uk_lapic_eoi(void);

#endif
