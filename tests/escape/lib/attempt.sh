# SPDX-License-Identifier: MIT
# The vocabulary of the attempt files (tests/escape/attempts/*.sh), sourced by escape.sh after
# tests/integration/lib.sh. Each attempt file is sourced once per phase, with $mode set to:
#   control     the attempts marked -c run as ann OUTSIDE the sandbox and must succeed there:
#               proof that the primitive works on this host, so its failure inside means something
#               (a host that lacks it, e.g. by a sysctl, gets a skip saying so)
#   unelevated  no plan installed for the workspace: the runner keeps ann's uid
#   elevated    `bulwark apply` installed a plan: the runner switches to bw-off-ann
#
#   blocked [-c] [-x] ID REGEX CMD...
#                                 CMD, run in the sandbox, must fail (status neither 0 nor 125;
#                                 -x: 125 too, for a runner run inside) with output matching the
#                                 extended regex REGEX: the expected reason. Status 3 with
#                                 "skip: ..." (probe.py) or 127 (a tool not installed): a skip
#   harmless ID CMD...            CMD may succeed; what counts is that nothing protected changed
#   allowed ID WHY CMD...         CMD must succeed in the sandbox (documented behaviour, WHY)
#   host_check ID DESC CMD...     a check on the host after the attempt ID
#   skip_here ID WHY              no such attempt in this phase (said, and counted)
#   pick UNELEVATED ELEVATED      the expectation for the current mode
#   proof ID CMD...               the control of a harmless attempt: in the control phase only, CMD
#                                 as ann outside the sandbox must succeed (the primitive works)
#
# Every attempt that runs in the sandbox is followed by an integrity check: the state of
# everything outside the writable roots (and of .git and .bulwark inside them) must be as it
# was, and ann's long-running process must still be alive.

skipped=0
out=/run/esc.out

pick() { if [ "$mode" = elevated ]; then printf '%s' "$2"; else printf '%s' "$1"; fi; }

skip_here() { # ID WHY
        [ "$mode" = control ] && return 0
        skipped=$((skipped + 1))
        echo "skip [$mode] $1: $2"
}

# The desktop session a real user would have: the runner must drop all of it.
session_env="SSH_AUTH_SOCK=$agent_tmp DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/$ann_uid/bus \
XDG_RUNTIME_DIR=/run/user/$ann_uid DISPLAY=:0"
# ESC_SESSION=auto (ctest escape-warm): every run goes through a warm session of its boundary,
# started by the first (issue 15: every check must hold with warm sandboxes too)
if [ -n "${ESC_SESSION:-}" ]; then
        session_env="$session_env BULWARK_SESSION=$ESC_SESSION"
fi

# in_sandbox CMD...: CMD as ann, from the workspace, through the runner; output in $out.
# ESC_FD7=PATH: ann's shell opens PATH for appending on descriptor 7 first (a leaked descriptor).
# ESC_FD0=PATH, ESC_FD1=PATH: ann's shell opens PATH as the command's stdin (read-write: a
# terminal) or its stdout (appending: a log); stderr stays $out.
# $run_opts: the runner's options for this phase (unelevated: the workspace's plan, --plan).
# (root's timeout: in elevated mode ann may not signal the runner, which is bw-off-ann then)
in_sandbox() {
        # shellcheck disable=SC2086
        timeout -k 2 20 setpriv --reuid=ann --regid=ann --init-groups --reset-env env $session_env ESC_FD7="${ESC_FD7:-}" \
                ESC_FD0="${ESC_FD0:-}" ESC_FD1="${ESC_FD1:-}" sh -c '
                cd "$1" || exit 90
                shift
                if [ -n "$ESC_FD7" ]; then exec 7>>"$ESC_FD7"; fi
                if [ -n "$ESC_FD0" ]; then exec 0<>"$ESC_FD0"; fi
                if [ -n "$ESC_FD1" ]; then exec 1>>"$ESC_FD1"; fi
                exec "$@"' sh "$ws" "$runner" ${run_opts:-} -- "$@" >"$out" 2>&1 </dev/null
}

# sandboxed CMD...: in_sandbox, with the output on stdout (for check)
sandboxed() {
        in_sandbox "$@"
        st=$?
        cat "$out"
        return $st
}

# outside CMD...: CMD as ann, from the workspace, with no sandbox; output in $out
outside() {
        timeout -k 2 20 setpriv --reuid=ann --regid=ann --init-groups --reset-env env ESC_FD0="${ESC_FD0:-}" \
                ESC_FD1="${ESC_FD1:-}" sh -c 'cd "$1" && shift
                if [ -n "$ESC_FD0" ]; then exec 0<>"$ESC_FD0"; fi
                if [ -n "$ESC_FD1" ]; then exec 1>>"$ESC_FD1"; fi
                exec "$@"' sh "$ws" "$@" >"$out" 2>&1 </dev/null
}

show_out() { sed 's/^/     /' "$out" | head -15; }

# What must not change: everything outside the workspace that the attempts aim at, and the
# carve-outs inside it (names, types, modes, owners, sizes, mtimes, ctimes, link counts: ctime
# moves on any write, chmod, ACL, xattr or link), and ann's process.
state() {
        {
                # (the runner's own tree index, under bulwark/ in the runtime dir or cache, is skipped)
                find /home /etc /var/lib/bulwark /var/tmp /run/bin /var/lib/escape-tools /run/user /run/postgresql /tmp /dev/shm \
                        \( -path "$ws" -o -path '/run/user/*/bulwark' -o -path '/home/*/.cache/bulwark' \) -prune -o \
                        -printf '%p %y %m %U:%G %s %T@ %C@ %n\n' 2>/dev/null
                # shellcheck disable=SC2086 # $state_extra: more carve-outs of the world (escape.sh)
                find "$ws/.git" "$ws/.bulwark" "$ws/vendor/lib/.git" ${state_extra:-} -printf '%p %y %m %U:%G %s %T@ %C@ %n\n' 2>/dev/null
                getfacl -R -p -n "$ws/.git" "$ws/.bulwark" 2>/dev/null | md5sum | sed 's/^/acl-of-carve-outs /'
                kill -0 "$ann_sleep" 2>/dev/null && echo "ann's sleep $ann_sleep is alive"
        } | LC_ALL=C sort
}

# integrity ID BEFORE_FILE: the state now must equal the one saved before the attempt
integrity() {
        state >/run/esc.state.after
        if cmp -s "$2" /run/esc.state.after; then
                return 0
        fi
        bad "[$mode] $1: CHANGED PROTECTED STATE (an escape):"
        diff "$2" /run/esc.state.after | head -10 | sed 's/^/     /'
}

blocked() { # [-c] [-x] ID REGEX CMD...
        control=false refusal_ok=false
        if [ "$1" = -c ]; then
                control=true
                shift
        fi
        if [ "$1" = -x ]; then
                refusal_ok=true
                shift
        fi
        id=$1 re=$2
        shift 2
        if [ "$mode" = control ]; then
                $control || return 0
                outside "$@"
                st=$?
                if [ $st -eq 0 ]; then ok "[control] $id: works outside the sandbox"; else
                        # a host without the feature (a sysctl, an emulation layer): the attempt proves less here
                        skipped=$((skipped + 1))
                        echo "skip [control] $id: does not work outside the sandbox either (status $st: $(head -1 "$out"))"
                fi
                return 0
        fi
        state >/run/esc.state.before
        in_sandbox "$@"
        st=$?
        if [ $st -eq 0 ]; then
                bad "[$mode] $id: ESCAPED (the command succeeded in the sandbox)"
                show_out
        elif [ $st -eq 125 ] && ! $refusal_ok; then
                bad "[$mode] $id: the sandbox did not start (125), so this proves nothing"
                show_out
        elif grep -q '^skip: ' "$out" && [ $st -eq 3 ]; then
                skipped=$((skipped + 1))
                echo "skip [$mode] $id: $(sed -n 's/^skip: //p' "$out")"
        elif [ $st -eq 127 ] && grep -Eq '^bulwark run: [^:]*: No such file or directory|: not found$|failed to run command' "$out"; then
                skipped=$((skipped + 1))
                echo "skip [$mode] $id: a tool it needs is not installed: $(head -1 "$out")"
        elif why=$(grep -a -E -o -m1 -e "$re" "$out"); then
                ok "[$mode] $id: $why"
        else
                bad "[$mode] $id: failed (status $st), but not for the expected reason /$re/:"
                show_out
        fi
        integrity "$id" /run/esc.state.before
}

harmless() { # ID CMD...
        [ "$mode" = control ] && return 0
        id=$1
        shift
        state >/run/esc.state.before
        in_sandbox "$@"
        st=$?
        if [ $st -eq 125 ]; then
                bad "[$mode] $id: the sandbox did not start (125), so this proves nothing"
                show_out
        elif state | cmp -s /run/esc.state.before -; then
                ok "[$mode] $id: ran (status $st) and changed nothing outside the writable roots"
        fi
        integrity "$id" /run/esc.state.before
}

allowed() { # ID WHY CMD...
        [ "$mode" = control ] && return 0
        id=$1 why=$2
        shift 2
        state >/run/esc.state.before
        in_sandbox "$@"
        st=$?
        if [ $st -eq 0 ]; then ok "[$mode] $id: allowed, as documented: $why"; else
                bad "[$mode] $id: expected to work ($why), status $st"
                show_out
        fi
        integrity "$id" /run/esc.state.before
}

host_check() { # ID DESC CMD...
        [ "$mode" = control ] && return 0
        id=$1 desc=$2
        shift 2
        check "[$mode] $id: $desc" "$@"
}

proof() { # ID CMD...
        [ "$mode" = control ] || return 0
        id=$1
        shift
        outside "$@"
        st=$?
        if [ $st -eq 0 ]; then ok "[control] $id: works outside the sandbox"; else
                skipped=$((skipped + 1))
                echo "skip [control] $id: does not work outside the sandbox either (status $st: $(head -1 "$out"))"
        fi
}
