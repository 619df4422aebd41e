#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build the libFuzzer targets with clang, ASan and UBSan in build-fuzz/ and run each one for
# SECONDS (default 60) on a scratch copy of its seed corpus, so that the checked-in seeds stay
# small and reviewed. Exits non-zero if any target found a crash, leak or timeout; the inputs
# that did it are kept and their paths printed.
#
#   tests/fuzz/run.sh [SECONDS]
#
# Needs clang and its libFuzzer runtime (Debian: clang, libclang-rt-14-dev).
set -euo pipefail

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
        echo "usage: $0 [SECONDS]" >&2
        exit 64
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$(cd "$here/../.." && pwd)"
build="${BULWARK_FUZZ_BUILD_DIR:-$src/build-fuzz}"

CC=clang cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DBULWARK_SANITIZE=ON -DBULWARK_BUILD_FUZZERS=ON >/dev/null
cmake --build "$build" --target fuzz_plan fuzz_policy bulwarkc -j "$(nproc)" >/dev/null

work="$(mktemp -d "${TMPDIR:-/tmp}/bulwark-fuzz.XXXXXX")"
failed=0

# halt_on_error: the first report is the one to read; UBSan findings are crashes, not noise.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

for target in plan policy; do
        corpus="$work/$target/corpus"
        artifacts="$work/$target/artifacts"
        mkdir -p "$corpus" "$artifacts"
        cp "$here/corpus/$target/"* "$corpus/"
        if [ "$target" = plan ]; then
                # Plans fresh from this tree's compiler too: checked-in seeds go stale (and are then
                # all rejected at the first check) whenever the plan format changes.
                for policy in "$src"/policies/*.yaml; do
                        "$build/compiler/bulwarkc" "$policy" -D workspace=/w \
                                -o "$corpus/fresh-$(basename "$policy" .yaml).plan" 2>/dev/null || true
                done
        fi
        echo "== fuzz_$target for ${seconds}s (log: $work/$target/log)"
        rc=0
        "$build/tests/fuzz/fuzz_$target" -max_len=65536 -max_total_time="$seconds" -timeout=10 \
                -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" >"$work/$target/log" 2>&1 || rc=$?
        # the last status line and the final stats: executions, coverage, corpus size
        grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$work/$target/log" | tail -n 1 || true
        grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' \
                "$work/$target/log" || true
        if [ "$rc" -ne 0 ] || [ -n "$(ls -A "$artifacts")" ]; then
                failed=1
                echo "!! fuzz_$target failed (exit $rc); inputs:" >&2
                ls -1 "$artifacts"/* >&2 2>/dev/null || true
                grep -E -A 40 '^==[0-9]+==ERROR|runtime error|^fuzz_' "$work/$target/log" | head -n 60 >&2 || true
        fi
done

if [ "$failed" -ne 0 ]; then
        echo "fuzzing found problems; logs and inputs kept in $work" >&2
        exit 1
fi
rm -rf "$work"
echo "no crashes"
