/*
 * ukrun's OCI runtime: config.json as oci_spec_read takes it (vmm/oci_spec.c).
 * Bundles are made in a temporary directory: a valid one with each kind of
 * mount podman writes, then one wrong field at a time, each refused with a
 * message naming it. And the state's status read off a process
 * (vmm/oci_state.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../vmm/oci.h"
#include "oci_bundle.h"
#include "unit.h"

static char dir[] = "/tmp/test_oci_spec.XXXXXX";
static char err[1024];
static int notes;

static void note(void *ctx, const char *msg) { notes++; }

/* config.json as printf would write fmt. */
static void config_raw(const char *fmt, ...)
{
	char path[512];
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/config.json", dir);
	f = fopen(path, "w");
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

/* config.json with args and extra fields (JSON members, may be ""). */
static void config(const char *process, const char *extra)
{
	config_raw(
	    "{\"ociVersion\": \"1.0.2\", \"process\": %s, \"root\": {\"path\": \"rootfs\"}%s%s}",
	    process, *extra ? ", " : "", extra);
}

#define PROC "{\"args\": [\"sh\", \"-c\", \"x\"], \"env\": [\"A=1\"], \"cwd\": \"/w\"}"

static int read_spec(struct oci_spec *s)
{
	notes = 0;
	err[0] = 0;
	return oci_spec_read(dir, s, err, sizeof(err), note, NULL);
}

/* The config.json there refused, with want in the message. */
static int refused_now(const char *want)
{
	struct oci_spec s;
	int r = read_spec(&s);

	oci_spec_free(&s);
	if (!r || !strstr(err, want))
		printf("  (got %d: %s)\n", r, err);
	return r && strstr(err, want);
}

/* Refused, with want in the message. */
static int refused(const char *process, const char *extra, const char *want)
{
	config(process, extra);
	return refused_now(want);
}

TEST(valid)
{
	struct oci_spec s;
	char mounts[2048];

	snprintf(mounts, sizeof(mounts),
	         "\"hostname\": \"h\", \"mounts\": ["
	         "{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},"
	         "{\"destination\": \"/dev/shm\", \"type\": \"bind\", \"source\": \"%s\"},"
	         "{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"%s/share\", "
	         "\"options\": [\"rbind\", \"ro\"]},"
	         "{\"destination\": \"/etc/hosts\", \"type\": \"bind\", \"source\": \"%s/hosts\"},"
	         "{\"destination\": \"/etc/b\", \"type\": \"bind\", \"source\": \"%s/hosts\"},"
	         "{\"destination\": \"/x\", \"type\": \"nfs\", \"source\": \"srv:/x\"}],"
	         "\"linux\": {\"resources\": {\"memory\": {\"limit\": 268435456}},"
	         "\"namespaces\": [{\"type\": \"network\", \"path\": \"/run/netns/n\"}]},"
	         "\"annotations\": {\"k\": \"v\"}",
	         dir, dir, dir, dir);
	config("{\"args\": [\"sh\"], \"env\": [\"A=1\", \"B=2\"], \"cwd\": \"/w\", "
	       "\"user\": {\"uid\": 1000, \"gid\": 1001}, \"terminal\": true}",
	       mounts);
	EXPECT(read_spec(&s) == 0);
	EXPECT(!strcmp(s.args[0], "sh") && !s.args[1]);
	EXPECT(!strcmp(s.env[1], "B=2") && !s.env[2]);
	EXPECT(!strcmp(s.cwd, "/w") && s.uid == 1000 && s.gid == 1001 && s.terminal);
	EXPECT(!strcmp(s.hostname, "h") && s.mem == 268435456 && !strcmp(s.netns, "/run/netns/n"));
	/* /proc and /dev/shm are the guest's own, nfs is left out (noted):
	 * one directory share, read-only */
	EXPECT(s.nmounts == 1 && !strcmp(s.mounts[0].dst, "/data") && s.mounts[0].ro);
	EXPECT(!strncmp(s.mounts[0].src, dir, strlen(dir)));
	/* files, sorted by destination */
	EXPECT(s.nfiles == 2 && !strcmp(s.files[0].dst, "/etc/b") &&
	       !strcmp(s.files[1].dst, "/etc/hosts"));
	EXPECT(s.annotations && strstr(s.annotations, "\"k\""));
	EXPECT(notes >= 3);
	oci_spec_free(&s);
}

TEST(bad_fields)
{
	EXPECT(refused("{\"args\": [], \"cwd\": \"/\"}", "", "process.args: empty"));
	EXPECT(refused("{\"cwd\": \"/\"}", "", "process.args: missing"));
	EXPECT(refused("{\"args\": [\"sh\", 3], \"cwd\": \"/\"}", "",
	               "process.args[1]: not a string"));
	EXPECT(refused("{\"args\": [\"sh\"], \"cwd\": \"w\"}", "", "process.cwd: 'w'"));
	EXPECT(refused("{\"args\": [\"sh\"], \"cwd\": \"/a/..\"}", "", "process.cwd: '/a/..'"));
	EXPECT(refused("{\"args\": [\"sh\"], \"cwd\": \"/\", \"env\": [\"=x\"]}", "",
	               "process.env[0] '=x': expected NAME=VALUE"));
	EXPECT(refused("{\"args\": [\"sh\"], \"cwd\": \"/\", \"user\": {\"uid\": 4294967295, "
	               "\"gid\": 0}}",
	               "", "process.user.uid: expected a number"));
	EXPECT(refused("{\"args\": [\"sh\"], \"cwd\": \"/\", \"terminal\": 1}", "",
	               "process.terminal: expected true or false"));
	EXPECT(refused("7", "", "process: missing or not an object"));
	EXPECT(refused(PROC, "\"linux\": {\"resources\": {\"memory\": {\"limit\": 1}}}",
	               "linux.resources.memory.limit: 1 bytes"));
	EXPECT(refused(PROC, "\"linux\": {\"resources\": {\"memory\": {\"limit\": \"1G\"}}}",
	               "expected a number of bytes"));
	EXPECT(refused(PROC,
	               "\"linux\": {\"namespaces\": [{\"type\": \"network\", \"path\": \"n\"}]}",
	               "linux.namespaces[0].path 'n': not absolute"));
	EXPECT(refused(PROC,
	               "\"mounts\": [{\"destination\": \"/\", \"type\": \"bind\", "
	               "\"source\": \"share\"}]",
	               "mounts[0].destination '/'"));
	EXPECT(refused(PROC,
	               "\"mounts\": [{\"destination\": \"/a:b\", \"type\": \"bind\", "
	               "\"source\": \"share\"}]",
	               "a path with ':' cannot be shared"));
	EXPECT(refused(PROC,
	               "\"mounts\": [{\"destination\": \"/d\", \"type\": \"bind\", "
	               "\"source\": \"out/etc\"}]",
	               "mounts[0].source 'out/etc': leaves the bundle through a symlink"));
	EXPECT(refused(PROC,
	               "\"mounts\": [{\"destination\": \"/d\", \"type\": \"bind\", "
	               "\"source\": \"missing\"}]",
	               "mounts[0].source 'missing': No such file or directory"));
	EXPECT(refused(PROC, "\"annotations\": {\"k\": 1}", "annotations.k: expected a string"));
	EXPECT(refused(PROC, "\"hostname\": \"a/b\"", "hostname 'a/b': expected 1 to 64"));
	EXPECT(refused(PROC, "\"process\": {}", "duplicate object key"));
}

TEST(bad_root)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/config.json", dir);
	config_raw("{\"ociVersion\": \"2.0.0\", \"process\": %s, \"root\": {\"path\": \"rootfs\"}}",
	           PROC);
	EXPECT(refused_now("ociVersion: '2.0.0': expected 1.x"));
	config_raw("{\"ociVersion\": \"1.0.0\", \"process\": %s, \"root\": {\"path\": \"out\"}}",
	           PROC);
	EXPECT(refused_now("root.path 'out': leaves the bundle"));
	/* an absurd size: refused before it is read */
	f = fopen(path, "w");
	fprintf(f, "{\"ociVersion\": \"1.0.0\", \"pad\": \"");
	for (int i = 0; i < (5 << 20) / 64; i++)
		fputs("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", f);
	fputs("\"}", f);
	fclose(f);
	EXPECT(refused_now("not a file of at most 4 MiB"));
}

TEST(ids)
{
	EXPECT(oci_id_valid("abc") && oci_id_valid("a1_b.c+d-e"));
	EXPECT(!oci_id_valid("") && !oci_id_valid(".") && !oci_id_valid(".."));
	EXPECT(!oci_id_valid("a/b") && !oci_id_valid("-a") && !oci_id_valid("images"));
	char longid[300];
	memset(longid, 'a', 256);
	longid[256] = 0;
	EXPECT(!oci_id_valid(longid));
}

TEST(status)
{
	struct oci_state st = { .pid = getpid(), .start_time = oci_proc_start_time(getpid()) };

	EXPECT(st.start_time > 0);
	EXPECT(oci_state_status(&st) == OCI_CREATED);
	st.started = 1;
	EXPECT(oci_state_status(&st) == OCI_RUNNING);
	st.start_time++; /* a recycled pid: not ours */
	EXPECT(oci_state_status(&st) == OCI_STOPPED);
}

static void setup(void)
{
	if (!mkdtemp(dir) || oci_test_bundle(dir))
		exit(1);
}

int main(void)
{
	setup();
	RUN("oci_spec", valid);
	RUN("oci_spec", bad_fields);
	RUN("oci_spec", bad_root);
	RUN("oci_spec", ids);
	RUN("oci_spec", status);
	if (unit_rm_rf(dir))
		return 1;
	return unit_failures ? 1 : 0;
}
