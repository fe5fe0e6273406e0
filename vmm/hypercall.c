/*
 * Port I/O from the guest: the hypercalls of uk/abi.h, and a COM1 fallback
 * and QEMU's isa-debug-exit, so a guest that fails before it knows it runs
 * under ukrun is still heard and still ends.
 * Everything the guest passes is checked: lengths, GPAs, fds.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmm.h"

#define COM1 0x3f8

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1; /* a closed pipe: the output is lost, the VM goes on */
		p += n;
		len -= n;
	}
	return 0;
}

/* The guest's output on the host's fd 1 or 2: through the terminal
 * filter (console.c) where that is a terminal, unless --console raw. */
static struct {
	int on;
	struct vmm_tty_filter f;
} tty[3];

void vmm_console_init(const struct vmm_opts *o)
{
	for (int fd = 1; fd <= 2; fd++)
		tty[fd].on = !o->console_raw && isatty(fd);
}

static void console_out(int fd, const uint8_t *p, size_t len)
{
	static uint8_t buf[VMM_TTY_OUT_MAX(4096)];

	if (!tty[fd].on) {
		write_all(fd, p, len);
		return;
	}
	for (size_t n; len; p += n, len -= n) {
		n = len < 4096 ? len : 4096;
		write_all(fd, buf, vmm_tty_filter(&tty[fd].f, p, n, buf));
	}
}

static void console_end(void)
{
	uint8_t buf[VMM_TTY_OUT_MAX(0)];

	for (int fd = 1; fd <= 2; fd++)
		if (tty[fd].on)
			write_all(fd, buf, vmm_tty_filter_end(&tty[fd].f, buf));
}

static int hc_write(struct vmm *vm, uint32_t gpa)
{
	struct uk_hc_write *w = VMM_GPA(vm, gpa, sizeof(*w));
	uint64_t data;
	uint32_t len, fd;
	const uint8_t *p;

	if (!w)
		return -1;
	data = w->data, len = w->len, fd = w->fd; /* read once: the guest may change it */
	if (len > UK_HC_IO_MAX || (fd != UK_FD_STDOUT && fd != UK_FD_STDERR && fd != UK_FD_TRACE)) {
		vmm_guest_err(": console write of %u bytes to fd %u", len, fd);
		return -1;
	}
	if (!(p = VMM_GPA(vm, data, len)))
		return -1;
	console_out(fd == UK_FD_STDOUT ? STDOUT_FILENO : STDERR_FILENO, p, len);
	return 0;
}

static int hc_read(struct vmm *vm, uint32_t gpa)
{
	struct uk_hc_read *rd = VMM_GPA(vm, gpa, sizeof(*rd));
	uint64_t data;
	uint32_t len;
	uint8_t *p;
	ssize_t n;

	if (!rd)
		return -1;
	data = rd->data, len = rd->len;
	if (len > UK_HC_IO_MAX) {
		vmm_guest_err(": console read of %u bytes", len);
		return -1;
	}
	if (!(p = VMM_GPA(vm, data, len)))
		return -1;
	/* Waiting for input, the run loop's tick may interrupt: --timeout and
	 * signals still end the VM (the guest never runs again then). */
	vmm_tick_unblock(1);
	do
		n = read(STDIN_FILENO, p, len);
	while (n < 0 && errno == EINTR && !vmm_interrupted());
	vmm_tick_unblock(0);
	rd->ret = n < 0 ? -errno : (int32_t)n;
	return 0;
}

/* Early output before the guest found the runtime tree: a line buffer,
 * flushed at a newline and when the guest ends. */
static char com1_line[256];
static size_t com1_n;

static void com1_flush(void)
{
	console_out(STDERR_FILENO, (uint8_t *)com1_line, com1_n);
	com1_n = 0;
}

static void com1_putc(uint8_t c)
{
	com1_line[com1_n++] = c;
	if (c == '\n' || com1_n == sizeof(com1_line))
		com1_flush();
}

/* The guest ended: nothing of its output stays behind. */
static void output_end(void)
{
	com1_flush();
	console_end();
}

int vmm_io(struct vmm *vm, uint16_t port, int out, uint8_t *data, int size)
{
	uint32_t v = 0;

	memcpy(&v, data, size < 4 ? size : 4);
	if (port == UK_HC_SIGNALS)
		return vmm_sigfwd_io(vm, out, data, size);
	if (!out) {
		/* COM1 line status: transmitter empty; nothing else to read. */
		memset(data, port == COM1 + 5 ? 0x60 : 0xff, size);
		return 0;
	}
	switch (port) {
	case UK_HC_WRITE: return hc_write(vm, v);
	case UK_HC_READ: return hc_read(vm, v);
	case UK_HC_EXEC: return vmm_exec_io(vm, v);
	case UK_HC_EXIT:
		output_end();
		vm->status = v & 0xff;
		return 1;
	case UK_HC_ABORT: {
		const struct uk_hc_crash *c = VMM_GPA(vm, v, sizeof(*c));
		output_end();
		if (!c)
			return -1;
		vm->status = c->status & 0xff;
		if (c->npc)
			vmm_crash_report(vm, c, "crashed in");
		return 1;
	}
	case UK_HC_MARK:
		if (v == UK_MARK_MAIN)
			vm->t.main = vmm_now();
		return 0;
	case UK_HC_STAGES: {
		const struct uk_hc_stages *s = VMM_GPA(vm, v, sizeof(*s));
		if (!s)
			return -1;
		vmm_stages(vm, s);
		return 0;
	}
	case COM1: com1_putc((uint8_t)v); return 0;
	case UK_QEMU_DEBUG_EXIT_PORT:
		/* QEMU's exit, from a guest that did not try ukrun's (the library
		 * OS tries UK_HC_ABORT first): the status as the guest wrote it. */
		output_end();
		vmm_err("the guest ended through QEMU's isa-debug-exit port (status %u)", v & 0xff);
		vm->status = v & 0xff;
		return 1;
	}
	return 0; /* writes to absent devices are ignored, as on real hardware */
}
