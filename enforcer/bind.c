/* SPDX-License-Identifier: MIT */
/*
 * Binding a plan to one installation: the real user and the workspace (the plan's variables),
 * the accounts its principal roles stand for, their ids, and the tree rule set built from them;
 * loading and checking the plan, and releasing what a struct run holds.
 */
#include "engine_internal.h"

/* The group of a writable root: bw-w- and 8 hex digits of the SHA-256 of its bound path. */
static void write_group_name(const char *path, char out[16]) {
        uint8_t d[32];
        char hex[9];
        bw_sha256(path, strlen(path), d);
        bw_hex(d, 4, hex);
        snprintf(out, 16, "bw-w-%s", hex);
}

/* The plan names principal roles; the installation chooses the accounts: its real user's own
 * offline and online sandbox users (runs of one user never share a uid with another user's), a
 * read group of the installation (bw-r-ID: read grants and traverse entries), and a write group
 * per writable root. A run carries exactly its installation's groups, so a grant made for
 * another installation, or left by an older plan, gives it nothing. */
static int bind_principals(struct run *r) {
        const struct bw_plan *p = r->plan;
        const char *user = r->values[BW_VAR_USER];
        for (uint32_t i = 0; i < 32; i++) {
                r->names[i][0] = 0;
                r->name_of[i] = r->names[i];
        }
        r->wg = calloc(p->n_rules + 1, sizeof(*r->wg));
        if (!r->wg)
                return bw_report_fail(r, -ENOMEM, "out of memory");
        for (uint32_t i = 0; i < p->n_rules; i++) {
                const struct bw_plan_rule *rule = &p->rules[i];
                char *bound = NULL;
                if (!BE(r)->write_groups || rule->kind != BW_RULE_WRITABLE || rule->match != BW_MATCH_PATH ||
                    bw_template_bind(bw_plan_string(p, rule->text), BW_TEMPLATE_PATH, &r->b, &bound, NULL) < 0)
                        continue;
                if (BE(r)->shared_sticky(bound)) {
                        free(bound); /* left alone (bw_converge_acls): no ACL will name a group of it */
                        continue;
                }
                struct write_group *g = &r->wg[r->n_wg++];
                g->path = bound;
                g->rule = i;
                g->gid = -1;
                write_group_name(bound, g->name);
        }
        for (uint32_t i = 0; i < p->n_principals && i < 32; i++) {
                const struct bw_plan_principal *pr = &p->principals[i];
                if (pr->kind == BW_PRINCIPAL_REAL_USER)
                        snprintf(r->names[i], sizeof(r->names[i]), "%s", user);
                else if (pr->kind == BW_PRINCIPAL_SYSTEM_USER) {
                        if (BE(r)->account_name(pr->role, user, r->names[i]) < 0)
                                return bw_report_fail(r, -EINVAL,
                                                      "the plan's principal %s has no sandbox role bulwark knows",
                                                      bw_plan_string(p, pr->name));
                } else if (pr->role == BW_ROLE_SANDBOX_GROUP)
                        snprintf(r->names[i], sizeof(r->names[i]), "bw-r-%s", r->install_id);
                /* the write group role: per root (r->wg) */
        }
        return 0;
}

/* The account bound to the first principal with a role ("" if none). */
const char *bw_bind_role_account(const struct run *r, uint32_t role) {
        for (uint32_t i = 0; i < r->plan->n_principals && i < 32; i++)
                if (r->plan->principals[i].role == role)
                        return r->names[i];
        return "";
}

static int bind_variables(struct run *r) {
        const struct bw_plan *p = r->plan;
        const struct bw_engine_options *o = r->o;
        /* the real user: --user, SUDO_USER, SUDO_UID, the caller */
        const char *user = o->user ? o->user : getenv("SUDO_USER");
        const char *sudo_uid = getenv("SUDO_UID");
        _cleanup_free_ struct bw_user_info *pw = malloc(sizeof(*pw));
        if (!pw)
                return bw_report_fail(r, -ENOMEM, "out of memory");
        int found = BE(r)->user_lookup(user,
                                       user || !sudo_uid ? BW_USER_CALLER : (uint32_t) strtoul(sudo_uid, NULL, 10), pw);
        if (found < 0 && !user)
                return bw_report_fail(
                        r, -EINVAL,
                        "the real user, uid %s, has no passwd entry: bulwark binds sandbox accounts to a named "
                        "user; give an existing account with --user NAME",
                        sudo_uid ? sudo_uid : "(the caller's)");
        if (found < 0)
                return bw_report_fail(r, -EINVAL,
                                      "cannot find the real user %s: give an existing account with --user NAME", user);
        r->real_uid = pw->id;
        char cwd[PATH_MAX];
        const char *ws = o->workspace;
        if (!ws) {
                if (!getcwd(cwd, sizeof(cwd)))
                        return bw_report_fail(r, -EINVAL,
                                              "cannot determine the current directory: give --workspace DIR");
                ws = cwd;
        }
        char *abs = NULL;
        if (BE(r)->plan_path) {
                const char *why = "";
                int e = BE(r)->plan_path(ws, &abs, &why);
                if (e < 0)
                        return bw_report_fail(r, e, "--workspace %s: %s", ws, why);
        } else if (ws[0] != '/') {
                if (!getcwd(cwd, sizeof(cwd)) || asprintf(&abs, "%s/%s", cwd, ws) < 0)
                        return bw_report_fail(r, -EINVAL, "cannot make --workspace %s absolute", ws);
        } else
                abs = strdup(ws);
        if (!bw_utf8_valid(abs, strlen(abs), NULL)) {
                char bad[200], ws_shown[3 * PATH_MAX];
                (void) bw_var_value_explain(BW_VAR_WORKSPACE, abs, bad, sizeof(bad));
                bw_report_fail(r, -EINVAL, "--workspace %s: %s",
                               bw_printable(ws, strlen(ws), ws_shown, sizeof(ws_shown)), bad);
                free(abs);
                return -EINVAL;
        }
        /* normalise lexically (no symlinks are followed here; the walk opens it safely) */
        struct bw_strbuf esc = {0};
        for (const char *c = abs; *c; c++) {
                if (*c == '$')
                        bw_sb_putc(&esc, '$');
                bw_sb_putc(&esc, *c);
        }
        free(abs);
        char *canon = NULL, *plain = NULL;
        struct bw_template_error terr;
        if (bw_template_from_policy(esc.data, esc.len, BW_TEMPLATE_PATH, NULL, &canon, &terr) < 0 ||
            bw_template_bind(canon, BW_TEMPLATE_PATH, NULL, &plain, NULL) < 0) {
                bw_sb_done(&esc);
                free(canon);
                return bw_report_fail(r, -EINVAL, "--workspace %s: %s", ws, terr.message);
        }
        bw_sb_done(&esc);
        free(canon);
        const char *want[BW_VAR_COUNT] = {
                [BW_VAR_HOME] = pw->home,
                [BW_VAR_TMPDIR] = BE(r)->tmpdir ? BE(r)->tmpdir() : "/tmp",
                [BW_VAR_USER] = pw->name,
                [BW_VAR_WORKSPACE] = plain,
        };
        for (int i = 0; i < BW_VAR_COUNT; i++) {
                const struct bw_plan_var *v = &p->vars[i];
                const char *value = want[i];
                if (v->flags & BW_VAR_BOUND) {
                        value = bw_plan_string(p, v->value);
                        if (i == BW_VAR_WORKSPACE && o->workspace && !bw_streq(value, plain)) {
                                free(plain);
                                return bw_report_fail(
                                        r, -EINVAL,
                                        "this plan is bound to workspace %s, not %s: recompile it without -D "
                                        "workspace, or use that workspace",
                                        value, o->workspace);
                        }
                }
                char why[200];
                if (bw_var_value_explain((enum bw_var_id) i, value, why, sizeof(why)) < 0) {
                        /* value may be plain itself: report before freeing it */
                        char shown[3 * PATH_MAX];
                        bw_report_fail(r, -EINVAL, "${%s} would be \"%s\", which cannot be: %s",
                                       bw_var_name((enum bw_var_id) i),
                                       bw_printable(value, strlen(value), shown, sizeof(shown)), why);
                        free(plain);
                        return -EINVAL;
                }
                r->values[i] = strdup(value);
                r->b.value[i] = r->values[i];
        }
        free(plain);
        /* the installation is named after the workspace */
        uint8_t d[32];
        bw_sha256(r->values[BW_VAR_WORKSPACE], strlen(r->values[BW_VAR_WORKSPACE]), d);
        bw_hex(d, 8, r->install_id);
        return bind_principals(r);
}

void bw_bind_lookup_ids(struct run *r) {
        BE(r)->accounts_lookup(r->plan, r->name_of, r->values[BW_VAR_USER], r->acc);
        for (uint32_t i = 0; i < 32; i++)
                r->ids[i] = i < r->plan->n_principals ? r->acc[i].id : -1;
        for (size_t i = 0; i < r->n_wg; i++) {
                uint32_t gid;
                r->wg[i].gid = BE(r)->group_id(r->wg[i].name, &gid) > 0 ? (int64_t) gid : -1;
        }
}

/* The rules with principal ids, and the groups of the writable roots; entries of the shared
 * accounts of earlier versions are bulwark's too, so converging replaces them (journaled like
 * every change: revert puts them back). */
int bw_bind_tree_policy(struct run *r, char *err, size_t err_size) {
        bw_tree_policy_done(&r->tp);
        int e = bw_tree_policy_init(&r->tp, r->plan, &r->b, r->ids, err, err_size);
        if (e < 0)
                return e;
        _cleanup_free_ int64_t *gids = calloc(r->plan->n_rules + 1, sizeof(*gids));
        if (!gids)
                return -ENOMEM;
        for (uint32_t i = 0; i < r->plan->n_rules; i++)
                gids[i] = -1;
        for (size_t i = 0; i < r->n_wg; i++)
                gids[r->wg[i].rule] = r->wg[i].gid;
        e = bw_tree_policy_set_root_groups(&r->tp, gids, r->plan->n_rules);
        static const char *const legacy_users[] = {"bulwark-offline", "bulwark-online"};
        static const char *const legacy_groups[] = {"bulwark-sandbox", "bulwark-write"};
        for (size_t i = 0; i < BW_ARRAY_SIZE(legacy_users); i++) {
                uint32_t id;
                if (BE(r)->user_id(legacy_users[i], &id) > 0)
                        bw_tree_policy_add_managed(&r->tp, false, id);
                if (BE(r)->group_id(legacy_groups[i], &id) > 0)
                        bw_tree_policy_add_managed(&r->tp, true, id);
        }
        return e;
}

void bw_run_done(struct run *r) {
        for (size_t i = 0; i < r->n_lines; i++) {
                free(r->lines[i].kind);
                free(r->lines[i].what);
                free(r->lines[i].detail);
                free(r->lines[i].source);
        }
        free(r->lines);
        for (int i = 0; i < BW_VAR_COUNT; i++)
                free(r->values[i]);
        for (size_t i = 0; i < r->n_wg; i++)
                free(r->wg[i].path);
        free(r->wg);
        for (size_t i = 0; i < r->n_restored; i++)
                free(r->restored[i]);
        free(r->restored);
        bw_tree_policy_done(&r->tp);
        bw_plan_free(r->plan);
        if (r->state_fd >= 0)
                close(r->state_fd);
}

int bw_bind_load_plan(struct run *r, const char *path) {
        struct bw_plan_error err = {0};
        int e = bw_plan_load(path, 0, &r->plan, &err);
        if (e < 0) {
                if (err.message[0])
                        return bw_report_fail(r, -EINVAL, "%s: invalid plan at byte %llu: %s", path,
                                              (unsigned long long) err.offset, err.message);
                return bw_report_fail(r, e, "%s: cannot read the plan: %s", path,
                                      e == -EINVAL ? "not a regular file" : strerror(-e));
        }
        return 0;
}

/* A signature, when there is one (or must be one): see signature.h. */
int bw_bind_check_signature(struct run *r, const char *plan_path) {
        struct bw_signature_options so = {.signature = r->o->signature,
                                          .keys_dir = r->o->trusted_keys_dir,
                                          .admin_dir = r->o->admin_dir,
                                          .plan_requires = r->plan->meta->flags & BW_META_REQUIRE_SIGNED,
                                          .say = bw_report_text};
        return bw_signature_check(plan_path, r->plan->data, r->plan->size, &so, &r->signer);
}

int bw_bind_prepare(struct run *r) {
        char err[512] = "";
        int e = bind_variables(r);
        if (e < 0)
                return e;
        bw_bind_lookup_ids(r);
        if (bw_bind_tree_policy(r, err, sizeof(err)) < 0)
                return bw_report_fail(r, -EINVAL, "cannot use the plan's rules: %s", err);
        return 0;
}
