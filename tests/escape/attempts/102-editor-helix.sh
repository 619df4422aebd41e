# SPDX-License-Identifier: MIT
# Helix reads a workspace's .helix/config.toml and .helix/languages.toml, and starts the language
# servers the latter names (any command, with its arguments) as soon as a file of that language is
# opened: without a trust prompt before its workspace trust of 2026, which trusts a directory by its
# path (so a rewritten languages.toml in a trusted repository runs on ann's next `hx`). Protected
# as .zed is: existing ones read-only (EROFS; EACCES elevated), in both modes; new ones, at the top
# and deeper, do not survive the run with the command's content.
# Self-contained (it sorts before 22-git-anywhere.sh): ESC_ONLY=102 runs it alone.

hx_write_fail='Read-only file system|Permission denied'
hx_lang='[language-server.evil]\ncommand = "sh"\nargs = ["-c", "touch /tmp/evil"]\n[[language]]\nname = "c"\nlanguage-servers = ["evil"]\n'

rm -rf "$ws/.helix" "$ws/packages/hx"
as_user ann sh -c 'mkdir -p "$1/.helix" && printf "[editor]\nline-number = \"relative\"\n" >"$1/.helix/config.toml"' sh "$ws"
[ "$mode" = elevated ] && $bulwark apply /var/lib/escape-tools/ws.plan --workspace "$ws" --user ann >/run/esc.reapply 2>&1
blocked -c helix-existing-languages "$hx_write_fail" sh -c 'printf "$0" >.helix/languages.toml' "$hx_lang"
blocked -c helix-existing-config "$hx_write_fail" sh -c 'echo "[keys.normal]" >>.helix/config.toml'
rm -rf "$ws/.helix"
for d in .helix packages/hx/.helix .Helix; do
        make_hx='mkdir -p "$0" && printf "$1" >"$0/languages.toml"'
        proof "helix-new:$d" sh -c "$make_hx" "$d" "$hx_lang"
        rm -rf "${ws:?}/$d" "$ws/packages/hx"
        harmless "helix-new:$d" sh -c "$make_hx" "$d" "$hx_lang"
        host_check "helix-new:$d" "no $d/languages.toml with the command's language server after the run" \
                sh -c "! grep -qs 'touch /tmp/evil' '$ws/$d/languages.toml'"
        if [ "$mode" != control ]; then rm -rf "${ws:?}/$d" "$ws/$d".bulwark-quarantine* "$ws/packages/hx"; fi
done
