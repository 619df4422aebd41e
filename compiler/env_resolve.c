/* SPDX-License-Identifier: MIT */
/*
 * The environment and limits sections across layers: lists are unioned (set and limits are
 * per-name and per-field scalars, the later layer wins), the admin's never_pass is checked, and
 * the result is the sorted, de-duplicated set of entries the plan's ENVR section holds.
 */
#include "util.h"
#include "compile.h"
#include "env_policy.h"

#include <stdio.h>

static void push(struct bw_env_refs *l, const struct bw_env_item *it) {
        if (l->n == l->cap) {
                l->cap = l->cap ? l->cap * 2 : 8;
                l->v = realloc(l->v, l->cap * sizeof(*l->v));
                if (!l->v)
                        abort();
        }
        l->v[l->n++] = it;
}

void bw_env_merge_doc(struct bw_env_merge *m, const struct bw_policy_doc *d) {
        for (size_t i = 0; i < d->env_pass.n; i++)
                push(&m->pass, &d->env_pass.v[i]);
        for (size_t i = 0; i < d->env_drop.n; i++)
                push(&m->drop, &d->env_drop.v[i]);
        for (size_t i = 0; i < d->env_never_pass.n; i++)
                push(&m->never_pass, &d->env_never_pass.v[i]);
        for (size_t i = 0; i < d->env_set.n; i++) {
                /* a later layer's value for the same name replaces the earlier one */
                size_t k;
                for (k = 0; k < m->set.n; k++)
                        if (bw_streq(m->set.v[k]->name, d->env_set.v[i].name))
                                break;
                if (k < m->set.n)
                        m->set.v[k] = &d->env_set.v[i];
                else
                        push(&m->set, &d->env_set.v[i]);
        }
        const struct bw_limits_doc *l = &d->limits;
        if (l->tmpfs_loc.line) {
                m->limits.tmpfs_size = l->tmpfs_size;
                m->limits.tmpfs_percent = l->tmpfs_percent;
                m->limits.tmpfs_loc = l->tmpfs_loc;
        }
        if (l->processes_loc.line) {
                m->limits.processes = l->processes;
                m->limits.processes_loc = l->processes_loc;
        }
        if (l->memory_loc.line) {
                m->limits.memory = l->memory;
                m->limits.memory_loc = l->memory_loc;
        }
        if (l->cpu_loc.line) {
                m->limits.cpu_millis = l->cpu_millis;
                m->limits.cpu_loc = l->cpu_loc;
        }
}

void bw_env_merge_done(struct bw_env_merge *m) {
        free(m->pass.v);
        free(m->drop.v);
        free(m->set.v);
        free(m->never_pass.v);
        *m = (struct bw_env_merge){0};
}

static void add(struct bw_compilation *c, const struct bw_env_item *it, uint32_t action, uint32_t flags) {
        if (c->n_env == c->cap_env) {
                c->cap_env = c->cap_env ? c->cap_env * 2 : 16;
                c->env = realloc(c->env, c->cap_env * sizeof(*c->env));
                if (!c->env)
                        abort();
        }
        char *name = strdup(it->name), *value = it->value ? strdup(it->value) : NULL;
        if (!name || (it->value && !value))
                abort();
        c->env[c->n_env++] = (struct bw_env_eff){name, value, action, flags, it->loc};
}

/* The plan's order: (action, name as bytes, flags). */
static int env_cmp(const void *x, const void *y) {
        const struct bw_env_eff *a = x, *b = y;
        if (a->action != b->action)
                return a->action < b->action ? -1 : 1;
        int r = strcmp(a->name, b->name);
        if (r)
                return r;
        return a->flags < b->flags ? -1 : a->flags > b->flags;
}

static const char *where(const struct bw_compilation *c, const struct bw_loc *l, char *buf, size_t n) {
        snprintf(buf, n, "%s:%u:%u", c->sources.v[l->source]->name, l->line, l->col);
        return buf;
}

void bw_env_resolve(struct bw_compilation *c, const struct bw_env_merge *m) {
        char buf[512];
        for (size_t i = 0; i < m->pass.n; i++) {
                const struct bw_env_item *p = m->pass.v[i];
                /* A pass entry wholly inside a never_pass or drop glob can never keep anything. A
                 * broader one (pass "*") is fine: at run time never_pass and drop still win. */
                for (size_t k = 0; k < m->never_pass.n; k++) {
                        const struct bw_env_item *n = m->never_pass.v[k];
                        if (bw_env_glob_match(n->name, p->name, strlen(p->name))) {
                                bw_error(&c->diags, &p->loc,
                                         "environment.pass lists %s, which the admin's never_pass entry %s forbids "
                                         "(%s)",
                                         p->name, n->name, where(c, &n->loc, buf, sizeof(buf)));
                                bw_note(&c->diags, &n->loc, "never_pass is set here");
                        }
                }
                for (size_t k = 0; k < m->drop.n; k++) {
                        const struct bw_env_item *d = m->drop.v[k];
                        if (bw_env_glob_match(d->name, p->name, strlen(p->name)))
                                bw_warning(&c->diags, &p->loc,
                                           "environment.pass entry %s can never have an effect: drop entry %s (%s) "
                                           "wins over it",
                                           p->name, d->name, where(c, &d->loc, buf, sizeof(buf)));
                }
                add(c, p, BW_ENV_PASS, 0);
        }
        for (size_t i = 0; i < m->drop.n; i++)
                add(c, m->drop.v[i], BW_ENV_DROP, 0);
        for (size_t i = 0; i < m->never_pass.n; i++)
                add(c, m->never_pass.v[i], BW_ENV_DROP, BW_ENV_ADMIN);
        for (size_t i = 0; i < m->set.n; i++)
                add(c, m->set.v[i], BW_ENV_SET, 0);
        if (c->n_env)
                bw_sort_stable(c->env, c->n_env, sizeof(*c->env), env_cmp);
        /* the same entry from two layers (or twice in a list) is one entry, at its first place */
        size_t out = 0;
        for (size_t i = 0; i < c->n_env; i++) {
                if (out > 0 && env_cmp(&c->env[out - 1], &c->env[i]) == 0) {
                        free(c->env[i].name);
                        free(c->env[i].value);
                        continue;
                }
                c->env[out++] = c->env[i];
        }
        c->n_env = out;

        c->limits = m->limits;
        c->has_limits = m->limits.tmpfs_loc.line || m->limits.processes_loc.line || m->limits.memory_loc.line ||
                        m->limits.cpu_loc.line;
}
