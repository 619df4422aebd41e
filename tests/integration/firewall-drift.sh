#!/bin/sh
# SPDX-License-Identifier: MIT
# Firewall drift is judged by the rules' structure (issue #9): a rule switched to accept with its
# comment kept is drift; a rule with its comment changed but doing the same is not. The set of
# offline users (issue #12) must hold exactly every installed user's offline sandbox user.
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
check "the set offline holds ann's offline sandbox user" sh -c "nft list set inet bulwark offline | grep -q 'elements = { $uid }'"
handle() { nft -a list chain inet bulwark output | grep "users, IP$1\"" | sed 's/.*# handle //'; }
v4() { nft replace rule inet bulwark output handle "$(handle v4)" meta skuid @offline "$@"; }
v6() { nft replace rule inet bulwark output handle "$(handle v6)" meta skuid @offline "$@"; }

# the IPv4 rule now accepts; its comment is the same
v4 ip daddr != 127.0.0.0/8 counter accept comment '"bulwark offline sandbox users, IPv4"'
check "the rule really accepts now, comment kept" sh -c "nft list chain inet bulwark output | grep -q 'accept comment \"bulwark offline sandbox users, IPv4\"'"
$bulwark status >/run/status.out 2>&1
check "status reports the accept rule as drift (exit 2)" test $? -eq 2
check "status names the firewall table" grep -q '^~ nft    inet bulwark output' /run/status.out
$bulwark status --json >/run/status.json 2>&1
check "status --json: not compliant" /usr/bin/python3 -c 'import json; d = json.load(open("/run/status.json")); assert not d["compliant"]; assert any(c["kind"] == "nft" for c in d["installations"][0]["drifted"])'
$bulwark plan /run/ws.plan --workspace /home/ann/repo --user ann >/run/plan.out 2>&1
check "plan shows the table to change (exit 2)" sh -c "test $? -eq 2 && grep -q '^~ nft' /run/plan.out"
check "apply heals it" $bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann
check "status: in force again" $bulwark status
check "the rule rejects again" sh -c "nft list chain inet bulwark output | grep -q 'skuid @offline ip daddr != 127.0.0.0/8 .*reject'"

# the IPv6 rule matching one uid instead of the set, comment kept
nft replace rule inet bulwark output handle "$(handle v6)" meta skuid 0 ip6 daddr != ::1 counter \
        reject with icmpx type admin-prohibited comment '"bulwark offline sandbox users, IPv6"'
$bulwark status >/dev/null 2>&1
check "a rule matching another skuid is drift (exit 2)" test $? -eq 2
check "apply heals it" $bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann

# a wider exempt destination (127.0.0.0/7 lets 126/8 through), comment kept
v4 ip daddr != 127.0.0.0/7 counter reject with icmpx type admin-prohibited comment '"bulwark offline sandbox users, IPv4"'
$bulwark status >/dev/null 2>&1
check "a wider exempt destination is drift (exit 2)" test $? -eq 2
check "apply heals it" $bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann

# ann's uid taken out of the set, or another one added
nft delete element inet bulwark offline "{ $uid }"
$bulwark status >/dev/null 2>&1
check "ann's uid missing from the set is drift (exit 2)" test $? -eq 2
check "apply heals it" $bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann
nft add element inet bulwark offline '{ 0 }'
$bulwark status >/dev/null 2>&1
check "a uid no installation names in the set is drift (exit 2)" test $? -eq 2
check "apply heals it" $bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann
check "  ...the set is ann's uid alone again" sh -c "nft list set inet bulwark offline | grep -q 'elements = { $uid }'"

# the table made dormant (it then filters nothing)
nft add table inet bulwark '{ flags dormant; }'
$bulwark status >/dev/null 2>&1
check "a dormant table is drift (exit 2)" test $? -eq 2
check "apply heals it" $bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann
check "status: in force" $bulwark status

# the same rule under another comment: not drift (comments are not compared)
v4 ip daddr != 127.0.0.0/8 counter reject with icmpx type admin-prohibited comment '"renamed by an admin"'
check "a changed comment alone is not drift (exit 0)" $bulwark status

check "revert --all" $bulwark revert --all
nft list ruleset >/run/nft-after
check "ruleset as before" diff /run/nft-before /run/nft-after
finish
