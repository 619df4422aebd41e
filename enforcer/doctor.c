/* SPDX-License-Identifier: MIT */
/*
 * The doctor command: what this host can enforce, as the backend probes it, and whether the
 * file systems of the current directory, /tmp and every installed workspace hold ACLs.
 */
#include "engine_internal.h"

/* The directories whose file systems matter: the current directory, /tmp, and every root of
 * every installed plan. */
static size_t doctor_dirs(const struct bw_engine_options *o, char ***ret) {
        char **v = NULL;
        size_t n = 0;
        char cwd[PATH_MAX]; /* named as it is: "." tells the reader nothing */
        const char *fixed[] = {getcwd(cwd, sizeof(cwd)) ? cwd : ".", "/tmp"};
        for (size_t i = 0; i < BW_ARRAY_SIZE(fixed); i++) {
                v = realloc(v, (n + 1) * sizeof(*v));
                v[n++] = strdup(fixed[i]);
        }
        _cleanup_close_ int sfd = bw_state_open_read(o, -1);
        char **ids = NULL;
        size_t n_ids = sfd < 0 ? 0 : bw_state_list_installs(sfd, &ids);
        for (size_t i = 0; i < n_ids; i++) {
                char ws[PATH_MAX], user[PATH_MAX];
                if (bw_state_read_bindings(sfd, ids[i], ws, user, sizeof(ws)) < 0)
                        continue;
                v = realloc(v, (n + 1) * sizeof(*v));
                v[n++] = strdup(ws);
        }
        bw_state_names_free(ids, n_ids);
        *ret = v;
        return n;
}

void bw_host_report_done(struct bw_host_report *r) {
        json_decref(r->json);
        free(r->lines);
        *r = (struct bw_host_report){0};
}

/* What this host can enforce, as JSON (the caller owns it); with text, also printed as lines on
 * out. */
json_t *bw_doctor_report(const struct bw_engine_options *o, FILE *out, bool text) {
        char **dirs;
        size_t n = doctor_dirs(o, &dirs);
        struct bw_host_report rep = {0};
        json_t *j = bw_be(o)->host_probe(o->runner, dirs, n, &rep) < 0 ? json_object() : json_incref(rep.json);
        for (size_t i = 0; text && i < rep.n_lines; i++)
                fprintf(out, "%-16s %s\n", rep.lines[i].label, rep.lines[i].text);
        bw_host_report_done(&rep);
        for (size_t i = 0; i < n; i++)
                free(dirs[i]);
        free(dirs);
        return j;
}

int bw_cmd_doctor(const struct bw_engine_options *o, FILE *out) {
        json_t *j = bw_doctor_report(o, out, !o->json);
        if (o->json) {
                char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
                fprintf(out, "%s\n", s);
                free(s);
        }
        json_decref(j);
        return 0;
}
