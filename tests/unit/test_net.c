/* ukrun's network options (vmm/net_conf.c): what is accepted, what it
 * means, and that every bad spelling is refused. */
#include <arpa/inet.h>
#include <string.h>

#include "../../vmm/net.h"
#include "unit.h"

static int parse(const char *net, const char *ip, const char *gw, const char *port,
                 struct vmm_net_conf *c)
{
	struct vmm_opts o = { .net = net, .ip = ip, .gw = gw };

	if (port)
		o.ports[o.nports++] = port;
	return vmm_net_conf_parse(&o, c);
}

TEST(none)
{
	struct vmm_net_conf c;

	EXPECT(parse(NULL, NULL, NULL, NULL, &c) == 0 && c.kind == VMM_NET_NONE);
	EXPECT(parse("none", NULL, NULL, NULL, &c) == 0 && c.kind == VMM_NET_NONE);
	EXPECT(parse("bogus", NULL, NULL, NULL, &c) == -1);
}

TEST(tap)
{
	struct vmm_net_conf c;

	EXPECT(parse("tap:tap0", NULL, NULL, NULL, &c) == 0 && c.kind == VMM_NET_TAP &&
	       !strcmp(c.ifname, "tap0") && c.vhost == VMM_VHOST_AUTO);
	EXPECT(parse("tap:t,vhost=on", NULL, NULL, NULL, &c) == 0 && c.vhost == VMM_VHOST_ON);
	EXPECT(parse("tap:t,vhost=off", NULL, NULL, NULL, &c) == 0 && c.vhost == VMM_VHOST_OFF);
	EXPECT(parse("tap:t,vhost=maybe", NULL, NULL, NULL, &c) == -1);
	EXPECT(parse("tap:", NULL, NULL, NULL, &c) == -1);
	EXPECT(parse("tap:sixteen-chars-xy", NULL, NULL, NULL, &c) == -1);
	EXPECT(parse("tap:tap0", NULL, NULL, "8080:80", &c) == -1); /* forwards: user only */
}

TEST(user_hostfwd)
{
	struct vmm_net_conf c;

	EXPECT(parse("user", NULL, NULL, NULL, &c) == 0 && c.kind == VMM_NET_USER && !c.nfwd);
	EXPECT(parse("user,hostfwd=tcp:8080-:80", NULL, NULL, NULL, &c) == 0 && c.nfwd == 1 &&
	       c.fwd[0].host_port == 8080 && c.fwd[0].guest_port == 80 && !c.fwd[0].udp &&
	       c.fwd[0].host_addr.s_addr == htonl(INADDR_LOOPBACK));
	EXPECT(parse("user,hostfwd=tcp::8080-:80,hostfwd=udp:127.0.0.2:5353-:53", NULL, NULL, NULL,
	             &c) == 0 &&
	       c.nfwd == 2 && c.fwd[0].host_addr.s_addr == 0 && c.fwd[1].udp &&
	       c.fwd[1].host_addr.s_addr == inet_addr("127.0.0.2") && c.fwd[1].guest_port == 53);
	EXPECT(parse("user,hostfwd=tcp:0-:80", NULL, NULL, NULL, &c) == -1);
	EXPECT(parse("user,hostfwd=tcp:8080-:70000", NULL, NULL, NULL, &c) == -1);
	EXPECT(parse("user,hostfwd=sctp:1-:2", NULL, NULL, NULL, &c) == -1);
	EXPECT(parse("user,hostfwd=tcp:8080-10.0.0.9:80", NULL, NULL, NULL, &c) == -1);
	EXPECT(parse("user,hostfwd=tcp:bad.addr:1-:2", NULL, NULL, NULL, &c) == -1);
	EXPECT(parse("user,restrict=on", NULL, NULL, NULL, &c) == -1);
}

/* The host's loopback is closed unless asked for. */
TEST(user_host_loopback)
{
	struct vmm_net_conf c;

	EXPECT(parse("user", NULL, NULL, NULL, &c) == 0 && !c.host_loopback);
	EXPECT(parse(NULL, NULL, NULL, "8080:80", &c) == 0 && !c.host_loopback);
	EXPECT(parse("user,host-loopback=on", NULL, NULL, NULL, &c) == 0 && c.host_loopback);
	EXPECT(parse("user,hostfwd=tcp:8080-:80,host-loopback=on", NULL, NULL, NULL, &c) == 0 &&
	       c.host_loopback && c.nfwd == 1);
	EXPECT(parse("user,host-loopback=on,host-loopback=off", NULL, NULL, NULL, &c) == 0 &&
	       !c.host_loopback);
	EXPECT(parse("user,host-loopback=yes", NULL, NULL, NULL, &c) == -1);
	EXPECT(parse("user,host-loopback", NULL, NULL, NULL, &c) == -1);
}

/* The user network's MTU: 65520 unless mtu=N says otherwise (within what
 * IPv4 and libslirp allow); a TAP's stays Ethernet's. */
TEST(user_mtu)
{
	struct vmm_net_conf c;

	EXPECT(parse("user", NULL, NULL, NULL, &c) == 0 && c.mtu == UK_VIRTIO_NET_MTU_USER);
	EXPECT(parse(NULL, NULL, NULL, "8080:80", &c) == 0 && c.mtu == 65520);
	EXPECT(parse("tap:tap0", NULL, NULL, NULL, &c) == 0 && c.mtu == 1500);
	EXPECT(parse("user,mtu=1500,hostfwd=tcp:8080-:80", NULL, NULL, NULL, &c) == 0 &&
	       c.mtu == 1500 && c.nfwd == 1);
	EXPECT(parse("user,mtu=68", NULL, NULL, NULL, &c) == 0 && c.mtu == 68);
	EXPECT(parse("user,mtu=67", NULL, NULL, NULL, &c) == -1);
	EXPECT(parse("user,mtu=65521", NULL, NULL, NULL, &c) == -1);
	EXPECT(parse("user,mtu=", NULL, NULL, NULL, &c) == -1);
	EXPECT(parse("user,mtu=9000x", NULL, NULL, NULL, &c) == -1);
}

/* --net passt: the same network and options, through passt. */
TEST(passt)
{
	struct vmm_net_conf c;

	EXPECT(parse("passt", NULL, NULL, NULL, &c) == 0 && c.kind == VMM_NET_USER && c.passt &&
	       c.mtu == UK_VIRTIO_NET_MTU_USER && !c.host_loopback);
	EXPECT(parse("passt", NULL, NULL, "8080:80", &c) == 0 && c.passt && c.nfwd == 1);
	EXPECT(parse("passt,hostfwd=udp::5353-:53,host-loopback=on,mtu=1500", NULL, NULL, NULL,
	             &c) == 0 &&
	       c.passt && c.nfwd == 1 && c.fwd[0].udp && c.host_loopback && c.mtu == 1500);
	EXPECT(parse("passt", "10.0.2.20/24", "10.0.2.2", NULL, &c) == 0 && c.passt);
	EXPECT(parse("user", NULL, NULL, NULL, &c) == 0 && !c.passt);
	EXPECT(parse(NULL, NULL, NULL, "8080:80", &c) == 0 && !c.passt);
	EXPECT(parse("passtx", NULL, NULL, NULL, &c) == -1);
	EXPECT(parse("passt,restrict=on", NULL, NULL, NULL, &c) == -1);
}

TEST(publish)
{
	struct vmm_net_conf c;

	EXPECT(parse(NULL, NULL, NULL, "8080:80", &c) == 0 && c.kind == VMM_NET_USER &&
	       c.nfwd == 1 && c.fwd[0].host_port == 8080 && c.fwd[0].guest_port == 80);
	EXPECT(c.fwd[0].host_addr.s_addr == htonl(INADDR_LOOPBACK)); /* loopback unless named */
	EXPECT(parse(NULL, NULL, NULL, "5353:53/udp", &c) == 0 && c.fwd[0].udp);
	/* docker's [HOSTADDR:]HOSTPORT:GUESTPORT; an empty address is every address */
	EXPECT(parse(NULL, NULL, NULL, "0.0.0.0:8080:80/tcp", &c) == 0 && !c.fwd[0].udp &&
	       c.fwd[0].host_addr.s_addr == htonl(INADDR_ANY) && c.fwd[0].host_port == 8080 &&
	       c.fwd[0].guest_port == 80);
	EXPECT(parse(NULL, NULL, NULL, "10.1.2.3:53:53/udp", &c) == 0 && c.fwd[0].udp &&
	       c.fwd[0].host_addr.s_addr == inet_addr("10.1.2.3"));
	EXPECT(parse(NULL, NULL, NULL, ":8080:80", &c) == 0 &&
	       c.fwd[0].host_addr.s_addr == htonl(INADDR_ANY));
	EXPECT(parse(NULL, NULL, NULL, "host:8080:80", &c) == -1);
	EXPECT(parse(NULL, NULL, NULL, "1.2.3.4:8080:", &c) == -1);
	EXPECT(parse(NULL, NULL, NULL, "1.2.3.4::80", &c) == -1);
	EXPECT(parse(NULL, NULL, NULL, "80", &c) == -1);
	EXPECT(parse(NULL, NULL, NULL, "a:b", &c) == -1);
	EXPECT(parse(NULL, NULL, NULL, "1:2/sctp", &c) == -1);
	EXPECT(parse("none", NULL, NULL, "8080:80", &c) == -1); /* said none */
}

static int is6(const struct vmm_net_fwd *f, const char *a)
{
	struct in6_addr x;

	return f->family == AF_INET6 && inet_pton(AF_INET6, a, &x) == 1 &&
	       !memcmp(&x, &f->host_addr6, sizeof(x));
}

/* IPv6 host addresses, bracketed as docker and QEMU write them: that
 * address alone (without one, -p is IPv4's loopback, as before). */
TEST(publish_ipv6)
{
	struct vmm_net_conf c;

	EXPECT(parse(NULL, NULL, NULL, "8080:80", &c) == 0 && c.nfwd == 1 &&
	       c.fwd[0].family == AF_INET);
	EXPECT(parse(NULL, NULL, NULL, ":8080:80/udp", &c) == 0 && c.nfwd == 1 &&
	       c.fwd[0].family == AF_INET && c.fwd[0].host_addr.s_addr == htonl(INADDR_ANY));
	EXPECT(parse(NULL, NULL, NULL, "[::1]:8080:80", &c) == 0 && c.nfwd == 1 &&
	       is6(&c.fwd[0], "::1") && c.fwd[0].host_port == 8080 && c.fwd[0].guest_port == 80);
	EXPECT(parse(NULL, NULL, NULL, "[::]:53:53/udp", &c) == 0 && c.nfwd == 1 &&
	       is6(&c.fwd[0], "::") && c.fwd[0].udp);
	EXPECT(parse(NULL, NULL, NULL, "[fd00::1:2]:8080:80", &c) == 0 &&
	       is6(&c.fwd[0], "fd00::1:2"));
	EXPECT(parse(NULL, NULL, NULL, "[::1]:8080", &c) == -1);
	EXPECT(parse(NULL, NULL, NULL, "[::1:8080:80", &c) == -1);
	EXPECT(parse(NULL, NULL, NULL, "::1:8080:80", &c) == -1); /* brackets needed */
	EXPECT(parse(NULL, NULL, NULL, "[127.0.0.1]:8080:80", &c) == -1);
	EXPECT(parse(NULL, NULL, NULL, "[]:8080:80", &c) == -1);
	EXPECT(parse("user,hostfwd=tcp:[::1]:8080-:80", NULL, NULL, NULL, &c) == 0 && c.nfwd == 1 &&
	       is6(&c.fwd[0], "::1") && c.fwd[0].guest_port == 80);
	EXPECT(parse("user,hostfwd=tcp:8080-:80", NULL, NULL, NULL, &c) == 0 && c.nfwd == 1 &&
	       c.fwd[0].family == AF_INET); /* as QEMU's: IPv4 unless named */
	EXPECT(parse("user,hostfwd=tcp:[::1]8080-:80", NULL, NULL, NULL, &c) == -1);
	EXPECT(parse("passt", NULL, NULL, "[::1]:8080:80", &c) == -1); /* passt: IPv4 here */
	EXPECT(parse("passt", NULL, NULL, "8080:80", &c) == 0);
}

TEST(static_address)
{
	struct vmm_net_conf c;

	EXPECT(parse("tap:t", "10.0.0.2/24", "10.0.0.1", NULL, &c) == 0 &&
	       c.ip.s_addr == inet_addr("10.0.0.2") && c.prefix == 24 &&
	       c.gw.s_addr == inet_addr("10.0.0.1"));
	EXPECT(parse("tap:t", "10.0.0.2", NULL, NULL, &c) == 0 && c.prefix == 24);
	EXPECT(parse("tap:t", "10.0.0.2/33", NULL, NULL, &c) == -1);
	EXPECT(parse("tap:t", "10.0.0.2/", NULL, NULL, &c) == -1);
	EXPECT(parse("tap:t", "10.0.0.256/24", NULL, NULL, &c) == -1);
	EXPECT(parse("tap:t", NULL, "10.0.0.1", NULL, &c) == -1); /* --gw needs --ip */
	EXPECT(parse("tap:t", "10.0.0.2/24", "gateway", NULL, &c) == -1);
	EXPECT(parse(NULL, "10.0.0.2/24", NULL, NULL, &c) == -1); /* no network */
}

int main(void)
{
	RUN("net-opts", none);
	RUN("net-opts", tap);
	RUN("net-opts", user_hostfwd);
	RUN("net-opts", user_host_loopback);
	RUN("net-opts", user_mtu);
	RUN("net-opts", passt);
	RUN("net-opts", publish);
	RUN("net-opts", publish_ipv6);
	RUN("net-opts", static_address);
	return unit_failures != 0;
}
