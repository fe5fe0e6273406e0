/*
 * The network core (libos/net/): lwIP over the virtio-net interfaces plus
 * loopback, brought up on first use, and the rules for calling into lwIP.
 *
 * Bring-up (uk_net_up, on the first socket or name lookup): every virtio-net
 * device becomes an interface; the first gets a static address (ukrun
 * --ip/--gw in the runtime tree, or "uk.ip=A.B.C.D/N uk.gw=A.B.C.D
 * uk.dns=A.B.C.D" on QEMU's command line) or asks DHCP, and the call waits
 * (at most UK_NET_DHCP_WAIT_MS) for an address, so a program's first socket
 * call sees a configured network, as a process started after
 * network-online would. /etc/resolv.conf is written from the DNS servers
 * learnt.
 *
 * Calling lwIP: only between uk_net_enter() and uk_net_leave() (the socket
 * layer brackets each system call). The scheduler is cooperative, so this
 * is not a lock today; leave kicks the devices once for everything queued
 * and wakes the net thread when lwIP armed an earlier timer.
 *
 * The net thread drains receive rings on interrupts, runs lwIP's timers,
 * and spins briefly (UK_NET_SPIN_NS) before sleeping, because the next
 * frame often follows within microseconds and an interrupt costs ~30 us.
 */
#ifndef UK_NET_H
#define UK_NET_H

#include <stdint.h>
#include <uk/sched.h>

#define UK_NET_DHCP_WAIT_MS 10000
#define UK_NET_SPIN_NS 50000
#define UK_SOMAXCONN 4096 /* listen's backlog bound (Linux's net.core.somaxconn) */

/* Bring the network up (idempotent). 0, or -errno when lwIP cannot start. */
int uk_net_up(void);
/* /etc/resolv.conf at boot from the name server the network will have,
 * when known (net_conf.c); boot calls it through a weak reference, so an
 * image without a network stack links none. */
void uk_net_resolv_boot(void);

void uk_net_enter(void);
void uk_net_leave(void);

/* Drive the stack once from the calling thread (between enter/leave):
 * received frames, timers, loopback. Returns frames received. */
int uk_net_poll(void);

/* Whether frames wait in a receive ring (cheap; for poll-before-sleep). */
int uk_net_pending(void);

/* Resolve a name through lwIP's resolver, its A record (v6 0: 4 bytes at
 * addr, a dotted quad directly) or its AAAA record (v6 1: 16 bytes): 0,
 * or -errno (-ENOENT: no such name or record, -EAGAIN: no answer,
 * -ENETDOWN: no DNS server). Blocks. */
int uk_net_resolve(const char *name, int v6, void *addr);

/* Whether f is a socket (libos/net/socket.c): its write never sleeps
 * when f is O_NONBLOCK, and reads nothing of the buffer after it
 * returns. */
struct uk_file;
int uk_file_is_socket(const struct uk_file *f);

/* The index of the interface named so (16 bytes at most), or -ENODEV;
 * the name of the one of index into name: 0 or -ENODEV. lo is 1, eth0
 * 2... as lwIP numbers them (the network up first: uk_net_up). */
int uk_net_ifindex(const char *name);
int uk_net_ifname_of(int index, char *name, unsigned size);

/* The first interface's IPv4 address (network byte order), 0 if none. */
uint32_t uk_net_ip(void);

/* The interfaces' IPv6 addresses as Linux's /proc/net/if_inet6 lists
 * them (address in hex, index, prefix length, scope, flags, name: lo is
 * 1, eth0 2, as if_nametoindex), into buf, NUL-terminated: the length.
 * Nothing before the network is up (a program's first socket). */
size_t uk_net_if_inet6(char *buf, size_t size);

/* Statistics for --verbose style reports and tests. */
struct uk_net_stats {
	uint64_t irqs;      /* receive interrupts taken */
	uint64_t wakeups;   /* net thread wake-ups */
	uint64_t spins_won; /* frames caught by the spin before sleeping */
};
extern struct uk_net_stats uk_net_stats;

#endif
