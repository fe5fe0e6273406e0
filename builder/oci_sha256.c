/*
 * SHA-256 for OCI content digests, by nettle (libarchive links it too):
 * every blob ukbuild reads is checked against the digest that names it, so
 * a corrupt or tampered layer is refused instead of half-applied.
 */
#include <stdio.h>

#include "oci.h"

void ukb_sha256_init(struct ukb_sha256 *s) { sha256_init(&s->ctx); }

void ukb_sha256_update(struct ukb_sha256 *s, const void *data, size_t len)
{
	sha256_update(&s->ctx, len, data);
}

void ukb_sha256_hex(struct ukb_sha256 *s, char out[65])
{
	uint8_t d[SHA256_DIGEST_SIZE];

	sha256_digest(&s->ctx, sizeof(d), d);
	for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}
