# ukrun's jail (vmm/jail.c): --user's parsing, and the drop itself in
# forked children looked at from outside (/proc). Built without the
# sanitizers, as test_seccomp: a child that drops its ids, capabilities
# and dumpability is no place for LeakSanitizer's exit-time ptrace.
JAIL_TEST := $(B)/tests/unit/test_jail

$(JAIL_TEST): $(B)/host/tests/unit/test_jail.o $(B)/host/vmm/jail.o $(B)/host/vmm/net_conf.o \
		$(B)/host/vmm/util.o $(B)/host/common/host.o
	@mkdir -p $(@D)
	$(CC) -o $@ $^ -lcap-ng

tests: $(JAIL_TEST)
