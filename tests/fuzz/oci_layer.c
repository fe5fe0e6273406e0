/*
 * libFuzzer target: one container-image layer of arbitrary bytes (a tar
 * stream, compressed or not) applied to the root filesystem tree twice,
 * as two layers, then written out as the image's cpio archive. Whatever
 * the input, nothing may crash or leak, every path in the tree stays
 * relative and free of ".." components (the confinement layer.h
 * promises), and the cpio names exactly the tree's entries.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../builder/oci.h"

static int check_path(void *ctx, const char *path, const struct ukb_node *n)
{
	size_t *count = ctx;

	(*count)++;
	if (path[0] == '/' || strstr(path, "/../") || !strncmp(path, "../", 3) ||
	    !strcmp(path, "..") || (strlen(path) >= 3 && !strcmp(path + strlen(path) - 3, "/..")))
		abort(); /* an entry escaped the root */
	if (n->inode && n->inode->nlink < 1)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ukb_tree t;
	struct ukb_oci_layer l = { .label = "fuzz" };
	char err[512];
	uint64_t bytes;
	size_t count = 0;
	int fd = memfd_create("layer", 0), out = memfd_create("cpio", 0);

	if (fd < 0 || out < 0 || write(fd, data, size) != (ssize_t)size || ukb_tree_init(&t))
		abort();
	t.max_bytes = 128 << 10; /* decompression bombs stop here (early: more runs a second) */
	l.fd = fd;
	ukb_layer_apply(&t, &l, 1, 0, err, sizeof(err));
	ukb_layer_apply(&t, &l, 2, 0, err, sizeof(err));
	ukb_tree_walk(&t, check_path, &count);
	if (count != t.nnodes + 1)
		abort(); /* the walk and the node count disagree */
	ukb_rootfs_cpio(&t, out, &bytes, err, sizeof(err));
	ukb_tree_free(&t);
	close(fd);
	close(out);
	return 0;
}
