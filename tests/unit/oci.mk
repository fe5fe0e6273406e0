# Unit tests of ukbuild oci: SHA-256, the layer tree, digests, config rules, cpio.
UNIT_BINS += $(B)/tests/unit/test_oci

$(B)/tests/unit/test_oci: $(B)/san/tests/unit/test_oci.o $(B)/san/builder/layer.o \
		$(B)/san/builder/layer_tar.o $(B)/san/builder/layer_cpio.o \
		$(B)/san/builder/oci_sha256.o $(B)/san/builder/oci_source.o \
		$(B)/san/builder/oci_config.o $(B)/san/builder/manifest.o

# The binary-mode loader's pure parts (libos/elf.c, libos/binary_stack.c).
UNIT_BINS += $(B)/tests/unit/test_oci_elf
$(B)/san/libos/elf.o $(B)/san/libos/binary_stack.o $(B)/san/tests/unit/test_oci_elf.o: \
	SAN_CFLAGS += -Ilibos/include
$(B)/tests/unit/test_oci_elf: $(B)/san/tests/unit/test_oci_elf.o $(B)/san/libos/elf.o \
		$(B)/san/libos/binary_stack.o $(B)/san/libos/vdso_image.o
$(B)/san/libos/vdso_image.o: libos/vdso_image.S
	@mkdir -p $(@D)
	$(CC) -c $< -o $@
