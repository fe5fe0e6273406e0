# Networking: the host-side test tool the e2e scripts use (on this host
# and inside the nested KVM host).
NETTOOL := $(B)/tests/net/nettool
tests: $(NETTOOL)
$(NETTOOL): tests/e2e/nettool/nettool.c
	@mkdir -p $(@D)
	$(CC) -O2 -g -Wall -Wextra -o $@ $<

# libFuzzer targets for what ukrun parses of the guest's network traffic:
# the device side of the rings, the virtio-net header check, and frames
# over several receive buffers (both sides). Run one
# for as long as wanted with `build/tests/fuzz/net_virtq DIR`; the unit
# suite runs each briefly (net_fuzz_smoke).
$(B)/tests/fuzz/net_virtq: virtio/virtq.c virtio/include/uk/virtq.h
$(B)/tests/fuzz/net_hdr: virtio/virtio_net.c virtio/virtq.c virtio/include/uk/virtio_net.h
$(B)/tests/fuzz/net_rx: virtio/virtio_net.c virtio/virtq.c virtio/include/uk/virtio_net.h \
		virtio/include/uk/virtq.h
$(B)/tests/unit/net_fuzz_smoke: $(B)/tests/fuzz/net_virtq $(B)/tests/fuzz/net_hdr \
		$(B)/tests/fuzz/net_rx

tests: $(B)/tests/unit/net_fuzz_smoke

# The same httpd source as a Linux program, for the benchmark's comparison.
HTTPD_LINUX := $(B)/tests/net/httpd-linux
tests: $(HTTPD_LINUX)
$(HTTPD_LINUX): apps/httpd/httpd.c
	@mkdir -p $(@D)
	$(CC) -O2 -g -Wall -pthread -o $@ $<

# ukrun's network options.
UNIT_BINS += $(B)/tests/unit/test_net
$(B)/tests/unit/test_net: $(B)/san/tests/unit/test_net.o $(B)/san/vmm/net_conf.o $(B)/san/vmm/util.o $(B)/san/common/host.o

# The virtio-net device with the user-mode backend and the real libslirp
# in its helper process (the test binary started again as one) behind the
# real virtio-mmio transport, no KVM: frames a hostile guest can send
# (fragments, truncated headers, the host's loopback), and the helper's
# death. (The test binary serves as the helper; ukrun's is ukrun-net.)
UNIT_BINS += $(B)/tests/unit/test_virtio_net
$(B)/tests/unit/test_virtio_net: $(B)/san/tests/unit/test_virtio_net.o $(B)/san/vmm/virtio_net.o \
		$(B)/san/vmm/net_user.o $(B)/san/vmm/net_passt.o $(B)/san/vmm/net_tap.o $(B)/san/vmm/net_vhost.o \
		$(B)/san/vmm/net_conf.o $(B)/san/vmm/net_frame.o $(B)/san/vmm/net_slirp.o \
		$(B)/san/vmm/net_epset.o $(B)/san/vmm/net_merge.o $(B)/san/vmm/net_ring.o $(B)/san/vmm/net_udpfwd.o \
		$(B)/san/vmm/net_seccomp.o $(B)/san/vmm/helper.o $(B)/san/vmm/jail.o \
		$(B)/san/vmm/virtio_mmio.o \
		$(B)/san/virtio/virtq.o $(B)/san/virtio/virtio_net.o $(B)/san/vmm/mem.o \
		$(B)/san/common/host.o $(B)/san/vmm/seccomp.o $(B)/san/vmm/util.o

# The network helper's poll set kept in epoll across turns: what a turn
# asks for is what the wait looks at, a number that names another socket
# since is watched again once forgotten.
UNIT_BINS += $(B)/tests/unit/test_net_epset
$(B)/tests/unit/test_net_epset: $(B)/san/tests/unit/test_net_epset.o $(B)/san/vmm/net_epset.o

# The guest's TCP segments merged in the network helper: what merges and
# what does not, and the merged checksums against ones computed over the
# merged bytes.
UNIT_BINS += $(B)/tests/unit/test_net_merge
$(B)/tests/unit/test_net_merge: $(B)/san/tests/unit/test_net_merge.o $(B)/san/vmm/net_merge.o

# The frames ring between ukrun and the network helper: order across the
# ring's end, room given back, and what a hostile helper can write there.
UNIT_BINS += $(B)/tests/unit/test_net_ring
$(B)/tests/unit/test_net_ring: $(B)/san/tests/unit/test_net_ring.o $(B)/san/vmm/net_ring.o

# The guest's Internet checksum (lwip-port/chksum.c), pure code.
UNIT_BINS += $(B)/tests/unit/test_chksum
$(B)/tests/unit/test_chksum: $(B)/san/tests/unit/test_chksum.o $(B)/san/lwip-port/chksum.o

# lwipopts.h's ephemeral TCP ports: the first one drawn, and lwIP's step
# from it, inside the range whatever the random number.
UNIT_BINS += $(B)/tests/unit/test_lwipopts
$(B)/tests/unit/test_lwipopts: $(B)/san/tests/unit/test_lwipopts.o

# Answers to UDP forwards from the host's loopback: which of the guest's
# datagrams to 10.0.2.2 go to 127.0.0.1 (::1), with checksums right.
UNIT_BINS += $(B)/tests/unit/test_net_udpfwd
$(B)/tests/unit/test_net_udpfwd: $(B)/san/tests/unit/test_net_udpfwd.o $(B)/san/vmm/net_udpfwd.o
