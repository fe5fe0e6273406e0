/* The console: stdout, stderr and the trace stream to ukrun (one exit per
 * call), or the 8250 serial port under QEMU. */
#ifndef UK_CONSOLE_H
#define UK_CONSOLE_H

#include <stddef.h>

/* fd is UK_FD_STDOUT, UK_FD_STDERR or UK_FD_TRACE. buf must be a kernel
 * address (image or physmap). */
void uk_console_write(int fd, const void *buf, size_t len);

/* Blocks until input; returns bytes read, 0 at end of input, or -errno. */
long uk_console_read(void *buf, size_t len);

/* Whether the host end of fd 0/1/2 is a terminal (ukrun tells us). */
int uk_console_isatty(int fd);

/* Output held back elsewhere (the trace buffer) that must reach the host
 * before anything written after it: fn runs before every stdout/stderr
 * write and from uk_console_flush(). One hook; its owner registers it. */
void uk_console_on_flush(void (*fn)(void));
void uk_console_flush(void);

#endif
