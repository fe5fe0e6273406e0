# ukrun as an OCI runtime: config.json's reader and the state's status.
UNIT_BINS += $(B)/tests/unit/test_oci_spec

$(B)/tests/unit/test_oci_spec: $(B)/san/tests/unit/test_oci_spec.o $(B)/san/vmm/oci_spec.o \
		$(B)/san/vmm/oci_state.o $(B)/san/common/host.o

# libFuzzer target: config.json (run as long as wanted: build/tests/fuzz/oci_spec
# DIR), and a short run in the unit suite (ocirt_fuzz_smoke).
$(B)/tests/fuzz/oci_spec: vmm/oci_spec.c vmm/oci_state.c common/host.c vmm/oci.h \
		tests/unit/oci_bundle.h
$(B)/tests/fuzz/oci_spec: FUZZ_LIBS := -ljansson
$(B)/tests/unit/ocirt_fuzz_smoke: $(B)/tests/fuzz/oci_spec

tests: $(B)/tests/unit/ocirt_fuzz_smoke
