/* SPDX-License-Identifier: MIT */
/*
 * The status command: a dry run of every installed plan against the machine (drift), as text
 * or as one JSON compliance document.
 */
#include "engine_internal.h"

struct status {
        FILE *out;
        unsigned drift;
        unsigned unreadable; /* without root: what could not be read (not drift) */
        json_t *installs;    /* --json: the installations, for one compliance document */
};

/* The installed workspace itself no longer exists (removed after apply): the walk said so for its
 * root ("does not exist", informational for any other root, and not counted as a difference). The
 * plan protects nothing there: that is drift, and what to do is revert the installation (apply
 * refuses a workspace that does not exist). */
static bool workspace_gone(const struct run *r) {
        const char *ws = r->values[BW_VAR_WORKSPACE];
        for (size_t i = 0; ws && i < r->n_lines; i++) {
                const struct change_line *l = &r->lines[i];
                if (l->op == '?' && bw_streq(l->kind, "acl") && l->what && bw_streq(l->what, ws) && l->detail &&
                    strncmp(l->detail, "does not exist", 14) == 0)
                        return true;
        }
        return false;
}

static int status_one(struct run *parent, const char *id, void *userdata) {
        struct status *sv = userdata;
        FILE *out = sv->out;
        char ws[PATH_MAX], user[PATH_MAX], path[PATH_MAX], signer[1024];
        char iws[PATH_MAX];
        bool interrupted = bw_state_interrupted(parent->state_fd, id, iws, sizeof(iws)) > 0;
        if (bw_state_read_bindings_signer(parent->state_fd, id, ws, user, sizeof(ws), signer, sizeof(signer)) < 0 &&
            interrupted) {
                /* the first apply of this workspace was interrupted before it recorded its plan:
                 * nothing is damaged, the journal knows what was done */
                char why[2 * PATH_MAX];
                snprintf(why, sizeof(why),
                         "the first apply for %s was interrupted before it finished (its journal holds what it did): "
                         "run the same "
                         "bulwark apply again to finish it, or bulwark revert %s to undo what it did",
                         iws[0] ? iws : "this workspace", id);
                if (parent->o->json)
                        json_array_append_new(sv->installs, json_pack("{s:s,s:b,s:b,s:s}", "installation", id,
                                                                      "effective", 0, "interrupted", 1, "error", why));
                else
                        fprintf(out, "! install %s: %s\n", id, why);
                sv->drift++;
                return 0;
        }
        if (bw_state_read_bindings_signer(parent->state_fd, id, ws, user, sizeof(ws), signer, sizeof(signer)) < 0) {
                if (parent->o->json)
                        json_array_append_new(sv->installs,
                                              json_pack("{s:s,s:b,s:s}", "installation", id, "effective", 0, "error",
                                                        "its bindings file is missing or damaged"));
                else
                        fprintf(out, "! install %s: its bindings file is missing or damaged\n", id);
                sv->drift++;
                return 0;
        }
        struct bw_engine_options o = *parent->o;
        o.workspace = ws;
        o.user = user;
        struct run r = {.state_sum_lock = PTHREAD_MUTEX_INITIALIZER, .o = &o, .state_fd = -1, .dry_run = true};
        snprintf(path, sizeof(path), "%s/installs/%s/plan", parent->o->state_dir, id);
        /* what the backend still does for it in the background (Windows: the read grants) */
        char progress[512] = "";
        if (BE(&r)->install_progress && BE(&r)->install_progress(parent->state_fd, id, progress, sizeof(progress)) <= 0)
                progress[0] = 0;
        int ret = bw_bind_load_plan(&r, path);
        if (ret == 0)
                ret = bw_converge_dry_run(&r);
        if (ret == 0) {
                /* the installed plan's own record is not drift: bw_converge_install is not asked. Without
                 * root, what could not be read (the ruleset, ACLs of files the caller cannot reach)
                 * is unknown, not drift: it is listed and counted apart. */
                bool root = BE(&r)->privileged();
                bool gone = workspace_gone(&r);
                unsigned unreadable = root ? 0 : r.unknown + (unsigned) r.acl_errors;
                unsigned drift = r.adds + r.changes + r.removes + (root ? r.unknown : 0) + gone;
                char gone_why[4 * PATH_MAX];
                snprintf(gone_why, sizeof(gone_why),
                         "WORKSPACE GONE: %s no longer exists, so this plan protects nothing; revert its "
                         "installation (%s), saying where it went: bulwark revert %s --moved-to NEW-PATH, or "
                         "bulwark revert %s --deleted",
                         ws, id, ws, ws);
                sv->unreadable += unreadable;
                /* Moved protected objects are not drift: they are protected more than their names
                 * call for, and apply leaves them so. They are listed apart ("kept"). */
                if (o.json) {
                        json_t *drifted = json_array(), *kept = json_array();
                        for (size_t i = 0; i < r.n_lines; i++)
                                json_array_append_new(r.lines[i].op == '!' ? kept : drifted,
                                                      bw_report_change_json(&r, &r.lines[i]));
                        json_t *inst =
                                json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:i,s:o,s:i,s:o}", "installation", id, "plan",
                                          r.plan->id, "workspace", ws, "user", user, "signer", signer, "effective",
                                          drift == 0 && unreadable == 0, "drifted_entries", (int) drift, "drifted",
                                          drifted, "kept_entries", (int) r.kept, "kept", kept);
                        if (interrupted)
                                json_object_set_new(inst, "interrupted", json_true());
                        if (BE(&r)->per_user)
                                json_object_set_new(inst, "mode",
                                                    json_string(BE(&r)->per_user() ? "per-user" : "machine"));
                        if (gone) {
                                json_object_set_new(inst, "workspace_missing", json_true());
                                json_object_set_new(inst, "error", json_string(gone_why));
                        }
                        if (progress[0])
                                json_object_set_new(inst, "progress", json_string(progress));
                        if (BE(&r)->unverified) {
                                /* written is not enforced: the backend cannot say its entries hold */
                                json_object_set_new(inst, "verified", json_false());
                                json_object_set_new(inst, "unverified", json_string(BE(&r)->unverified));
                                if (r.acl_errors)
                                        json_object_set_new(inst, "not_enforced_entries",
                                                            json_integer((json_int_t) r.acl_errors));
                        }
                        if (unreadable)
                                json_object_set_new(inst, "unreadable_entries", json_integer(unreadable));
                        json_array_append_new(sv->installs, inst);
                } else {
                        char unknown[160];
                        snprintf(unknown, sizeof(unknown),
                                 "NOT VERIFIED: %u thing%s cannot be read without root (run sudo bulwark status):",
                                 unreadable, unreadable == 1 ? "" : "s");
                        /* A backend that cannot tell whether what it wrote enforces the plan
                         * (Windows: UNVERIFIED) says "written as planned", never "in force"; rules
                         * it could not write at all are counted (each was said above). */
                        char written[1024] = "";
                        if (BE(&r)->unverified && r.acl_errors)
                                snprintf(written, sizeof(written),
                                         "written as planned, NOT VERIFIED to be in force (%s); %llu of the "
                                         "plan's rules are not enforced here (said above)",
                                         BE(&r)->unverified, (unsigned long long) r.acl_errors);
                        else if (BE(&r)->unverified)
                                snprintf(written, sizeof(written),
                                         "written as planned, NOT VERIFIED to be in force (%s)", BE(&r)->unverified);
                        fprintf(out, "%s plan %s  installation %s  workspace %s  user %s  signer %s: %s\n",
                                drift        ? "!"
                                : unreadable ? "?"
                                             : "=",
                                r.plan->id, id, ws, user, signer,
                                gone ? gone_why
                                : drift && interrupted
                                        ? "INTERRUPTED: an apply did not finish; run it again to finish it "
                                          "(or bulwark revert to undo it):"
                                : drift      ? "DRIFTED, apply it again to restore:"
                                : unreadable ? unknown
                                : written[0] ? written
                                : r.kept     ? "in force; moved protected objects keep their protection:"
                                             : "in force");
                        if (progress[0])
                                fprintf(out, "  %s\n", progress);
                        if (drift || unreadable)
                                bw_report_print_changes(&r, out);
                        else
                                for (size_t i = 0; i < r.n_lines; i++)
                                        if (r.lines[i].op == '!')
                                                bw_report_print_line(&r.lines[i], o.color, out);
                }
                sv->drift += drift;
        } else
                sv->drift++;
        bw_run_done(&r);
        return ret;
}

int bw_cmd_status(const struct bw_engine_options *o, FILE *out) {
        struct run r = {.state_sum_lock = PTHREAD_MUTEX_INITIALIZER, .o = o, .state_fd = -1};
        int ret = bw_state_open(&r, false);
        struct status st = {.out = out, .installs = json_array()}, *sv = &st;
        if (ret == 0 && bw_state_count_installs(r.state_fd) > 0) {
                /* Without root the lock cannot be taken (it is root's): read without it, saying so;
                 * status changes nothing. */
                bool root = BE(&r)->privileged();
                int lock = root ? bw_state_acquire_lock(&r) : -1;
                if (!root && !o->json)
                        bw_report_note("not root: reading without the state lock; what only root can read "
                                       "is listed as unknown, not as drift (sudo bulwark status checks everything)");
                if (root && lock < 0)
                        ret = lock;
                else {
                        size_t matched = 0;
                        ret = bw_state_for_each_install(&r, NULL, status_one, sv, &matched);
                        if (lock >= 0)
                                bw_state_release_lock(&r, lock);
                }
        } else if (ret == -ENOENT || ret == 0) {
                ret = 0;
                if (!o->json)
                        fprintf(out, "bulwark: no plan is installed\n");
        }
        if (o->json && ret == 0) {
                /* One document a fleet manager can collect: compliant means every installation is
                 * in force as applied. */
                json_t *doc = json_pack("{s:b,s:i,s:o,s:o}", "compliant", sv->drift == 0 && sv->unreadable == 0,
                                        "installed", (int) json_array_size(sv->installs), "installations", sv->installs,
                                        "host", bw_doctor_report(o, NULL, false));
                sv->installs = NULL;
                char *txt = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
                fprintf(out, "%s\n", txt);
                free(txt);
                json_decref(doc);
        }
        json_decref(sv->installs);
        sv->installs = NULL;
        bw_run_done(&r);
        if (ret)
                return 1;
        if (sv->drift)
                return 2;
        if (sv->unreadable) {
                bw_report_note("%u thing%s could not be read without root: not verified (exit 1); run sudo "
                               "bulwark status",
                               sv->unreadable, sv->unreadable == 1 ? "" : "s");
                return 1;
        }
        return 0;
}
