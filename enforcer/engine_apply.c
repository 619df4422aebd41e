/* SPDX-License-Identifier: MIT */
/*
 * The plan and apply commands: a dry run of every converge step, and apply, which journals
 * and runs them under the state lock.
 */
#include "engine_internal.h"

/* The workspace names the installation and is the root the plan protects: a typo in --workspace
 * made apply create the accounts and install a plan that protects nothing, and status then said
 * "in force". Other roots that do not exist (~/.ssh) are reported and skipped by the walk; the
 * workspace itself must be there, and be a directory of its own, before anything changes. A
 * symlink is refused too: the walk would not follow it (unless root's), and the runner binds the
 * path as given, so the plan would protect one directory and the runs see another. The backend's
 * dir_check looks; where it has none, nothing is checked (the unit tests' fake has a file system
 * of its own; on Windows plan_path refuses a --workspace it cannot find, and a workspace bound in
 * the plan is not checked). Returns what is wrong ("does not exist", ...) with *err its errno, or
 * NULL: nothing known to be wrong. */
static const char *workspace_problem(const struct run *r, int *err) {
        if (!BE(r)->dir_check)
                return NULL;
        *err = BE(r)->dir_check(r->values[BW_VAR_WORKSPACE]);
        switch (*err) {
        case 0:
                return NULL;
        case -ENOENT:
                return "does not exist";
        case -ELOOP:
                return "is a symlink: give the directory it points to";
        case -ENOTDIR:
                return "is not a directory";
        default:
                return "cannot be read";
        }
}

/* apply: refuse before anything changes */
static int check_workspace(struct run *r) {
        int e = 0;
        const char *what = workspace_problem(r, &e);
        const char *ws = r->values[BW_VAR_WORKSPACE];
        if (!what)
                return 0;
        if (e == -ENOENT) {
                /* removed after a plan was installed for it (apply --installed, or the same apply
                 * again): what is left to do is revert that installation */
                char iws[PATH_MAX], iuser[PATH_MAX];
                _cleanup_close_ int sfd = bw_state_open_read(r->o, -1);
                bool installed = sfd >= 0 && bw_state_read_bindings(sfd, r->install_id, iws, iuser, sizeof(iws)) >= 0;
                return bw_report_fail(r, e, "workspace %s does not exist: check the path (nothing was changed)%s%s%s",
                                      ws, installed ? "; a plan is still installed for it: bulwark revert " : "",
                                      installed ? ws : "",
                                      installed ? " --moved-to NEW-PATH (you moved it) or --deleted (you deleted it) "
                                                  "undoes it"
                                                : "");
        }
        if (e == -ELOOP)
                return bw_report_fail(r, e, "workspace %s %s (realpath %s) (nothing was changed)", ws, what, ws);
        return bw_report_fail(r, e, "workspace %s %s%s%s: check the path (nothing was changed)", ws, what,
                              e == -ENOTDIR ? "" : ": ", e == -ENOTDIR ? "" : strerror(-e));
}

/* Cache roots (copy-on-write layers, sandbox.h) are made by the unelevated runner in the caller's
 * own ~/.cache; an installed plan runs as a sandbox user, which has no private layer there yet.
 * Refused before anything changes, rather than installed as read-only or, worse, writable roots. */
static int check_no_cache_roots(struct run *r, const char *plan_path) {
        for (uint32_t i = 0; i < r->plan->n_rules; i++)
                if (r->plan->rules[i].kind == BW_RULE_CACHE)
                        return bw_report_fail(r, -EOPNOTSUPP,
                                              "%s has cache roots (%s, copy-on-write), which elevated mode does not "
                                              "support yet: make them writable or read-only in the policy, or run "
                                              "unelevated without apply (nothing was changed)",
                                              plan_path, bw_plan_string(r->plan, r->plan->rules[i].text));
        return 0;
}

int bw_cmd_plan(const char *plan_path, const struct bw_engine_options *o, FILE *out) {
        struct run r = {.state_sum_lock = PTHREAD_MUTEX_INITIALIZER, .o = o, .state_fd = -1, .dry_run = true};
        int ret = 0;
        if (o->changes_out && !BE(&r)->privileged())
                /* the change set's digest covers the whole state, and without root part of it (the
                 * firewall's ruleset, files the caller cannot read) is unknown: apply --reviewed,
                 * as root, would always find "the machine changed" */
                ret = bw_report_fail(&r, -EPERM,
                                     "-o %s: a change set is computed against the whole state, which only root can "
                                     "read (the firewall's ruleset, every ACL): run sudo bulwark plan %s -o %s "
                                     "(nothing was saved)",
                                     o->changes_out, plan_path, o->changes_out);
        if (ret == 0)
                ret = bw_bind_load_plan(&r, plan_path);
        if (ret == 0)
                ret = check_no_cache_roots(&r, plan_path);
        if (ret == 0)
                ret = bw_bind_check_signature(&r, plan_path);
        if (ret == 0)
                ret = bw_converge_dry_run(&r);
        if (ret == 0) {
                /* read-only, so not an error here (plan before the workspace is made is fine), but
                 * apply would refuse it */
                int e = 0;
                const char *what = workspace_problem(&r, &e);
                if (what && e != -EACCES)
                        bw_report_note("workspace %s %s: bulwark apply would refuse it (check the path)",
                                       r.values[BW_VAR_WORKSPACE], what);
                bw_converge_install(&r);
                bw_report_print_changes(&r, out);
                if (o->changes_out && (ret = bw_reviewed_write(&r, plan_path, o->changes_out)) < 0)
                        ;
                else
                        ret = r.adds + r.changes + r.removes + r.unknown ? 2 : 0;
        }
        bw_run_done(&r);
        return bw_exit_status(ret);
}

/* The outer workspace's write group would be on every object of the inner one (the walk sets the
 * entries of whichever installation converges it), and the runner keeps other installations'
 * roots out of view only where they are not nested in its own: so one user's workspace may not
 * lie inside another user's, or contain it. */
static int check_no_nested_foreign(struct run *r) {
        char **ids = NULL;
        size_t n = bw_state_list_installs(r->state_fd, &ids);
        int ret = 0;
        for (size_t i = 0; i < n && ret == 0; i++) {
                char ws[PATH_MAX], user[PATH_MAX];
                if (bw_streq(ids[i], r->install_id) ||
                    bw_state_read_bindings(r->state_fd, ids[i], ws, user, sizeof(ws)) < 0 ||
                    bw_streq(user, r->values[BW_VAR_USER]))
                        continue;
                const char *mine = r->values[BW_VAR_WORKSPACE];
                if (bw_path_is_within(mine, ws) || bw_path_is_within(ws, mine))
                        ret = bw_report_fail(
                                r, -EIO,
                                "%s %s %s's installed workspace %s: one user's sandbox would be granted the "
                                "other's files; use separate directories",
                                mine, bw_path_is_within(mine, ws) ? "lies inside" : "contains", user, ws);
        }
        bw_state_names_free(ids, n);
        return ret;
}

/* apply, with the state lock taken here (take_lock: bw_state_acquire_lock) or already held by the caller (revert
 * re-applying the installations that remain). */
int bw_apply_plan(const char *plan_path, const struct bw_engine_options *o, FILE *out, bool take_lock, bool top_level) {
        struct run r = {.state_sum_lock = PTHREAD_MUTEX_INITIALIZER,
                        .o = o,
                        .state_fd = -1,
                        .dry_run = false,
                        .journal = {.fd = -1}};
        int lock = -1;
        bool began = false; /* past the refusals: the audit trail records this apply */
        int ret = bw_bind_load_plan(&r, plan_path);
        if (ret == 0 && top_level)
                ret = check_no_cache_roots(&r, plan_path);
        if (ret == 0 && top_level)
                ret = bw_bind_check_signature(&r, plan_path);
        if (ret == 0)
                ret = bw_bind_prepare(&r);
        if (ret == 0 && top_level)
                ret = check_workspace(&r);
        if (ret == 0)
                ret = bw_state_open(&r, true);
        if (ret == 0 && take_lock && (lock = bw_state_acquire_lock(&r)) < 0)
                ret = lock;
        if (ret == 0 && top_level)
                ret = check_no_nested_foreign(&r);
        if (ret == 0) {
                char dir[64];
                snprintf(dir, sizeof(dir), "installs/%s", r.install_id);
                int me = bw_state_make_install(&r);
                if (me < 0)
                        ret = bw_report_fail(&r, me, "cannot create %s/%s: %s", o->state_dir, dir, strerror(-me));
                char jpath[96];
                snprintf(jpath, sizeof(jpath), "%s/journal", dir);
                int e = ret ? 0 : bw_journal_open(&r.journal, r.state_fd, jpath);
                if (e < 0)
                        ret = bw_report_fail(&r, e, "cannot open the journal %s/%s: %s", o->state_dir, jpath,
                                             strerror(-e));
                if (ret == 0) {
                        uint8_t payload[32 + PATH_MAX];
                        size_t wl = strlen(r.values[BW_VAR_WORKSPACE]);
                        memcpy(payload, r.plan->header->digest, 32);
                        memcpy(payload + 32, r.values[BW_VAR_WORKSPACE], wl);
                        struct bw_journal_record rec = {BW_JOURNAL_BEGIN, payload, (uint32_t) (32 + wl)};
                        e = bw_journal_append(&r.journal, &rec, 1);
                        began = e == 0;
                        if (e < 0)
                                ret = bw_report_fail(&r, e, "cannot write the journal: %s", strerror(-e));
                }
        }
        if (ret == 0)
                ret = bw_converge_accounts(&r);
        if (ret == 0) {
                /* the ids exist now: rebuild the rules with them */
                char err[512];
                if (bw_bind_tree_policy(&r, err, sizeof(err)) < 0)
                        ret = bw_report_fail(&r, -EIO, "cannot use the plan's rules: %s", err);
        }
        if (ret == 0)
                ret = bw_converge_firewall(&r);
        if (ret == 0)
                ret = bw_converge_runner(&r);
        if (ret == 0)
                ret = bw_converge_acls(&r);
        if (ret == 0)
                ret = bw_converge_reachability(&r);
        if (ret == 0)
                ret = bw_converge_install(&r);
        if (ret == 0) {
                struct bw_journal_record rec = {BW_JOURNAL_COMMIT, r.plan->header->digest, 32};
                int e = bw_journal_append(&r.journal, &rec, 1);
                if (e < 0)
                        ret = bw_report_fail(&r, e, "cannot write the journal: %s", strerror(-e));
        }
        if (ret == 0) {
                bw_report_print_changes(&r, out);
                /* Migration: once every installation runs as its user's own accounts, the shared
                 * accounts an earlier version created are no longer anyone's (their entries were
                 * replaced, journaled, while converging). Revert still restores the original
                 * state, in which they did not exist. */
                ret = bw_revert_release_unused(&r, out, true);
                if (r.acl_errors)
                        bw_report_note("%llu objects could not be read or changed (see above)",
                                       (unsigned long long) r.acl_errors);
                if (ret == 0)
                        ret = r.acl_errors ? -EIO : 0;
        }
        if (began && top_level)
                bw_audit_apply(&r, ret == 0);
        bw_journal_close(&r.journal);
        if (lock >= 0)
                bw_state_release_lock(&r, lock);
        bw_run_done(&r);
        return ret;
}

int bw_cmd_apply(const char *plan_path, const struct bw_engine_options *o, FILE *out) {
        if (!bw_be(o)->privileged()) {
                bw_report_note("apply changes users, ACLs and the firewall: run it as root (bulwark plan shows what it "
                               "would do)");
                return bw_exit_status(-EPERM);
        }
        return bw_exit_status(bw_apply_plan(plan_path, o, out, true, true));
}
