/* A TCP connection to itself over 127.0.0.1, for guest programs and the
 * tests/linux ones: fd[0] the accepted end, fd[1] the client. 0, or -1. */
#ifndef GUEST_TCP_PAIR_H
#define GUEST_TCP_PAIR_H

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static inline int tcp_pair(int fd[2])
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	fd[1] = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || fd[1] < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &len) ||
	    connect(fd[1], (struct sockaddr *)&a, sizeof(a)) || (fd[0] = accept(l, NULL, NULL)) < 0)
		return -1;
	close(l);
	return 0;
}

#endif
