/* ukrun's pure parts: size parsing, the checked guest-address accessor. */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "../../common/host.h"
#include "../../vmm/vmm.h"
#include "unit.h"

TEST(size_units)
{
	uint64_t v;
	EXPECT(host_parse_size("64M", &v) == 0 && v == 64ull << 20);
	EXPECT(host_parse_size("1G", &v) == 0 && v == 1ull << 30);
	EXPECT(host_parse_size("512k", &v) == 0 && v == 512ull << 10);
	EXPECT(host_parse_size("2GiB", &v) == 0 && v == 2ull << 30);
	EXPECT(host_parse_size("128MB", &v) == 0 && v == 128ull << 20);
	EXPECT(host_parse_size("1048576", &v) == 0 && v == 1048576);
	EXPECT(host_parse_size("2t", &v) == 0 && v == 2ull << 40);
	EXPECT(host_parse_size("64KiB", &v) == 0 && v == 64ull << 10);
}

TEST(size_rejects)
{
	uint64_t v = 7;
	EXPECT(host_parse_size("", &v) == -1);
	EXPECT(host_parse_size("M", &v) == -1);
	EXPECT(host_parse_size("-1M", &v) == -1);
	EXPECT(host_parse_size("12Q", &v) == -1);
	EXPECT(host_parse_size("1MM", &v) == -1);
	EXPECT(host_parse_size("1Mi", &v) == -1);
	EXPECT(host_parse_size("1iB", &v) == -1);
	EXPECT(host_parse_size(" 1M", &v) == -1);
	EXPECT(host_parse_size("+1M", &v) == -1);
	EXPECT(host_parse_size("99999999999999999999", &v) == -1);
	EXPECT(host_parse_size("17179869184G", &v) == -1); /* 2^34 GiB overflows */
	EXPECT(host_parse_size(NULL, &v) == -1);
	EXPECT(v == 7);
}

static struct vmm vm;

static void setup(uint64_t size)
{
	memset(&vm, 0, sizeof(vm));
	vmm_mem_init(&vm, size);
}

TEST(gpa_inside)
{
	setup(1 << 20);
	EXPECT(VMM_GPA(&vm, 0, 1) == vm.ram);
	EXPECT(VMM_GPA(&vm, 4096, 4096) == vm.ram + 4096);
	EXPECT(VMM_GPA(&vm, 0, 1 << 20) == vm.ram);
	EXPECT(VMM_GPA(&vm, (1 << 20) - 1, 1) == vm.ram + (1 << 20) - 1);
	EXPECT(VMM_GPA(&vm, 1 << 20, 0) == vm.ram + (1 << 20)); /* empty range at the end */
}

TEST(gpa_outside)
{
	setup(1 << 20);
	EXPECT(VMM_GPA(&vm, 1 << 20, 1) == NULL);
	EXPECT(VMM_GPA(&vm, (1 << 20) - 1, 2) == NULL);
	EXPECT(VMM_GPA(&vm, 0, (1 << 20) + 1) == NULL);
	EXPECT(VMM_GPA(&vm, (1ull << 20) + 1, 0) == NULL);
	EXPECT(VMM_GPA(&vm, ~0ull, 2) == NULL);      /* wraps */
	EXPECT(VMM_GPA(&vm, 16, ~0ull - 8) == NULL); /* gpa + len overflows */
	EXPECT(VMM_GPA(&vm, ~0ull - 4, 8) == NULL);
}

int main(void)
{
	RUN("unit/vmm", size_units);
	RUN("unit/vmm", size_rejects);
	RUN("unit/vmm", gpa_inside);
	RUN("unit/vmm", gpa_outside);
	return unit_failures != 0;
}
