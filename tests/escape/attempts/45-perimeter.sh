# SPDX-License-Identifier: MIT
# Issue #11: the runner's perimeter. Credentials in the caller's environment; AF_VSOCK (which no
# network namespace separates) offline; host service sockets outside /run, and a socket of ann's
# outside every hidden path; ${tmpdir} bound at compile time to a shared host directory; a
# workspace path so long that a protected name below it would not fit in PATH_MAX.

# ---- credentials in the caller's environment ----
cred_names='AWS_SECRET_ACCESS_KEY|GITHUB_TOKEN|ANTHROPIC_API_KEY|OPENAI_API_KEY|NPM_TOKEN|MY_DB_PASSWORD'
cred_env="AWS_SECRET_ACCESS_KEY=esc-aws GITHUB_TOKEN=esc-gh ANTHROPIC_API_KEY=esc-ant OPENAI_API_KEY=esc-oai \
NPM_TOKEN=esc-npm MY_DB_PASSWORD=esc-db"
# shellcheck disable=SC2086
proof env-credentials env $cred_env sh -c 'test "$(env | grep -cE "^('"$cred_names"')=")" -eq 6'
saved_session_env=$session_env
session_env="$session_env $cred_env"
blocked env-credentials 'credential variables: none' sh -c \
        'env | grep -E "^('"$cred_names"')=" || { echo "credential variables: none"; exit 1; }'
# the sandbox's init was started with them: its environment is not the command's to read either
blocked env-credentials-init 'Permission denied|credentials: none in init' sh -c \
        'cat /proc/1/environ >/dev/null && { tr "\0" "\n" </proc/1/environ | grep -E "^('"$cred_names"')=" ||
                { echo "credentials: none in init'\''s environment"; exit 1; }; }'
session_env=$saved_session_env

# ---- AF_VSOCK, offline: the hypervisor and other VMs are not behind the network namespace ----
blocked -c net-vsock 'Operation not permitted \(socket vsock\)|Address family not supported by protocol \(socket vsock\)' \
        "$probe" vsock 19999

# ---- host service sockets outside /run ----
# sssd's NSS socket (0666 under /var/lib): a read-only mount does not stop connect()
blocked -c ipc-var-lib-socket 'Permission denied|No such file or directory|Connection refused' "$probe" unix "$sss_sock"
# ann's own socket outside every hidden path (~/.local/share): elevated the sandbox user is not
# ann (EACCES: a 0600 socket, a 0700 home); unelevated only Landlock's pathname-socket right (ABI
# 9) can refuse connect() to it
ll_abi=$(sed -n 's/.*Landlock ABI \([0-9][0-9]*\).*/\1/p' /run/esc.verbose 2>/dev/null | head -1)
if [ "$mode" = elevated ] || [ "${ll_abi:-0}" -ge 9 ]; then
        blocked -c ipc-home-socket 'Permission denied|No such file or directory|Connection refused' "$probe" unix "$app_sock"
else
        proof ipc-home-socket "$probe" unix "$app_sock"
        skip_here ipc-home-socket "Landlock ABI ${ll_abi:-?} here: restricting connect() to a path socket needs ABI 9 \
(LANDLOCK_ACCESS_FS_RESOLVE_UNIX); documented in the README's limits"
fi

# ---- ${tmpdir} bound at compile time to a shared host directory ----
# TMPDIR must still be a private tmpfs, and the shared directory must not be the sandbox's to write
[ -f /var/lib/escape-tools/shared-tmp.plan ] ||
        $bulwarkc builtin:workspace-write -D tmpdir=/var/lib/shared-tmp -o /var/lib/escape-tools/shared-tmp.plan >/run/esc.compile 2>&1 ||
        cat /run/esc.compile
chmod 644 /var/lib/escape-tools/shared-tmp.plan 2>/dev/null
tmpdir_attempts() {
        # the shared directory is where the run's private tmpfs is mounted: a write lands there
        proof tmpdir-bound-shared sh -c 'echo x >/var/lib/shared-tmp/from-ann && rm /var/lib/shared-tmp/from-ann'
        harmless tmpdir-bound-shared sh -c 'echo evil >/var/lib/shared-tmp/from-sandbox'
        host_check tmpdir-bound-shared "the shared /var/lib/shared-tmp got nothing (the run had a private tmpfs there)" \
                sh -c 'test ! -e /var/lib/shared-tmp/from-sandbox'
        rm -f /var/lib/shared-tmp/from-sandbox
        proof tmpdir-bound-private sh -c 'echo x >"${TMPDIR:-/tmp}/esc-t" && rm "${TMPDIR:-/tmp}/esc-t"'
        allowed tmpdir-bound-private "\$TMPDIR is writable (a private tmpfs)" sh -c 'echo x >"$TMPDIR/t" && test "$(cat "$TMPDIR/t")" = x'
        host_check tmpdir-bound-private "nothing of the sandbox's reached the shared /var/lib/shared-tmp" \
                sh -c 'test -z "$(ls -A /var/lib/shared-tmp)"'
        rm -rf /var/lib/shared-tmp/* 2>/dev/null
}
if [ "$mode" = elevated ]; then
        # a second installation of ann's, whose plan bound ${tmpdir} at compile time
        as_user ann mkdir -p /home/ann/ws-shared-tmp
        if $bulwark apply /var/lib/escape-tools/shared-tmp.plan --workspace /home/ann/ws-shared-tmp --user ann >/run/esc.apply2 2>&1; then
                saved_ws=$ws
                ws=/home/ann/ws-shared-tmp
                in_sandbox true # (the runner's placeholders for .git and .bulwark, before the state is taken)
                tmpdir_attempts
                ws=$saved_ws
        else
                bad "[elevated] tmpdir-bound: apply of a plan with \${tmpdir} bound at compile time:"
                sed 's/^/     /' /run/esc.apply2 | grep -v '^     [+?=] ' | head -5
        fi
        shared_id=$($bulwark show /var/lib/escape-tools/shared-tmp.plan 2>/dev/null | sed -n 's/.*plan \([0-9a-f]\{12\}\).*/\1/p' | head -1)
        [ -n "$shared_id" ] && $bulwark revert "$shared_id" >/run/esc.revert2 2>&1 ||
                { echo "note: revert of the shared-tmp installation: $(tail -2 /run/esc.revert2 2>/dev/null)"; }
        rm -rf /home/ann/ws-shared-tmp
else
        saved_run_opts=${run_opts:-}
        run_opts="--plan /var/lib/escape-tools/shared-tmp.plan"
        tmpdir_attempts
        run_opts=$saved_run_opts
fi

# ---- a workspace path of ~4,091 bytes: ${workspace}/.git would not fit in PATH_MAX ----
if [ "$mode" = control ]; then
        as_user ann python3 -c '
import os
p = "/home/ann/long"
while len(p) < 4091 - 201:
    p += "/" + "d" * 200
p += "/" + "e" * (4091 - len(p) - 1)
os.makedirs(p)
os.chdir(p)
os.mkdir(".git")
with open(".git/config", "w") as f: f.write("[core]\n")
print(len(p))' >/run/esc.long
        long_ws=$(find /home/ann/long -depth -name .git -printf '%h\n' 2>/dev/null | head -1)
        check "[control] long-workspace: ann has a workspace of $(cat /run/esc.long) bytes, with a .git below it" \
                as_user ann sh -c 'cd "$1" && test -f .git/config' sh "$long_ws"
fi
long_ws=$(find /home/ann/long -depth -name .git -printf '%h\n' 2>/dev/null | head -1)
long_run() {
        timeout -k 2 20 setpriv --reuid=ann --regid=ann --init-groups --reset-env sh -c 'cd "$1" && shift && exec "$@"' sh "$long_ws" \
                "$runner" -- sh -c 'echo "[core] fsmonitor = /tmp/evil" >>.git/config' >/run/esc.long.out 2>&1 </dev/null
        st=$?
        head -c 300 /run/esc.long.out
        echo "(status $st)"
        [ $st -eq 125 ] && grep -Eq 'too long|longer than [0-9]+ bytes' /run/esc.long.out
}
if [ "$mode" != control ] && [ -n "$long_ws" ]; then
        check "[$mode] long-workspace: the runner refuses (125, the path is too long) rather than protect truncated names" long_run
        host_check long-workspace "the .git below the long workspace is unchanged" \
                sh -c "cd $long_ws && ! grep -q evil .git/config"
        (cd "$long_ws" && printf '[core]\n' >.git/config)
fi
