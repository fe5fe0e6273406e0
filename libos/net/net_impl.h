/* Inside the network core (libos/net/). */
#ifndef UK_NET_IMPL_H
#define UK_NET_IMPL_H

#include <stdint.h>

struct uk_virtio_dev;

/* A static configuration, addresses in network byte order. */
struct uk_net_conf {
	uint32_t ip, mask, gw;
	uint32_t dns[2];
	int ndns;
};

/* The static configuration of an interface (its runtime-tree node, or
 * QEMU's command line for the first one): 0, or -ENOENT (use DHCP). */
int uk_net_conf(const struct uk_virtio_dev *d, struct uk_net_conf *c);

/* Write /etc/resolv.conf from lwIP's DNS servers (when there are any). */
void uk_net_resolv_conf(void);
/* docker's habit: localhost and the host name resolve without a DNS
 * server: /etc/hosts gets localhost's lines and the host name with ip (the
 * first interface's IPv4 address, network order; 0: 127.0.1.1, Debian's
 * choice), in place of the line boot gave it (127.0.1.1), unless a line
 * of the image's names it already (uk_vfs_hosts_name).
 * Programs look their own name up at start (Python's http.server, Java's
 * InetAddress.getLocalHost): with a slow or absent resolver that cost
 * them the resolver's 10 s of retries. */
void uk_net_hosts(uint32_t ip);

/* An interface's name, as if_nametoindex knows it: lo, eth0, eth1... (as Docker names a
 * container's) */
struct netif;
void uk_net_ifname(const struct netif *nif, char *name, unsigned size);

/* The interface requests any socket answers (linux/sockios.h), for
 * glibc's if_nametoindex and if_indextoname, and programs that list the
 * interfaces and look in the ARP cache the old way (squid, for each
 * client): arg is the request's struct. 0 or -errno. */
#define UK_SIOCGIFNAME 0x8910
#define UK_SIOCGIFCONF 0x8912
#define UK_SIOCGIFFLAGS 0x8913
#define UK_SIOCGIFADDR 0x8915
#define UK_SIOCGIFBRDADDR 0x8919
#define UK_SIOCGIFNETMASK 0x891b
#define UK_SIOCGIFMTU 0x8921
#define UK_SIOCGIFHWADDR 0x8927
#define UK_SIOCGIFINDEX 0x8933
#define UK_SIOCGIFTXQLEN 0x8942
#define UK_SIOCGARP 0x8954
long uk_net_if_ioctl(unsigned long req, void *arg);

/* An interface as Linux describes it (SIOCGIF*, RTM_NEWLINK): its
 * flags (IFF_*), its MTU (lo's is Linux's 65536), its hardware type. */
#define IFF_UP 0x1
#define IFF_BROADCAST 0x2
#define IFF_LOOPBACK 0x8
#define IFF_RUNNING 0x40
#define IFF_MULTICAST 0x1000
#define IFF_LOWER_UP 0x10000
#define ARPHRD_ETHER 1
#define ARPHRD_LOOPBACK 772
unsigned uk_net_if_flags(const struct netif *nif);
unsigned uk_net_if_mtu(const struct netif *nif);
unsigned uk_net_if_type(const struct netif *nif);
/* The transmit queue length told (SIOCGIFTXQLEN, IFLA_TXQLEN): Linux's
 * default for Ethernet and lo; nothing queues by it here. */
#define UK_NET_IF_TXQLEN 1000

#endif
