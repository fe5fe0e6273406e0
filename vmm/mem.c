/* Guest RAM, and the checked accessor every guest address goes through. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "vmm.h"

#define HUGE (2ull << 20)

int vmm_mem_init(struct vmm *vm, uint64_t size)
{
	/* NORESERVE: only pages the guest touches cost host memory. */
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	vm->ram = p;
	vm->ram_size = size;
	return 0;
}

/* Where the guest's own allocations go (everything above the image), host
 * transparent huge pages when the host has them (its THP mode "madvise"
 * or "always"). On the paravirtual host a first touch of guest memory is
 * an exit per 4 KiB page unless the host page behind it is 2 MiB: then
 * one shadow-paging fault maps the whole 2 MiB of a guest large page (the
 * library OS's physmap) and a fault on a 4 KiB guest page maps its present
 * neighbours with it. Measured there: the first write to each page of 64
 * MiB of fresh break 47 -> 12.6 us a page. The image's range keeps 4 KiB
 * pages: ukrun writes it whole before the guest runs, and 2 MiB host pages
 * cost more to fill there (java.img, 207 MB: loaded in 0.46 s on 4 KiB
 * pages, 1.4 s on 2 MiB ones; the host's fresh memory is itself faulted in
 * by the machine below it). Host memory then grows in 2 MiB steps where
 * the guest touches it. */
void vmm_mem_huge(struct vmm *vm, uint64_t from)
{
	from = (from + HUGE - 1) & ~(HUGE - 1);
	if (from < vm->ram_size && madvise(vm->ram + from, vm->ram_size - from, MADV_HUGEPAGE))
		vmm_verbose(vm, "guest RAM above %#llx stays in 4 KiB host pages: madvise: %s",
		            (unsigned long long)from, strerror(errno));
}

void *vmm_gpa_check(struct vmm *vm, uint64_t gpa, uint64_t len, const char *file, int line)
{
	if (gpa > vm->ram_size || len > vm->ram_size - gpa) {
		vmm_guest_err(" (%s:%d): guest range %#llx+%#llx lies outside "
		              "its %llu MiB of RAM",
		              file, line, (unsigned long long)gpa, (unsigned long long)len,
		              (unsigned long long)(vm->ram_size >> 20));
		return NULL;
	}
	return vm->ram + gpa;
}
