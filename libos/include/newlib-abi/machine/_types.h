/*
 * Linux's widths for newlib's file-system types. ci/deps.sh builds newlib
 * with this file in place of its generic machine/_types.h, so newlib itself
 * and every program see the same: 64-bit device ids and inode numbers,
 * 32-bit user and group ids. newlib's defaults are 16 bits wide, which cut
 * inode numbers short (sqlite keys its file locks on them).
 */
#ifndef _MACHINE__TYPES_H
#define _MACHINE__TYPES_H

#include <machine/_default_types.h>

#define __machine_dev_t_defined
typedef __uint64_t __dev_t;
#define __machine_ino_t_defined
typedef __uint64_t __ino_t;
#define __machine_uid_t_defined
typedef __uint32_t __uid_t;
#define __machine_gid_t_defined
typedef __uint32_t __gid_t;

#endif
