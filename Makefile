# uk: one entry point.
#   make         build/bin/ukbuild, build/bin/ukrun, the guest sysroot, apps
#   make test    every test; ends with "N passed, N failed, N skipped"
#   make bench   measurements, printed as tables
#   make fuzz    every fuzz target for FUZZ_SECS (600) seconds, then a table
#   make demo    build and run the demo application
#
# Dependencies come from Debian through ci/deps.sh, which make runs when
# something is missing; built ones live in $(UK_CACHE), outside the tree,
# and $(UK_CACHE)/deps-KEY.mk says where (KEY: this tree's newlib build).

UK_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/uk
export UK_CACHE

ifeq ($(filter clean format,$(MAKECMDGOALS)),)
  DEPS_MK := $(shell bash ci/deps.sh --check 2>/dev/null)
  ifeq ($(DEPS_MK),)
    $(info make: installing dependencies (ci/deps.sh))
    DEPS_MK := $(shell bash ci/deps.sh >&2 && bash ci/deps.sh --check)
    $(if $(DEPS_MK),,$(error ci/deps.sh failed (see above)))
  endif
  include $(DEPS_MK)
endif

B := build
SYSROOT := $(B)/lib/uk
CC := gcc
GCC_INC := $(shell $(CC) -print-file-name=include)
LIBFDT_A := /usr/lib/x86_64-linux-gnu/libfdt.a

# ---- host programs (ukrun, ukbuild, unit tests) ----
HOST_CFLAGS := -O2 -g -std=gnu11 -Wall -Wextra -Wno-unused-parameter \
	-D_GNU_SOURCE -Ivirtio/include -Iimage/include -MMD -MP
# Every library ukrun links is resident in every VM's monitor, so it links
# only these (and libc); libslirp (with glib, pcre2, libm) is its network
# helper's alone, jansson and nettle the OCI runtime's (vmm/helper.c).
HOST_LDLIBS_RUN := -lfdt -lpthread -lseccomp -lcap-ng
HOST_LDLIBS_NET := -lpthread -lseccomp -lslirp -lcap-ng
HOST_LDLIBS_OCI := -lfdt -lpthread -lseccomp -lcap-ng -ljansson -lnettle
HOST_LDLIBS_BUILD := -lfdt -larchive -ljansson -lnettle

# Three executables share vmm/: ukrun (vmm/ukrun.c's main), its network
# helper ukrun-net and the OCI runtime ukrun-oci (vmm/ukrun_net.c's and
# vmm/ukrun_oci.c's); each links what its main needs from one archive of
# the rest, and they are installed together (ukrun finds the others
# beside itself).
VMM_MAINS := vmm/ukrun.c vmm/ukrun_net.c vmm/ukrun_oci.c
VMM_SRCS := $(filter-out $(VMM_MAINS),$(wildcard vmm/*.c))
BUILDER_SRCS := $(wildcard builder/*.c)
# Pure code shared by both sides of the VM boundary (rings, 9P codec):
# compiled into ukrun and into the library OS.
VIRTIO_SRCS := $(wildcard virtio/*.c)
# The image format (image/): the ELF/PVH checks, the symbols and the
# manifest, what ukbuild writes and ukrun reads; the manifest's reader
# (image/mf.c) is the library OS's too.
IMAGE_SRCS := $(wildcard image/*.c)
# What both host tools share besides the image format (common/): the error
# printer and the size grammar.
COMMON_SRCS := $(wildcard common/*.c)

# ---- the library OS (guest kernel side) ----
# No SSE in the library OS: interrupt handlers never touch the application's
# vector registers. No red zone, kernel code model, frame pointers for the
# crash backtrace.
GUEST_OPT ?= -O2
GUEST_BASE_CFLAGS := $(GUEST_OPT) -g -std=gnu11 -ffreestanding -fno-pic -fno-pie \
	-mcmodel=kernel -mno-red-zone -fno-stack-protector -fno-omit-frame-pointer \
	-fcf-protection=none -fno-asynchronous-unwind-tables \
	-ffunction-sections -fdata-sections \
	-nostdinc -isystem $(GCC_INC) -isystem $(NEWLIB)/x86_64-elf/include \
	$(NEWLIB_ABI) -Wall -Wextra -Wno-unused-parameter -MMD -MP
LIBOS_CFLAGS := $(GUEST_BASE_CFLAGS) -mgeneral-regs-only -Ilibos/include \
	-Ivirtio/include -Iimage/include -idirafter $(B)/include-linux
GLUE_CFLAGS := -isystem libos/include/posix $(GUEST_BASE_CFLAGS) -D__LINUX_ERRNO_EXTENSIONS__ -Ilibos/include \
	-Ivirtio/include -Iimage/include

# Every .c under libos/ (newlib/ is the glue, compiled against newlib's
# headers); components add objects with their own flags in */build.mk.
LIBOS_SRCS := $(shell find libos -name '*.c' -not -path 'libos/newlib/*' | sort)
LIBOS_ASMS := $(shell find libos -name '*.S' | sort)
GLUE_SRCS := $(wildcard libos/newlib/*.c)
# The newlib glue that replaces newlib's own definitions (signal, abort, ...)
# is linked whole (libukglue.a), so newlib's never win; everything else is an
# ordinary archive (libuk.a) and images carry only what they use: a program
# without sockets has no network stack, one without the POSIX terminal API
# (glue_pty.c) no pseudo-terminals.
GLUE_LAZY := libos/newlib/glue_net.c libos/newlib/glue_io.c libos/newlib/glue_pty.c
GLUE_WHOLE := $(filter-out $(GLUE_LAZY),$(GLUE_SRCS))
GLUE_OBJS := $(GLUE_WHOLE:%.c=$(B)/guest/%.o)
LIBOS_OBJS := $(LIBOS_SRCS:%.c=$(B)/guest/%.o) $(LIBOS_ASMS:%.S=$(B)/guest/%.o) \
	$(GLUE_LAZY:%.c=$(B)/guest/%.o) $(VIRTIO_SRCS:%.c=$(B)/guest/%.o) $(B)/guest/image/mf.o

# Code off every hot path is compiled for size, the rest for speed: boot
# and platform set-up, --trace and reports, the ELF loader, process
# information, /proc and /dev, the 9P and FAT file systems and their
# devices (whose costs are round trips to the host), DHCP and DNS. (-Os
# throughout would save more, but doubles an uncontended mutex's cost.)
GUEST_COLD_OPT ?= -Os
GUEST_COLD := virtio/p9.c $(addprefix libos/,init/boot.c plat/plat.c sys/trace.c plat/print.c process/elf.c process/binary.c \
	process/binary_stack.c sys/sys_proc.c sys/sys_fs_attr.c virtio/acpi.c virtio/ioapic.c virtio/virtio_9p.c \
	virtio/virtio_blk.c vfs/vfs_init.c vfs/vfs_mount.c vfs/fstypes.c fs/cpio.c fs/rootfs.c \
	fs/devfs.c fs/procfs.c fs/procfs_sys.c fs/procfs_pid.c fs/p9fs.c fs/p9fs_file.c net/net_conf.c net/resolve.c \
	newlib/glue_dir.c newlib/glue_users.c) $(wildcard libos/fs/fat_*.c)
$(GUEST_COLD:%.c=$(B)/guest/%.o): COLD_OPT := $(GUEST_COLD_OPT)

UKBUILD := $(B)/bin/ukbuild
UKRUN := $(B)/bin/ukrun
UKRUN_NET := $(B)/bin/ukrun-net
UKRUN_OCI := $(B)/bin/ukrun-oci
# Every apps/NAME/ directory becomes build/apps/NAME.img (optional
# apps/NAME/ukbuild.flags: extra ukbuild options, e.g. --rootfs).
APPS := $(patsubst apps/%/,$(B)/apps/%.img,$(wildcard apps/*/))

.PHONY: all test bench fuzz demo clean format check-format
all: $(UKBUILD) $(UKRUN) $(UKRUN_NET) $(UKRUN_OCI) sysroot $(APPS) tests

# ---- include dir with Linux's uapi headers and libfdt, for the library OS ----
$(B)/include-linux/.done:
	@mkdir -p $(@D)
	ln -sfn /usr/include/linux $(@D)/linux
	ln -sfn /usr/include/asm-generic $(@D)/asm-generic
	ln -sfn /usr/include/x86_64-linux-gnu/asm $(@D)/asm
	for h in libfdt.h libfdt_env.h fdt.h; do ln -sfn /usr/include/$$h $(@D)/$$h; done
	@touch $@

# Guest objects are rebuilt when newlib is (another build key, other headers).
NEWLIB_STAMP := $(B)/guest/.newlib-$(notdir $(NEWLIB))
$(NEWLIB_STAMP):
	@mkdir -p $(@D) && touch $@

$(B)/guest/%.o: %.c $(B)/include-linux/.done $(NEWLIB_STAMP)
	@mkdir -p $(@D)
	$(CC) $(LIBOS_CFLAGS) $(COLD_OPT) -c $< -o $@

$(B)/guest/libos/newlib/%.o: libos/newlib/%.c $(NEWLIB_STAMP)
	@mkdir -p $(@D)
	$(CC) $(GLUE_CFLAGS) $(COLD_OPT) -c $< -o $@

$(B)/guest/%.o: %.S
	@mkdir -p $(@D)
	$(CC) -MMD -MP -c $< -o $@

# ---- the guest sysroot ukbuild links against ----
.PHONY: sysroot
sysroot: $(SYSROOT)/.done
$(SYSROOT)/.done: $(SYSROOT)/lib/libuk.a $(SYSROOT)/lib/libukglue.a libos/uk.ld $(shell find libos/include/posix -name '*.h') \
		$(NEWLIB)/.done
	@# Updated in place, never removed first: other builds may be compiling
	@# against these headers at this moment.
	mkdir -p $(SYSROOT)/lib $(SYSROOT)/include/posix
	cp -a -u $(NEWLIB)/x86_64-elf/include/. $(SYSROOT)/include/
	cp -a -u libos/include/posix/. $(SYSROOT)/include/posix/
	cp $(NEWLIB)/x86_64-elf/lib/libc.a $(NEWLIB)/x86_64-elf/lib/libm.a $(SYSROOT)/lib/
	cp $(LIBFDT_A) $(SYSROOT)/lib/libfdt.a
	cp libos/uk.ld $(SYSROOT)/lib/uk.ld
	echo '$(NEWLIB_ABI)' > $(SYSROOT)/cflags
	@touch $@

$(SYSROOT)/lib/libuk.a: $(LIBOS_OBJS)
	@mkdir -p $(@D)
	rm -f $@.tmp
	ar rcs $@.tmp $^ && mv $@.tmp $@

$(SYSROOT)/lib/libukglue.a: $(GLUE_OBJS)
	@mkdir -p $(@D)
	rm -f $@.tmp
	ar rcs $@.tmp $^ && mv $@.tmp $@

# ---- host programs ----
$(B)/host/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -c $< -o $@

$(B)/host/libvmm.a: $(VMM_SRCS:%.c=$(B)/host/%.o) $(IMAGE_SRCS:%.c=$(B)/host/%.o) \
		$(COMMON_SRCS:%.c=$(B)/host/%.o) $(VIRTIO_SRCS:%.c=$(B)/host/%.o)
	rm -f $@.tmp
	ar rcs $@.tmp $^ && mv $@.tmp $@

# ukrun is a static PIE (the address space still randomized): no dynamic
# loading at each start (0.1-0.4 ms), and only the pages of libc it runs
# are resident, not those the loader and fault-around touch in the whole
# shared libc (a sleeping hello's RSS beyond guest memory 2.2 -> 1.4 MiB).
# Hence no NSS in it: jail.c reads /etc/passwd itself. (libcap-ng's
# capng_change_id has getpwuid and initgroups, for CAPNG_INIT_SUPP_GRP,
# which jail.c never passes: the linker warns of them all the same.)
$(UKRUN): $(B)/host/vmm/ukrun.o $(B)/host/libvmm.a
	@mkdir -p $(@D)
	$(CC) -static-pie -o $@ $^ $(HOST_LDLIBS_RUN)

$(UKRUN_NET): $(B)/host/vmm/ukrun_net.o $(B)/host/libvmm.a
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(HOST_LDLIBS_NET)

$(UKRUN_OCI): $(B)/host/vmm/ukrun_oci.o $(B)/host/libvmm.a
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(HOST_LDLIBS_OCI)

$(UKBUILD): $(BUILDER_SRCS:%.c=$(B)/host/%.o) $(IMAGE_SRCS:%.c=$(B)/host/%.o) \
		$(COMMON_SRCS:%.c=$(B)/host/%.o)
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(HOST_LDLIBS_BUILD)

# ---- applications, built the way users build theirs ----
$(B)/apps/%.img: apps/%/*.c $(UKBUILD) $(SYSROOT)/.done
	@mkdir -p $(@D)
	$(UKBUILD) -o $@ $(shell cat apps/$*/ukbuild.flags 2>/dev/null) $(filter %.c,$^)

# Components' own rules (e.g. lwip-port/build.mk adds lwIP to LIBOS_OBJS).
include $(wildcard */build.mk)
include tests/tests.mk

# hello, then the HTTP demo with rootless networking (port DEMO_PORT on the
# host's loopback, Ctrl-C stops it). Without a usable /dev/kvm the same
# images run under QEMU instead.
DEMO_PORT ?= 8080
demo: all
	@echo "== hello, in its own microVM =="
	@if [ -w /dev/kvm ]; then \
		$(UKRUN) $(B)/apps/hello.img -- world; \
	else \
		echo "(no usable /dev/kvm on this machine: booting the same image under QEMU)"; \
		qemu-system-x86_64 -M microvm -cpu max -nodefaults -no-user-config -nographic \
			-serial stdio -device isa-debug-exit -kernel $(B)/apps/hello.img \
			-append "-- world"; test $$? -eq 1; \
	fi
	@echo "== httpd, in its own microVM with user-mode networking =="
	@echo "   serving on http://127.0.0.1:$(DEMO_PORT)/  (try: curl http://127.0.0.1:$(DEMO_PORT)/; Ctrl-C stops it)"
	@if [ -w /dev/kvm ]; then \
		$(UKRUN) --net user,hostfwd=tcp:127.0.0.1:$(DEMO_PORT)-:80 $(B)/apps/httpd.img; \
	else \
		qemu-system-x86_64 -M microvm -cpu max -m 128M -nodefaults -no-user-config -display none \
			-serial stdio -device isa-debug-exit -global virtio-mmio.force-legacy=false \
			-netdev user,id=n0,hostfwd=tcp:127.0.0.1:$(DEMO_PORT)-:80 \
			-device virtio-net-device,netdev=n0 -kernel $(B)/apps/httpd.img; \
	fi

test: all
	@bash tests/run.sh

bench: all
	@bash tests/bench.sh

fuzz: all
	@bash tests/fuzz/run.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h' | grep -v '^tests/fixtures/')

check-format:
	@bash ci/check-format.sh

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
