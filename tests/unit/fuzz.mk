# What every libFuzzer target shares: its seeds (tests/fuzz/seeds.sh, next
# to the targets in build/tests/fuzz), the unit suite's short run of it
# (tests/fuzz/smoke.sh, which each *_fuzz_smoke calls), and the regression
# inputs kept in tests/fuzz/regress/TARGET/ — every input that ever crashed
# a target, run once each by the unit suite (fuzz_regress). `make fuzz` runs every target
# for a long time (tests/fuzz/run.sh).
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
