# Test programs: host unit tests (with ASan/UBSan, so a memory error fails
# the test) and guest test images built with ukbuild.

SAN_CFLAGS := $(HOST_CFLAGS) -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
UNIT_BINS := $(B)/tests/unit/test_vmm $(B)/tests/unit/test_manifest $(B)/tests/unit/test_image

$(B)/san/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -c $< -o $@

$(B)/tests/unit/test_vmm: $(B)/san/tests/unit/test_vmm.o $(B)/san/vmm/opts.o \
		$(B)/san/vmm/mem.o $(B)/san/vmm/util.o
$(B)/tests/unit/test_manifest: $(B)/san/tests/unit/test_manifest.o $(B)/san/builder/manifest.o
$(B)/tests/unit/test_image: $(B)/san/tests/unit/test_image.o $(B)/san/builder/image.o

$(UNIT_BINS):
	@mkdir -p $(@D)
	$(CC) -fsanitize=address,undefined -o $@ $^ -lfdt

# Guest test programs: one image per directory of tests/guest.
GUEST_TESTS := $(patsubst tests/guest/%/,$(B)/tests/guest/%.img,$(wildcard tests/guest/*/))
$(B)/tests/guest/%.img: tests/guest/%/*.c $(UKBUILD) $(SYSROOT)/.done
	@mkdir -p $(@D)
	$(UKBUILD) -o $@ $(filter %.c,$^)

# hello with defaults in its manifest, for the override tests.
$(B)/tests/guest/hello-env.img: apps/hello/hello.c $(UKBUILD) $(SYSROOT)/.done
	@mkdir -p $(@D)
	$(UKBUILD) -o $@ --name hello -e GREETING=from-the-image --cmd default-arg $<

.PHONY: tests
tests: $(UNIT_BINS) $(GUEST_TESTS) $(B)/tests/guest/hello-env.img
