#!/bin/sh
# SPDX-License-Identifier: MIT
# The audit trail: one JSON line in /var/log/bulwark/audit.jsonl for every apply and revert that
# changed (or tried to change) something, with the plan, the users, the workspace and each change
# with its source line; none for a refused command.
build=$1
. "$(dirname "$0")/lib.sh"

log=/var/log/bulwark/audit.jsonl
useradd -m -d /home/ann -s /bin/sh ann
mkdir -p /home/ann/repo/.git
chown -R ann:ann /home/ann
mkdir -p /run/pol
printf 'bulwark: 1\nfilesystem:\n  writable: ["${workspace}"]\n  read_only: ["${workspace}/docs"]\n' >/run/pol/policy.yaml
$bulwarkc /run/pol/policy.yaml -o /run/ws.plan 2>/dev/null

lines() { if [ -f $log ]; then wc -l <$log; else echo 0; fi; }
jq_py() { # python expression over the last record, as r
        /usr/bin/python3 -c "import json,sys; r=json.loads(open('$log').read().splitlines()[-1]); sys.exit(0 if ($1) else 1)"
}

# refused: not a plan, a plan that fails validation
printf 'not a plan' >/run/bad.plan
$bulwark apply /run/bad.plan --workspace /home/ann/repo --user ann 2>/dev/null
check "a refused apply (invalid plan) fails" test $? -ne 0
check "  ...and leaves no audit record" test "$(lines)" -eq 0

check "apply succeeds" $bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann
check "apply appended exactly one record" test "$(lines)" -eq 1
check "the record is an apply, ok, with plan, users, workspace" jq_py "r['action'] == 'apply' and r['result'] == 'ok' and len(r['plan']) == 12 and r['real_user'] == 'ann' and r['workspace'] == '/home/ann/repo' and r['invoked_by']['uid'] == 0 and r['signer'] is None"
check "it carries each change with its source line" jq_py "any(c['kind'] == 'acl' and c['path'] == '/home/ann/repo' and c['source'] == '/run/pol/policy.yaml:3:14' for c in r['changes'])"
check "the accounts and the runner are among the changes" jq_py "any(c['kind'] == 'user' for c in r['changes']) and any(c['kind'] == 'runner' for c in r['changes'])"
check "it has a time stamp in UTC" jq_py "r['time'].endswith('Z') and r['time'][:2] == '20'"
check "the log is root's and not world-readable" test "$(stat -c '%U %a' $log)" = "root 640"

check "a second apply succeeds" $bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann
check "  ...and is recorded too, with no changes" sh -c "test $(lines) -eq 2 && /usr/bin/python3 -c \"import json; r=json.loads(open('$log').read().splitlines()[-1]); assert r['changes'] == [] and r['summary'] == {'add': 0, 'change': 0, 'remove': 0}\""

$bulwark revert no-such-plan 2>/dev/null
check "a revert that matches nothing fails" test $? -ne 0
check "  ...and leaves no record" test "$(lines)" -eq 2
check "revert --all succeeds" $bulwark revert --all
check "revert appended a record" test "$(lines)" -eq 3
check "the record is a revert, ok, listing what it put back" jq_py "r['action'] == 'revert' and r['result'] == 'ok' and r['which'] == '--all' and any('bw-off-ann' in c for c in r['changes'])"
check "every line of the log is JSON" /usr/bin/python3 -c "import json; [json.loads(l) for l in open('$log')]"
finish
