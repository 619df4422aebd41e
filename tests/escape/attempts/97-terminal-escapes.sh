# SPDX-License-Identifier: MIT
# What a command writes reaches ann's terminal: escape sequences that make the terminal do more
# than draw must not. OSC 52 sets (or reads) the clipboard, which ann then pastes into a shell
# outside the sandbox; a DCS query's answer arrives as typed input; tmux passes a DCS's content to
# the outer terminal; APC carries kitty's graphics and file transfers; CSI 21 t reports the window
# title as input, CSI 5 i sends what follows to a printer command; the 8-bit forms (raw, or C1
# controls in UTF-8) are read as the same introducers by some terminals. Each is sent split
# across writes too. Both terminal paths of the runner: an interactive run (stdin and stdout a
# terminal: the sandbox's own pty, relayed) and output to a terminal with stdin elsewhere (a pipe
# the runner copies). Colours, cursor movement and UTF-8 text must pass unchanged.

# term_run OUT STDIN CMD...: CMD as ann from the workspace under a terminal of its own (script),
# through the runner unless $mode is control; STDIN: "tty" or "null"; the terminal's output in OUT
# ($t_env: more of ann's environment)
term_run() {
        t_out=$1 t_in=$2
        shift 2
        t_cmd=$(printf ' %s' "$@")
        if [ "$mode" = control ]; then t_pre=; else t_pre="$runner ${run_opts:-} --"; fi
        [ "$t_in" = null ] && t_cmd="$t_cmd </dev/null"
        # shellcheck disable=SC2086
        timeout -k 2 20 setpriv --reuid=ann --regid=ann --init-groups --reset-env env TERM=xterm-256color ${t_env:-} \
                script -qec "cd $ws && $t_pre$t_cmd" /dev/null >"$t_out" 2>&1 </dev/null
}

# the sequences: each argument a write of its own (printf, then a pause), some cut mid-sequence
esc_pieces="'\033]52;c;ZWNobyBwd25lZAo=\007' '\033]52;c;?\033\\' '\033P\$qm\033\\' '\033Ptmux;\033\033]52;c;eA==\007\033\\'
'\033_Gf=100;eA==\033\\' '\033[21t' '\033[5i' '\235 52;c;eA==\234' '\302\235 52;c;eA==\302\234'
'\033]8;;file:///etc/passwd\033\\link\033]8;;\033\\' '\033]1337;File=name=eA==:eA==\007' '\033' ']52;c;eA==\007'
'\033]5' '2;c;eA==\007' '\302' '\235 52;c;eA==\007' '\033[2' '1t'
'\033[31mred\033[0m \033[2J\033[H \342\226\210 caf\303\251 end'"
esc_script='for piece in "$@"; do printf "$piece"; sleep 0.02; done'

esc_check() { # OUT: nothing dangerous, everything kept, in OUT
        python3 - "$1" <<'PY'
import sys
out = open(sys.argv[1], "rb").read()
bad = [b"\x1b]", b"\x1bP", b"\x1b_", b"\x1b^", b"\x1bX", b"\x1b[21t", b"\x1b[5i", b"\x9d", b"\x9c", b"\x9b", b"\x90"]
found = [b for b in bad if b in out]
kept = b"\x1b[31mred\x1b[0m \x1b[2J\x1b[H \xe2\x96\x88 caf\xc3\xa9 end"
if found or kept not in out:
    print("reached the terminal: %r; the harmless part %s; all of it: %r" % (
        found, "passed" if kept in out else "did not pass unchanged", out[:600]))
    sys.exit(1)
PY
}

for t_in in tty null; do
        id=terminal-escapes-$t_in
        term_run /run/esc.term "$t_in" sh -c "'$esc_script'" sh $esc_pieces
        if [ "$mode" = control ]; then
                # without the sandbox, the terminal gets them all (the primitive works)
                if LC_ALL=C grep -aq "$(printf '\033')]52;" /run/esc.term; then ok "[control] $id: OSC 52 reaches the terminal"; else
                        skipped=$((skipped + 1))
                        echo "skip [control] $id: no terminal here ($(head -c 200 /run/esc.term))"
                fi
                continue
        fi
        check "[$mode] $id: no clipboard, query, passthrough, graphics, title report, printer or C1 sequence reaches ann's terminal; colours and UTF-8 text do" \
                esc_check /run/esc.term
done

# The same in a warm session (its command monitor relays the terminal)
if [ "$mode" != control ]; then
        t_env="XDG_RUNTIME_DIR=/run/user/$ann_uid"
        as_user ann env $t_env sh -c 'cd "$1" && shift && exec "$@"' sh "$ws" "$runner" ${run_opts:-} --session start >/run/esc.session 2>&1 ||
                echo "note: session start failed: $(cat /run/esc.session)"
        t_saved_opts=${run_opts:-}
        run_opts="$t_saved_opts --verbose"
        for t_in in tty null; do
                id=terminal-escapes-warm-$t_in
                term_run /run/esc.term "$t_in" sh -c "'$esc_script'" sh $esc_pieces
                if ! grep -aq "ran in the warm session" /run/esc.term; then
                        skipped=$((skipped + 1))
                        echo "skip [$mode] $id: the command did not run in the session: $(grep -am1 'bulwark run' /run/esc.term)"
                        continue
                fi
                check "[$mode] $id: no clipboard, query, passthrough, graphics, title report, printer or C1 sequence reaches ann's terminal; colours and UTF-8 text do" \
                        esc_check /run/esc.term
        done
        run_opts=$t_saved_opts
        as_user ann env $t_env sh -c 'cd "$1" && shift && exec "$@"' sh "$ws" "$runner" ${run_opts:-} --session stop >/run/esc.session 2>&1
        t_env=
fi
