#!/bin/sh
# SPDX-License-Identifier: MIT
# The man pages render with no troff warning at all (groff -ww: an undefined macro is what a text
# line starting with "." becomes, and troff drops the line silently), no text line starts with
# "'" (a control line too, for a request troff may know: nothing warns about that one), and
# every page has the sections a reader looks for.
# Usage: check.sh PAGE.1...
set -u
if ! command -v groff >/dev/null 2>&1; then
        echo "SKIP man-pages: groff is not installed (scripts/install-deps.sh installs groff-base)"
        exit 77
fi
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for page in "$@"; do
        name=$(basename "$page")
        if groff -man -Tutf8 -ww -z "$page" >"$out" 2>&1 && [ ! -s "$out" ]; then
                ok "$name renders without troff warnings"
        else
                bad "$name: troff warnings"
                sed 's/^/     /' "$out" | head -20
        fi
        # a control line must be a request or macro the page means: the "." ones groff checked;
        # "'" at the start of a line is a no-break control character
        if grep -n "^'" "$page" >"$out"; then
                bad "$name: text lines starting with ' (write \\&' instead)"
                sed 's/^/     /' "$out"
        else
                ok "$name has no line starting with '"
        fi
        for section in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" FILES ENVIRONMENT EXAMPLES "SEE ALSO"; do
                if grep -q "^\.SH \"\{0,1\}$section\"\{0,1\}\$" "$page"; then
                        ok "$name has $section"
                else
                        bad "$name has no $section section"
                fi
        done
        # a sentence that repeats the one before it, or begins with 25 characters of it (an edit
        # that added a line and kept the old one)
        if groff -man -Tutf8 -rLL=5000n -rHY=0 "$page" 2>/dev/null | col -b | tr -s ' \t\n' '   ' | tr '.' '\n' |
                awk '{ sub(/^[ \t]+/, "") } length($0) >= 25 && index(prev, substr($0, 1, 25)) { print prev "." $0; bad = 1 } { prev = $0 } END { exit !bad }' >"$out"; then
                bad "$name repeats a sentence:"
                sed 's/^/     /' "$out"
        else
                ok "$name repeats no sentence"
        fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
