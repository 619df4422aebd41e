# SPDX-License-Identifier: MIT
# A warm session takes commands only from outside every sandbox. It refuses a client from inside
# its own pid namespace by SO_PEERCRED (pid 1 of a command's namespace shows a pid there), but a
# client in any other pid namespace shows pid 0, just like the caller's shell: a command of a
# SIBLING sandbox (a cold run, or another session's command) that can reach the socket would pass.
# Here ann's session listens in another runtime directory (~/rt93: a session started from another
# login, with another XDG_RUNTIME_DIR), which a run started from this login does not know to hide,
# and an online run does not hide host sockets at all. The sibling asks the session who it is
# (INFO) and to stop (STOP), sending its own "/" as a client does: the session must see that this
# "/" is not the host's and give no answer. (Unelevated the command is ann, who owns the socket;
# elevated it is the sandbox user, whom the directory's 0700 keeps out as well, and the installed
# plan is offline, which hides the host's sockets.)
# Control: the same requests from ann's shell on the host are answered (a real client).

sib_dir=/home/ann/rt93
sib_session() { # start|stop, with ~/rt93 as the runtime directory
        as_user ann env XDG_RUNTIME_DIR=$sib_dir sh -c 'mkdir -p -m 700 "$2" && cd "$1" && shift 2 && exec "$@"' sh \
                "$ws" "$sib_dir" "$runner" ${sib_opts:-} --session "$1" >/run/esc.sib-session 2>&1
}
# shellcheck disable=SC2016
sib_request='
import os, socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
root = os.open("/", os.O_PATH | os.O_DIRECTORY)
# struct bw_session_request: magic, kind, digest, argc, envc, blob_size, flags, termios, winsize
req = struct.pack("<II32sIIII", 0x32535742, int(sys.argv[2]), bytes(32), 0, 0, 0, 0) + bytes(60 + 8)
socket.send_fds(s, [req], [root])
r = s.recv(16)
if len(r) < 16:
    print("refused: the session gave no answer")
    sys.exit(1)
print("answered", r.hex())'
sib_opts=${run_opts:-}
[ "$mode" = control ] && sib_opts="--plan /var/lib/escape-tools/ws.plan"
sib_session start || echo "note: the session in ~/rt93 did not start: $(cat /run/esc.sib-session)"
sib_sock=$(ls -d $sib_dir/bulwark/sessions/*.sock 2>/dev/null | head -1)
if [ -z "$sib_sock" ]; then
        echo "note: no session socket in $sib_dir/bulwark/sessions: $(cat /run/esc.sib-session)"
        sib_sock=$sib_dir/bulwark/sessions/none.sock
fi
# the sibling: an online run (unelevated, through --plan; the network-on policy of 59-session-cache.sh)
if [ ! -f /var/lib/escape-tools/ws-net.plan ]; then
        sed 's/^name: ws$/name: ws-net\nnetwork: on/' /var/lib/escape-tools/ws-policy.yaml >/var/lib/escape-tools/ws-net-policy.yaml
        $bulwarkc /var/lib/escape-tools/ws-net-policy.yaml -o /var/lib/escape-tools/ws-net.plan >/run/esc.net-compile 2>&1 ||
                echo "note: the network-on policy does not compile: $(cat /run/esc.net-compile)"
        chmod 644 /var/lib/escape-tools/ws-net.plan 2>/dev/null
fi
sib_saved_opts=${run_opts:-}
[ "$mode" = unelevated ] && run_opts="--plan /var/lib/escape-tools/ws-net.plan --network"
blocked -c session-sibling-info 'refused: the session gave no answer|No such file or directory|Permission denied|Connection refused' \
        python3 -c "$sib_request" "$sib_sock" 3
blocked session-sibling-stop 'refused: the session gave no answer|No such file or directory|Permission denied|Connection refused' \
        python3 -c "$sib_request" "$sib_sock" 2
run_opts=$sib_saved_opts
host_check session-sibling-stop "the session in ~/rt93 still answers its own user" \
        sh -c "as_user() { setpriv --reuid=ann --regid=ann --init-groups --reset-env \"\$@\"; }
                as_user env XDG_RUNTIME_DIR=$sib_dir sh -c 'cd $ws && $runner $sib_opts --session list' | grep -q running"
sib_session stop
