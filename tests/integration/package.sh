#!/bin/sh
# SPDX-License-Identifier: MIT
# The Debian package (cmake/Packaging.cmake), installed and purged for real with dpkg, without
# touching the host: dpkg works on a private copy of its database (/var/lib is a tmpfs here),
# /usr is an overlay whose writes go to a tmpfs, /etc is lib.sh's private copy, and the build
# directory is an overlay too (CPack's install step writes install_manifest.txt there).
# Checks: the package's metadata (every library the binaries need comes from a package it
# depends on; libnftables1, which is dlopen()ed, too; root-owned files; maintainer scripts),
# install (the runner gets exactly cap_setuid,cap_setgid=ep; bulwark --version; an elevated
# run), bulwark apply, then purge: the installation reverted (no sandbox accounts, no ACLs, no
# firewall table), no state or audit log, no files; remove and purge as two steps; the uninstall
# target of a `cmake --install`.
# A .deb built elsewhere (scripts/package.sh) can be given as BULWARK_PACKAGE=PATH.
build=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
for tool in dpkg dpkg-deb cpack setcap getcap objdump; do
        if ! command -v "$tool" >/dev/null 2>&1; then
                echo "SKIP package: $tool is not installed (scripts/install-deps.sh installs it)"
                exit 77
        fi
done
if [ -z "${BULWARK_PACKAGE:-}" ] && grep -Eq '^BULWARK_(SANITIZE|TSAN):BOOL=ON' "$build/CMakeCache.txt"; then
        echo "SKIP package: $build is a sanitizer build, which is not packaged (scripts/package.sh makes a release build)"
        exit 77
fi

# Everything private from here on, before lib.sh hides /var/lib, /tmp and /home: /var/cache
# holds the package, the overlays' upper layers and a copy of the dpkg database.
set -eu
mount --make-rprivate /
mount -t tmpfs -o mode=0755 tmpfs /var/cache
w=/var/cache/bulwark-test
mkdir -p $w/usr-up $w/usr-work $w/b-up $w/b-work $w/pkg $w/host-usr $w/host-dpkg
cp -a /var/lib/dpkg $w/dpkg
cp "$src/cmake/Uninstall.cmake" $w/
# the host's own /usr and dpkg database, read-only, to check at the end that nothing reached them
mount --bind -o ro /usr $w/host-usr
mount --bind -o ro /var/lib/dpkg $w/host-dpkg
host_status=$(md5sum <$w/host-dpkg/status)
mount -t overlay overlay -o "lowerdir=$build,upperdir=$w/b-up,workdir=$w/b-work" "$build"
mount -t overlay overlay -o "lowerdir=/usr,upperdir=$w/usr-up,workdir=$w/usr-work" /usr
if [ -n "${BULWARK_PACKAGE:-}" ]; then
        cp "$BULWARK_PACKAGE" $w/pkg/
else
        (cd $w/pkg && cpack --config "$build/CPackConfig.cmake" -G DEB -B $w/pkg >$w/cpack.log 2>&1) || {
                cat $w/cpack.log
                exit 1
        }
fi
deb=$(ls $w/pkg/*.deb)
# the uninstall target's test needs the build directory, which lib.sh hides: install now
cmake --install "$build" --prefix /usr/local >$w/install.log 2>&1 || {
        cat $w/install.log
        exit 1
}
set +eu

. "$(dirname "$0")/lib.sh"
set -u
rm -rf /var/lib/dpkg
cp -a $w/dpkg /var/lib/dpkg

owner() { # the package that ships a library (merged /usr: dpkg knows one of its two names)
        for p in "$1" "$(readlink -f "$1")"; do
                for q in "$p" "/usr$p" "${p#/usr}"; do
                        o=$(dpkg -S "$q" 2>/dev/null | head -n 1 | cut -d: -f1) && [ -n "$o" ] && echo "$o" && return
                done
        done
}

# --- the package itself --------------------------------------------------------------------
dpkg-deb -f "$deb" Depends >/run/depends.txt
check "the package depends on libnftables1 (dlopen()ed: no linker sees it)" grep -q 'libnftables1' /run/depends.txt
mkdir /run/x && dpkg-deb -x "$deb" /run/x
for b in bulwark bulwark-runner bulwarkc; do
        for lib in $(objdump -p /run/x/usr/bin/$b | awk '$1 == "NEEDED" { print $2 }'); do
                pkg=$(owner "$(ldconfig -p | awk -v l="$lib" '$1 == l { print $NF; exit }')")
                check "$b needs $lib: package ${pkg:-?} is a dependency" \
                        sh -c "[ -n '$pkg' ] && tr ',' '\n' </run/depends.txt | grep -q '^ *$pkg\\( \\|\$\\)'"
        done
done
check_fails "libseccomp is build-time only (not a dependency)" grep -q libseccomp /run/depends.txt
check "every file in the package is root's" sh -c "dpkg-deb -c '$deb' | awk '\$2 != \"root/root\" { exit 1 }'"
dpkg-deb -I "$deb" >/run/info.txt
check "the package has postinst, prerm and postrm" sh -c 'grep -q " postinst " /run/info.txt && grep -q " prerm " /run/info.txt && grep -q " postrm " /run/info.txt'
check "the package ships both man pages" test -f /run/x/usr/share/man/man1/bulwark.1 -a -f /run/x/usr/share/man/man1/bulwarkc.1

# --- install, apply, purge -------------------------------------------------------------------
useradd -m -d /home/ann -s /bin/sh ann
mkdir -p /home/ann/repo/src /home/ann/repo/.git /home/ann/repo/.bulwark # (a run makes .bulwark if missing)
echo x >/home/ann/repo/src/f
chown -R ann:ann /home/ann
getfacl -R -p /home/ann/repo >/run/acl.before 2>/dev/null
cp /etc/passwd /run/passwd.before
cp /etc/group /run/group.before
W="--workspace /home/ann/repo --user ann"

check "dpkg -i installs the package" dpkg -i --no-triggers "$deb"
check "  ...dpkg knows it as installed" sh -c "dpkg-query -W -f='\${Status}' bulwark | grep -q 'install ok installed'"
getcap /usr/bin/bulwark-runner >/run/caps.txt 2>&1
check "  ...the runner has exactly cap_setgid,cap_setuid=ep" grep -q '^/usr/bin/bulwark-runner cap_setgid,cap_setuid=ep$' /run/caps.txt
check "  ...the runner is root's, 0755, no setuid bit" test "$(stat -c '%U:%G %a' /usr/bin/bulwark-runner)" = "root:root 755"
check "  ...bulwark --version runs" sh -c '/usr/bin/bulwark --version | grep -q "[0-9]\.[0-9]"'
check "  ...bulwarkc --version runs" /usr/bin/bulwarkc --version
check "  ...nothing reached the host's /usr" test ! -e $w/host-usr/bin/bulwark

/usr/bin/bulwarkc builtin:workspace-write -o /run/p.plan 2>/dev/null
check "bulwark apply installs a plan" /usr/bin/bulwark apply /run/p.plan $W
check "  ...the sandbox accounts exist" getent passwd bw-off-ann
check "  ...the workspace has ACLs" sh -c 'getfacl -p /home/ann/repo | grep -q bw-w-'
check "  ...bulwark status: in force" /usr/bin/bulwark status
check "  ...the runner kept its capabilities" sh -c 'getcap /usr/bin/bulwark-runner | grep -q cap_setgid,cap_setuid=ep'
as_user ann sh -c 'cd /home/ann/repo && /usr/bin/bulwark run -- id -un' >/run/run.out 2>&1
check "an elevated run uses the installed runner's capabilities (runs as bw-off-ann)" grep -qx bw-off-ann /run/run.out

check "dpkg --purge removes the package" dpkg --purge --no-triggers bulwark
check "  ...the installation was reverted: no sandbox accounts" sh -c '! grep -q "^bulwark-" /etc/passwd /etc/group'
check "  ...the account files are as before" sh -c 'cmp /etc/passwd /run/passwd.before && cmp /etc/group /run/group.before'
getfacl -R -p /home/ann/repo >/run/acl.after 2>/dev/null
check "  ...no ACLs left on the workspace (getfacl -R as before)" diff /run/acl.before /run/acl.after
check "  ...no ACL left anywhere under /home and /tmp" test -z "$(getfacl -R -p -s /home /tmp 2>/dev/null)"
check_fails "  ...no firewall table" nft list table inet bulwark
check "  ...no state directory, no audit log" test ! -e /var/lib/bulwark -a ! -e /var/log/bulwark
check "  ...no files" sh -c 'for f in /usr/bin/bulwark /usr/bin/bulwark-runner /usr/bin/bulwarkc /usr/share/bulwark /usr/share/man/man1/bulwark.1; do test ! -e $f || exit 1; done'
check "  ...dpkg forgot it" sh -c "! dpkg-query -W -f='\${Status}' bulwark 2>/dev/null | grep -q installed"

# remove, then purge: removal reverts (the journals need bulwark), purge removes the state
dpkg -i --no-triggers "$deb" >/dev/null 2>&1
/usr/bin/bulwark apply /run/p.plan $W >/dev/null 2>&1
check "dpkg -r removes the package" dpkg -r --no-triggers bulwark
getfacl -R -p /home/ann/repo >/run/acl.after 2>/dev/null
check "  ...and reverted the installation" sh -c '! grep -q "^bulwark-" /etc/passwd && cmp /run/acl.before /run/acl.after'
check "  ...the runner is gone (and its capabilities with it)" test ! -e /usr/bin/bulwark-runner
check "dpkg --purge after remove" dpkg --purge --no-triggers bulwark
check "  ...removes the state and the audit log" test ! -e /var/lib/bulwark -a ! -e /var/log/bulwark
check "the host's dpkg database was never touched" test "$(md5sum <$w/host-dpkg/status)" = "$host_status"
check "  ...nor its /usr" test ! -e $w/host-usr/bin/bulwark -a ! -e $w/host-usr/local/bin/bulwark

# --- the uninstall target (cmake --install ran above, into the /usr overlay) -----------------
setcap cap_setuid,cap_setgid=ep /usr/local/bin/bulwark-runner
manifest=$w/b-up/install_manifest.txt
check "cmake --install wrote a manifest" test -s $manifest
cmake -DBW_MANIFEST=$manifest -P $w/Uninstall.cmake >/run/uninstall.out 2>&1
check "the uninstall script removes every file of the manifest" sh -c "for f in \$(cat $manifest); do test ! -e \$f || exit 1; done"
check "  ...the runner's capabilities first" grep -q 'Capabilities removed: /usr/local/bin/bulwark-runner' /run/uninstall.out
check "  ...and bulwark's own directories" test ! -e /usr/local/share/bulwark
finish
