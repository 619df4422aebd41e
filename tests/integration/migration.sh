#!/bin/sh
# SPDX-License-Identifier: MIT
# Migration from the shared principals (issue #12): installations made by the last version with
# bulwark-offline/-online and the groups bulwark-sandbox/-write (built here from git history)
# convert on the next apply: their entries are replaced (journaled), the shared accounts go once
# no installation uses them; a stale shared grant gives the old accounts nothing. Revert restores
# the machine byte for byte (accounts, ACLs, ruleset), also for an installation never converted.
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$1
old_commit=f2ecc422d39c25319cd3bf086067341127ee483a # the last version with shared principals
if ! command -v git >/dev/null || ! git -c safe.directory='*' -C "$src" cat-file -e "$old_commit^{commit}" 2>/dev/null; then
        echo "SKIP migration: needs git and the history of $src (commit ${old_commit%${old_commit#????????????}})"
        echo "0 passed, 0 failed, 1 skipped"
        exit 77
fi
. "$(dirname "$0")/lib.sh"

mkdir -p /run/old
git -c safe.directory='*' -C "$src" archive "$old_commit" | tar -x -C /run/old
if ! { cmake -S /run/old -B /run/old/build -DCMAKE_BUILD_TYPE=Release >/run/old-build.log 2>&1 &&
        cmake --build /run/old/build -j2 --target bulwark >>/run/old-build.log 2>&1; }; then
        tail -20 /run/old-build.log
        echo "SKIP migration: the last version does not build here"
        exit 77
fi
old="/run/old/build/enforcer/bulwark"
oldapply() { $old apply --runner $runner "$@"; }

for u in ann bob; do
        useradd -m -d /home/$u -s /bin/sh $u
        mkdir -p /home/$u/ws/src /home/$u/ws/.git
        echo code >/home/$u/ws/src/main.c
        chown -R $u:$u /home/$u
        chmod 700 /home/$u # reached through traverse entries
done
$bulwarkc builtin:workspace-write -o /run/ws.plan 2>/dev/null
snapshot() {
        mkdir -p "$1"
        cp /etc/passwd /etc/group "$1/"
        getfacl -R -p -n /home 2>/dev/null >"$1/acl"
        nft list ruleset >"$1/nft"
}
same_as() { # dir: the machine as it was then
        snapshot /run/now
        cmp "$1/passwd" /run/now/passwd && cmp "$1/group" /run/now/group && diff "$1/acl" /run/now/acl && diff "$1/nft" /run/now/nft
}
snapshot /run/before

check "the last version applies for ann" oldapply /run/ws.plan --workspace /home/ann/ws --user ann
check "  ...and for bob" oldapply /run/ws.plan --workspace /home/bob/ws --user bob
check "  ...with the shared accounts" sh -c "getent passwd bulwark-offline && getfacl -p /home/ann/ws | grep -q '^group:bulwark-write:rwx'"
$bulwark plan /run/ws.plan --workspace /home/ann/ws --user ann >/run/plan.out 2>&1
check "plan shows the conversion of ann's installation" sh -c "grep -q '^+ user   bw-off-ann' /run/plan.out && grep -q '/home/ann/ws .*bw-w-' /run/plan.out"
check "apply converts ann's installation" $bulwark apply /run/ws.plan --workspace /home/ann/ws --user ann
check "  ...ann's tree names her own groups, no shared one" sh -c "getfacl -R -p /home/ann/ws | grep -q '^group:$(write_group /home/ann/ws):rwx' && ! getfacl -R -p /home/ann/ws | grep -q bulwark-"
check "  ...her home's traverse entry is her installation's read group now" sh -c "getfacl -p /home/ann | grep -q '^group:bw-r-' && ! getfacl -p /home/ann | grep -q bulwark-sandbox"
check "  ...bob's unconverted tree keeps the shared entries" sh -c "getfacl -p /home/bob/ws | grep -q '^group:bulwark-write:rwx'"
check "  ...the shared accounts stay while bob's installation uses them" getent passwd bulwark-offline
check "  ...the firewall matches bw-off-ann" fw_set_has "$(id -u bw-off-ann)"
check "  ...and the shared bulwark-offline" fw_set_has "$(id -u bulwark-offline)"
check "ann's sandbox writes her workspace" as_sandbox /home/ann/ws bw-off-ann sh -c 'echo x >>/home/ann/ws/src/main.c'
check_fails "the shared bulwark-offline (in bulwark-write) no longer can" setpriv --reuid=bulwark-offline --regid=bulwark-offline --init-groups --reset-env sh -c 'echo x >>/home/ann/ws/src/main.c'
check "apply converts bob's" $bulwark apply /run/ws.plan --workspace /home/bob/ws --user bob
check "  ...and the shared accounts are gone (nobody uses them)" sh -c "! getent passwd bulwark-offline && ! getent passwd bulwark-online && ! getent group bulwark-write && ! getent group bulwark-sandbox"
check "status: both in force" $bulwark status
check "apply again changes nothing" sh -c "$bulwark apply /run/ws.plan --workspace /home/bob/ws --user bob | grep -q '^bulwark: 0 to add, 0 to change, 0 to remove'"
check "revert everything" $bulwark revert --all
check "the machine is as before the last version's apply (accounts, ACLs, ruleset)" same_as /run/before

check "the last version applies for ann again" oldapply /run/ws.plan --workspace /home/ann/ws --user ann
check "revert of an installation never converted" $bulwark revert --all
check "  ...the machine is as before, byte for byte" same_as /run/before

check "the last version applies for ann and bob" sh -c "oldapply() { $old apply --runner $runner \"\$@\"; }; oldapply /run/ws.plan --workspace /home/ann/ws --user ann && oldapply /run/ws.plan --workspace /home/bob/ws --user bob"
check "apply converts ann's" $bulwark apply /run/ws.plan --workspace /home/ann/ws --user ann
ann_id=$($bulwark status --json 2>/dev/null | /usr/bin/python3 -c 'import sys, json
for o in json.load(sys.stdin)["installations"]:
    if o["user"] == "ann": print(o["installation"])')
check "revert ann's (converted) installation" $bulwark revert "$ann_id"
check "  ...her accounts are gone; bob's installation, re-applied after it, runs as his own" sh -c "! getent passwd bw-off-ann && getent passwd bw-off-bob && ! getent passwd bulwark-offline"
check "revert bob's (never converted)" $bulwark revert --all
check "  ...the machine is as before, byte for byte" same_as /run/before
finish
