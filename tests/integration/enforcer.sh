#!/bin/sh
# SPDX-License-Identifier: MIT
# plan / apply / apply again / revert on a generated tree, checked with the real mechanisms:
# writes as the sandbox users, the firewall against a veth peer, byte-exact revert.
build=$1
. "$(dirname "$0")/lib.sh"

useradd -m -d /home/ann -s /bin/sh ann
chmod 700 /home/ann
mkdir -p /home/ann/repo/src /home/ann/repo/.git/hooks /home/ann/repo/.bulwark /home/ann/.ssh /home/ann/docs
echo 'int main(void){return 0;}' >/home/ann/repo/src/main.c
echo '[core]' >/home/ann/repo/.git/config
echo 'hook' >/home/ann/repo/.git/hooks/pre-commit
echo 'secret' >/home/ann/.ssh/id_ed25519
chmod 600 /home/ann/.ssh/id_ed25519
echo 'notes' >/home/ann/docs/notes.txt
for i in 1 2 3; do mkdir -p /home/ann/repo/src/d$i; for j in 1 2 3 4 5; do echo x >/home/ann/repo/src/d$i/f$j; done; done
# a planted symlink and a planted hard link to files outside the workspace (the hard link's
# target must be on the same file system as the workspace: /home)
echo 'root secret' >/run/etc-copy/shadow-copy
ln -s /etc/shadow-copy /home/ann/repo/src/link-to-shadow
echo 'root secret' >/home/shadow-copy
chmod 600 /home/shadow-copy

chown -R ann:ann /home/ann
ln /home/shadow-copy /home/ann/repo/src/hardlink-to-shadow
$bulwarkc builtin:workspace-write -o /run/ws.plan 2>/dev/null

mkdir -p /run/snap
snapshot() { # dir
        mkdir -p "$1"
        # in name order: a file replaced since (a new inode) may come back in another readdir order
        find /home /tmp | LC_ALL=C sort | xargs -d '\n' getfacl -n -p 2>/dev/null >"$1/acl"
        cp /etc/passwd /etc/group /etc/shadow /etc/gshadow "$1/"
        nft list ruleset >"$1/nft"
        getfacl -n -p /etc/shadow-copy /home/shadow-copy >"$1/shadow-acl"
}
mkdir -p /run/snap/before /run/snap/after
snapshot /run/snap/before

# plan: differences, exit 2; nothing changed
$bulwark plan /run/ws.plan --workspace /home/ann/repo --user ann >/run/plan.out 2>&1
check "plan reports differences (exit 2)" test $? -eq 2
check "plan lists the accounts" grep -q '^+ user   bw-off-ann' /run/plan.out
check "plan lists the workspace ACLs" grep -q '^+ acl    /home/ann/repo ' /run/plan.out
check "plan lists the firewall table" grep -q '^+ nft    inet bulwark output' /run/plan.out
check "plan lists the traverse entry on the 0700 home" grep -q '^+ acl    /home/ann .*traverse' /run/plan.out
check "plan changed nothing" sh -c '! getent passwd bw-off-ann'

# apply
check "apply succeeds" $bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann
check "accounts exist" getent passwd bw-off-ann bw-on-ann
check "the sandbox users belong to no bulwark group (the runner sets a run's groups)" sh -c '! id -nG bw-off-ann | grep -q bw-[rw]-'
check "workspace has its own write group's entry" sh -c "getfacl -p /home/ann/repo | grep -q '^group:$(write_group /home/ann/repo):rwx'"
check "workspace has the owner default entry" sh -c 'getfacl -p /home/ann/repo | grep -q "^default:user:ann:rwx"'
check ".git has the carve-out" sh -c 'getfacl -p /home/ann/repo/.git/config | grep -q "^user:bw-off-ann:r--"'
check "firewall table loaded" sh -c 'nft list table inet bulwark | grep -q "skuid"'

# idempotence: plan is empty, a second apply changes nothing
$bulwark plan /run/ws.plan --workspace /home/ann/repo --user ann >/run/plan2.out 2>&1
check "plan after apply is empty (exit 0)" test $? -eq 0
check "second apply changes nothing" sh -c "$bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann | grep -q '^bulwark: 0 to add, 0 to change, 0 to remove'"
check "status: in force (exit 0)" $bulwark status
check "doctor --json is one JSON object naming the workspace's file system" sh -c "$bulwark doctor --json | /usr/bin/python3 -c 'import sys, json; d = json.load(sys.stdin); assert any(a[\"path\"] == \"/home/ann/repo\" and a[\"posix_acls\"] for a in d[\"acl_support\"])'"

# the sandbox, as each principal
for u in bw-off-ann bw-on-ann; do
        check "$u writes in the workspace" as_user $u sh -c 'echo new >/home/ann/repo/src/new-'$u'.txt'
        check "$u writes in a new directory of the workspace" as_user $u sh -c 'mkdir /home/ann/repo/src/dir-'$u' && echo y >/home/ann/repo/src/dir-'$u'/f'
        check "$u reads the workspace" as_user $u cat /home/ann/repo/src/main.c
        check "$u writes in /tmp" as_user $u sh -c 'echo t >/tmp/'$u'.txt'
        check_fails "$u cannot write .git/config" as_user $u sh -c 'echo evil >>/home/ann/repo/.git/config'
        check_fails "$u cannot add a hook" as_user $u sh -c 'echo evil >/home/ann/repo/.git/hooks/post-merge'
        check_fails "$u cannot rewrite .bulwark" as_user $u sh -c 'echo evil >/home/ann/repo/.bulwark/policy.yaml'
        check_fails "$u cannot write outside the workspace" as_user $u sh -c 'echo evil >/home/ann/docs/evil.txt'
        check_fails "$u cannot read the real user's 0600 key" as_user $u cat /home/ann/.ssh/id_ed25519
        check_fails "$u cannot list the real user's home (traverse only)" as_user $u ls /home/ann
done
check "the real user keeps full control of files the sandbox made" sh -c 'getfacl -p /home/ann/repo/src/dir-bw-off-ann | grep -q "^user:ann:rwx"'
check "the planted links' targets are untouched" sh -c 'getfacl -n -p /etc/shadow-copy /home/shadow-copy | diff - /run/snap/before/shadow-acl'
check "the hard link really is one" test "$(stat -c %h /home/shadow-copy)" -eq 2
check_fails "the sandbox cannot read the hard-linked secret" as_user bw-off-ann cat /home/ann/repo/src/hardlink-to-shadow

# firewall: a peer host on a veth pair
make_peer_host
cat >/run/server.py <<'PY'
import socket, sys, threading
def tcp(fam, addr):
    s = socket.socket(fam, socket.SOCK_STREAM); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 7777)); s.listen(16)
    while True:
        c, _ = s.accept(); c.sendall(b"hi"); c.close()
def udp(fam, addr):
    s = socket.socket(fam, socket.SOCK_DGRAM); s.bind((addr, 7777))
    while True:
        d, a = s.recvfrom(64); s.sendto(d, a)
for f in (tcp, udp):
    for fam, addr in ((socket.AF_INET, sys.argv[1]), (socket.AF_INET6, sys.argv[2])):
        threading.Thread(target=f, args=(fam, addr), daemon=True).start()
threading.Event().wait()
PY
cat >/run/client.py <<'PY'
import socket, sys
proto, host = sys.argv[1], sys.argv[2]
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
s.settimeout(2)
if proto == "tcp":
    s.connect((host, 7777)); assert s.recv(2) == b"hi"
else:
    s.sendto(b"ping", (host, 7777)); assert s.recvfrom(64)[0] == b"ping"
PY
ip netns exec peer /usr/bin/python3 /run/server.py 10.77.0.2 fd77::2 &
peer_server=$!
/usr/bin/python3 /run/server.py 127.0.0.1 ::1 &
local_server=$!
sleep 1
for proto in tcp udp; do
        for host in 10.77.0.2 fd77::2; do
                check_fails "offline cannot reach the peer ($proto $host)" as_user bw-off-ann /usr/bin/python3 /run/client.py $proto $host
                check "online reaches the peer ($proto $host)" as_user bw-on-ann /usr/bin/python3 /run/client.py $proto $host
                check "root reaches the peer ($proto $host)" /usr/bin/python3 /run/client.py $proto $host
        done
        check "offline reaches loopback ($proto 127.0.0.1)" as_user bw-off-ann /usr/bin/python3 /run/client.py $proto 127.0.0.1
        check "offline reaches loopback ($proto ::1)" as_user bw-off-ann /usr/bin/python3 /run/client.py $proto ::1
done
kill $peer_server $local_server 2>/dev/null

# drift: a removed entry and a flushed table are reported by status (exit 2), and apply heals them
setfacl -x g:$(write_group /home/ann/repo) /home/ann/repo/src/main.c
nft delete table inet bulwark
$bulwark status >/run/status.out 2>&1
check "status reports drift (exit 2)" test $? -eq 2
check "status names the drifted entry" grep -q '/home/ann/repo/src/main.c' /run/status.out
check "status names the flushed table" grep -q 'nft    inet bulwark' /run/status.out
check "apply heals the drift" $bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann
check "status: in force again" $bulwark status

# concurrency: a second enforcer waits, then gives up clearly
(flock /var/lib/bulwark/lock sleep 3) &
holder=$!
sleep 0.5
$bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann --lock-timeout 1 >/run/lock.out 2>&1
check "a concurrent apply fails (exit 1)" test $? -eq 1
check "with a clear message" grep -q 'another bulwark' /run/lock.out
wait $holder

# revert: exactly as before. Files the sandbox created are new objects (with bulwark's inherited
# default entries): revert strips those entries; then they are removed for the comparison.
as_user ann sh -c 'echo edited >/home/ann/repo/src/main.c.tmp && mv /home/ann/repo/src/main.c.tmp /home/ann/repo/src/main.c'
check "revert --all succeeds" $bulwark revert --all
check "no entry of bulwark's accounts is left anywhere (getfacl -R)" sh -c '! getfacl -R -n -p /home /tmp 2>/dev/null | grep -E "^(default:)?(user|group):9[0-9][0-9]:"'
rm -rf /home/ann/repo/src/new-* /home/ann/repo/src/dir-* /tmp/bw-o*-ann.txt
echo 'int main(void){return 0;}' >/home/ann/repo/src/main.c
chown ann:ann /home/ann/repo/src/main.c
chmod 644 /home/ann/repo/src/main.c
snapshot /run/snap/after
check "ACLs identical to before apply (getfacl -R)" diff /run/snap/before/acl /run/snap/after/acl
check "account files identical to before" sh -c 'for f in passwd group shadow gshadow; do cmp /run/snap/before/$f /run/snap/after/$f || exit 1; done'
check "nftables ruleset identical to before" diff /run/snap/before/nft /run/snap/after/nft
check "nothing is installed any more" sh -c "$bulwark status | grep -q 'no plan is installed'"

# two installations sharing /tmp: reverting one keeps what the other needs, reverting both
# leaves the machine as it was
mkdir -p /home/ann/other/src
echo o >/home/ann/other/src/o.txt
chown -R ann:ann /home/ann/other
snapshot /run/snap/before2
check "apply for workspace repo" $bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann
check "apply for workspace other" $bulwark apply /run/ws.plan --workspace /home/ann/other --user ann
check "status lists both, in force" sh -c "$bulwark status | grep -c '^= plan' | grep -qx 2"
# revert only one of them: by its installation (plan IDs are equal here)
one=$(ls /var/lib/bulwark/installs | head -1)
check "revert one installation" $bulwark revert "$one"
check "the other is still in force (its /tmp entries survived)" $bulwark status
check "a sandbox user can still write in /tmp" as_user bw-off-ann sh -c 'echo t >/tmp/still.txt'
rm -f /tmp/still.txt
check "revert the other" $bulwark revert --all
snapshot /run/snap/after2
check "ACLs identical to before both applies" diff /run/snap/before2/acl /run/snap/after2/acl
check "account files identical to before both applies" cmp /run/snap/before2/passwd /run/snap/after2/passwd

# the reviewer's order: ann's workspace, then bob's; revert bob's, then everything
useradd -m -d /home/bob -s /bin/sh bob
chmod 700 /home/bob
mkdir -p /home/bob/ws
chown -R bob:bob /home/bob
snapshot /run/snap/before3
check "apply for ann" $bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann
check "apply for bob" $bulwark apply /run/ws.plan --workspace /home/bob/ws --user bob
bob_id=$($bulwark status --json | /usr/bin/python3 -c 'import sys, json
for o in json.load(sys.stdin)["installations"]:
    if o["workspace"] == "/home/bob/ws": print(o["installation"])')
check "revert bob's installation ($bob_id)" $bulwark revert "$bob_id"
check "ann's is still in force" $bulwark status
check "revert everything" $bulwark revert --all
snapshot /run/snap/after3
check "ACLs identical to before (ann then bob, bob reverted first)" diff /run/snap/before3/acl /run/snap/after3/acl
snapshot /run/snap/before4
check "apply for ann again" $bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann
check "apply for bob again" $bulwark apply /run/ws.plan --workspace /home/bob/ws --user bob
ann_id=$($bulwark status --json | /usr/bin/python3 -c 'import sys, json
for o in json.load(sys.stdin)["installations"]:
    if o["workspace"] == "/home/ann/repo": print(o["installation"])')
check "revert ann's installation first ($ann_id)" $bulwark revert "$ann_id"
check "bob's is still in force" $bulwark status
check "revert everything" $bulwark revert --all
snapshot /run/snap/after4
check "ACLs identical to before (ann then bob, ann reverted first)" diff /run/snap/before4/acl /run/snap/after4/acl

# hostile shapes the sandbox can make: very wide and very deep trees, with few fds
mkdir -p /home/ann/wide/w
i=0
while [ $i -lt 3000 ]; do mkdir /home/ann/wide/w/d$i; i=$((i + 1)); done
chown -R ann:ann /home/ann/wide
check "3,000 sibling directories with 256 fds" sh -c "ulimit -n 256; $bulwark apply /run/ws.plan --workspace /home/ann/wide --user ann --threads 1"
check "and they all got the entry" sh -c "getfacl -p /home/ann/wide/w/d2999 | grep -q '^group:$(write_group /home/ann/wide):rwx'"
mkdir -p /home/ann/deep
/usr/bin/python3 -c '
import os
fd = os.open("/home/ann/deep", os.O_RDONLY)
for i in range(2100):
    os.mkdir("d", dir_fd=fd)
    nfd = os.open("d", os.O_RDONLY, dir_fd=fd)
    os.close(fd)
    fd = nfd
'
chown -R ann:ann /home/ann/deep
$bulwark apply /run/ws.plan --workspace /home/ann/deep --user ann >/run/deep.out 2>&1
check "a tree 2,100 levels deep: apply stops at 2,048 and says so (exit 1)" sh -c "test $? -eq 1 && grep -q 'more than 2048 directories deep' /run/deep.out"
check "revert after the hostile shapes" $bulwark revert --all
rm -rf /home/ann/deep /home/ann/wide

# a table inet bulwark that someone else left, different from ours: replaced, then restored
nft add table inet bulwark
nft add chain inet bulwark theirs
nft list ruleset >/run/nft-before
check "apply over someone else's table inet bulwark" $bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann
check "our rules are in it now" sh -c 'nft list table inet bulwark | grep -q skuid'
check "revert puts their table back" $bulwark revert --all
nft list ruleset >/run/nft-after
check "exactly as it was" diff /run/nft-before /run/nft-after
nft delete table inet bulwark

# bad input changes nothing
echo garbage >/run/bad.plan
check_fails "a corrupt plan is refused" $bulwark apply /run/bad.plan --workspace /home/ann/repo --user ann
check "and nothing was created" sh -c '! getent passwd bw-off-ann'
$bulwarkc builtin:workspace-write -D workspace=/nonexistent/ws -o /run/missing.plan 2>/dev/null
$bulwark apply /run/missing.plan --user ann >/run/missing.out 2>&1
check "a plan for a missing root applies the rest and says so" grep -q '/nonexistent/ws .*does not exist' /run/missing.out
check "revert after it" $bulwark revert --all
mkdir -p /var/lib/bulwark/installs/0123456789abcdef
printf 'BWJRgarbagegarbagegarbage' >/var/lib/bulwark/installs/0123456789abcdef/journal
$bulwark revert --all >/run/corrupt.out 2>&1
check "a corrupt journal is refused (exit 1)" test $? -eq 1
check "with the byte offset" grep -q 'damaged at byte' /run/corrupt.out
check "and the journal is kept" test -f /var/lib/bulwark/installs/0123456789abcdef/journal

finish
