/*
 * newlib glue: memory mappings, pipes, events and polling (see glue.c for
 * the conventions). The POSIX headers for these calls (libos/include/posix)
 * use Linux's values and layouts, so arguments pass through unchanged.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/mman.h>
#include <uk/syscall.h>

#include "glue.h"

/* ---- memory mappings ---- */

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return (void *)uk_ret(UK_CALL(mmap, addr, len, prot, flags, fd, off));
}

int munmap(void *addr, size_t len) { return (int)uk_ret(UK_CALL(munmap, addr, len, 0, 0, 0, 0)); }

int mprotect(void *addr, size_t len, int prot)
{
	return (int)uk_ret(UK_CALL(mprotect, addr, len, prot, 0, 0, 0));
}

void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	void *to = NULL;
	va_list ap;

	if (flags & MREMAP_FIXED) {
		va_start(ap, flags);
		to = va_arg(ap, void *);
		va_end(ap);
	}
	return (void *)uk_ret(UK_CALL(mremap, old, old_len, new_len, flags, to, 0));
}

int msync(void *addr, size_t len, int flags)
{
	return (int)uk_ret(UK_CALL(msync, addr, len, flags, 0, 0, 0));
}

int madvise(void *addr, size_t len, int advice)
{
	return (int)uk_ret(UK_CALL(madvise, addr, len, advice, 0, 0, 0));
}

/* POSIX's DONTNEED is a hint that must keep the contents (glibc ignores
 * it too); errors are returned, not set in errno. */
int posix_madvise(void *addr, size_t len, int advice)
{
	long r;

	if (advice == POSIX_MADV_DONTNEED)
		return 0;
	r = UK_CALL(madvise, addr, len, advice, 0, 0, 0);
	if (r < 0) {
		int saved = errno;
		uk_ret(r);
		r = errno;
		errno = saved;
	}
	return (int)r;
}

int mincore(void *addr, size_t len, unsigned char *vec)
{
	return (int)uk_ret(UK_CALL(mincore, addr, len, vec, 0, 0, 0));
}

int mlock(const void *addr, size_t len)
{
	return (int)uk_ret(UK_CALL(mlock, addr, len, 0, 0, 0, 0));
}

int munlock(const void *addr, size_t len)
{
	return (int)uk_ret(UK_CALL(munlock, addr, len, 0, 0, 0, 0));
}

int mlockall(int flags) { return (int)uk_ret(UK_CALL(mlockall, flags, 0, 0, 0, 0, 0)); }

int munlockall(void) { return (int)uk_ret(UK_CALL(munlockall, 0, 0, 0, 0, 0, 0)); }
