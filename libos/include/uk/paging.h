/*
 * 4 KiB mappings beyond the boot-time 2 MiB maps: thread stacks with guard
 * pages (a stack overflow faults instead of corrupting memory), and later
 * the address space of a loaded Linux program. Every entry at every level
 * has U/S=1 (pvm.md).
 */
#ifndef UK_PAGING_H
#define UK_PAGING_H

#include <stddef.h>
#include <stdint.h>

#define UK_MAP_W 0x1    /* writable */
#define UK_MAP_X 0x2    /* executable (else NX) */
#define UK_MAP_NONE 0x4 /* keep the page, but inaccessible (PROT_NONE) */

/* Map n pages at va to physical pa..; replaces what was there. Returns 0 or
 * -ENOMEM (page-table pages) or -EINVAL (va inside a 2 MiB mapping). */
int uk_map_pages(uintptr_t va, uint64_t pa, size_t n, unsigned flags);
/* Remove mappings (absent pages are fine); flushes the TLB entries. */
void uk_unmap_pages(uintptr_t va, size_t n);
/* Physical address of a mapped virtual address, or ~0 when unmapped. */
uint64_t uk_virt_to_phys(uintptr_t va);

/* Ranges of the application's address space (libos/mm/). A page "held"
 * is mapped, or kept inaccessible by UK_MAP_NONE. */
/* Remove the pages held in [va, va + n pages), handing each frame's
 * physical address to release (NULL: the caller keeps the frames); page
 * tables left empty are freed. */
void uk_unmap_range(uintptr_t va, size_t n, void (*release)(uint64_t pa, void *arg), void *arg);
/* New UK_MAP_* flags for the pages held in the range; absent pages stay so. */
void uk_protect_range(uintptr_t va, size_t n, unsigned flags);
/* Move the pages held in [src, src + n pages) to dst, where nothing is
 * held: 0, or -ENOMEM (page tables) with nothing moved. */
int uk_move_range(uintptr_t dst, uintptr_t src, size_t n);
/* Physical address of the page held at va, or ~0 when none. */
uint64_t uk_page_held(uintptr_t va);

/* ---- address spaces (a root per process; the kernel half shared) ---- */

/* For /proc, in any root (loaded or not): the physical address of the
 * page held at va, or ~0 when none; how many pages are held in [lo, hi)
 * of the lower half. */
uint64_t uk_pt_held(uint64_t *root, uintptr_t va);
uint64_t uk_pt_count(uint64_t *root, uintptr_t lo, uintptr_t hi);

/* The boot tables' root: process 1's until it forks or execs, then the
 * library OS's own (an empty lower half). */
extern uint64_t uk_pml4[];
/* The root in use. */
uint64_t *uk_pt_current(void);
/* A new root: an empty lower half, the kernel half of every root. NULL
 * when out of memory. */
uint64_t *uk_pt_new(void);
/* Load root (CR3). */
void uk_pt_switch(uint64_t *root);
/* Free root, which must not be in use (it is left if it is): the frames of
 * its lower half go to release (NULL: nobody's), then its tables. */
void uk_pt_destroy(uint64_t *root, void (*release)(uint64_t pa, void *arg), void *arg);
/* fork: copies of the root in use's lower half into two new roots, the
 * parent's (loaded in its place; the old tables are freed) and the
 * child's. Pages where shared(va) is 0 become read-only and copy-on-write
 * in both; ref(pa) is called once per frame, now held twice. 0 or
 * -ENOMEM with nothing changed. */
int uk_pt_fork(uint64_t **parent, uint64_t **child, int (*shared)(uintptr_t va, void *arg),
               void (*ref)(uint64_t pa, void *arg), void *arg);
/* Whether the page held at va is copy-on-write. */
int uk_pt_cow(uintptr_t va);

/* Thread stacks: size bytes (rounded up to pages, at most 64 MiB - 4 KiB)
 * above an unmapped guard page, committed on demand as the stack grows.
 * Returns the lowest usable address or NULL. */
void *uk_stack_alloc(size_t size);
void uk_stack_free(void *stack, size_t size);
/* From the #PF handler: commit the stack page holding addr; 1 if done. */
int uk_stack_fault(uintptr_t addr);
/* Whether addr lies in a stack's guard page (a stack overflow). */
int uk_stack_guard_hit(uintptr_t addr);

#endif
