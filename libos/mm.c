/*
 * Guest physical memory. The largest RAM region above the image is split:
 * the program break grows up from its bottom, boot-time allocations
 * (stacks, argument copies) come down from its top. Addresses handed out
 * are physmap addresses.
 */
#include <uk/arch.h>
#include <uk/libc.h>
#include <uk/mm.h>
#include <uk/plat.h>
#include <uk/print.h>

extern char __uk_image_end[];

static uint64_t ram_total;
static uintptr_t region_lo, top;    /* the region, physmap addresses */
static uintptr_t brk_start, brk_cur, brk_hi;

#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((uintptr_t)(a) - 1))

void uk_mm_init(void)
{
	uint64_t floor = ALIGN_UP(uk_v2p(__uk_image_end), UK_PAGE_SIZE);
	uint64_t best_lo = 0, best_hi = 0;

	if (uk_plat.mod_end > floor)
		floor = ALIGN_UP(uk_plat.mod_end, UK_PAGE_SIZE);
	for (unsigned i = 0; i < uk_plat.nmem; i++) {
		const struct hvm_memmap_table_entry *m = &uk_plat.mem[i];
		uint64_t lo = m->addr, hi = m->addr + m->size;
		if (m->type != UK_E820_RAM)
			continue;
		ram_total += m->size;
		if (hi > UK_PHYSMAP_SIZE)
			hi = UK_PHYSMAP_SIZE;
		if (lo < floor)
			lo = floor;
		if (hi > lo && hi - lo > best_hi - best_lo)
			best_lo = lo, best_hi = hi;
	}
	if (best_hi - best_lo < (1u << 20))
		uk_panic("no usable RAM above the image (memory map has %u entries)", uk_plat.nmem);
	region_lo = (uintptr_t)uk_p2v(best_lo);
	top = (uintptr_t)uk_p2v(best_hi & ~(UK_PAGE_SIZE - 1));
	brk_start = brk_cur = brk_hi = region_lo;
}

void *uk_palloc(size_t size, size_t align)
{
	uintptr_t p;

	if (align < 16)
		align = 16;
	if (size > top - brk_cur)
		return 0;
	p = (top - size) & ~(align - 1);
	if (p < brk_hi)
		return 0;
	top = p;
	return (void *)p; /* fresh guest RAM is zero */
}

uint64_t uk_mm_total(void) { return ram_total; }

uint64_t uk_mm_free(void) { return top - brk_cur; }

uintptr_t uk_brk_start(void) { return brk_start; }

/* Linux semantics: returns the new break, or the old one when the request
 * cannot be met; memory given again after a shrink reads as zero. */
uintptr_t uk_brk_set(uintptr_t want)
{
	if (want < brk_start || want > top)
		return brk_cur;
	if (want > brk_cur && brk_cur < brk_hi)
		uk_memset((void *)brk_cur, 0, (want < brk_hi ? want : brk_hi) - brk_cur);
	brk_cur = want;
	if (want > brk_hi)
		brk_hi = want;
	return brk_cur;
}
