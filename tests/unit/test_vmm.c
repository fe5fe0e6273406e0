/* ukrun's pure parts: size parsing, the option parser, the checked
 * guest-address accessor. */
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
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

/* What the option parser handed over, as "key=value;" */
static int record(void *ctx, int key, const char *v)
{
	char *seen = ctx;

	sprintf(seen + strlen(seen), "%c=%s;", key, v ? v : "-");
	return key == 'h' ? 1 : 0;
}

static int opts(const char *spec, int flags, char *seen, char *err, int n, ...)
{
	char *argv[8] = { "cmd" };
	va_list ap;

	va_start(ap, n);
	for (int i = 0; i < n; i++)
		argv[i + 1] = va_arg(ap, char *);
	va_end(ap);
	*seen = 0;
	return host_opts(n + 1, argv, spec, flags, "cmd --help", record, seen, err, 128);
}

TEST(opts_parse)
{
	static const char spec[] = "m:mem= T.trace v:verbose h:help";
	char seen[128], err[128];

	EXPECT(opts(spec, 0, seen, err, 5, "-m", "64M", "IMG", "--trace", "-vm1G") == 0);
	EXPECT(!strcmp(seen, "m=64M;T=-;v=-;m=1G;") && optind == 5);
	EXPECT(opts(spec, HOST_OPTS_FIRST, seen, err, 3, "--mem=2G", "IMG", "--trace") == 0);
	EXPECT(!strcmp(seen, "m=2G;") && optind == 2);
	EXPECT(opts(spec, 0, seen, err, 3, "-v", "-h", "-v") == 1 && !strcmp(seen, "v=-;h=-;"));
	EXPECT(opts(spec, 0, seen, err, 1, "--bogus") == -1);
	EXPECT(!strcmp(err, "unknown option '--bogus' (see cmd --help)"));
	EXPECT(opts(spec, 0, seen, err, 1, "-T") == -1);
	EXPECT(!strcmp(err, "unknown option '-T' (see cmd --help)"));
	EXPECT(opts(spec, 0, seen, err, 2, "-v", "--mem") == -1);
	EXPECT(!strcmp(err, "option '--mem' needs a value (see cmd --help)"));
	EXPECT(opts(spec, 0, seen, err, 1, "-m") == -1);
	EXPECT(!strcmp(err, "option '-m' needs a value (see cmd --help)"));
	EXPECT(opts(spec, 0, seen, err, 1, "--trace=1") == -1);
	EXPECT(!strcmp(err, "option '--trace=1' takes no value (see cmd --help)"));
	/* an unknown letter inside a word is named, not the word before it */
	EXPECT(opts(spec, 0, seen, err, 3, "--mem", "--trace=1", "-Xv") == -1);
	EXPECT(!strcmp(err, "unknown option '-X' (see cmd --help)"));
	EXPECT(opts(spec, 0, seen, err, 1, "--trace=") == -1);
	EXPECT(!strcmp(err, "option '--trace=' takes no value (see cmd --help)"));
	EXPECT(opts("m:mem= x", 0, seen, err, 0) == -1 && strstr(err, "bad option description"));
	EXPECT(opts("?:what", 0, seen, err, 0) == -1 && strstr(err, "bad option description"));
	EXPECT(opts("m:mem=v:verbose", 0, seen, err, 0) == -1 &&
	       strstr(err, "bad option description"));
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
	RUN("unit/vmm", opts_parse);
	RUN("unit/vmm", gpa_inside);
	RUN("unit/vmm", gpa_outside);
	return unit_failures != 0;
}
