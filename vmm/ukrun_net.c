/*
 * ukrun-net: the network helper of --net user (net_slirp.c), an
 * executable of its own beside ukrun, so that only this process loads
 * libslirp and glib (helper.c says why). ukrun starts it as `ukrun-net
 * --helper net PPID STOPPER NAME ARG...`; it serves nothing else.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "net.h"
#include "vmm.h"

const struct vmm_helper_mode vmm_helper_modes[] = { { "net", vmm_slirp_main } };
const size_t vmm_helper_nmodes = 1;

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], VMM_HELPER_ARG)) {
		fprintf(stderr, "ukrun-net: the network helper of `ukrun --net user`, started by "
		                "ukrun; not for use on its own\n");
		return VMM_EXIT_ERROR;
	}
	/* Ends without atexit handlers, as ukrun's helpers do (ukrun.c). */
	_exit(vmm_helper_main(argc, argv));
}
