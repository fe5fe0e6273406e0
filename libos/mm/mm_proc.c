/*
 * Address spaces of processes (uk/proc.h): fork's copy-on-write copy, a
 * fresh one for execve, switching, and the end of one.
 *
 * fork copies the areas and lets uk_pt_fork copy the page tables: private
 * pages become read-only and copy-on-write in both processes (mmap.c's
 * fault path copies them), MAP_SHARED pages stay writable in both. Pages
 * of a shared area not touched yet come later from its file, the same
 * page to each process (mmap_file.c), so nothing is committed here.
 */
#include <uk/arch.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/paging.h>
#include <uk/proc.h>
#include <uk/vm.h>

#include "vma.h"

/* What is loaded while no process's is: the boot root once process 1 has
 * left it (a process that ends switches here before its tables go). */
static struct uk_mm kernel_mm = { .refs = 1, .root = uk_pml4 };

static int shared_at(uintptr_t va, void *arg)
{
	struct uk_vma *v = uk_vma_find(arg, va);

	return v && v->start <= va && (v->flags & UK_VMA_SHARED);
}

static void ref_frame(uint64_t pa, void *arg)
{
	(void)arg;
	uk_vm_frame_ref(pa);
}

static int zero_page(const uint64_t *p)
{
	for (size_t i = 0; i < UK_PAGE_SIZE / sizeof(*p); i++)
		if (p[i])
			return 0;
	return 1;
}

/* A page of anonymous memory still all zeros (fault-around commits the
 * neighbours of a touched page, most never written) is left out of the
 * child, where a touch gives a zeroed page again: no copy, no frame. */
static uint64_t copy_frame(uint64_t pa, uintptr_t va, void *arg)
{
	struct uk_vma *v = uk_vma_find(arg, va);

	if (v && v->start <= va && !v->file && zero_page(uk_p2v(pa)))
		return 0;
	return uk_vm_frame_copy(pa);
}

/* A process with at most this many writable private pages keeps its page
 * tables at fork and its child gets copies of those pages (uk_pt_fork):
 * copying a page costs ~1 us, where a copy-on-write fault on the
 * paravirtual host costs ~5 exits (the fault, CR2, the entry's emulated
 * write, its flush, the retry) and new tables for the parent a shadow
 * fault per page it touches again. A shell, a small server, a process
 * about to exec fit; a large heap (python, postgres) is shared instead.
 * Only while memory is plentiful: copies are memory spent up front. */
#define FORK_COPY_MAX 512 /* 2 MiB */

static size_t fork_copies(void)
{
	return uk_mm_free() >= uk_mm_total() / 4 + FORK_COPY_MAX * UK_PAGE_SIZE ? FORK_COPY_MAX : 0;
}

static void areas_drop(struct uk_vma_set *s)
{
	while (s->head)
		uk_vma_remove(s, s->head);
}

struct uk_mm *uk_mm_fork(void)
{
	struct uk_mm *old = uk_mm_cur, *mm = uk_kzalloc(sizeof(*mm));
	uint64_t *parent, *child;
	struct uk_vma *v;

	if (!mm || uk_vm_frames_prepare())
		goto fail;
	mm->refs = 1;
	mm->as.file_ref = uk_vm_file_ref;
	for (v = old->as.head; v; v = v->next)
		if (!uk_vma_insert(&mm->as, v->start, v->end, v->prot, v->flags, v->file, v->off))
			goto fail;
	struct uk_pt_fork_ops ops = { shared_at, ref_frame, copy_frame, &old->as };

	/* (tagged as a child of this address space: the tables of its last
	 * child fit the next one best) */
	mm->pt_tag = (uintptr_t)old;
	if (uk_pt_fork(&parent, &child, &ops, fork_copies(), mm->pt_tag))
		goto fail;
	old->root = parent;
	mm->root = child;
	return mm;
fail:
	if (mm)
		areas_drop(&mm->as);
	uk_kfree(mm);
	return NULL;
}

int uk_vm_futex_key(uintptr_t addr, uint64_t *pa)
{
	struct uk_vma *v = uk_vma_find(&uk_vm_as, addr);
	uintptr_t page = addr & ~(uintptr_t)(UK_PAGE_SIZE - 1);
	uint64_t held;

	if (!v || v->start > addr || !(v->flags & UK_VMA_SHARED))
		return 0; /* private (also the upper half: link mode's memory) */
	if ((held = uk_page_held(page)) == ~0ull) {
		uk_vm_populate(page, page + UK_PAGE_SIZE);
		if ((held = uk_page_held(page)) == ~0ull)
			return -EFAULT; /* PROT_NONE, or no memory for it */
	}
	*pa = held + (addr - page);
	return 1;
}

struct uk_mm *uk_mm_new(void)
{
	struct uk_mm *mm = uk_kzalloc(sizeof(*mm));

	if (!mm)
		return NULL;
	if (!(mm->root = uk_pt_new())) {
		uk_kfree(mm);
		return NULL;
	}
	mm->refs = 1;
	mm->as.file_ref = uk_vm_file_ref;
	return mm;
}

void uk_mm_settle(uint64_t tag)
{
	uk_mm_cur->root = uk_pt_settle(tag);
	uk_mm_cur->pt_tag = tag;
}

struct uk_mm *uk_mm_get(struct uk_mm *mm)
{
	mm->refs++;
	return mm;
}

void uk_mm_switch(struct uk_mm *mm)
{
	if (!mm)
		mm = &kernel_mm;
	if (mm == uk_mm_cur)
		return;
	uk_mm_cur = mm;
	uk_pt_switch(mm->root);
}

void uk_mm_put(struct uk_mm *mm)
{
	if (--mm->refs > 0 || mm == &kernel_mm)
		return;
	if (mm == uk_mm_cur)
		uk_mm_switch(NULL);
	uk_vm_destroy(mm);
	if (mm != &uk_vm_init_mm)
		uk_kfree(mm);
}
