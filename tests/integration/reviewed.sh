#!/bin/sh
# SPDX-License-Identifier: MIT
# Review, then apply exactly what was reviewed: bulwark plan -o CHANGES saves the change set bound
# to the plan and to a digest of the state; bulwark apply --reviewed CHANGES applies it only if the
# state still has that digest, and otherwise refuses, changes nothing, and shows what moved.
build=$1
. "$(dirname "$0")/lib.sh"

log=/var/log/bulwark/audit.jsonl
useradd -m -d /home/ann -s /bin/sh ann
mkdir -p /home/ann/repo/src /home/ann/repo/.git
for i in 1 2 3; do echo x >/home/ann/repo/src/f$i; done
chown -R ann:ann /home/ann
$bulwarkc builtin:workspace-write -o /run/ws.plan 2>/dev/null
W="--workspace /home/ann/repo --user ann"

$bulwark plan /run/ws.plan $W -o /run/changes.json >/run/plan.out 2>/run/err.txt
check "plan -o saves the change set (exit 2: there are changes)" sh -c "test $? -eq 2 && test -s /run/changes.json"
check "the change set names the plan, the state digest, and carries the plan" /usr/bin/python3 -c "
import json; d = json.load(open('/run/changes.json'))
assert d['bulwark_changes'] == 1 and len(d['state_digest']) == 64 and d['workspace'] == '/home/ann/repo' and d['plan_bytes']
assert any(c['kind'] == 'acl' for c in d['changes'])"
check_fails "plan -o changed nothing" getent passwd bw-off-ann

# the state moves after the review: a file appears in the workspace
cp /run/changes.json /run/stale.json
echo y >/home/ann/repo/src/new-file
chown ann:ann /home/ann/repo/src/new-file
$bulwark apply --reviewed /run/stale.json >/run/out.txt 2>/run/err.txt
check "apply --reviewed refuses when the state moved" sh -c "test $? -eq 1 && grep -q 'changed since /run/stale.json was reviewed' /run/err.txt"
check "  ...says what moved: the new file, below the workspace" grep -q "what moved" /run/err.txt
check_fails "  ...and applied nothing" getent passwd bw-off-ann
check "  ...and left no audit record" test ! -e $log

# reviewed again against the current state: accepted
$bulwark plan /run/ws.plan $W -o /run/changes.json >/dev/null 2>&1
check "apply --reviewed applies a change set whose state is unchanged" $bulwark apply --reviewed /run/changes.json
check "  ...the plan is in force" $bulwark status
check "  ...recorded once in the audit trail" test "$(wc -l <$log)" -eq 1
check "  ...and the reviewed plan copy was cleaned up" test ! -e /var/lib/bulwark/reviewed.plan

# a change set whose embedded plan was edited is refused
/usr/bin/python3 - <<'PY'
import json, base64
d = json.load(open('/run/changes.json'))
b = bytearray(base64.b64decode(d['plan_bytes'])); b[200] ^= 1
d['plan_bytes'] = base64.b64encode(bytes(b)).decode()
json.dump(d, open('/run/edited.json', 'w'))
PY
$bulwark apply --reviewed /run/edited.json 2>/run/err.txt
check "a change set with an edited plan is refused" test $? -eq 1
printf '{"bulwark_changes": 1}' >/run/junk.json
$bulwark apply --reviewed /run/junk.json 2>/run/err.txt
check "a file that is not a change set is refused with its line and column" sh -c "test $? -eq 1 && grep -q 'junk.json:1:' /run/err.txt"
check "revert" $bulwark revert --all
finish
