/* The application's areas: a sorted, doubly linked list (see vma.h). */
#include <uk/linux.h>
#include <uk/mm.h>

#include "vma.h"

struct uk_vma *uk_vma_find(struct uk_vma_set *s, uintptr_t addr)
{
	struct uk_vma *v = s->cache;

	/* Faults and calls cluster: start from the last hit when it is not
	 * past addr, else from the head. */
	if (!v || v->start > addr)
		v = s->head;
	while (v && v->end <= addr)
		v = v->next;
	if (v)
		s->cache = v;
	return v;
}

static void link_after(struct uk_vma_set *s, struct uk_vma *prev, struct uk_vma *v)
{
	v->prev = prev;
	v->next = prev ? prev->next : s->head;
	if (v->next)
		v->next->prev = v;
	else
		s->tail = v;
	if (prev)
		prev->next = v;
	else
		s->head = v;
	s->count++;
}

static void list_del(struct uk_vma_set *s, struct uk_vma *v)
{
	if (v->prev)
		v->prev->next = v->next;
	else
		s->head = v->next;
	if (v->next)
		v->next->prev = v->prev;
	else
		s->tail = v->prev;
	if (s->cache == v)
		s->cache = v->next ? v->next : v->prev;
	if (s->cache2 == v)
		s->cache2 = NULL;
	s->count--;
}

static void ref(struct uk_vma_set *s, void *file, int delta)
{
	if (file && s->file_ref)
		s->file_ref(file, delta);
}

/* Equal attributes, adjacent, and (for files) contiguous offsets. */
static int mergeable(const struct uk_vma *a, const struct uk_vma *b)
{
	return a->end == b->start && a->prot == b->prot && a->flags == b->flags &&
	       a->file == b->file && (!a->file || a->off + (a->end - a->start) == b->off);
}

void uk_vma_remove(struct uk_vma_set *s, struct uk_vma *v)
{
	list_del(s, v);
	ref(s, v->file, -1);
	uk_kfree(v);
}

struct uk_vma *uk_vma_merge(struct uk_vma_set *s, struct uk_vma *v)
{
	struct uk_vma *p = v->prev, *n = v->next;

	if (n && mergeable(v, n)) {
		v->end = n->end;
		uk_vma_remove(s, n);
	}
	if (p && mergeable(p, v)) {
		p->end = v->end;
		uk_vma_remove(s, v);
		v = p;
	}
	return v;
}

struct uk_vma *uk_vma_insert(struct uk_vma_set *s, uintptr_t start, uintptr_t end, unsigned prot,
                             unsigned flags, void *file, uint64_t off)
{
	struct uk_vma *v = uk_kmalloc(sizeof(*v)), *prev;

	if (!v)
		return NULL;
	*v = (struct uk_vma){ .start = start,
		              .end = end,
		              .prot = prot,
		              .flags = flags,
		              .file = file,
		              .off = file ? off : 0 };
	ref(s, file, 1);
	prev = uk_vma_find(s, start);
	prev = prev ? prev->prev : s->tail;
	link_after(s, prev, v);
	return uk_vma_merge(s, v);
}

/* v becomes [v->start, at), a new area after it [at, v->end). */
static int split(struct uk_vma_set *s, struct uk_vma *v, uintptr_t at)
{
	struct uk_vma *n = uk_kmalloc(sizeof(*n));

	if (!n)
		return -ENOMEM;
	*n = *v;
	n->start = at;
	if (n->file)
		n->off += at - v->start;
	v->end = at;
	ref(s, n->file, 1);
	link_after(s, v, n);
	return 0;
}

int uk_vma_isolate(struct uk_vma_set *s, uintptr_t start, uintptr_t end)
{
	struct uk_vma *v = uk_vma_find(s, start);

	if (v && v->start < start && split(s, v, start))
		return -ENOMEM;
	v = uk_vma_find(s, end);
	if (v && v->start < end && split(s, v, end))
		return -ENOMEM;
	return 0;
}

uintptr_t uk_vma_gap(struct uk_vma_set *s, size_t len, uintptr_t lo, uintptr_t hi)
{
	uintptr_t top = hi;

	if (!len || hi < lo || hi - lo < len)
		return 0;
	for (struct uk_vma *v = s->tail;; v = v->prev) {
		uintptr_t bottom = v && v->end > lo ? v->end : lo;
		if (top > bottom && top - bottom >= len)
			return top - len;
		if (!v)
			return 0;
		if (v->start < top)
			top = v->start;
		if (top <= lo)
			return 0;
	}
}

int uk_vma_range_free(struct uk_vma_set *s, uintptr_t start, uintptr_t end)
{
	struct uk_vma *v = uk_vma_find(s, start);

	return !v || v->start >= end;
}

int uk_vma_range_covered(struct uk_vma_set *s, uintptr_t start, uintptr_t end)
{
	struct uk_vma *v = uk_vma_find(s, start);
	uintptr_t at = start;

	for (; v && at < end; v = v->next) {
		if (v->start > at)
			return 0;
		at = v->end;
	}
	return at >= end;
}
