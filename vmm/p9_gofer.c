/*
 * The gofer process: one share's 9P server (p9_server.h) on its own,
 * started by ukrun's virtio-9p device before the lock-down (helper.c) and
 * holding nothing but the share's root, its socket to the device and a
 * window shared with it (p9_server.h, P9G_*). No /dev/kvm, no guest
 * memory, no other descriptor of ukrun, no network; its own seccomp list
 * (p9_seccomp.c) from before the first request. ukrun, for its part,
 * keeps no way to a host file by name (seccomp.c).
 *
 * Why a window and not guest memory: the device copies each T-message out
 * of the guest's buffers into the window and the R-message back, and in
 * return the gofer never maps guest RAM, which stays anonymous memory.
 * The price, measured on the 2-core paravirtual host under load (the
 * gofer as a thread of ukrun against this, runs interleaved, medians of
 * 12, tests/guest/p9's bench, 64 MiB, 500 files): reads 1050 -> 320 MB/s,
 * create+stat+unlink 389 -> 185 ops/s, fsync'ed writes 358 -> 295 MB/s.
 * Not the copy (without it reads were hardly faster) but the two wakeups
 * more per request (device thread -> gofer -> device thread), each of
 * which waits for a CPU on a busy machine. Only two lengths cross the
 * socket: SOCK_SEQPACKET keeps them whole, and its end (the device's
 * close, or ukrun's death) ends the gofer.
 *
 * Requests are served one at a time, in the order they come, as the device
 * thread served them in ukrun before: a Tflush always finds the request it
 * names answered already.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "p9_server.h"
#include "vmm.h"

/* A T-message longer than the window: Rlerror(EMSGSIZE) with its tag. */
static uint32_t too_long(const uint8_t *win, const struct p9g_req *q)
{
	uint16_t tag = (uint16_t)(win[5] | win[6] << 8);

	return p9_pack_error((uint8_t *)win + P9G_REPLY, q->outcap, tag, EMSGSIZE);
}

static int serve(const char *name, struct p9s_worker *w, uint8_t *win)
{
	struct p9g_req q;
	struct p9g_rep rep;
	ssize_t n;

	for (;;) {
		n = read(P9G_FD_SOCK, &q, sizeof(q));
		if (n == 0)
			return 0; /* the device closed: the VM has ended */
		if (n != (ssize_t)sizeof(q) || q.outcap > P9_MSIZE_MAX) {
			vmm_err("%s: a request ukrun never sends (%zd bytes)", name, n);
			return VMM_EXIT_ERROR;
		}
		if (q.inlen > P9_MSIZE_MAX)
			rep.len = too_long(win, &q);
		else
			rep.len = (uint32_t)p9s_handle(w, win, q.inlen, win + P9G_REPLY, q.outcap);
		if (write(P9G_FD_SOCK, &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
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
	if (!(win = map_window())) {
		vmm_err("%s: its window: %s", name, strerror(errno));
		return VMM_EXIT_ERROR;
	}
	if ((r = p9s_open_fd(P9G_FD_ROOT, (unsigned)flags, &s)) || !(w = p9s_worker_new(s))) {
		vmm_err("%s: its share: %s", name, strerror(r ? -r : ENOMEM));
		return VMM_EXIT_ERROR;
	}
	snprintf(who, sizeof(who), "%s: ", name);
	if (p9s_seccomp(who) < 0)
		return VMM_EXIT_ERROR;
	return serve(name, w, win);
}
