#!/bin/sh
# SPDX-License-Identifier: MIT
# The state lock (issue #9): when it cannot be had (another process holds it; the lock file
# cannot be opened or is not a file), apply, apply --reviewed, revert and status fail with a
# message naming the lock, exit 1, and change nothing; their output still reaches stdout.
build=$1
. "$(dirname "$0")/lib.sh"

useradd -m -d /home/ann -s /bin/sh ann
mkdir -p /home/ann/repo/src /home/ann/repo/.git
echo 'x' >/home/ann/repo/src/a.c
echo '[core]' >/home/ann/repo/.git/config
chown -R ann:ann /home/ann
$bulwarkc builtin:workspace-write -o /run/ws.plan 2>/dev/null
apply() { $bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann "$@"; }

snapshot() { # file
        {
                find /home /tmp | LC_ALL=C sort | xargs -d '\n' getfacl -n -p 2>/dev/null
                cat /etc/passwd /etc/group
                nft list ruleset
                ls -A /var/lib/bulwark/installs 2>/dev/null
        } >"$1"
}
expect_refused() { # what file-with-output
        what=$1
        out=$2
        rc=$3
        check "$what: exit 1" test "$rc" -eq 1
        check "$what: names the lock" grep -q '/lock' "$out"
        check "$what: says nothing was changed" grep -q 'nothing was changed' "$out"
}

# 1. A state directory whose lock file cannot be opened (a directory, a symlink) or is not a
# regular file (a FIFO): nothing is installed, and nothing is created.
snapshot /run/s0
for shape in dir symlink fifo; do
        sd=/var/lib/bw-$shape
        mkdir -p $sd
        case $shape in
        dir) mkdir $sd/lock ;;
        symlink) ln -s /etc/passwd $sd/lock ;;
        fifo) mkfifo $sd/lock ;;
        esac
        apply --state-dir $sd >/run/out 2>&1
        expect_refused "apply, lock is a $shape" /run/out $?
        snapshot /run/s1
        check "apply, lock is a $shape: no account, ACL or table was made" diff /run/s0 /run/s1
        check "apply, lock is a $shape: no installation recorded" sh -c "! ls $sd/installs/* 2>/dev/null | grep -q ."
done
check "the symlink's target was not touched" cmp /etc/passwd /run/etc-copy/passwd
grep -q 'not a regular file' /run/out
check "a FIFO as the lock is named as such" test $? -eq 0

# 2. Installed; then the lock is held by another process (flock from util-linux).
check "apply" apply
setfacl -x g:$(write_group /home/ann/repo) /home/ann/repo/src/a.c # drift that an apply would heal
$bulwark plan /run/ws.plan --workspace /home/ann/repo --user ann -o /run/changes.json >/dev/null 2>&1
snapshot /run/s2
flock /var/lib/bulwark/lock sleep 30 &
holder=$!
sleep 0.5
apply --lock-timeout 1 >/run/out 2>&1
expect_refused "apply while the lock is held" /run/out $?
check "apply while held: says it gave up waiting" grep -q 'gave up after 1 s' /run/out
$bulwark apply --reviewed /run/changes.json --lock-timeout 1 >/run/out 2>&1
expect_refused "apply --reviewed while the lock is held" /run/out $?
$bulwark revert --all --lock-timeout 1 >/run/out 2>&1
expect_refused "revert while the lock is held" /run/out $?
$bulwark status --lock-timeout 1 >/run/out 2>&1
expect_refused "status while the lock is held" /run/out $?
snapshot /run/s3
check "nothing changed while the lock was held (the drift is still there)" diff /run/s2 /run/s3
kill $holder
wait $holder 2>/dev/null

# 3. The installed machine's lock file replaced by a directory: revert and status refuse too.
rm -f /var/lib/bulwark/lock
mkdir /var/lib/bulwark/lock
$bulwark revert --all >/run/out 2>&1
expect_refused "revert, lock is a directory" /run/out $?
$bulwark status >/run/out 2>&1
expect_refused "status, lock is a directory" /run/out $?
apply >/run/out 2>&1
expect_refused "apply, lock is a directory" /run/out $?
snapshot /run/s4
check "nothing changed while the lock could not be opened" diff /run/s2 /run/s4
rmdir /var/lib/bulwark/lock

# 4. With the lock back, everything works, and stdout was never closed: the summary is printed.
check "apply heals the drift and prints its summary" sh -c "$bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann | grep -q '^bulwark: .* to add'"
check "status: in force" $bulwark status
check "revert --all" $bulwark revert --all
snapshot /run/s5
# the lock file itself and the emptied state are not part of the comparison
check "revert leaves the ACLs, accounts and ruleset as before" sh -c 'diff /run/s0 /run/s5'

finish
