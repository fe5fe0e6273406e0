/*
 * Guest physical memory: a page allocator, the kernel heap, and the program
 * break. All addresses handed out are physmap (or kernel image) addresses,
 * physically contiguous, usable for DMA through uk_v2p().
 *
 * Layout: the largest RAM region above the image. The break grows up from
 * its bottom; pages are allocated from the top down; they meet when memory
 * is exhausted, and then allocations fail (-ENOMEM / NULL), never crash.
 */
#ifndef UK_MM_H
#define UK_MM_H

#include <stddef.h>
#include <stdint.h>

/* Mappings a process may have (Linux's vm.max_map_count). */
#define UK_MAX_MAP_COUNT 65530

void uk_mm_init(void);

/* n contiguous 4 KiB pages, or NULL: uninitialised, or zeroed. Pages the
 * guest never touched are known to be zero and are not written again. */
void *uk_pages_alloc(size_t n);
void *uk_pages_zalloc(size_t n);
void uk_pages_free(void *p, size_t n);
/* One page for the page-fault handler, which may interrupt the allocator
 * itself: taken from a small reserve. */
void *uk_page_alloc_fault(void);

/* Pages with more than one holder: a frame that several processes' page
 * tables map after fork, a RAM file's page mapped MAP_SHARED. Counts of
 * the holders beyond the first, made by uk_page_refs_prepare (before the
 * first such sharing: 4 bytes a page of RAM; 0 or -ENOMEM); until then
 * every page has one holder. Safe with interrupts disabled. */
int uk_page_refs_prepare(void);
void uk_page_ref(uint64_t pa);
/* Whether the page at pa has holders beyond one. */
int uk_page_shared(uint64_t pa);
/* One holder lets go of pa: 1 when others still hold it (then it stays),
 * 0 when that was the last (the caller frees it). */
int uk_page_unref(uint64_t pa);
/* Pages of the image below the allocator's memory (the library OS, the
 * root filesystem's archive, whose file pages are mapped into programs:
 * libos/mm/mmap_file.c) count as always shared: never freed, copied when
 * a private mapping writes them. */
int uk_page_of_image(uint64_t pa);
/* One holder lets go of the page p (a physmap address): freed at the
 * last. */
void uk_page_put(void *p);

/* The kernel heap (library OS objects; never the application's). Zeroed
 * memory, 16-byte aligned; NULL when memory is exhausted. */
void *uk_kmalloc(size_t size);
void *uk_kzalloc(size_t size); /* same, spelled for readers */
void uk_kfree(void *p);
/* The same, but a block over 2 KiB (pages of its own) is not zeroed: for
 * buffers their owner fills before it reads them (lwIP's: a 16 KiB TCP
 * segment's five pages were zeroed for every send, 12-15 % of the vCPU's
 * time under a 100 KiB answer). Smaller ones are zero all the same. */
void *uk_kmalloc_dirty(size_t size);
/* Usable size of a uk_kmalloc block. */
size_t uk_ksize(const void *p);

/* Boot-time allocation that is never freed (same rules as uk_pages_alloc). */
void *uk_palloc(size_t size, size_t align);

/* Bytes of RAM, and bytes not yet allocated (for sysinfo, /proc/meminfo). */
uint64_t uk_mm_total(void);
uint64_t uk_mm_free(void);
/* The end of the physical memory pages come from. */
uint64_t uk_mm_phys_end(void);

/* brk(2): the current break moves within [uk_brk_start(), top of free). */
uintptr_t uk_brk_start(void);
uintptr_t uk_brk_set(uintptr_t want);

#endif
