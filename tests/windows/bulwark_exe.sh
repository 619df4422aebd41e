#!/bin/sh
# SPDX-License-Identifier: MIT
# ctest windows/bulwark-exe (cross build): bulwark.exe under Wine.
#   --version           prints "bulwark VERSION", exit 0
#   show PLAN [--json]  the same bytes as Linux's `bulwark show` (the golden files of
#                       tests/golden/show, which the Linux golden test checks), except CR LF line ends
#   doctor [--json]     says plainly that enforcement on this host is unverified, and what it did
#                       not probe
#   plan                shows the DACL changes of the plan's targets, the offline user's firewall
#                       rule, and the runner's DACL or why it cannot be used (under Wine the runner's
#                       directory is Wine's user's); nothing "not implemented"; exits non-zero;
#                       writes no state
#   apply               refuses, saying why (a state directory that is not administrators' only),
#                       and exits non-zero
# Nothing here is proof of a security effect: Wine enforces none (tests/windows/README.md).
# Usage: bulwark_exe.sh BULWARK.EXE LINUX-BULWARKC GOLDEN-SHOW-DIR WORKDIR. Exit 77: no Wine.
set -u
exe=$1 bulwarkc=$2 golden=$3 work=$4
command -v wine >/dev/null || {
        echo "SKIP windows/bulwark-exe: wine is not installed"
        exit 77
}
fail=0
bad() {
        echo "FAIL $*"
        fail=$((fail + 1))
}
rm -rf "$work"
mkdir -p "$work"
# wine_to FILE ARGS...: bulwark.exe ARGS with stdout and stderr to FILE, its exit status in $rc.
# bulwark.exe always says something when it fails; a run with no output at all and a failure is
# Wine's (seen in CI about one run in five, while other Wine tests start beside this one), so that
# one case is run again, once, and said.
wine_to() {
        to=$1
        shift
        wine "$exe" "$@" >"$to" 2>&1
        rc=$?
        if [ $rc -ne 0 ] && [ ! -s "$to" ]; then
                echo "note: wine $* gave exit $rc and no output: run again"
                wine "$exe" "$@" >"$to" 2>&1
                rc=$?
        fi
}

out=$(wine "$exe" --version 2>&1 | tr -d '\r')
case $out in
"bulwark "[0-9]*) echo "ok --version: $out" ;;
*) bad "--version printed: $out" ;;
esac

n=0
cd "$golden" || exit 1
for f in *.yaml; do
        base=${f%.yaml}
        # compiled as the Linux golden test compiles it (tests/golden/run.sh), from the same directory
        "$bulwarkc" "$f" -D workspace=/home/ann/repo -D user=ann --admin-dir /nonexistent -o "$work/$base.plan" \
                2>/dev/null || {
                bad "show/$base: does not compile"
                continue
        }
        wine_to "$work/$base.txt.crlf" show "$work/$base.plan"
        tr -d '\r' <"$work/$base.txt.crlf" >"$work/$base.txt"
        if [ $rc -ne 0 ] || ! cmp -s "$base.expected" "$work/$base.txt"; then
                bad "show/$base (text, exit $rc):"
                diff "$base.expected" "$work/$base.txt" | head -20
        fi
        # every line ends CR LF (the console's convention), nothing else differs
        if [ "$(grep -c "$(printf '\r')\$" "$work/$base.txt.crlf")" != "$(wc -l <"$work/$base.txt")" ]; then
                bad "show/$base: not every line ends CR LF"
        fi
        wine_to "$work/$base.json.crlf" show --json "$work/$base.plan"
        tr -d '\r' <"$work/$base.json.crlf" >"$work/$base.json"
        if ! cmp -s "$base.expected.json" "$work/$base.json"; then
                bad "show/$base (json):"
                diff "$base.expected.json" "$work/$base.json" | head -20
        fi
        n=$((n + 1))
done
echo "ok show: $n plans, text and JSON, compared"

doc=$(wine "$exe" doctor 2>&1 | tr -d '\r')
rc=$?
printf "%s\n" "$doc" | grep -q '^enforcement: *UNVERIFIED' || bad "doctor does not say enforcement is unverified: $doc"
printf "%s\n" "$doc" | grep -q '^firewall: *not probed' || bad "doctor does not say the firewall was not probed: $doc"
printf "%s\n" "$doc" | grep -q '^restricted run: *not probed' || bad "doctor does not say the restricted run was not probed"
printf "%s\n" "$doc" | grep -q 'under Wine: no security effect here is real' || bad "doctor does not say it runs under Wine"
json=$(wine "$exe" doctor --json 2>&1 | tr -d '\r')
printf "%s\n" "$json" | grep -q '"enforcement": *"UNVERIFIED' || bad "doctor --json has no UNVERIFIED enforcement: $json"
[ $fail -eq 0 ] && echo "ok doctor: says enforcement is unverified and what it did not probe"

mkdir -p "$work/ws"
"$bulwarkc" builtin:workspace-write --admin-dir /nonexistent -o "$work/ww.plan" 2>/dev/null || bad "builtin:workspace-write does not compile"
# plan reads no state it cannot find; it shows the plan's DACL changes (targets_converge, a dry
# run: nothing written), the firewall rule to add (the offline user does not exist yet) and the
# runner's DACL to change, or why the runner cannot be used. Only the text is checked: Wine's
# descriptors and firewall prove nothing.
wine "$exe" plan "$work/ww.plan" --workspace "Z:$work/ws" --state-dir "Z:$work/nostate" >"$work/plan.out" \
        2>"$work/plan.err"
rc=$?
tr -d '\r' <"$work/plan.err" >"$work/plan.txt"
tr -d '\r' <"$work/plan.out" >"$work/plan-out.txt"
if [ $rc -eq 0 ]; then
        bad "plan exited 0 (there are changes, and what it cannot read)"
elif grep -q 'not implemented on Windows' "$work/plan-out.txt" "$work/plan.txt"; then
        bad "plan says something is not implemented: $(cat "$work/plan-out.txt" "$work/plan.txt")"
elif ! grep -q '^+ nft ' "$work/plan-out.txt" || ! grep -Eq '^(~|\?) runner ' "$work/plan-out.txt"; then
        bad "plan did not show the firewall rule and the runner: $(cat "$work/plan-out.txt" "$work/plan.txt")"
elif ! grep -Eq "^~ acl +/z$work/ws +DACL: this installation's entries" "$work/plan-out.txt"; then
        bad "plan did not show the workspace's DACL change: $(cat "$work/plan-out.txt" "$work/plan.txt")"
elif [ -e "$work/nostate" ]; then
        bad "plan made the state directory $work/nostate"
else
        printf 'ok plan shows the DACL changes, the firewall rule and the runner: %s\n' "$(head -1 "$work/plan-out.txt")"
fi

# a state directory of the test's own (the prefix's %ProgramData% is left alone); under Wine its
# owner is Wine's user, not Administrators, so it is refused if nothing else refuses first
wine "$exe" apply -y "$work/ww.plan" --workspace "Z:$work/ws" --state-dir "Z:$work/state" >"$work/apply.out" \
        2>"$work/apply.err"
rc=$?
tr -d '\r' <"$work/apply.err" >"$work/apply.txt"
if [ $rc -eq 0 ]; then
        bad "apply exited 0 (Wine's user owns the state directory: it must be refused)"
elif ! grep -q 'writable by administrators only' "$work/apply.txt"; then
        bad "apply refused without saying why: $(cat "$work/apply.txt")"
else
        printf 'ok apply refuses: %s\n' "$(head -1 "$work/apply.txt")"
fi

[ $fail -eq 0 ] || {
        echo "windows/bulwark-exe: $fail failure(s)"
        exit 1
}
echo "windows/bulwark-exe: all passed"
