/*
 * libFuzzer target: what ukrun and `ukbuild inspect` read of an image file
 * before anything runs (image/image.c, image_syms.c, manifest.c): the
 * ELF and PVH checks, the manifest, the symbol table a crash report reads.
 * Whatever the bytes: no crash, no read outside them, and what is accepted
 * holds — every segment's file bytes inside the file, the manifest inside
 * the file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../image/image.h"
#include "../../image/manifest.h"

static void count(void *ctx, uint64_t addr, const char *name)
{
	(*(unsigned *)ctx)++;
	(void)addr, (void)name;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uki_image img;
	struct uki_manifest m;
	char err[256], name[64];
	unsigned n = 0;
	uint64_t off;

	if (uki_image_parse(data, size, &img, err, sizeof(err)))
		return 0;
	for (unsigned i = 0; i < img.nseg; i++)
		if (img.seg[i].offset > size || img.seg[i].filesz > size - img.seg[i].offset ||
		    img.seg[i].filesz > img.seg[i].memsz)
			abort();
	if (img.manifest) {
		const uint8_t *p = img.manifest;
		if (p < data || img.manifest_size > size || p + img.manifest_size > data + size)
			abort();
		if (!uki_manifest_read(img.manifest, img.manifest_size, &m))
			uki_manifest_free(&m);
	}
	uki_image_symbols(data, size, count, &n);
	uki_image_symbol(data, size, img.entry32, name, sizeof(name), &off);
	if (size >= 8) { /* and an address the input names */
		memcpy(&off, data + size - 8, 8);
		uki_image_symbol(data, size, off, name, sizeof(name), &off);
	}
	return 0;
}
