/* GDT/TSS/IDT, control registers and FPU state; traps and the idle loop. */
#include <uk/cpu.h>
#include <uk/linux.h>
#include <uk/libc.h>
#include <uk/print.h>
#include <uk/signal.h>

struct uk_pvm_vif *uk_vif;
uint32_t uk_xsave_size;
uint64_t uk_xsave_mask;
int uk_xsaveopt;
uint64_t uk_cr4;
uint32_t uk_cpuid1[4];

struct tss {
	uint32_t rsvd0;
	uint64_t rsp[3];
	uint64_t rsvd1;
	uint64_t ist[7];
	uint64_t rsvd2;
	uint16_t rsvd3;
	uint16_t iomap;
} __attribute__((packed));

struct gate {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, rsvd;
} __attribute__((packed));

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* IST1: device and timer interrupts. IST2: exceptions. IST3: NMI and #MC,
 * which may arrive while IST2 is in use. IST4: #DF alone, which comes when
 * an exception could not be delivered (IST2 itself broken, say): its
 * report must not depend on any other stack. */
#define IST_IRQ 1
#define IST_EXC 2
#define IST_CRIT 3
#define IST_DF 4
#define NIST 4
#define IST_SIZE 16384

static struct tss tss __attribute__((aligned(16)));
static struct gate idt[256] __attribute__((aligned(16)));
static uint8_t ist_stack[NIST][IST_SIZE] __attribute__((aligned(16)));
static struct {
	uk_irq_handler fn;
	void *arg;
} irq_table[256];

extern uint64_t uk_gdt[];
extern char uk_vectors[];
extern uint64_t uk_pml4[];

static void set_tss_desc(void)
{
	uint64_t base = (uint64_t)&tss, limit = sizeof(tss) - 1;
	uk_gdt[UK_SEL_TSS / 8] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89ull << 40 |
	                         ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
	uk_gdt[UK_SEL_TSS / 8 + 1] = base >> 32;
}

static void load_tables(void)
{
	struct desc_ptr gdtr = { 9 * 8 - 1, (uint64_t)uk_gdt };
	struct desc_ptr idtr = { sizeof(idt) - 1, (uint64_t)idt };

	__asm__ volatile("lgdt %0" : : "m"(gdtr));
	__asm__ volatile("ltr %w0" : : "r"(UK_SEL_TSS));
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

static void set_gate(unsigned v, unsigned ist)
{
	uint64_t h = (uint64_t)uk_vectors + 16 * v;

	idt[v] = (struct gate){
		.off_lo = h & 0xffff,
		.sel = UK_SEL_KCODE,
		.ist = ist,
		.type = 0x8e, /* present, DPL 0, 64-bit interrupt gate */
		.off_mid = (h >> 16) & 0xffff,
		.off_hi = h >> 32,
	};
}

static void setup_idt(void)
{
	for (unsigned i = 0; i < NIST; i++)
		tss.ist[i] = (uint64_t)&ist_stack[i][IST_SIZE];
	tss.iomap = sizeof(tss);
	for (unsigned v = 0; v < 256; v++)
		set_gate(v, v >= 32 ? IST_IRQ : IST_EXC);
	set_gate(2, IST_CRIT);
	set_gate(8, IST_DF);
	set_gate(18, IST_CRIT);
}

static void write_cr4(uint64_t v) { __asm__ volatile("mov %0, %%cr4" : : "r"(v)); }

static uint64_t read_xcr0(void)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return lo | (uint64_t)hi << 32;
}

/* FSGSBASE for cheap TLS switches (wrfsbase 13 ns vs wrmsr 3.7 us on the
 * paravirtual host); OSXSAVE with every state component the CPU offers, so
 * context switches save AVX and AVX-512 state. Each control-register
 * access and cpuid is an exit on KVM (~20 us on the paravirtual host
 * under load): CR4 is known, as both entries set it (boot.S, abi.h), not
 * read, and leaf 0xd's size is taken from its first read. */
static void setup_cr4_xcr0(void)
{
	uint32_t r[4];
	uint64_t cr4 = UK_LONG_CR4;

	uk_cpuid(7, 0, r);
	if (r[1] & 1)
		cr4 |= 1ul << 16; /* FSGSBASE */
	uk_cpuid(1, 0, uk_cpuid1);
	if (uk_cpuid1[2] & (1u << 26))
		cr4 |= 1ul << 18; /* OSXSAVE */
	write_cr4(cr4);
	if (cr4 & (1ul << 18)) {
		uk_cpuid(0xd, 0, r);
		/* x87, SSE, AVX, AVX-512 (opmask, ZMM_Hi256, Hi16_ZMM) */
		uk_xsave_mask = (r[0] | (uint64_t)r[3] << 32) & 0xe7;
		/* ECX: the size for everything the CPU supports, whatever XCR0
		 * holds. The paravirtual host does not virtualise XCR0
		 * (pvm.md), so size for all. */
		uk_xsave_size = r[2];
		/* xsetbv is an exit; xgetbv is not, and on the paravirtual
		 * host XCR0 reads as the host's, all of these already. */
		if (read_xcr0() != uk_xsave_mask)
			__asm__ volatile("xsetbv"
			                 :
			                 : "c"(0), "a"((uint32_t)uk_xsave_mask),
			                   "d"((uint32_t)(uk_xsave_mask >> 32)));
		/* What XCR0 holds, not what was asked: xsave saves only the
		 * components it enables, and a host may not take the write
		 * (QEMU's emulated SVM left a nested guest's XCR0 at x87
		 * alone, so xsave lost the SSE registers at every switch:
		 * python's log(10) came out -733). xgetbv runs natively on
		 * every flavour. */
		uk_xsave_mask &= read_xcr0();
		uk_cpuid(0xd, 1, r);
		uk_xsaveopt = r[0] & 1;
	}
	if ((uk_xsave_mask & 3) != 3) { /* no xsave, or without SSE: fxsave */
		uk_xsave_mask = 0;
		uk_xsaveopt = 0;
		uk_xsave_size = 512;
	}
	uk_cr4 = cr4;
}

/* The physmap: 0..4 GiB in 2 MiB pages, the last GiB uncached (the
 * LAPIC, IOAPIC and virtio-mmio windows). The root's entry for its
 * tables is prebuilt (boot.S), and nothing walks them before this fill,
 * so the paravirtual host shadows none of them yet and these are plain
 * stores (a store into a table it shadows is trapped). */
static void make_physmap(void)
{
	extern uint64_t uk_physmap_pdpt[512], uk_physmap_pd[4 * 512];

	for (uint64_t i = 0; i < 4 * 512; i++)
		uk_physmap_pd[i] = i << 21 | (i >= 3 * 512 ? 0xff : 0xe7);
	for (uint64_t i = 0; i < 4; i++)
		uk_physmap_pdpt[i] = uk_v2p(&uk_physmap_pd[i * 512]) | 0x27;
}

void uk_cpu_init(void)
{
	/* The IDT first: until it is loaded, any fault is a triple fault,
	 * which ukrun can only report as such. */
	set_tss_desc();
	setup_idt();
	load_tables();
	make_physmap();
	setup_cr4_xcr0();
	/* Drop the boot identity map: address 0 must fault again. CR3 is
	 * known (both entries load the boot root), not read: a read is one
	 * more emulated instruction on the paravirtual host. */
	uk_pml4[0] = 0;
	__asm__ volatile("mov %0, %%cr3" : : "r"(uk_v2p(uk_pml4)) : "memory");
}

/* The legacy 8259 PICs, masked: KVM wires them to the LAPIC's LINT0
 * (ExtINT) with no vector base set, so an ISA pin raised for the IOAPIC
 * (ukrun's signal pin, devices past the eighth) would also come through
 * them, as a CPU exception's vector. */
void uk_cpu_mask_pic(void)
{
	uk_outb(0x21, 0xff);
	uk_outb(0xa1, 0xff);
}

/* Always the register: the paravirtual host leaves the VIF page's cr2 at 0
 * on a page fault, while mov %cr2 (trapped there: an exit to the host) is
 * right on both flavours (pvm.md rule 7). */
uint64_t uk_read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static volatile unsigned irq_count;

void uk_cpu_idle(void)
{
	if (uk_vif) {
		/* VIF if_=1 and hlt are two instructions, not one: an interrupt
		 * taken between them is not a reason to wake any more, so skip
		 * the hlt when one arrived since we decided to idle. Only the
		 * compare-to-hlt gap remains; the scheduler keeps the timer
		 * armed for sleepers, which bounds the damage. */
		unsigned seen = irq_count;
		uk_irq_enable();
		if (irq_count == seen)
			__asm__ volatile("hlt" ::: "memory");
		uk_irq_disable();
	} else {
		/* sti's one-instruction shadow makes sti;hlt atomic. */
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	}
}

void uk_irq_register(unsigned vector, uk_irq_handler fn, void *arg)
{
	irq_table[vector & 0xff].arg = arg;
	irq_table[vector & 0xff].fn = fn;
}

/* The paravirtual host runs the guest's CPL0 in hardware ring 3 (there
 * %cs reads 0x33): an iretq to the frame's CS 0x10 faults and the host
 * emulates it, one exit as costly as the exception's own delivery, while
 * an iretq to the selectors the hardware really uses is native. The host
 * cleared the VIF flag when it delivered the exception (an interrupt
 * gate), and a native iretq cannot set it back: that is done here, and
 * an interrupt already waiting goes the emulated way, so that it is taken
 * in the interrupted code as after a real iretq. An interrupt that
 * arrives in between lands on its own IST stack and leaves this frame
 * alone, which is why interrupts themselves (IST1) keep the emulated
 * return. */
static void native_return(struct uk_regs *r)
{
	uint64_t cs, ss;

	if (!uk_vif || r->cs != UK_SEL_KCODE)
		return;
	if (r->rflags & (1ul << 9)) {
		uk_vif->if_ = 1;
		uk_barrier();
		if (uk_vif->pending) {
			uk_vif->if_ = 0;
			return;
		}
	}
	__asm__ volatile("mov %%cs, %0; mov %%ss, %1" : "=r"(cs), "=r"(ss));
	r->cs = cs;
	r->ss = ss;
}

void uk_trap(struct uk_regs *r)
{
	unsigned v = r->vector & 0xff;

	if (v < 32) {
		uk_exception(r);
		native_return(r);
		return;
	}
	irq_count++;
	if (irq_table[v].fn)
		irq_table[v].fn(v, irq_table[v].arg);
	uk_intr_exit(r); /* preempt, or deliver a signal (libos/kernel/signal.c) */
}

/* ---- randomness ---- */

static int rdrand64(uint64_t *v)
{
	for (int i = 0; i < 16; i++) {
		unsigned char ok;
		__asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
		if (ok)
			return 1;
	}
	return 0;
}

long uk_random_fill(void *buf, size_t len)
{
	static int have = -1;
	size_t done = 0;

	if (have < 0) {
		uint32_t r[4];
		__asm__ volatile("cpuid"
		                 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
		                 : "a"(1), "c"(0));
		have = (r[2] >> 30) & 1;
	}
	if (!have)
		return -ENOSYS;
	while (done < len) {
		uint64_t v;
		size_t n = len - done < 8 ? len - done : 8;
		if (!rdrand64(&v))
			return done ? (long)done : -EAGAIN;
		uk_memcpy((char *)buf + done, &v, n);
		done += n;
	}
	return (long)done;
}
