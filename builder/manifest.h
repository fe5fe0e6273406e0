/*
 * The image manifest: the application's whole configuration, stored as a
 * flattened device tree (libfdt) in section .uk_manifest. Keys are in
 * virtio/include/uk/abi.h. Shared by ukbuild (writes, inspects) and ukrun
 * (reads defaults such as memory size).
 */
#ifndef UKB_MANIFEST_H
#define UKB_MANIFEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ukb_strlist {
	char **v;
	int n;
};

struct ukb_manifest {
	struct ukb_strlist entrypoint, cmd, env, ports;
	struct ukb_strlist volumes; /* declared volume points, "/data" */
	char *workdir, *user, *mode;
	uint64_t mem; /* 0: ukrun's default */
};

/* Append a copy of s; returns 0 or -ENOMEM. */
int ukb_strlist_add(struct ukb_strlist *l, const char *s);
void ukb_strlist_free(struct ukb_strlist *l);

/* Declare a volume point (docker's VOLUME): an absolute guest path, not
 * "/", without "." or ".." components; trailing slashes dropped, repeats
 * ignored. 0, -EINVAL for such a path, or -ENOMEM. */
int ukb_manifest_add_volume(struct ukb_manifest *m, const char *path);

/* Serialise into buf; returns the size used or -errno (-ENOSPC when buf is
 * too small). */
int ukb_manifest_write(const struct ukb_manifest *m, void *buf, size_t size);

/* Parse a manifest; every string is copied. Returns 0, or -EINVAL for a
 * corrupt tree. Free with ukb_manifest_free. */
int ukb_manifest_read(const void *fdt, size_t size, struct ukb_manifest *m);
void ukb_manifest_free(struct ukb_manifest *m);

/* Human-readable listing, as `ukbuild inspect` prints it. */
void ukb_manifest_print(FILE *f, const struct ukb_manifest *m);

#endif
