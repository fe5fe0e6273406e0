#!/bin/bash
# ukbuild --rootfs DIR and --add HOST:GUEST: what is packed is what the
# guest sees (modes, symlinks, directories, hard links, bytes, times), a
# later --add wins over --rootfs, and bad options give one clear error.
# The images run under QEMU.
. tests/e2e/lib.sh

if ! command -v qemu-system-x86_64 >/dev/null; then
	skip rootfs/qemu "qemu-system-x86_64 is not installed"
	exit 0
fi

# A guest that describes each path given: type, mode, size, links, and a
# checksum of the bytes (FNV-1a) or a link's target.
cat >"$T/ls.c" <<'C'
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned fnv(const char *p)
{
	unsigned h = 2166136261u;
	unsigned char b[4096];
	ssize_t n;
	int fd = open(p, O_RDONLY);
	while (fd >= 0 && (n = read(fd, b, sizeof(b))) > 0)
		for (ssize_t i = 0; i < n; i++)
			h = (h ^ b[i]) * 16777619u;
	if (fd >= 0)
		close(fd);
	return h;
}

int main(int argc, char **argv)
{
	char cwd[256];

	printf("cwd %s\n", getcwd(cwd, sizeof(cwd)) ? cwd : "?");
	for (int i = 1; i < argc; i++) {
		struct stat st;
		char t[256];
		if (lstat(argv[i], &st)) {
			printf("%s missing\n", argv[i]);
			continue;
		}
		printf("%s %s %04o", argv[i], S_ISDIR(st.st_mode) ? "dir" : S_ISLNK(st.st_mode) ? "link"
		       : S_ISREG(st.st_mode) ? "file" : "other", st.st_mode & 07777);
		if (S_ISREG(st.st_mode))
			printf(" size=%ld links=%d sum=%08x mtime=%ld", (long)st.st_size, st.st_nlink,
			       fnv(argv[i]), (long)st.st_mtime);
		if (S_ISLNK(st.st_mode)) {
			ssize_t n = readlink(argv[i], t, sizeof(t) - 1);
			t[n > 0 ? n : 0] = 0;
			printf(" -> %s", t);
		}
		if (S_ISDIR(st.st_mode)) {
			DIR *d = opendir(argv[i]);
			struct dirent *e;
			int n = 0;
			while (d && (e = readdir(d)))
				n++;
			if (d)
				closedir(d);
			printf(" entries=%d", n);
		}
		printf("\n");
	}
	return 0;
}
C

fnv() { python3 -c 'import sys
h=2166136261
for b in open(sys.argv[1],"rb").read(): h=((h^b)*16777619)&0xffffffff
print("%08x"%h)' "$1"; }

R=$T/root
mkdir -p "$R/etc" "$R/bin" "$R/empty" "$R/data/sub"
printf 'key=value\n' >"$R/etc/app.conf"
chmod 0600 "$R/etc/app.conf"
printf '#!/bin/sh\necho tool\n' >"$R/bin/tool"
chmod 04755 "$R/bin/tool"
chmod 0700 "$R/empty"
chmod 0751 "$R/data"
head -c 1048576 /dev/urandom >"$R/data/sub/big.bin"
touch -d @1000000000 "$R/data/sub/big.bin"
ln -s ../etc/app.conf "$R/bin/conf-link"
ln -s /etc/app.conf "$R/abs-link"
ln -s /no/such/file "$R/dangling"
printf 'two names\n' >"$R/data/h1"
ln "$R/data/h1" "$R/data/h2"
printf 'added with --add\n' >"$T/added.txt"
chmod 0640 "$T/added.txt"
mkdir -p "$T/site/css"
printf '<h1>hi</h1>\n' >"$T/site/index.html"
printf 'body{}\n' >"$T/site/css/main.css"
printf 'replaced=yes\n' >"$T/override.conf"

run "$UKBUILD" -o "$T/ls.img" --rootfs "$R" --add "$T/added.txt:/opt/added.txt" \
	--add "$T/site:/srv/site" --add "$T/override.conf:/etc/over.conf" "$T/ls.c"
check rootfs/build status_is 0
run "$UKBUILD" inspect "$T/ls.img"
check rootfs/inspect-size out_has "rootfs: *[1-9][0-9]* bytes"

paths="/etc/app.conf /bin/tool /empty /data /data/sub/big.bin /bin/conf-link /abs-link /dangling \
/data/h1 /data/h2 /opt/added.txt /srv/site /srv/site/index.html /srv/site/css/main.css \
/etc/over.conf /bin/conf-link/ /nothing"
run qemu_guest -s 120 "$T/ls.img" "-- $paths"
tr -d '\r' <"$T/out" >"$T/o" && mv "$T/o" "$T/out"
check rootfs/guest-ran status_is 1
check rootfs/file-mode-0600 out_has "^/etc/app.conf file 0600 size=10 links=1 sum=$(fnv "$R/etc/app.conf")"
check rootfs/setuid-kept out_has "^/bin/tool file 4755 "
check rootfs/empty-dir out_has "^/empty dir 0700 entries=2$"
check rootfs/dir-mode out_has "^/data dir 0751 "
check rootfs/big-file-bytes out_has "^/data/sub/big.bin file 0644 size=1048576 links=1 sum=$(fnv "$R/data/sub/big.bin") mtime=1000000000$"
check rootfs/relative-symlink out_has "^/bin/conf-link link 0777 -> ../etc/app.conf$"
check rootfs/absolute-symlink out_has "^/abs-link link 0777 -> /etc/app.conf$"
check rootfs/dangling-symlink out_has "^/dangling link 0777 -> /no/such/file$"
check rootfs/hard-link-1 out_has "^/data/h1 file 0644 size=10 links=2 sum=$(fnv "$R/data/h1")"
check rootfs/hard-link-2 out_has "^/data/h2 file 0644 size=10 links=2 sum=$(fnv "$R/data/h1")"
check rootfs/add-file out_has "^/opt/added.txt file 0640 size=17 links=1 sum=$(fnv "$T/added.txt")"
check rootfs/add-dir out_has "^/srv/site dir 0755 entries=4$"
check rootfs/add-dir-files out_has "^/srv/site/css/main.css file 0644 size=7 links=1 sum=$(fnv "$T/site/css/main.css")"
check rootfs/add-renamed out_has "^/etc/over.conf file 0644 size=13 "
check rootfs/trailing-slash-on-file-link out_has "^/bin/conf-link/ missing$"
check rootfs/missing out_has "^/nothing missing$"
check rootfs/default-workdir out_has "^cwd /$"

# A later --add replaces what --rootfs put at the same path.
run "$UKBUILD" -o "$T/ls2.img" --rootfs "$R" --add "$T/override.conf:/etc/app.conf" "$T/ls.c"
run qemu_guest -s 120 "$T/ls2.img" "-- /etc/app.conf"
check rootfs/add-overrides out_has "/etc/app.conf file 0644 size=13 links=1 sum=$(fnv "$T/override.conf")"

# The manifest's working directory is where the program starts; a missing
# one is made (as docker does for WORKDIR).
run "$UKBUILD" -o "$T/wd.img" --rootfs "$R" -w /data/sub "$T/ls.c"
run qemu_guest -s 120 "$T/wd.img" "-- big.bin"
check rootfs/workdir out_has "^cwd /data/sub"
check rootfs/workdir-relative-paths out_has "^big.bin file 0644 size=1048576 "
run "$UKBUILD" -o "$T/wd2.img" --workdir /made/for/you "$T/ls.c"
run qemu_guest -s 120 "$T/wd2.img" "-- /made"
check rootfs/workdir-made out_has "^cwd /made/for/you"
check rootfs/workdir-made-mode out_has "^/made dir 0755 "
run "$UKBUILD" -o "$T/bad.img" -w relative "$T/ls.c"
check rootfs/workdir-relative-refused err_has "expected an absolute path"

# Bad options: one line, ukbuild's error status, no image.
run "$UKBUILD" -o "$T/bad.img" --rootfs "$T/nope" "$T/ls.c"
check rootfs/missing-dir clean_error 2
check rootfs/missing-dir-message err_has "nope"
run "$UKBUILD" -o "$T/bad.img" --rootfs "$T/added.txt" "$T/ls.c"
check rootfs/not-a-dir err_has "not a directory"
run "$UKBUILD" -o "$T/bad.img" --add "$T/added.txt" "$T/ls.c"
check rootfs/add-without-guest err_has "expected HOST:GUEST"
run "$UKBUILD" -o "$T/bad.img" --add "$T/missing:/x" "$T/ls.c"
check rootfs/add-missing-host err_has "missing"
check rootfs/no-image-on-error test ! -e "$T/bad.img"
