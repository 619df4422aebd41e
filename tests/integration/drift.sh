#!/bin/sh
# SPDX-License-Identifier: MIT
# Drift means drift (issue #12): files and directories created after apply (by the user, with any
# umask, or by the sandbox) carry the entries the plan implies as inheritance gives them: status
# says in force and apply changes nothing. A removed or added entry, a protected name created
# where it inherited writable entries, a directory whose default ACL was dropped: drift. Without
# root, status says what it could not read (exit 1), never drift.
build=$1
. "$(dirname "$0")/lib.sh"

useradd -m -d /home/ann -s /bin/sh ann
useradd -m -d /home/bob -s /bin/sh bob
mkdir -p /home/ann/repo/src /home/ann/repo/.git
echo code >/home/ann/repo/src/main.c
chown -R ann:ann /home/ann
$bulwarkc builtin:workspace-write -o /run/ws.plan 2>/dev/null
check "apply" $bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann
check "status: in force" $bulwark status

as_user ann sh -c 'echo new >/home/ann/repo/src/new.c; mkdir -p /home/ann/repo/lib/deep; echo y >/home/ann/repo/lib/deep/f.c; umask 077; echo key >/home/ann/repo/src/private.txt; mkdir /home/ann/repo/own'
as_user ann sh -c 'printf "#!/bin/sh\n" >/home/ann/repo/run.sh; chmod +x /home/ann/repo/run.sh'
as_sandbox /home/ann/repo bw-off-ann sh -c 'echo s >/home/ann/repo/src/by-sandbox.c; mkdir /home/ann/repo/out; echo o >/home/ann/repo/out/o.txt'
stat -c '%n %Z' $(find /home/ann/repo) >/run/ctimes.before
$bulwark status >/run/status.out 2>&1
check "files and directories made since apply (ann's with any umask, the sandbox's) are not drift" sh -c "test $? -eq 0 && grep -q ': in force$' /run/status.out"
$bulwark plan /run/ws.plan --workspace /home/ann/repo --user ann >/run/plan.out 2>&1
check "plan: nothing to change (exit 0)" test $? -eq 0
check "apply: 0 to change" sh -c "$bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann | grep -q '^bulwark: 0 to add, 0 to change, 0 to remove'"
stat -c '%n %Z' $(find /home/ann/repo) >/run/ctimes.after
check "  ...and it wrote nothing (no ctime moved)" cmp /run/ctimes.before /run/ctimes.after
check "ann can still read the sandbox's file" as_user ann cat /home/ann/repo/out/o.txt

# the not-root view: unknown, not drift
as_user ann $bulwark status >/run/user.out 2>/run/user.err
rc=$?
check "status without root: exit 1, not 2" test $rc -eq 1
check "  ...it says what it could not read" sh -c "grep -q 'NOT VERIFIED' /run/user.out && grep -q 'nftables ruleset cannot be read without root' /run/user.out"
check_fails "  ...and reports no drift" grep -q DRIFTED /run/user.out
as_user ann $bulwark status --json >/run/user.json 2>/dev/null
check "  ...--json: not compliant, entries unreadable, none drifted" /usr/bin/python3 -c 'import json; d = json.load(open("/run/user.json")); i = d["installations"][0]; assert not d["compliant"] and i["unreadable_entries"] >= 1 and i["drifted_entries"] == 0'

# real drift
wg=$(write_group /home/ann/repo)
setfacl -x "g:$wg" /home/ann/repo/src/new.c
$bulwark status >/dev/null 2>&1
check "an entry removed from a new file is drift (exit 2)" test $? -eq 2
check "apply heals it" $bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann
setfacl -m u:bob:rwx /home/ann/repo/src/by-sandbox.c
$bulwark status >/dev/null 2>&1
check "an entry added to a file is drift (exit 2)" test $? -eq 2
setfacl -x u:bob /home/ann/repo/src/by-sandbox.c
check "status after taking it out: in force" $bulwark status
as_user ann mkdir /home/ann/repo/.vscode
$bulwark status >/run/status.out 2>&1
check "a protected name made where it inherited writable entries is drift (exit 2)" sh -c "test $? -eq 2 && grep -q '/home/ann/repo/.vscode' /run/status.out"
check "apply heals it" $bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann
as_user ann chmod 700 /home/ann/repo/own
$bulwark status >/run/status.out 2>&1
check "a mask a chmod narrowed below what the plan grants there is drift (exit 2)" sh -c "test $? -eq 2 && grep -q '/home/ann/repo/own ' /run/status.out"
check "apply heals it" $bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann
check "  ...the sandbox can use it again" as_sandbox /home/ann/repo bw-off-ann sh -c 'echo x >/home/ann/repo/own/x'
setfacl -k /home/ann/repo/lib
$bulwark status >/run/status.out 2>&1
check "a directory whose default ACL was dropped is drift (exit 2)" sh -c "test $? -eq 2 && grep -q '/home/ann/repo/lib ' /run/status.out"
check "apply heals it" $bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann
check "status: in force" $bulwark status
# drift object by object (every other file of 30 directories): one line per object, summarised
i=0
while [ $i -lt 30 ]; do
        mkdir -p /home/ann/repo/many/d$i
        for f in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19; do touch /home/ann/repo/many/d$i/f$f; done
        i=$((i + 1))
done
chown -R ann:ann /home/ann/repo/many
check "apply the new tree" $bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann
for f in /home/ann/repo/many/d*/f*[02468]; do setfacl -b "$f"; done
$bulwark plan /run/ws.plan --workspace /home/ann/repo --user ann >/run/many.out 2>&1
check "300 objects drifted one by one: the plan lists 50 and summarises the rest" sh -c "test \$(grep -c '^+ acl' /run/many.out) -eq 50 && grep -q '^  ... and 250 more changes under /home/ann/repo (use --json or --verbose for all)' /run/many.out"
check "  ...--json lists all 300" sh -c "test \$($bulwark plan /run/ws.plan --workspace /home/ann/repo --user ann --json | grep -c '\"op\":\"add\",\"kind\":\"acl\"') -eq 300"
check "  ...apply heals them, summarised the same way" sh -c "$bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann | grep -q '^  ... and 250 more changes under /home/ann/repo'"
check "  ...then nothing is left to change" $bulwark plan /run/ws.plan --workspace /home/ann/repo --user ann
check "revert" $bulwark revert --all
check "no entry of bulwark's is left" sh -c "! getfacl -R -p /home/ann 2>/dev/null | grep -q 'bw-'"
finish
