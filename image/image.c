/* ELF64 PVH image parsing; every offset and size checked against the file. */
#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <uk/abi.h>

#include "../common/host.h"
#include "image.h"

/* [off, off+len) inside [0, size), without overflow. */
static int in_file(uint64_t off, uint64_t len, size_t size)
{
	return off <= size && len <= size - off;
}

/* One PT_NOTE segment's notes: XEN_ELFNOTE_PHYS32_ENTRY (counted in
 * *have_pvh) and uk's long-mode entry (in img->have_long). */
static void find_notes(const uint8_t *d, const Elf64_Phdr *ph, struct uki_image *img, int *have_pvh)
{
	uint64_t off = ph->p_offset, end = ph->p_offset + ph->p_filesz;

	while (end - off >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr n;
		memcpy(&n, d + off, sizeof(n));
		uint64_t name = off + sizeof(n);
		uint64_t desc = name + ((n.n_namesz + 3ull) & ~3ull);
		uint64_t next = desc + ((n.n_descsz + 3ull) & ~3ull);
		if (next > end || next <= off)
			return;
		if (!*have_pvh && n.n_type == UK_PVH_NOTE_TYPE && n.n_namesz == 4 &&
		    !memcmp(d + name, "Xen", 4) && (n.n_descsz == 4 || n.n_descsz == 8)) {
			uint64_t v = 0;
			memcpy(&v, d + desc, n.n_descsz);
			img->entry32 = v;
			*have_pvh = 1;
		}
		if (!img->have_long && n.n_type == UK_NOTE_LONG && n.n_namesz == 3 &&
		    !memcmp(d + name, "uk", 3) && n.n_descsz == sizeof(img->long_entry)) {
			memcpy(&img->long_entry, d + desc, sizeof(img->long_entry));
			img->have_long = 1;
		}
		off = next;
	}
}

/* [gpa, gpa+len) inside one loaded segment. */
static int in_segment(const struct uki_image *img, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < img->nseg; i++) {
		const struct uki_seg *s = &img->seg[i];
		if (gpa >= s->paddr && gpa - s->paddr <= s->memsz &&
		    len <= s->memsz - (gpa - s->paddr))
			return 1;
	}
	return 0;
}

/* The long-mode entry's addresses, each inside the image (the page
 * tables and the GDT in its file's bytes, which carry them prebuilt). */
static int check_long(const struct uki_image *img, char *err, size_t errlen)
{
	const struct uk_long_entry *l = &img->long_entry;

	if (!img->have_long)
		return 0;
	if (!in_segment(img, l->entry, 1) || !in_segment(img, l->pml4, 4096) || l->pml4 % 4096 ||
	    l->gdt_limit > 0xffff || !in_segment(img, l->gdt, (uint64_t)l->gdt_limit + 1))
		return host_fail(err, errlen,
		                 "its long-mode entry note (\"uk\") names entry %#llx, page "
		                 "tables %#llx, GDT %#llx+%#llx: not all inside its segments "
		                 "(the tables page-aligned, the GDT at most 64 KiB)",
		                 (unsigned long long)l->entry, (unsigned long long)l->pml4,
		                 (unsigned long long)l->gdt, (unsigned long long)l->gdt_limit + 1);
	return 0;
}

static void find_sections(const uint8_t *d, size_t size, const Elf64_Ehdr *eh,
                          struct uki_image *img)
{
	const Elf64_Shdr *sh, *strtab;

	if (!eh->e_shoff || eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    !in_file(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr), size) ||
	    eh->e_shstrndx >= eh->e_shnum || eh->e_shoff % 8)
		return;
	sh = (const Elf64_Shdr *)(d + eh->e_shoff);
	strtab = &sh[eh->e_shstrndx];
	if (!in_file(strtab->sh_offset, strtab->sh_size, size))
		return;
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		const char *name;
		if (sh[i].sh_name >= strtab->sh_size)
			continue;
		name = (const char *)d + strtab->sh_offset + sh[i].sh_name;
		if (!memchr(name, 0, strtab->sh_size - sh[i].sh_name))
			continue;
		if (!strcmp(name, ".uk_manifest") && sh[i].sh_type == SHT_PROGBITS &&
		    in_file(sh[i].sh_offset, sh[i].sh_size, size)) {
			img->manifest = d + sh[i].sh_offset;
			img->manifest_size = sh[i].sh_size;
		}
		if (!strcmp(name, ".uk_rootfs") && sh[i].sh_type == SHT_PROGBITS)
			img->rootfs_size = sh[i].sh_size;
	}
}

int uki_image_parse(const void *data, size_t size, struct uki_image *img, char *err, size_t errlen)
{
	const uint8_t *d = data;
	Elf64_Ehdr eh;
	int have_entry = 0;

	memset(img, 0, sizeof(*img));
	if (size < 4 || memcmp(d, ELFMAG, SELFMAG))
		return host_fail(err, errlen, "not an ELF file (no \\x7fELF magic)");
	if (size < sizeof(eh))
		return host_fail(err, errlen, "truncated: %zu bytes, shorter than an ELF header",
		                 size);
	memcpy(&eh, d, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_machine != EM_X86_64)
		return host_fail(err, errlen, "not an x86-64 ELF64 little-endian file");
	if (eh.e_type != ET_EXEC)
		return host_fail(err, errlen, "ELF type %u is not an executable image", eh.e_type);
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phoff % 8)
		return host_fail(err, errlen, "bad program header table (entry size %u, count %u)",
		                 eh.e_phentsize, eh.e_phnum);
	if (!in_file(eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr), size))
		return host_fail(err, errlen,
		                 "truncated: program headers end past the file's %zu bytes", size);
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, d + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_NOTE && in_file(ph.p_offset, ph.p_filesz, size))
			find_notes(d, &ph, img, &have_entry);
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (ph.p_filesz > ph.p_memsz)
			return host_fail(err, errlen,
			                 "segment %u: file size %#lx exceeds memory size %#lx", i,
			                 ph.p_filesz, ph.p_memsz);
		if (!in_file(ph.p_offset, ph.p_filesz, size))
			return host_fail(
			    err, errlen,
			    "truncated: segment %u needs bytes %#lx..%#lx, the file has %#zx", i,
			    ph.p_offset, ph.p_offset + ph.p_filesz, size);
		if (ph.p_paddr + ph.p_memsz < ph.p_paddr)
			return host_fail(err, errlen, "segment %u wraps around the address space",
			                 i);
		if (img->nseg == UKI_IMAGE_MAX_SEGS)
			return host_fail(err, errlen, "more than %d loadable segments",
			                 UKI_IMAGE_MAX_SEGS);
		img->seg[img->nseg++] = (struct uki_seg){ ph.p_paddr, ph.p_memsz, ph.p_offset,
			                                  ph.p_filesz, ph.p_flags };
	}
	if (!have_entry)
		return host_fail(err, errlen,
		                 "no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY): "
		                 "not a uk image or other PVH kernel");
	if (!img->nseg)
		return host_fail(err, errlen, "no loadable segments");
	if (check_long(img, err, errlen))
		return -1;
	find_sections(d, size, &eh, img);
	return 0;
}
