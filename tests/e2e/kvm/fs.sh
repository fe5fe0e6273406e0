#!/bin/sh
# The file system suite (tests/guest/fs) under ukrun; results are renamed
# fs-ukrun/... so they stand beside the QEMU run's.
. tests/e2e/lib.sh
IMG=build/tests/guest/fs.img

run "$UKRUN" "$IMG"
grep -E '^(PASS|FAIL|SKIP) fs/' "$T/out" | sed 's#^\([A-Z]*\) fs/#\1 fs-ukrun/#'
check fs-ukrun/suite-complete out_has '^fs: [0-9]* tests, 0 failed$'
check fs-ukrun/suite-status status_is 0
