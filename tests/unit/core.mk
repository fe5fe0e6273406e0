# Unit tests of ukrun's and ukbuild's pure parts.
UNIT_BINS += $(B)/tests/unit/test_vmm $(B)/tests/unit/test_manifest $(B)/tests/unit/test_image

$(B)/tests/unit/test_vmm: $(B)/san/tests/unit/test_vmm.o $(B)/san/vmm/opts.o \
		$(B)/san/vmm/mem.o $(B)/san/vmm/util.o
$(B)/tests/unit/test_manifest: $(B)/san/tests/unit/test_manifest.o $(B)/san/builder/manifest.o
$(B)/tests/unit/test_image: $(B)/san/tests/unit/test_image.o $(B)/san/builder/image.o \
		$(B)/san/builder/image_syms.o
