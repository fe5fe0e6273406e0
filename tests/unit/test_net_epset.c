/* The network helper's poll set (vmm/net_epset.c): each turn watches what
 * it names and nothing else, and an fd number that came to name another
 * socket is watched again once forgotten, as net_slirp.c forgets it. */
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../vmm/net.h"
#include "unit.h"

/* One turn: fds (POLLIN each), a wait of timeout ms; the wait's count. */
static int turn(struct vmm_epset *s, const int *fd, int n, int timeout)
{
	vmm_epset_next(s);
	for (int i = 0; i < n; i++)
		if (vmm_epset_add(s, fd[i], POLLIN) != fd[i])
			return -2;
	return vmm_epset_wait(s, timeout);
}

TEST(ready_and_quiet)
{
	struct vmm_epset s;
	int a[2], b[2], fds[2];

	EXPECT(vmm_epset_init(&s) == 0);
	EXPECT(socketpair(AF_UNIX, SOCK_STREAM, 0, a) == 0 &&
	       socketpair(AF_UNIX, SOCK_STREAM, 0, b) == 0);
	fds[0] = a[0], fds[1] = b[0];
	EXPECT(turn(&s, fds, 2, 0) == 0);
	EXPECT(write(b[1], "x", 1) == 1);
	EXPECT(turn(&s, fds, 2, 1000) == 1);
	EXPECT(vmm_epset_revents(&s, b[0]) == POLLIN && vmm_epset_revents(&s, a[0]) == 0);
	/* the next turn: nothing read, still ready (level-triggered, as poll) */
	EXPECT(turn(&s, fds, 2, 0) == 1 && vmm_epset_revents(&s, b[0]) == POLLIN);
	/* a turn that does not name b[0] does not see it, nor wake for it */
	EXPECT(turn(&s, fds, 1, 0) == 0 && vmm_epset_revents(&s, b[0]) == 0);
	/* named again: there it is */
	EXPECT(turn(&s, fds, 2, 0) == 1 && vmm_epset_revents(&s, b[0]) == POLLIN);
	/* other events of the same fd: a change reaches the kernel */
	vmm_epset_next(&s);
	EXPECT(vmm_epset_add(&s, b[0], POLLOUT) == b[0]);
	EXPECT(vmm_epset_wait(&s, 0) == 1 && vmm_epset_revents(&s, b[0]) == POLLOUT);
	close(a[0]), close(a[1]), close(b[0]), close(b[1]), vmm_epset_free(&s);
}

TEST(number_reused)
{
	struct vmm_epset s;
	int a[2], b[2], fd;

	EXPECT(vmm_epset_init(&s) == 0);
	EXPECT(socketpair(AF_UNIX, SOCK_STREAM, 0, a) == 0);
	fd = a[0];
	EXPECT(turn(&s, &fd, 1, 0) == 0);
	/* a[0] closed (the kernel drops it from the set), another socket
	 * takes its number */
	close(a[0]);
	EXPECT(socketpair(AF_UNIX, SOCK_STREAM, 0, b) == 0 && b[0] == fd);
	EXPECT(write(b[1], "x", 1) == 1);
	vmm_epset_forget(&s, fd);
	EXPECT(turn(&s, &fd, 1, 1000) == 1 && vmm_epset_revents(&s, fd) == POLLIN);
	/* the same after forget_all (a number still registered: EEXIST) */
	vmm_epset_forget_all(&s);
	EXPECT(turn(&s, &fd, 1, 0) == 1 && vmm_epset_revents(&s, fd) == POLLIN);
	close(a[1]), close(b[0]), close(b[1]), vmm_epset_free(&s);
}

TEST(bad_fd)
{
	struct vmm_epset s;

	EXPECT(vmm_epset_init(&s) == 0);
	vmm_epset_next(&s);
	EXPECT(vmm_epset_add(&s, -1, POLLIN) == -1);
	EXPECT(vmm_epset_add(&s, 1 << 24, POLLIN) == -1);
	EXPECT(vmm_epset_revents(&s, -1) == 0 && vmm_epset_revents(&s, 1 << 24) == 0);
	vmm_epset_free(&s);
}

int main(void)
{
	RUN("net-epset", ready_and_quiet);
	RUN("net-epset", number_reused);
	RUN("net-epset", bad_fd);
	return unit_failures != 0;
}
