#!/usr/bin/env bash
# The C sources as .clang-format says (STYLE.md: checked in CI).
exec bash "$(dirname "$0")/../../../ci/check-format.sh"
