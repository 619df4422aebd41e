#!/bin/sh
# SPDX-License-Identifier: MIT
# 50 users, each with an installation (issue #12): 100 sandbox users of their own, one firewall
# set holding the 50 offline ones behind two rules; reverting every installation leaves
# /etc/passwd, /etc/group and the ruleset byte for byte as they were.
build=$1
. "$(dirname "$0")/lib.sh"

n=50
i=1
while [ $i -le $n ]; do
        useradd -m -d /home/u$i -s /bin/sh u$i
        mkdir -p /home/u$i/ws
        chown -R u$i:u$i /home/u$i
        i=$((i + 1))
done
$bulwarkc builtin:workspace-write -o /run/ws.plan 2>/dev/null
cp /etc/passwd /run/passwd.before
cp /etc/group /run/group.before
nft list ruleset >/run/nft.before
i=1
ok_all=0
while [ $i -le $n ]; do
        $bulwark apply /run/ws.plan --workspace /home/u$i/ws --user u$i >/dev/null 2>/run/err.out || { ok_all=1; cat /run/err.out; }
        i=$((i + 1))
done
check "$n users apply" test $ok_all -eq 0
check "each has an offline and an online sandbox user of their own" sh -c "test \$(getent passwd | grep -c ':bulwark offline sandbox of u') -eq $n && test \$(getent passwd | grep -c ':bulwark online sandbox of u') -eq $n"
check "the set holds the $n offline uids ($(fw_set_count))" test "$(fw_set_count)" -eq $n
check "  ...behind two rules" sh -c "test \$(nft list chain inet bulwark output | grep -c 'skuid @offline') -eq 2"
check "status: all $n in force" $bulwark status
check_fails "u1's sandbox cannot write u2's workspace" as_sandbox /home/u1/ws bw-off-u1 sh -c 'echo x >/home/u2/ws/evil'
check "revert everything" $bulwark revert --all
check "/etc/passwd is as before" cmp /run/passwd.before /etc/passwd
check "/etc/group is as before" cmp /run/group.before /etc/group
nft list ruleset >/run/nft.after
check "the ruleset is as before" cmp /run/nft.before /run/nft.after
finish
