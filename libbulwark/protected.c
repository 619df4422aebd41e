/* SPDX-License-Identifier: MIT */
/* The protected defaults (see protected.h and schema/policy-language.md, "Protected defaults"). */
#include "protected.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

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
        {"{.cursor,.cursorrules}", false},
        {".gemini", false},
        {".vscode", false},
        {".idea", false},
        {".mcp.json", false},
        {"{CLAUDE.md,CLAUDE.local.md}", false},
        {"{AGENTS.md,AGENTS.override.md,AGENT.md}", false},
        {"GEMINI.md", false},
        {".devcontainer", false},
        {".devcontainer.json", false},
        /* Zed's tasks and settings; Helix's config.toml and languages.toml, whose language servers
         * (any command) start when a file is opened: Helix has no trust prompt before its workspace
         * trust of 2026, which trusts a directory by its path */
        {"{.zed,.helix}", false},
        {"{.windsurf,.windsurfrules}", false},
        {"{.continue,.continuerc.json}", false},
        {"{.roo,.roomodes,.roorules}", false},
        {".kiro", false},
        {".clinerules", false},
        {".aider.{conf.yml,model.settings.yml,model.metadata.json}", false},
        {".junie", false},
        {".amazonq", false},
        {".opencode", false},
        {"{opencode.json,opencode.jsonc}", false},
        {".pre-commit-config.yaml", false},
        /* lefthook reads any of these (and its -local variants) on the user's next commit, and runs
         * the scripts in .lefthook/ and .lefthook-local/ */
        {"{lefthook,lefthook-local}.{yml,yaml,json,jsonc,toml}", false},
        {".lefthook{,-local}{,.yml,.yaml,.json,.jsonc,.toml}", false},
        {"*.code-workspace", false}, /* a glob: VS Code workspace files hold settings and tasks */
        /* Copilot's (VS Code, CLI, coding agent) repository instructions, prompt files, custom
         * agents, chat modes, skills and hooks: a path below .github, whose workflows stay
         * editable */
        {".github/{copilot-instructions.md,instructions,prompts,agents,chatmodes,skills,hooks}", false},
        /* the other agents' instruction files and configuration, and mise's (mise trusts a config
         * file by its path: a trusted mise.toml rewritten runs its hooks on the user's next cd) */
        {"{.rules,QWEN.md,.qwen,CRUSH.md,.crush.json,crush.json,WARP.md,.goosehints,.kilocode,.augment,"
         ".augment-guidelines,.aiassistant,mise.toml,.mise.toml,mise.local.toml,.mise.local.toml,.mise,"
         ".config/mise,.config/mise.toml}",
         false},
};

/* Does the entry (a name, or names in brace groups: "{lefthook,lefthook-local}.{yml,toml}" names
 * lefthook.yml, lefthook.toml, lefthook-local.yml and lefthook-local.toml) name name[0..len)? */
static bool entry_names(const char *entry, const char *name, size_t len) {
        const char *open = strchr(entry, '{'), *close = open ? strchr(open, '}') : NULL;
        if (!close)
                return strlen(entry) == len && memcmp(entry, name, len) == 0;
        size_t pre = (size_t) (open - entry);
        if (len < pre || memcmp(name, entry, pre) != 0)
                return false;
        for (const char *a = open + 1; a <= close;) {
                size_t n = strcspn(a, ",}");
                char rest[256]; /* this alternative, then what follows the group */
                if ((size_t) snprintf(rest, sizeof(rest), "%.*s%s", (int) n, a, close + 1) < sizeof(rest) &&
                    entry_names(rest, name + pre, len - pre))
                        return true;
                a += n + 1;
        }
        return false;
}

/* The entry itself (its whole text, braces and all, as a plan's rule holds it), or any one name of it */
int bw_protected_lookup(const char *name, size_t len) {
        for (size_t i = 0; i < BW_PROTECTED_COUNT; i++)
                if ((strlen(bw_protected_names[i].name) == len && memcmp(bw_protected_names[i].name, name, len) == 0) ||
                    entry_names(bw_protected_names[i].name, name, len))
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
        return ~have & (UINT32_MAX >> (32 - BW_PROTECTED_COUNT)); /* (1 << 32 would overflow) */
}
