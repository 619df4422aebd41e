#!/bin/sh
# SPDX-License-Identifier: MIT
# ctest windows/runner-exe (cross build): `bulwark.exe run` and bulwark-runner.exe under Wine,
# where no plan is installed: each refuses with a sentence saying why and what to do, exits 125,
# and starts nothing (the command's own output never appears).
#   bulwark.exe run [--workspace D] -- CMD  no installation for the directory or above it
#   bulwark.exe run --plan P -- CMD         not on Windows
#   bulwark-runner.exe --root-sid SID ...   a SID on the command line is refused (the runner reads
#                                           the installation's record itself)
#   bulwark-runner.exe --install ID ...     a state directory that is not administrators' only
#                                           (Wine's own user owns it, or it does not exist)
# Nothing here is proof of a security effect: Wine enforces none (tests/windows/README.md).
# Usage: test_win_runner_exe.sh BULWARK.EXE BULWARK-RUNNER.EXE WORKDIR. Exit 77: no Wine.
set -u
exe=$1 runner=$2 work=$3
command -v wine >/dev/null || {
        echo "SKIP windows/runner-exe: wine is not installed"
        exit 77
}
fail=0
bad() {
        echo "FAIL $*"
        fail=$((fail + 1))
}
rm -rf "$work"
mkdir -p "$work/repo/src"
cd "$work/repo/src" || exit 1

# expect NAME STATUS TEXT -- PROGRAM ARGS...: exit STATUS, TEXT in the output, the command's
# marker never printed
expect() {
        name=$1 status=$2 text=$3
        shift 4
        out=$(wine "$@" 2>&1 | tr -d '\r')
        got=$(wine "$@" >/dev/null 2>&1; echo $?)
        case $out in
        *"$text"*) ;;
        *) bad "$name: \"$text\" not in: $out" ;;
        esac
        case $out in
        *bulwark-marker-ran*) bad "$name: the command ran: $out" ;;
        esac
        [ "$got" = "$status" ] || bad "$name: exit $got, not $status"
        [ "$fail" -gt 0 ] || echo "ok $name"
}

marker="cmd /c echo bulwark-marker-ran"
# shellcheck disable=SC2086
expect "run without an installation" 125 "no plan is installed for" -- "$exe" run -- $marker
# shellcheck disable=SC2086
expect "run says how to install one" 125 "bulwark apply PLAN --workspace DIR" -- "$exe" run -- $marker
# shellcheck disable=SC2086
expect "run --workspace without an installation" 125 "no plan is installed for" -- "$exe" run --workspace "$work/repo" -- $marker
# shellcheck disable=SC2086
expect "run --plan" 125 "--plan is not implemented on Windows" -- "$exe" run --plan x.plan -- $marker
# shellcheck disable=SC2086
expect "runner refuses --root-sid" 125 "usage: bulwark-runner.exe --install ID" -- "$runner" --root-sid S-1-5-21-1-2-3-4 -- $marker
# shellcheck disable=SC2086
expect "runner refuses no --install" 125 "usage:" -- "$runner" -- $marker
# shellcheck disable=SC2086
expect "runner refuses a state directory not administrators' only" 125 "must be writable by administrators only" -- "$runner" --install 0123456789abcdef -- $marker

[ "$fail" -eq 0 ] || exit 1
echo "windows/runner-exe: all passed"
