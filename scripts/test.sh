#!/bin/sh
# SPDX-License-Identifier: MIT
# The README's second command (and CI's): install what is missing, then build and run every test
# twice: a hardened build with warnings as errors, and an ASan+UBSan build.
# Usage: scripts/test.sh
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)

"$root/scripts/install-deps.sh"

run() { # build-dir cmake-args...
        dir=$1
        shift
        echo "== $dir: $*"
        cmake -S "$root" -B "$dir" -DBULWARK_WERROR=ON "$@" >/dev/null
        cmake --build "$dir" -j "$jobs" 2>&1 | grep -Ev '^(\[ *[0-9]+%\]|Consolidate|Scanning|Built target)' || true
        # the build's own exit status: re-run quietly so a failure stops us
        cmake --build "$dir" -j "$jobs" >/dev/null
        (cd "$dir" && ctest --output-on-failure -j "$jobs")
}

run "$root/build-test" -DCMAKE_BUILD_TYPE=RelWithDebInfo
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        run "$root/build-asan" -DCMAKE_BUILD_TYPE=Debug -DBULWARK_SANITIZE=ON
echo "bulwark: all tests passed in both builds"
