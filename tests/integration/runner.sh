#!/bin/sh
# SPDX-License-Identifier: MIT
# bulwark run / bulwark-runner: the runner binary's state converged by apply and undone by revert,
# both modes end to end, who may use an installed plan, exit statuses, signals, and that no
# process outlives the run. (The escape attempts are tests/escape/.)
build=$1
. "$(dirname "$0")/lib.sh"

if ! unshare -U true 2>/dev/null; then
        echo "SKIP runner: this kernel does not let processes create user namespaces"
        finish
        exit 77 # ctest: skipped
fi

useradd -m -d /home/ann -s /bin/sh ann
useradd -m -d /home/bob -s /bin/sh bob
chmod 700 /home/ann /home/bob
mkdir -p /home/ann/repo/.git /home/ann/repo/src /home/ann/plain
echo '[core]' >/home/ann/repo/.git/config
echo secret >/home/ann/secret.txt
chmod 600 /home/ann/secret.txt
chown -R ann:ann /home/ann
$bulwarkc builtin:workspace-write -o /run/ws.plan 2>/dev/null
$bulwarkc builtin:workspace-write-online -o /run/online.plan 2>/dev/null

run_as() { # user dir command... (as the user, from dir)
        u=$1
        d=$2
        shift 2
        as_user "$u" sh -c 'cd "$1" && shift && exec "$@"' sh "$d" "$@"
}

# Callers bulwark run cannot serve, named (issue #14): from inside a sandbox (bulwark's marker, or
# what a sandbox looks like without it), root through sudo. The binaries are copied where a run
# sees them (an offline run's /run is its own).
mkdir -p /opt/bw && mount -t tmpfs -o mode=0755 tmpfs /opt/bw
caller_checks() { # label dir
        l=$1 d=$2
        cp /run/bin/bulwark /run/bin/bulwark-runner /opt/bw/
        getcap /run/bin/bulwark-runner | grep -q cap_set && setcap cap_setuid,cap_setgid=ep /opt/bw/bulwark-runner
        # (LeakSanitizer cannot trace inside a sandbox: the sanitizer builds' inner runs go without it)
        run_as ann "$d" $runner -- env ASAN_OPTIONS=detect_leaks=0 /opt/bw/bulwark-runner -- true 2>/run/err.out
        check "$l: bulwark-runner inside a run is refused as nested, naming the sandbox (125)" sh -c \
                "test $? -eq 125 && grep -q 'already inside an offline bulwark sandbox.*nesting is refused' /run/err.out"
        run_as ann "$d" $bulwark run -- env ASAN_OPTIONS=detect_leaks=0 /opt/bw/bulwark run -- true 2>/run/err.out
        check "$l: bulwark run inside bulwark run: the same" sh -c \
                "test $? -eq 125 && grep -q 'already inside an offline bulwark sandbox' /run/err.out"
        run_as ann "$d" $runner -- env -u BULWARK_SANDBOX ASAN_OPTIONS=detect_leaks=0 /opt/bw/bulwark-runner -- true \
                2>/run/err.out
        check "$l:   ...without the marker too (no new privileges, seccomp, one user id)" sh -c \
                "test $? -eq 125 && grep -q 'already inside a.* sandbox' /run/err.out"
        (cd "$d" && env SUDO_USER=ann SUDO_UID="$(id -u ann)" $bulwark run -- touch "$d/as-root") 2>/run/err.out
        check "$l: sudo bulwark run is refused: run it as ann, without sudo; apply needs root (125)" sh -c \
                "test $? -eq 125 && grep -q 'through sudo, as root.*run it as ann, without sudo.*sudo bulwark apply' /run/err.out && ! test -e $d/as-root"
        umount /opt/bw 2>/dev/null; mount -t tmpfs -o mode=0755 tmpfs /opt/bw
}

# ---- unelevated (nothing installed) ----
run_as ann /home/ann/repo $runner -- sh -c 'touch ok-unelevated && test "$BULWARK_SANDBOX" = offline'
check "unelevated: writes in the workspace, offline marker set" test -f /home/ann/repo/ok-unelevated
run_as ann /home/ann/repo $runner -- sh -c 'exit 7'
check "unelevated: the command's exit status passes through" test $? -eq 7
run_as ann /home/ann/repo $runner -- no-such-command-here 2>/run/err.out
check "unelevated: a missing command exits 127" test $? -eq 127
run_as ann /home/ann/repo $runner -- /home/ann/repo/.git/config 2>/dev/null
check "unelevated: a non-executable exits 126" test $? -eq 126
run_as ann /home/ann/repo $runner --network -- true 2>/run/err.out
check "unelevated: --network refused when the plan says network: off (125)" test $? -eq 125
check "  ...with the reason" grep -q 'does not allow network' /run/err.out
run_as ann /home/ann/repo $runner --plan /run/online.plan --network -- sh -c 'test "$BULWARK_SANDBOX" = online'
check "unelevated: --network with a plan that allows it" test $? -eq 0
run_as ann /home/ann/repo $runner --verbose -- true 2>/run/err.out
check "--verbose names the mode and the layers" grep -q 'unelevated mode as ann.*namespaces: user, mount, pid, network.*Landlock ABI.*seccomp' /run/err.out
run_as ann /home/ann/repo $runner -- sh -c 'kill -TERM $$'
check "a command killed by a signal: the runner dies by it too" test $? -eq 143
# signals sent to the runner reach the command
rm -f /home/ann/repo/got-term
run_as ann /home/ann/repo $runner -- sh -c 'trap "touch got-term; exit 3" TERM; while :; do sleep 0.05; done' &
rpid=$!
sleep 0.5
pkill -TERM -f -u ann 'bulwark-runner -- sh -c trap' || true
wait $rpid
check "SIGTERM to the runner is forwarded to the command" test -f /home/ann/repo/got-term
# nothing outlives the run
run_as ann /home/ann/repo $runner -- sh -c '(sleep 300 &) ; exit 0'
sleep 0.2
check_fails "no process of the command outlives the run" pgrep -u ann -x sleep
# the workspace's own policy is compiled by bulwark run
mkdir -p /home/ann/plain/.bulwark
printf 'bulwark: 1\nextends: [workspace-write]\nfilesystem:\n  read_only:\n    - ${workspace}/locked\n' >/home/ann/plain/.bulwark/policy.yaml
mkdir -p /home/ann/plain/locked
chown -R ann:ann /home/ann/plain
run_as ann /home/ann/plain $bulwark trust >/dev/null 2>&1 # every workspace policy needs it (tests/integration/trust.sh)
run_as ann /home/ann/plain $bulwark run -- sh -c 'touch free; touch locked/x' 2>/run/err.out
check "bulwark run compiles .bulwark/policy.yaml: its carve-out holds" sh -c 'test -f /home/ann/plain/free && ! test -e /home/ann/plain/locked/x'
# a policy a sandboxed command writes into a subdirectory never governs runs started there
run_as ann /home/ann/plain $bulwark run -- sh -c 'mkdir -p sub/.bulwark && printf "bulwark: 1\nextends: [workspace-write]\nfilesystem:\n  writable: [\"\${home}\"]\n" >sub/.bulwark/policy.yaml'
run_as ann /home/ann/plain/sub $bulwark run -- sh -c 'echo evil >>/home/ann/.profile-test' 2>/run/err.out
check "a nested policy written by a sandboxed command is not used (the outer one is)" sh -c '! test -e /home/ann/.profile-test'
run_as ann /home/ann/plain/sub $bulwark run -- sh -c 'touch from-sub' 2>/dev/null
check "  ...and a run from the subdirectory has the outer workspace writable" test -f /home/ann/plain/sub/from-sub
caller_checks unelevated /home/ann/repo
# a workspace policy that grants more than the default is refused until `bulwark trust`
mkdir -p /home/ann/wide/.bulwark /home/ann/extra
printf 'bulwark: 1\nextends: [workspace-write]\nfilesystem:\n  writable: ["${home}/extra"]\n' >/home/ann/wide/.bulwark/policy.yaml
chown -R ann:ann /home/ann/wide /home/ann/extra
run_as ann /home/ann/wide $bulwark run -- touch /home/ann/extra/x 2>/run/err.out
check "a widening policy is refused before bulwark trust (125), naming the line" sh -c "test $? -eq 125 && grep -q 'policy.yaml:4: makes /home/ann/extra writable' /run/err.out && ! test -e /home/ann/extra/x"
run_as ann /home/ann/wide $bulwark trust >/dev/null 2>&1
run_as ann /home/ann/wide $bulwark run -- touch /home/ann/extra/x 2>/run/err.out
check "  ...and runs once trusted" test -e /home/ann/extra/x
# the compiled plan is kept in the runtime directory (/run/user/UID) between runs, and used only
# while the policy's files are unchanged and trusted
uid=$(id -u ann)
mkdir -p /run/user/$uid /home/ann/extra2
chown ann:ann /run/user/$uid /home/ann/extra2
chmod 700 /run/user/$uid
rt_run() { # dir command... (as ann, with her runtime directory)
        as_user ann env XDG_RUNTIME_DIR=/run/user/$uid sh -c 'cd "$1" && shift && exec "$@"' sh "$@"
}
rt_run /home/ann/wide $bulwark run -- true
check "a trusted policy's compiled plan is kept in \$XDG_RUNTIME_DIR/bulwark/plans" sh -c "ls /run/user/$uid/bulwark/plans/*.plan"
cache=$(ls /run/user/$uid/bulwark/plans/*.plan | head -1)
printf 'bulwark: 1\nextends: [workspace-write]\nfilesystem:\n  writable: ["${home}/extra2"]\n' >/run/p2.yaml
$bulwarkc /run/p2.yaml -o /run/p2.plan 2>/dev/null
/usr/bin/python3 -c 'import sys
c = open(sys.argv[1], "rb").read(); p = open(sys.argv[2], "rb").read()
i = c.index(b"\nplan ") + 1
open(sys.argv[1], "wb").write(c[:i] + b"plan %d\n" % len(p) + p)' "$cache" /run/p2.plan
rt_run /home/ann/wide $bulwark run -- touch /home/ann/extra2/y 2>/run/err.out
check "  ...and used: a plan put in its place decides the next run (no compilation)" test -e /home/ann/extra2/y
echo '# changed' >>/home/ann/wide/.bulwark/policy.yaml
rt_run /home/ann/wide $bulwark run -- touch /home/ann/extra/z 2>/run/err.out
check "  ...but not once the policy changed: refused (125) as changed since trusted" sh -c \
        "test $? -eq 125 && grep -q 'changed since you trusted it' /run/err.out && ! test -e /home/ann/extra/z"
rt_run /home/ann/wide $bulwark trust >/dev/null 2>&1
rt_run /home/ann/wide $bulwark run -- sh -c 'touch /home/ann/extra/z; touch /home/ann/extra2/z' 2>/dev/null
check "  ...trusted again: compiled again and kept (the policy's roots, not the planted plan's)" sh -c \
        'test -e /home/ann/extra/z && ! test -e /home/ann/extra2/z'
rt_run /home/ann/wide $bulwark run -- sh -c "ls /run/user/$uid/bulwark/plans" >/dev/null 2>&1
check_fails "  ...out of every run's sight" test $? -eq 0
run_as ann /home/ann/plain $runner -- true 2>/run/err.out
check "the runner alone refuses a workspace with its own policy (125)" test $? -eq 125
printf 'bulwark: 1\nfilesystem: {writable: [nope' >/home/ann/plain/.bulwark/policy.yaml
run_as ann /home/ann/plain $bulwark trust >/dev/null 2>/run/err.out
check "a broken workspace policy cannot be trusted: the error named" sh -c "test $? -eq 1 && grep -q 'policy.yaml:[0-9]*:[0-9]*: error' /run/err.out"
run_as ann /home/ann/plain $bulwark run -- touch should-not 2>/run/err.out
check "  ...and the run refuses it: 125, the command not run" sh -c "test $? -eq 125 && ! test -e /home/ann/plain/should-not"

# a carve-out deeper in the workspace cannot be moved out of the way between runs (its parent
# directories are mount points in the sandbox)
mkdir -p /home/ann/deep/cfg/locked /home/ann/deep/secrets
echo key >/home/ann/deep/secrets/key.txt
printf 'bulwark: 1\nextends: [workspace-write]\nfilesystem:\n  read_only: ["${workspace}/cfg/locked"]\n  unreadable: ["${workspace}/secrets/key.txt"]\n' >/run/deep.yaml
$bulwarkc /run/deep.yaml -o /run/deep.plan 2>/dev/null
chown -R ann:ann /home/ann/deep
run_as ann /home/ann/deep $runner --plan /run/deep.plan -- sh -c 'mv cfg c2' 2>/run/err.out
check "renaming a carve-out's parent fails (Device or resource busy)" sh -c "grep -q 'busy' /run/err.out && test -d /home/ann/deep/cfg/locked"
run_as ann /home/ann/deep $runner --plan /run/deep.plan -- sh -c 'mv secrets s2' 2>/run/err.out
check "renaming an unreadable path's parent fails too" sh -c "grep -q 'busy' /run/err.out && test -f /home/ann/deep/secrets/key.txt"
run_as ann /home/ann/deep $runner --plan /run/deep.plan -- cat secrets/key.txt >/dev/null 2>&1
check "  ...and the unreadable file stays unreadable" test $? -ne 0

# a host without user namespaces (here: a user namespace whose limit for new ones is 0): the run
# degrades to Landlock and seccomp, says so, and still confines writes and IP sockets
mkdir -p /run/degraded-ws
timeout 20 unshare --user --map-root-user sh -c 'echo 0 >/proc/sys/user/max_user_namespaces &&
        cd /run/degraded-ws && '"$runner"' -- sh -c "touch /etc/degraded; python3 -c \"import socket; socket.socket()\""' \
        >/run/out.txt 2>/run/err.out
check "without user namespaces: the run ends (no hang) and fails its escapes" test $? -ne 124
check "  ...the warning says which layers remain" grep -q 'user namespaces are unavailable here.*Landlock' /run/err.out
check "  ...writes outside the roots are refused (Landlock)" sh -c '! test -e /etc/degraded && grep -q "Permission denied" /run/err.out'
check "  ...and IP sockets (seccomp)" grep -q 'Address family not supported' /run/err.out

# ---- apply: the runner's state ----
check "runner has no capabilities before apply" sh -c '! getcap /run/bin/bulwark-runner | grep -q cap_set'
$bulwark plan /run/ws.plan --workspace /home/ann/repo --user ann >/run/plan.out 2>&1
check "plan lists the runner's capabilities" grep -q '^+ runner /run/bin/bulwark-runner .*cap_setgid,cap_setuid=ep' /run/plan.out
check "apply succeeds" $bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann
check "apply gave the runner cap_setuid,cap_setgid=ep" sh -c 'getcap /run/bin/bulwark-runner | grep -q "cap_setgid,cap_setuid=ep"'
check "the runner is root's, 0755, no setuid bit" test "$(stat -c '%U:%G %a' /run/bin/bulwark-runner)" = "root:root 755"
$bulwark plan /run/ws.plan --workspace /home/ann/repo --user ann >/run/plan2.out 2>&1
check "plan after apply is empty (exit 0)" test $? -eq 0
setcap -r /run/bin/bulwark-runner
$bulwark status >/run/status.out 2>&1
check "status: capabilities removed from the runner are drift (exit 2)" test $? -eq 2
check "apply restores them" sh -c "$bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann >/dev/null && getcap /run/bin/bulwark-runner | grep -q cap_setuid"

# ---- elevated ----
run_as ann /home/ann/repo $runner --verbose -- sh -c 'id -un; touch ok-elevated' >/run/out.txt 2>/run/err.out
check "elevated: runs as bw-off-ann" grep -qx bw-off-ann /run/out.txt
check "elevated: --verbose says so" grep -q 'elevated mode as bw-off-ann' /run/err.out
check "elevated: writes in the workspace" test -f /home/ann/repo/ok-elevated
run_as ann /home/ann/repo/src $runner -- sh -c 'touch ok-sub'
check "elevated: a subdirectory of the workspace is covered" test -f /home/ann/repo/src/ok-sub
run_as ann /home/ann/repo $runner -- cat /home/ann/secret.txt >/dev/null 2>&1
check "elevated: the real user's 0600 file is unreadable" test $? -ne 0
run_as ann /home/ann/repo $runner -- sh -c 'grep -E "^Cap(Prm|Eff|Bnd)" /proc/self/status' >/run/caps.out
check "elevated: the command has no capabilities at all" sh -c '! grep -v "0000000000000000" /run/caps.out'
setfacl -m u:bob:x /home/ann # so that bob can reach the workspace at all
run_as bob /home/ann/repo $runner -- true 2>/run/err.out
check "another user cannot use ann's installation (125)" sh -c "test $? -eq 125 && grep -q 'serves ann only, not bob' /run/err.out"
setfacl -x u:bob /home/ann
run_as ann /home/ann/repo $runner --plan /run/online.plan -- true 2>/run/err.out
check "elevated: --plan is refused where a plan is installed (125)" test $? -eq 125
run_as ann /home/ann/repo $bulwark run -- sh -c "id -un" >/run/out.txt 2>/dev/null
check "bulwark run execs the runner (elevated)" grep -qx bw-off-ann /run/out.txt
caller_checks elevated /home/ann/repo
(cd /home/ann/repo && $runner -- true) 2>/run/err.out
check "elevated: root (no sudo) in ann's installation is told to run it as ann (125)" sh -c \
        "test $? -eq 125 && grep -q 'serves ann, and you are root.*run it as ann' /run/err.out"
# another user's installation: its writable roots (not only its workspace) are out of view
mkdir -p /home/bob/ws /home/bob/.cache/tool
echo bob-token >/home/bob/.cache/tool/token
chown -R bob:bob /home/bob
printf 'bulwark: 1\nextends: [workspace-write]\nfilesystem:\n  writable: ["${home}/.cache/tool"]\n' >/run/bob.yaml
$bulwarkc /run/bob.yaml -o /run/bob.plan 2>/dev/null
check "apply for bob, with an extra writable root" $bulwark apply /run/bob.plan --workspace /home/bob/ws --user bob
run_as ann /home/ann/repo $runner -- cat /home/bob/.cache/tool/token >/run/out.txt 2>&1
check "elevated: ann's sandbox cannot read bob's extra writable root" sh -c "! grep -q bob-token /run/out.txt"
run_as ann /home/ann/repo $runner -- ls /home/bob/ws >/run/out.txt 2>&1
check "elevated: ...nor list bob's workspace" test $? -ne 0
# installations of different users may not nest (the sandbox users are shared)
mkdir -p /home/ann/repo/shared && chown ann:ann /home/ann/repo/shared
$bulwark apply /run/ws.plan --workspace /home/ann/repo/shared --user bob >/dev/null 2>/run/err.out
check "apply refuses bob's workspace inside ann's" sh -c "test $? -eq 1 && grep -q \"lies inside ann's installed workspace\" /run/err.out"
# the caller can still end their own elevated run, and the sandbox goes with it
run_as ann /home/ann/repo $runner -- sh -c 'sleep 300' &
sleep 0.5
rpid=$(pgrep -f 'bulwark-runner -- sh -c sleep 300' | head -1)
as_user ann kill -KILL "$rpid" 2>/run/err.out
check "elevated: the caller may kill their own run" test $? -eq 0
sleep 0.3
check_fails "  ...and nothing of it is left" pgrep -x 'sleep'
# variables the loader drops in secure mode reach the command all the same
run_as ann /home/ann/repo env LD_LIBRARY_PATH=/opt/lib TZDIR=/opt/tz $runner -- sh -c 'echo "$LD_LIBRARY_PATH $TZDIR"' >/run/out.txt 2>/dev/null
check "elevated: LD_LIBRARY_PATH and TZDIR reach the command (the runner's secure mode drops them)" grep -qx '/opt/lib /opt/tz' /run/out.txt
# a tampered installation is refused, not trusted
id=$(ls /var/lib/bulwark/installs | head -1)
chmod o+w /var/lib/bulwark/installs/$id/plan
run_as ann /home/ann/repo $runner -- true 2>/run/err.out
check "a world-writable installed plan is refused (125)" sh -c "test $? -eq 125 && grep -q 'cannot be trusted' /run/err.out"
chmod o-w /var/lib/bulwark/installs/$id/plan
cp /var/lib/bulwark/installs/$id/plan /run/plan.bak
printf 'garbage' | dd of=/var/lib/bulwark/installs/$id/plan bs=1 seek=200 conv=notrunc 2>/dev/null
run_as ann /home/ann/repo $runner -- touch /home/ann/repo/should-not 2>/run/err.out
check "a damaged installed plan is refused (125), the command not run" sh -c "test $? -eq 125 && ! test -e /home/ann/repo/should-not"
cp /run/plan.bak /var/lib/bulwark/installs/$id/plan

# ---- revert ----
check "revert --all succeeds" $bulwark revert --all
check "revert took the runner's capabilities away again" sh -c '! getcap /run/bin/bulwark-runner | grep -q cap_set'
run_as ann /home/ann/repo $runner -- sh -c 'id -un' >/run/out.txt 2>/dev/null
check "after revert the runner is unelevated again" grep -qx ann /run/out.txt
finish
