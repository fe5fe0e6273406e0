/*
 * Directory entries for newlib's <dirent.h> (its own <sys/dirent.h> only
 * says "not supported"). The readdir family lives in the uk glue
 * (libos/newlib/glue_dir.c), over getdents64.
 */
#ifndef _UK_SYS_DIRENT_H
#define _UK_SYS_DIRENT_H

#include <sys/types.h>

struct dirent {
	ino_t d_ino;
	off_t d_off; /* telldir() position of the next entry */
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[256];
};

typedef struct __uk_dir DIR;

#define DT_UNKNOWN 0
#define DT_FIFO 1
#define DT_CHR 2
#define DT_DIR 4
#define DT_BLK 6
#define DT_REG 8
#define DT_LNK 10
#define DT_SOCK 12
#define DT_WHT 14

#define IFTODT(mode) (((mode)&0170000) >> 12)
#define DTTOIF(type) ((type) << 12)

#define _DIRENT_HAVE_D_TYPE 1
#define _DIRENT_HAVE_D_OFF 1
#define _DIRENT_HAVE_D_RECLEN 1

#endif
