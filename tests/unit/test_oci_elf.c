/*
 * The binary-mode loader's pure parts (libos/process/elf.c, libos/process/binary_stack.c):
 * real programs of this machine checked against readelf, hostile headers
 * refused, random corruption survived (ASan), and the initial stack read
 * back the way a C library reads it.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <linux/auxvec.h>
#include <linux/elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uk/binary.h>

#include "unit.h"

/* A whole file in memory. */
static unsigned char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	unsigned char *buf;

	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	buf = malloc(st.st_size);
	if (buf && read(fd, buf, st.st_size) != st.st_size) {
		free(buf);
		buf = NULL;
	}
	close(fd);
	*len = st.st_size;
	return buf;
}

static int check(const unsigned char *f, size_t len, struct uk_elf *e, const char **why)
{
	int r = uk_elf_check_header(f, len, e, why);

	if (r)
		return r;
	if (e->phoff > len)
		return -1;
	return uk_elf_check_phdrs(f + e->phoff, len - e->phoff, len, e, why);
}

/* What readelf says about a file: LOAD count, entry, interpreter. */
static void readelf_facts(const char *path, int *loads, unsigned long *entry, char *interp)
{
	char cmd[512], line[512];
	FILE *p;

	*loads = 0, *entry = 0, interp[0] = 0;
	snprintf(cmd, sizeof(cmd), "readelf -hlW '%s' 2>/dev/null", path);
	if (!(p = popen(cmd, "r")))
		return;
	while (fgets(line, sizeof(line), p)) {
		char *s;
		if (strstr(line, "  LOAD "))
			(*loads)++;
		if ((s = strstr(line, "Entry point address:")))
			*entry = strtoul(s + 20, NULL, 16);
		if ((s = strstr(line, "[Requesting program interpreter: ")))
			sscanf(s + 33, "%255[^]]", interp);
	}
	pclose(p);
}

/* Programs of this very machine: the checks agree with readelf. */
TEST(real_programs)
{
	const char *files[] = { "/bin/true", "/bin/busybox", "/usr/bin/gcc",
		                "/lib64/ld-linux-x86-64.so.2" };
	int tried = 0;

	for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
		struct uk_elf e;
		const char *why = NULL;
		size_t len;
		unsigned char *f = slurp(files[i], &len);
		int loads;
		unsigned long entry;
		char interp[256];
		if (!f)
			continue;
		tried++;
		readelf_facts(files[i], &loads, &entry, interp);
		EXPECT(check(f, len, &e, &why) == 0);
		EXPECT((int)e.nload == loads && e.entry == entry);
		EXPECT(e.lo <= e.entry && e.entry < e.hi && e.phdr != 0);
		if (interp[0]) {
			EXPECT(e.interp_len == strlen(interp) + 1);
			EXPECT(!memcmp(f + e.interp_off, interp, e.interp_len));
		} else {
			EXPECT(e.interp_len == 0);
		}
		free(f);
	}
	EXPECT(tried >= 2);
}

/* A minimal static program image to corrupt. */
struct img {
	Elf64_Ehdr h;
	Elf64_Phdr p[3];
	char interp[16];
	unsigned char code[4096];
};

static void make(struct img *m)
{
	memset(m, 0, sizeof(*m));
	memcpy(m->h.e_ident, ELFMAG, SELFMAG);
	m->h.e_ident[EI_CLASS] = ELFCLASS64;
	m->h.e_ident[EI_DATA] = ELFDATA2LSB;
	m->h.e_ident[EI_VERSION] = EV_CURRENT;
	m->h.e_type = ET_EXEC;
	m->h.e_machine = EM_X86_64;
	m->h.e_version = EV_CURRENT;
	m->h.e_entry = 0x400000 + offsetof(struct img, code);
	m->h.e_phoff = offsetof(struct img, p);
	m->h.e_phentsize = sizeof(Elf64_Phdr);
	m->h.e_phnum = 2;
	m->p[0] = (Elf64_Phdr){ .p_type = PT_LOAD,
		                .p_flags = PF_R | PF_X,
		                .p_offset = 0,
		                .p_vaddr = 0x400000,
		                .p_filesz = sizeof(*m),
		                .p_memsz = sizeof(*m) };
	m->p[1] = (Elf64_Phdr){ .p_type = PT_LOAD,
		                .p_flags = PF_R | PF_W,
		                .p_offset = offsetof(struct img, code),
		                .p_vaddr = 0x600000 + offsetof(struct img, code),
		                .p_filesz = 16,
		                .p_memsz = 65536 };
}

TEST(minimal_static)
{
	struct img m;
	struct uk_elf e;
	const char *why;

	make(&m);
	EXPECT(check((void *)&m, sizeof(m), &e, &why) == 0);
	EXPECT(!e.dyn && e.nload == 2 && e.lo == 0x400000 && e.phdr == 0x400000 + m.h.e_phoff);
	EXPECT(e.load[1].prot == 3 && e.load[0].prot == 5);
	EXPECT(e.hi == ((0x600000 + offsetof(struct img, code) + 65536 + 4095) & ~4095ul));
}

#define REFUSED(mutation, words)                                     \
	do {                                                         \
		struct img m;                                        \
		struct uk_elf e;                                     \
		const char *why = "";                                \
		make(&m);                                            \
		mutation;                                            \
		EXPECT(check((void *)&m, sizeof(m), &e, &why) != 0); \
		if (!strstr(why, words))                             \
			printf("# refused for: %s\n", why);          \
		EXPECT(strstr(why, words) != NULL);                  \
	} while (0)

TEST(hostile_headers)
{
	REFUSED(m.h.e_ident[1] = 'X', "not an ELF");
	REFUSED(m.h.e_ident[EI_CLASS] = ELFCLASS32, "x86-64");
	REFUSED(m.h.e_machine = 183 /* aarch64 */, "x86-64");
	REFUSED(m.h.e_type = ET_REL, "not an executable");
	REFUSED(m.h.e_type = ET_CORE, "not an executable");
	REFUSED(m.h.e_phentsize = 32, "program header");
	REFUSED(m.h.e_phnum = 0, "program header");
	REFUSED(m.h.e_phnum = 60000, "program header");
	REFUSED(m.h.e_phoff = sizeof(m) - 8, "outside the file");
	REFUSED(m.p[1].p_filesz = 1ul << 40, "outside the file");
	REFUSED(m.p[1].p_offset = ~0ul - 4, "outside the file");
	REFUSED(m.p[1].p_filesz = 70000, "outside the file");
	REFUSED(m.p[1].p_vaddr = 0x7ffffffff000ul + (m.p[1].p_offset & 4095), "address space");
	REFUSED(m.p[1].p_memsz = ~0ul - 0x600000, "address space");
	REFUSED(m.p[1].p_vaddr = 0x400000 + (m.p[1].p_offset & 4095), "overlap");
	REFUSED(m.p[1].p_vaddr += 1, "modulo the page size");
	REFUSED(m.h.e_entry = 0x100, "entry point");
	REFUSED((m.p[0].p_vaddr = 0x1000, m.h.e_entry = 0x1100), "64 KiB");
	REFUSED((m.h.e_phnum = 3, m.p[2] = (Elf64_Phdr){ .p_type = PT_INTERP,
	                                                 .p_offset = offsetof(struct img, interp),
	                                                 .p_filesz = 1 << 20 }),
	        "PT_INTERP");
	REFUSED((m.p[0].p_type = PT_NOTE, m.p[1].p_type = PT_NOTE), "nothing to load");
}

/* Random corruption of a real program: refused or accepted, never a
 * memory error (ASan watches), and what is accepted stays consistent. */
TEST(corruption)
{
	size_t len;
	unsigned char *orig = slurp("/bin/true", &len), *f;
	unsigned seed = 12345;

	EXPECT(orig != NULL);
	f = malloc(len);
	for (int round = 0; round < 3000; round++) {
		struct uk_elf e;
		const char *why;
		memcpy(f, orig, len);
		for (int k = 0; k < 1 + round % 8; k++) {
			seed = seed * 1103515245 + 12345;
			size_t at = (seed >> 8) % (64 + 56 * 14);
			f[at] = (unsigned char)(seed >> 3);
		}
		if (check(f, len, &e, &why) == 0) {
			EXPECT(e.nload > 0 && e.lo < e.hi && e.entry >= e.lo && e.entry < e.hi);
			for (unsigned i = 0; i < e.nload; i++)
				EXPECT(e.load[i].off + e.load[i].filesz <= len);
			EXPECT(!e.interp_len || e.interp_off + e.interp_len <= len);
		}
	}
	free(f);
	free(orig);
}

/* ---- the initial stack ---- */

TEST(initial_stack)
{
	static unsigned char buf[65536];
	const uint64_t top = 0x7ffffffff000ul, base = top - sizeof(buf);
	char *argv[] = { "python3", "-c", "print(42)", NULL };
	char *envp[] = { "PATH=/usr/bin", "HOME=/root", NULL };
	const uint8_t rnd[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	const uint64_t aux[] = { AT_PAGESZ, 4096, AT_ENTRY, 0x401000, AT_NULL, 0 };
	struct uk_stack_in in = { 3, argv, 2, envp, "/usr/bin/python3", rnd, aux };
	uint64_t sp = uk_stack_build(buf, sizeof(buf), top, &in);
	/* the memory at virtual address v */
#define AT(v) ((void *)(buf + ((v)-base)))
	uint64_t *w;
	int seen_random = 0, seen_execfn = 0, seen_entry = 0, naux = 0;

	EXPECT(sp && sp % 16 == 0 && sp >= base && sp < top);
	w = AT(sp);
	EXPECT(w[0] == 3);
	for (int i = 0; i < 3; i++)
		EXPECT(w[1 + i] >= sp && w[1 + i] < top && !strcmp(AT(w[1 + i]), argv[i]));
	EXPECT(w[4] == 0);
	for (int i = 0; i < 2; i++)
		EXPECT(!strcmp(AT(w[5 + i]), envp[i]));
	EXPECT(w[7] == 0);
	for (uint64_t *a = &w[8]; a[0] != AT_NULL; a += 2, naux++) {
		EXPECT(naux < 10);
		if (a[0] == AT_RANDOM)
			seen_random = !memcmp(AT(a[1]), rnd, 16);
		if (a[0] == AT_EXECFN)
			seen_execfn = !strcmp(AT(a[1]), "/usr/bin/python3");
		if (a[0] == AT_ENTRY)
			seen_entry = a[1] == 0x401000;
		if (a[0] == AT_PLATFORM)
			EXPECT(!strcmp(AT(a[1]), "x86_64"));
	}
	EXPECT(seen_random && seen_execfn && seen_entry && naux == 5);
	/* odd and even word counts both end aligned */
	in.argc = 2, argv[2] = NULL;
	sp = uk_stack_build(buf, sizeof(buf), top, &in);
	EXPECT(sp && sp % 16 == 0 && *(uint64_t *)AT(sp) == 2);
	/* too small: refused, nothing written out of bounds (ASan) */
	EXPECT(uk_stack_build(buf, 64, top, &in) == 0);
#undef AT
}

/* ---- the vDSO image ---- */

extern const char uk_vdso_image[], uk_vdso_image_end[], uk_vdso_slots[];

/* The hand-written vDSO is a shared object this machine's own dynamic
 * loader accepts, with the versioned symbols C libraries look up there. */
TEST(vdso_loads)
{
	char path[] = "/tmp/uk-vdso-XXXXXX";
	int fd = mkstemp(path);
	size_t size = uk_vdso_image_end - uk_vdso_image;
	const char *names[] = { "__vdso_clock_gettime", "__vdso_gettimeofday", "__vdso_time",
		                "__vdso_getcpu",        "clock_gettime",       "time" };
	void *h, *base;
	struct uk_elf e;
	const char *why;

	EXPECT(check((const void *)uk_vdso_image, size, &e, &why) == 0 && e.dyn);
	EXPECT(fd >= 0 && write(fd, uk_vdso_image, size) == (ssize_t)size);
	close(fd);
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	unlink(path);
	if (!h)
		printf("# dlopen: %s\n", dlerror());
	EXPECT(h != NULL);
	base = dlvsym(h, "__vdso_clock_gettime", "LINUX_2.6");
	EXPECT(base != NULL);
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		void *f = dlvsym(h, names[i], "LINUX_2.6");
		EXPECT(f != NULL);
		/* inside the image, past the slots */
		EXPECT((char *)f - (char *)base < (long)size &&
		       (char *)f - (char *)base > -(long)size);
	}
	EXPECT(dlvsym(h, "__vdso_clock_gettime", "LINUX_2.5") == NULL);
	dlclose(h);
}

int main(void)
{
	RUN("elf", real_programs);
	RUN("elf", minimal_static);
	RUN("elf", hostile_headers);
	RUN("elf", corruption);
	RUN("elf", initial_stack);
	RUN("elf", vdso_loads);
	return unit_failures ? 1 : 0;
}
