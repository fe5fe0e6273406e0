/*
 * KVM on x86-64: the VM with its in-kernel irqchip and one vCPU entered at
 * the PVH 32-bit entry (the run loop: kvm_run_x86_64.c). Two KVM flavours: standard (VMX/SVM)
 * and the paravirtual nested one of our build machines (shared/platform/
 * pvm.md), told apart by an MSR probe; on the latter the guest's interrupt
 * flag lives in a VIF page registered here before the first KVM_RUN.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../image/image.h"
#include "virtio.h"
#include "vmm.h"

#define MSR_IA32_TSC 0x10
/* Entries KVM_GET_SUPPORTED_CPUID may return: Linux's own limit
 * (KVM_MAX_CPUID_ENTRIES), so one call suffices. */
#define CPUID_MAX 256

static int get_msr(struct vmm *vm, uint32_t index, uint64_t *val)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m = { .h.nmsrs = 1, .e.index = index };

	if (ioctl(vm->vcpu, KVM_GET_MSRS, &m) != 1)
		return -1;
	*val = m.e.data;
	return 0;
}

static int set_msr(struct vmm *vm, uint32_t index, uint64_t val)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m = { .h.nmsrs = 1, .e = { .index = index, .data = val } };

	return ioctl(vm->vcpu, KVM_SET_MSRS, &m) == 1 ? 0 : -1;
}

static int open_kvm(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	if (errno == ENOENT)
		vmm_err("/dev/kvm: no such device (KVM is not available on this machine)");
	else if (errno == EACCES || errno == EPERM)
		vmm_err("/dev/kvm: permission denied (add yourself to group kvm)");
	else
		vmm_err("/dev/kvm: %s", strerror(errno));
	return -1;
}

static void detect_flavour(struct vmm *vm)
{
	uint64_t sig = 0, khz = 0;

	vm->pvm = get_msr(vm, UK_PVM_MSR_SIG, &sig) == 0 && sig == UK_PVM_SIG;
	if (vm->pvm && get_msr(vm, UK_PVM_MSR_TSC_KHZ, &khz) == 0 && khz)
		vm->tsc_khz = (uint32_t)khz;
	if (!vm->tsc_khz) {
		int r = ioctl(vm->vcpu, KVM_GET_TSC_KHZ, 0);
		vm->tsc_khz = r > 0 ? (uint32_t)r : 0;
	}
	vmm_verbose(vm, "KVM flavour: %s, TSC %u kHz",
	            vm->pvm ? "paravirtual (PVM, VIF page)" : "standard (VMX/SVM)", vm->tsc_khz);
}

/* Both 8259 PICs masked from the host, as the guest would mask them with
 * two port writes (two exits); the guest is told (UK_PF_PIC_MASKED). */
static void mask_pics(struct vmm *vm)
{
	for (unsigned chip = KVM_IRQCHIP_PIC_MASTER; chip <= KVM_IRQCHIP_PIC_SLAVE; chip++) {
		struct kvm_irqchip c = { .chip_id = chip };
		if (ioctl(vm->vm, KVM_GET_IRQCHIP, &c))
			return;
		c.chip.pic.imr = 0xff;
		if (ioctl(vm->vm, KVM_SET_IRQCHIP, &c))
			return;
	}
	vm->pic_masked = 1;
}

/* The signal pin routed in the IOAPIC from here, as the guest would
 * with six register accesses (six exits); the guest is told
 * (UK_PF_SIGNAL_ROUTED). */
static void route_signal_pin(struct vmm *vm)
{
	struct kvm_irqchip c = { .chip_id = KVM_IRQCHIP_IOAPIC };

	if (ioctl(vm->vm, KVM_GET_IRQCHIP, &c))
		return;
	c.chip.ioapic.redirtbl[VMM_SIGNAL_PIN].bits = 0; /* fixed, physical, edge, APIC 0 */
	c.chip.ioapic.redirtbl[VMM_SIGNAL_PIN].fields.vector = UK_SIGNAL_VECTOR;
	if (ioctl(vm->vm, KVM_SET_IRQCHIP, &c))
		return;
	vm->signal_routed = 1;
}

/*
 * KVM_GET_SUPPORTED_CPUID asks /dev/kvm, not the VM, and takes 0.3-0.4 ms
 * on the paravirtual host: a thread asks it while ukrun makes the VM, its
 * memory, irqchip and vCPU (which wait for the VM's SRCU grace periods
 * more than they compute), and setup_cpuid joins it.
 */
struct cpuid_ask {
	pthread_t thread;
	int kvm, started, err;
	struct kvm_cpuid2 *c; /* allocated here, so the thread makes no malloc arena */
};

static void *supported_cpuid(void *arg)
{
	struct cpuid_ask *a = arg;

	a->err = ioctl(a->kvm, KVM_GET_SUPPORTED_CPUID, a->c) ? errno : 0;
	return NULL;
}

static void cpuid_ask(struct cpuid_ask *a, int kvm)
{
	a->kvm = kvm;
	if (!(a->c = calloc(1, sizeof(*a->c) + CPUID_MAX * sizeof(a->c->entries[0])))) {
		a->err = ENOMEM;
		return;
	}
	a->c->nent = CPUID_MAX;
	a->started = !pthread_create(&a->thread, NULL, supported_cpuid, a);
	if (!a->started)
		supported_cpuid(a); /* no thread: asked here */
}

static struct kvm_cpuid2 *cpuid_answer(struct cpuid_ask *a)
{
	if (a->started)
		pthread_join(a->thread, NULL);
	a->started = 0;
	if (a->err) {
		free(a->c);
		errno = a->err;
		return NULL;
	}
	return a->c;
}

static int setup_cpuid(struct vmm *vm, struct cpuid_ask *a)
{
	struct kvm_cpuid2 *c = cpuid_answer(a);
	int r = c ? 0 : -1;

	if (r == 0) {
		for (unsigned i = 0; i < c->nent; i++) {
			struct kvm_cpuid_entry2 *e = &c->entries[i];
			if (e->function == 1)
				e->ebx &= 0x00ffffff; /* APIC ID 0 */
			if (e->function == 0xb || e->function == 0x1f)
				e->edx = 0;
		}
		r = ioctl(vm->vcpu, KVM_SET_CPUID2, c);
	}
	if (r)
		vmm_err("%s: %s", c ? "KVM_SET_CPUID2" : "KVM_GET_SUPPORTED_CPUID",
		        strerror(errno));
	free(c);
	return r;
}

int vmm_kvm_init(struct vmm *vm, uint64_t mem)
{
	struct kvm_userspace_memory_region region;
	struct cpuid_ask ask = { .c = NULL };
	int r;

	if ((vm->kvm = open_kvm()) < 0)
		return -1;
	vm->t.kvm_open = vmm_now();
	if (ioctl(vm->kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		vmm_err("/dev/kvm: unexpected KVM API version");
		return -1;
	}
	cpuid_ask(&ask, vm->kvm);
	if ((vm->vm = ioctl(vm->kvm, KVM_CREATE_VM, 0)) < 0) {
		vmm_err("KVM_CREATE_VM: %s", strerror(errno));
		goto fail;
	}
	vm->t.vm_created = vmm_now();
	if ((r = vmm_mem_init(vm, mem))) {
		vmm_err("guest RAM of %llu MiB: %s", (unsigned long long)(mem >> 20), strerror(-r));
		goto fail;
	}
	/* The memory before the irqchip: each waits for an SRCU grace period
	 * of the VM, and one that follows the irqchip's waited 4-10 ms on the
	 * paravirtual host (whole scheduler ticks) where, first, it takes ~2
	 * and the irqchip after it ~0.1 (interleaved runs, load 6). */
	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = mem,
		.userspace_addr = (uint64_t)vm->ram,
	};
	if (ioctl(vm->vm, KVM_SET_USER_MEMORY_REGION, &region)) {
		vmm_err("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
		goto fail;
	}
	vm->t.mem_ready = vmm_now();
	/* Needed by VMX for real-mode emulation; harmless elsewhere. */
	ioctl(vm->vm, KVM_SET_TSS_ADDR, 0xfffbd000ul);
	if (ioctl(vm->vm, KVM_CREATE_IRQCHIP, 0)) {
		vmm_err("KVM_CREATE_IRQCHIP: %s", strerror(errno));
		goto fail;
	}
	mask_pics(vm);
	route_signal_pin(vm);
	/* After the VM's memory and irqchip, whose SRCU grace periods wait
	 * for a kernel worker that the jail's thread would keep from a core;
	 * before the vCPU, the CPUID and the image, beside which it runs
	 * (the jail waited for it otherwise). */
	vmm_jail_ahead();
	if ((vm->vcpu = ioctl(vm->vm, KVM_CREATE_VCPU, 0)) < 0) {
		vmm_err("KVM_CREATE_VCPU: %s", strerror(errno));
		goto fail;
	}
	vm->run_size = ioctl(vm->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu, 0);
	if (vm->run == MAP_FAILED) {
		vmm_err("mmap of the vCPU state: %s", strerror(errno));
		goto fail;
	}
	if (setup_cpuid(vm, &ask))
		return -1;
	detect_flavour(vm);
	return 0;
fail:
	free(cpuid_answer(&ask));
	return -1;
}

uint64_t vmm_guest_tsc(struct vmm *vm)
{
	uint64_t tsc = 0;

	get_msr(vm, MSR_IA32_TSC, &tsc);
	return tsc;
}

/* Long mode, as uk's long-mode entry asks (abi.h): the image's own GDT
 * and boot page tables, so the guest's first instruction runs natively
 * on the paravirtual host. */
static void long_mode(struct kvm_sregs *s, const struct uk_long_entry *l)
{
	s->cs.selector = UK_LONG_CS;
	s->cs.db = 0;
	s->cs.l = 1;
	s->ds.selector = s->es.selector = s->fs.selector = s->gs.selector = s->ss.selector =
	    UK_LONG_DS;
	s->gdt.base = l->gdt;
	s->gdt.limit = (uint16_t)l->gdt_limit;
	s->cr0 = UK_LONG_CR0;
	s->cr3 = l->pml4;
	s->cr4 = UK_LONG_CR4;
	s->efer = UK_LONG_EFER;
}

/* The PVH entry state: 32-bit protected mode, flat segments, paging off,
 * %ebx = start info; or long mode when the image has that entry too. */
int vmm_vcpu_init(struct vmm *vm, const struct uki_image *img)
{
	struct kvm_sregs s;
	struct kvm_regs r = { .rip = img->entry32, .rbx = UK_GPA_START_INFO, .rflags = 2 };
	struct kvm_segment code = {
		.base = 0,
		.limit = 0xffffffff,
		.selector = 0x8,
		.type = 0xb,
		.present = 1,
		.dpl = 0,
		.db = 1,
		.s = 1,
		.l = 0,
		.g = 1,
	};
	struct kvm_segment data = code;

	if (ioctl(vm->vcpu, KVM_GET_SREGS, &s))
		goto fail;
	data.type = 0x3;
	data.selector = 0x10;
	s.cs = code;
	s.ds = s.es = s.fs = s.gs = s.ss = data;
	s.tr = (struct kvm_segment){ .limit = 0x67, .type = 0xb, .present = 1, .selector = 0x18 };
	s.cr0 = 0x11; /* PE | ET */
	s.cr4 = 0;
	s.efer = 0;
	if (img->have_long) {
		long_mode(&s, &img->long_entry);
		r.rip = img->long_entry.entry;
	}
	vmm_verbose(vm, "entry: %s at %#llx", img->have_long ? "long mode" : "PVH 32-bit",
	            (unsigned long long)r.rip);
	if (ioctl(vm->vcpu, KVM_SET_SREGS, &s) || ioctl(vm->vcpu, KVM_SET_REGS, &r))
		goto fail;
	if (vm->pvm && set_msr(vm, UK_PVM_MSR_VIF, UK_GPA_VIF | UK_PVM_VIF_VMM)) {
		vmm_err("registering the VIF page (MSR %#x) failed", UK_PVM_MSR_VIF);
		return -1;
	}
	/* Written here, so that its host page is there and writable when the
	 * guest first touches it: untouched, that was three shadow faults
	 * (the zero page read, then its copy on the first write). */
	if (vm->pvm)
		memset(VMM_GPA(vm, UK_GPA_VIF, 4096), 0, 4096);
	vm->t.vcpu_ready = vmm_now();
	return 0;
fail:
	vmm_err("setting up the vCPU: %s", strerror(errno));
	return -1;
}
