# Networking: the host-side test tool the e2e scripts use (on this host
# and inside the nested KVM host).
NETTOOL := $(B)/tests/net/nettool
tests: $(NETTOOL)
$(NETTOOL): tests/e2e/nettool/nettool.c
	@mkdir -p $(@D)
	$(CC) -O2 -g -Wall -Wextra -o $@ $<
