/*
 * Whether a program's pointer names its own memory, for the checks binary
 * mode makes before a system call touches it (process/binary_uaccess.c).
 *
 * The answer comes from the areas, not the page tables: a page not yet
 * committed is the program's all the same (the call's first touch commits
 * it through uk_vm_fault, as the program's own would), while a PROT_NONE
 * page, a read-only one the call would write, a hole, the library OS's
 * upper half and a non-canonical address are not.
 */
#include <uk/arch.h>
#include <uk/linux.h>
#include <uk/vm.h>

#include "vma.h"

#define PAGE UK_PAGE_SIZE

/* The area holding addr, or the first above it: one of the last two
 * found, else a walk from the nearer, backwards or forwards. */
static struct uk_vma *area_from(uintptr_t addr)
{
	struct uk_vma_set *s = &uk_vm_as;
	struct uk_vma *v = s->cache, *u = s->cache2;

	if (v && v->start <= addr && addr < v->end)
		return v;
	if (u && u->start <= addr && addr < u->end) {
		s->cache2 = v;
		return s->cache = u;
	}
	if (!v)
		v = s->head;
	while (v && v->prev && v->prev->end > addr)
		v = v->prev;
	while (v && v->end <= addr)
		v = v->next;
	if (v && v != s->cache) {
		s->cache2 = s->cache;
		s->cache = v;
	}
	return v;
}

size_t uk_vm_user_span(uintptr_t addr, size_t len, int write)
{
	unsigned need = write ? PROT_WRITE : PROT_READ | PROT_WRITE | PROT_EXEC;
	uintptr_t a = addr, end;
	struct uk_vma *v;

	if (addr >= UK_VM_END || !len)
		return 0;
	end = len > UK_VM_END - addr ? UK_VM_END : addr + len;
	for (v = area_from(a); a < end; v = v->next) {
		if (!v || v->start > a || !(v->prot & need))
			break;
		a = v->end < end ? v->end : end;
	}
	return a - addr;
}

int uk_vm_user_str(uintptr_t addr, size_t max)
{
	uintptr_t a = addr;

	while (a - addr < max) {
		size_t room = PAGE - (a & (PAGE - 1)), span = uk_vm_user_span(a, room, 0);
		for (const char *p = (const char *)a; p < (const char *)(a + span); p++)
			if (!*p)
				return 0;
		if (span < room)
			return -EFAULT;
		a += room;
	}
	return 0; /* longer than any path: the call says ENAMETOOLONG */
}
