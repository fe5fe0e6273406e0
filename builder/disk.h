/* ukbuild disk: contracts between the subcommands (disk.c) and the
 * helpers that run mtools and check names (disk_mtools.c). */
#ifndef UKB_DISK_H
#define UKB_DISK_H

#include <stddef.h>
#include <stdint.h>

/* What one mtools command printed and how it ended. */
struct ukb_mt {
	int status; /* exit status, 128+signal, or -1 when it did not start */
	char *out;  /* NUL-terminated stdout */
	char *err;  /* NUL-terminated stderr, trailing newlines removed */
};

/* Run an mtools command (argv[0] is e.g. "mcopy") without a terminal:
 * stdin is /dev/null so a question mtools asks fails instead of hanging,
 * image-geometry checks are off, the user's mtools settings cannot turn
 * long names off. Returns r->status; free r with ukb_mt_free. */
int ukb_mt_run(const char *const argv[], struct ukb_mt *r, int verbose);
void ukb_mt_free(struct ukb_mt *r);

/* Whether name (one component) can be stored as a FAT long name and read
 * back the same: 0, or -EINVAL / -ENAMETOOLONG with the reason in why. */
int ukb_disk_name_check(const char *name, char *why, size_t n);

/* Check every name below a host file or directory (not path itself) and
 * that no two names in one directory differ only in case (FAT folds
 * case). Adds the bytes of regular files to *bytes. 0, or -errno with the
 * offending host path and reason in why. */
int ukb_disk_tree_check(const char *path, uint64_t *bytes, char *why, size_t n);

/* The FAT variant of the volume in an image file, from its boot sector. */
struct ukb_fatinfo {
	unsigned bits;     /* 12, 16 or 32 */
	uint64_t clusters; /* data clusters */
	uint32_t cluster_bytes;
};
int ukb_disk_fatinfo(const char *img, struct ukb_fatinfo *fi, char *why, size_t n);

/* Bytes free on the volume (mdir's count), or -1. */
long long ukb_disk_free(const char *img, int verbose);

#endif
