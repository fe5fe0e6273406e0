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
 *    -EAGAIN, and this file's thread raises the pin once it would not.
 *  - The caller's descriptors themselves (SCM_RIGHTS), not a relay: the
 *    process writes into conmon's pipes or the terminal as runc's does,
 *    and a caller that goes away leaves the process running (runc's too).
 *    They are never made non-blocking (that would change the caller's
 *    open file): sockets take MSG_DONTWAIT, anything else is polled
 *    first and written at most a pipe's atomic size, which then cannot
 *    block. SIGPIPE is ignored: a reader gone is EPIPE for the guest, not
 *    the VM's end.
 *  - Only the uid ukrun runs as (SO_PEERCRED) may connect, as only it
 *    could ptrace or signal the VM anyway; the socket is 0600 too.
 *  - Sessions are numbered slot | generation << 8, so a stream file left
 *    in the guest by a finished session (a background child's stdout)
 *    reaches nobody else's.
 */
#include <errno.h>
#include <fcntl.h>
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
#include <unistd.h>

#include "vmm.h"

#define EXEC_MAX 16     /* sessions at once: new, queued or running */
#define CHUNK_PIPE 4096 /* PIPE_BUF: a write after POLLOUT cannot block */

enum state { S_FREE, S_NEW, S_QUEUED, S_RUNNING };

struct session {
	enum state state;
	uint32_t id;
	int sock;       /* the caller's connection, -1 once it left */
	int fd[3];      /* its stdin, stdout, stderr */
	int is_sock[3]; /* fd[i] is a socket: MSG_DONTWAIT */
	int want_in;    /* the guest waits to read */
	int want_out;   /* ... or to write */
	uint8_t *spec;  /* the request, until the guest takes it */
	uint32_t spec_len;
	unsigned long seq; /* arrival order */
};

static struct {
	pthread_mutex_t lock;
	int listen, wake, irq; /* the socket; this thread's eventfd; the pin's irqfd */
	uid_t owner;
	unsigned gen;
	unsigned long seq;
	struct session s[EXEC_MAX];
} ex = { .lock = PTHREAD_MUTEX_INITIALIZER, .listen = -1, .wake = -1, .irq = -1 };

static void reply(struct session *s, int kind, int value, int what)
{
	struct vmm_exec_reply r = { kind, value, what };

	if (s->sock >= 0 && send(s->sock, &r, sizeof(r), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		close(s->sock); /* gone, or not reading: it misses the rest */
		s->sock = -1;
	}
}

static void session_free(struct session *s)
{
	if (s->sock >= 0)
		close(s->sock);
	for (int i = 0; i < 3; i++)
		if (s->fd[i] >= 0)
			close(s->fd[i]);
	free(s->spec);
	memset(s, 0, sizeof(*s));
	s->sock = s->fd[0] = s->fd[1] = s->fd[2] = -1;
}

static struct session *session_of(uint32_t id)
{
	struct session *s;

	if ((id & 0xff) >= EXEC_MAX)
		return NULL;
	s = &ex.s[id & 0xff];
	return s->state == S_RUNNING && s->id == id ? s : NULL;
}

/* ---- the hypercall (vCPU thread) ---- */

static void wake_thread(void)
{
	uint64_t one = 1;

	if (write(ex.wake, &one, sizeof(one)) < 0)
		vmm_err("exec: waking its thread: %s", strerror(errno));
}

static int ready(int fd, short ev)
{
	struct pollfd p = { fd, ev, 0 };

	return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

static int32_t op_next(struct vmm *vm, const struct uk_hc_exec *h)
{
	struct session *first = NULL;
	void *dst;

	for (int i = 0; i < EXEC_MAX; i++)
		if (ex.s[i].state == S_QUEUED && (!first || ex.s[i].seq < first->seq))
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

static int32_t op_read(struct session *s, uint8_t *p, uint32_t len)
{
	ssize_t n;

	if (s->is_sock[0])
		n = recv(s->fd[0], p, len, MSG_DONTWAIT);
	else if (ready(s->fd[0], POLLIN))
		n = read(s->fd[0], p, len > 65536 ? 65536 : len);
	else
		n = -1, errno = EAGAIN;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		s->want_in = 1;
		wake_thread();
		return -EAGAIN;
	}
	return n < 0 ? -errno : (int32_t)n;
}

static int32_t op_write(struct session *s, int which, const uint8_t *p, uint32_t len)
{
	int fd = s->fd[which];
	ssize_t n;

	if (s->is_sock[which])
		n = send(fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	else if (ready(fd, POLLOUT) & POLLOUT)
		n = write(fd, p, len > CHUNK_PIPE ? CHUNK_PIPE : len);
	else if (ready(fd, POLLOUT) & (POLLERR | POLLHUP))
		n = -1, errno = EPIPE;
	else
		n = -1, errno = EAGAIN;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		s->want_out = 1;
		wake_thread();
		return -EAGAIN;
	}
	return n < 0 ? -errno : (int32_t)n;
}

static int32_t op_poll(struct session *s)
{
	int32_t m = 0;

	if (ready(s->fd[0], POLLIN))
		m |= UK_EXEC_IN;
	if ((ready(s->fd[1], POLLOUT) & POLLOUT) && (ready(s->fd[2], POLLOUT) & POLLOUT))
		m |= UK_EXEC_OUT;
	s->want_in |= !(m & UK_EXEC_IN);
	s->want_out |= !(m & UK_EXEC_OUT);
	if (m != (UK_EXEC_IN | UK_EXEC_OUT))
		wake_thread();
	return m;
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
	if ((h->op == UK_EXEC_READ || h->op == UK_EXEC_WRITE) &&
	    (!h->len || !(p = VMM_GPA(vm, h->data, h->len))))
		return h->len ? INT32_MIN : 0;
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
	case UK_EXEC_EXIT:
		reply(s, VMM_EXEC_EXITED, h->arg, 0);
		session_free(s);
		wake_thread(); /* its descriptors leave the poll set */
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
	for (int i = 0; i < EXEC_MAX && !s; i++)
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
		memcpy(s->fd, CMSG_DATA(cm), (nfds > 3 ? 3 : nfds) * sizeof(int));
		for (int i = 3; i < nfds; i++) { /* more than asked for: closed */
			int extra;
			memcpy(&extra, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			close(extra);
		}
	}
	if (n <= 0 || nfds != 3 || (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    !vmm_exec_spec_ok(buf, (size_t)n)) {
		if (n > 0)
			reply(s, VMM_EXEC_REFUSED, -EINVAL, 0);
		free(buf);
		session_free(s);
		return;
	}
	for (int i = 0; i < 3; i++) {
		int type;
		socklen_t tl = sizeof(type);
		s->is_sock[i] = !getsockopt(s->fd[i], SOL_SOCKET, SO_TYPE, &type, &tl);
	}
	s->spec = buf;
	s->spec_len = (uint32_t)n;
	s->seq = ++ex.seq;
	s->state = S_QUEUED;
}

/* The caller's connection has something: a request, or its end. */
static void caller_event(struct session *s)
{
	ssize_t n;
	char b;

	if (s->state == S_NEW) {
		take_request(s);
		return;
	}
	n = recv(s->sock, &b, 1, MSG_DONTWAIT); /* more than its request: dropped */
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		if (s->state == S_QUEUED) { /* never started: nothing runs for it */
			session_free(s);
			return;
		}
		close(s->sock); /* running on without it, as runc's exec does */
		s->sock = -1;
	}
}

static void raise_pin(void)
{
	uint64_t one = 1;

	if (write(ex.irq, &one, sizeof(one)) < 0)
		vmm_err("exec: raising the guest's interrupt: %s", strerror(errno));
}

/* Poll set: the socket, the wake-up, and per session its connection and
 * the descriptors the guest waits on. who[i]: the session, fd index. */
static int poll_set(struct pollfd *p, int (*who)[2])
{
	int n = 0;

	p[n++] = (struct pollfd){ ex.listen, POLLIN, 0 };
	p[n++] = (struct pollfd){ ex.wake, POLLIN, 0 };
	for (int i = 0; i < EXEC_MAX; i++) {
		struct session *s = &ex.s[i];
		if (s->state == S_FREE)
			continue;
		if (s->sock >= 0) {
			who[n][0] = i, who[n][1] = -1;
			p[n++] = (struct pollfd){ s->sock, POLLIN, 0 };
		}
		if (s->want_in) {
			who[n][0] = i, who[n][1] = 0;
			p[n++] = (struct pollfd){ s->fd[0], POLLIN, 0 };
		}
		for (int f = 1; f <= 2 && s->want_out; f++) {
			who[n][0] = i, who[n][1] = f;
			p[n++] = (struct pollfd){ s->fd[f], POLLOUT, 0 };
		}
	}
	return n;
}

static void *exec_thread(void *arg)
{
	struct pollfd p[2 + 4 * EXEC_MAX];
	int who[2 + 4 * EXEC_MAX][2];

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
			struct session *s = &ex.s[who[i][0]];
			if (!p[i].revents || s->state == S_FREE)
				continue;
			if (who[i][1] < 0) {
				caller_event(s);
				raise |= s->state == S_QUEUED;
			} else if (who[i][1] == 0 && s->want_in) {
				s->want_in = 0, raise = 1;
			} else if (who[i][1] > 0 && s->want_out) {
				s->want_out = 0, raise = 1;
			}
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
	pthread_t t;
	int fd = -1, dirfd;

	for (int i = 0; i < EXEC_MAX; i++) /* (nothing to close: not session_free) */
		ex.s[i].sock = ex.s[i].fd[0] = ex.s[i].fd[1] = ex.s[i].fd[2] = -1;
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
	if ((errno = pthread_create(&t, NULL, exec_thread, NULL))) {
		vmm_err("exec: its thread: %s", strerror(errno));
		return -1;
	}
	pthread_detach(t);
	vm->needs |= VMM_NEED_EXEC | VMM_NEED_THREADS;
	return 0;
}
