/* SPDX-License-Identifier: MIT */
#include "fake_runner.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct fake_runner *cur;

/* fake_ops.c's record: the same log, the same failure injection. */
BW_PRINTF(2, 3) static int note(struct fake *f, const char *fmt, ...) {
        char *line = NULL;
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&line, fmt, ap) < 0)
                abort();
        va_end(ap);
        int r = 0;
        if (f->fail_prefix[0] && strncmp(line, f->fail_prefix, strlen(f->fail_prefix)) == 0 && --f->fail_after == 0) {
                f->fail_prefix[0] = '\0';
                r = -f->fail_errno;
        }
        if (f->n_log < FAKE_MAX_LOG)
                f->log[f->n_log++] = line;
        else
                free(line);
        return r;
}

static int fr_read_file(void *ctx, const char *path, uint8_t **ret, size_t *ret_n, char *err, size_t es) {
        int r = note(ctx, "read_file %s", path);
        if (r < 0)
                return r;
        for (size_t i = 0; i < cur->n_files; i++) {
                struct fake_file *x = &cur->files[i];
                if (strcmp(x->path, path) != 0)
                        continue;
                if (x->error) {
                        if (err && es)
                                snprintf(err, es, "fake error %d", -x->error);
                        return x->error;
                }
                *ret = malloc(x->n ? x->n : 1);
                if (!*ret)
                        return -ENOMEM;
                memcpy(*ret, x->data, x->n);
                *ret_n = x->n;
                return 0;
        }
        return -ENOENT;
}

static int fr_token_user(void *ctx, bw_win_handle token, struct bw_win_sid *ret, char *err, size_t es) {
        (void) err, (void) es;
        int r = note(ctx, "token_user %ld", (long) token);
        *ret = cur->token_user;
        return r;
}

/* The domain filter as the real table's: only S-1-5-21-A-B-C-RID with domain's A-B-C is named. */
static bool same_domain(const struct bw_win_sid *sid, const struct bw_win_sid *domain) {
        if (sid->n_sub != 5 || domain->n_sub != 5 || memcmp(sid->authority, domain->authority, 6) != 0)
                return false;
        return memcmp(sid->sub, domain->sub, 4 * sizeof(sid->sub[0])) == 0;
}

static int fr_token_groups(void *ctx, bw_win_handle token, const struct bw_win_sid *domain,
                           struct bw_win_token_group **ret, size_t *ret_n, char *err, size_t es) {
        (void) err, (void) es;
        int r = note(ctx, "token_groups %ld", (long) token);
        if (r < 0)
                return r;
        *ret = malloc((cur->n_groups ? cur->n_groups : 1) * sizeof(**ret));
        if (!*ret)
                return -ENOMEM;
        memcpy(*ret, cur->groups, cur->n_groups * sizeof(**ret));
        for (size_t i = 0; domain && i < cur->n_groups; i++)
                if (!same_domain(&(*ret)[i].sid, domain))
                        (*ret)[i].name[0] = 0;
        *ret_n = cur->n_groups;
        return 0;
}

static int fr_restrict(void *ctx, bw_win_handle token, const struct bw_win_token_restriction *s, bw_win_handle *ret,
                       char *err, size_t es) {
        struct fake *f = ctx;
        (void) err, (void) es;
        int r = note(f, "restrict_token %ld 0x%x disable %zu restrict %zu", (long) token, s->flags, s->n_disable,
                     s->n_restrict);
        if (r < 0)
                return r;
        cur->flags = s->flags;
        cur->n_disabled = s->n_disable < 40 ? s->n_disable : 40;
        memcpy(cur->disabled, s->disable, cur->n_disabled * sizeof(*s->disable));
        cur->n_default_dacl = s->n_default_dacl < 8 ? s->n_default_dacl : 8;
        memcpy(cur->default_dacl, s->default_dacl, cur->n_default_dacl * sizeof(*s->default_dacl));
        cur->n_restricted = s->n_restrict < 40 ? s->n_restrict : 40;
        memcpy(cur->restricted, s->restrict_sids, cur->n_restricted * sizeof(*s->restrict_sids));
        /* fake_ops.h's fields too: the older tests read those */
        f->restricted_flags = s->flags;
        f->n_restricted_sids = cur->n_restricted;
        memcpy(f->restricted_sids, s->restrict_sids, cur->n_restricted * sizeof(*s->restrict_sids));
        *ret = 1000 + f->next_handle++;
        return 0;
}

static int fr_job(void *ctx, const struct bw_win_job_limits *l, bw_win_handle *ret, char *err, size_t es) {
        (void) err, (void) es;
        int r = note(ctx, "job_create kill_on_close processes=%u memory=%llu cpu=%u", l->processes,
                     (unsigned long long) l->memory, l->cpu_millis);
        if (r < 0)
                return r;
        cur->limits = *l;
        cur->job_made = true;
        *ret = 3000;
        return 0;
}

static int fr_create_process(void *ctx, const struct bw_win_process_spec *s, bw_win_handle *p, bw_win_handle *t,
                             char *err, size_t es) {
        struct fake *f = ctx;
        (void) err, (void) es;
        int r = note(f, "create_process %s", s->command_line);
        if (r < 0)
                return r;
        snprintf(f->last_command_line, sizeof(f->last_command_line), "%s", s->command_line);
        snprintf(f->last_application, sizeof(f->last_application), "%s", s->application ? s->application : "");
        *p = 2000;
        *t = 2001;
        return 0;
}

void fake_runner_init(struct fake_runner *fr, struct fake *f, struct bw_win_ops *ops) {
        fake_init(f, ops);
        memset(fr, 0, sizeof(*fr));
        fr->f = f;
        cur = fr;
        ops->read_file = fr_read_file;
        ops->token_user = fr_token_user;
        ops->token_groups = fr_token_groups;
        ops->restrict_token = fr_restrict;
        ops->job_create_limited = fr_job;
        ops->create_process = fr_create_process;
}

void fake_runner_done(struct fake_runner *fr) {
        for (size_t i = 0; i < fr->n_files; i++)
                free(fr->files[i].data);
        fake_done(fr->f);
        cur = NULL;
}

void fake_runner_file(struct fake_runner *fr, const char *path, const void *data, size_t n, int error) {
        struct fake_file *x = NULL;
        for (size_t i = 0; i < fr->n_files && !x; i++)
                if (strcmp(fr->files[i].path, path) == 0)
                        x = &fr->files[i];
        if (!x) {
                if (fr->n_files >= FAKE_RUNNER_MAX_FILES)
                        abort();
                x = &fr->files[fr->n_files++];
        }
        free(x->data);
        snprintf(x->path, sizeof(x->path), "%s", path);
        x->data = malloc(n ? n : 1);
        if (!x->data)
                abort();
        if (n)
                memcpy(x->data, data, n);
        x->n = n;
        x->error = error;
}

void fake_runner_group(struct fake_runner *fr, const char *sid, const char *name, uint32_t attributes) {
        if (fr->n_groups >= FAKE_RUNNER_MAX_GROUPS)
                abort();
        struct bw_win_token_group *g = &fr->groups[fr->n_groups++];
        memset(g, 0, sizeof(*g));
        if (bw_win_sid_from_string(sid, &g->sid) < 0)
                abort();
        snprintf(g->name, sizeof(g->name), "%s", name);
        g->attributes = attributes;
}
