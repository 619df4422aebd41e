#!/bin/sh
# SPDX-License-Identifier: MIT
# Static checks: clang-tidy (.clang-tidy, warnings are errors) over every C file the build
# compiles in libbulwark/, compiler/ and enforcer/ (the runner included), in parallel; and, with --fix-format, clang-format. A CI gate
# (scripts/test.sh lint). False positives are suppressed where they occur, with NOLINT and the
# reason, or in .clang-tidy for a whole class with the reason there.
# Usage: scripts/lint.sh [--fix-format]
#   BULWARK_LINT_BUILD=DIR  the clang build whose compile_commands.json is used (default build-lint)
#   BULWARK_LINT_JOBS=N     parallel clang-tidy processes (default nproc)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BULWARK_LINT_BUILD:-$root/build-lint}
jobs=${BULWARK_LINT_JOBS:-$(nproc)}
# clang's view of the flags: configuring writes compile_commands.json (nothing linted is generated
# by the build, so it need not be built)
if [ ! -f "$build/compile_commands.json" ]; then
        cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang >/dev/null
fi
cd "$root"
files=$(python3 -c '
import json, os, sys
root = sys.argv[1]
dirs = ("libbulwark/", "compiler/", "enforcer/")
seen = set()
for e in json.load(open(sys.argv[2])):
    f = os.path.relpath(os.path.join(e["directory"], e["file"]), root)
    if f.startswith(dirs) and f not in seen:
        seen.add(f)
        print(f)
' "$root" "$build/compile_commands.json" | sort)
# shellcheck disable=SC2086 # one file name per word is intended
printf '%s\n' $files | xargs -P "$jobs" -n 4 clang-tidy -p "$build" --quiet 2>&1 |
        grep -v -E '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter|^Use -system-headers' >"$build/lint.log" || true
if grep -qE '(warning|error): ' "$build/lint.log"; then
        cat "$build/lint.log"
        echo "lint: clang-tidy found $(grep -cE '(warning|error): ' "$build/lint.log") problems" >&2
        exit 1
fi
echo "lint: clang-tidy clean over $(printf '%s\n' $files | wc -l) files"
if [ "${1:-}" = --fix-format ]; then
        clang-format -i libbulwark/*.[ch] compiler/*.[ch] enforcer/*.[ch] enforcer/linux/*.[ch] enforcer/runner/*.[ch]
fi
