/* SPDX-License-Identifier: MIT */
/*
 * The audit trail: one JSON record per apply and revert that got as far as changing
 * something, written by the backend's audit sink.
 */
#include "engine_internal.h"

/* One JSON line per apply and revert that got as far as changing something, appended and synced
 * by the backend's audit sink, plus a one-line summary to the system log. Refused commands leave
 * none. A record that cannot be written is warned about: the change is made already. */
static void audit_append(const struct bw_engine_options *o, json_t *rec, const char *summary) {
        const char *dir = o->audit_dir ? o->audit_dir : BW_AUDIT_DIR;
        char when[32];
        time_t now = time(NULL);
        struct tm tm;
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
        json_object_set_new(rec, "time", json_string(when));
        const char *sudo_user = getenv("SUDO_USER");
        _cleanup_free_ struct bw_user_info *caller = malloc(sizeof(*caller));
        int uid = caller && bw_be(o)->user_lookup(NULL, BW_USER_CALLER, caller) == 0 ? (int) caller->id : -1;
        json_object_set_new(rec, "invoked_by", json_pack("{s:i,s:s?}", "uid", uid, "sudo_user", sudo_user));
        _cleanup_free_ char *line = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
        int e = line ? bw_be(o)->audit_write(dir, line, summary) : -ENOMEM;
        if (e < 0)
                bw_report_note("warning: cannot append to the audit log %s/audit.jsonl: %s", dir, strerror(-e));
}

void bw_audit_apply(struct run *r, bool ok) {
        json_t *changes = json_array();
        for (size_t i = 0; i < r->n_lines; i++) {
                const struct change_line *l = &r->lines[i];
                const char *op = bw_report_op_name(l->op);
                json_t *c =
                        json_pack("{s:s,s:s,s:s,s:s}", "op", op, "kind", l->kind, "path", l->what, "detail", l->detail);
                if (l->below)
                        json_object_set_new(c, "below", json_integer((json_int_t) l->below));
                json_object_set_new(c, "source", l->source ? json_string(l->source) : json_null());
                json_array_append_new(changes, c);
        }
        char digest[65];
        bw_hex(r->plan->header->digest, 32, digest);
        char signer[1024];
        bw_signer_describe(&r->signer, signer, sizeof(signer));
        json_t *rec =
                json_pack("{s:s,s:s,s:s,s:s,s:o,s:s,s:s,s:{s:i,s:i,s:i},s:o}", "action", "apply", "result",
                          ok ? "ok" : "failed", "plan", r->plan->id, "plan_digest", digest, "signer",
                          r->signer.is_signed ? json_string(signer) : json_null(), "real_user", r->values[BW_VAR_USER],
                          "workspace", r->values[BW_VAR_WORKSPACE], "summary", "add", (int) r->adds, "change",
                          (int) r->changes, "remove", (int) r->removes, "changes", changes);
        char summary[PATH_MAX + 256];
        snprintf(summary, sizeof(summary), "apply %s: plan %s for %s (user %s): %u to add, %u to change, %u to remove",
                 ok ? "done" : "FAILED", r->plan->id, r->values[BW_VAR_WORKSPACE], r->values[BW_VAR_USER], r->adds,
                 r->changes, r->removes);
        audit_append(r->o, rec, summary);
        json_decref(rec);
}

void bw_audit_revert(const struct bw_engine_options *o, const char *which, bool all, const char *text, bool ok) {
        json_t *changes = json_array();
        size_t n = 0;
        for (const char *p = text; p && *p;) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t) (nl - p) : strlen(p);
                if (len)
                        json_array_append_new(changes, json_stringn(p, len));
                n += len > 0;
                p = nl ? nl + 1 : NULL;
        }
        json_t *rec = json_pack("{s:s,s:s,s:s,s:n,s:o}", "action", "revert", "result", ok ? "ok" : "failed", "which",
                                all ? "--all" : which, "signer", "changes", changes);
        char summary[512];
        snprintf(summary, sizeof(summary), "revert %s of %s: %zu lines of changes", ok ? "done" : "FAILED",
                 all ? "every installation" : which, n);
        audit_append(o, rec, summary);
        json_decref(rec);
}
