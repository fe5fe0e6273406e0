/*
 * libFuzzer target: the binary-mode loader's checks of an ELF file
 * (libos/process/elf.c) on arbitrary bytes. Whatever is accepted must be safe to
 * load: every segment inside the file and below the lower half's end, in
 * order, the entry inside the span, the interpreter's path inside the file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <uk/binary.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uk_elf e;
	const char *why;

	if (uk_elf_check_header(data, size, &e, &why) || e.phoff > size)
		return 0;
	if (uk_elf_check_phdrs(data + e.phoff, size - e.phoff, size, &e, &why))
		return 0;
	if (!e.nload || e.nload > UK_ELF_MAX_LOADS || e.lo >= e.hi || e.entry < e.lo ||
	    e.entry >= e.hi || e.hi > 0x7ffffffff000ul + 4096)
		abort();
	for (unsigned i = 0; i < e.nload; i++) {
		const struct uk_elf_load *l = &e.load[i];
		if (l->filesz > l->memsz || l->off + l->filesz > size ||
		    l->off + l->filesz < l->off)
			abort();
		if (l->vaddr + l->memsz > e.hi || l->vaddr < e.lo)
			abort();
		if (i && l->vaddr < e.load[i - 1].vaddr + e.load[i - 1].memsz)
			abort();
	}
	if (e.interp_len &&
	    (e.interp_off + e.interp_len > size || e.interp_len > UK_ELF_MAX_INTERP))
		abort();
	return 0;
}
