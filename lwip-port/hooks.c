/*
 * lwIP's hooks (see lwip_hooks.h).
 *
 * Half-open connections. lwIP's own limit is per listener and at most 255
 * (an 8-bit count): 256 clients connecting at once, their SYNs handled in
 * one batch before any handshake completes, left the last one dropped and
 * stalled for the client's retransmission (3 s from libslirp). So lwIP's
 * is off (TCP_LISTEN_BACKLOG 0) and this one bounds them for the whole
 * stack instead, as Linux's tcp_max_syn_backlog does: a SYN flood costs
 * at most UK_TCP_HALF_OPEN_MAX PCBs, not the heap.
 */
#include <lwip/priv/tcp_priv.h>
#include <lwip/tcp.h>

#include "lwip_hooks.h"

#define UK_TCP_HALF_OPEN_MAX 2048

err_t uk_tcp_inpacket(struct tcp_pcb *pcb, struct tcp_hdr *hdr, u16_t optlen, u16_t opt1len,
                      u8_t *opt2, struct pbuf *p)
{
	unsigned n = 0;

	(void)optlen, (void)opt1len, (void)opt2, (void)p;
	if (pcb->state != LISTEN || (TCPH_FLAGS(hdr) & (TCP_SYN | TCP_ACK)) != TCP_SYN)
		return ERR_OK;
	/* A walk of the active list per new connection: cheap next to the
	 * connection itself, and bounded by the limit while the list is all
	 * half-open ones. */
	for (struct tcp_pcb *a = tcp_active_pcbs; a; a = a->next)
		if (a->state == SYN_RCVD && ++n >= UK_TCP_HALF_OPEN_MAX)
			return ERR_ABRT; /* dropped: the client sends its SYN again */
	return ERR_OK;
}
