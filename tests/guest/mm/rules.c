/*
 * Page-table rules: every change of a mapping is seen by the very next
 * access, on pages touched right before (so the TLB, or the paravirtual
 * host's shadow page tables, hold the old translation). An entry written
 * after its invlpg instead of before it (pvm.md rule 8) fails here on the
 * paravirtual host: munmap or MADV_DONTNEED leaves the old page readable,
 * mprotect leaves it writable. QEMU's TCG hides that order bug; these
 * checks still prove the semantics there.
 *
 * Part of the mm suite (rules_tests, link mode), and built on its own with
 * -DMM_RULES_MAIN as a static Linux program (tests/tests.mk: mm-linux.img,
 * binary mode), where brk and glibc's heap take the system-call path.
 */
#define _GNU_SOURCE /* mremap, for glibc */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"

#define PG 4096ul
#define N 64 /* pages per check: more than one TLB entry's worth of luck */
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static jmp_buf jb;
static volatile uintptr_t fault_addr;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	fault_addr = (uintptr_t)si->si_addr;
	longjmp(jb, 1); /* SA_NODEFER: the mask needs no restoring */
}

/* Whether a read (or write) of the byte at p ends in SIGSEGV at p. */
static int faults(volatile unsigned char *p, int write)
{
	struct sigaction sa, old;
	int hit = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, &old);
	fault_addr = 0;
	if (!setjmp(jb)) {
		if (write)
			*p = 0x5a;
		else
			(void)*p;
	} else {
		hit = fault_addr == (uintptr_t)p;
	}
	sigaction(SIGSEGV, &old, NULL);
	return hit;
}

/* Writes a pattern to every page and reads it back: each page's
 * translation is now cached. */
static void touch(unsigned char *p, size_t pages, unsigned char v)
{
	for (size_t i = 0; i < pages; i++)
		memset(p + i * PG, v + i, PG);
	for (size_t i = 0; i < pages; i++)
		if (p[i * PG + PG - 1] != (unsigned char)(v + i))
			printf("touch: page %zu lost its pattern\n", i);
}

/* Pages of [p, p + pages) that read as all zero / that fault. */
static size_t zero_pages(const unsigned char *p, size_t pages)
{
	size_t n = 0;

	for (size_t i = 0; i < pages; i++) {
		size_t k = 0;
		while (k < PG && !p[i * PG + k])
			k++;
		n += k == PG;
	}
	return n;
}

static size_t faulting_pages(unsigned char *p, size_t pages, int write)
{
	size_t n = 0;

	for (size_t i = 0; i < pages; i++)
		n += faults(p + i * PG + 123, write);
	return n;
}

static unsigned char *touched(unsigned char v)
{
	unsigned char *p = mmap(NULL, N * PG, RW, ANON, -1, 0);

	if (p != MAP_FAILED)
		touch(p, N, v);
	return p == MAP_FAILED ? NULL : p;
}

static void unmap_rules(void)
{
	unsigned char *p = touched(1), *q;
	size_t n;

	if (!p)
		return;
	CHECK("mm/rules/munmap-of-touched-pages", munmap(p, N * PG) == 0,
	      "munmap of touched pages");
	n = faulting_pages(p, N, 0);
	CHECK("mm/rules/reads-of-unmapped-touched-pages-fault-of", n == N,
	      "reads of unmapped touched pages fault: %zu of %d", n, N);
	n = faulting_pages(p, N, 1);
	CHECK("mm/rules/writes-to-unmapped-touched-pages-fault-of", n == N,
	      "writes to unmapped touched pages fault: %zu of %d", n, N);
	/* The same addresses mapped again: fresh pages, not the old ones. */
	q = mmap(p, N * PG, RW, ANON | MAP_FIXED, -1, 0);
	CHECK("mm/rules/mapped-again-at-the-same-address", q == p,
	      "mapped again at the same address");
	if (q != p)
		return;
	n = zero_pages(q, N);
	CHECK("mm/rules/unmap-map-again-the-pages-read-zero-of", n == N,
	      "unmap, map again: the pages read zero: %zu of %d", n, N);
	touch(q, N, 2);
	/* MAP_FIXED over the touched pages replaces them at once. */
	q = mmap(p, N * PG, RW, ANON | MAP_FIXED, -1, 0);
	n = q == p ? zero_pages(q, N) : 0;
	CHECK("mm/rules/map-fixed-over-touched-pages-the-new-ones-read", n == N,
	      "MAP_FIXED over touched pages: the new ones read zero: %zu of %d", n, N);
	touch(p, N, 3);
	q = mmap(p, N * PG, PROT_READ, ANON | MAP_FIXED, -1, 0);
	n = q == p ? faulting_pages(p, N, 1) : 0;
	CHECK("mm/rules/map-fixed-read-only-over-touched-pages-writes", n == N,
	      "MAP_FIXED read-only over touched pages: writes fault: %zu of %d", n, N);
	munmap(p, N * PG);
}

static void protect_rules(void)
{
	unsigned char *p = touched(4);
	size_t n;

	if (!p)
		return;
	CHECK("mm/rules/mprotect-prot-read-of-touched-pages", mprotect(p, N * PG, PROT_READ) == 0,
	      "mprotect(PROT_READ) of touched pages");
	n = faulting_pages(p, N, 1);
	CHECK("mm/rules/mprotect-prot-read-then-writes-fault-of", n == N,
	      "mprotect(PROT_READ), then writes fault: %zu of %d", n, N);
	n = faulting_pages(p, N, 0);
	CHECK("mm/rules/and-reads-do-not-of-faulted", n == 0, "and reads do not: %zu of %d faulted",
	      n, N);
	CHECK("mm/rules/the-contents-stay", p[5 * PG] == 9, "the contents stay: %d", p[5 * PG]);
	CHECK("mm/rules/mprotect-back-to-read-write", mprotect(p, N * PG, RW) == 0,
	      "mprotect back to read-write");
	n = faulting_pages(p, N, 1);
	CHECK("mm/rules/then-writes-work-again-of-faulted", n == 0,
	      "then writes work again: %zu of %d faulted", n, N);
	touch(p, N, 6);
	CHECK("mm/rules/mprotect-prot-none-of-touched-pages", mprotect(p, N * PG, PROT_NONE) == 0,
	      "mprotect(PROT_NONE) of touched pages");
	n = faulting_pages(p, N, 0);
	CHECK("mm/rules/mprotect-prot-none-then-reads-fault-of", n == N,
	      "mprotect(PROT_NONE), then reads fault: %zu of %d", n, N);
	CHECK("mm/rules/prot-none-then-prot-read-the-contents-are-back",
	      mprotect(p, N * PG, PROT_READ) == 0 && p[7 * PG + 1] == 13,
	      "PROT_NONE, then PROT_READ: the contents are back");
	munmap(p, N * PG);
}

static void dontneed_rules(void)
{
	unsigned char *p = touched(8);
	size_t n;

	if (!p)
		return;
	for (int round = 0; round < 3; round++) {
		CHECK("mm/rules/madv-dontneed-of-touched-pages",
		      madvise(p, N * PG, MADV_DONTNEED) == 0, "MADV_DONTNEED of touched pages");
		n = zero_pages(p, N);
		CHECK("mm/rules/madv-dontneed-round-the-pages-read-zero-of", n == N,
		      "MADV_DONTNEED, round %d: the pages read zero: %zu of %d", round, n, N);
		touch(p, N, 9 + round);
	}
	munmap(p, N * PG);
}

static void mremap_rules(void)
{
	unsigned char *p = touched(12), *q;
	size_t n;

	if (!p)
		return;
	q = mremap(p, N * PG, 2 * N * PG, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)0x380000000ul);
	CHECK("mm/rules/mremap-moves-touched-pages", q == (void *)0x380000000ul,
	      "mremap moves touched pages");
	if (q != (void *)0x380000000ul)
		return;
	n = faulting_pages(p, N, 0);
	CHECK("mm/rules/mremap-the-old-addresses-fault-of", n == N,
	      "mremap: the old addresses fault: %zu of %d", n, N);
	CHECK("mm/rules/mremap-the-new-addresses-hold-the-contents",
	      q[3 * PG] == 15 && q[(N - 1) * PG] == (unsigned char)(12 + N - 1),
	      "mremap: the new addresses hold the contents");
	n = zero_pages(q + N * PG, N);
	CHECK("mm/rules/mremap-the-grown-part-reads-zero-of", n == N,
	      "mremap: the grown part reads zero: %zu of %d", n, N);
	munmap(q, 2 * N * PG);
}

/* The break: memory given back and taken again reads as zero. In binary
 * mode the break's pages are mapped and unmapped (binary_sys.c); in link
 * mode it is the kernel heap's edge (kernel/alloc.c). */
static void brk_rules(void)
{
	unsigned char *p = sbrk(0), *q;
	size_t n;

	/* Page-aligned, so whole pages come and go. */
	if (sbrk((PG - (uintptr_t)p % PG) % PG) == (void *)-1 || (p = sbrk(N * PG)) == (void *)-1) {
		CHECK("mm/rules/sbrk", 0, "sbrk(%lu)", N * PG);
		return;
	}
	touch(p, N, 16);
	CHECK("mm/rules/brk-shrinks-over-touched-pages", sbrk(-(long)(N * PG)) != (void *)-1,
	      "brk shrinks over touched pages");
	q = sbrk(N * PG);
	CHECK("mm/rules/brk-grows-again-at-the-same-address", q == p,
	      "brk grows again at the same address");
	if (q != p)
		return;
	n = zero_pages(q, N);
	CHECK("mm/rules/brk-shrink-grow-the-pages-read-zero-of", n == N,
	      "brk shrink, grow: the pages read zero: %zu of %d", n, N);
	sbrk(-(long)(N * PG));
}

/* Small areas, whose first page mmap commits before any access: the same
 * rules for a page mapped and never touched as for one touched, by reads
 * and by writes. */
#define ROUNDS 16

static unsigned char *small(void)
{
	unsigned char *p = mmap(NULL, PG, RW, ANON, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void small_rules(void)
{
	size_t unmapped = 0, read_unmapped = 0, fresh = 0, ro = 0, ro_cold = 0, rw = 0, dont = 0;
	unsigned char *p;

	for (int i = 0; i < ROUNDS; i++) {
		if ((p = small())) { /* written, unmapped */
			p[0] = 1;
			munmap(p, PG);
			unmapped += faults(p, 0) && faults(p, 1);
		}
		if ((p = small())) { /* only read, unmapped */
			read_unmapped += p[100] == 0;
			munmap(p, PG);
			read_unmapped += faults(p, 0);
		}
		if ((p = small())) { /* untouched, unmapped, mapped again */
			munmap(p, PG);
			fresh += faults(p, 0) && mmap(p, PG, RW, ANON | MAP_FIXED, -1, 0) == p &&
			         zero_pages(p, 1) == 1;
			munmap(p, PG);
		}
		if ((p = small())) { /* untouched, then read-only; then writable */
			ro_cold += mprotect(p, PG, PROT_READ) == 0 && faults(p, 1) && !faults(p, 0);
			rw += mprotect(p, PG, RW) == 0 && !faults(p, 1) && p[0] == 0x5a;
			munmap(p, PG);
		}
		if ((p = small())) { /* written, then read-only */
			p[0] = 3;
			ro += mprotect(p, PG, PROT_READ) == 0 && faults(p, 1) && p[0] == 3;
			munmap(p, PG);
		}
		if ((p = small())) { /* written, then given back */
			memset(p, 5, PG);
			dont += madvise(p, PG, MADV_DONTNEED) == 0 && zero_pages(p, 1) == 1;
			munmap(p, PG);
		}
	}
	CHECK("mm/rules/small-area-written-then-unmapped-faults", unmapped == ROUNDS,
	      "a small area written, then unmapped: faults (%zu of %d)", unmapped, ROUNDS);
	CHECK("mm/rules/small-area-read-then-unmapped-faults", read_unmapped == 2 * ROUNDS,
	      "a small area read, then unmapped: faults (%zu of %d)", read_unmapped, 2 * ROUNDS);
	CHECK("mm/rules/small-area-untouched-unmapped-then-mapped-again-is-fresh", fresh == ROUNDS,
	      "a small area unmapped untouched faults, mapped again reads zero (%zu of %d)", fresh,
	      ROUNDS);
	CHECK("mm/rules/small-area-untouched-then-read-only-writes-fault", ro_cold == ROUNDS,
	      "a small area made read-only untouched: writes fault, reads do not (%zu of %d)",
	      ro_cold, ROUNDS);
	CHECK("mm/rules/small-area-read-write-again-takes-writes", rw == ROUNDS,
	      "and read-write again: writes work (%zu of %d)", rw, ROUNDS);
	CHECK("mm/rules/small-area-written-then-read-only-writes-fault", ro == ROUNDS,
	      "a small area written, then read-only: writes fault, the contents stay (%zu of %d)",
	      ro, ROUNDS);
	CHECK("mm/rules/small-area-madv-dontneed-reads-zero", dont == ROUNDS,
	      "a small area written, then MADV_DONTNEED: reads zero (%zu of %d)", dont, ROUNDS);
}

void rules_tests(void)
{
	small_rules();
	unmap_rules();
	protect_rules();
	dontneed_rules();
	mremap_rules();
	brk_rules();
}

#ifdef MM_RULES_MAIN
int checks, failures;

int main(void)
{
	rules_tests();
	return check_totals("mm-rules");
}
#endif
