/*
 * libFuzzer target: the gofer on arbitrary request streams. The input is
 * cut into messages by their size fields; each goes to p9s_handle() on a
 * scratch share, after a Tversion and a Tattach of fid 0 so the fuzzer
 * starts with a session to play with. Sanitizers catch memory errors; the
 * reply must always be a well-formed message no longer than its buffer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uk/p9.h>

#include "../../vmm/p9_server.h"

static struct p9s *srv;
static struct p9s_worker *wk;
static uint8_t rep[64 * 1024];
static char dir[64];
static unsigned long inputs;

static void handle(const void *msg, size_t len)
{
	struct p9_msg r;
	size_t n = p9s_handle(wk, msg, len, rep, sizeof(rep));

	if (n > sizeof(rep) || (n && p9_unpack(rep, n, &r) != 0))
		abort();
}

static void session(void)
{
	uint8_t m[64];
	struct p9_msg t = { .type = P9_TVERSION, .tag = P9_NOTAG };

	t.u.version.msize = 65536;
	t.u.version.version = p9_str(P9_VERSION_L);
	handle(m, p9_pack(m, sizeof(m), &t));
	t = (struct p9_msg){ .type = P9_TATTACH, .tag = 1 };
	t.u.tattach.afid = P9_NOFID;
	handle(m, p9_pack(m, sizeof(m), &t));
}

static void cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (dir[0] && system(cmd))
		fprintf(stderr, "p9_server fuzz: could not remove %s\n", dir);
}

static void setup(void)
{
	char cmd[128];

	if (srv && ++inputs % 4096)
		return;
	if (srv) {
		p9s_worker_free(wk);
		p9s_close(srv);
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd))
			abort();
	}
	if (!srv)
		atexit(cleanup);
	snprintf(dir, sizeof(dir), "/tmp/p9fuzz.%d", (int)getpid());
	mkdir(dir, 0755);
	snprintf(cmd, sizeof(cmd), "cd %s && mkdir -p a/b && echo hi > a/f && ln -sf ../.. up",
	         dir);
	if (system(cmd) || p9s_open(dir, 0, &srv) || !(wk = p9s_worker_new(srv)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 0;

	setup();
	session();
	while (size - pos >= 4) {
		uint32_t n = p9_msg_size(data + pos, size - pos);
		if (n < 4 || n > size - pos)
			n = (uint32_t)(size - pos);
		handle(data + pos, n);
		pos += n;
	}
	return 0;
}
