/*
 * Where an interface's static configuration comes from: ukrun's runtime
 * tree (uk,ip = <addr prefix>, uk,gw = <addr> on the device's node) or,
 * under QEMU, the kernel command line before "--":
 * uk.ip=A.B.C.D/N uk.gw=A.B.C.D uk.dns=A.B.C.D. And /etc/resolv.conf.
 */
#include <libfdt.h>
#include <lwip/dns.h>
#include <lwip/ip_addr.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/plat.h>
#include <uk/print.h>
#include <uk/mm.h>
#include <uk/proc.h>
#include <uk/vfs.h>
#include <uk/virtio_dev.h>

#include "net_impl.h"

static uint32_t prefix_mask(unsigned prefix)
{
	return prefix ? lwip_htonl(~0u << (32 - (prefix > 32 ? 32 : prefix))) : 0;
}

static int conf_fdt(const void *fdt, int node, struct uk_net_conf *c)
{
	const fdt32_t *ip, *gw;
	int len;

	ip = fdt_getprop(fdt, node, UK_DT_NET_IP, &len);
	if (!ip || len != 8)
		return -ENOENT;
	c->ip = ip[0]; /* FDT cells are big-endian: network order already */
	c->mask = prefix_mask(fdt32_to_cpu(ip[1]));
	gw = fdt_getprop(fdt, node, UK_DT_NET_GW, &len);
	if (gw && len == 4)
		c->gw = gw[0];
	return 0;
}

/* The value of "key=" on the command line before " -- ", copied. */
static int cmdline_value(const char *key, char *out, size_t size)
{
	size_t klen = uk_strlen(key);

	for (const char *p = uk_plat.cmdline; *p; p++) {
		if (p != uk_plat.cmdline && p[-1] != ' ')
			continue;
		if (p[0] == '-' && p[1] == '-' && (p[2] == ' ' || !p[2]))
			break;
		if (uk_strncmp(p, key, klen) || p[klen] != '=')
			continue;
		size_t n = 0;
		for (p += klen + 1; *p && *p != ' ' && n + 1 < size; p++)
			out[n++] = *p;
		out[n] = 0;
		return 0;
	}
	return -ENOENT;
}

static int conf_cmdline(struct uk_net_conf *c)
{
	char v[32], *slash;
	ip4_addr_t a;
	unsigned prefix = 24;

	if (cmdline_value("uk.ip", v, sizeof(v)))
		return -ENOENT;
	for (slash = v; *slash && *slash != '/'; slash++)
		;
	if (*slash) {
		*slash = 0;
		prefix = 0;
		for (const char *p = slash + 1; *p >= '0' && *p <= '9'; p++)
			prefix = prefix * 10 + (unsigned)(*p - '0');
	}
	if (!ip4addr_aton(v, &a)) {
		uk_pr("net: uk.ip=%s: not an IPv4 address", v);
		return -ENOENT;
	}
	c->ip = a.addr;
	c->mask = prefix_mask(prefix);
	if (!cmdline_value("uk.gw", v, sizeof(v)) && ip4addr_aton(v, &a))
		c->gw = a.addr;
	if (!cmdline_value("uk.dns", v, sizeof(v)) && ip4addr_aton(v, &a))
		c->dns[c->ndns++] = a.addr;
	return 0;
}

int uk_net_conf(const struct uk_virtio_dev *d, struct uk_net_conf *c)
{
	static int cmdline_used;

	uk_memset(c, 0, sizeof(*c));
	if (d && d->node >= 0 && uk_plat.fdt)
		return conf_fdt(uk_plat.fdt, d->node, c);
	if (uk_plat.fdt || cmdline_used++) /* QEMU's line configures the first only */
		return -ENOENT;
	return conf_cmdline(c);
}

/* Into whatever / is (the process's view: a mounted root included). */
void uk_net_resolv_conf(void)
{
	char buf[128];
	int len = 0;

	for (u8_t i = 0; i < DNS_MAX_SERVERS; i++) {
		const ip_addr_t *a = dns_getserver(i);
		if (!ip_addr_isany(a))
			len += uk_snprintf(buf + len, sizeof(buf) - len, "nameserver %s\n",
			                   ipaddr_ntoa(a));
	}
	if (!len)
		return;
	uk_vfs_mkdir_p("/etc", 0755);
	/* no writable root filesystem: the resolver knows anyway */
	uk_vfs_write_file("/etc/resolv.conf", buf, len, 0644);
}

/* At boot, before the network is up: /etc/resolv.conf from the name server
 * the network will have (ukrun's uk,dns for the user network, QEMU's
 * uk.dns=), so that a program reading or copying it at its start finds it,
 * as in a container (postfix copies it into its chroot). The network's own
 * servers replace it when it comes up. */
void uk_net_resolv_boot(void)
{
	const void *fdt = uk_plat.fdt;
	const fdt32_t *dns = NULL;
	char v[32], buf[48];
	ip4_addr_t a;
	int len;

	for (int node = fdt ? fdt_next_node(fdt, -1, NULL) : -1; node >= 0 && !dns;
	     node = fdt_next_node(fdt, node, NULL))
		if ((dns = fdt_getprop(fdt, node, UK_DT_NET_DNS, &len)) && len != 4)
			dns = NULL;
	if (dns)
		a.addr = dns[0];
	else if (fdt || cmdline_value("uk.dns", v, sizeof(v)) || !ip4addr_aton(v, &a))
		return;
	len = uk_snprintf(buf, sizeof(buf), "nameserver %s\n", ip4addr_ntoa(&a));
	uk_vfs_mkdir_p("/etc", 0755);
	uk_vfs_write_file("/etc/resolv.conf", buf, (size_t)len, 0644);
}

void uk_net_hosts(uint32_t ip)
{
	ip4_addr_t a = { ip };
	char addr[16];

	if (!uk_hostname[0])
		return;
	ip4addr_ntoa_r(&a, addr, sizeof(addr));
	uk_vfs_hosts_name(uk_hostname, ip ? addr : UK_HOST_ADDR);
}
