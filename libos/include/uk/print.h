/* Kernel-side formatting and messages: self-contained (no newlib, no
 * allocation), safe in exception context. */
#ifndef UK_PRINT_H
#define UK_PRINT_H

#include <stdarg.h>
#include <stddef.h>

/* Supports %% %c %s %d %i %u %x %o %p with l, ll, z modifiers, width and 0. */
int uk_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int uk_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* "uk: ..." on stderr. */
void uk_pr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print and end the VM with status 134 (as SIGABRT would). */
__attribute__((noreturn)) void uk_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The trace stream (--trace): uk_trace_on is set at boot from ukrun's
 * flags. Lines are buffered and flushed before console output and at exit
 * so they interleave with the program's own output. */
extern int uk_trace_on;
void uk_trace_put(const char *s, size_t n);
void uk_trace_flush(void);
/* A trace line of free text, e.g. why a call is refused. */
void uk_trace_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
