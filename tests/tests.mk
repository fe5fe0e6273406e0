# Test programs: host unit tests (with ASan/UBSan, so a memory error fails
# the test) and guest test images built with ukbuild.

SAN_CFLAGS := $(HOST_CFLAGS) -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
UNIT_LDLIBS := -lfdt -lpthread -lseccomp -lslirp -larchive -ljansson -lnettle -lcap-ng

$(B)/san/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -c $< -o $@

# Each tests/unit/*.mk adds its binaries to UNIT_BINS and names their
# objects as prerequisites (build/san/... for sanitized copies of sources).
UNIT_BINS :=
include $(wildcard tests/unit/*.mk)

$(UNIT_BINS):
	@mkdir -p $(@D)
	$(CC) -fsanitize=address,undefined -o $@ $^ $(UNIT_LDLIBS)

# Guest test programs: one image per directory of tests/guest; an optional
# ukbuild.flags file there holds extra ukbuild options. tests/guest/*.h are
# the checks they share.
GUEST_TESTS := $(patsubst tests/guest/%/,$(B)/tests/guest/%.img,$(wildcard tests/guest/*/))
$(B)/tests/guest/%.img: tests/guest/%/*.c $(wildcard tests/guest/*.h) $(UKBUILD) $(SYSROOT)/.done
	@mkdir -p $(@D)
	$(UKBUILD) -o $@ $(shell cat tests/guest/$*/ukbuild.flags 2>/dev/null) $(filter %.c,$^)

# The hostile driver (tests/e2e/kvm/hostile.sh) drives the library OS's
# virtio transport itself: it needs the library OS's own headers.
$(B)/tests/guest/hostile.img: tests/guest/hostile/*.c $(wildcard tests/guest/*.h) $(UKBUILD) \
		$(SYSROOT)/.done
	@mkdir -p $(@D)
	$(UKBUILD) -o $@ $(filter %.c,$^) -- -Ilibos/include -Ivirtio/include -Iimage/include
$(B)/tests/guest/hostexec.img: tests/guest/hostexec/*.c $(wildcard tests/guest/*.h) $(UKBUILD) \
		$(SYSROOT)/.done
	@mkdir -p $(@D)
	$(UKBUILD) -o $@ $(filter %.c,$^) -- -Ilibos/include -Ivirtio/include -Iimage/include
$(B)/tests/guest/hostile9p.img: tests/guest/hostile9p/*.c tests/guest/hostile9p/*.h \
		$(wildcard tests/guest/*.h) $(UKBUILD) $(SYSROOT)/.done
	@mkdir -p $(@D)
	$(UKBUILD) -o $@ $(filter %.c,$^) -- -Ilibos/include -Ivirtio/include -Iimage/include

# hello with defaults in its manifest, for the override tests.
$(B)/tests/guest/hello-env.img: apps/hello/hello.c $(UKBUILD) $(SYSROOT)/.done
	@mkdir -p $(@D)
	$(UKBUILD) -o $@ --name hello -e GREETING=from-the-image --cmd default-arg $<

# The 9P test program declaring /data a volume point (ukrun -v HOSTDIR).
$(B)/tests/guest/p9-volume.img: tests/guest/p9/*.c $(UKBUILD) $(SYSROOT)/.done
	@mkdir -p $(@D)
	$(UKBUILD) -o $@ --name p9 --volume /data $(filter %.c,$^)

# The crash test with a fault injected earlier (libos/include/uk/fault.h):
# a library OS object compiled with -DUK_FAULT_AT=N goes in ahead of
# libuk.a, so the archive's copy is never linked. crash-noidt faults before
# the IDT exists, crash-early before uk_plat_init, crash-report inside the
# exception handler's report (of crash's own fault).
FAULT_IMGS := $(patsubst %,$(B)/tests/guest/crash-%.img,noidt early report)
# (objects in fault-inject/: an older tree's tests/fault/*.d name sources
# from before libos/ had rooms, and would stop an incremental make)
$(B)/tests/fault-inject/noidt.o $(B)/tests/fault-inject/early.o: libos/init/boot.c
$(B)/tests/fault-inject/report.o: libos/arch/x86_64/exception.c
$(B)/tests/fault-inject/noidt.o: FAULT := UK_FAULT_NO_IDT
$(B)/tests/fault-inject/early.o: FAULT := UK_FAULT_EARLY
$(B)/tests/fault-inject/report.o: FAULT := UK_FAULT_REPORT
$(B)/tests/fault-inject/%.o: $(B)/include-linux/.done $(NEWLIB_STAMP)
	@mkdir -p $(@D)
	$(CC) $(LIBOS_CFLAGS) $(GUEST_COLD_OPT) -DUK_FAULT_AT=$(FAULT) -c $(filter %.c,$^) -o $@
$(B)/tests/guest/crash-%.img: $(B)/tests/fault-inject/%.o tests/guest/crash/crash.c $(UKBUILD) $(SYSROOT)/.done
	@mkdir -p $(@D)
	$(UKBUILD) -o $@ --name crash tests/guest/crash/crash.c $<

# The page-table rules of the mm suite (tests/guest/mm/rules.c) as a static
# Linux program, in binary mode: brk and glibc's heap through syscall.
$(B)/tests/mm-linux/mm-rules: tests/guest/mm/rules.c tests/guest/mm/check.h
	@mkdir -p $(@D)
	$(CC) -O2 -static -Wall -DMM_RULES_MAIN -o $@ $<
$(B)/tests/guest/mm-linux.img: $(B)/tests/mm-linux/mm-rules $(UKBUILD) $(SYSROOT)/.done
	@mkdir -p $(@D)
	$(UKBUILD) oci dir:$(<D) --entrypoint /mm-rules -q -o $@

# The AF_UNIX suite (tests/guest/unix) also as a static Linux program: run
# on the host as a process (what Linux says: io.sh compares) and in binary
# mode (the system calls with glibc's own layouts).
$(B)/tests/unix-linux/unix: tests/guest/unix/unix.c tests/guest/check.h
	@mkdir -p $(@D)
	$(CC) -O2 -static -pthread -Wall -o $@ $<
$(B)/tests/guest/unix-linux.img: $(B)/tests/unix-linux/unix $(UKBUILD) $(SYSROOT)/.done
	@mkdir -p $(@D)
	$(UKBUILD) oci dir:$(<D) --entrypoint /unix -q -o $@

# The IPv6 names suite (tests/guest/names6) as a Linux program with glibc:
# net.sh runs it on the host beside the guest's, glibc's answers.
$(B)/tests/names6-linux/names6: tests/guest/names6/names6.c tests/guest/check.h
	@mkdir -p $(@D)
	$(CC) -O2 -Wall -o $@ $<

.PHONY: tests
tests: $(B)/tests/guest/unix-linux.img $(B)/tests/names6-linux/names6
tests: $(UNIT_BINS) $(GUEST_TESTS) $(B)/tests/guest/hello-env.img $(B)/tests/guest/p9-volume.img \
	$(FAULT_IMGS) $(B)/tests/guest/mm-linux.img

# make bench's comparisons: guest bench programs built as Linux programs
# with the host's gcc and glibc, run beside the guest (tests/bench/*.sh).
BENCH_LINUX := $(patsubst %,$(B)/tests/bench/%-linux,threadbench pollbench fsbench binary_bench)
$(B)/tests/bench/%-linux: tests/guest/%/*.c
	@mkdir -p $(@D)
	$(CC) -O2 -g -Wall -pthread -o $@ $(filter %.c,$^)
tests: $(BENCH_LINUX)

# Real programs nobody here wrote, built from Debian's source packages in
# link mode, the way a user would (sources fetched by ci/deps.sh).
# The expected outputs come from Debian's own lua5.4 and sqlite3 binaries.
P := $(B)/tests/programs
PROGRAMS := $(P)/lua.img $(P)/lua.expected $(P)/sqlite3.img $(P)/sqlite3.expected
LUA_CFILES = $(filter-out $(LUA_SRC)/luac.c,$(wildcard $(LUA_SRC)/*.c))
$(P)/lua.img: tests/programs/lua/test.lua $(UKBUILD) $(SYSROOT)/.done
	@mkdir -p $(@D)
	$(UKBUILD) -o $@ --name lua --add tests/programs/lua/test.lua:/test.lua \
		$(LUA_CFILES) -- -Itests/programs/lua
$(P)/lua.expected: tests/programs/lua/test.lua
	@mkdir -p $(@D)
	lua5.4 $< $(P)/lua.scratch > $@
$(P)/sqlite3.img: tests/programs/sqlite/test.sql tests/programs/sqlite/bench.sql $(UKBUILD) $(SYSROOT)/.done
	@mkdir -p $(@D)
	$(UKBUILD) -o $@ --name sqlite3 -m 256M --add tests/programs/sqlite/test.sql:/test.sql \
		--add tests/programs/sqlite/bench.sql:/bench.sql \
		$(SQLITE_SRC)/sqlite3.c $(SQLITE_SRC)/shell.c -- -DSQLITE_OMIT_LOAD_EXTENSION \
		-I$(SQLITE_SRC)
$(P)/sqlite3.expected: tests/programs/sqlite/test.sql
	@mkdir -p $(@D)
	rm -f $(P)/host.db && sqlite3 $(P)/host.db < $< > $@ && rm -f $(P)/host.db

tests: $(PROGRAMS)

# Linux programs built with the host's gcc and glibc and run in binary mode
# (tests/linux/): statically linked, and dynamically with the host's own
# glibc and loader beside them, so both the ELF loader and ld.so's mmap
# of a shared library are exercised.
LX := $(B)/tests/linux
$(LX)/%/static/bin/prog: tests/linux/%.c tests/linux/check.h tests/guest/tcp_pair.h
	@mkdir -p $(@D)
	$(CC) -O2 -static -o $@ $<
$(LX)/%/dynamic/bin/prog: tests/linux/%.c tests/linux/check.h tests/guest/tcp_pair.h
	@mkdir -p $(@D) $(LX)/$*/dynamic/lib64 $(LX)/$*/dynamic/lib/x86_64-linux-gnu
	$(CC) -O2 -o $@ $<
	cp -L /lib64/ld-linux-x86-64.so.2 $(LX)/$*/dynamic/lib64/
	cp -L /lib/x86_64-linux-gnu/libc.so.6 $(LX)/$*/dynamic/lib/x86_64-linux-gnu/
$(B)/tests/guest/%-static.img: $(LX)/%/static/bin/prog $(UKBUILD) $(SYSROOT)/.done
	$(UKBUILD) oci -q dir:$(LX)/$*/static -o $@ --entrypoint /bin/prog
$(B)/tests/guest/%-dynamic.img: $(LX)/%/dynamic/bin/prog $(UKBUILD) $(SYSROOT)/.done
	$(UKBUILD) oci -q dir:$(LX)/$*/dynamic -o $@ --entrypoint /bin/prog
# calls.c maps /data, a file of the image's archive: 3 pages and some
# bytes, 'A' + i % 26 at i.
$(LX)/calls/%/data:
	@mkdir -p $(@D)
	awk 'BEGIN { for (i = 0; i < 12300; i++) printf "%c", 65 + i % 26 }' >$@
$(B)/tests/guest/calls-static.img: $(LX)/calls/static/data
$(B)/tests/guest/calls-dynamic.img: $(LX)/calls/dynamic/data
tests: $(B)/tests/guest/rewrite-static.img $(B)/tests/guest/rewrite-dynamic.img
tests: $(B)/tests/guest/proc-static.img $(B)/tests/guest/proc-dynamic.img
tests: $(B)/tests/guest/calls-static.img $(B)/tests/guest/calls-dynamic.img
tests: $(B)/tests/guest/files-static.img $(B)/tests/guest/files-dynamic.img
tests: $(B)/tests/guest/creds-static.img $(B)/tests/guest/creds-dynamic.img
tests: $(B)/tests/guest/pidfd-static.img $(B)/tests/guest/pidfd-dynamic.img
tests: $(B)/tests/guest/sysv-static.img $(B)/tests/guest/sysv-dynamic.img
tests: $(B)/tests/guest/procfs-static.img $(B)/tests/guest/procfs-dynamic.img
tests: $(B)/tests/guest/jobctl-static.img $(B)/tests/guest/jobctl-dynamic.img
tests: $(B)/tests/guest/ipv6-static.img
tests: $(B)/tests/guest/timers-static.img $(B)/tests/guest/timers-dynamic.img
tests: $(B)/tests/guest/sock-static.img $(B)/tests/guest/sock-dynamic.img
tests: $(B)/tests/guest/inotify-static.img $(B)/tests/guest/inotify-dynamic.img
tests: $(B)/tests/guest/pty-static.img $(B)/tests/guest/pty-dynamic.img
tests: $(B)/tests/guest/efault-static.img $(B)/tests/guest/efault-dynamic.img
tests: $(B)/tests/guest/perms-static.img $(B)/tests/guest/perms-dynamic.img
.PRECIOUS: $(LX)/%/static/bin/prog $(LX)/%/dynamic/bin/prog

# Real programs from Debian's packages (a Go and a Node.js server, python's
# http.server, nginx, redis, a Java program) as uk images, for the ukrun
# suite's tests/e2e/kvm/real.sh and make bench: tests/images/real.sh, cached
# like every OCI test image in $(UK_CACHE)/images. A machine that cannot
# fetch the packages still builds the rest: real.sh leaves the reason in
# build/tests/real/why and the suite skips with it.
REAL := $(B)/tests/real
$(REAL)/.done: tests/images/real.sh tests/images/build.sh $(addprefix tests/images/progs/,server.go \
		server.js Hello.java WebServer.java) $(UKBUILD) $(SYSROOT)/.done
	@mkdir -p $(@D)
	@if bash tests/images/real.sh $(@D); then touch $@; \
	else echo "make: the real-program images were not built (see $(@D)/why)" >&2; fi
tests: $(REAL)/.done
