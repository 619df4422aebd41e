/* SPDX-License-Identifier: MIT */
/*
 * The converge steps, in the order apply runs them: accounts, the network filter, the runner
 * binary, the access entries of every root, traverse entries on their ancestors, and the
 * installed plan's record. Each compares what the plan wants with the machine (through the
 * backend), adds a change line for each difference and, unless dry-running, journals the prior
 * state and changes it.
 */
#include "engine_internal.h"

int bw_converge_accounts(struct run *r) {
        const struct bw_plan *p = r->plan;
        bw_bind_lookup_ids(r);
        if (BE(r)->per_user && BE(r)->per_user())
                return 0; /* a per-user installation has no accounts (backend.h) */
        /* groups first: users are created into them */
        for (int pass = 0; pass < 2; pass++)
                for (uint32_t i = 0; i < p->n_principals; i++) {
                        const struct bw_plan_principal *pr = &p->principals[i];
                        bool group = pr->kind == BW_PRINCIPAL_SYSTEM_GROUP;
                        if (pr->kind == BW_PRINCIPAL_REAL_USER || group != (pass == 0) || !r->names[i][0])
                                continue;
                        const char *name = r->names[i];
                        char detail[128], err[512];
                        if (group && r->acc[i].exists && !bw_state_created_by_bulwark(r, name))
                                return bw_report_fail(
                                        r, -EEXIST,
                                        "a group %s exists that bulwark did not make: bulwark will not grant "
                                        "access to it; remove or rename that group and apply again",
                                        name);
                        if (r->acc[i].exists && r->acc[i].foreign)
                                return bw_report_fail(
                                        r, -EEXIST,
                                        "an account %s exists that bulwark did not make for %s (its GECOS field "
                                        "is not \"bulwark ... sandbox of %s\"): bulwark will not run sandboxes "
                                        "as it; remove or rename that account and apply again",
                                        name, r->values[BW_VAR_USER], r->values[BW_VAR_USER]);
                        if (!r->acc[i].exists) {
                                snprintf(detail, sizeof(detail), "%s",
                                         group ? "system group: this installation's read grants"
                                               : "system user, no login shell, no password");
                                bw_report_add(r, '+', group ? "group" : "user", name, detail, NULL, 0);
                                if (r->dry_run)
                                        continue;
                                struct bw_journal_account a = {.kind = group ? BW_JOURNAL_ACCOUNT_GROUP
                                                                             : BW_JOURNAL_ACCOUNT_USER,
                                                               .existed = false,
                                                               .name = name,
                                                               .name_len = strlen(name)};
                                int e = bw_state_account_record(r, &a);
                                if (e < 0)
                                        return bw_report_fail(r, e, "cannot journal the creation of %s: %s", name,
                                                              strerror(-e));
                                if (BE(r)->account_create(p, r->name_of, i, r->values[BW_VAR_USER], err, sizeof(err)) <
                                    0)
                                        return bw_report_fail(r, -EIO, "cannot create %s %s: %s",
                                                              group ? "group" : "user", name, err);
                        } else if (!group && !r->acc[i].members_ok) {
                                char missing[256], detail2[320];
                                BE(r)->account_missing_groups(p, r->name_of, i, missing, sizeof(missing));
                                snprintf(detail2, sizeof(detail2), "add to groups %s", missing);
                                bw_report_add(r, '~', "user", name, detail2, NULL, 0);
                                if (r->dry_run)
                                        continue;
                                /* journaled like a creation: revert takes the user out of the groups
                                 * apply put it in (kind 3: memberships; name, NUL, groups) */
                                struct bw_journal_account a = {.kind = BW_JOURNAL_ACCOUNT_MEMBERS,
                                                               .existed = true,
                                                               .name = name,
                                                               .name_len = strlen(name),
                                                               .groups = missing,
                                                               .groups_len = strlen(missing)};
                                if (a.name_len > BW_JOURNAL_ACCOUNT_NAME_MAX)
                                        return bw_report_fail(r, -EINVAL, "the account name %s is too long", name);
                                int e = bw_state_account_record(r, &a);
                                if (e < 0)
                                        return bw_report_fail(r, e, "cannot journal the groups of %s: %s", name,
                                                              strerror(-e));
                                if (BE(r)->account_fix_members(p, r->name_of, i, err, sizeof(err)) < 0)
                                        return bw_report_fail(r, -EIO, "cannot fix the groups of %s: %s", name, err);
                        }
                }
        for (size_t i = 0; i < r->n_wg; i++) {
                const struct write_group *g = &r->wg[i];
                bool seen = false;
                for (size_t k = 0; k < i && !seen; k++)
                        seen = bw_streq(r->wg[k].name, g->name);
                if (seen)
                        continue;
                if (g->gid >= 0) {
                        if (!bw_state_created_by_bulwark(r, g->name))
                                return bw_report_fail(
                                        r, -EEXIST,
                                        "a group %s exists that bulwark did not make: bulwark will not grant write "
                                        "access to %s to it; remove or rename that group and apply again",
                                        g->name, g->path);
                        continue;
                }
                char detail[PATH_MAX + 64], err[512];
                snprintf(detail, sizeof(detail), "system group: write access to %s", g->path);
                bw_report_add(r, '+', "group", g->name, detail, NULL, 0);
                if (r->dry_run)
                        continue;
                struct bw_journal_account a = {.kind = BW_JOURNAL_ACCOUNT_GROUP,
                                               .existed = false,
                                               .name = g->name,
                                               .name_len = strlen(g->name)};
                int e = bw_state_account_record(r, &a);
                if (e < 0)
                        return bw_report_fail(r, e, "cannot journal the creation of %s: %s", g->name, strerror(-e));
                if (BE(r)->group_create(g->name, err, sizeof(err)) < 0)
                        return bw_report_fail(r, -EIO, "cannot create group %s: %s", g->name, err);
        }
        bw_bind_lookup_ids(r);
        return 0;
}

/* The offline principals the firewall must match: this plan's, and every other installation's
 * (each user has their own). */
static size_t offline_uids(struct run *r, uint32_t *uids, size_t max) {
        size_t n = 0;
        for (uint32_t i = 0; i < r->plan->n_nft_rules; i++) {
                int64_t id = r->ids[r->plan->nft_rules[i].principal];
                bw_state_add_uid(uids, &n, max, id < 0 ? (uint32_t) 4294967294u : (uint32_t) id);
        }
        if (n)
                bw_state_offline_uids(r->o, r->state_fd, r->install_id, uids, &n, max);
        return n;
}

int bw_converge_firewall(struct run *r) {
        uint32_t uids[BW_FW_MAX_IDS];
        size_t n = offline_uids(r, uids, BW_ARRAY_SIZE(uids));
        if (n == 0)
                return 0;
        char err[512] = "";
        if (r->dry_run && !BE(r)->privileged()) {
                /* libnftables would only fail (and say so on stderr): the ruleset is root's to read */
                char why[256];
                snprintf(why, sizeof(why), "%s cannot be read without root: unknown", W(r)->fw_ruleset);
                bw_report_add(r, '?', "nft", W(r)->fw_what, why, NULL, 0);
                return 0;
        }
        enum bw_fw_state st = BE(r)->fw_inspect(uids, n, err, sizeof(err));
        char detail[256];
        char others[64] = "";
        if (n > 1)
                snprintf(others, sizeof(others), " and %zu other user%s offline sandbox user%s", n - 1,
                         n == 2 ? "'s" : "s'", n == 2 ? "" : "s");
        snprintf(detail, sizeof(detail), "%s%s%s%s", W(r)->fw_rule_head, bw_bind_role_account(r, BW_ROLE_OFFLINE),
                 others, W(r)->fw_rule_tail);
        if (st == BW_FW_CURRENT)
                return 0;
        if (st == BW_FW_UNKNOWN) {
                if (r->dry_run) {
                        char why[700];
                        snprintf(why, sizeof(why), "cannot read %s without privileges (%s): run as root to see",
                                 W(r)->fw_ruleset, err);
                        bw_report_add(r, '?', "nft", W(r)->fw_what, why, NULL, 0);
                        return 0;
                }
                return bw_report_fail(r, -EACCES, "cannot read %s: %s", W(r)->fw_ruleset, err);
        }
        bw_report_add(r, st == BW_FW_ABSENT ? '+' : '~', "nft", W(r)->fw_what, detail, NULL, 0);
        if (r->dry_run)
                return 0;
        /* A table of that name that is not ours as we would write it: keep its text, so revert
         * can put it back. */
        char listing[65536];
        size_t ll = 0;
        listing[0] = st != BW_FW_ABSENT;
        if (st == BW_FW_DIFFERENT && BE(r)->fw_save(listing + 1, sizeof(listing) - 1) == 0)
                ll = strlen(listing + 1);
        int e = bw_state_shared_record(r, BW_JOURNAL_NFT, (const uint8_t *) listing, (uint32_t) (1 + ll));
        if (e < 0)
                return bw_report_fail(r, e, "cannot journal the firewall change: %s", strerror(-e));
        if (BE(r)->fw_apply(uids, n, err, sizeof(err)) < 0)
                return bw_report_fail(r, -EIO, "cannot load the %s: %s", W(r)->fw_long, err);
        return 0;
}

/* Is root the installation's workspace itself (not another writable root such as ~/.cache)? */
static bool is_workspace(const struct run *r, const char *root) {
        return r->values[BW_VAR_WORKSPACE] && strcmp(r->values[BW_VAR_WORKSPACE], root) == 0;
}

/* Add one changed ACL to the state digest: order-independent, since the walk's threads meet the
 * objects in any order. */
static void state_add_acl(struct run *r, const struct bw_acl_change *c) {
        struct bw_sha256 *h = bw_sha256_new();
        uint8_t d[32], len[8];
        bw_sha256_update(h, c->root, strlen(c->root) + 1);
        bw_sha256_update(h, c->rel, strlen(c->rel) + 1);
        bw_sha256_update(h, c->attr, strlen(c->attr) + 1);
        bw_put_le64(len, c->before ? c->before_len : UINT64_MAX);
        bw_sha256_update(h, len, 8);
        if (c->before)
                bw_sha256_update(h, c->before, c->before_len);
        bw_put_le64(len, c->after ? c->after_len : UINT64_MAX);
        bw_sha256_update(h, len, 8);
        if (c->after)
                bw_sha256_update(h, c->after, c->after_len);
        bw_sha256_final(h, d);
        pthread_mutex_lock(&r->state_sum_lock);
        unsigned carry = 0;
        for (int i = 0; i < 32; i++) {
                unsigned v = (unsigned) r->state_sum[i] + d[i] + carry;
                r->state_sum[i] = (uint8_t) v;
                carry = v >> 8;
        }
        pthread_mutex_unlock(&r->state_sum_lock);
}

static int on_batch(void *userdata, const struct bw_acl_change *c, size_t n) {
        struct run *r = userdata;
        if (r->dry_run) {
                /* only dry runs need the state digest (plan -o, apply --reviewed's check) */
                for (size_t i = 0; i < n; i++)
                        state_add_acl(r, &c[i]);
                return 0;
        }
        struct bw_journal_record recs[256] = {{0, NULL, 0}};
        uint8_t *bufs[256];
        if (n > BW_ARRAY_SIZE(recs))
                return -E2BIG;
        for (size_t i = 0; i < n; i++) {
                struct bw_journal_acl a = {
                        .ino = c[i].ino,
                        .mode = c[i].mode,
                        .had_before = c[i].before != NULL,
                        .is_default = c[i].is_default,
                        .root = c[i].root,
                        .root_len = strlen(c[i].root),
                        .rel = c[i].rel,
                        .rel_len = strlen(c[i].rel),
                        .before = c[i].before,
                        .before_len = c[i].before_len,
                };
                uint32_t len;
                bufs[i] = bw_journal_acl_encode(&a, &len);
                recs[i] = (struct bw_journal_record){BW_JOURNAL_ACL, bufs[i], len};
        }
        int e = bw_journal_append(&r->journal, recs, n);
        for (size_t i = 0; i < n; i++)
                free(bufs[i]);
        return e;
}

/* A change of targets_converge: journaled as the walk's are, and one line each (there is no walk
 * to summarise them in regions: a plan has few targets). */
static int on_target_batch(void *userdata, const struct bw_acl_change *c, size_t n) {
        struct run *r = userdata;
        int e = on_batch(userdata, c, n);
        for (size_t i = 0; i < n && e == 0; i++) {
                char detail[200];
                snprintf(detail, sizeof(detail), "%s: this installation's entries (inherited below)", c[i].attr);
                bw_report_add(r, c[i].before ? '~' : '+', "acl", c[i].root, detail, NULL, 0);
        }
        return e;
}

/* Entries on the plan's targets (a backend without per-object decisions: Windows). */
static int converge_targets(struct run *r) {
        struct bw_bindings b = {{0}};
        for (size_t v = 0; v < BW_VAR_COUNT; v++)
                b.value[v] = r->values[v];
        struct bw_tree_options to = {.dry_run = r->dry_run,
                                     .threads = 1,
                                     .on_batch = on_target_batch,
                                     .userdata = r,
                                     .on_error = bw_report_object_error};
        struct bw_tree_stats st = {0};
        char err[1024] = "";
        /* plan and status hold no state fd: what an earlier apply recorded (the roots' SIDs) is
         * read through one of their own (none when there is no state directory yet) */
        _cleanup_close_ int own = -1;
        int state_fd = r->state_fd;
        if (state_fd < 0 && r->dry_run) {
                own = BE(r)->state_open(r->o->state_dir, false, err, sizeof(err));
                state_fd = own >= 0 ? own : -1;
                err[0] = 0;
        }
        int e = BE(r)->targets_converge(r->plan, r->name_of, &b, r->install_id, state_fd, &to, &st, err, sizeof(err));
        if (e < 0)
                return bw_report_fail(r, e, "cannot converge the plan's access entries: %s",
                                      err[0] ? err : strerror(-e));
        r->acl_errors += st.errors;
        r->progress_seen += st.objects;
        r->progress_changed += st.changed;
        return 0;
}

/* The kind of the path rule a root comes from. */
static uint32_t root_kind(const struct bw_tree_policy *tp, const char *root) {
        for (size_t i = 0; i < tp->n_paths; i++)
                if (bw_streq(tp->paths[i].path, root))
                        return tp->paths[i].kind;
        return 0;
}

/* The roots to walk: the outermost path rules, except that a shared sticky directory is not
 * walked itself (a default ACL there would override every user's umask: new files would get the
 * ACL's group and other entries; the sandbox does not need it either, since the runner gives each
 * run a private ${tmpdir}); the outermost rules inside it are walked instead (a workspace in
 * /tmp/myrepo gets its entries), and so on below. Returns a malloc()ed array of borrowed strings;
 * sticky receives those left alone. */
static size_t acl_roots(const struct bw_backend *be, const struct bw_tree_policy *tp, const char ***ret,
                        const char ***sticky, size_t *n_sticky) {
        const char **out = calloc(tp->n_paths + 1, sizeof(*out)), **st = calloc(tp->n_paths + 1, sizeof(*st));
        if (!out || !st)
                abort();
        size_t n = 0, ns = 0;
        /* a path is walked when every rule path above it (if any) is a shared sticky directory,
         * and it is not one itself */
        for (size_t i = 0; i < tp->n_paths; i++) {
                const char *p = tp->paths[i].path;
                bool dup = false;
                for (size_t k = 0; k < n && !dup; k++)
                        dup = bw_streq(out[k], p);
                for (size_t k = 0; k < ns && !dup; k++)
                        dup = bw_streq(st[k], p);
                if (dup)
                        continue;
                bool covered = false;
                for (size_t k = 0; k < n && !covered; k++)
                        covered = bw_path_is_within(p, out[k]);
                if (covered)
                        continue;
                if (be->shared_sticky(p))
                        st[ns++] = p;
                else
                        out[n++] = p;
        }
        *ret = out;
        *sticky = st;
        *n_sticky = ns;
        return n;
}

/* The walk's progress, counted over the whole command (the roots walked before this one too). */
static void walk_progress(void *ctx, uint64_t seen, uint64_t changed) {
        const struct run *r = ctx;
        r->o->progress(r->o->progress_ctx, r->progress_seen + seen, r->progress_changed + changed);
}

int bw_converge_acls(struct run *r) {
        _cleanup_free_ const char **roots = NULL;
        _cleanup_free_ const char **sticky = NULL;
        size_t n_sticky = 0;
        size_t n = acl_roots(BE(r), &r->tp, &roots, &sticky, &n_sticky);
        for (size_t i = 0; i < n_sticky; i++) {
                size_t inside = 0;
                for (size_t k = 0; k < n; k++)
                        inside += bw_path_is_within(roots[k], sticky[i]);
                char detail[200];
                snprintf(detail, sizeof(detail),
                         "a shared sticky directory: left alone (every run gets a private one from the runner)%s",
                         inside ? "; the roots inside it get their entries" : "");
                bw_report_add(r, '?', "acl", sticky[i], detail, NULL, 0);
                r->unknown--; /* informational, not a difference */
        }
        if (!BE(r)->per_object_acls)
                return converge_targets(r);
        struct bw_acl_region *regions = NULL;
        struct bw_tree_options to = {.dry_run = r->dry_run,
                                     .threads = r->o->threads,
                                     .on_batch = on_batch,
                                     .userdata = r,
                                     .regions = &regions,
                                     .progress = r->o->progress ? walk_progress : NULL,
                                     .progress_ctx = r,
                                     .on_error = bw_report_object_error};
        int ret = 0;
        for (size_t i = 0; i < n; i++) {
                struct bw_tree_stats st = {0};
                int e = BE(r)->tree_converge(&r->tp, roots[i], &to, &st);
                if (e == -ENOENT) {
                        /* a root that does not exist yet: nothing to set; the runner protects it */
                        bw_report_add(r, '?', "acl", roots[i],
                                      is_workspace(r, roots[i])
                                              ? "does not exist: nothing to set (the workspace is gone: revert "
                                                "its installation)"
                                      : root_kind(&r->tp, roots[i]) == BW_RULE_UNREADABLE
                                              ? "does not exist: nothing to set (runs hide it if it appears; apply "
                                                "again to give it its ACLs too)"
                                              : "does not exist: nothing to set (create it and apply again)",
                                      NULL, 0);
                        r->unknown--; /* informational, not a difference */
                        continue;
                }
                if (e == -ELOOP && root_kind(&r->tp, roots[i]) == BW_RULE_UNREADABLE) {
                        /* Following the real user's symlink would let them point root's ACL changes at
                         * any file; an unreadable path behind one (~/.kube -> ~/dotfiles/kube) is left
                         * to the runner, which hides what it points to. */
                        bw_report_add(
                                r, '?', "acl", roots[i],
                                "reached through a symlink that is not root's: no ACL set (the runner still hides "
                                "what it points to; list the real path to have ACLs too)",
                                NULL, 0);
                        r->unknown--;
                        continue;
                }
                if ((e == -EACCES || e == -EPERM) && r->dry_run && !BE(r)->privileged()) {
                        /* status or plan without root: what it cannot read is unknown, not drift */
                        bw_report_add(r, '?', "acl", roots[i], "cannot be read without root: unknown (run it as root)",
                                      NULL, 0);
                        continue;
                }
                if (e < 0) {
                        ret = bw_report_fail(
                                r, e, "cannot converge %s: %s%s", roots[i], strerror(-e),
                                e == -ELOOP ? " (a symlink on the way is not root's: bulwark follows only root's "
                                              "symlinks when it changes ACLs; use the real path)"
                                            : "");
                        break;
                }
                r->acl_errors += st.errors;
                r->progress_seen += st.objects;
                r->progress_changed += st.changed;
                if (st.skipped_hardlinks || st.skipped_mounts || st.skipped_devices)
                        bw_report_note("%s: left alone: %llu hard-linked files, %llu mount points, %llu devices",
                                       roots[i], (unsigned long long) st.skipped_hardlinks,
                                       (unsigned long long) st.skipped_mounts, (unsigned long long) st.skipped_devices);
        }
        bw_report_acl_regions(r, regions);
        bw_acl_regions_free(regions);
        return ret;
}

/* The sandbox must be able to reach every writable root and read grant: a workspace under a 0700
 * home is the normal case. Each ancestor the principals cannot traverse gets the installation's
 * read group with --x in its access ACL (backend traverse_grant), nothing more. */
int bw_converge_reachability(struct run *r) {
        int64_t gid = -1;
        const char *sandbox_name = "?";
        for (uint32_t i = 0; i < r->plan->n_principals; i++)
                if (r->plan->principals[i].role == BW_ROLE_SANDBOX_GROUP) {
                        gid = r->ids[i];
                        sandbox_name = r->names[i];
                }
        uint32_t ugid = gid < 0 ? 4294967293u : (uint32_t) gid;
        /* the traverse entry of earlier versions' shared group goes where this one is added */
        uint32_t legacy[1];
        unsigned n_legacy = 0;
        uint32_t lg;
        if (BE(r)->group_id("bulwark-sandbox", &lg) > 0 && lg != ugid)
                legacy[n_legacy++] = lg;
        const char **roots;
        size_t n_roots = bw_tree_policy_roots(&r->tp, &roots);
        char **done = NULL;
        size_t n_done = 0;
        int ret = 0;
        for (size_t i = 0; i < r->tp.n_paths && ret == 0; i++) {
                const struct bw_tree_rule *t = &r->tp.paths[i];
                if (t->kind != BW_RULE_WRITABLE && t->kind != BW_RULE_READABLE)
                        continue;
                _cleanup_free_ char *anc = strdup(t->path);
                if (!anc)
                        abort();
                for (;;) {
                        char *slash = strrchr(anc, '/');
                        if (!slash)
                                break;
                        if (slash == anc) {
                                if (anc[1] == 0)
                                        break;
                                anc[1] = 0;
                        } else
                                *slash = 0;
                        /* ancestors inside a walked root were handled by the walk */
                        bool inside = false;
                        for (size_t k = 0; k < n_roots && !inside; k++)
                                inside = bw_path_is_within(anc, roots[k]);
                        bool seen = false;
                        for (size_t k = 0; k < n_done && !seen; k++)
                                seen = bw_streq(done[k], anc);
                        if (inside || seen)
                                continue;
                        done = realloc(done, (n_done + 1) * sizeof(*done));
                        if (!done)
                                abort();
                        done[n_done++] = strdup(anc);
                        bool replaced = false;
                        int e = BE(r)->traverse_grant(anc, (uint32_t) r->real_uid, ugid, legacy, n_legacy, r->dry_run,
                                                      on_batch, r, &replaced);
                        if (e == 0)
                                continue;
                        /* journaled (on_batch) before it was made, like every change; not a region
                         * of its own */
                        char detail[600];
                        snprintf(detail, sizeof(detail), "group:%s:--x (access): traverse only, to reach %s%s",
                                 sandbox_name, t->path,
                                 replaced ? " (instead of the shared bulwark-sandbox of earlier versions)" : "");
                        bw_report_add(r, replaced ? '~' : '+', "acl", anc, detail, NULL, 0);
                        if (e < 0)
                                ret = bw_report_fail(r, e, "cannot give the sandbox traverse access to %s: %s", anc,
                                                     strerror(-e));
                }
        }
        for (size_t k = 0; k < n_done; k++)
                free(done[k]);
        free(done);
        free(roots);
        return ret;
}

/* bulwark-runner must be root's, 0755, with cap_setuid,cap_setgid=ep: its prior state goes in the
 * shared journal (the runner serves every installation), and revert puts it back with the last. */
int bw_converge_runner(struct run *r) {
        char path[PATH_MAX], err[512] = "";
        if (BE(r)->runner_locate(r->o->runner, path, sizeof(path)) < 0)
                return bw_report_fail(r, -EINVAL, "--runner %s: give an absolute path", r->o->runner);
        _cleanup_free_ struct bw_runner_info *st = malloc(sizeof(*st));
        if (!st)
                return bw_report_fail(r, -ENOMEM, "out of memory");
        int e = BE(r)->runner_inspect(path, st, err, sizeof(err));
        if (e < 0) {
                if (r->dry_run) {
                        char why[700];
                        snprintf(why, sizeof(why), "cannot use it: %s", err);
                        bw_report_add(r, '?', "runner", path, why, NULL, 0);
                        return 0;
                }
                return bw_report_fail(
                        r, -EIO, "the runner %s: %s (install bulwark-runner beside bulwark, or give --runner PATH)",
                        path, err);
        }
        if (st->current)
                return 0;
        bw_report_add(r, st->elevated ? '~' : '+', "runner", path, st->detail, NULL, 0);
        if (r->dry_run)
                return 0;
        e = bw_state_shared_record(r, BW_JOURNAL_RUNNER, st->record, st->record_len);
        if (e < 0)
                return bw_report_fail(r, e, "cannot journal the runner's state: %s", strerror(-e));
        if (BE(r)->runner_converge(path, st->record, st->record_len, err, sizeof(err)) < 0)
                return bw_report_fail(r, -EIO, "cannot give %s its %s: %s", path, W(r)->runner_grant, err);
        return 0;
}

/* The supplementary groups a run of this installation carries (the runner sets exactly these):
 * its read group and the groups of its writable roots. */
static void install_groups(const struct run *r, char *out, size_t size) {
        size_t o = 0;
        out[0] = 0;
        const char *read_group = bw_bind_role_account(r, BW_ROLE_SANDBOX_GROUP);
        if (read_group[0])
                o = (size_t) snprintf(out, size, "%s", read_group);
        for (size_t i = 0; i < r->n_wg && o < size && i < 63; i++) {
                if (strstr(out, r->wg[i].name))
                        continue;
                int n = snprintf(out + o, size - o, "%s%s", o ? "," : "", r->wg[i].name);
                if (n < 0 || (size_t) n >= size - o)
                        break;
                o += (size_t) n;
        }
}

int bw_converge_install(struct run *r) {
        char path[64];
        snprintf(path, sizeof(path), "installs/%s/plan", r->install_id);
        struct bw_plan *cur = NULL;
        struct bw_plan_error err;
        char full[PATH_MAX];
        snprintf(full, sizeof(full), "%s/%s", r->o->state_dir, path);
        bool same =
                bw_plan_load(full, 0, &cur, &err) == 0 && memcmp(cur->header->digest, r->plan->header->digest, 32) == 0;
        bw_plan_free(cur);
        _cleanup_free_ struct bw_install_bindings *nb = calloc(1, sizeof(*nb));
        if (!nb)
                return bw_report_fail(r, -ENOMEM, "out of memory");
        char bind[BW_BINDINGS_MAX + 1];
        const char *signer = nb->signer;
        snprintf(nb->workspace, sizeof(nb->workspace), "%s", r->values[BW_VAR_WORKSPACE]);
        snprintf(nb->user, sizeof(nb->user), "%s", r->values[BW_VAR_USER]);
        snprintf(nb->home, sizeof(nb->home), "%s", r->values[BW_VAR_HOME]);
        snprintf(nb->tmpdir, sizeof(nb->tmpdir), "%s", r->values[BW_VAR_TMPDIR]);
        snprintf(nb->offline, sizeof(nb->offline), "%s", bw_bind_role_account(r, BW_ROLE_OFFLINE));
        snprintf(nb->online, sizeof(nb->online), "%s", bw_bind_role_account(r, BW_ROLE_ONLINE));
        install_groups(r, nb->groups, sizeof(nb->groups));
        uint64_t seq = nb->seq = bw_state_install_seq(r->state_fd, r->install_id);
        bw_signer_describe(&r->signer, nb->signer, sizeof(nb->signer));
        for (char *c = nb->signer; *c; c++)
                if (*c == '\n')
                        *c = ' ';
        int bl = bw_bindings_encode(nb, bind, sizeof(bind));
        if (bl < 0)
                return bw_report_fail(r, bl, "cannot record the bindings of %s: %s", r->values[BW_VAR_WORKSPACE],
                                      strerror(-bl));
        /* the same plan, signed since (or the other way round), is a change of its record */
        char old[sizeof(bind)] = "";
        bw_state_read_install_text(r->state_fd, r->install_id, "bindings", old, sizeof(old));
        if (same && (seq == 0 || bw_streq(old, bind)))
                return 0;
        const struct bw_plan_token *t = &r->plan->tokens[r->plan->meta->default_token];
        char detail[1400];
        snprintf(detail, sizeof(detail), "plan %s installed for %s; default %s, network %s; %s", r->plan->id,
                 r->values[BW_VAR_WORKSPACE], r->names[t->principal], t->network ? "on" : "off", signer);
        bw_report_add(r, cur || seq ? '~' : '+', "token", r->names[t->principal], detail, NULL, 0);
        if (r->dry_run)
                return 0;
        if (seq == 0) {
                nb->seq = bw_state_next_seq(r->state_fd);
                bl = bw_bindings_encode(nb, bind, sizeof(bind));
                if (bl < 0)
                        return bw_report_fail(r, bl, "cannot record the bindings of %s: %s",
                                              r->values[BW_VAR_WORKSPACE], strerror(-bl));
        }
        int e = bw_state_write_install(r, bind, !same);
        if (e < 0)
                return bw_report_fail(r, e, "cannot install the plan in %s: %s", full, strerror(-e));
        return 0;
}

/* Compare everything the plan wants with the machine, changing nothing (plan and status). */
int bw_converge_dry_run(struct run *r) {
        int ret = bw_bind_prepare(r);
        if (ret == 0)
                ret = bw_converge_accounts(r);
        if (ret == 0)
                ret = bw_converge_firewall(r);
        if (ret == 0)
                ret = bw_converge_runner(r);
        if (ret == 0)
                ret = bw_converge_acls(r);
        if (ret == 0)
                ret = bw_converge_reachability(r);
        return ret;
}
