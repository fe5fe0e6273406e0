/*
 * Bringing up the file tree at boot: / from the image's archive, /dev,
 * /dev/shm (a tmpfs), /dev/pts (devpts), /proc and /tmp, the console on fds 0-2, the manifest's
 * working directory.
 */
#include <libfdt.h>
#include <uk/abi.h>
#include <uk/libc.h>
#include <uk/mm.h>
#include <uk/plat.h>
#include <uk/print.h>
#include <uk/proc.h>
#include <uk/tty.h>
#include <uk/vfs.h>

#include "vfs_impl.h"

static int blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static char lower(char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* Whether a line of hosts (comments aside) names name after its address;
 * names compare without case, as resolvers do. */
int uk_hosts_names(const char *hosts, long len, const char *name)
{
	size_t nl = uk_strlen(name);

	for (long i = 0; i < len;) {
		long end = i, field = 0;
		while (end < len && hosts[end] != '\n' && hosts[end] != '#')
			end++;
		for (long j = i, k; j < end; j = k, field++) {
			while (j < end && blank(hosts[j]))
				j++;
			for (k = j; k < end && !blank(hosts[k]);)
				k++;
			if (field && (size_t)(k - j) == nl) {
				size_t m = 0;
				while (m < nl && lower(hosts[j + m]) == lower(name[m]))
					m++;
				if (m == nl)
					return 1;
			}
		}
		while (end < len && hosts[end] != '\n')
			end++;
		i = end + 1;
	}
	return 0;
}

/* docker writes its own /etc/hosts; uk adds to the image's: localhost's
 * lines at boot, the host name's when the network comes up (net_conf.c). */
int uk_vfs_hosts_add(const char *name, const char *lines)
{
	size_t len = uk_strlen(lines);
	char *buf = uk_kmalloc((64 << 10) + len + 1);
	long n = buf ? uk_vfs_read_file("/etc/hosts", buf, 64 << 10) : -ENOMEM;
	int r = 0;

	if (n == -ENOENT)
		n = 0;
	if (n >= 0 && n < (64 << 10) && !uk_hosts_names(buf, n, name)) {
		if (n && buf[n - 1] != '\n')
			buf[n++] = '\n';
		uk_memcpy(buf + n, lines, len);
		uk_vfs_mkdir_p("/etc", 0755);
		r = uk_vfs_write_file("/etc/hosts", buf, n + len, 0644);
	}
	uk_kfree(buf);
	return n < 0 ? (int)n : r;
}

/* Where text (len bytes) has line at the start of one of its lines, or -1. */
static long line_at(const char *text, long len, const char *line, size_t ll)
{
	for (long i = 0; i + (long)ll <= len; i++)
		if ((!i || text[i - 1] == '\n') && !uk_memcmp(text + i, line, ll))
			return i;
	return -1;
}

/* Boot names the host at Debian's address for a host without a permanent
 * one: programs resolve their own name before their first socket brings
 * the network up (python's gethostbyname(gethostname()), mariadb's
 * resolveip) and failed. The network's address replaces that line, not
 * one the image wrote. */
int uk_vfs_hosts_name(const char *name, const char *addr)
{
	char line[64 + 1 + 65 + 2], boot[sizeof(line)];
	size_t ll = (size_t)uk_snprintf(line, sizeof(line), "%s\t%s\n", addr, name);
	size_t bl = (size_t)uk_snprintf(boot, sizeof(boot), UK_HOST_ADDR "\t%s\n", name);
	char *buf = uk_kmalloc(2 * (64 << 10) + ll);
	long n = buf ? uk_vfs_read_file("/etc/hosts", buf, 64 << 10) : -ENOMEM, at = -1;
	int r = 0;

	if (n >= 0 && n < (64 << 10) && (at = line_at(buf, n, boot, bl)) >= 0) {
		char *out = buf + (64 << 10);
		uk_memcpy(out, buf, (size_t)at);
		uk_memcpy(out + at, line, ll);
		uk_memcpy(out + at + ll, buf + at + bl, (size_t)(n - at) - bl);
		r = uk_vfs_write_file("/etc/hosts", out, (size_t)n - bl + ll, 0644);
	}
	uk_kfree(buf);
	if ((n >= 0 || n == -ENOENT) && at < 0)
		return uk_vfs_hosts_add(name, line);
	return n < 0 ? (int)n : r;
}

static void console_fds(void)
{
	struct uk_vnode *con = NULL;

	uk_path_lookup(AT_FDCWD, "/dev/console", 0, &con);
	for (int fd = 0; fd < 3; fd++) {
		struct uk_file *f = uk_console_file(fd);
		if (!f)
			uk_panic("out of memory for the console");
		f->vn = con ? uk_vnode_get(con) : NULL;
		if (uk_fd_install(f, fd, 0) != fd)
			uk_panic("cannot install the console as fd %d", fd);
	}
	uk_vnode_put(con);
}

/* The manifest's working directory, made when missing (as docker does). */
void uk_vfs_enter_workdir(void)
{
	const char *wd = uk_plat.workdir ? uk_plat.workdir : uk_plat.mf.workdir;
	struct uk_vnode *vn;
	int r;

	if (!wd || wd[0] != '/')
		return;
	uk_vfs_mkdir_p(wd, 0755);
	if ((r = uk_path_lookup(AT_FDCWD, wd, UK_AT_FOLLOW | UK_AT_DIR, &vn)) == 0)
		r = uk_vfs_set_cwd(vn);
	if (r)
		uk_pr("cannot enter the working directory %s (error %d)", wd, -r);
}

static void root_done(void)
{
	const struct uk_mf_list *l;
	struct uk_mf_list tmpfs = { 0 };
	struct uk_vnode *root;
	int off, len, pos = 0, r;
	const char *p;

	if (uk_plat.fdt && (off = fdt_path_offset(uk_plat.fdt, "/chosen")) >= 0 &&
	    (p = fdt_getprop(uk_plat.fdt, off, UK_DT_TMPFS, &len)))
		tmpfs = (struct uk_mf_list){ p, len };
	l = &tmpfs;
	while ((p = uk_mf_next(l, &pos, &len))) {
		char path[256];
		if (len <= 0 || (size_t)len >= sizeof(path))
			continue;
		uk_memcpy(path, p, len);
		path[len] = 0;
		uk_vfs_mkdir_p(path, 01777);
		if ((r = uk_mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, NULL)))
			uk_pr("cannot mount a tmpfs at %s (error %d)", path, -r);
		uk_vfs_mkdir_p(path, 01777); /* (there: the mode of the tmpfs's root) */
	}
	if (!(uk_plat.flags & UK_PF_ROOT_RO))
		return;
	if ((r = uk_path_lookup(AT_FDCWD, "/", 0, &root))) {
		uk_pr("--read-only: no root (error %d)", -r);
		return;
	}
	root->mnt->flags |= MS_RDONLY;
	uk_vnode_put(root);
}

/* (weak: defined only where the image links pseudo-terminals) */
void uk_devpts_init(void) __attribute__((weak));
const struct uk_pty_hooks *uk_ptys;

/* (the tree's set-up is the library OS's: root's, whoever the program's
 * user is) */
void uk_vfs_root_done(void)
{
	const struct uk_cred *caller = uk_vfs_as_kernel();

	root_done();
	uk_vfs_as_caller(caller);
}

static void vfs_init(void)
{
	extern struct uk_fdtable uk_fd_init_table;
	int r;

	uk_proc_init.files = &uk_fd_init_table; /* named from the start: /proc/1/fd */
	if ((r = uk_mount("rootfs", "/", "ramfs", 0, NULL)))
		uk_panic("cannot make the root filesystem (error %d)", -r);
	uk_rootfs_unpack();
	uk_vfs_mkdir_p("/dev", 0755);
	uk_vfs_mkdir_p("/proc", 0555);
	uk_vfs_mkdir_p("/tmp", 01777);
	if ((r = uk_mount("devtmpfs", "/dev", "devtmpfs", 0, NULL)))
		uk_pr("cannot mount /dev (error %d)", -r);
	if ((r = uk_mount("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, NULL)))
		uk_pr("cannot mount /dev/shm (error %d)", -r);
	uk_vfs_mkdir_p("/dev/shm", 01777); /* (there: the mode of the tmpfs's root) */
	if (uk_devpts_init)
		uk_devpts_init();
	if (uk_ptys && (r = uk_mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, NULL)))
		uk_pr("cannot mount /dev/pts (error %d)", -r);
	if ((r = uk_mount("proc", "/proc", "proc", 0, NULL)))
		uk_pr("cannot mount /proc (error %d)", -r);
	console_fds();
	uk_vfs_hosts_add("localhost",
	                 "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
	if (uk_hostname[0])
		uk_vfs_hosts_name(uk_hostname, UK_HOST_ADDR);
}

void uk_vfs_init(void)
{
	const struct uk_cred *caller = uk_vfs_as_kernel();

	vfs_init();
	uk_vfs_as_caller(caller);
}
