/*
 * `ukrun exec` inside the VM: a library OS thread takes ukrun's requests
 * (uk/host_exec.h) and starts each as a process of its own, whose
 * descriptors 0, 1 and 2 are "host streams": reads and writes that travel
 * to the `ukrun exec` caller's stdin, stdout and stderr. When the process
 * ends, its wait status goes back, and `ukrun exec` exits with it.
 *
 * As runc's exec: the process is no child of process 1 (its parent is
 * outside the container: getppid() is 0 and process 1's wait never sees
 * it), has a session of its own, the request's ids, environment and
 * working directory, and nothing else of process 1's. Its own children
 * stay behind it when it ends, and go to process 1.
 *
 * A stream's poll asks ukrun whether a read or write would wait, and what
 * waits is woken by ukrun's interrupt (any of them: there are few).
 */
#include <linux/eventpoll.h>
#include <uk/arch.h>
#include <uk/binary.h>
#include <uk/host_exec.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/mm.h>
#include <uk/poll.h>
#include <uk/print.h>
#include <uk/proc.h>
#include <uk/sched.h>
#include <uk/signal.h>
#include <uk/syscall.h>
#include <uk/vfs.h>

#define IO_CHUNK 4096 /* one bounce buffer in the kernel heap per call */

/* The exec'd processes' parent, pid 0: not in the process list, so no
 * signal, wait or /proc of the container's reaches it. */
static struct uk_proc outside;

/* What the three streams of a session share, as one terminal's state:
 * the foreground process group (TIOCGPGRP, TIOCSPGRP) and the session. */
struct term {
	int refs; /* the streams, and the job while it runs */
	int pgrp, sid;
};

struct job {
	uint32_t session;
	struct uk_proc *proc;
	struct term *term; /* set by the process's first thread */
	char *cwd, **argv, **envp;
	struct job *next;
	/* then the request, and argv's and envp's arrays */
};

static struct job *jobs;

static void on_event(void) { uk_wq_wake(&outside.child_wq, -1); }

/* ---- the streams ---- */

struct stream {
	uint32_t session;
	int which; /* 0 stdin, 1 stdout, 2 stderr */
	struct term *term;
};

static void term_put(struct term *t)
{
	if (t && !__atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL))
		uk_kfree(t);
}

/* An operation that waits for ukrun's interrupt while it says -EAGAIN. */
static long stream_op(struct uk_file *f, unsigned op, void *buf, size_t len)
{
	struct stream *s = f->priv;

	for (;;) {
		uint64_t seen = uk_host_exec_events();
		long r = uk_host_exec(op, s->session, buf, len, s->which);
		if (r != -EAGAIN || (f->flags & O_NONBLOCK))
			return r;
		if ((r = uk_wait_event(&outside.child_wq, uk_host_exec_events() != seen, 0)))
			return r;
	}
}

static long stream_read(struct uk_file *f, void *buf, size_t len, uint64_t *pos)
{
	size_t n = len < IO_CHUNK ? len : IO_CHUNK;
	void *b;
	long r;

	(void)pos;
	if (!len)
		return 0;
	if (!(b = uk_kmalloc(n)))
		return -ENOMEM;
	r = stream_op(f, UK_EXEC_READ, b, n);
	if (r > 0)
		uk_memcpy(buf, b, (size_t)r);
	uk_kfree(b);
	return r;
}

static long stream_write(struct uk_file *f, const void *buf, size_t len, uint64_t *pos)
{
	size_t done = 0;
	void *b;
	long r = 0;

	(void)pos;
	if (!(b = uk_kmalloc(len < IO_CHUNK ? len + 1 : IO_CHUNK)))
		return -ENOMEM;
	while (done < len) {
		size_t n = len - done < IO_CHUNK ? len - done : IO_CHUNK;
		uk_memcpy(b, (const char *)buf + done, n);
		if ((r = stream_op(f, UK_EXEC_WRITE, b, n)) <= 0)
			break;
		done += (size_t)r;
	}
	uk_kfree(b);
	if (r == -EPIPE && !done)
		uk_signal_send(uk_current, SIGPIPE, UK_SI_USER, 1, 0);
	return done ? (long)done : r;
}

static unsigned stream_poll(struct uk_file *f, struct uk_poll_table *pt)
{
	struct stream *s = f->priv;
	long m = uk_host_exec(UK_EXEC_POLL, s->session, NULL, 0, 0);

	uk_poll_wait(pt, &outside.child_wq);
	if (m < 0)
		return EPOLLERR | EPOLLHUP;
	if (s->which == 0)
		return m & UK_EXEC_IN ? EPOLLIN | EPOLLRDNORM : 0;
	return m & UK_EXEC_OUT ? EPOLLOUT | EPOLLWRNORM : 0;
}

/* A terminal request on the caller's descriptor itself: 0 or -errno
 * (-ENOTTY: no terminal). In and out through a kernel-heap copy. */
static long tty_op(struct stream *s, unsigned what, void *arg, size_t len, int out)
{
	void *b = uk_kmalloc(len);
	long r;

	if (!b)
		return -ENOMEM;
	if (!out)
		uk_memcpy(b, arg, len);
	r = uk_host_exec_what(UK_EXEC_TTY, s->session, b, len, s->which, what);
	if (!r && out)
		uk_memcpy(arg, b, len);
	uk_kfree(b);
	return r;
}

static int is_tty(struct stream *s)
{
	struct uk_termios t;

	return !tty_op(s, UK_TTY_GET, &t, sizeof(t), 1);
}

static int stream_fstat(struct uk_file *f, struct stat *st)
{
	struct stream *s = f->priv;
	int tty = is_tty(s);

	uk_memset(st, 0, sizeof(*st));
	/* as runc's exec gives conmon's pipes, or a terminal's slave */
	st->st_mode = tty ? S_IFCHR | 0620 : S_IFIFO | 0600;
	st->st_rdev = tty ? (136 << 8) : 0;
	st->st_ino = s->session * 4ull + (unsigned)s->which;
	st->st_nlink = 1;
	st->st_blksize = IO_CHUNK;
	return 0;
}

/* Whether a process of session sid leads group pgrp (TIOCSPGRP's test). */
static int group_in(int pgrp, int sid)
{
	for (struct uk_proc *p = uk_procs; p; p = p->all_next)
		if (p->pgid == pgrp && p->sid == sid && p->state == UK_P_ALIVE)
			return 1;
	return 0;
}

/* The caller's terminal, when it is one: its modes and size are the
 * host's (ukrun asks it); its process groups are the session's, here. */
static long stream_ioctl(struct uk_file *f, unsigned long req, void *arg)
{
	struct stream *s = f->priv;

	switch (req) {
	case TCGETS: return tty_op(s, UK_TTY_GET, arg, sizeof(struct uk_termios), 1);
	case TCSETS:
	case TCSETSW: return tty_op(s, UK_TTY_SET, arg, sizeof(struct uk_termios), 0);
	case TCSETSF: return tty_op(s, UK_TTY_SET_FLUSH, arg, sizeof(struct uk_termios), 0);
	case TIOCGWINSZ: return tty_op(s, UK_TTY_GET_SIZE, arg, sizeof(struct uk_winsize), 1);
	case TIOCSWINSZ: return tty_op(s, UK_TTY_SET_SIZE, arg, sizeof(struct uk_winsize), 0);
	}
	if (!is_tty(s))
		return -ENOTTY;
	switch (req) {
	case TIOCGPGRP: *(int *)arg = s->term->pgrp; return 0;
	case TIOCGSID: *(int *)arg = s->term->sid; return 0;
	case TIOCSPGRP:
		if (!group_in(*(int *)arg, s->term->sid))
			return -EPERM;
		s->term->pgrp = *(int *)arg;
		return 0;
	case TIOCSCTTY: return 0; /* it is the session's already */
	}
	return -ENOTTY;
}

static void stream_release(struct uk_file *f)
{
	struct stream *s = f->priv;

	term_put(s->term);
	uk_kfree(s);
}

static const struct uk_file_ops stream_ops = {
	.read = stream_read,
	.write = stream_write,
	.poll = stream_poll,
	.ioctl = stream_ioctl,
	.fstat = stream_fstat,
	.release = stream_release,
};

static int stream_install(uint32_t session, int which, struct term *t)
{
	struct stream *s = uk_kzalloc(sizeof(*s));
	struct uk_file *f = s ? uk_file_new(&stream_ops, which ? O_WRONLY : O_RDONLY, s) : NULL;
	int fd;

	if (!f) {
		uk_kfree(s);
		return -ENOMEM;
	}
	s->session = session;
	s->which = which;
	s->term = t;
	__atomic_add_fetch(&t->refs, 1, __ATOMIC_ACQ_REL);
	if ((fd = uk_fd_install(f, which, 0)) != which) {
		if (fd >= 0)
			uk_fd_close(fd);
		else
			uk_file_put(f);
		return fd < 0 ? fd : -EBADF;
	}
	return 0;
}

/* ---- the process ---- */

static void committed(void *arg)
{
	struct job *j = arg;

	uk_host_exec(UK_EXEC_STARTED, j->session, NULL, 0, uk_proc_cur->pid);
}

/* The new process's first thread, in the library OS: its descriptors and
 * working directory, then the program. */
static void job_entry(void *arg)
{
	struct job *j = arg;
	unsigned what = UK_EXEC_FAILED_SETUP;
	long r = 0;

	if ((j->term = uk_kzalloc(sizeof(*j->term)))) {
		j->term->refs = 1; /* the job's */
		j->term->pgrp = j->term->sid = uk_proc_cur->pid;
	}
	r = j->term ? 0 : -ENOMEM;
	for (int i = 0; i < 3 && !r; i++)
		r = stream_install(j->session, i, j->term);
	if (!r && (what = UK_EXEC_FAILED_CWD, r = uk_sys_chdir((long)j->cwd, 0, 0, 0, 0, 0)) == 0)
		what = UK_EXEC_FAILED_PROGRAM,
		r = uk_binary_exec_as(j->argv[0], j->argv, j->envp, committed, j);
	/* only on failure: -ENOENT no such program (127, as a shell says),
	 * anything else 126; ukrun exec tells the caller why */
	uk_host_exec(UK_EXEC_STARTED, j->session, NULL, what, (int)r);
	uk_proc_exit((r == -ENOENT && what == UK_EXEC_FAILED_PROGRAM ? 127 : 126) << 8);
}

/* A request into a job: the strings checked and pointed at. */
static struct job *job_new(uint32_t session, const struct uk_exec_spec *sp, size_t n)
{
	size_t ptrs = (sp->argc + sp->envc + 2) * sizeof(char *);
	struct job *j;
	char *p, *end;

	if (n < sizeof(*sp) || sp->size != n || !sp->argc || sp->argc > n || sp->envc > n)
		return NULL;
	if (!(j = uk_kzalloc(sizeof(*j) + ptrs + n)))
		return NULL;
	j->argv = (char **)(j + 1);
	j->envp = j->argv + sp->argc + 1;
	p = (char *)(j->argv + sp->argc + sp->envc + 2);
	uk_memcpy(p, sp, n);
	end = p + n;
	p += sizeof(*sp);
	j->cwd = p;
	for (uint32_t i = 0; i < 1 + sp->argc + sp->envc; i++) {
		char *s = p;
		while (p < end && *p)
			p++;
		if (p == end) { /* a string without its NUL */
			uk_kfree(j);
			return NULL;
		}
		p++;
		if (i && i <= sp->argc)
			j->argv[i - 1] = s;
		else if (i)
			j->envp[i - 1 - sp->argc] = s;
	}
	j->session = session;
	return j;
}

/* Every request ukrun holds: started, or refused with the reason. */
static void take_requests(void)
{
	struct uk_exec_spec *sp = uk_kmalloc(UK_EXEC_SPEC_MAX);
	long id;

	if (!sp)
		return; /* the next interrupt tries again */
	while ((id = uk_host_exec(UK_EXEC_NEXT, 0, sp, UK_EXEC_SPEC_MAX, 0)) >= 0) {
		struct job *j =
		    job_new((uint32_t)id, sp, sp->size <= UK_EXEC_SPEC_MAX ? sp->size : 0);
		if (j && (j->proc = uk_proc_spawn(&outside, job_entry, j, sp->uid, sp->gid))) {
			j->next = jobs;
			jobs = j;
			continue;
		}
		uk_host_exec(UK_EXEC_STARTED, (uint32_t)id, NULL, UK_EXEC_FAILED_SETUP,
		             j ? -ENOMEM : -EINVAL);
		uk_host_exec(UK_EXEC_EXIT, (uint32_t)id, NULL, 0, 126 << 8);
		uk_kfree(j);
	}
	uk_kfree(sp);
}

/* Signals the callers forwarded: to an exec'd process, or the foreground
 * group of its terminal (a ^C typed there, a window resized), as a
 * terminal's go; `ukrun kill --all`'s to every process but 1, whose own
 * come through ukrun's signal forwarding (uk/host_signal.h). */
static void signal_group(int pgrp, int sig)
{
	for (struct uk_proc *p = uk_procs; p; p = p->all_next)
		if (p->state == UK_P_ALIVE && (pgrp ? p->pgid == pgrp : p->pid != 1))
			uk_proc_signal(p, sig, UK_SI_USER, 0);
}

static void forward_signals(void)
{
	long m = uk_host_exec(UK_EXEC_SIGNALS, 0, NULL, 0, 0);

	for (int sig = 1; m > 0 && sig < 32; sig++)
		if (m & (1l << sig))
			signal_group(0, sig);
	for (struct job *j = jobs; j; j = j->next) {
		struct stream in = { j->session, 0, j->term };
		if ((m = uk_host_exec(UK_EXEC_SIGNALS, j->session, NULL, 0, 0)) <= 0)
			continue;
		for (int sig = 1; sig < 32; sig++) {
			if (!(m & (1l << sig)) || j->proc->state != UK_P_ALIVE)
				continue;
			if (j->term && is_tty(&in))
				signal_group(j->term->pgrp, sig);
			else
				uk_proc_signal(j->proc, sig, UK_SI_USER, 0);
		}
	}
}

/* Ended processes' statuses back to ukrun. */
static void report_ends(void)
{
	for (struct job **pj = &jobs, *j; (j = *pj);) {
		int status = uk_proc_reap(j->proc);
		if (status < 0) {
			pj = &j->next;
			continue;
		}
		*pj = j->next;
		uk_host_exec(UK_EXEC_EXIT, j->session, NULL, 0, status);
		term_put(j->term);
		uk_kfree(j);
	}
}

static int any_ended(void)
{
	for (struct uk_proc *c = outside.children; c; c = c->sibling)
		if (c->state == UK_P_ZOMBIE)
			return 1;
	return 0;
}

static void exec_server(void *arg)
{
	(void)arg;
	for (;;) {
		uint64_t seen = uk_host_exec_events();
		take_requests();
		forward_signals();
		report_ends();
		uk_wait_event(&outside.child_wq, uk_host_exec_events() != seen || any_ended(), 0);
	}
}

void uk_exec_host_start(void)
{
	struct uk_thread *t;

	if (!uk_host_exec_offered())
		return;
	if (!(t = uk_thread_new(exec_server, NULL, NULL, 16u << 10, 0))) {
		uk_pr("ukrun exec: no thread for its requests (out of memory)");
		return;
	}
	t->detached = 1;
	uk_thread_start(t);
	uk_host_exec_init(on_event);
}
