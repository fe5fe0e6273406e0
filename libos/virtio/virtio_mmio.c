/*
 * The guest's virtio-mmio transport (see uk/virtio_dev.h): discovery from
 * ukrun's runtime tree or QEMU's command line, feature negotiation, queues,
 * interrupts.
 */
#include <libfdt.h>
#include <uk/arch.h>
#include <uk/cpu.h>
#include <uk/ioapic.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/plat.h>
#include <uk/print.h>
#include <uk/virtio_dev.h>

#include "virtio_impl.h"

static struct uk_virtio_dev devs[UK_VIRTIO_DEV_MAX];
static int ndevs = -1; /* -1: not probed yet */

static uint32_t rd(struct uk_virtio_dev *d, uint32_t off)
{
	return *(volatile uint32_t *)(d->regs + off);
}

static void wr(struct uk_virtio_dev *d, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(d->regs + off) = v;
}

/* ---- discovery ---- */

static void dev_add(uint64_t base, unsigned gsi, int level, int node, const char *mount, int ro,
                    uint16_t notify_port)
{
	struct uk_virtio_dev *d;
	uint32_t version;

	if (ndevs == UK_VIRTIO_DEV_MAX) {
		uk_pr("virtio: more than %d devices; ignoring the one at %#lx", UK_VIRTIO_DEV_MAX,
		      (unsigned long)base);
		return;
	}
	d = &devs[ndevs];
	*d = (struct uk_virtio_dev){ .base = base,
		                     .regs = uk_p2v(base),
		                     .gsi = gsi,
		                     .level = level,
		                     .node = node,
		                     .mount = mount,
		                     .ro = ro,
		                     .notify_port = notify_port };
	if (rd(d, UK_VIRTIO_MMIO_MAGIC) != UK_VIRTIO_MMIO_MAGIC_VALUE)
		return;
	d->device_id = rd(d, UK_VIRTIO_MMIO_DEVICE_ID);
	if (!d->device_id)
		return; /* an empty slot */
	version = rd(d, UK_VIRTIO_MMIO_VERSION);
	if (version != UK_VIRTIO_MMIO_VERSION_MODERN) {
		uk_pr("virtio: device %u at %#lx is legacy (version %u); only virtio 1.x is "
		      "supported (QEMU: -global virtio-mmio.force-legacy=false)\n",
		      d->device_id, (unsigned long)base, version);
		return;
	}
	d->vector = UK_VEC_DEV0 + ndevs;
	ndevs++;
}

static uint64_t be_cells(const uint8_t *p, int cells)
{
	uint64_t v = 0;

	for (int i = 0; i < cells * 4; i++)
		v = v << 8 | p[i];
	return v;
}

static void probe_fdt(const void *fdt)
{
	int node, len;

	fdt_for_each_subnode(node, fdt, 0)
	{
		const uint8_t *reg, *irq, *port;
		if (fdt_node_check_compatible(fdt, node, UK_DT_VIRTIO_COMPAT))
			continue;
		reg = fdt_getprop(fdt, node, "reg", &len);
		if (!reg || len != 16)
			continue;
		irq = fdt_getprop(fdt, node, "interrupts", &len);
		if (!irq || len != 4)
			continue;
		port = fdt_getprop(fdt, node, UK_DT_NOTIFY_PORT, &len);
		dev_add(be_cells(reg, 2), (unsigned)be_cells(irq, 1), UK_IRQ_EDGE, node,
		        fdt_getprop(fdt, node, UK_DT_MOUNT, NULL),
		        fdt_getprop(fdt, node, UK_DT_RO, NULL) != NULL,
		        port && len == 4 ? (uint16_t)be_cells(port, 1) : 0);
	}
}

/* A number in C notation (0x.. hex, else decimal) with an optional K/M/G. */
static const char *parse_num(const char *p, uint64_t *v)
{
	int base = 10;

	*v = 0;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		base = 16, p += 2;
	for (;; p++) {
		int c = *p, dig;
		if (c >= '0' && c <= '9')
			dig = c - '0';
		else if (base == 16 && (c | 32) >= 'a' && (c | 32) <= 'f')
			dig = (c | 32) - 'a' + 10;
		else
			break;
		*v = *v * base + dig;
	}
	switch (*p) {
	case 'k':
	case 'K':
		*v <<= 10;
		p++;
		break;
	case 'm':
	case 'M':
		*v <<= 20;
		p++;
		break;
	case 'g':
	case 'G':
		*v <<= 30;
		p++;
		break;
	}
	return p;
}

/* QEMU microvm: "virtio_mmio.device=512@0xfeb00e00:12" per device.
 * Returns how many entries there were. */
static int probe_cmdline(const char *s)
{
	static const char key[] = "virtio_mmio.device=";
	uint64_t size, addr, irq;
	int n = 0;

	for (const char *p = s; *p; p++) {
		if ((p != s && p[-1] != ' ') || uk_strncmp(p, key, sizeof(key) - 1))
			continue;
		p = parse_num(p + sizeof(key) - 1, &size);
		if (*p != '@')
			continue;
		p = parse_num(p + 1, &addr);
		if (*p != ':')
			continue;
		p = parse_num(p + 1, &irq);
		dev_add(addr, (unsigned)irq, UK_IRQ_LEVEL, -1, NULL, 0, 0);
		n++;
		if (!*p)
			break;
	}
	return n;
}

static void acpi_add(uint64_t base, unsigned gsi, int level)
{
	dev_add(base, gsi, level ? UK_IRQ_LEVEL : UK_IRQ_EDGE, -1, NULL, 0, 0);
}

int uk_virtio_probe(void)
{
	if (ndevs >= 0)
		return ndevs;
	ndevs = 0;
	if (uk_plat.fdt)
		probe_fdt(uk_plat.fdt);
	else if (!probe_cmdline(uk_plat.cmdline))
		uk_acpi_virtio_mmio(acpi_add); /* QEMU microvm with ACPI */
	return ndevs;
}

struct uk_virtio_dev *uk_virtio_claim(uint32_t device_id)
{
	uk_virtio_probe();
	for (int i = 0; i < ndevs; i++) {
		if (devs[i].device_id == device_id && !devs[i].claimed) {
			devs[i].claimed = 1;
			return &devs[i];
		}
	}
	return NULL;
}

struct uk_virtio_dev *uk_virtio_find(uint32_t device_id)
{
	uk_virtio_probe();
	for (int i = 0; i < ndevs; i++)
		if (devs[i].device_id == device_id)
			return &devs[i];
	return NULL;
}

/* ---- set-up ---- */

static void status_set(struct uk_virtio_dev *d, uint32_t bits)
{
	wr(d, UK_VIRTIO_MMIO_STATUS, rd(d, UK_VIRTIO_MMIO_STATUS) | bits);
}

uint64_t uk_virtio_offered(struct uk_virtio_dev *d)
{
	uint64_t offered;

	wr(d, UK_VIRTIO_MMIO_STATUS, 0);
	status_set(d, UK_VIRTIO_S_ACKNOWLEDGE | UK_VIRTIO_S_DRIVER);
	wr(d, UK_VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	offered = (uint64_t)rd(d, UK_VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	wr(d, UK_VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	return offered | rd(d, UK_VIRTIO_MMIO_DEVICE_FEATURES);
}

int uk_virtio_features(struct uk_virtio_dev *d, uint64_t wanted)
{
	uint64_t offered = uk_virtio_offered(d);

	wanted |= UK_VIRTIO_BIT(UK_VIRTIO_F_VERSION_1) | UK_VIRTIO_BIT(UK_VIRTIO_F_EVENT_IDX);
	d->features = offered & wanted;
	wr(d, UK_VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(d, UK_VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(d->features >> 32));
	wr(d, UK_VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(d, UK_VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)d->features);
	status_set(d, UK_VIRTIO_S_FEATURES_OK);
	if (!(d->features & UK_VIRTIO_BIT(UK_VIRTIO_F_VERSION_1)) ||
	    !(rd(d, UK_VIRTIO_MMIO_STATUS) & UK_VIRTIO_S_FEATURES_OK)) {
		uk_pr("virtio: device %u at %#lx refused features %#lx", d->device_id,
		      (unsigned long)d->base, (unsigned long)d->features);
		status_set(d, UK_VIRTIO_S_FAILED);
		return -EIO;
	}
	return 0;
}

static void set_addr(struct uk_virtio_dev *d, uint32_t low_reg, const void *p)
{
	uint64_t pa = uk_v2p(p);

	wr(d, low_reg, (uint32_t)pa);
	wr(d, low_reg + 4, (uint32_t)(pa >> 32));
}

struct uk_virtq *uk_virtq_create(struct uk_virtio_dev *d, unsigned index, unsigned num_max)
{
	struct uk_virtq *q;
	unsigned num;
	struct vq_ring r;

	wr(d, UK_VIRTIO_MMIO_QUEUE_SEL, index);
	num = rd(d, UK_VIRTIO_MMIO_QUEUE_NUM_MAX);
	if (!num || rd(d, UK_VIRTIO_MMIO_QUEUE_READY))
		return NULL;
	while (num > num_max || !vq_num_valid(num))
		num = num > 1 ? 1u << (31 - __builtin_clz(num - 1)) : 1; /* power of two below */
	if (!(q = uk_kzalloc(sizeof(*q))) || !(q->token = uk_kzalloc(num * sizeof(void *))))
		goto fail;
	q->ring_pages = (unsigned)((vq_ring_bytes(num) + UK_PAGE_SIZE - 1) / UK_PAGE_SIZE);
	if (!(q->ring = uk_pages_zalloc(q->ring_pages)))
		goto fail;
	vq_ring_layout(&r, q->ring, num);
	vq_drv_init(&q->vq, &r, q->token, !!(d->features & UK_VIRTIO_BIT(UK_VIRTIO_F_EVENT_IDX)));
	q->dev = d;
	q->index = index;
	wr(d, UK_VIRTIO_MMIO_QUEUE_NUM, num);
	set_addr(d, UK_VIRTIO_MMIO_QUEUE_DESC_LOW, r.desc);
	set_addr(d, UK_VIRTIO_MMIO_QUEUE_DRIVER_LOW, r.avail);
	set_addr(d, UK_VIRTIO_MMIO_QUEUE_DEVICE_LOW, r.used);
	wr(d, UK_VIRTIO_MMIO_QUEUE_READY, 1);
	if (rd(d, UK_VIRTIO_MMIO_QUEUE_READY) == 1)
		return q;
	uk_pr("virtio: device %u refused queue %u", d->device_id, index);
	uk_pages_free(q->ring, q->ring_pages);
fail:
	if (q)
		uk_kfree(q->token);
	uk_kfree(q);
	return NULL;
}

/* ---- interrupts ---- */

static void virtio_irq(unsigned vector, void *arg)
{
	struct uk_virtio_dev *d = arg;
	uint32_t isr;

	(void)vector;
	/* Level-triggered (QEMU): lower the line before the EOI. */
	if (d->level && (isr = rd(d, UK_VIRTIO_MMIO_INTERRUPT_STATUS)))
		wr(d, UK_VIRTIO_MMIO_INTERRUPT_ACK, isr);
	d->irqs++;
	if (d->isr)
		d->isr(d, d->isr_arg);
	uk_lapic_eoi();
}

int uk_virtio_irq(struct uk_virtio_dev *d, uk_virtio_isr fn, void *arg)
{
	d->isr = fn;
	d->isr_arg = arg;
	uk_irq_register(d->vector, virtio_irq, d);
	return uk_ioapic_route(d->gsi, d->vector, d->level ? UK_IRQ_LEVEL : UK_IRQ_EDGE);
}

void uk_virtio_ready(struct uk_virtio_dev *d) { status_set(d, UK_VIRTIO_S_DRIVER_OK); }

void uk_virtq_kick(struct uk_virtq *q)
{
	if (vq_drv_kick_needed(&q->vq))
		uk_virtq_notify(q);
}

void uk_virtq_notify(struct uk_virtq *q)
{
	if (q->dev->notify_port)
		uk_outl(q->dev->notify_port, q->index);
	else
		wr(q->dev, UK_VIRTIO_MMIO_QUEUE_NOTIFY, q->index);
}

void uk_virtio_config(struct uk_virtio_dev *d, uint32_t off, void *buf, uint32_t len)
{
	volatile uint8_t *cfg = d->regs + UK_VIRTIO_MMIO_CONFIG + off;
	uint32_t gen;

	/* Fields are read with their own width (spec 4.2.2.2). */
	do {
		gen = rd(d, UK_VIRTIO_MMIO_CONFIG_GENERATION);
		if (len == 2 && !(off & 1)) {
			uint16_t v = *(volatile uint16_t *)cfg;
			uk_memcpy(buf, &v, 2);
		} else if ((len == 4 || len == 8) && !(off & 3)) {
			for (uint32_t i = 0; i < len; i += 4) {
				uint32_t v = *(volatile uint32_t *)(cfg + i);
				uk_memcpy((uint8_t *)buf + i, &v, 4);
			}
		} else {
			for (uint32_t i = 0; i < len; i++)
				((uint8_t *)buf)[i] = cfg[i];
		}
	} while (gen != rd(d, UK_VIRTIO_MMIO_CONFIG_GENERATION));
}

int uk_virtio_broken(struct uk_virtio_dev *d)
{
	return !!(rd(d, UK_VIRTIO_MMIO_STATUS) & UK_VIRTIO_S_NEEDS_RESET);
}
