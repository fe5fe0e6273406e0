/*
 * The line discipline (Linux's N_TTY) and the controlling-terminal rules
 * of uk/tty.h, for any terminal driver. Written from POSIX's General
 * Terminal Interface and Linux's termios(3), tty_ioctl(4) and
 * credentials(7).
 *
 * Input is edited in place: the ring holds, in order, what readers may
 * take and the line being edited; a line's end is marked by a bit, so a
 * canonical read stops there. Echo goes out through the same output
 * processing as writes, and is dropped when the driver has no room, as
 * Linux drops it.
 *
 * A read or write by a process in the background of its controlling
 * terminal sends its group SIGTTIN (SIGTTOU for writes under TOSTOP and
 * for mode changes) and fails with EINTR, which the system call's way out
 * makes again once the group is continued (Linux's ERESTARTSYS); where
 * nothing would continue it (the signal ignored or blocked, the group
 * orphaned), a read fails with EIO and a write goes ahead.
 */
#include <linux/capability.h>
#include <uk/console.h>
#include <uk/libc.h>
#include <uk/poll.h>
#include <uk/print.h>
#include <uk/proc.h>
#include <uk/signal.h>
#include <uk/time.h>
#include <uk/tty.h>
#include <uk/vfs.h>

#include "vfs_impl.h"

#define MASK (UK_TTY_BUF - 1)
#define N_TTY 0 /* the line discipline's number (TIOCGETD) */
#define SIGBIT(sig) (1ull << ((sig)-1))

#define LF(t, f) ((t)->tio.c_lflag & (f))
#define IF(t, f) ((t)->tio.c_iflag & (f))
#define OF(t, f) ((t)->tio.c_oflag & (f))
#define CC(t, c) ((unsigned char)(t)->tio.c_cc[c])

static struct uk_tty *ttys; /* every terminal, for the sessions' lookups */

/* What a new terminal starts with: Linux's tty_std_termios, less HUPCL
 * (as its pseudo-terminals have it). */
static const struct termios2 std_termios = {
	.c_iflag = ICRNL | IXON,
	.c_oflag = OPOST | ONLCR,
	.c_cflag = B38400 | CS8 | CREAD,
	.c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
	.c_cc = { [VINTR] = 003,
	          [VQUIT] = 034,
	          [VERASE] = 0177,
	          [VKILL] = 025,
	          [VEOF] = 004,
	          [VMIN] = 1,
	          [VSTART] = 021,
	          [VSTOP] = 023,
	          [VSUSP] = 032,
	          [VREPRINT] = 022,
	          [VDISCARD] = 017,
	          [VWERASE] = 027,
	          [VLNEXT] = 026 },
	.c_ispeed = 38400,
	.c_ospeed = 38400,
};

void uk_tty_init(struct uk_tty *t, const struct uk_tty_ops *ops, unsigned index)
{
	t->ops = ops;
	t->tio = std_termios;
	t->index = index;
	t->next = ttys;
	ttys = t;
}

void uk_tty_forget(struct uk_tty *t)
{
	for (struct uk_tty **pp = &ttys; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
}

/* ---- sessions and process groups ---- */

static struct uk_tty *session_tty(const struct uk_proc *p)
{
	if (p->tty_none)
		return NULL;
	for (struct uk_tty *t = ttys; t; t = t->next)
		if (t->sid == p->sid)
			return t;
	return NULL;
}

struct uk_tty *uk_tty_ctty(void) { return session_tty(uk_proc_cur); }

int uk_tty_of_session(int sid, unsigned *tty_nr, int *tpgid)
{
	for (struct uk_tty *t = ttys; t; t = t->next) {
		if (sid && t->sid == sid) {
			*tty_nr = (unsigned)uk_tty_pts_dev(t->index);
			*tpgid = t->pgrp ? t->pgrp : -1;
			return 1;
		}
	}
	return 0;
}

/* Whether the group has a living member in session sid. */
static int pgrp_in_session(int pgrp, int sid)
{
	for (struct uk_proc *q = uk_procs; q; q = q->all_next)
		if (q->pgid == pgrp && q->sid == sid && q->state == UK_P_ALIVE)
			return 1;
	return 0;
}

/* A signal from the terminal. Process 1 takes only the ones it handles,
 * as a container's init. */
static void signal_proc(struct uk_proc *q, int sig)
{
	if (q->state == UK_P_ALIVE &&
	    (q->pid != 1 || q->sig_actions[sig].handler != (uint64_t)SIG_DFL))
		uk_proc_signal(q, sig, UK_SI_KERNEL, 0);
}

/* ... to each member of a group, the caller last (its default action may
 * end it here). */
static void signal_pgrp(int pgrp, int sig)
{
	int self = 0;

	for (struct uk_proc *q = uk_procs; q; q = q->all_next) {
		if (q->pgid != pgrp)
			continue;
		if (q == uk_proc_cur)
			self = 1;
		else
			signal_proc(q, sig);
	}
	if (self)
		signal_proc(uk_proc_cur, sig);
}

/* The session loses t: its members have no controlling terminal now. */
static void drop_session(struct uk_tty *t)
{
	for (struct uk_proc *q = uk_procs; q; q = q->all_next)
		if (t->sid && q->sid == t->sid)
			q->tty_none = 1;
	t->sid = t->pgrp = 0;
}

static void take_as_ctty(struct uk_tty *t, struct uk_proc *p)
{
	t->sid = p->sid;
	t->pgrp = p->pgid;
	p->tty_none = 0;
}

/* Whether p has a controlling terminal: one of these, or the console,
 * which is process 1's session's (and any not left by setsid) when the
 * host gave a terminal. */
static int has_ctty(const struct uk_proc *p)
{
	return session_tty(p) || (!p->tty_none && uk_console_isatty(0));
}

void uk_tty_opened(struct uk_tty *t, unsigned flags)
{
	struct uk_proc *p = uk_proc_cur;

	if (!(flags & O_NOCTTY) && p->pid == p->sid && !t->sid && !has_ctty(p))
		take_as_ctty(t, p);
}

void uk_tty_leader_exit(struct uk_proc *p)
{
	for (struct uk_tty *t = ttys; t; t = t->next) {
		if (t->sid == p->sid) {
			if (t->pgrp)
				signal_pgrp(t->pgrp, SIGHUP);
			drop_session(t);
			return;
		}
	}
}

void uk_tty_hangup(struct uk_tty *t)
{
	struct uk_proc *leader = t->sid ? uk_proc_find(t->sid) : NULL;

	if (t->hung)
		return;
	t->hung = 1;
	t->head = t->commit = t->tail;
	drop_session(t);
	if (leader) {
		signal_proc(leader, SIGHUP);
		signal_proc(leader, SIGCONT);
	}
	uk_wq_wake(&t->iwq, -1);
	uk_wq_wake(&t->owq, -1);
	uk_wq_wake(&t->inroom, -1);
}

static int sig_refused(int sig)
{
	return uk_proc_cur->sig_actions[sig].handler == (uint64_t)SIG_IGN ||
	       (uk_current->sig_blocked & SIGBIT(sig));
}

/* The job-control check before a read (SIGTTIN) or a write or change
 * (SIGTTOU) by the caller: 0 to go ahead, else the call's error. */
static int job_check(struct uk_tty *t, int sig)
{
	struct uk_proc *p = uk_proc_cur;

	if (!t->sid || t->sid != p->sid || p->tty_none || !t->pgrp || p->pgid == t->pgrp)
		return 0;
	if (sig_refused(sig))
		return sig == SIGTTIN ? -EIO : 0;
	if (p->pid == 1 || uk_pgrp_orphaned(p->pgid))
		return -EIO;
	signal_pgrp(p->pgid, sig);
	return -EINTR;
}

/* ---- output ---- */

static void column_after(struct uk_tty *t, unsigned char c)
{
	if (c == '\r' || (c == '\n' && OF(t, ONLRET)))
		t->column = 0;
	else if (c == '\t')
		t->column = (t->column | 7) + 1;
	else if (c == '\b')
		t->column -= t->column > 0;
	else if (c >= 32 && c != 0177)
		t->column++;
}

/* One byte through output processing: 0 when the driver has no room
 * (nothing was sent). */
static int out_byte(struct uk_tty *t, unsigned char c)
{
	static const char crlf[2] = { '\r', '\n' };

	if (OF(t, OPOST)) {
		if (c == '\n' && OF(t, ONLCR)) {
			if (t->ops->room(t) < 2)
				return 0;
			t->ops->put(t, crlf, 2);
			t->column = 0;
			return 1;
		}
		if (c == '\r' && OF(t, ONOCR) && t->column == 0)
			return 1;
		if (c == '\r' && OF(t, OCRNL))
			c = '\n';
	}
	if (!t->ops->room(t))
		return 0;
	t->ops->put(t, (const char *)&c, 1);
	column_after(t, c);
	return 1;
}

static void echo_str(struct uk_tty *t, const char *s)
{
	while (*s && out_byte(t, (unsigned char)*s))
		s++;
}

/* c as echo shows it: a control character as ^X under ECHOCTL. */
static void echo_byte(struct uk_tty *t, unsigned char c)
{
	if (LF(t, ECHOCTL) && (c < 32 || c == 0177) && c != '\t' && c != '\n') {
		char s[3] = { '^', (char)(c ^ 0100), 0 };
		echo_str(t, s);
		return;
	}
	out_byte(t, c);
}

/* ---- input ---- */

static int bit(const uint8_t *m, uint64_t pos)
{
	pos &= MASK;
	return (m[pos >> 3] >> (pos & 7)) & 1;
}

static void set_bit(uint8_t *m, uint64_t pos, int on)
{
	pos &= MASK;
	m[pos >> 3] = (uint8_t)((m[pos >> 3] & ~(1u << (pos & 7))) | ((unsigned)!!on << (pos & 7)));
}

static void store(struct uk_tty *t, unsigned char c, int delim, int eof)
{
	t->buf[t->tail & MASK] = (char)c;
	set_bit(t->delim, t->tail, delim);
	set_bit(t->eof, t->tail, eof);
	t->tail++;
	if (delim || !LF(t, ICANON))
		t->commit = t->tail;
	uk_wq_wake(&t->iwq, -1);
}

/* The ring has room again: the driver's queued input comes in, and its
 * writers may go on. */
static void input_room(struct uk_tty *t)
{
	if (t->ops->input_room)
		t->ops->input_room(t);
	uk_wq_wake(&t->inroom, -1);
}

static void flush_input(struct uk_tty *t)
{
	t->head = t->commit = t->tail;
	t->lnext = 0;
	input_room(t);
}

/* TCIFLUSH, TCSAFLUSH: also what the driver queued (Linux flushes the
 * flip buffers with the line discipline; ISIG's flush does not). */
static void flush_all_input(struct uk_tty *t)
{
	if (t->ops->input_flush)
		t->ops->input_flush(t);
	flush_input(t);
}

static int is_ctrl(unsigned char c) { return c < 32 || c == 0177; }

/* With IUTF8, a UTF-8 character's continuation bytes: they are erased
 * with it and take no column. */
static int continuation(const struct uk_tty *t, unsigned char c)
{
	return IF(t, IUTF8) && (c & 0xc0) == 0x80;
}

/* Back over an erased tab: to the column it started at, from the
 * columns of what is left of the line since the tab before it (or since
 * the line's start, which began at canon_column). */
static void echo_erase_tab(struct uk_tty *t)
{
	unsigned cols = 0, back;
	uint64_t i = t->tail;

	while (i > t->commit) {
		unsigned char c = (unsigned char)t->buf[--i & MASK];
		if (c == '\t')
			break;
		if (is_ctrl(c))
			cols += LF(t, ECHOCTL) ? 2 : 0;
		else if (!continuation(t, c))
			cols++;
		if (i == t->commit)
			cols += (unsigned)t->canon_column;
	}
	if (t->tail == t->commit)
		cols = (unsigned)t->canon_column;
	for (back = 8 - (cols & 7); back--;)
		out_byte(t, '\b');
}

/* The erased character c (which: ERASE, WERASE or KILL) as echo takes
 * it back. */
static void echo_erase(struct uk_tty *t, int which, unsigned char c)
{
	if (!LF(t, ECHO))
		return;
	if (which == VERASE && !LF(t, ECHOE)) {
		echo_byte(t, CC(t, VERASE));
		return;
	}
	if (c == '\t') {
		echo_erase_tab(t);
		return;
	}
	if (is_ctrl(c) && LF(t, ECHOCTL))
		echo_str(t, "\b \b");
	if (!is_ctrl(c) || LF(t, ECHOCTL))
		echo_str(t, "\b \b");
}

static int word_char(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '_';
}

/* ERASE, WERASE or KILL (which) on the line being edited. */
static void erase(struct uk_tty *t, int which)
{
	int seen_word = 0;

	if (which == VKILL && (!LF(t, ECHO) || !LF(t, ECHOK) || !LF(t, ECHOKE) || !LF(t, ECHOE))) {
		t->tail = t->commit;
		if (LF(t, ECHO)) {
			echo_byte(t, CC(t, VKILL));
			if (LF(t, ECHOK))
				out_byte(t, '\n');
		}
		return;
	}
	while (t->tail > t->commit) {
		uint64_t at = t->tail;
		unsigned char c;
		do /* one character, a UTF-8 one whole */
			c = (unsigned char)t->buf[--at & MASK];
		while (continuation(t, c) && at > t->commit);
		if (continuation(t, c))
			break; /* (never a part of one) */
		if (which == VWERASE) {
			if (word_char(c))
				seen_word = 1;
			else if (seen_word)
				break;
		}
		t->tail = at;
		echo_erase(t, which, c);
		if (which == VERASE)
			break;
	}
}

/* INTR, QUIT or SUSP: the foreground group's signal. */
static void isig(struct uk_tty *t, int sig, unsigned char c)
{
	if (!LF(t, NOFLSH)) {
		flush_input(t);
		t->ops->flush(t);
		t->stopped = 0;
		uk_wq_wake(&t->owq, -1);
	}
	if (LF(t, ECHO))
		echo_byte(t, c);
	if (t->pgrp)
		signal_pgrp(t->pgrp, sig);
}

/* Whether the ring can take one more byte now: 1 yes, 0 the writer must
 * wait for a reader, -1 the byte is dropped (a canonical line that fills
 * the ring, which no reader can take: Linux keeps one place for the
 * line's end). */
static int room_for(const struct uk_tty *t, int delim)
{
	uint64_t held = t->tail - t->head;

	if (!LF(t, ICANON))
		return held < UK_TTY_BUF;
	if (held < UK_TTY_BUF - 1 || (delim && held < UK_TTY_BUF))
		return 1;
	return t->commit > t->head ? 0 : -1;
}

static int line_end(const struct uk_tty *t, unsigned char c)
{
	return c == '\n' || (c && (c == CC(t, VEOF) || c == CC(t, VEOL) ||
	                           (LF(t, IEXTEN) && c == CC(t, VEOL2))));
}

/* Canonical mode's special characters: 1 when c was one (and is done). */
static int canon_special(struct uk_tty *t, unsigned char c)
{
	if (c == CC(t, VERASE) || c == CC(t, VKILL) || (LF(t, IEXTEN) && c == CC(t, VWERASE))) {
		erase(t, c == CC(t, VERASE) ? VERASE : c == CC(t, VKILL) ? VKILL : VWERASE);
		return 1;
	}
	if (LF(t, IEXTEN) && c == CC(t, VLNEXT)) {
		t->lnext = 1;
		if (LF(t, ECHO) && LF(t, ECHOCTL))
			echo_str(t, "^\b");
		return 1;
	}
	if (LF(t, IEXTEN) && LF(t, ECHO) && c == CC(t, VREPRINT)) {
		echo_byte(t, c);
		out_byte(t, '\n');
		for (uint64_t i = t->commit; i < t->tail; i++)
			echo_byte(t, (unsigned char)t->buf[i & MASK]);
		return 1;
	}
	return 0;
}

/* One input byte: 1 taken (or dropped), 0 no room (nothing done). */
static int receive_byte(struct uk_tty *t, unsigned char c)
{
	int canon = LF(t, ICANON), r;

	if (IF(t, ISTRIP))
		c &= 0x7f;
	if (t->lnext) {
		if ((r = room_for(t, 0)) == 0)
			return 0;
		t->lnext = 0;
		if (LF(t, ECHO) && LF(t, ECHOCTL))
			echo_str(t, "\b");
		goto literal;
	}
	if (IF(t, IXON) && c && (c == CC(t, VSTART) || c == CC(t, VSTOP))) {
		t->stopped = c == CC(t, VSTOP) && !(c == CC(t, VSTART) && t->stopped);
		uk_wq_wake(&t->owq, -1);
		return 1;
	}
	if (IF(t, IXON) && IF(t, IXANY) && t->stopped) {
		t->stopped = 0;
		uk_wq_wake(&t->owq, -1);
	}
	if (LF(t, ISIG) && c) {
		int sig = c == CC(t, VINTR)   ? SIGINT
		          : c == CC(t, VQUIT) ? SIGQUIT
		          : c == CC(t, VSUSP) ? SIGTSTP
		                              : 0;
		if (sig) {
			isig(t, sig, c);
			return 1;
		}
	}
	if (c == '\r') {
		if (IF(t, IGNCR))
			return 1;
		if (IF(t, ICRNL))
			c = '\n';
	} else if (c == '\n' && IF(t, INLCR)) {
		c = '\r';
	}
	if (canon && c && canon_special(t, c))
		return 1;
	if (canon && line_end(t, c)) {
		int eof = c == CC(t, VEOF) && c != '\n';
		if (!room_for(t, 1))
			return 0;
		if (c == '\n' ? LF(t, ECHO) || LF(t, ECHONL) : LF(t, ECHO) && !eof)
			echo_byte(t, c);
		store(t, c, 1, eof);
		return 1;
	}
	r = room_for(t, 0);
literal:
	if (r == 0)
		return 0;
	if (r < 0) { /* (a line past the ring: Linux echoes what it cannot keep) */
		if (LF(t, ECHO))
			echo_byte(t, c);
		return 1;
	}
	if (LF(t, ECHO)) {
		if (canon && t->tail == t->commit)
			t->canon_column = t->column; /* (where erasing a tab goes back to) */
		echo_byte(t, c);
	}
	store(t, c, 0, 0);
	return 1;
}

size_t uk_tty_receive(struct uk_tty *t, const char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n && !t->hung; i++)
		if (!receive_byte(t, (unsigned char)buf[i]))
			break;
	return t->hung ? n : i; /* (a hung-up terminal takes and drops input) */
}

void uk_tty_output_room(struct uk_tty *t) { uk_wq_wake(&t->owq, -1); }

size_t uk_tty_readable(const struct uk_tty *t)
{
	return (size_t)((LF(t, ICANON) ? t->commit : t->tail) - t->head);
}

/* ---- reading ---- */

/* Up to one line: its end (a newline, EOL) is returned with it, an EOF
 * mark taken but not returned. */
static size_t canon_take(struct uk_tty *t, char *buf, size_t len)
{
	size_t n = 0;

	while (t->head < t->commit && n < len) {
		uint64_t pos = t->head++;
		if (bit(t->eof, pos))
			break;
		buf[n++] = t->buf[pos & MASK];
		if (bit(t->delim, pos))
			break;
	}
	input_room(t);
	return n;
}

static size_t raw_take(struct uk_tty *t, char *buf, size_t len)
{
	size_t n = 0;

	while (t->head < t->tail && n < len)
		buf[n++] = t->buf[t->head++ & MASK];
	t->commit = t->tail;
	if (n)
		input_room(t);
	return n;
}

static int nonblock(const struct uk_file *f) { return f && (f->flags & O_NONBLOCK); }

static long canon_read(struct uk_tty *t, struct uk_file *f, char *buf, size_t len)
{
	int r;

	for (;;) {
		if (t->hung)
			return 0;
		if (t->commit > t->head)
			return (long)canon_take(t, buf, len);
		if (!LF(t, ICANON))
			return -EAGAIN; /* (the mode changed: the caller reads raw) */
		if (nonblock(f))
			return -EAGAIN;
		r = uk_wait_event(&t->iwq, t->commit > t->head || t->hung || !LF(t, ICANON), 0);
		if (r)
			return r;
	}
}

/* VMIN and VTIME (tenths of a second): MIN bytes, the timer running
 * between bytes once one came; MIN 0: whatever came before the timer
 * ran out from the start, or what is there now (TIME 0). */
static long raw_read(struct uk_tty *t, struct uk_file *f, char *buf, size_t len)
{
	size_t min = CC(t, VMIN), got = 0;
	uint64_t time = CC(t, VTIME) * 100000000ull, deadline = 0;
	int r;

	if (!min && time)
		deadline = uk_monotonic_ns() + time;
	for (;;) {
		size_t n = raw_take(t, buf + got, len - got);
		got += n;
		if (n && min && time)
			deadline = uk_monotonic_ns() + time;
		if (got == len || (min && got >= min) || (!min && got) || (!min && !time) ||
		    t->hung)
			return (long)got;
		if (nonblock(f))
			return got ? (long)got : -EAGAIN;
		r = uk_wait_event(&t->iwq, t->tail > t->head || t->hung || LF(t, ICANON), deadline);
		if (r == -ETIMEDOUT || LF(t, ICANON))
			return (long)got;
		if (r)
			return got ? (long)got : r;
	}
}

long uk_tty_read(struct uk_tty *t, struct uk_file *f, char *buf, size_t len)
{
	long r;

	if ((r = job_check(t, SIGTTIN)))
		return r;
	if (!len)
		return 0;
	if (LF(t, ICANON) && (r = canon_read(t, f, buf, len)) != -EAGAIN)
		return r;
	if (LF(t, ICANON))
		return r; /* (O_NONBLOCK and no line) */
	return raw_read(t, f, buf, len);
}

/* ---- writing ---- */

long uk_tty_write(struct uk_tty *t, struct uk_file *f, const char *buf, size_t len)
{
	size_t done = 0;
	int r;

	if (t->hung)
		return -EIO;
	if (LF(t, TOSTOP) && (r = job_check(t, SIGTTOU)))
		return r;
	while (done < len) {
		if (!t->stopped && !OF(t, OPOST)) {
			size_t n = t->ops->room(t);
			if (n > len - done)
				n = len - done;
			t->ops->put(t, buf + done, n);
			done += n;
			if (n)
				continue;
		} else if (!t->stopped && out_byte(t, (unsigned char)buf[done])) {
			done++;
			continue;
		}
		if (nonblock(f))
			return done ? (long)done : -EAGAIN;
		r = uk_wait_event(&t->owq, (!t->stopped && t->ops->room(t) >= 2) || t->hung, 0);
		if (t->hung)
			return done ? (long)done : -EIO;
		if (r)
			return done ? (long)done : r;
	}
	return (long)done;
}

/* ---- poll ---- */

unsigned uk_tty_poll(struct uk_tty *t, struct uk_poll_table *pt)
{
	unsigned mask = 0;
	size_t want = 1;

	uk_poll_wait(pt, &t->iwq);
	uk_poll_wait(pt, &t->owq);
	if (t->hung)
		return EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM | EPOLLERR | EPOLLHUP;
	if (!LF(t, ICANON) && CC(t, VMIN) && !CC(t, VTIME))
		want = CC(t, VMIN); /* (as Linux: ready once a read would not wait) */
	if (uk_tty_readable(t) >= want || (LF(t, ICANON) && t->commit > t->head))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (!t->stopped && t->ops->room(t))
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}

/* ---- ioctl ---- */

static void set_termios(struct uk_tty *t, const struct termios2 *n)
{
	int was_canon = LF(t, ICANON);

	t->tio = *n;
	if (was_canon && !LF(t, ICANON)) {
		t->commit = t->tail; /* the line being edited is input now */
	} else if (!was_canon && LF(t, ICANON) && t->tail > t->head) {
		set_bit(t->delim, t->tail - 1, 1); /* what came raw reads as a line */
		t->commit = t->tail;
	}
	if (!IF(t, IXON))
		t->stopped = 0;
	uk_wq_wake(&t->iwq, -1);
	uk_wq_wake(&t->owq, -1);
	input_room(t);
}

static long termios_ioctl(struct uk_tty *t, unsigned long req, void *arg, int master)
{
	struct termios2 n = t->tio;
	long r;

	if (!arg)
		return -EFAULT;
	switch (req) {
	case TCGETS: uk_memcpy(arg, &t->tio, sizeof(struct termios)); return 0;
	case TCGETS2: uk_memcpy(arg, &t->tio, sizeof(struct termios2)); return 0;
	}
	if (!master && (r = job_check(t, SIGTTOU)))
		return r;
	if (req == TCSETS || req == TCSETSW || req == TCSETSF)
		uk_memcpy(&n, arg, sizeof(struct termios));
	else
		uk_memcpy(&n, arg, sizeof(struct termios2));
	if (req == TCSETSF || req == TCSETSF2)
		flush_all_input(t);
	set_termios(t, &n);
	return 0;
}

static long set_winsize(struct uk_tty *t, const struct winsize *ws)
{
	if (!ws)
		return -EFAULT;
	if (!uk_memcmp(&t->ws, ws, sizeof(*ws)))
		return 0;
	t->ws = *ws;
	if (t->pgrp)
		signal_pgrp(t->pgrp, SIGWINCH);
	return 0;
}

static long flush_ioctl(struct uk_tty *t, unsigned long how)
{
	if (how > TCIOFLUSH)
		return -EINVAL;
	if (how == TCIFLUSH || how == TCIOFLUSH)
		flush_all_input(t);
	if (how == TCOFLUSH || how == TCIOFLUSH) {
		t->ops->flush(t);
		uk_wq_wake(&t->owq, -1);
	}
	return 0;
}

static long xonc(struct uk_tty *t, unsigned long how)
{
	switch (how) {
	case TCOOFF: t->stopped = 1; return 0;
	case TCOON:
		t->stopped = 0;
		uk_wq_wake(&t->owq, -1);
		return 0;
	case TCIOFF:
	case TCION: {
		char c = (char)CC(t, how == TCIOFF ? VSTOP : VSTART);
		if (c && t->ops->room(t))
			t->ops->put(t, &c, 1);
		return 0;
	}
	}
	return -EINVAL;
}

/* TIOCSCTTY: the caller, a session leader without a controlling
 * terminal, takes t; root may take it from another session (arg 1). */
static long set_ctty(struct uk_tty *t, unsigned long steal)
{
	struct uk_proc *p = uk_proc_cur;

	if (t->sid && t->sid == p->sid && !p->tty_none)
		return 0;
	if (p->pid != p->sid || has_ctty(p))
		return -EPERM;
	if (t->sid) {
		if (steal != 1 || !uk_capable(CAP_SYS_ADMIN))
			return -EPERM;
		drop_session(t);
	}
	take_as_ctty(t, p);
	return 0;
}

/* TIOCNOTTY: a session's leader gives the terminal up for its session
 * (its foreground group is hung up), another member only for itself. */
static long give_up_ctty(struct uk_tty *t)
{
	struct uk_proc *p = uk_proc_cur;
	int pgrp = t->pgrp;

	if (session_tty(p) != t)
		return -ENOTTY;
	if (p->pid != p->sid) {
		p->tty_none = 1;
		return 0;
	}
	drop_session(t);
	if (pgrp) {
		signal_pgrp(pgrp, SIGHUP);
		signal_pgrp(pgrp, SIGCONT);
	}
	return 0;
}

static long set_pgrp(struct uk_tty *t, const int *arg)
{
	struct uk_proc *p = uk_proc_cur;
	long r;

	if (!arg)
		return -EFAULT;
	if ((r = job_check(t, SIGTTOU)))
		return r;
	if (session_tty(p) != t)
		return -ENOTTY;
	if (*arg < 0)
		return -EINVAL;
	if (!pgrp_in_session(*arg, p->sid))
		return uk_proc_find(*arg) || pgrp_in_session(*arg, 0) ? -EPERM : -ESRCH;
	t->pgrp = *arg;
	return 0;
}

/* TIOCSTI: a byte as if typed, as Linux 6.1 allows it (later ones may
 * refuse it unless dev.tty.legacy_tiocsti): into the caller's own
 * controlling terminal, or any with CAP_SYS_ADMIN. Through a master it is
 * the master's input, which its reads take: the terminal's output here. */
static long simulate_input(struct uk_tty *t, const char *c, int master)
{
	if (!c)
		return -EFAULT;
	if ((master || session_tty(uk_proc_cur) != t) && !uk_capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (master) {
		if (t->ops->room(t))
			t->ops->put(t, c, 1);
	} else {
		uk_tty_receive(t, c, 1); /* (dropped without room, as Linux's) */
	}
	return 0;
}

/* What a request names as an int: the value itself (TCFLSH, TCXONC,
 * TIOCSCTTY) or the int it points at. */
static unsigned long int_arg(void *arg) { return (unsigned long)arg; }

static long ctty_ioctl(struct uk_tty *t, unsigned long req, void *arg, int master)
{
	int mine = master || session_tty(uk_proc_cur) == t;

	switch (req) {
	/* (through the master, as Linux: its slave becomes the caller's
	 * terminal, its foreground group is set; the master itself is never
	 * a controlling terminal to give up) */
	case TIOCSCTTY: return set_ctty(t, int_arg(arg));
	case TIOCNOTTY: return master ? -ENOTTY : give_up_ctty(t);
	case TIOCSPGRP: return set_pgrp(t, arg);
	case TIOCGPGRP:
		if (!mine)
			return -ENOTTY;
		*(int *)arg = t->pgrp;
		return 0;
	case TIOCGSID:
		if (!mine || !t->sid)
			return -ENOTTY;
		*(int *)arg = t->sid;
		return 0;
	}
	return -ENOTTY;
}

long uk_tty_ioctl(struct uk_tty *t, struct uk_file *f, unsigned long req, void *arg, int master)
{
	long r;

	switch (req) {
	case TCGETS:
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
	case TCGETS2:
	case TCSETS2:
	case TCSETSW2:
	case TCSETSF2: return termios_ioctl(t, req, arg, master);
	case TIOCGWINSZ:
		if (!arg)
			return -EFAULT;
		*(struct winsize *)arg = t->ws;
		return 0;
	case TIOCSWINSZ: return set_winsize(t, arg);
	case FIONREAD: *(int *)arg = (int)uk_tty_readable(t); return 0;
	case TIOCOUTQ: *(int *)arg = (int)t->ops->pending(t); return 0;
	case TCFLSH:
		if (!master && (r = job_check(t, SIGTTOU)))
			return r;
		return flush_ioctl(t, int_arg(arg));
	case TCSBRK:
	case TCSBRKP: return 0; /* output is with the driver already: nothing to drain */
	case TCXONC: return xonc(t, int_arg(arg));
	case TIOCSTI: return simulate_input(t, arg, master);
	case TIOCEXCL: t->exclusive = 1; return 0;
	case TIOCNXCL: t->exclusive = 0; return 0;
	case TIOCGEXCL: *(int *)arg = t->exclusive; return 0;
	case TIOCGETD: *(int *)arg = N_TTY; return 0;
	case TIOCSETD:
		if (*(int *)arg == N_TTY)
			return 0;
		uk_trace_note("ioctl(TIOCSETD): only the N_TTY line discipline is here");
		return -EINVAL;
	}
	return ctty_ioctl(t, req, arg, master);
}
