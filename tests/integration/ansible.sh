#!/bin/sh
# SPDX-License-Identifier: MIT
# The Ansible role (contrib/ansible/roles/bulwark) against this host (-c local, inventory
# localhost,) inside the throwaway namespaces: a plan signed with bulwarkc --sign and its key
# pushed; check mode reports the change and changes nothing (accounts, ACLs, state, firewall,
# /etc/bulwark compared before and after); apply mode applies the reviewed change set (status in
# force, signer recorded, report fetched to the controller); a second run changes nothing; then
# bulwark_state=absent reverts it byte for byte.
build=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
for tool in ansible-playbook minisign; do
        if ! command -v $tool >/dev/null 2>&1; then
                echo "SKIP ansible: $tool is not installed (scripts/install-deps.sh installs it)"
                exit 77
        fi
done
carry_src=$src/contrib/ansible # lib.sh copies it to /run/src: the sources may be under /home
. "$(dirname "$0")/lib.sh"

useradd -m -d /home/ann -s /bin/sh ann
mkdir -p /home/ann/repo/src /home/ann/repo/.git /home/ann/repo/.bulwark
echo x >/home/ann/repo/src/f
chown -R ann:ann /home/ann

# the controller's side: a key pair, a signed plan, a playbook; ansible's own files stay in /run
c=/run/ctl
mkdir -p $c/home
export HOME=$c/home ANSIBLE_LOCAL_TEMP=$c/tmp-local ANSIBLE_REMOTE_TEMP=$c/tmp-remote
export ANSIBLE_ROLES_PATH=$carry_src/roles ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0
export ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 ANSIBLE_RETRY_FILES_ENABLED=0
minisign -G -W -p $c/admin.pub -s $c/admin.key >/dev/null
$bulwarkc builtin:workspace-write -o $c/fleet.plan --sign $c/admin.key 2>/dev/null
cat >$c/site.yml <<YML
- hosts: all
  gather_facts: false
  roles:
    - role: bulwark
      vars:
        bulwark_plan_src: $c/fleet.plan
        bulwark_trusted_keys: [$c/admin.pub]
        bulwark_workspace: /home/ann/repo
        bulwark_user: ann
        bulwark_binary: $bulwark
        bulwark_status_fetch_dir: $c/status
YML
play() { # ansible-playbook options...: output in /run/play.out, the recap's changed= in $changed
        ansible-playbook -c local -i localhost, "$@" $c/site.yml >/run/play.out 2>&1
        rc=$?
        changed=$(sed -n 's/.*localhost *: .*changed=\([0-9]*\).*/\1/p' /run/play.out)
        return $rc
}
snapshot() { # what the host looks like: accounts, ACLs, bulwark's files, the firewall
        cat /etc/passwd /etc/group
        getfacl -R -p /home /tmp 2>/dev/null
        find /etc/bulwark /var/lib/bulwark /var/log/bulwark 2>/dev/null | sort
        nft list ruleset 2>/dev/null
}
snapshot >/run/before.txt

# check mode (with diff): reports what would change, changes nothing
play --check --diff
check "check mode runs (exit 0)" test $rc -eq 0
[ $rc -eq 0 ] || sed 's/^/     /' /run/play.out | tail -30
check "  ...and reports changes" test "${changed:-0}" -gt 0
check "  ...bulwark plan is changed (exit 2)" sh -c "grep -A1 'TASK \\[bulwark : bulwark plan' /run/play.out | grep -q '^changed'"
check "  ...and its lines are shown" grep -q 'to add' /run/play.out
snapshot >/run/after.txt
check "  ...and changed nothing (accounts, ACLs, /etc/bulwark, state, firewall)" diff /run/before.txt /run/after.txt
check "  ...left no temporary directory" sh -c '! ls -d /tmp/bulwark-ansible.* 2>/dev/null'
check "  ...the status report was fetched (nothing installed)" /usr/bin/python3 -c "
import json; d = json.load(open('$c/status/localhost.json')); assert d['installed'] == 0, d"

# apply
rm -rf $c/status
play
check "apply mode runs (exit 0)" test $rc -eq 0
[ $rc -eq 0 ] || sed 's/^/     /' /run/play.out | tail -30
check "  ...and reports changes" test "${changed:-0}" -gt 0
check "  ...applied the reviewed change set" sh -c "grep -A1 'TASK \\[bulwark : bulwark apply --reviewed' /run/play.out | grep -q '^changed'"
check "  ...the plan is in force (bulwark status exit 0)" $bulwark status
check "  ...the sandbox accounts exist" getent passwd bw-off-ann
check "  ...the key and the plan were pushed, root's" sh -c "test \"\$(stat -c '%U %a' /etc/bulwark/trusted-keys.d/admin.pub /etc/bulwark/plans/fleet.plan /etc/bulwark/plans/fleet.plan.minisig | sort -u)\" = 'root 644'"
check "  ...the fetched report: one installation, in force, signed with the pushed key" /usr/bin/python3 -c "
import json; d = json.load(open('$c/status/localhost.json'))
assert d['compliant'] and d['installed'] == 1, d
i = d['installations'][0]; assert i['workspace'] == '/home/ann/repo' and 'admin.pub' in i['signer'], i"
check "  ...the audit trail has the apply" grep -q '"reviewed"\|apply' /var/log/bulwark/audit.jsonl

play
check "a second run changes nothing" sh -c "test $rc -eq 0 && test '$changed' = 0"
[ "$changed" = 0 ] || grep -B2 -A12 '^changed' /run/play.out | sed 's/^/     /' | head -60
play --check --diff
check "check mode on an applied host: nothing to change" sh -c "test $rc -eq 0 && test '$changed' = 0"

# drift is reported by check mode as a change, and not repaired by it
setfacl -m u:bw-off-ann:rwx /home/ann/repo/.git
getfacl -p /home/ann/repo/.git >/run/drift.before
play --check
check "check mode reports drift as a change" sh -c "test $rc -eq 0 && test '${changed:-0}' -gt 0"
check "  ...and leaves it" sh -c 'getfacl -p /home/ann/repo/.git | cmp -s - /run/drift.before'
play
check "apply mode repairs it" $bulwark status

# revert
play -e bulwark_state=absent
check "bulwark_state=absent reverts (exit 0, changed)" sh -c "test $rc -eq 0 && test '${changed:-0}' -gt 0"
check "  ...no sandbox accounts left" sh -c '! grep -q "^bulwark-" /etc/passwd /etc/group'
check "  ...the report says nothing is installed" /usr/bin/python3 -c "
import json; d = json.load(open('$c/status/localhost.json')); assert d['installed'] == 0, d"
snapshot | grep -v '^/etc/bulwark\|^/var/lib/bulwark\|^/var/log/bulwark' >/run/after.txt
check "  ...accounts, ACLs and the firewall as before" diff /run/before.txt /run/after.txt
finish
