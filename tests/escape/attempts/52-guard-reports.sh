# SPDX-License-Identifier: MIT
# What the runner prints about the tree reaches ann's terminal (through the agent, or directly):
# names the command chose must not carry terminal control sequences into it (a title or a
# clipboard write, OSC 52, or a fake prompt). The command makes more files matching a read_only
# glob than the runner binds (4096, .env* files whose names hold escape sequences): the check after
# the run moves each aside and names it, without a control character of the command's, and the
# next run starts (what was moved aside is no longer protected, so it does not count; a refusal at
# the limit, for files of ann's own, is sanitised the same way: unit/test_tree_guard).

reports_esc=$(printf '\033')
report_is_clean() { # the flood's run named what it moved aside, without an ESC byte; the next run starts
        if grep -q "$reports_esc" "$out"; then
                echo "the report carries the command's escape sequences:"
                grep -a "$reports_esc" "$out" | head -2 | od -c | head -5
                return 1
        fi
        grep -q 'moved aside' "$out" || {
                echo "the run's report names nothing it moved aside:"
                show_out
                return 1
        }
        in_sandbox true || {
                echo "the run after it did not start:"
                show_out
                return 1
        }
}
if [ "$mode" != control ]; then
        harmless report-escape-names python3 -c '
import os
os.makedirs("flood", exist_ok=True)
for i in range(4200):
    open("flood/.env\033]0;pwned\007\033]52;c;ZWNobyBldmls\007%d" % i, "w").close()
'
fi
host_check report-escape-names "the run's report names no control sequence of the command's, and the next run starts" report_is_clean
rm -rf "$ws/flood"
