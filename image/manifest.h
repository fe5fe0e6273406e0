/*
 * The image manifest on the host side: a copy in allocated strings that
 * ukbuild builds, writes and prints (`inspect`). The format, its keys and
 * the reader ukrun and the library OS use: uk/manifest.h.
 */
#ifndef UKI_MANIFEST_H
#define UKI_MANIFEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct uki_strlist {
	char **v;
	int n;
};

struct uki_manifest {
	struct uki_strlist entrypoint, cmd, env, ports;
	struct uki_strlist volumes; /* declared volume points, "/data" */
	char *workdir, *user, *mode;
	uint64_t mem; /* 0: ukrun's default */
};

/* Append a copy of s; returns 0 or -ENOMEM. */
int uki_strlist_add(struct uki_strlist *l, const char *s);
void uki_strlist_free(struct uki_strlist *l);

/* Declare a volume point (docker's VOLUME): an absolute guest path, not
 * "/", without "." or ".." components; trailing slashes dropped, repeats
 * ignored. 0, -EINVAL for such a path, or -ENOMEM. */
int uki_manifest_add_volume(struct uki_manifest *m, const char *path);

/* Serialise into buf; returns the size used or -errno (-ENOSPC when buf is
 * too small). */
int uki_manifest_write(const struct uki_manifest *m, void *buf, size_t size);

/* Parse a manifest; every string is copied. Returns 0, or -EINVAL for a
 * corrupt tree. Free with uki_manifest_free. */
int uki_manifest_read(const void *fdt, size_t size, struct uki_manifest *m);
void uki_manifest_free(struct uki_manifest *m);

/* Human-readable listing, as `ukbuild inspect` prints it. */
void uki_manifest_print(FILE *f, const struct uki_manifest *m);

#endif
