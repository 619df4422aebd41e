#!/bin/sh
# SPDX-License-Identifier: MIT
# Which policy a run trusts (issue #11): the workspace is never the home directory unless named; a
# workspace policy runs only after `bulwark trust` recorded its exact content; policy files are
# regular files of the user's inside .bulwark, and nothing else is ever quoted; elevated runs say
# when the repository's policy is not the plan in force.
build=$1
. "$(dirname "$0")/lib.sh"

if ! unshare -U true 2>/dev/null; then
        echo "SKIP trust: this kernel does not let processes create user namespaces"
        finish
        exit 77 # ctest: skipped
fi

useradd -m -d /home/ann -s /bin/sh ann
chmod 700 /home/ann
mkdir -p /home/ann/.ssh /home/ann/repo/.git /home/ann/plain /home/ann/extra
echo 'PRIVATE-KEY-LINE-1 do not print me' >/home/ann/.ssh/id_rsa
chmod 600 /home/ann/.ssh/id_rsa
echo 'original' >/home/ann/.bashrc
chown -R ann:ann /home/ann

run_as() { # user dir command... (as the user, from dir)
        u=$1
        d=$2
        shift 2
        as_user "$u" sh -c 'cd "$1" && shift && exec "$@"' sh "$d" "$@"
}
no_key() { ! grep -q 'PRIVATE-KEY' "$@"; }
store=/home/ann/.local/state/bulwark/trust

# ---- the workspace ----
run_as ann /home/ann $bulwark run -- sh -c 'echo evil >>/home/ann/.bashrc' 2>/run/err.out
check "run in \$HOME is refused (125), saying --workspace or cd into a project" \
        sh -c "test $? -eq 125 && grep -q 'your home directory.*--workspace' /run/err.out && grep -qx original /home/ann/.bashrc"
run_as ann / $bulwark run -- true 2>/run/err.out
check "run in / is refused (125)" sh -c "test $? -eq 125 && grep -q 'the root directory' /run/err.out"
run_as ann /home $bulwark run -- true 2>/run/err.out
check "run above \$HOME is refused (125)" sh -c "test $? -eq 125 && grep -q 'above your home directory' /run/err.out"
run_as ann / $bulwark run --workspace /home/ann -- sh -c 'touch /home/ann/named-ok' 2>/run/err.out
check "  ...unless --workspace names it" test -f /home/ann/named-ok
mkdir -p /home/ann/repo/src/deep && chown -R ann:ann /home/ann/repo
run_as ann /home/ann/repo/src/deep $bulwark run -- sh -c 'touch /home/ann/repo/top-ok' 2>/run/err.out
check "the workspace is the repository's top (.git) from a subdirectory" test -f /home/ann/repo/top-ok

# ---- a planted nested policy ----
# (written as ann directly: the runner now moves a .bulwark that a run creates aside, but a policy
# may also come with a clone or from an earlier version; the front end must not rely on that)
plant() { # dir
        as_user ann sh -c "mkdir -p $1/.bulwark && printf 'bulwark: 1\nfilesystem:\n  writable: [\"\${workspace}\"]\n' >$1/.bulwark/policy.yaml"
}
plant /home/ann/repo/sub
check "(a nested sub/.bulwark/policy.yaml without unreadable)" test -f /home/ann/repo/sub/.bulwark/policy.yaml
run_as ann /home/ann/repo/sub $bulwark run -- cat /home/ann/.ssh/id_rsa >/run/out.txt 2>/run/err.out
check "a run started in sub does not use the planted policy: the key stays unreadable" no_key /run/out.txt /run/err.out
# without .git, the planted directory is the outermost one with a policy: refused as untrusted
plant /home/ann/plain/sub
run_as ann /home/ann/plain/sub $bulwark run -- cat /home/ann/.ssh/id_rsa >/run/out.txt 2>/run/err.out
check "without .git, a planted policy is refused as untrusted (125)" \
        sh -c "test $? -eq 125 && grep -q 'policy.yaml is not trusted' /run/err.out && grep -q 'bulwark trust' /run/err.out"
check "  ...and nothing of the key was read" no_key /run/out.txt /run/err.out
check "  ...the report names what it leaves out" grep -q 'leaves out the unreadable /home/ann/.ssh' /run/err.out
# a sandboxed command cannot trust it for the user (/run, where the tests keep bulwark, is private
# to the sandbox: use a copy elsewhere)
mkdir -p /var/lib/trust-tools && cp $bulwark /var/lib/trust-tools/bulwark
run_as ann /home/ann/plain $bulwark run -- sh -c "cd sub && /var/lib/trust-tools/bulwark trust" >/run/out.txt 2>/run/err.out
check "bulwark trust run by a sandboxed command fails and records nothing" sh -c "test $? -ne 0 && ! test -e $store"

# ---- policy files that are not policies ----
mkdir -p /home/ann/ws1/.git /home/ann/ws1/.bulwark
ln -s /home/ann/.ssh/id_rsa /home/ann/ws1/.bulwark/policy.yaml
chown -hR ann:ann /home/ann/ws1
run_as ann /home/ann/ws1 $bulwark run -- true >/run/out.txt 2>/run/err.out
check "a symlinked policy (-> ~/.ssh/id_rsa) is refused (125)" sh -c "test $? -eq 125 && grep -q 'symbolic link' /run/err.out"
check "  ...without printing a line of the key" no_key /run/out.txt /run/err.out
run_as ann /home/ann/ws1 $bulwark trust >/run/out.txt 2>/run/err.out
check "  ...bulwark trust refuses it too, without the key" sh -c "test $? -eq 1 && grep -q 'symbolic link' /run/err.out && ! grep -q PRIVATE-KEY /run/out.txt /run/err.out"
rm /home/ann/ws1/.bulwark/policy.yaml
mkfifo /home/ann/ws1/.bulwark/policy.yaml
chown ann:ann /home/ann/ws1/.bulwark/policy.yaml
timeout 20 setpriv --reuid=ann --regid=ann --init-groups --reset-env sh -c "cd /home/ann/ws1 && exec $bulwark run -- true" 2>/run/err.out
check "a FIFO policy is refused (125), without hanging" sh -c "test $? -eq 125 && grep -q 'is a FIFO' /run/err.out"
rm /home/ann/ws1/.bulwark/policy.yaml
ln /home/ann/.ssh/id_rsa /home/ann/ws1/.bulwark/policy.yaml
run_as ann /home/ann/ws1 $bulwark run -- true >/run/out.txt 2>/run/err.out
check "a hard link to the key as policy is refused (125), without the key" sh -c "test $? -eq 125 && grep -q 'hard links' /run/err.out && ! grep -q PRIVATE-KEY /run/err.out"
rm /home/ann/ws1/.bulwark/policy.yaml
printf 'bulwark: 1\nfilesystem:\n  writable: ["${workspace}"]\n' >/run/rootpolicy.yaml
cp /run/rootpolicy.yaml /home/ann/ws1/.bulwark/policy.yaml
run_as ann /home/ann/ws1 $bulwark run -- true 2>/run/err.out
check "a policy owned by someone else (root) is refused (125)" sh -c "test $? -eq 125 && grep -q 'not to you' /run/err.out"
rm /home/ann/ws1/.bulwark/policy.yaml
# extends outside .bulwark, and a symlink inside it
cp /home/ann/.ssh/id_rsa /home/ann/.ssh/id.yaml
chown ann:ann /home/ann/.ssh/id.yaml
printf 'bulwark: 1\nextends: [workspace-write, ../../.ssh/id.yaml]\n' >/home/ann/ws1/.bulwark/policy.yaml
chown ann:ann /home/ann/ws1/.bulwark/policy.yaml
run_as ann /home/ann/ws1 $bulwark run -- true >/run/out.txt 2>/run/err.out
check "extends outside .bulwark is refused (125), naming the path" sh -c "test $? -eq 125 && grep -q 'lies outside /home/ann/ws1/.bulwark' /run/err.out"
check "  ...without printing a line of it" no_key /run/out.txt /run/err.out
run_as ann /home/ann/ws1 $bulwark trust >/run/out.txt 2>/run/err.out
check "  ...bulwark trust refuses it too, without the key" sh -c "test $? -eq 1 && ! grep -q PRIVATE-KEY /run/out.txt /run/err.out"
printf 'bulwark: 1\nextends: [workspace-write, base.yaml]\n' >/home/ann/ws1/.bulwark/policy.yaml
ln -s ../../.ssh/id.yaml /home/ann/ws1/.bulwark/base.yaml
chown -h ann:ann /home/ann/ws1/.bulwark/base.yaml
run_as ann /home/ann/ws1 $bulwark trust >/run/out.txt 2>/run/err.out
check "an extended file that is a symlink is refused, without the key" sh -c "test $? -eq 1 && grep -q 'symbolic link' /run/err.out && ! grep -q PRIVATE-KEY /run/out.txt /run/err.out"
rm /home/ann/ws1/.bulwark/base.yaml

# ---- trust, run, edit, re-trust ----
mkdir -p /home/ann/ws2/.git /home/ann/ws2/.bulwark /home/ann/ws2/locked
printf 'bulwark: 1\nextends: [workspace-write, base.yaml]\nfilesystem:\n  read_only: ["${workspace}/locked"]\n' >/home/ann/ws2/.bulwark/policy.yaml
printf 'bulwark: 1\nname: base\n' >/home/ann/ws2/.bulwark/base.yaml
chown -R ann:ann /home/ann/ws2
run_as ann /home/ann/ws2 $bulwark run -- touch free 2>/run/err.out
check "an untrusted policy that grants nothing more is refused too (125)" sh -c "test $? -eq 125 && grep -q 'grants nothing beyond' /run/err.out && ! test -e /home/ann/ws2/free"
run_as ann /home/ann/ws2 $bulwark run --trust-policy -- touch free 2>/run/err.out
check "--trust-policy is an error that explains bulwark trust (125)" sh -c "test $? -eq 125 && grep -q 'trust-policy is gone.*bulwark trust' /run/err.out"
run_as ann /home/ann/ws2 $bulwark trust --show >/run/out.txt 2>&1
check "trust --show lists both files, records nothing" sh -c "grep -q 'policy.yaml .*not trusted yet' /run/out.txt && grep -q 'base.yaml .*not trusted yet' /run/out.txt && ! test -e $store"
run_as ann /home/ann/ws2 $bulwark trust >/run/out.txt 2>&1
check "bulwark trust records the policy" sh -c "test $? -eq 0 && grep -q '^Trusted' /run/out.txt"
check "  ...in a 0600 file, in 0700 directories of the user's" sh -c \
        "test \"\$(stat -c '%U %a' $store $store/..)\" = 'ann 700
ann 700' && test \"\$(stat -c '%U %a' $store/*)\" = 'ann 600'"
run_as ann /home/ann/ws2 $bulwark run -- sh -c 'touch free; touch locked/x' 2>/run/err.out
check "trusted: the run uses it (its carve-out holds)" sh -c 'test -f /home/ann/ws2/free && ! test -e /home/ann/ws2/locked/x'
printf 'bulwark: 1\nname: base\nnetwork: on\n' >/home/ann/ws2/.bulwark/base.yaml
run_as ann /home/ann/ws2 $bulwark run -- touch after-edit 2>/run/err.out
check "an edited extended file: refused (125), the changed file named" sh -c \
        "test $? -eq 125 && grep -q 'base.yaml: changed since you trusted it' /run/err.out && grep -q 'turns the network on' /run/err.out && ! test -e /home/ann/ws2/after-edit"
run_as ann /home/ann/ws2 $bulwark trust >/dev/null 2>&1
run_as ann /home/ann/ws2 $bulwark run -- touch after-retrust 2>/run/err.out
check "  ...runs again once re-trusted" test -f /home/ann/ws2/after-retrust
run_as ann /home/ann/ws2 $bulwark trust --revoke >/dev/null 2>&1
run_as ann /home/ann/ws2 $bulwark run -- true 2>/run/err.out
check "trust --revoke: refused again (125)" test $? -eq 125
# the widening report, every dimension
mkdir -p /home/ann/ws3/.git /home/ann/ws3/.bulwark
printf 'bulwark: 1\nname: wide\nfilesystem:\n  writable: ["${workspace}", "${tmpdir}", "${home}/extra"]\n  unreadable: [~/.gnupg]\nnetwork: on\n' >/home/ann/ws3/.bulwark/policy.yaml
chown -R ann:ann /home/ann/ws3
run_as ann /home/ann/ws3 $bulwark trust --show >/run/out.txt 2>&1
check "the report: writes outside the workspace, with the line" grep -q 'policy.yaml:4: makes /home/ann/extra writable' /run/out.txt
check "the report: unreadable paths left out" grep -q 'leaves out the unreadable /home/ann/.ssh' /run/out.txt
check "the report: network" grep -q 'policy.yaml:6: turns the network on' /run/out.txt
run_as ann /home/ann/ws3 $bulwark trust >/dev/null 2>&1
run_as ann /home/ann/ws3 $bulwark run -- touch /home/ann/extra/x 2>/run/err.out
check "a trusted widening policy runs" test -e /home/ann/extra/x
# the trust store must be the user's and outside the workspace
run_as ann /home/ann/ws3 env XDG_STATE_HOME=/home/ann/ws3/state $bulwark trust >/dev/null 2>/run/err.out
check "a trust store inside the workspace is refused" sh -c "test $? -eq 1 && grep -q 'lies inside the workspace' /run/err.out"
chown root $store && chmod 755 $store # readable, but root's: ann's runs must not trust it
run_as ann /home/ann/ws3 $bulwark run -- true 2>/run/err.out
check "a trust store the user does not own is refused (125)" sh -c "test $? -eq 125 && grep -q 'not yours alone' /run/err.out"
chown ann $store && chmod 700 $store

# ---- a warm session outlives its policy's trust: stop and list need none ----
mkdir -p /home/ann/ws4/.git /home/ann/ws4/.bulwark /run/user/ann-rt
printf 'bulwark: 1\nextends: [workspace-write]\n' >/home/ann/ws4/.bulwark/policy.yaml
chown -R ann:ann /home/ann/ws4 /run/user/ann-rt
chmod 700 /run/user/ann-rt
rt="env XDG_RUNTIME_DIR=/run/user/ann-rt"
run_as ann /home/ann/ws4 $bulwark trust >/dev/null 2>&1
run_as ann /home/ann/ws4 $rt $bulwark session start >/dev/null 2>/run/err.out
check "session start under a trusted policy" test $? -eq 0
printf 'bulwark: 1\nextends: [workspace-write]\nnetwork: on\n' >/home/ann/ws4/.bulwark/policy.yaml
run_as ann /home/ann/ws4 $rt $bulwark run -- true 2>/run/err.out
check "  ...the policy changed: a run is refused (125)" test $? -eq 125
run_as ann /home/ann/ws4 $rt $bulwark session list >/run/out.txt 2>/run/err.out
check "  ...session list still lists it (it needs no trusted policy)" grep -q 'running  /home/ann/ws4' /run/out.txt
run_as ann /home/ann/ws4 $rt $bulwark session stop >/run/out.txt 2>/run/err.out
check "  ...session stop still stops it" sh -c "test $? -eq 0 && grep -q 'session stopped' /run/out.txt"

# ---- elevated: which plan is in force ----
$bulwarkc builtin:workspace-write -o /run/ws.plan 2>/dev/null
mkdir -p /home/ann/erepo/.git /home/ann/erepo/.bulwark
printf 'bulwark: 1\nname: same\nextends: [workspace-write]\n' >/home/ann/erepo/.bulwark/policy.yaml
chown -R ann:ann /home/ann/erepo
if $bulwark apply /run/ws.plan --workspace /home/ann/erepo --user ann >/dev/null 2>/run/err.out; then
        run_as ann /home/ann/erepo $bulwark run -- id -un >/run/out.txt 2>/run/err.out
        check "elevated: a policy equivalent to the installed plan: no note" sh -c "grep -qx bw-off-ann /run/out.txt && ! grep -q note /run/err.out"
        printf 'bulwark: 1\nextends: [workspace-write]\nfilesystem:\n  writable: ["${home}/extra"]\n' >/home/ann/erepo/.bulwark/policy.yaml
        run_as ann /home/ann/erepo $bulwark run -- id -un >/run/out.txt 2>/run/err.out
        check "elevated: an edited policy: one line says the installed plan is in force, and how to install the policy" sh -c \
                "grep -qx bw-off-ann /run/out.txt && test \$(grep -c note /run/err.out) -eq 1 && grep -q 'installed for /home/ann/erepo .* is in force, not /home/ann/erepo/.bulwark/policy.yaml, which makes /home/ann/extra writable.*sudo bulwark apply' /run/err.out"
        $bulwark revert --all >/dev/null 2>&1
else
        bad "apply for the elevated checks"
        sed 's/^/     /' /run/err.out | head -5
fi
finish
