/*
 * The network core (see uk/net.h): bring-up, the net thread, and the
 * enter/leave bracket around lwIP calls.
 */
#include <libfdt.h>
#include <lwip/dhcp.h>
#include <lwip/dns.h>
#include <lwip/etharp.h>
#include <lwip/init.h>
#include <lwip/netif.h>
#include <lwip/timeouts.h>
#include <netif/ethernet.h>
#include <uk/cpu.h>
#include <uk/libc.h>
#include <uk/vfs.h>
#include <uk/linux.h>
#include <uk/net.h>
#include <uk/plat.h>
#include <uk/print.h>
#include <uk/sched.h>
#include <uk/time.h>
#include <uk/virtio_dev.h>
#include <vnet.h>

#include "net_impl.h"

struct uk_net_stats uk_net_stats;

static enum { NET_DOWN, NET_STARTING, NET_UP } state;
static struct uk_wq net_wq;     /* the net thread sleeps here */
static struct uk_wq up_wq;      /* uk_net_up waits here for addresses */
static volatile int net_kicked; /* an interrupt came: poll again */
static uint64_t net_deadline;   /* when the net thread wakes by itself; 0 awake */
static int net_looping;         /* the net thread is in its loop, not asleep: it kicks */
static struct netif *first;

/* ---- the net thread ---- */

static void net_wake(void) /* interrupt context */
{
	net_kicked = 1;
	uk_net_stats.irqs++;
	uk_wq_wake(&net_wq, -1);
}

int uk_net_poll(void)
{
	int n = uk_vnet_poll();

	/* Another thread drained the rings while the net thread sleeps: with
	 * event indexes the device interrupts only past the index the net
	 * thread last asked for, so ask again, or no interrupt would ever come
	 * (and frames that came meanwhile need the net thread now). */
	if (net_deadline && uk_vnet_irq(1))
		uk_wq_wake(&net_wq, -1);
	netif_poll_all(); /* loopback */
	sys_check_timeouts();
	return n;
}

int uk_net_pending(void) { return uk_vnet_pending(); }

void uk_net_enter(void) {}

/* The next lwIP timeout as a monotonic deadline (0: none). */
static uint64_t timer_deadline(void)
{
	u32_t ms = sys_timeouts_sleeptime();

	if (ms == SYS_TIMEOUTS_SLEEPTIME_INFINITE)
		return 0;
	return uk_monotonic_ns() + (uint64_t)ms * 1000000 + 1;
}

void uk_net_leave(void)
{
	uint64_t t;

	netif_poll_all();
	/* While the net thread loops, the kick for this call's frames waits
	 * for its next flush: the caller's next calls' frames go with it. */
	uk_vnet_flush_lazy(net_looping);
	t = timer_deadline();
	if (net_deadline && t && t < net_deadline)
		uk_wq_wake(&net_wq, -1);
}

/* Poll for a while before sleeping: the next frame often comes within
 * microseconds, an interrupt and a wake-up cost tens. Other threads go
 * first. */
static int spin(void)
{
	uint64_t end = uk_monotonic_ns() + UK_NET_SPIN_NS;

	uk_sched_yield();
	uk_vnet_flush(); /* what the others sent while it yielded */
	while (uk_monotonic_ns() < end) {
		if (uk_vnet_pending()) {
			uk_net_stats.spins_won++;
			return 1;
		}
		uk_pause();
	}
	return 0;
}

static void net_sleep(void)
{
	int on = uk_irq_save();
	uint64_t t;

	if (!uk_vnet_irq(1) && !net_kicked) {
		t = timer_deadline();
		net_deadline = t ? t : ~0ull;
		net_looping = 0; /* from now on leave kicks */
		uk_vnet_flush();
		uk_wq_wait(&net_wq, t);
		net_looping = 1;
		net_deadline = 0;
		uk_net_stats.wakeups++;
	}
	net_kicked = 0;
	uk_irq_restore(on);
	uk_vnet_irq(0);
}

static void net_main(void *arg)
{
	(void)arg;
	net_looping = 1;
	for (;;) {
		uk_net_poll();
		uk_vnet_flush();
		if (!spin())
			net_sleep();
	}
}

/* ---- bring-up ---- */

static struct netif *add_netif(struct netif *nif, void *state_, netif_init_fn init)
{
	return netif_add(nif, NULL, NULL, NULL, state_, init, ethernet_input);
}

/* An address: ask for the gateway's link address at once, so that the
 * first connections do not all wait for it. */
static void status_cb(struct netif *nif)
{
	if (netif_is_up(nif) && !ip4_addr_isany_val(*netif_ip4_gw(nif)))
		etharp_request(nif, netif_ip4_gw(nif));
	uk_wq_wake(&up_wq, -1);
}

static void configure(struct netif *nif)
{
	struct uk_net_conf c;

	netif_set_status_callback(nif, status_cb);
	netif_set_hostname(nif, "uk");
	if (uk_net_conf(uk_vnet_dev(nif), &c) == 0) {
		netif_set_addr(nif, (ip4_addr_t *)&c.ip, (ip4_addr_t *)&c.mask,
		               (ip4_addr_t *)&c.gw);
		netif_set_up(nif);
		for (int i = 0; i < c.ndns; i++) {
			ip_addr_t dns = IPADDR4_INIT(c.dns[i]);
			dns_setserver((u8_t)i, &dns);
		}
	} else {
		netif_set_up(nif);
		dhcp_start(nif);
	}
	/* IPv6: a link-local address now, global ones from a router's
	 * advertisements (SLAAC) when the network has a router. */
	netif_create_ip6_linklocal_address(nif, 1);
	netif_set_ip6_autoconfig_enabled(nif, 1);
}

static int have_address(void) { return !first || !ip4_addr_isany_val(*netif_ip4_addr(first)); }

static void wait_address(void)
{
	uint64_t end = uk_monotonic_ns() + UK_NET_DHCP_WAIT_MS * 1000000ull;

	/* A signal does not end the wait (it is delivered when the call that
	 * brought the network up returns): Go's runtime preempts with SIGURG
	 * every few ms, and its first socket would get a network without
	 * an address. */
	while (uk_wait_event(&up_wq, have_address(), end) == -EINTR)
		;
	if (!have_address())
		uk_pr("net: no address from DHCP after %d s; going on without one",
		      UK_NET_DHCP_WAIT_MS / 1000);
}

void uk_net_ifname(const struct netif *nif, char *name, unsigned size)
{
	if (nif->name[0] == 'l')
		uk_snprintf(name, size, "lo");
	else
		uk_snprintf(name, size, "eth%u", (unsigned)netif_get_index(nif) - 2);
}

int uk_net_ifindex(const char *name)
{
	char n[8];
	int r = -ENODEV;

	uk_net_enter();
	for (struct netif *nif = netif_list; nif && r < 0; nif = nif->next) {
		uk_net_ifname(nif, n, sizeof(n));
		if (!uk_strncmp(n, name, 16))
			r = netif_get_index(nif);
	}
	uk_net_leave();
	return r;
}

int uk_net_ifname_of(int index, char *name, unsigned size)
{
	int r = -ENODEV;

	uk_net_enter();
	for (struct netif *nif = netif_list; nif && r < 0; nif = nif->next)
		if (netif_get_index(nif) == index) {
			uk_net_ifname(nif, name, size);
			r = 0;
		}
	uk_net_leave();
	return r;
}

/* Linux's scopes and flags (IFA_F_*): global 0, host 0x10, link 0x20;
 * tentative (duplicate detection running) 0x40, permanent 0x80 (SLAAC's
 * addresses have lifetimes: neither). */
static size_t if_inet6_line(struct netif *nif, int i, char *buf, size_t size)
{
	const ip6_addr_t *a = netif_ip6_addr(nif, i);
	u8_t st = netif_ip6_addr_state(nif, i);
	int lo = ip6_addr_isloopback(a), link = ip6_addr_islinklocal(a), len;
	unsigned flags = ip6_addr_istentative(st) ? 0x40 : 0;
	char name[8];

	if (!ip6_addr_isvalid(st) && !ip6_addr_istentative(st))
		return 0;
#if LWIP_IPV6_ADDRESS_LIFETIMES
	if (ip6_addr_life_isstatic(netif_ip6_addr_valid_life(nif, i)))
		flags |= 0x80;
#else
	flags |= 0x80;
#endif
	uk_net_ifname(nif, name, sizeof(name));
	len = 0;
	for (int w = 0; w < 4; w++)
		len += uk_snprintf(buf + len, size - (size_t)len, "%08x",
		                   (unsigned)lwip_ntohl(a->addr[w]));
	len += uk_snprintf(buf + len, size - (size_t)len, " %02x %02x %02x %02x %8s\n",
	                   (unsigned)netif_get_index(nif), lo ? 128 : 64,
	                   lo     ? 0x10
	                   : link ? 0x20
	                          : 0,
	                   flags, name);
	return (size_t)len < size ? (size_t)len : 0;
}

size_t uk_net_if_inet6(char *buf, size_t size)
{
	size_t len = 0;

	if (!size)
		return 0;
	buf[0] = 0;
	if (state != NET_UP)
		return 0;
	uk_net_enter();
	for (struct netif *nif = netif_list; nif; nif = nif->next)
		for (int i = 0; i < LWIP_IPV6_NUM_ADDRESSES; i++)
			len += if_inet6_line(nif, i, buf + len, size - len);
	uk_net_leave();
	return len;
}

uint32_t uk_net_ip(void) { return first ? netif_ip4_addr(first)->addr : 0; }

int uk_net_up(void)
{
	struct uk_thread *t;

	if (state == NET_UP)
		return 0;
	if (state == NET_STARTING) /* another thread brings it up: wait */
		return uk_wait_event(&up_wq, state == NET_UP, 0);
	state = NET_STARTING;
	lwip_init();
	/* /proc/net/if_inet6 from now on: registered here, not at boot, so
	 * an image without sockets links no network stack */
	uk_procfs_hooks.if_inet6 = uk_net_if_inet6;
	uk_vnet_probe(net_wake, add_netif);
	for (struct netif *nif = netif_list; nif; nif = nif->next) {
		if (nif->name[0] == 'l') /* loopback: lwIP set it up */
			continue;
		configure(nif);
		if (!first)
			netif_set_default(first = nif);
	}
	if (!(t = uk_thread_create(net_main, NULL, 64 << 10)))
		return -ENOMEM;
	uk_memcpy(t->name, "net", 4);
	uk_vnet_flush();
	wait_address();
	uk_net_resolv_conf();
	uk_net_hosts(uk_net_ip());
	state = NET_UP;
	uk_wq_wake(&up_wq, -1);
	return 0;
}
