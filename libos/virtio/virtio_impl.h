/* Inside the guest's virtio transport (libos/virtio/). */
#ifndef UK_VIRTIO_IMPL_H
#define UK_VIRTIO_IMPL_H

#include <stdint.h>

/* QEMU microvm with ACPI: call add() for each virtio-mmio window the DSDT
 * describes (level: level-triggered). Returns how many. */
int uk_acpi_virtio_mmio(void (*add)(uint64_t base, unsigned gsi, int level));

#endif
