/*
 * `ukrun exec`'s conversation, both ends' shared pure parts (exec.c
 * listens, oci_exec.c calls): the request's check and the socket's
 * address. Host unit tests: tests/unit/test_vmm.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmm.h"

int vmm_exec_spec_ok(const void *buf, size_t n)
{
	const struct uk_exec_spec *sp = buf;
	const char *p = (const char *)buf + sizeof(*sp), *end = (const char *)buf + n;
	uint32_t strings = 0;

	if (n < sizeof(*sp) || n > UK_EXEC_SPEC_MAX || sp->size != n || sp->argc < 1 ||
	    sp->argc > UK_EXEC_SPEC_MAX || sp->envc > UK_EXEC_SPEC_MAX || end[-1])
		return 0;
	for (; p < end; p++)
		strings += !*p;
	return strings == 1 + sp->argc + sp->envc;
}

int vmm_exec_addr(const char *path, struct sockaddr_un *sa, int *dirfd)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];

	*dirfd = -1;
	*sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
	if (strlen(path) < sizeof(sa->sun_path)) {
		strcpy(sa->sun_path, path);
		return 0;
	}
	/* docker's state directories pass 108 bytes: the directory by a
	 * descriptor, through /proc's link to it */
	if (!slash || slash == path || (size_t)(slash - path) >= sizeof(dir) ||
	    strlen(slash) > sizeof(sa->sun_path) - 32) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = 0;
	if ((*dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d%s", *dirfd, slash);
	return 0;
}
