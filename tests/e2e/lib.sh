# Helpers for end-to-end tests. POSIX sh: the KVM suite also runs under
# busybox inside the nested standard-KVM host (tests/stdkvm.sh).
#
# Tests report one line each: "PASS name", "FAIL name: why" or
# "SKIP name: why"; tests/run.sh counts them.

UKRUN=${UKRUN:-build/bin/ukrun}
UKBUILD=${UKBUILD:-build/bin/ukbuild}
T=${TMPDIR:-/tmp}/uk-e2e.$$
mkdir -p "$T"
trap 'rm -rf "$T"' EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: $2"; }

# run CMD [ARG...]: stdout in $T/out, stderr in $T/err, status in $rc.
run() {
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
}

# check NAME CONDITION-COMMAND...: PASS when the command succeeds, else
# FAIL with the command and the last lines of what the run printed.
check() {
	name=$1
	shift
	if "$@"; then
		pass "$name"
	else
		fail "$name" "'$*' failed (status $rc; stdout: $(tail -c 300 "$T/out" | tr '\n' '|'); stderr: $(tail -c 300 "$T/err" | tr '\n' '|'))"
	fi
}

status_is() { [ "$rc" -eq "$1" ]; }
out_has() { grep -q -- "$1" "$T/out"; }
err_has() { grep -q -- "$1" "$T/err"; }
out_is() { printf '%s\n' "$1" | cmp -s - "$T/out"; }
# One line of stderr, no core dump, the status ukrun uses for its own errors.
clean_error() { [ "$rc" -eq "${1:-125}" ] && [ "$(wc -l <"$T/err")" -le 2 ] && [ -s "$T/err" ]; }

# Milliseconds since boot (busybox's date has no %N).
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
