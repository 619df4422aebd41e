#!/bin/sh
# SPDX-License-Identifier: MIT
# Sandbox accounts that existed before bulwark: apply adds the missing group memberships (and
# journals them), revert takes exactly those back and leaves the accounts, which it did not create.
build=$1
. "$(dirname "$0")/lib.sh"

useradd -m -d /home/ann -s /bin/sh ann
mkdir -p /home/ann/repo && chown -R ann:ann /home/ann
groupadd --system bulwark-sandbox
groupadd --system bulwark-write
useradd --system --no-create-home --shell /usr/sbin/nologin bulwark-offline
cp /etc/group /run/group.before
cp /etc/passwd /run/passwd.before
$bulwarkc builtin:workspace-write -o /run/ws.plan 2>/dev/null

$bulwark plan /run/ws.plan --workspace /home/ann/repo --user ann >/run/plan.out 2>&1
check "plan shows the memberships to add to the existing user" grep -q '^~ user   bulwark-offline .*add to groups bulwark-sandbox,bulwark-write' /run/plan.out
check "apply succeeds" $bulwark apply /run/ws.plan --workspace /home/ann/repo --user ann
check "the existing user is now in both groups" sh -c 'id -nG bulwark-offline | grep -qw bulwark-sandbox && id -nG bulwark-offline | grep -qw bulwark-write'
$bulwark plan /run/ws.plan --workspace /home/ann/repo --user ann >/dev/null 2>&1
check "plan after apply is empty" test $? -eq 0
check "revert succeeds" $bulwark revert --all
check "the memberships are gone again" sh -c '! id -nG bulwark-offline | grep -qw bulwark-write'
check "the accounts bulwark did not create are still there" getent passwd bulwark-offline
check "/etc/passwd is as before" cmp /run/passwd.before /etc/passwd
check "/etc/group is as before" cmp /run/group.before /etc/group
finish
