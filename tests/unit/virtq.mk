# Split virtqueues (both ends), the net header check, and ukrun's
# virtio-mmio transport driven through its registers.
UNIT_BINS += $(B)/tests/unit/test_virtq

$(B)/tests/unit/test_virtq: $(B)/san/tests/unit/test_virtq.o $(B)/san/virtio/virtq.o \
		$(B)/san/virtio/virtio_net.o $(B)/san/vmm/virtio_mmio.o $(B)/san/vmm/mem.o \
		$(B)/san/vmm/util.o $(B)/san/common/host.o
