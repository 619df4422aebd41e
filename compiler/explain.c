/* SPDX-License-Identifier: MIT */
/*
 * --explain: evaluate the precedence rules of schema/policy-language.md for one path and show
 * every rule that covers it, the winner first.
 */
#include "util.h"
#include "explain.h"
#include "decision.h"
#include "pattern.h"

#include <jansson.h>

static const struct bw_rule_eff *g_rules; /* for the qsort comparator */

static int hit_cmp(const void *x, const void *y) {
        const struct bw_explain_hit *a = x, *b = y;
        const struct bw_rule_eff *ra = &g_rules[a->rule], *rb = &g_rules[b->rule];
        bool aa = ra->flags & BW_RULE_ADMIN, ba = rb->flags & BW_RULE_ADMIN;
        if (aa != ba)
                return aa ? -1 : 1;
        if (a->depth != b->depth)
                return a->depth > b->depth ? -1 : 1;
        if (bw_rule_rank(ra->kind) != bw_rule_rank(rb->kind))
                return bw_rule_rank(ra->kind) > bw_rule_rank(rb->kind) ? -1 : 1;
        return a->rule < b->rule ? -1 : a->rule > b->rule;
}

static char *prefix_of(const char *path, int depth) {
        if (depth == 0)
                return strdup("/");
        const char *p = path;
        for (int d = 0; d < depth && *p; d++) {
                p++;
                p += strcspn(p, "/");
        }
        return strndup(path, (size_t) (p - path));
}

int bw_explain(const struct bw_compilation *c, const char *path, const struct bw_bindings *b,
               struct bw_explanation *ret) {
        *ret = (struct bw_explanation){0};
        char *canon = NULL;
        struct bw_template_error terr;
        /* The path to explain is a concrete path: no variables, so '$' is literal. */
        struct bw_strbuf_tmp {
                char *s;
        } esc = {NULL};
        size_t n = strlen(path), k = 0;
        esc.s = malloc(2 * n + 1);
        if (!esc.s)
                abort();
        for (size_t i = 0; i < n; i++) {
                if (path[i] == '$')
                        esc.s[k++] = '$';
                esc.s[k++] = path[i];
        }
        esc.s[k] = 0;
        int r = bw_template_from_policy(esc.s, k, BW_TEMPLATE_PATH, NULL, &canon, &terr);
        free(esc.s);
        if (r < 0 || canon[0] != '/') {
                free(canon);
                return -EINVAL;
        }
        _cleanup_free_ char *plain = NULL;
        if (bw_template_bind(canon, BW_TEMPLATE_PATH, b, &plain, NULL) < 0) {
                free(canon);
                return -EINVAL;
        }
        free(canon);

        for (size_t i = 0; i < c->n_rules; i++) {
                const struct bw_rule_eff *ru = &c->rules[i];
                enum bw_template_kind tk = ru->match == BW_MATCH_PATH   ? BW_TEMPLATE_PATH
                                           : ru->match == BW_MATCH_GLOB ? BW_TEMPLATE_GLOB
                                                                        : BW_TEMPLATE_REGEX;
                _cleanup_free_ char *bound = NULL;
                if (bw_template_bind(ru->text, tk, b, &bound, NULL) < 0)
                        continue;
                int depth = -1;
                if (ru->match == BW_MATCH_PATH) {
                        if (bw_path_is_within(plain, bound))
                                depth = (int) bw_path_depth(bound);
                } else {
                        struct bw_pattern p;
                        if (bw_pattern_compile(bound, ru->match, ru->flags & BW_RULE_IGNORE_CASE, &p, NULL) < 0)
                                continue;
                        depth = bw_pattern_covers(&p, plain);
                        bw_pattern_done(&p);
                }
                if (depth < 0)
                        continue;
                ret->hits = realloc(ret->hits, (ret->n_hits + 1) * sizeof(*ret->hits));
                if (!ret->hits)
                        abort();
                ret->hits[ret->n_hits++] = (struct bw_explain_hit){i, depth, prefix_of(plain, depth)};
        }
        g_rules = c->rules;
        if (ret->n_hits)
                bw_sort_stable(ret->hits, ret->n_hits, sizeof(*ret->hits), hit_cmp);
        struct bw_decision d = {0};
        for (size_t i = 0; i < ret->n_hits; i++) {
                const struct bw_rule_eff *ru = &c->rules[ret->hits[i].rule];
                bw_decision_add(&d, ru->kind, ru->flags & BW_RULE_ADMIN, (unsigned) ret->hits[i].depth,
                                (uint32_t) ret->hits[i].rule);
        }
        ret->decision = bw_decision_effective(&d, NULL);
        ret->path = TAKE_PTR(plain);
        return 0;
}

void bw_explanation_done(struct bw_explanation *e) {
        for (size_t i = 0; i < e->n_hits; i++)
                free(e->hits[i].covered);
        free(e->hits);
        free(e->path);
        *e = (struct bw_explanation){0};
}

static const char *decision_text(uint32_t kind) {
        switch (kind) {
        case BW_RULE_WRITABLE:
                return "writable";
        case BW_RULE_READ_ONLY:
                return "read-only (a carve-out: no writes)";
        case BW_RULE_READABLE:
                return "readable (granted)";
        case BW_RULE_UNREADABLE:
                return "unreadable";
        case BW_RULE_CACHE:
                return "copy-on-write (a cache root: writes land in the sandbox's own layer; the host's copy "
                       "never changes)";
        default:
                return "no writes; reads only where the sandbox principals can read by default";
        }
}

static void origin(const struct bw_compilation *c, const struct bw_rule_eff *ru, char *buf, size_t n) {
        const struct bw_source *s = c->sources.v[ru->loc.source];
        if (ru->flags & BW_RULE_PROTECTED)
                snprintf(buf, n, "bulwarkc (protected default)");
        else if (ru->loc.line)
                snprintf(buf, n, "%s:%u:%u%s", s->name, ru->loc.line, ru->loc.col,
                         s->layer == BW_LAYER_ADMIN     ? " (admin)"
                         : s->layer == BW_LAYER_PROFILE ? " (profile)"
                                                        : "");
        else
                snprintf(buf, n, "%s", s->name);
}

void bw_explanation_print(const struct bw_compilation *c, const struct bw_explanation *e, const struct bw_bindings *b,
                          FILE *f, bool json) {
        if (json) {
                json_t *o = json_object(), *hits = json_array(), *binds = json_object();
                json_object_set_new(o, "path", json_string(e->path));
                json_object_set_new(o, "decision",
                                    json_string(e->decision ? bw_rule_kind_name(e->decision) : "default"));
                for (int i = 0; i < BW_VAR_COUNT; i++)
                        if (b->value[i])
                                json_object_set_new(binds, bw_var_name((enum bw_var_id) i), json_string(b->value[i]));
                json_object_set_new(o, "bindings", binds);
                for (size_t i = 0; i < e->n_hits; i++) {
                        const struct bw_rule_eff *ru = &c->rules[e->hits[i].rule];
                        json_t *h = json_object();
                        char buf[600];
                        origin(c, ru, buf, sizeof(buf));
                        json_object_set_new(h, "kind", json_string(bw_rule_kind_name(ru->kind)));
                        json_object_set_new(h, "match", json_string(bw_match_kind_name(ru->match)));
                        json_object_set_new(h, "text", json_string(ru->text));
                        json_object_set_new(h, "covers", json_string(e->hits[i].covered));
                        json_object_set_new(h, "specificity", json_integer(e->hits[i].depth));
                        json_object_set_new(h, "admin", json_boolean(ru->flags & BW_RULE_ADMIN));
                        json_object_set_new(h, "source", json_string(buf));
                        json_array_append_new(hits, h);
                }
                json_object_set_new(o, "rules", hits);
                char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
                if (s)
                        fprintf(f, "%s\n", s);
                free(s);
                json_decref(o);
                return;
        }
        fprintf(f, "%s: %s\n", e->path, decision_text(e->decision));
        fprintf(f, "  with");
        for (int i = 0; i < BW_VAR_COUNT; i++)
                fprintf(f, " %s=%s", bw_var_name((enum bw_var_id) i), b->value[i] ? b->value[i] : "(unbound)");
        fputc('\n', f);
        if (e->n_hits)
                fprintf(f, "  rules covering it, most decisive first (admin, then most specific, then unreadable >\n"
                           "  read_only > writable > readable; a read_only rule is a carve-out only from a writable "
                           "one):\n");
        for (size_t i = 0; i < e->n_hits; i++) {
                const struct bw_rule_eff *ru = &c->rules[e->hits[i].rule];
                char buf[600];
                origin(c, ru, buf, sizeof(buf));
                fprintf(f, "  %-10s %-5s %s%s%s\n      covers %s (specificity %d), from %s\n",
                        bw_rule_kind_name(ru->kind), bw_match_kind_name(ru->match), ru->text,
                        ru->flags & BW_RULE_IGNORE_CASE ? " (any case)" : "",
                        ru->flags & BW_RULE_ADMIN ? " [admin: can only take access away]" : "", e->hits[i].covered,
                        e->hits[i].depth, buf);
        }
}
