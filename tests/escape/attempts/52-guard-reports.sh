# SPDX-License-Identifier: MIT
# What the runner prints about the tree reaches ann's terminal (through the agent, or directly):
# names the command chose must not carry terminal control sequences into it (a title or a
# clipboard write, OSC 52, or a fake prompt). The command makes more files matching a read_only
# glob than the runner binds (4096, .env* files whose names hold escape sequences): the next run
# refuses, naming the last one; its message has no control character of the command's.

reports_esc=$(printf '\033')
refusal_is_clean() { # the next run refuses (125), and its output has no ESC byte
        in_sandbox true
        st=$?
        if [ $st -ne 125 ]; then
                echo "the run after it was not refused (status $st)"
                show_out
                return 1
        fi
        if grep -q "$reports_esc" "$out"; then
                echo "the refusal carries the command's escape sequences:"
                grep -a "$reports_esc" "$out" | head -2 | od -c | head -5
                return 1
        fi
}
if [ "$mode" != control ]; then
        harmless report-escape-names python3 -c '
import os
os.makedirs("flood", exist_ok=True)
for i in range(4200):
    open("flood/.env\033]0;pwned\007\033]52;c;ZWNobyBldmls\007%d" % i, "w").close()
'
fi
host_check report-escape-names "the next run's refusal names no control sequence of the command's" refusal_is_clean
rm -rf "$ws/flood"
