# lwIP (Debian's lwip source package, unpacked by ci/deps.sh into
# $(LWIP_SRC)) compiled into the library OS with our port: lwipopts.h,
# arch/cc.h, sys_arch.c and the virtio netif. NO_SYS, raw API: see
# lwip-port/include/lwipopts.h for why.

LWIP_CORE := init def dns inet_chksum ip mem memp netif pbuf raw stats sys tcp tcp_in \
	tcp_out timeouts udp ipv4/dhcp ipv4/etharp ipv4/icmp ipv4/ip4_frag ipv4/ip4 \
	ipv4/ip4_addr ipv6/ethip6 ipv6/icmp6 ipv6/inet6 ipv6/ip6 ipv6/ip6_addr ipv6/ip6_frag \
	ipv6/mld6 ipv6/nd6
LWIP_OBJS := $(LWIP_CORE:%=$(B)/guest/lwip/core/%.o) $(B)/guest/lwip/netif/ethernet.o \
	$(patsubst %.c,$(B)/guest/%.o,$(wildcard lwip-port/*.c))
LWIP_INC := -Ilwip-port/include -I$(LWIP_SRC)/src/include
LWIP_CFLAGS := $(LIBOS_CFLAGS) $(LWIP_INC) -Wno-address -Wno-type-limits

# Off the hot paths (see GUEST_COLD in the Makefile).
$(B)/guest/lwip/core/dns.o $(B)/guest/lwip/core/ipv4/dhcp.o: COLD_OPT := $(GUEST_COLD_OPT)

# The archive's rule was read before this file: add to its prerequisites
# (its recipe archives $^).
LIBOS_OBJS += $(LWIP_OBJS)
$(SYSROOT)/lib/libuk.a: $(LWIP_OBJS)

$(B)/guest/lwip/%.o: $(LWIP_SRC)/src/%.c lwip-port/include/lwipopts.h lwip-port/include/arch/cc.h \
		$(B)/include-linux/.done
	@mkdir -p $(@D)
	$(CC) $(LWIP_CFLAGS) $(COLD_OPT) -c $< -o $@

$(B)/guest/lwip-port/%.o: lwip-port/%.c $(B)/include-linux/.done
	@mkdir -p $(@D)
	$(CC) $(LWIP_CFLAGS) $(COLD_OPT) -c $< -o $@

# The socket layer and the network core see lwIP's headers too.
$(B)/guest/libos/net/%.o: libos/net/%.c $(B)/include-linux/.done
	@mkdir -p $(@D)
	$(CC) $(LWIP_CFLAGS) $(COLD_OPT) -c $< -o $@
