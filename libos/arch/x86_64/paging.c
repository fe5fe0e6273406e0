/* x86-64 4-level page tables: 4 KiB mappings and the stack region.
 *
 * One rule for every change below: write the entry, then invlpg, then
 * give the old frame away. Hardware may cache the old entry again until
 * the flush, and the paravirtual host's shadow paging copies the entry at
 * the invlpg, so an entry written after its flush is not seen (pvm.md
 * rule 8): an unmap or a downgrade would silently do nothing.
 *
 * An entry that was not present needs no flush: nothing caches a
 * not-present entry (Intel SDM 4.10.4.3), and the first access walks the
 * tables again. On the paravirtual host that access is a shadow-paging
 * fault the host resolves from our tables, together with committing the
 * fresh frame's memory: one exit where invlpg and then that commit took
 * two (~20 us each there). */
#include <uk/arch.h>
#include <uk/cpu.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/paging.h>

#define PTE_P 0x1ul
#define PTE_W 0x2ul
#define PTE_U 0x4ul
#define PTE_A 0x20ul
#define PTE_D 0x40ul
#define PTE_PS 0x80ul
#define PTE_NX (1ul << 63)
#define PTE_ADDR 0x000ffffffffff000ul

/* Thread stacks live here: PML4 slot 384, 512 GiB of address space. */
#define STACK_BASE 0xffffc00000000000ul
#define STACK_END 0xffffc08000000000ul

extern uint64_t uk_pml4[];

/* The root in use: the boot tables until processes have their own
 * (uk_pt_switch). Every root shares the boot tables' kernel half. */
static uint64_t *root = uk_pml4;

struct uk_vm_counts uk_vm_counts;

/* ---- page-table pages ----
 * A page that served as a page table waits in a queue before the page
 * allocator has it again. On the paravirtual host the host keeps
 * shadowing a table after the last root using it is gone, and every store
 * into it stays trapped and emulated: fork's copy-on-write copies and new
 * tables were landing in the tables fork had just freed (200 000 tracked
 * writes for 100 forks, measured; and a table written whole by one string
 * instruction is emulated word by word there, ~280 us a table). The queue
 * gives the host time to drop its shadows of old roots first. */

#define TABLE_QUEUE 1024 /* 4 MiB of tables */

static void *table_queue[TABLE_QUEUE];
static unsigned table_queue_next;

static void *table_get(void)
{
	uk_vm_counts.pt_alloc++;
	return uk_pages_zalloc(1);
}

/* The first tables made by next_level come from the image's .bss, whose
 * pages ukrun makes present before the guest runs (vmm/load.c), not from
 * the top of RAM where the kernel heap and the stash begin: the
 * paravirtual host write-protects a page that serves as a table and then
 * maps none of its 2 MiB with one large shadow entry, so each 4 KiB page
 * of heap touched beside the boot's first tables (the stack region's)
 * was a shadow fault of its own (hello: KVM's pf_taken 30 -> 25, ~20 us
 * each). Handed out once: one freed is dropped, not the allocator's. */
#define BOOT_TABLES 8

static uint64_t boot_tables[BOOT_TABLES][512] __attribute__((aligned(UK_PAGE_SIZE)));
static unsigned boot_used;

static void table_put(void *t)
{
	void *old;

	if (uk_v2p(t) - uk_v2p(boot_tables) < sizeof(boot_tables))
		return; /* (one of those: never queued, nor freed) */
	old = table_queue[table_queue_next];
	table_queue[table_queue_next] = t;
	table_queue_next = (table_queue_next + 1) % TABLE_QUEUE;
	if (old)
		uk_pages_free(old, 1);
	else
		uk_vm_counts.pt_queued++;
}

/* create: 0 look only, 1 allocate missing tables, 2 allocate them from the
 * page-fault reserve. */
static uint64_t *next_level(uint64_t *tbl, unsigned idx, int create)
{
	uint64_t e = tbl[idx], *n;

	if (e & PTE_P)
		return e & PTE_PS ? NULL : uk_p2v(e & PTE_ADDR);
	if (!create)
		return NULL;
	if (boot_used < BOOT_TABLES) { /* (zero: .bss) */
		uk_vm_counts.pt_alloc++;
		n = boot_tables[boot_used++];
	} else if (!(n = create == 2 ? uk_page_alloc_fault() : table_get())) {
		return NULL;
	} else if (create == 2) {
		uk_vm_counts.pt_alloc++;
		for (int i = 0; i < 512; i++)
			n[i] = 0;
	}
	tbl[idx] = uk_v2p(n) | PTE_P | PTE_W | PTE_U;
	uk_vm_counts.pte_write++;
	return n;
}

static uint64_t *pte(uintptr_t va, int create)
{
	uint64_t *t = root;

	for (int shift = 39; shift > 12; shift -= 9) {
		t = next_level(t, (va >> shift) & 511, create);
		if (!t)
			return NULL;
	}
	return &t[(va >> 12) & 511];
}

static void invlpg(uintptr_t va)
{
	uk_vm_counts.invlpg++;
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static uint64_t leaf_attr(unsigned flags);

/* Flushes held back (uk_pt_flush_hold): how deep the holds are, and
 * whether one flush of all is owed at the last release. */
static int flush_depth, flush_pending;

static int map(uintptr_t va, uint64_t pa, size_t n, unsigned flags, int create)
{
	uint64_t attr = leaf_attr(flags);

	for (size_t i = 0; i < n; i++) {
		uint64_t *e = pte(va + i * UK_PAGE_SIZE, create);
		if (!e)
			return -ENOMEM;
		uint64_t old = *e;
		*e = (pa + i * UK_PAGE_SIZE) | attr;
		uk_vm_counts.pte_write++;
		if ((old & PTE_P) && flush_depth) /* a present entry replaced */
			flush_pending = 1;
		else if (old & PTE_P)
			invlpg(va + i * UK_PAGE_SIZE);
	}
	return 0;
}

int uk_map_pages(uintptr_t va, uint64_t pa, size_t n, unsigned flags)
{
	return map(va, pa, n, flags, 1);
}

void uk_unmap_pages(uintptr_t va, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t *e = pte(va + i * UK_PAGE_SIZE, 0);
		if (e && (*e & PTE_P)) {
			*e = 0;
			uk_vm_counts.pte_write++;
			invlpg(va + i * UK_PAGE_SIZE);
		}
	}
}

/* ---- ranges of the application's address space (libos/mm/) ----
 * A page made inaccessible (PROT_NONE) keeps its frame: its entry loses
 * P and carries PTE_HIDDEN, a bit the CPU ignores in a non-present entry.
 * Walks skip absent tables, so a range of untouched memory costs a few
 * steps per 2 MiB, not one per page. */

#define PTE_HIDDEN (1ul << 9)
/* A private page shared with another process since fork: read-only
 * whatever its area allows, until a write copies it (libos/mm/). Bit 10
 * is ignored by the CPU, present or not. */
#define PTE_COW (1ul << 10)
#define SPAN_PT (512ul * UK_PAGE_SIZE) /* what one page table maps */

/* Accessed, and dirty when writable, from the start (as Linux's fault
 * path sets them): the paravirtual host's shadow paging maps a writable
 * page read-only until its first write sets dirty (one more exit), and
 * maps a fault's neighbours along with it only where accessed is set. */
static uint64_t leaf_attr(unsigned flags)
{
	if (flags & UK_MAP_NONE)
		return PTE_HIDDEN | PTE_U;
	if ((flags & (UK_MAP_W | UK_MAP_COW)) == (UK_MAP_W | UK_MAP_COW))
		return PTE_P | PTE_U | PTE_A | PTE_COW | (flags & UK_MAP_X ? 0 : PTE_NX);
	return PTE_P | PTE_U | PTE_A | (flags & UK_MAP_W ? PTE_W | PTE_D : 0) |
	       (flags & UK_MAP_X ? 0 : PTE_NX);
}

/* The page table covering va (NULL when absent), and the PDE pointing to it. */
static uint64_t *leaf_table(uintptr_t va, uint64_t **pde)
{
	uint64_t *t = root;

	for (int shift = 39; shift > 21; shift -= 9)
		if (!(t = next_level(t, (va >> shift) & 511, 0)))
			return NULL;
	*pde = &t[(va >> 21) & 511];
	return next_level(t, (va >> 21) & 511, 0);
}

static int table_empty(const uint64_t *t)
{
	for (int i = 0; i < 512; i++)
		if (t[i])
			return 0;
	return 1;
}

/* Present entries of one page table changed at once above which a single
 * CR3 reload flushes them all, as Linux does above 33 pages. On the
 * paravirtual host a reload is one exit like one invlpg (the host
 * resyncs its shadow tables and keeps the entries that did not change:
 * the working set stays mapped, measured); on hardware it empties the
 * TLB (no global pages here). */
#define FLUSH_ALL_AFTER 32

/* (The root loaded is root: reading CR3 back is one more trapped
 * instruction on the paravirtual host, 2 an exec.) */
static void flush_all(void)
{
	uk_vm_counts.tlb_flush++;
	__asm__ volatile("mov %0, %%cr3" : : "r"(uk_v2p(root)) : "memory");
}

static size_t present_in(const uint64_t *t, uintptr_t va, uintptr_t end)
{
	size_t n = 0;

	for (uintptr_t a = va; t && a < end; a += UK_PAGE_SIZE)
		n += t[(a >> 12) & 511] & PTE_P;
	return n;
}

/* The part of [va, end) one page table maps: the table (NULL when there is
 * none), where the part ends, and whether changing its present entries
 * wants one flush of all rather than an invlpg each. */
static uint64_t *table_part(uintptr_t va, uintptr_t end, uintptr_t *next, int *batch)
{
	uint64_t *pde, *t = leaf_table(va, &pde);

	*next = (va & ~(SPAN_PT - 1)) + SPAN_PT;
	if (*next > end || *next < va)
		*next = end;
	*batch = present_in(t, va, *next) > FLUSH_ALL_AFTER;
	return t;
}

/* The frames of one page table's entries, held until the flush: single
 * vCPU, and nothing in here switches threads, so one buffer serves. */
static uint64_t held[512];

/* The page table an unmap left empty last stays linked until another one
 * is left empty: a program that maps and unmaps in one place (malloc's
 * large blocks) freed and linked a table each time, and on the
 * paravirtual host unlinking and linking are emulated stores into a table
 * in use, plus an invlpg (mmap, first touch and munmap of one page: 8
 * exits -> 5). */
static uintptr_t spare; /* the 2 MiB the kept table maps, 0: none */

static void table_free_if_empty(uintptr_t va)
{
	uint64_t *pde, *t = leaf_table(va, &pde);

	if (t && table_empty(t)) {
		*pde = 0;
		uk_vm_counts.pte_write++;
		invlpg(va); /* also drops cached upper-level entries */
		table_put(t);
	}
}

static void table_emptied(uintptr_t va)
{
	uintptr_t base = va & ~(SPAN_PT - 1);

	if (spare && spare != base)
		table_free_if_empty(spare);
	spare = base;
}

/* The first entry in use of page table t (NULL: none) from address *a up
 * to end, *a moved to its address; NULL when there is none. */
static uint64_t *next_used(uint64_t *t, uintptr_t *a, uintptr_t end)
{
	for (; t && *a < end; *a += UK_PAGE_SIZE)
		if (t[(*a >> 12) & 511])
			return &t[(*a >> 12) & 511];
	return NULL;
}

void uk_unmap_range(uintptr_t va, size_t n, void (*release)(uint64_t pa, void *arg), void *arg)
{
	uintptr_t end = va + n * UK_PAGE_SIZE, next;

	for (; va < end; va = next) {
		size_t nheld = 0;
		int cleared = 0, batch;
		uint64_t *e, *t = table_part(va, end, &next, &batch);

		for (uintptr_t a = va; (e = next_used(t, &a, next)); a += UK_PAGE_SIZE) {
			uint64_t old = *e;
			*e = 0;
			uk_vm_counts.pte_write++;
			cleared = 1;
			if (batch) {
				held[nheld++] = old & PTE_ADDR;
				continue;
			}
			if (old & PTE_P)
				invlpg(a);
			if (release)
				release(old & PTE_ADDR, arg);
		}
		if (batch)
			flush_all();
		for (size_t i = 0; release && i < nheld; i++)
			release(held[i], arg);
		if (cleared && table_empty(t))
			table_emptied(va);
	}
}

void uk_pt_flush_hold(void) { flush_depth++; }

void uk_pt_flush_release(void)
{
	if (--flush_depth == 0 && flush_pending)
		flush_all();
	if (!flush_depth)
		flush_pending = 0;
}

/* Whether entry new takes nothing away that old allowed. */
static int adds_only(uint64_t old, uint64_t new)
{
	return !(old & PTE_P) || ((new &PTE_P) && (!(old & PTE_W) || (new &PTE_W)) &&
	                          (!(new &PTE_NX) || (old & PTE_NX)));
}

void uk_protect_range(uintptr_t va, size_t n, unsigned flags, int (*held)(uint64_t pa, void *arg),
                      void *arg)
{
	uintptr_t end = va + n * UK_PAGE_SIZE, next;
	uint64_t attr = leaf_attr(flags);

	for (; va < end; va = next) {
		int batch, changed = 0;
		uint64_t *e, *t = table_part(va, end, &next, &batch);

		for (uintptr_t a = va; (e = next_used(t, &a, next)); a += UK_PAGE_SIZE) {
			uint64_t old = *e, new = (old & PTE_ADDR) | attr;
			/* stays read-only until copied */
			if ((old & PTE_COW) ||
			    ((attr & PTE_W) && held && held(old & PTE_ADDR, arg)))
				new = (new & ~PTE_W) | PTE_COW;
			/* an entry that stays as it is costs no store and no flush
			 * (the loader's mprotect of .data and .bss to what they are:
			 * 8 invlpg an exec of a static program) */
			if (new == old)
				continue;
			*e = new;
			uk_vm_counts.pte_write++;
			if (flush_depth && !adds_only(old, new)) {
				flush_pending = 1; /* a permission taken away: later */
				continue;
			}
			changed = 1;
			if ((old & PTE_P) && !batch)
				invlpg(a);
		}
		if (batch && changed)
			flush_all();
	}
}

/* Destination tables first, so a failure leaves both ranges as they were. */
int uk_move_range(uintptr_t dst, uintptr_t src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (uk_page_held(src + i * UK_PAGE_SIZE) != ~0ull &&
		    !pte(dst + i * UK_PAGE_SIZE, 1))
			return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		uintptr_t s = src + i * UK_PAGE_SIZE, d = dst + i * UK_PAGE_SIZE;
		uint64_t *from = pte(s, 0), *to;
		if (!from || !*from)
			continue;
		to = pte(d, 0);
		*to = *from;
		*from = 0;
		uk_vm_counts.pte_write += 2;
		if (*to & PTE_P)
			invlpg(s);
		invlpg(d);
	}
	uk_unmap_range(src, n, NULL, NULL); /* frees the tables left empty */
	return 0;
}

uint64_t uk_page_held(uintptr_t va)
{
	uint64_t *e = pte(va, 0);

	return e && *e ? *e & PTE_ADDR : ~0ull;
}

uint64_t uk_pt_held(uint64_t *in, uintptr_t va)
{
	uint64_t *t = in;

	for (int shift = 39; shift > 12 && t; shift -= 9)
		t = next_level(t, (va >> shift) & 511, 0);
	return t && t[(va >> 12) & 511] ? t[(va >> 12) & 511] & PTE_ADDR : ~0ull;
}

/* Pages held in [lo, hi) by the table tbl mapping from base, whose entries
 * each span 1 << shift bytes: only tables that exist are visited. */
static uint64_t count_held(const uint64_t *tbl, int shift, uintptr_t base, uintptr_t lo,
                           uintptr_t hi)
{
	uint64_t n = 0, span = 1ull << shift;
	unsigned first = (unsigned)((lo - base) >> shift),
	         last = (unsigned)((hi - 1 - base) >> shift);

	for (unsigned i = first; i <= last && i < 512; i++) {
		uint64_t e = tbl[i];
		uintptr_t b = base + i * span;
		if (shift == 12) {
			n += e != 0;
			continue;
		}
		if (!(e & PTE_P) || (e & PTE_PS))
			continue;
		n += count_held(uk_p2v(e & PTE_ADDR), shift - 9, b, lo > b ? lo : b,
		                hi < b + span ? hi : b + span);
	}
	return n;
}

uint64_t uk_pt_count(uint64_t *in, uintptr_t lo, uintptr_t hi)
{
	return lo < hi ? count_held(in, 39, 0, lo, hi) : 0;
}

uint64_t uk_virt_to_phys(uintptr_t va)
{
	uint64_t *t = root, e = 0;

	for (int shift = 39; shift >= 12; shift -= 9) {
		e = t[(va >> shift) & 511];
		if (!(e & PTE_P))
			return ~0ull;
		if (shift == 12 || (e & PTE_PS)) {
			uint64_t mask = (1ull << shift) - 1;
			return (e & PTE_ADDR & ~mask) | (va & mask);
		}
		t = uk_p2v(e & PTE_ADDR);
	}
	return ~0ull;
}

/* ---- stacks ----
 * Each stack gets a 64 MiB slot of address space: a guard page at the
 * bottom, then up to 64 MiB - 4 KiB committed on demand, page by page, as
 * the stack grows into it (uk_stack_fault). A thread pays for the stack it
 * touches, as on Linux. */

#define SLOT_SIZE (64ul << 20)
#define NSLOTS ((STACK_END - STACK_BASE) / SLOT_SIZE)

static uint32_t slot_pages[NSLOTS]; /* usable pages; 0 = free slot */
static unsigned slot_hint;

void *uk_stack_alloc(size_t size)
{
	size_t pages = (size + UK_PAGE_SIZE - 1) / UK_PAGE_SIZE;
	int on;

	if (!pages || pages > SLOT_SIZE / UK_PAGE_SIZE - 1)
		return NULL;
	on = uk_irq_save();
	for (unsigned n = 0; n < NSLOTS; n++) {
		unsigned i = (slot_hint + n) % NSLOTS;
		if (slot_pages[i])
			continue;
		uintptr_t base = STACK_BASE + i * SLOT_SIZE + UK_PAGE_SIZE;
		slot_pages[i] = (uint32_t)pages;
		slot_hint = i + 1;
		/* Its top two pages now: a new thread's first frame goes
		 * there at once (the main thread's boot reaches the second
		 * before main()), and committing one on its fault costs the
		 * paravirtual host ~4 exits (the fault, CR2, the store into a
		 * page table it shadows by then, the retry); here the table is
		 * new, its stores plain. Without memory the fault does it
		 * later, or reports it. */
		uk_stack_fault(base + pages * UK_PAGE_SIZE - 1);
		if (pages > 1)
			uk_stack_fault(base + (pages - 1) * UK_PAGE_SIZE - 1);
		uk_irq_restore(on);
		return (void *)base;
	}
	uk_irq_restore(on);
	return NULL;
}

void uk_stack_free(void *stack, size_t size)
{
	uintptr_t va = (uintptr_t)stack;
	unsigned i = (va - STACK_BASE) / SLOT_SIZE;
	size_t pages = (size + UK_PAGE_SIZE - 1) / UK_PAGE_SIZE;

	for (size_t k = 0; k < pages; k++) {
		uint64_t *e = pte(va + k * UK_PAGE_SIZE, 0);
		if (e && (*e & PTE_P)) {
			uint64_t pa = *e & PTE_ADDR;
			*e = 0;
			uk_vm_counts.pte_write++;
			invlpg(va + k * UK_PAGE_SIZE);
			uk_pages_free(uk_p2v(pa), 1);
		}
	}
	slot_pages[i] = 0;
}

int uk_stack_fault(uintptr_t addr)
{
	uintptr_t off, page;
	unsigned i;
	uint8_t *mem;

	if (addr < STACK_BASE || addr >= STACK_END)
		return 0;
	i = (addr - STACK_BASE) / SLOT_SIZE;
	off = (addr - STACK_BASE) % SLOT_SIZE;
	if (!slot_pages[i] || off < UK_PAGE_SIZE ||
	    off >= UK_PAGE_SIZE + (uintptr_t)slot_pages[i] * UK_PAGE_SIZE)
		return 0;
	page = addr & ~(UK_PAGE_SIZE - 1);
	if (uk_virt_to_phys(page) != ~0ull)
		return 0; /* mapped already: a protection fault, not growth */
	if (!(mem = uk_page_alloc_fault()))
		return 0;
	if (map(page, uk_v2p(mem), 1, UK_MAP_W, 2))
		return 0; /* out of memory: the fault is reported; the page leaks */
	return 1;
}

int uk_stack_guard_hit(uintptr_t addr)
{
	unsigned i;

	if (addr < STACK_BASE || addr >= STACK_END)
		return 0;
	i = (addr - STACK_BASE) / SLOT_SIZE;
	return slot_pages[i] && (addr - STACK_BASE) % SLOT_SIZE < UK_PAGE_SIZE;
}

/* ---- address spaces: one root per process (libos/mm/mm_proc.c) ----
 * Every root holds the boot tables' kernel-half entries, so the library
 * OS, its stacks and the physmap look the same from any of them: the
 * kernel half's upper-level tables are created once, before the first
 * root is copied (the stack region's is prebuilt in boot.S, empty).
 *
 * On the paravirtual host a store into a table in use is trapped and
 * emulated (~30 us, pvm.md), and a root loaded anew is shadowed anew,
 * page by page as it is used. So fork never write-protects the parent's
 * pages in place. A process with few writable pages (a shell, a small
 * server, a process about to exec) keeps its tables, untouched and still
 * shadowed: the child gets new tables, with copies of the parent's
 * writable private pages and its other private pages shared read-only
 * (copy-on-write in the child; in the parent they already are read-only,
 * and mprotect keeps a frame held twice read-only: uk_protect_range).
 * A larger one gets two new lower halves, the parent's and the child's,
 * both read-only where private, then loads the parent's root (one CR3
 * write) and frees the old tables, which nothing uses any more. The
 * child's "new" tables are those of the last process that ended, where
 * there is one (kept, below). */

#define KERNEL_HALF 256
#define STACK_SLOT ((STACK_BASE >> 39) & 511)

uint64_t *uk_pt_current(void) { return root; }

uint64_t *uk_pt_new(void)
{
	uint64_t *r;

	if (!next_level(uk_pml4, STACK_SLOT, 1) || !(r = table_get()))
		return NULL;
	for (int i = KERNEL_HALF; i < 512; i++)
		r[i] = uk_pml4[i];
	return r;
}

void uk_pt_switch(uint64_t *r)
{
	if (r == root)
		return;
	/* the kept empty table (unmap) belongs to the old root's tree */
	spare = 0;
	root = r;
	uk_vm_counts.cr3_load++;
	__asm__ volatile("mov %0, %%cr3" : : "r"(uk_v2p(r)) : "memory");
}

/* Tables below a root's lower half, level by level (shift 39: the root). */
static size_t tables_below(const uint64_t *t, int shift)
{
	size_t n = 0;

	for (int i = 0; i < (shift == 39 ? KERNEL_HALF : 512); i++) {
		if (!(t[i] & PTE_P) || (t[i] & PTE_PS))
			continue;
		n++;
		if (shift > 21)
			n += tables_below(uk_p2v(t[i] & PTE_ADDR), shift - 9);
	}
	return n;
}

/* Writable private pages below a table (shift 39: the root's lower
 * half), counted up to max + 1. */
static size_t writable_below(const uint64_t *t, int shift, uintptr_t base,
                             const struct uk_pt_fork_ops *ops, size_t max)
{
	size_t n = 0;

	for (int i = 0; i < (shift == 39 ? KERNEL_HALF : 512) && n <= max; i++) {
		uint64_t e = t[i];
		uintptr_t va = base + ((uintptr_t)i << shift);
		if (shift == 12) {
			n += (e & (PTE_P | PTE_W)) == (PTE_P | PTE_W) && !ops->shared(va, ops->arg);
			continue;
		}
		if ((e & PTE_P) && !(e & PTE_PS))
			n += writable_below(uk_p2v(e & PTE_ADDR), shift - 9, va, ops, max - n);
	}
	return n;
}

struct fork_walk {
	void **pool; /* zeroed pages, taken in order */
	size_t used;
	const struct uk_pt_fork_ops *ops;
	int keep; /* the parent keeps its tables: a is NULL */
};

/* ---- a dead process's tables, kept for the next fork ----
 * On the paravirtual host a page that served as a page table stays
 * shadowed, write-protected, after its process is gone: zeroing it for a
 * new table cost a trapped store each (~15-30 us there, 12 tables for a
 * fork of a small static program: a third of the fork), and a child's
 * new tables were shadowed anew, a shadow fault for each page it touched.
 * So the tree of the last process that ended is kept whole, its entries
 * as they were (its frames released: nothing loads this root before it
 * is rewritten, and that load is the flush), and the next fork's child
 * gets it: fork_tables visits it beside the parent's and stores only the
 * entries that differ. A child forked from the same parent as the last
 * one (a shell, a server, a benchmark's loop) finds its tables holding
 * what it needs already, and the host its shadows of them: a fork+exit
 * of a small program went from ~18 exits to ~3 (two CR3 loads). */
#define KEPT 4

static struct {
	uint64_t *root; /* NULL: a free slot */
	uint64_t tag, used;
} kept[KEPT];
static uint64_t kept_clock;

/* The kept tree tagged tag (taken out of its slot), else with any = 1 the
 * one kept longest ago; NULL when there is none. */
static uint64_t *kept_take(uint64_t tag, int any)
{
	int best = -1;
	uint64_t *r;

	for (int i = 0; i < KEPT; i++) {
		if (!kept[i].root)
			continue;
		if (kept[i].tag == tag) {
			best = i;
			break;
		}
		if (any && (best < 0 || kept[i].used < kept[best].used))
			best = i;
	}
	if (best < 0)
		return NULL;
	r = kept[best].root;
	kept[best].root = NULL;
	return r;
}

/* Store v in table entry *e unless it holds that already (the accessed
 * bit aside, which the CPU or the host's walk may have set). */
static void pt_set(uint64_t *e, uint64_t v)
{
	if ((*e ^ v) & ~PTE_A)
		*e = v;
}

static int is_table(uint64_t e) { return (e & PTE_P) && !(e & PTE_PS); }

static void free_tables(uint64_t *t, int shift, void (*release)(uint64_t pa, void *arg), void *arg);

/* Tables the child's walk takes from the pool: the parent's that the kept
 * tree (b, NULL: none) has no table for at the same place. */
static size_t tables_missing(const uint64_t *src, const uint64_t *b, int shift)
{
	size_t n = 0;

	for (int i = 0; i < (shift == 39 ? KERNEL_HALF : 512); i++) {
		if (!is_table(src[i]))
			continue;
		if (b && is_table(b[i])) {
			if (shift > 21)
				n += tables_missing(uk_p2v(src[i] & PTE_ADDR),
				                    uk_p2v(b[i] & PTE_ADDR), shift - 9);
			continue;
		}
		n++;
		if (shift > 21)
			n += tables_below(uk_p2v(src[i] & PTE_ADDR), shift - 9);
	}
	return n;
}

/* Entry i of a kept table b at level shift, where the parent has nothing:
 * emptied, with the tables below it. */
static void kept_clear(uint64_t *b, int i, int shift)
{
	if (!b[i])
		return;
	if (shift > 12 && is_table(b[i])) {
		uint64_t *t = uk_p2v(b[i] & PTE_ADDR);
		if (shift > 21)
			free_tables(t, shift - 9, NULL, NULL);
		table_put(t);
	}
	b[i] = 0;
}

/* A private page of the parent's tables in use that cannot be copied (no
 * memory): shared copy-on-write after all, its entry written in place. */
static uint64_t cow_in_place(uint64_t *e, uintptr_t va)
{
	*e = (*e & ~PTE_W) | PTE_COW;
	uk_vm_counts.pte_write++;
	invlpg(va);
	return *e;
}

static void fork_leaves(struct fork_walk *w, uint64_t *src, uint64_t *a, uint64_t *b,
                        uintptr_t base)
{
	const struct uk_pt_fork_ops *ops = w->ops;

	for (int i = 0; i < 512; i++) {
		uint64_t e = src[i], copy;
		uintptr_t va = base + i * UK_PAGE_SIZE;
		if (!e) {
			if (b[i]) /* a kept table's stale entry */
				b[i] = 0;
			continue;
		}
		if (ops->shared(va, ops->arg)) {
			/* the same entry in both */
		} else if (!w->keep) {
			e = (e & ~PTE_W) | PTE_COW;
		} else if ((e & (PTE_P | PTE_W)) != (PTE_P | PTE_W)) {
			/* read-only or hidden already */
			pt_set(&b[i], (e & ~PTE_W) | PTE_COW);
			ops->ref(e & PTE_ADDR, ops->arg);
			continue;
		} else if ((copy = ops->copy(e & PTE_ADDR, va, ops->arg)) != ~0ull) {
			pt_set(&b[i], copy ? copy | (e & ~PTE_ADDR) : 0);
			continue;
		} else {
			e = cow_in_place(&src[i], va);
		}
		if (a)
			a[i] = e;
		pt_set(&b[i], e);
		ops->ref(e & PTE_ADDR, ops->arg);
	}
}

static void fork_tables(struct fork_walk *w, uint64_t *src, uint64_t *a, uint64_t *b,
                        uintptr_t base, int shift)
{
	for (int i = 0; i < (shift == 39 ? KERNEL_HALF : 512); i++) {
		uint64_t e = src[i];
		uint64_t *na = NULL, *nb;
		uintptr_t at = base + ((uintptr_t)i << shift);
		if (!is_table(e)) {
			kept_clear(b, i, shift);
			continue;
		}
		if (!w->keep) {
			na = w->pool[w->used++];
			a[i] = uk_v2p(na) | (e & ~PTE_ADDR);
		}
		nb = is_table(b[i]) ? uk_p2v(b[i] & PTE_ADDR) : w->pool[w->used++];
		pt_set(&b[i], uk_v2p(nb) | (e & ~PTE_ADDR));
		if (shift == 21)
			fork_leaves(w, uk_p2v(e & PTE_ADDR), na, nb, at);
		else
			fork_tables(w, uk_p2v(e & PTE_ADDR), na, nb, at, shift - 9);
	}
}

/* Free the tables of a lower half (shift 39: the root's entries), handing
 * each frame held to release when it is not NULL. */
static void free_tables(uint64_t *t, int shift, void (*release)(uint64_t pa, void *arg), void *arg)
{
	for (int i = 0; i < (shift == 39 ? KERNEL_HALF : 512); i++) {
		uint64_t e = t[i];
		if (!e)
			continue;
		if (shift == 12) {
			if (release)
				release(e & PTE_ADDR, arg);
			continue;
		}
		if (!(e & PTE_P) || (e & PTE_PS))
			continue;
		free_tables(uk_p2v(e & PTE_ADDR), shift - 9, release, arg);
		table_put(uk_p2v(e & PTE_ADDR));
	}
}

/* The frames a lower half's leaf entries hold, handed to release; the
 * tables and their entries stay as they are (kept). */
static void release_leaves(uint64_t *t, int shift, void (*release)(uint64_t pa, void *arg),
                           void *arg)
{
	for (int i = 0; i < (shift == 39 ? KERNEL_HALF : 512); i++) {
		uint64_t e = t[i];
		if (shift == 12 && e && release)
			release(e & PTE_ADDR, arg);
		else if (shift > 12 && is_table(e))
			release_leaves(uk_p2v(e & PTE_ADDR), shift - 9, release, arg);
	}
}

static void kept_free(uint64_t *r)
{
	free_tables(r, 39, NULL, NULL);
	table_put(r);
}

void uk_pt_destroy(uint64_t *r, uint64_t tag, void (*release)(uint64_t pa, void *arg), void *arg)
{
	if (r == root)
		uk_pt_switch(uk_pml4);
	if (r != uk_pml4) { /* kept: in the slot of its tag, a free one, or the oldest */
		uint64_t *old = kept_take(tag, 0);
		int i = 0;
		release_leaves(r, 39, release, arg);
		if (old)
			kept_free(old);
		while (i < KEPT && kept[i].root)
			i++;
		if (i == KEPT) {
			i = 0;
			for (int k = 1; k < KEPT; k++)
				if (kept[k].used < kept[i].used)
					i = k;
			kept_free(kept[i].root);
		}
		kept[i].root = r;
		kept[i].tag = tag;
		kept[i].used = ++kept_clock;
		return;
	}
	free_tables(r, 39, release, arg);
	if (r == uk_pml4) { /* the boot root stays, as the kernel's own */
		for (int i = 0; i < KERNEL_HALF; i++)
			r[i] = 0;
		if (r == root)
			flush_all();
	} else
		table_put(r);
}

int uk_pt_fork(uint64_t **parent, uint64_t **child, const struct uk_pt_fork_ops *ops,
               size_t max_copies, uint64_t tag)
{
	int keep = writable_below(root, 39, 0, ops, max_copies) <= max_copies;
	uint64_t *reuse = keep ? kept_take(tag, 1) : NULL;
	size_t n =
	    reuse ? tables_missing(root, reuse, 39) : (keep ? 1 : 2) * (tables_below(root, 39) + 1);
	struct fork_walk w = { uk_kmalloc((n + 1) * sizeof(void *)), 0, ops, keep };
	uint64_t *old = root;
	size_t got = 0;

	if (!w.pool || !next_level(uk_pml4, STACK_SLOT, 1))
		goto nomem;
	for (; got < n; got++)
		if (!(w.pool[got] = table_get()))
			goto nomem;
	*parent = keep ? old : w.pool[w.used++];
	*child = reuse ? reuse : w.pool[w.used++];
	for (int i = KERNEL_HALF; i < 512; i++) {
		pt_set(&(*child)[i], uk_pml4[i]);
		if (!keep)
			(*parent)[i] = uk_pml4[i];
	}
	fork_tables(&w, old, keep ? NULL : *parent, *child, 0, 39);
	uk_kfree(w.pool);
	if (keep)
		return 0;
	uk_pt_switch(*parent);
	uk_pt_destroy(old, 0, NULL, NULL); /* (the boot root stays) */
	return 0;
nomem:
	while (got)
		table_put(w.pool[--got]);
	uk_kfree(w.pool);
	if (reuse)
		kept_free(reuse);
	return -ENOMEM;
}

/* Table b (kept) made to hold what table src holds, level by level: b's
 * tables reused where src has one at the same place. -ENOMEM leaves b
 * partly done (it is then freed: nothing loads it). */
static int settle_tables(const uint64_t *src, uint64_t *b, int shift)
{
	for (int i = 0; i < (shift == 39 ? KERNEL_HALF : 512); i++) {
		uint64_t e = src[i], *nb;
		if (shift == 12) {
			pt_set(&b[i], e);
			continue;
		}
		if (!is_table(e)) {
			kept_clear(b, i, shift);
			continue;
		}
		if (!is_table(b[i])) {
			kept_clear(b, i, shift);
			if (!(nb = table_get()))
				return -ENOMEM;
		} else
			nb = uk_p2v(b[i] & PTE_ADDR);
		pt_set(&b[i], uk_v2p(nb) | (e & ~PTE_ADDR));
		if (settle_tables(uk_p2v(e & PTE_ADDR), nb, shift - 9))
			return -ENOMEM;
	}
	return 0;
}

uint64_t *uk_pt_settle(uint64_t tag)
{
	uint64_t *b, *old = root;

	if (old == uk_pml4 || !(b = kept_take(tag, 0)))
		return old;
	for (int i = KERNEL_HALF; i < 512; i++)
		pt_set(&b[i], uk_pml4[i]);
	if (settle_tables(old, b, 39)) {
		kept_free(b);
		return old;
	}
	uk_pt_switch(b);
	kept_free(old); /* its frames are b's now */
	return b;
}

int uk_pt_cow(uintptr_t va)
{
	uint64_t *e = pte(va, 0);

	return e && (*e & PTE_COW);
}
