# Test programs: host unit tests (with ASan/UBSan, so a memory error fails
# the test) and guest test images built with ukbuild.

SAN_CFLAGS := $(HOST_CFLAGS) -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
UNIT_LDLIBS := -lfdt -lpthread -lseccomp -lslirp -larchive -ljansson

$(B)/san/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -c $< -o $@

# Each tests/unit/*.mk adds its binaries to UNIT_BINS and names their
# objects as prerequisites (build/san/... for sanitized copies of sources).
UNIT_BINS :=
include $(wildcard tests/unit/*.mk)

$(UNIT_BINS):
	@mkdir -p $(@D)
	$(CC) -fsanitize=address,undefined -o $@ $^ $(UNIT_LDLIBS)

# Guest test programs: one image per directory of tests/guest; an optional
# ukbuild.flags file there holds extra ukbuild options.
GUEST_TESTS := $(patsubst tests/guest/%/,$(B)/tests/guest/%.img,$(wildcard tests/guest/*/))
$(B)/tests/guest/%.img: tests/guest/%/*.c $(UKBUILD) $(SYSROOT)/.done
	@mkdir -p $(@D)
	$(UKBUILD) -o $@ $(shell cat tests/guest/$*/ukbuild.flags 2>/dev/null) $(filter %.c,$^)

# hello with defaults in its manifest, for the override tests.
$(B)/tests/guest/hello-env.img: apps/hello/hello.c $(UKBUILD) $(SYSROOT)/.done
	@mkdir -p $(@D)
	$(UKBUILD) -o $@ --name hello -e GREETING=from-the-image --cmd default-arg $<

.PHONY: tests
tests: $(UNIT_BINS) $(GUEST_TESTS) $(B)/tests/guest/hello-env.img

# Real programs nobody here wrote, built from Debian's source packages in
# link mode, the way a user would (sources fetched by ci/deps.sh).
PROGRAMS := $(B)/tests/programs/lua.img
LUA_CFILES = $(filter-out $(LUA_SRC)/luac.c,$(wildcard $(LUA_SRC)/*.c))
$(B)/tests/programs/lua.img: $(UKBUILD) $(SYSROOT)/.done
	@mkdir -p $(@D)
	$(UKBUILD) -o $@ --name lua $(LUA_CFILES) -- -Itests/programs/lua

tests: $(PROGRAMS)
