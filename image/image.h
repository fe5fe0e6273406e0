/*
 * Reading a uk image (an ELF64 PVH kernel) from memory: the checks every
 * consumer needs before trusting a byte of it. Used by ukrun's loader and by
 * `ukbuild inspect`. Pure code over a buffer, unit-tested and fuzzable.
 */
#ifndef UKI_IMAGE_H
#define UKI_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <uk/abi.h>

#define UKI_IMAGE_MAX_SEGS 16

struct uki_seg {
	uint64_t paddr, memsz;   /* where it goes in guest memory */
	uint64_t offset, filesz; /* what of the file fills it (rest zero) */
	uint32_t flags;
};

struct uki_image {
	uint64_t entry32;                /* PVH 32-bit entry (guest physical) */
	int have_long;                   /* the image also has uk's long-mode entry: */
	struct uk_long_entry long_entry; /* its addresses, checked to lie in segments */
	unsigned nseg;
	struct uki_seg seg[UKI_IMAGE_MAX_SEGS];
	const void *manifest; /* section .uk_manifest, or NULL */
	size_t manifest_size;
	uint64_t rootfs_size; /* section .uk_rootfs, 0 when absent */
};

/* Validate and describe an image. On failure returns -1 and writes one line
 * (no trailing newline) saying what is wrong into err. */
int uki_image_parse(const void *data, size_t size, struct uki_image *img, char *err, size_t errlen);

/* The function containing addr, from the image's symbols (.uk_syms, else
 * an ELF symbol table): copies its name into name (len bytes) and sets
 * *off. Returns 0, or -1 when the image has no function there.
 * (image_syms.c) */
int uki_image_symbol(const void *data, size_t size, uint64_t addr, char *name, size_t len,
                     uint64_t *off);

/* Calls fn for each function the image names; returns how many, or -1
 * when it has no symbols. */
int uki_image_symbols(const void *data, size_t size,
                      void (*fn)(void *ctx, uint64_t addr, const char *name), void *ctx);

/* A copy of the image with its ELF symbol table (.symtab, .strtab)
 * replaced by the compact .uk_syms (functions only): *out is malloc'ed.
 * Returns 0; 1 when the image has no symbol table (nothing to do); -1 with
 * a line in err when it cannot be rewritten. */
int uki_image_pack_symbols(const void *data, size_t size, void **out, size_t *outsize, char *err,
                           size_t errlen);

#endif
