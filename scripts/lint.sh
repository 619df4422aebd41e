#!/bin/sh
# SPDX-License-Identifier: MIT
# Static checks for developers: clang-tidy (.clang-tidy, warnings are errors) and clang-format.
# Usage: scripts/lint.sh [--fix-format]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cmake -S "$root" -B "$root/build-lint" -DCMAKE_C_COMPILER=clang >/dev/null
cmake --build "$root/build-lint" -j "$(nproc)" >/dev/null
cd "$root"
clang-tidy -p build-lint --quiet libbulwark/*.c compiler/*.c enforcer/*.c enforcer/linux/*.c enforcer/runner/*.c
if [ "${1:-}" = --fix-format ]; then
        clang-format -i libbulwark/*.[ch] compiler/*.[ch] enforcer/*.[ch] enforcer/linux/*.[ch] enforcer/runner/*.[ch]
fi
