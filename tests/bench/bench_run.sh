#!/bin/sh
# SPDX-License-Identifier: MIT
# Benchmark: the cost of starting a command in the sandbox. /bin/true bare, under
# `bwrap --ro-bind / / --dev /dev`, and under bulwark-runner / `bulwark run` in both modes, all in
# one run, as the same unprivileged user, printed as ratios against the bare command and bwrap.
# Runs as root inside throwaway namespaces (a private /etc copy for the test user and the sandbox
# accounts, tmpfs state): nothing reaches the host.
# Warm rows: the same command in a session (bulwark session start) of each mode, through
# bulwark-runner and through `bulwark run` (which does the runner's job in its own process).
# Targets (issue 15): a warm run <= 2x the bare command and >= 2.5x faster than bwrap; a cold run
# faster than bwrap. The bwrap-isolated row is bwrap with the namespaces, /proc and /dev a bulwark
# run has, for a like-for-like comparison (the targets stay against the plain bwrap row). The
# floor-two-starts row is tests/bench/bench_floor: a static program that only starts /bin/true,
# what a warm run costs before it does anything (a client's start and the command's).
# Then the carve-out work on bigger workspaces (tests/bench/make_tree.py: 10,000 files in 1,000
# directories with 50 nested repositories and .env files; 100,000 files in 1,111 directories; a
# policy with read_only **/.env*): the median there minus the median in an empty workspace, in each
# mode, warm cache (the runner's tree index built by the warm-up runs).
# With BULWARK_BENCH_BASELINE=REF (a git revision), the runner and bulwark of that revision are
# built too and measured in the same run (runner-baseline-*, bulwark-run-baseline-*: both modes,
# and warm when it has sessions): what this tree costs more or less.
# Usage: tests/bench/bench_run.sh [RUNS] [ROUNDS]   (default 300 starts each row per round, 3 rounds;
# builds build-bench, Release, or the directory BULWARK_BENCH_BUILD names)
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${BULWARK_BENCH_BUILD:-$src/build-bench}
runs=${1:-300}
rounds=${2:-3}
if [ "$(id -u)" -ne 0 ]; then
        echo "bench_run: needs root (a test user and an installed plan, in a namespace)" >&2
        exit 1
fi
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBULWARK_BUILD_TESTS=ON >/dev/null
cmake --build "$build" --target bulwark bulwark-runner bulwarkc bench_exec bench_floor -j "$(nproc)" >/dev/null
command -v python3 >/dev/null || { echo "bench_run: needs python3 (to make the workspaces)" >&2; exit 1; }
baseline=
if [ -n "${BULWARK_BENCH_BASELINE:-}" ]; then
        tree=$build/baseline-src
        rm -rf "$tree" && mkdir -p "$tree"
        git -C "$src" archive "$BULWARK_BENCH_BASELINE" | tar -x -C "$tree"
        rm -rf "$build/baseline" # (generated files of another revision would be taken as up to date)
        cmake -S "$tree" -B "$build/baseline" -DCMAKE_BUILD_TYPE=Release >/dev/null
        cmake --build "$build/baseline" --target bulwark-runner bulwark -j "$(nproc)" >/dev/null
        baseline=$build/baseline/enforcer
fi
exec unshare --mount --net --pid --fork --mount-proc /bin/sh -c '
set -eu
build=$1 runs=$2
. "$3/tests/integration/lib.sh" >/dev/null
cp "$build/tests/bench/bench_exec" "$build/tests/bench/bench_floor" /run/bin/
useradd -m -d /home/ann -s /bin/sh ann
mkdir -p /home/ann/ws /home/ann/plain
chown -R ann:ann /home/ann
$bulwarkc builtin:workspace-write -o /run/ws.plan 2>/dev/null
$bulwark apply /run/ws.plan --workspace /home/ann/ws --user ann >/dev/null
# the bigger workspaces, and a policy with a pattern carve-out at any depth
as_user ann /usr/bin/python3 "$3/tests/bench/make_tree.py" /home/ann/t10k 10000 1000 50
as_user ann /usr/bin/python3 "$3/tests/bench/make_tree.py" /home/ann/t100k 100000 1111 50
mkdir -p /home/ann/empty
chown ann:ann /home/ann/empty
printf "bulwark: 1\nextends: [workspace-write]\nfilesystem:\n  read_only:\n    - glob: \"\${workspace}/**/.env*\"\n" >/run/env.yaml
$bulwarkc /run/env.yaml -o /run/env.plan 2>/dev/null
chmod 644 /run/env.plan
for w in t10k t100k empty; do
        mkdir -p /home/ann/e-$w
        [ $w = empty ] || cp -a /home/ann/$w/. /home/ann/e-$w/
        chown -R ann:ann /home/ann/e-$w
        $bulwark apply /run/env.plan --workspace /home/ann/e-$w --user ann >/dev/null
done
measure() { # name dir command...
        name=$1 dir=$2
        shift 2
        r=$(as_user ann sh -c "cd $dir && exec /run/bin/bench_exec $runs \"\$@\"" sh "$@") || { echo "$name: failed" >&2; exit 1; }
        echo "$name $r"
}
# the baseline bulwark-runner, and the baseline bulwark beside it (which execs the runner there)
if [ -n "$4" ]; then
        mkdir -p /run/bin/baseline
        cp "$4/bulwark-runner" "$4/bulwark" /run/bin/baseline/
        setcap cap_setuid,cap_setgid=ep /run/bin/baseline/bulwark-runner
        ln -s baseline/bulwark-runner /run/bin/baseline-runner
fi
# every row once per round, rounds interleaved (a busy machine slows one round, not one row);
# each row then shows the median of the medians of its rounds and the least of their minimums
for round in $(seq "$5"); do
        measure bare /home/ann/plain /bin/true
        # the floor of any warm design of `bulwark run -- CMD`: a static client that only starts
        # the command (two process starts, no sandbox work): a warm run within 2x bare has only
        # 2x bare minus this row for all of its own work
        measure floor-two-starts /home/ann/plain /run/bin/bench_floor /bin/true
        if command -v bwrap >/dev/null; then
                measure bwrap /home/ann/plain bwrap --ro-bind / / --dev /dev /bin/true
                # like for like (not the baseline of issue 15): the namespaces a bulwark run has
                # (pid, network, IPC, UTS, user, cgroup), /proc and a minimal /dev
                measure bwrap-isolated /home/ann/plain bwrap --unshare-all --die-with-parent --ro-bind / / \
                        --dev /dev --proc /proc /bin/true
        fi
        if [ -n "$4" ]; then
                measure runner-baseline-unelev /home/ann/plain /run/bin/baseline-runner -- /bin/true
                measure runner-baseline-elev /home/ann/ws /run/bin/baseline-runner -- /bin/true
                measure bulwark-run-baseline-unelev /home/ann/plain /run/bin/baseline/bulwark run -- /bin/true
                measure bulwark-run-baseline-elev /home/ann/ws /run/bin/baseline/bulwark run -- /bin/true
                if /run/bin/baseline-runner --help | grep -q -- --session; then
                        for m in plain:unelev ws:elev; do
                                as_user ann sh -c "cd /home/ann/${m%%:*} && /run/bin/baseline-runner --session start" >/dev/null
                                measure runner-baseline-warm-${m#*:} /home/ann/${m%%:*} /run/bin/baseline-runner -- /bin/true
                                measure bulwark-run-baseline-warm-${m#*:} /home/ann/${m%%:*} /run/bin/baseline/bulwark run -- /bin/true
                                as_user ann sh -c "cd /home/ann/${m%%:*} && /run/bin/baseline-runner --session stop" >/dev/null
                        done
                fi
        fi
        measure runner-unelevated /home/ann/plain $runner -- /bin/true
        measure runner-elevated /home/ann/ws $runner -- /bin/true
        measure "bulwark-run-unelevated" /home/ann/plain $bulwark run -- /bin/true
        measure "bulwark-run-elevated" /home/ann/ws $bulwark run -- /bin/true
        # warm sessions: the same runs handed to a sandbox built once, through bulwark-runner and
        # through `bulwark run` (which hands the command over itself, in both modes)
        as_user ann sh -c "cd /home/ann/plain && $runner --session start" >/dev/null
        measure runner-warm-unelevated /home/ann/plain $runner -- /bin/true
        measure bulwark-run-warm-unelevated /home/ann/plain $bulwark run -- /bin/true
        as_user ann sh -c "cd /home/ann/plain && $runner --session stop" >/dev/null
        as_user ann sh -c "cd /home/ann/ws && $runner --session start" >/dev/null
        measure runner-warm-elevated /home/ann/ws $runner -- /bin/true
        measure bulwark-run-warm-elevated /home/ann/ws $bulwark run -- /bin/true
        as_user ann sh -c "cd /home/ann/ws && $runner --session stop" >/dev/null
done >/run/bench.raw
# per row: the median of the round medians, the least minimum (first-seen order)
awk "{ if (!(\$1 in n)) order[++rows] = \$1; n[\$1]++; med[\$1, n[\$1]] = \$2; if (!(\$1 in lo) || \$3 < lo[\$1]) lo[\$1] = \$3 }
     END { for (r = 1; r <= rows; r++) { k = order[r]; c = n[k]
             for (i = 1; i <= c; i++) v[i] = med[k, i]
             for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
             print k, (c % 2 ? v[(c + 1) / 2] : (v[c / 2] + v[c / 2 + 1]) / 2), lo[k] } }" /run/bench.raw >/run/bench.txt
tree_runs=$(( runs < 100 ? runs : 100 ))
{
        for w in empty t10k t100k; do
                r=$(as_user ann sh -c "cd /home/ann/$w && exec /run/bin/bench_exec $tree_runs $runner --plan /run/env.plan -- /bin/true")
                echo "unelevated $w $r"
                r=$(as_user ann sh -c "cd /home/ann/e-$w && exec /run/bin/bench_exec $tree_runs $runner -- /bin/true")
                echo "elevated $w $r"
        done
} >/run/tree.txt
awk -v runs="$runs" "
        { name[NR] = \$1; med[NR] = \$2; min[NR] = \$3; idx[\$1] = NR }
        END {
                printf \"bulwark run benchmark: /bin/true started %d times per row and round (after warm-up), as an unprivileged user; median of the round medians, least minimum\n\", runs
                printf \"%-34s %10s %10s %10s %10s  %s\n\", \"name\", \"median ms\", \"min ms\", \"x bare\", \"bwrap/x\", \"target\"
                b = med[idx[\"bare\"]]; w = (\"bwrap\" in idx) ? med[idx[\"bwrap\"]] : 0
                for (i = 1; i <= NR; i++) {
                        t1 = \"\"; t2 = \"\"
                        # issue 15: warm <= 2x bare and >= 2.5x faster than bwrap; cold faster than bwrap
                        if (name[i] ~ /warm/) {
                                t1 = sprintf(\"<= 2x bare %s\", med[i] / b <= 2 ? \"PASS\" : \"FAIL\")
                                if (w > 0)
                                        t2 = sprintf(\">= 2.5x faster than bwrap %s\", w / med[i] >= 2.5 ? \"PASS\" : \"FAIL\")
                        } else if (name[i] ~ /^(runner|bulwark-run)/ && w > 0)
                                t2 = sprintf(\"faster than bwrap %s\", w / med[i] > 1 ? \"PASS\" : \"FAIL\")
                        t = t1
                        if (t1 != \"\" && t2 != \"\") t = t \"; \"
                        t = t t2
                        if (t == \"\") t = \"-\"
                        printf \"%-34s %10.3f %10.3f %9.2fx %9s  %s\n\", name[i], med[i] / 1000, min[i] / 1000, med[i] / b, (w > 0 ? sprintf(\"%.2fx\", w / med[i]) : \"-\"), t
                }
        }" /run/bench.txt
awk -v runs="$tree_runs" "
        { med[\$1 \" \" \$2] = \$3 }
        END {
                printf \"\ncarve-outs at any depth: /bin/true %d times per row, median ms; added = minus the empty workspace\n\", runs
                printf \"%-12s %10s %10s %10s %10s %10s  %s\n\", \"mode\", \"empty\", \"10k files\", \"added\", \"100k files\", \"added\", \"target (<= 2 ms; <= 10 ms)\"
                split(\"unelevated elevated\", modes, \" \")
                for (i = 1; i <= 2; i++) {
                        m = modes[i]; e = med[m \" empty\"]; a = med[m \" t10k\"] - e; c = med[m \" t100k\"] - e
                        printf \"%-12s %10.3f %10.3f %10.3f %10.3f %10.3f  %s, %s\n\", m, e / 1000, med[m \" t10k\"] / 1000, a / 1000, med[m \" t100k\"] / 1000, c / 1000, (a <= 2000 ? \"PASS\" : \"FAIL\"), (c <= 10000 ? \"PASS\" : \"FAIL\")
                }
        }" /run/tree.txt
' sh "$build" "$runs" "$src" "$baseline" "$rounds"
