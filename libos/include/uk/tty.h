/*
 * Terminals (libos/vfs/tty.c): Linux's N_TTY line discipline, with the
 * session and job-control rules that go with a controlling terminal, for
 * any terminal whose driver gives it input and takes its output. The
 * pseudo-terminals of /dev/ptmx and /dev/pts (libos/fs/devpts.c) are its
 * drivers so far: a master's writes are the terminal's input, and its
 * reads take the terminal's output.
 *
 * The line discipline: canonical input (ERASE, WERASE, KILL, EOF, EOL,
 * EOL2, LNEXT, REPRINT; a read returns at most one line) or raw input
 * (VMIN and VTIME), ECHO and its variants, ISIG (INTR, QUIT, SUSP signal
 * the foreground process group, flushing unless NOFLSH), input mapping
 * (ICRNL, INLCR, IGNCR, ISTRIP, IXON's START/STOP) and output processing
 * (OPOST with ONLCR, OCRNL, ONOCR, ONLRET).
 *
 * Sessions: a terminal is the controlling terminal of at most one session
 * (tty->sid) and has a foreground process group (tty->pgrp). A process
 * whose session has no terminal of this kind keeps the console as
 * /dev/tty, as before, unless setsid or TIOCNOTTY left it without one
 * (uk_proc's tty_none).
 */
#ifndef UK_TTY_H
#define UK_TTY_H

#include <stddef.h>
#include <stdint.h>
#include <uk/linux.h>
#include <uk/sched.h>

struct uk_file;
struct uk_fs_type;
struct uk_proc;
struct uk_poll_table;

/* Input the line discipline holds (N_TTY_BUF_SIZE): complete lines and
 * the one being edited in canonical mode, what came in raw mode. */
#define UK_TTY_BUF 4096

struct uk_tty;

/* The driver: where the terminal's output goes. */
struct uk_tty_ops {
	/* Room for output now (0: a writer waits on the terminal's owq, or
	 * echo is dropped, as Linux drops echo that finds no room). */
	size_t (*room)(struct uk_tty *t);
	/* Append n bytes (at most room()) to the output. */
	void (*put)(struct uk_tty *t, const char *buf, size_t n);
	/* Bytes of output not yet taken (TIOCOUTQ). */
	size_t (*pending)(struct uk_tty *t);
	/* Drop output not yet taken (TCOFLUSH). */
	void (*flush)(struct uk_tty *t);
	/* Optional, for a driver that queues input the line discipline has
	 * no room for yet (Linux's flip buffers): the line discipline has
	 * room again (input_room: give it more with uk_tty_receive), or input
	 * is flushed (input_flush: drop the queue). */
	void (*input_room)(struct uk_tty *t);
	void (*input_flush)(struct uk_tty *t);
};

struct uk_tty {
	const struct uk_tty_ops *ops;
	struct termios2 tio;
	struct winsize ws;
	/* Input ring: [head, commit) is ready for a canonical reader,
	 * [commit, tail) the line being edited (raw mode: all of it is
	 * ready); positions grow without wrapping, the ring is the low bits.
	 * A bit in delim marks a line's end, in eof an end-of-file mark
	 * (VEOF's byte, which a read consumes but does not return). */
	char buf[UK_TTY_BUF];
	uint8_t delim[UK_TTY_BUF / 8], eof[UK_TTY_BUF / 8];
	uint64_t head, commit, tail;
	int lnext;           /* the next input byte is taken literally */
	int stopped;         /* output stopped (IXON's STOP, TCOOFF) */
	int hung;            /* hung up: reads end, writes fail (EIO) */
	int column;          /* the output's column, for ONOCR and erasing tabs */
	int canon_column;    /* the column where the line being edited began */
	int sid, pgrp;       /* controlling terminal of session sid (0: none);
	                      * its foreground process group */
	int exclusive;       /* TIOCEXCL: only root opens it again */
	unsigned index;      /* its /dev/pts number: /proc's tty_nr */
	struct uk_wq iwq;    /* readers: input ready, or a hang-up */
	struct uk_wq owq;    /* writers: room for output, or a start */
	struct uk_wq inroom; /* the driver's writers: room for input (after input_room) */
	struct uk_tty *next;
};

/* Set up t (zeroed by the caller) with Linux's standard termios and
 * register it; uk_tty_forget when it goes. */
void uk_tty_init(struct uk_tty *t, const struct uk_tty_ops *ops, unsigned index);
void uk_tty_forget(struct uk_tty *t);

/* The driver's side. Input: take what fits of n bytes (echo and signals
 * as the modes say); returns how many were taken (fewer: the reader must
 * make room first; ops->input_room says when). The output found room
 * again (the driver's reader took some). */
size_t uk_tty_receive(struct uk_tty *t, const char *buf, size_t n);
void uk_tty_output_room(struct uk_tty *t);
/* Bytes a reader could take now (FIONREAD). */
size_t uk_tty_readable(const struct uk_tty *t);
/* Hang up: the session's leader gets SIGHUP and SIGCONT, the session
 * loses the terminal, reads end (0) and writes fail (EIO). */
void uk_tty_hangup(struct uk_tty *t);

/* The terminal's side, for its open files (f: for O_NONBLOCK; job
 * control applies when t is the caller's controlling terminal). */
long uk_tty_read(struct uk_tty *t, struct uk_file *f, char *buf, size_t len);
long uk_tty_write(struct uk_tty *t, struct uk_file *f, const char *buf, size_t len);
unsigned uk_tty_poll(struct uk_tty *t, struct uk_poll_table *pt);
/* The ioctls every terminal answers; -ENOIOCTLCMD for others. master:
 * asked through a pseudo-terminal's master (no job-control checks on
 * mode changes; TIOCSCTTY and TIOCSPGRP act on its terminal, as Linux's
 * do, TIOCNOTTY is ENOTTY). */
long uk_tty_ioctl(struct uk_tty *t, struct uk_file *f, unsigned long req, void *arg, int master);
/* An open of t without O_NOCTTY: a session leader without a controlling
 * terminal takes it as its own. */
void uk_tty_opened(struct uk_tty *t, unsigned flags);

/* Pseudo-terminals reach the rest of the library OS only through this
 * hook, which their own code sets (fs/devpts.c's uk_devpts_init, which
 * boot calls where the image has it), as inotify's uk_fsnotify: an image
 * whose program cannot use terminals carries none of their code. Binary
 * mode links all of the library OS; a link-mode program links them by
 * calling the POSIX terminal API (newlib/glue_pty.c). NULL: this image
 * has none (/dev/ptmx's open is ENODEV, mount of devpts ENODEV). */
struct uk_pty_hooks {
	const struct uk_fs_type *fs; /* devpts */
	/* /dev/ptmx: a new pair, f its master (0 or -errno) */
	int (*open_ptmx)(struct uk_file *f);
	/* /dev/tty: the caller's controlling terminal when it is one of
	 * these (1), -errno, or 0 when it is not (the console's then) */
	int (*open_ctty)(struct uk_file *f);
	int (*of_session)(int sid, unsigned *tty_nr, int *tpgid);
	void (*leader_exit)(struct uk_proc *p);
};
extern const struct uk_pty_hooks *uk_ptys;

/* The running process's controlling terminal of this kind, or NULL. */
struct uk_tty *uk_tty_ctty(void);
/* Process p's terminal for /proc/PID/stat: 0 when none (tty_nr, tpgid
 * unchanged), else 1 with its device number and foreground group. */
int uk_tty_of_session(int sid, unsigned *tty_nr, int *tpgid);
/* Session leader p ends: its terminal's foreground group gets SIGHUP and
 * the terminal is no session's any more. */
void uk_tty_leader_exit(struct uk_proc *p);

/* /dev/pts/N's device number (major 136, minor N) in Linux's encoding
 * of st_rdev and of /proc's tty_nr. */
static inline uint64_t uk_tty_pts_dev(unsigned index)
{
	return (index & 0xff) | (136u << 8) | ((uint64_t)(index & ~0xffu) << 12);
}

#endif
