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

/* Run argv, waiting; returns the exit status (or 128+signal), -1 if it
 * could not be started. With verbose set the command is printed first. */
int ukb_spawn(char *const argv[], int verbose);

/* Write len bytes of data to a new file at path; 0, or -1. */
int ukb_write_file(const char *path, const void *data, size_t len);

/* An object file tmp/STEM.o holding path's bytes in the named section
 * (tmp/STEM.S with .incbin, assembled by gcc); its name in *obj, which the
 * caller frees. Returns 0, or -1. */
int ukb_section_object(const char *tmp, const char *stem, const char *section, const char *path,
                       char **obj, int verbose);

/* Replace the ELF symbol table of the image at path with the compact
 * .uk_syms ukrun names crashes from (image.h); 0, or -1 after a message. */
int ukb_pack_symbols(const char *path);

int ukb_cmd_link(int argc, char **argv);
int ukb_cmd_inspect(int argc, char **argv);
int ukb_cmd_oci(int argc, char **argv);  /* oci.c */
int ukb_cmd_disk(int argc, char **argv); /* disk.c */

#endif
