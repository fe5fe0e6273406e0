/*
 * The VM process's side of `create` and `start`, in runc's shape: `create`
 * starts ukrun on the container's image, which sets the VM up (KVM, guest
 * memory, the image loaded, devices and their helpers) and then waits
 * before the guest's first instruction, opening a FIFO in the container's
 * directory for writing. That open returns when `start` opens it for
 * reading; ukrun writes a byte and goes on to run the guest. So `start` is
 * only the guest's boot, and a `create` that failed left no VM.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "oci.h"
#include "vmm.h"

int oci_wait_start(int ready_fd, int stderr_fd, const char *fifo)
{
	int fd;

	/* From here on ukrun's messages are the container's (its stderr):
	 * until now they went to a file `create` reports from. */
	if (stderr_fd >= 0 && (dup2(stderr_fd, 2) < 0 || close(stderr_fd))) {
		vmm_err("the container's stderr (descriptor %d): %s", stderr_fd, strerror(errno));
		return -1;
	}
	if (ready_fd >= 0 && (write(ready_fd, "", 1) != 1 || close(ready_fd))) {
		vmm_err("telling create the VM is ready (descriptor %d): %s", ready_fd,
		        strerror(errno));
		return -1;
	}
	while ((fd = open(fifo, O_WRONLY | O_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (fd < 0) {
		vmm_err("%s: %s (the FIFO start opens)", fifo, strerror(errno));
		return -1;
	}
	if (write(fd, "0", 1) != 1) {
		vmm_err("%s: %s", fifo, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}
