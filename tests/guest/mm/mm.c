/*
 * Memory mappings: mmap, munmap, mprotect, mremap, madvise, msync, mincore,
 * mlock; file mappings (file.c); the page-table rules (rules.c). Without an argument it runs every
 * check that must not crash and prints "mm: N checks, M failed" (status 1 when any failed); with
 * one it does what must end the program (wprot, none, unmapped, nx, oom).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define PG 4096ul
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

#include "check.h"
#include "../now.h"

int checks, failures;

/* mmap that reports errno instead of MAP_FAILED. */
static void *map(void *addr, size_t len, int prot, int flags, int *err)
{
	void *p;

	errno = 0;
	p = mmap(addr, len, prot, flags, -1, 0);
	*err = p == MAP_FAILED ? errno : 0;
	return p;
}

static void fill(unsigned char *p, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)(seed + i * 7 + (i >> 12));
}

static int same(const unsigned char *p, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != (unsigned char)(seed + i * 7 + (i >> 12)))
			return 0;
	return 1;
}

static int zero(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return 0;
	return 1;
}

/* Whether [p, p + len) is unmapped, by mincore's ENOMEM. */
static int unmapped(void *p, size_t len)
{
	unsigned char vec[64];
	return mincore(p, len, vec) == -1 && errno == ENOMEM;
}

static void basics(void)
{
	int err;
	unsigned char *p = map(NULL, 4 << 20, RW, ANON, &err);

	CHECK("mm/anonymous-4-mib-mmap", p != MAP_FAILED, "anonymous 4 MiB mmap");
	if (p == MAP_FAILED)
		return;
	CHECK("mm/page-aligned", ((uintptr_t)p & (PG - 1)) == 0, "page aligned: %p", (void *)p);
	CHECK("mm/in-the-lower-half", (uintptr_t)p < 0x800000000000ul, "in the lower half: %p",
	      (void *)p);
	CHECK("mm/fresh-memory-reads-as-zero", zero(p, 4 << 20), "fresh memory reads as zero");
	fill(p, 4 << 20, 1);
	CHECK("mm/contents-kept", same(p, 4 << 20, 1), "contents kept");
	CHECK("mm/munmap", munmap(p, 4 << 20) == 0, "munmap");
	CHECK("mm/gone-after-munmap", unmapped(p, 4 << 20), "gone after munmap");
}

static void bad_arguments(void)
{
	int err;
	void *p;

	map(NULL, 0, RW, ANON, &err);
	CHECK("mm/length-0-einval", err == EINVAL, "length 0: EINVAL");
	map(NULL, PG, RW, MAP_ANONYMOUS, &err);
	CHECK("mm/neither-shared-nor-private-einval", err == EINVAL,
	      "neither shared nor private: EINVAL");
	errno = 0;
	p = mmap(NULL, PG, RW, ANON, -1, 100);
	CHECK("mm/unaligned-offset-einval", p == MAP_FAILED && errno == EINVAL,
	      "unaligned offset: EINVAL");
	map((void *)0x100000123ul, PG, RW, ANON | MAP_FIXED, &err);
	CHECK("mm/unaligned-map-fixed-einval", err == EINVAL, "unaligned MAP_FIXED: EINVAL");
	map(NULL, PG, 0x100, ANON, &err);
	CHECK("mm/unknown-prot-bit-einval", err == EINVAL, "unknown PROT bit: EINVAL");
	map(NULL, PG, RW, MAP_SHARED_VALIDATE | MAP_ANONYMOUS | 0x800000, &err);
	CHECK("mm/unknown-flag-with-map-shared-validate-eopnotsupp", err == EOPNOTSUPP,
	      "unknown flag with MAP_SHARED_VALIDATE: EOPNOTSUPP");
	CHECK("mm/unaligned-munmap-einval",
	      munmap((void *)0x100000123ul, PG) == -1 && errno == EINVAL,
	      "unaligned munmap: EINVAL");
	CHECK("mm/munmap-of-0-bytes-einval",
	      munmap((void *)0x100000000ul, 0) == -1 && errno == EINVAL,
	      "munmap of 0 bytes: EINVAL");
	CHECK("mm/munmap-of-nothing-is-fine", munmap((void *)0x100000000ul, PG) == 0,
	      "munmap of nothing is fine");
	CHECK("mm/unaligned-mprotect-einval",
	      mprotect((void *)0x100000123ul, PG, PROT_READ) == -1 && errno == EINVAL,
	      "unaligned mprotect: EINVAL");
	CHECK("mm/mprotect-of-unmapped-memory-enomem",
	      mprotect((void *)0x100000000ul, PG, PROT_READ) == -1 && errno == ENOMEM,
	      "mprotect of unmapped memory: ENOMEM");
}

static void impossible_sizes(void)
{
	int err;
	unsigned char *p;

	map(NULL, 1ul << 40, RW, ANON, &err);
	CHECK("mm/1-tib-private-writable-enomem", err == ENOMEM, "1 TiB private writable: ENOMEM");
	map(NULL, SIZE_MAX, RW, ANON, &err);
	CHECK("mm/size-max-enomem", err == ENOMEM, "SIZE_MAX: ENOMEM");
	map(NULL, 1ul << 40, RW, MAP_SHARED | MAP_ANONYMOUS, &err);
	CHECK("mm/1-tib-shared-enomem", err == ENOMEM, "1 TiB shared: ENOMEM");
	/* Address space without a charge, as Linux allows it. */
	p = map(NULL, 1ul << 40, RW, ANON | MAP_NORESERVE, &err);
	CHECK("mm/1-tib-map-noreserve-reserves-address-space", p != MAP_FAILED,
	      "1 TiB MAP_NORESERVE reserves address space");
	if (p != MAP_FAILED) {
		p[0] = 1;
		p[(1ul << 40) - 1] = 2;
		CHECK("mm/its-ends-are-usable", p[0] == 1 && p[(1ul << 40) - 1] == 2,
		      "its ends are usable");
		CHECK("mm/and-unmapped-again", munmap(p, 1ul << 40) == 0, "and unmapped again");
	}
	p = map(NULL, 1ul << 40, PROT_NONE, ANON, &err);
	CHECK("mm/1-tib-prot-none-reservation", p != MAP_FAILED, "1 TiB PROT_NONE reservation");
	if (p != MAP_FAILED) {
		CHECK("mm/making-all-of-it-writable-enomem",
		      mprotect(p, 1ul << 40, RW) == -1 && errno == ENOMEM,
		      "making all of it writable: ENOMEM");
		CHECK("mm/making-a-part-writable", mprotect(p + (1ul << 30), 8 * PG, RW) == 0,
		      "making a part writable");
		fill(p + (1ul << 30), 8 * PG, 3);
		CHECK("mm/the-part-works", same(p + (1ul << 30), 8 * PG, 3), "the part works");
		CHECK("mm/unmapping-the-reservation", munmap(p, 1ul << 40) == 0,
		      "unmapping the reservation");
	}
}

static void hints_and_fixed(void)
{
	int err;
	unsigned char *hint = (unsigned char *)0x200000000ul, *p, *q;

	p = map(hint, 4 * PG, RW, ANON, &err);
	CHECK("mm/a-free-hint-is-taken", p == hint, "a free hint is taken: %p", (void *)p);
	fill(p, 4 * PG, 5);
	q = map(hint, PG, RW, ANON, &err);
	CHECK("mm/a-taken-hint-is-not", q != MAP_FAILED && q != hint, "a taken hint is not: %p",
	      (void *)q);
	munmap(q, PG);
	q = map(hint + PG, PG, RW, ANON | MAP_FIXED, &err);
	CHECK("mm/map-fixed-over-a-mapping", q == hint + PG, "MAP_FIXED over a mapping");
	CHECK("mm/the-replaced-page-is-fresh", zero(hint + PG, PG), "the replaced page is fresh");
	CHECK("mm/the-page-below-is-kept", same(hint, PG, 5), "the page below is kept");
	CHECK("mm/the-pages-above-are-kept", same(hint + 2 * PG, 2 * PG, 5 + 2 * PG * 7 + 2),
	      "the pages above are kept");
	q = map(hint + 2 * PG, PG, RW, ANON | MAP_FIXED_NOREPLACE, &err);
	CHECK("mm/map-fixed-noreplace-over-a-mapping-eexist", q == MAP_FAILED && err == EEXIST,
	      "MAP_FIXED_NOREPLACE over a mapping: EEXIST");
	q = map(hint + 4 * PG, PG, RW, ANON | MAP_FIXED_NOREPLACE, &err);
	CHECK("mm/map-fixed-noreplace-on-free-space", q == hint + 4 * PG,
	      "MAP_FIXED_NOREPLACE on free space");
	CHECK("mm/unmapping-them", munmap(hint, 5 * PG) == 0, "unmapping them");
	q = map((void *)0x1000, PG, RW, ANON | MAP_FIXED, &err);
	CHECK("mm/map-fixed-below-64-kib-eperm", err == EPERM, "MAP_FIXED below 64 KiB: EPERM");
	q = map(NULL, PG, RW, ANON | MAP_32BIT, &err);
	CHECK("mm/map-32bit", q != MAP_FAILED && (uintptr_t)q < 0x80000000ul, "MAP_32BIT: %p",
	      (void *)q);
	munmap(q, PG);
}

static void holes_and_mincore(void)
{
	int err;
	unsigned char vec[8], *p = map(NULL, 8 * PG, RW, ANON, &err);

	CHECK("mm/8-pages", p != MAP_FAILED, "8 pages");
	if (p == MAP_FAILED)
		return;
	p[0] = 1;
	p[5 * PG] = 1;
	CHECK("mm/mincore", mincore(p, 8 * PG, vec) == 0, "mincore");
	CHECK("mm/only-touched-pages-are-resident",
	      vec[0] == 1 && vec[1] == 0 && vec[5] == 1 && vec[7] == 0,
	      "only touched pages are resident: %d %d %d %d", vec[0], vec[1], vec[5], vec[7]);
	CHECK("mm/unaligned-mincore-einval", mincore(p + 1, PG, vec) == -1 && errno == EINVAL,
	      "unaligned mincore: EINVAL");
	CHECK("mm/punching-a-hole", munmap(p + 3 * PG, 2 * PG) == 0, "punching a hole");
	CHECK("mm/the-hole-is-unmapped", unmapped(p + 3 * PG, PG), "the hole is unmapped");
	CHECK("mm/mincore-over-the-hole-enomem", mincore(p, 8 * PG, vec) == -1 && errno == ENOMEM,
	      "mincore over the hole: ENOMEM");
	CHECK("mm/both-sides-keep-their-contents", p[0] == 1 && p[5 * PG] == 1,
	      "both sides keep their contents");
	CHECK("mm/unmapping-across-the-hole", munmap(p, 8 * PG) == 0, "unmapping across the hole");
}

/* A large area may get a touched page's neighbours mapped with it (as
 * Linux would map a 2 MiB page there): they must read zero and hold what
 * is written. A thread stack (MAP_STACK) holds only the pages touched, as
 * Linux gives stacks no huge pages; so does a small area
 * (holes_and_mincore). */
static void large_areas(void)
{
	int err, resident = 0;
	size_t len = 4ul << 20;
	unsigned char *p = map(NULL, len, RW, ANON, &err), *vec = malloc(len / PG);

	CHECK("mm/4-mib", p != MAP_FAILED && vec, "4 MiB");
	if (p == MAP_FAILED || !vec)
		return;
	p[len / 2 + 5] = 7;
	CHECK("mm/a-touched-page-s-neighbours-read-zero",
	      zero(p + len / 2 - 64 * PG, 64 * PG) && zero(p + len / 2 + PG, 64 * PG),
	      "a touched page's neighbours read zero");
	fill(p + len / 2 + PG, 3 * PG, 11);
	CHECK("mm/and-hold-what-is-written",
	      same(p + len / 2 + PG, 3 * PG, 11) && p[len / 2 + 5] == 7,
	      "and hold what is written");
	CHECK("mm/unmapped-whole", munmap(p, len) == 0 && unmapped(p, len), "unmapped whole");
	p = map(NULL, len, RW, ANON | MAP_STACK, &err);
	CHECK("mm/4-mib-map-stack", p != MAP_FAILED, "4 MiB MAP_STACK");
	if (p == MAP_FAILED)
		return;
	p[len - 100] = 1;
	p[len / 2] = 1;
	CHECK("mm/mincore-of-the-stack", mincore(p, len, vec) == 0, "mincore of the stack");
	for (size_t i = 0; i < len / PG; i++)
		resident += vec[i] & 1;
	CHECK("mm/a-stack-holds-only-the-pages-touched-resident",
	      resident == 2 && vec[len / PG - 1] && vec[len / PG / 2],
	      "a stack holds only the pages touched: %d resident", resident);
	munmap(p, len);
	free(vec);
}

static void protections(void)
{
	int err;
	unsigned char *p = map(NULL, 4 * PG, RW, ANON, &err);
	static const unsigned char ret = 0xc3;

	fill(p, 4 * PG, 9);
	CHECK("mm/mprotect-to-read-only", mprotect(p + PG, 2 * PG, PROT_READ) == 0,
	      "mprotect to read-only");
	CHECK("mm/read-only-pages-read", same(p, 4 * PG, 9), "read-only pages read");
	CHECK("mm/mprotect-back-to-read-write", mprotect(p, 4 * PG, RW) == 0,
	      "mprotect back to read-write");
	p[PG] = 42;
	CHECK("mm/writable-again", p[PG] == 42, "writable again");
	CHECK("mm/prot-none-and-back", mprotect(p, PG, PROT_NONE) == 0 && mprotect(p, PG, RW) == 0,
	      "PROT_NONE and back");
	CHECK("mm/prot-none-keeps-contents", same(p + 2 * PG, 2 * PG, 9 + 2 * PG * 7 + 2),
	      "PROT_NONE keeps contents");
	CHECK("mm/prot-none-keeps-contents-of-the-page-itself", p[0] == (unsigned char)9,
	      "PROT_NONE keeps contents of the page itself");
	CHECK("mm/unknown-prot-bit-einval-2", mprotect(p, PG, 0x100) == -1 && errno == EINVAL,
	      "unknown PROT bit: EINVAL");
	/* Code in an executable mapping runs. */
	memcpy(p + 3 * PG, &ret, 1);
	CHECK("mm/prot-exec", mprotect(p + 3 * PG, PG, PROT_READ | PROT_EXEC) == 0, "PROT_EXEC");
	((void (*)(void))(p + 3 * PG))();
	CHECK("mm/executed-a-page-with-prot-exec", 1, "executed a page with PROT_EXEC");
	munmap(p, 4 * PG);
}

static void remapping(void)
{
	int err;
	unsigned char *p = map(NULL, 16 * PG, RW, ANON, &err), *q, *blocker;

	fill(p, 16 * PG, 11);
	/* Make the space above p free so it can grow in place. */
	q = mremap(p, 16 * PG, 32 * PG, 0);
	if (q == MAP_FAILED) { /* something sits above: move instead */
		q = mremap(p, 16 * PG, 32 * PG, MREMAP_MAYMOVE);
	}
	CHECK("mm/mremap-grows", q != MAP_FAILED, "mremap grows");
	CHECK("mm/growing-keeps-the-contents", same(q, 16 * PG, 11), "growing keeps the contents");
	CHECK("mm/the-new-part-is-zero", zero(q + 16 * PG, 16 * PG), "the new part is zero");
	p = q;
	/* Block growth in place: it must move and keep the contents. */
	blocker = map(p + 32 * PG, PG, RW, ANON | MAP_FIXED_NOREPLACE, &err);
	CHECK("mm/a-blocker-above", blocker == p + 32 * PG, "a blocker above");
	q = mremap(p, 32 * PG, 64 * PG, 0);
	CHECK("mm/blocked-without-mremap-maymove-enomem", q == MAP_FAILED && errno == ENOMEM,
	      "blocked, without MREMAP_MAYMOVE: ENOMEM");
	q = mremap(p, 32 * PG, 64 * PG, MREMAP_MAYMOVE);
	CHECK("mm/blocked-with-mremap-maymove-moved", q != MAP_FAILED && q != p,
	      "blocked, with MREMAP_MAYMOVE: moved");
	CHECK("mm/moving-keeps-the-contents", same(q, 16 * PG, 11), "moving keeps the contents");
	CHECK("mm/the-old-range-is-gone", unmapped(p, 32 * PG), "the old range is gone");
	p = q;
	q = mremap(p, 64 * PG, 8 * PG, 0);
	CHECK("mm/shrinking-in-place", q == p && same(p, 8 * PG, 11), "shrinking in place");
	CHECK("mm/the-tail-is-gone", unmapped(p + 8 * PG, 56 * PG), "the tail is gone");
	q = mremap(p, 8 * PG, 8 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)0x300000000ul);
	CHECK("mm/mremap-fixed", q == (void *)0x300000000ul && same(q, 8 * PG, 11), "MREMAP_FIXED");
	CHECK("mm/mremap-fixed-without-mremap-maymove-einval",
	      mremap(q, 8 * PG, 4 * PG, MREMAP_FIXED, (void *)0x310000000ul) == MAP_FAILED &&
	          errno == EINVAL,
	      "MREMAP_FIXED without MREMAP_MAYMOVE: EINVAL");
	CHECK("mm/mremap-of-unmapped-memory-efault",
	      mremap(q + 100 * PG, PG, 2 * PG, MREMAP_MAYMOVE) == MAP_FAILED && errno == EFAULT,
	      "mremap of unmapped memory: EFAULT");
	CHECK("mm/old-size-0-of-private-memory-einval",
	      mremap(q, 0, PG, MREMAP_MAYMOVE) == MAP_FAILED && errno == EINVAL,
	      "old size 0 of private memory: EINVAL");
	munmap(q, 8 * PG);
	munmap(blocker, PG);
}

static void advice(void)
{
	int err;
	unsigned char *p = map(NULL, 4 * PG, RW, ANON, &err), *s, vec[4];

	fill(p, 4 * PG, 13);
	CHECK("mm/madv-normal", madvise(p, 4 * PG, MADV_NORMAL) == 0, "MADV_NORMAL");
	CHECK("mm/madv-willneed", madvise(p, 4 * PG, MADV_WILLNEED) == 0, "MADV_WILLNEED");
	CHECK("mm/madv-dontneed", madvise(p + PG, PG, MADV_DONTNEED) == 0, "MADV_DONTNEED");
	CHECK("mm/madv-dontneed-zeroes-private-anonymous-memory", zero(p + PG, PG),
	      "MADV_DONTNEED zeroes private anonymous memory");
	CHECK("mm/and-nothing-else", same(p, PG, 13), "and nothing else");
	CHECK("mm/unknown-advice-einval", madvise(p, 4 * PG, 12345) == -1 && errno == EINVAL,
	      "unknown advice: EINVAL");
	CHECK("mm/unaligned-einval", madvise(p + 1, PG, MADV_NORMAL) == -1 && errno == EINVAL,
	      "unaligned: EINVAL");
	CHECK("mm/posix-madv-dontneed-keeps-contents",
	      posix_madvise(p, 4 * PG, POSIX_MADV_DONTNEED) == 0 && same(p, PG, 13),
	      "POSIX_MADV_DONTNEED keeps contents");
	CHECK("mm/msync", msync(p, 4 * PG, MS_SYNC) == 0, "msync");
	CHECK("mm/ms-sync-ms-async-einval",
	      msync(p, 4 * PG, MS_SYNC | MS_ASYNC) == -1 && errno == EINVAL,
	      "MS_SYNC|MS_ASYNC: EINVAL");
	CHECK("mm/mlock-munlock", mlock(p, 4 * PG) == 0 && munlock(p, 4 * PG) == 0,
	      "mlock, munlock");
	CHECK("mm/mlockall", mlockall(MCL_CURRENT | MCL_FUTURE) == 0 && munlockall() == 0,
	      "mlockall");
	CHECK("mm/mlockall-0-einval", mlockall(0) == -1 && errno == EINVAL, "mlockall(0): EINVAL");
	munmap(p, 4 * PG);
	CHECK("mm/msync-unmapped-enomem", msync(p, 4 * PG, MS_SYNC) == -1 && errno == ENOMEM,
	      "msync unmapped: ENOMEM");
	CHECK("mm/mlock-unmapped-enomem", mlock(p, 4 * PG) == -1 && errno == ENOMEM,
	      "mlock unmapped: ENOMEM");
	p = map(NULL, 4 * PG, RW, ANON, &err);
	CHECK("mm/mlock-commits-the-pages",
	      mlock(p, 4 * PG) == 0 && mincore(p, 4 * PG, vec) == 0 && vec[0] && vec[3],
	      "mlock commits the pages");
	munmap(p, 4 * PG);
	s = map(NULL, 2 * PG, RW, MAP_SHARED | MAP_ANONYMOUS, &err);
	fill(s, 2 * PG, 17);
	CHECK("mm/madv-dontneed-keeps-shared-memory",
	      madvise(s, 2 * PG, MADV_DONTNEED) == 0 && same(s, 2 * PG, 17),
	      "MADV_DONTNEED keeps shared memory");
	munmap(s, 2 * PG);
	/* link mode: the heap is memory too */
	p = malloc(3 * PG);
	unsigned char *a = (unsigned char *)(((uintptr_t)p + PG - 1) & ~(PG - 1));
	memset(a, 7, PG);
	CHECK("mm/mlock-of-heap-memory", mlock(p, PG) == 0, "mlock of heap memory");
	CHECK("mm/madv-dontneed-of-the-heap-zeroes-it",
	      madvise(a, PG, MADV_DONTNEED) == 0 && zero(a, PG),
	      "MADV_DONTNEED of the heap zeroes it");
	free(p);
}

/* Many maps and unmaps of random sizes, with contents checked: frames are
 * reused, areas merge and split correctly. */
static void churn(void)
{
	enum { SLOTS = 64 };
	static unsigned char *slot[SLOTS];
	static size_t len[SLOTS];
	uint32_t rng = 99;
	int bad = 0, fails = 0;

	for (int i = 0; i < 4000; i++) {
		int k;
		rng = rng * 1103515245 + 12345;
		k = (rng >> 8) % SLOTS;
		if (slot[k]) {
			bad += !same(slot[k], len[k], k);
			munmap(slot[k], len[k]);
			slot[k] = NULL;
			continue;
		}
		len[k] = PG * (1 + (rng >> 16) % 64);
		slot[k] = mmap(NULL, len[k], RW, ANON, -1, 0);
		if (slot[k] == MAP_FAILED) {
			slot[k] = NULL;
			fails++;
			continue;
		}
		fill(slot[k], len[k], k);
	}
	for (int k = 0; k < SLOTS; k++)
		if (slot[k]) {
			bad += !same(slot[k], len[k], k);
			munmap(slot[k], len[k]);
		}
	CHECK("mm/churn-corrupt-failed-maps", !bad && !fails, "churn: %d corrupt, %d failed maps",
	      bad, fails);
}

/* Frames come back: 8 x 32 MiB, twice the memory of the 128 MiB guest
 * (each first touch costs three exits on the paravirtual host). */
static void reuse(void)
{
	size_t len = 32ul << 20;
	int ok = 1;

	for (int i = 0; i < 8 && ok; i++) {
		unsigned char *p = mmap(NULL, len, RW, ANON, -1, 0);
		if (p == MAP_FAILED) {
			ok = 0;
			break;
		}
		for (size_t o = 0; o < len; o += PG)
			p[o] = (unsigned char)i;
		ok = p[len - PG] == (unsigned char)i;
		munmap(p, len);
	}
	CHECK("mm/256-mib-mapped-touched-and-unmapped-32-mib-at-a", ok,
	      "256 MiB mapped, touched and unmapped 32 MiB at a time");
}

static void timing(void)
{
	size_t len = 16ul << 20;
	unsigned char *p = mmap(NULL, len, RW, ANON, -1, 0);
	uint64_t t0 = now_ns(), t1, t2;

	for (size_t o = 0; o < len; o += PG)
		p[o] = 1;
	t1 = now_ns();
	munmap(p, len);
	t2 = now_ns();
	printf("first touch: %llu ns/page; munmap: %llu ns/page\n",
	       (unsigned long long)((t1 - t0) / (len / PG)),
	       (unsigned long long)((t2 - t1) / (len / PG)));
}

/* What must end the program, by name. */
static int crash(const char *how)
{
	int err;
	volatile unsigned char *p = map(NULL, 2 * PG, RW, ANON, &err);

	printf("crashing: %s\n", how);
	fflush(stdout);
	if (!strcmp(how, "wprot")) {
		p[0] = 1;
		mprotect((void *)p, PG, PROT_READ);
		p[0] = 2;
	} else if (!strcmp(how, "wprot-fresh")) {
		/* the second page: mmap commits a small area's first */
		mprotect((void *)p, 2 * PG, PROT_READ);
		p[PG] = 2;
	} else if (!strcmp(how, "none")) {
		mprotect((void *)p, PG, PROT_NONE);
		return p[0];
	} else if (!strcmp(how, "unmapped")) {
		p[0] = 1;
		munmap((void *)p, 2 * PG);
		return p[0];
	} else if (!strcmp(how, "nx")) {
		p[0] = 0xc3; /* ret, in a page without PROT_EXEC */
		((void (*)(void))p)();
	} else if (!strcmp(how, "oom")) {
		size_t len = 1ul << 36;
		unsigned char *q = map(NULL, len, RW, ANON | MAP_NORESERVE, &err);
		for (size_t o = 0; q != MAP_FAILED && o < len; o += PG)
			q[o] = 1;
	}
	printf("survived '%s'\n", how);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return crash(argv[1]);
	basics();
	bad_arguments();
	impossible_sizes();
	hints_and_fixed();
	holes_and_mincore();
	large_areas();
	protections();
	remapping();
	advice();
	churn();
	reuse();
	file_tests();
	rules_tests();
	timing();
	return check_totals("mm");
}
