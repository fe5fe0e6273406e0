/* ukrun's pure parts: size parsing, the option parser, the checked
 * guest-address accessor, `ukrun exec`'s request check and socket
 * address. */
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

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

/* A request: the header, then cwd, argc arguments, envc variables. */
static size_t spec_make(void *buf, uint32_t argc, uint32_t envc, const char *strings, size_t slen)
{
	struct uk_exec_spec *sp = buf;
	size_t n = sizeof(*sp) + slen;

	*sp = (struct uk_exec_spec){ 0, 0, argc, envc, (uint32_t)n, 0 };
	memcpy(sp + 1, strings, slen);
	return n;
}

TEST(exec_spec)
{
	static const char ok[] = "/tmp\0sh\0-c\0echo hi\0PATH=/bin";
	static uint64_t buf[(UK_EXEC_SPEC_MAX + 64) / 8];
	struct uk_exec_spec *sp = (struct uk_exec_spec *)buf;
	size_t n = spec_make(buf, 3, 1, ok, sizeof(ok));

	EXPECT(vmm_exec_spec_ok(buf, n));
	EXPECT(!vmm_exec_spec_ok(buf, n - 1));           /* size field says otherwise */
	EXPECT(!vmm_exec_spec_ok(buf, sizeof(*sp) - 1)); /* shorter than its header */
	n = spec_make(buf, 3, 1, ok, sizeof(ok) - 1);    /* last string without its NUL */
	EXPECT(!vmm_exec_spec_ok(buf, n));
	n = spec_make(buf, 3, 2, ok, sizeof(ok)); /* a string fewer than counted */
	EXPECT(!vmm_exec_spec_ok(buf, n));
	n = spec_make(buf, 2, 1, ok, sizeof(ok)); /* one more */
	EXPECT(!vmm_exec_spec_ok(buf, n));
	n = spec_make(buf, 0, 4, ok, sizeof(ok)); /* nothing to run */
	EXPECT(!vmm_exec_spec_ok(buf, n));
	n = spec_make(buf, 0xffffffffu, 1, ok, sizeof(ok)); /* absurd counts */
	EXPECT(!vmm_exec_spec_ok(buf, n));
	n = spec_make(buf, 3, 0xfffffffeu, ok, sizeof(ok));
	EXPECT(!vmm_exec_spec_ok(buf, n));
	memset(buf, 0, sizeof(buf)); /* larger than the limit */
	n = spec_make(buf, 1, 0, ok, 1);
	sp->size = UK_EXEC_SPEC_MAX + 8;
	EXPECT(!vmm_exec_spec_ok(buf, UK_EXEC_SPEC_MAX + 8));
}

TEST(exec_addr)
{
	char dir[512], path[640];
	struct sockaddr_un sa;
	int fd;

	EXPECT(vmm_exec_addr("/run/ukrun/c1/exec.sock", &sa, &fd) == 0 && fd == -1);
	EXPECT(!strcmp(sa.sun_path, "/run/ukrun/c1/exec.sock"));
	/* past sun_path (docker's state directories): through the directory's
	 * descriptor */
	snprintf(dir, sizeof(dir), "/tmp/uk-unit-exec-%d-%0120d", (int)getpid(), 0);
	EXPECT(mkdir(dir, 0700) == 0);
	snprintf(path, sizeof(path), "%s/exec.sock", dir);
	EXPECT(vmm_exec_addr(path, &sa, &fd) == 0 && fd >= 0);
	EXPECT(!strncmp(sa.sun_path, "/proc/self/fd/", 14) && strstr(sa.sun_path, "/exec.sock"));
	close(fd);
	rmdir(dir);
	EXPECT(vmm_exec_addr(path, &sa, &fd) == -1 && errno == ENOENT); /* gone */
	snprintf(path, sizeof(path), "/tmp/%0200d", 0); /* a name too long either way */
	EXPECT(vmm_exec_addr(path, &sa, &fd) == -1 && errno == ENAMETOOLONG);
}

int main(void)
{
	RUN("unit/vmm", size_units);
	RUN("unit/vmm", size_rejects);
	RUN("unit/vmm", opts_parse);
	RUN("unit/vmm", gpa_inside);
	RUN("unit/vmm", gpa_outside);
	RUN("unit/vmm", exec_spec);
	RUN("unit/vmm", exec_addr);
	return unit_failures != 0;
}
