# The rootfs archive round trip: ukbuild's writer (builder/rootfs.c, with
# libarchive) read back by the library OS's cpio reader (libos/fs/cpio.c).
UNIT_BINS += $(B)/tests/unit/test_rootfs

$(B)/tests/unit/test_rootfs: $(B)/san/tests/unit/test_rootfs.o $(B)/san/builder/rootfs.o \
		$(B)/san/libos/fs/cpio.o
