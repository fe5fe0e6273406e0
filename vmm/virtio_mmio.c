/*
 * The virtio-mmio transport (virtio 1.x, modern register layout only) for
 * ukrun's devices: registers served on the vCPU thread, kicks through KVM
 * ioeventfds, interrupts through KVM irqfds, and one device thread per
 * device that does all its queue work (see virtio.h).
 */
#include <errno.h>
#include <libfdt.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "virtio.h"

struct vmm_vdev *vmm_vdevs[VMM_VDEV_MAX];
unsigned vmm_nvdevs;

static const uint32_t pins[VMM_VDEV_MAX] = VMM_VDEV_PINS;

/* Features every device offers on top of its own. */
#define TRANSPORT_FEATURES \
	(UK_VIRTIO_BIT(UK_VIRTIO_F_VERSION_1) | UK_VIRTIO_BIT(UK_VIRTIO_F_EVENT_IDX))

void *vmm_vdev_map(void *vm, uint64_t gpa, uint32_t len)
{
	return VMM_GPA((struct vmm *)vm, gpa, len);
}

int vmm_poll_add(struct vmm_pollset *ps, int fd, short events)
{
	if (ps->n == sizeof(ps->fd) / sizeof(ps->fd[0]))
		return -1;
	ps->fd[ps->n] = (struct pollfd){ .fd = fd, .events = events };
	return (int)ps->n++;
}

/* ---- wiring into KVM ---- */

/* addr is an MMIO address, or an I/O port when pio. */
static int kvm_ioeventfd(struct vmm *vm, uint64_t addr, int pio, uint32_t q, int fd)
{
	struct kvm_ioeventfd io = {
		.datamatch = q,
		.addr = addr,
		.len = 4,
		.fd = fd,
		.flags = KVM_IOEVENTFD_FLAG_DATAMATCH | (pio ? KVM_IOEVENTFD_FLAG_PIO : 0),
	};

	if (vm->vm < 0) /* no KVM (host tests): kicks arrive as MMIO writes */
		return 0;
	return ioctl(vm->vm, KVM_IOEVENTFD, &io) ? -errno : 0;
}

static int kvm_irqfd(struct vmm *vm, uint32_t gsi, int fd)
{
	struct kvm_irqfd irq = { .fd = (uint32_t)fd, .gsi = gsi };

	if (vm->vm < 0)
		return 0;
	return ioctl(vm->vm, KVM_IRQFD, &irq) ? -errno : 0;
}

static int wire_queues(struct vmm_vdev *d)
{
	int r;

	for (unsigned q = 0; q < d->ops->nqueues; q++) {
		d->vq[q].kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (d->vq[q].kick_fd < 0)
			return -errno;
		r = kvm_ioeventfd(d->vm, d->base + UK_VIRTIO_MMIO_QUEUE_NOTIFY, 0, q,
		                  d->vq[q].kick_fd);
		r = r
		        ?: kvm_ioeventfd(d->vm, UK_NOTIFY_PORT_BASE + d->index, 1, q,
		                         d->vq[q].kick_fd);
		if (r)
			return r;
	}
	if (d->vm->vm >= 0)
		d->notify_port = (uint16_t)(UK_NOTIFY_PORT_BASE + d->index);
	return 0;
}

struct vmm_vdev *vmm_vdev_add(struct vmm *vm, const struct vmm_vdev_ops *ops, void *priv)
{
	struct vmm_vdev *d;
	int r = -ENOMEM;

	if (vmm_nvdevs == VMM_VDEV_MAX || ops->nqueues > VMM_VQ_MAX) {
		vmm_err("%s: more than %d virtio devices asked for", ops->name, VMM_VDEV_MAX);
		return NULL;
	}
	if (!(d = calloc(1, sizeof(*d))))
		goto out;
	*d = (struct vmm_vdev){ .ops = ops,
		                .priv = priv,
		                .vm = vm,
		                .index = vmm_nvdevs,
		                .base =
		                    UK_GPA_MMIO_BASE + (uint64_t)vmm_nvdevs * UK_VIRTIO_MMIO_SIZE,
		                .pin = pins[vmm_nvdevs],
		                .irq_fd = -1,
		                .stop_fd = -1,
		                .host_features = ops->features | TRANSPORT_FEATURES };
	for (unsigned q = 0; q < VMM_VQ_MAX; q++)
		d->vq[q].kick_fd = -1;
	d->irq_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	d->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (d->irq_fd < 0 || d->stop_fd < 0) {
		r = -errno;
		goto out;
	}
	if ((r = wire_queues(d)) || (r = kvm_irqfd(vm, d->pin, d->irq_fd)))
		goto out;
	vmm_nvdevs++;
	vmm_vdevs[d->index] = d;
	vm->needs |= VMM_NEED_THREADS;
	vmm_verbose(vm, "%s at %#llx, IOAPIC pin %u", ops->name, (unsigned long long)d->base,
	            d->pin);
	return d;
out:
	vmm_err("%s: setting up its kick and interrupt eventfds in KVM: %s", ops->name,
	        strerror(-r));
	if (d) {
		for (unsigned q = 0; q < VMM_VQ_MAX; q++)
			if (d->vq[q].kick_fd >= 0)
				close(d->vq[q].kick_fd);
		if (d->irq_fd >= 0)
			close(d->irq_fd);
		if (d->stop_fd >= 0)
			close(d->stop_fd);
		free(d);
	}
	return NULL;
}

/* ---- interrupts and failures (any thread) ---- */

void vmm_vdev_interrupt(struct vmm_vdev *d, unsigned q)
{
	uint64_t one = 1;

	vq_dev_flush(&d->vq[q].vq);
	if (!vq_dev_need_interrupt(&d->vq[q].vq))
		return;
	__atomic_or_fetch(&d->isr, UK_VIRTIO_INT_VRING, __ATOMIC_SEQ_CST);
	if (write(d->irq_fd, &one, sizeof(one)) == sizeof(one))
		__atomic_add_fetch(&d->interrupts, 1, __ATOMIC_RELAXED);
}

/* DEVICE_NEEDS_RESET and a configuration-change interrupt: the device
 * does nothing more until the driver resets it. */
static void vdev_needs_reset(struct vmm_vdev *d)
{
	uint64_t one = 1;

	__atomic_or_fetch(&d->status, UK_VIRTIO_S_NEEDS_RESET, __ATOMIC_SEQ_CST);
	__atomic_or_fetch(&d->isr, UK_VIRTIO_INT_CONFIG, __ATOMIC_SEQ_CST);
	if (write(d->irq_fd, &one, sizeof(one)) < 0)
		return;
}

void vmm_vdev_fail(struct vmm_vdev *d, unsigned q, const char *why)
{
	vmm_guest_err(": %s queue %u: %s; the device stops until the guest resets it", d->ops->name,
	              q, why);
	vdev_needs_reset(d);
}

struct vq_dev *vmm_vdev_vq(struct vmm_vdev *d, unsigned q)
{
	if (q >= d->ops->nqueues || !d->vq[q].ready ||
	    (__atomic_load_n(&d->status, __ATOMIC_ACQUIRE) & UK_VIRTIO_S_NEEDS_RESET))
		return NULL;
	return &d->vq[q].vq;
}

/* ---- the device thread ---- */

/* The writes since the last read (an eventfd sums them), 0 for none. */
static uint64_t drain_eventfd(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0; /* EAGAIN: nothing pending */
	return v;
}

/* The queues kicked (all of them without ps), and those whose last run
 * stopped at its budget or were found with entries while polling (a bit
 * each in left). A queue runs with its polling bit clear: its handler
 * sets it again when it wants the transport to poll it. */
static void run_queues(struct vmm_vdev *d, const struct vmm_pollset *ps, unsigned left)
{
	for (unsigned q = 0; q < d->ops->nqueues; q++) {
		int kicked = ps && (ps->fd[1 + q].revents & POLLIN);
		if (ps && !kicked && !(left & 1u << q))
			continue;
		if (kicked)
			d->kicks += drain_eventfd(d->vq[q].kick_fd);
		d->quiet &= ~(1u << q);
		if (vmm_vdev_vq(d, q) && d->ops->queue)
			d->ops->queue(d, q);
	}
}

/* New budgets; the queues whose budget ran out, as bits. */
static unsigned refill(struct vmm_vdev *d)
{
	unsigned left = 0;

	for (unsigned q = 0; q < d->ops->nqueues; q++) {
		struct vq_dev *vq = vmm_vdev_vq(d, q);
		if (vq && vq_dev_refill(vq))
			left |= 1u << q;
	}
	return left;
}

/* ---- polling before sleeping ---- */

#define SPIN_MIN_NS 4000u /* below it the window closes (0) */

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

int vmm_vdev_poll_later(struct vmm_vdev *d, unsigned q)
{
	d->polls = 1; /* from now on the sleeps adapt the window */
	if (!d->spin_ns)
		return 0;
	d->quiet |= 1u << q;
	return 1;
}

/* The window grows (doubles) when polling paid or a longer window would
 * have caught what woke the thread, and shrinks (halves, then closes)
 * when the thread slept past the longest window: a guest that answers
 * rarely costs no polling, one under load no kicks. */
static void spin_adapt(struct vmm_vdev *d, int paid)
{
	uint32_t w = d->spin_ns;

	if (paid)
		w = w < SPIN_MIN_NS           ? SPIN_MIN_NS
		    : w > VMM_SPIN_MAX_NS / 2 ? VMM_SPIN_MAX_NS
		                              : w * 2;
	else
		w = w / 2 < SPIN_MIN_NS ? 0 : w / 2;
	d->spin_ns = w;
}

/* The polled queues that have entries, as bits (a broken ring counts:
 * its handler says what broke). */
static unsigned ring_work(struct vmm_vdev *d)
{
	unsigned found = 0;

	for (unsigned q = 0; q < d->ops->nqueues; q++) {
		struct vq_dev *vq;
		if (!(d->quiet & 1u << q))
			continue;
		if (!(vq = vmm_vdev_vq(d, q)))
			d->quiet &= ~(1u << q); /* reset or failed: nothing to poll */
		else if (vq_dev_pending(vq))
			found |= 1u << q;
	}
	return found;
}

/* Kicks back on for the polled queues; those that got entries meanwhile,
 * as bits. */
static unsigned rearm(struct vmm_vdev *d)
{
	unsigned found = 0;

	for (unsigned q = 0; q < d->ops->nqueues; q++) {
		struct vq_dev *vq;
		if ((d->quiet & 1u << q) && (vq = vmm_vdev_vq(d, q)) && vq_dev_notify_on(vq))
			found |= 1u << q;
	}
	d->quiet = 0;
	return found;
}

/* Poll the quiet queues' rings and the thread's fds (ps) for the window,
 * yielding the core between looks (it is shared with the vCPU and the
 * network helper); then turn the driver's kicks back on. The queues with
 * entries, as bits; *n the fds ready (0: none, or not looked at). */
static unsigned spin(struct vmm_vdev *d, struct vmm_pollset *ps, int *n)
{
	uint64_t end = now_ns() + d->spin_ns;
	unsigned found;

	for (unsigned i = 0; i < ps->n; i++)
		ps->fd[i].revents = 0;
	*n = 0;
	d->spins++;
	do {
		if ((found = ring_work(d)) || (*n = poll(ps->fd, ps->n, 0)) > 0) {
			d->spins_won++;
			spin_adapt(d, 1);
			return found;
		}
		*n = 0;
		sched_yield();
	} while (now_ns() < end);
	return rearm(d);
}

/* poll(2), the sleep timed when the device polls: how long it waited
 * says whether a window would have paid. */
static int vdev_wait(struct vmm_vdev *d, struct vmm_pollset *ps, int timeout)
{
	uint64_t t0;
	int n;

	if (!timeout || !d->polls)
		return poll(ps->fd, ps->n, timeout);
	t0 = now_ns();
	n = poll(ps->fd, ps->n, timeout);
	spin_adapt(d, now_ns() - t0 < VMM_SPIN_MAX_NS);
	return n;
}

static void *vdev_thread(void *arg)
{
	struct vmm_vdev *d = arg;
	struct vmm_pollset *ps = malloc(sizeof(*ps));
	int timeout, n;

	if (!ps) {
		vmm_err("%s: out of memory for its device thread", d->ops->name);
		return NULL;
	}
	run_queues(d, NULL, 0); /* kicks that came before DRIVER_OK */
	for (;;) {
		/* work left over at a budget: look at the stop request, then on */
		unsigned left = refill(d);
		ps->n = 0;
		vmm_poll_add(ps, d->stop_fd, POLLIN);
		for (unsigned q = 0; q < d->ops->nqueues; q++)
			vmm_poll_add(ps, d->vq[q].kick_fd, POLLIN);
		timeout = d->ops->poll ? d->ops->poll(d, ps) : -1;
		n = 0;
		if (!left && d->quiet)
			left = spin(d, ps, &n);
		if (!n)
			n = vdev_wait(d, ps, left ? 0 : timeout);
		if (n < 0 && errno != EINTR) {
			vmm_err("%s: poll: %s", d->ops->name, strerror(errno));
			break;
		}
		if (n > 0 && ps->fd[0].revents)
			break;
		if (n > 0 || left)
			run_queues(d, ps, left);
		if (d->ops->poll_done)
			d->ops->poll_done(d, ps);
	}
	free(ps);
	return NULL;
}

/* Device threads take no signals: SIGALRM (--timeout) and SIGINT must
 * reach the vCPU thread to pull it out of KVM_RUN. Except SIGSYS: a call
 * the seccomp allow-list traps must reach ukrun's handler, which names it
 * (blocked, the kernel would kill without a word). */
static int start_thread(struct vmm_vdev *d)
{
	sigset_t all, old;
	int r;

	drain_eventfd(d->stop_fd);
	d->quiet = 0;
	sigfillset(&all);
	sigdelset(&all, SIGSYS);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&d->thread, NULL, vdev_thread, d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		vmm_err("%s: cannot start its device thread: %s", d->ops->name, strerror(r));
		return -r;
	}
	d->running = 1;
	return 0;
}

void vmm_vdev_stop(struct vmm_vdev *d)
{
	uint64_t one = 1;

	if (!d->running)
		return;
	if (write(d->stop_fd, &one, sizeof(one)) == sizeof(one))
		pthread_join(d->thread, NULL);
	d->running = 0;
}

/* ---- status and queues (vCPU thread) ---- */

static void vdev_reset(struct vmm_vdev *d)
{
	vmm_vdev_stop(d);
	if (d->ops->reset)
		d->ops->reset(d);
	for (unsigned q = 0; q < d->ops->nqueues; q++) {
		struct vmm_vq *v = &d->vq[q];
		int fd = v->kick_fd;
		memset(v, 0, sizeof(*v));
		v->kick_fd = fd;
		drain_eventfd(fd);
	}
	d->features = 0;
	d->dev_feat_sel = d->drv_feat_sel = d->queue_sel = 0;
	__atomic_store_n(&d->isr, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&d->status, 0, __ATOMIC_SEQ_CST);
}

static int features_ok(struct vmm_vdev *d)
{
	if (d->features & ~d->host_features) {
		vmm_err("%s: the driver accepted features %#llx the device never offered",
		        d->ops->name, (unsigned long long)(d->features & ~d->host_features));
		return 0;
	}
	if (!(d->features & UK_VIRTIO_BIT(UK_VIRTIO_F_VERSION_1))) {
		vmm_err("%s: the driver did not accept VIRTIO_F_VERSION_1 (legacy drivers are "
		        "not supported)",
		        d->ops->name);
		return 0;
	}
	return 1;
}

static void driver_ok(struct vmm_vdev *d)
{
	int r = d->ops->start ? d->ops->start(d) : 0;

	if (r) {
		vmm_err("%s: cannot start: %s", d->ops->name, strerror(-r));
		__atomic_or_fetch(&d->status, UK_VIRTIO_S_NEEDS_RESET, __ATOMIC_SEQ_CST);
		return;
	}
	if (!d->own_queues && start_thread(d))
		__atomic_or_fetch(&d->status, UK_VIRTIO_S_NEEDS_RESET, __ATOMIC_SEQ_CST);
}

/* The bits only the driver sets; DEVICE_NEEDS_RESET is the device's. */
#define DRIVER_STATUS                                                             \
	(UK_VIRTIO_S_ACKNOWLEDGE | UK_VIRTIO_S_DRIVER | UK_VIRTIO_S_FEATURES_OK | \
	 UK_VIRTIO_S_DRIVER_OK | UK_VIRTIO_S_FAILED)

/* A driver only ever adds status bits; 0 is the one way back (virtio 1.x
 * 2.1.2, 3.1.1). Clearing DRIVER_OK without a reset would unlock the queue
 * registers under a running device thread, and setting it again would
 * start a second thread on the same queues: such a write leaves the status
 * as it was and fails the device until the guest resets it. */
static void status_write(struct vmm_vdev *d, uint32_t v)
{
	uint32_t old = __atomic_load_n(&d->status, __ATOMIC_ACQUIRE);

	if (!v) {
		vdev_reset(d);
		return;
	}
	if (old & ~v & DRIVER_STATUS) {
		vmm_guest_err(": %s status %#x -> %#x clears bits "
		              "without a reset; the device stops until the guest resets it",
		              d->ops->name, old, v);
		vdev_needs_reset(d);
		return;
	}
	if ((v & UK_VIRTIO_S_FEATURES_OK) && !(old & UK_VIRTIO_S_FEATURES_OK) && !features_ok(d))
		v &= ~UK_VIRTIO_S_FEATURES_OK; /* the driver reads it back and gives up */
	if ((v & UK_VIRTIO_S_DRIVER_OK) && !(v & UK_VIRTIO_S_FEATURES_OK))
		v &= ~UK_VIRTIO_S_DRIVER_OK;
	v |= old & UK_VIRTIO_S_NEEDS_RESET;
	__atomic_store_n(&d->status, v, __ATOMIC_RELEASE);
	if ((v & UK_VIRTIO_S_DRIVER_OK) && !(old & UK_VIRTIO_S_DRIVER_OK) && !d->running)
		driver_ok(d);
}

static const char *ring_check(struct vmm_vdev *d, struct vmm_vq *v, struct vq_ring *r)
{
	if (!vq_num_valid(v->num) || v->num > d->ops->queue_max)
		return "queue size not a power of two up to QUEUE_NUM_MAX";
	if (v->desc % VQ_DESC_ALIGN || v->driver % VQ_AVAIL_ALIGN || v->device % VQ_USED_ALIGN)
		return "misaligned ring area";
	r->num = v->num;
	r->desc = VMM_GPA(d->vm, v->desc, vq_desc_bytes(v->num));
	r->avail = VMM_GPA(d->vm, v->driver, vq_avail_bytes(v->num));
	r->used = VMM_GPA(d->vm, v->device, vq_used_bytes(v->num));
	if (!r->desc || !r->avail || !r->used)
		return "ring area outside guest memory";
	return NULL;
}

static void queue_ready(struct vmm_vdev *d, uint32_t v)
{
	struct vmm_vq *q = &d->vq[d->queue_sel];
	struct vq_ring r;
	const char *why;

	if (!v) {
		q->ready = 0;
		return;
	}
	if ((why = ring_check(d, q, &r))) {
		vmm_guest_err(": %s queue %u: %s", d->ops->name, d->queue_sel, why);
		return;
	}
	vq_dev_init(&q->vq, &r, !!(d->features & UK_VIRTIO_BIT(UK_VIRTIO_F_EVENT_IDX)),
	            vmm_vdev_map, d->vm);
	q->ready = 1;
}

/* ---- registers ---- */

static uint32_t reg_read(struct vmm_vdev *d, uint32_t off)
{
	struct vmm_vq *q = d->queue_sel < d->ops->nqueues ? &d->vq[d->queue_sel] : NULL;

	switch (off) {
	case UK_VIRTIO_MMIO_MAGIC: return UK_VIRTIO_MMIO_MAGIC_VALUE;
	case UK_VIRTIO_MMIO_VERSION: return UK_VIRTIO_MMIO_VERSION_MODERN;
	case UK_VIRTIO_MMIO_DEVICE_ID: return d->ops->device_id;
	case UK_VIRTIO_MMIO_VENDOR_ID: return UK_VIRTIO_VENDOR_UK;
	case UK_VIRTIO_MMIO_DEVICE_FEATURES:
		return d->dev_feat_sel < 2 ? (uint32_t)(d->host_features >> (32 * d->dev_feat_sel))
		                           : 0;
	case UK_VIRTIO_MMIO_QUEUE_NUM_MAX: return q ? d->ops->queue_max : 0;
	case UK_VIRTIO_MMIO_QUEUE_READY: return q ? (uint32_t)q->ready : 0;
	case UK_VIRTIO_MMIO_INTERRUPT_STATUS: return __atomic_load_n(&d->isr, __ATOMIC_ACQUIRE);
	case UK_VIRTIO_MMIO_STATUS: return __atomic_load_n(&d->status, __ATOMIC_ACQUIRE);
	case UK_VIRTIO_MMIO_SHM_LEN_LOW:
	case UK_VIRTIO_MMIO_SHM_LEN_HIGH: return ~0u; /* no shared memory regions */
	case UK_VIRTIO_MMIO_CONFIG_GENERATION: return d->config_gen;
	}
	return 0;
}

static void set_half(uint64_t *v, int high, uint32_t x)
{
	*v = high ? (*v & 0xffffffffull) | (uint64_t)x << 32 : (*v & ~0xffffffffull) | x;
}

/* Queue registers change only before DRIVER_OK (spec 4.2.3.2). */
static void queue_write(struct vmm_vdev *d, uint32_t off, uint32_t v)
{
	struct vmm_vq *q;

	if (d->queue_sel >= d->ops->nqueues || (d->status & UK_VIRTIO_S_DRIVER_OK) || d->running)
		return;
	q = &d->vq[d->queue_sel];
	if (q->ready && off != UK_VIRTIO_MMIO_QUEUE_READY)
		return;
	switch (off) {
	case UK_VIRTIO_MMIO_QUEUE_NUM: q->num = v; break;
	case UK_VIRTIO_MMIO_QUEUE_READY: queue_ready(d, v); break;
	case UK_VIRTIO_MMIO_QUEUE_DESC_LOW: set_half(&q->desc, 0, v); break;
	case UK_VIRTIO_MMIO_QUEUE_DESC_HIGH: set_half(&q->desc, 1, v); break;
	case UK_VIRTIO_MMIO_QUEUE_DRIVER_LOW: set_half(&q->driver, 0, v); break;
	case UK_VIRTIO_MMIO_QUEUE_DRIVER_HIGH: set_half(&q->driver, 1, v); break;
	case UK_VIRTIO_MMIO_QUEUE_DEVICE_LOW: set_half(&q->device, 0, v); break;
	case UK_VIRTIO_MMIO_QUEUE_DEVICE_HIGH: set_half(&q->device, 1, v); break;
	}
}

/* A kick that did not go through the ioeventfd (no KVM: host tests). */
static void notify_write(struct vmm_vdev *d, uint32_t q)
{
	uint64_t one = 1;

	if (q < d->ops->nqueues && write(d->vq[q].kick_fd, &one, sizeof(one)) < 0)
		return;
}

static void reg_write(struct vmm_vdev *d, uint32_t off, uint32_t v)
{
	switch (off) {
	case UK_VIRTIO_MMIO_DEVICE_FEATURES_SEL: d->dev_feat_sel = v; break;
	case UK_VIRTIO_MMIO_DRIVER_FEATURES_SEL: d->drv_feat_sel = v; break;
	case UK_VIRTIO_MMIO_DRIVER_FEATURES:
		if (d->drv_feat_sel < 2 && !(d->status & UK_VIRTIO_S_FEATURES_OK))
			set_half(&d->features, (int)d->drv_feat_sel, v);
		break;
	case UK_VIRTIO_MMIO_QUEUE_SEL: d->queue_sel = v; break;
	case UK_VIRTIO_MMIO_QUEUE_NOTIFY: notify_write(d, v); break;
	case UK_VIRTIO_MMIO_INTERRUPT_ACK: __atomic_and_fetch(&d->isr, ~v, __ATOMIC_SEQ_CST); break;
	case UK_VIRTIO_MMIO_STATUS: status_write(d, v); break;
	default: queue_write(d, off, v); break;
	}
}

static void config_access(struct vmm_vdev *d, uint32_t off, uint8_t *data, uint32_t len, int write)
{
	if (off > d->ops->config_size || len > d->ops->config_size - off || !d->ops->config) {
		if (!write)
			memset(data, 0, len);
		return;
	}
	d->ops->config(d, off, data, len, write);
}

int vmm_virtio_mmio(struct vmm *vm, uint64_t addr, uint8_t *data, uint32_t len, int write)
{
	uint64_t slot = (addr - UK_GPA_MMIO_BASE) / UK_VIRTIO_MMIO_SIZE;
	uint32_t off = (uint32_t)((addr - UK_GPA_MMIO_BASE) % UK_VIRTIO_MMIO_SIZE), v = 0;
	struct vmm_vdev *d;

	if (addr < UK_GPA_MMIO_BASE || slot >= vmm_nvdevs || len > 8)
		return -1;
	d = vmm_vdevs[slot];
	if (off >= UK_VIRTIO_MMIO_CONFIG) {
		config_access(d, off - UK_VIRTIO_MMIO_CONFIG, data, len, write);
		return 0;
	}
	if (len != 4 || off % 4) {
		vmm_guest_err(": %u-byte access to %s register %#x (32-bit only)", len,
		              d->ops->name, off);
		if (!write)
			memset(data, 0xff, len);
		return 0;
	}
	if (write) {
		memcpy(&v, data, 4);
		reg_write(d, off, v);
	} else {
		v = reg_read(d, off);
		memcpy(data, &v, 4);
	}
	return 0;
}

/* ---- the runtime tree ---- */

static int fdt_node(struct vmm_vdev *d, void *fdt)
{
	char name[32];
	fdt64_t reg[2] = { cpu_to_fdt64(d->base), cpu_to_fdt64(UK_VIRTIO_MMIO_SIZE) };
	int r;

	snprintf(name, sizeof(name), "virtio_mmio@%llx", (unsigned long long)d->base);
	r = fdt_begin_node(fdt, name);
	r = r ?: fdt_property_string(fdt, "compatible", UK_DT_VIRTIO_COMPAT);
	r = r ?: fdt_property(fdt, "reg", reg, sizeof(reg));
	r = r ?: fdt_property_u32(fdt, "interrupts", d->pin);
	if (d->notify_port)
		r = r ?: fdt_property_u32(fdt, UK_DT_NOTIFY_PORT, d->notify_port);
	if (d->mount)
		r = r ?: fdt_property_string(fdt, UK_DT_MOUNT, d->mount);
	if (d->ro)
		r = r ?: fdt_property(fdt, UK_DT_RO, NULL, 0);
	if (d->ops->fdt)
		r = r ?: d->ops->fdt(d, fdt);
	return r ?: fdt_end_node(fdt);
}

int vmm_virtio_fdt(struct vmm *vm, void *fdt)
{
	int r = 0;

	(void)vm;
	for (unsigned i = 0; i < vmm_nvdevs && !r; i++)
		r = fdt_node(vmm_vdevs[i], fdt);
	return r;
}
