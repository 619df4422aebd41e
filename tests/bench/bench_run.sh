#!/bin/sh
# SPDX-License-Identifier: MIT
# Benchmark: the cost of starting a command in the sandbox. /bin/true bare, under
# `bwrap --ro-bind / / --dev /dev`, and under bulwark-runner / `bulwark run` in both modes, all in
# one run, as the same unprivileged user, printed as ratios against the bare command and bwrap.
# Runs as root inside throwaway namespaces (a private /etc copy for the test user and the sandbox
# accounts, tmpfs state): nothing reaches the host.
# Usage: tests/bench/bench_run.sh [RUNS]   (default 300 starts each; builds build-bench, Release)
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$src/build-bench
runs=${1:-300}
if [ "$(id -u)" -ne 0 ]; then
        echo "bench_run: needs root (a test user and an installed plan, in a namespace)" >&2
        exit 1
fi
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBULWARK_BUILD_TESTS=ON >/dev/null
cmake --build "$build" --target bulwark bulwark-runner bulwarkc bench_exec -j "$(nproc)" >/dev/null
exec unshare --mount --net --pid --fork --mount-proc /bin/sh -c '
set -eu
build=$1 runs=$2
. "$3/tests/integration/lib.sh" >/dev/null
cp "$build/tests/bench/bench_exec" /run/bin/
useradd -m -d /home/ann -s /bin/sh ann
mkdir -p /home/ann/ws /home/ann/plain
chown -R ann:ann /home/ann
$bulwarkc builtin:workspace-write -o /run/ws.plan 2>/dev/null
$bulwark apply /run/ws.plan --workspace /home/ann/ws --user ann >/dev/null
measure() { # name dir command...
        name=$1 dir=$2
        shift 2
        r=$(as_user ann sh -c "cd $dir && exec /run/bin/bench_exec $runs \"\$@\"" sh "$@") || { echo "$name: failed" >&2; exit 1; }
        echo "$name $r"
}
{
        measure bare /home/ann/plain /bin/true
        if command -v bwrap >/dev/null; then
                measure bwrap /home/ann/plain bwrap --ro-bind / / --dev /dev /bin/true
        fi
        measure runner-unelevated /home/ann/plain $runner -- /bin/true
        measure runner-elevated /home/ann/ws $runner -- /bin/true
        measure "bulwark-run-unelevated" /home/ann/plain $bulwark run -- /bin/true
        measure "bulwark-run-elevated" /home/ann/ws $bulwark run -- /bin/true
} >/run/bench.txt
awk -v runs="$runs" "
        { name[NR] = \$1; med[NR] = \$2; min[NR] = \$3; idx[\$1] = NR }
        END {
                printf \"bulwark run benchmark: /bin/true started %d times per row (after warm-up), as an unprivileged user\n\", runs
                printf \"%-24s %10s %10s %10s %10s  %s\n\", \"name\", \"median ms\", \"min ms\", \"x bare\", \"bwrap/x\", \"target\"
                b = med[idx[\"bare\"]]; w = (\"bwrap\" in idx) ? med[idx[\"bwrap\"]] : 0
                for (i = 1; i <= NR; i++) {
                        t1 = \"\"; t2 = \"\"
                        if (name[i] == \"runner-elevated\" || name[i] == \"bulwark-run-elevated\")
                                t1 = sprintf(\"<= 2x bare %s\", med[i] / b <= 2 ? \"PASS\" : \"FAIL\")
                        if (name[i] ~ /^(runner|bulwark-run)/ && w > 0)
                                t2 = sprintf(\">= 2.5x faster than bwrap %s\", w / med[i] >= 2.5 ? \"PASS\" : \"FAIL\")
                        t = t1
                        if (t1 != \"\" && t2 != \"\") t = t \"; \"
                        t = t t2
                        if (t == \"\") t = \"-\"
                        printf \"%-24s %10.3f %10.3f %9.2fx %9s  %s\n\", name[i], med[i] / 1000, min[i] / 1000, med[i] / b, (w > 0 ? sprintf(\"%.2fx\", w / med[i]) : \"-\"), t
                }
        }" /run/bench.txt
' sh "$build" "$runs" "$src"
