# SPDX-License-Identifier: MIT
# A warm session keeps the mounts it was built with. Between two commands ann's editor saves .env
# the usual way (a new file renamed over the old one): a read-only bind made on the old file does
# not hold the new one, and the next command, in the same session, must still not write it.
# (Run with --verbose: the attempt counts only if a session was there: the command ran in it, or the
# session saw that its boundary moved, a bound object replaced, and stood down for a cold run.)

session_ctl() { # start|stop
        as_user ann env XDG_RUNTIME_DIR="/run/user/$ann_uid" sh -c 'cd "$1" && shift && exec "$@"' sh "$ws" \
                "$runner" ${run_opts:-} --session "$1" >/run/esc.session 2>&1
}
if [ "$mode" != control ]; then
        session_ctl start || { echo "note: session start failed: $(cat /run/esc.session)"; }
        as_user ann sh -c "cd $ws && cp .env .env.save-tmp && mv .env.save-tmp .env"
        saved_opts=${run_opts:-}
        run_opts="$saved_opts --verbose"
fi
blocked session-stale-bind 'Read-only file system|Permission denied' sh -c 'echo "API_KEY=evil" >>.env'
# (a session that could not be reached, "no usable warm session", leaves a cold run: a skip)
session_was_there() {
        grep -Eq "ran in the warm session|built for another boundary" "$out" && return 0
        echo "session start said:"
        sed 's/^/  /' /run/esc.session
        echo "the run said:"
        sed 's/^/  /' "$out"
        return 1
}
if [ "$mode" != control ] && grep -q "no usable warm session" "$out"; then
        skipped=$((skipped + 1))
        echo "skip [$mode] session-stale-bind: the session could not be reached, the run was cold: $(grep -m1 'no usable' "$out")"
else
        host_check session-stale-bind "a session was there for it (it ran warm, or the session saw the boundary move and stood down)" \
                session_was_there
fi
if [ "$mode" != control ]; then
        run_opts=$saved_opts
        session_ctl stop
        world_reset
fi
