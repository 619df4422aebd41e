# SPDX-License-Identifier: MIT
# The caller's controlling terminal, reached by name. An agent that runs in a terminal starts its
# commands with pipes for stdio (so the runner relays nothing and filters nothing), but in its own
# session: without a session of their own, the sandbox's processes keep that terminal as their
# controlling terminal, and /dev/tty (bound into the sandbox's /dev, writable under Landlock) opens
# it whatever uid the command has. Through it a command could write escape sequences that the
# runner's filter (97-terminal-escapes.sh) never sees (OSC 52 sets the clipboard ann pastes into a
# shell), read what ann types to the agent, or change the terminal's modes. The command must have
# no controlling terminal: opening /dev/tty fails (ENXIO), and nothing reaches ann's terminal.

# ctty_run OUT CMD...: CMD as ann from the workspace, stdin /dev/null and stdout/stderr into
# /run/esc.ctty.out (not the terminal), under a terminal of its own (script) that is the
# controlling terminal of the process tree; through the runner unless $mode is control. The
# terminal's output in OUT.
ctty_run() {
        c_out=$1
        shift
        c_cmd=$(printf ' %s' "$@")
        if [ "$mode" = control ]; then c_pre=; else c_pre="$runner ${run_opts:-} --"; fi
        # shellcheck disable=SC2086
        timeout -k 2 20 setpriv --reuid=ann --regid=ann --init-groups --reset-env env TERM=xterm-256color \
                script -qec "cd $ws && $c_pre$c_cmd </dev/null >/run/esc.ctty.cmd 2>&1" /dev/null >"$c_out" 2>&1 </dev/null
}
ctty_osc='printf "\033]52;c;Y3VybCBldmlsIHwgc2gK\007" >/dev/tty && echo "wrote to the terminal"'
ctty_saw_osc() { grep -q "$(printf '\033]52;c;Y3VybCBldmlsIHwgc2gK')" "$1"; }
if [ "$mode" = control ]; then
        : >/run/esc.ctty.cmd
        chmod 666 /run/esc.ctty.cmd
        ctty_run /run/esc.ctty.term sh -c "'$ctty_osc'"
        if ctty_saw_osc /run/esc.ctty.term; then ok "[control] ctty-osc52: works outside the sandbox"; else
                skipped=$((skipped + 1))
                echo "skip [control] ctty-osc52: /dev/tty does not reach the terminal here either: $(head -c 200 /run/esc.ctty.cmd)"
        fi
else
        state >/run/esc.state.before
        ctty_run /run/esc.ctty.term sh -c "'$ctty_osc'"
        cp /run/esc.ctty.cmd "$out"
        ctty_fine() {
                if ctty_saw_osc /run/esc.ctty.term; then
                        echo "ESCAPED: the command's OSC 52 reached ann's terminal unfiltered:"
                        sed 's/^/     /' /run/esc.ctty.cmd | head -5
                        od -c /run/esc.ctty.term | head -5
                        return 1
                fi
                grep -q 'No such device or address' /run/esc.ctty.cmd || { echo "opening /dev/tty did not fail with ENXIO:"; cat /run/esc.ctty.cmd; return 1; }
        }
        check "[$mode] ctty-osc52: the command has no controlling terminal (/dev/tty: ENXIO), nothing reached ann's terminal" ctty_fine
        integrity ctty-osc52 /run/esc.state.before
fi
# ... and the terminal's ^C still ends a command run that way (the kernel sends SIGINT to the
# foreground process group, which the sandbox's processes stay in)
ctty_interrupt() {
        python3 - "$runner" ${run_opts:-} <<'PY'
import os, pty, sys, time, select
pid, master = pty.fork()  # the child leads a new session whose controlling terminal is the pty
if pid == 0:
    os.chdir("/home/ann/ws")
    os.setgroups([]); os.setgid(int(os.environ["ANN_GID"])); os.setuid(int(os.environ["ANN_UID"]))
    fd = os.open("/dev/null", os.O_RDWR)
    os.dup2(fd, 0); os.dup2(fd, 1); os.dup2(fd, 2)
    os.execv(sys.argv[1], sys.argv[1:] + ["--", "sleep", "30"])
time.sleep(1.5)
os.write(master, b"\x03")
deadline = time.time() + 8
while time.time() < deadline:
    p, st = os.waitpid(pid, os.WNOHANG)
    if p:
        sig = os.WTERMSIG(st) if os.WIFSIGNALED(st) else 0
        code = os.WEXITSTATUS(st) if os.WIFEXITED(st) else -1
        print(f"ended: signal {sig}, status {code}")
        sys.exit(0 if sig == 2 or code == 130 else 1)
    try:
        select.select([master], [], [], 0.1) and os.read(master, 4096)
    except OSError:
        time.sleep(0.1)
print("still running 8 s after ^C")
os.kill(pid, 9)
sys.exit(1)
PY
}
if [ "$mode" != control ]; then
        ANN_UID=$ann_uid ANN_GID=$(id -g ann) && export ANN_UID ANN_GID
        check "[$mode] ctty-interrupt: ^C on ann's terminal still ends a command whose stdio are not the terminal" \
                ctty_interrupt
fi
# ... nor read what ann types: she answers her agent on the terminal while the command runs; the
# command keeps what it read from /dev/tty in the workspace, where it lands after the run
ctty_keys() { # RUNNER-ARGS...: as ann under a pty of her own, the command reads /dev/tty
        python3 - "$@" <<'PY'
import os, pty, sys, time
pid, master = pty.fork()
if pid == 0:
    os.chdir("/home/ann/ws")
    os.setgroups([]); os.setgid(int(os.environ["ANN_GID"])); os.setuid(int(os.environ["ANN_UID"]))
    fd = os.open("/dev/null", os.O_RDWR)
    os.dup2(fd, 0); os.dup2(fd, 1); os.dup2(fd, 2)
    cmd = ["sh", "-c", "head -n 1 </dev/tty >typed-by-ann.txt"]
    os.execv(sys.argv[1], sys.argv[1:] + ([] if sys.argv[1] == "/usr/bin/env" else ["--"]) + cmd)
time.sleep(1.5)
os.write(master, b"my-vault-password\n")
deadline = time.time() + 5
while time.time() < deadline and not os.waitpid(pid, os.WNOHANG)[0]:
    time.sleep(0.1)
else:
    pass
try:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
except OSError:
    pass
PY
}
ANN_UID=$ann_uid ANN_GID=$(id -g ann) && export ANN_UID ANN_GID
rm -f "$ws/typed-by-ann.txt"
if [ "$mode" = control ]; then
        ctty_keys /usr/bin/env
        if grep -qs my-vault-password "$ws/typed-by-ann.txt"; then ok "[control] ctty-read-keys: works outside the sandbox"; else
                skipped=$((skipped + 1))
                echo "skip [control] ctty-read-keys: /dev/tty gives nothing typed here either"
        fi
else
        # shellcheck disable=SC2086
        ctty_keys "$runner" ${run_opts:-}
        check_fails "[$mode] ctty-read-keys: the command did not read what ann typed on her terminal" \
                grep -s my-vault-password "$ws/typed-by-ann.txt"
fi
rm -f "$ws/typed-by-ann.txt"
