# SPDX-License-Identifier: MIT
# The runner keeps its state (tree index, sessions' sockets) in $XDG_RUNTIME_DIR/bulwark when
# there is one, else in the cache (~/.cache/bulwark). A run started with a runtime directory must
# hide the cache's bulwark directory too: a session started where there was none (over ssh, from
# cron) listens there, and a command that reached its socket could stop it or hand it a command
# (a session for another workspace or another network mode is another boundary); an index there,
# written by a command, would be what the next run without a runtime directory believes about
# the tree. (Unelevated: the command is ann, who owns the socket; elevated: the sandbox user,
# whom ~/.cache's 0700 keeps out anyway.)

cache_session() { # start|stop, with no runtime directory
        as_user ann env -u XDG_RUNTIME_DIR sh -c 'cd "$1" && shift && exec "$@"' sh "$ws" \
                "$runner" ${run_opts:-} --session "$1" >/run/esc.cache-session 2>&1
}
if [ "$mode" != control ]; then
        cache_session start || echo "note: session start without a runtime directory failed: $(cat /run/esc.cache-session)"
        cache_sock=$(ls -d /home/ann/.cache/bulwark/sessions/*.sock 2>/dev/null | head -1)
        if [ -z "$cache_sock" ]; then
                echo "note: no session socket in ~/.cache/bulwark/sessions: $(cat /run/esc.cache-session)"
                cache_sock=/home/ann/.cache/bulwark/sessions/none.sock
        fi
else
        cache_sock=/nonexistent
fi
blocked cache-session-connect 'No such file or directory|Permission denied' "$probe" unix "$cache_sock"
blocked cache-session-list 'No such file or directory|Permission denied' ls -la /home/ann/.cache/bulwark/sessions
blocked cache-tree-write 'No such file or directory|Permission denied|Read-only file system' \
        sh -c 'mkdir -p /home/ann/.cache/bulwark/tree && echo poison >/home/ann/.cache/bulwark/tree/poison'
# with the network on, the host's sockets are not hidden: only hiding the runner's state keeps the
# session's socket out of reach (the workspace's policy with network: on, unelevated through --plan)
if [ ! -f /var/lib/escape-tools/ws-net.plan ]; then
        sed 's/^name: ws$/name: ws-net\nnetwork: on/' /var/lib/escape-tools/ws-policy.yaml >/var/lib/escape-tools/ws-net-policy.yaml
        $bulwarkc /var/lib/escape-tools/ws-net-policy.yaml -o /var/lib/escape-tools/ws-net.plan >/run/esc.net-compile 2>&1 ||
                echo "note: the network-on policy does not compile: $(cat /run/esc.net-compile)"
        chmod 644 /var/lib/escape-tools/ws-net.plan 2>/dev/null
fi
if [ "$mode" = unelevated ]; then
        cache_saved_opts=$run_opts
        run_opts="--plan /var/lib/escape-tools/ws-net.plan --network"
        blocked cache-session-connect-online 'No such file or directory|Permission denied' "$probe" unix "$cache_sock"
        blocked cache-session-stop-online 'No such file or directory|Permission denied' python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(struct.pack("<II32sIIII", 0x32535742, 2, bytes(32), 0, 0, 0, 0) + bytes(60 + 8))
print("reply", s.recv(16))' "$cache_sock"
        run_opts=$cache_saved_opts
else
        skip_here cache-session-connect-online "the installed plan is offline (the network-on one runs unelevated, through --plan)"
fi
host_check cache-session-connect "the session in the cache still runs" \
        sh -c "test -S $cache_sock"
if [ "$mode" != control ]; then
        cache_session stop
fi
