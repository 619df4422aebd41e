# SPDX-License-Identifier: MIT
# The perimeter of a warm session, from a command that runs in it: pid 1 of the command's pid
# namespace is then the session's command monitor, which holds the client's connection; init, the
# monitor in waiting and the other commands are in other pid namespaces. The command may not take
# the monitor's descriptors (pidfd_getfd, /proc/1/fd), read its environment, signal it away, nor
# reach the session's socket (hidden with the runner's state) to ask the session for a command of
# its own. And what 30-links-proc.sh checks cold: no descriptor beyond 0, 1, 2.
# (Run with --verbose: each attempt counts only if it ran in the session.)

session_ctl() { # start|stop
        as_user ann env XDG_RUNTIME_DIR="/run/user/$ann_uid" sh -c 'cd "$1" && shift && exec "$@"' sh "$ws" \
                "$runner" ${run_opts:-} --session "$1" >/run/esc.session 2>&1
}
sp_warm() { # ID: the last attempt ran in the session, or a skip said
        [ "$mode" = control ] && return 0
        if grep -q "ran in the warm session" "$out"; then return 0; fi
        skipped=$((skipped + 1))
        echo "skip [$mode] $1: the command did not run in the session: $(grep -m1 'bulwark run' "$out")"
}
if [ "$mode" != control ]; then
        session_ctl start || echo "note: session start failed: $(cat /run/esc.session)"
        sp_saved_opts=${run_opts:-}
        run_opts="$sp_saved_opts --verbose" # (the client finds its session through $session_env's XDG_RUNTIME_DIR)
fi
blocked session-monitor-getfd 'Operation not permitted|Permission denied' "$probe" pidfd-getfd 1
sp_warm session-monitor-getfd
blocked session-monitor-fds 'Permission denied' sh -c 'ls -l /proc/1/fd/ && for f in /proc/1/fd/*; do ls "$f/" && exit 0; done; exit 1'
sp_warm session-monitor-fds
blocked session-monitor-environ 'Permission denied' sh -c 'cat /proc/1/environ | tr "\0" "\n" | grep . && exit 0; exit 1'
sp_warm session-monitor-environ
blocked session-own-fds 'only 0, 1, 2' sh -c 'n=$(ls /proc/self/fd | grep -vxE "[0-3]" | tr "\n" " "); ls -l /proc/self/fd >&2; [ -n "$n" ] && { echo "more: $n"; exit 0; }; echo "only 0, 1, 2"; exit 1'
sp_warm session-own-fds
blocked session-socket-reach 'No such file or directory|Permission denied|Connection refused' \
        "$probe" unix "/run/user/$ann_uid/bulwark/sessions/$(ls /run/user/$ann_uid/bulwark/sessions 2>/dev/null | grep -m1 '\.sock$')"
sp_warm session-socket-reach
# kill -9 of pid 1 (the monitor) is ignored by the kernel for a namespace's init from inside it;
# the next command must still run warm
harmless session-monitor-kill sh -c 'kill -9 1; kill -9 -1; exit 0'
sp_still_warm() {
        in_sandbox true && grep -q "ran in the warm session" "$out" && return 0
        show_out
        return 1
}
host_check session-monitor-kill "the next command still runs in the session" sp_still_warm
if [ "$mode" != control ]; then
        run_opts=$sp_saved_opts
        session_ctl stop
fi
