# SPDX-License-Identifier: MIT
# With the network on, the caller's own session services stay reachable by path: the runner hides
# the host's unix sockets only offline, and Landlock restricts connect() by path only from ABI 9.
# A terminal multiplexer is the caller's shell: ann's tmux server keeps its socket outside /tmp
# (TMUX_TMPDIR=~/.tmux, as GNU screen keeps /run/screen/S-ann), and a command that reaches it
# types into her shell (send-keys), which then runs anything as ann, outside every sandbox. The
# network being on gives a command the network, not ann's session: the sockets ann's own processes
# bound must be out of reach online too (unelevated, through the workspace's policy with the
# network on; the installed plan is offline).
if [ ! -f /var/lib/escape-tools/ws-net.plan ]; then
        sed 's/^name: ws$/name: ws-net\nnetwork: on/' /var/lib/escape-tools/ws-policy.yaml >/var/lib/escape-tools/ws-net-policy.yaml
        $bulwarkc /var/lib/escape-tools/ws-net-policy.yaml -o /var/lib/escape-tools/ws-net.plan >/run/esc.net-compile 2>&1 ||
                echo "note: the network-on policy does not compile: $(cat /run/esc.net-compile)"
        chmod 644 /var/lib/escape-tools/ws-net.plan 2>/dev/null
fi
mux_sock=/home/ann/.tmux/tmux-$ann_uid/default
mux_pwned=/home/ann/pwned-by-tmux
if [ "$mode" = control ] && command -v tmux >/dev/null; then
        as_user ann sh -c 'mkdir -p -m 700 ~/.tmux && TMUX_TMPDIR=$HOME/.tmux tmux new-session -d -s main sh'
fi
mux_type='tmux -S '"$mux_sock"' send-keys -t main "touch '"$mux_pwned"'" Enter && sleep 1 && test -e '"$mux_pwned"' && echo "typed into ann'"'"'s shell"'
if [ "$mode" = control ]; then
        # (the control types a harmless command, then the file it made is removed)
        blocked -c online-own-socket-mux 'x' sh -c "$mux_type"
        rm -f "$mux_pwned"
elif [ "$mode" = unelevated ]; then
        mux_saved_opts=$run_opts
        run_opts="--plan /var/lib/escape-tools/ws-net.plan --network"
        blocked online-own-socket-mux 'No such file or directory|Permission denied|Connection refused|no server running|error connecting' \
                sh -c "$mux_type"
        host_check online-own-socket-mux "ann's shell ran nothing the command typed" sh -c "! test -e $mux_pwned"
        rm -f "$mux_pwned"
        blocked online-own-socket-app 'No such file or directory|Permission denied|Connection refused' "$probe" unix "$app_sock"
        run_opts=$mux_saved_opts
else
        skip_here online-own-socket-mux "the installed plan is offline (the network-on one runs unelevated, through --plan)"
fi
