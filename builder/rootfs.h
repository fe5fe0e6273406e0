/*
 * The image's root filesystem for link mode: host directories and files
 * (ukbuild --rootfs DIR, --add HOST:GUEST) written with libarchive as a
 * cpio "newc" archive, which the library OS unpacks into its RAM
 * filesystem at boot (libos/fs/rootfs.c).
 *
 * What is kept: file contents, directories, symlinks (their text, never
 * followed), hard links within what is added, permission bits (with
 * setuid/setgid/sticky), modification times. Owners become root (0:0): the
 * program runs as root in its VM, and the host user's ids mean nothing
 * there. Device nodes, FIFOs and sockets are skipped with a warning.
 */
#ifndef UKB_ROOTFS_H
#define UKB_ROOTFS_H

struct ukb_cpio;

/* Start an archive in the file at path; NULL (after a message) on error. */
struct ukb_cpio *ukb_cpio_open(const char *path);

/* Add host (a file, a symlink, or a directory with everything below it)
 * as guest, an absolute path in the image; "/" puts a directory's contents
 * at the root. Later additions replace earlier ones of the same name when
 * unpacked. Returns 0, or -1 after a message naming the file. */
int ukb_cpio_add(struct ukb_cpio *c, const char *host, const char *guest);

/* Finish and close the archive; returns 0, or -1 after a message. The
 * archive is freed either way. */
int ukb_cpio_close(struct ukb_cpio *c);

#endif
