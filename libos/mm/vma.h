/*
 * The application's mappings as a sorted list of areas (VMAs), private to
 * libos/mm/. Pure bookkeeping over uk_kmalloc: no page tables, so the host
 * unit tests (tests/unit/test_vma.c) exercise it under ASan.
 *
 * A list rather than a tree: programs keep tens to a few thousand areas,
 * neighbours with equal attributes are merged, and the fault path starts
 * from the last area found. If profiles ever show the walk, an augmented
 * tree can replace it behind these functions.
 */
#ifndef UK_MM_VMA_H
#define UK_MM_VMA_H

#include <stddef.h>
#include <stdint.h>

#define UK_VMA_SHARED 0x1    /* MAP_SHARED */
#define UK_VMA_NORESERVE 0x2 /* MAP_NORESERVE: never refused for its size */
#define UK_VMA_STACK 0x4     /* MAP_STACK: no fault-around (mmap.c) */
#define UK_VMA_MAYWRITE 0x8  /* mprotect may add PROT_WRITE (Linux's VM_MAYWRITE) */
#define UK_VMA_SYSV 0x10     /* a System V shared memory attach (sysv_shm.c) */

struct uk_vma {
	uintptr_t start, end; /* [start, end), page aligned */
	unsigned prot;        /* PROT_* */
	unsigned flags;       /* UK_VMA_* */
	void *file;           /* the mapped file (referenced), NULL: anonymous */
	uint64_t off;         /* file offset of start */
	struct uk_vma *prev, *next;
};

struct uk_vma_set {
	struct uk_vma *head, *tail;
	struct uk_vma *cache; /* last area found */
	/* The one found before it by uaccess.c, whose checks alternate
	 * between two areas (a path in the program's data, a buffer on its
	 * stack). */
	struct uk_vma *cache2;
	unsigned count;
	/* Take (+1) or drop (-1) a reference to an area's file. */
	void (*file_ref)(void *file, int delta);
};

/* The first area ending above addr (it may start above addr), or NULL. */
struct uk_vma *uk_vma_find(struct uk_vma_set *s, uintptr_t addr);

/* A new area for the free range [start, end): takes a file reference.
 * Merged with equal neighbours; returns the area now holding the range,
 * or NULL when out of memory. */
struct uk_vma *uk_vma_insert(struct uk_vma_set *s, uintptr_t start, uintptr_t end, unsigned prot,
                             unsigned flags, void *file, uint64_t off);

/* Split areas so that none crosses start or end: 0 or -ENOMEM (areas
 * already split stay split, which changes nothing visible). */
int uk_vma_isolate(struct uk_vma_set *s, uintptr_t start, uintptr_t end);

/* Unlink and free an area, dropping its file reference. */
void uk_vma_remove(struct uk_vma_set *s, struct uk_vma *v);

/* Merge v with its neighbours where they are equal and adjacent; returns
 * the area now holding v's range. */
struct uk_vma *uk_vma_merge(struct uk_vma_set *s, struct uk_vma *v);

/* The highest start of a free range of len bytes inside [lo, hi), or 0. */
uintptr_t uk_vma_gap(struct uk_vma_set *s, size_t len, uintptr_t lo, uintptr_t hi);

/* Whether no area meets [start, end). */
int uk_vma_range_free(struct uk_vma_set *s, uintptr_t start, uintptr_t end);

/* Whether areas cover all of [start, end) without a hole. */
int uk_vma_range_covered(struct uk_vma_set *s, uintptr_t start, uintptr_t end);

/* ---- shared by the files of libos/mm/ ---- */

/* An address space: a process's root of page tables and its areas
 * (mm_proc.c); vfork children share their parent's. */
struct uk_mm {
	int refs;
	uint64_t *root;
	uint64_t pt_tag; /* what its tables map (paging.h: kept by tag) */
	struct uk_vma_set as;
};

/* Process 1's from boot (static). */
extern struct uk_mm uk_vm_init_mm;
/* The one in use, and its areas. */
extern struct uk_mm *uk_mm_cur;
#define uk_vm_as (uk_mm_cur->as)
/* Free the frames held in [start, end); the areas stay. */
void uk_vm_release(uintptr_t start, uintptr_t end);
/* The areas' file references (uk_vma_set.file_ref). */
void uk_vm_file_ref(void *file, int delta);
/* Before a fork: the frame reference counts exist (0 or -ENOMEM). */
int uk_vm_frames_prepare(void);
/* A frame held by one more page table entry (fork); uk_vm_release and a
 * copy-on-write fault give the references back. */
void uk_vm_frame_ref(uint64_t pa);
/* A copy of the frame at pa for fork: its physical address, or ~0 when
 * out of memory. */
uint64_t uk_vm_frame_copy(uint64_t pa);
/* Drop the areas of mm (not in use) and everything they hold. */
void uk_vm_destroy(struct uk_mm *mm);
/* Map the frame page (a physmap address) at va with an area's PROT_*:
 * 0 or -ENOMEM; counted in the resident size. */
int uk_vm_map_frame(uintptr_t va, void *page, unsigned prot);
/* The same for a frame others hold too (the image's): where prot
 * writes, read-only until a write copies it. */
int uk_vm_map_frame_cow(uintptr_t va, const void *page, unsigned prot);

/* File mappings (mmap_file.c). Whether f can be mapped so (-EACCES,
 * -ENODEV); *anonymous when it maps as anonymous memory (/dev/zero). */
struct uk_file;
int uk_vm_file_check(struct uk_file *f, unsigned prot, unsigned flags, int *anonymous);
/* Whether a mapping of f (NULL: anonymous) so shared may ever be written. */
int uk_vm_file_may_write(const struct uk_file *f, int shared);
/* Fill [start, end) of file area v from its file: 0 or -errno. Where the
 * file's pages come on first touch, nothing is read now. */
int uk_vm_file_fill(struct uk_vma *v, uintptr_t start, uintptr_t end);
/* Map the page at a of file area v, filled from the file where its data
 * lies in memory: 0, -ENOMEM, or 1 when the file cannot give it so (past
 * its end, or another filesystem): then it reads as zero. Never blocks. */
int uk_vm_file_page(struct uk_vma *v, uintptr_t a);

/* Whether file area v is code whose system calls are rewritten when it
 * is mapped (binary mode): then it holds copies of the file's pages. */
int uk_vm_file_rewritten(const struct uk_vma *v);
/* Whether file area v maps its file's own pages (a shared mapping of a
 * RAM file). */
int uk_vm_file_shares(const struct uk_vma *v);
/* Zero [start, end) of such an area's file (MADV_REMOVE): 0 or -errno. */
int uk_vm_file_zero(struct uk_vma *v, uintptr_t start, uintptr_t end);

/* The hook of uk_vm_on_exec_map, or NULL. */
extern void (*uk_vm_exec_hook)(uintptr_t start, uintptr_t end);

#endif
