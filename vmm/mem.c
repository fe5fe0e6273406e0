/* Guest RAM, and the checked accessor every guest address goes through. */
#include <errno.h>
#include <sys/mman.h>

#include "vmm.h"

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
