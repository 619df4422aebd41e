#!/bin/sh
# SPDX-License-Identifier: MIT
# Warm sessions (bulwark session start|stop|list, enforcer/runner/session.h): a run in a session
# holds the same boundary as a cold one, one command cannot see another's environment, a changed
# boundary rebuilds the session, BULWARK_SESSION=auto starts one and =off leaves it alone, a
# client that dies hangs its command up, a session that dies ends its client's run with 125, only
# the user who started it can use it; interactive runs (a terminal), warm and cold: the command's
# own terminal, window size changes, ^C, ^Z and fg, exit status and death by a signal. Unelevated
# and elevated.
build=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

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

# Interactive runs, through a terminal (pty_job.py: a pty and a job-control shell in miniature)
cp "$here/pty_job.py" /run/bin/
pty_checks() { # label dir
        l=$1 d=$2
        as_pty() { in_ws "$d" /usr/bin/python3 /run/bin/pty_job.py "$@" >/run/pty.out 2>&1; }
        as_pty plain $runner -v -- sh -c 'tty; stty size; exit 5'
        check "[$l] a terminal run: the command has a terminal of the sandbox's own, of the caller's size" sh -c \
                'grep -q "^/dev/pts/" /run/pty.out && grep -qx "33 101" /run/pty.out && grep -qx "STATUS exit 5" /run/pty.out'
        case $l in
        *warm*) check "[$l]   ...in the warm session" grep -q "ran in the warm session" /run/pty.out ;;
        *) check "[$l]   ...cold" sh -c '! grep -q "ran in the warm session" /run/pty.out' ;;
        esac
        as_pty winch $runner -- sh -c 'trap "stty size; exit 0" WINCH; echo ready; while :; do sleep 0.1; done'
        check "[$l] a resized terminal resizes the command's (SIGWINCH)" sh -c 'grep -qx "40 120" /run/pty.out && grep -qx "STATUS exit 0" /run/pty.out'
        as_pty intr $runner -- sh -c 'echo ready; sleep 10'
        check "[$l] ^C interrupts the command, and the run dies of SIGINT as it did" grep -qx "STATUS signal 2" /run/pty.out
        as_pty plain $runner -- sh -c 'kill -TERM $$'
        check "[$l] death by a signal passes through" grep -qx "STATUS signal 15" /run/pty.out
        as_pty stop $runner -- sh -c 'echo ready; read x; echo "got $x"; exit 3'
        check "[$l] ^Z stops the command and the run with it (the shell sees SIGTSTP); fg continues both" sh -c \
                'grep -qx "STOPPED 20" /run/pty.out && grep -qx "got hello" /run/pty.out && grep -qx "STATUS exit 3" /run/pty.out'
        # no terminal for the command (its output goes to a pipe): ^Z stops the run's job, and the
        # command (in a session: in no process group of the terminal) with it
        rm -f "$d/src/count"
        in_ws "$d" env COUNT_FILE="$d/src/count" /usr/bin/python3 /run/bin/pty_job.py hold sh -c "$runner -- sh -c \
                'echo ready; i=0; while [ \$i -lt 40 ]; do i=\$((i+1)); echo \$i >src/count; sleep 0.05; done; echo done' | cat" \
                >/run/pty.out 2>&1
        check "[$l] without a terminal for the command: ^Z holds it until fg, then it ends" sh -c \
                'grep -q "^HELD \([0-9]*\) \1$" /run/pty.out && grep -q "done$" /run/pty.out && grep -qx "STATUS exit 0" /run/pty.out'
}

phase() { # mode dir
        mode=$1 ws=$2
        in_ws "$ws" $runner --session start >/run/start.out 2>&1
        check "[$mode] session start" grep -q "session started" /run/start.out
        in_ws "$ws" $runner --session list >/run/list.out 2>&1
        check "[$mode] session list shows it running" grep -q "running  $ws" /run/list.out
        pty_checks "$mode, warm" "$ws"
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
        # replaced outside between two runs (a new .git where the session's read-only mount holds
        # the old one): another boundary, and the session is built again around the new one
        in_ws "$ws" sh -c 'mv .git .git.old && mkdir .git && echo "[core]" >.git/config'
        check_fails "[$mode] a .git replaced between runs is read-only in the session's next run" \
                in_ws "$ws" $runner -- sh -c 'echo x >>.git/config'
        in_ws "$ws" sh -c 'rm -rf .git && mv .git.old .git'
        check_fails "[$mode] no vsock offline" in_ws "$ws" $runner -- python3 -c 'import socket; socket.socket(socket.AF_VSOCK)'
        check_fails "[$mode] no capabilities, no new privileges" in_ws "$ws" $runner -- sh -c 'grep -q "^CapEff:.*[1-9a-f]" /proc/self/status'
        check "[$mode] the command runs under no_new_privs and the seccomp filter" in_ws "$ws" $runner -- sh -c \
                'grep -q "^NoNewPrivs:[[:space:]]*1$" /proc/self/status && grep -q "^Seccomp:[[:space:]]*2$" /proc/self/status'
        # its monitor (pid 1 of its namespace, which loads the filter for it) holds the caller's
        # streams: out of the command's reach
        check_fails "[$mode] a command cannot read its monitor's descriptors, memory or environment" in_ws "$ws" $runner -- \
                sh -c 'ls /proc/1/fd >/dev/null 2>&1 || head -c1 /proc/1/environ >/dev/null 2>&1 || ls -l /proc/1/fd/0 2>/dev/null | grep -q .'
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
        # a boundary change: the stale session stops and one for the new boundary runs the command
        mkdir -p "$ws/src/.claude" && chown ann:ann "$ws/src/.claude"
        in_ws "$ws" $runner -v -- sh -c 'echo x >src/.claude/settings.json' 2>/run/v.out
        check "[$mode] a new carve-out: the stale session is rebuilt for the new boundary" sh -c \
                'grep -q "built for another boundary" /run/v.out && grep -q "ran in the warm session" /run/v.out || { cat /run/v.out; false; }'
        check "[$mode]   ...and the command, in it, finds the new carve-out read-only" grep -q "Read-only file system" /run/v.out
        in_ws "$ws" $runner --session list >/run/list.out 2>&1
        check "[$mode]   ...one session, running" sh -c '[ "$(grep -c running /run/list.out)" = 1 ]'
        in_ws "$ws" env BULWARK_SESSION=off $runner -v -- true 2>/run/v.out
        check "[$mode] BULWARK_SESSION=off: cold, the session left alone" sh -c \
                '! grep -q "ran in the warm session" /run/v.out && [ -S "$(ls /run/user/1001/bulwark/sessions/*.sock | head -1)" ]'
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
        in_ws "$ws" $runner --session list >/run/list.out 2>&1
        check "[$mode]   ...and starts none" grep -q "no sessions" /run/list.out
        pty_checks "$mode, cold" "$ws"
        # BULWARK_SESSION=auto: a run without a session starts one, visible in the list
        in_ws "$ws" env BULWARK_SESSION=auto $runner -v -- sh -c 'echo auto' >/run/auto.out 2>/run/v.out
        check "[$mode] BULWARK_SESSION=auto: a run starts a session and runs in it" sh -c \
                'grep -q "ran in the warm session" /run/v.out && [ "$(cat /run/auto.out)" = auto ]'
        in_ws "$ws" $runner --session list >/run/list.out 2>&1
        check "[$mode]   ...session list shows it" grep -q "running  $ws" /run/list.out
        # every local user can read a command line: the session outlives the run that started it
        # and must not show that run's words (a token on its command line) for its lifetime (the
        # pattern's brackets keep this check's own command line from matching it)
        check "[$mode]   ...its processes show their own name, not the starting run's words" sh -c '
                pgrep -f bulwark-session >/dev/null &&
                ! cat /proc/[0-9]*/cmdline 2>/dev/null | tr "\0" " " | grep -q "echo aut[o]"'
        in_ws "$ws" $runner -v -- true 2>/run/v.out
        check "[$mode]   ...later runs use it" grep -q "ran in the warm session" /run/v.out
        # a session whose socket is gone (the runtime directory goes with the login session) ends
        rm -f /run/user/1001/bulwark/sessions/*.sock
        sleep 3
        check_fails "[$mode] a session whose socket was removed ends (logout removes the runtime directory)" \
                pgrep -f "bulwark-session"
        in_ws "$ws" env BULWARK_SESSION=bogus $runner -- true 2>/run/v.out
        check "[$mode] BULWARK_SESSION=bogus is refused (125)" sh -c "[ $? -eq 125 ] && grep -q 'BULWARK_SESSION=bogus' /run/v.out"
        in_ws "$ws" $runner --session stop >/dev/null
}

phase unelevated /home/ann/ws

$bulwarkc builtin:workspace-write -o /run/ws.plan 2>/dev/null
if $bulwark apply /run/ws.plan --workspace /home/ann/ews --user ann >/run/apply.out 2>&1; then
        phase elevated /home/ann/ews
        # a runner started with the ids an elevated runner acts with (real uid ann, effective and
        # saved the sandbox user's, the sandbox user's groups): it used to find no state directory
        sb=$(id -u bw-off-ann) sg=$(id -g bw-off-ann)
        (cd /home/ann/ews && /usr/bin/python3 -c "
import os
os.setgroups([$sg]); os.setresgid($sg, $sg, $sg); os.setresuid($(id -u ann), $sb, $sb)
os.environ['XDG_RUNTIME_DIR'] = '/run/user/$(id -u ann)'
os.execv('$runner', ['bulwark-runner', '--session', 'start'])") >/run/start.out 2>&1
        check "[elevated] a runner started with an elevated runner's ids acts as the caller: its session starts" \
                grep -q "session started" /run/start.out
        in_ws /home/ann/ews $runner --session stop >/dev/null
        # `bulwark run` elevated (no capability of its own): with a session it hands the command
        # over itself, as the sandbox user, with the checks before and after; without one it has
        # the runner do the run (exec), cold, elevated
        in_ws /home/ann/ews $runner --session start >/dev/null
        in_ws /home/ann/ews $bulwark run --verbose -- sh -c 'id -un; echo warm >src/by-bulwark; exit 6' >/run/br.out 2>&1
        check "[elevated] bulwark run hands the command to the session itself: as the sandbox user, its status" sh -c \
                'grep -qx bw-off-ann /run/br.out && grep -q "ran in the warm session" /run/br.out && ! grep -q "bulwark-runner runs it" /run/br.out'
        check "[elevated]   ...and what it wrote is the sandbox user's" sh -c '[ "$(stat -c %U /home/ann/ews/src/by-bulwark)" = bw-off-ann ]'
        in_ws /home/ann/ews $bulwark run -- sh -c 'exit 6' >/dev/null 2>&1
        check "[elevated]   ...and the command's exit status passes through" test $? -eq 6
        in_ws /home/ann/ews $runner --session stop >/dev/null
        in_ws /home/ann/ews $bulwark run --verbose -- id -un >/run/br.out 2>&1
        check "[elevated] bulwark run without a session: the runner runs it, cold and elevated" sh -c \
                'grep -qx bw-off-ann /run/br.out && grep -q "elevated mode as bw-off-ann" /run/br.out && ! grep -q "ran in the warm session" /run/br.out'
        # the sandbox user's group made again under another gid (an administrator's doing): a
        # session keeps the ids it was built with, so the next run is another boundary and the
        # session is rebuilt for it; the command has the new gid, never the old one
        in_ws /home/ann/ews $runner --session start >/dev/null
        g=$(id -gn bw-off-ann) old_gid=$(id -g bw-off-ann)
        in_ws /home/ann/ews $bulwark run -- id -g >/run/gid.out 2>&1
        check "[elevated] a warm run has the sandbox user's group" sh -c "grep -qx '$old_gid' /run/gid.out || { cat /run/gid.out; false; }"
        groupmod -g 4242 "$g"
        in_ws /home/ann/ews $bulwark run -v -- id -g >/run/gid.out 2>&1
        check "[elevated] bulwark run: the sandbox user's group has another gid now: the session is rebuilt and the command has the new one" \
                sh -c "grep -qx 4242 /run/gid.out && grep -q 'built for another boundary' /run/gid.out || { cat /run/gid.out; false; }"
        groupmod -g "$old_gid" "$g"
        in_ws /home/ann/ews $runner -v -- id -g >/run/gid.out 2>&1
        check "[elevated] bulwark-runner: and back: rebuilt again, the command has the old gid" \
                sh -c "grep -qx '$old_gid' /run/gid.out && grep -q 'built for another boundary' /run/gid.out || { cat /run/gid.out; false; }"
        in_ws /home/ann/ews $runner --session stop >/dev/null
        $bulwark revert --all >/dev/null 2>&1
else
        bad "apply for the elevated phase: $(tail -2 /run/apply.out)"
fi
finish
