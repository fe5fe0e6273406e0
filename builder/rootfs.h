/*
 * The image's root filesystem for link mode: host directories and files
 * (ukbuild --rootfs DIR, --add HOST:GUEST) written as a cpio "newc"
 * archive (the data of a regular file of a page or more page aligned), which the library OS unpacks
 * into its RAM filesystem at boot (libos/fs/rootfs.c).
 *
 * What is kept: file contents, directories, symlinks (their text, never
 * followed), hard links within what is added, permission bits (with
 * setuid/setgid/sticky), modification times. Owners become root (0:0): the
 * program runs as root in its VM, and the host user's ids mean nothing
 * there. Device nodes, FIFOs and sockets are skipped with a warning.
 *
 * ukbuild oci writes its layers' tree with the same writer
 * (ukb_cpio_open_fd, ukb_cpio_put: layer_cpio.c).
 */
#ifndef UKB_ROOTFS_H
#define UKB_ROOTFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct archive_entry;
struct ukb_cpio;

/* Start an archive in the file at path. Returns NULL with a message in
 * err on error; otherwise err (errlen bytes) receives the message of the
 * first failure of the calls below, until ukb_cpio_close. */
struct ukb_cpio *ukb_cpio_open(const char *path, char *err, size_t errlen);

/* The data of a regular file's entry that has no source path (not added
 * from a host file): up to len bytes at off; <= 0 is an error. */
typedef ssize_t ukb_cpio_read_fn(void *ctx, struct archive_entry *e, void *buf, size_t len,
                                 uint64_t off);

/* Start an archive on fd (not padded to a block: its size is what it
 * holds), with file data from read(ctx, ...); name stands for it in
 * messages. Errors as for ukb_cpio_open. */
struct ukb_cpio *ukb_cpio_open_fd(int fd, const char *name, ukb_cpio_read_fn *read, void *ctx,
                                  char *err, size_t errlen);

/* Add host (a file, a symlink, or a directory with everything below it)
 * as guest, an absolute path in the image; "/" puts a directory's contents
 * at the root. Later additions replace earlier ones of the same name when
 * unpacked. Returns 0, or -1 after a message naming the file. */
int ukb_cpio_add(struct ukb_cpio *c, const char *host, const char *guest);

/* Add entry e, which this frees, through the link resolver: a file with
 * several names (same inode number, nlink > 1) is held back until its
 * other names come, and its data is written once, with the last. Returns
 * 0 or -1 after a message. */
int ukb_cpio_put(struct ukb_cpio *c, struct archive_entry *e);

/* Finish and close the archive; returns 0, or -1 after a message. The
 * archive is freed either way. */
int ukb_cpio_close(struct ukb_cpio *c);

#endif
