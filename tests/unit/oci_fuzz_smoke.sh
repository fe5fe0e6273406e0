#!/usr/bin/env bash
# Short runs of ukbuild oci's and the binary loader's fuzz targets
# (installed into build/tests/unit by tests/unit/oci.mk): a crash, a leak
# or a sanitizer report fails the test. Seeds (tests/fuzz/seeds.sh): small real
# layers and real programs.
smoke=$(dirname "$0")/../fuzz/smoke.sh
# (the layer target is slow: a temporary file and libarchive per run)
bash "$smoke" oci_layer 65536 "${OCI_FUZZ_RUNS:-3000}" -rss_limit_mb=1024
bash "$smoke" oci_elf 8192 "${OCI_FUZZ_RUNS:-50000}" -rss_limit_mb=1024
