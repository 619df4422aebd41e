#!/bin/sh
# SPDX-License-Identifier: MIT
# Build a Release tree in build-bench (never the developer's build/) and run the full compiler
# benchmark: 10,000 entries, with the real bulwarkc timed too. Extra arguments go to
# bench_compiler (e.g. --json, --check, --runs 30).
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
build="$src/build-bench"

cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target bench_compiler bulwarkc -j"$(nproc)" >/dev/null

exec "$build/tests/bench/bench_compiler" --entries 10000 --bulwarkc "$build/compiler/bulwarkc" "$@"
