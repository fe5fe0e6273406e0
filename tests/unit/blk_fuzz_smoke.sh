#!/usr/bin/env bash
# Short runs of the virtio-blk request parser's fuzz target and of the
# hostile driver against the virtio-mmio transport (installed into
# build/tests/unit by tests/unit/blk.mk); a crash or a sanitizer report
# fails the test. Seeds: tests/fuzz/seeds.sh.
smoke=$(dirname "$0")/../fuzz/smoke.sh
bash "$smoke" blk_req 2048 "${BLK_FUZZ_RUNS:-200000}"
bash "$smoke" mmio 4096 "${BLK_FUZZ_RUNS:-20000}"
