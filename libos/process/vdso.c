/*
 * Mapping the vDSO (vdso_image.S) into a Linux program: a copy of the
 * image in fresh pages, its slots pointing at the library OS's own clock
 * calls, then read+execute. The program calls them like any function:
 * same privilege, same address space, no trap (~1.3 µs each saved on the
 * paravirtual host, pvm.md). Not traced, as Linux's vDSO calls are not.
 */
#include <uk/arch.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/sched.h>
#include <uk/syscall.h>
#include <uk/vm.h>

extern const char uk_vdso_image[], uk_vdso_image_end[], uk_vdso_slots[];

uint64_t uk_vdso_map(void)
{
	size_t size = uk_vdso_image_end - uk_vdso_image;
	size_t len = (size + UK_PAGE_SIZE - 1) & ~(UK_PAGE_SIZE - 1);
	long a = uk_vm_mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	uint64_t *slots;

	if (a < 0)
		return 0; /* C libraries then use the system calls */
	uk_memcpy((void *)a, uk_vdso_image, size);
	slots = (uint64_t *)(a + (uk_vdso_slots - uk_vdso_image));
	/* The implementations take six longs and ignore the unused ones:
	 * a C call with fewer arguments reaches them unchanged. */
	slots[0] = (uint64_t)uk_sys_clock_gettime;
	slots[1] = (uint64_t)uk_sys_gettimeofday;
	slots[2] = (uint64_t)uk_sys_time;
	slots[3] = (uint64_t)uk_sys_getcpu;
	slots[4] = (uint64_t)&uk_attention; /* checked on the way back */
	if (uk_vm_mprotect(a, len, PROT_READ | PROT_EXEC)) {
		uk_vm_munmap(a, len);
		return 0;
	}
	return (uint64_t)a;
}
