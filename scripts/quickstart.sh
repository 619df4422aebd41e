#!/bin/sh
# SPDX-License-Identifier: MIT
# The README's first command: install what is missing, build, compile the built-in default
# profile (workspace-write) for a workspace (default: the current directory), and show what
# `bulwark apply` would change on this machine as a short summary (changes by kind, the sandbox
# principals, the network rules), with the command that lists every line. Read-only: nothing on
# the machine is changed.
# Usage: scripts/quickstart.sh [WORKSPACE]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
workspace=$(cd "${1:-.}" && pwd -P)

"$root/scripts/install-deps.sh" --build # only what the build needs; the test command installs the rest
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# the build's own chatter (compiler lines, the built-in plan it compiles) only when it fails
echo "== building bulwark in $root/build"
if ! { cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBULWARK_BUILD_TESTS=OFF &&
        cmake --build "$root/build" -j "$(nproc)"; } >"$out" 2>&1; then
        tail -n 40 "$out"
        echo "quickstart: the build failed (above: the end of its output)" >&2
        exit 1
fi

bulwark="$root/build/enforcer/bulwark"
plan="$root/build/default.plan"
"$root/build/compiler/bulwarkc" builtin:workspace-write -D workspace="$workspace" -o "$plan"
echo
echo "== dry run: what 'sudo bulwark apply' would change on this machine (nothing is changed now)"
status=0
"$bulwark" --color=never plan "$plan" --workspace "$workspace" >"$out" || status=$?
# exit 2 means "there are differences": the expected answer on a machine without bulwark
if [ "$status" -ne 0 ] && [ "$status" -ne 2 ]; then
        cat "$out"
        exit "$status"
fi
# The human form (cli.md): a summary line, then one line per change: OP KIND WHAT DETAIL, OP one
# of + ~ - (add, change, remove), ? (not known or left alone: no root, a path that does not
# exist) and ! (kept).
head -n 1 "$out"
awk '
        NR > 1 && $1 ~ /^[-+~?!]$/ && NF >= 2 {
                op = $1 == "+" ? "to add" : $1 == "~" ? "to change" : $1 == "-" ? "to remove" : $1 == "!" ? "kept" : "not known or left alone"
                if (!(($2, op) in count))
                        order[++k] = $2 SUBSEP op
                count[$2, op]++
                if (!($2 in seen_kind)) {
                        seen_kind[$2] = 1
                        kinds[++nk] = $2
                }
        }
        NR > 1 && ($2 == "user" || $2 == "group") { principals[++np] = $0 }
        NR > 1 && ($2 == "nft" || ($2 == "token" && $0 ~ /network/)) { network[++nn] = $0 }
        END {
                print "  changes by kind:"
                for (i = 1; i <= nk; i++) {
                        line = ""
                        for (j = 1; j <= k; j++) {
                                split(order[j], ko, SUBSEP)
                                if (ko[1] == kinds[i])
                                        line = line (line == "" ? "" : ", ") count[ko[1], ko[2]] " " ko[2]
                        }
                        printf "    %-7s %s\n", kinds[i], line
                }
                if (np) {
                        print "  sandbox principals:"
                        for (i = 1; i <= np; i++)
                                print "    " principals[i]
                }
                if (nn) {
                        print "  network:"
                        for (i = 1; i <= nn; i++)
                                print "    " network[i]
                }
        }' "$out"
lines=$(($(wc -l <"$out") - 1)) # what bulwark plan prints below its summary line
echo
# the commands below are meant to be pasted: quote what a shell would split or expand
q() {
        case $1 in
        *[!A-Za-z0-9/._+:@%=-]*) printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")" ;;
        *) printf '%s' "$1" ;;
        esac
}
echo "All $lines lines: $(q "$bulwark") plan $(q "$plan") --workspace $(q "$workspace")"
echo "Every rule, with the policy line it comes from: $(q "$bulwark") show $(q "$plan")"
# apply gives bulwark-runner its capabilities only where only root can write (not a build
# directory in a clone of yours): install first, then apply with the installed bulwark
echo "To apply them: sudo cmake --install $root/build, then (it shows them again and asks):"
echo "  sudo bulwark apply $(q "$plan") --workspace $(q "$workspace")"
