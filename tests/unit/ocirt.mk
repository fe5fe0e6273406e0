# ukrun as an OCI runtime: config.json's reader and the state's status.
UNIT_BINS += $(B)/tests/unit/test_oci_spec

$(B)/tests/unit/test_oci_spec: $(B)/san/tests/unit/test_oci_spec.o $(B)/san/vmm/oci_spec.o \
		$(B)/san/vmm/oci_state.o $(B)/san/common/host.o
