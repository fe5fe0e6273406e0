/*
 * The gofer process: one share's 9P server (p9_server.h) on its own,
 * started by ukrun's virtio-9p device before the lock-down (helper.c) and
 * holding nothing but the share's root, its socket to the device and a
 * window shared with it (p9_server.h, P9G_*). No /dev/kvm, no guest
 * memory, no other descriptor of ukrun, no network; its own seccomp list
 * (p9_seccomp.c) from before the first request. ukrun, for its part,
 * keeps no way to a host file by name (seccomp.c).
 *
 * The device copies each request out of the guest's buffers into the
 * window and the reply back; only lengths cross the socket (SOCK_SEQPACKET
 * keeps them whole, and its end, the device's close or ukrun's death, ends
 * the gofer). Every request costs two wakeups more than a gofer thread in
 * ukrun did (device thread -> gofer -> device thread), each of which
 * waits for a CPU on a busy machine: measured on the 2-core paravirtual
 * host under load, reads fell from 1555 to 550 MB/s and small-file
 * create+stat+unlink from 648 to 272 ops/s (tests/guest/p9's bench, runs
 * interleaved, medians of 10); doing without the copy changed little. So
 * the data path does not come here: with the reply to a Tlopen or
 * Tlcreate of a regular file the gofer hands the open file's descriptor
 * over (SCM_RIGHTS), and ukrun serves that fid's reads and writes itself,
 * straight between guest memory and the file, as gVisor's gofer donates
 * descriptors to its sandbox. ukrun can then read and write the files the
 * guest opened, which the guest could anyway, and still name, create or
 * remove none. Reads are back (2681 MB/s in the same runs); each other
 * request still pays the two wakeups (313 ops/s).
 *
 * The gofer keeps the ids of the user who started ukrun, also when ukrun
 * itself becomes --user's (jail.c): it serves the share as its owner. A
 * gofer of root's keeps only the capabilities serving files needs
 * (FILE_CAPS): reading and writing what the guest names whatever its mode,
 * and chown, chmod and times for any owner, as root in a container may.
 * Not CAP_FSETID: a write to a set-user-ID file clears the bit, as any
 * unprivileged writer's does; nor CAP_MKNOD, nor anything beyond files.
 * Before it gives up CAP_SYS_CHROOT, such a gofer makes its share its
 * root directory (as gVisor's gofer pivots into the container's root): an
 * absolute path then names a file of the share, also where the kernel
 * has no Landlock, and the chroot cannot be left without that capability
 * (its one directory descriptor is the share's). An unprivileged gofer
 * may not chroot; it serves the user's own files, beneath Landlock where
 * there is one.
 *
 * Requests are served one at a time, in the order they come, as the device
 * thread served them in ukrun before: a Tflush always finds the request it
 * names answered already.
 */
#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "p9_server.h"
#include "vmm.h"

static const unsigned FILE_CAPS[] = {
	CAP_CHOWN,           /* Tsetattr's uid and gid, for any owner */
	CAP_DAC_OVERRIDE,    /* files read and written whatever their mode */
	CAP_DAC_READ_SEARCH, /* directories listed and walked whatever theirs */
	CAP_FOWNER,          /* chmod, times and O_NOATIME on files of others */
};

/* The share as root's gofer's root directory; 0, or -1 with a message. */
static int chroot_share(const char *name)
{
	if (fchdir(P9G_FD_ROOT) || (chroot(".") && errno != EPERM)) {
		vmm_err("%s: chroot into its share: %s", name, strerror(errno));
		return -1;
	}
	return 0;
}

/* A T-message longer than the window: Rlerror(EMSGSIZE) with its tag. */
static uint32_t too_long(const uint8_t *win, const struct p9g_req *q)
{
	uint16_t tag = (uint16_t)(win[5] | win[6] << 8);

	return p9_pack_error((uint8_t *)win + P9G_REPLY, q->outcap, tag, EMSGSIZE);
}

/* With an Rlopen or Rlcreate of a regular file, the file's descriptor,
 * handed over with the reply: ukrun serves its reads and writes itself.
 * -1 otherwise. */
static int handover(struct p9s *s, const uint8_t *win, const struct p9g_req *q, struct p9g_rep *rep)
{
	const uint8_t *r = win + P9G_REPLY;
	uint32_t fid;
	int oflags = 0, fd;

	if (rep->len <= P9_HDR_SIZE || (r[4] != P9_RLOPEN && r[4] != P9_RLCREATE) ||
	    q->inlen < P9_HDR_SIZE + 4)
		return -1;
	fid = (uint32_t)win[7] | (uint32_t)win[8] << 8 | (uint32_t)win[9] << 16 |
	      (uint32_t)win[10] << 24;
	fd = p9s_fid_fd(s, fid, &oflags);
	rep->oflags = (uint32_t)oflags;
	return fd;
}

static int send_reply(const struct p9g_rep *rep, int fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec io = { (void *)rep, sizeof(*rep) };
	struct msghdr mh = { .msg_iov = &io, .msg_iovlen = 1 };

	if (fd >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = &ctl;
		mh.msg_controllen = sizeof(ctl);
		ctl.h.cmsg_level = SOL_SOCKET;
		ctl.h.cmsg_type = SCM_RIGHTS;
		ctl.h.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&ctl.h), &fd, sizeof(int));
	}
	return sendmsg(P9G_FD_SOCK, &mh, 0) == (ssize_t)sizeof(*rep) ? 0 : -1;
}

static int serve(const char *name, struct p9s *s, struct p9s_worker *w, uint8_t *win)
{
	struct p9g_req q;
	struct p9g_rep rep;
	ssize_t n;

	for (;;) {
		n = read(P9G_FD_SOCK, &q, sizeof(q));
		if (n < 0 && errno == EINTR)
			continue;
		/* the device closed: the VM has ended (ECONNRESET: it closed
		 * with a reply of ours unread, a request in flight at its end) */
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return 0;
		if (n != (ssize_t)sizeof(q) || q.outcap > P9_MSIZE_MAX) {
			vmm_err("%s: a request ukrun never sends (%zd bytes)", name, n);
			return VMM_EXIT_ERROR;
		}
		rep = (struct p9g_rep){ 0, 0 };
		if (q.inlen > P9_MSIZE_MAX)
			rep.len = too_long(win, &q);
		else
			rep.len = (uint32_t)p9s_handle(w, win, q.inlen, win + P9G_REPLY, q.outcap);
		if (send_reply(&rep, handover(s, win, &q, &rep)))
			return 0; /* ukrun is gone */
	}
}

static uint8_t *map_window(void)
{
	void *p = mmap(NULL, P9G_WINDOW, PROT_READ | PROT_WRITE, MAP_SHARED, P9G_FD_WINDOW, 0);

	close(P9G_FD_WINDOW);
	return p == MAP_FAILED ? NULL : p;
}

int p9g_main(const char *name, int argc, char **argv)
{
	struct sigaction ign = { .sa_handler = SIG_IGN };
	struct p9s_worker *w;
	struct p9s *s;
	char who[128];
	uint8_t *win;
	char *end;
	unsigned long flags;
	int r;

	flags = argc == 1 ? strtoul(argv[0], &end, 10) : 0;
	if (argc != 1 || *end || flags > (P9S_RO | P9S_NO_OPENAT2)) {
		vmm_err("%s: expected one argument, its flags", name);
		return VMM_EXIT_ERROR;
	}
	sigaction(SIGPIPE, &ign, NULL); /* a reply to a ukrun gone: EPIPE, and the end */
	if (chroot_share(name) ||
	    vmm_jail_keep(name, FILE_CAPS, sizeof(FILE_CAPS) / sizeof(FILE_CAPS[0])))
		return VMM_EXIT_ERROR;
	if (!(win = map_window())) {
		vmm_err("%s: its window: %s", name, strerror(errno));
		return VMM_EXIT_ERROR;
	}
	if ((r = p9s_open_fd(P9G_FD_ROOT, (unsigned)flags, &s)) || !(w = p9s_worker_new(s))) {
		vmm_err("%s: its share: %s", name, strerror(r ? -r : ENOMEM));
		return VMM_EXIT_ERROR;
	}
	if ((r = p9s_confine(P9G_FD_ROOT)) < 0) {
		vmm_err("%s: Landlock: %s", name, strerror(-r));
		return VMM_EXIT_ERROR;
	}
	snprintf(who, sizeof(who), "%s: ", name);
	if (p9s_seccomp(who) < 0)
		return VMM_EXIT_ERROR;
	return serve(name, s, w, win);
}
