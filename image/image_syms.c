/*
 * The function names of an image, for ukrun's crash reports.
 *
 * ld leaves a full ELF symbol table (.symtab + .strtab: 24 bytes a symbol,
 * every object, file and section symbol too), a sixth of a small image.
 * ukbuild replaces it with section .uk_syms, which keeps only functions:
 *
 *   struct uki_syms_hdr    magic, count, base address
 *   struct uki_sym[count]  sorted by address; a function runs up to the next
 *                          entry; an entry with name 0 marks where a
 *                          function ends and no other starts
 *   names                  NUL-terminated; offset 0 is the empty string
 *
 * Pure code over buffers, every offset checked: unit-tested, and ukrun
 * reads it only after a crash.
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"

#define SYMS_SECTION ".uk_syms"
#define SYMS_MAGIC 0x31534b55u /* "UKS1" */

struct uki_syms_hdr {
	uint32_t magic, count;
	uint64_t base;
};

struct uki_sym {
	uint32_t off, name;
};

static int in_file(uint64_t off, uint64_t len, size_t size)
{
	return off <= size && len <= size - off;
}

/* The section header table, when it lies inside the file. */
static const Elf64_Shdr *sections(const uint8_t *d, size_t size, Elf64_Ehdr *eh)
{
	if (size < sizeof(*eh) || memcmp(d, ELFMAG, SELFMAG))
		return NULL;
	memcpy(eh, d, sizeof(*eh));
	if (eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shoff % 8 || !eh->e_shnum ||
	    !in_file(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr), size))
		return NULL;
	return (const Elf64_Shdr *)(d + eh->e_shoff);
}

/* Section i's name, or "" when it has none in the file. */
static const char *section_name(const uint8_t *d, size_t size, const Elf64_Ehdr *eh,
                                const Elf64_Shdr *sh, unsigned i)
{
	const Elf64_Shdr *str;

	if (eh->e_shstrndx >= eh->e_shnum)
		return "";
	str = &sh[eh->e_shstrndx];
	if (!in_file(str->sh_offset, str->sh_size, size) || sh[i].sh_name >= str->sh_size ||
	    !memchr(d + str->sh_offset + sh[i].sh_name, 0, str->sh_size - sh[i].sh_name))
		return "";
	return (const char *)d + str->sh_offset + sh[i].sh_name;
}

/* ---- reading: .uk_syms, else a plain ELF symbol table ---- */

/* Section .uk_syms checked: header, entries and names inside it. */
static int find_uk_syms(const uint8_t *d, size_t size, const struct uki_syms_hdr **h,
                        const struct uki_sym **e, const char **names, uint64_t *nlen)
{
	const Elf64_Shdr *sh;
	Elf64_Ehdr eh;
	struct uki_syms_hdr hdr;

	if (!(sh = sections(d, size, &eh)))
		return -1;
	for (unsigned i = 0; i < eh.e_shnum; i++) {
		uint64_t off = sh[i].sh_offset, len = sh[i].sh_size;
		if (sh[i].sh_type != SHT_PROGBITS || off % 8 || !in_file(off, len, size) ||
		    len < sizeof(hdr) || strcmp(section_name(d, size, &eh, sh, i), SYMS_SECTION))
			continue;
		memcpy(&hdr, d + off, sizeof(hdr));
		if (hdr.magic != SYMS_MAGIC ||
		    (len - sizeof(hdr)) / sizeof(struct uki_sym) < hdr.count)
			return -1;
		*h = (const void *)(d + off);
		*e = (const void *)(d + off + sizeof(hdr));
		*names = (const char *)(*e + hdr.count);
		*nlen = len - sizeof(hdr) - (uint64_t)hdr.count * sizeof(struct uki_sym);
		return 0;
	}
	return -1;
}

static int lookup_uk_syms(const struct uki_syms_hdr *h, const struct uki_sym *e, const char *names,
                          uint64_t nlen, uint64_t addr, char *name, size_t len, uint64_t *off)
{
	uint32_t lo = 0, hi = h->count;

	if (addr < h->base || addr - h->base > UINT32_MAX)
		return -1;
	while (lo < hi) { /* the first entry past addr */
		uint32_t mid = lo + (hi - lo) / 2;
		if (e[mid].off <= addr - h->base)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || !e[lo - 1].name || e[lo - 1].name >= nlen)
		return -1;
	snprintf(name, len, "%.*s", (int)strnlen(names + e[lo - 1].name, nlen - e[lo - 1].name),
	         names + e[lo - 1].name);
	*off = addr - h->base - e[lo - 1].off;
	return 0;
}

/* The ELF symbol table and its strings, checked. */
static int find_symtab(const uint8_t *d, size_t size, const Elf64_Sym **sym, uint64_t *n,
                       const char **strs, uint64_t *strsize)
{
	const Elf64_Shdr *sh;
	Elf64_Ehdr eh;

	if (!(sh = sections(d, size, &eh)))
		return -1;
	for (unsigned i = 0; i < eh.e_shnum; i++) {
		if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh.e_shnum ||
		    sh[i].sh_offset % 8 || !in_file(sh[i].sh_offset, sh[i].sh_size, size) ||
		    !in_file(sh[sh[i].sh_link].sh_offset, sh[sh[i].sh_link].sh_size, size))
			continue;
		*sym = (const Elf64_Sym *)(d + sh[i].sh_offset);
		*n = sh[i].sh_size / sizeof(**sym);
		*strs = (const char *)d + sh[sh[i].sh_link].sh_offset;
		*strsize = sh[sh[i].sh_link].sh_size;
		return 0;
	}
	return -1;
}

int uki_image_symbol(const void *data, size_t size, uint64_t addr, char *name, size_t len,
                     uint64_t *off)
{
	const struct uki_syms_hdr *h;
	const struct uki_sym *e;
	const Elf64_Sym *sym, *best = NULL;
	const char *strs;
	uint64_t n, strsize;

	if (!find_uk_syms(data, size, &h, &e, &strs, &strsize))
		return lookup_uk_syms(h, e, strs, strsize, addr, name, len, off);
	if (find_symtab(data, size, &sym, &n, &strs, &strsize))
		return -1;
	for (uint64_t k = 0; k < n; k++) {
		if (ELF64_ST_TYPE(sym[k].st_info) != STT_FUNC || sym[k].st_value > addr ||
		    sym[k].st_name >= strsize)
			continue;
		if (!best || sym[k].st_value > best->st_value)
			best = &sym[k];
	}
	if (!best || (best->st_size && addr >= best->st_value + best->st_size))
		return -1;
	snprintf(name, len, "%.*s", (int)strnlen(strs + best->st_name, strsize - best->st_name),
	         strs + best->st_name);
	*off = addr - best->st_value;
	return 0;
}

int uki_image_symbols(const void *data, size_t size,
                      void (*fn)(void *ctx, uint64_t addr, const char *name), void *ctx)
{
	const struct uki_syms_hdr *h;
	const struct uki_sym *e;
	const Elf64_Sym *sym;
	const char *strs;
	uint64_t n, strsize;
	int count = 0;

	if (!find_uk_syms(data, size, &h, &e, &strs, &strsize)) {
		for (uint32_t i = 0; i < h->count; i++) {
			if (!e[i].name || e[i].name >= strsize ||
			    !memchr(strs + e[i].name, 0, strsize - e[i].name))
				continue;
			fn(ctx, h->base + e[i].off, strs + e[i].name);
			count++;
		}
		return count;
	}
	if (find_symtab(data, size, &sym, &n, &strs, &strsize))
		return -1;
	for (uint64_t k = 0; k < n; k++) {
		if (ELF64_ST_TYPE(sym[k].st_info) != STT_FUNC || sym[k].st_name >= strsize ||
		    !memchr(strs + sym[k].st_name, 0, strsize - sym[k].st_name))
			continue;
		fn(ctx, sym[k].st_value, strs + sym[k].st_name);
		count++;
	}
	return count;
}

/* ---- writing: .symtab + .strtab -> .uk_syms ---- */

struct fsym {
	uint64_t addr, size;
	const char *name;
	int global;
};

static int fsym_cmp(const void *a, const void *b)
{
	const struct fsym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->global != y->global) /* of aliases, a global name first */
		return y->global - x->global;
	return strcmp(x->name, y->name);
}

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static int put(struct buf *b, const void *data, size_t len)
{
	if (!len)
		return 0;
	if (b->len + len > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 4096) + len;
		uint8_t *p = realloc(b->p, cap);
		if (!p)
			return -1;
		b->p = p, b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	return 0;
}

static int pad(struct buf *b, size_t align)
{
	static const uint8_t zero[8];
	return put(b, zero, (align - b->len % align) % align);
}

/* The functions of the symbol table that lie in code sections, sorted,
 * aliases dropped. */
static struct fsym *functions(const Elf64_Sym *sym, uint64_t n, const char *strs, uint64_t strsize,
                              const Elf64_Shdr *sh, unsigned shnum, size_t *count)
{
	struct fsym *f = calloc(n ? n : 1, sizeof(*f));
	size_t k = 0;

	if (!f)
		return NULL;
	for (uint64_t i = 0; i < n; i++) {
		if (ELF64_ST_TYPE(sym[i].st_info) != STT_FUNC || sym[i].st_shndx >= shnum ||
		    !(sh[sym[i].st_shndx].sh_flags & SHF_EXECINSTR) || sym[i].st_name >= strsize ||
		    !strs[sym[i].st_name] ||
		    !memchr(strs + sym[i].st_name, 0, strsize - sym[i].st_name))
			continue;
		f[k++] = (struct fsym){ sym[i].st_value, sym[i].st_size, strs + sym[i].st_name,
			                ELF64_ST_BIND(sym[i].st_info) != STB_LOCAL };
	}
	qsort(f, k, sizeof(*f), fsym_cmp);
	*count = 0;
	for (size_t i = 0; i < k; i++)
		if (!*count || f[*count - 1].addr != f[i].addr)
			f[(*count)++] = f[i];
	return f;
}

/* Section .uk_syms's bytes for these functions. */
static int syms_section(const struct fsym *f, size_t n, struct buf *out)
{
	struct buf ent = { 0 }, names = { 0 };
	struct uki_syms_hdr h = { SYMS_MAGIC, 0, n ? f[0].addr : 0 };
	int r = -1;

	if (put(&names, "", 1))
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct uki_sym s = { (uint32_t)(f[i].addr - h.base), (uint32_t)names.len };
		uint64_t end = f[i].addr + f[i].size;
		if (f[i].addr - h.base > UINT32_MAX || names.len > UINT32_MAX)
			goto out;
		if (put(&ent, &s, sizeof(s)) || put(&names, f[i].name, strlen(f[i].name) + 1))
			goto out;
		h.count++;
		/* A gap after a sized function: nothing is there. Alignment
		 * padding (under 16 bytes) is left to the function before. */
		if (f[i].size && end > f[i].addr &&
		    (i + 1 == n || (f[i + 1].addr > end && f[i + 1].addr - end >= 16))) {
			s = (struct uki_sym){ (uint32_t)(end - h.base), 0 };
			if (end - h.base > UINT32_MAX || put(&ent, &s, sizeof(s)))
				goto out;
			h.count++;
		}
	}
	r = put(out, &h, sizeof(h)) || put(out, ent.p, ent.len) || put(out, names.p, names.len);
out:
	free(ent.p);
	free(names.p);
	return r ? -1 : 0;
}

/* One line into err; -1. */
static int refuse(char *err, size_t len, const char *why)
{
	snprintf(err, len, "%s", why);
	return -1;
}

/* Whether everything but sections a, b, c and the section headers ends by
 * cut: the tail of the file can then be rewritten without moving a byte
 * that is loaded or otherwise kept. */
static int tail_is_free(const uint8_t *d, size_t size, const Elf64_Ehdr *eh, const Elf64_Shdr *sh,
                        uint64_t cut, unsigned a, unsigned b, unsigned c)
{
	for (unsigned i = 0; i < eh->e_shnum; i++)
		if (i != a && i != b && i != c && sh[i].sh_type != SHT_NOBITS && sh[i].sh_size &&
		    sh[i].sh_offset + sh[i].sh_size > cut)
			return 0;
	if (!in_file(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), size))
		return 0;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, d + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_filesz && ph.p_offset + ph.p_filesz > cut)
			return 0;
	}
	return eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) <= cut;
}

static uint64_t min3(uint64_t a, uint64_t b, uint64_t c)
{
	return a < b ? (a < c ? a : c) : (b < c ? b : c);
}

int uki_image_pack_symbols(const void *data, size_t size, void **out, size_t *outsize, char *err,
                           size_t errlen)
{
	const uint8_t *d = data;
	const Elf64_Shdr *sh;
	const Elf64_Sym *sym;
	const char *strs;
	Elf64_Ehdr eh;
	struct buf b = { 0 };
	struct fsym *f = NULL;
	uint64_t n, strsize, cut, syms_off, str_off;
	unsigned si = 0, li, hi, *map = NULL, k = 0;
	size_t nf;
	int r = -1;

	*out = NULL;
	if (!(sh = sections(d, size, &eh)))
		return refuse(err, errlen, "no section header table");
	while (si < eh.e_shnum && sh[si].sh_type != SHT_SYMTAB)
		si++;
	if (si == eh.e_shnum)
		return 1; /* stripped already: nothing to do */
	li = sh[si].sh_link, hi = eh.e_shstrndx;
	if (find_symtab(d, size, &sym, &n, &strs, &strsize) || li >= eh.e_shnum ||
	    hi >= eh.e_shnum || li == hi || hi == si ||
	    !in_file(sh[hi].sh_offset, sh[hi].sh_size, size))
		return refuse(err, errlen, "unexpected symbol or section name tables");
	cut = min3(sh[si].sh_offset, sh[li].sh_offset, sh[hi].sh_offset);
	if (eh.e_shoff < cut)
		cut = eh.e_shoff;
	if (!tail_is_free(d, size, &eh, sh, cut, si, li, hi))
		return refuse(err, errlen, "the symbol tables are not at the end of the file");
	if (!(f = functions(sym, n, strs, strsize, sh, eh.e_shnum, &nf)) ||
	    !(map = calloc(eh.e_shnum, sizeof(*map))))
		goto nomem;
	/* The kept part, .uk_syms, the section names (+ ".uk_syms"), the
	 * section headers: the kept ones, then .uk_syms. */
	if (put(&b, d, cut) || pad(&b, 8))
		goto nomem;
	syms_off = b.len;
	if (syms_section(f, nf, &b))
		goto nomem;
	str_off = b.len;
	if (put(&b, d + sh[hi].sh_offset, sh[hi].sh_size) ||
	    put(&b, SYMS_SECTION, sizeof(SYMS_SECTION)))
		goto nomem;
	eh.e_shoff = (b.len + 7) & ~7ull;
	if (pad(&b, 8))
		goto nomem;
	for (unsigned i = 0; i < eh.e_shnum; i++)
		map[i] = i == si || i == li ? 0 : k++;
	for (unsigned i = 0; i < eh.e_shnum; i++) {
		Elf64_Shdr s = sh[i];
		if (i == si || i == li)
			continue;
		s.sh_link = s.sh_link < eh.e_shnum ? map[s.sh_link] : 0;
		if (s.sh_flags & SHF_INFO_LINK)
			s.sh_info = s.sh_info < eh.e_shnum ? map[s.sh_info] : 0;
		if (i == hi)
			s.sh_offset = str_off, s.sh_size = sh[hi].sh_size + sizeof(SYMS_SECTION);
		if (put(&b, &s, sizeof(s)))
			goto nomem;
	}
	Elf64_Shdr s = { .sh_name = (uint32_t)sh[hi].sh_size,
		         .sh_type = SHT_PROGBITS,
		         .sh_offset = syms_off,
		         .sh_size = str_off - syms_off,
		         .sh_addralign = 8 };
	if (put(&b, &s, sizeof(s)))
		goto nomem;
	eh.e_shnum = k + 1;
	eh.e_shstrndx = map[hi];
	memcpy(b.p, &eh, sizeof(eh));
	*out = b.p, *outsize = b.len;
	b.p = NULL;
	r = 0;
	goto out;
nomem:
	refuse(err, errlen, "out of memory, or the image is too large for 32-bit symbol offsets");
out:
	free(b.p);
	free(f);
	free(map);
	return r;
}
