#!/usr/bin/env bash
# A short run of the network fuzz targets (tests/unit/net.mk installs this
# into build/tests/unit): the device side of the rings, the virtio-net
# header check, frames over several receive buffers. A crash or a
# sanitizer report fails the test. Seeds: tests/fuzz/seeds.sh.
smoke=$(dirname "$0")/../fuzz/smoke.sh
for name in net_virtq net_hdr net_rx; do
	bash "$smoke" "$name" 8192 "${NET_FUZZ_RUNS:-100000}"
done
