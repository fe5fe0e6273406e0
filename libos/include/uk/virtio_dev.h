/*
 * The guest's virtio-mmio transport (libos/virtio/virtio_mmio.c): finds the
 * devices, negotiates features, sets up queues and interrupts. Device
 * drivers (net, 9P, blk) pull the devices they serve:
 *
 *   struct uk_virtio_dev *d = uk_virtio_claim(UK_VIRTIO_ID_NET);
 *   uk_virtio_features(d, MY_FEATURES);         reset .. FEATURES_OK
 *   q = uk_virtq_create(d, 0, 256);              allocate, program, enable
 *   uk_virtio_irq(d, my_handler, me);           IOAPIC pin -> vector
 *   ... fill queues ...
 *   uk_virtio_ready(d);                          DRIVER_OK
 *
 * Discovery (uk_virtio_probe, done once on the first claim): the nodes of
 * ukrun's runtime tree (compatible "virtio,mmio"; uk,mount and uk,ro are
 * kept for filesystem drivers), else QEMU's kernel command-line entries
 * "virtio_mmio.device=<size>@<addr>:<irq>", else (microvm with ACPI, its
 * default) the windows its DSDT describes. Only modern (version 2) devices
 * are used; a legacy one is reported and skipped (QEMU's virtio-mmio is
 * legacy unless given -global virtio-mmio.force-legacy=false).
 *
 * Interrupts: edge-triggered under ukrun (irqfd; INTERRUPT_STATUS is not
 * read, which would cost an exit), level-triggered under QEMU, where the
 * transport acknowledges INTERRUPT_STATUS before calling the driver. The
 * driver's handler runs in interrupt context: it may only wake threads
 * (uk_wq_wake) or set flags; the transport sends the EOI. Interrupts
 * coalesce on our hosts, so the woken code drains whole rings.
 *
 * Queues are laid out in physically contiguous zeroed pages; every buffer
 * address given to vq_drv_add is guest-physical (uk_v2p).
 */
#ifndef UK_VIRTIO_DEV_H
#define UK_VIRTIO_DEV_H

#include <stdint.h>
#include <uk/virtio.h>
#include <uk/virtq.h>

#define UK_VIRTIO_DEV_MAX 16

struct uk_virtio_dev;
typedef void (*uk_virtio_isr)(struct uk_virtio_dev *d, void *arg);

struct uk_virtio_dev {
	uint64_t base;          /* GPA of the register window */
	volatile uint8_t *regs; /* its mapping */
	unsigned gsi;           /* interrupt line */
	unsigned vector;        /* CPU vector it is routed to */
	int level;              /* level-triggered (QEMU): ack at the device */
	uint32_t device_id;     /* UK_VIRTIO_ID_* */
	uint64_t features;      /* negotiated (after uk_virtio_features) */
	const char *mount;      /* runtime tree uk,mount, or NULL */
	int ro;                 /* runtime tree uk,ro */
	int node;               /* its runtime-tree node (uk_plat.fdt), or -1 */
	uint16_t notify_port;   /* runtime tree UK_DT_NOTIFY_PORT, 0: MMIO kicks */
	int claimed;
	uk_virtio_isr isr;
	void *isr_arg;
	uint64_t irqs; /* interrupts taken */
};

struct uk_virtq {
	struct vq_drv vq;
	struct uk_virtio_dev *dev;
	unsigned index;
	void *ring; /* the pages of the three areas */
	unsigned ring_pages;
	void **token;
};

/* Find the devices (idempotent). Returns how many there are. */
int uk_virtio_probe(void);

/* The next unclaimed device of that type, now claimed, or NULL. */
struct uk_virtio_dev *uk_virtio_claim(uint32_t device_id);

/* Reset the device and read the features it offers (for a driver whose
 * wishes depend on each other; uk_virtio_features resets it again). */
uint64_t uk_virtio_offered(struct uk_virtio_dev *d);

/* The first device of that type, claimed or not: for test programs that
 * take a device over from its driver (tests/guest/hostile9p: the 9P
 * client mounts every share at boot). NULL when there is none. */
struct uk_virtio_dev *uk_virtio_find(uint32_t device_id);

/* Reset the device and negotiate: it gets wanted & offered, plus
 * VERSION_1 and EVENT_IDX when offered. 0, or -EIO when the device refuses
 * (status FAILED is set). d->features holds the result. */
int uk_virtio_features(struct uk_virtio_dev *d, uint64_t wanted);

/* Set up queue index with up to num_max entries (fewer if the device
 * offers fewer). NULL when the device has no such queue or memory is short. */
struct uk_virtq *uk_virtq_create(struct uk_virtio_dev *d, unsigned index, unsigned num_max);

/* Route the device's interrupt to fn(d, arg). 0 or -errno. */
int uk_virtio_irq(struct uk_virtio_dev *d, uk_virtio_isr fn, void *arg);

/* DRIVER_OK: the device is live. */
void uk_virtio_ready(struct uk_virtio_dev *d);

/* Publish what was added to q and kick the device if it asked for kicks
 * (event index): one port write under ukrun (its notify port, an
 * ioeventfd), else one MMIO write. */
void uk_virtq_kick(struct uk_virtq *q);
/* The notification alone, for a driver that asked vq_drv_kick_needed
 * itself earlier (and deferred what it said). */
void uk_virtq_notify(struct uk_virtq *q);

/* Read len bytes of the device configuration space at off, consistently
 * (config generation checked). */
void uk_virtio_config(struct uk_virtio_dev *d, uint32_t off, void *buf, uint32_t len);

/* Whether the device gave up (DEVICE_NEEDS_RESET). Costs an exit. */
int uk_virtio_broken(struct uk_virtio_dev *d);

#endif
