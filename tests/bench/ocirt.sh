#!/usr/bin/env bash
# The OCI runtime (issue 16): the wall time of a whole `podman run --rm`
# (podman's and conmon's own work included), crun against ukrun, runs
# interleaved (the order swapped each round), median and range of N rounds
# (UK_OCI_ROUNDS, default 8): busybox `true` and python `-c pass` without a
# network, busybox `true` on podman's bridge. Root only, on this machine's
# KVM (podman is not in the nested host), in network and mount namespaces
# of its own with a podman store of its own.
#
# crun refuses cgroups in "hybrid" mode (v1 controllers with a cgroup2 tree
# beside them at /sys/fs/cgroup/unified holding any controller: "cgroups in
# hybrid mode not supported, drop all controllers from cgroupv2"); the
# mount namespace leaves that tree out, so crun sees plain cgroups v1 and
# both runtimes run under the same podman (cgroupfs manager). Both run
# with --ulimit nofile=1024:1024 --ulimit nproc=1024:1024: podman asks
# for more than the hard limits these machines give, and crun fails when
# setrlimit does.
set -u
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
title="OCI runtime: podman run --rm"
n=${UK_OCI_ROUNDS:-8}

if [ "$(id -u)" != 0 ] || ! kvm_here; then
	bench_skip "$title" "needs root and this machine's /dev/kvm (podman does not run in the nested host)"
	exit 0
fi
for p in podman conmon crun unshare; do
	if ! command -v $p >/dev/null; then
		bench_skip "$title" "$p is not installed (ci/deps.sh installs it)"
		exit 0
	fi
done
if ! I=$(bash tests/images/build.sh busybox python 2>/dev/null); then
	bench_skip "$title" "the test images could not be built (tests/images/build.sh busybox python)"
	exit 0
fi

# (in the namespaces: $1 rounds, $2 the images' directory, $3 ukrun)
inner='
. tests/e2e/lib.sh
ip link set lo up
if [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
	umount /sys/fs/cgroup/unified || exit 1
fi
P="podman --root $T/ps --runroot $T/pr --tmpdir $T/ptmp --events-backend file"
trap "$P rm -af -t 0 >/dev/null 2>&1; rm -rf $T" EXIT
for img in busybox python; do
	bound 120 $P load -q -i "$2/$img.tar" >/dev/null || exit 1
done
BB=localhost/uk-test/busybox:latest PY=localhost/uk-test/python:latest
# one LABEL RUNTIME ARGS...: "RUNTIME-LABEL MS" after podman run --rm ARGS
one() {
	l=$1 r=$2
	shift 2
	set -- --runtime "$r" run --rm --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "$@"
	[ "$r" = crun ] || set -- --runtime-flag "root=$T/uk" "$@"
	t0=$(now_ms)
	if bound 120 $P "$@" >/dev/null 2>"$T/err"; then
		echo "${r##*/}-$l $(($(now_ms) - t0))"
	else
		echo "failed ${r##*/} $l: $(tail -c 200 "$T/err" | tr "\n" " ")"
	fi
}
i=0
while [ $i -le "$1" ]; do # (round 0 fills the caches and is not counted)
	a=crun b=$3
	[ $((i % 2)) = 1 ] && a=$3 b=crun
	for r in $a $b; do one bb-none "$r" --network none "$BB" true; done
	for r in $b $a; do one py-none "$r" --network none "$PY" -c pass; done
	for r in $a $b; do one bb-bridge "$r" "$BB" true; done
	[ $i = 0 ] && echo round0-done
	i=$((i + 1))
done
'
RT=$(pwd)/$UKRUN
res=$(UK_OWN_NETNS=1 timeout -k 10 1800 unshare -n -m sh -c "$inner" sh "$n" "$I" "$RT" 2>&1)
[ -n "${VERBOSE:-}" ] && echo "$res"
if echo "$res" | grep -q '^failed'; then
	bench_skip "$title" "$(echo "$res" | grep '^failed' | head -1)"
	exit 0
fi

# stats KEY: "median (min-max) ms" of the counted rounds' KEY lines
stats() {
	echo "$res" | sed '1,/^round0-done$/d' | sed -n "s/^$1 //p" | sort -n |
		awk '{ v[NR] = $1 } END { if (NR) printf "%d ms (%d-%d)\n", v[int((NR + 1) / 2)], v[1], v[NR] }'
}
table "$title, median (range) of $n ($(uptime | sed 's/.*load average: \([0-9.]*\).*/load \1/'))" \
	"ukrun" "crun $(crun --version | sed -n 's/^crun version //p')"
row "busybox true, --network none" "$(stats ukrun-bb-none)" "$(stats crun-bb-none)"
row "python3 -c pass, --network none" "$(stats ukrun-py-none)" "$(stats crun-py-none)"
row "busybox true, podman's bridge" "$(stats ukrun-bb-bridge)" "$(stats crun-bb-bridge)"
