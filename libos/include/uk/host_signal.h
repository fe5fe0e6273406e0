/*
 * Signals sent to ukrun for the guest (UK_HC_SIGNALS in uk/abi.h):
 * `podman stop`'s SIGTERM, a Ctrl-C, a SIGHUP reach process 1 as that
 * signal from outside (si_code SI_USER, si_pid 0, as from a parent PID
 * namespace), through the normal signal code: a handler runs, or the
 * default action ends the program (libos/virtio/host_signal.c).
 */
#ifndef UK_HOST_SIGNAL_H
#define UK_HOST_SIGNAL_H

/* Route ukrun's signal interrupt and tell ukrun signals are taken from
 * now on: once process 1 exists, just before the program starts. Nothing
 * under QEMU (no runtime tree: its signals end QEMU). */
void uk_host_signals_init(void);

/* Take the signals that came (the interrupt's work; also after a console
 * read the host ended with -EINTR, which may come before the interrupt)
 * and send them to process 1. Returns how many. Interrupt context too. */
int uk_host_signals_take(void);

#endif
