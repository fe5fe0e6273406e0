/* Image validation: a well-formed PVH ELF is accepted; every way of
 * breaking it is refused with a message, never a crash. */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "../../image/image.h"
#include "unit.h"

/* A minimal PVH image: ELF header, two program headers (LOAD, NOTE), the
 * note and 64 bytes of "code". */
struct img {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[2];
	Elf64_Nhdr nh;
	char name[4];
	uint64_t entry;
	uint8_t code[64];
};

static struct img make(void)
{
	struct img m;

	memset(&m, 0, sizeof(m));
	memcpy(m.eh.e_ident, ELFMAG, SELFMAG);
	m.eh.e_ident[EI_CLASS] = ELFCLASS64;
	m.eh.e_ident[EI_DATA] = ELFDATA2LSB;
	m.eh.e_ident[EI_VERSION] = EV_CURRENT;
	m.eh.e_type = ET_EXEC;
	m.eh.e_machine = EM_X86_64;
	m.eh.e_phoff = offsetof(struct img, ph);
	m.eh.e_phentsize = sizeof(Elf64_Phdr);
	m.eh.e_phnum = 2;
	m.eh.e_ehsize = sizeof(Elf64_Ehdr);
	m.ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD,
		                .p_offset = offsetof(struct img, code),
		                .p_paddr = 0x100000,
		                .p_vaddr = 0xffffffff80100000,
		                .p_filesz = 64,
		                .p_memsz = 4096,
		                .p_flags = PF_R | PF_X };
	m.ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE,
		                .p_offset = offsetof(struct img, nh),
		                .p_filesz = sizeof(Elf64_Nhdr) + 4 + 8,
		                .p_align = 4 };
	m.nh = (Elf64_Nhdr){ .n_namesz = 4, .n_descsz = 8, .n_type = 18 };
	memcpy(m.name, "Xen", 4);
	m.entry = 0x100000;
	return m;
}

static char err[256];

static int parse(const void *p, size_t n)
{
	struct uki_image img;
	err[0] = 0;
	return uki_image_parse(p, n, &img, err, sizeof(err));
}

TEST(accepts_pvh)
{
	struct img m = make();
	struct uki_image img;

	EXPECT(uki_image_parse(&m, sizeof(m), &img, err, sizeof(err)) == 0);
	EXPECT(img.entry32 == 0x100000);
	EXPECT(img.nseg == 1 && img.seg[0].paddr == 0x100000 && img.seg[0].memsz == 4096);
	EXPECT(img.manifest == NULL);
}

TEST(not_elf)
{
	EXPECT(parse("#!/bin/sh\necho hi\n", 18) == -1 && strstr(err, "not an ELF"));
	EXPECT(parse("", 0) == -1 && strstr(err, "not an ELF"));
}

TEST(every_truncation)
{
	struct img m = make();

	for (size_t n = 0; n < offsetof(struct img, code) + 64; n++)
		EXPECT(parse(&m, n) == -1 && err[0]);
}

TEST(no_pvh_note)
{
	struct img m = make();

	m.nh.n_type = 1;
	EXPECT(parse(&m, sizeof(m)) == -1 && strstr(err, "PVH"));
	m = make();
	m.eh.e_phnum = 1; /* note segment gone */
	EXPECT(parse(&m, sizeof(m)) == -1 && strstr(err, "PVH"));
}

TEST(bad_headers)
{
	struct img m = make();

	m.eh.e_machine = EM_AARCH64;
	EXPECT(parse(&m, sizeof(m)) == -1 && strstr(err, "x86-64"));
	m = make();
	m.eh.e_type = ET_DYN;
	EXPECT(parse(&m, sizeof(m)) == -1 && strstr(err, "type"));
	m = make();
	m.eh.e_phoff = ~0ull - 8; /* offset + size overflows */
	EXPECT(parse(&m, sizeof(m)) == -1);
	m = make();
	m.eh.e_phnum = 0xffff;
	EXPECT(parse(&m, sizeof(m)) == -1 && strstr(err, "truncated"));
}

TEST(bad_segments)
{
	struct img m = make();

	m.ph[0].p_filesz = 8192; /* more file than memory */
	EXPECT(parse(&m, sizeof(m)) == -1 && strstr(err, "exceeds"));
	m = make();
	m.ph[0].p_offset = sizeof(m) - 8; /* runs off the end of the file */
	EXPECT(parse(&m, sizeof(m)) == -1 && strstr(err, "truncated"));
	m = make();
	m.ph[0].p_paddr = ~0ull - 100; /* wraps */
	EXPECT(parse(&m, sizeof(m)) == -1 && strstr(err, "wraps"));
	m = make();
	m.nh.n_namesz = 0xfffffffe; /* note sizes overflow */
	EXPECT(parse(&m, sizeof(m)) == -1);
}

TEST(random_corruption)
{
	struct img good = make(), m;

	srand(2);
	for (int i = 0; i < 50000; i++) {
		m = good;
		for (int k = 0; k < 1 + i % 3; k++)
			((uint8_t *)&m)[rand() % sizeof(m)] = (uint8_t)rand();
		parse(&m, sizeof(m)); /* must return, whatever it says */
	}
	EXPECT(1);
}

/* The same image with uk's long-mode entry note after the PVH one. */
struct limg {
	struct img m;
	Elf64_Nhdr lh;
	char lname[4];
	struct uk_long_entry l;
};

static struct limg make_long(void)
{
	struct limg x;

	memset(&x, 0, sizeof(x));
	x.m = make();
	x.m.ph[0].p_memsz = 0x4000;
	x.lh = (Elf64_Nhdr){ .n_namesz = 3, .n_descsz = sizeof(x.l), .n_type = UK_NOTE_LONG };
	memcpy(x.lname, "uk", 3);
	x.l = (struct uk_long_entry){ 0x100010, 0x101000, 0x100020, 0x47, 0 };
	return x;
}

/* parses x with a second PT_NOTE segment over its uk note */
static int parse_long(struct limg *x, struct uki_image *img)
{
	Elf64_Phdr ph[3];

	memcpy(ph, x->m.ph, sizeof(x->m.ph));
	ph[2] = (Elf64_Phdr){ .p_type = PT_NOTE,
		              .p_offset = offsetof(struct limg, lh),
		              .p_filesz = sizeof(Elf64_Nhdr) + 4 + sizeof(x->l),
		              .p_align = 4 };
	/* the program headers move to the end of a copy with room for three */
	static uint8_t buf[sizeof(struct limg) + sizeof(ph)];
	memcpy(buf, x, sizeof(*x));
	memcpy(buf + sizeof(*x), ph, sizeof(ph));
	((Elf64_Ehdr *)buf)->e_phoff = sizeof(*x);
	((Elf64_Ehdr *)buf)->e_phnum = 3;
	err[0] = 0;
	return uki_image_parse(buf, sizeof(buf), img, err, sizeof(err));
}

TEST(long_entry)
{
	struct limg x = make_long();
	struct uki_image img;

	EXPECT(parse_long(&x, &img) == 0 && img.have_long && img.entry32 == 0x100000);
	EXPECT(img.long_entry.entry == 0x100010 && img.long_entry.pml4 == 0x101000 &&
	       img.long_entry.gdt == 0x100020 && img.long_entry.gdt_limit == 0x47);
	/* without it: the PVH entry alone, as before */
	x.lh.n_type = 1;
	EXPECT(parse_long(&x, &img) == 0 && !img.have_long);
	x = make_long();
	x.lh.n_descsz = 8; /* another size: not this note */
	EXPECT(parse_long(&x, &img) == 0 && !img.have_long);
	/* every address inside a segment, the tables page-aligned */
	x = make_long();
	x.l.pml4 = 0x101008;
	EXPECT(parse_long(&x, &img) == -1 && strstr(err, "long-mode entry"));
	x = make_long();
	x.l.pml4 = 0x104000; /* the page past the segment's memory */
	EXPECT(parse_long(&x, &img) == -1 && strstr(err, "long-mode entry"));
	x = make_long();
	x.l.entry = 0x1000;
	EXPECT(parse_long(&x, &img) == -1 && strstr(err, "long-mode entry"));
	x = make_long();
	x.l.gdt = 0x103ff0; /* its 0x48 bytes run past the segment */
	EXPECT(parse_long(&x, &img) == -1 && strstr(err, "long-mode entry"));
	x = make_long();
	x.l.gdt_limit = 0xffffffff; /* + 1 must not wrap */
	EXPECT(parse_long(&x, &img) == -1 && strstr(err, "long-mode entry"));
	x = make_long();
	x.l.gdt_limit = 0x10000; /* GDTR's limit has 16 bits */
	x.m.ph[0].p_memsz = 0x20000;
	EXPECT(parse_long(&x, &img) == -1 && strstr(err, "long-mode entry"));
}

/* ---- symbols: .symtab + .strtab packed into .uk_syms ---- */

/* An ELF file with code at 0x1000 and a symbol table after it: functions
 * a (0x1000, 0x20 bytes), its alias a_alias, b (0x1020, 0x10), c (0x1100,
 * 8; a gap before it) and d (0x1108, no size), an object, a file and an
 * absolute symbol typed as a function. */
static uint8_t *with_symtab(size_t *size)
{
	static const char strtab[] = "\0a\0a_alias\0b\0c\0d\0obj\0f.c";
	static const char shstr[] = "\0.text\0.symtab\0.strtab\0.shstrtab";
	Elf64_Sym sym[] = {
		{ 0 },
		{ .st_name = 21,
		  .st_info = ELF64_ST_INFO(STB_LOCAL, STT_FILE),
		  .st_shndx = SHN_ABS },
		{ .st_name = 3,
		  .st_info = ELF64_ST_INFO(STB_LOCAL, STT_FUNC),
		  .st_shndx = 1,
		  .st_value = 0x1000,
		  .st_size = 0x20 },
		{ .st_name = 1,
		  .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
		  .st_shndx = 1,
		  .st_value = 0x1000,
		  .st_size = 0x20 },
		{ .st_name = 11,
		  .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
		  .st_shndx = 1,
		  .st_value = 0x1020,
		  .st_size = 0x10 },
		{ .st_name = 13,
		  .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
		  .st_shndx = 1,
		  .st_value = 0x1100,
		  .st_size = 8 },
		{ .st_name = 15,
		  .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
		  .st_shndx = 1,
		  .st_value = 0x1108 },
		{ .st_name = 17,
		  .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT),
		  .st_shndx = 1,
		  .st_value = 0x1200,
		  .st_size = 8 },
		/* an absolute "function" far from the code: not named */
		{ .st_name = 21,
		  .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
		  .st_shndx = SHN_ABS,
		  .st_value = 0x7fffffff00000000 },
	};
	size_t code = 64, code_len = 0x200, symoff = code + code_len;
	size_t stroff = symoff + sizeof(sym), shoff = stroff + sizeof(strtab);
	size_t shstroff = shoff, total;
	Elf64_Ehdr eh = { .e_type = ET_EXEC,
		          .e_machine = EM_X86_64,
		          .e_ehsize = sizeof(eh),
		          .e_shentsize = sizeof(Elf64_Shdr),
		          .e_shnum = 5,
		          .e_shstrndx = 4 };
	Elf64_Shdr sh[5] = { { 0 } };
	uint8_t *d;

	shoff = (shstroff + sizeof(shstr) + 7) & ~7ul;
	total = shoff + sizeof(sh);
	d = calloc(1, total);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_shoff = shoff;
	sh[1] = (Elf64_Shdr){ .sh_name = 1,
		              .sh_type = SHT_PROGBITS,
		              .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
		              .sh_addr = 0x1000,
		              .sh_offset = code,
		              .sh_size = code_len };
	sh[2] = (Elf64_Shdr){ .sh_name = 7,
		              .sh_type = SHT_SYMTAB,
		              .sh_offset = symoff,
		              .sh_size = sizeof(sym),
		              .sh_link = 3,
		              .sh_info = 3,
		              .sh_entsize = sizeof(Elf64_Sym) };
	sh[3] = (Elf64_Shdr){
		.sh_name = 15, .sh_type = SHT_STRTAB, .sh_offset = stroff, .sh_size = sizeof(strtab)
	};
	sh[4] = (Elf64_Shdr){ .sh_name = 23,
		              .sh_type = SHT_STRTAB,
		              .sh_offset = shstroff,
		              .sh_size = sizeof(shstr) };
	memcpy(d, &eh, sizeof(eh));
	memcpy(d + symoff, sym, sizeof(sym));
	memcpy(d + stroff, strtab, sizeof(strtab));
	memcpy(d + shstroff, shstr, sizeof(shstr));
	memcpy(d + shoff, sh, sizeof(sh));
	*size = total;
	return d;
}

/* "name+off", or "-" when addr has no function. */
static const char *sym_at(const void *d, size_t size, uint64_t addr)
{
	static char out[160];
	char name[128];
	uint64_t off;

	if (uki_image_symbol(d, size, addr, name, sizeof(name), &off))
		return "-";
	snprintf(out, sizeof(out), "%s+%#lx", name, (unsigned long)off);
	return out;
}

TEST(symbols_packed)
{
	size_t size, psize;
	uint8_t *d = with_symtab(&size);
	void *p;
	static const struct {
		uint64_t addr;
		const char *want;
	} at[] = {
		{ 0xfff, "-" },    { 0x1000, "a+0" },   { 0x101f, "a+0x1f" },
		{ 0x1020, "b+0" }, { 0x102f, "b+0xf" }, { 0x1030, "-" },
		{ 0x1100, "c+0" }, { 0x1108, "d+0" },   { 0x1300, "d+0x1f8" },
	};

	EXPECT(strstr(sym_at(d, size, 0x1005), "+0x5")); /* a or a_alias */
	EXPECT(uki_image_pack_symbols(d, size, &p, &psize, err, sizeof(err)) == 0);
	EXPECT(psize < size);
	for (size_t i = 0; i < sizeof(at) / sizeof(*at); i++)
		EXPECT(!strcmp(sym_at(p, psize, at[i].addr), at[i].want));
	/* Packed once is packed: no symbol table left to pack. */
	void *q;
	size_t qsize;
	EXPECT(uki_image_pack_symbols(p, psize, &q, &qsize, err, sizeof(err)) == 1);
	free(p);
	free(d);
}

/* Each function .uk_syms names starts at the same place in the original's
 * symbol table. */
struct real {
	const void *orig;
	size_t size;
	int n, bad;
};

static void check_fn(void *ctx, uint64_t addr, const char *name)
{
	struct real *r = ctx;
	char a[128];
	uint64_t off;

	r->n++;
	if (uki_image_symbol(r->orig, r->size, addr, a, sizeof(a), &off) || off)
		r->bad++;
}

static void count_fn(void *ctx, uint64_t addr, const char *name) { ++*(int *)ctx; }

/* The hello image of this tree, when built (make test runs after make). */
TEST(symbols_real_image)
{
	FILE *f = fopen("build/apps/hello.img", "rb");
	static uint8_t d[4 << 20];
	struct real r = { d, 0, 0, 0 };
	size_t psize;
	void *p;
	int n = 0;

	EXPECT(f != NULL);
	r.size = fread(d, 1, sizeof(d), f);
	fclose(f);
	EXPECT(uki_image_symbols(d, r.size, count_fn, &n) > 100);
	if (uki_image_pack_symbols(d, r.size, &p, &psize, err, sizeof(err)) == 1) {
		/* ukbuild packed it already: each name finds itself */
		EXPECT(uki_image_symbols(d, r.size, check_fn, &r) > 100 && !r.bad);
		return;
	}
	EXPECT(psize < r.size);
	EXPECT(uki_image_symbols(p, psize, check_fn, &r) > 100 && r.n <= n && !r.bad);
	free(p);
}

TEST(symbols_corrupt)
{
	size_t size, psize;
	uint8_t *d = with_symtab(&size), *m;
	void *p, *q;
	size_t qsize;

	EXPECT(uki_image_pack_symbols(d, size, &p, &psize, err, sizeof(err)) == 0);
	m = malloc(psize);
	srand(3);
	for (int i = 0; i < 20000; i++) {
		memcpy(m, p, psize);
		for (int k = 0; k < 1 + i % 3; k++)
			m[rand() % psize] = (uint8_t)rand();
		sym_at(m, psize, 0x1000 + rand() % 0x300); /* must return */
		sym_at(m, rand() % psize, 0x1000 + rand() % 0x300);
	}
	for (int i = 0; i < 20000; i++) {
		uint8_t *c = malloc(size);
		memcpy(c, d, size);
		for (int k = 0; k < 1 + i % 3; k++)
			c[rand() % size] = (uint8_t)rand();
		if (uki_image_pack_symbols(c, size, &q, &qsize, err, sizeof(err)) == 0)
			free(q);
		free(c);
	}
	free(m);
	free(p);
	free(d);
	EXPECT(1);
}

int main(void)
{
	RUN("unit/image", accepts_pvh);
	RUN("unit/image", not_elf);
	RUN("unit/image", every_truncation);
	RUN("unit/image", no_pvh_note);
	RUN("unit/image", bad_headers);
	RUN("unit/image", bad_segments);
	RUN("unit/image", random_corruption);
	RUN("unit/image", long_entry);
	RUN("unit/image", symbols_packed);
	RUN("unit/image", symbols_real_image);
	RUN("unit/image", symbols_corrupt);
	return unit_failures != 0;
}
