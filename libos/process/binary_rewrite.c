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
 * MOV is 436 of glibc 2.36's 526 sites and most of a Go binary's; CMP adds
 * read (xor %eax,%eax before it), syscall() and Go's Syscall6, through
 * which Go does its I/O. %rcx holds what `syscall` would leave there or a
 * return into the stub, and ENTRY is uk_syscall_entry_jmp, the region's
 * first word. The stubs never touch the program's stack (no call: the red
 * zone below %rsp survives, as with `syscall`); they live in a region of
 * their own, read and execute only, within a rel32 jump of the code.
 *
 * What stays on the trap path: other site shapes, code generated at run time
 * (JITs), pages filled again after MADV_DONTNEED or mremap. They are
 * correct, only slower. Matching bytes rather than decoding instructions
 * could take a constant inside another instruction for a site; each shape
 * is seven or eight bytes with at least five fixed, and no such false
 * site was found in glibc, Go binaries, libstdc++, libcrypto, libjvm and
 * node, checked against objdump. `ukrun --no-syscall-rewrite` turns the
 * rewriting off.
 */
#include <uk/arch.h>
#include <uk/binary.h>
#include <uk/linux.h>
#include <uk/paging.h>
#include <uk/plat.h>
#include <uk/syscall.h>
#include <uk/vm.h>

#define PAGE UK_PAGE_SIZE
#define STUB_LEN 32  /* at most 24 used, int3 after */
#define STUB_HEAD 16 /* the entry's address, then padding */
#define REL32_REACH (1ul << 31)

uint64_t uk_rewritten_sites;

/* The length of a site at p (0: none). MOV: mov $NR, %eax; syscall, with
 * NR < 512. CMP: syscall; cmp $-4096 or $-4095, %rax or %eax -- the
 * number already in %rax, the result tested right after. */
enum { MOV = 1, CMP };

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

/* Bytes into code that is already mapped read-only: through the physmap. */
static void poke(uintptr_t va, const uint8_t *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t pa = uk_virt_to_phys(va + i);
		if (pa != ~0ull)
			*(volatile uint8_t *)uk_p2v(pa) = b[i];
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

/* The stub of the site of len bytes at a: MOV keeps its mov and returns
 * to the instruction after the site; CMP returns into the stub, which
 * does the site's cmp and jumps back after it. */
static void write_stub(uint8_t *s, uintptr_t region, uintptr_t a, unsigned len, int kind)
{
	const uint8_t *site = (const uint8_t *)a;
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

/* The first site in [p, e) that a scan trying every byte in turn would
 * take, or NULL. Every site holds a syscall (0f 05) at its start or five
 * bytes in, and no site can overlap another's 0f 05, so only the bytes
 * around each 0f 05 are tried; the 05s are looked for 8 bytes at a time
 * (the byte-by-byte scan was a quarter of node's and a sixth of java's
 * start: 100 MB of code). */
static const uint8_t *next_site(const uint8_t *p, const uint8_t *e, unsigned *len, int *kind)
{
	const uint64_t ones = 0x0101010101010101ull, fives = 0x0505050505050505ull;
	const uint8_t *f = p + 1; /* where a 05 may be */

	while (f < e) {
		uint64_t w;

		for (; f + 8 <= e; f += 8) {
			__builtin_memcpy(&w, f, 8);
			w ^= fives;
			if ((w - ones) & ~w & (ones << 7))
				break; /* a byte of w was 05 */
		}
		while (f < e && *f != 0x05)
			f++;
		if (f >= e)
			break;
		if (f[-1] == 0x0f) {
			uintptr_t q = (uintptr_t)f - 1; /* the 0f 05 */
			if (q - 5 >= (uintptr_t)p && q - 5 < q &&
			    (*len = site_at((const uint8_t *)q - 5, e, kind)))
				return (const uint8_t *)q - 5; /* MOV */
			if (q >= (uintptr_t)p && (*len = site_at((const uint8_t *)q, e, kind)))
				return (const uint8_t *)q; /* CMP */
		}
		f++;
	}
	return NULL;
}

static unsigned count_sites(uintptr_t start, uintptr_t end)
{
	const uint8_t *p = (const uint8_t *)start, *e = (const uint8_t *)end;
	unsigned n = 0, len;
	int kind;

	while ((p = next_site(p, e, &len, &kind)))
		n++, p += len;
	return n;
}

void uk_binary_rewrite(uintptr_t start, uintptr_t end)
{
	unsigned n, k = 0;
	int kind;
	size_t size;
	long region;

	if ((uk_plat.flags & UK_PF_NO_REWRITE) || end <= start)
		return;
	if (!(n = count_sites(start, end)))
		return;
	size = (STUB_HEAD + (size_t)n * STUB_LEN + PAGE - 1) & ~(PAGE - 1);
	/* every stub within a rel32 of every site, either way */
	region = uk_vm_mmap_within(end > REL32_REACH - PAGE ? end - REL32_REACH + PAGE : 0,
	                           start + REL32_REACH - PAGE, size, PROT_READ | PROT_WRITE);
	if (region < 0) {
		uk_trace_note("rewrite: no room for %u stubs near %#lx; the sites trap", n, start);
		return;
	}
	*(uint64_t *)region = (uint64_t)uk_syscall_entry_jmp;
	for (const uint8_t *p = (const uint8_t *)start; k < n;) {
		uint8_t jmp[8] = { 0xe9, 0, 0, 0, 0, 0xcc, 0xcc, 0xcc },
		        *s = (uint8_t *)region + STUB_HEAD + k * STUB_LEN;
		unsigned len;
		uintptr_t a;
		if (!(p = next_site(p, (const uint8_t *)end, &len, &kind)))
			break;
		a = (uintptr_t)p;
		p += len;
		write_stub(s, (uintptr_t)region, a, len, kind);
		put32(jmp + 1, (int64_t)(uintptr_t)s - (int64_t)(a + 5));
		/* MOV: the mov only, the syscall stays; CMP: all of it */
		poke(a, jmp, kind == MOV ? 5 : len);
		k++;
	}
	uk_vm_mprotect((uintptr_t)region, size, PROT_READ | PROT_EXEC);
	uk_rewritten_sites += k;
}
