/*
 * The application's address space (see uk/vm.h): mmap, munmap, mprotect,
 * mremap, the page-fault path that commits pages on first touch, and the
 * advisory calls (madvise, msync, mincore, mlock).
 *
 * A frame is held by one page table entry, or by several after fork
 * (mm_proc.c): then frame_refs counts the others, private pages are
 * copy-on-write (read-only until a write fault copies them, or takes the
 * frame back when nobody else holds it), and MAP_SHARED pages stay
 * writable in every process. MADV_DONTNEED keeps the contents of
 * MAP_SHARED anonymous memory, as shared memory does on Linux.
 */
#include <uk/arch.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/paging.h>
#include <uk/plat.h>
#include <uk/print.h>
#include <uk/proc.h>
#include <uk/syscall.h>
#include <uk/vfs.h>
#include <uk/vm.h>

#include "vma.h"

#define PAGE UK_PAGE_SIZE
#define PAGE_MASK (UK_PAGE_SIZE - 1)
#define MAX_AREAS UK_MAX_MAP_COUNT
#define PROT_RWX (PROT_READ | PROT_WRITE | PROT_EXEC)
#define PF_PRESENT 0x1
#define PF_WRITE 0x2
#define PF_FETCH 0x10
#define MAP_32BIT_LO 0x40000000ul /* where Linux puts MAP_32BIT areas */
#define MAP_32BIT_HI 0x80000000ul

#define MMAP_FLAGS_KNOWN                                                                         \
	(MAP_TYPE | MAP_FIXED | MAP_ANONYMOUS | MAP_32BIT | MAP_GROWSDOWN | MAP_DENYWRITE |      \
	 MAP_EXECUTABLE | MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | \
	 MAP_HUGETLB | MAP_SYNC | MAP_FIXED_NOREPLACE | MAP_UNINITIALIZED |                      \
	 (MAP_HUGE_MASK << MAP_HUGE_SHIFT))

void (*uk_vm_exec_hook)(uintptr_t start, uintptr_t end);

void uk_vm_on_exec_map(void (*fn)(uintptr_t start, uintptr_t end)) { uk_vm_exec_hook = fn; }

void uk_vm_file_ref(void *file, int delta)
{
	if (delta > 0)
		uk_file_get(file);
	else
		uk_file_put(file);
}

/* Process 1's, from boot; its root is the boot tables' until it forks. */
struct uk_mm uk_vm_init_mm = { .refs = 1, .root = uk_pml4, .as = { .file_ref = uk_vm_file_ref } };
struct uk_mm *uk_mm_cur = &uk_vm_init_mm;
static uint64_t rss_pages, rss_peak;

/* Round a length up to pages; 0 when that overflows the user range. */
static size_t page_up(size_t len)
{
	if (len > UK_VM_END)
		return 0;
	return (len + PAGE_MASK) & ~PAGE_MASK;
}

static unsigned map_flags(unsigned prot)
{
	if (!(prot & PROT_RWX))
		return UK_MAP_NONE;
	return (prot & PROT_WRITE ? UK_MAP_W : 0) | (prot & PROT_EXEC ? UK_MAP_X : 0);
}

/* Memory Linux would charge to the commit limit. */
static int charged(unsigned prot, unsigned vflags, const void *file)
{
	if (vflags & UK_VMA_NORESERVE)
		return 0;
	return vflags & UK_VMA_SHARED ? !file : !!(prot & PROT_WRITE);
}

/* Linux's default heuristic: refuse what could never fit. */
static int too_big(size_t len, unsigned prot, unsigned vflags, const void *file)
{
	return charged(prot, vflags, file) && len > uk_mm_total();
}

/* ---- frames ---- */

/* A frame held by several page table entries (after fork) or by a file
 * and page table entries (a shared mapping of a RAM file) counts its
 * holders (uk/mm.h's page references). */
int uk_vm_frames_prepare(void) { return uk_page_refs_prepare(); }

/* (resident once more: uk_vm_release takes each entry's away) */
void uk_vm_frame_ref(uint64_t pa)
{
	uk_page_ref(pa);
	if (++rss_pages > rss_peak)
		rss_peak = rss_pages;
}

static int frame_shared(uint64_t pa) { return uk_page_shared(pa); }

static int frame_held(uint64_t pa, void *arg)
{
	(void)arg;
	return frame_shared(pa);
}

/* A copy of the frame at pa for fork's child (uk_pt_fork): its address,
 * ~0 when out of memory. Counted in the resident size, as a fault's. */
uint64_t uk_vm_frame_copy(uint64_t pa)
{
	void *copy = uk_pages_alloc(1);

	if (!copy)
		return ~0ull;
	uk_memcpy(copy, uk_p2v(pa), PAGE);
	uk_vm_counts.fork_copy++;
	if (++rss_pages > rss_peak)
		rss_peak = rss_pages;
	return uk_v2p(copy);
}

/* One holder lets go of pa: 1 when others still hold it. */
static int frame_unref(uint64_t pa) { return uk_page_unref(pa); }

/* Frees runs of physically adjacent frames at once: the allocator keeps
 * free memory as sorted extents, and pages committed together sit
 * together. */
struct frame_run {
	uint64_t pa;
	size_t n;
};

static void run_flush(struct frame_run *r)
{
	if (r->n)
		uk_pages_free(uk_p2v(r->pa), r->n);
	rss_pages -= r->n;
	r->n = 0;
}

static void run_add(uint64_t pa, void *arg)
{
	struct frame_run *r = arg;

	if (frame_unref(pa)) {
		rss_pages--;
		return;
	}
	if (r->n && pa == r->pa + r->n * PAGE) {
		r->n++;
	} else if (r->n && pa + PAGE == r->pa) {
		r->pa = pa;
		r->n++;
	} else {
		run_flush(r);
		r->pa = pa;
		r->n = 1;
	}
}

/* Drop the frames held in [start, end). */
void uk_vm_release(uintptr_t start, uintptr_t end)
{
	struct frame_run r = { 0, 0 };

	uk_unmap_range(start, (end - start) / PAGE, run_add, &r);
	run_flush(&r);
}

static int map_frame(uintptr_t va, uint64_t pa, unsigned flags)
{
	if (uk_map_pages(va, pa, 1, flags))
		return -ENOMEM;
	if (++rss_pages > rss_peak)
		rss_peak = rss_pages;
	return 0;
}

int uk_vm_map_frame(uintptr_t va, void *page, unsigned prot)
{
	return map_frame(va, uk_v2p(page), map_flags(prot));
}

int uk_vm_map_frame_cow(uintptr_t va, const void *page, unsigned prot)
{
	unsigned f = map_flags(prot);

	return map_frame(va, uk_v2p(page), f & UK_MAP_W ? f | UK_MAP_COW : f);
}

/* A zeroed frame at va. Pages never handed out are known to be zero and
 * are not written, so the host commits them only when the program does. */
static int commit(uintptr_t va, unsigned prot)
{
	void *p = uk_pages_zalloc(1);

	if (!p)
		return -ENOMEM;
	if (uk_vm_map_frame(va, p, prot)) {
		uk_pages_free(p, 1);
		return -ENOMEM;
	}
	return 0;
}

/* The page at va of area v as a first touch finds it: the file's bytes
 * where they lie in memory (mmap_file.c), else zeros. */
static int fault_in(struct uk_vma *v, uintptr_t va)
{
	int r = v->file ? uk_vm_file_page(v, va) : 1;

	return r == 1 ? commit(va, v->prot) : r;
}

void *uk_vm_page_own(uintptr_t va)
{
	uintptr_t page = va & ~PAGE_MASK;
	uint64_t pa = uk_page_held(page);
	struct uk_vma *v = uk_vma_find(&uk_vm_as, page);
	void *copy;

	if (pa == ~0ull || !v || v->start > page)
		return NULL;
	if (!frame_shared(pa))
		return uk_p2v(pa);
	if (!(copy = uk_pages_alloc(1)))
		return NULL;
	uk_memcpy(copy, uk_p2v(pa), PAGE);
	uk_vm_counts.file_copy++;
	if (uk_map_pages(page, uk_v2p(copy), 1, map_flags(v->prot))) {
		uk_pages_free(copy, 1);
		return NULL;
	}
	frame_unref(pa);
	return copy;
}

int uk_vm_page_share(uintptr_t va, uint64_t pa)
{
	uintptr_t page = va & ~PAGE_MASK;
	uint64_t old = uk_page_held(page);
	struct uk_vma *v = uk_vma_find(&uk_vm_as, page);
	unsigned f;

	if (!v || v->start > page || (v->flags & UK_VMA_SHARED))
		return -EINVAL;
	if (old != ~0ull && !frame_shared(old)) {
		uk_memcpy(uk_p2v(old), uk_p2v(pa), PAGE);
		return 0;
	}
	f = map_flags(v->prot);
	if (uk_map_pages(page, pa, 1, f & UK_MAP_W ? f | UK_MAP_COW : f))
		return -ENOMEM;
	uk_page_ref(pa);
	if (old == ~0ull && ++rss_pages > rss_peak)
		rss_peak = rss_pages;
	else if (old != ~0ull)
		frame_unref(old); /* (held by others: never the last) */
	uk_vm_counts.code_kept++;
	return 0;
}

/* A page committed ahead of its touch: 0, 1 when a file area's page lies
 * past the file's end, or -ENOMEM. Linux populates no page there (a touch
 * there is SIGBUS), and a zero page here would hide what the file gets
 * there later: etcd's bbolt maps its database of a few KiB 10 GiB ahead
 * with MAP_POPULATE, then grows it by pwrite and reads it through the map
 * (committing zeros took all the guest's memory). */
static int populate_page(struct uk_vma *v, uintptr_t va)
{
	int r = v->file ? uk_vm_file_page(v, va) : commit(va, v->prot);

	return r < 0 ? -ENOMEM : r;
}

/* Commit every missing page of [start, end) inside accessible areas (a
 * file area's only up to the file's end). */
int uk_vm_populate(uintptr_t start, uintptr_t end)
{
	for (struct uk_vma *v = uk_vma_find(&uk_vm_as, start); v && v->start < end; v = v->next) {
		uintptr_t a = v->start > start ? v->start : start;
		uintptr_t e = v->end < end ? v->end : end;
		int r = 0;
		if (!(v->prot & PROT_RWX))
			continue;
		for (; a < e && r != 1; a += PAGE)
			if (uk_page_held(a) == ~0ull && (r = populate_page(v, a)) < 0)
				return r;
	}
	return 0;
}

static int access_allowed(unsigned prot, uint64_t error)
{
	if (error & PF_WRITE)
		return prot & PROT_WRITE;
	if (error & PF_FETCH)
		return prot & PROT_EXEC;
	return prot & PROT_RWX;
}

/* Fault-around: a fault in an anonymous area also maps the missing pages
 * of its aligned 256 KiB block within the area, one in a file area those
 * of that block that the file has. (Linux maps 64 KiB of its page cache
 * around a fault in a file; here each such page is a copy, yet 256 KiB
 * took java's start from 750 guest faults to 538 and 7 100 KVM exits to
 * 6 350, node's from 495 faults to 281, python's from 146 to 83.) On the
 * paravirtual host a fault the guest takes is four exits (delivery, the
 * handler's entry, the CR2 read, the retry's shadow fault); pages mapped
 * ahead need none of the first three, and the host's shadow fault maps up
 * to 8 neighbours at once when their entries are present and accessed
 * (leaf_attr). Not in areas under 64 KiB, so that a small mapping holds
 * exactly the pages touched: the heaps, arenas and V8's 256 KiB pages of
 * real programs are larger (with 2 MiB as the floor instead, node's start
 * took 3 105 guest faults instead of 508, python's 1 519 instead of
 * 310). Not in thread stacks either (MAP_STACK: Linux gives them no huge
 * pages, as a thread uses a few KiB of them); and only while memory is
 * plentiful, as the neighbours are a guess. Untouched pages cost the host
 * nothing: frames never used are known zero and are not written. */
#define AROUND_PAGES 64
#define AROUND_AREA_MIN (64ul << 10)

static void fault_around(struct uk_vma *v, uintptr_t page)
{
	size_t span = AROUND_PAGES * PAGE;
	uintptr_t lo = page & ~(span - 1), hi = lo + span;

	if (uk_mm_free() < uk_mm_total() / 8)
		return;
	if (!v->file && ((v->flags & UK_VMA_STACK) || v->end - v->start < AROUND_AREA_MIN))
		return;
	if (lo < v->start)
		lo = v->start;
	if (hi > v->end)
		hi = v->end;
	for (uintptr_t a = lo; a < hi; a += PAGE) {
		if (a == page || uk_page_held(a) != ~0ull)
			continue;
		/* (a file's pages past its end are left for a touch) */
		if ((v->file ? uk_vm_file_page(v, a) : commit(a, v->prot)) < 0)
			return;
	}
}

/* The first page of a small private anonymous area, committed with the
 * area: a program writes there first (a header, a buffer), and on the
 * paravirtual host the fault that would commit it costs three exits (the
 * exception's delivery, the CR2 read, the retry's shadow fault) where a
 * page already mapped costs the shadow fault alone, or nothing when the
 * host maps it along with a neighbour's (mmap, touch and munmap of one
 * page: 5 exits -> 2). Mapped accessed, as every page: with the bit clear
 * an unmap untouched could skip its flush, but the host would not map it
 * with its neighbours (java's start: ~50 more shadow faults of ~3 700).
 * Areas of 64 KiB and more get fault-around instead; a thread's stack
 * (MAP_STACK, any size: glibc's threads and posix_spawn's child) its top
 * page, where the first frame and glibc's thread block go. A guess, like
 * fault-around: only while memory is plentiful, and the host spends
 * nothing on a frame nobody touches. */
static void commit_first(uintptr_t va, unsigned prot)
{
	if (uk_mm_free() >= uk_mm_total() / 2) /* never what a program needs later */
		commit(va, prot);
}

static __attribute__((noreturn)) void out_of_memory(uintptr_t addr)
{
	uk_pr("out of memory: no page left for address %#lx (%lu KiB of mappings in use); "
	      "the program is ended as Linux's OOM killer would end it",
	      addr, (unsigned long)(rss_pages * (PAGE / 1024)));
	uk_plat_abort(128 + 9);
}

/* A write to a copy-on-write page: a copy of its own, or the frame itself
 * when no other process holds it any more: 1, or 0 when the page is not
 * copy-on-write. Without memory for the copy the program ends, unless
 * this is only a guess (cow_around): then -ENOMEM, the page as it was. */
static int cow_break(uintptr_t page, unsigned prot, int guess)
{
	uint64_t pa = uk_page_held(page);
	void *copy;

	if (pa == ~0ull || !uk_pt_cow(page))
		return 0;
	if (!frame_shared(pa)) {
		uk_vm_counts.cow_reuse++;
		return !uk_map_pages(page, pa, 1, map_flags(prot));
	}
	if (!(copy = uk_pages_alloc(1)) && guess)
		return -ENOMEM;
	if (!copy)
		out_of_memory(page);
	uk_memcpy(copy, uk_p2v(pa), PAGE);
	uk_vm_counts.cow_copy++;
	if (uk_map_pages(page, uk_v2p(copy), 1, map_flags(prot)))
		out_of_memory(page);
	frame_unref(pa);
	return 1;
}

/* Copy-on-write around a write fault, as fault-around does for fresh
 * pages: a process writing one page after fork writes its neighbours
 * next (a postgres backend, a shell's child), and on the paravirtual host
 * each fault is ~5 exits where breaking a neighbour now costs the entry's
 * write alone. Private writable areas only, while memory is plentiful. */
#define COW_AROUND_PAGES 16

static void cow_around(struct uk_vma *v, uintptr_t page)
{
	uintptr_t lo = page & ~(COW_AROUND_PAGES * PAGE - 1), hi = lo + COW_AROUND_PAGES * PAGE;

	if ((v->flags & UK_VMA_SHARED) || !(v->prot & PROT_WRITE) ||
	    uk_mm_free() < uk_mm_total() / 4)
		return;
	if (lo < v->start)
		lo = v->start;
	if (hi > v->end)
		hi = v->end;
	for (uintptr_t a = lo; a < hi; a += PAGE)
		if (a != page && cow_break(a, v->prot, 1) < 0)
			return;
}

int uk_vm_fault(uintptr_t addr, uint64_t error)
{
	struct uk_vma *v;
	uintptr_t page = addr & ~PAGE_MASK;

	if (addr < UK_VM_MIN || addr >= UK_VM_END)
		return 0;
	v = uk_vma_find(&uk_vm_as, addr);
	if (!v || v->start > addr || !access_allowed(v->prot, error))
		return 0;
	if (error & PF_PRESENT) {
		if (!(error & PF_WRITE) || cow_break(page, v->prot, 0) <= 0)
			return 0;
		cow_around(v, page);
		return 1;
	}
	if (uk_page_held(page) != ~0ull)
		return 0; /* held but hidden: the area and its pages disagree */
	if (fault_in(v, page))
		out_of_memory(addr);
	fault_around(v, page);
	return 1;
}

/* ---- areas ---- */

/* Remove every area and page in [start, end). */
static int unmap_area(uintptr_t start, uintptr_t end)
{
	struct uk_vma *v, *next;

	if (uk_vma_isolate(&uk_vm_as, start, end))
		return -ENOMEM;
	for (v = uk_vma_find(&uk_vm_as, start); v && v->start < end; v = next) {
		next = v->next;
		uk_vma_remove(&uk_vm_as, v);
	}
	uk_vm_release(start, end);
	return 0;
}

/* Merge the areas meeting [start, end] with equal neighbours. */
static void merge_range(uintptr_t start, uintptr_t end)
{
	struct uk_vma *v = uk_vma_find(&uk_vm_as, start ? start - 1 : 0);

	while (v && v->start <= end)
		v = uk_vma_merge(&uk_vm_as, v)->next;
}

/* Where a new mapping goes: a free hint if there is one, else the highest
 * free range below UK_VM_MMAP_TOP, else anywhere. */
static uintptr_t place(uintptr_t hint, size_t len, unsigned flags)
{
	uintptr_t a;

	if (flags & MAP_32BIT)
		return uk_vma_gap(&uk_vm_as, len, MAP_32BIT_LO, MAP_32BIT_HI);
	hint &= ~PAGE_MASK;
	if (hint >= UK_VM_MIN && hint <= UK_VM_END - len &&
	    uk_vma_range_free(&uk_vm_as, hint, hint + len))
		return hint;
	a = uk_vma_gap(&uk_vm_as, len, UK_VM_MIN, UK_VM_MMAP_TOP);
	return a ? a : uk_vma_gap(&uk_vm_as, len, UK_VM_MIN, UK_VM_END);
}

static long check_mmap(uintptr_t addr, size_t len, unsigned prot, unsigned flags, uint64_t off)
{
	unsigned type = flags & MAP_TYPE;

	if (!len || (off & PAGE_MASK))
		return -EINVAL;
	if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (type == MAP_SHARED_VALIDATE && (flags & ~MMAP_FLAGS_KNOWN))
		return -EOPNOTSUPP;
	if (type == MAP_SHARED_VALIDATE && (flags & MAP_SYNC)) {
		uk_trace_note("mmap: MAP_SYNC needs a DAX file; uk has none");
		return -EOPNOTSUPP;
	}
	if (prot & ~(PROT_RWX | PROT_SEM))
		return -EINVAL;
	if (flags & MAP_HUGETLB) {
		/* Linux's answer without reserved huge pages; callers fall back. */
		uk_trace_note("mmap: no huge pages are reserved (MAP_HUGETLB)");
		return -ENOMEM;
	}
	if (!page_up(len) || off + page_up(len) < off)
		return -ENOMEM;
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if (addr & PAGE_MASK)
			return -EINVAL;
		if (addr < UK_VM_MIN)
			return -EPERM; /* as Linux below vm.mmap_min_addr */
		if (addr > UK_VM_END - page_up(len))
			return -ENOMEM;
	}
	return 0;
}

/* MAP_SHARED|MAP_ANONYMOUS memory is a mapping of an unnamed RAM file of
 * its size, as Linux's shmem: processes that inherit it share its pages
 * as they touch them (mmap_file.c), with nothing committed up front. */
static long mmap_shared_anon(uintptr_t addr, size_t len, unsigned prot, unsigned flags)
{
	struct uk_file *f;
	long r = uk_ramfs_anon_file(len, &f);

	if (r)
		return r;
	r = uk_vm_mmap(addr, len, prot, flags, f, 0);
	uk_file_put(f);
	return r;
}

long uk_vm_mmap(uintptr_t addr, size_t len, unsigned prot, unsigned flags, struct uk_file *f,
                uint64_t off)
{
	unsigned vflags = ((flags & MAP_TYPE) != MAP_PRIVATE ? UK_VMA_SHARED : 0) |
	                  (flags & MAP_NORESERVE ? UK_VMA_NORESERVE : 0) |
	                  (flags & (MAP_STACK | MAP_GROWSDOWN) ? UK_VMA_STACK : 0);
	long r = check_mmap(addr, len, prot, flags, off);
	int rewrite;

	if (uk_vm_file_may_write(f, vflags & UK_VMA_SHARED))
		vflags |= UK_VMA_MAYWRITE;
	struct uk_vma *v;

	if (r)
		return r;
	len = page_up(len);
	prot &= PROT_RWX;
	if (too_big(len, prot, vflags, f) || uk_vm_as.count >= MAX_AREAS)
		return -ENOMEM;
	if ((vflags & UK_VMA_SHARED) && (r = uk_vm_frames_prepare()))
		return r;
	if ((vflags & UK_VMA_SHARED) && !f)
		return mmap_shared_anon(addr, len, prot, flags);
	if (flags & MAP_FIXED_NOREPLACE) {
		if (!uk_vma_range_free(&uk_vm_as, addr, addr + len))
			return -EEXIST;
	} else if (flags & MAP_FIXED) {
		if ((r = unmap_area(addr, addr + len)))
			return r;
	} else if (!(addr = place(addr, len, flags))) {
		return -ENOMEM;
	}
	if (!(v = uk_vma_insert(&uk_vm_as, addr, addr + len, prot, vflags, f, off)))
		return -ENOMEM;
	rewrite = f && uk_vm_file_rewritten(v); /* (the fill may block: v may go) */
	if (f && (r = uk_vm_file_fill(v, addr, addr + len))) {
		unmap_area(addr, addr + len);
		return r;
	}
	if (rewrite)
		uk_vm_exec_hook(addr, addr + len);
	/* Best effort, as on Linux: what cannot be committed now faults in. */
	if (flags & (MAP_POPULATE | MAP_LOCKED))
		uk_vm_populate(addr, addr + len);
	else if (!f && !(vflags & ~UK_VMA_MAYWRITE) && (prot & PROT_WRITE) && len < AROUND_AREA_MIN)
		commit_first(addr, prot);
	else if (!f && (vflags & ~UK_VMA_MAYWRITE) == UK_VMA_STACK && (prot & PROT_WRITE))
		commit_first(addr + len - PAGE, prot); /* a stack is written from its top */
	return (long)addr;
}

long uk_vm_mmap_within(uintptr_t lo, uintptr_t hi, size_t len, unsigned prot)
{
	uintptr_t a;

	if (lo < UK_VM_MIN)
		lo = UK_VM_MIN;
	if (hi > UK_VM_END)
		hi = UK_VM_END;
	if (!(len = page_up(len)) || !(a = uk_vma_gap(&uk_vm_as, len, lo, hi)))
		return -ENOMEM;
	/* committed now: the caller writes it at once (a fault each 4 KiB) */
	return uk_vm_mmap(a, len, prot,
	                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_POPULATE, NULL,
	                  0);
}

int uk_vm_munmap(uintptr_t addr, size_t len)
{
	if ((addr & PAGE_MASK) || !len || !(len = page_up(len)))
		return -EINVAL;
	if (addr >= UK_VM_END || len > UK_VM_END - addr)
		return -EINVAL;
	return unmap_area(addr, addr + len);
}

int uk_vm_mprotect(uintptr_t addr, size_t len, unsigned prot)
{
	uintptr_t end;
	struct uk_vma *v;

	if ((addr & PAGE_MASK) || (prot & ~(PROT_RWX | PROT_SEM | PROT_GROWSDOWN)))
		return -EINVAL;
	if (prot & PROT_GROWSDOWN) {
		uk_trace_note("mprotect: PROT_GROWSDOWN: uk has no growing stack areas");
		return -EINVAL;
	}
	if (!len)
		return 0;
	if (!(len = page_up(len)) || addr >= UK_VM_END || len > UK_VM_END - addr)
		return -ENOMEM;
	end = addr + len;
	prot &= PROT_RWX;
	if (!uk_vma_range_covered(&uk_vm_as, addr, end))
		return -ENOMEM;
	for (v = uk_vma_find(&uk_vm_as, addr); (prot & PROT_WRITE) && v && v->start < end;
	     v = v->next)
		if (!(v->flags & UK_VMA_MAYWRITE)) {
			uk_trace_note("mprotect: PROT_WRITE on a shared mapping that may not be "
			              "written (file not open for writing, or not a RAM file)");
			return -EACCES;
		}
	if (too_big(len, prot, 0, NULL) || uk_vma_isolate(&uk_vm_as, addr, end))
		return -ENOMEM;
	for (v = uk_vma_find(&uk_vm_as, addr); v && v->start < end; v = v->next) {
		v->prot = prot;
		/* a private frame another process holds stays copy-on-write */
		uk_protect_range(v->start, (v->end - v->start) / PAGE, map_flags(prot),
		                 v->flags & UK_VMA_SHARED ? NULL : frame_held, NULL);
	}
	merge_range(addr, end);
	return 0;
}

/* ---- mremap ---- */

/* Move [old, old + old_len) of its area v to a free or fixed new range. */
/* Extend area v (which ends at old's end) up to end. */
static long grow_in_place(struct uk_vma *v, uintptr_t old, uintptr_t end)
{
	uintptr_t from = v->end;
	long r;

	v = uk_vma_insert(&uk_vm_as, from, end, v->prot, v->flags, v->file,
	                  v->off + (v->end - v->start));
	if (!v)
		return -ENOMEM;
	if (v->file && (r = uk_vm_file_fill(v, from, end))) {
		unmap_area(from, end);
		return r;
	}
	return (long)old;
}

static long move_area(uintptr_t old, size_t old_len, uintptr_t to, size_t new_len, unsigned flags)
{
	struct uk_vma *v, *n;
	size_t keep = old_len < new_len ? old_len : new_len;
	long r;

	if ((flags & MREMAP_FIXED) && (r = unmap_area(to, to + new_len)))
		return r;
	v = uk_vma_find(&uk_vm_as, old); /* the unmap may have split old's area */
	n = uk_vma_insert(&uk_vm_as, to, to + new_len, v->prot, v->flags, v->file,
	                  v->off + (old - v->start));
	if (!n)
		return -ENOMEM;
	if (uk_move_range(to, old, keep / PAGE)) {
		unmap_area(to, to + new_len);
		return -ENOMEM;
	}
	if (n->file && new_len > old_len &&
	    (r = uk_vm_file_fill(uk_vma_find(&uk_vm_as, to), to + old_len, to + new_len))) {
		uk_move_range(old, to, keep / PAGE); /* give the pages back */
		unmap_area(to, to + new_len);
		return r;
	}
	if (!(flags & MREMAP_DONTUNMAP))
		unmap_area(old, old + old_len);
	return (long)to;
}

static long mremap_checks(uintptr_t old, size_t old_len, size_t new_len, unsigned flags,
                          uintptr_t to)
{
	if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP))
		return -EINVAL;
	if ((flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) && !(flags & MREMAP_MAYMOVE))
		return -EINVAL;
	if ((old & PAGE_MASK) || !new_len)
		return -EINVAL;
	if (!old_len) {
		/* Linux duplicates a shared mapping here; frames have one owner. */
		uk_trace_note(
		    "mremap: old_size 0 (a second view of shared memory) is not supported");
		return -EINVAL;
	}
	if ((flags & MREMAP_DONTUNMAP) && old_len != new_len)
		return -EINVAL;
	if (flags & MREMAP_FIXED) {
		if ((to & PAGE_MASK) || to < UK_VM_MIN || to >= UK_VM_END ||
		    new_len > UK_VM_END - to)
			return -EINVAL;
		if (to < old + old_len && old < to + new_len)
			return -EINVAL;
	}
	return 0;
}

static long do_mremap(uintptr_t old, size_t old_len, size_t new_len, unsigned flags, uintptr_t to)
{
	struct uk_vma *v;
	long r;

	old_len = page_up(old_len);
	new_len = page_up(new_len);
	if ((r = mremap_checks(old, old_len, new_len, flags, to)))
		return r;
	if (old >= UK_VM_END || old_len > UK_VM_END - old)
		return -EFAULT;
	v = uk_vma_find(&uk_vm_as, old);
	if (!v || v->start > old || v->end < old + old_len)
		return -EFAULT;
	if ((flags & MREMAP_DONTUNMAP) && ((v->flags & UK_VMA_SHARED) || v->file))
		return -EINVAL;
	if (new_len > old_len && too_big(new_len, v->prot, v->flags, v->file))
		return -ENOMEM;
	if (flags & MREMAP_FIXED)
		return move_area(old, old_len, to, new_len, flags);
	if (flags & MREMAP_DONTUNMAP)
		goto move;
	if (new_len <= old_len) {
		if ((r = unmap_area(old + new_len, old + old_len)))
			return r;
		return (long)old;
	}
	if (old + old_len == v->end && new_len - old_len <= UK_VM_END - v->end &&
	    uk_vma_range_free(&uk_vm_as, v->end, old + new_len))
		return grow_in_place(v, old, old + new_len);
	if (!(flags & MREMAP_MAYMOVE))
		return -ENOMEM;
move:
	if (!(to = place(0, new_len, 0)))
		return -ENOMEM;
	return move_area(old, old_len, to, new_len, flags);
}

/* ---- the system calls ---- */

UK_SYSCALL2(munmap, uintptr_t, addr, size_t, len) { return uk_vm_munmap(addr, len); }

UK_SYSCALL3(mprotect, uintptr_t, addr, size_t, len, unsigned, prot)
{
	return uk_vm_mprotect(addr, len, prot);
}

UK_SYSCALL5(mremap, uintptr_t, old, size_t, old_len, size_t, new_len, unsigned, flags, uintptr_t,
            to)
{
	return do_mremap(old, old_len, new_len, flags, to);
}

/* ---- address spaces (mm_proc.c) ---- */

void uk_vm_destroy(struct uk_mm *mm)
{
	struct frame_run r = { 0, 0 };

	while (mm->as.head)
		uk_vma_remove(&mm->as, mm->as.head);
	uk_pt_destroy(mm->root, mm->pt_tag, run_add, &r);
	run_flush(&r);
}

/* ---- reports ---- */

uint64_t uk_vm_rss(void) { return rss_pages * PAGE; }

uint64_t uk_vm_rss_peak(void) { return rss_peak * PAGE; }

int uk_vm_foreach(int (*fn)(void *ctx, uintptr_t start, uintptr_t end, unsigned prot, int shared,
                            struct uk_file *f, uint64_t off),
                  void *ctx)
{
	for (struct uk_vma *v = uk_vm_as.head; v; v = v->next) {
		int r = fn(ctx, v->start, v->end, v->prot, !!(v->flags & UK_VMA_SHARED), v->file,
		           v->off);
		if (r)
			return r;
	}
	return 0;
}

/* ---- /proc/self/maps ---- */

/* One line an area, as Linux prints them: glibc's pthread_getattr_np finds
 * the main thread's stack there, gnulib's c-stack its bounds, the JVM and
 * sanitizers their neighbours. No device numbers; files by their path.
 * Naming a file may block (a 9P volume asks the host), and meanwhile the
 * process may unmap the area or end: so the areas are copied first, their
 * vnodes held, and mm is not looked at again. */
#define MAPS_PIECE 32 /* areas a call, ~100 bytes each */

struct maps_line {
	uintptr_t start, end;
	uint64_t off;
	unsigned prot, flags;
	struct uk_vnode *vn; /* held, or NULL */
};

/* Linux's names of anonymous areas: the program's first stack, its
 * break's pages, the vDSO (which needs no [vvar] page here: its clock
 * calls are the library OS's own). */
static const char *anon_name(const struct maps_line *l, const struct uk_proc_view *v)
{
	if (l->start <= v->stack_start && v->stack_start < l->end)
		return "[stack]";
	if (v->brk_end > v->brk_start && l->start < v->brk_end && l->end > v->brk_start)
		return "[heap]";
	if (v->vdso_start && l->start == v->vdso_start)
		return "[vdso]";
	return "";
}

size_t uk_vm_maps_text(struct uk_mm *mm, const struct uk_proc_view *v, uintptr_t *from, char *buf,
                       size_t size)
{
	struct maps_line l[MAPS_PIECE];
	char path[256];
	size_t n = 0;
	int count = 0;

	for (struct uk_vma *a = uk_vma_find(&mm->as, *from); a && count < MAPS_PIECE; a = a->next) {
		struct uk_file *f = a->file;
		l[count++] = (struct maps_line){
			a->start, a->end,   a->off,
			a->prot,  a->flags, f && f->vn ? uk_vnode_get(f->vn) : NULL
		};
	}
	for (int i = 0; i < count; i++) {
		path[0] = 0;
		if (l[i].vn && uk_vfs_path_of(l[i].vn, path, sizeof(path)))
			path[0] = 0;
		if (!l[i].vn && !(l[i].flags & UK_VMA_SHARED))
			uk_snprintf(path, sizeof(path), "%s", anon_name(&l[i], v));
		if (n + 512 < size) {
			n += uk_snprintf(
			    buf + n, size - n, "%08lx-%08lx %c%c%c%c %08lx 00:00 %lu%s%s\n",
			    (unsigned long)l[i].start, (unsigned long)l[i].end,
			    l[i].prot & PROT_READ ? 'r' : '-', l[i].prot & PROT_WRITE ? 'w' : '-',
			    l[i].prot & PROT_EXEC ? 'x' : '-',
			    l[i].flags & UK_VMA_SHARED ? 's' : 'p',
			    l[i].vn ? (unsigned long)l[i].off : 0ul,
			    l[i].vn ? (unsigned long)l[i].vn->ino : 0ul,
			    path[0] ? "                          " : "", path);
			*from = l[i].end;
		}
		if (l[i].vn)
			uk_vnode_put(l[i].vn);
	}
	return n;
}

long uk_vm_mem_read(struct uk_mm *mm, uintptr_t addr, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len && addr + done >= UK_VM_MIN && addr + done < UK_VM_END) {
		uintptr_t va = addr + done, page = va & ~PAGE_MASK;
		uint64_t pa = uk_pt_held(mm->root, page);
		size_t n = PAGE - (va - page);
		if (pa == ~0ull)
			break; /* never touched: nothing there to show */
		if (n > len - done)
			n = len - done;
		uk_memcpy((char *)buf + done, (char *)uk_p2v(pa) + (va - page), n);
		done += n;
	}
	return (long)done;
}

void uk_vm_usage(struct uk_mm *mm, uint64_t *size, uint64_t *rss)
{
	*size = *rss = 0;
	for (struct uk_vma *v = mm->as.head; v; v = v->next) {
		*size += v->end - v->start;
		*rss += uk_pt_count(mm->root, v->start, v->end) * PAGE;
	}
}
