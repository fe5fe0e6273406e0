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

struct job {
	uint32_t session;
	struct uk_proc *proc;
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
};

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

static int stream_fstat(struct uk_file *f, struct stat *st)
{
	struct stream *s = f->priv;

	uk_memset(st, 0, sizeof(*st));
	st->st_mode = S_IFIFO | 0600; /* as runc's exec gives conmon's pipes */
	st->st_ino = s->session * 4ull + (unsigned)s->which;
	st->st_nlink = 1;
	st->st_blksize = IO_CHUNK;
	return 0;
}

static long stream_ioctl(struct uk_file *f, unsigned long req, void *arg) { return -ENOTTY; }

static void stream_release(struct uk_file *f) { uk_kfree(f->priv); }

static const struct uk_file_ops stream_ops = {
	.read = stream_read,
	.write = stream_write,
	.poll = stream_poll,
	.ioctl = stream_ioctl,
	.fstat = stream_fstat,
	.release = stream_release,
};

static int stream_install(uint32_t session, int which)
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

	for (int i = 0; i < 3 && !r; i++)
		r = stream_install(j->session, i);
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
