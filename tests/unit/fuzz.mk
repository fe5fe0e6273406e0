# What every libFuzzer target shares: how it is built, its seeds
# (tests/fuzz/seeds.sh, next to the targets in build/tests/fuzz), the unit
# suite's short run of it (tests/fuzz/smoke.sh, which each *_fuzz_smoke
# calls), and the regression inputs kept in tests/fuzz/regress/TARGET/ —
# every input that ever crashed a target, run once each by the unit suite
# (fuzz_regress). `make fuzz` runs every target for a long time
# (tests/fuzz/run.sh).
#
# A target is tests/fuzz/TARGET.c and what it exercises: its .mk names the
# code as prerequisites (and FUZZ_LIBS where it needs libraries), and which
# targets its *_fuzz_smoke script runs.
FUZZ_CFLAGS := -g -O1 -std=gnu11 -D_GNU_SOURCE -Ivirtio/include -Iimage/include -Ilibos/include \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
$(B)/tests/fuzz/%: tests/fuzz/%.c
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) $(FUZZ_LIBS)
$(B)/tests/unit/%_fuzz_smoke: tests/unit/%_fuzz_smoke.sh
	@mkdir -p $(@D)
	install -m 755 $< $@
$(B)/tests/fuzz/seeds.sh: tests/fuzz/seeds.sh
	@mkdir -p $(@D)
	install -m 755 $< $@
$(B)/tests/fuzz/smoke.sh: tests/fuzz/smoke.sh
	@mkdir -p $(@D)
	install -m 755 $< $@
$(B)/tests/unit/fuzz_regress: tests/unit/fuzz_regress.sh
	@mkdir -p $(@D)
	install -m 755 $< $@
tests: $(B)/tests/fuzz/seeds.sh $(B)/tests/fuzz/smoke.sh $(B)/tests/unit/fuzz_regress
