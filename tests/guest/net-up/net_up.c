/* Brings the network up, prints the address it got, then stays up for
 * argv[1] seconds so the host can reach it (ping, ARP). With argv[2]
 * "signals", a signal every 100 us meanwhile (as Go's runtime sends
 * SIGURG to preempt): the wait for an address must not end early. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static volatile int alarms;

static void on_alarm(int sig) { alarms++; }

int uk_net_up(void);
uint32_t uk_net_ip(void);

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 0;
	struct itimerval every_100us = { { 0, 100 }, { 0, 100 } }, off = { 0 };
	int r;
	uint32_t ip;

	if (argc > 2 && !strcmp(argv[2], "signals")) {
		struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
		sigaction(SIGALRM, &sa, NULL);
		if (setitimer(ITIMER_REAL, &every_100us, NULL))
			perror("setitimer");
	}
	r = uk_net_up();
	ip = uk_net_ip();
	setitimer(ITIMER_REAL, &off, NULL);

	if (alarms)
		printf("%d signals\n", alarms);
	printf("net up: %d, address %u.%u.%u.%u\n", r, ip & 255, (ip >> 8) & 255, (ip >> 16) & 255,
	       ip >> 24);
	fflush(stdout);
	sleep(secs);
	printf("done\n");
	return r ? 1 : 0;
}
