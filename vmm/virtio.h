/*
 * ukrun's virtio devices: the virtio-mmio transport (virtio_mmio.c) and the
 * device table (devices.c).
 *
 * A device is one file with one skeleton (see virtio_net.c):
 *
 *   struct xxx { ... };                          private state
 *   static void xxx_queue(struct vmm_vdev *d, unsigned q) { ... }
 *   static const struct vmm_vdev_ops xxx_ops = { ... };
 *   int vmm_xxx_setup(struct vmm *vm)    reads vm->opts, calls vmm_vdev_add
 *   void vmm_xxx_teardown(struct vmm *vm)
 *
 * and one line in the table of devices.c. The transport owns the registers,
 * feature negotiation, queue set-up and the data-path plumbing:
 *
 *  - Kicks: each queue's QUEUE_NOTIFY write is a KVM ioeventfd (datamatch =
 *    queue index), and so is a write of its index to the device's notify
 *    port (abi.h: cheaper than MMIO), so a kick never exits to ukrun's
 *    vCPU thread.
 *  - Interrupts: one KVM irqfd per device on its IOAPIC pin (edge); the
 *    device signals with vmm_vdev_interrupt() from any thread.
 *  - A device thread per device (started at DRIVER_OK, stopped at reset and
 *    teardown) waits in poll(2) on the queues' kick eventfds plus whatever
 *    fds the device adds in its ->poll hook, and calls the device's ->queue
 *    and ->poll_done hooks. All queue processing of a device happens on its
 *    thread, so a device needs no locks of its own. A device may leave a
 *    queue's kicks off after a run (vmm_vdev_poll_later): the thread then
 *    polls that ring and its fds for a short adaptive window before it
 *    turns the kicks back on and sleeps, so a busy guest's kicks (an exit
 *    each) and the thread's wake-ups go away.
 *  - Register accesses (set-up only) exit to ukrun and are served on the
 *    vCPU thread, which never touches a running queue.
 *
 * Hostile guest: ring areas are mapped through VMM_GPA when the driver sets
 * QUEUE_READY (whole range, alignment, power-of-two size); every descriptor
 * through the same check (vq_dev_pop). A broken ring stops the device with
 * DEVICE_NEEDS_RESET and a message, never a crash.
 */
#ifndef VMM_VIRTIO_H
#define VMM_VIRTIO_H

#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <uk/virtio.h>
#include <uk/virtq.h>

#include "vmm.h"

#define VMM_VDEV_MAX 16        /* devices (MMIO windows, IOAPIC pins) */
#define VMM_VQ_MAX 8           /* queues per device */
#define VMM_VDEV_POLL_MAX 1024 /* fds a device may add to its thread's poll */
#define VMM_SEG_MAX 64         /* buffers per chain a device accepts */

struct vmm_vdev;

/* What a device thread polls: the transport's fds first, then the device's
 * (vmm_poll_add). */
struct vmm_pollset {
	struct pollfd fd[VMM_VQ_MAX + 1 + VMM_VDEV_POLL_MAX];
	unsigned n;
};

/* Add fd to the set; returns its index (for ->poll_done), -1 when full. */
int vmm_poll_add(struct vmm_pollset *ps, int fd, short events);

struct vmm_vdev_ops {
	const char *name;   /* "virtio-net": messages and the tree */
	uint32_t device_id; /* UK_VIRTIO_ID_* */
	unsigned nqueues;   /* <= VMM_VQ_MAX */
	uint16_t queue_max; /* largest queue size offered */
	/* Device feature bits; the transport adds VERSION_1 and EVENT_IDX. */
	uint64_t features;
	uint32_t config_size; /* bytes of device configuration space */
	/* Read (write = 0) or write len bytes at off of the configuration
	 * space; off + len <= config_size is checked. vCPU thread. */
	void (*config)(struct vmm_vdev *d, uint32_t off, void *buf, uint32_t len, int write);
	/* DRIVER_OK: features are final, the driver's queues are ready.
	 * Return 0, or -errno to fail the device. vCPU thread, device thread
	 * not yet running. Optional. */
	int (*start)(struct vmm_vdev *d);
	/* Queue q was kicked (or may have work: called once at start). Device
	 * thread. */
	void (*queue)(struct vmm_vdev *d, unsigned q);
	/* Before each poll: add the device's fds; return a timeout in ms
	 * (-1 = none). Device thread. Optional. */
	int (*poll)(struct vmm_vdev *d, struct vmm_pollset *ps);
	/* After each poll (also on timeout): look at the device's fds.
	 * Device thread. Optional. */
	void (*poll_done)(struct vmm_vdev *d, struct vmm_pollset *ps);
	/* The driver reset the device: the device thread has stopped; forget
	 * queue state. vCPU thread. Optional. */
	void (*reset)(struct vmm_vdev *d);
	/* Add device-specific properties to its runtime-tree node (libfdt
	 * sequential-write API). Optional. */
	int (*fdt)(struct vmm_vdev *d, void *fdt);
};

struct vmm_vq {
	struct vq_dev vq;              /* the ring, once ready */
	unsigned num;                  /* QUEUE_NUM */
	int ready;                     /* QUEUE_READY */
	uint64_t desc, driver, device; /* the areas' GPAs */
	int kick_fd;                   /* eventfd behind the ioeventfd */
};

struct vmm_vdev {
	const struct vmm_vdev_ops *ops;
	void *priv; /* the device's state */
	struct vmm *vm;
	unsigned index;         /* slot: MMIO window and IOAPIC pin */
	uint64_t base;          /* GPA of the MMIO window */
	uint32_t pin;           /* IOAPIC pin (= GSI) */
	uint16_t notify_port;   /* UK_DT_NOTIFY_PORT, 0 without KVM */
	const char *mount;      /* runtime-tree uk,mount or NULL */
	int ro;                 /* runtime-tree uk,ro */
	uint64_t host_features; /* offered */
	uint64_t features;      /* accepted by the driver (final at FEATURES_OK) */
	uint32_t status;
	uint32_t dev_feat_sel, drv_feat_sel, queue_sel;
	uint32_t config_gen;
	uint32_t isr;   /* UK_VIRTIO_INT_*, atomically updated */
	int irq_fd;     /* eventfd behind the irqfd */
	int own_queues; /* the device moves its queues itself (vhost) */
	struct vmm_vq vq[VMM_VQ_MAX];
	/* device thread */
	pthread_t thread;
	int running;
	int stop_fd;
	uint64_t interrupts; /* signalled so far, for --verbose */
	uint64_t kicks;      /* the driver's notifications taken, for --verbose */
	/* Polling before sleeping (vmm_vdev_poll_later), device thread: */
	unsigned quiet;            /* queues left with the driver's kicks off, as bits */
	int polls;                 /* a queue handler asked for polling */
	uint32_t spin_ns;          /* the window now (adapted: 0 .. VMM_SPIN_MAX_NS) */
	uint64_t spins, spins_won; /* windows spun, and those that found work */
};

/* The longest a device thread polls its rings and fds before it sleeps:
 * a kick costs the guest an exit and the device thread a wake-up, an
 * interrupt the guest tens of microseconds on the paravirtual host. */
#define VMM_SPIN_MAX_NS 50000u

/* Create a device in the next free slot (MMIO window, IOAPIC pin), with
 * its kick and interrupt eventfds wired into KVM. Returns it, or NULL with
 * a message printed. Called from a device's setup. */
struct vmm_vdev *vmm_vdev_add(struct vmm *vm, const struct vmm_vdev_ops *ops, void *priv);

/* Raise the device's interrupt for queue q if the driver wants one for
 * what was flushed since the last call. Any thread. */
void vmm_vdev_interrupt(struct vmm_vdev *d, unsigned q);

/* The device gives up on a queue the guest broke: a message naming why,
 * DEVICE_NEEDS_RESET, and a configuration-change interrupt. Device thread. */
void vmm_vdev_fail(struct vmm_vdev *d, unsigned q, const char *why);

/* From a queue handler that emptied queue q and would now turn the
 * driver's kicks back on (vq_dev_notify_on): 1 when the transport takes
 * that over instead: it polls the ring (and the device's fds) for a short
 * window with kicks left off, calls the handler again when entries come,
 * and turns kicks on itself before the thread sleeps. 0: turn them on
 * now, as without polling. Device thread. */
int vmm_vdev_poll_later(struct vmm_vdev *d, unsigned q);

/* The ready ring of queue q, or NULL (not ready, or the device failed). */
struct vq_dev *vmm_vdev_vq(struct vmm_vdev *d, unsigned q);

/* vq_map_fn for guest buffers: VMM_GPA over the device's VM. */
void *vmm_vdev_map(void *vm, uint64_t gpa, uint32_t len);

/* A register access from the vCPU thread (KVM_EXIT_MMIO). Returns 0 when
 * addr belongs to a device (handled), -1 when no device is there. */
int vmm_virtio_mmio(struct vmm *vm, uint64_t addr, uint8_t *data, uint32_t len, int write);

/* Add a node per device to the runtime tree (inside the root node). */
int vmm_virtio_fdt(struct vmm *vm, void *fdt);

/* ---- the device table (devices.c) ---- */

struct vmm_device_type {
	const char *name;
	/* Check the options' syntax, opening nothing (run before /dev/kvm, so
	 * a mistyped flag is named first). 0, or -1 with a message. */
	int (*check)(const struct vmm_opts *o);
	/* Read vm->opts; create 0 or more devices. 0, or -1 with a message. */
	int (*setup)(struct vmm *vm);
	/* Stop threads and free what setup made (after the VM ended). */
	void (*teardown)(struct vmm *vm);
};

/* Walk the table in order: every device the options ask for. */
int vmm_devices_check(const struct vmm_opts *o);
int vmm_devices_setup(struct vmm *vm);
/* Stop every device (device threads joined) and tear them down. */
void vmm_devices_teardown(struct vmm *vm);

/* Stop a device's thread (joined); safe when it is not running. */
void vmm_vdev_stop(struct vmm_vdev *d);

/* Devices so far, for the table's teardown and for tests. */
extern struct vmm_vdev *vmm_vdevs[VMM_VDEV_MAX];
extern unsigned vmm_nvdevs;

/* IOAPIC pins handed to devices, in slot order: 16-23 first (free on every
 * PC-like machine), then ISA pins nothing in a uk guest uses. */
#define VMM_VDEV_PINS                                                      \
	{                                                                  \
		16, 17, 18, 19, 20, 21, 22, 23, 5, 6, 7, 9, 10, 11, 14, 15 \
	}

#endif
