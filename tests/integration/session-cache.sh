#!/bin/sh
# SPDX-License-Identifier: MIT
# What `bulwark run` keeps for a warm session between runs (enforcer/runner/runner.c: NAME.others
# beside the session's socket, which of the other installations' roots an elevated run hides):
# every input it depends on, changed between two warm runs, is noticed: the next run hides what
# a run computed afresh would, and the session is rebuilt for that boundary. Each check would
# fail if the kept answer were taken without that input (the stale session leaves the new root
# readable: the sandbox user is the same account for all of ann's installations).
build=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

if ! unshare -U true 2>/dev/null; then
        echo "SKIP session-cache: this kernel does not let processes create user namespaces"
        finish
        exit 77 # ctest: skipped
fi

useradd -m -d /home/ann -s /bin/sh ann
chmod 711 /home/ann # (traversable: what is not hidden in another installation is readable)
for d in ews other third extra; do
        mkdir -p /home/ann/$d
        echo "secret of $d" >/home/ann/$d/secret
done
mkdir -p /home/ann/ews/.git
chown -R ann:ann /home/ann
mkdir -p /run/user/1001
chown ann:ann /run/user/1001
chmod 700 /run/user/1001
sessions=/run/user/1001/bulwark/sessions

in_ws() { # command... : as ann, from the elevated workspace, with a runtime directory of hers
        as_user ann env XDG_RUNTIME_DIR=/run/user/1001 sh -c 'cd /home/ann/ews && exec "$@"' sh "$@"
}
# A warm run through bulwark run (the only client that keeps the answer) that must not read
# /home/ann/$1/secret; its verbose output in /run/v.out.
hidden_in_warm_run() {
        in_ws $bulwark run -v -- sh -c "cat /home/ann/$1/secret; echo status \$?" >/run/v.out 2>&1
        grep -q "ran in the warm session" /run/v.out && ! grep -q "secret of $1" /run/v.out &&
                grep -q "status [1-9]" /run/v.out || { cat /run/v.out; false; }
}
# The kept answer is stored only from files older than two seconds (their times' granularity):
# wait, then a warm run stores it.
settle() {
        sleep 3
        in_ws $bulwark run -- true >/dev/null 2>&1
}

$bulwarkc builtin:workspace-write -o /run/ws.plan 2>/dev/null
$bulwark apply /run/ws.plan --workspace /home/ann/ews --user ann >/run/apply.out 2>&1 || bad "apply ews: $(tail -2 /run/apply.out)"
$bulwark apply /run/ws.plan --workspace /home/ann/other --user ann >/run/apply.out 2>&1 || bad "apply other: $(tail -2 /run/apply.out)"
in_ws $runner --session start >/dev/null
settle
check "a warm bulwark run keeps the other installations' roots beside the session" sh -c "ls $sessions/*.others"
check "the other installation's workspace is hidden in a warm run" hidden_in_warm_run other
check "  ...and the next warm run, from what was kept, hides it too" hidden_in_warm_run other

# a new installation (the installations directory changed)
$bulwark apply /run/ws.plan --workspace /home/ann/third --user ann >/run/apply.out 2>&1 || bad "apply third: $(tail -2 /run/apply.out)"
check "an installation made between two warm runs: its workspace is hidden in the next" hidden_in_warm_run third
check "  ...the session was rebuilt for it" grep -q "built for another boundary" /run/v.out
settle

# another installation's plan changed (apply again, one more writable root)
printf 'bulwark: 1\nextends: [workspace-write]\nfilesystem:\n  writable: ["/home/ann/extra"]\n' >/run/extra.yaml
$bulwarkc /run/extra.yaml -D workspace=/home/ann/other -o /run/extra.plan 2>/dev/null
$bulwark apply /run/extra.plan --workspace /home/ann/other --user ann >/run/apply.out 2>&1 || bad "apply extra: $(tail -2 /run/apply.out)"
check "an installation's plan changed between two warm runs: its new writable root is hidden in the next" \
        hidden_in_warm_run extra
settle
check "  ...and in the warm runs after it" hidden_in_warm_run extra

# an installation removed: its roots are no longer another installation's (not hidden), and the
# kept answer is not used for it
$bulwark revert /home/ann/third >/run/revert.out 2>&1 ||
        bad "revert third: $(tail -2 /run/revert.out)"
in_ws $bulwark run -v -- ls /home/ann >/run/v.out 2>&1
check "an installation reverted between two warm runs: the next is rebuilt without it" \
        sh -c "grep -q 'built for another boundary' /run/v.out || { cat /run/v.out; false; }"
settle

# what is kept is the caller's, in her private directory: a damaged file is not used
f=$(ls $sessions/*.others | head -1)
printf 'bulwark other installations 1\nkey 0000\nend\n' >"$f"
check "a damaged kept file is not used: the run reads the installations" hidden_in_warm_run extra
check "  ...and keeps a good answer again" sh -c "grep -qx /home/ann/extra '$f' || { cat '$f'; false; }"
chmod 644 "$f"
check "a kept file others could write is not used" hidden_in_warm_run extra

# the sandbox cannot reach it
check_fails "a command in the session cannot reach the kept file" in_ws $bulwark run -- sh -c "cat $sessions/*.others"
in_ws $runner --session stop >/dev/null
check_fails "session stop removes the kept file" sh -c "ls $sessions/*.others 2>/dev/null | grep -q ."
$bulwark revert --all >/dev/null 2>&1
finish
