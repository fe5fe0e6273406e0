/*
 * The console. Under ukrun one hypercall moves a whole buffer (one exit per
 * write call, never per byte: each exit costs ~27 us on the paravirtual
 * host). Under QEMU, the 8250 serial port COM1, polled.
 */
#include <uk/abi.h>
#include <uk/arch.h>
#include <uk/console.h>
#include <uk/cpu.h>
#include <uk/linux.h>
#include <uk/plat.h>
#include <uk/syscall.h>

#define COM1 0x3f8
#define LSR_THRE 0x20 /* transmit holding register empty */
#define LSR_DR 0x01   /* data ready */

static void serial_write(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		while (!(uk_inb(COM1 + 5) & LSR_THRE))
			uk_pause();
		uk_outb(COM1, p[i]);
	}
}

static void (*flush_hook)(void);

void uk_console_on_flush(void (*fn)(void)) { flush_hook = fn; }

void uk_console_flush(void)
{
	if (flush_hook)
		flush_hook();
}

void uk_console_write(int fd, const void *buf, size_t len)
{
	if (fd != UK_FD_TRACE)
		uk_console_flush(); /* keep trace lines in order with output */
	if (!uk_plat.ukrun) {
		serial_write(buf, len);
		return;
	}
	while (len) {
		uint32_t n = (uint32_t)uk_phys_run(buf, len > UK_HC_IO_MAX ? UK_HC_IO_MAX : len);
		struct uk_hc_write w = { uk_v2p(buf), n, (uint32_t)fd };
		uk_outl(UK_HC_WRITE, (uint32_t)uk_v2p(&w));
		buf = (const char *)buf + n;
		len -= n;
	}
}

long uk_console_read(void *buf, size_t len)
{
	if (!uk_plat.ukrun) {
		char *p = buf;
		size_t n = 0;
		/* A line at a time, like a terminal in canonical mode. */
		while (n < len) {
			while (!(uk_inb(COM1 + 5) & LSR_DR))
				uk_pause();
			p[n] = uk_inb(COM1);
			if (p[n] == '\r')
				p[n] = '\n';
			if (p[n++] == '\n')
				break;
		}
		return (long)n;
	}
	struct uk_hc_read r = { uk_v2p(buf),
		                (uint32_t)uk_phys_run(buf, len > UK_HC_IO_MAX ? UK_HC_IO_MAX : len),
		                0 };
	uk_outl(UK_HC_READ, (uint32_t)uk_v2p(&r));
	return r.ret;
}

int uk_console_isatty(int fd)
{
	if (!uk_plat.ukrun)
		return 1; /* the serial port is a terminal */
	return fd >= 0 && fd < 3 && (uk_plat.tty_mask >> fd) & 1;
}
