/*
 * Which command lines are the OCI runtime's: ukrun hands those to
 * ukrun-oci (ukrun.c), the runtime's own executable, so that the monitor
 * never loads the runtime's libraries (jansson, nettle). Apart from
 * oci_runtime.c so that ukrun links this alone.
 */
#include <string.h>

#include "oci.h"

const char *const oci_commands[] = { "create",  "start",  "state",    "kill",   "delete",
	                             "list",    "ps",     "features", "exec",   "run",
	                             "pause",   "resume", "update",   "events", "checkpoint",
	                             "restore", "spec",   NULL };

int oci_is_runtime(int argc, char **argv)
{
	static const char *const globals[] = {
		"--root", "--log", "--log-format", "--debug", "--systemd-cgroup", "--rootless", NULL
	};
	const char *a = argc > 1 ? argv[1] : "";

	for (int i = 0; oci_commands[i]; i++)
		if (!strcmp(a, oci_commands[i]))
			return 1;
	for (int i = 0; globals[i]; i++) {
		size_t n = strlen(globals[i]);
		if (!strncmp(a, globals[i], n) && (!a[n] || a[n] == '='))
			return 1;
	}
	return 0;
}
