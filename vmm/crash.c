/*
 * A crashed guest: its own report is already on stderr (vector, registers,
 * raw backtrace); here the code addresses get their function names from the
 * image's symbol table, read again only now so a normal boot pays nothing.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../builder/image.h"
#include "vmm.h"

void vmm_crash_report(struct vmm *vm, const struct uk_hc_crash *c)
{
	uint64_t pc[UK_CRASH_MAX_PC];
	uint32_t n = c->npc; /* read once: guest memory */
	struct stat st;
	void *img = MAP_FAILED;
	int fd;

	if (n > UK_CRASH_MAX_PC)
		n = UK_CRASH_MAX_PC;
	for (uint32_t i = 0; i < n; i++)
		pc[i] = c->pc[i];
	fd = open(vm->opts->image, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && !fstat(fd, &st) && st.st_size)
		img = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (fd >= 0)
		close(fd);
	for (uint32_t i = 0; i < n; i++) {
		char name[128];
		uint64_t off;
		if (img != MAP_FAILED && !ukb_image_symbol(img, st.st_size, pc[i], name,
							   sizeof(name), &off))
			vmm_err("  %s %#llx %s+%#llx", i ? "called from" : "crashed in ",
				(unsigned long long)pc[i], name, (unsigned long long)off);
		else
			vmm_err("  %s %#llx", i ? "called from" : "crashed in ",
				(unsigned long long)pc[i]);
	}
	if (img != MAP_FAILED)
		munmap(img, st.st_size);
}
