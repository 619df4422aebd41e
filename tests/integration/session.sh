#!/bin/sh
# SPDX-License-Identifier: MIT
# Warm sessions (bulwark session start|stop|list, enforcer/runner/session.h): a run in a session
# holds the same boundary as a cold one, one command cannot see another's environment, a changed
# boundary runs cold and rebuilds, a client that dies hangs its command up, a session that dies
# ends its client's run with 125, only the user who started it can use it. Unelevated and elevated.
build=$1
. "$(dirname "$0")/lib.sh"

if ! unshare -U true 2>/dev/null; then
        echo "SKIP session: this kernel does not let processes create user namespaces"
        finish
        exit 77 # ctest: skipped
fi

useradd -m -d /home/ann -s /bin/sh ann
useradd -m -d /home/bob -s /bin/sh bob
chmod 700 /home/ann /home/bob
mkdir -p /home/ann/ws/.git /home/ann/ws/src /home/ann/ews/.git /home/ann/ews/src
echo '[core]' >/home/ann/ws/.git/config
echo '[core]' >/home/ann/ews/.git/config
chown -R ann:ann /home/ann
mkdir -p /run/user/1001
chown ann:ann /run/user/1001
chmod 700 /run/user/1001

in_ws() { # dir command... : as ann, from dir, with a runtime directory of hers
        d=$1
        shift
        as_user ann env XDG_RUNTIME_DIR="/run/user/$(id -u ann)" sh -c 'cd "$1" && shift && exec "$@"' sh "$d" "$@"
}

phase() { # mode dir
        mode=$1 ws=$2
        in_ws "$ws" $runner --session start >/run/start.out 2>&1
        check "[$mode] session start" grep -q "session started" /run/start.out
        in_ws "$ws" $runner --session list >/run/list.out 2>&1
        check "[$mode] session list shows it running" grep -q "running  $ws" /run/list.out
        in_ws "$ws" $runner -v -- sh -c 'echo warm >src/out' 2>/run/v.out
        check "[$mode] a run uses the warm session" grep -q "ran in the warm session" /run/v.out
        check "[$mode]   ...and writes in the workspace" test "$(cat "$ws/src/out")" = warm
        in_ws "$ws" $runner -- sh -c 'exit 7'
        check "[$mode] the command's exit status passes through" test $? -eq 7
        in_ws "$ws" $runner -- sh -c 'kill -TERM $$'
        check "[$mode] death by a signal passes through" test $? -eq 143
        echo input | in_ws "$ws" $runner -- sh -c 'read x; echo "got $x"; echo err >&2' >/run/io.out 2>/run/io.err
        check "[$mode] stdin, stdout and stderr pass through" sh -c 'grep -qx "got input" /run/io.out && grep -qx err /run/io.err'
        check_fails "[$mode] writes outside the workspace are refused" in_ws "$ws" $runner -- touch /home/ann/outside
        check_fails "[$mode] .git stays read-only" in_ws "$ws" $runner -- sh -c 'echo x >>.git/config'
        check_fails "[$mode] no vsock offline" in_ws "$ws" $runner -- python3 -c 'import socket; socket.socket(socket.AF_VSOCK)'
        check_fails "[$mode] no capabilities, no new privileges" in_ws "$ws" $runner -- sh -c 'grep -q "^CapEff:.*[1-9a-f]" /proc/self/status'
        # one command cannot see another's processes (and so not its environment)
        in_ws "$ws" env SECRET_OF_A=abc $runner -- sleep 3 &
        a=$!
        sleep 0.5
        in_ws "$ws" $runner -- sh -c 'cat /proc/[0-9]*/environ 2>/dev/null | tr "\0" "\n" | grep -c SECRET_OF_A; ls /proc | grep -c "^[0-9]"' >/run/peek.out
        check "[$mode] a command does not see another command's processes" sh -c '[ "$(head -1 /run/peek.out)" = 0 ] && [ "$(tail -1 /run/peek.out)" -le 4 ]'
        wait $a
        # a command of the session cannot ask the session for another command
        check_fails "[$mode] the session's socket is out of the sandbox's reach" in_ws "$ws" $runner -- sh -c \
                'ls /run/user/*/bulwark/sessions/*.sock /home/ann/.cache/bulwark/sessions/*.sock 2>/dev/null | grep -q sock'
        # another user cannot use it
        sock=$(ls /run/user/1001/bulwark/sessions/*.sock | head -1)
        check_fails "[$mode] bob cannot reach ann's session" as_user bob python3 -c "
import socket; s = socket.socket(socket.AF_UNIX); s.connect('$sock')"
        # a boundary change: the session stops, this run is cold; a new one serves the new boundary
        mkdir -p "$ws/src/.claude" && chown ann:ann "$ws/src/.claude"
        in_ws "$ws" $runner -v -- true 2>/run/v.out
        check "[$mode] a new carve-out: this run is cold, and the session stopped" grep -q "built for another boundary" /run/v.out
        in_ws "$ws" $runner --session list >/run/list.out 2>&1
        check "[$mode]   ...no longer running" sh -c '! grep -q running /run/list.out'
        in_ws "$ws" $runner --session start >/dev/null 2>&1
        in_ws "$ws" $runner -v -- sh -c 'echo x >src/.claude/settings.json' 2>/run/v.out
        check "[$mode]   ...a new one is warm, with the new carve-out read-only" sh -c \
                'grep -q "ran in the warm session" /run/v.out && grep -q "Read-only file system" /run/v.out'
        # a client that dies: its command is hung up
        in_ws "$ws" $runner -- sh -c 'trap "echo hup >src/hup; exit 0" HUP; sleep 10 & wait' &
        c=$!
        sleep 0.7
        pkill -KILL -f "bulwark-runner -- sh -c trap" || kill -KILL $c
        sleep 0.7
        check "[$mode] a client that dies hangs its command up (SIGHUP)" test -f "$ws/src/hup"
        # a session that dies: the client says so, 125
        in_ws "$ws" $runner -- sleep 5 2>/run/dead.err &
        c=$!
        sleep 0.7
        in_ws "$ws" $runner --session stop >/dev/null
        wait $c
        check "[$mode] a session stopped under a command: its client exits 125" test $? -eq 125
        check "[$mode]   ...and says why" grep -q "session ended" /run/dead.err
        in_ws "$ws" $runner --session list >/run/list.out 2>&1
        check "[$mode] stopped: list shows none running" sh -c '! grep -q running /run/list.out'
        in_ws "$ws" $runner -v -- true 2>/run/v.out
        check "[$mode] without a session the run is cold" sh -c '! grep -q "ran in the warm session" /run/v.out'
}

phase unelevated /home/ann/ws

$bulwarkc builtin:workspace-write -o /run/ws.plan 2>/dev/null
if $bulwark apply /run/ws.plan --workspace /home/ann/ews --user ann >/run/apply.out 2>&1; then
        phase elevated /home/ann/ews
        $bulwark revert --all >/dev/null 2>&1
else
        bad "apply for the elevated phase: $(tail -2 /run/apply.out)"
fi
finish
