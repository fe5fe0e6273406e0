/*
 * The virtio-net interfaces for lwIP (lwip-port/netif_virtio.c), driven by
 * the network core (libos/net/net.c). All calls from thread context.
 */
#ifndef UK_VNET_H
#define UK_VNET_H

#include <lwip/netif.h>

struct uk_virtio_dev;

/* Claim every virtio-net device and hand each, as an interface, to add
 * (which calls netif_add). wake() is called from the RX interrupt. Returns
 * the number of interfaces. */
int uk_vnet_probe(void (*wake)(void),
                  struct netif *(*add)(struct netif *nif, void *state, netif_init_fn init));

/* Reclaim sent frames and feed received ones to lwIP. Returns frames
 * received. */
int uk_vnet_poll(void);

/* Kick the devices for buffers and frames added since the last flush. */
void uk_vnet_flush(void);
/* The same with defer: frames are published (a device that polls takes
 * them) but a kick the device asked for is kept for a later flush unless
 * many frames wait for it (the caller knows one comes soon: a kick costs
 * the vCPU an exit and wakes the device's thread, once for many frames
 * when deferred). */
void uk_vnet_flush_lazy(int defer);

/* Whether received frames wait (one load per device, no exit). */
int uk_vnet_pending(void);

/* RX interrupts on (returns 1 when frames arrived meanwhile: poll again)
 * or off. */
int uk_vnet_irq(int on);

/* The stack starts (on) or stops listening on TCP port (host order): tell
 * the devices that want to know (ukrun opens its forwards to the port
 * only while something listens there) and wait for them to have done it. */
void uk_vnet_listen(uint16_t port, int on);

/* The MTU of the link behind an interface (its own MTU is larger with
 * TSO); for other interfaces their MTU. */
unsigned uk_vnet_link_mtu(const struct netif *nif);

/* The link's MTU when the interface's device segments TCP itself (TSO),
 * else 0. */
unsigned uk_vnet_tso_mtu(const struct netif *nif);

/* The virtio device behind an interface (its runtime-tree properties). */
const struct uk_virtio_dev *uk_vnet_dev(struct netif *nif);

#endif
