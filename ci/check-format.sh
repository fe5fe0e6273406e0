#!/usr/bin/env bash
# The C sources against .clang-format: prints "PASS format/clang-format",
# or "FAIL format/clang-format: FILES" naming the files `make format` would
# change; "SKIP" without clang-format. Run by make test (tests/e2e/host/format.sh)
# and by make check-format.
cd "$(dirname "$0")/.."
if ! command -v clang-format >/dev/null; then
	echo "SKIP format/clang-format: clang-format is not installed"
	exit 0
fi
bad=()
for f in $(git ls-files '*.c' '*.h' | grep -v '^tests/fixtures/'); do
	clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -eq 0 ]; then
	echo "PASS format/clang-format"
else
	echo "FAIL format/clang-format: ${#bad[@]} files differ from .clang-format (make format): ${bad[*]}"
	exit 1
fi
