#!/bin/sh
# SPDX-License-Identifier: MIT
# Firewall drift is judged by the rules' structure (issue #9): a rule switched to accept with its
# comment kept is drift; a rule with its comment changed but doing the same is not.
build=$1
. "$(dirname "$0")/lib.sh"

useradd -m -d /home/ann -s /bin/sh ann
mkdir -p /home/ann/repo
chown -R ann:ann /home/ann
$bulwarkc builtin:workspace-write -o /run/ws.plan 2>/dev/null
nft list ruleset >/run/nft-before
check "apply" $bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann
check "status: in force" $bulwark status
uid=$(id -u bw-off-ann)
handle() { nft -a list chain inet bulwark output | grep "bulwark-offline-$1-" | sed 's/.*# handle //'; }

# the IPv4 rule now accepts; its comment is the same
nft replace rule inet bulwark output handle "$(handle v4)" meta skuid "$uid" ip daddr != 127.0.0.0/8 counter \
        accept comment "\"bulwark-offline-v4-$uid\""
check "the rule really accepts now, comment kept" sh -c "nft list chain inet bulwark output | grep -q 'accept comment \"bulwark-offline-v4-$uid\"'"
$bulwark status >/run/status.out 2>&1
check "status reports the accept rule as drift (exit 2)" test $? -eq 2
check "status names the firewall table" grep -q '^~ nft    inet bulwark output' /run/status.out
$bulwark status --json >/run/status.json 2>&1
check "status --json: not compliant" /usr/bin/python3 -c 'import json; d = json.load(open("/run/status.json")); assert not d["compliant"]; assert any(c["kind"] == "nft" for c in d["installations"][0]["drifted"])'
$bulwark plan /run/ws.plan --workspace /home/ann/repo --user ann >/run/plan.out 2>&1
check "plan shows the table to change (exit 2)" sh -c "test $? -eq 2 && grep -q '^~ nft' /run/plan.out"
check "apply heals it" $bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann
check "status: in force again" $bulwark status
check "the rule rejects again" sh -c "nft list chain inet bulwark output | grep -q 'skuid $uid ip daddr != 127.0.0.0/8 .*reject'"

# the IPv6 rule matching another user, comment kept
nft replace rule inet bulwark output handle "$(handle v6)" meta skuid 0 ip6 daddr != ::1 counter \
        reject with icmpx type admin-prohibited comment "\"bulwark-offline-v6-$uid\""
$bulwark status >/dev/null 2>&1
check "a rule matching another skuid is drift (exit 2)" test $? -eq 2
check "apply heals it" $bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann

# a wider exempt destination (127.0.0.0/7 lets 126/8 through), comment kept
nft replace rule inet bulwark output handle "$(handle v4)" meta skuid "$uid" ip daddr != 127.0.0.0/7 \
        counter reject with icmpx type admin-prohibited comment "\"bulwark-offline-v4-$uid\""
$bulwark status >/dev/null 2>&1
check "a wider exempt destination is drift (exit 2)" test $? -eq 2
check "apply heals it" $bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann

# the table made dormant (it then filters nothing)
nft add table inet bulwark '{ flags dormant; }'
$bulwark status >/dev/null 2>&1
check "a dormant table is drift (exit 2)" test $? -eq 2
check "apply heals it" $bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann
check "status: in force" $bulwark status

# the same rule under another comment: not drift (comments are not compared)
nft replace rule inet bulwark output handle "$(handle v4)" meta skuid "$uid" ip daddr != 127.0.0.0/8 counter \
        reject with icmpx type admin-prohibited comment '"renamed by an admin"'
check "a changed comment alone is not drift (exit 0)" $bulwark status

check "revert --all" $bulwark revert --all
nft list ruleset >/run/nft-after
check "ruleset as before" diff /run/nft-before /run/nft-after
finish
