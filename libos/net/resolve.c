/* Name resolution through lwIP's DNS client (uk_net_resolve, uk/net.h). */
#include <lwip/dns.h>
#include <lwip/ip_addr.h>
#include <uk/cpu.h>
#include <uk/libc.h>
#include <uk/linux.h>
#include <uk/net.h>
#include <uk/sched.h>

struct lookup {
	struct uk_wq wq;
	int done, found, v6;
	ip_addr_t ip;
};

static void on_found(const char *name, const ip_addr_t *ip, void *arg)
{
	struct lookup *l = arg;

	(void)name;
	l->found = ip && (l->v6 ? IP_IS_V6(ip) : IP_IS_V4(ip));
	if (l->found)
		ip_addr_copy(l->ip, *ip);
	l->done = 1;
	uk_wq_wake(&l->wq, -1);
}

static int have_server(void)
{
	for (u8_t i = 0; i < DNS_MAX_SERVERS; i++)
		if (!ip_addr_isany(dns_getserver(i)))
			return 1;
	return 0;
}

int uk_net_resolve(const char *name, int v6, void *addr)
{
	struct lookup l = { .v6 = v6 };
	ip_addr_t ip;
	err_t err;
	int r;

	if ((r = uk_net_up()))
		return r;
	if (!v6 && ip4addr_aton(name, ip_2_ip4(&ip))) {
		uk_memcpy(addr, &ip_2_ip4(&ip)->addr, 4);
		return 0;
	}
	uk_net_enter();
	if (!have_server()) {
		uk_net_leave();
		return -ENETDOWN;
	}
	err = dns_gethostbyname_addrtype(name, &ip, on_found, &l,
	                                 v6 ? LWIP_DNS_ADDRTYPE_IPV6 : LWIP_DNS_ADDRTYPE_IPV4);
	if (err == ERR_OK) /* cached */
		on_found(name, &ip, &l);
	/* No timeout of our own: lwIP's resolver always calls back (it gives
	 * up after its retries), and l lives on this stack until it does. */
	while (err == ERR_INPROGRESS && !l.done) {
		if (uk_net_pending()) {
			uk_net_poll();
			continue;
		}
		uk_net_leave();
		int on = uk_irq_save();
		if (!l.done)
			uk_wq_wait(&l.wq, 0);
		uk_irq_restore(on);
		uk_net_enter();
	}
	uk_net_leave();
	if (err != ERR_OK && err != ERR_INPROGRESS)
		return err == ERR_ARG ? -EINVAL : -EAGAIN;
	if (!l.found)
		return -ENOENT;
	if (v6)
		uk_memcpy(addr, ip_2_ip6(&l.ip)->addr, 16);
	else
		uk_memcpy(addr, &ip_2_ip4(&l.ip)->addr, 4);
	return 0;
}
