#!/bin/sh
# SPDX-License-Identifier: MIT
# Writable roots inside a shared sticky directory (issue #12): the sticky directory is left alone
# (a default ACL there would override every user's umask), the roots inside it get their entries;
# a root inside ${tmpdir}, which every run replaces with a private one, is bound back into it at its
# own path, so a workspace in /tmp works like any other.
build=$1
. "$(dirname "$0")/lib.sh"

useradd -m -d /home/ann -s /bin/sh ann
useradd -m -d /home/bob -s /bin/sh bob
mkdir -p /tmp/myrepo /home/shared/proj /home/bob/ws
echo code >/tmp/myrepo/main.c
echo code >/home/shared/proj/main.c
chown -R ann:ann /tmp/myrepo /home/shared/proj
chown -R bob:bob /home/bob
chmod 1777 /home/shared
$bulwarkc builtin:workspace-write -o /run/ws.plan 2>/dev/null
printf 'bulwark: 1\nextends: [workspace-write]\nfilesystem:\n  writable: ["/home/shared"]\n' >/run/shared.yaml
$bulwarkc /run/shared.yaml -o /run/shared.plan 2>/dev/null
acls() { getfacl -R -p -n /tmp /home/shared 2>/dev/null; }
acls >/run/acl.before

$bulwark plan /run/ws.plan --workspace /tmp/myrepo --user ann >/run/plan.out 2>&1
check "plan: /tmp itself is left alone, the roots inside get entries" grep -q '^? acl    /tmp .*left alone.*the roots inside it get their entries' /run/plan.out
check "plan: the workspace inside /tmp gets its entries" grep -q '^+ acl    /tmp/myrepo ' /run/plan.out
check_fails "plan: says nothing cannot be served (runs bind it back into their private /tmp)" grep -q 'cannot be served' /run/plan.out
$bulwark apply /run/ws.plan --workspace /tmp/myrepo --user ann >/run/apply.out 2>&1
check "apply succeeds" test $? -eq 0
check "/tmp/myrepo has its write group's entry" sh -c "getfacl -p /tmp/myrepo | grep -q '^group:$(write_group /tmp/myrepo):rwx'"
check "/tmp/myrepo/main.c too" sh -c "getfacl -p /tmp/myrepo/main.c | grep -q '^group:$(write_group /tmp/myrepo):rw-'"
check "/tmp itself carries no ACL" sh -c "! getfacl -p /tmp | grep -Eq '^(default:|group:bw|user:bw)'"
check "ann's sandbox writes /tmp/myrepo at the DAC level" as_sandbox /tmp/myrepo bw-off-ann sh -c 'echo x >>/tmp/myrepo/main.c'
echo secret-of-someone >/tmp/left-by-someone
(cd /tmp/myrepo && as_user ann $bulwark run -- sh -c 'id -un; echo y >>main.c; cat /tmp/left-by-someone' >/run/run.out 2>&1)
check "ann's elevated run in /tmp/myrepo: as bw-off-ann, writes the workspace" sh -c "grep -qx bw-off-ann /run/run.out &&
        test \"\$(tail -n1 /tmp/myrepo/main.c)\" = y"
check "  ...and sees nothing else of the shared /tmp" grep -q 'left-by-someone: No such file' /run/run.out
# (what the run leaves, for the comparison of ACLs at the end: the file, and the .git
# and .bulwark mount points the runner keeps read-only so that nothing can be planted there)
rm -rf /tmp/left-by-someone /tmp/myrepo/.git /tmp/myrepo/.bulwark
check "apply for bob" $bulwark apply /run/ws.plan --workspace /home/bob/ws --user bob
check_fails "bob's sandbox cannot write ann's /tmp/myrepo" as_sandbox /home/bob/ws bw-off-bob sh -c 'echo x >>/tmp/myrepo/main.c'
check "revert ann's and bob's" $bulwark revert --all

$bulwark apply /run/shared.plan --workspace /home/shared/proj --user ann >/run/apply2.out 2>&1
check "a workspace in another shared sticky directory: apply succeeds" test $? -eq 0
check "  ...the sticky directory is left alone" sh -c "! getfacl -p /home/shared | grep -Eq '^(default:|group:bw|user:bw)'"
check "  ...its workspace gets its entries" sh -c "getfacl -p /home/shared/proj | grep -q '^group:$(write_group /home/shared/proj):rwx'"
check_fails "  ...and nothing says it cannot be served" grep -q 'cannot be served' /run/apply2.out
check "  ...status: in force" $bulwark status
check "revert" $bulwark revert --all
acls >/run/acl.after
check "ACLs of /tmp and /home/shared as before" diff /run/acl.before /run/acl.after
finish
