/* ukbuild: shared declarations of its subcommands. */
#ifndef UKBUILD_H
#define UKBUILD_H

#include "../common/host.h"
#include "../image/manifest.h"

/* ukbuild's own failures exit with this status; a failing compiler's status
 * is passed through. */
#define UKB_EXIT_ERROR 2

#define ukb_err(...) host_err("ukbuild", __VA_ARGS__)

/* The guest sysroot: $UK_SYSROOT, else ../lib/uk beside the executable. */
const char *ukb_sysroot(void);

/* An argument list for ukb_spawn, NULL-terminated; strings are not
 * copied. ukb_add ends ukbuild with a message past UKB_MAX_ARGV. */
#define UKB_MAX_ARGV 4096
struct ukb_argv {
	char *v[UKB_MAX_ARGV];
	int n;
};
void ukb_add(struct ukb_argv *a, const char *s);

/* Run argv, waiting; returns the exit status (or 128+signal), -1 if it
 * could not be started. With verbose set the command is printed first. */
int ukb_spawn(char *const argv[], int verbose);

/* Write len bytes of data to a new file at path; 0, or -1. */
int ukb_write_file(const char *path, const void *data, size_t len);

/* -e NAME=VALUE, in link and OCI mode alike: v added to env; -1 after a
 * message when v is not NAME=VALUE. */
int ukb_env_opt(struct uki_strlist *env, const char *v);

/* The sysroot when its library OS is there; NULL after a message. */
const char *ukb_sysroot_checked(void);

/* What goes into an image (image_link.c). */
struct ukb_link {
	const char *out;      /* the image, written whole or not at all */
	const char *tmp;      /* a scratch directory */
	const void *manifest; /* the manifest as written (uki_manifest_write) */
	size_t manifest_size;
	const char *rootfs;  /* a cpio archive for .uk_rootfs, or NULL */
	char *const *inputs; /* objects and archives */
	int ninputs;
	char *const *extra; /* the words after --, to the linker too */
	int nextra;
	int binary;  /* binary mode: all of the library OS, its loader as main() */
	int debug;   /* keep debug information and the ELF symbol table */
	int verbose; /* print the commands */
};

/* Link an image: gcc with the sysroot's linker script and libraries, then
 * the ELF symbol table replaced by the compact .uk_syms ukrun names
 * crashes from (unless debug). Returns 0, the linker's status, or
 * UKB_EXIT_ERROR after a message. */
int ukb_link_image(const struct ukb_link *l);

int ukb_cmd_link(int argc, char **argv);    /* link.c */
int ukb_cmd_inspect(int argc, char **argv); /* inspect.c */
int ukb_cmd_oci(int argc, char **argv);     /* oci.c */
int ukb_cmd_disk(int argc, char **argv);    /* disk.c */

#endif
