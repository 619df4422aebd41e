/* SPDX-License-Identifier: MIT */
/* The protected defaults (see protected.h and schema/policy-language.md, "Protected defaults"). */
#include "protected.h"

/*
 * .git and .bulwark hold the repository's history and hooks and the policy that confines the
 * sandbox: only an admin may let a policy drop them. The others are agent and editor
 * configuration that runs code or holds instructions and approvals (hooks, MCP servers, tasks,
 * allow-lists), or that a tool runs on the user's next commit (pre-commit, lefthook): a
 * sandboxed agent must not rewrite its own or another agent's instructions, nor what runs later
 * as the user outside the sandbox. A
 * policy may drop those itself (some projects keep generated editor settings), but it counts as
 * widening.
 */
const struct bw_protected_name bw_protected_names[BW_PROTECTED_COUNT] = {
        {".git", true},
        {".bulwark", true},
        {".codex", false},
        {".agents", false},
        {".claude", false},
        {".cursor", false},
        {".gemini", false},
        {".vscode", false},
        {".idea", false},
        {".mcp.json", false},
        {"CLAUDE.md", false},
        {"AGENTS.md", false},
        {"GEMINI.md", false},
        {".devcontainer", false},
        {".devcontainer.json", false},
        {".zed", false},
        {".windsurf", false},
        {".continue", false},
        {".roo", false},
        {".kiro", false},
        {".clinerules", false},
        {".aider.conf.yml", false},
        {".junie", false},
        {".amazonq", false},
        {".opencode", false},
        {"opencode.json", false},
        {".pre-commit-config.yaml", false},
        {"lefthook.yml", false},
        {".lefthook.yml", false},
        {"*.code-workspace", false}, /* a glob: VS Code workspace files hold settings and tasks */
};

int bw_protected_lookup(const char *name, size_t len) {
        for (size_t i = 0; i < BW_PROTECTED_COUNT; i++)
                if (strlen(bw_protected_names[i].name) == len && memcmp(bw_protected_names[i].name, name, len) == 0)
                        return (int) i;
        return -ENOENT;
}

uint32_t bw_plan_unprotected(const struct bw_plan *p) {
        uint32_t have = 0;
        for (uint32_t i = 0; i < p->n_rules; i++) {
                const struct bw_plan_rule *r = &p->rules[i];
                if (!(r->flags & BW_RULE_PROTECTED) || r->match != BW_MATCH_GLOB || r->text.length < 4)
                        continue;
                const char *t = bw_plan_string(p, r->text);
                if (strncmp(t, "**/", 3) != 0)
                        continue;
                int k = bw_protected_lookup(t + 3, r->text.length - 3);
                if (k >= 0)
                        have |= UINT32_C(1) << k;
        }
        return ~have & ((UINT32_C(1) << BW_PROTECTED_COUNT) - 1);
}
