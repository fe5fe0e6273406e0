/*
 * The network helper's poll set (net.h, struct vmm_epset), kept in an
 * epoll instance across its turns (net_slirp.c).
 *
 * libslirp names every socket it wants watched anew each turn
 * (slirp_pollfds_fill), and poll(2) then looks at each of them and queues
 * the helper on each one's wait queue before it sleeps: with one host
 * connection per client that is most of what a turn costs (redis-benchmark
 * -c64: poll(2) 16 % of the helper's and ukrun's CPU together, perf). Here
 * only what changed since the last turn reaches the kernel (epoll_ctl),
 * and a wait costs what is ready.
 *
 * An fd number can name another socket from one turn to the next (slirp
 * closed one and made another, which took the lowest free number). The
 * kernel drops a closed socket from the epoll set by itself; what this
 * side remembers of the number is forgotten by vmm_epset_forget, which the
 * helper calls where a socket is made (libslirp's register_poll_fd) and
 * after it opens or closes forwards (their listening sockets are made
 * without it). A number registered in the kernel that this side thinks
 * new is added again (EEXIST: modified instead), one it thinks registered
 * but the kernel lost is modified (ENOENT: added instead).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "net.h"

#define EPSET_FD_MAX (1 << 20) /* RLIMIT_NOFILE's hard limit */

struct epset_fd {
	uint64_t want_turn;  /* the turn that last asked for it */
	uint64_t ready_turn; /* the turn whose wait found it ready */
	uint16_t have;       /* the events registered in the kernel as far as
	                      * this side knows; 0: none, or not known */
	uint16_t revents;    /* as poll(2) says them, when ready_turn is now */
	uint8_t listed;      /* in reg: the sweep looks at it */
};

int vmm_epset_init(struct vmm_epset *s)
{
	memset(s, 0, sizeof(*s));
	s->turn = 1;
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	return s->ep < 0 ? -1 : 0;
}

void vmm_epset_free(struct vmm_epset *s)
{
	if (s->ep >= 0)
		close(s->ep);
	free(s->fd);
	free(s->reg);
	memset(s, 0, sizeof(*s));
	s->ep = -1;
}

/* The slot of fd, the table grown to hold it: NULL when it cannot be. */
static struct epset_fd *slot(struct vmm_epset *s, int fd)
{
	struct epset_fd *f;
	unsigned cap;

	if (fd < 0 || fd >= EPSET_FD_MAX)
		return NULL;
	if ((unsigned)fd >= s->cap) {
		cap = s->cap ? s->cap : 64;
		while (cap <= (unsigned)fd)
			cap *= 2;
		if (!(f = realloc(s->fd, cap * sizeof(*f))))
			return NULL;
		memset(f + s->cap, 0, (cap - s->cap) * sizeof(*f));
		s->fd = f;
		s->cap = cap;
	}
	return &s->fd[fd];
}

void vmm_epset_forget(struct vmm_epset *s, int fd)
{
	if (fd >= 0 && (unsigned)fd < s->cap)
		s->fd[fd].have = 0;
}

void vmm_epset_forget_all(struct vmm_epset *s)
{
	for (unsigned i = 0; i < s->cap; i++)
		s->fd[i].have = 0;
}

static int ctl(struct vmm_epset *s, int op, int fd, uint16_t events)
{
	struct epoll_event e = { .events = events, .data.fd = fd };

	return epoll_ctl(s->ep, op, fd, &e);
}

/* fd's events in the kernel as want says: 0, or -1 with errno. */
static int set_events(struct vmm_epset *s, int fd, struct epset_fd *f, uint16_t want)
{
	int op = f->have ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	int r = ctl(s, op, fd, want);

	if (r && errno == (op == EPOLL_CTL_ADD ? EEXIST : ENOENT))
		r = ctl(s, op == EPOLL_CTL_ADD ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, want);
	if (r)
		return -1;
	if (!f->listed) {
		s->reg[s->nreg++] = fd; /* (room: reg holds every number of the table) */
		f->listed = 1;
	}
	f->have = want;
	return 0;
}

int vmm_epset_add(struct vmm_epset *s, int fd, short events)
{
	/* (POLLIN, POLLOUT and POLLPRI are EPOLLIN, EPOLLOUT and EPOLLPRI) */
	uint16_t want = (uint16_t)(events & (POLLIN | POLLOUT | POLLPRI));
	struct epset_fd *f = slot(s, fd);
	int *reg;

	if (!f)
		return -1;
	if (s->reg_cap < s->cap) {
		if (!(reg = realloc(s->reg, s->cap * sizeof(*reg))))
			return -1;
		s->reg = reg;
		s->reg_cap = s->cap;
	}
	if (!want) /* nothing to watch: as if not asked for (the sweep) */
		return fd;
	if (f->have != want && set_events(s, fd, f, want))
		return -1;
	f->want_turn = s->turn;
	return fd;
}

/* Numbers registered that this turn did not ask for leave the kernel's
 * set (one closed, or forgotten and now another file, may not be there:
 * the error is ignored). A number left there would be found ready turn
 * after turn, and the helper would never sleep. */
static void sweep(struct vmm_epset *s)
{
	unsigned i = 0;

	while (i < s->nreg) {
		int fd = s->reg[i];
		struct epset_fd *f = &s->fd[fd];
		if (f->want_turn == s->turn) {
			i++;
			continue;
		}
		epoll_ctl(s->ep, EPOLL_CTL_DEL, fd, NULL);
		f->have = 0;
		f->listed = 0;
		s->reg[i] = s->reg[--s->nreg];
	}
}

int vmm_epset_wait(struct vmm_epset *s, int timeout)
{
	struct epoll_event ev[VMM_EPSET_BATCH];
	int n;

	sweep(s);
	n = epoll_wait(s->ep, ev, VMM_EPSET_BATCH, timeout);
	for (int i = 0; i < n; i++) {
		int fd = ev[i].data.fd;
		if (fd < 0 || (unsigned)fd >= s->cap)
			continue;
		s->fd[fd].ready_turn = s->turn;
		s->fd[fd].revents =
		    (uint16_t)(ev[i].events & (POLLIN | POLLOUT | POLLPRI | POLLERR | POLLHUP));
	}
	return n;
}

short vmm_epset_revents(const struct vmm_epset *s, int fd)
{
	if (fd < 0 || (unsigned)fd >= s->cap || s->fd[fd].ready_turn != s->turn)
		return 0;
	return (short)s->fd[fd].revents;
}

void vmm_epset_next(struct vmm_epset *s) { s->turn++; }
