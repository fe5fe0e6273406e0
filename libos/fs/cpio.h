/*
 * Reading a cpio archive in the "newc" format (070701, as the Linux
 * initramfs and `cpio -H newc` write it): pure code over a memory view,
 * shared by the boot unpacker and the host unit tests.
 */
#ifndef UK_CPIO_H
#define UK_CPIO_H

#include <stddef.h>
#include <stdint.h>

struct uk_cpio_entry {
	const char *name; /* NUL-terminated, inside the archive */
	size_t name_len;  /* without the NUL */
	uint32_t ino, mode, uid, gid, nlink, mtime;
	uint32_t devmajor, devminor, rdevmajor, rdevminor;
	const void *data; /* file data or symlink text, inside the archive */
	size_t size;
};

/* Read the entry at *off of the size-byte archive at base and advance
 * *off past it. Returns 1 for an entry, 0 at the trailer (or a clean end),
 * -EINVAL for a corrupt archive: bad magic, bad hex, a name without its
 * NUL, or anything running past the end. */
int uk_cpio_next(const void *base, size_t size, size_t *off, struct uk_cpio_entry *e);

#endif
