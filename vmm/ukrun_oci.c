/*
 * ukrun-oci: ukrun as an OCI runtime (oci_runtime.c), an executable of its
 * own beside ukrun, which hands it every runtime command line (ukrun.c):
 * jansson and nettle are loaded here, never by a VM's monitor. The VM a
 * container runs in is ukrun again (oci_create.c).
 */
#include "oci.h"

int main(int argc, char **argv) { return oci_main(argc, argv); }
