/*
 * A crashed guest: its own report is already on stderr (vector, registers,
 * raw backtrace); here the code addresses get their function names from the
 * image's symbol table, read again only now so a normal boot pays nothing.
 * The image is still open from set-up (under the seccomp allow-list it
 * could not be opened again). A guest that failed without a report (a
 * triple fault, a dead vCPU) gets one from what KVM knows: its registers
 * and the frame-pointer chain on its stack.
 */
#include <linux/kvm.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../image/image.h"
#include "vmm.h"

void vmm_crash_report(struct vmm *vm, const struct uk_hc_crash *c, const char *first)
{
	uint64_t pc[UK_CRASH_MAX_PC];
	uint32_t n = c->npc; /* read once: guest memory */
	off_t size = vm->image_fd >= 0 ? lseek(vm->image_fd, 0, SEEK_END) : -1;
	void *img = MAP_FAILED;

	if (n > UK_CRASH_MAX_PC)
		n = UK_CRASH_MAX_PC;
	for (uint32_t i = 0; i < n; i++)
		pc[i] = c->pc[i];
	if (size > 0)
		img = mmap(NULL, size, PROT_READ, MAP_PRIVATE, vm->image_fd, 0);
	for (uint32_t i = 0; i < n; i++) {
		char name[128];
		uint64_t off;
		if (img != MAP_FAILED &&
		    !uki_image_symbol(img, size, pc[i], name, sizeof(name), &off))
			vmm_err("  %-11s %#llx %s+%#llx", i ? "called from" : first,
			        (unsigned long long)pc[i], name, (unsigned long long)off);
		else
			vmm_err("  %-11s %#llx", i ? "called from" : first,
			        (unsigned long long)pc[i]);
	}
	if (img != MAP_FAILED)
		munmap(img, size);
}

/* The 16 bytes of a stack frame (saved rbp, return address) at guest
 * virtual address fp, or NULL. The chain may point anywhere: a frame
 * outside RAM ends the walk quietly, before VMM_GPA would call it an ABI
 * break. */
const uint64_t *vmm_guest_frame(struct vmm *vm, uint64_t fp)
{
	struct kvm_translation t = { .linear_address = fp };

	if ((fp & 7) || (fp & 0xfff) > 0x1000 - 16 || ioctl(vm->vcpu, KVM_TRANSLATE, &t) ||
	    !t.valid || t.physical_address > vm->ram_size - 16)
		return NULL;
	return VMM_GPA(vm, t.physical_address, 16);
}

void vmm_crash_regs(struct vmm *vm, const char *first)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	struct uk_hc_crash c = { .npc = 1 };
	const uint64_t *f;

	if (ioctl(vm->vcpu, KVM_GET_REGS, &r) || ioctl(vm->vcpu, KVM_GET_SREGS, &s))
		return;
	if (!(s.cr0 & 1)) { /* real mode: the guest never goes back there */
		vmm_err("  KVM reset the vCPU (AMD's SVM does at a triple fault): its registers at "
		        "the fault are lost");
		return;
	}
	vmm_err("  rip %#llx rsp %#llx rbp %#llx rflags %#llx", r.rip, r.rsp, r.rbp, r.rflags);
	vmm_err("  cr0 %#llx cr2 %#llx cr3 %#llx cr4 %#llx efer %#llx", s.cr0, s.cr2, s.cr3, s.cr4,
	        s.efer);
	c.pc[0] = r.rip;
	/* Frames grow upwards; anything else is a corrupt chain. */
	for (uint64_t fp = r.rbp; c.npc < UK_CRASH_MAX_PC && (f = vmm_guest_frame(vm, fp)) && f[1];
	     fp = f[0]) {
		c.pc[c.npc++] = f[1];
		if (f[0] <= fp)
			break;
	}
	vmm_crash_report(vm, &c, first);
}
