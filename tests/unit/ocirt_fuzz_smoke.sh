#!/usr/bin/env bash
# A short run of the OCI runtime's config.json fuzz target (installed into
# build/tests/unit by tests/unit/ocirt.mk): a crash, a leak or a sanitizer
# report fails the test. Seeds (tests/fuzz/seeds.sh): configs as podman
# writes them.
bash "$(dirname "$0")/../fuzz/smoke.sh" oci_spec 4096 "${OCI_FUZZ_RUNS:-20000}" -rss_limit_mb=1024
