/*
 * lwIP's compiler and platform glue for the library OS: diagnostics and
 * assertions through the kernel's printer, randomness from the CPU, and
 * byte order from the compiler (x86-64: little-endian).
 */
#ifndef UK_LWIP_ARCH_CC_H
#define UK_LWIP_ARCH_CC_H

#include <stddef.h>
#include <stdint.h>

#define BYTE_ORDER LITTLE_ENDIAN
#define LWIP_NO_CTYPE_H 1 /* lwIP's own isdigit & co: no locale tables */

void uk_lwip_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void uk_lwip_assert(const char *msg, int line, const char *file);
uint32_t uk_lwip_rand(void);

#define LWIP_PLATFORM_DIAG(x) uk_lwip_diag x
#define LWIP_PLATFORM_ASSERT(x) uk_lwip_assert(x, __LINE__, __FILE__)
#define LWIP_RAND() uk_lwip_rand()

/* The library OS's rep-movsb copy: lwIP never runs in interrupt context,
 * but its copies need no SSE either. */
void *uk_memcpy(void *d, const void *s, size_t n);
#define MEMCPY(d, s, n) uk_memcpy((d), (s), (n))
#define SMEMCPY(d, s, n) uk_memcpy((d), (s), (n))

/* One instruction each instead of lwIP's shifts. */
#define lwip_htons(x) ((u16_t)__builtin_bswap16((u16_t)(x)))
#define lwip_htonl(x) ((u32_t)__builtin_bswap32((u32_t)(x)))

#endif
