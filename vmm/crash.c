/*
 * A crashed guest: its own report is already on stderr (vector, registers,
 * raw backtrace); here the code addresses get their function names from the
 * image's symbol table, read again only now so a normal boot pays nothing.
 * The image is still open from set-up (under the seccomp allow-list it
 * could not be opened again).
 */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../builder/image.h"
#include "vmm.h"

void vmm_crash_report(struct vmm *vm, const struct uk_hc_crash *c)
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
		    !ukb_image_symbol(img, size, pc[i], name, sizeof(name), &off))
			vmm_err("  %s %#llx %s+%#llx", i ? "called from" : "crashed in ",
			        (unsigned long long)pc[i], name, (unsigned long long)off);
		else
			vmm_err("  %s %#llx", i ? "called from" : "crashed in ",
			        (unsigned long long)pc[i]);
	}
	if (img != MAP_FAILED)
		munmap(img, size);
}
