# ukrun's seccomp allow-list (vmm/seccomp.c), installed in forked children.
# Built without the sanitizers, unlike the other unit tests: their runtime
# makes system calls ukrun never makes (sigaltstack for each new thread,
# among others), which the allow-list would rightly stop.
SECCOMP_TEST := $(B)/tests/unit/test_seccomp

$(SECCOMP_TEST): $(B)/host/tests/unit/test_seccomp.o $(B)/host/vmm/seccomp.o \
		$(B)/host/vmm/p9_seccomp.o $(B)/host/vmm/net_seccomp.o $(B)/host/vmm/util.o \
		$(B)/host/common/host.o
	@mkdir -p $(@D)
	$(CC) -o $@ $^ -lseccomp -lpthread

tests: $(SECCOMP_TEST)
