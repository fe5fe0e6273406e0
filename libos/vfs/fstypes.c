/*
 * The filesystem types mount(2) and uk_mount() know, in one table: one
 * line per filesystem (declare its struct uk_fs_type beside the others).
 * devpts is not here: an image has it only with pseudo-terminals, whose
 * hook names it (uk_ptys, uk/tty.h).
 */
#include <uk/vfs.h>

#include "vfs_impl.h"

extern const struct uk_fs_type uk_fat_type;  /* libos/fs/fat_vfs.c */
extern const struct uk_fs_type uk_p9fs_type; /* libos/fs/p9fs.c */

const struct uk_fs_type *const uk_fs_types[] = {
	&uk_ramfs_type, &uk_devfs_type, &uk_procfs_type, &uk_fat_type, &uk_p9fs_type, NULL,
};
