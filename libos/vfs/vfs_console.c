/*
 * The console as open files: fds 0, 1 and 2 at boot, /dev/console and
 * /dev/tty later. A write is one uk_console_write (one exit to ukrun per
 * write call, never per byte); which host stream it reaches travels with
 * the open file, so dup2(1, 2) sends stderr to the host's stdout, as it
 * would on Linux.
 */
#include <uk/abi.h>
#include <uk/arch.h>
#include <uk/console.h>
#include <uk/host_signal.h>
#include <uk/libc.h>
#include <uk/mm.h>
#include <uk/plat.h>
#include <uk/signal.h>
#include <uk/syscall.h>
#include <uk/vfs.h>

#include "vfs_impl.h"

/* f->priv: the host descriptor (0, 1 or 2) the file stands for. */
static int con_hostfd(struct uk_file *f) { return (int)(uintptr_t)f->priv; }

static int con_stream(struct uk_file *f)
{
	return con_hostfd(f) == 2 ? UK_FD_STDERR : UK_FD_STDOUT;
}

/* ukrun ends a read with -EINTR when a signal came for process 1 (a
 * Ctrl-C while a program waits for input): it is taken here, as its
 * interrupt may come later, and the read goes on unless the signal is
 * this thread's to take. */
static long con_read(struct uk_file *f, void *buf, size_t len, uint64_t *pos)
{
	long n;

	if (!len)
		return 0;
	while ((n = uk_console_read(buf, len)) == -EINTR) {
		uk_host_signals_take();
		if (uk_signal_waiting())
			break;
	}
	return n;
}

/* The console hypercall takes physically contiguous bytes: the image and
 * the physmap are, but a thread's stack or a Linux program's pages are
 * only page by page, which would cost one exit per page. Such bytes are
 * copied into a linear buffer first: a copy is far cheaper than an exit. */
#define BOUNCE (64u << 10)

static long con_write(struct uk_file *f, const void *buf, size_t len, uint64_t *pos)
{
	static char *bounce;
	const char *p = buf;
	size_t left = len;

	if (uk_plat.ukrun && uk_phys_run(buf, len) < len && !bounce)
		bounce = uk_kmalloc(BOUNCE);
	if (!uk_plat.ukrun || uk_phys_run(buf, len) == len || !bounce) {
		uk_console_write(con_stream(f), buf, len);
		return (long)len;
	}
	while (left) {
		size_t n = left < BOUNCE ? left : BOUNCE;
		uk_memcpy(bounce, p, n);
		uk_console_write(con_stream(f), bounce, n);
		p += n;
		left -= n;
	}
	return (long)len;
}

/* Output never blocks; input may (ukrun cannot tell us beforehand). */
static unsigned con_poll(struct uk_file *f, struct uk_poll_table *pt)
{
	return EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM;
}

static int con_tty(struct uk_file *f) { return uk_console_isatty(con_hostfd(f)); }

static long con_ioctl(struct uk_file *f, unsigned long req, void *arg)
{
	if (!con_tty(f))
		return -ENOTTY;
	switch (req) {
	case TCGETS: {
		struct termios *t = arg;
		uk_memset(t, 0, sizeof(*t));
		t->c_iflag = ICRNL | IXON;
		t->c_oflag = OPOST | ONLCR;
		t->c_cflag = B38400 | CS8 | CREAD;
		t->c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | IEXTEN;
		t->c_cc[VMIN] = 1;
		return 0;
	}
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		/* The host terminal belongs to ukrun; modes are not passed on. */
		uk_trace_note("ioctl: terminal settings are not applied to the host terminal");
		return 0;
	case TIOCGWINSZ: {
		struct winsize *w = arg;
		uk_memset(w, 0, sizeof(*w));
		w->ws_row = 24;
		w->ws_col = 80;
		return 0;
	}
	case TIOCGPGRP:
	case TIOCGSID:
		*(int *)arg = 1; /* the program leads its own session */
		return 0;
	case TIOCSPGRP: return *(int *)arg == 1 ? 0 : -EPERM;
	case TCSBRK:
	case TCXONC:
	case TCFLSH: return 0; /* ukrun writes through and keeps no input queue */
	}
	return -ENOTTY;
}

static int con_fstat(struct uk_file *f, struct stat *st)
{
	int tty = con_tty(f);

	uk_memset(st, 0, sizeof(*st));
	st->st_mode = tty ? S_IFCHR | 0620 : S_IFIFO | 0600;
	st->st_nlink = 1;
	st->st_blksize = 4096;
	st->st_rdev = tty ? (136 << 8) : 0; /* /dev/pts/0 */
	st->st_ino = 3 + con_hostfd(f);
	return 0;
}

static long con_llseek(struct uk_file *f, int64_t off, int whence) { return -ESPIPE; }

const struct uk_file_ops uk_console_ops = {
	.read = con_read,
	.write = con_write,
	.poll = con_poll,
	.ioctl = con_ioctl,
	.fstat = con_fstat,
	.llseek = con_llseek,
};

struct uk_file *uk_console_file(int hostfd)
{
	unsigned flags = uk_console_isatty(hostfd) ? O_RDWR : hostfd ? O_WRONLY : O_RDONLY;
	return uk_file_new(&uk_console_ops, flags, (void *)(uintptr_t)hostfd);
}
