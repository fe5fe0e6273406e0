/*
 * The Linux ABI the library OS implements, from the kernel's own uapi
 * headers (Debian's linux-libc-dev, reached through build/include-linux).
 * Library OS code uses these names and values; only the newlib glue sees
 * newlib's, and translates.
 */
#ifndef UK_LINUX_H
#define UK_LINUX_H

#include <asm/errno.h>
#include <asm/ioctls.h>
#include <asm/signal.h>
#include <asm/termios.h>
#include <linux/fcntl.h>
#include <linux/futex.h>
#include <linux/mman.h>
#include <linux/random.h>
#include <linux/resource.h>
#include <linux/stat.h>
#include <linux/time.h>
#include <linux/time_types.h>
#include <linux/uio.h>
#include <linux/utsname.h>

/* newlib defines __unused as an attribute; asm/stat.h uses it as a name. */
#pragma push_macro("__unused")
#undef __unused
#include <asm/stat.h>
#pragma pop_macro("__unused")

#endif
