/*
 * Linux ABI layouts the newlib glue translates to and from. They are
 * spelled out here, prefixed, because newlib's headers own the plain names
 * in the glue's translation units.
 */
#ifndef UK_NEWLIB_GLUE_H
#define UK_NEWLIB_GLUE_H

#include <sys/stat.h>

/* struct stat of x86-64 Linux (arch/x86/include/uapi/asm/stat.h). */
struct uk_lx_stat {
	unsigned long dev, ino, nlink;
	unsigned int mode, uid, gid, pad0;
	unsigned long rdev;
	long size, blksize, blocks;
	unsigned long atime_sec, atime_nsec, mtime_sec, mtime_nsec, ctime_sec, ctime_nsec;
	long unused[3];
};

struct uk_lx_termios {
	unsigned int iflag, oflag, cflag, lflag;
	unsigned char line, cc[19];
};

#define UK_LX_TCGETS 0x5401
#define UK_LX_CLOCK_PROCESS_CPUTIME_ID 2

/* Set errno from a -errno result; returns -1 then, else r. */
long uk_ret(long r);

void uk_stat_from_linux(struct stat *st, const struct uk_lx_stat *lx);

#endif
