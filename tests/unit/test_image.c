/* Image validation: a well-formed PVH ELF is accepted; every way of
 * breaking it is refused with a message, never a crash. */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "../../builder/image.h"
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
	m.ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = offsetof(struct img, code),
				.p_paddr = 0x100000, .p_vaddr = 0xffffffff80100000,
				.p_filesz = 64, .p_memsz = 4096, .p_flags = PF_R | PF_X };
	m.ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = offsetof(struct img, nh),
				.p_filesz = sizeof(Elf64_Nhdr) + 4 + 8, .p_align = 4 };
	m.nh = (Elf64_Nhdr){ .n_namesz = 4, .n_descsz = 8, .n_type = 18 };
	memcpy(m.name, "Xen", 4);
	m.entry = 0x100000;
	return m;
}

static char err[256];

static int parse(const void *p, size_t n)
{
	struct ukb_image img;
	err[0] = 0;
	return ukb_image_parse(p, n, &img, err, sizeof(err));
}

TEST(accepts_pvh)
{
	struct img m = make();
	struct ukb_image img;

	EXPECT(ukb_image_parse(&m, sizeof(m), &img, err, sizeof(err)) == 0);
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

int main(void)
{
	RUN("unit/image", accepts_pvh);
	RUN("unit/image", not_elf);
	RUN("unit/image", every_truncation);
	RUN("unit/image", no_pvh_note);
	RUN("unit/image", bad_headers);
	RUN("unit/image", bad_segments);
	RUN("unit/image", random_corruption);
	return unit_failures != 0;
}
