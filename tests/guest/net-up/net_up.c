/* Brings the network up, prints the address it got, then stays up for
 * argv[1] seconds so the host can reach it (ping, ARP). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int uk_net_up(void);
uint32_t uk_net_ip(void);

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 0;
	int r = uk_net_up();
	uint32_t ip = uk_net_ip();

	printf("net up: %d, address %u.%u.%u.%u\n", r, ip & 255, (ip >> 8) & 255, (ip >> 16) & 255,
	       ip >> 24);
	fflush(stdout);
	sleep(secs);
	printf("done\n");
	return r ? 1 : 0;
}
