#!/bin/sh
# SPDX-License-Identifier: MIT
# Admin constraints bind every unelevated run, whatever its plan's source: a workspace policy
# (compiled under them), no policy at all (the built-in profile, compiled under them; the runner's
# own copy of it knows no constraints), a plan given with --plan (compiled elsewhere, perhaps with
# an empty --admin-dir: refused), and bulwark-runner started directly (it cannot compile: refused
# unless bulwark hands it the plan). Deleting the repository's policy must not shed them.
build=$1
. "$(dirname "$0")/lib.sh"

if ! unshare -U true 2>/dev/null; then
        echo "SKIP admin-run: this kernel does not let processes create user namespaces"
        finish
        exit 77 # ctest: skipped
fi

useradd -m -d /home/ann -s /bin/sh ann
chmod 700 /home/ann
mkdir -p /home/ann/secret /home/ann/repo/.git /run/no-constraints
echo 'TOP-SECRET-LINE' >/home/ann/secret/f
chown -R ann:ann /home/ann
run_in_repo() { as_user ann sh -c 'cd /home/ann/repo && exec "$@"' sh "$@"; }

# before any constraint: the built-in profile reads ~/secret (it is the user's own file)
run_in_repo $bulwark run -- cat /home/ann/secret/f >/run/out 2>/run/err
check "no constraints: the built-in profile reads ~/secret" grep -q TOP-SECRET-LINE /run/out

mkdir -p /etc/bulwark/admin.d
printf 'bulwark: 1\nkind: constraints\nnetwork:\n  allowed: [off]\nfilesystem:\n  never_readable: [~/secret]\n  never_writable: [~/repo/locked]\n' \
        >/etc/bulwark/admin.d/10-fleet.yaml
mkdir -p /home/ann/repo/locked
chown ann:ann /home/ann/repo/locked

# no workspace policy: the built-in profile, compiled under the constraints
run_in_repo $bulwark run -- sh -c 'cat /home/ann/secret/f; echo x >/home/ann/repo/locked/f; echo ok >/home/ann/repo/made' \
        >/run/out 2>/run/err
check "no policy: never_readable holds (~/secret unreadable)" sh -c "! grep -q TOP-SECRET-LINE /run/out"
check "  ...never_writable holds (~/repo/locked not writable)" test ! -e /home/ann/repo/locked/f
check "  ...and the workspace is still writable" test -s /home/ann/repo/made
run_in_repo $bulwark run --network -- true >/run/out 2>/run/err
check "  ...--network: refused (125), the constraints allow only off" test $? -eq 125

# a constraint the built-in profile cannot satisfy: the run is refused, naming the admin file
printf 'bulwark: 1\nkind: constraints\nfilesystem:\n  writable_within: [/srv]\n' >/etc/bulwark/admin.d/20-srv.yaml
run_in_repo $bulwark run -- sh -c 'echo no >/home/ann/repo/refused' >/run/out 2>/run/err
check "writable_within [/srv], a workspace in ~: refused (125), names the admin directory" sh -c "test $? -eq 125 &&
        test ! -e /home/ann/repo/refused && grep -q '/etc/bulwark/admin.d' /run/err"
rm /etc/bulwark/admin.d/20-srv.yaml

# a plan compiled without the constraints (an empty --admin-dir), given with --plan: refused
$bulwarkc builtin:workspace-write -D workspace=/home/ann/repo -D home=/home/ann -D user=ann -D tmpdir=/tmp \
        --admin-dir /run/no-constraints -o /run/loose.plan 2>/run/err
check "a plan compiled with an empty --admin-dir" chmod 644 /run/loose.plan
run_in_repo $bulwark run --plan /run/loose.plan -- cat /home/ann/secret/f >/run/out 2>/run/err
check "bulwark run --plan (compiled without them): refused (125), says why and what to do" sh -c "test $? -eq 125 &&
        ! grep -q TOP-SECRET-LINE /run/out && grep -q 'admin constraints apply' /run/err &&
        grep -q '.bulwark/policy.yaml' /run/err"

# bulwark-runner directly: neither its built-in plan nor --plan
run_in_repo $runner -- cat /home/ann/secret/f >/run/out 2>/run/err
check "bulwark-runner, built-in plan: refused (125), says to use bulwark run" sh -c "test $? -eq 125 &&
        ! grep -q TOP-SECRET-LINE /run/out && grep -q 'bulwark run' /run/err"
run_in_repo $runner --plan /run/loose.plan -- cat /home/ann/secret/f >/run/out 2>/run/err
check "bulwark-runner --plan: refused (125)" sh -c "test $? -eq 125 && ! grep -q TOP-SECRET-LINE /run/out"

# a warm session obeys them too
run_in_repo $bulwark session start >/run/out 2>/run/err
check "session start under the constraints" test $? -eq 0
run_in_repo $bulwark run -- cat /home/ann/secret/f >/run/out 2>/run/err
check "  ...a run in it cannot read ~/secret" sh -c "! grep -q TOP-SECRET-LINE /run/out"
run_in_repo $bulwark session stop >/dev/null 2>&1

# and a trusted workspace policy is compiled under them as before
mkdir -p /home/ann/repo/.bulwark
printf 'bulwark: 1\nextends: [workspace-write]\nfilesystem:\n  readable: [~/secret]\n' >/home/ann/repo/.bulwark/policy.yaml
chown -R ann:ann /home/ann/repo/.bulwark
run_in_repo $bulwark trust >/dev/null 2>&1
run_in_repo $bulwark run -- cat /home/ann/secret/f >/run/out 2>/run/err
check "a trusted workspace policy granting ~/secret: still unreadable" sh -c "! grep -q TOP-SECRET-LINE /run/out"
finish
