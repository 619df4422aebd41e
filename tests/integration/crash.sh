#!/bin/sh
# SPDX-License-Identifier: MIT
# SIGKILL during apply, at many points: every time, a re-run of apply completes the job (the
# plan is then empty) and revert restores the machine exactly as it was before the first apply.
build=$1
. "$(dirname "$0")/lib.sh"

useradd -m -d /home/ann -s /bin/sh ann
chmod 700 /home/ann
mkdir -p /home/ann/repo/.git
# a tree big enough for apply to take a while: 40 directories of 100 files
i=0
while [ $i -lt 40 ]; do
        mkdir -p /home/ann/repo/d$i
        (cd /home/ann/repo/d$i && touch f0 f1 f2 f3 f4 f5 f6 f7 f8 f9 g0 g1 g2 g3 g4 g5 g6 g7 g8 g9 \
                h0 h1 h2 h3 h4 h5 h6 h7 h8 h9 i0 i1 i2 i3 i4 i5 i6 i7 i8 i9 j0 j1 j2 j3 j4 j5 j6 j7 j8 j9 \
                k0 k1 k2 k3 k4 k5 k6 k7 k8 k9 l0 l1 l2 l3 l4 l5 l6 l7 l8 l9 m0 m1 m2 m3 m4 m5 m6 m7 m8 m9 \
                n0 n1 n2 n3 n4 n5 n6 n7 n8 n9 o0 o1 o2 o3 o4 o5 o6 o7 o8 o9)
        i=$((i + 1))
done
chown -R ann:ann /home/ann
cat >/run/policy.yaml <<'YAML'
bulwark: 1
filesystem:
  writable: ["${workspace}"]
network: off
YAML
$bulwarkc /run/policy.yaml -o /run/p.plan 2>/dev/null

snapshot() {
        mkdir -p "$1"
        getfacl -R -n -p /home 2>/dev/null >"$1/acl"
        cp /etc/passwd /etc/group /etc/shadow /etc/gshadow "$1/"
        nft list ruleset >"$1/nft"
}
snapshot /run/before

# kill after increasing delays (seconds), covering account creation, the firewall and the walk
for delay in 0.001 0.005 0.01 0.02 0.04 0.08 0.15 0.3; do
        timeout -s KILL $delay $bulwark apply /run/p.plan --workspace /home/ann/repo --user ann --threads 1 >/dev/null 2>&1
        $bulwark status >/run/status.out 2>&1
        check "status after a SIGKILL at ${delay}s does not call the interrupted apply damaged" sh -c "! grep -q damaged /run/status.out && { ! grep -q '^! install' /run/status.out || grep -q interrupted /run/status.out; }"
        check "after a SIGKILL at ${delay}s, apply again completes" $bulwark apply /run/p.plan --workspace /home/ann/repo --user ann
        $bulwark plan /run/p.plan --workspace /home/ann/repo --user ann >/run/plan.out 2>&1
        check "and then the plan is empty (delay ${delay}s)" test $? -eq 0
        timeout -s KILL $delay $bulwark revert --all >/dev/null 2>&1
        check "after a SIGKILL during revert, revert again completes (delay ${delay}s)" $bulwark revert --all
        snapshot /run/after
        check "and the machine is as before (delay ${delay}s)" sh -c 'diff /run/before/acl /run/after/acl && diff /run/before/nft /run/after/nft && for f in passwd group shadow gshadow; do cmp /run/before/$f /run/after/$f || exit 1; done'
done

# killed during apply and never re-applied: revert alone undoes what was done
timeout -s KILL 0.05 $bulwark apply /run/p.plan --workspace /home/ann/repo --user ann --threads 1 >/dev/null 2>&1
check "revert undoes an apply that was killed half-way" $bulwark revert --all
snapshot /run/after2
check "and the machine is as before" sh -c 'diff /run/before/acl /run/after2/acl && diff /run/before/nft /run/after2/nft && cmp /run/before/passwd /run/after2/passwd'

finish
