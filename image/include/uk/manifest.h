/*
 * The image manifest: the application's whole configuration, in section
 * .uk_manifest as a flattened device tree. ukbuild writes it
 * (image/manifest.c); ukrun and the library OS read it once, with the
 * reader below: freestanding (libfdt only, nothing allocated), so the
 * same code serves the host and the guest (image/mf.c).
 */
#ifndef UK_MANIFEST_H
#define UK_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

/* Node /uk; string lists are NUL-separated (FDT stringlist). */
#define UK_MF_NODE "/uk"
#define UK_MF_ENTRYPOINT "entrypoint" /* string list: argv[0..] */
#define UK_MF_CMD "cmd"               /* string list: default arguments */
#define UK_MF_ENV "env"               /* string list of K=V */
#define UK_MF_WORKDIR "workdir"       /* string */
#define UK_MF_USER "user"             /* string, "uid[:gid]" */
#define UK_MF_PORTS "ports"           /* string list, "80/tcp" */
#define UK_MF_MEM "mem"               /* u64 default guest RAM in bytes */
#define UK_MF_MODE "mode"             /* string: "link" or "binary" */
#define UK_MF_MOUNTS "mounts"         /* string list, "/guest/path" volume points */

/* A string list as stored: size bytes of strings back to back. */
struct uk_mf_list {
	const char *p;
	int size; /* 0: absent or empty */
};

struct uk_mf {
	int present; /* the image has a valid manifest */
	struct uk_mf_list entrypoint, cmd, env, ports, mounts;
	const char *workdir, *user, *mode; /* NULL when absent */
	int has_ids;                       /* user was numeric, "uid[:gid]" */
	unsigned uid, gid;
	uint64_t mem; /* 0: the monitor's default */
};

/* Reads the manifest in size bytes at blob into *m, which points into the
 * blob. Returns 0, or -1 (*m empty) when the blob is not a whole, valid
 * device tree with node /uk, or a key has the wrong form (a string or a
 * list without its last NUL, a memory size not of 8 bytes). Keys it does
 * not know are ignored. */
int uk_mf_read(struct uk_mf *m, const void *blob, size_t size);

/* The strings of a list, one per call: *pos starts at 0. Returns the next
 * string (NUL-terminated when the list is) and its length in *len, or NULL
 * after the last. */
const char *uk_mf_next(const struct uk_mf_list *l, int *pos, int *len);

#endif
