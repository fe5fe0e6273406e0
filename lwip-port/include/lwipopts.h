/*
 * lwIP configuration for the library OS.
 *
 * NO_SYS with the raw API, under our own socket layer (libos/net/), rather
 * than lwIP's threads and sockets: the scheduler is cooperative on one
 * vCPU and lwIP calls never block, so any thread may call into lwIP
 * directly (a socket call is a function call, not two context switches
 * through tcpip_thread's mailbox); sockets are our VFS files with our wait
 * queues, so poll/epoll work on them like on pipes; lwIP's own socket
 * layer would bring a second descriptor table. Interrupt handlers never
 * touch lwIP: they wake the net thread (libos/net/net.c), which also runs
 * lwIP's timers. With SMP the socket layer's enter/leave pair becomes a lock.
 *
 * Memory: every pool comes from the kernel heap (MEMP_MEM_MALLOC), so the
 * number of connections is bounded by RAM, not by compile-time pools.
 */
#ifndef UK_LWIPOPTS_H
#define UK_LWIPOPTS_H

#define NO_SYS 1
#define LWIP_SOCKET 0
#define LWIP_NETCONN 0
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_TIMERS 1

/* ---- memory ---- */
#define MEM_LIBC_MALLOC 1
#define MEMP_MEM_MALLOC 1
#define MEM_ALIGNMENT 16
void *uk_kmalloc(unsigned long size);
void uk_kfree(void *p);
void *uk_lwip_calloc(unsigned long n, unsigned long size);
void *uk_lwip_malloc(unsigned long size);
#define mem_clib_malloc uk_lwip_malloc
#define mem_clib_free uk_kfree
#define mem_clib_calloc uk_lwip_calloc
#define PBUF_POOL_SIZE 512
#define PBUF_POOL_BUFSIZE                                \
	1536 /* one frame: 1514 + headroom (the driver's \
	      * received frames are PBUF_RAM, any size) */
/* Room for the virtio-net header before every frame lwIP builds: the
 * driver sends header and frame as one descriptor. */
#define PBUF_LINK_ENCAPSULATION_HLEN 12
/* The segment size the device cuts a large TCP segment into (TSO: the
 * peer's MSS less this segment's options' share, see lwip-port/hooks.c),
 * set on every TCP segment as it goes out; 0: none. */
#define LWIP_PBUF_CUSTOM_DATA u16_t uk_tso_mss;

/* The Internet checksum, 32 bytes a round (lwip-port/chksum.c). */
#include "chksum.h"
#define LWIP_CHKSUM uk_inet_sum

/* ---- protocols ---- */
#define LWIP_IPV4 1
#define LWIP_IPV6 1
/* IPv6 beside IPv4 (dual stack): link-local addresses and SLAAC from a
 * router's advertisements, ::1 on loopback. No MLD: virtio-net hands every
 * multicast frame up, as lwIP then needs. */
#define LWIP_IPV6_MLD 0
#define LWIP_IPV6_AUTOCONFIG 1
#define LWIP_IPV6_DHCP6 0
#define LWIP_IPV6_SEND_ROUTER_SOLICIT 1
#define LWIP_IPV6_NUM_ADDRESSES 3
#define LWIP_IPV6_FRAG 1
#define LWIP_IPV6_REASS 1
#define IPV6_FRAG_COPYHEADER 1 /* lwIP asks for it on 64-bit */
#define LWIP_ND6_QUEUEING 1
#define LWIP_ICMP6 1
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_RAW 0
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_DHCP 1
#define LWIP_DHCP_DOES_ACD_CHECK 0
#define DHCP_DOES_ARP_CHECK 0 /* no 1 s probe before using the lease */
#define LWIP_DNS 1
#define DNS_MAX_SERVERS 2
#define LWIP_IGMP 0
#define LWIP_AUTOIP 0
#define IP_REASSEMBLY 1
#define IP_FRAG 1
#define IP_DEFAULT_TTL 64
#define LWIP_BROADCAST_PING 0

/* ---- netifs ---- */
#define LWIP_NETIF_LOOPBACK 1
#define LWIP_HAVE_LOOPIF 1 /* 127.0.0.1 */
#define LWIP_LOOPBACK_MAX_PBUFS 0
#define LWIP_NETIF_STATUS_CALLBACK 1
/* Address, link and state changes told to netlink's group members
 * (libos/net/sock_netlink.c). */
#define LWIP_NETIF_EXT_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK 1
#define LWIP_CHECKSUM_CTRL_PER_NETIF 1
#define LWIP_SINGLE_NETIF 0
#define ETHARP_TABLE_MATCH_NETIF 1
#define ARP_TABLE_SIZE 64
#define ARP_QUEUEING 1
/* Frames kept for an address being resolved (lwIP's default: 3, the rest
 * dropped). The first burst to the gateway all waits for its ARP reply:
 * 256 clients connecting at once meant 253 SYN-ACKs dropped, each
 * connection stalled until lwIP's SYN-ACK retransmission (3 s). */
#define ARP_QUEUE_LEN 1024

/* ---- TCP ----
 * Segments as large as the interface allows, up to 16 KiB: lwIP sends and
 * advertises min(TCP_MSS, MTU - 40) per interface, so 1460 on a TAP and
 * 16384 on the user network (MTU 65520, virtio_net.h), where a segment
 * then carries 11 times the data for the same cost per frame. Not more:
 * libslirp has no window scaling, so its windows stop at 65535 bytes, and
 * a segment size near half of that stalls for seconds:
 *  - lwIP sends whole segments only (it splits one to fit a smaller
 *    window on its persist timer, 1.5 s later); slirp announces a window
 *    it reopened only once that grew by two segments (or half its 128 KiB
 *    buffer, never): with 32 KiB segments a window left under one segment
 *    could not grow by two;
 *  - lwIP announces a reopened window once it grew by min(TCP_WND / 2,
 *    MSS), and slirp sends into a window a full segment or half its
 *    largest window: with a 64 KiB MSS a window left under half could not
 *    grow by an MSS.
 * 16 KiB is below the bound of both (one third of 64 KiB) and leaves four
 * segments in flight in slirp's window rather than two.
 * What depends on a typical segment count (queue lengths, how far
 * tcp_write may allocate ahead) is sized for Ethernet's segments,
 * TCP_MSS_ETH: small writes make small segments whatever the MSS, and a
 * 16 KiB allocation ahead for each small write of every connection would
 * eat a 64 MiB guest. */
#define TCP_MSS 16384
#define TCP_MSS_ETH 1460
#define LWIP_WND_SCALE 1
#define TCP_RCV_SCALE 3
#define TCP_WND (256 * 1024)
#define TCP_SND_BUF (256 * 1024)
#define TCP_SND_QUEUELEN (4 * TCP_SND_BUF / TCP_MSS_ETH)
#define TCP_WND_UPDATE_THRESHOLD (4 * TCP_MSS_ETH) /* lwIP's default: 4 MSS */
/* Only lwIP's own socket and netconn layers read TCP_SNDLOWAT (not built
 * here), and lwIP's sanity check wants it 4 MSS below 64 KiB, which no
 * value can be with a 64 KiB MSS: the checks are off, the ones that
 * matter restated below. */
#define TCP_SNDLOWAT (0xffff - (4 * TCP_MSS_ETH) - 1)
#define LWIP_DISABLE_TCP_SANITY_CHECKS 1
#if TCP_SND_BUF < 2 * TCP_MSS || TCP_WND < TCP_MSS || TCP_SNDLOWAT >= TCP_SND_BUF
#error "lwipopts.h: TCP buffers smaller than two segments"
#endif
#if TCP_SND_QUEUELEN < 2 * (TCP_SND_BUF / TCP_MSS_ETH) || TCP_SND_QUEUELEN > 0xffff
#error "lwipopts.h: TCP_SND_QUEUELEN out of range"
#endif
/* TIME-WAIT lasts 2 MSL: 60 s as on Linux (lwIP's default MSL makes it
 * 120 s), a server that closes first keeps half as many PCBs in it, and
 * every SYN walks their list (lwip-port/hooks.c). */
#define TCP_MSL 30000UL
/* Ephemeral ports 49152-65534. lwIP draws its first one as
 * TCP_ENSURE_LOCAL_PORT_RANGE(LWIP_RAND()), by default anywhere up to
 * 65535, where tcp_new_port steps past the range's end to 0: the VM's
 * first bind to port 0 or connect failed with ENOBUFS (one VM in 16384,
 * seen in CI) and later ones got ports from 1 up. Drawn below the end,
 * the step wraps to the start (tests/unit/test_lwipopts.c). */
#define TCP_LOCAL_PORT_RANGE_START 0xc000
#define TCP_LOCAL_PORT_RANGE_END 0xffff
#define TCP_ENSURE_LOCAL_PORT_RANGE(r)        \
	((u16_t)(TCP_LOCAL_PORT_RANGE_START + \
	         (r) % (TCP_LOCAL_PORT_RANGE_END - TCP_LOCAL_PORT_RANGE_START)))
/* Two per connection: its peer's MSS while lwIP's is a TSO segment's
 * (lwip-port/hooks.c), and its socket, told when lwIP frees the PCB
 * (libos/net/sock_tcp.c). */
#define LWIP_TCP_PCB_NUM_EXT_ARGS 2
#define TCP_QUEUE_OOSEQ 1
#define LWIP_TCP_SACK_OUT 1
#define TCP_LISTEN_BACKLOG 0 /* half-open connections: lwip-port/hooks.c */
#define LWIP_HOOK_FILENAME "lwip_hooks.h"
#define LWIP_TCP_KEEPALIVE 1
#define TCP_OVERSIZE TCP_MSS_ETH
#define LWIP_TCP_TIMESTAMPS 0
#define LWIP_CALLBACK_API 1
#define SO_REUSE 1
#define LWIP_SO_RCVBUF 0
#define MEMP_NUM_TCP_PCB_LISTEN 64

/* ---- misc ---- */
#define LWIP_STATS 0
#define LWIP_NETIF_HOSTNAME 1
#define LWIP_DEBUG 0

#endif
