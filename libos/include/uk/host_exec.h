/*
 * `ukrun exec`'s requests (UK_HC_EXEC in uk/abi.h), the driver's side
 * (libos/virtio/host_exec.c): the hypercall, and an interrupt that says
 * something may have changed. The processes themselves are the process
 * room's (libos/process/exec_host.c).
 */
#ifndef UK_HOST_EXEC_H
#define UK_HOST_EXEC_H

#include <stddef.h>
#include <stdint.h>

/* Whether ukrun offers exec (the runtime tree names its pin). */
int uk_host_exec_offered(void);

/* Route the interrupt; on_event runs at each (interrupt context) and once
 * at once, for requests that came before. */
void uk_host_exec_init(void (*on_event)(void));

/* How many interrupts came: a waiter reads it before an operation that
 * said -EAGAIN, and waits until it changes. */
uint64_t uk_host_exec_events(void);

/* One operation (UK_EXEC_*): its ret. buf (len bytes) must be in the
 * linear maps (the kernel heap), physically contiguous. */
long uk_host_exec(unsigned op, uint32_t session, void *buf, size_t len, int arg);
/* The same with the operation's what (UK_EXEC_TTY's UK_TTY_*). */
long uk_host_exec_what(unsigned op, uint32_t session, void *buf, size_t len, int arg,
                       unsigned what);

#endif
