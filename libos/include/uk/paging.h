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
#define UK_MAP_COW 0x8  /* with UK_MAP_W: read-only until a write copies it */

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
/* New UK_MAP_* flags for the pages held in the range; absent pages stay so.
 * With UK_MAP_W, a page whose frame another holds (held(pa), when not
 * NULL) or that is copy-on-write stays read-only and copy-on-write. */
void uk_protect_range(uintptr_t va, size_t n, unsigned flags, int (*held)(uint64_t pa, void *arg),
                      void *arg);
/* Hold back the flushes of permissions uk_protect_range takes away, and
 * of present entries uk_map_pages replaces, until the matching
 * uk_pt_flush_release (holds nest), which then flushes everything once if
 * any was held: for a loader that makes many pages read-only at once, or
 * gives code pages copies before it writes them, and relies on none of
 * them being used meanwhile but to read what they held (permissions added
 * are flushed at once: a stale entry would fault where the page allows
 * the access). */
void uk_pt_flush_hold(void);
void uk_pt_flush_release(void);
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
 * its lower half go to release (NULL: nobody's), its tables are kept for
 * a later uk_pt_fork or uk_pt_settle, under tag (what they mapped: the
 * same program, or a child of the same process). */
void uk_pt_destroy(uint64_t *root, uint64_t tag, void (*release)(uint64_t pa, void *arg),
                   void *arg);
/* fork: a copy of the root in use's lower half for the child, and the
 * parent's root (the one in use, or a new one loaded in its place). When
 * at most max_copies private pages are writable, the parent keeps its
 * tables untouched and the child gets ops->copy's copies of those pages;
 * otherwise both get new tables where private pages are read-only. Other
 * private pages are shared, read-only and copy-on-write (in the child; in
 * the parent too where it gets new tables). Shared pages (ops->shared) are
 * the same in both. ops->ref(pa) is called once per frame now held twice.
 * 0 or -ENOMEM with nothing changed. */
struct uk_pt_fork_ops {
	int (*shared)(uintptr_t va, void *arg);
	void (*ref)(uint64_t pa, void *arg);
	/* A copy of the frame at pa, mapped at va: its physical address, ~0
	 * when out of memory (the page is then shared copy-on-write after
	 * all), 0 when the child needs none (the page reads as zero and a
	 * first touch gives a zeroed page). */
	uint64_t (*copy)(uint64_t pa, uintptr_t va, void *arg);
	void *arg;
};
int uk_pt_fork(uint64_t **parent, uint64_t **child, const struct uk_pt_fork_ops *ops,
               size_t max_copies, uint64_t tag);
/* The root in use's contents moved into the tables kept under tag, which
 * are loaded in its place; the root in use now (the same one when none
 * are kept under tag, or without memory). */
uint64_t *uk_pt_settle(uint64_t tag);
/* Whether the page held at va is copy-on-write. */
int uk_pt_cow(uintptr_t va);

/* What address spaces cost, counted since boot: the work that is the
 * same on any machine (on the paravirtual host each fault, table page,
 * CR3 load and flush is host work; pvm.md). /proc/vmstat shows them. */
struct uk_vm_counts {
	uint64_t pgfault;    /* page faults taken (#PF), resolved or not */
	uint64_t pt_alloc;   /* page-table pages allocated */
	uint64_t cr3_load;   /* roots loaded */
	uint64_t invlpg;     /* single-page flushes */
	uint64_t tlb_flush;  /* whole flushes (CR3 reloads) */
	uint64_t pte_write;  /* entries written in tables in use (each a trapped
	                      * store on the paravirtual host) */
	uint64_t cow_copy;   /* pages copied by a write to a shared one */
	uint64_t cow_reuse;  /* copy-on-write pages taken back without a copy */
	uint64_t fork_copy;  /* pages copied at fork instead of shared */
	uint64_t file_copy;  /* pages copied from a file into a private mapping */
	uint64_t file_share; /* file pages mapped without a copy */
	uint64_t file_image; /* of them, the image archive's (private mappings) */
	uint64_t code_scan;  /* bytes of code scanned for system-call sites */
	uint64_t code_kept;  /* pages of rewritten code mapped as an earlier exec
	                      * left them (binary_rewrite.c) */
	uint64_t pt_queued;  /* freed page-table pages the allocator does not have
	                      * back yet (paging.c's queue: at most 1024) */
};
extern struct uk_vm_counts uk_vm_counts;

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
