/*
 * Files without names and copies between files, as Linux answers them:
 * memfd_create (GLib, wayland, ZGC, python's os.memfd_create) with its
 * seals (F_ADD_SEALS, F_GET_SEALS: shrink, grow, write, future write and
 * the seal itself, and what each refuses: ftruncate, write, fallocate,
 * mmap and mprotect), /proc/self/fd's "/memfd:NAME (deleted)", a JIT's
 * two views of one memfd (written through one, run through the other);
 * open(O_TMPFILE) given a name by linkat (through /proc/self/fd and by
 * AT_EMPTY_PATH) or never (O_EXCL); copy_file_range and sendfile between
 * files, with offsets and their refusals; sendfile of the program's own
 * file (in the guest, bytes in the image) to non-blocking sockets (a
 * Unix pair, TCP over 127.0.0.1) in as many calls as the sockets take,
 * the bytes and positions checked. With a directory as argument
 * (a 9P volume in the guest), O_TMPFILE there is refused as Linux's 9P
 * client refuses it. A file of one page mapped 10 GiB long with
 * MAP_POPULATE (etcd's bbolt maps its database so) commits no memory
 * past the file's end, and what the file gets there later by pwrite is
 * read through the mapping. chroot (sshd's privilege separation): "/"
 * and ".." at it, absolute symlinks, getcwd inside, a child's root, its
 * refusals. splice between a pipe and /dev/null (GNU grep drains its
 * input so: uk's ENOSYS failed it), a file with and without offsets, a
 * non-blocking socket (every byte once, in order), and its refusals.
 * flock between processes: an exclusive lock refuses another open of the
 * file (EWOULDBLOCK) but not a child's shared descriptor, goes with
 * LOCK_UN and with the last close, and a blocked locker gets it once
 * released (uk accepted every flock without keeping it: postfix's
 * accept lock); on a share too (given as argv[1]), whose files are
 * known by inode number, not by vnode. The same source passes as a
 * Linux process.
 */
#define _GNU_SOURCE
#define SUITE "files"
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../guest/tcp_pair.h"
#include "check.h"

#define DIR_ "/tmp/files-test"
#define NOBODY_ 65534
/* Linux 6.3's memfd flags and exec seal; glibc's headers may predate them */
#define MFD_NOEXEC_SEAL_ 0x0008U
#define MFD_EXEC_ 0x0010U
#define F_SEAL_EXEC_ 0x0020

static int memfd(const char *name, unsigned flags)
{
	return (int)syscall(SYS_memfd_create, name, flags);
}

static int seals(int fd) { return fcntl(fd, F_GET_SEALS); }

static int add_seals(int fd, int s) { return fcntl(fd, F_ADD_SEALS, s); }

/* Whether the call that returned r failed with err. */
static int fails(long r, int err) { return r == -1 && errno == err; }

static off_t size_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? -1 : st.st_size;
}

/* Whether fd's /proc/self/fd link reads want. */
static int link_is(int fd, const char *want)
{
	char path[64], buf[512];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if ((n = readlink(path, buf, sizeof(buf) - 1)) < 0)
		return 0;
	buf[n] = 0;
	if (strcmp(buf, want))
		printf("  %s reads '%s'\n", path, buf);
	return !strcmp(buf, want);
}

/* Whether fd's /proc/self/fd link starts with head and ends with tail. */
static int link_has(int fd, const char *head, const char *tail)
{
	char path[64], buf[512];
	ssize_t n;
	size_t h = strlen(head), t = strlen(tail);

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if ((n = readlink(path, buf, sizeof(buf) - 1)) < 0)
		return 0;
	buf[n] = 0;
	if ((size_t)n < h + t || strncmp(buf, head, h) || strcmp(buf + n - t, tail)) {
		printf("  %s reads '%s'\n", path, buf);
		return 0;
	}
	return 1;
}

/* ---- memfd_create ---- */

static void memfd_basics(void)
{
	char name[300], buf[16] = "";
	struct stat st;
	int fd = memfd("basic", 0), cfd = memfd("c", MFD_CLOEXEC);

	check("memfd/create", fd >= 0, "memfd_create failed");
	check("memfd/no-cloexec", fcntl(fd, F_GETFD) == 0, "close-on-exec set");
	check("memfd/cloexec", cfd >= 0 && fcntl(cfd, F_GETFD) == FD_CLOEXEC,
	      "MFD_CLOEXEC not set");
	check("memfd/fd-link", link_is(fd, "/memfd:basic (deleted)"), "wrong link");
	check("memfd/stat",
	      !fstat(fd, &st) && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0777 &&
	          st.st_nlink == 0 && st.st_size == 0,
	      "not an empty regular file, mode 777, no link");
	check("memfd/rdwr", fcntl(fd, F_GETFL) & O_RDWR, "not open read-write");
	check("memfd/write-read",
	      write(fd, "hello", 5) == 5 && pread(fd, buf, sizeof(buf), 0) == 5 &&
	          !memcmp(buf, "hello", 5),
	      "bytes not read back");
	check("memfd/truncate", !ftruncate(fd, 8192) && size_of(fd) == 8192, "size not 8192");
	char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check("memfd/mmap-shared", m != MAP_FAILED && !memcmp(m, "hello", 5),
	      "mapping not the file");
	if (m != MAP_FAILED) {
		memcpy(m + 4096, "page2", 5);
		check("memfd/mapping-writes-file",
		      pread(fd, buf, 5, 4096) == 5 && !memcmp(buf, "page2", 5), "write not seen");
		munmap(m, 8192);
	}
	check("memfd/unsealable", seals(fd) == F_SEAL_SEAL, "F_GET_SEALS is not F_SEAL_SEAL");
	check("memfd/unsealable-add", fails(add_seals(fd, F_SEAL_WRITE), EPERM), "not EPERM");
	memset(name, 'n', sizeof(name));
	name[249] = 0;
	int longfd = memfd(name, 0);
	check("memfd/name-249", longfd >= 0, "a 249-byte name refused");
	name[249] = 'n';
	name[250] = 0;
	check("memfd/name-250", fails(memfd(name, 0), EINVAL), "not EINVAL");
	check("memfd/bad-flags", fails(memfd("x", 0x40000), EINVAL), "not EINVAL");
	check("memfd/null-name", fails(memfd(NULL, 0), EFAULT), "not EFAULT");
	check("memfd/exec-and-noexec", fails(memfd("x", MFD_EXEC_ | MFD_NOEXEC_SEAL_), EINVAL),
	      "not EINVAL");
	int pfd[2];
	pipe(pfd);
	check("memfd/seals-of-pipe", fails(seals(pfd[0]), EINVAL),
	      "F_GET_SEALS of a pipe not EINVAL");
	check("memfd/add-seals-of-pipe", fails(add_seals(pfd[1], F_SEAL_SEAL), EINVAL),
	      "not EINVAL");
	close(pfd[0]);
	close(pfd[1]);
	close(longfd);
	close(cfd);
	close(fd);
}

/* F_SEAL_SHRINK and F_SEAL_GROW: the size only moves the allowed way. */
static void seal_size(void)
{
	int fd = memfd("size", MFD_ALLOW_SEALING);

	check("seal/allowed-none", fd >= 0 && seals(fd) == 0, "F_GET_SEALS not 0");
	ftruncate(fd, 4096);
	check("seal/shrink-added", !add_seals(fd, F_SEAL_SHRINK) && seals(fd) == F_SEAL_SHRINK,
	      "F_SEAL_SHRINK not added");
	check("seal/shrink-refuses", fails(ftruncate(fd, 100), EPERM), "ftruncate down not EPERM");
	check("seal/shrink-grows", !ftruncate(fd, 8192) && size_of(fd) == 8192, "no growth");
	check("seal/grow-added", !add_seals(fd, F_SEAL_GROW), "F_SEAL_GROW not added");
	check("seal/grow-refuses-truncate", fails(ftruncate(fd, 8193), EPERM), "not EPERM");
	check("seal/grow-refuses-write-past-end", fails(pwrite(fd, "xy", 2, 8192), EPERM),
	      "a write past the end not EPERM");
	check("seal/grow-write-to-page-end", pwrite(fd, "xy", 2, 8191) == 1,
	      "a write across the end not cut at the page boundary");
	check("seal/grow-refuses-at-end",
	      lseek(fd, 0, SEEK_END) == 8192 && fails(write(fd, "x", 1), EPERM),
	      "a write at the end not EPERM");
	check("seal/grow-keep-size-fallocate",
	      fails(fallocate(fd, FALLOC_FL_KEEP_SIZE, 8000, 1000), EPERM), "not EPERM");
	check("seal/grow-refuses-fallocate", fails(fallocate(fd, 0, 0, 9000), EPERM),
	      "fallocate past the end not EPERM");
	check("seal/grow-writes-inside", pwrite(fd, "xy", 2, 8190) == 2 && size_of(fd) == 8192,
	      "a write inside refused");
	check("seal/same-size-truncate", !ftruncate(fd, 8192), "ftruncate to the size refused");
	check("seal/seal-added", !add_seals(fd, F_SEAL_SEAL), "F_SEAL_SEAL not added");
	check("seal/sealed", fails(add_seals(fd, F_SEAL_WRITE), EPERM), "not EPERM");
	check("seal/sealed-get", seals(fd) == (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW),
	      "seals lost");
	check("seal/bad-bits", fails(add_seals(memfd("b", MFD_ALLOW_SEALING), 0x1000), EINVAL),
	      "unknown seal not EINVAL");
	close(fd);
}

/* F_SEAL_WRITE: refused while a shared mapping may write; then write,
 * shared writable mappings, mprotect to PROT_WRITE and hole punching are
 * refused, reading and private mappings still work. */
static void seal_write(void)
{
	int fd = memfd("write", MFD_ALLOW_SEALING);
	char buf[8] = "";
	char *m, *p;

	ftruncate(fd, 4096);
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check("seal-write/busy-while-mapped", fails(add_seals(fd, F_SEAL_WRITE), EBUSY),
	      "not EBUSY with a writable shared mapping");
	munmap(m, 4096);
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	check("seal-write/busy-read-mapping-of-rdwr", fails(add_seals(fd, F_SEAL_WRITE), EBUSY),
	      "not EBUSY with a shared mapping mprotect could make writable");
	munmap(m, 4096);
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	check("seal-write/private-mapping-ok", !add_seals(fd, F_SEAL_WRITE),
	      "F_SEAL_WRITE refused");
	munmap(m, 4096);
	check("seal-write/write", fails(write(fd, "x", 1), EPERM), "write not EPERM");
	check("seal-write/pwrite", fails(pwrite(fd, "x", 1, 0), EPERM), "pwrite not EPERM");
	check("seal-write/mmap-shared-write",
	      mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED &&
	          errno == EPERM,
	      "a writable shared mapping not EPERM");
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	check("seal-write/mmap-shared-read", m != MAP_FAILED, "a read-only shared mapping refused");
	check("seal-write/mprotect-write", fails(mprotect(m, 4096, PROT_READ | PROT_WRITE), EACCES),
	      "mprotect to PROT_WRITE not EACCES");
	munmap(m, 4096);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	check("seal-write/mmap-private", p != MAP_FAILED, "a private mapping refused");
	if (p != MAP_FAILED) {
		p[0] = 'p';
		check("seal-write/private-copy", pread(fd, buf, 1, 0) == 1 && buf[0] == 0,
		      "a private write reached the file");
		munmap(p, 4096);
	}
	check("seal-write/punch",
	      fails(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096), EPERM),
	      "a punched hole not EPERM");
	check("seal-write/truncate-same-ok", !ftruncate(fd, 4096), "ftruncate refused");
	check("seal-write/grows", !ftruncate(fd, 8192), "F_SEAL_WRITE alone refused a growth");
	close(fd);

	int ro, rw = memfd("ro", MFD_ALLOW_SEALING);
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", rw);
	ro = open(path, O_RDONLY);
	check("seal-write/reopen-read-only", ro >= 0, "/proc/self/fd/N not opened");
	check("seal-write/read-only-fd", fails(add_seals(ro, F_SEAL_WRITE), EPERM),
	      "F_ADD_SEALS through a read-only descriptor not EPERM");
	check("seal-write/read-only-get", seals(ro) == 0, "F_GET_SEALS through it not 0");
	close(ro);
	close(rw);
}

/* F_SEAL_FUTURE_WRITE: a writable shared mapping made before still
 * writes; nothing new may. */
static void seal_future_write(void)
{
	int fd = memfd("future", MFD_ALLOW_SEALING);
	char buf[8] = "", *m;

	ftruncate(fd, 4096);
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check("seal-future/added-while-mapped", !add_seals(fd, F_SEAL_FUTURE_WRITE),
	      "F_SEAL_FUTURE_WRITE refused");
	check("seal-future/write", fails(write(fd, "x", 1), EPERM), "write not EPERM");
	check("seal-future/new-mapping",
	      mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED &&
	          errno == EPERM,
	      "a new writable shared mapping not EPERM");
	if (m != MAP_FAILED) {
		m[0] = 'm';
		check("seal-future/old-mapping-writes", pread(fd, buf, 1, 0) == 1 && buf[0] == 'm',
		      "the earlier mapping's write not seen");
		munmap(m, 4096);
	}
	check("seal-future/then-write-seal", !add_seals(fd, F_SEAL_WRITE), "F_SEAL_WRITE refused");
	close(fd);
}

/* MFD_NOEXEC_SEAL and F_SEAL_EXEC: the exec bits stay as they are; on an
 * executable file the exec seal brings the write and size seals. */
static void seal_exec(void)
{
	struct stat st;
	int fd = memfd("noexec", MFD_NOEXEC_SEAL_), ex = memfd("exec", MFD_ALLOW_SEALING);
	char *m;

	check("seal-exec/noexec-file",
	      fd >= 0 && !fstat(fd, &st) && (st.st_mode & 0777) == 0666 &&
	          seals(fd) == F_SEAL_EXEC_,
	      "not mode 666 with the exec seal alone");
	check("seal-exec/chmod-x", fails(fchmod(fd, 0755), EPERM), "adding x not EPERM");
	check("seal-exec/chmod-rw", !fchmod(fd, 0600), "changing rw refused");
	check("seal-exec/still-writable", write(fd, "x", 1) == 1, "write refused");
	check("seal-exec/implies-write",
	      !add_seals(ex, F_SEAL_EXEC_) &&
	          seals(ex) == (F_SEAL_EXEC_ | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
	                        F_SEAL_FUTURE_WRITE),
	      "the exec seal of a 777 file did not bring the others");
	close(fd);
	close(ex);
	/* as they come with it, refused like F_SEAL_WRITE while a shared
	 * mapping may write (else that mapping writes to a sealed file) */
	ex = memfd("exec-mapped", MFD_ALLOW_SEALING);
	ftruncate(ex, 4096);
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ex, 0);
	check("seal-exec/busy-while-mapped",
	      m != MAP_FAILED && fails(add_seals(ex, F_SEAL_EXEC_), EBUSY) && seals(ex) == 0,
	      "the exec seal (with the write seal) taken with a writable shared mapping");
	munmap(m, 4096);
	check("seal-exec/unmapped", !add_seals(ex, F_SEAL_EXEC_) && write(ex, "x", 1) == -1,
	      "not sealed once unmapped");
	close(ex);
}

/* A sealed memfd passed to a child keeps its seals there (a compositor's
 * client cannot undo them). */
static void seal_inherited(void)
{
	int fd = memfd("inh", MFD_ALLOW_SEALING);
	pid_t pid;

	ftruncate(fd, 100);
	add_seals(fd, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
	if ((pid = fork()) == 0)
		_exit(ftruncate(fd, 0) == -1 && errno == EPERM && write(fd, "x", 1) == -1 &&
		              seals(fd) ==
		                  (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL)
		          ? 0
		          : 1);
	check("seal/in-child", status_of(pid) == 0, "the child could change the file");
	close(fd);
}

/* A JIT's W^X dual mapping (Erlang's BEAM, and others): one memfd mapped
 * read-execute and read-write, code written through the second and run
 * through the first, both views the file's own pages: written after both
 * mmaps, after the code page was read, and through a view made
 * executable by mprotect. The code makes a system call of its own
 * (getpid: no site of it existed when the views were mapped). */
typedef long (*jit_fn)(void);

static long jit_run(unsigned char *w, unsigned char *x, size_t off, int read_first)
{
	/* mov eax, 39 (getpid); syscall; add rax, imm8; ret */
	unsigned char code[] = { 0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0x48, 0x83, 0xc0, 0, 0xc3 };

	code[10] = (unsigned char)(off / 4096);
	if (read_first && *(volatile unsigned char *)(x + off) != 0)
		return -1;
	memcpy(w + off, code, sizeof(code));
	return ((jit_fn)(x + off))();
}

static void jit_views(void)
{
	const size_t len = 1 << 20;
	int fd = memfd("jit", 0);
	unsigned char *x, *w, *y;

	ftruncate(fd, len);
	x = mmap(NULL, len, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
	w = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	y = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check("jit/views-mapped", x != MAP_FAILED && w != MAP_FAILED && y != MAP_FAILED,
	      "mmap of a memfd, shared");
	if (x == MAP_FAILED || w == MAP_FAILED || y == MAP_FAILED)
		return;
	check("jit/written-after-mmap", jit_run(w, x, 5 * 4096 + 0x4e0, 0) == getpid() + 5,
	      "the code written is not what runs");
	check("jit/read-then-written", jit_run(w, x, 9 * 4096, 1) == getpid() + 9,
	      "the executable view kept the page it read first");
	check("jit/mprotect-exec",
	      mprotect(y, len, PROT_READ | PROT_EXEC) == 0 &&
	          jit_run(w, y, 12 * 4096, 0) == getpid() + 12,
	      "a view made executable does not run the file's code");
	check("jit/same-bytes", !memcmp(x, w, len) && !memcmp(y, w, len), "the views disagree");
	munmap(x, len);
	munmap(w, len);
	munmap(y, len);
	close(fd);
}

/* ---- MAP_POPULATE past the end of a file ---- */

static void populate_past_end(void)
{
	const size_t len = 10ul << 30, pg = 4096;
	char path[] = DIR_ "/bbolt.db", page[4096];
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	unsigned char *m;

	memset(page, 'b', pg);
	check("populate/file", fd >= 0 && pwrite(fd, page, pg, 0) == (ssize_t)pg, "open or pwrite");
	m = mmap(NULL, len, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
	check("populate/mapped", m != MAP_FAILED && m[0] == 'b', "mmap 10 GiB of a page's file");
	memset(page, 'g', pg);
	/* (more than the VM's memory: committed zeros would have ended it) */
	check("populate/grown-then-read",
	      m != MAP_FAILED && pwrite(fd, page, pg, 3 * pg) == (ssize_t)pg && m[3 * pg] == 'g' &&
	          m[4 * pg - 1] == 'g' && m[2 * pg] == 0,
	      "the file's new page, written after the mmap, is not read through it");
	if (m != MAP_FAILED)
		munmap(m, len);
	close(fd);
	unlink(path);
}

/* ---- O_TMPFILE ---- */

static void tmpfile_checks(void)
{
	char path[64], buf[8] = "";
	struct stat st;
	int fd = open(DIR_, O_TMPFILE | O_RDWR, 0640), ex;

	check("tmpfile/open", fd >= 0, "O_TMPFILE refused");
	check("tmpfile/unnamed",
	      !fstat(fd, &st) && st.st_nlink == 0 && S_ISREG(st.st_mode) &&
	          (st.st_mode & 0777) == 0640,
	      "not a regular file, mode 640, with no links");
	check("tmpfile/fd-link", link_has(fd, DIR_ "/#", " (deleted)"), "wrong link");
	check("tmpfile/io",
	      pwrite(fd, "tmp", 3, 0) == 3 && pread(fd, buf, 3, 0) == 3 && !memcmp(buf, "tmp", 3),
	      "bytes not read back");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	check("tmpfile/link-proc",
	      !linkat(AT_FDCWD, path, AT_FDCWD, DIR_ "/named", AT_SYMLINK_FOLLOW),
	      "linkat from /proc/self/fd refused");
	check("tmpfile/named", !stat(DIR_ "/named", &st) && st.st_nlink == 1 && st.st_size == 3,
	      "the name does not lead to the file");
	check("tmpfile/linked-fd-link", link_has(fd, DIR_ "/#", " (deleted)"),
	      "the descriptor's link changed with the new name");
	check("tmpfile/getfl", (fcntl(fd, F_GETFL) & O_TMPFILE) == O_TMPFILE,
	      "F_GETFL hides O_TMPFILE");
	close(fd);

	fd = open(DIR_, O_TMPFILE | O_WRONLY, 0600);
	check("tmpfile/link-empty-path", !linkat(fd, "", AT_FDCWD, DIR_ "/empty", AT_EMPTY_PATH),
	      "linkat with AT_EMPTY_PATH refused");
	check("tmpfile/link-exists",
	      fails(linkat(fd, "", AT_FDCWD, DIR_ "/named", AT_EMPTY_PATH), EEXIST),
	      "linking over a name not EEXIST");
	unlink(DIR_ "/empty");
	check("tmpfile/linked-once",
	      fails(linkat(fd, "", AT_FDCWD, DIR_ "/empty", AT_EMPTY_PATH), ENOENT),
	      "linked, unlinked, then linked back");
	check("tmpfile/unlinked-name", link_has(fd, DIR_ "/#", " (deleted)"),
	      "not its first name once unlinked again");
	close(fd);

	ex = open(DIR_, O_TMPFILE | O_RDWR | O_EXCL, 0600);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", ex);
	check("tmpfile/excl-open", ex >= 0, "O_TMPFILE|O_EXCL refused");
	check("tmpfile/excl-never-linked",
	      fails(linkat(AT_FDCWD, path, AT_FDCWD, DIR_ "/excl", AT_SYMLINK_FOLLOW), ENOENT),
	      "an O_EXCL file linked");
	close(ex);

	check("tmpfile/read-only", fails(open(DIR_, O_TMPFILE | O_RDONLY, 0600), EINVAL),
	      "read-only O_TMPFILE not EINVAL");
	check("tmpfile/not-dir", fails(open(DIR_ "/named", O_TMPFILE | O_RDWR, 0600), ENOTDIR),
	      "on a file not ENOTDIR");
	check("tmpfile/missing", fails(open(DIR_ "/none", O_TMPFILE | O_RDWR, 0600), ENOENT),
	      "in a missing directory not ENOENT");
	check("tmpfile/creat", fails(open(DIR_, O_TMPFILE | O_CREAT | O_RDWR, 0600), EINVAL),
	      "O_TMPFILE|O_CREAT not EINVAL");
	unlink(DIR_ "/named");
	unlink(DIR_ "/empty");
}

/* On a share (9P), whose file system cannot make unnamed files. */
static void tmpfile_unsupported(const char *dir)
{
	check("tmpfile/9p-unsupported", fails(open(dir, O_TMPFILE | O_RDWR, 0600), EOPNOTSUPP),
	      "not EOPNOTSUPP");
}

/* ---- copy_file_range and sendfile ---- */

static int file_with(const char *path, const char *text, int flags)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_RDWR | flags, 0644);

	if (fd >= 0 && text)
		write(fd, text, strlen(text));
	return fd;
}

static int reads(int fd, off_t off, const char *want)
{
	char buf[64] = "";
	size_t n = strlen(want);

	return pread(fd, buf, sizeof(buf) - 1, off) == (ssize_t)n && !memcmp(buf, want, n);
}

static ssize_t cfr(int in, loff_t *oi, int out, loff_t *oo, size_t len, unsigned flags)
{
	return copy_file_range(in, oi, out, oo, len, flags);
}

static void copy_range(void)
{
	int a = file_with(DIR_ "/a", "0123456789", 0), b = file_with(DIR_ "/b", NULL, 0), p[2], d,
	    ro, ap;
	loff_t oi = 2, oo = 1;

	lseek(a, 0, SEEK_SET);
	check("copy/positions",
	      cfr(a, NULL, b, NULL, 4, 0) == 4 && reads(b, 0, "0123") &&
	          lseek(a, 0, SEEK_CUR) == 4 && lseek(b, 0, SEEK_CUR) == 4,
	      "4 bytes not copied from position to position");
	check("copy/offsets",
	      cfr(a, &oi, b, &oo, 3, 0) == 3 && oi == 5 && oo == 4 && reads(b, 0, "0234") &&
	          lseek(a, 0, SEEK_CUR) == 4,
	      "offsets not used and advanced, or the positions moved");
	oi = 8;
	check("copy/short-at-end", cfr(a, &oi, b, NULL, 100, 0) == 2 && reads(b, 0, "023489"),
	      "not the 2 bytes left");
	oi = 10;
	check("copy/at-end", cfr(a, &oi, b, NULL, 100, 0) == 0, "not 0 at the end");
	check("copy/zero-length", cfr(a, NULL, b, NULL, 0, 0) == 0, "not 0");
	check("copy/flags", fails(cfr(a, NULL, b, NULL, 1, 1), EINVAL), "flags not EINVAL");
	oi = -1;
	check("copy/offset-wraps", fails(cfr(a, &oi, b, NULL, 1, 0), EOVERFLOW), "not EOVERFLOW");
	oi = -4096;
	check("copy/negative-offset", fails(cfr(a, &oi, b, NULL, 1, 0), EINVAL), "not EINVAL");
	oo = -4096;
	check("copy/negative-out-offset", fails(cfr(a, NULL, b, &oo, 1, 0), EINVAL), "not EINVAL");
	oi = 0, oo = LLONG_MAX;
	check("copy/at-the-largest-offset", fails(cfr(a, &oi, b, &oo, 1, 0), EFBIG), "not EFBIG");
	oi = 0, oo = 2;
	check("copy/same-file-overlap", fails(cfr(a, &oi, a, &oo, 4, 0), EINVAL), "not EINVAL");
	oi = 0, oo = 20;
	check("copy/same-file-apart",
	      cfr(a, &oi, a, &oo, 4, 0) == 4 && reads(a, 20, "0123") && size_of(a) == 24,
	      "a copy within one file failed");
	ro = open(DIR_ "/a", O_RDONLY);
	check("copy/out-read-only", fails(cfr(a, NULL, ro, NULL, 1, 0), EBADF), "not EBADF");
	check("copy/in-write-only",
	      fails(cfr(open(DIR_ "/b", O_WRONLY), NULL, b, NULL, 1, 0), EBADF), "not EBADF");
	ap = open(DIR_ "/b", O_WRONLY | O_APPEND);
	check("copy/out-append", fails(cfr(ro, NULL, ap, NULL, 1, 0), EBADF), "not EBADF");
	d = open(DIR_, O_RDONLY | O_DIRECTORY);
	check("copy/directory", fails(cfr(d, NULL, b, NULL, 1, 0), EISDIR), "not EISDIR");
	pipe(p);
	check("copy/pipe",
	      fails(cfr(p[0], NULL, b, NULL, 1, 0), EINVAL) &&
	          fails(cfr(a, NULL, p[1], NULL, 1, 0), EINVAL),
	      "not EINVAL");
	check("copy/bad-fd", fails(cfr(-1, NULL, b, NULL, 1, 0), EBADF), "not EBADF");
	int proc = open("/proc/self/status", O_RDONLY);
	check("copy/cross-filesystem", fails(cfr(proc, NULL, b, NULL, 10, 0), EXDEV),
	      "from /proc not EXDEV");

	/* sendfile between two files (both positions, then an offset) */
	int c = file_with(DIR_ "/c", NULL, 0);
	off_t so = 6;
	lseek(a, 0, SEEK_SET);
	check("sendfile/file-to-file",
	      sendfile(c, a, NULL, 3) == 3 && reads(c, 0, "012") && lseek(a, 0, SEEK_CUR) == 3,
	      "not copied");
	check("sendfile/offset",
	      sendfile(c, a, &so, 2) == 2 && so == 8 && reads(c, 0, "01267") &&
	          lseek(a, 0, SEEK_CUR) == 3,
	      "offset not used and advanced");
	close(c);
	close(proc);
	close(p[0]);
	close(p[1]);
	close(d);
	close(ap);
	close(ro);
	close(a);
	close(b);
	unlink(DIR_ "/a");
	unlink(DIR_ "/b");
	unlink(DIR_ "/c");
}

/* ---- sendfile to a non-blocking socket ---- */

/* A connected pair: fd[0] reads, fd[1] writes, both non-blocking. */
static int pair(int tcp, int fd[2])
{
	if (!tcp)
		return socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fd);
	if (tcp_pair(fd))
		return -1;
	return fcntl(fd[0], F_SETFL, O_NONBLOCK) | fcntl(fd[1], F_SETFL, O_NONBLOCK);
}

/* The file in, size bytes, through sendfile to fd[1] (with an offset
 * or the file's position) while fd[0] is read: 1 when every byte came
 * in order and the offset or the position ended at the end, the other
 * one unmoved. At most 20 s. */
static int stream(int in, off_t size, const char *want, char *got, int tcp, int with_off)
{
	off_t off = 0, sent = 0, came = 0;
	int fd[2], idle = 0;

	lseek(in, 0, SEEK_SET);
	if (pair(tcp, fd))
		return 0;
	while (came < size && idle < 20) {
		ssize_t n = 0, r;
		if (sent < size &&
		    (n = sendfile(fd[1], in, with_off ? &off : NULL, (size_t)(size - sent))) < 0 &&
		    errno != EAGAIN)
			break;
		sent += n > 0 ? n : 0;
		while ((r = read(fd[0], got + came, (size_t)(size - came))) > 0)
			came += r, n = 1;
		if (n <= 0) /* neither moved: wait for either side */
			idle += poll(&(struct pollfd){ fd[0], POLLIN, 0 }, 1, 1000) == 0;
	}
	close(fd[0]);
	close(fd[1]);
	return came == size && !memcmp(want, got, (size_t)size) &&
	       (with_off ? off == size && lseek(in, 0, SEEK_CUR) == 0
	                 : lseek(in, 0, SEEK_CUR) == size);
}

static void sendfile_sockets(void)
{
	int in = open("/proc/self/exe", O_RDONLY);
	off_t size = size_of(in);
	char *want = malloc((size_t)size), *got = malloc((size_t)size);
	int ok = in >= 0 && size > 0 && want && got && pread(in, want, (size_t)size, 0) == size;

	check("sendfile/unix-nonblocking", ok && stream(in, size, want, got, 0, 0),
	      "the program's file not streamed whole through a Unix socket pair");
	check("sendfile/unix-offset", ok && stream(in, size, want, got, 0, 1),
	      "the program's file not streamed whole with an offset");
	check("sendfile/tcp-nonblocking", ok && stream(in, size, want, got, 1, 0),
	      "the program's file not streamed whole over TCP");
	check("sendfile/tcp-offset", ok && stream(in, size, want, got, 1, 1),
	      "the program's file not streamed whole over TCP with an offset");
	free(want);
	free(got);
	close(in);
}

/* 60 000 numbered bytes through a pipe into a non-blocking socket of a
 * Unix pair, by splice, read at the other end: all of them, in order. */
static int splice_socket(void)
{
	int p[2], sv[2], n = 60000, sent = 0, came = 0, bad = 0, idle = 0;
	unsigned char *buf = malloc((size_t)n);

	if (!buf || pipe(p) || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv))
		return 0;
	for (int i = 0; i < n; i++)
		buf[i] = (unsigned char)(i * 7);
	if (write(p[1], buf, (size_t)n) != n)
		return 0;
	while (came < n && idle < 20) {
		ssize_t r = sent < n ? splice(p[0], NULL, sv[0], NULL, (size_t)(n - sent), 0) : 0,
		        k;
		sent += r > 0 ? (int)r : 0;
		while ((k = read(sv[1], buf, 4096)) > 0) {
			for (ssize_t i = 0; i < k; i++)
				bad += buf[i] != (unsigned char)((came + i) * 7);
			came += (int)k;
		}
		if (r <= 0 && came < sent)
			continue;
		if (r <= 0)
			idle += poll(&(struct pollfd){ sv[1], POLLIN, 0 }, 1, 100) == 0;
	}
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
	free(buf);
	return came == n && sent == n && !bad;
}

static void splice_checks(void)
{
	int p[2], null = open("/dev/null", O_WRONLY),
	          f = open(DIR_ "/splice", O_RDWR | O_CREAT | O_TRUNC, 0600);
	char buf[4000] = { 0 }, got[16] = { 0 };
	loff_t off = 6;

	check("splice/open", null >= 0 && f >= 0 && !pipe(p), "open or pipe failed");
	check("splice/to-dev-null",
	      write(p[1], buf, sizeof(buf)) == (ssize_t)sizeof(buf) && !close(p[1]) &&
	          splice(p[0], NULL, null, NULL, 65536, SPLICE_F_MOVE) == (ssize_t)sizeof(buf) &&
	          splice(p[0], NULL, null, NULL, 65536, SPLICE_F_MOVE) == 0,
	      "a pipe's bytes not drained, then end of file");
	close(p[0]);
	pipe(p);
	check("splice/file-at-offset-to-pipe",
	      write(f, "hello world", 11) == 11 && lseek(f, 0, SEEK_SET) == 0 &&
	          splice(f, &off, p[1], NULL, 5, 0) == 5 && off == 11 &&
	          lseek(f, 0, SEEK_CUR) == 0 && read(p[0], got, sizeof(got)) == 5 &&
	          !memcmp(got, "world", 5),
	      "not 'world' from offset 6, the offset moved and the file's position kept");
	off = 2;
	check("splice/pipe-to-file-at-offset",
	      write(p[1], "abc", 3) == 3 && splice(p[0], NULL, f, &off, 10, 0) == 3 && off == 5 &&
	          pread(f, got, 11, 0) == 11 && !memcmp(got, "heabc world", 11),
	      "not written at offset 2");
	check("splice/pipe-to-file-position",
	      write(p[1], "XY", 2) == 2 && lseek(f, 0, SEEK_SET) == 0 &&
	          splice(p[0], NULL, f, NULL, 10, 0) == 2 && lseek(f, 0, SEEK_CUR) == 2 &&
	          pread(f, got, 3, 0) == 3 && !memcmp(got, "XYa", 3),
	      "not written at the file's position, which moves");
	check("splice/nonblock-empty",
	      fails(splice(p[0], NULL, null, NULL, 10, SPLICE_F_NONBLOCK), EAGAIN),
	      "an empty pipe with a writer did not say EAGAIN");
	check("splice/no-pipe-einval", fails(splice(f, NULL, null, NULL, 10, 0), EINVAL),
	      "two files without a pipe were taken");
	off = 0;
	check("splice/pipe-offset-espipe", fails(splice(p[0], &off, f, NULL, 10, 0), ESPIPE),
	      "an offset for a pipe was taken");
	check("splice/wrong-mode-ebadf", fails(splice(p[1], NULL, f, NULL, 10, 0), EBADF),
	      "the pipe's write end was read");
	check("splice/socket-nonblocking", splice_socket(),
	      "bytes lost, doubled or out of order through a non-blocking socket");
	close(p[0]);
	close(p[1]);
	close(f);
	close(null);
	unlink(DIR_ "/splice");
}

/* In a child: flock of a new open of path (or of the inherited fd) with
 * op; its status: 0 locked, 1 EWOULDBLOCK, 2 else. */
static int child_flock(const char *path, int op, int inherited_fd)
{
	pid_t pid = fork();
	int st = -1;

	if (!pid) {
		int fd = inherited_fd >= 0 ? inherited_fd : open(path, O_RDONLY);
		if (!flock(fd, op))
			_exit(0);
		_exit(errno == EWOULDBLOCK ? 1 : 2);
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* flock on a file of dir, the checks named prefix/...; every lock that
 * would block only on a bug is asked with LOCK_NB, and the one blocking
 * wait is bounded by an alarm, so a broken flock fails rather than hangs. */
static void flock_checks(const char *dir, const char *prefix)
{
	char path[256], name[96];
	int fd, st = -1;
	pid_t pid;

#define FLOCK_CHECK(what, ok, why) \
	(snprintf(name, sizeof(name), "%s/%s", prefix, what), check(name, ok, why))
	snprintf(path, sizeof(path), "%s/flock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	FLOCK_CHECK("exclusive", fd >= 0 && !flock(fd, LOCK_EX | LOCK_NB), "LOCK_EX failed");
	FLOCK_CHECK("other-open-refused",
	            child_flock(path, LOCK_EX | LOCK_NB, -1) == 1 &&
	                child_flock(path, LOCK_SH | LOCK_NB, -1) == 1,
	            "another open file got the lock");
	FLOCK_CHECK("shared-description", child_flock(path, LOCK_EX | LOCK_NB, fd) == 0,
	            "a child's inherited descriptor was refused");
	FLOCK_CHECK("unlock", !flock(fd, LOCK_UN) && child_flock(path, LOCK_EX | LOCK_NB, -1) == 0,
	            "not free after LOCK_UN");
	FLOCK_CHECK("shared-shared",
	            !flock(fd, LOCK_SH | LOCK_NB) &&
	                child_flock(path, LOCK_SH | LOCK_NB, -1) == 0 &&
	                child_flock(path, LOCK_EX | LOCK_NB, -1) == 1,
	            "shared locks did not share, or an exclusive one came in");
	flock(fd, LOCK_EX | LOCK_NB);
	if (!(pid = fork())) { /* waits for the parent's release */
		int f2 = open(path, O_RDONLY);
		/* The parent's lock is this description's too: the child's
		 * copy goes, so the parent's close is the last. */
		close(fd);
		alarm(10);
		_exit(!flock(f2, LOCK_EX) ? 0 : 1);
	}
	usleep(100000);
	close(fd); /* the last close lets go */
	FLOCK_CHECK("blocked-then-granted", waitpid(pid, &st, 0) == pid && st == 0,
	            "the blocked locker did not get the lock after the close");
	FLOCK_CHECK("bad-op", fails(flock(0, 3), EINVAL), "op 3 was taken");
#undef FLOCK_CHECK
	unlink(path);
}

/* What the jailed process finds, checked in a child (its root is for
 * good); the child's status says whether all of it held. */
static int read_is(const char *path, const char *want)
{
	char buf[32] = { 0 };
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	return n == (ssize_t)strlen(want) && !memcmp(buf, want, (size_t)n);
}

static void jailed(void)
{
	char cwd[64];
	pid_t pid;

	check("chroot/missing", fails(chroot(DIR_ "/nowhere"), ENOENT), "not ENOENT");
	check("chroot/file", fails(chroot(DIR_ "/jail/etc/name"), ENOTDIR), "not ENOTDIR");
	check("chroot/enter", chroot(DIR_ "/jail") == 0, "chroot failed");
	check("chroot/chdir-root", chdir("/") == 0 && getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, "/"),
	      "getcwd is not /");
	check("chroot/absolute", read_is("/etc/name", "jail"), "/etc/name not the jail's");
	check("chroot/dotdot-stays", read_is("/../../etc/name", "jail"), "/.. left the jail");
	check("chroot/relative-dotdot", chdir("etc") == 0 && read_is("../../../etc/name", "jail"),
	      "../.. left the jail");
	check("chroot/getcwd-inside", getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, "/etc"),
	      "getcwd not from the jail's root");
	check("chroot/absolute-symlink", read_is("/abs/name", "jail"),
	      "an absolute symlink left the jail");
	if ((pid = fork()) == 0)
		_exit(read_is("/etc/name", "jail") ? 0 : 1);
	check("chroot/child-inherits", status_of(pid) == 0, "the child's / is not the jail");
	check("chroot/unprivileged", setuid(NOBODY_) == 0 && fails(chroot("/"), EPERM),
	      "not EPERM without CAP_SYS_CHROOT");
	_exit(failed);
}

/* /proc/PID/root of a jailed process: its root as the reader names it,
 * and the way into it. */
static void proc_root_of_jailed(void)
{
	char link[64], want[64], path[96], buf[64] = "";
	int p[2], q[2];
	ssize_t n = -1;
	pid_t pid;

	if (pipe(p) || pipe(q))
		return;
	if ((pid = fork()) == 0) {
		close(p[1]);
		close(q[0]);
		if (chroot(DIR_ "/jail") == 0 && write(q[1], "j", 1) == 1)
			read(p[0], buf, 1);
		_exit(0);
	}
	close(p[0]);
	close(q[1]);
	if (read(q[0], buf, 1) == 1) {
		snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
		n = readlink(path, link, sizeof(link) - 1);
	}
	snprintf(want, sizeof(want), "%s", DIR_ "/jail");
	check("chroot/proc-root-link", n == (ssize_t)strlen(want) && !memcmp(link, want, (size_t)n),
	      "/proc/PID/root does not name the jail");
	snprintf(path, sizeof(path), "/proc/%d/root/etc/name", (int)pid);
	check("chroot/proc-root-into", read_is(path, "jail"),
	      "/proc/PID/root/ does not lead into the jail");
	write(p[1], "x", 1);
	close(p[1]);
	close(q[0]);
	status_of(pid);
}

static void chroot_jail(void)
{
	int fd;
	pid_t pid;

	mkdir(DIR_ "/jail", 0755);
	mkdir(DIR_ "/jail/etc", 0755);
	symlink("/etc", DIR_ "/jail/abs");
	fd = open(DIR_ "/jail/etc/name", O_CREAT | O_WRONLY | O_TRUNC, 0644);
	check("chroot/setup", fd >= 0 && write(fd, "jail", 4) == 4, "cannot make the jail");
	close(fd);
	if ((pid = fork()) == 0)
		jailed();
	check("chroot/all-in-child", status_of(pid) == 0, "a check in the jail failed");
	proc_root_of_jailed();
	unlink(DIR_ "/jail/etc/name");
	unlink(DIR_ "/jail/abs");
	rmdir(DIR_ "/jail/etc");
	rmdir(DIR_ "/jail");
}

/* readv on a pipe or a stream socket returns what is there once a
 * buffer got some, as Linux's: it does not wait to fill the next one (uk
 * did, when the stream held exactly the first buffer's bytes). An alarm
 * bounds the wait on a build that blocks (the call then returns the 4
 * bytes, late: the alarm's coming is the failure). */
static volatile sig_atomic_t alarmed;
static void on_alarm(int sig)
{
	(void)sig;
	alarmed = 1;
}

static void readv_streams(void)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	int fds[2][2];
	const char *names[] = { "readv/pipe-no-wait-for-more", "readv/socket-no-wait-for-more" };

	sigaction(SIGALRM, &sa, &old);
	for (int k = 0; k < 2; k++) {
		char a[4], b[100];
		struct iovec v[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
		ssize_t r;
		if (k ? socketpair(AF_UNIX, SOCK_STREAM, 0, fds[k]) : pipe(fds[k])) {
			check(names[k], 0, "pipe or socketpair");
			continue;
		}
		write(fds[k][1], "abcd", 4);
		alarmed = 0;
		alarm(3);
		r = readv(fds[k][0], v, 2);
		alarm(0);
		check(names[k], r == 4 && !memcmp(a, "abcd", 4) && !alarmed,
		      alarmed ? "blocked for more, until the alarm" : "not the 4 bytes");
		close(fds[k][0]);
		close(fds[k][1]);
	}
	sigaction(SIGALRM, &old, NULL);
}

int main(int argc, char **argv)
{
	mkdir("/tmp", 01777);
	mkdir(DIR_, 0755);
	memfd_basics();
	seal_size();
	seal_write();
	seal_future_write();
	seal_exec();
	seal_inherited();
	jit_views();
	populate_past_end();
	tmpfile_checks();
	copy_range();
	sendfile_sockets();
	splice_checks();
	readv_streams();
	flock_checks(DIR_, "flock");
	chroot_jail();
	if (argc > 1) {
		tmpfile_unsupported(argv[1]);
		flock_checks(argv[1], "flock-9p");
	}
	rmdir(DIR_);
	return check_done();
}
