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
 * too): ERR_OK, or else it is dropped. Bounds half-open connections. */
err_t uk_tcp_inpacket(struct tcp_pcb *pcb, struct tcp_hdr *hdr, u16_t optlen, u16_t opt1len,
                      u8_t *opt2, struct pbuf *p);
#define LWIP_HOOK_TCP_INPACKET_PCB uk_tcp_inpacket

/* Every IPv4 packet, before lwIP's own checks: 1 when eaten, else lwIP
 * goes on. Ends a connection being opened on an ICMP error for it, and a
 * TIME-WAIT that a new connection's SYN reopens. */
int uk_ip4_input(struct pbuf *p, struct netif *inp);
#define LWIP_HOOK_IP4_INPUT uk_ip4_input

#endif
