#!/usr/bin/env bash
# OCI images (issue 6): tests/images/bench.sh prints its own tables (image
# sizes and ukbuild oci times here; redis, nginx and the system-call costs
# under ukrun, in the nested host when there is no /dev/kvm).
cd "$(dirname "$0")/../.."
exec bash tests/images/bench.sh
