#!/bin/sh
# SPDX-License-Identifier: MIT
# Protection follows the object (issue #10, item 5): an unreadable file, a read-only carve-out
# and a read-only directory renamed by the sandbox keep their entries at every later apply;
# plan and status report them; a rename race (RENAME_EXCHANGE in a loop) during apply cannot
# lift them; a second apply writes nothing; revert removes everything, byte for byte.
build=$1
carry_src=$(dirname "$0")/../escape/lib
. "$(dirname "$0")/lib.sh"
probe=$carry_src/probe.py

useradd -m -d /home/ann -s /bin/sh ann
ws=/home/ann/repo
mkdir -p $ws/certs $ws/deploy $ws/src
echo 'PRIVATE KEY' >$ws/certs/server.pem
chmod 600 $ws/certs/server.pem
echo 'decoy' >$ws/certs/decoy.txt
echo 'TOKEN=1' >$ws/.env
echo 'a' >$ws/deploy/a.sh
echo 'b' >$ws/deploy/b.txt
echo 'int x;' >$ws/src/x.c
chown -R ann:ann /home/ann
cat >/run/policy.yaml <<'EOF'
bulwark: 1
name: moved
extends: [workspace-write]
filesystem:
  read_only:
    - ${workspace}/deploy
    - glob: "**/.env*"
  unreadable:
    - ${workspace}/certs/server.pem
network: off
EOF
$bulwarkc /run/policy.yaml -D workspace=$ws -o /run/p.plan 2>/dev/null
plan() { $bulwark plan /run/p.plan --user ann "$@"; }
apply() { $bulwark apply /run/p.plan --user ann "$@"; }
acl_of() { getfacl -n -p "$1" 2>/dev/null; }
has() { # path entry-regex [path entry-regex...]: every object has its entry
        while [ $# -ge 2 ]; do
                getfacl -p "$1" 2>/dev/null | grep -q "$2" || return 1
                shift 2
        done
}
ctimes() { find /home -printf '%C@ %p\n' | LC_ALL=C sort -k2; } # fsetxattr changes an object's ctime
snapshot() { find /home /tmp | LC_ALL=C sort | xargs -d '\n' getfacl -n -p 2>/dev/null >"$1"; }
snapshot /run/acl-before

check "apply" apply
check "server.pem is unreadable for the sandbox" has $ws/certs/server.pem '^user:bw-off-ann:---'
check ".env is a read-only carve-out" has $ws/.env '^user:bw-off-ann:r--'
check "deploy/b.txt is a read-only carve-out" has $ws/deploy/b.txt '^user:bw-on-ann:r--'
check "a second apply changes nothing and keeps nothing" sh -c "$bulwark apply /run/p.plan --user ann >/run/out && grep -q '^bulwark: 0 to add, 0 to change, 0 to remove' /run/out && ! grep -q '^!' /run/out"

# the sandbox renames them (it may: their directories are writable)
check "the sandbox renames the unreadable file" as_user bw-off-ann mv $ws/certs/server.pem $ws/certs/renamed.txt
check "the sandbox renames the carve-out" as_user bw-off-ann mv $ws/.env $ws/env.txt
check "the sandbox renames the read-only directory" as_user bw-off-ann mv $ws/deploy $ws/deploy2
pem_ino=$(stat -c %i $ws/certs/renamed.txt)

plan >/run/plan.out 2>&1
check "plan names the moved unreadable file" grep -q "^! acl    $ws/certs/renamed.txt .*keeps its unreadable entries: the name no longer matches (moved?).*revert lifts them" /run/plan.out
check "plan names the moved carve-out" grep -q "^! acl    $ws/env.txt .*keeps its read-only carve-out: the name no longer matches (moved?).*revert lifts it" /run/plan.out
check "plan names the moved directory, with what is below it" grep -q "^! acl    $ws/deploy2 .*read-only carve-out.*\[+2 below\]" /run/plan.out
plan --json >/run/plan.json 2>&1
check "plan --json: the moved objects are op keep" /usr/bin/python3 -c "
import json
lines = [json.loads(l) for l in open('/run/plan.json')]
kept = {l['path']: l for l in lines if l['op'] == 'keep'}
assert set(kept) == {'$ws/certs/renamed.txt', '$ws/env.txt', '$ws/deploy2'}, kept
assert kept['$ws/deploy2']['below'] == 2 and kept['$ws/env.txt']['kind'] == 'acl'"

check "apply after the renames" apply
check "the renamed unreadable file keeps its deny entries" has $ws/certs/renamed.txt '^user:bw-off-ann:---' $ws/certs/renamed.txt '^user:bw-on-ann:---'
check "the renamed carve-out keeps its entries" has $ws/env.txt '^user:bw-off-ann:r--' $ws/env.txt '^user:bw-on-ann:r--'
check "the renamed directory and what is below keep theirs" has $ws/deploy2 '^user:bw-off-ann:r-x' $ws/deploy2 '^default:user:bw-off-ann:r-x' $ws/deploy2/b.txt '^user:bw-off-ann:r--'
check_fails "the sandbox still cannot read the renamed secret" as_user bw-off-ann cat $ws/certs/renamed.txt
check_fails "the sandbox still cannot write the renamed carve-out" as_user bw-on-ann sh -c "echo evil >>$ws/env.txt"
check_fails "the sandbox still cannot write in the renamed directory" as_user bw-off-ann sh -c "echo evil >$ws/deploy2/new"
snapshot /run/acl-mid1
ctimes >/run/ctimes1
sleep 0.05
check "the same plan again: nothing to change, the moved objects reported" sh -c "$bulwark apply /run/p.plan --user ann >/run/out && grep -q '^bulwark: 0 to add, 0 to change, 0 to remove' /run/out && grep -q '^! acl    $ws/env.txt' /run/out"
apply >/dev/null 2>&1
snapshot /run/acl-mid2
ctimes >/run/ctimes2
check "and twice more: the ACLs are the same (getfacl -R)" diff /run/acl-mid1 /run/acl-mid2
check "and nothing was written (no object's ctime moved)" diff /run/ctimes1 /run/ctimes2
plan >/run/plan2.out 2>&1
check "plan after it: no difference (exit 0), the moved objects still reported" sh -c "test $? -eq 0 && grep -q '^! acl    $ws/certs/renamed.txt' /run/plan2.out"
$bulwark status >/run/status.out 2>&1
check "status: in force (exit 0)" test $? -eq 0
check "status reports the moved objects" sh -c "grep -q 'moved protected objects keep their protection' /run/status.out && grep -q '^! acl    $ws/certs/renamed.txt .*unreadable' /run/status.out && grep -q '^! acl    $ws/env.txt' /run/status.out"
$bulwark status --json >/run/status.json 2>&1
check "status --json: compliant, the moved objects under kept" /usr/bin/python3 -c "
import json
d = json.load(open('/run/status.json'))
i = d['installations'][0]
assert d['compliant'] and i['effective'] and not [c for c in i['drifted'] if c['op'] != 'unknown'], i
assert i['kept_entries'] == 3 and {k['path'] for k in i['kept']} == {'$ws/certs/renamed.txt', '$ws/env.txt', '$ws/deploy2'}, i
assert all(k['op'] == 'keep' for k in i['kept'])"

# a new file under the old name is protected by its name, as before
echo 'NEW=1' >$ws/.env
chown ann:ann $ws/.env
check "apply protects a new object under the old name" sh -c "$bulwark apply /run/p.plan --user ann >/dev/null && getfacl -p $ws/.env | grep -q '^user:bw-off-ann:r--'"

# the race: the sandbox exchanges the protected file's name with a decoy's, over and over, while
# apply runs again and again; protection stays on the protected inode throughout
# Does the inode (found under one of the names, checked through its fd) carry user:UID:---?
cat >/run/inode-denies.py <<'PY'
import os, struct, sys
ino, uid, names = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
for _ in range(1000):
    for n in names:
        try:
            fd = os.open(n, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            if os.fstat(fd).st_ino != ino:
                continue
            acl = os.getxattr(fd, "system.posix_acl_access")
            entries = [struct.unpack_from("<HHI", acl, 4 + 8 * i) for i in range((len(acl) - 4) // 8)]
            sys.exit(0 if (2, 0, uid) in entries else 1)
        finally:
            os.close(fd)
sys.exit(2)
PY
rm -f /run/stop
as_user bw-off-ann /usr/bin/python3 $probe exchange-loop $ws/certs/renamed.txt $ws/certs/decoy.txt /run/stop >/run/race.out 2>&1 &
racer=$!
as_user bw-off-ann /usr/bin/python3 $probe exchange-loop $ws/env.txt $ws/src/x.c /run/stop >/run/race2.out 2>&1 &
racer2=$!
sleep 0.1
end=$(($(date +%s) + 2))
runs=0
lifted=0
while [ "$(date +%s)" -lt $end ]; do
        apply --threads 2 >/dev/null 2>&1 || lifted=$((lifted + 1000))
        runs=$((runs + 1))
        /usr/bin/python3 /run/inode-denies.py "$pem_ino" "$(id -u bw-off-ann)" $ws/certs/renamed.txt $ws/certs/decoy.txt ||
                lifted=$((lifted + 1))
done
touch /run/stop
wait $racer $racer2
check "the exchange loops ran ($(cat /run/race.out); $(cat /run/race2.out))" grep -q '^ok: [0-9]* exchanges' /run/race.out
check "$runs applies during the race all succeeded, and none lifted the protection" test "$lifted" -eq 0
p=$(find $ws/certs -inum "$pem_ino")
check "afterwards the protected inode ($p) carries its entries" has "$p" '^user:bw-off-ann:---' "$p" '^user:bw-on-ann:---'
check "and the carve-out's inode carries its entries" has $ws/env.txt '^user:bw-off-ann:r--'
check_fails "the sandbox cannot read the protected inode" as_user bw-off-ann cat "$p"
check "status after the race: in force" $bulwark status

# revert lifts everything, byte for byte (the moved names put back for the comparison)
check "revert --all" $bulwark revert --all
check "no entry of bulwark's accounts is left anywhere (getfacl -R)" sh -c '! getfacl -R -n -p /home /tmp 2>/dev/null | grep -E "^(default:)?(user|group):9[0-9][0-9]:"'
rm -f $ws/.env
mv $ws/certs/renamed.txt $ws/certs/server.pem
mv $ws/env.txt $ws/.env
mv $ws/deploy2 $ws/deploy
snapshot /run/acl-after
check "ACLs identical to before apply (getfacl -R)" diff /run/acl-before /run/acl-after
check "the secret's inode is back under its name, with its mode" test "$(stat -c %i:%a $ws/certs/server.pem)" = "$pem_ino:600"
finish
