#!/usr/bin/env bash
# Each fuzz target runs once over its seeds (tests/fuzz/seeds.sh) and over
# every input that once crashed it (tests/fuzz/regress/TARGET/*, kept by
# whoever fixed the crash): none may crash. libFuzzer runs the files it is
# given without fuzzing.
set -u
cd "$(dirname "$0")/../../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for f in build/tests/fuzz/*; do
	name=$(basename "$f")
	[ -x "$f" ] && [ "${name%.sh}" = "$name" ] || continue # (not seeds.sh, smoke.sh)
	bash tests/fuzz/seeds.sh "$name" "$work/$name"
	[ ! -d "tests/fuzz/regress/$name" ] || cp tests/fuzz/regress/"$name"/* "$work/$name/"
	set -- "$work/$name"/*
	if [ ! -e "$1" ]; then
		continue # (a target without seeds or kept inputs: nothing to replay)
	elif "$f" -rss_limit_mb=1024 "$@" >"$work/$name.log" 2>&1; then
		echo "PASS fuzz-regress/$name: $# inputs"
	else
		echo "FAIL fuzz-regress/$name: $(grep -m1 -E 'ERROR|SUMMARY|deadly' "$work/$name.log")" \
			"($(grep 'Running: ' "$work/$name.log" | tail -1 | sed 's/.*Running: //'))"
	fi
done
