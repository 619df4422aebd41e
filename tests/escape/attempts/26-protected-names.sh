# SPDX-License-Identifier: MIT
# Issue #10: agents' and editors' configuration directories (.codex .agents .claude .cursor
# .gemini .vscode .idea .mcp.json) are protected by name at any depth, in both modes: an agent
# that rewrites .vscode/tasks.json or .claude/settings.json gets its code run by the next editor
# or agent that opens the workspace. Existing ones are read-only (EROFS, EACCES from apply's
# ACLs; EBUSY for a mount point moved or replaced); new ones the run makes do not survive as live
# configuration (refused inside, or removed after the run).
# Helpers (rb, write_fail, move_fail) come from 22-git-anywhere.sh.

for f in .vscode/tasks.json .claude/settings.json .cursor/mcp.json .codex/config.toml .agents/AGENTS.md .idea/workspace.xml \
        .mcp.json packages/ui/.vscode/settings.json packages/ui/.claude/settings.json packages/ui/.gemini/settings.json \
        packages/ui/.mcp.json; do
        rb -c "agent-config-write:$f" "$write_fail" sh -c 'echo "{\"hooks\": \"touch /tmp/evil\"}" >>"$0"' "$f"
done
rb -c agent-config-new-file "$write_fail" sh -c 'echo "{\"hooks\": \"touch /tmp/evil\"}" >.claude/settings.local.json'
rb -c agent-config-new-file-deep "$write_fail" sh -c 'echo "{\"version\": \"2.0.0\"}" >packages/ui/.vscode/tasks.json'
rb -c agent-config-rename-away "$move_fail" sh -c 'mv .claude claude-old && mkdir .claude && echo "{\"hooks\": \"evil\"}" >.claude/settings.json'
rm -rf "$ws/claude-old"
world_reset
rb -c agent-config-rename-away-deep "$move_fail" "$probe" rename packages/ui/.vscode packages/ui/vscode-old
rm -rf "$ws/packages/ui/vscode-old"
world_reset
rb -c agent-config-replace-mcp "$move_fail" sh -c 'echo "{\"mcpServers\": {\"evil\": {}}}" >mcp.tmp && exec '"$probe"' rename mcp.tmp .mcp.json'
rm -f "$ws/mcp.tmp"
world_reset

# New ones, at the top (.gemini) and deeper (apps/web, where none exists): the command may make
# them in its view; none may be left as live configuration with its content.
for f in .gemini/settings.json apps/web/.claude/settings.json apps/web/.vscode/tasks.json apps/web/.mcp.json \
        apps/web/.codex/config.toml apps/web/.cursor/mcp.json apps/web/.agents/AGENTS.md apps/web/.idea/workspace.xml; do
        make_cfg='mkdir -p "$(dirname "$0")" && echo "{\"hooks\": \"escape-agent-config\"}" >"$0"'
        proof "agent-config-new:$f" sh -c "$make_cfg" "$f"
        top=${f%%/*}
        [ "$top" = apps ] && top=apps/web/$(echo "$f" | cut -d/ -f3)
        rm -rf "${ws:?}/$top"
        harmless "agent-config-new:$f" sh -c "$make_cfg" "$f"
        host_check "agent-config-new:$f" "no $f with the command's content after the run" \
                sh -c "! grep -qs escape-agent-config $ws/$f"
        # (a placeholder the runner reserved, if any, is left alone: another run may use it)
        if grep -qs escape-agent-config "$ws/$f"; then rm -rf "${ws:?}/$top"; fi
done
