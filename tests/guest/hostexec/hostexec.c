/*
 * A guest that breaks UK_HC_EXEC's rules (tests/e2e/kvm/exec.sh), as any
 * code running in a guest can: first the errors ukrun must answer
 * (sessions it never gave, an operation it does not know, nothing
 * queued), each checked; then, as argv[1] asks, one violation, which ends
 * the VM with ukrun's report (and nothing worse):
 *   gpa     a read into memory far outside guest RAM
 *   len     a write of 2 GiB
 *   block   the request block itself outside guest RAM
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <uk/abi.h>
#include <uk/arch.h>

#include "../check.h"

int checks, failures;

static struct uk_hc_exec h __attribute__((aligned(32)));
static char buf[256];

static int32_t hc(unsigned op, uint32_t session, uint64_t data, uint32_t len, int32_t arg)
{
	h = (struct uk_hc_exec){ op, session, data, len, arg, 12345, 77 }; /* what: junk */
	uk_outl(UK_HC_EXEC, (uint32_t)uk_v2p(&h));
	return h.ret;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	uint64_t b = uk_v2p(buf);
	int32_t r;

	r = hc(UK_EXEC_NEXT, 0, b, sizeof(buf), 0);
	CHECK("hostexec/nothing-queued", r == -EAGAIN, "next: %d", (int)r);
	r = hc(UK_EXEC_READ, 7, b, 16, 0);
	CHECK("hostexec/read-unknown-session", r == -EBADF, "read: %d", (int)r);
	r = hc(UK_EXEC_WRITE, 0xffffffffu, b, 16, 9);
	CHECK("hostexec/write-unknown-session", r == -EBADF, "write: %d", (int)r);
	r = hc(UK_EXEC_STARTED, 3, 0, 0, 42);
	CHECK("hostexec/started-unknown-session", r == -EBADF, "started: %d", (int)r);
	r = hc(UK_EXEC_EXIT, 0x105, 0, 0, 0);
	CHECK("hostexec/exit-unknown-session", r == -EBADF, "exit: %d", (int)r);
	r = hc(UK_EXEC_POLL, 1, 0, 0, 0);
	CHECK("hostexec/poll-unknown-session", r == -EBADF, "poll: %d", (int)r);
	r = hc(99, 1, 0, 0, 0);
	CHECK("hostexec/unknown-op", r == -EBADF || r == -EINVAL, "op 99: %d", (int)r);
	r = hc(UK_EXEC_READ, 1, b, 0, 0);
	CHECK("hostexec/read-nothing", r == 0, "read of 0 bytes: %d", (int)r);
	r = hc(UK_EXEC_TTY, 2, b, sizeof(struct uk_termios), 0);
	CHECK("hostexec/tty-unknown-session", r == -EBADF, "tty: %d", (int)r);
	r = hc(UK_EXEC_SIGNALS, 9, 0, 0, 0);
	CHECK("hostexec/signals-unknown-session", r == -EBADF, "signals: %d", (int)r);
	r = hc(UK_EXEC_SIGNALS, 0, 0, 0, 0);
	CHECK("hostexec/kill-all-none", r == 0, "kill --all's signals: %d", (int)r);
	printf("checks %d failures %d\n", checks, failures);
	fflush(stdout);
	if (!strcmp(mode, "gpa"))
		hc(UK_EXEC_READ, 0, 0x7fff00000000ull, 64, 0);
	else if (!strcmp(mode, "len"))
		hc(UK_EXEC_WRITE, 0, b, 0x80000000u, 1);
	else if (!strcmp(mode, "block"))
		uk_outl(UK_HC_EXEC, 0xfffff000u);
	printf("survived %s\n", mode);
	return failures ? 1 : 0;
}
