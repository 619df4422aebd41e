/* SPDX-License-Identifier: MIT */
/*
 * The revert command: restoring every journaled object to its state before bulwark, removing
 * what bulwark created once no installation uses it (reference counted per user), and
 * re-applying the installations that remain and may share what was reverted.
 */
#include "engine_internal.h"

struct restore_key {
        const struct bw_journal_acl *a;
        size_t order;
};

static int restore_cmp(const void *x, const void *y) {
        const struct restore_key *p = x, *q = y;
        int c = (p->a->root_len > q->a->root_len) - (p->a->root_len < q->a->root_len);
        if (!c)
                c = memcmp(p->a->root, q->a->root, p->a->root_len);
        if (!c)
                c = (p->a->rel_len > q->a->rel_len) - (p->a->rel_len < q->a->rel_len);
        if (!c)
                c = memcmp(p->a->rel, q->a->rel, p->a->rel_len);
        if (!c)
                c = p->a->is_default - q->a->is_default;
        if (!c)
                c = (p->order > q->order) - (p->order < q->order);
        return c;
}

static bool user_exists(const struct run *r, const char *name) {
        uint32_t id;
        return BE(r)->user_id(name, &id) > 0;
}

static bool group_exists(const struct run *r, const char *name) {
        uint32_t id;
        return BE(r)->group_id(name, &id) > 0;
}

/* Undo what the shared journal says bulwark created, once no installation needs it. */
static int revert_shared(struct run *r, FILE *out) {
        _cleanup_free_ uint8_t *data = NULL;
        _cleanup_free_ struct bw_journal_record *recs = NULL;
        size_t n = 0;
        uint64_t bad = 0;
        int e = bw_journal_read(r->state_fd, "shared.journal", &data, &recs, &n, &bad);
        if (e == -ENOENT)
                return 0;
        if (e < 0)
                return bw_report_fail(
                        r, -EBADMSG,
                        "%s/shared.journal is damaged at byte %llu: accounts and the firewall table were left as "
                        "they are; inspect it",
                        r->o->state_dir, (unsigned long long) bad);
        int ret = 0;
        char err[512];
        /* the first firewall record holds the state before bulwark */
        size_t first_nft = SIZE_MAX;
        for (size_t i = 0; i < n && first_nft == SIZE_MAX; i++)
                if (recs[i].type == BW_JOURNAL_NFT && recs[i].len >= 1)
                        first_nft = i;
        /* the runner as it was before bulwark first touched it (its first record) */
        for (size_t i = 0; i < n; i++) {
                if (recs[i].type != BW_JOURNAL_RUNNER)
                        continue;
                char path[PATH_MAX] = "";
                int re = BE(r)->runner_restore(recs[i].payload, recs[i].len, path, sizeof(path), err, sizeof(err));
                if (re == -EBADMSG)
                        ret = bw_report_fail(r, -EBADMSG,
                                             "the shared journal's runner record is damaged: check the runner's "
                                             "%s by hand (%s)",
                                             W(r)->runner_grant, W(r)->runner_check);
                else if (re == 0)
                        fprintf(out, "! runner %s was replaced or removed since apply: left as it is\n", path);
                else if (re < 0)
                        ret = bw_report_fail(r, -EIO, "cannot restore the runner %s: %s", path, err);
                else
                        fprintf(out, "- runner %s %s\n", path, W(r)->runner_as_before);
                break;
        }
        /* memberships apply added to accounts that existed before it, taken back */
        for (size_t i = n; i-- > 0;) {
                const struct bw_journal_record *rec = &recs[i];
                struct bw_journal_account a;
                if (rec->type != BW_JOURNAL_ACCOUNT || bw_journal_account_decode(rec->payload, rec->len, &a) < 0 ||
                    a.kind != BW_JOURNAL_ACCOUNT_MEMBERS)
                        continue;
                char user[72], groups[300];
                snprintf(user, sizeof(user), "%.*s", (int) a.name_len, a.name);
                snprintf(groups, sizeof(groups), "%.*s", (int) a.groups_len, a.groups);
                if (!user_exists(r, user))
                        continue;
                for (char *save = NULL, *g = strtok_r(groups, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
                        if (!group_exists(r, g))
                                continue;
                        if (BE(r)->account_leave_group(user, g, err, sizeof(err)) < 0)
                                ret = bw_report_fail(r, -EIO, "cannot take %s out of group %s: %s", user, g, err);
                        else
                                fprintf(out, "- member %s of %s (added by apply)\n", user, g);
                }
        }
        /* the firewall first (it names the users), then users before their groups */
        for (int pass = 0; pass < 3; pass++)
                for (size_t i = n; i-- > 0;) {
                        const struct bw_journal_record *rec = &recs[i];
                        if (pass == 0 && rec->type == BW_JOURNAL_NFT && i == first_nft) {
                                if (rec->payload[0] == 0) {
                                        if (BE(r)->fw_remove(err, sizeof(err)) < 0)
                                                ret = bw_report_fail(r, -EIO, "cannot remove the %s: %s", W(r)->fw_long,
                                                                     err);
                                        else
                                                fprintf(out, "- nft    %s\n", W(r)->fw_short);
                                } else if (rec->len > 1) {
                                        _cleanup_free_ char *text =
                                                strndup((const char *) rec->payload + 1, rec->len - 1);
                                        if (!text || BE(r)->fw_restore(text, err, sizeof(err)) < 0)
                                                ret = bw_report_fail(r, -EIO, "cannot restore the earlier %s: %s",
                                                                     W(r)->fw_long, err);
                                        else
                                                fprintf(out, "~ nft    %s restored as it was before\n", W(r)->fw_short);
                                }
                        }
                        struct bw_journal_account a;
                        if (pass > 0 && rec->type == BW_JOURNAL_ACCOUNT &&
                            bw_journal_account_decode(rec->payload, rec->len, &a) == 0 && !a.existed &&
                            a.kind == (pass == 1 ? BW_JOURNAL_ACCOUNT_USER : BW_JOURNAL_ACCOUNT_GROUP)) {
                                char name[BW_JOURNAL_ACCOUNT_NAME_MAX + 1];
                                snprintf(name, sizeof(name), "%.*s", (int) a.name_len, a.name);
                                bool group = a.kind == BW_JOURNAL_ACCOUNT_GROUP;
                                if (group && !group_exists(r, name))
                                        continue;
                                if (!group && !user_exists(r, name))
                                        continue;
                                if (BE(r)->account_remove(group, name, err, sizeof(err)) < 0)
                                        ret = bw_report_fail(r, -EIO, "cannot remove %s %s: %s",
                                                             group ? "group" : "user", name, err);
                                else
                                        fprintf(out, "- %-6s %s\n", group ? "group" : "user", name);
                        }
                }
        if (ret == 0 && (e = bw_state_remove_file(r->state_fd, "shared.journal")) < 0)
                ret = bw_report_fail(r, e, "cannot remove %s/shared.journal: %s", r->o->state_dir, strerror(-e));
        return ret;
}

/* The accounts an installation's runs use, as its bindings name them (one from before per-user
 * accounts: the shared ones its plan names). */
static void install_accounts(const struct bw_install_bindings *b, struct bw_strbuf *out) {
        bw_sb_puts(out, ",");
        bw_sb_puts(out, b->offline[0] ? b->offline : "bulwark-offline");
        bw_sb_puts(out, ",");
        bw_sb_puts(out, b->online[0] ? b->online : "bulwark-online");
        bw_sb_puts(out, ",");
        bw_sb_puts(out, b->groups[0] ? b->groups : "bulwark-sandbox,bulwark-write");
        bw_sb_puts(out, ",");
}

/* After a revert that leaves other installations: accounts and groups bulwark created that no
 * remaining installation uses go (they are counted per user: a user's sandbox users live as long
 * as one of their installations), and the firewall matches only the offline users that remain. */
int bw_revert_release_unused(struct run *r, FILE *out, bool legacy_only) {
        struct bw_strbuf needed = {0};
        _cleanup_free_ struct bw_install_bindings *b = malloc(sizeof(*b));
        char **ids = NULL;
        size_t n_ids = bw_state_list_installs(r->state_fd, &ids);
        for (size_t i = 0; b && i < n_ids; i++) {
                if (bw_state_read_install_bindings(r->state_fd, ids[i], b) < 0) {
                        /* cannot tell what it uses: keep everything */
                        bw_state_names_free(ids, n_ids);
                        bw_sb_done(&needed);
                        return 0;
                }
                install_accounts(b, &needed);
        }
        bw_state_names_free(ids, n_ids);
        _cleanup_free_ uint8_t *data = NULL;
        _cleanup_free_ struct bw_journal_record *recs = NULL;
        size_t n = 0;
        uint64_t bad = 0;
        int ret = 0;
        int e = bw_journal_read(r->state_fd, "shared.journal", &data, &recs, &n, &bad);
        for (int pass = 1; e == 0 && pass < 3; pass++)
                for (size_t i = n; i-- > 0;) {
                        struct bw_journal_account a;
                        if (recs[i].type != BW_JOURNAL_ACCOUNT ||
                            bw_journal_account_decode(recs[i].payload, recs[i].len, &a) < 0 || a.existed ||
                            a.kind != (pass == 1 ? BW_JOURNAL_ACCOUNT_USER : BW_JOURNAL_ACCOUNT_GROUP))
                                continue;
                        char name[BW_JOURNAL_ACCOUNT_NAME_MAX + 1], key[BW_JOURNAL_ACCOUNT_NAME_MAX + 3], err[512];
                        snprintf(name, sizeof(name), "%.*s", (int) a.name_len, a.name);
                        snprintf(key, sizeof(key), ",%s,", name);
                        bool group = a.kind == BW_JOURNAL_ACCOUNT_GROUP;
                        if ((needed.data && strstr(needed.data, key)) ||
                            (group ? !group_exists(r, name) : !user_exists(r, name)) ||
                            (legacy_only && strncmp(name, "bulwark-", 8) != 0))
                                continue;
                        if (BE(r)->account_remove(group, name, err, sizeof(err)) < 0)
                                ret = bw_report_fail(r, -EIO, "cannot remove %s %s: %s", group ? "group" : "user", name,
                                                     err);
                        else
                                fprintf(out, "- %-6s %s (no installation uses it any more)\n", group ? "group" : "user",
                                        name);
                }
        bw_sb_done(&needed);
        if (legacy_only)
                return ret;
        /* the firewall: the offline users that remain, if the table is as apply writes it */
        uint32_t uids[BW_FW_MAX_IDS];
        size_t nu = 0;
        char err[512];
        bw_state_offline_uids(r->o, r->state_fd, NULL, uids, &nu, BW_ARRAY_SIZE(uids));
        if (ret == 0 && nu > 0 && BE(r)->fw_inspect(uids, nu, err, sizeof(err)) == BW_FW_DIFFERENT) {
                if (BE(r)->fw_apply(uids, nu, err, sizeof(err)) < 0)
                        ret = bw_report_fail(r, -EIO, "cannot update the %s: %s", W(r)->fw_long, err);
                else
                        fprintf(out, "~ nft    %s matches the offline users of the remaining installations\n",
                                W(r)->fw_short);
        }
        return ret;
}

/* revert --moved-to NEW: a root of the installation whose workspace was ws, where it is now (a
 * root inside the workspace moved with it; any other stayed). NULL when the path does not fit. */
static const char *moved_root(const struct run *r, const char *ws, const char *root, char *buf, size_t size) {
        if (!r->o->moved_to || !bw_path_is_within(root, ws))
                return root;
        int n = snprintf(buf, size, "%s%s", r->o->moved_to, root + strlen(ws));
        return n > 0 && (size_t) n < size && n < PATH_MAX ? buf : NULL;
}

/* Before anything is reverted: an installation whose workspace no longer exists needs to be told
 * where it went (--moved-to) or that it was deleted (--deleted). Entries left on a moved tree
 * would name accounts revert deletes, whose ids a later account may be given. */
static int check_workspace(struct run *r, const char *id, void *userdata) {
        (void) userdata;
        char ws[PATH_MAX], user[PATH_MAX];
        if (!BE(r)->dir_check || bw_state_read_bindings(r->state_fd, id, ws, user, sizeof(ws)) < 0)
                return 0; /* (no file system to look at; unreadable bindings: revert_one says so) */
        bool gone = BE(r)->dir_check(ws) == -ENOENT;
        if (r->o->moved_to) {
                if (!gone)
                        return bw_report_fail(r, -EEXIST,
                                              "--moved-to: the workspace %s of installation %s is still there: "
                                              "revert it without --moved-to (nothing was reverted)",
                                              ws, id);
                int e = BE(r)->dir_check(r->o->moved_to);
                if (e < 0)
                        return bw_report_fail(r, e,
                                              "--moved-to %s: %s: give the directory the workspace %s was moved "
                                              "to (nothing was reverted)",
                                              r->o->moved_to,
                                              e == -ELOOP     ? "a symbolic link, not followed"
                                              : e == -ENOTDIR ? "not a directory"
                                                              : strerror(-e),
                                              ws);
                return 0;
        }
        if (gone && !r->o->forget_gone)
                return bw_report_fail(
                        r, -ENOENT,
                        "the workspace %s of installation %s no longer exists, so revert cannot reach the entries "
                        "apply set there, which would go on naming accounts revert deletes: if you moved it, "
                        "bulwark revert %s --moved-to NEW-PATH (they are removed there); if you deleted it, "
                        "bulwark revert %s --deleted. Nothing was reverted",
                        ws, id, id, id);
        return 0;
}

/*
 * Objects created after apply inherited bulwark's default entries, and objects replaced since
 * (an editor saving through a rename) are not the inodes the journal knows: neither can be put
 * back from the journal. Walk the installation's roots once more and remove bulwark's entries
 * wherever they remain, so no entry naming a soon-deleted account is left behind. (What the
 * journal restored has no such entries, so this does not touch it.)
 */
static int strip_leftovers(struct run *r, const char *id, uint64_t *ret_changed) {
        /* a backend without per-object entries (Windows) put them on targets only: every one is
         * in the journal, none on objects created since (inheritance gave those theirs) */
        if (!BE(r)->per_object_acls)
                return 0;
        char ws[PATH_MAX], user[PATH_MAX], path[2 * PATH_MAX];
        if (bw_state_read_bindings(r->state_fd, id, ws, user, sizeof(ws)) < 0)
                return -EBADMSG;
        struct bw_engine_options o2 = *r->o;
        o2.workspace = ws;
        o2.user = user;
        struct run s = {.state_sum_lock = PTHREAD_MUTEX_INITIALIZER, .o = &o2, .state_fd = -1, .dry_run = false};
        snprintf(path, sizeof(path), "%s/installs/%s/plan", r->o->state_dir, id);
        int ret = bw_bind_load_plan(&s, path) || bw_bind_prepare(&s) ? -EINVAL : 0;
        if (ret == 0) {
                /* want nothing of any kind: what remains of bulwark's entries goes, protection
                 * that moved with its objects too (only revert lifts it) */
                for (size_t k = 0; k < BW_ARRAY_SIZE(s.tp.kinds); k++)
                        s.tp.kinds[k].n_access = s.tp.kinds[k].n_dflt = 0;
                s.tp.lift_protection = true;
                const char **roots;
                size_t n = bw_tree_policy_roots(&s.tp, &roots);
                struct bw_tree_options to = {
                        .dry_run = false, .threads = r->o->threads, .on_error = bw_report_object_error};
                for (size_t i = 0; i < n; i++) {
                        struct bw_tree_stats st = {0};
                        char moved[2 * PATH_MAX];
                        const char *root = moved_root(r, ws, roots[i], moved, sizeof(moved));
                        if (root && BE(r)->tree_converge(&s.tp, root, &to, &st) == 0)
                                *ret_changed += st.changed;
                }
                free(roots);
        }
        bw_run_done(&s);
        return ret;
}

static int revert_one(struct run *r, const char *id, void *userdata) {
        FILE *out = userdata;
        uint64_t seq = bw_state_install_seq(r->state_fd, id);
        if (seq && (r->reverted_min_seq == 0 || seq < r->reverted_min_seq))
                r->reverted_min_seq = seq;
        char jpath[96];
        snprintf(jpath, sizeof(jpath), "installs/%s/journal", id);
        _cleanup_free_ uint8_t *data = NULL;
        _cleanup_free_ struct bw_journal_record *recs = NULL;
        size_t n = 0;
        uint64_t bad = 0;
        int e = bw_journal_read(r->state_fd, jpath, &data, &recs, &n, &bad);
        if (e == -EBADMSG)
                return bw_report_fail(
                        r, -EBADMSG,
                        "%s/%s is damaged at byte %llu: nothing was reverted, so that what can be undone is not lost; "
                        "restore the file from a backup or remove the installation by hand",
                        r->o->state_dir, jpath, (unsigned long long) bad);
        if (e < 0 && e != -ENOENT)
                return bw_report_fail(r, e, "cannot read %s/%s: %s", r->o->state_dir, jpath, strerror(-e));
        _cleanup_free_ struct bw_journal_acl *acl = calloc(n + 1, sizeof(*acl));
        _cleanup_free_ struct restore_key *keys = calloc(n + 1, sizeof(*keys));
        size_t nk = 0;
        int ret = 0;
        if (!acl || !keys)
                abort();
        for (size_t i = 0; i < n; i++) {
                if (recs[i].type != BW_JOURNAL_ACL)
                        continue;
                if (bw_journal_acl_decode(recs[i].payload, recs[i].len, &acl[nk]) < 0) {
                        ret = bw_report_fail(r, -EBADMSG, "%s/%s has a malformed ACL record: nothing was reverted",
                                             r->o->state_dir, jpath);
                        break;
                }
                keys[nk] = (struct restore_key){&acl[nk], i};
                nk++;
        }
        /* --moved-to: the records name the objects where apply found them; their inodes are checked
         * where they are now (a record whose object is not there is skipped as ever) */
        char ws[PATH_MAX], user[PATH_MAX];
        /* one new path per distinct root, not per record (a journal holds one per changed object) */
        struct moved_root_entry {
                const char *was;
                size_t was_len;
                char *now; /* NULL: the root did not move */
        } *moved = NULL;
        size_t n_moved = 0;
        if (ret == 0 && nk && r->o->moved_to && bw_state_read_bindings(r->state_fd, id, ws, user, sizeof(ws)) == 0) {
                for (size_t i = 0; i < nk; i++) {
                        size_t k = 0;
                        while (k < n_moved && !(moved[k].was_len == acl[i].root_len &&
                                                memcmp(moved[k].was, acl[i].root, acl[i].root_len) == 0))
                                k++;
                        if (k == n_moved) {
                                moved = realloc(moved, (n_moved + 1) * sizeof(*moved));
                                if (!moved)
                                        abort();
                                char was[PATH_MAX], now[PATH_MAX]; /* (the record's bytes are not NUL-terminated) */
                                snprintf(was, sizeof(was), "%.*s", (int) acl[i].root_len, acl[i].root);
                                moved[n_moved++] = (struct moved_root_entry){
                                        acl[i].root, acl[i].root_len,
                                        moved_root(r, ws, was, now, sizeof(now)) == now ? strdup(now) : NULL};
                        }
                        if (moved[k].now) {
                                acl[i].root = moved[k].now;
                                acl[i].root_len = strlen(moved[k].now);
                        }
                }
        }
        uint64_t restored = 0, skipped = 0, failed = 0;
        if (ret == 0 && nk) {
                qsort(keys, nk, sizeof(*keys), restore_cmp);
                for (size_t i = 0; i < nk; i++) {
                        /* the first record of an object holds its state before bulwark */
                        if (i > 0 && restore_cmp(&(struct restore_key){keys[i].a, 0},
                                                 &(struct restore_key){keys[i - 1].a, 0}) == 0)
                                continue;
                        int re = BE(r)->acl_restore(keys[i].a);
                        if (re < 0)
                                failed++;
                        else if (re == 0)
                                skipped++; /* gone or replaced since: not the object bulwark changed */
                        else
                                restored++;
                        r->restored = realloc(r->restored, (r->n_restored + 1) * sizeof(*r->restored));
                        if (!r->restored)
                                abort();
                        r->restored[r->n_restored++] = bw_state_acl_key(keys[i].a);
                }
        }
        for (size_t k = 0; k < n_moved; k++)
                free(moved[k].now);
        free(moved);
        if (ret)
                return ret;
        fprintf(out, "- acl    %llu ACLs restored to their bytes before bulwark (installation %s)\n",
                (unsigned long long) restored, id);
        if (skipped)
                fprintf(out, "  %llu objects were gone or replaced since and were left alone\n",
                        (unsigned long long) skipped);
        if (failed)
                return bw_report_fail(r, -EIO, "%llu ACLs could not be restored; the journal is kept: run revert again",
                                      (unsigned long long) failed);
        uint64_t stripped = 0;
        if (strip_leftovers(r, id, &stripped) == 0 && stripped)
                fprintf(out, "- acl    %llu objects created or replaced since apply: bulwark's entries removed\n",
                        (unsigned long long) stripped);
        e = bw_state_remove_install(r->state_fd, id);
        if (e < 0)
                return bw_report_fail(r, e, "cannot remove the installation %s: %s", id, strerror(-e));
        return 0;
}

static int reapply_one(struct run *r, const char *id, void *userdata) {
        FILE *out = userdata;
        char ws[PATH_MAX], user[PATH_MAX], path[2 * PATH_MAX];
        if (bw_state_read_bindings(r->state_fd, id, ws, user, sizeof(ws)) < 0)
                return bw_report_fail(r, -ENOENT, "installation %s has no readable bindings: re-apply its plan by hand",
                                      id);
        /* An installation applied after the reverted one recorded that one's state as "before":
         * drop those records (re-applying records the true original again). One applied before it
         * holds the originals: keep them. */
        int e = 0;
        if (bw_state_install_seq(r->state_fd, id) > r->reverted_min_seq)
                e = bw_state_filter_journal(r, id);
        if (e < 0)
                return bw_report_fail(r, e, "cannot rewrite the journal of installation %s: %s", id, strerror(-e));
        struct bw_engine_options o2 = *r->o;
        o2.workspace = ws;
        o2.user = user;
        o2.json = false;
        snprintf(path, sizeof(path), "%s/installs/%s/plan", r->o->state_dir, id);
        fprintf(out, "~ re-applying the plan installed for %s, which may share what was reverted:\n", ws);
        return bw_apply_plan(path, &o2, out, false, false);
}

/* Revert reports as it goes: copy what it writes to out into memory too, for the audit trail. */
struct tee {
        FILE *out, *copy;
};

#ifndef _WIN32
static ssize_t tee_write(void *cookie, const char *buf, size_t n) {
        struct tee *t = cookie;
        fwrite(buf, 1, n, t->copy);
        return (ssize_t) fwrite(buf, 1, n, t->out);
}
#endif

int bw_cmd_revert(const char *which, bool all, const struct bw_engine_options *o, FILE *real_out) {
        struct run r = {.state_sum_lock = PTHREAD_MUTEX_INITIALIZER, .o = o, .state_fd = -1};
        if (!BE(&r)->privileged()) {
                bw_run_done(&r);
                return bw_exit_status(
                        bw_report_fail(&r, -EPERM, "revert changes users, ACLs and the firewall: run it as root"));
        }
        if (!which && !all) {
                bw_run_done(&r);
                return bw_exit_status(bw_report_fail(
                        &r, -EINVAL, "say which plan to revert (a plan ID from 'bulwark status') or --all"));
        }
        int ret = bw_state_open(&r, false);
        if (ret == -ENOENT) {
                fprintf(real_out, "bulwark: nothing is installed\n");
                bw_run_done(&r);
                return 0;
        }
        char *text = NULL;
        size_t text_len = 0;
        struct tee t = {real_out, open_memstream(&text, &text_len)};
#ifdef _WIN32
        /* no fopencookie in the Microsoft runtime: the text goes to the copy alone and is written
         * to real_out when the revert has ended (not line by line as on Linux) */
        FILE *out = t.copy;
#else
        FILE *out = t.copy ? fopencookie(&t, "w", (cookie_io_functions_t){.write = tee_write}) : NULL;
#endif
        if (!out) {
                if (t.copy)
                        fclose(t.copy);
                free(text);
                bw_run_done(&r);
                return bw_exit_status(bw_report_fail(&r, -ENOMEM, "out of memory"));
        }
        int lock = ret ? -1 : bw_state_acquire_lock(&r);
        if (ret == 0 && lock < 0)
                ret = lock;
        bool began = ret == 0; /* past the refusals: the audit trail records this revert */
        size_t matched = 0, checked = 0;
        if (ret == 0)
                ret = bw_state_for_each_install(&r, all ? NULL : which, check_workspace, NULL, &checked);
        if (ret == 0)
                ret = bw_state_for_each_install(&r, all ? NULL : which, revert_one, out, &matched);
        if (ret == 0 && !all && matched == 0)
                ret = bw_report_fail(&r, -ENOENT, "no installed plan matches %s (see 'bulwark status')", which);
        if (ret == 0 && r.n_restored && bw_state_count_installs(r.state_fd) > 0) {
                /* Objects this revert put back may be shared with an installation that remains
                 * (the default profile makes /tmp writable for every workspace): re-apply those,
                 * with their records of the reverted objects dropped, since what they recorded as
                 * "before" was this installation's state, not the original. */
                qsort(r.restored, r.n_restored, sizeof(*r.restored), bw_state_str_cmp);
                size_t again = 0;
                ret = bw_state_for_each_install(&r, NULL, reapply_one, out, &again);
        }
        if (ret == 0 && bw_state_count_installs(r.state_fd) == 0)
                ret = revert_shared(&r, out);
        else if (ret == 0)
                ret = bw_revert_release_unused(&r, out, false);
#ifndef _WIN32
        fclose(out);
#endif
        fclose(t.copy);
#ifdef _WIN32
        if (text)
                fwrite(text, 1, text_len, real_out);
#endif
        if (began && (matched || all))
                bw_audit_revert(o, which, all, text, ret == 0);
        free(text);
        if (lock >= 0)
                bw_state_release_lock(&r, lock);
        bw_run_done(&r);
        return bw_exit_status(ret);
}
