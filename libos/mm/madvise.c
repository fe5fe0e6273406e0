/*
 * Advice and residency: madvise, msync, mincore, mlock and friends.
 *
 * Memory is never swapped out in uk, so every page a program has touched
 * stays resident until it is unmapped: mlock's promise holds for all memory,
 * and success is the truthful answer. mlock also commits the range's pages
 * at once (as Linux prefaults a locked range), so a later touch cannot run
 * out of memory. mlockall commits nothing: areas reserved but never used
 * would otherwise take RAM; it behaves as MCL_ONFAULT.
 *
 * Link mode: a program's own code, data, heap (brk) and thread stacks live
 * in the upper half, outside the areas of mmap. They are always resident;
 * the calls treat them as mapped memory that cannot be released.
 */
#include <uk/arch.h>
#include <uk/linux.h>
#include <uk/libc.h>
#include <uk/mm.h>
#include <uk/paging.h>
#include <uk/proc.h>
#include <uk/syscall.h>
#include <uk/vm.h>

#include "vma.h"

#define PAGE UK_PAGE_SIZE
#define PAGE_MASK (UK_PAGE_SIZE - 1)
#define UK_UPPER_HALF 0xffff800000000000ul /* the first canonical address above the user range */

/* [*start, *end) from addr and len: 0, -EINVAL (unaligned) or -ENOMEM
 * (outside the user range). Upper-half ranges give 1. */
static int range(uintptr_t addr, size_t len, uintptr_t *start, uintptr_t *end)
{
	if (addr & PAGE_MASK)
		return -EINVAL;
	len = (len + PAGE_MASK) & ~PAGE_MASK;
	if (addr + len < addr)
		return -ENOMEM;
	*start = addr;
	*end = addr + len;
	/* the upper half's, canonical addresses only, for a linked program
	 * (a Linux program, which has its exe, sees Linux's ENOMEM there) */
	if (addr >= UK_VM_END)
		return addr >= UK_UPPER_HALF && !uk_proc_cur->exe[0] ? 1 : -ENOMEM;
	return *end > UK_VM_END ? -ENOMEM : 0;
}

/* Private areas in [start, end) lose their pages: anonymous memory reads
 * as zero afterwards, a file's pages are filled from the file again.
 * Shared memory keeps its contents. */
static int dontneed(uintptr_t start, uintptr_t end)
{
	uintptr_t a = start;
	int r = 0;

	/* Filling from a file may block, and another thread may change the
	 * areas meanwhile: find the next one afresh each time. */
	while (a < end && !r) {
		struct uk_vma *v = uk_vma_find(&uk_vm_as, a);
		uintptr_t e;
		if (!v || v->start >= end)
			break;
		if (v->start > a)
			a = v->start;
		e = v->end < end ? v->end : end;
		if (!(v->flags & UK_VMA_SHARED)) {
			uk_vm_release(a, e);
			if (v->file)
				r = uk_vm_file_fill(v, a, e);
		}
		a = e;
	}
	return r;
}

/* MADV_REMOVE: shared memory in RAM loses the pages of [start, end),
 * which read as zero afterwards. */
static int punch(uintptr_t start, uintptr_t end)
{
	struct uk_vma *v;
	int r = 0;

	for (v = uk_vma_find(&uk_vm_as, start); v && v->start < end; v = v->next) {
		if (!uk_vm_file_shares(v))
			return -EINVAL; /* Linux: only shared memory has holes to punch */
		if (!(v->prot & PROT_WRITE))
			return -EACCES;
	}
	uk_vm_release(start, end);
	for (v = uk_vma_find(&uk_vm_as, start); v && v->start < end && !r; v = v->next)
		r = uk_vm_file_zero(v, v->start > start ? v->start : start,
		                    v->end < end ? v->end : end);
	return r;
}

/* Advice about the upper half (link mode): only the heap can be dropped,
 * and dropping it means zeroing it. */
static long madvise_upper(uintptr_t start, uintptr_t end, int advice)
{
	uintptr_t lo = uk_brk_start(), hi = uk_brk_set(0);

	if (advice != MADV_DONTNEED && advice != MADV_REMOVE)
		return 0;
	if (advice == MADV_REMOVE || start < lo || end > ((hi + PAGE_MASK) & ~PAGE_MASK)) {
		uk_trace_note("madvise: memory outside mmap areas cannot be released");
		return -EINVAL;
	}
	uk_memset((void *)start, 0, (end < hi ? end : hi) - start);
	return 0;
}

/* Linux's advice values: 0-4 and 8-25 (5-7 were never used). */
static int advice_known(int advice)
{
	return (advice >= MADV_NORMAL && advice <= MADV_DONTNEED) ||
	       (advice >= MADV_FREE && advice <= MADV_COLLAPSE);
}

static long populate_checked(uintptr_t start, uintptr_t end, int advice)
{
	for (struct uk_vma *v = uk_vma_find(&uk_vm_as, start); v && v->start < end; v = v->next)
		if (!(v->prot & (advice == MADV_POPULATE_WRITE ? PROT_WRITE : PROT_READ)))
			return -EINVAL;
	return uk_vm_populate(start, end);
}

UK_SYSCALL3(madvise, uintptr_t, addr, size_t, len, int, advice)
{
	uintptr_t start, end;
	int r = range(addr, len, &start, &end), covered;

	if (!advice_known(advice)) {
		if (advice == MADV_HWPOISON || advice == MADV_SOFT_OFFLINE)
			uk_trace_note("madvise: uk cannot poison or offline pages");
		return -EINVAL;
	}
	if (r < 0)
		return r;
	if (start == end)
		return 0;
	if (r == 1)
		return madvise_upper(start, end, advice);
	covered = uk_vma_range_covered(&uk_vm_as, start, end);
	switch (advice) {
	case MADV_DONTNEED:
	case MADV_DONTNEED_LOCKED:
	case MADV_FREE:
		/* contents "may" go: they do, at once */
		if ((r = dontneed(start, end)))
			return r;
		break;
	case MADV_REMOVE:
		if ((r = punch(start, end)))
			return r;
		break;
	case MADV_WILLNEED:
		uk_vm_populate(start, end); /* a hint: failing to act is fine */
		break;
	case MADV_POPULATE_READ:
	case MADV_POPULATE_WRITE:
		if (!covered)
			return -ENOMEM;
		return populate_checked(start, end, advice);
	}
	return covered ? 0 : -ENOMEM;
}

UK_SYSCALL3(msync, uintptr_t, addr, size_t, len, int, flags)
{
	uintptr_t start, end;
	int r;

	if (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC))
		return -EINVAL;
	if ((flags & MS_ASYNC) && (flags & MS_SYNC))
		return -EINVAL;
	if ((r = range(addr, len, &start, &end)) < 0)
		return r;
	/* Nothing is written back: only private and anonymous memory exists. */
	if (r == 1 || start == end)
		return 0;
	return uk_vma_range_covered(&uk_vm_as, start, end) ? 0 : -ENOMEM;
}

UK_SYSCALL3(mincore, uintptr_t, addr, size_t, len, unsigned char *, vec)
{
	uintptr_t start, end;
	int r;

	if ((r = range(addr, len, &start, &end)) < 0)
		return r;
	if (r == 0 && !uk_vma_range_covered(&uk_vm_as, start, end))
		return -ENOMEM;
	/* Above the user range only what is mapped there is memory (link
	 * mode's own); anything else, non-canonical addresses included, is
	 * ENOMEM as on Linux: gnulib's stack probe (grep, sed, coreutils
	 * without /proc/self/maps) walks up until mincore fails. */
	for (uintptr_t a = start; r == 1 && a < end; a += PAGE)
		if (uk_virt_to_phys(a) == ~0ull)
			return -ENOMEM;
	for (uintptr_t a = start; a < end; a += PAGE) {
		uint64_t pa = r == 1 ? uk_virt_to_phys(a) : uk_page_held(a);
		vec[(a - start) / PAGE] = pa != ~0ull;
	}
	return 0;
}

/* mlock rounds the start down instead of refusing it. */
static int lock_range(uintptr_t addr, size_t len, uintptr_t *start, uintptr_t *end)
{
	uintptr_t a = addr & ~PAGE_MASK;

	if (len + (addr - a) < len)
		return -ENOMEM;
	return range(a, len + (addr - a), start, end);
}

UK_SYSCALL2(mlock, uintptr_t, addr, size_t, len)
{
	uintptr_t start, end;
	int r = lock_range(addr, len, &start, &end);

	if (r)
		return r < 0 ? r : 0;
	if (!uk_vma_range_covered(&uk_vm_as, start, end))
		return -ENOMEM;
	return uk_vm_populate(start, end) ? -EAGAIN : 0; /* Linux: EAGAIN, could not lock */
}

UK_SYSCALL2(munlock, uintptr_t, addr, size_t, len)
{
	uintptr_t start, end;
	int r = lock_range(addr, len, &start, &end);

	if (r)
		return r < 0 ? r : 0;
	return uk_vma_range_covered(&uk_vm_as, start, end) ? 0 : -ENOMEM;
}

UK_SYSCALL1(mlockall, int, flags)
{
	if (!flags || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) || flags == MCL_ONFAULT)
		return -EINVAL;
	return 0;
}

UK_SYSCALL0(munlockall) { return 0; }
