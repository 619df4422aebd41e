#!/bin/sh
# SPDX-License-Identifier: MIT
# Benchmark: bulwark apply against setfacl -R on a generated tree of 100,000 files (1,111
# directories), first application and no-op re-application, measured in one run as ratios; and
# bulwark's peak memory on trees of two sizes (it must not grow with the tree).
# Runs as root inside throwaway namespaces (tmpfs trees, a private /etc copy): nothing reaches
# the host. Usage: tests/bench/bench_acl.sh [BUILD_DIR]  (default: build-bench, Release)
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$src/build-bench}
if [ "$(id -u)" -ne 0 ]; then
        echo "bench_acl: needs root (users and ACLs in a namespace)" >&2
        exit 1
fi
if [ $# -eq 0 ]; then
        cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
        cmake --build "$build" --target bulwark bulwarkc -j "$(nproc)" >/dev/null
fi
exec unshare --mount --net --pid --fork --mount-proc /usr/bin/python3 "$src/tests/bench/bench_acl.py" "$build"
