/*
 * lwIP's hooks (LWIP_HOOK_FILENAME in lwipopts.h), implemented in
 * lwip-port/hooks.c.
 */
#ifndef UK_LWIP_HOOKS_H
#define UK_LWIP_HOOKS_H

#include <lwip/err.h>

struct tcp_pcb;
struct tcp_hdr;
struct pbuf;
struct netif;

/* Every TCP segment, before the PCB chosen for it takes it (a listener's
 * too): ERR_OK, or else it is dropped. Bounds half-open connections, and
 * takes a FIN just past a full receive window (as Linux does). */
err_t uk_tcp_inpacket(struct tcp_pcb *pcb, struct tcp_hdr *hdr, u16_t optlen, u16_t opt1len,
                      u8_t *opt2, struct pbuf *p);
#define LWIP_HOOK_TCP_INPACKET_PCB uk_tcp_inpacket

/* Every IPv4 packet, before lwIP's own checks: 1 when eaten, else lwIP
 * goes on. Ends a connection being opened on an ICMP error for it, and a
 * TIME-WAIT that a new connection's SYN reopens. */
int uk_ip4_input(struct pbuf *p, struct netif *inp);
#define LWIP_HOOK_IP4_INPUT uk_ip4_input

/* Every IPv6 packet, before lwIP's own checks: 1 when eaten, else lwIP
 * goes on. Ends a connection being opened on an ICMPv6 error for it. */
int uk_ip6_input(struct pbuf *p, struct netif *inp);
#define LWIP_HOOK_IP6_INPUT uk_ip6_input

/* Every TCP segment going out, its options written (opts: past them):
 * marks the pbuf with the size the device is to cut it into (TSO) and
 * keeps a SYN's MSS to the link's. Returns opts (nothing added). */
u32_t *uk_tcp_out_opts(struct pbuf *p, struct tcp_hdr *hdr, const struct tcp_pcb *pcb, u32_t *opts);
#define LWIP_HOOK_TCP_OUT_ADD_TCPOPTS uk_tcp_out_opts

/* A connection just established (the socket layer's accept and connect):
 * on an interface that segments TCP itself (TSO), lwIP's MSS becomes a
 * multiple of the peer's near 64 KiB, the peer's kept for the device. */
void uk_tcp_tso(struct tcp_pcb *pcb);

/* The segment size the peer sees (TCP_MAXSEG): lwIP's, or with TSO the
 * size the device cuts into. */
u16_t uk_tcp_mss(const struct tcp_pcb *pcb);

#endif
