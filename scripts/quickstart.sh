#!/bin/sh
# SPDX-License-Identifier: MIT
# The README's first command: install what is missing, build, compile the built-in default
# profile (workspace-write) for a workspace (default: the current directory), show the plan and
# the dry-run diff against this machine (read-only: nothing is changed).
# Usage: scripts/quickstart.sh [WORKSPACE]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
workspace=$(cd "${1:-.}" && pwd -P)

"$root/scripts/install-deps.sh"
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBULWARK_BUILD_TESTS=OFF >/dev/null
cmake --build "$root/build" -j "$(nproc)" >/dev/null

plan="$root/build/default.plan"
"$root/build/compiler/bulwarkc" builtin:workspace-write -D workspace="$workspace" -o "$plan"
"$root/build/enforcer/bulwark" show "$plan"
echo
echo "== dry run: what 'bulwark apply' would change on this machine (nothing is changed now)"
status=0
"$root/build/enforcer/bulwark" plan "$plan" --workspace "$workspace" || status=$?
# exit 2 means "there are differences": the expected answer on a machine without bulwark
[ "$status" -eq 0 ] || [ "$status" -eq 2 ]
