/*
 * Guest physical memory (see uk/mm.h for the layout).
 *
 * Pages: a list of free extents sorted by address, allocated first-fit from
 * the highest address down (so the break below has room to grow), merged
 * with their neighbours when freed. Extents are few (threads' stacks,
 * mmaps, the heap's slabs), so a list is enough.
 *
 * Kernel heap: power-of-two size classes of 16..2048 bytes carved from
 * single pages (a page header names its class), larger blocks as page runs
 * with a header. Everything handed out is zeroed (but by
 * uk_kmalloc_dirty's large blocks).
 */
#include <uk/arch.h>
#include <uk/cpu.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/plat.h>
#include <uk/print.h>

extern char __uk_image_end[];

#define PAGE UK_PAGE_SIZE
#define ALIGN_UP(x, a) (((x) + (a)-1) & ~((uintptr_t)(a)-1))

struct extent {
	uintptr_t start, end; /* [start, end), page aligned */
	struct extent *next;
};

static uint64_t ram_total, free_bytes;
static uintptr_t region_lo, region_hi;
static uintptr_t clean_lo; /* [break, clean_lo) was never handed out: zero */
static uintptr_t brk_start, brk_cur, brk_hi;
static struct extent *free_list;     /* sorted by start */
static struct extent *spare_extents; /* recycled descriptors */

/* The allocator's state changes with interrupts off and mm_busy set. A
 * page fault that grows a stack may arrive while it is set (the faulting
 * code was inside the allocator); it then takes a page from the stash,
 * which is refilled whenever the allocator is entered normally. */
static int mm_busy;
static void *stash[16];
static int nstash;

static int mm_lock(void)
{
	int on = uk_irq_save();
	mm_busy++;
	return on;
}

static void mm_unlock(int on)
{
	mm_busy--;
	uk_irq_restore(on);
}

/* Extent descriptors come from a page of their own kind. */
static struct extent *extent_new(void);

void uk_mm_init(void)
{
	uint64_t floor = ALIGN_UP(uk_v2p(__uk_image_end), PAGE);
	uint64_t best_lo = 0, best_hi = 0;
	static struct extent first;

	if (uk_plat.mod_end > floor)
		floor = ALIGN_UP(uk_plat.mod_end, PAGE);
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
	region_lo = (uintptr_t)uk_p2v(ALIGN_UP(best_lo, PAGE));
	region_hi = (uintptr_t)uk_p2v(best_hi & ~(PAGE - 1));
	brk_start = brk_cur = brk_hi = region_lo;
	clean_lo = region_hi;
	first = (struct extent){ region_lo, region_hi, NULL };
	free_list = &first;
	free_bytes = region_hi - region_lo;
}

/* Take n bytes from the top of the highest extent that has them and lies
 * above the break; *clean says whether they are known to be zero. */
static void *take(size_t n, int *clean)
{
	struct extent *best = NULL;

	for (struct extent *e = free_list; e; e = e->next) {
		uintptr_t lo = e->start < brk_hi ? ALIGN_UP(brk_hi, PAGE) : e->start;
		if (e->end > lo && e->end - lo >= n)
			best = e; /* the last fitting one is the highest */
	}
	if (!best)
		return NULL;
	best->end -= n;
	free_bytes -= n;
	*clean = best->end + n <= clean_lo;
	/* (also when the block reaches above clean_lo: its lower part is
	 * handed out now, and must not pass for zero when it comes back) */
	if (best->end < clean_lo)
		clean_lo = best->end;
	return (void *)best->end; /* empty extents stay until a free merges them */
}

static int kept_release(void);

static void *pages(size_t n, int zero)
{
	int on = mm_lock(), clean = 0;
	void *p = n ? take(n * PAGE, &clean) : NULL;

	mm_unlock(on);
	if (!p && n && kept_release()) { /* the heap's kept blocks first */
		on = mm_lock();
		p = take(n * PAGE, &clean);
		mm_unlock(on);
	}
	if (p && zero && !clean)
		uk_memset(p, 0, n * PAGE);
	return p;
}

static void stash_refill(void)
{
	while (nstash < (int)(sizeof(stash) / sizeof(*stash))) {
		int on = mm_lock(), clean;
		void *p = take(PAGE, &clean);
		mm_unlock(on);
		if (!p)
			break;
		stash[nstash++] = p;
	}
}

void *uk_pages_alloc(size_t n)
{
	if (nstash < 4 && !mm_busy)
		stash_refill();
	return pages(n, 0);
}

void *uk_page_alloc_fault(void)
{
	void *p = NULL;
	int on = uk_irq_save();

	if (nstash)
		p = stash[--nstash];
	uk_irq_restore(on);
	if (!p && !mm_busy)
		p = pages(1, 0);
	return p;
}

void *uk_pages_zalloc(size_t n) { return pages(n, 1); }

void uk_pages_free(void *p, size_t n)
{
	uintptr_t start = (uintptr_t)p, end = start + n * PAGE;
	struct extent **pp, *e;
	int on;

	if (!p || !n)
		return;
	on = mm_lock();
	for (pp = &free_list; *pp && (*pp)->end < start; pp = &(*pp)->next)
		;
	e = *pp;
	if (e && e->end == start) { /* grow the extent below */
		e->end = end;
		if (e->next && e->next->start == end) {
			struct extent *dead = e->next;
			e->end = dead->end;
			e->next = dead->next;
			dead->next = spare_extents;
			spare_extents = dead;
		}
	} else if (e && e->start == end) { /* grow the extent above */
		e->start = start;
	} else {
		struct extent *nw = extent_new();
		if (!nw) { /* cannot even track it: leak the pages, stay consistent */
			mm_unlock(on);
			return;
		}
		*nw = (struct extent){ start, end, e };
		*pp = nw;
	}
	free_bytes += n * PAGE;
	mm_unlock(on);
}

/* ---- pages with several holders ---- */

static uint32_t *page_refs; /* 32 bits: holders are mappings, and 65 535 of one page were easy */
static uint64_t page_refs_n;

int uk_page_refs_prepare(void)
{
	if (page_refs)
		return 0;
	page_refs_n = uk_mm_phys_end() / PAGE;
	page_refs = uk_pages_zalloc((page_refs_n * sizeof(*page_refs) + PAGE - 1) / PAGE);
	return page_refs ? 0 : -ENOMEM;
}

int uk_page_of_image(uint64_t pa) { return pa < uk_v2p((void *)region_lo); }

void uk_page_ref(uint64_t pa)
{
	if (!uk_page_of_image(pa) && pa / PAGE < page_refs_n)
		page_refs[pa / PAGE]++;
}

int uk_page_shared(uint64_t pa)
{
	return uk_page_of_image(pa) || (pa / PAGE < page_refs_n && page_refs[pa / PAGE]);
}

int uk_page_unref(uint64_t pa)
{
	if (!uk_page_shared(pa))
		return 0;
	if (!uk_page_of_image(pa))
		page_refs[pa / PAGE]--;
	return 1;
}

void uk_page_put(void *p)
{
	if (p && !uk_page_unref(uk_v2p(p)))
		uk_pages_free(p, 1);
}

static struct extent *extent_new(void)
{
	struct extent *e = spare_extents;

	if (e) {
		spare_extents = e->next;
		return e;
	}
	int clean;
	struct extent *page = take(PAGE, &clean);
	if (!page)
		return NULL;
	for (size_t i = 1; i < PAGE / sizeof(*page); i++) {
		page[i].next = spare_extents;
		spare_extents = &page[i];
	}
	return page;
}

/* ---- kernel heap ---- */

#define SLAB_MAGIC 0x736c6162u /* "slab" */
#define BIG_MAGIC 0x62696721u  /* "big!" */
#define NCLASS 8               /* 16 << 0 .. 16 << 7 = 2048 */

struct slab_hdr { /* first bytes of a slab page */
	uint32_t magic, cls;
	uint32_t used, pad;
};

struct big_hdr { /* before a multi-page block */
	uint32_t magic, pad;
	uint64_t pages;
};

struct free_obj {
	struct free_obj *next;
};

static struct free_obj *class_free[NCLASS];

static int class_of(size_t size)
{
	int c = 0;
	while ((16u << c) < size)
		c++;
	return c;
}

static int slab_grow(int c)
{
	size_t sz = 16u << c;
	int clean;
	uint8_t *page = take(PAGE, &clean);

	if (!page && kept_release())
		page = take(PAGE, &clean);
	if (!page)
		return -1;
	if (!clean)
		uk_memset(page, 0, PAGE);
	*(struct slab_hdr *)page = (struct slab_hdr){ SLAB_MAGIC, (uint32_t)c, 0, 0 };
	for (size_t off = ALIGN_UP(sizeof(struct slab_hdr), sz); off + sz <= PAGE; off += sz) {
		struct free_obj *o = (void *)(page + off);
		o->next = class_free[c];
		class_free[c] = o;
	}
	return 0;
}

/* Large blocks freed, kept for the next of their size, last freed first:
 * lwIP allocates and frees a block of a few pages for each TCP segment,
 * and a fresh one meant a walk of the free extents, the merge back into
 * them, and the copy of the segment's data into cache lines the vCPU had
 * not touched for long (under a 100 KiB answer those were 10 % of the
 * vCPU's time). Up to KEEP_EACH blocks of each size up to KEEP_PAGES
 * pages, KEEP_MAX pages in all; given back when pages run out. Counted
 * as free memory. */
#define KEEP_PAGES 8
#define KEEP_EACH 64
#define KEEP_MAX 512

static void *kept[KEEP_PAGES][KEEP_EACH];
static int nkept[KEEP_PAGES];
static size_t kept_pages;

static void *kept_take(size_t n)
{
	void *p = NULL;
	int on;

	if (n > KEEP_PAGES)
		return NULL;
	on = mm_lock();
	if (nkept[n - 1]) {
		p = kept[n - 1][--nkept[n - 1]];
		kept_pages -= n;
		free_bytes -= n * PAGE;
	}
	mm_unlock(on);
	return p;
}

static int kept_put(void *p, size_t n)
{
	int on, r = 0;

	if (n > KEEP_PAGES)
		return 0;
	on = mm_lock();
	if (nkept[n - 1] < KEEP_EACH && kept_pages + n <= KEEP_MAX) {
		kept[n - 1][nkept[n - 1]++] = p;
		kept_pages += n;
		free_bytes += n * PAGE;
		r = 1;
	}
	mm_unlock(on);
	return r;
}

/* Every kept block back to the page allocator: 1 when there was one. */
static int kept_release(void)
{
	int any = 0;

	for (size_t n = 1; n <= KEEP_PAGES; n++) {
		for (;;) {
			int on = mm_lock();
			void *p = nkept[n - 1] ? kept[n - 1][--nkept[n - 1]] : NULL;
			if (p) {
				kept_pages -= n;
				free_bytes -= n * PAGE; /* (uk_pages_free counts it again) */
			}
			mm_unlock(on);
			if (!p)
				break;
			uk_pages_free(p, n);
			any = 1;
		}
	}
	return any;
}

static void *big_alloc(size_t size, int zero)
{
	size_t n = (size + sizeof(struct big_hdr) + PAGE - 1) / PAGE;
	struct big_hdr *h = kept_take(n);

	if (h && zero)
		uk_memset(h, 0, n * PAGE);
	if (!h)
		h = pages(n, zero);
	if (!h)
		return NULL;
	*h = (struct big_hdr){ BIG_MAGIC, 0, n };
	return (uint8_t *)h + 16;
}

void *uk_kmalloc(size_t size)
{
	int on, c;
	void *p = NULL;

	if (size > 2048)
		return big_alloc(size, 1);
	c = class_of(size ? size : 1);
	on = mm_lock();
	if (class_free[c] || slab_grow(c) == 0) {
		struct free_obj *o = class_free[c];
		class_free[c] = o->next;
		o->next = NULL;
		p = o;
	}
	mm_unlock(on);
	return p; /* fresh slab pages are zero; freed objects are zeroed on free */
}

void *uk_kzalloc(size_t size) { return uk_kmalloc(size); }

void *uk_kmalloc_dirty(size_t size) { return size > 2048 ? big_alloc(size, 0) : uk_kmalloc(size); }

size_t uk_ksize(const void *p)
{
	uintptr_t a = (uintptr_t)p;
	const struct slab_hdr *s = (const void *)(a & ~(PAGE - 1));

	if ((a & (PAGE - 1)) == 16 && ((const struct big_hdr *)(a - 16))->magic == BIG_MAGIC)
		return ((const struct big_hdr *)(a - 16))->pages * PAGE - 16;
	return s->magic == SLAB_MAGIC ? 16u << s->cls : 0;
}

void uk_kfree(void *p)
{
	uintptr_t a = (uintptr_t)p;
	struct big_hdr *b = (void *)(a - 16);
	struct slab_hdr *s = (void *)(a & ~(PAGE - 1));
	int on;

	if (!p)
		return;
	if ((a & (PAGE - 1)) == 16 && b->magic == BIG_MAGIC) {
		b->magic = 0;
		if (!kept_put(b, b->pages))
			uk_pages_free(b, b->pages);
		return;
	}
	if (s->magic != SLAB_MAGIC)
		uk_panic("uk_kfree(%p): not a kernel heap block", p);
	uk_memset(p, 0, 16u << s->cls);
	on = mm_lock();
	((struct free_obj *)p)->next = class_free[s->cls];
	class_free[s->cls] = p;
	mm_unlock(on);
}

void *uk_palloc(size_t size, size_t align)
{
	(void)align; /* page allocations are page aligned */
	return uk_pages_zalloc((size + PAGE - 1) / PAGE);
}

uint64_t uk_mm_total(void) { return ram_total; }

uint64_t uk_mm_free(void) { return free_bytes; }

uint64_t uk_mm_phys_end(void) { return uk_v2p((void *)region_hi); }

uintptr_t uk_brk_start(void) { return brk_start; }

/* Linux semantics: returns the new break, or the old one when the request
 * cannot be met; memory given again after a shrink reads as zero. The break
 * may not pass the lowest allocated page. */
uintptr_t uk_brk_set(uintptr_t want)
{
	int on = mm_lock();
	uintptr_t limit = ALIGN_UP(brk_hi, PAGE), grow;

	/* the break may take the bottom extent's free pages, when they follow it */
	if (free_list && free_list->start <= limit)
		limit = free_list->end;
	if (want > limit && kept_release()) { /* (its blocks may adjoin the break) */
		if (free_list && free_list->start <= ALIGN_UP(brk_hi, PAGE))
			limit = free_list->end;
	}
	if (want < brk_start || want > limit) {
		mm_unlock(on);
		return brk_cur;
	}
	if (want > brk_cur && brk_cur < brk_hi)
		uk_memset((void *)brk_cur, 0, (want < brk_hi ? want : brk_hi) - brk_cur);
	brk_cur = want;
	if (want > brk_hi) {
		grow = ALIGN_UP(want, PAGE) - ALIGN_UP(brk_hi, PAGE);
		brk_hi = want;
		if (free_list && free_list->start < ALIGN_UP(brk_hi, PAGE)) {
			free_list->start = ALIGN_UP(brk_hi, PAGE);
			free_bytes -= grow;
		}
	}
	mm_unlock(on);
	return brk_cur;
}
