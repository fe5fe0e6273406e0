# Unit tests of ukrun's and ukbuild's pure parts.
UNIT_BINS += $(B)/tests/unit/test_vmm $(B)/tests/unit/test_manifest $(B)/tests/unit/test_image

$(B)/tests/unit/test_vmm: $(B)/san/tests/unit/test_vmm.o $(B)/san/vmm/opts.o \
		$(B)/san/vmm/mem.o $(B)/san/vmm/util.o $(B)/san/common/host.o \
		$(B)/san/vmm/exec_proto.o
$(B)/tests/unit/test_manifest: $(B)/san/tests/unit/test_manifest.o $(B)/san/image/manifest.o $(B)/san/image/mf.o
$(B)/tests/unit/test_image: $(B)/san/tests/unit/test_image.o $(B)/san/image/image.o $(B)/san/common/host.o \
		$(B)/san/image/image_syms.o

# libFuzzer target: what ukrun reads of an image before it runs anything
# (tests/fuzz/image.c); `make fuzz` runs it, the unit suite replays its
# seeds (tests/unit/fuzz_regress.sh).
$(B)/tests/fuzz/image: image/image.c image/image_syms.c image/manifest.c image/mf.c common/host.c \
		image/image.h image/manifest.h
$(B)/tests/fuzz/image: FUZZ_CFLAGS += -Wno-string-plus-int
$(B)/tests/fuzz/image: FUZZ_LIBS := -lfdt
tests: $(B)/tests/fuzz/image

# libFuzzer target: the option parser both tools share, on hostile command
# lines (tests/fuzz/host_opts.c); a short run in the unit suite
# (host_fuzz_smoke).
$(B)/tests/fuzz/host_opts: common/host.c common/host.h
$(B)/tests/unit/host_fuzz_smoke: $(B)/tests/fuzz/host_opts
tests: $(B)/tests/unit/host_fuzz_smoke

# The filter between the guest's output and a terminal.
UNIT_BINS += $(B)/tests/unit/test_console
$(B)/tests/unit/test_console: $(B)/san/tests/unit/test_console.o $(B)/san/vmm/console.o
