# SPDX-License-Identifier: MIT
# The README's walkthrough, run verbatim: the shell block after the marker
# "<!-- walkthrough: ... -->" in README.md, line by line, in order, as a newcomer would type it:
# as ann in ~/src/myrepo (a git repository with a Makefile), `sudo` lines as root with ann as
# SUDO_USER (~ expanded by ann's shell first, as a real sudo sees it). After each line the test
# checks what the README says it does; a line it does not know fails the test, so the README and
# this test cannot drift apart silently.
readme=$(dirname "$0")/../../README.md
block=$(awk '/<!-- walkthrough:/ { on = 1; next } on && /^```sh/ { inblock = 1; next }
        inblock && /^```/ { exit } inblock { print }' "$readme")
build=$1
. "$(dirname "$0")/lib.sh"

if [ -z "$block" ]; then
        bad "README.md has the walkthrough block (after the <!-- walkthrough: --> marker)"
        finish
        exit
fi
useradd -m -s /bin/sh ann
mkdir -p /home/ann/src/myrepo
printf 'all:\n\techo built >out.txt\n' >/home/ann/src/myrepo/Makefile
git -C /home/ann/src/myrepo init -q
chown -R ann:ann /home/ann
ann_uid=$(id -u ann)
cwd=/home/ann
config_before=$(sha256sum /home/ann/src/myrepo/.git/config)

as_ann() { # line
        (cd "$cwd" && setpriv --reuid=ann --regid=ann --init-groups env -i HOME=/home/ann USER=ann LOGNAME=ann \
                PATH=/run/bin:/usr/bin:/bin sh -c "$1")
}
as_sudo() { # line: ann's shell expands it, sudo runs it as root
        (cd "$cwd" && env -i HOME=/home/ann PATH=/run/bin:/usr/sbin:/usr/bin:/sbin:/bin SUDO_USER=ann \
                SUDO_UID="$ann_uid" sh -c "sudo() { HOME=/root \"\$@\"; }; $1")
}

lines=0
printf '%s\n' "$block" >/run/walkthrough.txt
while IFS= read -r line; do
        cmd=${line%%#*}
        cmd=$(printf '%s' "$cmd" | sed 's/[[:space:]]*$//')
        [ -z "$cmd" ] && continue
        lines=$((lines + 1))
        case $cmd in
        "cd "*)
                cwd=$(HOME=/home/ann sh -c "$cmd && pwd")
                check "$cmd" test "$cwd" = /home/ann/src/myrepo
                continue
                ;;
        sudo*) as_sudo "$cmd" </dev/null >/run/out.txt 2>&1 ;;
        *) as_ann "$cmd" </dev/null >/run/out.txt 2>&1 ;;
        esac
        status=$?
        sed 's/^/     | /' /run/out.txt | head -8
        case $cmd in
        "bulwark init")
                check "$cmd: wrote the policy" sh -c "test $status -eq 0 && test -f $cwd/.bulwark/policy.yaml" ;;
        "bulwark trust")
                check "$cmd: trusted" sh -c "test $status -eq 0 && grep -q '^Trusted' /run/out.txt" ;;
        "bulwark run -- make")
                check "$cmd: built in the sandbox" sh -c "test $status -eq 0 && test -f $cwd/out.txt" ;;
        "bulwark run -- sh -c 'echo x >>.git/config'")
                check "$cmd: refused, .git/config unchanged" sh -c "test $status -ne 0 &&
                        grep -q 'Read-only file system' /run/out.txt &&
                        test \"\$(sha256sum /home/ann/src/myrepo/.git/config)\" = '$config_before'" ;;
        "bulwarkc .bulwark/policy.yaml"*)
                check "$cmd: compiled" sh -c "test $status -eq 0 && test -s /home/ann/myrepo.plan" ;;
        "bulwark plan ~/myrepo.plan")
                check "$cmd: exit 2, changes listed" sh -c "test $status -eq 2 && grep -q '^+ user   bw-off-ann' /run/out.txt" ;;
        "sudo bulwark apply ~/myrepo.plan")
                check "$cmd: applied (no question off a terminal)" sh -c "test $status -eq 0 && getent passwd bw-off-ann" ;;
        "bulwark run -- id -un")
                check "$cmd: elevated, as the sandbox user" sh -c "test $status -eq 0 && grep -qx bw-off-ann /run/out.txt" ;;
        "sudo bulwark status")
                check "$cmd: exit 0, in force" test "$status" -eq 0 ;;
        "sudo bulwark revert ~/src/myrepo")
                check "$cmd: reverted, the sandbox accounts are gone" sh -c "test $status -eq 0 &&
                        ! getent passwd bw-off-ann && ! test -e /var/lib/bulwark/installs/*" ;;
        *)
                bad "a README walkthrough line this test does not check: $cmd (add its check here)" ;;
        esac
done </run/walkthrough.txt
check "the walkthrough has its eleven lines" test "$lines" -eq 11
finish
