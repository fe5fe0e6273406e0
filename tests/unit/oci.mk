# Unit tests of ukbuild oci: SHA-256, the layer tree, digests, config rules, cpio.
UNIT_BINS += $(B)/tests/unit/test_oci

$(B)/tests/unit/test_oci: $(B)/san/tests/unit/test_oci.o $(B)/san/builder/layer.o \
		$(B)/san/builder/layer_tar.o $(B)/san/builder/layer_cpio.o $(B)/san/builder/rootfs.o \
		$(B)/san/builder/oci_sha256.o $(B)/san/builder/oci_source.o \
		$(B)/san/builder/oci_config.o $(B)/san/common/host.o $(B)/san/image/manifest.o $(B)/san/image/mf.o

# The binary-mode loader's pure parts (libos/process/elf.c, libos/process/binary_stack.c).
UNIT_BINS += $(B)/tests/unit/test_oci_elf
$(B)/san/libos/process/elf.o $(B)/san/libos/process/binary_stack.o $(B)/san/tests/unit/test_oci_elf.o: \
	SAN_CFLAGS += -Ilibos/include
$(B)/tests/unit/test_oci_elf: $(B)/san/tests/unit/test_oci_elf.o $(B)/san/libos/process/elf.o \
		$(B)/san/libos/process/binary_stack.o $(B)/san/libos/process/vdso_image.o
$(B)/san/libos/process/vdso_image.o: libos/process/vdso_image.S
	@mkdir -p $(@D)
	$(CC) -c $< -o $@

# libFuzzer targets (run as long as wanted: build/tests/fuzz/oci_layer DIR),
# and a short run of each in the unit suite (oci_fuzz_smoke).
# (without SHA-256, which is no parser: see tests/fuzz/sha256_none.c)
$(B)/tests/fuzz/oci_layer: builder/layer.c builder/layer_tar.c builder/layer_cpio.c \
		builder/rootfs.c tests/fuzz/sha256_none.c builder/layer.h builder/oci.h builder/rootfs.h
$(B)/tests/fuzz/oci_layer: FUZZ_LIBS := -larchive -ljansson
$(B)/tests/fuzz/oci_elf: libos/process/elf.c libos/include/uk/binary.h
$(B)/tests/unit/oci_fuzz_smoke: $(B)/tests/fuzz/oci_layer $(B)/tests/fuzz/oci_elf

tests: $(B)/tests/unit/oci_fuzz_smoke

# Sources: OCI layouts and docker archives made by the test, hostile ones too.
UNIT_BINS += $(B)/tests/unit/test_oci_source
$(B)/tests/unit/test_oci_source: $(B)/san/tests/unit/test_oci_source.o \
		$(B)/san/builder/oci_source.o $(B)/san/builder/oci_sha256.o $(B)/san/common/host.o \
		$(B)/san/builder/layer.o $(B)/san/builder/layer_tar.o
