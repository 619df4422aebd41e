/* SPDX-License-Identifier: MIT */
/*
 * Reviewed change sets: `plan -o CHANGES` saves the plan, its bindings, the changes and the
 * digest of the state they were computed against; `apply --reviewed CHANGES` applies it only
 * while the state still has that digest.
 */
#include "engine_internal.h"
#include "minisign.h"

#include <sodium.h>

/* The digest of the state a change set was computed against: every changed ACL (object, bytes
 * before and after), and every other change line, in their deterministic order. */
static void state_digest(const struct run *r, char out[65]) {
        struct bw_sha256 *h = bw_sha256_new();
        bw_sha256_update(h, r->plan->header->digest, 32);
        bw_sha256_update(h, r->state_sum, 32);
        for (size_t i = 0; i < r->n_lines; i++) {
                const struct change_line *l = &r->lines[i];
                if (l->from_walk)
                        continue;
                bw_sha256_update(h, &l->op, 1);
                bw_sha256_update(h, l->kind, strlen(l->kind) + 1);
                bw_sha256_update(h, l->what, strlen(l->what) + 1);
                bw_sha256_update(h, l->detail, strlen(l->detail) + 1);
        }
        uint8_t d[32];
        bw_sha256_final(h, d);
        bw_hex(d, 32, out);
}

/*
 * `plan -o CHANGES` saves what a reviewer approves: the plan itself (and its signature), the
 * workspace and user it was bound to, the changes, and the digest of the state they were computed
 * against. `apply --reviewed CHANGES` applies it only while the state still has that digest.
 */
int bw_reviewed_write(struct run *r, const char *plan_path, const char *path) {
        char digest[65], plan_digest[65], signer[1024];
        state_digest(r, digest);
        bw_hex(r->plan->header->digest, 32, plan_digest);
        bw_signer_describe(&r->signer, signer, sizeof(signer));
        size_t b64_len = sodium_base64_ENCODED_LEN(r->plan->size, sodium_base64_VARIANT_ORIGINAL);
        char *b64 = malloc(b64_len);
        if (!b64)
                return bw_report_fail(r, -ENOMEM, "out of memory");
        sodium_bin2base64(b64, b64_len, r->plan->data, r->plan->size, sodium_base64_VARIANT_ORIGINAL);
        json_t *changes = json_array();
        for (size_t i = 0; i < r->n_lines; i++)
                json_array_append_new(changes, bw_report_change_json(r, &r->lines[i]));
        /* the signature travels with the plan it signs */
        char sig_path[PATH_MAX], sig[BW_MINISIGN_COMMENT_MAX + 1024];
        snprintf(sig_path, sizeof(sig_path), "%s%s", r->o->signature ? r->o->signature : plan_path,
                 r->o->signature ? "" : ".minisig");
        int fd = open(sig_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        ssize_t n = fd < 0 ? -1 : bw_read_full(fd, sig, sizeof(sig) - 1);
        if (fd >= 0)
                close(fd);
        if (n >= 0)
                sig[n] = 0;
        json_t *doc = json_pack("{s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:{s:i,s:i,s:i,s:i},s:o,s:s,s:o}", "bulwark_changes", 1,
                                "plan", r->plan->id, "plan_digest", plan_digest, "workspace",
                                r->values[BW_VAR_WORKSPACE], "user", r->values[BW_VAR_USER], "signer", signer,
                                "state_digest", digest, "summary", "add", (int) r->adds, "change", (int) r->changes,
                                "remove", (int) r->removes, "unknown", (int) r->unknown, "changes", changes,
                                "plan_bytes", b64, "signature", n >= 0 ? json_string(sig) : json_null());
        free(b64);
        char *text = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
        json_decref(doc);
        int e = text ? bw_write_file_atomic(path, text, strlen(text), 0644) : -ENOMEM;
        free(text);
        if (e < 0)
                return bw_report_fail(r, e, "cannot write the change set %s: %s", path, strerror(-e));
        bw_report_note("change set saved to %s (state %.12s); apply it with: bulwark apply --reviewed %s", path, digest,
                       path);
        return 0;
}

int bw_cmd_apply_reviewed(const char *changes_path, const struct bw_engine_options *o, FILE *out) {
        if (!bw_be(o)->privileged()) {
                bw_report_note("apply changes users, ACLs and the firewall: run it as root");
                return 1;
        }
        /* opened here, not by json_load_file: its error for a missing file is a line -1, column -1
         * parse error ("FILE:-1:-1: not a change set"), when the file simply is not there */
        int cfd = open(changes_path, O_RDONLY | O_CLOEXEC), cerr = errno;
        FILE *cf = cfd < 0 ? NULL : fdopen(cfd, "rb");
        if (cfd >= 0 && !cf) {
                cerr = errno;
                close(cfd);
        }
        struct stat cst;
        if (!cf || (fstat(fileno(cf), &cst) == 0 && S_ISDIR(cst.st_mode))) {
                bw_report_note("cannot read %s: %s: give the file `bulwark plan -o` saved (nothing was changed)",
                               changes_path, strerror(cf ? EISDIR : cerr));
                if (cf)
                        fclose(cf);
                return 1;
        }
        json_error_t jerr;
        json_t *doc = json_loadf(cf, JSON_REJECT_DUPLICATES, &jerr);
        /* Where the document's top-level value starts: a document of the wrong shape is wrong
         * there (json_unpack_ex's line and column are places in its format string, not in the
         * file). Unknown (0) for what cannot be read again (a pipe). */
        int doc_line = 0, doc_col = 0;
        if (doc && S_ISREG(cst.st_mode) && fseek(cf, 0, SEEK_SET) == 0) {
                int c;
                doc_line = doc_col = 1;
                while ((c = getc(cf)) == ' ' || c == '\t' || c == '\r' || c == '\n') {
                        doc_col = c == '\n' ? 1 : doc_col + 1;
                        doc_line += c == '\n';
                }
        }
        fclose(cf);
        const char *f_plan = NULL, *f_digest = NULL, *f_ws = NULL, *f_user = NULL, *f_state = NULL, *f_b64 = NULL,
                   *f_sig = NULL;
        json_t *f_changes = NULL;
        json_int_t version = 0;
        if (!doc ||
            json_unpack_ex(doc, &jerr, 0, "{s:I,s:s,s:s,s:s,s:s,s:s,s:o,s:s}", "bulwark_changes", &version, "plan",
                           &f_plan, "plan_digest", &f_digest, "workspace", &f_ws, "user", &f_user, "state_digest",
                           &f_state, "changes", &f_changes, "plan_bytes", &f_b64) < 0 ||
            version != 1 || !json_is_array(f_changes)) {
                const char *why = doc && version != 1 && jerr.text[0] == 0 ? "bulwark_changes is not 1"
                                  : doc && jerr.text[0] == 0               ? "changes is not an array"
                                                                           : jerr.text;
                char at[32] = "";
                if (!doc)
                        snprintf(at, sizeof(at), ":%d:%d", jerr.line, jerr.column);
                else if (doc_line > 0)
                        snprintf(at, sizeof(at), ":%d:%d", doc_line, doc_col);
                bw_report_note("%s%s: not a change set saved by `bulwark plan -o`: %s (nothing was changed)",
                               changes_path, at, why);
                json_decref(doc);
                return 1;
        }
        f_sig = json_string_value(json_object_get(doc, "signature")); /* NULL: unsigned */
        /* the plan as reviewed, into the state directory (root's), where apply reads it */
        struct run r = {.state_sum_lock = PTHREAD_MUTEX_INITIALIZER, .o = o, .state_fd = -1};
        int ret = bw_state_open(&r, true);
        size_t b64_len = strlen(f_b64), max = b64_len / 4 * 3 + 3, size = 0;
        uint8_t *bytes = ret ? NULL : malloc(max);
        if (ret == 0 && (!bytes || sodium_base642bin(bytes, max, f_b64, b64_len, NULL, &size, NULL,
                                                     sodium_base64_VARIANT_ORIGINAL) != 0))
                ret = bw_report_fail(&r, -EBADMSG, "%s: its plan_bytes are not base64", changes_path);
        char plan_path[PATH_MAX], sig_path[PATH_MAX + 16];
        snprintf(plan_path, sizeof(plan_path), "%s/reviewed.plan", o->state_dir);
        snprintf(sig_path, sizeof(sig_path), "%s.minisig", plan_path);
        unlink(sig_path);
        if (ret == 0 && bw_write_file_atomic(plan_path, bytes, size, 0600) < 0)
                ret = bw_report_fail(&r, -errno, "cannot write %s: %s", plan_path, strerror(errno));
        if (ret == 0 && f_sig && bw_write_file_atomic(sig_path, f_sig, strlen(f_sig), 0600) < 0)
                ret = bw_report_fail(&r, -errno, "cannot write %s: %s", sig_path, strerror(errno));
        free(bytes);
        struct bw_engine_options ro = *o;
        ro.workspace = f_ws;
        ro.user = f_user;
        ro.signature = NULL;
        ro.json = false;
        int lock = ret ? -1 : bw_state_acquire_lock(&r);
        if (ret == 0 && lock < 0)
                ret = lock;
        /* recompute the change set against the state now, under the lock */
        struct run d = {.state_sum_lock = PTHREAD_MUTEX_INITIALIZER, .o = &ro, .state_fd = -1, .dry_run = true};
        if (ret == 0)
                ret = bw_bind_load_plan(&d, plan_path);
        if (ret == 0) {
                char pd[65];
                bw_hex(d.plan->header->digest, 32, pd);
                if (!bw_streq(pd, f_digest) || !bw_streq(d.plan->id, f_plan))
                        ret = bw_report_fail(&r, -EBADMSG,
                                             "%s: the embedded plan is not plan %s it names: the change set was edited",
                                             changes_path, f_plan);
        }
        if (ret == 0)
                ret = bw_bind_check_signature(&d, plan_path);
        if (ret == 0)
                ret = bw_converge_dry_run(&d);
        if (ret == 0) {
                bw_converge_install(&d); /* as plan -o saw it: without the state directory */
                char now[65];
                state_digest(&d, now);
                if (!bw_streq(now, f_state)) {
                        bw_report_note("the machine changed since %s was reviewed (state %.12s then, %.12s now): "
                                       "nothing applied; review the new change set (bulwark plan -o) and apply that",
                                       changes_path, f_state, now);
                        bw_report_moved(f_changes, &d);
                        ret = -ESTALE;
                }
        }
        bw_run_done(&d);
        if (ret == 0) {
                fprintf(out, "bulwark: the state is as reviewed (%.12s): applying\n", f_state);
                ret = bw_apply_plan(plan_path, &ro, out, false, true);
        }
        if (lock >= 0)
                bw_state_release_lock(&r, lock);
        unlink(sig_path);
        unlink(plan_path);
        bw_run_done(&r);
        json_decref(doc);
        return bw_exit_status(ret);
}
