# virtio-blk: the request parser (virtio/virtio_blk.c) and ukrun's device
# (vmm/virtio_blk.c) through the virtio-mmio transport, without KVM; the
# parser's libFuzzer target and a short run of it in the unit suite.
UNIT_BINS += $(B)/tests/unit/test_blk

$(B)/tests/unit/test_blk: $(B)/san/tests/unit/test_blk.o $(B)/san/virtio/virtio_blk.o \
		$(B)/san/virtio/virtq.o $(B)/san/vmm/virtio_blk.o $(B)/san/vmm/virtio_mmio.o \
		$(B)/san/vmm/mem.o $(B)/san/vmm/util.o $(B)/san/common/host.o

BLK_FUZZ_CFLAGS := -g -O1 -std=gnu11 -D_GNU_SOURCE -Ivirtio/include -Iimage/include \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined

$(B)/tests/fuzz/blk_req: tests/fuzz/blk_req.c virtio/virtio_blk.c virtio/virtq.c \
		virtio/include/uk/virtio_blk.h virtio/include/uk/virtq.h
	@mkdir -p $(@D)
	clang $(BLK_FUZZ_CFLAGS) -o $@ $(filter %.c,$^)

$(B)/tests/unit/blk_fuzz_smoke: tests/unit/blk_fuzz_smoke.sh $(B)/tests/fuzz/blk_req $(B)/tests/fuzz/mmio
	@mkdir -p $(@D)
	install -m 755 $< $@

tests: $(B)/tests/unit/blk_fuzz_smoke

# A hostile driver against the virtio-mmio transport, with the virtio-blk
# device behind it (tests/fuzz/mmio.c).
$(B)/tests/fuzz/mmio: tests/fuzz/mmio.c vmm/virtio_mmio.c vmm/virtio_blk.c virtio/virtio_blk.c \
		virtio/virtq.c vmm/mem.c vmm/util.c common/host.c vmm/virtio.h
	@mkdir -p $(@D)
	clang $(BLK_FUZZ_CFLAGS) -o $@ $(filter %.c,$^) -lfdt -lpthread
tests: $(B)/tests/fuzz/mmio
