/*
 * `ukrun exec`: processes started in the running VM (UK_HC_EXEC in
 * uk/abi.h), the monitor's side. The OCI runtime's VM listens on
 * ROOT/ID/exec.sock; a caller (`ukrun exec`, oci_exec.c) sends what to run
 * with its own stdin, stdout and stderr, and gets back the process's start
 * and its wait status, as runc's exec gives them.
 *
 * Decisions, and why:
 *  - Hypercalls, not a virtio device: an exec moves little data (a
 *    command's output), so one port write per read or write costs
 *    nothing that matters, and the guest's side is a few calls instead
 *    of a driver with queues (libos/virtio/host_exec.c). The host never
 *    blocks on the guest's behalf: an operation that would wait says
 *    -EAGAIN, and the thread it waits for raises the pin once it would
 *    not.
 *  - The caller's descriptors themselves (SCM_RIGHTS), not a relay in
 *    the caller: the process writes into conmon's pipes or the terminal
 *    as runc's does, and a caller that goes away (exec --detach returns
 *    at once) leaves the process running with them (runc's too).
 *  - The vCPU thread never touches them: a write to a terminal stopped
 *    by ^S, or nearly full, blocks however it was polled first (a tty
 *    writes all or waits), and so would a read raced by another reader.
 *    Each descriptor has a pump, a thread of its own that alone reads or
 *    writes it, blocking as long as the descriptor wants; the vCPU only
 *    copies into or out of the pump's buffer (64 KiB), and what would
 *    wait for the pump says -EAGAIN. The caller's open files are never
 *    made non-blocking (that would change them for the caller too).
 *    Stdin's pump reads only what the guest asked for (a read or a
 *    poll), so input the process never wanted stays for the caller.
 *    The exit status goes back once the output pumps have written all
 *    the process wrote, as runc's process's writes would have ended
 *    before its exit; with the caller gone too, output nobody takes for
 *    DRAIN_MS is dropped, so that a session's slot is not held for
 *    ever. Terminal requests go to descriptors the pumps found to be
 *    terminals. SIGPIPE is ignored: a reader gone is EPIPE for
 *    the guest, not the VM's end.
 *  - Only the uid ukrun runs as (SO_PEERCRED) may connect, as only it
 *    could ptrace or signal the VM anyway; the socket is 0600 too.
 *  - Sessions are numbered slot | generation << 8, so a stream file left
 *    in the guest by a finished session (a background child's stdout)
 *    reaches nobody else's.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/kvm.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "vmm.h"

#define EXEC_MAX 16          /* sessions at once: new, queued, running or ending */
#define PUMP_BUF (64u << 10) /* bytes between the guest and one descriptor */
#define PUMP_STACK (64u << 10)
#define DRAIN_MS 10000 /* output left once the process and its caller are gone */

enum state { S_FREE, S_NEW, S_QUEUED, S_RUNNING, S_ENDING };

struct session;

/* One of the caller's descriptors and the thread that alone reads or
 * writes it. Its fields are under ex.lock; buf[head, head + len) (a ring)
 * are the bytes on their way, which only the pump touches while it
 * writes them, unlocked. */
struct pump {
	struct session *s;
	int fd;
	int running; /* its thread runs */
	uint8_t *buf;
	uint32_t head, len;
	uint32_t want; /* stdin: bytes the guest waits for; output: it waits for room */
	int err;       /* -errno of the descriptor, for the guest's next call */
	int eof;       /* stdin: at its end (said once, as a tty's ^D) */
	int tty;       /* a terminal: 1, not: 0, not yet known: -1 (pump_known) */
	pthread_cond_t cv;
};

struct session {
	enum state state;
	uint32_t id;
	int sock;            /* the caller's connection, -1 once it left */
	struct pump pump[3]; /* its stdin, stdout, stderr */
	int cancel;          /* eventfd: ends stdin's pump's wait (the slot's own) */
	int status, exited;  /* the wait status, once the process ended */
	uint32_t signals;    /* the caller's for the process, not yet taken (bit n: n) */
	uint8_t *spec;       /* the request, until the guest takes it */
	uint32_t spec_len;
	unsigned long seq; /* arrival order */
};

/* ex.s[EXEC_MAX] is kept for a `kill --all`: it needs no session, and
 * comes when the others are busy as well (16 execs running). */
static struct {
	pthread_mutex_t lock;
	int listen, wake, irq; /* the socket; this thread's eventfd; the pin's irqfd */
	uid_t owner;
	uint32_t kill_all; /* `ukrun kill --all`'s signals, not yet taken */
	unsigned gen;
	unsigned long seq;
	struct session s[EXEC_MAX + 1];
} ex = { .lock = PTHREAD_MUTEX_INITIALIZER, .listen = -1, .wake = -1, .irq = -1 };

static void wake_thread(void)
{
	uint64_t one = 1;

	if (write(ex.wake, &one, sizeof(one)) < 0)
		vmm_err("exec: waking its thread: %s", strerror(errno));
}

static void raise_pin(void)
{
	uint64_t one = 1;

	if (write(ex.irq, &one, sizeof(one)) < 0)
		vmm_err("exec: raising the guest's interrupt: %s", strerror(errno));
}

static void reply(struct session *s, int kind, int value, int what)
{
	struct vmm_exec_reply r = { kind, value, what };

	if (s->sock >= 0 && send(s->sock, &r, sizeof(r), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		close(s->sock); /* gone, or not reading: it misses the rest */
		s->sock = -1;
	}
}

/* The slot back, once no pump runs. */
static void session_free(struct session *s)
{
	int cancel = s->cancel;
	uint64_t v;

	if (s->sock >= 0)
		close(s->sock);
	for (int i = 0; i < 3; i++) {
		if (s->pump[i].fd >= 0)
			close(s->pump[i].fd);
		free(s->pump[i].buf);
		pthread_cond_destroy(&s->pump[i].cv);
	}
	free(s->spec);
	memset(s, 0, sizeof(*s));
	s->sock = s->pump[0].fd = s->pump[1].fd = s->pump[2].fd = -1;
	s->cancel = cancel;
	if (read(cancel, &v, sizeof(v)) < 0) {
		/* not cancelled: nothing to drain */
	}
	wake_thread(); /* its connection leaves the poll set */
}

/* The session is over: its pumps stop (output ones once they wrote what
 * they hold), then the caller learns the status, if it ended. */
static void session_end(struct session *s)
{
	uint64_t one = 1;
	int running = 0;

	s->state = S_ENDING;
	for (int i = 0; i < 3; i++) {
		pthread_cond_signal(&s->pump[i].cv);
		running |= s->pump[i].running;
	}
	if (write(s->cancel, &one, sizeof(one)) < 0)
		vmm_err("exec: stopping a session's stdin: %s", strerror(errno));
	if (running)
		return; /* the last pump to stop comes back here */
	if (s->exited)
		reply(s, VMM_EXEC_EXITED, s->status, 0);
	session_free(s);
}

static struct session *session_of(uint32_t id)
{
	struct session *s;

	if ((id & 0xff) >= EXEC_MAX)
		return NULL;
	s = &ex.s[id & 0xff];
	return s->state == S_RUNNING && s->id == id ? s : NULL;
}

/* ---- the pumps (a thread each) ---- */

static void pump_stopped(struct pump *p)
{
	p->running = 0;
	if (p->s->state == S_ENDING)
		session_end(p->s);
}

/* Whether the guest may have the session: its three descriptors known to
 * be terminals or not. */
static int session_known(const struct session *s)
{
	return s->pump[0].tty >= 0 && s->pump[1].tty >= 0 && s->pump[2].tty >= 0;
}

/* Whether the descriptor is a terminal, asked here, on the pump's thread:
 * isatty of a caller's odd descriptor (a CUSE device's, whose ioctls go to
 * a program) may wait, and the vCPU must not. op_tty asks only a known
 * terminal, and op_next hands out a session only once its three are
 * known. */
static void pump_known(struct pump *p)
{
	int tty = isatty(p->fd);

	pthread_mutex_lock(&ex.lock);
	p->tty = tty;
	if (p->s->state == S_QUEUED && session_known(p->s))
		raise_pin(); /* its NEXT said -EAGAIN */
	pthread_mutex_unlock(&ex.lock);
}

/* Until the descriptor takes bytes: 1. 0: look at the session again (it
 * ended; once it has, each second, for its caller's going). -1: nobody
 * took them for DRAIN_MS after the process and its caller had gone, so
 * that a reader that never reads holds no slot for ever. */
static int out_wait(struct pump *p, int ending, double drop_at)
{
	struct pollfd pf[2] = { { p->fd, POLLOUT, 0 }, { p->s->cancel, POLLIN, 0 } };
	double left = drop_at - vmm_now();
	int ms = !ending ? -1 : !drop_at ? 1000 : (int)(left * 1e3) + 1;

	if (ending && drop_at && left <= 0)
		return -1;
	/* (the session's cancel stays readable once it ended: not polled then) */
	return poll(pf, ending ? 1 : 2, ms) > 0 && pf[0].revents;
}

/* Output: what the guest wrote, to the descriptor, the rest once the
 * session ends, unless it failed. It never waits in a write: it waits in
 * poll until the descriptor takes bytes, then writes at most PIPE_BUF,
 * which a pipe with room takes at once, blocking or not (a terminal or a
 * socket might still hold a write: their owner's to release). */
static void *pump_out(void *arg)
{
	struct pump *p = arg;
	double drop_at = 0;

	pump_known(p);
	pthread_mutex_lock(&ex.lock);
	for (;;) {
		uint32_t n = PUMP_BUF - p->head < p->len ? PUMP_BUF - p->head : p->len;
		int ending = p->s->state == S_ENDING, ready;
		ssize_t w = -1;
		int e = EAGAIN;

		if (!n && !ending && !p->err) {
			pthread_cond_wait(&p->cv, &ex.lock);
			continue;
		}
		if (!n || p->err)
			break;
		if (ending && p->s->sock < 0 && !drop_at)
			drop_at = vmm_now() + DRAIN_MS / 1e3;
		pthread_mutex_unlock(&ex.lock);
		if ((ready = out_wait(p, ending, drop_at)) > 0) {
			w = write(p->fd, p->buf + p->head, n < PIPE_BUF ? n : PIPE_BUF);
			e = errno;
		}
		pthread_mutex_lock(&ex.lock);
		if (ready < 0) {
			p->err = -ETIMEDOUT, p->len = 0; /* dropped */
			continue;
		}
		if (w < 0 && (e == EAGAIN || e == EINTR))
			continue;
		if (w <= 0) {
			p->err = w ? -e : -EIO;
			p->len = 0;
		} else {
			p->head = (p->head + (uint32_t)w) % PUMP_BUF;
			p->len -= (uint32_t)w;
		}
		if (p->want) {
			p->want = 0;
			raise_pin();
		}
	}
	pump_stopped(p);
	pthread_mutex_unlock(&ex.lock);
	return NULL;
}

/* Stdin: once the guest asks, at most what it asked for; a read that
 * would wait waits here, until the session ends. */
static void *pump_in(void *arg)
{
	struct pump *p = arg;

	pump_known(p);
	pthread_mutex_lock(&ex.lock);
	for (;;) {
		struct pollfd pf[2] = { { p->fd, POLLIN, 0 }, { p->s->cancel, POLLIN, 0 } };
		uint32_t n = p->want;
		ssize_t r;
		int e;

		if (p->s->state == S_ENDING)
			break;
		if (!n || p->len || p->eof || p->err) {
			pthread_cond_wait(&p->cv, &ex.lock);
			continue;
		}
		pthread_mutex_unlock(&ex.lock);
		r = poll(pf, 2, -1);
		if (r > 0 && !pf[1].revents)
			r = read(p->fd, p->buf, n);
		else
			r = -1, errno = EINTR; /* cancelled: the loop's test ends it */
		e = errno;
		pthread_mutex_lock(&ex.lock);
		if (r < 0 && (e == EAGAIN || e == EINTR))
			continue;
		p->head = 0;
		if (r > 0)
			p->len = (uint32_t)r;
		else if (r == 0)
			p->eof = 1;
		else
			p->err = -e;
		p->want = 0;
		raise_pin();
	}
	pump_stopped(p);
	pthread_mutex_unlock(&ex.lock);
	return NULL;
}

static int pumps_start(struct session *s)
{
	pthread_attr_t a;
	int err = 0;

	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, PUMP_STACK);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	for (int i = 0; i < 3 && !err; i++) {
		struct pump *p = &s->pump[i];
		pthread_t t;
		p->s = s;
		p->tty = -1;
		pthread_cond_init(&p->cv, NULL);
		if (!(p->buf = malloc(PUMP_BUF)))
			err = ENOMEM;
		else if (!(err = pthread_create(&t, &a, i ? pump_out : pump_in, p)))
			p->running = 1;
	}
	pthread_attr_destroy(&a);
	return -err;
}

/* ---- the hypercall (vCPU thread) ---- */

static int32_t op_next(struct vmm *vm, const struct uk_hc_exec *h)
{
	struct session *first = NULL;
	void *dst;

	for (int i = 0; i < EXEC_MAX; i++)
		if (ex.s[i].state == S_QUEUED && session_known(&ex.s[i]) &&
		    (!first || ex.s[i].seq < first->seq))
			first = &ex.s[i];
	if (!first)
		return -EAGAIN;
	if (h->len < first->spec_len)
		return -ENOSPC;
	if (!(dst = VMM_GPA(vm, h->data, first->spec_len)))
		return INT32_MIN;
	memcpy(dst, first->spec, first->spec_len);
	free(first->spec);
	first->spec = NULL;
	first->state = S_RUNNING;
	return (int32_t)first->id;
}

static int32_t op_read(struct session *s, uint8_t *dst, uint32_t len)
{
	struct pump *p = &s->pump[0];
	int32_t r;

	if (p->len) {
		uint32_t n = len < p->len ? len : p->len;
		memcpy(dst, p->buf + p->head, n);
		p->head += n, p->len -= n;
		return (int32_t)n;
	}
	if (p->eof || p->err) {
		r = p->err;
		p->eof = p->err = 0;
		return r;
	}
	p->want = len < PUMP_BUF ? len : PUMP_BUF;
	pthread_cond_signal(&p->cv);
	return -EAGAIN;
}

static int32_t op_write(struct session *s, int which, const uint8_t *src, uint32_t len)
{
	struct pump *p = &s->pump[which];
	uint32_t n = PUMP_BUF - p->len < len ? PUMP_BUF - p->len : len;
	uint32_t tail = (p->head + p->len) % PUMP_BUF;
	uint32_t first = PUMP_BUF - tail < n ? PUMP_BUF - tail : n;

	if (p->err)
		return p->err; /* -EPIPE: the reader is gone */
	if (!n) {
		p->want = 1;
		return -EAGAIN;
	}
	memcpy(p->buf + tail, src, first);
	memcpy(p->buf, src + first, n - first);
	p->len += n;
	pthread_cond_signal(&p->cv);
	return (int32_t)n;
}

static int32_t op_poll(struct session *s)
{
	struct pump *in = &s->pump[0];
	int32_t m = UK_EXEC_OUT;

	if (in->len || in->eof || in->err)
		m |= UK_EXEC_IN;
	else if (!in->want) { /* a read comes: what there is, from stdin's pump */
		in->want = PUMP_BUF;
		pthread_cond_signal(&in->cv);
	}
	for (int i = 1; i <= 2; i++)
		if (s->pump[i].len == PUMP_BUF && !s->pump[i].err)
			m &= ~UK_EXEC_OUT, s->pump[i].want = 1;
	return m;
}

/* A terminal request with SIGTTOU blocked on this (the vCPU) thread: were
 * the terminal ukrun's own controlling one, ukrun in a background group
 * (started with &), TCSETS would stop ukrun and the VM with it; blocked,
 * the change is made, as for the caller in the foreground, whose
 * descriptor and request it is. */
static int tty_ioctl(int fd, unsigned long req, void *arg)
{
	sigset_t ttou, old;
	int r;

	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	pthread_sigmask(SIG_BLOCK, &ttou, &old);
	r = ioctl(fd, req, arg) ? -errno : 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

/* The host terminal's own answer: these never wait for its reader (TCSETSW's
 * wait for output is not done: the pump may hold some yet). */
static int32_t op_tty(struct session *s, int which, uint32_t what, void *p, uint32_t len)
{
	static const unsigned long req[] = { [UK_TTY_GET] = TCGETS,
		                             [UK_TTY_SET] = TCSETS,
		                             [UK_TTY_SET_FLUSH] = TCSETS,
		                             [UK_TTY_GET_SIZE] = TIOCGWINSZ,
		                             [UK_TTY_SET_SIZE] = TIOCSWINSZ };
	int fd = s->pump[which].fd;

	if (what < UK_TTY_GET || what > UK_TTY_SET_SIZE ||
	    len !=
	        (what >= UK_TTY_GET_SIZE ? sizeof(struct uk_winsize) : sizeof(struct uk_termios)))
		return -EINVAL;
	if (s->pump[which].tty != 1)
		return -ENOTTY;
	if (what == UK_TTY_SET_FLUSH) {
		int r = tty_ioctl(fd, TCFLSH, (void *)TCIFLUSH);
		if (r)
			return r;
		s->pump[0].len = 0; /* read, not yet taken: dropped too */
	}
	return tty_ioctl(fd, req[what], p);
}

static int32_t op_signals(struct session *s)
{
	uint32_t *m = s ? &s->signals : &ex.kill_all, r = *m;

	*m = 0;
	return (int32_t)r;
}

static int32_t exec_op(struct vmm *vm, const struct uk_hc_exec *h)
{
	struct session *s;
	void *p = NULL;

	if (h->op == UK_EXEC_NEXT)
		return op_next(vm, h);
	if (h->len > UK_HC_IO_MAX) { /* (STARTED's len is a number, small) */
		vmm_guest_err(": exec operation %u of %u bytes", h->op, h->len);
		return INT32_MIN;
	}
	if ((h->op == UK_EXEC_READ || h->op == UK_EXEC_WRITE || h->op == UK_EXEC_TTY) &&
	    (!h->len || !(p = VMM_GPA(vm, h->data, h->len))))
		return h->len ? INT32_MIN : 0;
	if (h->op == UK_EXEC_SIGNALS && !h->session)
		return op_signals(NULL);
	if (!(s = session_of(h->session)))
		return -EBADF;
	switch (h->op) {
	case UK_EXEC_STARTED: reply(s, VMM_EXEC_STARTED, h->arg, (int)h->len); return 0;
	case UK_EXEC_READ: return op_read(s, p, h->len);
	case UK_EXEC_WRITE:
		if (h->arg != 1 && h->arg != 2)
			return -EINVAL;
		return op_write(s, h->arg, p, h->len);
	case UK_EXEC_POLL: return op_poll(s);
	case UK_EXEC_TTY:
		if (h->arg < 0 || h->arg > 2)
			return -EINVAL;
		return op_tty(s, h->arg, h->what, p, h->len);
	case UK_EXEC_SIGNALS: return op_signals(s);
	case UK_EXEC_EXIT:
		s->status = h->arg, s->exited = 1;
		session_end(s);
		return 0;
	}
	return -EINVAL;
}

int vmm_exec_io(struct vmm *vm, uint32_t gpa)
{
	struct uk_hc_exec *h = VMM_GPA(vm, gpa, sizeof(*h)), copy;
	int32_t r;

	if (!h)
		return -1;
	if (ex.listen < 0) {
		vmm_guest_err(": UK_HC_EXEC without an exec socket (no uk,exec-irq was given)");
		return -1;
	}
	memcpy(&copy, h, sizeof(copy)); /* read once: the guest may change it */
	pthread_mutex_lock(&ex.lock);
	r = exec_op(vm, &copy);
	pthread_mutex_unlock(&ex.lock);
	if (r == INT32_MIN)
		return -1;
	h->ret = r;
	return 0;
}

/* ---- callers (this file's thread) ---- */

static void accept_one(void)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd = accept4(ex.listen, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct session *s = NULL;

	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) || cred.uid != ex.owner) {
		close(fd); /* not the container's owner */
		return;
	}
	for (int i = 0; i <= EXEC_MAX && !s; i++) /* (the last: take_request) */
		if (ex.s[i].state == S_FREE)
			s = &ex.s[i];
	if (!s) {
		struct vmm_exec_reply r = { VMM_EXEC_REFUSED, -EAGAIN, 0 };
		if (send(fd, &r, sizeof(r), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
			/* it is told by the close */
		}
		close(fd);
		return;
	}
	s->state = S_NEW;
	s->sock = fd;
	s->id = (uint32_t)(s - ex.s) | (++ex.gen & 0xffffff) << 8;
}

/* A VMM_EXEC_KILL_ALL instead of a request: passed on, and done. */
static int kill_all(struct session *s, const uint8_t *buf, ssize_t n, int nfds)
{
	struct vmm_exec_msg m;

	if (n != sizeof(m) || nfds)
		return 0;
	memcpy(&m, buf, sizeof(m));
	if (m.kind != VMM_EXEC_KILL_ALL)
		return 0;
	if (m.value > 0 && m.value < 32) {
		ex.kill_all |= 1u << m.value;
		raise_pin();
	}
	reply(s, m.value > 0 && m.value < 32 ? VMM_EXEC_DONE : VMM_EXEC_REFUSED, -EINVAL, 0);
	session_free(s);
	return 1;
}

/* The caller's request and descriptors. */
static void take_request(struct session *s)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(3 * sizeof(int))];
	} c;
	uint8_t *buf = malloc(UK_EXEC_SPEC_MAX + 1);
	struct iovec iov = { buf, UK_EXEC_SPEC_MAX + 1 };
	struct msghdr m = { .msg_iov = &iov,
		            .msg_iovlen = 1,
		            .msg_control = c.buf,
		            .msg_controllen = sizeof(c.buf) };
	struct cmsghdr *cm;
	ssize_t n = buf ? recvmsg(s->sock, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) : -1;
	int nfds = 0;

	if (n < 0 && buf && (errno == EAGAIN || errno == EINTR)) {
		free(buf);
		return;
	}
	cm = n > 0 ? CMSG_FIRSTHDR(&m) : NULL;
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
		nfds = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (int i = 0; i < nfds && i < 3; i++)
			memcpy(&s->pump[i].fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
		for (int i = 3; i < nfds; i++) { /* more than asked for: closed */
			int extra;
			memcpy(&extra, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			close(extra);
		}
	}
	if (kill_all(s, buf, n, nfds)) {
		free(buf);
		return;
	}
	if (s == &ex.s[EXEC_MAX] && n > 0) { /* kept for kill --all: busy */
		reply(s, VMM_EXEC_REFUSED, -EAGAIN, 0);
		n = -1;
	}
	if (n <= 0 || nfds != 3 || (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    !vmm_exec_spec_ok(buf, (size_t)n)) {
		if (n > 0)
			reply(s, VMM_EXEC_REFUSED, -EINVAL, 0);
		free(buf);
		session_free(s);
		return;
	}
	s->spec = buf;
	s->spec_len = (uint32_t)n;
	s->seq = ++ex.seq;
	s->state = S_QUEUED;
	if (pumps_start(s)) {
		reply(s, VMM_EXEC_REFUSED, -EAGAIN, 0);
		session_end(s);
	}
}

/* The caller's connection has something: a request, or its end. */
static void caller_event(struct session *s)
{
	struct vmm_exec_msg m;
	ssize_t n;

	if (s->state == S_NEW) {
		take_request(s);
		return;
	}
	n = recv(s->sock, &m, sizeof(m), MSG_DONTWAIT); /* anything else: dropped */
	if (n == sizeof(m) && m.kind == VMM_EXEC_SIGNAL && m.value > 0 && m.value < 32) {
		s->signals |= 1u << m.value;
		raise_pin();
	}
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		if (s->state == S_QUEUED) { /* never started: nothing runs for it */
			session_end(s);
			return;
		}
		close(s->sock); /* running on without it, as runc's exec does */
		s->sock = -1;
	}
}

/* Poll set: the socket, the wake-up, and the callers' connections.
 * who[i]: the session. */
static int poll_set(struct pollfd *p, int *who)
{
	int n = 0;

	p[n++] = (struct pollfd){ ex.listen, POLLIN, 0 };
	p[n++] = (struct pollfd){ ex.wake, POLLIN, 0 };
	for (int i = 0; i <= EXEC_MAX; i++)
		if (ex.s[i].state != S_FREE && ex.s[i].sock >= 0) {
			who[n] = i;
			p[n++] = (struct pollfd){ ex.s[i].sock, POLLIN, 0 };
		}
	return n;
}

static void *exec_thread(void *arg)
{
	struct pollfd p[3 + EXEC_MAX];
	int who[3 + EXEC_MAX];

	(void)arg;
	for (;;) {
		int n, raise = 0;
		uint64_t v;

		pthread_mutex_lock(&ex.lock);
		n = poll_set(p, who);
		pthread_mutex_unlock(&ex.lock);
		if (poll(p, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			vmm_err("exec: poll: %s", strerror(errno));
			return NULL;
		}
		pthread_mutex_lock(&ex.lock);
		if (p[1].revents && read(ex.wake, &v, sizeof(v)) < 0) {
			/* a spurious wake-up: nothing to drain */
		}
		if (p[0].revents)
			accept_one();
		for (int i = 2; i < n; i++) {
			struct session *s = &ex.s[who[i]];
			if (!p[i].revents || s->state == S_FREE || s->sock != p[i].fd)
				continue;
			caller_event(s);
			raise |= s->state == S_QUEUED;
		}
		pthread_mutex_unlock(&ex.lock);
		if (raise)
			raise_pin();
	}
	return NULL;
}

/* ---- set-up ---- */

static int wire_pin(struct vmm *vm)
{
	struct kvm_irqfd irq = { .gsi = VMM_EXEC_PIN };

	if ((ex.irq = eventfd(0, EFD_CLOEXEC)) < 0 || (ex.wake = eventfd(0, EFD_CLOEXEC)) < 0)
		return -1;
	irq.fd = (uint32_t)ex.irq;
	return ioctl(vm->vm, KVM_IRQFD, &irq);
}

int vmm_exec_setup(struct vmm *vm, const char *path)
{
	struct sigaction ign = { .sa_handler = SIG_IGN };
	struct sockaddr_un sa;
	int fd = -1, dirfd;

	for (int i = 0; i <= EXEC_MAX; i++) { /* (nothing to close: not session_free) */
		struct session *s = &ex.s[i];
		s->sock = s->pump[0].fd = s->pump[1].fd = s->pump[2].fd = -1;
		if ((s->cancel = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
			vmm_err("exec: an eventfd: %s", strerror(errno));
			return -1;
		}
	}
	unlink(path);
	if (vmm_exec_addr(path, &sa, &dirfd) ||
	    (fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0 ||
	    fchmod(fd, 0600) || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, 0600) ||
	    listen(fd, EXEC_MAX)) {
		vmm_err("exec socket %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		if (dirfd >= 0)
			close(dirfd);
		return -1;
	}
	if (dirfd >= 0)
		close(dirfd);
	if (wire_pin(vm)) {
		vmm_err("exec: the guest's interrupt (pin %d): %s", VMM_EXEC_PIN, strerror(errno));
		close(fd);
		return -1;
	}
	ex.listen = fd;
	ex.owner = geteuid();
	sigaction(SIGPIPE, &ign, NULL); /* a caller's reader gone: EPIPE, not the VM's end */
	vm->needs |= VMM_NEED_EXEC | VMM_NEED_THREADS;
	return 0;
}

/* After the jail: capabilities, ids and namespaces are each thread's
 * own, and a thread made before them would keep the host's (its pumps
 * too); it needs none of them, only the socket bound before. */
int vmm_exec_start(struct vmm *vm)
{
	sigset_t all, old;
	pthread_t t;

	(void)vm;
	/* the signals ukrun takes are the vCPU's (its pumps inherit this);
	 * SIGSYS stays, for the seccomp handler's word */
	sigfillset(&all);
	sigdelset(&all, SIGSYS);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	errno = pthread_create(&t, NULL, exec_thread, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (errno) {
		vmm_err("exec: its thread: %s", strerror(errno));
		return -1;
	}
	pthread_detach(t);
	return 0;
}
