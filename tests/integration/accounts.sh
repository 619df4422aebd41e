#!/bin/sh
# SPDX-License-Identifier: MIT
# Sandbox accounts per real user: apply binds the plan's principal roles to ann's own bw-off-ann
# and bw-on-ann (GECOS naming her), bob gets his own, and a name that does not fit gets a hash.
# An account of the chosen name that bulwark did not make is refused, naming it; so is a caller
# whose uid has no passwd entry. Accounts are counted per user: reverting ann's last installation
# removes hers and leaves bob's; reverting everything leaves /etc/passwd, /etc/group and the
# ruleset byte for byte as they were.
build=$1
. "$(dirname "$0")/lib.sh"

useradd -m -d /home/ann -s /bin/sh ann
useradd -m -d /home/bob -s /bin/sh bob
long=jean.claude.van.der.longname.x
useradd -m -d /home/long -s /bin/sh --badname "$long" 2>/dev/null || useradd -m -d /home/long -s /bin/sh "$long"
mkdir -p /home/ann/repo /home/bob/ws /home/long/ws
chown -R ann:ann /home/ann
chown -R bob:bob /home/bob
chown -R "$long" /home/long
$bulwarkc builtin:workspace-write -o /run/ws.plan 2>/dev/null
cp /etc/group /run/group.before
cp /etc/passwd /run/passwd.before
nft list ruleset >/run/nft.before

# someone else's account of the chosen name
useradd --system --no-create-home --shell /usr/sbin/nologin bw-off-ann
cp /etc/passwd /run/passwd.foreign
$bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann >/run/out.txt 2>&1
check "an account bw-off-ann that bulwark did not make is refused, naming it" sh -c "test $? -eq 1 && grep -q 'an account bw-off-ann exists that bulwark did not make for ann' /run/out.txt"
check "  ...and nothing was created" cmp /run/passwd.foreign /etc/passwd
userdel bw-off-ann

# a caller whose uid has no passwd entry
SUDO_UID=4242 $bulwark plan /run/ws.plan --workspace /home/ann/repo >/run/out.txt 2>&1
check "a uid with no passwd entry is refused, naming it" sh -c "test $? -eq 1 && grep -q 'uid 4242, has no passwd entry' /run/out.txt"

$bulwark plan /run/ws.plan --workspace /home/ann/repo --user ann >/run/plan.out 2>&1
check "plan names ann's own sandbox users" sh -c "grep -q '^+ user   bw-off-ann ' /run/plan.out && grep -q '^+ user   bw-on-ann ' /run/plan.out"
check "apply for ann" $bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann
check "apply for bob" $bulwark apply /run/ws.plan --workspace /home/bob/ws --user bob
check "apply for $long" $bulwark apply /run/ws.plan --workspace /home/long/ws --user "$long"
check "ann's accounts say whose they are" sh -c "getent passwd bw-off-ann | cut -d: -f5 | grep -qx 'bulwark offline sandbox of ann' && getent passwd bw-on-ann | cut -d: -f5 | grep -qx 'bulwark online sandbox of ann'"
check "bob has his own" sh -c "getent passwd bw-off-bob | cut -d: -f5 | grep -qx 'bulwark offline sandbox of bob'"
check "ann's and bob's sandbox users differ" sh -c "test \$(id -u bw-off-ann) -ne \$(id -u bw-off-bob)"
lname=$(getent passwd | awk -F: -v u="$long" '$5 == "bulwark offline sandbox of " u { print $1 }')
check "a user name too long gets a hashed name within 32 characters ($lname)" sh -c "test -n '$lname' && test \${#lname} -le 32 && echo '$lname' | grep -Eq '^bw-off-jean_claude_van_-[0-9a-f]{8}$'"
check "the bindings name the accounts a run of ann's installation uses" sh -c "grep -qx 'offline=bw-off-ann' /var/lib/bulwark/installs/*/bindings && grep -qx 'online=bw-on-ann' /var/lib/bulwark/installs/*/bindings"
check "status: all in force" $bulwark status
for u in bw-off-ann bw-off-bob $lname; do
        check "the firewall's one set holds $u" fw_set_has "$(id -u $u)"
done
check "  ...matched by two rules, not a rule per user" sh -c "test \$(nft list chain inet bulwark output | grep -c 'skuid @offline') -eq 2"
check "apply for ann again changes nothing" sh -c "$bulwark plan /run/ws.plan --workspace /home/ann/repo --user ann >/dev/null"

ann_id=$($bulwark status --json | /usr/bin/python3 -c 'import sys, json
for o in json.load(sys.stdin)["installations"]:
    if o["user"] == "ann": print(o["installation"])')
ann_uid=$(id -u bw-off-ann)
check "revert ann's installation" $bulwark revert "$ann_id"
check "ann's sandbox users are gone (her last installation)" sh -c '! getent passwd bw-off-ann && ! getent passwd bw-on-ann'
check "bob's remain" getent passwd bw-off-bob bw-on-bob
check_fails "the firewall no longer matches ann's old uid" fw_set_has "$ann_uid"
check "  ...still bob's" fw_set_has "$(id -u bw-off-bob)"
check "bob's installation is still in force" $bulwark status
check "revert everything" $bulwark revert --all
check "/etc/passwd is as before" cmp /run/passwd.before /etc/passwd
check "/etc/group is as before" cmp /run/group.before /etc/group
nft list ruleset >/run/nft.after
check "the ruleset is as before" cmp /run/nft.before /run/nft.after
finish
