/*
 * virtio 1.x constants shared by the guest drivers (libos/virtio/) and the
 * devices in ukrun (vmm/virtio*.c): device status, feature bits, device IDs
 * and the virtio-mmio register layout (virtio 1.x spec, section 4.2.2,
 * "modern" version 2 only; the legacy version 1 layout is not supported).
 *
 * Everything is little-endian as on the wire; both sides are x86-64, so the
 * fields are used directly. Names carry a UK_ prefix so this header can meet
 * the kernel's <linux/virtio_*.h> (vhost-net) in one file.
 */
#ifndef UK_VIRTIO_H
#define UK_VIRTIO_H

#include <stdint.h>

/* ---- device status (driver writes, device reads; 0 = reset) ---- */
#define UK_VIRTIO_S_ACKNOWLEDGE 1
#define UK_VIRTIO_S_DRIVER 2
#define UK_VIRTIO_S_DRIVER_OK 4
#define UK_VIRTIO_S_FEATURES_OK 8
#define UK_VIRTIO_S_NEEDS_RESET 64 /* set by the device: it gave up */
#define UK_VIRTIO_S_FAILED 128     /* set by the driver: it gave up */

/* ---- feature bits common to all devices ---- */
#define UK_VIRTIO_F_INDIRECT_DESC 28 /* not offered by ukrun's devices */
#define UK_VIRTIO_F_EVENT_IDX 29     /* used_event / avail_event suppression */
#define UK_VIRTIO_F_VERSION_1 32     /* required: modern devices only */
#define UK_VIRTIO_F_ACCESS_PLATFORM 33
#define UK_VIRTIO_F_RING_PACKED 34 /* not supported: split rings only */

#define UK_VIRTIO_BIT(b) (1ull << (b))

/* ---- device IDs ---- */
#define UK_VIRTIO_ID_NET 1
#define UK_VIRTIO_ID_BLK 2
#define UK_VIRTIO_ID_CONSOLE 3
#define UK_VIRTIO_ID_RNG 4
#define UK_VIRTIO_ID_9P 9

/* ---- virtio-mmio registers (offsets in the 4 KiB window) ----
 * Registers below UK_VIRTIO_MMIO_CONFIG are 32 bits wide and accessed with
 * aligned 32-bit loads and stores only; the device-specific configuration
 * space from UK_VIRTIO_MMIO_CONFIG on takes any naturally aligned width. */
#define UK_VIRTIO_MMIO_MAGIC 0x000               /* R: UK_VIRTIO_MMIO_MAGIC_VALUE */
#define UK_VIRTIO_MMIO_VERSION 0x004             /* R: 2 */
#define UK_VIRTIO_MMIO_DEVICE_ID 0x008           /* R: UK_VIRTIO_ID_*, 0 = none */
#define UK_VIRTIO_MMIO_VENDOR_ID 0x00c           /* R */
#define UK_VIRTIO_MMIO_DEVICE_FEATURES 0x010     /* R: 32 bits chosen by ..._SEL */
#define UK_VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014 /* W: 0 = bits 0-31, 1 = 32-63 */
#define UK_VIRTIO_MMIO_DRIVER_FEATURES 0x020     /* W */
#define UK_VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024 /* W */
#define UK_VIRTIO_MMIO_QUEUE_SEL 0x030           /* W: the queue the QUEUE_* refer to */
#define UK_VIRTIO_MMIO_QUEUE_NUM_MAX 0x034       /* R: 0 = no such queue */
#define UK_VIRTIO_MMIO_QUEUE_NUM 0x038           /* W: a power of two <= NUM_MAX */
#define UK_VIRTIO_MMIO_QUEUE_READY 0x044         /* RW */
#define UK_VIRTIO_MMIO_QUEUE_NOTIFY 0x050        /* W: queue index ("kick") */
#define UK_VIRTIO_MMIO_INTERRUPT_STATUS 0x060    /* R: UK_VIRTIO_INT_* */
#define UK_VIRTIO_MMIO_INTERRUPT_ACK 0x064       /* W: bits to clear */
#define UK_VIRTIO_MMIO_STATUS 0x070              /* RW: UK_VIRTIO_S_* */
#define UK_VIRTIO_MMIO_QUEUE_DESC_LOW 0x080      /* W: GPA of the descriptor table */
#define UK_VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084
#define UK_VIRTIO_MMIO_QUEUE_DRIVER_LOW 0x090 /* W: GPA of the avail ring */
#define UK_VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094
#define UK_VIRTIO_MMIO_QUEUE_DEVICE_LOW 0x0a0 /* W: GPA of the used ring */
#define UK_VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define UK_VIRTIO_MMIO_SHM_SEL 0x0ac
#define UK_VIRTIO_MMIO_SHM_LEN_LOW 0x0b0 /* R: ~0 = no such region */
#define UK_VIRTIO_MMIO_SHM_LEN_HIGH 0x0b4
#define UK_VIRTIO_MMIO_SHM_BASE_LOW 0x0b8
#define UK_VIRTIO_MMIO_SHM_BASE_HIGH 0x0bc
#define UK_VIRTIO_MMIO_CONFIG_GENERATION 0x0fc /* R */
#define UK_VIRTIO_MMIO_CONFIG 0x100

#define UK_VIRTIO_MMIO_MAGIC_VALUE 0x74726976u /* "virt" */
#define UK_VIRTIO_MMIO_VERSION_MODERN 2
#define UK_VIRTIO_VENDOR_UK 0x554b0000u /* "UK" */

/* INTERRUPT_STATUS bits. */
#define UK_VIRTIO_INT_VRING 1  /* a used ring has new entries */
#define UK_VIRTIO_INT_CONFIG 2 /* the configuration space changed */

#endif /* UK_VIRTIO_H */
