/*
 * ELF checks for the binary-mode loader: the header and program headers
 * of a Linux x86-64 program or its interpreter, read from the image's
 * root filesystem. The file is untrusted input like any other: every
 * offset, size and address is checked (no overflow, inside the file, inside
 * the lower half) before the loader uses it. Pure code over buffers, so
 * the host unit tests run it under ASan (tests/unit/test_elf.c).
 */
#include <asm-generic/errno-base.h>
#include <asm-generic/mman-common.h>
#include <linux/elf.h>
#include <uk/binary.h>

#define PAGE 4096ul
#define USER_END 0x7ffffffff000ul /* Linux's TASK_SIZE (uk/vm.h's UK_VM_END) */
#define USER_MIN 0x10000ul        /* vm.mmap_min_addr (UK_VM_MIN) */

static int bad(const char **why, const char *what)
{
	*why = what;
	return -ENOEXEC;
}

/* Copied out byte by byte: the buffer need not be aligned. */
static void copy(void *to, const void *from, size_t n)
{
	for (size_t i = 0; i < n; i++)
		((unsigned char *)to)[i] = ((const unsigned char *)from)[i];
}

int uk_elf_check_header(const void *buf, size_t len, struct uk_elf *e, const char **why)
{
	Elf64_Ehdr hdr, *h = &hdr;
	const unsigned char *id = buf;

	for (size_t i = 0; i < sizeof(*e); i++)
		((unsigned char *)e)[i] = 0;
	if (len < 4 || id[0] != 0x7f || id[1] != 'E' || id[2] != 'L' || id[3] != 'F')
		return bad(why, "not an ELF file");
	if (len < sizeof(*h))
		return bad(why, "truncated ELF header");
	copy(h, buf, sizeof(*h));
	if (id[EI_CLASS] != ELFCLASS64 || id[EI_DATA] != ELFDATA2LSB || h->e_machine != EM_X86_64)
		return bad(why, "not an x86-64 program (ELF64, little-endian)");
	if (id[EI_VERSION] != EV_CURRENT)
		return bad(why, "unknown ELF version");
	if (h->e_type != ET_EXEC && h->e_type != ET_DYN)
		return bad(why,
		           "not an executable or shared object (a core file? an object file?)");
	if (h->e_phentsize != sizeof(Elf64_Phdr) || !h->e_phnum || h->e_phnum > UK_ELF_MAX_PHNUM)
		return bad(why, "bad program header table");
	e->dyn = h->e_type == ET_DYN;
	e->entry = h->e_entry;
	e->phoff = h->e_phoff;
	e->phnum = h->e_phnum;
	return 0;
}

static unsigned prot_of(uint32_t flags)
{
	return (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) |
	       (flags & PF_X ? PROT_EXEC : 0);
}

/* One PT_LOAD: inside the file and the lower half, congruent modulo the
 * page size, in ascending order without overlap (the ELF spec's rules). */
static int check_load(const Elf64_Phdr *p, uint64_t filesz, struct uk_elf *e, const char **why)
{
	struct uk_elf_load *l;
	uint64_t end;

	if (!p->p_memsz)
		return 0;
	if (e->nload == UK_ELF_MAX_LOADS)
		return bad(why, "too many loadable segments");
	if (p->p_filesz > p->p_memsz || p->p_offset > filesz || p->p_filesz > filesz - p->p_offset)
		return bad(why, "a segment lies outside the file");
	if ((p->p_vaddr & (PAGE - 1)) != (p->p_offset & (PAGE - 1)))
		return bad(why,
		           "a segment's address and file offset disagree modulo the page size");
	if (p->p_vaddr >= USER_END || p->p_memsz > USER_END - p->p_vaddr)
		return bad(why, "a segment lies outside the program's address space");
	end = p->p_vaddr + p->p_memsz;
	/* Neighbours may share a page (old linkers); never bytes. */
	if (e->nload && p->p_vaddr < e->load[e->nload - 1].vaddr + e->load[e->nload - 1].memsz)
		return bad(why, "segments overlap or are out of order");
	l = &e->load[e->nload++];
	l->vaddr = p->p_vaddr;
	l->memsz = p->p_memsz;
	l->off = p->p_offset;
	l->filesz = p->p_filesz;
	l->prot = prot_of(p->p_flags);
	if (e->nload == 1)
		e->lo = p->p_vaddr & ~(PAGE - 1);
	e->hi = (end + PAGE - 1) & ~(PAGE - 1);
	return 0;
}

/* Where the program headers are in memory: PT_PHDR, else the load that
 * holds them in the file. */
static void find_phdr(const unsigned char *ph, struct uk_elf *e)
{
	uint64_t size = (uint64_t)e->phnum * sizeof(Elf64_Phdr);
	Elf64_Phdr p;

	for (unsigned i = 0; i < e->phnum; i++) {
		copy(&p, ph + i * sizeof(p), sizeof(p));
		if (p.p_type == PT_PHDR)
			e->phdr = p.p_vaddr;
	}
	for (unsigned i = 0; i < e->nload && !e->phdr; i++) {
		const struct uk_elf_load *l = &e->load[i];
		if (e->phoff >= l->off && e->phoff - l->off + size <= l->filesz)
			e->phdr = l->vaddr + (e->phoff - l->off);
	}
}

int uk_elf_check_phdrs(const void *buf, size_t len, uint64_t filesz, struct uk_elf *e,
                       const char **why)
{
	const unsigned char *ph = buf;
	Elf64_Phdr hdr, *p = &hdr;
	int r;

	if (len < (size_t)e->phnum * sizeof(*p) || e->phoff > filesz ||
	    (uint64_t)e->phnum * sizeof(*p) > filesz - e->phoff)
		return bad(why, "the program headers lie outside the file");
	for (unsigned i = 0; i < e->phnum; i++) {
		copy(p, ph + i * sizeof(*p), sizeof(*p));
		switch (p->p_type) {
		case PT_LOAD:
			if ((r = check_load(p, filesz, e, why)))
				return r;
			break;
		case PT_INTERP:
			if (e->interp_len)
				return bad(why, "two PT_INTERP headers");
			if (p->p_filesz < 2 || p->p_filesz > UK_ELF_MAX_INTERP ||
			    p->p_offset > filesz || p->p_filesz > filesz - p->p_offset)
				return bad(why, "a bad PT_INTERP header");
			e->interp_off = p->p_offset;
			e->interp_len = p->p_filesz;
			break;
		case PT_GNU_STACK: e->exec_stack = !!(p->p_flags & PF_X); break;
		}
	}
	if (!e->nload)
		return bad(why, "nothing to load");
	if (!e->dyn && e->lo < USER_MIN)
		return bad(why, "linked below 64 KiB (address 0 must stay unmapped)");
	if (e->entry < e->lo || e->entry >= e->hi)
		return bad(why, "the entry point lies outside the loaded segments");
	find_phdr(ph, e);
	return 0;
}
