#!/bin/sh
# SPDX-License-Identifier: MIT
# Golden-file tests: compiler diagnostics (text and JSON) for diag/*.yaml, and `bulwark show`
# (text and JSON) for show/*.yaml. Usage: run.sh BULWARKC BULWARK GOLDEN_DIR [--update]
set -u
bulwarkc=$1 bulwark=$2 dir=$3 update=${4:-}
export NO_COLOR=1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

check() { # name expected-file actual-file
        if [ "$update" = --update ]; then
                cp "$3" "$2"
        elif diff -u "$2" "$3" >"$tmp/diff"; then
                pass=$((pass + 1))
                return
        else
                echo "FAIL $1"
                cat "$tmp/diff"
                fail=$((fail + 1))
                return
        fi
        pass=$((pass + 1))
}

# Run from inside the directory so file names in the output are relative and stable.
cd "$dir/diag" || exit 1
for f in *.yaml; do
        base=${f%.yaml}
        "$bulwarkc" "$f" --check --admin-dir admin.d >/dev/null 2>"$tmp/$base.txt"
        echo "exit $?" >>"$tmp/$base.txt"
        check "diag/$base (text)" "$base.expected" "$tmp/$base.txt"
        "$bulwarkc" "$f" --check --admin-dir admin.d --json >"$tmp/$base.json" 2>&1
        check "diag/$base (json)" "$base.expected.json" "$tmp/$base.json"
done

cd "$dir/show" || exit 1
for f in *.yaml; do
        base=${f%.yaml}
        "$bulwarkc" "$f" -D workspace=/home/ann/repo -D user=ann --admin-dir /nonexistent -o "$tmp/$base.plan" 2>/dev/null ||
                { echo "FAIL show/$base: does not compile"; fail=$((fail + 1)); continue; }
        "$bulwark" show "$tmp/$base.plan" >"$tmp/$base.txt" 2>&1
        check "show/$base (text)" "$base.expected" "$tmp/$base.txt"
        "$bulwark" show --json "$tmp/$base.plan" >"$tmp/$base.json" 2>&1
        check "show/$base (json)" "$base.expected.json" "$tmp/$base.json"
done

echo "golden: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
