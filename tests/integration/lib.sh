# SPDX-License-Identifier: MIT
# Shared setup for integration tests; sourced inside the namespaces made by run.sh.
set -u
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
check() { # description command...
        desc=$1
        shift
        if "$@" >/run/check.out 2>&1; then ok "$desc"; else bad "$desc"; sed 's/^/     /' /run/check.out | head -20; fi
}
check_fails() { # description command... (the command must fail)
        desc=$1
        shift
        if "$@" >/run/check.out 2>&1; then bad "$desc (it succeeded)"; else ok "$desc"; fi
}
finish() {
        echo "$passed passed, $failed failed"
        [ "$failed" -eq 0 ]
}

# Private copies of everything the enforcer changes: /etc (accounts), /home and /tmp (trees),
# /var/lib (state), /run; a network namespace of our own (nftables).
mount --make-rprivate /
mount -t tmpfs -o mode=0755 tmpfs /run
# the build may live under /tmp or /home, which are about to be hidden: copy what we run
mkdir -p /run/bin
cp "$build/enforcer/bulwark" "$build/enforcer/bulwark-runner" "$build/compiler/bulwarkc" /run/bin/
# a suite that reads more of its own files later (tests/escape) names its directory in carry_src:
# the build and the sources may live under /tmp or /home too
if [ -n "${carry_src:-}" ]; then
        cp -a "$carry_src" /run/src
        carry_src=/run/src
fi
bulwark=/run/bin/bulwark
bulwarkc=/run/bin/bulwarkc
runner=/run/bin/bulwark-runner
for d in /tmp /home /var/lib /var/log; do mount -t tmpfs -o mode=0755 tmpfs "$d"; done
chmod 1777 /tmp
# the caller's directory may be under what was just hidden: stand somewhere that exists
cd /
mkdir -p /run/etc-copy
cp -a /etc/. /run/etc-copy/
# The host's own bulwark state must not leak in: a plan installed on this machine leaves admin
# constraints and trusted keys in /etc/bulwark and bulwark-* accounts in the account files (its
# /var/lib, /var/log and nftables table are already out of reach). Tests start from a host
# that never saw bulwark.
rm -rf /run/etc-copy/bulwark
for f in passwd group shadow gshadow subuid subgid; do
        [ -f "/run/etc-copy/$f" ] && sed -i '/^bulwark-/d' "/run/etc-copy/$f"
done
# and no group lists a bulwark account as a member (",bulwark-x" or ":bulwark-x" in the 4th field)
for f in group gshadow; do
        [ -f "/run/etc-copy/$f" ] && sed -i -E ':a; s/([:,])bulwark-[^,:]*(,|$)/\1\2/; ta; s/,$//; s/,,/,/g; s/:,/:/' "/run/etc-copy/$f"
done
mount --bind /run/etc-copy /etc
ip link set lo up

as_user() { # user command...
        u=$1
        shift
        case $u in
        bw-off-* | bw-on-*) as_sandbox "${BW_WS:-}" "$u" "$@" ;;
        *) setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups --reset-env "$@" ;;
        esac
}

# A sandbox user with exactly the supplementary groups bulwark-runner gives a run of an
# installation (its bindings' groups=), at the DAC level, without the runner's mounts:
# as_sandbox WORKSPACE ACCOUNT command... (WORKSPACE empty: the first installation naming ACCOUNT)
as_sandbox() {
        _as_ws=$1
        _as_u=$2
        shift 2
        _as_b=
        for _as_f in /var/lib/bulwark/installs/*/bindings; do
                [ -f "$_as_f" ] || continue
                grep -Eqx "(offline|online)=$_as_u" "$_as_f" || continue
                if [ -z "$_as_ws" ] || grep -qx "workspace=$_as_ws" "$_as_f"; then
                        _as_b=$_as_f
                        break
                fi
        done
        _as_gids=
        if [ -n "$_as_b" ]; then
                for _as_g in $(sed -n 's/^groups=//p' "$_as_b" | tr ',' ' '); do
                        _as_gid=$(getent group "$_as_g" | cut -d: -f3)
                        [ -n "$_as_gid" ] && _as_gids=${_as_gids:+$_as_gids,}$_as_gid
                done
        fi
        if [ -n "$_as_gids" ]; then
                setpriv --reuid="$_as_u" --regid="$(id -g "$_as_u")" --groups="$_as_gids" --reset-env "$@"
        else
                setpriv --reuid="$_as_u" --regid="$(id -g "$_as_u")" --clear-groups --reset-env "$@"
        fi
}

# Is uid an element of the firewall's set of offline sandbox users?
fw_set_has() {
        nft -j list set inet bulwark offline | /usr/bin/python3 -c 'import json, sys
d = json.load(sys.stdin)
elems = [x["set"] for x in d["nftables"] if "set" in x][0].get("elem", [])
sys.exit(0 if int(sys.argv[1]) in elems else 1)' "$1"
}

# How many uids the firewall's set of offline sandbox users holds.
fw_set_count() {
        nft -j list set inet bulwark offline | /usr/bin/python3 -c 'import json, sys
d = json.load(sys.stdin)
print(len([x["set"] for x in d["nftables"] if "set" in x][0].get("elem", [])))'
}

# The write group of a writable root: bw-w- and 8 hex digits of the SHA-256 of its path.
write_group() {
        printf 'bw-w-%s' "$(printf '%s' "$1" | sha256sum | cut -c1-8)"
}

# A second host: network namespace "peer" behind a veth pair, 10.77.0.1 (and fd77::1) here,
# 10.77.0.2 (and fd77::2) there: an address that is not loopback, for the firewall's tests.
make_peer_host() {
        ip netns add peer
        ip link add v0 type veth peer name v1
        ip link set v1 netns peer
        ip addr add 10.77.0.1/24 dev v0
        ip -6 addr add fd77::1/64 dev v0 nodad
        ip link set v0 up
        ip netns exec peer ip addr add 10.77.0.2/24 dev v1
        ip netns exec peer ip -6 addr add fd77::2/64 dev v1 nodad
        ip netns exec peer ip link set v1 up
        ip netns exec peer ip link set lo up
}
