#!/usr/bin/env bash
# A short run of each 9P fuzz target (installed into build/tests/unit by
# tests/unit/p9.mk). Seeds are a few valid messages (tests/fuzz/seeds.sh);
# a crash or a sanitizer report fails the test.
smoke=$(dirname "$0")/../fuzz/smoke.sh
bash "$smoke" p9_codec 4096 "${P9_FUZZ_RUNS:-100000}"
# (the server target touches a file system per input: fewer runs)
bash "$smoke" p9_server 4096 "${P9_FUZZ_RUNS:-10000}"
