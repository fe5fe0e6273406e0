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
 *
 * ICMP errors. lwIP ignores them all, so a connect to a network or host
 * that cannot be reached (libslirp answers so for a connection it may not
 * make, such as to the host's loopback) waited out lwIP's SYN retries
 * (about 20 s) and said ETIMEDOUT. As Linux does for a connection still
 * in SYN_SENT, a destination-unreachable (ICMP's or ICMPv6's) quoting its
 * SYN ends it at once:
 * the PCB's error callback gets ERR_IF (network unreachable), ERR_RTE
 * (host unreachable) or ERR_RST (port unreachable: refused), which the
 * socket layer turns into ENETUNREACH, EHOSTUNREACH, ECONNREFUSED.
 *
 * A new connection on the tuple of one in TIME-WAIT. A server that closes
 * first (python's http.server, any HTTP/1.0 answer) leaves each of its
 * connections here in TIME-WAIT for 2 MSL, and clients reuse their ports
 * long before that: Linux's connect() picks ports at random, and through
 * -p the guest sees the host client's own port (libslirp keeps it). lwIP
 * answers such a SYN as RFC 793 says, with an ACK or a reset, and ignores
 * the peer's reset (RFC 1337): the client's connection hung until the
 * TIME-WAIT ended (120 s; libslirp gives up after 75 s) or was reset (wrk
 * -c64 against python: 300 requests/s, then 20/s in the next run). Linux
 * takes the SYN as a new connection when its sequence number is past the
 * old connection's (RFC 6191 without timestamps): so does uk, by ending
 * the TIME-WAIT before lwIP looks the segment up. And it keeps at most
 * UK_TCP_TIME_WAIT_MAX of them: lwIP finds a segment's connection by
 * walking lists, so every SYN walks all the PCBs in TIME-WAIT (twice,
 * with the look-up here), and python's thousand connections a second left
 * tens of thousands there: wrk -c64 fell from 840 to 480 requests/s in
 * 40 s; 1300 steady with the limit. Linux has hash tables, and a limit
 * too (tcp_max_tw_buckets: past it a connection closes without TIME-WAIT);
 * here the oldest past the limit end early.
 *
 * Segmentation offload (TSO). On an interface whose device cuts TCP
 * segments itself (a TAP: the host kernel does it), lwIP sends segments
 * of up to 64 KiB: one frame through the device instead of 44, and a
 * 64th of lwIP's per-segment work. lwIP knows one size a connection,
 * pcb->mss, for both its segments and its congestion window steps, so
 * once the connection is up (uk_tcp_tso) that becomes a multiple of the
 * peer's MSS near 64 KiB, the peer's is kept in the PCB's ext arg, and
 * every segment going out carries it in its pbuf (uk_tso_mss) for the
 * driver's virtio-net header. The interface's MTU is then a 64 KiB
 * packet's (lwIP fragments what is larger than it), so a SYN's MSS is
 * put back to the link's here, and the driver fragments the other
 * packets larger than the link's MTU (lwip-port/netif_virtio.c). Nagle
 * (and TCP_CORK) then hold back a partial TSO segment, not a partial
 * wire segment, while data is in flight: the tail of a large write of a
 * connection that keeps Nagle may wait one round trip more than on Linux.
 */
#include <lwip/inet_chksum.h>
#include <lwip/netif.h>
#include <lwip/pbuf.h>
#include <lwip/priv/tcp_priv.h>
#include <lwip/ip6_addr.h>
#include <lwip/prot/icmp.h>
#include <lwip/prot/icmp6.h>
#include <lwip/prot/ip4.h>
#include <lwip/prot/ip6.h>
#include <lwip/prot/tcp.h>
#include <lwip/tcp.h>

#include "lwip_hooks.h"
#include "vnet.h"

#define UK_TCP_HALF_OPEN_MAX 2048
#define UK_TCP_TIME_WAIT_MAX 1024
/* A TSO segment's data and options at most: 44 segments of 1460 bytes;
 * its pbuf with all headers stays under 64 KiB (lwIP's lengths are
 * 16-bit). */
#define UK_TCP_TSO_MAX 65000
#define TCPIP_HLEN 40

static u8_t tso_arg = LWIP_TCP_PCB_NUM_EXT_ARG_ID_INVALID;

/* A FIN just past a full receive window. lwIP sends a FIN whatever the
 * peer's window (its window test counts a segment's data, not the FIN),
 * and a receiver whose window is full drops the FIN (RFC 793: a shut
 * window accepts no sequence number) and acknowledges the data alone; the
 * sender then resends the FIN only when its retransmission timer fires,
 * 1.5-3 s with lwIP's 500 ms ticks. A writer that filled the window and
 * closed (a bulk transfer over 127.0.0.1: both ends are lwIP) had its
 * reader wait that long for EOF. Linux takes such a FIN (tcp_data_queue:
 * "some stacks are known to send bare FIN packets ... even if we send
 * RWIN 0"): so does uk, by opening the window by the FIN's one sequence
 * number. lwIP gives that back as it takes the FIN (tcp_input: rcv_wnd++,
 * as no tcp_recved will), and reads of what is queued reopen the window up
 * to its largest as before. */
static void take_fin(struct tcp_pcb *pcb, const struct tcp_hdr *hdr, const struct pbuf *p)
{
	if ((TCPH_FLAGS(hdr) & (TCP_FIN | TCP_SYN | TCP_RST)) != TCP_FIN)
		return;
	if (pcb->state != ESTABLISHED && pcb->state != FIN_WAIT_1 && pcb->state != FIN_WAIT_2)
		return;
	/* (tcp_input has the header's numbers in host order by now) */
	if (hdr->seqno == pcb->rcv_nxt && p->tot_len == pcb->rcv_wnd)
		pcb->rcv_wnd++;
}

err_t uk_tcp_inpacket(struct tcp_pcb *pcb, struct tcp_hdr *hdr, u16_t optlen, u16_t opt1len,
                      u8_t *opt2, struct pbuf *p)
{
	unsigned n = 0;

	(void)optlen, (void)opt1len, (void)opt2;
	take_fin(pcb, hdr, p);
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

/* What an ICMP destination-unreachable code means for a connection being
 * opened (Linux's icmp_err_convert); ERR_OK for the codes that are no
 * reason to give up (fragmentation needed). */
static err_t unreach_err(u8_t code)
{
	/* network unreachable, unknown, prohibited, unreachable for the TOS */
	if (code == 0 || code == 6 || code == 9 || code == 11)
		return ERR_IF;
	if (code == 3) /* port unreachable */
		return ERR_RST;
	return code == 4 ? ERR_OK : ERR_RTE; /* 4: fragmentation needed */
}

/* The PCB in SYN_SENT whose SYN the quoted header q (IPv4, then the first
 * 8 bytes of TCP) is, or NULL. */
static struct tcp_pcb *syn_sent_pcb(const u8_t *q, size_t qhl)
{
	const struct ip_hdr *h = (const struct ip_hdr *)q;
	const struct tcp_hdr *t = (const struct tcp_hdr *)(q + qhl);

	if (IPH_PROTO(h) != IP_PROTO_TCP)
		return NULL;
	for (struct tcp_pcb *pcb = tcp_active_pcbs; pcb; pcb = pcb->next)
		if (pcb->state == SYN_SENT && IP_IS_V4(&pcb->remote_ip) &&
		    pcb->local_port == lwip_ntohs(t->src) &&
		    pcb->remote_port == lwip_ntohs(t->dest) &&
		    ip4_addr_cmp(ip_2_ip4(&pcb->local_ip), &h->src) &&
		    ip4_addr_cmp(ip_2_ip4(&pcb->remote_ip), &h->dest) &&
		    /* a sequence number it sent and is not acknowledged (RFC 5927) */
		    lwip_ntohl(t->seqno) - pcb->lastack < pcb->snd_nxt - pcb->lastack)
			return pcb;
	return NULL;
}

/* A connection being opened ends with err for its socket (the ICMP
 * error's meaning). */
static void syn_sent_end(struct tcp_pcb *pcb, err_t err)
{
	tcp_err_fn errf = pcb->errf;
	void *arg = pcb->callback_arg;

	pcb->errf = NULL; /* tcp_abandon would say ERR_ABRT */
	tcp_abandon(pcb, 0);
	if (errf)
		errf(arg, err);
}

/* An ICMP destination-unreachable for a connection being opened: ends it.
 * p: an ICMP packet, its IP header in the first pbuf. */
static void unreach_input(struct pbuf *p, struct netif *inp)
{
	const u8_t *b = p->payload;
	const struct ip_hdr *ip = p->payload;
	size_t hl = IPH_HL_BYTES(ip), qhl, len = lwip_ntohs(IPH_LEN(ip));
	struct tcp_pcb *pcb;
	err_t err;

	/* The ICMP message must lie in the first pbuf (a quoted SYN: 56 bytes). */
	if (hl < IP_HLEN || len > p->len || len < hl + 8 + IP_HLEN + 8 ||
	    inet_chksum(b, (u16_t)hl) || !ip4_addr_cmp(&ip->dest, netif_ip4_addr(inp)) ||
	    (IPH_OFFSET(ip) & PP_HTONS(IP_OFFMASK | IP_MF)) ||
	    inet_chksum(b + hl, (u16_t)(len - hl)))
		return;
	if (b[hl] != ICMP_DUR || (err = unreach_err(b[hl + 1])) == ERR_OK)
		return;
	qhl = (size_t)(b[hl + 8] & 15) * 4;
	if ((b[hl + 8] >> 4) != 4 || qhl < IP_HLEN || hl + 8 + qhl + 8 > len ||
	    !(pcb = syn_sent_pcb(b + hl + 8, qhl)))
		return;
	syn_sent_end(pcb, err);
}

/* What an ICMPv6 destination-unreachable code means for a connection
 * being opened (Linux's icmpv6_err_convert): no route, beyond the
 * source's scope, a failed policy, a rejected route: network
 * unreachable; port unreachable: refused; the rest: host unreachable. */
static err_t unreach6_err(u8_t code)
{
	if (code == 0 || code == 2 || code == 5 || code == 6)
		return ERR_IF;
	return code == 4 ? ERR_RST : ERR_RTE;
}

/* The PCB in SYN_SENT whose SYN the quoted IPv6 header q (then the first
 * 8 bytes of TCP) is, or NULL. */
static struct tcp_pcb *syn_sent_pcb6(const u8_t *q)
{
	const struct ip6_hdr *h = (const struct ip6_hdr *)q;
	const struct tcp_hdr *t = (const struct tcp_hdr *)(q + IP6_HLEN);
	ip6_addr_t src, dest;

	if (IP6H_NEXTH(h) != IP6_NEXTH_TCP)
		return NULL;
	ip6_addr_copy_from_packed(src, h->src);
	ip6_addr_copy_from_packed(dest, h->dest);
	for (struct tcp_pcb *pcb = tcp_active_pcbs; pcb; pcb = pcb->next)
		if (pcb->state == SYN_SENT && IP_IS_V6(&pcb->remote_ip) &&
		    pcb->local_port == lwip_ntohs(t->src) &&
		    pcb->remote_port == lwip_ntohs(t->dest) &&
		    ip6_addr_cmp_zoneless(ip_2_ip6(&pcb->local_ip), &src) &&
		    ip6_addr_cmp_zoneless(ip_2_ip6(&pcb->remote_ip), &dest) &&
		    lwip_ntohl(t->seqno) - pcb->lastack < pcb->snd_nxt - pcb->lastack)
			return pcb;
	return NULL;
}

/* An ICMPv6 destination-unreachable for a connection being opened: ends
 * it. p: an IPv6 packet, its header in the first pbuf. */
static void unreach6_input(struct pbuf *p, struct netif *inp)
{
	const struct ip6_hdr *ip = p->payload;
	const u8_t *b = p->payload;
	size_t len = IP6_HLEN + (size_t)IP6H_PLEN(ip); /* (the macro swaps) */
	ip6_addr_t src, dest;
	struct tcp_pcb *pcb;
	u16_t sum;
	err_t err;

	/* The message must lie in the first pbuf (a quoted SYN: 88 bytes),
	 * right after the IPv6 header, to one of this interface's addresses. */
	if (IP6H_NEXTH(ip) != IP6_NEXTH_ICMP6 || len > p->len ||
	    len < IP6_HLEN + 8 + IP6_HLEN + 8 || b[IP6_HLEN] != ICMP6_TYPE_DUR)
		return;
	ip6_addr_copy_from_packed(src, ip->src);
	ip6_addr_copy_from_packed(dest, ip->dest);
	if (netif_get_ip6_addr_match(inp, &dest) < 0)
		return;
	pbuf_remove_header(p, IP6_HLEN);
	sum = ip6_chksum_pseudo_partial(p, IP6_NEXTH_ICMP6, (u16_t)(len - IP6_HLEN),
	                                (u16_t)(len - IP6_HLEN), &src, &dest);
	pbuf_add_header(p, IP6_HLEN);
	if (sum || (b[IP6_HLEN + 8] >> 4) != 6 || !(pcb = syn_sent_pcb6(b + IP6_HLEN + 8)))
		return;
	err = unreach6_err(b[IP6_HLEN + 1]);
	syn_sent_end(pcb, err);
}

/* The TIME-WAIT PCB of the connection a segment belongs to, or NULL. The
 * oldest past UK_TCP_TIME_WAIT_MAX end on the way (lwIP puts each new one
 * first), as tcp_slowtmr ends those whose time is up. */
static struct tcp_pcb *tw_find(const struct ip_hdr *ip, const struct tcp_hdr *th)
{
	struct tcp_pcb *pcb, *prev = NULL, *found = NULL;
	unsigned n = 0;

	for (pcb = tcp_tw_pcbs; pcb && n < UK_TCP_TIME_WAIT_MAX; prev = pcb, pcb = pcb->next, n++)
		if (!found && IP_IS_V4(&pcb->remote_ip) &&
		    pcb->remote_port == lwip_ntohs(th->src) &&
		    pcb->local_port == lwip_ntohs(th->dest) &&
		    ip4_addr_cmp(ip_2_ip4(&pcb->remote_ip), &ip->src) &&
		    ip4_addr_cmp(ip_2_ip4(&pcb->local_ip), &ip->dest))
			found = pcb;
	if (pcb && prev) {
		prev->next = NULL;
		while (pcb) {
			struct tcp_pcb *next = pcb->next;
			tcp_pcb_purge(pcb);
			tcp_free(pcb);
			pcb = next;
		}
	}
	return found;
}

/* A SYN on the tuple of a connection in TIME-WAIT, past its sequence: the
 * TIME-WAIT ends, so that lwIP takes the SYN to the listener. p: a TCP
 * packet, its IP header in the first pbuf. */
static void tw_syn_input(struct pbuf *p)
{
	const struct ip_hdr *ip = p->payload;
	const struct tcp_hdr *th;
	size_t hl = IPH_HL_BYTES(ip);
	struct tcp_pcb *tw;

	if (hl < IP_HLEN || p->len < hl + TCP_HLEN ||
	    (IPH_OFFSET(ip) & PP_HTONS(IP_OFFMASK | IP_MF)))
		return;
	th = (const struct tcp_hdr *)((const u8_t *)ip + hl);
	if ((TCPH_FLAGS(th) & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) != TCP_SYN)
		return;
	if ((tw = tw_find(ip, th)) && TCP_SEQ_GT(lwip_ntohl(th->seqno), tw->rcv_nxt)) {
		tcp_pcb_remove(&tcp_tw_pcbs, tw);
		tcp_free(tw);
	}
}

int uk_ip6_input(struct pbuf *p, struct netif *inp)
{
	/* Everything checked here: this runs before lwIP's own checks. */
	if (p->len >= IP6_HLEN && IP6H_V((const struct ip6_hdr *)p->payload) == 6)
		unreach6_input(p, inp);
	return 0; /* lwIP goes on with it */
}

int uk_ip4_input(struct pbuf *p, struct netif *inp)
{
	const struct ip_hdr *ip = p->payload;

	/* Everything checked here: this runs before lwIP's own checks. */
	if (p->len < IP_HLEN || IPH_V(ip) != 4)
		return 0;
	if (IPH_PROTO(ip) == IP_PROTO_ICMP)
		unreach_input(p, inp);
	else if (IPH_PROTO(ip) == IP_PROTO_TCP)
		tw_syn_input(p);
	return 0; /* lwIP goes on with it (ICMP: it counts the message, nothing more) */
}

/* The link's MTU for a connection's packets. */
static unsigned link_mtu(const struct tcp_pcb *pcb)
{
	struct netif *nif = ip_route(&pcb->local_ip, &pcb->remote_ip);

	return nif ? uk_vnet_link_mtu(nif) : 0;
}

void uk_tcp_tso(struct tcp_pcb *pcb)
{
	struct netif *nif = ip_route(&pcb->local_ip, &pcb->remote_ip);
	unsigned mtu = nif ? uk_vnet_tso_mtu(nif) : 0, mss = pcb->mss;

	/* (IPv4 only: IPv6 keeps the link's MTU, mtu6, and its segments) */
	if (!mtu || mtu <= TCPIP_HLEN || !IP_IS_V4(&pcb->remote_ip))
		return;
	if (tso_arg == LWIP_TCP_PCB_NUM_EXT_ARG_ID_INVALID)
		tso_arg = tcp_ext_arg_alloc_id();
	if (tcp_ext_arg_get(pcb, tso_arg))
		return; /* done already */
	/* The interface's MTU is a TSO packet's: the peer's MSS was bounded
	 * by that, not by the link's. */
	if (mss > mtu - TCPIP_HLEN)
		mss = mtu - TCPIP_HLEN;
	tcp_ext_arg_set(pcb, tso_arg, (void *)(uintptr_t)mss);
	pcb->mss = (u16_t)(UK_TCP_TSO_MAX / mss * mss);
}

u16_t uk_tcp_mss(const struct tcp_pcb *pcb)
{
	uintptr_t mss = tso_arg == LWIP_TCP_PCB_NUM_EXT_ARG_ID_INVALID
	                    ? 0
	                    : (uintptr_t)pcb->ext_args[tso_arg].data;

	return mss ? (u16_t)mss : pcb->mss;
}

u32_t *uk_tcp_out_opts(struct pbuf *p, struct tcp_hdr *hdr, const struct tcp_pcb *pcb, u32_t *opts)
{
	u8_t *o = (u8_t *)(hdr + 1);
	unsigned mtu, mss, optlen = (unsigned)((u8_t *)opts - o);

	p->uk_tso_mss = 0;
	if (!pcb)
		return opts;
	/* The device cuts the data into segments of the peer's MSS less the
	 * options each repeats. */
	mss = tso_arg == LWIP_TCP_PCB_NUM_EXT_ARG_ID_INVALID
	          ? 0
	          : (unsigned)(uintptr_t)pcb->ext_args[tso_arg].data;
	if (mss > optlen)
		p->uk_tso_mss = (u16_t)(mss - optlen);
	/* lwIP put the MSS option first: min(TCP_MSS, the interface's MTU). */
	if ((TCPH_FLAGS(hdr) & TCP_SYN) && optlen >= 4 && o[0] == 2 && o[1] == 4) {
		mss = (unsigned)o[2] << 8 | o[3];
		if ((mtu = link_mtu(pcb)) > TCPIP_HLEN && mss > mtu - TCPIP_HLEN) {
			mss = mtu - TCPIP_HLEN;
			o[2] = (u8_t)(mss >> 8);
			o[3] = (u8_t)mss;
		}
	}
	return opts;
}
