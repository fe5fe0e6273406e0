#!/usr/bin/env bash
# A short run of the fuzz target of the option parser both tools share
# (installed into build/tests/unit by tests/unit/core.mk): a crash or a
# sanitizer report, or a parse that hands over what the command line did
# not say, fails the test. Seeds (tests/fuzz/seeds.sh): the tools' command
# lines.
bash "$(dirname "$0")/../fuzz/smoke.sh" host_opts 4096 "${HOST_FUZZ_RUNS:-50000}"
