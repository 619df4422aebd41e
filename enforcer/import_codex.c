/* SPDX-License-Identifier: MIT */
/*
 * bulwark import codex: the Codex CLI's config.toml. The keys read are those of Codex's
 * docs/config.md: sandbox_mode ("read-only" | "workspace-write" | "danger-full-access"; read-only
 * when absent), [sandbox_workspace_write] with writable_roots (absolute paths), network_access,
 * exclude_tmpdir_env_var, exclude_slash_tmp (all false by default), and profiles: `profile = NAME`
 * or --profile NAME selects [profiles.NAME], whose sandbox_mode overrides the top-level one (a
 * profile carries no [sandbox_workspace_write] of its own).
 */
#include "import.h"

#include "toml_min.h"

#include <stdarg.h>
#include <stdio.h>

struct ctx {
        const struct bw_import_options *o;
        char *err;
        size_t err_size;
};

static int BW_PRINTF(3, 4) error_at(struct ctx *x, const struct bw_toml_value *at, const char *fmt, ...) {
        char msg[400];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (at)
                snprintf(x->err, x->err_size, "%s:%u:%u: %s", x->o->name, (unsigned) at->line, (unsigned) at->col, msg);
        else
                snprintf(x->err, x->err_size, "%s: %s", x->o->name, msg);
        return -EINVAL;
}

static int want(struct ctx *x, const struct bw_toml_value *v, enum bw_toml_type t, const char *key) {
        if (v->type == t)
                return 0;
        return error_at(x, v, "%s must be %s, not %s", key, bw_toml_type_name(t), bw_toml_type_name(v->type));
}

static void sanitize_name(const char *in, char *out, size_t size) {
        size_t k = 0;
        for (const char *c = in; *c && k + 1 < size && k < 64; c++) {
                bool ok = (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
                          *c == '.' || *c == '_' || *c == '-';
                out[k++] = ok ? *c : '-';
        }
        out[k] = 0;
}

int bw_import_codex(const char *text, size_t len, const struct bw_import_options *o, char **ret_policy,
                    struct bw_gen_notes *notes, char *err, size_t err_size) {
        struct ctx x = {o, err, err_size};
        struct bw_toml_value *root = NULL;
        struct bw_toml_error te;
        *ret_policy = NULL;
        if (bw_toml_parse(text, len, &root, &te) < 0) {
                snprintf(err, err_size, "%s:%u:%u: %s", o->name, (unsigned) te.line, (unsigned) te.col, te.message);
                return -EINVAL;
        }
        int r = 0;
        struct bw_import_policy p = {0};

        /* the profile */
        const char *profile = o->profile;
        const struct bw_toml_value *pk = bw_toml_get(root, "profile");
        if (pk && (r = want(&x, pk, BW_TOML_STRING, "profile")) < 0)
                goto out;
        if (!profile && pk)
                profile = pk->text;
        const struct bw_toml_value *mode = bw_toml_get(root, "sandbox_mode"), *prof = NULL;
        if (profile) {
                const struct bw_toml_value *profiles = bw_toml_get(root, "profiles");
                if (profiles && (r = want(&x, profiles, BW_TOML_TABLE, "profiles")) < 0)
                        goto out;
                prof = bw_toml_get(profiles, profile);
                if (!prof) {
                        r = error_at(&x, o->profile ? NULL : pk, "no profile '%s' ([profiles.%s]) in this file",
                                     profile, profile);
                        goto out;
                }
                char key[128];
                snprintf(key, sizeof(key), "profiles.%s", profile);
                if ((r = want(&x, prof, BW_TOML_TABLE, key)) < 0)
                        goto out;
                const struct bw_toml_value *pm = bw_toml_get(prof, "sandbox_mode");
                if (pm)
                        mode = pm;
                if (bw_toml_get(prof, "sandbox_workspace_write"))
                        bw_gen_note(
                                notes,
                                "[profiles.%s.sandbox_workspace_write] is not a profile setting in Codex (a profile "
                                "sets sandbox_mode; [sandbox_workspace_write] is top-level): ignored",
                                profile);
        }
        const char *m = "read-only";
        if (mode) {
                if ((r = want(&x, mode, BW_TOML_STRING, "sandbox_mode")) < 0)
                        goto out;
                m = mode->text;
                if (!bw_streq(m, "read-only") && !bw_streq(m, "workspace-write") &&
                    !bw_streq(m, "danger-full-access")) {
                        char shown[80];
                        r = error_at(&x, mode,
                                     "unknown sandbox_mode \"%s\" (Codex knows \"read-only\", \"workspace-write\" and "
                                     "\"danger-full-access\")",
                                     bw_printable(m, strlen(m), shown, sizeof(shown)));
                        goto out;
                }
        } else
                bw_gen_note(notes, "no sandbox_mode%s: Codex's default is read-only, and so is this policy",
                            profile ? " in the file or the profile" : "");

        /* [sandbox_workspace_write]: always checked, used for workspace-write only */
        const struct bw_toml_value *sww = bw_toml_get(root, "sandbox_workspace_write");
        bool network = false, no_tmpdir_env = false, no_slash_tmp = false;
        const struct bw_toml_value *net_v = NULL, *roots = NULL;
        if (sww) {
                if ((r = want(&x, sww, BW_TOML_TABLE, "sandbox_workspace_write")) < 0)
                        goto out;
                for (size_t i = 0; i < sww->n_kv; i++) {
                        const char *k = sww->kv[i].key;
                        const struct bw_toml_value *v = sww->kv[i].value;
                        char full[160];
                        snprintf(full, sizeof(full), "sandbox_workspace_write.%s", k);
                        if (bw_streq(k, "writable_roots")) {
                                if ((r = want(&x, v, BW_TOML_ARRAY, full)) < 0)
                                        goto out;
                                for (size_t j = 0; j < v->n_items; j++) {
                                        const struct bw_toml_value *it = v->items[j];
                                        if ((r = want(&x, it, BW_TOML_STRING, "each writable root")) < 0)
                                                goto out;
                                        const char *why = bw_gen_path_problem(it->text);
                                        if (why) {
                                                char shown[200];
                                                r = error_at(&x, it, "writable root \"%s\" %s",
                                                             bw_printable(it->text, it->len, shown, sizeof(shown)),
                                                             why);
                                                goto out;
                                        }
                                }
                                roots = v;
                        } else if (bw_streq(k, "network_access") || bw_streq(k, "exclude_tmpdir_env_var") ||
                                   bw_streq(k, "exclude_slash_tmp")) {
                                if ((r = want(&x, v, BW_TOML_BOOL, full)) < 0)
                                        goto out;
                                if (k[0] == 'n') {
                                        network = v->boolean;
                                        net_v = v;
                                } else if (bw_streq(k, "exclude_tmpdir_env_var"))
                                        no_tmpdir_env = v->boolean;
                                else
                                        no_slash_tmp = v->boolean;
                        } else
                                bw_gen_note(notes, "%s (line %u) is not a key this importer knows: ignored", full,
                                            (unsigned) v->line);
                }
        }

        /* what has no counterpart */
        if (bw_toml_get(root, "default_permissions") || bw_toml_get(root, "permissions"))
                bw_gen_note(notes, "permission profiles (default_permissions, [permissions.*]) are not imported: only "
                                   "sandbox_mode and [sandbox_workspace_write] are");
        if (bw_toml_get(root, "approval_policy") || (prof && bw_toml_get(prof, "approval_policy")))
                bw_gen_note(notes, "approval_policy has no counterpart: bulwark asks nothing; its boundary holds for "
                                   "every command");
        if (bw_toml_get(root, "shell_environment_policy"))
                bw_gen_note(notes, "shell_environment_policy is not imported: bulwark drops credential variables by "
                                   "its own list (`bulwark show` prints it); use the policy's environment: pass, "
                                   "drop and set");

        /* the policy */
        bw_sb_printf(&p.header, "# Imported by `bulwark import codex` from %s%s%s.\n", o->name,
                     profile ? ", profile " : "", profile ? profile : "");
        bw_sb_puts(&p.header,
                   "# Codex's workspace is the session's working directory; bulwark's is the repository\n"
                   "# (the outermost directory with .git or .bulwark/policy.yaml). Review, then `bulwark trust`.\n");
        char pn[58] = "";
        if (profile)
                sanitize_name(profile, pn, sizeof(pn));
        snprintf(p.name, sizeof(p.name), "codex%s%s", pn[0] ? "-" : "", pn);
        if (bw_streq(m, "read-only")) {
                p.extends = "read-only";
                p.extends_comment = "sandbox_mode = \"read-only\": nothing writable";
                if (sww)
                        bw_gen_note(notes, "[sandbox_workspace_write] applies to workspace-write only; sandbox_mode is "
                                           "read-only, so it is not used");
        } else {
                bool danger = bw_streq(m, "danger-full-access");
                if (danger) {
                        bw_gen_note(notes, "sandbox_mode \"danger-full-access\" turns Codex's sandbox off; bulwark has "
                                           "no unsandboxed mode: this policy is workspace-write, offline (set "
                                           "`network: on` if the commands need the network)");
                        if (sww)
                                bw_gen_note(notes,
                                            "[sandbox_workspace_write] applies to workspace-write only: not used");
                }
                bool tmp = danger || !(no_tmpdir_env && no_slash_tmp);
                p.extends = tmp ? "workspace-write" : "read-only";
                p.extends_comment = danger ? "closest to danger-full-access: see the notes"
                                    : tmp  ? "sandbox_mode = \"workspace-write\": the workspace and ${tmpdir}"
                                           : "exclude_slash_tmp and exclude_tmpdir_env_var: the workspace only";
                if (!tmp)
                        bw_import_add(&p.writable, "${workspace}", false, "Codex's cwd");
                if (!danger && tmp && (no_tmpdir_env || no_slash_tmp))
                        bw_gen_note(notes,
                                    "%s = true keeps ${tmpdir} writable here: bulwark has one temporary "
                                    "directory ($TMPDIR, else /tmp), a private tmpfs for each run",
                                    no_tmpdir_env ? "exclude_tmpdir_env_var" : "exclude_slash_tmp");
                for (size_t j = 0; !danger && roots && j < roots->n_items; j++) {
                        char *lit = bw_gen_literal_path(roots->items[j]->text);
                        char c[64];
                        snprintf(c, sizeof(c), "writable_roots, line %u", (unsigned) roots->items[j]->line);
                        if (!bw_import_has(&p.writable, lit))
                                bw_import_add(&p.writable, lit, false, c);
                        free(lit);
                }
                if (!danger && network) {
                        p.network = true;
                        snprintf(p.network_comment, sizeof(p.network_comment),
                                 "network_access = true (line %u): `bulwark run --network` gets it",
                                 (unsigned) net_v->line);
                }
        }
        *ret_policy = bw_import_render(&p);
out:
        bw_import_policy_done(&p);
        bw_toml_free(root);
        return r;
}
