# 9P2000.L: the codec (virtio/p9.c) and the server (vmm/p9_server.c):
# unit tests, libFuzzer targets, and a short fuzz run in the unit suite.
UNIT_BINS += $(B)/tests/unit/test_p9

$(B)/tests/unit/test_p9: $(B)/san/tests/unit/test_p9.o $(B)/san/virtio/p9.o

# libFuzzer needs clang; each target is one tests/fuzz/p9*.c plus the code
# it exercises. `build/tests/fuzz/p9_codec DIR` fuzzes for as long as wanted.
$(B)/tests/fuzz/p9_codec: virtio/p9.c virtio/include/uk/p9.h
$(B)/tests/fuzz/p9_server: vmm/p9_server.c vmm/p9_ops.c vmm/p9_ops_dir.c vmm/p9_host.c virtio/p9.c \
		$(wildcard vmm/p9*.h) virtio/include/uk/p9.h
$(B)/tests/unit/p9_fuzz_smoke: $(B)/tests/fuzz/p9_codec $(B)/tests/fuzz/p9_server

tests: $(B)/tests/unit/p9_fuzz_smoke

# The gofer, spoken to over buffers.
P9S_OBJS := $(patsubst %.c,$(B)/san/%.o,vmm/p9_server.c vmm/p9_ops.c vmm/p9_ops_dir.c \
	vmm/p9_host.c vmm/p9_seccomp.c vmm/seccomp.c vmm/util.c common/host.c virtio/p9.c)
UNIT_BINS += $(B)/tests/unit/test_p9_server
$(B)/tests/unit/test_p9_server: $(B)/san/tests/unit/test_p9_server.o $(P9S_OBJS)

# The virtio-9p device behind the real virtio-mmio transport, no KVM, and
# its gofer processes (the test binary started again as one, as ukrun
# starts itself).
UNIT_BINS += $(B)/tests/unit/test_virtio_9p
$(B)/tests/unit/test_virtio_9p: $(B)/san/tests/unit/test_virtio_9p.o $(B)/san/vmm/virtio_9p.o \
		$(B)/san/vmm/virtio_mmio.o $(B)/san/virtio/virtq.o $(B)/san/vmm/mem.o \
		$(B)/san/vmm/helper.o $(B)/san/vmm/jail.o $(B)/san/vmm/net_conf.o $(B)/san/vmm/p9_gofer.o \
		$(P9S_OBJS)

# The gofer's cost without a VM, against plain system calls: a measuring
# tool for make bench, not a unit test (so not in build/tests/unit).
P9_BENCH_OBJS := $(patsubst %.c,$(B)/host/%.o,vmm/p9_server.c vmm/p9_ops.c vmm/p9_ops_dir.c \
	vmm/p9_host.c vmm/p9_seccomp.c vmm/seccomp.c vmm/util.c common/host.c virtio/p9.c)
$(B)/tests/bench/p9_bench: tests/unit/p9_bench.c tests/unit/p9_client.h $(P9_BENCH_OBJS)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -o $@ $(filter %.c %.o,$^) -lseccomp -lpthread

tests: $(B)/tests/bench/p9_bench
