# virtio-blk: the request parser (virtio/virtio_blk.c) and ukrun's device
# (vmm/virtio_blk.c) through the virtio-mmio transport, without KVM; the
# parser's libFuzzer target and a short run of it in the unit suite.
UNIT_BINS += $(B)/tests/unit/test_blk

$(B)/tests/unit/test_blk: $(B)/san/tests/unit/test_blk.o $(B)/san/virtio/virtio_blk.o \
		$(B)/san/virtio/virtq.o $(B)/san/vmm/virtio_blk.o $(B)/san/vmm/virtio_mmio.o \
		$(B)/san/vmm/mem.o $(B)/san/vmm/util.o $(B)/san/common/host.o

$(B)/tests/fuzz/blk_req: virtio/virtio_blk.c virtio/virtq.c virtio/include/uk/virtio_blk.h \
		virtio/include/uk/virtq.h
$(B)/tests/unit/blk_fuzz_smoke: $(B)/tests/fuzz/blk_req $(B)/tests/fuzz/mmio
tests: $(B)/tests/unit/blk_fuzz_smoke

# A hostile driver against the virtio-mmio transport, with the virtio-blk
# device behind it (tests/fuzz/mmio.c).
$(B)/tests/fuzz/mmio: vmm/virtio_mmio.c vmm/virtio_blk.c virtio/virtio_blk.c virtio/virtq.c \
		vmm/mem.c vmm/util.c common/host.c vmm/virtio.h
$(B)/tests/fuzz/mmio: FUZZ_LIBS := -lfdt -lpthread
tests: $(B)/tests/fuzz/mmio
