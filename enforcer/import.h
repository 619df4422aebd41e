/* SPDX-License-Identifier: MIT */
/*
 * bulwark import: a policy from the sandbox configuration a user already has.
 *   codex: the Codex CLI's config.toml (sandbox_mode, [sandbox_workspace_write], [profiles.NAME]);
 *   srt:   Anthropic's sandbox-runtime settings JSON (filesystem and network).
 * Each returns the policy's text and, in notes, what did not map and why. Nothing here prints.
 */
#pragma once

#include "policy_gen.h"

struct bw_import_options {
        const char *name;    /* the file, as shown in messages */
        const char *profile; /* codex: --profile NAME (NULL: the file's `profile` key, if any) */
        bool allow_network;  /* srt: map "some domains allowed" to network: on (default: off) */
};

/* 0 and the policy in *ret_policy (malloc()ed); -EINVAL with "FILE:LINE:COL: message" (or
 * "FILE: message") in err when the configuration is malformed or means something bulwark refuses
 * to guess (an unknown sandbox_mode, a relative writable root). */
int bw_import_codex(const char *text, size_t len, const struct bw_import_options *o, char **ret_policy,
                    struct bw_gen_notes *notes, char *err, size_t err_size);
int bw_import_srt(const char *text, size_t len, const struct bw_import_options *o, char **ret_policy,
                  struct bw_gen_notes *notes, char *err, size_t err_size);

/* The command: bulwark import codex|srt [FILE] [-o OUT] [--profile NAME] [--allow-network]. */
int bw_cmd_import(int argc, char **argv);

/* ---- shared by the importers ---- */

struct bw_import_entry {
        char *text; /* a policy path or glob (literal: `$` doubled), or a ${workspace}/${tmpdir} template */
        bool glob;
        char *comment; /* NULL or a short remark written after it */
};

struct bw_import_list {
        struct bw_import_entry *v;
        size_t n;
};

struct bw_import_policy {
        struct bw_strbuf header; /* comment lines, each starting with "# " */
        char name[65];
        const char *extends; /* a built-in profile */
        const char *extends_comment;
        struct bw_import_list writable, read_only, readable, unreadable;
        bool network;
        char network_comment[200];
};

void bw_import_add(struct bw_import_list *l, const char *text, bool glob, const char *comment);
bool bw_import_has(const struct bw_import_list *l, const char *text);
/* The YAML of p (malloc()ed); frees p's contents. */
char *bw_import_render(struct bw_import_policy *p);
void bw_import_policy_done(struct bw_import_policy *p);
