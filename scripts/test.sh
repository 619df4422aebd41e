#!/bin/sh
# SPDX-License-Identifier: MIT
# The README's second command, and CI's (.ci/run, as root on a clean Debian 12): install what is
# missing, then run every gate, each in its own build directory:
#
#   gcc     hardened build, warnings as errors; every test
#   asan    ASan+UBSan build; every test but the escape suite and the script suites (ansible,
#           agents, package, migration): see gate_asan (the fuzz corpus replayed there too)
#   clang   clang build, warnings as errors; the unit tests and the fuzz corpus
#   lint    clang-tidy (.clang-tidy, warnings as errors) over the clang build's sources
#   tsan    ThreadSanitizer build of the threaded ACL walk's test (only that target)
#   windows mingw-w64 cross build, warnings as errors (scripts/windows.sh; dependencies from
#           Debian's source packages, built once and cached in build-windows/deps), and its tests
#           under Wine: the portable unit tests, the Windows backend's, bulwarkc.exe against the
#           Linux bulwarkc. Skipped, saying why, only without the cross tools or Wine, or when the
#           source packages cannot be fetched and none are cached. Runs in the background,
#           alongside the other gates; its output comes last.
#
# Every gate runs even when an earlier one failed. The tests that need root (integration, escape)
# skip without it; what was skipped, and why, is named on the line before the last. The last
# line is "N passed, N failed, N skipped" alone (ctest's own summaries stay above it). Exit 0
# only if nothing failed.
#
# Run by root in a clone someone else owns (sudo scripts/test.sh), the builds run as the clone's
# owner and every build directory is given back to them: nothing root-owned is left in the tree.
# Tests never read the host's bulwark state (its /var/lib/bulwark, /etc/bulwark, accounts or
# nftables table): they use private copies (tests/integration/lib.sh) or explicit directories.
#
# Usage: scripts/test.sh [GATE...]        (default: all; BULWARK_TEST_JOBS=N for parallelism)
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=${BULWARK_TEST_JOBS:-$(nproc)}
gates=${*:-gcc asan clang lint tsan windows}
export PYTHONDONTWRITEBYTECODE=1 # no root-owned __pycache__ in the tree
started=$(date +%s)

summary=$(mktemp -d "${TMPDIR:-/tmp}/bulwark-test.XXXXXX") || exit 1
trap 'rm -rf "$summary"' EXIT
: >"$summary/results" # one line per test: STATUS<TAB>NAME
: >"$summary/skips"   # one line per skip: NAME<TAB>REASON

note() { # status name [reason]
        printf '%s\t%s\n' "$1" "$2" >>"$summary/results"
        [ "$1" = skipped ] && printf '%s\t%s\n' "$2" "${3:-}" >>"$summary/skips"
        return 0
}

# Who builds: the clone's owner. As root in a user's clone, drop to them for everything but the
# tests themselves (which need root to reach the integration suites).
me=$(id -u)
owner=$(stat -c %u "$root")
owner_gid=$(stat -c %g "$root")
as_owner() {
        if [ "$me" -eq 0 ] && [ "$owner" -ne 0 ]; then
                setpriv --reuid="$owner" --regid="$owner_gid" --clear-groups -- "$@"
        else
                "$@"
        fi
}
give_back() { # dir: after root ran tests in it
        if [ "$me" -eq 0 ] && [ "$owner" -ne 0 ] && [ -e "$1" ]; then
                chown -R "$owner:$owner_gid" "$1"
        fi
}

if ! "$root/scripts/install-deps.sh"; then
        if [ "$me" -eq 0 ]; then
                echo "bulwark: installing the dependencies failed" >&2
                exit 1
        fi
        echo "bulwark: warning: could not install missing packages without root; gates that need them are skipped" >&2
fi

# configure and build as the owner: build-dir target|"" cmake-args...
build() {
        dir=$1 target=$2
        shift 2
        [ -e "$dir" ] && give_back "$dir"
        as_owner cmake -S "$root" -B "$dir" -DBULWARK_WERROR=ON "$@" >"$summary/configure.log" 2>&1 ||
                { cat "$summary/configure.log"; return 1; }
        set -- --build "$dir" -j "$jobs"
        [ -n "$target" ] && set -- "$@" --target $target
        # the build's output without the progress noise; its own status decides
        as_owner cmake "$@" >"$summary/build.log" 2>&1
        rc=$?
        grep -Ev '^(\[ *[0-9]+%\]|Consolidate|Scanning|Built target|gmake)' "$summary/build.log" || true
        return $rc
}

# ctest in dir (as whoever runs this script), its results noted under the gate's name
run_ctest() { # gate dir ctest-args...
        gate=$1 dir=$2
        shift 2
        # shown as it runs, and kept for the tally below
        { (cd "$dir" && ctest --output-on-failure -j "$jobs" "$@") 2>&1; echo $? >"$summary/ctest.rc"; } |
                tee "$summary/ctest.log"
        note_ctest_log "$gate" "$dir" "$(cat "$summary/ctest.rc")"
        give_back "$dir"
}

# The results of the ctest run in LOG (default $summary/ctest.log; exit status rc), noted under the
# gate's name.
note_ctest_log() { # gate dir rc [log]
        gate=$1 dir=$2 rc=$3 log=${4:-$summary/ctest.log}
        # "  3/22 Test  #8: golden ......   Passed    0.18 sec" / "***Failed" / "***Skipped" / "***Not Run"
        sed -nE 's/^ *[0-9]+\/[0-9]+ Test +#[0-9]+: ([^ ]+) \.+ *(\*\*\*)?([A-Za-z]+( Run)?).*/\3\t\1/p' "$log" |
                while IFS="$(printf '\t')" read -r status name; do
                        case $status in
                        Passed) note passed "$gate:$name" ;;
                        Skipped) note skipped "$gate:$name" "$(skip_reason "$dir" "$name")" ;;
                        *) note failed "$gate:$name" ;;
                        esac
                done
        if [ "$rc" -ne 0 ] && ! grep -q "tests failed out of" "$log"; then
                note failed "$gate:ctest" # ctest itself failed (no tests found, a bad argument)
        fi
}

# The test's own SKIP line from ctest's log ("SKIP enforcer: needs root (...)" -> "needs root (...)").
skip_reason() { # dir test-name
        awk -v t="$2" '
                /^[0-9]+\/[0-9]+ Test: / { name = $0; sub(/^[0-9]+\/[0-9]+ Test: /, "", name) }
                name == t && /^SKIP/ { sub(/^SKIP[^:]*: */, ""); print; exit }' \
                "$1/Testing/Temporary/LastTest.log" 2>/dev/null
}

gate_gcc() {
        if build "$root/build-test" "" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc; then
                run_ctest gcc "$root/build-test"
        else
                note failed gcc:build
        fi
}

gate_asan() {
        if build "$root/build-asan" "" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=gcc -DBULWARK_SANITIZE=ON; then
                # Not here, to keep CI well under 15 minutes: the escape suites (cold and warm, 3
                # minutes side by side; they test
                # the boundary of the hardened build users run, in the gcc gate; the runner's code
                # paths run under the sanitizers in runner, session, trust, cli-ux and walkthrough)
                # and the suites that test scripts around the binaries (ansible, agents, package,
                # migration, which builds an old release).
                ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
                        run_ctest asan "$root/build-asan" -E '^(escape|escape-warm|integration/(ansible|agents|package|migration))$'
        else
                note failed asan:build
        fi
}

gate_clang() {
        if ! command -v clang >/dev/null; then
                note skipped clang:build "clang is not installed (scripts/install-deps.sh installs it as root)"
                return
        fi
        if build "$root/build-clang" "" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang; then
                note passed clang:build
                run_ctest clang "$root/build-clang" -R '^(unit/|fuzz-corpus/)'
        else
                note failed clang:build
        fi
}

gate_lint() {
        if ! command -v clang-tidy >/dev/null || ! command -v clang >/dev/null; then
                note skipped lint "clang-tidy or clang is not installed (scripts/install-deps.sh installs them as root)"
                return
        fi
        # lint.sh configures build-clang itself if the clang gate did not run
        if as_owner env BULWARK_LINT_BUILD="$root/build-clang" BULWARK_LINT_JOBS="$jobs" "$root/scripts/lint.sh"; then
                note passed lint
        else
                note failed lint
        fi
}

gate_tsan() {
        # gcc's ThreadSanitizer (libtsan2 comes with gcc); only the walk's test and what it links
        # (a race detector, not a warnings gate: gcc's -Wmaybe-uninitialized varies with -fsanitize=thread)
        if build "$root/build-tsan" test_acl_tree -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc \
                -DBULWARK_TSAN=ON -DBULWARK_WERROR=OFF; then
                # TSan's shadow layout does not fit every ASLR setting (vm.mmap_rnd_bits > 28 on newer
                # kernels): run without address randomisation, which changes nothing it checks.
                norand=""
                setarch "$(uname -m)" -R true 2>/dev/null && norand="setarch $(uname -m) -R"
                if TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1" CMOCKA_MESSAGE_OUTPUT=stdout \
                        $norand "$root/build-tsan/tests/test_acl_tree" >"$summary/tsan.log" 2>&1; then
                        note passed tsan:unit/test_acl_tree
                        echo "tsan: unit/test_acl_tree passed (the threaded walk, no data race reported)"
                else
                        cat "$summary/tsan.log"
                        note failed tsan:unit/test_acl_tree
                fi
                give_back "$root/build-tsan"
        else
                note failed tsan:build
        fi
}

gate_windows() {
        # Built and run as the clone's owner: Wine refuses a prefix (build-windows/wineprefix) that
        # belongs to someone else. build: dependencies, bulwark, the Linux bulwarkc to compare with.
        as_owner env BULWARK_TEST_JOBS="$jobs" "$root/scripts/windows.sh" build >"$summary/windows.log" 2>&1
        rc=$?
        grep -Ev '^(\[ *[0-9]+%\]|Consolidate|Scanning|Built target|gmake)' "$summary/windows.log"
        case $rc in
        0) note passed windows:build ;;
        77)
                note skipped windows "$(sed -n 's/^SKIP windows: //p' "$summary/windows.log" | head -1)"
                return
                ;;
        *)
                note failed windows:build
                return
                ;;
        esac
        # its tests under Wine (the build is current: this only starts Wine and runs ctest)
        { as_owner env BULWARK_TEST_JOBS="$jobs" "$root/scripts/windows.sh" test 2>&1; echo $? >"$summary/win-ctest.rc"; } |
                tee "$summary/win-ctest.log"
        rc=$(cat "$summary/win-ctest.rc")
        if [ "$rc" -eq 77 ]; then
                note skipped windows:ctest "$(sed -n 's/^SKIP windows: //p' "$summary/win-ctest.log" | head -1)"
                return
        fi
        note_ctest_log windows "$root/build-windows" "$rc" "$summary/win-ctest.log"
}

# The Windows gate (fetching and cross-building its dependencies, Wine) runs in the background from
# the start: the Linux gates' integration suites run one at a time and leave CPU to spare. Its
# output is shown when it ends, after the others.
windows_bg=
case " $gates " in
*" windows "*)
        windows_bg=1
        (
                t0=$(date +%s)
                gate_windows
                echo "== gate windows: $(($(date +%s) - t0)) s (in the background)"
        ) >"$summary/windows.out" 2>&1 &
        windows_pid=$!
        ;;
esac

for g in $gates; do
        [ "$g" = windows ] && [ -n "$windows_bg" ] && continue
        t0=$(date +%s)
        echo "== gate $g"
        case $g in
        gcc | asan | clang | lint | tsan | windows) "gate_$g" ;;
        *)
                echo "bulwark: unknown gate $g (gates: gcc asan clang lint tsan windows)" >&2
                exit 64
                ;;
        esac
        echo "== gate $g: $(($(date +%s) - t0)) s"
done
if [ -n "$windows_bg" ]; then
        echo "== gate windows"
        wait "$windows_pid"
        cat "$summary/windows.out"
fi

# Nothing root-owned may be left in a clone that is not root's.
if [ "$me" -eq 0 ] && [ "$owner" -ne 0 ]; then
        left=$(find "$root" -xdev -user 0 2>/dev/null | head -20)
        if [ -n "$left" ]; then
                echo "bulwark: these were left owned by root in the clone (given back to uid $owner):" >&2
                echo "$left" >&2
                find "$root" -xdev -user 0 -exec chown "$owner:$owner_gid" {} + 2>/dev/null
                note failed "root-owned-files"
        fi
fi

passed=$(grep -c '^passed' "$summary/results")
failed=$(grep -c '^failed' "$summary/results")
skipped=$(grep -c '^skipped' "$summary/results")
echo "bulwark: gates $gates in $(($(date +%s) - started)) s"
if [ "$failed" -ne 0 ]; then
        echo "failed: $(grep '^failed' "$summary/results" | cut -f2 | paste -sd' ')"
fi
if [ "$skipped" -ne 0 ]; then
        # group the skipped tests by reason: "skipped: a, b (reason); c (other reason)"
        line=$(awk -F'\t' '{ r = ($2 == "" ? "no reason given" : $2)
                             if (!(r in names)) order[n++] = r
                             names[r] = names[r] (names[r] == "" ? "" : ", ") $1 }
                           END { for (i = 0; i < n; i++) printf "%s%s (%s)", (i ? "; " : ""), names[order[i]], order[i] }' \
                "$summary/skips")
        echo "skipped: $line"
else
        echo "skipped: nothing"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
