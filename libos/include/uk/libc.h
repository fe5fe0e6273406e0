/* The few string functions the library OS core uses, independent of newlib
 * so they are safe in interrupt context (libos is built without SSE). */
#ifndef UK_LIBC_H
#define UK_LIBC_H

#include <stddef.h>

void *uk_memcpy(void *d, const void *s, size_t n);
/* A copy to or from a program's memory that stops where the memory does
 * (arch/x86_64/copy_user.S): the bytes it did not copy. */
size_t uk_copy_user(void *d, const void *s, size_t n);
void *uk_memset(void *d, int c, size_t n);
int uk_memcmp(const void *a, const void *b, size_t n);
size_t uk_strlen(const char *s);
size_t uk_strnlen(const char *s, size_t max);
int uk_strcmp(const char *a, const char *b);
int uk_strncmp(const char *a, const char *b, size_t n);

#endif
