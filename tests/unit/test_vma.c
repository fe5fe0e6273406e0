/*
 * The application's area list (libos/mm/vma.c) against a page-by-page
 * model: random maps, unmaps and protection changes, then the list must
 * describe exactly the model, be sorted, have no two equal neighbours
 * left unmerged, find the same gaps, and hold no file references once
 * everything is unmapped.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../libos/mm/vma.h"
#include "unit.h"

/* The library OS heap, for vma.c. */
void *uk_kmalloc(size_t size) { return calloc(1, size); }
void uk_kfree(void *p) { free(p); }

#define PG 4096ul
#define NPAGES 512
#define BASE 0x10000ul
#define FILE_A ((void *)0x1000)

static struct uk_vma_set set;
static int file_refs;

static struct {
	int mapped;
	unsigned prot;
	void *file;
	uint64_t off;
} model[NPAGES];

static void file_ref(void *file, int delta)
{
	if (file == FILE_A)
		file_refs += delta;
}

static uintptr_t addr(int page) { return BASE + page * PG; }

static int model_free(int p, int n)
{
	for (int i = p; i < p + n; i++)
		if (model[i].mapped)
			return 0;
	return 1;
}

static void do_map(int p, int n, unsigned prot, int file)
{
	if (!model_free(p, n))
		return;
	if (!uk_vma_insert(&set, addr(p), addr(p + n), prot, 0, file ? FILE_A : NULL,
	                   file ? (uint64_t)p * PG : 0))
		abort();
	for (int i = p; i < p + n; i++)
		model[i] = (typeof(model[0])){ 1, prot, file ? FILE_A : NULL,
			                       file ? (uint64_t)i * PG : 0 };
}

static void do_unmap(int p, int n)
{
	struct uk_vma *v, *next;

	if (uk_vma_isolate(&set, addr(p), addr(p + n)))
		abort();
	for (v = uk_vma_find(&set, addr(p)); v && v->start < addr(p + n); v = next) {
		next = v->next;
		uk_vma_remove(&set, v);
	}
	for (int i = p; i < p + n; i++)
		model[i].mapped = 0;
}

/* As mprotect does it: only fully covered ranges. */
static void do_protect(int p, int n, unsigned prot)
{
	struct uk_vma *v;
	int covered = 1;

	for (int i = p; i < p + n; i++)
		covered &= model[i].mapped;
	if (uk_vma_range_covered(&set, addr(p), addr(p + n)) != covered)
		abort();
	if (!covered)
		return;
	if (uk_vma_isolate(&set, addr(p), addr(p + n)))
		abort();
	for (v = uk_vma_find(&set, addr(p)); v && v->start < addr(p + n); v = v->next)
		v->prot = prot;
	v = uk_vma_find(&set, addr(p) - 1);
	while (v && v->start <= addr(p + n))
		v = uk_vma_merge(&set, v)->next;
	for (int i = p; i < p + n; i++)
		model[i].prot = prot;
}

/* The list says what the model says, sorted and merged. */
static int consistent(void)
{
	unsigned count = 0;
	struct uk_vma *prev = NULL;

	for (struct uk_vma *v = set.head; v; prev = v, v = v->next, count++) {
		if (v->start >= v->end || (prev && prev->end > v->start) || v->prev != prev)
			return 0;
		if (prev && prev->end == v->start && prev->prot == v->prot &&
		    prev->file == v->file &&
		    (!v->file || prev->off + (prev->end - prev->start) == v->off))
			return 0; /* left unmerged */
	}
	if (count != set.count || set.tail != prev)
		return 0;
	for (int i = 0; i < NPAGES; i++) {
		struct uk_vma *v = uk_vma_find(&set, addr(i));
		int in = v && v->start <= addr(i);
		if (in != model[i].mapped)
			return 0;
		if (in && (v->prot != model[i].prot || v->file != model[i].file ||
		           (v->file && v->off + (addr(i) - v->start) != model[i].off)))
			return 0;
	}
	return 1;
}

/* The model's highest free run of n pages inside the window, or 0. */
static uintptr_t model_gap(int n)
{
	for (int p = NPAGES - n; p >= 0; p--)
		if (model_free(p, n))
			return addr(p);
	return 0;
}

TEST(random_ops)
{
	srand(7);
	set.file_ref = file_ref;
	for (int i = 0; i < 20000; i++) {
		int p = rand() % NPAGES, n = 1 + rand() % 24;
		if (p + n > NPAGES)
			n = NPAGES - p;
		switch (rand() % 4) {
		case 0:
		case 1: do_map(p, n, 1 + rand() % 3, rand() % 2); break;
		case 2: do_unmap(p, n); break;
		case 3: do_protect(p, n, 1 + rand() % 3); break;
		}
		EXPECT(consistent());
		EXPECT(uk_vma_gap(&set, n * PG, addr(0), addr(NPAGES)) == model_gap(n));
	}
	do_unmap(0, NPAGES);
	EXPECT(set.count == 0 && set.head == NULL && set.tail == NULL);
	EXPECT(file_refs == 0);
}

TEST(gaps)
{
	struct uk_vma_set s = { 0 };

	EXPECT(uk_vma_gap(&s, PG, addr(0), addr(4)) == addr(3));
	EXPECT(uk_vma_gap(&s, 5 * PG, addr(0), addr(4)) == 0);
	EXPECT(uk_vma_gap(&s, 0, addr(0), addr(4)) == 0);
	uk_vma_insert(&s, addr(2), addr(4), 1, 0, NULL, 0);
	EXPECT(uk_vma_gap(&s, PG, addr(0), addr(4)) == addr(1));
	EXPECT(uk_vma_gap(&s, 2 * PG, addr(0), addr(4)) == addr(0));
	EXPECT(uk_vma_gap(&s, 3 * PG, addr(0), addr(4)) == 0);
	/* an area straddling the window's top */
	EXPECT(uk_vma_gap(&s, PG, addr(0), addr(3)) == addr(1));
	EXPECT(uk_vma_range_free(&s, addr(0), addr(2)));
	EXPECT(!uk_vma_range_free(&s, addr(1), addr(3)));
	EXPECT(uk_vma_range_covered(&s, addr(2), addr(4)));
	EXPECT(!uk_vma_range_covered(&s, addr(1), addr(4)));
	/* an equal neighbour merges; a different one does not */
	uk_vma_insert(&s, addr(4), addr(6), 1, 0, NULL, 0);
	EXPECT(s.count == 1 && s.head->end == addr(6));
	uk_vma_insert(&s, addr(6), addr(7), 3, 0, NULL, 0);
	EXPECT(s.count == 2);
	uk_vma_remove(&s, s.head);
	uk_vma_remove(&s, s.head);
	EXPECT(s.count == 0);
}

int main(void)
{
	RUN("unit/vma", random_ops);
	RUN("unit/vma", gaps);
	return unit_failures != 0;
}
