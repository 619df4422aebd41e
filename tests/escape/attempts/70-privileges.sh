# SPDX-License-Identifier: MIT
# Getting more rights than the sandbox has: setuid and file-capability binaries (no_new_privs,
# nosuid), new user namespaces (seccomp: EPERM; clone3: ENOSYS), ids that do not exist in the
# sandbox's user namespace (EINVAL), the runner itself run again from inside.

blocked -c priv-setuid-copy 'euid [1-9][0-9]*$' sh -c 'u=$(/var/lib/escape-tools/suid-id -u); echo "euid $u"; [ "$u" = 0 ]'
blocked -c priv-file-caps 'Permission denied' /var/lib/escape-tools/capcat /etc/shadow
blocked priv-su 'Authentication failure|must be run from a terminal|Permission denied' sh -c 'su -c "id -u" root </dev/null'
blocked -c priv-unshare-U 'Operation not permitted' unshare -U true
blocked -c priv-unshare-r 'Operation not permitted' unshare -r id -u
blocked priv-unshare-net 'Operation not permitted' unshare -n true
blocked -c priv-unshare-syscall 'Operation not permitted \(unshare\)' "$probe" unshare-user
blocked -c priv-clone-newuser 'Operation not permitted \(clone\)' "$probe" clone-user
blocked -c priv-clone3-newuser 'Function not implemented \(clone3\)' "$probe" clone3-user
blocked priv-setuid-root 'Invalid argument' "$probe" setuid 0
if [ "$mode" = elevated ]; then
        blocked priv-setuid-ann 'Invalid argument' "$probe" setuid "$ann_uid"
fi
allowed priv-no-caps "no capabilities, no_new_privs, a seccomp filter" sh -c '
        grep -cE "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb):[[:space:]]+0+$" /proc/self/status | grep -qx 5 &&
        grep -qE "^NoNewPrivs:[[:space:]]+1$" /proc/self/status && grep -qE "^Seccomp:[[:space:]]+2$" /proc/self/status'
# Inside, root's files belong to nobody (root is not mapped): a nested runner cannot trust the
# state directory and refuses (125); were it to run, the outer sandbox would still hold.
blocked -x priv-nested-runner "already inside .*sandbox|not a root-owned directory|$(pick 'Read-only file system' 'Permission denied')" \
        /var/lib/escape-tools/nested-runner --workspace /home/ann -- sh -c 'echo evil >>/home/ann/outside.txt'
# A setuid file of the sandbox's own user, planted for someone outside to run. Unelevated it is
# ann's own uid (nothing gained); elevated it would be bw-off-ann's (ann's offline sandbox user),
# run outside any sandbox.
if [ "$mode" = elevated ]; then
        blocked priv-plant-setuid 'Operation not permitted' sh -c 'cp /usr/bin/id planted-id && chmod u+s planted-id && ls -l planted-id && test -u planted-id'
        host_check priv-plant-setuid "no setuid or setgid file of the sandbox user in the workspace" \
                sh -c "test -z \"\$(find $ws -perm /6000 -user bw-off-ann)\""
        host_check priv-plant-setuid "ann, running the planted file outside any sandbox, does not become bw-off-ann" \
                sh -c "! test -e $ws/planted-id || setpriv --reuid=ann --regid=ann --init-groups $ws/planted-id -un | grep -qx ann"
else
        skip_here priv-plant-setuid "a setuid file of ann's own uid gains ann nothing"
fi
