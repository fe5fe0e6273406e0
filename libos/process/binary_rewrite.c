/*
 * System-call sites of a Linux program rewritten into jumps (binary mode).
 *
 * The program runs at the library OS's privilege, so its `syscall`
 * instruction only has to reach uk_syscall_entry; but on the paravirtual
 * KVM host every `syscall` traps to the host first, ~13 us (pvm.md), where
 * a jump costs a nanosecond. So when code is mapped executable from a file
 * (the program and its interpreter by binary.c, shared libraries through
 * mmap), two common shapes of site get a 5-byte jump to a stub of their own
 * (the published technique of zpoline, HermiTux and lazypoline, done here
 * by the loader):
 *
 *	MOV	b8 NN NN 00 00	mov $NR, %eax		(NR < 512)
 *		0f 05		syscall
 *	  the mov becomes the jump; the stub is the mov, then
 *	  lea SITE+7(%rip), %rcx; jmp *ENTRY(%rip). The `syscall` stays: code
 *	  that jumps straight to it still traps and still works.
 *	CMP	0f 05		syscall			(the number already in %rax)
 *		[48] 3d 00|01 f0 ff ff	cmp $-4096|-4095, %rax|%eax
 *	  all of it becomes the jump and int3s; the stub calls the entry,
 *	  then does the cmp and jumps back after it. A jump to the `syscall`
 *	  still works (it lands on the new jump); none goes to a cmp that
 *	  tests a system call's result (none in glibc 2.36 does).
 *
 *	CPUID	b8 L0 L1 L2 L3	mov $LEAF, %eax		(a leaf that ignores %ecx)
 *		0f a2		cpuid
 *	  the mov becomes the jump; the stub loads the four registers with
 *	  what the leaf answers (asked once per boot: one vCPU, so the answer
 *	  never changes) and jumps back after the cpuid, which stays. On the
 *	  paravirtual host every cpuid traps (~4 us, pvm.md), and glibc's
 *	  start (a static program's, or ld.so's) runs ~43 of them, 27 in
 *	  this shape (its AMD cache-size loop asks 0x80000000 11 times).
 *		b8 L0 L1 L2 L3	mov $LEAF, %eax		(any leaf)
 *		31 c9		xor %ecx, %ecx		(subleaf 0)
 *	   or	b9 S0 S1 S2 S3	mov $SUB, %ecx
 *		0f a2		cpuid
 *	  the same, the stub answering that subleaf (after the xor, for its
 *	  flags): 5 more of glibc's start (leaves 7, 0xd, 0x14, 0x19,
 *	  0x8000001d).
 *
 * MOV is 436 of glibc 2.36's 526 sites and most of a Go binary's; CMP adds
 * read (xor %eax,%eax before it), syscall() and Go's Syscall6, through
 * which Go does its I/O. %rcx holds what `syscall` would leave there or a
 * return into the stub, and ENTRY is uk_syscall_entry_jmp, the region's
 * first word. The stubs never touch the program's stack (no call: the red
 * zone below %rsp survives, as with `syscall`); they live in a region of
 * their own, read and execute only, within a rel32 jump of the code.
 *
 * A shell runs the same few programs again and again, and each exec of
 * one scanned its code again (a static glibc program: 690 KB; libc.so
 * 1.4 MB more) and copied and rewrote the same pages. Code of a file of
 * the image that nobody has written (uk_vm_file_fixed) is the same bytes
 * at every exec, and so are its rewritten pages and its stubs, wherever
 * it is mapped, as long as the stubs lie at the same distance from it:
 * every jump is relative, and the entry's address and the cpuid answers
 * stay the same for the VM's life. So one rewrite's frames are kept (a
 * page reference each), and the next mapping of the same bytes with room
 * for the stubs at that distance maps them instead of scanning: shared
 * read-only, copied should a program make them writable and write, as
 * any frame after fork (KEPT_*).
 *
 * What stays on the trap path: other site shapes, code generated at run time
 * (JITs), pages filled again after MADV_DONTNEED or mremap. They are
 * correct, only slower. Matching bytes rather than decoding instructions
 * could take a constant inside another instruction for a site; each shape
 * is seven or eight bytes with at least five fixed, and no such false
 * site was found in glibc, Go binaries, libstdc++, libcrypto, libjvm and
 * node, checked against objdump. The one instruction with room for a
 * whole site in its constant, movabs, is looked for before each: a
 * program that emits code builds the bytes of a site so. `ukrun --no-syscall-rewrite` turns the
 * rewriting off.
 */
#include <uk/arch.h>
#include <uk/binary.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/paging.h>
#include <uk/plat.h>
#include <uk/syscall.h>
#include <uk/vm.h>

#define PAGE UK_PAGE_SIZE
#define STUB_LEN 32  /* at most 24 used, int3 after */
#define STUB_HEAD 16 /* the entry's address, then padding */
#define REL32_REACH (1ul << 31)

uint64_t uk_rewritten_sites, uk_rewritten_cpuid;

/* The length of a site at p (0: none). MOV: mov $NR, %eax; syscall, with
 * NR < 512. CMP: syscall; cmp $-4096 or $-4095, %rax or %eax -- the
 * number already in %rax, the result tested right after. */
enum { MOV = 1, CMP, CPUID };

static unsigned site_at(const uint8_t *p, const uint8_t *end, int *kind)
{
	size_t room = (size_t)(end - p);

	if (room >= 7 && p[0] == 0xb8 && p[2] < 2 && !p[3] && !p[4] && p[5] == 0x0f &&
	    p[6] == 0x05) {
		*kind = MOV;
		return 7;
	}
	if (room >= 7 && p[0] == 0x0f && p[1] == 0x05) {
		unsigned w = p[2] == 0x48; /* REX.W: %rax */
		const uint8_t *c = p + 2 + w;
		if ((size_t)(c - p) + 5 <= room && c[0] == 0x3d && c[1] < 2 && c[2] == 0xf0 &&
		    c[3] == 0xff && c[4] == 0xff) {
			*kind = CMP;
			return 7 + w;
		}
	}
	return 0;
}

/* Leaves whose answer does not depend on %ecx (Intel SDM and AMD APM,
 * CPUID): basic 0-3, 5, 6, extended 0x80000000-0x80000008. */
static int leaf_plain(uint32_t leaf)
{
	return leaf <= 3 || leaf == 5 || leaf == 6 || (leaf >= 0x80000000u && leaf <= 0x80000008u);
}

static uint32_t get32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The length of a CPUID site at p (0: none), and the subleaf it asks:
 * mov $LEAF, %eax, then cpuid (a leaf that ignores %ecx), xor %ecx, %ecx;
 * cpuid (subleaf 0), or mov $SUB, %ecx; cpuid. */
static unsigned cpuid_at(const uint8_t *p, const uint8_t *end, uint32_t *sub)
{
	size_t room = (size_t)(end - p);

	if (room < 7 || p[0] != 0xb8)
		return 0;
	*sub = 0;
	if (p[5] == 0x0f && p[6] == 0xa2 && leaf_plain(get32(p + 1)))
		return 7;
	if (room >= 9 && p[5] == 0x31 && p[6] == 0xc9 && p[7] == 0x0f && p[8] == 0xa2)
		return 9;
	if (room >= 12 && p[5] == 0xb9 && p[10] == 0x0f && p[11] == 0xa2) {
		*sub = get32(p + 6);
		return 12;
	}
	return 0;
}

/* What cpuid answers for leaf and subleaf, asked once: one vCPU, whose
 * answers stay the same from boot on (the APIC id in leaf 1, and XCR0's
 * sizes in leaf 0xd, too). */
#define CPUID_CACHE 32

static struct {
	uint32_t leaf, sub, r[4];
	int used;
} cpuid_cache[CPUID_CACHE];

static void cpuid_answer(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	int i;

	for (i = 0; i < CPUID_CACHE && cpuid_cache[i].used; i++)
		if (cpuid_cache[i].leaf == leaf && cpuid_cache[i].sub == sub) {
			for (int k = 0; k < 4; k++)
				r[k] = cpuid_cache[i].r[k];
			return;
		}
	uk_cpuid(leaf, sub, r);
	if (i < CPUID_CACHE) {
		cpuid_cache[i].leaf = leaf;
		cpuid_cache[i].sub = sub;
		cpuid_cache[i].used = 1;
		for (int k = 0; k < 4; k++)
			cpuid_cache[i].r[k] = r[k];
	}
}

/* The pages of the code a rewriting wrote (a bit each from its first),
 * for keeping them (NULL: not kept). */
struct written {
	uintptr_t first;
	uint8_t *bits;
};

static void written_mark(struct written *w, uintptr_t va)
{
	uintptr_t i = (va - w->first) / PAGE;

	if (w->bits)
		w->bits[i / 8] |= 1u << (i % 8);
}

static int written_at(const struct written *w, uintptr_t i)
{
	return (w->bits[i / 8] >> (i % 8)) & 1;
}

/* Bytes into code that is already mapped read-only: through the physmap,
 * into the program's own copy of the page (the others stay the image's). */
static void poke(uintptr_t va, const uint8_t *b, unsigned n, struct written *w)
{
	for (unsigned i = 0; i < n; i++) {
		uint8_t *pg = uk_vm_page_own(va + i);
		if (pg)
			pg[(va + i) & (PAGE - 1)] = b[i];
		written_mark(w, va + i);
	}
}

static void put32(uint8_t *p, int64_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)((uint64_t)v >> (8 * i));
}

/* lea RET(%rip), %rcx; jmp *ENTRY(%rip) at s: 13 bytes. */
static void to_entry(uint8_t *s, uintptr_t ret, uintptr_t region)
{
	uintptr_t at = (uintptr_t)s;

	s[0] = 0x48, s[1] = 0x8d, s[2] = 0x0d;
	put32(s + 3, (int64_t)ret - (int64_t)(at + 7));
	s[7] = 0xff, s[8] = 0x25;
	put32(s + 9, (int64_t)region - (int64_t)(at + 13));
}

/* The stub of a CPUID site of len bytes at a (its bytes read at site):
 * the site's xor %ecx, %ecx if it has one (for the flags it leaves), mov
 * $EAX, %eax; mov $EBX, %ebx; mov $ECX, %ecx; mov $EDX, %edx (each
 * zero-extends, as cpuid does), then jmp a + len: at most 27 bytes. */
static void write_cpuid_stub(uint8_t *s, uintptr_t a, const uint8_t *site, unsigned len,
                             uint32_t sub)
{
	static const uint8_t op[4] = { 0xb8, 0xbb, 0xb9, 0xba };
	uint32_t r[4];
	unsigned o = 0;

	cpuid_answer(get32(site + 1), sub, r);
	for (unsigned i = 0; i < STUB_LEN; i++)
		s[i] = 0xcc;
	if (site[5] == 0x31)
		s[o++] = 0x31, s[o++] = 0xc9;
	for (int i = 0; i < 4; i++, o += 5) {
		s[o] = op[i];
		put32(s + o + 1, r[i]);
	}
	s[o] = 0xe9;
	put32(s + o + 1, (int64_t)(a + len) - (int64_t)((uintptr_t)s + o + 5));
}

/* The stub of the site of len bytes at a (its bytes read at site): MOV
 * keeps its mov and returns to the instruction after the site; CMP
 * returns into the stub, which does the site's cmp and jumps back after
 * it. */
static void write_stub(uint8_t *s, uintptr_t region, uintptr_t a, const uint8_t *site, unsigned len,
                       int kind)
{
	unsigned n;

	for (unsigned i = 0; i < STUB_LEN; i++)
		s[i] = 0xcc;
	if (kind == MOV) {
		for (int i = 0; i < 5; i++)
			s[i] = site[i];
		to_entry(s + 5, a + len, region);
		return;
	}
	to_entry(s, (uintptr_t)s + 13, region);
	n = len - 2; /* the cmp */
	for (unsigned i = 0; i < n; i++)
		s[13 + i] = site[2 + i];
	s[13 + n] = 0xe9;
	put32(s + 14 + n, (int64_t)(a + len) - (int64_t)((uintptr_t)s + 18 + n));
}

/* The first byte b in [f, e), or e; 8 bytes at a time (a word with a
 * zero byte after the XOR) while 8 are left. */
static const uint8_t *find_byte(const uint8_t *f, const uint8_t *e, uint8_t b)
{
	const uint64_t ones = 0x0101010101010101ull, bs = ones * b;
	uint64_t w;

	for (; f + 8 <= e; f += 8) {
		__builtin_memcpy(&w, f, 8);
		w ^= bs;
		if ((w - ones) & ~w & (ones << 7))
			break; /* a byte of w was b */
	}
	while (f < e && *f != b)
		f++;
	return f;
}

/* Whether the bytes at s, at least 2 past p, may be the immediate of a
 * movabs (REX.W, b8+r, 8 bytes) beginning 2 or 3 bytes before: a program
 * that builds machine code (a JIT's emitter, or a test's) holds
 * `mov $NR, %eax; syscall` so, as data, and a jump written there changes
 * its value. None of glibc 2.36's 879 sites is preceded so: they trap. */
static int in_movabs(const uint8_t *s, const uint8_t *p)
{
	for (const uint8_t *op = s - 1; op >= s - 2 && op - 1 >= p; op--)
		if ((op[-1] & 0xf8) == 0x48 && (op[0] & 0xf8) == 0xb8)
			return 1;
	return 0;
}

/* The first site in [p, e) that a scan trying every byte in turn would
 * take, or NULL. Every site holds a syscall (0f 05) at its start or five
 * bytes in, and no site can overlap another's 0f 05, so only the bytes
 * around each 0f 05 are tried; the 05s are looked for 8 bytes at a time
 * (the byte-by-byte scan was a quarter of node's and a sixth of java's
 * start: 100 MB of code). */
static const uint8_t *next_site(const uint8_t *p, const uint8_t *e, unsigned *len, int *kind)
{
	const uint8_t *f = p + 1; /* where a 05 may be */

	while (f < e) {
		if ((f = find_byte(f, e, 0x05)) >= e)
			break;
		if (f[-1] == 0x0f) {
			uintptr_t q = (uintptr_t)f - 1; /* the 0f 05 */
			if (q - 5 >= (uintptr_t)p && q - 5 < q &&
			    (*len = site_at((const uint8_t *)q - 5, e, kind)) &&
			    !in_movabs((const uint8_t *)q - 5, p))
				return (const uint8_t *)q - 5; /* MOV */
			if (q >= (uintptr_t)p && (*len = site_at((const uint8_t *)q, e, kind)) &&
			    !in_movabs((const uint8_t *)q, p))
				return (const uint8_t *)q; /* CMP */
		}
		f++;
	}
	return NULL;
}

/* The first CPUID site in [p, e), or NULL: its cpuid (0f a2) five bytes
 * in, the a2s looked for 8 bytes at a time as next_site's 05s. */
static const uint8_t *next_cpuid(const uint8_t *p, const uint8_t *e)
{
	static const unsigned back[] = { 6, 8, 11 }; /* from the a2 to the mov */
	const uint8_t *f = p + 6;                    /* where its a2 may be */
	uint32_t sub;

	while (f < e) {
		if ((f = find_byte(f, e, 0xa2)) >= e)
			break;
		for (unsigned i = 0; i < 3; i++)
			if ((size_t)(f - p) >= back[i] &&
			    cpuid_at(f - back[i], e, &sub) == back[i] + 1 &&
			    !in_movabs(f - back[i], p))
				return f - back[i];
		f++;
	}
	return NULL;
}

/* Where the sites one scan found are, for the rewriting after it: one
 * pass over the code for each kind of site, where counting and then
 * rewriting took two (a static program's exec scans 690 KB). */
struct found {
	const uint8_t **at;
	unsigned n, cap;
};

/* p added (0), or no memory left (-1): the sites from p on stay as they
 * are and trap. */
static int found_add(struct found *f, const uint8_t *p)
{
	if (f->n == f->cap) {
		unsigned cap = f->cap ? 2 * f->cap : 256;
		const uint8_t **at = uk_kmalloc(cap * sizeof(*at));
		if (!at)
			return -1;
		if (f->n)
			uk_memcpy(at, f->at, f->n * sizeof(*at));
		uk_kfree(f->at);
		f->at = at, f->cap = cap;
	}
	f->at[f->n++] = p;
	return 0;
}

static void find_cpuid(const uint8_t *p, const uint8_t *e, struct found *f)
{
	uint32_t sub;

	while ((p = next_cpuid(p, e)) && !found_add(f, p))
		p += cpuid_at(p, e, &sub);
}

static void find_sites(const uint8_t *p, const uint8_t *e, struct found *f)
{
	unsigned len;
	int kind;

	while ((p = next_site(p, e, &len, &kind)) && !found_add(f, p))
		p += len;
}

/* The CPUID sites found (the code at each less d, which ends at e less
 * d), their stubs from s on. */
static void rewrite_cpuid(const struct found *f, intptr_t d, const uint8_t *e, uint8_t *s,
                          struct written *w)
{
	for (unsigned k = 0; k < f->n; k++, s += STUB_LEN) {
		uint8_t jmp[5] = { 0xe9 };
		uintptr_t a = (uintptr_t)f->at[k] - d;
		uint32_t sub;
		unsigned len = cpuid_at(f->at[k], e, &sub);
		write_cpuid_stub(s, a, f->at[k], len, sub);
		put32(jmp + 1, (int64_t)(uintptr_t)s - (int64_t)(a + 5));
		poke(a, jmp, 5, w); /* the mov only: the cpuid stays */
	}
}

/* The system-call sites found (the code at each less d, which ends at
 * e less d), their stubs from region + STUB_HEAD on. */
static void rewrite_sites(const struct found *f, intptr_t d, const uint8_t *e, uintptr_t region,
                          struct written *w)
{
	for (unsigned k = 0; k < f->n; k++) {
		uint8_t jmp[8] = { 0xe9, 0, 0, 0, 0, 0xcc, 0xcc, 0xcc },
		        *s = (uint8_t *)region + STUB_HEAD + k * STUB_LEN;
		const uint8_t *p = f->at[k];
		uintptr_t a = (uintptr_t)p - d;
		int kind;
		unsigned len = site_at(p, e, &kind);
		write_stub(s, region, a, p, len, kind);
		put32(jmp + 1, (int64_t)(uintptr_t)s - (int64_t)(a + 5));
		/* MOV: the mov only, the syscall stays; CMP: all of it */
		poke(a, jmp, kind == MOV ? 5 : len, w);
	}
}

/* Where the scan reads the code at [start, end): through the physmap when
 * its frames lie back to back (a file of the image's archive, mapped where
 * it lies: mmap_file.c), as start + the delta returned; else (0) where it
 * is mapped. Read through the new program's tables, each page of its code
 * was a shadow-paging fault of the paravirtual host before the program
 * ran; the physmap's entries for the archive stay shadowed from one exec
 * to the next. */
static intptr_t scan_delta(uintptr_t start, uintptr_t end)
{
	uintptr_t first = start & ~(PAGE - 1);
	uint64_t pa = uk_page_held(first);

	if (pa == ~0ull)
		return 0;
	for (uintptr_t a = first + PAGE; a < end; a += PAGE)
		if (uk_page_held(a) != pa + (a - first))
			return 0;
	return (intptr_t)uk_p2v(pa) - (intptr_t)first;
}

/* ---- rewrites kept ---- */

#define KEPT_MAX 32 /* rewrites kept, the one mapped longest ago going first */

struct kept_page {
	intptr_t at; /* from the code's start */
	uint64_t pa; /* the frame, one page reference the entry's */
};

struct kept {
	uint64_t key, len; /* the code's bytes (uk_vm_file_fixed), and how many; 0: free */
	intptr_t delta;    /* where the stubs' region lies from the code's start */
	size_t size;       /* the region's bytes (0: the code has no site) */
	unsigned n, ncpuid;
	unsigned nregion, npages; /* the region's pages first, then the code's written ones */
	uint64_t used;            /* kept_clock when last mapped */
	struct kept_page *pages;
};

static struct kept kept[KEPT_MAX];
static uint64_t kept_clock, kept_total; /* pages kept in all */

/* Pages kept at most: a 32nd of memory (a 64 MiB guest: 512 pages, where
 * glibc's code keeps ~90 and a static program's ~45). */
static uint64_t kept_max(void) { return uk_mm_total() / 32 / PAGE; }

static void kept_drop(struct kept *k)
{
	for (unsigned i = 0; i < k->npages; i++)
		uk_page_put(uk_p2v(k->pages[i].pa));
	kept_total -= k->npages;
	uk_kfree(k->pages);
	uk_memset(k, 0, sizeof(*k));
}

/* A free entry, with room for npages more, the oldest dropped for it. */
static struct kept *kept_room(size_t npages)
{
	if (npages > kept_max())
		return NULL;
	for (;;) {
		struct kept *old = NULL, *free = NULL;
		for (unsigned i = 0; i < KEPT_MAX; i++) {
			if (!kept[i].len)
				free = free ? free : &kept[i];
			else if (!old || kept[i].used < old->used)
				old = &kept[i];
		}
		if (free && kept_total + npages <= kept_max())
			return free;
		kept_drop(old); /* (not NULL: kept_total is above 0, or free was) */
	}
}

/* Whether the frame at va is the program's own (a copy the rewriting
 * made, or its region's): -1 if not, so that nothing is kept. */
static int own_frame(uintptr_t va, struct kept_page *p, intptr_t at)
{
	uint64_t pa = uk_page_held(va);

	if (pa == ~0ull || uk_page_shared(pa))
		return -1;
	*p = (struct kept_page){ at, pa };
	return 0;
}

/* Keep what the rewriting of [start, end) left: the region's frames and
 * the code's written pages, the program's own copies, mapped read-only
 * (uk_vm_file_fixed: the area may not be written) and from now on shared
 * with the entry. Only while memory is plentiful. */
static void kept_add(uint64_t key, uintptr_t start, uintptr_t end, uintptr_t region, size_t size,
                     unsigned n, unsigned ncpuid, const struct written *w)
{
	size_t code = (end - start) / PAGE, np = 0, nregion;
	struct kept_page *pg = NULL;
	struct kept *k;
	int r = 0;

	if (uk_mm_free() < uk_mm_total() / 8 || uk_page_refs_prepare() ||
	    (size && !(pg = uk_kmalloc((size / PAGE + code) * sizeof(*pg)))))
		return;
	for (uintptr_t a = region; a < region + size && !r; a += PAGE)
		if (uk_page_held(a) != ~0ull) /* (a page never touched stays so) */
			r = own_frame(a, &pg[np++], (intptr_t)(a - start));
	nregion = np;
	for (size_t i = 0; i < code && size && !r; i++)
		if (written_at(w, i))
			r = own_frame(start + i * PAGE, &pg[np++], (intptr_t)(i * PAGE));
	if (r || !(k = kept_room(np))) {
		uk_kfree(pg);
		return;
	}
	for (size_t i = 0; i < np; i++)
		uk_page_ref(pg[i].pa);
	*k = (struct kept){ key,
		            end - start,
		            (intptr_t)(region - start),
		            size,
		            n,
		            ncpuid,
		            (unsigned)nregion,
		            (unsigned)np,
		            ++kept_clock,
		            pg };
	kept_total += np;
}

/* The region's pages of k at region, then the code's at start: 0, or
 * -ENOMEM with the region unmapped again. The code's pages are all
 * present (the mapping committed them), so once the region is whole no
 * mapping fails, and no jump is written before its stub is there. */
static int kept_map(const struct kept *k, uintptr_t start, uintptr_t region)
{
	int r = 0;

	for (unsigned i = k->nregion; i < k->npages; i++)
		if (uk_page_held(start + k->pages[i].at) == ~0ull)
			return -ENOMEM;
	if (k->size &&
	    uk_vm_mmap(region, k->size, PROT_READ | PROT_EXEC,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, NULL, 0) != (long)region)
		return -EEXIST;
	for (unsigned i = 0; i < k->nregion && !r; i++)
		r = uk_vm_page_share(start + k->pages[i].at, k->pages[i].pa);
	if (r) {
		uk_vm_munmap(region, k->size);
		return r;
	}
	uk_pt_flush_hold();
	for (unsigned i = k->nregion; i < k->npages; i++)
		uk_vm_page_share(start + k->pages[i].at, k->pages[i].pa);
	uk_pt_flush_release();
	return 0;
}

/* The kept rewrite of the bytes key names, mapped at [start, end): 1, or
 * 0 when none is kept whose stubs have room at their distance here. */
static int kept_use(uint64_t key, uintptr_t start, uintptr_t end)
{
	for (unsigned i = 0; i < KEPT_MAX; i++) {
		struct kept *k = &kept[i];
		if (k->key != key || k->len != end - start || kept_map(k, start, start + k->delta))
			continue;
		k->used = ++kept_clock;
		uk_rewritten_sites += k->n;
		uk_rewritten_cpuid += k->ncpuid;
		return 1;
	}
	return 0;
}

/* Whether [start, end) is kept by its bytes: whole pages of a file that
 * never changes (the last page's bytes past end are then the file's). */
static int keepable(uintptr_t start, uintptr_t end, uint64_t *key)
{
	return !((start | end) & (PAGE - 1)) && uk_vm_file_fixed(start, end, key);
}

void uk_binary_rewrite(uintptr_t start, uintptr_t end)
{
	struct found sites = { 0 }, cpuids = { 0 };
	struct written w = { start, NULL };
	unsigned n, ncpuid;
	size_t size = 0;
	long region = 0;
	intptr_t d;
	uint64_t key;
	int keep;
	const uint8_t *ss, *se; /* the code as the scan reads it */

	if ((uk_plat.flags & UK_PF_NO_REWRITE) || end <= start)
		return;
	if ((keep = keepable(start, end, &key)) && kept_use(key, start, end))
		return;
	d = scan_delta(start, end);
	ss = (const uint8_t *)(start + d), se = (const uint8_t *)(end + d);
	find_sites(ss, se, &sites);
	find_cpuid(ss, se, &cpuids);
	uk_vm_counts.code_scan += end - start;
	n = sites.n, ncpuid = cpuids.n;
	if (!n && !ncpuid)
		goto out;
	size = (STUB_HEAD + (size_t)(n + ncpuid) * STUB_LEN + PAGE - 1) & ~(PAGE - 1);
	/* every stub within a rel32 of every site, either way */
	region = uk_vm_mmap_within(end > REL32_REACH - PAGE ? end - REL32_REACH + PAGE : 0,
	                           start + REL32_REACH - PAGE, size, PROT_READ | PROT_WRITE);
	if (region < 0) {
		uk_trace_note("rewrite: no room for %u stubs near %#lx; the sites trap", n + ncpuid,
		              start);
		keep = 0;
		goto out;
	}
	*(uint64_t *)region = (uint64_t)uk_syscall_entry_jmp;
	if (keep && !(w.bits = uk_kzalloc((end - start) / PAGE / 8 + 1)))
		keep = 0;
	/* Pages with sites get copies of their own (the others stay the
	 * image's): replaced entries flushed once at the end, not an invlpg
	 * each (node's start: 500); until then they read as before, which is
	 * all the scan needs. */
	uk_pt_flush_hold();
	rewrite_sites(&sites, d, se, (uintptr_t)region, &w);
	rewrite_cpuid(&cpuids, d, se, (uint8_t *)region + STUB_HEAD + n * STUB_LEN, &w);
	uk_vm_mprotect((uintptr_t)region, size, PROT_READ | PROT_EXEC);
	uk_pt_flush_release();
	uk_rewritten_sites += n;
	uk_rewritten_cpuid += ncpuid;
out:
	if (keep) /* (code without sites too: no scan next time either) */
		kept_add(key, start, end, (uintptr_t)region, size, n, ncpuid, &w);
	uk_kfree(w.bits);
	uk_kfree(sites.at);
	uk_kfree(cpuids.at);
}
