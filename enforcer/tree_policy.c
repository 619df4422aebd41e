/* SPDX-License-Identifier: MIT */
/*
 * The rule set of a plan bound to one installation, and the decision it makes for each object of
 * a tree (the precedence of schema/policy-language.md). Neutral: no operating-system call; the
 * backends' walks (linux/acl_tree.c) and the unit tests' fake backend decide through it.
 */
#include "tree_policy.h"
#include "path_template.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- the rule set ---- */

static int path_cmp(const void *x, const void *y) {
        const struct bw_tree_rule *a = x, *b = y;
        return strcmp(a->path, b->path);
}

int bw_tree_policy_init(struct bw_tree_policy *tp, const struct bw_plan *plan, const struct bw_bindings *b,
                        const int64_t principal_ids[32], char *err, size_t err_size) {
        *tp = (struct bw_tree_policy){0};
        tp->paths = calloc(plan->n_rules + 1, sizeof(*tp->paths));
        tp->patterns = calloc(plan->n_rules + 1, sizeof(*tp->patterns));
        if (!tp->paths || !tp->patterns)
                return -ENOMEM;
        for (uint32_t i = 0; i < plan->n_rules; i++) {
                const struct bw_plan_rule *r = &plan->rules[i];
                const char *text = bw_plan_string(plan, r->text);
                enum bw_template_kind k = r->match == BW_MATCH_PATH   ? BW_TEMPLATE_PATH
                                          : r->match == BW_MATCH_GLOB ? BW_TEMPLATE_GLOB
                                                                      : BW_TEMPLATE_REGEX;
                char *bound = NULL;
                enum bw_var_id missing = BW_VAR_COUNT;
                int ret = bw_template_bind(text, k, b, &bound, &missing);
                if (ret < 0) {
                        snprintf(err, err_size, "rule %s: variable ${%s} is not bound", text, bw_var_name(missing));
                        bw_tree_policy_done(tp);
                        return ret;
                }
                struct bw_tree_rule tr = {.match = r->match,
                                          .kind = r->kind,
                                          .admin = r->flags & BW_RULE_ADMIN,
                                          .ignore_case = r->flags & BW_RULE_IGNORE_CASE,
                                          .plan_index = i};
                if (r->match == BW_MATCH_PATH) {
                        tr.path = bound;
                        tr.depth = bw_path_depth(bound);
                        tp->paths[tp->n_paths++] = tr;
                        continue;
                }
                struct bw_pattern_error perr;
                if (bw_pattern_compile(bound, r->match, tr.ignore_case, &tr.pattern, &perr) < 0) {
                        snprintf(err, err_size, "rule %s: %s", text, perr.message);
                        free(bound);
                        bw_tree_policy_done(tp);
                        return -EINVAL;
                }
                /* "**" + "/NAME" with a literal NAME: compare the last component directly. */
                if ((r->flags & BW_RULE_ANYWHERE) && !strpbrk(bound + 3, "*?[]{}\\/"))
                        tr.literal_name = strdup(bound + 3);
                free(bound);
                tp->patterns[tp->n_patterns++] = tr;
        }
        qsort(tp->paths, tp->n_paths, sizeof(*tp->paths), path_cmp);

        /* ACL templates with principal ids resolved. */
        for (uint32_t i = 0; i < plan->n_acls; i++) {
                const struct bw_plan_acl *a = &plan->acls[i];
                const struct bw_plan_principal *pr = &plan->principals[a->principal];
                struct bw_kind_acl *k = &tp->kinds[a->rule_kind];
                int64_t id = principal_ids[a->principal];
                uint16_t tag = pr->kind == BW_PRINCIPAL_SYSTEM_GROUP ? BW_ACL_GROUP : BW_ACL_USER;
                /* unknown ids (dry run before the accounts exist) use a value no entry has */
                uint32_t uid = id < 0 ? (uint32_t) (UINT32_MAX - 1 - a->principal) : (uint32_t) id;
                uint16_t perm = a->perms & 7;
                bool per_root = pr->role == BW_ROLE_WRITE_GROUP;
                if ((a->scope & BW_SCOPE_ACCESS) && k->n_access < 4) {
                        k->access_cond_x[k->n_access] = a->perms & BW_PERM_COND_X;
                        k->access_per_root[k->n_access] = per_root;
                        k->access[k->n_access++] = (struct bw_acl_want){tag, uid, perm};
                }
                /* In a default ACL, X means x: it is what new files inherit, masked by their mode. */
                if ((a->scope & BW_SCOPE_DEFAULT) && k->n_dflt < 4) {
                        k->dflt_per_root[k->n_dflt] = per_root;
                        k->dflt[k->n_dflt++] = (struct bw_acl_want){
                                tag, uid, (uint16_t) (perm | ((a->perms & BW_PERM_COND_X) ? BW_PERM_X : 0))};
                }
                bool seen = false;
                if (tag == BW_ACL_USER && (a->role == BW_ACL_CARVE_OUT || a->role == BW_ACL_DENY_READ)) {
                        for (unsigned x = 0; x < tp->n_protect_users; x++)
                                seen |= tp->protect_users[x] == uid;
                        if (!seen && tp->n_protect_users < BW_ARRAY_SIZE(tp->protect_users))
                                tp->protect_users[tp->n_protect_users++] = uid;
                        seen = false;
                }
                uint32_t *ids = tag == BW_ACL_GROUP ? tp->managed_groups : tp->managed_users;
                unsigned *n = tag == BW_ACL_GROUP ? &tp->n_managed_groups : &tp->n_managed_users;
                for (unsigned x = 0; x < *n; x++)
                        seen |= ids[x] == uid;
                if (!seen &&
                    *n < (tag == BW_ACL_GROUP ? BW_ARRAY_SIZE(tp->managed_groups) : BW_ARRAY_SIZE(tp->managed_users)))
                        ids[(*n)++] = uid;
        }
        return 0;
}

void bw_tree_policy_add_managed(struct bw_tree_policy *tp, bool group, uint32_t id) {
        uint32_t *ids = group ? tp->managed_groups : tp->managed_users;
        unsigned *n = group ? &tp->n_managed_groups : &tp->n_managed_users;
        size_t cap = group ? BW_ARRAY_SIZE(tp->managed_groups) : BW_ARRAY_SIZE(tp->managed_users);
        for (unsigned x = 0; x < *n; x++)
                if (ids[x] == id)
                        return;
        if (*n < cap)
                ids[(*n)++] = id;
}

int bw_tree_policy_set_root_groups(struct bw_tree_policy *tp, const int64_t *gids, size_t n) {
        free(tp->root_group);
        tp->root_group = calloc(n + 1, sizeof(*tp->root_group));
        tp->n_root_group = n;
        if (!tp->root_group)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                /* unknown (a dry run before the group exists): a value no entry has */
                tp->root_group[i] = gids[i] < 0 ? (uint32_t) (UINT32_MAX - 64 - (i & 0xffff)) : (uint32_t) gids[i];
                if (gids[i] >= 0)
                        bw_tree_policy_add_managed(tp, true, (uint32_t) gids[i]);
        }
        return 0;
}

void bw_tree_policy_done(struct bw_tree_policy *tp) {
        for (size_t i = 0; i < tp->n_paths; i++)
                free(tp->paths[i].path);
        for (size_t i = 0; i < tp->n_patterns; i++) {
                bw_pattern_done(&tp->patterns[i].pattern);
                free(tp->patterns[i].literal_name);
        }
        free(tp->paths);
        free(tp->patterns);
        free(tp->root_group);
        *tp = (struct bw_tree_policy){0};
}

size_t bw_tree_policy_roots(const struct bw_tree_policy *tp, const char ***ret) {
        const char **roots = calloc(tp->n_paths + 1, sizeof(*roots));
        size_t n = 0;
        if (!roots)
                abort();
        /* A root inside another kept root is walked with it. Sorted order alone does not tell:
         * "/srv/data-tmp" sorts between "/srv/data" and "/srv/data/x", so compare with every
         * kept root. */
        for (size_t i = 0; i < tp->n_paths; i++) {
                bool inside = false;
                for (size_t k = 0; k < n && !inside; k++)
                        inside = bw_path_is_within(tp->paths[i].path, roots[k]);
                if (!inside)
                        roots[n++] = tp->paths[i].path;
        }
        *ret = roots;
        return n;
}

/* ---- deciding ---- */

/* Combine the decision inherited from the parent with the rules naming or matching path. */
struct bw_decision bw_tree_policy_decide(const struct bw_tree_policy *tp, pcre2_match_data *md,
                                         struct bw_decision inherited, const char *path, const char *name,
                                         unsigned depth) {
        struct bw_decision d = inherited;
        /* exact path rules (several kinds may share a path) */
        size_t lo = 0, hi = tp->n_paths;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strcmp(tp->paths[mid].path, path);
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        for (size_t i = lo; i < tp->n_paths && bw_streq(tp->paths[i].path, path); i++)
                bw_decision_add(&d, tp->paths[i].kind, tp->paths[i].admin, depth, tp->paths[i].plan_index);
        for (size_t i = 0; i < tp->n_patterns; i++) {
                const struct bw_tree_rule *r = &tp->patterns[i];
                bool m;
                if (r->literal_name)
                        m = r->ignore_case ? strcasecmp(name, r->literal_name) == 0 : bw_streq(name, r->literal_name);
                else
                        /* a match that hit a PCRE2 limit counts: patterns only narrow */
                        m = bw_pattern_match_md(&r->pattern, md, path, strlen(path)) != 0;
                if (m)
                        bw_decision_add(&d, r->kind, r->admin, depth, r->plan_index);
        }
        return d;
}

/* The decision for a root: every rule that covers it or one of its ancestors (patterns can
 * match an ancestor, and a root need not be the outermost rule's path). */
struct bw_decision bw_tree_policy_seed(const struct bw_tree_policy *tp, pcre2_match_data *md, const char *root) {
        struct bw_decision d = {0};
        _cleanup_free_ char *prefix = strdup(root);
        if (!prefix)
                abort();
        size_t len = strlen(root);
        unsigned depth = 0;
        for (size_t i = 1; i <= len; i++) {
                if (i < len && root[i] != '/')
                        continue;
                prefix[i] = 0;
                const char *name = strrchr(prefix, '/') + 1;
                d = bw_tree_policy_decide(tp, md, d, prefix, name, ++depth);
                if (i < len)
                        prefix[i] = '/';
        }
        return d;
}

void bw_acl_regions_free(struct bw_acl_region *g) {
        while (g) {
                struct bw_acl_region *next = g->next;
                free(g->path);
                free(g);
                g = next;
        }
}
