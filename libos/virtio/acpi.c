/*
 * QEMU's microvm with ACPI on (its default) lists its virtio-mmio devices
 * only in the DSDT, not on the command line. This finds them there without
 * an AML interpreter: each device's _CRS is a resource template holding a
 * Memory32Fixed descriptor (the register window) directly followed by an
 * Extended Interrupt descriptor (its GSI and trigger mode), a byte pattern
 * that is easy to spot. Tables are found from the RSDP in the BIOS area.
 */
#include <uk/arch.h>
#include <uk/libc.h>

#include "virtio_impl.h"

#define BIOS_START 0xe0000ul
#define BIOS_END 0x100000ul
#define TABLE_MAX (1u << 20) /* no sane DSDT is bigger */

static int sig_is(uint64_t pa, const char *sig, unsigned len)
{
	return !uk_strncmp(uk_p2v(pa), sig, len);
}

static uint32_t rd32(uint64_t pa) { return *(volatile uint32_t *)uk_p2v(pa); }
static uint64_t rd64(uint64_t pa) { return *(volatile uint64_t *)uk_p2v(pa); }

static uint64_t find_rsdp(void)
{
	for (uint64_t a = BIOS_START; a < BIOS_END; a += 16)
		if (sig_is(a, "RSD PTR ", 8))
			return a;
	return 0;
}

/* The DSDT through the XSDT (ACPI 2+) or the RSDT, and the FADT. */
static uint64_t find_dsdt(uint64_t rsdp)
{
	int x = ((uint8_t *)uk_p2v(rsdp))[15] >= 2 && rd64(rsdp + 24);
	uint64_t sdt = x ? rd64(rsdp + 24) : rd32(rsdp + 16), fadt;
	uint32_t len = sdt ? rd32(sdt + 4) : 0, step = x ? 8 : 4;

	if (!sdt || sdt >= UK_PHYSMAP_SIZE || len > TABLE_MAX)
		return 0;
	for (uint32_t off = 36; off + step <= len; off += step) {
		fadt = x ? rd64(sdt + off) : rd32(sdt + off);
		if (!fadt || fadt >= UK_PHYSMAP_SIZE || !sig_is(fadt, "FACP", 4))
			continue;
		if (rd32(fadt + 4) >= 148 && rd64(fadt + 140)) /* X_DSDT */
			return rd64(fadt + 140);
		return rd32(fadt + 40);
	}
	return 0;
}

int uk_acpi_virtio_mmio(void (*add)(uint64_t base, unsigned gsi, int level))
{
	uint64_t rsdp = find_rsdp(), dsdt = rsdp ? find_dsdt(rsdp) : 0;
	const uint8_t *d;
	uint32_t len;
	int n = 0;

	if (!dsdt || dsdt >= UK_PHYSMAP_SIZE || !sig_is(dsdt, "DSDT", 4))
		return 0;
	d = uk_p2v(dsdt);
	len = rd32(dsdt + 4);
	if (len > TABLE_MAX)
		return 0;
	/* 0x86 len=9: Memory32Fixed (rw, base, size); 0x89 len=6: Extended
	 * Interrupt (flags: bit 1 edge, bit 2 active low; count; GSI). */
	for (uint32_t k = 36; k + 21 <= len; k++) {
		uint32_t base, size, gsi;
		if (d[k] != 0x86 || d[k + 1] != 9 || d[k + 2] || d[k + 12] != 0x89 ||
		    d[k + 13] != 6 || d[k + 14] || d[k + 16] != 1)
			continue;
		uk_memcpy(&base, d + k + 4, 4);
		uk_memcpy(&size, d + k + 8, 4);
		uk_memcpy(&gsi, d + k + 17, 4);
		if (size < 0x100 || (d[k + 15] & 4))
			continue; /* not a virtio-mmio window, or active low */
		add(base, gsi, !(d[k + 15] & 2));
		n++;
	}
	return n;
}
