#!/bin/sh
# SPDX-License-Identifier: MIT
# Issue #12 at the DAC level, the runner's mounts out of the way: each user's sandbox runs as
# that user's own sandbox user with exactly its installation's groups (as_sandbox: what
# bulwark-runner sets), so one user's grants reach no other user's sandbox: bob's `readable: [~]`
# does not let ann's sandbox read his 0600 notes, carol's private ${tmpdir} is carol's, nobody
# writes another user's workspace, files are owned by their own user's sandbox user, and a stale
# grant left by an older plan gives nothing.
build=$1
. "$(dirname "$0")/lib.sh"

for u in ann bob carol; do
        useradd -m -d /home/$u -s /bin/sh $u
        mkdir -p /home/$u/ws
        echo "$u's code" >/home/$u/ws/main.c
        echo "$u's private notes" >/home/$u/notes.txt
        chmod 600 /home/$u/notes.txt
        chown -R $u:$u /home/$u
        chmod 755 /home/$u # DAC alone keeps notes.txt (0600) private
done
mkdir -p /home/carol/tmp /home/ann/extra
echo "carol's temp secret" >/home/carol/tmp/scratch
chown -R carol:carol /home/carol/tmp
chown ann:ann /home/ann/extra
chmod 700 /home/carol/tmp

$bulwarkc builtin:workspace-write -o /run/ws.plan 2>/dev/null
printf 'bulwark: 1\nextends: [workspace-write]\nfilesystem:\n  readable: ["${home}"]\n' >/run/bob.yaml
$bulwarkc /run/bob.yaml -o /run/bob.plan 2>/dev/null
$bulwarkc builtin:workspace-write -D tmpdir=/home/carol/tmp -o /run/carol.plan 2>/dev/null
printf 'bulwark: 1\nextends: [workspace-write]\nfilesystem:\n  writable: ["${home}/extra"]\n' >/run/ann-old.yaml
$bulwarkc /run/ann-old.yaml -o /run/ann-old.plan 2>/dev/null
cp /etc/passwd /run/passwd.before
cp /etc/group /run/group.before
nft list ruleset >/run/nft.before

check "apply for ann (an older plan with ~/extra writable)" $bulwark apply /run/ann-old.plan --workspace /home/ann/ws --user ann
check "  ...ann's sandbox writes ~/extra under that plan" as_sandbox /home/ann/ws bw-off-ann sh -c 'echo x >/home/ann/extra/old'
check "apply ann's current plan (no ~/extra)" $bulwark apply /run/ws.plan --workspace /home/ann/ws --user ann
check "  ...~/extra still carries the old plan's grant" sh -c "getfacl -p /home/ann/extra | grep -q '^group:$(write_group /home/ann/extra):rwx'"
check_fails "  ...which gives ann's sandbox nothing now" as_sandbox /home/ann/ws bw-off-ann sh -c 'echo x >/home/ann/extra/new'
check "apply for bob (readable: [~])" $bulwark apply /run/bob.plan --workspace /home/bob/ws --user bob
check "apply for carol (a private \${tmpdir})" $bulwark apply /run/carol.plan --workspace /home/carol/ws --user carol
check "bob's home carries his installation's read group, not a shared one" sh -c "getfacl -p /home/bob | grep -q '^group:bw-r-'"

check "bob's sandbox reads his notes (his read grant)" as_sandbox /home/bob/ws bw-off-bob cat /home/bob/notes.txt
check_fails "ann's sandbox cannot read bob's 0600 notes" as_sandbox /home/ann/ws bw-off-ann cat /home/bob/notes.txt
check_fails "ann's online sandbox cannot either" as_sandbox /home/ann/ws bw-on-ann cat /home/bob/notes.txt
check_fails "carol's sandbox cannot read bob's notes" as_sandbox /home/carol/ws bw-off-carol cat /home/bob/notes.txt
check "carol's sandbox uses her \${tmpdir}" as_sandbox /home/carol/ws bw-off-carol cat /home/carol/tmp/scratch
check_fails "ann's sandbox cannot read carol's \${tmpdir}" as_sandbox /home/ann/ws bw-off-ann cat /home/carol/tmp/scratch
check_fails "  ...nor write there" as_sandbox /home/ann/ws bw-off-ann sh -c 'echo x >/home/carol/tmp/evil'
for u in ann bob carol; do
        check "  $u's sandbox writes /home/$u/ws" as_sandbox /home/$u/ws bw-off-$u sh -c "echo made >/home/$u/ws/by-sandbox"
done
check_fails "ann's sandbox cannot write bob's workspace" as_sandbox /home/ann/ws bw-off-ann sh -c 'echo x >/home/bob/ws/evil'
check_fails "bob's sandbox cannot write ann's workspace" as_sandbox /home/bob/ws bw-off-bob sh -c 'echo x >>/home/ann/ws/main.c'
check_fails "carol's sandbox cannot write bob's workspace" as_sandbox /home/carol/ws bw-on-carol sh -c 'echo x >/home/bob/ws/evil'
check "files ann's sandbox made belong to ann's own sandbox user" sh -c "test \$(stat -c %U /home/ann/ws/by-sandbox) = bw-off-ann"
check_fails "bob's sandbox cannot change them" as_sandbox /home/bob/ws bw-off-bob sh -c 'echo x >>/home/ann/ws/by-sandbox'
check "ann keeps full control of them" sh -c "getfacl -p /home/ann/ws/by-sandbox | grep -q '^user:ann:rwx'"
check "the runs' groups are exactly their plans' (ann: a read group and her roots' groups)" sh -c "grep -h '^groups=' /var/lib/bulwark/installs/*/bindings | grep -q \"\$(write_group /home/ann/ws)\" && ! grep -h '^groups=' /var/lib/bulwark/installs/*/bindings | grep -q bulwark-"
check "status: all in force (the files the sandboxes made are not drift)" $bulwark status
check "revert everything" $bulwark revert --all
check "/etc/passwd is as before" cmp /run/passwd.before /etc/passwd
check "/etc/group is as before" cmp /run/group.before /etc/group
nft list ruleset >/run/nft.after
check "the ruleset is as before" cmp /run/nft.before /run/nft.after
check "no bulwark entry is left in the homes" sh -c "! getfacl -R -p /home 2>/dev/null | grep -q 'bw-'"
finish
